//! Policy drafts (政策草案): a change of policy documents waiting for review (审核). One draft
//! holds one or more documents (a page save holds one, `huiqi policy load` many), each with
//! the version its author read and the new text. The live library (table `documents`) is not
//! touched until a second person approves; a rejection, a withdrawal or a stale draft changes
//! nothing in it.
//!
//! - `policy_drafts`: author, when, origin (`edit`/`load`), note, how many test cases passed
//!   when it was checked, state ([`DraftState`]), who closed it and when.
//! - `policy_draft_documents`: per document the version read (`None`: a new document), the
//!   body and its checksum, and the version the approval wrote.
//! - `policy_draft_reviews`: the decision (approved / rejected with a reason), the reviewer,
//!   and the author copied from the draft; a CHECK constraint refuses reviewer = author, so the
//!   database enforces the four-eyes rule even if a caller forgot to
//!   ([`StoreError::SelfReview`]).
//!
//! Approval is one transaction: the draft must be open, its documents are planned against the
//! current heads with [`documents::plan`] (a head that moved on since the draft was made marks
//! the draft `stale` and writes nothing else: [`Approval::Stale`]), the review row is
//! inserted, the documents are written as new versions (actor = the author, `approved_by` =
//! the reviewer, `draft_id`), and the audit trail (`reference_changes`) gets each version and
//! the draft's state change, with both names.
//!
//! Bootstrap: while the library is still the shipped seed (every head written by [`SEEDER`]),
//! a draft may be approved without a review ([`ApproveAs::Bootstrap`]): a new database's first
//! load has nothing to review against and usually one operator. It is marked as such.
//!
//! What it leaves out: checking the texts (the caller runs the policy checks before it stores
//! a draft and again before it approves one), diffs and simulations (`app::drafts`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::FieldChange;
use serde::Serialize;

use crate::documents::{self, Document, DocumentChange, DocumentKind, Head, NewVersion};
use crate::{Result, Stamp, StoreError};

/// Who seeds the shipped documents, as recorded with their versions.
pub const SEEDER: &str = "seed";

/// The entity a draft's state changes are recorded under in `reference_changes`.
pub const AUDIT_ENTITY: &str = "policy_draft";

/// How long a draft's note and a rejection's reason may be (characters).
pub const MAX_NOTE_CHARS: usize = 500;

/// Where a draft is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DraftState {
    /// Waiting for review (待审核).
    Draft,
    /// Approved and live (已批准).
    Approved,
    /// Rejected with a reason (已驳回).
    Rejected,
    /// Withdrawn by its author (已撤回).
    Withdrawn,
    /// A document's live version moved on before approval (已过时): make a new draft.
    Stale,
}

impl DraftState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<DraftState> {
        s.parse().ok()
    }

    /// Chinese name, for pages and the command line.
    pub fn name_zh(self) -> &'static str {
        match self {
            DraftState::Draft => "待审核",
            DraftState::Approved => "已批准",
            DraftState::Rejected => "已驳回",
            DraftState::Withdrawn => "已撤回",
            DraftState::Stale => "已过时",
        }
    }
}

/// How a draft came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DraftOrigin {
    /// A save on the edit page or `PUT /api/v1/policy-documents/{name}`.
    Edit,
    /// `huiqi policy load`.
    Load,
}

impl DraftOrigin {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<DraftOrigin> {
        s.parse().ok()
    }
}

/// One document of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftDocument {
    pub name: String,
    /// The live version the author read; `None` for a new document.
    pub base_version: Option<i64>,
    pub body: String,
    /// SHA-256 of `body`.
    pub checksum: String,
    /// The version the approval wrote (`None` until approved).
    pub new_version: Option<i64>,
}

