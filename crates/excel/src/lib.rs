//! Excel workbooks out: the problem ledger (问题台账), supervision reports, disbursement lists.
//!
//! A [`Workbook`] is a list of [`Sheet`]s, each a title, Chinese column headers and rows of
//! typed [`Cell`]s. Writing gives every sheet a bold frozen header row, an autofilter over
//! the data, sensible column widths, money as numbers with two decimals, dates as real Excel
//! dates. The document's creation time is fixed by the caller, so the same data always gives
//! the same workbook.
//!
//! [`read_back`] reads any workbook with calamine into text, as a spreadsheet program would
//! show it: golden-file tests compare that text, and it proves the file opens.
//!
//! Any stored text can be written: a cell holds at most [`MAX_CELL_CHARS`] characters (Excel's
//! limit), so a longer text is cut there with a marker ([`TRUNCATION_MARKER`]) and written
//! whole, in parts, on an extra sheet [`OVERFLOW_SHEET`] (sheet, row, column, part, text).
//! Control characters are written escaped (`_x0000_`), as Excel itself does.
//!
//! What it leaves out: which rows and columns a ledger has. Callers (the CLI, the web layer)
//! map their domain records to sheets.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatBorder};

/// The most characters a spreadsheet cell holds (Excel's limit, counted in characters as the
/// writer checks it).
pub const MAX_CELL_CHARS: usize = 32_767;

/// What ends a text cut to fit a cell; the whole text is on [`OVERFLOW_SHEET`].
pub const TRUNCATION_MARKER: &str =
    "……〔超长已截断，全文见“超长文本”表 / truncated: full text on sheet 超长文本〕";

/// The sheet that holds, in parts, every text too long for its cell.
pub const OVERFLOW_SHEET: &str = "超长文本";

/// The size of each part of a long text on [`OVERFLOW_SHEET`], in characters (half a cell, so
/// a part stays within Excel's limit even counted in UTF-16 units).
pub const OVERFLOW_PART_CHARS: usize = 16_000;

/// A typed cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Yuan, shown with two decimals and thousands separators.
    Money(Decimal),
    /// A ratio shown as a percentage with one decimal.
    Percent(Decimal),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}

/// One worksheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's tab name (at most 31 characters, no `[]:*?/\`).
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: impl Into<String>, headers: &[&str]) -> Sheet {
        Sheet {
            name: name.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
}

/// A workbook to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Workbook {
    pub title: String,
    /// Fixed creation time of the document (for reproducible files).
    pub created: NaiveDateTime,
    pub sheets: Vec<Sheet>,
}

#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum ExcelError {
    #[error("writing the workbook failed: {0}")]
    Write(String),
    #[error("reading the workbook failed: {0}")]
    Read(String),
}

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}

impl i18n::Localized for ExcelError {
    fn message(&self) -> i18n::Message {
        match self {
            ExcelError::Write(reason) => i18n::Message::new("excel.write").arg("reason", reason),
            ExcelError::Read(reason) => i18n::Message::new("excel.read").arg("reason", reason),
        }
    }
    fn catalog(&self) -> &'static i18n::Catalog {
        catalog()
    }
}

fn xl(e: rust_xlsxwriter::XlsxError) -> ExcelError {
    ExcelError::Write(e.to_string())
}

fn excel_datetime(d: NaiveDateTime) -> Result<ExcelDateTime, ExcelError> {
    let date = d.date();
    ExcelDateTime::from_ymd(date.year() as u16, date.month() as u8, date.day() as u8)
        .and_then(|x| x.and_hms(d.hour() as u16, d.minute() as u8, d.second()))
        .map_err(xl)
}

/// Display width of a string in a spreadsheet (CJK characters count double).
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

impl Workbook {
    pub fn new(title: impl Into<String>, created: NaiveDateTime) -> Workbook {
        Workbook { title: title.into(), created, sheets: Vec::new() }
    }

