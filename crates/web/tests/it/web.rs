//! The web application end to end: each test starts the app on port 0 over a fresh SQLite
//! file, with one user per role and two enterprises (A linked to the cadre and leader, B not),
//! and talks to it over HTTP.

use crate::admin::multipart_file;
use crate::support;
use support::*;

use chrono::{Duration, NaiveDate};
use enterprise::{Enterprise, EnterpriseRecord, FactRecord, FactSource, FactValue, IndustryCode, ThreeLinks};
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use store::{EnterpriseStore, Role, Stamp, Store, UserStore};
use web::{AppState, FixedClock, WebConfig};

pub(crate) fn record(n: u32, name: &str) -> EnterpriseRecord {
    EnterpriseRecord {
        scope: Default::default(),
        enterprise: Enterprise {
            uscc: code(n),
            name: name.into(),
            registered_in_zone: true,
            tax_registered_in_zone: n == 1,
            industry_code: Some(IndustryCode::parse("C3511").unwrap()),
            established_on: NaiveDate::from_ymd_opt(2015, 6, 1),
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: BTreeSet::from(["专精特新".to_string()]),
        },
        facts: vec![FactRecord {
            fact: "employees".into(),
            year: Some(2021),
            value: FactValue::Integer(120 + i64::from(n)),
            source: FactSource::Tax,
            as_of: NaiveDate::from_ymd_opt(2022, 3, 31).unwrap(),
        }],
    }
}

pub(crate) const USERS: [(&str, Role); 9] = [
    ("ent_a", Role::Enterprise),
    ("ent_b", Role::Enterprise),
    ("cadre", Role::Cadre),
    ("dept", Role::Department),
    ("leader", Role::Leader),
    ("supervisor", Role::Supervisor),
    ("policy", Role::Policy),
    ("admin", Role::Admin),
    ("spare", Role::Supervisor),
];

pub(crate) struct App {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) config: WebConfig,
    pub(crate) a: String,
    pub(crate) b: String,
    pub(crate) _stop: tokio::sync::oneshot::Sender<()>,
    pub(crate) _dir: tempfile::TempDir,
}

pub(crate) async fn app_with(config: WebConfig) -> App {
    let now = at("2024-03-01T09:00:00+08:00");
    let (s, dir) = seeded_store(
        now,
        vec![record(1, "长沙甲科技有限公司"), record(2, "长沙乙制造有限公司")],
        &USERS,
        |_, r| (r == Role::Department).then(|| "tax_bureau".into()),
    )
    .await;
    let links = ThreeLinks {
        leader: Some("leader".into()),
        department: Some("tax_bureau".into()),
        cadre: Some("cadre".into()),
    };
    s.set_three_links(&code(1), &links, &Stamp::new("admin", now)).await.unwrap();
    let clock = Arc::new(FixedClock::new(now));
    let (base, tx) = serve(Arc::new(s), config.clone(), clock.clone()).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    App { base, http, clock, config, a: code(1).to_string(), b: code(2).to_string(), _stop: tx, _dir: dir }
}

/// Serves a new [`AppState`] over `store`; returns its base URL and what stops it.
pub(crate) async fn serve(
    store: Arc<dyn Store>,
    config: WebConfig,
    clock: Arc<FixedClock>,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let state = AppState::new(store, config).with_clock(clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve_until(listener, state, async {
        let _ = rx.await;
    }));
    (base, tx)
}

pub(crate) async fn app() -> App {
    app_with(WebConfig::default()).await
}

pub(crate) fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

