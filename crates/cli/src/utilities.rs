//! `huiqi utilities …`: utility arrears and the 20-working-day late-fee waiver (水电气, 三.9,
//! issue 15) from the command line. Each command maps its arguments to a use case of
//! `app::utilities`. The command line acts as the operator named by `--as USER` (an
//! administrator).

use crate::plans::{json, write_xlsx};
use crate::{Context, app_error, open_app};
use app::utilities::{self as uc, ListQuery};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum UtilitiesCmd {
    /// Imports a provider's file (CSV or XLSX: 供应单位, 记录编号, 统一社会信用代码, 类别, 欠费金额,
    /// 欠费日期, and later 补缴日期, 滞纳金, 滞纳金收取日期), all or nothing; then raises a problem
    /// for every late fee charged against the waiver.
    Import {
        file: PathBuf,
        /// Check and report only; nothing is written.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Records with their waiver deadline and state.
    List {
        #[arg(long)]
        provider: Option<String>,
        /// open, waived, overdue, paid_late, violation.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// The waivers due per provider: the records paid in the window, with the amounts.
    Waivers {
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Late fees charged against the waiver, with the problems they became.
    Violations {
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Writes the records workbook (水电气欠费台账).
    Export {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        provider: Option<String>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

fn print(v: &uc::ArrearsView) {
    let f = &v.record.facts;
    outln!(
        "{}\t{}\t{}\t{}\t{}\t{} 元\t欠费 {}\t期限 {}\t{}\t{}",
        f.provider,
        f.record_no,
        v.record.uscc,
        v.record.enterprise_name,
        v.kind_zh,
        f.amount,
        f.arrears_on,
        v.deadline,
        v.state_zh,
        v.record.problem_id.map_or(String::new(), |p| format!("问题 {p}"))
    );
}

/// A service's file read for its import (`utilities import`, `logistics profile import`).
pub fn upload(file: &std::path::Path, dry_run: bool) -> anyhow::Result<app::table_file::Upload> {
    let bytes = std::fs::read(file)
        .map_err(|e| anyhow::anyhow!("无法读取 {} / cannot read {}: {e}", file.display(), file.display()))?;
    let file_name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    Ok(app::table_file::Upload { file_name, bytes, dry_run })
}

/// The line an import ends with: rows, new, updated, unchanged, and whether it was a dry run.
pub fn summary(dry_run: bool, rows: u64, inserted: u64, updated: u64, unchanged: u64) {
    let verb =
        if dry_run { "预检（未写入） / dry run (nothing written)" } else { "已导入 / imported" };
    outln!(
        "{verb}: {rows} 行，新增 {inserted}，更新 {updated}，未变 {unchanged} / {rows} rows, {inserted} new, \
         {updated} updated, {unchanged} unchanged"
    );
}

/// A file refused whole (every row's problem; nothing imported): printed to stderr (and, with
/// `--json`, as `{"imported": false, "problems", "more"}` to stdout); exit code 1. Shared by
/// the imports of service files (`utilities import`, `logistics profile import`).
pub fn refused(problems: &[String], more: usize, as_json: bool) -> anyhow::Result<ExitCode> {
    if as_json {
        json(&serde_json::json!({ "imported": false, "problems": problems, "more": more }))?;
    }
    eprintln!(
        "错误 / error: 文件有 {} 处问题，未导入任何一行 / the file has {} problems, nothing was imported:",
        problems.len() + more,
        problems.len() + more
    );
    for p in problems {
        eprintln!("  {p}");
    }
    if more > 0 {
        eprintln!("  ……另有 {more} 处 / {more} more");
    }
    Ok(ExitCode::FAILURE)
}

pub async fn run(cmd: UtilitiesCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    match cmd {
        UtilitiesCmd::Import { file, dry_run, json: as_json, actor } => {
            let req = upload(&file, dry_run)?;
            let report = match uc::import(&app, &who(&actor), &req).await {
                Ok(r) => r,
                Err(app::Error::ArrearsFile { problems, more }) => return refused(&problems, more, as_json),
                Err(e) => return Err(app_error(e)),
            };
            if as_json {
                json(&report)?;
            } else {
                summary(report.dry_run, report.rows, report.inserted, report.updated, report.unchanged);
                for c in report.rows_changed.iter().filter(|c| c.action == "update") {
                    for (field, old, new) in &c.changes {
                        outln!(
                            "  第 {} 行 {} {}: {field} {} → {}",
                            c.line,
                            c.provider,
                            c.record_no,
                            old.as_deref().unwrap_or("—"),
                            new.as_deref().unwrap_or("—")
                        );
                    }
                }
                for (record, problem) in &report.problems_raised {
                    outln!(
                        "违规收取滞纳金，已生成问题 {problem}（记录 {record}） / late fee against the waiver: problem {problem} raised"
                    );
                }
            }
        }
        UtilitiesCmd::List { provider, state, json: as_json, actor } => {
            let list = uc::list(&app, &who(&actor), &ListQuery { provider, uscc: None, state })
                .await
                .map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                list.iter().for_each(print);
            }
        }
        UtilitiesCmd::Waivers { provider, json: as_json, actor } => {
            let list = uc::waivers(&app, &who(&actor), provider.as_deref()).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                for w in &list {
                    outln!(
                        "{}\t{} 笔\t补缴欠费 {} 元\t仍收取滞纳金 {} 元",
                        w.provider,
                        w.count,
                        w.amount,
                        w.fees_charged
                    );
                    w.records.iter().for_each(|v| {
                        outln!(
                            "  {}\t{}\t{} 元\t补缴 {}",
                            v.record.facts.record_no,
                            v.record.enterprise_name,
                            v.record.facts.amount,
                            v.record.facts.paid_on.map(|d| d.to_string()).unwrap_or_default()
                        )
                    });
                }
            }
        }
        UtilitiesCmd::Violations { json: as_json, actor } => {
            let list = uc::violations(&app, &who(&actor)).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                for v in &list {
                    print(&v.arrears);
                    outln!(
                        "  {}\t问题状态 {}",
                        v.arrears.violation_zh.unwrap_or_default(),
                        v.problem_state.as_deref().unwrap_or("—")
                    );
                }
            }
        }
        UtilitiesCmd::Export { out, provider, actor } => {
            let q = ListQuery { provider, ..ListQuery::default() };
            let bytes = uc::workbook(&app, &who(&actor), &q).await.map_err(app_error)?;
            write_xlsx(&out, bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
