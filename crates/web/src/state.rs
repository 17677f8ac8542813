//! The application state every handler receives: the store, the configuration, the clock,
//! the session cache, the policy library and the decisions made with it lately.

use crate::auth::Sessions;
use axum::body::Bytes;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The source of "now". The server reads the system clock; tests fix and advance it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The system clock, in China Standard Time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        chrono::Utc::now().with_timezone(&store::china_offset())
    }
}

/// A clock that says what it is told (tests).
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<FixedOffset>>);

impl FixedClock {
    pub fn new(at: DateTime<FixedOffset>) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<FixedOffset>) {
        if let Ok(mut g) = self.0.lock() {
            *g = at;
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        match self.0.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }
}

/// Settings of the web layer. The binary fills it from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
    /// How long a signed-in (cookie) session lives without use.
    pub session_idle: Duration,
    /// How long a cookie session lives after sign-in however much it is used.
    pub session_absolute: Duration,
    /// How long a cached session is trusted before its stored row and its user are read again:
    /// the longest another process over the same database takes to honour a sign-out, a
    /// password change or a deactivation (this process honours them at once).
    pub session_recheck: Duration,
    /// How long a bearer token lives.
    pub token_ttl: Duration,
    /// Failed sign-ins in a row before a username is locked.
    pub max_failed_logins: i32,
    /// How long a lock lasts.
    pub lockout: Duration,
    /// The shortest password accepted on a change or reset.
    pub min_password_len: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_idle: Duration::hours(8),
            session_absolute: Duration::hours(24),
            session_recheck: Duration::seconds(5),
            token_ttl: Duration::hours(12),
            max_failed_logins: 5,
            lockout: Duration::minutes(15),
            min_password_len: 8,
        }
    }
}

/// What handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn store::Store>,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    pub sessions: Arc<Sessions>,
    /// The policy library in use (with its case results and decisions cache) and the time
    /// limits, swapped whole when an officer saves (see [`crate::policy_docs::Live`]).
    pub live: Arc<crate::policy_docs::Live>,
}

/// An enterprise's decisions on a date as the API sends them (the JSON and its `ETag`), kept
/// with the enterprise's version ([`store::EnterpriseHead::version`]) they were made at.
///
/// Deciding every item with its explanation tree and writing ~22 KB of JSON cost far more
/// than loading the enterprise, and the answer only changes with the facts, the date or the
/// library. A request reads the enterprise's head (links for authorisation, and its version:
/// the count of its recorded changes, one index read) and reuses the cached answer only when
/// the version is the one it was made at, so a change to the enterprise or its facts is
/// never served stale, whether made by this process or another (an import from the command
/// line). The facts are loaded only on a miss. The library is fixed per
/// [`crate::policy_docs::PolicySet`] (a saved library comes with an empty cache). At most [`DecisionCache::CAPACITY`]
/// entries (a full cache drops an arbitrary one); the handler, not this cache, checks who may
/// read what.
#[derive(Debug, Default)]
pub struct DecisionCache {
    entries: Mutex<HashMap<(String, NaiveDate), Arc<CachedDecisions>>>,
}

/// One entry of [`DecisionCache`].
#[derive(Debug)]
pub struct CachedDecisions {
    pub version: i64,
    pub json: Bytes,
    pub etag: String,
}

impl DecisionCache {
    /// About 25 KB an entry (the JSON) for the shipped library: ≤ 13 MB.
    pub const CAPACITY: usize = 512;

    /// The answer for an enterprise on a date if it was made at `version`.
    pub fn get(&self, uscc: &str, date: NaiveDate, version: i64) -> Option<Arc<CachedDecisions>> {
        let g = self.entries.lock().ok()?;
        g.get(&(uscc.to_string(), date)).filter(|c| c.version == version).cloned()
    }

    pub fn put(&self, uscc: &str, date: NaiveDate, entry: Arc<CachedDecisions>) {
        if let Ok(mut g) = self.entries.lock() {
            let key = (uscc.to_string(), date);
            if g.len() >= Self::CAPACITY
                && !g.contains_key(&key)
                && let Some(k) = g.keys().next().cloned()
            {
                g.remove(&k);
            }
            g.insert(key, entry);
        }
    }
}

impl AppState {
    /// A state over `store` with the system clock.
    pub fn new(store: Arc<dyn store::Store>, config: WebConfig) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            sessions: Arc::new(Sessions::default()),
            live: Arc::new(crate::policy_docs::Live::default()),
        }
    }

    /// Sets the policy library (the binary passes the database copy) and runs its test cases
    /// once, so item pages show their results without re-running them per request.
    pub fn with_library(self, library: Arc<rules::Library>) -> AppState {
        self.live.set_policies(crate::policy_docs::PolicySet::new(library));
        self
    }

    /// Sets the time limits new problems are received under (the binary passes the database
    /// copy; the default is the shipped one).
    pub fn with_time_limits(self, limits: handling::TimeLimits) -> AppState {
        self.live.set_time_limits(limits);
        self
    }

    /// The policy set in use now.
    pub fn policies(&self) -> Arc<crate::policy_docs::PolicySet> {
        self.live.policies()
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AppState {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }
}
