//! Bulk import of enterprise records from CSV, XLSX and JSON lines: the reading, mapping
//! and validation half of `huiqi import enterprises`.
//!
//! [`read_file`] reads a file (the format from its extension, or [`Options::format`]),
//! maps its Chinese or English column names, validates every cell, merges several rows of
//! one enterprise (one per year, say) into one [`EnterpriseRecord`], and returns a
//! [`Parsed`]: the records of the enterprises without errors and a [`RowError`] for every
//! bad cell of every bad row. A file-level failure (unreadable, unknown column, …) is an
//! [`ImportError`]. Both render in Chinese and English via [`i18n::Localized`].
//!
//! What this crate leaves out: the database (the store applies the records all or
//! nothing, and only when `errors` is empty), the progress bar (the caller draws it from
//! [`Progress`]) and the clock ("as of" dates come in through [`Options`]). It reads the
//! file it is given and nothing else.
//!
//! The column names, formats and merge rules are documented in `docs/IMPORT.md`.

mod builder;
mod cells;
mod columns;
mod error;
mod readers;
mod report;
pub mod synth;
pub mod xlsx;

pub use error::{ImportError, RowError};
pub use readers::{read_csv, read_jsonl};
pub use report::{
    ERROR_CSV_HEADER, ErrorLog, ReportFormat, RowErrorJson, render_error_table, write_error_csv_record,
    write_error_report,
};
pub use xlsx::read_xlsx;

use chrono::NaiveDate;
use enterprise::{EnterpriseRecord, FactSource};
use std::path::Path;

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}

/// A supported file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Format {
    /// Comma-separated, UTF-8 (with or without a byte-order mark), header in the first line.
    Csv,
    /// An Excel workbook; its first worksheet is read, header in the sheet's first row.
    Xlsx,
    /// One JSON object per line (`.jsonl`, `.ndjson`), keys as column names.
    #[strum(serialize = "jsonl")]
    JsonLines,
}

impl Format {
    /// The format named by a file's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How to read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The date the source reported the data; a `数据日期/as_of` column overrides it per row.
    pub as_of: NaiveDate,
    /// The source recorded with each fact; a `数据来源/source` column overrides it per row.
    pub source: FactSource,
    /// The year of per-year facts when neither the column name nor a `年度/year` column
    /// gives one.
    pub default_year: Option<i32>,
    /// Overrides the format read off the extension.
    pub format: Option<Format>,
    /// An empty cell in a column the file has clears the stored value (a registry field, or
    /// the fact of that year) instead of leaving it as it is. Off by default: an empty cell,
    /// like a column the file lacks, changes nothing (docs/IMPORT.md).
    pub clear_empty: bool,
    /// The most row errors kept in [`Parsed::errors`]; the rest are counted (and written to
    /// the error report, see [`read_file_report`]). Unbounded by default.
    pub max_errors: usize,
    /// Where every error goes as it is found (set by [`read_file_report`]).
    pub(crate) log: Option<ErrorLog>,
}

impl Options {
    pub fn new(as_of: NaiveDate, source: FactSource) -> Options {
        Options {
            as_of,
            source,
            default_year: None,
            format: None,
            clear_empty: false,
            max_errors: usize::MAX,
            log: None,
        }
    }
}

/// The errors listed on a terminal or a page before "and N more": enough to fix a file by,
/// few enough that a file whose every row fails prints (and holds) a page, not a million
/// lines. The full report goes to a file ([`read_file_report`]).
pub const LISTED_ERRORS: usize = 200;

/// A reading with its error counts: [`Parsed`] holds at most [`Options::max_errors`] errors,
/// these count them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub parsed: Parsed,
    /// Every error found (`parsed.errors` holds the first ones).
    pub error_count: usize,
    /// Distinct rows with an error.
    pub bad_rows: usize,
}

impl Report {
    /// No row is in error: the records may be applied.
    pub fn is_clean(&self) -> bool {
        self.error_count == 0
    }
}

/// [`read_file`], keeping the first [`Options::max_errors`] errors in memory, counting all of
/// them, and writing every one to `error_report` (CSV, see [`ErrorLog`]) when given. A
/// failure writing the report is an [`ImportError::Io`].
pub fn read_file_report(
    path: &Path,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
    error_report: Option<Box<dyn std::io::Write + Send>>,
) -> Result<Report, ImportError> {
    let log = ErrorLog::new(error_report);
    let options = Options { log: Some(log.clone()), ..options.clone() };
    let parsed = read_file(path, &options, progress)?;
    log.finish().map_err(|reason| ImportError::Io { path: "error report".into(), reason })?;
    Ok(Report { parsed, error_count: log.count(), bad_rows: log.bad_rows() })
}

