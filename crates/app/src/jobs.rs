//! Scheduled jobs (定时任务), run once across every server and worker over the database
//! (issue 16): the sweep that closes answers left unconfirmed, the purges of expired
//! sessions and request state, and push (issue 12): the inboxes of new match runs and the
//! outbox's deliveries. Before, nothing ran them on a schedule (`huiqi problem sweep`
//! by hand) and each server purged sessions on its own.
//!
//! - [`catalogue`]: the jobs and how often they are due. Each is idempotent: run twice for one
//!   due time (a worker died after doing the work but before recording it), it changes
//!   nothing the second time (the sweep closes only answers still open; purges delete only
//!   what has expired).
//! - [`Worker`]: claims a due job with a lease ([`store::jobs`]: `FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL), runs it while extending the lease every third of it, records the run and
//!   the next due time, or releases it to be retried later on failure. A worker that dies
//!   keeps its lease until it runs out; then another claims the job and runs it again.
//!   `huiqi serve` runs a worker beside the web server unless `--no-jobs`; `huiqi worker` runs
//!   one alone.
//!
//! Times are the [`App`]'s clock; workers' clocks must agree to well within a lease.
//!
//! What it leaves out: the claim and lease SQL (`store-*`), process signals (the binary).

use crate::{App, Error, Result};
use chrono::Duration;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use store::jobs::{ClaimedJob, JobRow, JobRun, JobSpec, next_due, retry_at};

/// What a job's run returns: its outcome in words, kept with the run.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<String>> + Send>>;

/// A job's work, given the application and the claim it runs for.
pub type JobBody = Arc<dyn Fn(App, ClaimedJob) -> JobFuture + Send + Sync>;

/// A scheduled job.
#[derive(Clone)]
pub struct Job {
    pub name: String,
    pub every: Duration,
    pub body: JobBody,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("name", &self.name).field("every", &self.every).finish_non_exhaustive()
    }
}

impl Job {
    pub fn new<F, Fut>(name: &str, every: Duration, body: F) -> Job
    where
        F: Fn(App, ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String>> + Send + 'static,
    {
        Job { name: name.to_string(), every, body: Arc::new(move |app, c| Box::pin(body(app, c))) }
    }

    fn spec(&self) -> JobSpec {
        JobSpec { name: self.name.clone(), every_seconds: self.every.num_seconds().max(1) }
    }
}

/// The sweep: answers whose confirmation limit ended are closed without confirmation
/// ([`crate::problems::sweep`]), hourly.
pub const SWEEP: &str = "sweep";
/// Expired sessions and tokens deleted, hourly.
pub const PURGE_SESSIONS: &str = "purge_sessions";
/// Expired anonymous sessions and abandoned import dry runs deleted, every ten minutes.
pub const PURGE_REQUEST_STATE: &str = "purge_request_state";

/// The inboxes of new match runs generated ([`crate::inbox::generate`]), every minute and at
/// once after a run.
pub const INBOX: &str = "inbox";
/// Due outbox rows delivered on their channels ([`crate::push::deliver`]), every minute and
/// at once after an inbox generation wrote messages.
pub const DELIVER: &str = "deliver";

/// Warnings (黄灯, 红灯) told to the lead departments once a problem's light turns
/// ([`crate::notifications::generate_warnings`]), every five minutes: each problem and light
/// once, however often it runs.
pub const WARNINGS: &str = "warnings";
/// Closes legal consultations whose answer was not confirmed in time (`app::legal`).
pub const LEGAL_CLOSE: &str = "legal_close";

/// The name this process holds outbox leases under.
fn delivery_owner() -> &'static str {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER.get_or_init(|| format!("deliver:{}:{}", std::process::id(), &crate::sessions::new_token()[..8]))
}

