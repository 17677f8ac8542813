//! Policies and decisions end to end: the app on port 0 over a fresh SQLite file with the
//! shipped policy library (read from `policies/`), one user per role and two enterprises:
//! A is an assistance target first recognised as a high-tech enterprise on 2021-12-31 (so the
//! zone's first-recognition award decides eligible, 200 000 yuan, on 2022-03-01); B is not
//! tax-registered in the zone (not an assistance target, so ineligible).

use crate::support;
use support::*;

use chrono::{DateTime, NaiveDate};
use enterprise::{
    Enterprise, EnterpriseRecord, FactDictionary, FactRecord, FactSource, FactValue, IndustryCode, ThreeLinks,
};
use reqwest::header::SET_COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use store::documents::{DocumentKind, DocumentStore};
use store::{EnterpriseStore, ImportFormat, ImportRequest, Role, Stamp, Store};
use web::{AppState, FixedClock, WebConfig};

const ON: &str = "2022-03-01";

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn record(n: u32, name: &str, tax_in_zone: bool) -> EnterpriseRecord {
    EnterpriseRecord {
        scope: Default::default(),
        enterprise: Enterprise {
            uscc: code(n),
            name: name.into(),
            registered_in_zone: true,
            tax_registered_in_zone: tax_in_zone,
            industry_code: Some(IndustryCode::parse("C3511").unwrap()),
            established_on: Some(day("2015-06-01")),
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: BTreeSet::new(),
        },
        facts: vec![
            FactRecord {
                fact: "hitech_first_recognized_on".into(),
                year: None,
                value: FactValue::Date(day("2021-12-31")),
                source: FactSource::Zone,
                as_of: day("2022-01-10"),
            },
            FactRecord {
                fact: "employees".into(),
                year: Some(2021),
                value: FactValue::Integer(80),
                source: FactSource::Tax,
                as_of: day("2022-01-10"),
            },
        ],
    }
}

fn shipped_library() -> rules::Library {
    let (lib, diags) = rules::Library::load(&shipped_files(), FactDictionary::official());
    assert!(diags.is_empty(), "{diags:?}");
    lib
}

