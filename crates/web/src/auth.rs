//! Who is asking: passwords, sessions, bearer tokens and lock-out.
//!
//! - Passwords are argon2id PHC strings ([`hash_password`], [`verify_password`]); the store
//!   keeps the string and never sees a password.
//! - A session is a random 256-bit token (hex) held in memory ([`Sessions`]), keyed by its
//!   SHA-256 so the table never holds a usable token. Browsers carry it in the
//!   `huiqi_session` cookie (HttpOnly, SameSite=Strict, Secure when configured); API clients
//!   get a bearer token from `POST /api/v1/auth/token`. Each session has its own CSRF token
//!   (synchroniser token). Sessions are lost on restart: users sign in again. The store has no
//!   session table yet; moving them there is a store change, not a web one.
//! - Lock-out: after [`WebConfig::max_failed_logins`] failures in a row a username is locked
//!   for [`WebConfig::lockout`]. For existing users the count lives in the store
//!   ([`store::LoginState`]); unknown usernames are counted in memory so that the answer (and
//!   its timing: a dummy hash is verified) does not tell whether a username exists.

use crate::error::WebError;
use crate::security::{cookie, random_token};
use crate::state::{AppState, WebConfig};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, FixedOffset};
use enterprise::UnifiedCreditCode;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use store::{LoginState, Role, User};

pub const SESSION_COOKIE: &str = "huiqi_session";

/// Hashes a password with argon2id (the crate's default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, WebError> {
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(WebError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(WebError::internal)
}

/// Whether `password` matches the PHC string. A malformed string never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A signed-in user as the web layer sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    pub enterprise: Option<UnifiedCreditCode>,
    /// Department code.
    pub department: Option<String>,
    pub display_name: String,
    /// How the request proved who it is.
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The session cookie, with the session's CSRF token.
    Cookie {
        csrf: String,
    },
    Bearer,
}

impl Principal {
    pub fn from_user(u: &User, via: Via) -> Principal {
        Principal {
            username: u.username.clone(),
            role: u.role,
            enterprise: u.enterprise.clone(),
            department: u.department.clone(),
            display_name: if u.display_name.is_empty() { u.username.clone() } else { u.display_name.clone() },
            via,
        }
    }

    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Cookie { csrf } => csrf,
            Via::Bearer => "",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Cookie,
    Bearer,
}

/// One session: signed in (with a principal) or anonymous (a visitor on the sign-in page, who
/// needs a CSRF token too).
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Option<Principal>,
    pub csrf: String,
    pub kind: SessionKind,
    pub expires: DateTime<FixedOffset>,
}

/// The in-memory session table and the failure counts of unknown usernames.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    unknown_failures: Mutex<HashMap<String, LoginState>>,
}

/// More entries than this and expired ones are pruned before an insert; anonymous sessions
/// are evicted first beyond it.
const PRUNE_AT: usize = 50_000;

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    /// Opens a session; returns its token. The CSRF token is in the stored session.
    pub fn create(
        &self,
        principal: Option<Principal>,
        kind: SessionKind,
        now: DateTime<FixedOffset>,
        ttl: Duration,
    ) -> (String, Session) {
        let token = random_token();
        let csrf = random_token();
        let principal = principal.map(|mut p| {
            p.via = match kind {
                SessionKind::Cookie => Via::Cookie { csrf: csrf.clone() },
                SessionKind::Bearer => Via::Bearer,
            };
            p
        });
        let s = Session { principal, csrf, kind, expires: now + ttl };
        let mut map = match self.map.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if map.len() >= PRUNE_AT {
            map.retain(|_, v| v.expires > now);
            if map.len() >= PRUNE_AT {
                map.retain(|_, v| v.principal.is_some());
            }
        }
        map.insert(key(&token), s.clone());
        (token, s)
    }

    /// The live session of a token, its expiry slid forward by `idle` for cookie sessions.
    pub fn get(&self, token: &str, now: DateTime<FixedOffset>, idle: Duration) -> Option<Session> {
        let mut map = match self.map.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let k = key(token);
        let s = map.get_mut(&k)?;
        if s.expires <= now {
            map.remove(&k);
            return None;
        }
        if s.kind == SessionKind::Cookie {
            s.expires = s.expires.max(now + idle);
        }
        Some(s.clone())
    }

    pub fn remove(&self, token: &str) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&key(token));
        }
    }

    /// Ends every session and token of a user (password change or reset, deactivation).
    pub fn revoke_user(&self, username: &str) {
        if let Ok(mut m) = self.map.lock() {
            m.retain(|_, s| s.principal.as_ref().is_none_or(|p| p.username != username));
        }
    }

    fn unknown_state(&self, username: &str) -> LoginState {
        self.unknown_failures
            .lock()
            .ok()
            .and_then(|m| m.get(username).copied())
            .unwrap_or(LoginState { failed_logins: 0, locked_until: None })
    }

    fn set_unknown_state(&self, username: &str, st: LoginState, now: DateTime<FixedOffset>) {
        if let Ok(mut m) = self.unknown_failures.lock() {
            if m.len() >= PRUNE_AT {
                m.retain(|_, v| v.locked_until.is_some_and(|u| u > now));
            }
            m.insert(username.to_string(), st);
        }
    }
}

