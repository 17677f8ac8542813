//! The use cases of huiqi: what a user does (raise a problem, act on it, run a match, load a
//! policy, read the supervision report), each written once here, over the store trait, and
//! called alike by the web handlers, the CLI commands and the tests.
//!
//! The shape of a use case: a function taking the [`App`] (the store, the policies and time
//! limits in use, the clock), the [`Principal`] who acts, and a typed request; it checks
//! permission with [`authz`], validates the request (bilingual [`Error`]s naming the field),
//! decides with the pure domain crates (`handling`, `rules`, `kpi`, `enterprise`,
//! `calendar`), writes through the store in one transaction with its audit record, and
//! returns a typed result. The front ends only translate: HTTP ⇄ request/result in `web`,
//! arguments ⇄ request/result in the `huiqi` binary. Neither front end depends on the other,
//! and neither holds a rule of the domain.
//!
//! Layout:
//! - [`error`]: [`Error`] and [`ErrorKind`] (what the front ends map to a status or exit code).
//! - [`principal`]: [`Principal`], the signed-in user as the use cases see them.
//! - [`authz`]: the one authorisation decision, pure over role and ownership.
//! - [`clock`]: [`Clock`], the source of "now" ([`SystemClock`], [`FixedClock`] for tests).
//! - [`live`]: what the server works with and swaps while serving (the policy set, the time
//!   limits, the zone settings) and [`live::follow_store`].
//! - [`matching`]: policy decisions (政策匹配): one enterprise's, why (not), every
//!   assistance target's as a stored match run streamed from the store, and simulations.
//! - [`policies`]: the policy files: what a save must pass, check, load, export, history.
//! - [`drafts`]: policy changes reviewed (草案, 审核): a change is a draft with its diff and
//!   simulation until a second person approves it.
//! - [`time_limits`]: the time limits (办理时限): show, set, the rows people read.
//! - [`calendar`]: the working-day calendar (工作日历): answers with their provisional flag,
//!   the years and their status, loading a year's notice (which recomputes open problems'
//!   deadlines), the warning admins see from 1 October.
//! - [`settings`]: the zone settings (园区设置: the supervision thresholds with their source).
//! - [`reports`]: the supervision report (督查通报) with its workbook and printable document,
//!   and the dashboard; [`kpis`]: the KPIs of the three lists.
//! - [`policy_docs`]: a stored document with its history, the version a save names, seeding;
//!   and the pre-split names of the modules above.
//! - [`problems`]: the three lists (raise, act, attach, show, list and search, sweep, visits,
//!   audit verification, the ledger).
//! - [`jobs`]: scheduled jobs (the sweep, purges) run once across servers by leased
//!   [`jobs::Worker`]s.
//! - [`inbox`]: the enterprises' inboxes (收件箱) after each match run: newly eligible and
//!   almost eligible (差一项) items, generated page by page as a resumable job; reading and
//!   marking read. [`push`]: the outbox (发件箱) and channels (渠道): signed webhooks and
//!   SMS/WeChat gateways, delivered with retries and backoff; the admin view.
//! - [`users`]: users and passwords (argon2id); [`sessions`]: the sign-in decision with its
//!   lock-out, sessions and bearer tokens; [`reference`]: departments, the routing table and
//!   problem categories.
//!
//! What it leaves out: SQL (the `store-*` crates), HTTP, cookies and pages (`web`), argument
//! parsing, terminals and configuration files (the binary).

pub mod authz;
pub mod calendar;
pub mod chains;
pub mod clock;
pub mod common;
pub mod content;
pub mod credit_repair;
pub mod drafts;
pub mod effects;
pub mod error;
pub mod events;
pub mod financing;
pub mod grant_pages;
pub mod grants;
pub mod inbox;
pub mod jobs;
pub mod kpis;
pub mod legal;
pub mod live;
pub mod logistics;
pub mod matching;
pub mod notifications;
pub mod plans;
pub mod policies;
pub mod policy_docs;
pub mod principal;
pub mod problems;
pub mod push;
pub mod reference;
pub mod registry;
pub mod reports;
pub mod search;
pub mod service_lines;
pub mod sessions;
pub mod settings;
pub mod signals;
pub mod status;
pub mod table_file;
pub mod time_limits;
pub mod users;
pub mod utilities;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, ErrorKind, Result};
pub use principal::Principal;
pub use signals::stop_signal;

use chrono::{DateTime, FixedOffset, NaiveDate};
use std::sync::Arc;

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}

/// What every use case works with: the store, the policies and time limits in use, and the
/// clock. Cheap to clone (three `Arc`s).
///
/// The server keeps one for its life (and follows documents saved by other processes into
/// `live`); a CLI command opens one per run with the database's current copies.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn store::Store>,
    pub live: Arc<policy_docs::Live>,
    pub clock: Arc<dyn Clock>,
    /// The search index of this process ([`search::SearchService`]).
    pub search: Arc<search::SearchService>,
    /// The effect reports the leader's dashboard showed ([`effects::dashboard_report`]).
    pub effects_cache: Arc<effects::ReportCache>,
    /// The financing product book last compiled ([`financing::book`]).
    pub financing_books: Arc<financing::BookCache>,
}

impl App {
    /// An application over `store` with the system clock, the shipped time limits and an empty
    /// policy library (see [`App::load_documents`]).
    pub fn new(store: Arc<dyn store::Store>) -> App {
        App {
            store,
            live: Arc::new(policy_docs::Live::default()),
            clock: Arc::new(SystemClock),
            search: Arc::new(search::SearchService::in_memory()),
            effects_cache: Arc::default(),
            financing_books: Arc::default(),
        }
    }

    /// Keeps the search index in `dir` rather than in memory.
    pub fn with_search_dir(mut self, dir: std::path::PathBuf) -> App {
        self.search = Arc::new(search::SearchService::in_dir(dir));
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }

    /// Puts the database's current policies, time limits and zone settings in use (the same
    /// step a running server repeats to follow saves by other processes).
    pub async fn load_documents(&self) -> Result<policy_docs::Followed> {
        Ok(policy_docs::follow_store(self.store.as_ref(), &self.live).await?)
    }

    /// The principal of a stored, active user: how the CLI's `--as USER` and the scheduled
    /// jobs act. [`store::StoreError::UserNotFound`] if there is no such user,
    /// [`Error::UserInactive`] if the user is deactivated.
    pub async fn principal(&self, username: &str) -> Result<Principal> {
        let u = self
            .store
            .user_by_username(username)
            .await?
            .ok_or_else(|| store::StoreError::UserNotFound { username: username.to_string() })?;
        if !u.active {
            return Err(Error::UserInactive { username: username.to_string() });
        }
        Ok(Principal::from_user(&u))
    }

    /// Now, in China Standard Time.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    /// Today's civil date in China.
    pub fn today(&self) -> NaiveDate {
        store::model::china_date(self.now())
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store.backend_name()).finish_non_exhaustive()
    }
}
