//! Logistics watch (三.12 物流保通保畅, issue 15) over a real store (SQLite always; PostgreSQL
//! when `HUIQI_TEST_PG_URL` is set): the admin names the 物流保通保畅 officer (checked against
//! the users); an officer records a key enterprise's profile with its watcher; an obstruction
//! report raised at 17:00 on a Friday tells the lead department, the named officer and the
//! watcher, and is due to be accepted by 18:00 the same day; accepted within the hour and
//! answered within the day, it counts as answered in time; one left open past its hour is
//! red on the page, in the KPI row's `behind` and in the warnings job; a profiles file is
//! checked whole (dry run, a bad row refuses it all) and an absent column keeps what is
//! stored; the workbook holds the profiles and the month's reports.

use app::Clock;
use app::logistics::{self as uc, ImportRequest, ListQuery, ProfileRequest};
use app::notifications::{self as n, ListRequest};
use app::policy_docs::Expected;
use app::problems::{ActionRequest, RaiseRequest};
use app::settings::{SetSettings, SettingIssue};
use app::{App, Error, FixedClock, Principal};
use chrono::DateTime;
use enterprise::UnifiedCreditCode;
use std::sync::Arc;
use store::notifications::NotificationKind as K;
use store::{NewUser, Role, Store};

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn person(
    name: &str,
    role: Role,
    department: Option<&str>,
    enterprise: Option<&UnifiedCreditCode>,
) -> Principal {
    Principal {
        username: name.into(),
        role,
        enterprise: enterprise.cloned(),
        department: department.map(String::from),
        display_name: name.into(),
    }
}

fn act(action: &str, note: Option<&str>) -> ActionRequest {
    ActionRequest {
        action: action.into(),
        note: note.map(String::from),
        outcome: note.map(|_| "resolved".to_string()),
        ..Default::default()
    }
}

async fn user(app: &App, p: &Principal) {
    app.store
        .create_user(&NewUser {
            username: p.username.clone(),
            role: p.role,
            password_hash: "x".into(),
            enterprise: p.enterprise.clone(),
            department: p.department.clone(),
            display_name: format!("{}的名字", p.username),
            at: at("2022-12-01T09:00:00+08:00"),
        })
        .await
        .unwrap();
}

fn csv(text: String, dry_run: bool) -> ImportRequest {
    ImportRequest { file_name: "profiles.csv".into(), bytes: text.into_bytes(), dry_run }
}

