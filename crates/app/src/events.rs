//! Events (活动, issue 15: the plan's 三.2 帮扶月, 三.3 宣讲, 三.8 政银企对接, 三.10 招聘会,
//! 三.13 展会, 三.15 沙龙/培训): a department publishes an event with its seats and audience;
//! enterprises in the audience see it and register (an official may register one on its
//! behalf); seats go in the order of registering, then a waiting list served strictly in
//! order; officials check attendees in on the day and close the event after it (the
//! unchecked become no-shows); those who came give feedback. Attendance per enterprise and
//! per department is exported to Excel.
//!
//! Every roster change is decided by `services::events::Roster` over the stored roster and
//! written back at the event's version: when another writer got there first, the use case
//! reads and decides again (a few times), so two registrations for the last seat never both
//! get it, on one server or many.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime};
use enterprise::{SizeClass, UnifiedCreditCode};
use serde::{Deserialize, Serialize};
use services::events::{Audience, EventKind, Registration, RegistrationState, Roster};
use store::events::{EventFilter, EventRecord, EventSummary, NewEvent, RegistrationRecord, RosterWrite};
use store::{Role, Stamp, StoreError};

use crate::authz::{self, Action, Resource};
use crate::problems::text::{Lines, clean};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::{App, Error, Principal, Result};

mod notice;

pub use store::events::{
    MAX_CANCEL_REASON, MAX_DESCRIPTION, MAX_FEEDBACK_TEXT, MAX_LINK, MAX_NAMES, MAX_PLACE, MAX_TITLE,
};

/// How many times a roster change is decided again after another writer moved the event on.
const RETRIES: usize = 8;

fn stamp(app: &App, actor: &Principal) -> Stamp {
    Stamp::new(actor.username.clone(), app.now())
}

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

/// `2026-12-10 09:00` (or with `T`, or with seconds) in China time.
pub fn parse_time(field: &str, s: &str) -> Result<DateTime<FixedOffset>> {
    let t = s.trim();
    let naive = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .ok_or_else(|| {
            bad(
                field,
                t,
                "应为 2026-12-10 09:00 这样的日期时间 / must be a date and time like 2026-12-10 09:00",
            )
        })?;
    if !(2000..=2100).contains(&naive.year()) {
        return Err(bad(field, t, "年份应在 2000 至 2100 之间 / the year must be between 2000 and 2100"));
    }
    naive
        .and_local_timezone(store::china_offset())
        .single()
        .ok_or_else(|| bad(field, t, "不是有效的时间 / not a valid time"))
}

/// What a department publishes.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishRequest {
    /// `assistance_month`, `policy_briefing`, `bank_enterprise`, `job_fair`, `trade_fair`,
    /// `salon`, `training` (or the Chinese name: 政策宣讲 …).
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Department code or name (a department user: their own, the default).
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub place: String,
    /// An online link (http(s)://…), for online events.
    #[serde(default)]
    pub link: String,
    /// `2026-12-10 09:00`, China time.
    pub starts_at: String,
    pub ends_at: String,
    /// Registration closes at (default: the start).
    #[serde(default)]
    pub registration_closes_at: Option<String>,
    pub capacity: u32,
    /// At most this many attendees per enterprise (default 3).
    #[serde(default)]
    pub max_per_enterprise: Option<u32>,
    /// Industry code prefixes (`C`, `C39`); empty: every industry.
    #[serde(default)]
    pub industries: Vec<String>,
    /// `micro`, `small`, `medium`, `large` (or 微型 …); empty: every size.
    #[serde(default)]
    pub sizes: Vec<String>,
    /// Any one of these enterprise tags; empty: no tag needed.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A job fair's positions offered.
    #[serde(default)]
    pub positions_offered: Option<u32>,
}

fn parse_kind(s: &str) -> Result<EventKind> {
    let t = s.trim();
    EventKind::parse(t)
        .or_else(|| {
            use strum::IntoEnumIterator;
            EventKind::iter().find(|k| k.label_zh() == t)
        })
        .ok_or_else(|| {
            bad(
                "kind",
                t,
                "应为 帮扶月活动 assistance_month、政策宣讲 policy_briefing、政银企对接 bank_enterprise、招聘会 job_fair、\
                 展会 trade_fair、主题沙龙 salon、专题培训 training 之一 / must be one of the event kinds",
            )
        })
}

