//! `huiqi bench financing`: financing matching (issue 15, 三.5/三.8) on the path a user runs.
//!
//! 1. Imports N enterprises (`bench import`, a child process; one year of facts, 2022) into
//!    the database of `--database` (a SQLite file, replaced; or a postgres:// URL holding no
//!    other enterprises), unless `--no-import`.
//! 2. Stores P products of twelve institutions (kinds, amount and term ranges, collateral,
//!    eligibility in the rule language over size class, industry, credit rating and revenue)
//!    and D open demands spread over the enterprises, straight through the store (setup).
//! 3. Matches every stored demand against every product and stores the matches
//!    (`app::financing::match_and_store`, the batch path), timed.
//! 4. Times `app::financing::post` for `--posts` more demands: what an enterprise waits for
//!    when it posts one (the demand stored, matched against every product, the matches with
//!    their explanations stored, the detail read back).
//! 5. Times an institution's product edit (`app::financing::save_product`), which matches every
//!    open demand against that product again: the demands and their enterprises' facts read,
//!    D pairs decided, that product's match of each demand replaced in one transaction.
//!
//! Nothing here is a test; the numbers go into docs/PERFORMANCE.md.

use super::Context;
use crate::bench_grants::{child, database};
use chrono::{FixedOffset, TimeZone};
use clap::Args;
use rust_decimal::Decimal;
use services::financing::{Collateral, DemandKind, Product};
use std::process::ExitCode;
use std::time::Instant;
use store::Stamp;
use store::financing::{Channel, NewDemand, ProductRecord, Urgency};

#[derive(Debug, Args)]
pub struct FinancingBenchArgs {
    /// Enterprises to import.
    #[arg(long, default_value_t = 10_000)]
    pub rows: usize,
    /// Open demands stored before the timings.
    #[arg(long, default_value_t = 10_000)]
    pub demands: usize,
    /// Products on offer.
    #[arg(long, default_value_t = 500)]
    pub products: usize,
    /// Demands posted one by one through the use case (latency).
    #[arg(long, default_value_t = 100)]
    pub posts: usize,
    /// Use the enterprises the database holds, without importing first.
    #[arg(long)]
    pub no_import: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, serde::Serialize)]
struct FinancingOut {
    backend: &'static str,
    enterprises: usize,
    demands: usize,
    products: usize,
    import_s: Option<f64>,
    setup_s: f64,
    /// Compiling the product book alone (the kernel's first step), milliseconds.
    compile_ms: f64,
    /// Every open demand × every product decided and stored (`match_and_store`), seconds.
    match_all_s: f64,
    posts: usize,
    post_mean_ms: f64,
    post_p50_ms: f64,
    post_p99_ms: f64,
    /// One product edited: every open demand matched again and stored, seconds.
    rematch_s: f64,
    rematched: usize,
    /// Demands with at least one matching product after the rematch.
    matched: usize,
    peak_rss_mib: Option<f64>,
}

const KINDS: [DemandKind; 4] =
    [DemandKind::Loan, DemandKind::RiskCompensation, DemandKind::BridgeLoan, DemandKind::Equity];

/// Eligibility expressions over the facts `bench import` carries (year 2022).
const RULES: [&str; 6] = [
    "",
    "size_class(2022) in [\"small\", \"micro\"]",
    "tax_credit_rating in [\"A\", \"B\"]",
    "industry_section(industry_code) == \"C\"",
    "revenue[2022] >= 5000000 and tax_credit_rating != \"D\"",
    "size_class(2022) != \"large\" and revenue[2022] >= 1000000",
];

/// A small deterministic generator (the bench's own; its numbers need no quality).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

