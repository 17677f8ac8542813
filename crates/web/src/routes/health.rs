//! Health: `GET /healthz` (JSON, for probes and the demo: alive, and the store answers),
//! `GET /readyz` (what a load balancer asks before sending requests: the database reachable,
//! every migration of this binary applied, and the server not shutting down) and
//! `GET /health` (a page), all public; and the OpenAPI document.

use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::state::AppState;
use crate::views::{self, Base};
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` when the store answers.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub enterprises: u64,
    pub version: String,
}

pub async fn health_of(state: &AppState) -> Result<Health, WebError> {
    let s = app::status::store_status(state).await?;
    Ok(Health {
        status: "ok".into(),
        backend: s.backend.into(),
        enterprises: s.enterprises,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Liveness and readiness: the store answers and how many enterprises it holds.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health), (status = 500, body = ProblemDocument, content_type = "application/problem+json")))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, WebError> {
    Ok(Json(health_of(&state).await?))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `not_ready` (503) with the reason.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The highest migration applied in the database.
    pub schema_applied: u32,
    /// The highest migration this binary knows.
    pub schema_known: u32,
    /// Why not ready: `draining` (shutting down), `migrations_pending`, `database`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub version: String,
}

/// Readiness: 200 when the database answers, every migration this binary knows is applied
/// and the server is not shutting down; 503 otherwise (a load balancer then sends elsewhere).
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut r = Readiness {
        status: "ready".into(),
        backend: state.store.backend_name().into(),
        schema_applied: 0,
        schema_known: 0,
        reason: None,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    match state.store.schema_status().await {
        Ok(s) => {
            (r.schema_applied, r.schema_known) = (s.applied, s.known);
            if !s.current() {
                r.reason = Some("migrations_pending".into());
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            r.reason = Some("database".into());
        }
    }
    if state.draining() {
        r.reason = Some("draining".into());
    }
    if r.reason.is_some() {
        r.status = "not_ready".into();
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(r)).into_response();
    }
    Json(r).into_response()
}

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json(Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> Response {
    Json(doc.as_ref().clone()).into_response()
}

/// The health page.
pub async fn page(State(state): State<AppState>, ReqLang(lang): ReqLang) -> Result<Html<String>, WebError> {
    let h = health_of(&state).await?;
    views::render(&views::HealthPage { b: Base::new(lang, None, "/health", "ui.health.title"), h })
}