/// The lock in force at `now`, if any.
pub fn locked_until(st: LoginState, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    st.locked_until.filter(|u| *u > now)
}

/// The state after one more failed sign-in: a lock that has run out starts a fresh count; the
/// `max`-th failure in a row locks for `cfg.lockout`.
pub fn after_failure(st: LoginState, now: DateTime<FixedOffset>, cfg: &WebConfig) -> LoginState {
    let previous = if st.locked_until.is_some_and(|u| u <= now) { 0 } else { st.failed_logins };
    let failed = previous.saturating_add(1);
    if failed >= cfg.max_failed_logins {
        LoginState { failed_logins: failed, locked_until: Some(now + cfg.lockout) }
    } else {
        LoginState { failed_logins: failed, locked_until: None }
    }
}

fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

async fn verify_blocking(password: String, phc: String) -> Result<bool, WebError> {
    tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.map_err(WebError::internal)
}

/// Checks a username and password, keeping the lock-out count. On success returns the user.
pub async fn authenticate(state: &AppState, username: &str, password: &str) -> Result<User, WebError> {
    let now = state.now();
    let cfg = &state.config;
    let username = username.trim();
    let user = state.store.user_by_username(username).await?.filter(|u| u.active);
    let Some(user) = user else {
        let st = state.sessions.unknown_state(username);
        if let Some(until) = locked_until(st, now) {
            return Err(WebError::Locked { until });
        }
        let _ = verify_blocking(password.to_string(), dummy_hash().to_string()).await?;
        let next = after_failure(st, now, cfg);
        state.sessions.set_unknown_state(username, next, now);
        return Err(match next.locked_until {
            Some(until) => WebError::Locked { until },
            None => WebError::BadCredentials,
        });
    };
    let st = LoginState { failed_logins: user.failed_logins, locked_until: user.locked_until };
    if let Some(until) = locked_until(st, now) {
        return Err(WebError::Locked { until });
    }
    if verify_blocking(password.to_string(), user.password_hash.clone()).await? {
        if st.failed_logins != 0 || st.locked_until.is_some() {
            state
                .store
                .set_login_state(&user.username, LoginState { failed_logins: 0, locked_until: None })
                .await?;
        }
        Ok(user)
    } else {
        let next = after_failure(st, now, cfg);
        state.store.set_login_state(&user.username, next).await?;
        tracing::info!(user.username = %user.username, failed = next.failed_logins, "failed sign-in");
        Err(match next.locked_until {
            Some(until) => WebError::Locked { until },
            None => WebError::BadCredentials,
        })
    }
}