/// The jobs every deployment runs.
pub fn catalogue() -> Vec<Job> {
    vec![
        Job::new(SWEEP, Duration::hours(1), |app, _| async move {
            let n = crate::problems::sweep(&app, None).await?;
            Ok(format!("closed {n}"))
        }),
        Job::new(PURGE_SESSIONS, Duration::hours(1), |app, _| async move {
            let n = crate::sessions::purge_expired(&app, app.now()).await?;
            Ok(format!("purged {n}"))
        }),
        Job::new(PURGE_REQUEST_STATE, Duration::minutes(10), |app, _| async move {
            let p = app.store.purge_request_state(app.now()).await?;
            Ok(format!("anonymous sessions {}, kept files {}", p.anonymous_sessions, p.kept_files))
        }),
        Job::new(INBOX, Duration::minutes(1), |app, _| async move {
            let done = crate::inbox::generate(&app).await?;
            let (newly, almost): (u64, u64) =
                done.iter().fold((0, 0), |(n, a), g| (n + g.newly_eligible, a + g.almost_eligible));
            if newly + almost > 0
                && let Err(e) = run_now(&app, DELIVER).await
            {
                tracing::debug!(error = %e, "the delivery job could not be made due now");
            }
            Ok(format!("runs {}, newly eligible {newly}, almost eligible {almost}", done.len()))
        }),
        Job::new(WARNINGS, Duration::minutes(5), |app, _| async move {
            let n = crate::notifications::generate_warnings(&app).await?;
            Ok(format!("warnings {n}"))
        }),
        Job::new(DELIVER, Duration::minutes(1), |app, _| async move {
            let d = crate::push::deliver(&app, &crate::push::DeliveryConfig::new(delivery_owner())).await?;
            Ok(format!("sent {}, retried {}, dead {}", d.sent, d.retried, d.dead))
        }),
        Job::new(LEGAL_CLOSE, Duration::hours(1), |app, _| async move {
            let n = crate::legal::close_unconfirmed(&app).await?;
            Ok(format!("closed {n}"))
        }),
    ]
}

/// How a worker claims and holds jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// The name this worker holds leases under (host, process and a random part: unique).
    pub owner: String,
    /// How long a claim holds without being extended: how long a dead worker's job waits.
    pub lease: Duration,
    /// How often an idle worker looks for due jobs.
    pub poll: std::time::Duration,
}

impl WorkerConfig {
    /// A minute's lease, a look every five seconds.
    pub fn new(owner: impl Into<String>) -> WorkerConfig {
        WorkerConfig {
            owner: owner.into(),
            lease: Duration::seconds(60),
            poll: std::time::Duration::from_secs(5),
        }
    }
}

/// A name for a worker: `<host>:<pid>:<random>`.
pub fn worker_name(host: &str) -> String {
    format!("{host}:{}:{}", std::process::id(), &crate::sessions::new_token()[..8])
}

/// One run of a job by this worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub job: String,
    pub attempt: i32,
    /// The outcome in words, or the error (bilingual).
    pub outcome: std::result::Result<String, String>,
    /// Whether the run was recorded (finished or released); `false` when the lease was lost
    /// to another worker meanwhile.
    pub recorded: bool,
}

/// Claims and runs scheduled jobs ([`catalogue`]) until told to stop.
pub struct Worker {
    app: App,
    config: WorkerConfig,
    jobs: Vec<Job>,
}

impl Worker {
    pub fn new(app: App, config: WorkerConfig, jobs: Vec<Job>) -> Worker {
        Worker { app, config, jobs }
    }

    pub fn owner(&self) -> &str {
        &self.config.owner
    }

    /// Makes sure every job has its row (a new job is due at once).
    pub async fn prepare(&self) -> Result<()> {
        let specs: Vec<JobSpec> = self.jobs.iter().map(Job::spec).collect();
        Ok(self.app.store.ensure_jobs(&specs, self.app.now()).await?)
    }

