//! `huiqi import enterprises <FILE> [--dry-run] [--json] [--clear-empty] [--errors FILE]
//! [--changes FILE]`: all or nothing. A file with any bad row changes nothing; the report
//! names the bad rows (row, column, value, reason in Chinese and English), the first
//! [`import::LISTED_ERRORS`] on the terminal and every one in `--errors FILE`, and the exit
//! code is 1. A dry run shows, per enterprise, each field that would change (old → new) and
//! how many enterprises each field changes.
//!
//! Arguments in, text or JSON out: the import is the registry's use case
//! ([`app::registry::import_enterprises`]), the same the admin's import page runs.

use super::{Context, UserError};
use app::registry::{ImportFile, ImportReport, ImportSinks};
use clap::Subcommand;
use enterprise::FactSource;
use i18n::Localized;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use store::import::ImportKind;

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Imports enterprises from a CSV, XLSX or JSON-lines file (统一社会信用代码 / uscc, …).
    Enterprises {
        file: PathBuf,
        /// Check the file and report what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// The date the source reported the data (default: today).
        #[arg(long)]
        as_of: Option<String>,
        /// Source of the facts: market_regulation, tax, self_reported, zone (default: tax).
        #[arg(long, default_value = "tax")]
        source: String,
        /// Year of per-year columns that name none (e.g. 营业收入 without _2022).
        #[arg(long)]
        year: Option<i32>,
        /// Who is importing, for the change records.
        #[arg(long = "as", default_value = "import")]
        actor: String,
        /// An empty cell in a column the file has clears the stored value (without it, empty
        /// cells and absent columns keep what is stored).
        #[arg(long)]
        clear_empty: bool,
        /// Write every row error to FILE as CSV (the terminal lists the first 200).
        #[arg(long, value_name = "FILE")]
        errors: Option<PathBuf>,
        /// With --dry-run: write every change (uscc, name, field, old, new) to FILE as CSV.
        #[arg(long, value_name = "FILE")]
        changes: Option<PathBuf>,
    },
}

