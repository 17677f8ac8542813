//! Match runs and the scan that feeds them on the real store: every test is a function over
//! `&dyn Store`, run against a fresh SQLite file always and against a fresh PostgreSQL schema
//! when `HUIQI_TEST_PG_URL` is set (otherwise the PostgreSQL half prints a notice and passes).

use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::{
    Enterprise, EnterpriseRecord, FactDictionary, FactRecord, FactSource, FactType, FactValue, Facts,
    IndustryCode, TaxCreditRating, TaxpayerType, UnifiedCreditCode,
};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use store::matches::{EligibleOfItem, MatchCount, MatchEligible, NewMatchRun};
use store::scan::{CellValue, ScanPage, ScanRequest};
use store::{ImportFormat, ImportRequest, Stamp, Store};

suite!("m"; a_match_run_is_stored_whole_and_read_back, the_scan_reads_every_fact_the_rules_read);

// ---------------------------------------------------------------------------------------
// Fixtures

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(crate) fn code(n: u32) -> UnifiedCreditCode {
    // Every eleventh is an individual business (个体工商户, code 92…).
    let kind = if n % 11 == 5 { '2' } else { '1' };
    UnifiedCreditCode::from_parts('9', kind, "430100", &format!("{:08}", 20_000_000 + n)).unwrap()
}

/// A small deterministic generator (xorshift), so the data set is varied but fixed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// `n` enterprises of every kind the shipped items distinguish, with facts often missing.
pub(crate) fn records(n: u32) -> Vec<EnterpriseRecord> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let industries = ["C3511", "I6513", "F5191", "M7320", "C2710", "A0111"];
    let tags = ["专精特新", "高新技术企业", "专精特新小巨人", "科技型中小企业"];
    (0..n)
        .map(|k| {
            let mut t = BTreeSet::new();
            for tag in tags {
                if r.chance(20) {
                    t.insert(tag.to_string());
                }
            }
            let enterprise = Enterprise {
                uscc: code(k),
                name: format!("麓谷第{k}号企业"),
                registered_in_zone: r.chance(90),
                tax_registered_in_zone: r.chance(85),
                industry_code: r
                    .chance(90)
                    .then(|| IndustryCode::parse(industries[r.below(6) as usize]).unwrap()),
                established_on: r
                    .chance(90)
                    .then(|| date("2008-01-01") + chrono::Duration::days(r.below(5000) as i64)),
                taxpayer_type: r
                    .chance(85)
                    .then(|| if r.chance(50) { TaxpayerType::General } else { TaxpayerType::SmallScale }),
                tax_credit_rating: r.chance(80).then(|| match r.below(5) {
                    0 => TaxCreditRating::A,
                    1 => TaxCreditRating::B,
                    2 => TaxCreditRating::M,
                    3 => TaxCreditRating::C,
                    _ => TaxCreditRating::D,
                }),
                tags: t,
            };
            let mut facts = Vec::new();
            for year in [2020, 2021, 2022] {
                let mut add = |fact: &str, v: FactValue| {
                    facts.push(FactRecord {
                        fact: fact.into(),
                        year: Some(year),
                        value: v,
                        source: FactSource::Tax,
                        as_of: date("2022-03-31"),
                    })
                };
                if r.chance(85) {
                    add("employees", FactValue::Integer(r.below(600) as i64));
                }
                let revenue = Decimal::new(r.below(40_000_000_000) as i64, 2);
                if r.chance(85) {
                    add("revenue", FactValue::Money(revenue));
                }
                if r.chance(80) {
                    add("total_assets", FactValue::Money(Decimal::new(r.below(60_000_000_000) as i64, 2)));
                }
                if r.chance(75) {
                    add("taxable_income", FactValue::Money(Decimal::new(r.below(800_000_000) as i64, 2)));
                }
                if r.chance(70) {
                    add("rd_expense", FactValue::Money(Decimal::new(r.below(3_000_000_000) as i64, 2)));
                }
                if r.chance(50) {
                    add(
                        "high_tech_revenue",
                        FactValue::Money(Decimal::new(r.below(20_000_000_000) as i64, 2)),
                    );
                }
                if r.chance(40) {
                    add("vat_credit_balance", FactValue::Money(Decimal::new(r.below(500_000_000) as i64, 2)));
                }
                if r.chance(10) {
                    // Not exact in fen: stored without its integer form.
                    add("rent_paid", FactValue::Money(Decimal::new(r.below(1_000_000) as i64, 3)));
                }
                if r.chance(30) {
                    add("service_sales_share", FactValue::Ratio(Decimal::new(r.below(101) as i64, 2)));
                }
            }
            EnterpriseRecord::whole(enterprise, facts)
        })
        .collect()
}

