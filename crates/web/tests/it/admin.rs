//! The administrator's pages end to end: imports with their dry run and change report, the
//! three links, users (paging, search, deactivation, roles) and problem categories.

use crate::support;
use support::*;

use crate::web::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::Role;

/// A multipart body with one file part `field`, and its content type.
pub(crate) fn multipart_file(field: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "huiqi-import-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The admin's import page: a bad file shows its error report (row, column, value, reason in
/// Chinese) and imports nothing; a good one shows what it would add, is applied from the dry
/// run, and lands in the list of batches. Admin only; a cookie session needs the CSRF token.
#[tokio::test]
async fn the_admin_imports_a_file_after_a_dry_run() {
    let app = app().await;
    for (user, want) in USERS.iter().map(|(u, r)| (*u, if *r == Role::Admin { 200 } else { 403 })) {
        let b = app.sign_in(user, PASSWORD).await.unwrap();
        assert_eq!(app.page(&b, "/admin/imports").await.status().as_u16(), want, "{user}");
    }
    let admin = app.sign_in("admin", PASSWORD).await.unwrap();
    let post = |b: &Browser, query: &str, field: &str, name: &str, bytes: &[u8]| {
        let (ct, body) = multipart_file(field, name, bytes);
        app.http
            .post(app.url(&format!("/admin/imports{query}")))
            .header("cookie", &b.cookie)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let header = "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区,从业人数_2022\n";
    let bad = format!("{header}91430100MA4L00011K,长沙智造科技有限公司,是,是,一百二十\n");
    // Without the session's token: refused before anything is read.
    let r = post(&admin, "", "file", "bad.csv", bad.as_bytes()).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let q = format!("?csrf={}", admin.csrf);
    let html = post(&admin, &q, "file", "bad.csv", bad.as_bytes()).await.unwrap().text().await.unwrap();
    assert!(
        html.contains("错误报告") && html.contains("从业人数_2022") && html.contains("一百二十"),
        "{html}"
    );
    assert!(!html.contains("name=\"token\""), "no apply after errors");
    let good = format!(
        "{header}91430100MA4L00011K,长沙智造科技有限公司,是,是,120\n91430100MA4L0002XB,长沙星沙制造有限公司,是,否,30\n"
    );
    let html = post(&admin, &q, "file", "good.csv", good.as_bytes()).await.unwrap().text().await.unwrap();
    assert!(html.contains("试导入结果") && html.contains("新增 2"), "{html}");
    let before = app.api(Some(&app.token("admin").await), Method::GET, "/api/v1/enterprises", None).await;
    let total_before = before.json::<Value>().await.unwrap()["total"].as_u64().unwrap();
    assert_eq!(total_before, 2, "a dry run writes nothing");
    // Apply what the dry run kept.
    let at = html.find("name=\"token\" value=\"").unwrap() + 20;
    let token = html[at..].split('"').next().unwrap().to_string();
    let boundary = "huiqi-apply-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\ngood.csv\r\n--{boundary}--\r\n"
    );
    let r = app
        .http
        .post(app.url(&format!("/admin/imports{q}")))
        .header("cookie", &admin.cookie)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("已导入") && html.contains("新增 2"), "{html}");
    assert!(html.contains("good.csv（CSV）"), "the batch is listed: {html}");
    let after = app.api(Some(&app.token("admin").await), Method::GET, "/api/v1/enterprises", None).await;
    assert_eq!(after.json::<Value>().await.unwrap()["total"].as_u64().unwrap(), 4);
    // A department user cannot post a file either.
    let dept = app.sign_in("dept", PASSWORD).await.unwrap();
    let r = post(&dept, &format!("?csrf={}", dept.csrf), "file", "good.csv", good.as_bytes()).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Issue 14 on the import page: a dry run of a file with only some columns shows, per
/// enterprise, each field old → new (and the fields it lacks are left alone); a file whose
/// every row fails lists the first 200 errors and offers the full report as CSV.
#[tokio::test]
async fn the_import_page_shows_each_change_and_bounds_the_error_list() {
    let app = app().await;
    let admin = app.sign_in("admin", PASSWORD).await.unwrap();
    let q = format!("?csrf={}", admin.csrf);
    let post = |name: &str, text: String| {
        let (ct, body) = multipart_file("file", name, text.as_bytes());
        app.http
            .post(app.url(&format!("/admin/imports{q}")))
            .header("cookie", &admin.cookie)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    // Enterprise A: employees[2021] 121 → 99; its industry code (not in the file) stays.
    let partial = format!(
        "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区,从业人数_2021\n{},长沙甲科技有限公司,是,是,99\n",
        app.a
    );
    let html = post("partial.csv", partial).await.unwrap().text().await.unwrap();
    assert!(html.contains("从业人数（2021）") && html.contains("121") && html.contains("99"), "{html}");
    assert!(!html.contains("国民经济行业代码（"), "absent columns change nothing: {html}");
    assert!(html.contains("各字段的变更企业数"), "{html}");
    let href_at = html.find("/admin/imports/reports/").expect("a change report link");
    let href = html[href_at..].split('"').next().unwrap().to_string();
    let csv = app.page(&admin, &href).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("employees[2021],121,99"), "{csv}");

    let mut bad = String::from("uscc,name,registered_in_zone,tax_registered_in_zone\n");
    for i in 0..450 {
        bad.push_str(&format!("x{i},甲,是,是\n"));
    }
    let html = post("bad.csv", bad).await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("<td class=\"mono\">x").count(), 200, "the first 200 errors: {html}");
    assert!(html.contains("共 450 处错误") && html.contains("只列出前 200 处"), "{html}");
    let href_at = html.find("/admin/imports/reports/").expect("an error report link");
    let href = html[href_at..].split('"').next().unwrap().to_string();
    assert!(href.ends_with(".errors.csv"), "{href}");
    let csv = app.page(&admin, &href).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 451, "a header and every error");
    // Others cannot read the reports.
    let dept = app.sign_in("dept", PASSWORD).await.unwrap();
    assert_eq!(app.page(&dept, &href).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.page(&admin, "/admin/imports/reports/..%2Fetc.errors.csv").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The three links are assigned by an admin (API and the enterprise page's form), checked
/// (a leader must be a leader) and recorded; a cadre then lists the enterprise as their own.
#[tokio::test]
async fn an_admin_assigns_the_three_links_and_the_cadre_sees_their_enterprise() {
    let app = app().await;
    let admin = app.token("admin").await;
    let path = format!("/api/v1/enterprises/{}/links", app.b);
    let r = app.api(Some(&admin), Method::PUT, &path, Some(json!({"leader": "cadre"}))).await;
    assert_eq!(r.status().as_u16(), 422, "a cadre cannot be the leader");
    let r = app
        .api(Some(&admin), Method::PUT, &path, Some(json!({"cadre": "cadre", "department": "税务局"})))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["links"]["cadre"], "cadre");
    assert_eq!(v["links"]["department"], "tax_bureau");
    assert_eq!(v["changes"].as_array().unwrap().len(), 2, "{v}");
    for user in ["dept", "leader", "cadre"] {
        let t = app.token(user).await;
        let r = app.api(Some(&t), Method::PUT, &path, Some(json!({}))).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    let t = app.token("cadre").await;
    let list: Value = app.api(Some(&t), Method::GET, "/api/v1/enterprises", None).await.json().await.unwrap();
    assert_eq!(list["total"], 2, "the cadre's own, both now: {list}");
    let changes: Value = app
        .api(Some(&admin), Method::GET, &format!("/api/v1/enterprises/{}/changes", app.b), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(changes.as_array().unwrap().iter().any(|c| c["field"] == "links.cadre"), "{changes}");

    // The page's form: shown to the admin only; posts back to the page.
    let b = app.sign_in("admin", PASSWORD).await.unwrap();
    let page = app.page(&b, &format!("/enterprises/{}", app.b)).await.text().await.unwrap();
    assert!(page.contains("保存三联指派"), "{page}");
    let r = app
        .http
        .post(app.url(&format!("/enterprises/{}/links", app.b)))
        .header("cookie", &b.cookie)
        .form(&[("csrf", b.csrf.as_str()), ("leader", "leader"), ("department", ""), ("cadre", "cadre")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .http
        .post(app.url(&format!("/enterprises/{}/links", app.b)))
        .header("cookie", &b.cookie)
        .form(&[("csrf", b.csrf.as_str()), ("leader", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "an unknown user");
    assert!(r.text().await.unwrap().contains("nobody"));
    let c = app.sign_in("cadre", PASSWORD).await.unwrap();
    let page = app.page(&c, &format!("/enterprises/{}", app.b)).await.text().await.unwrap();
    assert!(!page.contains("保存三联指派"), "not for a cadre");
}

#[tokio::test]
async fn the_admin_pages_through_searches_and_manages_users() {
    let app = app().await;
    let admin = app.sign_in("admin", PASSWORD).await.unwrap();
    let page = app.page(&admin, "/admin/users?per_page=4").await.text().await.unwrap();
    assert!(page.contains("共 9 个用户") && page.contains("1 / 3"), "{page}");
    assert!(page.contains("/admin/users?page=2"), "a next link");
    assert!(page.contains("税务局") && !page.contains(">tax_bureau<"), "departments by name");
    let found = app.page(&admin, "/admin/users?q=SPA").await.text().await.unwrap();
    assert!(found.contains("共 1 个用户") && found.contains("spare"), "{found}");
    let t = app.token("admin").await;
    let r = app.api(Some(&t), Method::GET, "/api/v1/users?role=supervisor", None).await;
    assert_eq!(r.headers()["x-total-count"], "2");
    assert_eq!(app.api(Some(&t), Method::GET, "/api/v1/users?page=0", None).await.status(), 400);

    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut f = form;
        f.push(("csrf", admin.csrf.clone()));
        app.http.post(app.url(&path)).header("cookie", &admin.cookie).form(&f).send()
    };
    // Deactivate: the user's token stops working at once; activate again.
    let spare = app.token("spare").await;
    let r = post("/admin/users/spare/active".into(), vec![("active", "false".into()), ("f_q", "spa".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.contains("已停用 spare") && text.contains("共 1 个用户"), "back to the same list: {text}");
    assert_eq!(app.api(Some(&spare), Method::GET, "/api/v1/me", None).await.status(), 401);
    assert_eq!(app.token_try("spare", PASSWORD).await.status(), 401);
    post("/admin/users/spare/active".into(), vec![("active", "true".into())]).await.unwrap();
    assert_eq!(app.token_try("spare", PASSWORD).await.status(), 200);
    // Role and department: department staff need their department.
    let r = post(
        "/admin/users/spare/role".into(),
        vec![("role", "department".into()), ("department", "".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        "/admin/users/spare/role".into(),
        vec![("role", "department".into()), ("department", "tax_bureau".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value =
        app.api(Some(&app.token("spare").await), Method::GET, "/api/v1/me", None).await.json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["department"].as_str()), (Some("department"), Some("tax_bureau")));
    // A cadre still linked to an enterprise keeps the role; an admin keeps their own.
    let r = post("/admin/users/cadre/role".into(), vec![("role", "leader".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("三联"), "says how to fix it");
    let r = app.api(Some(&t), Method::PATCH, "/api/v1/users/admin", Some(json!({"active": false}))).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r =
        app.api(Some(&t), Method::PATCH, "/api/v1/users/policy", Some(json!({"role": "supervisor"}))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["role"], "supervisor");
    // Password reset from the page.
    let r = post("/admin/users/leader/password".into(), vec![("password", "a fresh password".into())])
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已重置 leader 的密码"));
    assert_eq!(app.token_try("leader", PASSWORD).await.status(), 401);
    assert_eq!(app.token_try("leader", "a fresh password").await.status(), 200);
    // Not for other roles.
    let leader = app.sign_in("supervisor", PASSWORD).await.unwrap();
    assert_eq!(app.page(&leader, "/admin/users").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_adds_a_problem_category_that_works_at_once() {
    let app = app().await;
    let admin = app.sign_in("admin", PASSWORD).await.unwrap();
    let r = app
        .http
        .post(app.url("/admin/routing"))
        .header("cookie", &admin.cookie)
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("code", "data_compliance"),
            ("name", "数据合规"),
            ("departments", "经济发展局，tax_bureau"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("已新增问题类别“数据合规”"), "{page}");
    let t = app.token("admin").await;
    let c: Value =
        app.api(Some(&t), Method::GET, "/api/v1/routing/data_compliance", None).await.json().await.unwrap();
    assert_eq!(c["lead"], "economic_development");
    assert_eq!(c["departments"][1], "tax_bureau");
    // Usable at once: the problem form offers it and a problem in it is routed by it.
    let ent = app.sign_in("ent_a", PASSWORD).await.unwrap();
    let form = app.page(&ent, "/problems/new").await.text().await.unwrap();
    assert!(form.contains("value=\"data_compliance\""), "the form offers the new category");
    let te = app.token("ent_a").await;
    let r = app
        .api(
            Some(&te),
            Method::POST,
            "/api/v1/problems",
            Some(json!({"category": "数据合规", "title": "数据出境评估"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["lead_department"], "economic_development");
    // The API adds too; a taken code or name, a bad code, a non-admin are refused.
    let app = &app;
    let add = |tok: String, body: Value| async move {
        app.api(Some(&tok), Method::POST, "/api/v1/routing", Some(body)).await
    };
    let r = add(
        t.clone(),
        json!({"code": "esg", "name": "绿色低碳", "en": "ESG", "departments": ["经济发展局"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["en"], "ESG");
    let r = add(t.clone(), json!({"code": "esg3", "name": "某类三", "departments": ["nowhere"]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "an unknown department");
    let r = add(t.clone(), json!({"code": "esg2", "name": "数据合规", "departments": ["tax_bureau"]})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = add(t.clone(), json!({"code": "Bad-Code", "name": "某类", "departments": ["tax_bureau"]})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("code"));
    let r =
        add(app.token("leader").await, json!({"code": "x", "name": "某类", "departments": ["tax_bureau"]}))
            .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
