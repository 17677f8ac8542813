//! The shipped policy library (policies/) checks clean and passes every item's test cases:
//! the conformance suite of `huiqi policy test`, run by `cargo test`.

use rules::{Library, SourceFile};

fn shipped() -> Vec<SourceFile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| SourceFile {
            name: format!("policies/{}", p.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

#[test]
fn the_shipped_library_checks_and_passes_its_cases() {
    let (lib, diags) = Library::load(&shipped(), enterprise::FactDictionary::official());
    let rendered: Vec<String> = diags.iter().map(|d| d.render()).collect();
    assert!(diags.is_empty(), "{rendered:#?}");
    let reports = lib.run_cases();
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{} {} «{}»: {}", r.file, r.item, r.case, r.problem.clone().unwrap_or_default()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(reports.len() >= 180, "only {} cases", reports.len());
    // Every item has a case that qualifies and one that does not (ineligible or
    // undetermined): a condition no case can fail, or none can pass, is untested.
    for item in lib.items() {
        assert!(!item.cases.is_empty(), "{} has no test case", item.id);
        let eligible = item.cases.iter().filter(|c| c.outcome == rules::Eligibility::Eligible).count();
        assert!(eligible > 0, "{} has no eligible case", item.id);
        assert!(eligible < item.cases.len(), "{} has no case that does not qualify", item.id);
    }
}

/// The notices of issue 11 read exactly: each start date of 留抵退税 and the first day of each
/// window has a case on it, so a date moved by a day fails a case.
#[test]
fn each_start_date_has_a_case_on_it() {
    let (lib, _) = Library::load(&shipped(), enterprise::FactDictionary::official());
    let on = |item: &str, date: &str| {
        let i = lib.items().find(|i| i.id == item).unwrap_or_else(|| panic!("no item {item}"));
        let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        assert!(i.cases.iter().any(|c| c.date == d), "{item} has no case on {date}");
    };
    on("vat-credit-refund-small-micro-2022", "2022-04-01");
    on("vat-credit-refund-small-micro-stock-2022", "2022-04-01");
    on("vat-credit-refund-small-micro-stock-2022", "2022-04-30");
    on("vat-credit-refund-small-micro-stock-2022", "2022-05-01");
    on("vat-credit-refund-manufacturing-2022", "2022-04-01");
    on("vat-credit-refund-manufacturing-stock-2022", "2022-04-30");
    on("vat-credit-refund-manufacturing-stock-2022", "2022-05-01");
    on("vat-credit-refund-manufacturing-stock-2022", "2022-05-31");
    on("vat-credit-refund-manufacturing-stock-2022", "2022-06-01");
    on("vat-credit-refund-wholesale-etc-2022", "2022-07-01");
    on("vat-credit-refund-wholesale-etc-stock-2022", "2022-07-01");
    on("six-taxes-two-fees-2022", "2022-06-30");
    on("six-taxes-two-fees-2022", "2022-07-01");
    on("small-scale-vat-monthly-exemption-2021", "2021-04-01");
    on("small-scale-vat-monthly-exemption-2021", "2022-12-31");
    on("small-scale-vat-monthly-exemption-2023-sta1", "2023-01-01");
    on("mfg-deferral-medium-2021q4", "2021-10-01");
    on("mfg-deferral-medium-2022h1", "2022-01-01");
}
