//! [`DocumentStore`] on SQLite: a write is one job of the writer thread (read the heads,
//! [`documents::plan`], insert, record), so a stale version can never slip in between; reads
//! run on the read pool.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, params};
use store::documents::{self, Document, DocumentChange, DocumentKind, DocumentStore, Head, sql};
use store::{Result, Stamp};

use crate::{SqliteStore, backend, insert_reference_change, ts};

fn rows(conn: &Connection, kind: DocumentKind, query: &str, name: Option<&str>) -> Result<Vec<Document>> {
    let mut st = conn.prepare_cached(query).map_err(backend)?;
    let map = |r: &rusqlite::Row<'_>| {
        Ok(Document {
            kind,
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
    };
    let out = match name {
        Some(n) => st.query_map(params![kind.as_str(), n], map),
        None => st.query_map(params![kind.as_str()], map),
    };
    out.map_err(backend)?.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

/// Inserts the planned versions and records each; returns them as stored.
fn insert(
    conn: &Connection,
    kind: DocumentKind,
    planned: Vec<documents::NewVersion>,
    actor: &Stamp,
) -> Result<Vec<Document>> {
    let entity = documents::audit_entity(kind);
    let mut out = Vec::new();
    for v in planned {
        conn.prepare_cached(sql::INSERT)
            .and_then(|mut st| {
                st.execute(params![
                    kind.as_str(),
                    v.name,
                    v.version,
                    v.body,
                    v.checksum,
                    actor.username,
                    ts(actor.at),
                    v.deleted
                ])
            })
            .map_err(backend)?;
        insert_reference_change(conn, actor, &entity, &v.name, &v.change)?;
        out.push(v.into_document(kind, actor));
    }
    Ok(out)
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn current_documents(&self, kind: DocumentKind) -> Result<Vec<Document>> {
        self.read(move |conn| {
            Ok(rows(conn, kind, sql::HEADS, None)?.into_iter().filter(|d| !d.deleted).collect())
        })
        .await
    }

    async fn document_history(&self, kind: DocumentKind, name: &str) -> Result<Vec<Document>> {
        let name = name.to_string();
        self.read(move |conn| rows(conn, kind, sql::HISTORY, Some(&name))).await
    }

    async fn write_documents(
        &self,
        kind: DocumentKind,
        changes: Vec<DocumentChange>,
        actor: &Stamp,
    ) -> Result<Vec<Document>> {
        let actor = actor.clone();
        self.write(move |conn| {
            let heads: Vec<Head> = rows(conn, kind, sql::HEADS, None)?
                .into_iter()
                .map(|d| Head { name: d.name, version: d.version, checksum: d.checksum, deleted: d.deleted })
                .collect();
            let planned = documents::plan(kind, &heads, &changes)?;
            insert(conn, kind, planned, &actor)
        })
        .await
    }

    async fn seed_documents(
        &self,
        kind: DocumentKind,
        docs: Vec<(String, String)>,
        actor: &Stamp,
    ) -> Result<bool> {
        let actor = actor.clone();
        self.write(move |conn| {
            let n: i64 = conn.query_row(sql::COUNT_KIND, [kind.as_str()], |r| r.get(0)).map_err(backend)?;
            if n > 0 {
                return Ok(false);
            }
            let changes = documents::creations(docs);
            let planned = documents::plan(kind, &[], &changes)?;
            insert(conn, kind, planned, &actor)?;
            Ok(true)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    /// Migration 0012 rebuilds the table to admit `zone_settings`: the rows stored before it
    /// survive, and the constraint still refuses an unknown kind.
    #[test]
    fn migration_0012_keeps_the_stored_versions_and_admits_zone_settings() {
        let conn = Connection::open_in_memory().unwrap();
        for m in crate::MIGRATIONS.iter().filter(|m| m.version < 12) {
            conn.execute_batch(m.sql).unwrap();
        }
        let insert = "INSERT INTO documents (kind, name, version, body, checksum, actor, created_at, deleted) \
                      VALUES (?1, ?2, 1, 'x = 1', 'c', 'seed', '2024-03-01 09:00:00+08:00', 0)";
        conn.execute(insert, ["policy", "a.toml"]).unwrap();
        assert!(conn.execute(insert, ["zone_settings", "zone_settings.toml"]).is_err(), "not before 0012");
        let m12 = crate::MIGRATIONS.iter().find(|m| m.version == 12).unwrap();
        conn.execute_batch(m12.sql).unwrap();
        let kept: (String, String, i64) = conn
            .query_row("SELECT kind, name, version FROM documents", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(kept, ("policy".into(), "a.toml".into(), 1));
        conn.execute(insert, ["zone_settings", "zone_settings.toml"]).unwrap();
        assert!(conn.execute(insert, ["nonsense", "n.toml"]).is_err());
    }
}
