//! The JSON shapes of the problem API (what the OpenAPI document describes) and their
//! translation from and to the use cases' types (`app::problems`). Nothing is decided here:
//! which fields a reader sees, what they may do and what a word means come from the app.

use app::problems::{ActionRequest, ListRequest, ProblemPage, ProblemRowView, ProblemView, RaiseRequest};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

use crate::routes::attachments::AttachmentOut;

/// A new problem. An enterprise user raises problems for its own enterprise (channel
/// `self_service`); a cadre for a linked enterprise (channel `visit` by default); leaders,
/// supervisors and admins for any (intake, 代录: `hotline`, `meeting`, `visit`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewProblemIn {
    /// 统一社会信用代码; optional for enterprise users (their own).
    pub enterprise: Option<String>,
    /// The routing table's category code or Chinese name (`tax`, `涉税`).
    pub category: String,
    /// At most 100 characters, one line, no control characters.
    pub title: String,
    /// At most 5,000 characters.
    #[serde(default)]
    pub description: String,
    /// `self_service`, `visit`, `hotline` or `meeting`.
    pub channel: Option<String>,
    /// `normal` (default) or `urgent`.
    pub urgency: Option<String>,
    /// 商业秘密: only the enterprise, its departments and supervisors see the details.
    #[serde(default)]
    pub confidential: bool,
    /// The visit that raised it (channel `visit`).
    pub visit: Option<i64>,
}

impl From<NewProblemIn> for RaiseRequest {
    fn from(p: NewProblemIn) -> RaiseRequest {
        RaiseRequest {
            enterprise: p.enterprise,
            category: p.category,
            title: p.title,
            description: p.description,
            channel: p.channel,
            urgency: p.urgency,
            confidential: p.confidential,
            visit: p.visit,
            ..RaiseRequest::default()
        }
    }
}

/// An action on a problem: the action's word and the fields it needs. The same words as
/// `huiqi problem act` (`decide-objection` or `decide_objection`, the Chinese names, `成立`,
/// `销号`, `not-eligible`, …). The domain decides whether it is legal now for this user.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ActionIn {
    /// `accept`, `assign`, `object`, `decide_objection`, `return`, `start`, `request_info`,
    /// `supply_info`, `report`, `request_extension`, `approve_extension`, `reject_extension`,
    /// `escalate` (督办: a case with a reply deadline; `escalate_case` too), `reply_escalation`,
    /// `open_consultation`, `close_consultation`, `complete_decision`, `answer`, `confirm`,
    /// `reopen`, `review`, `close`, `auto_close_unrated`, `withdraw`, `spot_check` (`-` for
    /// `_`, or the Chinese name).
    pub action: String,
    /// The reason, the answer text, the report… (required by some actions; at most 2,000
    /// characters).
    pub note: Option<String>,
    /// The problem's version as read (its last event number): 412 if it moved on.
    pub version: Option<u32>,
    /// assign / decide_objection: the lead department (code or name).
    pub lead: Option<String>,
    /// assign / decide_objection: cooperating departments.
    pub cooperating: Option<Vec<String>>,
    /// assign: the person in charge.
    pub handler: Option<String>,
    /// decide_objection: whether the objection is upheld (or `decision`).
    pub upheld: Option<bool>,
    /// request_extension: working days (1–30); escalate: the working days to reply (default:
    /// the zone setting).
    pub workdays: Option<u32>,
    /// answer: `resolved`, `explained` or `referred` (已解决, 已解释, 已转办).
    pub outcome: Option<String>,
    /// answer explained: `not_eligible`, `legal_constraint`, `beyond_authority`,
    /// `needs_longer_term`, `enterprise_cause`, `other` (default).
    pub reason: Option<String>,
    /// answer referred: to whom.
    pub to: Option<String>,
    /// confirm: `satisfied` (满意), `basically_satisfied` (基本满意), `dissatisfied` (不满意).
    pub rating: Option<String>,
    /// review: `close` (销号) or `redo` (重办); decide_objection: `upheld` (成立) or
    /// `rejected` (驳回).
    pub decision: Option<String>,
    /// open_consultation: participating departments.
    pub participants: Option<Vec<String>>,
    /// close_consultation: the minutes.
    pub minutes: Option<String>,
    /// close_consultation: the decisions, one per entry.
    pub decisions: Option<Vec<String>>,
    /// close_consultation: each decision's owning department, by position (default: the lead).
    pub decision_owners: Option<Vec<String>>,
    /// close_consultation: each decision's deadline `YYYY-MM-DD`, by position (default: the
    /// zone setting's working days).
    pub decision_dues: Option<Vec<String>>,
    /// confirm / spot_check: the enterprise's own answer whether it was solved: `true`/`false`
    /// or `yes`/`no`, `已解决`/`未解决`.
    #[schema(value_type = Option<String>)]
    pub solved: Option<SolvedIn>,
}

