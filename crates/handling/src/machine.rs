//! The problem state machine: states, actors, actions, events, [`apply`] and [`replay`].
//!
//! Every change is an [`Event`]; a problem's state is the fold of its events, and
//! [`replay`] re-runs each event through the same checks as [`apply`], so a stored log that
//! could not have been produced legally does not replay. Deadlines are computed with the
//! calendar when an event is applied and kept in the state, so reading them needs no
//! calendar.
//!
//! Deliberately absent: department codes are not checked against the routing table here
//! (the table is editable; an old log must replay after a department is renamed). Callers
//! check new commands with [`crate::check_departments`] before applying them.

use calendar::WorkCalendar;
use chrono::{DateTime, FixedOffset, SubsecRound};
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};

use crate::deadline::{Clock, Due};
use crate::{AppliedLimits, HandlingError, Problem, china_date};

/// The lifecycle states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Received, not yet accepted.
    Submitted,
    /// 受理: accepted by the lead department (or the working group).
    Accepted,
    /// 派单: the responsibility list is set; objection window open.
    Assigned,
    /// The lead department objected; a supervisor decides.
    ObjectionPending,
    /// 退回: returned as misrouted; waiting to be reassigned.
    Returned,
    /// 办理中.
    InProgress,
    /// The department asked the enterprise for information; the answer clock is paused.
    AwaitingInfo,
    /// 已答复: waiting for the enterprise's confirmation.
    Answered,
    /// A second 不满意: a supervisor reviews and decides.
    UnderReview,
    /// The enterprise confirmed the answer with 满意 or 基本满意.
    Confirmed,
    /// 销号.
    Closed,
    /// Withdrawn by the enterprise.
    Withdrawn,
}

pub const ALL_STATES: [State; 12] = [
    State::Submitted,
    State::Accepted,
    State::Assigned,
    State::ObjectionPending,
    State::Returned,
    State::InProgress,
    State::AwaitingInfo,
    State::Answered,
    State::UnderReview,
    State::Confirmed,
    State::Closed,
    State::Withdrawn,
];

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Accepted => "accepted",
            State::Assigned => "assigned",
            State::ObjectionPending => "objection_pending",
            State::Returned => "returned",
            State::InProgress => "in_progress",
            State::AwaitingInfo => "awaiting_info",
            State::Answered => "answered",
            State::UnderReview => "under_review",
            State::Confirmed => "confirmed",
            State::Closed => "closed",
            State::Withdrawn => "withdrawn",
        }
    }

    /// Whether the department's answer clock runs in this state.
    pub fn answer_clock_runs(self) -> bool {
        matches!(
            self,
            State::Submitted
                | State::Accepted
                | State::Assigned
                | State::ObjectionPending
                | State::Returned
                | State::InProgress
        )
    }

    /// States in which departments work the problem (reports, extensions, consultation).
    pub fn is_handling(self) -> bool {
        matches!(self, State::Assigned | State::ObjectionPending | State::InProgress | State::AwaitingInfo)
    }

    /// Final states: nothing but a reopening (from closed) leaves them.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Closed | State::Withdrawn)
    }
}

/// Who acts: a user's role (the one enum for sign-in, authorisation and the state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 企业用户
    Enterprise,
    /// 驻企干部
    Cadre,
    /// 部门经办
    Department,
    /// 联点领导
    Leader,
    /// 督查
    Supervisor,
    /// 政策专员
    Policy,
    /// 管理员
    Admin,
    /// Scheduled jobs (closing unrated answers); no one logs in as it.
    System,
}

impl Role {
    /// The roles a person signs in with: every role but [`Role::System`].
    pub const USERS: [Role; 7] = [
        Role::Enterprise,
        Role::Cadre,
        Role::Department,
        Role::Leader,
        Role::Supervisor,
        Role::Policy,
        Role::Admin,
    ];

    /// A user role from its code (`cadre`) or Chinese label (`驻企干部`); never `system`.
    pub fn parse_user_role(s: &str) -> Option<Role> {
        let t = s.trim();
        Role::USERS.into_iter().find(|r| r.as_str() == t || r.label_zh() == t)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Enterprise => "企业用户",
            Role::Cadre => "驻企干部",
            Role::Department => "部门经办",
            Role::Leader => "联点领导",
            Role::Supervisor => "督查",
            Role::Policy => "政策专员",
            Role::Admin => "管理员",
            Role::System => "系统",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Enterprise => "enterprise",
            Role::Cadre => "cadre",
            Role::Department => "department",
            Role::Leader => "leader",
            Role::Supervisor => "supervisor",
            Role::Policy => "policy",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user acting on a problem, with what the ownership rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub username: String,
    pub role: Role,
    /// Department code, for department staff.
    #[serde(default)]
    pub department: Option<String>,
    /// The enterprise, for enterprise users.
    #[serde(default)]
    pub enterprise: Option<UnifiedCreditCode>,
}

/// The enterprise's rating of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Dissatisfied,
}

impl Rating {
    pub fn parse(s: &str) -> Result<Rating, HandlingError> {
        match s.trim().replace('-', "_").to_ascii_lowercase().as_str() {
            "satisfied" | "满意" => Ok(Rating::Satisfied),
            "basically_satisfied" | "基本满意" => Ok(Rating::BasicallySatisfied),
            "dissatisfied" | "不满意" => Ok(Rating::Dissatisfied),
            _ => Err(HandlingError::BadValue {
                field: "rating",
                value: s.to_string(),
                expected: "satisfied (满意) | basically_satisfied (基本满意) | dissatisfied (不满意)",
            }),
        }
    }
    /// 满意 or 基本满意.
    pub fn is_satisfied(self) -> bool {
        !matches!(self, Rating::Dissatisfied)
    }
}

