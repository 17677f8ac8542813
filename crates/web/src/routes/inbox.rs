//! Push on the web (issue 12): the enterprise's inbox (收件箱: the page `/inbox`, marking
//! read, `GET /api/v1/inbox`, `POST /api/v1/inbox/read`; officials read an enterprise's with
//! `?uscc=` from its page) and the administrators' delivery view (发件箱: `/admin/outbox`,
//! `GET /api/v1/outbox`, retrying a dead delivery). The use cases are `app::inbox` and
//! `app::push`; this file only maps HTTP.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::push::{InboxMessage, MessageKind, OutboxEntry};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};

/// One inbox message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    /// `newly_eligible` (新符合) or `almost_eligible` (差一项).
    pub kind: String,
    /// The match run it came from.
    /// The match run; `null` for an event's message.
    pub run: Option<i64>,
    pub item: String,
    pub title: String,
    pub body_zh: String,
    pub body_en: String,
    /// The item's page.
    pub item_href: String,
    /// Its guide (办事指南), when one is published.
    pub guide_href: Option<String>,
    pub at: String,
    pub read_at: Option<String>,
}

impl MessageOut {
    fn of(m: &InboxMessage) -> MessageOut {
        MessageOut {
            id: m.id,
            kind: m.kind.as_str().into(),
            run: m.run_id,
            item: m.item.clone(),
            title: m.title.clone(),
            body_zh: m.body_zh.clone(),
            body_en: m.body_en.clone(),
            item_href: app::inbox::message_href(m),
            guide_href: m.guide_href.clone(),
            at: m.at.to_rfc3339(),
            read_at: m.read_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// An enterprise's inbox.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboxOut {
    pub uscc: String,
    pub unread: u64,
    /// Newest first.
    pub messages: Vec<MessageOut>,
}

fn uscc_param(raw: &HashMap<String, String>) -> Result<Option<enterprise::UnifiedCreditCode>, WebError> {
    match raw.get("uscc").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::routes::enterprises::parse_uscc(s).map(Some),
    }
}

fn num_param<T: std::str::FromStr>(raw: &HashMap<String, String>, name: &str) -> Result<Option<T>, WebError> {
    match raw.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            WebError::from(app::Error::Invalid {
                field: name.into(),
                value: s.into(),
                reason: "应为整数 / must be a whole number".into(),
            })
        }),
    }
}

fn request(raw: &HashMap<String, String>) -> Result<app::inbox::InboxRequest, WebError> {
    Ok(app::inbox::InboxRequest {
        uscc: uscc_param(raw)?,
        before: num_param(raw, "before")?,
        limit: num_param(raw, "limit")?,
    })
}

