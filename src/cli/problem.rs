//! `huiqi problem add | show | act | sweep | attach | attachment`: the three lists from scripts
//! and hotline imports (the contract of issue 4; see docs/PROBLEMS.md).

use super::{UserError, user_error};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use clap::{Args, Subcommand};
use enterprise::{Routing, UnifiedCreditCode};
use handling::{
    Action, ActionKind, Actor as HActor, Channel, Command, ExplainReason, Outcome, Problem, Rating,
    ReviewDecision, Role as HRole, State, Urgency,
};
use serde_json::{Value, json};
use std::process::ExitCode;
use store::problems::{PResult, ProblemFilter, ProblemRecord};
use store::{Page, Store};

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
    /// request-extension: working days (1–30).
    #[arg(long)]
    pub days: Option<u32>,
    /// decide-objection: upheld | rejected; review: close | redo.
    #[arg(long)]
    pub decision: Option<String>,
    /// open-consultation: participating departments, comma-separated.
    #[arg(long)]
    pub participants: Option<String>,
    /// close-consultation: the minutes.
    #[arg(long)]
    pub minutes: Option<String>,
    /// close-consultation: a decision (repeatable).
    #[arg(long = "decisions")]
    pub decisions: Vec<String>,
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

/// The given time or now; a time in the future is refused.
pub fn time_or_now(s: Option<&str>, flag: &str) -> anyhow::Result<DateTime<FixedOffset>> {
    let now = crate::db::now();
    match s {
        None => Ok(now),
        Some(s) => {
            let t = parse_time(s, flag)?;
            if t > now {
                return Err(bilingual(
                    format!("{flag} 的时间 {t} 晚于当前时间；只能补录已发生的事项"),
                    format!("{flag}: {t} is in the future; only what already happened can be recorded"),
                ));
            }
            Ok(t)
        }
    }
}

/// The routing table as the database holds it.
pub async fn routing(store: &dyn Store) -> anyhow::Result<Routing> {
    Ok(Routing {
        departments: store.departments().await?,
        categories: store.categories_with_routing().await?,
    })
}

/// The handling actor of a user of the users table.
pub async fn actor_of(store: &dyn Store, username: &str) -> anyhow::Result<HActor> {
    let u = store
        .user_by_username(username)
        .await?
        .ok_or_else(|| user_error(&store::StoreError::UserNotFound { username: username.to_string() }))?;
    if !u.active {
        return Err(bilingual(
            format!("用户“{username}”已停用，不能办理问题"),
            format!("the user '{username}' is deactivated and cannot act on problems"),
        ));
    }
    Ok(HActor { username: u.username, role: u.role, department: u.department, enterprise: u.enterprise })
}

/// The scheduled jobs' actor.
pub fn system_actor() -> HActor {
    HActor { username: "system".into(), role: HRole::System, department: None, enterprise: None }
}

fn pr<T>(r: PResult<T>) -> anyhow::Result<T> {
    r.map_err(|e| user_error(&e))
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
        "allowed_actions": s.allowed_actions(None).iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "closure": closure,
        "events": events,
    })
}

/// `show_json` with the problem's attachments (`attachments`: id, file_name, content_type,
/// size, sha256, uploaded_by, uploaded_at).
async fn show_json_with_files(
    store: &dyn Store,
    rec: &ProblemRecord,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<Value> {
    let mut v = show_json(rec, now);
    let files: Vec<Value> = pr(store.attachments(rec.id).await)?
        .into_iter()
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
    }
    Ok(v)
}

