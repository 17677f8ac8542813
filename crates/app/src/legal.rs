//! Emergency public legal services (应急公共法律服务, the plan's 三.14): "开设应急法律咨询服务热线，
//! 安排专业人员解答市场主体咨询和求助 … 对求助事项提供一对一咨询和服务（责任部门：社会治安综合治理局、
//! 经济发展局）".
//!
//! - A legal consultation (法律咨询) is asked online by the enterprise's own user, or taken
//!   down at the hotline (热线) or a visit (现场) by an officer of the legal office for an
//!   enterprise. A lawyer answering the call records the answer at once.
//! - **The legal office** is the lead department of the routing category `legal`
//!   (社会治安综合治理局 in the shipped routing): its officers take hotline calls, give
//!   consultations to lawyers, and read every consultation.
//! - **The lawyer team** (律师团队) are department accounts of the legal office named in the
//!   zone setting `legal.lawyers` (`全部`: every account of the office). Why not a role of
//!   their own (as banks have `financial_institution`): the lawyers serve in the office's
//!   name (the plan puts the hotline under it), so they read what the office reads, their
//!   answers count for its KPIs, and their FAQs are its content, which the content module
//!   already lets a department write and another person review; a new role would have
//!   repeated all three. The setting only narrows who answers.
//! - The answer is due within the zone setting `legal.answer_limit` (default 2 working days on
//!   the zone calendar, or hours, e.g. `48 小时`; this system's default: the plan sets
//!   none), fixed when asked and again when a follow-up is asked; yellow and red like
//!   problems (`services::legal`), with the zone's `yellow_percent`. Unconfirmed answers close
//!   after the three lists' `confirm_workdays` (the `legal_close` job).
//! - Who reads: an enterprise its own; the legal office (lawyers included), leaders,
//!   supervisors and admins every one. Others: 403 on lists, 404 on one.
//! - An answer becomes an FAQ (常见问题) of the office: a draft content item through the content
//!   module's own checks and review ([`crate::content::draft`]), written with the
//!   consultation's link in one transaction; the question must no longer name the enterprise.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};
use services::legal::{self as rules, Action, Party};
use store::content::ContentItem;
use store::legal::{
    Channel, ConsultationFilter, ConsultationRecord, ConsultationWrite, NewConsultation, State, Topic,
};
use store::{Role, Stamp};

use crate::authz::{self, Resource};
use crate::problems::text::{Lines, clean};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::{App, Error, Principal, Result};

pub use store::legal::{MAX_ANSWER, MAX_NOTE, MAX_QUESTION};

/// The routing category whose lead department runs the service (社会治安综合治理局).
pub const CATEGORY: &str = "legal";

/// The value of `legal.lawyers` that names every account of the legal office.
pub const ALL_LAWYERS: &str = "全部";

/// The source stated with the shipped time limit.
pub const DEFAULT_SOURCE: &str = "方案（三.14 加强应急公共法律服务）要求开设热线、安排专业人员解答市场主体咨询，未规定答复时限：\
     2 个工作日内答复为本系统默认值，待园区确定后由管理员修改";

/// The zone's settings of the service (section `legal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LegalSettings {
    /// `2 个工作日` or `48 小时` (`services::legal::parse_limit`).
    pub answer_limit: String,
    /// Usernames of the lawyers, separated by commas, or [`ALL_LAWYERS`] (`all`).
    pub lawyers: String,
    /// Where the limit comes from.
    pub source: String,
}

impl Default for LegalSettings {
    fn default() -> Self {
        LegalSettings {
            answer_limit: "2 个工作日".into(),
            lawyers: ALL_LAWYERS.into(),
            source: DEFAULT_SOURCE.into(),
        }
    }
}

impl LegalSettings {
    /// The answer limit, if it reads.
    pub fn limit(&self) -> Option<handling::Limit> {
        rules::parse_limit(&self.answer_limit)
    }