/// An enterprise's inbox: the signed-in enterprise's own, or (officials who see its
/// decisions) the one named by `uscc`.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox",
    params(
        ("uscc" = Option<String>, Query, description = "the enterprise (officials); an enterprise user's own when absent"),
        ("before" = Option<i64>, Query, description = "messages with ids below this one (the next page)"),
        ("limit" = Option<u32>, Query, description = "1–200, default 50"),
    ),
    responses(
        (status = 200, body = InboxOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_inbox(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<InboxOut>, WebError> {
    let inbox = app::inbox::read(&state, &p, &request(&raw)?).await?;
    Ok(Json(InboxOut {
        uscc: inbox.uscc,
        unread: inbox.unread,
        messages: inbox.messages.iter().map(MessageOut::of).collect(),
    }))
}

/// Messages to mark read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReadIn {
    /// The message ids (at most 200); all of the inbox when absent.
    pub ids: Option<Vec<i64>>,
}

/// How many messages changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadOut {
    pub changed: u64,
}

/// Marks messages of the signed-in enterprise's inbox read.
#[utoipa::path(post, path = "/api/v1/inbox/read", tag = "inbox", request_body = ReadIn,
    responses(
        (status = 200, body = ReadOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_read(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ReadIn>, JsonRejection>,
) -> Result<Json<ReadOut>, WebError> {
    let b = json(body)?;
    Ok(Json(ReadOut { changed: app::inbox::mark_read(&state, &p, b.ids).await? }))
}

/// One message as the page shows it.
pub struct MessageRow {
    pub id: i64,
    pub almost: bool,
    /// An event's message: it links to the event (registration), not to an item and guide.
    pub event: bool,
    pub kind_label: &'static str,
    pub title: String,
    pub body: String,
    pub item_href: String,
    pub guide_href: Option<String>,
    pub at: String,
    pub unread: bool,
}

#[derive(askama::Template)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub b: Base,
    pub uscc: String,
    /// The reader's own inbox (they may mark it read).
    pub own: bool,
    pub unread: u64,
    pub rows: Vec<MessageRow>,
    /// The next page's `before`.
    pub more: Option<i64>,
    /// The enterprise's notices (a common problem it raised was solved: `app::common::close`),
    /// as (time, text, problem), newest first; on its own inbox only.
    pub notices: Vec<(String, String, Option<i64>)>,
}

fn kind_label(k: MessageKind, tr: Tr) -> &'static str {
    match k {
        MessageKind::NewlyEligible => tr.pick("新符合", "Newly eligible"),
        MessageKind::AlmostEligible => tr.pick("差一项", "Almost eligible"),
        MessageKind::Event => tr.pick("活动通知", "Event"),
    }
}

/// `/inbox`: the enterprise's messages, newest first; officials add `?uscc=`.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let tr = Tr(lang);
    let req = request(&raw)?;
    let limit = req.limit.unwrap_or(50);
    let inbox = app::inbox::read(&state, &p, &req).await?;
    let own = p.enterprise.as_ref().is_some_and(|u| u.as_str() == inbox.uscc);
    let rows: Vec<MessageRow> = inbox
        .messages
        .iter()
        .map(|m| MessageRow {
            id: m.id,
            almost: m.kind == MessageKind::AlmostEligible,
            kind_label: kind_label(m.kind, tr),
            title: m.title.clone(),
            body: tr.pick(&m.body_zh, &m.body_en).to_string(),
            event: m.kind == MessageKind::Event,
            item_href: app::inbox::message_href(m),
            guide_href: m.guide_href.clone(),
            at: i18n::dates::time_table(m.at),
            unread: m.read_at.is_none(),
        })
        .collect();
    let more = (rows.len() as u32 >= limit).then(|| rows.last().map(|r| r.id)).flatten();
    let mut b = Base::new(lang, Some(&p), "/inbox", "ui.inbox.title");
    if !own {
        b.title = format!("{} · {}", b.title, inbox.uscc);
    }
    let notices = if own {
        app::common::notices(&state, &p)
            .await?
            .into_iter()
            .map(|n| (i18n::dates::time_table(n.at), n.text, n.problem_id))
            .collect()
    } else {
        Vec::new()
    };
    views::render(&InboxPage { b, uscc: inbox.uscc, own, unread: inbox.unread, rows, more, notices })
}

/// The mark-read form: one message, or all when `id` is absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReadForm {
    pub id: Option<i64>,
}

/// Marks read from the page, then back to it.
pub async fn page_read(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<ReadForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    app::inbox::mark_read(&state, &p, f.id.map(|id| vec![id])).await?;
    Ok(Redirect::to("/inbox").into_response())
}

// ---------------------------------------------------------------------------------------
// The outbox (administrators)

/// Deliveries of one channel in one state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CountOut {
    pub channel: String,
    /// `pending`, `sent`, `dead`.
    pub state: String,
    pub count: u64,
}

/// One delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryOut {
    /// The outbox id (the `Idempotency-Key` its requests carry).
    pub id: i64,
    pub message: i64,
    pub uscc: String,
    pub channel: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl DeliveryOut {
    fn of(e: &OutboxEntry) -> DeliveryOut {
        DeliveryOut {
            id: e.id,
            message: e.message_id,
            uscc: e.uscc.clone(),
            channel: e.channel.clone(),
            state: e.state.as_str().into(),
            attempts: e.attempts,
            last_error: e.last_error.clone(),
        }
    }
}

