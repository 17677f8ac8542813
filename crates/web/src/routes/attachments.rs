//! Attachments (附件) of problems: upload (multipart/form-data), list and download, in the
//! API (`/api/v1/problems/{id}/attachments…`) and on the pages (the raise-a-problem form takes
//! files; the problem page lists them and has an upload form for those allowed).
//!
//! The use cases (`app::problems::attach`, `attachments`, `attachment`) decide who may read
//! or add and check every file (10 MiB, 10 a problem, type from the magic bytes, no direction
//! controls in the name, a sanitised name); the store writes the file with the event that
//! names it. A refused file stores nothing and names the file and the rule in Chinese and
//! English. This module reads multipart bodies and writes downloads.
//!
//! Downloads are sent as `Content-Disposition: attachment` (with the RFC 5987 `filename*`
//! for the UTF-8 name and an ASCII fallback), the stored content type and
//! `X-Content-Type-Options: nosniff`, so a browser never renders an upload in our origin.
//! Multipart requests from a cookie session carry the CSRF token in `X-CSRF-Token` or the
//! `csrf` query parameter (see [`crate::security`]).

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::problems::{NewProblemForm, one_page, page_create_with};
use crate::state::AppState;
use app::problems::{self as uc, NewFile};
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::attachments::{Attachment, MAX_FILE_BYTES, MAX_FILES_PER_PROBLEM};
use utoipa::ToSchema;

/// The most a request with files may carry: ten full files and the form around them.
pub const UPLOAD_BODY_LIMIT: usize = MAX_FILES_PER_PROBLEM * MAX_FILE_BYTES + (1 << 20);

/// One attachment as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    pub file_name: String,
    /// Decided from the content when uploaded.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// The problem's event that records it (1: raised with the problem).
    pub event_seq: i64,
    /// Where to download it.
    pub url: String,
}

impl AttachmentOut {
    pub fn of(a: Attachment) -> AttachmentOut {
        AttachmentOut {
            url: format!("/api/v1/problems/{}/attachments/{}", a.problem_id, a.id),
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            uploaded_at: a.uploaded_at.to_rfc3339(),
            event_seq: a.event_seq,
        }
    }

    /// The size for people: `812 B`, `12.3 KB`, `4.5 MB`.
    pub fn size_text(&self) -> String {
        let b = self.size as f64;
        match self.size {
            n if n < 1024 => format!("{n} B"),
            n if n < 1024 * 1024 => format!("{:.1} KB", b / 1024.0),
            _ => format!("{:.1} MB", b / (1024.0 * 1024.0)),
        }
    }
}

/// The attachments of an upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<AttachmentOut>,
}

/// The multipart body of an upload: one or more `file` parts (the documentation shape).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file(s); each at most 10 MiB, at most 10 per problem.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// The files of a multipart body, for the use cases.
fn new_files(files: Vec<(String, Vec<u8>)>) -> Vec<NewFile> {
    files.into_iter().map(|(name, bytes)| NewFile { name, bytes }).collect()
}

/// A multipart body's text fields and files (name, bytes). An empty file part without a name
/// (a file input left empty) is skipped.
pub(crate) async fn read_multipart(
    mut mp: Multipart,
) -> Result<(HashMap<String, String>, Vec<(String, Vec<u8>)>), WebError> {
    let bad = |e: axum::extract::multipart::MultipartError| WebError::InvalidBody { detail: e.body_text() };
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(bad)?;
                if !(file_name.is_empty() && bytes.is_empty()) {
                    files.push((file_name, bytes.to_vec()));
                }
            }
            None => {
                fields.insert(name, field.text().await.map_err(bad)?);
            }
        }
    }
    Ok((fields, files))
}

// ---------------------------------------------------------------------------------------
// API