/// Reads and checks a file to attach: unreadable or against the rules is a bilingual error
/// naming it.
fn read_attachment(path: &std::path::Path) -> anyhow::Result<store::attachments::CheckedFile> {
    let bytes = std::fs::read(path).map_err(|e| {
        bilingual(
            format!("无法读取附件 {}：{e}；请检查路径和权限", path.display()),
            format!("cannot read the file {}: {e}; check the path and permissions", path.display()),
        )
    })?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    store::attachments::check_file(&name, bytes).map_err(|e| user_error(&e))
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

fn list(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .map(|x| x.split([',', '，', ';']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect())
        .unwrap_or_default()
}

fn missing(flag: &str, action: &str) -> anyhow::Error {
    bilingual(format!("动作 {action} 需要参数 {flag}"), format!("the action {action} needs {flag}"))
}

/// Builds the command of `problem act` from its flags.
pub fn command_of(a: &ActArgs) -> anyhow::Result<Command> {
    let kind = ActionKind::parse(&a.action).ok_or_else(|| {
        let names: Vec<&str> = handling::ALL_ACTIONS.iter().skip(1).map(|k| k.as_str()).collect();
        bilingual(
            format!("未知的动作“{}”；可用：{}", a.action, names.join(", ")),
            format!("unknown action '{}'; use one of: {}", a.action, names.join(", ")),
        )
    })?;
    let name = kind.as_str();
    let action = match kind {
        ActionKind::Submit => {
            return Err(bilingual(
                "提交问题请用 huiqi problem add".into(),
                "use huiqi problem add to submit a problem".into(),
            ));
        }
        ActionKind::Accept => Action::Accept,
        ActionKind::Assign => Action::Assign {
            lead: a.department.clone().ok_or_else(|| missing("--department", name))?,
            cooperating: list(&a.cooperating),
            handler: a.handler.clone(),
        },
        ActionKind::Object => Action::Object,
        ActionKind::DecideObjection => {
            let upheld = match a.decision.as_deref().map(str::trim) {
                Some("upheld" | "uphold" | "成立" | "同意") => true,
                Some("rejected" | "reject" | "不成立" | "驳回") => false,
                _ => return Err(missing("--decision upheld|rejected", name)),
            };
            Action::DecideObjection {
                upheld,
                lead: a.department.clone(),
                cooperating: a.cooperating.as_ref().map(|_| list(&a.cooperating)),
            }
        }
        ActionKind::Return => Action::Return,
        ActionKind::Start => Action::Start,
        ActionKind::RequestInfo => Action::RequestInfo,
        ActionKind::SupplyInfo => Action::SupplyInfo,
        ActionKind::Report => Action::Report,
        ActionKind::RequestExtension => {
            Action::RequestExtension { workdays: a.days.ok_or_else(|| missing("--days", name))? }
        }
        ActionKind::ApproveExtension => Action::ApproveExtension,
        ActionKind::RejectExtension => Action::RejectExtension,
        ActionKind::Escalate => Action::Escalate,
        ActionKind::OpenConsultation => Action::OpenConsultation { participants: list(&a.participants) },
        ActionKind::CloseConsultation => Action::CloseConsultation {
            minutes: a.minutes.clone().ok_or_else(|| missing("--minutes", name))?,
            decisions: a.decisions.clone(),
        },
        ActionKind::Answer => {
            let outcome = match a.outcome.as_deref().map(str::trim) {
                Some("resolved" | "已解决") => Outcome::Resolved,
                Some("explained" | "已解释") => {
                    let r = a.reason.as_deref().unwrap_or("other").replace('-', "_");
                    let reason: ExplainReason = store::problems::parse_enum(&r).ok_or_else(|| {
                        bilingual(
                            format!("--reason “{r}” 无效；可用 not-eligible, legal-constraint, beyond-authority, needs-longer-term, enterprise-cause, other"),
                            format!("--reason '{r}' is not valid; use not-eligible, legal-constraint, beyond-authority, needs-longer-term, enterprise-cause, other"),
                        )
                    })?;
                    Outcome::Explained { reason }
                }
                Some("referred" | "已转办") => {
                    Outcome::Referred { to: a.to.clone().ok_or_else(|| missing("--to", name))? }
                }
                _ => return Err(missing("--outcome resolved|explained|referred", name)),
            };
            Action::Answer { outcome }
        }
        ActionKind::Confirm => Action::Confirm {
            rating: Rating::parse(a.rating.as_deref().ok_or_else(|| missing("--rating", name))?)
                .map_err(|e| user_error(&e))?,
        },
        ActionKind::Reopen => Action::Reopen,
        ActionKind::Review => Action::Review {
            decision: match a.decision.as_deref().map(str::trim) {
                Some("close" | "销号") => ReviewDecision::Close,
                Some("redo" | "重办") => ReviewDecision::Redo,
                _ => return Err(missing("--decision close|redo", name)),
            },
        },
        ActionKind::Close => Action::Close,
        ActionKind::AutoCloseUnrated => Action::AutoCloseUnrated,
        ActionKind::Withdraw => Action::Withdraw,
        ActionKind::Attach => {
            return Err(bilingual(
                "上传附件请用 huiqi problem attach".into(),
                "use huiqi problem attach to add a file".into(),
            ));
        }
    };
    Ok(Command { action, note: a.note.clone() })
}

pub async fn run(cmd: ProblemCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let store = store.as_ref();
    match cmd {
        ProblemCmd::Add(a) => {
            let routing = routing(store).await?;
            let enterprise = UnifiedCreditCode::parse(&a.enterprise).map_err(|e| user_error(&e))?;
            let now = crate::db::now();
            let received_at = time_or_now(a.received_at.as_deref(), "--received-at")?;
            let channel = Channel::parse(&a.channel).map_err(|e| user_error(&e))?;
            let urgency = Urgency::parse(&a.urgency).map_err(|e| user_error(&e))?;
            let actor = match &a.as_user {
                Some(u) => actor_of(store, u).await?,
                None => {
                    HActor { username: "cli".into(), role: HRole::Admin, department: None, enterprise: None }
                }
            };
            let problem = Problem {
                enterprise,
                channel,
                category: a.category.clone(),
                title: a.title.clone(),
                description: a.description.clone(),
                attachments: Vec::new(),
                urgency,
                confidential: a.confidential,
                received_at,
                visit: a.visit.map(|v| v.to_string()),
            };
            let limits = crate::policies::time_limits(store).await?;
            let files = a.attach.iter().map(|p| read_attachment(p)).collect::<anyhow::Result<Vec<_>>>()?;
            let rec = if files.is_empty() {
                pr(store.create_problem(problem, &actor, now, &routing, &limits).await)?
            } else {
                pr(store
                    .create_problem_with_attachments(problem, &actor, now, &routing, &limits, files)
                    .await)?
            };
            if a.json {
                println!("{}", serde_json::to_string_pretty(&show_json_with_files(store, &rec, now).await?)?);
            } else {
                println!("{}", rec.id);
            }
        }
        ProblemCmd::Show { id, json, as_of } => {
            let now = match as_of {
                Some(t) => parse_time(&t, "--as-of")?,
                None => crate::db::now(),
            };
            let rec = pr(store.get_problem(id).await)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&show_json_with_files(store, &rec, now).await?)?);
            } else {
                print_text(&rec, now);
                print_attachments(&pr(store.attachments(id).await)?);
            }
        }
        ProblemCmd::Act(a) => {
            let mut cmd = command_of(&a)?;
            let routing = routing(store).await?;
            handling::check_departments(&mut cmd, &routing).map_err(|e| user_error(&e))?;
            let actor = actor_of(store, &a.as_user).await?;
            let at = time_or_now(a.at.as_deref(), "--at")?;
            let rec = pr(store.record_transition(a.id, &cmd, &actor, at, crate::db::now()).await)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&show_json_with_files(store, &rec, at).await?)?);
            } else {
                println!("{}\t{}", rec.id, rec.state.state.as_str());
            }
        }
        ProblemCmd::Sweep { at } => {
            let at = time_or_now(at.as_deref(), "--at")?;
            let n = sweep(store, at).await?;
            println!("已按未评价销号 / closed as unrated: {n}");
        }
        ProblemCmd::Attach { id, file, as_user } => {
            let file = read_attachment(&file)?;
            let actor = actor_of(store, &as_user).await?;
            let (_, att) = pr(store.add_attachment(id, file, &actor, crate::db::now()).await)?;
            println!("{}", att.id);
        }
        ProblemCmd::Attachment { id, attachment_id, output } => {
            let (att, bytes) = pr(store.attachment_content(id, attachment_id).await)?;
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

/// Closes every answer whose confirmation limit has passed at `at` as unrated; returns how
/// many.
pub async fn sweep(store: &dyn Store, at: DateTime<FixedOffset>) -> anyhow::Result<u64> {
    let filter = ProblemFilter { state: Some(State::Answered), ..Default::default() };
    let mut ids = Vec::new();
    let mut offset = 0;
    loop {
        let (rows, total) = pr(store.list_problems(&filter, Page::new(offset, Page::MAX_LIMIT)).await)?;
        offset += rows.len() as u64;
        ids.extend(rows.into_iter().map(|r| r.id));
        if offset >= total || ids.is_empty() {
            break;
        }
    }
    let cmd = Command::new(Action::AutoCloseUnrated);
    let mut n = 0;
    for id in ids {
        match store.record_transition(id, &cmd, &system_actor(), at, crate::db::now()).await {
            Ok(_) => n += 1,
            Err(store::problems::ProblemError::Handling(
                handling::HandlingError::NotYetUnconfirmed { .. }
                | handling::HandlingError::BeforeLastEvent { .. },
            )) => {}
            Err(e) => return Err(user_error(&e)),
        }
    }
    Ok(n)
}
