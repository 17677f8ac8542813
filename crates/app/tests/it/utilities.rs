//! Utility arrears and the 20-working-day late-fee waiver (三.9, issue 15) over a real store
//! (SQLite always; PostgreSQL when `HUIQI_TEST_PG_URL` is set): a utilities officer imports a
//! provider's CSV of arrears (a dry run first, which writes nothing), then an XLSX of paid
//! dates and late fees that changes only the fields it carries; each record's window falls on
//! the zone calendar (调休 counted); a fee charged for arrears paid in the window becomes one
//! problem (category utilities, channel service_records), once; a bad file is refused whole
//! with every row's problem; the enterprise sees only its own records; waivers due per
//! provider, the violations, the leader's KPI row and the export all agree.

use app::utilities::{self as uc, ImportRequest, ListQuery};
use app::{App, Error, FixedClock, Principal};
use chrono::{DateTime, NaiveDate};
use enterprise::UnifiedCreditCode;
use rust_decimal::Decimal;
use std::sync::Arc;
use store::{Role, Store};

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
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

fn enterprise(uscc: &UnifiedCreditCode) -> Principal {
    Principal {
        username: "qiye".into(),
        role: Role::Enterprise,
        enterprise: Some(uscc.clone()),
        department: None,
        display_name: "企业".into(),
    }
}

async fn setup(store: Arc<dyn Store>) -> (App, Vec<UnifiedCreditCode>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 10).await;
    let app: App = app.with_clock(Arc::new(FixedClock::new(at("2022-06-30T09:00:00+08:00"))));
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    (app, codes)
}

fn csv(name: &str, text: String, dry_run: bool) -> ImportRequest {
    ImportRequest { file_name: name.into(), bytes: text.into_bytes(), dry_run }
}

fn paid_workbook(rows: &[(&str, &str, &str, Option<&str>)]) -> Vec<u8> {
    let mut sheet =
        excel::Sheet::new("补缴", &["供应单位", "记录编号", "补缴日期", "滞纳金", "滞纳金收取日期"]);
    for (no, paid, fee, fee_on) in rows {
        sheet.push(vec![
            "湘潭供电公司".into(),
            (*no).into(),
            excel::Cell::Date(d(paid)),
            excel::Cell::Money(dec(fee)),
            fee_on.map_or(excel::Cell::Empty, |x| excel::Cell::Date(d(x))),
        ]);
    }
    let mut wb = excel::Workbook::new("补缴", d("2022-06-30").and_hms_opt(9, 0, 0).unwrap());
    wb.sheets.push(sheet);
    wb.to_bytes().unwrap()
}

