//! Legal consultations on the web (三.14, issue 15): enterprise A asks online through the page
//! form and sees its consultation in Chinese with only the withdraw form; enterprise B gets 404;
//! a lawyer of the legal office (社会治安综合治理局) sees the queue with the time left, answers
//! through the API and turns the answer into an FAQ (the page offers the form with the
//! enterprise's name taken out); the enterprise then sees the answer, the confirm and
//! follow-up forms and the FAQ's link; the tax officer sees only a note; a too-long question
//! is a bilingual 400; the workbook downloads for officials; the dashboard shows the line.

use crate::problems::app;
use crate::support::{PASSWORD, cheap_hash};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::Role;
use store::users::NewUser;

#[tokio::test]
async fn a_consultation_asked_answered_and_made_an_faq_over_http() {
    let app = app().await;
    app.store
        .create_user(&NewUser {
            username: "lvshi".into(),
            role: Role::Department,
            password_hash: cheap_hash(PASSWORD),
            enterprise: None,
            department: Some("public_security_governance".into()),
            display_name: "王律师".into(),
            at: crate::support::at("2024-03-01T09:00:00+08:00"),
        })
        .await
        .unwrap();
    let r = app
        .http
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "lvshi", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let lawyer = |m: Method, p: &str| app.http.request(m, app.url(p)).bearer_auth(&token);

    // Too long: 400 in both languages, naming the field.
    let r = app
        .call(
            "ent_a",
            Method::POST,
            "/api/v1/legal/consultations",
            Some(json!({"topic": "contract", "question": "合".repeat(2001)})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("question") && body.contains("2000") && body.contains("字"), "{body}");

    // The enterprise's page offers the ask form; asking through it lands on the consultation.
    let page = app.call("ent_a", Method::GET, "/legal", None).await.text().await.unwrap();
    assert!(
        page.contains("在线法律咨询")
            && page.contains("id=\"ask-form\"")
            && !page.contains("id=\"intake-form\"")
    );
    let question = "长沙甲科技有限公司的员工被集中隔离，隔离期间工资应如何支付？";
    let c = app
        .ok(
            "ent_a",
            Method::POST,
            "/api/v1/legal/consultations",
            Some(json!({"topic": "招工用工", "question": question})),
        )
        .await;
    let id = c["consultation"]["id"].as_i64().unwrap();
    assert_eq!(c["consultation"]["channel"], "online");
    assert_eq!(c["actions"], json!(["withdraw"]));
    // Friday 2024-03-01 09:00: two working days end on Tuesday 5 March.
    assert_eq!(c["consultation"]["due_at"], "2024-03-05T23:59:59+08:00");
    let page = app.call("ent_a", Method::GET, &format!("/legal/{id}"), None).await.text().await.unwrap();
    assert!(
        page.contains("待答复") && page.contains("招工用工") && page.contains("id=\"withdraw-form\""),
        "{page}"
    );
    assert!(!page.contains("id=\"answer-form\"") && !page.contains("id=\"faq-form\""), "{page}");
    assert_eq!(
        app.call("ent_b", Method::GET, &format!("/legal/{id}"), None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("ent_b", Method::GET, &format!("/api/v1/legal/consultations/{id}"), None).await.status(),
        StatusCode::NOT_FOUND
    );

    // Another department: a note, no list; the API says 403.
    let page = app.call("dept", Method::GET, "/legal", None).await.text().await.unwrap();
    assert!(page.contains("id=\"legal-outside\"") && !page.contains(question), "{page}");
    assert_eq!(
        app.call("dept", Method::GET, "/api/v1/legal/consultations", None).await.status(),
        StatusCode::FORBIDDEN
    );

    // The lawyer's queue: the time left; the answer form on the consultation.
    let html = lawyer(Method::GET, "/legal").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("还剩 4 天 14 小时") && html.contains("id=\"intake-form\""), "{html}");
    let html = lawyer(Method::GET, &format!("/legal/{id}")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"answer-form\"") && html.contains("id=\"assign-form\""), "{html}");
    let answer = "隔离期间企业应当视同劳动者提供正常劳动并支付工资。";
    let r = lawyer(Method::POST, &format!("/api/v1/legal/consultations/{id}/answer"))
        .json(&json!({"answer": answer}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = lawyer(Method::POST, &format!("/api/v1/legal/consultations/{id}/answer"))
        .json(&json!({"answer": answer}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "an answered consultation is not answered again");

    // 转为常见问题: the form proposes the question without the enterprise's name.
    let html = lawyer(Method::GET, &format!("/legal/{id}")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"faq-form\"") && html.contains("某企业的员工被集中隔离"), "{html}");
    let r = lawyer(Method::POST, &format!("/api/v1/legal/consultations/{id}/faq"))
        .json(&json!({"title": "员工被集中隔离期间，工资应如何支付？"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let faq: Value = r.json().await.unwrap();
    assert_eq!((faq["kind"].as_str(), faq["state"].as_str()), (Some("faq"), Some("draft")));

    // The enterprise sees the answer, the confirm and follow-up forms and the FAQ's link.
    let page = app.call("ent_a", Method::GET, &format!("/legal/{id}"), None).await.text().await.unwrap();
    assert!(page.contains(answer) && page.contains("已答复") && page.contains("按时答复"), "{page}");
    assert!(page.contains("id=\"confirm-form\"") && page.contains("id=\"follow-up-form\""), "{page}");
    assert!(!page.contains("id=\"withdraw-form\"") && page.contains("id=\"faq-link\""), "{page}");

    // The workbook for officials; the leader's dashboard line.
    let x = app.call("leader", Method::GET, "/legal/export.xlsx", None).await;
    assert_eq!(x.status(), StatusCode::OK);
    let sheets = excel::read_back(&x.bytes().await.unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 2);
    assert!(sheets[0].1[1].iter().any(|c| c == answer));
    assert_eq!(
        app.call("ent_a", Method::GET, "/legal/export.xlsx", None).await.status(),
        StatusCode::FORBIDDEN
    );
    let page = app.call("leader", Method::GET, "/dashboard?period=2024-03", None).await.text().await.unwrap();
    let table = page.split("id=\"service-lines-table\"").nth(1).unwrap_or_default();
    assert!(table.contains("三.14") && table.contains("应急法律服务"), "{page}");
}
