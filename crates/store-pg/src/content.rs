//! [`ContentStore`] on PostgreSQL: each write one transaction with its audit records.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::content::{
    AuditRecord, CONTENT_ENTITY, ContentItem, ContentStore, EnterpriseNotice, GOVERNANCE_ENTITY,
    GovernanceItem, ProblemSearchRow, RawContent, SYNONYM_ENTITY, SearchLogEntry, SelfServiceAnswer,
    SynonymGroup, UnansweredQuery, conflict, members_json, members_of, sql,
};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;

use crate::{PgStore, backend, china, insert_reference_change};

fn raw(r: &Row) -> Result<RawContent> {
    Ok(RawContent {
        id: r.try_get(0).map_err(backend)?,
        kind: r.try_get(1).map_err(backend)?,
        title: r.try_get(2).map_err(backend)?,
        body: r.try_get(3).map_err(backend)?,
        department: r.try_get(4).map_err(backend)?,
        plan_line: r.try_get(5).map_err(backend)?,
        tags: r.try_get(6).map_err(backend)?,
        items: r.try_get(7).map_err(backend)?,
        details: r.try_get(8).map_err(backend)?,
        state: r.try_get(9).map_err(backend)?,
        version: r.try_get(10).map_err(backend)?,
        author: r.try_get(11).map_err(backend)?,
        reviewer: r.try_get(12).map_err(backend)?,
        created_at: r.try_get(13).map_err(backend)?,
        updated_at: r.try_get(14).map_err(backend)?,
        published_at: r.try_get(15).map_err(backend)?,
    })
}

/// Inserts a new content item (its audit records are the caller's); its id. Also used by the
/// legal consultations' FAQ, written in the consultation's transaction.
pub(crate) async fn insert(
    c: &impl GenericClient,
    item: &ContentItem,
    tags: &str,
    items: &str,
    details: &str,
) -> Result<i64> {
    c.query_one(
        sql::INSERT,
        &[
            &item.kind.as_str(),
            &item.title,
            &item.body,
            &item.department,
            &item.plan_line,
            &tags,
            &items,
            &details,
            &item.state.as_str(),
            &item.author,
            &item.reviewer,
            &item.created_at,
            &item.updated_at,
            &item.published_at,
        ],
    )
    .await
    .map_err(backend)?
    .try_get::<_, i64>(0)
    .map_err(backend)
}

/// A content item as stored.
pub(crate) async fn load(c: &impl GenericClient, id: i64) -> Result<Option<ContentItem>> {
    let q = format!("SELECT {} FROM content_items WHERE id = $1", sql::COLUMNS);
    let row = c.query_opt(&q, &[&id]).await.map_err(backend)?;
    row.map(|r| raw(&r)?.parse()).transpose()
}

fn governance(r: &Row) -> Result<GovernanceItem> {
    let id: i64 = r.try_get(0).map_err(backend)?;
    let state: String = r.try_get(5).map_err(backend)?;
    let members: String = r.try_get(4).map_err(backend)?;
    Ok(GovernanceItem {
        id,
        title: r.try_get(1).map_err(backend)?,
        owner: r.try_get(2).map_err(backend)?,
        due: r.try_get::<_, NaiveDate>(3).map_err(backend)?,
        members: members_of(id, &members)?,
        open: state == "open",
        created_by: r.try_get(6).map_err(backend)?,
        created_at: china(r.try_get(7).map_err(backend)?),
        resolution: r.try_get(8).map_err(backend)?,
        closed_by: r.try_get(9).map_err(backend)?,
        closed_at: r.try_get::<_, Option<DateTime<FixedOffset>>>(10).map_err(backend)?.map(china),
    })
}

