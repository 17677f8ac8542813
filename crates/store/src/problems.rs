//! The three lists in the store: problems as a projection of their event log, the event log
//! itself with one global hash chain, and cadres' visits.
//!
//! - The **event log** (`problem_events`) is the truth. Each row holds one
//!   [`handling::Event`] in the columns of `docs/HANDLING.md`, its place in the global chain
//!   (`chain_seq`), and `hash = sha256(prev_hash ‖ canonical_json)` in hex, with the first
//!   `prev_hash` 64 zeros ([`GENESIS_HASH`]). A one-row `audit_chain_head` table holds the
//!   last `chain_seq` and hash: appending reads and moves it inside the same transaction
//!   (SQLite: the single writer; PostgreSQL: `SELECT … FOR UPDATE` on that row), and
//!   [`verify_chain`] compares the end of the chain with it, so deleting the newest event is
//!   caught as well as any edit or deletion before it.
//! - The **projection** (`problems`) caches what queues and lists filter on: state,
//!   departments, deadlines and the times the warning lights turn ([`lights`]). It is
//!   rewritten from `handling::replay` of the log in the same transaction as each event
//!   ([`Projection::of`]); a test checks it equals the replay of the stored events.
//! - **Visits** (`visits`): a cadre's visit; problems raised from it carry its id.
//!
//! What it leaves out: the driver work (each backend's `problems.rs`) and the clock (every
//! write takes "now").

use async_trait::async_trait;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use enterprise::{Routing, UnifiedCreditCode};
use handling::{
    Actor as HActor, Channel, Command, Event, HandlingError, Problem, ProblemState, Role as HRole, State,
    TimeLimits, Urgency, Visit, Warning,
};
use i18n::{Catalog, Lang, Localized, Message};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Page, StoreError, china_offset};

/// The `prev_hash` of the first event of the chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `sha256(prev_hash ‖ canonical_json)` in lower-case hex.
pub fn chain_hash(prev_hash: &str, canonical_json: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical_json.as_bytes());
    hex::encode(h.finalize())
}

// ---------------------------------------------------------------------------------------
// Errors

/// Errors of the problem store: a problem or visit that does not exist, the state machine's
/// refusals ([`HandlingError`], e.g. an illegal transition), and the store's own errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum ProblemError {
    #[error("no problem {id}")]
    NotFound { id: i64 },
    #[error("no visit {id}")]
    VisitNotFound { id: String },
    /// The problem moved on since the caller read it: its last event is `current`, the caller
    /// expected `expected` (a lost update prevented).
    #[error("problem {id} is at version {current}, not {expected}")]
    Stale { id: i64, expected: u32, current: u32 },
    #[error(transparent)]
    Attachment(#[from] crate::attachments::AttachmentError),
    #[error(transparent)]
    Handling(#[from] HandlingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result type of [`ProblemStore`].
pub type PResult<T> = std::result::Result<T, ProblemError>;

const MESSAGES: &str = r#"
["store.problem_not_found"]
zh = "未找到编号为 {id} 的问题；请核对问题编号（可用 huiqi ledger export 查看全部问题）"
en = "there is no problem {id}; check the problem id (huiqi ledger export lists every problem)"

["store.visit_not_found"]
zh = "未找到编号为 {id} 的走访记录；请先登记走访，再用其编号提交问题"
en = "there is no visit {id}; record the visit first, then raise problems with its id"

["store.problem_stale"]
zh = "问题 {id} 已被他人更新（当前版本 {current}，您提交的版本 {expected}）；请刷新后重新操作"
en = "problem {id} was changed by someone else (it is at version {current}, you sent {expected}); reload it and try again"
"#;

/// The catalog of this module's own messages.
pub fn problem_catalog() -> &'static Catalog {
    static C: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    C.get_or_init(|| Catalog::embedded(MESSAGES))
}

impl Localized for ProblemError {
    fn message(&self) -> Message {
        match self {
            ProblemError::NotFound { id } => Message::new("store.problem_not_found").arg("id", id),
            ProblemError::VisitNotFound { id } => Message::new("store.visit_not_found").arg("id", id),
            ProblemError::Stale { id, expected, current } => Message::new("store.problem_stale")
                .arg("id", id)
                .arg("expected", expected)
                .arg("current", current),
            ProblemError::Attachment(e) => e.message(),
            ProblemError::Handling(e) => e.message(),
            ProblemError::Store(e) => e.message(),
        }
    }
    fn catalog(&self) -> &'static Catalog {
        match self {
            ProblemError::Handling(e) => e.catalog(),
            ProblemError::Store(e) => e.catalog(),
            ProblemError::Attachment(e) => e.catalog(),
            _ => problem_catalog(),
        }
    }
    fn render(&self, lang: Lang) -> String {
        match self {
            ProblemError::Handling(e) => e.render(lang),
            ProblemError::Store(e) => e.render(lang),
            ProblemError::Attachment(e) => e.render(lang),
            _ => problem_catalog().render(&self.message(), lang),
        }
    }
}

impl ProblemError {
    pub fn backend(e: impl std::fmt::Display) -> ProblemError {
        ProblemError::Store(StoreError::Backend(e.to_string()))
    }
}

// ---------------------------------------------------------------------------------------
// Records

/// One stored event with its place in the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    /// Position in the global chain (1, 2, …).
    pub chain_seq: i64,
    pub problem_id: i64,
    pub event: Event,
    /// When the store wrote it (`event.at` may be earlier for records entered late).
    pub recorded_at: DateTime<FixedOffset>,
    pub prev_hash: String,
    pub hash: String,
}

/// A problem: its state (the replay of its events) and the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRecord {
    pub id: i64,
    pub state: ProblemState,
    pub events: Vec<StoredEvent>,
    /// The projection row as stored (equal to [`Projection::of`] of `state`).
    pub row: ProblemRow,
}

/// A row of a problem list (the projection plus the enterprise's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemRow {
    pub id: i64,
    pub enterprise: UnifiedCreditCode,
    pub enterprise_name: String,
    #[serde(flatten)]
    pub projection: Projection,
}

impl ProblemRow {
    /// The warning light at `now`, from the stored light times (equal to
    /// `handling::warning(state, now)`, to the second).
    pub fn warning(&self, now: DateTime<FixedOffset>) -> Warning {
        light_at(self.projection.yellow_at, self.projection.red_at, now)
    }
}

