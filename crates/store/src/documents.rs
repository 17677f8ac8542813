//! Versioned documents (受版本管理的文档): the texts officials edit in the database, kept with
//! every version. Three kinds: the policy files (`policy`, one document per file of
//! `policies/`), the zone's time limits (`time_limits`, one document `time_limits.toml`) and
//! the zone settings (`zone_settings`, one document `zone_settings.toml`: the supervision
//! thresholds and what later issues add).
//!
//! - `documents`: one row per (kind, name, version), versions 1, 2, … per name, each with its
//!   body, SHA-256 checksum, who wrote it and when. A deletion is a row too (a tombstone with
//!   an empty body), so the history survives it and a later put continues the numbering.
//! - Every written version is recorded in `reference_changes` (entity `document.<kind>`, key
//!   the name, field `version`, old → new as `v3 sha256:…`).
//!
//! Writes name the version they were made against ([`DocumentChange::expected`]): when the
//! database's current version differs (someone saved in between), the whole write is refused
//! with [`StoreError::DocumentConflict`] and nothing is written. A put whose body equals the
//! current one writes nothing. [`plan`] decides all this as a pure function over the current
//! heads, so both backends only read the heads, call it and insert its rows in one transaction.
//!
//! What it leaves out: what a body means. The caller checks a policy file (the rules crate),
//! a time-limits file (the handling crate) or the zone settings (`app::settings`) before
//! storing it; the store keeps text.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::FieldChange;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Result, Stamp, StoreError};

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DocumentKind {
    /// A policy file (rules crate TOML).
    Policy,
    /// The zone's time limits (handling crate TOML).
    TimeLimits,
    /// The zone settings (园区设置, `app::settings` TOML). Migration 0012 admits the kind.
    ZoneSettings,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] =
        [DocumentKind::Policy, DocumentKind::TimeLimits, DocumentKind::ZoneSettings];

    /// The stored text: `policy`, `time_limits` or `zone_settings`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The inverse of [`DocumentKind::as_str`].
    pub fn parse(s: &str) -> Option<DocumentKind> {
        s.parse().ok()
    }
}

/// The name of the one time-limits document.
pub const TIME_LIMITS_NAME: &str = "time_limits.toml";

/// The name of the one zone-settings document.
pub const ZONE_SETTINGS_NAME: &str = "zone_settings.toml";

/// One stored version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub kind: DocumentKind,
    /// A relative file name such as `zone-sample-2022.toml` (see [`check_name`]).
    pub name: String,
    /// 1, 2, … per (kind, name).
    pub version: i64,
    /// The text; empty for a deletion.
    pub body: String,
    /// Lowercase hex SHA-256 of `body`.
    pub checksum: String,
    /// Who wrote this version.
    pub actor: String,
    pub created_at: DateTime<FixedOffset>,
    /// A tombstone: the document was deleted by this version.
    pub deleted: bool,
    /// Who approved this version (a policy draft's reviewer, [`crate::drafts`]); `None` for a
    /// version written without review (the seed, a bootstrap load, time limits, settings).
    pub approved_by: Option<String>,
    /// The policy draft this version came from.
    pub draft: Option<i64>,
}

/// One change of a write: a new body, or a deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentChange {
    pub name: String,
    /// The current version the writer saw; `None` for a document that does not exist (never
    /// written, or deleted).
    pub expected: Option<i64>,
    /// The new text; `None` deletes the document.
    pub body: Option<String>,
}

/// A row [`plan`] decided to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    pub name: String,
    pub version: i64,
    pub body: String,
    pub checksum: String,
    pub deleted: bool,
    /// The change to record in `reference_changes`.
    pub change: FieldChange,
}

impl NewVersion {
    /// The version as stored by `actor`.
    pub fn into_document(self, kind: DocumentKind, actor: &Stamp) -> Document {
        Document {
            kind,
            name: self.name,
            version: self.version,
            body: self.body,
            checksum: self.checksum,
            actor: actor.username.clone(),
            created_at: actor.at_china(),
            deleted: self.deleted,
            approved_by: None,
            draft: None,
        }
    }
}

