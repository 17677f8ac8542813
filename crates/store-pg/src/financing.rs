//! [`FinancingStore`] on PostgreSQL: each write one transaction with its audit records.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use services::financing::Product;
use store::financing::{
    DEMAND_ENTITY, DemandFilter, DemandRecord, DemandUpdate, FinancingStore, INSTITUTION_USER_ENTITY,
    MatchRecord, NewDemand, NewMatch, NewResponse, PRODUCT_ENTITY, ProductRecord, ResponseRecord, audit_of,
    conflict, decimal, names, parse, parse_names, sql,
};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgStore, backend, china, insert_reference_change};

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

fn small(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Backend(format!("count {v} out of range")))
}

async fn audit(
    c: &impl GenericClient,
    stamp: &Stamp,
    entity: &str,
    key: &str,
    field: &str,
    old: Option<String>,
    new: Option<String>,
) -> Result<()> {
    insert_reference_change(c, stamp, entity, key, &FieldChange { field: field.into(), old, new }).await
}

fn product(r: &Row) -> Result<ProductRecord> {
    Ok(ProductRecord {
        product: Product {
            id: get(r, 0)?,
            institution: get(r, 1)?,
            name: get(r, 2)?,
            kinds: parse_names("demand kind", &get::<String>(r, 3)?)?,
            amount_min: decimal("amount", &get::<String>(r, 4)?)?,
            amount_max: decimal("amount", &get::<String>(r, 5)?)?,
            term_min_months: small(get(r, 6)?)?,
            term_max_months: small(get(r, 7)?)?,
            rate_min: decimal("rate", &get::<String>(r, 8)?)?,
            rate_max: decimal("rate", &get::<String>(r, 9)?)?,
            requires_collateral: parse_names("collateral", &get::<String>(r, 10)?)?,
            eligibility: get(r, 11)?,
        },
        description: get(r, 12)?,
        active: get(r, 13)?,
        version: get(r, 14)?,
        updated_by: get(r, 15)?,
        updated_at: china(get(r, 16)?),
    })
}

fn demand(r: &Row) -> Result<DemandRecord> {
    Ok(DemandRecord {
        id: get(r, 0)?,
        demand: NewDemand {
            enterprise_id: get(r, 1)?,
            kind: parse("demand kind", &get::<String>(r, 2)?)?,
            amount: decimal("amount", &get::<String>(r, 3)?)?,
            term_months: small(get(r, 4)?)?,
            purpose: get(r, 5)?,
            collateral: parse_names("collateral", &get::<String>(r, 6)?)?,
            urgency: parse("urgency", &get::<String>(r, 7)?)?,
            channel: parse("channel", &get::<String>(r, 8)?)?,
            deadline: get(r, 9)?,
            step: get::<Option<String>>(r, 10)?.map(|s| parse("step", &s)).transpose()?,
        },
        uscc: get(r, 11)?,
        enterprise_name: get(r, 12)?,
        state: parse("demand state", &get::<String>(r, 13)?)?,
        granted_amount: get::<Option<String>>(r, 14)?.map(|s| decimal("amount", &s)).transpose()?,
        granted_on: get(r, 15)?,
        granted_product: get(r, 16)?,
        close_reason: get(r, 17)?,
        outcome_at: get::<Option<DateTime<FixedOffset>>>(r, 18)?.map(china),
        version: get(r, 19)?,
        created_by: get(r, 20)?,
        created_at: china(get(r, 21)?),
        updated_at: china(get(r, 22)?),
    })
}

