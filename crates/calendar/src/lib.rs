//! The Chinese working-day calendar (工作日历), in civil dates of China time (Asia/Shanghai).
//!
//! A day is a working day (工作日) when it is Monday to Friday and not an official holiday
//! (法定节假日放假), or when it is a weekend day declared a working day (调休上班日,
//! `makeup_workday`). The arrangements come from the State Council's yearly notices, kept as
//! one data file per year under `data/holidays/` with the notice named in its header, and
//! embedded at build time. Adding a year is a data change: drop in `YYYY.csv` and list it in
//! [`OFFICIAL_YEARS`].
//!
//! Deliberately absent: the clock. "Today" is always passed in. A date outside the covered
//! years is an error ([`CalendarError::OutOfRange`]), never silently treated as a year
//! without holidays.
//!
//! Counting is O(1) (prefix sums over the covered days) so that batch work, deadlines for
//! every problem and waiver decisions for every arrears record, stays cheap.

use chrono::{Datelike, NaiveDate, Weekday};
use i18n::{Catalog, Localized, Message};
use std::sync::OnceLock;

/// The kind of a day on the calendar.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// Monday to Friday, no holiday.
    Workday,
    /// Saturday or Sunday, not declared a working day.
    Weekend,
    /// An official holiday (放假), with its festival.
    Holiday { festival: String },
    /// A weekend day declared a working day (调休上班), with the festival it makes up for.
    MakeupWorkday { festival: String },
}

impl DayKind {
    pub fn is_workday(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday { .. })
    }
}

/// Errors of the calendar. All are the caller's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("date {date} is outside the covered years {first}-{last}")]
    OutOfRange { date: NaiveDate, first: i32, last: i32 },
    #[error("not a date: {input}")]
    BadDate { input: String },
    /// A well-formed date outside [`SUPPORTED_DATES`] (0000-01-01, 1900-01-01, 2150-…):
    /// almost always a typo, and outside what any record of the zone can mean.
    #[error("date {date} is outside the supported range {first}..={last}")]
    Unsupported { date: NaiveDate, first: NaiveDate, last: NaiveDate },
    #[error("invalid number of working days: {n}")]
    BadCount { n: i64 },
    #[error("calendar data line {line}: {reason}")]
    BadData { line: usize, reason: String },
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Catalog::embedded(include_str!("../messages.toml")))
}

impl Localized for CalendarError {
    fn message(&self) -> Message {
        match self {
            CalendarError::OutOfRange { date, first, last } => {
                Message::new("calendar.out_of_range").arg("date", date).arg("first", first).arg("last", last)
            }
            CalendarError::BadDate { input } => Message::new("calendar.bad_date").arg("input", input),
            CalendarError::Unsupported { date, first, last } => Message::new("calendar.unsupported_date")
                .arg("date", date)
                .arg("first", first)
                .arg("last", last),
            CalendarError::BadCount { n } => Message::new("calendar.bad_count").arg("n", n),
            CalendarError::BadData { line, reason } => {
                Message::new("calendar.bad_data").arg("line", line).arg("reason", reason)
            }
        }
    }
    fn catalog(&self) -> &'static Catalog {
        catalog()
    }
}

/// The dates a user may give anywhere (a query's date, a visit's date, an evaluation date):
/// 2000-01-01 to 2099-12-31. Wide enough for every policy, problem and report of the
/// programme; narrow enough that 0000-01-01, -0001-01-01 or 1900-01-01 are refused as the
/// typos they are. Stored facts such as an establishment date come through the importer,
/// which keeps its own rules.
pub const SUPPORTED_DATES: std::ops::RangeInclusive<NaiveDate> = {
    match (NaiveDate::from_ymd_opt(2000, 1, 1), NaiveDate::from_ymd_opt(2099, 12, 31)) {
        (Some(a), Some(b)) => a..=b,
        _ => panic!("valid bounds"),
    }
};

/// Parses a civil date written `YYYY-MM-DD` (four-digit year, no sign) within
/// [`SUPPORTED_DATES`].
pub fn parse_date(input: &str) -> Result<NaiveDate, CalendarError> {
    let t = input.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let date = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .filter(|_| shaped)
        .ok_or_else(|| CalendarError::BadDate { input: input.to_string() })?;
    if !SUPPORTED_DATES.contains(&date) {
        return Err(CalendarError::Unsupported {
            date,
            first: *SUPPORTED_DATES.start(),
            last: *SUPPORTED_DATES.end(),
        });
    }
    Ok(date)
}

