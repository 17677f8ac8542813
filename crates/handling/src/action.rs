//! What can be done to a problem: [`Action`] (the command with its structured data),
//! [`ActionKind`] (its name as stored), [`Command`] (an action with its free text), and the
//! values actions carry ([`Rating`], [`Outcome`], [`ExplainReason`], [`ReviewDecision`]).
//!
//! The words people type for them (`decide-objection`, `满意`, `not-eligible`, `销号`, …) are
//! read here, once, by the `parse` functions: the CLI and the web both go through them.

use serde::{Deserialize, Serialize};

use crate::actor::Role;
use crate::state::State;
use crate::{AppliedLimits, HandlingError, Problem};

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

/// The enterprise's own answer at the return visit (回访): was its problem solved? Read from
/// `yes`/`no`, `solved`/`not_solved`, `已解决`/`未解决`, `是`/`否`, `true`/`false`.
pub fn parse_solved(s: &str) -> Result<bool, HandlingError> {
    match s.trim().replace('-', "_").to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "solved" | "已解决" | "解决" | "是" => Ok(true),
        "no" | "n" | "false" | "not_solved" | "unsolved" | "未解决" | "没解决" | "否" => Ok(false),
        _ => Err(HandlingError::BadValue {
            field: "solved",
            value: s.to_string(),
            expected: "yes (已解决) | no (未解决)",
        }),
    }
}

/// One decision of a consultation (会商决定事项): an action with an owner and a deadline,
/// tracked until its owner reports it done ([`Action::CompleteDecision`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionAction {
    pub text: String,
    /// The department that owns it (code).
    pub owner: String,
    /// Due by the end of this day (a date the meeting fixed).
    pub due: chrono::NaiveDate,
}

/// A deadline that moved when the calendar changed ([`Action::RecomputeDeadlines`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DeadlineName {
    AcceptBy,
    AnswerBy,
    ObjectionBy,
    ReportBy,
    ConfirmBy,
    /// The reply to an open escalation (督办).
    EscalationReplyBy,
}

impl DeadlineName {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineName::AcceptBy => "受理期限",
            DeadlineName::AnswerBy => "答复期限",
            DeadlineName::ObjectionBy => "异议期限",
            DeadlineName::ReportBy => "配合意见期限",
            DeadlineName::ConfirmBy => "确认期限",
            DeadlineName::EscalationReplyBy => "督办回复期限",
        }
    }
}

/// One deadline as it was and as it is on the new calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineChange {
    pub deadline: DeadlineName,
    pub from: crate::Due,
    pub to: crate::Due,
}

/// Why an answer explains rather than resolves (已解释).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
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

impl ExplainReason {
    pub const ALL: [ExplainReason; 6] = [
        ExplainReason::NotEligible,
        ExplainReason::LegalConstraint,
        ExplainReason::BeyondAuthority,
        ExplainReason::NeedsLongerTerm,
        ExplainReason::EnterpriseCause,
        ExplainReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ExplainReason::NotEligible => "不符合政策条件",
            ExplainReason::LegalConstraint => "法律法规限制",
            ExplainReason::BeyondAuthority => "超出本级权限",
            ExplainReason::NeedsLongerTerm => "需长期推进",
            ExplainReason::EnterpriseCause => "企业自身原因",
            ExplainReason::Other => "其他",
        }
    }

    /// Parses `not_eligible`, `not-eligible` or the Chinese label (`不符合政策条件`).
    pub fn parse(s: &str) -> Result<ExplainReason, HandlingError> {
        let t = s.trim().replace('-', "_").to_ascii_lowercase();
        ExplainReason::ALL.into_iter().find(|r| r.as_str() == t || r.label_zh() == t).ok_or_else(|| {
            HandlingError::BadValue {
                field: "reason",
                value: s.to_string(),
                expected: "not_eligible | legal_constraint | beyond_authority | needs_longer_term | \
                           enterprise_cause | other",
            }
        })
    }
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

