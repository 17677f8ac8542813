//! `huiqi ledger export FILE.xlsx`: the problem ledger (问题台账) as a workbook with the three
//! lists as three sheets — 问题清单, 责任清单, 销号清单 — with Chinese headers, frozen header
//! rows and filters (`app::problems::ledger`, the same workbook as `GET /api/v1/ledger.xlsx`).
//! The workbook's creation time is the last event's, so the same data gives the same file.

use super::user_error;
use app::problems::Reader;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Writes the ledger workbook.
    Export {
        file: PathBuf,
        /// Judge warning lights at this time; default now.
        #[arg(long)]
        as_of: Option<String>,
    },
}

pub async fn run(cmd: LedgerCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let LedgerCmd::Export { file, as_of } = cmd;
    let as_of = match as_of {
        Some(t) => Some(super::problem::parse_time(&t, "--as-of")?),
        None => None,
    };
    let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
    let (wb, n) = app::problems::ledger(&app, Reader::Operator, as_of).await.map_err(|e| user_error(&e))?;
    let bytes = wb.to_bytes()?;
    std::fs::write(&file, bytes).map_err(|e| {
        anyhow::anyhow!("写入 {} 失败 / writing {} failed: {e}", file.display(), file.display())
    })?;
    println!("问题台账已导出 / ledger written: {} ({n} 个问题 / problems)", file.display());
    Ok(ExitCode::SUCCESS)
}
