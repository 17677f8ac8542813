//! Policy consultation: the search box and its results (`/search`, `/api/v1/search`), the
//! suggestions shown while a problem is typed (`/api/v1/search/suggest`), "this solved it"
//! (`/api/v1/search/solved`), the result an enterprise opened (`/search/go`), the questions
//! without answers (`/search/unanswered`), synonyms, the index rebuild, and the content
//! officials write (`/content`, `/api/v1/content`). The use cases (`app::search`,
//! `app::content`) decide and check; this module translates.

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};
use app::content::{self as uc, ContentFilter, ContentInput, GuideInput, ReviewStep};
use app::search::{self as us, SearchRequest};
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::Role;
use store::content::{ContentItem, ContentKind, ContentState};
use utoipa::{IntoParams, ToSchema};

/// One search result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HitOut {
    /// `policy`, `item`, `interpretation`, `faq`, `guide`, `case`, `problem`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// HTML: escaped text, matched words in `<b>`.
    pub snippet: String,
    pub score: f32,
}

impl HitOut {
    fn of(h: &us::Hit) -> HitOut {
        HitOut {
            kind: h.kind.as_str().into(),
            id: h.id.clone(),
            title: h.title.clone(),
            snippet: h.snippet.clone(),
            score: h.score,
        }
    }

    /// Where the result is read.
    pub fn href(&self) -> String {
        match self.kind.as_str() {
            "policy" => format!("/policies/{}", self.id),
            "item" => format!("/items/{}", self.id),
            "problem" => format!("/problems/{}", self.id),
            _ => format!("/content/{}", self.id),
        }
    }

    pub fn kind_label(&self) -> &'static str {
        us::Kind::parse(&self.kind).map_or("", us::Kind::label_zh)
    }
}

/// Search parameters (the API's and the page's).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words, a document number (`2022年第14号`) or pinyin (`zjtx`).
    #[serde(default)]
    pub q: String,
    /// `policy`, `item`, `interpretation`, `faq`, `guide`, `case`, `problem` (comma-separated).
    pub kind: Option<String>,
    /// In force on this date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// `national`, `provincial`, `municipal`, `zone`.
    pub level: Option<String>,
    pub department: Option<String>,
    /// Comma-separated; each must be present.
    pub tags: Option<String>,
    /// `no_application` or `application`.
    pub benefit: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<usize>,
}

impl SearchParams {
    fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            kind: self.kind.clone(),
            date: self.date.clone(),
            level: self.level.clone(),
            department: self.department.clone(),
            tags: self.tags.clone(),
            benefit: self.benefit.clone(),
            limit: self.limit,
        }
    }
}

