//! [`ChangeSignals`] and [`Readiness`] on PostgreSQL. The listener is a connection of its own
//! (outside the pool) that `LISTEN`s on [`store::signals::CHANNEL`]; the triggers of
//! migration 0019 notify it on every commit that writes a document. A lost connection is
//! re-opened after a second, and every (re)connection is signalled as [`Change::Resync`]
//! after `LISTEN` took effect, so nothing written while it was away is missed.

use async_trait::async_trait;
use futures_util::StreamExt as _;
use store::readiness::{Readiness, SchemaStatus, status_of};
use store::signals::{CHANNEL, Change, ChangeSignals, OnChange};
use store::{AppliedMigration, Result};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::{MIGRATIONS, PgStore, backend};

/// Listens until the connection fails.
async fn listen_once(config: &tokio_postgres::Config, on_change: &OnChange) -> Result<()> {
    let (client, mut conn) = config.connect(NoTls).await.map_err(backend)?;
    let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
    let listen_sql = format!("LISTEN {CHANNEL}");
    {
        let listen = client.batch_execute(&listen_sql);
        tokio::pin!(listen);
        loop {
            tokio::select! {
                r = &mut listen => { r.map_err(backend)?; break; }
                m = messages.next() => match m {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(backend(e)),
                    None => return Err(backend("the listening connection closed")),
                },
            }
        }
    }
    on_change(Change::Resync);
    while let Some(m) = messages.next().await {
        if let AsyncMessage::Notification(n) = m.map_err(backend)?
            && let Some(c) = Change::of_payload(n.payload())
        {
            on_change(c);
        }
    }
    drop(client);
    Err(backend("the listening connection closed"))
}

#[async_trait]
impl ChangeSignals for PgStore {
    async fn listen_changes(&self, on_change: OnChange) -> Result<bool> {
        let config = self.config.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen_once(&config, &on_change).await {
                    tracing::warn!(error = %e, "listening for changes failed; reconnecting in a second");
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
        Ok(true)
    }
}

#[async_trait]
impl Readiness for PgStore {
    async fn schema_status(&self) -> Result<SchemaStatus> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT version, name, checksum FROM schema_migrations ORDER BY version", &[])
            .await
            .map_err(backend)?;
        let mut applied = Vec::with_capacity(rows.len());
        for r in rows {
            let v: i32 = r.try_get(0).map_err(backend)?;
            applied.push(AppliedMigration {
                version: u32::try_from(v).map_err(backend)?,
                name: r.try_get(1).map_err(backend)?,
                checksum: r.try_get(2).map_err(backend)?,
            });
        }
        status_of(MIGRATIONS, &applied)
    }
}