impl Outcome {
    /// The outcome's name (`resolved`, `explained`, `referred`), as lists show it.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Explained { .. } => "explained",
            Outcome::Referred { .. } => "referred",
        }
    }

    /// The outcome named by `word` (`resolved`/`已解决`, `explained`/`已解释`,
    /// `referred`/`已转办`/`转办`), with its reason (explained: default `other`) or the body it
    /// is referred to (referred: required).
    pub fn parse(word: &str, reason: Option<&str>, to: Option<&str>) -> Result<Outcome, HandlingError> {
        match word.trim().to_ascii_lowercase().as_str() {
            "resolved" | "已解决" | "解决" => Ok(Outcome::Resolved),
            "explained" | "已解释" | "解释" => {
                let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
                    Some(r) => ExplainReason::parse(r)?,
                    None => ExplainReason::Other,
                };
                Ok(Outcome::Explained { reason })
            }
            "referred" | "已转办" | "转办" => match to.map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => Ok(Outcome::Referred { to: t.to_string() }),
                None => Err(HandlingError::BadValue {
                    field: "to",
                    value: String::new(),
                    expected: "the body the problem is referred to",
                }),
            },
            _ => Err(HandlingError::BadValue {
                field: "outcome",
                value: word.to_string(),
                expected: "resolved (已解决) | explained (已解释) | referred (已转办)",
            }),
        }
    }
}

/// A supervisor's review (审定) after a second 不满意.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Accept the closure: the answer stands; closed with the 不满意 rating.
    Close,
    /// Order another round of handling.
    Redo,
}

impl ReviewDecision {
    /// Parses `close`/`销号` or `redo`/`重办`.
    pub fn parse(s: &str) -> Result<ReviewDecision, HandlingError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "close" | "销号" => Ok(ReviewDecision::Close),
            "redo" | "重办" => Ok(ReviewDecision::Redo),
            _ => Err(HandlingError::BadValue {
                field: "decision",
                value: s.to_string(),
                expected: "close (销号) | redo (重办)",
            }),
        }
    }
}

/// A supervisor's decision on an objection (异议): `upheld`/`uphold`/`成立`/`同意`/`true` is
/// upheld (reassign), `rejected`/`reject`/`不成立`/`驳回`/`false` is rejected (the assignment is
/// locked).
pub fn parse_objection_decision(s: &str) -> Result<bool, HandlingError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "upheld" | "uphold" | "成立" | "同意" | "true" => Ok(true),
        "rejected" | "reject" | "不成立" | "驳回" | "false" => Ok(false),
        _ => Err(HandlingError::BadValue {
            field: "decision",
            value: s.to_string(),
            expected: "upheld (成立) | rejected (驳回)",
        }),
    }
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
    /// 督办 as a counter, as recorded before escalations were cases: old logs replay; new
    /// escalations are [`Action::EscalateCase`].
    Escalate,
    OpenConsultation {
        participants: Vec<String>,
    },
    /// The minutes and the decisions. `decisions` holds the texts of decisions recorded
    /// before they had owners (old logs); new ones are `actions`, each tracked.
    CloseConsultation {
        minutes: String,
        decisions: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        actions: Vec<DecisionAction>,
    },
    Answer {
        outcome: Outcome,
    },
    /// The enterprise's confirmation at the return visit (回访): its rating and its own answer
    /// whether the problem was solved (absent in confirmations recorded before it was asked).
    Confirm {
        rating: Rating,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        solved: Option<bool>,
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
    /// 督办 as a case: the lead department must reply (a note) within `reply_workdays`. Several
    /// may be open (a leader and a supervisor may both press); one reply answers them all.
    EscalateCase {
        reply_workdays: u32,
    },
    /// The lead department's reply to the open escalation.
    ReplyEscalation,
    /// The owner of a consultation's decision reports it done; `decision` is its number on
    /// the problem (1, 2, …).
    CompleteDecision {
        decision: u32,
    },
    /// A supervisor's spot check (抽查回访) of a closed problem: the enterprise's own answer,
    /// asked again, whether it was solved.
    SpotCheck {
        solved: bool,
    },
    /// The deadlines moved to the calendar now in force (a year's notice was loaded). Not a
    /// command of `act`: the calendar's load takes it, as the system.
    RecomputeDeadlines {
        year: i32,
        notice: String,
        changes: Vec<DeadlineChange>,
    },
}

