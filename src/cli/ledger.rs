//! `huiqi ledger export FILE.xlsx`: the problem ledger (问题台账) as a workbook with the three
//! lists as three sheets — 问题清单, 责任清单, 销号清单 — with Chinese headers, frozen header
//! rows and filters. The workbook's creation time is the last event's, so the same data
//! gives the same file.

use super::user_error;
use clap::Subcommand;
use handling::ProblemState;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use store::problems::{ProblemFilter, ProblemRow};
use store::{Page, Store};

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

/// Every problem: its list row and its replayed state, by id.
pub async fn load_all(store: &dyn Store) -> anyhow::Result<Vec<(ProblemRow, ProblemState)>> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) = store
            .list_problems(&ProblemFilter::default(), Page::new(offset, Page::MAX_LIMIT))
            .await
            .map_err(|e| user_error(&e))?;
        offset += page.len() as u64;
        let empty = page.is_empty();
        rows.extend(page);
        if empty || offset >= total {
            break;
        }
    }
    let logs = store.all_event_logs_for_period(None).await.map_err(|e| user_error(&e))?;
    let mut states: BTreeMap<i64, ProblemState> = BTreeMap::new();
    for (id, events) in logs {
        let s = handling::replay(&events, calendar::WorkCalendar::official()).map_err(|e| user_error(&e))?;
        states.insert(id, s);
    }
    Ok(rows.into_iter().filter_map(|r| states.remove(&r.id).map(|s| (r, s))).collect())
}

pub use web::routes::reports::ledger::{Names, workbook};

pub async fn run(cmd: LedgerCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let LedgerCmd::Export { file, as_of } = cmd;
    let as_of = match as_of {
        Some(t) => super::problem::parse_time(&t, "--as-of")?,
        None => crate::db::now(),
    };
    let store = crate::db::open_ready(&ctx.database).await?;
    let problems = load_all(store.as_ref()).await?;
    let names = Names::load(store.as_ref()).await?;
    let bytes = workbook(&problems, &names, as_of).to_bytes()?;
    std::fs::write(&file, bytes).map_err(|e| {
        anyhow::anyhow!("写入 {} 失败 / writing {} failed: {e}", file.display(), file.display())
    })?;
    println!("问题台账已导出 / ledger written: {} ({} 个问题 / problems)", file.display(), problems.len());
    Ok(ExitCode::SUCCESS)
}
