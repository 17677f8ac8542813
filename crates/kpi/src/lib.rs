//! Department KPIs (考核指标) of the three lists, in the style of Beijing's 接诉即办, computed
//! from problems' event logs: per department, per category and per period.
//!
//! Each measure's definition is in `docs/KPI.md`; in short, for a period P (civil dates in
//! China time) and a department D:
//!
//! | measure | among | counts |
//! |---|---|---|
//! | response rate | problems received in P with D the lead to accept them, accepted or past the acceptance limit | accepted within the limit |
//! | resolution rate | problems closed in P by D | the enterprise itself said solved (at confirmation, or to a supervisor's spot check after the closure) |
//! | satisfaction rate | problems closed in P by D | 满意 or 基本满意 (a closure without the enterprise's rating counts, as not satisfied) |
//! | on-time closure rate | problems closed in P by D | every answer given by its deadline |
//! | average working days to answer | answers by D given in P | working days from the round's start, pauses excluded |
//! | reopen rate | problems closed in P by D | had second handling (二次办理) |
//! | return rate | assignments to D made in P | returned as misrouted (退回) |
//! | objection rate | assignments to D made in P | objected to |
//! | escalation reply rate | 督办 cases of D opened in P, replied or past their deadline | replied by the deadline |
//! | decision on-time rate | consultation decisions owned by D, decided in P, done or past their deadline | done by the deadline |
//!
//! Since issue 11 the resolution rate is the enterprise's word, not the department's closing
//! code (that share is kept as `resolved_by_department_rate`), and the satisfaction rate
//! counts every closure (the share among rated closures is `rated_satisfaction_rate`).
//!
//! Rates are exact rationals shown as percentages rounded half away from zero to two
//! decimals (integer arithmetic, then `Decimal`); `None` when nothing is counted. Pure: the
//! logs, the period and "now" (for judging what is overdue) are passed in.

use std::collections::BTreeMap;

use calendar::CalendarAt;
use chrono::{DateTime, FixedOffset};
use handling::{ClosureKind, Event, HandlingError, Outcome, ProblemState, Warning, china_date};
use i18n::{Catalog, Lang, Localized, Message};
use rust_decimal::Decimal;
use serde::Serialize;

pub mod period;
pub use period::{Period, PeriodKind, period_of};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum KpiError {
    #[error("not a period: {input}")]
    BadPeriod { input: String },
    #[error("problem {problem}: {source}")]
    Replay { problem: String, source: HandlingError },
}

static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Catalog::embedded(include_str!("../messages.toml")))
}

impl KpiError {
    pub fn message_in(&self, lang: Lang) -> Message {
        match self {
            KpiError::BadPeriod { input } => Message::new("kpi.bad_period").arg("input", input),
            KpiError::Replay { problem, source } => {
                Message::new("kpi.replay").arg("problem", problem).arg("detail", source.render(lang))
            }
        }
    }
}

impl Localized for KpiError {
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

/// A rate: numerator over denominator, and the percentage (two decimals, half away from
/// zero) when the denominator is not zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub numerator: u32,
    pub denominator: u32,
    pub percent: Option<Decimal>,
}

impl Rate {
    pub fn new(numerator: u32, denominator: u32) -> Rate {
        let percent = (denominator > 0).then(|| {
            let (n, d) = (u64::from(numerator), u64::from(denominator));
            // round(n × 100 / d, 2) half up, in hundredths of a percent: (2·n·10⁴ + d) / 2d.
            let hundredths = (2 * n * 10_000 + d) / (2 * d);
            Decimal::new(hundredths as i64, 2)
        });
        Rate { numerator, denominator, percent }
    }
}

/// A mean of whole numbers, two decimals, half away from zero.
pub fn mean(sum: u64, count: u32) -> Option<Decimal> {
    (count > 0).then(|| {
        let c = u64::from(count);
        Decimal::new(((2 * sum * 100 + c) / (2 * c)) as i64, 2)
    })
}

