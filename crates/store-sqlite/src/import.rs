//! `apply_import` on SQLite: runs on the writer, inside the writer's transaction, with
//! cached prepared statements; a dry run does the same work in a savepoint and rolls it back.
//! `import_changes` ([`preview`]) plans the same way on a read connection and writes nothing.

use crate::{backend, ts};
use chrono::{DateTime, NaiveDate};
use enterprise::EnterpriseRecord;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use store::StoreError;
use store::codec::RawEnterprise;
use store::codec::{EncodedEnterprise, EncodedFact};
use store::import::{Existing, PlanKind, RecordChanges, StoredFact, plan_record};
use store::{ImportOutcome, ImportRequest, Result, sql};

/// [`sql::INSERT_ENTERPRISE`] that inserts nothing (and returns no row) when the code is
/// already stored.
const INSERT_IF_NEW: &str = "INSERT INTO enterprises (uscc, name, registered_in_zone, \
     tax_registered_in_zone, industry_code, established_on, taxpayer_type, tax_credit_rating, tags, \
     assistance_target, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
     ON CONFLICT (uscc) DO NOTHING RETURNING id";

/// What planning needs of a stored enterprise: [`sql::ENTERPRISE_BY_USCC`] without the
/// timestamps (not parsed for nothing; filled with a placeholder that is never read).
const EXISTING_BY_USCC: &str = "SELECT id, uscc, name, registered_in_zone, tax_registered_in_zone, \
     industry_code, established_on, taxpayer_type, tax_credit_rating, tags \
     FROM enterprises WHERE uscc = $1";

fn existing_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEnterprise> {
    let established: Option<String> = r.get(6)?;
    Ok(RawEnterprise {
        id: r.get(0)?,
        uscc: r.get(1)?,
        name: r.get(2)?,
        registered_in_zone: r.get(3)?,
        tax_registered_in_zone: r.get(4)?,
        industry_code: r.get(5)?,
        established_on: established.as_deref().and_then(parse_ymd),
        taxpayer_type: r.get(7)?,
        tax_credit_rating: r.get(8)?,
        tags: r.get(9)?,
        created_at: DateTime::default(),
        updated_at: DateTime::default(),
    })
}

/// Facts per multi-row INSERT: one statement for a typical enterprise's facts saves the
/// per-statement overhead of SQLite (7 × 16 = 112 parameters, under SQLite's limit).
const FACTS_PER_INSERT: usize = 16;

/// The multi-row INSERT of `n` facts (1 ≤ n ≤ [`FACTS_PER_INSERT`]).
fn insert_facts_sql(n: usize) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (0..=FACTS_PER_INSERT)
            .map(|n| {
                let rows: Vec<String> = (0..n)
                    .map(|i| {
                        let b = i * 7;
                        format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7)
                    })
                    .collect();
                format!(
                    "INSERT INTO enterprise_facts (enterprise_id, fact, year, value, num, source, as_of) VALUES {}",
                    rows.join(", ")
                )
            })
            .collect()
    });
    texts.get(n).map(String::as_str).unwrap_or_default()
}

/// `YYYY-MM-DD` texts of the dates seen so far (an import has few distinct report dates).
#[derive(Default)]
struct DateTexts(HashMap<NaiveDate, String>);

impl DateTexts {
    fn text(&mut self, d: NaiveDate) {
        self.0.entry(d).or_insert_with(|| d.format("%Y-%m-%d").to_string());
    }
    fn get(&self, d: NaiveDate) -> &dyn rusqlite::ToSql {
        match self.0.get(&d) {
            Some(s) => s,
            None => &EMPTY,
        }
    }
}
static EMPTY: &str = "";

/// Parses `YYYY-MM-DD` as stored, without going through a format string.
fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// The stored facts of an enterprise, keyed for planning.
fn stored_facts(conn: &Connection, id: i64) -> Result<HashMap<(String, i32), StoredFact>> {
    let mut st = conn.prepare_cached(sql::FACTS_OF).map_err(backend)?;
    let mut rows = st.query([id]).map_err(backend)?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next().map_err(backend)? {
        let as_of: String = r.get(4).map_err(backend)?;
        let as_of = parse_ymd(&as_of).ok_or_else(|| StoreError::Backend(format!("stored date {as_of:?}")))?;
        out.insert(
            (r.get(0).map_err(backend)?, r.get(1).map_err(backend)?),
            StoredFact { value: r.get(2).map_err(backend)?, source: r.get(3).map_err(backend)?, as_of },
        );
    }
    Ok(out)
}

