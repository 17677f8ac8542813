//! [`MatchStore`] on SQLite: a run is one job of the writer thread (one transaction); its
//! eligible pairs are inserted in the primary key's order, [`ROWS_PER_INSERT`] rows per
//! statement (one prepared multi-row `INSERT` reused: a statement per pair cost as much in
//! SQLite's VM entry and exit as in the insert itself). Reads run on the read pool.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::params;
use store::Result;
use store::matches::{self, MatchCount, MatchEligible, MatchRun, MatchStore, NewMatchRun, sql};

use crate::{SqliteStore, backend, ts};

/// Eligible pairs per `INSERT` statement (4 parameters each, far below SQLite's limit).
const ROWS_PER_INSERT: usize = 256;

/// The multi-row insert of `rows` eligible pairs.
fn insert_results(rows: usize) -> String {
    let mut q = String::from("INSERT INTO match_run_results (run_id, enterprise_id, item, amount) VALUES ");
    for k in 0..rows {
        q.push_str(if k == 0 { "(?, ?, ?, ?)" } else { ", (?, ?, ?, ?)" });
    }
    q
}

/// Inserts the run's eligible pairs, in (enterprise, item) order, a full statement at a time.
fn write_results(conn: &rusqlite::Connection, id: i64, run: &NewMatchRun) -> Result<()> {
    let full = insert_results(ROWS_PER_INSERT);
    let mut st = conn.prepare(&full).map_err(backend)?;
    let mut chunk: Vec<(i64, &str, Option<String>)> = Vec::with_capacity(ROWS_PER_INSERT);
    let flush = |st: &mut rusqlite::Statement<'_>, chunk: &[(i64, &str, Option<String>)]| -> Result<()> {
        for (k, (enterprise, item, amount)) in chunk.iter().enumerate() {
            let p = 4 * k;
            st.raw_bind_parameter(p + 1, id).map_err(backend)?;
            st.raw_bind_parameter(p + 2, enterprise).map_err(backend)?;
            st.raw_bind_parameter(p + 3, item).map_err(backend)?;
            st.raw_bind_parameter(p + 4, amount.as_deref()).map_err(backend)?;
        }
        st.raw_execute().map_err(backend)?;
        Ok(())
    };
    for (enterprise, item, amount) in run.pairs() {
        chunk.push((enterprise, item, amount.map(|a| a.to_string())));
        if chunk.len() == ROWS_PER_INSERT {
            flush(&mut st, &chunk)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        let mut rest = conn.prepare(&insert_results(chunk.len())).map_err(backend)?;
        flush(&mut rest, &chunk)?;
    }
    let mut st = conn.prepare_cached(sql::INSERT_UNDETERMINED).map_err(backend)?;
    for u in &run.undetermined {
        for e in &u.enterprise_ids {
            st.execute(params![id, u.item, e]).map_err(backend)?;
        }
    }
    Ok(())
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl MatchStore for SqliteStore {
    async fn record_match_run(&self, run: NewMatchRun) -> Result<i64> {
        self.write_alone(move |conn| {
            let at = ts(run.actor.at).format("%F %T%.f%:z").to_string();
            conn.execute(
                "INSERT INTO match_runs (at, actor, date, library_fingerprint, enterprises, items, load_ms, \
                 eval_ms, tax_year) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                params![
                    at,
                    run.actor.username,
                    run.date.format("%Y-%m-%d").to_string(),
                    run.library_fingerprint,
                    clamp(run.enterprises),
                    clamp(run.items),
                    clamp(run.load_ms),
                    clamp(run.eval_ms),
                    run.tax_year
                ],
            )
            .map_err(backend)?;
            let id = conn.last_insert_rowid();
            let mut st = conn.prepare_cached(sql::INSERT_COUNT).map_err(backend)?;
            for c in &run.counts {
                st.execute(params![
                    id,
                    c.item,
                    clamp(c.eligible),
                    clamp(c.ineligible),
                    clamp(c.undetermined),
                    c.total_amount.to_string(),
                    c.benefit_kind,
                    c.period,
                    clamp(c.amount_missing),
                    c.superseded_by
                ])
                .map_err(backend)?;
            }
            write_results(conn, id, &run)?;
            Ok(id)
        })
        .await
    }

    async fn match_runs(&self, limit: u64) -> Result<Vec<MatchRun>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::LIST_RUNS).map_err(backend)?;
            let rows = st
                .query_map([clamp(limit)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, DateTime<FixedOffset>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, NaiveDate>(3)?,
                        r.get::<_, String>(4)?,
                        [r.get::<_, i64>(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
                        r.get::<_, Option<i32>>(9)?,
                    ))
                })
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            let mut st = conn.prepare_cached(sql::COUNTS_OF).map_err(backend)?;
            let mut out = Vec::new();
            for (id, at, actor, date, library_fingerprint, n, tax_year) in rows {
                let raw = st
                    .query_map([id], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            [r.get::<_, i64>(1)?, r.get(2)?, r.get(3)?, r.get(7)?],
                            r.get::<_, String>(4)?,
                            [r.get::<_, Option<String>>(5)?, r.get(6)?, r.get(8)?],
                        ))
                    })
                    .map_err(backend)?
                    .collect::<rusqlite::Result<Vec<(String, [i64; 4], String, [Option<String>; 3])>>>()
                    .map_err(backend)?;
                let counts = raw
                    .into_iter()
                    .map(|(item, c, total, [benefit_kind, period, superseded_by])| {
                        Ok(MatchCount {
                            item,
                            eligible: count(c[0]),
                            ineligible: count(c[1]),
                            undetermined: count(c[2]),
                            total_amount: matches::parse_amount(&total)?,
                            benefit_kind,
                            period,
                            amount_missing: count(c[3]),
                            superseded_by,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                out.push(MatchRun {
                    id,
                    at: ts(at),
                    actor,
                    date,
                    tax_year,
                    library_fingerprint,
                    enterprises: count(n[0]),
                    items: count(n[1]),
                    load_ms: count(n[2]),
                    eval_ms: count(n[3]),
                    counts,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn match_run_eligible(&self, run_id: i64) -> Result<Vec<MatchEligible>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::RESULTS_OF).map_err(backend)?;
            let raw = st
                .query_map([run_id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
                })
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            raw.into_iter()
                .map(|(enterprise_id, item, amount)| {
                    Ok(MatchEligible {
                        enterprise_id,
                        item,
                        amount: amount.as_deref().map(matches::parse_amount).transpose()?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn match_run_item(&self, run_id: i64, item: &str) -> Result<(Vec<i64>, Vec<i64>)> {
        let item = item.to_string();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::RESULTS_OF_ITEM).map_err(backend)?;
            let eligible = st
                .query_map(params![run_id, item], |r| r.get::<_, i64>(0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            let mut st = conn.prepare_cached(sql::UNDETERMINED_OF_ITEM).map_err(backend)?;
            let undetermined = st
                .query_map(params![run_id, item], |r| r.get::<_, i64>(0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            Ok((eligible, undetermined))
        })
        .await
    }
}
