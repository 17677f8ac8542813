//! `apply_import` on SQLite: runs on the writer, inside the writer's transaction, with
//! cached prepared statements; a dry run does the same work in a savepoint and rolls it back.

use crate::{backend, facts_of, raw_enterprise, ts};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use store::codec::{EncodedEnterprise, EncodedFact};
use store::import::{Existing, PlanKind, StoredFact, plan_record};
use store::{ImportOutcome, ImportRequest, Result, sql};

pub(crate) fn apply(conn: &Connection, req: &ImportRequest) -> Result<ImportOutcome> {
    conn.execute_batch("SAVEPOINT import").map_err(backend)?;
    let r = apply_inner(conn, req);
    let keep = r.is_ok() && !req.dry_run;
    let end = if keep {
        conn.execute_batch("RELEASE import")
    } else {
        conn.execute_batch("ROLLBACK TO import; RELEASE import")
    };
    let mut outcome = r?;
    end.map_err(backend)?;
    if req.dry_run {
        outcome.batch_id = None;
    }
    Ok(outcome)
}

fn apply_inner(conn: &Connection, req: &ImportRequest) -> Result<ImportOutcome> {
    let at = ts(req.actor.at);
    let actor = req.actor.username.as_str();
    let batch_id: i64 = conn
        .prepare_cached(sql::INSERT_BATCH)
        .and_then(|mut st| {
            st.query_row(
                params![at, actor, req.file_name, req.format.as_str(), req.records.len() as i64],
                |r| r.get(0),
            )
        })
        .map_err(backend)?;
    let mut out =
        ImportOutcome { batch_id: Some(batch_id), rows: req.records.len() as u64, ..Default::default() };

    let mut find = conn.prepare_cached(sql::ENTERPRISE_BY_USCC).map_err(backend)?;
    let mut insert_enterprise = conn.prepare_cached(sql::INSERT_ENTERPRISE).map_err(backend)?;
    let mut update_enterprise = conn.prepare_cached(sql::UPDATE_ENTERPRISE).map_err(backend)?;
    let mut touch = conn.prepare_cached(sql::TOUCH_ENTERPRISE).map_err(backend)?;
    let mut insert_fact = conn.prepare_cached(sql::INSERT_FACT).map_err(backend)?;
    let mut upsert_fact = conn.prepare_cached(sql::UPSERT_FACT).map_err(backend)?;
    let mut insert_change = conn.prepare_cached(sql::INSERT_CHANGE).map_err(backend)?;

    for rec in &req.records {
        let e = EncodedEnterprise::new(&rec.enterprise);
        let existing = match find.query_row([&e.uscc], raw_enterprise).optional().map_err(backend)? {
            None => None,
            Some(raw) => {
                let facts: HashMap<(String, i32), StoredFact> = facts_of(conn, raw.id)?
                    .into_iter()
                    .map(|f| {
                        ((f.fact, f.year), StoredFact { value: f.value, source: f.source, as_of: f.as_of })
                    })
                    .collect();
                Some(Existing { id: raw.id, enterprise: raw.decode()?, facts })
            }
        };
        let plan = plan_record(existing.as_ref(), rec);
        let id = match (&existing, plan.kind) {
            (None, _) => {
                out.created += 1;
                insert_enterprise
                    .query_row(
                        params![
                            e.uscc,
                            e.name,
                            e.registered_in_zone,
                            e.tax_registered_in_zone,
                            e.industry_code,
                            e.established_on,
                            e.taxpayer_type,
                            e.tax_credit_rating,
                            e.tags,
                            at
                        ],
                        |r| r.get::<_, i64>(0),
                    )
                    .map_err(backend)?
            }
            (Some(ex), PlanKind::Unchanged) => {
                out.unchanged += 1;
                ex.id
            }
            (Some(ex), _) => {
                out.updated += 1;
                if plan.registry_changed {
                    update_enterprise
                        .execute(params![
                            e.name,
                            e.registered_in_zone,
                            e.tax_registered_in_zone,
                            e.industry_code,
                            e.established_on,
                            e.taxpayer_type,
                            e.tax_credit_rating,
                            e.tags,
                            at,
                            ex.id
                        ])
                        .map_err(backend)?;
                } else {
                    touch.execute(params![at, ex.id]).map_err(backend)?;
                }
                ex.id
            }
        };
        let st = if existing.is_none() { &mut insert_fact } else { &mut upsert_fact };
        for f in &plan.fact_writes {
            let EncodedFact { fact, year, value, num, source, as_of } = f;
            st.execute(params![id, fact, year, value, num, source, as_of]).map_err(backend)?;
        }
        for c in &plan.changes {
            insert_change
                .execute(params![id, at, actor, c.field, c.old, c.new, batch_id])
                .map_err(backend)?;
            out.changes += 1;
        }
    }
    conn.prepare_cached(sql::FINISH_BATCH)
        .and_then(|mut st| {
            st.execute(params![out.created as i64, out.updated as i64, out.unchanged as i64, batch_id])
        })
        .map_err(backend)?;
    Ok(out)
}