/// Why an answer explains rather than resolves (已解释).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplainReason {
    /// 不符合政策条件
    NotEligible,
    /// 法律法规限制
    LegalConstraint,
    /// 超出本级权限
    BeyondAuthority,
    /// 暂不具备条件，需长期推进
    NeedsLongerTerm,
    /// 企业自身原因
    EnterpriseCause,
    Other,
}

/// What an answer says happened. Resolved and merely answered are counted apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// 已解决
    Resolved,
    /// 已解释: explained, not solvable now.
    Explained { reason: ExplainReason },
    /// Referred to another body (the courts, a provincial department, …).
    Referred { to: String },
}

/// A supervisor's decision on an objection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Accept the closure: the answer stands; closed with the 不满意 rating.
    Close,
    /// Order another round of handling.
    Redo,
}

/// An action on a problem, with its structured data. Free text (reasons, the answer text,
/// reports) goes in the command's `note`; the actions listed in [`ActionKind::needs_note`]
/// require it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "payload", rename_all = "snake_case")]
pub enum Action {
    /// The first event: the problem, the proposed routing and the limits it runs under.
    Submit {
        problem: Problem,
        lead: String,
        cooperating: Vec<String>,
        limits: AppliedLimits,
    },
    Accept,
    /// 派单 (also the reassignment of a returned problem): the responsibility list.
    Assign {
        lead: String,
        cooperating: Vec<String>,
        handler: Option<String>,
    },
    Object,
    /// `upheld`: reassign to `lead` (required) with `cooperating` (kept when absent).
    DecideObjection {
        upheld: bool,
        lead: Option<String>,
        cooperating: Option<Vec<String>>,
    },
    Return,
    Start,
    RequestInfo,
    SupplyInfo,
    Report,
    RequestExtension {
        workdays: u32,
    },
    ApproveExtension,
    RejectExtension,
    Escalate,
    OpenConsultation {
        participants: Vec<String>,
    },
    CloseConsultation {
        minutes: String,
        decisions: Vec<String>,
    },
    Answer {
        outcome: Outcome,
    },
    Confirm {
        rating: Rating,
    },
    Reopen,
    Review {
        decision: ReviewDecision,
    },
    Close,
    AutoCloseUnrated,
    Withdraw,
    /// A file attached to the problem after it was raised (the file itself is in the store;
    /// the event pins its name, type, size and SHA-256, so the audit chain covers it). The
    /// state does not change. Not in [`ALL_ACTIONS`]: it is taken by uploading a file, never
    /// as a command of `act`.
    Attach {
        file_name: String,
        content_type: String,
        size: u64,
        sha256: String,
    },
}

/// The name of an action, as stored in the event log's `action` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Submit,
    Accept,
    Assign,
    Object,
    DecideObjection,
    Return,
    Start,
    RequestInfo,
    SupplyInfo,
    Report,
    RequestExtension,
    ApproveExtension,
    RejectExtension,
    Escalate,
    OpenConsultation,
    CloseConsultation,
    Answer,
    Confirm,
    Reopen,
    Review,
    Close,
    AutoCloseUnrated,
    Withdraw,
    Attach,
}

