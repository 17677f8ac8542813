//! The policy library as documents (政策文件): what a save must pass, and the use cases that
//! read and write the stored files.
//!
//! - [`check_sources`]: the one gate of every save (the officer's page and API, `huiqi policy
//!   load`): the files parse and type-check against the official fact dictionary, and every
//!   item's test cases pass. [`Rejected`] says why not (every diagnostic with file, line and
//!   column; or the failing cases).
//! - Use cases: [`stored_sources`] (the database copy, what `check`/`test` and the decision
//!   commands read), [`document`] (one file with its history), [`save`] (one file, against
//!   the version read), [`load`] (many files, all or nothing), [`export`] (the current files).
//!   Policies are public documents: every signed-in role reads them; policy officers and
//!   admins change them (`authz::Resource::PolicyLibrary`).
//!
//! What it leaves out: reading files and directories (the CLI), HTTP (the web), and deciding
//! enterprises with the library (`crate::matching`).

pub use crate::drafts::Proposal;
use crate::policy_docs::{self, DocumentView};
use crate::{App, Error, Principal, Result, authz};
use enterprise::FactDictionary;
use rules::{CaseReport, Diagnostic, Library, SourceFile};
use serde::Serialize;
use std::sync::Arc;
use store::documents::{Document, DocumentKind};
use store::drafts::DraftOrigin;

pub use crate::live::PolicySet;

/// Stored policy documents as source files, named by document name.
pub fn sources_of(docs: &[Document]) -> Vec<SourceFile> {
    docs.iter().map(|d| SourceFile { name: d.name.clone(), text: d.body.clone() }).collect()
}

/// Why a policy library was refused.
#[derive(Debug, Clone)]
pub enum Rejected {
    /// Parse and type errors, each with file, line and column.
    Diagnostics(Vec<Diagnostic>),
    /// The library checks but some test cases fail (only the failures).
    FailedCases(Vec<CaseReport>),
}

impl Rejected {
    /// How many problems: diagnostics or failing cases.
    pub fn count(&self) -> usize {
        match self {
            Rejected::Diagnostics(d) => d.len(),
            Rejected::FailedCases(c) => c.len(),
        }
    }
}

/// Loads the files as one library against the official fact dictionary: the library, or
/// every parse and type error with its file, line and column (`huiqi policy check`).
pub fn check(files: &[SourceFile]) -> Result<Library, Vec<Diagnostic>> {
    let (library, diags) = Library::load(files, FactDictionary::official());
    if diags.is_empty() { Ok(library) } else { Err(diags) }
}

/// Runs every item's test cases (`huiqi policy test`).
pub fn test(library: &Library) -> Vec<CaseReport> {
    library.run_cases()
}

/// Loads the files as one library against the official fact dictionary and runs every test
/// case; the checked set, or why it is refused.
pub fn check_sources(files: &[SourceFile]) -> Result<PolicySet, Rejected> {
    let library = check(files).map_err(Rejected::Diagnostics)?;
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

// ---------------------------------------------------------------------------------------
// Use cases

/// The database's current policy documents as source files: what a server or a command puts
/// in use when it starts, before anyone acts (no principal).
#[tracing::instrument(skip_all)]
pub async fn current_files(store: &dyn store::Store) -> Result<Vec<SourceFile>> {
    Ok(sources_of(&store.current_documents(DocumentKind::Policy).await?))
}

/// The database's current policy documents as source files (named by document name).
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn stored_sources(app: &App, who: &Principal) -> Result<Vec<SourceFile>> {
    authz::require(who, authz::Action::Read, authz::Resource::PolicyLibrary)?;
    current_files(app.store.as_ref()).await
}

/// One policy file as stored, with its history; [`store::StoreError::DocumentNotFound`] if
/// there is no such file.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn document(app: &App, who: &Principal, name: &str) -> Result<DocumentView> {
    authz::require(who, authz::Action::Read, authz::Resource::PolicyLibrary)?;
    policy_docs::view(app, DocumentKind::Policy, name).await
}

/// A new text of one stored policy file.
#[derive(Debug, Clone)]
pub struct SavePolicy {
    pub name: String,
    /// The version the officer read.
    pub expected: i64,
    pub text: String,
}

