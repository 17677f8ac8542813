//! Policy drafts (政策草案) and their review (审核), for policy officers and admins. API:
//! `GET /api/v1/policy-drafts` (open ones; `?all=true` every one), `GET
//! /api/v1/policy-drafts/{id}` (the review: diff and simulation), `POST
//! /api/v1/policy-drafts/{id}/approve|reject|withdraw`. Pages: `/policies/drafts` (the list)
//! and `/policies/drafts/{id}` (the review page with the approve and reject forms).
//!
//! Everything a review decides is the use cases' (`app::drafts`): who may approve (not the
//! author), stale drafts, the re-check, the simulation. Here only HTTP is translated.

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};
use app::drafts::{DiffLine, DraftOut, ReviewOut};
use askama::Template;
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use i18n::{Lang, Localized};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// A rejection's reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RejectIn {
    /// Why, for the author (required, at most 500 characters).
    pub reason: String,
}

/// The policy drafts waiting for review, newest first (`all=true`: every draft).
#[utoipa::path(get, path = "/api/v1/policy-drafts", tag = "policies",
    params(("all" = Option<bool>, Query, description = "every draft, not only the open ones")),
    responses(
        (status = 200, body = Vec<DraftOut>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Vec<DraftOut>>, WebError> {
    let all = raw.get("all").is_some_and(|v| v == "true" || v == "1");
    let list = app::drafts::list(&state, &p, !all).await?;
    Ok(Json(list.iter().map(DraftOut::from).collect()))
}

/// A draft's review: per document the line diff against the live version, and the
/// simulation on the latest match run (who gains, who loses, the cost by benefit kind; null
/// with `no_match_run` when no match run is stored).
#[utoipa::path(get, path = "/api/v1/policy-drafts/{id}", tag = "policies",
    params(("id" = i64, Path, description = "draft id")),
    responses(
        (status = 200, body = ReviewOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<ReviewOut>, WebError> {
    Ok(Json(app::drafts::review(&state, &p, id).await?.out()))
}

/// Approves a draft (a policy officer or admin other than its author): it is re-checked
/// against the live library and goes live at once. 403 for the author, 409 when the draft is
/// closed or stale (a newer version went live: nothing written), 422 when the library would
/// no longer check with it.
#[utoipa::path(post, path = "/api/v1/policy-drafts/{id}/approve", tag = "policies",
    params(("id" = i64, Path, description = "draft id")),
    responses(
        (status = 200, body = DraftOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_approve(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<DraftOut>, WebError> {
    let a = app::drafts::approve(&state, &p, id).await?;
    Ok(Json(DraftOut::from(&a.draft)))
}

/// Rejects a draft with a reason (not its author). Nothing live changes.
#[utoipa::path(post, path = "/api/v1/policy-drafts/{id}/reject", tag = "policies", request_body = RejectIn,
    params(("id" = i64, Path, description = "draft id")),
    responses(
        (status = 200, body = DraftOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_reject(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<RejectIn>, JsonRejection>,
) -> Result<Json<DraftOut>, WebError> {
    let body = json(body)?;
    let d = app::drafts::reject(&state, &p, id, &body.reason).await?;
    Ok(Json(DraftOut::from(&d)))
}

/// Withdraws a draft (its author). Nothing live changes.
#[utoipa::path(post, path = "/api/v1/policy-drafts/{id}/withdraw", tag = "policies",
    params(("id" = i64, Path, description = "draft id")),
    responses(
        (status = 200, body = DraftOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_withdraw(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<DraftOut>, WebError> {
    let d = app::drafts::withdraw(&state, &p, id).await?;
    Ok(Json(DraftOut::from(&d)))
}

// ---------------------------------------------------------------------------------------
// Pages

/// The list of drafts (`/policies/drafts`).
#[derive(Template)]
#[template(path = "policy_drafts.html")]
pub struct DraftListPage {
    pub b: Base,
    pub all: bool,
    pub drafts: Vec<DraftOut>,
    /// Display names of the authors and reviewers.
    pub people: BTreeMap<String, String>,
}

impl DraftListPage {
    pub fn when(&self, rfc3339: &str) -> String {
        i18n::dates::time_table_of(rfc3339)
    }

    pub fn who(&self, username: &str) -> String {
        crate::plain::person(self.b.tr, &self.people, username)
    }

    pub fn state(&self, d: &DraftOut) -> String {
        self.b.tr.pick(&d.state_zh, &d.state).to_string()
    }
}

/// The review page of one draft (`/policies/drafts/{id}`).
#[derive(Template)]
#[template(path = "policy_draft.html")]
pub struct DraftPage {
    pub b: Base,
    pub r: ReviewOut,
    /// The reader wrote the draft (may withdraw it, may not approve it).
    pub mine: bool,
    pub message: Option<String>,
    pub error: Option<String>,
    /// The reason typed into a refused rejection.
    pub reason: String,
    /// Display names of the author and the reviewer.
    pub people: BTreeMap<String, String>,
}

impl DraftPage {
    pub fn when(&self, rfc3339: &str) -> String {
        i18n::dates::time_table_of(rfc3339)
    }

    pub fn who(&self, username: &str) -> String {
        crate::plain::person(self.b.tr, &self.people, username)
    }

    pub fn state(&self) -> String {
        self.b.tr.pick(&self.r.draft.state_zh, &self.r.draft.state).to_string()
    }

    /// A diff line's CSS class.
    pub fn class_of(&self, l: &DiffLine) -> &'static str {
        match l.tag.as_str() {
            "+" => "diff-add",
            "-" => "diff-del",
            _ => "diff-ctx",
        }
    }

    pub fn num(&self, n: &Option<usize>) -> String {
        n.map(|n| n.to_string()).unwrap_or_default()
    }

    pub fn version(&self, v: &Option<i64>) -> String {
        v.map_or_else(|| "—".to_string(), |v| v.to_string())
    }
}

/// The drafts waiting for review (`?all=true`: every draft).
pub async fn page_list(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let all = raw.get("all").is_some_and(|v| v == "true");
    let list = app::drafts::list(&state, &p, !all).await?;
    let drafts: Vec<DraftOut> = list.iter().map(DraftOut::from).collect();
    let names: Vec<String> =
        drafts.iter().flat_map(|d| std::iter::once(d.author.clone()).chain(d.closed_by.clone())).collect();
    let people = app::users::display_names(&state, &p, &names).await?;
    views::render(&DraftListPage {
        b: Base::new(lang, Some(&p), "/policies", "ui.drafts.title"),
        all,
        drafts,
        people,
    })
}

async fn draft_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    id: i64,
    message: Option<String>,
    error: Option<String>,
    reason: String,
) -> Result<Html<String>, WebError> {
    let r = app::drafts::review(state, p, id).await?.out();
    let mut b = Base::new(lang, Some(p), "/policies", "ui.drafts.one");
    b.title = format!("{} #{id}", b.title);
    let mine = r.draft.author == p.username;
    let names: Vec<String> =
        std::iter::once(r.draft.author.clone()).chain(r.draft.closed_by.clone()).collect();
    let people = app::users::display_names(state, p, &names).await?;
    views::render(&DraftPage { b, r, mine, message, error, reason, people })
}

/// A draft's review page.
pub async fn page_one(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let tr = crate::lang::Tr(lang);
    let message = match raw.get("done").map(String::as_str) {
        Some("saved") => Some(tr.t("ui.drafts.saved")),
        Some("approved") => Some(tr.t("ui.drafts.approved")),
        Some("rejected") => Some(tr.t("ui.drafts.rejected")),
        Some("withdrawn") => Some(tr.t("ui.drafts.withdrawn")),
        _ => None,
    };
    draft_page(&state, lang, &p, id, message, None, String::new()).await
}

/// The reject form's field.
#[derive(Debug, Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    pub reason: String,
}

/// What a decision's refusal shows: the page again with the error (4xx), or the error page.
async fn refused(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    id: i64,
    e: app::Error,
    reason: String,
) -> Result<Response, WebError> {
    let e = WebError::from(e);
    let status = e.status();
    if !status.is_client_error() || status == StatusCode::NOT_FOUND {
        return Err(e);
    }
    let mut resp = draft_page(state, lang, p, id, None, Some(e.render(lang)), reason).await?.into_response();
    *resp.status_mut() = status;
    Ok(resp)
}

/// Approves from the review page.
pub async fn page_approve(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match app::drafts::approve(&state, &p, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/policies/drafts/{id}?done=approved")).into_response()),
        Err(e) => refused(&state, lang, &p, id, e, String::new()).await,
    }
}

/// Rejects from the review page.
pub async fn page_reject(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<RejectForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match app::drafts::reject(&state, &p, id, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/policies/drafts/{id}?done=rejected")).into_response()),
        Err(e) => refused(&state, lang, &p, id, e, f.reason).await,
    }
}

/// Withdraws from the review page (the author).
pub async fn page_withdraw(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match app::drafts::withdraw(&state, &p, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/policies/drafts/{id}?done=withdrawn")).into_response()),
        Err(e) => refused(&state, lang, &p, id, e, String::new()).await,
    }
}
