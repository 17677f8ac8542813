//! The three lists (三个清单): problems (问题清单), responsibilities (责任清单) and closures
//! (销号清单), as a pure domain.
//!
//! - [`Problem`]: what an enterprise raised, from which channel, in which category.
//! - [`submit`], [`apply`] and [`replay`] ([`machine`]): the state machine over [`State`]s
//!   ([`state`]), driven by [`Command`]s ([`action`]) from an [`Actor`] with a [`Role`]
//!   ([`actor`]); each transition is an [`Event`] ([`event`]), and a problem's state is the
//!   fold of its events. [`applicable_actions`] lists what an actor may do now;
//!   [`State::is_open`] is the one definition of an open problem.
//! - [`TimeLimits`]: editable limits (`data/time_limits.toml`), snapshotted per problem;
//!   [`deadlines`] and [`warning`] read a state and "now"; [`warning_times`] gives the
//!   instants the light turns, for the store to keep.
//! - [`propose_routing`]: lead (牵头) and cooperating (配合) departments from the category.
//! - [`visit`]: cadres' visits (走访) and coverage.
//!
//! Deliberately absent: I/O, the clock ("now" is passed in, a `DateTime<FixedOffset>` in
//! China time), the store and ids. Department codes in new commands are checked against the
//! routing table by [`check_departments`], not by the machine, so old logs replay after the
//! table is edited.

use chrono::{DateTime, FixedOffset, NaiveDate};
use i18n::{Catalog, Lang, Localized, Message};
use std::sync::OnceLock;

pub mod action;
pub mod actor;
pub mod deadline;
pub mod event;
pub mod limits;
pub mod machine;
pub mod problem;
pub mod state;
pub mod visit;

pub use action::{parse_objection_decision, parse_solved};
pub use deadline::{
    Allowance, Clock, Deadlines, Due, Warning, WarningTimes, china_day_start, china_seconds, dated_warning,
    dated_warning_times, deadlines, recompute, warning, warning_times, yellow_day,
};
pub use limits::{AppliedLimits, ByUrgency, Limit, TimeLimits};
pub use machine::{
    ALL_ACTIONS, ALL_STATES, Action, ActionKind, Actor, AnswerRecord, Assignment, AssignmentEnd,
    AssignmentRecord, Closure, ClosureKind, Command, Consultation, DeadlineChange, DeadlineName,
    DecisionAction, DecisionRecord, EscalationCase, Event, ExplainReason, NOT_COMMANDS, Outcome,
    ProblemState, Rating, RatingRecord, Replayer, ReportRecord, ReviewDecision, Role, SpotCheckRecord, State,
    Transition, applicable_actions, apply, may_attach, replay, submit,
};
pub use problem::{Channel, MAX_TITLE_CHARS, Problem, Urgency};
pub use visit::{CadreCoverage, Uncovered, Visit, coverage};