/// Versioned documents in the store.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// The current (latest, not deleted) version of every document of a kind, by name.
    async fn current_documents(&self, kind: DocumentKind) -> Result<Vec<Document>>;

    /// Every version of one document, newest first (empty if it never existed).
    async fn document_history(&self, kind: DocumentKind, name: &str) -> Result<Vec<Document>>;

    /// Applies the changes in one transaction, all or nothing (see [`plan`]); returns the
    /// versions written (an unchanged body writes none), in the order of `changes`.
    async fn write_documents(
        &self,
        kind: DocumentKind,
        changes: Vec<DocumentChange>,
        actor: &Stamp,
    ) -> Result<Vec<Document>>;

    /// Inserts `documents` (name, body) as version 1 if the database has no document of this
    /// kind at all (none ever written); returns whether it did. The shipped texts seed a new
    /// database; after that the database copy is authoritative.
    async fn seed_documents(
        &self,
        kind: DocumentKind,
        documents: Vec<(String, String)>,
        actor: &Stamp,
    ) -> Result<bool>;

    /// One document's current version, or `None`.
    async fn current_document(&self, kind: DocumentKind, name: &str) -> Result<Option<Document>> {
        let h = self.document_history(kind, name).await?;
        Ok(h.into_iter().next().filter(|d| !d.deleted))
    }

    /// Writes one document's new body against the version the writer saw.
    async fn put_document(
        &self,
        kind: DocumentKind,
        name: &str,
        expected: Option<i64>,
        body: String,
        actor: &Stamp,
    ) -> Result<Option<Document>> {
        let change = DocumentChange { name: name.to_string(), expected, body: Some(body) };
        Ok(self.write_documents(kind, vec![change], actor).await?.into_iter().next())
    }

    /// Deletes one document (a tombstone version) against the version the writer saw.
    async fn delete_document(
        &self,
        kind: DocumentKind,
        name: &str,
        expected: i64,
        actor: &Stamp,
    ) -> Result<Document> {
        let change = DocumentChange { name: name.to_string(), expected: Some(expected), body: None };
        self.write_documents(kind, vec![change], actor)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Backend("a deletion wrote no version".into()))
    }
}

/// The latest stored version of a name (deleted or not), as [`plan`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub name: String,
    pub version: i64,
    pub checksum: String,
    pub deleted: bool,
}

/// Lowercase hex SHA-256 of a body.
pub fn checksum(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// A document name is a relative path of `/`-separated parts made of letters, digits, `-`,
/// `_` and `.`, none of them `.` or `..`, at most 200 characters.
pub fn check_name(name: &str) -> Result<()> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if name.len() <= 200 && name.split('/').all(ok_part) {
        Ok(())
    } else {
        Err(StoreError::InvalidDocumentName { name: name.to_string() })
    }
}

fn label(version: i64, checksum: &str, deleted: bool) -> String {
    if deleted { format!("v{version} deleted") } else { format!("v{version} sha256:{}", &checksum[..12]) }
}

/// Decides what a write inserts, given the heads of the kind (latest version of each name).
/// Refuses the whole write on a stale or wrong `expected` ([`StoreError::DocumentConflict`]),
/// a deletion of what does not exist ([`StoreError::DocumentNotFound`]), a bad name, or the
/// same name twice. A body equal to the current one inserts nothing.
pub fn plan(kind: DocumentKind, heads: &[Head], changes: &[DocumentChange]) -> Result<Vec<NewVersion>> {
    let mut out = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        check_name(&c.name)?;
        if changes[..i].iter().any(|o| o.name == c.name) {
            return Err(StoreError::InvalidDocumentName { name: c.name.clone() });
        }
        let head = heads.iter().find(|h| h.name == c.name);
        let current = head.filter(|h| !h.deleted).map(|h| h.version);
        if c.expected != current {
            let v = |x: Option<i64>| x.map_or_else(|| "-".to_string(), |v| v.to_string());
            return Err(StoreError::DocumentConflict {
                kind: kind.as_str().into(),
                name: c.name.clone(),
                expected: v(c.expected),
                current: v(current),
            });
        }
        let next = head.map_or(1, |h| h.version + 1);
        let old = head.map(|h| label(h.version, &h.checksum, h.deleted));
        let (body, deleted) = match &c.body {
            Some(b) => (b.clone(), false),
            None if current.is_none() => {
                return Err(StoreError::DocumentNotFound {
                    kind: kind.as_str().into(),
                    name: c.name.clone(),
                });
            }
            None => (String::new(), true),
        };
        let sum = checksum(&body);
        if !deleted && head.is_some_and(|h| !h.deleted && h.checksum == sum) {
            continue;
        }
        out.push(NewVersion {
            name: c.name.clone(),
            version: next,
            change: FieldChange { field: "version".into(), old, new: Some(label(next, &sum, deleted)) },
            body,
            checksum: sum,
            deleted,
        });
    }
    Ok(out)
}

/// The changes that create `documents` (name, body) as new documents: what seeding writes.
pub fn creations(documents: Vec<(String, String)>) -> Vec<DocumentChange> {
    documents
        .into_iter()
        .map(|(name, body)| DocumentChange { name, expected: None, body: Some(body) })
        .collect()
}

