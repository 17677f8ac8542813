//! `huiqi chain …`: supply chains (产业链配套对接, 三.11, issue 15) from the command line:
//! enterprises' chain positions, supply demands with their matched suppliers, introductions
//! and outcomes, the workbook. Each command maps its arguments to a use case of
//! `app::chains`. The command line acts as the operator named by `--as USER` (an
//! administrator).

use crate::plans::{json, write_xlsx};
use crate::{Context, app_error, open_app};
use app::chains::{
    self as uc, CloseRequest, DemandQuery, DemandRequest, IntroduceRequest, OutcomeRequest, PositionQuery,
    PositionRequest,
};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ChainCmd {
    /// Records (or replaces) an enterprise's position on a chain (position: 上游, 中游, 下游).
    PositionSet {
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        chain: String,
        #[arg(long)]
        position: String,
        /// The products or services it supplies on the chain (≤ 500 characters).
        #[arg(long)]
        supplies: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Removes an enterprise's position on a chain.
    PositionRemove {
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        chain: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// The zone's chain positions (--uscc, --chain to narrow).
    Positions {
        #[arg(long)]
        uscc: Option<String>,
        #[arg(long)]
        chain: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Posts a supply demand for an enterprise; prints its matched suppliers.
    Post {
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        description: String,
        #[arg(long, default_value = "")]
        quantity: String,
        #[arg(long = "needed-by")]
        needed_by: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Supply demands (--state open|introduced|closed, --behind).
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        behind: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// One demand with its introductions and matched suppliers (and why each matches).
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Introduces a supplier to a demand (对接).
    Introduce {
        id: i64,
        #[arg(long)]
        supplier: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        on: Option<String>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Records an introduction's outcome (pending, agreed, not_agreed --note …).
    Outcome {
        id: i64,
        #[arg(long)]
        introduction: i64,
        #[arg(long)]
        outcome: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Closes a demand with a reason.
    Close {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Writes the demands workbook (with the chain map).
    Export {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

fn print(v: &uc::DemandView) {
    let d = &v.record;
    outln!(
        "{}\t{}\t{}\t{}\t{}\t需要 {}\t对接期限 {}\t{}{}",
        d.id,
        d.uscc,
        d.enterprise_name,
        d.demand.description,
        d.demand.quantity,
        d.demand.needed_by,
        d.demand.introduction_due,
        v.state_zh,
        if v.behind { "\t滞后" } else { "" }
    );
}

fn print_detail(v: &uc::DemandDetail) {
    print(&v.demand);
    for i in &v.demand.record.introductions {
        outln!(
            "  对接 #{}\t{}\t{}\t{}\t{}\t{}",
            i.id,
            i.introduced_on,
            i.supplier_uscc,
            i.supplier_name,
            i.outcome.label_zh(),
            i.outcome_note
        );
    }
    for c in &v.candidates {
        outln!(
            "  候选\t{}\t{}\t{}·{}\t{}\t{}{}",
            c.uscc,
            c.enterprise_name,
            c.chain,
            c.position_zh,
            c.supplies,
            c.reason_zh,
            if c.introduced { "\t已对接" } else { "" }
        );
    }
}

pub async fn run(cmd: ChainCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    let print_positions = |list: &[uc::PositionView]| {
        for p in list {
            outln!(
                "{}\t{}\t{}\t{}\t{}",
                p.record.position.chain,
                p.position_zh,
                p.record.uscc,
                p.record.enterprise_name,
                p.record.position.supplies
            );
        }
    };
    match cmd {
        ChainCmd::PositionSet { uscc, chain, position, supplies, actor } => {
            let req = PositionRequest { uscc, chain, position, supplies };
            let list = uc::save_position(&app, &who(&actor), &req).await.map_err(app_error)?;
            print_positions(&list);
        }
        ChainCmd::PositionRemove { uscc, chain, actor } => {
            let list = uc::remove_position(&app, &who(&actor), &uscc, &chain).await.map_err(app_error)?;
            print_positions(&list);
        }
        ChainCmd::Positions { uscc, chain, json: as_json, actor } => {
            let list =
                uc::positions(&app, &who(&actor), &PositionQuery { uscc, chain }).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                print_positions(&list);
            }
        }
        ChainCmd::Post { uscc, description, quantity, needed_by, json: as_json, actor } => {
            let req = DemandRequest { uscc, description, quantity, needed_by };
            let v = uc::post_demand(&app, &who(&actor), &req).await.map_err(app_error)?;
            if as_json {
                json(&v)?;
            } else {
                let id = v.demand.record.id;
                outln!("已登记配套需求 {id} / posted supply demand {id}");
                print_detail(&v);
            }
        }
        ChainCmd::List { state, behind, json: as_json, actor } => {
            let list = uc::demands(&app, &who(&actor), &DemandQuery { state, behind, uscc: None })
                .await
                .map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                list.iter().for_each(print);
            }
        }
        ChainCmd::Show { id, json: as_json, actor } => {
            let v = uc::show_demand(&app, &who(&actor), id).await.map_err(app_error)?;
            if as_json {
                json(&v)?;
            } else {
                print_detail(&v);
            }
        }
        ChainCmd::Introduce { id, supplier, note, on, actor } => {
            let req = IntroduceRequest { supplier, note, on, version: None };
            let v = uc::introduce(&app, &who(&actor), id, &req).await.map_err(app_error)?;
            print_detail(&v);
        }
        ChainCmd::Outcome { id, introduction, outcome, note, actor } => {
            let req = OutcomeRequest { introduction, outcome, note, version: None };
            let v = uc::record_outcome(&app, &who(&actor), id, &req).await.map_err(app_error)?;
            print_detail(&v);
        }
        ChainCmd::Close { id, reason, actor } => {
            let v = uc::close_demand(&app, &who(&actor), id, &CloseRequest { reason, version: None })
                .await
                .map_err(app_error)?;
            print_detail(&v);
        }
        ChainCmd::Export { out, actor } => {
            let bytes = uc::workbook(&app, &who(&actor), &DemandQuery::default()).await.map_err(app_error)?;
            write_xlsx(&out, bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
