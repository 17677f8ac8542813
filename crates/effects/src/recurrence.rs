//! Problems that come back: per category and per (closing) department, of the problems
//! closed in a period, how many were reopened for second handling (二次办理) and how many
//! came back: the same enterprise raised a problem of the same category within
//! [`RECUR_DAYS`] days after the closure. And the governance items (治理事项) of common
//! problems closed in the period.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A problem raised again within this many days after a closure counts as coming back.
pub const RECUR_DAYS: i64 = 180;

/// What the measures read of one problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemFacts {
    pub id: i64,
    /// The enterprise (its credit code).
    pub enterprise: String,
    pub category: String,
    pub received: NaiveDate,
    /// The last closure (date and the lead department then), if closed.
    pub closed: Option<(NaiveDate, String)>,
    /// It had second handling (a reopen).
    pub reopened: bool,
}

/// Counts of one category or department.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recurrence {
    pub closed: u64,
    pub reopened: u64,
    pub came_back: u64,
    /// Percent, one decimal; `None` when nothing was closed.
    pub reopen_rate: Option<Decimal>,
    pub came_back_rate: Option<Decimal>,
}

/// A governance item as the report reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GovernanceFacts {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due: NaiveDate,
    pub members: u64,
    pub closed_on: Option<NaiveDate>,
}

/// A governance item closed in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GovernanceClosed {
    #[serde(flatten)]
    pub item: GovernanceFacts,
    pub on_time: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecurrenceReport {
    pub overall: Recurrence,
    pub by_category: BTreeMap<String, Recurrence>,
    pub by_department: BTreeMap<String, Recurrence>,
    pub governance_closed: Vec<GovernanceClosed>,
    /// Problems the closed governance items covered.
    pub governance_problems: u64,
}

/// Percent `n/d` to one decimal (exact, half away from zero), `None` for `d = 0`.
pub fn percent(n: u64, d: u64) -> Option<Decimal> {
    (d > 0).then(|| {
        (Decimal::from(n) * Decimal::from(100) / Decimal::from(d))
            .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    })
}

fn finish(mut r: Recurrence) -> Recurrence {
    r.reopen_rate = percent(r.reopened, r.closed);
    r.came_back_rate = percent(r.came_back, r.closed);
    r
}

/// The measures for the problems closed `start ..= end` (every problem is read for the
/// "came back" test, whenever received).
pub fn recurrence(
    problems: &[ProblemFacts],
    governance: &[GovernanceFacts],
    start: NaiveDate,
    end: NaiveDate,
) -> RecurrenceReport {
    let mut raised: HashMap<(&str, &str), Vec<(NaiveDate, i64)>> = HashMap::new();
    for p in problems {
        raised.entry((&p.enterprise, &p.category)).or_default().push((p.received, p.id));
    }
    let mut out = RecurrenceReport::default();
    for p in problems {
        let Some((closed, dept)) = &p.closed else { continue };
        if *closed < start || *closed > end {
            continue;
        }
        let came_back = raised.get(&(p.enterprise.as_str(), p.category.as_str())).is_some_and(|v| {
            v.iter().any(|(d, id)| *id != p.id && *d >= *closed && (*d - *closed).num_days() <= RECUR_DAYS)
        });
        for r in [
            &mut out.overall,
            out.by_category.entry(p.category.clone()).or_default(),
            out.by_department.entry(dept.clone()).or_default(),
        ] {
            r.closed += 1;
            r.reopened += u64::from(p.reopened);
            r.came_back += u64::from(came_back);
        }
    }
    out.overall = finish(out.overall);
    out.by_category = out.by_category.into_iter().map(|(k, v)| (k, finish(v))).collect();
    out.by_department = out.by_department.into_iter().map(|(k, v)| (k, finish(v))).collect();
    for g in governance {
        if let Some(on) = g.closed_on.filter(|d| *d >= start && *d <= end) {
            out.governance_problems += g.members;
            out.governance_closed.push(GovernanceClosed { item: g.clone(), on_time: on <= g.due });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn p(
        id: i64,
        e: &str,
        cat: &str,
        received: NaiveDate,
        closed: Option<NaiveDate>,
        reopened: bool,
    ) -> ProblemFacts {
        ProblemFacts {
            id,
            enterprise: e.into(),
            category: cat.into(),
            received,
            closed: closed.map(|c| (c, "tax_bureau".into())),
            reopened,
        }
    }

    #[test]
    fn problems_that_come_back_are_counted_per_category_and_department() {
        let problems = vec![
            p(1, "A", "tax", d(1, 5), Some(d(10, 10)), false),
            p(2, "A", "tax", d(11, 1), None, false),    // 1 came back
            p(3, "A", "talent", d(12, 1), None, false), // another category: not 1 again
            p(4, "B", "tax", d(9, 1), Some(d(11, 20)), true),
            p(5, "B", "tax", d(8, 1), None, false), // raised before 4 closed: not back
            p(6, "C", "tax", d(9, 1), Some(d(8, 20)), false), // closed before the quarter
        ];
        let gov = vec![
            GovernanceFacts {
                id: 1,
                title: "园区停车难".into(),
                owner: "x".into(),
                due: d(11, 30),
                members: 4,
                closed_on: Some(d(11, 2)),
            },
            GovernanceFacts {
                id: 2,
                title: "open".into(),
                owner: "x".into(),
                due: d(11, 30),
                members: 2,
                closed_on: None,
            },
            GovernanceFacts {
                id: 3,
                title: "late".into(),
                owner: "x".into(),
                due: d(10, 1),
                members: 3,
                closed_on: Some(d(12, 2)),
            },
        ];
        let r = recurrence(&problems, &gov, d(10, 1), d(12, 31));
        assert_eq!((r.overall.closed, r.overall.reopened, r.overall.came_back), (2, 1, 1));
        assert_eq!(r.overall.came_back_rate, Some(Decimal::new(500, 1)));
        assert_eq!(r.by_category["tax"].closed, 2);
        assert_eq!(r.by_department["tax_bureau"].reopened, 1);
        assert_eq!(r.governance_closed.len(), 2);
        assert_eq!(r.governance_problems, 7);
        assert!(r.governance_closed[0].on_time && !r.governance_closed[1].on_time);
        assert_eq!(percent(1, 3), Some(Decimal::new(333, 1)));
        assert_eq!(percent(0, 0), None);
    }
}
