//! The command-line front end of huiqi: arguments to the use cases of `app` and their results
//! back to text (or `--json` for machines); errors to stderr, bilingual, with a non-zero exit.
//! Contracts of each command are fixed by the issues.
//!
//! It does not depend on the web front end: `huiqi serve` and `huiqi demo` hand the opened
//! store and the checked documents to a [`Server`] that the binary provides (the `huiqi`
//! package wires this crate and `web`). One module per command group; `config` the layered
//! settings, `db` opening the store from its URL, `demo`/`demo_problems` the deterministic demo
//! zone, `policies` the shipped policy library (embedded by `build.rs`) and time limits.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// `println!` that stops quietly when stdout is closed (`| head`).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

pub mod audit;
pub mod bench;
pub mod bench_effects;
pub mod bench_financing;
pub mod bench_grants;
pub mod bench_load;
pub mod bench_outbox;
pub mod calendar;
pub mod chains;
pub mod classify;
pub mod config;
pub mod content;
pub mod credit_repair;
pub mod db;
pub mod demo;
pub mod demo_chains;
pub mod demo_effects;
pub mod demo_events;
pub mod demo_financing;
pub mod demo_grants;
pub mod demo_legal;
pub mod demo_logistics;
pub mod demo_notifications;
pub mod demo_plans;
pub mod demo_problems;
pub mod demo_utilities;
pub mod event;
pub mod financing;
pub mod grant;
pub mod import;
pub mod kpi;
pub mod ledger;
pub mod legal;
pub mod logistics;
pub mod plans;
pub mod policies;
pub mod policy;
pub mod problem;
pub mod push;
pub mod report;
pub mod report_effects;
pub mod search;
pub mod server;
pub mod settings;
pub mod time_limits;
pub mod uscc;
pub mod user;
pub mod utilities;
pub mod visit;
pub mod worker;