/// A stored draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDraft {
    pub id: i64,
    pub author: String,
    pub created_at: DateTime<FixedOffset>,
    pub origin: DraftOrigin,
    pub note: String,
    /// Test cases the library passed with this draft when it was stored (all of them: a
    /// draft that does not check is never stored).
    pub cases_passed: i64,
    pub state: DraftState,
    /// Approved without review while the library was the shipped seed.
    pub bootstrap: bool,
    /// Who approved, rejected or withdrew it, or the approver that found it stale.
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// The reason given with a rejection.
    pub reason: Option<String>,
    pub documents: Vec<DraftDocument>,
}

/// A draft to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDraft {
    pub origin: DraftOrigin,
    pub note: String,
    pub cases_passed: i64,
    /// (name, version read, new body); at least one.
    pub documents: Vec<(String, Option<i64>, String)>,
}

/// Who approves a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproveAs {
    /// A reviewer other than the author (the database refuses the author).
    Reviewer(Stamp),
    /// Nobody: the library is still the shipped seed (see the module docs). The stamp is the
    /// author's, who makes it live.
    Bootstrap(Stamp),
}

impl ApproveAs {
    pub fn stamp(&self) -> &Stamp {
        match self {
            ApproveAs::Reviewer(s) | ApproveAs::Bootstrap(s) => s,
        }
    }
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// The documents are live: the versions written (an unchanged body writes none).
    Live(Vec<Document>),
    /// The live version of `name` is no longer the one the draft was made against (or, for a
    /// bootstrap, a person has written the library since): the draft is now `stale` and
    /// nothing else was written.
    Stale { name: String, expected: Option<i64>, current: Option<i64> },
}

/// Policy drafts in the store.
#[async_trait]
pub trait DraftStore: Send + Sync {
    /// Stores a new open draft and records its creation; returns it as stored.
    async fn create_policy_draft(&self, draft: NewDraft, author: &Stamp) -> Result<PolicyDraft>;

    /// One draft with its documents, or `None`.
    async fn policy_draft(&self, id: i64) -> Result<Option<PolicyDraft>>;

    /// Drafts newest first (`open_only`: only those in state `draft`), at most `limit`, with
    /// their documents.
    async fn policy_drafts(&self, open_only: bool, limit: u32) -> Result<Vec<PolicyDraft>>;

    /// Approves an open draft in one transaction (see the module docs).
    async fn approve_policy_draft(&self, id: i64, by: &ApproveAs) -> Result<Approval>;

    /// Rejects an open draft with a reason (the reviewer is not the author: the database
    /// refuses it). Nothing else changes.
    async fn reject_policy_draft(&self, id: i64, reviewer: &Stamp, reason: &str) -> Result<PolicyDraft>;

    /// Withdraws an open draft (its author; the caller checks who).
    async fn withdraw_policy_draft(&self, id: i64, author: &Stamp) -> Result<PolicyDraft>;
}

/// Whether the library may take a draft live without review: no head was written by anyone
/// but the seeder (a new database, or none at all).
pub fn is_bootstrap(heads: &[Document]) -> bool {
    heads.iter().all(|d| d.actor == SEEDER && d.approved_by.is_none())
}

/// The draft must be open to be approved, rejected or withdrawn.
pub fn check_open(d: &PolicyDraft) -> Result<()> {
    if d.state == DraftState::Draft {
        Ok(())
    } else {
        Err(StoreError::DraftClosed { id: d.id, state: d.state.as_str().to_string() })
    }
}

