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
    /// Problems raised by this user (the submit event's actor: an enterprise user, or a cadre,
    /// officer or leader taking one in for an enterprise, 代录).
    pub raised_by: Option<String>,
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

mod query;
pub use query::*;

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
mod tests;

#[cfg(test)]
mod audit_golden;
