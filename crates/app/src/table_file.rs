//! A service's upload read into rows of cells (issue 15): CSV (UTF-8, with or without a
//! byte-order mark) or XLSX (the first sheet, by the import crate's bounded reader), a header
//! row naming the columns in Chinese or English, then one row per record. Which columns a
//! file carries is kept, so an import changes only the fields of the columns present. Each
//! kind of file names its columns with a [`Columns`] type (the utilities' arrears files,
//! the logistics profiles); the refusal is that kind's error, listing every row's problem
//! ([`Problems`]).

use crate::{Error, Result};

/// The largest file accepted (bytes).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The most records in one file.
pub const MAX_ROWS: u32 = 100_000;
/// The most row problems listed in a refusal (the rest are counted).
pub const LISTED_PROBLEMS: usize = 200;

/// A file uploaded to a service's import (the page, the API, the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upload {
    /// The file's name (`.xlsx` is read as a workbook, anything else as CSV).
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Check and report only; nothing is written.
    pub dry_run: bool,
}

/// The columns of one kind of file.
pub trait Columns: Copy + Eq + std::fmt::Debug + 'static {
    /// Every column, in the order an export writes them.
    const ALL: &'static [Self];
    /// The columns every file must carry.
    const REQUIRED: &'static [Self];
    /// The field name (as errors name it).
    fn field(self) -> &'static str;
    /// The Chinese header (as the export writes it).
    fn header_zh(self) -> &'static str;
    /// The headers that name the column (compared trimmed, English without case).
    fn names(self) -> &'static [&'static str];
    /// The refusal of a file of this kind, with its problems listed and the rest counted.
    fn refused(problems: Vec<String>, more: usize) -> Error;

    /// The column a header names.
    fn of(header: &str) -> Option<Self> {
        let h = header.trim().trim_start_matches('\u{feff}').trim();
        let lower = h.to_ascii_lowercase();
        Self::ALL.iter().copied().find(|c| c.names().iter().any(|n| *n == h || *n == lower))
    }
}

/// The rows of a file: its columns and each row's cells (trimmed) with its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table<C> {
    pub columns: Vec<C>,
    /// (line number in the file, 1 the header; the cells by column, in `columns` order).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl<C: Columns> Table<C> {
    pub fn has(&self, c: C) -> bool {
        self.columns.contains(&c)
    }

    /// A row's cell of a column, `None` when the file has no such column or the cell is empty.
    pub fn cell<'a>(&self, cells: &'a [String], c: C) -> Option<&'a str> {
        self.columns
            .iter()
            .position(|x| *x == c)
            .and_then(|i| cells.get(i))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// The problems found in a file's rows: the first [`LISTED_PROBLEMS`] listed, the rest counted.
#[derive(Debug, Default)]
pub struct Problems {
    pub listed: Vec<String>,
    pub more: usize,
}

impl Problems {
    pub fn push(&mut self, line: usize, field: &str, value: &str, reason: &str) {
        if self.listed.len() < LISTED_PROBLEMS {
            self.listed.push(format!("第 {line} 行 / row {line}, {field} “{value}”: {reason}"));
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty() && self.more == 0
    }

    /// How many problems in all.
    pub fn count(&self) -> usize {
        self.listed.len() + self.more
    }

    /// The refusal of a file of this kind.
    pub fn refusal<C: Columns>(self) -> Error {
        C::refused(self.listed, self.more)
    }
}

/// Whether a file is a workbook (by its name or its zip signature).
pub fn is_workbook(file_name: &str, bytes: &[u8]) -> bool {
    file_name.to_ascii_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04")
}

/// Reads a file into a [`Table`]: refused whole when it is too big, unreadable, or its header
/// names an unknown column, a column twice, or not every required column.
pub fn read<C: Columns>(file_name: &str, bytes: &[u8]) -> Result<Table<C>> {
    let refused = |problem: String| C::refused(vec![problem], 0);
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refused(format!(
            "文件超过 {} MiB / the file is over {} MiB",
            MAX_FILE_BYTES >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let raw: Vec<Vec<String>> = if is_workbook(file_name, bytes) {
        import::xlsx::read_xlsx_rows(std::io::Cursor::new(bytes), MAX_ROWS).map_err(|e| {
            refused(format!(
                "工作簿无法读取 / the workbook cannot be read: {}",
                i18n::Localized::bilingual(&e)
            ))
        })?
    } else {
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|_| {
            refused("文件不是 UTF-8 编码的 CSV 或 XLSX 工作簿 / the file is neither UTF-8 CSV nor an XLSX workbook".into())
        })?;
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut out = Vec::new();
        for (k, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| {
                refused(format!("第 {} 行无法读取 / row {} cannot be read: {e}", k + 1, k + 1))
            })?;
            if out.len() > MAX_ROWS as usize {
                return Err(refused(format!(
                    "文件超过 {MAX_ROWS} 行 / the file has more than {MAX_ROWS} rows"
                )));
            }
            out.push(rec.iter().map(str::to_string).collect());
        }
        out
    };
    let mut it = raw.into_iter().enumerate();
    let Some((_, header)) = it.next() else {
        return Err(refused("文件是空的 / the file is empty".into()));
    };
    let mut columns = Vec::new();
    let mut keep = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if h.trim().is_empty() {
            continue;
        }
        let Some(c) = C::of(h) else {
            let zh: Vec<&str> = C::ALL.iter().map(|c| c.header_zh()).collect();
            let en: Vec<&str> = C::ALL.iter().map(|c| c.field()).collect();
            return Err(refused(format!(
                "未知的列“{h}”；可用的列：{} / unknown column {h:?}; the columns are {}",
                zh.join("、"),
                en.join(", ")
            )));
        };
        if columns.contains(&c) {
            return Err(refused(format!("列“{h}”出现了两次 / the column {h:?} appears twice")));
        }
        columns.push(c);
        keep.push(i);
    }
    for &c in C::REQUIRED {
        if !columns.contains(&c) {
            return Err(refused(format!("缺少“{}”列 / the file has no {} column", c.header_zh(), c.field())));
        }
    }
    let mut rows = Vec::new();
    for (k, row) in it {
        let cells: Vec<String> =
            keep.iter().map(|&i| row.get(i).map(|s| s.trim().to_string()).unwrap_or_default()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        rows.push((k + 1, cells));
    }
    Ok(Table { columns, rows })
}