    /// The lawyers named, or `None` for every account of the office.
    pub fn named(&self) -> Option<Vec<String>> {
        let names: Vec<String> = self
            .lawyers
            .split([',', '，', ';', '；', '、', ' ', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        let all = |n: &String| n == ALL_LAWYERS || n.eq_ignore_ascii_case("all");
        if names.is_empty() || names.iter().any(all) { None } else { Some(names) }
    }
}

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

fn stamp(app: &App, actor: &Principal) -> Stamp {
    Stamp::new(actor.username.clone(), app.now())
}

/// The legal office: the lead of the routing category `legal`.
pub async fn office(app: &App) -> Result<String> {
    crate::service_lines::lead_department(app, CATEGORY).await
}

/// Whether the actor is an officer of the legal office (lawyers included).
pub async fn in_office(app: &App, actor: &Principal) -> Result<bool> {
    Ok(actor.role == Role::Department && actor.department.as_deref() == Some(office(app).await?.as_str()))
}

/// Whether the actor is a lawyer of the team.
pub async fn is_lawyer(app: &App, actor: &Principal) -> Result<bool> {
    if !in_office(app, actor).await? {
        return Ok(false);
    }
    Ok(app.live.settings().legal.named().is_none_or(|n| n.contains(&actor.username)))
}

/// A lawyer of the team as the assignment form lists them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Lawyer {
    pub username: String,
    pub display_name: String,
}

/// The lawyer team: active department accounts of the legal office, narrowed by
/// `legal.lawyers`.
pub async fn team(app: &App) -> Result<Vec<Lawyer>> {
    let office = office(app).await?;
    let named = app.live.settings().legal.named();
    Ok(app
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| {
            u.active && u.role == Role::Department && u.department.as_deref() == Some(office.as_str())
        })
        .filter(|u| named.as_ref().is_none_or(|n| n.contains(&u.username)))
        .map(|u| Lawyer {
            display_name: if u.display_name.is_empty() { u.username.clone() } else { u.display_name.clone() },
            username: u.username,
        })
        .collect())
}

/// Whether the actor reads every consultation (the office, leaders, supervisors, admins).
async fn reads_all(app: &App, actor: &Principal) -> Result<bool> {
    Ok(matches!(actor.role, Role::Leader | Role::Supervisor | Role::Admin) || in_office(app, actor).await?)
}

fn own(actor: &Principal, uscc: &str) -> bool {
    actor.role == Role::Enterprise
        && actor.enterprise.as_ref().is_some_and(|e| UnifiedCreditCode::parse(uscc.trim()).as_ref() == Ok(e))
}

async fn readable(app: &App, actor: &Principal, id: i64) -> Result<ConsultationRecord> {
    let r = app.store.consultation(id).await?.ok_or(Error::ConsultationNotFound { id })?;
    if own(actor, &r.uscc) || reads_all(app, actor).await? {
        Ok(r)
    } else {
        Err(Error::ConsultationNotFound { id })
    }
}

fn refused(state: State, action: Action) -> Error {
    Error::Service(services::Error::ConsultationTransition {
        state: state.label_zh(),
        action: action.label_zh(),
    })
}

fn check_next(r: &ConsultationRecord, action: Action) -> Result<State> {
    rules::next(r.state, r.follow_ups(), action).map_err(Error::Service)
}

fn topic(s: &str) -> Result<Topic> {
    Topic::parse(s).ok_or_else(|| {
        bad(
            "topic",
            s,
            "应为 contract（合同履约）、labour（招工用工）、trade（市场交易）、ip（知识产权）、other（其他）之一 / \
             must be contract, labour, trade, ip or other",
        )
    })
}

fn question_text(field: &str, s: &str) -> Result<String> {
    let q = clean(field, s, MAX_QUESTION, Lines::Many)?;
    if q.is_empty() {
        return Err(Error::Required { field: field.into(), what: "咨询的问题 / the question".into() });
    }
    Ok(q)
}

fn answer_text(s: &str) -> Result<String> {
    let a = clean("answer", s, MAX_ANSWER, Lines::Many)?;
    if a.is_empty() {
        return Err(Error::Required { field: "answer".into(), what: "答复内容 / the answer".into() });
    }
    Ok(a)
}

