//! Who is asking: passwords, sessions, bearer tokens and lock-out.
//!
//! - Passwords are argon2id PHC strings ([`hash_password`], [`verify_password`]); the store
//!   keeps the string and never sees a password.
//! - A session is a random 256-bit token (hex). Browsers carry it in the `huiqi_session`
//!   cookie (HttpOnly, SameSite=Strict, Secure when configured); API clients get a bearer
//!   token from `POST /api/v1/auth/token`. Each session has its own CSRF token (synchroniser
//!   token). Signed-in sessions are stored ([`store::sessions`]) under the token's SHA-256
//!   (never the token), so they survive a restart and every process over the database
//!   honours a sign-out; [`Sessions`] is the cache in front of the store, so a request costs
//!   no database read in the common case. Anonymous sessions (the sign-in page's CSRF token)
//!   stay in memory only.
//! - Limits ([`WebConfig`]): a cookie session ends after `session_idle` without use and
//!   `session_absolute` after sign-in, whichever is first; a bearer token after `token_ttl`.
//!   Sign-out and token revocation delete the session; a password change or reset and a
//!   deactivation delete every session of the user (the store does it in the same
//!   transaction). Another process sees such a deletion within `session_recheck`, when its
//!   cache re-reads the row and the user. Expired rows are purged at most hourly.
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
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use store::{LoginState, User};

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

/// A signed-in user as the web layer sees them: the use cases' [`app::Principal`] and how
/// the request proved who it is. Dereferences to the [`app::Principal`], which is what the
/// use cases and [`crate::authz`] take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: app::Principal,
    /// How the request proved who it is.
    pub via: Via,
}

impl std::ops::Deref for Principal {
    type Target = app::Principal;

    fn deref(&self) -> &app::Principal {
        &self.user
    }
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
        Principal { user: app::Principal::from_user(u), via }
    }

    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Cookie { csrf } => csrf,
            Via::Bearer => "",
        }
    }
}

pub use store::sessions::SessionKind;

/// One session: signed in (with a principal) or anonymous (a visitor on the sign-in page, who
/// needs a CSRF token too).
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Option<Principal>,
    pub csrf: String,
    pub kind: SessionKind,
    pub created: DateTime<FixedOffset>,
    pub expires: DateTime<FixedOffset>,
}

impl Session {
    /// The expiry after a use at `now`: a cookie session slides to `now + idle` but never past
    /// `created + absolute`; a bearer token keeps its own.
    fn used_at(&self, now: DateTime<FixedOffset>, cfg: &WebConfig) -> DateTime<FixedOffset> {
        match self.kind {
            SessionKind::Cookie => {
                self.expires.max((now + cfg.session_idle).min(self.created + cfg.session_absolute))
            }
            SessionKind::Bearer => self.expires,
        }
    }
}

/// A cached session with what the cache knows of its stored row.
#[derive(Debug, Clone)]
struct Cached {
    session: Session,
    /// Whether the session is stored (signed in) or lives in this cache only (anonymous).
    stored: bool,
    /// When the stored row and its user were last read.
    checked: DateTime<FixedOffset>,
    /// The expiry as last written to the store.
    stored_expires: DateTime<FixedOffset>,
}

/// The cache of sessions in front of the store, and the failure counts of unknown usernames.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Cached>>,
    unknown_failures: Mutex<HashMap<String, LoginState>>,
    last_purge: Mutex<Option<DateTime<FixedOffset>>>,
}

/// More entries than this and expired ones are pruned before an insert; anonymous sessions
/// are evicted first beyond it, then signed-in ones (they are re-read from the store).
const PRUNE_AT: usize = 50_000;

/// A slid expiry is written to the store when it has moved this far: a use costs no write,
/// and a restart shortens an idle session by at most this much.
const TOUCH_AFTER: i64 = 5;

