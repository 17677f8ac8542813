//! `huiqi plan …`: 一企一对策 plans (三.7, issue 15) from the command line, and the shared
//! `.xlsx` writer of `huiqi repair export`. Each command maps its arguments to a use case of
//! `app::plans` and prints the result (text, or `--json`). The command line acts as the
//! operator named by `--as USER` (an administrator).

use crate::{Context, app_error, open_app};
use app::plans::{self as uc, CreateRequest, ListQuery, MeasureInput, MeasureUpdate, ReviewRequest};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PlanCmd {
    /// Plans with their measures (--behind: only those behind schedule or with a review
    /// overdue; --closed: closed ones too).
    List {
        #[arg(long)]
        behind: bool,
        #[arg(long)]
        closed: bool,
        /// 倍增, 领跑, 高成长 (or doubling, leading, high_growth).
        #[arg(long)]
        programme: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// One plan with its measures and reviews.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Makes a plan from an expert diagnosis; measures as `TITLE|DEPARTMENT|YYYY-MM-DD`.
    Create {
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        programme: String,
        #[arg(long)]
        diagnosed: String,
        #[arg(long)]
        experts: String,
        #[arg(long)]
        findings: String,
        #[arg(long = "measure")]
        measures: Vec<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Updates a measure: status (in_progress, done, dropped) and/or a progress note.
    Measure {
        plan: i64,
        measure: i64,
        #[arg(long, default_value = "")]
        status: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Records a quarterly review (--close ends the plan).
    Review {
        plan: i64,
        #[arg(long)]
        conclusion: String,
        #[arg(long)]
        on: Option<String>,
        #[arg(long)]
        close: bool,
        #[arg(long = "measure")]
        measures: Vec<String>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Writes the plans workbook (plans, measures, reviews).
    Export {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long)]
        closed: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

pub(crate) fn json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Writes a workbook to an `.xlsx` path.
pub(crate) fn write_xlsx(out: &std::path::Path, bytes: Vec<u8>) -> anyhow::Result<()> {
    if out.extension().and_then(|e| e.to_str()) != Some("xlsx") {
        anyhow::bail!("输出文件应以 .xlsx 结尾 / the output file must end in .xlsx: {}", out.display());
    }
    std::fs::write(out, bytes)
        .map_err(|e| anyhow::anyhow!("无法写入 {} / cannot write {}: {e}", out.display(), out.display()))?;
    outln!("已写入 {} / wrote {}", out.display(), out.display());
    Ok(())
}

fn measure(s: &str) -> anyhow::Result<MeasureInput> {
    let mut parts = s.split('|').map(str::trim);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(d), Some(due), None) => {
            Ok(MeasureInput { title: t.into(), owner_department: d.into(), deadline: due.into() })
        }
        _ => anyhow::bail!(
            "措施应写作 内容|责任部门|完成期限，如 “对接贷款|科技金融服务中心|2027-03-31” / a measure is \
             TITLE|DEPARTMENT|YYYY-MM-DD: {s}"
        ),
    }
}

fn print(v: &uc::PlanView) {
    let p = &v.record;
    outln!(
        "{}\t{}\t{}\t{}\t措施 {}（完成 {}，滞后 {}）\t下次评估 {}{}",
        p.id,
        p.uscc,
        p.enterprise_name,
        v.programme_zh,
        p.measures.len(),
        v.done,
        v.behind.len(),
        v.review_due.map_or("—".to_string(), |d| d.to_string()),
        if v.review_overdue { "\t评估逾期" } else { "" }
    );
}

pub async fn run(cmd: PlanCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    match cmd {
        PlanCmd::List { behind, closed, programme, json: as_json, actor } => {
            let q = ListQuery { behind, closed, programme, uscc: None };
            let list = uc::list(&app, &who(&actor), &q).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                list.iter().for_each(print);
            }
        }
        PlanCmd::Show { id, json: as_json, actor } => {
            let v = uc::show(&app, &who(&actor), id).await.map_err(app_error)?;
            if as_json {
                json(&v)?;
            } else {
                print(&v);
                for m in &v.record.measures {
                    outln!(
                        "  #{}\t{}\t{}\t{}\t{}{}",
                        m.id,
                        m.title,
                        m.owner_department,
                        m.deadline,
                        m.status.label_zh(),
                        if v.behind.contains(&m.id) { "\t滞后" } else { "" }
                    );
                }
                for r in &v.record.reviews {
                    outln!("  评估 {}：{}", r.reviewed_on, r.conclusion);
                }
            }
        }
        PlanCmd::Create { uscc, programme, diagnosed, experts, findings, measures, json: as_json, actor } => {
            let req = CreateRequest {
                uscc,
                programme,
                diagnosed_on: diagnosed,
                experts,
                findings,
                measures: measures.iter().map(|m| measure(m)).collect::<anyhow::Result<_>>()?,
            };
            let v = uc::create(&app, &who(&actor), &req).await.map_err(app_error)?;
            if as_json {
                json(&v)?;
            } else {
                outln!("已建立方案 {} / created plan {}", v.record.id, v.record.id);
            }
        }
        PlanCmd::Measure { plan, measure, status, note, actor } => {
            let v = uc::update_measure(
                &app,
                &who(&actor),
                plan,
                measure,
                &MeasureUpdate { status, note, version: None },
            )
            .await
            .map_err(app_error)?;
            print(&v);
        }
        PlanCmd::Review { plan, conclusion, on, close, measures, actor } => {
            let req = ReviewRequest {
                reviewed_on: on,
                conclusion,
                close,
                measures: measures.iter().map(|m| measure(m)).collect::<anyhow::Result<_>>()?,
                version: None,
            };
            let v = uc::review(&app, &who(&actor), plan, &req).await.map_err(app_error)?;
            print(&v);
        }
        PlanCmd::Export { out, closed, actor } => {
            let q = ListQuery { closed, ..ListQuery::default() };
            let bytes = uc::workbook(&app, &who(&actor), &q).await.map_err(app_error)?;
            write_xlsx(&out, bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