/// The answer's due times for a question asked at `at` under the zone's limit.
async fn due(app: &App, at: DateTime<FixedOffset>) -> Result<rules::DueTimes> {
    let limit = app
        .live
        .settings()
        .legal
        .limit()
        .ok_or_else(|| Error::internal("legal.answer_limit does not read (checked when saved)"))?;
    let cals = crate::calendar::calendars(app).await?;
    let yellow = app.live.time_limits().yellow_percent;
    Ok(rules::due_times(limit, at, yellow, cals.current())?)
}

/// The day an answer given today is confirmed by (the three lists' `confirm_workdays`).
async fn confirm_by(app: &App) -> Result<NaiveDate> {
    let n = app.live.time_limits().confirm_workdays;
    Ok(crate::calendar::add_workdays(app, app.today(), n).await?.result)
}

// ---------------------------------------------------------------------------------------
// Views

/// A consultation as lists show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConsultationView {
    #[serde(flatten)]
    pub record: ConsultationRecord,
    pub topic_zh: &'static str,
    pub channel_zh: &'static str,
    pub state_zh: &'static str,
    /// The light: `none`, `yellow`, `red` (only while waiting for the lawyer).
    pub warning: handling::Warning,
    /// 还剩 1 天 3 小时, 已逾期 5 小时; empty unless open.
    pub time_left_zh: String,
    /// The lawyer's name as shown (not the username).
    pub lawyer_name: String,
}

/// 1 天 3 小时, 5 小时, 40 分钟.
fn span_zh(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    let (days, hours, mins) = (m / 1440, m % 1440 / 60, m % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} 分钟"),
        (0, h) => format!("{h} 小时"),
        (d, 0) => format!("{d} 天"),
        (d, h) => format!("{d} 天 {h} 小时"),
    }
}

fn view(r: ConsultationRecord, now: DateTime<FixedOffset>, team: &[Lawyer]) -> ConsultationView {
    let times = rules::DueTimes { due_at: r.due_at, yellow_at: r.yellow_at };
    let time_left_zh = match r.state {
        State::Open if now > r.due_at => format!("已逾期 {}", span_zh(now - r.due_at)),
        State::Open => format!("还剩 {}", span_zh(r.due_at - now)),
        _ => String::new(),
    };
    let lawyer_name = r
        .lawyer
        .as_ref()
        .map(|l| {
            team.iter()
                .find(|t| &t.username == l)
                .map_or("律师团队成员".into(), |t| t.display_name.clone())
        })
        .unwrap_or_default();
    ConsultationView {
        topic_zh: r.topic.label_zh(),
        channel_zh: r.channel.label_zh(),
        state_zh: r.state.label_zh(),
        warning: rules::warning(r.state, &times, now),
        time_left_zh,
        lawyer_name,
        record: r,
    }
}

/// The FAQ a consultation links to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FaqLink {
    pub id: i64,
    pub title: String,
    pub state_zh: &'static str,
}

/// One consultation with what the reader may do now (pages offer only these).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConsultationDetail {
    pub consultation: ConsultationView,
    /// The actions the reader may take in this state.
    pub actions: Vec<Action>,
    /// May turn the answer into an FAQ (the office, answered, none yet).
    pub may_make_faq: bool,
    pub faq: Option<FaqLink>,
    /// The team, for the office's assignment form (empty for others).
    pub lawyers: Vec<Lawyer>,
    /// The FAQ's proposed question and answer (the enterprise's name and code taken out),
    /// to edit before saving; empty unless `may_make_faq`.
    pub faq_title: String,
    pub faq_body: String,
}

/// A question without the enterprise's name and credit code (某企业).
pub fn anonymised(text: &str, name: &str, uscc: &str) -> String {
    let mut t = text.to_string();
    if !name.trim().is_empty() {
        t = t.replace(name.trim(), "某企业");
    }
    if !uscc.is_empty() {
        t = t.replace(uscc, "");
    }
    t
}

