//! Common problems (共性问题) and governance items (治理事项): the page `/common` (leaders,
//! supervisors and admins read it; leaders and admins make and close items) and the API
//! (`/api/v1/common-problems`, `/api/v1/governance`, `/api/v1/notices`). The use cases
//! (`app::common`) group, check and write; this module translates.

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::routes::problems::pages::Names;
use crate::state::AppState;
use crate::views::{self, Base};
use app::common::{self as uc, CommonProblem, GovernRequest};
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use store::Role;
use store::content::{EnterpriseNotice, GovernanceItem};
use utoipa::ToSchema;

/// One member problem of a common problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberOut {
    pub id: i64,
    /// The enterprise's credit code.
    pub enterprise: String,
    pub title: String,
    /// Lead department code.
    pub lead_department: String,
    /// Days since it was received.
    pub age_days: i64,
}

/// A group of similar open problems of different enterprises.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommonProblemOut {
    /// The members' most frequent title.
    pub title: String,
    pub enterprises: usize,
    /// Lead department codes.
    pub departments: Vec<String>,
    pub oldest_days: i64,
    pub members: Vec<MemberOut>,
}

impl CommonProblemOut {
    fn of(g: &CommonProblem) -> CommonProblemOut {
        CommonProblemOut {
            title: g.title.clone(),
            enterprises: g.enterprises,
            departments: g.departments.clone(),
            oldest_days: g.oldest_days,
            members: g
                .members
                .iter()
                .map(|m| MemberOut {
                    id: m.id,
                    enterprise: m.enterprise.clone(),
                    title: m.title.clone(),
                    lead_department: m.lead_department.clone(),
                    age_days: m.age_days,
                })
                .collect(),
        }
    }
}

/// A governance item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GovernanceOut {
    pub id: i64,
    pub title: String,
    /// The owning department's code.
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due: String,
    /// The member problems' ids.
    pub members: Vec<i64>,
    pub open: bool,
    pub created_by: String,
    pub created_at: String,
    pub resolution: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
}

impl GovernanceOut {
    fn of(g: &GovernanceItem) -> GovernanceOut {
        GovernanceOut {
            id: g.id,
            title: g.title.clone(),
            owner: g.owner.clone(),
            due: g.due.to_string(),
            members: g.members.clone(),
            open: g.open,
            created_by: g.created_by.clone(),
            created_at: g.created_at.to_rfc3339(),
            resolution: g.resolution.clone(),
            closed_by: g.closed_by.clone(),
            closed_at: g.closed_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A governance item to make of a group.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct GovernIn {
    /// 1–200 characters.
    pub title: String,
    /// The owning department, by code or name.
    pub owner: String,
    /// `YYYY-MM-DD`, after today (China time).
    pub due: String,
    /// 2–1,000 member problems' ids.
    pub members: Vec<i64>,
}

/// How a governance item was solved.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CloseIn {
    /// 1–2,000 characters; sent to every member enterprise.
    pub resolution: String,
}

/// What closing did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClosedOut {
    /// Member enterprises notified (one notice per member problem).
    pub notified: usize,
}

/// A notice to the signed-in enterprise.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: i64,
    pub at: String,
    pub problem_id: Option<i64>,
    pub text: String,
}

impl NoticeOut {
    fn of(n: &EnterpriseNotice) -> NoticeOut {
        NoticeOut { id: n.id, at: n.at.to_rfc3339(), problem_id: n.problem_id, text: n.text.clone() }
    }
}

