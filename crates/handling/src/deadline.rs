//! Deadlines and warnings (亮灯).
//!
//! A clock has a due point and the time it allows. For a limit in working days the due
//! point is a civil date (due by the end of that day); for a limit in hours it is a
//! timestamp. Each clock also stores when its yellow warning starts, computed with the
//! calendar when the clock is set, so that [`warning`] and [`deadlines`] need nothing but
//! the state and "now".
//!
//! Yellow: at least `yellow_percent` (80) of the allowed time is used, measured in working
//! days for day limits (the current day counts as used) and in minutes for hour limits.
//! Red: overdue, i.e. after the end of the due date, or after the due timestamp.
//!
//! Which clocks run, per state (the pause rules):
//! - `submitted`: the acceptance clock and the answer clock.
//! - `accepted`, `assigned`, `objection_pending`, `returned`, `in_progress`: the answer
//!   clock. Misrouting and objections do not stop it: the enterprise waits all the same.
//! - `awaiting_info` (the department asked the enterprise for information): paused. On
//!   resumption the due point moves by the working days (or minutes) paused.
//! - `answered`, `under_review`, `confirmed`, `closed`, `withdrawn`: no department clock runs.
//!   Waiting for the enterprise's confirmation is not the department's time.
//! - An approved extension moves the due point by its working days. Second handling
//!   (二次办理) starts a fresh answer clock from the day of the reopening.

use calendar::WorkCalendar;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, SubsecRound, TimeZone};
use serde::{Deserialize, Serialize};

use crate::machine::{ProblemState, State};
use crate::{HandlingError, Limit, china_date};

/// A due point: a date (due by the end of that day) or a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Due {
    Date(NaiveDate),
    At(DateTime<FixedOffset>),
}

impl Due {
    /// Whether `now` is past this due point.
    pub fn is_overdue(&self, now: DateTime<FixedOffset>) -> bool {
        match self {
            Due::Date(d) => china_date(now) > *d,
            Due::At(t) => now > *t,
        }
    }

    /// Whether `now` has reached this point (for the start of a warning).
    fn reached(&self, now: DateTime<FixedOffset>) -> bool {
        match self {
            Due::Date(d) => china_date(now) >= *d,
            Due::At(t) => now >= *t,
        }
    }

    /// The civil date of the due point in China time.
    pub fn date(&self) -> NaiveDate {
        match self {
            Due::Date(d) => *d,
            Due::At(t) => china_date(*t),
        }
    }
}

impl std::fmt::Display for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Due::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Due::At(t) => write!(f, "{}", t.to_rfc3339()),
        }
    }
}

/// What a clock allows: working days or minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allowance {
    Workdays(u32),
    Minutes(i64),
}

/// A running, paused or stopped clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub start: DateTime<FixedOffset>,
    pub due: Due,
    pub allowed: Allowance,
    /// When the yellow warning starts.
    pub yellow_from: Due,
    /// Set while paused (awaiting the enterprise's information).
    pub paused_since: Option<DateTime<FixedOffset>>,
    /// Working days paused so far (for day clocks) or minutes (for hour clocks).
    pub paused: i64,
}

impl Clock {
    /// A clock for `limit` starting at `start`.
    pub fn start(
        limit: Limit,
        start: DateTime<FixedOffset>,
        yellow_percent: u32,
        cal: &WorkCalendar,
    ) -> Result<Clock, HandlingError> {
        let (due, allowed) = match limit {
            Limit::Workdays(n) => {
                (Due::Date(cal.add_workdays(china_date(start), n)?), Allowance::Workdays(n))
            }
            Limit::Hours(h) => {
                let m = i64::from(h) * 60;
                (Due::At(start + Duration::minutes(m)), Allowance::Minutes(m))
            }
        };
        let mut c = Clock { start, due, allowed, yellow_from: due, paused_since: None, paused: 0 };
        c.yellow_from = c.compute_yellow(yellow_percent, cal)?;
        Ok(c)
    }

    pub(crate) fn compute_yellow(&self, p: u32, cal: &WorkCalendar) -> Result<Due, HandlingError> {
        let p = i64::from(p.min(100));
        Ok(match (self.allowed, self.due) {
            (Allowance::Workdays(n), Due::Date(d)) => {
                // Yellow once the working days left in (today, due] are at most
                // floor(allowed × (100 − p) / 100).
                let r = (i64::from(n) * (100 - p)) / 100;
                if r <= 0 { Due::Date(d) } else { Due::Date(cal.sub_workdays(d, r as u32)?) }
            }
            (Allowance::Minutes(m), Due::At(t)) => Due::At(t - Duration::minutes(m * (100 - p) / 100)),
            // An hour clock extended by working days keeps its timestamp form; a day clock
            // is never turned into minutes.
            (Allowance::Workdays(_), Due::At(t)) => Due::At(t),
            (Allowance::Minutes(_), Due::Date(d)) => Due::Date(d),
        })
    }

