//! The Chinese working-day calendar (工作日历), in civil dates of China time (Asia/Shanghai).
//!
//! A day is a working day (工作日) when it is Monday to Friday and not an official holiday
//! (法定节假日放假), or when it is a weekend day declared a working day (调休上班日,
//! `makeup_workday`). The arrangements come from the State Council's yearly notices, kept as
//! one data file per year under `data/holidays/` with the notice named in its header, and
//! embedded at build time ([`OFFICIAL_YEARS`], status [`YearStatus::Embedded`]).
//!
//! The calendar never runs out: a year without a notice is **provisional**
//! ([`YearStatus::Provisional`]): its statutory holidays are computed by the national holiday
//! rules on the lunar calendar and the solar terms ([`statutory`]), with the days in lieu
//! they give and no make-up working days. [`WorkCalendar::standard`] covers
//! [`FIRST_YEAR`]..=[`LAST_YEAR`] so; every answer tells whether it depends on a provisional
//! year ([`WorkCalendar::provisional_years`]). A notice loaded later replaces its year
//! ([`YearArrangement`], status [`YearStatus::Official`]); the zone's calendar over time is
//! [`Calendars`], which says which arrangement was in force at any moment ([`CalendarAt`]).
//!
//! Deliberately absent: the clock and the database. "Today" is always passed in, and loaded
//! years come in as data. A date outside the covered years is an error
//! ([`CalendarError::OutOfRange`]), never silently treated as a year without holidays.
//!
//! Counting is O(1) (prefix sums over the covered days) so that batch work, deadlines for
//! every problem and waiver decisions for every arrears record, stays cheap.

use chrono::{Datelike, NaiveDate, Weekday};
use i18n::{Catalog, Localized, Message};
use std::sync::{Arc, OnceLock};

pub mod arrangement;
pub mod editions;
pub mod statutory;

pub use arrangement::{ArrangedDay, ArrangedKind, YearArrangement, YearStatus};
pub use editions::{CalendarAt, Calendars, Edition, LoadedYear};

/// The first year the calendar covers (the first embedded notice).
pub const FIRST_YEAR: i32 = 2019;
/// The last year the calendar covers: the lunar tables end in 2100, and a limit counted from
/// the last supported date (2099-12-31) ends early in 2100.
pub const LAST_YEAR: i32 = 2100;

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
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
    /// A notice's arrangement that does not give a statutory day off: another year's file, or
    /// a typo.
    #[error("{date} ({festival}) is a statutory holiday but the arrangement does not give it off")]
    MissingStatutory { date: NaiveDate, festival: String },
    /// A year outside [`FIRST_YEAR`]..=[`LAST_YEAR`] cannot be loaded.
    #[error("year {year} is outside {first}-{last}")]
    YearNotCovered { year: i32, first: i32, last: i32 },
    /// An official year needs the notice it transcribes.
    #[error("no notice named for {year}")]
    NoNotice { year: i32 },
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
            CalendarError::MissingStatutory { date, festival } => {
                Message::new("calendar.missing_statutory").arg("date", date).arg("festival", festival)
            }
            CalendarError::YearNotCovered { year, first, last } => Message::new("calendar.year_not_covered")
                .arg("year", year)
                .arg("first", first)
                .arg("last", last),
            CalendarError::NoNotice { year } => Message::new("calendar.no_notice").arg("year", year),
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

/// A covered year: how its arrangement is known and the notice it comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct YearInfo {
    pub year: i32,
    pub status: YearStatus,
    pub notice: String,
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
    /// Each covered year's status, in year order.
    years: Vec<YearInfo>,
}

