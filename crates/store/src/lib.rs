//! The storage layer's backend-neutral half: the [`Store`] trait every backend implements,
//! the records it passes, the one [`StoreError`], the migration runner's logic
//! ([`migrate`]), the import's checking and planning ([`import`]), the column encodings
//! ([`codec`]) and the SQL texts both dialects accept ([`sql`]).
//!
//! What it leaves out: connections, drivers and DDL. `store-sqlite` and `store-pg` each
//! hold their own `migrations/` and the few statements whose dialects differ. Nothing here
//! reads the clock: every write takes an [`Actor`] with the time.
//!
//! Later capabilities (problems and their events, policies and match runs, disbursements)
//! add their own tables by new migration files in both backends and their own traits (or
//! methods) in the same pattern: shared logic and SQL here, the driver work in the backends,
//! tests in `tests/repository.rs` run on both.

pub mod attachments;
pub mod codec;
pub mod documents;
pub mod error;
pub mod import;
pub mod matches;
pub mod migrate;
pub mod model;
pub mod problems;
pub mod scan;
pub mod sessions;
pub mod sql;

pub use error::{ImportProblem, Result, StoreError};
pub use migrate::{AppliedMigration, Migration};
pub use model::{
    Actor, ChangeRecord, EnterpriseFilter, EnterpriseHead, EnterpriseSummary, EnterpriseView, ImportBatch,
    ImportFormat, ImportOutcome, ImportRequest, LoginState, MigrationReport, NewUser, Page, Role,
    SnapshotRow, User, china_offset, parse_role,
};

use async_trait::async_trait;
use enterprise::{Category, Department, FieldChange, ThreeLinks, UnifiedCreditCode};

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}

/// A repository of the zone's data. Object safe: the application holds an
/// `Arc<dyn Store>` chosen by the database URL.
///
/// Every write is one transaction: it lands whole or not at all, and when it returns `Ok` it
/// is durable.
#[async_trait]
pub trait Store:
    problems::ProblemStore
    + matches::MatchStore
    + scan::ScanStore
    + sessions::SessionStore
    + attachments::AttachmentStore
    + documents::DocumentStore
    + Send
    + Sync
{
    /// `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;

    /// Applies the pending migrations, each in its own transaction. Idempotent.
    async fn migrate(&self) -> Result<MigrationReport>;

    /// Seeds departments and the routing table from [`enterprise::Routing::seed`] if the
    /// database has no department yet; returns whether it seeded. After the first start the
    /// database copy is authoritative.
    async fn seed_reference_data(&self) -> Result<bool>;

    /// All departments, by code.
    async fn departments(&self) -> Result<Vec<Department>>;

    /// Adds a department; [`StoreError::DepartmentExists`] if the code is taken.
    async fn add_department(&self, department: &Department, actor: &Actor) -> Result<()>;

    /// Renames a department (name, English name, note) by its code; the code never changes.
    async fn update_department(&self, department: &Department, actor: &Actor) -> Result<()>;

    /// The problem categories in their order, each with its departments, lead first.
    async fn categories_with_routing(&self) -> Result<Vec<Category>>;

    /// Replaces a category's departments (code or Chinese name each; the first leads).
    /// Recorded in `reference_changes`. Returns the category as stored.
    async fn set_category_departments(
        &self,
        category: &str,
        departments: &[String],
        actor: &Actor,
    ) -> Result<Category>;

    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user_by_username(&self, username: &str) -> Result<Option<User>>;
    /// All users, by username.
    async fn list_users(&self) -> Result<Vec<User>>;
    /// Sets a user's password hash and, in the same transaction, ends every session and token
    /// of the user ([`sessions`]).
    async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<()>;
    /// Records the sign-in bookkeeping (failed attempts, lock-out) decided by the web layer.
    async fn set_login_state(&self, username: &str, state: LoginState) -> Result<()>;
    /// Activates or deactivates a user; deactivating also ends every session and token of the
    /// user in the same transaction.
    async fn set_user_active(&self, username: &str, active: bool) -> Result<()>;

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
        actor: &Actor,
    ) -> Result<Vec<FieldChange>>;

    /// Applies an import in one transaction: every record is created or updated with its
    /// changes recorded, or (on any error, or for a dry run) nothing is written.
    async fn apply_import(&self, request: ImportRequest) -> Result<ImportOutcome>;

    /// The latest import batches, newest first.
    async fn import_batches(&self, limit: u64) -> Result<Vec<ImportBatch>>;

    /// Up to `limit` enterprises with id greater than `after_id`, in id order, each with its
    /// facts: the bulk reader of the rules engine's snapshot (see [`for_each_enterprise`]).
    async fn enterprise_batch(&self, after_id: i64, limit: u64) -> Result<Vec<SnapshotRow>>;
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

/// Checks a new user's fields that need no database.
pub fn check_new_user(u: &NewUser) -> Result<()> {
    model::check_username(&u.username)?;
    if u.role == Role::Enterprise && u.enterprise.is_none() {
        return Err(StoreError::RoleNeedsEnterprise {
            username: u.username.clone(),
            role: u.role.as_str().into(),
        });
    }
    if u.role == Role::Department && u.department.as_deref().is_none_or(|d| d.trim().is_empty()) {
        return Err(StoreError::RoleNeedsDepartment {
            username: u.username.clone(),
            role: u.role.as_str().into(),
        });
    }
    Ok(())
}

/// Checks a routing list: at least one department, none twice.
pub fn check_routing(category: &str, departments: &[String]) -> Result<()> {
    if departments.is_empty() {
        return Err(StoreError::EmptyRouting { code: category.to_string() });
    }
    for (i, d) in departments.iter().enumerate() {
        if departments[..i].contains(d) {
            return Err(StoreError::DuplicateRouting { code: category.to_string(), department: d.clone() });
        }
    }
    Ok(())
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
    use super::*;

    #[test]
    fn roles_parse_in_both_languages() {
        for r in Role::USERS {
            assert_eq!(parse_role(r.as_str()), Ok(r));
            assert_eq!(parse_role(r.label_zh()), Ok(r));
        }
        assert_eq!(parse_role("boss"), Err(StoreError::UnknownRole { role: "boss".into() }));
    }

    #[test]
    fn routing_needs_a_lead_and_no_repeats() {
        assert!(check_routing("tax", &["tax_bureau".into()]).is_ok());
        assert!(matches!(check_routing("tax", &[]), Err(StoreError::EmptyRouting { .. })));
        assert!(matches!(
            check_routing("tax", &["a".into(), "b".into(), "a".into()]),
            Err(StoreError::DuplicateRouting { .. })
        ));
    }

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
