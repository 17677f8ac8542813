//! Notifications on the web (通知, issue 14): the bell in the header of every signed-in page
//! (its number hidden at 0, its accessible name 通知（N 条未读）), the page `/notifications`
//! (newest first, unread in bold, each opening its problem and marking itself read), and the
//! API (`GET /api/v1/notifications`, `POST …/{id}/read`, `POST …/read-all`): a user reads and
//! marks only their own. The fixture is the three lists' (`problems::app`): `dept` is the tax
//! bureau, `dept_hr` the organisation department.

use crate::problems::{App, app};
use crate::support::PASSWORD;
use crate::web::{csrf_in, session_cookie};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// A page-signed-in session (the bell is on pages, read with the cookie).
pub(crate) struct Session {
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

pub(crate) async fn sign_in(app: &App, user: &str) -> Session {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(app.url("/login")).send().await.unwrap();
    let anon = session_cookie(r.headers()).unwrap();
    let csrf = csrf_in(&r.text().await.unwrap());
    let r = http
        .post(app.url("/login"))
        .header("cookie", &anon)
        .form(&[("csrf", csrf.as_str()), ("username", user), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{user} signs in");
    let cookie = session_cookie(r.headers()).unwrap();
    let home = http.get(app.url("/")).header("cookie", &cookie).send().await.unwrap();
    let csrf = csrf_in(&home.text().await.unwrap());
    Session { http, cookie, csrf }
}

impl Session {
    async fn get(&self, app: &App, path: &str) -> reqwest::Response {
        self.http.get(app.url(path)).header("cookie", &self.cookie).send().await.unwrap()
    }
    pub(crate) async fn html(&self, app: &App, path: &str) -> String {
        let r = self.get(app, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.text().await.unwrap()
    }
}

/// The bell's number as the header shows it (`None`: hidden).
fn bell(html: &str) -> Option<u64> {
    assert!(html.contains("id=\"bell\""), "every signed-in page has the bell");
    let at = html.find("id=\"bell-count\"")?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest.find('<')?;
    rest[start..end].parse().ok()
}

#[tokio::test]
async fn the_bell_counts_opens_the_problem_and_falls() {
    let app = app().await;
    let officer = sign_in(&app, "dept").await;
    let html = officer.html(&app, "/").await;
    assert_eq!(bell(&html), None, "no number at 0");
    assert!(html.contains("aria-label=\"通知（0 条未读）\""), "{html}");

    // The enterprise raises a problem: the tax bureau's officer sees the bell rise.
    let id = app.raise("ent_a", json!({"category": "tax", "title": "留抵退税到账时间"})).await;
    let html = officer.html(&app, "/").await;
    assert_eq!(bell(&html), Some(1));
    assert!(html.contains("aria-label=\"通知（1 条未读）\""));
    // Another department's officer sees nothing.
    let hr = sign_in(&app, "dept_hr").await;
    assert_eq!(bell(&hr.html(&app, "/").await), None);

    // The page: newest first, unread in bold, a link that opens the problem.
    let page = officer.html(&app, "/notifications").await;
    assert!(
        page.contains("class=\"unread\"") && page.contains("留抵退税到账时间") && page.contains("派单"),
        "{page}"
    );
    let list: Value = app.ok("dept", Method::GET, "/api/v1/notifications", None).await;
    assert_eq!((list["unread"].as_u64(), list["total"].as_u64()), (Some(1), Some(1)));
    let n = &list["notifications"][0];
    assert_eq!((n["kind"].as_str(), n["problem_id"].as_i64()), (Some("assigned"), Some(id)));
    assert!(n["read_at"].is_null());
    let nid = n["id"].as_i64().unwrap();
    assert!(page.contains(&format!("href=\"/notifications/{nid}\"")));
    let r = officer.get(&app, &format!("/notifications/{nid}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], format!("/problems/{id}").as_str());
    let html = officer.html(&app, &format!("/problems/{id}")).await;
    assert_eq!(bell(&html), None, "the count falls once opened");
    assert!(officer.html(&app, "/notifications").await.contains("class=\"read\""));

    // Nobody opens or marks another's: 404.
    let r = hr.get(&app, &format!("/notifications/{nid}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.call("dept_hr", Method::POST, &format!("/api/v1/notifications/{nid}/read"), None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("通知"), "{body}");

    // The API: the answer reaches the enterprise; read one, then all.
    app.act("dept", id, json!({"action": "accept"})).await;
    app.act("dept", id, json!({"action": "assign", "lead": "税务局"})).await;
    app.act("dept", id, json!({"action": "start"})).await;
    app.act("dept", id, json!({"action": "request_info", "note": "请补充2023年纳税申报表"})).await;
    let ent = app.ok("ent_a", Method::GET, "/api/v1/notifications", None).await;
    assert_eq!(ent["unread"], 1);
    assert_eq!(ent["notifications"][0]["kind"], "info_requested");
    assert!(ent["notifications"][0]["text"].as_str().unwrap().contains("纳税申报表"));
    app.act("ent_a", id, json!({"action": "supply_info", "note": "已上传"})).await;
    app.act("dept", id, json!({"action": "answer", "outcome": "resolved", "note": "已退付"})).await;
    let r = app
        .ok(
            "ent_a",
            Method::POST,
            &format!("/api/v1/notifications/{}/read", ent["notifications"][0]["id"]),
            None,
        )
        .await;
    assert_eq!((r["changed"].as_u64(), r["unread"].as_u64()), (Some(1), Some(1)));
    let r = app.ok("ent_a", Method::POST, "/api/v1/notifications/read-all", None).await;
    assert_eq!((r["changed"].as_u64(), r["unread"].as_u64()), (Some(1), Some(0)));
    // ent_b sees none of it.
    assert_eq!(app.ok("ent_b", Method::GET, "/api/v1/notifications", None).await["total"], 0);
    let r = app.call("dept", Method::GET, "/api/v1/notifications?limit=0", None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The officer's supplied-information notice, then "mark all read" from the page.
    let html = officer.html(&app, "/notifications").await;
    assert_eq!(bell(&html), Some(1));
    assert!(html.contains("已补充材料"));
    let r = officer
        .http
        .post(app.url("/notifications/read-all"))
        .header("cookie", &officer.cookie)
        .form(&[("csrf", officer.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(bell(&officer.html(&app, "/notifications").await), None);
    // In English the bell says so in English.
    assert!(officer.html(&app, "/?lang=en").await.contains("aria-label=\"Notifications (0 unread)\""));
}