/// What approving `draft` writes given the heads of the policy documents (deleted ones
/// included): the new versions, or the document whose head moved on.
pub fn approval_plan(
    draft: &PolicyDraft,
    heads: &[Document],
    bootstrap: bool,
) -> Result<std::result::Result<Vec<NewVersion>, Approval>> {
    if bootstrap && let Some(h) = heads.iter().find(|d| d.actor != SEEDER || d.approved_by.is_some()) {
        return Ok(Err(Approval::Stale {
            name: h.name.clone(),
            expected: None,
            current: (!h.deleted).then_some(h.version),
        }));
    }
    let plain: Vec<Head> = heads
        .iter()
        .map(|d| Head {
            name: d.name.clone(),
            version: d.version,
            checksum: d.checksum.clone(),
            deleted: d.deleted,
        })
        .collect();
    let changes: Vec<DocumentChange> = draft
        .documents
        .iter()
        .map(|d| DocumentChange {
            name: d.name.clone(),
            expected: d.base_version,
            body: Some(d.body.clone()),
        })
        .collect();
    match documents::plan(DocumentKind::Policy, &plain, &changes) {
        Ok(p) => Ok(Ok(p)),
        Err(StoreError::DocumentConflict { name, .. }) => {
            let expected = draft.documents.iter().find(|d| d.name == name).and_then(|d| d.base_version);
            let current = plain.iter().find(|h| h.name == name && !h.deleted).map(|h| h.version);
            Ok(Err(Approval::Stale { name, expected, current }))
        }
        Err(e) => Err(e),
    }
}

/// The audit record of a draft's state change (entity [`AUDIT_ENTITY`], key the id).
pub fn state_change(old: Option<DraftState>, new: &str) -> FieldChange {
    FieldChange {
        field: "state".into(),
        old: old.map(|s| s.as_str().to_string()),
        new: Some(new.to_string()),
    }
}

/// The audit record naming the author of a version an approval wrote (entity
/// `document.policy`, key the name; recorded by the approver).
pub fn author_change(author: &str, draft: i64) -> FieldChange {
    FieldChange { field: "author".into(), old: None, new: Some(format!("{author} (草案 draft #{draft})")) }
}

/// Checks a draft before it is stored: at least one document, valid names, each once, a note
/// within its limit.
pub fn check_new(d: &NewDraft) -> Result<()> {
    if d.documents.is_empty() {
        return Err(StoreError::Backend("a draft needs at least one document".into()));
    }
    for (i, (name, _, _)) in d.documents.iter().enumerate() {
        documents::check_name(name)?;
        if d.documents[..i].iter().any(|o| &o.0 == name) {
            return Err(StoreError::InvalidDocumentName { name: name.clone() });
        }
    }
    if d.note.chars().count() > MAX_NOTE_CHARS {
        return Err(StoreError::Backend("a draft's note exceeds its limit".into()));
    }
    Ok(())
}

/// Whether a database error is the CHECK that refuses a review by the author.
pub fn is_self_review(message: &str) -> bool {
    message.contains("policy_review_not_by_author")
}

