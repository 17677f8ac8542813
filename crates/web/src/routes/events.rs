//! Events on the web (issue 15, `app::events`): the pages `/events` (upcoming, past; the
//! publish form for the departments that run events) and `/events/{id}` (an enterprise
//! registers, cancels, gives feedback; an official sees the roster, registers an enterprise
//! on its behalf, checks attendees in, changes the seats, closes or cancels the event), the
//! attendance workbook `/events/export.xlsx`, and the JSON API under `/api/v1/events`. Only
//! translation happens here; the page offers only what the event's state and the reader's
//! role allow (the use case refuses the rest anyway).

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use services::events::RegistrationState;
use std::collections::HashMap;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};
use app::events::{self as uc, PublishRequest, When};

fn when_of(raw: &HashMap<String, String>) -> Result<When, WebError> {
    match raw.get("when").map(|s| s.trim()).unwrap_or("") {
        "" | "upcoming" => Ok(When::Upcoming),
        "past" => Ok(When::Past),
        "all" => Ok(When::All),
        other => Err(WebError::from(app::Error::Invalid {
            field: "when".into(),
            value: other.into(),
            reason: "应为 upcoming、past 或 all / must be upcoming, past or all".into(),
        })),
    }
}

/// The enterprise a request names, or the signed-in enterprise's own.
fn enterprise_of(p: &Principal, uscc: Option<&str>) -> Result<enterprise::UnifiedCreditCode, WebError> {
    match uscc.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => crate::routes::enterprises::parse_uscc(s),
        None => p.enterprise.clone().ok_or_else(|| {
            WebError::from(app::Error::Required {
                field: "uscc".into(),
                what: "企业的统一社会信用代码 / the enterprise's credit code".into(),
            })
        }),
    }
}

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("when" = Option<String>, Query, description = "upcoming (default), past or all")),
    responses(
        (status = 200, description = "app::events::EventView[]: an enterprise sees the events of its audience and its own", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    Ok(Json(uc::list(&state, &p, when_of(&raw)?).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = PublishRequest,
    responses(
        (status = 200, description = "the stored event", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_publish(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<PublishRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::publish(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "the event")),
    responses(
        (status = 200, description = "app::events::EventDetail: officials get the roster", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_show(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(uc::show(&state, &p, id).await?).into_response())
}

/// A roster action: who (an enterprise user: itself when absent) and its values.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RosterIn {
    /// The enterprise's credit code (officials); an enterprise user's own when absent.
    #[serde(default)]
    pub uscc: Option<String>,
    /// register: attendees (default 1).
    #[serde(default)]
    pub attendees: Option<u32>,
    /// register: who comes.
    #[serde(default)]
    pub names: Option<String>,
    /// feedback: 1–5.
    #[serde(default)]
    pub score: Option<u8>,
    /// feedback: the text.
    #[serde(default)]
    pub text: Option<String>,
    /// capacity: the new seats.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// cancel: the reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// What a roster action did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterOut {
    pub event: i64,
    /// Each registration changed: `{enterprise_id, from, to}`.
    #[schema(value_type = Object)]
    pub changes: Vec<services::events::Change>,
    pub seats_free: u32,
}

fn out(o: uc::RosterOutcome) -> Json<RosterOut> {
    Json(RosterOut { event: o.event, changes: o.changes, seats_free: o.seats_free })
}

async fn act(
    state: &AppState,
    p: &Principal,
    id: i64,
    action: &str,
    b: RosterIn,
) -> Result<Option<uc::RosterOutcome>, WebError> {
    let required =
        |field: &str| WebError::from(app::Error::Required { field: field.into(), what: field.into() });
    Ok(match action {
        "register" => Some(
            uc::register(
                state,
                p,
                id,
                &enterprise_of(p, b.uscc.as_deref())?,
                b.attendees.unwrap_or(1),
                b.names.as_deref().unwrap_or(""),
            )
            .await?,
        ),
        "unregister" => Some(uc::cancel(state, p, id, &enterprise_of(p, b.uscc.as_deref())?).await?),
        "check-in" => Some(uc::check_in(state, p, id, &enterprise_of(p, b.uscc.as_deref())?).await?),
        "close" => Some(uc::close(state, p, id).await?),
        "capacity" => {
            Some(uc::set_capacity(state, p, id, b.capacity.ok_or_else(|| required("capacity"))?).await?)
        }
        "feedback" => Some(
            uc::feedback(
                state,
                p,
                id,
                &enterprise_of(p, b.uscc.as_deref())?,
                b.score.ok_or_else(|| required("score"))?,
                b.text.as_deref().unwrap_or(""),
            )
            .await?,
        ),
        "cancel" => {
            uc::cancel_event(state, p, id, b.reason.as_deref().unwrap_or("")).await?;
            None
        }
        other => return Err(WebError::NotFound { path: format!("/events/{id}/{other}") }),
    })
}

#[utoipa::path(post, path = "/api/v1/events/{id}/{action}", tag = "events", request_body = RosterIn,
    params(
        ("id" = i64, Path, description = "the event"),
        ("action" = String, Path, description = "register, unregister, check-in, close, capacity, feedback or cancel"),
    ),
    responses(
        (status = 200, body = RosterOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_act(
    State(state): State<AppState>,
    p: Principal,
    Path((id, action)): Path<(i64, String)>,
    body: Result<Json<RosterIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    match act(&state, &p, id, &action, b).await? {
        Some(o) => Ok(out(o).into_response()),
        None => Ok(Json(RosterOut { event: id, changes: Vec::new(), seats_free: 0 }).into_response()),
    }
}

#[utoipa::path(get, path = "/api/v1/events/reach", tag = "events",
    params(("month" = String, Query, description = "YYYY-MM")),
    responses(
        (status = 200, description = "app::events::Reach[]: per line of the plan, events held, enterprises registered and come", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_reach(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let m = raw.get("month").map(|s| s.trim()).unwrap_or("");
    let day = chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").map_err(|_| {
        WebError::from(app::Error::Invalid {
            field: "month".into(),
            value: m.into(),
            reason: "应为 2026-12 这样的月份 / must be a month like 2026-12".into(),
        })
    })?;
    Ok(Json(uc::reach(&state, &p, day).await?).into_response())
}

/// `/events/export.xlsx` (and the API's): the attendance workbook.
#[utoipa::path(get, path = "/api/v1/events/export.xlsx", tag = "events",
    params(("when" = Option<String>, Query, description = "upcoming (default), past or all")),
    responses(
        (status = 200, description = "the workbook (活动, 报名明细, 按部门)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let bytes = uc::attendance_workbook(&state, &p, when_of(&raw)?).await?;
    Ok(crate::routes::reports::xlsx(bytes, "events.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One event as a list shows it.
pub struct EventRow {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub clause: &'static str,
    pub department: String,
    pub when: String,
    pub place: String,
    pub seats: String,
    pub waiting: u64,
    pub cancelled: bool,
    pub open: bool,
    /// The reader's registration state (enterprise readers).
    pub mine: Option<&'static str>,
}

fn row(v: &uc::EventView) -> EventRow {
    let e = &v.summary.record;
    EventRow {
        id: e.id,
        title: e.event.title.clone(),
        kind: v.kind_zh,
        clause: v.clause,
        department: v.department_name.clone(),
        // China time: 2022-12-20 09:30–11:30.
        when: format!(
            "{}–{}",
            i18n::dates::time_table(e.event.starts_at),
            i18n::dates::time_table(e.event.ends_at).get(11..).unwrap_or_default()
        ),
        place: if e.event.place.is_empty() { "线上".into() } else { e.event.place.clone() },
        seats: format!("{}/{}", v.summary.seats_taken, e.event.capacity),
        waiting: v.summary.waiting,
        cancelled: e.cancelled,
        open: v.open,
        mine: v.mine.as_ref().map(|m| m.state.label_zh()),
    }
}

#[derive(askama::Template)]
#[template(path = "events.html")]
pub struct EventsPage {
    pub b: Base,
    pub rows: Vec<EventRow>,
    pub when: &'static str,
    /// The reader may publish events (and export attendance).
    pub publishes: bool,
    pub kinds: Vec<(&'static str, &'static str)>,
}

/// `/events`: upcoming events (`?when=past|all`); officials who run events get the publish form.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let when = when_of(&raw)?;
    let list = uc::list(&state, &p, when).await?;
    let b = Base::new(lang, Some(&p), "/events", "ui.events.title");
    use strum::IntoEnumIterator;
    views::render(&EventsPage {
        b,
        rows: list.iter().map(row).collect(),
        when: match when {
            When::Upcoming => "upcoming",
            When::Past => "past",
            When::All => "all",
        },
        publishes: app::authz::authorize(&p, app::authz::Action::Write, app::authz::Resource::Events)
            .is_allowed(),
        kinds: services::events::EventKind::iter().map(|k| (k.as_str(), k.label_zh())).collect(),
    })
}

/// The publish form (the API's body, audience lists comma-separated).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PublishForm {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub link: String,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub registration_closes_at: String,
    pub capacity: String,
    #[serde(default)]
    pub max_per_enterprise: String,
    #[serde(default)]
    pub industries: String,
    #[serde(default)]
    pub sizes: String,
    #[serde(default)]
    pub tags: String,
}

fn list_of(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ' ']).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}

fn number(field: &str, s: &str) -> Result<Option<u32>, WebError> {
    match s.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| {
            WebError::from(app::Error::Invalid {
                field: field.into(),
                value: t.into(),
                reason: "应为正整数 / must be a whole number".into(),
            })
        }),
    }
}

/// `POST /events`: publishes, then the event's page.
pub async fn page_publish(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<PublishForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = PublishRequest {
        kind: f.kind,
        title: f.title,
        description: f.description,
        department: Some(f.department).filter(|d| !d.trim().is_empty()),
        place: f.place,
        link: f.link,
        starts_at: f.starts_at.replace('T', " "),
        ends_at: f.ends_at.replace('T', " "),
        registration_closes_at: Some(f.registration_closes_at.replace('T', " "))
            .filter(|s| !s.trim().is_empty()),
        capacity: number("capacity", &f.capacity)?.unwrap_or(0),
        max_per_enterprise: number("max_per_enterprise", &f.max_per_enterprise)?,
        industries: list_of(&f.industries),
        sizes: list_of(&f.sizes),
        tags: list_of(&f.tags),
        positions_offered: None,
    };
    let e = uc::publish(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/events/{}", e.id)).into_response())
}

/// One registration as the roster shows it.
pub struct RosterRow {
    pub seq: u64,
    pub uscc: String,
    pub name: String,
    pub attendees: u32,
    pub names: String,
    pub state: &'static str,
    pub confirmed: bool,
    pub feedback: String,
}

#[derive(askama::Template)]
#[template(path = "event.html")]
pub struct EventPage {
    pub b: Base,
    pub e: EventRow,
    pub description: String,
    pub link: String,
    pub closes: String,
    pub audience: String,
    pub cancel_reason: String,
    pub manages: bool,
    pub roster: Vec<RosterRow>,
    /// What the reader may do now.
    pub can_register: bool,
    pub can_unregister: bool,
    pub can_feedback: bool,
    pub can_check_in: bool,
    pub can_close: bool,
    pub max_per_enterprise: u32,
    pub capacity: u32,
}

/// `/events/{id}`.
pub async fn page_event(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let tr = Tr(lang);
    let d = uc::show(&state, &p, id).await?;
    let now = state.now();
    let e = &d.view.summary.record;
    let started = now >= e.event.starts_at;
    let ended = now > e.event.ends_at;
    let check_in_window = now >= e.event.starts_at - chrono::Duration::hours(2) && !ended;
    let mine = d.view.mine.as_ref().map(|m| m.state);
    let live = !e.cancelled;
    let aud = &e.event.audience;
    let audience = if aud.is_everyone() {
        tr.pick("全部企业", "Every enterprise").to_string()
    } else {
        let mut parts = Vec::new();
        if !aud.industries.is_empty() {
            parts.push(format!("{}{}", tr.pick("行业 ", "industries "), aud.industries.join("、")));
        }
        if !aud.sizes.is_empty() {
            parts.push(aud.sizes.iter().map(|s| s.label_zh()).collect::<Vec<_>>().join("、"));
        }
        if !aud.tags.is_empty() {
            parts.push(aud.tags.join("、"));
        }
        parts.join("；")
    };
    let mut b = Base::new(lang, Some(&p), "/events", "ui.events.title");
    b.title = e.event.title.clone();
    let page = EventPage {
        e: row(&d.view),
        description: e.event.description.clone(),
        link: e.event.link.clone(),
        closes: i18n::dates::time_table(e.event.registration_closes_at),
        audience,
        cancel_reason: e.cancel_reason.clone(),
        manages: d.manages,
        roster: d
            .roster
            .iter()
            .map(|r| RosterRow {
                seq: r.seq,
                uscc: r.uscc.clone(),
                name: r.enterprise_name.clone(),
                attendees: r.attendees,
                names: r.attendee_names.clone(),
                state: r.state.label_zh(),
                confirmed: r.state == RegistrationState::Confirmed,
                feedback: r.feedback.map(|f| format!("{f} 分 {}", r.feedback_text)).unwrap_or_default(),
            })
            .collect(),
        can_register: live && d.view.open && !mine.is_some_and(|s| s.is_active()) && p.enterprise.is_some(),
        can_unregister: live && !started && mine.is_some_and(|s| s.is_active()),
        can_feedback: live && started && mine == Some(RegistrationState::CheckedIn),
        can_check_in: live && d.manages && check_in_window,
        can_close: live && d.manages && ended && d.roster.iter().any(|r| r.state.is_active()),
        max_per_enterprise: e.event.max_per_enterprise,
        capacity: e.event.capacity,
        b,
    };
    views::render(&page)
}

/// A roster form: the action's values (an official names the enterprise).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RosterForm {
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub attendees: String,
    #[serde(default)]
    pub names: String,
    #[serde(default)]
    pub score: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /events/{id}/{action}`: the action, then back to the event.
pub async fn page_act(
    State(state): State<AppState>,
    p: Principal,
    Path((id, action)): Path<(i64, String)>,
    f: Result<Form<RosterForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let b = RosterIn {
        uscc: Some(f.uscc).filter(|s| !s.trim().is_empty()),
        attendees: number("attendees", &f.attendees)?,
        names: Some(f.names),
        score: number("score", &f.score)?.map(|s| u8::try_from(s).unwrap_or(u8::MAX)),
        text: Some(f.text),
        capacity: number("capacity", &f.capacity)?,
        reason: Some(f.reason),
    };
    act(&state, &p, id, &action, b).await?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}
