//! Policy changes are reviewed (政策修改审核): a save on the edit page or a `huiqi policy load`
//! of changed files makes a draft (草案), and only a second person's approval puts it live.
//!
//! - [`propose`]: the library as it would be with the new texts must pass
//!   [`crate::policies::check_sources`] (else [`Error::PolicyRejected`], nothing stored, as
//!   before drafts); then the changed and new documents are stored as one draft with the
//!   versions they were made against. The live library is untouched: the server keeps using
//!   it and [`crate::live::follow_store`] never sees a draft (drafts are not documents).
//! - [`review`]: a draft with, per document, the line diff against the live version, and the
//!   simulation on the latest match run's date: who gains and who loses, the cost by benefit
//!   kind ([`crate::matching::compare_libraries`], the one batch engine). Without a match run
//!   there is no simulation and the review says so. The annual items are decided for the year
//!   of the run's date: a run made for another tax year (`policy match --tax-year`) is
//!   simulated on its date's year (FIXME: decide them for the run's tax year, as the run did).
//! - [`approve`]: a policy officer or admin other than the author (checked here, and by the
//!   database: `store::drafts`). The draft is re-checked against the live library as it is
//!   now: a document that moved on makes the draft stale ([`Error::DraftStale`]); a library
//!   that no longer checks with it is refused. Then the store writes the new live versions in
//!   one transaction, with both names in the history and the audit trail, and the checked
//!   library is put in use here at once (other servers follow within seconds).
//! - [`reject`] (with a reason), [`withdraw`] (the author), [`list`].
//!
//! Bootstrap: `huiqi policy load` over a library still exactly as shipped (every version
//! written by the seeder; a new database) goes live at once, without review, marked as such in
//! the output and the audit trail ([`LoadOutcome::bootstrap`]): there is nothing to review
//! against and usually one operator. Page saves are always drafts.
//!
//! What it leaves out: reading files (the CLI), HTTP (the web).

use crate::authz::{self, Action, Resource};
use crate::matching::{self, LibraryComparison};
use crate::policies::{check_sources, sources_of};
use crate::policy_docs;
use crate::{App, Error, Principal, Result};
use chrono::NaiveDate;
use rules::SourceFile;
use serde::Serialize;
use std::sync::Arc;
use store::documents::{Document, DocumentKind};
use store::drafts::{Approval, ApproveAs, DraftOrigin, DraftState, NewDraft, PolicyDraft};

pub use store::drafts::MAX_NOTE_CHARS;

/// How many gainers and losers a review names.
pub const REVIEW_LIST: usize = 50;

/// How many drafts a list shows at most.
pub const LIST_LIMIT: u32 = 200;

/// Whether `who` takes part in reviews (policy officers and admins).
fn may_review(who: &Principal) -> Result<()> {
    authz::require(who, Action::Write, Resource::PolicyLibrary)
}

/// What a proposal did.
#[derive(Debug, Clone)]
pub enum Proposal {
    /// Every text equals the live one: nothing stored.
    Unchanged,
    /// The changed and new documents, stored as an open draft.
    Draft(PolicyDraft),
}

/// Stores the changed and new `files` as one draft made against the live versions, after
/// checking the library as it would be (the other live documents and these texts).
#[tracing::instrument(skip(app, who, files, note), fields(user = %who.username, files = files.len()))]
pub async fn propose(
    app: &App,
    who: &Principal,
    origin: DraftOrigin,
    files: Vec<SourceFile>,
    note: String,
) -> Result<Proposal> {
    may_review(who)?;
    Error::check_length("note", &note, MAX_NOTE_CHARS)?;
    for f in &files {
        store::documents::check_name(&f.name)?;
    }
    let _one_at_a_time = policy_docs::SAVING.lock().await;
    let current = app.store.current_documents(DocumentKind::Policy).await?;
    propose_over(app, who, origin, &current, files, note).await.map(|(p, _)| p)
}