/// The cached columns of `problems`, all derived from the replayed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Projection {
    pub category: String,
    pub title: String,
    pub description: String,
    pub channel: String,
    pub urgency: String,
    pub confidential: bool,
    pub received_at: DateTime<FixedOffset>,
    pub state: String,
    pub lead_department: String,
    pub cooperating: Vec<String>,
    pub handler: Option<String>,
    /// `YYYY-MM-DD` for working-day limits, RFC 3339 for hour limits.
    pub accept_by: String,
    pub answer_by: String,
    /// From this moment the light is at least yellow (`None`: it does not turn yellow).
    pub yellow_at: Option<DateTime<FixedOffset>>,
    /// From this moment the light is red (overdue).
    pub red_at: Option<DateTime<FixedOffset>>,
    pub escalations: i64,
    pub round: i64,
    pub visit_id: Option<i64>,
    pub last_seq: i64,
    /// The time of the last event.
    pub updated_at: DateTime<FixedOffset>,
}

fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Parses a snake_case enum name as stored (a state, role, channel, …).
pub fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// The time in China time, in whole seconds: how the store keeps every time it hashes.
pub fn china_seconds(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    handling::china_seconds(t)
}

fn start_of_day(d: NaiveDate) -> DateTime<FixedOffset> {
    handling::china_day_start(d)
}

/// When a problem's light turns yellow and red, as `handling` computes them
/// ([`handling::warning_times`]): the store keeps these instants (`yellow_at`, `red_at`) so
/// that queues filter and sort by light in SQL; the rule itself lives in `handling` alone.
pub fn lights(s: &ProblemState) -> (Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>) {
    let w = handling::warning_times(s);
    (w.yellow_at, w.red_at)
}

/// The light at `now` from stored light times ([`handling::WarningTimes::at`]).
pub fn light_at(
    yellow_at: Option<DateTime<FixedOffset>>,
    red_at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> Warning {
    handling::WarningTimes { yellow_at, red_at }.at(now)
}

impl Projection {
    /// The projection of a replayed state.
    pub fn of(s: &ProblemState) -> PResult<Projection> {
        let d = handling::deadlines(s);
        let (yellow_at, red_at) = lights(s);
        let visit_id = match &s.problem.visit {
            Some(v) => {
                Some(v.trim().parse::<i64>().map_err(|_| ProblemError::VisitNotFound { id: v.clone() })?)
            }
            None => None,
        };
        Ok(Projection {
            category: s.problem.category.clone(),
            title: s.problem.title.clone(),
            description: s.problem.description.clone(),
            channel: enum_str(&s.problem.channel),
            urgency: enum_str(&s.problem.urgency),
            confidential: s.problem.confidential,
            received_at: china_seconds(s.problem.received_at),
            state: s.state.as_str().to_string(),
            lead_department: s.lead.clone(),
            cooperating: s.cooperating.clone(),
            handler: s.handler.clone(),
            accept_by: d.accept_by.to_string(),
            answer_by: d.answer_by.to_string(),
            yellow_at,
            red_at,
            escalations: i64::from(s.escalations),
            round: i64::from(s.round),
            visit_id,
            last_seq: i64::from(s.seq),
            updated_at: china_seconds(s.last_at),
        })
    }

    pub fn cooperating_json(&self) -> String {
        serde_json::to_string(&self.cooperating).unwrap_or_else(|_| "[]".into())
    }

    pub fn parse_cooperating(text: &str) -> PResult<Vec<String>> {
        serde_json::from_str(text).map_err(|e| ProblemError::backend(format!("cooperating column: {e}")))
    }
}

/// Filters of a problem list; all given filters must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProblemFilter {
    pub state: Option<State>,
    /// Only open problems (`true`) or only closed and withdrawn ones (`false`), by
    /// [`State::is_open`] (the SQL lists [`State::OPEN`]).
    pub open: Option<bool>,
    /// Problems of the enterprises whose three links name this cadre.
    pub cadre: Option<String>,
    /// Keywords, each found in the title or the description.
    pub text: Option<TextFilter>,
    /// The order of the rows.
    pub order: ProblemOrder,
    /// Lead or cooperating department (code).
    pub department: Option<String>,
    pub enterprise: Option<UnifiedCreditCode>,
    /// Category code.
    pub category: Option<String>,
    /// The light at a moment: problems at least yellow, or red.
    pub light: Option<(LightFilter, DateTime<FixedOffset>)>,
    /// Received on these dates (China time), both included.
    pub received: Option<(NaiveDate, NaiveDate)>,
}

/// A keyword search: every word must occur in the title or the description (ASCII letters
/// compared without case). `in_confidential: false` leaves confidential problems out of the
/// match, so a reader who sees only their summary cannot probe their text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextFilter {
    pub words: Vec<String>,
    pub in_confidential: bool,
    /// Problems the search index found for the same words (jieba words, synonyms): they match
    /// too. Keywords still match as substrings, so a fragment the segmenter splits differently
    /// (or a problem written after the index last caught up) is not lost.
    pub found: Vec<i64>,
}

/// How a problem list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProblemOrder {
    /// By number (the default).
    #[default]
    Id,
    /// A department's queue (待办队列) at a moment: open before closed, red before yellow
    /// before unlit, urgent first, then the answer deadline, then the number.
    Queue(DateTime<FixedOffset>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LightFilter {
    /// Yellow or red.
    Warned,
    /// Exactly yellow.
    Yellow,
    /// Red (overdue).
    Red,
}

/// A visit with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitRecord {
    pub id: i64,
    #[serde(flatten)]
    pub visit: Visit,
    pub recorded_at: DateTime<FixedOffset>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitFilter {
    pub cadre: Option<String>,
    pub enterprise: Option<UnifiedCreditCode>,
}

impl VisitFilter {
    /// The visits query for this filter and its text parameters (`$1`, `$2`, …), one text
    /// both dialects run.
    pub fn query(&self) -> (String, Vec<String>) {
        let mut q = String::from(sql::VISITS_FROM);
        let mut vals: Vec<String> = Vec::new();
        let mut conds = Vec::new();
        if let Some(c) = &self.cadre {
            vals.push(c.clone());
            conds.push(format!("v.cadre = ${}", vals.len()));
        }
        if let Some(e) = &self.enterprise {
            vals.push(e.to_string());
            conds.push(format!("en.uscc = ${}", vals.len()));
        }
        if !conds.is_empty() {
            q.push_str(&format!(" WHERE {}", conds.join(" AND ")));
        }
        q.push_str(" ORDER BY v.date, v.id");
        (q, vals)
    }
}

/// The first broken link of the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The chain position where the chain breaks (for a missing tail, the position the head
    /// names).
    pub chain_seq: i64,
    /// The problem and its event number, when the row exists.
    pub problem_id: Option<i64>,
    pub event_seq: Option<i64>,
    pub expected: String,
    pub found: String,
    pub reason: BreakReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// The row's `prev_hash` is not the previous row's hash (a row before it was deleted or
    /// changed its hash).
    PrevHash,
    /// The row's content does not hash to its `hash` (the row was edited).
    Hash,
    /// The row's columns do not make an event.
    Unreadable,
    /// The chain ends before the head (the newest events were deleted) or runs past it.
    Head,
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub events: u64,
    pub head_hash: String,
    pub broken: Option<BrokenLink>,
}

