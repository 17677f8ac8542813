//! Notifications on the web (通知, issue 14): the bell in every page's header (its count is
//! read with the principal, [`crate::auth`]), the page `/notifications` (newest first, paged,
//! unread in bold, each opening its problem and marking itself read), and the API
//! `GET /api/v1/notifications`, `POST /api/v1/notifications/{id}/read`,
//! `POST /api/v1/notifications/read-all`. The use cases are `app::notifications`; this file
//! only maps HTTP.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::notifications::Notification;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::state::AppState;
use crate::views::{self, Base};

/// One notification.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    /// `assigned`, `warning_yellow`, `warning_red`, `escalated`, `escalation_replied`,
    /// `info_requested`, `info_supplied`, `answered`, `rated`.
    pub kind: String,
    /// The kind in Chinese (派单, 黄灯预警, …).
    pub kind_zh: String,
    pub problem_id: i64,
    /// The problem's page.
    pub problem_href: String,
    /// At most 200 characters, in Chinese.
    pub text: String,
    pub created_at: String,
    /// When the signed-in user read it.
    pub read_at: Option<String>,
}

impl NotificationOut {
    fn of(n: &Notification) -> NotificationOut {
        NotificationOut {
            id: n.id,
            kind: n.kind.as_str().into(),
            kind_zh: n.kind.label_zh().into(),
            problem_id: n.problem_id,
            problem_href: format!("/problems/{}", n.problem_id),
            text: n.text.clone(),
            created_at: n.created_at.to_rfc3339(),
            read_at: n.read_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A page of the signed-in user's notifications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationsOut {
    pub unread: u64,
    pub total: u64,
    pub page: u32,
    pub limit: u32,
    /// Newest first.
    pub notifications: Vec<NotificationOut>,
}

/// What marking read left.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadOut {
    /// How many were marked read by this request.
    pub changed: u64,
    /// Unread after it.
    pub unread: u64,
}

fn num_param(raw: &HashMap<String, String>, name: &str, default: u32) -> Result<u32, WebError> {
    match raw.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| {
            WebError::from(app::Error::Invalid {
                field: name.into(),
                value: s.chars().take(40).collect(),
                reason: "应为正整数 / must be a whole number".into(),
            })
        }),
    }
}

fn request(raw: &HashMap<String, String>) -> Result<app::notifications::ListRequest, WebError> {
    Ok(app::notifications::ListRequest {
        page: num_param(raw, "page", 1)?,
        limit: num_param(raw, "limit", app::notifications::DEFAULT_LIMIT)?,
    })
}

/// The signed-in user's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(
        ("page" = Option<u32>, Query, description = "the page, from 1 (default 1)"),
        ("limit" = Option<u32>, Query, description = "1–100 a page, default 20"),
    ),
    responses(
        (status = 200, body = NotificationsOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<NotificationsOut>, WebError> {
    let req = request(&raw)?;
    let page = app::notifications::list(&state, &p, req).await?;
    Ok(Json(NotificationsOut {
        unread: page.unread,
        total: page.total,
        page: req.page,
        limit: req.limit,
        notifications: page.rows.iter().map(NotificationOut::of).collect(),
    }))
}

/// Marks one of the signed-in user's notifications read (again: no change).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path, description = "the notification")),
    responses(
        (status = 200, body = ReadOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_read(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<ReadOut>, WebError> {
    let before = app::notifications::unread_count(&state, &p).await?;
    app::notifications::mark_read(&state, &p, id).await?;
    let unread = app::notifications::unread_count(&state, &p).await?;
    Ok(Json(ReadOut { changed: before.saturating_sub(unread), unread }))
}

/// Marks all of the signed-in user's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses(
        (status = 200, body = ReadOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_read_all(State(state): State<AppState>, p: Principal) -> Result<Json<ReadOut>, WebError> {
    let changed = app::notifications::mark_all_read(&state, &p).await?;
    let unread = app::notifications::unread_count(&state, &p).await?;
    Ok(Json(ReadOut { changed, unread }))
}

/// One notification as the page shows it.
pub struct Row {
    pub id: i64,
    pub kind: String,
    pub warning: Option<&'static str>,
    pub text: String,
    pub at: String,
    pub unread: bool,
}

#[derive(askama::Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub b: Base,
    pub rows: Vec<Row>,
    pub unread: u64,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
}

/// `/notifications`: the signed-in user's notifications, newest first, a page at a time.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let tr = Tr(lang);
    let req = request(&raw)?;
    let list = app::notifications::list(&state, &p, req).await?;
    let rows = list
        .rows
        .iter()
        .map(|n| Row {
            id: n.id,
            kind: tr.pick(n.kind.label_zh(), n.kind.label_en()).to_string(),
            warning: match n.kind {
                store::notifications::NotificationKind::WarningRed => Some("red"),
                store::notifications::NotificationKind::WarningYellow => Some("yellow"),
                _ => None,
            },
            text: n.text.clone(),
            at: i18n::dates::time_table(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    let pages = list.total.div_ceil(u64::from(req.limit)).max(1).min(u64::from(u32::MAX)) as u32;
    let mut b = Base::new(lang, Some(&p), "/notifications", "ui.notifications.title");
    // The page's own reading is fresher than the count read with the principal.
    b.notifications_unread = Some(list.unread);
    views::render(&NotificationsPage {
        b,
        rows,
        unread: list.unread,
        total: list.total,
        page: req.page,
        pages,
    })
}

/// `/notifications/{id}`: marks the notification read and opens its problem.
pub async fn page_open(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    // The problem of a notification addressed to the reader (404 otherwise).
    let problem = app::notifications::mark_read(&state, &p, id).await?;
    Ok(Redirect::to(&format!("/problems/{problem}")).into_response())
}

/// The "mark all read" form, then back to the page.
pub async fn page_read_all(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    app::notifications::mark_all_read(&state, &p).await?;
    Ok(Redirect::to("/notifications").into_response())
}