/// [`propose`] over the live documents read (under [`policy_docs::SAVING`]); also the set checked.
pub(crate) async fn propose_over(
    app: &App,
    who: &Principal,
    origin: DraftOrigin,
    current: &[Document],
    files: Vec<SourceFile>,
    note: String,
) -> Result<(Proposal, Option<crate::live::PolicySet>)> {
    let merged = merged(current, &files);
    let set = check_sources(&merged).map_err(Error::PolicyRejected)?;
    let changed: Vec<(String, Option<i64>, String)> = files
        .into_iter()
        .filter_map(|f| {
            let live = current.iter().find(|d| d.name == f.name);
            match live {
                Some(d) if d.checksum == store::documents::checksum(&f.text) => None,
                _ => Some((f.name, live.map(|d| d.version), f.text)),
            }
        })
        .collect();
    if changed.is_empty() {
        return Ok((Proposal::Unchanged, None));
    }
    let cases_passed = i64::try_from(set.case_reports.len()).unwrap_or(i64::MAX);
    let draft = app
        .store
        .create_policy_draft(
            NewDraft { origin, note, cases_passed, documents: changed },
            &who.stamp(app.now()),
        )
        .await?;
    tracing::info!(draft = draft.id, documents = draft.documents.len(), "policy draft stored");
    Ok((Proposal::Draft(draft), Some(set)))
}

