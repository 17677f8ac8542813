//! The policy library and the time limits the server works with, kept in the database as
//! versioned documents (`store::documents`) and swappable while serving.
//!
//! - [`Live`]: the library in use (with its case results and decisions cache, one
//!   [`PolicySet`]) and the time limits, each behind a lock holding an `Arc`. A save builds the
//!   new value first and swaps it in whole: a request sees the old set or the new one, never a
//!   mix, and a new set starts with an empty decisions cache.
//! - [`check_sources`]: what a policy save (page, API or `huiqi policy load`) must pass: the
//!   files parse and type-check, and every item's test cases pass.
//!
//! What it leaves out: storing (the store) and HTTP (the web's `routes::policy_docs`).

use bytes::Bytes;
use chrono::NaiveDate;
use enterprise::FactDictionary;
use rules::{CaseReport, Diagnostic, Library, SourceFile};
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

/// The swappable parts of the application state.
#[derive(Debug)]
pub struct Live {
    policies: RwLock<Arc<PolicySet>>,
    time_limits: RwLock<Arc<handling::TimeLimits>>,
    /// The stored versions last followed ([`follow_store`]): policies, time limits.
    seen: Mutex<(Option<String>, Option<String>)>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            policies: RwLock::new(Arc::new(PolicySet::default())),
            time_limits: RwLock::new(Arc::new(handling::TimeLimits::defaults().clone())),
            seen: Mutex::new((None, None)),
        }
    }
}

impl Live {
    /// The policy set in use.
    pub fn policies(&self) -> Arc<PolicySet> {
        match self.policies.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Puts a new policy set in use (with an empty decisions cache).
    pub fn set_policies(&self, set: PolicySet) {
        let new = Arc::new(set);
        match self.policies.write() {
            Ok(mut g) => *g = new,
            Err(p) => *p.into_inner() = new,
        }
    }

    /// The time limits new problems are received under.
    pub fn time_limits(&self) -> Arc<handling::TimeLimits> {
        match self.time_limits.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    pub fn set_time_limits(&self, limits: handling::TimeLimits) {
        let new = Arc::new(limits);
        match self.time_limits.write() {
            Ok(mut g) => *g = new,
            Err(p) => *p.into_inner() = new,
        }
    }
}

/// How often a server looks for policies and time limits saved by another process.
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// What [`follow_store`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Followed {
    /// A new policy set is in use.
    pub policies: bool,
    /// New time limits are in use.
    pub time_limits: bool,
    /// Stored texts that changed but could not be put in use (kept the old ones), and why.
    pub refused: Vec<String>,
}

/// The stored documents' names and checksums: it changes whenever any of them is saved.
fn fingerprint(docs: &[Document]) -> String {
    docs.iter().map(|d| format!("{}@{}:{};", d.name, d.version, d.checksum)).collect()
}

/// Brings the policies and time limits in use up to the database's current versions, so that
/// `huiqi policy load`, `huiqi time-limits set` or another server's save takes effect in a
/// running server (`serve` calls this every [`FOLLOW_EVERY`]). Nothing is reloaded while the
/// stored versions are the ones last followed. A changed text that no longer checks (every
/// save path checks it first, so only a hand-edited database gets here) is not put in use:
/// the old one stays and the reason is returned.
pub async fn follow_store(store: &dyn store::Store, live: &Live) -> store::Result<Followed> {
    let mut out = Followed::default();
    let policies = store.current_documents(DocumentKind::Policy).await?;
    let limits = store.current_documents(DocumentKind::TimeLimits).await?;
    let (fp_p, fp_l) = (fingerprint(&policies), fingerprint(&limits));
    let (seen_p, seen_l) = match live.seen.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    };
    let mut now_seen = (seen_p.clone(), seen_l.clone());
    if seen_p.as_deref() != Some(fp_p.as_str()) {
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
        now_seen.0 = Some(fp_p);
    }
    if seen_l.as_deref() != Some(fp_l.as_str()) {
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
        now_seen.1 = Some(fp_l);
    }
    match live.seen.lock() {
        Ok(mut g) => *g = now_seen,
        Err(p) => *p.into_inner() = now_seen,
    }
    Ok(out)
}

/// Stored policy documents as source files, named by document name.
pub fn sources_of(docs: &[Document]) -> Vec<SourceFile> {
    docs.iter().map(|d| SourceFile { name: d.name.clone(), text: d.body.clone() }).collect()
}

/// Why a policy library was refused.
#[derive(Debug)]
pub enum Rejected {
    /// Parse and type errors, each with file, line and column.
    Diagnostics(Vec<Diagnostic>),
    /// The library checks but some test cases fail (only the failures).
    FailedCases(Vec<CaseReport>),
}

/// Loads the files as one library against the official fact dictionary and runs every test
/// case; the checked set, or why it is refused.
pub fn check_sources(files: &[SourceFile]) -> Result<PolicySet, Rejected> {
    let (library, diags) = Library::load(files, FactDictionary::official());
    if !diags.is_empty() {
        return Err(Rejected::Diagnostics(diags));
    }
    let set = PolicySet::new(Arc::new(library));
    let failed: Vec<CaseReport> = set.case_reports.iter().filter(|r| !r.passed).cloned().collect();
    if failed.is_empty() { Ok(set) } else { Err(Rejected::FailedCases(failed)) }
}

