//! [`DraftStore`] on PostgreSQL: each write is one transaction; a decision locks the draft's
//! row first (`FOR UPDATE`), so two reviewers deciding at once are serialised and the second
//! finds it closed. Two approvals of different drafts over the same document both plan the
//! same next version; the documents' primary key refuses the second.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use store::documents::{self, Document, DocumentKind};
use store::drafts::{
    self, Approval, ApproveAs, DraftDocument, DraftOrigin, DraftState, DraftStore, NewDraft, PolicyDraft, sql,
};
use store::{Result, Stamp, StoreError};

use crate::{PgStore, backend, china, insert_reference_change, is_unique_violation};

fn draft_of(r: &tokio_postgres::Row) -> Result<PolicyDraft> {
    let origin: String = r.try_get(3).map_err(backend)?;
    let state: String = r.try_get(6).map_err(backend)?;
    Ok(PolicyDraft {
        id: r.try_get(0).map_err(backend)?,
        author: r.try_get(1).map_err(backend)?,
        created_at: china(r.try_get::<_, DateTime<FixedOffset>>(2).map_err(backend)?),
        origin: DraftOrigin::parse(&origin).ok_or_else(|| backend(format!("unknown origin {origin}")))?,
        note: r.try_get(4).map_err(backend)?,
        cases_passed: r.try_get(5).map_err(backend)?,
        state: DraftState::parse(&state).ok_or_else(|| backend(format!("unknown state {state}")))?,
        bootstrap: r.try_get(7).map_err(backend)?,
        closed_by: r.try_get(8).map_err(backend)?,
        closed_at: r.try_get::<_, Option<DateTime<FixedOffset>>>(9).map_err(backend)?.map(china),
        reason: r.try_get::<_, Option<String>>(10).map_err(backend)?.filter(|s| !s.is_empty()),
        documents: Vec::new(),
    })
}

async fn documents_of(c: &impl GenericClient, id: i64) -> Result<Vec<DraftDocument>> {
    let rows = c.query(sql::DOCUMENTS, &[&id]).await.map_err(backend)?;
    rows.iter()
        .map(|r| {
            Ok(DraftDocument {
                name: r.try_get(0).map_err(backend)?,
                base_version: r.try_get(1).map_err(backend)?,
                body: r.try_get(2).map_err(backend)?,
                checksum: r.try_get(3).map_err(backend)?,
                new_version: r.try_get(4).map_err(backend)?,
            })
        })
        .collect()
}

async fn one(c: &impl GenericClient, id: i64) -> Result<Option<PolicyDraft>> {
    match c.query_opt(sql::ONE, &[&id]).await.map_err(backend)? {
        Some(r) => {
            let mut d = draft_of(&r)?;
            d.documents = documents_of(c, id).await?;
            Ok(Some(d))
        }
        None => Ok(None),
    }
}

/// The open draft, its row locked for the rest of the transaction.
async fn open(c: &impl GenericClient, id: i64) -> Result<PolicyDraft> {
    c.query_opt("SELECT id FROM policy_drafts WHERE id = $1 FOR UPDATE", &[&id]).await.map_err(backend)?;
    let d = one(c, id).await?.ok_or(StoreError::DraftNotFound { id })?;
    drafts::check_open(&d)?;
    Ok(d)
}

async fn close(
    c: &impl GenericClient,
    id: i64,
    state: DraftState,
    by: &Stamp,
    bootstrap: bool,
) -> Result<()> {
    c.execute(sql::CLOSE, &[&state.as_str(), &by.username, &by.at, &bootstrap, &id])
        .await
        .map_err(backend)?;
    let label = if bootstrap { "approved (bootstrap)" } else { state.as_str() };
    let change = drafts::state_change(Some(DraftState::Draft), label);
    insert_reference_change(c, by, drafts::AUDIT_ENTITY, &id.to_string(), &change).await
}

async fn review(c: &impl GenericClient, id: i64, by: &Stamp, decision: &str, reason: &str) -> Result<()> {
    // The review row, its author copied from the draft.
    const REVIEW: &str = "INSERT INTO policy_draft_reviews (draft_id, author, reviewer, decision, reason, at) \
        SELECT id, author, $2::TEXT, $3::TEXT, $4::TEXT, $5::TIMESTAMPTZ FROM policy_drafts WHERE id = $1";
    match c.execute(REVIEW, &[&id, &by.username, &decision, &reason, &by.at]).await {
        Ok(1) => Ok(()),
        Ok(_) => Err(StoreError::DraftNotFound { id }),
        Err(e) => {
            let constraint = e.as_db_error().and_then(|d| d.constraint()).unwrap_or_default().to_string();
            if drafts::is_self_review(&constraint) || drafts::is_self_review(&e.to_string()) {
                return Err(StoreError::SelfReview { id, username: by.username.clone() });
            }
            Err(backend(e))
        }
    }
}

