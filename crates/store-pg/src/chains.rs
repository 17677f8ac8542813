//! [`ChainStore`] on PostgreSQL: each write one transaction with its audit record.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::chains::{
    ChainStore, DEMAND_ENTITY, DemandFilter, DemandWrite, IntroductionRecord, LOGISTICS_ENTITY,
    LogisticsRecord, NewLogistics, NewPosition, NewSupplyDemand, POSITION_ENTITY, PositionRecord,
    SupplyDemandRecord, conflict, modes_text, parse_modes, sql,
};
use store::events::parse;
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
    entity: &str,
    key: &str,
    field: &str,
    old: Option<String>,
    new: Option<String>,
) -> Result<()> {
    insert_reference_change(c, stamp, entity, key, &FieldChange { field: field.into(), old, new }).await
}

async fn load_positions(c: &impl GenericClient, enterprise_id: Option<i64>) -> Result<Vec<PositionRecord>> {
    let wh = if enterprise_id.is_some() { "WHERE p.enterprise_id = $1" } else { "" };
    let q = format!(
        "SELECT {} {} {wh} ORDER BY p.chain, n.name, p.id",
        sql::POSITION_COLUMNS,
        sql::FROM_POSITIONS
    );
    let rows = match &enterprise_id {
        Some(e) => c.query(&q, &[e]).await,
        None => c.query(&q, &[]).await,
    }
    .map_err(backend)?;
    rows.iter()
        .map(|r| {
            Ok(PositionRecord {
                id: get(r, 0)?,
                uscc: get(r, 2)?,
                enterprise_name: get(r, 3)?,
                enterprise_tags: get(r, 4)?,
                position: NewPosition {
                    enterprise_id: get(r, 1)?,
                    chain: get(r, 5)?,
                    position: parse("chain position", &get::<String>(r, 6)?)?,
                    supplies: get(r, 7)?,
                },
                recorded_by: get(r, 8)?,
                recorded_at: china(get(r, 9)?),
            })
        })
        .collect()
}

async fn load_demands(
    c: &impl GenericClient,
    wh: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<SupplyDemandRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY d.id DESC", sql::DEMAND_COLUMNS, sql::FROM_DEMANDS);
    let rows = c.query(&q, args).await.map_err(backend)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = get(r, 0)?;
        let mut introductions = Vec::new();
        for i in c.query(sql::INTRODUCTIONS, &[&id]).await.map_err(backend)? {
            introductions.push(IntroductionRecord {
                id: get(&i, 0)?,
                supplier_id: get(&i, 1)?,
                supplier_uscc: get(&i, 2)?,
                supplier_name: get(&i, 3)?,
                introduced_on: get(&i, 4)?,
                note: get(&i, 5)?,
                outcome: parse("introduction outcome", &get::<String>(&i, 6)?)?,
                outcome_note: get(&i, 7)?,
                recorded_by: get(&i, 8)?,
                recorded_at: china(get(&i, 9)?),
            });
        }
        out.push(SupplyDemandRecord {
            id,
            uscc: get(r, 2)?,
            enterprise_name: get(r, 3)?,
            demand: NewSupplyDemand {
                enterprise_id: get(r, 1)?,
                description: get(r, 4)?,
                quantity: get(r, 5)?,
                needed_by: get(r, 6)?,
                raised_on: get(r, 7)?,
                introduction_due: get(r, 8)?,
            },
            state: parse("demand state", &get::<String>(r, 9)?)?,
            closed_on: get(r, 10)?,
            close_reason: get(r, 11)?,
            version: get(r, 12)?,
            created_by: get(r, 13)?,
            created_at: china(get(r, 14)?),
            introductions,
        });
    }
    Ok(out)
}

async fn old_position(
    c: &impl GenericClient,
    enterprise_id: i64,
    chain: &str,
) -> Result<Option<(i64, String, String)>> {
    match c.query_opt(sql::OLD_POSITION, &[&enterprise_id, &chain]).await.map_err(backend)? {
        Some(r) => Ok(Some((get(&r, 0)?, get(&r, 1)?, get(&r, 2)?))),
        None => Ok(None),
    }
}

