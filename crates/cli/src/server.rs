//! `huiqi migrate`, `huiqi serve` and `huiqi demo`.

use super::{Context, UserError};
use crate::demo::{DEMO_SEED, DemoClock, DemoZone, demo_now, generate};
use anyhow::Context as _;
use clap::Args;
use futures_util::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;
use std::sync::Arc;
use store::{ImportFormat, ImportRequest, NewUser, Stamp, Store};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default from config/base.yaml: 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<String>,
    /// Serve only: run no scheduled jobs here (run `huiqi worker` elsewhere). By default a
    /// worker runs beside the server; several servers over one PostgreSQL still run each job
    /// once.
    #[arg(long)]
    pub no_jobs: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Number of enterprises in the demo zone.
    #[arg(long, default_value_t = 3600)]
    pub enterprises: usize,
    /// Generate the zone and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
}

/// The database `huiqi demo` creates when `--database` is not given.
pub const DEMO_DATABASE: &str = "huiqi-demo.db";

pub async fn migrate(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = crate::db::open(&ctx.database).await?;
    let report =
        store.migrate().await.map_err(|e| anyhow::Error::new(UserError(i18n::Localized::bilingual(&e))))?;
    let seeded = store.seed_reference_data().await?;
    let documents = crate::policies::seed(store.as_ref(), crate::db::now()).await?;
    for (v, name) in &report.applied {
        println!("applied {v:04} {name}");
    }
    println!(
        "schema version {} ({} applied now){}{}",
        report.current,
        report.applied.len(),
        if seeded { "; departments and routing seeded" } else { "" },
        if documents.is_empty() { String::new() } else { format!("; {} seeded", documents.join(", ")) }
    );
    Ok(ExitCode::SUCCESS)
}

/// What `huiqi serve` and `huiqi demo` hand to the web front end: the opened store, the
/// checked policy library and time limits, the bound listener, the settings and the demo's
/// clock.
pub struct ServeRequest {
    pub store: Arc<dyn Store>,
    pub listener: tokio::net::TcpListener,
    pub library: Arc<rules::Library>,
    pub time_limits: handling::TimeLimits,
    pub settings: crate::config::Settings,
    /// The demo zone's clock; the system clock when `None`.
    pub clock: Option<Arc<dyn app::Clock>>,
    /// Where this server keeps its search index ([`crate::db::search_dir`]).
    pub search_dir: Option<std::path::PathBuf>,
}

/// The web front end as the binary provides it: this crate does not depend on `web` (the two
/// front ends never depend on each other), so `huiqi serve` asks the binary to serve.
pub trait Server: Send + Sync {
    /// Serves until shutdown (Ctrl-C or SIGTERM), finishing the requests in flight.
    fn serve(
        &self,
        request: ServeRequest,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send + '_>>;
}

pub async fn serve(
    args: ServeArgs,
    ctx: &Context,
    settings: &crate::config::Settings,
    server: &dyn Server,
) -> anyhow::Result<ExitCode> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let listen = args.listen.clone().unwrap_or_else(|| settings.listen.clone());
    // The worker beside the server, stopped (its job under way finished) after the server's
    // graceful shutdown.
    let worker = (!args.no_jobs).then(|| {
        let app = app::App::new(Arc::clone(&store));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let w = app::jobs::Worker::new(app, crate::worker::config(None, 60, 5), app::jobs::catalogue());
        let task = tokio::spawn(async move {
            w.run(async move {
                let _ = stopped.await;
            })
            .await;
        });
        (stop, task)
    });
    let search_dir = Some(ctx.search_dir.clone());
    let r = serve_store(server, store, &listen, settings, None, None, search_dir).await;
    if let Some((stop, task)) = worker {
        let _ = stop.send(());
        if tokio::time::timeout(std::time::Duration::from_secs(30), task).await.is_err() {
            tracing::warn!(
                "the scheduled job under way did not finish in 30 s; its lease runs out and another worker reruns it"
            );
        }
    }
    r
}