/// One consultation, for whoever may read it.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn show(app: &App, actor: &Principal, id: i64) -> Result<ConsultationDetail> {
    let r = readable(app, actor, id).await?;
    let team = team(app).await?;
    let mut actions = Vec::new();
    if own(actor, &r.uscc) {
        actions.extend(rules::choices(r.state, r.follow_ups(), Party::Enterprise));
    }
    let office = in_office(app, actor).await?;
    if office || actor.role == Role::Admin {
        actions.extend(rules::choices(r.state, r.follow_ups(), Party::Office));
    }
    let lawyer = is_lawyer(app, actor).await?;
    if lawyer && r.lawyer.as_ref().is_none_or(|l| l == &actor.username) {
        actions.extend(rules::choices(r.state, r.follow_ups(), Party::Lawyer));
    }
    let faq = match r.faq_content_id {
        Some(cid) => app.store.content(cid).await?.map(|c| FaqLink {
            id: c.id,
            title: c.title,
            state_zh: c.state.label_zh(),
        }),
        None => None,
    };
    let may_make_faq = (office || actor.role == Role::Admin)
        && r.faq_content_id.is_none()
        && matches!(r.state, State::Answered | State::Closed);
    let (faq_title, faq_body) = if may_make_faq { faq_draft(&r) } else { Default::default() };
    Ok(ConsultationDetail {
        actions,
        may_make_faq,
        faq,
        lawyers: if office || actor.role == Role::Admin { team.clone() } else { Vec::new() },
        faq_title,
        faq_body,
        consultation: view(r, app.now(), &team),
    })
}

/// The proposed FAQ of a consultation: the question (one line, at most the content title's
/// length) and the answer with the follow-up, without the enterprise's name and code.
pub fn faq_draft(r: &ConsultationRecord) -> (String, String) {
    let a = |t: &str| anonymised(t, &r.enterprise_name, &r.uscc);
    let one_line: String = a(&r.question).split_whitespace().collect::<Vec<_>>().join(" ");
    let title: String = one_line.chars().take(crate::content::TITLE_MAX).collect();
    let mut body = a(&r.answer);
    if !r.follow_up.is_empty() {
        body.push_str(&format!("\n\n追问：{}\n答复：{}", a(&r.follow_up), a(&r.follow_up_answer)));
    }
    (title, body)
}

/// Which consultations a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct ListQuery {
    /// `open`, `answered`, `closed`, `withdrawn` (or 待答复, 已答复, 已办结, 已撤回).
    #[serde(default)]
    pub state: Option<String>,
    /// `contract`, `labour`, `trade`, `ip`, `other` (or the Chinese labels).
    #[serde(default)]
    pub topic: Option<String>,
    /// Only those given to the reader (a lawyer's own queue).
    #[serde(default)]
    pub mine: bool,
    /// Only open ones past their due point.
    #[serde(default)]
    pub overdue: bool,
    /// One enterprise's (officials).
    #[serde(default)]
    pub uscc: Option<String>,
}

/// Consultations: an enterprise its own; the office, leaders, supervisors and admins all;
/// others none (403). Open ones first, by due point; then the rest, newest first.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<ConsultationView>> {
    let state = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(State::parse(s).ok_or_else(|| {
            bad(
                "state",
                s,
                "应为 open、answered、closed、withdrawn 之一 / must be open, answered, closed or withdrawn",
            )
        })?),
        None => None,
    };
    let topic = match q.topic.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(topic(s)?),
        None => None,
    };
    let enterprise_id = match (actor.role, &actor.enterprise) {
        (Role::Enterprise, Some(e)) => {
            Some(crate::plans::enterprise(app, actor, &e.to_string(), authz::Action::Read).await?)
        }
        (Role::Enterprise, None) => return Err(Error::Forbidden),
        _ => {
            if !reads_all(app, actor).await? {
                return Err(Error::Forbidden);
            }
            match q.uscc.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(u) => Some(crate::plans::enterprise(app, actor, u, authz::Action::Read).await?),
                None => None,
            }
        }
    };
    let lawyer = if q.mine { Some(actor.username.clone()) } else { None };
    let now = app.now();
    let team = team(app).await?;
    let mut out: Vec<ConsultationView> = app
        .store
        .consultations(&ConsultationFilter { enterprise_id, state, lawyer })
        .await?
        .into_iter()
        .filter(|r| topic.is_none_or(|t| r.topic == t))
        .map(|r| view(r, now, &team))
        .filter(|v| !q.overdue || v.warning == handling::Warning::Red)
        .collect();
    out.sort_by(|a, b| {
        let open = |v: &ConsultationView| v.record.state != State::Open;
        open(a).cmp(&open(b)).then(if a.record.state == State::Open && b.record.state == State::Open {
            a.record.due_at.cmp(&b.record.due_at)
        } else {
            b.record.id.cmp(&a.record.id)
        })
    });
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Use cases