/// SQL both dialects accept (`bootstrap` INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL: bound
/// as a bool in both).
pub mod sql {
    pub const INSERT: &str = "INSERT INTO policy_drafts (author, created_at, origin, note, cases_passed, state) \
        VALUES ($1, $2, $3, $4, $5, 'draft') RETURNING id";
    pub const INSERT_DOCUMENT: &str = "INSERT INTO policy_draft_documents (draft_id, name, base_version, body, \
        checksum) VALUES ($1, $2, $3, $4, $5)";
    pub const COLUMNS: &str = "d.id, d.author, d.created_at, d.origin, d.note, d.cases_passed, d.state, \
        d.bootstrap, d.closed_by, d.closed_at, r.reason";
    pub const ONE: &str = "SELECT d.id, d.author, d.created_at, d.origin, d.note, d.cases_passed, d.state, \
        d.bootstrap, d.closed_by, d.closed_at, r.reason FROM policy_drafts d \
        LEFT JOIN policy_draft_reviews r ON r.draft_id = d.id WHERE d.id = $1";
    pub const LIST: &str = "SELECT d.id, d.author, d.created_at, d.origin, d.note, d.cases_passed, d.state, \
        d.bootstrap, d.closed_by, d.closed_at, r.reason FROM policy_drafts d \
        LEFT JOIN policy_draft_reviews r ON r.draft_id = d.id \
        WHERE (CAST($1 AS BIGINT) = 0 OR d.state = 'draft') ORDER BY d.id DESC LIMIT $2";
    pub const DOCUMENTS: &str = "SELECT name, base_version, body, checksum, new_version FROM \
        policy_draft_documents WHERE draft_id = $1 ORDER BY name";
    pub const CLOSE: &str = "UPDATE policy_drafts SET state = $1, closed_by = $2, closed_at = $3, bootstrap = $4 \
        WHERE id = $5 AND state = 'draft'";
    pub const SET_NEW_VERSION: &str =
        "UPDATE policy_draft_documents SET new_version = $1 WHERE draft_id = $2 AND name = $3";
    /// A document version written by an approval.
    pub const INSERT_VERSION: &str = "INSERT INTO documents (kind, name, version, body, checksum, actor, \
        created_at, deleted, approved_by, draft_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(name: &str, version: i64, actor: &str) -> Document {
        Document {
            kind: DocumentKind::Policy,
            name: name.into(),
            version,
            body: format!("{name} {version}"),
            checksum: documents::checksum(&format!("{name} {version}")),
            actor: actor.into(),
            created_at: DateTime::parse_from_rfc3339("2024-03-01T09:00:00+08:00").unwrap(),
            deleted: false,
            approved_by: None,
            draft: None,
        }
    }

    fn draft(docs: &[(&str, Option<i64>, &str)]) -> PolicyDraft {
        PolicyDraft {
            id: 7,
            author: "li".into(),
            created_at: DateTime::parse_from_rfc3339("2024-03-01T09:00:00+08:00").unwrap(),
            origin: DraftOrigin::Edit,
            note: String::new(),
            cases_passed: 3,
            state: DraftState::Draft,
            bootstrap: false,
            closed_by: None,
            closed_at: None,
            reason: None,
            documents: docs
                .iter()
                .map(|(n, v, b)| DraftDocument {
                    name: (*n).into(),
                    base_version: *v,
                    body: (*b).into(),
                    checksum: documents::checksum(b),
                    new_version: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_draft_against_the_live_heads_plans_the_next_versions() {
        let heads = [head("a.toml", 2, "li"), head("b.toml", 1, SEEDER)];
        let p = approval_plan(&draft(&[("a.toml", Some(2), "x"), ("c.toml", None, "y")]), &heads, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            p.iter().map(|v| (v.name.as_str(), v.version)).collect::<Vec<_>>(),
            [("a.toml", 3), ("c.toml", 1)]
        );
    }

    #[test]
    fn a_head_that_moved_on_makes_the_draft_stale() {
        let heads = [head("a.toml", 3, "wang")];
        let r = approval_plan(&draft(&[("a.toml", Some(2), "x")]), &heads, false).unwrap();
        assert_eq!(r, Err(Approval::Stale { name: "a.toml".into(), expected: Some(2), current: Some(3) }));
    }

    #[test]
    fn bootstrap_holds_only_while_every_head_is_the_seed() {
        let seeded = [head("a.toml", 1, SEEDER)];
        assert!(is_bootstrap(&seeded) && is_bootstrap(&[]));
        assert!(approval_plan(&draft(&[("a.toml", Some(1), "x")]), &seeded, true).unwrap().is_ok());
        let edited = [head("a.toml", 1, SEEDER), head("b.toml", 2, "wang")];
        assert!(!is_bootstrap(&edited));
        let r = approval_plan(&draft(&[("a.toml", Some(1), "x")]), &edited, true).unwrap();
        assert!(matches!(r, Err(Approval::Stale { ref name, .. }) if name == "b.toml"), "{r:?}");
    }

    #[test]
    fn states_round_trip() {
        use strum::IntoEnumIterator;
        for s in DraftState::iter() {
            assert_eq!(DraftState::parse(s.as_str()), Some(s));
        }
        for o in DraftOrigin::iter() {
            assert_eq!(DraftOrigin::parse(o.as_str()), Some(o));
        }
    }
}
