//! `huiqi bench …`: benchmarks on seeded synthetic data. Numbers go into
//! docs/PERFORMANCE.md; nothing here is a test.

use super::Context;
use anyhow::Context as _;
use clap::Subcommand;
use enterprise::FactSource;
use std::process::ExitCode;
use std::time::Instant;
use store::{ImportFormat, ImportRequest, Stamp};

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Generates a CSV of N rows (every column of the import) and imports it into a fresh
    /// database: parse time, database time, peak memory.
    Import {
        /// Data rows (one enterprise each).
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Keep the database and CSV in this directory instead of a temporary one.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Which registry: `match` (one row per enterprise and year, 2022) or `grants` (the
        /// facts the zone's award items read, years in the column names; see `bench grants`).
        #[arg(long, default_value = "match", value_parser = ["match", "grants"])]
        registry: String,
    },
    /// Every synthetic item against every synthetic enterprise (the batch engine): decisions
    /// per second and peak memory; then one enterprise against every item with explanations
    /// (the single evaluator), mean and p99 over many enterprises.
    Match {
        #[arg(long, default_value_t = 100_000)]
        enterprises: usize,
        #[arg(long, default_value_t = 200)]
        items: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Evaluation date, YYYY-MM-DD.
        #[arg(long, default_value = "2022-06-30")]
        date: String,
        /// How many enterprises the single-enterprise timing runs over.
        #[arg(long, default_value_t = ONE_DEFAULT)]
        one: usize,
    },
    /// Imports N synthetic enterprises into the database of `--database` (a SQLite file,
    /// replaced; or a postgres:// URL, which should hold no other enterprises), then runs the
    /// real match from it (`huiqi policy match`, the shipped library): phase times and the
    /// match's peak memory.
    MatchDb {
        /// Enterprises to import (one row and one year each).
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Evaluation date, YYYY-MM-DD.
        #[arg(long, default_value = "2022-06-30")]
        date: String,
        /// Match what the database holds, without importing first.
        #[arg(long)]
        no_import: bool,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// 免申即享 at scale (issue 12): imports N enterprises carrying the facts the zone's
    /// award items read into the database of `--database` (a SQLite file, replaced; or a
    /// postgres:// URL holding no other enterprises), loads synthetic award items up to
    /// `--items`, runs the match, then `grant run` for every award item through the app use
    /// case and again (reruns): per-item and per-phase times, peak memory.
    Grants(crate::bench_grants::GrantsArgs),
    /// Push at scale (issue 12): imports N enterprises (or uses the database's, `--no-import`),
    /// starts a local webhook receiver that checks every signature and idempotency key, saves
    /// a webhook channel to it, matches, generates the inboxes (one outbox row per message)
    /// and delivers the outbox: inbox generation time, messages per second, peak memory.
    Outbox(crate::bench_outbox::OutboxArgs),
    /// Fills the database of `--database` with N synthetic enterprises with four years of
    /// revenue and employees (2022–2025) and visits, then builds the quarterly effect report
    /// of 2026Q4 from it (`huiqi report effects`): time and peak memory (docs/PERFORMANCE.md).
    Effects(crate::bench_effects::EffectsBenchArgs),
    /// Financing matching (issue 15) on the path a user runs: imports N enterprises, stores
    /// P products and D open demands, times posting a demand through the use case (latency)
    /// and an institution's product edit, which matches every open demand again and stores
    /// the matches; peak memory.
    Financing(crate::bench_financing::FinancingBenchArgs),
    /// Load on running servers (through a proxy): clients sign in as browsers do, then submit
    /// problems or read decisions for a while; a JSON summary (docs/DEPLOYMENT.md).
    Load(crate::bench_load::LoadArgs),
    /// Search (issue 13): indexes N synthetic documents (Chinese titles and texts, document
    /// numbers, windows) in a fresh index directory, then times queries (words, document
    /// numbers, pinyin, with and without filters), suggestions through the use case over a
    /// real SQLite store, and the grouping of M synthetic open problems.
    Search {
        #[arg(long, default_value_t = 50_000)]
        docs: usize,
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        #[arg(long, default_value_t = 100_000)]
        problems: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// Enterprises the single-enterprise timing runs over by default.
pub const ONE_DEFAULT: usize = 2_000;

/// Peak resident memory of this process (VmHWM), in MiB, where /proc tells it.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(cmd: BenchCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCmd::Import { rows, dir, registry } => import(rows, dir, &registry, ctx).await,
        BenchCmd::Grants(a) => crate::bench_grants::run(a, ctx).await,
        BenchCmd::Outbox(a) => crate::bench_outbox::run(a, ctx).await,
        BenchCmd::Match { enterprises, items, seed, date, one } => {
            run_match(enterprises, items, seed, &date, one)
        }
        BenchCmd::MatchDb { rows, date, no_import, json } => {
            match_db(rows, &date, no_import, json, ctx).await
        }
        BenchCmd::Load(a) => crate::bench_load::run(a).await,
        BenchCmd::Effects(a) => crate::bench_effects::run(a, ctx).await,
        BenchCmd::Financing(a) => crate::bench_financing::run(a, ctx).await,
        BenchCmd::Search { docs, queries, problems, seed } => {
            bench_search(docs, queries, problems, seed).await
        }
    }
}

/// The figures of `huiqi bench match-db`.
#[derive(serde::Serialize)]
struct MatchDbOut {
    backend: &'static str,
    rows: usize,
    /// The import as a separate process (`huiqi bench import`), wall seconds; null without.
    import_s: Option<f64>,
    /// The match (`policy match` in this process), wall seconds, from opening the database to
    /// the stored run.
    match_s: f64,
    /// Reading and building the columns (overlapping), evaluation excluded.
    read_build_s: f64,
    /// Of it, waiting for pages not yet read.
    read_wait_s: f64,
    evaluate_s: f64,
    store_s: f64,
    /// Peak resident memory of this process (VmHWM), which did nothing before the match.
    peak_rss_mib: Option<f64>,
    enterprises: u64,
    assistance_targets: u64,
    items: usize,
    eligible_pairs: u64,
}

/// `huiqi bench match-db`: the import runs as a child process, so that this process's peak
/// memory (VmHWM) is the match's alone.
async fn match_db(
    rows: usize,
    date: &str,
    no_import: bool,
    json: bool,
    ctx: &Context,
) -> anyhow::Result<ExitCode> {
    let date = calendar::parse_date(date).map_err(|e| super::user_error(&e))?;
    let tmp = tempfile::tempdir()?;
    let url = if ctx.database == crate::db::DEFAULT_DATABASE {
        tmp.path().join("bench.db").display().to_string()
    } else {
        ctx.database.clone()
    };
    let import_s = if no_import {
        None
    } else {
        let t = Instant::now();
        let exe = std::env::current_exe()?;
        let out = std::process::Command::new(exe)
            .args(["--database", &url, "bench", "import", "--rows", &rows.to_string()])
            .arg("--dir")
            .arg(tmp.path())
            .output()?;
        let took = t.elapsed().as_secs_f64();
        let log = String::from_utf8_lossy(&out.stdout);
        anyhow::ensure!(
            out.status.success(),
            "the import failed: {log}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !json {
            for line in log.lines() {
                println!("import | {line}");
            }
        }
        Some(took)
    };
    let ctx = Context::of(url);
    let t = Instant::now();
    let Some((run, _)) = super::policy::run_match(&ctx, date, None, true, None, "bench").await? else {
        return Ok(ExitCode::FAILURE);
    };
    let match_s = t.elapsed().as_secs_f64();
    let s = |ms: u64| ms as f64 / 1000.0;
    let backend = if crate::db::is_postgres(&ctx.database) { "postgres" } else { "sqlite" };
    let out = MatchDbOut {
        backend,
        rows,
        import_s,
        match_s,
        read_build_s: s(run.timings.load_ms),
        read_wait_s: s(run.timings.read_wait_ms),
        evaluate_s: s(run.timings.eval_ms),
        store_s: s(run.timings.store_ms),
        peak_rss_mib: peak_memory_mib(),
        enterprises: run.scanned,
        assistance_targets: run.enterprises,
        items: run.items.len(),
        eligible_pairs: run.eligible_pairs,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let peak = out.peak_rss_mib.map_or("unavailable".to_string(), |m| format!("{m:.0} MiB"));
    println!(
        "{backend}: {} enterprises ({} assistance targets) × {} items in force on {date}; {} eligible pairs stored",
        out.enterprises, out.assistance_targets, out.items, out.eligible_pairs
    );
    if let Some(i) = out.import_s {
        println!("  import (bench import, a child process): {i:.2} s");
    }
    println!(
        "  match: {match_s:.2} s = read and build {:.2} s (of it waiting for reads {:.2} s), evaluate {:.2} s, store {:.2} s, and the rest (opening, library)",
        out.read_build_s, out.read_wait_s, out.evaluate_s, out.store_s
    );
    println!("  peak memory of the match (VmHWM): {peak}");
    Ok(ExitCode::SUCCESS)
}

async fn import(
    rows: usize,
    dir: Option<std::path::PathBuf>,
    registry: &str,
    ctx: &Context,
) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("bench-enterprises.csv");
    let t = Instant::now();
    let mut file = std::io::BufWriter::new(std::fs::File::create(&csv)?);
    let written = if registry == "grants" {
        import::synth::write_grants_csv(&mut file, rows)?
    } else {
        import::synth::write_csv(&mut file, rows, &[2022])?
    };
    drop(file);
    let size = std::fs::metadata(&csv)?.len();
    println!("generated {written} rows, {:.1} MB, in {:.2?}", size as f64 / 1e6, t.elapsed());

    let url = if ctx.database == crate::db::DEFAULT_DATABASE {
        dir.join("bench.db").display().to_string()
    } else {
        ctx.database.clone()
    };
    if !crate::db::is_postgres(&url) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }
    let store = crate::db::open_ready(&url).await?;

    let total = Instant::now();
    let as_of = chrono::NaiveDate::from_ymd_opt(2023, 5, 31).context("date")?;
    let options = import::Options::new(as_of, FactSource::Tax);
    let t = Instant::now();
    let parsed =
        tokio::task::spawn_blocking(move || import::read_file(&csv, &options, &mut |_| {})).await??;
    let parse = t.elapsed();
    anyhow::ensure!(parsed.is_clean(), "the generated file has {} errors", parsed.errors.len());
    let facts: usize = parsed.records.iter().map(|r| r.facts.len()).sum();
    let enterprises = parsed.records.len();
    let t = Instant::now();
    let outcome = store
        .apply_import(ImportRequest {
            actor: Stamp::new("bench", crate::db::now()),
            file_name: "bench-enterprises.csv".into(),
            format: ImportFormat::Csv,
            records: parsed.records,
            dry_run: false,
        })
        .await?;
    let write = t.elapsed();
    let all = total.elapsed();
    println!(
        "imported {} rows: {enterprises} enterprises, {facts} facts into {} ({})",
        parsed.rows,
        store.backend_name(),
        url
    );
    println!("  parse and validate: {parse:.2?}");
    println!("  database (one transaction): {write:.2?}");
    println!("  total: {all:.2?} ({:.0} rows/s)", parsed.rows as f64 / all.as_secs_f64());
    if let Some(m) = peak_memory_mib() {
        println!("  peak memory: {m:.0} MiB");
    }
    println!("  created {}, changes recorded {}", outcome.created, outcome.changes);
    Ok(ExitCode::SUCCESS)
}

