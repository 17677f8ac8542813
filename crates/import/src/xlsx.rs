//! The XLSX reader: the first worksheet read as a stream of cells, within stated limits.
//!
//! A workbook is a zip archive of XML parts. Before calamine opens it, [`inspect`] inflates
//! every part once, into nothing, counting: all parts together may inflate to at most
//! [`MAX_INFLATED`] bytes, the shared strings (which calamine keeps in memory whole) to
//! [`MAX_SHARED_STRINGS`], and no stretch of XML between two `<` may exceed [`MAX_RUN`]
//! (calamine buffers a text or a tag whole; Excel's own cells hold at most 32,767
//! characters). Then the sheet is read cell by cell (`worksheet_cells_reader`), never as a
//! rectangle: memory follows the cells present, not the addresses they claim, so one cell
//! at `XFD1048576` costs one cell. Cells with a value must lie within [`MAX_ROWS`] rows and
//! [`MAX_COLUMNS`] columns (`A1:IV1048576`), and rows must come in order, as Excel writes
//! them. Empty cells anywhere are skipped.
//!
//! calamine panics on some damaged workbooks (a shared-string index out of range); every
//! call into it runs under `catch_unwind` with this thread's panic message silenced, and a
//! panic is reported as [`ImportError::Damaged`]. The silencing hook is installed once per
//! process and passes every other panic (other threads, or this one outside the reader) to
//! the hook it replaced. In debug builds calamine's own arithmetic on addresses would
//! panic on overflow where a release build wraps; the workspace compiles calamine without
//! overflow checks in every profile (`Cargo.toml`), so both builds read a file alike.

use crate::builder::{Builder, RowCells};
use crate::cells::Cell;
use crate::columns::{Column, Kind, Names, map_header};
use crate::error::ImportError;
use crate::{Format, Options, PROGRESS_EVERY, Parsed, Progress};
use calamine::{DataRef, Reader, Xlsx, XlsxError};
use chrono::NaiveDate;
use enterprise::FactDictionary;
use std::cell::Cell as StdCell;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The last row a cell with a value may be in: Excel's own limit.
pub const MAX_ROWS: u32 = 1_048_576;
/// The last column a cell with a value may be in: `IV`, Excel 97–2003's limit, room for a
/// "wide" file of every per-year fact over many years.
pub const MAX_COLUMNS: u32 = 256;
/// What all parts of a workbook may inflate to together: 256 MiB, about 380,000 rows of a
/// full 17-column export. Save larger files as CSV, which is read as a stream.
pub const MAX_INFLATED: u64 = 256 << 20;
/// What the shared strings part (`xl/sharedStrings.xml`, held in memory whole by calamine)
/// may inflate to: 64 MiB, the names and codes of about 750,000 enterprises.
pub const MAX_SHARED_STRINGS: u64 = 64 << 20;
/// The longest stretch of XML between two `<` in any part: 1 MiB.
pub const MAX_RUN: u64 = 1 << 20;

/// Reads the first worksheet of an XLSX workbook.
pub fn read_xlsx<R: Read + Seek>(
    mut reader: R,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Parsed, ImportError> {
    inspect(&mut reader)?;
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| ImportError::Io { path: String::new(), reason: e.to_string() })?;
    let wb_err = |e: XlsxError| ImportError::Workbook { reason: e.to_string() };
    let mut wb: Xlsx<R> = guarded(|| Xlsx::new(reader))?.map_err(wb_err)?;
    let Some(first) = guarded(|| wb.sheet_names())?.into_iter().next() else {
        return Err(ImportError::Workbook { reason: "no worksheet".into() });
    };
    let mut cells = guarded(|| wb.worksheet_cells_reader(&first))?.map_err(wb_err)?;
    let names = Names::new(FactDictionary::official());
    let mut sheet = Sheet {
        builder: None,
        names: &names,
        options,
        header_row: 0,
        // What the sheet claims its last row is: for the progress bar only.
        claimed_end: cells.dimensions().end.0,
        next_report: PROGRESS_EVERY,
        progress,
    };
    let mut row: Vec<DataRef<'_>> = Vec::new();
    let mut current: Option<u32> = None;
    while let Some(cell) = guarded(|| cells.next_cell())?.map_err(wb_err)? {
        let (r, c) = cell.get_position();
        let value = cell.get_value();
        if blank(value) {
            continue;
        }
        if r >= MAX_ROWS || c >= MAX_COLUMNS {
            return Err(ImportError::CellOutOfRange { cell: address(r, c) });
        }
        match current {
            // Excel writes rows in order; a row after a later one is a damaged sheet.
            Some(cr) if r < cr => return Err(ImportError::Damaged),
            Some(cr) if r > cr => {
                sheet.row(cr, &row)?;
                row.clear();
            }
            _ => {}
        }
        current = Some(r);
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, DataRef::Empty);
        }
        row[c] = value.clone();
    }
    if let Some(cr) = current {
        sheet.row(cr, &row)?;
    }
    let total_rows = sheet.total_rows();
    let Some(b) = sheet.builder else { return Err(ImportError::Empty) };
    (sheet.progress)(Progress { rows: b.rows(), total_rows, bytes: 0, total_bytes: None });
    let (rows, records, errors) = b.finish();
    Ok(Parsed { format: Format::Xlsx, rows, records, errors })
}