/// How long the sign-in page's anonymous session lives.
const ANONYMOUS_TTL: i64 = 2;

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Sessions {
    /// Opens a session; returns its token. A signed-in session is stored before this returns;
    /// an anonymous one (no principal) is kept in memory only.
    pub async fn create(
        &self,
        state: &AppState,
        principal: Option<Principal>,
        kind: SessionKind,
    ) -> Result<(String, Session), WebError> {
        let now = state.now();
        let cfg = &state.config;
        let token = random_token();
        let csrf = if kind == SessionKind::Cookie { random_token() } else { String::new() };
        let principal = principal.map(|mut p| {
            p.via = match kind {
                SessionKind::Cookie => Via::Cookie { csrf: csrf.clone() },
                SessionKind::Bearer => Via::Bearer,
            };
            p
        });
        let ttl = match (&principal, kind) {
            (None, _) => Duration::hours(ANONYMOUS_TTL),
            (Some(_), SessionKind::Cookie) => cfg.session_idle.min(cfg.session_absolute),
            (Some(_), SessionKind::Bearer) => cfg.token_ttl,
        };
        let s = Session { principal, csrf, kind, created: now, expires: now + ttl };
        let k = key(&token);
        if let Some(p) = &s.principal {
            state
                .store
                .create_session(&store::sessions::SessionRecord {
                    token_hash: hex::encode(k),
                    username: p.username.clone(),
                    csrf: s.csrf.clone(),
                    kind,
                    created_at: now,
                    last_seen: now,
                    expires_at: s.expires,
                })
                .await?;
            self.purge_now_and_then(state, now);
        }
        let stored = s.principal.is_some();
        let mut map = locked(&self.map);
        if map.len() >= PRUNE_AT {
            map.retain(|_, v| v.session.expires > now);
            if map.len() >= PRUNE_AT {
                map.retain(|_, v| v.stored);
            }
            if map.len() >= PRUNE_AT {
                map.clear();
            }
        }
        map.insert(k, Cached { session: s.clone(), stored, checked: now, stored_expires: s.expires });
        Ok((token, s))
    }

    /// The live session of a token (its expiry slid forward for cookie sessions): from the
    /// cache, or read from the store on a miss or when the cached copy is older than
    /// [`WebConfig::session_recheck`]. A store failure reads as no session (logged).
    pub async fn get(&self, state: &AppState, token: &str) -> Option<Session> {
        let now = state.now();
        let cfg = &state.config;
        let k = key(token);
        // The expiry this process knows, which its own uses may have slid past the stored one.
        let mut known = None;
        {
            let mut map = locked(&self.map);
            if let Some(c) = map.get_mut(&k) {
                if c.session.expires <= now {
                    map.remove(&k);
                    return None;
                }
                if !c.stored || now - c.checked < cfg.session_recheck {
                    c.session.expires = c.session.used_at(now, cfg);
                    let s = c.session.clone();
                    if c.stored && s.expires - c.stored_expires >= Duration::minutes(TOUCH_AFTER) {
                        c.stored_expires = s.expires;
                        touch(state, &k, now, s.expires);
                    }
                    return Some(s);
                }
                known = Some(c.session.expires);
            }
        }
        let fresh = match self.read_stored(state, &k).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "reading a stored session failed");
                None
            }
        };
        let mut map = locked(&self.map);
        let Some(mut s) = fresh else {
            map.remove(&k);
            return None;
        };
        let stored_expires = s.expires;
        s.expires = s.expires.max(known.unwrap_or(s.expires));
        if s.expires <= now {
            map.remove(&k);
            return None;
        }
        s.expires = s.used_at(now, cfg);
        if s.expires - stored_expires >= Duration::minutes(TOUCH_AFTER) {
            touch(state, &k, now, s.expires);
        }
        let stored_expires = s.expires.max(stored_expires);
        map.insert(k, Cached { session: s.clone(), stored: true, checked: now, stored_expires });
        Some(s)
    }

    /// The stored session of a key if its user is active (the caller checks the expiry).
    async fn read_stored(&self, state: &AppState, k: &[u8; 32]) -> Result<Option<Session>, WebError> {
        let Some(r) = state.store.session_by_hash(&hex::encode(k)).await? else { return Ok(None) };
        let Some(user) = state.store.user_by_username(&r.username).await?.filter(|u| u.active) else {
            return Ok(None);
        };
        let via = match r.kind {
            SessionKind::Cookie => Via::Cookie { csrf: r.csrf.clone() },
            SessionKind::Bearer => Via::Bearer,
        };
        Ok(Some(Session {
            principal: Some(Principal::from_user(&user, via)),
            csrf: r.csrf,
            kind: r.kind,
            created: r.created_at,
            expires: r.expires_at,
        }))
    }

    /// Ends a session (sign-out, token revocation), in the store too.
    pub async fn remove(&self, state: &AppState, token: &str) -> Result<(), WebError> {
        let k = key(token);
        let stored = locked(&self.map).remove(&k).is_none_or(|c| c.stored);
        if stored {
            state.store.delete_session(&hex::encode(k)).await?;
        }
        Ok(())
    }

    /// Forgets every cached session and token of a user. The store ends the stored ones
    /// itself when the password changes or the user is deactivated; `end_user_sessions` does
    /// it for other reasons.
    pub fn forget_user(&self, username: &str) {
        locked(&self.map).retain(|_, c| c.session.principal.as_ref().is_none_or(|p| p.username != username));
    }

    /// Ends every session and token of a user, stored and cached.
    pub async fn end_user_sessions(&self, state: &AppState, username: &str) -> Result<(), WebError> {
        state.store.delete_user_sessions(username).await?;
        self.forget_user(username);
        Ok(())
    }

    /// Deletes the expired stored sessions, at most once an hour (in the background).
    fn purge_now_and_then(&self, state: &AppState, now: DateTime<FixedOffset>) {
        {
            let mut last = locked(&self.last_purge);
            if last.is_some_and(|t| now - t < Duration::hours(1)) {
                return;
            }
            *last = Some(now);
        }
        let store = std::sync::Arc::clone(&state.store);
        tokio::spawn(async move {
            match store.purge_expired_sessions(now).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
            }
        });
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

