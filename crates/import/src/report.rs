//! Error reports: every [`RowError`] as JSON (for `--json`) or as a text table, aligned for
//! Chinese text (a CJK character takes two columns of a terminal).

use crate::error::{RowError, render_any};
use i18n::Lang;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How [`write_error_report`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// A JSON array of [`RowErrorJson`].
    Json,
    /// A text table in one language.
    Table(Lang),
    /// A text table whose reasons are given in Chinese, then English.
    Bilingual,
}

/// The JSON form of a [`RowError`]: the message key and arguments for programs, the
/// rendered reason in both languages for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowErrorJson {
    pub row: usize,
    pub column: String,
    pub value: String,
    /// The reason's message key, e.g. `import.money_scale` or `uscc.check`.
    pub key: String,
    pub args: BTreeMap<String, String>,
    /// The reason in Chinese.
    pub zh: String,
    /// The reason in English.
    pub en: String,
}

impl From<&RowError> for RowErrorJson {
    fn from(e: &RowError) -> Self {
        RowErrorJson {
            row: e.row,
            column: e.column.clone(),
            value: e.value.clone(),
            key: e.reason.key.to_string(),
            args: e.reason.args.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect(),
            zh: render_any(&e.reason, Lang::Zh),
            en: render_any(&e.reason, Lang::En),
        }
    }
}

/// Writes the errors in the chosen format.
pub fn write_error_report(w: &mut dyn Write, errors: &[RowError], format: ReportFormat) -> io::Result<()> {
    match format {
        ReportFormat::Json => {
            let items: Vec<RowErrorJson> = errors.iter().map(RowErrorJson::from).collect();
            serde_json::to_writer_pretty(&mut *w, &items)?;
            writeln!(w)
        }
        ReportFormat::Table(lang) => w.write_all(render_error_table(errors, Some(lang)).as_bytes()),
        ReportFormat::Bilingual => w.write_all(render_error_table(errors, None).as_bytes()),
    }
}

/// The errors as an aligned text table: row, column, value, reason. `None` gives each
/// reason in Chinese and English.
pub fn render_error_table(errors: &[RowError], lang: Option<Lang>) -> String {
    let head: [&str; 4] = match lang {
        Some(Lang::En) => ["row", "column", "value", "reason"],
        Some(Lang::Zh) => ["行", "列", "值", "原因"],
        None => ["行 row", "列 column", "值 value", "原因 reason"],
    };
    let rows: Vec<[String; 4]> = errors
        .iter()
        .map(|e| {
            let reason = match lang {
                Some(l) => render_any(&e.reason, l),
                None => format!("{} / {}", render_any(&e.reason, Lang::Zh), render_any(&e.reason, Lang::En)),
            };
            [e.row.to_string(), truncate(&e.column, 30), truncate(&e.value, 30), reason]
        })
        .collect();
    let mut widths = [0usize; 3];
    for (i, w) in widths.iter_mut().enumerate() {
        *w = rows.iter().map(|r| width(&r[i])).chain([width(head[i])]).max().unwrap_or(0);
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 4]| {
        for (i, c) in cells.iter().take(3).enumerate() {
            out.push_str(c);
            out.push_str(&" ".repeat(widths[i] - width(c) + 2));
        }
        out.push_str(cells[3]);
        out.push('\n');
    };
    line(head);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3]]);
    }
    out
}

/// The columns of the full error report as CSV ([`ErrorLog`], `huiqi import … --errors FILE`
/// and the import page's download): row, column, value, the reason in Chinese and English,
/// and the reason's message key.
pub const ERROR_CSV_HEADER: [&str; 6] =
    ["行 row", "列 column", "值 value", "原因 reason (中文)", "reason (English)", "key"];

/// Writes one error as a CSV record of [`ERROR_CSV_HEADER`].
pub fn write_error_csv_record<W: Write>(w: &mut csv::Writer<W>, e: &RowError) -> csv::Result<()> {
    w.write_record([
        e.row.to_string().as_str(),
        e.column.as_str(),
        e.value.as_str(),
        render_any(&e.reason, Lang::Zh).as_str(),
        render_any(&e.reason, Lang::En).as_str(),
        e.reason.key,
    ])
}

/// Every error of a reading, as it is found: counted, its row noted, and (when given a
/// writer) written as a CSV record of [`ERROR_CSV_HEADER`], in the order found (by row, then
/// the enterprises missing a required field at the end). Shared by clones; see
/// [`crate::read_file_report`].
#[derive(Clone)]
pub struct ErrorLog(std::sync::Arc<std::sync::Mutex<LogState>>);

struct LogState {
    count: usize,
    /// One bit per row number.
    rows: Vec<u64>,
    bad_rows: usize,
    csv: Option<csv::Writer<Box<dyn Write + Send>>>,
    /// The first failure writing the report (the reading goes on; the caller reports it).
    write_error: Option<String>,
}