/// Reads the first worksheet of an XLSX workbook as rows of text, within the same limits
/// as [`read_xlsx`] (the archive inspected first, the sheet read cell by cell, calamine
/// guarded): for files other than enterprise records (payment results). Dates read as
/// `YYYY-MM-DD`, whole numbers without a decimal point, other numbers as their shortest
/// decimal text; empty rows are skipped. At most `max_rows` rows.
pub fn read_xlsx_rows<R: Read + Seek>(mut reader: R, max_rows: u32) -> Result<Vec<Vec<String>>, ImportError> {
    inspect(&mut reader)?;
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| ImportError::Io { path: String::new(), reason: e.to_string() })?;
    let wb_err = |e: XlsxError| ImportError::Workbook { reason: e.to_string() };
    let mut wb: Xlsx<R> = guarded(|| Xlsx::new(reader))?.map_err(wb_err)?;
    let Some(first) = guarded(|| wb.sheet_names())?.into_iter().next() else {
        return Err(ImportError::Workbook { reason: "no worksheet".into() });
    };
    let mut cells = guarded(|| wb.worksheet_cells_reader(&first))?.map_err(wb_err)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut current: Option<u32> = None;
    while let Some(cell) = guarded(|| cells.next_cell())?.map_err(wb_err)? {
        let (r, c) = cell.get_position();
        let value = cell.get_value();
        if blank(value) {
            continue;
        }
        if r >= MAX_ROWS.min(max_rows.saturating_add(1)) || c >= MAX_COLUMNS {
            return Err(ImportError::CellOutOfRange { cell: address(r, c) });
        }
        match current {
            Some(cr) if r < cr => return Err(ImportError::Damaged),
            Some(cr) if r == cr => {}
            _ => rows.push(Vec::new()),
        }
        current = Some(r);
        let row = rows.last_mut().ok_or(ImportError::Damaged)?;
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = cell_text(value);
    }
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(rows)
}

fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        DataRef::DateTime(dt) => {
            let v = dt.as_f64();
            if (0.0..=LAST_EXCEL_DAY).contains(&v) {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                v.to_string()
            }
        }
        other => header_text(other),
    }
}

/// The rows of the sheet so far: the header (the first row with a value) maps the columns,
/// the rows after it go to the builder.
struct Sheet<'n, 'o, 'p> {
    builder: Option<Builder<'o>>,
    names: &'n Names,
    options: &'o Options,
    /// The header's row (0-based).
    header_row: u32,
    claimed_end: u32,
    next_report: usize,
    progress: &'p mut dyn FnMut(Progress),
}

impl Sheet<'_, '_, '_> {
    /// One row (0-based `r`), its cells by column.
    fn row(&mut self, r: u32, cells: &[DataRef<'_>]) -> Result<(), ImportError> {
        let Some(b) = &mut self.builder else {
            let header: Vec<String> = cells.iter().map(header_text).collect();
            let columns = map_header(self.names, header.iter().map(String::as_str))?;
            self.builder = Some(Builder::new(self.options, columns));
            self.header_row = r;
            return Ok(());
        };
        // A value right of the header: a column without a name, reported by the builder.
        while b.columns().len() < cells.len() {
            b.add_column(Column { header: String::new(), kind: Kind::Blank });
        }
        // Users count rows from 1.
        b.row(r as usize + 1, &XlsxRow(cells));
        if b.rows() >= self.next_report {
            self.next_report += PROGRESS_EVERY;
            let (rows, total_rows) = (b.rows(), self.total_rows());
            (self.progress)(Progress { rows, total_rows, bytes: 0, total_bytes: None });
        }
        Ok(())
    }

    /// The data rows the sheet's `<dimension>` claims, when it claims rows below the header.
    fn total_rows(&self) -> Option<usize> {
        (self.claimed_end > self.header_row)
            .then(|| (self.claimed_end.min(MAX_ROWS - 1) - self.header_row) as usize)
    }
}

/// An empty cell, or an empty text: nothing to read, wherever it is.
fn blank(v: &DataRef<'_>) -> bool {
    match v {
        DataRef::Empty => true,
        DataRef::SharedString(s) => s.is_empty(),
        DataRef::String(s) => s.is_empty(),
        _ => false,
    }
}

