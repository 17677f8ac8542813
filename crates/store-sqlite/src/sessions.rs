//! [`SessionStore`] on SQLite: writes are jobs of the writer thread, the lookup a point read.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};
use store::sessions::{SessionKind, SessionRecord, SessionStore, sql};
use store::{Result, StoreError};

use crate::{SqliteStore, backend, ts};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, s: &SessionRecord) -> Result<()> {
        let s = s.clone();
        self.write(move |conn| {
            let known: Option<i64> = conn
                .prepare_cached(store::sql::USER_ROLE)
                .and_then(|mut st| st.query_row([&s.username], |_| Ok(1)).optional())
                .map_err(backend)?;
            if known.is_none() {
                return Err(StoreError::UserNotFound { username: s.username });
            }
            conn.prepare_cached(sql::INSERT_SESSION)
                .and_then(|mut st| {
                    st.execute(params![
                        s.token_hash,
                        s.username,
                        s.csrf,
                        s.kind.as_str(),
                        ts(s.created_at),
                        ts(s.last_seen),
                        ts(s.expires_at)
                    ])
                })
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn session_by_hash(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        let token_hash = token_hash.to_string();
        self.read_statement(move |conn| {
            let row = conn
                .prepare_cached(sql::SESSION_BY_HASH)
                .and_then(|mut st| {
                    st.query_row([&token_hash], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, DateTime<FixedOffset>>(4)?,
                            r.get::<_, DateTime<FixedOffset>>(5)?,
                            r.get::<_, DateTime<FixedOffset>>(6)?,
                        ))
                    })
                    .optional()
                })
                .map_err(backend)?;
            let Some((token_hash, username, csrf, kind, created_at, last_seen, expires_at)) = row else {
                return Ok(None);
            };
            let kind = SessionKind::parse(&kind)
                .ok_or_else(|| StoreError::Backend(format!("stored session kind {kind} is unknown")))?;
            Ok(Some(SessionRecord { token_hash, username, csrf, kind, created_at, last_seen, expires_at }))
        })
        .await
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        last_seen: DateTime<FixedOffset>,
        expires_at: DateTime<FixedOffset>,
    ) -> Result<bool> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            conn.prepare_cached(sql::TOUCH_SESSION)
                .and_then(|mut st| st.execute(params![ts(last_seen), ts(expires_at), token_hash]))
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            conn.prepare_cached(sql::DELETE_SESSION)
                .and_then(|mut st| st.execute([token_hash]))
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    async fn delete_user_sessions(&self, username: &str) -> Result<u64> {
        let username = username.to_string();
        self.write(move |conn| delete_user_sessions(conn, &username)).await
    }

    async fn purge_expired_sessions(&self, now: DateTime<FixedOffset>) -> Result<u64> {
        self.write(move |conn| {
            conn.prepare_cached(sql::PURGE_SESSIONS)
                .and_then(|mut st| st.execute(params![ts(now)]))
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }
}

/// Deletes every session of a user inside the caller's transaction (password change,
/// deactivation).
pub(crate) fn delete_user_sessions(conn: &rusqlite::Connection, username: &str) -> Result<u64> {
    conn.prepare_cached(sql::DELETE_USER_SESSIONS)
        .and_then(|mut st| st.execute([username]))
        .map(|n| n as u64)
        .map_err(backend)
}