impl WorkCalendar {
    /// The official calendar embedded in this crate: the years of [`OFFICIAL_YEARS`] only
    /// (2019–2026), every other date out of range. What the tests of fixed past dates use;
    /// the zone works with [`WorkCalendar::standard`] and the years loaded after it
    /// ([`Calendars`]).
    pub fn official() -> &'static WorkCalendar {
        static CAL: OnceLock<WorkCalendar> = OnceLock::new();
        CAL.get_or_init(|| {
            // The embedded data is checked by this crate's tests; a failure here is a build
            // defect, not something user input can cause.
            #[allow(clippy::expect_used)]
            WorkCalendar::from_year_files(OFFICIAL_YEARS).expect("embedded holiday data parses")
        })
    }

    /// The embedded official years and every other year from [`FIRST_YEAR`] to [`LAST_YEAR`]
    /// provisional: the calendar of a zone that has loaded no notice.
    pub fn standard() -> &'static WorkCalendar {
        WorkCalendar::standard_arc()
    }

    /// [`WorkCalendar::standard`], shared.
    pub fn standard_arc() -> &'static Arc<WorkCalendar> {
        static CAL: OnceLock<Arc<WorkCalendar>> = OnceLock::new();
        CAL.get_or_init(|| {
            // Built from the embedded files (tested) and computed years (tested for every
            // covered year): a failure is a build defect.
            #[allow(clippy::expect_used)]
            Arc::new(
                WorkCalendar::from_arrangements(WorkCalendar::standard_arrangements())
                    .expect("embedded and provisional years build a calendar"),
            )
        })
    }

    /// The arrangements of [`WorkCalendar::standard`], one per year in order.
    pub fn standard_arrangements() -> &'static [YearArrangement] {
        static YEARS: OnceLock<Vec<YearArrangement>> = OnceLock::new();
        YEARS.get_or_init(|| {
            (FIRST_YEAR..=LAST_YEAR)
                .filter_map(|y| match OFFICIAL_YEARS.iter().find(|(oy, _)| *oy == y) {
                    Some((_, text)) => YearArrangement::parse(text, Some(y), None, YearStatus::Embedded).ok(),
                    None => YearArrangement::provisional(y),
                })
                .collect()
        })
    }

    /// Builds a calendar from consecutive years' files (`date,kind,festival` with `#`
    /// comment lines; `kind` is `holiday` or `workday`), each an embedded notice.
    pub fn from_year_files(files: &[(i32, &str)]) -> Result<WorkCalendar, CalendarError> {
        let years = files
            .iter()
            .map(|(y, text)| YearArrangement::parse(text, Some(*y), None, YearStatus::Embedded))
            .collect::<Result<Vec<_>, _>>()?;
        WorkCalendar::from_arrangements(&years)
    }

    /// Builds a calendar from consecutive years' arrangements.
    pub fn from_arrangements(years: &[YearArrangement]) -> Result<WorkCalendar, CalendarError> {
        let bad = |line: usize, reason: String| CalendarError::BadData { line, reason };
        let (Some(first_a), Some(last_a)) = (years.first(), years.last()) else {
            return Err(bad(0, "no years given".into()));
        };
        let (first_year, last_year) = (first_a.year, last_a.year);
        for (i, a) in years.iter().enumerate() {
            if a.year != first_year + i as i32 {
                return Err(bad(0, format!("years must be consecutive; found {}", a.year)));
            }
        }
        let first = NaiveDate::from_ymd_opt(first_year, 1, 1).ok_or_else(|| bad(0, "year".into()))?;
        let end = NaiveDate::from_ymd_opt(last_year + 1, 1, 1).ok_or_else(|| bad(0, "year".into()))?;
        let days = (end - first).num_days() as usize;
        let mut special = vec![Special::None; days];
        let mut festivals: Vec<String> = Vec::new();
        let mut sources = Vec::new();
        let mut infos = Vec::new();
        for a in years {
            for d in &a.days {
                if d.date.year() != a.year {
                    return Err(bad(0, format!("{}: date {} belongs to another year", a.year, d.date)));
                }
                let fi = match festivals.iter().position(|f| *f == d.festival) {
                    Some(p) => p,
                    None => {
                        festivals.push(d.festival.clone());
                        festivals.len() - 1
                    }
                } as u16;
                let idx = (d.date - first).num_days() as usize;
                let weekend = matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun);
                special[idx] = match d.kind {
                    ArrangedKind::Holiday => Special::Holiday(fi),
                    ArrangedKind::Workday if weekend => Special::Makeup(fi),
                    ArrangedKind::Workday => {
                        return Err(bad(
                            0,
                            format!(
                                "{}: {} is a weekday; only weekend days can be declared working days",
                                a.year, d.date
                            ),
                        ));
                    }
                };
            }
            sources.push((a.year, a.notice.clone()));
            infos.push(YearInfo { year: a.year, status: a.status, notice: a.notice.clone() });
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
        Ok(WorkCalendar {
            first,
            first_year,
            last_year,
            special,
            festivals,
            prefix,
            workdays,
            sources,
            years: infos,
        })
    }

    /// Each covered year with its status and notice, in year order.
    pub fn year_infos(&self) -> &[YearInfo] {
        &self.years
    }

    /// A covered year's status and notice.
    pub fn year_info(&self, year: i32) -> Option<&YearInfo> {
        usize::try_from(year - self.first_year).ok().and_then(|i| self.years.get(i))
    }

    /// The provisional years among those `a` and `b` span (either order, both included):
    /// empty when an answer about those dates rests on notices alone.
    pub fn provisional_years(&self, a: NaiveDate, b: NaiveDate) -> Vec<i32> {
        let (lo, hi) = if a <= b { (a.year(), b.year()) } else { (b.year(), a.year()) };
        (lo..=hi)
            .filter(|y| self.year_info(*y).is_some_and(|i| i.status == YearStatus::Provisional))
            .collect()
    }

    /// Whether an answer about the dates from `a` to `b` rests on a provisional year.
    pub fn is_provisional(&self, a: NaiveDate, b: NaiveDate) -> bool {
        !self.provisional_years(a, b).is_empty()
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

/// The stored and printed names of the crate's enums: derived once (strum), each read back to
/// its own variant, and equal to the name serde writes where the enum is serialised.
#[cfg(test)]
mod enum_names {
    use i18n::assert_names_round_trip as round_trip;

    #[test]
    fn every_name_reads_back_to_its_variant() {
        round_trip::<crate::YearStatus>("YearStatus");
    }
}
