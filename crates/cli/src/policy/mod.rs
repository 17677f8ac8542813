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

mod decide;
pub(crate) use decide::run_match;
use decide::{bench, eval, explain, match_run, simulate};
mod library;
use library::{check, export, load_cmd, test};

use super::{Context, UserError};
use clap::Subcommand;
use enterprise::{FactDictionary, Facts};
use rules::{Eligibility, Library, SourceFile};
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
        /// The tax year of the annual items (default: the date's year), e.g. 2022 for the
        /// 2022 annual settlement in May 2023.
        #[arg(long = "tax-year")]
        tax_year: Option<i32>,
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
        /// The tax year of the annual items (default: the date's year), e.g. 2022 for the
        /// 2022 annual settlement in May 2023; stored with the run.
        #[arg(long = "tax-year")]
        tax_year: Option<i32>,
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
        PolicyCmd::Match { date, tax_year, json, policies, actor } => {
            super::block_on(match_run(ctx, &date, tax_year, json, policies.as_deref(), &actor))
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
        PolicyCmd::Eval { facts, date, tax_year, json, policies } => {
            super::block_on(eval(ctx, &facts, &date, tax_year, json, policies.as_deref()))
        }
        PolicyCmd::Bench { enterprises, items, seed, date } => bench(enterprises, items, seed, &date),
    }
}

pub(super) fn user(msg: String) -> anyhow::Error {
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
pub(super) fn database_exists(url: &str) -> bool {
    crate::db::is_postgres(url) || Path::new(crate::db::sqlite_path(url)).is_file()
}

/// The files of `path`; without one, the database copy when the database exists, else the
/// shipped library (`or_dir`: else `policies/` if present, before the shipped library). With
/// where they came from, in both languages.
pub(super) async fn library_files(
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
pub(super) async fn load(
    ctx: &Context,
    path: Option<&str>,
) -> anyhow::Result<Result<(Library, usize), usize>> {
    let (files, origin) = library_files(ctx, path, false).await?;
    outln!("政策库 / policy library: {origin}");
    match app::policies::check(&files) {
        Ok(lib) => Ok(Ok((lib, files.len()))),
        Err(diags) => {
            for d in &diags {
                eprintln!("{}", d.render());
            }
            Ok(Err(diags.len()))
        }
    }
}

// ---------------------------------------------------------------------------------------
// The library every store-facing command uses

/// A loaded, checked library and where it came from.
pub(super) struct Loaded {
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
pub(super) async fn resolve_library(ctx: &Context, path: Option<&str>) -> anyhow::Result<Option<Loaded>> {
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

/// The evaluation date: the given one, else today in China time.
pub(super) fn date_or_today(date: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    match date {
        Some(d) => calendar::parse_date(d).map_err(|e| super::user_error(&e)),
        None => Ok(store::model::china_date(crate::db::now())),
    }
}

/// A benefit kind as the command line shows it: `申报享受的税收优惠 tax_relief_declared`.
pub(super) fn kind_label(k: rules::BenefitKind) -> String {
    format!("{} {}", k.name_zh(), k.as_str())
}

/// Per-kind totals as text lines, and the zone's money apart.
pub(super) fn print_totals(totals: &[rules::KindTotal]) {
    outln!("合计（按利益类型，被替代的条款不计）/ totals by benefit kind (replaced items left out):");
    for t in totals {
        let missing = if t.amount_missing > 0 {
            format!("，其中金额待补 {} / {} without a known amount", t.amount_missing, t.amount_missing)
        } else {
            String::new()
        };
        outln!(
            "  {:<40} 符合 eligible {:>8}  金额 ¥{}{missing}",
            kind_label(t.benefit_kind),
            t.eligible,
            t.total_amount
        );
    }
    outln!("园区资金合计（奖补）/ zone payouts (awards): ¥{}", rules::zone_payout_total(totals));
}

pub(super) fn outcome_label(o: Eligibility) -> &'static str {
    match o {
        Eligibility::Eligible => "符合 eligible",
        Eligibility::Ineligible => "不符合 ineligible",
        Eligibility::Undetermined => "待定 undetermined",
    }
}