/// Adds files to a problem (multipart/form-data, one or more `file` parts). The enterprise
/// adds to its own problems, the problem's lead and cooperating departments and supervisors
/// to theirs, while it is not closed. Each file is at most 10 MiB, a problem keeps at most 10;
/// the type is judged from the content (PDF, PNG, JPEG, GIF, WebP, DOCX/XLSX/PPTX, DOC/XLS,
/// UTF-8 text/CSV). Each file is recorded by an `attach` event in the problem's timeline.
#[utoipa::path(post, path = "/api/v1/problems/{id}/attachments", tag = "problems",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(("id" = i64, Path, description = "problem number")),
    responses(
        (status = 201, body = AttachmentList),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_upload(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let (_, files) = read_multipart(mp).await?;
    let added = uc::attach(&state, &p, id, new_files(files)).await?;
    let items = added.into_iter().map(AttachmentOut::of).collect();
    Ok((StatusCode::CREATED, Json(AttachmentList { items })).into_response())
}

/// A problem's attachments, oldest first: for whoever sees the problem's details (a
/// confidential problem's only its enterprise, its departments and supervisors).
#[utoipa::path(get, path = "/api/v1/problems/{id}/attachments", tag = "problems",
    params(("id" = i64, Path, description = "problem number")),
    responses(
        (status = 200, body = AttachmentList),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<AttachmentList>, WebError> {
    let items = uc::attachments(&state, &p, id).await?.into_iter().map(AttachmentOut::of).collect();
    Ok(Json(AttachmentList { items }))
}

/// Downloads one attachment: its bytes with the stored content type, as an attachment
/// (`Content-Disposition` with the RFC 5987 `filename*`), `X-Content-Type-Options: nosniff`.
#[utoipa::path(get, path = "/api/v1/problems/{id}/attachments/{aid}", tag = "problems",
    params(("id" = i64, Path, description = "problem number"), ("aid" = i64, Path, description = "attachment id")),
    responses(
        (status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_download(
    State(state): State<AppState>,
    p: Principal,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let (a, bytes) = uc::attachment(&state, Some(&p), id, aid).await?;
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&a.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

/// What RFC 5987 `attr-char` keeps unencoded: letters, digits and `!#$&+-.^_`|~`.
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266
/// with RFC 5987 for the UTF-8 name).
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' { c } else { '_' })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(file_name, ATTR_CHAR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

// ---------------------------------------------------------------------------------------
// Pages

/// The upload form of the problem page (`POST /problems/{id}/attachments`, multipart, the
/// CSRF token in the `csrf` query parameter): back to the page, with the message when refused.
pub async fn page_upload(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let result = async {
        let (_, files) = read_multipart(mp).await?;
        Ok::<_, WebError>(uc::attach(&state, &p, id, new_files(files)).await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/problems/{id}?done=1")).into_response()),
        Err(e)
            if e.status().is_client_error()
                && !matches!(e.status(), StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED) =>
        {
            use i18n::Localized;
            let msg = e.render(lang);
            let mut resp = one_page(&state, lang, &p, id, Some(msg), false).await?.into_response();
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

/// The raise-a-problem form (`POST /problems/new`): multipart with files (the CSRF token in
/// the `csrf` query parameter), or the plain form without.
pub async fn page_create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    req: Request,
) -> Result<Response, WebError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let f = axum::extract::Form::<NewProblemForm>::from_request(req, &state).await;
        return crate::routes::problems::page_create(State(state), ReqLang(lang), p, f).await;
    }
    let mp = Multipart::from_request(req, &state)
        .await
        .map_err(|e| WebError::InvalidBody { detail: e.body_text() })?;
    let (fields, files) = read_multipart(mp).await?;
    page_create_with(&state, lang, &p, form_of(&fields), new_files(files)).await
}

fn form_of(fields: &HashMap<String, String>) -> NewProblemForm {
    let get = |k: &str| fields.get(k).cloned();
    NewProblemForm {
        enterprise: get("enterprise"),
        category: get("category").unwrap_or_default(),
        title: get("title").unwrap_or_default(),
        description: get("description").unwrap_or_default(),
        channel: get("channel"),
        urgency: get("urgency"),
        confidential: get("confidential"),
        visit: get("visit"),
    }
}

/// Whether a request may carry files (and so the larger body limit): attachments and the
/// admin's import file.
pub fn is_upload(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && (path == "/problems/new"
            || path == "/admin/imports"
            || (path.starts_with("/problems/") || path.starts_with("/api/v1/problems/"))
                && path.ends_with("/attachments"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disposition_carries_the_utf8_name_and_an_ascii_fallback() {
        let d = content_disposition("租赁合同 2022.pdf");
        assert!(d.starts_with("attachment; filename=\"____ 2022.pdf\"; "), "{d}");
        assert!(d.ends_with("filename*=UTF-8''%E7%A7%9F%E8%B5%81%E5%90%88%E5%90%8C%202022.pdf"), "{d}");
        assert!(HeaderValue::from_str(&content_disposition("a\"b\\c%.txt")).is_ok());
        assert!(content_disposition("a\"b.txt").contains("filename=\"a_b.txt\""));
    }

    #[test]
    fn only_uploads_get_the_large_body_limit() {
        let post = axum::http::Method::POST;
        assert!(is_upload(&post, "/api/v1/problems/7/attachments"));
        assert!(is_upload(&post, "/problems/7/attachments"));
        assert!(is_upload(&post, "/problems/new"));
        assert!(!is_upload(&post, "/problems/7/act"));
        assert!(!is_upload(&axum::http::Method::GET, "/problems/new"));
        assert!(!is_upload(&post, "/api/v1/problems"));
    }

    #[test]
    fn sizes_read_for_people() {
        let a = |size| AttachmentOut {
            id: 1,
            file_name: String::new(),
            content_type: String::new(),
            size,
            sha256: String::new(),
            uploaded_by: String::new(),
            uploaded_at: String::new(),
            event_seq: 1,
            url: String::new(),
        };
        assert_eq!(a(812).size_text(), "812 B");
        assert_eq!(a(12_595).size_text(), "12.3 KB");
        assert_eq!(a(4_718_592).size_text(), "4.5 MB");
    }
}