/// The actions taken as commands (`act`). [`ActionKind::Attach`] is left out: a file upload
/// takes it.
pub const ALL_ACTIONS: [ActionKind; 23] = [
    ActionKind::Submit,
    ActionKind::Accept,
    ActionKind::Assign,
    ActionKind::Object,
    ActionKind::DecideObjection,
    ActionKind::Return,
    ActionKind::Start,
    ActionKind::RequestInfo,
    ActionKind::SupplyInfo,
    ActionKind::Report,
    ActionKind::RequestExtension,
    ActionKind::ApproveExtension,
    ActionKind::RejectExtension,
    ActionKind::Escalate,
    ActionKind::OpenConsultation,
    ActionKind::CloseConsultation,
    ActionKind::Answer,
    ActionKind::Confirm,
    ActionKind::Reopen,
    ActionKind::Review,
    ActionKind::Close,
    ActionKind::AutoCloseUnrated,
    ActionKind::Withdraw,
];

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Submit => "submit",
            ActionKind::Accept => "accept",
            ActionKind::Assign => "assign",
            ActionKind::Object => "object",
            ActionKind::DecideObjection => "decide_objection",
            ActionKind::Return => "return",
            ActionKind::Start => "start",
            ActionKind::RequestInfo => "request_info",
            ActionKind::SupplyInfo => "supply_info",
            ActionKind::Report => "report",
            ActionKind::RequestExtension => "request_extension",
            ActionKind::ApproveExtension => "approve_extension",
            ActionKind::RejectExtension => "reject_extension",
            ActionKind::Escalate => "escalate",
            ActionKind::OpenConsultation => "open_consultation",
            ActionKind::CloseConsultation => "close_consultation",
            ActionKind::Answer => "answer",
            ActionKind::Confirm => "confirm",
            ActionKind::Reopen => "reopen",
            ActionKind::Review => "review",
            ActionKind::Close => "close",
            ActionKind::AutoCloseUnrated => "auto_close_unrated",
            ActionKind::Withdraw => "withdraw",
            ActionKind::Attach => "attach",
        }
    }

    /// Parses an action name (`decide_objection` or `decide-objection`).
    pub fn parse(s: &str) -> Option<ActionKind> {
        let s = s.trim().replace('-', "_").to_ascii_lowercase();
        ALL_ACTIONS.into_iter().find(|a| a.as_str() == s)
    }

    /// The roles that may take this action (ownership is checked besides).
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            ActionKind::Submit => &[Enterprise, Cadre, Leader, Supervisor, Admin],
            ActionKind::Accept => &[Department, Supervisor, Admin],
            ActionKind::Assign => &[Department, Supervisor, Admin],
            ActionKind::Object | ActionKind::Return | ActionKind::Start => &[Department],
            ActionKind::RequestInfo | ActionKind::RequestExtension | ActionKind::Answer => &[Department],
            ActionKind::Report => &[Department],
            ActionKind::SupplyInfo => &[Enterprise, Cadre],
            ActionKind::DecideObjection
            | ActionKind::ApproveExtension
            | ActionKind::RejectExtension
            | ActionKind::Review => &[Supervisor],
            ActionKind::Escalate | ActionKind::OpenConsultation | ActionKind::CloseConsultation => {
                &[Leader, Supervisor]
            }
            ActionKind::Confirm => &[Enterprise],
            ActionKind::Reopen => &[Enterprise, Supervisor],
            ActionKind::Close => &[Department, Supervisor, Admin],
            ActionKind::AutoCloseUnrated => &[System, Supervisor, Admin],
            ActionKind::Withdraw => &[Enterprise, Admin],
            ActionKind::Attach => &[Enterprise, Department, Supervisor],
        }
    }

    /// Actions whose `note` is required: the reason, the answer text, the report, …
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            ActionKind::Object
                | ActionKind::DecideObjection
                | ActionKind::Return
                | ActionKind::RequestInfo
                | ActionKind::SupplyInfo
                | ActionKind::Report
                | ActionKind::RequestExtension
                | ActionKind::RejectExtension
                | ActionKind::Escalate
                | ActionKind::OpenConsultation
                | ActionKind::Answer
                | ActionKind::Reopen
                | ActionKind::Review
                | ActionKind::Withdraw
        )
    }

    /// The states this action may be taken from.
    pub fn from_states(self) -> &'static [State] {
        use State::*;
        match self {
            ActionKind::Submit => &[],
            ActionKind::Accept => &[Submitted],
            ActionKind::Assign => &[Accepted, Returned],
            ActionKind::Object | ActionKind::Return | ActionKind::Start => &[Assigned],
            ActionKind::DecideObjection => &[ObjectionPending],
            ActionKind::RequestInfo => &[InProgress],
            ActionKind::SupplyInfo => &[AwaitingInfo],
            ActionKind::Report => &[Assigned, ObjectionPending, InProgress, AwaitingInfo],
            ActionKind::RequestExtension => &[InProgress, AwaitingInfo],
            ActionKind::ApproveExtension | ActionKind::RejectExtension => &[InProgress, AwaitingInfo],
            ActionKind::Escalate => &[
                Submitted,
                Accepted,
                Assigned,
                ObjectionPending,
                Returned,
                InProgress,
                AwaitingInfo,
                UnderReview,
            ],
            ActionKind::OpenConsultation | ActionKind::CloseConsultation => {
                &[Accepted, Assigned, ObjectionPending, Returned, InProgress, AwaitingInfo, UnderReview]
            }
            ActionKind::Answer => &[InProgress],
            ActionKind::Confirm => &[Answered],
            ActionKind::Reopen => &[Confirmed, Closed],
            ActionKind::Review => &[UnderReview],
            ActionKind::Close => &[Confirmed],
            ActionKind::AutoCloseUnrated => &[Answered],
            ActionKind::Withdraw => &[
                Submitted,
                Accepted,
                Assigned,
                ObjectionPending,
                Returned,
                InProgress,
                AwaitingInfo,
                Answered,
            ],
            ActionKind::Attach => &[
                Submitted,
                Accepted,
                Assigned,
                ObjectionPending,
                Returned,
                InProgress,
                AwaitingInfo,
                Answered,
                UnderReview,
                Confirmed,
            ],
        }
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Submit { .. } => ActionKind::Submit,
            Action::Accept => ActionKind::Accept,
            Action::Assign { .. } => ActionKind::Assign,
            Action::Object => ActionKind::Object,
            Action::DecideObjection { .. } => ActionKind::DecideObjection,
            Action::Return => ActionKind::Return,
            Action::Start => ActionKind::Start,
            Action::RequestInfo => ActionKind::RequestInfo,
            Action::SupplyInfo => ActionKind::SupplyInfo,
            Action::Report => ActionKind::Report,
            Action::RequestExtension { .. } => ActionKind::RequestExtension,
            Action::ApproveExtension => ActionKind::ApproveExtension,
            Action::RejectExtension => ActionKind::RejectExtension,
            Action::Escalate => ActionKind::Escalate,
            Action::OpenConsultation { .. } => ActionKind::OpenConsultation,
            Action::CloseConsultation { .. } => ActionKind::CloseConsultation,
            Action::Answer { .. } => ActionKind::Answer,
            Action::Confirm { .. } => ActionKind::Confirm,
            Action::Reopen => ActionKind::Reopen,
            Action::Review { .. } => ActionKind::Review,
            Action::Close => ActionKind::Close,
            Action::AutoCloseUnrated => ActionKind::AutoCloseUnrated,
            Action::Withdraw => ActionKind::Withdraw,
            Action::Attach { .. } => ActionKind::Attach,
        }
    }
}

