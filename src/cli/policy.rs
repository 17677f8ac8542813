//! `huiqi policy …`: policies as rules (政策即规则). Check and test the policy library,
//! evaluate one enterprise's facts against every item in force, explain one stored
//! enterprise's decision, match every assistance target against every item in force (a stored
//! match run), simulate a parameter change, and benchmark the batch engine. The rules crate
//! does no I/O: this module reads the files (or the embedded shipped library) and the store.
//!
//! The library lives in the database as versioned documents (`store::documents`), seeded from
//! the shipped files: `load` checks files and stores them, `export` writes the database copy
//! out as files.
//!
//! Library resolution: `check`/`test` take `[PATH]`; without it, the database copy when the
//! database exists, else the shipped library. The other commands take `--policies PATH`;
//! without it, the database copy when the database exists, else `policies/` if present in the
//! working directory, else the shipped library embedded in the binary.

use super::{Context, UserError};
use clap::Subcommand;
use enterprise::{FactDictionary, Facts};
use rules::{Library, Outcome, SourceFile};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Parses and type-checks policy files (default: the database copy if the database exists,
    /// else the shipped library); exit 1 with the errors.
    Check { path: Option<String> },
    /// Runs every item's test cases (default: the database copy if the database exists, else
    /// the shipped library); exit 1 on a failure.
    Test { path: Option<String> },
    /// Checks policy files (parse, types, test cases, together with the other stored
    /// documents) and stores them all or nothing as new versions in the database.
    Load {
        /// A policy file or a directory of them (default: policies/).
        path: Option<String>,
        /// Who loads them, as recorded with each version.
        #[arg(long = "as", default_value = "policy-load")]
        actor: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Writes the database's current policy documents as files under DIR (`load` reads them back).
    Export { dir: String },
    /// Decides one enterprise's facts against every item in force on a date.
    Eval {
        /// JSON facts: scalar facts as values, per-year facts as {"2021": value}, money as
        /// decimal strings, tags as a list.
        #[arg(long)]
        facts: String,
        /// Evaluation date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Print the decisions as JSON.
        #[arg(long)]
        json: bool,
        /// Policy file or directory (default: policies/ if present, else the shipped library).
        #[arg(long)]
        policies: Option<String>,
    },
    /// Explains one stored enterprise's decision on one item: the tree of conditions with the
    /// values used and each outcome.
    Explain {
        /// The enterprise's unified social credit code.
        #[arg(long)]
        enterprise: String,
        /// The item id.
        #[arg(long)]
        item: String,
        /// Evaluation date, YYYY-MM-DD (default: today, China time).
        #[arg(long)]
        date: Option<String>,
        /// Print the decision as JSON (one element of `policy eval --json`).
        #[arg(long)]
        json: bool,
        /// Policy file or directory (default: policies/ if present, else the shipped library).
        #[arg(long)]
        policies: Option<String>,
    },
    /// Decides every assistance-target enterprise against every item in force on a date and
    /// stores the result as a match run.
    Match {
        /// Evaluation date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Print the run as JSON.
        #[arg(long)]
        json: bool,
        /// Policy file or directory (default: policies/ if present, else the shipped library).
        #[arg(long)]
        policies: Option<String>,
        /// Who runs the match, as recorded with the run.
        #[arg(long = "as", default_value = "policy-match")]
        actor: String,
    },
    /// Simulates a change of an item's parameters over every assistance-target enterprise:
    /// who gains, who loses, and the change in total cost.
    Simulate {
        /// The item id.
        #[arg(long)]
        item: String,
        /// NAME=VALUE: a parameter of the item and its new value (from the evaluation date on);
        /// repeat for several.
        #[arg(long = "set", required = true)]
        set: Vec<String>,
        /// Evaluation date, YYYY-MM-DD (default: today, China time).
        #[arg(long)]
        date: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// How many gainers and losers to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Policy file or directory (default: policies/ if present, else the shipped library).
        #[arg(long)]
        policies: Option<String>,
    },
    /// Benchmarks the batch engine on seeded synthetic enterprises and items.
    Bench {
        #[arg(long, default_value_t = 100_000)]
        enterprises: usize,
        #[arg(long, default_value_t = 200)]
        items: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Evaluation date, YYYY-MM-DD.
        #[arg(long, default_value = "2022-06-30")]
        date: String,
    },
}

pub fn run(cmd: PolicyCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCmd::Explain { enterprise, item, date, json, policies } => {
            super::block_on(explain(ctx, &enterprise, &item, date.as_deref(), json, policies.as_deref()))
        }
        PolicyCmd::Match { date, json, policies, actor } => {
            super::block_on(match_run(ctx, &date, json, policies.as_deref(), &actor))
        }
        PolicyCmd::Simulate { item, set, date, json, limit, policies } => {
            super::block_on(simulate(ctx, &item, &set, date.as_deref(), json, limit, policies.as_deref()))
        }
        PolicyCmd::Check { path } => super::block_on(check(ctx, path.as_deref())),
        PolicyCmd::Test { path } => super::block_on(test(ctx, path.as_deref())),
        PolicyCmd::Load { path, actor, json } => {
            super::block_on(load_cmd(ctx, path.as_deref(), &actor, json))
        }
        PolicyCmd::Export { dir } => super::block_on(export(ctx, &dir)),
        PolicyCmd::Eval { facts, date, json, policies } => {
            super::block_on(eval(ctx, &facts, &date, json, policies.as_deref()))
        }
        PolicyCmd::Bench { enterprises, items, seed, date } => bench(enterprises, items, seed, &date),
    }
}

