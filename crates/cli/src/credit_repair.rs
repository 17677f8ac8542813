//! `huiqi repair …`: credit repair cases (信用修复, 三.16, issue 15) from the command line.
//! Each command maps its arguments to a use case of `app::credit_repair`. The command line
//! acts as the operator named by `--as USER` (an administrator).

use crate::plans::{json, write_xlsx};
use crate::{Context, app_error, open_app};
use app::credit_repair::{self as uc, AdvanceRequest, ListQuery, OpenRequest};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum RepairCmd {
    /// Cases with their step and the next deadline (--open, --late to narrow).
    List {
        #[arg(long)]
        open: bool,
        #[arg(long)]
        late: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// One case with its steps.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Records a case for an adverse record (kind: 行政处罚, 经营异常, 严重失信, 其他).
    Open {
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        source: String,
        #[arg(long = "record-date")]
        record_date: String,
        #[arg(long)]
        kind: String,
        #[arg(long, default_value = "")]
        conditions: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Records the next step (training_attended, commitment_signed, application_submitted,
    /// repaired, refused --reason …).
    Advance {
        id: i64,
        step: String,
        #[arg(long)]
        on: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Writes the cases workbook.
    Export {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

fn print(v: &uc::CaseView) {
    let c = &v.record;
    outln!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}{}",
        c.id,
        c.uscc,
        c.enterprise_name,
        v.kind_zh,
        c.case.source,
        v.step_zh,
        v.next_due.map_or("—".to_string(), |d| format!("下一步期限 {d}")),
        if v.late { "\t逾期" } else { "" }
    );
}

pub async fn run(cmd: RepairCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    match cmd {
        RepairCmd::List { open, late, json: as_json, actor } => {
            let list = uc::list(&app, &who(&actor), &ListQuery { open, late, uscc: None })
                .await
                .map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                list.iter().for_each(print);
            }
        }
        RepairCmd::Show { id, json: as_json, actor } => {
            let v = uc::show(&app, &who(&actor), id).await.map_err(app_error)?;
            if as_json {
                json(&v)?;
            } else {
                print(&v);
                for s in &v.record.steps {
                    outln!("  {}\t{}\t{}", s.done_on, s.step.label_zh(), s.reason);
                }
            }
        }
        RepairCmd::Open { uscc, source, record_date, kind, conditions, json: as_json, actor } => {
            let req = OpenRequest { uscc, source, record_date, kind, conditions };
            let v = uc::open(&app, &who(&actor), &req).await.map_err(app_error)?;
            if as_json {
                json(&v)?;
            } else {
                outln!("已立案 {} / recorded case {}", v.record.id, v.record.id);
                print(&v);
            }
        }
        RepairCmd::Advance { id, step, on, reason, actor } => {
            let v = uc::advance(&app, &who(&actor), id, &AdvanceRequest { step, on, reason, version: None })
                .await
                .map_err(app_error)?;
            print(&v);
        }
        RepairCmd::Export { out, actor } => {
            let bytes = uc::workbook(&app, &who(&actor), &ListQuery::default()).await.map_err(app_error)?;
            write_xlsx(&out, bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
