//! [`DraftStore`] on SQLite: each write is one job of the writer thread (one transaction);
//! reads run on the read pool.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};
use store::documents::{self, Document, DocumentKind};
use store::drafts::{
    self, Approval, ApproveAs, DraftDocument, DraftOrigin, DraftState, DraftStore, NewDraft, PolicyDraft, sql,
};
use store::{Result, Stamp, StoreError};

use crate::{SqliteStore, backend, insert_reference_change, ts};

fn documents_of(conn: &Connection, id: i64) -> Result<Vec<DraftDocument>> {
    let mut st = conn.prepare_cached(sql::DOCUMENTS).map_err(backend)?;
    let rows = st
        .query_map([id], |r| {
            Ok(DraftDocument {
                name: r.get(0)?,
                base_version: r.get(1)?,
                body: r.get(2)?,
                checksum: r.get(3)?,
                new_version: r.get(4)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

fn draft_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PolicyDraft> {
    let bad = |i: usize, v: String| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown {v}").into(),
        )
    };
    let origin: String = r.get(3)?;
    let state: String = r.get(6)?;
    Ok(PolicyDraft {
        id: r.get(0)?,
        author: r.get(1)?,
        created_at: ts(r.get::<_, DateTime<FixedOffset>>(2)?),
        origin: DraftOrigin::parse(&origin).ok_or_else(|| bad(3, origin.clone()))?,
        note: r.get(4)?,
        cases_passed: r.get(5)?,
        state: DraftState::parse(&state).ok_or_else(|| bad(6, state.clone()))?,
        bootstrap: r.get(7)?,
        closed_by: r.get(8)?,
        closed_at: r.get::<_, Option<DateTime<FixedOffset>>>(9)?.map(ts),
        reason: r.get::<_, Option<String>>(10)?.filter(|s| !s.is_empty()),
        documents: Vec::new(),
    })
}

fn one(conn: &Connection, id: i64) -> Result<Option<PolicyDraft>> {
    let d = conn
        .prepare_cached(sql::ONE)
        .and_then(|mut st| st.query_row([id], draft_row).optional())
        .map_err(backend)?;
    match d {
        Some(mut d) => {
            d.documents = documents_of(conn, id)?;
            Ok(Some(d))
        }
        None => Ok(None),
    }
}

fn open(conn: &Connection, id: i64) -> Result<PolicyDraft> {
    let d = one(conn, id)?.ok_or(StoreError::DraftNotFound { id })?;
    drafts::check_open(&d)?;
    Ok(d)
}

fn close(conn: &Connection, id: i64, state: DraftState, by: &Stamp, bootstrap: bool) -> Result<()> {
    conn.prepare_cached(sql::CLOSE)
        .and_then(|mut st| st.execute(params![state.as_str(), by.username, ts(by.at), bootstrap, id]))
        .map_err(backend)?;
    let label = if bootstrap { "approved (bootstrap)" } else { state.as_str() };
    insert_reference_change(
        conn,
        by,
        drafts::AUDIT_ENTITY,
        &id.to_string(),
        &drafts::state_change(Some(DraftState::Draft), label),
    )
}

fn review(conn: &Connection, id: i64, by: &Stamp, decision: &str, reason: &str) -> Result<()> {
    // The review row, its author copied from the draft (numbered parameters: the id comes last
    // in the text).
    const REVIEW: &str = "INSERT INTO policy_draft_reviews (draft_id, author, reviewer, decision, reason, at) \
        SELECT id, author, ?2, ?3, ?4, ?5 FROM policy_drafts WHERE id = ?1";
    let n = conn
        .prepare_cached(REVIEW)
        .and_then(|mut st| st.execute(params![id, by.username, decision, reason, ts(by.at)]))
        .map_err(|e| {
            if drafts::is_self_review(&e.to_string()) {
                StoreError::SelfReview { id, username: by.username.clone() }
            } else {
                backend(e)
            }
        })?;
    if n == 1 { Ok(()) } else { Err(StoreError::DraftNotFound { id }) }
}

fn heads(conn: &Connection) -> Result<Vec<Document>> {
    let mut st = conn.prepare_cached(documents::sql::HEADS).map_err(backend)?;
    let rows = st
        .query_map([DocumentKind::Policy.as_str()], |r| {
            Ok(Document {
                kind: DocumentKind::Policy,
                name: r.get(0)?,
                version: r.get(1)?,
                body: r.get(2)?,
                checksum: r.get(3)?,
                actor: r.get(4)?,
                created_at: ts(r.get::<_, DateTime<FixedOffset>>(5)?),
                deleted: r.get(6)?,
                approved_by: r.get(7)?,
                draft: r.get(8)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

#[async_trait]
impl DraftStore for SqliteStore {
    async fn create_policy_draft(&self, draft: NewDraft, author: &Stamp) -> Result<PolicyDraft> {
        drafts::check_new(&draft)?;
        let author = author.clone();
        self.write(move |conn| {
            let id: i64 = conn
                .prepare_cached(sql::INSERT)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            author.username,
                            ts(author.at),
                            draft.origin.as_str(),
                            draft.note,
                            draft.cases_passed
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)?;
            for (name, base, body) in &draft.documents {
                conn.prepare_cached(sql::INSERT_DOCUMENT)
                    .and_then(|mut st| st.execute(params![id, name, base, body, documents::checksum(body)]))
                    .map_err(backend)?;
            }
            insert_reference_change(
                conn,
                &author,
                drafts::AUDIT_ENTITY,
                &id.to_string(),
                &drafts::state_change(None, "draft"),
            )?;
            one(conn, id)?.ok_or(StoreError::DraftNotFound { id })
        })
        .await
    }

    async fn policy_draft(&self, id: i64) -> Result<Option<PolicyDraft>> {
        self.read(move |conn| one(conn, id)).await
    }

    async fn policy_drafts(&self, open_only: bool, limit: u32) -> Result<Vec<PolicyDraft>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::LIST).map_err(backend)?;
            let mut list = st
                .query_map(params![i64::from(open_only), i64::from(limit)], draft_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            for d in &mut list {
                d.documents = documents_of(conn, d.id)?;
            }
            Ok(list)
        })
        .await
    }

    async fn approve_policy_draft(&self, id: i64, by: &ApproveAs) -> Result<Approval> {
        let by = by.clone();
        self.write(move |conn| {
            let draft = open(conn, id)?;
            let bootstrap = matches!(by, ApproveAs::Bootstrap(_));
            let stamp = by.stamp();
            if bootstrap && stamp.username != draft.author {
                return Err(StoreError::Backend("a bootstrap approval is the author's".into()));
            }
            let heads = heads(conn)?;
            let planned = match drafts::approval_plan(&draft, &heads, bootstrap)? {
                Ok(p) => p,
                Err(stale) => {
                    close(conn, id, DraftState::Stale, stamp, false)?;
                    return Ok(stale);
                }
            };
            if !bootstrap {
                review(conn, id, stamp, "approved", "")?;
            }
            let approved_by = (!bootstrap).then(|| stamp.username.clone());
            let entity = documents::audit_entity(DocumentKind::Policy);
            let mut written = Vec::new();
            for v in planned {
                conn.prepare_cached(sql::INSERT_VERSION)
                    .and_then(|mut st| {
                        st.execute(params![
                            DocumentKind::Policy.as_str(),
                            v.name,
                            v.version,
                            v.body,
                            v.checksum,
                            draft.author,
                            ts(stamp.at),
                            false,
                            approved_by,
                            id
                        ])
                    })
                    .map_err(backend)?;
                conn.prepare_cached(sql::SET_NEW_VERSION)
                    .and_then(|mut st| st.execute(params![v.version, id, v.name]))
                    .map_err(backend)?;
                insert_reference_change(conn, stamp, &entity, &v.name, &v.change)?;
                insert_reference_change(
                    conn,
                    stamp,
                    &entity,
                    &v.name,
                    &drafts::author_change(&draft.author, id),
                )?;
                let mut d = v.into_document(DocumentKind::Policy, &Stamp::new(&draft.author, stamp.at));
                d.approved_by = approved_by.clone();
                d.draft = Some(id);
                written.push(d);
            }
            close(conn, id, DraftState::Approved, stamp, bootstrap)?;
            Ok(Approval::Live(written))
        })
        .await
    }

    async fn reject_policy_draft(&self, id: i64, reviewer: &Stamp, reason: &str) -> Result<PolicyDraft> {
        let (reviewer, reason) = (reviewer.clone(), reason.to_string());
        self.write(move |conn| {
            open(conn, id)?;
            review(conn, id, &reviewer, "rejected", &reason)?;
            close(conn, id, DraftState::Rejected, &reviewer, false)?;
            one(conn, id)?.ok_or(StoreError::DraftNotFound { id })
        })
        .await
    }

    async fn withdraw_policy_draft(&self, id: i64, author: &Stamp) -> Result<PolicyDraft> {
        let author = author.clone();
        self.write(move |conn| {
            open(conn, id)?;
            close(conn, id, DraftState::Withdrawn, &author, false)?;
            one(conn, id)?.ok_or(StoreError::DraftNotFound { id })
        })
        .await
    }
}