/// Proposes a new text of a stored policy file (policy officers, admins) as a draft for
/// review ([`crate::drafts`]): the library as it would be (the other live files and this text)
/// must pass [`check_sources`], else [`Error::PolicyRejected`] and nothing is stored; a version
/// other than the live one read is [`Error::Stale`]. The live library is unchanged until a
/// second person approves the draft. A text equal to the live one stores nothing
/// ([`Proposal::Unchanged`]).
#[tracing::instrument(skip(app, who, req), fields(user = %who.username, document = %req.name))]
pub async fn save(app: &App, who: &Principal, req: SavePolicy) -> Result<Proposal> {
    authz::require(who, authz::Action::Write, authz::Resource::PolicyLibrary)?;
    store::documents::check_name(&req.name)?;
    let _one_at_a_time = policy_docs::SAVING.lock().await;
    let docs = app.store.current_documents(DocumentKind::Policy).await?;
    let current =
        docs.iter().find(|d| d.name == req.name).ok_or_else(|| store::StoreError::DocumentNotFound {
            kind: DocumentKind::Policy.as_str().into(),
            name: req.name.clone(),
        })?;
    if current.version != req.expected {
        return Err(Error::Stale);
    }
    let files = vec![SourceFile { name: req.name.clone(), text: req.text }];
    let (p, _) =
        crate::drafts::propose_over(app, who, DraftOrigin::Edit, &docs, files, String::new()).await?;
    Ok(p)
}

/// Files to store as policy documents, named by document name (`zone-sample-2022.toml`, or a
/// path under the loaded directory).
#[derive(Debug, Clone)]
pub struct LoadPolicies {
    pub files: Vec<SourceFile>,
    /// A second person who approves the draft at once (`huiqi policy load --approve-as`).
    pub approve_as: Option<Principal>,
}

/// One document's outcome in a load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedDocument {
    pub name: String,
    /// `added`, `changed` or `unchanged`.
    pub status: &'static str,
    /// The version now current; while the load waits for review as a draft, the version an
    /// added or changed document will be written as when the draft is approved.
    pub version: i64,
}

/// What a load stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub documents: Vec<LoadedDocument>,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// The draft the load made (none when nothing changed).
    pub draft: Option<i64>,
    /// `unchanged` (nothing to store), `draft` (waiting for a second person's review) or
    /// `live` (approved with `--approve-as`, or a bootstrap load).
    pub state: &'static str,
    /// Live without review because the library was still the shipped seed (a new database).
    pub bootstrap: bool,
}

/// Loads policy files (policy officers, admins; `huiqi policy load`), all or nothing: every
/// name must be a valid document name and the library as it would be after the load (the
/// other live files and these) must pass [`check_sources`] ([`Error::PolicyRejected`]
/// otherwise). The changed and new files become one draft ([`crate::drafts::load`]): approved
/// at once by [`LoadPolicies::approve_as`] (a second person), live at once over a library
/// still as shipped (bootstrap), else waiting for review. Loading never deletes a file.
#[tracing::instrument(skip(app, who, req), fields(user = %who.username, files = req.files.len()))]
pub async fn load(app: &App, who: &Principal, req: LoadPolicies) -> Result<LoadReport> {
    authz::require(who, authz::Action::Write, authz::Resource::PolicyLibrary)?;
    for f in &req.files {
        store::documents::check_name(&f.name)?;
    }
    let names: Vec<String> = req.files.iter().map(|f| f.name.clone()).collect();
    let out = crate::drafts::load(app, who, req.files, req.approve_as.as_ref()).await?;
    let before = |name: &str| out.before.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let documents: Vec<LoadedDocument> = names
        .iter()
        .map(|name| {
            let in_draft = out.draft.as_ref().and_then(|d| d.documents.iter().find(|x| &x.name == name));
            let written = out.written.iter().find(|d| &d.name == name).map(|d| d.version);
            let (status, version) = match (before(name), in_draft) {
                (None, _) => ("added", written.unwrap_or(1)),
                (Some(v), Some(_)) => ("changed", written.unwrap_or(v + 1)),
                (Some(v), None) => ("unchanged", v),
            };
            LoadedDocument { name: name.clone(), status, version }
        })
        .collect();
    let count = |s: &str| documents.iter().filter(|d| d.status == s).count();
    let report = LoadReport {
        added: count("added"),
        changed: count("changed"),
        unchanged: count("unchanged"),
        documents,
        draft: out.draft.as_ref().map(|d| d.id),
        state: out.state,
        bootstrap: out.bootstrap,
    };
    tracing::info!(
        added = report.added,
        changed = report.changed,
        state = report.state,
        "policy documents loaded"
    );
    Ok(report)
}

/// The current policy files (name and text), to write out as files: `load` reads them back
/// unchanged.
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn export(app: &App, who: &Principal) -> Result<Vec<SourceFile>> {
    stored_sources(app, who).await
}

/// The shipped policy files of this repository (tests; the zone's items use definitions of
/// the other files).
#[cfg(test)]
pub(crate) fn shipped_like() -> Vec<SourceFile> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