/// A consultation asked online, or taken down at the hotline or a visit.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AskRequest {
    /// The enterprise (an enterprise user: empty for itself).
    #[serde(default)]
    pub uscc: String,
    /// `online` (an enterprise's own), `hotline` or `visit` (taken down by the legal office);
    /// default: `online` for an enterprise, `hotline` for an officer.
    #[serde(default)]
    pub channel: String,
    /// `contract`, `labour`, `trade`, `ip`, `other` (or 合同履约, 招工用工, 市场交易, 知识产权, 其他).
    pub topic: String,
    /// The question (≤ 2,000 characters).
    pub question: String,
    /// The answer the lawyer gave on the phone (≤ 5,000 characters): recorded answered at
    /// once. Only a lawyer of the team taking the call.
    #[serde(default)]
    pub answer: String,
}

/// Asks a question (the enterprise online) or takes one down (the legal office); its due
/// point from the zone's limit; answered at once when a lawyer gives the answer with it.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn ask(app: &App, actor: &Principal, req: &AskRequest) -> Result<ConsultationDetail> {
    let enterprise_user = actor.role == Role::Enterprise;
    let channel = match req.channel.trim() {
        "" if enterprise_user => Channel::Online,
        "" => Channel::Hotline,
        c => Channel::parse(c).ok_or_else(|| {
            bad("channel", c, "应为 online、hotline、visit 之一 / must be online, hotline or visit")
        })?,
    };
    let uscc = match (req.uscc.trim(), &actor.enterprise) {
        ("", Some(e)) if enterprise_user => e.to_string(),
        ("", _) => {
            return Err(Error::Required {
                field: "uscc".into(),
                what: "统一社会信用代码 / the credit code".into(),
            });
        }
        (u, _) => u.to_string(),
    };
    if enterprise_user {
        if !own(actor, &uscc) {
            return Err(Error::Forbidden);
        }
        if channel != Channel::Online {
            return Err(bad(
                "channel",
                channel.as_str(),
                "企业自行提出的咨询为线上咨询 / an enterprise asks online",
            ));
        }
    } else {
        if !(in_office(app, actor).await? || actor.role == Role::Admin) {
            return Err(Error::Forbidden);
        }
        if channel == Channel::Online {
            return Err(bad(
                "channel",
                channel.as_str(),
                "线上咨询由企业自行提出；代为登记的应为热线或现场 / online questions are the enterprise's own: take \
                 down hotline or visit",
            ));
        }
    }
    let enterprise_id = crate::plans::enterprise(app, actor, &uscc, authz::Action::Read).await?;
    let topic = topic(&req.topic)?;
    let question = question_text("question", &req.question)?;
    let answered = match req.answer.trim() {
        "" => None,
        a => {
            if !is_lawyer(app, actor).await? {
                return Err(bad(
                    "answer",
                    i18n::suggest::shown(a),
                    "只有律师团队成员可当场答复 / only a lawyer of the team answers on the spot",
                ));
            }
            Some((answer_text(a)?, confirm_by(app).await?))
        }
    };
    let now = app.now();
    let times = due(app, now).await?;
    let lawyer = answered.as_ref().map(|_| actor.username.clone());
    let c = NewConsultation {
        enterprise_id,
        channel,
        topic,
        question,
        asked_by: actor.username.clone(),
        asked_at: now,
        due_at: times.due_at,
        yellow_at: times.yellow_at,
        lawyer,
        answered,
    };
    let id = app.store.create_consultation(&c, &stamp(app, actor)).await?;
    show(app, actor, id).await
}

