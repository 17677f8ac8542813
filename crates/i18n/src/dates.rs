//! The one way dates and times are shown to people (issue 14, "one date format"): in text a
//! date reads 2026年12月5日 (zh-CN) or 2026-12-05 (English), in tables and forms always
//! 2026-12-05; a time adds the hour and minute of China time. Every page, notification and
//! message that shows a date goes through these, so no raw timestamp (`2026-12-05T09:30:00+08:00`)
//! reaches a reader.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};

/// China Standard Time, +08:00 (checked at compile time).
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("+08:00 is a valid offset"),
};

fn china() -> FixedOffset {
    CHINA
}

/// 2026年12月5日: a date in running Chinese text.
pub fn date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 2026-12-05: a date in a table cell or a form field (either language).
pub fn date_table(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A date in running text, in the page's language: 2026年12月5日 or 2026-12-05.
pub fn date_text(d: NaiveDate, zh: bool) -> String {
    if zh { date_zh(d) } else { date_table(d) }
}

/// The civil date of an instant in China time.
pub fn china_date(t: DateTime<FixedOffset>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// 2026年12月5日 09:30: an instant in running Chinese text, in China time.
pub fn time_zh(t: DateTime<FixedOffset>) -> String {
    let c = t.with_timezone(&china());
    format!("{} {:02}:{:02}", date_zh(c.date_naive()), c.hour(), c.minute())
}

/// 2026-12-05 09:30: an instant in a table cell, in China time.
pub fn time_table(t: DateTime<FixedOffset>) -> String {
    let c = t.with_timezone(&china());
    format!("{} {:02}:{:02}", date_table(c.date_naive()), c.hour(), c.minute())
}

/// An RFC 3339 text as [`time_table`] writes it; text that is not RFC 3339 is shown as it is.
pub fn time_table_of(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(|_| rfc3339.to_string(), time_table)
}

/// An instant in running text, in the page's language.
pub fn time_text(t: DateTime<FixedOffset>, zh: bool) -> String {
    if zh { time_zh(t) } else { time_table(t) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_people_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default();
        assert_eq!(date_zh(d), "2026年12月5日");
        assert_eq!(date_table(d), "2026-12-05");
        assert_eq!(date_text(d, false), "2026-12-05");
        // An instant late on the 4th in UTC is the 5th in China.
        let t = DateTime::parse_from_rfc3339("2026-12-04T17:30:00Z").unwrap_or_default();
        assert_eq!(time_zh(t), "2026年12月5日 01:30");
        assert_eq!(time_table(t), "2026-12-05 01:30");
        assert_eq!(time_table_of("2026-12-04T17:30:00Z"), "2026-12-05 01:30");
        assert_eq!(time_table_of("昨天"), "昨天");
        assert_eq!(china_date(t), d);
    }
}
