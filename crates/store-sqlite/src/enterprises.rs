//! [`EnterpriseStore`] on SQLite: enterprises with their facts and links, change records,
//! lists, import batches and the snapshot reader. The import's writes are in `import.rs`.

use async_trait::async_trait;
use enterprise::{EnterpriseRecord, FactDictionary, FieldChange, ThreeLinks, UnifiedCreditCode};
use rusqlite::{Connection, OptionalExtension, Row, params};
use store::codec::{RawEnterprise, RawFact, split_tags};
use store::import::RecordChanges;
use store::sql::{self, Param};
use store::{
    ChangeRecord, EnterpriseFilter, EnterpriseHead, EnterpriseStore, EnterpriseSummary, EnterpriseView,
    ImportBatch, ImportOutcome, ImportRequest, Link, Page, Result, SnapshotRow, Stamp, StoreError,
};

use crate::reference::department_code;
use crate::users::user_role;
use crate::{SqliteStore, backend, import, ts};

pub(crate) fn raw_enterprise(r: &Row<'_>) -> rusqlite::Result<RawEnterprise> {
    Ok(RawEnterprise {
        id: r.get(0)?,
        uscc: r.get(1)?,
        name: r.get(2)?,
        registered_in_zone: r.get(3)?,
        tax_registered_in_zone: r.get(4)?,
        industry_code: r.get(5)?,
        established_on: r.get(6)?,
        taxpayer_type: r.get(7)?,
        tax_credit_rating: r.get(8)?,
        tags: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

fn raw_fact(r: &Row<'_>, o: usize) -> rusqlite::Result<RawFact> {
    Ok(RawFact {
        fact: r.get(o)?,
        year: r.get(o + 1)?,
        value: r.get(o + 2)?,
        source: r.get(o + 3)?,
        as_of: r.get(o + 4)?,
    })
}

pub(crate) fn facts_of(conn: &Connection, id: i64) -> Result<Vec<RawFact>> {
    let mut st = conn.prepare_cached(sql::FACTS_OF).map_err(backend)?;
    let rows = st.query_map([id], |r| raw_fact(r, 0)).map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

fn enterprise_by_uscc(conn: &Connection, uscc: &str) -> Result<Option<RawEnterprise>> {
    let mut st = conn.prepare_cached(sql::ENTERPRISE_BY_USCC).map_err(backend)?;
    st.query_row([uscc], raw_enterprise).optional().map_err(backend)
}

pub(crate) fn enterprise_id(conn: &Connection, uscc: &UnifiedCreditCode) -> Result<i64> {
    let mut st = conn.prepare_cached(sql::ENTERPRISE_ID_BY_USCC).map_err(backend)?;
    st.query_row([uscc.as_str()], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::EnterpriseNotFound { uscc: uscc.to_string() })
}

fn links_of(conn: &Connection, id: i64) -> Result<ThreeLinks> {
    let mut st = conn.prepare_cached(sql::LINKS_OF).map_err(backend)?;
    Ok(st
        .query_row([id], |r| Ok(ThreeLinks { leader: r.get(0)?, department: r.get(1)?, cadre: r.get(2)? }))
        .optional()
        .map_err(backend)?
        .unwrap_or_default())
}

fn value_of(p: &Param) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match p {
        Param::Text(s) => Value::Text(s.clone()),
        Param::Int(i) => Value::Integer(*i),
        Param::Bool(b) => Value::Integer(i64::from(*b)),
    }
}

/// Puts each fact of `rows` (enterprise id, fact) on its enterprise in `out`: both in id
/// order, walked together.
fn attach_facts(
    out: &mut [SnapshotRow],
    rows: impl Iterator<Item = rusqlite::Result<(i64, RawFact)>>,
) -> Result<()> {
    let dict = FactDictionary::official();
    let mut i = 0;
    for row in rows {
        let (id, f) = row.map_err(backend)?;
        while i < out.len() && out[i].id < id {
            i += 1;
        }
        if let Some(o) = out.get_mut(i).filter(|o| o.id == id) {
            o.facts.push(f.decode(dict)?);
        }
    }
    Ok(())
}

#[async_trait]
impl EnterpriseStore for SqliteStore {
    async fn get_enterprise(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseView>> {
        let uscc = uscc.to_string();
        self.read_point(move |conn| {
            let Some(raw) = enterprise_by_uscc(conn, &uscc)? else { return Ok(None) };
            let dict = FactDictionary::official();
            let facts =
                facts_of(conn, raw.id)?.into_iter().map(|f| f.decode(dict)).collect::<Result<Vec<_>>>()?;
            let links = links_of(conn, raw.id)?;
            let enterprise = raw.decode()?;
            Ok(Some(EnterpriseView {
                id: raw.id,
                assistance_target: enterprise.assistance_target(),
                enterprise,
                facts,
                links,
                created_at: raw.created_at,
                updated_at: raw.updated_at,
            }))
        })
        .await
    }

    async fn enterprise_head(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseHead>> {
        let uscc = uscc.to_string();
        self.read_statement(move |conn| {
            let mut st = conn.prepare_cached(sql::ENTERPRISE_HEAD).map_err(backend)?;
            st.query_row([uscc.as_str()], |r| {
                Ok(EnterpriseHead {
                    id: r.get(0)?,
                    links: ThreeLinks { leader: r.get(1)?, department: r.get(2)?, cadre: r.get(3)? },
                    version: r.get(4)?,
                })
            })
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn list_enterprises(
        &self,
        filter: &EnterpriseFilter,
        page: Page,
    ) -> Result<(Vec<EnterpriseSummary>, u64)> {
        let q = sql::enterprise_list(filter);
        let page = Page::new(page.offset, page.limit);
        self.read(move |conn| {
            let values: Vec<rusqlite::types::Value> = q.params.iter().map(value_of).collect();
            let total: i64 = conn
                .prepare_cached(&q.count_sql)
                .and_then(|mut st| st.query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0)))
                .map_err(backend)?;
            let mut page_values = values;
            page_values.push(rusqlite::types::Value::Integer(page.limit as i64));
            page_values.push(rusqlite::types::Value::Integer(page.offset.min(i64::MAX as u64) as i64));
            let mut st = conn.prepare_cached(&q.page_sql).map_err(backend)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(page_values.iter()), |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        (r.get::<_, bool>(3)?, r.get::<_, bool>(4)?),
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, uscc, name, (reg, tax), industry_code, tags) = row.map_err(backend)?;
                out.push(EnterpriseSummary {
                    id,
                    uscc: UnifiedCreditCode::parse(&uscc).map_err(backend)?,
                    name,
                    assistance_target: enterprise::assistance_target(&uscc, reg, tax),
                    industry_code,
                    tags: split_tags(&tags).into_iter().collect(),
                });
            }
            Ok((out, total as u64))
        })
        .await
    }

    async fn enterprise_count(&self) -> Result<u64> {
        self.read(|conn| {
            let n: i64 = conn.query_row(sql::COUNT_ENTERPRISES, [], |r| r.get(0)).map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }

    async fn enterprise_changes(&self, uscc: &UnifiedCreditCode) -> Result<Vec<ChangeRecord>> {
        let uscc = uscc.clone();
        self.read(move |conn| {
            let id = enterprise_id(conn, &uscc)?;
            let mut st = conn.prepare_cached(sql::CHANGES_OF).map_err(backend)?;
            let rows = st
                .query_map([id], |r| {
                    Ok(ChangeRecord {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        field: r.get(3)?,
                        old: r.get(4)?,
                        new: r.get(5)?,
                        batch_id: r.get(6)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn set_three_links(
        &self,
        uscc: &UnifiedCreditCode,
        links: &ThreeLinks,
        actor: &Stamp,
    ) -> Result<Vec<FieldChange>> {
        let (uscc, links, actor) = (uscc.clone(), links.clone(), actor.clone());
        self.write(move |conn| {
            let id = enterprise_id(conn, &uscc)?;
            if let Some(u) = &links.leader {
                store::check_link_role(Link::Leader, u, user_role(conn, u)?.as_deref())?;
            }
            if let Some(u) = &links.cadre {
                store::check_link_role(Link::Cadre, u, user_role(conn, u)?.as_deref())?;
            }
            let department = match &links.department {
                Some(d) => Some(department_code(conn, d)?),
                None => None,
            };
            let new = ThreeLinks { leader: links.leader.clone(), department, cadre: links.cadre.clone() };
            let old = links_of(conn, id)?;
            let changes = store::links_diff(&old, &new);
            if changes.is_empty() {
                return Ok(changes);
            }
            let at = ts(actor.at);
            conn.prepare_cached(sql::UPSERT_LINKS)
                .and_then(|mut st| st.execute(params![id, new.leader, new.department, new.cadre, at]))
                .map_err(backend)?;
            let mut st = conn.prepare_cached(sql::INSERT_CHANGE).map_err(backend)?;
            for c in &changes {
                st.execute(params![id, at, actor.username, c.field, c.old, c.new, None::<i64>])
                    .map_err(backend)?;
            }
            Ok(changes)
        })
        .await
    }

    async fn apply_import(&self, request: ImportRequest) -> Result<ImportOutcome> {
        store::import::check_records(FactDictionary::official(), &request.records)?;
        self.write_alone(move |conn| import::apply(conn, &request)).await
    }

    async fn import_changes(&self, records: &[EnterpriseRecord]) -> Result<Vec<RecordChanges>> {
        store::import::check_records(FactDictionary::official(), records)?;
        let records = records.to_vec();
        self.read(move |conn| import::preview(conn, &records)).await
    }

    async fn import_batches(&self, limit: u64) -> Result<Vec<ImportBatch>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::LIST_BATCHES).map_err(backend)?;
            let rows = st
                .query_map([limit.min(i64::MAX as u64) as i64], |r| {
                    Ok(ImportBatch {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        file_name: r.get(3)?,
                        format: r.get(4)?,
                        rows: r.get::<_, i64>(5)? as u64,
                        created: r.get::<_, i64>(6)? as u64,
                        updated: r.get::<_, i64>(7)? as u64,
                        unchanged: r.get::<_, i64>(8)? as u64,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn enterprise_batch(&self, after_id: i64, limit: u64) -> Result<Vec<SnapshotRow>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::SNAPSHOT_ENTERPRISES).map_err(backend)?;
            let raws = st
                .query_map(params![after_id, limit.min(i64::MAX as u64) as i64], raw_enterprise)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            let (Some(first), Some(last)) = (raws.first(), raws.last()) else { return Ok(Vec::new()) };
            let mut out: Vec<SnapshotRow> = Vec::with_capacity(raws.len());
            for r in &raws {
                out.push(SnapshotRow { id: r.id, enterprise: r.decode()?, facts: Vec::new() });
            }
            let mut st = conn.prepare_cached(sql::SNAPSHOT_FACTS).map_err(backend)?;
            let rows = st
                .query_map(params![first.id, last.id], |r| Ok((r.get::<_, i64>(0)?, raw_fact(r, 1)?)))
                .map_err(backend)?;
            attach_facts(&mut out, rows)?;
            Ok(out)
        })
        .await
    }

    async fn enterprise_rows(&self, ids: &[i64]) -> Result<Vec<SnapshotRow>> {
        let ids = ids.to_vec();
        self.read(move |conn| {
            let mut out: Vec<SnapshotRow> = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(sql::SNAPSHOT_IN_IDS) {
                let (people, facts) = sql::snapshot_in(chunk.len());
                let params = rusqlite::params_from_iter(chunk.iter());
                let mut st = conn.prepare_cached(&people).map_err(backend)?;
                let raws = st
                    .query_map(params, raw_enterprise)
                    .map_err(backend)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(backend)?;
                let start = out.len();
                for r in &raws {
                    out.push(SnapshotRow { id: r.id, enterprise: r.decode()?, facts: Vec::new() });
                }
                let mut st = conn.prepare_cached(&facts).map_err(backend)?;
                let rows = st
                    .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                        Ok((r.get::<_, i64>(0)?, raw_fact(r, 1)?))
                    })
                    .map_err(backend)?;
                attach_facts(&mut out[start..], rows)?;
            }
            Ok(out)
        })
        .await
    }
}