/// The live documents with `files` in place of (or beside) theirs, as one library's sources.
fn merged(current: &[Document], files: &[SourceFile]) -> Vec<SourceFile> {
    let mut out: Vec<SourceFile> =
        sources_of(current).into_iter().filter(|s| !files.iter().any(|f| f.name == s.name)).collect();
    out.extend(files.iter().cloned());
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The draft's documents as source files.
fn draft_files(d: &PolicyDraft) -> Vec<SourceFile> {
    d.documents.iter().map(|x| SourceFile { name: x.name.clone(), text: x.body.clone() }).collect()
}

/// What a load did (see [`load`]).
#[derive(Debug, Clone)]
pub struct LoadOutcome {
    /// The draft made (none when nothing changed).
    pub draft: Option<PolicyDraft>,
    /// `unchanged`, `draft` (waiting for review) or `live`.
    pub state: &'static str,
    /// Live without review: the library was still the shipped seed.
    pub bootstrap: bool,
    /// The version of each changed document now live (empty while a draft waits).
    pub written: Vec<Document>,
    /// The live version of each document before the load (name, version).
    pub before: Vec<(String, i64)>,
}

/// `huiqi policy load`: proposes the files as one draft; with `approve_as`, that second person
/// approves it at once ([`approve`]); without, over a library still as shipped, it goes live
/// without review (bootstrap); otherwise it waits for review.
#[tracing::instrument(skip(app, who, files, approve_as), fields(user = %who.username, files = files.len()))]
pub async fn load(
    app: &App,
    who: &Principal,
    files: Vec<SourceFile>,
    approve_as: Option<&Principal>,
) -> Result<LoadOutcome> {
    may_review(who)?;
    if let Some(a) = approve_as {
        may_review(a)?;
        if a.username == who.username {
            return Err(Error::Store(store::StoreError::SelfReview { id: 0, username: a.username.clone() }));
        }
    }
    for f in &files {
        store::documents::check_name(&f.name)?;
    }
    let before: Vec<(String, i64)>;
    let draft = {
        let _one_at_a_time = policy_docs::SAVING.lock().await;
        let current = app.store.current_documents(DocumentKind::Policy).await?;
        before = current.iter().map(|d| (d.name.clone(), d.version)).collect();
        let bootstrap = approve_as.is_none() && store::drafts::is_bootstrap(&current);
        let (p, set) = propose_over(app, who, DraftOrigin::Load, &current, files, String::new()).await?;
        let draft = match p {
            Proposal::Unchanged => {
                return Ok(LoadOutcome {
                    draft: None,
                    state: "unchanged",
                    bootstrap: false,
                    written: Vec::new(),
                    before,
                });
            }
            Proposal::Draft(d) => d,
        };
        if bootstrap {
            match app
                .store
                .approve_policy_draft(draft.id, &ApproveAs::Bootstrap(who.stamp(app.now())))
                .await?
            {
                Approval::Live(written) => {
                    if let Some(set) = set {
                        app.live.set_policies(set);
                    }
                    tracing::info!(draft = draft.id, "policy draft live without review (bootstrap)");
                    let draft = app.store.policy_draft(draft.id).await?.unwrap_or(draft);
                    return Ok(LoadOutcome {
                        draft: Some(draft),
                        state: "live",
                        bootstrap: true,
                        written,
                        before,
                    });
                }
                // A person wrote the library meanwhile: the draft waits for review like any.
                Approval::Stale { .. } => draft,
            }
        } else {
            draft
        }
    };
    match approve_as {
        Some(a) => {
            let approved = approve(app, a, draft.id).await?;
            Ok(LoadOutcome {
                draft: Some(approved.draft),
                state: "live",
                bootstrap: false,
                written: approved.written,
                before,
            })
        }
        None => Ok(LoadOutcome {
            draft: Some(draft),
            state: "draft",
            bootstrap: false,
            written: Vec::new(),
            before,
        }),
    }
}

/// Drafts, newest first: the open ones, or all (policy officers, admins).
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn list(app: &App, who: &Principal, open_only: bool) -> Result<Vec<PolicyDraft>> {
    may_review(who)?;
    Ok(app.store.policy_drafts(open_only, LIST_LIMIT).await?)
}

/// How many drafts wait for review (the policies page shows it to those who review).
pub async fn open_count(app: &App, who: &Principal) -> Result<usize> {
    may_review(who)?;
    Ok(app.store.policy_drafts(true, LIST_LIMIT).await?.len())
}

async fn get(app: &App, id: i64) -> Result<PolicyDraft> {
    Ok(app.store.policy_draft(id).await?.ok_or(store::StoreError::DraftNotFound { id })?)
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffLine {
    /// ` ` unchanged (context), `-` removed, `+` added.
    pub tag: String,
    /// 1-based line in the live text / in the draft's text.
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    /// The line without its end.
    pub text: String,
}

/// One document of a draft against the live version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentDiff {
    pub name: String,
    /// `added` (a new document) or `changed`.
    pub status: String,
    /// The version the draft was made against (null for a new document).
    pub base_version: Option<i64>,
    /// The version live now (null: none); differs from `base_version` when the draft is behind.
    pub live_version: Option<i64>,
    /// The version its approval wrote.
    pub new_version: Option<i64>,
    pub added_lines: usize,
    pub removed_lines: usize,
    /// Hunks of changed lines with up to 3 lines of context each.
    pub hunks: Vec<Vec<DiffLine>>,
}

/// The line diff of `old` into `new` in hunks with 3 lines of context, and the counts of
/// added and removed lines.
pub fn line_diff(old: &str, new: &str) -> (Vec<Vec<DiffLine>>, usize, usize) {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    let mut hunks = Vec::new();
    for group in diff.grouped_ops(3) {
        let mut lines = Vec::new();
        for op in group {
            for c in diff.iter_changes(&op) {
                let tag = match c.tag() {
                    ChangeTag::Equal => " ",
                    ChangeTag::Delete => {
                        removed += 1;
                        "-"
                    }
                    ChangeTag::Insert => {
                        added += 1;
                        "+"
                    }
                };
                lines.push(DiffLine {
                    tag: tag.to_string(),
                    old_line: c.old_index().map(|i| i + 1),
                    new_line: c.new_index().map(|i| i + 1),
                    text: c.value().trim_end_matches(['\n', '\r']).to_string(),
                });
            }
        }
        hunks.push(lines);
    }
    (hunks, added, removed)
}

/// A draft's simulation on the latest match run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSimulation {
    /// The match run whose date the simulation decides on.
    pub run: i64,
    pub comparison: LibraryComparison,
}

/// A draft with what a reviewer reads.
#[derive(Debug, Clone)]
pub struct Review {
    pub draft: PolicyDraft,
    pub documents: Vec<DocumentDiff>,
    /// The documents whose live version moved on since the draft was made (approval would
    /// find it stale).
    pub behind: Vec<String>,
    /// The simulation; `None` with [`Review::no_match_run`] or [`Review::refused`].
    pub simulation: Option<DraftSimulation>,
    /// No match run is stored: only the diff is shown.
    pub no_match_run: bool,
    /// The library as it is now would not check with this draft (an open draft only): the
    /// problems, bilingual, one a line.
    pub refused: Vec<String>,
}