/// The bearer token of a request, if it has an `Authorization: Bearer` header.
pub fn bearer(parts: &axum::http::HeaderMap) -> Option<&str> {
    let v = parts.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The session of a request (bearer token first, then the cookie), signed in or not.
pub fn session_of(state: &AppState, headers: &axum::http::HeaderMap) -> Option<Session> {
    let now = state.now();
    if let Some(t) = bearer(headers) {
        return state
            .sessions
            .get(t, now, state.config.session_idle)
            .filter(|s| s.kind == SessionKind::Bearer);
    }
    let t = cookie(headers, SESSION_COOKIE)?;
    state.sessions.get(t, now, state.config.session_idle).filter(|s| s.kind == SessionKind::Cookie)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let p =
            session_of(state, &parts.headers).and_then(|s| s.principal).ok_or(WebError::Unauthenticated)?;
        parts.extensions.insert(p.clone());
        Ok(p)
    }
}

/// The session of a request if it has one (signed in or anonymous); never rejects.
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeSession(session_of(state, &parts.headers)))
    }
}

/// The `Set-Cookie` value of a session cookie.
pub fn session_cookie(token: &str, cfg: &WebConfig) -> String {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(cfg: &WebConfig) -> String {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// Checks a new password against the rules (length, confirmation).
pub fn check_new_password(new: &str, confirm: &str, cfg: &WebConfig) -> Result<(), WebError> {
    if new.chars().count() < cfg.min_password_len {
        return Err(WebError::PasswordTooShort { min: cfg.min_password_len });
    }
    if new != confirm {
        return Err(WebError::PasswordMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn passwords_round_trip_and_hashes_are_argon2id() {
        let h = hash_password("正确的密码 horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("正确的密码 horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes_and_the_lock_runs_out() {
        let cfg = WebConfig::default();
        let now = t("2024-03-01T09:00:00+08:00");
        let mut st = LoginState { failed_logins: 0, locked_until: None };
        for i in 1..5 {
            st = after_failure(st, now, &cfg);
            assert_eq!(st.failed_logins, i);
            assert_eq!(locked_until(st, now), None);
        }
        st = after_failure(st, now, &cfg);
        let until = t("2024-03-01T09:15:00+08:00");
        assert_eq!(locked_until(st, now), Some(until));
        assert_eq!(locked_until(st, t("2024-03-01T09:14:59+08:00")), Some(until));
        assert_eq!(locked_until(st, until), None);
        // After the lock, the count starts again.
        let later = after_failure(st, until, &cfg);
        assert_eq!(later, LoginState { failed_logins: 1, locked_until: None });
    }

    #[test]
    fn sessions_expire_slide_and_are_revoked_per_user() {
        let s = Sessions::default();
        let now = t("2024-03-01T09:00:00+08:00");
        let p = Principal {
            username: "li".into(),
            role: Role::Admin,
            enterprise: None,
            department: None,
            display_name: "李".into(),
            via: Via::Bearer,
        };
        let (tok, sess) = s.create(Some(p), SessionKind::Cookie, now, Duration::hours(1));
        assert_eq!(tok.len(), 64);
        assert_eq!(sess.principal.as_ref().map(|p| p.csrf().to_string()), Some(sess.csrf.clone()));
        assert!(s.get(&tok, now + Duration::minutes(59), Duration::hours(1)).is_some());
        // Used at 09:59, it now lives until 10:59.
        assert!(s.get(&tok, now + Duration::minutes(118), Duration::hours(1)).is_some());
        assert!(s.get("0".repeat(64).as_str(), now, Duration::hours(1)).is_none());
        s.revoke_user("li");
        assert!(s.get(&tok, now, Duration::hours(1)).is_none());
        let (tok2, _) = s.create(None, SessionKind::Cookie, now, Duration::hours(1));
        assert!(s.get(&tok2, now + Duration::hours(2), Duration::hours(1)).is_none());
    }

    #[test]
    fn cookie_flags() {
        let mut cfg = WebConfig::default();
        assert_eq!(session_cookie("ab", &cfg), "huiqi_session=ab; Path=/; HttpOnly; SameSite=Strict");
        cfg.secure_cookies = true;
        assert!(session_cookie("ab", &cfg).ends_with("; Secure"));
    }
}