/// An action with its free text, as a user issues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub action: Action,
    pub note: Option<String>,
}

impl Command {
    pub fn new(action: Action) -> Command {
        Command { action, note: None }
    }
    pub fn with_note(action: Action, note: impl Into<String>) -> Command {
        Command { action, note: Some(note.into()) }
    }
}

/// One recorded transition. Its canonical serialisation ([`Event::canonical_json`]) is the
/// text the audit chain hashes: fields in declaration order, times as RFC 3339 in whole
/// seconds with their offset, no maps with unordered keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// 1, 2, 3, … within the problem.
    pub seq: u32,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub role: Role,
    /// The actor's department, for department staff.
    pub actor_department: Option<String>,
    /// The actor's enterprise, for enterprise users.
    pub actor_enterprise: Option<UnifiedCreditCode>,
    /// `None` only for the first event (submit).
    pub from: Option<State>,
    pub to: State,
    pub note: Option<String>,
    /// The action and its structured data: `{"action": "...", "payload": {...}}`.
    #[serde(flatten)]
    pub action: Action,
}

impl Event {
    pub fn kind(&self) -> ActionKind {
        self.action.kind()
    }

    /// The stable text that the audit chain hashes.
    pub fn canonical_json(&self) -> String {
        // Serialising plain structs and enums cannot fail; the fallback keeps this total.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The action's structured data alone (the `payload` column), `null` for bare actions.
    pub fn payload_json(&self) -> String {
        let v = serde_json::to_value(&self.action).unwrap_or_default();
        v.get("payload").map_or_else(|| "null".to_string(), |p| p.to_string())
    }

    /// Rebuilds an event from its stored columns.
    #[allow(clippy::too_many_arguments)]
    pub fn from_columns(
        seq: u32,
        at: DateTime<FixedOffset>,
        actor: &Actor,
        from: Option<State>,
        to: State,
        note: Option<String>,
        action: &str,
        payload_json: &str,
    ) -> Result<Event, HandlingError> {
        let bad = |reason: String| HandlingError::BadLog { seq, reason };
        let payload: serde_json::Value =
            serde_json::from_str(payload_json).map_err(|e| bad(format!("payload: {e}")))?;
        let mut obj = serde_json::Map::new();
        obj.insert("action".into(), serde_json::Value::String(action.to_string()));
        if !payload.is_null() {
            obj.insert("payload".into(), payload);
        }
        let action: Action = serde_json::from_value(serde_json::Value::Object(obj))
            .map_err(|e| bad(format!("action: {e}")))?;
        Ok(Event {
            seq,
            at,
            actor: actor.username.clone(),
            role: actor.role,
            actor_department: actor.department.clone(),
            actor_enterprise: actor.enterprise.clone(),
            from,
            to,
            note,
            action,
        })
    }

    /// The actor as recorded.
    pub fn actor(&self) -> Actor {
        Actor {
            username: self.actor.clone(),
            role: self.role,
            department: self.actor_department.clone(),
            enterprise: self.actor_enterprise.clone(),
        }
    }
}

/// The current assignment (责任清单 entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub department: String,
    pub at: DateTime<FixedOffset>,
    /// The last day to object to or return it.
    pub objection_by: chrono::NaiveDate,
    /// Cooperating departments report to the lead by this day.
    pub report_by: chrono::NaiveDate,
    /// Locked: handling started, or an objection was rejected.
    pub locked: bool,
}

/// How an assignment ended, for the return and objection rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentEnd {
    Kept,
    Returned,
    ObjectionUpheld,
}

/// One assignment in the problem's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentRecord {
    pub department: String,
    pub at: DateTime<FixedOffset>,
    pub objected: bool,
    pub end: AssignmentEnd,
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub round: u32,
    pub department: String,
    pub at: DateTime<FixedOffset>,
    pub outcome: Outcome,
    pub due: Due,
    pub on_time: bool,
    /// Working days from the start of the round's clock to the answer, pauses excluded.
    pub workdays: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRecord {
    pub round: u32,
    pub at: DateTime<FixedOffset>,
    pub rating: Rating,
}

/// A cooperating department's report to the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub department: String,
    pub at: DateTime<FixedOffset>,
    pub on_time: bool,
}

/// How a problem was closed (销号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureKind {
    /// The enterprise confirmed with 满意 or 基本满意.
    Confirmed,
    /// Unconfirmed for the confirmation limit: closed unrated.
    Unrated,
    /// A supervisor accepted the closure after a second 不满意.
    SupervisorReview,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub at: DateTime<FixedOffset>,
    pub kind: ClosureKind,
    /// The lead department when closed.
    pub department: String,
    /// The rating the closure stands on (`None` when unrated).
    pub rating: Option<Rating>,
    /// The last answer's outcome.
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub opened_at: DateTime<FixedOffset>,
    pub participants: Vec<String>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub decisions: Vec<String>,
}