/// `huiqi bench match` (also `huiqi policy bench`): the batch engine over `n` synthetic
/// enterprises × `m` synthetic items in blocks of 65,536, then `one` other synthetic
/// enterprises each against every item with explanations (the compiled single evaluator).
pub fn run_match(n: usize, m: usize, seed: u64, date: &str, one: usize) -> anyhow::Result<ExitCode> {
    use chrono::Datelike;
    let date = calendar::parse_date(date).map_err(|e| super::user_error(&e))?;
    let dict = enterprise::FactDictionary::official();
    let t0 = Instant::now();
    let lib = rules::synth::library(m, seed, dict);
    let items = lib.items_in_force(date);
    let t_lib = t0.elapsed();
    let t1 = Instant::now();
    let snap = rules::synth::snapshot(n, seed, date.year(), dict);
    let t_snap = t1.elapsed();
    let heap = snap.heap_bytes();
    let blocks = snap.into_blocks(65_536);
    let t2 = Instant::now();
    let c2 = thread_cpu_ns();
    let result = rules::batch::run_blocks(&lib.program, &items, &blocks, date, 1);
    let t_eval = t2.elapsed();
    let cpu_eval = thread_cpu_ns().saturating_sub(c2) as f64 / 1e9;
    drop(blocks);
    let decisions = (n * items.len()) as f64;
    let eligible: usize = result.items.iter().map(|r| r.eligible).sum();
    let undetermined: usize = result.items.iter().map(|r| r.undetermined).sum();
    let hwm = peak_memory_mib();
    println!("enterprises: {n}, items: {}, decisions: {}", items.len(), decisions as u64);
    println!(
        "library: {:.3} s; snapshot built in {:.3} s ({} MiB of columns)",
        t_lib.as_secs_f64(),
        t_snap.as_secs_f64(),
        heap >> 20
    );
    println!(
        "evaluation: {:.3} s, {:.1} M decisions/s; on-CPU {:.3} s, {:.1} M decisions/s ({} shared nodes, blocks of 65536)",
        t_eval.as_secs_f64(),
        decisions / t_eval.as_secs_f64() / 1e6,
        cpu_eval,
        decisions / cpu_eval.max(1e-9) / 1e6,
        result.nodes
    );
    println!("eligible: {eligible}, undetermined: {undetermined}");
    match hwm {
        Some(m) => println!("peak memory (VmHWM): {m:.0} MiB"),
        None => println!("peak memory: unavailable (no /proc/self/status)"),
    }
    // One enterprise against every item with explanations. The first call compiles the
    // library for the date (reported apart). Then each enterprise 5 times: the first pass
    // gives wall-clock numbers as a page sees them (and the on-CPU mean over the pass; a
    // per-call CPU clock ticks too coarsely), the fastest of the 5 per enterprise its cost
    // without other processes' interference.
    let sample = rules::synth::enterprises(one.max(1), seed ^ 1, date.year());
    let t = Instant::now();
    let first = lib.evaluate_all(&sample[0], date).len();
    let t_first = t.elapsed();
    let mut wall = Vec::with_capacity(sample.len());
    let mut best = vec![f64::MAX; sample.len()];
    let mut cpu_pass = 0;
    for pass in 0..5 {
        let c = thread_cpu_ns();
        for (k, f) in sample.iter().enumerate() {
            let t = Instant::now();
            let d = lib.evaluate_all(f, date);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            drop(d);
            if pass == 0 {
                wall.push(ms);
            }
            best[k] = best[k].min(ms);
        }
        if pass == 0 {
            cpu_pass = thread_cpu_ns().saturating_sub(c);
        }
    }
    println!(
        "one enterprise × {first} items with explanations: first call (compiles the plan) {:.3} ms; on-CPU mean {:.3} ms",
        t_first.as_secs_f64() * 1e3,
        cpu_pass as f64 / 1e6 / sample.len() as f64
    );
    for (what, mut v) in [("wall", wall), ("fastest of 5", best)] {
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let at = |q: usize| v.get(v.len() * q / 100).copied().unwrap_or(0.0);
        println!(
            "  over {} enterprises, {what}: mean {mean:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
            v.len(),
            at(50),
            at(99)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Nanoseconds this thread has been on a CPU (/proc/thread-self/schedstat; 0 where absent).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

/// Percentile of sorted durations in milliseconds.
fn pct_ms(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

const WORDS: &[&str] = &[
    "留抵退税",
    "增值税",
    "小微企业",
    "专精特新",
    "高新技术企业",
    "研发投入",
    "贷款贴息",
    "房租补贴",
    "稳岗返还",
    "人才引进",
    "高校毕业生",
    "技术改造",
    "营收倍增",
    "上市奖励",
    "发明专利",
    "物流",
    "货车限行",
    "用电报装",
    "天然气",
    "信用修复",
    "展会",
    "跨境电商",
    "法律咨询",
    "劳动用工",
    "社保缓缴",
    "六税两费",
    "加计抵减",
    "小规模纳税人",
    "免申即享",
    "政策兑现",
    "融资担保",
    "风险补偿",
    "转贷",
    "过桥资金",
    "供应链",
    "产业链",
    "消防验收",
    "排污许可",
    "环评",
    "不动产权证",
    "停车",
    "公交",
    "宿舍",
    "食堂许可证",
    "噪音",
    "网络信号",
];
const VERBS: &[&str] =
    &["申请", "兑现", "办理", "审核", "拨付", "咨询", "延期", "到账", "认定", "补贴", "奖励", "减免"];
const ISSUERS: &[&str] = &["财政部 税务总局公告", "湘财税", "长政发", "园政发", "工信部联企业"];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn synth_doc(r: &mut Rng, i: usize) -> search::SearchDoc {
    let kinds = [
        search::Kind::Policy,
        search::Kind::Item,
        search::Kind::Faq,
        search::Kind::Guide,
        search::Kind::Interpretation,
    ];
    let kind = kinds[i % kinds.len()];
    let title = format!("{}{}{}", r.pick(WORDS), r.pick(VERBS), r.pick(WORDS));
    let body: String = (0..12).map(|_| format!("{}{}，", r.pick(WORDS), r.pick(VERBS))).collect();
    let year = 2019 + (r.next() % 6) as i32;
    let from = chrono::NaiveDate::from_ymd_opt(year, 1 + (r.next() % 12) as u32, 1);
    search::SearchDoc {
        kind: Some(kind),
        id: i.to_string(),
        docno: if kind == search::Kind::Policy {
            format!("{}{year}年第{}号", r.pick(ISSUERS), 1 + r.next() % 200)
        } else {
            String::new()
        },
        level: ["national", "provincial", "municipal", "zone"][(r.next() % 4) as usize].to_string(),
        departments: vec!["经济发展局".into()],
        valid_from: from,
        valid_to: from.and_then(|d| d.checked_add_signed(chrono::Duration::days(365 * 2))),
        title,
        body,
        ..search::SearchDoc::default()
    }
}

async fn bench_search(docs: usize, queries: usize, problems: usize, seed: u64) -> anyhow::Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let mut r = Rng(seed.max(1));
    // 1. Indexing.
    let all: Vec<search::SearchDoc> = (0..docs).map(|i| synth_doc(&mut r, i)).collect();
    let t = Instant::now();
    let ix = search::SearchIndex::open(&dir.path().join("index"))?;
    for chunk in all.chunks(10_000) {
        ix.apply(&[], &[], chunk, &search::Watermarks::default())?;
    }
    let index_s = t.elapsed().as_secs_f64();
    println!(
        "index: {docs} documents in {index_s:.2} s ({:.0} docs/s), {} in the index",
        docs as f64 / index_s,
        ix.len()
    );
    // 2. Queries.
    let mut times = Vec::with_capacity(queries);
    let mut hits = 0usize;
    for k in 0..queries {
        let text = match k % 4 {
            0 => format!("{}{}", r.pick(WORDS), r.pick(VERBS)),
            1 => format!("{} {}", r.pick(WORDS), r.pick(WORDS)),
            2 => format!("{}2022年第{}号", r.pick(ISSUERS), 1 + r.next() % 200),
            _ => ["zjtx", "liudi", "ldts", "wgfh", "gxjs"][k % 5].to_string(),
        };
        let q = search::SearchQuery {
            text,
            date: (k % 3 == 0).then(|| chrono::NaiveDate::from_ymd_opt(2022, 6, 30)).flatten(),
            access: Some(vec![search::PUBLIC.to_string()]),
            limit: 20,
            ..search::SearchQuery::default()
        };
        let t = Instant::now();
        hits += ix.search(&q)?.len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "query: {queries} queries, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({:.1} results each)",
        pct_ms(&times, 0.5),
        pct_ms(&times, 0.99),
        times.last().copied().unwrap_or(0.0),
        hits as f64 / queries.max(1) as f64
    );
    drop(ix);
    // 3. Suggestions through the use case over a real store with the demo content.
    let store = crate::db::open_ready(&dir.path().join("bench.db").display().to_string()).await?;
    let app = app::App::new(store);
    app.load_documents().await.map_err(|e| crate::user_error(&e))?;
    crate::content::load_demo(&app).await?;
    let who = app::Principal::operator("bench");
    let phrases = [
        "我们想申请留抵退税需要什么材料",
        "招不到工人怎么办",
        "货车限行原材料进不来",
        "房租补贴什么时候到账",
        "信用修复流程",
    ];
    let mut st = Vec::new();
    for k in 0..500 {
        let t = Instant::now();
        let _ = app::search::suggest(&app, &who, phrases[k % phrases.len()], None)
            .await
            .map_err(crate::app_error)?;
        st.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    st.sort_by(f64::total_cmp);
    println!(
        "suggest (use case, store check included): 500 calls, p50 {:.2} ms, p99 {:.2} ms",
        pct_ms(&st, 0.5),
        pct_ms(&st, 0.99)
    );
    // 4. Common problems: a vocabulary of 20,000 two-character words, 5,000 topics of four
    // words; each problem tells one topic with four words of its own.
    let word = |r: &mut Rng| -> String {
        (0..2).map(|_| char::from_u32(0x4E00 + (r.next() % 0x51A5) as u32).unwrap_or('企')).collect()
    };
    let vocab: Vec<String> = (0..20_000).map(|_| word(&mut r)).collect();
    let pick = |r: &mut Rng| vocab[(r.next() % vocab.len() as u64) as usize].clone();
    let topics: Vec<String> =
        (0..5_000).map(|_| (0..4).map(|_| pick(&mut r)).collect::<Vec<_>>().join("")).collect();
    let texts: Vec<search::cluster::Text> = (0..problems)
        .map(|_| {
            let topic = &topics[(r.next() % topics.len() as u64) as usize];
            let own: Vec<String> = (0..4).map(|_| pick(&mut r)).collect();
            search::cluster::Text {
                owner: format!("E{}", r.next() % 20_000),
                text: format!("{topic}，{}", own.join("，")),
            }
        })
        .collect();
    let t = Instant::now();
    let groups = search::cluster::group(&texts, &search::cluster::Settings::default());
    println!(
        "common problems: {problems} open problems grouped in {:.2} s ({} groups); peak memory {:.0} MiB",
        t.elapsed().as_secs_f64(),
        groups.len(),
        peak_memory_mib().unwrap_or(0.0)
    );
    Ok(ExitCode::SUCCESS)
}