    /// The workbook as written: every text longer than a cell holds cut with
    /// [`TRUNCATION_MARKER`], and (when there is one) the sheet [`OVERFLOW_SHEET`] holding
    /// each such text whole, in parts of [`OVERFLOW_PART_CHARS`]: sheet, row (as the
    /// spreadsheet numbers it), column header, part `i/n`, text.
    pub fn fitted(&self) -> std::borrow::Cow<'_, Workbook> {
        let too_long = |c: &Cell| matches!(c, Cell::Text(t) if t.chars().count() > MAX_CELL_CHARS);
        if !self.sheets.iter().any(|s| s.rows.iter().flatten().any(too_long)) {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut wb = self.clone();
        let mut overflow = Sheet::new(OVERFLOW_SHEET, &["工作表", "行", "列", "段", "全文"]);
        let keep = MAX_CELL_CHARS - TRUNCATION_MARKER.chars().count();
        for sheet in &mut wb.sheets {
            for (r, row) in sheet.rows.iter_mut().enumerate() {
                for (c, cell) in row.iter_mut().enumerate() {
                    let Cell::Text(text) = cell else { continue };
                    if text.chars().count() <= MAX_CELL_CHARS {
                        continue;
                    }
                    let chars: Vec<char> = text.chars().collect();
                    let parts: Vec<String> =
                        chars.chunks(OVERFLOW_PART_CHARS).map(|p| p.iter().collect()).collect();
                    let column = sheet.headers.get(c).cloned().unwrap_or_else(|| (c + 1).to_string());
                    for (i, part) in parts.iter().enumerate() {
                        overflow.push(vec![
                            Cell::Text(sheet.name.clone()),
                            Cell::Int(r as i64 + 2),
                            Cell::Text(column.clone()),
                            Cell::Text(format!("{}/{}", i + 1, parts.len())),
                            Cell::Text(part.clone()),
                        ]);
                    }
                    let mut cut: String = chars[..keep].iter().collect();
                    cut.push_str(TRUNCATION_MARKER);
                    *text = cut;
                }
            }
        }
        wb.sheets.push(overflow);
        std::borrow::Cow::Owned(wb)
    }

    /// The workbook as `.xlsx` bytes (of [`Workbook::fitted`]: any text fits).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ExcelError> {
        self.fitted().write()
    }

    fn write(&self) -> Result<Vec<u8>, ExcelError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let props = DocProperties::new()
            .set_title(&self.title)
            .set_author("huiqi 惠企")
            .set_creation_datetime(&excel_datetime(self.created)?);
        wb.set_properties(&props);
        let header = Format::new().set_bold().set_background_color("#DDEBF7").set_border(FormatBorder::Thin);
        let money = Format::new().set_num_format("#,##0.00");
        let percent = Format::new().set_num_format("0.0%");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        for sheet in &self.sheets {
            // Rows are written in order, so each sheet streams to a temporary file instead of
            // holding every cell in memory (a payment file of a million lines took 2 GiB).
            let ws = wb.add_worksheet_with_constant_memory();
            ws.set_name(&sheet.name).map_err(xl)?;
            let mut widths: Vec<usize> = sheet.headers.iter().map(|h| width(h) + 2).collect();
            for (c, h) in sheet.headers.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, h, &header).map_err(xl)?;
            }
            for (r, row) in sheet.rows.iter().enumerate() {
                let r = (r + 1) as u32;
                for (c, cell) in row.iter().enumerate() {
                    let col = c as u16;
                    let shown = match cell {
                        Cell::Empty => 0,
                        Cell::Text(s) => {
                            ws.write_string(r, col, s).map_err(xl)?;
                            width(s).min(100)
                        }
                        Cell::Int(v) => {
                            ws.write_number(r, col, *v as f64).map_err(xl)?;
                            v.to_string().len()
                        }
                        Cell::Money(d) => {
                            let v = d.round_dp(2).to_f64().unwrap_or(0.0);
                            ws.write_number_with_format(r, col, v, &money).map_err(xl)?;
                            d.to_string().len() + 4
                        }
                        Cell::Percent(d) => {
                            ws.write_number_with_format(r, col, d.to_f64().unwrap_or(0.0), &percent)
                                .map_err(xl)?;
                            7
                        }
                        Cell::Date(d) => {
                            ws.write_datetime_with_format(
                                r,
                                col,
                                excel_datetime(d.and_time(chrono::NaiveTime::MIN))?,
                                &date,
                            )
                            .map_err(xl)?;
                            10
                        }
                        Cell::DateTime(d) => {
                            ws.write_datetime_with_format(r, col, excel_datetime(*d)?, &datetime)
                                .map_err(xl)?;
                            16
                        }
                    };
                    if let Some(w) = widths.get_mut(c) {
                        *w = (*w).max(shown + 1);
                    }
                }
            }
            for (c, w) in widths.iter().enumerate() {
                ws.set_column_width(c as u16, (*w).min(60) as f64).map_err(xl)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xl)?;
            if !sheet.headers.is_empty() {
                let last_row = sheet.rows.len().max(1) as u32;
                ws.autofilter(0, 0, last_row, (sheet.headers.len() - 1) as u16).map_err(xl)?;
            }
        }
        wb.save_to_buffer().map_err(xl)
    }
}

