//! [`RequestStateStore`] on SQLite: writes are jobs of the writer thread, lookups point reads.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};
use store::Result;
use store::request_state::{AnonymousSession, KeptFile, Purged, RequestStateStore, sql};

use crate::{SqliteStore, backend, ts};

#[async_trait]
impl RequestStateStore for SqliteStore {
    async fn create_anonymous_session(&self, s: &AnonymousSession) -> Result<()> {
        let s = s.clone();
        self.write(move |conn| {
            conn.prepare_cached(sql::INSERT_ANONYMOUS)
                .and_then(|mut st| {
                    st.execute(params![s.token_hash, s.csrf, ts(s.created_at), ts(s.expires_at)])
                })
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn anonymous_session(&self, token_hash: &str) -> Result<Option<AnonymousSession>> {
        let token_hash = token_hash.to_string();
        self.read_statement(move |conn| {
            conn.prepare_cached(sql::ANONYMOUS_BY_HASH)
                .and_then(|mut st| {
                    st.query_row([&token_hash], |r| {
                        Ok(AnonymousSession {
                            token_hash: r.get(0)?,
                            csrf: r.get(1)?,
                            created_at: r.get(2)?,
                            expires_at: r.get(3)?,
                        })
                    })
                    .optional()
                })
                .map_err(backend)
        })
        .await
    }

    async fn delete_anonymous_session(&self, token_hash: &str) -> Result<bool> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(sql::DELETE_ANONYMOUS)
                .and_then(|mut st| st.execute([&token_hash]))
                .map_err(backend)?
                > 0)
        })
        .await
    }

    async fn keep_file(&self, f: &KeptFile) -> Result<()> {
        let f = f.clone();
        self.write(move |conn| {
            conn.execute(
                sql::UPSERT_KEPT,
                params![f.token_hash, f.name, f.content, f.owner, ts(f.created_at), ts(f.expires_at)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn kept_file(&self, token_hash: &str, name: &str) -> Result<Option<KeptFile>> {
        let (token_hash, name) = (token_hash.to_string(), name.to_string());
        self.read_statement(move |conn| {
            conn.prepare_cached(sql::KEPT_BY_NAME)
                .and_then(|mut st| {
                    st.query_row([&token_hash, &name], |r| {
                        Ok(KeptFile {
                            token_hash: r.get(0)?,
                            name: r.get(1)?,
                            content: r.get(2)?,
                            owner: r.get(3)?,
                            created_at: r.get(4)?,
                            expires_at: r.get(5)?,
                        })
                    })
                    .optional()
                })
                .map_err(backend)
        })
        .await
    }

    async fn delete_kept_files(&self, token_hash: &str) -> Result<u64> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| Ok(conn.execute(sql::DELETE_KEPT, [&token_hash]).map_err(backend)? as u64))
            .await
    }

    async fn purge_request_state(&self, now: DateTime<FixedOffset>) -> Result<Purged> {
        self.write(move |conn| {
            let anonymous_sessions = conn.execute(sql::PURGE_ANONYMOUS, [ts(now)]).map_err(backend)? as u64;
            let kept_files = conn.execute(sql::PURGE_KEPT, [ts(now)]).map_err(backend)? as u64;
            Ok(Purged { anonymous_sessions, kept_files })
        })
        .await
    }
}