/// Gives a consultation to a lawyer of the team (the legal office).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignRequest {
    /// The lawyer's username.
    pub lawyer: String,
    /// The version the form showed (default: the current one).
    #[serde(default)]
    pub version: Option<i64>,
}

#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn assign(
    app: &App,
    actor: &Principal,
    id: i64,
    req: &AssignRequest,
) -> Result<ConsultationDetail> {
    let r = readable(app, actor, id).await?;
    if !(in_office(app, actor).await? || actor.role == Role::Admin) {
        return Err(Error::Forbidden);
    }
    check_next(&r, Action::Assign)?;
    let lawyer = req.lawyer.trim();
    if !team(app).await?.iter().any(|l| l.username == lawyer) {
        return Err(bad(
            "lawyer",
            i18n::suggest::shown(lawyer),
            "不是律师团队成员（园区设置 legal.lawyers）/ not a lawyer of the team (zone setting legal.lawyers)",
        ));
    }
    let w = ConsultationWrite::Assign { lawyer: lawyer.to_string() };
    app.store.write_consultation(id, req.version.unwrap_or(r.version), &w, &stamp(app, actor)).await?;
    show(app, actor, id).await
}

/// A lawyer's answer (to the question, or to the follow-up).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerRequest {
    /// The answer (≤ 5,000 characters).
    pub answer: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// Answers an open consultation: a lawyer of the team, the one it is given to (an unassigned
/// one becomes the answering lawyer's).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn answer(
    app: &App,
    actor: &Principal,
    id: i64,
    req: &AnswerRequest,
) -> Result<ConsultationDetail> {
    let r = readable(app, actor, id).await?;
    if !is_lawyer(app, actor).await? || r.lawyer.as_ref().is_some_and(|l| l != &actor.username) {
        return Err(Error::Forbidden);
    }
    check_next(&r, Action::Answer)?;
    let text = answer_text(&req.answer)?;
    let w = ConsultationWrite::Answer {
        text,
        follow_up: r.follow_ups() > 0,
        in_time: rules::on_time(r.due_at, app.now()),
        confirm_by: confirm_by(app).await?,
    };
    app.store.write_consultation(id, req.version.unwrap_or(r.version), &w, &stamp(app, actor)).await?;
    show(app, actor, id).await
}

/// The enterprise's reply to an answer: confirm (with a remark), follow up (a question), or
/// withdraw an unanswered question (with a reason).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyRequest {
    /// `confirm`, `follow_up` or `withdraw`.
    pub action: String,
    /// The remark, the follow-up question (≤ 2,000 characters) or the reason (≤ 500).
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// The enterprise confirms, follows up or withdraws.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn reply(app: &App, actor: &Principal, id: i64, req: &ReplyRequest) -> Result<ConsultationDetail> {
    let r = readable(app, actor, id).await?;
    if !own(actor, &r.uscc) {
        return Err(Error::Forbidden);
    }
    let action = match req.action.trim() {
        "confirm" | "确认" => Action::Confirm,
        "follow_up" | "追问" => Action::FollowUp,
        "withdraw" | "撤回" => Action::Withdraw,
        a => {
            return Err(bad(
                "action",
                a,
                "应为 confirm、follow_up、withdraw 之一 / must be confirm, follow_up or withdraw",
            ));
        }
    };
    check_next(&r, action)?;
    let w = match action {
        Action::Confirm => {
            ConsultationWrite::Confirm { note: clean("text", &req.text, MAX_NOTE, Lines::Many)? }
        }
        Action::Withdraw => {
            ConsultationWrite::Withdraw { reason: clean("text", &req.text, MAX_NOTE, Lines::Many)? }
        }
        _ => {
            let text = question_text("text", &req.text)?;
            let times = due(app, app.now()).await?;
            ConsultationWrite::FollowUp { text, due_at: times.due_at, yellow_at: times.yellow_at }
        }
    };
    app.store.write_consultation(id, req.version.unwrap_or(r.version), &w, &stamp(app, actor)).await?;
    show(app, actor, id).await
}