/// The delivery state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutboxOut {
    pub counts: Vec<CountOut>,
    /// Dead deliveries, newest first, with their last error.
    pub dead: Vec<DeliveryOut>,
    /// Pending deliveries that failed at least once.
    pub failing: Vec<DeliveryOut>,
}

fn outbox_out(v: &app::push::OutboxView) -> OutboxOut {
    OutboxOut {
        counts: v
            .counts
            .iter()
            .map(|c| CountOut { channel: c.channel.clone(), state: c.state.as_str().into(), count: c.count })
            .collect(),
        dead: v.dead.iter().map(DeliveryOut::of).collect(),
        failing: v.failing.iter().map(DeliveryOut::of).collect(),
    }
}

/// Deliveries per channel and state, and the recent failures (administrators).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "outbox",
    params(("limit" = Option<u32>, Query, description = "failures listed, 1–500, default 50")),
    responses(
        (status = 200, body = OutboxOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_outbox(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<OutboxOut>, WebError> {
    let limit = num_param(&raw, "limit")?.unwrap_or(50);
    Ok(Json(outbox_out(&app::push::outbox(&state, &p, limit).await?)))
}

/// Makes a dead delivery pending again, due now (administrators; audited).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "outbox",
    params(("id" = i64, Path, description = "the outbox id")),
    responses(
        (status = 200, body = DeliveryOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_retry(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, WebError> {
    app::push::retry(&state, &p, id).await?;
    Ok(Json(serde_json::json!({ "id": id, "state": "pending" })))
}

#[derive(askama::Template)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    pub b: Base,
    pub counts: Vec<(String, u64, u64, u64)>,
    pub dead: Vec<DeliveryOut>,
    pub failing: Vec<DeliveryOut>,
    pub channels: Vec<app::push::ChannelView>,
    /// (run, compared with, messages, done at).
    pub runs: Vec<(i64, String, u64, String)>,
    pub message: Option<String>,
}

async fn outbox_page(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    message: Option<String>,
) -> Result<Html<String>, WebError> {
    let v = app::push::outbox(state, p, 50).await?;
    let tr = Tr(lang);
    let mut counts: Vec<(String, u64, u64, u64)> = Vec::new();
    for c in &v.counts {
        let k = match counts.iter().position(|x| x.0 == c.channel) {
            Some(k) => k,
            None => {
                counts.push((c.channel.clone(), 0, 0, 0));
                counts.len() - 1
            }
        };
        match c.state {
            store::push::OutboxState::Pending => counts[k].1 = c.count,
            store::push::OutboxState::Sent => counts[k].2 = c.count,
            store::push::OutboxState::Dead => counts[k].3 = c.count,
        }
    }
    let runs = app::inbox::runs(state, p, 10)
        .await?
        .iter()
        .map(|r| {
            (
                r.run_id,
                r.previous_run.map_or_else(|| "—".into(), |x| x.to_string()),
                r.messages,
                r.done_at
                    .map_or_else(|| tr.pick("生成中", "in progress").to_string(), i18n::dates::time_table),
            )
        })
        .collect();
    views::render(&OutboxPage {
        b: Base::new(lang, Some(p), "/admin/outbox", "ui.outbox.title"),
        counts,
        dead: v.dead.iter().map(DeliveryOut::of).collect(),
        failing: v.failing.iter().map(DeliveryOut::of).collect(),
        channels: app::push::channels(state, p).await?,
        runs,
        message,
    })
}

/// `/admin/outbox`: deliveries per channel, failures with their errors, channels, inbox runs.
pub async fn page_outbox(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    outbox_page(&state, lang, &p, None).await
}

/// Retries a dead delivery from the page.
pub async fn page_retry(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    app::push::retry(&state, &p, id).await?;
    let tr = Tr(lang);
    outbox_page(&state, lang, &p, Some(format!("{} #{id}", tr.pick("已重新排队", "Queued again")))).await
}
