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

/// 留抵退税 第六条 as the shipped items decide it (the built-in `vat_refund_size(year - 1)` in
/// sta-2022-14-vat-credit-refund.toml, read back through which items an enterprise gets)
/// agrees with the 2011 table read without employees (`SizeStandard::classify_without_employees`,
/// else `class_by_vat_sales`) for one code of every row, at every threshold of the standard and
/// a fen below it, revenue and assets crossed. Finance (银发〔2015〕309号) is tested in the
/// enterprise crate and the policy's cases.
#[test]
fn the_refund_size_in_the_policy_agrees_with_the_size_tables() {
    use enterprise::{FactValue, Facts, Indicators, SizeClass, SizeStandards, class_by_vat_sales};
    use rules::Eligibility::Eligible;
    use rust_decimal::Decimal;
    let (lib, diags) = Library::load(&shipped(), enterprise::FactDictionary::official());
    assert!(diags.is_empty());
    let item = |id: &str| lib.items().find(|i| i.id == id).unwrap().clone();
    let (small_micro, stock_small_micro, stock_medium_large) = (
        item("vat-credit-refund-small-micro-2022"),
        item("vat-credit-refund-small-micro-stock-2022"),
        item("vat-credit-refund-manufacturing-stock-2022"),
    );
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let standard = SizeStandards::official().in_force(day("2022-04-01")).unwrap();
    // Every threshold of the 2011 table and of 第六条 in yuan (万元 × 10,000).
    let wan = [
        50, 100, 200, 300, 500, 1_000, 2_000, 3_000, 5_000, 6_000, 8_000, 10_000, 20_000, 30_000, 40_000,
        80_000, 100_000, 120_000, 200_000,
    ];
    let mut values = vec![Decimal::ZERO];
    for w in wan {
        let v = Decimal::from(w) * Decimal::from(10_000);
        values.push(v - Decimal::new(1, 2));
        values.push(v);
    }
    let codes = [
        "A0111", "C3511", "D4411", "E4811", "F5111", "F5211", "G5310", "G5430", "G5910", "G5920", "G6010",
        "H6110", "H6210", "I6311", "I6513", "K7010", "K7020", "K7030", "L7212", "M7320", "P8310", "R8710",
    ];
    let mut n = 0;
    for code in codes {
        let two = matches!(code, "E4811" | "K7010" | "L7212");
        let assets: Vec<Option<Decimal>> =
            if two { values.iter().copied().map(Some).collect() } else { vec![None] };
        for &r in &values {
            for &a in &assets {
                let x = Indicators { employees: None, revenue: Some(r), assets: a };
                let expected = match standard
                    .classify_without_employees(&enterprise::IndustryCode::parse(code).unwrap(), &x)
                {
                    Some(c) => c.outcome.class().unwrap(),
                    None => class_by_vat_sales(r),
                };
                let mut f = Facts::default();
                for (k, v) in [
                    ("industry_code", FactValue::Code(code.into())),
                    ("established_on", FactValue::Date(day("2015-03-01"))),
                    ("taxpayer_type", FactValue::Code("general".into())),
                    ("tax_credit_rating", FactValue::Code("A".into())),
                    ("refund_fraud_36m", FactValue::Bool(false)),
                    ("invoice_fraud_36m", FactValue::Bool(false)),
                    ("tax_evasion_penalties_36m", FactValue::Integer(0)),
                    ("immediate_refund_since_2019", FactValue::Bool(false)),
                    ("manufacturing_etc_sales_share", FactValue::Ratio(Decimal::new(8, 1))),
                ] {
                    f.set(k, v);
                }
                f.set_year("vat_sales", 2021, FactValue::Money(r));
                if let Some(a) = a {
                    f.set_year("total_assets_year_end", 2021, FactValue::Money(a));
                }
                let yes = |i: &rules::Item, d: &str| lib.evaluate(i, &f, day(d)).outcome == Eligible;
                let got = match (yes(&small_micro, "2022-04-01"), yes(&stock_small_micro, "2022-04-30")) {
                    (true, true) => SizeClass::Micro,
                    (true, false) => SizeClass::Small,
                    _ if yes(&stock_medium_large, "2022-05-31") => SizeClass::Medium,
                    _ => SizeClass::Large,
                };
                assert_eq!(got, expected, "{code} revenue {r} assets {a:?}");
                n += 1;
            }
        }
    }
    assert!(n > 4_000, "{n} combinations");
}

