//! [`EnterpriseStore`] on PostgreSQL: enterprises with their facts and links, change
//! records, lists, import batches and the snapshot reader. The import's writes are in
//! `import.rs`.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use enterprise::{EnterpriseRecord, FactDictionary, FieldChange, ThreeLinks, UnifiedCreditCode};
use store::codec::{RawEnterprise, RawFact, split_tags};
use store::import::RecordChanges;
use store::sql::{self, Param};
use store::{
    ChangeRecord, EnterpriseFilter, EnterpriseHead, EnterpriseStore, EnterpriseSummary, EnterpriseView,
    ImportBatch, ImportOutcome, ImportRequest, Link, Page, Result, SnapshotRow, Stamp, StoreError,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::reference::department_code;
use crate::users::user_role;
use crate::{PgStore, backend, china, clamp, import};

pub(crate) fn raw_enterprise(r: &Row) -> Result<RawEnterprise> {
    Ok(RawEnterprise {
        id: r.try_get(0).map_err(backend)?,
        uscc: r.try_get(1).map_err(backend)?,
        name: r.try_get(2).map_err(backend)?,
        registered_in_zone: r.try_get(3).map_err(backend)?,
        tax_registered_in_zone: r.try_get(4).map_err(backend)?,
        industry_code: r.try_get(5).map_err(backend)?,
        established_on: r.try_get(6).map_err(backend)?,
        taxpayer_type: r.try_get(7).map_err(backend)?,
        tax_credit_rating: r.try_get(8).map_err(backend)?,
        tags: r.try_get(9).map_err(backend)?,
        created_at: china(r.try_get(10).map_err(backend)?),
        updated_at: china(r.try_get(11).map_err(backend)?),
    })
}

pub(crate) fn raw_fact(r: &Row, o: usize) -> Result<RawFact> {
    Ok(RawFact {
        fact: r.try_get(o).map_err(backend)?,
        year: r.try_get(o + 1).map_err(backend)?,
        value: r.try_get(o + 2).map_err(backend)?,
        source: r.try_get(o + 3).map_err(backend)?,
        as_of: r.try_get(o + 4).map_err(backend)?,
    })
}

pub(crate) async fn enterprise_id(c: &impl GenericClient, uscc: &UnifiedCreditCode) -> Result<i64> {
    let row = c.query_opt(sql::ENTERPRISE_ID_BY_USCC, &[&uscc.as_str()]).await.map_err(backend)?;
    match row {
        Some(r) => r.try_get(0).map_err(backend),
        None => Err(StoreError::EnterpriseNotFound { uscc: uscc.to_string() }),
    }
}

async fn links_of(c: &impl GenericClient, id: i64) -> Result<ThreeLinks> {
    let row = c.query_opt(sql::LINKS_OF, &[&id]).await.map_err(backend)?;
    Ok(match row {
        Some(r) => ThreeLinks {
            leader: r.try_get(0).map_err(backend)?,
            department: r.try_get(1).map_err(backend)?,
            cadre: r.try_get(2).map_err(backend)?,
        },
        None => ThreeLinks::default(),
    })
}

fn boxed(p: &Param) -> Box<dyn ToSql + Sync + Send> {
    match p {
        Param::Text(s) => Box::new(s.clone()),
        Param::Int(i) => Box::new(*i),
        Param::Bool(b) => Box::new(*b),
    }
}

/// Puts each fact row (enterprise id, fact) on its enterprise in `out`: both in id order,
/// walked together.
fn attach_facts(out: &mut [SnapshotRow], rows: Vec<Row>) -> Result<()> {
    let dict = FactDictionary::official();
    let mut i = 0;
    for r in rows {
        let id: i64 = r.try_get(0).map_err(backend)?;
        while i < out.len() && out[i].id < id {
            i += 1;
        }
        if let Some(o) = out.get_mut(i).filter(|o| o.id == id) {
            o.facts.push(raw_fact(&r, 1)?.decode(dict)?);
        }
    }
    Ok(())
}

#[async_trait]
impl EnterpriseStore for PgStore {
    async fn get_enterprise(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseView>> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(backend)?;
        let Some(row) = tx.query_opt(sql::ENTERPRISE_BY_USCC, &[&uscc.as_str()]).await.map_err(backend)?
        else {
            return Ok(None);
        };
        let raw = raw_enterprise(&row)?;
        let dict = FactDictionary::official();
        let mut facts = Vec::new();
        for r in tx.query(sql::FACTS_OF, &[&raw.id]).await.map_err(backend)? {
            facts.push(raw_fact(&r, 0)?.decode(dict)?);
        }
        let links = links_of(&tx, raw.id).await?;
        tx.commit().await.map_err(backend)?;
        let enterprise = raw.decode()?;
        Ok(Some(EnterpriseView {
            id: raw.id,
            assistance_target: enterprise.assistance_target(),
            enterprise,
            facts,
            links,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
        }))
    }

    async fn enterprise_head(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseHead>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql::ENTERPRISE_HEAD).await.map_err(backend)?;
        let Some(r) = client.query_opt(&st, &[&uscc.as_str()]).await.map_err(backend)? else {
            return Ok(None);
        };
        Ok(Some(EnterpriseHead {
            id: r.try_get(0).map_err(backend)?,
            links: ThreeLinks {
                leader: r.try_get(1).map_err(backend)?,
                department: r.try_get(2).map_err(backend)?,
                cadre: r.try_get(3).map_err(backend)?,
            },
            version: r.try_get(4).map_err(backend)?,
        }))
    }

    async fn list_enterprises(
        &self,
        filter: &EnterpriseFilter,
        page: Page,
    ) -> Result<(Vec<EnterpriseSummary>, u64)> {
        let q = sql::enterprise_list(filter);
        let page = Page::new(page.offset, page.limit);
        let mut params: Vec<Box<dyn ToSql + Sync + Send>> = q.params.iter().map(boxed).collect();
        let client = self.client().await?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
        let total: i64 =
            client.query_one(&q.count_sql, &refs).await.map_err(backend)?.try_get(0).map_err(backend)?;
        params.push(Box::new(clamp(page.limit)));
        params.push(Box::new(clamp(page.offset)));
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
        let mut out = Vec::new();
        for r in client.query(&q.page_sql, &refs).await.map_err(backend)? {
            let uscc: String = r.try_get(1).map_err(backend)?;
            let tags: String = r.try_get(6).map_err(backend)?;
            out.push(EnterpriseSummary {
                id: r.try_get(0).map_err(backend)?,
                uscc: UnifiedCreditCode::parse(&uscc).map_err(backend)?,
                name: r.try_get(2).map_err(backend)?,
                assistance_target: enterprise::assistance_target(
                    &uscc,
                    r.try_get(3).map_err(backend)?,
                    r.try_get(4).map_err(backend)?,
                ),
                industry_code: r.try_get(5).map_err(backend)?,
                tags: split_tags(&tags).into_iter().collect(),
            });
        }
        Ok((out, u64::try_from(total).unwrap_or(0)))
    }

    async fn enterprise_count(&self) -> Result<u64> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one(sql::COUNT_ENTERPRISES, &[])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn enterprise_changes(&self, uscc: &UnifiedCreditCode) -> Result<Vec<ChangeRecord>> {
        let client = self.client().await?;
        let id = enterprise_id(&client, uscc).await?;
        let rows = client.query(sql::CHANGES_OF, &[&id]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(ChangeRecord {
                    id: r.try_get(0).map_err(backend)?,
                    at: china(r.try_get(1).map_err(backend)?),
                    actor: r.try_get(2).map_err(backend)?,
                    field: r.try_get(3).map_err(backend)?,
                    old: r.try_get(4).map_err(backend)?,
                    new: r.try_get(5).map_err(backend)?,
                    batch_id: r.try_get(6).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn set_three_links(
        &self,
        uscc: &UnifiedCreditCode,
        links: &ThreeLinks,
        actor: &Stamp,
    ) -> Result<Vec<FieldChange>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id = enterprise_id(&tx, uscc).await?;
        tx.execute("SELECT id FROM enterprises WHERE id = $1 FOR UPDATE", &[&id]).await.map_err(backend)?;
        if let Some(u) = &links.leader {
            store::check_link_role(Link::Leader, u, user_role(&tx, u).await?.as_deref())?;
        }
        if let Some(u) = &links.cadre {
            store::check_link_role(Link::Cadre, u, user_role(&tx, u).await?.as_deref())?;
        }
        let department = match &links.department {
            Some(d) => Some(department_code(&tx, d).await?),
            None => None,
        };
        let new = ThreeLinks { leader: links.leader.clone(), department, cadre: links.cadre.clone() };
        let old = links_of(&tx, id).await?;
        let changes = store::links_diff(&old, &new);
        if changes.is_empty() {
            return Ok(changes);
        }
        tx.execute(sql::UPSERT_LINKS, &[&id, &new.leader, &new.department, &new.cadre, &actor.at])
            .await
            .map_err(backend)?;
        for c in &changes {
            tx.execute(
                sql::INSERT_CHANGE,
                &[&id, &actor.at, &actor.username, &c.field, &c.old, &c.new, &None::<i64>],
            )
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(changes)
    }

    async fn apply_import(&self, request: ImportRequest) -> Result<ImportOutcome> {
        store::import::check_records(FactDictionary::official(), &request.records)?;
        let mut client = self.client().await?;
        import::apply(&mut client, &request).await
    }

    async fn import_changes(&self, records: &[EnterpriseRecord]) -> Result<Vec<RecordChanges>> {
        store::import::check_records(FactDictionary::official(), records)?;
        let mut client = self.client().await?;
        import::preview(&mut client, records).await
    }

    async fn import_batches(&self, limit: u64) -> Result<Vec<ImportBatch>> {
        let client = self.client().await?;
        let rows = client.query(sql::LIST_BATCHES, &[&clamp(limit)]).await.map_err(backend)?;
        let n = |r: &Row, i: usize| -> Result<u64> {
            let v: i64 = r.try_get(i).map_err(backend)?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        rows.iter()
            .map(|r| {
                Ok(ImportBatch {
                    id: r.try_get(0).map_err(backend)?,
                    at: china(r.try_get(1).map_err(backend)?),
                    actor: r.try_get(2).map_err(backend)?,
                    file_name: r.try_get(3).map_err(backend)?,
                    format: r.try_get(4).map_err(backend)?,
                    rows: n(r, 5)?,
                    created: n(r, 6)?,
                    updated: n(r, 7)?,
                    unchanged: n(r, 8)?,
                })
            })
            .collect()
    }

    async fn enterprise_batch(&self, after_id: i64, limit: u64) -> Result<Vec<SnapshotRow>> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(backend)?;
        let mut out: Vec<SnapshotRow> = Vec::new();
        for r in tx.query(sql::SNAPSHOT_ENTERPRISES, &[&after_id, &clamp(limit)]).await.map_err(backend)? {
            let raw = raw_enterprise(&r)?;
            out.push(SnapshotRow { id: raw.id, enterprise: raw.decode()?, facts: Vec::new() });
        }
        let (Some(first), Some(last)) = (out.first().map(|r| r.id), out.last().map(|r| r.id)) else {
            return Ok(out);
        };
        attach_facts(&mut out, tx.query(sql::SNAPSHOT_FACTS, &[&first, &last]).await.map_err(backend)?)?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn enterprise_rows(&self, ids: &[i64]) -> Result<Vec<SnapshotRow>> {
        let people =
            format!("SELECT {} FROM enterprises WHERE id = ANY($1) ORDER BY id", sql::ENTERPRISE_COLUMNS);
        const FACTS: &str = "SELECT enterprise_id, fact, year, value, source, as_of FROM enterprise_facts \
            WHERE enterprise_id = ANY($1) ORDER BY enterprise_id, fact, year";
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(backend)?;
        let mut out: Vec<SnapshotRow> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(10_000) {
            let chunk = chunk.to_vec();
            let start = out.len();
            for r in tx.query(&people, &[&chunk]).await.map_err(backend)? {
                let raw = raw_enterprise(&r)?;
                out.push(SnapshotRow { id: raw.id, enterprise: raw.decode()?, facts: Vec::new() });
            }
            attach_facts(&mut out[start..], tx.query(FACTS, &[&chunk]).await.map_err(backend)?)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}
