//! Issue 17's "must show", through the whole product: a synthetic zone with a planted
//! effect, +8 % revenue for the enterprises paid an award, and none elsewhere. The award is
//! paid as a user pays it (match run → grant run of `zone-first-hitech-award` → publicity →
//! approvals by band → payment file → payment results), then the quarterly effect report
//! must find the +8 % within its interval under 三.4 资金到账 and report no effect for the
//! visits, which changed nothing.
//!
//! The zone is built so that a careless method fails: the awarded manufacturers are all of a
//! slow-growing division (C27, +3 % a year) while the section's other division (C39) grows
//! +10 % a year, and the awarded are not a random sample of the zone.

use app::grants::{self, FileFormat, RunRequest};
use app::matching::{self, NoProgress};
use app::{App, FixedClock, Principal};
use chrono::DateTime;
use enterprise::{
    Enterprise, EnterpriseRecord, FactRecord, FactSource, FactValue, IndustryCode, UnifiedCreditCode,
};
use rust_decimal::Decimal;
use std::sync::Arc;
use store::{Role, Store};

use crate::effects::{noise, who};
use crate::matching::date;

const N: u32 = 1200;
const PLANTED: f64 = 0.08;

/// Awarded: first recognised as hi-tech in 2022, so paid the 2023 award (every sixth, all
/// of division C27).
fn awarded(k: u32) -> bool {
    k.is_multiple_of(6)
}

/// Visited in 2023, with no effect (every seventh).
fn visited(k: u32) -> bool {
    k % 7 == 1
}

fn records() -> Vec<EnterpriseRecord> {
    let industries = [("C2710", 0.03), ("C3974", 0.10), ("I6513", 0.12)];
    (0..N)
        .map(|k| {
            let (industry, trend) = industries[(k % 3) as usize];
            let enterprise = Enterprise {
                uscc: UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 41_000_000 + k))
                    .unwrap(),
                name: format!("奖励效果第{k}号企业"),
                registered_in_zone: true,
                tax_registered_in_zone: true,
                industry_code: Some(IndustryCode::parse(industry).unwrap()),
                established_on: Some(date("2008-03-01") + chrono::Duration::days(i64::from(k % 12) * 365)),
                taxpayer_type: None,
                tax_credit_rating: None,
                tags: Default::default(),
            };
            let fact = |fact: &str, year: Option<i32>, value: FactValue| FactRecord {
                fact: fact.into(),
                year,
                value,
                source: FactSource::Tax,
                as_of: date("2026-03-31"),
            };
            let mut facts = Vec::new();
            for (i, year) in (2021..=2025).enumerate() {
                // Paid in July 2023: the first full year after the help is 2024.
                let effect = if awarded(k) && year >= 2024 { PLANTED.ln_1p() } else { 0.0 };
                let log = 16.0 + trend * i as f64 + effect + 0.05 * noise(k, year);
                let yuan = Decimal::try_from(log.exp()).unwrap().round_dp(2);
                facts.push(fact("revenue", Some(year), FactValue::Money(yuan)));
                facts.push(fact("employees", Some(year), FactValue::Integer(20 + i64::from(k % 7))));
            }
            if awarded(k) {
                facts.push(fact("hitech_first_recognized_on", None, FactValue::Date(date("2022-11-30"))));
            }
            EnterpriseRecord::whole(enterprise, facts)
        })
        .collect()
}

