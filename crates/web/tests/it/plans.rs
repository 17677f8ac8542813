//! 一企一对策 plans and credit repair cases over HTTP (issue 15, 三.7 and 三.16): the officer
//! of the running department (经济发展局, which also holds the credit office) makes a plan
//! through the API; an owner department updates only its own measure (403 on another's); the
//! pages offer only the forms the reader may use (the enterprise reads, the owner department
//! updates its measure, the running department adds measures and reviews); another
//! enterprise's plan and case are 404; the lights (behind schedule, review overdue, late step)
//! show on the lists; the workbooks download and read back; forms post from the pages.

use crate::problems::{App, app};
use crate::support::{PASSWORD, at, cheap_hash};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::Role;

/// The fixture with an officer of 经济发展局 (`econ`), who runs both services.
async fn with_econ() -> App {
    let mut app = app().await;
    app.store
        .create_user(&store::NewUser {
            username: "econ".into(),
            role: Role::Department,
            password_hash: cheap_hash(PASSWORD),
            enterprise: None,
            department: Some("economic_development".into()),
            display_name: "经发局李科长".into(),
            at: at("2024-03-01T09:00:00+08:00"),
        })
        .await
        .unwrap();
    sign_in_econ(&mut app).await;
    app
}

async fn sign_in_econ(app: &mut App) {
    let r = app
        .http
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "econ", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    app.tokens.insert("econ", t);
}

async fn page(app: &App, who: &str, p: &str) -> (StatusCode, String) {
    let r = app.call(who, Method::GET, p, None).await;
    (r.status(), r.text().await.unwrap())
}

/// Posts a page's form (bearer: no CSRF token needed) and returns the status and Location.
async fn post_form(app: &App, who: &str, p: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = app.http.post(app.url(p)).bearer_auth(&app.tokens[who]).form(form).send().await.unwrap();
    let loc = r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let s = r.status();
    let body = r.text().await.unwrap();
    assert!(s.is_redirection() || !s.is_success(), "{p}: {s} {body}");
    (s, loc)
}

