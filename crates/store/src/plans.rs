//! 一企一对策 plans (三.7) in the store (migration 0035; issue 15): a plan for an enterprise in
//! one of the zone's cultivation programmes, made from an expert diagnosis, with its measures
//! (owner department, deadline, status, progress notes) and quarterly reviews. What a change
//! may do is decided by `services::steps` in the use case (`app::plans`), which writes it back
//! with [`PlanStore::save_plan`] naming the plan version it read: a write against an older
//! version is refused ([`StoreError::DocumentConflict`] with kind `plan`). Each write is one
//! transaction with its audit records in `reference_changes` (entity `plan`, key the plan id).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
pub use services::steps::{Measure, MeasureStatus, Programme};

use crate::{Result, Stamp, StoreError};

/// The audit entity of plans, their measures and reviews.
pub const PLAN_ENTITY: &str = "plan";

/// Length limits, in characters (or counts).
pub const MAX_EXPERTS: usize = 200;
pub const MAX_FINDINGS: usize = 5_000;
pub const MAX_MEASURE_TITLE: usize = 200;
/// One progress note.
pub const MAX_NOTE: usize = 500;
/// All of a measure's progress notes together.
pub const MAX_NOTES: usize = 5_000;
pub const MAX_CONCLUSION: usize = 2_000;
/// Measures in one plan.
pub const MAX_MEASURES: usize = 50;

/// A measure as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMeasure {
    pub title: String,
    /// The owner department's code.
    pub owner_department: String,
    pub deadline: NaiveDate,
}

/// A plan as made from a diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPlan {
    pub enterprise_id: i64,
    pub programme: Programme,
    pub diagnosed_on: NaiveDate,
    pub experts: String,
    pub findings: String,
    /// The day the plan starts (its quarterly reviews follow from it).
    pub started_on: NaiveDate,
    pub measures: Vec<NewMeasure>,
}

/// A stored measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureRecord {
    pub id: i64,
    pub plan_id: i64,
    pub seq: i64,
    pub title: String,
    pub owner_department: String,
    pub deadline: NaiveDate,
    pub status: MeasureStatus,
    /// Progress notes, one a line (`2026-12-06 text`), oldest first.
    pub notes: String,
    pub done_on: Option<NaiveDate>,
    pub updated_by: String,
    pub updated_at: DateTime<FixedOffset>,
}

impl MeasureRecord {
    /// The domain's view (for `behind_schedule`).
    pub fn measure(&self) -> Measure {
        Measure {
            id: self.id,
            owner_department: self.owner_department.clone(),
            deadline: self.deadline,
            status: self.status,
        }
    }
}

/// A quarterly review with its conclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewRecord {
    pub reviewed_on: NaiveDate,
    pub conclusion: String,
    pub reviewed_by: String,
    pub recorded_at: DateTime<FixedOffset>,
}

/// A stored plan with its measures (in order) and reviews (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRecord {
    pub id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub programme: Programme,
    pub diagnosed_on: NaiveDate,
    pub experts: String,
    pub findings: String,
    pub started_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<FixedOffset>,
    pub measures: Vec<MeasureRecord>,
    pub reviews: Vec<ReviewRecord>,
}

/// Which plans to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFilter {
    pub enterprise_id: Option<i64>,
    /// Plans with a measure this department owns.
    pub department: Option<String>,
    pub include_closed: bool,
}

/// One change to a plan, as the use case decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum PlanWrite {
    AddMeasure(NewMeasure),
    /// Measure `id` moves from `from` (refused if it is not there any more) to `to`, with
    /// all its notes (the new one appended by the use case).
    Measure {
        id: i64,
        from: MeasureStatus,
        to: MeasureStatus,
        notes: String,
        done_on: Option<NaiveDate>,
    },
    Review {
        on: NaiveDate,
        conclusion: String,
    },
    Close {
        on: NaiveDate,
    },
}