    /// Moves the due point by `n` working days and allows them (an approved extension).
    pub fn extend(&mut self, n: u32, yellow_percent: u32, cal: &WorkCalendar) -> Result<(), HandlingError> {
        if n == 0 {
            return Ok(());
        }
        match self.due {
            Due::Date(d) => {
                self.due = Due::Date(cal.add_workdays(d, n)?);
                if let Allowance::Workdays(a) = self.allowed {
                    self.allowed = Allowance::Workdays(a + n);
                }
            }
            Due::At(t) => {
                let new_date = cal.add_workdays(china_date(t), n)?;
                let shifted = t + Duration::days((new_date - china_date(t)).num_days());
                if let Allowance::Minutes(m) = self.allowed {
                    self.allowed = Allowance::Minutes(m + (shifted - t).num_minutes());
                }
                self.due = Due::At(shifted);
            }
        }
        self.yellow_from = self.compute_yellow(yellow_percent, cal)?;
        Ok(())
    }

    pub fn pause(&mut self, now: DateTime<FixedOffset>) {
        self.paused_since = Some(now);
    }

    /// Ends a pause: the due point moves by the working days in (pause date, resume date]
    /// for day clocks, by the minutes paused for hour clocks.
    pub fn resume(
        &mut self,
        now: DateTime<FixedOffset>,
        yellow_percent: u32,
        cal: &WorkCalendar,
    ) -> Result<(), HandlingError> {
        let Some(since) = self.paused_since.take() else { return Ok(()) };
        match self.due {
            Due::Date(d) => {
                let p = cal.workdays_between(china_date(since), china_date(now))?.max(0);
                if p > 0 {
                    self.due = Due::Date(cal.add_workdays(d, p as u32)?);
                }
                self.paused += p;
            }
            Due::At(t) => {
                let m = (now - since).num_minutes().max(0);
                self.due = Due::At(t + Duration::minutes(m));
                self.paused += m;
            }
        }
        self.yellow_from = self.compute_yellow(yellow_percent, cal)?;
        Ok(())
    }

    /// The warning at `now` (the pause start while paused).
    pub fn warning(&self, now: DateTime<FixedOffset>) -> Warning {
        let now = self.paused_since.map_or(now, |p| p.min(now));
        if self.due.is_overdue(now) {
            Warning::Red
        } else if self.yellow_from.reached(now) {
            Warning::Yellow
        } else {
            Warning::None
        }
    }
}

/// The warning light of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Warning {
    None,
    Yellow,
    Red,
}

impl Warning {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A problem's deadlines as shown (`problem show --json` prints `deadlines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// Acceptance (受理).
    pub accept_by: Due,
    /// The answer of the current handling round, extensions and pauses included.
    pub answer_by: Due,
    /// Objection or return of the current assignment (the last day it may be made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objection_by: Option<NaiveDate>,
    /// Cooperating departments' reports to the lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_by: Option<NaiveDate>,
    /// The enterprise's confirmation; after it the answer may be closed as unrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_by: Option<NaiveDate>,
    /// The answer clock is paused (awaiting the enterprise's information); `answer_by` moves
    /// when it resumes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

/// The deadlines of a problem.
pub fn deadlines(s: &ProblemState) -> Deadlines {
    Deadlines {
        accept_by: s.accept_clock.due,
        answer_by: s.answer_clock.due,
        objection_by: s.assignment.as_ref().filter(|_| s.state == State::Assigned).map(|a| a.objection_by),
        report_by: s
            .assignment
            .as_ref()
            .filter(|_| s.state.is_handling() && !s.cooperating.is_empty())
            .map(|a| a.report_by),
        confirm_by: s.confirm_by.filter(|_| s.state == State::Answered),
        paused: s.answer_clock.paused_since.is_some(),
    }
}

/// The warning light at `now`: the worst of the clocks running in the current state.
pub fn warning(s: &ProblemState, now: DateTime<FixedOffset>) -> Warning {
    match s.state {
        State::Submitted => s.accept_clock.warning(now).max(s.answer_clock.warning(now)),
        st if st.answer_clock_runs() || st == State::AwaitingInfo => s.answer_clock.warning(now),
        _ => Warning::None,
    }
}

/// When a problem's light turns yellow and red: the first whole seconds (China time) at which
/// [`warning`] is at least yellow, and red. What the store keeps beside each problem so that
/// queues filter and sort by light in SQL without replaying; [`WarningTimes::at`] gives
/// exactly [`warning`] at any moment (tested to the second). `None`: the light does not come
/// (no clock runs, or a paused clock stopped before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WarningTimes {
    pub yellow_at: Option<DateTime<FixedOffset>>,
    pub red_at: Option<DateTime<FixedOffset>>,
}