/// A progress bar in bytes (CSV, JSON lines) or rows (XLSX, whose row count is known first).
fn bar_for(p: &import::Progress) -> ProgressBar {
    let (len, template) = match (p.total_rows, p.total_bytes) {
        (Some(rows), _) => (rows as u64, "{spinner} 读取 / reading [{bar:30}] {pos}/{len} 行 / rows"),
        (None, bytes) => {
            (bytes.unwrap_or(0), "{spinner} 读取 / reading [{bar:30}] {bytes}/{total_bytes} {msg}")
        }
    };
    let bar = ProgressBar::new(len);
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

fn create(path: &std::path::Path) -> anyhow::Result<Box<dyn std::io::Write + Send>> {
    let f = std::fs::File::create(path).map_err(|e| {
        anyhow::Error::new(UserError(format!(
            "无法写入 {p}：{e} / cannot write {p}: {e}",
            p = path.display()
        )))
    })?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

pub async fn run(cmd: ImportCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ImportCmd::Enterprises {
        file,
        dry_run,
        json,
        as_of,
        source,
        year,
        actor,
        clear_empty,
        errors,
        changes,
    } = cmd;
    let as_of = match as_of {
        Some(d) => Some(calendar::parse_date(&d).map_err(|e| anyhow::Error::new(UserError(e.bilingual())))?),
        None => None,
    };
    let source = FactSource::parse(&source).ok_or_else(|| {
        anyhow::Error::new(UserError(format!(
            "未知数据来源“{source}”；可用 market_regulation、tax、self_reported、zone / unknown source '{source}'; use market_regulation, tax, self_reported or zone"
        )))
    })?;
    let file_name = file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let mut req = ImportFile::new(file.clone(), file_name, dry_run);
    req.as_of = as_of;
    req.source = source;
    req.default_year = year;
    req.clear_empty = clear_empty;
    let mut sinks = ImportSinks::default();
    if let Some(p) = &errors {
        sinks.errors = Some(create(p)?);
    }
    if let (Some(p), true) = (&changes, dry_run) {
        sinks.changes = Some(create(p)?);
    }
    // The reading's bar, then a spinner while the store compares or writes.
    let spinner: Arc<Mutex<Option<ProgressBar>>> = Arc::default();
    let after = Arc::clone(&spinner);
    let mut bar: Option<ProgressBar> = None;
    sinks.progress = Some(Box::new(move |p: import::Progress| {
        let b = bar.get_or_insert_with(|| bar_for(&p));
        if p.total_rows.is_some() {
            b.set_position(p.rows as u64);
        } else if p.bytes > 0 {
            b.set_position(p.bytes);
        }
        b.set_message(format!("{} 行 / rows", p.rows));
        let done = p.total_rows == Some(p.rows) || (p.total_rows.is_none() && p.total_bytes == Some(p.bytes));
        if done {
            b.finish_and_clear();
            let s = ProgressBar::new_spinner();
            s.set_message("比对与写入 / comparing and writing");
            s.enable_steady_tick(std::time::Duration::from_millis(200));
            if let Ok(mut g) = after.lock() {
                *g = Some(s);
            }
        }
    }));

    let store = crate::db::open_ready(&ctx.database).await?;
    let app = app::App::new(store);
    let who = app::Principal::operator(&actor);
    let report = app::registry::import_enterprises(&app, &who, req, sinks).await;
    if let Ok(mut g) = spinner.lock()
        && let Some(s) = g.take()
    {
        s.finish_and_clear();
    }
    let report = report.map_err(|e| super::user_error(&e))?;
    if !report.is_clean() {
        print_errors(&report, &file, errors.as_deref(), json)?;
        return Ok(ExitCode::FAILURE);
    }
    let outcome = report.outcome.unwrap_or_default();
    if json {
        let mut out = serde_json::json!({
            "ok": true,
            "dry_run": dry_run,
            "file": file.display().to_string(),
            "rows": report.rows,
            "batch_id": outcome.batch_id,
            "enterprises": outcome.rows,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "changes": outcome.changes,
        });
        if dry_run {
            out["clear_empty"] = clear_empty.into();
            out["changed_enterprises"] = report.changed_count.into();
            out["changed_listed"] = report.changed.len().into();
            out["field_counts"] = serde_json::to_value(&report.field_counts)?;
            out["enterprise_changes"] = serde_json::to_value(&report.changed)?;
            if let Some(p) = &changes {
                out["changes_file"] = p.display().to_string().into();
            }
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let what = if dry_run {
            "试导入（未写入） / dry run (nothing written)"
        } else {
            "导入完成 / imported"
        };
        println!(
            "{what}: {} 行 / rows, {} 家企业 / enterprises: 新增 created {}, 更新 updated {}, 未变 unchanged {}, 变更记录 changes {}",
            report.rows, outcome.rows, outcome.created, outcome.updated, outcome.unchanged, outcome.changes
        );
        if dry_run {
            print_preview(&report, clear_empty, changes.as_deref());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_errors(
    report: &ImportReport,
    file: &std::path::Path,
    errors_file: Option<&std::path::Path>,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let errors: Vec<import::RowErrorJson> =
            report.errors.iter().map(import::RowErrorJson::from).collect();
        let mut out = serde_json::json!({
            "ok": false,
            "file": file.display().to_string(),
            "rows": report.rows,
            "bad_rows": report.bad_rows,
            "errors": errors,
            "error_count": report.error_count,
            "errors_listed": report.errors.len(),
        });
        if let Some(p) = errors_file {
            out["errors_file"] = p.display().to_string().into();
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    eprint!("{}", import::render_error_table(&report.errors, None));
    let unlisted = report.error_count - report.errors.len();
    if unlisted > 0 {
        match errors_file {
            Some(p) => eprintln!(
                "…另有 {unlisted} 处错误未列出，完整报告已写入 {p} / … {unlisted} more errors not listed; the full report is in {p}",
                p = p.display()
            ),
            None => eprintln!(
                "…另有 {unlisted} 处错误未列出；用 --errors 文件 写出完整报告 / … {unlisted} more errors not listed; --errors FILE writes the full report"
            ),
        }
    } else if let Some(p) = errors_file {
        eprintln!("错误报告已写入 {p} / the error report is in {p}", p = p.display());
    }
    eprintln!(
        "文件有 {} 行有误（共 {} 处），未导入任何数据 / {} bad rows ({} errors): nothing was imported",
        report.bad_rows, report.error_count, report.bad_rows, report.error_count
    );
    Ok(())
}

/// The dry run's detail: the fields that change and how many enterprises each, then each
/// listed enterprise's changes, old → new.
fn print_preview(report: &ImportReport, clear_empty: bool, changes_file: Option<&std::path::Path>) {
    println!(
        "{}",
        if clear_empty {
            "文件中没有的列保留原值，空白单元格清空原值 / absent columns keep the stored values; empty cells clear them"
        } else {
            "文件中没有的列和空白单元格都保留原值 / absent columns and empty cells keep the stored values"
        }
    );
    if !report.field_counts.is_empty() {
        println!("变更字段 / fields changed (企业数 enterprises):");
        let mut counts: Vec<(&String, &u64)> = report.field_counts.iter().collect();
        counts.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        for (field, n) in counts {
            println!("  {field:<28} {n}");
        }
    }
    if report.changed.is_empty() {
        return;
    }
    println!("逐企业变更 / changes per enterprise (原值 old → 新值 new):");
    for rc in &report.changed {
        match rc.kind {
            ImportKind::Created => println!("  {} {}：新增 / created", rc.uscc, rc.name),
            _ => {
                println!(
                    "  {} {}：{} 项变更 / {} changes",
                    rc.uscc,
                    rc.name,
                    rc.changes.len(),
                    rc.changes.len()
                );
                for c in &rc.changes {
                    println!(
                        "    {}: {} → {}",
                        c.field,
                        c.old.as_deref().unwrap_or("（空 empty）"),
                        c.new.as_deref().unwrap_or("（空 empty）")
                    );
                }
            }
        }
    }
    let unlisted = report.changed_count.saturating_sub(report.changed.len() as u64);
    if unlisted > 0 {
        match changes_file {
            Some(p) => println!(
                "…另有 {unlisted} 家企业未列出，全部变更已写入 {p} / … {unlisted} more enterprises; every change is in {p}",
                p = p.display()
            ),
            None => println!(
                "…另有 {unlisted} 家企业未列出；用 --changes 文件 写出全部变更 / … {unlisted} more enterprises; --changes FILE writes every change"
            ),
        }
    } else if let Some(p) = changes_file {
        println!("变更明细已写入 {p} / every change is in {p}", p = p.display());
    }
}
