//! Cell values: what a CSV field, an XLSX cell or a JSON value holds, and how each column
//! type reads it.
//!
//! Money is read from text into an exact `Decimal`, never through a float. An XLSX numeric
//! cell is an `f64` already; it is turned into its shortest round-trip decimal text
//! (`format!("{}", f)`, so `0.1` stays `0.1`) and then read like typed text.

use chrono::NaiveDate;
use enterprise::{FactDef, FactSource, FactType, FactValue, TaxCreditRating, TaxpayerType};
use i18n::Message;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::str::FromStr;

/// One cell of a row, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    Empty,
    Text(&'a str),
    /// An XLSX numeric cell.
    Number(f64),
    Int(i64),
    Bool(bool),
    /// An XLSX date cell.
    Date(Option<NaiveDate>),
    /// An XLSX error value such as `#N/A`.
    Error,
}

pub(crate) type CellResult<T> = Result<T, Message>;

impl Cell<'_> {
    /// Empty or only whitespace: unknown, never zero.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as the user would read it, for error reports: text cut to 64 characters
    /// and "…" (`i18n::suggest::shown`), so that a file of long bad cells does not hold
    /// every long cell a second time in its error list.
    pub(crate) fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => i18n::suggest::shown(s).into_owned(),
            Cell::Number(f) => format!("{f}"),
            Cell::Int(i) => i.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(Some(d)) => d.to_string(),
            Cell::Date(None) => "(date)".into(),
            Cell::Error => "#ERROR".into(),
        }
    }

    /// The cell as text: numbers in their shortest round-trip form.
    pub(crate) fn text(&self) -> CellResult<Cow<'_, str>> {
        Ok(match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s.trim()),
            Cell::Number(f) => Cow::Owned(format!("{f}")),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Bool(b) => Cow::Owned(b.to_string()),
            Cell::Date(Some(d)) => Cow::Owned(d.to_string()),
            Cell::Date(None) => return Err(Message::new("import.date")),
            Cell::Error => return Err(Message::new("import.cell_error")),
        })
    }
}

pub(crate) fn boolean(c: &Cell) -> CellResult<bool> {
    let bad = || Message::new("import.bool");
    match c {
        Cell::Bool(b) => Ok(*b),
        Cell::Int(0) => Ok(false),
        Cell::Int(1) => Ok(true),
        Cell::Number(f) if *f == 0.0 => Ok(false),
        Cell::Number(f) if *f == 1.0 => Ok(true),
        Cell::Text(s) => {
            let s = s.trim();
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("yes") || s.eq_ignore_ascii_case("y")
            {
                return Ok(true);
            }
            if s.eq_ignore_ascii_case("false") || s.eq_ignore_ascii_case("no") || s.eq_ignore_ascii_case("n")
            {
                return Ok(false);
            }
            match s {
                "是" | "1" => Ok(true),
                "否" | "0" => Ok(false),
                _ => Err(bad()),
            }
        }
        Cell::Error => Err(Message::new("import.cell_error")),
        _ => Err(bad()),
    }
}

/// `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY年M月D日`, an ISO date-time's date, or a date cell.
pub(crate) fn date(c: &Cell) -> CellResult<NaiveDate> {
    match c {
        Cell::Date(Some(d)) => Ok(*d),
        Cell::Number(_) | Cell::Int(_) => Err(Message::new("import.date_number")),
        Cell::Error => Err(Message::new("import.cell_error")),
        Cell::Text(s) => parse_date_text(s.trim()).ok_or_else(|| Message::new("import.date")),
        _ => Err(Message::new("import.date")),
    }
}

pub(crate) fn parse_date_text(s: &str) -> Option<NaiveDate> {
    // An ISO date-time ("2021-03-04T00:00:00") keeps its date.
    let s = match s.find(['T', ' ']) {
        Some(i) if i == 10 => &s[..i],
        _ => s,
    };
    if let Some(d) = parse_ymd(s) {
        return Some(d);
    }
    NaiveDate::parse_from_str(s, "%Y年%m月%d日").ok()
}

