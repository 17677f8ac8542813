//! One year's arrangement (放假与调休安排): its days off and make-up working days, where it
//! comes from, and how sure it is ([`YearStatus`]).
//!
//! A year's data is a CSV text (`date,kind,festival`, `#` comment lines, one line
//! `# 来源 / source: …` naming the notice), the shape of `data/holidays/YYYY.csv`. The same
//! text is what `huiqi calendar load FILE` reads and what the store keeps.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;

use crate::CalendarError;
use crate::statutory::{Festival, Rules, provisional_days, statutory_days};

/// How a year's arrangement is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum YearStatus {
    /// Loaded into the database from the State Council's notice (`huiqi calendar load`).
    Official,
    /// The notice's data shipped with huiqi (`data/holidays/YYYY.csv`).
    Embedded,
    /// No notice yet: the statutory holidays computed by the rules, with days in lieu and no
    /// make-up working days ([`crate::statutory`]). Every answer that depends on it says so.
    Provisional,
}

impl YearStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How pages show it.
    pub fn label_zh(self) -> &'static str {
        match self {
            YearStatus::Official => "正式（已导入通知）",
            YearStatus::Embedded => "正式（随系统发布）",
            YearStatus::Provisional => "暂定（按放假办法推算）",
        }
    }
}

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrangedKind {
    /// 放假: a day off.
    Holiday,
    /// 调休上班: a weekend day declared a working day.
    Workday,
}

/// One listed day of a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArrangedDay {
    pub date: NaiveDate,
    pub kind: ArrangedKind,
    pub festival: String,
}

/// A year's arrangement: its listed days, its status and the notice it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearArrangement {
    pub year: i32,
    pub status: YearStatus,
    /// The notice (国务院办公厅关于YYYY年部分节假日安排的通知 and its number); for a
    /// provisional year the rules it was computed by.
    pub notice: String,
    /// In date order.
    pub days: Vec<ArrangedDay>,
}

/// The comment line that names the notice.
const SOURCE_PREFIX: &str = "来源 / source:";

impl YearArrangement {
    /// Reads a year's CSV text. `year`: the year it must be (the embedded files), or `None`
    /// to take it from the dates (every date in one year). The notice is the
    /// `# 来源 / source:` line, or `notice` when given (which then wins). Errors name the line:
    /// a bad header or date, a date of another year, a day listed twice, a weekday declared a
    /// working day, an unknown kind.
    pub fn parse(
        text: &str,
        year: Option<i32>,
        notice: Option<&str>,
        status: YearStatus,
    ) -> Result<YearArrangement, CalendarError> {
        let bad = |line: usize, reason: String| CalendarError::BadData { line, reason };
        let mut source = String::new();
        let mut header_seen = false;
        let mut days: Vec<(usize, ArrangedDay)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim().trim_start_matches('\u{feff}');
            if line.is_empty() {
                continue;
            }
            if let Some(c) = line.strip_prefix('#') {
                if let Some(s) = c.trim().strip_prefix(SOURCE_PREFIX) {
                    source = s.trim().to_string();
                }
                continue;
            }
            if !header_seen {
                if line != "date,kind,festival" {
                    return Err(bad(line_no, "expected the header date,kind,festival".into()));
                }
                header_seen = true;
                continue;
            }
            let mut parts = line.splitn(3, ',');
            let (Some(d), Some(kind), Some(fest)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad(line_no, "expected three fields: date,kind,festival".into()));
            };
            let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| bad(line_no, format!("bad date {d}")))?;
            let kind = match kind.trim() {
                "holiday" => ArrangedKind::Holiday,
                "workday" if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => ArrangedKind::Workday,
                "workday" => {
                    return Err(bad(
                        line_no,
                        format!("{d} is a weekday; only weekend days can be declared working days"),
                    ));
                }
                other => return Err(bad(line_no, format!("unknown kind {other} (holiday or workday)"))),
            };
            days.push((line_no, ArrangedDay { date, kind, festival: fest.trim().to_string() }));
        }
        if !header_seen {
            return Err(bad(0, "no header date,kind,festival".into()));
        }
        let year = match (year, days.first()) {
            (Some(y), _) => y,
            (None, Some((_, d))) => d.date.year(),
            (None, None) => return Err(bad(0, "no days listed".into())),
        };
        days.sort_by_key(|(_, d)| d.date);
        for (i, (line_no, d)) in days.iter().enumerate() {
            if d.date.year() != year {
                return Err(bad(*line_no, format!("{year}: date {} belongs to another year", d.date)));
            }
            if i > 0 && days[i - 1].1.date == d.date {
                return Err(bad(*line_no, format!("{} is listed twice", d.date)));
            }
        }
        let notice = notice.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).unwrap_or(source);
        Ok(YearArrangement { year, status, notice, days: days.into_iter().map(|(_, d)| d).collect() })
    }

    /// A notice's arrangement must give every statutory day of its year off (第二条): a file
    /// that does not is another year's, or mistyped. Names the first day missing.
    pub fn check_statutory(&self) -> Result<(), CalendarError> {
        let Some(days) = statutory_days(self.year) else { return Ok(()) };
        for (date, festival) in days {
            let off = self.days.iter().any(|d| d.date == date && d.kind == ArrangedKind::Holiday);
            if !off {
                return Err(CalendarError::MissingStatutory {
                    date,
                    festival: festival.name_zh().to_string(),
                });
            }
        }
        Ok(())
    }

    /// The provisional arrangement of `year` ([`crate::statutory::provisional_days`]).
    pub fn provisional(year: i32) -> Option<YearArrangement> {
        let days = provisional_days(year)?
            .into_iter()
            .map(|p| ArrangedDay {
                date: p.date,
                kind: ArrangedKind::Holiday,
                festival: if p.in_lieu {
                    format!("{}（补假）", p.festival.name_zh())
                } else {
                    p.festival.name_zh().to_string()
                },
            })
            .collect();
        Some(YearArrangement {
            year,
            status: YearStatus::Provisional,
            notice: format!("暂定：按{}推算，尚无国务院办公厅通知", Rules::for_year(year).citation()),
            days,
        })
    }

    /// The year as a CSV text [`YearArrangement::parse`] reads back (with the notice as its
    /// `# 来源 / source:` line).
    pub fn to_csv(&self) -> String {
        let mut out = format!(
            "# {}年 放假与调休安排 / holiday and make-up workday arrangement for {}\n# {SOURCE_PREFIX} {}\ndate,kind,festival\n",
            self.year, self.year, self.notice
        );
        for d in &self.days {
            let kind = match d.kind {
                ArrangedKind::Holiday => "holiday",
                ArrangedKind::Workday => "workday",
            };
            out.push_str(&format!("{},{kind},{}\n", d.date.format("%Y-%m-%d"), d.festival));
        }
        out
    }

    /// Days off listed.
    pub fn holidays(&self) -> impl Iterator<Item = &ArrangedDay> {
        self.days.iter().filter(|d| d.kind == ArrangedKind::Holiday)
    }

    /// Make-up working days listed.
    pub fn makeup_workdays(&self) -> impl Iterator<Item = &ArrangedDay> {
        self.days.iter().filter(|d| d.kind == ArrangedKind::Workday)
    }
}

/// The festivals of 第二条, by their names in the data files.
pub fn festival_names() -> impl Iterator<Item = &'static str> {
    Festival::ALL.into_iter().map(Festival::name_zh)
}
