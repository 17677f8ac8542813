//! A problem's lifecycle states ([`State`]) and its state ([`ProblemState`]): the fold of its
//! events, with the records the lists and KPIs read (assignments, answers, ratings, reports,
//! closures, consultations).
//!
//! What counts as an *open* problem is defined here once ([`State::is_open`],
//! [`State::OPEN`]): the store's SQL, the KPIs, the reports and the queues all use it.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::action::{ALL_ACTIONS, ActionKind, Outcome, Rating};
use crate::actor::Role;
use crate::deadline::{Clock, Due};
use crate::{AppliedLimits, Problem};

/// The lifecycle states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
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
        self.into()
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

    /// **The** definition of an open problem (未办结): every state but the final ones, closed
    /// (销号) and withdrawn. An answered or confirmed problem is still open: it waits for the
    /// enterprise's confirmation or the department's closure. The queues, the KPIs' lights,
    /// the supervision report's red and yellow lists and the store's SQL (through
    /// [`State::OPEN`]) all ask this.
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }

    /// The open states ([`State::is_open`]), in lifecycle order: what SQL filters list.
    pub const OPEN: [State; 10] = [
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
    ];

    /// Parses a state name as stored (`in_progress`).
    pub fn parse(s: &str) -> Option<State> {
        s.trim().parse().ok()
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
    /// The enterprise's own answer whether its problem was solved (`None`: not asked, as in
    /// confirmations recorded before it was).
    #[serde(default)]
    pub solved: Option<bool>,
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
    /// Not confirmed by the enterprise within the confirmation limit (5 working days): closed
    /// without confirmation (逾期未确认办结), counted apart from confirmed closures; a
    /// supervisor samples them ([`crate::Action::SpotCheck`]) and may reopen. Stored as
    /// `unrated`, its name since before the issue that renamed it.
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
    /// The enterprise's own answer the closure stands on (its confirmation of this round);
    /// `None` when it gave none.
    #[serde(default)]
    pub solved: Option<bool>,
}

/// 督办 as a case: who pressed, the reply due, and the lead department's reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationCase {
    /// 1, 2, … on the problem.
    pub no: u32,
    pub opened_at: DateTime<FixedOffset>,
    pub by: String,
    pub reply_workdays: u32,
    /// The reply is due by the end of this day.
    pub reply_by: chrono::NaiveDate,
    /// The case's own light turns yellow on this day.
    pub yellow_from: chrono::NaiveDate,
    pub replied_at: Option<DateTime<FixedOffset>>,
    pub replied_by: Option<String>,
}

impl EscalationCase {
    pub fn is_open(&self) -> bool {
        self.replied_at.is_none()
    }
    /// Replied by the end of the due day.
    pub fn replied_on_time(&self) -> Option<bool> {
        self.replied_at.map(|t| crate::china_date(t) <= self.reply_by)
    }
}

/// A consultation's decision, tracked like a problem of its own: owner, deadline, done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// 1, 2, … on the problem.
    pub no: u32,
    pub text: String,
    /// The owning department (code).
    pub owner: String,
    pub decided_at: DateTime<FixedOffset>,
    pub due: chrono::NaiveDate,
    /// Its own light turns yellow on this day.
    pub yellow_from: chrono::NaiveDate,
    pub done_at: Option<DateTime<FixedOffset>>,
}

impl DecisionRecord {
    pub fn is_open(&self) -> bool {
        self.done_at.is_none()
    }
    pub fn done_on_time(&self) -> Option<bool> {
        self.done_at.map(|t| crate::china_date(t) <= self.due)
    }
}

/// A supervisor's spot check of a closed problem: the enterprise's answer, asked again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheckRecord {
    pub at: DateTime<FixedOffset>,
    pub by: String,
    pub solved: bool,
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
    /// 督办 cases (escalations recorded before cases were counted in `escalations` only).
    #[serde(default)]
    pub escalation_cases: Vec<EscalationCase>,
    /// The consultations' decisions, numbered across the problem.
    #[serde(default)]
    pub decisions: Vec<DecisionRecord>,
    #[serde(default)]
    pub spot_checks: Vec<SpotCheckRecord>,
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
    /// The oldest open escalation case, if any (the earliest reply due).
    pub fn open_escalation(&self) -> Option<&EscalationCase> {
        self.escalation_cases.iter().filter(|c| c.is_open()).min_by_key(|c| c.reply_by)
    }
    /// The enterprise's own answer whether the closed problem was solved: a supervisor's spot
    /// check after the closure, else what the enterprise said when it confirmed. `None` while
    /// not closed, or when the enterprise never said (closed without confirmation and not
    /// checked, or confirmed before it was asked). 解决率 counts `Some(true)` alone.
    pub fn enterprise_says_solved(&self) -> Option<bool> {
        let c = self.closure()?;
        self.spot_checks.iter().rev().find(|k| k.at >= c.at).map(|k| k.solved).or(c.solved)
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
