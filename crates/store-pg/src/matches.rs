//! [`MatchStore`] on PostgreSQL: a run in one transaction, its eligible pairs streamed in the
//! primary key's order through one binary `COPY` (a zone of a million enterprises has
//! millions of pairs; `COPY` skips the per-statement planning and the parameter arrays the
//! earlier `UNNEST` chunks needed), then their enterprises checked with one anti-join (the
//! row-by-row foreign keys were dropped by migration 0008: see there why).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use store::matches::{self, MatchCount, MatchEligible, MatchRun, MatchStore, NewMatchRun, sql};
use store::{Result, StoreError};
use tokio_postgres::Row;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use crate::{PgStore, backend, china, clamp};

const COPY_UNDETERMINED: &str = "COPY match_run_undetermined (run_id, item, enterprise_id) FROM STDIN BINARY";
const COPY_RESULTS: &str = "COPY match_run_results (run_id, enterprise_id, item, amount) FROM STDIN BINARY";

/// Eligible pairs of a run whose enterprise does not exist.
const UNKNOWN_ENTERPRISES: &str = "SELECT count(*) FROM match_run_results r \
    WHERE r.run_id = $1 AND NOT EXISTS (SELECT 1 FROM enterprises e WHERE e.id = r.enterprise_id)";

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
                 eval_ms, tax_year) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &run.actor.at,
                    &run.actor.username,
                    &run.date,
                    &run.library_fingerprint,
                    &clamp(run.enterprises),
                    &clamp(run.items),
                    &clamp(run.load_ms),
                    &clamp(run.eval_ms),
                    &run.tax_year,
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
                    &c.benefit_kind,
                    &c.period,
                    &clamp(c.amount_missing),
                    &c.superseded_by,
                ],
            )
            .await
            .map_err(backend)?;
        }
        if run.pair_count() > 0 {
            let sink = tx.copy_in(COPY_RESULTS).await.map_err(backend)?;
            let writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT8, Type::TEXT, Type::TEXT]);
            futures_util::pin_mut!(writer);
            for (enterprise, item, amount) in run.pairs() {
                let amount = amount.map(|a| a.to_string());
                writer.as_mut().write(&[&id, &enterprise, &item, &amount]).await.map_err(backend)?;
            }
            writer.finish().await.map_err(backend)?;
            // The references the foreign keys checked row by row (dropped by migration 0008),
            // checked at once: a pair naming no enterprise fails the whole run.
            let missing: i64 = tx
                .query_one(UNKNOWN_ENTERPRISES, &[&id])
                .await
                .map_err(backend)?
                .try_get(0)
                .map_err(backend)?;
            if missing > 0 {
                return Err(StoreError::Backend(format!(
                    "match run names {missing} enterprises that do not exist; nothing was stored"
                )));
            }
        }
        if run.undetermined.iter().any(|u| !u.enterprise_ids.is_empty()) {
            let sink = tx.copy_in(COPY_UNDETERMINED).await.map_err(backend)?;
            let writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::TEXT, Type::INT8]);
            futures_util::pin_mut!(writer);
            for u in &run.undetermined {
                for e in &u.enterprise_ids {
                    writer.as_mut().write(&[&id, &u.item, e]).await.map_err(backend)?;
                }
            }
            writer.finish().await.map_err(backend)?;
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
                    benefit_kind: c.try_get(5).map_err(backend)?,
                    period: c.try_get(6).map_err(backend)?,
                    amount_missing: n(&c, 7)?,
                    superseded_by: c.try_get(8).map_err(backend)?,
                });
            }
            out.push(MatchRun {
                id,
                at: china(r.try_get::<_, DateTime<FixedOffset>>(1).map_err(backend)?),
                actor: r.try_get(2).map_err(backend)?,
                date: r.try_get::<_, NaiveDate>(3).map_err(backend)?,
                tax_year: r.try_get(9).map_err(backend)?,
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

    async fn match_run_item(&self, run_id: i64, item: &str) -> Result<(Vec<i64>, Vec<i64>)> {
        let client = self.client().await?;
        let eligible = client
            .query(sql::RESULTS_OF_ITEM, &[&run_id, &item])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| r.try_get::<_, i64>(0).map_err(backend))
            .collect::<Result<Vec<_>>>()?;
        let undetermined = client
            .query(sql::UNDETERMINED_OF_ITEM, &[&run_id, &item])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| r.try_get::<_, i64>(0).map_err(backend))
            .collect::<Result<Vec<_>>>()?;
        Ok((eligible, undetermined))
    }
}
