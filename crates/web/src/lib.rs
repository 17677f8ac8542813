//! The HTTP server of huiqi: the JSON API under `/api/v1/`, the server-rendered Chinese pages,
//! sign-in and sessions, and the one place where authorisation is decided.
//!
//! Layout:
//! - [`state`]: [`AppState`] (the store, the configuration, the clock, the sessions).
//! - [`auth`]: sessions and bearer tokens as HTTP carries them (cookies via axum-extra), the
//!   [`auth::Principal`] extractor; the decisions (passwords, lock-out, expiry) are
//!   [`app::sessions`] and [`app::users`].
//! - [`authz`]: the pure function [`authz::authorize`] over role and ownership (from `app`).
//! - [`limits`]: the client's address, request rate limits per address and per user.
//! - [`request_log`]: the request id and the one log line per request.
//! - [`error`]: [`error::WebError`], rendered as `application/problem+json` for the API and as
//!   an HTML page for pages, bilingual through `messages.toml`.
//! - [`security`]: security headers, the CSRF check on every unsafe page request.
//! - [`routes`]: handlers, one module per area (`health`, `auth`, `enterprises`, `admin`,
//!   `pages`); problems, policies and dashboards slot in as further modules.
//! - [`views`]: askama templates (in `templates/`, compiled in) and the UI label helper.
//!
//! What it leaves out: SQL (only `store-*` know it), rules and problem handling (their crates
//! decide; this crate only shows and forwards), reading configuration files (the binary does).

pub mod auth;
pub mod error;
pub mod lang;
pub mod limits;
pub mod plain;
pub mod request_log;
pub mod routes;
pub mod security;
pub mod state;
pub mod views;

pub use app::{Clock, FixedClock, SystemClock, authz, policy_docs};
pub use error::WebError;
pub use state::{AppState, WebConfig};

use axum::Router;

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog (errors and UI labels).
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}

/// The whole application: API, pages, static assets, health, with security headers on every
/// response.
pub fn router(state: AppState) -> Router {
    routes::build(state)
}

/// The OpenAPI 3 document of the API, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::api_router().split_for_parts().1
}

/// Serves the application on `listener` until Ctrl-C (or SIGTERM on Unix), then finishes the
/// requests in flight and returns. From the signal on, `/readyz` answers 503 and no new
/// connection is accepted; requests already received are answered.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    tokio::spawn(app::live::follow(state.app.clone()));
    let draining = std::sync::Arc::clone(&state.draining);
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            app::stop_signal().await;
            draining.store(true, std::sync::atomic::Ordering::Relaxed);
        })
        .await
}

/// Like [`serve`], but stops when `shutdown` completes (for tests and embedding).
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