/// `YYYY-M-D` or `YYYY/M/D` (one or two digits for month and day), without chrono's
/// format-string machinery: this runs once per row.
fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let sep = if s.contains('-') { '-' } else { '/' };
    let mut parts = s.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
        || ![y, m, d].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Removes thousands separators (`1,234,567.89`, also full-width `，`) after checking they
/// group by three; `None` when they are misplaced.
fn strip_thousands(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains([',', '，']) {
        return Some(Cow::Borrowed(s));
    }
    let (int, frac) = match s.find('.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    if frac.contains([',', '，']) {
        return None;
    }
    let unsigned = int.strip_prefix(['-', '+']).unwrap_or(int);
    let groups: Vec<&str> = unsigned.split([',', '，']).collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
        return None;
    }
    Some(Cow::Owned(s.replace([',', '，'], "")))
}

fn decimal_of(c: &Cell) -> Result<Decimal, ()> {
    match c {
        Cell::Int(i) => Ok(Decimal::from(*i)),
        Cell::Number(f) if f.is_finite() => Decimal::from_str(&format!("{f}")).map_err(|_| ()),
        Cell::Text(s) => {
            let t = s.trim();
            let cleaned = strip_thousands(t).ok_or(())?;
            if cleaned.contains(['e', 'E', '_']) {
                return Err(());
            }
            Decimal::from_str(&cleaned).map_err(|_| ())
        }
        _ => Err(()),
    }
}

/// Exact yuan, at most two decimals (fen).
pub(crate) fn money(c: &Cell) -> CellResult<Decimal> {
    if matches!(c, Cell::Error) {
        return Err(Message::new("import.cell_error"));
    }
    let d = decimal_of(c).map_err(|_| Message::new("import.money"))?;
    let d2 = d.normalize();
    if d2.scale() > 2 {
        return Err(Message::new("import.money_scale").arg("scale", d2.scale()));
    }
    Ok(d)
}

pub(crate) fn ratio(c: &Cell) -> CellResult<Decimal> {
    if matches!(c, Cell::Error) {
        return Err(Message::new("import.cell_error"));
    }
    decimal_of(c).map_err(|_| Message::new("import.decimal"))
}