/// The state of one problem: the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemState {
    pub problem: Problem,
    pub state: State,
    /// The last event's sequence number and time.
    pub seq: u32,
    pub last_at: DateTime<FixedOffset>,
    pub limits: AppliedLimits,
    /// 牵头 department code.
    pub lead: String,
    /// 配合 department codes.
    pub cooperating: Vec<String>,
    /// The person in charge.
    pub handler: Option<String>,
    pub accept_clock: Clock,
    pub accepted: Option<(DateTime<FixedOffset>, String, bool)>,
    pub answer_clock: Clock,
    /// Handling round: 1, then 2 for second handling (二次办理), …
    pub round: u32,
    /// Second handling is watched by a supervisor.
    pub supervised: bool,
    pub assignment: Option<Assignment>,
    pub assignments: Vec<AssignmentRecord>,
    pub reports: Vec<ReportRecord>,
    /// Working days asked for, pending a supervisor's decision.
    pub pending_extension: Option<u32>,
    /// Extensions approved in the current round.
    pub extensions_this_round: u32,
    pub extension_workdays: u32,
    pub escalations: u32,
    pub consultations: Vec<Consultation>,
    pub answers: Vec<AnswerRecord>,
    pub ratings: Vec<RatingRecord>,
    pub confirm_by: Option<chrono::NaiveDate>,
    pub closures: Vec<Closure>,
    pub reopens: u32,
    pub returns: u32,
    pub objections: u32,
    pub withdrawn_at: Option<DateTime<FixedOffset>>,
}

impl ProblemState {
    pub fn consultation_open(&self) -> bool {
        self.consultations.last().is_some_and(|c| c.closed_at.is_none())
    }
    /// The closure in force (the last one, while closed).
    pub fn closure(&self) -> Option<&Closure> {
        self.closures.last().filter(|_| self.state == State::Closed)
    }
    /// The last answer given.
    pub fn last_answer(&self) -> Option<&AnswerRecord> {
        self.answers.last()
    }
    /// The actions `actor` could try now, judged by state and role alone.
    pub fn allowed_actions(&self, role: Option<Role>) -> Vec<ActionKind> {
        ALL_ACTIONS
            .into_iter()
            .filter(|a| a.from_states().contains(&self.state))
            .filter(|a| role.is_none_or(|r| a.roles().contains(&r)))
            .collect()
    }
}

/// The result of applying a command: the event to store and the new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub event: Event,
    pub state: ProblemState,
}

fn whole_seconds(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.trunc_subsecs(0)
}

