//! Utility arrears records (水电气欠费, 三.9) in the store (migration 0036; issue 15): one
//! record per (provider, the provider's record number), imported from the providers' files.
//! Whether the late-fee waiver applies is decided by `services::utilities` in the use case
//! (`app::utilities`); the store keeps the facts and the problem a violation became.
//!
//! [`UtilityStore::save_arrears`] writes a whole import in one transaction: new records and
//! updates, each update at the version the import read (an older version:
//! [`StoreError::DocumentConflict`] with kind `utility_arrears`, nothing written); a new
//! record whose key another write took meanwhile is the same conflict. Each change is audited
//! in `reference_changes` (entity `utility_arrears`, key the record id, one row per field).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
pub use services::utilities::{Arrears, UtilityKind};

use crate::{Result, Stamp, StoreError};

/// The audit entity of arrears records.
pub const ARREARS_ENTITY: &str = "utility_arrears";

/// Length limits, in characters.
pub const MAX_PROVIDER: usize = 100;
pub const MAX_RECORD_NO: usize = 64;

/// A record's facts as a provider's file gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewArrears {
    /// The supplier (国网湘潭供电公司, 湘潭市自来水公司).
    pub provider: String,
    /// The provider's own number of the record (its 户号 and period, its bill number).
    pub record_no: String,
    pub enterprise_id: i64,
    pub kind: UtilityKind,
    /// The amount owed, in yuan.
    pub amount: Decimal,
    pub arrears_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub late_fee: Option<Decimal>,
    pub late_fee_on: Option<NaiveDate>,
}

impl NewArrears {
    /// The facts the waiver depends on.
    pub fn arrears(&self) -> Arrears {
        Arrears {
            arrears_on: self.arrears_on,
            amount: self.amount,
            paid_on: self.paid_on,
            late_fee: self.late_fee,
            late_fee_on: self.late_fee_on,
        }
    }

    /// The fields that differ from `old`, as audit records (field, old, new).
    pub fn changes_from(&self, old: &NewArrears) -> Vec<(String, Option<String>, Option<String>)> {
        fn s<T: ToString>(v: &Option<T>) -> Option<String> {
            v.as_ref().map(T::to_string)
        }
        let mut out = Vec::new();
        let mut push = |f: &str, o: Option<String>, n: Option<String>| {
            if o != n {
                out.push((f.to_string(), o, n));
            }
        };
        push("enterprise_id", Some(old.enterprise_id.to_string()), Some(self.enterprise_id.to_string()));
        push("kind", Some(old.kind.as_str().into()), Some(self.kind.as_str().into()));
        push("amount", Some(old.amount.to_string()), Some(self.amount.to_string()));
        push("arrears_on", Some(old.arrears_on.to_string()), Some(self.arrears_on.to_string()));
        push("paid_on", s(&old.paid_on), s(&self.paid_on));
        push("late_fee", s(&old.late_fee), s(&self.late_fee));
        push("late_fee_on", s(&old.late_fee_on), s(&self.late_fee_on));
        out
    }
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArrearsRecord {
    pub id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    #[serde(flatten)]
    pub facts: NewArrears,
    /// The problem a violation became.
    pub problem_id: Option<i64>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<FixedOffset>,
    pub updated_by: String,
    pub updated_at: DateTime<FixedOffset>,
}

/// One write of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum ArrearsWrite {
    Insert(NewArrears),
    /// The record `id`, read at `expected`, now `facts` (the changed fields in `changes`).
    Update {
        id: i64,
        expected: i64,
        facts: NewArrears,
        changes: Vec<(String, Option<String>, Option<String>)>,
    },
}

/// Which records to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArrearsFilter {
    pub id: Option<i64>,
    pub provider: Option<String>,
    pub enterprise_id: Option<i64>,
}

/// The conflict error of a write against an older version (or a key taken meanwhile).
pub fn conflict(name: impl ToString, expected: i64, current: i64) -> StoreError {
    StoreError::DocumentConflict {
        kind: ARREARS_ENTITY.into(),
        name: name.to_string(),
        expected: expected.to_string(),
        current: current.to_string(),
    }
}

/// The audit record of a new record.
pub fn created(a: &NewArrears) -> (String, Option<String>, Option<String>) {
    (
        "created".into(),
        None,
        Some(format!("{} {} {} {} {}", a.provider, a.record_no, a.kind.as_str(), a.amount, a.arrears_on)),
    )
}

/// Texts both dialects accept (see `crate::sql` for the placeholder rule).
pub mod sql {
    pub const COLUMNS: &str = "a.id, a.enterprise_id, n.uscc, n.name, a.provider, a.record_no, a.kind, a.amount, \
        a.arrears_on, a.paid_on, a.late_fee, a.late_fee_on, a.problem_id, a.version, a.created_by, a.created_at, \
        a.updated_by, a.updated_at";
    pub const FROM: &str = "FROM utility_arrears a JOIN enterprises n ON n.id = a.enterprise_id";
    pub const ORDER: &str = "ORDER BY a.provider, a.arrears_on, a.record_no";
    pub const INSERT: &str = "INSERT INTO utility_arrears (provider, record_no, enterprise_id, kind, amount, \
        arrears_on, paid_on, late_fee, late_fee_on, created_by, created_at, updated_by, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11) \
        ON CONFLICT (provider, record_no) DO NOTHING RETURNING id";
    pub const UPDATE: &str = "UPDATE utility_arrears SET enterprise_id = $1, kind = $2, amount = $3, \
        arrears_on = $4, paid_on = $5, late_fee = $6, late_fee_on = $7, updated_by = $8, updated_at = $9, \
        version = version + 1 WHERE id = $10 AND version = $11";
    pub const LINK_PROBLEM: &str = "UPDATE utility_arrears SET problem_id = $1, updated_by = $2, updated_at = $3, \
        version = version + 1 WHERE id = $4 AND problem_id IS NULL";
    pub const VERSION: &str = "SELECT version FROM utility_arrears WHERE id = $1";
}

/// Utility arrears records.
#[async_trait]
pub trait UtilityStore: Send + Sync {
    /// Writes an import's records in one transaction; the ids, in the order of `writes`.
    async fn save_arrears(&self, writes: &[ArrearsWrite], stamp: &Stamp) -> Result<Vec<i64>>;

    /// Records, by provider, arrears date and record number.
    async fn arrears(&self, filter: &ArrearsFilter) -> Result<Vec<ArrearsRecord>>;

    /// Links the record to the problem its violation became, once: `false` (nothing written)
    /// when it already has one.
    async fn link_arrears_problem(&self, id: i64, problem_id: i64, stamp: &Stamp) -> Result<bool>;
}
