//! `huiqi worker`: runs the scheduled jobs (`app::jobs`: the sweep, the purges) apart from
//! the web servers, once across every worker and server over the database. `huiqi serve`
//! runs one beside the web server unless `--no-jobs`; run `huiqi worker` where the servers
//! run `--no-jobs`. `--list` shows the jobs and their last runs, `--run-now NAME` makes one
//! due now, `--once` runs what is due and exits (for cron and tests).

use super::{Context, user_error};
use clap::Args;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The name this worker holds job leases under (default `<host>:<pid>:<random>`).
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds a claimed job stays held without being extended: how long the job of a
    /// killed worker waits before another runs it.
    #[arg(long, default_value_t = 60)]
    pub lease: u32,
    /// Seconds between two looks for due jobs.
    #[arg(long, default_value_t = 5)]
    pub poll: u32,
    /// Runs the jobs due now, then exits.
    #[arg(long)]
    pub once: bool,
    /// Lists the scheduled jobs with their last runs, then exits.
    #[arg(long, conflicts_with_all = ["once", "run_now"])]
    pub list: bool,
    /// Makes the named job due now, then exits (a running worker picks it up).
    #[arg(long, value_name = "JOB")]
    pub run_now: Option<String>,
}

/// The host's name, for worker names.
fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into())
}

/// The worker's settings from the arguments.
pub fn config(name: Option<String>, lease: u32, poll: u32) -> app::jobs::WorkerConfig {
    let mut c = app::jobs::WorkerConfig::new(name.unwrap_or_else(|| app::jobs::worker_name(&host())));
    c.lease = chrono::Duration::seconds(i64::from(lease.max(3)));
    c.poll = std::time::Duration::from_secs(u64::from(poll.max(1)));
    c
}

pub async fn run(args: WorkerArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let app = app::App::new(Arc::clone(&store));
    if args.list {
        for (j, runs) in app::jobs::status(&app).await.map_err(|e| user_error(&e))? {
            outln!(
                "{:<20} every {:>5} s  due {}  runs {}{}{}",
                j.name,
                j.every_seconds,
                j.due_at.format("%Y-%m-%d %H:%M:%S"),
                j.runs,
                j.lease_owner.map(|o| format!("  held by {o}")).unwrap_or_default(),
                j.last_outcome.map(|o| format!("  last: {o}")).unwrap_or_default(),
            );
            for r in runs {
                outln!(
                    "    {} by {} (attempt {}): {}",
                    r.finished_at.format("%Y-%m-%d %H:%M:%S"),
                    r.owner,
                    r.attempt,
                    r.outcome
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let worker =
        app::jobs::Worker::new(app.clone(), config(args.name, args.lease, args.poll), app::jobs::catalogue());
    worker.prepare().await.map_err(|e| user_error(&e))?;
    if let Some(job) = args.run_now {
        app::jobs::run_now(&app, &job).await.map_err(|e| user_error(&e))?;
        outln!("{job} 已设为立即执行 / is due now");
        return Ok(ExitCode::SUCCESS);
    }
    if args.once {
        while let Some(r) = worker.run_one().await.map_err(|e| user_error(&e))? {
            match r.outcome {
                Ok(o) => outln!("{}: {o}", r.job),
                Err(e) => outln!("{}: 失败 / failed: {e}", r.job),
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("huiqi worker {} 已启动 / started", worker.owner());
    worker.run(app::stop_signal()).await;
    Ok(ExitCode::SUCCESS)
}