/// A draft with its diff against the live documents and its simulation on the latest match
/// run (for an open draft; a closed one shows its diff against what was live when it was
/// made, no simulation).
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn review(app: &App, who: &Principal, id: i64) -> Result<Review> {
    may_review(who)?;
    let draft = get(app, id).await?;
    let current = app.store.current_documents(DocumentKind::Policy).await?;
    let mut documents = Vec::new();
    let mut behind = Vec::new();
    for d in &draft.documents {
        let live = current.iter().find(|c| c.name == d.name);
        let old = match d.base_version {
            Some(v) => {
                let h = app.store.document_history(DocumentKind::Policy, &d.name).await?;
                h.into_iter().find(|x| x.version == v).map(|x| x.body).unwrap_or_default()
            }
            None => String::new(),
        };
        if draft.state == DraftState::Draft && live.map(|l| l.version) != d.base_version {
            behind.push(d.name.clone());
        }
        let (hunks, added_lines, removed_lines) = line_diff(&old, &d.body);
        documents.push(DocumentDiff {
            name: d.name.clone(),
            status: if d.base_version.is_some() { "changed" } else { "added" }.to_string(),
            base_version: d.base_version,
            live_version: live.map(|l| l.version),
            new_version: d.new_version,
            added_lines,
            removed_lines,
            hunks,
        });
    }
    let mut out =
        Review { draft, documents, behind, simulation: None, no_match_run: false, refused: Vec::new() };
    if out.draft.state != DraftState::Draft {
        return Ok(out);
    }
    let Some(run) = app.store.match_runs(1).await?.into_iter().next() else {
        out.no_match_run = true;
        return Ok(out);
    };
    let changed = match check_sources(&merged(&current, &draft_files(&out.draft))) {
        Ok(set) => set,
        Err(r) => {
            out.refused = rejected_lines(&r);
            return Ok(out);
        }
    };
    let baseline = Arc::clone(&app.live.policies().library);
    let comparison = matching::compare_libraries(
        app,
        who,
        baseline,
        Arc::clone(&changed.library),
        (run.date, run.tax_year),
        REVIEW_LIST,
    )
    .await?;
    out.simulation = Some(DraftSimulation { run: run.id, comparison });
    Ok(out)
}

/// A refusal's problems as lines (both languages).
pub fn rejected_lines(r: &crate::policies::Rejected) -> Vec<String> {
    match r {
        crate::policies::Rejected::Diagnostics(ds) => ds.iter().map(|d| d.render()).collect(),
        crate::policies::Rejected::FailedCases(cs) => cs
            .iter()
            .map(|c| {
                format!(
                    "条款 {} 的测试用例“{}”未通过 / test case '{}' of item {} failed: {}",
                    c.item,
                    c.case,
                    c.case,
                    c.item,
                    c.problem.as_deref().unwrap_or("")
                )
            })
            .collect(),
    }
}

/// An approved draft.
#[derive(Debug, Clone)]
pub struct Approved {
    pub draft: PolicyDraft,
    /// The versions written.
    pub written: Vec<Document>,
}

/// Approves an open draft (a policy officer or admin other than its author): re-checked
/// against the live library now; stale → [`Error::DraftStale`] (and the draft is marked so);
/// a library that would not check → [`Error::PolicyRejected`]; else the new versions go live
/// in one transaction and the checked library is put in use here.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn approve(app: &App, who: &Principal, id: i64) -> Result<Approved> {
    may_review(who)?;
    let _one_at_a_time = policy_docs::SAVING.lock().await;
    let draft = get(app, id).await?;
    store::drafts::check_open(&draft)?;
    if draft.author == who.username {
        return Err(Error::Store(store::StoreError::SelfReview { id, username: who.username.clone() }));
    }
    let current = app.store.current_documents(DocumentKind::Policy).await?;
    let moved = draft
        .documents
        .iter()
        .find(|d| current.iter().find(|c| c.name == d.name).map(|c| c.version) != d.base_version);
    let set = match moved {
        // The store marks it stale and writes nothing else.
        Some(_) => None,
        None => Some(check_sources(&merged(&current, &draft_files(&draft))).map_err(Error::PolicyRejected)?),
    };
    match app.store.approve_policy_draft(id, &ApproveAs::Reviewer(who.stamp(app.now()))).await? {
        Approval::Live(written) => {
            if let Some(set) = set {
                app.live.set_policies(set);
            }
            tracing::info!(draft = id, author = %draft.author, versions = written.len(), "policy draft approved and live");
            Ok(Approved { draft: get(app, id).await?, written })
        }
        Approval::Stale { name, expected, current } => {
            let v = |x: Option<i64>| x.map_or_else(|| "-".to_string(), |v| v.to_string());
            Err(Error::DraftStale { id, name, expected: v(expected), current: v(current) })
        }
    }
}

