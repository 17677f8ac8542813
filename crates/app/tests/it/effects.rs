//! The quarterly effect report over a real store (a fresh SQLite file always; a fresh
//! PostgreSQL schema too when `HUIQI_TEST_PG_URL` is set): a zone whose enterprises have
//! revenue and employees over 2021–2025, a quarter of them visited in 2023 and growing 15 %
//! more from 2024 on; the report finds the difference within its interval under 三.2,
//! counts the quarter's visits as reach, and only leaders, supervisors and admins read it.

use app::effects::{self, EffectsReport};
use app::{App, FixedClock, Principal};
use chrono::DateTime;
use enterprise::{
    Enterprise, EnterpriseRecord, FactRecord, FactSource, FactValue, IndustryCode, UnifiedCreditCode,
};
use rust_decimal::Decimal;
use std::sync::Arc;
use store::{ImportFormat, ImportRequest, Role, Stamp, Store};

use crate::matching::date;

const N: u32 = 800;

fn visited(k: u32) -> bool {
    k.is_multiple_of(4)
}

/// A deterministic pseudo-normal in about (−1, 1): the sum of three uniforms, centred.
pub(crate) fn noise(k: u32, year: i32) -> f64 {
    let mut x = u64::from(k) * 0x9E37_79B9 + year as u64 * 0x85EB_CA6B;
    let mut s = 0.0;
    for _ in 0..3 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s += (x % 10_000) as f64 / 10_000.0;
    }
    (s - 1.5) / 1.5
}

fn records() -> Vec<EnterpriseRecord> {
    let industries = ["C3511", "I6513", "F5191"];
    (0..N)
        .map(|k| {
            let industry = industries[(k % 3) as usize];
            let trend = [0.05, 0.10, -0.02][(k % 3) as usize];
            let enterprise = Enterprise {
                uscc: UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 40_000_000 + k))
                    .unwrap(),
                name: format!("效果测试第{k}号企业"),
                registered_in_zone: true,
                tax_registered_in_zone: true,
                industry_code: Some(IndustryCode::parse(industry).unwrap()),
                established_on: Some(date("2012-03-01")),
                taxpayer_type: None,
                tax_credit_rating: None,
                tags: Default::default(),
            };
            let mut facts = Vec::new();
            for (i, year) in (2021..=2025).enumerate() {
                let effect = if visited(k) && year >= 2024 { 0.15f64.ln_1p() } else { 0.0 };
                let log = 16.0 + trend * i as f64 + effect + 0.05 * noise(k, year);
                let yuan = Decimal::try_from(log.exp()).unwrap().round_dp(2);
                for (fact, value) in [
                    ("revenue", FactValue::Money(yuan)),
                    ("employees", FactValue::Integer(20 + i64::from(k % 7))),
                ] {
                    facts.push(FactRecord {
                        fact: fact.into(),
                        year: Some(year),
                        value,
                        source: FactSource::Tax,
                        as_of: date("2026-03-31"),
                    });
                }
            }
            // k % 4 == 1 on 麓谷街道, even on 东方红街道, the rest with no street recorded.
            let street = match k % 4 {
                1 => Some("麓谷街道"),
                0 | 2 => Some("东方红街道"),
                _ => None,
            };
            if let Some(street) = street {
                facts.push(FactRecord {
                    fact: "street".into(),
                    year: None,
                    value: FactValue::Text(street.into()),
                    source: FactSource::Zone,
                    as_of: date("2026-03-31"),
                });
            }
            EnterpriseRecord { enterprise, facts, scope: Default::default() }
        })
        .collect()
}

pub(crate) fn who(role: Role) -> Principal {
    Principal {
        username: "lingdao".into(),
        role,
        enterprise: None,
        department: None,
        display_name: "l".into(),
    }
}

