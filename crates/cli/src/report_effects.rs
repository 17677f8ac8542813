//! `huiqi report effects --quarter 2026Q4 --out FILE.xlsx|FILE.html [--json]`: the quarterly
//! effect report (帮扶效果季报) as a workbook or a standalone printable page, and with
//! `--json` the report's figures on standard output (the API's document).
//!
//! Only flags and the file live here: the report is the use case `app::effects`, so the CLI,
//! `GET /api/v1/reports/effects` and the pages give the same figures. The command acts as the
//! database's operator.

use super::{app_error, user_error};
use app::effects;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct EffectsArgs {
    /// The quarter: 2026Q4.
    #[arg(long)]
    pub quarter: String,
    /// `.xlsx` for a workbook, `.html` for a printable page; optional with --json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(a: EffectsArgs, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let quarter = effects::parse_quarter(&a.quarter).map_err(|e| user_error(&e))?;
    let html = match &a.out {
        None if !a.json => {
            return Err(anyhow::Error::new(super::UserError(
                "请用 --out FILE.xlsx|FILE.html 指定输出文件，或用 --json / give --out FILE.xlsx|FILE.html, or --json"
                    .into(),
            )));
        }
        None => None,
        Some(f) => match f.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase().as_str() {
            "xlsx" => Some(false),
            "html" | "htm" => Some(true),
            _ => {
                return Err(anyhow::Error::new(super::UserError(format!(
                    "文件 {} 的扩展名应为 .xlsx 或 .html / the file {} must end in .xlsx or .html",
                    f.display(),
                    f.display()
                ))));
            }
        },
    };
    let app = super::open_app(ctx).await?;
    let r =
        effects::effects_report(&app, &app::Principal::operator("cli"), quarter).await.map_err(app_error)?;
    if let (Some(file), Some(html)) = (&a.out, html) {
        let bytes = if html {
            effects::effects_html(&r).map_err(app_error)?.into_bytes()
        } else {
            let created = chrono::DateTime::parse_from_rfc3339(&r.generated_at)?;
            effects::effects_workbook(&r, created.with_timezone(&store::china_offset()).naive_local())
                .to_bytes()?
        };
        std::fs::write(file, bytes).map_err(|e| {
            anyhow::anyhow!("写入 {} 失败 / writing {} failed: {e}", file.display(), file.display())
        })?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else if let Some(file) = &a.out {
        let findings = r.outcomes.iter().filter(|o| o.verdict == "higher" || o.verdict == "lower").count();
        println!(
            "帮扶效果季报已生成 / effect report written: {} (帮扶企业 {}, 资金到账 {} 元, 效果对比 {} 项, 其中有明显差异 {} 项, 用时 {} ms)",
            file.display(),
            r.helped,
            r.paid,
            r.outcomes.len(),
            findings,
            r.elapsed_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
