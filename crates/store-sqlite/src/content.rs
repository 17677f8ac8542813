//! [`ContentStore`] on SQLite: each write is one job of the writer (its audit records in the
//! same transaction); reads run on the read pool.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use store::content::{
    AuditRecord, CONTENT_ENTITY, ContentItem, ContentStore, EnterpriseNotice, GOVERNANCE_ENTITY,
    GovernanceItem, ProblemSearchRow, RawContent, SYNONYM_ENTITY, SearchLogEntry, SelfServiceAnswer,
    SynonymGroup, UnansweredQuery, conflict, members_json, members_of, sql,
};
use store::{Result, Stamp, StoreError};

use crate::problems::text_time;
use crate::{SqliteStore, backend, insert_reference_change, ts};

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawContent> {
    Ok(RawContent {
        id: r.get(0)?,
        kind: r.get(1)?,
        title: r.get(2)?,
        body: r.get(3)?,
        department: r.get(4)?,
        plan_line: r.get(5)?,
        tags: r.get(6)?,
        items: r.get(7)?,
        details: r.get(8)?,
        state: r.get(9)?,
        version: r.get(10)?,
        author: r.get(11)?,
        reviewer: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        published_at: r.get(15)?,
    })
}

/// Inserts a new content item (its audit records are the caller's); its id. Also used by the
/// legal consultations' FAQ, written in the consultation's transaction.
pub(crate) fn insert(
    conn: &Connection,
    item: &ContentItem,
    tags: &str,
    items: &str,
    details: &str,
) -> Result<i64> {
    conn.prepare_cached(sql::INSERT)
        .and_then(|mut st| {
            st.query_row(
                params![
                    item.kind.as_str(),
                    item.title,
                    item.body,
                    item.department,
                    item.plan_line,
                    tags,
                    items,
                    details,
                    item.state.as_str(),
                    item.author,
                    item.reviewer,
                    text_time(item.created_at),
                    text_time(item.updated_at),
                    item.published_at.map(text_time)
                ],
                |r| r.get::<_, i64>(0),
            )
        })
        .map_err(backend)
}

/// A content item as stored.
pub(crate) fn load(conn: &Connection, id: i64) -> Result<Option<ContentItem>> {
    let q = format!("SELECT {} FROM content_items WHERE id = $1", sql::COLUMNS);
    let r = conn.prepare_cached(&q).and_then(|mut st| st.query_row([id], raw).optional()).map_err(backend)?;
    r.map(RawContent::parse).transpose()
}

fn governance_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(GovernanceItem, String)> {
    let due: String = r.get(3)?;
    let state: String = r.get(5)?;
    Ok((
        GovernanceItem {
            id: r.get(0)?,
            title: r.get(1)?,
            owner: r.get(2)?,
            due: NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap_or_default(),
            members: Vec::new(),
            open: state == "open",
            created_by: r.get(6)?,
            created_at: ts(r.get(7)?),
            resolution: r.get(8)?,
            closed_by: r.get(9)?,
            closed_at: r.get::<_, Option<DateTime<FixedOffset>>>(10)?.map(ts),
        },
        r.get(4)?,
    ))
}

#[async_trait]
impl ContentStore for SqliteStore {
    async fn save_content(
        &self,
        item: &ContentItem,
        expected: Option<i64>,
        changes: &[FieldChange],
        stamp: &Stamp,
    ) -> Result<ContentItem> {
        let item = item.clone();
        let changes = changes.to_vec();
        let stamp = stamp.clone();
        let (tags, items, details) = item.json_columns()?;
        self.write(move |conn| {
            let id = match expected {
                None => insert(conn, &item, &tags, &items, &details)?,
                Some(v) => {
                    let n = conn
                        .prepare_cached(sql::UPDATE)
                        .and_then(|mut st| {
                            st.execute(params![
                                item.kind.as_str(),
                                item.title,
                                item.body,
                                item.department,
                                item.plan_line,
                                tags,
                                items,
                                details,
                                item.state.as_str(),
                                item.reviewer,
                                text_time(item.updated_at),
                                item.published_at.map(text_time),
                                item.id,
                                v
                            ])
                        })
                        .map_err(backend)?;
                    if n == 0 {
                        let current: Option<i64> = conn
                            .prepare_cached(sql::VERSION_OF)
                            .and_then(|mut st| st.query_row([item.id], |r| r.get(0)).optional())
                            .map_err(backend)?;
                        return Err(conflict(item.id, v, current));
                    }
                    item.id
                }
            };
            let key = id.to_string();
            for c in &changes {
                insert_reference_change(conn, &stamp, CONTENT_ENTITY, &key, c)?;
            }
            load(conn, id)?.ok_or_else(|| StoreError::Backend(format!("content {id} vanished")))
        })
        .await
    }

    async fn content(&self, id: i64) -> Result<Option<ContentItem>> {
        self.read(move |conn| load(conn, id)).await
    }