/// The raw counts behind one row; they add up across rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Problems received in the period.
    pub received: u32,
    /// Of those, judged for response (accepted, or past the acceptance limit).
    pub response_due: u32,
    pub responded_on_time: u32,
    /// Answers given in the period, and their working days summed.
    pub answers: u32,
    pub answer_workdays: u64,
    pub answered_resolved: u32,
    pub answered_explained: u32,
    pub answered_referred: u32,
    /// Problems closed in the period.
    pub closed: u32,
    /// Closed with the department's last answer `resolved` (its closing code).
    pub closed_resolved: u32,
    /// Closed, and the enterprise itself said solved / not solved; or it said nothing.
    pub closed_solved: u32,
    pub closed_not_solved: u32,
    pub closed_without_answer: u32,
    pub closed_rated: u32,
    pub closed_satisfied: u32,
    /// Closed after the enterprise confirmed (满意 or 基本满意): confirmed 销号.
    pub closed_confirmed: u32,
    /// Closed without confirmation (逾期未确认办结: the enterprise did not confirm within the
    /// limit); the name is the one the field had before.
    pub closed_unrated: u32,
    /// Of the closures, checked by a supervisor's spot check afterwards.
    pub closed_spot_checked: u32,
    pub closed_by_review: u32,
    pub closed_on_time: u32,
    pub closed_reopened: u32,
    /// Assignments made in the period, and of those returned or objected to.
    pub assignments: u32,
    pub returned: u32,
    pub objected: u32,
    /// Open problems with a yellow or red light at "now" (current lead department).
    pub yellow_now: u32,
    pub red_now: u32,
    pub escalated: u32,
    /// 督办 cases opened in the period (current lead), of those judged (replied, or past the
    /// reply deadline at "now") and replied by the deadline; open cases overdue at "now".
    pub escalation_cases: u32,
    pub escalation_due: u32,
    pub escalation_replied_on_time: u32,
    pub escalation_overdue_now: u32,
    /// Consultation decisions decided in the period (by owner), of those judged (done, or past
    /// their deadline at "now") and done by the deadline; open decisions of open problems
    /// overdue at "now" (the follow-ups page lists those of closed problems too).
    pub decisions: u32,
    pub decisions_due: u32,
    pub decisions_done_on_time: u32,
    pub decisions_overdue_now: u32,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.received += o.received;
        self.response_due += o.response_due;
        self.responded_on_time += o.responded_on_time;
        self.answers += o.answers;
        self.answer_workdays += o.answer_workdays;
        self.answered_resolved += o.answered_resolved;
        self.answered_explained += o.answered_explained;
        self.answered_referred += o.answered_referred;
        self.closed += o.closed;
        self.closed_resolved += o.closed_resolved;
        self.closed_solved += o.closed_solved;
        self.closed_not_solved += o.closed_not_solved;
        self.closed_without_answer += o.closed_without_answer;
        self.closed_rated += o.closed_rated;
        self.closed_satisfied += o.closed_satisfied;
        self.closed_confirmed += o.closed_confirmed;
        self.closed_unrated += o.closed_unrated;
        self.closed_spot_checked += o.closed_spot_checked;
        self.closed_by_review += o.closed_by_review;
        self.closed_on_time += o.closed_on_time;
        self.closed_reopened += o.closed_reopened;
        self.assignments += o.assignments;
        self.returned += o.returned;
        self.objected += o.objected;
        self.yellow_now += o.yellow_now;
        self.red_now += o.red_now;
        self.escalated += o.escalated;
        self.escalation_cases += o.escalation_cases;
        self.escalation_due += o.escalation_due;
        self.escalation_replied_on_time += o.escalation_replied_on_time;
        self.escalation_overdue_now += o.escalation_overdue_now;
        self.decisions += o.decisions;
        self.decisions_due += o.decisions_due;
        self.decisions_done_on_time += o.decisions_done_on_time;
        self.decisions_overdue_now += o.decisions_overdue_now;
    }
}

/// One row: a department and category (either `None` for "all").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpiRow {
    pub department: Option<String>,
    pub category: Option<String>,
    pub counts: Counts,
    pub response_rate: Rate,
    /// 解决率: the enterprise's own answer (solved) over the closures.
    pub resolution_rate: Rate,
    /// 满意率: 满意 or 基本满意 over every closure (a closure without a rating is not satisfied).
    pub satisfaction_rate: Rate,
    pub on_time_closure_rate: Rate,
    pub avg_workdays_to_answer: Option<Decimal>,
    pub reopen_rate: Rate,
    pub return_rate: Rate,
    pub objection_rate: Rate,
    /// The department's closing code `resolved` over the closures (the resolution rate before
    /// issue 11), shown beside the enterprise's word.
    pub resolved_by_department_rate: Rate,
    /// 满意 or 基本满意 among the rated closures (the satisfaction rate before issue 11).
    pub rated_satisfaction_rate: Rate,
    /// Closures without the enterprise's confirmation over all closures.
    pub unconfirmed_closure_rate: Rate,
    pub escalation_reply_rate: Rate,
    pub decision_on_time_rate: Rate,
}

