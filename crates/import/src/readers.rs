//! The CSV and JSON lines readers (XLSX: [`crate::xlsx`]). Each maps its header (or
//! keys), hands rows of cells to the builder and reports progress.
//!
//! Row numbers are the ones the user sees: the CSV line where the record starts (header =
//! line 1), the JSON line.

use crate::builder::{Builder, RowCells};
use crate::cells::Cell;
use crate::columns::{Column, Names, map_header};
use crate::error::ImportError;
use crate::{Format, Options, PROGRESS_EVERY, Parsed, Progress};
use enterprise::FactDictionary;
use i18n::Message;
use std::collections::HashMap;
use std::io::{BufRead, Read};

/// After this many rows, a CSV reader estimates the file's row count from its size.
const RESERVE_AFTER: usize = 1024;
/// The most enterprises reserved ahead.
const MAX_RESERVE: usize = 20_000_000;

struct CsvRow<'a>(&'a csv::StringRecord);

impl RowCells for CsvRow<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn cell(&self, i: usize) -> Cell<'_> {
        match self.0.get(i) {
            Some(s) if !s.is_empty() => Cell::Text(s),
            _ => Cell::Empty,
        }
    }
}

fn csv_error(e: csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => {
            ImportError::Encoding { line: pos.as_ref().map(|p| p.line() as usize).unwrap_or(line) }
        }
        csv::ErrorKind::Io(err) => ImportError::Io { path: String::new(), reason: err.to_string() },
        _ => ImportError::Csv { line, reason: e.to_string() },
    }
}

/// Reads CSV text (UTF-8, an optional byte-order mark, comma-separated, `"` quoting).
/// `total_bytes` (the file size, when known) goes into the progress reports.
pub fn read_csv<R: Read>(
    reader: R,
    total_bytes: Option<u64>,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Parsed, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).map_err(csv_error)? {
        return Err(ImportError::Empty);
    }
    let names = Names::new(FactDictionary::official());
    let columns = map_header(&names, rec.iter())?;
    let ncols = columns.len();
    let mut b = Builder::new(options, columns);
    let mut next_report = PROGRESS_EVERY;
    let report = |b: &Builder, bytes: u64, progress: &mut dyn FnMut(Progress)| {
        progress(Progress { rows: b.rows(), total_rows: None, bytes, total_bytes })
    };
    while rdr.read_record(&mut rec).map_err(csv_error)? {
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        if rec.len() != ncols && (rec.len() < ncols || rec.iter().skip(ncols).any(|s| !s.trim().is_empty())) {
            if rec.iter().any(|s| !s.trim().is_empty()) {
                b.count_row();
                let reason =
                    Message::new("import.field_count").arg("expected", ncols).arg("found", rec.len());
                b.row_error(line, "", String::new(), reason);
            }
            continue;
        }
        b.row(line, &CsvRow(&rec));
        if b.rows() == RESERVE_AFTER
            && let (Some(total), Some(pos)) = (total_bytes, rec.position())
        {
            // Estimate the number of rows from the size of the first ones.
            let per_row = (pos.byte() / RESERVE_AFTER as u64).max(1);
            b.reserve(usize::try_from(total / per_row).unwrap_or(0).min(MAX_RESERVE));
        }
        if b.rows() >= next_report {
            next_report += PROGRESS_EVERY;
            report(&b, rec.position().map(|p| p.byte()).unwrap_or(0), progress);
        }
    }
    report(&b, total_bytes.unwrap_or(0), progress);
    let (rows, records, errors) = b.finish();
    Ok(Parsed { format: Format::Csv, rows, records, errors })
}

/// A JSON value as a cell; strings and numbers keep their text.
enum JsonCell {
    Empty,
    Text(String),
    Bool(bool),
}

struct JsonRow<'a>(&'a [JsonCell]);

impl RowCells for JsonRow<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn cell(&self, i: usize) -> Cell<'_> {
        match &self.0[i] {
            JsonCell::Empty => Cell::Empty,
            JsonCell::Text(s) => Cell::Text(s),
            JsonCell::Bool(b) => Cell::Bool(*b),
        }
    }
}

fn snippet(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Reads JSON lines: one object per line, keys as column names, `null` or a missing key
/// for an unknown value. Numbers keep their written digits (`0.1` is 0.1).
pub fn read_jsonl<R: BufRead>(
    mut reader: R,
    total_bytes: Option<u64>,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Parsed, ImportError> {
    let names = Names::new(FactDictionary::official());
    let mut b = Builder::new(options, Vec::new());
    let mut key_index: HashMap<String, usize> = HashMap::new();
    let mut line = String::new();
    let mut line_no = 0usize;
    let mut bytes = 0u64;
    let mut cells: Vec<JsonCell> = Vec::new();
    let mut next_report = PROGRESS_EVERY;
    loop {
        line.clear();
        let n = match reader.read_line(&mut line) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(ImportError::Encoding { line: line_no + 1 });
            }
            Err(e) => return Err(ImportError::Io { path: String::new(), reason: e.to_string() }),
        };
        if n == 0 {
            break;
        }
        line_no += 1;
        bytes += n as u64;
        let text = line.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => {
                b.count_row();
                b.row_error(line_no, "", snippet(text), Message::new("import.json_object"));
                continue;
            }
            Err(e) => {
                b.count_row();
                let reason = Message::new("import.json").arg("reason", e.to_string());
                b.row_error(line_no, "", snippet(text), reason);
                continue;
            }
        };
        cells.clear();
        cells.resize_with(b.columns().len(), || JsonCell::Empty);
        let mut bad_values = Vec::new();
        for (k, v) in obj {
            let idx = match key_index.get(&k) {
                Some(&i) => i,
                None => {
                    let kind = names.resolve(&k, Some(line_no))?;
                    let i = b.add_column(Column { header: k.trim().to_string(), kind });
                    key_index.insert(k.clone(), i);
                    cells.push(JsonCell::Empty);
                    i
                }
            };
            cells[idx] = match v {
                serde_json::Value::Null => JsonCell::Empty,
                serde_json::Value::Bool(x) => JsonCell::Bool(x),
                serde_json::Value::Number(n) => JsonCell::Text(n.to_string()),
                serde_json::Value::String(s) => JsonCell::Text(s),
                other => {
                    bad_values.push((k, snippet(&other.to_string())));
                    JsonCell::Empty
                }
            };
        }
        if !bad_values.is_empty() {
            b.count_row();
            for (k, v) in bad_values {
                b.row_error(line_no, &k, v, Message::new("import.json_value"));
            }
            continue;
        }
        b.row(line_no, &JsonRow(&cells));
        if b.rows() >= next_report {
            next_report += PROGRESS_EVERY;
            progress(Progress { rows: b.rows(), total_rows: None, bytes, total_bytes });
        }
    }
    if b.columns().is_empty() && b.rows() == 0 {
        return Err(ImportError::Empty);
    }
    progress(Progress { rows: b.rows(), total_rows: None, bytes, total_bytes });
    let (rows, records, errors) = b.finish();
    Ok(Parsed { format: Format::JsonLines, rows, records, errors })
}