/// A rejection's reason (required, at most [`MAX_NOTE_CHARS`] characters).
pub fn check_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(Error::Required {
            field: "reason".into(),
            what: "驳回理由 / the reason for the rejection, which the author reads".into(),
        });
    }
    Error::check_length("reason", reason, MAX_NOTE_CHARS)
}

/// Rejects an open draft with a reason (a policy officer or admin other than its author).
/// Nothing live changes.
#[tracing::instrument(skip(app, who, reason), fields(user = %who.username))]
pub async fn reject(app: &App, who: &Principal, id: i64, reason: &str) -> Result<PolicyDraft> {
    may_review(who)?;
    check_reason(reason)?;
    let draft = get(app, id).await?;
    store::drafts::check_open(&draft)?;
    if draft.author == who.username {
        return Err(Error::Store(store::StoreError::SelfReview { id, username: who.username.clone() }));
    }
    Ok(app.store.reject_policy_draft(id, &who.stamp(app.now()), reason.trim()).await?)
}

/// Withdraws an open draft (its author only). Nothing live changes.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn withdraw(app: &App, who: &Principal, id: i64) -> Result<PolicyDraft> {
    may_review(who)?;
    let draft = get(app, id).await?;
    store::drafts::check_open(&draft)?;
    if draft.author != who.username {
        return Err(Error::Forbidden);
    }
    Ok(app.store.withdraw_policy_draft(id, &who.stamp(app.now())).await?)
}

/// The date a simulation decides on, for display: the latest match run's.
pub fn simulation_date(r: &Review) -> Option<NaiveDate> {
    r.simulation.as_ref().map(|s| s.comparison.date)
}

// ---------------------------------------------------------------------------------------
// What the front ends print and send (the CLI's `--json`, the API)

/// One document of a draft, without its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftDocumentOut {
    pub name: String,
    /// `added` or `changed`.
    pub status: String,
    /// The live version the draft was made against (null for a new document).
    pub base_version: Option<i64>,
    /// The version its approval wrote (null until approved).
    pub new_version: Option<i64>,
}

/// A draft as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftOut {
    pub id: i64,
    pub author: String,
    /// RFC 3339, China time.
    pub created_at: String,
    /// `edit` (the page or the API) or `load` (`huiqi policy load`).
    pub origin: String,
    /// `draft`, `approved`, `rejected`, `withdrawn` or `stale`.
    pub state: String,
    /// The state in Chinese (待审核, 已批准, 已驳回, 已撤回, 已过时).
    pub state_zh: String,
    pub note: String,
    /// Test cases the library passed with the draft.
    pub cases_passed: i64,
    /// Live without review: the library was still as shipped.
    pub bootstrap: bool,
    /// Who approved, rejected or withdrew it (or found it stale).
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    /// The reason of a rejection.
    pub reason: Option<String>,
    pub documents: Vec<DraftDocumentOut>,
}

impl From<&PolicyDraft> for DraftOut {
    fn from(d: &PolicyDraft) -> DraftOut {
        DraftOut {
            id: d.id,
            author: d.author.clone(),
            created_at: d.created_at.to_rfc3339(),
            origin: d.origin.as_str().to_string(),
            state: d.state.as_str().to_string(),
            state_zh: d.state.name_zh().to_string(),
            note: d.note.clone(),
            cases_passed: d.cases_passed,
            bootstrap: d.bootstrap,
            closed_by: d.closed_by.clone(),
            closed_at: d.closed_at.map(|t| t.to_rfc3339()),
            reason: d.reason.clone(),
            documents: d
                .documents
                .iter()
                .map(|x| DraftDocumentOut {
                    name: x.name.clone(),
                    status: if x.base_version.is_some() { "changed" } else { "added" }.to_string(),
                    base_version: x.base_version,
                    new_version: x.new_version,
                })
                .collect(),
        }
    }
}

