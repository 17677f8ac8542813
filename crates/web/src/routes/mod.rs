//! The routes, one module per area. The API routes are registered through
//! [`utoipa_axum`]'s `routes!`, so each handler and its OpenAPI entry come from the same
//! annotation: a route cannot exist without being documented.

pub mod admin;
pub mod assets;
pub mod attachments;
pub mod auth;
pub mod calendar;
pub mod chains;
pub mod common;
pub mod content;
pub mod credit_repair;
pub mod dashboard;
pub mod decisions;
pub mod effects;
pub mod enterprises;
pub mod events;
pub mod financing;
pub mod financing_forms;
pub mod grant_pages;
pub mod grants;
pub mod health;
pub mod home;
pub mod imports;
pub mod inbox;
pub mod legal;
pub mod logistics;
pub mod notifications;
pub mod pages;
pub mod plans;
pub mod policies;
pub mod policy_docs;
pub mod policy_drafts;
pub mod problems;
pub mod reports;
pub mod service_files;
pub mod utilities;
pub mod visits;

use crate::error::WebError;
use crate::security;
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "huiqi 惠企 API", description = "企业帮扶平台 JSON API. Errors are application/problem+json \
        with Chinese `title`/`detail` and English `title_en`/`detail_en`."),
    modifiers(&BearerScheme),
    tags(
        (name = "health"), (name = "auth"), (name = "enterprises"), (name = "reference"), (name = "users"), (name = "problems"), (name = "kpi"), (name = "reports"), (name = "policies"), (name = "calendar"), (name = "search"), (name = "content"), (name = "common"), (name = "grants"), (name = "inbox"), (name = "outbox"), (name = "notifications"), (name = "events"), (name = "financing"), (name = "plans"), (name = "credit-repair"), (name = "utilities"), (name = "chains"), (name = "legal"), (name = "logistics"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes with their OpenAPI document.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::openapi_json))
        .routes(routes!(auth::api_token, auth::api_revoke_token))
        .routes(routes!(auth::api_me))
        .routes(routes!(enterprises::api_list))
        .routes(routes!(enterprises::api_get))
        .routes(routes!(enterprises::api_changes))
        .routes(routes!(enterprises::api_set_links))
        .routes(routes!(admin::api_departments))
        .routes(routes!(admin::api_routing, admin::api_add_category))
        .routes(routes!(admin::api_category, admin::api_put_routing))
        .routes(routes!(admin::api_users, admin::api_create_user))
        .routes(routes!(admin::api_update_user))
        .routes(routes!(admin::api_reset_password))
        .routes(routes!(admin::api_unlock_user))
        .routes(routes!(problems::api_list, problems::api_create))
        .routes(routes!(problems::api_get))
        .routes(routes!(problems::api_act))
        .routes(routes!(attachments::api_list, attachments::api_upload))
        .routes(routes!(attachments::api_download))
        .routes(routes!(reports::api_supervision))
        .routes(routes!(reports::api_supervision_xlsx))
        .routes(routes!(reports::api_ledger_xlsx))
        .routes(routes!(effects::api_effects))
        .routes(routes!(effects::api_effects_xlsx))
        .routes(routes!(dashboard::api_kpi))
        .routes(routes!(visits::api_list, visits::api_create))
        .routes(routes!(decisions::api_decisions))
        .routes(routes!(decisions::api_explain))
        .routes(routes!(policies::api_policies))
        .routes(routes!(policies::api_policy))
        .routes(routes!(policies::api_item))
        .routes(routes!(policy_docs::api_get_policy_document, policy_docs::api_put_policy_document))
        .routes(routes!(policy_drafts::api_list))
        .routes(routes!(policy_drafts::api_get))
        .routes(routes!(policy_drafts::api_approve))
        .routes(routes!(policy_drafts::api_reject))
        .routes(routes!(policy_drafts::api_withdraw))
        .routes(routes!(policy_docs::api_get_time_limits, policy_docs::api_put_time_limits))
        .routes(routes!(policy_docs::api_get_settings, policy_docs::api_put_settings))
        .routes(routes!(calendar::api_years, calendar::api_load))
        .routes(routes!(calendar::api_add_workdays))
        .routes(routes!(events::api_list, events::api_publish))
        .routes(routes!(events::api_reach))
        .routes(routes!(events::export))
        .routes(routes!(events::api_show))
        .routes(routes!(events::api_act))
        .routes(routes!(financing::api_list, financing::api_post))
        .routes(routes!(financing::api_show))
        .routes(routes!(financing::api_respond))
        .routes(routes!(financing::api_close))
        .routes(routes!(financing::api_step))
        .routes(routes!(financing::api_products, financing::api_save_product))
        .routes(routes!(financing::export))
        .routes(routes!(chains::api_list, chains::api_post))
        .routes(routes!(chains::api_show))
        .routes(routes!(chains::api_introduce))
        .routes(routes!(chains::api_outcome))
        .routes(routes!(chains::api_close))
        .routes(routes!(chains::api_positions, chains::api_save_position))
        .routes(routes!(chains::export))
        .routes(routes!(logistics::api_profiles, logistics::api_save_profile))
        .routes(routes!(logistics::api_profile))
        .routes(routes!(logistics::api_without_profile))
        .routes(routes!(logistics::api_reports))
        .routes(routes!(logistics::api_import))
        .routes(routes!(logistics::export))
        .routes(routes!(plans::api_list, plans::api_create))
        .routes(routes!(plans::export))
        .routes(routes!(plans::api_show))
        .routes(routes!(plans::api_add_measures))
        .routes(routes!(plans::api_update_measure))
        .routes(routes!(plans::api_review))
        .routes(routes!(credit_repair::api_list, credit_repair::api_open))
        .routes(routes!(credit_repair::export))
        .routes(routes!(credit_repair::api_show))
        .routes(routes!(credit_repair::api_advance))
        .routes(routes!(utilities::api_list))
        .routes(routes!(utilities::api_import))
        .routes(routes!(utilities::api_waivers))
        .routes(routes!(utilities::api_violations))
        .routes(routes!(utilities::export))
        .routes(routes!(inbox::api_inbox))
        .routes(routes!(notifications::api_list))
        .routes(routes!(notifications::api_read))
        .routes(routes!(notifications::api_read_all))
        .routes(routes!(inbox::api_read))
        .routes(routes!(inbox::api_outbox))
        .routes(routes!(inbox::api_retry))
        .routes(routes!(content::api_search))
        .routes(routes!(content::api_suggest))
        .routes(routes!(content::api_click))
        .routes(routes!(content::api_solved))
        .routes(routes!(content::api_unanswered))
        .routes(routes!(content::api_rebuild))
        .routes(routes!(content::api_synonyms, content::api_add_synonyms))
        .routes(routes!(content::api_delete_synonyms))
        .routes(routes!(content::api_list, content::api_create))
        .routes(routes!(content::api_case))
        .routes(routes!(content::api_get, content::api_put))
        .routes(routes!(content::api_review))
        .routes(routes!(common::api_groups))
        .routes(routes!(common::api_items, common::api_govern))
        .routes(routes!(common::api_close))
        .routes(routes!(common::api_notices))
        .routes(routes!(grants::api_runs, grants::api_run))
        .routes(routes!(grants::api_run_items))
        .routes(routes!(grants::api_mine))
        .routes(routes!(grant_pages::api_confirm))
        .routes(routes!(grant_pages::api_unclaimed))
        .routes(routes!(grants::api_results))
        .routes(routes!(grants::api_show_run))
        .routes(routes!(grants::api_list))
        .routes(routes!(grants::api_needs_data))
        .routes(routes!(grants::api_objections))
        .routes(routes!(grants::api_publicize))
        .routes(routes!(grants::api_budget))
        .routes(routes!(grants::api_approve))
        .routes(routes!(grants::api_payment_file))
        .routes(routes!(grants::api_reconcile))
        .routes(routes!(grants::api_grant))
        .routes(routes!(grants::api_object))
        .routes(routes!(grants::api_handle))
        .routes(routes!(grants::api_void))
        .routes(routes!(legal::api_list, legal::api_ask))
        .routes(routes!(legal::api_show))
        .routes(routes!(legal::api_assign))
        .routes(routes!(legal::api_answer))
        .routes(routes!(legal::api_reply))
        .routes(routes!(legal::api_faq))
        .routes(routes!(legal::export))
}

