//! [`RequestStateStore`] on PostgreSQL: anonymous sessions and kept import files, one
//! statement each.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use store::Result;
use store::request_state::{AnonymousSession, KeptFile, Purged, RequestStateStore, sql};

use crate::{PgStore, backend, china};

#[async_trait]
impl RequestStateStore for PgStore {
    async fn create_anonymous_session(&self, s: &AnonymousSession) -> Result<()> {
        let client = self.client().await?;
        client
            .execute(sql::INSERT_ANONYMOUS, &[&s.token_hash, &s.csrf, &s.created_at, &s.expires_at])
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn anonymous_session(&self, token_hash: &str) -> Result<Option<AnonymousSession>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql::ANONYMOUS_BY_HASH).await.map_err(backend)?;
        let Some(r) = client.query_opt(&st, &[&token_hash]).await.map_err(backend)? else {
            return Ok(None);
        };
        Ok(Some(AnonymousSession {
            token_hash: r.try_get(0).map_err(backend)?,
            csrf: r.try_get(1).map_err(backend)?,
            created_at: china(r.try_get::<_, DateTime<FixedOffset>>(2).map_err(backend)?),
            expires_at: china(r.try_get::<_, DateTime<FixedOffset>>(3).map_err(backend)?),
        }))
    }

    async fn delete_anonymous_session(&self, token_hash: &str) -> Result<bool> {
        let client = self.client().await?;
        Ok(client.execute(sql::DELETE_ANONYMOUS, &[&token_hash]).await.map_err(backend)? > 0)
    }

    async fn keep_file(&self, f: &KeptFile) -> Result<()> {
        let client = self.client().await?;
        client
            .execute(
                sql::UPSERT_KEPT,
                &[&f.token_hash, &f.name, &f.content, &f.owner, &f.created_at, &f.expires_at],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn kept_file(&self, token_hash: &str, name: &str) -> Result<Option<KeptFile>> {
        let client = self.client().await?;
        let Some(r) = client.query_opt(sql::KEPT_BY_NAME, &[&token_hash, &name]).await.map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(KeptFile {
            token_hash: r.try_get(0).map_err(backend)?,
            name: r.try_get(1).map_err(backend)?,
            content: r.try_get(2).map_err(backend)?,
            owner: r.try_get(3).map_err(backend)?,
            created_at: china(r.try_get::<_, DateTime<FixedOffset>>(4).map_err(backend)?),
            expires_at: china(r.try_get::<_, DateTime<FixedOffset>>(5).map_err(backend)?),
        }))
    }

    async fn delete_kept_files(&self, token_hash: &str) -> Result<u64> {
        let client = self.client().await?;
        client.execute(sql::DELETE_KEPT, &[&token_hash]).await.map_err(backend)
    }

    async fn purge_request_state(&self, now: DateTime<FixedOffset>) -> Result<Purged> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let anonymous_sessions = tx.execute(sql::PURGE_ANONYMOUS, &[&now]).await.map_err(backend)?;
        let kept_files = tx.execute(sql::PURGE_KEPT, &[&now]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Purged { anonymous_sessions, kept_files })
    }
}
