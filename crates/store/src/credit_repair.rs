//! Credit repair cases (信用修复, 三.16) in the store (migration 0035; issue 15): a case per
//! adverse record, with the steps done (in order, each with its date) and the deadline of
//! each step the enterprise takes, fixed on the zone calendar when the case is recorded.
//! Which step may come next is decided by `services::steps::RepairCase` in the use case
//! (`app::credit_repair`); [`RepairStore::advance_case`] writes it at the version read (an
//! older version: [`StoreError::DocumentConflict`] with kind `credit_repair`). Each write is
//! one transaction with its audit record in `reference_changes` (entity `credit_repair`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
pub use services::steps::{RecordKind, RepairCase, RepairStep};

use crate::{Result, Stamp, StoreError};

/// The audit entity of credit repair cases.
pub const REPAIR_ENTITY: &str = "credit_repair";

/// Length limits, in characters.
pub const MAX_SOURCE: usize = 100;
pub const MAX_CONDITIONS: usize = 2_000;
pub const MAX_REASON: usize = 500;

/// A case as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRepairCase {
    pub enterprise_id: i64,
    /// Where the record comes from (the authority and document: 市场监管局 2022 第 12 号决定).
    pub source: String,
    pub record_date: NaiveDate,
    pub kind: RecordKind,
    /// The repair conditions (修复条件).
    pub conditions: String,
    pub recorded_on: NaiveDate,
    pub training_due: NaiveDate,
    pub commitment_due: NaiveDate,
    pub application_due: NaiveDate,
}

/// One step done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    pub step: RepairStep,
    pub done_on: NaiveDate,
    /// A refusal's reason (or a note); may be empty.
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<FixedOffset>,
}

/// A stored case with its steps in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairCaseRecord {
    pub id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    #[serde(flatten)]
    pub case: NewRepairCase,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<FixedOffset>,
    pub steps: Vec<StepRecord>,
}

impl RepairCaseRecord {
    /// The domain's view: steps done and the deadlines.
    pub fn progress(&self) -> RepairCase {
        RepairCase {
            done: self.steps.iter().map(|s| (s.step, s.done_on)).collect(),
            deadlines: vec![
                (RepairStep::TrainingAttended, self.case.training_due),
                (RepairStep::CommitmentSigned, self.case.commitment_due),
                (RepairStep::ApplicationSubmitted, self.case.application_due),
            ],
        }
    }
}

/// Which cases to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairFilter {
    pub enterprise_id: Option<i64>,
    /// Only cases neither repaired nor refused.
    pub open_only: bool,
}

/// The conflict error of a write against an older version.
pub fn conflict(id: i64, expected: i64, current: i64) -> StoreError {
    StoreError::DocumentConflict {
        kind: "credit_repair".into(),
        name: id.to_string(),
        expected: expected.to_string(),
        current: current.to_string(),
    }
}

/// Texts both dialects accept (see `crate::sql` for the placeholder rule).
pub mod sql {
    pub const CASE_COLUMNS: &str = "c.id, c.enterprise_id, n.uscc, n.name, c.source, c.record_date, c.kind, \
        c.conditions, c.recorded_on, c.training_due, c.commitment_due, c.application_due, c.version, \
        c.created_by, c.created_at";
    pub const FROM_CASES: &str = "FROM credit_repair_cases c JOIN enterprises n ON n.id = c.enterprise_id";
    pub const STEPS: &str = "SELECT step, done_on, reason, recorded_by, recorded_at FROM credit_repair_steps \
        WHERE case_id = $1 ORDER BY id";
    pub const INSERT_CASE: &str = "INSERT INTO credit_repair_cases (enterprise_id, source, record_date, kind, \
        conditions, recorded_on, training_due, commitment_due, application_due, step, created_by, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'recorded', $10, $11) RETURNING id";
    pub const INSERT_STEP: &str = "INSERT INTO credit_repair_steps (case_id, step, done_on, reason, recorded_by, \
        recorded_at) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const ADVANCE: &str = "UPDATE credit_repair_cases SET step = $1, version = version + 1 \
        WHERE id = $2 AND version = $3";
    pub const VERSION: &str = "SELECT version FROM credit_repair_cases WHERE id = $1";
}

/// Credit repair cases.
#[async_trait]
pub trait RepairStore: Send + Sync {
    /// Records a case (its first step, `recorded`, on `recorded_on`); its id.
    async fn create_case(&self, case: &NewRepairCase, stamp: &Stamp) -> Result<i64>;

    async fn repair_case(&self, id: i64) -> Result<Option<RepairCaseRecord>>;

    /// Cases with their steps, newest first.
    async fn repair_cases(&self, filter: &RepairFilter) -> Result<Vec<RepairCaseRecord>>;

    /// Records `step` done on `on` (with a reason) if the case is still at `expected`; the
    /// new version.
    async fn advance_case(
        &self,
        id: i64,
        expected: i64,
        step: RepairStep,
        on: NaiveDate,
        reason: &str,
        stamp: &Stamp,
    ) -> Result<i64>;
}
