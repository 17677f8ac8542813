//! `huiqi import enterprises <FILE> [--dry-run] [--json]`: all or nothing. A file with any
//! bad row changes nothing; the report names every bad row (row, column, value, reason in
//! Chinese and English) and the exit code is 1.

use super::{Context, UserError};
use clap::Subcommand;
use enterprise::FactSource;
use i18n::Localized;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use store::{Actor, ImportFormat, ImportRequest};

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

pub async fn run(cmd: ImportCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ImportCmd::Enterprises { file, dry_run, json, as_of, source, year, actor } = cmd;
    let now = crate::db::now();
    let as_of = match as_of {
        Some(d) => calendar::parse_date(&d).map_err(|e| anyhow::Error::new(UserError(e.bilingual())))?,
        None => store::model::china_date(now),
    };
    let source = FactSource::parse(&source).ok_or_else(|| {
        anyhow::Error::new(UserError(format!(
            "未知数据来源“{source}”；可用 market_regulation、tax、self_reported、zone / unknown source '{source}'; use market_regulation, tax, self_reported or zone"
        )))
    })?;
    let mut options = import::Options::new(as_of, source);
    options.default_year = year;

    // Parse on a blocking thread, drawing the progress bar from its callbacks.
    let path = file.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let mut bar: Option<ProgressBar> = None;
        let result = import::read_file(&path, &options, &mut |p: import::Progress| {
            let b = bar.get_or_insert_with(|| bar_for(&p));
            if p.total_rows.is_some() {
                b.set_position(p.rows as u64);
            } else if p.bytes > 0 {
                b.set_position(p.bytes);
            }
            b.set_message(format!("{} 行 / rows", p.rows));
        });
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        result
    })
    .await?;
    let parsed = parsed.map_err(|e| anyhow::Error::new(UserError(e.bilingual())))?;

    if !parsed.is_clean() {
        let bad_rows: std::collections::BTreeSet<usize> = parsed.errors.iter().map(|e| e.row).collect();
        if json {
            let errors: Vec<import::RowErrorJson> =
                parsed.errors.iter().map(import::RowErrorJson::from).collect();
            let out = serde_json::json!({
                "ok": false,
                "file": file.display().to_string(),
                "rows": parsed.rows,
                "bad_rows": bad_rows.len(),
                "errors": errors,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            eprint!("{}", import::render_error_table(&parsed.errors, None));
            eprintln!(
                "文件有 {} 行有误（共 {} 处），未导入任何数据 / {} bad rows ({} errors): nothing was imported",
                bad_rows.len(),
                parsed.errors.len(),
                bad_rows.len(),
                parsed.errors.len()
            );
        }
        return Ok(ExitCode::FAILURE);
    }

    let store = crate::db::open_ready(&ctx.database).await?;
    let format = match parsed.format {
        import::Format::Csv => ImportFormat::Csv,
        import::Format::Xlsx => ImportFormat::Xlsx,
        import::Format::JsonLines => ImportFormat::JsonLines,
    };
    let rows = parsed.rows;
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!(
        "写入 {} 家企业 / writing {} enterprises",
        parsed.records.len(),
        parsed.records.len()
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let outcome = store
        .apply_import(ImportRequest {
            actor: Actor::new(actor, now),
            file_name: file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            format,
            records: parsed.records,
            dry_run,
        })
        .await;
    spinner.finish_and_clear();
    let outcome = outcome.map_err(|e| anyhow::Error::new(UserError(e.bilingual())))?;
    if json {
        let out = serde_json::json!({
            "ok": true,
            "dry_run": dry_run,
            "file": file.display().to_string(),
            "rows": rows,
            "batch_id": outcome.batch_id,
            "enterprises": outcome.rows,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "changes": outcome.changes,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let what = if dry_run {
            "试导入（未写入） / dry run (nothing written)"
        } else {
            "导入完成 / imported"
        };
        println!(
            "{what}: {rows} 行 / rows, {} 家企业 / enterprises: 新增 created {}, 更新 updated {}, 未变 unchanged {}, 变更记录 changes {}",
            outcome.rows, outcome.created, outcome.updated, outcome.unchanged, outcome.changes
        );
    }
    Ok(ExitCode::SUCCESS)
}