/// huiqi (惠企): the enterprise assistance platform of an industrial zone.
#[derive(Debug, Parser)]
#[command(name = "huiqi", version, about)]
pub struct Cli {
    /// Database URL: a SQLite file path (default huiqi.db) or postgres://user@host/db.
    #[arg(long, global = true, env = "HUIQI_DATABASE_URL")]
    pub database: Option<String>,
    /// The directory of the search index (检索索引目录). Default: beside a SQLite file
    /// (`huiqi.db.search`), or `huiqi-search-<host>-<db>` in the working directory for PostgreSQL.
    #[arg(long, global = true, env = "HUIQI_SEARCH_DIR", value_name = "DIR")]
    pub search_dir: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The Chinese working-day calendar (工作日历).
    #[command(subcommand)]
    Calendar(calendar::CalendarCmd),
    /// Unified social credit codes (统一社会信用代码).
    #[command(subcommand)]
    Uscc(uscc::UsccCmd),
    /// Enterprise size class under the 2011 standard (企业规模划型).
    Classify(classify::ClassifyArgs),
    /// Policies as rules (政策即规则): check, test, evaluate.
    #[command(subcommand)]
    Policy(policy::PolicyCmd),
    /// Bulk import (批量导入): all or nothing, every bad row reported.
    #[command(subcommand)]
    Import(import::ImportCmd),
    /// Applies pending database migrations and seeds departments and routing.
    Migrate,
    /// Serves the web application over an existing database (migrations applied on start).
    Serve(server::ServeArgs),
    /// Generates the demo zone into a fresh database and serves it.
    Demo(server::DemoArgs),
    /// Runs the scheduled jobs (sweep, purges) apart from the web servers.
    Worker(worker::WorkerArgs),
    /// Users and roles (用户): add, list, unlock, deactivate, activate, role, password.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Problem categories (问题类别) of the routing table: add, list.
    #[command(subcommand)]
    Category(user::CategoryCmd),
    /// Problems (诉求) of the three lists: add, show, act, sweep.
    #[command(subcommand)]
    Problem(problem::ProblemCmd),
    /// KPIs (考核指标) of the three lists per department and period.
    Kpi(kpi::KpiArgs),
    /// The problem ledger (问题台账) as an Excel workbook.
    #[command(subcommand)]
    Ledger(ledger::LedgerCmd),
    /// Periodic reports: the supervision report (督查通报).
    #[command(subcommand)]
    Report(report::ReportCmd),
    /// The audit trail of problem events (审计链).
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Visits (走访): coverage of each cadre's enterprises.
    #[command(subcommand)]
    Visit(visit::VisitCmd),
    /// The time limits (办理时限) kept in the database: show, set.
    #[command(subcommand)]
    TimeLimits(time_limits::TimeLimitsCmd),
    /// The zone settings (园区设置: supervision thresholds, …) kept in the database: show, set.
    #[command(subcommand)]
    Settings(settings::SettingsCmd),
    /// Policy consultation content (政策解读, 常见问题, 办事指南, 典型案例): list, show, add, edit,
    /// review, case, load.
    #[command(subcommand)]
    Content(content::ContentCmd),
    /// Common problems (共性问题): list the groups, make and close governance items.
    #[command(subcommand)]
    Common(content::CommonCmd),
    /// Searches policies, content and problems (政策咨询检索); rebuild, synonyms, unanswered.
    Search(search::SearchArgs),
    /// 免申即享 grants (授予): run, publicity, objections, approval, payment file, results,
    /// reconciliation.
    #[command(subcommand)]
    Grant(grant::GrantCmd),
    /// Events (活动: 宣讲, 政银企对接, 招聘会, 展会, 沙龙/培训): publish, register, check in,
    /// close, export attendance, the month's reach.
    #[command(subcommand)]
    Event(event::EventCmd),
    /// Financing (融资对接): products, demands matched to them, institutions' responses,
    /// 风险补偿 / 转贷过桥 steps, export.
    #[command(subcommand)]
    Financing(financing::FinancingCmd),
    /// 一企一对策 plans (三.7): create from a diagnosis, update measures, quarterly reviews,
    /// list, export.
    #[command(subcommand)]
    Plan(plans::PlanCmd),
    /// Credit repair cases (信用修复, 三.16): open, advance step by step, list, export.
    #[command(subcommand)]
    Repair(credit_repair::RepairCmd),
    /// Utility arrears and the late-fee waiver (水电气, 三.9): import providers' files, list,
    /// waivers due per provider, violations, export.
    #[command(subcommand)]
    Utilities(utilities::UtilitiesCmd),
    /// Supply chains (产业链配套对接, 三.11): chain positions, supply demands matched to
    /// suppliers, introductions and outcomes, export.
    #[command(subcommand)]
    Chain(chains::ChainCmd),
    /// Logistics watch (物流保通保畅, 三.12): key enterprises' logistics profiles (set, list,
    /// import, export) and the open obstruction reports with their hours.
    #[command(subcommand)]
    Logistics(logistics::LogisticsCmd),
    /// Benchmarks on seeded synthetic data (numbers for docs/PERFORMANCE.md).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Enterprises' inboxes (收件箱) after match runs: generate, show.
    #[command(subcommand)]
    Inbox(push::InboxCmd),
    /// The outbox (发件箱): deliveries per channel and state, failures, retry.
    #[command(subcommand)]
    Outbox(push::OutboxCmd),
    /// Delivery channels (渠道: webhook, SMS or WeChat gateway): add, list, contact.
    #[command(subcommand)]
    Channel(push::ChannelCmd),
    /// Legal consultations (应急法律服务, 三.14): take down a hotline question, answer, list,
    /// export.
    #[command(subcommand)]
    Legal(legal::LegalCmd),
}

/// A one-shot command whose output goes to a pipe that closes (`huiqi kpi --json | head`)
/// ends quietly, as Unix tools do, instead of panicking in `println!`: SIGPIPE gets its default
/// action back (Rust ignores it). Servers and the worker keep ignoring it, so a client that
/// hangs up can never stop them.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called once on the main thread before any other thread starts; resetting a
    // signal's disposition to its default has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Shared state of one command run.
pub struct Context {
    pub database: String,
    /// Where this process keeps (or reads) the search index: `--search-dir`, `HUIQI_SEARCH_DIR`,
    /// the `search_dir` setting, else [`db::search_dir`] of the database.
    pub search_dir: std::path::PathBuf,
}

impl Context {
    /// The context of `database` with the default search-index directory.
    pub fn of(database: String) -> Context {
        let search_dir = db::search_dir(&database);
        Context { database, search_dir }
    }
}