fn parse_size(s: &str) -> Result<SizeClass> {
    let t = s.trim();
    t.parse::<SizeClass>()
        .ok()
        .or_else(|| {
            use strum::IntoEnumIterator;
            SizeClass::iter().find(|c| c.label_zh() == t || c.label_zh().trim_end_matches("企业") == t)
        })
        .ok_or_else(|| {
            bad("sizes", t, "应为 micro、small、medium、large / must be micro, small, medium or large")
        })
}

/// Publishes an event.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn publish(app: &App, actor: &Principal, req: &PublishRequest) -> Result<EventRecord> {
    authz::require(actor, Action::Write, Resource::Events)?;
    let kind = parse_kind(&req.kind)?;
    let title = clean("title", &req.title, MAX_TITLE, Lines::One)?;
    if title.is_empty() {
        return Err(Error::Required {
            field: "title".into(), what: "活动名称 / the event's title".into()
        });
    }
    let description = clean("description", &req.description, MAX_DESCRIPTION, Lines::Many)?;
    let place = clean("place", &req.place, MAX_PLACE, Lines::One)?;
    let link = clean("link", &req.link, MAX_LINK, Lines::One)?;
    if !(link.is_empty() || link.starts_with("https://") || link.starts_with("http://")) {
        return Err(bad(
            "link",
            &link,
            "应以 http:// 或 https:// 开头 / must start with http:// or https://",
        ));
    }
    if place.is_empty() && link.is_empty() {
        return Err(Error::Required {
            field: "place".into(),
            what: "地点或线上链接 / a place or an online link".into(),
        });
    }
    let routing = crate::problems::routing(app).await?;
    let department = match req.department.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => routing
            .department(d)
            .map(|x| x.code.clone())
            .ok_or_else(|| bad("department", d, "部门代码或名称 / a department code or name"))?,
        None => actor.department.clone().ok_or_else(|| Error::Required {
            field: "department".into(),
            what: "主办部门 / the organising department".into(),
        })?,
    };
    if actor.role == Role::Department && actor.department.as_deref() != Some(department.as_str()) {
        return Err(Error::Forbidden);
    }
    let starts_at = parse_time("starts_at", &req.starts_at)?;
    let ends_at = parse_time("ends_at", &req.ends_at)?;
    let registration_closes_at =
        match req.registration_closes_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(t) => parse_time("registration_closes_at", t)?,
            None => starts_at,
        };
    let mut industries = Vec::new();
    for i in &req.industries {
        let t = i.trim().to_ascii_uppercase();
        let ok = !t.is_empty()
            && t.len() <= 5
            && t.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && t.chars().skip(1).all(|c| c.is_ascii_digit());
        if !ok {
            return Err(bad(
                "industries",
                i,
                "行业代码前缀，如 C 或 C39 / an industry code prefix such as C or C39",
            ));
        }
        industries.push(t);
    }
    let sizes = req.sizes.iter().map(|s| parse_size(s)).collect::<Result<Vec<_>>>()?;
    let tags = req
        .tags
        .iter()
        .map(|t| clean("tags", t, 30, Lines::One))
        .filter(|t| !matches!(t, Ok(s) if s.is_empty()))
        .collect::<Result<Vec<_>>>()?;
    let event = NewEvent {
        kind,
        title,
        description,
        department,
        place,
        link,
        starts_at,
        ends_at,
        registration_closes_at,
        capacity: req.capacity,
        max_per_enterprise: req.max_per_enterprise.unwrap_or(3.min(req.capacity.max(1))),
        audience: Audience { industries, sizes, tags },
        positions_offered: if kind == EventKind::JobFair { req.positions_offered } else { None },
    };
    let schedule = services::events::Schedule {
        starts: starts_at.naive_local(),
        ends: ends_at.naive_local(),
        registration_closes: registration_closes_at.naive_local(),
        capacity: event.capacity,
        max_per_enterprise: event.max_per_enterprise,
    };
    schedule.check().map_err(Error::Service)?;
    // The audience is told in the event's transaction (issue 15: events into the inbox).
    let department_name =
        routing.department(&event.department).map_or(event.department.clone(), |d| d.name.clone());
    let told = notice::notice(app, &event, &department_name).await?;
    let id = app.store.create_event_informing(&event, &told, &stamp(app, actor)).await?;
    app.store.event(id).await?.ok_or(Error::EventNotFound { id })
}

