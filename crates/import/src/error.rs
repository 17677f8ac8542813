//! File-level failures ([`ImportError`]) and per-cell problems ([`RowError`]).
//!
//! An [`ImportError`] stops the reading: the file cannot be read, its format is unknown, or
//! its header cannot be mapped. A [`RowError`] does not: every bad row and every bad cell is
//! collected, so the user fixes the whole file in one go.

use i18n::suggest::{cut, shown};
use i18n::{Catalog, Lang, Localized, Message};

/// A failure that stops reading the whole file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum ImportError {
    /// The file cannot be opened or read.
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
    /// The extension names no supported format and no format was given.
    #[error("{path}: unknown file format '{extension}'; use .csv, .xlsx or .jsonl")]
    UnknownFormat { path: String, extension: String },
    /// The text is not UTF-8 (often a GBK export).
    #[error("line {line} is not UTF-8 text; save the file as UTF-8")]
    Encoding { line: usize },
    /// The text is in another encoding recognisable from its first bytes (UTF-16, UTF-32).
    #[error("the file is {encoding} text, not UTF-8; save it as \"CSV UTF-8\" and import it again")]
    NotUtf8 { encoding: String },
    /// The CSV structure is broken (e.g. an unterminated quote).
    #[error("line {line}: the CSV cannot be read: {reason}")]
    Csv { line: usize, reason: String },
    /// The workbook cannot be opened or has no worksheet.
    #[error("the workbook cannot be read: {reason}")]
    Workbook { reason: String },
    /// The workbook would inflate past a limit (`xlsx::MAX_INFLATED` for all parts,
    /// `xlsx::MAX_SHARED_STRINGS` for the shared strings).
    #[error("the workbook inflates to more than {limit_mib} MiB")]
    Inflated { limit_mib: u64, shared_strings: bool },
    /// A stretch of a workbook's XML longer than `xlsx::MAX_RUN` without markup.
    #[error("the workbook holds more than {limit_mib} MiB without markup")]
    LongRun { limit_mib: u64 },
    /// A cell with a value outside the rows and columns that can be imported.
    #[error("cell {cell} lies outside A1:IV1048576")]
    CellOutOfRange { cell: String },
    /// The workbook is damaged: its parts contradict each other (a shared string that does
    /// not exist, rows out of order).
    #[error("the workbook is damaged")]
    Damaged,
    /// The file has no header row (or no content at all).
    #[error("the file is empty: it has no header row")]
    Empty,
    /// A required column is absent from the header.
    #[error("the required column {zh} / {en} is missing")]
    MissingColumn { zh: String, en: String },
    /// A column name that maps to nothing, with the nearest known name ("" when none is
    /// close).
    #[error("{}unknown column '{column}'; did you mean '{hint}'?", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    UnknownColumn { column: String, hint: String, line: Option<usize> },
    /// A fact that is derived by huiqi and cannot be imported.
    #[error("column '{column}' is derived by huiqi and cannot be imported; remove it")]
    DerivedColumn { column: String },
    /// Two header cells name the same column.
    #[error("columns '{first}' and '{second}' name the same field")]
    DuplicateColumn { first: String, second: String },
}

impl Localized for ImportError {
    fn message(&self) -> Message {
        match self {
            ImportError::Io { path, reason } => {
                Message::new("import.io").arg("path", path).arg("reason", reason)
            }
            ImportError::UnknownFormat { path, extension } => {
                Message::new("import.unknown_format").arg("path", path).arg("extension", extension)
            }
            ImportError::Encoding { line } => Message::new("import.encoding").arg("line", line),
            ImportError::NotUtf8 { encoding } => Message::new("import.not_utf8").arg("encoding", encoding),
            // The readers' own errors may quote the file: cut to 200 characters.
            ImportError::Csv { line, reason } => {
                Message::new("import.csv").arg("line", line).arg("reason", cut(reason, 200))
            }
            ImportError::Workbook { reason } => {
                Message::new("import.workbook").arg("reason", cut(reason, 200))
            }
            ImportError::Inflated { limit_mib, shared_strings: false } => {
                Message::new("import.inflated").arg("limit", limit_mib)
            }
            ImportError::Inflated { limit_mib, shared_strings: true } => {
                Message::new("import.inflated_strings").arg("limit", limit_mib)
            }
            ImportError::LongRun { limit_mib } => Message::new("import.long_run").arg("limit", limit_mib),
            ImportError::CellOutOfRange { cell } => {
                Message::new("import.cell_out_of_range").arg("cell", cell)
            }
            ImportError::Damaged => Message::new("import.damaged"),
            ImportError::Empty => Message::new("import.empty"),
            ImportError::MissingColumn { zh, en } => {
                Message::new("import.missing_column").arg("zh", zh).arg("en", en)
            }
            ImportError::UnknownColumn { column, hint, line } => {
                // The name as typed may be anything: shown cut to 64 characters.
                let m = match (line, hint.is_empty()) {
                    (None, false) => Message::new("import.unknown_column").arg("hint", hint),
                    (None, true) => Message::new("import.unknown_column_no_hint"),
                    (Some(l), false) => Message::new("import.unknown_key").arg("hint", hint).arg("line", l),
                    (Some(l), true) => Message::new("import.unknown_key_no_hint").arg("line", l),
                };
                m.arg("column", shown(column))
            }
            ImportError::DerivedColumn { column } => {
                Message::new("import.derived_column").arg("column", column)
            }
            ImportError::DuplicateColumn { first, second } => {
                Message::new("import.duplicate_column").arg("first", first).arg("second", second)
            }
        }
    }

    fn catalog(&self) -> &'static Catalog {
        crate::catalog()
    }
}

/// One bad cell (or bad row) of the file.
///
/// `row` is the row number as the user sees it: for CSV and XLSX the spreadsheet row,
/// counting the header as row 1 (so the first data row is 2); for JSON lines the line
/// number. `column` is the header cell as written in the file (empty when the problem is
/// the row as a whole), `value` the offending cell as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub value: String,
    /// Why: a message of this crate's catalog (`import.*`) or of the enterprise catalog
    /// (`uscc.*`, `industry.*`) for codes that fail validation.
    pub reason: Message,
}

impl RowError {
    /// The reason alone, in `lang`.
    pub fn reason_text(&self, lang: Lang) -> String {
        render_any(&self.reason, lang)
    }
}

/// "Row 3, column 营业收入_2021, value 'abc': expected a decimal amount…" in either language.
impl Localized for RowError {
    fn message(&self) -> Message {
        Message::new("import.row_error")
            .arg("row", self.row)
            .arg("column", &self.column)
            .arg("value", &self.value)
    }

    fn catalog(&self) -> &'static Catalog {
        crate::catalog()
    }

    fn render(&self, lang: Lang) -> String {
        let mut m = self.message();
        m.args.push(("reason", self.reason_text(lang)));
        crate::catalog().render(&m, lang)
    }
}

/// Renders a message from this crate's catalog, or from the enterprise catalog for the
/// validation messages of credit codes and industry codes.
pub(crate) fn render_any(m: &Message, lang: Lang) -> String {
    if crate::catalog().contains(m.key) {
        crate::catalog().render(m, lang)
    } else {
        enterprise::catalog().render(m, lang)
    }
}
