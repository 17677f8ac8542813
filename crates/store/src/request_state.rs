//! Request state that must outlive one request and be seen by every server process over the
//! database (issue 16): the sign-in page's anonymous sessions (a CSRF token for a visitor not
//! yet signed in) and the files an import's dry run keeps for its apply and its reports. A
//! request landing on another server behind the load balancer finds them here.
//!
//! Both are keyed by the hex SHA-256 of an unguessable token that only the client holds (the
//! token itself is never stored, as with signed-in sessions, `crate::sessions`), and both
//! expire: [`RequestStateStore::purge_request_state`] deletes what has expired, run by the
//! scheduled job `purge_request_state` (`app::jobs`), so abandoned dry runs do not pile up.
//!
//! What it leaves out: signed-in sessions (`crate::sessions`), rate-limit buckets (kept in
//! each server's memory on purpose: a database write per request would cost more than the
//! limit protects; docs/DEPLOYMENT.md says how to size them for N servers).

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};

/// A visitor's session on the sign-in page: only a CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnonymousSession {
    /// Lower-case hex SHA-256 of the session token (64 characters).
    pub token_hash: String,
    pub csrf: String,
    pub created_at: DateTime<FixedOffset>,
    pub expires_at: DateTime<FixedOffset>,
}

/// One file kept for an import between its dry run and its apply: the upload or one of the
/// dry run's reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFile {
    /// Lower-case hex SHA-256 of the dry run's token (64 characters).
    pub token_hash: String,
    /// What the file is: `upload.<ext>`, `errors.csv`, `changes.csv` (at most
    /// [`MAX_KEPT_NAME`] characters).
    pub name: String,
    pub content: Vec<u8>,
    /// Who ran the dry run (only they may apply it or read its reports).
    pub owner: String,
    pub created_at: DateTime<FixedOffset>,
    pub expires_at: DateTime<FixedOffset>,
}

/// The longest name of a kept file.
pub const MAX_KEPT_NAME: usize = 64;

/// What [`RequestStateStore::purge_request_state`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub anonymous_sessions: u64,
    pub kept_files: u64,
}

/// The request state in the store. Object safe; every backend implements it.
#[async_trait]
pub trait RequestStateStore: Send + Sync {
    /// Stores a visitor's anonymous session.
    async fn create_anonymous_session(&self, session: &AnonymousSession) -> Result<()>;

    /// The anonymous session stored under a token's hash, expired or not.
    async fn anonymous_session(&self, token_hash: &str) -> Result<Option<AnonymousSession>>;

    /// Ends an anonymous session (its visitor signed in). Returns whether it existed.
    async fn delete_anonymous_session(&self, token_hash: &str) -> Result<bool>;

    /// Keeps a file of a dry run (replacing one of the same token and name).
    async fn keep_file(&self, file: &KeptFile) -> Result<()>;

    /// A kept file, expired or not (the caller checks the expiry and the owner).
    async fn kept_file(&self, token_hash: &str, name: &str) -> Result<Option<KeptFile>>;

    /// Forgets every file of a dry run (applied, or replaced). Returns how many.
    async fn delete_kept_files(&self, token_hash: &str) -> Result<u64>;

    /// Deletes the anonymous sessions and kept files expired at `now`.
    async fn purge_request_state(&self, now: DateTime<FixedOffset>) -> Result<Purged>;
}

/// The statements both dialects accept.
pub mod sql {
    pub const INSERT_ANONYMOUS: &str =
        "INSERT INTO anonymous_sessions (token_hash, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    pub const ANONYMOUS_BY_HASH: &str =
        "SELECT token_hash, csrf, created_at, expires_at FROM anonymous_sessions WHERE token_hash = $1";
    pub const DELETE_ANONYMOUS: &str = "DELETE FROM anonymous_sessions WHERE token_hash = $1";
    pub const PURGE_ANONYMOUS: &str = "DELETE FROM anonymous_sessions WHERE expires_at <= $1";
    pub const UPSERT_KEPT: &str = "INSERT INTO kept_files (token_hash, name, content, owner, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_hash, name) DO UPDATE SET \
         content = excluded.content, owner = excluded.owner, created_at = excluded.created_at, \
         expires_at = excluded.expires_at";
    pub const KEPT_BY_NAME: &str = "SELECT token_hash, name, content, owner, created_at, expires_at \
         FROM kept_files WHERE token_hash = $1 AND name = $2";
    pub const DELETE_KEPT: &str = "DELETE FROM kept_files WHERE token_hash = $1";
    pub const PURGE_KEPT: &str = "DELETE FROM kept_files WHERE expires_at <= $1";

    /// Every text, for the placeholder-order test.
    pub const ALL: &[&str] = &[
        INSERT_ANONYMOUS,
        ANONYMOUS_BY_HASH,
        DELETE_ANONYMOUS,
        PURGE_ANONYMOUS,
        UPSERT_KEPT,
        KEPT_BY_NAME,
        DELETE_KEPT,
        PURGE_KEPT,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_numbers_its_parameters_in_order() {
        for text in sql::ALL {
            let order = crate::sql::placeholder_order(text);
            assert!(order.iter().enumerate().all(|(i, n)| *n == i + 1), "{text}");
        }
    }
}