/// The stored documents with one replaced (or added): the library a save would put in use.
pub fn with_replaced(docs: &[Document], name: &str, text: &str) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = sources_of(docs).into_iter().filter(|f| f.name != name).collect();
    files.push(SourceFile { name: name.to_string(), text: text.to_string() });
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// A limit in words: `3 个工作日` / `3 working days`, `2 小时` / `2 hours`.
pub fn limit_text(l: handling::Limit, lang: i18n::Lang) -> String {
    match (l, lang) {
        (handling::Limit::Workdays(n), i18n::Lang::Zh) => format!("{n} 个工作日"),
        (handling::Limit::Workdays(1), i18n::Lang::En) => "1 working day".into(),
        (handling::Limit::Workdays(n), i18n::Lang::En) => format!("{n} working days"),
        (handling::Limit::Hours(n), i18n::Lang::Zh) => format!("{n} 小时"),
        (handling::Limit::Hours(1), i18n::Lang::En) => "1 hour".into(),
        (handling::Limit::Hours(n), i18n::Lang::En) => format!("{n} hours"),
    }
}

/// One line of the time limits as people read them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LimitRow {
    /// What the limit is for (a stage, or a problem category's answer).
    pub what: String,
    pub normal: String,
    /// The urgent limit; empty for limits without one.
    pub urgent: String,
}

/// The time limits as rows in one language; categories named from the routing table
/// (`default` is "the other categories").
pub fn limit_rows(
    t: &handling::TimeLimits,
    categories: &[enterprise::Category],
    lang: i18n::Lang,
) -> Vec<LimitRow> {
    let zh = lang == i18n::Lang::Zh;
    let pick = |a: &str, b: &str| if zh { a.to_string() } else { b.to_string() };
    let days = |n: u32| limit_text(handling::Limit::Workdays(n), lang);
    let mut rows = vec![LimitRow {
        what: pick("受理", "acceptance"),
        normal: limit_text(t.accept.normal, lang),
        urgent: limit_text(t.accept.urgent, lang),
    }];
    for (code, by) in &t.answer {
        let name = match categories.iter().find(|c| &c.code == code) {
            Some(c) if zh => c.name.clone(),
            Some(c) => c.en.clone(),
            None if code == "default" => pick("其他类别", "other categories"),
            None => code.clone(),
        };
        rows.push(LimitRow {
            what: if zh { format!("答复·{name}（{code}）") } else { format!("answer, {name} ({code})") },
            normal: limit_text(by.normal, lang),
            urgent: limit_text(by.urgent, lang),
        });
    }
    for (what, value) in [
        (
            pick("黄牌预警：已用时限比例", "yellow warning: share of the time used"),
            format!("{}%", t.yellow_percent),
        ),
        (pick("部门异议（退回）期限", "a department may object within"), days(t.objection_workdays)),
        (pick("协办部门报送期限", "cooperating departments report within"), days(t.report_workdays)),
        (pick("企业确认期限（逾期视为未评价）", "the enterprise confirms within"), days(t.confirm_workdays)),
        (pick("每轮可批准延期次数", "extensions per handling round"), t.max_extensions_per_round.to_string()),
    ] {
        rows.push(LimitRow { what, normal: value, urgent: String::new() });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped policy files (the zone's items use definitions of the other files).
    fn shipped_like() -> Vec<SourceFile> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        let mut files: Vec<SourceFile> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| SourceFile {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                text: std::fs::read_to_string(&p).unwrap(),
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        files
    }

    #[test]
    fn a_checked_library_runs_its_cases() {
        let set = check_sources(&shipped_like()).unwrap();
        assert!(!set.case_reports.is_empty());
        assert!(set.case_reports.iter().all(|r| r.passed));
    }

    #[test]
    fn a_misspelt_fact_is_refused_with_its_line() {
        let docs: Vec<Document> = Vec::new();
        let zone = shipped_like().into_iter().find(|f| f.name == "zone-sample-2022.toml").unwrap();
        let bad = zone.text.replacen("hitech_first_recognized_on)", "hitech_first_recognised_on)", 1);
        let mut files: Vec<SourceFile> = shipped_like().into_iter().filter(|f| f.name != zone.name).collect();
        files.extend(with_replaced(&docs, &zone.name, &bad));
        match check_sources(&files) {
            Err(Rejected::Diagnostics(d)) => {
                assert_eq!(d.len(), 1, "{d:?}");
                assert_eq!(d[0].location.file, zone.name);
                assert!(bad.lines().nth(d[0].location.line - 1).unwrap().contains("recognised"), "{d:?}");
            }
            other => panic!("expected diagnostics, got {:?}", other.map(|s| s.case_reports.len())),
        }
    }

    #[test]
    fn the_shipped_limits_read_in_chinese() {
        let t = handling::TimeLimits::defaults();
        let cats = enterprise::Routing::seed().categories.clone();
        let rows = limit_rows(t, &cats, i18n::Lang::Zh);
        assert_eq!(
            rows[0],
            LimitRow { what: "受理".into(), normal: "1 个工作日".into(), urgent: "2 小时".into() }
        );
        assert!(rows.iter().any(|r| r.what.contains("政策") && r.normal == "3 个工作日"), "{rows:?}");
        let en = limit_rows(t, &cats, i18n::Lang::En);
        assert_eq!(en[0].urgent, "2 hours");
    }

    #[test]
    fn a_swap_replaces_the_whole_set() {
        let live = Live::default();
        assert_eq!(live.policies().library.items().count(), 0);
        let set = check_sources(&shipped_like()).unwrap();
        let n = set.library.items().count();
        live.set_policies(set);
        assert_eq!(live.policies().library.items().count(), n);
    }
}
