//! `huiqi report supervision --period P FILE`: the periodic supervision report (通报) as a
//! workbook (`.xlsx`) or a standalone printable page (`.html`).
//!
//! Only flags and the file live here: the report itself (its model, the zone settings'
//! thresholds, the workbook and the printable page) is the use case
//! `app::reports::supervision`, so the CLI and `GET /api/v1/reports/supervision[.xlsx]` give
//! the same content. The command acts as the database's operator; a file leaves the system,
//! so confidential problems never show their title in it.

use super::{app_error, user_error};
use app::reports::{self, AsOf, Disclosure, SupervisionRequest};
use app::settings::Percent;
use clap::{Args, Subcommand};
use kpi::Period;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// The supervision report (通报) of a period.
    Supervision(SupervisionArgs),
    /// The quarterly effect report (帮扶效果季报): reach and cost per line of help, outcomes
    /// against comparable enterprises, problems that come back (docs/EFFECTS.md).
    Effects(crate::report_effects::EffectsArgs),
}

#[derive(Debug, Args)]
pub struct SupervisionArgs {
    /// A month (2022-05), an ISO week (2022-W18) or a quarter (2022Q2).
    #[arg(long)]
    pub period: String,
    /// `.xlsx` for a workbook, `.html` for a printable page.
    pub file: PathBuf,
    /// A department is named when its response, on-time closure or satisfaction rate is
    /// below this percentage (its resolution rate: below the zone settings'). Default: the
    /// zone settings' thresholds (`huiqi settings show`; shipped 90/90/90/80).
    #[arg(long)]
    pub threshold: Option<String>,
    /// Judge lights at this time; default the end of the period or now, whichever is earlier.
    #[arg(long)]
    pub as_of: Option<String>,
}

/// The file's format, by extension.
enum Format {
    Xlsx,
    Html,
}

pub async fn run(cmd: ReportCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let a = match cmd {
        ReportCmd::Supervision(a) => a,
        ReportCmd::Effects(a) => return crate::report_effects::run(a, ctx).await,
    };
    let period = Period::parse(&a.period).map_err(|e| user_error(&e))?;
    let as_of = match &a.as_of {
        Some(t) => AsOf::At(super::problem::parse_time(t, "--as-of")?),
        None => AsOf::EndOfPeriodOrNow,
    };
    let three_rates =
        match &a.threshold {
            Some(t) => Some(Percent::parse(t).map_err(|reason| {
                anyhow::Error::new(super::UserError(format!("--threshold {t}: {reason}")))
            })?),
            None => None,
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
    let app = super::open_app(ctx).await?;
    let req = SupervisionRequest { period: Some(period), as_of, disclosure: Disclosure::File, three_rates };
    let r = reports::supervision(&app, &app::Principal::operator("cli"), req).await.map_err(app_error)?;
    let bytes = match format {
        Format::Xlsx => {
            let as_of = chrono::DateTime::parse_from_rfc3339(&r.as_of)?;
            let created = as_of.with_timezone(&store::china_offset()).naive_local();
            reports::supervision_workbook(&r, created).to_bytes()?
        }
        Format::Html => reports::supervision_html(&r).map_err(app_error)?.into_bytes(),
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