fn user(msg: String) -> anyhow::Error {
    anyhow::Error::new(UserError(msg))
}

/// Reads a policy file, or every `*.toml` under a directory (sorted, recursively).
pub fn read_sources(path: &Path) -> anyhow::Result<Vec<SourceFile>> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if p.is_dir() {
            for e in std::fs::read_dir(p)? {
                walk(&e?.path(), out)?;
            }
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p.to_path_buf());
        }
        Ok(())
    }
    let shown = path.display();
    if !path.exists() {
        return Err(user(format!("找不到政策路径 {shown} / policy path {shown} does not exist")));
    }
    let mut paths = Vec::new();
    walk(path, &mut paths).map_err(|e| user(format!("无法读取 {shown}：{e} / cannot read {shown}: {e}")))?;
    paths.sort();
    if paths.is_empty() {
        return Err(user(format!("{shown} 下没有 .toml 政策文件 / no .toml policy files under {shown}")));
    }
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| {
                let d = p.display();
                user(format!("无法读取 {d}：{e} / cannot read {d}: {e}"))
            })?;
            Ok(SourceFile { name: p.display().to_string(), text })
        })
        .collect()
}

/// Whether the database named by the URL exists (a PostgreSQL URL always does; a SQLite one
/// when its file exists), so that reading it does not create it.
fn database_exists(url: &str) -> bool {
    crate::db::is_postgres(url) || Path::new(crate::db::sqlite_path(url)).is_file()
}

/// The files of `path`; without one, the database copy when the database exists, else the
/// shipped library (`or_dir`: else `policies/` if present, before the shipped library). With
/// where they came from, in both languages.
async fn library_files(
    ctx: &Context,
    path: Option<&str>,
    or_dir: bool,
) -> anyhow::Result<(Vec<SourceFile>, String)> {
    match path {
        Some(p) => Ok((read_sources(Path::new(p))?, p.to_string())),
        None if database_exists(&ctx.database) => {
            let store = crate::db::open_ready(&ctx.database).await?;
            let files = crate::policies::database_sources(store.as_ref()).await?;
            Ok((files, format!("数据库 / database {}", ctx.database)))
        }
        None if or_dir && Path::new("policies").is_dir() => {
            Ok((read_sources(Path::new("policies"))?, "policies/".into()))
        }
        None => Ok((crate::policies::sources(), "内置政策库 / shipped library".into())),
    }
}

