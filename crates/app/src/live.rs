//! What the server works with and swaps while serving: the policy library (with its test
//! case results and a cache of decisions made with it), the time limits and the zone
//! settings, each kept in the database as versioned documents (`store::documents`).
//!
//! - [`Live`]: each of the three behind a lock holding an `Arc`. A save builds the new value
//!   first and swaps it in whole: a request sees the old value or the new one, never a mix,
//!   and a new policy set starts with an empty decisions cache.
//! - [`follow_store`]: brings them up to the database's current versions, so that a save by
//!   another process (`huiqi policy load`, `huiqi time-limits set`, `huiqi settings set`,
//!   another server) takes effect in a running server.
//!
//! What it leaves out: what a save must pass ([`crate::policies`], [`crate::time_limits`],
//! [`crate::settings`]) and HTTP.

use crate::policies::{Rejected, check_sources, sources_of};
use crate::settings::ZoneSettings;
use bytes::Bytes;
use chrono::NaiveDate;
use rules::{CaseReport, Library};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use store::documents::{Document, DocumentKind};

/// A policy library with its test case results and the decisions made with it lately.
#[derive(Debug, Default)]
pub struct PolicySet {
    pub library: Arc<Library>,
    /// The library's test case results, run once when the set is built.
    pub case_reports: Vec<CaseReport>,
    /// Decisions made with `library` (see [`DecisionCache`]).
    pub decisions: DecisionCache,
}

impl PolicySet {
    /// A set over `library`, running its test cases once.
    pub fn new(library: Arc<Library>) -> PolicySet {
        PolicySet { case_reports: library.run_cases(), library, decisions: DecisionCache::default() }
    }
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
/// [`PolicySet`] (a saved library comes with an empty cache). At most [`DecisionCache::CAPACITY`]
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

/// The swappable parts of the application state.
#[derive(Debug)]
pub struct Live {
    policies: RwLock<Arc<PolicySet>>,
    time_limits: RwLock<Arc<handling::TimeLimits>>,
    settings: RwLock<Arc<ZoneSettings>>,
    /// The stored versions last followed ([`follow_store`]), by kind.
    seen: Mutex<Seen>,
}

/// The fingerprints of the stored documents last followed, one per kind.
#[derive(Debug, Clone, Default)]
struct Seen {
    policies: Option<String>,
    time_limits: Option<String>,
    settings: Option<String>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            policies: RwLock::new(Arc::new(PolicySet::default())),
            time_limits: RwLock::new(Arc::new(handling::TimeLimits::defaults().clone())),
            settings: RwLock::new(Arc::new(ZoneSettings::default())),
            seen: Mutex::new(Seen::default()),
        }
    }
}

fn read<T>(l: &RwLock<Arc<T>>) -> Arc<T> {
    match l.read() {
        Ok(g) => Arc::clone(&g),
        Err(p) => Arc::clone(&p.into_inner()),
    }
}

fn write<T>(l: &RwLock<Arc<T>>, value: T) {
    let new = Arc::new(value);
    match l.write() {
        Ok(mut g) => *g = new,
        Err(p) => *p.into_inner() = new,
    }
}

impl Live {
    /// The policy set in use.
    pub fn policies(&self) -> Arc<PolicySet> {
        read(&self.policies)
    }

    /// Puts a new policy set in use (with an empty decisions cache).
    pub fn set_policies(&self, set: PolicySet) {
        write(&self.policies, set);
    }

    /// The time limits new problems are received under.
    pub fn time_limits(&self) -> Arc<handling::TimeLimits> {
        read(&self.time_limits)
    }

    pub fn set_time_limits(&self, limits: handling::TimeLimits) {
        write(&self.time_limits, limits);
    }

    /// The zone settings in use (the supervision thresholds, …).
    pub fn settings(&self) -> Arc<ZoneSettings> {
        read(&self.settings)
    }

    pub fn set_settings(&self, settings: ZoneSettings) {
        write(&self.settings, settings);
    }
}

/// How often a server looks for policies, time limits and zone settings saved by another
/// process, when its store sends no change signals (SQLite).
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How often it looks anyway when the store signals changes (PostgreSQL `LISTEN/NOTIFY`,
/// [`store::signals`]): the timer is only the fallback for a signal lost with its connection.
pub const FOLLOW_FALLBACK: std::time::Duration = std::time::Duration::from_secs(60);

/// Follows the documents other processes save, for as long as the server runs: at once on
/// each change signal of the store (another server's save reaches this one in milliseconds,
/// and the decisions cached with the old policies go with them), and on a timer
/// ([`FOLLOW_FALLBACK`] with signals, [`FOLLOW_EVERY`] without).
pub async fn follow(app: crate::App) {
    let wake = Arc::new(tokio::sync::Notify::new());
    let w = Arc::clone(&wake);
    let on_change: store::signals::OnChange = Arc::new(move |_| w.notify_one());
    let listening = match app.store.listen_changes(on_change).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "listening for changes failed; following on a timer");
            false
        }
    };
    let every = if listening { FOLLOW_FALLBACK } else { FOLLOW_EVERY };
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(every) => {}
        }
        match follow_store(app.store.as_ref(), &app.live).await {
            Ok(f) => {
                if f.policies || f.time_limits || f.settings {
                    tracing::info!(
                        policies = f.policies,
                        time_limits = f.time_limits,
                        settings = f.settings,
                        "stored documents followed"
                    );
                }
                for r in f.refused {
                    tracing::warn!("{r}");
                }
            }
            Err(e) => tracing::warn!("following stored documents failed: {e}"),
        }
    }
}