/// Inserts the facts of a new enterprise with multi-row INSERTs.
fn insert_facts(conn: &Connection, id: i64, facts: &[EncodedFact], dates: &mut DateTexts) -> Result<()> {
    for chunk in facts.chunks(FACTS_PER_INSERT) {
        let mut st = conn.prepare_cached(insert_facts_sql(chunk.len())).map_err(backend)?;
        for f in chunk {
            dates.text(f.as_of);
        }
        let mut p: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 7);
        for f in chunk {
            p.extend_from_slice(&[&id, &f.fact, &f.year, &f.value, &f.num, &f.source, dates.get(f.as_of)]);
        }
        st.execute(p.as_slice()).map_err(backend)?;
    }
    Ok(())
}

/// What is stored of the enterprise with credit code `uscc`, for planning.
fn existing(
    find: &mut rusqlite::CachedStatement<'_>,
    conn: &Connection,
    uscc: &str,
) -> Result<Option<Existing>> {
    match find.query_row([uscc], existing_row).optional().map_err(backend)? {
        None => Ok(None),
        Some(raw) => {
            let facts = stored_facts(conn, raw.id)?;
            Ok(Some(Existing { id: raw.id, enterprise: raw.decode()?, facts }))
        }
    }
}

/// Plans every record against what is stored, writing nothing: `import_changes`. A code
/// named twice is refused by the records' check before this.
pub(crate) fn preview(conn: &Connection, records: &[EnterpriseRecord]) -> Result<Vec<RecordChanges>> {
    let mut find = conn.prepare_cached(EXISTING_BY_USCC).map_err(backend)?;
    let mut out = Vec::with_capacity(records.len());
    for rec in records {
        let ex = existing(&mut find, conn, rec.enterprise.uscc.as_str())?;
        out.push(RecordChanges::of(rec, plan_record(ex.as_ref(), rec)));
    }
    Ok(out)
}

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
    // Timestamps and dates are bound as text formatted once (as rusqlite would format them):
    // formatting per row is a noticeable share of a million-row import.
    let at = ts(req.actor.at).format("%F %T%.f%:z").to_string();
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

    let mut find = conn.prepare_cached(EXISTING_BY_USCC).map_err(backend)?;
    let mut insert_enterprise = conn.prepare_cached(sql::INSERT_ENTERPRISE).map_err(backend)?;
    let mut update_enterprise = conn.prepare_cached(sql::UPDATE_ENTERPRISE).map_err(backend)?;
    let mut touch = conn.prepare_cached(sql::TOUCH_ENTERPRISE).map_err(backend)?;
    let mut upsert_fact = conn.prepare_cached(sql::UPSERT_FACT).map_err(backend)?;
    let mut insert_change = conn.prepare_cached(sql::INSERT_CHANGE).map_err(backend)?;

    let mut insert_new = conn.prepare_cached(INSERT_IF_NEW).map_err(backend)?;
    let mut dates = DateTexts::default();

    for rec in &req.records {
        let e = EncodedEnterprise::new(&rec.enterprise);
        // Most rows of a large import are new: try the insert first, and read what is stored
        // only when the code is taken.
        let inserted: Option<i64> = insert_new
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
                    e.assistance_target,
                    at
                ],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        if let Some(id) = inserted {
            let plan = plan_record(None, rec);
            out.created += 1;
            insert_facts(conn, id, &plan.fact_writes, &mut dates)?;
            for c in &plan.changes {
                insert_change
                    .execute(params![id, at, actor, c.field, c.old, c.new, batch_id])
                    .map_err(backend)?;
                out.changes += 1;
            }
            continue;
        }
        let existing = existing(&mut find, conn, &e.uscc)?;
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
                            e.assistance_target,
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
                    let e = EncodedEnterprise::new(plan.enterprise(rec));
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
                            e.assistance_target,
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
        if existing.is_none() {
            insert_facts(conn, id, &plan.fact_writes, &mut dates)?;
        } else {
            for f in &plan.fact_writes {
                let EncodedFact { fact, year, value, num, source, as_of } = f;
                dates.text(*as_of);
                upsert_fact
                    .execute(params![id, fact, year, value, num, source, dates.get(*as_of)])
                    .map_err(backend)?;
            }
            for (fact, year) in &plan.fact_deletes {
                conn.prepare_cached(sql::DELETE_FACT)
                    .and_then(|mut st| st.execute(params![id, fact, year]))
                    .map_err(backend)?;
            }
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