/// One event row as stored, for [`verify_chain`] and the readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub chain_seq: i64,
    pub problem_id: i64,
    pub seq: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub role: String,
    pub actor_department: Option<String>,
    pub actor_enterprise: Option<String>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
    pub payload: String,
    pub recorded_at: DateTime<FixedOffset>,
    pub prev_hash: String,
    pub hash: String,
}

impl EventRow {
    /// The event these columns hold.
    pub fn event(&self) -> PResult<Event> {
        let seq = u32::try_from(self.seq).unwrap_or(0);
        let bad = |what: &str, v: &str| {
            ProblemError::Handling(HandlingError::BadLog {
                seq,
                reason: format!("{what} {v:?} is not valid"),
            })
        };
        let role: HRole = parse_enum(&self.role).ok_or_else(|| bad("role", &self.role))?;
        let enterprise = match &self.actor_enterprise {
            Some(c) => Some(UnifiedCreditCode::parse(c).map_err(|_| bad("actor_enterprise", c))?),
            None => None,
        };
        let from = match &self.from_state {
            Some(f) => Some(parse_enum::<State>(f).ok_or_else(|| bad("from_state", f))?),
            None => None,
        };
        let to: State = parse_enum(&self.to_state).ok_or_else(|| bad("to_state", &self.to_state))?;
        let actor = HActor {
            username: self.actor.clone(),
            role,
            department: self.actor_department.clone(),
            enterprise,
        };
        let e = Event::from_columns(
            seq,
            china_seconds(self.at),
            &actor,
            from,
            to,
            self.note.clone(),
            &self.action,
            &self.payload,
        )?;
        if e.kind().as_str() != self.action {
            return Err(bad("action", &self.action));
        }
        Ok(e)
    }

    pub fn stored(&self) -> PResult<StoredEvent> {
        Ok(StoredEvent {
            chain_seq: self.chain_seq,
            problem_id: self.problem_id,
            event: self.event()?,
            recorded_at: self.recorded_at,
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        })
    }
}

/// The columns of a new event row (everything but `chain_seq`, `prev_hash`, `hash`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEventColumns {
    pub seq: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub role: String,
    pub actor_department: Option<String>,
    pub actor_enterprise: Option<String>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
    pub payload: String,
    pub canonical: String,
}

impl NewEventColumns {
    pub fn of(e: &Event) -> NewEventColumns {
        NewEventColumns {
            seq: i64::from(e.seq),
            at: china_seconds(e.at),
            actor: e.actor.clone(),
            role: e.role.as_str().to_string(),
            actor_department: e.actor_department.clone(),
            actor_enterprise: e.actor_enterprise.as_ref().map(|c| c.to_string()),
            action: e.kind().as_str().to_string(),
            from_state: e.from.map(|s| s.as_str().to_string()),
            to_state: e.to.as_str().to_string(),
            note: e.note.clone(),
            payload: e.payload_json(),
            canonical: e.canonical_json(),
        }
    }
}

/// Walks the chain in `chain_seq` order and returns the first broken link, comparing the end
/// with the head row `(seq, hash)`.
pub fn verify_chain(
    rows: impl IntoIterator<Item = EventRow>,
    head: (i64, String),
) -> (u64, Option<BrokenLink>) {
    let mut prev = GENESIS_HASH.to_string();
    let mut n = 0u64;
    let mut last_seq = 0i64;
    for r in rows {
        n += 1;
        let link = |expected: String, found: String, reason| BrokenLink {
            chain_seq: r.chain_seq,
            problem_id: Some(r.problem_id),
            event_seq: Some(r.seq),
            expected,
            found,
            reason,
        };
        if r.prev_hash != prev {
            return (n, Some(link(prev, r.prev_hash.clone(), BreakReason::PrevHash)));
        }
        let expected = match r.event() {
            Ok(e) => chain_hash(&prev, &e.canonical_json()),
            Err(err) => {
                return (n, Some(link(r.hash.clone(), err.render(Lang::En), BreakReason::Unreadable)));
            }
        };
        if expected != r.hash {
            return (n, Some(link(expected, r.hash.clone(), BreakReason::Hash)));
        }
        prev = r.hash.clone();
        last_seq = r.chain_seq;
    }
    if head.0 != last_seq || head.1 != prev {
        return (
            n,
            Some(BrokenLink {
                chain_seq: head.0,
                problem_id: None,
                event_seq: None,
                expected: head.1,
                found: prev,
                reason: BreakReason::Head,
            }),
        );
    }
    (n, None)
}

/// Groups event rows (ordered by problem, then seq) into per-problem event logs.
pub fn group_logs(rows: Vec<EventRow>) -> PResult<Vec<(i64, Vec<Event>)>> {
    let mut out: Vec<(i64, Vec<Event>)> = Vec::new();
    for r in rows {
        let e = r.event()?;
        match out.last_mut() {
            Some((id, log)) if *id == r.problem_id => log.push(e),
            _ => out.push((r.problem_id, vec![e])),
        }
    }
    Ok(out)
}

/// Rebuilds a record from its event rows and projection row: replays the events, each by the
/// calendar in force at its time.
pub fn record_from(
    id: i64,
    rows: Vec<EventRow>,
    row: ProblemRow,
    cals: &dyn calendar::CalendarAt,
) -> PResult<ProblemRecord> {
    let events = rows.iter().map(EventRow::stored).collect::<PResult<Vec<_>>>()?;
    let log: Vec<Event> = events.iter().map(|e| e.event.clone()).collect();
    let state = handling::replay(&log, cals)?;
    Ok(ProblemRecord { id, state, events, row })
}

/// Replays a stored log by the calendars in force at each event's time.
pub fn replay_log(log: &[Event], cals: &dyn calendar::CalendarAt) -> PResult<ProblemState> {
    Ok(handling::replay(log, cals)?)
}

