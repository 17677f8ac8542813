//! Editing the documents kept in the database: the policy files (policy officers and admins)
//! and the zone's time limits (admins). API: `GET/PUT /api/v1/policy-documents/{name}` and
//! `GET/PUT /api/v1/time-limits`, each with `ETag` = the version and `If-Match` required on
//! `PUT` (428 without it, 412 when stale); pages `/policies/documents/{name}/edit` and
//! `/admin/time-limits`.
//!
//! A policy save checks the library as it would be (the other stored documents and the new
//! text: parse, types, every test case); on any problem nothing is saved (422 with each
//! diagnostic's line and column in both languages). On success the new version is stored and
//! the checked library is swapped in whole with an empty decisions cache
//! ([`crate::policy_docs::Live`]). Saves in this process run one at a time, so two officers
//! saving different files cannot swap in a library missing the other's change.

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{Problem, WebError};
use crate::lang::{ReqLang, Tr};
use crate::policy_docs::{LimitRow, PolicySet, Rejected, check_sources, limit_rows, with_replaced};
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};
use askama::Template;
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use i18n::{Lang, Localized};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::Actor;
use store::documents::{Document, DocumentKind, TIME_LIMITS_NAME};
use utoipa::ToSchema;

static SAVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One version in a document's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    pub actor: String,
    /// RFC 3339, China time.
    pub created_at: String,
    pub deleted: bool,
}

/// A stored document's current version with its history (newest first).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentOut {
    pub name: String,
    pub version: i64,
    /// SHA-256 of `body`.
    pub checksum: String,
    pub actor: String,
    pub created_at: String,
    /// The text (TOML).
    pub body: String,
    pub history: Vec<VersionOut>,
}

/// A new text for a document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentUpdate {
    /// The whole text (TOML).
    pub body: String,
}

/// One problem found in a refused save.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiagnosticOut {
    pub file: String,
    /// 1-based; 0 for a failing test case without a position.
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub message_en: String,
}

/// A refused save: the problem document with every diagnostic.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectedOut {
    #[serde(flatten)]
    pub problem: Problem,
    pub diagnostics: Vec<DiagnosticOut>,
}

fn out(history: &[Document]) -> Option<DocumentOut> {
    let cur = history.first().filter(|d| !d.deleted)?;
    Some(DocumentOut {
        name: cur.name.clone(),
        version: cur.version,
        checksum: cur.checksum.clone(),
        actor: cur.actor.clone(),
        created_at: cur.created_at.to_rfc3339(),
        body: cur.body.clone(),
        history: history
            .iter()
            .map(|d| VersionOut {
                version: d.version,
                actor: d.actor.clone(),
                created_at: d.created_at.to_rfc3339(),
                deleted: d.deleted,
            })
            .collect(),
    })
}

/// The document with its history, or 404.
async fn load(state: &AppState, kind: DocumentKind, name: &str) -> Result<DocumentOut, WebError> {
    let h = state.store.document_history(kind, name).await?;
    out(&h).ok_or_else(|| {
        WebError::Store(store::StoreError::DocumentNotFound { kind: kind.as_str().into(), name: name.into() })
    })
}

/// A document as JSON with `ETag: "<version>"`.
fn with_version(d: &DocumentOut) -> Result<Response, WebError> {
    let tag = HeaderValue::from_str(&format!("\"{}\"", d.version)).map_err(WebError::internal)?;
    let mut resp = Json(d).into_response();
    resp.headers_mut().insert(header::ETAG, tag);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(resp)
}

/// The version an `If-Match` header names: 428 without one, 412 if it names another.
fn if_match(headers: &HeaderMap, current: i64) -> Result<i64, WebError> {
    let v =
        headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).ok_or(WebError::PreconditionRequired)?;
    let named = v
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == "*" || t.parse::<i64>().is_ok_and(|n| n == current));
    if named { Ok(current) } else { Err(WebError::PreconditionFailed) }
}

fn diagnostics(r: &Rejected) -> Vec<DiagnosticOut> {
    match r {
        Rejected::Diagnostics(ds) => ds
            .iter()
            .map(|d| DiagnosticOut {
                file: d.location.file.clone(),
                line: d.location.line,
                column: d.location.column,
                message: d.error.render(Lang::Zh),
                message_en: d.error.render(Lang::En),
            })
            .collect(),
        Rejected::FailedCases(cs) => cs
            .iter()
            .map(|c| {
                let why = c.problem.clone().unwrap_or_default();
                DiagnosticOut {
                    file: c.file.clone(),
                    line: 0,
                    column: 0,
                    message: format!("条款 {} 的测试用例“{}”未通过：{why}", c.item, c.case),
                    message_en: format!("test case '{}' of item {} failed: {why}", c.case, c.item),
                }
            })
            .collect(),
    }
}