impl PlanWrite {
    /// The audit record's field, old and new values.
    pub fn audit(&self) -> (String, Option<String>, Option<String>) {
        match self {
            PlanWrite::AddMeasure(m) => (
                "measure".into(),
                None,
                Some(format!("{} / {} / {}", m.title, m.owner_department, m.deadline)),
            ),
            PlanWrite::Measure { id, from, to, .. } => {
                (format!("measure:{id}"), Some(from.as_str().to_string()), Some(to.as_str().to_string()))
            }
            PlanWrite::Review { on, conclusion } => (
                "review".into(),
                None,
                Some(format!("{on} {}", conclusion.chars().take(100).collect::<String>())),
            ),
            PlanWrite::Close { on } => ("closed".into(), None, Some(on.to_string())),
        }
    }
}

/// The conflict error of a write against an older version.
pub fn conflict(id: i64, expected: i64, current: i64) -> StoreError {
    StoreError::DocumentConflict {
        kind: "plan".into(),
        name: id.to_string(),
        expected: expected.to_string(),
        current: current.to_string(),
    }
}

/// Texts both dialects accept (see `crate::sql` for the placeholder rule).
pub mod sql {
    pub const PLAN_COLUMNS: &str = "p.id, p.enterprise_id, n.uscc, n.name, p.programme, p.diagnosed_on, p.experts, \
        p.findings, p.started_on, p.closed_on, p.version, p.created_by, p.created_at";
    pub const FROM_PLANS: &str = "FROM plans p JOIN enterprises n ON n.id = p.enterprise_id";
    pub const MEASURES: &str = "SELECT id, plan_id, seq, title, owner_department, deadline, status, notes, done_on, \
        updated_by, updated_at FROM plan_measures WHERE plan_id = $1 ORDER BY seq";
    pub const REVIEWS: &str = "SELECT reviewed_on, conclusion, reviewed_by, recorded_at FROM plan_reviews \
        WHERE plan_id = $1 ORDER BY reviewed_on, id";
    pub const INSERT_PLAN: &str = "INSERT INTO plans (enterprise_id, programme, diagnosed_on, experts, findings, \
        started_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    pub const INSERT_MEASURE: &str = "INSERT INTO plan_measures (plan_id, seq, title, owner_department, deadline, \
        status, notes, updated_by, updated_at) VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM plan_measures \
        WHERE plan_id = $1), $2, $3, $4, 'planned', '', $5, $6)";
    pub const SET_MEASURE: &str = "UPDATE plan_measures SET status = $1, notes = $2, done_on = $3, updated_by = $4, \
        updated_at = $5 WHERE id = $6 AND plan_id = $7 AND status = $8";
    pub const INSERT_REVIEW: &str = "INSERT INTO plan_reviews (plan_id, reviewed_on, conclusion, reviewed_by, \
        recorded_at) VALUES ($1, $2, $3, $4, $5)";
    pub const CLOSE: &str = "UPDATE plans SET closed_on = $1 WHERE id = $2 AND closed_on IS NULL";
    pub const BUMP_VERSION: &str = "UPDATE plans SET version = version + 1 WHERE id = $1 AND version = $2";
    pub const VERSION: &str = "SELECT version FROM plans WHERE id = $1";
}

/// 一企一对策 plans.
#[async_trait]
pub trait PlanStore: Send + Sync {
    /// Stores a new plan with its measures (checked by the use case); its id.
    async fn create_plan(&self, plan: &NewPlan, stamp: &Stamp) -> Result<i64>;

    async fn plan(&self, id: i64) -> Result<Option<PlanRecord>>;

    /// Plans with their measures and reviews, newest first.
    async fn plans(&self, filter: &PlanFilter) -> Result<Vec<PlanRecord>>;

    /// Writes a plan's changes in one transaction if it is still at `expected`; the new
    /// version.
    async fn save_plan(&self, plan: i64, expected: i64, writes: &[PlanWrite], stamp: &Stamp) -> Result<i64>;
}
