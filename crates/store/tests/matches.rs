//! Match runs and the SQL path of the rules engine on the real store: every test is a
//! function over `&dyn Store`, run against a fresh SQLite file always and against a fresh
//! PostgreSQL schema when `HUIQI_TEST_PG_URL` is set (otherwise the PostgreSQL half prints a
//! notice and passes).

use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::{
    Enterprise, EnterpriseRecord, FactDictionary, FactRecord, FactSource, FactValue, IndustryCode,
    TaxCreditRating, TaxpayerType, UnifiedCreditCode,
};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use store::matches::{MatchCount, MatchEligible, NewMatchRun};
use store::{Actor, ImportFormat, ImportRequest, Store};

#[macro_use]
mod support;

suite!("m", dialect; a_match_run_is_stored_whole_and_read_back, shipped_items_agree_in_the_database);

// ---------------------------------------------------------------------------------------
// Fixtures

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn code(n: u32) -> UnifiedCreditCode {
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
fn records(n: u32) -> Vec<EnterpriseRecord> {
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
            }
            EnterpriseRecord::whole(enterprise, facts)
        })
        .collect()
}

async fn load(s: &dyn Store, n: u32) {
    s.apply_import(ImportRequest {
        actor: Actor::new("admin", at("2022-05-06T09:30:00+08:00")),
        file_name: "zone.csv".into(),
        format: ImportFormat::Generated,
        records: records(n),
        dry_run: false,
    })
    .await
    .unwrap();
}

/// The shipped policy library, read from `policies/` at the repository root.
fn shipped() -> rules::Library {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<rules::SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| rules::SourceFile {
            name: p.display().to_string(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let (lib, diags) = rules::Library::load(&files, FactDictionary::official());
    assert!(diags.is_empty(), "{diags:?}");
    lib
}

// ---------------------------------------------------------------------------------------
// Tests

async fn a_match_run_is_stored_whole_and_read_back(s: &dyn Store, _: rules::sql::Dialect) {
    load(s, 3).await;
    let ids: Vec<i64> = {
        let mut v = Vec::new();
        store::for_each_enterprise(s, 10, |row| {
            v.push(row.id);
            Ok(())
        })
        .await
        .unwrap();
        v
    };
    let run = |eligible: Vec<MatchEligible>| NewMatchRun {
        actor: Actor::new("policy", at("2022-07-01T10:00:00+08:00")),
        date: date("2022-06-30"),
        library_fingerprint: "abc123".into(),
        enterprises: 3,
        items: 2,
        load_ms: 12,
        eval_ms: 3,
        counts: vec![
            MatchCount {
                item: "award".into(),
                eligible: 2,
                ineligible: 1,
                undetermined: 0,
                total_amount: "300000.10".parse().unwrap(),
            },
            MatchCount {
                item: "relief".into(),
                eligible: 1,
                ineligible: 0,
                undetermined: 2,
                total_amount: Decimal::ZERO,
            },
        ],
        eligible,
    };
    let eligible = vec![
        MatchEligible {
            enterprise_id: ids[0],
            item: "award".into(),
            amount: Some("100000.05".parse().unwrap()),
        },
        MatchEligible {
            enterprise_id: ids[2],
            item: "award".into(),
            amount: Some("200000.05".parse().unwrap()),
        },
        MatchEligible { enterprise_id: ids[1], item: "relief".into(), amount: None },
    ];
    let first = s.record_match_run(run(eligible.clone())).await.unwrap();
    let second = s.record_match_run(run(Vec::new())).await.unwrap();
    assert!(second > first);
    let runs = s.match_runs(10).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![second, first], "newest first");
    let r = &runs[1];
    assert_eq!(
        (r.actor.as_str(), r.date, r.library_fingerprint.as_str()),
        ("policy", date("2022-06-30"), "abc123")
    );
    assert_eq!(r.at, at("2022-07-01T10:00:00+08:00"));
    assert_eq!((r.enterprises, r.items, r.load_ms, r.eval_ms), (3, 2, 12, 3));
    assert_eq!(r.counts, run(Vec::new()).counts, "counts and exact totals come back as written");
    let mut expected = eligible;
    expected.sort_by_key(|e| (e.enterprise_id, e.item.clone()));
    assert_eq!(s.match_run_eligible(first).await.unwrap(), expected);
    assert!(s.match_run_eligible(second).await.unwrap().is_empty());
    assert_eq!(s.match_runs(1).await.unwrap().len(), 1);

    // A run naming an enterprise that does not exist is refused whole.
    let bad = run(vec![MatchEligible { enterprise_id: 999_999, item: "award".into(), amount: None }]);
    assert!(s.record_match_run(bad).await.is_err());
    assert_eq!(s.match_runs(10).await.unwrap().len(), 2, "nothing of the failed run remains");
}

async fn shipped_items_agree_in_the_database(s: &dyn Store, dialect: rules::sql::Dialect) {
    load(s, 120).await;
    let mut rows = Vec::new();
    store::for_each_enterprise(s, 50, |row| {
        rows.push((row.id, row.facts()));
        Ok(())
    })
    .await
    .unwrap();
    let lib = shipped();
    let mut compiled = 0;
    let mut decided = [0usize; 3];
    for d in ["2022-06-30", "2023-03-31"] {
        let day = date(d);
        for item in lib.items_in_force(day) {
            // Compiled straight against the view (`outcome_query` then has nothing to rewrite).
            let view = rules::sql::FactsSource::table(store::matches::RULE_FACTS);
            let Ok(cond) = rules::sql::compile_condition_from(&lib.program, item, day, dialect, &view) else {
                continue;
            };
            compiled += 1;
            let db = s.outcomes_in_database(&cond).await.unwrap();
            assert_eq!(db.len(), rows.len());
            for ((id, facts), (db_id, db_outcome)) in rows.iter().zip(&db) {
                assert_eq!(id, db_id);
                // The SQL path decides the condition; amounts are computed in memory for the
                // eligible rows (an eligible enterprise whose amount lacks a fact becomes
                // undetermined there), so it is compared with the condition's value.
                let want = condition(&lib, item, facts, day);
                let decision = lib.evaluate(item, facts, day).outcome;
                if decision != rules::Outcome::Undetermined {
                    assert_eq!(want, decision);
                }
                let got = match db_outcome {
                    Some(true) => rules::Outcome::Eligible,
                    Some(false) => rules::Outcome::Ineligible,
                    None => rules::Outcome::Undetermined,
                };
                assert_eq!(got, want, "item {} on {d}, enterprise {id}: {cond}", item.id);
                decided[want as usize] += 1;
            }
        }
    }
    eprintln!(
        "compiled {compiled} item conditions; outcomes (eligible, ineligible, undetermined): {decided:?}"
    );
    assert!(compiled >= 3, "only {compiled} shipped items compile to SQL");
    assert!(decided.iter().all(|&n| n > 0), "the data exercise every outcome: {decided:?}");
}

/// The outcome of an item's condition alone, by the single-enterprise evaluator.
fn condition(
    lib: &rules::Library,
    item: &rules::Item,
    facts: &enterprise::Facts,
    day: NaiveDate,
) -> rules::Outcome {
    match rules::eval::Evaluator::new(&lib.program, facts, day).eval(&item.when) {
        rules::eval::Val::Known(rules::value::Value::Bool(true)) => rules::Outcome::Eligible,
        rules::eval::Val::Known(_) => rules::Outcome::Ineligible,
        rules::eval::Val::Unknown(_) => rules::Outcome::Undetermined,
    }
}