impl ErrorLog {
    /// A log that counts, and writes the full report to `report` when given (a UTF-8 CSV with
    /// a byte-order mark, so that Excel opens it as UTF-8).
    pub fn new(report: Option<Box<dyn Write + Send>>) -> ErrorLog {
        let mut write_error = None;
        let csv = report.map(|mut w| {
            if let Err(e) = w.write_all("\u{feff}".as_bytes()) {
                write_error = Some(e.to_string());
            }
            let mut c = csv::Writer::from_writer(w);
            if let Err(e) = c.write_record(ERROR_CSV_HEADER) {
                write_error = Some(e.to_string());
            }
            c
        });
        ErrorLog(std::sync::Arc::new(std::sync::Mutex::new(LogState {
            count: 0,
            rows: Vec::new(),
            bad_rows: 0,
            csv,
            write_error,
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LogState> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub(crate) fn record(&self, e: &RowError) {
        let mut s = self.state();
        s.count += 1;
        let (word, bit) = (e.row / 64, e.row % 64);
        if s.rows.len() <= word {
            s.rows.resize(word + 1, 0);
        }
        if s.rows[word] & (1 << bit) == 0 {
            s.rows[word] |= 1 << bit;
            s.bad_rows += 1;
        }
        if s.write_error.is_none()
            && let Some(w) = s.csv.as_mut()
            && let Err(err) = write_error_csv_record(w, e)
        {
            s.write_error = Some(err.to_string());
        }
    }

    /// Errors recorded so far.
    pub fn count(&self) -> usize {
        self.state().count
    }

    /// Distinct rows with an error so far.
    pub fn bad_rows(&self) -> usize {
        self.state().bad_rows
    }

    /// Flushes the report; the first failure writing it, if any.
    pub fn finish(&self) -> Result<(), String> {
        let mut s = self.state();
        if let Some(w) = s.csv.as_mut()
            && let Err(e) = w.flush()
            && s.write_error.is_none()
        {
            s.write_error = Some(e.to_string());
        }
        match s.write_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for ErrorLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state();
        f.debug_struct("ErrorLog").field("count", &s.count).field("report", &s.csv.is_some()).finish()
    }
}

impl PartialEq for ErrorLog {
    fn eq(&self, other: &ErrorLog) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ErrorLog {}

/// Shortens to at most `max` display columns, marking the cut with `…`.
fn truncate(s: &str, max: usize) -> String {
    let s = s.replace(['\n', '\r', '\t'], " ");
    if width(&s) <= max {
        return s;
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = char_width(ch);
        if w + cw > max - 1 {
            break;
        }
        out.push(ch);
        w += cw;
    }
    out.push('…');
    out
}

/// Terminal columns taken by a string: two for CJK and full-width characters.
pub(crate) fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use i18n::Message;

    fn sample() -> Vec<RowError> {
        vec![
            RowError {
                row: 3,
                column: "营业收入_2021".into(),
                value: "1.005".into(),
                reason: Message::new("import.money_scale").arg("scale", 3),
            },
            RowError {
                row: 12,
                column: "uscc".into(),
                value: "91440300192203821X".into(),
                reason: Message::new("uscc.check").arg("found", 'X').arg("expected", '6'),
            },
        ]
    }

    #[test]
    fn table_aligns_chinese_columns() {
        let t = render_error_table(&sample(), Some(Lang::En));
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        // The reason column starts at the same display column on every line.
        let starts: Vec<usize> = lines
            .iter()
            .zip(["reason", "at most two", "position 18"])
            .map(|(l, r)| width(&l[..l.find(r).unwrap()]))
            .collect();
        assert!(starts.iter().all(|s| *s == starts[0]), "{t}");
        assert!(t.contains("position 18: the check character is 'X', expected '6'"), "{t}");
        let zh = render_error_table(&sample(), Some(Lang::Zh));
        assert!(zh.contains("第 18 位校验码为“X”，应为“6”"), "{zh}");
    }

    #[test]
    fn json_report_carries_key_args_and_both_languages() {
        let mut buf = Vec::new();
        write_error_report(&mut buf, &sample(), ReportFormat::Json).unwrap();
        let back: Vec<RowErrorJson> = serde_json::from_slice(&buf).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].key, "import.money_scale");
        assert_eq!(back[0].args.get("scale").map(String::as_str), Some("3"));
        assert!(back[1].zh.contains("校验码"));
        assert!(back[1].en.contains("check character"));
    }

    #[test]
    fn the_log_counts_rows_and_writes_every_error_as_csv() {
        #[derive(Clone, Default)]
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let out = Shared::default();
        let log = ErrorLog::new(Some(Box::new(out.clone())));
        let mut errors = sample();
        errors.push(errors[0].clone());
        for e in &errors {
            log.record(e);
        }
        log.finish().unwrap();
        assert_eq!((log.count(), log.bad_rows()), (3, 2));
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[1][0], "12");
        assert!(rows[1][3].contains("校验码") && rows[1][4].contains("check character"));
        assert_eq!(&rows[1][5], "uscc.check");
    }

    #[test]
    fn long_values_are_cut() {
        assert_eq!(truncate("一二三四五六", 7), "一二三…");
        assert_eq!(truncate("abc", 7), "abc");
    }
}
