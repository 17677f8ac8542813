//! The application state every handler receives: the store, the configuration, the clock,
//! the in-memory sessions and the policy library.

use crate::auth::Sessions;
use chrono::{DateTime, Duration, FixedOffset};
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
    /// How long a signed-in session lives without use.
    pub session_idle: Duration,
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
    /// The policy library decisions are made with (empty until [`AppState::with_library`]).
    pub library: Arc<rules::Library>,
    /// The library's test case results, run once when the library is set.
    pub case_reports: Arc<Vec<rules::CaseReport>>,
}

impl AppState {
    /// A state over `store` with the system clock.
    pub fn new(store: Arc<dyn store::Store>, config: WebConfig) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            sessions: Arc::new(Sessions::default()),
            library: Arc::new(rules::Library::default()),
            case_reports: Arc::new(Vec::new()),
        }
    }

    /// Sets the policy library (the binary passes the shipped one) and runs its test cases
    /// once, so item pages show their results without re-running them per request.
    pub fn with_library(mut self, library: Arc<rules::Library>) -> AppState {
        self.case_reports = Arc::new(library.run_cases());
        self.library = library;
        self
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
