//! A provider's arrears file read into rows of cells: CSV (UTF-8, with or without a byte-order
//! mark) or XLSX (the first sheet, by the import's bounded reader), a header row naming the
//! columns in Chinese or English, then one row per record. Which columns a file carries is
//! kept: an import changes only the fields of the columns present (and, in them, of the cells
//! not empty).

use crate::table_file::{self, Columns};
use crate::{Error, Result};

pub use crate::table_file::{LISTED_PROBLEMS, MAX_FILE_BYTES, MAX_ROWS, is_workbook};

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

impl Columns for Column {
    const ALL: &'static [Column] = &[
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
    const REQUIRED: &'static [Column] = &[Column::Provider, Column::RecordNo];

    fn field(self) -> &'static str {
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

    fn header_zh(self) -> &'static str {
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

    fn refused(problems: Vec<String>, more: usize) -> Error {
        Error::ArrearsFile { problems, more }
    }
}

/// The rows of an arrears file.
pub type Table = table_file::Table<Column>;

/// Reads an arrears file ([`table_file::read`]): it must name the provider and the record
/// number.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Table> {
    table_file::read(file_name, bytes)
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
