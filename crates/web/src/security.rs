//! Security headers on every response and the CSRF check on every unsafe request.
//!
//! CSRF (synchroniser token): every session, anonymous or signed in, has its own token. Pages
//! put it in a hidden `csrf` field of each form; [`csrf_guard`] checks every POST/PUT/PATCH/
//! DELETE before any handler runs: the token comes from the `X-CSRF-Token` header or from the
//! `csrf` field of an `application/x-www-form-urlencoded` body, and must equal the session's.
//! API requests that carry `Authorization: Bearer` are exempt (no ambient credentials), and so
//! is `POST /api/v1/auth/token` without a session cookie. A multipart form (attachments,
//! later) must send the token in the `X-CSRF-Token` header or as the `csrf` query parameter.

use crate::auth::{bearer, session_of, session_token};
use crate::error::WebError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest form body the CSRF check buffers.
const FORM_LIMIT: usize = 1 << 20;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// 256 random bits as 64 hex characters ([`app::sessions::new_token`]).
pub fn random_token() -> String {
    app::sessions::new_token()
}

/// Compares two secrets in constant time ([`app::sessions::secrets_equal`], `subtle`).
pub fn ct_eq(a: &str, b: &str) -> bool {
    app::sessions::secrets_equal(a, b)
}

/// Adds the security headers to every response (and `Cache-Control: no-store` unless the
/// handler set a cache policy).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

fn form_field<'a>(body: &'a [u8], name: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// The CSRF check (see the module docs).
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method || bearer(req.headers()).is_some() {
        return next.run(req).await;
    }
    let is_api = req.uri().path().starts_with("/api/");
    let has_cookie = session_token(req.headers()).is_some();
    if is_api && !has_cookie {
        // No ambient credential: the handler authenticates (or not) on its own.
        return next.run(req).await;
    }
    let Some(session) = session_of(&state, req.headers()).await else {
        return WebError::Csrf.into_response();
    };
    if is_api && session.principal.is_none() {
        return next.run(req).await;
    }
    let header_token = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let query_token = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("csrf=")))
        .map(str::to_string);
    if let Some(t) = header_token.or(query_token) {
        if ct_eq(&t, &session.csrf) {
            return next.run(req).await;
        }
        return WebError::Csrf.into_response();
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return WebError::Csrf.into_response();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return WebError::InvalidBody { detail: "form too large".into() }.into_response();
    };
    if !form_field(&bytes, "csrf").is_some_and(|t| ct_eq(t, &session.csrf)) {
        return WebError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_comparison_is_exact() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(ct_eq(&a, &a.clone()));
        assert!(!ct_eq(&a, &b));
        assert!(!ct_eq(&a, &a[..63]));
    }

    #[test]
    fn form_fields_are_read_exactly() {
        assert_eq!(form_field(b"username=a&csrf=xyz&password=p", "csrf"), Some("xyz"));
        assert_eq!(form_field(b"xcsrf=1", "csrf"), None);
    }
}