#[async_trait]
impl ChainStore for PgStore {
    async fn save_position(&self, p: &NewPosition, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let key = format!("{}/{}", p.enterprise_id, p.chain);
        let new = Some(format!("{} {}", p.position.as_str(), p.supplies));
        let id = match old_position(&tx, p.enterprise_id, &p.chain).await? {
            Some((id, pos, supplies)) => {
                tx.execute(
                    sql::UPDATE_POSITION,
                    &[&p.position.as_str(), &p.supplies, &stamp.username, &stamp.at, &id],
                )
                .await
                .map_err(backend)?;
                audit(&tx, stamp, POSITION_ENTITY, &key, "position", Some(format!("{pos} {supplies}")), new)
                    .await?;
                id
            }
            None => {
                let id: i64 = tx
                    .query_one(
                        sql::INSERT_POSITION,
                        &[
                            &p.enterprise_id,
                            &p.chain,
                            &p.position.as_str(),
                            &p.supplies,
                            &stamp.username,
                            &stamp.at,
                        ],
                    )
                    .await
                    .map_err(backend)?
                    .try_get(0)
                    .map_err(backend)?;
                audit(&tx, stamp, POSITION_ENTITY, &key, "position", None, new).await?;
                id
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn delete_position(&self, enterprise_id: i64, chain: &str, stamp: &Stamp) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let Some((id, pos, supplies)) = old_position(&tx, enterprise_id, chain).await? else {
            return Ok(false);
        };
        tx.execute(sql::DELETE_POSITION, &[&id]).await.map_err(backend)?;
        audit(
            &tx,
            stamp,
            POSITION_ENTITY,
            &format!("{enterprise_id}/{chain}"),
            "position",
            Some(format!("{pos} {supplies}")),
            None,
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn chain_positions(&self, enterprise_id: Option<i64>) -> Result<Vec<PositionRecord>> {
        let client = self.client().await?;
        load_positions(&client, enterprise_id).await
    }

    async fn create_supply_demand(&self, d: &NewSupplyDemand, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id: i64 = tx
            .query_one(
                sql::INSERT_DEMAND,
                &[
                    &d.enterprise_id,
                    &d.description,
                    &d.quantity,
                    &d.needed_by,
                    &d.raised_on,
                    &d.introduction_due,
                    &stamp.username,
                    &stamp.at,
                ],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        audit(&tx, stamp, DEMAND_ENTITY, &id.to_string(), "created", None, Some(d.description.clone()))
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn supply_demand(&self, id: i64) -> Result<Option<SupplyDemandRecord>> {
        let client = self.client().await?;
        Ok(load_demands(&client, "WHERE d.id = $1", &[&id]).await?.pop())
    }

    async fn supply_demands(&self, f: &DemandFilter) -> Result<Vec<SupplyDemandRecord>> {
        let client = self.client().await?;
        let state = f.state.map(|s| s.as_str().to_string());
        match (f.enterprise_id, state) {
            (Some(e), Some(s)) => {
                load_demands(&client, "WHERE d.enterprise_id = $1 AND d.state = $2", &[&e, &s]).await
            }
            (Some(e), None) => load_demands(&client, "WHERE d.enterprise_id = $1", &[&e]).await,
            (None, Some(s)) => load_demands(&client, "WHERE d.state = $1", &[&s]).await,
            (None, None) => load_demands(&client, "", &[]).await,
        }
    }

    async fn write_supply_demand(
        &self,
        id: i64,
        expected: i64,
        w: &DemandWrite,
        stamp: &Stamp,
    ) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::BUMP, &[&id, &expected]).await.map_err(backend)?;
        if n != 1 {
            return Err(match tx.query_opt(sql::VERSION, &[&id]).await {
                Ok(Some(r)) => match r.try_get::<_, i64>(0) {
                    Ok(current) => conflict(id, expected, current),
                    Err(e) => backend(e),
                },
                Ok(None) => StoreError::Backend(format!("no {DEMAND_ENTITY} {id}")),
                Err(e) => backend(e),
            });
        }
        match w {
            DemandWrite::Introduce { supplier_id, on, note } => {
                tx.execute(sql::INTRODUCE, &[&id, supplier_id, on, note, &stamp.username, &stamp.at])
                    .await
                    .map_err(backend)?;
                tx.execute(sql::SET_INTRODUCED, &[&id]).await.map_err(backend)?;
            }
            DemandWrite::Outcome { introduction_id, outcome, note } => {
                let n = tx
                    .execute(
                        sql::OUTCOME,
                        &[&outcome.as_str(), note, &stamp.username, &stamp.at, introduction_id, &id],
                    )
                    .await
                    .map_err(backend)?;
                if n != 1 {
                    return Err(StoreError::Backend(format!(
                        "no introduction {introduction_id} of demand {id}"
                    )));
                }
            }
            DemandWrite::Close { on, reason } => {
                tx.execute(sql::CLOSE, &[on, reason, &id]).await.map_err(backend)?;
            }
        }
        let (field, old, new) = w.audit();
        audit(&tx, stamp, DEMAND_ENTITY, &id.to_string(), &field, old, new).await?;
        tx.commit().await.map_err(backend)?;
        Ok(expected + 1)
    }

    async fn save_logistics_profiles(&self, profiles: &[NewLogistics], stamp: &Stamp) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        for l in profiles {
            let old = match tx.query_opt(sql::OLD_LOGISTICS, &[&l.enterprise_id]).await.map_err(backend)? {
                Some(r) => Some(format!(
                    "{} [{}] {} @{}",
                    get::<String>(&r, 0)?,
                    get::<String>(&r, 1)?,
                    get::<String>(&r, 2)?,
                    get::<String>(&r, 3)?
                )),
                None => None,
            };
            tx.execute(sql::DELETE_LOGISTICS, &[&l.enterprise_id]).await.map_err(backend)?;
            let others = modes_text(&l.other_modes);
            tx.execute(
                sql::INSERT_LOGISTICS,
                &[
                    &l.enterprise_id,
                    &l.main_mode.as_str(),
                    &others,
                    &l.routes,
                    &l.watcher,
                    &stamp.username,
                    &stamp.at,
                ],
            )
            .await
            .map_err(backend)?;
            let new = Some(format!("{} [{others}] {} @{}", l.main_mode.as_str(), l.routes, l.watcher));
            audit(&tx, stamp, LOGISTICS_ENTITY, &l.enterprise_id.to_string(), "logistics", old, new).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn logistics_profiles(&self, enterprise_id: Option<i64>) -> Result<Vec<LogisticsRecord>> {
        let client = self.client().await?;
        let wh = if enterprise_id.is_some() { "WHERE l.enterprise_id = $1" } else { "" };
        let q = format!(
            "SELECT {} {} {wh} ORDER BY n.name, l.enterprise_id",
            sql::LOGISTICS_COLUMNS,
            sql::FROM_LOGISTICS
        );
        let rows = match &enterprise_id {
            Some(e) => client.query(&q, &[e]).await,
            None => client.query(&q, &[]).await,
        }
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(LogisticsRecord {
                    uscc: get(r, 1)?,
                    enterprise_name: get(r, 2)?,
                    logistics: NewLogistics {
                        enterprise_id: get(r, 0)?,
                        main_mode: parse("logistics mode", &get::<String>(r, 3)?)?,
                        other_modes: parse_modes(&get::<String>(r, 4)?)?,
                        routes: get(r, 5)?,
                        watcher: get(r, 6)?,
                    },
                    recorded_by: get(r, 7)?,
                    recorded_at: china(get(r, 8)?),
                })
            })
            .collect()
    }
}