/// A sheet read back: its name and its rows of cell texts.
pub type SheetText = (String, Vec<Vec<String>>);

/// Reads a workbook back as text: each sheet's name and its rows, cells as a spreadsheet
/// shows them (dates as `YYYY-MM-DD`, numbers without trailing zeros).
pub fn read_back(bytes: &[u8]) -> Result<Vec<SheetText>, ExcelError> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| ExcelError::Read(e.to_string()))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|e| ExcelError::Read(e.to_string()))?;
        let rows = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|c| match c {
                        Data::Empty => String::new(),
                        Data::String(s) => s.clone(),
                        Data::Float(f) => {
                            if f.fract() == 0.0 && f.abs() < 1e15 {
                                format!("{}", *f as i64)
                            } else {
                                format!("{f}")
                            }
                        }
                        Data::Int(i) => i.to_string(),
                        Data::Bool(b) => b.to_string(),
                        Data::DateTime(d) => match d.as_datetime() {
                            Some(dt) if dt.time() == chrono::NaiveTime::MIN => {
                                dt.format("%Y-%m-%d").to_string()
                            }
                            Some(dt) => dt.format("%Y-%m-%d %H:%M").to_string(),
                            None => d.to_string(),
                        },
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        out.push((name, rows));
    }
    Ok(out)
}