/// China Standard Time, +08:00 (no daylight saving since 1991).
pub fn china() -> FixedOffset {
    // 8 hours is within the allowed range; the fallback is never taken.
    FixedOffset::east_opt(8 * 3600).unwrap_or(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
}

/// The civil date of a moment in China time.
pub fn china_date(t: DateTime<FixedOffset>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// Errors of the three lists. All are the user's to fix, except [`HandlingError::BadLog`]
/// (a stored log that does not replay: tampering or a bug).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum HandlingError {
    #[error("a problem that is {} cannot be given the action {}", state.as_str(), action.as_str())]
    Illegal { state: State, action: ActionKind, allowed: Vec<ActionKind> },
    #[error("role {} may not {}", role.as_str(), action.as_str())]
    RoleNotAllowed { role: Role, action: ActionKind },
    #[error("department {department} is not the lead ({lead})")]
    NotLeadDepartment { department: String, lead: String },
    #[error("department {department} is not cooperating")]
    NotCooperating { department: String },
    #[error("user {actor} does not belong to the problem's enterprise")]
    NotYourEnterprise { actor: String },
    #[error("{department} received the problem first and stays its lead")]
    FirstReceiverOwns { department: String },
    #[error("the assignment to {department} is locked")]
    Locked { department: String },
    #[error("the objection window ended on {last_day}")]
    ObjectionWindowClosed { last_day: String },
    #[error("an upheld objection must reassign away from {department}")]
    SameLead { department: String },
    #[error("{department} cannot both lead and cooperate")]
    LeadAlsoCooperating { department: String },
    #[error("the answer deadline {due} has passed")]
    AlreadyOverdue { due: String },
    #[error("an extension request is pending")]
    ExtensionPending,
    #[error("no extension request is pending")]
    NoExtensionPending,
    #[error("at most {max} extensions per round")]
    ExtensionLimit { max: u32 },
    #[error("a consultation is open")]
    ConsultationOpen,
    #[error("no consultation is open")]
    NoConsultationOpen,
    #[error("the enterprise may confirm until {confirm_by}")]
    NotYetUnconfirmed { confirm_by: String },
    #[error("{} needs a note", action.as_str())]
    NoteRequired { action: ActionKind },
    #[error("time {at} is before the last event at {last}")]
    BeforeLastEvent { at: String, last: String },
    #[error("received time {at} is in the future")]
    InFuture { at: String },
    #[error("title has {chars} characters, 1..={max} allowed")]
    BadTitle { chars: usize, max: usize },
    #[error("unknown category {category}")]
    UnknownCategory { category: String },
    #[error("unknown department {department}")]
    UnknownDepartment { department: String },
    #[error("{field}: invalid value {value}; expected {expected}")]
    BadValue { field: &'static str, value: String, expected: &'static str },
    #[error("time limits: {reason}")]
    BadLimits { reason: String },
    #[error("event {seq} does not replay: {reason}")]
    BadLog { seq: u32, reason: String },
    #[error("no escalation is open")]
    NoEscalationOpen,
    #[error("department {department} owns no open decision of this problem")]
    NoDecisionOwned { department: String },
    #[error("no deadline moves on the calendar now in force")]
    NothingToRecompute,
    #[error(transparent)]
    Calendar(#[from] calendar::CalendarError),
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Catalog::embedded(include_str!("../messages.toml")))
}

fn name(key: String, lang: Lang) -> String {
    // Message keys are `&'static str`; the catalog's keys are made static once, so names
    // built at run time (`handling.state.closed`) can be rendered without leaking per call.
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let keys =
        KEYS.get_or_init(|| catalog().keys().map(|k| &*Box::leak(k.to_string().into_boxed_str())).collect());
    match keys.iter().find(|k| **k == key) {
        Some(k) => catalog().render(&Message::new(k), lang),
        None => key,
    }
}

/// The localized name of a state.
pub fn state_name(s: State, lang: Lang) -> String {
    name(format!("handling.state.{}", s.as_str()), lang)
}
/// The localized name of an action.
pub fn action_name(a: ActionKind, lang: Lang) -> String {
    name(format!("handling.action.{}", a.as_str()), lang)
}
/// The localized name of a role.
pub fn role_name(r: Role, lang: Lang) -> String {
    name(format!("handling.role.{}", r.as_str()), lang)
}

fn list(items: impl Iterator<Item = String>, lang: Lang) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() {
        catalog().render(&Message::new("handling.nothing_allowed"), lang)
    } else {
        v.join(&catalog().render(&Message::new("handling.list_sep"), lang))
    }
}

