//! Supply chains (三.11) of issue 15 over a real store (SQLite always; PostgreSQL when
//! `HUIQI_TEST_PG_URL` is set): enterprises record their chain positions (the chain office or
//! the enterprise itself); a supply demand is matched to the suppliers sharing its terms, each
//! with the terms it shares, the demander left out; only the office introduces and records
//! outcomes; the enterprise sees its own demand and its candidates; a demand without an
//! introduction past its due day is behind on the leader's dashboard; the export reads back.

use app::chains::{self, CloseRequest, DemandRequest, IntroduceRequest, OutcomeRequest, PositionRequest};
use app::{App, Error, FixedClock, Principal};
use chrono::{DateTime, NaiveDate};
use enterprise::UnifiedCreditCode;
use std::sync::Arc;
use store::{Role, Store};

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn enterprise(uscc: &UnifiedCreditCode) -> Principal {
    Principal {
        username: format!("qiye{}", &uscc.to_string()[10..]),
        role: Role::Enterprise,
        enterprise: Some(uscc.clone()),
        department: None,
        display_name: "企业".into(),
    }
}

fn official(name: &str, role: Role, department: Option<&str>) -> Principal {
    Principal {
        username: name.into(),
        role,
        enterprise: None,
        department: department.map(String::from),
        display_name: name.into(),
    }
}

async fn setup(store: Arc<dyn Store>) -> (App, Arc<FixedClock>, Vec<UnifiedCreditCode>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 6).await;
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    (app, clock, codes)
}

fn pos(uscc: &UnifiedCreditCode, chain: &str, position: &str, supplies: &str) -> PositionRequest {
    PositionRequest {
        uscc: uscc.to_string(),
        chain: chain.into(),
        position: position.into(),
        supplies: supplies.into(),
    }
}

