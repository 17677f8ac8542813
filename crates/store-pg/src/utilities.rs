//! [`UtilityStore`] on PostgreSQL: an import is one transaction with its audit records.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::financing::decimal;
use store::utilities::{
    ARREARS_ENTITY, ArrearsFilter, ArrearsRecord, ArrearsWrite, NewArrears, UtilityStore, conflict, created,
    sql,
};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgStore, backend, china, insert_reference_change};

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

async fn audit(
    c: &impl GenericClient,
    stamp: &Stamp,
    id: i64,
    (field, old, new): (String, Option<String>, Option<String>),
) -> Result<()> {
    insert_reference_change(c, stamp, ARREARS_ENTITY, &id.to_string(), &FieldChange { field, old, new }).await
}

async fn current_version(c: &impl GenericClient, id: i64, expected: i64) -> StoreError {
    match c.query_opt(sql::VERSION, &[&id]).await {
        Ok(Some(r)) => match r.try_get::<_, i64>(0) {
            Ok(current) => conflict(id, expected, current),
            Err(e) => backend(e),
        },
        Ok(None) => StoreError::Backend(format!("no {ARREARS_ENTITY} {id}")),
        Err(e) => backend(e),
    }
}

fn record(r: &Row) -> Result<ArrearsRecord> {
    Ok(ArrearsRecord {
        id: get(r, 0)?,
        uscc: get(r, 2)?,
        enterprise_name: get(r, 3)?,
        facts: NewArrears {
            provider: get(r, 4)?,
            record_no: get(r, 5)?,
            enterprise_id: get(r, 1)?,
            kind: store::events::parse("utility kind", &get::<String>(r, 6)?)?,
            amount: decimal("amount", &get::<String>(r, 7)?)?,
            arrears_on: get(r, 8)?,
            paid_on: get(r, 9)?,
            late_fee: get::<Option<String>>(r, 10)?.map(|s| decimal("late fee", &s)).transpose()?,
            late_fee_on: get(r, 11)?,
        },
        problem_id: get(r, 12)?,
        version: get(r, 13)?,
        created_by: get(r, 14)?,
        created_at: china(get(r, 15)?),
        updated_by: get(r, 16)?,
        updated_at: china(get(r, 17)?),
    })
}

async fn write_one(c: &impl GenericClient, w: &ArrearsWrite, stamp: &Stamp) -> Result<i64> {
    match w {
        ArrearsWrite::Insert(a) => {
            let row = c
                .query_opt(
                    sql::INSERT,
                    &[
                        &a.provider,
                        &a.record_no,
                        &a.enterprise_id,
                        &a.kind.as_str(),
                        &a.amount.to_string(),
                        &a.arrears_on,
                        &a.paid_on,
                        &a.late_fee.map(|f| f.to_string()),
                        &a.late_fee_on,
                        &stamp.username,
                        &stamp.at,
                    ],
                )
                .await
                .map_err(backend)?;
            let Some(row) = row else {
                return Err(conflict(format!("{} {}", a.provider, a.record_no), 0, 1));
            };
            let id: i64 = get(&row, 0)?;
            audit(c, stamp, id, created(a)).await?;
            Ok(id)
        }
        ArrearsWrite::Update { id, expected, facts: a, changes } => {
            let n = c
                .execute(
                    sql::UPDATE,
                    &[
                        &a.enterprise_id,
                        &a.kind.as_str(),
                        &a.amount.to_string(),
                        &a.arrears_on,
                        &a.paid_on,
                        &a.late_fee.map(|f| f.to_string()),
                        &a.late_fee_on,
                        &stamp.username,
                        &stamp.at,
                        id,
                        expected,
                    ],
                )
                .await
                .map_err(backend)?;
            if n != 1 {
                return Err(current_version(c, *id, *expected).await);
            }
            for ch in changes {
                audit(c, stamp, *id, ch.clone()).await?;
            }
            Ok(*id)
        }
    }
}

#[async_trait]
impl UtilityStore for PgStore {
    async fn save_arrears(&self, writes: &[ArrearsWrite], stamp: &Stamp) -> Result<Vec<i64>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let mut ids = Vec::with_capacity(writes.len());
        for w in writes {
            ids.push(write_one(&tx, w, stamp).await?);
        }
        tx.commit().await.map_err(backend)?;
        Ok(ids)
    }

    async fn arrears(&self, f: &ArrearsFilter) -> Result<Vec<ArrearsRecord>> {
        let client = self.client().await?;
        let mut wh = vec!["1 = 1".to_string()];
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
        if let Some(id) = f.id {
            args.push(Box::new(id));
            wh.push(format!("a.id = ${}", args.len()));
        }
        if let Some(p) = &f.provider {
            args.push(Box::new(p.clone()));
            wh.push(format!("a.provider = ${}", args.len()));
        }
        if let Some(e) = f.enterprise_id {
            args.push(Box::new(e));
            wh.push(format!("a.enterprise_id = ${}", args.len()));
        }
        let q = format!("SELECT {} {} WHERE {} {}", sql::COLUMNS, sql::FROM, wh.join(" AND "), sql::ORDER);
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect();
        let rows = client.query(&q, &refs).await.map_err(backend)?;
        rows.iter().map(record).collect()
    }

    async fn link_arrears_problem(&self, id: i64, problem_id: i64, stamp: &Stamp) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx
            .execute(sql::LINK_PROBLEM, &[&problem_id, &stamp.username, &stamp.at, &id])
            .await
            .map_err(backend)?;
        if n == 1 {
            audit(&tx, stamp, id, ("problem_id".into(), None, Some(problem_id.to_string()))).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n == 1)
    }
}