pub(crate) fn session_cookie(h: &HeaderMap) -> Option<String> {
    set_cookies(h)
        .into_iter()
        .find(|c| c.starts_with("huiqi_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

pub(crate) fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("page has a CSRF field") + 19;
    html[at..at + 64].to_string()
}

/// A browser-like session: the cookie and the CSRF token of the pages.
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

impl App {
    pub(crate) fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    /// Another server process over the same database file (a restart, or a second instance):
    /// a new store and a new [`AppState`] with empty caches, on the same clock. Returns an
    /// [`App`] whose `base` is the new server.
    pub(crate) async fn another_process(&self) -> (String, tokio::sync::oneshot::Sender<()>) {
        let s = store_sqlite::SqliteStore::open(self._dir.path().join("huiqi.db")).unwrap();
        serve(Arc::new(s), self.config.clone(), self.clock.clone()).await
    }

    pub(crate) async fn token_try(&self, user: &str, pw: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"username": user, "password": pw}))
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn token(&self, user: &str) -> String {
        let r = self.token_try(user, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "token for {user}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    pub(crate) async fn login_page(&self) -> Browser {
        let r = self.http.get(self.url("/login")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let cookie = session_cookie(r.headers()).expect("the sign-in page opens a session");
        let csrf = csrf_in(&r.text().await.unwrap());
        Browser { cookie, csrf }
    }

    pub(crate) async fn sign_in(&self, user: &str, pw: &str) -> Result<Browser, (StatusCode, String)> {
        let anon = self.login_page().await;
        let r = self
            .http
            .post(self.url("/login"))
            .header("cookie", &anon.cookie)
            .form(&[("csrf", anon.csrf.as_str()), ("username", user), ("password", pw), ("next", "/")])
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::SEE_OTHER {
            return Err((r.status(), r.text().await.unwrap()));
        }
        let cookie = session_cookie(r.headers()).expect("a new session cookie");
        assert_ne!(cookie, anon.cookie, "signing in starts a new session");
        let home = self.http.get(self.url("/")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(home.status(), StatusCode::OK);
        let csrf = csrf_in(&home.text().await.unwrap());
        Ok(Browser { cookie, csrf })
    }

    pub(crate) async fn page(&self, b: &Browser, p: &str) -> reqwest::Response {
        self.http.get(self.url(p)).header("cookie", &b.cookie).send().await.unwrap()
    }

    pub(crate) async fn api(
        &self,
        token: Option<&str>,
        m: Method,
        p: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self.http.request(m, self.url(p));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }
}

#[tokio::test]
async fn sign_in_succeeds_with_the_right_password_only_and_sets_a_strict_cookie() {
    let app = app().await;
    let r = app.http.get(app.url("/login")).send().await.unwrap();
    let c = set_cookies(r.headers()).join("\n");
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"), "{c}");
    assert!(!c.contains("Secure"), "no Secure flag unless configured: {c}");
    let (status, body) = app.sign_in("admin", "wrong password").await.err().unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("用户名或密码错误"), "{body}");
    assert!(app.sign_in("nobody", PASSWORD).await.is_err());
    let b = app.sign_in("admin", PASSWORD).await.unwrap();
    let home = app.page(&b, "/").await.text().await.unwrap();
    assert!(home.contains("admin 同志") && home.contains("管理员"), "{home}");
    // Sign-out ends the session.
    let r = app
        .http
        .post(app.url("/logout"))
        .header("cookie", &b.cookie)
        .form(&[("csrf", b.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookies(r.headers()).join("").contains("Max-Age=0"));
    let after = app.page(&b, "/").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert!(after.headers()["location"].to_str().unwrap().starts_with("/login"));
}

#[tokio::test]
async fn cookies_are_secure_when_configured() {
    let app = app_with(WebConfig { secure_cookies: true, ..WebConfig::default() }).await;
    let r = app.http.get(app.url("/login")).send().await.unwrap();
    let c = set_cookies(r.headers()).join("\n");
    assert!(c.contains("; Secure"), "{c}");
}

#[tokio::test]
async fn five_failures_lock_a_username_for_fifteen_minutes() {
    let app = app().await;
    for i in 1..=4 {
        assert_eq!(app.token_try("dept", "nope").await.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let fifth = app.token_try("dept", "nope").await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password is refused, on the page too.
    assert_eq!(app.token_try("dept", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    let (status, body) = app.sign_in("dept", PASSWORD).await.err().unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("锁定"), "{body}");
    app.clock.advance(Duration::minutes(14));
    assert_eq!(app.token_try("dept", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(app.token_try("dept", PASSWORD).await.status(), StatusCode::OK);
    // Unknown usernames get the same answers, so existence does not leak.
    for _ in 1..=4 {
        assert_eq!(app.token_try("ghost", "x").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.token_try("ghost", "x").await.status(), StatusCode::TOO_MANY_REQUESTS);
    // Other users are not affected.
    assert_eq!(app.token_try("leader", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_rejected() {
    let app = app().await;
    let b = app.sign_in("admin", PASSWORD).await.unwrap();
    let post = |form: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut r = app.http.post(app.url("/admin/users")).form(&form);
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send()
    };
    let user = |csrf: Option<String>| {
        let mut f = vec![
            ("username", "newbie".to_string()),
            ("role", "supervisor".to_string()),
            ("password", "long enough pw".to_string()),
        ];
        if let Some(c) = csrf {
            f.push(("csrf", c));
        }
        f
    };
    let none = post(user(None), Some(b.cookie.clone())).await.unwrap();
    assert_eq!(none.status(), StatusCode::FORBIDDEN);
    let body = none.text().await.unwrap();
    assert!(body.contains("CSRF") && body.contains("<html"), "an HTML page in Chinese: {body}");
    let wrong = post(user(Some("0".repeat(64))), Some(b.cookie.clone())).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // Another session's token does not do either.
    let other = app.sign_in("admin", PASSWORD).await.unwrap();
    let crossed = post(user(Some(other.csrf.clone())), Some(b.cookie.clone())).await.unwrap();
    assert_eq!(crossed.status(), StatusCode::FORBIDDEN);
    let no_cookie = post(user(Some(b.csrf.clone())), None).await.unwrap();
    assert_eq!(no_cookie.status(), StatusCode::FORBIDDEN);
    let ok = post(user(Some(b.csrf.clone())), Some(b.cookie.clone())).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.text().await.unwrap().contains("已创建用户 newbie"));
    // Sign-in itself needs the sign-in page's token.
    let r = app
        .http
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The API with a cookie (not a bearer token) needs the X-CSRF-Token header to write.
    let put = |csrf: Option<&str>| {
        let mut r = app
            .http
            .put(app.url("/api/v1/routing/tax"))
            .header("cookie", &b.cookie)
            .json(&json!({"departments": ["tax_bureau"]}));
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    assert_eq!(put(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(put(Some(&b.csrf)).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = app().await;
    let t = app.token("admin").await;
    for p in ["/login", "/healthz", "/health", "/static/app.css", "/nowhere", "/api/v1/enterprises"] {
        let r = app.api(Some(&t), Method::GET, p, None).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{p}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{p}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{p}");
        assert_eq!(h["x-frame-options"], "DENY", "{p}");
        assert_eq!(h["referrer-policy"], "same-origin", "{p}");
    }
    // Pages have no inline script or style attribute for the CSP to block.
    let b = app.sign_in("admin", PASSWORD).await.unwrap();
    for p in ["/", "/enterprises", &format!("/enterprises/{}", app.a), "/admin/users", "/admin/routing"] {
        let html = app.page(&b, p).await.text().await.unwrap();
        assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains("onclick"), "{p}");
    }
}

#[tokio::test]
async fn text_is_compressed_for_clients_that_accept_it_and_the_icon_is_served() {
    let app = app().await;
    let client = reqwest::Client::new();
    for (encoding, p) in [("gzip", "/static/app.css"), ("br", "/login"), ("gzip", "/api/v1/openapi.json")] {
        let r = client.get(app.url(p)).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{p}");
        assert_eq!(r.headers()["content-encoding"], encoding, "{p}");
    }
    // Without the header the body is as it was.
    let r = client.get(app.url("/static/app.css")).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert!(r.text().await.unwrap().contains("{"));
    let r = client.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"));
}

/// Expected status per role, in the order of `ROLES`; `A` is enterprise A's code, `B` B's.
pub(crate) const ROLES: [&str; 8] =
    ["anonymous", "ent_a", "ent_b", "cadre", "dept", "leader", "supervisor", "policy"];

#[tokio::test]
async fn every_endpoint_answers_every_role_as_authorised() {
    let app = app().await;
    let mut tokens: HashMap<&str, Option<String>> = HashMap::new();
    tokens.insert("anonymous", None);
    for r in ROLES.iter().skip(1).chain(["admin"].iter()) {
        tokens.insert(r, Some(app.token(r).await));
    }
    let all = ["anonymous", "ent_a", "ent_b", "cadre", "dept", "leader", "supervisor", "policy", "admin"];
    // (method, path, body, [(role, status)] for all roles in `all` order)
    let a = app.a.clone();
    let b = app.b.clone();
    type Case = (Method, String, Option<Value>, [u16; 9]);
    let cases: Vec<Case> = vec![
        (Method::GET, "/healthz".into(), None, [200; 9]),
        (Method::GET, "/api/v1/openapi.json".into(), None, [200; 9]),
        (Method::GET, "/api/v1/me".into(), None, [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/enterprises".into(), None, [401, 403, 403, 200, 200, 200, 200, 200, 200]),
        (
            Method::GET,
            format!("/api/v1/enterprises/{a}"),
            None,
            [401, 200, 404, 200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/enterprises/{b}"),
            None,
            [401, 404, 200, 404, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/enterprises/{a}/changes"),
            None,
            [401, 200, 404, 200, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/enterprises/{b}/changes"),
            None,
            [401, 404, 200, 404, 200, 200, 200, 200, 200],
        ),
        (Method::GET, "/api/v1/departments".into(), None, [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/routing".into(), None, [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        (
            Method::PUT,
            "/api/v1/routing/tax".into(),
            Some(json!({"departments": ["tax_bureau"]})),
            [401, 403, 403, 403, 403, 403, 403, 403, 200],
        ),
        (Method::GET, "/api/v1/users".into(), None, [401, 403, 403, 403, 403, 403, 403, 403, 200]),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"username": "made_by_matrix", "role": "leader", "password": "long enough pw"})),
            [401, 403, 403, 403, 403, 403, 403, 403, 201],
        ),
        (
            Method::POST,
            "/api/v1/users/spare/password".into(),
            Some(json!({"password": "another long pw"})),
            [401, 403, 403, 403, 403, 403, 403, 403, 204],
        ),
    ];
    let mut failures = Vec::new();
    for (m, path, body, expected) in &cases {
        for (i, role) in all.iter().enumerate() {
            let r = app.api(tokens[role].as_deref(), m.clone(), path, body.clone()).await;
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            if status != expected[i] {
                failures.push(format!("{m} {path} as {role}: {status}, expected {}: {text}", expected[i]));
            }
            // A 404 may repeat the code asked for; nothing else of the other enterprise shows.
            if *role == "ent_a" {
                let code_leak = text.contains(&b) && !path.contains(&b);
                assert!(!code_leak && !text.contains("长沙乙"), "{path} leaks B to A: {text}");
            }
            if *role == "ent_b" {
                let code_leak = text.contains(&a) && !path.contains(&a);
                assert!(!code_leak && !text.contains("长沙甲"), "{path} leaks A to B: {text}");
            }
        }
    }
    // Pages, with a signed-in browser per role (anonymous: redirect to sign-in).
    let page_cases: Vec<(String, [u16; 9])> = vec![
        ("/".into(), [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/health".into(), [200; 9]),
        ("/account/password".into(), [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/enterprises".into(), [303, 403, 403, 200, 200, 200, 200, 200, 200]),
        (format!("/enterprises/{a}"), [303, 200, 404, 200, 200, 200, 200, 200, 200]),
        (format!("/enterprises/{b}"), [303, 404, 200, 404, 200, 200, 200, 200, 200]),
        ("/admin/users".into(), [303, 403, 403, 403, 403, 403, 403, 403, 200]),
        ("/admin/departments".into(), [303, 403, 403, 403, 403, 403, 403, 403, 200]),
        ("/admin/routing".into(), [303, 403, 403, 403, 403, 403, 403, 403, 200]),
    ];
    for (i, role) in all.iter().enumerate() {
        let browser = if *role == "anonymous" {
            Browser { cookie: String::new(), csrf: String::new() }
        } else {
            app.sign_in(role, PASSWORD).await.unwrap()
        };
        for (path, expected) in &page_cases {
            let r = app.page(&browser, path).await;
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            if status != expected[i] {
                failures.push(format!("page {path} as {role}: {status}, expected {}", expected[i]));
            }
            if *role == "ent_a" {
                let code_leak = text.contains(&b) && !path.contains(&b);
                assert!(!code_leak && !text.contains("长沙乙"), "{path} leaks B to A");
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn each_role_sees_its_own_home() {
    let app = app().await;
    let ent = app.sign_in("ent_a", PASSWORD).await.unwrap();
    let home = app.page(&ent, "/").await.text().await.unwrap();
    assert!(home.contains("长沙甲科技有限公司") && home.contains("2021") && home.contains("121"), "{home}");
    assert!(home.contains("税务"), "the fact's source is shown");
    let cadre = app.sign_in("cadre", PASSWORD).await.unwrap();
    let home = app.page(&cadre, "/").await.text().await.unwrap();
    assert!(home.contains("长沙甲科技有限公司") && !home.contains("长沙乙"), "a cadre's list is theirs only");
    let sup = app.sign_in("supervisor", PASSWORD).await.unwrap();
    let home = app.page(&sup, "/").await.text().await.unwrap();
    assert!(
        home.contains("c-state") && home.contains("id=\"home-common\""),
        "a supervisor's home is the dashboard"
    );
    let all = app.page(&sup, "/enterprises").await.text().await.unwrap();
    assert!(all.contains("长沙甲") && all.contains("长沙乙") && all.contains("共 2 家企业"));
    let filtered = app.page(&sup, "/enterprises?assistance_target=true").await.text().await.unwrap();
    assert!(filtered.contains("长沙甲") && !filtered.contains("长沙乙"));
    let admin = app.sign_in("admin", PASSWORD).await.unwrap();
    let home = app.page(&admin, "/").await.text().await.unwrap();
    for link in ["/admin/users", "/admin/routing", "/admin/departments"] {
        assert!(home.contains(&format!("href=\"{link}\"")), "{link}");
    }
    // Places of later capabilities are not linked yet.
    assert!(!home.contains("政策检索"));
}

#[tokio::test]
async fn the_interface_is_chinese_with_an_english_switch() {
    let app = app().await;
    let zh = app.http.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(zh.contains("lang=\"zh-CN\"") && zh.contains("用户名"));
    let r = app.http.get(app.url("/login?lang=en")).send().await.unwrap();
    assert!(set_cookies(r.headers()).iter().any(|c| c.starts_with("lang=en")));
    let en = r.text().await.unwrap();
    assert!(en.contains("lang=\"en\"") && en.contains("Username") && !en.contains("用户名"));
    let by_cookie = app.http.get(app.url("/login")).header("cookie", "lang=en").send().await.unwrap();
    assert!(by_cookie.text().await.unwrap().contains("Username"));
}

#[tokio::test]
async fn errors_are_problem_json_in_both_languages() {
    let app = app().await;
    let t = app.token("admin").await;
    for (path, status) in [
        ("/api/v1/enterprises/not-a-code", 400),
        ("/api/v1/enterprises?page=0", 400),
        ("/api/v1/enterprises/91430100MA4L000000", 400),
        (&format!("/api/v1/enterprises/{}", code(99)) as &str, 404),
        ("/api/v1/nothing-here", 404),
    ] {
        let r = app.api(Some(&t), Method::GET, path, None).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["status"], status, "{path}");
        for k in ["title", "title_en", "detail", "detail_en", "code", "type"] {
            assert!(p[k].as_str().is_some_and(|s| !s.is_empty()), "{path}: {k} in {p}");
        }
        let zh = p["title"].as_str().unwrap();
        assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{zh}");
        assert!(p["title_en"].as_str().unwrap().is_ascii());
    }
    let r = app.api(None, Method::GET, "/api/v1/enterprises", None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let bad =
        app.http.post(app.url("/api/v1/auth/token")).body("{").header("content-type", "application/json");
    let r = bad.send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "web.invalid_body");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_every_listed_route_exists() {
    let app = app().await;
    let doc: Value = app.api(None, Method::GET, "/api/v1/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<String> = Vec::new();
    for (p, item) in paths {
        for m in item.as_object().unwrap().keys() {
            listed.push(format!("{} {p}", m.to_uppercase()));
        }
    }
    listed.sort();
    let expected = [
        "DELETE /api/v1/auth/token",
        "DELETE /api/v1/search/synonyms/{id}",
        "GET /api/v1/calendar/add-workdays",
        "GET /api/v1/calendar/years",
        "GET /api/v1/chains/demands",
        "GET /api/v1/chains/demands/{id}",
        "GET /api/v1/chains/positions",
        "GET /api/v1/common-problems",
        "GET /api/v1/content",
        "GET /api/v1/content/{id}",
        "GET /api/v1/credit-repair",
        "GET /api/v1/credit-repair/export.xlsx",
        "GET /api/v1/credit-repair/{id}",
        "GET /api/v1/departments",
        "GET /api/v1/enterprises",
        "GET /api/v1/enterprises/{uscc}",
        "GET /api/v1/enterprises/{uscc}/changes",
        "GET /api/v1/enterprises/{uscc}/decisions",
        "GET /api/v1/events",
        "GET /api/v1/events/export.xlsx",
        "GET /api/v1/events/reach",
        "GET /api/v1/events/{id}",
        "GET /api/v1/financing/demands",
        "GET /api/v1/financing/demands/{id}",
        "GET /api/v1/financing/products",
        "GET /api/v1/governance",
        "GET /api/v1/grants/mine",
        "GET /api/v1/grants/runs",
        "GET /api/v1/grants/runs/{run}",
        "GET /api/v1/grants/runs/{run}/grants",
        "GET /api/v1/grants/runs/{run}/needs-data",
        "GET /api/v1/grants/runs/{run}/objections",
        "GET /api/v1/grants/runs/{run}/reconciliation",
        "GET /api/v1/grants/unclaimed",
        "GET /api/v1/grants/{grant}",
        "GET /api/v1/inbox",
        "GET /api/v1/items/{id}",
        "GET /api/v1/items/{id}/explain",
        "GET /api/v1/kpi",
        "GET /api/v1/ledger.xlsx",
        "GET /api/v1/legal/consultations",
        "GET /api/v1/legal/consultations/{id}",
        "GET /api/v1/logistics/profiles",
        "GET /api/v1/logistics/profiles/{uscc}",
        "GET /api/v1/logistics/reports",
        "GET /api/v1/logistics/without-profile",
        "GET /api/v1/me",
        "GET /api/v1/notices",
        "GET /api/v1/notifications",
        "GET /api/v1/openapi.json",
        "GET /api/v1/outbox",
        "GET /api/v1/plans",
        "GET /api/v1/plans/export.xlsx",
        "GET /api/v1/plans/{id}",
        "GET /api/v1/policies",
        "GET /api/v1/policies/{id}",
        "GET /api/v1/policy-documents/{name}",
        "GET /api/v1/policy-drafts",
        "GET /api/v1/policy-drafts/{id}",
        "GET /api/v1/problems",
        "GET /api/v1/problems/{id}",
        "GET /api/v1/problems/{id}/attachments",
        "GET /api/v1/problems/{id}/attachments/{aid}",
        "GET /api/v1/reports/effects",
        "GET /api/v1/reports/effects.xlsx",
        "GET /api/v1/reports/supervision",
        "GET /api/v1/reports/supervision.xlsx",
        "GET /api/v1/routing",
        "GET /api/v1/routing/{category}",
        "GET /api/v1/search",
        "GET /api/v1/search/suggest",
        "GET /api/v1/search/synonyms",
        "GET /api/v1/search/unanswered",
        "GET /api/v1/settings",
        "GET /api/v1/time-limits",
        "GET /api/v1/users",
        "GET /api/v1/utilities",
        "GET /api/v1/utilities/violations",
        "GET /api/v1/utilities/waivers",
        "GET /api/v1/visits",
        "GET /chains/export.xlsx",
        "GET /financing/export.xlsx",
        "GET /healthz",
        "GET /legal/export.xlsx",
        "GET /logistics/export.xlsx",
        "GET /readyz",
        "GET /utilities/export.xlsx",
        "PATCH /api/v1/users/{username}",
        "POST /api/v1/auth/token",
        "POST /api/v1/calendar/years",
        "POST /api/v1/chains/demands",
        "POST /api/v1/chains/demands/{id}/close",
        "POST /api/v1/chains/demands/{id}/introduce",
        "POST /api/v1/chains/demands/{id}/outcome",
        "POST /api/v1/chains/positions",
        "POST /api/v1/content",
        "POST /api/v1/content/cases",
        "POST /api/v1/content/{id}/review",
        "POST /api/v1/credit-repair",
        "POST /api/v1/credit-repair/{id}/steps",
        "POST /api/v1/events",
        "POST /api/v1/events/{id}/{action}",
        "POST /api/v1/financing/demands",
        "POST /api/v1/financing/demands/{id}/close",
        "POST /api/v1/financing/demands/{id}/respond",
        "POST /api/v1/financing/demands/{id}/step",
        "POST /api/v1/financing/products",
        "POST /api/v1/governance",
        "POST /api/v1/governance/{id}/close",
        "POST /api/v1/grants/objections/{id}",
        "POST /api/v1/grants/payment-files/{file}/void",
        "POST /api/v1/grants/results",
        "POST /api/v1/grants/runs",
        "POST /api/v1/grants/runs/batch",
        "POST /api/v1/grants/runs/{run}/approve",
        "POST /api/v1/grants/runs/{run}/budget",
        "POST /api/v1/grants/runs/{run}/payment-file",
        "POST /api/v1/grants/runs/{run}/publicize",
        "POST /api/v1/grants/{grant}/confirmation",
        "POST /api/v1/grants/{grant}/objections",
        "POST /api/v1/inbox/read",
        "POST /api/v1/legal/consultations",
        "POST /api/v1/legal/consultations/{id}/answer",
        "POST /api/v1/legal/consultations/{id}/assign",
        "POST /api/v1/legal/consultations/{id}/faq",
        "POST /api/v1/legal/consultations/{id}/reply",
        "POST /api/v1/logistics/import",
        "POST /api/v1/logistics/profiles",
        "POST /api/v1/notifications/read-all",
        "POST /api/v1/notifications/{id}/read",
        "POST /api/v1/outbox/{id}/retry",
        "POST /api/v1/plans",
        "POST /api/v1/plans/{id}/measures",
        "POST /api/v1/plans/{id}/measures/{measure}",
        "POST /api/v1/plans/{id}/reviews",
        "POST /api/v1/policy-drafts/{id}/approve",
        "POST /api/v1/policy-drafts/{id}/reject",
        "POST /api/v1/policy-drafts/{id}/withdraw",
        "POST /api/v1/problems",
        "POST /api/v1/problems/{id}/actions",
        "POST /api/v1/problems/{id}/attachments",
        "POST /api/v1/routing",
        "POST /api/v1/search/click",
        "POST /api/v1/search/rebuild",
        "POST /api/v1/search/solved",
        "POST /api/v1/search/synonyms",
        "POST /api/v1/users",
        "POST /api/v1/users/{username}/password",
        "POST /api/v1/users/{username}/unlock",
        "POST /api/v1/utilities/import",
        "POST /api/v1/visits",
        "PUT /api/v1/content/{id}",
        "PUT /api/v1/enterprises/{uscc}/links",
        "PUT /api/v1/policy-documents/{name}",
        "PUT /api/v1/routing/{category}",
        "PUT /api/v1/settings",
        "PUT /api/v1/time-limits",
    ];
    assert_eq!(listed, expected);
    // Every documented operation is routed (never the router's 404 or 405).
    let t = app.token("admin").await;
    for op in &listed {
        let (m, p) = op.split_once(' ').unwrap();
        let p = p
            .replace("{id}", "1")
            .replace("{aid}", "1")
            .replace("{uscc}", &app.a)
            .replace("{category}", "tax")
            .replace("{username}", "spare")
            .replace("{name}", "zone-sample-2022.toml")
            .replace("{run}", "1")
            .replace("{grant}", "1")
            .replace("{file}", "x")
            .replace("{measure}", "1");
        let r = app.api(Some(&t), Method::from_bytes(m.as_bytes()).unwrap(), &p, Some(json!({}))).await;
        let s = r.status();
        let body = r.text().await.unwrap();
        assert!(s != StatusCode::METHOD_NOT_ALLOWED && !body.contains("web.not_found"), "{op}: {s} {body}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn single_resources_have_etags_and_writes_check_them() {
    let app = app().await;
    let t = app.token("admin").await;
    let url = format!("/api/v1/enterprises/{}", app.a);
    let r = app.api(Some(&t), Method::GET, &url, None).await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["assistance_target"], true);
    assert_eq!(body["facts_by_year"]["2021"][0]["fact"], "employees");
    assert_eq!(body["facts_by_year"]["2021"][0]["source"], "tax");
    assert_eq!(body["links"]["cadre"], "cadre");
    let again =
        app.http.get(app.url(&url)).bearer_auth(&t).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Routing: a stale If-Match is refused, the current one accepted.
    let put = |m: &str| {
        app.http
            .put(app.url("/api/v1/routing/tax"))
            .bearer_auth(&t)
            .header("if-match", m)
            .json(&json!({"departments": ["tax_bureau", "economic_development"]}))
            .send()
    };
    let stale = put("\"0000\"").await.unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let got = app.api(Some(&t), Method::GET, "/api/v1/routing/tax", None).await;
    assert_eq!(got.status(), StatusCode::OK);
    let current = got.headers()["etag"].to_str().unwrap().to_string();
    let ok = put(&current).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let c: Value = ok.json().await.unwrap();
    assert_eq!(c["lead"], "tax_bureau");
    assert_eq!(c["departments"][1], "economic_development");
    // The same If-Match is now stale.
    assert_eq!(put(&current).await.unwrap().status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_ends_other_sessions() {
    let app = app().await;
    let b = app.sign_in("policy", PASSWORD).await.unwrap();
    let token = app.token("policy").await;
    let change = |current: &str, new: &str, confirm: &str| {
        app.http
            .post(app.url("/account/password"))
            .header("cookie", &b.cookie)
            .form(&[("csrf", b.csrf.as_str()), ("current", current), ("new", new), ("confirm", confirm)])
            .send()
    };
    let r = change("wrong", "a new password", "a new password").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("当前密码不正确"));
    let r = change(PASSWORD, "short", "short").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = change(PASSWORD, "a new password", "a new passwore").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = change(PASSWORD, "a new password", "a new password").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(session_cookie(r.headers()).is_some(), "the changing browser stays signed in");
    assert_eq!(app.api(Some(&token), Method::GET, "/api/v1/me", None).await.status(), 401);
    assert_eq!(app.token_try("policy", PASSWORD).await.status(), 401);
    assert_eq!(app.token_try("policy", "a new password").await.status(), 200);
}

#[tokio::test]
async fn bearer_tokens_can_be_revoked() {
    let app = app().await;
    let t = app.token("leader").await;
    assert_eq!(app.api(Some(&t), Method::GET, "/api/v1/me", None).await.status(), 200);
    assert_eq!(app.api(Some(&t), Method::DELETE, "/api/v1/auth/token", None).await.status(), 204);
    assert_eq!(app.api(Some(&t), Method::GET, "/api/v1/me", None).await.status(), 401);
}

#[tokio::test]
async fn sessions_survive_a_restart_and_a_sign_out_in_one_process_is_honoured_by_another() {
    let app = app().await;
    let token = app.token("leader").await;
    let b = app.sign_in("policy", PASSWORD).await.unwrap();
    let (other, _stop) = app.another_process().await;
    let me = |base: &str, t: &str| app.http.get(format!("{base}/api/v1/me")).bearer_auth(t).send();
    let home = |base: &str| app.http.get(format!("{base}/")).header("cookie", &b.cookie).send();
    // The new process knows both from the database.
    assert_eq!(me(&other, &token).await.unwrap().status(), StatusCode::OK);
    let r = home(&other).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(csrf_in(&r.text().await.unwrap()), b.csrf, "the session keeps its CSRF token");

    // The token is revoked in the first process: at once there, and in the other once its
    // cached copy is re-checked.
    assert_eq!(app.api(Some(&token), Method::DELETE, "/api/v1/auth/token", None).await.status(), 204);
    assert_eq!(me(&app.base, &token).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    app.clock.advance(app.config.session_recheck);
    assert_eq!(me(&other, &token).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // The browser signs out in the other process; the first honours it.
    let r = app
        .http
        .post(format!("{other}/logout"))
        .header("cookie", &b.cookie)
        .form(&[("csrf", b.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.clock.advance(app.config.session_recheck);
    assert_eq!(home(&app.base).await.unwrap().status(), StatusCode::SEE_OTHER, "sent to sign in");

    // A deactivated user's token ends in every process.
    let t = app.token("spare").await;
    assert_eq!(me(&other, &t).await.unwrap().status(), StatusCode::OK);
    let s = store_sqlite::SqliteStore::open(app._dir.path().join("huiqi.db")).unwrap();
    s.set_user_active("spare", false).await.unwrap();
    app.clock.advance(app.config.session_recheck);
    assert_eq!(me(&other, &t).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app.base, &t).await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cookie_session_ends_when_idle_or_at_its_absolute_limit_and_a_token_at_its_ttl() {
    let app = app().await;
    let cfg = WebConfig::default();
    // Used every 7 hours, a cookie session lives on, but not past 24 hours after sign-in.
    let b = app.sign_in("policy", PASSWORD).await.unwrap();
    let token = app.token("leader").await;
    for _ in 0..3 {
        app.clock.advance(Duration::hours(7));
        assert_eq!(app.page(&b, "/").await.status(), StatusCode::OK);
    }
    app.clock.advance(cfg.session_absolute - Duration::hours(21));
    assert_eq!(app.page(&b, "/").await.status(), StatusCode::SEE_OTHER, "the absolute limit");
    // The token was not used meanwhile; it ended 12 hours after it was issued.
    assert_eq!(app.api(Some(&token), Method::GET, "/api/v1/me", None).await.status(), 401);

    // Idle: unused for 8 hours, a fresh session ends (also for a process that never cached it).
    let b = app.sign_in("policy", PASSWORD).await.unwrap();
    let (other, _stop) = app.another_process().await;
    app.clock.advance(cfg.session_idle - Duration::minutes(1));
    assert_eq!(app.page(&b, "/").await.status(), StatusCode::OK);
    app.clock.advance(cfg.session_idle);
    assert_eq!(app.page(&b, "/").await.status(), StatusCode::SEE_OTHER, "idle 8 hours");
    let r = app.http.get(format!("{other}/")).header("cookie", &b.cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn dates_outside_the_supported_range_are_refused_naming_the_field() {
    let app = app().await;
    let t = app.token("admin").await;
    for d in ["0000-01-01", "-0001-01-01", "1900-01-01", "2100-01-01"] {
        let r = app
            .api(Some(&t), Method::GET, &format!("/api/v1/enterprises/{}/decisions?date={d}", app.a), None)
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{d}");
        assert!(r.text().await.unwrap().contains("date"), "{d}: names the field");
    }
    let cadre = app.token("cadre").await;
    for d in ["0000-01-01", "1900-01-01"] {
        let body = json!({"enterprise": app.a, "date": d, "findings": "生产正常"});
        let r = app.api(Some(&cadre), Method::POST, "/api/v1/visits", Some(body)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "visit on {d}");
        assert!(r.text().await.unwrap().contains("date"));
    }
}

/// Issue 16: request state lives in the database, so a request may land on any server over
/// it. The sign-in page comes from one server and its form goes to another; an import's dry
/// run on one server is downloaded and applied on another, once; `/readyz` says the schema is
/// current.
#[tokio::test]
async fn request_state_is_shared_by_every_server_over_the_database() {
    let app = app().await;
    let (other, _stop) = app.another_process().await;
    // The sign-in page's anonymous session, opened here, is found there.
    let anon = app.login_page().await;
    let r = app
        .http
        .post(format!("{other}/login"))
        .header("cookie", &anon.cookie)
        .form(&[("csrf", anon.csrf.as_str()), ("username", "admin"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in on the other server");
    let cookie = session_cookie(r.headers()).unwrap();
    // A wrong CSRF token is still refused there.
    let anon2 = app.login_page().await;
    let r = app
        .http
        .post(format!("{other}/login"))
        .header("cookie", &anon2.cookie)
        .form(&[("csrf", anon.csrf.as_str()), ("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let home = app.http.get(app.url("/")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let admin = Browser { csrf: csrf_in(&home.text().await.unwrap()), cookie };

    // A dry run here…
    let good = format!(
        "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区,从业人数_2021\n{},长沙甲科技有限公司,是,是,99\n91430100MA4L00011K,长沙智造科技有限公司,是,是,120\n",
        app.a
    );
    let (ct, body) = multipart_file("file", "good.csv", good.as_bytes());
    let html = app
        .http
        .post(app.url(&format!("/admin/imports?csrf={}", admin.csrf)))
        .header("cookie", &admin.cookie)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("试导入结果") && html.contains("新增 1"), "{html}");
    // …its change report read there…
    let href_at = html.find("/admin/imports/reports/").expect("a change report link");
    let href = html[href_at..].split('"').next().unwrap().to_string();
    let csv = app.http.get(format!("{other}{href}")).header("cookie", &admin.cookie).send().await.unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.text().await.unwrap().contains("employees[2021],121,99"));
    // …and applied there, once.
    let at = html.find("name=\"token\" value=\"").unwrap() + 20;
    let token = html[at..].split('"').next().unwrap().to_string();
    let boundary = "huiqi-apply-boundary";
    let apply = || {
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{token}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\ngood.csv\r\n--{boundary}--\r\n"
        );
        app.http
            .post(format!("{other}/admin/imports?csrf={}", admin.csrf))
            .header("cookie", &admin.cookie)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };
    let html = apply().await.unwrap().text().await.unwrap();
    assert!(html.contains("已导入") && html.contains("新增 1"), "{html}");
    let html = apply().await.unwrap().text().await.unwrap();
    assert!(!html.contains("已导入"), "an applied dry run is gone: {html}");
    let t = app.token("admin").await;
    let after = app.api(Some(&t), Method::GET, "/api/v1/enterprises", None).await;
    assert_eq!(after.json::<Value>().await.unwrap()["total"].as_u64().unwrap(), 3);

    let r = app.http.get(format!("{other}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["status"].as_str(), v["backend"].as_str()), (Some("ready"), Some("sqlite")));
    assert_eq!(v["schema_applied"], v["schema_known"]);
}

/// The grants API (issue 12) as its roles see it: an enterprise reads its own grants and
/// never the runs; officials read the runs; a run of an unknown item or an approval of an
/// unknown run is a 404 with its stable code. (The whole flow runs in
/// crates/app/tests/it/grants.rs, over both stores.)
#[tokio::test]
async fn the_grants_api_answers_each_role() {
    let app = app().await;
    let ent = app.token("ent_a").await;
    let r = app.api(Some(&ent), Method::GET, "/api/v1/grants/mine", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    let r = app.api(Some(&ent), Method::GET, "/api/v1/grants/runs", None).await;
    assert_eq!(r.status(), 403);
    let admin = app.token("admin").await;
    let r = app.api(Some(&admin), Method::GET, "/api/v1/grants/runs", None).await;
    assert_eq!((r.status(), r.json::<Value>().await.unwrap()), (StatusCode::OK, json!([])));
    let r = app.api(Some(&admin), Method::GET, "/api/v1/grants/mine", None).await;
    assert_eq!(r.status(), 403);
    let r = app
        .api(
            Some(&admin),
            Method::POST,
            "/api/v1/grants/runs",
            Some(json!({"item": "no-such-item", "period": "2022"})),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "web.item_not_found");
    // Several items at once: refused whole for one unknown item, for an enterprise, and
    // without a match run to grant from.
    let batch = |body: Value| app.api(Some(&admin), Method::POST, "/api/v1/grants/runs/batch", Some(body));
    let r = batch(json!({"items": ["zone-first-hitech-award", "no-such-item"], "period": "2022"})).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "web.item_not_found");
    let r = batch(json!({"period": "2022"})).await;
    assert_eq!(r.status(), 400, "no match run yet");
    assert!(r.json::<Value>().await.unwrap()["detail_en"].as_str().unwrap().contains("policy match"));
    let r =
        app.api(Some(&ent), Method::POST, "/api/v1/grants/runs/batch", Some(json!({"period": "2022"}))).await;
    assert_eq!(r.status(), 403);
    let r = app.api(Some(&admin), Method::GET, "/api/v1/grants/runs", None).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]), "nothing written");
    let r = app.api(Some(&admin), Method::POST, "/api/v1/grants/runs/7/approve", Some(json!({}))).await;
    assert_eq!(r.status(), 404);
    let body = r.json::<Value>().await.unwrap();
    assert_eq!(body["code"], "store.grant_run_not_found");
    assert!(
        body["detail"].as_str().unwrap().contains('7')
            && body["detail_en"].as_str().unwrap().contains("grant run 7")
    );
    let r = app
        .api(
            Some(&admin),
            Method::POST,
            "/api/v1/grants/results",
            Some(json!({"file_name": "r.csv", "csv": "grant\n1\n"})),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "app.payment_results");
}