/// The submit transition of a new problem, with every time in China time, whole seconds,
/// under the calendar in force when it was received (the submit event's time).
pub fn submit_transition(
    mut problem: Problem,
    actor: &HActor,
    now: DateTime<FixedOffset>,
    routing: &Routing,
    limits: &TimeLimits,
    cals: &dyn calendar::CalendarAt,
) -> PResult<handling::Transition> {
    problem.received_at = china_seconds(problem.received_at);
    let cal = cals.calendar_at(problem.received_at);
    Ok(handling::submit(problem, actor, now.with_timezone(&china_offset()), routing, limits, cal)?)
}

/// Refuses a write on a problem that moved past the version the caller expected.
pub fn check_expected(id: i64, state: &ProblemState, expected: Option<u32>) -> PResult<()> {
    match expected {
        Some(e) if e != state.seq => Err(ProblemError::Stale { id, expected: e, current: state.seq }),
        _ => Ok(()),
    }
}

/// The transition of a command on a replayed state, at `now` (China time, whole seconds),
/// under the calendar in force at that time.
pub fn apply_transition(
    state: &ProblemState,
    cmd: &Command,
    actor: &HActor,
    now: DateTime<FixedOffset>,
    cals: &dyn calendar::CalendarAt,
) -> PResult<handling::Transition> {
    let now = china_seconds(now);
    Ok(handling::apply(state, cmd, actor, now, cals.calendar_at(now))?)
}

/// The channel and urgency names as stored.
pub fn channel_str(c: Channel) -> String {
    enum_str(&c)
}
pub fn urgency_str(u: Urgency) -> String {
    enum_str(&u)
}

// ---------------------------------------------------------------------------------------
// SQL both dialects accept

pub mod sql {
    //! Shared texts of the problem tables (see `crate::sql` for the placeholder rule).

    pub const CHAIN_HEAD: &str = "SELECT seq, hash FROM audit_chain_head WHERE id = 1";
    pub const CHAIN_HEAD_FOR_UPDATE: &str = "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE";
    pub const SET_CHAIN_HEAD: &str = "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1";
    pub const INSERT_PROBLEM: &str = "INSERT INTO problems (enterprise_id, category, title, description, \
         channel, urgency, confidential, received_at, state, lead_department, cooperating, handler, \
         accept_by, answer_by, yellow_at, red_at, escalations, round, visit_id, last_seq, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21) RETURNING id";
    pub const UPDATE_PROBLEM: &str = "UPDATE problems SET state = $1, lead_department = $2, \
         cooperating = $3, handler = $4, accept_by = $5, answer_by = $6, yellow_at = $7, red_at = $8, \
         escalations = $9, round = $10, last_seq = $11, updated_at = $12 WHERE id = $13";
    pub const INSERT_EVENT: &str = "INSERT INTO problem_events (chain_seq, problem_id, seq, at, actor, role, \
         actor_department, actor_enterprise, action, from_state, to_state, note, payload, recorded_at, \
         prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
    macro_rules! event_columns {
        () => {
            "e.chain_seq, e.problem_id, e.seq, e.at, e.actor, e.role, e.actor_department, \
             e.actor_enterprise, e.action, e.from_state, e.to_state, e.note, e.payload, e.recorded_at, \
             e.prev_hash, e.hash"
        };
    }
    pub const EVENTS_OF: &str =
        concat!("SELECT ", event_columns!(), " FROM problem_events e WHERE e.problem_id = $1 ORDER BY e.seq");
    pub const ALL_EVENTS_IN_CHAIN_ORDER: &str =
        concat!("SELECT ", event_columns!(), " FROM problem_events e ORDER BY e.chain_seq");
    pub const ALL_EVENTS_BY_PROBLEM: &str =
        concat!("SELECT ", event_columns!(), " FROM problem_events e ORDER BY e.problem_id, e.seq");
    /// `('submitted', 'accepted', …)`: the open states ([`handling::State::OPEN`]) as an SQL
    /// list, generated from the one definition of an open problem.
    pub fn open_states() -> &'static str {
        static S: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        S.get_or_init(|| {
            let names: Vec<String> =
                handling::State::OPEN.iter().map(|s| format!("'{}'", s.as_str())).collect();
            format!("({})", names.join(", "))
        })
    }
    /// Problems with an event in [$1, $2) or still open: what a period's KPIs need.
    pub fn events_for_period() -> &'static str {
        static S: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        S.get_or_init(|| {
            format!(
                "SELECT {} FROM problem_events e JOIN problems p ON p.id = e.problem_id \
                 WHERE (p.updated_at >= $1 AND p.received_at < $2) OR p.state IN {} \
                 ORDER BY e.problem_id, e.seq",
                event_columns!(),
                open_states()
            )
        })
    }
    macro_rules! problem_columns {
        () => {
            "p.id, en.uscc, en.name, p.category, p.title, p.description, p.channel, p.urgency, \
             p.confidential, p.received_at, p.state, p.lead_department, p.cooperating, p.handler, \
             p.accept_by, p.answer_by, p.yellow_at, p.red_at, p.escalations, p.round, p.visit_id, \
             p.last_seq, p.updated_at"
        };
    }
    pub const PROBLEM_FROM: &str = concat!(
        "SELECT ",
        problem_columns!(),
        " FROM problems p JOIN enterprises en ON en.id = p.enterprise_id"
    );
    pub const PROBLEM_BY_ID: &str = concat!(
        "SELECT ",
        problem_columns!(),
        " FROM problems p JOIN enterprises en ON en.id = p.enterprise_id WHERE p.id = $1"
    );
    pub const VISIT_EXISTS: &str = "SELECT id FROM visits WHERE id = $1";
    pub const INSERT_VISIT: &str = "INSERT INTO visits (enterprise_id, date, cadre, findings, recorded_at, \
         recorded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub const VISITS_FROM: &str = "SELECT v.id, en.uscc, v.date, v.cadre, v.findings, v.recorded_at, \
         v.recorded_by FROM visits v JOIN enterprises en ON en.id = v.enterprise_id";
    /// Each enterprise with a cadre link: cadre, credit code, name.
    pub const CADRE_ENTERPRISES: &str = "SELECT l.cadre_username, en.uscc, en.name FROM three_links l \
         JOIN enterprises en ON en.id = l.enterprise_id WHERE l.cadre_username IS NOT NULL \
         ORDER BY l.cadre_username, en.id";
    /// One cadre's enterprises: cadre, credit code, name.
    pub const ENTERPRISES_OF_CADRE: &str = "SELECT l.cadre_username, en.uscc, en.name FROM three_links l \
         JOIN enterprises en ON en.id = l.enterprise_id WHERE l.cadre_username = $1 ORDER BY en.id";

    pub const ALL: &[&str] = &[
        CHAIN_HEAD,
        SET_CHAIN_HEAD,
        INSERT_PROBLEM,
        UPDATE_PROBLEM,
        INSERT_EVENT,
        EVENTS_OF,
        ALL_EVENTS_IN_CHAIN_ORDER,
        ALL_EVENTS_BY_PROBLEM,
        PROBLEM_FROM,
        PROBLEM_BY_ID,
        VISIT_EXISTS,
        INSERT_VISIT,
        VISITS_FROM,
        CADRE_ENTERPRISES,
        ENTERPRISES_OF_CADRE,
    ];
}