fn shipped_files() -> Vec<rules::SourceFile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<rules::SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| rules::SourceFile {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

const USERS: [(&str, Role); 8] = [
    ("ent_a", Role::Enterprise),
    ("ent_b", Role::Enterprise),
    ("cadre", Role::Cadre),
    ("dept", Role::Department),
    ("leader", Role::Leader),
    ("supervisor", Role::Supervisor),
    ("policy", Role::Policy),
    ("admin", Role::Admin),
];

struct App {
    base: String,
    http: reqwest::Client,
    a: String,
    b: String,
    library: Arc<rules::Library>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let now = DateTime::parse_from_rfc3339("2022-03-01T09:00:00+08:00").unwrap();
    let (s, dir) = seeded_store(
        now,
        vec![record(1, "长沙甲科技有限公司", true), record(2, "长沙乙制造有限公司", false)],
        &USERS,
        |_, r| (r == Role::Department).then(|| "tax_bureau".into()),
    )
    .await;
    let links = ThreeLinks { leader: Some("leader".into()), department: None, cadre: Some("cadre".into()) };
    s.set_three_links(&code(1), &links, &Stamp::new("admin", now)).await.unwrap();
    // The policies and time limits live in the database, as the binary seeds them.
    let docs = shipped_files().into_iter().map(|f| (f.name, f.text)).collect();
    s.seed_documents(DocumentKind::Policy, docs, &Stamp::new("seed", now)).await.unwrap();
    let limits = include_str!("../../../handling/data/time_limits.toml").to_string();
    let limits = vec![(store::documents::TIME_LIMITS_NAME.to_string(), limits)];
    s.seed_documents(DocumentKind::TimeLimits, limits, &Stamp::new("seed", now)).await.unwrap();
    let library = Arc::new(shipped_library());
    let state = AppState::new(Arc::new(s), WebConfig::default())
        .with_clock(Arc::new(FixedClock::new(now)))
        .with_library(library.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve_until(listener, state, async {
        let _ = rx.await;
    }));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    App { base, http, a: code(1).to_string(), b: code(2).to_string(), library, _stop: tx, _dir: dir }
}

impl App {
    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    async fn token(&self, user: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "token for {user}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    async fn get(&self, token: Option<&str>, p: &str) -> reqwest::Response {
        let mut req = self.http.request(Method::GET, self.url(p));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    async fn json(&self, token: &str, p: &str) -> Value {
        let r = self.get(Some(token), p).await;
        assert_eq!(r.status(), StatusCode::OK, "{p}");
        r.json().await.unwrap()
    }

    /// A signed-in browser cookie.
    async fn sign_in(&self, user: &str) -> String {
        let r = self.http.get(self.url("/login")).send().await.unwrap();
        let anon = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("huiqi_session="))
            .unwrap();
        let anon = anon.split(';').next().unwrap().to_string();
        let html = r.text().await.unwrap();
        let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = html[at..at + 64].to_string();
        let r = self
            .http
            .post(self.url("/login"))
            .header("cookie", &anon)
            .form(&[("csrf", csrf.as_str()), ("username", user), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {user}");
        let c = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("huiqi_session="))
            .unwrap();
        c.split(';').next().unwrap().to_string()
    }

    async fn page(&self, cookie: &str, p: &str) -> (u16, String) {
        let r = self.http.get(self.url(p)).header("cookie", cookie).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// Whether a body shows another enterprise: its code (other than in the path asked for) or its name.
fn leaks(text: &str, path: &str, other_code: &str, other_name: &str) -> bool {
    (text.contains(other_code) && !path.contains(other_code)) || text.contains(other_name)
}

/// The policy document the editing tests change.
const DOC: &str = "zone-sample-2022.toml";

const ROLES: [&str; 9] =
    ["anonymous", "ent_a", "ent_b", "cadre", "dept", "leader", "supervisor", "policy", "admin"];

#[tokio::test]
async fn every_policy_endpoint_answers_every_role_as_authorised() {
    let app = app().await;
    let mut tokens: HashMap<&str, Option<String>> = HashMap::new();
    tokens.insert("anonymous", None);
    for r in &ROLES[1..] {
        tokens.insert(r, Some(app.token(r).await));
    }
    let (a, b) = (app.a.clone(), app.b.clone());
    let item = "zone-first-hitech-award";
    let cases: Vec<(String, [u16; 9])> = vec![
        ("/api/v1/policies".into(), [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        (
            "/api/v1/policies?level=zone&no_application=true".into(),
            [401, 200, 200, 200, 200, 200, 200, 200, 200],
        ),
        ("/api/v1/policies?level=county".into(), [401, 400, 400, 400, 400, 400, 400, 400, 400]),
        ("/api/v1/policies/zone-sample-2022".into(), [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/api/v1/policies/no-such-policy".into(), [401, 404, 404, 404, 404, 404, 404, 404, 404]),
        (format!("/api/v1/items/{item}"), [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/api/v1/items/no-such-item".into(), [401, 404, 404, 404, 404, 404, 404, 404, 404]),
        (format!("/api/v1/enterprises/{a}/decisions"), [401, 200, 404, 200, 200, 200, 200, 200, 200]),
        (format!("/api/v1/enterprises/{b}/decisions"), [401, 404, 200, 404, 200, 200, 200, 200, 200]),
        (
            format!("/api/v1/enterprises/{a}/decisions?date=2022-13-01"),
            [401, 400, 400, 400, 400, 400, 400, 400, 400],
        ),
        (
            format!("/api/v1/items/{item}/explain?enterprise={a}"),
            [401, 200, 404, 200, 200, 200, 200, 200, 200],
        ),
        (
            format!("/api/v1/items/{item}/explain?enterprise={b}"),
            [401, 404, 200, 404, 200, 200, 200, 200, 200],
        ),
        (format!("/api/v1/items/{item}/explain"), [401, 400, 400, 400, 400, 400, 400, 400, 400]),
        (format!("/api/v1/items/nope/explain?enterprise={a}"), [401, 404, 404, 404, 404, 404, 404, 404, 404]),
        (format!("/api/v1/policy-documents/{DOC}"), [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/api/v1/policy-documents/nope.toml".into(), [401, 404, 404, 404, 404, 404, 404, 404, 404]),
        ("/api/v1/policy-drafts".into(), [401, 403, 403, 403, 403, 403, 403, 200, 200]),
        ("/api/v1/policy-drafts/999".into(), [401, 403, 403, 403, 403, 403, 403, 404, 404]),
        ("/api/v1/time-limits".into(), [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/api/v1/settings".into(), [401, 200, 200, 200, 200, 200, 200, 200, 200]),
    ];
    let mut failures = Vec::new();
    for (path, expected) in &cases {
        for (i, role) in ROLES.iter().enumerate() {
            let r = app.get(tokens[role].as_deref(), path).await;
            let status = r.status().as_u16();
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            let text = r.text().await.unwrap();
            if status != expected[i] {
                failures.push(format!("GET {path} as {role}: {status}, expected {}: {text}", expected[i]));
            }
            if status >= 400 {
                assert_eq!(ct.as_deref(), Some("application/problem+json"), "{path} as {role}");
            }
            if *role == "ent_a" {
                assert!(!leaks(&text, path, &b, "长沙乙"), "{path}: {text}");
            }
            if *role == "ent_b" {
                assert!(!leaks(&text, path, &a, "长沙甲"), "{path}: {text}");
            }
        }
    }
    // Pages: anonymous is sent to sign in; the enterprise's explorer is its own only.
    let page_cases: Vec<(String, [u16; 9])> = vec![
        ("/policies".into(), [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/policies?date=2022-02-31".into(), [303, 400, 400, 400, 400, 400, 400, 400, 400]),
        ("/policies/zone-sample-2022".into(), [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/policies/nope".into(), [303, 404, 404, 404, 404, 404, 404, 404, 404]),
        (format!("/items/{item}"), [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("/items/nope".into(), [303, 404, 404, 404, 404, 404, 404, 404, 404]),
        ("/explore".into(), [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        (format!("/items/{item}/simulate"), [303, 403, 403, 403, 403, 403, 403, 200, 200]),
        (format!("/policies/documents/{DOC}/edit"), [303, 403, 403, 403, 403, 403, 403, 200, 200]),
        ("/policies/documents/nope.toml/edit".into(), [303, 403, 403, 403, 403, 403, 403, 404, 404]),
        ("/admin/time-limits".into(), [303, 403, 403, 403, 403, 403, 403, 403, 200]),
        ("/admin/settings".into(), [303, 403, 403, 403, 403, 403, 403, 403, 200]),
        (format!("/items/{item}/simulate?param=nope&value=1"), [303, 403, 403, 403, 403, 403, 403, 400, 400]),
        (format!("/explore?enterprise={a}&date={ON}"), [303, 200, 404, 200, 200, 200, 200, 200, 200]),
        (
            format!("/explore?enterprise={b}&item={item}&date={ON}"),
            [303, 404, 200, 404, 200, 200, 200, 200, 200],
        ),
    ];
    for (i, role) in ROLES.iter().enumerate() {
        let cookie = if *role == "anonymous" { String::new() } else { app.sign_in(role).await };
        for (path, expected) in &page_cases {
            let (status, text) = app.page(&cookie, path).await;
            if status != expected[i] {
                failures.push(format!("page {path} as {role}: {status}, expected {}", expected[i]));
            }
            if *role == "ent_a" {
                assert!(!leaks(&text, path, &b, "长沙乙"), "{path}");
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn decisions_have_the_policy_eval_shape_and_the_known_outcomes() {
    let app = app().await;
    let t = app.token("policy").await;
    let ds = app.json(&t, &format!("/api/v1/enterprises/{}/decisions?date={ON}", app.a)).await;
    let ds = ds.as_array().unwrap();
    // Every item in force on the date, once, in library order.
    let in_force: Vec<&str> = app.library.items_in_force(day(ON)).iter().map(|i| i.id.as_str()).collect();
    let got: Vec<&str> = ds.iter().map(|d| d["item"].as_str().unwrap()).collect();
    assert_eq!(got, in_force);
    for d in ds {
        let keys: BTreeSet<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "item",
                "title",
                "document",
                "benefit_kind",
                "period",
                "outcome",
                "amount",
                "amount_missing_facts",
                "missing_facts",
                "superseded_by",
                "explanation"
            ]),
        );
        let outcome = d["outcome"].as_str().unwrap();
        assert!(["eligible", "ineligible", "undetermined"].contains(&outcome), "{d}");
        // An amount only when eligible; missing facts only when undetermined, or when eligible
        // without a known amount (then they are the amount's).
        if outcome != "eligible" {
            assert!(d["amount"].is_null(), "{d}");
            assert_eq!(d["amount_missing_facts"], json!([]), "{d}");
        }
        if outcome == "eligible" {
            assert_eq!(d["missing_facts"], d["amount_missing_facts"], "{d}");
        }
        if outcome == "ineligible" {
            assert_eq!(d["missing_facts"], json!([]), "{d}");
        }
        let kind = app.library.item(d["item"].as_str().unwrap()).unwrap().benefit_kind;
        assert_eq!(d["benefit_kind"], kind.as_str(), "{d}");
        assert!(d["explanation"]["expr"].is_string() && d["explanation"]["outcome"].is_string(), "{d}");
    }
    let find = |id: &str| ds.iter().find(|d| d["item"] == id).unwrap().clone();
    let award = find("zone-first-hitech-award");
    assert_eq!(award["outcome"], "eligible");
    let amount: rust_decimal::Decimal = award["amount"].as_str().unwrap().parse().unwrap();
    assert_eq!(amount, rust_decimal::Decimal::from(200_000));
    // No recognition level on file: the municipal 专精特新 award is undetermined, naming what is missing.
    let srdi = find("zone-srdi-municipal-award");
    assert_eq!(srdi["outcome"], "undetermined");
    assert!(srdi["missing_facts"].as_array().unwrap().contains(&json!({"fact": "srdi_level", "year": null})));
    // The same JSON as the rules crate's own serialisation (what `huiqi policy eval --json` prints).
    let item = app.library.item("zone-first-hitech-award").unwrap();
    let mut facts = enterprise::Facts::default();
    record(1, "长沙甲科技有限公司", true).enterprise.scalar_facts(&mut facts);
    facts.set("hitech_first_recognized_on", FactValue::Date(day("2021-12-31")));
    facts.set_year("employees", 2021, FactValue::Integer(80));
    let direct = serde_json::to_value(app.library.evaluate(item, &facts, day(ON))).unwrap();
    assert_eq!(award, direct);

    // B is not tax-registered in the zone: not an assistance target, so not eligible.
    let db = app.json(&t, &format!("/api/v1/enterprises/{}/decisions?date={ON}", app.b)).await;
    let award_b = db.as_array().unwrap().iter().find(|d| d["item"] == "zone-first-hitech-award").unwrap();
    assert_eq!(award_b["outcome"], "ineligible");
    assert!(award_b["amount"].is_null());

    // Two years on, the award for a 2021 recognition no longer applies; the date matters.
    let later = app.json(&t, &format!("/api/v1/enterprises/{}/decisions?date=2023-03-01", app.a)).await;
    let later_award =
        later.as_array().unwrap().iter().find(|d| d["item"] == "zone-first-hitech-award").unwrap();
    assert_eq!(later_award["outcome"], "ineligible");
    // Without a date the clock's today (2022-03-01 here) is used.
    let today = app.json(&t, &format!("/api/v1/enterprises/{}/decisions", app.a)).await;
    assert_eq!(today.as_array().unwrap().as_slice(), ds);

    // The answer is kept per enterprise version: its ETag gives 304, and a change of A's facts (here an
    // import by another process on the same file) is decided afresh at once.
    let path = format!("/api/v1/enterprises/{}/decisions?date={ON}", app.a);
    let etag = app.get(Some(&t), &path).await.headers()["etag"].to_str().unwrap().to_string();
    let again = app.http.get(app.url(&path)).bearer_auth(&t).header("if-none-match", &etag);
    assert_eq!(again.send().await.unwrap().status(), StatusCode::NOT_MODIFIED);
    let other = store_sqlite::SqliteStore::open(app._dir.path().join("huiqi.db")).unwrap();
    other
        .apply_import(ImportRequest {
            actor: Stamp::new("admin", DateTime::parse_from_rfc3339("2022-03-01T10:00:00+08:00").unwrap()),
            file_name: "t2.csv".into(),
            format: ImportFormat::Csv,
            records: vec![record(1, "长沙甲科技有限公司", false)],
            dry_run: false,
        })
        .await
        .unwrap();
    let r = app.http.get(app.url(&path)).bearer_auth(&t).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "changed facts, new answer");
    let after: Value = r.json().await.unwrap();
    let award = after.as_array().unwrap().iter().find(|d| d["item"] == "zone-first-hitech-award").unwrap();
    assert_eq!(award["outcome"], "ineligible", "no longer tax-registered in the zone");
}

#[tokio::test]
async fn decisions_name_their_kind_period_and_tax_year() {
    let app = app().await;
    let t = app.token("policy").await;
    let a = &app.a;
    let find = |ds: &Value, id: &str| ds.as_array().unwrap().iter().find(|d| d["item"] == id).cloned();
    let ds = app.json(&t, &format!("/api/v1/enterprises/{a}/decisions?date={ON}")).await;
    let award = find(&ds, "zone-first-hitech-award").unwrap();
    assert_eq!(
        (award["benefit_kind"].as_str(), award["period"].as_str()),
        (Some("award_no_application"), Some("2022"))
    );
    let six = find(&ds, "six-taxes-two-fees-2022").unwrap();
    assert_eq!(six["benefit_kind"], "tax_relief_declared");
    assert!(six["superseded_by"].is_null());
    // In May 2023 the 2022 settlement: tax_year=2022 decides the 2022 income-tax relief for 2022.
    let may = app.json(&t, &format!("/api/v1/enterprises/{a}/decisions?date=2023-05-20&tax_year=2022")).await;
    let slp = find(&may, "slp-income-tax-2022").expect("the 2022 relief for the 2022 tax year");
    assert_eq!(slp["period"], "2022");
    assert!(find(&may, "slp-income-tax-2023").is_none());
    let plain = app.json(&t, &format!("/api/v1/enterprises/{a}/decisions?date=2023-05-20")).await;
    assert!(find(&plain, "slp-income-tax-2022").is_none());
    assert_eq!(find(&plain, "slp-income-tax-2023").unwrap()["period"], "2023");
    // 六税两费 in 2023: the 2022 notice's item is replaced by the 2023 one for the same year.
    let six = find(&plain, "six-taxes-two-fees-2022").unwrap();
    assert_eq!(
        (six["period"].as_str(), six["superseded_by"].as_str()),
        (Some("2023"), Some("six-taxes-two-fees-2023"))
    );
    // Explained alone, it names its replacement too.
    let x = app
        .json(&t, &format!("/api/v1/items/six-taxes-two-fees-2022/explain?enterprise={a}&date=2023-05-20"))
        .await;
    assert_eq!(x["decision"]["superseded_by"], "six-taxes-two-fees-2023");
    // A tax year after the date's year, or not a year: 400 with the parameter named.
    for bad in ["2024", "20x2", "1999"] {
        let r = app
            .get(Some(&t), &format!("/api/v1/enterprises/{a}/decisions?date=2023-05-20&tax_year={bad}"))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body = r.text().await.unwrap();
        assert!(body.contains("tax") || body.contains("纳税年度"), "{bad}: {body}");
    }
    // The item's page and API name the kind, who grants it and how it is claimed.
    let item = app.json(&t, "/api/v1/items/six-taxes-two-fees-2023").await;
    assert_eq!(item["benefit_kind"], "tax_relief_declared");
    assert_eq!(item["supersedes"], json!(["six-taxes-two-fees-2022"]));
    assert!(item["how_claimed"].as_str().unwrap().contains("园区不支付"), "{item}");
    let officer = app.sign_in("policy").await;
    let (_, page) = app.page(&officer, "/items/vat-credit-refund-small-micro-2022").await;
    // The kind by its Chinese name (the code only in the JSON and on the English page).
    assert!(page.contains("依申请退税") && page.contains("税务机关"), "{page}");
    assert!(!page.contains("tax_refund_applied"), "{page}");
    // The enterprise's home: each decision's kind and how it is claimed, totals per kind.
    let ent = app.sign_in("ent_a").await;
    let (_, home) = app.page(&ent, &format!("/explore?date={ON}")).await;
    let (_, home2) = app.page(&ent, "/").await;
    for page in [&home, &home2] {
        if page.contains("匹配的政策") {
            assert!(page.contains("免申即享奖补") && page.contains("园区免申即享"), "{page}");
            assert!(page.contains("按利益类型") && page.contains("其中园区奖补资金"), "{page}");
        }
    }
    assert!(home2.contains("免申即享奖补"), "{home2}");
    // The explorer takes the tax year too.
    let (s, page) =
        app.page(&officer, &format!("/explore?enterprise={a}&date=2023-05-20&tax_year=2022")).await;
    assert_eq!(s, 200);
    assert!(page.contains("小型微利企业所得税优惠（2022年度）") && page.contains("value=\"2022\""), "{page}");
    let (s, _) = app.page(&officer, &format!("/explore?enterprise={a}&date=2023-05-20&tax_year=2025")).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn an_item_explains_itself_and_shows_its_source_parameters_and_cases() {
    let app = app().await;
    let t = app.token("ent_a").await;
    let x = app
        .json(&t, &format!("/api/v1/items/zone-first-hitech-award/explain?enterprise={}&date={ON}", app.a))
        .await;
    assert_eq!(x["enterprise"], app.a.as_str());
    assert_eq!(x["date"], ON);
    assert_eq!(x["in_force"], true);
    assert_eq!(x["decision"]["outcome"], "eligible");
    let text = x["decision"]["explanation"].to_string();
    assert!(text.contains("hitech_first_recognized_on") && text.contains("2021-12-31"), "{text}");

    let i = app.json(&t, "/api/v1/items/zone-first-hitech-award").await;
    assert!(i["clause"].as_str().unwrap().contains("高新技术企业"));
    assert!(i["rule"].as_str().unwrap().contains("hitech_first_recognized_on"));
    assert_eq!(i["amount"], "award_first_hitech");
    let p = i["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "award_first_hitech").unwrap();
    // Dated values: 200 000 from 2022, 150 000 from 2024.
    let values: Vec<(&str, &str)> = p["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["from"].as_str().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    assert!(values.len() >= 2 && values[0].0 < values[1].0, "{values:?}");
    assert!(i["definitions"].as_array().unwrap().iter().any(|d| d["name"] == "assistance_target"));
    let cases = i["cases"].as_array().unwrap();
    assert_eq!(cases.len(), app.library.item("zone-first-hitech-award").unwrap().cases.len());
    assert!(cases.iter().all(|c| c["passed"] == true), "{cases:?}");

    // The library filters: level, no-application flag and a date in force.
    let all = app.json(&t, "/api/v1/policies").await;
    assert_eq!(all.as_array().unwrap().len(), app.library.policies.len());
    let zone = app.json(&t, "/api/v1/policies?level=zone&no_application=true&date=2022-06-30").await;
    for p in zone.as_array().unwrap() {
        assert_eq!(p["level"], "zone");
        for it in p["items"].as_array().unwrap() {
            assert_eq!(it["no_application"], true);
            assert!(it["from"].as_str().unwrap() <= "2022-06-30");
            assert!(it["to"].as_str().is_none_or(|t| t >= "2022-06-30"));
        }
    }
    let expected = app
        .library
        .items()
        .filter(|i| i.level == rules::Level::Zone && i.no_application && i.window.contains(day("2022-06-30")))
        .count();
    let got: usize = zone.as_array().unwrap().iter().map(|p| p["items"].as_array().unwrap().len()).sum();
    assert_eq!(got, expected);
    assert!(expected > 0);
    // By benefit kind: the refund items alone; an unknown kind is a 400 naming the parameter.
    let refunds = app.json(&t, "/api/v1/policies?benefit_kind=tax_refund_applied").await;
    let ids: Vec<&str> = refunds
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = app
        .library
        .items()
        .filter(|i| i.benefit_kind == rules::BenefitKind::TaxRefundApplied)
        .map(|i| i.id.as_str())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids, want);
    assert_eq!(
        app.get(Some(&t), "/api/v1/policies?benefit_kind=grant").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn pages_show_matches_explanations_and_items_in_chinese() {
    let app = app().await;
    // The enterprise's home lists its matched policies with the amount and what is missing.
    let ent = app.sign_in("ent_a").await;
    let (s, home) = app.page(&ent, "/").await;
    assert_eq!(s, 200);
    assert!(home.contains("匹配的政策") && home.contains("首次认定高新技术企业奖励"), "{home}");
    assert!(home.contains("200,000") && home.contains("专精特新认定层级"), "{home}");
    // The policy officer explains an item for an enterprise picked by name.
    let officer = app.sign_in("policy").await;
    let (s, page) = app
        .page(
            &officer,
            &format!(
                "/explore?enterprise=%E9%95%BF%E6%B2%99%E4%B9%99&item=zone-first-hitech-award&date={ON}"
            ),
        )
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("长沙乙制造有限公司") && page.contains("不符合"), "{page}");
    // The conditions read in plain words: the fact's Chinese name, not its id.
    assert!(page.contains("判定过程") && page.contains("税务登记在园区"), "{page}");
    assert!(!page.contains("tax_registered_in_zone"), "{page}");
    // A name matching both enterprises asks which one.
    let (_, page) = app.page(&officer, "/explore?enterprise=%E9%95%BF%E6%B2%99").await;
    assert!(page.contains("请选择企业") && page.contains(&app.a) && page.contains(&app.b), "{page}");
    // The item page puts the source text beside the rule, with parameters and test results.
    let (s, page) = app.page(&officer, "/items/zone-first-hitech-award").await;
    assert_eq!(s, 200);
    assert!(
        page.contains("政策原文")
            && page.contains("适用条件")
            && page.contains("首次认定高新技术企业奖励（示例）")
    );
    assert!(page.contains("200,000 元") && !page.contains("<code>award_first_hitech</code>"), "{page}");
    assert!(page.contains("测试用例") && page.contains("通过") && !page.contains("未通过"), "{page}");
    // The library page filters.
    let (s, page) = app.page(&officer, "/policies?level=national").await;
    assert_eq!(s, 200);
    assert!(page.contains("政策库") && !page.contains("首次认定高新技术企业奖励"), "{page}");
    // English on request.
    let (_, page) = app.page(&officer, "/policies?lang=en").await;
    assert!(page.contains("Policy library"));
}

#[tokio::test]
async fn a_parameter_change_is_simulated_over_every_assistance_target() {
    let app = app().await;
    let officer = app.sign_in("policy").await;
    let base = "/items/zone-first-hitech-award/simulate";
    // The item page offers the simulation to the policy officer, not to an enterprise.
    let (_, item) = app.page(&officer, "/items/zone-first-hitech-award").await;
    assert!(item.contains(base), "{item}");
    let (_, item) = app.page(&app.sign_in("ent_a").await, "/items/zone-first-hitech-award").await;
    assert!(!item.contains(base));
    // Raising the award from 200 000 to 300 000: A stays eligible and costs 100 000 more; B
    // is not an assistance target, so it is not in the population at all (as in `huiqi
    // policy simulate`); nobody gains or loses eligibility.
    let (s, page) = app
        .page(&officer, &format!("{base}?param=award_first_hitech&value=300000&from=2022-01-01&date={ON}"))
        .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("全部 1 家帮扶对象") && page.contains("+100000"), "{page}");
    assert!(page.contains("新增符合的企业（0 家") && page.contains("不再符合的企业（0 家"), "{page}");
    // A value of the wrong type is refused with the reason, in Chinese.
    let (s, page) =
        app.page(&officer, &format!("{base}?param=award_first_hitech&value=lots&date={ON}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("role=\"alert\"") && page.contains("award_first_hitech"), "{page}");
}

#[tokio::test]
async fn the_openapi_document_lists_the_policy_routes() {
    let app = app().await;
    let doc: Value = app.get(None, "/api/v1/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/enterprises/{uscc}/decisions",
        "/api/v1/policies",
        "/api/v1/policies/{id}",
        "/api/v1/items/{id}",
        "/api/v1/items/{id}/explain",
    ] {
        let op = &paths.get(p).unwrap_or_else(|| panic!("{p} missing"))["get"];
        assert_eq!(op["tags"], json!(["policies"]), "{p}");
        assert!(op["responses"]["200"].is_object(), "{p}");
    }
    assert!(doc["components"]["schemas"]["DecisionOut"].is_object());
    for (p, method) in [
        ("/api/v1/policy-drafts", "get"),
        ("/api/v1/policy-drafts/{id}", "get"),
        ("/api/v1/policy-drafts/{id}/approve", "post"),
        ("/api/v1/policy-drafts/{id}/reject", "post"),
        ("/api/v1/policy-drafts/{id}/withdraw", "post"),
    ] {
        let op = &paths.get(p).unwrap_or_else(|| panic!("{p} missing"))[method];
        assert_eq!(op["tags"], json!(["policies"]), "{p}");
        assert!(op["responses"]["200"].is_object(), "{p}");
    }
    let put = &paths["/api/v1/policy-documents/{name}"]["put"]["responses"];
    assert!(put["202"].is_object() && put["412"].is_object() && put["428"].is_object(), "{put}");
    assert!(doc["components"]["schemas"]["ReviewOut"].is_object());
}

/// A PUT of a document's text with an optional `If-Match`.
async fn put_text(
    app: &App,
    token: &str,
    path: &str,
    if_match: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut req = app.http.put(app.url(path)).bearer_auth(token).json(&json!({ "body": body }));
    if let Some(m) = if_match {
        req = req.header("if-match", m);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn an_officer_edits_a_policy_file_and_the_library_in_use_changes() {
    let app = app().await;
    let officer = app.token("policy").await;
    let path = format!("/api/v1/policy-documents/{DOC}");
    let r = app.get(Some(&officer), &path).await;
    assert_eq!(r.headers()["etag"], "\"1\"");
    let doc: Value = r.json().await.unwrap();
    let text = doc["body"].as_str().unwrap().to_string();
    let old_title = app.json(&officer, "/api/v1/policies/zone-sample-2022").await["title"].clone();
    let new_text = text.replacen("title = \"", "title = \"【修订】", 1);
    // Only policy officers and admins write; a write names the version it was made against.
    let dept = app.token("dept").await;
    assert_eq!(put_text(&app, &dept, &path, Some("\"1\""), &new_text).await.status(), StatusCode::FORBIDDEN);
    let r = put_text(&app, &officer, &path, None, &new_text).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(
        put_text(&app, &officer, &path, Some("\"7\""), &new_text).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
    // A misspelt fact in a rule: 422 with its line and column in both languages; nothing saved.
    let bad =
        new_text.replacen("year_of(hitech_first_recognized_on)", "year_of(hitech_first_recognised_on)", 1);
    let r = put_text(&app, &officer, &path, Some("\"1\""), &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    let d = &p["diagnostics"][0];
    assert_eq!(d["file"], DOC);
    let line = d["line"].as_u64().unwrap() as usize;
    let column = d["column"].as_u64().unwrap() as usize;
    let at: String = bad.lines().nth(line - 1).unwrap().chars().skip(column - 1).collect();
    assert!(at.starts_with("hitech_first_recognised_on"), "{at} {p}");
    assert!(d["message_en"].as_str().unwrap().contains("hitech_first_recognized_on"), "{p}");
    assert!(!d["message"].as_str().unwrap().is_empty() && p["detail"].as_str().unwrap().contains("未保存"));
    assert_eq!(app.json(&officer, &path).await["version"], 1);
    // A failing test case is refused too.
    let failing = new_text.replacen("outcome = \"eligible\"", "outcome = \"ineligible\"", 1);
    let r = put_text(&app, &officer, &path, Some("\"1\""), &failing).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A good text is a draft (202, its review at Location): nothing changes live until a
    // second person approves it.
    let r = put_text(&app, &officer, &path, Some("\"1\""), &new_text).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(r.headers()["etag"], "\"1\"", "the live version is still 1");
    let review_at = r.headers()["location"].to_str().unwrap().to_string();
    let draft: Value = r.json().await.unwrap();
    assert_eq!((draft["state"].as_str(), draft["author"].as_str()), (Some("draft"), Some("policy")));
    assert_eq!(review_at, format!("/api/v1/policy-drafts/{}", draft["id"]));
    assert_eq!(app.json(&officer, &path).await["version"], 1);
    assert_eq!(app.json(&officer, "/api/v1/policies/zone-sample-2022").await["title"], old_title);
    let approve = format!("{review_at}/approve");
    let r = app.http.post(app.url(&approve)).bearer_auth(&officer).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "the author may not approve");
    let admin = app.token("admin").await;
    let r = app.http.post(app.url(&approve)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Approved: version 2, in the history, and the library in use is the new one.
    let r = app.get(Some(&officer), &path).await;
    assert_eq!(r.headers()["etag"], "\"2\"");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["actor"], "policy");
    assert_eq!(doc["history"].as_array().unwrap().len(), 2);
    assert_eq!(doc["history"][0]["approved_by"], "admin", "who wrote, who approved");
    assert_eq!(doc["history"][0]["draft"], draft["id"]);
    assert_eq!(doc["history"][1]["approved_by"], Value::Null, "the seed was not reviewed");
    let title = app.json(&officer, "/api/v1/policies/zone-sample-2022").await["title"].clone();
    assert_ne!(title, old_title);
    assert!(title.as_str().unwrap().starts_with("【修订】"), "{title}");
    // The one who read version 1 now gets 412.
    assert_eq!(
        put_text(&app, &officer, &path, Some("\"1\""), &text).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
}

/// The edit page's save is a draft shown on its review page (the diff, no simulation before
/// a match run); the author may withdraw but not approve; the open drafts are counted on the
/// policies page; a second officer rejects one with a reason and approves another, which goes
/// live.
#[tokio::test]
async fn a_saved_page_is_a_draft_a_second_officer_approves_or_rejects() {
    let app = app().await;
    let cookie = app.sign_in("policy").await;
    let (status, html) = app.page(&cookie, &format!("/policies/documents/{DOC}/edit")).await;
    assert_eq!(status, 200);
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..at + 64].to_string();
    let text = app.json(&app.token("policy").await, &format!("/api/v1/policy-documents/{DOC}")).await["body"]
        .as_str()
        .unwrap()
        .to_string();
    let post = |cookie: String, csrf: String, path: String, fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let mut form = vec![("csrf", csrf)];
            form.extend(fields);
            let r = app.http.post(app.url(&path)).header("cookie", cookie).form(&form).send().await.unwrap();
            let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            (r.status(), location, r.text().await.unwrap())
        }
    };
    let edited = text.replacen("title = \"", "title = \"【草案】", 1);
    let save = format!("/policies/documents/{DOC}/edit");
    let (status, location, _) = post(
        cookie.clone(),
        csrf.clone(),
        save.clone(),
        vec![("version", "1".into()), ("body", edited.clone())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert!(location.starts_with("/policies/drafts/") && location.ends_with("?done=saved"), "{location}");
    let review = location.split('?').next().unwrap().to_string();
    let (status, html) = app.page(&cookie, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("已存为草案") && html.contains("待审核"), "{html}");
    assert!(html.contains("diff-del") && html.contains("diff-add") && html.contains("【草案】"), "{html}");
    assert!(html.contains("还没有匹配批次"), "no match run: the diff only: {html}");
    assert!(html.contains("您提交的草案") && !html.contains("id=\"approve\""), "{html}");
    let (_, html) = app.page(&cookie, "/policies").await;
    assert!(html.contains("待审核的政策草案：1 份"), "{html}");
    let (_, html) = app.page(&cookie, "/policies/drafts").await;
    assert!(html.contains(&format!("href=\"{review}\"")) && html.contains(DOC), "{html}");
    // The author's approval is refused (403 on the page, nothing live).
    let (status, _, html) = post(cookie.clone(), csrf.clone(), format!("{review}/approve"), vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("不能审核自己的草案"), "{html}");
    // A second officer: a rejection needs a reason; with one, nothing changes live.
    let admin = app.sign_in("admin").await;
    let (_, html) = app.page(&admin, &review).await;
    assert!(html.contains("id=\"approve\"") && html.contains("id=\"reject\""), "{html}");
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let admin_csrf = html[at..at + 64].to_string();
    let (status, _, html) =
        post(admin.clone(), admin_csrf.clone(), format!("{review}/reject"), vec![("reason", " ".into())])
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("驳回理由"), "{html}");
    let (status, location, _) = post(
        admin.clone(),
        admin_csrf.clone(),
        format!("{review}/reject"),
        vec![("reason", "标题不应改动".into())],
    )
    .await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(format!("{review}?done=rejected"))));
    let (_, html) = app.page(&admin, &review).await;
    assert!(html.contains("已驳回") && html.contains("标题不应改动"), "{html}");
    let officer = app.token("policy").await;
    assert_eq!(app.json(&officer, &format!("/api/v1/policy-documents/{DOC}")).await["version"], 1);
    // The API: a second draft, listed, reviewed, approved by the admin: live.
    let r =
        put_text(&app, &officer, &format!("/api/v1/policy-documents/{DOC}"), Some("\"1\""), &edited).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let token = app.token("admin").await;
    let list = app.json(&token, "/api/v1/policy-drafts").await;
    assert_eq!(list.as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect::<Vec<_>>(), [id]);
    let all = app.json(&token, "/api/v1/policy-drafts?all=true").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let one = app.json(&token, &format!("/api/v1/policy-drafts/{id}")).await;
    assert_eq!(one["draft"]["state"], "draft");
    assert_eq!(one["no_match_run"], true);
    assert_eq!(one["documents"][0]["name"], DOC);
    assert_eq!(one["documents"][0]["added_lines"], 1);
    let reject = app
        .http
        .post(app.url(&format!("/api/v1/policy-drafts/{id}/reject")))
        .bearer_auth(&token)
        .json(&json!({"reason": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(reject.status(), StatusCode::BAD_REQUEST);
    let r = app
        .http
        .post(app.url(&format!("/api/v1/policy-drafts/{id}/approve")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["state"].as_str(), d["closed_by"].as_str()), (Some("approved"), Some("admin")));
    let doc = app.json(&officer, &format!("/api/v1/policy-documents/{DOC}")).await;
    assert_eq!((doc["version"].as_i64(), doc["actor"].as_str()), (Some(2), Some("policy")));
    let title = app.json(&officer, "/api/v1/policies/zone-sample-2022").await["title"].clone();
    assert!(title.as_str().unwrap().starts_with("【草案】"), "{title}");
    // Decided drafts take no second decision (409).
    let r = app
        .http
        .post(app.url(&format!("/api/v1/policy-drafts/{id}/approve")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn only_admins_set_time_limits_and_bad_ones_are_refused() {
    let app = app().await;
    let admin = app.token("admin").await;
    let r = app.get(Some(&admin), "/api/v1/time-limits").await;
    assert_eq!(r.headers()["etag"], "\"1\"");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["limits"]["answer"]["policy_questions"]["normal"]["workdays"], 3);
    let text = v["body"].as_str().unwrap().to_string();
    let changed = text.replace("normal = { workdays = 3 }", "normal = { workdays = 2 }");
    // A problem received now runs under the limits as they are (3 working days from Tuesday).
    let ent = app.token("ent_a").await;
    let raise = |title: &'static str| {
        let (app, ent) = (&app, ent.clone());
        async move {
            let body = json!({"category": "policy_questions", "title": title});
            let r = app
                .http
                .post(app.url("/api/v1/problems"))
                .bearer_auth(&ent)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()
        }
    };
    let first = raise("政策咨询一").await;
    assert_eq!(first["deadlines"]["answer_by"], "2022-03-04");
    let policy = app.token("policy").await;
    let r = put_text(&app, &policy, "/api/v1/time-limits", Some("\"1\""), &changed).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for bad in
        [text.replace("yellow_percent = 80", "yellow_percent = 0"), text.replace("logistics]", "logistix]")]
    {
        let r = put_text(&app, &admin, "/api/v1/time-limits", Some("\"1\""), &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p: Value = r.json().await.unwrap();
        assert!(
            p["detail"].as_str().unwrap().contains("未保存")
                && p["detail_en"].as_str().unwrap().contains("nothing")
        );
    }
    let r = put_text(&app, &admin, "/api/v1/time-limits", Some("\"1\""), &changed).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["version"].as_i64(), v["limits"]["answer"]["policy_questions"]["normal"]["workdays"].as_i64()),
        (Some(2), Some(2))
    );
    // The next problem runs under the new limits; the first keeps its deadline.
    assert_eq!(raise("政策咨询二").await["deadlines"]["answer_by"], "2022-03-03");
    let id = first["id"].as_i64().unwrap();
    assert_eq!(
        app.json(&admin, &format!("/api/v1/problems/{id}")).await["deadlines"]["answer_by"],
        "2022-03-04"
    );
    let cookie = app.sign_in("admin").await;
    let (status, html) = app.page(&cookie, "/admin/time-limits").await;
    assert_eq!(status, 200);
    assert!(html.contains("政策咨询") && html.contains("2 个工作日"), "the current values in Chinese");
}

/// A running server follows what another process stores (`huiqi policy load`, `huiqi
/// time-limits set`, a second server): the new versions are put in use at the next follow,
/// nothing is reloaded while nothing changed, and a stored text that does not check (only a
/// hand-edited database has one) leaves the one in use in place and says why.
#[tokio::test]
async fn a_server_follows_policies_and_time_limits_saved_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("huiqi.db")).unwrap();
    s.migrate().await.unwrap();
    let at = DateTime::parse_from_rfc3339("2022-03-01T09:00:00+08:00").unwrap();
    let seed = Stamp::new("seed", at);
    let docs: Vec<(String, String)> = shipped_files().into_iter().map(|f| (f.name, f.text)).collect();
    s.seed_documents(DocumentKind::Policy, docs, &seed).await.unwrap();
    let limits = include_str!("../../../handling/data/time_limits.toml").to_string();
    let name = store::documents::TIME_LIMITS_NAME;
    s.seed_documents(DocumentKind::TimeLimits, vec![(name.to_string(), limits.clone())], &seed)
        .await
        .unwrap();
    let live = web::policy_docs::Live::default();
    let title = |live: &web::policy_docs::Live| {
        live.policies().library.policies.iter().find(|p| p.id == "zone-sample-2022").map(|p| p.title.clone())
    };

    // The first follow puts the stored versions in use; a second one has nothing to do.
    let f = web::policy_docs::follow_store(&s, &live).await.unwrap();
    assert!(f.policies && f.time_limits && f.refused.is_empty(), "{f:?}");
    let before = title(&live).unwrap();
    let set = live.policies();
    let f = web::policy_docs::follow_store(&s, &live).await.unwrap();
    assert_eq!(f, web::policy_docs::Followed::default());
    assert!(Arc::ptr_eq(&set, &live.policies()), "no reload while nothing changed");

    // Another process stores a revised policy file and longer time limits.
    let text = shipped_files().into_iter().find(|f| f.name == DOC).unwrap().text;
    let revised = text.replacen("title = \"", "title = \"【修订】", 1);
    let officer = Stamp::new("zhou_policy", at);
    s.put_document(DocumentKind::Policy, DOC, Some(1), revised.clone(), &officer).await.unwrap();
    let longer = limits.replacen("normal = { workdays = 7 }", "normal = { workdays = 9 }", 1);
    s.put_document(DocumentKind::TimeLimits, name, Some(1), longer, &officer).await.unwrap();
    let f = web::policy_docs::follow_store(&s, &live).await.unwrap();
    assert!(f.policies && f.time_limits && f.refused.is_empty(), "{f:?}");
    let after = title(&live).unwrap();
    assert_eq!(after, format!("【修订】{before}"));
    assert_eq!(live.time_limits().answer["default"].normal, handling::Limit::Workdays(9));

    // A stored text that does not check (written past every check) is not put in use.
    let broken = revised.replacen("year_of(hitech_first_recognized_on)", "year_of(no_such_fact)", 1);
    s.put_document(DocumentKind::Policy, DOC, Some(2), broken, &officer).await.unwrap();
    let f = web::policy_docs::follow_store(&s, &live).await.unwrap();
    assert!(!f.policies && f.refused.len() == 1, "{f:?}");
    assert_eq!(title(&live).unwrap(), after, "the checked library stays in use");
}

/// A PUT of the zone settings (JSON) with an optional `If-Match`.
async fn put_settings(app: &App, token: &str, if_match: Option<&str>, settings: &Value) -> reqwest::Response {
    let mut req = app.http.put(app.url("/api/v1/settings")).bearer_auth(token).json(settings);
    if let Some(m) = if_match {
        req = req.header("if-match", m);
    }
    req.send().await.unwrap()
}

/// The zone settings: the shipped thresholds with their stated source until an admin saves
/// others (API or form), each save a version; the supervision report, its page and the
/// dashboard use and show them at once.
#[tokio::test]
async fn zone_settings_are_set_by_admins_and_decide_the_supervision_report() {
    let app = app().await;
    let admin = app.token("admin").await;
    let r = app.get(Some(&admin), "/api/v1/settings").await;
    assert_eq!(r.headers()["etag"], "\"0\"", "none stored yet");
    let v: Value = r.json().await.unwrap();
    let sup = &v["settings"]["supervision"];
    assert_eq!((sup["response_rate"].as_i64(), sup["resolution_rate"].as_i64()), (Some(90), Some(80)));
    assert!(sup["source"].as_str().unwrap().contains("未规定数值标准"), "{v}");
    assert_eq!((v["version"].as_i64(), v["actor"].is_null()), (Some(0), true));
    assert_eq!(v["fields"][3]["key"], "supervision.resolution_rate");
    assert_eq!(
        (v["fields"][3]["label"].as_str(), v["fields"][3]["kind"].as_str()),
        (Some("解决率标准"), Some("percent"))
    );
    let supervisor = app.token("supervisor").await;
    let report = app.json(&supervisor, "/api/v1/reports/supervision?period=2022-03").await;
    assert_eq!(report["thresholds"]["resolution_rate"], "80");
    assert!(report["thresholds"]["source"].as_str().unwrap().contains("未规定数值标准"));

    // Only admins write, against the version they read.
    let mut new = v["settings"].clone();
    new["supervision"]["resolution_rate"] = json!(70);
    let r = put_settings(&app, &admin, Some("\"0\""), &new).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "new values need their own source");
    let p: Value = r.json().await.unwrap();
    assert!(
        p["detail"].as_str().unwrap().contains("来源") && p["detail_en"].as_str().unwrap().contains("source")
    );
    new["supervision"]["source"] = json!("园区帮扶工作小组 2022 年第 3 次会议纪要");
    assert_eq!(put_settings(&app, &supervisor, Some("\"0\""), &new).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(put_settings(&app, &admin, None, &new).await.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(
        put_settings(&app, &admin, Some("\"4\""), &new).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
    let mut bad = new.clone();
    bad["supervision"]["response_rate"] = json!(120);
    assert_eq!(put_settings(&app, &admin, Some("\"0\""), &bad).await.status(), StatusCode::BAD_REQUEST);
    let r = put_settings(&app, &admin, Some("\"0\""), &new).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"1\"");
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["version"].as_i64(), v["actor"].as_str()), (Some(1), Some("admin")));
    assert_eq!(v["history"].as_array().unwrap().len(), 1);
    let report = app.json(&supervisor, "/api/v1/reports/supervision?period=2022-03").await;
    assert_eq!(report["thresholds"]["resolution_rate"], "70");
    assert_eq!(report["thresholds"]["source"], "园区帮扶工作小组 2022 年第 3 次会议纪要");

    // The form: every setting with its help; a bad value is refused naming the field, nothing
    // stored; a good one is the next version.
    let cookie = app.sign_in("admin").await;
    let (status, html) = app.page(&cookie, "/admin/settings").await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"supervision.response_rate\"") && html.contains("解决率标准"), "{html}");
    assert!(
        html.contains("园区帮扶工作小组 2022 年第 3 次会议纪要") && html.contains("value=\"70\""),
        "{html}"
    );
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..at + 64].to_string();
    let post = |fields: Vec<(&'static str, String)>| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            let mut form = vec![("csrf", csrf)];
            form.extend(fields);
            let r = app
                .http
                .post(app.url("/admin/settings"))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap();
            let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            (r.status(), location, r.text().await.unwrap())
        }
    };
    let (status, _, html) =
        post(vec![("version", "1".into()), ("supervision.response_rate", "120".into())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("aria-invalid=\"true\"") && html.contains("0 到 100"), "{html}");
    assert!(html.contains("value=\"120\""), "the submitted value is kept: {html}");
    let (status, location, _) =
        post(vec![("version", "1".into()), ("supervision.response_rate", "85.5".into())]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/admin/settings?saved=2")));
    let (status, _, _) =
        post(vec![("version", "1".into()), ("supervision.response_rate", "80".into())]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "saved over version 2");
    assert_eq!(app.json(&admin, "/api/v1/settings").await["settings"]["supervision"]["response_rate"], 85.5);

    // The report page and the dashboard show the thresholds and where they come from.
    let cookie = app.sign_in("supervisor").await;
    for path in ["/reports/supervision?period=2022-03", "/dashboard?period=2022-03"] {
        let (status, html) = app.page(&cookie, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("响应率 85.5%") && html.contains("解决率 70%"), "{path}: {html}");
        assert!(html.contains("标准依据：园区帮扶工作小组 2022 年第 3 次会议纪要"), "{path}: {html}");
    }
    let (_, html) = app.page(&cookie, "/reports/supervision?period=2022-03&lang=en").await;
    assert!(html.contains("Source of the thresholds"), "{html}");
}

/// A server follows zone settings stored by another process (`huiqi settings set`), and keeps
/// the ones in use when a stored text does not load.
#[tokio::test]
async fn a_server_follows_zone_settings_saved_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("huiqi.db")).unwrap();
    s.migrate().await.unwrap();
    let at = DateTime::parse_from_rfc3339("2022-03-01T09:00:00+08:00").unwrap();
    let live = web::policy_docs::Live::default();
    let f = web::policy_docs::follow_store(&s, &live).await.unwrap();
    assert!(!f.settings && f.refused.is_empty(), "none stored: {f:?}");
    assert_eq!(*live.settings(), app::settings::ZoneSettings::default());
    let kind = DocumentKind::ZoneSettings;
    let name = store::documents::ZONE_SETTINGS_NAME;
    let text = "[supervision]\nresolution_rate = 75\nsource = \"区督查办通知\"\n";
    s.put_document(kind, name, None, text.into(), &Stamp::new("admin", at)).await.unwrap();
    let f = web::policy_docs::follow_store(&s, &live).await.unwrap();
    assert!(f.settings && f.refused.is_empty(), "{f:?}");
    assert_eq!(live.settings().supervision.resolution_rate.to_string(), "75");
    s.put_document(
        kind,
        name,
        Some(1),
        "[supervision]\nresolution_rate = 175\n".into(),
        &Stamp::new("x", at),
    )
    .await
    .unwrap();
    let f = web::policy_docs::follow_store(&s, &live).await.unwrap();
    assert!(!f.settings && f.refused.len() == 1, "{f:?}");
    assert!(f.refused[0].contains("园区设置第 2 版"), "{f:?}");
    assert_eq!(live.settings().supervision.resolution_rate.to_string(), "75", "the loaded ones stay");
}