async fn arrears_from_import_to_problem(store: Arc<dyn Store>) {
    let (app, codes) = setup(store).await;
    let (a, b) = (&codes[0], &codes[1]);
    let officer = official("zhujian", Role::Department, Some("housing_construction"));
    let tax = official("shuiwu", Role::Department, Some("tax_bureau"));
    let leader = official("lingdao", Role::Leader, None);
    let arrears = format!(
        "供应单位,记录编号,统一社会信用代码,类别,欠费金额,欠费日期\n\
         湘潭供电公司,E-2204-01,{a},电,1280.50,2022-04-20\n\
         湘潭供电公司,E-2204-02,{a},电,500,2022-04-20\n\
         湘潭供电公司,E-2206-03,{b},电,300.00,2022-06-01\n\
         湘潭供电公司,E-2206-04,{b},电,99,2022-06-20\n\
         湘潭供电公司,E-2204-05,{b},电,200,2022-04-01\n"
    );

    // Only the utilities departments import.
    assert!(matches!(
        uc::import(&app, &tax, &csv("a.csv", arrears.clone(), false)).await,
        Err(Error::Forbidden)
    ));

    // A dry run reports and writes nothing.
    let dry = uc::import(&app, &officer, &csv("a.csv", arrears.clone(), true)).await.unwrap();
    assert_eq!((dry.dry_run, dry.rows, dry.inserted), (true, 5, 5));
    assert!(uc::list(&app, &officer, &ListQuery::default()).await.unwrap().is_empty());

    let first = uc::import(&app, &officer, &csv("a.csv", arrears.clone(), false)).await.unwrap();
    assert_eq!((first.inserted, first.updated, first.problems_raised.len()), (5, 0, 0));
    let all = uc::list(&app, &officer, &ListQuery::default()).await.unwrap();
    let by = |no: &str| all.iter().find(|v| v.record.facts.record_no == no).unwrap().clone();
    // 2022-04-20: the 20th working day after it is 5-19 (4-24 and 5-7 are 调休 working days,
    // 4-30 to 5-4 the 劳动节 holiday).
    assert_eq!(by("E-2204-01").deadline, d("2022-05-19"));
    assert_eq!(by("E-2204-01").state.as_str(), "overdue");
    assert_eq!(by("E-2206-04").state.as_str(), "open");
    assert_eq!(by("E-2204-05").state.as_str(), "overdue");

    // The second file carries paid dates and fees only (XLSX).
    let paid = paid_workbook(&[
        ("E-2204-01", "2022-05-19", "0", None),
        ("E-2204-02", "2022-05-20", "12.80", Some("2022-05-23")),
        ("E-2206-03", "2022-06-10", "15", Some("2022-06-15")),
    ]);
    let req = ImportRequest { file_name: "paid.xlsx".into(), bytes: paid.clone(), dry_run: false };
    let second = uc::import(&app, &officer, &req).await.unwrap();
    assert_eq!((second.inserted, second.updated), (0, 3));
    assert_eq!(second.problems_raised.len(), 1);
    let all = uc::list(&app, &officer, &ListQuery::default()).await.unwrap();
    let by = |no: &str| all.iter().find(|v| v.record.facts.record_no == no).unwrap().clone();
    assert_eq!(by("E-2204-01").state.as_str(), "waived", "paid on the 20th working day");
    assert_eq!(by("E-2204-01").record.facts.amount, dec("1280.50"), "the amount column was not in the file");
    assert_eq!(by("E-2204-01").record.facts.kind.as_str(), "electricity");
    assert_eq!(by("E-2204-02").state.as_str(), "paid_late", "paid on the 21st: the fee is allowed");
    let v = by("E-2206-03");
    assert_eq!(v.state.as_str(), "violation");
    let (record, problem) = second.problems_raised[0];
    assert_eq!((record, v.record.problem_id), (v.record.id, Some(problem)));
    let p = app.store.get_problem(problem).await.unwrap();
    assert_eq!(p.state.problem.category, "utilities");
    assert_eq!(p.state.problem.channel, handling::Channel::ServiceRecords);
    assert_eq!(&p.state.problem.enterprise, b);
    assert!(p.state.problem.title.contains("湘潭供电公司"));

    // Importing again changes nothing and raises nothing: once per record.
    let again = uc::import(&app, &officer, &req).await.unwrap();
    assert_eq!((again.updated, again.unchanged, again.problems_raised.len()), (0, 3, 0));
    assert!(uc::raise_violations(&app, &officer).await.unwrap().is_empty());

    // A bad file is refused whole, every row's problem named; nothing changes.
    let bad = format!(
        "provider,record_no,uscc,kind,amount,arrears_on\n\
         湘潭供电公司,E-2206-09,{a},电,10,2022-06-21\n\
         湘潭供电公司,E-2206-10,{a},蒸汽,10,2022-06-21\n\
         湘潭供电公司,E-2206-11,91430100MA4L000000,电,10,2022-06-21\n\
         湘潭供电公司,E-2206-12,{a},电,-3,2022-07-21\n"
    );
    match uc::import(&app, &officer, &csv("bad.csv", bad, false)).await {
        Err(Error::ArrearsFile { problems, more: 0 }) => {
            let text = problems.join("\n");
            assert!(text.contains("row 3") && text.contains("kind"), "{text}");
            assert!(text.contains("row 4") && text.contains("uscc"), "{text}");
            assert!(
                text.contains("row 5") && text.contains("amount") && text.contains("after today"),
                "{text}"
            );
            assert!(!text.contains("row 2"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(uc::list(&app, &officer, &ListQuery::default()).await.unwrap().len(), 5);

    // The enterprise sees only its own records, and whether the waiver applies.
    let own = uc::list(&app, &enterprise(a), &ListQuery::default()).await.unwrap();
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|v| v.record.uscc == a.to_string()));
    assert!(own.iter().any(|v| v.waiver_applies));
    assert!(matches!(uc::waivers(&app, &enterprise(a), None).await, Err(Error::Forbidden)));

    // Waivers due per provider: paid in the window (the violation's fee to be refunded).
    let w = uc::waivers(&app, &leader, Some("湘潭供电公司")).await.unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].count, w[0].amount, w[0].fees_charged), (2, dec("1580.50"), dec("15")));

    let violations = uc::violations(&app, &officer).await.unwrap();
    assert_eq!(violations.len(), 1);
    assert_eq!(
        (violations[0].problem_state.as_deref(), violations[0].problem_closed),
        (Some("submitted"), false)
    );

    // The leader's row: one open in its window, one waiver this month (June), one behind.
    let kpis = app::service_lines::dashboard(&app, &leader, d("2022-06-30")).await.unwrap();
    let row = kpis.iter().find(|k| k.clause == "三.9").unwrap();
    assert_eq!(row.figures.iter().map(|f| f.value).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(row.behind, 1);

    // The export reads back: a row per record and the waivers per provider.
    let bytes = uc::workbook(&app, &officer, &ListQuery::default()).await.unwrap();
    let sheets = excel::read_back(&bytes).unwrap();
    assert_eq!(sheets[0].1.len(), 6);
    assert!(sheets[0].1.iter().any(|r| r.iter().any(|c| c == "违规收取滞纳金")));
    assert_eq!(sheets[1].1[1][0], "湘潭供电公司");
    assert!(matches!(uc::workbook(&app, &enterprise(a), &ListQuery::default()).await, Err(Error::Forbidden)));

    // Every change is audited: created, then the paid date, then the problem link.
    let audit =
        app.store.audit_records("utility_arrears", Some(&v.record.id.to_string()), 100).await.unwrap();
    let fields: Vec<&str> = audit.iter().map(|r| r.field.as_str()).collect();
    for f in ["created", "paid_on", "late_fee", "late_fee_on", "problem_id"] {
        assert!(fields.contains(&f), "{fields:?}");
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
                    if let Some(s) = crate::matching::postgres(concat!("app_utilities_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(arrears_from_import_to_problem);