    async fn audit_records(&self, entity: &str, key: Option<&str>, limit: u32) -> Result<Vec<AuditRecord>> {
        let (entity, key) = (entity.to_string(), key.map(str::to_string));
        self.read(move |conn| {
            let map = |r: &rusqlite::Row<'_>| {
                Ok(AuditRecord {
                    at: ts(r.get(0)?),
                    actor: r.get(1)?,
                    key: r.get(2)?,
                    field: r.get(3)?,
                    old: r.get(4)?,
                    new: r.get(5)?,
                })
            };
            let rows: Vec<AuditRecord> = match &key {
                Some(k) => {
                    let mut st = conn.prepare_cached(sql::AUDIT_OF).map_err(backend)?;
                    st.query_map(params![entity, k, limit], map)
                        .map_err(backend)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(backend)?
                }
                None => {
                    let mut st = conn.prepare_cached(sql::AUDIT_ALL).map_err(backend)?;
                    st.query_map(params![entity, limit], map)
                        .map_err(backend)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(backend)?
                }
            };
            Ok(rows)
        })
        .await
    }

    async fn all_content(&self) -> Result<Vec<ContentItem>> {
        self.read(|conn| {
            let q = format!("SELECT {} FROM content_items ORDER BY id", sql::COLUMNS);
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            let rows = st.query_map([], raw).map_err(backend)?;
            let mut out = Vec::new();
            for r in rows {
                out.push(r.map_err(backend)?.parse()?);
            }
            Ok(out)
        })
        .await
    }

    async fn content_fingerprint(&self) -> Result<(i64, i64)> {
        self.read_point(|conn| {
            conn.prepare_cached(sql::FINGERPRINT)
                .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
                .map_err(backend)
        })
        .await
    }

    async fn synonym_groups(&self) -> Result<Vec<SynonymGroup>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(sql::SYNONYMS).map_err(backend)?;
            let rows = st
                .query_map([], |r| Ok(SynonymGroup::of(r.get(0)?, &r.get::<_, String>(1)?)))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn save_synonym_group(
        &self,
        id: Option<i64>,
        terms: &[String],
        stamp: &Stamp,
    ) -> Result<SynonymGroup> {
        let text = SynonymGroup::text(terms);
        let stamp = stamp.clone();
        self.write(move |conn| {
            let (id, old) = match id {
                None => {
                    let id: i64 = conn
                        .prepare_cached(sql::INSERT_SYNONYM)
                        .and_then(|mut st| st.query_row([&text], |r| r.get(0)))
                        .map_err(backend)?;
                    (id, None)
                }
                Some(id) => {
                    let old: Option<String> = conn
                        .prepare_cached(sql::SYNONYM_OF)
                        .and_then(|mut st| st.query_row([id], |r| r.get(0)).optional())
                        .map_err(backend)?;
                    let Some(old) = old else {
                        return Err(StoreError::DocumentNotFound {
                            kind: "synonyms".into(),
                            name: id.to_string(),
                        });
                    };
                    conn.prepare_cached(sql::UPDATE_SYNONYM)
                        .and_then(|mut st| st.execute(params![text, id]))
                        .map_err(backend)?;
                    (id, Some(old))
                }
            };
            let change = FieldChange { field: "terms".into(), old, new: Some(text.clone()) };
            insert_reference_change(conn, &stamp, SYNONYM_ENTITY, &id.to_string(), &change)?;
            Ok(SynonymGroup::of(id, &text))
        })
        .await
    }

    async fn delete_synonym_group(&self, id: i64, stamp: &Stamp) -> Result<bool> {
        let stamp = stamp.clone();
        self.write(move |conn| {
            let old: Option<String> = conn
                .prepare_cached(sql::SYNONYM_OF)
                .and_then(|mut st| st.query_row([id], |r| r.get(0)).optional())
                .map_err(backend)?;
            let Some(old) = old else { return Ok(false) };
            conn.prepare_cached(sql::DELETE_SYNONYM).and_then(|mut st| st.execute([id])).map_err(backend)?;
            let change = FieldChange { field: "terms".into(), old: Some(old), new: None };
            insert_reference_change(conn, &stamp, SYNONYM_ENTITY, &id.to_string(), &change)?;
            Ok(true)
        })
        .await
    }

    async fn log_search(&self, e: &SearchLogEntry) -> Result<i64> {
        let e = e.clone();
        self.write(move |conn| {
            conn.prepare_cached(sql::INSERT_SEARCH)
                .and_then(|mut st| {
                    st.query_row(params![text_time(e.at), e.username, e.role, e.query, e.hits], |r| r.get(0))
                })
                .map_err(backend)
        })
        .await
    }

    async fn log_search_click(&self, id: i64, username: &str, kind: &str, target: &str) -> Result<bool> {
        let (username, kind, target) = (username.to_string(), kind.to_string(), target.to_string());
        self.write(move |conn| {
            let n = conn
                .prepare_cached(sql::CLICK)
                .and_then(|mut st| st.execute(params![kind, target, id, username]))
                .map_err(backend)?;
            Ok(n > 0)
        })
        .await
    }

    async fn unanswered_queries(&self, limit: u32) -> Result<Vec<UnansweredQuery>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::UNANSWERED).map_err(backend)?;
            let rows = st
                .query_map([limit], |r| {
                    Ok(UnansweredQuery {
                        query: r.get(0)?,
                        count: r.get(1)?,
                        min_hits: r.get(2)?,
                        last_at: ts(r.get(3)?),
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn record_self_service(&self, a: &SelfServiceAnswer) -> Result<i64> {
        let a = a.clone();
        self.write(move |conn| {
            conn.prepare_cached(sql::INSERT_SELF_SERVICE)
                .and_then(|mut st| {
                    st.query_row(
                        params![text_time(a.at), a.username, a.enterprise, a.query, a.kind, a.target],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)
        })
        .await
    }

    async fn self_service_counts(
        &self,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<(String, i64)>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::SELF_SERVICE_COUNTS).map_err(backend)?;
            let rows = st
                .query_map(params![text_time(from), text_time(to)], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn problems_for_search(&self, after_seq: i64, limit: u32) -> Result<Vec<ProblemSearchRow>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::PROBLEMS_FOR_SEARCH).map_err(backend)?;
            let rows = st
                .query_map(params![after_seq, limit], |r| {
                    Ok(ProblemSearchRow {
                        id: r.get(0)?,
                        uscc: r.get(1)?,
                        category: r.get(2)?,
                        title: r.get(3)?,
                        description: r.get(4)?,
                        confidential: r.get(5)?,
                        state: r.get(6)?,
                        lead_department: r.get(7)?,
                        cooperating: r.get(8)?,
                        received_at: ts(r.get(9)?),
                        last_seq: r.get(10)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn create_governance(&self, item: &GovernanceItem, stamp: &Stamp) -> Result<GovernanceItem> {
        let mut item = item.clone();
        let stamp = stamp.clone();
        let members = members_json(&item.members)?;
        self.write(move |conn| {
            let id: i64 = conn
                .prepare_cached(sql::INSERT_GOVERNANCE)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            item.title,
                            item.owner,
                            item.due.format("%Y-%m-%d").to_string(),
                            members,
                            item.created_by,
                            text_time(item.created_at)
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)?;
            item.id = id;
            let change = FieldChange {
                field: "created".into(),
                old: None,
                new: Some(format!("{} / {} / {} / {}", item.title, item.owner, item.due, members)),
            };
            insert_reference_change(conn, &stamp, GOVERNANCE_ENTITY, &id.to_string(), &change)?;
            Ok(item)
        })
        .await
    }

    async fn close_governance(
        &self,
        id: i64,
        resolution: &str,
        notices: &[(String, Option<i64>, String)],
        stamp: &Stamp,
    ) -> Result<bool> {
        let (resolution, notices, stamp) = (resolution.to_string(), notices.to_vec(), stamp.clone());
        self.write(move |conn| {
            let n = conn
                .prepare_cached(sql::CLOSE_GOVERNANCE)
                .and_then(|mut st| st.execute(params![resolution, stamp.username, text_time(stamp.at), id]))
                .map_err(backend)?;
            if n == 0 {
                return Ok(false);
            }
            for (uscc, problem, text) in &notices {
                conn.prepare_cached(sql::INSERT_NOTICE)
                    .and_then(|mut st| st.execute(params![uscc, text_time(stamp.at), problem, text]))
                    .map_err(backend)?;
            }
            let change = FieldChange {
                field: "state".into(),
                old: Some("open".into()),
                new: Some(format!("closed: {resolution}")),
            };
            insert_reference_change(conn, &stamp, GOVERNANCE_ENTITY, &id.to_string(), &change)?;
            Ok(true)
        })
        .await
    }

    async fn governance_items(&self) -> Result<Vec<GovernanceItem>> {
        self.read(|conn| {
            let q = format!("SELECT {} FROM governance_items ORDER BY id DESC", sql::GOVERNANCE_COLUMNS);
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            let rows = st.query_map([], governance_row).map_err(backend)?;
            let mut out = Vec::new();
            for r in rows {
                let (mut g, members) = r.map_err(backend)?;
                g.members = members_of(g.id, &members)?;
                out.push(g);
            }
            Ok(out)
        })
        .await
    }

    async fn enterprise_notices(&self, uscc: &str, limit: u32) -> Result<Vec<EnterpriseNotice>> {
        let uscc = uscc.to_string();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::NOTICES_OF).map_err(backend)?;
            let rows = st
                .query_map(params![uscc, limit], |r| {
                    Ok(EnterpriseNotice {
                        id: r.get(0)?,
                        enterprise: r.get(1)?,
                        at: ts(r.get(2)?),
                        problem_id: r.get(3)?,
                        text: r.get(4)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }
}
