//! Reporting periods: a month (`2022-05`), an ISO week (`2022-W18`) or a quarter (`2022Q2`),
//! each a range of civil dates in China time, both ends included.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;

use crate::KpiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
}

/// A reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Period {
    pub kind: PeriodKind,
    /// The year (the ISO week-numbering year for weeks).
    pub year: i32,
    /// Week 1..=53, month 1..=12 or quarter 1..=4.
    pub number: u32,
    pub start: NaiveDate,
    /// The last day, included.
    pub end: NaiveDate,
}

impl Period {
    /// Parses `2022-05`, `2022-W18` (ISO 8601 week; `2022w18` too) or `2022Q2` (`2022-Q2`,
    /// `2022q2` too).
    pub fn parse(input: &str) -> Result<Period, KpiError> {
        let bad = || KpiError::BadPeriod { input: input.to_string() };
        let s = input.trim().to_ascii_uppercase();
        let (year, rest) = s.split_at_checked(4).ok_or_else(bad)?;
        if !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number = |t: &str| -> Result<u32, KpiError> {
            if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse().map_err(|_| bad())
        };
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        if let Some(w) = rest.strip_prefix('W') {
            let n = number(w)?;
            let start = NaiveDate::from_isoywd_opt(year, n, Weekday::Mon).ok_or_else(bad)?;
            let end = NaiveDate::from_isoywd_opt(year, n, Weekday::Sun).ok_or_else(bad)?;
            Ok(Period { kind: PeriodKind::Week, year, number: n, start, end })
        } else if let Some(q) = rest.strip_prefix('Q') {
            let n = number(q)?;
            if !(1..=4).contains(&n) {
                return Err(bad());
            }
            let start = NaiveDate::from_ymd_opt(year, 3 * n - 2, 1).ok_or_else(bad)?;
            let end = month_end(year, 3 * n).ok_or_else(bad)?;
            Ok(Period { kind: PeriodKind::Quarter, year, number: n, start, end })
        } else if input.trim().len() == 7 && input.trim().as_bytes()[4] == b'-' {
            let n = number(rest)?;
            let start = NaiveDate::from_ymd_opt(year, n, 1).ok_or_else(bad)?;
            let end = month_end(year, n).ok_or_else(bad)?;
            Ok(Period { kind: PeriodKind::Month, year, number: n, start, end })
        } else {
            Err(bad())
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    next.pred_opt()
}

impl std::fmt::Display for Period {
    /// The canonical form: `2022-05`, `2022-W18`, `2022Q2`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            PeriodKind::Week => write!(f, "{}-W{:02}", self.year, self.number),
            PeriodKind::Month => write!(f, "{}-{:02}", self.year, self.number),
            PeriodKind::Quarter => write!(f, "{}Q{}", self.year, self.number),
        }
    }
}

/// The period of a kind that contains a date (for trends: this month, last month, …).
pub fn period_of(kind: PeriodKind, d: NaiveDate) -> Period {
    let text = match kind {
        PeriodKind::Week => format!("{}-W{:02}", d.iso_week().year(), d.iso_week().week()),
        PeriodKind::Month => format!("{}-{:02}", d.year(), d.month()),
        PeriodKind::Quarter => format!("{}Q{}", d.year(), (d.month() - 1) / 3 + 1),
    };
    // Built from a valid date, so it parses; the fallback is the single day.
    Period::parse(&text).unwrap_or(Period { kind, year: d.year(), number: 0, start: d, end: d })
}