async fn write_update(c: &impl GenericClient, u: &DemandUpdate, stamp: &Stamp) -> Result<i64> {
    let row = c
        .query_opt(sql::STATE_STEP, &[&u.id])
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::Backend(format!("no financing demand {}", u.id)))?;
    let old_state: String = get(&row, 0)?;
    let old_step: Option<String> = get(&row, 1)?;
    if c.execute(sql::BUMP_DEMAND, &[&stamp.at, &u.id, &u.expected]).await.map_err(backend)? == 0 {
        let current = match c.query_opt(sql::DEMAND_VERSION, &[&u.id]).await.map_err(backend)? {
            Some(r) => get(&r, 0)?,
            None => 0,
        };
        return Err(conflict(DEMAND_ENTITY, &u.id.to_string(), u.expected, current));
    }
    if let Some(s) = u.state {
        c.execute(sql::SET_STATE, &[&s.as_str(), &u.id]).await.map_err(backend)?;
    }
    if let Some(s) = u.step {
        c.execute(sql::SET_STEP, &[&s.as_str(), &u.id]).await.map_err(backend)?;
    }
    if let Some((a, d, p)) = &u.granted {
        c.execute(sql::SET_GRANTED, &[&a.to_string(), d, p, &u.id]).await.map_err(backend)?;
    }
    if let Some(r) = &u.close_reason {
        c.execute(sql::SET_CLOSE_REASON, &[r, &u.id]).await.map_err(backend)?;
    }
    if u.outcome {
        c.execute(sql::SET_OUTCOME, &[&stamp.at, &u.id]).await.map_err(backend)?;
    }
    if let Some(ms) = &u.matches {
        c.execute(sql::DELETE_MATCHES, &[&u.id]).await.map_err(backend)?;
        let st = c.prepare(sql::INSERT_MATCH).await.map_err(backend)?;
        for m in ms {
            c.execute(
                &st,
                &[&u.id, &m.product_id, &m.matched, &m.missing.join(","), &m.explanation, &stamp.at],
            )
            .await
            .map_err(backend)?;
        }
    }
    if let Some(pm) = &u.product_match {
        c.execute(sql::DELETE_PRODUCT_MATCH, &[&u.id, &pm.product_id]).await.map_err(backend)?;
        if let Some(m) = &pm.found {
            c.execute(
                sql::INSERT_MATCH,
                &[&u.id, &m.product_id, &m.matched, &m.missing.join(","), &m.explanation, &stamp.at],
            )
            .await
            .map_err(backend)?;
        }
    }
    if let Some(r) = &u.response {
        c.execute(
            sql::INSERT_RESPONSE,
            &[
                &u.id,
                &r.kind.as_str(),
                &r.institution,
                &r.product_id,
                &r.reason,
                &r.amount.map(|a| a.to_string()),
                &r.on,
                &r.step.map(|s| s.as_str()),
                &stamp.username,
                &stamp.at,
            ],
        )
        .await
        .map_err(backend)?;
    }
    for (field, old, new) in audit_of(u, &old_state, old_step.as_deref()) {
        audit(c, stamp, DEMAND_ENTITY, &u.id.to_string(), &field, old, new).await?;
    }
    Ok(u.expected + 1)
}

/// Midnight of `day` in China time.
fn midnight(day: NaiveDate) -> DateTime<FixedOffset> {
    day.and_time(chrono::NaiveTime::MIN).and_local_timezone(store::china_offset()).single().unwrap_or_else(
        || {
            DateTime::<FixedOffset>::from_naive_utc_and_offset(
                day.and_time(chrono::NaiveTime::MIN),
                store::china_offset(),
            )
        },
    )
}