/// Why a policy save failed: refused text (with diagnostics) or any other error.
enum SaveError {
    Rejected(Vec<DiagnosticOut>),
    Other(WebError),
}

impl From<WebError> for SaveError {
    fn from(e: WebError) -> Self {
        SaveError::Other(e)
    }
}

impl From<store::StoreError> for SaveError {
    fn from(e: store::StoreError) -> Self {
        SaveError::Other(e.into())
    }
}

/// Checks the library with `name` replaced by `text`; stores it against `expected` and puts
/// the checked library in use. Returns the new version (`None`: the text was unchanged).
async fn save_policy(
    state: &AppState,
    p: &Principal,
    name: &str,
    expected: i64,
    text: String,
) -> Result<Option<i64>, SaveError> {
    let _one_at_a_time = SAVING.lock().await;
    let docs = state.store.current_documents(DocumentKind::Policy).await?;
    let current = docs.iter().find(|d| d.name == name).ok_or_else(|| {
        store::StoreError::DocumentNotFound { kind: DocumentKind::Policy.as_str().into(), name: name.into() }
    })?;
    if current.version != expected {
        return Err(WebError::PreconditionFailed.into());
    }
    let files = with_replaced(&docs, name, &text);
    let set: PolicySet = check_sources(&files).map_err(|r| SaveError::Rejected(diagnostics(&r)))?;
    let actor = Actor::new(p.username.clone(), state.now());
    let written = state.store.put_document(DocumentKind::Policy, name, Some(expected), text, &actor).await?;
    state.live.set_policies(set);
    tracing::info!(document = name, version = written.as_ref().map(|d| d.version), "policy document saved");
    Ok(written.map(|d| d.version))
}

