//! Events on the web (issue 15): a department officer publishes through the API and the
//! page; an enterprise sees it in its list and registers from the page; the roster shows on
//! the officer's page with check-in offered only on the day; the pages are Chinese; the
//! attendance workbook downloads; an enterprise cannot publish (403) or manage.

use crate::problems::app;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn an_event_from_publishing_to_check_in_over_http() {
    let mut app = app().await;
    // The clock of the test zone is 2024-03-01 09:00.
    let body = json!({
        "kind": "policy_briefing", "title": "留抵退税政策解读会", "place": "麓谷企业广场报告厅",
        "starts_at": "2024-03-08 09:00", "ends_at": "2024-03-08 11:30", "capacity": 2,
        "max_per_enterprise": 1
    });
    let r = app.call("ent_a", Method::POST, "/api/v1/events", Some(body.clone())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let bad = app.call("dept", Method::POST, "/api/v1/events", Some(json!({"kind": "x", "title": "t", "place": "p", "starts_at": "2024-03-08 09:00", "ends_at": "2024-03-08 11:30", "capacity": 2}))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let e = app.ok("dept", Method::POST, "/api/v1/events", Some(body)).await;
    let id = e["id"].as_i64().unwrap();
    assert_eq!(e["department"], "tax_bureau");

    // The enterprise's list and page; it registers from the page's form.
    let list = app.ok("ent_a", Method::GET, "/api/v1/events", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let page = app.call("ent_a", Method::GET, &format!("/events/{id}"), None).await.text().await.unwrap();
    assert!(page.contains("id=\"register\"") && page.contains("政策宣讲"), "{page}");
    assert!(!page.contains("id=\"roster\""), "an enterprise sees no roster");
    let r = app
        .ok(
            "ent_a",
            Method::POST,
            &format!("/api/v1/events/{id}/register"),
            Some(json!({"attendees": 1, "names": "张三"})),
        )
        .await;
    assert_eq!(r["changes"][0]["to"], "confirmed");
    let r = app
        .ok(
            "dept",
            Method::POST,
            &format!("/api/v1/events/{id}/register"),
            Some(json!({"uscc": app.b, "attendees": 1})),
        )
        .await;
    assert_eq!((r["changes"][0]["to"].as_str(), r["seats_free"].as_u64()), (Some("confirmed"), Some(0)));
    let again =
        app.call("ent_a", Method::POST, &format!("/api/v1/events/{id}/register"), Some(json!({}))).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let text = again.text().await.unwrap();
    assert!(text.contains("已报名") || text.contains("already"), "{text}");
    // The enterprise may not manage.
    let r = app.call("ent_a", Method::POST, &format!("/api/v1/events/{id}/close"), Some(json!({}))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The officer's page: the roster, check-in not yet offered.
    let page = app.call("dept", Method::GET, &format!("/events/{id}"), None).await.text().await.unwrap();
    assert!(page.contains("id=\"roster\"") && page.contains("长沙甲科技有限公司"), "{page}");
    assert!(!page.contains("签到</button>"), "check-in opens two hours before the start");
    app.clock.set(crate::support::at("2024-03-08T08:00:00+08:00"));
    app.sign_in_all().await;
    let page = app.call("dept", Method::GET, &format!("/events/{id}"), None).await.text().await.unwrap();
    assert!(page.contains("签到</button>"), "{page}");
    let r = app
        .ok("dept", Method::POST, &format!("/api/v1/events/{id}/check-in"), Some(json!({"uscc": app.a})))
        .await;
    assert_eq!(r["changes"][0]["to"], "checked_in");

    // The list page in Chinese, and the workbook.
    let page = app.call("dept", Method::GET, "/events?when=all", None).await.text().await.unwrap();
    assert!(page.contains("留抵退税政策解读会") && page.contains("发布活动"), "{page}");
    let x = app.call("dept", Method::GET, "/events/export.xlsx?when=all", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[1].1.len(), 3, "a header and two registrations");
    let r = app.call("ent_a", Method::GET, "/events/export.xlsx", None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let reach: Value = app.ok("leader", Method::GET, "/api/v1/events/reach?month=2024-03", None).await;
    assert!(reach.as_array().unwrap().iter().any(|r| r["clause"] == "三.3" && r["came"] == 1), "{reach}");
    // The leader's dashboard shows the line with the month's figures.
    let page = app.call("leader", Method::GET, "/dashboard?period=2024-03", None).await.text().await.unwrap();
    let table = page.split("id=\"service-lines-table\"").nth(1).unwrap_or_default();
    assert!(
        table.contains("三.3")
            && table.contains("政策宣讲")
            && table.contains("到场企业（家） <strong>1</strong>"),
        "{page}"
    );
}
