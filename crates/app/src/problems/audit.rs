//! The audit verification (`huiqi audit verify`): the hash chain over every problem event,
//! every stored file re-hashed against its record and the event that names it, and the
//! grant audit chain (免申即享: runs, publicity, objections, approvals, payment files).

use store::attachments::AttachmentMismatch;
use store::grants::GrantChainReport;
use store::problems::AuditReport;

use crate::{App, Result};

/// What the verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOutcome {
    /// The chain: how many events, the head hash, the first broken link if any.
    pub chain: AuditReport,
    /// Files whose bytes or records no longer match.
    pub attachments: Vec<AttachmentMismatch>,
    /// The grant chain: how many events, its head, the first broken seq if any.
    pub grants: GrantChainReport,
}

impl AuditOutcome {
    pub fn intact(&self) -> bool {
        self.chain.broken.is_none() && self.attachments.is_empty() && self.grants.broken.is_none()
    }
}

/// Walks the whole chain and re-hashes every stored file. The operator's command: it reads
/// everything and shows no problem's content.
#[tracing::instrument(skip(app))]
pub async fn verify(app: &App) -> Result<AuditOutcome> {
    let chain = app.store.audit_verify().await?;
    let attachments = app.store.verify_attachments().await?;
    let grants = app.store.verify_grant_chain().await?;
    if chain.broken.is_some() || !attachments.is_empty() || grants.broken.is_some() {
        tracing::warn!(
            events = chain.events,
            files = attachments.len(),
            grant_events = grants.events,
            "audit verification found tampering"
        );
    }
    Ok(AuditOutcome { chain, attachments, grants })
}