/// Searches policy documents and items, published content and the problems the caller may
/// see, best first. An enterprise's search is logged: its id is in the `X-Search-Id` header
/// (send it with `/api/v1/search/click` for the result opened).
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses(
        (status = 200, body = Vec<HitOut>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_search(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<SearchParams>,
) -> Result<Response, WebError> {
    let a = us::search(&state, &p, &q.request()).await?;
    let hits: Vec<HitOut> = a.hits.iter().map(HitOut::of).collect();
    let mut resp = Json(hits).into_response();
    if let Some(id) = a.search_id
        && let Ok(v) = HeaderValue::from_str(&id.to_string())
    {
        resp.headers_mut().insert("x-search-id", v);
    }
    Ok(resp)
}

/// What a problem being typed is about.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// The title and description typed so far (the first 200 characters are used).
    #[serde(default)]
    pub q: String,
}

/// Suggestions while a problem is typed: FAQs, guides, policy items, interpretations, cases
/// and similar closed problems, at most 8. Not logged.
#[utoipa::path(get, path = "/api/v1/search/suggest", tag = "search", params(SuggestParams),
    responses(
        (status = 200, body = Vec<HitOut>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_suggest(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<SuggestParams>,
) -> Result<Json<Vec<HitOut>>, WebError> {
    let today = handling::china_date(state.now());
    let hits = us::suggest(&state, &p, &q.q, Some(today)).await?;
    Ok(Json(hits.iter().map(HitOut::of).collect()))
}

/// The result an enterprise opened from a logged search.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ClickIn {
    pub search_id: i64,
    pub kind: String,
    pub id: String,
}

/// Records the result opened from a logged search (what makes a search "answered").
#[utoipa::path(post, path = "/api/v1/search/click", tag = "search", request_body = ClickIn,
    responses(
        (status = 204),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_click(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ClickIn>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    let c = json(body)?;
    us::click(&state, &p, c.search_id, &c.kind, &c.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "This solved it": the answer an enterprise chose instead of raising its problem.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SolvedIn {
    /// What it had typed.
    pub q: String,
    pub kind: String,
    pub id: String,
}

/// Records a self-service answer (counted in the KPIs apart from problems).
#[utoipa::path(post, path = "/api/v1/search/solved", tag = "search", request_body = SolvedIn,
    responses(
        (status = 201),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_solved(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<SolvedIn>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    let s = json(body)?;
    us::solved(&state, &p, &s.q, &s.kind, &s.id).await?;
    Ok(StatusCode::CREATED)
}

/// A query enterprises searched without opening a result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnansweredOut {
    pub query: String,
    pub count: i64,
    pub min_hits: i64,
    pub last_at: String,
}

/// Questions without answers (officials): what enterprises searched and did not open, most
/// frequent first.
#[utoipa::path(get, path = "/api/v1/search/unanswered", tag = "search",
    responses(
        (status = 200, body = Vec<UnansweredOut>),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_unanswered(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<UnansweredOut>>, WebError> {
    Ok(Json(unanswered(&state, &p).await?))
}

async fn unanswered(state: &AppState, p: &Principal) -> Result<Vec<UnansweredOut>, WebError> {
    Ok(us::unanswered(state, p, 100)
        .await?
        .into_iter()
        .map(|u| UnansweredOut {
            query: u.query,
            count: u.count,
            min_hits: u.min_hits,
            last_at: u.last_at.to_rfc3339(),
        })
        .collect())
}

/// What a rebuild did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RebuiltOut {
    pub documents: u64,
    pub seconds: f64,
}

/// Rebuilds this server's search index from the database (admins).
#[utoipa::path(post, path = "/api/v1/search/rebuild", tag = "search",
    responses(
        (status = 200, body = RebuiltOut),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_rebuild(State(state): State<AppState>, p: Principal) -> Result<Json<RebuiltOut>, WebError> {
    let r = us::rebuild(&state, &p).await?;
    Ok(Json(RebuiltOut { documents: r.documents, seconds: r.seconds }))
}

/// A synonym group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SynonymsOut {
    pub id: i64,
    pub terms: Vec<String>,
}

/// A synonym group to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SynonymsIn {
    /// 2–20 terms (`["留抵", "留抵退税"]`).
    pub terms: Vec<String>,
}

/// The zone's synonym groups.
#[utoipa::path(get, path = "/api/v1/search/synonyms", tag = "search",
    responses((status = 200, body = Vec<SynonymsOut>)),
    security(("bearer" = [])))]
pub async fn api_synonyms(
    State(state): State<AppState>,
    _p: Principal,
) -> Result<Json<Vec<SynonymsOut>>, WebError> {
    Ok(Json(
        us::synonyms(&state).await?.into_iter().map(|g| SynonymsOut { id: g.id, terms: g.terms }).collect(),
    ))
}

/// Adds a synonym group (policy officers, admins).
#[utoipa::path(post, path = "/api/v1/search/synonyms", tag = "search", request_body = SynonymsIn,
    responses(
        (status = 201, body = SynonymsOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_add_synonyms(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<SynonymsIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let s = json(body)?;
    let g = us::save_synonyms(&state, &p, None, &s.terms).await?;
    Ok((StatusCode::CREATED, Json(SynonymsOut { id: g.id, terms: g.terms })).into_response())
}

/// Deletes a synonym group (policy officers, admins).
#[utoipa::path(delete, path = "/api/v1/search/synonyms/{id}", tag = "search",
    params(("id" = i64, Path, description = "The group's id")),
    responses(
        (status = 204),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_delete_synonyms(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<StatusCode, WebError> {
    if us::delete_synonyms(&state, &p, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(WebError::NotFound { path: format!("/api/v1/search/synonyms/{id}") })
    }
}

// ---------------------------------------------------------------------------------------
// Content API

/// Which content to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// `interpretation`, `faq`, `guide`, `case`.
    pub kind: Option<String>,
    /// `draft`, `in_review`, `published`, `withdrawn` (officials).
    pub state: Option<String>,
    /// Linked to this policy item.
    pub item: Option<String>,
}

/// Content the caller may read (enterprises: published), newest first.
#[utoipa::path(get, path = "/api/v1/content", tag = "content", params(ContentQuery),
    responses(
        (status = 200, description = "Content items (JSON objects as stored)"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ContentQuery>,
) -> Result<Json<Vec<ContentItem>>, WebError> {
    Ok(Json(uc::list(&state, &p, &ContentFilter { kind: q.kind, state: q.state, item: q.item }).await?))
}

/// Writes a draft (department staff for their department, policy officers, admins).
#[utoipa::path(post, path = "/api/v1/content", tag = "content", request_body = ContentInput,
    responses(
        (status = 201, description = "The draft as stored"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_create(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ContentInput>, JsonRejection>,
) -> Result<Response, WebError> {
    let input = json(body)?;
    let c = uc::create(&state, &p, input).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

/// One item (officials: with its history).
#[utoipa::path(get, path = "/api/v1/content/{id}", tag = "content",
    params(("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The item, its history and what the caller may do"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<uc::ContentView>, WebError> {
    Ok(Json(uc::show(&state, &p, id).await?))
}

/// The version an edit or review step is made against.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    pub version: i64,
}

/// A new version of an item, made against `?version=` (412 when someone saved since).
#[utoipa::path(put, path = "/api/v1/content/{id}", tag = "content", request_body = ContentInput,
    params(("id" = i64, Path, description = "The item's id"), VersionQuery),
    responses(
        (status = 200, description = "The new version"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_put(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Query(v): Query<VersionQuery>,
    body: Result<Json<ContentInput>, JsonRejection>,
) -> Result<Json<ContentItem>, WebError> {
    let input = json(body)?;
    Ok(Json(uc::edit(&state, &p, id, v.version, input).await?))
}

/// A review step.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReviewIn {
    /// `submit`, `approve`, `return`, `withdraw`.
    pub step: String,
    pub version: i64,
    /// The reason (required to return or withdraw).
    #[serde(default)]
    pub note: String,
}

/// Moves an item through its review: submit, approve (a second person), return, withdraw.
#[utoipa::path(post, path = "/api/v1/content/{id}/review", tag = "content", request_body = ReviewIn,
    params(("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The item after the step"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_review(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<ReviewIn>, JsonRejection>,
) -> Result<Json<ContentItem>, WebError> {
    let r = json(body)?;
    let step = ReviewStep::parse(&r.step).ok_or_else(|| {
        WebError::from(app::Error::Invalid {
            field: "step".into(),
            value: r.step.clone(),
            reason: "submit | approve | return | withdraw".into(),
        })
    })?;
    Ok(Json(uc::review(&state, &p, id, r.version, step, &r.note).await?))
}

/// Makes a draft exemplary case of a closed problem (anonymised, with the consent).
#[utoipa::path(post, path = "/api/v1/content/cases", tag = "content", request_body = app::content::CaseInput,
    responses(
        (status = 201, description = "The draft case"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_case(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<app::content::CaseInput>, JsonRejection>,
) -> Result<Response, WebError> {
    let input = json(body)?;
    let c = uc::make_case(&state, &p, input).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

// ---------------------------------------------------------------------------------------
// Pages

/// The search page.
#[derive(askama::Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub b: Base,
    pub q: String,
    pub kind: String,
    pub date: String,
    pub hits: Vec<HitOut>,
    pub search_id: Option<i64>,
    pub searched: bool,
    pub kinds: Vec<(&'static str, &'static str)>,
}

impl SearchPage {
    /// The link of a result: through `/search/go` for a logged search.
    pub fn link(&self, h: &HitOut) -> String {
        match self.search_id {
            Some(sid) => format!("/search/go?sid={sid}&kind={}&id={}", h.kind, pct(&h.id)),
            None => h.href(),
        }
    }
}

fn pct(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `/search`: the search box's results, with filters by kind and date.
pub async fn page_search(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(q): Query<SearchParams>,
) -> Result<Html<String>, WebError> {
    let searched = !q.q.trim().is_empty();
    let a = if searched { Some(us::search(&state, &p, &q.request()).await?) } else { None };
    let b = Base::new(lang, Some(&p), "/search", "ui.search.title");
    views::render(&SearchPage {
        b,
        q: q.q.clone(),
        kind: q.kind.clone().unwrap_or_default(),
        date: q.date.clone().unwrap_or_default(),
        hits: a.as_ref().map(|a| a.hits.iter().map(HitOut::of).collect()).unwrap_or_default(),
        search_id: a.and_then(|a| a.search_id),
        searched,
        kinds: us::Kind::ALL
            .into_iter()
            .filter(|k| *k != us::Kind::Problem || p.role != Role::Policy)
            .map(|k| (k.as_str(), k.label_zh()))
            .collect(),
    })
}

/// `/search/go?sid=&kind=&id=`: records the result opened from a logged search and goes there.
pub async fn page_go(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Redirect, WebError> {
    let kind = raw.get("kind").cloned().unwrap_or_default();
    let id = raw.get("id").cloned().unwrap_or_default();
    if let Some(sid) = raw.get("sid").and_then(|s| s.parse::<i64>().ok()) {
        us::click(&state, &p, sid, &kind, &id).await?;
    }
    let hit = HitOut { kind, id, title: String::new(), snippet: String::new(), score: 0.0 };
    Ok(Redirect::to(&hit.href()))
}

/// The content list page (and officials' questions without answers).
#[derive(askama::Template)]
#[template(path = "content_list.html")]
pub struct ContentListPage {
    pub b: Base,
    pub items: Vec<ContentItem>,
    pub kind: String,
    pub can_write: bool,
    pub unanswered: Vec<UnansweredOut>,
    pub official: bool,
}

impl ContentListPage {
    pub fn kind_label(&self, k: &ContentKind) -> &'static str {
        k.label_zh()
    }
    pub fn state_label(&self, s: &ContentState) -> &'static str {
        s.label_zh()
    }
}

fn official(p: &Principal) -> bool {
    matches!(p.role, Role::Department | Role::Policy | Role::Leader | Role::Supervisor | Role::Admin)
}

/// `/content`: interpretations, FAQs, guides and cases.
pub async fn page_list(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(q): Query<ContentQuery>,
) -> Result<Html<String>, WebError> {
    let items =
        uc::list(&state, &p, &ContentFilter { kind: q.kind.clone(), state: q.state, item: q.item }).await?;
    let official = official(&p);
    let unanswered =
        if official { unanswered(&state, &p).await?.into_iter().take(20).collect() } else { Vec::new() };
    let b = Base::new(lang, Some(&p), "/content", "ui.content.title");
    views::render(&ContentListPage {
        b,
        items,
        kind: q.kind.unwrap_or_default(),
        can_write: matches!(p.role, Role::Department | Role::Policy | Role::Admin),
        unanswered,
        official,
    })
}

/// One content item's page.
#[derive(askama::Template)]
#[template(path = "content.html")]
pub struct ContentPage {
    pub b: Base,
    pub v: uc::ContentView,
    pub error: Option<String>,
}

impl ContentPage {
    pub fn state_label(&self) -> &'static str {
        self.v.item.state.label_zh()
    }
    pub fn kind_label(&self) -> &'static str {
        self.v.item.kind.label_zh()
    }
    pub fn can_submit(&self) -> bool {
        self.v.can_edit && self.v.item.state == ContentState::Draft
    }
    pub fn can_withdraw(&self) -> bool {
        self.v.can_edit && self.v.item.state == ContentState::Published
    }
    pub fn fmt_time(&self, t: &chrono::DateTime<chrono::FixedOffset>) -> String {
        i18n::dates::time_table(*t)
    }
    pub fn opt<'a>(&self, s: &'a Option<String>) -> &'a str {
        s.as_deref().unwrap_or("")
    }
}

async fn content_page(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let v = uc::show(state, p, id).await?;
    let mut b = Base::new(lang, Some(p), "/content", "ui.content.title");
    b.title = v.item.title.clone();
    views::render(&ContentPage { b, v, error })
}

/// `/content/{id}`.
pub async fn page_one(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    content_page(&state, lang, &p, id, None).await
}

/// The review form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReviewForm {
    pub step: String,
    pub version: i64,
    #[serde(default)]
    pub note: String,
}

/// `POST /content/{id}/review`.
pub async fn page_review(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<ReviewForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let Some(step) = ReviewStep::parse(&f.step) else {
        return Ok(content_page(&state, lang, &p, id, Some(format!("未知操作 / unknown step: {}", f.step)))
            .await?
            .into_response());
    };
    match uc::review(&state, &p, id, f.version, step, &f.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/content/{id}")).into_response()),
        Err(e) if e.kind() != app::ErrorKind::Internal => {
            let msg = i18n::Localized::render(&e, lang);
            Ok(content_page(&state, lang, &p, id, Some(msg)).await?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The edit form page.
#[derive(askama::Template)]
#[template(path = "content_edit.html")]
pub struct ContentEditPage {
    pub b: Base,
    pub id: Option<i64>,
    pub version: i64,
    pub f: ContentForm,
    pub error: Option<String>,
}

/// The content form (guides' documents one per line, tags and items separated by commas).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContentForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub plan_line: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub items: String,
    #[serde(default, rename = "where")]
    pub place: String,
    #[serde(default)]
    pub documents: String,
    #[serde(default)]
    pub time_limit: String,
    #[serde(default)]
    pub fees: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub consent_by: String,
    #[serde(default)]
    pub consent_on: String,
    #[serde(default)]
    pub consent_note: String,
    #[serde(default)]
    pub version: i64,
}

fn split(s: &str, seps: &[char]) -> Vec<String> {
    s.split(|c| seps.contains(&c)).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

impl ContentForm {
    fn input(&self) -> ContentInput {
        let kind = ContentKind::parse(&self.kind);
        ContentInput {
            kind: self.kind.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            department: Some(self.department.clone()).filter(|d| !d.trim().is_empty()),
            plan_line: self.plan_line.clone(),
            tags: split(&self.tags, &[',', '，', '、']),
            items: split(&self.items, &[',', '，', ' ']),
            guide: (kind == Some(ContentKind::Guide)).then(|| GuideInput {
                place: self.place.clone(),
                documents: split(&self.documents, &['\n']),
                time_limit: self.time_limit.clone(),
                fees: self.fees.clone(),
                contact: self.contact.clone(),
            }),
            consent: (kind == Some(ContentKind::Case)).then(|| app::content::ConsentInput {
                by: self.consent_by.clone(),
                on: self.consent_on.clone(),
                note: self.consent_note.clone(),
            }),
        }
    }

    fn of(c: &ContentItem) -> ContentForm {
        let g = c.details.guide.clone().unwrap_or_default();
        let k = c.details.case.clone().unwrap_or_default();
        ContentForm {
            kind: c.kind.as_str().into(),
            title: c.title.clone(),
            body: c.body.clone(),
            department: c.department.clone(),
            plan_line: c.plan_line.clone(),
            tags: c.tags.join("，"),
            items: c.items.join(", "),
            place: g.place,
            documents: g.documents.join("\n"),
            time_limit: g.time_limit,
            fees: g.fees,
            contact: g.contact,
            consent_by: k.consent_by,
            consent_on: k.consent_on.map(|d| d.to_string()).unwrap_or_default(),
            consent_note: k.consent_note,
            version: c.version,
        }
    }
}

/// `/content/new`.
pub async fn page_new(
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    if !matches!(p.role, Role::Department | Role::Policy | Role::Admin) {
        return Err(WebError::Forbidden);
    }
    let b = Base::new(lang, Some(&p), "/content", "ui.content.new");
    let f = ContentForm {
        kind: raw.get("kind").cloned().unwrap_or_else(|| "faq".into()),
        ..ContentForm::default()
    };
    views::render(&ContentEditPage { b, id: None, version: 0, f, error: None })
}

/// `POST /content/new`.
pub async fn page_create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<ContentForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match uc::create(&state, &p, f.input()).await {
        Ok(c) => Ok(Redirect::to(&format!("/content/{}", c.id)).into_response()),
        Err(e) if !matches!(e.kind(), app::ErrorKind::Internal | app::ErrorKind::Forbidden) => {
            let b = Base::new(lang, Some(&p), "/content", "ui.content.new");
            let error = Some(i18n::Localized::render(&e, lang));
            Ok(views::render(&ContentEditPage { b, id: None, version: 0, f, error })?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `/content/{id}/edit`.
pub async fn page_edit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let v = uc::show(&state, &p, id).await?;
    if !v.can_edit {
        return Err(WebError::Forbidden);
    }
    let b = Base::new(lang, Some(&p), "/content", "ui.content.edit");
    views::render(&ContentEditPage {
        b,
        id: Some(id),
        version: v.item.version,
        f: ContentForm::of(&v.item),
        error: None,
    })
}

/// `POST /content/{id}/edit`.
pub async fn page_save(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<ContentForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match uc::edit(&state, &p, id, f.version, f.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/content/{id}")).into_response()),
        Err(e) if !matches!(e.kind(), app::ErrorKind::Internal | app::ErrorKind::Forbidden) => {
            let b = Base::new(lang, Some(&p), "/content", "ui.content.edit");
            let error = Some(i18n::Localized::render(&e, lang));
            let version = f.version;
            Ok(views::render(&ContentEditPage { b, id: Some(id), version, f, error })?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}