impl WarningTimes {
    /// The light at `now` (compared in whole seconds).
    pub fn at(&self, now: DateTime<FixedOffset>) -> Warning {
        let now = china_seconds(now);
        if self.red_at.is_some_and(|r| r <= now) {
            Warning::Red
        } else if self.yellow_at.is_some_and(|y| y <= now) {
            Warning::Yellow
        } else {
            Warning::None
        }
    }
}

/// A moment in China time, in whole seconds (the form the store keeps and hashes).
pub fn china_seconds(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_timezone(&crate::china()).trunc_subsecs(0)
}

/// The first instant of a civil date in China time.
pub fn china_day_start(d: NaiveDate) -> DateTime<FixedOffset> {
    let naive = d.and_time(NaiveTime::MIN);
    crate::china().from_local_datetime(&naive).single().unwrap_or_else(|| naive.and_utc().fixed_offset())
}

impl Clock {
    /// When this clock's light turns yellow and red ([`Clock::warning`]). A paused clock keeps
    /// the light it had when the pause began, so a light not reached by then never comes.
    pub fn warning_times(&self) -> WarningTimes {
        let yellow = match self.yellow_from {
            Due::Date(d) => china_day_start(d),
            // Yellow once now >= t: from t itself, or the next whole second if t has a fraction.
            Due::At(t) => {
                china_seconds(t)
                    + if t.timestamp_subsec_nanos() > 0 { Duration::seconds(1) } else { Duration::zero() }
            }
        };
        let red = match self.due {
            Due::Date(d) => china_day_start(d + Duration::days(1)),
            // Red once now > t: from the next whole second.
            Due::At(t) => china_seconds(t) + Duration::seconds(1),
        };
        match self.paused_since {
            None => WarningTimes { yellow_at: Some(yellow), red_at: Some(red) },
            Some(p) => {
                let p = china_seconds(p);
                WarningTimes {
                    yellow_at: Some(yellow).filter(|y| *y <= p),
                    red_at: Some(red).filter(|r| *r <= p),
                }
            }
        }
    }
}

fn earlier(
    a: Option<DateTime<FixedOffset>>,
    b: Option<DateTime<FixedOffset>>,
) -> Option<DateTime<FixedOffset>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// When the light of a problem turns yellow and red, by the same rule as [`warning`]: in
/// `submitted` the worse of the acceptance and answer clocks, while handling (and paused) the
/// answer clock, otherwise no light.
pub fn warning_times(s: &ProblemState) -> WarningTimes {
    match s.state {
        State::Submitted => {
            let (a, b) = (s.accept_clock.warning_times(), s.answer_clock.warning_times());
            WarningTimes { yellow_at: earlier(a.yellow_at, b.yellow_at), red_at: earlier(a.red_at, b.red_at) }
        }
        st if st.answer_clock_runs() || st == State::AwaitingInfo => s.answer_clock.warning_times(),
        _ => WarningTimes::default(),
    }
}

/// When the light of a dated follow-up (a 督办 reply, a consultation's decision) turns yellow:
/// with `A` working days allowed from `from` to `due`, once the working days left are at most
/// `floor(A × (100 − p) / 100)`, as for a problem's day clock.
pub fn yellow_day(
    from: NaiveDate,
    due: NaiveDate,
    yellow_percent: u32,
    cal: &WorkCalendar,
) -> Result<NaiveDate, HandlingError> {
    let a = cal.workdays_between(from, due)?.max(0);
    let r = a * (100 - i64::from(yellow_percent.min(100))) / 100;
    Ok(if r <= 0 { due } else { cal.sub_workdays(due, r as u32)? })
}