/// Serves the web application over `store` until Ctrl-C, on the system clock or on `clock`
/// (the demo zone's, see [`crate::demo::DemoClock`]).
pub async fn serve_store(
    server: &dyn Server,
    store: Arc<dyn Store>,
    listen: &str,
    settings: &crate::config::Settings,
    banner: Option<String>,
    clock: Option<Arc<dyn app::Clock>>,
    search_dir: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} / 无法监听 {listen}"))?;
    let addr = listener.local_addr()?;
    println!("huiqi 已启动 / serving on http://{addr}");
    if let Some(b) = banner {
        println!("{b}");
    }
    let files = crate::policies::database_sources(store.as_ref()).await?;
    let (library, diags) = rules::Library::load(&files, enterprise::FactDictionary::official());
    if !diags.is_empty() {
        let shown: Vec<String> = diags.iter().map(rules::Diagnostic::render).collect();
        return Err(anyhow::Error::new(UserError(format!(
            "数据库中的政策库有 {n} 个问题（用 huiqi policy check 查看，用 huiqi policy load 修正）/ the \
             policy library in the database has {n} problems (see huiqi policy check; fix with huiqi policy load):\n{}",
            shown.join("\n"),
            n = diags.len()
        ))));
    }
    let time_limits = crate::policies::time_limits(store.as_ref()).await?;
    server
        .serve(ServeRequest {
            store,
            listener,
            library: Arc::new(library),
            time_limits,
            settings: settings.clone(),
            clock,
            search_dir,
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a generated demo zone into an empty store, stamped with the demo date
/// ([`demo_now`]) like everything else in the zone.
pub async fn populate(store: &dyn Store, zone: &DemoZone) -> anyhow::Result<()> {
    let now = demo_now();
    let bar = ProgressBar::new(4);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("用户 / users");
    for u in zone.staff.iter().chain(zone.users.iter().filter(|u| u.enterprise.is_none())) {
        create_user(store, u, now).await?;
    }
    bar.inc(1);
    bar.set_message("企业 / enterprises");
    let outcome = store
        .apply_import(ImportRequest {
            actor: Stamp::new("demo", now),
            file_name: "demo-zone".into(),
            format: ImportFormat::JsonLines,
            records: zone.records.clone(),
            dry_run: false,
        })
        .await
        .map_err(|e| anyhow::Error::new(UserError(i18n::Localized::bilingual(&e))))?;
    bar.inc(1);
    for u in zone.users.iter().filter(|u| u.enterprise.is_some()) {
        create_user(store, u, now).await?;
    }
    bar.set_message("三联 / three links");
    // Concurrent writes share commits in the store's writer (group commit).
    let actor = Stamp::new("demo", now);
    let results: Vec<_> = futures_util::stream::iter(zone.links.iter())
        .map(|(uscc, links)| store.set_three_links(uscc, links, &actor))
        .buffer_unordered(64)
        .collect()
        .await;
    for r in results {
        r?;
    }
    bar.inc(1);
    bar.set_message("问题 / problems");
    let staff_hash = super::user::hash_password(crate::demo_problems::STAFF_PASSWORD)?;
    crate::demo_problems::write(store, zone, crate::demo_problems::DEMO_PROBLEMS, &staff_hash, now).await?;
    // The history the effect report compares over (2017–2018 figures, 2019 visits).
    crate::demo_effects::write(store, zone, now).await?;
    bar.finish_and_clear();
    tracing::info!(enterprises = outcome.created, "demo zone written");
    Ok(())
}

async fn create_user(
    store: &dyn Store,
    u: &crate::demo::DemoUser,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<()> {
    let role = store::parse_role(u.role)
        .map_err(|e| anyhow::Error::new(UserError(i18n::Localized::bilingual(&e))))?;
    store
        .create_user(&NewUser {
            username: u.username.clone(),
            role,
            password_hash: super::user::hash_password(&u.password)?,
            enterprise: u.enterprise.clone(),
            department: u.department.clone(),
            display_name: u.display_name.clone(),
            at: now,
        })
        .await
        .map_err(|e| anyhow::Error::new(UserError(i18n::Localized::bilingual(&e))))?;
    Ok(())
}

/// The logins printed by `huiqi demo`.
pub fn logins_banner(zone: &DemoZone) -> String {
    let mut s = format!(
        "演示日期 / demo date: {}（演示园区的数据、问题和政策都以这一天为准，服务器的时钟从这一天起走 / the zone's data, problems \
         and policies agree on this date; the server's clock runs from it)\n演示账号 / demo logins (username / password):\n",
        demo_now().format("%Y-%m-%d")
    );
    for u in &zone.users {
        let role = store::parse_role(u.role).map(|r| r.label_zh()).unwrap_or(u.role);
        let extra = match (&u.enterprise, &u.department) {
            (Some(e), _) => format!("  企业 {e}"),
            (None, Some(d)) => format!("  部门 {d}"),
            _ => String::new(),
        };
        s.push_str(&format!("  {:<11} {:<10} {:<18}{extra}\n", u.role, u.username, u.password));
        let _ = role;
    }
    s.push_str("  (联点领导 leader01…, 驻企干部 cadre01… 的密码为 <用户名>-demo / passwords of leader01…, cadre01…: <username>-demo)");
    s
}

pub async fn demo(
    args: DemoArgs,
    ctx_database: Option<String>,
    settings: &crate::config::Settings,
    server: &dyn Server,
) -> anyhow::Result<ExitCode> {
    let url = ctx_database.unwrap_or_else(|| DEMO_DATABASE.to_string());
    if !crate::db::is_postgres(&url) {
        let path = crate::db::sqlite_path(&url);
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{path}{suffix}");
            if std::path::Path::new(&p).exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing the old demo database {p}"))?;
            }
        }
    }
    // As `db::open_ready`, with the policies and time limits seeded on the demo date.
    let store = crate::db::open(&url).await?;
    store.migrate().await.context("applying migrations / 执行数据库迁移失败")?;
    store.seed_reference_data().await.context("seeding departments and routing / 初始化部门与路由表失败")?;
    crate::policies::seed(store.as_ref(), demo_now()).await?;
    if store.enterprise_count().await? > 0 {
        return Err(anyhow::Error::new(UserError(format!(
            "数据库 {url} 已有企业数据；演示区只写入空数据库 / the database {url} already holds enterprises; the demo zone is written only into an empty database"
        ))));
    }
    let started = std::time::Instant::now();
    let zone = generate(DEMO_SEED, args.enterprises);
    populate(store.as_ref(), &zone).await?;
    let content = {
        let app = app::App::new(Arc::clone(&store)).with_clock(Arc::new(app::FixedClock::new(demo_now())));
        app.load_documents().await.map_err(|e| crate::user_error(&e))?;
        let n = crate::content::load_demo(&app).await?;
        for group in crate::content::DEMO_SYNONYMS {
            let terms: Vec<String> = group.split_whitespace().map(str::to_string).collect();
            app::search::save_synonyms(&app, &app::Principal::operator("demo"), None, &terms)
                .await
                .map_err(crate::app_error)?;
        }
        // A match run on the demo date and the inboxes it gives (newly eligible, almost
        // eligible), so the enterprise's inbox, grant runs and the review of a policy draft
        // (its simulation) have a run to work on.
        let operator = app::Principal::operator("demo");
        let req = app::matching::RunRequest {
            date: demo_now().date_naive(),
            tax_year: None,
            library_fingerprint: "demo (shipped library)".into(),
        };
        let run = app::matching::run(&app, &operator, &req, Arc::new(app::matching::NoProgress))
            .await
            .map_err(crate::app_error)?;
        let inbox = app::inbox::generate(&app).await.map_err(crate::app_error)?;
        let events = crate::demo_events::write(&app, &zone).await?;
        println!("演示活动 / demo events: {events}");
        let told = crate::demo_notifications::write(&app).await.map_err(crate::app_error)?;
        let with_unread = told.unread.iter().filter(|(_, n)| *n > 0).count();
        println!(
            "演示通知 / demo notifications: 预警 / warnings {}, {with_unread} 个账号有未读通知 / logins with unread notifications",
            told.warnings
        );
        let (products, demands) = crate::demo_financing::write(&app, &zone).await?;
        println!(
            "演示融资对接 / demo financing: 金融产品 / products {products}; 融资需求 / demands {demands}"
        );
        let (plans, cases) = crate::demo_plans::write(&app, &zone).await?;
        println!("演示一企一对策 / demo plans: {plans}; 信用修复 / credit repair cases: {cases}");
        let (arrears, raised) = crate::demo_utilities::write(&app, &zone).await?;
        println!(
            "演示水电气欠费 / demo utility arrears: {arrears}; 违规收取滞纳金生成问题 / violations raised as problems: {raised}"
        );
        let (positions, demands) = crate::demo_chains::write(&app, &zone).await?;
        println!(
            "演示产业链 / demo supply chains: 环节 / positions {positions}; 配套需求 / demands {demands}"
        );
        let (consultations, faqs) = crate::demo_legal::write(&app, &zone).await?;
        println!(
            "演示法律咨询 / demo legal consultations: {consultations}; 转为常见问题 / turned into FAQs: {faqs}"
        );
        let (profiles, reports) = crate::demo_logistics::write(&app, &zone).await?;
        println!(
            "演示物流保通保畅 / demo logistics: 物流档案 / profiles {profiles}; 物流受阻问题 / obstruction reports {reports}"
        );
        let messages: u64 = inbox.iter().map(|g| g.newly_eligible + g.almost_eligible).sum();
        println!(
            "演示匹配批次 / demo match run #{}: {} 家企业 / enterprises, 收件箱消息 / inbox messages {messages}",
            run.run_id, run.enterprises
        );
        let ((paid_run, paid), (open_run, open)) =
            crate::demo_grants::write(Arc::clone(&store), run.run_id).await.map_err(crate::app_error)?;
        println!(
            "演示授予 / demo grants: 批次 / run #{paid_run} 已拨付 / paid {paid}; 批次 / run #{open_run} 公示中 / in publicity {open}"
        );
        n
    };
    println!("演示内容已发布 / demo content published: {content} 条 / items");
    println!(
        "演示园区已生成 / demo zone generated: {} 家企业 / enterprises in {url} ({:.1} s)",
        zone.records.len(),
        started.elapsed().as_secs_f64()
    );
    if args.no_serve {
        println!("{}", logins_banner(&zone));
        return Ok(ExitCode::SUCCESS);
    }
    let clock: Arc<dyn app::Clock> = Arc::new(DemoClock::new());
    let search_dir = crate::db::search_dir(&url);
    if search_dir.exists() {
        std::fs::remove_dir_all(&search_dir)
            .with_context(|| format!("removing the old demo search index {}", search_dir.display()))?;
    }
    serve_store(
        server,
        store,
        &args.listen,
        settings,
        Some(logins_banner(&zone)),
        Some(clock),
        Some(search_dir),
    )
    .await
}