/// Writes a session's slid expiry to the store in the background: losing it (a crash) only
/// shortens the session by at most [`TOUCH_AFTER`] minutes.
fn touch(state: &AppState, k: &[u8; 32], now: DateTime<FixedOffset>, expires: DateTime<FixedOffset>) {
    let store = std::sync::Arc::clone(&state.store);
    let hash = hex::encode(k);
    tokio::spawn(async move {
        if let Err(e) = store.touch_session(&hash, now, expires).await {
            tracing::warn!(error = %e, "recording a session's use failed");
        }
    });
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
pub async fn session_of(state: &AppState, headers: &axum::http::HeaderMap) -> Option<Session> {
    if let Some(t) = bearer(headers) {
        return state.sessions.get(state, t).await.filter(|s| s.kind == SessionKind::Bearer);
    }
    let t = cookie(headers, SESSION_COOKIE)?;
    state.sessions.get(state, t).await.filter(|s| s.kind == SessionKind::Cookie)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let p = session_of(state, &parts.headers)
            .await
            .and_then(|s| s.principal)
            .ok_or(WebError::Unauthenticated)?;
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
        Ok(MaybeSession(session_of(state, &parts.headers).await))
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
    fn cookie_sessions_slide_up_to_their_absolute_limit_and_tokens_do_not() {
        let cfg = WebConfig::default();
        let signed_in = t("2024-03-01T09:00:00+08:00");
        let mut s = Session {
            principal: None,
            csrf: String::new(),
            kind: SessionKind::Cookie,
            created: signed_in,
            expires: signed_in + cfg.session_idle,
        };
        // Used at 16:00 (7 hours in), it now lives until 24:00.
        let at = t("2024-03-01T16:00:00+08:00");
        assert_eq!(s.used_at(at, &cfg), at + cfg.session_idle);
        // Used at 08:00 next day, it may not pass 24 hours after sign-in.
        s.expires = t("2024-03-02T08:30:00+08:00");
        assert_eq!(s.used_at(t("2024-03-02T08:00:00+08:00"), &cfg), signed_in + cfg.session_absolute);
        // A use never shortens it.
        assert_eq!(s.used_at(signed_in, &cfg), s.expires);
        s.kind = SessionKind::Bearer;
        assert_eq!(s.used_at(at, &cfg), s.expires, "a token keeps its expiry");
    }

    #[test]
    fn cookie_flags() {
        let mut cfg = WebConfig::default();
        assert_eq!(session_cookie("ab", &cfg), "huiqi_session=ab; Path=/; HttpOnly; SameSite=Strict");
        cfg.secure_cookies = true;
        assert!(session_cookie("ab", &cfg).ends_with("; Secure"));
    }
}