/// The common problems among the open ones, largest first (leaders, supervisors, admins).
#[utoipa::path(get, path = "/api/v1/common-problems", tag = "common",
    responses(
        (status = 200, body = Vec<CommonProblemOut>),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_groups(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<CommonProblemOut>>, WebError> {
    Ok(Json(uc::groups(&state, &p).await?.iter().map(CommonProblemOut::of).collect()))
}

/// The governance items, newest first (leaders, supervisors, admins).
#[utoipa::path(get, path = "/api/v1/governance", tag = "common",
    responses(
        (status = 200, body = Vec<GovernanceOut>),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_items(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<GovernanceOut>>, WebError> {
    Ok(Json(uc::governance(&state, &p).await?.iter().map(GovernanceOut::of).collect()))
}

/// Makes a governance item of member problems (leaders, admins).
#[utoipa::path(post, path = "/api/v1/governance", tag = "common", request_body = GovernIn,
    responses(
        (status = 201, body = GovernanceOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_govern(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<GovernIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    let req = GovernRequest { title: b.title, owner: b.owner, due: b.due, members: b.members };
    let item = uc::govern(&state, &p, req).await?;
    Ok((StatusCode::CREATED, Json(GovernanceOut::of(&item))).into_response())
}

/// Closes a governance item and notifies every member enterprise (leaders, admins).
#[utoipa::path(post, path = "/api/v1/governance/{id}/close", tag = "common", request_body = CloseIn,
    params(("id" = i64, Path, description = "The governance item's id")),
    responses(
        (status = 200, body = ClosedOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_close(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<CloseIn>, JsonRejection>,
) -> Result<Json<ClosedOut>, WebError> {
    let b = json(body)?;
    Ok(Json(ClosedOut { notified: uc::close(&state, &p, id, &b.resolution).await? }))
}

/// The signed-in enterprise's notices, newest first (at most 50).
#[utoipa::path(get, path = "/api/v1/notices", tag = "common",
    responses(
        (status = 200, body = Vec<NoticeOut>),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_notices(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<NoticeOut>>, WebError> {
    Ok(Json(uc::notices(&state, &p).await?.iter().map(NoticeOut::of).collect()))
}

// ---------------------------------------------------------------------------------------
// The page

/// `/common`: the common problems and the governance items.
#[derive(askama::Template)]
#[template(path = "common.html")]
pub struct CommonPage {
    pub b: Base,
    pub n: Names,
    pub groups: Vec<CommonProblem>,
    pub items: Vec<GovernanceItem>,
    /// Leaders and admins make and close items.
    pub can_govern: bool,
    /// The default deadline offered (in a month).
    pub due_default: String,
    pub error: Option<String>,
}

impl CommonPage {
    /// The member ids of a group, as the form sends them.
    pub fn member_ids(&self, g: &CommonProblem) -> String {
        g.members.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(",")
    }
    pub fn ids(&self, v: &[i64]) -> String {
        v.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(" ")
    }
    pub fn time(&self, t: &Option<chrono::DateTime<chrono::FixedOffset>>) -> String {
        t.map_or_else(String::new, i18n::dates::time_table)
    }
    pub fn person(&self, u: &Option<String>) -> String {
        u.as_deref().map_or_else(String::new, |u| self.n.person(u))
    }
}

async fn common_page(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let groups = uc::groups(state, p).await?;
    let items = uc::governance(state, p).await?;
    let routing = app::problems::routing(state).await?;
    let mut people: Vec<String> = items.iter().map(|i| i.created_by.clone()).collect();
    people.extend(items.iter().filter_map(|i| i.closed_by.clone()));
    let n = Names::new(lang, routing).with_people(state, p, &people).await?;
    let b = Base::new(lang, Some(p), "/common", "ui.common.title");
    let due_default = (state.now().date_naive() + chrono::Duration::days(30)).to_string();
    views::render(&CommonPage {
        b,
        n,
        groups,
        items,
        can_govern: matches!(p.role, Role::Leader | Role::Admin),
        due_default,
        error,
    })
}

/// `GET /common`.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    common_page(&state, lang, &p, None).await
}

/// The form that makes a governance item of a group.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GovernForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due: String,
    /// Member ids separated by commas.
    #[serde(default)]
    pub members: String,
}

/// Renders the page again with a use case's error, or passes an internal one on.
async fn or_page(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    e: app::Error,
) -> Result<Response, WebError> {
    if e.kind() == app::ErrorKind::Internal || e.kind() == app::ErrorKind::Forbidden {
        return Err(e.into());
    }
    let msg = i18n::Localized::render(&e, lang);
    Ok((StatusCode::BAD_REQUEST, common_page(state, lang, p, Some(msg)).await?).into_response())
}

/// `POST /common/govern`.
pub async fn page_govern(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<GovernForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let mut members = Vec::new();
    for part in f.members.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match part.parse::<i64>() {
            Ok(id) => members.push(id),
            Err(_) => {
                let e = app::Error::Invalid {
                    field: "members".into(),
                    value: part.chars().take(40).collect(),
                    reason: "诉求编号 / a problem number".into(),
                };
                return or_page(&state, lang, &p, e).await;
            }
        }
    }
    let req = GovernRequest { title: f.title, owner: f.owner, due: f.due, members };
    match uc::govern(&state, &p, req).await {
        Ok(item) => Ok(Redirect::to(&format!("/common#g{}", item.id)).into_response()),
        Err(e) => or_page(&state, lang, &p, e).await,
    }
}

/// The form that closes a governance item.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    pub resolution: String,
}

/// `POST /common/governance/{id}/close`.
pub async fn page_close(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<CloseForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match uc::close(&state, &p, id, &f.resolution).await {
        Ok(_) => Ok(Redirect::to(&format!("/common#g{id}")).into_response()),
        Err(e) => or_page(&state, lang, &p, e).await,
    }
}
