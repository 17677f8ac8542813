//! Who is asking: sessions and bearer tokens as the web carries them, and the
//! [`Principal`] extractor.
//!
//! The decisions live in the application layer ([`app::sessions`], [`app::users`]): the
//! sign-in (argon2id verification, lock-out per account and source address with back-off),
//! how long a session lives, tokens and their storage. This module keeps what is HTTP:
//!
//! - A session is a random 256-bit token (hex). Browsers carry it in the `huiqi_session`
//!   cookie (HttpOnly, SameSite=Strict, Path=/, Secure when configured; read and written
//!   with axum-extra's cookie jar); API clients get a bearer token from
//!   `POST /api/v1/auth/token`. Each cookie session has its own CSRF token (synchroniser
//!   token). Signed-in sessions are stored under the token's SHA-256 (never the token), so
//!   they survive a restart and every process over the database honours a sign-out;
//!   [`Sessions`] is the cache in front of the store, so a request costs no database read in
//!   the common case. Anonymous sessions (the sign-in page's CSRF token) are stored too
//!   (`app::sessions::open_anonymous`), so the sign-in form may be posted to another server
//!   behind the load balancer than the one that served it.
//! - Limits ([`WebConfig`]): a cookie session ends after `session_idle` without use and
//!   `session_absolute` after sign-in, whichever is first; a bearer token after `token_ttl`.
//!   Sign-out and token revocation delete the session; a password change or reset, a role
//!   change and a deactivation delete every session of the user (the store does it in the
//!   same transaction). Another process sees such a deletion within `session_recheck`, when
//!   its cache re-reads the row and the user. Expired rows are purged by the scheduled jobs
//!   (`app::jobs`), once across all servers.

use crate::error::WebError;
use crate::state::{AppState, WebConfig};
use app::sessions::token_key;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Duration, FixedOffset};
use std::collections::HashMap;
use std::sync::Mutex;
use store::User;

pub const SESSION_COOKIE: &str = "huiqi_session";

/// A signed-in user as the web layer sees them: the use cases' [`app::Principal`] and how
/// the request proved who it is. Dereferences to the [`app::Principal`], which is what the
/// use cases and [`crate::authz`] take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: app::Principal,
    /// How the request proved who it is.
    pub via: Via,
    /// For admins: the calendar years to load now ([`app::calendar::warning_for`]), shown on
    /// every page.
    pub calendar_warning: Option<app::calendar::CalendarWarning>,
    /// For enterprise users signed in by cookie (pages): their unread inbox messages
    /// ([`app::inbox::unread`]), shown beside their name.
    pub inbox_unread: Option<u64>,
    /// For everyone signed in by cookie (pages): their unread notifications
    /// ([`app::notifications::unread_count`]), the number on the bell.
    pub notifications_unread: Option<u64>,
    /// Navigation links this user's role has but this user may not open (pages): a
    /// department that neither runs nor reads 物流保通保畅 ([`app::logistics::reads_all`])
    /// does not see `/logistics`. `None` until the extractor has asked.
    pub nav_hidden: Option<Vec<&'static str>>,
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
        Principal {
            user: app::Principal::from_user(u),
            via,
            calendar_warning: None,
            inbox_unread: None,
            notifications_unread: None,
            nav_hidden: None,
        }
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
    /// The expiry after a use at `now` ([`app::sessions::SessionRules::expiry_after_use`]).
    fn used_at(&self, now: DateTime<FixedOffset>, cfg: &WebConfig) -> DateTime<FixedOffset> {
        cfg.session_rules().expiry_after_use(self.kind, self.created, self.expires, now)
    }
}

/// A cached session with what the cache knows of its stored row.
#[derive(Debug, Clone)]
struct Cached {
    session: Session,
    /// Whether the session is signed in (anonymous ones are evicted first, and their expiry
    /// does not slide).
    stored: bool,
    /// When the stored row and its user were last read.
    checked: DateTime<FixedOffset>,
    /// The expiry as last written to the store.
    stored_expires: DateTime<FixedOffset>,
}

