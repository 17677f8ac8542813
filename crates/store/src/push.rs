//! Push (推送, issue 12): the enterprises' inboxes (收件箱), the channels (渠道) messages also
//! go out on, and the outbox (发件箱) a worker delivers from.
//!
//! - `inbox_runs`: per match run, the generation of its inbox: the run it is compared with
//!   and a cursor (the last enterprise id written). [`PushStore::write_inbox_page`] writes a
//!   page of messages, their outbox rows and the cursor in one transaction, and only when the
//!   cursor is where the caller read it: a generation cut off resumes at the cursor, and two
//!   workers can never both write one page.
//! - `inbox_messages`: one per enterprise, run, item and kind (newly eligible, almost
//!   eligible), unique; and one per enterprise and event published for its audience (kind
//!   `event`, no run: `store::events::EventStore::create_event_informing`, migration 0039).
//! - `channels`, `enterprise_contacts`: where messages also go (a webhook, an SMS or WeChat
//!   gateway) and how an enterprise is reached there.
//! - `outbox`: one row per message and channel, written in the message's transaction, so a
//!   crash between the commit and a delivery loses nothing. A worker claims due rows with a
//!   lease ([`PushStore::claim_deliveries`]; `FOR UPDATE SKIP LOCKED` on PostgreSQL), sends,
//!   then marks them sent, or failed with the next attempt's time, or dead.
//!
//! What it leaves out: what a message says and when one is due (`app::push`), signing and
//! sending (`app::push`), the clock (every time is passed in).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::{Result, Stamp};

/// What an inbox message tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum MessageKind {
    /// Eligible in this run and not in the run compared with (新符合).
    NewlyEligible,
    /// Missed by exactly one condition (差一项).
    AlmostEligible,
    /// An event published for an audience the enterprise is in (活动通知); of no match run.
    Event,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<MessageKind> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            MessageKind::NewlyEligible => "新符合",
            MessageKind::AlmostEligible => "差一项",
            MessageKind::Event => "活动通知",
        }
    }
}

/// A channel's kind: what its requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ChannelKind {
    /// The message as JSON.
    Webhook,
    /// An SMS gateway: the enterprise's phone and a text.
    Sms,
    /// A WeChat gateway: the enterprise's openid and a text.
    Wechat,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<ChannelKind> {
        s.parse().ok()
    }
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum OutboxState {
    Pending,
    Sent,
    /// Every attempt failed; kept with the last error until an administrator retries it.
    Dead,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<OutboxState> {
        s.parse().ok()
    }
}

/// The inbox generation of one match run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxRun {
    pub run_id: i64,
    /// The run compared with for "newly eligible" (`None`: none before it).
    pub previous_run: Option<i64>,
    /// The evaluation date of the run.
    pub date: chrono::NaiveDate,
    /// Enterprises with ids up to this one are done.
    pub after_enterprise: i64,
    pub messages: u64,
    pub done_at: Option<DateTime<FixedOffset>>,
}

/// A message to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub enterprise_id: i64,
    pub item: String,
    pub kind: MessageKind,
    pub title: String,
    pub body_zh: String,
    pub body_en: String,
    pub guide_href: Option<String>,
}

/// A page of an inbox generation to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    pub run_id: i64,
    /// The enterprise ids of the page: `(after, through]`; `after` is where the cursor must be.
    pub after: i64,
    pub through: i64,
    pub messages: Vec<NewMessage>,
    pub at: DateTime<FixedOffset>,
    /// When the page's deliveries are first due (milliseconds since 1970).
    pub next_ms: i64,
    /// The page is the run's last: the generation is done.
    pub done: bool,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxMessage {
    pub id: i64,
    pub uscc: String,
    /// The match run that gave it; `None` for an event's message.
    pub run_id: Option<i64>,
    pub item: String,
    pub kind: MessageKind,
    pub title: String,
    pub body_zh: String,
    pub body_en: String,
    pub guide_href: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub read_at: Option<DateTime<FixedOffset>>,
}

/// A delivery channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    /// The HMAC key; never printed.
    pub secret: String,
    pub enabled: bool,
    pub created_at: DateTime<FixedOffset>,
    pub created_by: String,
}

/// A claimed delivery, with what its request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    /// Attempts before this one.
    pub attempts: i32,
    pub channel: Channel,
    pub message: InboxMessage,
    pub enterprise_name: String,
    pub phone: Option<String>,
    pub wechat_openid: Option<String>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Failed; tried again at this time (milliseconds since 1970).
    Retry {
        error: String,
        next_ms: i64,
    },
    /// Failed for the last time.
    Dead {
        error: String,
    },
}

/// One delivery as the admin view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub message_id: i64,
    pub uscc: String,
    pub channel: String,
    pub state: OutboxState,
    pub attempts: i32,
    pub next_ms: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<FixedOffset>>,
}