/// The entity a document's changes are recorded under in `reference_changes`.
pub fn audit_entity(kind: DocumentKind) -> String {
    format!("document.{}", kind.as_str())
}

/// SQL texts both dialects accept (`deleted` is INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL;
/// `NOT deleted` and a bound bool work in both).
pub mod sql {
    /// Columns in [`super::Document`]'s order (without `kind`).
    macro_rules! cols {
        () => {
            "d.name, d.version, d.body, d.checksum, d.actor, d.created_at, d.deleted, d.approved_by, d.draft_id"
        };
    }
    /// The latest version of each name of a kind ($1), deleted ones included, by name.
    pub const HEADS: &str = concat!(
        "SELECT ",
        cols!(),
        " FROM documents d WHERE d.kind = $1 AND d.version = \
         (SELECT MAX(x.version) FROM documents x WHERE x.kind = d.kind AND x.name = d.name) ORDER BY d.name"
    );
    /// Every version of a document ($1 kind, $2 name), newest first.
    pub const HISTORY: &str = concat!(
        "SELECT ",
        cols!(),
        " FROM documents d WHERE d.kind = $1 AND d.name = $2 ORDER BY d.version DESC"
    );
    pub const INSERT: &str = "INSERT INTO documents (kind, name, version, body, checksum, actor, created_at, \
        deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const COUNT_KIND: &str = "SELECT COUNT(*) FROM documents WHERE kind = $1";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(name: &str, version: i64, body: &str, deleted: bool) -> Head {
        Head { name: name.into(), version, checksum: checksum(body), deleted }
    }

    fn put(name: &str, expected: Option<i64>, body: &str) -> DocumentChange {
        DocumentChange { name: name.into(), expected, body: Some(body.into()) }
    }

    #[test]
    fn a_new_document_is_version_one_and_a_change_the_next() {
        let p = plan(DocumentKind::Policy, &[], &[put("a.toml", None, "x")]).unwrap();
        assert_eq!((p[0].version, p[0].deleted), (1, false));
        assert_eq!(p[0].change.old, None);
        let heads = [head("a.toml", 1, "x", false)];
        let p = plan(DocumentKind::Policy, &heads, &[put("a.toml", Some(1), "y")]).unwrap();
        assert_eq!(p[0].version, 2);
        assert!(p[0].change.new.as_deref().unwrap().starts_with("v2 sha256:"));
    }

    #[test]
    fn an_unchanged_body_writes_nothing() {
        let heads = [head("a.toml", 3, "x", false)];
        assert!(plan(DocumentKind::Policy, &heads, &[put("a.toml", Some(3), "x")]).unwrap().is_empty());
    }

    #[test]
    fn a_stale_version_is_a_conflict_for_the_whole_write() {
        let heads = [head("a.toml", 3, "x", false)];
        let r = plan(DocumentKind::Policy, &heads, &[put("b.toml", None, "z"), put("a.toml", Some(2), "y")]);
        assert!(matches!(r, Err(StoreError::DocumentConflict { ref name, .. }) if name == "a.toml"), "{r:?}");
        let r = plan(DocumentKind::Policy, &heads, &[put("a.toml", None, "y")]);
        assert!(matches!(r, Err(StoreError::DocumentConflict { .. })), "creating what exists: {r:?}");
    }

    #[test]
    fn a_deletion_is_a_tombstone_and_numbering_continues() {
        let heads = [head("a.toml", 2, "x", false)];
        let del = DocumentChange { name: "a.toml".into(), expected: Some(2), body: None };
        let p = plan(DocumentKind::Policy, &heads, std::slice::from_ref(&del)).unwrap();
        assert_eq!((p[0].version, p[0].deleted, p[0].body.as_str()), (3, true, ""));
        let heads = [head("a.toml", 3, "", true)];
        assert!(matches!(
            plan(DocumentKind::Policy, &heads, &[del]),
            Err(StoreError::DocumentConflict { .. })
        ));
        let p = plan(DocumentKind::Policy, &heads, &[put("a.toml", None, "x")]).unwrap();
        assert_eq!(p[0].version, 4);
        let missing = DocumentChange { name: "b.toml".into(), expected: None, body: None };
        assert!(matches!(
            plan(DocumentKind::Policy, &[], &[missing]),
            Err(StoreError::DocumentNotFound { .. })
        ));
    }

    #[test]
    fn names_are_relative_paths_without_dot_dot() {
        for ok in ["a.toml", "zone/a-b_c.toml"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/a.toml", "../a.toml", "a//b", "a b.toml", "a/./b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let twice = [put("a.toml", None, "x"), put("a.toml", None, "y")];
        assert!(plan(DocumentKind::Policy, &[], &twice).is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocumentKind::parse("x"), None);
    }
}
