//! Editing the documents kept in the database: the policy files (policy officers and admins),
//! the zone's time limits and the zone settings (admins). API: `GET/PUT
//! /api/v1/policy-documents/{name}`, `GET/PUT /api/v1/time-limits` and `GET/PUT
//! /api/v1/settings`, each with `ETag` = the version and `If-Match` required on `PUT` (428
//! without it, 412 when stale); pages `/policies/documents/{name}/edit`, `/admin/time-limits`
//! (the text) and `/admin/settings` (a form).
//!
//! What a save must pass and what it stores are the use cases' (`app::policies::save`,
//! `app::time_limits::set`, `app::settings::set`): a policy save checks the library as it
//! would be (parse, types, every test case) and on any problem stores nothing (422 with each
//! diagnostic's line and column in both languages). A policy save is a draft for review
//! (`crate::routes::policy_drafts`); time limits and settings are in use at once.
//! Here only HTTP is translated.

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};
use app::policies::{Rejected, SavePolicy};
use app::policy_docs::{DocumentView, Expected};
use app::settings::{FieldKind, SetSettings, ZoneSettings};
use app::time_limits::{LimitRow, SetTimeLimits};
use askama::Template;
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use i18n::{Lang, Localized};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// One version in a document's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    /// Who wrote it (for a policy file: the draft's author).
    pub actor: String,
    /// RFC 3339, China time.
    pub created_at: String,
    pub deleted: bool,
    /// Who approved it (a reviewed policy draft); null for a version written without review.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// The policy draft it came from.
    #[serde(default)]
    pub draft: Option<i64>,
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

impl From<DocumentView> for DocumentOut {
    fn from(d: DocumentView) -> DocumentOut {
        DocumentOut {
            name: d.name,
            version: d.version,
            checksum: d.checksum,
            actor: d.actor,
            created_at: d.created_at.to_rfc3339(),
            body: d.body,
            history: d.history.into_iter().map(version_out).collect(),
        }
    }
}

fn version_out(v: app::policy_docs::VersionView) -> VersionOut {
    VersionOut {
        version: v.version,
        actor: v.actor,
        created_at: v.created_at.to_rfc3339(),
        deleted: v.deleted,
        approved_by: v.approved_by,
        draft: v.draft,
    }
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
    pub problem: ProblemDocument,
    pub diagnostics: Vec<DiagnosticOut>,
}

