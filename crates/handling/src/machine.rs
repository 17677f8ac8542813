//! The problem state machine: [`submit`], [`apply`], [`replay`], and what may be done now
//! ([`applicable_actions`], [`may_attach`]).
//!
//! Every change is an [`Event`]; a problem's state is the fold of its events, and
//! [`replay`] re-runs each event through the same checks as [`apply`], so a stored log that
//! could not have been produced legally does not replay. Deadlines are computed with the
//! calendar when an event is applied and kept in the state, so reading them needs no
//! calendar.
//!
//! The types live in their own modules ([`crate::state`], [`crate::actor`],
//! [`crate::action`], [`crate::event`]); this module re-exports them, so the paths
//! `handling::machine::State`, `handling::machine::Action`, … keep working.
//!
//! Deliberately absent: department codes are not checked against the routing table here
//! (the table is editable; an old log must replay after a department is renamed). Callers
//! check new commands with [`crate::check_departments`] before applying them.

use calendar::WorkCalendar;
use chrono::{DateTime, FixedOffset, SubsecRound};

pub use crate::action::{
    ALL_ACTIONS, Action, ActionKind, Command, ExplainReason, Outcome, Rating, ReviewDecision,
};
pub use crate::actor::{Actor, Role};
pub use crate::event::{Event, Transition};
pub use crate::state::{
    ALL_STATES, AnswerRecord, Assignment, AssignmentEnd, AssignmentRecord, Closure, ClosureKind,
    Consultation, ProblemState, RatingRecord, ReportRecord, State,
};

use crate::deadline::{Clock, Due};
use crate::{HandlingError, Problem, china_date};

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
        && check_preconditions(s, kind, actor, s.last_at).is_ok()
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

/// The checks every command passes before its own: not a submit, not dated before the last
/// event, legal in the state, and a role that may take it.
fn check_base(
    s: &ProblemState,
    kind: ActionKind,
    actor: &Actor,
    now: DateTime<FixedOffset>,
) -> Result<(), HandlingError> {
    let illegal =
        || HandlingError::Illegal { state: s.state, action: kind, allowed: s.allowed_actions(None) };
    if kind == ActionKind::Submit {
        return Err(illegal());
    }
    if now < s.last_at {
        return Err(HandlingError::BeforeLastEvent { at: now.to_rfc3339(), last: s.last_at.to_rfc3339() });
    }
    if !kind.from_states().contains(&s.state) {
        return Err(illegal());
    }
    check_role(kind, actor)
}

/// The rules of an action that do not depend on the data a command carries: who owns the
/// problem (the lead department, the enterprise, a cooperating department) and what the state
/// must hold (a consultation open or not, an extension pending or not, the objection window,
/// the deadline not passed, the confirmation limit over). [`apply`] checks them for every
/// command, and [`applicable_actions`] asks them for every action, so what a page offers is
/// exactly what would be accepted (given acceptable data).
fn check_preconditions(
    s: &ProblemState,
    kind: ActionKind,
    actor: &Actor,
    now: DateTime<FixedOffset>,
) -> Result<(), HandlingError> {
    let today = china_date(now);
    match kind {
        ActionKind::Submit | ActionKind::DecideObjection | ActionKind::Escalate | ActionKind::Review => {}
        ActionKind::Accept | ActionKind::Start | ActionKind::Close => require_lead(s, actor)?,
        ActionKind::Assign => {
            if actor.role == Role::Department {
                if s.state == State::Returned {
                    return Err(HandlingError::RoleNotAllowed { role: actor.role, action: kind });
                }
                // 首接负责: the department that accepted keeps the lead (the lead it names is
                // checked with the command's data).
                require_lead(s, actor)?;
            }
        }
        ActionKind::Object | ActionKind::Return => {
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
        }
        ActionKind::RequestInfo => {
            require_lead(s, actor)?;
            if s.answer_clock.due.is_overdue(now) {
                return Err(HandlingError::AlreadyOverdue { due: s.answer_clock.due.to_string() });
            }
        }
        ActionKind::SupplyInfo | ActionKind::Confirm | ActionKind::Reopen | ActionKind::Withdraw => {
            require_own_enterprise(s, actor)?
        }
        ActionKind::Report => {
            let dept = actor.department.clone().unwrap_or_default();
            if !s.cooperating.contains(&dept) {
                return Err(HandlingError::NotCooperating { department: dept });
            }
        }
        ActionKind::RequestExtension => {
            require_lead(s, actor)?;
            if s.pending_extension.is_some() {
                return Err(HandlingError::ExtensionPending);
            }
            if s.extensions_this_round >= s.limits.max_extensions_per_round {
                return Err(HandlingError::ExtensionLimit { max: s.limits.max_extensions_per_round });
            }
            if s.answer_clock.due.is_overdue(now) {
                return Err(HandlingError::AlreadyOverdue { due: s.answer_clock.due.to_string() });
            }
        }
        ActionKind::ApproveExtension | ActionKind::RejectExtension => {
            if s.pending_extension.is_none() {
                return Err(HandlingError::NoExtensionPending);
            }
        }
        ActionKind::OpenConsultation => {
            if s.consultation_open() {
                return Err(HandlingError::ConsultationOpen);
            }
        }
        ActionKind::CloseConsultation => {
            if !s.consultation_open() {
                return Err(HandlingError::NoConsultationOpen);
            }
        }
        ActionKind::Answer => {
            require_lead(s, actor)?;
            if s.consultation_open() {
                return Err(HandlingError::ConsultationOpen);
            }
        }
        ActionKind::AutoCloseUnrated => {
            let Some(by) = s.confirm_by else {
                return Err(HandlingError::NotYetUnconfirmed { confirm_by: "-".into() });
            };
            if today <= by {
                return Err(HandlingError::NotYetUnconfirmed {
                    confirm_by: by.format("%Y-%m-%d").to_string(),
                });
            }
        }
        ActionKind::Attach => attach_allowed_for(s, actor)?,
    }
    Ok(())
}

