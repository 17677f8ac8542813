//! The versioned documents officials edit (policy files, time limits, zone settings) as the
//! use cases show and save them: a document with its history ([`DocumentView`]), the version
//! a save is made against ([`Expected`]), what a save wrote ([`Saved`]), and the seeding of a
//! new database with the shipped texts ([`seed`]).
//!
//! What each document means and what a save of it must pass lives with its use cases:
//! [`crate::policies`], [`crate::time_limits`], [`crate::settings`]; what the server works
//! with and follows while serving in [`crate::live`]. This module also re-exports their
//! items under the names they had before the split (`app::policy_docs::Live`, `check_sources`,
//! `limit_rows`, …), for callers not yet moved.
//!
//! What it leaves out: storing (the store) and HTTP (the web's `routes::policy_docs`).

pub use crate::live::{
    CachedDecisions, DecisionCache, FOLLOW_EVERY, Followed, Live, PolicySet, follow_store,
};
pub use crate::policies::{Rejected, check_sources, sources_of, with_replaced};
pub use crate::time_limits::{LimitRow, limit_rows, limit_text};

use crate::{App, Error, Result};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use store::Stamp;
use store::documents::{Document, DocumentKind, TIME_LIMITS_NAME};

/// Saves of documents in this process run one at a time: two officers saving different
/// policy files cannot each swap in a library missing the other's change.
pub(crate) static SAVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One version in a document's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionView {
    pub version: i64,
    /// Who wrote it (a policy draft's author).
    pub actor: String,
    pub created_at: DateTime<FixedOffset>,
    pub deleted: bool,
    /// Who approved it (a reviewed policy draft); `None` for a version written without review.
    pub approved_by: Option<String>,
    /// The policy draft it came from.
    pub draft: Option<i64>,
}

/// A stored document's current version with its history (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentView {
    pub name: String,
    pub version: i64,
    /// SHA-256 of `body`.
    pub checksum: String,
    pub actor: String,
    pub created_at: DateTime<FixedOffset>,
    pub body: String,
    pub history: Vec<VersionView>,
}

impl DocumentView {
    /// The view of a history (newest first, as `document_history` returns it); `None` when
    /// the document never existed or its latest version is a deletion.
    pub fn of(history: &[Document]) -> Option<DocumentView> {
        let cur = history.first().filter(|d| !d.deleted)?;
        Some(DocumentView {
            name: cur.name.clone(),
            version: cur.version,
            checksum: cur.checksum.clone(),
            actor: cur.actor.clone(),
            created_at: cur.created_at,
            body: cur.body.clone(),
            history: history
                .iter()
                .map(|d| VersionView {
                    version: d.version,
                    actor: d.actor.clone(),
                    created_at: d.created_at,
                    deleted: d.deleted,
                    approved_by: d.approved_by.clone(),
                    draft: d.draft,
                })
                .collect(),
        })
    }
}

/// The stored document with its history, or [`store::StoreError::DocumentNotFound`].
pub(crate) async fn view(app: &App, kind: DocumentKind, name: &str) -> Result<DocumentView> {
    let history = app.store.document_history(kind, name).await?;
    DocumentView::of(&history).ok_or_else(|| {
        Error::Store(store::StoreError::DocumentNotFound { kind: kind.as_str().into(), name: name.into() })
    })
}

/// The version a save is made against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The version the writer read (0: none was stored). A save over another one is
    /// [`Error::Stale`] and writes nothing.
    Version(i64),
    /// Whatever is current when the save runs: the command line's last-writer-wins (the
    /// operator names a file, not a version they read).
    Current,
}

impl Expected {
    /// The store's `expected` for a write of `kind`/`name`: checked against the current
    /// version here ([`Error::Stale`]), and again by the store inside its transaction.
    pub(crate) async fn resolve(self, app: &App, kind: DocumentKind, name: &str) -> Result<Option<i64>> {
        let current = app.store.current_document(kind, name).await?.map(|d| d.version);
        match self {
            Expected::Current => Ok(current),
            Expected::Version(v) if Some(v) == current || (v == 0 && current.is_none()) => Ok(current),
            Expected::Version(_) => Err(Error::Stale),
        }
    }
}

/// What a save wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Saved {
    /// The new version; `None` when the text equals the current one (nothing written).
    pub version: Option<i64>,
}

/// Who seeds the shipped documents, as recorded.
pub const SEEDER: &str = "seed";

/// Seeds a new database with the shipped policy files (name, text) and time limits as
/// version 1 of each kind that has no document yet; returns the kinds seeded. The zone
/// settings are not seeded: until an admin saves them, the defaults
/// ([`crate::settings::ZoneSettings::default`]) apply and say where they come from.
#[tracing::instrument(skip_all)]
pub async fn seed(
    store: &dyn store::Store,
    policies: Vec<(String, String)>,
    time_limits: &str,
    at: DateTime<FixedOffset>,
) -> Result<Vec<&'static str>> {
    let actor = Stamp::new(SEEDER, at);
    let limits = vec![(TIME_LIMITS_NAME.to_string(), time_limits.to_string())];
    let mut seeded = Vec::new();
    for (kind, docs) in [(DocumentKind::Policy, policies), (DocumentKind::TimeLimits, limits)] {
        if store.seed_documents(kind, docs, &actor).await? {
            seeded.push(kind.as_str());
        }
    }
    Ok(seeded)
}
