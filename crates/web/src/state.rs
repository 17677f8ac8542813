//! The application state every handler receives: the use cases' [`app::App`] (the store,
//! the policies and time limits in use, the clock), the web layer's configuration and the
//! session cache.

use crate::auth::Sessions;
use app::{App, Clock};
use chrono::{DateTime, Duration, FixedOffset};
use std::sync::Arc;

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

/// What handlers share. Cheap to clone. Dereferences to the [`App`], so `state.store`,
/// `state.live` and `state.clock` are the use cases' own.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
    pub sessions: Arc<Sessions>,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    /// A state over `store` with the system clock.
    pub fn new(store: Arc<dyn store::Store>, config: WebConfig) -> AppState {
        AppState { app: App::new(store), config: Arc::new(config), sessions: Arc::new(Sessions::default()) }
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
        self.app = self.app.with_clock(clock);
        self
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }
}
