//! [`ChangeSignals`] and [`Readiness`] on SQLite. SQLite has no notification channel: a
//! process over the file keeps its timers (`app::live::FOLLOW_EVERY`).

use async_trait::async_trait;
use store::Result;
use store::readiness::{Readiness, SchemaStatus, status_of};
use store::signals::{ChangeSignals, OnChange};

use crate::{MIGRATIONS, SqliteStore, read_migrations};

#[async_trait]
impl ChangeSignals for SqliteStore {
    async fn listen_changes(&self, _on_change: OnChange) -> Result<bool> {
        Ok(false)
    }
}

#[async_trait]
impl Readiness for SqliteStore {
    async fn schema_status(&self) -> Result<SchemaStatus> {
        let applied = self.read(read_migrations).await?;
        status_of(MIGRATIONS, &applied)
    }
}