async fn report_over_a_zone(store: Arc<dyn Store>) {
    let at = DateTime::parse_from_rfc3339("2026-12-20T09:00:00+08:00").unwrap();
    store
        .apply_import(ImportRequest {
            actor: Stamp::new("admin", at),
            file_name: "zone.csv".into(),
            format: ImportFormat::Generated,
            records: records(),
            dry_run: false,
        })
        .await
        .unwrap();
    let records = records();
    for (k, r) in records.iter().enumerate() {
        let k = k as u32;
        let day = if visited(k) {
            Some(date("2023-05-10"))
        } else if k % 40 == 1 {
            Some(date("2026-11-03"))
        } else {
            None
        };
        if let Some(day) = day {
            let v = handling::Visit {
                enterprise: r.enterprise.uscc.clone(),
                date: day,
                cadre: "ganbu".into(),
                findings: "走访".into(),
            };
            store.add_visit(&v, &Stamp::new("ganbu", at)).await.unwrap();
        }
    }
    let clock = Arc::new(FixedClock::new(at));
    let app = App::new(store).with_clock(clock.clone());
    let quarter = effects::parse_quarter("2026Q4").unwrap();
    let r: EffectsReport = effects::effects_report(&app, &who(Role::Leader), quarter).await.unwrap();
    assert_eq!((r.quarter.as_str(), r.enterprises), ("2026Q4", u64::from(N)));
    assert_eq!((r.panel_first_year, r.panel_last_year), (2021, 2025));
    // Reach: the quarter's visits only (20 enterprises, k % 40 == 1).
    let visits = &r.lines[1];
    assert_eq!(visits.label, "三.2 深化企业帮扶工作");
    assert_eq!(visits.helped, u64::from(N / 40));
    assert_eq!(r.helped, u64::from(N / 40));
    let reach = visits.reach.iter().find(|k| k.kind == "visited").unwrap();
    assert_eq!(reach.by_month.get("2026-11"), Some(&u64::from(N / 40)));
    assert_eq!(reach.by_industry.values().sum::<u64>(), u64::from(N / 40));
    // The visited (k % 40 == 1) are all on 麓谷街道.
    assert_eq!(
        reach.by_street.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
        vec![("麓谷街道", u64::from(N / 40))]
    );
    // Outcome: the 2023 visits, +15 % revenue, found within the interval; employees did
    // not change differently.
    let revenue = r.outcomes.iter().find(|o| o.kind == "visited" && o.measure == "revenue").unwrap();
    assert_eq!(revenue.helped, u64::from(N / 4), "{revenue:?}");
    assert_eq!(revenue.verdict, "higher", "{revenue:?}");
    assert!(revenue.low_pct.unwrap() <= 15.0 && 15.0 <= revenue.high_pct.unwrap(), "{revenue:?}");
    assert!(revenue.sentence.contains("高于") || revenue.sentence.contains("高 "), "{}", revenue.sentence);
    let employees = r.outcomes.iter().find(|o| o.kind == "visited" && o.measure == "employees").unwrap();
    assert_ne!(employees.verdict, "higher");
    assert_ne!(employees.verdict, "lower");
    // The visits of the quarter are too recent to measure (their after-year is not in the
    // facts): counted as not measurable, not as an effect.
    assert_eq!(revenue.not_measurable, u64::from(N / 40));
    assert!(r.best.iter().any(|b| b.line == 2), "{:?}", r.best);
    // Exported: every sheet there, the outcome row in Chinese.
    let wb = effects::effects_workbook(&r, at.naive_local());
    let names: Vec<&str> = wb.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "概况",
            "覆盖与投入",
            "政策事项",
            "部门",
            "效果对比",
            "问题反复",
            "治理事项",
            "最好与最弱",
            "典型案例",
            "方法说明"
        ]
    );
    let page = effects::effects_html(&r).unwrap();
    assert!(page.contains("企业帮扶效果季报（2026Q4）") && page.contains("<svg"), "{page}");
    assert!(page.contains("高于可比未帮扶企业"), "{page}");
    // The dashboard reuses a report for ten minutes, then reads the registry again.
    let first = effects::dashboard_report(&app, &who(Role::Leader), quarter).await.unwrap();
    clock.set(at + chrono::Duration::minutes(9));
    let again = effects::dashboard_report(&app, &who(Role::Supervisor), quarter).await.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    clock.set(at + chrono::Duration::minutes(10));
    let later = effects::dashboard_report(&app, &who(Role::Leader), quarter).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &later));
    assert_eq!(later.generated_at, (at + chrono::Duration::minutes(10)).to_rfc3339());
    assert!(matches!(
        effects::dashboard_report(&app, &who(Role::Cadre), quarter).await,
        Err(app::Error::Forbidden)
    ));
    // Only leaders, supervisors and admins.
    for role in [Role::Supervisor, Role::Admin] {
        assert!(effects::effects_report(&app, &who(role), quarter).await.is_ok());
    }
    for role in [Role::Cadre, Role::Department, Role::Enterprise, Role::Policy] {
        assert!(matches!(
            effects::effects_report(&app, &who(role), quarter).await,
            Err(app::Error::Forbidden)
        ));
    }
}