/// Deliveries per channel and state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxCount {
    pub channel: String,
    pub state: OutboxState,
    pub count: u64,
}

/// The most characters of a channel's name, URL and secret, of a phone and an openid, and of
/// an error kept.
pub const MAX_CHANNEL_NAME: usize = 40;
pub const MAX_URL: usize = 500;
pub const MAX_SECRET: usize = 200;
pub const MAX_CONTACT: usize = 64;
pub const MAX_ERROR: usize = 500;

/// An error text cut to [`MAX_ERROR`] characters.
pub fn error_text(e: &str) -> String {
    e.chars().take(MAX_ERROR).collect()
}

/// Inboxes, channels and the outbox.
#[async_trait]
pub trait PushStore: Send + Sync {
    /// The inbox generation to work on: the oldest unfinished one, else (when the latest match
    /// run has none) a new one for the latest run, compared with the latest run of the same
    /// kind (the same tax year, or none) whose inbox is done, or, when none is, the run of
    /// that kind before it. `None`: nothing to do.
    async fn next_inbox_run(&self, at: DateTime<FixedOffset>) -> Result<Option<InboxRun>>;

    /// The eligible items of a run's enterprises with ids in `(after, through]`, by
    /// enterprise then item.
    async fn run_eligible_range(&self, run_id: i64, after: i64, through: i64) -> Result<Vec<(i64, String)>>;

    /// The almost-eligible items messaged in runs before `run_id` to the enterprises with ids
    /// in `(after, through]`, by enterprise then item (a later run does not repeat them).
    async fn almost_messaged(&self, run_id: i64, after: i64, through: i64) -> Result<Vec<(i64, String)>>;

    /// Writes a page of messages, an outbox row per message and enabled channel that reaches
    /// the enterprise, and moves the cursor to `through`, in one transaction, only if the
    /// cursor is still at `after`; `false` (and nothing written) otherwise.
    async fn write_inbox_page(&self, page: InboxPage) -> Result<bool>;

    /// The inbox generations, newest first.
    async fn inbox_runs(&self, limit: u32) -> Result<Vec<InboxRun>>;

    /// An enterprise's messages, newest first, before message id `before` when given.
    async fn inbox(&self, uscc: &str, before: Option<i64>, limit: u32) -> Result<Vec<InboxMessage>>;

    /// How many of an enterprise's messages are unread.
    async fn inbox_unread(&self, uscc: &str) -> Result<u64>;

