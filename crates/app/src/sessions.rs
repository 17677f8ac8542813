//! Sessions (会话): the sign-in decision (verify the password, keep the failed attempts, lock
//! out), opening and ending stored sessions and bearer tokens, and when a session expires.
//! The web keeps the cookies and the cache in front of the stored sessions; what is decided
//! lives here.
//!
//! Lock-out policy ([`LockoutPolicy`]): failures are counted per account AND source address.
//! The [`LockoutPolicy::max_failures`]-th wrong password in a row from one address locks that
//! account for that address only, first for [`LockoutPolicy::first_lock`], each further lock
//! in a row twice as long, at most [`LockoutPolicy::longest_lock`]; a day without failures
//! forgets the history. The right password from any other address still signs in, so no
//! stranger can lock the owner out; an administrator can lift every lock at once
//! ([`crate::users::unlock`]), and a password reset lifts them too. Failures of unknown (or
//! deactivated) usernames are counted the same way in this process's memory
//! ([`SignInGuard`]), and a dummy hash is verified, so neither the answer nor its timing tells
//! whether a username exists.

use crate::users::{hash_password, verify_blocking};
use crate::{App, Error, Principal, Result};
use chrono::{DateTime, Duration, FixedOffset};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use store::User;
use store::accounts::SignInFailures;
use store::request_state::AnonymousSession;
use store::sessions::{SessionKind, SessionRecord};

/// When failed sign-ins lock an account for an address, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Wrong passwords in a row from one address before that address is locked out.
    pub max_failures: i32,
    /// The first lock; each further lock in a row doubles it.
    pub first_lock: Duration,
    /// The longest lock.
    pub longest_lock: Duration,
    /// A history this long without a failure (and no lock) is forgotten.
    pub forget_after: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            first_lock: Duration::minutes(15),
            longest_lock: Duration::hours(24),
            forget_after: Duration::hours(24),
        }
    }
}

impl LockoutPolicy {
    /// How long the `locks`-th lock in a row lasts (1 = the first).
    pub fn lock_for(&self, locks: i32) -> Duration {
        let doublings = u32::try_from(locks.saturating_sub(1)).unwrap_or(0).min(20);
        let lock = self.first_lock.checked_mul(1 << doublings).unwrap_or(self.longest_lock);
        lock.min(self.longest_lock)
    }
}

/// The lock in force at `now`, if any.
pub fn lock_in_force(f: &SignInFailures, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    f.locked_until.filter(|u| *u > now)
}

/// The failures after one more wrong password at `now`: a lock that has run out starts a
/// fresh count (keeping the number of locks for the back-off), a quiet day forgets everything,
/// and the `max_failures`-th failure in a row locks.
pub fn after_failure(
    prev: Option<SignInFailures>,
    now: DateTime<FixedOffset>,
    p: &LockoutPolicy,
) -> SignInFailures {
    let mut f =
        prev.unwrap_or(SignInFailures { failures: 0, locks: 0, locked_until: None, last_failure: now });
    let quiet_since = f.locked_until.unwrap_or(f.last_failure).max(f.last_failure);
    if now - quiet_since >= p.forget_after {
        f = SignInFailures { failures: 0, locks: 0, locked_until: None, last_failure: now };
    } else if f.locked_until.is_some_and(|u| u <= now) {
        f.failures = 0;
        f.locked_until = None;
    }
    f.failures = f.failures.saturating_add(1);
    f.last_failure = now;
    if f.failures >= p.max_failures && lock_in_force(&f, now).is_none() {
        f.locks = f.locks.saturating_add(1);
        f.locked_until = Some(now + p.lock_for(f.locks));
    }
    f
}

/// The sign-in policy in force and the failures of unknown usernames (kept in memory: they
/// have no stored account to keep them on). One per server process.
#[derive(Debug, Default)]
pub struct SignInGuard {
    pub policy: LockoutPolicy,
    unknown: Mutex<HashMap<(String, String), SignInFailures>>,
}

/// More remembered unknown usernames than this and the ones without a lock in force go.
const REMEMBER_AT_MOST: usize = 50_000;

impl SignInGuard {
    pub fn new(policy: LockoutPolicy) -> SignInGuard {
        SignInGuard { policy, unknown: Mutex::default() }
    }

    fn unknown(&self, key: &(String, String)) -> Option<SignInFailures> {
        self.unknown.lock().ok().and_then(|m| m.get(key).copied())
    }

    fn remember(&self, key: (String, String), f: SignInFailures, now: DateTime<FixedOffset>) {
        if let Ok(mut m) = self.unknown.lock() {
            if m.len() >= REMEMBER_AT_MOST {
                m.retain(|_, v| lock_in_force(v, now).is_some());
            }
            if m.len() >= REMEMBER_AT_MOST {
                m.clear();
            }
            m.insert(key, f);
        }
    }
}

/// A sign-in attempt: the username and password as typed, and the source address the front
/// end saw (the client's IP address; a fixed word such as `console` where there is none).
#[derive(Debug, Clone)]
pub struct SignInRequest<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub address: &'a str,
}

fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// Decides a sign-in: the active user whose password this is, or [`Error::BadCredentials`],
/// or [`Error::SignInLocked`] while the account is locked for this address (even for the
/// right password). Keeps the count of failures (see the module docs).
#[tracing::instrument(skip(app, guard, req), fields(user.username = %req.username.trim()))]
pub async fn sign_in(app: &App, guard: &SignInGuard, req: SignInRequest<'_>) -> Result<User> {
    let now = app.now();
    let username = req.username.trim();
    let user = app.store.user_by_username(username).await?.filter(|u| u.active);
    let Some(user) = user else {
        let key = (username.to_string(), req.address.to_string());
        let prev = guard.unknown(&key);
        if let Some(until) = prev.as_ref().and_then(|f| lock_in_force(f, now)) {
            return Err(Error::SignInLocked { until });
        }
        let _ = verify_blocking(req.password, dummy_hash()).await?;
        let next = after_failure(prev, now, &guard.policy);
        guard.remember(key, next, now);
        return Err(refusal(&next, now));
    };
    let prev = app.store.sign_in_failures(&user.username, req.address).await?;
    if let Some(until) = prev.as_ref().and_then(|f| lock_in_force(f, now)) {
        return Err(Error::SignInLocked { until });
    }
    if verify_blocking(req.password, &user.password_hash).await? {
        if prev.is_some() {
            app.store.clear_sign_in_failures(&user.username, req.address).await?;
        }
        return Ok(user);
    }
    let next = after_failure(prev, now, &guard.policy);
    app.store.set_sign_in_failures(&user.username, req.address, &next).await?;
    tracing::info!(failures = next.failures, locked = next.locked_until.is_some(), "failed sign-in");
    Err(refusal(&next, now))
}

fn refusal(f: &SignInFailures, now: DateTime<FixedOffset>) -> Error {
    match lock_in_force(f, now) {
        Some(until) => Error::SignInLocked { until },
        None => Error::BadCredentials,
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRules {
    /// A cookie session ends this long after its last use…
    pub idle: Duration,
    /// …and this long after sign-in however much it is used.
    pub absolute: Duration,
    /// A bearer token ends this long after it was issued, used or not.
    pub token_ttl: Duration,
}

impl Default for SessionRules {
    fn default() -> Self {
        SessionRules {
            idle: Duration::hours(8),
            absolute: Duration::hours(24),
            token_ttl: Duration::hours(12),
        }
    }
}

impl SessionRules {
    /// The lifetime of a new signed-in session of a kind.
    pub fn lifetime(&self, kind: SessionKind) -> Duration {
        match kind {
            SessionKind::Cookie => self.idle.min(self.absolute),
            SessionKind::Bearer => self.token_ttl,
        }
    }

    /// The expiry after a use at `now`: a cookie session slides to `now + idle` but never
    /// past `created + absolute` and never back; a bearer token keeps its own.
    pub fn expiry_after_use(
        &self,
        kind: SessionKind,
        created: DateTime<FixedOffset>,
        expires: DateTime<FixedOffset>,
        now: DateTime<FixedOffset>,
    ) -> DateTime<FixedOffset> {
        match kind {
            SessionKind::Cookie => expires.max((now + self.idle).min(created + self.absolute)),
            SessionKind::Bearer => expires,
        }
    }
}

/// 256 random bits as 64 hex characters, from the thread-local CSPRNG (ChaCha, OS-seeded):
/// session tokens and CSRF tokens.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    hex::encode(b)
}

/// The SHA-256 of a token, the key it is stored under (the token itself never is).
pub fn token_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two secrets in time independent of where they differ (`subtle`).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A session just opened: its token (given to the client once) and its stored record.
#[derive(Debug, Clone)]
pub struct Opened {
    pub token: String,
    pub record: SessionRecord,
}

/// Opens a signed-in session (with a CSRF token, for a browser) or a bearer token.
#[tracing::instrument(skip(app, who, rules), fields(user.username = %who.username, kind = kind.as_str()))]
pub async fn open(app: &App, who: &Principal, kind: SessionKind, rules: &SessionRules) -> Result<Opened> {
    let now = app.now();
    let token = new_token();
    let record = SessionRecord {
        token_hash: hex::encode(token_key(&token)),
        username: who.username.clone(),
        csrf: if kind == SessionKind::Cookie { new_token() } else { String::new() },
        kind,
        created_at: now,
        last_seen: now,
        expires_at: now + rules.lifetime(kind),
    };
    app.store.create_session(&record).await?;
    Ok(Opened { token, record })
}

/// The stored session under a token's key with its user, if both exist and the user is
/// active (the caller checks the expiry).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find(app: &App, key: &[u8; 32]) -> Result<Option<(SessionRecord, Principal)>> {
    let Some(r) = app.store.session_by_hash(&hex::encode(key)).await? else { return Ok(None) };
    let Some(user) = app.store.user_by_username(&r.username).await?.filter(|u| u.active) else {
        return Ok(None);
    };
    Ok(Some((r, Principal::from_user(&user))))
}

