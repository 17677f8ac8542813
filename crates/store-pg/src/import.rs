//! `apply_import` on PostgreSQL: one transaction; records go in chunks, each chunk read with
//! `= ANY($1)` and written with multi-row `INSERT … SELECT FROM UNNEST(arrays)`. A dry run
//! does the same work and rolls back. `import_changes` ([`preview`]) reads and plans the same
//! way in a read-only transaction.

use crate::{backend, raw_enterprise, raw_fact};
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use deadpool_postgres::Object;
use enterprise::EnterpriseRecord;
use std::collections::HashMap;
use store::codec::EncodedEnterprise;
use store::import::{Existing, PlanKind, RecordChanges, StoredFact, plan_record};
use store::{ImportOutcome, ImportRequest, Result, sql};

/// Records per chunk.
const CHUNK: usize = 2000;

const EXISTING: &str = "SELECT id, uscc, name, registered_in_zone, tax_registered_in_zone, industry_code, \
     established_on, taxpayer_type, tax_credit_rating, tags, created_at, updated_at \
     FROM enterprises WHERE uscc = ANY($1)";
const EXISTING_FACTS: &str = "SELECT enterprise_id, fact, year, value, source, as_of FROM enterprise_facts \
     WHERE enterprise_id = ANY($1)";
const INSERT_ENTERPRISES: &str = "INSERT INTO enterprises (uscc, name, registered_in_zone, tax_registered_in_zone, \
     industry_code, established_on, taxpayer_type, tax_credit_rating, tags, assistance_target, created_at, \
     updated_at) SELECT u.*, $11, $11 FROM UNNEST($1::text[], $2::text[], $3::bool[], $4::bool[], $5::text[], \
     $6::date[], $7::text[], $8::text[], $9::text[], $10::bool[]) AS u RETURNING id, uscc";
const DELETE_FACTS: &str = "DELETE FROM enterprise_facts f USING UNNEST($1::bigint[], $2::text[], $3::int[]) \
     AS u(e, fact, year) WHERE f.enterprise_id = u.e AND f.fact = u.fact AND f.year = u.year";
const UPSERT_FACTS: &str = "INSERT INTO enterprise_facts (enterprise_id, fact, year, value, num, source, as_of) \
     SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::text[], $7::date[]) \
     ON CONFLICT (enterprise_id, fact, year) DO UPDATE SET value = excluded.value, num = excluded.num, \
     source = excluded.source, as_of = excluded.as_of";
const INSERT_CHANGES: &str = "INSERT INTO enterprise_changes (enterprise_id, at, actor, field, old, new, batch_id) \
     SELECT u.e, $5, $6, u.f, u.o, u.n, $7 FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[]) \
     AS u(e, f, o, n)";

#[derive(Default)]
struct Facts {
    id: Vec<i64>,
    fact: Vec<String>,
    year: Vec<i32>,
    value: Vec<String>,
    num: Vec<Option<i64>>,
    source: Vec<&'static str>,
    as_of: Vec<NaiveDate>,
}

#[derive(Default)]
struct Changes {
    id: Vec<i64>,
    field: Vec<String>,
    old: Vec<Option<String>>,
    new: Vec<Option<String>>,
}

/// What is stored of the enterprises of one chunk of records, by credit code.
async fn existing_of(
    tx: &impl GenericClient,
    chunk: &[EnterpriseRecord],
) -> Result<HashMap<String, Existing>> {
    let codes: Vec<&str> = chunk.iter().map(|r| r.enterprise.uscc.as_str()).collect();
    let mut existing: HashMap<String, Existing> = HashMap::new();
    for row in tx.query(EXISTING, &[&codes]).await.map_err(backend)? {
        let raw = raw_enterprise(&row)?;
        existing.insert(
            raw.uscc.clone(),
            Existing { id: raw.id, enterprise: raw.decode()?, facts: HashMap::new() },
        );
    }
    if !existing.is_empty() {
        let ids: Vec<i64> = existing.values().map(|e| e.id).collect();
        let by_id: HashMap<i64, String> = existing.iter().map(|(k, e)| (e.id, k.clone())).collect();
        for row in tx.query(EXISTING_FACTS, &[&ids]).await.map_err(backend)? {
            let id: i64 = row.try_get(0).map_err(backend)?;
            let f = raw_fact(&row, 1)?;
            if let Some(e) = by_id.get(&id).and_then(|k| existing.get_mut(k)) {
                e.facts.insert(
                    (f.fact, f.year),
                    StoredFact { value: f.value, source: f.source, as_of: f.as_of },
                );
            }
        }
    }
    Ok(existing)
}

/// Plans every record against what is stored, writing nothing: `import_changes`.
pub(crate) async fn preview(client: &mut Object, records: &[EnterpriseRecord]) -> Result<Vec<RecordChanges>> {
    let tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await
        .map_err(backend)?;
    let mut out = Vec::with_capacity(records.len());
    for chunk in records.chunks(CHUNK) {
        let existing = existing_of(&tx, chunk).await?;
        for r in chunk {
            out.push(RecordChanges::of(r, plan_record(existing.get(r.enterprise.uscc.as_str()), r)));
        }
    }
    tx.commit().await.map_err(backend)?;
    Ok(out)
}