#[async_trait]
impl ContentStore for PgStore {
    async fn save_content(
        &self,
        item: &ContentItem,
        expected: Option<i64>,
        changes: &[FieldChange],
        stamp: &Stamp,
    ) -> Result<ContentItem> {
        let (tags, items, details) = item.json_columns()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id = match expected {
            None => insert(&tx, item, &tags, &items, &details).await?,
            Some(v) => {
                let n = tx
                    .execute(
                        sql::UPDATE,
                        &[
                            &item.kind.as_str(),
                            &item.title,
                            &item.body,
                            &item.department,
                            &item.plan_line,
                            &tags,
                            &items,
                            &details,
                            &item.state.as_str(),
                            &item.reviewer,
                            &item.updated_at,
                            &item.published_at,
                            &item.id,
                            &v,
                        ],
                    )
                    .await
                    .map_err(backend)?;
                if n == 0 {
                    let current = tx
                        .query_opt(sql::VERSION_OF, &[&item.id])
                        .await
                        .map_err(backend)?
                        .map(|r| r.try_get::<_, i64>(0))
                        .transpose()
                        .map_err(backend)?;
                    return Err(conflict(item.id, v, current));
                }
                item.id
            }
        };
        let key = id.to_string();
        for c in changes {
            insert_reference_change(&tx, stamp, CONTENT_ENTITY, &key, c).await?;
        }
        let out =
            load(&tx, id).await?.ok_or_else(|| StoreError::Backend(format!("content {id} vanished")))?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn content(&self, id: i64) -> Result<Option<ContentItem>> {
        let client = self.client().await?;
        load(&client, id).await
    }

    async fn audit_records(&self, entity: &str, key: Option<&str>, limit: u32) -> Result<Vec<AuditRecord>> {
        let client = self.client().await?;
        let limit = i64::from(limit);
        let rows = match key {
            Some(k) => client.query(sql::AUDIT_OF, &[&entity, &k, &limit]).await,
            None => client.query(sql::AUDIT_ALL, &[&entity, &limit]).await,
        }
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    at: china(r.try_get(0).map_err(backend)?),
                    actor: r.try_get(1).map_err(backend)?,
                    key: r.try_get(2).map_err(backend)?,
                    field: r.try_get(3).map_err(backend)?,
                    old: r.try_get(4).map_err(backend)?,
                    new: r.try_get(5).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn all_content(&self) -> Result<Vec<ContentItem>> {
        let client = self.client().await?;
        let q = format!("SELECT {} FROM content_items ORDER BY id", sql::COLUMNS);
        let rows = client.query(&q, &[]).await.map_err(backend)?;
        rows.iter().map(|r| raw(r)?.parse()).collect()
    }

    async fn content_fingerprint(&self) -> Result<(i64, i64)> {
        let client = self.client().await?;
        let r = client.query_one(sql::FINGERPRINT, &[]).await.map_err(backend)?;
        Ok((r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?))
    }

    async fn synonym_groups(&self) -> Result<Vec<SynonymGroup>> {
        let client = self.client().await?;
        let rows = client.query(sql::SYNONYMS, &[]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(SynonymGroup::of(
                    r.try_get(0).map_err(backend)?,
                    &r.try_get::<_, String>(1).map_err(backend)?,
                ))
            })
            .collect()
    }

    async fn save_synonym_group(
        &self,
        id: Option<i64>,
        terms: &[String],
        stamp: &Stamp,
    ) -> Result<SynonymGroup> {
        let text = SynonymGroup::text(terms);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let (id, old) = match id {
            None => {
                let id: i64 = tx
                    .query_one(sql::INSERT_SYNONYM, &[&text])
                    .await
                    .map_err(backend)?
                    .try_get(0)
                    .map_err(backend)?;
                (id, None)
            }
            Some(id) => {
                let old = tx.query_opt(sql::SYNONYM_OF, &[&id]).await.map_err(backend)?;
                let Some(old) = old else {
                    return Err(StoreError::DocumentNotFound {
                        kind: "synonyms".into(),
                        name: id.to_string(),
                    });
                };
                let old: String = old.try_get(0).map_err(backend)?;
                tx.execute(sql::UPDATE_SYNONYM, &[&text, &id]).await.map_err(backend)?;
                (id, Some(old))
            }
        };
        let change = FieldChange { field: "terms".into(), old, new: Some(text.clone()) };
        insert_reference_change(&tx, stamp, SYNONYM_ENTITY, &id.to_string(), &change).await?;
        tx.commit().await.map_err(backend)?;
        Ok(SynonymGroup::of(id, &text))
    }

    async fn delete_synonym_group(&self, id: i64, stamp: &Stamp) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let Some(old) = tx.query_opt(sql::SYNONYM_OF, &[&id]).await.map_err(backend)? else {
            return Ok(false);
        };
        let old: String = old.try_get(0).map_err(backend)?;
        tx.execute(sql::DELETE_SYNONYM, &[&id]).await.map_err(backend)?;
        let change = FieldChange { field: "terms".into(), old: Some(old), new: None };
        insert_reference_change(&tx, stamp, SYNONYM_ENTITY, &id.to_string(), &change).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn log_search(&self, e: &SearchLogEntry) -> Result<i64> {
        let client = self.client().await?;
        client
            .query_one(sql::INSERT_SEARCH, &[&e.at, &e.username, &e.role, &e.query, &e.hits])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)
    }