/// The actions `actor` may take on the problem at `now`: legal in its state, for the actor's
/// role, and passing the action's rules that need no data (ownership, an open consultation,
/// a pending extension, the objection window, the deadline, …). A command of one of these
/// with acceptable data and its note (where [`ActionKind::needs_note`]) is accepted by
/// [`apply`]; any other is refused. What pages offer and what the API lists as
/// `allowed_actions`. File uploads ([`ActionKind::Attach`]) are asked with [`may_attach`].
pub fn applicable_actions(s: &ProblemState, actor: &Actor, now: DateTime<FixedOffset>) -> Vec<ActionKind> {
    let now = whole_seconds(now);
    ALL_ACTIONS
        .into_iter()
        .filter(|k| check_base(s, *k, actor, now).is_ok() && check_preconditions(s, *k, actor, now).is_ok())
        .collect()
}

/// Applies one command to a problem. Checks, in order: not a submit, the event time (not
/// before the last event), the state, the role, the required note, the action's rules that
/// need no data ([`check_preconditions`]: ownership, consultation, extension, windows), then
/// the rules of the command's data.
pub fn apply(
    s: &ProblemState,
    cmd: &Command,
    actor: &Actor,
    now: DateTime<FixedOffset>,
    cal: &WorkCalendar,
) -> Result<Transition, HandlingError> {
    let kind = cmd.action.kind();
    let now = whole_seconds(now);
    check_base(s, kind, actor, now)?;
    let note = norm_note(&cmd.note);
    if kind.needs_note() && note.is_none() {
        return Err(HandlingError::NoteRequired { action: kind });
    }
    check_preconditions(s, kind, actor, now)?;
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
            let on_time = !s.accept_clock.due.is_overdue(now);
            n.accepted = Some((now, s.lead.clone(), on_time));
            State::Accepted
        }
        Action::Assign { lead, cooperating, handler } => {
            check_departments_shape(lead, cooperating)?;
            if actor.role == Role::Department && lead != &s.lead {
                // 首接负责: only the working group moves the lead elsewhere.
                return Err(HandlingError::FirstReceiverOwns { department: s.lead.clone() });
            }
            n.lead = lead.clone();
            n.cooperating = cooperating.clone();
            n.handler = handler.clone().filter(|h| !h.trim().is_empty());
            new_assignment(&mut n, now, cal)?;
            State::Assigned
        }
        Action::Object | Action::Return => {
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
            if let Some(a) = n.assignment.as_mut() {
                a.locked = true;
            }
            State::InProgress
        }
        Action::RequestInfo => {
            n.answer_clock.pause(now);
            State::AwaitingInfo
        }
        Action::SupplyInfo => {
            n.answer_clock.resume(now, yp, cal)?;
            State::InProgress
        }
        Action::Report => {
            let dept = actor.department.clone().unwrap_or_default();
            let on_time = s.assignment.as_ref().is_none_or(|a| today <= a.report_by);
            n.reports.push(ReportRecord { department: dept, at: now, on_time });
            s.state
        }
        Action::RequestExtension { workdays } => {
            if *workdays == 0 || *workdays > 30 {
                return Err(HandlingError::BadValue {
                    field: "workdays",
                    value: workdays.to_string(),
                    expected: "1..=30 working days",
                });
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
            n.consultations.push(Consultation {
                opened_at: now,
                participants: participants.clone(),
                closed_at: None,
                decisions: Vec::new(),
            });
            s.state
        }
        Action::CloseConsultation { minutes, decisions } => {
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
            close(&mut n, now, ClosureKind::Confirmed);
            State::Closed
        }
        Action::AutoCloseUnrated => {
            close(&mut n, now, ClosureKind::Unrated);
            State::Closed
        }
        Action::Withdraw => {
            // Withdrawn while waiting for information: the pause ends with it.
            n.answer_clock.resume(now, yp, cal)?;
            n.withdrawn_at = Some(now);
            n.pending_extension = None;
            State::Withdrawn
        }
        Action::Attach { .. } => s.state,
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
