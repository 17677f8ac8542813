//! [`JobStore`] on PostgreSQL: the claim is one `UPDATE` whose inner `SELECT … FOR UPDATE
//! SKIP LOCKED` picks the row, so concurrent workers on several servers never take the same
//! job nor wait on one another; a finish writes the run and the next due time in one
//! transaction, only while the lease is still the finisher's.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use store::Result;
use store::jobs::{ClaimedJob, JobRow, JobRun, JobSpec, JobStore, outcome_text, sql};
use store::problems::china_seconds;
use tokio_postgres::Row;

use crate::{PgStore, backend, china};

fn claimed(r: &Row) -> Result<ClaimedJob> {
    Ok(ClaimedJob {
        name: r.try_get(0).map_err(backend)?,
        due_at: china(r.try_get::<_, DateTime<FixedOffset>>(1).map_err(backend)?),
        attempt: r.try_get(2).map_err(backend)?,
        every_seconds: r.try_get(3).map_err(backend)?,
    })
}

#[async_trait]
impl JobStore for PgStore {
    async fn ensure_jobs(&self, specs: &[JobSpec], now: DateTime<FixedOffset>) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let now = china_seconds(now);
        for s in specs {
            tx.execute(sql::ENSURE, &[&s.name, &s.every_seconds, &now]).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<FixedOffset>,
        lease_until: DateTime<FixedOffset>,
    ) -> Result<Option<ClaimedJob>> {
        let client = self.client().await?;
        let st = client.prepare_cached(&sql::claim_sql(true)).await.map_err(backend)?;
        let row = client.query_opt(&st, &[&owner, &lease_until, &now]).await.map_err(backend)?;
        row.as_ref().map(claimed).transpose()
    }

    async fn extend_lease(&self, job: &str, owner: &str, lease_until: DateTime<FixedOffset>) -> Result<bool> {
        let client = self.client().await?;
        Ok(client.execute(sql::EXTEND, &[&lease_until, &job, &owner]).await.map_err(backend)? > 0)
    }

    async fn finish_job(
        &self,
        c: &ClaimedJob,
        owner: &str,
        finished_at: DateTime<FixedOffset>,
        outcome: &str,
        next_due: DateTime<FixedOffset>,
    ) -> Result<bool> {
        let outcome = outcome_text(outcome);
        let next_due = china_seconds(next_due);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx
            .execute(sql::FINISH, &[&next_due, &outcome, &c.name, &owner, &c.due_at])
            .await
            .map_err(backend)?;
        if n == 0 {
            tx.rollback().await.map_err(backend)?;
            return Ok(false);
        }
        tx.execute(sql::INSERT_RUN, &[&c.name, &c.due_at, &owner, &c.attempt, &finished_at, &outcome])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn fail_job(
        &self,
        c: &ClaimedJob,
        owner: &str,
        error: &str,
        retry_at: DateTime<FixedOffset>,
    ) -> Result<bool> {
        let client = self.client().await?;
        let error = outcome_text(error);
        let retry_at = china_seconds(retry_at);
        Ok(client.execute(sql::FAIL, &[&retry_at, &error, &c.name, &owner]).await.map_err(backend)? > 0)
    }

    async fn schedule_job(&self, job: &str, at: DateTime<FixedOffset>) -> Result<bool> {
        let client = self.client().await?;
        let at = china_seconds(at);
        Ok(client.execute(sql::SCHEDULE, &[&at, &job]).await.map_err(backend)? > 0)
    }

    async fn jobs(&self) -> Result<Vec<JobRow>> {
        let client = self.client().await?;
        let rows = client.query(sql::ALL_JOBS, &[]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(JobRow {
                    name: r.try_get(0).map_err(backend)?,
                    every_seconds: r.try_get(1).map_err(backend)?,
                    due_at: china(r.try_get::<_, DateTime<FixedOffset>>(2).map_err(backend)?),
                    lease_owner: r.try_get(3).map_err(backend)?,
                    lease_until: r
                        .try_get::<_, Option<DateTime<FixedOffset>>>(4)
                        .map_err(backend)?
                        .map(china),
                    attempts: r.try_get(5).map_err(backend)?,
                    runs: r.try_get(6).map_err(backend)?,
                    last_outcome: r.try_get(7).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn job_runs(&self, job: &str, limit: u32) -> Result<Vec<JobRun>> {
        let client = self.client().await?;
        let rows = client.query(sql::RUNS_OF, &[&job, &i64::from(limit)]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(JobRun {
                    job: r.try_get(0).map_err(backend)?,
                    due_at: china(r.try_get::<_, DateTime<FixedOffset>>(1).map_err(backend)?),
                    owner: r.try_get(2).map_err(backend)?,
                    attempt: r.try_get(3).map_err(backend)?,
                    finished_at: china(r.try_get::<_, DateTime<FixedOffset>>(4).map_err(backend)?),
                    outcome: r.try_get(5).map_err(backend)?,
                })
            })
            .collect()
    }
}