/// A text encoding other than UTF-8 recognised from a file's first bytes: a UTF-16 or UTF-32
/// byte-order mark, or the NUL bytes of UTF-16 text without one. (GBK cannot be recognised
/// this way; the CSV reader refuses it at the first line that is not UTF-8.)
pub fn sniff_foreign_encoding(head: &[u8]) -> Option<&'static str> {
    match head {
        [0xFF, 0xFE, 0, 0, ..] => return Some("UTF-32LE"),
        [0, 0, 0xFE, 0xFF, ..] => return Some("UTF-32BE"),
        [0xFF, 0xFE, ..] => return Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => return Some("UTF-16BE"),
        _ => {}
    }
    // Without a mark: text of ASCII letters has a NUL in every other byte in UTF-16.
    let n = head.len().min(512) & !1;
    if n >= 4 {
        let (even, odd) = head[..n]
            .chunks(2)
            .fold((0, 0), |(e, o), p| (e + usize::from(p[0] == 0), o + usize::from(p[1] == 0)));
        let pairs = n / 2;
        if odd * 10 >= pairs * 4 && even == 0 {
            return Some("UTF-16LE");
        }
        if even * 10 >= pairs * 4 && odd == 0 {
            return Some("UTF-16BE");
        }
    }
    None
}

/// Reading progress, reported every [`PROGRESS_EVERY`] rows and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Data rows read so far.
    pub rows: usize,
    /// Data rows in the file, when known before reading (XLSX).
    pub total_rows: Option<usize>,
    /// Bytes read so far (CSV and JSON lines; 0 for XLSX).
    pub bytes: u64,
    /// The file's size, when known.
    pub total_bytes: Option<u64>,
}

/// How often [`Progress`] is reported, in rows.
pub const PROGRESS_EVERY: usize = 10_000;

/// The outcome of reading a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub format: Format,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// One record per enterprise without any error, in order of first appearance. Apply
    /// them only when `errors` is empty: an import is all or nothing.
    pub records: Vec<EnterpriseRecord>,
    /// Every bad cell and bad row, ordered by row (the first [`Options::max_errors`] of them).
    pub errors: Vec<RowError>,
}

