//! The records the [`Store`](crate::Store) trait passes in and out.

use crate::error::StoreError;
use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::{Enterprise, EnterpriseRecord, FactRecord, Facts, ThreeLinks, UnifiedCreditCode};
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
pub struct Actor {
    pub username: String,
    pub at: DateTime<FixedOffset>,
}

impl Actor {
    pub fn new(username: impl Into<String>, at: DateTime<FixedOffset>) -> Actor {
        Actor { username: username.into(), at }
    }

    /// The time in China Standard Time, as stored.
    pub fn at_china(&self) -> DateTime<FixedOffset> {
        self.at.with_timezone(&china_offset())
    }
}

pub use handling::Role;

/// A user role from its code or Chinese label ([`Role::parse_user_role`]); `system` is not one.
pub fn parse_role(s: &str) -> Result<Role, StoreError> {
    Role::parse_user_role(s).ok_or_else(|| StoreError::UnknownRole { role: s.trim().to_string() })
}

/// A user to create. The password hash (argon2 PHC string) is computed by the caller: the
/// store never sees a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub password_hash: String,
    /// Required for [`Role::Enterprise`].
    pub enterprise: Option<UnifiedCreditCode>,
    /// Department code or Chinese name; required for [`Role::Department`].
    pub department: Option<String>,
    pub display_name: String,
    pub at: DateTime<FixedOffset>,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub enterprise: Option<UnifiedCreditCode>,
    /// Department code.
    pub department: Option<String>,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<FixedOffset>,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<FixedOffset>>,
}

/// Checks a username: 1 to 64 characters, no whitespace or control characters.
pub fn check_username(username: &str) -> Result<(), StoreError> {
    let n = username.chars().count();
    if n == 0 || n > 64 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(StoreError::InvalidUsername { username: username.to_string() });
    }
    Ok(())
}

/// One enterprise with everything the zone holds about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseView {
    pub id: i64,
    pub enterprise: Enterprise,
    /// In (fact, year) order; scalar facts have `year: None`.
    pub facts: Vec<FactRecord>,
    pub links: ThreeLinks,
    /// Derived from the two registrations (a generated column), never stored as input.
    pub assistance_target: bool,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl EnterpriseView {
    /// The facts the rules read: see [`enterprise_facts`].
    pub fn facts(&self) -> Facts {
        enterprise_facts(&self.enterprise, &self.facts)
    }
}

/// What most requests need of an enterprise: its row id, its three links (authorisation reads
/// them) and its version, without loading its facts ([`crate::Store::enterprise_head`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseHead {
    pub id: i64,
    pub links: ThreeLinks,
    /// How many changes are recorded for the enterprise. Every change of its registry fields,
    /// facts or links appends a change row (an invariant of every write), and rows are never
    /// deleted, so an unchanged version means unchanged facts: a cache of anything derived from
    /// the facts (the decisions) is valid while the version is. A fact whose value stays and
    /// only its source or date is refreshed does not move it (the rules read values only).
    pub version: i64,
}

/// The facts the rules read for an enterprise: its registry attributes
/// ([`Enterprise::scalar_facts`]) plus every recorded fact, per-year facts under their year.
/// The one conversion from stored records to [`Facts`]: the web, `policy explain`, match
/// runs and simulations all use it, so they decide over the same facts.
pub fn enterprise_facts(e: &Enterprise, records: &[FactRecord]) -> Facts {
    let mut facts = Facts::default();
    e.scalar_facts(&mut facts);
    for f in records {
        match f.year {
            Some(y) => facts.set_year(&f.fact, y, f.value.clone()),
            None => facts.set(&f.fact, f.value.clone()),
        }
    }
    facts
}

/// A row of an enterprise list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnterpriseSummary {
    pub id: i64,
    pub uscc: UnifiedCreditCode,
    pub name: String,
    pub assistance_target: bool,
    pub industry_code: Option<String>,
    pub tags: Vec<String>,
}

/// Filters of an enterprise list; all given filters must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseFilter {
    /// A substring of the name or of the credit code.
    pub query: Option<String>,
    pub assistance_target: Option<bool>,
    /// An exact tag, e.g. 专精特新.
    pub tag: Option<String>,
    /// A GB/T 4754 code prefix: `C`, `C35`, `35` (the section is inferred), `C3511`.
    pub industry: Option<String>,
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

/// One recorded change of an enterprise (who, when, what, old → new).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRecord {
    pub id: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    /// `*` (created), a registry field (`name`, `tags`, …), a fact (`employees[2021]`,
    /// `rating` for a scalar fact) or a link (`links.leader`, `links.department`, `links.cadre`).
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The import batch that made the change, if any.
    pub batch_id: Option<i64>,
}

/// The format of an imported file, as recorded in the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    Csv,
    Xlsx,
    JsonLines,
    /// Generated data (the demo zone) or a program's own records.
    Generated,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Csv => "csv",
            ImportFormat::Xlsx => "xlsx",
            ImportFormat::JsonLines => "jsonl",
            ImportFormat::Generated => "generated",
        }
    }

    pub fn parse(s: &str) -> Option<ImportFormat> {
        Some(match s {
            "csv" => ImportFormat::Csv,
            "xlsx" => ImportFormat::Xlsx,
            "jsonl" => ImportFormat::JsonLines,
            "generated" => ImportFormat::Generated,
            _ => return None,
        })
    }
}

/// An import to apply, all or nothing.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub actor: Actor,
    pub file_name: String,
    pub format: ImportFormat,
    pub records: Vec<EnterpriseRecord>,
    /// Compute the outcome, then roll back: nothing is written, no batch is recorded.
    pub dry_run: bool,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    /// The recorded batch; `None` for a dry run.
    pub batch_id: Option<i64>,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Change records written (one per created enterprise, one per changed field or fact).
    pub changes: u64,
}

/// A recorded import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportBatch {
    pub id: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub file_name: String,
    pub format: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// One enterprise in the bulk reader's order (by id), for the rules engine's columnar
/// snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRow {
    pub id: i64,
    pub enterprise: Enterprise,
    pub facts: Vec<FactRecord>,
}

impl SnapshotRow {
    /// The facts the rules read: see [`enterprise_facts`].
    pub fn facts(&self) -> Facts {
        enterprise_facts(&self.enterprise, &self.facts)
    }
}

/// A user's sign-in bookkeeping, set by the web layer after each attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginState {
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<FixedOffset>>,
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