/// Closes answered consultations whose confirmation day has passed (the `legal_close` job);
/// how many.
#[tracing::instrument(skip_all)]
pub async fn close_unconfirmed(app: &App) -> Result<usize> {
    let today = app.today();
    let system = Principal::system();
    let mut n = 0;
    let answered = ConsultationFilter { state: Some(State::Answered), ..Default::default() };
    for r in app.store.consultations(&answered).await? {
        if r.confirm_by.is_some_and(|d| d < today) {
            check_next(&r, Action::AutoClose)?;
            match app
                .store
                .write_consultation(r.id, r.version, &ConsultationWrite::AutoClose, &stamp(app, &system))
                .await
            {
                Ok(_) => n += 1,
                // The enterprise acted meanwhile: its action stands; the next run looks again.
                Err(store::StoreError::DocumentConflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(n)
}

/// The FAQ made of an answer: the question and answer as edited (no enterprise name or code).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaqRequest {
    /// The FAQ's question (≤ 200 characters, one line; default: the consultation's,
    /// anonymised).
    #[serde(default)]
    pub title: String,
    /// The FAQ's answer (≤ 20,000 characters; default: the lawyer's answer).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// Turns an answer into an FAQ (常见问题) of the legal office: a draft content item (the
/// content module's checks; it then goes through its review), linked from the consultation,
/// both in one transaction. The legal office (or an admin), once per consultation.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn make_faq(app: &App, actor: &Principal, id: i64, req: &FaqRequest) -> Result<ContentItem> {
    let r = readable(app, actor, id).await?;
    if !(in_office(app, actor).await? || actor.role == Role::Admin) {
        return Err(Error::Forbidden);
    }
    if !matches!(r.state, State::Answered | State::Closed) {
        return Err(refused(r.state, Action::Answer));
    }
    if r.faq_content_id.is_some() {
        return Err(bad("faq", id, "该咨询已转为常见问题 / this consultation is already an FAQ"));
    }
    let (title0, body0) = faq_draft(&r);
    let title = if req.title.trim().is_empty() { title0 } else { req.title.clone() };
    let body = if req.body.trim().is_empty() { body0 } else { req.body.clone() };
    let name = r.enterprise_name.trim();
    for (field, text) in [("title", &title), ("body", &body)] {
        if (!name.is_empty() && text.contains(name)) || text.contains(&r.uscc) {
            return Err(bad(
                field,
                i18n::suggest::shown(text),
                "常见问题不得出现企业名称或统一社会信用代码 / an FAQ may not name the enterprise or its credit code",
            ));
        }
    }
    let input = crate::content::ContentInput {
        kind: "faq".into(),
        title,
        body,
        department: Some(office(app).await?),
        plan_line: "三.14".into(),
        tags: vec!["法律服务".into(), r.topic.label_zh().into()],
        items: Vec::new(),
        guide: None,
        consent: None,
    };
    let (item, change) = crate::content::draft(app, actor, input).await?;
    let saved = app
        .store
        .create_faq_of_consultation(
            id,
            req.version.unwrap_or(r.version),
            &item,
            &[change],
            &stamp(app, actor),
        )
        .await?;
    app.search.touch();
    Ok(saved)
}

// ---------------------------------------------------------------------------------------
// KPI and export

/// The row of the leader's service-line table: consultations asked this month, first answers
/// this month within the limit, open now, FAQs made this month; behind = open past due.
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    authz::require(actor, authz::Action::Read, Resource::Kpi)?;
    let all = app.store.consultations(&ConsultationFilter::default()).await?;
    let month = |t: DateTime<FixedOffset>| {
        let d = i18n::dates::china_date(t);
        d.year() == day.year() && d.month() == day.month()
    };
    let now = app.now();
    let asked = all.iter().filter(|c| month(c.asked_at)).count() as u64;
    let in_time =
        all.iter().filter(|c| c.answered_in_time == Some(true) && c.answered_at.is_some_and(month)).count()
            as u64;
    let open = all.iter().filter(|c| c.state == State::Open).count() as u64;
    let faqs = all.iter().filter(|c| c.faq_at.is_some_and(month)).count() as u64;
    let behind = all.iter().filter(|c| c.state == State::Open && now > c.due_at).count() as u64;
    Ok(vec![ServiceLineKpi {
        clause: "三.14",
        name_zh: "应急法律服务".into(),
        figures: vec![
            Figure { label_zh: "本月法律咨询（件）", value: asked },
            Figure { label_zh: "本月按时答复（件）", value: in_time },
            Figure { label_zh: "待答复（件）", value: open },
            Figure { label_zh: "本月转为常见问题（条）", value: faqs },
        ],
        behind,
        href: Some("/legal"),
    }])
}

/// The consultations workbook (法律咨询台账): officials who read all.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn workbook(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<u8>> {
    if actor.role == Role::Enterprise || !reads_all(app, actor).await? {
        return Err(Error::Forbidden);
    }
    let list = list(app, actor, q).await?;
    let mut sheet = excel::Sheet::new(
        "法律咨询",
        &[
            "编号",
            "统一社会信用代码",
            "企业",
            "渠道",
            "主题",
            "咨询问题",
            "提出时间",
            "答复期限",
            "状态",
            "预警",
            "律师",
            "答复",
            "答复时间",
            "是否按时答复",
            "追问",
            "追问答复",
            "办结时间",
            "常见问题编号",
        ],
    );
    let time = |t: Option<DateTime<FixedOffset>>| {
        t.map_or(excel::Cell::Empty, |t| {
            excel::Cell::DateTime(t.with_timezone(&handling::china()).naive_local())
        })
    };
    for v in &list {
        let r = &v.record;
        sheet.push(vec![
            excel::Cell::Int(r.id),
            r.uscc.clone().into(),
            r.enterprise_name.clone().into(),
            v.channel_zh.into(),
            v.topic_zh.into(),
            r.question.clone().into(),
            time(Some(r.asked_at)),
            time(Some(r.due_at)),
            v.state_zh.into(),
            (match v.warning {
                handling::Warning::Red => "红灯",
                handling::Warning::Yellow => "黄灯",
                handling::Warning::None => "",
            })
            .into(),
            v.lawyer_name.clone().into(),
            r.answer.clone().into(),
            time(r.answered_at),
            (match r.answered_in_time {
                Some(true) => "是",
                Some(false) => "否",
                None => "",
            })
            .into(),
            r.follow_up.clone().into(),
            r.follow_up_answer.clone().into(),
            time(r.closed_at),
            r.faq_content_id.map_or(excel::Cell::Empty, excel::Cell::Int),
        ]);
    }
    let mut wb = excel::Workbook::new("法律咨询台账", app.now().naive_local());
    wb.sheets.push(sheet);
    wb.to_bytes().map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_team_setting_names_lawyers_or_all() {
        let mut s = LegalSettings::default();
        assert_eq!((s.named(), s.limit()), (None, Some(handling::Limit::Workdays(2))));
        s.lawyers = "lvshi， lvshi02、lvshi03".into();
        assert_eq!(s.named(), Some(vec!["lvshi".to_string(), "lvshi02".into(), "lvshi03".into()]));
        s.lawyers = "All".into();
        assert_eq!(s.named(), None);
        s.answer_limit = "两天".into();
        assert_eq!(s.limit(), None);
        assert!(crate::settings::ZoneSettings { legal: s, ..Default::default() }.check().is_err());
    }

    #[test]
    fn an_faq_proposal_names_no_enterprise() {
        assert_eq!(
            anonymised(
                "长沙甲公司（91430100MA4L16JQ9B）员工隔离期间工资？",
                "长沙甲公司",
                "91430100MA4L16JQ9B"
            ),
            "某企业（）员工隔离期间工资？"
        );
    }
}
