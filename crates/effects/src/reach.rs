//! Reach and cost: per line of help, per policy item and per department, what was done for
//! how many enterprises in a period and what it cost, per month, split by size class and
//! industry section; per item, the enterprises found eligible but not reached.
//!
//! An enterprise counts once per group however often it was helped ("enterprises reached"),
//! beside the number of events. Money is summed exactly.

use chrono::{Datelike, NaiveDate};
use enterprise::SizeClass;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::lines::{HelpKind, Line};

/// One event of help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEvent {
    pub enterprise: i64,
    pub kind: HelpKind,
    pub line: Line,
    /// The policy item (grants, matches, notices).
    pub item: Option<String>,
    /// The department that gave it (a problem's lead department, a grant item's).
    pub department: Option<String>,
    pub on: NaiveDate,
    /// Money paid (paid grants) or decided (granted).
    pub amount: Option<Decimal>,
}

/// What the splits read of an enterprise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Segment {
    pub size: Option<SizeClass>,
    pub industry: Option<char>,
    /// The street (街道): an index into the names passed to [`reach`].
    pub street: Option<u32>,
}

/// What a group of help did in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reach {
    /// Distinct enterprises.
    pub enterprises: u64,
    pub events: u64,
    /// Money (exact yuan): paid for [`HelpKind::Paid`], decided for [`HelpKind::Granted`].
    pub amount: Decimal,
    /// Distinct enterprises per size class (`micro`, …, `unknown`).
    pub by_size: BTreeMap<String, u64>,
    /// Distinct enterprises per industry section (`C`, …, `?`).
    pub by_industry: BTreeMap<String, u64>,
    /// Distinct enterprises per month (`2026-10`).
    pub by_month: BTreeMap<String, u64>,
    /// Distinct enterprises per street (街道; `?` when the registry holds none).
    pub by_street: BTreeMap<String, u64>,
}

/// A row of the reach table: a line, an item or a department, and a kind of help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReachRow {
    pub kind: HelpKind,
    #[serde(flatten)]
    pub reach: Reach,
}

/// Per item: how many were found eligible (in any match of the period or before its end)
/// and how many of those no grant reached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ItemGap {
    pub eligible: u64,
    pub granted: u64,
    pub paid: u64,
    pub paid_amount: Decimal,
    /// Eligible, with no grant of the item decided or paid by the period's end.
    pub eligible_not_reached: u64,
}

/// The reach of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReachReport {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Per line, per kind.
    pub by_line: BTreeMap<Line, Vec<ReachRow>>,
    /// Per item, per kind.
    pub by_item: BTreeMap<String, Vec<ReachRow>>,
    /// Per department, per kind.
    pub by_department: BTreeMap<String, Vec<ReachRow>>,
    /// Distinct enterprises reached by any help (matches and notices not counted: they are
    /// information, not help given).
    pub helped_enterprises: u64,
    /// Money paid in the period (exact yuan).
    pub paid: Decimal,
    pub gaps: BTreeMap<String, ItemGap>,
}

#[derive(Default)]
struct Acc {
    enterprises: BTreeSet<i64>,
    events: u64,
    amount: Decimal,
    months: BTreeMap<String, BTreeSet<i64>>,
}

impl Acc {
    fn add(&mut self, e: &HelpEvent) {
        self.enterprises.insert(e.enterprise);
        self.events += 1;
        self.amount += e.amount.unwrap_or_default();
        self.months.entry(format!("{}-{:02}", e.on.year(), e.on.month())).or_default().insert(e.enterprise);
    }

    fn finish(self, segments: &dyn Fn(i64) -> Segment, streets: &[String]) -> Reach {
        let mut by_size = BTreeMap::new();
        let mut by_industry = BTreeMap::new();
        let mut by_street = BTreeMap::new();
        for id in &self.enterprises {
            let s = segments(*id);
            *by_size.entry(s.size.map_or("unknown", SizeClass::as_str).to_string()).or_insert(0) += 1;
            *by_industry.entry(s.industry.map_or("?".to_string(), String::from)).or_insert(0) += 1;
            let street = s.street.and_then(|k| streets.get(k as usize)).map_or("?", String::as_str);
            *by_street.entry(street.to_string()).or_insert(0) += 1;
        }
        Reach {
            enterprises: self.enterprises.len() as u64,
            events: self.events,
            amount: self.amount,
            by_size,
            by_industry,
            by_month: self.months.into_iter().map(|(m, s)| (m, s.len() as u64)).collect(),
            by_street,
        }
    }
}

fn rows<K: Ord>(
    m: BTreeMap<(K, HelpKind), Acc>,
    seg: &dyn Fn(i64) -> Segment,
    streets: &[String],
) -> BTreeMap<K, Vec<ReachRow>> {
    let mut out: BTreeMap<K, Vec<ReachRow>> = BTreeMap::new();
    for ((k, kind), acc) in m {
        out.entry(k).or_default().push(ReachRow { kind, reach: acc.finish(seg, streets) });
    }
    out
}