/// `A1`-style address of a 0-based cell position (any position, however far).
fn address(r: u32, c: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(c) + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), u64::from(r) + 1)
}

fn header_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Empty => String::new(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(e) => e.to_string(),
    }
}

/// The last serial day Excel shows as a date: 9999-12-31.
const LAST_EXCEL_DAY: f64 = 2_958_465.0;

struct XlsxRow<'a, 'd>(&'a [DataRef<'d>]);

impl RowCells for XlsxRow<'_, '_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn cell(&self, i: usize) -> Cell<'_> {
        match &self.0[i] {
            DataRef::Empty => Cell::Empty,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                if s.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s)
                }
            }
            DataRef::SharedString(s) => {
                if s.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s)
                }
            }
            DataRef::Int(i) => Cell::Int(*i),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(dt) => {
                // calamine's conversion is exact from 1900 to 9999 and overflows outside.
                let v = dt.as_f64();
                if dt.is_datetime() && (0.0..=LAST_EXCEL_DAY).contains(&v) {
                    let (y, m, d, ..) = dt.to_ymd_hms_milli();
                    Cell::Date(NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)))
                } else {
                    Cell::Date(None)
                }
            }
            DataRef::Error(_) => Cell::Error,
        }
    }
}

/// Inflates every part of the archive once, into nothing, and checks the sizes against
/// [`MAX_INFLATED`], [`MAX_SHARED_STRINGS`] and [`MAX_RUN`]. The declared sizes are checked
/// first (no inflating for an archive that admits to being too large), then the real ones
/// (a part may lie about its size). Costs one pass of inflating, bounded by the limits, and
/// a 64 KiB buffer.
fn inspect<R: Read + Seek>(reader: &mut R) -> Result<(), ImportError> {
    let zip_err = |e: zip::result::ZipError| ImportError::Workbook { reason: e.to_string() };
    let mut archive = zip::ZipArchive::new(&mut *reader).map_err(zip_err)?;
    let shared = |name: &str| name.replace('\\', "/").eq_ignore_ascii_case("xl/sharedStrings.xml");
    let mut declared = 0u64;
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i).map_err(zip_err)?;
        declared = declared.saturating_add(f.size());
        if shared(f.name()) && f.size() > MAX_SHARED_STRINGS {
            return Err(ImportError::Inflated { limit_mib: MAX_SHARED_STRINGS >> 20, shared_strings: true });
        }
    }
    if declared > MAX_INFLATED {
        return Err(ImportError::Inflated { limit_mib: MAX_INFLATED >> 20, shared_strings: false });
    }
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(zip_err)?;
        let is_shared = shared(f.name());
        let (mut size, mut run) = (0u64, 0u64);
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ImportError::Workbook { reason: e.to_string() }),
            };
            size += n as u64;
            total += n as u64;
            if total > MAX_INFLATED {
                return Err(ImportError::Inflated { limit_mib: MAX_INFLATED >> 20, shared_strings: false });
            }
            if is_shared && size > MAX_SHARED_STRINGS {
                return Err(ImportError::Inflated {
                    limit_mib: MAX_SHARED_STRINGS >> 20,
                    shared_strings: true,
                });
            }
            // The stretch since the last `<` grows by every byte up to the next one.
            let mut from = 0;
            for k in memchr::memchr_iter(b'<', &buf[..n]) {
                run += (k - from) as u64;
                if run > MAX_RUN {
                    return Err(ImportError::LongRun { limit_mib: MAX_RUN >> 20 });
                }
                (run, from) = (0, k);
            }
            run += (n - from) as u64;
            if run > MAX_RUN {
                return Err(ImportError::LongRun { limit_mib: MAX_RUN >> 20 });
            }
        }
    }
    Ok(())
}

thread_local! {
    /// Calls into calamine running on this thread: their panics are not printed.
    static QUIET: StdCell<usize> = const { StdCell::new(0) };
}

/// Installs, once per process, a panic hook that prints nothing for panics inside
/// [`guarded`] on the panicking thread and hands every other panic to the hook it
/// replaced.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.try_with(StdCell::get).unwrap_or(0) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs a call into calamine; a panic becomes [`ImportError::Damaged`], silently.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ImportError> {
    install_quiet_hook();
    QUIET.with(|q| q.set(q.get() + 1));
    let out = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get() - 1));
    out.map_err(|_| ImportError::Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_excel_writes_them() {
        assert_eq!(address(0, 0), "A1");
        assert_eq!(address(1_048_575, 16_383), "XFD1048576");
        assert_eq!(address(4_999_998, 9), "J4999999");
        assert_eq!(address(0, 25), "Z1");
        assert_eq!(address(0, 26), "AA1");
        assert_eq!(address(u32::MAX, u32::MAX), "MWLQKWV4294967296");
    }
}