async fn a_demand_from_posting_to_agreement(store: Arc<dyn Store>) {
    let (app, clock, codes) = setup(store).await;
    let (maker, hydraulics, seals, steel) = (&codes[0], &codes[1], &codes[2], &codes[3]);
    let jingfa = official("jingfa", Role::Department, Some("economic_development"));
    let keji = official("keji", Role::Department, Some("sci_tech_finance"));
    let leader = official("lingdao", Role::Leader, None);

    // Positions: the office for any enterprise, an enterprise for itself only.
    chains::save_position(&app, &jingfa, &pos(hydraulics, "工程机械", "上游", "液压油缸、液压泵及密封总成"))
        .await
        .unwrap();
    let mut own = pos(seals, "工程机械", "upstream", "橡胶密封件、O 型圈");
    own.uscc = String::new();
    let v = chains::save_position(&app, &enterprise(seals), &own).await.unwrap();
    assert_eq!((v.len(), v[0].position_zh), (1, "上游"));
    chains::save_position(&app, &jingfa, &pos(steel, "新材料", "上游", "中厚钢板、型钢")).await.unwrap();
    chains::save_position(&app, &jingfa, &pos(maker, "工程机械", "下游", "挖掘机整机")).await.unwrap();
    assert!(
        matches!(
            chains::save_position(&app, &enterprise(seals), &pos(steel, "工程机械", "上游", "x")).await,
            Err(Error::EnterpriseNotFound { .. })
        ),
        "another enterprise is not even shown"
    );
    assert!(matches!(
        chains::save_position(&app, &keji, &pos(steel, "工程机械", "上游", "x")).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        chains::save_position(&app, &jingfa, &pos(steel, "工程机械", "旁游", "x")).await,
        Err(Error::Invalid { field, .. }) if field == "position"
    ));
    assert!(matches!(
        chains::save_position(&app, &jingfa, &pos(steel, "工程机械", "上游", &"钢".repeat(501))).await,
        Err(Error::TooLong { .. })
    ));
    // Saving again replaces the position on that chain.
    chains::save_position(&app, &jingfa, &pos(steel, "新材料", "中游", "中厚钢板、型钢、钢结构件"))
        .await
        .unwrap();
    let all = chains::positions(&app, &leader, &Default::default()).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(chains::positions(&app, &enterprise(seals), &Default::default()).await.unwrap().len(), 1);

    // The maker posts a demand; bad fields are named; nothing stored on a refusal.
    let req = DemandRequest {
        uscc: String::new(),
        description: "需要液压油缸和密封件，用于挖掘机动臂".into(),
        quantity: "每月 200 套".into(),
        needed_by: "2027-01-15".into(),
    };
    let mut bad = req.clone();
    bad.needed_by = "2026-11-30".into();
    assert!(matches!(
        chains::post_demand(&app, &enterprise(maker), &bad).await,
        Err(Error::Invalid { field, .. }) if field == "needed_by"
    ));
    let mut bad = req.clone();
    bad.description = "  ".into();
    assert!(matches!(
        chains::post_demand(&app, &enterprise(maker), &bad).await,
        Err(Error::Required { field, .. }) if field == "description"
    ));
    assert!(app.store.supply_demands(&Default::default()).await.unwrap().is_empty());
    let p = chains::post_demand(&app, &enterprise(maker), &req).await.unwrap();
    let id = p.demand.record.id;
    assert_eq!(p.demand.record.demand.introduction_due, d("2026-12-08"), "5 working days on the calendar");
    assert_eq!(p.demand.state_zh, "待对接");
    assert!(!p.may_introduce && p.may_close, "the enterprise may withdraw, not introduce");
    // Candidates: the hydraulics and the seals makers (each naming the terms it shares), best
    // first; not the steel maker, not the demander itself.
    let mut names: Vec<String> = p.candidates.iter().map(|c| c.uscc.clone()).collect();
    names.sort();
    let mut want = vec![hydraulics.to_string(), seals.to_string()];
    want.sort();
    assert_eq!(names, want);
    assert!(p.candidates[0].score >= p.candidates[1].score);
    let h = p.candidates.iter().find(|c| c.uscc == hydraulics.to_string()).unwrap();
    assert!(h.shared.iter().any(|t| t == "液压") && h.shared.iter().any(|t| t == "油缸"), "{:?}", h.shared);
    assert_eq!(h.position_zh, "上游");
    assert!(p.candidates[0].reason_zh.starts_with("共有关键词："));

    // Another enterprise does not see it; a non-office official may not introduce.
    assert!(matches!(
        chains::show_demand(&app, &enterprise(steel), id).await,
        Err(Error::SupplyDemandNotFound { .. })
    ));
    assert!(chains::demands(&app, &enterprise(steel), &Default::default()).await.unwrap().is_empty());
    let intro = |s: &UnifiedCreditCode| IntroduceRequest {
        supplier: s.to_string(),
        note: "电话联系双方，约定 12 月 10 日现场看样".into(),
        on: None,
        version: None,
    };
    assert!(matches!(chains::introduce(&app, &keji, id, &intro(hydraulics)).await, Err(Error::Forbidden)));
    assert!(matches!(
        chains::introduce(&app, &enterprise(maker), id, &intro(hydraulics)).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        chains::introduce(&app, &jingfa, id, &intro(maker)).await,
        Err(Error::Invalid { field, .. }) if field == "supplier"
    ));

    // Past the due day without an introduction: behind on the dashboard.
    clock.set(at("2026-12-09T09:00:00+08:00"));
    let rows = app::service_lines::dashboard(&app, &leader, d("2026-12-09")).await.unwrap();
    let row = rows.iter().find(|r| r.clause == "三.11").unwrap();
    assert_eq!((row.figures[0].value, row.figures[1].value, row.behind), (1, 0, 1));
    assert_eq!(
        chains::demands(&app, &leader, &chains::DemandQuery { behind: true, ..Default::default() })
            .await
            .unwrap()
            .len(),
        1
    );

    // The office introduces; a stale version is refused.
    let v = chains::introduce(&app, &jingfa, id, &intro(hydraulics)).await.unwrap();
    assert_eq!(v.demand.state_zh, "已对接");
    assert!(v.candidates.iter().any(|c| c.uscc == hydraulics.to_string() && c.introduced));
    let mut stale = intro(seals);
    stale.version = Some(1);
    assert!(matches!(
        chains::introduce(&app, &jingfa, id, &stale).await,
        Err(Error::Store(store::StoreError::DocumentConflict { .. }))
    ));
    assert!(matches!(
        chains::introduce(&app, &jingfa, id, &intro(hydraulics)).await,
        Err(Error::Invalid { field, .. }) if field == "supplier"
    ));
    let v = chains::introduce(&app, &jingfa, id, &intro(seals)).await.unwrap();
    assert_eq!(v.demand.record.introductions.len(), 2);
    let (first, second) = (v.demand.record.introductions[0].id, v.demand.record.introductions[1].id);
    let rows = app::service_lines::dashboard(&app, &leader, d("2026-12-09")).await.unwrap();
    let row = rows.iter().find(|r| r.clause == "三.11").unwrap();
    assert_eq!((row.figures[1].value, row.behind), (2, 0));

    // Outcomes: a refusal needs its reason.
    let out = |i: i64, o: &str, note: &str| OutcomeRequest {
        introduction: i,
        outcome: o.into(),
        note: note.into(),
        version: None,
    };
    assert!(matches!(
        chains::record_outcome(&app, &jingfa, id, &out(second, "not_agreed", "")).await,
        Err(Error::Required { field, .. }) if field == "note"
    ));
    chains::record_outcome(&app, &jingfa, id, &out(second, "未达成", "价格未谈拢")).await.unwrap();
    let v =
        chains::record_outcome(&app, &jingfa, id, &out(first, "达成合作", "签订年度供货合同")).await.unwrap();
    assert_eq!(v.demand.agreed, 1);

    // The enterprise sees its demand with the introductions; the office closes it.
    let own = chains::show_demand(&app, &enterprise(maker), id).await.unwrap();
    assert_eq!(own.demand.record.introductions[0].outcome.label_zh(), "达成合作");
    let v =
        chains::close_demand(&app, &jingfa, id, &CloseRequest { reason: "已签合同".into(), version: None })
            .await
            .unwrap();
    assert_eq!(v.demand.state_zh, "已办结");
    assert!(!v.may_close && !v.may_introduce && v.candidates.is_empty());
    assert!(matches!(
        chains::close_demand(&app, &enterprise(maker), id, &CloseRequest { reason: "x".into(), version: None }).await,
        Err(Error::Invalid { field, .. }) if field == "state"
    ));

    // The workbook: one row per introduction, and the chain map.
    assert!(matches!(
        chains::workbook(&app, &enterprise(maker), &Default::default()).await,
        Err(Error::Forbidden)
    ));
    let bytes = chains::workbook(&app, &leader, &Default::default()).await.unwrap();
    let sheets = excel::read_back(&bytes).unwrap();
    assert_eq!(sheets[0].1.len(), 3, "header and two introductions");
    assert!(sheets[0].1[1].iter().any(|c| c == "达成合作") || sheets[0].1[2].iter().any(|c| c == "达成合作"));
    assert_eq!(sheets[1].1.len(), 5, "header and four positions");
    let audit = app.store.audit_records("supply_demand", Some(&id.to_string()), 100).await.unwrap();
    assert_eq!(audit.len(), 6, "created, two introductions, two outcomes, closed");
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
                    if let Some(s) = crate::matching::postgres(concat!("app_chains_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(a_demand_from_posting_to_agreement);