/// An event as a reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub summary: EventSummary,
    pub kind_zh: &'static str,
    /// The plan's clause it serves (三.N).
    pub clause: &'static str,
    pub department_name: String,
    /// Registration is open now.
    pub open: bool,
    /// The reader's enterprise's latest registration, for an enterprise reader.
    pub mine: Option<RegistrationRecord>,
}

/// Which events to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum When {
    /// Not yet ended (the default).
    #[default]
    Upcoming,
    /// Ended.
    Past,
    All,
}

/// An enterprise's audience facts: industry code, size class (of the last full year) and tags.
async fn audience_facts(
    app: &App,
    uscc: &UnifiedCreditCode,
) -> Result<(i64, Option<String>, Option<SizeClass>, Vec<String>)> {
    let v = app
        .store
        .get_enterprise(uscc)
        .await?
        .ok_or_else(|| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    let today = app.today();
    let facts = v.facts();
    let code = v.enterprise.industry_code.clone();
    let size = code.as_ref().and_then(|c| enterprise::size_class_of(&facts, c, today.year() - 1, today));
    Ok((v.id, code.map(|c| c.to_string()), size, v.enterprise.tags.iter().cloned().collect()))
}

async fn view(app: &App, s: EventSummary, mine: Option<RegistrationRecord>) -> Result<EventView> {
    let routing = crate::problems::routing(app).await?;
    let now = app.now();
    let e = &s.record;
    Ok(EventView {
        kind_zh: e.event.kind.label_zh(),
        clause: e.event.kind.clause(),
        department_name: routing
            .department(&e.event.department)
            .map_or(e.event.department.clone(), |d| d.name.clone()),
        open: !e.cancelled && now <= e.event.registration_closes_at,
        mine,
        summary: s,
    })
}

/// Events for the reader: officials see every event; an enterprise sees those whose audience
/// it is in and those it registered for.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, when: When) -> Result<Vec<EventView>> {
    authz::require(actor, Action::Read, Resource::Events)?;
    let now = app.now();
    let filter = EventFilter {
        ends_after: (when == When::Upcoming).then_some(now),
        starts_before: None,
        department: None,
        include_cancelled: actor.role != Role::Enterprise,
        limit: 1_000,
    };
    let mut all = app.store.events(&filter).await?;
    if when == When::Past {
        all.retain(|s| s.record.event.ends_at < now);
        all.reverse();
    }
    let mut out = Vec::new();
    match (&actor.role, &actor.enterprise) {
        (Role::Enterprise, Some(uscc)) => {
            let (id, industry, size, tags) = audience_facts(app, uscc).await?;
            let mine = app.store.registrations_of(id).await?;
            for s in all {
                let latest = mine.iter().filter(|r| r.event_id == s.record.id).max_by_key(|r| r.seq).cloned();
                if latest.is_some() || s.record.event.audience.admits(industry.as_deref(), size, &tags) {
                    out.push(view(app, s, latest).await?);
                }
            }
        }
        (Role::Enterprise, None) => return Err(Error::Forbidden),
        _ => {
            for s in all {
                out.push(view(app, s, None).await?);
            }
        }
    }
    Ok(out)
}

/// One event, its roster (officials) or the reader's registration (an enterprise).
#[derive(Debug, Clone, Serialize)]
pub struct EventDetail {
    #[serde(flatten)]
    pub view: EventView,
    /// The whole roster, for officials; empty for an enterprise.
    pub roster: Vec<RegistrationRecord>,
    /// The reader may manage it (check in, capacity, close, cancel).
    pub manages: bool,
}

