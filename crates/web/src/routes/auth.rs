//! Sign-in, sign-out, password change (pages) and bearer tokens (API).

use crate::auth::{
    MaybeSession, Principal, SessionKind, Via, authenticate, bearer, clear_session_cookie, session_cookie,
    session_token,
};
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::limits::ClientAddress;
use crate::state::AppState;
use crate::views::{self, Base};
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use i18n::{Lang, Localized};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Reads a form body, turning a malformed one into a [`WebError`].
pub fn form<T>(f: Result<Form<T>, FormRejection>) -> Result<T, WebError> {
    f.map(|Form(t)| t).map_err(|e| WebError::InvalidBody { detail: e.body_text() })
}

/// Reads a JSON body, turning a malformed one into a [`WebError`].
pub fn json<T>(j: Result<Json<T>, JsonRejection>) -> Result<T, WebError> {
    j.map(|Json(t)| t).map_err(|e| WebError::InvalidBody { detail: e.body_text() })
}

/// Only local paths are followed after sign-in (no open redirect).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
}

fn login_html(
    lang: Lang,
    csrf: &str,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let mut b = Base::new(lang, None, "/login", "ui.login.title");
    b.csrf = csrf.to_string();
    views::render(&views::LoginPage { b, next: next.to_string(), username: username.to_string(), error })
}

/// The sign-in page. A visitor gets an anonymous session so the form carries a CSRF token.
pub async fn login_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    MaybeSession(session): MaybeSession,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Result<Response, WebError> {
    let next = safe_next(q.next.as_deref()).to_string();
    if session.as_ref().is_some_and(|s| s.principal.is_some()) {
        return Ok(Redirect::to(&next).into_response());
    }
    if let Some(s) = session {
        return Ok(login_html(lang, &s.csrf, &next, "", None)?.into_response());
    }
    let (token, s) = state.sessions.create(&state, None, SessionKind::Cookie).await?;
    let page = login_html(lang, &s.csrf, &next, "", None)?;
    Ok((CookieJar::new().add(session_cookie(&token, &state.config)), page).into_response())
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

/// Signs in: a fresh session (the anonymous one is dropped: no session fixation).
pub async fn login_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    MaybeSession(session): MaybeSession,
    address: ClientAddress,
    headers: HeaderMap,
    f: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let next = safe_next(f.next.as_deref()).to_string();
    match authenticate(&state, &f.username, &f.password, &address.0).await {
        Ok(user) => {
            if let Some(old) = session_token(&headers) {
                state.sessions.remove(&state, &old).await?;
            }
            let p = Principal::from_user(&user, Via::Bearer);
            let (token, _) = state.sessions.create(&state, Some(p), SessionKind::Cookie).await?;
            let jar = CookieJar::new().add(session_cookie(&token, &state.config));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(e @ (WebError::BadCredentials | WebError::Locked { .. })) => {
            let csrf = session.map(|s| s.csrf).unwrap_or_default();
            let mut resp = login_html(lang, &csrf, &next, &f.username, Some(e.render(lang)))?.into_response();
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

/// Signs out: the session ends and the cookie is cleared.
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    if let Some(t) = jar.get(crate::auth::SESSION_COOKIE) {
        state.sessions.remove(&state, t.value()).await?;
    }
    Ok((jar.add(clear_session_cookie(&state.config)), Redirect::to("/login")).into_response())
}

/// The password change page.
pub async fn password_page(ReqLang(lang): ReqLang, p: Principal) -> Result<Html<String>, WebError> {
    let b = Base::new(lang, Some(&p), "/account/password", "ui.password.title");
    views::render(&views::PasswordPage { b, error: None, done: false })
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

/// Changes one's own password ([`app::users::change_own_password`]); every other session
/// and token of the user ends, and this browser gets a fresh session.
pub async fn password_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<PasswordForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = app::users::OwnPasswordChange { current: f.current, new: f.new, confirm: f.confirm };
    let outcome = app::users::change_own_password(&state.app, &p, &req, state.config.password_rules())
        .await
        .map_err(WebError::from);
    match outcome {
        Ok(()) => {
            // The store ended every stored session of the user with the new password.
            state.sessions.forget_user(&p.username);
            let (token, s) = state.sessions.create(&state, Some(p.clone()), SessionKind::Cookie).await?;
            let mut b = Base::new(lang, s.principal.as_ref(), "/account/password", "ui.password.title");
            b.csrf = s.csrf.clone();
            let page = views::render(&views::PasswordPage { b, error: None, done: true })?;
            Ok((CookieJar::new().add(session_cookie(&token, &state.config)), page).into_response())
        }
        Err(e) if e.status() == StatusCode::BAD_REQUEST => {
            let b = Base::new(lang, Some(&p), "/account/password", "ui.password.title");
            let mut resp =
                views::render(&views::PasswordPage { b, error: Some(e.render(lang)), done: false })?
                    .into_response();
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_at: String,
}

/// Exchanges a username and password for a bearer token (same lock-out as the sign-in page).
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 429, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn api_token(
    State(state): State<AppState>,
    address: ClientAddress,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Json<TokenResponse>, WebError> {
    let r = json(body)?;
    let user = authenticate(&state, &r.username, &r.password, &address.0).await?;
    let p = Principal::from_user(&user, Via::Bearer);
    let (token, s) = state.sessions.create(&state, Some(p), SessionKind::Bearer).await?;
    Ok(Json(TokenResponse { token, token_type: "Bearer".into(), expires_at: s.expires.to_rfc3339() }))
}

/// Revokes the bearer token of the request.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth",
    responses((status = 204), (status = 401, body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, WebError> {
    let t = bearer(&headers).ok_or(WebError::Unauthenticated)?;
    state.sessions.get(&state, t).await.ok_or(WebError::Unauthenticated)?;
    state.sessions.remove(&state, t).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub username: String,
    /// enterprise, cadre, department, leader, supervisor, policy or admin.
    pub role: String,
    pub enterprise: Option<String>,
    pub department: Option<String>,
    pub display_name: String,
}

/// Who the request is signed in as.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_me(p: Principal) -> Json<Me> {
    let p = p.user;
    Json(Me {
        username: p.username,
        role: p.role.as_str().into(),
        enterprise: p.enterprise.map(|e| e.to_string()),
        department: p.department,
        display_name: p.display_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/enterprises?q=1")), "/enterprises?q=1");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "evil"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