/// A policy file as stored: its text, version and history. `ETag` is the version.
#[utoipa::path(get, path = "/api/v1/policy-documents/{name}", tag = "policies",
    params(("name" = String, Path, description = "document name, e.g. zone-sample-2022.toml")),
    responses(
        (status = 200, body = DocumentOut, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get_policy_document(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::PolicyLibrary)?;
    with_version(&load(&state, DocumentKind::Policy, &name).await?)
}

/// Saves a new text of a policy file (policy officer, admin). The library is checked with it
/// (parse, types, every test case); on any problem nothing is saved (422 with diagnostics).
#[utoipa::path(put, path = "/api/v1/policy-documents/{name}", tag = "policies", request_body = DocumentUpdate,
    params(("name" = String, Path, description = "document name"),
           ("If-Match" = String, Header, description = "the version read (its ETag)")),
    responses(
        (status = 200, body = DocumentOut, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = RejectedOut, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_put_policy_document(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<DocumentUpdate>, JsonRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::PolicyLibrary)?;
    let current = load(&state, DocumentKind::Policy, &name).await?;
    let expected = if_match(&headers, current.version)?;
    let body = json(body)?;
    match save_policy(&state, &p, &name, expected, body.body).await {
        Ok(_) => with_version(&load(&state, DocumentKind::Policy, &name).await?),
        Err(SaveError::Other(e)) => Err(e),
        Err(SaveError::Rejected(diagnostics)) => {
            let problem = WebError::PolicyRejected { count: diagnostics.len() }.problem();
            let body =
                serde_json::to_vec(&RejectedOut { problem, diagnostics }).map_err(WebError::internal)?;
            let mut resp = (StatusCode::UNPROCESSABLE_ENTITY, body).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
            Ok(resp)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Time limits

/// The time limits as stored, with their values read out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimeLimitsOut {
    #[serde(flatten)]
    pub document: DocumentOut,
    /// The parsed limits (the handling crate's `TimeLimits`).
    #[schema(value_type = Object)]
    pub limits: serde_json::Value,
}

/// Parses and checks a time-limits text against the routing table.
async fn check_limits(state: &AppState, text: &str) -> Result<handling::TimeLimits, WebError> {
    let limits = handling::TimeLimits::parse(text)
        .map_err(|e| WebError::InvalidTimeLimits { reason: e.to_string() })?;
    let routing = enterprise::Routing {
        departments: state.store.departments().await?,
        categories: state.store.categories_with_routing().await?,
    };
    let unknown = limits.unknown_categories(&routing);
    if !unknown.is_empty() {
        return Err(WebError::InvalidTimeLimits {
            reason: format!("unknown category / 未知类别 {}", unknown.join(", ")),
        });
    }
    Ok(limits)
}

async fn save_limits(
    state: &AppState,
    p: &Principal,
    expected: i64,
    text: String,
) -> Result<Option<i64>, WebError> {
    let _one_at_a_time = SAVING.lock().await;
    let limits = check_limits(state, &text).await?;
    let actor = Actor::new(p.username.clone(), state.now());
    let written = state
        .store
        .put_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME, Some(expected), text, &actor)
        .await?;
    state.live.set_time_limits(limits);
    tracing::info!(version = written.as_ref().map(|d| d.version), "time limits saved");
    Ok(written.map(|d| d.version))
}

async fn limits_out(state: &AppState) -> Result<TimeLimitsOut, WebError> {
    let document = load(state, DocumentKind::TimeLimits, TIME_LIMITS_NAME).await?;
    let limits = serde_json::to_value(&*state.live.time_limits()).map_err(WebError::internal)?;
    Ok(TimeLimitsOut { document, limits })
}

fn limits_response(l: &TimeLimitsOut) -> Result<Response, WebError> {
    let mut resp = with_version(&l.document)?;
    *resp.body_mut() = axum::body::Body::from(serde_json::to_vec(l).map_err(WebError::internal)?);
    Ok(resp)
}

/// The time limits new problems are received under. `ETag` is the version.
#[utoipa::path(get, path = "/api/v1/time-limits", tag = "reference",
    responses(
        (status = 200, body = TimeLimitsOut, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get_time_limits(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::TimeLimits)?;
    limits_response(&limits_out(&state).await?)
}

/// Saves new time limits (admin). Checked by the handling crate's parser and against the
/// routing table; problems already received keep their limits.
#[utoipa::path(put, path = "/api/v1/time-limits", tag = "reference", request_body = DocumentUpdate,
    params(("If-Match" = String, Header, description = "the version read (its ETag)")),
    responses(
        (status = 200, body = TimeLimitsOut, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_put_time_limits(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    body: Result<Json<DocumentUpdate>, JsonRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::TimeLimits)?;
    let current = load(&state, DocumentKind::TimeLimits, TIME_LIMITS_NAME).await?;
    let expected = if_match(&headers, current.version)?;
    let body = json(body)?;
    save_limits(&state, &p, expected, body.body).await?;
    limits_response(&limits_out(&state).await?)
}

// ---------------------------------------------------------------------------------------
// Pages

/// The edit form's fields (both pages).
#[derive(Debug, Deserialize)]
pub struct EditForm {
    /// The version the text was read at.
    pub version: i64,
    pub body: String,
}

/// A diagnostic as the page shows it.
#[derive(Debug, Clone)]
pub struct DiagRow {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub message_en: String,
}

#[derive(Template)]
#[template(path = "policy_document.html")]
pub struct DocumentPage {
    pub b: Base,
    /// The form posts here.
    pub action: String,
    /// Rows of the current values (time limits only).
    pub rows: Vec<LimitRow>,
    pub help_key: &'static str,
    pub text_key: &'static str,
    pub d: DocumentOut,
    /// The text in the textarea (the submitted one after a refusal).
    pub text: String,
    pub message: Option<String>,
    pub error: Option<String>,
    pub problems: Vec<DiagRow>,
}

impl DocumentPage {
    pub fn when(&self, rfc3339: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| rfc3339.to_string())
    }

    pub fn line_of(&self, n: &usize) -> String {
        if *n == 0 { "—".into() } else { n.to_string() }
    }
}

fn saved_message(tr: Tr, raw: &HashMap<String, String>) -> Option<String> {
    match raw.get("saved").map(String::as_str) {
        Some("unchanged") => Some(tr.t("ui.docs.unchanged")),
        Some(v) => v.parse::<i64>().ok().map(|n| tr.t1("ui.docs.saved", "version", &n)),
        None => None,
    }
}

async fn policy_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    name: &str,
    message: Option<String>,
    refused: Option<(String, Vec<DiagnosticOut>, Option<String>)>,
) -> Result<Html<String>, WebError> {
    authz::require(p, Action::Write, Resource::PolicyLibrary)?;
    let d = load(state, DocumentKind::Policy, name).await?;
    let mut b = Base::new(lang, Some(p), "/policies", "ui.docs.edit");
    b.title = format!("{} · {name}", b.title);
    let (text, problems, error) = match refused {
        Some((text, diags, error)) => (text, diags, error),
        None => (d.body.clone(), Vec::new(), None),
    };
    let problems = problems
        .into_iter()
        .map(|x| DiagRow {
            file: x.file,
            line: x.line,
            column: x.column,
            message: x.message,
            message_en: x.message_en,
        })
        .collect();
    views::render(&DocumentPage {
        b,
        action: format!("/policies/documents/{name}/edit"),
        rows: Vec::new(),
        help_key: "ui.docs.help",
        text_key: "ui.docs.text",
        d,
        text,
        message,
        error,
        problems,
    })
}

/// The policy officer's edit page of one policy file.
pub async fn page_edit_policy(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(name): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    policy_page(&state, lang, &p, &name, saved_message(Tr(lang), &raw), None).await
}

/// Saves the edited policy file; re-renders with the diagnostics when refused.
pub async fn page_save_policy(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(name): Path<String>,
    f: Result<Form<EditForm>, FormRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::PolicyLibrary)?;
    let f = form(f)?;
    // Browsers send CRLF line ends from a textarea; the stored files use LF.
    let text = f.body.replace("\r\n", "\n");
    let (status, refused) = match save_policy(&state, &p, &name, f.version, text.clone()).await {
        Ok(v) => {
            let saved = v.map_or_else(|| "unchanged".to_string(), |v| v.to_string());
            return Ok(
                Redirect::to(&format!("/policies/documents/{name}/edit?saved={saved}")).into_response()
            );
        }
        Err(SaveError::Rejected(diags)) => {
            let e = WebError::PolicyRejected { count: diags.len() };
            (e.status(), (text, diags, Some(e.render(lang))))
        }
        Err(SaveError::Other(e)) if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN => {
            (e.status(), (text, Vec::new(), Some(e.render(lang))))
        }
        Err(SaveError::Other(e)) => return Err(e),
    };
    let mut resp = policy_page(&state, lang, &p, &name, None, Some(refused)).await?.into_response();
    *resp.status_mut() = status;
    Ok(resp)
}

async fn limits_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    message: Option<String>,
    refused: Option<(String, String)>,
) -> Result<Html<String>, WebError> {
    authz::require(p, Action::Write, Resource::TimeLimits)?;
    let l = limits_out(state).await?;
    let cats = state.store.categories_with_routing().await?;
    let rows = limit_rows(&state.live.time_limits(), &cats, lang);
    let (text, error) = match refused {
        Some((text, error)) => (text, Some(error)),
        None => (l.document.body.clone(), None),
    };
    views::render(&DocumentPage {
        b: Base::new(lang, Some(p), "/admin/time-limits", "ui.limits.title"),
        action: "/admin/time-limits".into(),
        rows,
        help_key: "ui.limits.help",
        text_key: "ui.limits.text",
        d: l.document,
        text,
        message,
        error,
        problems: Vec::new(),
    })
}

/// The admin's time-limits page: the current values and the editable text.
pub async fn page_time_limits(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    limits_page(&state, lang, &p, saved_message(Tr(lang), &raw), None).await
}

/// Saves edited time limits; re-renders with the error when refused.
pub async fn page_save_time_limits(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<EditForm>, FormRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::TimeLimits)?;
    let f = form(f)?;
    let text = f.body.replace("\r\n", "\n");
    let current = load(&state, DocumentKind::TimeLimits, TIME_LIMITS_NAME).await?;
    let r = if current.version == f.version {
        save_limits(&state, &p, f.version, text.clone()).await
    } else {
        Err(WebError::PreconditionFailed)
    };
    match r {
        Ok(v) => {
            let saved = v.map_or_else(|| "unchanged".to_string(), |v| v.to_string());
            Ok(Redirect::to(&format!("/admin/time-limits?saved={saved}")).into_response())
        }
        Err(e) if e.status().is_client_error() => {
            let status = e.status();
            let mut resp =
                limits_page(&state, lang, &p, None, Some((text, e.render(lang)))).await?.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}
