//! Supply chains (三.11) and logistics (三.12) in the store (migration 0037; issue 15):
//! enterprises' chain positions, supply demands with their introductions (对接) and
//! outcomes, and key enterprises' logistics profiles. Which supplier matches a demand is
//! decided in the use case (`app::chains`, with `services::chains`); the store keeps what
//! was decided. A demand's writes name the version read (an older version:
//! [`StoreError::DocumentConflict`] with kind `supply_demand`). Each write is one transaction
//! with its audit record in `reference_changes` (entities `chain_position`,
//! `supply_demand`, `logistics`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
pub use services::chains::{DemandState, LogisticsMode, Outcome, Position};

use crate::{Result, Stamp, StoreError};

/// The audit entities.
pub const POSITION_ENTITY: &str = "chain_position";
pub const DEMAND_ENTITY: &str = "supply_demand";
pub const LOGISTICS_ENTITY: &str = "logistics";

/// Length limits, in characters.
pub const MAX_CHAIN: usize = 50;
pub const MAX_SUPPLIES: usize = 500;
pub const MAX_DESCRIPTION: usize = 500;
pub const MAX_QUANTITY: usize = 100;
pub const MAX_NOTE: usize = 500;
pub const MAX_ROUTES: usize = 500;

/// An enterprise's place on a chain as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPosition {
    pub enterprise_id: i64,
    /// The chain's name, e.g. 工程机械.
    pub chain: String,
    pub position: Position,
    /// The products or services it supplies on the chain.
    pub supplies: String,
}

/// A stored chain position with its enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionRecord {
    pub id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    /// The enterprise's registry tags (`;`-separated as stored).
    pub enterprise_tags: String,
    #[serde(flatten)]
    pub position: NewPosition,
    pub recorded_by: String,
    pub recorded_at: DateTime<FixedOffset>,
}

/// A supply demand as posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSupplyDemand {
    pub enterprise_id: i64,
    pub description: String,
    /// The quantity in the enterprise's words (200 套, 每月 5 吨).
    pub quantity: String,
    pub needed_by: NaiveDate,
    pub raised_on: NaiveDate,
    /// The day by which an officer is to introduce a first supplier (zone calendar).
    pub introduction_due: NaiveDate,
}

/// One supplier introduced to a demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntroductionRecord {
    pub id: i64,
    pub supplier_id: i64,
    pub supplier_uscc: String,
    pub supplier_name: String,
    pub introduced_on: NaiveDate,
    pub note: String,
    pub outcome: Outcome,
    pub outcome_note: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<FixedOffset>,
}

/// A stored demand with its introductions in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplyDemandRecord {
    pub id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    #[serde(flatten)]
    pub demand: NewSupplyDemand,
    pub state: DemandState,
    pub closed_on: Option<NaiveDate>,
    pub close_reason: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<FixedOffset>,
    pub introductions: Vec<IntroductionRecord>,
}

/// Which demands to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemandFilter {
    pub enterprise_id: Option<i64>,
    pub state: Option<DemandState>,
}

/// A key enterprise's logistics as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewLogistics {
    pub enterprise_id: i64,
    pub main_mode: LogisticsMode,
    /// Other modes it also uses.
    pub other_modes: Vec<LogisticsMode>,
    /// Main routes, ports, stations (≤ [`MAX_ROUTES`] characters).
    pub routes: String,
    /// The officer (username) who watches it (物流保通保畅联络员).
    pub watcher: String,
}

/// A stored logistics profile with its enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogisticsRecord {
    pub uscc: String,
    pub enterprise_name: String,
    #[serde(flatten)]
    pub logistics: NewLogistics,
    pub recorded_by: String,
    pub recorded_at: DateTime<FixedOffset>,
}

/// The conflict error of a demand write against an older version.
pub fn conflict(id: i64, expected: i64, current: i64) -> StoreError {
    StoreError::DocumentConflict {
        kind: DEMAND_ENTITY.into(),
        name: id.to_string(),
        expected: expected.to_string(),
        current: current.to_string(),
    }
}

/// Modes as stored: `rail,water`.
pub fn modes_text(modes: &[LogisticsMode]) -> String {
    modes.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
}

/// Modes read back; an unknown one is a backend error.
pub fn parse_modes(s: &str) -> Result<Vec<LogisticsMode>> {
    s.split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            LogisticsMode::parse(t)
                .ok_or_else(|| StoreError::Backend(format!("unknown logistics mode {t:?}")))
        })
        .collect()
}

/// Texts both dialects accept (see `crate::sql` for the placeholder rule).
pub mod sql {
    pub const POSITION_COLUMNS: &str = "p.id, p.enterprise_id, n.uscc, n.name, n.tags, p.chain, p.position, \
        p.supplies, p.recorded_by, p.recorded_at";
    pub const FROM_POSITIONS: &str = "FROM chain_positions p JOIN enterprises n ON n.id = p.enterprise_id";
    pub const OLD_POSITION: &str =
        "SELECT id, position, supplies FROM chain_positions WHERE enterprise_id = $1 AND chain = $2";
    pub const INSERT_POSITION: &str = "INSERT INTO chain_positions (enterprise_id, chain, position, supplies, \
        recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub const UPDATE_POSITION: &str = "UPDATE chain_positions SET position = $1, supplies = $2, recorded_by = $3, \
        recorded_at = $4 WHERE id = $5";
    pub const DELETE_POSITION: &str = "DELETE FROM chain_positions WHERE id = $1";