impl HandlingError {
    /// The message with its names (states, actions, roles) in `lang`.
    pub fn message_in(&self, lang: Lang) -> Message {
        use HandlingError as E;
        match self {
            E::Illegal { state, action, allowed } => Message::new("handling.illegal")
                .arg("state", state_name(*state, lang))
                .arg("action", action_name(*action, lang))
                .arg("allowed", list(allowed.iter().map(|a| action_name(*a, lang)), lang)),
            E::RoleNotAllowed { role, action } => Message::new("handling.role_not_allowed")
                .arg("role", role_name(*role, lang))
                .arg("action", action_name(*action, lang))
                .arg("roles", list(action.roles().iter().map(|r| role_name(*r, lang)), lang)),
            E::NotLeadDepartment { department, lead } => {
                Message::new("handling.not_lead_department").arg("department", department).arg("lead", lead)
            }
            E::NotCooperating { department } => {
                Message::new("handling.not_cooperating").arg("department", department)
            }
            E::NotYourEnterprise { actor } => {
                Message::new("handling.not_your_enterprise").arg("actor", actor)
            }
            E::FirstReceiverOwns { department } => {
                Message::new("handling.first_receiver_owns").arg("department", department)
            }
            E::Locked { department } => Message::new("handling.locked").arg("department", department),
            E::ObjectionWindowClosed { last_day } => {
                Message::new("handling.objection_window_closed").arg("last_day", last_day)
            }
            E::SameLead { department } => Message::new("handling.same_lead").arg("department", department),
            E::LeadAlsoCooperating { department } => {
                Message::new("handling.lead_also_cooperating").arg("department", department)
            }
            E::AlreadyOverdue { due } => Message::new("handling.already_overdue").arg("due", due),
            E::ExtensionPending => Message::new("handling.extension_pending"),
            E::NoExtensionPending => Message::new("handling.no_extension_pending"),
            E::ExtensionLimit { max } => Message::new("handling.extension_limit").arg("max", max),
            E::ConsultationOpen => Message::new("handling.consultation_open"),
            E::NoConsultationOpen => Message::new("handling.no_consultation_open"),
            E::NotYetUnconfirmed { confirm_by } => {
                Message::new("handling.not_yet_unconfirmed").arg("confirm_by", confirm_by)
            }
            E::NoteRequired { action } => {
                Message::new("handling.note_required").arg("action", action_name(*action, lang))
            }
            E::BeforeLastEvent { at, last } => {
                Message::new("handling.before_last_event").arg("at", at).arg("last", last)
            }
            E::InFuture { at } => Message::new("handling.in_future").arg("at", at),
            E::BadTitle { chars, max } => {
                Message::new("handling.bad_title").arg("chars", chars).arg("max", max)
            }
            E::UnknownCategory { category } => {
                Message::new("handling.unknown_category").arg("category", category)
            }
            E::UnknownDepartment { department } => {
                Message::new("handling.unknown_department").arg("department", department)
            }
            E::BadValue { field, value, expected } => Message::new("handling.bad_value")
                .arg("field", field)
                .arg("value", value)
                .arg("expected", expected),
            E::BadLimits { reason } => Message::new("handling.bad_limits").arg("reason", reason),
            E::BadLog { seq, reason } => {
                Message::new("handling.bad_log").arg("seq", seq).arg("reason", reason)
            }
            E::NoEscalationOpen => Message::new("handling.no_escalation_open"),
            E::NoDecisionOwned { department } => {
                Message::new("handling.no_decision_owned").arg("department", department)
            }
            E::NothingToRecompute => Message::new("handling.nothing_to_recompute"),
            E::Calendar(e) => Message::new("handling.calendar").arg("detail", e.render(lang)),
        }
    }
}

impl Localized for HandlingError {
    fn message(&self) -> Message {
        self.message_in(Lang::Zh)
    }
    fn catalog(&self) -> &'static Catalog {
        catalog()
    }
    fn render(&self, lang: Lang) -> String {
        catalog().render(&self.message_in(lang), lang)
    }
}

/// The proposed lead (牵头) and cooperating (配合) departments of a category: the routing
/// table names the lead first. The department that accepts the problem owns it (首接负责):
/// only the working group moves the lead elsewhere, or a department's objection or return.
pub fn propose_routing(
    category: &str,
    routing: &enterprise::Routing,
) -> Result<(String, Vec<String>), HandlingError> {
    let c = routing
        .category(category)
        .ok_or_else(|| HandlingError::UnknownCategory { category: category.to_string() })?;
    let lead = c.lead().ok_or_else(|| HandlingError::UnknownCategory { category: category.to_string() })?;
    Ok((lead.to_string(), c.cooperating().to_vec()))
}

