//! The matching use cases over a real store (a fresh SQLite file always; a fresh PostgreSQL
//! schema too when `HUIQI_TEST_PG_URL` is set): a streamed match run equals the single
//! evaluator one enterprise at a time, and is stored whole; a simulation's gains and losses
//! are those of deciding each enterprise under both programs; who may run them.

use app::matching::{self, NoProgress, RunRequest, SimulateRequest};
use app::{App, Principal};
use chrono::{DateTime, NaiveDate};
use enterprise::{
    Enterprise, EnterpriseRecord, FactDictionary, FactRecord, FactSource, FactValue, IndustryCode,
    TaxCreditRating, TaxpayerType, UnifiedCreditCode,
};
use i18n::Localized;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::{ImportFormat, ImportRequest, Role, Stamp, Store};

pub(crate) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// `n` enterprises of the kinds the shipped items tell apart, facts often missing.
pub(crate) fn records(n: u32) -> Vec<EnterpriseRecord> {
    records_seeded(n, 0x2545_f491_4f6c_dd1d)
}

/// [`records`] from another seed (not zero).
pub(crate) fn records_seeded(n: u32, seed: u64) -> Vec<EnterpriseRecord> {
    let mut r = Rng(seed);
    let industries = ["C3511", "I6513", "F5191", "M7320", "C2710", "K7010", "G5430"];
    let tags = ["专精特新", "高新技术企业", "拟上市"];
    (0..n)
        .map(|k| {
            let kind = if k % 13 == 7 { '2' } else { '1' };
            let enterprise = Enterprise {
                uscc: UnifiedCreditCode::from_parts('9', kind, "430100", &format!("{:08}", 30_000_000 + k))
                    .unwrap(),
                name: format!("测试第{k}号企业"),
                registered_in_zone: r.chance(90),
                tax_registered_in_zone: r.chance(85),
                industry_code: r
                    .chance(90)
                    .then(|| IndustryCode::parse(industries[r.below(7) as usize]).unwrap()),
                established_on: r
                    .chance(90)
                    .then(|| date("2008-01-01") + chrono::Duration::days(r.below(5000) as i64)),
                taxpayer_type: r
                    .chance(85)
                    .then(|| if r.chance(50) { TaxpayerType::General } else { TaxpayerType::SmallScale }),
                tax_credit_rating: r.chance(80).then(|| {
                    [TaxCreditRating::A, TaxCreditRating::B, TaxCreditRating::C][r.below(3) as usize]
                }),
                tags: tags.iter().filter(|_| r.chance(25)).map(|t| t.to_string()).collect(),
            };
            let mut facts = Vec::new();
            let mut add = |fact: &str, year: Option<i32>, value: FactValue| {
                facts.push(FactRecord {
                    fact: fact.into(),
                    year,
                    value,
                    source: FactSource::Tax,
                    as_of: date("2022-03-31"),
                })
            };
            for year in [2021, 2022] {
                let money = |r: &mut Rng, max: u64| FactValue::Money(Decimal::new(r.below(max) as i64, 2));
                if r.chance(85) {
                    add("employees", Some(year), FactValue::Integer(r.below(600) as i64));
                }
                // Small firms (revenue up to 20 million yuan) next to large ones, so that R&D
                // intensities vary.
                let revenue_max = if r.chance(40) { 2_000_000_000 } else { 40_000_000_000 };
                for (fact, max) in [
                    ("revenue", revenue_max),
                    ("total_assets", 60_000_000_000),
                    ("taxable_income", 800_000_000),
                    ("rd_expense", 300_000_000),
                    ("six_taxes_two_fees", 10_000_000),
                    ("sales_at_3pct", 100_000_000),
                    ("rent_paid", 50_000_000),
                ] {
                    if r.chance(75) {
                        add(fact, Some(year), money(&mut r, max));
                    }
                }
            }
            if r.chance(60) {
                add("restricted_industry", None, FactValue::Bool(r.chance(10)));
            }
            if r.chance(30) {
                add(
                    "hitech_first_recognized_on",
                    None,
                    FactValue::Date(date("2021-01-01") + chrono::Duration::days(r.below(500) as i64)),
                );
            }
            EnterpriseRecord::whole(enterprise, facts)
        })
        .collect()
}

/// The shipped policy library, read from `policies/` at the repository root.
fn shipped() -> Arc<rules::Library> {
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
    Arc::new(lib)
}

pub(crate) async fn zone(store: Arc<dyn Store>, n: u32) -> App {
    zone_of(store, records(n)).await
}

/// A zone of these enterprises with the shipped library.
pub(crate) async fn zone_of(store: Arc<dyn Store>, records: Vec<EnterpriseRecord>) -> App {
    store
        .apply_import(ImportRequest {
            actor: Stamp::new("admin", DateTime::parse_from_rfc3339("2022-05-06T09:30:00+08:00").unwrap()),
            file_name: "zone.csv".into(),
            format: ImportFormat::Generated,
            records,
            dry_run: false,
        })
        .await
        .unwrap();
    let app = App::new(store);
    app.live.set_policies(app::live::PolicySet { library: shipped(), ..Default::default() });
    app
}

