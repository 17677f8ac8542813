//! The import crate's integration tests: fixture files in `tests/data/` read through the
//! public API, the way `huiqi import enterprises` reads them.
//!
//! Expected error reports sit next to their input as `<file>.expected`; a missing one is
//! written, and `UPDATE_EXPECT=1` rewrites them all (review the diff like code).

mod support;
mod xlsx;

use chrono::NaiveDate;
use enterprise::{EnterpriseRecord, FactSource, FactValue, TaxCreditRating, TaxpayerType, UnifiedCreditCode};
use i18n::{Lang, Localized};
use import::{Format, ImportError, Options, Parsed, Progress, RowError, read_file};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 3, 31).unwrap()
}

fn options() -> Options {
    Options::new(as_of(), FactSource::Tax)
}

fn read(path: &Path) -> Parsed {
    read_with(path, &options())
}

fn read_with(path: &Path, o: &Options) -> Parsed {
    match read_file(path, o, &mut |_| {}) {
        Ok(p) => p,
        Err(e) => panic!("{}: {}", path.display(), e.bilingual()),
    }
}

fn read_clean(path: &Path) -> Vec<EnterpriseRecord> {
    let p = read(path);
    assert!(
        p.errors.is_empty(),
        "{}:\n{}",
        path.display(),
        import::render_error_table(&p.errors, Some(Lang::En))
    );
    p.records
}

fn read_err(path: &Path) -> ImportError {
    match read_file(path, &options(), &mut |_| {}) {
        Ok(p) => panic!("{} read without a file error: {:?}", path.display(), p.errors),
        Err(e) => e,
    }
}

fn money(s: &str) -> FactValue {
    FactValue::Money(Decimal::from_str(s).unwrap())
}

fn fact<'a>(r: &'a EnterpriseRecord, id: &str, year: i32) -> Option<&'a FactValue> {
    r.facts.iter().find(|f| f.fact == id && f.year == Some(year)).map(|f| &f.value)
}

/// Compares the expected report file with `actual`, writing it when absent or asked to.
fn check_expected(input: &Path, actual: &str) {
    let path = input
        .with_extension(format!("{}.expected", input.extension().and_then(|e| e.to_str()).unwrap_or("")));
    if std::env::var_os("UPDATE_EXPECT").is_some() || !path.exists() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        expected,
        actual,
        "{} differs; rerun with UPDATE_EXPECT=1 and review the diff",
        path.display()
    );
}

/// One line per error: row, column, value, the reason in Chinese, in English.
fn report_lines(errors: &[RowError]) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                "{}\t{}\t{}\t{}\t{}\n",
                e.row,
                e.column,
                e.value,
                e.reason_text(Lang::Zh),
                e.reason_text(Lang::En)
            )
        })
        .collect()
}

#[test]
fn a_good_chinese_csv_gives_the_expected_records() {
    let recs = read_clean(&data("good_zh.csv"));
    assert_eq!(recs.len(), 3);
    let a = &recs[0];
    assert_eq!(a.enterprise.uscc.as_str(), "91430100MA4L00011K");
    assert_eq!(a.enterprise.name, "长沙智造科技有限公司");
    assert!(a.enterprise.assistance_target());
    assert_eq!(a.enterprise.industry_code.as_ref().map(ToString::to_string).as_deref(), Some("C3511"));
    assert_eq!(a.enterprise.established_on, NaiveDate::from_ymd_opt(2015, 6, 1));
    assert_eq!(a.enterprise.taxpayer_type, Some(TaxpayerType::General));
    assert_eq!(a.enterprise.tax_credit_rating, Some(TaxCreditRating::A));
    assert_eq!(
        a.enterprise.tags.iter().map(String::as_str).collect::<Vec<_>>(),
        ["专精特新", "高新技术企业"]
    );
    // Two rows, one per year, merge into one record.
    assert_eq!(fact(a, "employees", 2021), Some(&FactValue::Integer(120)));
    assert_eq!(fact(a, "employees", 2022), Some(&FactValue::Integer(135)));
    assert_eq!(fact(a, "revenue", 2021), Some(&money("12345678.90")));
    assert_eq!(fact(a, "rd_expense", 2021), Some(&money("1200000.5")));
    assert_eq!(a.facts.len(), 6, "{:?}", a.facts);
    assert!(a.facts.iter().all(|f| f.source == FactSource::Tax && f.as_of == as_of()));

    let b = &recs[1];
    assert!(!b.enterprise.registered_in_zone);
    assert!(!b.enterprise.assistance_target());
    assert_eq!(b.enterprise.taxpayer_type, Some(TaxpayerType::SmallScale));
    assert_eq!(b.facts.len(), 2);
    assert!(b.facts.iter().all(|f| f.source == FactSource::SelfReported), "the row's source column wins");

    // Whitespace around the code is trimmed; 1/0 are flags.
    let c = &recs[2];
    assert_eq!(c.enterprise.uscc.as_str(), "91430100MA4L00038B");
    assert!(c.enterprise.registered_in_zone && !c.enterprise.tax_registered_in_zone);
}