fn official(name: &str, role: Role) -> Principal {
    Principal { username: name.into(), role, enterprise: None, department: None, display_name: name.into() }
}

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// Pays the 2023 award as the zone would; returns how many were paid.
async fn pay_the_award(app: &App, clock: &FixedClock) -> u64 {
    let prep = official("jingban", Role::Policy);
    let run = matching::run(
        app,
        &prep,
        &matching::RunRequest { date: date("2023-06-30"), tax_year: None, library_fingerprint: "t".into() },
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let req = RunRequest {
        item: "zone-first-hitech-award".into(),
        period: "2023".into(),
        match_run: Some(run.run_id),
    };
    let out = grants::run(app, &prep, &req, &NoProgress).await.unwrap();
    assert_eq!(out.granted, u64::from(N.div_ceil(6)), "{out:?}");
    grants::publicize(app, &prep, out.run, None).await.unwrap();
    clock.set(at("2023-07-14T09:00:00+08:00"));
    let view = grants::show_run(app, &official("lingdao", Role::Leader), out.run).await.unwrap();
    for k in 1..=view.approvals_required {
        grants::approve(app, &official(&format!("lingdao{k}"), Role::Leader), out.run).await.unwrap();
    }
    let fin = official("caiwu", Role::Department);
    grants::payment_file(app, &fin, out.run, FileFormat::Csv, false).await.unwrap();
    let mut csv = String::from("grant,date,voucher,amount,status,reason\n");
    for g in grants::list(app, &fin, out.run, 0, 10_000).await.unwrap() {
        csv.push_str(&format!("{},2023-07-20,PZ{},{},ok,\n", g.id, g.id, g.amount));
    }
    clock.set(at("2023-07-21T09:00:00+08:00"));
    grants::import_results(app, &fin, "results.csv", csv.as_bytes()).await.unwrap().paid
}

async fn a_paid_award_is_found_and_nothing_else(store: Arc<dyn Store>) {
    let clock = Arc::new(FixedClock::new(at("2023-07-03T09:00:00+08:00")));
    let app = crate::matching::zone_of(store, records()).await.with_clock(clock.clone());
    let paid = pay_the_award(&app, &clock).await;
    assert_eq!(paid, u64::from(N.div_ceil(6)));
    for (k, r) in records().iter().enumerate() {
        if visited(k as u32) {
            let v = handling::Visit {
                enterprise: r.enterprise.uscc.clone(),
                date: date("2023-05-10"),
                cadre: "ganbu".into(),
                findings: "走访".into(),
            };
            app.store.add_visit(&v, &store::Stamp::new("ganbu", app.now())).await.unwrap();
        }
    }

    clock.set(at("2026-12-20T09:00:00+08:00"));
    let quarter = app::effects::parse_quarter("2026Q4").unwrap();
    let r = app::effects::effects_report(&app, &who(Role::Leader), quarter).await.unwrap();
    let row = |kind: &str| {
        r.outcomes
            .iter()
            .find(|o| o.kind == kind && o.measure == "revenue")
            .unwrap_or_else(|| panic!("{kind}"))
    };
    // The award: all paid enterprises measured, the +8 % inside the interval.
    let award = row("paid");
    assert_eq!(award.line, 4, "{award:?}");
    // Every paid enterprise is measured; a few fall in strata without enough controls.
    assert_eq!(award.helped + award.unmatched, paid, "{award:?}");
    assert!(award.unmatched * 20 < paid, "{award:?}");
    assert_eq!(award.verdict, "higher", "{award:?}");
    let (lo, hi) = (award.low_pct.unwrap(), award.high_pct.unwrap());
    assert!(lo <= PLANTED * 100.0 && PLANTED * 100.0 <= hi, "{award:?}");
    assert!((award.difference_pct.unwrap() - PLANTED * 100.0).abs() < 2.0, "{award:?}");
    // The visits changed nothing, and the report does not say they did.
    let visits = row("visited");
    assert_eq!(visits.helped + visits.unmatched, (0..N).filter(|k| visited(*k)).count() as u64);
    assert_eq!(visits.verdict, "no_clear_difference", "{visits:?}");
    // The quarter of the payment: the award reached its enterprises under 三.4, counted
    // for the item's lead department (经济发展局, the first its policy names).
    let q3 = app::effects::parse_quarter("2023Q3").unwrap();
    let r3 = app::effects::effects_report(&app, &who(Role::Leader), q3).await.unwrap();
    let funds = r3.lines.iter().find(|l| l.line == 4).unwrap();
    let paid_reach = funds.reach.iter().find(|k| k.kind == "paid").unwrap();
    assert_eq!(paid_reach.enterprises, paid, "{paid_reach:?}");
    let dept = r3
        .departments
        .iter()
        .find(|d| d.name == "经济发展局")
        .unwrap_or_else(|| panic!("{:?}", r3.departments));
    let dept_paid = dept.reach.iter().find(|k| k.kind == "paid").unwrap();
    assert_eq!(
        (dept_paid.enterprises, dept_paid.amount),
        (paid, Decimal::from(200_000) * Decimal::from(paid))
    );
    // Nor did the award change employees.
    let employees = r.outcomes.iter().find(|o| o.kind == "paid" && o.measure == "employees").unwrap();
    assert!(!matches!(employees.verdict.as_str(), "higher" | "lower"), "{employees:?}");
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
                    if let Some(s) = crate::matching::postgres(concat!("app_effects_paid_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(a_paid_award_is_found_and_nothing_else);