impl KpiRow {
    fn from_counts(department: Option<String>, category: Option<String>, c: Counts) -> KpiRow {
        KpiRow {
            department,
            category,
            response_rate: Rate::new(c.responded_on_time, c.response_due),
            resolution_rate: Rate::new(c.closed_solved, c.closed),
            satisfaction_rate: Rate::new(c.closed_satisfied, c.closed),
            resolved_by_department_rate: Rate::new(c.closed_resolved, c.closed),
            rated_satisfaction_rate: Rate::new(c.closed_satisfied, c.closed_rated),
            unconfirmed_closure_rate: Rate::new(c.closed_unrated, c.closed),
            escalation_reply_rate: Rate::new(c.escalation_replied_on_time, c.escalation_due),
            decision_on_time_rate: Rate::new(c.decisions_done_on_time, c.decisions_due),
            on_time_closure_rate: Rate::new(c.closed_on_time, c.closed),
            avg_workdays_to_answer: mean(c.answer_workdays, c.answers),
            reopen_rate: Rate::new(c.closed_reopened, c.closed),
            return_rate: Rate::new(c.returned, c.assignments),
            objection_rate: Rate::new(c.objected, c.assignments),
            counts: c,
        }
    }
}

/// The KPIs of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpiReport {
    /// Canonical period text (`2022-05`).
    pub period: String,
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    pub as_of: DateTime<FixedOffset>,
    /// The overall row first, then per department (all categories, then each category), then
    /// per category across departments; departments and categories in code order.
    pub rows: Vec<KpiRow>,
    /// Questions answered without a problem (自助解决): an enterprise chose "this solved it" on
    /// a suggestion while typing a problem. Counted apart: never in `received` or any rate.
    pub self_service: SelfService,
}

/// The self-service answers of a period (docs/KPI.md), by the kind of what answered them
/// (`faq`, `guide`, `item`, `interpretation`, `case`, `problem`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SelfService {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
}