#[test]
fn empty_cells_are_unknown_never_zero() {
    let recs = read_clean(&data("good_zh.csv"));
    let a = &recs[0];
    // 资产总额 and 研发费用 are empty in the 2022 row: no fact, not a zero.
    assert_eq!(fact(a, "total_assets", 2022), None);
    assert_eq!(fact(a, "rd_expense", 2022), None);
    let c = &recs[2];
    assert!(c.facts.is_empty());
    assert_eq!(c.enterprise.industry_code, None);
    assert_eq!(c.enterprise.established_on, None);
    assert_eq!(c.enterprise.taxpayer_type, None);
    assert_eq!(c.enterprise.tax_credit_rating, None);
    assert!(c.enterprise.tags.is_empty());
}

#[test]
fn english_headers_and_json_lines_give_identical_records() {
    let zh = read_clean(&data("good_zh.csv"));
    let en = read_clean(&data("good_en.csv"));
    assert_eq!(zh, en);
    let jsonl = read(&data("good.jsonl"));
    assert_eq!(jsonl.format, Format::JsonLines);
    assert!(jsonl.errors.is_empty(), "{:?}", jsonl.errors);
    assert_eq!(jsonl.records, zh);
    assert_eq!(jsonl.rows, 4, "the blank line is not a row");
}

#[test]
fn a_good_xlsx_gives_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.xlsx");
    support::xlsx::write_good(&path).unwrap();
    let p = read(&path);
    assert_eq!(p.format, Format::Xlsx);
    assert!(p.errors.is_empty(), "{}", import::render_error_table(&p.errors, Some(Lang::En)));
    assert_eq!(p.records, read_clean(&data("good_zh.csv")));
}

#[test]
fn bad_xlsx_cells_are_reported_with_sheet_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.xlsx");
    support::xlsx::write_bad(&path).unwrap();
    let p = read(&path);
    let got: Vec<(usize, &str, &str)> =
        p.errors.iter().map(|e| (e.row, e.column.as_str(), e.reason.key)).collect();
    assert_eq!(
        got,
        [
            (2, "统一社会信用代码", "import.uscc_number"),
            (3, "从业人数", "import.integer"),
            (3, "营业收入", "import.money_scale"),
            (4, "成立日期", "import.date_number"),
        ],
        "{:?}",
        p.errors
    );
    assert!(p.records.is_empty());
}

#[test]
fn per_year_rows_and_per_year_columns_merge_alike() {
    let wide = read_clean(&data("wide.csv"));
    let long = read_clean(&data("long.csv"));
    assert_eq!(wide.len(), 1);
    assert_eq!(wide, long);
    assert_eq!(fact(&wide[0], "revenue", 2022), Some(&money("15000000")));
    assert_eq!(fact(&wide[0], "total_assets", 2021), Some(&money("50000000")));
}

