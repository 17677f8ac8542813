//! XLSX fixtures, written with rust_xlsxwriter so that their cells have real types: text,
//! numbers, booleans and date cells.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::path::Path;

const HEADER: [&str; 15] = [
    "统一社会信用代码",
    "企业名称",
    "工商注册在园区",
    "税务登记在园区",
    "行业代码",
    "成立日期",
    "纳税人类型",
    "纳税信用等级",
    "标签",
    "年度",
    "从业人数",
    "营业收入",
    "资产总额",
    "研发费用",
    "数据来源",
];

/// The content of `tests/data/good_zh.csv`, with typed cells.
pub fn write_good(path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let founded = ExcelDateTime::from_ymd(2015, 6, 1)?;
    // Row 2: enterprise A, 2021.
    ws.write_string(1, 0, "91430100MA4L00011K")?;
    ws.write_string(1, 1, "长沙智造科技有限公司")?;
    ws.write_boolean(1, 2, true)?;
    ws.write_string(1, 3, "是")?;
    ws.write_string(1, 4, "C3511")?;
    ws.write_datetime_with_format(1, 5, &founded, &date)?;
    ws.write_string(1, 6, "一般纳税人")?;
    ws.write_string(1, 7, "A")?;
    ws.write_string(1, 8, "专精特新;高新技术企业")?;
    ws.write_number(1, 9, 2021)?;
    ws.write_number(1, 10, 120)?;
    ws.write_number(1, 11, 12345678.9)?;
    ws.write_number(1, 12, 50000000)?;
    ws.write_number(1, 13, 1200000.5)?;
    // Row 3: enterprise A, 2022; empty cells stay unwritten.
    ws.write_string(2, 0, "91430100MA4L00011K")?;
    ws.write_string(2, 1, "长沙智造科技有限公司")?;
    ws.write_boolean(2, 2, true)?;
    ws.write_boolean(2, 3, true)?;
    ws.write_string(2, 4, "C3511")?;
    ws.write_datetime_with_format(2, 5, &founded, &date)?;
    ws.write_string(2, 6, "一般纳税人")?;
    ws.write_string(2, 7, "A")?;
    ws.write_string(2, 8, "高新技术企业、专精特新")?;
    ws.write_string(2, 9, "2022")?;
    ws.write_number(2, 10, 135)?;
    ws.write_number(2, 11, 15000000)?;
    // Row 4: enterprise B.
    ws.write_string(3, 0, "91430100MA4L0002XB")?;
    ws.write_string(3, 1, "湖南星沙物流有限公司")?;
    ws.write_string(3, 2, "否")?;
    ws.write_string(3, 3, "是")?;
    ws.write_string(3, 4, "G5430")?;
    ws.write_string(3, 6, "小规模纳税人")?;
    ws.write_number(3, 9, 2022)?;
    ws.write_number(3, 10, 8)?;
    ws.write_number(3, 11, 0.1)?;
    ws.write_string(3, 14, "企业自报")?;
    // Row 5: enterprise C, flags as numbers.
    ws.write_string(4, 0, " 91430100MA4L00038B ")?;
    ws.write_string(4, 1, "麓谷软件工作室")?;
    ws.write_number(4, 2, 1)?;
    ws.write_number(4, 3, 0)?;
    wb.save(path)
}

/// Cells whose Excel type is wrong for their column.
pub fn write_bad(path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in [
        "统一社会信用代码",
        "企业名称",
        "工商注册在园区",
        "税务登记在园区",
        "年度",
        "从业人数",
        "营业收入",
        "成立日期",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h)?;
    }
    // A code typed as a number: Excel keeps 15 digits.
    ws.write_number(1, 0, 914301001234567890.0)?;
    ws.write_string(1, 1, "数字代码公司")?;
    ws.write_string(1, 2, "是")?;
    ws.write_string(1, 3, "是")?;
    // A computed amount with float noise, and a fractional headcount.
    ws.write_string(2, 0, "91430100MA4L00011K")?;
    ws.write_string(2, 1, "长沙智造科技有限公司")?;
    ws.write_string(2, 2, "是")?;
    ws.write_string(2, 3, "是")?;
    ws.write_number(2, 4, 2021)?;
    ws.write_number(2, 5, 12.5)?;
    ws.write_number(2, 6, 0.1 + 0.2)?;
    // A date typed as a bare serial number.
    ws.write_string(3, 0, "91430100MA4L0002XB")?;
    ws.write_string(3, 1, "湖南星沙物流有限公司")?;
    ws.write_string(3, 2, "否")?;
    ws.write_string(3, 3, "是")?;
    ws.write_number(3, 7, 43529)?;
    wb.save(path)
}
