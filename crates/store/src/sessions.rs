//! Signed-in sessions and API tokens as stored (issue 5, Security), so that they survive a
//! restart and are shared by every server process over the same database.
//!
//! The token itself is never stored: a row is keyed by the hex SHA-256 of the token, so the
//! table (or a backup of it) holds nothing a client could present. The web layer keeps a
//! cache in front of these rows (`web::auth::Sessions`) and decides expiry; the store keeps
//! the rows, ends them with the user ([`crate::UserStore::set_password_hash`] and deactivation
//! delete every session of the user in the same transaction) and purges expired ones.
//!
//! What it leaves out: anonymous sessions (a visitor on the sign-in page holding only a CSRF
//! token) stay in the web layer's memory; a restart costs such a visitor a page reload.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};

/// How a session is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum SessionKind {
    /// The `huiqi_session` cookie of a browser (with a CSRF token).
    Cookie,
    /// An `Authorization: Bearer` token of an API client.
    Bearer,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The kind of a stored row (`None` for anything else).
    pub fn parse(s: &str) -> Option<SessionKind> {
        s.parse().ok()
    }
}

/// One stored session of a signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Lower-case hex SHA-256 of the token (64 characters).
    pub token_hash: String,
    pub username: String,
    /// The session's CSRF (synchroniser) token; empty for bearer tokens.
    pub csrf: String,
    pub kind: SessionKind,
    pub created_at: DateTime<FixedOffset>,
    /// When it was last used, as last recorded (the web layer records use at most every few
    /// minutes, not per request).
    pub last_seen: DateTime<FixedOffset>,
    /// When it ends unless used again (cookie sessions slide up to their absolute limit).
    pub expires_at: DateTime<FixedOffset>,
}

/// The stored sessions. Object safe; every backend implements it.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session. The user must exist ([`crate::StoreError::UserNotFound`]).
    async fn create_session(&self, session: &SessionRecord) -> Result<()>;

    /// The session stored under a token's hash, expired or not.
    async fn session_by_hash(&self, token_hash: &str) -> Result<Option<SessionRecord>>;

    /// Records a use: `last_seen` and the new expiry. Returns whether the session still exists.
    async fn touch_session(
        &self,
        token_hash: &str,
        last_seen: DateTime<FixedOffset>,
        expires_at: DateTime<FixedOffset>,
    ) -> Result<bool>;

    /// Ends one session (sign-out, token revocation). Returns whether it existed.
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;

    /// Ends every session and token of a user. Returns how many ended.
    async fn delete_user_sessions(&self, username: &str) -> Result<u64>;

    /// Deletes the sessions expired at `now`. Returns how many.
    async fn purge_expired_sessions(&self, now: DateTime<FixedOffset>) -> Result<u64>;
}

/// The statements both dialects accept.
pub mod sql {
    pub const INSERT_SESSION: &str = "INSERT INTO sessions \
         (token_hash, username, csrf, kind, created_at, last_seen, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const SESSION_BY_HASH: &str = "SELECT token_hash, username, csrf, kind, created_at, last_seen, \
         expires_at FROM sessions WHERE token_hash = $1";
    pub const TOUCH_SESSION: &str =
        "UPDATE sessions SET last_seen = $1, expires_at = $2 WHERE token_hash = $3";
    pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
    pub const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE username = $1";
    pub const PURGE_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";

    /// Every text, for the placeholder-order test.
    pub const ALL: &[&str] = &[
        INSERT_SESSION,
        SESSION_BY_HASH,
        TOUCH_SESSION,
        DELETE_SESSION,
        DELETE_USER_SESSIONS,
        PURGE_SESSIONS,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_refused() {
        for k in [SessionKind::Cookie, SessionKind::Bearer] {
            assert_eq!(SessionKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SessionKind::parse("Cookie"), None);
    }

    #[test]
    fn every_text_numbers_its_parameters_in_order() {
        for text in sql::ALL {
            let order = crate::sql::placeholder_order(text);
            assert!(order.iter().enumerate().all(|(i, n)| *n == i + 1), "{text}");
        }
    }
}