/// Ends one session or token (sign-out, revocation). Returns whether it existed.
#[tracing::instrument(skip_all)]
pub async fn close(app: &App, key: &[u8; 32]) -> Result<bool> {
    Ok(app.store.delete_session(&hex::encode(key)).await?)
}

/// Ends every session and token of a user. Returns how many.
#[tracing::instrument(skip_all)]
pub async fn end_all(app: &App, username: &str) -> Result<u64> {
    Ok(app.store.delete_user_sessions(username).await?)
}

/// Records a use of a session: when, and its slid expiry.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_use(
    app: &App,
    key: &[u8; 32],
    at: DateTime<FixedOffset>,
    expires: DateTime<FixedOffset>,
) -> Result<bool> {
    Ok(app.store.touch_session(&hex::encode(key), at, expires).await?)
}

/// Deletes the sessions expired at `now`. Returns how many.
#[tracing::instrument(skip_all)]
pub async fn purge_expired(app: &App, now: DateTime<FixedOffset>) -> Result<u64> {
    Ok(app.store.purge_expired_sessions(now).await?)
}

/// How long the sign-in page's anonymous session lives.
pub const ANONYMOUS_TTL: Duration = Duration::hours(2);

/// Opens a visitor's anonymous session (the sign-in page's CSRF token), stored so that the
/// sign-in form may be posted to any server over the database: its token (for the cookie)
/// and its record.
#[tracing::instrument(skip(app))]
pub async fn open_anonymous(app: &App) -> Result<(String, AnonymousSession)> {
    let now = app.now();
    let token = new_token();
    let record = AnonymousSession {
        token_hash: hex::encode(token_key(&token)),
        csrf: new_token(),
        created_at: now,
        expires_at: now + ANONYMOUS_TTL,
    };
    app.store.create_anonymous_session(&record).await?;
    Ok((token, record))
}

/// The anonymous session under a token's key, if stored and not expired.
pub async fn find_anonymous(app: &App, key: &[u8; 32]) -> Result<Option<AnonymousSession>> {
    let now = app.now();
    Ok(app.store.anonymous_session(&hex::encode(key)).await?.filter(|s| s.expires_at > now))
}

/// Ends an anonymous session (its visitor signed in). Returns whether it existed.
pub async fn close_anonymous(app: &App, key: &[u8; 32]) -> Result<bool> {
    Ok(app.store.delete_anonymous_session(&hex::encode(key)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes_and_the_lock_runs_out() {
        let p = LockoutPolicy::default();
        let now = t("2024-03-01T09:00:00+08:00");
        let mut st = None;
        for i in 1..5 {
            let f = after_failure(st, now, &p);
            assert_eq!(f.failures, i);
            assert_eq!(lock_in_force(&f, now), None);
            st = Some(f);
        }
        let f = after_failure(st, now, &p);
        let until = t("2024-03-01T09:15:00+08:00");
        assert_eq!(lock_in_force(&f, now), Some(until));
        assert_eq!(lock_in_force(&f, t("2024-03-01T09:14:59+08:00")), Some(until));
        assert_eq!(lock_in_force(&f, until), None);
        // After the lock, the count starts again; the lock is remembered for the back-off.
        let later = after_failure(Some(f), until, &p);
        assert_eq!((later.failures, later.locks, later.locked_until), (1, 1, None));
    }

    #[test]
    fn locks_in_a_row_double_up_to_a_day_and_a_quiet_day_forgets() {
        let p = LockoutPolicy::default();
        let mut now = t("2024-03-01T09:00:00+08:00");
        let mut f = None;
        let mut lengths = Vec::new();
        for _ in 0..9 {
            for _ in 0..5 {
                f = Some(after_failure(f, now, &p));
            }
            let until = f.unwrap().locked_until.unwrap();
            lengths.push((until - now).num_minutes());
            now = until;
        }
        assert_eq!(lengths, [15, 30, 60, 120, 240, 480, 960, 1440, 1440]);
        let forgot = after_failure(f, now + Duration::hours(24), &p);
        assert_eq!((forgot.failures, forgot.locks), (1, 0));
    }

    #[test]
    fn cookie_sessions_slide_up_to_their_absolute_limit_and_tokens_do_not() {
        let r = SessionRules::default();
        let signed_in = t("2024-03-01T09:00:00+08:00");
        let expires = signed_in + r.idle;
        let at = t("2024-03-01T16:00:00+08:00");
        assert_eq!(r.expiry_after_use(SessionKind::Cookie, signed_in, expires, at), at + r.idle);
        let late = t("2024-03-02T08:30:00+08:00");
        assert_eq!(
            r.expiry_after_use(SessionKind::Cookie, signed_in, late, t("2024-03-02T08:00:00+08:00")),
            signed_in + r.absolute
        );
        assert_eq!(
            r.expiry_after_use(SessionKind::Cookie, signed_in, late, signed_in),
            late,
            "never shortened"
        );
        assert_eq!(r.expiry_after_use(SessionKind::Bearer, signed_in, expires, at), expires);
    }

    #[test]
    fn tokens_are_random_and_secrets_compare_exactly() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, &b));
        assert!(!secrets_equal(&a, &a[..63]));
        assert_eq!(hex::encode(token_key("x")).len(), 64);
    }
}
