//! A provider's arrears file read into rows of cells: CSV (UTF-8, with or without a byte-order
//! mark) or XLSX (the first sheet, by the import's bounded reader), a header row naming the
//! columns in Chinese or English, then one row per record. Which columns a file carries is
//! kept: an import changes only the fields of the columns present (and, in them, of the cells
//! not empty).

use crate::{Error, Result};

/// The largest file accepted (bytes).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The most records in one file.
pub const MAX_ROWS: u32 = 100_000;
/// The most row problems listed in a refusal (the rest are counted).
pub const LISTED_PROBLEMS: usize = 200;

/// A column of an arrears file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Provider,
    RecordNo,
    Uscc,
    Kind,
    Amount,
    ArrearsOn,
    PaidOn,
    LateFee,
    LateFeeOn,
}

impl Column {
    pub const ALL: [Column; 9] = [
        Column::Provider,
        Column::RecordNo,
        Column::Uscc,
        Column::Kind,
        Column::Amount,
        Column::ArrearsOn,
        Column::PaidOn,
        Column::LateFee,
        Column::LateFeeOn,
    ];

    /// The field name (as errors name it).
    pub fn field(self) -> &'static str {
        match self {
            Column::Provider => "provider",
            Column::RecordNo => "record_no",
            Column::Uscc => "uscc",
            Column::Kind => "kind",
            Column::Amount => "amount",
            Column::ArrearsOn => "arrears_on",
            Column::PaidOn => "paid_on",
            Column::LateFee => "late_fee",
            Column::LateFeeOn => "late_fee_on",
        }
    }

    /// The Chinese header (as the export writes it).
    pub fn header_zh(self) -> &'static str {
        match self {
            Column::Provider => "供应单位",
            Column::RecordNo => "记录编号",
            Column::Uscc => "统一社会信用代码",
            Column::Kind => "类别",
            Column::Amount => "欠费金额",
            Column::ArrearsOn => "欠费日期",
            Column::PaidOn => "补缴日期",
            Column::LateFee => "滞纳金",
            Column::LateFeeOn => "滞纳金收取日期",
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Column::Provider => &["provider", "供应单位", "供应商", "供应企业"],
            Column::RecordNo => &["record_no", "record", "记录编号", "单号", "欠费编号", "账单编号"],
            Column::Uscc => &["uscc", "credit_code", "统一社会信用代码", "信用代码"],
            Column::Kind => &["kind", "utility", "类别", "种类", "品类"],
            Column::Amount => &["amount", "欠费金额", "金额", "欠费金额（元）", "欠费金额(元)"],
            Column::ArrearsOn => &["arrears_on", "arrears_date", "欠费日期"],
            Column::PaidOn => &["paid_on", "paid_date", "补缴日期", "缴清日期", "缴费日期"],
            Column::LateFee => &["late_fee", "滞纳金", "滞纳金（元）", "滞纳金(元)"],
            Column::LateFeeOn => &["late_fee_on", "late_fee_date", "滞纳金收取日期", "收取日期"],
        }
    }

    fn of(header: &str) -> Option<Column> {
        let h = header.trim().trim_start_matches('\u{feff}').trim();
        let lower = h.to_ascii_lowercase();
        Column::ALL.into_iter().find(|c| c.names().iter().any(|n| *n == h || *n == lower))
    }
}

/// The rows of a file: its columns and each row's cells (trimmed) with its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// (line number in the file, 1 the header; the cells by column, in `columns` order).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    pub fn has(&self, c: Column) -> bool {
        self.columns.contains(&c)
    }
}

fn refused(problem: String) -> Error {
    Error::ArrearsFile { problems: vec![problem], more: 0 }
}

/// Whether a file is a workbook (by its name or its zip signature).
pub fn is_workbook(file_name: &str, bytes: &[u8]) -> bool {
    file_name.to_ascii_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04")
}

/// Reads a file into a [`Table`]: refused whole when it is too big, unreadable, or its header
/// names an unknown column, a column twice, or not the provider and record number.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Table> {
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
        let Some(c) = Column::of(h) else {
            return Err(refused(format!(
                "未知的列“{h}”；可用的列：供应单位、记录编号、统一社会信用代码、类别、欠费金额、欠费日期、补缴日期、滞纳金、滞纳金收取日期 / \
                 unknown column {h:?}; the columns are provider, record_no, uscc, kind, amount, arrears_on, paid_on, late_fee, late_fee_on"
            )));
        };
        if columns.contains(&c) {
            return Err(refused(format!("列“{h}”出现了两次 / the column {h:?} appears twice")));
        }
        columns.push(c);
        keep.push(i);
    }
    for c in [Column::Provider, Column::RecordNo] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_either_language_and_blank_rows_skipped() {
        let t = read("a.csv", "\u{feff}供应单位,记录编号,Amount\nA,1,3.5\n,,\nB,2,\n".as_bytes()).unwrap();
        assert_eq!(t.columns, [Column::Provider, Column::RecordNo, Column::Amount]);
        assert_eq!(
            t.rows,
            [
                (2, vec!["A".into(), "1".into(), "3.5".into()]),
                (4, vec!["B".into(), "2".into(), String::new()])
            ]
        );
    }

    #[test]
    fn bad_headers_are_refused_with_the_reason() {
        let e = |text: &str| match read("a.csv", text.as_bytes()) {
            Err(Error::ArrearsFile { problems, .. }) => problems.join(" "),
            other => panic!("{other:?}"),
        };
        assert!(e("provider,record_no,colour\n").contains("colour"));
        assert!(e("provider,供应单位,record_no\n").contains("两次"));
        assert!(e("provider,amount\n").contains("record_no"));
        assert!(e("").contains("empty"));
    }
}
