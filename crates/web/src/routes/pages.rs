//! The middleware that turns errors into pages (the home page per role is in [`super::home`]).

use crate::error::WebError;
use crate::lang::{LANG_COOKIE, lang_of, query_lang};
use crate::views::{self, Base};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use i18n::Localized;

/// For every response outside `/api/` and `/healthz`: an error becomes an HTML page in the
/// reader's language (401 becomes a redirect to the sign-in page). Also remembers `?lang=` in
/// the `lang` cookie.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let lang = lang_of(req.headers(), req.uri().query());
    let chosen = query_lang(req.uri().query());
    let target = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let is_get = req.method() == axum::http::Method::GET;
    let mut resp = next.run(req).await;
    let is_api = path.starts_with("/api/") || path == "/healthz";
    if let Some(e) = resp.extensions().get::<WebError>().cloned().filter(|_| !is_api) {
        {
            resp = match e {
                WebError::Unauthenticated => {
                    let next = if is_get { target } else { "/".to_string() };
                    let q = percent_encoding::utf8_percent_encode(&next, NEXT_VALUE);
                    Redirect::to(&format!("/login?next={q}")).into_response()
                }
                e => {
                    let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
                    let mut page = error_page(lang, &e);
                    if let Some(v) = retry_after {
                        page.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                    page
                }
            };
        }
    }
    if let Some(l) = chosen {
        let c = Cookie::build((LANG_COOKIE, l.code()))
            .path("/")
            .max_age(time::Duration::days(365))
            .same_site(SameSite::Lax)
            .build();
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// What the `next` parameter of the sign-in redirect keeps as it is: letters, digits, `/`,
/// `-`, `_`, `.`.
const NEXT_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.');

fn error_page(lang: i18n::Lang, e: &WebError) -> Response {
    let status = e.status();
    let b = Base::new(lang, None, "/", "ui.error.title");
    let page = views::ErrorPage { b, status: status.as_u16(), title: e.title(lang), detail: e.render(lang) };
    match views::render(&page) {
        Ok(Html(h)) => (status, Html(h)).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}