/// The read-back text of a workbook as one string: `## sheet` then tab-separated rows. The
/// form golden files keep.
pub fn to_golden_text(bytes: &[u8]) -> Result<String, ExcelError> {
    let mut s = String::new();
    for (name, rows) in read_back(bytes)? {
        s.push_str(&format!("## {name}\n"));
        for r in rows {
            s.push_str(&r.join("\t"));
            s.push('\n');
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn abbreviated(text: &str) -> String {
        // Long cells as `<N chars: head … tail>`, so the golden file stays small.
        text.lines()
            .map(|line| {
                line.split('\t')
                    .map(|c| {
                        let n = c.chars().count();
                        if n <= 200 {
                            c.chars()
                                .map(|ch| {
                                    if ch.is_control() {
                                        format!("\\u{{{:x}}}", ch as u32)
                                    } else {
                                        ch.to_string()
                                    }
                                })
                                .collect()
                        } else {
                            let head: String = c.chars().take(12).collect();
                            let tail: String = c.chars().skip(n - 40).collect();
                            format!("<{n} chars: {head} … {tail}>")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    /// Any stored text can be exported: one over a cell's limit is cut with a marker and kept
    /// whole on the overflow sheet; control characters are written escaped. Golden file
    /// `tests/golden/overflow.txt` (`HUIQI_BLESS=1` rewrites it).
    #[test]
    fn any_text_fits_long_ones_are_cut_and_kept_whole_on_the_overflow_sheet() {
        let created = NaiveDate::from_ymd_opt(2022, 5, 31).unwrap().and_hms_opt(9, 0, 0).unwrap();
        let long: String = (0..40_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        let cjk = "企".repeat(MAX_CELL_CHARS);
        let mut wb = Workbook::new("测试", created);
        let mut s = Sheet::new("问题清单", &["编号", "标题", "问题描述"]);
        s.push(vec![Cell::Int(1), "NUL\u{0}与控制字符\u{1b}\u{7}".into(), long.clone().into()]);
        s.push(vec![Cell::Int(2), "正好放得下".into(), cjk.clone().into()]);
        wb.sheets.push(s);
        let bytes = wb.to_bytes().unwrap();
        let sheets = read_back(&bytes).unwrap();
        assert_eq!(sheets.len(), 2);
        let (name, rows) = &sheets[1];
        assert_eq!(name, OVERFLOW_SHEET);
        let whole: String = rows[1..].iter().map(|r| r[4].as_str()).collect();
        assert_eq!(whole, long, "the parts make the whole text");
        let cut = &sheets[0].1[1][2];
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(
            cut.ends_with(TRUNCATION_MARKER) && long.starts_with(cut.trim_end_matches(TRUNCATION_MARKER))
        );
        assert_eq!(sheets[0].1[2][2], cjk, "a text of exactly the limit is kept as it is");
        let text = abbreviated(&to_golden_text(&bytes).unwrap());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/overflow.txt");
        if std::env::var_os("HUIQI_BLESS").is_some() || !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(text, std::fs::read_to_string(&path).unwrap(), "golden file {} differs", path.display());
        // Nothing too long: written as it is, no extra sheet.
        let mut short = Workbook::new("测试", created);
        short.sheets.push(Sheet::new("a", &["x"]));
        assert!(matches!(short.fitted(), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn writes_and_reads_back_typed_cells() {
        let created = NaiveDate::from_ymd_opt(2022, 5, 31).unwrap().and_hms_opt(9, 0, 0).unwrap();
        let mut wb = Workbook::new("测试", created);
        let mut s = Sheet::new("问题清单", &["编号", "企业", "金额（元）", "受理日期", "时间", "比率", "空"]);
        s.push(vec![
            Cell::Int(1),
            "长沙麓谷智能装备有限公司".into(),
            Cell::Money(Decimal::from_str("425000.5").unwrap()),
            Cell::Date(NaiveDate::from_ymd_opt(2022, 4, 27).unwrap()),
            Cell::DateTime(NaiveDate::from_ymd_opt(2022, 4, 27).unwrap().and_hms_opt(14, 30, 0).unwrap()),
            Cell::Percent(Decimal::from_str("0.875").unwrap()),
            Cell::Empty,
        ]);
        wb.sheets.push(s);
        wb.sheets.push(Sheet::new("销号清单", &["编号"]));
        let bytes = wb.to_bytes().unwrap();
        let text = to_golden_text(&bytes).unwrap();
        assert_eq!(
            text,
            "## 问题清单\n编号\t企业\t金额（元）\t受理日期\t时间\t比率\t空\n1\t长沙麓谷智能装备有限公司\t425000.5\t2022-04-27\t2022-04-27 14:30\t0.875\t\n## 销号清单\n编号\n"
        );
        // The same data gives the same bytes.
        assert_eq!(wb.to_bytes().unwrap(), bytes);
    }

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: ExcelErrorDiscriminants) -> ExcelError {
        use ExcelErrorDiscriminants as D;
        match d {
            D::Write => ExcelError::Write("worksheet name is too long".into()),
            D::Read => ExcelError::Read("invalid zip header".into()),
        }
    }

    #[test]
    fn every_error_renders_in_both_languages() {
        use strum::IntoEnumIterator;
        assert!(i18n::Catalog::parse(include_str!("../messages.toml")).is_ok());
        i18n::assert_all_bilingual(&ExcelErrorDiscriminants::iter().map(sample).collect::<Vec<_>>());
        assert_eq!(catalog().keys().count(), ExcelErrorDiscriminants::iter().count());
    }
}
