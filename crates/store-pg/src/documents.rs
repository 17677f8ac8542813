//! [`DocumentStore`] on PostgreSQL: a write is one transaction (read the heads,
//! [`documents::plan`], insert, record). Two concurrent saves against the same version both
//! plan the same next version; the primary key refuses the second, reported as a conflict.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use store::documents::{self, Document, DocumentChange, DocumentKind, DocumentStore, Head, sql};
use store::{Result, Stamp, StoreError};
use tokio_postgres::types::ToSql;

use crate::{PgStore, backend, china, insert_reference_change, is_unique_violation};

async fn rows(
    c: &impl GenericClient,
    kind: DocumentKind,
    query: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Document>> {
    let rows = c.query(query, params).await.map_err(backend)?;
    rows.iter()
        .map(|r| {
            Ok(Document {
                kind,
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

/// Plans against the heads and inserts in `c` (a transaction); returns the versions written.
async fn apply(
    c: &impl GenericClient,
    kind: DocumentKind,
    changes: &[DocumentChange],
    actor: &Stamp,
) -> Result<Vec<Document>> {
    let heads: Vec<Head> = rows(c, kind, sql::HEADS, &[&kind.as_str()])
        .await?
        .into_iter()
        .map(|d| Head { name: d.name, version: d.version, checksum: d.checksum, deleted: d.deleted })
        .collect();
    let planned = documents::plan(kind, &heads, changes)?;
    let entity = documents::audit_entity(kind);
    let mut out = Vec::new();
    for v in planned {
        let r = c
            .execute(
                sql::INSERT,
                &[
                    &kind.as_str(),
                    &v.name,
                    &v.version,
                    &v.body,
                    &v.checksum,
                    &actor.username,
                    &actor.at,
                    &v.deleted,
                ],
            )
            .await;
        if let Err(e) = r {
            if is_unique_violation(&e) {
                return Err(StoreError::DocumentConflict {
                    kind: kind.as_str().into(),
                    name: v.name,
                    expected: (v.version - 1).to_string(),
                    current: v.version.to_string(),
                });
            }
            return Err(backend(e));
        }
        insert_reference_change(c, actor, &entity, &v.name, &v.change).await?;
        out.push(v.into_document(kind, actor));
    }
    Ok(out)
}

#[async_trait]
impl DocumentStore for PgStore {
    async fn current_documents(&self, kind: DocumentKind) -> Result<Vec<Document>> {
        let client = self.client().await?;
        let all = rows(&client, kind, sql::HEADS, &[&kind.as_str()]).await?;
        Ok(all.into_iter().filter(|d| !d.deleted).collect())
    }

    async fn document_history(&self, kind: DocumentKind, name: &str) -> Result<Vec<Document>> {
        let client = self.client().await?;
        rows(&client, kind, sql::HISTORY, &[&kind.as_str(), &name]).await
    }

    async fn write_documents(
        &self,
        kind: DocumentKind,
        changes: Vec<DocumentChange>,
        actor: &Stamp,
    ) -> Result<Vec<Document>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let out = apply(&tx, kind, &changes, actor).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn seed_documents(
        &self,
        kind: DocumentKind,
        docs: Vec<(String, String)>,
        actor: &Stamp,
    ) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // One seeder at a time: a second server starting at once waits, then sees the rows.
        tx.execute("LOCK TABLE documents IN SHARE ROW EXCLUSIVE MODE", &[]).await.map_err(backend)?;
        let n: i64 = tx
            .query_one(sql::COUNT_KIND, &[&kind.as_str()])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        if n > 0 {
            return Ok(false);
        }
        let changes = documents::creations(docs);
        apply(&tx, kind, &changes, actor).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}