/// An enterprise that gains or loses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangedEnterpriseOut {
    pub uscc: String,
    pub name: String,
    /// The items it gains (or loses).
    pub items: Vec<String>,
}

/// One benefit kind's totals before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindDeltaOut {
    pub benefit_kind: String,
    pub benefit_kind_zh: String,
    pub eligible_before: u64,
    pub eligible_after: u64,
    /// Yuan as decimal strings.
    pub total_before: String,
    pub total_after: String,
    /// Signed: `+1200.00`, `-350`, `0`.
    pub cost_delta: String,
}

/// One item whose outcome the draft moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemDeltaOut {
    pub item: String,
    pub title: String,
    pub benefit_kind: String,
    pub eligible_before: u64,
    pub eligible_after: u64,
    pub gains: u64,
    pub losses: u64,
    pub cost_delta: String,
}

/// The simulation of a draft on the latest match run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimulationOut {
    /// The match run whose date it decides on.
    pub run: i64,
    pub date: String,
    /// Assistance targets decided.
    pub enterprises: usize,
    pub gains_total: usize,
    pub losses_total: usize,
    pub gains: Vec<ChangedEnterpriseOut>,
    pub losses: Vec<ChangedEnterpriseOut>,
    pub by_kind: Vec<KindDeltaOut>,
    /// The change of the zone's payouts (awards), signed.
    pub zone_payout_delta: String,
    pub items: Vec<ItemDeltaOut>,
}

/// A draft's review as the front ends send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewOut {
    pub draft: DraftOut,
    pub documents: Vec<DocumentDiff>,
    /// Documents whose live version moved on since the draft was made.
    pub behind: Vec<String>,
    /// No match run is stored: no simulation, the diff only.
    pub no_match_run: bool,
    /// Problems of the library as it is now with this draft (approval would be refused).
    pub refused: Vec<String>,
    pub simulation: Option<SimulationOut>,
}

/// A signed decimal: `+` before a rise.
pub fn signed(d: rust_decimal::Decimal) -> String {
    if d > rust_decimal::Decimal::ZERO { format!("+{d}") } else { d.to_string() }
}

impl Review {
    pub fn out(&self) -> ReviewOut {
        let named = |v: &[matching::NamedChange]| -> Vec<ChangedEnterpriseOut> {
            v.iter()
                .map(|n| ChangedEnterpriseOut {
                    uscc: n.uscc.clone(),
                    name: n.name.clone(),
                    items: n.items.clone(),
                })
                .collect()
        };
        ReviewOut {
            draft: DraftOut::from(&self.draft),
            documents: self.documents.clone(),
            behind: self.behind.clone(),
            no_match_run: self.no_match_run,
            refused: self.refused.clone(),
            simulation: self.simulation.as_ref().map(|s| {
                let c = &s.comparison;
                SimulationOut {
                    run: s.run,
                    date: c.date.to_string(),
                    enterprises: c.enterprises,
                    gains_total: c.gains_total,
                    losses_total: c.losses_total,
                    gains: named(&c.gains),
                    losses: named(&c.losses),
                    by_kind: c
                        .by_kind
                        .iter()
                        .map(|k| KindDeltaOut {
                            benefit_kind: k.benefit_kind.as_str().to_string(),
                            benefit_kind_zh: k.benefit_kind.name_zh().to_string(),
                            eligible_before: k.eligible_before,
                            eligible_after: k.eligible_after,
                            total_before: k.total_before.to_string(),
                            total_after: k.total_after.to_string(),
                            cost_delta: signed(k.cost_delta),
                        })
                        .collect(),
                    zone_payout_delta: signed(c.zone_payout_delta),
                    items: c
                        .items
                        .iter()
                        .map(|i| ItemDeltaOut {
                            item: i.item.id.clone(),
                            title: i.item.title.clone(),
                            benefit_kind: i.item.benefit_kind.as_str().to_string(),
                            eligible_before: i.eligible_before,
                            eligible_after: i.eligible_after,
                            gains: i.gains,
                            losses: i.losses,
                            cost_delta: signed(i.cost_delta),
                        })
                        .collect(),
                }
            }),
        }
    }
}