/// A yes/no as JSON sends it or as a word.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SolvedIn {
    Bool(bool),
    Word(String),
}

impl SolvedIn {
    fn word(self) -> String {
        match self {
            SolvedIn::Bool(b) => b.to_string(),
            SolvedIn::Word(w) => w,
        }
    }
}

impl ActionIn {
    /// The use case's request; `if_match`: the versions an `If-Match` header names (`None`
    /// without one, or for `*`).
    pub fn into_request(self, if_match: Option<Vec<u32>>) -> ActionRequest {
        ActionRequest {
            action: self.action,
            note: self.note,
            lead: self.lead,
            cooperating: self.cooperating,
            handler: self.handler,
            upheld: self.upheld,
            decision: self.decision,
            workdays: self.workdays,
            outcome: self.outcome,
            reason: self.reason,
            to: self.to,
            rating: self.rating,
            participants: self.participants,
            minutes: self.minutes,
            decisions: self.decisions,
            decision_owners: self.decision_owners,
            decision_dues: self.decision_dues,
            solved: self.solved.map(SolvedIn::word),
            version: self.version,
            if_match,
            at: None,
        }
    }
}

/// One event of a problem's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub seq: u32,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub actor_department: Option<String>,
    pub action: String,
    pub from: Option<String>,
    pub to: String,
    /// Hidden (null) on the summary of a confidential problem.
    pub note: Option<String>,
    /// The action's structured data (routing, outcome, rating…); null when hidden.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// One problem as the reader may see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProblemOut {
    pub id: i64,
    /// The version to send back with an action (also the `ETag`).
    pub version: u32,
    pub enterprise: String,
    pub enterprise_name: String,
    /// `full` or `summary` (a confidential problem seen from outside its departments).
    pub visibility: String,
    /// Null on a summary.
    pub title: Option<String>,
    pub description: Option<String>,
    pub channel: String,
    pub urgency: String,
    pub confidential: bool,
    pub category: String,
    pub state: String,
    pub lead_department: String,
    pub cooperating_departments: Vec<String>,
    pub handler: Option<String>,
    pub received_at: String,
    /// `accept_by`, `answer_by` (a date `YYYY-MM-DD`, due by the end of that day, or an RFC
    /// 3339 time for limits in hours), and `objection_by`, `report_by`, `confirm_by`,
    /// `paused` when they apply.
    #[schema(value_type = Object)]
    pub deadlines: serde_json::Value,
    /// `none`, `yellow` or `red`.
    pub warning: String,
    pub round: u32,
    pub escalations: u32,
    /// The actions this reader may take now: legal in the state, for their role, and
    /// passing the rules that need no data (who leads, an open consultation, a pending
    /// extension, the objection window…).
    pub allowed_actions: Vec<String>,
    /// The last answer's outcome (`resolved`, `explained`, `referred`), if answered.
    pub outcome: Option<String>,
    /// The last rating, if any.
    pub rating: Option<String>,
    /// How it was closed (`confirmed`, `unrated`, `supervisor_review`), while closed.
    pub closure: Option<String>,
    pub events: Vec<EventOut>,
    /// Its attachments, when the reader may read them.
    #[serde(default)]
    pub attachments: Vec<AttachmentOut>,
    /// Whether the reader may add an attachment now.
    #[serde(default)]
    pub may_attach: bool,
    /// A running deadline lies in a provisional calendar year (no notice loaded yet): it may
    /// move when the notice is.
    #[serde(default)]
    pub provisional: bool,
    /// The time limits are zone settings: this says so, with their stated source.
    #[serde(default)]
    pub time_limits_source: String,
    /// 督办 cases: each with its reply deadline, reply and light.
    #[serde(default)]
    pub escalation_cases: Vec<EscalationOut>,
    /// The consultations' decisions, each an action with an owner and a deadline.
    #[serde(default)]
    pub decisions: Vec<DecisionOut>,
    /// While closed: the enterprise's own answer whether it was solved (at its confirmation
    /// or to a supervisor's spot check); null when it gave none.
    #[serde(default)]
    pub solved: Option<bool>,
}

