//! 一企一对策 plans (三.7) and credit repair cases (三.16) of issue 15 over a real store
//! (SQLite always; PostgreSQL when `HUIQI_TEST_PG_URL` is set): the running department makes
//! a plan from a diagnosis; owner departments move their own measures only; a measure past
//! its deadline is behind and a quarter without a review is overdue; a review closes the plan.
//! The credit office records a case whose deadlines fall on the zone calendar, advances it in
//! order only, a refusal needs its reason, late steps are warned; enterprises see only their
//! own; both lines show on the leader's dashboard; the exports read back.

use app::credit_repair::{self as repair, AdvanceRequest, OpenRequest};
use app::plans::{self, CreateRequest, MeasureInput, MeasureUpdate, ReviewRequest};
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
    let app = crate::matching::zone(store, 10).await;
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

fn m(title: &str, owner: &str, deadline: &str) -> MeasureInput {
    MeasureInput { title: title.into(), owner_department: owner.into(), deadline: deadline.into() }
}

async fn a_plan_from_diagnosis_to_closing(store: Arc<dyn Store>) {
    let (app, clock, codes) = setup(store).await;
    let (a, b) = (&codes[0], &codes[1]);
    let jingfa = official("jingfa", Role::Department, Some("economic_development"));
    let keji = official("keji", Role::Department, Some("sci_tech_finance"));
    let shuiwu = official("shuiwu", Role::Department, Some("tax_bureau"));
    let leader = official("lingdao", Role::Leader, None);
    let req = CreateRequest {
        uscc: a.to_string(),
        programme: "倍增".into(),
        diagnosed_on: "2026-11-20".into(),
        experts: "张教授、李高工".into(),
        findings: "研发投入不足，融资渠道单一。".into(),
        measures: vec![
            m("对接科技金融产品", "科技金融服务中心", "2026-12-20"),
            m("申报研发费用加计扣除", "tax_bureau", "2026-12-10"),
        ],
    };

    // Only the running department (经济发展局, lead of 三.7) makes plans; bad input names its field.
    assert!(matches!(plans::create(&app, &keji, &req).await, Err(Error::Forbidden)));
    assert!(matches!(plans::create(&app, &enterprise(a), &req).await, Err(Error::Forbidden)));
    let mut bad = req.clone();
    bad.programme = "翻番".into();
    assert!(
        matches!(plans::create(&app, &jingfa, &bad).await, Err(Error::Invalid { field, .. }) if field == "programme")
    );
    let mut bad = req.clone();
    bad.measures[1].deadline = "2026-13-01".into();
    assert!(
        matches!(plans::create(&app, &jingfa, &bad).await, Err(Error::Invalid { field, .. }) if field == "measures[1].deadline")
    );
    let mut bad = req.clone();
    bad.findings = "很".repeat(plans::MAX_FINDINGS + 1);
    assert!(matches!(plans::create(&app, &jingfa, &bad).await, Err(Error::TooLong { .. })));
    assert!(app.store.plans(&Default::default()).await.unwrap().is_empty(), "nothing stored on a refusal");

    let p = plans::create(&app, &jingfa, &req).await.unwrap();
    let id = p.record.id;
    assert_eq!(p.record.measures.len(), 2);
    assert_eq!(p.programme_zh, "倍增");
    assert_eq!(p.review_due, Some(d("2026-12-31")));
    assert!(p.behind.is_empty() && !p.review_overdue);
    let (fin, tax) = (p.record.measures[0].id, p.record.measures[1].id);

    // A department updates its own measure only.
    let upd =
        |status: &str, note: &str| MeasureUpdate { status: status.into(), note: note.into(), version: None };
    assert!(matches!(
        plans::update_measure(&app, &shuiwu, id, fin, &upd("done", "")).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        plans::update_measure(&app, &enterprise(a), id, tax, &upd("done", "")).await,
        Err(Error::Forbidden)
    ));
    let v = plans::update_measure(&app, &keji, id, fin, &upd("in_progress", "已对接两家银行")).await.unwrap();
    assert!(v.record.measures[0].notes.contains("已对接两家银行"));
    assert_eq!(plans::editable_measures(&app, &shuiwu, &v.record).await.unwrap(), vec![tax]);
    // A stale form is refused.
    let stale = MeasureUpdate { version: Some(p.record.version), ..upd("", "再次跟进") };
    assert!(plans::update_measure(&app, &keji, id, fin, &stale).await.is_err());
    // Dropping needs a reason.
    assert!(matches!(
        plans::update_measure(&app, &keji, id, fin, &upd("dropped", "")).await,
        Err(Error::Required { field, .. }) if field == "note"
    ));

    // Past the tax measure's deadline: behind schedule, on the leader's dashboard.
    clock.set(at("2026-12-15T09:00:00+08:00"));
    let v = plans::show(&app, &leader, id).await.unwrap();
    assert_eq!(v.behind, vec![tax]);
    let rows = app::service_lines::dashboard(&app, &leader, d("2026-12-15")).await.unwrap();
    let row = rows.iter().find(|r| r.clause == "三.7").expect("三.7 on the dashboard");
    assert_eq!(row.behind, 1);
    assert_eq!(row.figures[0].value, 1);
    let listed =
        plans::list(&app, &leader, &plans::ListQuery { behind: true, ..Default::default() }).await.unwrap();
    assert_eq!(listed.len(), 1);

    let v = plans::update_measure(&app, &shuiwu, id, tax, &upd("done", "已完成申报")).await.unwrap();
    assert!(v.behind.is_empty());
    assert!(matches!(
        plans::update_measure(&app, &shuiwu, id, tax, &upd("in_progress", "")).await,
        Err(Error::Invalid { field, .. }) if field == "status"
    ));
    let rows = app::service_lines::dashboard(&app, &leader, d("2026-12-15")).await.unwrap();
    let row = rows.iter().find(|r| r.clause == "三.7").unwrap();
    assert_eq!((row.behind, row.figures[1].value), (0, 1), "one measure done this month");

    // The enterprise reads its plan; another enterprise cannot see it.
    assert_eq!(plans::show(&app, &enterprise(a), id).await.unwrap().record.id, id);
    assert!(matches!(plans::show(&app, &enterprise(b), id).await, Err(Error::PlanNotFound { .. })));
    assert!(plans::list(&app, &enterprise(b), &Default::default()).await.unwrap().is_empty());
    assert_eq!(plans::list(&app, &enterprise(a), &Default::default()).await.unwrap().len(), 1);
    // An owner department lists the plans with its measures only.
    assert_eq!(plans::list(&app, &shuiwu, &Default::default()).await.unwrap().len(), 1);
    let other = official("other", Role::Department, Some("traffic_police"));
    assert!(plans::list(&app, &other, &Default::default()).await.unwrap().is_empty());

    // A quarter ends without a review: overdue; the review records the conclusion and closes.
    clock.set(at("2027-01-05T09:00:00+08:00"));
    assert!(plans::show(&app, &leader, id).await.unwrap().review_overdue);
    let rev = ReviewRequest {
        reviewed_on: None,
        conclusion: "融资对接推进中，研发加计扣除已落实。".into(),
        close: false,
        measures: vec![m("申报专精特新", "经济发展局", "2027-03-31")],
        version: None,
    };
    assert!(matches!(plans::review(&app, &keji, id, &rev).await, Err(Error::Forbidden)));
    let v = plans::review(&app, &jingfa, id, &rev).await.unwrap();
    assert!(!v.review_overdue);
    assert_eq!((v.record.reviews.len(), v.record.measures.len()), (1, 3));
    assert_eq!(v.review_due, Some(d("2027-03-31")));
    // Between reviews the running department adds a measure; the detail names who may do what.
    let add = plans::AddMeasuresRequest {
        measures: vec![m("对接上市辅导机构", "经济发展局", "2027-02-28")],
        version: None,
    };
    assert!(matches!(plans::add_measures(&app, &keji, id, &add).await, Err(Error::Forbidden)));
    assert!(matches!(
        plans::add_measures(&app, &jingfa, id, &plans::AddMeasuresRequest::default()).await,
        Err(Error::Required { field, .. }) if field == "measures"
    ));
    assert_eq!(plans::add_measures(&app, &jingfa, id, &add).await.unwrap().record.measures.len(), 4);
    let seen = plans::detail(&app, &keji, id).await.unwrap();
    assert_eq!((seen.editable, seen.manages), (vec![fin], false), "an owner department its own measure");
    let seen = plans::detail(&app, &jingfa, id).await.unwrap();
    assert_eq!((seen.editable.len(), seen.manages), (3, true), "every open measure (the tax one is done)");
    assert!(!seen.view.review_open, "the quarter's review window opens on 2027-03-16");
    clock.set(at("2027-03-20T09:00:00+08:00"));
    assert!(plans::show(&app, &leader, id).await.unwrap().review_open);
    let close =
        ReviewRequest { conclusion: "目标达成，方案结束。".into(), close: true, ..rev.clone() };
    let close = ReviewRequest { measures: vec![], ..close };
    let v = plans::review(&app, &jingfa, id, &close).await.unwrap();
    assert!(v.record.closed_on.is_some() && v.review_due.is_none());
    assert!(matches!(
        plans::update_measure(&app, &keji, id, fin, &upd("done", "")).await,
        Err(Error::Invalid { field, .. }) if field == "plan"
    ));
    assert!(plans::list(&app, &leader, &Default::default()).await.unwrap().is_empty(), "closed plans hidden");
    assert_eq!(
        plans::list(&app, &leader, &plans::ListQuery { closed: true, ..Default::default() })
            .await
            .unwrap()
            .len(),
        1
    );

    // The export reads back; every write is audited.
    let bytes = plans::workbook(&app, &leader, &plans::ListQuery { closed: true, ..Default::default() })
        .await
        .unwrap();
    let sheets = excel::read_back(&bytes).unwrap();
    let (_, measures) = sheets.iter().find(|(name, _)| name == "措施").unwrap();
    assert_eq!(measures.len(), 1 + 4);
    assert!(measures.iter().any(|r| r.iter().any(|c| c == "税务局")));
    assert!(matches!(
        plans::workbook(&app, &enterprise(a), &Default::default()).await,
        Err(Error::Forbidden)
    ));
    let audit = app.store.audit_records("plan", Some(&id.to_string()), 100).await.unwrap();
    assert!(audit.len() >= 8, "{}", audit.len());
}

