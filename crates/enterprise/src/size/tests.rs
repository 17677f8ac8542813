use super::*;
use std::str::FromStr;

fn std2011() -> &'static SizeStandard {
    SizeStandards::official().in_force(NaiveDate::from_ymd_opt(2022, 4, 27).unwrap()).unwrap()
}

fn ind(s: &str) -> IndustryCode {
    IndustryCode::parse(s).unwrap()
}

/// Every threshold of all 16 rows, just below and at, with missing indicators.
#[test]
fn every_threshold_of_every_row() {
    let text = include_str!("../../test_data/size_cases.csv");
    let mut n = 0;
    let mut rows_seen = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let x = Indicators {
            employees: (!f[2].is_empty()).then(|| f[2].parse().unwrap()),
            revenue: (!f[3].is_empty()).then(|| Decimal::from_str(f[3]).unwrap()),
            assets: (!f[4].is_empty()).then(|| Decimal::from_str(f[4]).unwrap()),
        };
        let c = std2011().classify(&ind(f[1]), &x);
        assert_eq!(c.outcome.as_str(), f[5], "{line}");
        assert_eq!(c.row, Some(f[0].parse().unwrap()), "{line}");
        rows_seen.insert(f[0].to_string());
        n += 1;
    }
    assert_eq!(rows_seen.len(), 16);
    assert!(n > 900);
}

#[test]
fn undetermined_names_the_missing_indicator() {
    // Industry, 50 employees (an SME by headcount), revenue unknown: small needs revenue.
    let c = std2011().classify(&ind("C3511"), &Indicators { employees: Some(50), ..Default::default() });
    assert_eq!(
        c.outcome,
        SizeOutcome::Undetermined { missing: vec![Indicator::Revenue], industry_unclear: false }
    );
    // 10 employees: below the small line whatever the revenue, so micro.
    let c = std2011().classify(&ind("C3511"), &Indicators { employees: Some(10), ..Default::default() });
    assert_eq!(c.outcome.class(), Some(SizeClass::Micro));
}

#[test]
fn industry_codes_map_to_rows() {
    let cases: &[(&str, Option<u8>)] = &[
        ("A", Some(1)),
        ("05", Some(1)),
        ("06", Some(2)),
        ("C", Some(2)),
        ("D46", Some(2)),
        ("47", Some(3)),
        ("E50", Some(3)),
        ("51", Some(4)),
        ("52", Some(5)),
        ("F", None),
        ("53", Some(16)),
        ("5320", Some(16)),
        ("54", Some(6)),
        ("58", Some(6)),
        ("59", None),
        ("591", Some(6)),
        ("5910", Some(6)),
        ("G5910", Some(6)),
        ("592", Some(7)),
        ("5920", Some(7)),
        ("G5990", Some(7)),
        ("60", Some(8)),
        ("G", None),
        ("61", Some(9)),
        ("62", Some(10)),
        ("63", Some(11)),
        ("64", Some(11)),
        ("65", Some(12)),
        ("I", None),
        ("70", None),
        ("K", None),
        ("701", Some(13)),
        ("7010", Some(13)),
        ("7020", Some(14)),
        ("702", Some(14)),
        ("7030", Some(16)),
        ("703", Some(16)),
        ("71", Some(15)),
        ("L", Some(15)),
        ("72", Some(15)),
        ("73", Some(16)),
        ("M", Some(16)),
        ("J66", Some(16)),
        ("97", Some(16)),
    ];
    let x = Indicators { employees: Some(1), revenue: Some(Decimal::ONE), assets: Some(Decimal::ONE) };
    for (code, row) in cases {
        let c = std2011().classify(&ind(code), &x);
        assert_eq!(c.row, *row, "{code}");
        if row.is_none() {
            assert_eq!(
                c.outcome,
                SizeOutcome::Undetermined { missing: vec![], industry_unclear: true },
                "{code}"
            );
        }
    }
}

#[test]
fn versions_are_chosen_by_date() {
    assert!(SizeStandards::official().in_force(NaiveDate::from_ymd_opt(2011, 6, 17).unwrap()).is_none());
    assert!(SizeStandards::official().in_force(NaiveDate::from_ymd_opt(2011, 6, 18).unwrap()).is_some());
}

proptest::proptest! {
    /// With revenue fixed, more employees never makes an industrial enterprise smaller.
    #[test]
    fn class_never_goes_down_as_headcount_grows(e in 0i64..3000, extra in 0i64..3000, r in 0i64..600_000_000) {
        let rev = Some(Decimal::from(r));
        let a = std2011().classify(&ind("C35"), &Indicators { employees: Some(e), revenue: rev, assets: None });
        let b = std2011().classify(&ind("C35"), &Indicators { employees: Some(e + extra), revenue: rev, assets: None });
        proptest::prop_assert!(a.outcome.class().unwrap() <= b.outcome.class().unwrap());
    }
}

/// 留抵退税 第六条: employees never count; rows without revenue or assets defer to VAT sales.
#[test]
fn without_employees_revenue_and_assets_decide() {
    let x = |r: i64, a: Option<i64>| Indicators {
        employees: Some(5000),
        revenue: Some(Decimal::from(r)),
        assets: a.map(Decimal::from),
    };
    let class = |code: &str, r: i64, a: Option<i64>| {
        std2011().classify_without_employees(&ind(code), &x(r, a)).and_then(|c| c.outcome.class())
    };
    // 工业: 5,000 employees would make it large; revenue alone says small.
    assert_eq!(class("C3511", 19_999_999, None), Some(SizeClass::Small));
    assert_eq!(class("C3511", 20_000_000, None), Some(SizeClass::Medium));
    assert_eq!(class("C3511", 2_999_999, None), Some(SizeClass::Micro));
    assert_eq!(class("C3511", 400_000_000, None), Some(SizeClass::Large));
    // 建筑业: both indicators, the lower decides.
    assert_eq!(class("E4811", 100_000_000, Some(40_000_000)), Some(SizeClass::Small));
    // 装卸搬运 is 交通运输业 (small from 2,000,000 to 30,000,000), 仓储 is not.
    assert_eq!(class("G5910", 15_000_000, None), Some(SizeClass::Small));
    assert_eq!(class("G5920", 15_000_000, None), Some(SizeClass::Medium));
    // 租赁和商务服务业: assets alone; revenue is not an indicator of the row.
    assert_eq!(class("L7212", 1, Some(79_999_999)), Some(SizeClass::Small));
    // Employees-only rows and railway defer to VAT sales.
    assert!(std2011().classify_without_employees(&ind("M7320"), &x(1, None)).is_none());
    assert!(std2011().classify_without_employees(&ind("G5310"), &x(1, None)).is_none());
    // A missing indicator the row reads is named.
    let c = std2011().classify_without_employees(&ind("E4811"), &x(100_000_000, None)).unwrap();
    assert_eq!(
        c.outcome,
        SizeOutcome::Undetermined { missing: vec![Indicator::Assets], industry_unclear: false }
    );
    // The VAT-sales bounds, each exclusive.
    let d = |n: &str| Decimal::from_str(n).unwrap();
    assert_eq!(class_by_vat_sales(d("999999.99")), SizeClass::Micro);
    assert_eq!(class_by_vat_sales(d("1000000")), SizeClass::Small);
    assert_eq!(class_by_vat_sales(d("19999999.99")), SizeClass::Small);
    assert_eq!(class_by_vat_sales(d("20000000")), SizeClass::Medium);
    assert_eq!(class_by_vat_sales(d("99999999.99")), SizeClass::Medium);
    assert_eq!(class_by_vat_sales(d("100000000")), SizeClass::Large);
}