impl SelfService {
    /// From counts per kind (negative counts, which no store returns, count as none).
    pub fn of(counts: impl IntoIterator<Item = (String, i64)>) -> SelfService {
        let by_kind: BTreeMap<String, u64> = counts
            .into_iter()
            .map(|(k, n)| (k, u64::try_from(n).unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        SelfService { total: by_kind.values().sum(), by_kind }
    }
}

impl KpiReport {
    /// The row of a department and category (`None` for all).
    pub fn row(&self, department: Option<&str>, category: Option<&str>) -> Option<&KpiRow> {
        self.rows.iter().find(|r| r.department.as_deref() == department && r.category.as_deref() == category)
    }
}

type Key = (Option<String>, Option<String>);

struct Acc(BTreeMap<Key, Counts>);

impl Acc {
    fn add(&mut self, dept: &str, category: &str, f: impl Fn(&mut Counts)) {
        let mut c = Counts::default();
        f(&mut c);
        for key in [
            (None, None),
            (Some(dept.to_string()), None),
            (Some(dept.to_string()), Some(category.to_string())),
            (None, Some(category.to_string())),
        ] {
            self.0.entry(key).or_default().add(&c);
        }
    }
}

/// Computes the KPIs of `period` from replayed problems, judging pending items at `as_of`.
pub fn compute(problems: &[ProblemState], period: &Period, as_of: DateTime<FixedOffset>) -> KpiReport {
    let mut acc = Acc(BTreeMap::new());
    let inp = |t: DateTime<FixedOffset>| period.contains(china_date(t)) && t <= as_of;
    for s in problems {
        let cat = s.problem.category.as_str();
        // Response: received in P; judged once accepted or once the acceptance limit passed.
        if inp(s.problem.received_at) {
            let (dept, due, on_time) = match &s.accepted {
                Some((at, d, ok)) if *at <= as_of => (d.clone(), true, *ok),
                _ => {
                    let withdrawn_in_time = s.withdrawn_at.is_some_and(|w| !s.accept_clock.due.is_overdue(w));
                    (s.lead.clone(), s.accept_clock.due.is_overdue(as_of) && !withdrawn_in_time, false)
                }
            };
            acc.add(&dept, cat, |c| {
                c.received = 1;
                c.response_due = u32::from(due);
                c.responded_on_time = u32::from(due && on_time);
            });
        }
        // Answers given in P.
        for a in s.answers.iter().filter(|a| inp(a.at)) {
            acc.add(&a.department, cat, |c| {
                c.answers = 1;
                c.answer_workdays = a.workdays.max(0) as u64;
                match a.outcome {
                    Outcome::Resolved => c.answered_resolved = 1,
                    Outcome::Explained { .. } => c.answered_explained = 1,
                    Outcome::Referred { .. } => c.answered_referred = 1,
                }
            });
        }
        // Closed in P: the last closure in P of each problem.
        if let Some(cl) = s.closures.iter().rev().find(|c| inp(c.at)) {
            let answers: Vec<_> = s.answers.iter().filter(|a| a.at <= cl.at).collect();
            let all_on_time = answers.iter().all(|a| a.on_time);
            let reopened = answers.last().is_some_and(|a| a.round >= 2);
            // The enterprise's own answer: at its confirmation, or to a spot check made after this
            // closure and by `as_of`.
            let checked = s.spot_checks.iter().rev().find(|k| k.at >= cl.at && k.at <= as_of);
            let solved = checked.map(|k| k.solved).or(cl.solved);
            acc.add(&cl.department, cat, |c| {
                c.closed = 1;
                c.closed_resolved = u32::from(matches!(cl.outcome, Some(Outcome::Resolved)));
                c.closed_solved = u32::from(solved == Some(true));
                c.closed_not_solved = u32::from(solved == Some(false));
                c.closed_without_answer = u32::from(solved.is_none());
                c.closed_rated = u32::from(cl.rating.is_some());
                c.closed_satisfied = u32::from(cl.rating.is_some_and(|r| r.is_satisfied()));
                c.closed_confirmed = u32::from(cl.kind == ClosureKind::Confirmed);
                c.closed_unrated = u32::from(cl.kind == ClosureKind::Unrated);
                c.closed_spot_checked = u32::from(checked.is_some());
                c.closed_by_review = u32::from(cl.kind == ClosureKind::SupervisorReview);
                c.closed_on_time = u32::from(all_on_time);
                c.closed_reopened = u32::from(reopened);
            });
        }
        // Assignments made in P.
        for a in s.assignments.iter().filter(|a| inp(a.at)) {
            acc.add(&a.department, cat, |c| {
                c.assignments = 1;
                c.returned = u32::from(a.end == handling::AssignmentEnd::Returned);
                c.objected = u32::from(a.objected);
            });
        }
        // 督办 cases opened in P (the current lead owes the reply).
        for e in s.escalation_cases.iter().filter(|e| inp(e.opened_at)) {
            let replied = e.replied_at.filter(|t| *t <= as_of);
            let overdue = china_date(as_of) > e.reply_by;
            acc.add(&s.lead, cat, |c| {
                c.escalation_cases = 1;
                c.escalation_due = u32::from(replied.is_some() || overdue);
                c.escalation_replied_on_time =
                    u32::from(replied.is_some_and(|t| china_date(t) <= e.reply_by));
            });
        }
        // Decisions decided in P, by owner.
        for d in s.decisions.iter().filter(|d| inp(d.decided_at)) {
            let done = d.done_at.filter(|t| *t <= as_of);
            let overdue = china_date(as_of) > d.due;
            acc.add(&d.owner, cat, |c| {
                c.decisions = 1;
                c.decisions_due = u32::from(done.is_some() || overdue);
                c.decisions_done_on_time = u32::from(done.is_some_and(|t| china_date(t) <= d.due));
            });
        }
        // Follow-ups overdue now, of open problems (like the lights: every open problem's log
        // is read whatever the period, so the count does not depend on it).
        if s.state.is_open() {
            if s.escalation_cases.iter().any(|e| e.warning(as_of) == Warning::Red) {
                acc.add(&s.lead, cat, |c| c.escalation_overdue_now = 1);
            }
            for d in s.decisions.iter().filter(|d| d.warning(as_of) == Warning::Red) {
                acc.add(&d.owner, cat, |c| c.decisions_overdue_now = 1);
            }
        }
        // Lights now, for open problems (`handling::State::is_open`).
        if s.state.is_open() {
            let w = handling::warning(s, as_of);
            if w != Warning::None || s.escalations > 0 {
                acc.add(&s.lead, cat, |c| {
                    c.yellow_now = u32::from(w == Warning::Yellow);
                    c.red_now = u32::from(w == Warning::Red);
                    c.escalated = u32::from(s.escalations > 0);
                });
            }
        }
    }
    let mut rows: Vec<KpiRow> =
        acc.0.into_iter().map(|((d, c), counts)| KpiRow::from_counts(d, c, counts)).collect();
    // Overall first, then departments (all, then categories), then categories across all.
    rows.sort_by(|a, b| {
        let rank = |r: &KpiRow| match (&r.department, &r.category) {
            (None, None) => 0,
            (Some(_), _) => 1,
            (None, Some(_)) => 2,
        };
        (rank(a), &a.department, &a.category).cmp(&(rank(b), &b.department, &b.category))
    });
    if rows.is_empty() {
        rows.push(KpiRow::from_counts(None, None, Counts::default()));
    }
    KpiReport {
        period: period.to_string(),
        start: period.start,
        end: period.end,
        as_of,
        rows,
        self_service: SelfService::default(),
    }
}

/// Replays each problem's log (`(problem id, events)`, each event by the calendar in force at
/// its time) and computes the KPIs.
pub fn compute_from_logs(
    logs: &[(String, Vec<Event>)],
    cal: &dyn CalendarAt,
    period: &Period,
    as_of: DateTime<FixedOffset>,
) -> Result<KpiReport, KpiError> {
    let states = logs
        .iter()
        .map(|(id, events)| {
            handling::replay(events, cal).map_err(|source| KpiError::Replay { problem: id.clone(), source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(compute(&states, period, as_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: KpiErrorDiscriminants) -> KpiError {
        use KpiErrorDiscriminants as D;
        match d {
            D::BadPeriod => KpiError::BadPeriod { input: "2022-13".into() },
            // One inner error stands for the handling crate's (its own tests cover them all).
            D::Replay => KpiError::Replay {
                problem: "7".into(),
                source: HandlingError::BadLog { seq: 2, reason: "r".into() },
            },
        }
    }

    #[test]
    fn errors_render_in_both_languages() {
        use strum::IntoEnumIterator;
        assert!(Catalog::parse(include_str!("../messages.toml")).is_ok());
        let samples: Vec<KpiError> = KpiErrorDiscriminants::iter().map(sample).collect();
        i18n::assert_all_bilingual(&samples);
        for e in &samples {
            for lang in [Lang::Zh, Lang::En] {
                assert!(!e.render(lang).contains("kpi.") && !e.render(lang).contains("handling."));
            }
        }
    }

    #[test]
    fn rates_round_half_away_from_zero_exactly() {
        assert_eq!(Rate::new(2, 3).percent, Some(Decimal::new(6667, 2)));
        assert_eq!(Rate::new(1, 3).percent, Some(Decimal::new(3333, 2)));
        // 1/8 = 12.5 % exactly; 1/16 = 6.25 %; 1/32 = 3.125 % → 3.13 (half away from zero).
        assert_eq!(Rate::new(1, 32).percent, Some(Decimal::new(313, 2)));
        assert_eq!(Rate::new(0, 5).percent, Some(Decimal::ZERO));
        assert_eq!(Rate::new(5, 5).percent, Some(Decimal::new(10000, 2)));
        assert_eq!(Rate::new(0, 0).percent, None);
        assert_eq!(mean(7, 2), Some(Decimal::new(350, 2)));
        assert_eq!(mean(1, 8), Some(Decimal::new(13, 2)), "0.125 → 0.13");
        assert_eq!(mean(0, 0), None);
    }

    #[test]
    fn periods_parse_to_their_dates_and_print_canonically() {
        let check = |input: &str, canon: &str, start: &str, end: &str| {
            let p = Period::parse(input).unwrap();
            assert_eq!(p.to_string(), canon, "{input}");
            assert_eq!(p.start.to_string(), start, "{input}");
            assert_eq!(p.end.to_string(), end, "{input}");
        };
        check("2022-05", "2022-05", "2022-05-01", "2022-05-31");
        check("2024-02", "2024-02", "2024-02-01", "2024-02-29");
        check("2022-12", "2022-12", "2022-12-01", "2022-12-31");
        check("2022-W18", "2022-W18", "2022-05-02", "2022-05-08");
        check("2022w01", "2022-W01", "2022-01-03", "2022-01-09");
        check("2020-W53", "2020-W53", "2020-12-28", "2021-01-03");
        check("2022Q2", "2022Q2", "2022-04-01", "2022-06-30");
        check("2022-q4", "2022Q4", "2022-10-01", "2022-12-31");
        for bad in [
            "2022-13",
            "2022-00",
            "2022-W54",
            "2022-W00",
            "2022Q5",
            "2022Q0",
            "22-05",
            "2022/05",
            "",
            "2022-5",
            "2022-W",
            "二〇二二",
        ] {
            assert!(matches!(Period::parse(bad), Err(KpiError::BadPeriod { .. })), "{bad}");
        }
        assert_eq!(period_of(PeriodKind::Quarter, "2022-05-09".parse().unwrap()).to_string(), "2022Q2");
        assert_eq!(period_of(PeriodKind::Week, "2022-01-01".parse().unwrap()).to_string(), "2021-W52");
    }
}
