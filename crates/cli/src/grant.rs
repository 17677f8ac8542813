//! `huiqi grant …`: 免申即享 grants from the command line (issue 12). Each command maps its
//! arguments to a use case of `app::grants` and prints the result (text, or `--json` where
//! offered); what is decided and who may do it is the use case's and the database's.
//!
//! The command line acts as the database's operator named by `--as USER` (as `policy match`
//! does): `grant run` records USER as the run's preparer, and the database refuses USER as an
//! approver of their own run, a second approval by one person, and a payment file issued by
//! the preparer or an approver.

use crate::{Context, app_error, open_app};
use app::grants::{self as uc, FileFormat, HandleRequest};
use clap::Subcommand;
use rust_decimal::Decimal;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum GrantCmd {
    /// Grants an award_no_application item for a period to the enterprises a match run found
    /// eligible (the latest run unless --match-run); a rerun adds only new grants. Several
    /// items (--item given again, or --all-items: every award item the match run decided for
    /// the period) are granted in one pass over their candidates, a run each; --json then
    /// prints an array of the runs.
    Run {
        #[arg(long, required_unless_present = "all_items")]
        item: Vec<String>,
        /// Every award_no_application item the match run decided for the period.
        #[arg(long = "all-items", conflicts_with = "item")]
        all_items: bool,
        /// The period, as the item's decisions name it (2022, 2022-Q2, 2022-05).
        #[arg(long)]
        period: String,
        #[arg(long = "match-run")]
        match_run: Option<i64>,
        #[arg(long)]
        json: bool,
        /// Who prepares the run (经办人), recorded with it.
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// The latest grant runs with their totals and states.
    Runs {
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// A run's grants: id, credit code, amount, state.
    List {
        #[arg(long)]
        run: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// One grant with its basis (facts used, explanation, policy version, hash), objections
    /// and payment results.
    Show {
        grant: i64,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Publicises a run's pending grants for N working days on the zone calendar (default: the
    /// zone setting grants.publicity_workdays, 5).
    Publicize {
        #[arg(long)]
        run: i64,
        #[arg(long)]
        days: Option<u32>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Objects to one grant during publicity, with a reason.
    Object {
        #[arg(long)]
        grant: i64,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Handles an objection: --uphold (removes the grant, or changes it with --amount) or
    /// --reject (keeps it), with a reason.
    Objection {
        id: i64,
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        uphold: bool,
        #[arg(long)]
        reject: bool,
        #[arg(long)]
        reason: String,
        /// Upheld with a changed amount (yuan): the grant stays with it.
        #[arg(long)]
        amount: Option<Decimal>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// A run's objections.
    Objections {
        #[arg(long)]
        run: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Records a run's budget and how a shortfall is shared: pro_rata, amount_ascending,
    /// registration_date or credit_code.
    Budget {
        #[arg(long)]
        run: i64,
        /// Yuan.
        #[arg(long)]
        budget: Decimal,
        #[arg(long, default_value = "pro_rata")]
        rule: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Approves a run (after publicity, every objection handled, within its budget); the
    /// database refuses the preparer and a second approval by one person.
    Approve {
        #[arg(long)]
        run: i64,
        #[arg(long = "as")]
        actor: String,
    },
    /// Writes the payment file of a run's approved grants: FILE.xlsx, FILE.csv or FILE.xml
    /// (ISO 20022 pain.001.001.03); --follow-up: the failed lines only.
    PaymentFile {
        #[arg(long)]
        run: i64,
        #[arg(long)]
        out: String,
        #[arg(long = "follow-up")]
        follow_up: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Voids a payment file (its lines may be issued again), with a reason.
    VoidFile {
        file: String,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Imports payment results (CSV: grant, date, voucher, amount, status, reason), all or
    /// nothing.
    PaymentResults {
        file: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Reconciles a run's payment files with the imported results.
    Reconcile {
        #[arg(long)]
        run: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// The needs-data list of a run (eligible without amount, or undetermined: the facts
    /// missing and the department holding them); --out FILE.xlsx writes it as a workbook.
    NeedsData {
        #[arg(long)]
        run: i64,
        #[arg(long)]
        out: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Re-hashes the grant audit chain.
    Verify {
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

#[derive(serde::Serialize)]
struct ListRow<'a> {
    grant: i64,
    uscc: &'a str,
    amount: String,
    state: &'a str,
}

fn json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub async fn run(cmd: GrantCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    match cmd {
        GrantCmd::Run { item, all_items, period, match_run, json: as_json, actor } => {
            let bar = crate::policy::Bar::new(as_json);
            let one = !all_items && item.len() == 1;
            let items = if all_items {
                uc::grantable_items(&app, &who(&actor), &period, match_run).await.map_err(app_error)?
            } else {
                item
            };
            let req = uc::ItemsRequest { items, period, match_run };
            let outs = uc::run_items(&app, &who(&actor), &req, &bar).await.map_err(app_error)?;
            let shown: Vec<serde_json::Value> = outs
                .iter()
                .map(|out| {
                    serde_json::json!({
                        "run": out.run,
                        "item": out.item,
                        "period": out.period,
                        "granted": out.granted,
                        "needs_data": out.needs_data,
                        "total_amount": out.total_amount.to_string(),
                        "match_run": out.match_run,
                        "created": out.created,
                    })
                })
                .collect();
            if as_json {
                match shown.first() {
                    Some(v) if one => json(v)?,
                    _ => json(&shown)?,
                }
            } else {
                for out in &outs {
                    outln!(
                        "授予批次 / grant run {}（{} {}，匹配批次 / match run {}）：新增授予 / granted {}，合计 / total {} 元；待补数据 / needs data {}",
                        out.run,
                        out.item,
                        out.period,
                        out.match_run,
                        out.granted,
                        out.total_amount,
                        out.needs_data
                    );
                }
            }
        }
        GrantCmd::Runs { json: as_json, actor } => {
            let runs = uc::runs(&app, &who(&actor), 50).await.map_err(app_error)?;
            if as_json {
                json(&runs)?;
            } else {
                for r in runs {
                    let states: Vec<String> =
                        r.run.states.iter().map(|s| format!("{} {}", s.state, s.grants)).collect();
                    outln!(
                        "{}\t{}\t{}\t{} 笔 / grants\t{} 元\t{}\t经办 / preparer {}",
                        r.run.id,
                        r.run.item,
                        r.run.period,
                        r.grants,
                        r.total_amount,
                        states.join(", "),
                        r.run.preparer
                    );
                }
            }
        }
        GrantCmd::List { run, json: as_json, actor } => {
            let p = who(&actor);
            let mut rows = Vec::new();
            let mut after = 0;
            loop {
                let page = uc::list(&app, &p, run, after, 50_000).await.map_err(app_error)?;
                let Some(last) = page.last() else { break };
                after = last.id;
                rows.extend(page);
            }
            if as_json {
                let out: Vec<ListRow> = rows
                    .iter()
                    .map(|g| ListRow {
                        grant: g.id,
                        uscc: &g.uscc,
                        amount: g.amount.to_string(),
                        state: &g.state,
                    })
                    .collect();
                json(&out)?;
            } else {
                for g in &rows {
                    outln!("{}\t{}\t{}\t{}\t{}", g.id, g.uscc, g.name, g.amount, g.state);
                }
            }
        }
        GrantCmd::Show { grant, actor } => {
            let d = uc::grant(&app, &who(&actor), grant).await.map_err(app_error)?;
            json(&serde_json::json!({
                "grant": d.grant,
                "basis": serde_json::from_str::<serde_json::Value>(&d.basis).unwrap_or(serde_json::Value::Null),
                "basis_hash": d.grant.basis_hash,
                "objections": d.objections,
                "results": d.results,
            }))?;
        }
        GrantCmd::Publicize { run, days, actor } => {
            let p = uc::publicize(&app, &who(&actor), run, days).await.map_err(app_error)?;
            outln!(
                "授予批次 {} 公示 {} 个工作日：{} 至 {}（{} 笔）/ run {} in publicity for {} working days: {} to {} ({} grants){}",
                p.run,
                p.workdays,
                p.from,
                p.until,
                p.grants,
                p.run,
                p.workdays,
                p.from,
                p.until,
                p.grants,
                if p.provisional { "（日历暂定 / provisional calendar）" } else { "" }
            );
        }
        GrantCmd::Object { grant, reason, actor } => {
            let id = uc::object(&app, &who(&actor), grant, &reason).await.map_err(app_error)?;
            outln!("异议 / objection {id}");
        }
        GrantCmd::Objection { id, uphold, reject: _, reason, amount, actor } => {
            let o = uc::handle_objection(
                &app,
                &who(&actor),
                &HandleRequest { objection: id, upheld: uphold, reason, new_amount: amount },
            )
            .await
            .map_err(app_error)?;
            outln!(
                "异议 {} 已处理：{} / objection {} handled: {}",
                o.id,
                if uphold { "采纳" } else { "驳回" },
                o.id,
                o.outcome.as_deref().unwrap_or("")
            );
        }
        GrantCmd::Objections { run, json: as_json, actor } => {
            let list = uc::objections(&app, &who(&actor), run).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                for o in list {
                    outln!(
                        "{}\t授予 / grant {}\t{}\t{}\t{}",
                        o.id,
                        o.grant_id,
                        o.by,
                        o.reason,
                        o.outcome.as_deref().unwrap_or("open / 待处理")
                    );
                }
            }
        }
        GrantCmd::Budget { run, budget, rule, actor } => {
            let rule: ::grants::AllocationRule = rule.parse().map_err(|_| {
                crate::user_error(&app::Error::Invalid {
                    field: "rule".into(),
                    value: rule.clone(),
                    reason: "pro_rata、amount_ascending、registration_date 或 credit_code / one of pro_rata, amount_ascending, registration_date, credit_code".into(),
                })
            })?;
            let b = uc::decide_budget(&app, &who(&actor), run, budget, rule).await.map_err(app_error)?;
            outln!(
                "预算 / budget {} 元（{}）：申请 / requested {}，分配 / allocated {}，未获分配 / removed {}",
                b.budget,
                rule.label_zh(),
                b.requested,
                b.allocated,
                b.removed
            );
        }
        GrantCmd::Approve { run, actor } => {
            let a = uc::approve(&app, &who(&actor), run).await.map_err(app_error)?;
            outln!(
                "授予批次 {} 审批 {}/{}（{}）；已审批 / approved {} 笔，{} 元",
                a.run,
                a.approvals.len(),
                a.required,
                a.approvals.join(", "),
                a.approved,
                a.approved_amount
            );
        }
        GrantCmd::PaymentFile { run, out, follow_up, actor } => {
            let format = FileFormat::of_name(&out).map_err(app_error)?;
            let f = uc::payment_file(&app, &who(&actor), run, format, follow_up).await.map_err(app_error)?;
            std::fs::write(&out, &f.bytes)?;
            outln!(
                "支付文件 / payment file {}：{} 笔 / lines，合计 / control sum {} 元 → {}",
                f.file.id,
                f.file.lines,
                f.file.control_sum,
                out
            );
        }
        GrantCmd::VoidFile { file, reason, actor } => {
            let f = uc::void_file(&app, &who(&actor), &file, &reason).await.map_err(app_error)?;
            outln!("支付文件 {} 已作废 / payment file {} voided", f.id, f.id);
        }
        GrantCmd::PaymentResults { file, json: as_json, actor } => {
            let bytes = std::fs::read(&file)?;
            let r = uc::import_results(&app, &who(&actor), &file, &bytes).await.map_err(app_error)?;
            if as_json {
                json(&r)?;
            } else {
                outln!(
                    "导入 / imported {} 行 / rows：已支付 / paid {}，失败 / failed {}，未知授予 / unknown {}（批次 / batch {}）",
                    r.rows,
                    r.paid,
                    r.failed,
                    r.unknown,
                    r.batch
                );
            }
        }
        GrantCmd::Reconcile { run, json: as_json, actor } => {
            let r = uc::reconcile(&app, &who(&actor), run).await.map_err(app_error)?;
            if as_json {
                json(&r)?;
            } else {
                outln!(
                    "对账 / reconciliation of run {}: 发出 / issued {} 笔 {} 元，已付 / paid {} 元",
                    r.run,
                    r.issued,
                    r.issued_amount,
                    r.paid_amount
                );
                for (class, n) in &r.counts {
                    outln!("  {class}\t{n}");
                }
                for e in &r.exceptions {
                    outln!(
                        "{}\t{}\t{}\t{}\t{}",
                        e.grant,
                        e.class.as_str(),
                        e.class.label_zh(),
                        e.issued.map(|d| d.to_string()).unwrap_or_default(),
                        e.paid.map(|d| d.to_string()).unwrap_or_default()
                    );
                }
            }
        }
        GrantCmd::NeedsData { run, out, json: as_json, actor } => {
            let p = who(&actor);
            if let Some(out) = out {
                let bytes = uc::needs_data_workbook(&app, &p, run).await.map_err(app_error)?;
                std::fs::write(&out, bytes)?;
                outln!("待补数据清单 / needs-data list → {out}");
            } else {
                let rows = uc::needs_data(&app, &p, run).await.map_err(app_error)?;
                if as_json {
                    json(&rows)?;
                } else {
                    for n in rows {
                        outln!(
                            "{}\t{}\t{}\t{}\t{}",
                            n.uscc,
                            n.name,
                            n.outcome,
                            n.missing.join(","),
                            n.departments.join(",")
                        );
                    }
                }
            }
        }
        GrantCmd::Verify { actor } => {
            let r = uc::verify_chain(&app, &who(&actor)).await.map_err(app_error)?;
            match r.broken {
                None => outln!(
                    "授予审计链完整 / the grant audit chain verifies: {} events, head {}",
                    r.events,
                    r.head_hash
                ),
                Some(seq) => {
                    outln!("授予审计链在第 {seq} 条断开 / the grant audit chain breaks at event {seq}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