#[test]
fn every_bad_row_and_cell_is_reported_in_both_languages() {
    let path = data("bad.csv");
    let p = read(&path);
    assert_eq!(p.rows, 9);
    assert!(p.records.is_empty(), "no enterprise of this file is clean: {:?}", p.records);
    // Every data row is named at least once.
    for row in 2..=10 {
        assert!(p.errors.iter().any(|e| e.row == row), "row {row} not reported");
    }
    // Row 4 has nine bad cells and no name: each is reported.
    assert_eq!(p.errors.iter().filter(|e| e.row == 4).count(), 10);
    for e in &p.errors {
        let zh = e.render(Lang::Zh);
        let en = e.render(Lang::En);
        assert!(zh.contains(&format!("第 {} 行", e.row)) && en.contains(&format!("row {}", e.row)));
        assert!(!zh.contains('{') && !en.contains('{'), "{zh} / {en}");
        assert_ne!(e.reason_text(Lang::Zh), e.reason_text(Lang::En));
    }
    check_expected(&path, &report_lines(&p.errors));
}

#[test]
fn invalid_codes_carry_the_reason_of_the_code_check() {
    let p = read(&data("bad.csv"));
    let e = &p.errors[0];
    assert_eq!((e.row, e.column.as_str(), e.value.as_str()), (2, "统一社会信用代码", "91430100MA4L00011X"));
    assert_eq!(
        e.reason_text(Lang::En),
        "position 18: the check character is 'X', expected 'K'; check the code for a typo"
    );
    assert_eq!(e.reason_text(Lang::Zh), "第 18 位校验码为“X”，应为“K”；请核对代码是否抄错");
}

#[test]
fn unknown_columns_are_a_file_error_with_the_nearest_name() {
    let e = read_err(&data("unknown_column.csv"));
    assert_eq!(
        e,
        ImportError::UnknownColumn {
            column: "营业收人_2021".into(), hint: "营业收入".into(), line: None
        }
    );
    assert!(e.render(Lang::Zh).contains("是否应为“营业收入”"));
    assert!(
        e.render(Lang::En).contains("did you mean 'revenue'")
            || e.render(Lang::En).contains("did you mean '营业收入'")
    );
    let e = read_err(&data("unknown_key.jsonl"));
    assert_eq!(
        e,
        ImportError::UnknownColumn { column: "revnue".into(), hint: "revenue".into(), line: Some(2) }
    );
}

/// A megabyte-long unknown column name gets no hint (it is not compared with every
/// accepted name) and is echoed cut to 64 characters and "…"; an unrelated name gets no
/// silly hint either.
#[test]
fn a_huge_or_unrelated_unknown_column_gets_no_hint_and_is_shown_cut() {
    let huge = "营业收入".repeat(250_000);
    let csv = format!("uscc,name,registered_in_zone,tax_registered_in_zone,{huge}\n");
    let e = import::read_csv(csv.as_bytes(), None, &options(), &mut |_| {}).unwrap_err();
    assert!(
        matches!(&e, ImportError::UnknownColumn { hint, .. } if hint.is_empty()),
        "{}",
        e.render(Lang::En).len()
    );
    for lang in [Lang::Zh, Lang::En] {
        let text = e.render(lang);
        assert!(text.chars().count() < 200, "{} characters", text.chars().count());
        assert!(text.contains(&format!("{}…", "营业收入".repeat(16))), "{text}");
    }
    let csv = "uscc,name,registered_in_zone,tax_registered_in_zone,备注说明\n";
    let e = import::read_csv(csv.as_bytes(), None, &options(), &mut |_| {}).unwrap_err();
    assert_eq!(e, ImportError::UnknownColumn { column: "备注说明".into(), hint: String::new(), line: None });
    assert!(
        e.render(Lang::En).contains("unknown column '备注说明'; the accepted names"),
        "{}",
        e.render(Lang::En)
    );
}

/// A bad cell's value is reported cut to 64 characters and "…": 2,000 rows of a 300 KB bad
/// cell kept every cell a second time in the error list (found by the fuzzer: 2 GB for a
/// 900 MB file).
#[test]
fn long_bad_values_are_reported_cut() {
    let long = "惠".repeat(100_000);
    let mut csv = String::from("uscc,name,registered_in_zone,tax_registered_in_zone,employees,year\n");
    for _ in 0..20 {
        csv.push_str(&format!("91430100MA4L00011K,x,是,是,{long},2021\n"));
    }
    let p = import::read_csv(csv.as_bytes(), None, &options(), &mut |_| {}).unwrap();
    let bad: Vec<&RowError> = p.errors.iter().filter(|e| e.column == "employees").collect();
    assert_eq!(bad.len(), 20);
    assert!(bad.iter().all(|e| e.value == format!("{}…", "惠".repeat(64))), "{}", bad[0].value.len());
    // A reason that quotes the cell (an industry code here) quotes at most 1,000 characters
    // of it (found by the fuzzer: 1,568 rows of 200 KB codes added 1.2 GB).
    let csv = format!(
        "uscc,name,registered_in_zone,tax_registered_in_zone,industry_code\n91430100MA4L00011K,x,是,是,{long}\n"
    );
    let p = import::read_csv(csv.as_bytes(), None, &options(), &mut |_| {}).unwrap();
    assert_eq!(p.errors.len(), 1);
    let reason = p.errors[0].reason_text(Lang::En);
    assert!(reason.chars().count() < 1_200, "{} characters", reason.chars().count());
}

