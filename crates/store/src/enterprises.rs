//! The zone's enterprise registry as stored: enterprises with their registry attributes and
//! facts, their three links (三联: 联点领导, 联系部门, 驻企干部), the change record of every
//! field, and import batches; plus the bulk reader the rules engine's snapshot streams from.
//!
//! What it leaves out: how an import is checked and planned ([`crate::import`], shared by
//! the backends) and how a file becomes records (the `import` crate).

use crate::import::RecordChanges;
use crate::{Page, Result, Role, Stamp, Store, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::{
    Enterprise, EnterpriseRecord, FactRecord, Facts, FieldChange, ThreeLinks, UnifiedCreditCode,
};
use serde::{Deserialize, Serialize};

/// One enterprise with everything the zone holds about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseView {
    pub id: i64,
    pub enterprise: Enterprise,
    /// In (fact, year) order; scalar facts have `year: None`.
    pub facts: Vec<FactRecord>,
    pub links: ThreeLinks,
    /// 帮扶对象: [`Enterprise::assistance_target`] of `enterprise`, derived, never an input.
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
/// them) and its version, without loading its facts ([`EnterpriseStore::enterprise_head`]).
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
    /// Only the enterprises whose 联点领导 is this user.
    #[serde(default)]
    pub leader: Option<String>,
    /// Only the enterprises whose 联系部门 is this department (code).
    #[serde(default)]
    pub department: Option<String>,
    /// Only the enterprises whose 驻企干部 is this user: a cadre's own list, read by index.
    #[serde(default)]
    pub cadre: Option<String>,
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
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ImportFormat {
    Csv,
    Xlsx,
    #[strum(serialize = "jsonl")]
    JsonLines,
    /// Generated data (the demo zone) or a program's own records.
    Generated,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<ImportFormat> {
        s.parse().ok()
    }
}

/// An import to apply, all or nothing.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub actor: Stamp,
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

/// The registry: enterprises, their links and changes, imports. Object safe; every backend
/// implements it.
#[async_trait]
pub trait EnterpriseStore: Send + Sync {
    /// One enterprise with its facts and links, or `None`.
    async fn get_enterprise(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseView>>;

    /// An enterprise's id, links and version without its facts (one indexed read), or `None`.
    async fn enterprise_head(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseHead>>;

    /// A page of enterprises (by id) matching the filter, and how many match in all.
    async fn list_enterprises(
        &self,
        filter: &EnterpriseFilter,
        page: Page,
    ) -> Result<(Vec<EnterpriseSummary>, u64)>;

    async fn enterprise_count(&self) -> Result<u64>;

    /// Every recorded change of an enterprise, oldest first;
    /// [`StoreError::EnterpriseNotFound`] if there is no such enterprise.
    async fn enterprise_changes(&self, uscc: &UnifiedCreditCode) -> Result<Vec<ChangeRecord>>;

    /// Sets an enterprise's three links. The leader must be a user with role `leader`, the
    /// cadre one with role `cadre`, the department an existing department (code or name).
    /// Each changed link is recorded (`links.leader`, …); returns the changes.
    async fn set_three_links(
        &self,
        uscc: &UnifiedCreditCode,
        links: &ThreeLinks,
        actor: &Stamp,
    ) -> Result<Vec<FieldChange>>;

    /// Applies an import in one transaction: every record is created or updated with its
    /// changes recorded, or (on any error, or for a dry run) nothing is written.
    async fn apply_import(&self, request: ImportRequest) -> Result<ImportOutcome>;

    /// What an import of `records` would do, record by record, without writing anything (a
    /// read): each enterprise created, updated or unchanged, with its changes old → new,
    /// planned exactly as [`EnterpriseStore::apply_import`] plans them. The dry run's detail;
    /// the records are checked as `apply_import` checks them.
    async fn import_changes(&self, records: &[EnterpriseRecord]) -> Result<Vec<RecordChanges>>;

    /// The latest import batches, newest first.
    async fn import_batches(&self, limit: u64) -> Result<Vec<ImportBatch>>;

    /// Up to `limit` enterprises with id greater than `after_id`, in id order, each with its
    /// facts: the bulk reader of the rules engine's snapshot (see [`for_each_enterprise`]).
    async fn enterprise_batch(&self, after_id: i64, limit: u64) -> Result<Vec<SnapshotRow>>;

    /// The enterprises of `ids` (ascending) that exist, in id order, each with its facts: what
    /// a grant run explains ([`crate::sql::snapshot_in`]).
    async fn enterprise_rows(&self, ids: &[i64]) -> Result<Vec<SnapshotRow>>;
}

/// Streams every enterprise with its facts in id order, `batch` at a time, to `f`. Each batch
/// is read consistently; an import committed while streaming may be seen in later batches
/// only. Returns how many were read.
pub async fn for_each_enterprise(
    store: &dyn Store,
    batch: u64,
    mut f: impl FnMut(SnapshotRow) -> Result<()> + Send,
) -> Result<u64> {
    let mut after = 0;
    let mut n = 0;
    loop {
        let rows = store.enterprise_batch(after, batch.max(1)).await?;
        let Some(last) = rows.last() else { return Ok(n) };
        after = last.id;
        for r in rows {
            n += 1;
            f(r)?;
        }
    }
}

/// The migration that made `enterprises.assistance_target` a plain column (0009).
pub const TARGET_COLUMN_MIGRATION: u32 = 9;

/// The migrations after which the store recomputes every stored `assistance_target` from
/// the domain rule ([`target_correction`]): 0009 (the plain column) and 0016 (the rule
/// became "market entities only", issue 11).
pub const TARGET_RECOMPUTE_MIGRATIONS: [u32; 2] = [TARGET_COLUMN_MIGRATION, 16];

/// The flag an enterprise row (as [`crate::sql::TARGET_INPUTS`] reads it) must store when it
/// differs from the stored one: [`enterprise::assistance_target`] (the flag's one rule) over
/// the credit code and the two registrations, never restated in SQL.
pub fn target_correction(
    uscc: &str,
    registered_in_zone: bool,
    tax_registered_in_zone: bool,
    stored: bool,
) -> Option<bool> {
    let target = enterprise::assistance_target(uscc, registered_in_zone, tax_registered_in_zone);
    (target != stored).then_some(target)
}

/// Which link a user fills, for [`check_link_role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Leader,
    Cadre,
}

/// Checks that the user named by a link has the link's role (`actual` as stored, `None` if
/// there is no such user).
pub fn check_link_role(link: Link, username: &str, actual: Option<&str>) -> Result<()> {
    let Some(actual) = actual else {
        return Err(StoreError::UserNotFound { username: username.to_string() });
    };
    let (expected, name) = match link {
        Link::Leader => (Role::Leader, "联点领导 (leader)"),
        Link::Cadre => (Role::Cadre, "驻企干部 (cadre)"),
    };
    if actual != expected.as_str() {
        return Err(StoreError::WrongRole {
            username: username.to_string(),
            link: name.to_string(),
            expected: expected.as_str().to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// The changes between two link assignments, as `links.leader`, `links.department`,
/// `links.cadre`.
pub fn links_diff(old: &ThreeLinks, new: &ThreeLinks) -> Vec<FieldChange> {
    [
        ("links.leader", &old.leader, &new.leader),
        ("links.department", &old.department, &new.department),
        ("links.cadre", &old.cadre, &new.cadre),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(f, a, b)| FieldChange { field: f.to_string(), old: a.clone(), new: b.clone() })
    .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_recompute_corrects_only_flags_the_rule_disagrees_with() {
        let company = UnifiedCreditCode::from_parts('9', '1', "430100", "MA4L0001").unwrap();
        let association = UnifiedCreditCode::from_parts('5', '1', "430100", "MA4L0001").unwrap();
        // Before 0016 a 社会团体 in the zone was stored as a target: now it is corrected.
        assert_eq!(target_correction(association.as_str(), true, true, true), Some(false));
        assert_eq!(target_correction(association.as_str(), true, true, false), None);
        assert_eq!(target_correction(company.as_str(), true, true, true), None);
        assert_eq!(target_correction(company.as_str(), true, false, true), Some(false));
        assert_eq!(target_correction(company.as_str(), true, true, false), Some(true));
    }

    use super::*;

    #[test]
    fn links_need_the_right_role() {
        assert!(check_link_role(Link::Leader, "wang", Some("leader")).is_ok());
        assert!(matches!(
            check_link_role(Link::Cadre, "wang", Some("leader")),
            Err(StoreError::WrongRole { .. })
        ));
        assert!(matches!(check_link_role(Link::Cadre, "li", None), Err(StoreError::UserNotFound { .. })));
    }

    #[test]
    fn link_changes_name_each_link() {
        let old = ThreeLinks { leader: Some("a".into()), department: None, cadre: None };
        let new = ThreeLinks { leader: Some("a".into()), department: Some("tax_bureau".into()), cadre: None };
        let d = links_diff(&old, &new);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "links.department");
        assert!(links_diff(&new, &new).is_empty());
    }
}
