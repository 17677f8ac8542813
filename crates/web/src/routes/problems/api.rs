//! The problem API under `/api/v1/problems`: each handler reads the request, calls the use
//! case (`app::problems`) and writes JSON. Lost updates: every problem carries its `version`
//! (the number of its last event), also as the `ETag` (`"v7"`); an action sent with a
//! `version` or an `If-Match` that is no longer current is refused with 412, checked again
//! inside the store's write.

use app::problems::{self as uc, Reader};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

use super::dto::{ActionIn, NewProblemIn, ProblemList, ProblemOut, ProblemQuery, list_request};
use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::routes::auth::json;
use crate::state::AppState;

fn etag(version: u32) -> String {
    format!("\"v{version}\"")
}

pub(crate) fn with_etag(mut resp: Response, version: u32) -> Response {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    resp
}

/// The versions an `If-Match` header names (`"v7"`, `W/"v7"`), `None` without one or for
/// `*`; a tag that names no version matches none.
pub fn if_match_versions(headers: &HeaderMap) -> Option<Vec<u32>> {
    let value = headers.get(header::IF_MATCH)?.to_str().unwrap_or("");
    let tags: Vec<&str> = value.split(',').map(str::trim).collect();
    if tags.contains(&"*") {
        return None;
    }
    Some(
        tags.iter()
            .filter_map(|t| {
                t.strip_prefix("W/").unwrap_or(t).strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()
            })
            .collect(),
    )
}

/// Raises a problem. Enterprise users raise problems for their own enterprise; cadres for
/// their linked enterprises (channel `visit`); leaders, supervisors and admins for any
/// (intake: hotline, meeting, visit). Routing is proposed from the category and the
/// deadlines are set. Titles hold at most 100 characters, descriptions 5,000 (400 beyond,
/// naming the field), and no control characters.
#[utoipa::path(post, path = "/api/v1/problems", tag = "problems", request_body = NewProblemIn,
    responses(
        (status = 201, body = ProblemOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_create(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<NewProblemIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let input = json(body)?;
    let view = uc::raise(&state, &p, input.into()).await?;
    let mut resp = (StatusCode::CREATED, Json(ProblemOut::from(&view))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/problems/{}", view.id())) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(with_etag(resp, view.version()))
}

/// Problems the caller may see: an enterprise its own, a department those routed to it (its
/// queue), a cadre their enterprises', leaders and supervisors all. Filters, keywords,
/// open or closed, the queue's order, and pages.
#[utoipa::path(get, path = "/api/v1/problems", tag = "problems", params(ProblemQuery),
    responses(
        (status = 200, body = ProblemList),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<ProblemList>, WebError> {
    Ok(Json(uc::list(&state, &p, list_request(&raw), false).await?.into()))
}

/// One problem: state, lead and cooperating departments, deadlines, warning, the actions
/// the caller may take now, its events and (for those who may read them) its files. `ETag`
/// is its version.
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "problems",
    params(("id" = i64, Path, description = "problem number")),
    responses(
        (status = 200, body = ProblemOut, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let view = uc::show(&state, Reader::User(&p), id, None).await?;
    Ok(with_etag(Json(ProblemOut::from(&view)).into_response(), view.version()))
}

/// Acts on a problem. The domain decides legality: an action not allowed in the problem's
/// state is 409 with the reason in Chinese and English, an action the caller's role or
/// department may not take is 403. Send `If-Match` (the `ETag`) or `version` to be refused
/// (412) if the problem moved on since it was read.
#[utoipa::path(post, path = "/api/v1/problems/{id}/actions", tag = "problems", request_body = ActionIn,
    params(("id" = i64, Path, description = "problem number"),
           ("If-Match" = Option<String>, Header, description = "the ETag as read")),
    responses(
        (status = 200, body = ProblemOut, headers(("ETag" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_act(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<ActionIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let input = json(body)?;
    let view = uc::act(&state, &p, id, input.into_request(if_match_versions(&headers))).await?;
    Ok(with_etag(Json(ProblemOut::from(&view)).into_response(), view.version()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_names_versions_or_anything() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
            if_match_versions(&m)
        };
        assert_eq!(h("\"v3\""), Some(vec![3]));
        assert_eq!(h("W/\"v3\", \"v4\""), Some(vec![3, 4]));
        assert_eq!(h("*"), None);
        assert_eq!(h("\"abc\""), Some(vec![]));
        assert_eq!(if_match_versions(&HeaderMap::new()), None);
    }
}