#[test]
fn file_level_failures() {
    assert!(matches!(read_err(&data("missing.csv")), ImportError::Io { .. }));
    assert!(matches!(read_err(&data("good_zh.txt")), ImportError::UnknownFormat { .. }));
    assert_eq!(
        read_err(&data("no_uscc.csv")),
        ImportError::MissingColumn { zh: "统一社会信用代码".into(), en: "uscc".into() }
    );
    assert!(matches!(read_err(&data("duplicate_column.csv")), ImportError::DuplicateColumn { .. }));
    assert_eq!(read_err(&data("gbk.csv")), ImportError::Encoding { line: 2 });
    assert_eq!(read_err(&data("empty.csv")), ImportError::Empty);
    // The format option overrides the extension.
    let mut o = options();
    o.format = Some(Format::Csv);
    assert_eq!(read_with(&data("good_zh.txt"), &o).records.len(), 3);
    // A text file read as a workbook.
    o.format = Some(Format::Xlsx);
    let e = read_file(&data("good_zh.csv"), &o, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ImportError::Workbook { .. }), "{e:?}");
    assert!(e.render(Lang::Zh).contains("Excel"));
}

#[test]
fn money_is_exact_and_limited_to_fen() {
    let p = read(&data("money.jsonl"));
    let keys: Vec<(usize, &str)> = p.errors.iter().map(|e| (e.row, e.reason.key)).collect();
    assert_eq!(
        keys,
        [(3, "import.money_scale"), (4, "import.money_scale"), (5, "import.money"), (6, "import.money")],
        "{:?}",
        p.errors
    );
    // The clean enterprise: 0.1 and 0.2 read exactly, so their sum is exactly 0.3.
    let r = &p.records[0];
    let sum = match (fact(r, "revenue", 2021), fact(r, "revenue", 2022)) {
        (Some(FactValue::Money(a)), Some(FactValue::Money(b))) => *a + *b,
        other => panic!("{other:?}"),
    };
    assert_eq!(sum, Decimal::from_str("0.3").unwrap());
    assert_eq!(fact(r, "total_assets", 2021), Some(&money("1234567.89")));
}

#[test]
fn year_comes_from_the_column_name_the_year_column_or_the_default() {
    let path = data("no_year.csv");
    let p = read(&path);
    assert_eq!(p.errors.len(), 1);
    assert_eq!((p.errors[0].row, p.errors[0].column.as_str()), (2, "营业收入"));
    let mut o = options();
    o.default_year = Some(2022);
    let p = read_with(&path, &o);
    assert!(p.errors.is_empty());
    let r = &p.records[0];
    assert_eq!(fact(r, "revenue", 2022), Some(&money("100")));
    assert_eq!(fact(r, "employees", 2021), Some(&FactValue::Integer(5)), "the column's own year wins");
}