/// A whole number; `12.5` and `1e3` are refused, `12.0` in a numeric XLSX cell is 12.
pub(crate) fn integer(c: &Cell) -> CellResult<i64> {
    let bad = || Message::new("import.integer");
    match c {
        Cell::Int(i) => Ok(*i),
        Cell::Number(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
        Cell::Text(s) => {
            let t = s.trim();
            let cleaned = strip_thousands(t).ok_or_else(bad)?;
            cleaned.parse::<i64>().map_err(|_| bad())
        }
        Cell::Error => Err(Message::new("import.cell_error")),
        _ => Err(bad()),
    }
}

pub(crate) fn year(c: &Cell) -> CellResult<i32> {
    let y = match c {
        Cell::Text(s) => {
            let t = s.trim();
            t.strip_suffix('年').unwrap_or(t).trim().parse::<i32>().ok()
        }
        _ => integer(c).ok().and_then(|i| i32::try_from(i).ok()),
    };
    match y {
        Some(y) if (1900..=2100).contains(&y) => Ok(y),
        _ => Err(Message::new("import.year")),
    }
}

pub(crate) fn taxpayer_type(c: &Cell) -> CellResult<TaxpayerType> {
    let t = c.text()?;
    TaxpayerType::parse(&t.to_ascii_lowercase()).ok_or_else(|| Message::new("import.taxpayer_type"))
}

pub(crate) fn rating(c: &Cell) -> CellResult<TaxCreditRating> {
    let t = c.text()?;
    TaxCreditRating::parse(&t).ok_or_else(|| Message::new("import.rating"))
}

pub(crate) fn source(c: &Cell) -> CellResult<FactSource> {
    let t = c.text()?;
    match FactSource::parse(&t.to_ascii_lowercase()) {
        Some(FactSource::Derived) | None => Err(Message::new("import.source")),
        Some(s) => Ok(s),
    }
}

/// Tags separated by `;`, `；`, `、`, `,` or `，`; duplicates and blanks dropped.
pub(crate) fn tags(c: &Cell) -> CellResult<BTreeSet<String>> {
    let t = c.text()?;
    Ok(t.split([';', '；', ',', '，', '、'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect())
}

/// A dictionary fact of any type.
pub(crate) fn fact(def: &FactDef, c: &Cell) -> CellResult<FactValue> {
    Ok(match def.ty {
        FactType::Bool => FactValue::Bool(boolean(c)?),
        FactType::Integer => FactValue::Integer(integer(c)?),
        FactType::Money => FactValue::Money(money(c)?),
        FactType::Ratio => FactValue::Ratio(ratio(c)?),
        FactType::Date => FactValue::Date(date(c)?),
        FactType::Tags => FactValue::Tags(tags(c)?),
        FactType::Text => FactValue::Text(c.text()?.into_owned()),
        FactType::Code => {
            let t = c.text()?;
            if def.codes.is_empty() || def.codes.iter().any(|d| d.code == *t) {
                FactValue::Code(t.into_owned())
            } else if let Some(d) = def.codes.iter().find(|d| d.zh == *t) {
                FactValue::Code(d.code.clone())
            } else {
                let allowed: Vec<String> =
                    def.codes.iter().map(|d| format!("{} ({})", d.code, d.zh)).collect();
                return Err(Message::new("import.code").arg("allowed", allowed.join(", ")));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_is_exact_from_text_and_from_floats() {
        assert_eq!(money(&Cell::Text("1,234,567.89")), Ok(dec("1234567.89")));
        assert_eq!(money(&Cell::Text("-0.30")), Ok(dec("-0.30")));
        assert_eq!(money(&Cell::Number(0.1 + 0.2)).map_err(|m| m.key), Err("import.money_scale"));
        assert_eq!(money(&Cell::Number(0.3)), Ok(dec("0.3")));
        // Excel keeps 15 significant digits; within them the shortest form is the typed one.
        assert_eq!(money(&Cell::Number(123456789012.34)), Ok(dec("123456789012.34")));
        assert_eq!(money(&Cell::Text("1.005")).map_err(|m| m.key), Err("import.money_scale"));
        assert_eq!(money(&Cell::Text("1.500")), Ok(dec("1.5")));
        for bad in ["1,23", "12,345,67", "1e5", "abc", "1.2.3", "1,234.5,6"] {
            assert_eq!(money(&Cell::Text(bad)).map_err(|m| m.key), Err("import.money"), "{bad}");
        }
    }

    #[test]
    fn integers_refuse_fractions() {
        assert_eq!(integer(&Cell::Text("1,200")), Ok(1200));
        assert_eq!(integer(&Cell::Number(35.0)), Ok(35));
        assert!(integer(&Cell::Number(35.5)).is_err());
        assert!(integer(&Cell::Text("35.0")).is_err());
    }

    #[test]
    fn dates_in_several_spellings() {
        let d = NaiveDate::from_ymd_opt(2019, 3, 5);
        for s in ["2019-03-05", "2019/3/5", "2019年3月5日", "2019-03-05T00:00:00"] {
            assert_eq!(date(&Cell::Text(s)).ok(), d, "{s}");
        }
        assert_eq!(date(&Cell::Number(43529.0)).map_err(|m| m.key), Err("import.date_number"));
        assert!(date(&Cell::Text("2019-02-30")).is_err());
    }

    #[test]
    fn booleans_in_both_languages() {
        for (s, b) in
            [("是", true), ("否", false), ("TRUE", true), ("false", false), ("1", true), ("0", false)]
        {
            assert_eq!(boolean(&Cell::Text(s)), Ok(b));
        }
        assert!(boolean(&Cell::Text("在")).is_err());
    }
}