#[tokio::test]
async fn a_plan_over_http_with_its_permissions_and_forms() {
    let mut app = with_econ().await;
    let body = json!({
        "uscc": app.a, "programme": "倍增", "diagnosed_on": "2024-02-20",
        "experts": "湖南大学专家团队", "findings": "研发投入偏低，融资渠道单一。",
        "measures": [
            {"title": "辅导申报研发费用加计扣除", "owner_department": "税务局", "deadline": "2024-03-20"},
            {"title": "引进高端研发人才", "owner_department": "organization_personnel", "deadline": "2024-06-30"}
        ]
    });
    for who in ["ent_a", "dept", "leader"] {
        let r = app.call(who, Method::POST, "/api/v1/plans", Some(body.clone())).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} does not make plans");
    }
    let mut bad = body.clone();
    bad["measures"][0]["deadline"] = json!("2024-02-01");
    let r = app.call("econ", Method::POST, "/api/v1/plans", Some(bad)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(text.contains("measures[0].deadline") && text.contains("不能早于今天"), "{text}");
    let p = app.ok("econ", Method::POST, "/api/v1/plans", Some(body)).await;
    let id = p["id"].as_i64().unwrap();
    let tax = p["measures"][0]["id"].as_i64().unwrap();
    let hr = p["measures"][1]["id"].as_i64().unwrap();
    assert_eq!(p["measures"][0]["owner_department"], "tax_bureau");
    assert_eq!(p["programme_zh"], "倍增");

    // Who reads it: the enterprise its own, not B (404, not 403); officials all.
    let r = app.call("ent_b", Method::GET, &format!("/api/v1/plans/{id}"), None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(page(&app, "ent_b", &format!("/plans/{id}")).await.0, StatusCode::NOT_FOUND);
    assert!(app.ok("ent_b", Method::GET, "/api/v1/plans", None).await.as_array().unwrap().is_empty());
    let own = app.ok("ent_a", Method::GET, &format!("/api/v1/plans/{id}"), None).await;
    assert_eq!((own["editable"].as_array().unwrap().len(), own["manages"].as_bool()), (0, Some(false)));
    for who in ["leader", "supervisor", "cadre", "dept", "dept_hr"] {
        let list = app.ok(who, Method::GET, "/api/v1/plans", None).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{who} sees the plan");
    }
    let mine = app.ok("dept", Method::GET, &format!("/api/v1/plans/{id}"), None).await;
    assert_eq!(mine["editable"], json!([tax]), "the tax bureau updates its measure only");

    // The pages: forms only where allowed.
    let (s, html) = page(&app, "ent_a", &format!("/plans/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("辅导申报研发费用加计扣除") && html.contains("税务局") && html.contains("组织人事局")
    );
    for form in ["measure-form", "review-form", "add-measure-form"] {
        assert!(!html.contains(form), "the enterprise gets no {form}");
    }
    let (_, html) = page(&app, "dept", &format!("/plans/{id}")).await;
    assert_eq!(html.matches("class=\"action measure-form\"").count(), 1, "{html}");
    assert!(html.contains(&format!("/plans/{id}/measures/{tax}\"")) && !html.contains("review-form"));
    let (_, html) = page(&app, "econ", &format!("/plans/{id}")).await;
    assert_eq!(html.matches("class=\"action measure-form\"").count(), 2);
    assert!(html.contains("review-form") && html.contains("add-measure-form"));
    let (_, html) = page(&app, "leader", &format!("/plans/{id}")).await;
    assert!(!html.contains("measure-form") && !html.contains("review-form"), "leaders read");

    // A department cannot update another's measure; the owner can.
    let done = json!({"status": "done", "note": "已完成加计扣除申报"});
    let r = app
        .call("dept", Method::POST, &format!("/api/v1/plans/{id}/measures/{hr}"), Some(done.clone()))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .call("ent_a", Method::POST, &format!("/api/v1/plans/{id}/measures/{tax}"), Some(done.clone()))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .call("ent_b", Method::POST, &format!("/api/v1/plans/{id}/measures/{tax}"), Some(done.clone()))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let v = app.ok("dept", Method::POST, &format!("/api/v1/plans/{id}/measures/{tax}"), Some(done)).await;
    assert_eq!((v["measures"][0]["status"].as_str(), v["done"].as_u64()), (Some("done"), Some(1)));
    let again = json!({"status": "in_progress"});
    let r = app.call("dept", Method::POST, &format!("/api/v1/plans/{id}/measures/{tax}"), Some(again)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a done measure is final");
    // A stale version (the form showed the plan before the tax bureau's update) is refused.
    let stale = json!({"note": "资料收集中", "version": p["version"]});
    let r =
        app.call("dept_hr", Method::POST, &format!("/api/v1/plans/{id}/measures/{hr}"), Some(stale)).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    // The HR bureau updates its measure from the page's form.
    let (s, loc) = post_form(
        &app,
        "dept_hr",
        &format!("/plans/{id}/measures/{hr}"),
        &[("status", "in_progress"), ("note", "已对接人才市场")],
    )
    .await;
    assert_eq!((s, loc), (StatusCode::SEE_OTHER, format!("/plans/{id}#measure-{hr}")));
    // The running department adds a measure from the page (due before the quarter's end).
    let (s, _) = post_form(
        &app,
        "econ",
        &format!("/plans/{id}/measures"),
        &[
            ("title", "协调厂房用地报批"),
            ("owner_department", "administrative_approval"),
            ("deadline", "2024-03-15"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = post_form(
        &app,
        "dept",
        &format!("/plans/{id}/measures"),
        &[("title", "x"), ("deadline", "2024-03-15")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // In April: the added measure is behind and the first quarter ended without a review.
    app.clock.set(at("2024-04-02T09:00:00+08:00"));
    app.sign_in_all().await;
    sign_in_econ(&mut app).await;
    let behind = app.ok("leader", Method::GET, "/api/v1/plans?behind=true", None).await;
    assert_eq!(behind[0]["behind"].as_array().unwrap().len(), 1);
    assert_eq!(behind[0]["review_overdue"], true);
    let (_, html) = page(&app, "leader", "/plans?behind=true").await;
    let row = html.split(&format!("id=\"plan-{id}\"")).nth(1).unwrap_or_default();
    assert!(
        row.starts_with(" class=\"light-red\"") && row.contains("措施滞后 1") && row.contains("评估逾期"),
        "{html}"
    );
    assert!(!html.contains("plan-form"), "leaders do not make plans");
    let (_, html) = page(&app, "econ", "/plans").await;
    assert!(html.contains("plan-form") && html.contains("plans-export"));
    let (_, html) = page(&app, "ent_a", "/").await;
    let home = html.split("id=\"home-plans\"").nth(1).unwrap_or_default();
    assert!(home.contains(&format!("/plans/{id}")) && home.contains("滞后 1"), "{html}");

    // The workbook: plans, measures, reviews; not for enterprises.
    let x = app.call("leader", Method::GET, "/plans/export.xlsx", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["方案", "措施", "评估"]);
    assert_eq!(sheets[1].1.len(), 4, "a header and three measures: {:?}", sheets[1].1);
    assert!(sheets[1].1.iter().any(|r| r.iter().any(|c| c == "滞后")), "{:?}", sheets[1].1);
    assert_eq!(
        app.call("ent_a", Method::GET, "/plans/export.xlsx", None).await.status(),
        StatusCode::FORBIDDEN
    );

    // The review closes the plan; then nobody gets a form.
    let r = app
        .call("dept", Method::POST, &format!("/api/v1/plans/{id}/reviews"), Some(json!({"conclusion": "x"})))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _) = post_form(
        &app,
        "econ",
        &format!("/plans/{id}/reviews"),
        &[("conclusion", "一季度评估：主要目标达成，方案结束。"), ("close", "true")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let v = app.ok("econ", Method::GET, &format!("/api/v1/plans/{id}"), None).await;
    assert_eq!((v["closed_on"].as_str(), v["manages"].as_bool()), (Some("2024-04-02"), Some(false)));
    let (_, html) = page(&app, "econ", &format!("/plans/{id}")).await;
    assert!(html.contains("一季度评估") && html.contains("plan-closed"));
    assert!(!html.contains("measure-form") && !html.contains("review-form"));
    assert!(app.ok("leader", Method::GET, "/api/v1/plans", None).await.as_array().unwrap().is_empty());
    assert_eq!(
        app.ok("leader", Method::GET, "/api/v1/plans?closed=true", None).await.as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_credit_repair_case_over_http_with_its_steps() {
    let mut app = with_econ().await;
    let body = json!({
        "uscc": app.a, "source": "市场监管局2022年第12号行政处罚决定", "record_date": "2022-05-10",
        "kind": "行政处罚", "conditions": "履行处罚决定；参加培训；签署承诺。"
    });
    for who in ["ent_a", "dept", "leader"] {
        let r = app.call(who, Method::POST, "/api/v1/credit-repair", Some(body.clone())).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} is not the credit office");
    }
    let c = app.ok("econ", Method::POST, "/api/v1/credit-repair", Some(body)).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!((c["step"].as_str(), c["next"].as_str()), (Some("recorded"), Some("training_attended")));
    let due = c["training_due"].as_str().unwrap().to_string();

    assert_eq!(
        app.call("ent_b", Method::GET, &format!("/api/v1/credit-repair/{id}"), None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(page(&app, "ent_b", &format!("/credit-repair/{id}")).await.0, StatusCode::NOT_FOUND);
    // The enterprise reads its case with what to do next, and no form.
    let (s, html) = page(&app, "ent_a", &format!("/credit-repair/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("参加区社会信用办组织的信用修复培训") && html.contains(&due), "{html}");
    assert!(!html.contains("advance-form"));
    let (_, html) = page(&app, "ent_a", "/").await;
    let home = html.split("id=\"home-repairs\"").nth(1).unwrap_or_default();
    assert!(home.contains(&format!("/credit-repair/{id}")) && home.contains("行政处罚"), "{html}");
    // The office's page offers the next step only.
    let d = app.ok("econ", Method::GET, &format!("/api/v1/credit-repair/{id}"), None).await;
    assert_eq!(d["choices"], json!(["training_attended"]));
    let (_, html) = page(&app, "econ", &format!("/credit-repair/{id}")).await;
    assert!(html.contains("advance-form") && html.contains("value=\"training_attended\""));
    assert!(!html.contains("value=\"repaired\""));
    let (_, html) = page(&app, "leader", &format!("/credit-repair/{id}")).await;
    assert!(!html.contains("advance-form"), "the leader reads");
    // Out of order: 409; not the office: 403.
    let r = app
        .call(
            "econ",
            Method::POST,
            &format!("/api/v1/credit-repair/{id}/steps"),
            Some(json!({"step": "repaired"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = app
        .call(
            "dept",
            Method::POST,
            &format!("/api/v1/credit-repair/{id}/steps"),
            Some(json!({"step": "training_attended"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Past the training deadline: lit on the office's list.
    app.clock.set(at(&format!("{due}T09:00:00+08:00")) + chrono::Duration::days(1));
    app.sign_in_all().await;
    sign_in_econ(&mut app).await;
    let late = app.ok("leader", Method::GET, "/api/v1/credit-repair?late=true", None).await;
    assert_eq!(late.as_array().unwrap().len(), 1);
    let (_, html) = page(&app, "econ", "/credit-repair?late=true").await;
    let row = html.split(&format!("id=\"repair-{id}\"")).nth(1).unwrap_or_default();
    assert!(row.starts_with(" class=\"light-red\"") && row.contains("逾期"), "{html}");
    assert!(html.contains("repair-form"));

    // The office records the steps from the page; the refusal needs its reason.
    for step in ["training_attended", "commitment_signed", "application_submitted"] {
        let (s, loc) =
            post_form(&app, "econ", &format!("/credit-repair/{id}/steps"), &[("step", step)]).await;
        assert_eq!((s, loc), (StatusCode::SEE_OTHER, format!("/credit-repair/{id}")));
    }
    let d = app.ok("econ", Method::GET, &format!("/api/v1/credit-repair/{id}"), None).await;
    assert_eq!(d["choices"], json!(["repaired", "refused"]));
    let r = app
        .call(
            "econ",
            Method::POST,
            &format!("/api/v1/credit-repair/{id}/steps"),
            Some(json!({"step": "refused"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v = app
        .ok(
            "econ",
            Method::POST,
            &format!("/api/v1/credit-repair/{id}/steps"),
            Some(json!({"step": "refused", "reason": "仍有未履行的处罚决定"})),
        )
        .await;
    assert_eq!(v["step_zh"], "未通过");
    let (_, html) = page(&app, "ent_a", &format!("/credit-repair/{id}")).await;
    assert!(html.contains("仍有未履行的处罚决定") && html.contains("未通过"));

    // The workbook reads back.
    let x = app.call("supervisor", Method::GET, "/credit-repair/export.xlsx", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[0].0, "信用修复");
    assert_eq!(sheets[0].1.len(), 2, "a header and the case");
    assert!(sheets[0].1[1].iter().any(|c| c == "仍有未履行的处罚决定"), "{:?}", sheets[0].1);
    assert_eq!(
        app.call("ent_a", Method::GET, "/credit-repair/export.xlsx", None).await.status(),
        StatusCode::FORBIDDEN
    );
}
