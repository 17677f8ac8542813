//! `huiqi report supervision --period P FILE`: the periodic supervision report (通报) as a
//! workbook (`.xlsx`) or a standalone printable page (`.html`).
//!
//! Only flags, loading and the file live here: the report itself (its model, the workbook
//! and the printable page) is the web's, [`web::routes::reports`], so the CLI and
//! `GET /api/v1/reports/supervision[.xlsx]` give the same content.

use super::user_error;
use chrono::Duration;
use clap::{Args, Subcommand};
use kpi::Period;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::ExitCode;
use web::routes::reports::{self, Thresholds};

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// The supervision report (通报) of a period.
    Supervision(SupervisionArgs),
}

#[derive(Debug, Args)]
pub struct SupervisionArgs {
    /// A month (2022-05), an ISO week (2022-W18) or a quarter (2022Q2).
    #[arg(long)]
    pub period: String,
    /// `.xlsx` for a workbook, `.html` for a printable page.
    pub file: PathBuf,
    /// A department is named when its response, on-time closure or satisfaction rate is
    /// below this percentage (its resolution rate: below the shared default, 80).
    #[arg(long, default_value_t = 90)]
    pub threshold: u32,
    /// Judge lights at this time; default the end of the period or now, whichever is earlier.
    #[arg(long)]
    pub as_of: Option<String>,
}

/// The shared thresholds for `--threshold`: it sets the three rates the flag has always
/// named; the resolution rate keeps the web's default.
fn thresholds(threshold: u32) -> Thresholds {
    let t = Decimal::from(threshold);
    Thresholds { response_rate: t, on_time_closure_rate: t, satisfaction_rate: t, ..Thresholds::default() }
}

/// The file's format, by extension.
enum Format {
    Xlsx,
    Html,
}

pub async fn run(cmd: ReportCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let ReportCmd::Supervision(a) = cmd;
    let period = Period::parse(&a.period).map_err(|e| user_error(&e))?;
    let as_of = match &a.as_of {
        Some(t) => super::problem::parse_time(t, "--as-of")?,
        None => {
            let end = store::problems::day_start(period.end + Duration::days(1)) - Duration::seconds(1);
            end.min(crate::db::now())
        }
    };
    let ext = a.file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let format = match ext.as_str() {
        "xlsx" => Format::Xlsx,
        "html" | "htm" => Format::Html,
        _ => {
            return Err(anyhow::Error::new(super::UserError(format!(
                "文件 {} 的扩展名应为 .xlsx 或 .html / the file {} must end in .xlsx or .html",
                a.file.display(),
                a.file.display()
            ))));
        }
    };
    let store = crate::db::open_ready(&ctx.database).await?;
    // A file leaves the system: confidential problems never show their title in it, as in
    // the ledger.
    let details = |s: &handling::ProblemState| !s.problem.confidential;
    let r =
        reports::supervision_from_store(store.as_ref(), &period, as_of, &thresholds(a.threshold), &details)
            .await
            .map_err(|e| user_error(&e))?;
    let bytes = match format {
        Format::Xlsx => {
            let created = as_of.with_timezone(&store::china_offset()).naive_local();
            reports::supervision_workbook(&r, created).to_bytes()?
        }
        Format::Html => reports::supervision_html(&r).map_err(|e| user_error(&e))?.into_bytes(),
    };
    std::fs::write(&a.file, bytes).map_err(|e| {
        anyhow::anyhow!("写入 {} 失败 / writing {} failed: {e}", a.file.display(), a.file.display())
    })?;
    println!(
        "督查通报已生成 / supervision report written: {} (低于阈值部门 {}, 红灯 {}, 黄灯 {})",
        a.file.display(),
        r.departments.iter().filter(|d| !d.below.is_empty()).count(),
        r.red.len(),
        r.yellow.len()
    );
    Ok(ExitCode::SUCCESS)
}
