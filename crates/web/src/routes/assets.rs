//! Static assets, embedded in the binary (no Node build, no files to deploy).

use crate::error::WebError;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Result<Response, WebError> {
    let (body, ty) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return Err(WebError::NotFound { path: format!("/static/{file}") }),
    };
    let mut resp = body.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    Ok(resp)
}

/// `GET /favicon.ico`: the icon browsers ask for by themselves (the SVG; pages link it too).
pub async fn favicon() -> Result<Response, WebError> {
    serve(Path("favicon.svg".to_string())).await
}