/// A parameter of a built query, bound by each backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QParam {
    Text(String),
    Int(i64),
    Time(DateTime<FixedOffset>),
}

/// A built list query: the count (bound with `params`), the page (bound with `params`, then
/// `order_params`, then LIMIT and OFFSET) and the parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemListQuery {
    pub count_sql: String,
    pub page_sql: String,
    pub params: Vec<QParam>,
    /// The parameters of the ORDER BY clause (the queue's moment), after `params`.
    pub order_params: Vec<QParam>,
}

impl ProblemListQuery {
    /// Every parameter of the page query but LIMIT and OFFSET, in order.
    pub fn page_params(&self) -> impl Iterator<Item = &QParam> {
        self.params.iter().chain(self.order_params.iter())
    }
}

/// Builds the problem list query of a filter, in both dialects.
pub fn problem_list(f: &ProblemFilter) -> ProblemListQuery {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<QParam> = Vec::new();
    let next = |params: &mut Vec<QParam>, p: QParam| {
        params.push(p);
        format!("${}", params.len())
    };
    if let Some(s) = f.state {
        let a = next(&mut params, QParam::Text(s.as_str().into()));
        conds.push(format!("p.state = {a}"));
    }
    if let Some(d) = f.department.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        let a = next(&mut params, QParam::Text(d.to_string()));
        let b = next(&mut params, QParam::Text(format!("%\"{}\"%", crate::sql::like_escape(d))));
        conds.push(format!("(p.lead_department = {a} OR p.cooperating LIKE {b} ESCAPE '\\')"));
    }
    if let Some(e) = &f.enterprise {
        let a = next(&mut params, QParam::Text(e.to_string()));
        conds.push(format!("en.uscc = {a}"));
    }
    if let Some(c) = f.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let a = next(&mut params, QParam::Text(c.to_string()));
        conds.push(format!("p.category = {a}"));
    }
    if let Some((light, now)) = f.light {
        let a = next(&mut params, QParam::Time(china_seconds(now)));
        conds.push(match light {
            LightFilter::Red => format!("p.red_at <= {a}"),
            LightFilter::Warned => format!("(p.yellow_at <= {a} OR p.red_at <= {a})"),
            LightFilter::Yellow => format!("(p.yellow_at <= {a} AND (p.red_at IS NULL OR p.red_at > {a}))"),
        });
    }
    if let Some((from, to)) = f.received {
        let a = next(&mut params, QParam::Time(start_of_day(from)));
        let b = next(&mut params, QParam::Time(start_of_day(to + Duration::days(1))));
        conds.push(format!("(p.received_at >= {a} AND p.received_at < {b})"));
    }
    if let Some(open) = f.open {
        let not = if open { "" } else { "NOT " };
        conds.push(format!("p.state {not}IN {}", sql::open_states()));
    }
    if let Some(c) = f.cadre.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let a = next(&mut params, QParam::Text(c.to_string()));
        conds.push(format!(
            "p.enterprise_id IN (SELECT l.enterprise_id FROM three_links l WHERE l.cadre_username = {a})"
        ));
    }
    if let Some(t) = &f.text {
        let mut words = Vec::new();
        for w in t.words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            let pattern = format!("%{}%", crate::sql::like_escape(&w.to_ascii_lowercase()));
            let a = next(&mut params, QParam::Text(pattern));
            words.push(format!(
                "(LOWER(p.title) LIKE {a} ESCAPE '\\' OR LOWER(p.description) LIKE {a} ESCAPE '\\')"
            ));
        }
        if !words.is_empty() {
            let mut either = format!("({})", words.join(" AND "));
            if !t.found.is_empty() {
                // Integers from the index, written as literals (no text reaches the SQL).
                let ids: Vec<String> = t.found.iter().map(i64::to_string).collect();
                either = format!("({either} OR p.id IN ({}))", ids.join(","));
            }
            if !t.in_confidential {
                either = format!("(NOT p.confidential AND {either})");
            }
            conds.push(either);
        }
    }
    let where_clause =
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    let mut order_params = Vec::new();
    let order = match f.order {
        ProblemOrder::Id => "p.id".to_string(),
        ProblemOrder::Queue(now) => {
            order_params.push(QParam::Time(china_seconds(now)));
            let a = format!("${}", params.len() + 1);
            format!(
                "CASE WHEN p.state IN {} THEN 0 ELSE 1 END, \
                 CASE WHEN p.red_at <= {a} THEN 0 WHEN p.yellow_at <= {a} THEN 1 ELSE 2 END, \
                 CASE WHEN p.urgency = 'urgent' THEN 0 ELSE 1 END, p.answer_by, p.id",
                sql::open_states()
            )
        }
    };
    let n = params.len() + order_params.len();
    ProblemListQuery {
        count_sql: format!(
            "SELECT COUNT(*) FROM problems p JOIN enterprises en ON en.id = p.enterprise_id{where_clause}"
        ),
        page_sql: format!(
            "{}{where_clause} ORDER BY {order} LIMIT ${} OFFSET ${}",
            sql::PROBLEM_FROM,
            n + 1,
            n + 2
        ),
        params,
        order_params,
    }
}

/// The first instant of a date in China time (a period's bound).
pub fn day_start(d: NaiveDate) -> DateTime<FixedOffset> {
    start_of_day(d)
}

// ---------------------------------------------------------------------------------------
// The trait

/// Problems, their events and visits. Every write is one transaction that appends the
/// event to the global chain and rewrites the projection; when it returns `Ok` it is durable.
#[async_trait]
pub trait ProblemStore: Send + Sync {
    /// Records a new problem received from `actor` (routing proposed from `routing`, limits
    /// from `limits`): one write. The enterprise must exist; a visit id must exist. The
    /// submit event is dated `problem.received_at`; `now` is when it is recorded.
    async fn create_problem(
        &self,
        problem: Problem,
        actor: &HActor,
        now: DateTime<FixedOffset>,
        routing: &Routing,
        limits: &TimeLimits,
    ) -> PResult<ProblemRecord>;

    /// A problem with its replayed state and events; [`ProblemError::NotFound`] if absent.
    async fn get_problem(&self, id: i64) -> PResult<ProblemRecord>;

