//! Supply chains on the web (三.11, issue 15): an enterprise records its chain position and
//! posts a supply demand through the API; another enterprise's position is matched with its
//! reason; only the chain office (here the admin) introduces; the pages are Chinese and show
//! the candidates, the introduction and the forms each reader may use; the workbook
//! downloads for officials only; the leader's dashboard shows the line.

use crate::problems::app;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_supply_demand_matched_and_introduced_over_http() {
    let app = app().await;
    // The clock of the test zone is 2024-03-01 09:00.
    let r = app
        .ok(
            "ent_b",
            Method::POST,
            "/api/v1/chains/positions",
            Some(json!({"chain": "工程机械", "position": "上游", "supplies": "液压油缸、液压泵"})),
        )
        .await;
    assert_eq!(r[0]["position_zh"], "上游");
    let bad = app
        .call(
            "ent_b",
            Method::POST,
            "/api/v1/chains/positions",
            Some(json!({"chain": "工程机械", "position": "旁游", "supplies": "x"})),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body = json!({"description": "采购液压油缸 200 套", "quantity": "200 套", "needed_by": "2024-04-30"});
    let r = app.call("dept", Method::POST, "/api/v1/chains/demands", Some(body.clone())).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "an officer names the enterprise");
    let d = app.ok("ent_a", Method::POST, "/api/v1/chains/demands", Some(body)).await;
    let id = d["demand"]["id"].as_i64().unwrap();
    assert_eq!(d["demand"]["introduction_due"], "2024-03-08");
    assert_eq!(d["candidates"][0]["uscc"], app.b);
    assert!(d["candidates"][0]["reason_zh"].as_str().unwrap().contains("液压"), "{d}");

    // The enterprise's pages: its demand, the candidates, no introduce form.
    let page = app.call("ent_a", Method::GET, "/chains", None).await.text().await.unwrap();
    assert!(page.contains("采购液压油缸") && page.contains("提出配套需求"), "{page}");
    let page = app.call("ent_a", Method::GET, &format!("/chains/{id}"), None).await.text().await.unwrap();
    assert!(page.contains("长沙乙制造有限公司") && page.contains("共有关键词"), "{page}");
    assert!(!page.contains("id=\"introduce-form\"") && page.contains("id=\"close-form\""), "{page}");
    let r = app.call("ent_b", Method::GET, &format!("/api/v1/chains/demands/{id}"), None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Only the office introduces; the admin runs it here.
    let r = app
        .call(
            "dept",
            Method::POST,
            &format!("/api/v1/chains/demands/{id}/introduce"),
            Some(json!({"supplier": app.b})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = app.call("admin", Method::GET, &format!("/chains/{id}"), None).await.text().await.unwrap();
    assert!(page.contains("id=\"introduce-form\""), "{page}");
    let d = app
        .ok(
            "admin",
            Method::POST,
            &format!("/api/v1/chains/demands/{id}/introduce"),
            Some(json!({"supplier": app.b, "note": "约定现场看样"})),
        )
        .await;
    assert_eq!(d["demand"]["state"], "introduced");
    let intro = d["demand"]["introductions"][0]["id"].as_i64().unwrap();
    let r = app
        .call(
            "admin",
            Method::POST,
            &format!("/api/v1/chains/demands/{id}/close"),
            Some(json!({"reason": "已签合同", "version": 1})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED, "a stale version");
    let d = app
        .ok(
            "admin",
            Method::POST,
            &format!("/api/v1/chains/demands/{id}/outcome"),
            Some(json!({"introduction": intro, "outcome": "agreed", "note": "签订供货合同"})),
        )
        .await;
    assert_eq!(d["demand"]["agreed"], 1);

    // The officials' list and workbook; none for the enterprise.
    let page = app.call("dept", Method::GET, "/chains", None).await.text().await.unwrap();
    assert!(page.contains("id=\"chains-export\"") && page.contains("已对接"), "{page}");
    let x = app.call("dept", Method::GET, "/chains/export.xlsx", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 2, "a header and one introduction");
    assert!(sheets[0].1[1].iter().any(|c| c == "达成合作"));
    let r = app.call("ent_a", Method::GET, "/chains/export.xlsx", None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = app.call("leader", Method::GET, "/dashboard?period=2024-03", None).await.text().await.unwrap();
    let table = page.split("id=\"service-lines-table\"").nth(1).unwrap_or_default();
    assert!(table.contains("三.11") && table.contains("产业链配套对接"), "{page}");
}