/// The page routes.
fn page_router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/health", get(health::page))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/account/password", get(auth::password_page).post(auth::password_submit))
        .route("/enterprises", get(enterprises::page_list))
        .route("/enterprises/{uscc}", get(enterprises::page_one))
        .route("/enterprises/{uscc}/links", post(enterprises::page_set_links))
        .route("/admin/users", get(admin::users_page).post(admin::users_create))
        .route("/admin/users/{username}/password", post(admin::users_reset))
        .route("/admin/users/{username}/role", post(admin::users_role))
        .route("/admin/users/{username}/active", post(admin::users_active))
        .route("/admin/users/{username}/unlock", post(admin::users_unlock))
        .route("/admin/departments", get(admin::departments_page))
        .route("/admin/imports", get(imports::imports_page).post(imports::imports_submit))
        .route("/admin/imports/reports/{name}", get(imports::report_download))
        .route("/admin/routing", get(admin::routing_page).post(admin::category_create))
        .route("/admin/routing/{category}", post(admin::routing_submit))
        .route("/static/{file}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/problems", get(problems::page_list))
        .route("/problems/new", get(problems::page_new).post(attachments::page_create))
        .route("/problems/{id}/attachments", post(attachments::page_upload))
        .route("/problems/{id}", get(problems::page_one))
        .route("/problems/{id}/act", post(problems::page_act))
        .route("/reports/supervision", get(reports::page_supervision))
        .route("/reports/effects", get(effects::page_effects))
        .route("/dashboard", get(dashboard::page))
        .route("/visits", get(visits::page).post(visits::page_create))
        .route("/policies", get(policies::page_library))
        .route("/policies/{id}", get(policies::page_policy))
        .route("/items/{id}", get(policies::page_item))
        .route("/items/{id}/simulate", get(policies::page_simulate))
        .route("/explore", get(decisions::explore))
        .route(
            "/policies/documents/{name}/edit",
            get(policy_docs::page_edit_policy).post(policy_docs::page_save_policy),
        )
        .route("/policies/drafts", get(policy_drafts::page_list))
        .route("/policies/drafts/{id}", get(policy_drafts::page_one))
        .route("/policies/drafts/{id}/approve", post(policy_drafts::page_approve))
        .route("/policies/drafts/{id}/reject", post(policy_drafts::page_reject))
        .route("/policies/drafts/{id}/withdraw", post(policy_drafts::page_withdraw))
        .route(
            "/admin/time-limits",
            get(policy_docs::page_time_limits).post(policy_docs::page_save_time_limits),
        )
        .route("/admin/settings", get(policy_docs::page_settings).post(policy_docs::page_save_settings))
        .route("/admin/calendar", get(calendar::page_calendar).post(calendar::page_load))
        .route("/follow-ups", get(calendar::page_follow_ups))
        .route("/spot-checks", get(calendar::page_spot_checks))
        .route("/events", get(events::page).post(events::page_publish))
        .route("/events/export.xlsx", get(events::export))
        .route("/events/{id}", get(events::page_event))
        .route("/events/{id}/{action}", post(events::page_act))
        .route("/financing", get(financing::page).post(financing::page_post))
        .route("/financing/products", post(financing_forms::page_save))
        .route("/financing/products/new", get(financing_forms::page_new))
        .route("/financing/products/{id}", get(financing_forms::page_edit))
        .route("/financing/{id}", get(financing::page_demand))
        .route("/financing/{id}/{action}", post(financing::page_act))
        .route("/chains", get(chains::page).post(chains::page_post))
        .route("/chains/positions/{action}", post(chains::page_position))
        .route("/chains/{id}", get(chains::page_demand))
        .route("/chains/{id}/{action}", post(chains::page_act))
        .route("/logistics", get(logistics::page))
        .route("/logistics/profiles", post(logistics::page_save_profile))
        .route("/logistics/import", post(logistics::page_import))
        .route("/plans", get(plans::page).post(plans::page_create))
        .route("/plans/export.xlsx", get(plans::export))
        .route("/plans/{id}", get(plans::page_plan))
        .route("/plans/{id}/measures", post(plans::page_add_measures))
        .route("/plans/{id}/measures/{measure}", post(plans::page_update_measure))
        .route("/plans/{id}/reviews", post(plans::page_review))
        .route("/credit-repair", get(credit_repair::page).post(credit_repair::page_open))
        .route("/credit-repair/export.xlsx", get(credit_repair::export))
        .route("/credit-repair/{id}", get(credit_repair::page_case))
        .route("/credit-repair/{id}/steps", post(credit_repair::page_advance))
        .route("/utilities", get(utilities::page))
        .route("/utilities/import", post(utilities::page_import))
        .route("/grants", get(grant_pages::page_runs))
        .route("/grants/mine", get(grant_pages::page_mine))
        .route("/grants/unclaimed", get(grant_pages::page_unclaimed))
        .route("/grants/unclaimed.xlsx", get(grant_pages::page_unclaimed_xlsx))
        .route("/grants/runs/{id}", get(grant_pages::page_run))
        .route("/grants/runs/{id}/needs-data.xlsx", get(grant_pages::page_needs_data))
        .route("/grants/runs/{id}/publicize", post(grant_pages::page_publicize))
        .route("/grants/runs/{id}/budget", post(grant_pages::page_budget))
        .route("/grants/runs/{id}/approve", post(grant_pages::page_approve))
        .route("/grants/runs/{id}/payment-file", post(grant_pages::page_payment_file))
        .route("/grants/runs/{id}/results", post(grant_pages::page_results))
        .route("/grants/objections/{id}", post(grant_pages::page_handle))
        .route("/grants/{id}/object", post(grant_pages::page_object))
        .route("/grants/{id}/confirm", post(grant_pages::page_confirm))
        .route("/inbox", get(inbox::page))
        .route("/notifications", get(notifications::page))
        .route("/notifications/read-all", post(notifications::page_read_all))
        .route("/notifications/{id}", get(notifications::page_open))
        .route("/inbox/read", post(inbox::page_read))
        .route("/admin/outbox", get(inbox::page_outbox))
        .route("/admin/outbox/{id}/retry", post(inbox::page_retry))
        .route("/search", get(content::page_search))
        .route("/search/go", get(content::page_go))
        .route("/content", get(content::page_list))
        .route("/content/new", get(content::page_new).post(content::page_create))
        .route("/content/{id}", get(content::page_one))
        .route("/content/{id}/edit", get(content::page_edit).post(content::page_save))
        .route("/content/{id}/review", post(content::page_review))
        .route("/common", get(common::page))
        .route("/common/govern", post(common::page_govern))
        .route("/common/governance/{id}/close", post(common::page_close))
        .route("/legal", get(legal::page).post(legal::page_ask))
        .route("/legal/{id}", get(legal::page_consultation))
        .route("/legal/{id}/{action}", post(legal::page_act))
}

