//! Utility arrears on the web (issue 15, 三.9): a utilities officer (the admin here) imports a
//! provider's file through the API (a dry run first, then for real; a bad file is 422 with
//! every row's problem and writes nothing); a late fee charged for arrears paid in the window
//! becomes a problem linked from the page; the enterprise sees its own records and the waiver;
//! another department's officer reads but cannot import; the workbook downloads; the leader's
//! dashboard shows the line.

use crate::problems::app;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn arrears_from_a_providers_file_to_the_pages() {
    let app = app().await;
    // The clock of the test zone is 2024-03-01 09:00. 2024-01-10 + 20 working days is 02-06 (2-04, a Sunday, is a 调休 working day).
    let (a, b) = (app.a.clone(), app.b.clone());
    let csv = format!(
        "供应单位,记录编号,统一社会信用代码,类别,欠费金额,欠费日期,补缴日期,滞纳金,滞纳金收取日期\n\
         长沙供水有限公司,SF-01,{a},水,1280.50,2024-01-10,2024-02-06,,\n\
         长沙供水有限公司,SF-02,{b},水,300,2024-01-10,2024-02-01,15.00,2024-02-20\n\
         长沙供水有限公司,SF-03,{b},水,99,2024-02-26,,,\n"
    );
    let body = |dry: bool| json!({"file_name": "sf.csv", "csv": csv, "dry_run": dry});
    let r = app.call("dept", Method::POST, "/api/v1/utilities/import", Some(body(false))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "the tax bureau does not run utilities");
    let dry = app.ok("admin", Method::POST, "/api/v1/utilities/import", Some(body(true))).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["inserted"].as_u64()), (Some(true), Some(3)));
    assert_eq!(app.ok("admin", Method::GET, "/api/v1/utilities", None).await.as_array().unwrap().len(), 0);
    let bad =
        json!({"file_name": "bad.csv", "csv": "provider,record_no,kind\n长沙供水有限公司,SF-09,蒸汽\n"});
    let r = app.call("admin", Method::POST, "/api/v1/utilities/import", Some(bad)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(text.contains("row 2") && text.contains("kind"), "{text}");

    let done = app.ok("admin", Method::POST, "/api/v1/utilities/import", Some(body(false))).await;
    assert_eq!(done["inserted"], 3);
    let raised = done["problems_raised"].as_array().unwrap();
    assert_eq!(raised.len(), 1);
    let problem = raised[0][1].as_i64().unwrap();

    let list = app.ok("dept", Method::GET, "/api/v1/utilities?state=violation", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["record_no"], "SF-02");
    assert_eq!(list[0]["deadline"], "2024-02-06");
    let waivers = app.ok("leader", Method::GET, "/api/v1/utilities/waivers", None).await;
    assert_eq!((waivers[0]["count"].as_u64(), waivers[0]["amount"].as_str()), (Some(2), Some("1580.50")));
    let violations = app.ok("leader", Method::GET, "/api/v1/utilities/violations", None).await;
    assert_eq!(violations[0]["problem_id"].as_i64(), Some(problem));

    // The officer's page: lights, waivers, the violation linking to its problem; no import
    // form for the tax bureau, one for the admin.
    let page = app.call("dept", Method::GET, "/utilities", None).await.text().await.unwrap();
    assert!(
        page.contains("违规收取滞纳金") && page.contains(&format!("href=\"/problems/{problem}\"")),
        "{page}"
    );
    assert!(page.contains("id=\"waivers-table\"") && !page.contains("id=\"import-form\""), "{page}");
    let page = app.call("admin", Method::GET, "/utilities", None).await.text().await.unwrap();
    assert!(page.contains("id=\"import-form\""), "{page}");

    // The enterprise: its own record only, and the waiver.
    let own = app.ok("ent_a", Method::GET, "/api/v1/utilities", None).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["waiver_applies"], true);
    let page = app.call("ent_a", Method::GET, "/utilities", None).await.text().await.unwrap();
    assert!(page.contains("适用免收滞纳金") && !page.contains("SF-02"), "{page}");
    let r = app.call("ent_a", Method::GET, "/api/v1/utilities/waivers", None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The workbook: officials only.
    let x = app.call("leader", Method::GET, "/utilities/export.xlsx", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 4, "a header and three records");
    let r = app.call("ent_a", Method::GET, "/utilities/export.xlsx", None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The leader's dashboard: the 三.9 line, one behind (the violation's problem is open).
    let page = app.call("leader", Method::GET, "/dashboard?period=2024-03", None).await.text().await.unwrap();
    let table = page.split("id=\"service-lines-table\"").nth(1).unwrap_or_default();
    assert!(table.contains("三.9") && table.contains("水电气欠费免收滞纳金"), "{page}");
}