#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn show(app: &App, actor: &Principal, id: i64) -> Result<EventDetail> {
    authz::require(actor, Action::Read, Resource::Events)?;
    let record = app.store.event(id).await?.ok_or(Error::EventNotFound { id })?;
    let roster = app.store.roster(id).await?;
    let summary = summarize(record, &roster);
    if actor.role == Role::Enterprise {
        let uscc = actor.enterprise.as_ref().ok_or(Error::Forbidden)?;
        let (eid, industry, size, tags) = audience_facts(app, uscc).await?;
        let mine = roster.iter().filter(|r| r.enterprise_id == eid).max_by_key(|r| r.seq).cloned();
        if mine.is_none() && !summary.record.event.audience.admits(industry.as_deref(), size, &tags) {
            return Err(Error::EventNotFound { id });
        }
        return Ok(EventDetail { view: view(app, summary, mine).await?, roster: Vec::new(), manages: false });
    }
    let manages = manages(actor, &summary.record);
    Ok(EventDetail { view: view(app, summary, None).await?, roster, manages })
}

fn manages(actor: &Principal, e: &EventRecord) -> bool {
    authz::authorize(actor, Action::Write, Resource::Events).is_allowed()
        && (actor.role != Role::Department
            || actor.department.as_deref() == Some(e.event.department.as_str()))
}

fn summarize(record: EventRecord, roster: &[RegistrationRecord]) -> EventSummary {
    let count = |s: RegistrationState| roster.iter().filter(|r| r.state == s).count() as u64;
    EventSummary {
        seats_taken: roster
            .iter()
            .filter(|r| matches!(r.state, RegistrationState::Confirmed | RegistrationState::CheckedIn))
            .map(|r| r.attendees)
            .sum(),
        confirmed: count(RegistrationState::Confirmed),
        waiting: count(RegistrationState::Waitlisted),
        checked_in: count(RegistrationState::CheckedIn),
        no_show: count(RegistrationState::NoShow),
        record,
    }
}

/// What a roster change did.
#[derive(Debug, Clone, Serialize)]
pub struct RosterOutcome {
    pub event: i64,
    /// Every registration it changed: the enterprise, from and to.
    pub changes: Vec<services::events::Change>,
    pub seats_free: u32,
}