pub(crate) async fn load(s: &dyn Store, n: u32) {
    s.apply_import(ImportRequest {
        actor: Stamp::new("admin", at("2022-05-06T09:30:00+08:00")),
        file_name: "zone.csv".into(),
        format: ImportFormat::Generated,
        records: records(n),
        dry_run: false,
    })
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// Tests

async fn a_match_run_is_stored_whole_and_read_back(s: &dyn Store) {
    load(s, 3).await;
    let ids = s.scan_page(&ScanRequest::default(), 0, i64::MAX).await.unwrap().ids;
    let run = |eligible: Vec<EligibleOfItem>| NewMatchRun {
        actor: Stamp::new("policy", at("2022-07-01T10:00:00+08:00")),
        date: date("2022-06-30"),
        tax_year: None,
        library_fingerprint: "abc123".into(),
        enterprises: 3,
        items: 2,
        load_ms: 12,
        eval_ms: 3,
        counts: vec![
            MatchCount {
                item: "award".into(),
                eligible: 3,
                ineligible: 0,
                undetermined: 0,
                total_amount: "300000.10".parse().unwrap(),
                benefit_kind: Some("award_no_application".into()),
                period: Some("2022".into()),
                amount_missing: 1,
                superseded_by: None,
            },
            MatchCount {
                item: "relief".into(),
                eligible: 1,
                ineligible: 0,
                undetermined: 2,
                total_amount: Decimal::ZERO,
                benefit_kind: Some("tax_relief_declared".into()),
                period: Some("2022-06".into()),
                amount_missing: 0,
                superseded_by: Some("relief-2".into()),
            },
        ],
        undetermined: if eligible.is_empty() {
            Vec::new()
        } else {
            vec![EligibleOfItem { item: "relief".into(), enterprise_ids: vec![ids[2]], amounts: Vec::new() }]
        },
        eligible,
    };
    let eligible = vec![
        EligibleOfItem { item: "relief".into(), enterprise_ids: vec![ids[0], ids[1]], amounts: Vec::new() },
        EligibleOfItem {
            item: "award".into(),
            enterprise_ids: vec![ids[0], ids[1], ids[2]],
            amounts: vec![Some("100000.05".parse().unwrap()), None, Some("200000.05".parse().unwrap())],
        },
    ];
    let first = s.record_match_run(run(eligible.clone())).await.unwrap();
    // The second decides its annual items for the tax year 2021 (the settlement of 2021).
    let second = s.record_match_run(NewMatchRun { tax_year: Some(2021), ..run(Vec::new()) }).await.unwrap();
    assert!(second > first);
    let runs = s.match_runs(10).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![second, first], "newest first");
    assert_eq!(
        (runs[0].tax_year, runs[1].tax_year),
        (Some(2021), None),
        "the tax year comes back as written"
    );
    let r = &runs[1];
    assert_eq!(
        (r.actor.as_str(), r.date, r.library_fingerprint.as_str()),
        ("policy", date("2022-06-30"), "abc123")
    );
    assert_eq!(r.at, at("2022-07-01T10:00:00+08:00"));
    assert_eq!((r.enterprises, r.items, r.load_ms, r.eval_ms), (3, 2, 12, 3));
    assert_eq!(r.counts, run(Vec::new()).counts, "counts and exact totals come back as written");
    let pair = |enterprise_id, item: &str, amount: Option<&str>| MatchEligible {
        enterprise_id,
        item: item.into(),
        amount: amount.map(|a| a.parse().unwrap()),
    };
    let expected = vec![
        pair(ids[0], "award", Some("100000.05")),
        pair(ids[0], "relief", None),
        pair(ids[1], "award", None),
        pair(ids[1], "relief", None),
        pair(ids[2], "award", Some("200000.05")),
    ];
    assert_eq!(
        s.match_run_eligible(first).await.unwrap(),
        expected,
        "every pair, exact amounts, unknown as NULL"
    );
    assert!(s.match_run_eligible(second).await.unwrap().is_empty());
    // One item's results, as a grant run reads them: the eligible and the undetermined, by id.
    assert_eq!(s.match_run_item(first, "award").await.unwrap(), (vec![ids[0], ids[1], ids[2]], Vec::new()));
    assert_eq!(s.match_run_item(first, "relief").await.unwrap(), (vec![ids[0], ids[1]], vec![ids[2]]));
    assert_eq!(s.match_run_item(second, "relief").await.unwrap(), (Vec::new(), Vec::new()));
    assert_eq!(s.match_runs(1).await.unwrap().len(), 1);

    // A run naming an enterprise that does not exist is refused whole.
    let bad = run(vec![EligibleOfItem {
        item: "award".into(),
        enterprise_ids: vec![ids[0], 999_999],
        amounts: vec![Some(Decimal::ONE), Some(Decimal::ONE)],
    }]);
    assert!(s.record_match_run(bad).await.is_err());
    assert_eq!(s.match_runs(10).await.unwrap().len(), 2, "nothing of the failed run remains");
}

