//! The three lists over HTTP: problems, visits, KPIs, reports and the ledger. Each test starts
//! the app on port 0 over a fresh SQLite file with one user per role (the department user
//! works at the tax bureau) and two enterprises (A linked to the cadre and the leader, B
//! not), with the clock fixed on Friday 2024-03-01 09:00 China time.

use crate::support;
use support::*;

use chrono::{Duration, NaiveDate};
use enterprise::{Enterprise, EnterpriseRecord, IndustryCode, ThreeLinks};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use store::{EnterpriseStore, Role, Stamp, Store};
use web::{AppState, FixedClock, WebConfig};

fn record(n: u32, name: &str) -> EnterpriseRecord {
    EnterpriseRecord {
        scope: Default::default(),
        enterprise: Enterprise {
            uscc: code(n),
            name: name.into(),
            registered_in_zone: true,
            tax_registered_in_zone: true,
            industry_code: Some(IndustryCode::parse("C3511").unwrap()),
            established_on: NaiveDate::from_ymd_opt(2015, 6, 1),
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: BTreeSet::new(),
        },
        facts: vec![],
    }
}

/// The roles of the matrix, in column order.
const ALL: [&str; 9] =
    ["anonymous", "ent_a", "ent_b", "cadre", "dept", "leader", "supervisor", "policy", "admin"];

pub(crate) struct App {
    pub(crate) base: String,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) http: reqwest::Client,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) a: String,
    pub(crate) b: String,
    pub(crate) tokens: HashMap<&'static str, String>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

pub(crate) async fn app() -> App {
    app_with(WebConfig::default()).await
}

/// The fixture with another configuration (e.g. rate limits off for the API fuzz run).
pub(crate) async fn app_with(config: WebConfig) -> App {
    let now = at("2024-03-01T09:00:00+08:00");
    let users = [
        ("ent_a", Role::Enterprise),
        ("ent_b", Role::Enterprise),
        ("cadre", Role::Cadre),
        ("dept", Role::Department),
        ("dept_hr", Role::Department),
        ("leader", Role::Leader),
        ("supervisor", Role::Supervisor),
        ("policy", Role::Policy),
        ("admin", Role::Admin),
    ];
    let (s, dir) = seeded_store(
        now,
        vec![record(1, "长沙甲科技有限公司"), record(2, "长沙乙制造有限公司")],
        &users,
        |name, _| match name {
            "dept" => Some("tax_bureau".to_string()),
            "dept_hr" => Some("organization_personnel".to_string()),
            _ => None,
        },
    )
    .await;
    let links = ThreeLinks {
        leader: Some("leader".into()),
        department: Some("tax_bureau".into()),
        cadre: Some("cadre".into()),
    };
    s.set_three_links(&code(1), &links, &Stamp::new("admin", now)).await.unwrap();
    let clock = Arc::new(FixedClock::new(now));
    let store: Arc<dyn Store> = Arc::new(s);
    let state = AppState::new(store.clone(), config).with_clock(clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve_until(listener, state, async {
        let _ = rx.await;
    }));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut app = App {
        base,
        store,
        http,
        clock,
        a: code(1).to_string(),
        b: code(2).to_string(),
        tokens: HashMap::new(),
        _stop: tx,
        _dir: dir,
    };
    app.sign_in_all().await;
    app
}

