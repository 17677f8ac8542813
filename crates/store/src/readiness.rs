//! Whether the database is ready for this binary (issue 16, `/readyz`): reachable, and every
//! migration this binary knows applied (a server started before another finished migrating,
//! or a binary newer than the schema, is not ready).

use crate::Result;
use async_trait::async_trait;

/// The schema as this binary sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The highest migration applied.
    pub applied: u32,
    /// The highest migration this binary knows.
    pub known: u32,
    /// Known migrations not yet applied.
    pub pending: Vec<u32>,
}

impl SchemaStatus {
    pub fn current(&self) -> bool {
        self.pending.is_empty()
    }
}

#[async_trait]
pub trait Readiness: Send + Sync {
    /// Reads the applied migrations (one query): an error when the database does not answer,
    /// or when an applied migration is unknown to this binary or edited.
    async fn schema_status(&self) -> Result<SchemaStatus>;
}

/// The status of `applied` against `known` ([`crate::migrate::plan`]'s checks).
pub fn status_of(known: &[crate::Migration], applied: &[crate::AppliedMigration]) -> Result<SchemaStatus> {
    let pending = crate::migrate::plan(known, applied)?.iter().map(|m| m.version).collect();
    Ok(SchemaStatus {
        applied: applied.iter().map(|m| m.version).max().unwrap_or(0),
        known: known.iter().map(|m| m.version).max().unwrap_or(0),
        pending,
    })
}
