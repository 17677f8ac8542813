//! [`UtilityStore`] on SQLite: an import is one job of the writer (its audit records in the
//! same transaction); reads run on the read pool.

use async_trait::async_trait;
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use store::financing::decimal;
use store::utilities::{
    ARREARS_ENTITY, ArrearsFilter, ArrearsRecord, ArrearsWrite, NewArrears, UtilityKind, UtilityStore,
    conflict, created, sql,
};
use store::{Result, Stamp, StoreError};

use crate::problems::text_time;
use crate::{SqliteStore, backend, insert_reference_change, ts};

fn audit(
    conn: &Connection,
    stamp: &Stamp,
    id: i64,
    (field, old, new): (String, Option<String>, Option<String>),
) -> Result<()> {
    insert_reference_change(conn, stamp, ARREARS_ENTITY, &id.to_string(), &FieldChange { field, old, new })
}

fn current_version(conn: &Connection, id: i64, expected: i64) -> StoreError {
    match conn
        .prepare_cached(sql::VERSION)
        .and_then(|mut st| st.query_row([id], |r| r.get::<_, i64>(0)).optional())
    {
        Ok(Some(current)) => conflict(id, expected, current),
        Ok(None) => StoreError::Backend(format!("no {ARREARS_ENTITY} {id}")),
        Err(e) => backend(e),
    }
}

type Raw = (ArrearsRecord, String, String, Option<String>);

fn load(conn: &Connection, f: &ArrearsFilter) -> Result<Vec<ArrearsRecord>> {
    let mut wh = vec!["1 = 1".to_string()];
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
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
    let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|b| b.as_ref()).collect();
    let rows: Vec<Raw> = conn
        .prepare_cached(&q)
        .and_then(|mut st| {
            st.query_map(refs.as_slice(), |r| {
                Ok((
                    ArrearsRecord {
                        id: r.get(0)?,
                        uscc: r.get(2)?,
                        enterprise_name: r.get(3)?,
                        facts: NewArrears {
                            provider: r.get(4)?,
                            record_no: r.get(5)?,
                            enterprise_id: r.get(1)?,
                            kind: UtilityKind::Water,
                            amount: rust_decimal::Decimal::ZERO,
                            arrears_on: r.get(8)?,
                            paid_on: r.get(9)?,
                            late_fee: None,
                            late_fee_on: r.get(11)?,
                        },
                        problem_id: r.get(12)?,
                        version: r.get(13)?,
                        created_by: r.get(14)?,
                        created_at: ts(r.get(15)?),
                        updated_by: r.get(16)?,
                        updated_at: ts(r.get(17)?),
                    },
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<String>>(10)?,
                ))
            })?
            .collect()
        })
        .map_err(backend)?;
    rows.into_iter()
        .map(|(mut a, kind, amount, fee)| {
            a.facts.kind = store::events::parse("utility kind", &kind)?;
            a.facts.amount = decimal("amount", &amount)?;
            a.facts.late_fee = fee.map(|s| decimal("late fee", &s)).transpose()?;
            Ok(a)
        })
        .collect()
}

fn write_one(conn: &Connection, w: &ArrearsWrite, stamp: &Stamp) -> Result<i64> {
    let at = text_time(stamp.at);
    match w {
        ArrearsWrite::Insert(a) => {
            let id: Option<i64> = conn
                .prepare_cached(sql::INSERT)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            a.provider,
                            a.record_no,
                            a.enterprise_id,
                            a.kind.as_str(),
                            a.amount.to_string(),
                            a.arrears_on,
                            a.paid_on,
                            a.late_fee.map(|f| f.to_string()),
                            a.late_fee_on,
                            stamp.username,
                            at
                        ],
                        |r| r.get(0),
                    )
                    .optional()
                })
                .map_err(backend)?;
            let Some(id) = id else {
                return Err(conflict(format!("{} {}", a.provider, a.record_no), 0, 1));
            };
            audit(conn, stamp, id, created(a))?;
            Ok(id)
        }
        ArrearsWrite::Update { id, expected, facts: a, changes } => {
            let n = conn
                .prepare_cached(sql::UPDATE)
                .and_then(|mut st| {
                    st.execute(params![
                        a.enterprise_id,
                        a.kind.as_str(),
                        a.amount.to_string(),
                        a.arrears_on,
                        a.paid_on,
                        a.late_fee.map(|f| f.to_string()),
                        a.late_fee_on,
                        stamp.username,
                        at,
                        id,
                        expected
                    ])
                })
                .map_err(backend)?;
            if n != 1 {
                return Err(current_version(conn, *id, *expected));
            }
            for c in changes {
                audit(conn, stamp, *id, c.clone())?;
            }
            Ok(*id)
        }
    }
}

#[async_trait]
impl UtilityStore for SqliteStore {
    async fn save_arrears(&self, writes: &[ArrearsWrite], stamp: &Stamp) -> Result<Vec<i64>> {
        let writes = writes.to_vec();
        let stamp = stamp.clone();
        self.write(move |conn| writes.iter().map(|w| write_one(conn, w, &stamp)).collect()).await
    }

    async fn arrears(&self, filter: &ArrearsFilter) -> Result<Vec<ArrearsRecord>> {
        let f = filter.clone();
        self.read(move |conn| load(conn, &f)).await
    }

    async fn link_arrears_problem(&self, id: i64, problem_id: i64, stamp: &Stamp) -> Result<bool> {
        let stamp = stamp.clone();
        self.write(move |conn| {
            let n = conn
                .prepare_cached(sql::LINK_PROBLEM)
                .and_then(|mut st| st.execute(params![problem_id, stamp.username, text_time(stamp.at), id]))
                .map_err(backend)?;
            if n == 1 {
                audit(conn, &stamp, id, ("problem_id".into(), None, Some(problem_id.to_string())))?;
            }
            Ok(n == 1)
        })
        .await
    }
}