impl App {
    /// Fresh bearer tokens for every user (tokens live 12 hours; tests move the clock on).
    pub(crate) async fn sign_in_all(&mut self) {
        for u in ["ent_a", "ent_b", "cadre", "dept", "dept_hr", "leader", "supervisor", "policy", "admin"] {
            let r = self
                .http
                .post(self.url("/api/v1/auth/token"))
                .json(&json!({"username": u, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "token for {u}");
            let t = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
            self.tokens.insert(u, t);
        }
    }

    pub(crate) fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    pub(crate) async fn call(&self, who: &str, m: Method, p: &str, body: Option<Value>) -> reqwest::Response {
        let mut req = self.http.request(m, self.url(p));
        if let Some(t) = self.tokens.get(who) {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub(crate) async fn ok(&self, who: &str, m: Method, p: &str, body: Option<Value>) -> Value {
        let r = self.call(who, m.clone(), p, body).await;
        let s = r.status();
        let text = r.text().await.unwrap();
        assert!(s.is_success(), "{who} {m} {p}: {s} {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub(crate) async fn act(&self, who: &str, id: i64, body: Value) -> Value {
        self.ok(who, Method::POST, &format!("/api/v1/problems/{id}/actions"), Some(body)).await
    }

    pub(crate) async fn raise(&self, who: &str, body: Value) -> i64 {
        let r = self.call(who, Method::POST, "/api/v1/problems", Some(body)).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }
}

#[tokio::test]
async fn the_main_path_create_accept_assign_answer_confirm_close() {
    let mut app = app().await;
    let created = app
        .call(
            "ent_a",
            Method::POST,
            "/api/v1/problems",
            Some(
                json!({"category": "涉税", "title": "留抵退税进度查询", "description": "三月申请，尚未到账"}),
            ),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["etag"], "\"v1\"");
    let p: Value = created.json().await.unwrap();
    let id = p["id"].as_i64().unwrap();
    assert_eq!(p["state"], "submitted");
    assert_eq!(p["category"], "tax");
    assert_eq!(p["channel"], "self_service");
    assert_eq!(p["enterprise"], app.a.as_str());
    assert_eq!(p["lead_department"], "tax_bureau");
    assert_eq!(p["cooperating_departments"], json!([]));
    // Received on Friday 1 March: one working day to accept (Monday 4 March), seven to answer
    // (Tuesday 12 March).
    assert_eq!(p["deadlines"]["accept_by"], "2024-03-04");
    assert_eq!(p["deadlines"]["answer_by"], "2024-03-12");
    assert_eq!(p["warning"], "none");
    assert_eq!(p["events"].as_array().unwrap().len(), 1);
    assert_eq!(p["allowed_actions"], json!(["withdraw"]));

    // The department sees it in its queue, with the actions its role may take.
    let queue = app.ok("dept", Method::GET, "/api/v1/problems", None).await;
    assert_eq!(queue["total"], 1);
    assert_eq!(queue["items"][0]["id"], id);
    let seen = app.ok("dept", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!(seen["allowed_actions"], json!(["accept"]));

    app.clock.advance(Duration::hours(1));
    let p = app.act("dept", id, json!({"action": "accept", "version": 1})).await;
    assert_eq!(p["state"], "accepted");
    let p = app.act("dept", id, json!({"action": "assign", "lead": "税务局", "handler": "王科长"})).await;
    assert_eq!(p["state"], "assigned");
    assert_eq!(p["handler"], "王科长");
    assert_eq!(p["deadlines"]["objection_by"], "2024-03-04");
    let p = app.act("dept", id, json!({"action": "start"})).await;
    assert_eq!(p["state"], "in_progress");
    app.clock.advance(Duration::days(3)); // Monday 4 March
    app.sign_in_all().await;
    let p = app
        .act("dept", id, json!({"action": "answer", "outcome": "resolved", "note": "已于3月4日退付到账"}))
        .await;
    assert_eq!(p["state"], "answered");
    assert_eq!(p["outcome"], "resolved");
    assert_eq!(p["deadlines"]["confirm_by"], "2024-03-11");
    let own = app.ok("ent_a", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!(own["allowed_actions"], json!(["confirm", "withdraw"]));
    let p = app.act("ent_a", id, json!({"action": "confirm", "rating": "满意"})).await;
    assert_eq!(p["state"], "confirmed");
    assert_eq!(p["rating"], "satisfied");
    let p = app.act("dept", id, json!({"action": "close"})).await;
    assert_eq!(p["state"], "closed");
    assert_eq!(p["closure"], "confirmed");
    let actions: Vec<&str> =
        p["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["submit", "accept", "assign", "start", "answer", "confirm", "close"]);
    assert_eq!(p["events"][4]["note"], "已于3月4日退付到账");
    assert_eq!(p["events"][6]["actor"], "dept");
    assert_eq!(p["version"], 7);

    // Closed: it counts in March's KPIs and appears in the ledger's closure list.
    let k = app.ok("supervisor", Method::GET, "/api/v1/kpi?period=2024-03", None).await;
    assert_eq!(k["period"], "2024-03");
    assert_eq!(k["rows"][0]["counts"]["closed"], 1);
    assert_eq!(k["rows"][0]["satisfaction_rate"]["percent"], "100.00");
    let r = app.call("supervisor", Method::GET, "/api/v1/ledger.xlsx", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("ledger-2024-03-04.xlsx"));
    let sheets = excel::read_back(&r.bytes().await.unwrap()).unwrap();
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["问题清单", "责任清单", "销号清单", "说明"]);
    assert_eq!(sheets[0].1[0][0], "编号");
    assert_eq!(sheets[0].1[1][5], "留抵退税进度查询");
    assert_eq!(sheets[1].1[1][2], "税务局");
    let closed = &sheets[2].1[1];
    assert_eq!(closed[1], "留抵退税进度查询");
    assert_eq!(closed[3], "已解决");
    assert_eq!(closed[7], "企业确认");
    assert_eq!(closed[8], "满意");
}

#[tokio::test]
async fn an_illegal_transition_is_409_in_both_languages_and_a_stale_version_412() {
    let app = app().await;
    let id = app.raise("ent_a", json!({"category": "tax", "title": "发票问题"})).await;
    let r = app
        .call(
            "dept",
            Method::POST,
            &format!("/api/v1/problems/{id}/actions"),
            Some(json!({"action": "answer", "outcome": "resolved", "note": "x"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["status"], 409);
    assert_eq!(p["code"], "handling.illegal");
    let zh = p["detail"].as_str().unwrap();
    let en = p["detail_en"].as_str().unwrap();
    assert!(zh.contains("待受理") || zh.contains("已提交"), "{zh}");
    assert!(zh.contains("答复") && zh.contains("受理"), "{zh}");
    assert!(en.contains("answer") && en.contains("accept"), "{en}");
    assert_eq!(p["title"], "冲突");
    assert_eq!(p["title_en"], "Conflict");
    // A role that may not take the action: 403 with the domain's reason.
    let r = app
        .call(
            "ent_a",
            Method::POST,
            &format!("/api/v1/problems/{id}/actions"),
            Some(json!({"action": "accept"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "handling.role_not_allowed");
    // A note the action needs: 422.
    let r = app
        .call(
            "ent_a",
            Method::POST,
            &format!("/api/v1/problems/{id}/actions"),
            Some(json!({"action": "withdraw"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Lost updates: the version (or If-Match) read before someone else acted is refused.
    app.act("dept", id, json!({"action": "accept", "version": 1})).await;
    let r = app
        .call(
            "dept",
            Method::POST,
            &format!("/api/v1/problems/{id}/actions"),
            Some(json!({"action": "assign", "lead": "tax_bureau", "version": 1})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = app
        .http
        .post(app.url(&format!("/api/v1/problems/{id}/actions")))
        .bearer_auth(&app.tokens["dept"])
        .header("if-match", "\"v1\"")
        .json(&json!({"action": "assign", "lead": "tax_bureau"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = app
        .http
        .post(app.url(&format!("/api/v1/problems/{id}/actions")))
        .bearer_auth(&app.tokens["dept"])
        .header("if-match", "\"v2\"")
        .json(&json!({"action": "assign", "lead": "tax_bureau"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"v3\"");
    // Unknown actions and fields are named.
    let r = app
        .call(
            "dept",
            Method::POST,
            &format!("/api/v1/problems/{id}/actions"),
            Some(json!({"action": "teleport"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("teleport"));
}

/// Expected statuses per role, in `ALL` order, for every endpoint this area adds; enterprise A
/// against B, a confidential problem against other departments. Bodies never carry another
/// enterprise's problem title.
#[tokio::test]
async fn every_problem_endpoint_answers_every_role_as_authorised() {
    let app = app().await;
    let a = app.a.clone();
    let b = app.b.clone();
    // P: enterprise A's tax problem (tax bureau leads). Q: enterprise B's confidential talent
    // problem (organisation and personnel bureau leads).
    let p = app.raise("ent_a", json!({"category": "tax", "title": "甲企业的涉税问题"})).await;
    let q = app
        .raise("ent_b", json!({"category": "talent", "title": "乙企业的秘密招聘计划", "confidential": true}))
        .await;
    type Case = (Method, String, Option<Value>, [u16; 9]);
    let cases: Vec<Case> = vec![
        (Method::GET, "/api/v1/problems".into(), None, [401, 200, 200, 200, 200, 200, 200, 403, 200]),
        (Method::GET, format!("/api/v1/problems/{p}"), None, [401, 200, 404, 200, 200, 200, 200, 404, 200]),
        (Method::GET, format!("/api/v1/problems/{q}"), None, [401, 404, 200, 404, 404, 200, 200, 404, 200]),
        (Method::GET, "/api/v1/problems/999999".into(), None, [401, 404, 404, 404, 404, 404, 404, 404, 404]),
        (
            Method::POST,
            format!("/api/v1/problems/{p}/actions"),
            Some(json!({"action": "escalate", "note": "请加快办理"})),
            [401, 403, 404, 403, 403, 200, 200, 404, 403],
        ),
        (
            Method::POST,
            format!("/api/v1/problems/{q}/actions"),
            Some(json!({"action": "accept"})),
            // The supervisor may accept (and does); the admin then finds it accepted.
            [401, 404, 403, 404, 404, 403, 200, 404, 409],
        ),
        (
            Method::POST,
            "/api/v1/problems".into(),
            Some(json!({"enterprise": a, "category": "tax", "title": "为甲企业反映"})),
            [401, 201, 404, 201, 403, 201, 201, 403, 201],
        ),
        (
            Method::POST,
            "/api/v1/problems".into(),
            Some(json!({"enterprise": b, "category": "tax", "title": "为乙企业反映"})),
            [401, 404, 201, 404, 403, 201, 201, 403, 201],
        ),
        (Method::GET, "/api/v1/visits".into(), None, [401, 200, 200, 200, 403, 200, 200, 403, 200]),
        (
            Method::POST,
            "/api/v1/visits".into(),
            Some(json!({"enterprise": a, "date": "2024-02-29", "findings": "生产正常"})),
            [401, 403, 404, 201, 403, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            "/api/v1/visits".into(),
            Some(json!({"enterprise": b, "date": "2024-02-29", "findings": "生产正常"})),
            [401, 404, 403, 404, 403, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/api/v1/kpi?period=2024-03".into(),
            None,
            [401, 403, 403, 403, 200, 200, 200, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/reports/supervision?period=2024-03".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/reports/supervision.xlsx?period=2024-03".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403, 200],
        ),
        (Method::GET, "/api/v1/ledger.xlsx".into(), None, [401, 403, 403, 403, 403, 200, 200, 403, 200]),
    ];
    let mut failures = Vec::new();
    for (m, path, body, expected) in &cases {
        for (who, want) in ALL.iter().zip(expected) {
            let r = app.call(who, m.clone(), path, body.clone()).await;
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            if status != *want {
                failures.push(format!("{who} {m} {path}: {status}, expected {want}: {text}"));
            }
            let leaks = match *who {
                "ent_a" | "cadre" | "dept" => text.contains("乙企业的秘密招聘计划"),
                "ent_b" => text.contains("甲企业的涉税问题"),
                "leader" | "admin" | "policy" => text.contains("乙企业的秘密招聘计划"),
                _ => false,
            };
            if leaks {
                failures.push(format!("{who} {m} {path}: leaks another's problem: {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The confidential problem: its lead department and supervisors see the details, the
    // leader only the summary.
    let full = app.ok("dept_hr", Method::GET, &format!("/api/v1/problems/{q}"), None).await;
    assert_eq!(full["title"], "乙企业的秘密招聘计划");
    let summary = app.ok("leader", Method::GET, &format!("/api/v1/problems/{q}"), None).await;
    assert_eq!(summary["visibility"], "summary");
    assert_eq!(summary["title"], Value::Null);
    assert_eq!(summary["state"], "accepted");
    let sup = app.ok("supervisor", Method::GET, &format!("/api/v1/problems/{q}"), None).await;
    assert_eq!(sup["visibility"], "full");
    // Lists are scoped: enterprise A sees only its own, the tax bureau only what is routed to it.
    let mine = app.ok("ent_a", Method::GET, "/api/v1/problems", None).await;
    assert!(mine["items"].as_array().unwrap().iter().all(|i| i["enterprise"] == app.a.as_str()));
    let queue = app.ok("dept", Method::GET, "/api/v1/problems", None).await;
    assert!(queue["items"].as_array().unwrap().iter().all(|i| i["lead_department"] == "tax_bureau"));
    let other = app.ok("ent_a", Method::GET, &format!("/api/v1/problems?enterprise={}", app.b), None).await;
    assert_eq!(other["total"], 0);
    // The leader's ledger hides the confidential title.
    let r = app.call("leader", Method::GET, "/api/v1/ledger.xlsx", None).await;
    let text = excel::to_golden_text(&r.bytes().await.unwrap()).unwrap();
    assert!(text.contains("甲企业的涉税问题") && !text.contains("乙企业的秘密招聘计划"), "{text}");
    assert!(text.contains("商业秘密"));
}

#[tokio::test]
async fn list_filters_are_checked_and_warnings_turn_with_the_clock() {
    let app = app().await;
    let id = app.raise("ent_a", json!({"category": "tax", "title": "急件", "urgency": "urgent"})).await;
    let p = app.ok("dept", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    // Urgent: accepted within two clock hours.
    assert_eq!(p["deadlines"]["accept_by"], "2024-03-01T11:00:00+08:00");
    let red = app.ok("supervisor", Method::GET, "/api/v1/problems?warning=red", None).await;
    assert_eq!(red["total"], 0);
    app.clock.advance(Duration::hours(3));
    let red = app.ok("supervisor", Method::GET, "/api/v1/problems?warning=red", None).await;
    assert_eq!(red["total"], 1);
    assert_eq!(red["items"][0]["warning"], "red");
    let report = app.ok("supervisor", Method::GET, "/api/v1/reports/supervision?period=2024-03", None).await;
    assert_eq!(report["red"][0]["id"], id);
    for bad in [
        "state=nope",
        "warning=blue",
        "category=火星",
        "department=x",
        "enterprise=123",
        "page=0",
        "per_page=500",
    ] {
        let r = app.call("supervisor", Method::GET, &format!("/api/v1/problems?{bad}"), None).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = app.call("supervisor", Method::GET, "/api/v1/kpi?period=2024-13", None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p: Value = r.json().await.unwrap();
    assert!(
        p["detail"].as_str().unwrap().contains("2024-13")
            && p["detail_en"].as_str().unwrap().contains("2024-13")
    );
}

#[tokio::test]
async fn a_cadre_records_a_visit_and_the_problems_found() {
    let app = app().await;
    let r = app
        .call(
            "cadre",
            Method::POST,
            "/api/v1/visits",
            Some(json!({"enterprise": app.a, "date": "2024-03-01", "findings": "用工紧张",
                "problems": [{"category": "人才招聘", "title": "招聘技术工人困难"}]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let pid = v["problems"][0].as_i64().unwrap();
    let p = app.ok("cadre", Method::GET, &format!("/api/v1/problems/{pid}"), None).await;
    assert_eq!(p["channel"], "visit");
    assert_eq!(p["lead_department"], "organization_personnel");
    let visits = app.ok("cadre", Method::GET, "/api/v1/visits", None).await;
    assert_eq!(visits[0]["findings"], "用工紧张");
    let theirs = app.ok("ent_a", Method::GET, "/api/v1/visits", None).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    let none = app.ok("ent_b", Method::GET, "/api/v1/visits", None).await;
    assert_eq!(none.as_array().unwrap().len(), 0);
    // A date in the future is refused.
    let r = app
        .call(
            "cadre",
            Method::POST,
            "/api/v1/visits",
            Some(json!({"enterprise": app.a, "date": "2024-03-02", "findings": "x"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pages_show_the_queue_the_problem_and_the_dashboard() {
    let app = app().await;
    let id = app.raise("ent_a", json!({"category": "tax", "title": "留抵退税"})).await;
    let page = |who: &'static str, p: String| {
        let t = app.tokens[who].clone();
        let url = app.url(&p);
        let http = app.http.clone();
        async move {
            let r = http.get(url).bearer_auth(t).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = page("dept", "/problems".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("待办队列") && html.contains("留抵退税") && html.contains("正常"), "{html}");
    let (s, html) = page("dept", format!("/problems/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"accept\"") && !html.contains("value=\"confirm\""), "{html}");
    let (s, html) = page("ent_a", format!("/problems/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"withdraw\"") && !html.contains("value=\"accept\""));
    assert_eq!(page("ent_b", format!("/problems/{id}")).await.0, StatusCode::NOT_FOUND);
    let (s, html) = page("supervisor", "/dashboard?period=2024-03".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<svg") && html.contains("问题按状态") && html.contains("部门指标"), "{html}");
    assert!(!html.contains("<script") && !html.contains(" style="));
    assert_eq!(page("ent_a", "/dashboard".into()).await.0, StatusCode::FORBIDDEN);
    let (s, html) = page("leader", "/reports/supervision?period=2024-03".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("督查通报") && html.contains("每周趋势"));
    // The effect report: a section of the dashboard, a printable page, JSON; leaders,
    // supervisors and admins only; a quarter or nothing.
    let (_, html) = page("supervisor", "/dashboard?period=2024-03".into()).await;
    assert!(html.contains("id=\"effects\"") && html.contains("帮扶效果（2024Q1）"), "{html}");
    let (s, html) = page("leader", "/reports/effects?quarter=2024Q1".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("企业帮扶效果季报（2024Q1）")
            && html.contains("问题反复")
            && html.contains("id=\"effects-summary\""),
        "{html}"
    );
    assert!(!html.contains("<script") && !html.contains(" style="));
    assert_eq!(page("ent_a", "/reports/effects".into()).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page("leader", "/reports/effects?quarter=2024-03".into()).await.0, StatusCode::BAD_REQUEST);
    let (s, body) = page("leader", "/api/v1/reports/effects?quarter=2024Q1".into()).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["quarter"].as_str(), v["lines"].as_array().map(Vec::len)),
        (Some("2024Q1"), Some(16)),
        "{v}"
    );
    let (s, body) = page("leader", "/api/v1/reports/effects?quarter=2024X1".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("2026Q4"), "{body}");
    let (s, html) = page("cadre", "/visits".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("长沙甲科技有限公司") && html.contains("从未走访"));
    let (s, html) = page("ent_a", "/problems/new".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"category\""));
}

#[tokio::test]
async fn the_openapi_document_lists_the_three_lists_routes() {
    let app = app().await;
    let doc: Value = app.ok("anonymous", Method::GET, "/api/v1/openapi.json", None).await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/problems", "get"),
        ("/api/v1/problems", "post"),
        ("/api/v1/problems/{id}", "get"),
        ("/api/v1/problems/{id}/actions", "post"),
        ("/api/v1/problems/{id}/attachments", "get"),
        ("/api/v1/problems/{id}/attachments", "post"),
        ("/api/v1/problems/{id}/attachments/{aid}", "get"),
        ("/api/v1/visits", "get"),
        ("/api/v1/visits", "post"),
        ("/api/v1/kpi", "get"),
        ("/api/v1/reports/supervision", "get"),
        ("/api/v1/reports/supervision.xlsx", "get"),
        ("/api/v1/ledger.xlsx", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path}");
    }
    let act = &paths["/api/v1/problems/{id}/actions"]["post"]["responses"];
    assert!(act.get("409").is_some() && act.get("412").is_some());
}

/// A multipart body with one `file` part per (name, bytes), and its content type.
fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "huiqi-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl App {
    async fn upload(&self, who: &str, id: i64, files: &[(&str, &[u8])]) -> reqwest::Response {
        let (ct, body) = multipart(files);
        let mut req = self.http.post(self.url(&format!("/api/v1/problems/{id}/attachments")));
        if let Some(t) = self.tokens.get(who) {
            req = req.bearer_auth(t);
        }
        req.header("content-type", ct).body(body).send().await.unwrap()
    }
}

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n";

/// Attachments: who may add and read them (enterprise A against B, a confidential problem
/// against the departments and roles that see only its summary), how a download is sent, and
/// that a file breaking a rule is refused in both languages with nothing stored.
#[tokio::test]
async fn attachments_answer_every_role_as_authorised() {
    let app = app().await;
    let p = app.raise("ent_a", json!({"category": "tax", "title": "甲企业的涉税问题"})).await;
    let q = app
        .raise("ent_b", json!({"category": "talent", "title": "乙企业的秘密招聘计划", "confidential": true}))
        .await;
    let mut failures = Vec::new();
    for (id, expected) in [
        // P: A's problem, the tax bureau ("dept") leads; the cadre and leader see it but may not add.
        (p, [401, 201, 404, 403, 201, 403, 201, 404, 403]),
        // Q: B's confidential problem; the leader and admin see only its summary.
        (q, [401, 404, 201, 404, 404, 403, 201, 404, 403]),
    ] {
        for (who, want) in ALL.iter().zip(expected) {
            let name = format!("{who}的材料.pdf");
            let r = app.upload(who, id, &[(&name, PDF)]).await;
            let status = r.status().as_u16();
            if status != want {
                failures.push(format!(
                    "{who} upload to {id}: {status}, expected {want}: {}",
                    r.text().await.unwrap()
                ));
            }
        }
    }
    let read_p = [401, 200, 404, 200, 200, 200, 200, 404, 200];
    let read_q = [401, 404, 200, 404, 404, 403, 200, 404, 403];
    let first_q = app.ok("ent_b", Method::GET, &format!("/api/v1/problems/{q}/attachments"), None).await["items"][0]
        ["id"]
        .as_i64()
        .unwrap();
    for (path, expected) in [
        (format!("/api/v1/problems/{p}/attachments"), read_p),
        (format!("/api/v1/problems/{q}/attachments"), read_q),
        (format!("/api/v1/problems/{q}/attachments/{first_q}"), read_q),
        // Q's attachment asked for through P: not found, whoever asks.
        (
            format!("/api/v1/problems/{p}/attachments/{first_q}"),
            [401, 404, 404, 404, 404, 404, 404, 404, 404],
        ),
    ] {
        for (who, want) in ALL.iter().zip(expected) {
            let r = app.call(who, Method::GET, &path, None).await;
            let status = r.status().as_u16();
            let text = String::from_utf8_lossy(&r.bytes().await.unwrap()).to_string();
            if status != want {
                failures.push(format!("{who} GET {path}: {status}, expected {want}: {text}"));
            }
            if matches!(*who, "leader" | "admin" | "ent_a") && text.contains("ent_b的材料") {
                failures.push(format!("{who} GET {path}: leaks the confidential problem's files"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The list and the problem itself name who added what; the timeline has the attach events.
    let list = app.ok("ent_a", Method::GET, &format!("/api/v1/problems/{p}/attachments"), None).await;
    let items = list["items"].as_array().unwrap();
    let who: Vec<&str> = items.iter().map(|i| i["uploaded_by"].as_str().unwrap()).collect();
    assert_eq!(who, ["ent_a", "dept", "supervisor"]);
    assert_eq!(items[0]["file_name"], "ent_a的材料.pdf");
    assert_eq!(items[0]["content_type"], "application/pdf");
    assert_eq!(items[0]["size"], PDF.len());
    let shown = app.ok("ent_a", Method::GET, &format!("/api/v1/problems/{p}"), None).await;
    assert_eq!(shown["attachments"].as_array().unwrap().len(), 3);
    assert_eq!(shown["may_attach"], true);
    let attach_events =
        shown["events"].as_array().unwrap().iter().filter(|e| e["action"] == "attach").count();
    assert_eq!(attach_events, 3);
    let summary = app.ok("leader", Method::GET, &format!("/api/v1/problems/{q}"), None).await;
    assert!(summary["attachments"].as_array().unwrap().is_empty() && summary["may_attach"] == false);

    // A download: the bytes, the stored type, an attachment with the UTF-8 name, nosniff.
    let url = items[0]["url"].as_str().unwrap().to_string();
    let r = app.call("dept", Method::GET, &url, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''ent_a%E7%9A%84"), "{cd}");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);

    // Refused files: an executable named .pdf (422), one over 10 MiB (413), with a good one in
    // the same request: nothing stored, the file and the rule named in both languages.
    let exe: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00";
    let r = app.upload("ent_a", p, &[("ok.pdf", PDF), ("发票.pdf", exe)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let e: Value = r.json().await.unwrap();
    assert!(
        e["detail"].as_str().unwrap().contains("发票.pdf") && e["detail"].as_str().unwrap().contains("类型")
    );
    assert!(
        e["detail_en"].as_str().unwrap().contains("发票.pdf")
            && e["detail_en"].as_str().unwrap().contains("type")
    );
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let r = app.upload("ent_a", p, &[("big.txt", &big)]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let e: Value = r.json().await.unwrap();
    assert!(e["detail_en"].as_str().unwrap().contains("big.txt"), "{e}");
    let list = app.ok("ent_a", Method::GET, &format!("/api/v1/problems/{p}/attachments"), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "nothing of a refused request is stored");
    // More than ten in all: refused whole.
    let many: Vec<(String, &[u8])> = (0..8).map(|i| (format!("f{i}.pdf"), PDF)).collect();
    let many: Vec<(&str, &[u8])> = many.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let r = app.upload("ent_a", p, &many).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let list = app.ok("ent_a", Method::GET, &format!("/api/v1/problems/{p}/attachments"), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    // Not once withdrawn.
    app.act("ent_a", p, json!({"action": "withdraw", "note": "已解决"})).await;
    assert_eq!(app.upload("ent_a", p, &[("late.pdf", PDF)]).await.status(), StatusCode::FORBIDDEN);

    // The page lists them with download links and offers the upload form to those allowed.
    let page = |who: &'static str, path: String| {
        let (t, url, http) = (app.tokens[who].clone(), app.url(&path), app.http.clone());
        async move { http.get(url).bearer_auth(t).send().await.unwrap().text().await.unwrap() }
    };
    let html = page("ent_b", format!("/problems/{q}")).await;
    assert!(
        html.contains(&format!("/api/v1/problems/{q}/attachments/{first_q}"))
            && html.contains("ent_b的材料.pdf")
    );
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    let html = page("ent_a", format!("/problems/{p}")).await;
    assert!(html.contains("ent_a的材料.pdf") && !html.contains("type=\"file\""), "closed: no upload form");
}

impl App {
    /// A page (GET) as `who`: its status and text.
    pub(crate) async fn page(&self, who: &str, path: &str) -> (StatusCode, String) {
        let r = self.http.get(self.url(path)).bearer_auth(&self.tokens[who]).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// A form posted to a page as `who`.
    async fn post_form(&self, who: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url(path)).bearer_auth(&self.tokens[who]).form(form).send().await.unwrap()
    }

    async fn status_detail(&self, who: &str, m: Method, path: &str, body: Value) -> (u16, Value) {
        let r = self.call(who, m, path, Some(body)).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// Issue 14: a problem's texts have limits (title 100, description 5,000, notes 2,000
/// characters) and no control characters, each refused with a 400 naming the field in both
/// languages; a file name with a direction override is refused; and the ledger exports any
/// text already stored, however long (cut in its cell with a marker, whole on a sheet of its
/// own).
#[tokio::test]
async fn texts_are_limited_and_checked_and_any_stored_text_exports() {
    let app = app().await;
    let raise = |title: String, description: String| json!({"category": "tax", "title": title, "description": description});
    let cases = [
        ("title", raise("企".repeat(101), String::new())),
        ("description", raise("房租".into(), "x".repeat(5_001))),
        ("description", raise("房租".into(), "x".repeat(3_000_000))),
        ("title", raise("房租\u{0}减免".into(), String::new())),
        ("title", raise("房租\u{1b}[31m减免".into(), String::new())),
    ];
    for (field, body) in cases {
        let (status, p) = app.status_detail("ent_a", Method::POST, "/api/v1/problems", body).await;
        assert_eq!(status, 400, "{field}: {p}");
        let (zh, en) = (p["detail"].as_str().unwrap(), p["detail_en"].as_str().unwrap());
        assert!(zh.contains(field) && en.contains(field), "{zh} / {en}");
    }
    let none = app.ok("ent_a", Method::GET, "/api/v1/problems", None).await;
    assert_eq!(none["total"], 0, "nothing refused was stored");
    // At the limits: accepted.
    let id = app.raise("ent_a", raise("企".repeat(100), "述".repeat(5_000))).await;
    let (status, p) = app
        .status_detail(
            "ent_a",
            Method::POST,
            &format!("/api/v1/problems/{id}/actions"),
            json!({"action": "withdraw", "note": "x".repeat(2_001)}),
        )
        .await;
    assert_eq!(status, 400, "{p}");
    assert!(p["detail_en"].as_str().unwrap().contains("note"));
    // A file name with a right-to-left override (U+202E: `发票<RLO>fdp.exe` shows as 发票exe.pdf).
    let r = app.upload("ent_a", id, &[("发票\u{202E}fdp.exe", PDF)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["detail"].as_str().unwrap().contains("方向")
            && e["detail_en"].as_str().unwrap().contains("direction"),
        "{e}"
    );

    // A description stored before the limits (3 MB, written straight to the store) still
    // exports: cut in its cell with a marker, whole on the sheet 超长文本.
    let long: String = (0..1_000_000).map(|i| ['甲', '乙', '丙'][i % 3]).collect();
    let p = handling::Problem {
        enterprise: code(2),
        channel: handling::Channel::Hotline,
        category: "tax".into(),
        title: "很久以前的长描述".into(),
        description: long.clone(),
        attachments: vec![],
        urgency: handling::Urgency::Normal,
        confidential: false,
        received_at: at("2024-03-01T08:00:00+08:00"),
        visit: None,
    };
    let admin =
        handling::Actor { username: "admin".into(), role: Role::Admin, department: None, enterprise: None };
    app.store
        .create_problem(
            p,
            &admin,
            at("2024-03-01T08:00:00+08:00"),
            enterprise::Routing::seed(),
            handling::TimeLimits::defaults(),
        )
        .await
        .unwrap();
    let r = app.call("supervisor", Method::GET, "/api/v1/ledger.xlsx", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let sheets = excel::read_back(&r.bytes().await.unwrap()).unwrap();
    let (name, rows) = sheets.last().unwrap();
    assert_eq!(name, excel::OVERFLOW_SHEET);
    let whole: String = rows[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(whole, long);
    let cell = sheets[0].1.iter().find(|r| r[5] == "很久以前的长描述").unwrap();
    assert!(cell[6].ends_with(excel::TRUNCATION_MARKER));
}

/// Issue 14: leaders, supervisors and admins take problems in (代录) from the page, choosing
/// the enterprise and the channel; departments may not; an enterprise's page stays its own.
#[tokio::test]
async fn officials_take_problems_in_from_the_page() {
    let app = app().await;
    let (s, html) = app.page("leader", "/problems/new").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("name=\"channel\"") && html.contains("value=\"hotline\"") && html.contains("热线"),
        "{html}"
    );
    assert!(html.contains("name=\"enterprise\"") && html.contains("统一社会信用代码"), "{html}");
    assert!(!html.contains("value=\"self_service\""), "officials do not record self-service");
    let r = app
        .post_form(
            "leader",
            "/problems/new",
            &[
                ("enterprise", &app.b),
                ("category", "tax"),
                ("title", "热线：发票领用受限"),
                ("channel", "hotline"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let id: i64 = r.headers()["location"].to_str().unwrap().trim_start_matches("/problems/").parse().unwrap();
    let p = app.ok("supervisor", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!((p["channel"].as_str(), p["enterprise"].as_str()), (Some("hotline"), Some(app.b.as_str())));
    assert_eq!(p["events"][0]["actor"], "leader");
    // A supervisor's meeting, an admin's visit: the same page.
    for (who, channel) in [("supervisor", "meeting"), ("admin", "visit")] {
        let r = app
            .post_form(
                who,
                "/problems/new",
                &[("enterprise", &app.a), ("category", "涉税"), ("title", "座谈反映"), ("channel", channel)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{who}");
    }
    // A credit code that is wrong: the form again with the message, nothing stored.
    let r = app
        .post_form("leader", "/problems/new", &[("enterprise", "123"), ("category", "tax"), ("title", "x")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    // Departments do not raise problems; the list offers the form to those who may.
    assert_eq!(app.page("dept", "/problems/new").await.0, StatusCode::FORBIDDEN);
    assert!(!app.page("dept", "/problems").await.1.contains("href=\"/problems/new\""));
    assert!(app.page("leader", "/problems").await.1.contains("href=\"/problems/new\""));
    let (_, html) = app.page("ent_a", "/problems/new").await;
    assert!(!html.contains("name=\"channel\"") && !html.contains("name=\"enterprise\""), "{html}");
}

/// Issue 14: pages offer only what the state machine allows that user now: no 结束会商
/// without an open consultation; the API's `allowed_actions` say the same.
#[tokio::test]
async fn pages_offer_only_the_actions_that_apply_now() {
    let app = app().await;
    let id = app.raise("ent_a", json!({"category": "tax", "title": "留抵退税"})).await;
    app.act("dept", id, json!({"action": "accept"})).await;
    let p = app.ok("leader", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!(p["allowed_actions"], json!(["escalate", "open_consultation"]));
    let (_, html) = app.page("leader", &format!("/problems/{id}")).await;
    assert!(
        html.contains("value=\"open_consultation\"") && !html.contains("value=\"close_consultation\""),
        "{html}"
    );
    app.act(
        "leader",
        id,
        json!({"action": "open_consultation", "note": "请财政分局参加", "participants": ["财政分局"]}),
    )
    .await;
    let (_, html) = app.page("leader", &format!("/problems/{id}")).await;
    assert!(
        !html.contains("value=\"open_consultation\"") && html.contains("value=\"close_consultation\""),
        "{html}"
    );
    // Another department sees nothing to do; the lead sees assign, not answer.
    let (_, html) = app.page("dept", &format!("/problems/{id}")).await;
    assert!(html.contains("value=\"assign\"") && !html.contains("value=\"answer\""), "{html}");
}

/// Issue 10: the web accepts every word the CLI accepts (`decide-objection`, `驳回`, `成立`,
/// `not-eligible`, the Chinese action names …), read in one place.
#[tokio::test]
async fn the_api_accepts_every_action_word_of_the_cli() {
    let mut app = app().await;
    let id = app.raise("ent_a", json!({"category": "tax", "title": "发票"})).await;
    app.act("dept", id, json!({"action": "受理"})).await;
    app.act(
        "dept",
        id,
        json!({"action": "assign", "lead": "tax_bureau", "cooperating": ["财政分局，经济发展局"]}),
    )
    .await;
    let p = app.act("dept", id, json!({"action": "object", "note": "非本局职责"})).await;
    assert_eq!(p["state"], "objection_pending");
    let p = app
        .act("supervisor", id, json!({"action": "decide-objection", "decision": "驳回", "note": "维持"}))
        .await;
    assert_eq!(p["state"], "assigned");
    app.act("dept", id, json!({"action": "start"})).await;
    let p = app
        .act(
            "dept",
            id,
            json!({"action": "answer", "outcome": "已解释", "reason": "not-eligible", "note": "不符合条件"}),
        )
        .await;
    assert_eq!((p["state"].as_str(), p["outcome"].as_str()), (Some("answered"), Some("explained")));
    assert_eq!(
        p["events"].as_array().unwrap().last().unwrap()["payload"]["outcome"]["reason"],
        "not_eligible"
    );
    // The first 不满意 brings second handling; the second a supervisor's review: 销号.
    app.act("ent_a", id, json!({"action": "confirm", "rating": "不满意", "note": "未解决"})).await;
    app.act("dept", id, json!({"action": "answer", "outcome": "resolved", "note": "已办"})).await;
    app.act("ent_a", id, json!({"action": "confirm", "rating": "dissatisfied", "note": "仍未解决"})).await;
    app.clock.advance(Duration::hours(1));
    app.sign_in_all().await;
    let p =
        app.act("supervisor", id, json!({"action": "review", "decision": "销号", "note": "答复成立"})).await;
    assert_eq!((p["state"].as_str(), p["closure"].as_str()), (Some("closed"), Some("supervisor_review")));
}

/// Issue 14: the department officer's queue: open problems by default (closed ones when
/// asked), red first, and a keyword search over titles and descriptions.
#[tokio::test]
async fn the_queue_searches_and_shows_closed_problems_only_when_asked() {
    let app = app().await;
    let a = app
        .raise("ent_a", json!({"category": "tax", "title": "留抵退税进度", "description": "三月申请"}))
        .await;
    let b =
        app.raise("ent_b", json!({"category": "tax", "title": "发票领用", "description": "数量不足"})).await;
    let c = app
        .raise("ent_a", json!({"category": "tax", "title": "发票作废", "description": "已自行处理"}))
        .await;
    app.act("ent_a", c, json!({"action": "withdraw", "note": "已自行处理"})).await;
    let (_, html) = app.page("dept", "/problems").await;
    assert!(
        html.contains("留抵退税进度") && html.contains("发票领用") && !html.contains("发票作废"),
        "{html}"
    );
    let (_, html) = app.page("dept", "/problems?q=%E5%8F%91%E7%A5%A8").await; // 发票
    assert!(
        !html.contains("留抵退税进度") && html.contains("发票领用") && !html.contains("发票作废"),
        "{html}"
    );
    let (_, html) = app.page("dept", "/problems?q=%E5%8F%91%E7%A5%A8&open=all").await;
    assert!(html.contains("发票领用") && html.contains("发票作废"), "{html}");
    let (_, html) = app.page("dept", "/problems?open=closed").await;
    assert!(!html.contains("发票领用") && html.contains("发票作废"), "{html}");
    let (_, html) = app.page("dept", "/problems?state=withdrawn").await;
    assert!(html.contains("发票作废"), "a state asked for shows, open or not: {html}");
    // The API: every problem unless asked; the same words; the queue's order on request.
    let all = app.ok("dept", Method::GET, "/api/v1/problems", None).await;
    assert_eq!(all["total"], 3);
    let found = app.ok("dept", Method::GET, "/api/v1/problems?q=%E6%95%B0%E9%87%8F&open=open", None).await; // 数量
    assert_eq!(
        found["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>(),
        [b]
    );
    let queue = app.ok("dept", Method::GET, "/api/v1/problems?sort=queue", None).await;
    let ids: Vec<i64> =
        queue["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [a, b, c], "open first, then by deadline and number");
    for bad in ["open=maybe", "sort=random", &format!("q={}", "x".repeat(60))] {
        let r = app.call("dept", Method::GET, &format!("/api/v1/problems?{bad}"), None).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// Issue 11 §5 and §6 over HTTP: the calendar page and API (years, the admins' warning, a
/// notice loaded moves an open problem's deadline, told on the department's queue), 督办 as a
/// case with its reply and light, decisions with owners and deadlines, the enterprise's
/// answer at confirmation, and the supervisors' sample of closures without confirmation.
#[tokio::test]
async fn calendar_escalations_decisions_and_spot_checks_over_http() {
    let mut app = app().await;
    // Late January 2027, no notice loaded: 2027 is provisional.
    app.clock.set(at("2027-01-28T10:00:00+08:00"));
    app.sign_in_all().await;
    let a = app.ok("dept", Method::GET, "/api/v1/calendar/add-workdays?date=2026-12-25&n=7", None).await;
    assert_eq!((a["result"].as_str(), a["provisional"].as_bool()), (Some("2027-01-06"), Some(true)));
    let (_, html) = app.page("admin", "/admin/calendar").await;
    assert!(html.contains("id=\"calendar-warning\"") && html.contains("2027"), "{html}");
    assert!(html.contains("暂定（按放假办法推算）"), "{html}");
    let (_, dept_page) = app.page("dept", "/problems").await;
    assert!(!dept_page.contains("calendar-warning"), "admins alone are warned");
    assert_eq!(app.page("dept", "/admin/calendar").await.0, StatusCode::FORBIDDEN);

    // A problem received now: its deadline is provisional.
    let id = app.raise("ent_a", json!({"category": "tax", "title": "留抵退税进度"})).await;
    let p = app.ok("ent_a", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!(
        (p["deadlines"]["answer_by"].as_str(), p["provisional"].as_bool()),
        (Some("2027-02-12"), Some(true))
    );
    assert!(p["time_limits_source"].as_str().unwrap().starts_with("园区设置"), "{p}");
    let (_, html) = app.page("ent_a", &format!("/problems/{id}")).await;
    assert!(html.contains("id=\"provisional-deadlines\"") && html.contains("id=\"limits-source\""), "{html}");

    // Only an admin loads the notice; the open problem's deadline moves, audited, and the
    // department is told on its queue.
    let text = include_str!("../../../../tests/data/calendar-2027-example.csv");
    let (s, _) =
        app.status_detail("dept", Method::POST, "/api/v1/calendar/years", json!({"text": text})).await;
    assert_eq!(s, 403);
    let out = app.ok("admin", Method::POST, "/api/v1/calendar/years", Some(json!({"text": text}))).await;
    assert_eq!(out["moved"][0]["problem_id"], id, "{out}");
    assert_eq!(out["moved"][0]["changes"][0]["to"], "2027-02-15");
    // (The new calendar is in force from the second after the load.)
    app.clock.advance(Duration::minutes(1));
    let p = app.ok("dept", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!(
        (p["deadlines"]["answer_by"].as_str(), p["provisional"].as_bool()),
        (Some("2027-02-15"), Some(false))
    );
    assert_eq!(p["events"].as_array().unwrap().last().unwrap()["action"], "recompute_deadlines");
    let (_, queue) = app.page("dept", "/problems").await;
    assert!(
        queue.contains("id=\"deadline-notices\"") && queue.contains("2027-02-12 → 2027-02-15"),
        "{queue}"
    );
    let years = app.ok("dept", Method::GET, "/api/v1/calendar/years", None).await;
    let y27 = years["years"].as_array().unwrap().iter().find(|y| y["year"] == 2027).unwrap().clone();
    assert_eq!(y27["status"], "official");
    assert!(years["warning"].is_null());
    let (_, html) = app.page("admin", "/admin/calendar?year=2027").await;
    assert!(!html.contains("calendar-warning") && html.contains("正式（已导入通知）"), "{html}");

    // 督办: a case with the zone's reply days, its own light; the lead department replies.
    app.act("dept", id, json!({"action": "accept"})).await;
    app.act("dept", id, json!({"action": "assign", "lead": "tax_bureau"})).await;
    app.act("dept", id, json!({"action": "start"})).await;
    let p = app.act("leader", id, json!({"action": "escalate", "note": "请三日内回复进展"})).await;
    let case = &p["escalation_cases"][0];
    assert_eq!(
        (case["reply_by"].as_str(), case["warning"].as_str()),
        (Some("2027-02-02"), Some("none")),
        "{p}"
    );
    assert_eq!(p["escalations"], 1);
    let (_, queue) = app.page("dept", "/problems").await;
    assert!(queue.contains("id=\"owed\"") && queue.contains("督办"), "{queue}");
    let (_, follow) = app.page("supervisor", "/follow-ups").await;
    assert!(follow.contains(&format!("/problems/{id}")), "{follow}");
    assert_eq!(app.page("ent_a", "/follow-ups").await.0, StatusCode::FORBIDDEN);
    let p = app.act("dept", id, json!({"action": "reply_escalation", "note": "已协调，本周答复"})).await;
    assert_eq!(p["escalation_cases"][0]["replied_on_time"], true);

    // 会商 ends with decisions owned by departments with deadlines; the owner completes one.
    app.act(
        "leader",
        id,
        json!({"action": "open_consultation", "participants": ["经济发展局"], "note": "会商"}),
    )
    .await;
    let p = app
        .act(
            "leader",
            id,
            json!({"action": "close_consultation", "minutes": "纪要", "decisions": ["核定退税额", "回访企业"],
                   "decision_owners": ["税务局"], "decision_dues": ["2027-02-03"]}),
        )
        .await;
    let d = p["decisions"].as_array().unwrap();
    assert_eq!((d[0]["owner"].as_str(), d[0]["due"].as_str()), (Some("tax_bureau"), Some("2027-02-03")));
    assert_eq!(d[1]["owner"], "tax_bureau", "the lead by default");
    let p =
        app.act("dept", id, json!({"action": "complete_decision", "decision": "1", "note": "已核定"})).await;
    assert_eq!(p["decisions"][0]["done_on_time"], true);

    // The enterprise answers at confirmation whether it was solved (the page's form).
    let p = app.act("dept", id, json!({"action": "answer", "outcome": "resolved", "note": "已退付"})).await;
    let r = app
        .post_form(
            "ent_a",
            &format!("/problems/{id}/act"),
            &[
                ("action", "confirm"),
                ("version", &p["version"].to_string()),
                ("rating", "basically_satisfied"),
                ("solved", "no"),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    app.act("dept", id, json!({"action": "close"})).await;
    let p = app.ok("supervisor", Method::GET, &format!("/api/v1/problems/{id}"), None).await;
    assert_eq!((p["closure"].as_str(), p["solved"].as_bool()), (Some("confirmed"), Some(false)));
    let (_, html) = app.page("supervisor", &format!("/problems/{id}")).await;
    assert!(html.contains("id=\"solved\"") && html.contains("未解决"), "{html}");

    // A closure without confirmation, sampled for a supervisor's call back.
    let q = app.raise("ent_a", json!({"category": "tax", "title": "发票"})).await;
    app.act("dept", q, json!({"action": "accept"})).await;
    app.act("dept", q, json!({"action": "assign", "lead": "tax_bureau"})).await;
    app.act("dept", q, json!({"action": "start"})).await;
    app.act("dept", q, json!({"action": "answer", "outcome": "resolved", "note": "已办"})).await;
    app.clock.advance(Duration::days(10));
    app.sign_in_all().await;
    let p = app.act("admin", q, json!({"action": "auto_close_unrated"})).await;
    assert_eq!(p["closure"], "unrated");
    let (_, html) = app.page("supervisor", "/spot-checks?period=2027-02").await;
    assert!(html.contains(&format!("href=\"/problems/{q}\"")) && html.contains("待回访"), "{html}");
    assert!(html.contains("id=\"sample-source\""), "the share is a zone setting, labelled");
    assert_eq!(app.page("dept", "/spot-checks").await.0, StatusCode::FORBIDDEN);
    let p = app
        .act("supervisor", q, json!({"action": "spot_check", "solved": false, "note": "电话回访：未解决"}))
        .await;
    assert_eq!(p["solved"], false);
    let p = app.act("supervisor", q, json!({"action": "reopen", "note": "抽查发现未解决"})).await;
    assert_eq!(p["state"], "in_progress");
}

#[tokio::test]
async fn common_problems_become_a_governance_item_whose_closing_notifies_each_enterprise() {
    let app = app().await;
    let text = "园区道路施工导致货车无法进出厂区，影响正常生产和发货，请协调施工时间";
    // A group needs four problems of at least two enterprises (search::cluster::Settings).
    let a = app
        .raise("ent_a", json!({"category": "tax", "title": "道路施工影响货车进出", "description": text}))
        .await;
    let b = app
        .raise("ent_b", json!({"category": "tax", "title": "施工影响货车进出厂区", "description": text}))
        .await;
    let a2 = app
        .raise("ent_a", json!({"category": "tax", "title": "货车进出厂区受施工影响", "description": text}))
        .await;
    let b2 = app
        .raise("ent_b", json!({"category": "tax", "title": "道路施工货车无法进出", "description": text}))
        .await;
    app.raise("ent_b", json!({"category": "tax", "title": "发票领用额度不足", "description": "本月发票不够用，申请增加领用数量"})).await;
    // Leaders see the group of both enterprises; departments and enterprises may not.
    let groups = app.ok("leader", Method::GET, "/api/v1/common-problems", None).await;
    let group = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["members"].as_array().unwrap().iter().any(|m| m["id"] == a))
        .unwrap_or_else(|| panic!("{groups}"));
    assert_eq!(group["enterprises"], 2);
    let members: Vec<i64> =
        group["members"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(members.len(), 4, "the invoice problem is not a member: {group}");
    assert!([a, b, a2, b2].iter().all(|x| members.contains(x)), "{group}");
    for who in ["dept", "ent_a"] {
        assert_eq!(
            app.call(who, Method::GET, "/api/v1/common-problems", None).await.status(),
            StatusCode::FORBIDDEN
        );
    }
    // A supervisor reads, but only leaders and admins make items; a bad deadline is a 400.
    let item = json!({"title": "协调道路施工时间", "owner": "tax_bureau", "due": "2024-03-29", "members": [a, b, a2, b2]});
    let r = app.call("supervisor", Method::POST, "/api/v1/governance", Some(item.clone())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let past = json!({"title": "x", "owner": "tax_bureau", "due": "2024-02-01", "members": [a, b]});
    let r = app.call("leader", Method::POST, "/api/v1/governance", Some(past)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app.call("leader", Method::POST, "/api/v1/governance", Some(item)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.unwrap();
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["open"], true);
    // The page shows the group and the item to a leader, with the forms.
    let r = app.http.get(app.url("/common")).bearer_auth(&app.tokens["leader"]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("协调道路施工时间") && html.contains("设为治理事项") && html.contains("办结并通知企业")
    );
    // Closing notifies each member enterprise once, with the resolution.
    let closed = app
        .ok(
            "leader",
            Method::POST,
            &format!("/api/v1/governance/{id}/close"),
            Some(json!({"resolution": "已与施工方约定夜间施工"})),
        )
        .await;
    assert_eq!(closed["notified"], 4);
    for who in ["ent_a", "ent_b"] {
        let notices = app.ok(who, Method::GET, "/api/v1/notices", None).await;
        let n = notices.as_array().unwrap();
        assert_eq!(n.len(), 2, "one per member problem, {who}: {notices}");
        assert!(n[0]["text"].as_str().unwrap().contains("已与施工方约定夜间施工"));
    }
    assert_eq!(
        app.call("leader", Method::GET, "/api/v1/notices", None).await.status(),
        StatusCode::FORBIDDEN
    );
    // The enterprise reads them on its inbox page, with a link to its problem.
    let r = app.http.get(app.url("/inbox")).bearer_auth(&app.tokens["ent_a"]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"notices\"") && html.contains("已与施工方约定夜间施工"), "{html}");
    assert!(html.contains(&format!("/problems/{a}")));
    // Closing twice is refused; the list shows it closed.
    let again = json!({"resolution": "再次"});
    let r = app.call("leader", Method::POST, &format!("/api/v1/governance/{id}/close"), Some(again)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let items = app.ok("supervisor", Method::GET, "/api/v1/governance", None).await;
    assert_eq!(items[0]["open"], false);
}
