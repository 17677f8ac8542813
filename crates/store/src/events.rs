//! Events and their registrations in the store (migration 0031; issue 15). The store keeps
//! rows; what a registration, cancellation or check-in does to the roster is decided by
//! `services::events::Roster` in the use case (`app::events`), which writes the outcome back
//! with [`EventStore::save_roster`] naming the event version it read: a write against an
//! older version is refused ([`StoreError::DocumentConflict`] with kind `event`), and the use
//! case reads and decides again. Each write is one transaction with its audit records in
//! `reference_changes` (entity `event`, key the event id).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use services::events::{Audience, EventKind, RegistrationState, Schedule};

use crate::{Result, Stamp, StoreError};

/// The audit entity of events and registrations.
pub const EVENT_ENTITY: &str = "event";

/// Length limits, in characters.
pub const MAX_TITLE: usize = 100;
pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_PLACE: usize = 200;
pub const MAX_LINK: usize = 500;
pub const MAX_NAMES: usize = 500;
pub const MAX_FEEDBACK_TEXT: usize = 1_000;
pub const MAX_CANCEL_REASON: usize = 500;

/// An event as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEvent {
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    /// The publishing department's name.
    pub department: String,
    pub place: String,
    /// An online link (may be empty).
    pub link: String,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub registration_closes_at: DateTime<FixedOffset>,
    pub capacity: u32,
    pub max_per_enterprise: u32,
    pub audience: Audience,
    /// A job fair's positions offered (招聘会岗位数).
    pub positions_offered: Option<u32>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    pub id: i64,
    #[serde(flatten)]
    pub event: NewEvent,
    /// A job fair's positions filled, recorded after it.
    pub positions_filled: Option<u32>,
    pub cancelled: bool,
    pub cancel_reason: String,
    /// Rises with every write of the event or its roster.
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<FixedOffset>,
}

impl EventRecord {
    /// The times and seats in China's civil time, as the roster decides on them.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            starts: self.event.starts_at.naive_local(),
            ends: self.event.ends_at.naive_local(),
            registration_closes: self.event.registration_closes_at.naive_local(),
            capacity: self.event.capacity,
            max_per_enterprise: self.event.max_per_enterprise,
        }
    }
}

/// One registration row, with its enterprise's code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationRecord {
    pub id: i64,
    pub event_id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub seq: u64,
    pub attendees: u32,
    pub attendee_names: String,
    pub state: RegistrationState,
    pub feedback: Option<u8>,
    pub feedback_text: String,
    pub registered_by: String,
    pub registered_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// An event with its roster's counts (for lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventSummary {
    #[serde(flatten)]
    pub record: EventRecord,
    /// Seats held (confirmed and checked in).
    pub seats_taken: u32,
    /// Enterprises confirmed, waiting, checked in, no-show.
    pub confirmed: u64,
    pub waiting: u64,
    pub checked_in: u64,
    pub no_show: u64,
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Events ending at or after this instant.
    pub ends_after: Option<DateTime<FixedOffset>>,
    /// Events starting before this instant.
    pub starts_before: Option<DateTime<FixedOffset>>,
    pub department: Option<String>,
    pub include_cancelled: bool,
    pub limit: u64,
}

/// One change to a roster, as the use case decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum RosterWrite {
    /// A new registration row.
    Register { enterprise_id: i64, seq: u64, attendees: u32, names: String, state: RegistrationState },
    /// The row `seq` moves from one state to another.
    State { enterprise_id: i64, seq: u64, from: RegistrationState, to: RegistrationState },
    /// Feedback on the row `seq`.
    Feedback { enterprise_id: i64, seq: u64, score: u8, text: String },
    /// The event's seats.
    Capacity { from: u32, to: u32 },
}

impl RosterWrite {
    /// The audit record's field, old and new values.
    pub fn audit(&self) -> (String, Option<String>, Option<String>) {
        match self {
            RosterWrite::Register { enterprise_id, seq, attendees, state, .. } => (
                format!("registration:{enterprise_id}:{seq}"),
                None,
                Some(format!("{} ({attendees})", state.as_str())),
            ),
            RosterWrite::State { enterprise_id, seq, from, to } => (
                format!("registration:{enterprise_id}:{seq}"),
                Some(from.as_str().to_string()),
                Some(to.as_str().to_string()),
            ),
            RosterWrite::Feedback { enterprise_id, seq, score, .. } => {
                (format!("feedback:{enterprise_id}:{seq}"), None, Some(score.to_string()))
            }
            RosterWrite::Capacity { from, to } => {
                ("capacity".into(), Some(from.to_string()), Some(to.to_string()))
            }
        }
    }
}

/// The conflict error of a write against an older version.
pub fn conflict(id: i64, expected: i64, current: i64) -> StoreError {
    StoreError::DocumentConflict {
        kind: "event".into(),
        name: id.to_string(),
        expected: expected.to_string(),
        current: current.to_string(),
    }
}

/// Parses an audience column.
pub fn audience_of(json: &str) -> Result<Audience> {
    serde_json::from_str(json).map_err(|e| StoreError::Backend(format!("event audience: {e}")))
}

/// Parses a stored enum name.
pub fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T> {
    s.parse().map_err(|_| StoreError::Backend(format!("unknown {what} {s:?}")))
}