/// The whole application. Outermost first: the request id (set if absent, echoed in the
/// response) and the request's log span with its one line ([`crate::request_log`]), the body
/// limits and compression, the security headers, error pages, the client's identity and rate limits
/// ([`crate::limits`]), the CSRF check, then the routes.
pub fn build(state: AppState) -> Router {
    let (api, doc) = api_router().split_for_parts();
    let doc = Arc::new(doc);
    let router = Router::new()
        .merge(api)
        .merge(page_router())
        .fallback(not_found)
        .layer(axum::Extension(doc))
        .layer(middleware::from_fn_with_state(state.clone(), security::csrf_guard))
        .layer(middleware::from_fn_with_state(state.clone(), crate::limits::limit_requests))
        .layer(middleware::from_fn(pages::render_errors))
        .layer(middleware::from_fn(security::security_headers))
        .layer(middleware::from_fn(body_limit))
        .layer(axum::extract::DefaultBodyLimit::disable())
        // gzip or brotli as the client accepts, for text bodies over 32 bytes (tower-http's
        // default predicate: never images, event streams or gRPC).
        .layer(tower_http::compression::CompressionLayer::new());
    crate::request_log::around(router).with_state(state)
}

/// The largest request body, except uploads of attachments.
pub const BODY_LIMIT: usize = 4 << 20;