async fn a_repair_case_step_by_step(store: Arc<dyn Store>) {
    let (app, clock, codes) = setup(store).await;
    let (a, b) = (&codes[0], &codes[1]);
    let credit = official("xinyong", Role::Department, Some("economic_development"));
    let shuiwu = official("shuiwu", Role::Department, Some("tax_bureau"));
    let leader = official("lingdao", Role::Leader, None);
    let req = OpenRequest {
        uscc: a.to_string(),
        source: "市场监管局经营异常名录（2022）".into(),
        record_date: "2022-06-10".into(),
        kind: "经营异常".into(),
        conditions: "补报年度报告并公示。".into(),
    };
    assert!(matches!(repair::open(&app, &shuiwu, &req).await, Err(Error::Forbidden)));
    assert!(matches!(repair::open(&app, &enterprise(a), &req).await, Err(Error::Forbidden)));
    let mut bad = req.clone();
    bad.source = "源".repeat(repair::MAX_SOURCE + 1);
    assert!(matches!(repair::open(&app, &credit, &bad).await, Err(Error::TooLong { .. })));
    let mut bad = req.clone();
    bad.kind = "罚款".into();
    assert!(
        matches!(repair::open(&app, &credit, &bad).await, Err(Error::Invalid { field, .. }) if field == "kind")
    );

    let c = repair::open(&app, &credit, &req).await.unwrap();
    let id = c.record.id;
    // Deadlines on the zone calendar: 10, 15 and 20 working days from 2026-12-01 (the
    // defaults of the zone setting credit_repair.*).
    let cal = app::calendar::calendars(&app).await.unwrap();
    let wd = |n| cal.current().add_workdays(d("2026-12-01"), n).unwrap();
    assert_eq!(c.record.case.training_due, wd(10));
    assert_eq!(c.record.case.commitment_due, wd(15));
    assert_eq!(c.record.case.application_due, wd(20));
    assert_eq!(c.next, Some(store::credit_repair::RepairStep::TrainingAttended));
    assert!(c.todo_zh.unwrap().contains("培训"));
    let seen = repair::detail(&app, &credit, id).await.unwrap();
    assert_eq!(seen.choices, vec![store::credit_repair::RepairStep::TrainingAttended]);
    assert!(repair::detail(&app, &shuiwu, id).await.unwrap().choices.is_empty(), "others read only");

    let step = |s: &str| AdvanceRequest { step: s.into(), ..Default::default() };
    // In order only; the credit office only.
    assert!(matches!(
        repair::advance(&app, &credit, id, &step("commitment_signed")).await,
        Err(Error::Service(_))
    ));
    assert!(matches!(
        repair::advance(&app, &shuiwu, id, &step("training_attended")).await,
        Err(Error::Forbidden)
    ));

    // Past the training deadline: late, on the dashboard.
    clock.set(at("2026-12-20T09:00:00+08:00"));
    let v = repair::show(&app, &leader, id).await.unwrap();
    assert!(v.late);
    let rows = app::service_lines::dashboard(&app, &leader, d("2026-12-20")).await.unwrap();
    let row = rows.iter().find(|r| r.clause == "三.16").expect("三.16 on the dashboard");
    assert_eq!((row.behind, row.figures[0].value), (1, 1));
    assert_eq!(
        repair::list(&app, &leader, &repair::ListQuery { late: true, ..Default::default() })
            .await
            .unwrap()
            .len(),
        1
    );

    repair::advance(&app, &credit, id, &step("training_attended")).await.unwrap();
    repair::advance(&app, &credit, id, &step("已签署承诺")).await.unwrap();
    let v = repair::advance(&app, &credit, id, &step("application_submitted")).await.unwrap();
    assert!(!v.late && v.next == Some(store::credit_repair::RepairStep::Repaired));
    // A refusal needs its reason.
    assert!(matches!(
        repair::advance(&app, &credit, id, &step("refused")).await,
        Err(Error::Required { field, .. }) if field == "reason"
    ));
    let v = repair::advance(&app, &credit, id, &step("repaired")).await.unwrap();
    assert_eq!(v.next, None);
    assert_eq!(v.record.steps.len(), 5);
    assert!(matches!(repair::advance(&app, &credit, id, &step("refused")).await, Err(Error::Service(_))));
    let rows = app::service_lines::dashboard(&app, &leader, d("2026-12-20")).await.unwrap();
    let row = rows.iter().find(|r| r.clause == "三.16").unwrap();
    assert_eq!((row.behind, row.figures[0].value, row.figures[1].value), (0, 0, 1));

    // The enterprise sees its own case, not another's.
    assert_eq!(repair::show(&app, &enterprise(a), id).await.unwrap().record.steps.len(), 5);
    assert!(matches!(repair::show(&app, &enterprise(b), id).await, Err(Error::RepairCaseNotFound { .. })));
    assert!(repair::list(&app, &enterprise(b), &Default::default()).await.unwrap().is_empty());
    assert!(matches!(
        repair::advance(&app, &enterprise(a), id, &step("refused")).await,
        Err(Error::Forbidden | Error::Service(_))
    ));

    let bytes = repair::workbook(&app, &leader, &Default::default()).await.unwrap();
    let sheets = excel::read_back(&bytes).unwrap();
    assert_eq!(sheets[0].1.len(), 2);
    assert!(sheets[0].1[1].iter().any(|c| c == "已修复"));
    let audit = app.store.audit_records("credit_repair", Some(&id.to_string()), 100).await.unwrap();
    assert_eq!(audit.len(), 5);
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
                    if let Some(s) = crate::matching::postgres(concat!("app_plans_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(a_plan_from_diagnosis_to_closing, a_repair_case_step_by_step);
