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
    fn long_values_are_cut() {
        assert_eq!(truncate("一二三四五六", 7), "一二三…");
        assert_eq!(truncate("abc", 7), "abc");
    }
}
