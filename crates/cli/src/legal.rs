//! `huiqi legal …`: legal consultations (应急法律服务, 三.14, issue 15) from the command line:
//! take down a hotline or visit question (answered at once when a lawyer gives the answer),
//! answer one, list them, write the workbook. Each command maps its arguments to a use case
//! of `app::legal`. `--as USER` acts as that stored user (a lawyer answers as themselves);
//! without it the operator `cli` acts as an administrator, who takes down and lists but
//! does not answer (only a lawyer of the team does).

use crate::plans::{json, write_xlsx};
use crate::problem::principal;
use crate::{Context, app_error, open_app};
use app::legal::{self as uc, AnswerRequest, AskRequest, ListQuery};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum LegalCmd {
    /// Takes down a question for an enterprise (channel hotline or visit; topic contract,
    /// labour, trade, ip, other or 合同履约 …); with --answer a lawyer records it answered.
    Ask {
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        topic: String,
        /// The question (≤ 2,000 characters).
        #[arg(long)]
        question: String,
        #[arg(long, default_value = "hotline")]
        channel: String,
        /// The answer given on the spot (≤ 5,000 characters; a lawyer of the team).
        #[arg(long, default_value = "")]
        answer: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Answers an open consultation (a lawyer of the team: --as USER).
    Answer {
        id: i64,
        /// The answer (≤ 5,000 characters).
        #[arg(long)]
        answer: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Consultations, open ones first by due point (--state open|answered|closed|withdrawn,
    /// --topic, --overdue, --mine).
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        mine: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Writes the consultations workbook (法律咨询台账).
    Export {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long = "as")]
        actor: Option<String>,
    },
}

fn print(v: &uc::ConsultationView) {
    let r = &v.record;
    let light = match v.warning {
        handling::Warning::Red => "\t红灯",
        handling::Warning::Yellow => "\t黄灯",
        handling::Warning::None => "",
    };
    outln!(
        "{}\t{}\t{}\t{}\t{}\t{}\t答复期限 {}\t{}{}{}",
        r.id,
        r.uscc,
        r.enterprise_name,
        v.channel_zh,
        v.topic_zh,
        r.question,
        i18n::dates::time_table(r.due_at),
        v.state_zh,
        if v.time_left_zh.is_empty() { String::new() } else { format!("\t{}", v.time_left_zh) },
        light
    );
}

fn print_detail(d: &uc::ConsultationDetail) {
    print(&d.consultation);
    let r = &d.consultation.record;
    if !r.answer.is_empty() {
        outln!("  答复 / answer\t{}", r.answer);
    }
}

pub async fn run(cmd: LegalCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    match cmd {
        LegalCmd::Ask { uscc, topic, question, channel, answer, json: as_json, actor } => {
            let who = principal(&app, actor.as_deref()).await?;
            let req = AskRequest { uscc, channel, topic, question, answer };
            let d = uc::ask(&app, &who, &req).await.map_err(app_error)?;
            if as_json {
                json(&d)?;
            } else {
                let id = d.consultation.record.id;
                outln!("已登记法律咨询 {id} / recorded legal consultation {id}");
                print_detail(&d);
            }
        }
        LegalCmd::Answer { id, answer, json: as_json, actor } => {
            let who = principal(&app, actor.as_deref()).await?;
            let d = uc::answer(&app, &who, id, &AnswerRequest { answer, version: None })
                .await
                .map_err(app_error)?;
            if as_json {
                json(&d)?;
            } else {
                print_detail(&d);
            }
        }
        LegalCmd::List { state, topic, overdue, mine, json: as_json, actor } => {
            let who = principal(&app, actor.as_deref()).await?;
            let q = ListQuery { state, topic, mine, overdue, uscc: None };
            let list = uc::list(&app, &who, &q).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                list.iter().for_each(print);
            }
        }
        LegalCmd::Export { out, actor } => {
            let who = principal(&app, actor.as_deref()).await?;
            let bytes = uc::workbook(&app, &who, &ListQuery::default()).await.map_err(app_error)?;
            write_xlsx(&out, bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