/// The name of an action, as stored in the event log's `action` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
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
    EscalateCase,
    ReplyEscalation,
    CompleteDecision,
    SpotCheck,
    RecomputeDeadlines,
}

/// The actions taken as commands (`act`). Left out: [`ActionKind::Attach`] (a file upload
/// takes it), [`ActionKind::RecomputeDeadlines`] (a calendar load takes it) and the old
/// [`ActionKind::Escalate`] (escalations are cases now: [`ActionKind::EscalateCase`]).
pub const ALL_ACTIONS: [ActionKind; 26] = [
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
    ActionKind::EscalateCase,
    ActionKind::ReplyEscalation,
    ActionKind::OpenConsultation,
    ActionKind::CloseConsultation,
    ActionKind::Answer,
    ActionKind::Confirm,
    ActionKind::Reopen,
    ActionKind::Review,
    ActionKind::Close,
    ActionKind::AutoCloseUnrated,
    ActionKind::Withdraw,
    ActionKind::CompleteDecision,
    ActionKind::SpotCheck,
];

/// The actions recorded but never offered as commands.
pub const NOT_COMMANDS: [ActionKind; 3] =
    [ActionKind::Attach, ActionKind::RecomputeDeadlines, ActionKind::Escalate];

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The word a front end offers for this command (the API's `allowed_actions`): the stored
    /// name, except that a 督办 case is offered as `escalate`, the word it always had (and
    /// which [`ActionKind::parse`] reads back as [`ActionKind::EscalateCase`]).
    pub fn word(self) -> &'static str {
        match self {
            ActionKind::EscalateCase => "escalate",
            k => k.as_str(),
        }
    }

    /// The kind of a stored event by its exact name (`escalate` is the old counter, not a
    /// case), every kind included; `None` for an unknown name.
    pub fn from_stored(s: &str) -> Option<ActionKind> {
        s.parse().ok()
    }

    /// Parses an action name: `decide_objection`, `decide-objection` or its Chinese name
    /// (`裁定异议`, as the pages show it). [`ActionKind::Attach`] is not a command: `None`.
    pub fn parse(s: &str) -> Option<ActionKind> {
        let t = s.trim().replace('-', "_").to_ascii_lowercase();
        // 督办 is a case now: the word people always typed opens one.
        if t == "escalate" || t == "督办" {
            return Some(ActionKind::EscalateCase);
        }
        ALL_ACTIONS
            .into_iter()
            .find(|a| a.as_str() == t)
            .or_else(|| ALL_ACTIONS.into_iter().find(|a| crate::action_name(*a, i18n::Lang::Zh) == t))
    }

    /// The roles that may take this action (ownership is checked besides).
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            ActionKind::Submit => &[Enterprise, Cadre, Leader, Supervisor, Admin, System],
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
            ActionKind::Escalate
            | ActionKind::EscalateCase
            | ActionKind::OpenConsultation
            | ActionKind::CloseConsultation => &[Leader, Supervisor],
            ActionKind::ReplyEscalation | ActionKind::CompleteDecision => &[Department],
            ActionKind::SpotCheck => &[Supervisor],
            ActionKind::RecomputeDeadlines => &[System, Admin],
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
                | ActionKind::EscalateCase
                | ActionKind::ReplyEscalation
                | ActionKind::CompleteDecision
                | ActionKind::SpotCheck
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
            ActionKind::Escalate | ActionKind::EscalateCase => &[
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
            ActionKind::Attach | ActionKind::ReplyEscalation | ActionKind::RecomputeDeadlines => &State::OPEN,
            // A decision is tracked like a problem of its own: its owner reports it done
            // whatever became of the problem, unless it was withdrawn.
            ActionKind::CompleteDecision => &[
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
                Closed,
            ],
            ActionKind::SpotCheck => &[Closed],
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
            Action::EscalateCase { .. } => ActionKind::EscalateCase,
            Action::ReplyEscalation => ActionKind::ReplyEscalation,
            Action::CompleteDecision { .. } => ActionKind::CompleteDecision,
            Action::SpotCheck { .. } => ActionKind::SpotCheck,
            Action::RecomputeDeadlines { .. } => ActionKind::RecomputeDeadlines,
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