/// The writes that take `before` to `after` (rows are matched by `seq`).
fn diff(before: &Roster, after: &Roster, names: &str, feedback_text: &str) -> Vec<RosterWrite> {
    let mut out = Vec::new();
    if before.schedule.capacity != after.schedule.capacity {
        out.push(RosterWrite::Capacity { from: before.schedule.capacity, to: after.schedule.capacity });
    }
    for r in &after.registrations {
        match before.registrations.iter().find(|b| b.seq == r.seq) {
            None => out.push(RosterWrite::Register {
                enterprise_id: r.enterprise_id,
                seq: r.seq,
                attendees: r.attendees,
                names: names.to_string(),
                state: r.state,
            }),
            Some(b) => {
                if b.state != r.state {
                    out.push(RosterWrite::State {
                        enterprise_id: r.enterprise_id,
                        seq: r.seq,
                        from: b.state,
                        to: r.state,
                    });
                }
                if let (Some(score), true) = (r.feedback, b.feedback != r.feedback) {
                    out.push(RosterWrite::Feedback {
                        enterprise_id: r.enterprise_id,
                        seq: r.seq,
                        score,
                        text: feedback_text.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Reads the event and its roster, lets `op` decide, writes the difference at the version
/// read; again when another writer moved the event on.
async fn change<F>(
    app: &App,
    actor: &Principal,
    id: i64,
    names: &str,
    feedback_text: &str,
    op: F,
) -> Result<RosterOutcome>
where
    F: Fn(&mut Roster, NaiveDateTime) -> std::result::Result<Vec<services::events::Change>, services::Error>,
{
    for _ in 0..RETRIES {
        let record = app.store.event(id).await?.ok_or(Error::EventNotFound { id })?;
        if record.cancelled {
            return Err(bad("event", id, "活动已取消 / the event was cancelled"));
        }
        let rows = app.store.roster(id).await?;
        let before = Roster::new(
            record.schedule(),
            rows.iter()
                .map(|r| Registration {
                    seq: r.seq,
                    enterprise_id: r.enterprise_id,
                    attendees: r.attendees,
                    state: r.state,
                    feedback: r.feedback,
                })
                .collect(),
        );
        let mut after = before.clone();
        let st = stamp(app, actor);
        let changes = op(&mut after, st.at.naive_local()).map_err(Error::Service)?;
        let writes = diff(&before, &after, names, feedback_text);
        if writes.is_empty() {
            return Ok(RosterOutcome { event: id, changes, seats_free: after.seats_free() });
        }
        match app.store.save_roster(id, record.version, &writes, &st).await {
            Ok(_) => return Ok(RosterOutcome { event: id, changes, seats_free: after.seats_free() }),
            Err(StoreError::DocumentConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Stale)
}

/// The enterprise an actor registers (itself, or one it may see) and its id.
async fn enterprise_for(app: &App, actor: &Principal, uscc: &UnifiedCreditCode) -> Result<i64> {
    let head = app
        .store
        .enterprise_head(uscc)
        .await?
        .ok_or_else(|| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    authz::require(actor, Action::Write, Resource::EventRegistration { uscc, links: &head.links })
        .map_err(|_| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    Ok(head.id)
}

/// Registers an enterprise: seats if free and nobody waits, else the waiting list.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn register(
    app: &App,
    actor: &Principal,
    id: i64,
    uscc: &UnifiedCreditCode,
    attendees: u32,
    names: &str,
) -> Result<RosterOutcome> {
    let eid = enterprise_for(app, actor, uscc).await?;
    let names = clean("attendee_names", names, MAX_NAMES, Lines::One)?;
    if actor.role == Role::Enterprise {
        // An enterprise registers only for events it may see.
        show(app, actor, id).await?;
    }
    change(app, actor, id, &names, "", |r, now| r.register(eid, attendees, now).map(|c| vec![c])).await
}

/// Cancels an enterprise's registration; freed seats go to the waiting list in order.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn cancel(
    app: &App,
    actor: &Principal,
    id: i64,
    uscc: &UnifiedCreditCode,
) -> Result<RosterOutcome> {
    let eid = enterprise_for(app, actor, uscc).await?;
    change(app, actor, id, "", "", |r, now| r.cancel(eid, now)).await
}

async fn require_manager(app: &App, actor: &Principal, id: i64) -> Result<()> {
    authz::require(actor, Action::Write, Resource::Events)?;
    let record = app.store.event(id).await?.ok_or(Error::EventNotFound { id })?;
    if !manages(actor, &record) {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Checks an enterprise's attendees in (from two hours before the start to the end).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn check_in(
    app: &App,
    actor: &Principal,
    id: i64,
    uscc: &UnifiedCreditCode,
) -> Result<RosterOutcome> {
    require_manager(app, actor, id).await?;
    let eid = enterprise_for(app, actor, uscc).await?;
    change(app, actor, id, "", "", |r, now| r.check_in(eid, now).map(|c| vec![c])).await
}

/// After the end: the unchecked become no-shows, the waiting list is closed.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn close(app: &App, actor: &Principal, id: i64) -> Result<RosterOutcome> {
    require_manager(app, actor, id).await?;
    change(app, actor, id, "", "", |r, now| r.close(now)).await
}

/// Changes the seats; a rise moves the waiting list up in order.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn set_capacity(app: &App, actor: &Principal, id: i64, capacity: u32) -> Result<RosterOutcome> {
    require_manager(app, actor, id).await?;
    change(app, actor, id, "", "", |r, _| r.set_capacity(capacity)).await
}

/// Feedback (1–5, with an optional text) by an enterprise that came.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn feedback(
    app: &App,
    actor: &Principal,
    id: i64,
    uscc: &UnifiedCreditCode,
    score: u8,
    text: &str,
) -> Result<RosterOutcome> {
    let eid = enterprise_for(app, actor, uscc).await?;
    let text = clean("feedback_text", text, MAX_FEEDBACK_TEXT, Lines::Many)?;
    change(app, actor, id, "", &text, |r, now| r.feedback(eid, score, now).map(|()| Vec::new())).await
}

/// Cancels the event, with the reason registrants are told.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn cancel_event(app: &App, actor: &Principal, id: i64, reason: &str) -> Result<EventRecord> {
    require_manager(app, actor, id).await?;
    let reason = clean("reason", reason, MAX_CANCEL_REASON, Lines::One)?;
    if reason.is_empty() {
        return Err(Error::Required { field: "reason".into(), what: "取消原因 / the reason".into() });
    }
    let record = app.store.event(id).await?.ok_or(Error::EventNotFound { id })?;
    app.store.cancel_event(id, record.version, &reason, &stamp(app, actor)).await?;
    app.store.event(id).await?.ok_or(Error::EventNotFound { id })
}

/// Records a job fair's positions filled (人才供需对接).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn positions_filled(app: &App, actor: &Principal, id: i64, filled: u32) -> Result<EventRecord> {
    require_manager(app, actor, id).await?;
    let record = app.store.event(id).await?.ok_or(Error::EventNotFound { id })?;
    if record.event.kind != EventKind::JobFair {
        return Err(bad(
            "positions_filled",
            filled,
            "只有招聘会记录岗位 / only a job fair records positions",
        ));
    }
    app.store.set_positions_filled(id, record.version, filled, &stamp(app, actor)).await?;
    app.store.event(id).await?.ok_or(Error::EventNotFound { id })
}

/// An enterprise's registrations, newest event first (officials: any visible enterprise).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn registrations_of(
    app: &App,
    actor: &Principal,
    uscc: &UnifiedCreditCode,
) -> Result<Vec<RegistrationRecord>> {
    let head = app
        .store
        .enterprise_head(uscc)
        .await?
        .ok_or_else(|| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    authz::require(actor, Action::Read, Resource::EventRegistration { uscc, links: &head.links })
        .map_err(|_| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    Ok(app.store.registrations_of(head.id).await?)
}

/// Per line of the plan (event kind) in a month: events held, enterprises that registered,
/// enterprises that came (the leader's "how many target enterprises each line reached").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reach {
    pub kind: EventKind,
    pub kind_zh: &'static str,
    pub clause: &'static str,
    pub events: u64,
    pub registered: u64,
    pub came: u64,
    /// Events that have ended with registrations neither checked in nor marked absent: the
    /// attendance was not taken (the line's "behind").
    pub attendance_missing: u64,
    /// Job fairs: positions offered and filled (人才供需对接), summed over the month's fairs.
    pub positions_offered: u64,
    pub positions_filled: u64,
}

/// Events that started in the month of `day` and what they reached, by kind.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn reach(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<Reach>> {
    authz::require(actor, Action::Read, Resource::Kpi)?;
    let first = day.with_day0(0).unwrap_or(day);
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    let at = |d: NaiveDate| store::problems::day_start(d);
    let filter = EventFilter {
        ends_after: Some(at(first)),
        starts_before: Some(at(next)),
        department: None,
        include_cancelled: false,
        limit: 10_000,
    };
    let events = app.store.events(&filter).await?;
    let now = app.now();
    use strum::IntoEnumIterator;
    let mut out = Vec::new();
    for kind in EventKind::iter() {
        let mut r = Reach {
            kind,
            kind_zh: kind.label_zh(),
            clause: kind.clause(),
            events: 0,
            registered: 0,
            came: 0,
            attendance_missing: 0,
            positions_offered: 0,
            positions_filled: 0,
        };
        let mut registered = std::collections::BTreeSet::new();
        let mut came = std::collections::BTreeSet::new();
        for s in
            events.iter().filter(|s| s.record.event.kind == kind && s.record.event.starts_at >= at(first))
        {
            r.events += 1;
            r.positions_offered += u64::from(s.record.event.positions_offered.unwrap_or(0));
            r.positions_filled += u64::from(s.record.positions_filled.unwrap_or(0));
            let ended = s.record.event.ends_at < now;
            let mut untaken = false;
            for reg in app.store.roster(s.record.id).await? {
                if reg.state != RegistrationState::Cancelled {
                    registered.insert(reg.enterprise_id);
                }
                if reg.state == RegistrationState::CheckedIn {
                    came.insert(reg.enterprise_id);
                }
                untaken |= ended && reg.state == RegistrationState::Confirmed;
            }
            r.attendance_missing += u64::from(untaken);
        }
        r.registered = registered.len() as u64;
        r.came = came.len() as u64;
        out.push(r);
    }
    Ok(out)
}

/// The events' rows of the leader's service-line table ([`crate::service_lines`]): one per
/// kind of event, for the month of `day`: events held, enterprises registered and come, a job
/// fair's positions; behind = events ended whose attendance was not taken.
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    Ok(reach(app, actor, day)
        .await?
        .into_iter()
        .map(|r| {
            let mut figures = vec![
                Figure { label_zh: "本月活动（场）", value: r.events },
                Figure { label_zh: "报名企业（家）", value: r.registered },
                Figure { label_zh: "到场企业（家）", value: r.came },
            ];
            if r.kind == EventKind::JobFair {
                figures.push(Figure { label_zh: "提供岗位（个）", value: r.positions_offered });
                figures.push(Figure { label_zh: "已招到岗位（个）", value: r.positions_filled });
            }
            ServiceLineKpi {
                clause: r.clause,
                name_zh: r.kind_zh.to_string(),
                figures,
                behind: r.attendance_missing,
                href: Some("/events"),
            }
        })
        .collect())
}

/// The attendance workbook (活动参与情况): one sheet of events with their counts, one of
/// every registration (enterprise, attendees, state, feedback), one per department (events,
/// enterprises registered, enterprises that came). Officials only.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn attendance_workbook(app: &App, actor: &Principal, when: When) -> Result<Vec<u8>> {
    if actor.role == Role::Enterprise {
        return Err(Error::Forbidden);
    }
    let views = list(app, actor, when).await?;
    let mut events_sheet = excel::Sheet::new(
        "活动",
        &[
            "编号",
            "类型",
            "方案条目",
            "活动名称",
            "主办部门",
            "开始",
            "结束",
            "名额",
            "已占名额",
            "已报名",
            "候补",
            "已签到",
            "未到",
            "状态",
        ],
    );
    let mut regs = excel::Sheet::new(
        "报名明细",
        &[
            "活动编号",
            "活动名称",
            "统一社会信用代码",
            "企业名称",
            "人数",
            "参加人员",
            "状态",
            "评价",
            "评价内容",
            "报名时间",
        ],
    );
    let mut per_dept: std::collections::BTreeMap<
        String,
        (u64, std::collections::BTreeSet<i64>, std::collections::BTreeSet<i64>),
    > = Default::default();
    let n = |v: u64| excel::Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
    for v in &views {
        let e = &v.summary.record;
        events_sheet.push(vec![
            n(e.id as u64),
            v.kind_zh.into(),
            v.clause.into(),
            e.event.title.clone().into(),
            v.department_name.clone().into(),
            excel::Cell::DateTime(e.event.starts_at.naive_local()),
            excel::Cell::DateTime(e.event.ends_at.naive_local()),
            n(u64::from(e.event.capacity)),
            n(u64::from(v.summary.seats_taken)),
            n(v.summary.confirmed + v.summary.checked_in + v.summary.no_show),
            n(v.summary.waiting),
            n(v.summary.checked_in),
            n(v.summary.no_show),
            (if e.cancelled { "已取消" } else { "正常" }).into(),
        ]);
        let d = per_dept.entry(v.department_name.clone()).or_default();
        d.0 += 1;
        for r in app.store.roster(e.id).await? {
            if r.state != RegistrationState::Cancelled {
                d.1.insert(r.enterprise_id);
            }
            if r.state == RegistrationState::CheckedIn {
                d.2.insert(r.enterprise_id);
            }
            regs.push(vec![
                n(e.id as u64),
                e.event.title.clone().into(),
                r.uscc.into(),
                r.enterprise_name.into(),
                n(u64::from(r.attendees)),
                r.attendee_names.into(),
                r.state.label_zh().into(),
                r.feedback.map_or(excel::Cell::Empty, |f| n(u64::from(f))),
                r.feedback_text.into(),
                excel::Cell::DateTime(r.registered_at.naive_local()),
            ]);
        }
    }
    let mut depts = excel::Sheet::new("按部门", &["主办部门", "活动数", "报名企业数", "到场企业数"]);
    for (name, (count, registered, came)) in per_dept {
        depts.push(vec![name.into(), n(count), n(registered.len() as u64), n(came.len() as u64)]);
    }
    let mut wb = excel::Workbook::new("活动参与情况", app.now().naive_local());
    wb.sheets.extend([events_sheet, regs, depts]);
    wb.to_bytes().map_err(Error::internal)
}
