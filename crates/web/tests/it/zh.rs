//! Chinese throughout: every page each role reaches from its navigation, plus one of each
//! detail page, rendered in zh-CN, holds no English word outside a small allow-list, no raw
//! enum value (state, action, role, warning, deadline, fact type or source, …) and no RFC 3339
//! timestamp. The zone is seeded so that every kind of page has content: an enterprise with
//! facts and decisions under the shipped policy library, problems in several states with their
//! events, a visit, and the dashboard's month.
//!
//! The allow-list ([`ALLOWED`]) holds the brand and names of formats and units that Chinese
//! offices write in Latin letters. Usernames are allowed only on the user administration page
//! (the login name is what an administrator manages there); everywhere else a user appears
//! by display name.

use crate::support;
use support::*;

use chrono::{Duration, NaiveDate};
use enterprise::{
    Enterprise, EnterpriseRecord, FactDictionary, FactRecord, FactSource, FactValue, IndustryCode, ThreeLinks,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use store::documents::{DocumentKind, DocumentStore};
use store::{EnterpriseStore, Role, Stamp, Store, UserStore};
use strum::IntoEnumIterator;
use web::{AppState, FixedClock, WebConfig};

/// Latin words a zh-CN page may show: the brand, the language switch's label (`English`,
/// marked `lang="en"`), and names of file formats, programs and units that are written in
/// Latin letters in Chinese too.
const ALLOWED: &[&str] = &[
    "huiqi",
    "English",
    "GB",
    "Excel",
    "CSV",
    "XLSX",
    "PDF",
    "JSON",
    "JSONL",
    "TOML",
    "API",
    "ID",
    "PNG",
    "JPEG",
    "GIF",
    "WebP",
    "Word",
    "PowerPoint",
    "MiB",
    "KB",
    "MB",
];

/// File name endings: a file name (`sta-2022-13-six-taxes.toml`, `企业.csv`) is the name its
/// owner gave, not interface text.
const FILE_ENDINGS: &[&str] = &[".toml", ".csv", ".xlsx", ".jsonl", ".json", ".pdf", ".docx", ".png", ".jpg"];

/// Words allowed on one page only: the keywords of the holiday calendar's file format, which
/// the administrator types on the calendar page (`date,kind,festival`, `holiday`/`workday`,
/// a `source:` line).
const PAGE_WORDS: &[(&str, &[&str])] =
    &[("/admin/calendar", &["date", "kind", "festival", "holiday", "workday", "source"])];

/// The users, their roles and Chinese display names.
const USERS: [(&str, Role, &str); 10] = [
    ("ent_a", Role::Enterprise, "甲公司联络员"),
    ("cadre", Role::Cadre, "包联干部李明"),
    ("dept", Role::Department, "税务局王科长"),
    ("leader", Role::Leader, "园区刘主任"),
    ("supervisor", Role::Supervisor, "督查室赵科长"),
    ("policy", Role::Policy, "政策室孙科长"),
    ("admin", Role::Admin, "系统管理员"),
    ("dept_hr", Role::Department, "组织人事部周干事"),
    ("bank", Role::FinancialInstitution, "长沙银行客户经理"),
    ("kejin", Role::Department, "科技金融服务中心陈干事"),
];

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn fact(name: &str, year: Option<i32>, value: FactValue, source: FactSource) -> FactRecord {
    FactRecord { fact: name.into(), year, value, source, as_of: day("2024-01-31") }
}

fn record(n: u32, name: &str) -> EnterpriseRecord {
    EnterpriseRecord {
        scope: Default::default(),
        enterprise: Enterprise {
            uscc: code(n),
            name: name.into(),
            registered_in_zone: true,
            tax_registered_in_zone: n == 1,
            industry_code: Some(IndustryCode::parse("C3511").unwrap()),
            established_on: Some(day("2015-06-01")),
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: BTreeSet::from(["专精特新".to_string()]),
        },
        facts: vec![
            fact("employees", Some(2023), FactValue::Integer(52), FactSource::Tax),
            fact("hitech_first_recognized_on", None, FactValue::Date(day("2023-12-20")), FactSource::Zone),
        ],
    }
}

fn shipped_files() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

struct App {
    base: String,
    http: reqwest::Client,
    clock: Arc<FixedClock>,
    tokens: HashMap<&'static str, String>,
    a: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl App {
    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    async fn sign_in_all(&mut self) {
        for (u, _, _) in USERS {
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

    async fn post(&self, who: &str, p: &str, body: Value) -> Value {
        let r = self.http.post(self.url(p)).bearer_auth(&self.tokens[who]).json(&body).send().await.unwrap();
        let s = r.status();
        let text = r.text().await.unwrap();
        assert!(s.is_success(), "{who} POST {p}: {s} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn raise(&self, title: &str, category: &str) -> i64 {
        let p = self.post("ent_a", "/api/v1/problems", json!({"category": category, "title": title})).await;
        p["id"].as_i64().unwrap()
    }

    async fn act(&self, who: &str, id: i64, body: Value) {
        self.post(who, &format!("/api/v1/problems/{id}/actions"), body).await;
    }

    /// A page as `who` sees it in Chinese: its status and HTML.
    async fn page(&self, who: &str, p: &str) -> (StatusCode, String, String) {
        let r = self.http.get(self.url(p)).bearer_auth(&self.tokens[who]).send().await.unwrap();
        let s = r.status();
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (s, ct, r.text().await.unwrap_or_default())
    }
}

async fn app() -> App {
    let now = at("2024-03-01T09:00:00+08:00");
    let (s, dir) = seeded_store(
        now,
        vec![record(1, "长沙甲科技有限公司"), record(2, "长沙乙制造有限公司")],
        &[],
        |_, _| None,
    )
    .await;
    let hash = cheap_hash(PASSWORD);
    for (name, role, display) in USERS {
        s.create_user(&store::NewUser {
            username: name.into(),
            role,
            password_hash: hash.clone(),
            enterprise: (name == "ent_a").then(|| code(1)),
            department: match name {
                "dept" => Some("tax_bureau".into()),
                "dept_hr" => Some("organization_personnel".into()),
                "kejin" => Some(app::financing::OFFICE.into()),
                _ => None,
            },
            display_name: display.into(),
            at: now,
        })
        .await
        .unwrap();
    }
    store::financing::FinancingStore::bind_institution(
        &s,
        "bank",
        "长沙银行高新支行",
        &Stamp::new("admin", now),
    )
    .await
    .unwrap();
    let links = ThreeLinks {
        leader: Some("leader".into()),
        department: Some("tax_bureau".into()),
        cadre: Some("cadre".into()),
    };
    s.set_three_links(&code(1), &links, &Stamp::new("admin", now)).await.unwrap();
    s.seed_documents(DocumentKind::Policy, shipped_files(), &Stamp::new("seed", now)).await.unwrap();
    let limits = include_str!("../../../handling/data/time_limits.toml").to_string();
    let limits = vec![(store::documents::TIME_LIMITS_NAME.to_string(), limits)];
    s.seed_documents(DocumentKind::TimeLimits, limits, &Stamp::new("seed", now)).await.unwrap();
    let files: Vec<rules::SourceFile> =
        shipped_files().into_iter().map(|(name, text)| rules::SourceFile { name, text }).collect();
    let (library, diags) = rules::Library::load(&files, FactDictionary::official());
    assert!(diags.is_empty(), "{diags:?}");
    let clock = Arc::new(FixedClock::new(now));
    let store: Arc<dyn Store> = Arc::new(s);
    let state =
        AppState::new(store, WebConfig::default()).with_clock(clock.clone()).with_library(Arc::new(library));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve_until(listener, state, async {
        let _ = rx.await;
    }));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut app =
        App { base, http, clock, tokens: HashMap::new(), a: code(1).to_string(), _stop: tx, _dir: dir };
    app.sign_in_all().await;
    app
}

/// Problems in several states with their events, a visit with the problem it found, and a
/// month of handling for the dashboard and the reports.
async fn seed_work(app: &mut App) -> Vec<i64> {
    let submitted = app.raise("留抵退税进度查询", "涉税").await;
    let closed = app.raise("厂房消防验收", "涉税").await;
    let working = app.raise("用电增容申请", "涉税").await;
    let answered = app.raise("出口退税单证", "涉税").await;
    let visit = app
        .post(
            "cadre",
            "/api/v1/visits",
            json!({"enterprise": app.a, "date": "2024-03-01", "findings": "用工紧张",
                "problems": [{"category": "人才招聘", "title": "招聘技术工人困难"}]}),
        )
        .await;
    let from_visit = visit["problems"][0].as_i64().unwrap();
    // Financing: a bank's product, a loan demand it accepted, a bridge loan at its first step.
    app.post(
        "bank",
        "/api/v1/financing/products",
        json!({"id": "cs-credit", "name": "科创信用贷", "kinds": ["loan", "bridge_loan"], "amount_min": "10万",
            "amount_max": "500万", "term_min_months": 1, "term_max_months": 36, "rate_min": "3.45", "rate_max": "4.35"}),
    )
    .await;
    let loan = app
        .post(
            "ent_a",
            "/api/v1/financing/demands",
            json!({"kind": "loan", "amount": "100万", "term_months": 12, "purpose": "采购原材料", "collateral": ["应收账款"]}),
        )
        .await;
    let loan = loan["id"].as_i64().unwrap();
    app.post(
        "bank",
        &format!("/api/v1/financing/demands/{loan}/respond"),
        json!({"product": "cs-credit", "response": "accepted"}),
    )
    .await;
    app.post(
        "ent_a",
        "/api/v1/financing/demands",
        json!({"kind": "bridge_loan", "amount": "200万", "term_months": 2, "purpose": "续贷过桥"}),
    )
    .await;
    // Utility arrears: one paid in the window with a late fee charged all the same (a violation
    // raised as a problem), one open in its window.
    let csv = format!(
        "供应单位,记录编号,统一社会信用代码,类别,欠费金额,欠费日期,补缴日期,滞纳金,滞纳金收取日期\n\
         长沙供水有限公司,SF-01,{a},水,1280.50,2024-01-10,2024-02-01,15.00,2024-02-20\n\
         长沙供水有限公司,SF-02,{a},水,300,2024-02-26,,,\n",
        a = app.a
    );
    let arrears =
        app.post("admin", "/api/v1/utilities/import", json!({"file_name": "sf.csv", "csv": csv})).await;
    assert_eq!(arrears["problems_raised"].as_array().map(Vec::len), Some(1), "{arrears}");
    // A policy draft waiting for review (its page is crawled from the policies page).
    let doc = "zone-sample-2022.toml";
    let path = format!("/api/v1/policy-documents/{doc}");
    let r = app.http.get(app.url(&path)).bearer_auth(&app.tokens["policy"]).send().await.unwrap();
    let body = r.json::<Value>().await.unwrap()["body"].as_str().unwrap().replacen(
        "title = \"",
        "title = \"【修订】",
        1,
    );
    let r = app
        .http
        .put(app.url(&path))
        .bearer_auth(&app.tokens["policy"])
        .header("if-match", "\"1\"")
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "a policy draft");
    app.clock.advance(Duration::hours(1));
    for id in [closed, working, answered] {
        app.act("dept", id, json!({"action": "accept"})).await;
        app.act(
            "dept",
            id,
            json!({"action": "assign", "lead": "税务局", "handler": "王科长", "cooperating": ["财政分局"]}),
        )
        .await;
        app.act("dept", id, json!({"action": "start"})).await;
    }
    app.clock.advance(Duration::days(3));
    app.sign_in_all().await;
    for id in [closed, answered] {
        app.act("dept", id, json!({"action": "answer", "outcome": "resolved", "note": "已办结"})).await;
    }
    app.act("ent_a", closed, json!({"action": "confirm", "rating": "满意", "solved": true})).await;
    app.act("dept", closed, json!({"action": "close"})).await;
    // Past the answer deadline of the one still in progress: it turns red.
    app.clock.advance(Duration::days(10));
    app.sign_in_all().await;
    vec![submitted, closed, working, answered, from_visit]
}

/// A 一企一对策 plan for enterprise A with a measure of the tax bureau (behind schedule by the
/// end of the seeded month) and a credit repair case past its training: their pages, made by
/// the administrator (who runs both services).
async fn seed_services(app: &App) -> Vec<String> {
    let plan = app
        .post(
            "admin",
            "/api/v1/plans",
            json!({"uscc": app.a, "programme": "高成长", "diagnosed_on": "2024-02-20",
                "experts": "园区专家团队", "findings": "研发投入偏低。",
                "measures": [{"title": "辅导研发费用加计扣除", "owner_department": "tax_bureau", "deadline": "2024-03-05"}]}),
        )
        .await;
    let case = app
        .post(
            "admin",
            "/api/v1/credit-repair",
            json!({"uscc": app.a, "source": "市场监管局行政处罚决定", "record_date": "2022-05-10", "kind": "行政处罚"}),
        )
        .await;
    let c = case["id"].as_i64().unwrap();
    app.post("admin", &format!("/api/v1/credit-repair/{c}/steps"), json!({"step": "training_attended"}))
        .await;
    // A legal consultation taken down at the hotline for enterprise A (三.14).
    let legal = app
        .post(
            "admin",
            "/api/v1/legal/consultations",
            json!({"uscc": app.a, "channel": "hotline", "topic": "合同履约", "question": "疫情期间无法按期交货，是否构成违约？"}),
        )
        .await;
    let l = legal["consultation"]["id"].as_i64().unwrap();
    // A logistics profile and an obstruction report, open on its hour (三.12).
    app.post(
        "admin",
        "/api/v1/logistics/profiles",
        json!({"uscc": app.a, "main_mode": "road", "other_modes": "rail,express", "routes": "京港澳高速；中欧班列"}),
    )
    .await;
    app.post("ent_a", "/api/v1/problems", json!({"category": "logistics", "title": "货车进园受阻"})).await;
    vec![
        format!("/plans/{}", plan["id"].as_i64().unwrap()),
        format!("/credit-repair/{c}"),
        format!("/legal/{l}"),
        "/logistics".to_string(),
        format!("/logistics?edit={}", app.a),
    ]
}

/// Every raw enum value of the domain that a page could leak: states, actions, roles,
/// warnings, deadlines, reasons, fact types and sources, session, import, follow-up and
/// document kinds.
fn raw_enum_values() -> BTreeSet<&'static str> {
    fn names<T: IntoEnumIterator + Into<&'static str>>() -> Vec<&'static str> {
        T::iter().map(Into::into).collect()
    }
    let mut all = BTreeSet::new();
    all.extend(names::<handling::state::State>());
    all.extend(names::<handling::action::ActionKind>());
    all.extend(names::<handling::action::ExplainReason>());
    all.extend(names::<handling::action::DeadlineName>());
    all.extend(names::<handling::actor::Role>());
    all.extend(names::<handling::deadline::Warning>());
    all.extend(names::<enterprise::FactType>());
    all.extend(names::<enterprise::FactSource>());
    all.extend(names::<store::Role>());
    all.extend(names::<store::ImportFormat>());
    all.extend(names::<store::documents::DocumentKind>());
    all.extend(names::<store::follow_ups::FollowUpKind>());
    all.extend(names::<store::drafts::DraftState>());
    all.extend(names::<store::plans::Programme>());
    all.extend(names::<store::plans::MeasureStatus>());
    all.extend(names::<store::credit_repair::RepairStep>());
    all.extend(names::<store::credit_repair::RecordKind>());
    all.extend(names::<services::legal::Topic>());
    all.extend(names::<services::legal::Channel>());
    all.extend(names::<services::legal::State>());
    all
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Removes every `<open …>…</close>` block (scripts, styles) and `<!-- … -->` comment.
fn drop_blocks(html: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        match rest[i..].find(close) {
            Some(j) => rest = &rest[i + j + close.len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// The text a reader sees: the page without scripts, styles, comments and tags, plus the
/// attribute texts shown to users (placeholder, title, aria-label, alt).
fn visible_text(html: &str) -> String {
    let mut h = drop_blocks(html, "<script", "</script>");
    h = drop_blocks(&h, "<style", "</style>");
    h = drop_blocks(&h, "<!--", "-->");
    // A text area holds the document being edited (a policy file, the time limits), the
    // user's own text, not the page's.
    h = drop_blocks(&h, "<textarea", "</textarea>");
    // So does a policy draft's diff (the lines of the document, not the page's words).
    h = drop_blocks(&h, "<pre class=\"doc-text\"", "</pre>");
    // And a financial product's eligibility and id (the institution's text in the rule
    // language, as a policy file's expressions).
    h = drop_blocks(&h, "<code class=\"rule\"", "</code>");
    let mut text = String::new();
    let mut attrs = String::new();
    let mut rest = h.as_str();
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        text.push(' ');
        let Some(j) = rest[i..].find('>') else { break };
        let tag = &rest[i..i + j];
        for a in ["placeholder=\"", "title=\"", "aria-label=\"", "alt=\""] {
            if let Some(k) = tag.find(a) {
                let v = &tag[k + a.len()..];
                attrs.push(' ');
                attrs.push_str(&v[..v.find('"').unwrap_or(v.len())]);
            }
        }
        rest = &rest[i + j + 1..];
    }
    text.push_str(rest);
    unescape(&(text + " " + &attrs))
}

/// The Latin words of a text that are neither allowed nor parts of numbers, codes, e-mail
/// addresses or URLs.
fn latin_words(text: &str, allowed: &BTreeSet<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || "_-.@:/".contains(c))) {
        if token.contains("://") || token.contains('@') {
            continue; // a URL or an e-mail address
        }
        if FILE_ENDINGS.iter().any(|e| token.to_ascii_lowercase().ends_with(e)) {
            continue; // a file name
        }
        for part in token.split(['.', ':', '/']) {
            let part = part.trim_matches('-');
            if part.len() < 2 || part.chars().any(|c| c.is_ascii_digit()) {
                continue; // a letter, a number, a date or a code
            }
            if !allowed.contains(part) {
                out.push(part.to_string());
            }
        }
    }
    out
}

/// An RFC 3339 timestamp (`2024-03-01T09:00:00+08:00`): a date, `T`, a time.
fn timestamps(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len().saturating_sub(13) {
        let w = &b[i..i + 13];
        let digits = |r: std::ops::Range<usize>| r.into_iter().all(|k| w[k].is_ascii_digit());
        if digits(0..4)
            && w[4] == b'-'
            && digits(5..7)
            && w[7] == b'-'
            && digits(8..10)
            && w[10] == b'T'
            && digits(11..13)
        {
            out.push(String::from_utf8_lossy(&b[i..(i + 25).min(b.len())]).into_owned());
        }
    }
    out
}

/// The links of a page worth following: same-site pages, not files, downloads, the API, the
/// language switch or signing out.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let href = unescape(&part[..part.find('"').unwrap_or(0)]);
        let href = href.split('#').next().unwrap_or("").to_string();
        if !href.starts_with('/')
            || href.starts_with("//")
            || ["/static", "/favicon", "/api/", "/logout", "lang=", ".xlsx", ".csv", "download", "/openapi"]
                .iter()
                .any(|x| href.contains(x))
        {
            continue;
        }
        out.push(href);
    }
    out
}

/// A page's shape: its path with numbers and credit codes replaced, so that a crawl visits a
/// few of each kind of page rather than all of them.
fn shape(p: &str) -> String {
    let path = p.split('?').next().unwrap_or(p);
    path.split('/')
        .map(|seg| if seg.chars().any(|c| c.is_ascii_digit()) { "N" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn no_zh_page_shows_english_raw_codes_or_timestamps() {
    let mut app = app().await;
    let services = seed_services(&app).await;
    let ids = seed_work(&mut app).await;
    let enums = raw_enum_values();
    let allowed: BTreeSet<&str> = ALLOWED.iter().copied().collect();
    let usernames: BTreeSet<&str> = USERS.iter().map(|u| u.0).collect();
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut visited = 0;
    for (who, _, _) in USERS {
        // The navigation's pages and one of each detail page this role may open.
        let mut queue: VecDeque<String> =
            VecDeque::from(vec!["/".to_string(), "/account/password".to_string()]);
        queue.extend(ids.iter().map(|id| format!("/problems/{id}")));
        queue.push_back(format!("/enterprises/{}", app.a));
        queue.extend(services.iter().cloned());
        queue.push_back("/financing".to_string());
        let mut seen = BTreeSet::new();
        let mut per_shape: HashMap<String, usize> = HashMap::new();
        while let Some(p) = queue.pop_front() {
            if seen.len() >= 60 || !seen.insert(p.clone()) {
                continue;
            }
            let n = per_shape.entry(shape(&p)).or_default();
            *n += 1;
            if *n > 2 {
                continue;
            }
            let (status, ct, html) = app.page(who, &p).await;
            if !ct.starts_with("text/html") {
                continue;
            }
            assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{who} {p}: {status}");
            visited += 1;
            let text = visible_text(&html);
            let key = format!("{who} {}", p);
            for w in latin_words(&text, &allowed) {
                if shape(&p) == "/admin/users" && usernames.contains(w.as_str()) {
                    continue;
                }
                if PAGE_WORDS.iter().any(|(page, words)| shape(&p) == *page && words.contains(&w.as_str())) {
                    continue;
                }
                let kind = if enums.contains(w.as_str()) { "raw enum value" } else { "English word" };
                found.entry(key.clone()).or_default().insert(format!("{kind} {w:?}"));
            }
            for t in timestamps(&text) {
                found.entry(key.clone()).or_default().insert(format!("timestamp {t:?}"));
            }
            if status.is_success() {
                queue.extend(links(&html));
            }
        }
    }
    assert!(visited > 60, "the crawl reached only {visited} pages");
    let report: Vec<String> = found
        .iter()
        .map(|(p, ws)| format!("{p}: {}", ws.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(report.is_empty(), "zh-CN pages with English, raw codes or timestamps:\n{}", report.join("\n"));
}

/// Every shipped policy's page and every item's page, as the policy office sees them (the
/// crawl above opens only two of each shape): no English sentence from a policy file's `note`,
/// `description` or `clause` reaches a zh-CN page.
#[tokio::test]
async fn every_shipped_policy_and_item_page_is_chinese() {
    let app = app().await;
    let allowed: BTreeSet<&str> = ALLOWED.iter().copied().collect();
    let files: Vec<rules::SourceFile> =
        shipped_files().into_iter().map(|(name, text)| rules::SourceFile { name, text }).collect();
    let (lib, diags) = rules::Library::load(&files, enterprise::FactDictionary::official());
    assert!(diags.is_empty());
    let mut pages: Vec<String> = lib.policies.iter().map(|p| format!("/policies/{}", p.id)).collect();
    pages.extend(lib.items().map(|i| format!("/items/{}", i.id)));
    assert!(pages.len() > 60, "{} pages", pages.len());
    // The simulation page of every item (its parameters named in words), and a simulation run
    // on the first item that has a parameter (the result's period, money and counts).
    let mut ran = false;
    for i in lib.items() {
        let path = format!("/items/{}/simulate", i.id);
        pages.push(path.clone());
        if ran {
            continue;
        }
        let (_, _, html) = app.page("policy", &path).await;
        if let Some(at) = html.find("<option value=\"") {
            let rest = &html[at + 15..];
            let param = &rest[..rest.find('"').unwrap()];
            pages.push(format!("{path}?param={param}&value=1"));
            ran = true;
        }
    }
    assert!(ran, "an item with a parameter to simulate");
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &pages {
        let (status, ct, html) = app.page("policy", p).await;
        assert!(status.is_success() && ct.starts_with("text/html"), "{p}: {status} {ct}");
        for w in latin_words(&visible_text(&html), &allowed) {
            found.entry(p.clone()).or_default().insert(w);
        }
    }
    let report: Vec<String> = found
        .iter()
        .map(|(p, ws)| format!("{p}: {}", ws.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(report.is_empty(), "policy pages with English:\n{}", report.join("\n"));
}

#[test]
fn the_scanner_sees_words_and_skips_codes_numbers_and_addresses() {
    let allowed: BTreeSet<&str> = ALLOWED.iter().copied().collect();
    let text = visible_text(
        "<style>p{color:red}</style><p title=\"overdue\">状态 in_progress 导出 Excel</p><script>var x</script>\
         91430100MA4L0X1234 2024-03-05 a@b.cn https://x.cn/y 共 1,200.00 元 sta-six.toml \
         <textarea name=\"body\">[[item]]</textarea>",
    );
    assert_eq!(latin_words(&text, &allowed), ["in_progress", "overdue"]);
    assert_eq!(timestamps("于 2024-03-01T09:00:00+08:00 提交"), ["2024-03-01T09:00:00+08:00"]);
    assert!(timestamps("2024年3月1日 09:00").is_empty());
    assert_eq!(shape("/problems/12?x=1"), "/problems/N");
}
