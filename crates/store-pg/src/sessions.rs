//! [`SessionStore`] on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use store::sessions::{SessionKind, SessionRecord, SessionStore, sql};
use store::{Result, StoreError};

use crate::{PgStore, backend, china};

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, s: &SessionRecord) -> Result<()> {
        let client = self.client().await?;
        if client.query_opt(store::sql::USER_ROLE, &[&s.username]).await.map_err(backend)?.is_none() {
            return Err(StoreError::UserNotFound { username: s.username.clone() });
        }
        client
            .execute(
                sql::INSERT_SESSION,
                &[
                    &s.token_hash,
                    &s.username,
                    &s.csrf,
                    &s.kind.as_str(),
                    &s.created_at,
                    &s.last_seen,
                    &s.expires_at,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn session_by_hash(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql::SESSION_BY_HASH).await.map_err(backend)?;
        let Some(r) = client.query_opt(&st, &[&token_hash]).await.map_err(backend)? else {
            return Ok(None);
        };
        let kind: String = r.try_get(3).map_err(backend)?;
        let kind = SessionKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("stored session kind {kind} is unknown")))?;
        let time = |i: usize| r.try_get::<_, DateTime<FixedOffset>>(i).map(china).map_err(backend);
        Ok(Some(SessionRecord {
            token_hash: r.try_get(0).map_err(backend)?,
            username: r.try_get(1).map_err(backend)?,
            csrf: r.try_get(2).map_err(backend)?,
            kind,
            created_at: time(4)?,
            last_seen: time(5)?,
            expires_at: time(6)?,
        }))
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        last_seen: DateTime<FixedOffset>,
        expires_at: DateTime<FixedOffset>,
    ) -> Result<bool> {
        let client = self.client().await?;
        let n = client
            .execute(sql::TOUCH_SESSION, &[&last_seen, &expires_at, &token_hash])
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let client = self.client().await?;
        Ok(client.execute(sql::DELETE_SESSION, &[&token_hash]).await.map_err(backend)? > 0)
    }

    async fn delete_user_sessions(&self, username: &str) -> Result<u64> {
        let client = self.client().await?;
        client.execute(sql::DELETE_USER_SESSIONS, &[&username]).await.map_err(backend)
    }

    async fn purge_expired_sessions(&self, now: DateTime<FixedOffset>) -> Result<u64> {
        let client = self.client().await?;
        client.execute(sql::PURGE_SESSIONS, &[&now]).await.map_err(backend)
    }
}