fn norm_note(note: &Option<String>) -> Option<String> {
    note.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Records a new problem: proposes its routing from the category, fixes its limits and
/// computes its first deadlines. The event is dated `received_at`, which may lie before
/// `now` (a hotline record entered late) but not after it.
pub fn submit(
    problem: Problem,
    actor: &Actor,
    now: DateTime<FixedOffset>,
    routing: &enterprise::Routing,
    limits: &crate::TimeLimits,
    cal: &WorkCalendar,
) -> Result<Transition, HandlingError> {
    problem.validate()?;
    let category = routing
        .category(&problem.category)
        .ok_or_else(|| HandlingError::UnknownCategory { category: problem.category.clone() })?;
    let mut problem = problem;
    problem.category = category.code.clone();
    problem.received_at = whole_seconds(problem.received_at);
    if problem.received_at > now {
        return Err(HandlingError::InFuture { at: problem.received_at.to_rfc3339() });
    }
    let (lead, cooperating) = crate::propose_routing(&problem.category, routing)?;
    let applied = limits.applied(&problem.category, problem.urgency);
    let cmd = Command::new(Action::Submit { problem, lead, cooperating, limits: applied });
    apply_submit(&cmd, actor, cal)
}

fn apply_submit(cmd: &Command, actor: &Actor, cal: &WorkCalendar) -> Result<Transition, HandlingError> {
    let Action::Submit { problem, lead, cooperating, limits } = &cmd.action else {
        return Err(HandlingError::BadLog { seq: 1, reason: "the first event must be a submit".into() });
    };
    check_role(ActionKind::Submit, actor)?;
    if actor.role == Role::Enterprise && actor.enterprise.as_ref() != Some(&problem.enterprise) {
        return Err(HandlingError::NotYourEnterprise { actor: actor.username.clone() });
    }
    problem.validate()?;
    let at = problem.received_at;
    let accept_clock = Clock::start(limits.accept, at, limits.yellow_percent, cal)?;
    let answer_clock = Clock::start(limits.answer, at, limits.yellow_percent, cal)?;
    let state = ProblemState {
        problem: problem.clone(),
        state: State::Submitted,
        seq: 1,
        last_at: at,
        limits: *limits,
        lead: lead.clone(),
        cooperating: cooperating.clone(),
        handler: None,
        accept_clock,
        accepted: None,
        answer_clock,
        round: 1,
        supervised: false,
        assignment: None,
        assignments: Vec::new(),
        reports: Vec::new(),
        pending_extension: None,
        extensions_this_round: 0,
        extension_workdays: 0,
        escalations: 0,
        consultations: Vec::new(),
        answers: Vec::new(),
        ratings: Vec::new(),
        confirm_by: None,
        closures: Vec::new(),
        reopens: 0,
        returns: 0,
        objections: 0,
        withdrawn_at: None,
    };
    let event = Event {
        seq: 1,
        at,
        actor: actor.username.clone(),
        role: actor.role,
        actor_department: actor.department.clone(),
        actor_enterprise: actor.enterprise.clone(),
        from: None,
        to: State::Submitted,
        note: norm_note(&cmd.note),
        action: cmd.action.clone(),
    };
    Ok(Transition { event, state })
}

fn check_role(kind: ActionKind, actor: &Actor) -> Result<(), HandlingError> {
    if kind.roles().contains(&actor.role) {
        Ok(())
    } else {
        Err(HandlingError::RoleNotAllowed { role: actor.role, action: kind })
    }
}

fn require_lead(s: &ProblemState, actor: &Actor) -> Result<(), HandlingError> {
    if actor.role == Role::Department && actor.department.as_deref() != Some(s.lead.as_str()) {
        return Err(HandlingError::NotLeadDepartment {
            department: actor.department.clone().unwrap_or_default(),
            lead: s.lead.clone(),
        });
    }
    Ok(())
}

/// Whom a file may come from: the enterprise for its own problems, a department for those it
/// leads or cooperates on, a supervisor for any (the state and role are checked by [`apply`]).
fn attach_allowed_for(s: &ProblemState, actor: &Actor) -> Result<(), HandlingError> {
    require_own_enterprise(s, actor)?;
    if actor.role == Role::Department {
        let d = actor.department.clone().unwrap_or_default();
        if d != s.lead && !s.cooperating.contains(&d) {
            return Err(HandlingError::NotCooperating { department: d });
        }
    }
    Ok(())
}

/// Whether `actor` may add a file to the problem now: the [`Action::Attach`] rule of
/// [`apply`] (state, role and ownership), for pages and authorisation to ask before an upload.
pub fn may_attach(s: &ProblemState, actor: &Actor) -> bool {
    let kind = ActionKind::Attach;
    kind.from_states().contains(&s.state)
        && kind.roles().contains(&actor.role)
        && attach_allowed_for(s, actor).is_ok()
}

fn require_own_enterprise(s: &ProblemState, actor: &Actor) -> Result<(), HandlingError> {
    if actor.role == Role::Enterprise && actor.enterprise.as_ref() != Some(&s.problem.enterprise) {
        return Err(HandlingError::NotYourEnterprise { actor: actor.username.clone() });
    }
    Ok(())
}

fn check_departments_shape(lead: &str, cooperating: &[String]) -> Result<(), HandlingError> {
    if lead.trim().is_empty() {
        return Err(HandlingError::BadValue {
            field: "lead",
            value: String::new(),
            expected: "a department code",
        });
    }
    if cooperating.iter().any(|c| c == lead) {
        return Err(HandlingError::LeadAlsoCooperating { department: lead.to_string() });
    }
    Ok(())
}

/// Applies one command to a problem. Checks, in order: the event time (not before the last
/// event), the state, the role, ownership, the required note, then the action's own rules.
pub fn apply(
    s: &ProblemState,
    cmd: &Command,
    actor: &Actor,
    now: DateTime<FixedOffset>,
    cal: &WorkCalendar,
) -> Result<Transition, HandlingError> {
    let kind = cmd.action.kind();
    let now = whole_seconds(now);
    if kind == ActionKind::Submit {
        return Err(HandlingError::Illegal {
            state: s.state,
            action: kind,
            allowed: s.allowed_actions(None),
        });
    }
    if now < s.last_at {
        return Err(HandlingError::BeforeLastEvent { at: now.to_rfc3339(), last: s.last_at.to_rfc3339() });
    }
    if !kind.from_states().contains(&s.state) {
        return Err(HandlingError::Illegal {
            state: s.state,
            action: kind,
            allowed: s.allowed_actions(None),
        });
    }
    check_role(kind, actor)?;
    let note = norm_note(&cmd.note);
    if kind.needs_note() && note.is_none() {
        return Err(HandlingError::NoteRequired { action: kind });
    }
    let mut n = s.clone();
    let yp = s.limits.yellow_percent;
    let today = china_date(now);
    let to: State = match &cmd.action {
        Action::Submit { .. } => {
            return Err(HandlingError::Illegal {
                state: s.state,
                action: kind,
                allowed: s.allowed_actions(None),
            });
        }
        Action::Accept => {
            require_lead(s, actor)?;
            let on_time = !s.accept_clock.due.is_overdue(now);
            n.accepted = Some((now, s.lead.clone(), on_time));
            State::Accepted
        }
        Action::Assign { lead, cooperating, handler } => {
            check_departments_shape(lead, cooperating)?;
            if s.state == State::Returned && actor.role == Role::Department {
                return Err(HandlingError::RoleNotAllowed { role: actor.role, action: kind });
            }
            if actor.role == Role::Department {
                // 首接负责: the department that accepted keeps the lead; only the working group
                // moves it elsewhere.
                require_lead(s, actor)?;
                if lead != &s.lead {
                    return Err(HandlingError::FirstReceiverOwns { department: s.lead.clone() });
                }
            }
            n.lead = lead.clone();
            n.cooperating = cooperating.clone();
            n.handler = handler.clone().filter(|h| !h.trim().is_empty());
            new_assignment(&mut n, now, cal)?;
            State::Assigned
        }
        Action::Object | Action::Return => {
            require_lead(s, actor)?;
            let a = s.assignment.as_ref().ok_or(HandlingError::Locked { department: s.lead.clone() })?;
            if a.locked {
                return Err(HandlingError::Locked { department: s.lead.clone() });
            }
            if today > a.objection_by {
                return Err(HandlingError::ObjectionWindowClosed {
                    last_day: a.objection_by.format("%Y-%m-%d").to_string(),
                });
            }
            if let Some(r) = n.assignments.last_mut() {
                if kind == ActionKind::Return {
                    r.end = AssignmentEnd::Returned;
                } else {
                    r.objected = true;
                }
            }
            if kind == ActionKind::Return {
                n.returns += 1;
                n.assignment = None;
                State::Returned
            } else {
                n.objections += 1;
                State::ObjectionPending
            }
        }
        Action::DecideObjection { upheld, lead, cooperating } => {
            if *upheld {
                let Some(lead) = lead.clone().filter(|l| !l.trim().is_empty()) else {
                    return Err(HandlingError::BadValue {
                        field: "lead",
                        value: String::new(),
                        expected: "the department to reassign to",
                    });
                };
                if lead == s.lead {
                    return Err(HandlingError::SameLead { department: lead });
                }
                let coop: Vec<String> = cooperating
                    .clone()
                    .unwrap_or_else(|| s.cooperating.iter().filter(|c| **c != lead).cloned().collect());
                check_departments_shape(&lead, &coop)?;
                if let Some(r) = n.assignments.last_mut() {
                    r.end = AssignmentEnd::ObjectionUpheld;
                }
                n.lead = lead;
                n.cooperating = coop;
                n.handler = None;
                new_assignment(&mut n, now, cal)?;
            } else if let Some(a) = n.assignment.as_mut() {
                a.locked = true;
            }
            State::Assigned
        }
        Action::Start => {
            require_lead(s, actor)?;
            if let Some(a) = n.assignment.as_mut() {
                a.locked = true;
            }
            State::InProgress
        }
        Action::RequestInfo => {
            require_lead(s, actor)?;
            if s.answer_clock.due.is_overdue(now) {
                return Err(HandlingError::AlreadyOverdue { due: s.answer_clock.due.to_string() });
            }
            n.answer_clock.pause(now);
            State::AwaitingInfo
        }
        Action::SupplyInfo => {
            require_own_enterprise(s, actor)?;
            n.answer_clock.resume(now, yp, cal)?;
            State::InProgress
        }
        Action::Report => {
            let dept = actor.department.clone().unwrap_or_default();
            if !s.cooperating.contains(&dept) {
                return Err(HandlingError::NotCooperating { department: dept });
            }
            let on_time = s.assignment.as_ref().is_none_or(|a| today <= a.report_by);
            n.reports.push(ReportRecord { department: dept, at: now, on_time });
            s.state
        }
        Action::RequestExtension { workdays } => {
            require_lead(s, actor)?;
            if *workdays == 0 || *workdays > 30 {
                return Err(HandlingError::BadValue {
                    field: "workdays",
                    value: workdays.to_string(),
                    expected: "1..=30 working days",
                });
            }
            if s.pending_extension.is_some() {
                return Err(HandlingError::ExtensionPending);
            }
            if s.extensions_this_round >= s.limits.max_extensions_per_round {
                return Err(HandlingError::ExtensionLimit { max: s.limits.max_extensions_per_round });
            }
            if s.answer_clock.due.is_overdue(now) {
                return Err(HandlingError::AlreadyOverdue { due: s.answer_clock.due.to_string() });
            }
            n.pending_extension = Some(*workdays);
            s.state
        }
        Action::ApproveExtension | Action::RejectExtension => {
            let Some(w) = s.pending_extension else { return Err(HandlingError::NoExtensionPending) };
            n.pending_extension = None;
            if kind == ActionKind::ApproveExtension {
                n.answer_clock.extend(w, yp, cal)?;
                n.extensions_this_round += 1;
                n.extension_workdays += w;
            }
            s.state
        }
        Action::Escalate => {
            n.escalations += 1;
            s.state
        }
        Action::OpenConsultation { participants } => {
            if s.consultation_open() {
                return Err(HandlingError::ConsultationOpen);
            }
            n.consultations.push(Consultation {
                opened_at: now,
                participants: participants.clone(),
                closed_at: None,
                decisions: Vec::new(),
            });
            s.state
        }
        Action::CloseConsultation { minutes, decisions } => {
            if !s.consultation_open() {
                return Err(HandlingError::NoConsultationOpen);
            }
            if minutes.trim().is_empty() {
                return Err(HandlingError::BadValue {
                    field: "minutes",
                    value: String::new(),
                    expected: "the consultation's minutes (会商纪要)",
                });
            }
            if let Some(c) = n.consultations.last_mut() {
                c.closed_at = Some(now);
                c.decisions = decisions.clone();
            }
            s.state
        }
        Action::Answer { outcome } => {
            require_lead(s, actor)?;
            if s.consultation_open() {
                return Err(HandlingError::ConsultationOpen);
            }
            if let Outcome::Referred { to } = outcome
                && to.trim().is_empty()
            {
                return Err(HandlingError::BadValue {
                    field: "referred_to",
                    value: String::new(),
                    expected: "the body the problem is referred to",
                });
            }
            let c = &s.answer_clock;
            let taken = cal.workdays_between(china_date(c.start), today)?.max(0);
            let paused = if matches!(c.due, Due::Date(_)) { c.paused } else { 0 };
            n.answers.push(AnswerRecord {
                round: s.round,
                department: s.lead.clone(),
                at: now,
                outcome: outcome.clone(),
                due: c.due,
                on_time: !c.due.is_overdue(now),
                workdays: (taken - paused).max(0),
            });
            n.pending_extension = None;
            n.confirm_by = Some(cal.add_workdays(today, s.limits.confirm_workdays)?);
            State::Answered
        }
        Action::Confirm { rating } => {
            require_own_enterprise(s, actor)?;
            n.ratings.push(RatingRecord { round: s.round, at: now, rating: *rating });
            if rating.is_satisfied() {
                State::Confirmed
            } else if s.reopens == 0 {
                // 不满意 the first time: second handling (二次办理) under a supervisor's eye.
                new_round(&mut n, now, cal)?;
                n.supervised = true;
                State::InProgress
            } else {
                State::UnderReview
            }
        }
        Action::Reopen => {
            require_own_enterprise(s, actor)?;
            new_round(&mut n, now, cal)?;
            n.supervised = true;
            State::InProgress
        }
        Action::Review { decision } => match decision {
            ReviewDecision::Close => {
                close(&mut n, now, ClosureKind::SupervisorReview);
                State::Closed
            }
            ReviewDecision::Redo => {
                new_round(&mut n, now, cal)?;
                State::InProgress
            }
        },
        Action::Close => {
            require_lead(s, actor)?;
            close(&mut n, now, ClosureKind::Confirmed);
            State::Closed
        }
        Action::AutoCloseUnrated => {
            let Some(by) = s.confirm_by else {
                return Err(HandlingError::NotYetUnconfirmed { confirm_by: "-".into() });
            };
            if today <= by {
                return Err(HandlingError::NotYetUnconfirmed {
                    confirm_by: by.format("%Y-%m-%d").to_string(),
                });
            }
            close(&mut n, now, ClosureKind::Unrated);
            State::Closed
        }
        Action::Withdraw => {
            require_own_enterprise(s, actor)?;
            // Withdrawn while waiting for information: the pause ends with it.
            n.answer_clock.resume(now, yp, cal)?;
            n.withdrawn_at = Some(now);
            n.pending_extension = None;
            State::Withdrawn
        }
        Action::Attach { .. } => {
            attach_allowed_for(s, actor)?;
            s.state
        }
    };
    n.state = to;
    n.seq = s.seq + 1;
    n.last_at = now;
    let event = Event {
        seq: n.seq,
        at: now,
        actor: actor.username.clone(),
        role: actor.role,
        actor_department: actor.department.clone(),
        actor_enterprise: actor.enterprise.clone(),
        from: Some(s.state),
        to,
        note,
        action: cmd.action.clone(),
    };
    Ok(Transition { event, state: n })
}

fn new_assignment(
    n: &mut ProblemState,
    now: DateTime<FixedOffset>,
    cal: &WorkCalendar,
) -> Result<(), HandlingError> {
    let d = china_date(now);
    n.assignment = Some(Assignment {
        department: n.lead.clone(),
        at: now,
        objection_by: cal.add_workdays(d, n.limits.objection_workdays)?,
        report_by: cal.add_workdays(d, n.limits.report_workdays)?,
        locked: false,
    });
    n.assignments.push(AssignmentRecord {
        department: n.lead.clone(),
        at: now,
        objected: false,
        end: AssignmentEnd::Kept,
    });
    Ok(())
}

fn new_round(
    n: &mut ProblemState,
    now: DateTime<FixedOffset>,
    cal: &WorkCalendar,
) -> Result<(), HandlingError> {
    n.round += 1;
    n.reopens += 1;
    n.extensions_this_round = 0;
    n.pending_extension = None;
    n.confirm_by = None;
    n.answer_clock = Clock::start(n.limits.answer, now, n.limits.yellow_percent, cal)?;
    if let Some(a) = n.assignment.as_mut() {
        a.locked = true;
    }
    Ok(())
}

fn close(n: &mut ProblemState, now: DateTime<FixedOffset>, kind: ClosureKind) {
    let rating = match kind {
        ClosureKind::Unrated => None,
        _ => n.ratings.last().map(|r| r.rating),
    };
    n.closures.push(Closure {
        at: now,
        kind,
        department: n.lead.clone(),
        rating,
        outcome: n.answers.last().map(|a| a.outcome.clone()),
    });
    n.pending_extension = None;
}

/// Rebuilds a problem's state from its event log, re-checking every event: the sequence
/// numbers run 1, 2, 3, …; the first is a submit; each event is legal for its recorded actor
/// at its recorded time, and leads to the state it records.
pub fn replay(events: &[Event], cal: &WorkCalendar) -> Result<ProblemState, HandlingError> {
    let mut steps = Replayer::new(cal);
    for e in events {
        steps.push(e)?;
    }
    steps.state.ok_or(HandlingError::BadLog { seq: 0, reason: "the log is empty".into() })
}

/// Replays a log one event at a time, exposing the state after each (the KPIs walk logs so).
pub struct Replayer<'a> {
    cal: &'a WorkCalendar,
    pub state: Option<ProblemState>,
}

impl<'a> Replayer<'a> {
    pub fn new(cal: &'a WorkCalendar) -> Self {
        Replayer { cal, state: None }
    }

    /// Applies the next stored event.
    pub fn push(&mut self, e: &Event) -> Result<&ProblemState, HandlingError> {
        let bad = |reason: String| HandlingError::BadLog { seq: e.seq, reason };
        let cmd = Command { action: e.action.clone(), note: e.note.clone() };
        let t = match &self.state {
            None => {
                if e.seq != 1 || e.from.is_some() {
                    return Err(bad("the first event must be seq 1 with no previous state".into()));
                }
                apply_submit(&cmd, &e.actor(), self.cal)?
            }
            Some(s) => {
                if e.seq != s.seq + 1 {
                    return Err(bad(format!("expected seq {}", s.seq + 1)));
                }
                if e.from != Some(s.state) {
                    return Err(bad(format!("recorded from-state differs from {}", s.state.as_str())));
                }
                apply(s, &cmd, &e.actor(), e.at, self.cal)?
            }
        };
        if t.event != *e {
            return Err(bad("the event does not match what its action produces".into()));
        }
        self.state = Some(t.state);
        self.state.as_ref().ok_or_else(|| bad("unreachable".into()))
    }
}
