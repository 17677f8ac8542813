//! Each role's home page (`/`, issue 14): it shows what that role works on first, within
//! what the role may see. The fixture is the three lists' (`problems::app`): enterprise A is
//! linked to the cadre, the leader and the tax bureau (the department user's), B is not.

use crate::problems::{App, app};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn home(app: &App, who: &str) -> String {
    let r = app.call(who, Method::GET, "/", None).await;
    assert_eq!(r.status(), StatusCode::OK, "{who}'s home");
    r.text().await.unwrap()
}

/// Four similar problems of two enterprises make a common problem (as in the common
/// problems' test), one of A's is withdrawn (closed).
async fn zone(app: &App) -> (i64, i64) {
    let text = "园区道路施工导致货车无法进出厂区，影响正常生产和发货，请协调施工时间";
    let a = app
        .raise("ent_a", json!({"category": "tax", "title": "道路施工影响货车进出", "description": text}))
        .await;
    for (who, title) in [
        ("ent_b", "施工影响货车进出厂区"),
        ("ent_a", "货车进出厂区受施工影响"),
        ("ent_b", "道路施工货车无法进出"),
    ] {
        app.raise(who, json!({"category": "tax", "title": title, "description": text})).await;
    }
    let gone = app.raise("ent_a", json!({"category": "tax", "title": "发票领用已自行解决"})).await;
    app.act("ent_a", gone, json!({"action": "withdraw", "note": "已自行解决"})).await;
    (a, gone)
}

#[tokio::test]
async fn a_department_lands_on_its_queue_with_a_search_and_closed_ones_only_when_asked() {
    let app = app().await;
    let (a, _) = zone(&app).await;
    let h = home(&app, "dept").await;
    assert!(h.contains("待办") && h.contains(&format!("href=\"/problems/{a}\"")), "{h}");
    assert!(h.contains("道路施工影响货车进出") && !h.contains("发票领用已自行解决"), "open ones only");
    assert!(h.contains("action=\"/problems\"") && h.contains("name=\"q\""), "a keyword search");
    assert!(!h.contains("家企业"), "not the enterprise directory");
    let asked = app.call("dept", Method::GET, "/problems?open=closed", None).await.text().await.unwrap();
    assert!(asked.contains("发票领用已自行解决") && !asked.contains("道路施工影响货车进出"));
    let found =
        app.call("dept", Method::GET, "/problems?q=%E5%8F%91%E7%A5%A8", None).await.text().await.unwrap();
    assert!(!found.contains("道路施工影响货车进出"), "the search narrows the queue");
}

#[tokio::test]
async fn leaders_and_supervisors_land_on_the_dashboard_with_the_common_problems() {
    let app = app().await;
    zone(&app).await;
    for who in ["leader", "supervisor"] {
        let h = home(&app, who).await;
        for part in ["c-state", "c-department", "c-trend", "响应率", "解决率", "满意率", "id=\"home-common\""]
        {
            assert!(h.contains(part), "{who}'s home lacks {part}");
        }
        assert!(h.contains("href=\"/common#c1\""), "{who}: the largest common problem is linked");
        assert!(h.contains("aria-current=\"page\">首页"), "{who}: the home is the current place");
    }
    // The dashboard itself has no common problems section.
    let d = app.call("leader", Method::GET, "/dashboard", None).await.text().await.unwrap();
    assert!(d.contains("c-state") && !d.contains("id=\"home-common\""));
}

#[tokio::test]
async fn a_cadre_sees_its_enterprises_the_visits_due_and_their_open_problems() {
    let app = app().await;
    let (a, _) = zone(&app).await;
    let h = home(&app, "cadre").await;
    assert!(h.contains("id=\"home-due\"") && h.contains("从未走访"), "A was never visited: {h}");
    assert!(h.contains("长沙甲科技有限公司") && !h.contains("长沙乙"), "its enterprises only");
    assert!(
        h.contains(&format!("href=\"/problems/{a}\"")) && !h.contains("施工影响货车进出厂区"),
        "A's problems, not B's"
    );
    assert!(!h.contains("发票领用已自行解决"), "open ones");
    // The problems it raised (代录): none yet, then the one it takes in for A, with its state
    // and deadline; the enterprise's own are not among them.
    let raised =
        |h: &str| h[h.find("id=\"home-raised\"").unwrap()..].split("</section>").next().unwrap().to_string();
    assert!(!raised(&h).contains("href=\"/problems/"), "{h}");
    let mine = app
        .raise(
            "cadre",
            json!({"enterprise": app.a, "category": "tax", "title": "走访发现用电报装缓慢", "channel": "visit"}),
        )
        .await;
    let h = home(&app, "cadre").await;
    let r = raised(&h);
    assert!(r.contains(&format!("href=\"/problems/{mine}\"")) && r.contains("走访发现用电报装缓慢"), "{r}");
    assert!(
        !r.contains(&format!("href=\"/problems/{a}\"")),
        "the enterprise's own problem is not the cadre's"
    );
    assert!(r.contains("待受理") || r.contains("已提交"), "its state in words: {r}");
    assert!(r.contains("href=\"/problems?raised=me&#38;open=all&#38;sort=queue\""), "{r}");
    let (status, all) = app.page("cadre", "/problems?raised=me&open=all").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(all.contains("走访发现用电报装缓慢") && !all.contains("道路施工影响货车进出"));
    let r = app.call("cadre", Method::GET, "/api/v1/problems?raised=someone", None).await;
    assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST);
    // After a visit, A is no longer due.
    app.ok(
        "cadre",
        Method::POST,
        "/api/v1/visits",
        Some(json!({"enterprise": app.a, "date": "2024-03-01", "findings": "生产正常"})),
    )
    .await;
    let h = home(&app, "cadre").await;
    assert!(!h.contains("从未走访") && h.contains("都已走访"), "{h}");
}

#[tokio::test]
async fn an_enterprise_sees_its_problems_matches_and_inbox() {
    let app = app().await;
    let (a, _) = zone(&app).await;
    let h = home(&app, "ent_a").await;
    assert!(
        h.contains("长沙甲科技有限公司") && h.contains("id=\"home-inbox\"") && h.contains("href=\"/inbox\"")
    );
    assert!(h.contains("id=\"home-problems\"") && h.contains(&format!("href=\"/problems/{a}\"")));
    assert!(!h.contains("施工影响货车进出厂区"), "not B's problems");
    assert!(h.contains("href=\"/problems/new\""), "raise one from the home");
}

#[tokio::test]
async fn an_admin_lands_on_the_administration_with_counts() {
    let app = app().await;
    let h = home(&app, "admin").await;
    for link in ["/admin/users", "/admin/settings", "/admin/time-limits", "/policies", "/admin/imports"] {
        assert!(h.contains(&format!("href=\"{link}\"")), "{link}");
    }
    // Nine users and two enterprises in the fixture.
    assert!(h.contains("用户 <strong>9</strong>") && h.contains("企业 <strong>2</strong>"), "{h}");
}