/// Limits every request body to [`BODY_LIMIT`], and uploads of attachments to
/// [`attachments::UPLOAD_BODY_LIMIT`] (ten files of 10 MiB): 413 when the declared length is
/// over, and the body cut off at the limit otherwise.
async fn body_limit(req: axum::extract::Request, next: middleware::Next) -> Response {
    let limit = if attachments::is_upload(req.method(), req.uri().path()) {
        attachments::UPLOAD_BODY_LIMIT
    } else {
        BODY_LIMIT
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body)).await
}

async fn not_found(uri: axum::http::Uri) -> WebError {
    WebError::NotFound { path: uri.path().to_string() }
}

/// The strong ETag of a JSON body.
pub fn etag_of(body: &[u8]) -> String {
    let d = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&d[..16]))
}

/// Whether an `If-None-Match`/`If-Match` header value names `etag` (or is `*`).
pub fn etag_matches(value: &str, etag: &str) -> bool {
    value.split(',').map(str::trim).any(|v| v == "*" || v == etag || v.strip_prefix("W/") == Some(etag))
}

/// A JSON response with an `ETag`, or 304 when the request's `If-None-Match` names it.
pub fn json_with_etag<T: Serialize>(req: &HeaderMap, value: &T) -> Result<Response, WebError> {
    let body = serde_json::to_vec(value).map_err(WebError::internal)?;
    let etag = etag_of(&body);
    let tag = HeaderValue::from_str(&etag).map_err(WebError::internal)?;
    let inm = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if inm.is_some_and(|v| etag_matches(v, &etag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(header::ETAG, tag);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_lists_weak_forms_and_star() {
        let e = etag_of(b"{}");
        assert!(etag_matches(&e, &e));
        assert!(etag_matches(&format!("\"x\", W/{e}"), &e));
        assert!(etag_matches("*", &e));
        assert!(!etag_matches("\"other\"", &e));
        assert_ne!(etag_of(b"{}"), etag_of(b"{ }"));
    }
}