fn product(i: usize, rng: &mut Lcg, stamp: &Stamp) -> ProductRecord {
    let min = Decimal::from(rng.below(20) * 100_000);
    ProductRecord {
        product: Product {
            id: format!("bench-{i}"),
            institution: format!("基准银行{}", i % 12),
            name: format!("基准产品{i}"),
            kinds: vec![KINDS[i % 4], KINDS[(i + 1) % 4]],
            amount_min: min,
            amount_max: min + Decimal::from(1_000_000 + rng.below(50) * 100_000),
            term_min_months: 3,
            term_max_months: 12 + (rng.below(4) as u32) * 12,
            rate_min: Decimal::new(345, 2),
            rate_max: Decimal::new(600, 2),
            requires_collateral: if rng.below(10) < 3 { vec![Collateral::Property] } else { vec![] },
            eligibility: RULES[i % RULES.len()].to_string(),
        },
        description: String::new(),
        active: true,
        version: 0,
        updated_by: stamp.username.clone(),
        updated_at: stamp.at,
    }
}

/// The newest demand's id (its matches are shown as a sample).
async fn matched_sample(app: &app::App) -> anyhow::Result<i64> {
    let newest =
        app.store.demands(&store::financing::DemandFilter { limit: 1, ..Default::default() }).await?;
    newest.first().map(|d| d.id).ok_or_else(|| anyhow::anyhow!("no demand stored"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

pub async fn run(a: FinancingBenchArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::tempdir()?;
    let url = database(ctx, &tmp);
    let say = |line: String| {
        if !a.json {
            println!("{line}");
        }
    };
    let mut import_s = None;
    if !a.no_import {
        let (rows, dir) = (a.rows.to_string(), tmp.path().display().to_string());
        let (s, _) = child(&url, &["bench", "import", "--rows", &rows, "--dir", &dir])?;
        say(format!("import {} enterprises (bench import, a child process): {s:.2} s", a.rows));
        import_s = Some(s);
    }
    let app = crate::open_app(&Context::of(url.clone())).await?;
    let officer = app::Principal::operator("bench-financing");
    // Setup through the store: products and open demands.
    let t = Instant::now();
    let china = FixedOffset::east_opt(8 * 3600).ok_or_else(|| anyhow::anyhow!("offset"))?;
    let at = china
        .with_ymd_and_hms(2022, 6, 30, 9, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("the bench's timestamp"))?;
    let stamp = Stamp::new("bench-financing".to_string(), at);
    let mut rng = Lcg(11);
    for i in 0..a.products {
        app.store.save_product(&product(i, &mut rng, &stamp), None, &stamp).await?;
    }
    let enterprises = app.store.enterprise_batch(0, a.rows.max(1) as u64).await?;
    anyhow::ensure!(!enterprises.is_empty(), "the database holds no enterprises: import some first");
    let deadline = app.today() + chrono::Days::new(28);
    for i in 0..a.demands {
        let e = &enterprises[i % enterprises.len()];
        let demand = NewDemand {
            enterprise_id: e.id,
            kind: KINDS[rng.below(4) as usize],
            amount: Decimal::from(100_000 + rng.below(40) * 100_000),
            term_months: 6 + (rng.below(5) as u32) * 6,
            purpose: "流动资金周转（基准）".to_string(),
            collateral: if rng.below(10) < 4 { vec![Collateral::Property] } else { vec![] },
            urgency: Urgency::Normal,
            channel: Channel::Hotline,
            deadline,
            step: None,
        };
        app.store.create_demand(&demand, &stamp).await?;
    }
    let setup_s = t.elapsed().as_secs_f64();
    say(format!("setup: {} products, {} open demands stored: {setup_s:.2} s", a.products, a.demands));

    let t = Instant::now();
    let book = app::financing::book(&app).await.map_err(crate::app_error)?;
    let compile_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(book.broken().count() == 0, "a synthetic product's eligibility did not compile");
    say(format!("product book: {} products compiled in {compile_ms:.1} ms", book.products.len()));

    // Every stored demand matched against every product and stored, as posting would have
    // done one by one: the batch path (`app::financing::match_and_store`).
    let open = app
        .store
        .demands(&store::financing::DemandFilter {
            states: vec![services::financing::DemandState::Open],
            limit: 1_000_000,
            ..Default::default()
        })
        .await?;
    let t = Instant::now();
    app::financing::match_and_store(&app, &officer, &book, &open).await.map_err(crate::app_error)?;
    let match_all_s = t.elapsed().as_secs_f64();
    say(format!(
        "match every open demand against every product and store the matches (match_and_store): {} demands in {match_all_s:.2} s",
        open.len()
    ));

    let mut took = Vec::with_capacity(a.posts);
    for i in 0..a.posts {
        let e = &enterprises[(i * 7919) % enterprises.len()];
        let req = app::financing::DemandRequest {
            uscc: Some(e.enterprise.uscc.to_string()),
            kind: "loan".into(),
            amount: format!("{}", 200_000 + (i % 20) * 100_000),
            term_months: 12,
            purpose: "购置设备（基准）".into(),
            collateral: vec![],
            urgency: None,
            channel: Some("hotline".into()),
        };
        let t = Instant::now();
        app::financing::post(&app, &officer, &req).await.map_err(crate::app_error)?;
        took.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let post_mean_ms = if took.is_empty() { 0.0 } else { took.iter().sum::<f64>() / took.len() as f64 };
    took.sort_by(f64::total_cmp);
    let (post_p50_ms, post_p99_ms) = (percentile(&took, 0.5), percentile(&took, 0.99));
    say(format!(
        "post one demand (app::financing::post, {} times): mean {post_mean_ms:.1} ms, p50 {post_p50_ms:.1} ms, p99 {post_p99_ms:.1} ms",
        a.posts
    ));

    // An institution edits a product: every open demand is matched again and stored.
    let first = app.store.product("bench-0").await?.ok_or_else(|| anyhow::anyhow!("no product bench-0"))?;
    let p = &first.product;
    let req = app::financing::ProductRequest {
        id: p.id.clone(),
        institution: Some(p.institution.clone()),
        name: p.name.clone(),
        kinds: p.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        amount_min: p.amount_min.to_string(),
        amount_max: p.amount_max.to_string(),
        term_min_months: p.term_min_months,
        term_max_months: p.term_max_months,
        rate_min: "3.30".into(),
        rate_max: p.rate_max.to_string(),
        requires_collateral: p.requires_collateral.iter().map(|c| c.as_str().to_string()).collect(),
        eligibility: p.eligibility.clone(),
        description: "利率下调（基准）".into(),
        active: Some(true),
        version: Some(first.version),
    };
    let t = Instant::now();
    let saved = app::financing::save_product(&app, &officer, &req).await.map_err(crate::app_error)?;
    let rematch_s = t.elapsed().as_secs_f64();
    let matched = app
        .store
        .demands(&store::financing::DemandFilter {
            states: vec![services::financing::DemandState::Matched],
            limit: 1_000_000,
            ..Default::default()
        })
        .await?
        .len();
    let sample = app.store.matches_of(matched_sample(&app).await?).await?.len();
    say(format!(
        "edit one product (app::financing::save_product): {} open demands matched again and stored in {rematch_s:.2} s; {matched} demands matched (the newest has {sample} matches stored)",
        saved.rematched
    ));
    let peak = crate::bench::peak_memory_mib();
    if let Some(m) = peak {
        say(format!("peak RSS of this process: {m:.0} MiB"));
    }
    if a.json {
        let out = FinancingOut {
            backend: if url.starts_with("postgres") { "postgresql" } else { "sqlite" },
            enterprises: enterprises.len(),
            demands: a.demands,
            products: a.products,
            import_s,
            setup_s,
            compile_ms,
            match_all_s,
            posts: a.posts,
            post_mean_ms,
            post_p50_ms,
            post_p99_ms,
            rematch_s,
            rematched: saved.rematched,
            matched,
            peak_rss_mib: peak,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}
