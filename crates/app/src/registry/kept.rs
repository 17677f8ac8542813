//! An import's dry run kept in the database for its apply (issue 16): the upload and the
//! dry run's full reports (every error, every change, as CSV), under an unguessable token
//! the admin's page carries. Any server behind the load balancer finds them, and an
//! abandoned dry run expires after [`DRY_RUN_TTL`] (the scheduled job
//! `purge_request_state` deletes it). Before, they were files in one server's temporary
//! directory, never cleaned up.
//!
//! What it leaves out: running the import ([`super::import_enterprises`]) and HTTP.

use crate::authz::{self, Action, Resource};
use crate::{App, Principal, Result};
use chrono::Duration;
use store::request_state::{KeptFile, MAX_KEPT_NAME};

/// How long a dry run is kept for its apply and its reports.
pub const DRY_RUN_TTL: Duration = Duration::hours(24);

fn key(token: &str) -> String {
    hex::encode(crate::sessions::token_key(token))
}

/// Keeps one file of the dry run `token` (`upload.<ext>`, `errors.csv`, `changes.csv`).
#[tracing::instrument(skip(app, who, content), fields(user = %who.username, bytes = content.len()))]
pub async fn keep(app: &App, who: &Principal, token: &str, name: &str, content: Vec<u8>) -> Result<()> {
    authz::require(who, Action::Write, Resource::Imports)?;
    if name.is_empty() || name.chars().count() > MAX_KEPT_NAME {
        return Err(crate::Error::TooLong {
            field: "name".into(),
            limit: MAX_KEPT_NAME,
            actual: name.chars().count(),
        });
    }
    let now = app.now();
    let file = KeptFile {
        token_hash: key(token),
        name: name.to_string(),
        content,
        owner: who.username.clone(),
        created_at: now,
        expires_at: now + DRY_RUN_TTL,
    };
    Ok(app.store.keep_file(&file).await?)
}

/// A kept file of the dry run `token`, if kept and not expired.
#[tracing::instrument(skip(app, who, token), fields(user = %who.username))]
pub async fn kept(app: &App, who: &Principal, token: &str, name: &str) -> Result<Option<Vec<u8>>> {
    authz::require(who, Action::Read, Resource::Imports)?;
    let now = app.now();
    Ok(app.store.kept_file(&key(token), name).await?.filter(|f| f.expires_at > now).map(|f| f.content))
}

/// Forgets every file of the dry run `token` (applied, or its upload refused).
#[tracing::instrument(skip(app, who, token), fields(user = %who.username))]
pub async fn forget(app: &App, who: &Principal, token: &str) -> Result<u64> {
    authz::require(who, Action::Write, Resource::Imports)?;
    Ok(app.store.delete_kept_files(&key(token)).await?)
}
