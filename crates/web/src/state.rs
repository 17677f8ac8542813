//! The application state every handler receives: the use cases' [`app::App`] (the store,
//! the policies and time limits in use, the clock), the web layer's configuration and the
//! session cache.

use crate::auth::Sessions;
use crate::limits::{Limiter, RateLimits};
use app::sessions::{LockoutPolicy, SessionRules, SignInGuard};
use app::users::PasswordRules;
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
    /// Failed sign-ins in a row from one address before the account is locked for that
    /// address (app::sessions, the lock-out policy).
    pub max_failed_logins: i32,
    /// How long the first lock lasts; each further lock in a row doubles it…
    pub lockout: Duration,
    /// …up to this.
    pub longest_lockout: Duration,
    /// The shortest password accepted on a change or reset.
    pub min_password_len: usize,
    /// Request rate limits per client address and per user ([`crate::limits`]).
    pub rate_limits: RateLimits,
    /// The header a trusted reverse proxy puts the client's address in (`x-forwarded-for`,
    /// whose last entry is taken, or `x-real-ip`). `None`: the connection's peer address.
    /// Set it only behind such a proxy: otherwise clients could choose their own address.
    pub client_address_header: Option<String>,
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
            longest_lockout: Duration::hours(24),
            min_password_len: app::users::MIN_PASSWORD_CHARS,
            rate_limits: RateLimits::default(),
            client_address_header: None,
        }
    }
}

impl WebConfig {
    /// The lock-out policy of sign-ins.
    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy {
            max_failures: self.max_failed_logins,
            first_lock: self.lockout,
            longest_lock: self.longest_lockout,
            ..LockoutPolicy::default()
        }
    }

    /// How long sessions live.
    pub fn session_rules(&self) -> SessionRules {
        SessionRules { idle: self.session_idle, absolute: self.session_absolute, token_ttl: self.token_ttl }
    }

    /// What a new password must satisfy.
    pub fn password_rules(&self) -> PasswordRules {
        PasswordRules { min_chars: self.min_password_len }
    }
}

/// What handlers share. Cheap to clone. Dereferences to the [`App`], so `state.store`,
/// `state.live` and `state.clock` are the use cases' own.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
    pub sessions: Arc<Sessions>,
    /// The sign-in policy and the failures of unknown usernames.
    pub sign_in: Arc<SignInGuard>,
    /// The request rate limits' buckets.
    pub limiter: Arc<Limiter>,
    /// Set when shutdown begins: `/readyz` answers 503 so the load balancer stops sending.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
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
        AppState {
            app: App::new(store),
            sign_in: Arc::new(SignInGuard::new(config.lockout_policy())),
            limiter: Arc::new(Limiter::new(&config.rate_limits)),
            config: Arc::new(config),
            sessions: Arc::new(Sessions::default()),
            draining: Arc::default(),
        }
    }

    /// Whether the server is shutting down.
    pub fn draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Relaxed)
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

    /// Keeps the search index in `dir` (the binary passes one per server; the default is in
    /// memory, built from the store on first use).
    pub fn with_search_dir(mut self, dir: std::path::PathBuf) -> AppState {
        self.app = self.app.with_search_dir(dir);
        self
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