/// An enterprise that came to a training (三.15) is reached under that line, by the publishing
/// department; one registered that did not come is not; attendance is never credited with an
/// outcome (reach only).
async fn events_attended_are_reach_under_their_line(store: Arc<dyn Store>) {
    use app::events::{self, PublishRequest};
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 20).await;
    let clock = Arc::new(FixedClock::new(DateTime::parse_from_rfc3339("2026-11-02T09:00:00+08:00").unwrap()));
    let app: App = app.with_clock(clock.clone());
    let dept = app::problems::routing(&app).await.unwrap().departments[0].code.clone();
    let officer = Principal {
        username: "bumen".into(),
        role: Role::Department,
        enterprise: None,
        department: Some(dept.clone()),
        display_name: "部门".into(),
    };
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    let training = PublishRequest {
        kind: "专题培训".into(),
        title: "精益管理培训".into(),
        description: "企业管理提升。".into(),
        place: "园区服务中心".into(),
        starts_at: "2026-11-10 09:00".into(),
        ends_at: "2026-11-10 11:30".into(),
        capacity: 10,
        ..Default::default()
    };
    let id = events::publish(&app, &officer, &training).await.unwrap().id;
    for u in &codes[..2] {
        events::register(&app, &officer, id, u, 1, "").await.unwrap();
    }
    clock.set(DateTime::parse_from_rfc3339("2026-11-10T08:30:00+08:00").unwrap());
    events::check_in(&app, &officer, id, &codes[0]).await.unwrap();
    clock.set(DateTime::parse_from_rfc3339("2026-12-20T09:00:00+08:00").unwrap());
    let quarter = effects::parse_quarter("2026Q4").unwrap();
    let r = effects::effects_report(&app, &who(Role::Leader), quarter).await.unwrap();
    let line = &r.lines[14];
    assert_eq!(line.label, "三.15 促进企业管理提升");
    let came = line.reach.iter().find(|k| k.kind == "event_attended").expect("attended counted");
    assert_eq!((came.enterprises, line.helped, r.helped), (1, 1, 1));
    let by_dept = r.departments.iter().find(|d| d.department == dept).expect("the publishing department");
    assert!(by_dept.reach.iter().any(|k| k.kind == "event_attended" && k.enterprises == 1), "{by_dept:?}");
    assert!(r.outcomes.iter().all(|o| o.kind != "event_attended"), "reach only");
    // The quarter before saw nothing.
    let before = effects::effects_report(&app, &who(Role::Leader), effects::parse_quarter("2026Q3").unwrap())
        .await
        .unwrap();
    assert!(before.lines[14].reach.is_empty(), "{:?}", before.lines[14]);
}

#[test]
fn only_a_quarter_is_accepted() {
    assert!(effects::parse_quarter("2026q4").is_ok());
    for bad in ["2026-11", "2026Q5", "2026", "季度"] {
        let e = effects::parse_quarter(bad).unwrap_err();
        let text = i18n::Localized::bilingual(&e);
        assert!(text.contains("2026Q4") && text.contains("quarter"), "{text}");
    }
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
                    if let Some(s) = crate::matching::postgres(concat!("app_effects_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(report_over_a_zone, events_attended_are_reach_under_their_line);
