//! Reference data and administration: departments, the routing table (read by everyone,
//! edited by admins), users (admins only).

use crate::auth::{Principal, hash_password};
use crate::authz::{self, Action, Resource};
use crate::error::{Problem, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::routes::{etag_matches, etag_of, json_with_etag};
use crate::state::AppState;
use crate::views::{self, Base};
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use enterprise::{Category, Department, UnifiedCreditCode};
use i18n::Localized;
use serde::{Deserialize, Serialize};
use store::{Actor, NewUser, Role, User};
use utoipa::ToSchema;

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
    responses((status = 200, body = Vec<DepartmentOut>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_departments(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<DepartmentOut>>, WebError> {
    authz::require(&p, Action::Read, Resource::Routing)?;
    Ok(Json(state.store.departments().await?.into_iter().map(Into::into).collect()))
}

/// The routing table: each problem category with its lead and cooperating departments.
#[utoipa::path(get, path = "/api/v1/routing", tag = "reference",
    responses((status = 200, body = Vec<CategoryOut>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_routing(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<CategoryOut>>, WebError> {
    authz::require(&p, Action::Read, Resource::Routing)?;
    Ok(Json(state.store.categories_with_routing().await?.into_iter().map(Into::into).collect()))
}

/// One category's routing, with an `ETag` to send back as `If-Match` on `PUT`.
#[utoipa::path(get, path = "/api/v1/routing/{category}", tag = "reference",
    params(("category" = String, Path, description = "category code or Chinese name")),
    responses(
        (status = 200, body = CategoryOut, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_category(
    State(state): State<AppState>,
    p: Principal,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::Routing)?;
    json_with_etag(&headers, &category(&state, &code).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoutingUpdate {
    /// Department codes or Chinese names, lead first.
    pub departments: Vec<String>,
}

async fn category(state: &AppState, code: &str) -> Result<CategoryOut, WebError> {
    let all = state.store.categories_with_routing().await?;
    all.into_iter()
        .find(|c| c.code == code || c.name == code)
        .map(Into::into)
        .ok_or_else(|| WebError::Store(store::StoreError::CategoryNotFound { code: code.to_string() }))
}

/// Replaces a category's departments (admin). Send the `ETag` of `GET` as `If-Match` to
/// refuse the write (412) if someone changed the category since it was read.
#[utoipa::path(put, path = "/api/v1/routing/{category}", tag = "reference", request_body = RoutingUpdate,
    params(("category" = String, Path, description = "category code or Chinese name"),
           ("If-Match" = Option<String>, Header, description = "ETag of the category as read")),
    responses(
        (status = 200, body = CategoryOut, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_put_routing(
    State(state): State<AppState>,
    p: Principal,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RoutingUpdate>, JsonRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::Routing)?;
    let body = json(body)?;
    let current = category(&state, &code).await?;
    if let Some(m) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        let etag = etag_of(&serde_json::to_vec(&current).map_err(WebError::internal)?);
        if !etag_matches(m, &etag) {
            return Err(WebError::PreconditionFailed);
        }
    }
    store::check_routing(&current.code, &body.departments)?;
    let actor = Actor::new(p.username.clone(), state.now());
    let c = state.store.set_category_departments(&current.code, &body.departments, &actor).await?;
    json_with_etag(&HeaderMap::new(), &CategoryOut::from(c))
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
    /// Locked after failed sign-ins until then.
    pub locked_until: Option<String>,
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
            locked_until: u.locked_until.map(|t| t.to_rfc3339()),
        }
    }
}

/// Users (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses(
        (status = 200, body = Vec<UserOut>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_users(State(state): State<AppState>, p: Principal) -> Result<Json<Vec<UserOut>>, WebError> {
    authz::require(&p, Action::Read, Resource::Users)?;
    Ok(Json(state.store.list_users().await?.into_iter().map(Into::into).collect()))
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

async fn create_user(state: &AppState, p: &Principal, u: UserCreate) -> Result<User, WebError> {
    authz::require(p, Action::Write, Resource::Users)?;
    let role = store::parse_role(&u.role)?;
    let enterprise = match u.enterprise.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            UnifiedCreditCode::parse(s)
                .map_err(|e| WebError::InvalidUscc { input: s.into(), reason: e.to_string() })?,
        ),
        None => None,
    };
    check_password_len(&u.password, state)?;
    let pw = u.password.clone();
    let hash =
        tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(WebError::internal)??;
    let new = NewUser {
        username: u.username.trim().to_string(),
        role,
        password_hash: hash,
        enterprise,
        department: u.department.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
        display_name: u.display_name.unwrap_or_default().trim().to_string(),
        at: state.now(),
    };
    store::check_new_user(&new)?;
    Ok(state.store.create_user(&new).await?)
}

fn check_password_len(pw: &str, state: &AppState) -> Result<(), WebError> {
    if pw.chars().count() < state.config.min_password_len {
        return Err(WebError::PasswordTooShort { min: state.config.min_password_len });
    }
    Ok(())
}

/// Creates a user (admin). The password is hashed here (argon2id); the store never sees it.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserCreate,
    responses(
        (status = 201, body = UserOut),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_create_user(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<UserCreate>, JsonRejection>,
) -> Result<(StatusCode, Json<UserOut>), WebError> {
    authz::require(&p, Action::Write, Resource::Users)?;
    let u = create_user(&state, &p, json(body)?).await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

async fn reset_password(state: &AppState, p: &Principal, username: &str, pw: &str) -> Result<(), WebError> {
    authz::require(p, Action::Write, Resource::Users)?;
    check_password_len(pw, state)?;
    let pw = pw.to_string();
    let hash =
        tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(WebError::internal)??;
    state.store.set_password_hash(username, &hash).await?;
    // A reset also lifts a lock-out.
    state.store.set_login_state(username, store::LoginState { failed_logins: 0, locked_until: None }).await?;
    // The store ended the user's stored sessions with the new password.
    state.sessions.forget_user(username);
    Ok(())
}

/// Sets a user's password (admin); the user's sessions and tokens end and any lock is lifted.
#[utoipa::path(post, path = "/api/v1/users/{username}/password", tag = "users", request_body = PasswordReset,
    params(("username" = String, Path)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_reset_password(
    State(state): State<AppState>,
    p: Principal,
    Path(username): Path<String>,
    body: Result<Json<PasswordReset>, JsonRejection>,
) -> Result<StatusCode, WebError> {
    authz::require(&p, Action::Write, Resource::Users)?;
    let b = json(body)?;
    reset_password(&state, &p, &username, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- pages ----

async fn users_view(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    authz::require(p, Action::Read, Resource::Users)?;
    let users = state.store.list_users().await?.into_iter().map(UserOut::from).collect();
    let departments = state.store.departments().await?.into_iter().map(DepartmentOut::from).collect();
    let b = Base::new(lang, Some(p), "/admin/users", "ui.users.title");
    views::render(&views::UsersPage { b, users, departments, roles: Role::USERS.to_vec(), message, error })
}

pub async fn users_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    users_view(&state, lang, &p, None, None).await
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

/// Shows a user mistake on the page itself (400/409/422 with the form), other errors as such.
async fn user_outcome(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    r: Result<String, WebError>,
) -> Result<Response, WebError> {
    match r {
        Ok(msg) => Ok(users_view(state, lang, p, Some(msg), None).await?.into_response()),
        Err(e) if e.status().is_client_error() && !matches!(e, WebError::Forbidden) => {
            let status = e.status();
            let mut resp = users_view(state, lang, p, None, Some(e.render(lang))).await?.into_response();
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
    authz::require(&p, Action::Write, Resource::Users)?;
    let f = form(f)?;
    let r = create_user(
        &state,
        &p,
        UserCreate {
            username: f.username,
            role: f.role,
            password: f.password,
            enterprise: f.enterprise,
            department: f.department,
            display_name: f.display_name,
        },
    )
    .await
    .map(|u| views::Tr(lang).t1("ui.users.created", "username", &u.username));
    user_outcome(&state, lang, &p, r).await
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    pub password: String,
}

pub async fn users_reset(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(username): Path<String>,
    f: Result<Form<ResetForm>, FormRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::Users)?;
    let f = form(f)?;
    let r = reset_password(&state, &p, &username, &f.password)
        .await
        .map(|()| views::Tr(lang).t1("ui.users.reset_done", "username", &username));
    user_outcome(&state, lang, &p, r).await
}

pub async fn departments_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    authz::require(&p, Action::Write, Resource::Routing)?;
    let departments = state.store.departments().await?.into_iter().map(DepartmentOut::from).collect();
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
    authz::require(p, Action::Write, Resource::Routing)?;
    let departments: Vec<DepartmentOut> =
        state.store.departments().await?.into_iter().map(DepartmentOut::from).collect();
    let categories =
        state.store.categories_with_routing().await?.into_iter().map(CategoryOut::from).collect();
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
    /// Department codes, comma- or whitespace-separated, lead first.
    pub departments: String,
}

pub async fn routing_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(code): Path<String>,
    f: Result<Form<RoutingForm>, FormRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::Routing)?;
    let f = form(f)?;
    let list: Vec<String> = f
        .departments
        .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let r = async {
        let current = category(&state, &code).await?;
        store::check_routing(&current.code, &list)?;
        let actor = Actor::new(p.username.clone(), state.now());
        state.store.set_category_departments(&current.code, &list, &actor).await?;
        Ok::<_, WebError>(())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to("/admin/routing").into_response()),
        Err(e) if e.status().is_client_error() => {
            let status = e.status();
            let mut resp = routing_view(&state, lang, &p, None, Some(e.render(lang))).await?.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}