/// The facts of row `row` of a page, decoded by the dictionary's types as the matching use
/// case does.
fn decode(page: &ScanPage, req: &ScanRequest, row: u32) -> Facts {
    let dict = FactDictionary::official();
    let mut f = Facts::default();
    for c in page.cells.iter().filter(|c| c.row == row) {
        let fact = &req.facts[c.fact as usize];
        let ty = dict.get(fact).map(|d| d.ty).unwrap_or(FactType::Text);
        let v = match (ty, c.value) {
            (FactType::Bool, CellValue::Int(n)) => FactValue::Bool(n != 0),
            (FactType::Integer, CellValue::Int(n)) => FactValue::Integer(n),
            (FactType::Money, CellValue::Int(n)) => FactValue::Money(Decimal::new(n, 2)),
            (FactType::Ratio, CellValue::Int(n)) => FactValue::Ratio(Decimal::new(n, 6)),
            (FactType::Date, CellValue::Int(n)) => {
                FactValue::Date(NaiveDate::default() + chrono::Duration::days(n))
            }
            (_, v) => FactValue::parse_text(ty, page.text_of(&v)).unwrap(),
        };
        if c.year == 0 { f.set(fact, v) } else { f.set_year(fact, c.year, v) }
    }
    f
}

async fn the_scan_reads_every_fact_the_rules_read(s: &dyn Store) {
    load(s, 120).await;
    let bounds = s.scan_bounds().await.unwrap().unwrap();
    assert_eq!(bounds.count, 120);
    let every: Vec<String> = FactDictionary::official().iter().map(|d| d.id.clone()).collect();
    for targets_only in [false, true] {
        let req = ScanRequest { facts: every.clone(), targets_only };
        let (mut scanned, mut seen) = (0, Vec::new());
        // Pages of 17 ids: ranges that cut the enterprises anywhere.
        for (after, through) in bounds.pages(17) {
            let page = s.scan_page(&req, after, through).await.unwrap();
            scanned += page.scanned;
            assert!(page.ids.windows(2).all(|w| w[0] < w[1]), "ids ascending");
            assert!(page.ids.iter().all(|id| *id > after && *id <= through));
            let names = s.enterprise_names(&page.ids).await.unwrap();
            assert_eq!(names.iter().map(|n| n.0).collect::<Vec<_>>(), page.ids);
            for (row, (id, uscc, name)) in names.iter().enumerate() {
                let v = s.get_enterprise(&UnifiedCreditCode::parse(uscc).unwrap()).await.unwrap().unwrap();
                assert_eq!((v.id, &v.enterprise.name), (*id, name));
                if targets_only {
                    assert!(v.enterprise.assistance_target(), "{uscc} is no assistance target");
                }
                // The one conversion the single evaluator reads, cell for cell.
                assert_eq!(decode(&page, &req, row as u32), v.facts(), "{uscc}");
                seen.push(*id);
            }
        }
        assert_eq!(scanned, 120, "every enterprise scanned");
        let mut targets = 0;
        for r in records(120) {
            targets += usize::from(r.enterprise.assistance_target());
        }
        assert_eq!(seen.len(), if targets_only { targets } else { 120 });
        assert!(targets > 0 && targets < 120, "the data have targets and others: {targets}");
    }
    // Only what is asked for is read.
    let req = ScanRequest { facts: vec!["revenue".into()], targets_only: false };
    let page = s.scan_page(&req, 0, i64::MAX).await.unwrap();
    assert_eq!(page.ids.len(), 120);
    assert!(page.cells.iter().all(|c| c.fact == 0 && c.year >= 2020), "only revenue");
    assert!(s.enterprise_names(&[999_999]).await.unwrap().is_empty());
}