/// Runs the command line; `server` starts the web front end for `serve` and `demo`.
pub fn main(server: &dyn server::Server) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let settings = match crate::config::Settings::load(std::path::Path::new("config")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("错误 / error: 配置有误 / bad configuration: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&settings.log);
    if !matches!(cli.command, Command::Serve(_) | Command::Demo(_) | Command::Worker(_)) {
        quiet_on_closed_pipe();
    }
    let mut ctx = Context::of(cli.database.clone().unwrap_or_else(|| settings.database.clone()));
    if let Some(dir) = cli.search_dir.clone().or_else(|| settings.search_dir.clone()) {
        ctx.search_dir = dir;
    }
    let result = match cli.command {
        Command::Calendar(c) => block_on(calendar::run(c, &ctx)),
        Command::Uscc(c) => uscc::run(c),
        Command::Classify(c) => classify::run(c),
        Command::Policy(c) => policy::run(c, &ctx),
        Command::Import(c) => block_on(import::run(c, &ctx)),
        Command::Migrate => block_on(server::migrate(&ctx)),
        Command::Serve(a) => block_on(server::serve(a, &ctx, &settings, server)),
        Command::Demo(a) => block_on(server::demo(a, cli.database.clone(), &settings, server)),
        Command::Worker(a) => block_on(worker::run(a, &ctx)),
        Command::Inbox(c) => block_on(push::run_inbox(c, &ctx)),
        Command::Outbox(c) => block_on(push::run_outbox(c, &ctx)),
        Command::Channel(c) => block_on(push::run_channel(c, &ctx)),
        Command::User(c) => block_on(user::run(c, &ctx)),
        Command::Category(c) => block_on(user::run_category(c, &ctx)),
        Command::Bench(c) => block_on(bench::run(c, &ctx)),
        Command::TimeLimits(c) => block_on(time_limits::run(c, &ctx)),
        Command::Settings(c) => block_on(settings::run(c, &ctx)),
        Command::Visit(c) => block_on(visit::run(c, &ctx)),
        Command::Problem(c) => block_on(problem::run(c, &ctx)),
        Command::Kpi(a) => block_on(kpi::run(a, &ctx)),
        Command::Ledger(c) => block_on(ledger::run(c, &ctx)),
        Command::Report(c) => block_on(report::run(c, &ctx)),
        Command::Audit(c) => block_on(audit::run(c, &ctx)),
        Command::Content(c) => block_on(content::run(c, &ctx)),
        Command::Search(a) => block_on(search::run(a, &ctx)),
        Command::Common(c) => block_on(content::run_common(c, &ctx)),
        Command::Grant(c) => block_on(grant::run(c, &ctx)),
        Command::Event(c) => block_on(event::run(c, &ctx)),
        Command::Financing(c) => block_on(financing::run(c, &ctx)),
        Command::Plan(c) => block_on(plans::run(c, &ctx)),
        Command::Repair(c) => block_on(credit_repair::run(c, &ctx)),
        Command::Utilities(c) => block_on(utilities::run(c, &ctx)),
        Command::Chain(c) => block_on(chains::run(c, &ctx)),
        Command::Legal(c) => block_on(legal::run(c, &ctx)),
        Command::Logistics(c) => block_on(logistics::run(c, &ctx)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs an async command on a multi-threaded runtime.
fn block_on<F: std::future::Future<Output = anyhow::Result<ExitCode>>>(f: F) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(f)
}

/// Installs the log subscriber (stderr). `RUST_LOG` overrides the configured filter.
fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// An error already rendered for the user (bilingual), carried to `main` for exit code 1.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Renders a localized error in both languages as a `UserError`.
pub fn user_error(e: &dyn i18n::Localized) -> anyhow::Error {
    anyhow::Error::new(UserError(e.bilingual()))
}

/// The use cases over the store of `--database` (migrated and seeded), with the database's
/// policies, time limits and zone settings in use.
pub async fn open_app(ctx: &Context) -> anyhow::Result<app::App> {
    let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
    let followed = app.load_documents().await.map_err(|e| user_error(&e))?;
    for r in followed.refused {
        tracing::warn!("{r}");
    }
    Ok(app)
}

/// A use case's refusal as the command line reports it: both languages, exit 1; a failure of
/// the system keeps its detail (the operator is at the machine).
pub fn app_error(e: app::Error) -> anyhow::Error {
    match e.kind() {
        app::ErrorKind::Internal => anyhow::Error::new(e),
        _ => user_error(&e),
    }
}
