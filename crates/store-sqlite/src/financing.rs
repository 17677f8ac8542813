//! [`FinancingStore`] on SQLite: each write is one job of the writer (its audit records in
//! the same transaction); reads run on the read pool.

use async_trait::async_trait;
use chrono::NaiveDate;
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use services::financing::Product;
use store::financing::{
    DEMAND_ENTITY, DemandFilter, DemandRecord, DemandUpdate, FinancingStore, INSTITUTION_USER_ENTITY,
    MatchRecord, NewDemand, NewMatch, NewResponse, PRODUCT_ENTITY, ProductRecord, ResponseRecord, audit_of,
    conflict, decimal, names, parse, parse_names, sql,
};
use store::{Result, Stamp};

use crate::problems::text_time;
use crate::{SqliteStore, backend, insert_reference_change, ts};

fn audit(
    conn: &Connection,
    stamp: &Stamp,
    entity: &str,
    key: &str,
    field: &str,
    old: Option<String>,
    new: Option<String>,
) -> Result<()> {
    insert_reference_change(conn, stamp, entity, key, &FieldChange { field: field.into(), old, new })
}

type Raw = Vec<rusqlite::types::Value>;

fn raw(r: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Raw> {
    (0..n).map(|i| r.get(i)).collect()
}

fn text(v: &rusqlite::types::Value) -> Result<String> {
    match v {
        rusqlite::types::Value::Text(s) => Ok(s.clone()),
        rusqlite::types::Value::Integer(i) => Ok(i.to_string()),
        other => Err(store::StoreError::Backend(format!("expected text, got {other:?}"))),
    }
}

fn opt_text(v: &rusqlite::types::Value) -> Result<Option<String>> {
    match v {
        rusqlite::types::Value::Null => Ok(None),
        v => text(v).map(Some),
    }
}

fn int(v: &rusqlite::types::Value) -> Result<i64> {
    match v {
        rusqlite::types::Value::Integer(i) => Ok(*i),
        other => Err(store::StoreError::Backend(format!("expected integer, got {other:?}"))),
    }
}

fn time(v: &rusqlite::types::Value) -> Result<chrono::DateTime<chrono::FixedOffset>> {
    let s = text(v)?;
    chrono::DateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%:z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(&s))
        .map(ts)
        .map_err(|e| store::StoreError::Backend(format!("time {s:?}: {e}")))
}

fn date(v: &rusqlite::types::Value) -> Result<NaiveDate> {
    let s = text(v)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|e| store::StoreError::Backend(format!("date {s:?}: {e}")))
}

fn u32_of(v: &rusqlite::types::Value) -> Result<u32> {
    u32::try_from(int(v)?).map_err(|_| store::StoreError::Backend("count out of range".into()))
}

fn product(v: &Raw) -> Result<ProductRecord> {
    Ok(ProductRecord {
        product: Product {
            id: text(&v[0])?,
            institution: text(&v[1])?,
            name: text(&v[2])?,
            kinds: parse_names("demand kind", &text(&v[3])?)?,
            amount_min: decimal("amount", &text(&v[4])?)?,
            amount_max: decimal("amount", &text(&v[5])?)?,
            term_min_months: u32_of(&v[6])?,
            term_max_months: u32_of(&v[7])?,
            rate_min: decimal("rate", &text(&v[8])?)?,
            rate_max: decimal("rate", &text(&v[9])?)?,
            requires_collateral: parse_names("collateral", &text(&v[10])?)?,
            eligibility: text(&v[11])?,
        },
        description: text(&v[12])?,
        active: int(&v[13])? != 0,
        version: int(&v[14])?,
        updated_by: text(&v[15])?,
        updated_at: time(&v[16])?,
    })
}

fn demand(v: &Raw) -> Result<DemandRecord> {
    Ok(DemandRecord {
        id: int(&v[0])?,
        demand: NewDemand {
            enterprise_id: int(&v[1])?,
            kind: parse("demand kind", &text(&v[2])?)?,
            amount: decimal("amount", &text(&v[3])?)?,
            term_months: u32_of(&v[4])?,
            purpose: text(&v[5])?,
            collateral: parse_names("collateral", &text(&v[6])?)?,
            urgency: parse("urgency", &text(&v[7])?)?,
            channel: parse("channel", &text(&v[8])?)?,
            deadline: date(&v[9])?,
            step: opt_text(&v[10])?.map(|s| parse("step", &s)).transpose()?,
        },
        uscc: text(&v[11])?,
        enterprise_name: text(&v[12])?,
        state: parse("demand state", &text(&v[13])?)?,
        granted_amount: opt_text(&v[14])?.map(|s| decimal("amount", &s)).transpose()?,
        granted_on: opt_text(&v[15])?.map(|_| date(&v[15])).transpose()?,
        granted_product: opt_text(&v[16])?,
        close_reason: text(&v[17])?,
        outcome_at: opt_text(&v[18])?.map(|_| time(&v[18])).transpose()?,
        version: int(&v[19])?,
        created_by: text(&v[20])?,
        created_at: time(&v[21])?,
        updated_at: time(&v[22])?,
    })
}