/// Loads and checks the library; prints every problem to stderr. `None` when there were
/// problems.
async fn load(ctx: &Context, path: Option<&str>) -> anyhow::Result<Result<(Library, usize), usize>> {
    let (files, origin) = library_files(ctx, path, false).await?;
    outln!("政策库 / policy library: {origin}");
    let (lib, diags) = Library::load(&files, FactDictionary::official());
    if diags.is_empty() {
        Ok(Ok((lib, files.len())))
    } else {
        for d in &diags {
            eprintln!("{}", d.render());
        }
        Ok(Err(diags.len()))
    }
}

async fn check(ctx: &Context, path: Option<&str>) -> anyhow::Result<ExitCode> {
    match load(ctx, path).await? {
        Ok((lib, files)) => {
            let items = lib.items().count();
            outln!(
                "检查通过：{files} 个政策文件，{items} 个条款 / check passed: {files} policy files, {items} items"
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(n) => {
            eprintln!("发现 {n} 个问题 / {n} problems found");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn test(ctx: &Context, path: Option<&str>) -> anyhow::Result<ExitCode> {
    let (lib, _) = match load(ctx, path).await? {
        Ok(x) => x,
        Err(n) => {
            eprintln!("发现 {n} 个问题，未运行用例 / {n} problems found; no case was run");
            return Ok(ExitCode::FAILURE);
        }
    };
    let reports = lib.run_cases();
    let failed = reports.iter().filter(|r| !r.passed).count();
    for r in &reports {
        match &r.problem {
            None => outln!("通过 PASS  {} «{}»", r.item, r.case),
            Some(p) => outln!("失败 FAIL  {} «{}» ({}): {p}", r.item, r.case, r.file),
        }
    }
    let passed = reports.len() - failed;
    outln!(
        "{passed} 个用例通过，{failed} 个失败 / {passed} cases passed, {failed} failed ({} items)",
        lib.items().count()
    );
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn eval(
    ctx: &Context,
    facts_path: &str,
    date: &str,
    json: bool,
    policies: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let date = calendar::parse_date(date).map_err(|e| super::user_error(&e))?;
    let text = std::fs::read_to_string(facts_path).map_err(|e| {
        user(format!("无法读取事实文件 {facts_path}：{e} / cannot read facts file {facts_path}: {e}"))
    })?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        user(format!(
            "事实文件 {facts_path} 不是有效的 JSON：{e} / facts file {facts_path} is not valid JSON: {e}"
        ))
    })?;
    let facts = Facts::from_json(FactDictionary::official(), &doc).map_err(|errs| {
        let lines: Vec<String> =
            errs.iter().map(|e| format!("  事实 {} 有误 / fact {}: {}", e.fact, e.fact, e.reason)).collect();
        user(format!(
            "事实文件 {facts_path} 有 {} 处错误 / facts file {facts_path} has {} errors:\n{}",
            errs.len(),
            errs.len(),
            lines.join("\n")
        ))
    })?;
    let Some(lib) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let decisions = lib.library.evaluate_all(&facts, date);
    if json {
        outln!("{}", serde_json::to_string_pretty(&decisions)?);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &decisions {
        let label = match d.outcome {
            Outcome::Eligible => "符合 eligible",
            Outcome::Ineligible => "不符合 ineligible",
            Outcome::Undetermined => "待定 undetermined",
        };
        let amount = d.amount.map(|a| format!("  ¥{a}")).unwrap_or_default();
        outln!("{label:<20} {}  {}{amount}", d.item, d.title);
        if !d.missing_facts.is_empty() {
            let m: Vec<String> = d.missing_facts.iter().map(ToString::to_string).collect();
            outln!("{:<20}   缺少事实 / missing facts: {}", "", m.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn bench(n: usize, m: usize, seed: u64, date: &str) -> anyhow::Result<ExitCode> {
    super::bench::run_match(n, m, seed, date, super::bench::ONE_DEFAULT)
}

// ---------------------------------------------------------------------------------------
// The library every store-facing command uses

/// A loaded, checked library and where it came from.
struct Loaded {
    library: Library,
    /// `policies/`, a path, or `shipped` (embedded in the binary).
    origin: String,
    /// The first 16 hex digits of SHA-256 over the files' names and texts: identifies the
    /// library a match run used.
    fingerprint: String,
}

/// `--policies PATH` if given, else the database copy if the database exists, else
/// `policies/` if present, else the embedded shipped library. `None` (after printing every
/// problem) when the library does not check.
async fn resolve_library(ctx: &Context, path: Option<&str>) -> anyhow::Result<Option<Loaded>> {
    use sha2::{Digest, Sha256};
    let (files, origin) = library_files(ctx, path, true).await?;
    let (library, diags) = Library::load(&files, FactDictionary::official());
    if !diags.is_empty() {
        for d in &diags {
            eprintln!("{}", d.render());
        }
        let n = diags.len();
        eprintln!("政策库（{origin}）有 {n} 个问题 / the policy library ({origin}) has {n} problems");
        return Ok(None);
    }
    let mut h = Sha256::new();
    for f in &files {
        let name = Path::new(&f.name).file_name().map(|n| n.to_string_lossy().into_owned());
        h.update(name.unwrap_or_default().as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    let fingerprint = hex::encode(h.finalize())[..16].to_string();
    Ok(Some(Loaded { library, origin, fingerprint }))
}

/// The item with this id, or a bilingual error naming the nearest ids.
fn find_item<'l>(lib: &'l Library, id: &str) -> anyhow::Result<&'l rules::Item> {
    if let Some(i) = lib.item(id) {
        return Ok(i);
    }
    let near = nearest(id, lib.items().map(|i| i.id.as_str()));
    Err(user(format!("没有条款 {id}{} / no item {id}{}", hint_zh(&near), hint_en(&near))))
}

/// Up to three candidates closest to `wanted` by edit distance (within half its length).
fn nearest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (wanted.chars().count() / 2).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| (enterprise::facts::edit_distance(wanted, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c.to_string()).collect()
}

fn hint_zh(near: &[String]) -> String {
    if near.is_empty() { String::new() } else { format!("；是否指 {}？", near.join("、")) }
}

fn hint_en(near: &[String]) -> String {
    if near.is_empty() { String::new() } else { format!("; did you mean {}?", near.join(", ")) }
}

/// The evaluation date: the given one, else today in China time.
fn date_or_today(date: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    match date {
        Some(d) => calendar::parse_date(d).map_err(|e| super::user_error(&e)),
        None => Ok(store::model::china_date(crate::db::now())),
    }
}

fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Eligible => "符合 eligible",
        Outcome::Ineligible => "不符合 ineligible",
        Outcome::Undetermined => "待定 undetermined",
    }
}

// ---------------------------------------------------------------------------------------
// explain

async fn explain(
    ctx: &Context,
    uscc: &str,
    item: &str,
    date: Option<&str>,
    json: bool,
    policies: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let date = date_or_today(date)?;
    let code = enterprise::UnifiedCreditCode::parse(uscc).map_err(|e| super::user_error(&e))?;
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let lib = &loaded.library;
    let item = find_item(lib, item)?;
    let store = crate::db::open_ready(&ctx.database).await?;
    let Some(view) = store.get_enterprise(&code).await? else {
        return Err(user(format!(
            "数据库中没有统一社会信用代码为 {code} 的企业（先用 huiqi import enterprises 导入）/ no enterprise \
             with credit code {code} in the database (import it first with huiqi import enterprises)"
        )));
    };
    let d = lib.evaluate(item, &view.facts(), date);
    if json {
        outln!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("企业 / enterprise: {} {}", view.enterprise.uscc, view.enterprise.name);
    outln!("条款 / item: {} {} ({})", d.item, d.title, d.document);
    outln!("评估日期 / date: {date}");
    if !item.window.contains(date) {
        outln!("注意：该条款在 {date} 不在有效期内 / note: the item is not in force on {date}");
    }
    let amount = d.amount.map(|a| format!("  金额 / amount ¥{a}")).unwrap_or_default();
    outln!("结论 / decision: {}{amount}", outcome_label(d.outcome));
    if !d.missing_facts.is_empty() {
        let m: Vec<String> = d.missing_facts.iter().map(ToString::to_string).collect();
        outln!("缺少事实 / missing facts: {}", m.join(", "));
    }
    outln!("理由 / explanation:");
    print_tree(&d.explanation, 1);
    Ok(ExitCode::SUCCESS)
}

fn print_tree(x: &rules::Explanation, depth: usize) {
    let mark = match x.outcome.as_str() {
        "true" => "✓ 成立 true",
        "false" => "✗ 不成立 false",
        "undetermined" => "? 待定 undetermined",
        other => other,
    };
    let indent = "  ".repeat(depth);
    outln!("{indent}[{mark}] {}", x.expr);
    for (k, v) in &x.values {
        let v = if v == "missing" { "缺失 missing" } else { v.as_str() };
        outln!("{indent}    {k} = {v}");
    }
    for c in &x.children {
        print_tree(c, depth + 1);
    }
}

// ---------------------------------------------------------------------------------------
// match

/// Every assistance-target enterprise of the store, streamed into facts, with a progress bar.
struct Targets {
    ids: Vec<i64>,
    who: Vec<(String, String)>,
    facts: Vec<Facts>,
    /// Enterprises read (targets or not).
    read: u64,
}

async fn load_targets(store: &dyn store::Store, quiet: bool) -> anyhow::Result<Targets> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let total = store.enterprise_count().await?;
    let bar = ProgressBar::new(total);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} 读取企业 / reading enterprises [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut t = Targets { ids: Vec::new(), who: Vec::new(), facts: Vec::new(), read: 0 };
    let read = store::for_each_enterprise(store, 5000, |row| {
        bar.inc(1);
        if row.enterprise.assistance_target() {
            t.ids.push(row.id);
            t.facts.push(row.facts());
            t.who.push((row.enterprise.uscc.to_string(), row.enterprise.name));
        }
        Ok(())
    })
    .await?;
    bar.finish_and_clear();
    t.read = read;
    Ok(t)
}

/// A spinner while the batch engine runs (hidden for JSON output or when stderr is no terminal).
fn spinner(msg: &'static str, quiet: bool) -> indicatif::ProgressBar {
    let s = indicatif::ProgressBar::new_spinner();
    if quiet {
        s.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    s.set_message(msg);
    s.enable_steady_tick(std::time::Duration::from_millis(100));
    s
}

#[derive(serde::Serialize)]
struct MatchItemOut {
    item: String,
    title: String,
    document: String,
    eligible: u64,
    ineligible: u64,
    undetermined: u64,
    total_amount: String,
}

#[derive(serde::Serialize)]
struct Timings {
    load_ms: u64,
    eval_ms: u64,
    store_ms: u64,
}

#[derive(serde::Serialize)]
struct MatchOut {
    run_id: i64,
    date: String,
    library: String,
    enterprises: u64,
    items: Vec<MatchItemOut>,
    timings: Timings,
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn match_run(
    ctx: &Context,
    date: &str,
    json: bool,
    policies: Option<&str>,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    use std::time::Instant;
    let date = calendar::parse_date(date).map_err(|e| super::user_error(&e))?;
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let lib = &loaded.library;
    let store = crate::db::open_ready(&ctx.database).await?;
    let t0 = Instant::now();
    let targets = load_targets(store.as_ref(), json).await?;
    let load = t0.elapsed();
    let items = lib.items_in_force(date);
    let t1 = Instant::now();
    let sp = spinner("评估 / evaluating", json);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(2);
    let snap = rules::batch::Snapshot::from_facts(&targets.facts, FactDictionary::official());
    let blocks = snap.into_blocks(65_536);
    let result = rules::batch::run_blocks(&lib.program, &items, &blocks, date, threads);
    sp.finish_and_clear();
    let eval = t1.elapsed();
    let mut counts = Vec::new();
    let mut eligible = Vec::new();
    for r in &result.items {
        counts.push(store::matches::MatchCount {
            item: r.item.clone(),
            eligible: r.eligible as u64,
            ineligible: r.ineligible as u64,
            undetermined: r.undetermined as u64,
            total_amount: r.total,
        });
        for (w, word) in r.eligible_bits.iter().enumerate() {
            let mut m = *word;
            while m != 0 {
                let row = w * 64 + m.trailing_zeros() as usize;
                m &= m - 1;
                if let Some(id) = targets.ids.get(row) {
                    eligible.push(store::matches::MatchEligible {
                        enterprise_id: *id,
                        item: r.item.clone(),
                        amount: r.amount(row),
                    });
                }
            }
        }
    }
    let t2 = Instant::now();
    let run_id = store
        .record_match_run(store::matches::NewMatchRun {
            actor: store::Actor::new(actor, crate::db::now()),
            date,
            library_fingerprint: loaded.fingerprint.clone(),
            enterprises: targets.ids.len() as u64,
            items: items.len() as u64,
            load_ms: ms(load),
            eval_ms: ms(eval),
            counts: counts.clone(),
            eligible,
        })
        .await?;
    let stored = t2.elapsed();
    let out = MatchOut {
        run_id,
        date: date.to_string(),
        library: format!("{} ({})", loaded.origin, loaded.fingerprint),
        enterprises: targets.ids.len() as u64,
        items: items
            .iter()
            .zip(&counts)
            .map(|(i, c)| MatchItemOut {
                item: i.id.clone(),
                title: i.title.clone(),
                document: i.document.clone(),
                eligible: c.eligible,
                ineligible: c.ineligible,
                undetermined: c.undetermined,
                total_amount: c.total_amount.to_string(),
            })
            .collect(),
        timings: Timings { load_ms: ms(load), eval_ms: ms(eval), store_ms: ms(stored) },
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "匹配批次 / match run {run_id}: {date}，帮扶对象 {} 家（共 {} 家）× 有效条款 {} 项 / {} assistance targets (of {} enterprises) × {} items in force",
        out.enterprises,
        targets.read,
        items.len(),
        out.enterprises,
        targets.read,
        items.len()
    );
    outln!("政策库 / library: {}", out.library);
    outln!(
        "{:<36} {:>8} {:>8} {:>8} {:>18}",
        "条款 item",
        "符合 elig",
        "不符 inel",
        "待定 undet",
        "金额合计 total ¥"
    );
    for i in &out.items {
        outln!(
            "{:<36} {:>8} {:>8} {:>8} {:>18}",
            i.item,
            i.eligible,
            i.ineligible,
            i.undetermined,
            i.total_amount
        );
    }
    let grand: rust_decimal::Decimal = counts.iter().map(|c| c.total_amount).sum();
    outln!("合计金额 / total amount: ¥{grand}");
    outln!(
        "用时 / timings: 读取 load {} ms, 评估 evaluate {} ms, 保存 store {} ms",
        out.timings.load_ms,
        out.timings.eval_ms,
        out.timings.store_ms
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// simulate

/// The parameters an item reads (directly or through its definitions).
fn params_of(lib: &Library, item: &rules::Item) -> std::collections::BTreeSet<String> {
    lib.names_used(item).0
}

#[derive(serde::Serialize)]
struct CountsOut {
    eligible: usize,
    ineligible: usize,
    undetermined: usize,
    total_amount: String,
}

impl CountsOut {
    fn of(c: &rules::batch::ItemCounts) -> CountsOut {
        CountsOut {
            eligible: c.eligible,
            ineligible: c.ineligible,
            undetermined: c.undetermined,
            total_amount: c.total.to_string(),
        }
    }
}

#[derive(serde::Serialize)]
struct WhoOut {
    uscc: String,
    name: String,
}

#[derive(serde::Serialize)]
struct SimOut {
    item: String,
    date: String,
    set: Vec<String>,
    enterprises: usize,
    baseline: CountsOut,
    changed: CountsOut,
    cost_delta: String,
    gains_total: usize,
    gains: Vec<WhoOut>,
    losses_total: usize,
    losses: Vec<WhoOut>,
}

#[allow(clippy::too_many_arguments)]
async fn simulate(
    ctx: &Context,
    item: &str,
    set: &[String],
    date: Option<&str>,
    json: bool,
    limit: usize,
    policies: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let date = date_or_today(date)?;
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let lib = &loaded.library;
    let item = find_item(lib, item)?;
    let own = params_of(lib, item);
    let mut changed = lib.program.clone();
    for s in set {
        let Some((name, value)) = s.split_once('=') else {
            return Err(user(format!("--set {s} 的格式应为 名称=值 / --set {s} must be NAME=VALUE")));
        };
        let name = name.trim();
        if !own.contains(name) {
            let near = nearest(name, own.iter().map(String::as_str));
            let list: Vec<&str> = own.iter().map(String::as_str).collect();
            let list = if list.is_empty() { "—".to_string() } else { list.join(", ") };
            return Err(user(format!(
                "条款 {} 没有参数 {name}{}（可用参数：{list}）/ item {} has no parameter {name}{} (its parameters: {list})",
                item.id,
                hint_zh(&near),
                item.id,
                hint_en(&near)
            )));
        }
        changed = changed.with_override(name, value, date).map_err(|e| super::user_error(&e))?;
    }
    let store = crate::db::open_ready(&ctx.database).await?;
    let targets = load_targets(store.as_ref(), json).await?;
    let sp = spinner("模拟 / simulating", json);
    let snap = rules::batch::Snapshot::from_facts(&targets.facts, FactDictionary::official());
    let sim = rules::batch::simulate(&lib.program, &changed, item, &snap, date);
    sp.finish_and_clear();
    let list = |rows: &[usize]| -> Vec<WhoOut> {
        rows.iter()
            .take(limit)
            .filter_map(|&r| targets.who.get(r))
            .map(|(uscc, name)| WhoOut { uscc: uscc.clone(), name: name.clone() })
            .collect()
    };
    let out = SimOut {
        item: item.id.clone(),
        date: date.to_string(),
        set: set.to_vec(),
        enterprises: targets.ids.len(),
        baseline: CountsOut::of(&sim.baseline),
        changed: CountsOut::of(&sim.changed),
        cost_delta: if sim.cost_delta > rust_decimal::Decimal::ZERO {
            format!("+{}", sim.cost_delta)
        } else {
            sim.cost_delta.to_string()
        },
        gains_total: sim.gains.len(),
        gains: list(&sim.gains),
        losses_total: sim.losses.len(),
        losses: list(&sim.losses),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("条款 / item: {} {} ({})", item.id, item.title, item.document);
    outln!("改动 / change: {}（自 {date} 起 / from {date}）", set.join(", "));
    outln!("帮扶对象 / assistance targets: {}", out.enterprises);
    for (label, c) in [("现行 / current", &out.baseline), ("改动后 / changed", &out.changed)] {
        outln!(
            "{label:<18} 符合 eligible {:>7}  不符合 ineligible {:>7}  待定 undetermined {:>7}  金额 total ¥{}",
            c.eligible,
            c.ineligible,
            c.undetermined,
            c.total_amount
        );
    }
    outln!("成本变化 / change in total cost: ¥{}", out.cost_delta);
    for (label, total, who) in
        [("新增符合 / gain", out.gains_total, &out.gains), ("不再符合 / lose", out.losses_total, &out.losses)]
    {
        outln!("{label}: {total}");
        for w in who {
            outln!("  {} {}", w.uscc, w.name);
        }
        if total > who.len() {
            outln!("  … 另有 {} 家 / {} more", total - who.len(), total - who.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// load and export: the database copy of the library

/// A file's document name: its path under the loaded directory with `/` separators, or its
/// file name when a single file is loaded.
fn document_name(root: &Path, file: &str) -> String {
    let file = Path::new(file);
    let rel = if root.is_dir() { file.strip_prefix(root).unwrap_or(file) } else { file };
    let rel = if root.is_dir() { rel } else { Path::new(rel.file_name().unwrap_or(rel.as_os_str())) };
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// One document's outcome in `policy load`.
#[derive(Debug, serde::Serialize)]
struct LoadedDocument {
    name: String,
    /// `added`, `changed` or `unchanged`.
    status: &'static str,
    /// The version now current.
    version: i64,
}

async fn load_cmd(ctx: &Context, path: Option<&str>, actor: &str, json: bool) -> anyhow::Result<ExitCode> {
    use store::documents::{DocumentChange, DocumentKind};
    let root = PathBuf::from(path.unwrap_or("policies"));
    let files = read_sources(&root)?;
    let names: Vec<String> = files.iter().map(|f| document_name(&root, &f.name)).collect();
    for n in &names {
        store::documents::check_name(n).map_err(|e| super::user_error(&e))?;
    }
    let store = crate::db::open_ready(&ctx.database).await?;
    let current = store.current_documents(DocumentKind::Policy).await?;
    // The library as it would be after the load: the other stored documents and these files.
    let mut merged: Vec<SourceFile> =
        web::policy_docs::sources_of(&current).into_iter().filter(|f| !names.contains(&f.name)).collect();
    merged.extend(files.iter().cloned());
    match web::policy_docs::check_sources(&merged) {
        Ok(_) => {}
        Err(web::policy_docs::Rejected::Diagnostics(diags)) => {
            for d in &diags {
                eprintln!("{}", d.render());
            }
            let n = diags.len();
            eprintln!("发现 {n} 个问题，未写入数据库 / {n} problems found; nothing was stored");
            return Ok(ExitCode::FAILURE);
        }
        Err(web::policy_docs::Rejected::FailedCases(failed)) => {
            for r in &failed {
                eprintln!(
                    "失败 FAIL  {} «{}» ({}): {}",
                    r.item,
                    r.case,
                    r.file,
                    r.problem.as_deref().unwrap_or("")
                );
            }
            let n = failed.len();
            eprintln!("{n} 个用例失败，未写入数据库 / {n} cases failed; nothing was stored");
            return Ok(ExitCode::FAILURE);
        }
    }
    let version_of = |name: &str| current.iter().find(|d| d.name == name).map(|d| d.version);
    let changes: Vec<DocumentChange> = names
        .iter()
        .zip(&files)
        .map(|(n, f)| DocumentChange { name: n.clone(), expected: version_of(n), body: Some(f.text.clone()) })
        .collect();
    let written = store
        .write_documents(DocumentKind::Policy, changes, &store::Actor::new(actor, crate::db::now()))
        .await
        .map_err(|e| super::user_error(&e))?;
    let report: Vec<LoadedDocument> = names
        .iter()
        .map(|n| {
            let new = written.iter().find(|d| &d.name == n).map(|d| d.version);
            let (status, version) = match (version_of(n), new) {
                (None, v) => ("added", v.unwrap_or(1)),
                (Some(_), Some(v)) => ("changed", v),
                (Some(v), None) => ("unchanged", v),
            };
            LoadedDocument { name: n.clone(), status, version }
        })
        .collect();
    let count = |s: &str| report.iter().filter(|r| r.status == s).count();
    let (added, changed, unchanged) = (count("added"), count("changed"), count("unchanged"));
    if json {
        let out = serde_json::json!({
            "documents": report, "added": added, "changed": changed, "unchanged": unchanged,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &report {
        let label = match r.status {
            "added" => "新增 added    ",
            "changed" => "修改 changed  ",
            _ => "未变 unchanged",
        };
        outln!("{label}  {}  v{}", r.name, r.version);
    }
    outln!(
        "已载入数据库：新增 {added}，修改 {changed}，未变 {unchanged} / loaded into the database: {added} \
         added, {changed} changed, {unchanged} unchanged"
    );
    Ok(ExitCode::SUCCESS)
}

async fn export(ctx: &Context, dir: &str) -> anyhow::Result<ExitCode> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let docs = store.current_documents(store::documents::DocumentKind::Policy).await?;
    let root = Path::new(dir);
    for d in &docs {
        // Stored names are checked relative paths (no `..`, no leading `/`).
        let path = root.join(&d.name);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &d.body)
        };
        write().map_err(|e| {
            let p = path.display();
            user(format!("无法写入 {p}：{e} / cannot write {p}: {e}"))
        })?;
    }
    let n = docs.len();
    outln!("已导出 {n} 个政策文件到 {dir} / exported {n} policy files to {dir}");
    Ok(ExitCode::SUCCESS)
}