/// The light of a dated follow-up at `now`: red after its due day, yellow from its yellow day,
/// none once done.
pub fn dated_warning(
    done: bool,
    yellow_from: NaiveDate,
    due: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Warning {
    let today = china_date(now);
    if done {
        Warning::None
    } else if today > due {
        Warning::Red
    } else if today >= yellow_from {
        Warning::Yellow
    } else {
        Warning::None
    }
}

/// The instants a dated follow-up's light turns ([`dated_warning`]).
pub fn dated_warning_times(done: bool, yellow_from: NaiveDate, due: NaiveDate) -> WarningTimes {
    if done {
        return WarningTimes::default();
    }
    WarningTimes {
        yellow_at: Some(china_day_start(yellow_from)),
        red_at: Some(china_day_start(due + Duration::days(1))),
    }
}

impl crate::state::EscalationCase {
    /// The case's own light: yellow near its reply deadline, red once overdue, none once
    /// replied (or once the problem is closed or withdrawn: nothing is pending then).
    pub fn warning(&self, now: DateTime<FixedOffset>) -> Warning {
        dated_warning(!self.is_open(), self.yellow_from, self.reply_by, now)
    }
}

impl crate::state::DecisionRecord {
    /// The decision's own light, as a problem's.
    pub fn warning(&self, now: DateTime<FixedOffset>) -> Warning {
        dated_warning(!self.is_open(), self.yellow_from, self.due, now)
    }
}

/// A day clock laid again on `cal`: the working days it allows (extensions included) and
/// those it was paused, counted from its start. `None` for an hour clock (it runs on the
/// clock, not the calendar) or when nothing moves.
fn relay(
    c: &mut Clock,
    yellow_percent: u32,
    cal: &WorkCalendar,
) -> Result<Option<(Due, Due)>, HandlingError> {
    let (Allowance::Workdays(n), Due::Date(old)) = (c.allowed, c.due) else { return Ok(None) };
    let total = i64::from(n) + c.paused.max(0);
    let new = cal.add_workdays(china_date(c.start), u32::try_from(total).unwrap_or(u32::MAX))?;
    c.due = Due::Date(new);
    c.yellow_from = c.compute_yellow(yellow_percent, cal)?;
    Ok((new != old).then_some((Due::Date(old), Due::Date(new))))
}

/// A problem's running deadlines laid again on `cal` (the calendar now in force, after a
/// year's notice was loaded): what [`crate::Action::RecomputeDeadlines`] records. Each keeps
/// what it allows in working days, counted from when it started:
/// - the acceptance clock while `submitted`, the answer clock while it runs or is paused
///   (its working days allowed, extensions included, plus those paused so far);
/// - the objection window while `assigned` and the cooperating reports while handled, from
///   the assignment;
/// - the confirmation limit while `answered`, from the answer;
/// - an open escalation's reply, from its opening.
///
/// Hour clocks, stopped clocks and the dates consultations fixed do not move. The yellow
/// starts move with their deadlines (and decisions' yellow starts are laid again), but only
/// a moved deadline is a change.
pub fn recompute(
    s: &ProblemState,
    cal: &WorkCalendar,
) -> Result<(ProblemState, Vec<crate::action::DeadlineChange>), HandlingError> {
    use crate::action::{DeadlineChange, DeadlineName as N};
    let mut n = s.clone();
    let mut changes = Vec::new();
    let yp = s.limits.yellow_percent;
    let mut push = |deadline: N, moved: Option<(Due, Due)>| {
        if let Some((from, to)) = moved {
            changes.push(DeadlineChange { deadline, from, to });
        }
    };
    if s.state == State::Submitted {
        push(N::AcceptBy, relay(&mut n.accept_clock, yp, cal)?);
    }
    if s.state.answer_clock_runs() || s.state == State::AwaitingInfo {
        push(N::AnswerBy, relay(&mut n.answer_clock, yp, cal)?);
    }
    if let Some(a) = n.assignment.as_mut() {
        let d = china_date(a.at);
        if s.state == State::Assigned {
            let new = cal.add_workdays(d, s.limits.objection_workdays)?;
            if new != a.objection_by {
                push(N::ObjectionBy, Some((Due::Date(a.objection_by), Due::Date(new))));
                a.objection_by = new;
            }
        }
        if s.state.is_handling() && !s.cooperating.is_empty() {
            let new = cal.add_workdays(d, s.limits.report_workdays)?;
            if new != a.report_by {
                push(N::ReportBy, Some((Due::Date(a.report_by), Due::Date(new))));
                a.report_by = new;
            }
        }
    }
    if s.state == State::Answered
        && let (Some(old), Some(answer)) = (s.confirm_by, s.answers.last())
    {
        let new = cal.add_workdays(china_date(answer.at), s.limits.confirm_workdays)?;
        if new != old {
            push(N::ConfirmBy, Some((Due::Date(old), Due::Date(new))));
            n.confirm_by = Some(new);
        }
    }
    for c in n.escalation_cases.iter_mut().filter(|c| c.is_open()) {
        let from = china_date(c.opened_at);
        let new = cal.add_workdays(from, c.reply_workdays)?;
        if new != c.reply_by {
            push(N::EscalationReplyBy, Some((Due::Date(c.reply_by), Due::Date(new))));
            c.reply_by = new;
        }
        c.yellow_from = yellow_day(from, c.reply_by, yp, cal)?;
    }
    for d in n.decisions.iter_mut().filter(|d| d.is_open()) {
        d.yellow_from = yellow_day(china_date(d.decided_at), d.due, yp, cal)?;
    }
    Ok((n, changes))
}
