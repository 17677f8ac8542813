//! Willingness confirmation (意愿确认) of grants (issue 12, migration 0027): whether a run
//! needs it (`grant_runs.confirmation_required`, set when the run is created from the zone
//! setting `grants.confirmation_items`), and each grant's confirmation with the bank account
//! the enterprise confirms. The database keeps the rules that matter for money:
//! - one confirmation per grant (primary key), never updated (trigger);
//! - a grant of a run that needs confirmation goes into no payment file before it is
//!   confirmed ([`crate::grants::sql::FILE_CANDIDATES`]).
//!
//! What it leaves out: who may confirm and what an account looks like (`app::grant_pages`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::{Result, Stamp};

/// A confirmation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConfirmation {
    pub grant: i64,
    /// The bank (开户行), as the enterprise names it.
    pub bank: String,
    /// The account number (digits), checked by the use case.
    pub account: String,
    pub actor: Stamp,
}

/// A recorded confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    pub grant: i64,
    pub bank: String,
    pub account: String,
    pub by: String,
    pub at: DateTime<FixedOffset>,
}

#[async_trait]
pub trait ConfirmationStore: Send + Sync {
    /// Marks a run as needing confirmation (audited in the grant chain). Idempotent.
    async fn require_confirmation(&self, run: i64, actor: Stamp) -> Result<()>;
    /// Whether a run needs confirmation ([`crate::StoreError::GrantRunNotFound`] if none).
    async fn confirmation_required(&self, run: i64) -> Result<bool>;
    /// Records a grant's confirmation, audited. Refused with
    /// [`crate::StoreError::GrantWrongState`] unless the grant is pending, in publicity or
    /// approved (a rejected or paid one is past confirming) or when already confirmed
    /// (state `confirmed`).
    async fn confirm_grant(&self, c: NewConfirmation) -> Result<Confirmation>;
    /// One grant's confirmation.
    async fn confirmation(&self, grant: i64) -> Result<Option<Confirmation>>;
    /// The confirmations of a run's grants, by grant id.
    async fn confirmations_of_run(&self, run: i64) -> Result<Vec<Confirmation>>;
}

/// SQL both dialects accept.
pub mod sql {
    pub const REQUIRE: &str = "UPDATE grant_runs SET confirmation_required = TRUE WHERE id = $1";
    pub const REQUIRED: &str = "SELECT confirmation_required FROM grant_runs WHERE id = $1";
    pub const INSERT: &str = "INSERT INTO grant_confirmations (grant_id, bank, account, confirmed_by, confirmed_at) \
        VALUES ($1, $2, $3, $4, $5)";
    pub const COLUMNS: &str = "grant_id, bank, account, confirmed_by, confirmed_at";
    pub const OF_GRANT: &str = "SELECT grant_id, bank, account, confirmed_by, confirmed_at FROM grant_confirmations WHERE grant_id = $1";
    pub const OF_RUN: &str = "SELECT c.grant_id, c.bank, c.account, c.confirmed_by, c.confirmed_at \
        FROM grant_confirmations c JOIN grants g ON g.id = c.grant_id WHERE g.run_id = $1 ORDER BY c.grant_id";
    pub const GRANT_STATE: &str = "SELECT state, run_id FROM grants WHERE id = $1";
}