#[test]
fn progress_is_reported_as_rows_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    let n = support::generate::write_csv(&mut f, 12_500, &[2021, 2022]).unwrap();
    drop(f);
    let mut seen: Vec<Progress> = Vec::new();
    let p = read_file(&path, &options(), &mut |pr| seen.push(pr)).unwrap();
    assert!(p.errors.is_empty(), "{:?}", &p.errors[..p.errors.len().min(5)]);
    assert_eq!(p.rows, n);
    assert_eq!(p.records.len(), 12_500);
    assert!(p.records.iter().all(|r| r.facts.len() == 14));
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].rows <= w[1].rows && w[0].bytes <= w[1].bytes));
    let last = seen[seen.len() - 1];
    assert_eq!(last.rows, n);
    assert_eq!(last.bytes, last.total_bytes.unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever amounts and row order a file has, CSV and JSON lines read back exactly
    /// the values written, and per-year rows of one enterprise merge into one record.
    #[test]
    fn written_values_read_back_exactly(
        rows in proptest::collection::vec((0usize..4, 2019i32..2024, -10_000_000_000i64..10_000_000_000, 0i64..100_000), 1..12),
        thousands in any::<bool>(),
    ) {
        // Keep one row per (enterprise, year): a duplicate is an error, tested elsewhere.
        let mut seen = std::collections::BTreeSet::new();
        let rows: Vec<_> = rows.into_iter().filter(|(e, y, _, _)| seen.insert((*e, *y))).collect();
        let mut csv = String::from("uscc,name,registered_in_zone,tax_registered_in_zone,year,revenue,employees\n");
        let mut jsonl = String::new();
        for (e, y, fen, emp) in &rows {
            let code = support::generate::uscc(*e);
            let amount = Decimal::new(*fen, 2);
            let text = if thousands { with_thousands(amount) } else { amount.to_string() };
            csv.push_str(&format!("{code},企业{e},是,否,{y},\"{text}\",{emp}\n"));
            jsonl.push_str(&format!(
                "{{\"uscc\":\"{code}\",\"name\":\"企业{e}\",\"registered_in_zone\":true,\"tax_registered_in_zone\":false,\"year\":{y},\"revenue\":\"{amount}\",\"employees\":{emp}}}\n"
            ));
        }
        let o = options();
        let a = import::read_csv(csv.as_bytes(), None, &o, &mut |_| {}).unwrap();
        let b = import::read_jsonl(jsonl.as_bytes(), None, &o, &mut |_| {}).unwrap();
        prop_assert!(a.errors.is_empty(), "{:?}", a.errors);
        prop_assert_eq!(&a.records, &b.records);
        let enterprises: std::collections::BTreeSet<usize> = rows.iter().map(|r| r.0).collect();
        prop_assert_eq!(a.records.len(), enterprises.len());
        for (e, y, fen, emp) in &rows {
            let code = support::generate::uscc(*e);
            let r = a.records.iter().find(|r| r.enterprise.uscc == code).unwrap();
            prop_assert_eq!(fact(r, "revenue", *y), Some(&FactValue::Money(Decimal::new(*fen, 2))));
            prop_assert_eq!(fact(r, "employees", *y), Some(&FactValue::Integer(*emp)));
        }
    }
}

/// `-1234567.89` as `-1,234,567.89`.
fn with_thousands(d: Decimal) -> String {
    let s = d.abs().to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    let sign = if d.is_sign_negative() && !d.is_zero() { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{out}") } else { format!("{sign}{out}.{frac}") }
}

#[test]
fn generated_codes_are_valid() {
    for i in [0, 1, 99_999_999] {
        assert!(UnifiedCreditCode::parse(support::generate::uscc(i).as_str()).is_ok());
    }
}

#[test]
fn json_lines_report_bad_lines_and_keys_naming_one_field_twice() {
    let text = concat!(
        "{\"uscc\": \"91430100MA4L00011K\", \"统一社会信用代码\": \"91430100MA4L00011K\", \"name\": \"甲\", ",
        "\"registered_in_zone\": true, \"tax_registered_in_zone\": true}\n",
        "not json\n",
        "[1, 2]\n",
        "{\"uscc\": \"91430100MA4L0002XB\", \"name\": [\"乙\"], \"registered_in_zone\": true, \"tax_registered_in_zone\": true}\n",
    );
    let p = import::read_jsonl(text.as_bytes(), None, &options(), &mut |_| {}).unwrap();
    let got: Vec<(usize, &str, &str)> =
        p.errors.iter().map(|e| (e.row, e.column.as_str(), e.reason.key)).collect();
    assert_eq!(
        got,
        [
            (1, "统一社会信用代码", "import.duplicate_cell"),
            (2, "", "import.json"),
            (3, "", "import.json_object"),
            (4, "name", "import.json_value"),
        ]
    );
    assert_eq!(p.rows, 4);
}

// ---------------------------------------------------------------------------------------
// Issue 14: partial files, empty cells, error volume, encodings

fn write_tmp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const CODE_A: &str = "91430100MA4L00011K";

#[test]
fn a_file_with_some_columns_states_only_those_fields() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_tmp(
        &dir,
        "partial.csv",
        format!(
            "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区,年度,从业人数\n{CODE_A},甲公司,是,是,2022,52\n"
        )
        .as_bytes(),
    );
    let r = &read_clean(&p)[0];
    let keep: Vec<&str> = r.scope.keep.iter().map(String::as_str).collect();
    assert_eq!(keep, ["established_on", "industry_code", "tags", "tax_credit_rating", "taxpayer_type"]);
    assert!(r.scope.clear.is_empty());
    assert_eq!(fact(r, "employees", 2022), Some(&FactValue::Integer(52)));
}