/// The years whose official arrangements are embedded, each with its data file.
pub const OFFICIAL_YEARS: &[(i32, &str)] = &[
    (2019, include_str!("../data/holidays/2019.csv")),
    (2020, include_str!("../data/holidays/2020.csv")),
    (2021, include_str!("../data/holidays/2021.csv")),
    (2022, include_str!("../data/holidays/2022.csv")),
    (2023, include_str!("../data/holidays/2023.csv")),
    (2024, include_str!("../data/holidays/2024.csv")),
    (2025, include_str!("../data/holidays/2025.csv")),
    (2026, include_str!("../data/holidays/2026.csv")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    None,
    Holiday(u16),
    Makeup(u16),
}

/// A working-day calendar over a contiguous range of whole years.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    first: NaiveDate,
    first_year: i32,
    last_year: i32,
    /// Per day from `first`: special arrangement, index into `festivals`.
    special: Vec<Special>,
    festivals: Vec<String>,
    /// `prefix[i]` = number of working days among days `0..i` (so `prefix.len() == days + 1`).
    prefix: Vec<u32>,
    /// Offsets (from `first`) of working days, ascending.
    workdays: Vec<u32>,
    /// Source line of each year's file (the notice), for display.
    sources: Vec<(i32, String)>,
}

impl WorkCalendar {
    /// The official calendar embedded in this crate (2019 onward).
    pub fn official() -> &'static WorkCalendar {
        static CAL: OnceLock<WorkCalendar> = OnceLock::new();
        CAL.get_or_init(|| {
            // The embedded data is checked by this crate's tests; a failure here is a build
            // defect, not something user input can cause.
            #[allow(clippy::expect_used)]
            WorkCalendar::from_year_files(OFFICIAL_YEARS).expect("embedded holiday data parses")
        })
    }

    /// Builds a calendar from consecutive years' files (`date,kind,festival` with `#`
    /// comment lines; `kind` is `holiday` or `workday`).
    pub fn from_year_files(files: &[(i32, &str)]) -> Result<WorkCalendar, CalendarError> {
        let bad = |line: usize, reason: String| CalendarError::BadData { line, reason };
        let (Some(&(first_year, _)), Some(&(last_year, _))) = (files.first(), files.last()) else {
            return Err(bad(0, "no years given".into()));
        };
        for (i, (y, _)) in files.iter().enumerate() {
            if *y != first_year + i as i32 {
                return Err(bad(0, format!("years must be consecutive; found {y}")));
            }
        }
        let first = NaiveDate::from_ymd_opt(first_year, 1, 1).ok_or_else(|| bad(0, "year".into()))?;
        let end = NaiveDate::from_ymd_opt(last_year + 1, 1, 1).ok_or_else(|| bad(0, "year".into()))?;
        let days = (end - first).num_days() as usize;
        let mut special = vec![Special::None; days];
        let mut festivals: Vec<String> = Vec::new();
        let mut sources = Vec::new();
        for (year, text) in files {
            let mut source = String::new();
            let mut header_seen = false;
            for (i, raw) in text.lines().enumerate() {
                let line_no = i + 1;
                let line = raw.trim();
                if line.is_empty() {
                    continue;
                }
                if let Some(c) = line.strip_prefix('#') {
                    if let Some(s) = c.trim().strip_prefix("来源 / source:") {
                        source = s.trim().to_string();
                    }
                    continue;
                }
                if !header_seen {
                    if line != "date,kind,festival" {
                        return Err(bad(line_no, format!("{year}: expected header date,kind,festival")));
                    }
                    header_seen = true;
                    continue;
                }
                let mut parts = line.splitn(3, ',');
                let (Some(d), Some(kind), Some(fest)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(bad(line_no, format!("{year}: expected three fields")));
                };
                let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| bad(line_no, format!("{year}: bad date {d}")))?;
                if date.year() != *year {
                    return Err(bad(line_no, format!("{year}: date {d} belongs to another year")));
                }
                let fi = match festivals.iter().position(|f| f == fest) {
                    Some(p) => p,
                    None => {
                        festivals.push(fest.to_string());
                        festivals.len() - 1
                    }
                } as u16;
                let idx = (date - first).num_days() as usize;
                let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
                special[idx] = match kind {
                    "holiday" => Special::Holiday(fi),
                    "workday" if weekend => Special::Makeup(fi),
                    "workday" => {
                        return Err(bad(
                            line_no,
                            format!(
                                "{year}: {d} is a weekday; only weekend days can be declared working days"
                            ),
                        ));
                    }
                    other => return Err(bad(line_no, format!("{year}: unknown kind {other}"))),
                };
            }
            sources.push((*year, source));
        }
        let mut prefix = Vec::with_capacity(days + 1);
        let mut workdays = Vec::new();
        prefix.push(0u32);
        let mut count = 0u32;
        for (i, s) in special.iter().enumerate() {
            let date = first + chrono::Days::new(i as u64);
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            let work = match s {
                Special::Holiday(_) => false,
                Special::Makeup(_) => true,
                Special::None => !weekend,
            };
            if work {
                count += 1;
                workdays.push(i as u32);
            }
            prefix.push(count);
        }
        Ok(WorkCalendar { first, first_year, last_year, special, festivals, prefix, workdays, sources })
    }

    /// The first and last covered years.
    pub fn years(&self) -> (i32, i32) {
        (self.first_year, self.last_year)
    }

    /// Each covered year with the notice its data comes from.
    pub fn sources(&self) -> &[(i32, String)] {
        &self.sources
    }

    fn offset(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        let off = (date - self.first).num_days();
        if off < 0 || off as usize >= self.special.len() {
            return Err(CalendarError::OutOfRange { date, first: self.first_year, last: self.last_year });
        }
        Ok(off as usize)
    }

    fn date_at(&self, offset: u32) -> NaiveDate {
        self.first + chrono::Days::new(u64::from(offset))
    }

    /// What kind of day `date` is.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, CalendarError> {
        let i = self.offset(date)?;
        Ok(match self.special[i] {
            Special::Holiday(f) => DayKind::Holiday { festival: self.festivals[f as usize].clone() },
            Special::Makeup(f) => DayKind::MakeupWorkday { festival: self.festivals[f as usize].clone() },
            Special::None if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => DayKind::Weekend,
            Special::None => DayKind::Workday,
        })
    }

    /// Whether `date` is a working day.
    pub fn is_workday(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.offset(date)?;
        Ok(self.prefix[i + 1] > self.prefix[i])
    }

    /// The `n`-th working day strictly after `date` (`n ≥ 1`). This is how a limit of `n`
    /// working days counted from a day that itself does not count (民法典 第二百零一条) ends.
    pub fn add_workdays(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            return Err(CalendarError::BadCount { n: 0 });
        }
        let i = self.offset(date)?;
        // Working days strictly before or on `date`: prefix[i + 1]. The n-th after is the
        // working day with rank prefix[i + 1] + n (1-based).
        let rank = self.prefix[i + 1] as usize + n as usize;
        match self.workdays.get(rank - 1) {
            Some(&off) => Ok(self.date_at(off)),
            None => Err(CalendarError::OutOfRange {
                date: self.date_at(self.special.len() as u32 - 1) + chrono::Days::new(1),
                first: self.first_year,
                last: self.last_year,
            }),
        }
    }

    /// The `n`-th working day strictly before `date` (`n ≥ 1`).
    pub fn sub_workdays(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            return Err(CalendarError::BadCount { n: 0 });
        }
        let i = self.offset(date)?;
        let before = self.prefix[i] as usize; // working days strictly before `date`
        if before < n as usize {
            return Err(CalendarError::OutOfRange {
                date: self.first - chrono::Days::new(1),
                first: self.first_year,
                last: self.last_year,
            });
        }
        Ok(self.date_at(self.workdays[before - n as usize]))
    }

    /// The number of working days in `(from, to]`; negative when `to` is before `from`
    /// (minus the working days in `(to, from]`).
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> Result<i64, CalendarError> {
        let a = self.offset(from)?;
        let b = self.offset(to)?;
        Ok(i64::from(self.prefix[b + 1]) - i64::from(self.prefix[a + 1]))
    }

    /// The first working day on or after `date`.
    pub fn next_workday_on_or_after(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        if self.is_workday(date)? { Ok(date) } else { self.add_workdays(date, 1) }
    }
}

#[cfg(test)]
mod tests;