/// A 督办 case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EscalationOut {
    pub no: u32,
    pub opened_at: String,
    pub by: String,
    pub reply_by: String,
    pub replied_at: Option<String>,
    pub replied_on_time: Option<bool>,
    /// `none`, `yellow` or `red`.
    pub warning: String,
}

/// A consultation's decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionOut {
    pub no: u32,
    pub text: String,
    pub owner: String,
    pub due: String,
    pub done_at: Option<String>,
    pub done_on_time: Option<bool>,
    /// `none`, `yellow` or `red`.
    pub warning: String,
}

/// A snake_case enum's name (`self_service`).
pub fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl From<&ProblemView> for ProblemOut {
    fn from(v: &ProblemView) -> ProblemOut {
        let s = v.state();
        ProblemOut {
            id: v.id(),
            version: v.version(),
            enterprise: s.problem.enterprise.to_string(),
            enterprise_name: v.record.row.enterprise_name.clone(),
            visibility: enum_str(&v.visibility),
            title: v.title().map(str::to_string),
            description: v.description().map(str::to_string),
            channel: enum_str(&s.problem.channel),
            urgency: enum_str(&s.problem.urgency),
            confidential: s.problem.confidential,
            category: s.problem.category.clone(),
            state: s.state.as_str().to_string(),
            lead_department: s.lead.clone(),
            cooperating_departments: s.cooperating.clone(),
            handler: s.handler.clone(),
            received_at: s.problem.received_at.to_rfc3339(),
            deadlines: serde_json::to_value(&v.deadlines).unwrap_or_default(),
            warning: v.warning.as_str().to_string(),
            round: s.round,
            escalations: s.escalations,
            allowed_actions: v.actions.iter().map(|a| a.word().to_string()).collect(),
            outcome: s.last_answer().map(|a| a.outcome.code().to_string()),
            rating: s.ratings.last().map(|r| enum_str(&r.rating)),
            closure: s.closure().map(|c| enum_str(&c.kind)),
            events: v
                .record
                .events
                .iter()
                .map(|e| {
                    let ev = &e.event;
                    EventOut {
                        seq: ev.seq,
                        at: ev.at.to_rfc3339(),
                        actor: ev.actor.clone(),
                        role: ev.role.as_str().to_string(),
                        actor_department: ev.actor_department.clone(),
                        action: ev.kind().as_str().to_string(),
                        from: ev.from.map(|f| f.as_str().to_string()),
                        to: ev.to.as_str().to_string(),
                        note: v.note(ev).map(str::to_string),
                        payload: v.payload(ev).unwrap_or(serde_json::Value::Null),
                    }
                })
                .collect(),
            attachments: v.attachments.iter().flatten().cloned().map(AttachmentOut::of).collect(),
            may_attach: v.may_attach,
            provisional: v.provisional,
            time_limits_source: v.limits_label.clone(),
            escalation_cases: s
                .escalation_cases
                .iter()
                .map(|c| EscalationOut {
                    no: c.no,
                    opened_at: c.opened_at.to_rfc3339(),
                    by: c.by.clone(),
                    reply_by: c.reply_by.to_string(),
                    replied_at: c.replied_at.map(|t| t.to_rfc3339()),
                    replied_on_time: c.replied_on_time(),
                    warning: if s.state.is_open() { c.warning(v.at) } else { handling::Warning::None }
                        .as_str()
                        .to_string(),
                })
                .collect(),
            decisions: if v.full() {
                s.decisions
                    .iter()
                    .map(|d| DecisionOut {
                        no: d.no,
                        text: d.text.clone(),
                        owner: d.owner.clone(),
                        due: d.due.to_string(),
                        done_at: d.done_at.map(|t| t.to_rfc3339()),
                        done_on_time: d.done_on_time(),
                        warning: d.warning(v.at).as_str().to_string(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            solved: s.enterprise_says_solved(),
        }
    }
}

/// A row of a problem list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProblemRowOut {
    pub id: i64,
    pub enterprise: String,
    pub enterprise_name: String,
    pub category: String,
    /// Null on the summary of a confidential problem.
    pub title: Option<String>,
    pub state: String,
    pub urgency: String,
    pub confidential: bool,
    pub lead_department: String,
    pub cooperating_departments: Vec<String>,
    pub received_at: String,
    pub accept_by: String,
    pub answer_by: String,
    /// `none`, `yellow` or `red`, now.
    pub warning: String,
    pub escalations: i64,
    pub round: i64,
}

impl From<ProblemRowView> for ProblemRowOut {
    fn from(r: ProblemRowView) -> ProblemRowOut {
        let title = r.title().map(str::to_string);
        let warning = r.warning.as_str().to_string();
        let (row, x) = (r.row.clone(), r.row.projection);
        ProblemRowOut {
            id: row.id,
            enterprise: row.enterprise.to_string(),
            enterprise_name: row.enterprise_name,
            category: x.category,
            title,
            state: x.state,
            urgency: x.urgency,
            confidential: x.confidential,
            lead_department: x.lead_department,
            cooperating_departments: x.cooperating,
            received_at: x.received_at.to_rfc3339(),
            accept_by: x.accept_by,
            answer_by: x.answer_by,
            warning,
            escalations: x.escalations,
            round: x.round,
        }
    }
}

/// A page of problems.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProblemList {
    pub items: Vec<ProblemRowOut>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl From<ProblemPage> for ProblemList {
    fn from(p: ProblemPage) -> ProblemList {
        ProblemList {
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            items: p.rows.into_iter().map(ProblemRowOut::from).collect(),
        }
    }
}

/// Filters of the problem list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemQuery {
    /// A state (`submitted`, `in_progress`, `answered`, `closed`, …).
    pub state: Option<String>,
    /// `open` (every state but closed and withdrawn), `closed` (closed or withdrawn) or `all`
    /// (default for the API; a department's queue page shows open ones unless asked).
    pub open: Option<String>,
    /// A department code (lead or cooperating).
    pub department: Option<String>,
    /// A category code or name.
    pub category: Option<String>,
    /// `yellow`, `red` or `warned` (yellow or red), now.
    pub warning: Option<String>,
    /// 统一社会信用代码.
    pub enterprise: Option<String>,
    /// Keywords separated by spaces, each found in the title or the description (at most 10
    /// words of 50 characters; confidential problems only for those who may read them).
    pub q: Option<String>,
    /// `id` (default for the API) or `queue` (open first, red, yellow, urgent, then the answer
    /// deadline; a department's queue page).
    pub sort: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Rows per page, 1 to 200 (default 50).
    pub per_page: Option<u64>,
}

/// The use case's list request from raw query parameters.
pub fn list_request(raw: &HashMap<String, String>) -> ListRequest {
    let get = |k: &str| raw.get(k).cloned();
    ListRequest {
        state: get("state"),
        open: get("open"),
        department: get("department"),
        category: get("category"),
        warning: get("warning"),
        enterprise: get("enterprise"),
        q: get("q"),
        sort: get("sort"),
        page: get("page"),
        per_page: get("per_page"),
        raised: get("raised"),
    }
}