pub(crate) fn principal(role: Role) -> Principal {
    Principal {
        username: "zhengce".into(),
        role,
        enterprise: None,
        department: None,
        display_name: "z".into(),
    }
}

/// Every enterprise with its id, whether it is a target, and its facts, through the store's
/// one conversion (what the single evaluator reads).
pub(crate) async fn everyone(app: &App) -> Vec<(i64, bool, enterprise::Facts)> {
    let mut out = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        out.push((row.id, row.enterprise.assistance_target(), row.facts()));
        Ok(())
    })
    .await
    .unwrap();
    out
}

async fn a_run_equals_one_by_one_evaluation_and_is_stored(store: Arc<dyn Store>) {
    let app = zone(store, 400).await;
    let lib = app.live.policies().library.clone();
    let day = date("2022-06-30");
    let officer = principal(Role::Policy);
    let req = RunRequest { date: day, tax_year: None, library_fingerprint: "test".into() };
    let run = matching::run(&app, &officer, &req, Arc::new(NoProgress)).await.unwrap();
    let all = everyone(&app).await;
    let targets: Vec<_> = all.iter().filter(|e| e.1).collect();
    assert!(targets.len() < all.len() && !targets.is_empty());
    assert_eq!((run.scanned, run.enterprises), (all.len() as u64, targets.len() as u64));
    let items = lib.items_in_force(day);
    assert_eq!(run.items.len(), items.len());
    let mut want_pairs = BTreeMap::new();
    let mut decided = [0usize; 3];
    for (item, got) in items.iter().zip(&run.items) {
        assert_eq!(got.item.id, item.id);
        let mut n = [0u64; 3];
        let mut total = Decimal::ZERO;
        for (id, _, facts) in &targets {
            let d = lib.evaluate(item, facts, day);
            n[d.outcome as usize] += 1;
            decided[d.outcome as usize] += 1;
            if d.outcome == rules::Eligibility::Eligible {
                total += d.amount.unwrap_or_default();
                want_pairs.insert((*id, item.id.clone()), d.amount);
            }
        }
        assert_eq!([got.eligible, got.ineligible, got.undetermined], n, "{}", item.id);
        assert_eq!(got.total_amount, total, "{}", item.id);
    }
    assert!(decided.iter().all(|n| *n > 0), "every outcome occurs: {decided:?}");
    assert_eq!(run.eligible_pairs as usize, want_pairs.len());
    let stored: BTreeMap<(i64, String), Option<Decimal>> = app
        .store
        .match_run_eligible(run.run_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| ((e.enterprise_id, e.item), e.amount))
        .collect();
    assert_eq!(stored, want_pairs, "the stored pairs and amounts are the single evaluator's");
    let runs = app.store.match_runs(1).await.unwrap();
    assert_eq!(
        (runs[0].id, runs[0].enterprises, runs[0].actor.as_str()),
        (run.run_id, run.enterprises, "zhengce")
    );

    // With a tax year: the 2022 annual items decided in May 2023 (the settlement) count as
    // `evaluate_all_for` decides each enterprise, periods and replacements included, and the
    // run stores its tax year.
    let may = date("2023-05-20");
    let req22 = RunRequest { date: may, tax_year: Some(2022), library_fingerprint: "test".into() };
    let run22 = matching::run(&app, &officer, &req22, Arc::new(NoProgress)).await.unwrap();
    assert_eq!(run22.tax_year, Some(2022));
    let mut want: BTreeMap<String, ([u64; 3], String, Option<String>)> = BTreeMap::new();
    for (_, _, facts) in &targets {
        for d in lib.evaluate_all_for(facts, may, Some(2022)) {
            let e =
                want.entry(d.item.clone()).or_insert(([0; 3], d.period.to_string(), d.superseded_by.clone()));
            e.0[d.outcome as usize] += 1;
        }
    }
    let got: BTreeMap<String, ([u64; 3], String, Option<String>)> = run22
        .items
        .iter()
        .map(|i| {
            (
                i.item.id.clone(),
                ([i.eligible, i.ineligible, i.undetermined], i.period.to_string(), i.superseded_by.clone()),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert!(got.values().any(|v| v.1 == "2022") && got.values().any(|v| v.1 == "2023-05"), "{got:?}");
    assert_eq!(app.store.match_runs(1).await.unwrap()[0].tax_year, Some(2022));
    let later = RunRequest { tax_year: Some(2024), ..req22.clone() };
    assert!(matches!(
        matching::run(&app, &officer, &later, Arc::new(NoProgress)).await,
        Err(app::Error::TaxYear { tax_year: 2024, .. })
    ));

    // The targets use case names the same enterprises.
    let t = matching::targets(&app, &officer).await.unwrap();
    assert_eq!(t.ids, targets.iter().map(|e| e.0).collect::<Vec<_>>());
    // A cadre may not run a match.
    let cadre = principal(Role::Cadre);
    assert!(matches!(
        matching::run(&app, &cadre, &req, Arc::new(NoProgress)).await,
        Err(app::Error::Forbidden)
    ));
}

async fn a_simulation_names_who_gains_and_loses(store: Arc<dyn Store>) {
    let app = zone(store, 300).await;
    let lib = app.live.policies().library.clone();
    let day = date("2022-06-30");
    let officer = principal(Role::Policy);
    let item = lib.item("zone-rd-subsidy").unwrap();
    let set = vec![("rd_subsidy_min_expense".to_string(), "300000".to_string())];
    let req = SimulateRequest { item: item.id.clone(), set: set.clone(), date: day, from: day, limit: 1000 };
    let sim = matching::simulate(&app, &officer, &req, Arc::new(NoProgress)).await.unwrap();
    let changed = lib.program.with_override("rd_subsidy_min_expense", "300000", day).unwrap();
    let mut gains = Vec::new();
    let mut total = [Decimal::ZERO; 2];
    let all = everyone(&app).await;
    let targets: Vec<_> = all.iter().filter(|e| e.1).collect();
    for (id, _, facts) in &targets {
        let a = rules::eval::evaluate(&lib.program, item, facts, day);
        let b = rules::eval::evaluate(&changed, item, facts, day);
        let yes = |d: &rules::Decision| d.outcome == rules::Eligibility::Eligible;
        if yes(&b) && !yes(&a) {
            gains.push(*id);
        }
        assert!(!yes(&a) || yes(&b), "a lower threshold loses nobody");
        total[0] += a.amount.unwrap_or_default();
        total[1] += b.amount.unwrap_or_default();
    }
    assert!(!gains.is_empty(), "the data have enterprises between the thresholds");
    assert_eq!((sim.gains_total, sim.losses_total, sim.enterprises), (gains.len(), 0, targets.len()));
    assert_eq!(
        (sim.baseline.total, sim.changed.total, sim.cost_delta),
        (total[0], total[1], total[1] - total[0])
    );
    let names = app.store.enterprise_names(&gains).await.unwrap();
    let want: Vec<&str> = names.iter().map(|n| n.1.as_str()).collect();
    let got: Vec<&str> = sim.gains.iter().map(|g| g.uscc.as_str()).collect();
    assert_eq!(got, want, "the gainers, named, in id order");

    // Unknown names are refused with the nearest ones; a bad value with the rules' reason.
    let bad = |item: &str, name: &str, value: &str| SimulateRequest {
        item: item.into(),
        set: vec![(name.into(), value.into())],
        ..req.clone()
    };
    let e = matching::simulate(&app, &officer, &bad("zone-rd-subsid", "x", "1"), Arc::new(NoProgress))
        .await
        .unwrap_err();
    assert!(matches!(&e, app::Error::ItemNotFound { near, .. } if near.contains(&item.id)), "{e:?}");
    let e = matching::simulate(
        &app,
        &officer,
        &bad(&item.id, "rd_subsidy_min_expens", "1"),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_err();
    assert!(e.bilingual().contains("rd_subsidy_min_expense"), "{}", e.bilingual());
    let e = matching::simulate(
        &app,
        &officer,
        &bad(&item.id, "rd_subsidy_min_expense", "lots"),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, app::Error::Rules(_)) && e.kind() == app::ErrorKind::BadRequest, "{e:?}");
    // Only those who may change policies simulate.
    assert!(matches!(
        matching::simulate(&app, &principal(Role::Leader), &req, Arc::new(NoProgress)).await,
        Err(app::Error::Forbidden)
    ));
}

pub(crate) async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("huiqi.db")).unwrap();
    s.migrate().await.unwrap();
    (Arc::new(s), dir)
}

pub(crate) async fn postgres(schema: &str) -> Option<Arc<dyn Store>> {
    let Ok(url) = std::env::var("HUIQI_TEST_PG_URL") else {
        eprintln!("note: HUIQI_TEST_PG_URL is not set; skipping the PostgreSQL run of {schema}");
        return None;
    };
    let s = store_pg::PgStore::connect_fresh_schema(&url, schema).await.unwrap();
    s.migrate().await.unwrap();
    Some(Arc::new(s))
}

macro_rules! both {
    ($($name:ident),*) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (s, _dir) = crate::matching::sqlite().await;
                    super::$name(s).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(s) = crate::matching::postgres(concat!("app_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(a_run_equals_one_by_one_evaluation_and_is_stored, a_simulation_names_who_gains_and_loses);
