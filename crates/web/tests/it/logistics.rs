//! Logistics watch on the web (issue 15, 三.12): an officer of the lead department (城管环保局)
//! records an enterprise's profile through the API and the form; the enterprise reports an
//! obstruction, which shows on the officer's page with the hour it has left; the enterprise
//! sees its own profile and reaches the problem form with the category chosen; other
//! departments, cadres and supervisors are refused (403); the import checks the whole file;
//! the workbook downloads; the leader's dashboard shows the line.

use crate::problems::app;
use crate::support::{PASSWORD, at, cheap_hash};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn officer_and_enterprise_pages_reports_and_refusals() {
    let mut app = app().await;
    // A 城管环保局 officer.
    app.store
        .create_user(&store::NewUser {
            username: "chengguan".into(),
            role: store::Role::Department,
            password_hash: cheap_hash(PASSWORD),
            enterprise: None,
            department: Some("urban_management_environment".into()),
            display_name: "城管环保局经办人".into(),
            at: at("2024-03-01T08:00:00+08:00"),
        })
        .await
        .unwrap();
    let r = app
        .http
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "chengguan", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    app.tokens.insert("chengguan", token);
    let (a, b) = (app.a.clone(), app.b.clone());

    // The profile: the officer records it; the tax bureau may not; a bad mode is a 400 naming
    // the field.
    let profile =
        json!({"uscc": a, "main_mode": "公路", "other_modes": "铁路", "routes": "京港澳高速 → 广州"});
    let r = app.call("dept", Method::POST, "/api/v1/logistics/profiles", Some(profile.clone())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let bad = json!({"uscc": a, "main_mode": "马车"});
    let r = app.call("chengguan", Method::POST, "/api/v1/logistics/profiles", Some(bad)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("main_mode"));
    let saved = app.ok("chengguan", Method::POST, "/api/v1/logistics/profiles", Some(profile)).await;
    assert_eq!((saved["main_mode"].as_str(), saved["main_mode_zh"].as_str()), (Some("road"), Some("公路")));

    // The enterprise reports an obstruction at 09:00: due to be accepted by 10:00.
    let id = app
        .raise("ent_a", json!({"category": "logistics", "title": "长株潭城际货车通行证被卡，原料进不了厂"}))
        .await;
    let shown = app.ok("ent_a", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!(shown["deadlines"]["accept_by"], "2024-03-01T10:00:00+08:00", "{shown}");
    let open = app.ok("chengguan", Method::GET, "/api/v1/logistics/reports", None).await;
    assert_eq!((open[0]["id"].as_i64(), open[0]["minutes_left"].as_i64()), (Some(id), Some(60)));

    // The officer's page: the report with its hour, the profile, the form, the import, the
    // export; in Chinese.
    let page = app.call("chengguan", Method::GET, "/logistics", None).await.text().await.unwrap();
    assert!(page.contains(&format!("id=\"report-{id}\"")) && page.contains("剩 1 小时 0 分"), "{page}");
    assert!(page.contains("待办物流受阻问题") && page.contains("京港澳高速"), "{page}");
    assert!(page.contains("受理 1 小时（紧急 1 小时），答复 24 小时（紧急 8 小时）"), "the limits in use");
    assert!(page.contains("id=\"profile-form\"") && page.contains("id=\"import-form\""), "{page}");
    assert!(page.contains("href=\"/logistics/export.xlsx\""));
    let en = app.call("chengguan", Method::GET, "/logistics?lang=en", None).await.text().await.unwrap();
    assert!(en.contains("Open obstruction reports") && en.contains("1 h 0 min left"), "{en}");
    // The form saves and comes back to the page.
    let form =
        app.call("chengguan", Method::GET, &format!("/logistics?edit={a}"), None).await.text().await.unwrap();
    assert!(form.contains("value=\"rail\" checked"), "the stored other mode is ticked");

    // A leader reads without the form; the tax bureau, a cadre, a supervisor are refused.
    let page = app.call("leader", Method::GET, "/logistics", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(!page.text().await.unwrap().contains("id=\"profile-form\""));
    // The page's link is in the navigation of those who may open it, not of the others.
    let nav_has = |page: &str| page.contains("href=\"/logistics\"");
    for (who, shown) in [("chengguan", true), ("leader", true), ("dept", false)] {
        let home = crate::notifications::sign_in(&app, who).await.html(&app, "/").await;
        assert_eq!(
            nav_has(&home),
            shown,
            "{who}: the office runs it, a leader reads it, the tax bureau would be refused"
        );
    }
    for who in ["dept", "cadre", "supervisor"] {
        assert_eq!(
            app.call(who, Method::GET, "/logistics", None).await.status(),
            StatusCode::FORBIDDEN,
            "{who}"
        );
        let r = app.call(who, Method::GET, "/api/v1/logistics/profiles", None).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }

    // The enterprise: its own profile and the way to the obstruction form; not another's.
    let page = app.call("ent_a", Method::GET, "/logistics", None).await.text().await.unwrap();
    assert!(
        page.contains("本企业的物流档案") && page.contains("公路") && page.contains("京港澳高速"),
        "{page}"
    );
    assert!(page.contains("href=\"/problems/new?category=logistics\""), "{page}");
    assert!(!page.contains(&format!("id=\"report-{id}\"")), "no queue for the enterprise");
    let new =
        app.call("ent_a", Method::GET, "/problems/new?category=logistics", None).await.text().await.unwrap();
    assert!(new.contains("<option value=\"logistics\" selected>"), "{new}");
    let r = app.call("ent_a", Method::GET, &format!("/api/v1/logistics/profiles/{b}"), None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own = app.ok("ent_a", Method::GET, &format!("/api/v1/logistics/profiles/{a}"), None).await;
    assert_eq!(own["routes"], "京港澳高速 → 广州");

    // Import: a bad file is 422 naming the row; a good one writes.
    let bad = json!({"file_name": "p.csv", "csv": format!("uscc,main_mode\n{b},飞船\n")});
    let r = app.call("chengguan", Method::POST, "/api/v1/logistics/import", Some(bad)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("row 2"));
    let good = json!({"file_name": "p.csv", "csv": format!("统一社会信用代码,主要物流方式,主要线路\n{b},水运,霞凝港\n")});
    let done = app.ok("chengguan", Method::POST, "/api/v1/logistics/import", Some(good)).await;
    assert_eq!(done["inserted"], 1);
    let all = app.ok("leader", Method::GET, "/api/v1/logistics/profiles?mode=water", None).await;
    assert_eq!(all.as_array().unwrap().len(), 1);

    // The workbook: profiles and the month's reports; not for the enterprise.
    let x = app.call("leader", Method::GET, "/logistics/export.xlsx", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 3, "a header and two profiles");
    assert_eq!(sheets[1].1.len(), 2, "a header and the report");
    assert_eq!(
        app.call("ent_a", Method::GET, "/logistics/export.xlsx", None).await.status(),
        StatusCode::FORBIDDEN
    );

    // The leader's dashboard: the 三.12 line.
    let page = app.call("leader", Method::GET, "/dashboard?period=2024-03", None).await.text().await.unwrap();
    let table = page.split("id=\"service-lines-table\"").nth(1).unwrap_or_default();
    assert!(table.contains("三.12") && table.contains("物流保通保畅"), "{page}");
}