fn query(conn: &Connection, q: &str, args: &[rusqlite::types::Value], n: usize) -> Result<Vec<Raw>> {
    conn.prepare_cached(q)
        .and_then(|mut st| {
            st.query_map(rusqlite::params_from_iter(args.iter()), |r| raw(r, n))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(backend)
}

fn load_demand(conn: &Connection, id: i64) -> Result<Option<DemandRecord>> {
    let q = format!(
        "SELECT {} FROM financing_demands d JOIN enterprises n ON n.id = d.enterprise_id WHERE d.id = $1",
        sql::DEMAND_COLUMNS
    );
    query(conn, &q, &[id.into()], 23)?.first().map(demand).transpose()
}

fn version_of(conn: &Connection, q: &str, key: &dyn rusqlite::ToSql) -> Result<Option<i64>> {
    conn.prepare_cached(q).and_then(|mut st| st.query_row([key], |r| r.get(0)).optional()).map_err(backend)
}

fn exec(conn: &Connection, q: &str, args: impl rusqlite::Params) -> Result<usize> {
    conn.prepare_cached(q).and_then(|mut st| st.execute(args)).map_err(backend)
}

fn write_update(conn: &Connection, u: &DemandUpdate, stamp: &Stamp) -> Result<i64> {
    let now = text_time(stamp.at);
    let (old_state, old_step): (String, Option<String>) = conn
        .prepare_cached(sql::STATE_STEP)
        .and_then(|mut st| st.query_row([u.id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(backend)?
        .ok_or_else(|| store::StoreError::Backend(format!("no financing demand {}", u.id)))?;
    if exec(conn, sql::BUMP_DEMAND, params![now, u.id, u.expected])? == 0 {
        let current = version_of(conn, sql::DEMAND_VERSION, &u.id)?.unwrap_or(0);
        return Err(conflict(DEMAND_ENTITY, &u.id.to_string(), u.expected, current));
    }
    if let Some(s) = u.state {
        exec(conn, sql::SET_STATE, params![s.as_str(), u.id])?;
    }
    if let Some(s) = u.step {
        exec(conn, sql::SET_STEP, params![s.as_str(), u.id])?;
    }
    if let Some((a, d, p)) = &u.granted {
        exec(conn, sql::SET_GRANTED, params![a.to_string(), d.to_string(), p, u.id])?;
    }
    if let Some(r) = &u.close_reason {
        exec(conn, sql::SET_CLOSE_REASON, params![r, u.id])?;
    }
    if u.outcome {
        exec(conn, sql::SET_OUTCOME, params![now, u.id])?;
    }
    if let Some(ms) = &u.matches {
        exec(conn, sql::DELETE_MATCHES, [u.id])?;
        for m in ms {
            exec(
                conn,
                sql::INSERT_MATCH,
                params![u.id, m.product_id, m.matched, m.missing.join(","), m.explanation, now],
            )?;
        }
    }
    if let Some(pm) = &u.product_match {
        exec(conn, sql::DELETE_PRODUCT_MATCH, params![u.id, pm.product_id])?;
        if let Some(m) = &pm.found {
            exec(
                conn,
                sql::INSERT_MATCH,
                params![u.id, m.product_id, m.matched, m.missing.join(","), m.explanation, now],
            )?;
        }
    }
    if let Some(r) = &u.response {
        exec(
            conn,
            sql::INSERT_RESPONSE,
            params![
                u.id,
                r.kind.as_str(),
                r.institution,
                r.product_id,
                r.reason,
                r.amount.map(|a| a.to_string()),
                r.on.map(|d| d.to_string()),
                r.step.map(|s| s.as_str()),
                stamp.username,
                now
            ],
        )?;
    }
    for (field, old, new) in audit_of(u, &old_state, old_step.as_deref()) {
        audit(conn, stamp, DEMAND_ENTITY, &u.id.to_string(), &field, old, new)?;
    }
    Ok(u.expected + 1)
}

#[async_trait]
impl FinancingStore for SqliteStore {
    async fn bind_institution(&self, username: &str, institution: &str, stamp: &Stamp) -> Result<()> {
        let (username, institution, stamp) = (username.to_string(), institution.to_string(), stamp.clone());
        self.write(move |conn| {
            let old: Option<String> = version_of_text(conn, &username)?;
            exec(
                conn,
                "INSERT INTO financial_institution_users (username, institution) VALUES ($1, $2) \
                 ON CONFLICT (username) DO UPDATE SET institution = excluded.institution",
                params![username, institution],
            )?;
            audit(conn, &stamp, INSTITUTION_USER_ENTITY, &username, "institution", old, Some(institution))
        })
        .await
    }

    async fn institution_of(&self, username: &str) -> Result<Option<String>> {
        let username = username.to_string();
        self.read(move |conn| version_of_text(conn, &username)).await
    }

    async fn save_product(&self, p: &ProductRecord, expected: Option<i64>, stamp: &Stamp) -> Result<i64> {
        let (p, stamp) = (p.clone(), stamp.clone());
        self.write(move |conn| {
            let now = text_time(stamp.at);
            let q = &p.product;
            let current = version_of(conn, sql::PRODUCT_VERSION, &q.id)?;
            let version = match (expected, current) {
                (None, None) => {
                    exec(
                        conn,
                        sql::INSERT_PRODUCT,
                        params![
                            q.id,
                            q.institution,
                            q.name,
                            names(&q.kinds),
                            q.amount_min.to_string(),
                            q.amount_max.to_string(),
                            q.term_min_months,
                            q.term_max_months,
                            q.rate_min.to_string(),
                            q.rate_max.to_string(),
                            names(&q.requires_collateral),
                            q.eligibility,
                            p.description,
                            p.active,
                            stamp.username,
                            now
                        ],
                    )?;
                    1
                }
                (Some(e), Some(c)) if e == c => {
                    exec(
                        conn,
                        sql::UPDATE_PRODUCT,
                        params![
                            q.institution,
                            q.name,
                            names(&q.kinds),
                            q.amount_min.to_string(),
                            q.amount_max.to_string(),
                            q.term_min_months,
                            q.term_max_months,
                            q.rate_min.to_string(),
                            q.rate_max.to_string(),
                            names(&q.requires_collateral),
                            q.eligibility,
                            p.description,
                            p.active,
                            stamp.username,
                            now,
                            q.id,
                            e
                        ],
                    )?;
                    e + 1
                }
                (e, c) => return Err(conflict(PRODUCT_ENTITY, &q.id, e.unwrap_or(0), c.unwrap_or(0))),
            };
            let summary = format!(
                "{} {} {}–{} 元 {}–{} 月 {}–{}% {}",
                q.institution,
                q.name,
                q.amount_min,
                q.amount_max,
                q.term_min_months,
                q.term_max_months,
                q.rate_min,
                q.rate_max,
                if p.active { "上架" } else { "下架" }
            );
            let field = if version == 1 { "created" } else { "updated" };
            audit(conn, &stamp, PRODUCT_ENTITY, &q.id, field, None, Some(summary))?;
            if !q.eligibility.is_empty() {
                audit(conn, &stamp, PRODUCT_ENTITY, &q.id, "eligibility", None, Some(q.eligibility.clone()))?;
            }
            Ok(version)
        })
        .await
    }

    async fn product(&self, id: &str) -> Result<Option<ProductRecord>> {
        let id = id.to_string();
        self.read(move |conn| {
            let q = format!("SELECT {} FROM financial_products p WHERE p.id = $1", sql::PRODUCT_COLUMNS);
            query(conn, &q, &[id.into()], 17)?.first().map(product).transpose()
        })
        .await
    }

    async fn products(&self, institution: Option<&str>, active_only: bool) -> Result<Vec<ProductRecord>> {
        let institution = institution.map(str::to_string);
        self.read(move |conn| {
            let mut conds = Vec::new();
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(i) = institution {
                args.push(i.into());
                conds.push("p.institution = $1".to_string());
            }
            if active_only {
                conds.push("p.active".into());
            }
            let wh = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
            let q = format!(
                "SELECT {} FROM financial_products p {wh} ORDER BY p.institution, p.id",
                sql::PRODUCT_COLUMNS
            );
            query(conn, &q, &args, 17)?.iter().map(product).collect()
        })
        .await
    }

    async fn create_demand(&self, d: &NewDemand, stamp: &Stamp) -> Result<i64> {
        let (d, stamp) = (d.clone(), stamp.clone());
        self.write(move |conn| {
            let id: i64 = conn
                .prepare_cached(sql::INSERT_DEMAND)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            d.enterprise_id,
                            d.kind.as_str(),
                            d.amount.to_string(),
                            d.term_months,
                            d.purpose,
                            names(&d.collateral),
                            d.urgency.as_str(),
                            d.channel.as_str(),
                            d.deadline.to_string(),
                            d.step.map(|s| s.as_str()),
                            stamp.username,
                            text_time(stamp.at)
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)?;
            let summary = format!(
                "{} {} 元 {} 月 {} 截止 {}",
                d.kind.as_str(),
                d.amount,
                d.term_months,
                d.channel.as_str(),
                d.deadline
            );
            audit(conn, &stamp, DEMAND_ENTITY, &id.to_string(), "created", None, Some(summary))?;
            Ok(id)
        })
        .await
    }

    async fn demand(&self, id: i64) -> Result<Option<DemandRecord>> {
        self.read(move |conn| load_demand(conn, id)).await
    }

    async fn demands(&self, f: &DemandFilter) -> Result<Vec<DemandRecord>> {
        let f = f.clone();
        self.read(move |conn| {
            let mut conds = Vec::new();
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(e) = f.enterprise_id {
                args.push(e.into());
                conds.push(format!("d.enterprise_id = ${}", args.len()));
            }
            if let Some(i) = &f.institution {
                args.push(i.clone().into());
                conds.push(format!(
                    "d.id IN (SELECT m.demand_id FROM financing_matches m JOIN financial_products p \
                     ON p.id = m.product_id WHERE p.institution = ${})",
                    args.len()
                ));
            }
            if !f.states.is_empty() {
                let list: Vec<String> = f.states.iter().map(|s| format!("'{}'", s.as_str())).collect();
                conds.push(format!("d.state IN ({})", list.join(", ")));
            }
            if let Some(k) = f.kind {
                conds.push(format!("d.kind = '{}'", k.as_str()));
            }
            if let Some(day) = f.posted_from {
                args.push(day.to_string().into());
                conds.push(format!("d.created_at >= ${}", args.len()));
            }
            if let Some(day) = f.posted_before {
                args.push(day.to_string().into());
                conds.push(format!("d.created_at < ${}", args.len()));
            }
            let wh = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
            let q = format!(
                "SELECT {} FROM financing_demands d JOIN enterprises n ON n.id = d.enterprise_id {wh} \
                 ORDER BY d.id DESC LIMIT {}",
                sql::DEMAND_COLUMNS,
                f.limit.clamp(1, 100_000)
            );
            query(conn, &q, &args, 23)?.iter().map(demand).collect()
        })
        .await
    }

    async fn matches_of(&self, demand_id: i64) -> Result<Vec<MatchRecord>> {
        self.read(move |conn| {
            let q = format!(
                "SELECT {} FROM financing_matches m JOIN financial_products p ON p.id = m.product_id \
                 WHERE m.demand_id = $1 ORDER BY p.institution, p.id",
                sql::MATCH_COLUMNS
            );
            query(conn, &q, &[demand_id.into()], 8)?
                .iter()
                .map(|v| {
                    Ok(MatchRecord {
                        demand_id: int(&v[0])?,
                        m: NewMatch {
                            product_id: text(&v[1])?,
                            matched: int(&v[2])? != 0,
                            missing: text(&v[3])?
                                .split(',')
                                .filter(|s| !s.is_empty())
                                .map(String::from)
                                .collect(),
                            explanation: text(&v[4])?,
                        },
                        product_name: text(&v[5])?,
                        institution: text(&v[6])?,
                        matched_at: time(&v[7])?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn responses_of(&self, demand_id: i64) -> Result<Vec<ResponseRecord>> {
        self.read(move |conn| {
            let q = format!(
                "SELECT {} FROM financing_responses r WHERE r.demand_id = $1 ORDER BY r.id",
                sql::RESPONSE_COLUMNS
            );
            query(conn, &q, &[demand_id.into()], 11)?
                .iter()
                .map(|v| {
                    Ok(ResponseRecord {
                        id: int(&v[0])?,
                        demand_id: int(&v[1])?,
                        response: NewResponse {
                            kind: parse("response kind", &text(&v[2])?)?,
                            institution: text(&v[3])?,
                            product_id: opt_text(&v[4])?,
                            reason: text(&v[5])?,
                            amount: opt_text(&v[6])?.map(|s| decimal("amount", &s)).transpose()?,
                            on: opt_text(&v[7])?.map(|_| date(&v[7])).transpose()?,
                            step: opt_text(&v[8])?.map(|s| parse("step", &s)).transpose()?,
                        },
                        responded_by: text(&v[9])?,
                        responded_at: time(&v[10])?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn update_demands(&self, updates: &[DemandUpdate], stamp: &Stamp) -> Result<Vec<i64>> {
        let (updates, stamp) = (updates.to_vec(), stamp.clone());
        self.write(move |conn| updates.iter().map(|u| write_update(conn, u, &stamp)).collect()).await
    }
}

fn version_of_text(conn: &Connection, username: &str) -> Result<Option<String>> {
    conn.prepare_cached(sql::INSTITUTION_OF)
        .and_then(|mut st| st.query_row([username], |r| r.get(0)).optional())
        .map_err(backend)
}