/// Texts both dialects accept (see `crate::sql` for the placeholder rule).
pub mod sql {
    pub const EVENT_COLUMNS: &str = "e.id, e.kind, e.title, e.description, e.department, e.place, e.link, \
        e.starts_at, e.ends_at, e.registration_closes_at, e.capacity, e.max_per_enterprise, e.audience, \
        e.positions_offered, e.positions_filled, e.cancelled, e.cancel_reason, e.version, e.created_by, \
        e.created_at";
    /// Per event: seats taken, confirmed, waiting, checked in, no-show.
    pub const COUNTS: &str = "CAST(COALESCE(SUM(CASE WHEN r.state IN ('confirmed', 'checked_in') THEN r.attendees ELSE 0 END), 0) AS BIGINT), \
        COUNT(CASE WHEN r.state = 'confirmed' THEN 1 END), COUNT(CASE WHEN r.state = 'waitlisted' THEN 1 END), \
        COUNT(CASE WHEN r.state = 'checked_in' THEN 1 END), COUNT(CASE WHEN r.state = 'no_show' THEN 1 END)";
    pub const REGISTRATION_COLUMNS: &str = "r.id, r.event_id, r.enterprise_id, n.uscc, n.name, r.seq, r.attendees, \
        r.attendee_names, r.state, r.feedback, r.feedback_text, r.registered_by, r.registered_at, r.updated_at";
    pub const INSERT_EVENT: &str = "INSERT INTO events (kind, title, description, department, place, link, \
        starts_at, ends_at, registration_closes_at, capacity, max_per_enterprise, audience, positions_offered, \
        created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id";
    pub const INSERT_REGISTRATION: &str = "INSERT INTO event_registrations (event_id, enterprise_id, seq, attendees, \
        attendee_names, state, registered_by, registered_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    pub const SET_STATE: &str = "UPDATE event_registrations SET state = $1, updated_at = $2 \
        WHERE event_id = $3 AND seq = $4 AND state = $5";
    pub const SET_FEEDBACK: &str = "UPDATE event_registrations SET feedback = $1, feedback_text = $2, updated_at = $3 \
        WHERE event_id = $4 AND seq = $5";
    pub const SET_CAPACITY: &str = "UPDATE events SET capacity = $1 WHERE id = $2";
    pub const BUMP_VERSION: &str = "UPDATE events SET version = version + 1 WHERE id = $1 AND version = $2";
    pub const CANCEL: &str = "UPDATE events SET cancelled = TRUE, cancel_reason = $1, version = version + 1 \
        WHERE id = $2 AND version = $3";
    pub const SET_FILLED: &str = "UPDATE events SET positions_filled = $1, version = version + 1 \
        WHERE id = $2 AND version = $3";
    pub const VERSION: &str = "SELECT version FROM events WHERE id = $1";
    /// An event's message to one enterprise (migration 0039: no run, kind `event`).
    pub const INSERT_NOTICE: &str = "INSERT INTO inbox_messages \
        (enterprise_id, run_id, item, kind, title, body_zh, body_en, guide_href, at) \
        VALUES ($1, NULL, $2, 'event', $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    /// The outbox rows of an event's messages, as `push::sql::INSERT_OUTBOX` for a run's.
    pub const INSERT_NOTICE_OUTBOX: &str = "INSERT INTO outbox (message_id, channel, next_ms) \
        SELECT m.id, c.name, CAST($1 AS BIGINT) FROM inbox_messages m CROSS JOIN channels c \
        LEFT JOIN enterprise_contacts k ON k.enterprise_id = m.enterprise_id \
        WHERE m.run_id IS NULL AND m.item = $2 AND c.enabled \
        AND (c.kind = 'webhook' OR (c.kind = 'sms' AND k.phone IS NOT NULL) \
        OR (c.kind = 'wechat' AND k.wechat_openid IS NOT NULL)) \
        ON CONFLICT DO NOTHING";
}

/// What an event's publication tells its audience: one inbox message (kind `event`, item
/// [`notice_item`], link [`notice_href`]) per enterprise, with the outbox rows of the enabled
/// channels that reach it, written in the event's transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventNotice {
    pub enterprise_ids: Vec<i64>,
    pub title: String,
    pub body_zh: String,
    pub body_en: String,
    /// When the deliveries are first due (milliseconds since 1970).
    pub next_ms: i64,
}

/// The inbox item of an event's messages.
pub fn notice_item(event: i64) -> String {
    format!("event-{event}")
}

/// The page an event's message links to.
pub fn notice_href(event: i64) -> String {
    format!("/events/{event}")
}

/// Events and their registrations.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores a new event (checked by the use case); its id.
    async fn create_event(&self, event: &NewEvent, stamp: &Stamp) -> Result<i64>;

    /// Stores a new event and, in the same transaction, its [`EventNotice`] to the
    /// enterprises of its audience; its id.
    async fn create_event_informing(
        &self,
        event: &NewEvent,
        notice: &EventNotice,
        stamp: &Stamp,
    ) -> Result<i64>;

    async fn event(&self, id: i64) -> Result<Option<EventRecord>>;

    /// Events with their counts, soonest first.
    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventSummary>>;

    /// An event's registrations in the order they were made.
    async fn roster(&self, event: i64) -> Result<Vec<RegistrationRecord>>;

    /// An enterprise's registrations, newest event first.
    async fn registrations_of(&self, enterprise_id: i64) -> Result<Vec<RegistrationRecord>>;

    /// Writes a roster's changes in one transaction if the event is still at `expected`;
    /// the new version.
    async fn save_roster(
        &self,
        event: i64,
        expected: i64,
        writes: &[RosterWrite],
        stamp: &Stamp,
    ) -> Result<i64>;

    /// Cancels an event (with the reason) if it is still at `expected`.
    async fn cancel_event(&self, event: i64, expected: i64, reason: &str, stamp: &Stamp) -> Result<i64>;

    /// Records a job fair's positions filled if the event is still at `expected`.
    async fn set_positions_filled(
        &self,
        event: i64,
        expected: i64,
        filled: u32,
        stamp: &Stamp,
    ) -> Result<i64>;
}
