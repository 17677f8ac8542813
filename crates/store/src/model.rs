//! The records the [`Store`](crate::Store) trait passes in and out.

use crate::error::StoreError;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// China Standard Time, +08:00 (checked at compile time).
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("+08:00 is a valid offset"),
};

/// China Standard Time, +08:00: every timestamp the store writes is in this offset.
pub fn china_offset() -> FixedOffset {
    CHINA
}

/// Who does a write, and when. The store never reads the clock: callers pass the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub username: String,
    pub at: DateTime<FixedOffset>,
}

impl Stamp {
    pub fn new(username: impl Into<String>, at: DateTime<FixedOffset>) -> Stamp {
        Stamp { username: username.into(), at }
    }

    /// The time in China Standard Time, as stored.
    pub fn at_china(&self) -> DateTime<FixedOffset> {
        self.at.with_timezone(&china_offset())
    }
}

pub use handling::Role;

// The records of each capability live beside its trait; these keep `store::model::…` paths.
pub use crate::enterprises::{
    ChangeRecord, EnterpriseFilter, EnterpriseHead, EnterpriseSummary, EnterpriseView, ImportBatch,
    ImportFormat, ImportOutcome, ImportRequest, SnapshotRow, enterprise_facts,
};
pub use crate::users::{LoginState, NewUser, User, check_username};

/// A user role from its code or Chinese label ([`Role::parse_user_role`]); `system` is not one.
pub fn parse_role(s: &str) -> Result<Role, StoreError> {
    Role::parse_user_role(s).ok_or_else(|| StoreError::UnknownRole { role: s.trim().to_string() })
}

/// A page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Page {
    /// The most rows one page returns.
    pub const MAX_LIMIT: u64 = 1000;

    pub fn new(offset: u64, limit: u64) -> Page {
        Page { offset, limit: limit.min(Page::MAX_LIMIT) }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page { offset: 0, limit: 50 }
    }
}

/// The migrations a `migrate()` call applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationReport {
    /// `(version, name)` of each migration applied by this call, in order.
    pub applied: Vec<(u32, String)>,
    /// The schema version after the call.
    pub current: u32,
}

/// Convenience: the date part of a timestamp in China time.
pub fn china_date(at: DateTime<FixedOffset>) -> NaiveDate {
    at.with_timezone(&china_offset()).date_naive()
}
