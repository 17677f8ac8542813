//! [`MatchStore`] on PostgreSQL: a run in one transaction (the eligible results in chunks of
//! `UNNEST` arrays); the SQL path in a read-only transaction.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use store::matches::{self, DbOutcome, MatchCount, MatchEligible, MatchRun, MatchStore, NewMatchRun, sql};
use store::{Result, StoreError};
use tokio_postgres::Row;

use crate::{PgStore, backend, china, clamp};

/// Eligible results written per statement.
const CHUNK: usize = 10_000;

const INSERT_RESULTS: &str = "INSERT INTO match_run_results (run_id, enterprise_id, item, amount) \
    SELECT $1, * FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::TEXT[])";

fn n(r: &Row, i: usize) -> Result<u64> {
    let v: i64 = r.try_get(i).map_err(backend)?;
    Ok(u64::try_from(v).unwrap_or(0))
}

#[async_trait]
impl MatchStore for PgStore {
    async fn record_match_run(&self, run: NewMatchRun) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let row = tx
            .query_one(
                "INSERT INTO match_runs (at, actor, date, library_fingerprint, enterprises, items, load_ms, \
                 eval_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &run.actor.at,
                    &run.actor.username,
                    &run.date,
                    &run.library_fingerprint,
                    &clamp(run.enterprises),
                    &clamp(run.items),
                    &clamp(run.load_ms),
                    &clamp(run.eval_ms),
                ],
            )
            .await
            .map_err(backend)?;
        let id: i64 = row.try_get(0).map_err(backend)?;
        let st = tx.prepare(sql::INSERT_COUNT).await.map_err(backend)?;
        for c in &run.counts {
            tx.execute(
                &st,
                &[
                    &id,
                    &c.item,
                    &clamp(c.eligible),
                    &clamp(c.ineligible),
                    &clamp(c.undetermined),
                    &c.total_amount.to_string(),
                ],
            )
            .await
            .map_err(backend)?;
        }
        for chunk in run.eligible.chunks(CHUNK) {
            let ids: Vec<i64> = chunk.iter().map(|r| r.enterprise_id).collect();
            let items: Vec<&str> = chunk.iter().map(|r| r.item.as_str()).collect();
            let amounts: Vec<Option<String>> =
                chunk.iter().map(|r| r.amount.map(|a| a.to_string())).collect();
            tx.execute(INSERT_RESULTS, &[&id, &ids, &items, &amounts]).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn match_runs(&self, limit: u64) -> Result<Vec<MatchRun>> {
        let client = self.client().await?;
        let rows = client.query(sql::LIST_RUNS, &[&clamp(limit)]).await.map_err(backend)?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get(0).map_err(backend)?;
            let mut counts = Vec::new();
            for c in client.query(sql::COUNTS_OF, &[&id]).await.map_err(backend)? {
                let total: String = c.try_get(4).map_err(backend)?;
                counts.push(MatchCount {
                    item: c.try_get(0).map_err(backend)?,
                    eligible: n(&c, 1)?,
                    ineligible: n(&c, 2)?,
                    undetermined: n(&c, 3)?,
                    total_amount: matches::parse_amount(&total)?,
                });
            }
            out.push(MatchRun {
                id,
                at: china(r.try_get::<_, DateTime<FixedOffset>>(1).map_err(backend)?),
                actor: r.try_get(2).map_err(backend)?,
                date: r.try_get::<_, NaiveDate>(3).map_err(backend)?,
                library_fingerprint: r.try_get(4).map_err(backend)?,
                enterprises: n(&r, 5)?,
                items: n(&r, 6)?,
                load_ms: n(&r, 7)?,
                eval_ms: n(&r, 8)?,
                counts,
            });
        }
        Ok(out)
    }

    async fn match_run_eligible(&self, run_id: i64) -> Result<Vec<MatchEligible>> {
        let client = self.client().await?;
        let rows = client.query(sql::RESULTS_OF, &[&run_id]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                let amount: Option<String> = r.try_get(2).map_err(backend)?;
                Ok(MatchEligible {
                    enterprise_id: r.try_get(0).map_err(backend)?,
                    item: r.try_get(1).map_err(backend)?,
                    amount: amount.as_deref().map(matches::parse_amount).transpose()?,
                })
            })
            .collect()
    }

    async fn outcomes_in_database(&self, condition: &str) -> Result<Vec<DbOutcome>> {
        let query = matches::outcome_query(condition);
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let rows =
            tx.query(query.as_str(), &[]).await.map_err(|e| StoreError::Backend(format!("{e}: {query}")))?;
        let out = rows
            .iter()
            .map(|r| {
                let id: i64 = r.try_get(0).map_err(backend)?;
                let o: Option<i32> = r.try_get(1).map_err(backend)?;
                Ok((id, o.map(|v| v == 1)))
            })
            .collect::<Result<Vec<_>>>()?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}