    /// A page of problems (by id) matching the filter, and how many match in all.
    async fn list_problems(&self, filter: &ProblemFilter, page: Page) -> PResult<(Vec<ProblemRow>, u64)>;

    /// Applies one command by `actor` at `now` to the problem's replayed state, appends the
    /// event to the chain and updates the projection, in one transaction. Department names
    /// in the command must already be codes (`handling::check_departments`).
    /// `at` is the event's time (earlier than `recorded_at` for records entered late);
    /// `recorded_at` is when it is written.
    async fn record_transition(
        &self,
        id: i64,
        cmd: &Command,
        actor: &HActor,
        at: DateTime<FixedOffset>,
        recorded_at: DateTime<FixedOffset>,
    ) -> PResult<ProblemRecord>;

    /// [`ProblemStore::record_transition`] only if the problem is still at version
    /// `expected` (its last event number), checked inside the same write: otherwise
    /// [`ProblemError::Stale`] and nothing is written. What `If-Match` relies on.
    async fn record_transition_expecting(
        &self,
        id: i64,
        cmd: &Command,
        actor: &HActor,
        at: DateTime<FixedOffset>,
        recorded_at: DateTime<FixedOffset>,
        expected: u32,
    ) -> PResult<ProblemRecord>;

    /// The event logs (by problem id) a period's KPIs need: problems with an event on the
    /// dates `range` (both included) and every open problem; all problems for `None`.
    async fn all_event_logs_for_period(
        &self,
        range: Option<(NaiveDate, NaiveDate)>,
    ) -> PResult<Vec<(i64, Vec<Event>)>>;

    /// Walks the whole chain and names the first broken link.
    async fn audit_verify(&self) -> PResult<AuditReport>;

    /// Records a visit; returns its id.
    async fn add_visit(&self, visit: &Visit, actor: &crate::Stamp) -> PResult<i64>;

    /// Visits by date, then id.
    async fn list_visits(&self, filter: &VisitFilter) -> PResult<Vec<VisitRecord>>;

    /// The enterprises whose three links name a cadre (all cadres, or the one named), by cadre
    /// then enterprise: what visit coverage and a cadre's pages start from.
    async fn cadre_enterprises(&self, cadre: Option<&str>) -> PResult<Vec<CadreEnterprise>>;
}