async fn heads(c: &impl GenericClient) -> Result<Vec<Document>> {
    let rows = c.query(documents::sql::HEADS, &[&DocumentKind::Policy.as_str()]).await.map_err(backend)?;
    rows.iter()
        .map(|r| {
            Ok(Document {
                kind: DocumentKind::Policy,
                name: r.try_get(0).map_err(backend)?,
                version: r.try_get(1).map_err(backend)?,
                body: r.try_get(2).map_err(backend)?,
                checksum: r.try_get(3).map_err(backend)?,
                actor: r.try_get(4).map_err(backend)?,
                created_at: china(r.try_get::<_, DateTime<FixedOffset>>(5).map_err(backend)?),
                deleted: r.try_get(6).map_err(backend)?,
                approved_by: r.try_get(7).map_err(backend)?,
                draft: r.try_get(8).map_err(backend)?,
            })
        })
        .collect()
}

#[async_trait]
impl DraftStore for PgStore {
    async fn create_policy_draft(&self, draft: NewDraft, author: &Stamp) -> Result<PolicyDraft> {
        drafts::check_new(&draft)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id: i64 = tx
            .query_one(
                sql::INSERT,
                &[&author.username, &author.at, &draft.origin.as_str(), &draft.note, &draft.cases_passed],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        for (name, base, body) in &draft.documents {
            tx.execute(sql::INSERT_DOCUMENT, &[&id, name, base, body, &documents::checksum(body)])
                .await
                .map_err(backend)?;
        }
        let change = drafts::state_change(None, "draft");
        insert_reference_change(&tx, author, drafts::AUDIT_ENTITY, &id.to_string(), &change).await?;
        let out = one(&tx, id).await?.ok_or(StoreError::DraftNotFound { id })?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn policy_draft(&self, id: i64) -> Result<Option<PolicyDraft>> {
        let client = self.client().await?;
        one(&client, id).await
    }

    async fn policy_drafts(&self, open_only: bool, limit: u32) -> Result<Vec<PolicyDraft>> {
        let client = self.client().await?;
        let rows =
            client.query(sql::LIST, &[&i64::from(open_only), &i64::from(limit)]).await.map_err(backend)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut d = draft_of(r)?;
            d.documents = documents_of(&client, d.id).await?;
            out.push(d);
        }
        Ok(out)
    }

    async fn approve_policy_draft(&self, id: i64, by: &ApproveAs) -> Result<Approval> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let draft = open(&tx, id).await?;
        let bootstrap = matches!(by, ApproveAs::Bootstrap(_));
        let stamp = by.stamp();
        if bootstrap && stamp.username != draft.author {
            return Err(StoreError::Backend("a bootstrap approval is the author's".into()));
        }
        // One approval of the policy library at a time: the heads read here stay the heads.
        tx.execute("LOCK TABLE documents IN SHARE ROW EXCLUSIVE MODE", &[]).await.map_err(backend)?;
        let heads = heads(&tx).await?;
        let planned = match drafts::approval_plan(&draft, &heads, bootstrap)? {
            Ok(p) => p,
            Err(stale) => {
                close(&tx, id, DraftState::Stale, stamp, false).await?;
                tx.commit().await.map_err(backend)?;
                return Ok(stale);
            }
        };
        if !bootstrap {
            review(&tx, id, stamp, "approved", "").await?;
        }
        let approved_by = (!bootstrap).then(|| stamp.username.clone());
        let entity = documents::audit_entity(DocumentKind::Policy);
        let mut written = Vec::new();
        for v in planned {
            let r = tx
                .execute(
                    sql::INSERT_VERSION,
                    &[
                        &DocumentKind::Policy.as_str(),
                        &v.name,
                        &v.version,
                        &v.body,
                        &v.checksum,
                        &draft.author,
                        &stamp.at,
                        &false,
                        &approved_by,
                        &id,
                    ],
                )
                .await;
            if let Err(e) = r {
                if is_unique_violation(&e) {
                    return Err(StoreError::DocumentConflict {
                        kind: DocumentKind::Policy.as_str().into(),
                        name: v.name,
                        expected: (v.version - 1).to_string(),
                        current: v.version.to_string(),
                    });
                }
                return Err(backend(e));
            }
            tx.execute(sql::SET_NEW_VERSION, &[&v.version, &id, &v.name]).await.map_err(backend)?;
            insert_reference_change(&tx, stamp, &entity, &v.name, &v.change).await?;
            insert_reference_change(&tx, stamp, &entity, &v.name, &drafts::author_change(&draft.author, id))
                .await?;
            let mut d = v.into_document(DocumentKind::Policy, &Stamp::new(&draft.author, stamp.at));
            d.approved_by = approved_by.clone();
            d.draft = Some(id);
            written.push(d);
        }
        close(&tx, id, DraftState::Approved, stamp, bootstrap).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Approval::Live(written))
    }

    async fn reject_policy_draft(&self, id: i64, reviewer: &Stamp, reason: &str) -> Result<PolicyDraft> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        open(&tx, id).await?;
        review(&tx, id, reviewer, "rejected", reason).await?;
        close(&tx, id, DraftState::Rejected, reviewer, false).await?;
        let out = one(&tx, id).await?.ok_or(StoreError::DraftNotFound { id })?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn withdraw_policy_draft(&self, id: i64, author: &Stamp) -> Result<PolicyDraft> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        open(&tx, id).await?;
        close(&tx, id, DraftState::Withdrawn, author, false).await?;
        let out = one(&tx, id).await?.ok_or(StoreError::DraftNotFound { id })?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}
