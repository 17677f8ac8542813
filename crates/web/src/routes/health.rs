//! Health: `GET /healthz` (JSON, for probes and the demo) and `GET /health` (a page), both
//! public; and the OpenAPI document.

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