/// An enterprise linked to a cadre (驻企干部).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CadreEnterprise {
    pub cadre: String,
    pub uscc: UnifiedCreditCode,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample of each variant: a new variant fails to compile here until it has one.
    /// Wrapped errors have one representative each (their own tests cover them all).
    fn sample(d: ProblemErrorDiscriminants) -> ProblemError {
        use ProblemErrorDiscriminants as D;
        match d {
            D::NotFound => ProblemError::NotFound { id: 7 },
            D::VisitNotFound => ProblemError::VisitNotFound { id: "x".into() },
            D::Stale => ProblemError::Stale { id: 7, expected: 3, current: 4 },
            D::Attachment => {
                ProblemError::Attachment(crate::attachments::AttachmentError::NotFound { problem: 1, id: 2 })
            }
            D::Handling => ProblemError::Handling(HandlingError::ExtensionPending),
            D::Store => ProblemError::Store(StoreError::UserNotFound { username: "x".into() }),
        }
    }

    #[test]
    fn messages_render_in_both_languages() {
        use strum::IntoEnumIterator;
        assert!(Catalog::parse(MESSAGES).is_ok());
        i18n::assert_all_bilingual(&ProblemErrorDiscriminants::iter().map(sample).collect::<Vec<_>>());
        let e = ProblemError::NotFound { id: 7 };
        assert!(e.render(Lang::Zh).contains('7') && e.render(Lang::En).contains("problem 7"));
        let h = ProblemError::Handling(HandlingError::ExtensionPending);
        assert!(!h.render(Lang::En).starts_with("handling."));
    }

    #[test]
    fn the_hash_covers_the_previous_hash_and_the_content() {
        let a = chain_hash(GENESIS_HASH, "{}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, chain_hash(GENESIS_HASH, "{} "));
        assert_ne!(a, chain_hash(&a, "{}"));
        // sha256("0"*64 + "{}"), computed independently.
        assert_eq!(chain_hash("", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn shared_texts_number_their_parameters_in_order() {
        let ascending =
            |s: &str| crate::sql::placeholder_order(s).iter().enumerate().all(|(i, n)| *n == i + 1);
        for s in sql::ALL {
            assert!(ascending(s), "{s}");
        }
        let now = DateTime::parse_from_rfc3339("2022-05-06T09:30:00+08:00").unwrap();
        assert!(ascending(sql::events_for_period()));
        let q = problem_list(&ProblemFilter {
            state: Some(State::InProgress),
            department: Some("tax_bureau".into()),
            enterprise: None,
            category: Some("tax".into()),
            light: Some((LightFilter::Yellow, now)),
            received: Some((
                NaiveDate::from_ymd_opt(2022, 5, 1).unwrap(),
                NaiveDate::from_ymd_opt(2022, 5, 31).unwrap(),
            )),
            open: Some(true),
            cadre: Some("ganbu".into()),
            text: Some(TextFilter {
                words: vec!["房租".into(), "50%_off".into()],
                in_confidential: false,
                found: Vec::new(),
            }),
            order: ProblemOrder::Queue(now),
        });
        assert!(ascending(&q.count_sql) && ascending(&q.page_sql), "{}", q.page_sql);
        assert_eq!(q.params.len(), 10);
        assert_eq!(q.order_params.len(), 1);
        assert!(q.params.contains(&QParam::Text("%50\\%\\_off%".into())), "{:?}", q.params);
        assert!(q.count_sql.contains("NOT p.confidential"));
        // The open states come from `State::OPEN`, the one definition.
        assert!(sql::open_states().contains("'answered'") && !sql::open_states().contains("'closed'"));
    }
}

/// Golden fixtures of the audit chain (`tests/golden/audit_chain/`): for every kind of event
/// (each action, and each shape of its data), the canonical bytes the chain hashes
/// ([`Event::canonical_json`]) and the chain of hashes over them. A change to a type's serde
/// form, a field's order or a time's format would change the bytes and break the
/// verification of chains already stored; this test fails first. `HUIQI_BLESS=1` rewrites the
/// files (only for a deliberate, migrated change of the encoding: docs/PROBLEMS.md).
#[cfg(test)]
mod audit_golden {
    use super::*;
    use handling::{
        Action, ActionKind, AppliedLimits, ExplainReason, Limit, Outcome, Rating, ReviewDecision,
    };

    fn t(minutes: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2022-05-06T09:30:00+08:00").unwrap() + Duration::minutes(minutes)
    }

    fn uscc() -> UnifiedCreditCode {
        UnifiedCreditCode::parse("91430100MA4L00011K").unwrap()
    }

    /// One event: `who` is (username, role, department); enterprise users carry the code.
    fn ev(
        seq: u32,
        who: (&str, HRole, Option<&str>),
        from: Option<State>,
        to: State,
        note: Option<&str>,
        action: Action,
    ) -> Event {
        Event {
            seq,
            at: t(i64::from(seq) * 7),
            actor: who.0.into(),
            role: who.1,
            actor_department: who.2.map(str::to_string),
            actor_enterprise: (who.1 == HRole::Enterprise).then(uscc),
            from,
            to,
            note: note.map(str::to_string),
            action,
        }
    }

    /// Every kind of event, named.
    fn events() -> Vec<(&'static str, Event)> {
        use HRole::*;
        use State::*;
        let ent = ("zhizao", Enterprise, None);
        let tax = ("shuiwu", Department, Some("tax_bureau"));
        let coop = ("jingfa", Department, Some("economic_development"));
        let sup = ("ducha", Supervisor, None);
        let leader = ("lingdao", Leader, None);
        let system = ("system", System, None);
        let problem = Problem {
            enterprise: uscc(),
            channel: Channel::Hotline,
            category: "tax".into(),
            title: "留抵退税进度查询 \"引号\" \\ 反斜杠".into(),
            description: "三月申请，尚未到账。\n第二行\t制表".into(),
            attachments: vec![format!("sha256:{} 发票.pdf", "ab".repeat(32))],
            urgency: Urgency::Urgent,
            confidential: true,
            received_at: t(0),
            visit: Some("12".into()),
        };
        let limits = AppliedLimits {
            accept: Limit::Hours(2),
            answer: Limit::Workdays(7),
            yellow_percent: 80,
            objection_workdays: 1,
            report_workdays: 3,
            confirm_workdays: 5,
            max_extensions_per_round: 1,
        };
        let assign = Action::Assign {
            lead: "tax_bureau".into(),
            cooperating: vec!["economic_development".into()],
            handler: Some("王科长".into()),
        };
        vec![
            (
                "submit",
                ev(
                    1,
                    ent,
                    None,
                    Submitted,
                    Some("热线代录"),
                    Action::Submit { problem, lead: "tax_bureau".into(), cooperating: vec![], limits },
                ),
            ),
            ("accept", ev(2, tax, Some(Submitted), Accepted, None, Action::Accept)),
            ("assign", ev(3, tax, Some(Accepted), Assigned, None, assign)),
            ("object", ev(4, tax, Some(Assigned), ObjectionPending, Some("非本部门职责"), Action::Object)),
            (
                "decide_objection_upheld",
                ev(
                    5,
                    sup,
                    Some(ObjectionPending),
                    Assigned,
                    Some("改派"),
                    Action::DecideObjection {
                        upheld: true,
                        lead: Some("economic_development".into()),
                        cooperating: Some(vec!["tax_bureau".into()]),
                    },
                ),
            ),
            (
                "decide_objection_rejected",
                ev(
                    6,
                    sup,
                    Some(ObjectionPending),
                    Assigned,
                    Some("维持"),
                    Action::DecideObjection { upheld: false, lead: None, cooperating: None },
                ),
            ),
            ("return", ev(7, tax, Some(Assigned), Returned, Some("错派"), Action::Return)),
            ("start", ev(8, tax, Some(Assigned), InProgress, None, Action::Start)),
            (
                "request_info",
                ev(9, tax, Some(InProgress), AwaitingInfo, Some("请补充合同"), Action::RequestInfo),
            ),
            ("supply_info", ev(10, ent, Some(AwaitingInfo), InProgress, Some("已上传"), Action::SupplyInfo)),
            ("report", ev(11, coop, Some(InProgress), InProgress, Some("配合意见"), Action::Report)),
            (
                "request_extension",
                ev(
                    12,
                    tax,
                    Some(InProgress),
                    InProgress,
                    Some("需核查"),
                    Action::RequestExtension { workdays: 5 },
                ),
            ),
            ("approve_extension", ev(13, sup, Some(InProgress), InProgress, None, Action::ApproveExtension)),
            (
                "reject_extension",
                ev(14, sup, Some(InProgress), InProgress, Some("理由不足"), Action::RejectExtension),
            ),
            ("escalate", ev(15, leader, Some(InProgress), InProgress, Some("请加快"), Action::Escalate)),
            (
                "open_consultation",
                ev(
                    16,
                    leader,
                    Some(InProgress),
                    InProgress,
                    Some("会商"),
                    Action::OpenConsultation { participants: vec!["tax_bureau".into(), "finance".into()] },
                ),
            ),
            (
                "close_consultation",
                ev(
                    17,
                    leader,
                    Some(InProgress),
                    InProgress,
                    None,
                    Action::CloseConsultation {
                        minutes: "纪要".into(),
                        decisions: vec!["一、退税".into(), "二、回访".into()],
                        actions: vec![],
                    },
                ),
            ),
            (
                "answer_resolved",
                ev(
                    18,
                    tax,
                    Some(InProgress),
                    Answered,
                    Some("已退付"),
                    Action::Answer { outcome: Outcome::Resolved },
                ),
            ),
            (
                "answer_explained",
                ev(
                    19,
                    tax,
                    Some(InProgress),
                    Answered,
                    Some("不符合条件"),
                    Action::Answer { outcome: Outcome::Explained { reason: ExplainReason::NotEligible } },
                ),
            ),
            (
                "answer_referred",
                ev(
                    20,
                    tax,
                    Some(InProgress),
                    Answered,
                    Some("转省厅"),
                    Action::Answer { outcome: Outcome::Referred { to: "省税务局".into() } },
                ),
            ),
            (
                "confirm_satisfied",
                ev(
                    21,
                    ent,
                    Some(Answered),
                    Confirmed,
                    None,
                    Action::Confirm { rating: Rating::Satisfied, solved: None },
                ),
            ),
            (
                "confirm_basically_satisfied",
                ev(
                    22,
                    ent,
                    Some(Answered),
                    Confirmed,
                    None,
                    Action::Confirm { rating: Rating::BasicallySatisfied, solved: None },
                ),
            ),
            (
                "confirm_dissatisfied",
                ev(
                    23,
                    ent,
                    Some(Answered),
                    InProgress,
                    Some("未到账"),
                    Action::Confirm { rating: Rating::Dissatisfied, solved: None },
                ),
            ),
            ("reopen", ev(24, ent, Some(Closed), InProgress, Some("问题复发"), Action::Reopen)),
            (
                "review_close",
                ev(
                    25,
                    sup,
                    Some(UnderReview),
                    Closed,
                    Some("答复成立"),
                    Action::Review { decision: ReviewDecision::Close },
                ),
            ),
            (
                "review_redo",
                ev(
                    26,
                    sup,
                    Some(UnderReview),
                    InProgress,
                    Some("重办"),
                    Action::Review { decision: ReviewDecision::Redo },
                ),
            ),
            ("close", ev(27, tax, Some(Confirmed), Closed, None, Action::Close)),
            ("auto_close_unrated", ev(28, system, Some(Answered), Closed, None, Action::AutoCloseUnrated)),
            ("withdraw", ev(29, ent, Some(InProgress), Withdrawn, Some("已自行解决"), Action::Withdraw)),
            (
                "attach",
                ev(
                    30,
                    ent,
                    Some(InProgress),
                    InProgress,
                    None,
                    Action::Attach {
                        file_name: "租赁合同.pdf".into(),
                        content_type: "application/pdf".into(),
                        size: 123_456,
                        sha256: "cd".repeat(32),
                    },
                ),
            ),
            // Issue 11 §5/§6: kinds added later; the fixtures above keep their bytes.
            (
                "escalate_case",
                ev(
                    31,
                    leader,
                    Some(InProgress),
                    InProgress,
                    Some("请三个工作日内回复"),
                    Action::EscalateCase { reply_workdays: 3 },
                ),
            ),
            (
                "reply_escalation",
                ev(32, tax, Some(InProgress), InProgress, Some("已协调，本周答复"), Action::ReplyEscalation),
            ),
            (
                "close_consultation_with_decisions",
                ev(
                    33,
                    leader,
                    Some(InProgress),
                    InProgress,
                    None,
                    Action::CloseConsultation {
                        minutes: "纪要".into(),
                        decisions: vec![],
                        actions: vec![handling::DecisionAction {
                            text: "财政局拨付补贴".into(),
                            owner: "finance".into(),
                            due: NaiveDate::from_ymd_opt(2022, 5, 13).unwrap(),
                        }],
                    },
                ),
            ),
            (
                "complete_decision",
                ev(
                    34,
                    tax,
                    Some(InProgress),
                    InProgress,
                    Some("已拨付"),
                    Action::CompleteDecision { decision: 1 },
                ),
            ),
            (
                "confirm_solved",
                ev(
                    35,
                    ent,
                    Some(Answered),
                    Confirmed,
                    None,
                    Action::Confirm { rating: Rating::Satisfied, solved: Some(true) },
                ),
            ),
            (
                "confirm_not_solved",
                ev(
                    36,
                    ent,
                    Some(Answered),
                    Confirmed,
                    None,
                    Action::Confirm { rating: Rating::BasicallySatisfied, solved: Some(false) },
                ),
            ),
            (
                "spot_check",
                ev(
                    37,
                    sup,
                    Some(Closed),
                    Closed,
                    Some("电话回访：已解决"),
                    Action::SpotCheck { solved: true },
                ),
            ),
            (
                "recompute_deadlines",
                ev(
                    38,
                    system,
                    Some(InProgress),
                    InProgress,
                    None,
                    Action::RecomputeDeadlines {
                        year: 2027,
                        notice: "国务院办公厅关于2027年部分节假日安排的通知（示例）".into(),
                        changes: vec![handling::DeadlineChange {
                            deadline: handling::DeadlineName::AnswerBy,
                            from: handling::Due::Date(NaiveDate::from_ymd_opt(2027, 2, 12).unwrap()),
                            to: handling::Due::Date(NaiveDate::from_ymd_opt(2027, 2, 15).unwrap()),
                        }],
                    },
                ),
            ),
        ]
    }

    /// What the store writes for an event and reads back before hashing (what `audit verify`
    /// does with each row).
    fn through_columns(e: &Event) -> Event {
        let c = NewEventColumns::of(e);
        let row = EventRow {
            chain_seq: 1,
            problem_id: 1,
            seq: c.seq,
            at: c.at,
            actor: c.actor,
            role: c.role,
            actor_department: c.actor_department,
            actor_enterprise: c.actor_enterprise,
            action: c.action,
            from_state: c.from_state,
            to_state: c.to_state,
            note: c.note,
            payload: c.payload,
            recorded_at: c.at,
            prev_hash: String::new(),
            hash: String::new(),
        };
        row.event().unwrap()
    }

    #[test]
    fn every_kind_of_event_hashes_to_its_committed_bytes_and_hash() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/audit_chain");
        let bless = std::env::var_os("HUIQI_BLESS").is_some();
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let mut kinds = std::collections::BTreeSet::new();
        let mut prev = GENESIS_HASH.to_string();
        let mut index = String::from("# n\tevent\tprev_hash\thash = sha256(prev_hash || canonical_json)\n");
        for (n, (name, e)) in events().iter().enumerate() {
            kinds.insert(e.kind());
            let json = e.canonical_json();
            // The bytes survive the store's columns and serde's way back.
            assert_eq!(through_columns(e).canonical_json(), json, "{name}: columns round trip");
            let parsed: Event = serde_json::from_str(&json).unwrap();
            assert_eq!(&parsed, e, "{name}: parses back");
            let file = dir.join(format!("{:02}-{name}.json", n + 1));
            if bless {
                std::fs::write(&file, &json).unwrap();
            }
            let committed = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e} (HUIQI_BLESS=1 writes it)", file.display()));
            assert_eq!(json, committed, "{name}: canonical bytes differ from {}", file.display());
            // A stored chain holding the committed bytes still verifies.
            assert_eq!(
                chain_hash(&prev, &through_columns(&parsed).canonical_json()),
                chain_hash(&prev, &committed)
            );
            let hash = chain_hash(&prev, &committed);
            index.push_str(&format!("{:02}\t{name}\t{prev}\t{hash}\n", n + 1));
            prev = hash;
        }
        let chain = dir.join("chain.tsv");
        if bless {
            std::fs::write(&chain, &index).unwrap();
        }
        assert_eq!(
            index,
            std::fs::read_to_string(&chain).unwrap(),
            "the hashes differ from {}",
            chain.display()
        );
        let all: std::collections::BTreeSet<ActionKind> =
            handling::ALL_ACTIONS.into_iter().chain(handling::NOT_COMMANDS).collect();
        assert_eq!(kinds, all, "a fixture for every kind of action");
    }
}
