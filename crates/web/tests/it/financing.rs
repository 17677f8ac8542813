//! Financing on the web (issue 15, 三.5 and 三.8): a bank publishes a product from its form
//! (an eligibility that does not compile comes back with the error in Chinese and what was
//! typed kept), another institution may neither open nor overwrite it; an enterprise posts a
//! demand from the page, sees its matches and may withdraw it; only the institution whose
//! product matched sees the demand and responds from the page until the loan is granted;
//! the 科技金融服务中心 officer records a bridge loan's steps with buttons offering only the
//! steps its track allows; the lights; the workbook read back; forms only when allowed.

use crate::problems::{App, app};
use crate::support::{PASSWORD, at, cheap_hash};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::{Role, Stamp};

/// Creates `name` with `role` (an institution bound to `institution`, or a department user of
/// `institution`) and signs it in.
async fn user(app: &mut App, name: &'static str, role: Role, institution: &str) {
    let now = at("2024-03-01T09:00:00+08:00");
    app.store
        .create_user(&store::NewUser {
            username: name.into(),
            role,
            password_hash: cheap_hash(PASSWORD),
            enterprise: None,
            department: (role == Role::Department).then(|| institution.to_string()),
            display_name: format!("{institution}经办"),
            at: now,
        })
        .await
        .unwrap();
    if role == Role::FinancialInstitution {
        app.store.bind_institution(name, institution, &Stamp::new("admin", now)).await.unwrap();
    }
    sign_in(app, name).await;
}

async fn sign_in(app: &mut App, name: &'static str) {
    let r = app
        .http
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "token for {name}");
    let t = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    app.tokens.insert(name, t);
}

/// A page form posted with the bearer token (which the CSRF guard lets through).
async fn form(app: &App, who: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.http.post(app.url(path)).bearer_auth(&app.tokens[who]).form(fields).send().await.unwrap()
}

async fn page(app: &App, who: &str, path: &str) -> (StatusCode, String) {
    let r = app.call(who, Method::GET, path, None).await;
    (r.status(), r.text().await.unwrap())
}

fn product_form<'a>(id: &'a str, name: &'a str, eligibility: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", id),
        ("name", name),
        ("kind_loan", "on"),
        ("amount_min", "10万"),
        ("amount_max", "500万"),
        ("term_min_months", "6"),
        ("term_max_months", "36"),
        ("rate_min", "3.45"),
        ("rate_max", "4.35"),
        ("eligibility", eligibility),
        ("description", "纯信用流动资金贷款"),
        ("active", "on"),
    ]
}

