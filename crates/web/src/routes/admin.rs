//! Reference data and administration: departments, the routing table and problem categories
//! (read by everyone, edited and added to by admins), users (admins only). Each handler
//! translates HTTP into a use case of [`app::reference`] or [`app::users`] and its result back.

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::routes::{etag_matches, etag_of, json_with_etag};
use crate::state::AppState;
use crate::views::{self, Base};
use app::users::{RoleChange, UserQuery, UserSummary};
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use enterprise::{Category, Department};
use i18n::Localized;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::User;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DepartmentOut {
    /// Stable code, e.g. `tax_bureau`.
    pub code: String,
    pub name: String,
    pub en: String,
    pub note: Option<String>,
}

impl From<Department> for DepartmentOut {
    fn from(d: Department) -> Self {
        DepartmentOut { code: d.code, name: d.name, en: d.en, note: d.note }
    }
}

/// A problem category with its routing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryOut {
    pub code: String,
    pub name: String,
    pub en: String,
    /// The plan's line.
    pub plan: String,
    /// Department codes, lead (牵头) first, then cooperating (配合).
    pub departments: Vec<String>,
    pub lead: Option<String>,
}

impl From<Category> for CategoryOut {
    fn from(c: Category) -> Self {
        let lead = c.lead().map(str::to_string);
        CategoryOut { code: c.code, name: c.name, en: c.en, plan: c.plan, departments: c.departments, lead }
    }
}