pub(crate) async fn apply(client: &mut Object, req: &ImportRequest) -> Result<ImportOutcome> {
    let tx = client.transaction().await.map_err(backend)?;
    let at = req.actor.at;
    let actor = req.actor.username.as_str();
    let rows = i64::try_from(req.records.len()).map_err(backend)?;
    let batch_id: i64 = tx
        .query_one(sql::INSERT_BATCH, &[&at, &actor, &req.file_name, &req.format.as_str(), &rows])
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    let mut out =
        ImportOutcome { batch_id: Some(batch_id), rows: req.records.len() as u64, ..Default::default() };
    let update = tx.prepare(sql::UPDATE_ENTERPRISE).await.map_err(backend)?;
    let touch = tx.prepare(sql::TOUCH_ENTERPRISE).await.map_err(backend)?;

    for chunk in req.records.chunks(CHUNK) {
        // What is stored of this chunk's enterprises.
        let existing = existing_of(&tx, chunk).await?;

        // Plan every record, create the new enterprises in one statement.
        let plans: Vec<_> =
            chunk.iter().map(|r| plan_record(existing.get(r.enterprise.uscc.as_str()), r)).collect();
        let new: Vec<EncodedEnterprise> = chunk
            .iter()
            .filter(|r| !existing.contains_key(r.enterprise.uscc.as_str()))
            .map(|r| EncodedEnterprise::new(&r.enterprise))
            .collect();
        let mut ids: HashMap<String, i64> = existing.iter().map(|(k, e)| (k.clone(), e.id)).collect();
        if !new.is_empty() {
            let col = |f: fn(&EncodedEnterprise) -> Option<String>| new.iter().map(f).collect::<Vec<_>>();
            let uscc: Vec<&str> = new.iter().map(|e| e.uscc.as_str()).collect();
            let name: Vec<&str> = new.iter().map(|e| e.name.as_str()).collect();
            let reg: Vec<bool> = new.iter().map(|e| e.registered_in_zone).collect();
            let tax: Vec<bool> = new.iter().map(|e| e.tax_registered_in_zone).collect();
            let industry = col(|e| e.industry_code.clone());
            let established: Vec<Option<NaiveDate>> = new.iter().map(|e| e.established_on).collect();
            let taxpayer = col(|e| e.taxpayer_type.map(String::from));
            let rating = col(|e| e.tax_credit_rating.map(String::from));
            let tags: Vec<&str> = new.iter().map(|e| e.tags.as_str()).collect();
            let target: Vec<bool> = new.iter().map(|e| e.assistance_target).collect();
            let rows = tx
                .query(
                    INSERT_ENTERPRISES,
                    &[
                        &uscc,
                        &name,
                        &reg,
                        &tax,
                        &industry,
                        &established,
                        &taxpayer,
                        &rating,
                        &tags,
                        &target,
                        &at,
                    ],
                )
                .await
                .map_err(backend)?;
            for r in rows {
                ids.insert(r.try_get(1).map_err(backend)?, r.try_get(0).map_err(backend)?);
            }
        }

        let mut facts = Facts::default();
        let mut changes = Changes::default();
        let mut deletes: (Vec<i64>, Vec<&str>, Vec<i32>) = Default::default();
        for (rec, plan) in chunk.iter().zip(&plans) {
            let code = rec.enterprise.uscc.as_str();
            let Some(&id) = ids.get(code) else {
                return Err(store::StoreError::Backend(format!("enterprise {code} was not created")));
            };
            match plan.kind {
                PlanKind::Created => out.created += 1,
                PlanKind::Unchanged => out.unchanged += 1,
                PlanKind::Updated => {
                    out.updated += 1;
                    if plan.registry_changed {
                        let e = EncodedEnterprise::new(plan.enterprise(rec));
                        tx.execute(
                            &update,
                            &[
                                &e.name,
                                &e.registered_in_zone,
                                &e.tax_registered_in_zone,
                                &e.industry_code,
                                &e.established_on,
                                &e.taxpayer_type,
                                &e.tax_credit_rating,
                                &e.tags,
                                &e.assistance_target,
                                &at,
                                &id,
                            ],
                        )
                        .await
                        .map_err(backend)?;
                    } else {
                        tx.execute(&touch, &[&at, &id]).await.map_err(backend)?;
                    }
                }
            }
            for f in &plan.fact_writes {
                facts.id.push(id);
                facts.fact.push(f.fact.clone());
                facts.year.push(f.year);
                facts.value.push(f.value.clone());
                facts.num.push(f.num);
                facts.source.push(f.source);
                facts.as_of.push(f.as_of);
            }
            for (fact, year) in &plan.fact_deletes {
                deletes.0.push(id);
                deletes.1.push(fact);
                deletes.2.push(*year);
            }
            for c in &plan.changes {
                changes.id.push(id);
                changes.field.push(c.field.clone());
                changes.old.push(c.old.clone());
                changes.new.push(c.new.clone());
            }
        }
        if !facts.id.is_empty() {
            tx.execute(
                UPSERT_FACTS,
                &[&facts.id, &facts.fact, &facts.year, &facts.value, &facts.num, &facts.source, &facts.as_of],
            )
            .await
            .map_err(backend)?;
        }
        if !deletes.0.is_empty() {
            tx.execute(DELETE_FACTS, &[&deletes.0, &deletes.1, &deletes.2]).await.map_err(backend)?;
        }
        if !changes.id.is_empty() {
            tx.execute(
                INSERT_CHANGES,
                &[&changes.id, &changes.field, &changes.old, &changes.new, &at, &actor, &batch_id],
            )
            .await
            .map_err(backend)?;
            out.changes += changes.id.len() as u64;
        }
    }
    let (c, u, n) = (out.created as i64, out.updated as i64, out.unchanged as i64);
    tx.execute(sql::FINISH_BATCH, &[&c, &u, &n, &batch_id]).await.map_err(backend)?;
    if req.dry_run {
        tx.rollback().await.map_err(backend)?;
        out.batch_id = None;
    } else {
        tx.commit().await.map_err(backend)?;
    }
    Ok(out)
}
