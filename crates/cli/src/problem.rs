//! `huiqi problem add | show | act | sweep | attach | attachment`: the three lists from scripts
//! and hotline imports (the contract of issue 4; see docs/PROBLEMS.md). Each command reads its
//! arguments into a request of the use cases (`app::problems`), which check, decide and write;
//! this module prints the result.

use super::{UserError, user_error};
use app::problems::{self as uc, ActionRequest, NewFile, RaiseRequest, Reader};
use app::{App, Principal};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::process::ExitCode;
use store::problems::ProblemRecord;

#[derive(Debug, Subcommand)]
pub enum ProblemCmd {
    /// Records a problem (诉求); prints its id, or with --json the problem as `show --json`.
    Add(Box<AddArgs>),
    /// Shows a problem with its deadlines, warning light and events.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        /// Judge the warning light at this time instead of now.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// One transition by a named user: accept, assign, object, decide-objection, return, start,
    /// request-info, supply-info, report, request-extension, approve-extension,
    /// reject-extension, escalate, open-consultation, close-consultation, answer, confirm,
    /// reopen, review, close, auto-close-unrated, withdraw.
    Act(Box<ActArgs>),
    /// Closes answers left unconfirmed past their confirmation limit as unrated (acting as
    /// the `system` user); prints how many.
    Sweep {
        /// Run as of this time (default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Adds a file to a problem as a named user (the enterprise itself, the problem's
    /// departments or a supervisor, while it is not closed); prints the attachment's id.
    Attach {
        id: i64,
        file: std::path::PathBuf,
        #[arg(long = "as")]
        as_user: String,
    },
    /// Writes an attachment's bytes to a file.
    Attachment {
        id: i64,
        attachment_id: i64,
        #[arg(long)]
        output: std::path::PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The enterprise's unified social credit code.
    #[arg(long)]
    pub enterprise: String,
    /// The routing table's category name (政策咨询, 涉税, …) or code.
    #[arg(long)]
    pub category: String,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// self-service | visit | hotline | meeting
    #[arg(long, default_value = "self-service")]
    pub channel: String,
    /// normal | urgent
    #[arg(long, default_value = "normal")]
    pub urgency: String,
    /// YYYY-MM-DDTHH:MM:SS+08:00 (default now).
    #[arg(long)]
    pub received_at: Option<String>,
    /// 商业秘密: details only for its departments and supervisors.
    #[arg(long)]
    pub confidential: bool,
    /// The visit (走访) that raised it.
    #[arg(long)]
    pub visit: Option<i64>,
    /// The user recording it (default: the operator `cli`, as admin).
    #[arg(long = "as")]
    pub as_user: Option<String>,
    /// A file to attach (repeatable, at most 10, 10 MiB each); the problem and its files are
    /// recorded together or not at all.
    #[arg(long = "attach")]
    pub attach: Vec<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ActArgs {
    pub id: i64,
    pub action: String,
    /// The acting user; their role, department and enterprise decide what they may do.
    #[arg(long = "as")]
    pub as_user: String,
    /// When it happened (records entered late); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// The reason, answer text, report, … (required by many actions).
    #[arg(long)]
    pub note: Option<String>,
    /// assign / decide-objection: the lead department (code or Chinese name).
    #[arg(long)]
    pub department: Option<String>,
    /// assign / decide-objection: cooperating departments, comma-separated.
    #[arg(long)]
    pub cooperating: Option<String>,
    /// assign: the person in charge.
    #[arg(long)]
    pub handler: Option<String>,
    /// confirm: 满意 | 基本满意 | 不满意 (satisfied | basically-satisfied | dissatisfied).
    #[arg(long)]
    pub rating: Option<String>,
    /// answer: resolved | explained | referred.
    #[arg(long)]
    pub outcome: Option<String>,
    /// answer --outcome explained: not-eligible | legal-constraint | beyond-authority |
    /// needs-longer-term | enterprise-cause | other.
    #[arg(long)]
    pub reason: Option<String>,
    /// answer --outcome referred: to whom.
    #[arg(long)]
    pub to: Option<String>,
    /// request-extension: working days (1–30); escalate (督办): working days to reply
    /// (default: the zone setting, 3).
    #[arg(long)]
    pub days: Option<u32>,
    /// decide-objection: upheld | rejected; review: close | redo; complete-decision: the
    /// decision's number.
    #[arg(long)]
    pub decision: Option<String>,
    /// confirm / spot-check: whether the enterprise says its problem was solved: yes | no
    /// (已解决 | 未解决).
    #[arg(long)]
    pub solved: Option<String>,
    /// open-consultation: participating departments, comma-separated.
    #[arg(long)]
    pub participants: Option<String>,
    /// close-consultation: the minutes.
    #[arg(long)]
    pub minutes: Option<String>,
    /// close-consultation: a decision (repeatable).
    #[arg(long = "decisions")]
    pub decisions: Vec<String>,
    /// close-consultation: the department owning each decision, in order (repeatable;
    /// default the lead department).
    #[arg(long = "owner")]
    pub owners: Vec<String>,
    /// close-consultation: the deadline of each decision, YYYY-MM-DD, in order (repeatable;
    /// default the zone setting's working days).
    #[arg(long = "due")]
    pub dues: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

fn bilingual(zh: String, en: String) -> anyhow::Error {
    anyhow::Error::new(UserError(format!("{zh} / {en}")))
}

/// Parses `YYYY-MM-DDTHH:MM:SS+08:00` (any offset; without one, China time is assumed).
pub fn parse_time(s: &str, flag: &str) -> anyhow::Result<DateTime<FixedOffset>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&store::china_offset()));
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f)
            && let Some(d) = n.and_local_timezone(store::china_offset()).single()
        {
            return Ok(d);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(d) =
            d.and_hms_opt(23, 59, 59).and_then(|n| n.and_local_timezone(store::china_offset()).single())
    {
        return Ok(d);
    }
    Err(bilingual(
        format!(
            "{flag} 的时间“{s}”无法识别；请写作 YYYY-MM-DDTHH:MM:SS+08:00，例如 2022-05-06T09:30:00+08:00"
        ),
        format!(
            "{flag}: cannot read the time '{s}'; write YYYY-MM-DDTHH:MM:SS+08:00, e.g. 2022-05-06T09:30:00+08:00"
        ),
    ))
}

/// The principal of `--as USER` (a stored, active user), or without it the operator `cli`
/// acting as an admin.
pub(crate) async fn principal(app: &App, as_user: Option<&str>) -> anyhow::Result<Principal> {
    match as_user {
        Some(u) => app.principal(u).await.map_err(|e| user_error(&e)),
        None => Ok(Principal {
            username: "cli".into(),
            role: store::Role::Admin,
            enterprise: None,
            department: None,
            display_name: "cli".into(),
        }),
    }
}

fn ue(e: app::Error) -> anyhow::Error {
    user_error(&e)
}

/// The JSON of `problem show --json`.
pub fn show_json(rec: &ProblemRecord, now: DateTime<FixedOffset>) -> Value {
    let s = &rec.state;
    let d = handling::deadlines(s);
    let events: Vec<Value> = rec
        .events
        .iter()
        .map(|e| {
            let payload: Value = serde_json::from_str(&e.event.payload_json()).unwrap_or(Value::Null);
            json!({
                "seq": e.event.seq,
                "chain_seq": e.chain_seq,
                "at": e.event.at.to_rfc3339(),
                "actor": e.event.actor,
                "role": e.event.role.as_str(),
                "actor_department": e.event.actor_department,
                "action": e.event.kind().as_str(),
                "from": e.event.from.map(|f| f.as_str()),
                "to": e.event.to.as_str(),
                "note": e.event.note,
                "payload": payload,
                "recorded_at": e.recorded_at.to_rfc3339(),
                "hash": e.hash,
            })
        })
        .collect();
    let closure = s.closure().map(|c| serde_json::to_value(c).unwrap_or(Value::Null));
    json!({
        "id": rec.id,
        "state": s.state.as_str(),
        "enterprise": s.problem.enterprise.as_str(),
        "enterprise_name": rec.row.enterprise_name,
        "category": s.problem.category,
        "title": s.problem.title,
        "description": s.problem.description,
        "channel": rec.row.projection.channel,
        "urgency": rec.row.projection.urgency,
        "confidential": s.problem.confidential,
        "visit_id": rec.row.projection.visit_id,
        "received_at": s.problem.received_at.to_rfc3339(),
        "lead_department": s.lead,
        "cooperating_departments": s.cooperating,
        "handler": s.handler,
        "round": s.round,
        "escalations": s.escalations,
        "deadlines": serde_json::to_value(&d).unwrap_or(Value::Null),
        "warning": handling::warning(s, now).as_str(),
        "allowed_actions": s.allowed_actions(None).iter().map(|a| a.word()).collect::<Vec<_>>(),
        "closure": closure,
        "enterprise_says_solved": s.enterprise_says_solved(),
        "escalation_cases": s.escalation_cases.iter().map(|c| json!({
            "no": c.no,
            "opened_at": c.opened_at.to_rfc3339(),
            "by": c.by,
            "reply_workdays": c.reply_workdays,
            "reply_by": c.reply_by.to_string(),
            "replied_at": c.replied_at.map(|t| t.to_rfc3339()),
            "replied_on_time": c.replied_on_time(),
            "warning": c.warning(now).as_str(),
        })).collect::<Vec<_>>(),
        "decisions": s.decisions.iter().map(|d| json!({
            "no": d.no,
            "text": d.text,
            "owner": d.owner,
            "due": d.due.to_string(),
            "done_at": d.done_at.map(|t| t.to_rfc3339()),
            "done_on_time": d.done_on_time(),
            "warning": d.warning(now).as_str(),
        })).collect::<Vec<_>>(),
        "spot_checks": s.spot_checks.iter().map(|k| json!({
            "at": k.at.to_rfc3339(), "by": k.by, "solved": k.solved,
        })).collect::<Vec<_>>(),
        "events": events,
    })
}

/// `show_json` with the problem's attachments (`attachments`: id, file_name, content_type,
/// size, sha256, uploaded_by, uploaded_at).
fn show_json_with_files(view: &uc::ProblemView, now: DateTime<FixedOffset>) -> Value {
    let mut v = show_json(&view.record, now);
    let files: Vec<Value> = view
        .attachments
        .iter()
        .flatten()
        .map(|a| {
            json!({
                "id": a.id,
                "file_name": a.file_name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_by": a.uploaded_by,
                "uploaded_at": a.uploaded_at.to_rfc3339(),
            })
        })
        .collect();
    if let Some(o) = v.as_object_mut() {
        o.insert("attachments".into(), Value::Array(files));
        o.insert("provisional".into(), Value::Bool(view.provisional));
        o.insert("time_limits_source".into(), Value::String(view.limits_label.clone()));
    }
    v
}

/// Reads a file to attach: unreadable is a bilingual error naming it (the use case checks its
/// name, size and type).
fn read_attachment(path: &std::path::Path) -> anyhow::Result<NewFile> {
    let bytes = std::fs::read(path).map_err(|e| {
        bilingual(
            format!("无法读取附件 {}：{e}；请检查路径和权限", path.display()),
            format!("cannot read the file {}: {e}; check the path and permissions", path.display()),
        )
    })?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    Ok(NewFile { name, bytes })
}

fn print_attachments(files: &[store::attachments::Attachment]) {
    for a in files {
        println!(
            "  附件 / attachment {}: {} ({}, {} bytes) {} {}",
            a.id,
            a.file_name,
            a.content_type,
            a.size,
            a.uploaded_by,
            a.uploaded_at.format("%Y-%m-%d %H:%M")
        );
    }
}

fn print_text(rec: &ProblemRecord, now: DateTime<FixedOffset>) {
    let s = &rec.state;
    let d = handling::deadlines(s);
    println!("问题 / problem {}: {}", rec.id, s.problem.title);
    println!("  企业 / enterprise: {} {}", s.problem.enterprise, rec.row.enterprise_name);
    println!(
        "  状态 / state: {} ({})   预警 / warning: {}",
        handling::state_name(s.state, i18n::Lang::Zh),
        s.state.as_str(),
        handling::warning(s, now).as_str()
    );
    println!(
        "  类别 / category: {}   牵头 / lead: {}   配合 / cooperating: {}",
        s.problem.category,
        s.lead,
        s.cooperating.join(", ")
    );
    println!("  受理期限 / accept by: {}   答复期限 / answer by: {}", d.accept_by, d.answer_by);
    for e in &rec.events {
        println!(
            "  #{:<2} {} {:<20} {:<12} → {:<16} {}",
            e.event.seq,
            e.event.at.format("%Y-%m-%d %H:%M"),
            e.event.kind().as_str(),
            e.event.actor,
            e.event.to.as_str(),
            e.event.note.as_deref().unwrap_or("")
        );
    }
}

/// The use case's request of `problem act`: the flags as given (the words are read by
/// `app::problems::ActionRequest::command`, the same reading as the web's).
pub fn request_of(a: &ActArgs, at: Option<DateTime<FixedOffset>>) -> ActionRequest {
    let many = |v: &Option<String>| v.as_ref().map(|s| vec![s.clone()]);
    ActionRequest {
        action: a.action.clone(),
        note: a.note.clone(),
        lead: a.department.clone(),
        cooperating: many(&a.cooperating),
        handler: a.handler.clone(),
        upheld: None,
        decision: a.decision.clone(),
        workdays: a.days,
        outcome: a.outcome.clone(),
        reason: a.reason.clone(),
        to: a.to.clone(),
        rating: a.rating.clone(),
        participants: many(&a.participants),
        minutes: a.minutes.clone(),
        decisions: (!a.decisions.is_empty()).then(|| a.decisions.clone()),
        decision_owners: (!a.owners.is_empty()).then(|| a.owners.clone()),
        decision_dues: (!a.dues.is_empty()).then(|| a.dues.clone()),
        solved: a.solved.clone(),
        version: None,
        if_match: None,
        at,
    }
}

pub async fn run(cmd: ProblemCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let app = App::new(crate::db::open_ready(&ctx.database).await?);
    match cmd {
        ProblemCmd::Add(a) => {
            uc::use_stored_time_limits(&app).await.map_err(ue)?;
            let who = principal(&app, a.as_user.as_deref()).await?;
            let received_at = match &a.received_at {
                Some(t) => Some(parse_time(t, "--received-at")?),
                None => None,
            };
            let files = a.attach.iter().map(|p| read_attachment(p)).collect::<anyhow::Result<Vec<_>>>()?;
            let req = RaiseRequest {
                enterprise: Some(a.enterprise.clone()),
                category: a.category.clone(),
                title: a.title.clone(),
                description: a.description.clone(),
                channel: Some(a.channel.clone()),
                urgency: Some(a.urgency.clone()),
                confidential: a.confidential,
                visit: a.visit,
                received_at,
                files,
            };
            let view = uc::raise(&app, &who, req).await.map_err(ue)?;
            if a.json {
                let shown = uc::show(&app, Reader::Operator, view.id(), None).await.map_err(ue)?;
                println!("{}", serde_json::to_string_pretty(&show_json_with_files(&shown, shown.at))?);
            } else {
                println!("{}", view.id());
            }
        }
        ProblemCmd::Show { id, json, as_of } => {
            let at = match as_of {
                Some(t) => Some(parse_time(&t, "--as-of")?),
                None => None,
            };
            let view = uc::show(&app, Reader::Operator, id, at).await.map_err(ue)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&show_json_with_files(&view, view.at))?);
            } else {
                print_text(&view.record, view.at);
                print_attachments(view.attachments.as_deref().unwrap_or_default());
            }
        }
        ProblemCmd::Act(a) => {
            uc::use_stored_settings(&app).await.map_err(ue)?;
            let who = principal(&app, Some(&a.as_user)).await?;
            let at = match &a.at {
                Some(t) => Some(parse_time(t, "--at")?),
                None => None,
            };
            let view = uc::act(&app, &who, a.id, request_of(&a, at)).await.map_err(ue)?;
            if a.json {
                let shown = uc::show(&app, Reader::Operator, a.id, at).await.map_err(ue)?;
                println!("{}", serde_json::to_string_pretty(&show_json_with_files(&shown, shown.at))?);
            } else {
                println!("{}\t{}", view.id(), view.state().state.as_str());
            }
        }
        ProblemCmd::Sweep { at } => {
            let at = match at {
                Some(t) => Some(parse_time(&t, "--at")?),
                None => None,
            };
            let n = uc::sweep(&app, at).await.map_err(ue)?;
            println!("逾期未确认办结 / closed without confirmation: {n}");
        }
        ProblemCmd::Attach { id, file, as_user } => {
            let file = read_attachment(&file)?;
            let who = principal(&app, Some(&as_user)).await?;
            let added = uc::attach(&app, &who, id, vec![file]).await.map_err(ue)?;
            for a in added {
                println!("{}", a.id);
            }
        }
        ProblemCmd::Attachment { id, attachment_id, output } => {
            let (att, bytes) = uc::attachment(&app, None, id, attachment_id).await.map_err(ue)?;
            std::fs::write(&output, &bytes).map_err(|e| {
                bilingual(
                    format!("无法写入 {}：{e}；请检查路径和权限", output.display()),
                    format!("cannot write {}: {e}; check the path and permissions", output.display()),
                )
            })?;
            println!("{}\t{}\t{} bytes", output.display(), att.file_name, att.size);
        }
    }
    Ok(ExitCode::SUCCESS)
}