/// The departments, by code.
#[utoipa::path(get, path = "/api/v1/departments", tag = "reference",
    responses((status = 200, body = Vec<DepartmentOut>), (status = 401, body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_departments(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<DepartmentOut>>, WebError> {
    Ok(Json(app::reference::departments(&state.app, &p).await?.into_iter().map(Into::into).collect()))
}

/// The routing table: each problem category with its lead and cooperating departments.
#[utoipa::path(get, path = "/api/v1/routing", tag = "reference",
    responses((status = 200, body = Vec<CategoryOut>), (status = 401, body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_routing(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<CategoryOut>>, WebError> {
    Ok(Json(app::reference::categories(&state.app, &p).await?.into_iter().map(Into::into).collect()))
}

/// One category's routing, with an `ETag` to send back as `If-Match` on `PUT`.
#[utoipa::path(get, path = "/api/v1/routing/{category}", tag = "reference",
    params(("category" = String, Path, description = "category code or Chinese name")),
    responses(
        (status = 200, body = CategoryOut, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_category(
    State(state): State<AppState>,
    p: Principal,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    json_with_etag(&headers, &CategoryOut::from(app::reference::category(&state.app, &p, &code).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoutingUpdate {
    /// Department codes or Chinese names, lead first.
    pub departments: Vec<String>,
}

/// Replaces a category's departments (admin). Send the `ETag` of `GET` as `If-Match` to
/// refuse the write (412) if someone changed the category since it was read.
#[utoipa::path(put, path = "/api/v1/routing/{category}", tag = "reference", request_body = RoutingUpdate,
    params(("category" = String, Path, description = "category code or Chinese name"),
           ("If-Match" = Option<String>, Header, description = "ETag of the category as read")),
    responses(
        (status = 200, body = CategoryOut, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_put_routing(
    State(state): State<AppState>,
    p: Principal,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RoutingUpdate>, JsonRejection>,
) -> Result<Response, WebError> {
    app::authz::require(&p, app::authz::Action::Write, app::authz::Resource::Routing)?;
    let body = json(body)?;
    let current = CategoryOut::from(app::reference::category(&state.app, &p, &code).await?);
    if let Some(m) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        let etag = etag_of(&serde_json::to_vec(&current).map_err(WebError::internal)?);
        if !etag_matches(m, &etag) {
            return Err(WebError::PreconditionFailed);
        }
    }
    let c = app::reference::set_routing(&state.app, &p, &current.code, &body.departments).await?;
    json_with_etag(&HeaderMap::new(), &CategoryOut::from(c))
}

/// A problem category to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryCreate {
    /// Stable code: lower-case letters, digits and `_`, starting with a letter (`data_compliance`).
    pub code: String,
    /// Chinese name (at most 20 characters), shown on pages.
    pub name: String,
    /// English name (default: the code).
    pub en: Option<String>,
    /// The plan's line, if any.
    pub plan: Option<String>,
    /// Department codes or Chinese names, lead first.
    pub departments: Vec<String>,
}

/// Adds a problem category with its routing (admin). It can be used at once for new problems;
/// its answer limit is the time limits' `default` until an admin sets its own.
#[utoipa::path(post, path = "/api/v1/routing", tag = "reference", request_body = CategoryCreate,
    responses(
        (status = 201, body = CategoryOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_add_category(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<CategoryCreate>, JsonRejection>,
) -> Result<(StatusCode, Json<CategoryOut>), WebError> {
    let b = json(body)?;
    let req = app::reference::NewCategory {
        code: b.code,
        name: b.name,
        en: b.en,
        plan: b.plan,
        departments: b.departments,
    };
    let c = app::reference::add_category(&state.app, &p, req).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserOut {
    pub username: String,
    pub role: String,
    pub enterprise: Option<String>,
    pub department: Option<String>,
    pub display_name: String,
    pub active: bool,
    pub created_at: String,
    /// Sign-ins from some address are locked after failed attempts until then.
    pub locked_until: Option<String>,
}

impl From<UserSummary> for UserOut {
    fn from(u: UserSummary) -> Self {
        UserOut {
            username: u.username,
            role: u.role.as_str().into(),
            enterprise: u.enterprise.map(|e| e.to_string()),
            department: u.department,
            display_name: u.display_name,
            active: u.active,
            created_at: u.created_at.to_rfc3339(),
            locked_until: u.locked_until.map(|t| t.to_rfc3339()),
        }
    }
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            username: u.username,
            role: u.role.as_str().into(),
            enterprise: u.enterprise.map(|e| e.to_string()),
            department: u.department,
            display_name: u.display_name,
            active: u.active,
            created_at: u.created_at.to_rfc3339(),
            locked_until: None,
        }
    }
}

/// The filters and page of the user list (API and page).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct UsersParams {
    /// A fragment of the username or display name.
    pub q: Option<String>,
    /// A role (code or Chinese name).
    pub role: Option<String>,
    /// `true`: active users only; `false`: deactivated ones only.
    pub active: Option<String>,
    /// From 1.
    pub page: Option<String>,
    /// 1 to 1000 (API default 1000, page default 50).
    pub per_page: Option<String>,
}

impl UsersParams {
    fn from_raw(raw: &HashMap<String, String>) -> UsersParams {
        let get = |k: &str| raw.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        UsersParams {
            q: get("q"),
            role: get("role"),
            active: get("active"),
            page: get("page"),
            per_page: get("per_page"),
        }
    }

    fn query(&self, per_page: u64) -> Result<UserQuery, WebError> {
        let bad = |p: &str, v: &str| WebError::InvalidParam { param: p.into(), value: v.into() };
        let num = |k: &str, v: &Option<String>, d: u64| -> Result<u64, WebError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(d),
                Some(s) => s.parse().map_err(|_| bad(k, s)),
            }
        };
        let active = match self.active.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(v) => return Err(bad("active", v)),
        };
        Ok(UserQuery {
            search: self.q.clone(),
            role: self.role.clone().filter(|r| !r.trim().is_empty()),
            active,
            page: num("page", &self.page, 1)?,
            per_page: num("per_page", &self.per_page, per_page)?,
        })
    }
}

/// Users (admin), by username: filtered by `q` (a fragment of the username or display name),
/// `role` and `active`, one page at a time (`page`, `per_page` ≤ 1000, default 1000). The
/// total is in the `X-Total-Count` header.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UsersParams),
    responses(
        (status = 200, body = Vec<UserOut>, headers(("X-Total-Count" = u64))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_users(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let q = UsersParams::from_raw(&raw).query(UserQuery::MAX_PER_PAGE)?;
    let page = app::users::list(&state.app, &p, &q).await?;
    let total = page.total;
    let items: Vec<UserOut> = page.items.into_iter().map(UserOut::from).collect();
    let mut resp = Json(items).into_response();
    resp.headers_mut().insert("x-total-count", HeaderValue::from(total));
    Ok(resp)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserCreate {
    pub username: String,
    /// enterprise, cadre, department, leader, supervisor, policy or admin (or its Chinese name).
    pub role: String,
    pub password: String,
    /// The enterprise's credit code (role enterprise).
    pub enterprise: Option<String>,
    /// Department code or name (role department).
    pub department: Option<String>,
    pub display_name: Option<String>,
}

impl From<UserCreate> for app::users::NewUserRequest {
    fn from(u: UserCreate) -> Self {
        app::users::NewUserRequest {
            username: u.username,
            role: u.role,
            password: u.password,
            enterprise: u.enterprise,
            department: u.department,
            display_name: u.display_name,
        }
    }
}

/// Creates a user (admin). The password is hashed by the use case (argon2id); the store
/// never sees it.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserCreate,
    responses(
        (status = 201, body = UserOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_create_user(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<UserCreate>, JsonRejection>,
) -> Result<(StatusCode, Json<UserOut>), WebError> {
    let req = json(body)?.into();
    let u = app::users::create(&state.app, &p, req, state.config.password_rules()).await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

/// A change to a user: any of role (with its enterprise or department) and active.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UserUpdate {
    /// A new role (code or Chinese name); `enterprise` / `department` give its tie.
    pub role: Option<String>,
    /// The enterprise's credit code (role enterprise).
    pub enterprise: Option<String>,
    /// Department code or name (role department).
    pub department: Option<String>,
    /// Activate (`true`) or deactivate (`false`): a deactivated user's sessions end.
    pub active: Option<bool>,
}

async fn update_user(state: &AppState, p: &Principal, username: &str, u: UserUpdate) -> Result<(), WebError> {
    if let Some(role) = u.role {
        let change = RoleChange { role, enterprise: u.enterprise, department: u.department };
        app::users::change_role(&state.app, p, username, change).await?;
    }
    if let Some(active) = u.active {
        app::users::set_active(&state.app, p, username, active).await?;
    }
    // The store ended the user's stored sessions if their rights changed.
    state.sessions.forget_user(username);
    Ok(())
}

/// Changes a user's role and its tie, or activates or deactivates them (admin). A role change
/// and a deactivation end the user's sessions and tokens. An admin may not change the role of
/// or deactivate their own account (409), nor change the role of a leader or cadre still
/// named in three links (409).
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "users", request_body = UserUpdate,
    params(("username" = String, Path)),
    responses(
        (status = 200, body = UserOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_update_user(
    State(state): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    body: Result<Json<UserUpdate>, JsonRejection>,
) -> Result<Json<UserOut>, WebError> {
    let b = json(body)?;
    update_user(&state, &p, &username, b).await?;
    Ok(Json(app::users::get(&state.app, &p, &username).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

/// Sets a user's password (admin); the user's sessions and tokens end and any lock is lifted.
#[utoipa::path(post, path = "/api/v1/users/{username}/password", tag = "users", request_body = PasswordReset,
    params(("username" = String, Path)),
    responses(
        (status = 204),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_reset_password(
    State(state): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    body: Result<Json<PasswordReset>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    let b = json(body)?;
    app::users::reset_password(&state.app, &p, &username, &b.password, state.config.password_rules()).await?;
    state.sessions.forget_user(&username);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Unlocked {
    /// How many addresses were locked.
    pub unlocked: u64,
}

/// Lifts every sign-in lock of a user, from every address (admin).
#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", tag = "users",
    params(("username" = String, Path)),
    responses(
        (status = 200, body = Unlocked),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_unlock_user(
    State(state): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
) -> Result<Json<Unlocked>, WebError> {
    Ok(Json(Unlocked { unlocked: app::users::unlock(&state.app, &p, &username).await? }))
}

// ---- pages ----

/// The users page: filters, one page of users with their actions, the create form.
async fn users_view(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    params: &UsersParams,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let q = params.query(UserQuery::PER_PAGE)?;
    let page = app::users::list(&state.app, p, &q).await?;
    let departments =
        app::reference::departments(&state.app, p).await?.into_iter().map(DepartmentOut::from).collect();
    let b = Base::new(lang, Some(p), "/admin/users", "ui.users.title");
    views::render(&views::UsersPage::new(b, page, params, departments, message, error))
}

pub async fn users_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    users_view(&state, lang, &p, &UsersParams::from_raw(&raw), None, None).await
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    pub username: String,
    pub role: String,
    pub password: String,
    #[serde(default)]
    pub enterprise: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// The list the page was showing when a form was sent (hidden `f_q`, `f_role`, `f_active`,
/// `f_page`).
fn back_to(raw: &HashMap<String, String>) -> UsersParams {
    let get = |k: &str| raw.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    UsersParams {
        q: get("f_q"),
        role: get("f_role"),
        active: get("f_active"),
        page: get("f_page"),
        per_page: None,
    }
}

/// Shows a user mistake on the page itself (400/409/422 with the form), other errors as such.
async fn user_outcome(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    back: &UsersParams,
    r: Result<String, WebError>,
) -> Result<Response, WebError> {
    match r {
        Ok(msg) => Ok(users_view(state, lang, p, back, Some(msg), None).await?.into_response()),
        Err(e) if e.status().is_client_error() && !matches!(e, WebError::Forbidden) => {
            let status = e.status();
            let mut resp =
                users_view(state, lang, p, back, None, Some(e.render(lang))).await?.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

pub async fn users_create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<UserForm>, FormRejection>,
) -> Result<Response, WebError> {
    require_admin(&p)?;
    let f = form(f)?;
    let req = app::users::NewUserRequest {
        username: f.username,
        role: f.role,
        password: f.password,
        enterprise: f.enterprise,
        department: f.department,
        display_name: f.display_name,
    };
    let r = app::users::create(&state.app, &p, req, state.config.password_rules())
        .await
        .map(|u| views::Tr(lang).t1("ui.users.created", "username", &u.username))
        .map_err(WebError::from);
    user_outcome(&state, lang, &p, &UsersParams::default(), r).await
}

/// 403 before a form body is read, for every user-administration form.
fn require_admin(p: &Principal) -> Result<(), WebError> {
    app::authz::require(p, app::authz::Action::Write, app::authz::Resource::Users).map_err(WebError::from)
}

pub async fn users_reset(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(username): Path<String>,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, WebError> {
    require_admin(&p)?;
    let f = form(f)?;
    let password = f.get("password").cloned().unwrap_or_default();
    let r = app::users::reset_password(&state.app, &p, &username, &password, state.config.password_rules())
        .await
        .map(|()| {
            state.sessions.forget_user(&username);
            views::Tr(lang).t1("ui.users.reset_done", "username", &username)
        })
        .map_err(WebError::from);
    user_outcome(&state, lang, &p, &back_to(&f), r).await
}

/// Activates (`active=true`) or deactivates (`active=false`) a user.
pub async fn users_active(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(username): Path<String>,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, WebError> {
    require_admin(&p)?;
    let f = form(f)?;
    let active = match f.get("active").map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        other => {
            return Err(WebError::InvalidParam { param: "active".into(), value: other.unwrap_or("").into() });
        }
    };
    let update = UserUpdate { active: Some(active), ..UserUpdate::default() };
    let key = if active { "ui.users.activated" } else { "ui.users.deactivated" };
    let r = update_user(&state, &p, &username, update)
        .await
        .map(|()| views::Tr(lang).t1(key, "username", &username));
    user_outcome(&state, lang, &p, &back_to(&f), r).await
}

/// Changes a user's role and its tie (`role`, `enterprise`, `department`).
pub async fn users_role(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(username): Path<String>,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, WebError> {
    require_admin(&p)?;
    let f = form(f)?;
    let update = UserUpdate {
        role: Some(f.get("role").cloned().unwrap_or_default()),
        enterprise: f.get("enterprise").cloned(),
        department: f.get("department").cloned(),
        active: None,
    };
    let r = update_user(&state, &p, &username, update)
        .await
        .map(|()| views::Tr(lang).t1("ui.users.role_changed", "username", &username));
    user_outcome(&state, lang, &p, &back_to(&f), r).await
}

/// Lifts every sign-in lock of a user.
pub async fn users_unlock(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(username): Path<String>,
    f: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, WebError> {
    require_admin(&p)?;
    let f = form(f)?;
    let r = app::users::unlock(&state.app, &p, &username)
        .await
        .map(|_| views::Tr(lang).t1("ui.users.unlocked", "username", &username))
        .map_err(WebError::from);
    user_outcome(&state, lang, &p, &back_to(&f), r).await
}

pub async fn departments_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    app::authz::require(&p, app::authz::Action::Write, app::authz::Resource::Routing)?;
    let departments =
        app::reference::departments(&state.app, &p).await?.into_iter().map(DepartmentOut::from).collect();
    let b = Base::new(lang, Some(&p), "/admin/departments", "ui.departments.title");
    views::render(&views::DepartmentsPage { b, departments })
}

async fn routing_view(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    app::authz::require(p, app::authz::Action::Write, app::authz::Resource::Routing)?;
    let routing = app::reference::routing(&state.app, p).await?;
    let departments: Vec<DepartmentOut> = routing.departments.into_iter().map(DepartmentOut::from).collect();
    let categories = routing.categories.into_iter().map(CategoryOut::from).collect();
    let b = Base::new(lang, Some(p), "/admin/routing", "ui.routing.title");
    views::render(&views::RoutingPage { b, categories, departments, message, error })
}

pub async fn routing_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    routing_view(&state, lang, &p, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct RoutingForm {
    /// Department codes or names, comma- or whitespace-separated, lead first.
    pub departments: String,
}

/// Shows the routing page again after a form: back to it on success, the message otherwise.
async fn routing_outcome(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    r: Result<Option<String>, WebError>,
) -> Result<Response, WebError> {
    match r {
        Ok(None) => Ok(Redirect::to("/admin/routing").into_response()),
        Ok(Some(msg)) => Ok(routing_view(state, lang, p, Some(msg), None).await?.into_response()),
        Err(e) if e.status().is_client_error() && !matches!(e, WebError::Forbidden) => {
            let status = e.status();
            let mut resp = routing_view(state, lang, p, None, Some(e.render(lang))).await?.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

pub async fn routing_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(code): Path<String>,
    f: Result<Form<RoutingForm>, FormRejection>,
) -> Result<Response, WebError> {
    app::authz::require(&p, app::authz::Action::Write, app::authz::Resource::Routing)?;
    let f = form(f)?;
    let list = app::reference::department_list(&f.departments);
    let r =
        app::reference::set_routing(&state.app, &p, &code, &list).await.map(|_| None).map_err(WebError::from);
    routing_outcome(&state, lang, &p, r).await
}

#[derive(Debug, Deserialize)]
pub struct CategoryForm {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub en: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    /// Department codes or names, comma- or whitespace-separated, lead first.
    pub departments: String,
}

/// Adds a problem category (`POST /admin/routing`).
pub async fn category_create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<CategoryForm>, FormRejection>,
) -> Result<Response, WebError> {
    app::authz::require(&p, app::authz::Action::Write, app::authz::Resource::Routing)?;
    let f = form(f)?;
    let req = app::reference::NewCategory {
        code: f.code,
        name: f.name,
        en: f.en,
        plan: f.plan,
        departments: app::reference::department_list(&f.departments),
    };
    let r = app::reference::add_category(&state.app, &p, req)
        .await
        .map(|c| Some(views::Tr(lang).t1("ui.routing.added", "name", &c.name)))
        .map_err(WebError::from);
    routing_outcome(&state, lang, &p, r).await
}