async fn report_told_accepted_answered_and_late(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    // Ten enterprises; the first four key (重点企业) assistance targets.
    let mut records = crate::matching::records(10);
    for r in records.iter_mut() {
        r.enterprise.registered_in_zone = true;
        r.enterprise.tax_registered_in_zone = true;
    }
    for r in records.iter_mut().take(4) {
        r.enterprise.tags.insert(uc::KEY_TAG.to_string());
    }
    let codes: Vec<UnifiedCreditCode> = records.iter().map(|r| r.enterprise.uscc.clone()).collect();
    let app = crate::matching::zone_of(store, records).await;
    // Friday 2022-12-30, 17:00, before the New Year holiday.
    let clock = Arc::new(FixedClock::new(at("2022-12-30T17:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let admin = Principal::operator("admin");
    let cheng = person("chengguan", Role::Department, Some("urban_management_environment"), None);
    // The named officer works in a department the logistics routing does not name.
    let wuliu = person("wuliu", Role::Department, Some("housing_construction"), None);
    let ganbu = person("ganbu", Role::Cadre, None, None);
    let leader = person("lingdao", Role::Leader, None, None);
    let tax = person("shuiwu", Role::Department, Some("tax_bureau"), None);
    let ent = person("qiye", Role::Enterprise, None, Some(&codes[0]));
    for p in [&cheng, &wuliu, &ganbu, &leader, &tax, &ent] {
        user(&app, p).await;
    }

    // The officer setting: only active department officers or leaders.
    let settings = app::settings::show(&app, &admin).await.unwrap().settings;
    let bad = settings.with_value("logistics.officers", "wuliu, ganbu").unwrap();
    let e =
        app::settings::set(&app, &admin, SetSettings { expected: Expected::Current, settings: bad }).await;
    assert!(
        matches!(&e, Err(Error::InvalidSetting { value, issue: SettingIssue::NotOfficers, .. }) if value == "ganbu"),
        "{e:?}"
    );
    let good = settings
        .with_values([
            ("logistics.officers", "wuliu"),
            ("logistics.source", "园区物流保通保畅工作专班 2022 年 4 号"),
        ])
        .unwrap();
    app::settings::set(&app, &admin, SetSettings { expected: Expected::Current, settings: good })
        .await
        .unwrap();
    assert!(uc::runs_service(&app, &wuliu).await.unwrap(), "the named officer runs the service");
    assert!(uc::runs_service(&app, &cheng).await.unwrap(), "the lead department's officers too");
    assert!(!uc::runs_service(&app, &tax).await.unwrap());

    // A profile, recorded by the officer; checked field by field.
    let req = ProfileRequest {
        uscc: codes[0].to_string(),
        main_mode: "公路".into(),
        other_modes: "铁路、road".into(),
        routes: "京港澳高速长沙段 → 广州；中欧班列（长沙）".into(),
        watcher: "ganbu".into(),
    };
    assert!(matches!(uc::save_profile(&app, &tax, &req).await, Err(Error::Forbidden)));
    for (field, changed) in [
        ("main_mode", ProfileRequest { main_mode: "马车".into(), ..req.clone() }),
        ("routes", ProfileRequest { routes: "路".repeat(uc::MAX_ROUTES + 1), ..req.clone() }),
        ("watcher", ProfileRequest { watcher: "qiye".into(), ..req.clone() }),
    ] {
        match uc::save_profile(&app, &wuliu, &changed).await {
            Err(Error::Invalid { field: f, .. } | Error::TooLong { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let p = uc::save_profile(&app, &wuliu, &req).await.unwrap();
    assert_eq!(
        (p.main_mode_zh, p.other_modes_zh.as_str(), p.key),
        ("公路", "铁路", true),
        "road left out of the others"
    );
    assert_eq!(p.watcher_name, "ganbu的名字");
    // The enterprise reads its own profile, and no other; another department reads none.
    assert!(uc::profile(&app, &ent, &codes[0].to_string()).await.unwrap().is_some());
    assert!(matches!(uc::profile(&app, &ent, &codes[1].to_string()).await, Err(Error::Forbidden)));
    assert!(matches!(uc::overview(&app, &tax, &ListQuery::default()).await, Err(Error::Forbidden)));
    // A cooperating department of 三.12 (经济发展局) reads, and records nothing.
    let jingfa = person("jingfa", Role::Department, Some("economic_development"), None);
    assert!(!uc::overview(&app, &jingfa, &ListQuery::default()).await.unwrap().may_edit);
    assert!(matches!(uc::save_profile(&app, &jingfa, &req).await, Err(Error::Forbidden)));
    assert!(matches!(uc::overview(&app, &ent, &ListQuery::default()).await, Err(Error::Forbidden)));

    // An obstruction report at 17:00 on Friday: accepted by 18:00 that day.
    let raised = app::problems::raise(
        &app,
        &ent,
        RaiseRequest {
            category: "物流".into(),
            title: "京港澳高速长沙收费站货车排队，原材料无法进厂".into(),
            description: "两车钢材滞留，影响明天生产".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let id = raised.id();
    let d = handling::deadlines(&raised.record.state);
    assert_eq!(d.accept_by, handling::Due::At(at("2022-12-30T18:00:00+08:00")));
    assert_eq!(d.answer_by, handling::Due::At(at("2022-12-31T17:00:00+08:00")));
    // Told: the lead department (one row), the named officer and the watcher personally;
    // nobody else.
    let told = |p: Principal| {
        let app = app.clone();
        async move {
            n::list(&app, &p, ListRequest::default())
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| (r.kind, r.problem_id, r.text))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(told(cheng.clone()).await.len(), 1);
    let officer = told(wuliu.clone()).await;
    assert_eq!(officer.len(), 1);
    assert_eq!((officer[0].0, officer[0].1), (K::Assigned, id));
    assert!(officer[0].2.contains("物流保通保畅专员") && officer[0].2.contains("18:00"), "{}", officer[0].2);
    let w = told(ganbu.clone()).await;
    assert!(w.len() == 1 && w[0].2.contains("物流联络员"), "{w:?}");
    assert!(told(tax.clone()).await.is_empty());
    assert!(told(leader.clone()).await.is_empty());

    // On the page: open, green, 60 minutes left.
    let o = uc::overview(&app, &leader, &ListQuery::default()).await.unwrap();
    assert!(!o.may_edit, "a leader reads");
    assert_eq!(o.open_reports.len(), 1);
    let r = &o.open_reports[0];
    assert_eq!((r.id, r.clock, r.minutes_left, r.light), (id, "accept", 60, "green"));
    assert_eq!(o.key_enterprises, 4);
    assert_eq!(o.key_with_profile, 1);
    assert_eq!(o.without_profile.len(), 3);
    assert_eq!(o.by_mode.iter().find(|m| m.mode_zh == "公路").unwrap().key_enterprises, 1);
    assert_eq!(o.officers, vec![("wuliu".to_string(), "wuliu的名字".to_string())]);

    // A second report, left alone.
    let late = app::problems::raise(
        &app,
        &person("qiye2", Role::Enterprise, None, Some(&codes[1])),
        RaiseRequest {
            category: "logistics".into(),
            title: "霞凝港集装箱提箱受阻".into(),
            urgency: Some("urgent".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id();

    // Accepted at 17:40 (within the hour), answered at 21:00 (within 24 hours).
    clock.set(at("2022-12-30T17:40:00+08:00"));
    app::problems::act(&app, &cheng, id, act("accept", None)).await.unwrap();
    let assign = ActionRequest {
        lead: Some("urban_management_environment".into()),
        cooperating: Some(vec![]),
        ..act("assign", None)
    };
    app::problems::act(&app, &cheng, id, assign).await.unwrap();
    app::problems::act(&app, &cheng, id, act("start", None)).await.unwrap();
    clock.set(at("2022-12-30T21:00:00+08:00"));
    let answered = app::problems::act(
        &app,
        &cheng,
        id,
        act("answer", Some("已协调高速交警开辟绿色通道，车辆 20:30 进厂")),
    )
    .await
    .unwrap();
    assert_eq!(answered.record.state.state, handling::State::Answered);

    // 18:30 is past; the second is red: on the page, in the KPI row, and in the warnings job.
    let o = uc::overview(&app, &cheng, &ListQuery::default()).await.unwrap();
    assert!(o.may_edit);
    assert_eq!(o.open_reports.len(), 1);
    let r = &o.open_reports[0];
    assert_eq!((r.id, r.light, r.clock), (late, "red", "accept"));
    assert!(r.minutes_left < 0);
    assert_eq!(app::logistics::minutes_zh(r.minutes_left), "已超时 3 小时 0 分");
    let day = clock.now().date_naive();
    let kpi = uc::kpis(&app, &leader, day).await.unwrap();
    assert_eq!(kpi[0].clause, "三.12");
    let figures: Vec<u64> = kpi[0].figures.iter().map(|f| f.value).collect();
    assert_eq!(figures, [2, 1, 1, 1], "two this month, one answered in time, one open, one key profile");
    assert_eq!(kpi[0].behind, 1);
    let rows = app::service_lines::dashboard(&app, &leader, day).await.unwrap();
    assert!(rows.iter().any(|r| r.clause == "三.12" && r.behind == 1));
    assert!(n::generate_warnings(&app).await.unwrap() >= 1);
    let red = told(cheng.clone()).await;
    assert!(red.iter().any(|(k, p, _)| *k == K::WarningRed && *p == late), "{red:?}");
    let month = uc::month_reports(&app, &leader, day).await.unwrap();
    let first = month.iter().find(|r| r.id == id).unwrap();
    assert_eq!((first.accepted_in_time, first.answered_in_time), (Some(true), Some(true)));
    assert_eq!(first.accepted_at, Some(at("2022-12-30T17:40:00+08:00")));

    // Import: a dry run writes nothing; the real one inserts and updates; the file's absent
    // column (watcher) keeps what is stored.
    let file = format!(
        "统一社会信用代码,主要物流方式,其他物流方式,主要线路\n\
         {},铁路,,中欧班列（长沙）霞凝货场\n\
         {},water,公路,霞凝港 → 岳阳城陵矶港\n\
         {},航空,快递,黄花机场货运站\n",
        codes[0], codes[1], codes[2]
    );
    assert!(matches!(uc::import(&app, &tax, &csv(file.clone(), true)).await, Err(Error::Forbidden)));
    let dry = uc::import(&app, &wuliu, &csv(file.clone(), true)).await.unwrap();
    assert_eq!((dry.dry_run, dry.rows, dry.inserted, dry.updated), (true, 3, 2, 1));
    assert_eq!(uc::list(&app, &wuliu, &ListQuery::default()).await.unwrap().len(), 1, "nothing written");
    let real = uc::import(&app, &wuliu, &csv(file.clone(), false)).await.unwrap();
    assert_eq!((real.inserted, real.updated, real.unchanged), (2, 1, 0));
    let changed = &real.rows_changed[0];
    assert!(changed.changes.iter().any(|(f, old, new)| f == "main_mode" && old == "road" && new == "rail"));
    let first = uc::profile(&app, &wuliu, &codes[0].to_string()).await.unwrap().unwrap();
    assert_eq!(first.record.logistics.watcher, "ganbu", "no watcher column: kept");
    assert_eq!(first.other_modes_zh, "", "no other-modes cell: the stored ones, less the new main mode");
    let again = uc::import(&app, &wuliu, &csv(file, false)).await.unwrap();
    assert_eq!(again.unchanged, 3);
    // Filters: by mode, key only; key enterprises without a profile.
    let water = uc::list(&app, &leader, &ListQuery { mode: Some("水运".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(water.len(), 1);
    assert_eq!(uc::without_profile(&app, &leader, None).await.unwrap().len(), 1);
    // A bad row refuses the whole file, naming each problem; nothing changes.
    let bad = format!(
        "uscc,main_mode,watcher\n{},飞船,\n{},road,nobody\nABC,road,\n{},rail,\n",
        codes[3], codes[4], codes[5]
    );
    match uc::import(&app, &wuliu, &csv(bad, false)).await {
        Err(Error::LogisticsFile { problems, more: 0 }) => {
            let all = problems.join("\n");
            assert_eq!(problems.len(), 3, "{all}");
            assert!(all.contains("第 2 行") && all.contains("main_mode"), "{all}");
            assert!(all.contains("第 3 行") && all.contains("watcher"), "{all}");
            assert!(all.contains("第 4 行") && all.contains("uscc"), "{all}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(uc::list(&app, &wuliu, &ListQuery::default()).await.unwrap().len(), 3);
    let unknown = uc::import(&app, &wuliu, &csv("uscc,colour\n".into(), false)).await;
    assert!(matches!(unknown, Err(Error::LogisticsFile { .. })));

    // The workbook: every profile, and the month's reports with their times.
    let bytes = uc::workbook(&app, &leader).await.unwrap();
    let sheets = sheets(bytes);
    let (_, profiles) = sheets.iter().find(|(n, _)| n == "物流档案").unwrap();
    assert_eq!(profiles.len(), 4, "header and three profiles");
    let (_, reports) = sheets.iter().find(|(n, _)| n == "本月物流受阻").unwrap();
    assert_eq!(reports.len(), 3, "header and two reports");
    let row = reports.iter().find(|r| r[0] == id.to_string()).unwrap();
    assert_eq!((row[8].as_str(), row[11].as_str()), ("是", "是"));
    assert!(matches!(uc::workbook(&app, &ent).await, Err(Error::Forbidden)));
}

/// Every sheet of a workbook as text cells.
fn sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).unwrap();
            let rows = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
            (n, rows)
        })
        .collect()
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
                    if let Some(s) = crate::matching::postgres(concat!("app_logistics_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(report_told_accepted_answered_and_late);
