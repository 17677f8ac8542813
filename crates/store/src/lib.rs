//! The storage layer's backend-neutral half: the [`Store`] trait every backend implements,
//! the records it passes, the one [`StoreError`], the migration runner's logic
//! ([`migrate`]), the import's checking and planning ([`import`]), the column encodings
//! ([`codec`]) and the SQL texts both dialects accept ([`sql`]).
//!
//! What it leaves out: connections, drivers and DDL. `store-sqlite` and `store-pg` each
//! hold their own `migrations/` and the few statements whose dialects differ. Nothing here
//! reads the clock: every write takes an [`Stamp`] with the time.
//!
//! Later capabilities (problems and their events, policies and match runs, disbursements)
//! add their own tables by new migration files in both backends and their own traits (or
//! methods) in the same pattern: shared logic and SQL here, the driver work in the backends,
//! tests in `tests/repository.rs` run on both.

pub mod accounts;
pub mod attachments;
pub mod calendar;
pub mod categories;
pub mod chains;
pub mod codec;
pub mod content;
pub mod credit_repair;
pub mod documents;
pub mod drafts;
pub mod enterprises;
pub mod error;
pub mod events;
pub mod financing;
pub mod follow_ups;
pub mod grant_confirmations;
pub mod grants;
pub mod import;
pub mod jobs;
pub mod legal;
pub mod matches;
pub mod migrate;
pub mod model;
pub mod notifications;
pub mod plans;
pub mod problems;
pub mod push;
pub mod readiness;
pub mod reference;
pub mod request_state;
pub mod scan;
pub mod sessions;
pub mod signals;
pub mod sql;
pub mod users;
pub mod utilities;

pub use error::{ImportProblem, Result, StoreError};
pub use migrate::{AppliedMigration, Migration};
pub use model::{
    ChangeRecord, EnterpriseFilter, EnterpriseHead, EnterpriseSummary, EnterpriseView, ImportBatch,
    ImportFormat, ImportOutcome, ImportRequest, LoginState, MigrationReport, NewUser, Page, Role,
    SnapshotRow, Stamp, User, china_offset, parse_role,
};

pub use enterprises::{EnterpriseStore, Link, check_link_role, for_each_enterprise, links_diff};
pub use reference::{ReferenceStore, check_routing};
pub use users::{UserStore, check_new_user};

use async_trait::async_trait;

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}

/// A repository of the zone's data. Object safe: the application holds an
/// `Arc<dyn Store>` chosen by the database URL. Each capability is a trait of its own in its
/// own file ([`ReferenceStore`], [`UserStore`], [`EnterpriseStore`], [`problems::ProblemStore`],
/// …); `Store` requires them all. A method of any of them can be called on a `dyn Store`
/// without importing its trait; on a concrete store (a backend's own tests) import it.
///
/// Every write is one transaction: it lands whole or not at all, and when it returns `Ok` it
/// is durable.
#[async_trait]
pub trait Store:
    reference::ReferenceStore
    + users::UserStore
    + enterprises::EnterpriseStore
    + problems::ProblemStore
    + matches::MatchStore
    + scan::ScanStore
    + sessions::SessionStore
    + attachments::AttachmentStore
    + documents::DocumentStore
    + drafts::DraftStore
    + accounts::AccountStore
    + categories::CategoryStore
    + calendar::CalendarStore
    + follow_ups::FollowUpStore
    + request_state::RequestStateStore
    + jobs::JobStore
    + signals::ChangeSignals
    + readiness::Readiness
    + content::ContentStore
    + crate::grants::GrantStore
    + crate::grant_confirmations::ConfirmationStore
    + push::PushStore
    + events::EventStore
    + notifications::NotificationStore
    + financing::FinancingStore
    + plans::PlanStore
    + credit_repair::RepairStore
    + utilities::UtilityStore
    + chains::ChainStore
    + legal::LegalStore
    + Send
    + Sync
{
    /// `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;

    /// Applies the pending migrations, each in its own transaction. Idempotent.
    async fn migrate(&self) -> Result<MigrationReport>;
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
}

/// The stored and printed names of the crate's enums: derived once (strum), each read back to
/// its own variant, and equal to the name serde writes where the enum is serialised.
#[cfg(test)]
mod enum_names {
    use i18n::{assert_names_are_json_names as same_as_serde, assert_names_round_trip as round_trip};

    #[test]
    fn every_name_reads_back_to_its_variant() {
        round_trip::<crate::sessions::SessionKind>("SessionKind");
        round_trip::<crate::ImportFormat>("ImportFormat");
        round_trip::<crate::follow_ups::FollowUpKind>("FollowUpKind");
        round_trip::<crate::documents::DocumentKind>("DocumentKind");
        round_trip::<crate::drafts::DraftState>("DraftState");
        round_trip::<crate::drafts::DraftOrigin>("DraftOrigin");
        round_trip::<crate::push::MessageKind>("MessageKind");
        round_trip::<crate::push::ChannelKind>("ChannelKind");
        round_trip::<crate::push::OutboxState>("OutboxState");
    }

    #[test]
    fn stored_names_are_the_json_names() {
        // Not ImportFormat: JSON Lines is stored as `jsonl` but serialised as `json_lines`;
        // both are published contracts and stay.
        same_as_serde::<crate::follow_ups::FollowUpKind>("FollowUpKind");
        same_as_serde::<crate::drafts::DraftState>("DraftState");
        same_as_serde::<crate::drafts::DraftOrigin>("DraftOrigin");
        same_as_serde::<crate::push::MessageKind>("MessageKind");
        same_as_serde::<crate::push::ChannelKind>("ChannelKind");
        same_as_serde::<crate::push::OutboxState>("OutboxState");
    }
}