/// Checks that every department a new command names is in the routing table, and turns
/// Chinese names into codes. Call it before [`apply`] for commands typed by users.
pub fn check_departments(cmd: &mut Command, routing: &enterprise::Routing) -> Result<(), HandlingError> {
    let code = |d: &mut String| -> Result<(), HandlingError> {
        let found = routing
            .department(d)
            .ok_or_else(|| HandlingError::UnknownDepartment { department: d.clone() })?;
        *d = found.code.clone();
        Ok(())
    };
    match &mut cmd.action {
        Action::Assign { lead, cooperating, .. } => {
            code(lead)?;
            cooperating.iter_mut().try_for_each(code)?;
        }
        Action::DecideObjection { lead, cooperating, .. } => {
            if let Some(l) = lead {
                code(l)?;
            }
            if let Some(c) = cooperating {
                c.iter_mut().try_for_each(code)?;
            }
        }
        Action::OpenConsultation { participants } => participants.iter_mut().try_for_each(code)?,
        Action::CloseConsultation { actions, .. } => {
            actions.iter_mut().try_for_each(|a| code(&mut a.owner))?
        }
        _ => {}
    }
    Ok(())
}

/// How much of a problem an actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Not at all (another enterprise's problem).
    Hidden,
    /// Category, state, departments and deadlines, not the title, description or attachments.
    Summary,
    Full,
}

/// Who sees what. An enterprise sees only its own problems. A confidential problem (商业
/// 秘密) shows its details only to its enterprise, its lead and cooperating departments and
/// supervisors; everyone else inside the zone sees its summary.
pub fn visibility(s: &ProblemState, actor: &Actor) -> Visibility {
    visibility_of(&s.problem.enterprise, s.problem.confidential, &s.lead, &s.cooperating, actor)
}

/// [`visibility`] from what a list row carries (the enterprise, the confidential flag, the
/// lead and cooperating departments): the same rule for rows that were not replayed.
pub fn visibility_of(
    enterprise: &enterprise::UnifiedCreditCode,
    confidential: bool,
    lead: &str,
    cooperating: &[String],
    actor: &Actor,
) -> Visibility {
    let own_dept = actor.department.as_ref().is_some_and(|d| d == lead || cooperating.contains(d));
    match actor.role {
        Role::Enterprise if actor.enterprise.as_ref() == Some(enterprise) => Visibility::Full,
        Role::Enterprise => Visibility::Hidden,
        Role::Supervisor => Visibility::Full,
        Role::Department if own_dept => Visibility::Full,
        _ if confidential => Visibility::Summary,
        _ => Visibility::Full,
    }
}

#[cfg(test)]
mod tests;

/// The stored and printed names of the crate's enums: derived once (strum), each read back to
/// its own variant, and equal to the name serde writes where the enum is serialised.
#[cfg(test)]
mod enum_names {
    use i18n::{assert_names_are_json_names as same_as_serde, assert_names_round_trip as round_trip};

    #[test]
    fn every_name_reads_back_to_its_variant() {
        round_trip::<crate::DeadlineName>("DeadlineName");
        round_trip::<crate::ExplainReason>("ExplainReason");
        round_trip::<crate::ActionKind>("ActionKind");
        round_trip::<crate::State>("State");
        round_trip::<crate::Role>("Role");
        round_trip::<crate::Warning>("Warning");
    }

    #[test]
    fn stored_names_are_the_json_names() {
        same_as_serde::<crate::DeadlineName>("DeadlineName");
        same_as_serde::<crate::ExplainReason>("ExplainReason");
        same_as_serde::<crate::State>("State");
        same_as_serde::<crate::Role>("Role");
        same_as_serde::<crate::Warning>("Warning");
    }
}
