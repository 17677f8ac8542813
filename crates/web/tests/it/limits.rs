//! Abuse limits end to end: sign-in lockout per account and address (never a stranger
//! locking the owner out; an admin unlocks), request rate limits with 429 and Retry-After,
//! and the request id on every response.

use crate::support;
use support::*;

use crate::web::*;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use web::WebConfig;

/// A client whose requests come from another loopback address (another office, a stranger).
fn client_from(addr: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(addr.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn token_from(app: &App, client: &reqwest::Client, user: &str, pw: &str) -> StatusCode {
    client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_strangers_failures_never_lock_the_owner_out_and_an_admin_unlocks() {
    let app = app().await;
    let stranger = client_from("127.0.0.2");
    for i in 1..=4 {
        assert_eq!(
            token_from(&app, &stranger, "admin", "guess").await,
            StatusCode::UNAUTHORIZED,
            "guess {i}"
        );
    }
    assert_eq!(token_from(&app, &stranger, "admin", "guess").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        token_from(&app, &stranger, "admin", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "locked there"
    );
    // The owner, at another address, still signs in: API and page.
    assert_eq!(app.token_try("admin", PASSWORD).await.status(), StatusCode::OK);
    let owner = app.sign_in("admin", PASSWORD).await.unwrap();
    let t = app.token("admin").await;
    // The lock shows in the user list and on the page, and the admin lifts it.
    let users: Value =
        app.api(Some(&t), Method::GET, "/api/v1/users?q=admin", None).await.json().await.unwrap();
    assert_eq!(users[0]["username"], "admin");
    assert_eq!(users[0]["locked_until"], "2024-03-01T09:15:00+08:00");
    let page = app.page(&owner, "/admin/users?q=admin").await.text().await.unwrap();
    assert!(page.contains("登录已锁定至 2024-03-01 09:15") && page.contains("解锁登录"), "{page}");
    let r = app
        .http
        .post(app.url("/admin/users/admin/unlock"))
        .header("cookie", &owner.cookie)
        .form(&[("csrf", owner.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("已解除 admin 的登录锁定"));
    assert_eq!(token_from(&app, &stranger, "admin", PASSWORD).await, StatusCode::OK, "unlocked");
    // Locks in a row back off: 15 minutes, then 30.
    for _ in 1..=5 {
        token_from(&app, &stranger, "dept", "guess").await;
    }
    app.clock.advance(Duration::minutes(15));
    assert_eq!(
        token_from(&app, &stranger, "dept", "guess").await,
        StatusCode::UNAUTHORIZED,
        "the first lock ran out"
    );
    for _ in 2..=5 {
        token_from(&app, &stranger, "dept", "guess").await;
    }
    app.clock.advance(Duration::minutes(29));
    assert_eq!(token_from(&app, &stranger, "dept", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(
        token_from(&app, &stranger, "dept", PASSWORD).await,
        StatusCode::OK,
        "the second lock lasted 30"
    );
    // Unlocking is for admins only.
    let r = app.api(Some(&app.token("leader").await), Method::POST, "/api/v1/users/dept/unlock", None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.api(Some(&t), Method::POST, "/api/v1/users/dept/unlock", None).await;
    assert_eq!(r.json::<Value>().await.unwrap()["unlocked"], 0);
}

fn small_limits() -> WebConfig {
    use web::limits::{Rate, RateLimits};
    WebConfig {
        rate_limits: RateLimits {
            enabled: true,
            per_address: Rate { per_minute: 60, burst: 40 },
            per_user: Rate { per_minute: 60, burst: 8 },
            writes_per_user: Rate { per_minute: 60, burst: 3 },
        },
        ..WebConfig::default()
    }
}

#[tokio::test]
async fn requests_over_the_limits_get_429_with_retry_after() {
    let app = app_with(small_limits()).await;
    let t = app.token("ent_a").await;
    let raise = || {
        app.api(
            Some(&t),
            Method::POST,
            "/api/v1/problems",
            Some(json!({"category": "涉税", "title": "限流"})),
        )
    };
    for i in 1..=3 {
        assert_eq!(raise().await.status(), StatusCode::CREATED, "write {i}");
    }
    let refused = raise().await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "web.rate_limited");
    assert!(body["detail"].as_str().unwrap().contains("请求过于频繁"), "{body}");
    // Reads have their own, larger budget; other users are not affected.
    assert_eq!(app.api(Some(&t), Method::GET, "/api/v1/me", None).await.status(), StatusCode::OK);
    let other = app.token("ent_b").await;
    let r = app
        .api(Some(&other), Method::POST, "/api/v1/problems", Some(json!({"category": "涉税", "title": "乙"})))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Per user, reads too.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.api(Some(&t), Method::GET, "/api/v1/me", None).await.status());
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // Per address: anonymous requests from one address run out; another address does not.
    let mut last = StatusCode::OK;
    for _ in 0..40 {
        last = app.http.get(app.url("/healthz")).send().await.unwrap().status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = client_from("127.0.0.3").get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::OK);
    // A page gets the message as a page, with Retry-After.
    let b = client_from("127.0.0.3").get(app.url("/login")).header("cookie", "x=y").send().await.unwrap();
    assert_eq!(b.status(), StatusCode::OK);
    let page = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.text().await.unwrap().contains("<html"), "an HTML page");
}

#[tokio::test]
async fn one_client_can_no_longer_create_problems_at_full_speed() {
    // Before the limits, one client created 3,719 problems in 6 s. With the shipped limits a
    // burst of 100 writes gets at most the burst (60) and what refills meanwhile through.
    let app = app().await;
    let t = app.token("ent_a").await;
    let mut created = 0;
    let mut refused = 0;
    for i in 0..100 {
        let body = json!({"category": "涉税", "title": format!("批量 {i}")});
        match app.api(Some(&t), Method::POST, "/api/v1/problems", Some(body)).await.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            s => panic!("{s}"),
        }
    }
    assert!((60..=75).contains(&created), "created {created}");
    assert_eq!(created + refused, 100);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = app().await;
    let r = app.http.get(app.url("/healthz")).header("x-request-id", "req-42").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "req-42");
    let r = app.http.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"].to_str().unwrap().len(), 36, "made when absent");
}