/// The cache of sessions in front of the store.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Cached>>,
}

/// More entries than this and expired ones are pruned before an insert; anonymous sessions
/// are evicted first beyond it, then signed-in ones (they are re-read from the store).
const PRUNE_AT: usize = 50_000;

/// A slid expiry is written to the store when it has moved this far: a use costs no write,
/// and a restart shortens an idle session by at most this much.
const TOUCH_AFTER: i64 = 5;

fn key(token: &str) -> [u8; 32] {
    token_key(token)
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Sessions {
    /// Opens a session; returns its token. The session (signed in, or anonymous: no
    /// principal) is stored before this returns.
    pub async fn create(
        &self,
        state: &AppState,
        principal: Option<Principal>,
        kind: SessionKind,
    ) -> Result<(String, Session), WebError> {
        let now = state.now();
        let (token, s) = match principal {
            Some(mut p) => {
                let opened = app::sessions::open(&state.app, &p, kind, &state.config.session_rules()).await?;
                let r = opened.record;
                p.via = match kind {
                    SessionKind::Cookie => Via::Cookie { csrf: r.csrf.clone() },
                    SessionKind::Bearer => Via::Bearer,
                };
                let s = Session {
                    principal: Some(p),
                    csrf: r.csrf,
                    kind,
                    created: r.created_at,
                    expires: r.expires_at,
                };
                (opened.token, s)
            }
            None => {
                let (token, r) = app::sessions::open_anonymous(&state.app).await?;
                let s = Session {
                    principal: None,
                    csrf: r.csrf,
                    kind: SessionKind::Cookie,
                    created: r.created_at,
                    expires: r.expires_at,
                };
                (token, s)
            }
        };
        let k = key(&token);
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
                if !c.stored {
                    // Anonymous: its stored row never changes; it ends at its fixed expiry.
                    return Some(c.session.clone());
                }
                if now - c.checked < cfg.session_recheck {
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
        if s.principal.is_none() {
            // Anonymous, opened by another server: cached as it is stored.
            if s.expires <= now {
                return None;
            }
            map.insert(
                k,
                Cached { session: s.clone(), stored: false, checked: now, stored_expires: s.expires },
            );
            return Some(s);
        }
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

    /// The stored session of a key if its user is active, or the stored anonymous session
    /// (the caller checks the expiry).
    async fn read_stored(&self, state: &AppState, k: &[u8; 32]) -> Result<Option<Session>, WebError> {
        let Some((r, user)) = app::sessions::find(&state.app, k).await? else {
            return Ok(app::sessions::find_anonymous(&state.app, k).await?.map(|a| Session {
                principal: None,
                csrf: a.csrf,
                kind: SessionKind::Cookie,
                created: a.created_at,
                expires: a.expires_at,
            }));
        };
        let via = match r.kind {
            SessionKind::Cookie => Via::Cookie { csrf: r.csrf.clone() },
            SessionKind::Bearer => Via::Bearer,
        };
        Ok(Some(Session {
            principal: Some(Principal {
                user,
                via,
                calendar_warning: None,
                inbox_unread: None,
                notifications_unread: None,
                nav_hidden: None,
            }),
            csrf: r.csrf,
            kind: r.kind,
            created: r.created_at,
            expires: r.expires_at,
        }))
    }

    /// Ends a session (sign-out, token revocation), in the store too.
    pub async fn remove(&self, state: &AppState, token: &str) -> Result<(), WebError> {
        let k = key(token);
        let signed_in = locked(&self.map).remove(&k).map(|c| c.stored);
        // Not cached here (opened by another server): either kind.
        if signed_in != Some(false) && app::sessions::close(&state.app, &k).await? {
            return Ok(());
        }
        if signed_in != Some(true) {
            app::sessions::close_anonymous(&state.app, &k).await?;
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
        app::sessions::end_all(&state.app, username).await?;
        self.forget_user(username);
        Ok(())
    }
}

/// Writes a session's slid expiry to the store in the background: losing it (a crash) only
/// shortens the session by at most [`TOUCH_AFTER`] minutes.
fn touch(state: &AppState, k: &[u8; 32], now: DateTime<FixedOffset>, expires: DateTime<FixedOffset>) {
    let app = state.app.clone();
    let k = *k;
    tokio::spawn(async move {
        if let Err(e) = app::sessions::record_use(&app, &k, now, expires).await {
            tracing::warn!(error = %e, "recording a session's use failed");
        }
    });
}

/// Decides a sign-in ([`app::sessions::sign_in`]) from `address`: the user, or
/// [`WebError::BadCredentials`] / [`WebError::Locked`].
pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: &str,
    address: &str,
) -> Result<User, WebError> {
    let req = app::sessions::SignInRequest { username, password, address };
    Ok(app::sessions::sign_in(&state.app, &state.sign_in, req).await?)
}

/// The session token of a request's `huiqi_session` cookie.
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers).get(SESSION_COOKIE).map(|c| c.value().to_string())
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
    let t = session_token(headers)?;
    state.sessions.get(state, &t).await.filter(|s| s.kind == SessionKind::Cookie)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut p = match parts.extensions.get::<Principal>() {
            Some(p) => p.clone(),
            None => session_of(state, &parts.headers)
                .await
                .and_then(|s| s.principal)
                .ok_or(WebError::Unauthenticated)?,
        };
        // Admins are told which calendar years to load (one cached read of the years).
        if p.user.role == store::Role::Admin && p.calendar_warning.is_none() {
            p.calendar_warning = app::calendar::warning_for(&state.app, &p.user).await.ok().flatten();
        }
        if p.user.role == store::Role::Enterprise
            && matches!(p.via, Via::Cookie { .. })
            && p.inbox_unread.is_none()
        {
            p.inbox_unread = app::inbox::unread(&state.app, &p.user).await.ok().flatten();
        }
        if p.user.role != store::Role::System
            && matches!(p.via, Via::Cookie { .. })
            && p.notifications_unread.is_none()
        {
            p.notifications_unread = app::notifications::unread_count(&state.app, &p.user).await.ok();
        }
        if p.user.role == store::Role::Department
            && matches!(p.via, Via::Cookie { .. })
            && p.nav_hidden.is_none()
        {
            let reads = app::logistics::reads_all(&state.app, &p.user).await.unwrap_or(false);
            p.nav_hidden = Some(if reads { Vec::new() } else { vec!["/logistics"] });
        }
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

/// The session cookie: `HttpOnly; SameSite=Strict; Path=/`, `Secure` when configured.
pub fn session_cookie(token: &str, cfg: &WebConfig) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(cfg.secure_cookies)
        .build()
}

/// The cookie that removes the session cookie (empty, `Max-Age=0`, same attributes).
pub fn clear_session_cookie(cfg: &WebConfig) -> Cookie<'static> {
    let mut c = session_cookie("", cfg);
    c.make_removal();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_flags() {
        let mut cfg = WebConfig::default();
        let c = session_cookie("ab", &cfg).to_string();
        assert!(c.starts_with("huiqi_session=ab;"), "{c}");
        for flag in ["; HttpOnly", "; SameSite=Strict", "; Path=/"] {
            assert!(c.contains(flag), "{c}");
        }
        assert!(!c.contains("Secure"), "{c}");
        cfg.secure_cookies = true;
        assert!(session_cookie("ab", &cfg).to_string().contains("; Secure"));
        let gone = clear_session_cookie(&cfg).to_string();
        assert!(
            gone.starts_with("huiqi_session=;") && gone.contains("Max-Age=0") && gone.contains("HttpOnly"),
            "{gone}"
        );
    }

    #[test]
    fn the_session_cookie_is_found_by_its_exact_name() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(header::COOKIE, "xhuiqi_session=1; huiqi_session=abc; lang=en".parse().unwrap());
        assert_eq!(session_token(&h).as_deref(), Some("abc"));
        assert_eq!(session_token(&axum::http::HeaderMap::new()), None);
    }
}