#[async_trait]
impl FinancingStore for PgStore {
    async fn bind_institution(&self, username: &str, institution: &str, stamp: &Stamp) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let old: Option<String> = tx
            .query_opt(sql::INSTITUTION_OF, &[&username])
            .await
            .map_err(backend)?
            .map(|r| get(&r, 0))
            .transpose()?;
        tx.execute(
            "INSERT INTO financial_institution_users (username, institution) VALUES ($1, $2) \
             ON CONFLICT (username) DO UPDATE SET institution = excluded.institution",
            &[&username, &institution],
        )
        .await
        .map_err(backend)?;
        audit(
            &tx,
            stamp,
            INSTITUTION_USER_ENTITY,
            username,
            "institution",
            old,
            Some(institution.to_string()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn institution_of(&self, username: &str) -> Result<Option<String>> {
        let client = self.client().await?;
        client
            .query_opt(sql::INSTITUTION_OF, &[&username])
            .await
            .map_err(backend)?
            .map(|r| get(&r, 0))
            .transpose()
    }

    async fn save_product(&self, p: &ProductRecord, expected: Option<i64>, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let q = &p.product;
        let current: Option<i64> = tx
            .query_opt(&format!("{} FOR UPDATE", sql::PRODUCT_VERSION), &[&q.id])
            .await
            .map_err(backend)?
            .map(|r| get(&r, 0))
            .transpose()?;
        let kinds = names(&q.kinds);
        let collateral = names(&q.requires_collateral);
        let (amin, amax, rmin, rmax) = (
            q.amount_min.to_string(),
            q.amount_max.to_string(),
            q.rate_min.to_string(),
            q.rate_max.to_string(),
        );
        let (tmin, tmax) = (i64::from(q.term_min_months), i64::from(q.term_max_months));
        let version = match (expected, current) {
            (None, None) => {
                tx.execute(
                    sql::INSERT_PRODUCT,
                    &[
                        &q.id,
                        &q.institution,
                        &q.name,
                        &kinds,
                        &amin,
                        &amax,
                        &tmin,
                        &tmax,
                        &rmin,
                        &rmax,
                        &collateral,
                        &q.eligibility,
                        &p.description,
                        &p.active,
                        &stamp.username,
                        &stamp.at,
                    ],
                )
                .await
                .map_err(backend)?;
                1
            }
            (Some(e), Some(c)) if e == c => {
                tx.execute(
                    sql::UPDATE_PRODUCT,
                    &[
                        &q.institution,
                        &q.name,
                        &kinds,
                        &amin,
                        &amax,
                        &tmin,
                        &tmax,
                        &rmin,
                        &rmax,
                        &collateral,
                        &q.eligibility,
                        &p.description,
                        &p.active,
                        &stamp.username,
                        &stamp.at,
                        &q.id,
                        &e,
                    ],
                )
                .await
                .map_err(backend)?;
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
        audit(&tx, stamp, PRODUCT_ENTITY, &q.id, field, None, Some(summary)).await?;
        if !q.eligibility.is_empty() {
            audit(&tx, stamp, PRODUCT_ENTITY, &q.id, "eligibility", None, Some(q.eligibility.clone()))
                .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(version)
    }

    async fn product(&self, id: &str) -> Result<Option<ProductRecord>> {
        let client = self.client().await?;
        let q = format!("SELECT {} FROM financial_products p WHERE p.id = $1", sql::PRODUCT_COLUMNS);
        client.query_opt(&q, &[&id]).await.map_err(backend)?.map(|r| product(&r)).transpose()
    }

    async fn products(&self, institution: Option<&str>, active_only: bool) -> Result<Vec<ProductRecord>> {
        let client = self.client().await?;
        let mut conds = Vec::new();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        let inst = institution.map(str::to_string);
        if let Some(i) = &inst {
            params.push(i);
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
        client.query(&q, &params).await.map_err(backend)?.iter().map(product).collect()
    }

    async fn create_demand(&self, d: &NewDemand, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id: i64 = tx
            .query_one(
                sql::INSERT_DEMAND,
                &[
                    &d.enterprise_id,
                    &d.kind.as_str(),
                    &d.amount.to_string(),
                    &i64::from(d.term_months),
                    &d.purpose,
                    &names(&d.collateral),
                    &d.urgency.as_str(),
                    &d.channel.as_str(),
                    &d.deadline,
                    &d.step.map(|s| s.as_str()),
                    &stamp.username,
                    &stamp.at,
                ],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        let summary = format!(
            "{} {} 元 {} 月 {} 截止 {}",
            d.kind.as_str(),
            d.amount,
            d.term_months,
            d.channel.as_str(),
            d.deadline
        );
        audit(&tx, stamp, DEMAND_ENTITY, &id.to_string(), "created", None, Some(summary)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn demand(&self, id: i64) -> Result<Option<DemandRecord>> {
        let client = self.client().await?;
        let q = format!(
            "SELECT {} FROM financing_demands d JOIN enterprises n ON n.id = d.enterprise_id WHERE d.id = $1",
            sql::DEMAND_COLUMNS
        );
        client.query_opt(&q, &[&id]).await.map_err(backend)?.map(|r| demand(&r)).transpose()
    }

    async fn demands(&self, f: &DemandFilter) -> Result<Vec<DemandRecord>> {
        let client = self.client().await?;
        let mut conds = Vec::new();
        let from = f.posted_from.map(midnight);
        let before = f.posted_before.map(midnight);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(e) = &f.enterprise_id {
            params.push(e);
            conds.push(format!("d.enterprise_id = ${}", params.len()));
        }
        if let Some(i) = &f.institution {
            params.push(i);
            conds.push(format!(
                "d.id IN (SELECT m.demand_id FROM financing_matches m JOIN financial_products p \
                 ON p.id = m.product_id WHERE p.institution = ${})",
                params.len()
            ));
        }
        if !f.states.is_empty() {
            let list: Vec<String> = f.states.iter().map(|s| format!("'{}'", s.as_str())).collect();
            conds.push(format!("d.state IN ({})", list.join(", ")));
        }
        if let Some(k) = f.kind {
            conds.push(format!("d.kind = '{}'", k.as_str()));
        }
        if let Some(t) = &from {
            params.push(t);
            conds.push(format!("d.created_at >= ${}", params.len()));
        }
        if let Some(t) = &before {
            params.push(t);
            conds.push(format!("d.created_at < ${}", params.len()));
        }
        let wh = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let q = format!(
            "SELECT {} FROM financing_demands d JOIN enterprises n ON n.id = d.enterprise_id {wh} \
             ORDER BY d.id DESC LIMIT {}",
            sql::DEMAND_COLUMNS,
            f.limit.clamp(1, 100_000)
        );
        client.query(&q, &params).await.map_err(backend)?.iter().map(demand).collect()
    }

    async fn matches_of(&self, demand_id: i64) -> Result<Vec<MatchRecord>> {
        let client = self.client().await?;
        let q = format!(
            "SELECT {} FROM financing_matches m JOIN financial_products p ON p.id = m.product_id \
             WHERE m.demand_id = $1 ORDER BY p.institution, p.id",
            sql::MATCH_COLUMNS
        );
        client
            .query(&q, &[&demand_id])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(MatchRecord {
                    demand_id: get(r, 0)?,
                    m: NewMatch {
                        product_id: get(r, 1)?,
                        matched: get(r, 2)?,
                        missing: get::<String>(r, 3)?
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect(),
                        explanation: get(r, 4)?,
                    },
                    product_name: get(r, 5)?,
                    institution: get(r, 6)?,
                    matched_at: china(get(r, 7)?),
                })
            })
            .collect()
    }

    async fn responses_of(&self, demand_id: i64) -> Result<Vec<ResponseRecord>> {
        let client = self.client().await?;
        let q = format!(
            "SELECT {} FROM financing_responses r WHERE r.demand_id = $1 ORDER BY r.id",
            sql::RESPONSE_COLUMNS
        );
        client
            .query(&q, &[&demand_id])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(ResponseRecord {
                    id: get(r, 0)?,
                    demand_id: get(r, 1)?,
                    response: NewResponse {
                        kind: parse("response kind", &get::<String>(r, 2)?)?,
                        institution: get(r, 3)?,
                        product_id: get(r, 4)?,
                        reason: get(r, 5)?,
                        amount: get::<Option<String>>(r, 6)?.map(|s| decimal("amount", &s)).transpose()?,
                        on: get(r, 7)?,
                        step: get::<Option<String>>(r, 8)?.map(|s| parse("step", &s)).transpose()?,
                    },
                    responded_by: get(r, 9)?,
                    responded_at: china(get(r, 10)?),
                })
            })
            .collect()
    }

    async fn update_demands(&self, updates: &[DemandUpdate], stamp: &Stamp) -> Result<Vec<i64>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let mut out = Vec::with_capacity(updates.len());
        for u in updates {
            out.push(write_update(&tx, u, stamp).await?);
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}