/// The reach of the events dated `start ..= end`. `eligible` are the (enterprise, item)
/// pairs found eligible up to `end`; `segments` gives an enterprise's size class, industry
/// and street (an index into `streets`, the streets' names).
pub fn reach(
    events: &[HelpEvent],
    start: NaiveDate,
    end: NaiveDate,
    eligible: &[(i64, String)],
    segments: &dyn Fn(i64) -> Segment,
    streets: &[String],
) -> ReachReport {
    let mut by_line: BTreeMap<(Line, HelpKind), Acc> = BTreeMap::new();
    let mut by_item: BTreeMap<(String, HelpKind), Acc> = BTreeMap::new();
    let mut by_dept: BTreeMap<(String, HelpKind), Acc> = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut paid = Decimal::ZERO;
    // Grants decided or paid by the end, per item (for the gap), whatever their date.
    let mut granted_by_end: HashMap<&str, BTreeSet<i64>> = HashMap::new();
    for e in events {
        if e.on <= end
            && matches!(e.kind, HelpKind::Granted | HelpKind::Paid)
            && let Some(item) = &e.item
        {
            granted_by_end.entry(item).or_default().insert(e.enterprise);
        }
        if e.on < start || e.on > end {
            continue;
        }
        by_line.entry((e.line, e.kind)).or_default().add(e);
        if let Some(item) = &e.item {
            by_item.entry((item.clone(), e.kind)).or_default().add(e);
        }
        if let Some(d) = &e.department {
            by_dept.entry((d.clone(), e.kind)).or_default().add(e);
        }
        if !matches!(e.kind, HelpKind::Matched | HelpKind::Informed) {
            helped.insert(e.enterprise);
        }
        if e.kind == HelpKind::Paid {
            paid += e.amount.unwrap_or_default();
        }
    }
    let mut eligible_of: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for (id, item) in eligible {
        eligible_of.entry(item).or_default().insert(*id);
    }
    let mut gaps = BTreeMap::new();
    for (item, ids) in &eligible_of {
        let reached = granted_by_end.get(item);
        let not_reached = ids.iter().filter(|id| !reached.is_some_and(|r| r.contains(id))).count();
        let of = |k: HelpKind| by_item.get(&(item.to_string(), k));
        gaps.insert(
            item.to_string(),
            ItemGap {
                eligible: ids.len() as u64,
                granted: of(HelpKind::Granted).map_or(0, |a| a.enterprises.len() as u64),
                paid: of(HelpKind::Paid).map_or(0, |a| a.enterprises.len() as u64),
                paid_amount: of(HelpKind::Paid).map_or(Decimal::ZERO, |a| a.amount),
                eligible_not_reached: not_reached as u64,
            },
        );
    }
    ReachReport {
        start,
        end,
        by_line: rows(by_line, segments, streets),
        by_item: rows(by_item, segments, streets),
        by_department: rows(by_dept, segments, streets),
        helped_enterprises: helped.len() as u64,
        paid,
        gaps,
    }
}

impl ReachReport {
    /// A line's row of a kind, if any.
    pub fn line(&self, line: Line, kind: HelpKind) -> Option<&Reach> {
        self.by_line.get(&line)?.iter().find(|r| r.kind == kind).map(|r| &r.reach)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn ev(id: i64, kind: HelpKind, on: NaiveDate, amount: Option<i64>) -> HelpEvent {
        let line = match kind {
            HelpKind::Paid | HelpKind::Granted => Line::FUNDS,
            HelpKind::Matched => Line::PRECISION,
            _ => Line::new(6).unwrap(),
        };
        HelpEvent {
            enterprise: id,
            kind,
            line,
            item: matches!(kind, HelpKind::Paid | HelpKind::Granted | HelpKind::Matched)
                .then(|| "award".into()),
            department: Some("tax_bureau".into()),
            on,
            amount: amount.map(Decimal::from),
        }
    }

    #[test]
    fn reach_counts_enterprises_once_and_sums_money_exactly() {
        let events = vec![
            ev(1, HelpKind::Granted, d(9, 1), Some(100)),
            ev(1, HelpKind::Paid, d(10, 5), Some(100)),
            ev(2, HelpKind::Paid, d(11, 5), Some(50)),
            ev(2, HelpKind::Paid, d(12, 5), Some(1)),
            ev(3, HelpKind::ProblemSolved, d(10, 9), None),
            ev(3, HelpKind::ProblemSolved, d(10, 19), None),
            ev(4, HelpKind::ProblemSolved, d(7, 1), None),
        ];
        let eligible: Vec<(i64, String)> = [1, 2, 5, 6].iter().map(|i| (*i, "award".to_string())).collect();
        let seg = |id: i64| Segment {
            size: (id % 2 == 0).then_some(SizeClass::Small),
            industry: Some('C'),
            street: (id == 1).then_some(0),
        };
        let streets = vec!["麓谷街道".to_string()];
        let r = reach(&events, d(10, 1), d(12, 31), &eligible, &seg, &streets);
        let paid = r.line(Line::FUNDS, HelpKind::Paid).unwrap();
        assert_eq!((paid.enterprises, paid.events, paid.amount), (2, 3, Decimal::from(151)));
        assert_eq!(paid.by_size.get("small"), Some(&1));
        assert_eq!(paid.by_size.get("unknown"), Some(&1));
        assert_eq!(paid.by_month.get("2026-11"), Some(&1));
        assert_eq!(paid.by_street.get("麓谷街道"), Some(&1));
        assert_eq!(paid.by_street.get("?"), Some(&1), "enterprise 2 has no street");
        assert!(
            r.line(Line::FUNDS, HelpKind::Granted).is_none(),
            "granted in September: outside the quarter"
        );
        let solved = r.line(Line::new(6).unwrap(), HelpKind::ProblemSolved).unwrap();
        assert_eq!((solved.enterprises, solved.events), (1, 2));
        assert_eq!(r.helped_enterprises, 3);
        assert_eq!(r.paid, Decimal::from(151));
        let gap = &r.gaps["award"];
        assert_eq!((gap.eligible, gap.paid, gap.eligible_not_reached), (4, 2, 2));
        assert_eq!(gap.paid_amount, Decimal::from(151));
        assert_eq!(r.by_department["tax_bureau"].len(), 2, "paid and problems solved");
    }
}
