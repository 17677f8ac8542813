//! Scheduled jobs run once across every server and worker over the database (issue 16): a
//! row per job in `jobs` (migration 0018) with when it is next due and who holds it, and a
//! row per finished run in `job_runs`.
//!
//! A worker **claims** a due job by taking a lease on it ([`JobStore::claim_job`]: on
//! PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` inside the claiming `UPDATE`, so concurrent
//! workers never wait on each other nor take the same job; on SQLite the one writer
//! serialises claims), **extends** the lease while it works, and **finishes** the run
//! ([`JobStore::finish_job`]): the next due time and a `job_runs` row in one transaction,
//! only while it still holds the lease. A worker that dies (SIGKILL, power cut) holds its
//! lease until it runs out; then any other worker claims the job again and runs it from the
//! start, so every job must be idempotent (the sweep closes only what is still open; purges
//! delete only what has expired). `job_runs` has one row per due time (`UNIQUE (job, due_at)`):
//! a run that lost its lease cannot record a second finish of the same occurrence.
//!
//! Times come from the caller (the store never reads the clock); leases compare the workers'
//! clocks, which must agree to well within a lease (NTP; docs/DEPLOYMENT.md).
//!
//! What it leaves out: what the jobs do and how often (`app::jobs`), the worker loop (`app::jobs`).

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Duration, FixedOffset};

/// A job the application runs periodically: its name and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub name: String,
    /// Seconds between two due times.
    pub every_seconds: i64,
}

/// A job a worker holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub name: String,
    /// The due time this run is for (identifies the occurrence).
    pub due_at: DateTime<FixedOffset>,
    /// How many times this occurrence has been claimed, this claim included (more than 1:
    /// a previous holder died or failed).
    pub attempt: i32,
    pub every_seconds: i64,
}

/// A job's row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub name: String,
    pub every_seconds: i64,
    pub due_at: DateTime<FixedOffset>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<FixedOffset>>,
    pub attempts: i32,
    pub runs: i64,
    pub last_outcome: Option<String>,
}

/// One finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub job: String,
    pub due_at: DateTime<FixedOffset>,
    pub owner: String,
    pub attempt: i32,
    pub finished_at: DateTime<FixedOffset>,
    /// What the run did, in words (`closed 3`), at most [`MAX_OUTCOME`] characters.
    pub outcome: String,
}

/// The longest outcome text kept.
pub const MAX_OUTCOME: usize = 500;

/// The due time after a run of the occurrence due at `due_at` finished at `now`: one period
/// later, or a period from now when the schedule fell behind (a zone whose workers were all
/// down runs a missed job once, not once per missed period).
pub fn next_due(
    due_at: DateTime<FixedOffset>,
    every_seconds: i64,
    now: DateTime<FixedOffset>,
) -> DateTime<FixedOffset> {
    let every = Duration::seconds(every_seconds.max(1));
    let next = due_at + every;
    if next > now { next } else { now + every }
}

/// When a failed run is tried again: a minute after the first failure, doubling, at most an hour.
pub fn retry_at(attempt: i32, now: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(6);
    now + Duration::minutes((1i64 << doublings).min(60))
}

/// Cuts an outcome text to [`MAX_OUTCOME`] characters.
pub fn outcome_text(s: &str) -> String {
    s.chars().take(MAX_OUTCOME).collect()
}

/// The scheduled jobs in the store. Object safe; every backend implements it.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Makes sure every job of `specs` has its row (a new one due at `now`) with its period.
    async fn ensure_jobs(&self, specs: &[JobSpec], now: DateTime<FixedOffset>) -> Result<()>;

    /// Claims one due job whose lease is free or ran out (the earliest due first), leasing it
    /// to `owner` until `lease_until`. `None` when nothing is due.
    async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<FixedOffset>,
        lease_until: DateTime<FixedOffset>,
    ) -> Result<Option<ClaimedJob>>;

    /// Extends a held lease. `false` when `owner` no longer holds the job.
    async fn extend_lease(&self, job: &str, owner: &str, lease_until: DateTime<FixedOffset>) -> Result<bool>;

    /// Records a finished run and schedules the next at `next_due`, in one transaction, if
    /// `owner` still holds this occurrence. `false` (nothing written) when it does not.
    async fn finish_job(
        &self,
        claimed: &ClaimedJob,
        owner: &str,
        finished_at: DateTime<FixedOffset>,
        outcome: &str,
        next_due: DateTime<FixedOffset>,
    ) -> Result<bool>;

    /// Releases a failed run, to be tried again at `retry_at`. `false` when `owner` no longer
    /// holds the job.
    async fn fail_job(
        &self,
        claimed: &ClaimedJob,
        owner: &str,
        error: &str,
        retry_at: DateTime<FixedOffset>,
    ) -> Result<bool>;

    /// Makes a job due at `at` (an operator's "run it now"). `false` for an unknown job.
    async fn schedule_job(&self, job: &str, at: DateTime<FixedOffset>) -> Result<bool>;

    /// Every job, by name.
    async fn jobs(&self) -> Result<Vec<JobRow>>;

    /// The finished runs of a job, oldest first, at most `limit` (the newest ones).
    async fn job_runs(&self, job: &str, limit: u32) -> Result<Vec<JobRun>>;
}