#[tokio::test]
async fn financing_from_the_forms_to_the_loan_and_the_steps() {
    let mut app = app().await;
    user(&mut app, "bank", Role::FinancialInstitution, "长沙银行高新支行").await;
    user(&mut app, "guarantee", Role::FinancialInstitution, "湖南省融资担保集团").await;
    user(&mut app, "kejin", Role::Department, app::financing::OFFICE).await;

    // The product form: for institutions and the financing officers only.
    assert_eq!(page(&app, "ent_a", "/financing/products/new").await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&app, "dept", "/financing/products/new").await.0, StatusCode::FORBIDDEN);
    let (s, html) = page(&app, "bank", "/financing/products/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"product-form\"") && !html.contains("name=\"institution\""), "{html}");
    // An eligibility that does not compile: the form again, the error in Chinese, the typed
    // text kept, nothing stored.
    let r = form(
        &app,
        "bank",
        "/financing/products",
        &product_form("cs-credit", "科创信用贷", "credit_rating == \"A\""),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let error = html.split("id=\"product-error\">").nth(1).unwrap_or_default();
    let error = &error[..error.find("</p>").unwrap_or(0)];
    assert!(error.contains("credit_rating"), "{error}");
    assert!(error.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{error}");
    assert!(html.contains("value=\"科创信用贷\"") && html.contains("credit_rating =="), "{html}");
    let listed = app.ok("bank", Method::GET, "/api/v1/financing/products", None).await;
    assert_eq!(listed.as_array().unwrap().len(), 0);
    // No kind ticked: refused too.
    let mut no_kind = product_form("cs-credit", "科创信用贷", "");
    no_kind.retain(|(k, _)| *k != "kind_loan");
    let r = form(&app, "bank", "/financing/products", &no_kind).await;
    assert!(r.text().await.unwrap().contains("id=\"product-error\""));
    // A good one: back to the list.
    let r = form(&app, "bank", "/financing/products", &product_form("cs-credit", "科创信用贷", "")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/financing#product-cs-credit");
    // The guarantee company's bridge product, through the API.
    app.ok(
        "guarantee",
        Method::POST,
        "/api/v1/financing/products",
        Some(json!({"id": "g-bridge", "name": "转贷过桥资金", "kinds": ["bridge_loan"], "amount_min": "50万",
            "amount_max": "2000万", "term_min_months": 1, "term_max_months": 3, "rate_min": "3.6", "rate_max": "7.2"})),
    )
    .await;

    // Another institution may neither open nor overwrite the bank's product.
    assert_eq!(page(&app, "guarantee", "/financing/products/cs-credit").await.0, StatusCode::NOT_FOUND);
    let mut steal = product_form("cs-credit", "被改的名字", "");
    steal.push(("version", "1"));
    let r = form(&app, "guarantee", "/financing/products", &steal).await;
    assert!(r.text().await.unwrap().contains("id=\"product-error\""));
    let (s, html) = page(&app, "bank", "/financing/products/cs-credit").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"科创信用贷\"") && html.contains("name=\"version\" value=\"1\""), "{html}");
    // The bank edits its own: version 2, the name changed.
    let mut edit = product_form("cs-credit", "科创信用贷（2024版）", "");
    edit.push(("version", "1"));
    assert_eq!(form(&app, "bank", "/financing/products", &edit).await.status(), StatusCode::SEE_OTHER);
    let (_, list) = page(&app, "bank", "/financing").await;
    assert!(list.contains("科创信用贷（2024版）") && list.contains("href=\"/financing/products/cs-credit\""));
    let (_, list) = page(&app, "guarantee", "/financing").await;
    assert!(!list.contains("科创信用贷") && list.contains("href=\"/financing/products/g-bridge\""), "{list}");

    // The enterprise posts a loan demand from its page: matched to the bank's product.
    let (_, mine) = page(&app, "ent_a", "/financing").await;
    assert!(mine.contains("id=\"post\"") && !mine.contains("id=\"new-product\""));
    let r = form(
        &app,
        "ent_a",
        "/financing",
        &[
            ("kind", "loan"),
            ("amount", "100万"),
            ("term_months", "12"),
            ("purpose", "采购原材料"),
            ("urgency", "urgent"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loan: i64 =
        r.headers()["location"].to_str().unwrap().trim_start_matches("/financing/").parse().unwrap();
    let (_, html) = page(&app, "ent_a", &format!("/financing/{loan}")).await;
    assert!(html.contains("id=\"match-cs-credit\"") && html.contains("已匹配"), "{html}");
    assert!(
        html.contains("id=\"close\"") && !html.contains("id=\"respond\"") && !html.contains("id=\"steps\"")
    );
    // A bridge loan through the API: the guarantee company's product.
    let bridge = app
        .ok(
            "ent_a",
            Method::POST,
            "/api/v1/financing/demands",
            Some(json!({"kind": "bridge_loan", "amount": "300万", "term_months": 2, "purpose": "续贷过桥"})),
        )
        .await["id"]
        .as_i64()
        .unwrap();

    // Each institution sees only the demands matched to its products.
    let ids = |v: Value| v.as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(app.ok("bank", Method::GET, "/api/v1/financing/demands", None).await), vec![loan]);
    assert_eq!(ids(app.ok("guarantee", Method::GET, "/api/v1/financing/demands", None).await), vec![bridge]);
    assert_eq!(page(&app, "guarantee", &format!("/financing/{loan}")).await.0, StatusCode::NOT_FOUND);
    let r = form(
        &app,
        "guarantee",
        &format!("/financing/{loan}/respond"),
        &[("product", "g-bridge"), ("response", "accepted")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // An enterprise other than the owner sees nothing of it.
    assert_eq!(page(&app, "ent_b", &format!("/financing/{loan}")).await.0, StatusCode::NOT_FOUND);

    // The bank answers from the page: declining needs a reason; accepted, then granted.
    let (_, html) = page(&app, "bank", &format!("/financing/{loan}")).await;
    assert!(html.contains("id=\"respond\"") && !html.contains("id=\"close\""), "{html}");
    let r = form(
        &app,
        "bank",
        &format!("/financing/{loan}/respond"),
        &[("product", "cs-credit"), ("response", "declined")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = form(
        &app,
        "bank",
        &format!("/financing/{loan}/respond"),
        &[("product", "cs-credit"), ("response", "accepted")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = form(
        &app,
        "bank",
        &format!("/financing/{loan}/respond"),
        &[("product", "cs-credit"), ("response", "granted"), ("amount", "90万"), ("date", "2024-03-01")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, "ent_a", &format!("/financing/{loan}")).await;
    assert!(html.contains("已放款") && html.contains("900000 元"), "{html}");
    assert!(!html.contains("id=\"close\""), "no withdrawing a granted demand");
    let (_, html) = page(&app, "bank", &format!("/financing/{loan}")).await;
    assert!(!html.contains("id=\"respond\""), "no responding after the outcome");

    // The officer's step buttons: only those the bridge loan's track allows from where it is.
    let (_, html) = page(&app, "bank", &format!("/financing/{bridge}")).await;
    assert_eq!(html, html.replace("id=\"steps\"", ""), "institutions record no steps");
    let (_, html) = page(&app, "kejin", &format!("/financing/{bridge}")).await;
    assert!(html.contains("id=\"step-review\"") && !html.contains("id=\"step-approved\""), "{html}");
    assert!(!html.contains("id=\"step-disbursed\""));
    let step = |s: &'static str, note: &'static str| {
        let app = &app;
        async move {
            form(app, "kejin", &format!("/financing/{bridge}/step"), &[("step", s), ("reason", note)]).await
        }
    };
    assert_eq!(step("disbursed", "").await.status(), StatusCode::CONFLICT);
    assert_eq!(step("review", "材料齐全").await.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, "kejin", &format!("/financing/{bridge}")).await;
    assert!(html.contains("id=\"step-approved\"") && html.contains("id=\"step-refused\""), "{html}");
    assert!(!html.contains("id=\"step-review\""));
    assert_eq!(step("refused", "").await.status(), StatusCode::BAD_REQUEST, "refusing needs a note");
    app.ok(
        "kejin",
        Method::POST,
        &format!("/api/v1/financing/demands/{bridge}/step"),
        Some(json!({"step": "approved"})),
    )
    .await;
    app.ok(
        "kejin",
        Method::POST,
        &format!("/api/v1/financing/demands/{bridge}/step"),
        Some(json!({"step": "disbursed"})),
    )
    .await;
    let (_, html) = page(&app, "kejin", &format!("/financing/{bridge}")).await;
    assert!(
        html.contains("已放款") && html.contains("id=\"step-repaid\""),
        "a granted bridge loan is repaid"
    );
    let r = app
        .call(
            "ent_a",
            Method::POST,
            &format!("/api/v1/financing/demands/{bridge}/step"),
            Some(json!({"step": "repaid"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Lights: a demand left matched past its time limit is red on the officer's list.
    let late = app
        .ok(
            "ent_a",
            Method::POST,
            "/api/v1/financing/demands",
            Some(json!({"kind": "loan", "amount": "50万", "term_months": 12, "purpose": "发工资"})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.clock.set(at("2024-05-06T09:00:00+08:00"));
    app.sign_in_all().await;
    for u in ["bank", "guarantee", "kejin"] {
        sign_in(&mut app, u).await;
    }
    let (_, html) = page(&app, "kejin", "/financing").await;
    assert!(html.contains("id=\"lights\"") && html.contains("红灯（逾期）"), "{html}");
    assert!(html.contains(&format!("id=\"demand-{late}\" class=\"light-red\"")), "{html}");
    let reds = app.ok("kejin", Method::GET, "/api/v1/financing/demands?light=red", None).await;
    assert_eq!(ids(reds), vec![late]);

    // The workbook, read back: officers and institutions, not enterprises.
    let x = app.call("kejin", Method::GET, "/financing/export.xlsx", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[0].0, "融资需求");
    assert_eq!(sheets[0].1.len(), 4, "a header and three demands: {:?}", sheets[0].1);
    assert!(sheets[0].1.iter().any(|r| r.iter().any(|c| c == "已放款")));
    let x = app.call("bank", Method::GET, "/financing/export.xlsx", None).await;
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 3, "the bank's two matched demands: {:?}", sheets[0].1);
    assert_eq!(
        app.call("ent_a", Method::GET, "/financing/export.xlsx", None).await.status(),
        StatusCode::FORBIDDEN
    );
}
