//! [`JobStore`] on SQLite: every write is a job of the one writer thread, so claims are
//! serialised (one process writes at a time; `huiqi worker` and `huiqi serve` over one file
//! share the file's lock and claim correctly too).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};
use store::Result;
use store::jobs::{ClaimedJob, JobRow, JobRun, JobSpec, JobStore, outcome_text, sql};
use store::problems::china_seconds;

use crate::{SqliteStore, backend, ts};

/// Job times are stored to the second in China time, so their text compares as time.
fn t(at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    ts(china_seconds(at))
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn ensure_jobs(&self, specs: &[JobSpec], now: DateTime<FixedOffset>) -> Result<()> {
        let specs = specs.to_vec();
        self.write(move |conn| {
            for s in &specs {
                conn.execute(sql::ENSURE, params![s.name, s.every_seconds, t(now)]).map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<FixedOffset>,
        lease_until: DateTime<FixedOffset>,
    ) -> Result<Option<ClaimedJob>> {
        let owner = owner.to_string();
        self.write(move |conn| {
            conn.prepare_cached(&sql::claim_sql(false))
                .and_then(|mut st| {
                    st.query_row(params![owner, t(lease_until), t(now)], |r| {
                        Ok(ClaimedJob {
                            name: r.get(0)?,
                            due_at: r.get(1)?,
                            attempt: r.get(2)?,
                            every_seconds: r.get(3)?,
                        })
                    })
                    .optional()
                })
                .map_err(backend)
        })
        .await
    }

    async fn extend_lease(&self, job: &str, owner: &str, lease_until: DateTime<FixedOffset>) -> Result<bool> {
        let (job, owner) = (job.to_string(), owner.to_string());
        self.write(move |conn| {
            Ok(conn.execute(sql::EXTEND, params![t(lease_until), job, owner]).map_err(backend)? > 0)
        })
        .await
    }

    async fn finish_job(
        &self,
        c: &ClaimedJob,
        owner: &str,
        finished_at: DateTime<FixedOffset>,
        outcome: &str,
        next_due: DateTime<FixedOffset>,
    ) -> Result<bool> {
        let (c, owner, outcome) = (c.clone(), owner.to_string(), outcome_text(outcome));
        self.write(move |conn| {
            let n = conn
                .execute(sql::FINISH, params![t(next_due), outcome, c.name, owner, t(c.due_at)])
                .map_err(backend)?;
            if n == 0 {
                return Ok(false);
            }
            conn.execute(
                sql::INSERT_RUN,
                params![c.name, t(c.due_at), owner, c.attempt, t(finished_at), outcome],
            )
            .map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn fail_job(
        &self,
        c: &ClaimedJob,
        owner: &str,
        error: &str,
        retry_at: DateTime<FixedOffset>,
    ) -> Result<bool> {
        let (name, owner, error) = (c.name.clone(), owner.to_string(), outcome_text(error));
        self.write(move |conn| {
            Ok(conn.execute(sql::FAIL, params![t(retry_at), error, name, owner]).map_err(backend)? > 0)
        })
        .await
    }

    async fn schedule_job(&self, job: &str, at: DateTime<FixedOffset>) -> Result<bool> {
        let job = job.to_string();
        self.write(move |conn| Ok(conn.execute(sql::SCHEDULE, params![t(at), job]).map_err(backend)? > 0))
            .await
    }

    async fn jobs(&self) -> Result<Vec<JobRow>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(sql::ALL_JOBS).map_err(backend)?;
            let rows = st
                .query_map([], |r| {
                    Ok(JobRow {
                        name: r.get(0)?,
                        every_seconds: r.get(1)?,
                        due_at: r.get(2)?,
                        lease_owner: r.get(3)?,
                        lease_until: r.get(4)?,
                        attempts: r.get(5)?,
                        runs: r.get(6)?,
                        last_outcome: r.get(7)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn job_runs(&self, job: &str, limit: u32) -> Result<Vec<JobRun>> {
        let job = job.to_string();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::RUNS_OF).map_err(backend)?;
            let rows = st
                .query_map(params![job, i64::from(limit)], |r| {
                    Ok(JobRun {
                        job: r.get(0)?,
                        due_at: r.get(1)?,
                        owner: r.get(2)?,
                        attempt: r.get(3)?,
                        finished_at: r.get(4)?,
                        outcome: r.get(5)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }
}