/// The statements both dialects accept (the claim differs: [`claim_sql`]).
pub mod sql {
    pub const ENSURE: &str = "INSERT INTO jobs (name, every_seconds, due_at, attempts, runs) \
         VALUES ($1, $2, $3, 0, 0) ON CONFLICT (name) DO UPDATE SET every_seconds = excluded.every_seconds";
    pub const EXTEND: &str = "UPDATE jobs SET lease_until = $1 WHERE name = $2 AND lease_owner = $3";
    pub const FINISH: &str = "UPDATE jobs SET due_at = $1, lease_owner = NULL, lease_until = NULL, \
         attempts = 0, runs = runs + 1, last_outcome = $2 WHERE name = $3 AND lease_owner = $4 AND due_at = $5";
    pub const INSERT_RUN: &str = "INSERT INTO job_runs (job, due_at, owner, attempt, finished_at, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6)";
    pub const FAIL: &str = "UPDATE jobs SET due_at = $1, lease_owner = NULL, lease_until = NULL, \
         last_outcome = $2 WHERE name = $3 AND lease_owner = $4";
    pub const SCHEDULE: &str = "UPDATE jobs SET due_at = $1 WHERE name = $2";
    pub const ALL_JOBS: &str = "SELECT name, every_seconds, due_at, lease_owner, lease_until, attempts, runs, \
         last_outcome FROM jobs ORDER BY name";
    pub const RUNS_OF: &str = "SELECT job, due_at, owner, attempt, finished_at, outcome FROM \
         (SELECT * FROM job_runs WHERE job = $1 ORDER BY id DESC LIMIT $2) r ORDER BY finished_at, due_at";

    /// The claim: one due job whose lease is free or ran out, earliest first. On PostgreSQL the
    /// inner select locks the row it picks and skips rows other claimers hold
    /// (`FOR UPDATE SKIP LOCKED`); the outer `UPDATE` re-checks the lease on the locked row.
    pub fn claim_sql(skip_locked: bool) -> String {
        format!(
            "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE name = (SELECT name FROM jobs WHERE due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
             ORDER BY due_at, name LIMIT 1{}) AND (lease_until IS NULL OR lease_until <= $3) \
             RETURNING name, due_at, attempts, every_seconds",
            if skip_locked { " FOR UPDATE SKIP LOCKED" } else { "" }
        )
    }

    /// Every text, for the placeholder-order test.
    pub const ALL: &[&str] = &[ENSURE, EXTEND, FINISH, INSERT_RUN, FAIL, SCHEDULE, ALL_JOBS, RUNS_OF];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn every_text_numbers_its_parameters_in_order() {
        for text in
            sql::ALL.iter().copied().map(String::from).chain([sql::claim_sql(true), sql::claim_sql(false)])
        {
            let order = crate::sql::placeholder_order(&text);
            assert!(order.iter().enumerate().all(|(i, n)| *n == i + 1), "{text}");
        }
    }

    #[test]
    fn a_late_schedule_runs_once_then_keeps_its_period_from_now() {
        let due = at("2024-03-01T10:00:00+08:00");
        assert_eq!(next_due(due, 3600, at("2024-03-01T10:00:05+08:00")), at("2024-03-01T11:00:00+08:00"));
        // Down for a day: once now, the next an hour later, not 24 catch-up runs.
        assert_eq!(next_due(due, 3600, at("2024-03-02T10:30:00+08:00")), at("2024-03-02T11:30:00+08:00"));
    }

    #[test]
    fn failures_back_off_up_to_an_hour() {
        let now = at("2024-03-01T10:00:00+08:00");
        assert_eq!(retry_at(1, now), at("2024-03-01T10:01:00+08:00"));
        assert_eq!(retry_at(3, now), at("2024-03-01T10:04:00+08:00"));
        assert_eq!(retry_at(40, now), at("2024-03-01T11:00:00+08:00"));
        assert_eq!(outcome_text(&"x".repeat(900)).len(), MAX_OUTCOME);
    }
}