/// What [`follow_store`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Followed {
    /// A new policy set is in use.
    pub policies: bool,
    /// New time limits are in use.
    pub time_limits: bool,
    /// New zone settings are in use.
    pub settings: bool,
    /// Stored texts that changed but could not be put in use (kept the old ones), and why.
    pub refused: Vec<String>,
}

/// The stored documents' names and checksums: it changes whenever any of them is saved.
fn fingerprint(docs: &[Document]) -> String {
    docs.iter().map(|d| format!("{}@{}:{};", d.name, d.version, d.checksum)).collect()
}

/// Brings the policies, time limits and zone settings in use up to the database's current
/// versions, so that `huiqi policy load`, `huiqi time-limits set`, `huiqi settings set` or
/// another server's save takes effect in a running server (`serve` calls this every
/// [`FOLLOW_EVERY`]). Nothing is reloaded while the stored versions are the ones last
/// followed. A changed text that no longer checks (every save path checks it first, so only
/// a hand-edited database gets here) is not put in use: the old one stays and the reason is
/// returned.
#[tracing::instrument(skip_all)]
pub async fn follow_store(store: &dyn store::Store, live: &Live) -> store::Result<Followed> {
    let mut out = Followed::default();
    let policies = store.current_documents(DocumentKind::Policy).await?;
    let limits = store.current_documents(DocumentKind::TimeLimits).await?;
    let settings = store.current_documents(DocumentKind::ZoneSettings).await?;
    let seen = match live.seen.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    };
    let mut now_seen = seen.clone();
    let fp = fingerprint(&policies);
    if seen.policies.as_deref() != Some(fp.as_str()) {
        match check_sources(&sources_of(&policies)) {
            Ok(set) => {
                live.set_policies(set);
                out.policies = true;
            }
            Err(Rejected::Diagnostics(d)) => out.refused.push(format!(
                "政策库有 {n} 个问题，仍用原版本 / the stored policy library has {n} problems; the previous one stays in use",
                n = d.len()
            )),
            Err(Rejected::FailedCases(c)) => out.refused.push(format!(
                "政策库有 {n} 个用例未通过，仍用原版本 / {n} test cases of the stored policy library fail; the previous one stays in use",
                n = c.len()
            )),
        }
        now_seen.policies = Some(fp);
    }
    let fp = fingerprint(&limits);
    if seen.time_limits.as_deref() != Some(fp.as_str()) {
        if let Some(d) = limits.iter().find(|d| !d.deleted) {
            match handling::TimeLimits::parse(&d.body) {
                Ok(l) => {
                    live.set_time_limits(l);
                    out.time_limits = true;
                }
                Err(e) => out.refused.push(format!(
                    "时限第 {v} 版无法解析，仍用原版本 / version {v} of the time limits does not parse; the previous one stays in use: {e}",
                    v = d.version
                )),
            }
        }
        now_seen.time_limits = Some(fp);
    }
    let fp = fingerprint(&settings);
    if seen.settings.as_deref() != Some(fp.as_str()) {
        if let Some(d) = settings.iter().find(|d| !d.deleted) {
            match ZoneSettings::parse(&d.body) {
                Ok(s) => {
                    live.set_settings(s);
                    out.settings = true;
                }
                Err(e) => out.refused.push(format!(
                    "园区设置第 {v} 版无法读取，仍用原版本 / version {v} of the zone settings does not load; the previous one stays in use: {e}",
                    v = d.version,
                    e = i18n::Localized::bilingual(&e),
                )),
            }
        }
        now_seen.settings = Some(fp);
    }
    match live.seen.lock() {
        Ok(mut g) => *g = now_seen,
        Err(p) => *p.into_inner() = now_seen,
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_replaces_the_whole_set() {
        let live = Live::default();
        assert_eq!(live.policies().library.items().count(), 0);
        let set = check_sources(&crate::policies::shipped_like()).unwrap();
        let n = set.library.items().count();
        live.set_policies(set);
        assert_eq!(live.policies().library.items().count(), n);
    }
}