#[test]
fn empty_cells_clear_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_tmp(
        &dir,
        "empty.csv",
        format!(
            "uscc,name,registered_in_zone,tax_registered_in_zone,industry_code,tax_credit_rating,revenue_2021,revenue_2022\n\
             {CODE_A},甲公司,是,是,,A,,100\n"
        )
        .as_bytes(),
    );
    let kept = &read_clean(&p)[0];
    assert!(kept.scope.keep.contains("industry_code"), "an empty cell keeps by default");
    assert!(kept.scope.keep.contains("established_on"), "an absent column keeps");
    assert!(!kept.scope.keep.contains("tax_credit_rating"));
    assert!(kept.scope.clear.is_empty());

    let mut o = options();
    o.clear_empty = true;
    let cleared = &read_with(&p, &o).records[0];
    assert!(!cleared.scope.keep.contains("industry_code"), "an empty cell clears when asked");
    assert!(cleared.scope.keep.contains("established_on"), "an absent column still keeps");
    assert_eq!(cleared.scope.clear, vec![("revenue".to_string(), Some(2021))]);
}

#[test]
fn a_file_whose_every_row_fails_keeps_a_page_of_errors_and_counts_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("uscc,name,registered_in_zone,tax_registered_in_zone\n");
    for i in 0..5000 {
        text.push_str(&format!("not-a-code-{i},x,是,是\n"));
    }
    let p = write_tmp(&dir, "bad_all.csv", text.as_bytes());
    let mut o = options();
    o.max_errors = import::LISTED_ERRORS;
    let report_path = dir.path().join("errors.csv");
    let file = std::fs::File::create(&report_path).unwrap();
    let r = import::read_file_report(&p, &o, &mut |_| {}, Some(Box::new(file))).unwrap();
    assert_eq!(r.parsed.errors.len(), import::LISTED_ERRORS);
    assert_eq!((r.error_count, r.bad_rows), (5000, 5000));
    assert!(!r.is_clean());
    let report = std::fs::read_to_string(&report_path).unwrap();
    assert!(report.starts_with('\u{feff}'), "a BOM for Excel");
    assert_eq!(report.lines().count(), 5001, "a header and every error");
}

#[test]
fn utf16_files_are_refused_naming_the_encoding_and_a_bom_utf8_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("uscc,name,registered_in_zone,tax_registered_in_zone\n{CODE_A},甲公司,是,是\n");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let p = write_tmp(&dir, "utf16.csv", &utf16);
    match read_file(&p, &options(), &mut |_| {}) {
        Err(e @ ImportError::NotUtf8 { .. }) => {
            let zh = e.render(Lang::Zh);
            assert!(zh.contains("UTF-16LE") && zh.contains("CSV UTF-8"), "{zh}");
        }
        other => panic!("{other:?}"),
    }
    let no_bom: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let p = write_tmp(&dir, "utf16.jsonl", &no_bom);
    assert!(matches!(read_file(&p, &options(), &mut |_| {}), Err(ImportError::NotUtf8 { .. })));
    let mut bom8 = "\u{feff}".as_bytes().to_vec();
    bom8.extend(text.as_bytes());
    let p = write_tmp(&dir, "bom.csv", &bom8);
    assert_eq!(read_clean(&p).len(), 1);
}