impl Parsed {
    /// No row is in error: the records may be applied. (With [`Options::max_errors`] = 0
    /// no error is kept: use [`Report::is_clean`].)
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Reads, maps and validates an import file.
pub fn read_file(
    path: &Path,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Parsed, ImportError> {
    let shown = path.display().to_string();
    let format = match options.format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_string();
            return Err(ImportError::UnknownFormat { path: shown, extension });
        }
    };
    let io = |e: std::io::Error| ImportError::Io { path: shown.clone(), reason: e.to_string() };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map(|m| m.len()).ok();
    if matches!(format, Format::Csv | Format::JsonLines) {
        // Refuse UTF-16 and UTF-32 text outright, naming it: read as bytes it would pass as
        // (odd) UTF-8 or fail later with a confusing message.
        use std::io::{Read, Seek};
        let mut head = [0u8; 512];
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]).map_err(io)? {
                0 => break,
                k => n += k,
            }
        }
        if let Some(encoding) = sniff_foreign_encoding(&head[..n]) {
            return Err(ImportError::NotUtf8 { encoding: encoding.to_string() });
        }
        file.rewind().map_err(io)?;
    }
    match format {
        Format::Csv => read_csv(file, size, options, progress),
        Format::JsonLines => {
            read_jsonl(std::io::BufReader::with_capacity(1 << 16, file), size, options, progress)
        }
        Format::Xlsx => read_xlsx(std::io::BufReader::new(file), options, progress),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ImportErrorDiscriminants;
    use i18n::{Localized, Message};

    #[test]
    fn foreign_encodings_are_recognised() {
        let utf16le: Vec<u8> = "uscc,name\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = "uscc,name\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(sniff_foreign_encoding(&utf16le), Some("UTF-16LE"));
        assert_eq!(sniff_foreign_encoding(&utf16be), Some("UTF-16BE"));
        let mut bom = vec![0xFF, 0xFE];
        bom.extend(&utf16le);
        assert_eq!(sniff_foreign_encoding(&bom), Some("UTF-16LE"));
        assert_eq!(sniff_foreign_encoding("\u{feff}统一社会信用代码,企业名称\n".as_bytes()), None);
        assert_eq!(sniff_foreign_encoding(b"uscc,name\n"), None);
        assert_eq!(sniff_foreign_encoding(b""), None);
    }

    #[test]
    fn the_catalog_parses() {
        assert!(i18n::Catalog::parse(include_str!("../messages.toml")).is_ok());
    }

    /// Every message this crate can produce, with its arguments, renders in both
    /// languages with no placeholder left.
    #[test]
    fn every_message_renders_in_both_languages() {
        use strum::IntoEnumIterator;
        let mut file_errors: Vec<ImportError> = ImportErrorDiscriminants::iter().map(sample).collect();
        // The cases whose key depends on the fields.
        file_errors.extend([
            ImportError::Inflated { limit_mib: 64, shared_strings: true },
            ImportError::UnknownColumn { column: "revenu".into(), hint: "revenue".into(), line: Some(4) },
            ImportError::UnknownColumn { column: "remarks".into(), hint: String::new(), line: None },
            ImportError::UnknownColumn { column: "remarks".into(), hint: String::new(), line: Some(4) },
        ]);
        i18n::assert_all_bilingual(&file_errors);
        let mut msgs: Vec<Message> = file_errors.iter().map(Localized::message).collect();
        for key in [
            "import.required",
            "import.bool",
            "import.date",
            "import.date_number",
            "import.money",
            "import.decimal",
            "import.integer",
            "import.year",
            "import.uscc_number",
            "import.taxpayer_type",
            "import.rating",
            "import.source",
            "import.cell_error",
            "import.no_header",
            "import.json_object",
            "import.json_value",
        ] {
            msgs.push(Message::new(key));
        }
        msgs.extend([
            Message::new("import.money_scale").arg("scale", 3),
            Message::new("import.code").arg("allowed", "a, b"),
            Message::new("import.no_year").arg("column", "revenue"),
            Message::new("import.field_count").arg("expected", 5).arg("found", 6),
            Message::new("import.conflict").arg("field", "name").arg("first_row", 2).arg("first_value", "x"),
            Message::new("import.duplicate_fact").arg("year", 2021).arg("first_row", 2),
            Message::new("import.duplicate_scalar").arg("first_row", 2),
            Message::new("import.duplicate_cell").arg("other", "uscc"),
            Message::new("import.json").arg("reason", "EOF"),
        ]);
        let mut row_msg =
            RowError { row: 2, column: "c".into(), value: "v".into(), reason: Message::new("x") }.message();
        row_msg.args.push(("reason", "r".into()));
        msgs.push(row_msg);
        // Every key of the catalog is exercised here.
        let used: std::collections::BTreeSet<&str> = msgs.iter().map(|m| m.key).collect();
        let unused: Vec<&str> = catalog().keys().filter(|k| !used.contains(k)).collect();
        assert!(unused.is_empty(), "{unused:?}");
        assert_eq!(catalog().check_complete(&msgs), Vec::<String>::new());
    }

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: ImportErrorDiscriminants) -> ImportError {
        use ImportErrorDiscriminants as D;
        match d {
            D::Io => ImportError::Io { path: "a.csv".into(), reason: "no such file".into() },
            D::UnknownFormat => ImportError::UnknownFormat { path: "a.txt".into(), extension: "txt".into() },
            D::Encoding => ImportError::Encoding { line: 3 },
            D::NotUtf8 => ImportError::NotUtf8 { encoding: "UTF-16LE".into() },
            D::Csv => ImportError::Csv { line: 3, reason: "x".into() },
            D::Workbook => ImportError::Workbook { reason: "x".into() },
            D::Inflated => ImportError::Inflated { limit_mib: 256, shared_strings: false },
            D::LongRun => ImportError::LongRun { limit_mib: 1 },
            D::CellOutOfRange => ImportError::CellOutOfRange { cell: "XFD1048576".into() },
            D::Damaged => ImportError::Damaged,
            D::Empty => ImportError::Empty,
            D::MissingColumn => {
                ImportError::MissingColumn { zh: "统一社会信用代码".into(), en: "uscc".into() }
            }
            D::UnknownColumn => {
                ImportError::UnknownColumn { column: "revenu".into(), hint: "revenue".into(), line: None }
            }
            D::DerivedColumn => ImportError::DerivedColumn { column: "size".into() },
            D::DuplicateColumn => {
                ImportError::DuplicateColumn { first: "uscc".into(), second: "credit_code".into() }
            }
        }
    }
}

/// The stored and printed names of the crate's enums: derived once (strum), each read back to
/// its own variant, and equal to the name serde writes where the enum is serialised.
#[cfg(test)]
mod enum_names {
    use i18n::assert_names_round_trip as round_trip;

    #[test]
    fn every_name_reads_back_to_its_variant() {
        round_trip::<crate::Format>("Format");
    }
}