    pub const DEMAND_COLUMNS: &str = "d.id, d.enterprise_id, n.uscc, n.name, d.description, d.quantity, \
        d.needed_by, d.raised_on, d.introduction_due, d.state, d.closed_on, d.close_reason, d.version, \
        d.created_by, d.created_at";
    pub const FROM_DEMANDS: &str = "FROM supply_demands d JOIN enterprises n ON n.id = d.enterprise_id";
    pub const INTRODUCTIONS: &str = "SELECT i.id, i.supplier_id, n.uscc, n.name, i.introduced_on, i.note, \
        i.outcome, i.outcome_note, i.recorded_by, i.recorded_at FROM supply_introductions i \
        JOIN enterprises n ON n.id = i.supplier_id WHERE i.demand_id = $1 ORDER BY i.id";
    pub const INSERT_DEMAND: &str = "INSERT INTO supply_demands (enterprise_id, description, quantity, needed_by, \
        raised_on, introduction_due, state, close_reason, created_by, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, 'open', '', $7, $8) RETURNING id";
    pub const BUMP: &str = "UPDATE supply_demands SET version = version + 1 WHERE id = $1 AND version = $2 \
        AND state <> 'closed'";
    pub const VERSION: &str = "SELECT version FROM supply_demands WHERE id = $1";
    pub const INTRODUCE: &str = "INSERT INTO supply_introductions (demand_id, supplier_id, introduced_on, note, \
        outcome, outcome_note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, 'pending', '', $5, $6)";
    pub const SET_INTRODUCED: &str = "UPDATE supply_demands SET state = 'introduced' WHERE id = $1";
    pub const OUTCOME: &str = "UPDATE supply_introductions SET outcome = $1, outcome_note = $2, recorded_by = $3, \
        recorded_at = $4 WHERE id = $5 AND demand_id = $6";
    pub const CLOSE: &str = "UPDATE supply_demands SET state = 'closed', closed_on = $1, close_reason = $2 \
        WHERE id = $3";

    pub const LOGISTICS_COLUMNS: &str = "l.enterprise_id, n.uscc, n.name, l.main_mode, l.other_modes, l.routes, \
        l.watcher, l.recorded_by, l.recorded_at";
    pub const FROM_LOGISTICS: &str = "FROM logistics_profiles l JOIN enterprises n ON n.id = l.enterprise_id";
    pub const OLD_LOGISTICS: &str =
        "SELECT main_mode, other_modes, routes, watcher FROM logistics_profiles WHERE enterprise_id = $1";
    pub const DELETE_LOGISTICS: &str = "DELETE FROM logistics_profiles WHERE enterprise_id = $1";
    pub const INSERT_LOGISTICS: &str = "INSERT INTO logistics_profiles (enterprise_id, main_mode, other_modes, \
        routes, watcher, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
}

/// A change of a demand, written at the version read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DemandWrite {
    /// A supplier introduced on a day, with a note.
    Introduce { supplier_id: i64, on: NaiveDate, note: String },
    /// The outcome of an introduction.
    Outcome { introduction_id: i64, outcome: Outcome, note: String },
    /// Closed (or withdrawn) with a reason.
    Close { on: NaiveDate, reason: String },
}

impl DemandWrite {
    /// The audit record's field, old and new values.
    pub fn audit(&self) -> (String, Option<String>, Option<String>) {
        match self {
            DemandWrite::Introduce { supplier_id, on, .. } => {
                ("introduced".into(), None, Some(format!("enterprise {supplier_id} {on}")))
            }
            DemandWrite::Outcome { introduction_id, outcome, .. } => {
                (format!("outcome[{introduction_id}]"), None, Some(outcome.as_str().into()))
            }
            DemandWrite::Close { on, reason } => ("closed".into(), None, Some(format!("{on} {reason}"))),
        }
    }
}

/// Chain positions, supply demands, logistics profiles.
#[async_trait]
pub trait ChainStore: Send + Sync {
    /// Records (or replaces) an enterprise's position on a chain; its id.
    async fn save_position(&self, p: &NewPosition, stamp: &Stamp) -> Result<i64>;

    /// Removes an enterprise's position on a chain; whether there was one.
    async fn delete_position(&self, enterprise_id: i64, chain: &str, stamp: &Stamp) -> Result<bool>;

    /// Positions (one enterprise's, or all), by chain then enterprise.
    async fn chain_positions(&self, enterprise_id: Option<i64>) -> Result<Vec<PositionRecord>>;

    /// Posts a demand (state `open`); its id.
    async fn create_supply_demand(&self, d: &NewSupplyDemand, stamp: &Stamp) -> Result<i64>;

    async fn supply_demand(&self, id: i64) -> Result<Option<SupplyDemandRecord>>;

    /// Demands with their introductions, newest first.
    async fn supply_demands(&self, filter: &DemandFilter) -> Result<Vec<SupplyDemandRecord>>;

    /// Applies a change if the demand is still at `expected` and not closed; the new version.
    async fn write_supply_demand(
        &self,
        id: i64,
        expected: i64,
        w: &DemandWrite,
        stamp: &Stamp,
    ) -> Result<i64>;

    /// Records (or replaces) an enterprise's logistics profile.
    async fn save_logistics(&self, l: &NewLogistics, stamp: &Stamp) -> Result<()> {
        self.save_logistics_profiles(std::slice::from_ref(l), stamp).await
    }

    /// Records (or replaces) several enterprises' profiles in one transaction, each with its
    /// audit record: all or nothing (an import).
    async fn save_logistics_profiles(&self, profiles: &[NewLogistics], stamp: &Stamp) -> Result<()>;

    /// Logistics profiles (one enterprise's, or all), by enterprise name.
    async fn logistics_profiles(&self, enterprise_id: Option<i64>) -> Result<Vec<LogisticsRecord>>;
}