/// A response with `ETag: "<version>"`.
fn with_etag(version: i64, body: &impl Serialize) -> Result<Response, WebError> {
    let tag = HeaderValue::from_str(&format!("\"{version}\"")).map_err(WebError::internal)?;
    let mut resp = Json(body).into_response();
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

/// A policy file as stored: its text, version and history. `ETag` is the version.
#[utoipa::path(get, path = "/api/v1/policy-documents/{name}", tag = "policies",
    params(("name" = String, Path, description = "document name, e.g. zone-sample-2022.toml")),
    responses(
        (status = 200, body = DocumentOut, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get_policy_document(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let d = DocumentOut::from(app::policies::document(&state, &p, &name).await?);
    with_etag(d.version, &d)
}

/// Proposes a new text of a policy file (policy officer, admin) as a draft for review. The
/// library is checked with it (parse, types, every test case); on any problem nothing is
/// stored (422 with diagnostics). A change answers 202 Accepted with the draft (`Location`:
/// its review, `GET /api/v1/policy-drafts/{id}`); it goes live only when a second policy
/// officer or admin approves it (`POST /api/v1/policy-drafts/{id}/approve`). A text equal to
/// the live one answers 200 with the document, unchanged.
#[utoipa::path(put, path = "/api/v1/policy-documents/{name}", tag = "policies", request_body = DocumentUpdate,
    params(("name" = String, Path, description = "document name"),
           ("If-Match" = String, Header, description = "the version read (its ETag)")),
    responses(
        (status = 200, body = DocumentOut, headers(("ETag" = String))),
        (status = 202, body = app::drafts::DraftOut, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = RejectedOut, content_type = "application/problem+json"),
        (status = 428, body = ProblemDocument, content_type = "application/problem+json"),
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
    let current = app::policies::document(&state, &p, &name).await?;
    let expected = if_match(&headers, current.version)?;
    let body = json(body)?;
    let req = SavePolicy { name: name.clone(), expected, text: body.body };
    match app::policies::save(&state, &p, req).await {
        Ok(app::policies::Proposal::Unchanged) => {
            let d = DocumentOut::from(app::policies::document(&state, &p, &name).await?);
            with_etag(d.version, &d)
        }
        Ok(app::policies::Proposal::Draft(draft)) => {
            let mut resp = with_etag(expected, &app::drafts::DraftOut::from(&draft))?;
            *resp.status_mut() = StatusCode::ACCEPTED;
            let at = HeaderValue::from_str(&format!("/api/v1/policy-drafts/{}", draft.id))
                .map_err(WebError::internal)?;
            resp.headers_mut().insert(header::LOCATION, at);
            Ok(resp)
        }
        Err(app::Error::PolicyRejected(r)) => {
            let diagnostics = diagnostics(&r);
            let problem = WebError::PolicyRejected { count: diagnostics.len() }.problem();
            let body =
                serde_json::to_vec(&RejectedOut { problem, diagnostics }).map_err(WebError::internal)?;
            let mut resp = (StatusCode::UNPROCESSABLE_ENTITY, body).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Time limits

/// The time limits as stored, with their values read out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimeLimitsOut {
    #[serde(flatten)]
    pub document: DocumentOut,
    /// The time limits are zone settings (no document fixes them): this says so, with their
    /// stated source (the zone setting `handling.source`).
    pub source: String,
    /// The parsed limits (the handling crate's `TimeLimits`).
    #[schema(value_type = Object)]
    pub limits: serde_json::Value,
}

/// The time limits in use and their stored document (404 when none is stored).
async fn limits_out(
    state: &AppState,
    p: &Principal,
) -> Result<(TimeLimitsOut, Vec<LimitRow>, Vec<LimitRow>), WebError> {
    let v = app::time_limits::show(state, p).await?;
    let (zh, en) = (v.rows(Lang::Zh), v.rows(Lang::En));
    let document = v.document.ok_or_else(|| {
        WebError::Store(store::StoreError::DocumentNotFound {
            kind: store::documents::DocumentKind::TimeLimits.as_str().into(),
            name: store::documents::TIME_LIMITS_NAME.into(),
        })
    })?;
    let limits = serde_json::to_value(&*v.limits).map_err(WebError::internal)?;
    let source = state.live.settings().time_limits_label(Lang::Zh);
    Ok((TimeLimitsOut { document: document.into(), source, limits }, zh, en))
}

/// The time limits new problems are received under. `ETag` is the version.
#[utoipa::path(get, path = "/api/v1/time-limits", tag = "reference",
    responses(
        (status = 200, body = TimeLimitsOut, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get_time_limits(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    let (l, _, _) = limits_out(&state, &p).await?;
    with_etag(l.document.version, &l)
}

/// Saves new time limits (admin). Checked by the handling crate's parser and against the
/// routing table; problems already received keep their limits.
#[utoipa::path(put, path = "/api/v1/time-limits", tag = "reference", request_body = DocumentUpdate,
    params(("If-Match" = String, Header, description = "the version read (its ETag)")),
    responses(
        (status = 200, body = TimeLimitsOut, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_put_time_limits(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    body: Result<Json<DocumentUpdate>, JsonRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::TimeLimits)?;
    let (current, _, _) = limits_out(&state, &p).await?;
    let expected = if_match(&headers, current.document.version)?;
    let body = json(body)?;
    let req = SetTimeLimits { expected: Expected::Version(expected), text: body.body };
    app::time_limits::set(&state, &p, req).await?;
    let (l, _, _) = limits_out(&state, &p).await?;
    with_etag(l.document.version, &l)
}

// ---------------------------------------------------------------------------------------
// Zone settings

/// One setting as the API and the page show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettingOut {
    /// `section.field`, as in the settings document (`supervision.response_rate`).
    pub key: String,
    /// `percent` or `text`.
    pub kind: String,
    pub label: String,
    pub label_en: String,
    pub help: String,
    pub help_en: String,
    /// The current value as text.
    pub value: String,
}

/// The zone settings in use, with their stored versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettingsOut {
    /// The stored version; 0 while none is stored (the shipped defaults are in use).
    pub version: i64,
    /// Who saved the current version (null for the shipped defaults).
    pub actor: Option<String>,
    /// RFC 3339, China time.
    pub created_at: Option<String>,
    /// The settings (`app::settings::ZoneSettings`): `{"supervision": {"response_rate": 90,
    /// "on_time_closure_rate": 90, "satisfaction_rate": 90, "resolution_rate": 80, "source":
    /// "…"}}`; what a `PUT` sends back, changed.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Every setting with its label and help in both languages.
    pub fields: Vec<SettingOut>,
    pub history: Vec<VersionOut>,
}

fn settings_out(v: app::settings::SettingsView) -> Result<SettingsOut, WebError> {
    let zh = v.settings.fields(Lang::Zh);
    let en = v.settings.fields(Lang::En);
    let fields = zh
        .into_iter()
        .zip(en)
        .map(|(z, e)| SettingOut {
            key: z.key.to_string(),
            kind: match z.kind {
                FieldKind::Percent => "percent".into(),
                FieldKind::Text { .. } => "text".into(),
                FieldKind::Workdays { .. } => "workdays".into(),
            },
            label: z.label,
            label_en: e.label,
            help: z.help,
            help_en: e.help,
            value: z.value,
        })
        .collect();
    let version = v.version();
    let (actor, created_at, history) = match v.document {
        Some(d) => {
            (Some(d.actor), Some(d.created_at.to_rfc3339()), d.history.into_iter().map(version_out).collect())
        }
        None => (None, None, Vec::new()),
    };
    Ok(SettingsOut {
        version,
        actor,
        created_at,
        settings: serde_json::to_value(&v.settings).map_err(WebError::internal)?,
        fields,
        history,
    })
}

/// The zone settings (园区设置): the supervision thresholds with where they come from, and
/// what later issues add. `ETag` is the version ("0" while none is stored).
#[utoipa::path(get, path = "/api/v1/settings", tag = "reference",
    responses(
        (status = 200, body = SettingsOut, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get_settings(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    let out = settings_out(app::settings::show(&state, &p).await?)?;
    with_etag(out.version, &out)
}

/// Replaces the zone settings (admin): the whole `settings` object as `GET` returns it (a
/// field left out takes its default). Each value is checked (percentages 0–100 with at most
/// two decimals, a stated source); on any problem nothing is saved.
#[utoipa::path(put, path = "/api/v1/settings", tag = "reference", request_body(content = Object,
        description = "the settings object, as GET /api/v1/settings returns it in `settings`"),
    params(("If-Match" = String, Header, description = "the version read (its ETag; \"0\" while none is stored)")),
    responses(
        (status = 200, body = SettingsOut, headers(("ETag" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 428, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_put_settings(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    body: Result<Json<ZoneSettings>, JsonRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::ZoneSettings)?;
    let current = app::settings::show(&state, &p).await?;
    let expected = if_match(&headers, current.version())?;
    let settings = json(body)?;
    app::settings::set(&state, &p, SetSettings { expected: Expected::Version(expected), settings }).await?;
    let out = settings_out(app::settings::show(&state, &p).await?)?;
    with_etag(out.version, &out)
}

// ---------------------------------------------------------------------------------------
// Pages

/// The edit form's fields (the policy and time-limits pages).
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
    /// Where the time limits come from (a zone setting with its source; time limits only).
    pub source: Option<String>,
    pub help_key: &'static str,
    pub text_key: &'static str,
    pub d: DocumentOut,
    /// The text in the textarea (the submitted one after a refusal).
    pub text: String,
    pub message: Option<String>,
    pub error: Option<String>,
    pub problems: Vec<DiagRow>,
    /// Changes are reviewed (policy files): the history names the approver and the draft.
    pub reviewed: bool,
}

impl DocumentPage {
    pub fn when(&self, rfc3339: &str) -> String {
        i18n::dates::time_table_of(rfc3339)
    }

    /// Who saved a version: the shipped text as such, else the user.
    pub fn who(&self, actor: &str) -> String {
        who(self.b.tr, actor)
    }

    pub fn line_of(&self, n: &usize) -> String {
        if *n == 0 { "—".into() } else { n.to_string() }
    }
}

/// Who saved a version in words: `seed` is the text shipped with huiqi.
fn who(tr: crate::lang::Tr, actor: &str) -> String {
    crate::plain::person(tr, &Default::default(), actor)
}

fn saved_message(tr: Tr, raw: &HashMap<String, String>) -> Option<String> {
    match raw.get("saved").map(String::as_str) {
        Some("unchanged") => Some(tr.t("ui.docs.unchanged")),
        Some(v) => v.parse::<i64>().ok().map(|n| tr.t1("ui.docs.saved", "version", &n)),
        None => None,
    }
}

fn saved_query(v: Option<i64>) -> String {
    v.map_or_else(|| "unchanged".to_string(), |v| v.to_string())
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
    let d = DocumentOut::from(app::policies::document(state, p, name).await?);
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
        source: None,
        help_key: "ui.docs.help",
        text_key: "ui.docs.text",
        d,
        text,
        message,
        error,
        problems,
        reviewed: true,
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

/// Saves the edited policy file as a draft and shows its review page; re-renders with the
/// diagnostics when refused.
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
    let req = SavePolicy { name: name.clone(), expected: f.version, text: text.clone() };
    let (status, refused) = match app::policies::save(&state, &p, req).await {
        Ok(app::policies::Proposal::Unchanged) => {
            let to = format!("/policies/documents/{name}/edit?saved=unchanged");
            return Ok(Redirect::to(&to).into_response());
        }
        Ok(app::policies::Proposal::Draft(d)) => {
            return Ok(Redirect::to(&format!("/policies/drafts/{}?done=saved", d.id)).into_response());
        }
        Err(app::Error::PolicyRejected(r)) => {
            let diags = diagnostics(&r);
            let e = WebError::PolicyRejected { count: diags.len() };
            (e.status(), (text, diags, Some(e.render(lang))))
        }
        Err(e) => {
            let e = WebError::from(e);
            if !e.status().is_client_error() || e.status() == StatusCode::FORBIDDEN {
                return Err(e);
            }
            (e.status(), (text, Vec::new(), Some(e.render(lang))))
        }
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
    let (l, zh, en) = limits_out(state, p).await?;
    let rows = if lang == Lang::Zh {
        // The page names a category by name; its code (the text's section) is in the text.
        zh.into_iter()
            .map(|mut r| {
                if let Some(at) = r.what.rfind('（')
                    && r.what.ends_with('）')
                    && r.what[at..]
                        .trim_matches(['（', '）'])
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    r.what.truncate(at);
                }
                r
            })
            .collect()
    } else {
        en
    };
    let (text, error) = match refused {
        Some((text, error)) => (text, Some(error)),
        None => (l.document.body.clone(), None),
    };
    views::render(&DocumentPage {
        b: Base::new(lang, Some(p), "/admin/time-limits", "ui.limits.title"),
        action: "/admin/time-limits".into(),
        rows,
        source: Some(state.live.settings().time_limits_label(lang)),
        help_key: "ui.limits.help",
        text_key: "ui.limits.text",
        d: l.document,
        text,
        message,
        error,
        problems: Vec::new(),
        reviewed: false,
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
    let req = SetTimeLimits { expected: Expected::Version(f.version), text: text.clone() };
    match app::time_limits::set(&state, &p, req).await.map_err(WebError::from) {
        Ok(saved) => {
            Ok(Redirect::to(&format!("/admin/time-limits?saved={}", saved_query(saved.version)))
                .into_response())
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

/// One setting on the settings form.
#[derive(Debug, Clone)]
pub struct SettingRow {
    pub key: String,
    /// The input's id (the key with `.` as `-`).
    pub id: String,
    /// The section's legend when this row starts a section (`supervision`, `handling`).
    pub section: Option<String>,
    pub percent: bool,
    /// A whole number of working days from `min` to `max`.
    pub workdays: bool,
    pub min: u32,
    pub max: u32,
    pub max_chars: usize,
    pub label: String,
    pub help: String,
    /// The value in the input (the submitted one after a refusal).
    pub value: String,
    /// The refusal concerns this field.
    pub invalid: bool,
}

/// The admin's zone-settings page (`/admin/settings`): a form of every setting with its help,
/// the source of the thresholds, and the versions saved.
#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub b: Base,
    /// 0 while none is stored.
    pub version: i64,
    pub rows: Vec<SettingRow>,
    pub history: Vec<VersionOut>,
    pub message: Option<String>,
    pub error: Option<String>,
}

impl SettingsPage {
    /// Who saved a version: the shipped text as such, else the user.
    pub fn who(&self, actor: &str) -> String {
        who(self.b.tr, actor)
    }

    pub fn when(&self, rfc3339: &str) -> String {
        i18n::dates::time_table_of(rfc3339)
    }
}

async fn settings_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    message: Option<String>,
    refused: Option<(HashMap<String, String>, app::Error)>,
) -> Result<Html<String>, WebError> {
    authz::require(p, Action::Write, Resource::ZoneSettings)?;
    let v = app::settings::show(state, p).await?;
    let (submitted, error) = match refused {
        Some((values, e)) => (values, Some(e)),
        None => (HashMap::new(), None),
    };
    let bad_field = match &error {
        Some(app::Error::InvalidSetting { key: field, .. } | app::Error::TooLong { field, .. }) => {
            Some(field.clone())
        }
        _ => None,
    };
    let tr = Tr(lang);
    let mut last_section = String::new();
    let rows = v
        .settings
        .fields(lang)
        .into_iter()
        .map(|f| SettingRow {
            key: f.key.to_string(),
            id: f.key.replace('.', "-"),
            section: {
                let section = f.key.split('.').next().unwrap_or_default().to_string();
                (section != last_section).then(|| {
                    last_section = section.clone();
                    let key: &'static str = match section.as_str() {
                        "handling" => "ui.settings.handling",
                        _ => "ui.settings.supervision",
                    };
                    tr.t(key)
                })
            },
            percent: f.kind == FieldKind::Percent,
            workdays: matches!(f.kind, FieldKind::Workdays { .. }),
            min: match f.kind {
                FieldKind::Workdays { min, .. } => min,
                _ => 0,
            },
            max: match f.kind {
                FieldKind::Workdays { max, .. } => max,
                _ => 0,
            },
            max_chars: match f.kind {
                FieldKind::Text { max_chars } => max_chars,
                FieldKind::Percent | FieldKind::Workdays { .. } => 0,
            },
            label: f.label,
            help: f.help,
            value: submitted.get(f.key).cloned().unwrap_or(f.value),
            invalid: bad_field.as_deref() == Some(f.key),
        })
        .collect();
    let version = v.version();
    let history = v.document.map(|d| d.history.into_iter().map(version_out).collect()).unwrap_or_default();
    views::render(&SettingsPage {
        b: Base::new(lang, Some(p), "/admin/settings", "ui.settings.title"),
        version,
        rows,
        history,
        message,
        error: error.map(|e| WebError::from(e).render(lang)),
    })
}

/// The admin's zone-settings page.
pub async fn page_settings(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    settings_page(&state, lang, &p, saved_message(Tr(lang), &raw), None).await
}

/// Saves the settings form (`version` and one field per setting, named by its key);
/// re-renders with the error, the submitted values kept, when refused.
pub async fn page_save_settings(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::ZoneSettings)?;
    let f = form(f)?;
    let version =
        f.get("version").and_then(|v| v.parse::<i64>().ok()).ok_or_else(|| WebError::InvalidParam {
            param: "version".into(),
            value: f.get("version").cloned().unwrap_or_default(),
        })?;
    let current = app::settings::show(&state, &p).await?;
    let values = app::settings::FIELDS.iter().filter_map(|x| f.get(x.key).map(|v| (x.key, v.as_str())));
    let r = match current.settings.with_values(values) {
        Ok(settings) => {
            app::settings::set(&state, &p, SetSettings { expected: Expected::Version(version), settings })
                .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(saved) => {
            Ok(Redirect::to(&format!("/admin/settings?saved={}", saved_query(saved.version))).into_response())
        }
        Err(e) => {
            let status = WebError::from(e.clone()).status();
            if !status.is_client_error() || status == StatusCode::FORBIDDEN {
                return Err(e.into());
            }
            let mut resp = settings_page(&state, lang, &p, None, Some((f, e))).await?.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}
