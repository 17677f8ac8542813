//! `huiqi policy …`: policies as rules (政策即规则). Check and test the policy library,
//! evaluate one enterprise's facts against every item in force, and benchmark the batch
//! engine. The rules crate does no I/O: this module reads the files and passes their text.

use super::{Context, UserError};
use clap::Subcommand;
use enterprise::{FactDictionary, Facts};
use rules::{Library, Outcome, SourceFile};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `println!` that stops quietly when stdout is closed (`| head`).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Parses and type-checks policy files (default: policies/); exit 1 with the errors.
    Check { path: Option<String> },
    /// Runs every item's test cases (default: policies/); exit 1 on a failure.
    Test { path: Option<String> },
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
        /// Policy file or directory (default: policies/).
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

pub fn run(cmd: PolicyCmd, _ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCmd::Check { path } => check(path.as_deref()),
        PolicyCmd::Test { path } => test(path.as_deref()),
        PolicyCmd::Eval { facts, date, json, policies } => eval(&facts, &date, json, policies.as_deref()),
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

/// Loads and checks the library; prints every problem to stderr. `None` when there were
/// problems.
fn load(path: Option<&str>) -> anyhow::Result<Result<(Library, usize), usize>> {
    let path = PathBuf::from(path.unwrap_or("policies"));
    let files = read_sources(&path)?;
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

fn check(path: Option<&str>) -> anyhow::Result<ExitCode> {
    match load(path)? {
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

fn test(path: Option<&str>) -> anyhow::Result<ExitCode> {
    let (lib, _) = match load(path)? {
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

fn eval(facts_path: &str, date: &str, json: bool, policies: Option<&str>) -> anyhow::Result<ExitCode> {
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
    let (lib, _) = match load(policies)? {
        Ok(x) => x,
        Err(n) => {
            eprintln!("发现 {n} 个问题 / {n} problems found");
            return Ok(ExitCode::FAILURE);
        }
    };
    let decisions = lib.evaluate_all(&facts, date);
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
    use chrono::Datelike;
    use std::time::Instant;
    let date = calendar::parse_date(date).map_err(|e| super::user_error(&e))?;
    let dict = FactDictionary::official();
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
    let decisions = (n * items.len()) as f64;
    let eligible: usize = result.items.iter().map(|r| r.eligible).sum();
    let undetermined: usize = result.items.iter().map(|r| r.undetermined).sum();
    // One enterprise against every item, with explanations (the single evaluator).
    let one = rules::synth::one_enterprise(date.year());
    let t3 = Instant::now();
    let single = lib.evaluate_all(&one, date);
    let t_one = t3.elapsed();
    let hwm = peak_memory_kib();
    outln!("enterprises: {n}, items: {}, decisions: {}", items.len(), decisions as u64);
    outln!(
        "library: {:.3} s; snapshot built in {:.3} s ({} MiB of columns)",
        t_lib.as_secs_f64(),
        t_snap.as_secs_f64(),
        heap >> 20
    );
    outln!(
        "evaluation: {:.3} s, {:.1} M decisions/s; on-CPU {:.3} s, {:.1} M decisions/s ({} shared nodes, blocks of 65536)",
        t_eval.as_secs_f64(),
        decisions / t_eval.as_secs_f64() / 1e6,
        cpu_eval,
        decisions / cpu_eval.max(1e-9) / 1e6,
        result.nodes
    );
    outln!("eligible: {eligible}, undetermined: {undetermined}");
    outln!("one enterprise × {} items with explanations: {:.3} ms", single.len(), t_one.as_secs_f64() * 1e3);
    match hwm {
        Some(k) => outln!("peak memory (VmHWM): {} MiB", k / 1024),
        None => outln!("peak memory: unavailable (no /proc/self/status)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Nanoseconds this thread has been on a CPU (0 where /proc is absent).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

/// VmHWM from /proc/self/status, in KiB.
fn peak_memory_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