    async fn log_search_click(&self, id: i64, username: &str, kind: &str, target: &str) -> Result<bool> {
        let client = self.client().await?;
        let n = client.execute(sql::CLICK, &[&kind, &target, &id, &username]).await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn unanswered_queries(&self, limit: u32) -> Result<Vec<UnansweredQuery>> {
        let client = self.client().await?;
        let rows = client.query(sql::UNANSWERED, &[&i64::from(limit)]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(UnansweredQuery {
                    query: r.try_get(0).map_err(backend)?,
                    count: r.try_get(1).map_err(backend)?,
                    min_hits: r.try_get(2).map_err(backend)?,
                    last_at: china(r.try_get(3).map_err(backend)?),
                })
            })
            .collect()
    }

    async fn record_self_service(&self, a: &SelfServiceAnswer) -> Result<i64> {
        let client = self.client().await?;
        client
            .query_one(
                sql::INSERT_SELF_SERVICE,
                &[&a.at, &a.username, &a.enterprise, &a.query, &a.kind, &a.target],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)
    }

    async fn self_service_counts(
        &self,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<(String, i64)>> {
        let client = self.client().await?;
        let rows = client.query(sql::SELF_SERVICE_COUNTS, &[&from, &to]).await.map_err(backend)?;
        rows.iter().map(|r| Ok((r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?))).collect()
    }

    async fn problems_for_search(&self, after_seq: i64, limit: u32) -> Result<Vec<ProblemSearchRow>> {
        let client = self.client().await?;
        let rows = client
            .query(sql::PROBLEMS_FOR_SEARCH, &[&after_seq, &i64::from(limit)])
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(ProblemSearchRow {
                    id: r.try_get(0).map_err(backend)?,
                    uscc: r.try_get(1).map_err(backend)?,
                    category: r.try_get(2).map_err(backend)?,
                    title: r.try_get(3).map_err(backend)?,
                    description: r.try_get(4).map_err(backend)?,
                    confidential: r.try_get(5).map_err(backend)?,
                    state: r.try_get(6).map_err(backend)?,
                    lead_department: r.try_get(7).map_err(backend)?,
                    cooperating: r.try_get(8).map_err(backend)?,
                    received_at: china(r.try_get(9).map_err(backend)?),
                    last_seq: r.try_get(10).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn create_governance(&self, item: &GovernanceItem, stamp: &Stamp) -> Result<GovernanceItem> {
        let members = members_json(&item.members)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id: i64 = tx
            .query_one(
                sql::INSERT_GOVERNANCE,
                &[&item.title, &item.owner, &item.due, &members, &item.created_by, &item.created_at],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        let change = FieldChange {
            field: "created".into(),
            old: None,
            new: Some(format!("{} / {} / {} / {}", item.title, item.owner, item.due, members)),
        };
        insert_reference_change(&tx, stamp, GOVERNANCE_ENTITY, &id.to_string(), &change).await?;
        tx.commit().await.map_err(backend)?;
        Ok(GovernanceItem { id, ..item.clone() })
    }

    async fn close_governance(
        &self,
        id: i64,
        resolution: &str,
        notices: &[(String, Option<i64>, String)],
        stamp: &Stamp,
    ) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx
            .execute(sql::CLOSE_GOVERNANCE, &[&resolution, &stamp.username, &stamp.at, &id])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Ok(false);
        }
        for (uscc, problem, text) in notices {
            tx.execute(sql::INSERT_NOTICE, &[uscc, &stamp.at, problem, text]).await.map_err(backend)?;
        }
        let change = FieldChange {
            field: "state".into(),
            old: Some("open".into()),
            new: Some(format!("closed: {resolution}")),
        };
        insert_reference_change(&tx, stamp, GOVERNANCE_ENTITY, &id.to_string(), &change).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn governance_items(&self) -> Result<Vec<GovernanceItem>> {
        let client = self.client().await?;
        let q = format!("SELECT {} FROM governance_items ORDER BY id DESC", sql::GOVERNANCE_COLUMNS);
        let rows = client.query(&q, &[]).await.map_err(backend)?;
        rows.iter().map(governance).collect()
    }

    async fn enterprise_notices(&self, uscc: &str, limit: u32) -> Result<Vec<EnterpriseNotice>> {
        let client = self.client().await?;
        let rows = client.query(sql::NOTICES_OF, &[&uscc, &i64::from(limit)]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(EnterpriseNotice {
                    id: r.try_get(0).map_err(backend)?,
                    enterprise: r.try_get(1).map_err(backend)?,
                    at: china(r.try_get(2).map_err(backend)?),
                    problem_id: r.try_get(3).map_err(backend)?,
                    text: r.try_get(4).map_err(backend)?,
                })
            })
            .collect()
    }
}