    /// Claims one due job and runs it to its end; `None` when nothing is due (or the job is
    /// unknown to this binary: it is left for a worker that knows it).
    #[tracing::instrument(skip(self), fields(worker = %self.config.owner))]
    pub async fn run_one(&self) -> Result<Option<Ran>> {
        let (store, owner, lease) = (&self.app.store, self.config.owner.as_str(), self.config.lease);
        let now = self.app.now();
        let Some(claim) = store.claim_job(owner, now, now + lease).await? else { return Ok(None) };
        let Some(job) = self.jobs.iter().find(|j| j.name == claim.name) else {
            store.fail_job(&claim, owner, "unknown to this worker", now + Duration::minutes(5)).await?;
            return Ok(None);
        };
        tracing::info!(job = %claim.name, attempt = claim.attempt, "job claimed");
        let work = (job.body)(self.app.clone(), claim.clone());
        tokio::pin!(work);
        let beat = (lease / 3).to_std().unwrap_or(std::time::Duration::from_secs(20));
        let result = loop {
            tokio::select! {
                r = &mut work => break Some(r),
                () = tokio::time::sleep(beat) => {
                    match store.extend_lease(&claim.name, owner, self.app.now() + lease).await {
                        Ok(true) => {}
                        Ok(false) => break None,
                        Err(e) => tracing::warn!(job = %claim.name, error = %e, "extending a lease failed"),
                    }
                }
            }
        };
        let done = self.app.now();
        let ran = match result {
            None => {
                tracing::warn!(job = %claim.name, "lease lost to another worker; run abandoned");
                Ran {
                    job: claim.name.clone(),
                    attempt: claim.attempt,
                    outcome: Err("lease lost".into()),
                    recorded: false,
                }
            }
            Some(Ok(text)) => {
                let next = next_due(claim.due_at, claim.every_seconds, done);
                let recorded = store.finish_job(&claim, owner, done, &text, next).await?;
                tracing::info!(job = %claim.name, outcome = %text, recorded, "job finished");
                Ran { job: claim.name.clone(), attempt: claim.attempt, outcome: Ok(text), recorded }
            }
            Some(Err(e)) => {
                let text = i18n::Localized::bilingual(&e);
                let recorded = store.fail_job(&claim, owner, &text, retry_at(claim.attempt, done)).await?;
                tracing::warn!(job = %claim.name, error = %text, "job failed; retried later");
                Ran { job: claim.name.clone(), attempt: claim.attempt, outcome: Err(text), recorded }
            }
        };
        Ok(Some(ran))
    }

    /// Runs due jobs until `stop` completes: a job under way is finished first (a graceful
    /// stop records it), then the worker returns. Store failures are logged and retried.
    pub async fn run(&self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        while let Err(e) = self.prepare().await {
            tracing::warn!(error = %e, "registering the scheduled jobs failed; retrying");
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        tracing::info!(worker = %self.config.owner, jobs = self.jobs.len(), "worker started");
        loop {
            let idle = match self.run_one().await {
                Ok(Some(_)) => false,
                Ok(None) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "running scheduled jobs failed");
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(self.config.poll) => {}
                }
            } else {
                tokio::select! {
                    biased;
                    () = &mut stop => break,
                    () = std::future::ready(()) => {}
                }
            }
        }
        tracing::info!(worker = %self.config.owner, "worker stopped");
    }
}

/// The scheduled jobs and their last runs, for `huiqi worker --list`.
pub async fn status(app: &App) -> Result<Vec<(JobRow, Vec<JobRun>)>> {
    let mut out = Vec::new();
    for j in app.store.jobs().await? {
        let runs = app.store.job_runs(&j.name, 5).await?;
        out.push((j, runs));
    }
    Ok(out)
}

/// Makes a job due now (`huiqi worker --run-now NAME`); an unknown name is a bad argument.
/// A due time is an occurrence, run once: when the last run was for this very second (a
/// run-now right after a run), the new one is a second later.
pub async fn run_now(app: &App, name: &str) -> Result<()> {
    let mut at = store::problems::china_seconds(app.now());
    if let Some(last) = app.store.job_runs(name, 1).await?.pop() {
        at = at.max(last.due_at + Duration::seconds(1));
    }
    if app.store.schedule_job(name, at).await? {
        return Ok(());
    }
    Err(Error::Invalid {
        field: "job".into(),
        value: name.into(),
        reason: format!(
            "没有这个定时任务；可用：{0} / no such scheduled job; known: {0}",
            catalogue().iter().map(|j| j.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    })
}