/// `vat_refund_size(y)` decides the same on the evaluator and the batch engine for the shipped
/// 留抵退税 items, over codes fine and coarse (G59, J66, J691, K70, bare sections), with and
/// without each fact, for enterprises established before and during the prior year; a coarse
/// code is undetermined and names `industry_code` (never read as one of its rows).
#[test]
fn the_refund_size_is_the_same_on_every_path_and_names_a_coarse_code() {
    use enterprise::{FactValue, Facts};
    use rules::Eligibility;
    use rust_decimal::Decimal;
    let (lib, diags) = Library::load(&shipped(), enterprise::FactDictionary::official());
    assert!(diags.is_empty());
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let codes = [
        "C3511", "C35", "C", "E4811", "G59", "G591", "G5920", "G", "J", "J66", "J6621", "J6635", "J67",
        "J691", "J6911", "J6920", "K70", "K7010", "K7030", "L7212", "M7320", "M",
    ];
    let money = ["999999.99", "19999999.99", "20000000", "5000000000", "400000000"];
    let mut all = Vec::new();
    for code in codes {
        for (k, m) in money.iter().enumerate() {
            for variant in 0..4 {
                let mut f = Facts::default();
                f.set("industry_code", FactValue::Code(code.into()));
                f.set("taxpayer_type", FactValue::Code("general".into()));
                f.set("tax_credit_rating", FactValue::Code("A".into()));
                f.set("refund_fraud_36m", FactValue::Bool(false));
                f.set("invoice_fraud_36m", FactValue::Bool(false));
                f.set("tax_evasion_penalties_36m", FactValue::Integer(0));
                f.set("immediate_refund_since_2019", FactValue::Bool(false));
                f.set("manufacturing_etc_sales_share", FactValue::Ratio(Decimal::new(8, 1)));
                let v: Decimal = m.parse().unwrap();
                if variant != 1 {
                    f.set_year("vat_sales", 2021, FactValue::Money(v));
                }
                if variant != 2 {
                    f.set_year(
                        "total_assets_year_end",
                        2021,
                        FactValue::Money(money[(k + 1) % money.len()].parse().unwrap()),
                    );
                }
                match variant {
                    3 => {
                        f.set("established_on", FactValue::Date(day("2021-10-01")));
                        f.set_year("vat_sales_months", 2021, FactValue::Integer(3));
                    }
                    _ => f.set("established_on", FactValue::Date(day("2015-03-01"))),
                }
                all.push(f);
            }
        }
    }
    let snap = rules::batch::Snapshot::from_facts(&all, enterprise::FactDictionary::official());
    let mut coarse_undetermined = 0;
    for date in ["2022-04-01", "2022-05-01", "2022-06-01"] {
        let date = day(date);
        let items: Vec<&rules::Item> =
            lib.items_in_force(date).into_iter().filter(|i| i.id.starts_with("vat-credit-refund")).collect();
        assert!(items.len() >= 4);
        let result = rules::batch::run(&lib.program, &items, &snap, date);
        for (k, item) in items.iter().enumerate() {
            for (i, f) in all.iter().enumerate() {
                let d = lib.evaluate(item, f, date);
                assert_eq!(d.outcome, result.items[k].outcome(i), "{} row {i} {f:?}", item.id);
                let code = match f.scalar.get("industry_code") {
                    Some(FactValue::Code(c)) => c.clone(),
                    _ => String::new(),
                };
                if ["G59", "G", "J", "J66", "J691", "K70"].contains(&code.as_str())
                    && item.id == "vat-credit-refund-small-micro-2022"
                {
                    assert_eq!(d.outcome, Eligibility::Undetermined, "{code}");
                    assert!(
                        d.missing_facts.iter().any(|m| m.fact == "industry_code"),
                        "{code}: {:?}",
                        d.missing_facts
                    );
                    coarse_undetermined += 1;
                }
            }
        }
    }
    assert!(coarse_undetermined >= 6 * 20);
}