    /// Every match run's inbox message written in `[from, to)`, as (enterprise id, item,
    /// written at), oldest first: the effect report's "informed" (推送告知).
    async fn informed_between(
        &self,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<(i64, String, DateTime<FixedOffset>)>>;

    /// Marks an enterprise's messages read (the given ids, or all); returns how many changed.
    async fn mark_inbox_read(&self, uscc: &str, ids: Option<Vec<i64>>, stamp: &Stamp) -> Result<u64>;

    /// The channels, by name.
    async fn channels(&self) -> Result<Vec<Channel>>;

    /// Adds or replaces a channel, audited (the secret is recorded as changed, never shown).
    async fn save_channel(&self, channel: &Channel, stamp: &Stamp) -> Result<()>;

    /// Sets how an enterprise is reached on the gateways, audited; `false`: no such
    /// enterprise.
    async fn set_contact(
        &self,
        uscc: &str,
        phone: Option<String>,
        wechat_openid: Option<String>,
        stamp: &Stamp,
    ) -> Result<bool>;

    /// Claims up to `limit` due pending deliveries for `owner` until `lease_ms`.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>>;

    /// Records attempts (each only while `owner` holds it); returns how many were recorded.
    async fn record_attempts(
        &self,
        owner: &str,
        attempts: Vec<(i64, Attempt)>,
        at: DateTime<FixedOffset>,
    ) -> Result<u64>;

    /// Deliveries per channel and state.
    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>>;

    /// Deliveries in a state (all when `None`), newest first.
    async fn outbox_entries(&self, state: Option<OutboxState>, limit: u32) -> Result<Vec<OutboxEntry>>;

    /// Makes a dead delivery pending again, due at `next_ms`, attempts reset, audited;
    /// `false`: no dead delivery with that id.
    async fn retry_delivery(&self, id: i64, next_ms: i64, stamp: &Stamp) -> Result<bool>;
}

/// What an audit record says about a channel's change: each field that changed, the secret
/// only as `changed`.
pub fn channel_changes(old: Option<&Channel>, new: &Channel) -> Vec<enterprise::FieldChange> {
    let mut out = Vec::new();
    let mut field = |name: &str, o: Option<String>, n: Option<String>| {
        if o != n {
            out.push(enterprise::FieldChange { field: name.into(), old: o, new: n });
        }
    };
    field("kind", old.map(|c| c.kind.as_str().to_string()), Some(new.kind.as_str().to_string()));
    field("url", old.map(|c| c.url.clone()), Some(new.url.clone()));
    field("enabled", old.map(|c| c.enabled.to_string()), Some(new.enabled.to_string()));
    if old.is_none_or(|c| c.secret != new.secret) {
        out.push(enterprise::FieldChange {
            field: "secret".into(),
            old: None,
            new: Some("(changed)".into()),
        });
    }
    out
}

/// SQL texts both dialects accept. SQLite numbers `$N` parameters in the order they first
/// appear, so each text uses `$1, $2, …` in that order.
pub mod sql {
    pub const LATEST_RUN: &str = "SELECT id, date FROM match_runs ORDER BY id DESC LIMIT 1";
    pub const UNFINISHED: &str = "SELECT i.run_id, i.previous_run, m.date, i.after_enterprise, i.messages, i.done_at \
        FROM inbox_runs i JOIN match_runs m ON m.id = i.run_id WHERE i.done_at IS NULL ORDER BY i.run_id LIMIT 1";
    pub const HAS_INBOX_RUN: &str = "SELECT 1 FROM inbox_runs WHERE run_id = $1";
    /// Runs of the same kind: the same tax year (none, or the one named).
    pub const LAST_DONE: &str = "SELECT max(i.run_id) FROM inbox_runs i JOIN match_runs m ON m.id = i.run_id \
        WHERE i.done_at IS NOT NULL AND i.run_id < $1 \
        AND m.tax_year IS NOT DISTINCT FROM (SELECT tax_year FROM match_runs WHERE id = $2)";
    pub const RUN_BEFORE: &str = "SELECT max(id) FROM match_runs WHERE id < $1 \
        AND tax_year IS NOT DISTINCT FROM (SELECT tax_year FROM match_runs WHERE id = $2)";
    pub const INSERT_INBOX_RUN: &str = "INSERT INTO inbox_runs (run_id, previous_run, after_enterprise, messages, started_at) VALUES ($1, $2, 0, 0, $3)";
    pub const INBOX_RUNS: &str = "SELECT i.run_id, i.previous_run, m.date, i.after_enterprise, i.messages, i.done_at \
        FROM inbox_runs i JOIN match_runs m ON m.id = i.run_id ORDER BY i.run_id DESC LIMIT $1";
    pub const ELIGIBLE_RANGE: &str = "SELECT enterprise_id, item FROM match_run_results \
        WHERE run_id = $1 AND enterprise_id > $2 AND enterprise_id <= $3 ORDER BY enterprise_id, item";
    pub const ALMOST_MESSAGED: &str = "SELECT enterprise_id, item FROM inbox_messages \
        WHERE run_id < $1 AND enterprise_id > $2 AND enterprise_id <= $3 AND kind = 'almost_eligible' \
        ORDER BY enterprise_id, item";
    pub const MOVE_CURSOR: &str = "UPDATE inbox_runs SET after_enterprise = $1, messages = messages + $2 \
        WHERE run_id = $3 AND after_enterprise = $4 AND done_at IS NULL";
    pub const FINISH_RUN: &str = "UPDATE inbox_runs SET done_at = $1 WHERE run_id = $2";
    pub const INSERT_MESSAGE: &str = "INSERT INTO inbox_messages \
        (enterprise_id, run_id, item, kind, title, body_zh, body_en, guide_href, at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
    /// The outbox rows of a page's messages: one per message and enabled channel that
    /// reaches the enterprise (a webhook always; a gateway when the enterprise has a phone or
    /// an openid).
    pub const INSERT_OUTBOX: &str = "INSERT INTO outbox (message_id, channel, next_ms) \
        SELECT m.id, c.name, CAST($1 AS BIGINT) FROM inbox_messages m CROSS JOIN channels c \
        LEFT JOIN enterprise_contacts k ON k.enterprise_id = m.enterprise_id \
        WHERE m.run_id = $2 AND m.enterprise_id > $3 AND m.enterprise_id <= $4 AND c.enabled \
        AND (c.kind = 'webhook' OR (c.kind = 'sms' AND k.phone IS NOT NULL) \
        OR (c.kind = 'wechat' AND k.wechat_openid IS NOT NULL)) \
        ON CONFLICT DO NOTHING";
    pub const MESSAGE_COLUMNS: &str = "m.id, e.uscc, m.run_id, m.item, m.kind, m.title, m.body_zh, m.body_en, \
        m.guide_href, m.at, m.read_at";
    pub const UNREAD: &str = "SELECT count(*) FROM inbox_messages m JOIN enterprises e ON e.id = m.enterprise_id \
        WHERE e.uscc = $1 AND m.read_at IS NULL";
    /// A match run's messages only: an event's invitation (kind `event`, no run) is not a
    /// policy item's 推送告知 (the event counts when the enterprise comes).
    pub const INFORMED_BETWEEN: &str = "SELECT enterprise_id, item, at FROM inbox_messages \
        WHERE at >= $1 AND at < $2 AND run_id IS NOT NULL ORDER BY at, id";
    pub const MARK_ALL_READ: &str = "UPDATE inbox_messages SET read_at = $1, read_by = $2 \
        WHERE read_at IS NULL AND enterprise_id = (SELECT id FROM enterprises WHERE uscc = $3)";
    pub const MARK_READ: &str = "UPDATE inbox_messages SET read_at = $1, read_by = $2 \
        WHERE read_at IS NULL AND id = $3 AND enterprise_id = (SELECT id FROM enterprises WHERE uscc = $4)";
    pub const CHANNELS: &str =
        "SELECT name, kind, url, secret, enabled, created_at, created_by FROM channels ORDER BY name";
    pub const CHANNEL: &str =
        "SELECT name, kind, url, secret, enabled, created_at, created_by FROM channels WHERE name = $1";
    pub const DELETE_CHANNEL: &str = "DELETE FROM channels WHERE name = $1";
    pub const INSERT_CHANNEL: &str = "INSERT INTO channels (name, kind, url, secret, enabled, created_at, created_by) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const UPDATE_CHANNEL: &str =
        "UPDATE channels SET kind = $1, url = $2, secret = $3, enabled = $4 WHERE name = $5";
    pub const ENTERPRISE_ID: &str = "SELECT id FROM enterprises WHERE uscc = $1";
    pub const CONTACT: &str = "SELECT phone, wechat_openid FROM enterprise_contacts WHERE enterprise_id = $1";
    pub const DELETE_CONTACT: &str = "DELETE FROM enterprise_contacts WHERE enterprise_id = $1";
    pub const INSERT_CONTACT: &str = "INSERT INTO enterprise_contacts \
        (enterprise_id, phone, wechat_openid, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)";
    /// The claim's inner pick; PostgreSQL appends `FOR UPDATE SKIP LOCKED`.
    pub fn claim_sql(skip_locked: bool) -> String {
        format!(
            "UPDATE outbox SET lease_owner = $1, lease_ms = $2 WHERE id IN (SELECT id FROM outbox \
             WHERE state = 'pending' AND next_ms <= $3 AND (lease_ms IS NULL OR lease_ms < $3) \
             ORDER BY next_ms, id LIMIT $4{}) RETURNING id",
            if skip_locked { " FOR UPDATE SKIP LOCKED" } else { "" }
        )
    }
    pub const DELIVERY_OF: &str = "SELECT o.id, o.attempts, c.name, c.kind, c.url, c.secret, c.enabled, \
        c.created_at, c.created_by, m.id, e.uscc, m.run_id, m.item, m.kind, m.title, m.body_zh, m.body_en, \
        m.guide_href, m.at, m.read_at, e.name, k.phone, k.wechat_openid \
        FROM outbox o JOIN channels c ON c.name = o.channel JOIN inbox_messages m ON m.id = o.message_id \
        JOIN enterprises e ON e.id = m.enterprise_id LEFT JOIN enterprise_contacts k ON k.enterprise_id = e.id \
        WHERE o.id = $1";
    pub const MARK_SENT: &str = "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = $1, \
        lease_owner = NULL, lease_ms = NULL, last_error = NULL WHERE id = $2 AND lease_owner = $3 AND state = 'pending'";
    pub const MARK_RETRY: &str = "UPDATE outbox SET attempts = attempts + 1, next_ms = $1, last_error = $2, \
        lease_owner = NULL, lease_ms = NULL WHERE id = $3 AND lease_owner = $4 AND state = 'pending'";
    pub const MARK_DEAD: &str = "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = $1, \
        lease_owner = NULL, lease_ms = NULL WHERE id = $2 AND lease_owner = $3 AND state = 'pending'";
    pub const COUNTS: &str =
        "SELECT channel, state, count(*) FROM outbox GROUP BY channel, state ORDER BY channel, state";
    pub const ENTRY_COLUMNS: &str = "SELECT o.id, o.message_id, e.uscc, o.channel, o.state, o.attempts, o.next_ms, \
        o.last_error, o.sent_at FROM outbox o JOIN inbox_messages m ON m.id = o.message_id \
        JOIN enterprises e ON e.id = m.enterprise_id";
    pub const RETRY: &str = "UPDATE outbox SET state = 'pending', attempts = 0, next_ms = $1, lease_owner = NULL, \
        lease_ms = NULL WHERE id = $2 AND state = 'dead'";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_are_cut() {
        assert_eq!(error_text(&"x".repeat(900)).chars().count(), MAX_ERROR);
        assert_eq!(error_text("short"), "short");
    }
}
