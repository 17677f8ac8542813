//! [`ChainStore`] on SQLite: each write one job of the writer (its audit record in the same
//! transaction); reads run on the read pool.

use async_trait::async_trait;
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use store::chains::{ChainStore, DemandState, LogisticsMode, Outcome, Position};
use store::chains::{
    DEMAND_ENTITY, DemandFilter, DemandWrite, IntroductionRecord, LOGISTICS_ENTITY, LogisticsRecord,
    NewLogistics, NewPosition, NewSupplyDemand, POSITION_ENTITY, PositionRecord, SupplyDemandRecord,
    conflict, modes_text, parse_modes, sql,
};
use store::events::parse;
use store::{Result, Stamp, StoreError};

use crate::problems::text_time;
use crate::{SqliteStore, backend, insert_reference_change, ts};

fn audit(
    conn: &Connection,
    stamp: &Stamp,
    entity: &str,
    key: &str,
    field: &str,
    old: Option<String>,
    new: Option<String>,
) -> Result<()> {
    insert_reference_change(conn, stamp, entity, key, &FieldChange { field: field.into(), old, new })
}

fn query<T>(
    conn: &Connection,
    q: &str,
    args: &[&dyn rusqlite::ToSql],
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    conn.prepare_cached(q).and_then(|mut st| st.query_map(args, f)?.collect()).map_err(backend)
}

fn load_positions(conn: &Connection, enterprise_id: Option<i64>) -> Result<Vec<PositionRecord>> {
    let wh = if enterprise_id.is_some() { "WHERE p.enterprise_id = $1" } else { "" };
    let q = format!(
        "SELECT {} {} {wh} ORDER BY p.chain, n.name, p.id",
        sql::POSITION_COLUMNS,
        sql::FROM_POSITIONS
    );
    let args: Vec<&dyn rusqlite::ToSql> = match &enterprise_id {
        Some(e) => vec![e],
        None => vec![],
    };
    let rows = query(conn, &q, &args, |r| {
        Ok((
            PositionRecord {
                id: r.get(0)?,
                uscc: r.get(2)?,
                enterprise_name: r.get(3)?,
                enterprise_tags: r.get(4)?,
                position: NewPosition {
                    enterprise_id: r.get(1)?,
                    chain: r.get(5)?,
                    position: Position::Upstream,
                    supplies: r.get(7)?,
                },
                recorded_by: r.get(8)?,
                recorded_at: ts(r.get(9)?),
            },
            r.get::<_, String>(6)?,
        ))
    })?;
    rows.into_iter()
        .map(|(mut p, pos)| {
            p.position.position = parse("chain position", &pos)?;
            Ok(p)
        })
        .collect()
}

fn load_demands(
    conn: &Connection,
    wh: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<SupplyDemandRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY d.id DESC", sql::DEMAND_COLUMNS, sql::FROM_DEMANDS);
    let rows = query(conn, &q, args, |r| {
        Ok((
            SupplyDemandRecord {
                id: r.get(0)?,
                uscc: r.get(2)?,
                enterprise_name: r.get(3)?,
                demand: NewSupplyDemand {
                    enterprise_id: r.get(1)?,
                    description: r.get(4)?,
                    quantity: r.get(5)?,
                    needed_by: r.get(6)?,
                    raised_on: r.get(7)?,
                    introduction_due: r.get(8)?,
                },
                state: DemandState::Open,
                closed_on: r.get(10)?,
                close_reason: r.get(11)?,
                version: r.get(12)?,
                created_by: r.get(13)?,
                created_at: ts(r.get(14)?),
                introductions: Vec::new(),
            },
            r.get::<_, String>(9)?,
        ))
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for (mut d, state) in rows {
        d.state = parse("demand state", &state)?;
        let intros = query(conn, sql::INTRODUCTIONS, &[&d.id], |r| {
            Ok((
                IntroductionRecord {
                    id: r.get(0)?,
                    supplier_id: r.get(1)?,
                    supplier_uscc: r.get(2)?,
                    supplier_name: r.get(3)?,
                    introduced_on: r.get(4)?,
                    note: r.get(5)?,
                    outcome: Outcome::Pending,
                    outcome_note: r.get(7)?,
                    recorded_by: r.get(8)?,
                    recorded_at: ts(r.get(9)?),
                },
                r.get::<_, String>(6)?,
            ))
        })?;
        for (mut i, outcome) in intros {
            i.outcome = parse("introduction outcome", &outcome)?;
            d.introductions.push(i);
        }
        out.push(d);
    }
    Ok(out)
}

fn load_logistics(conn: &Connection, enterprise_id: Option<i64>) -> Result<Vec<LogisticsRecord>> {
    let wh = if enterprise_id.is_some() { "WHERE l.enterprise_id = $1" } else { "" };
    let q = format!(
        "SELECT {} {} {wh} ORDER BY n.name, l.enterprise_id",
        sql::LOGISTICS_COLUMNS,
        sql::FROM_LOGISTICS
    );
    let args: Vec<&dyn rusqlite::ToSql> = match &enterprise_id {
        Some(e) => vec![e],
        None => vec![],
    };
    let rows = query(conn, &q, &args, |r| {
        Ok((
            LogisticsRecord {
                uscc: r.get(1)?,
                enterprise_name: r.get(2)?,
                logistics: NewLogistics {
                    enterprise_id: r.get(0)?,
                    main_mode: LogisticsMode::Road,
                    other_modes: Vec::new(),
                    routes: r.get(5)?,
                    watcher: r.get(6)?,
                },
                recorded_by: r.get(7)?,
                recorded_at: ts(r.get(8)?),
            },
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    rows.into_iter()
        .map(|(mut l, main, others)| {
            l.logistics.main_mode = parse("logistics mode", &main)?;
            l.logistics.other_modes = parse_modes(&others)?;
            Ok(l)
        })
        .collect()
}

fn version_conflict(conn: &Connection, id: i64, expected: i64) -> StoreError {
    match conn
        .prepare_cached(sql::VERSION)
        .and_then(|mut st| st.query_row([id], |r| r.get::<_, i64>(0)).optional())
    {
        Ok(Some(current)) => conflict(id, expected, current),
        Ok(None) => StoreError::Backend(format!("no {DEMAND_ENTITY} {id}")),
        Err(e) => backend(e),
    }
}

#[async_trait]
impl ChainStore for SqliteStore {
    async fn save_position(&self, p: &NewPosition, stamp: &Stamp) -> Result<i64> {
        let p = p.clone();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let key = format!("{}/{}", p.enterprise_id, p.chain);
            let new = Some(format!("{} {}", p.position.as_str(), p.supplies));
            let old: Option<(i64, String, String)> = conn
                .prepare_cached(sql::OLD_POSITION)
                .and_then(|mut st| {
                    st.query_row(params![p.enterprise_id, p.chain], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()
                })
                .map_err(backend)?;
            let id = match old {
                Some((id, pos, supplies)) => {
                    conn.prepare_cached(sql::UPDATE_POSITION)
                        .and_then(|mut st| {
                            st.execute(params![
                                p.position.as_str(),
                                p.supplies,
                                stamp.username,
                                text_time(stamp.at),
                                id
                            ])
                        })
                        .map_err(backend)?;
                    audit(
                        conn,
                        &stamp,
                        POSITION_ENTITY,
                        &key,
                        "position",
                        Some(format!("{pos} {supplies}")),
                        new,
                    )?;
                    id
                }
                None => {
                    let id: i64 = conn
                        .prepare_cached(sql::INSERT_POSITION)
                        .and_then(|mut st| {
                            st.query_row(
                                params![
                                    p.enterprise_id,
                                    p.chain,
                                    p.position.as_str(),
                                    p.supplies,
                                    stamp.username,
                                    text_time(stamp.at)
                                ],
                                |r| r.get(0),
                            )
                        })
                        .map_err(backend)?;
                    audit(conn, &stamp, POSITION_ENTITY, &key, "position", None, new)?;
                    id
                }
            };
            Ok(id)
        })
        .await
    }

    async fn delete_position(&self, enterprise_id: i64, chain: &str, stamp: &Stamp) -> Result<bool> {
        let chain = chain.to_string();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let old: Option<(i64, String, String)> = conn
                .prepare_cached(sql::OLD_POSITION)
                .and_then(|mut st| {
                    st.query_row(params![enterprise_id, chain], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()
                })
                .map_err(backend)?;
            let Some((id, pos, supplies)) = old else { return Ok(false) };
            conn.prepare_cached(sql::DELETE_POSITION).and_then(|mut st| st.execute([id])).map_err(backend)?;
            audit(
                conn,
                &stamp,
                POSITION_ENTITY,
                &format!("{enterprise_id}/{chain}"),
                "position",
                Some(format!("{pos} {supplies}")),
                None,
            )?;
            Ok(true)
        })
        .await
    }

    async fn chain_positions(&self, enterprise_id: Option<i64>) -> Result<Vec<PositionRecord>> {
        self.read(move |conn| load_positions(conn, enterprise_id)).await
    }

    async fn create_supply_demand(&self, d: &NewSupplyDemand, stamp: &Stamp) -> Result<i64> {
        let d = d.clone();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let id: i64 = conn
                .prepare_cached(sql::INSERT_DEMAND)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            d.enterprise_id,
                            d.description,
                            d.quantity,
                            d.needed_by,
                            d.raised_on,
                            d.introduction_due,
                            stamp.username,
                            text_time(stamp.at)
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)?;
            audit(
                conn,
                &stamp,
                DEMAND_ENTITY,
                &id.to_string(),
                "created",
                None,
                Some(d.description.clone()),
            )?;
            Ok(id)
        })
        .await
    }

    async fn supply_demand(&self, id: i64) -> Result<Option<SupplyDemandRecord>> {
        self.read(move |conn| Ok(load_demands(conn, "WHERE d.id = $1", &[&id])?.pop())).await
    }

    async fn supply_demands(&self, filter: &DemandFilter) -> Result<Vec<SupplyDemandRecord>> {
        let f = filter.clone();
        self.read(move |conn| {
            let state = f.state.map(|s| s.as_str().to_string());
            match (f.enterprise_id, state) {
                (Some(e), Some(s)) => {
                    load_demands(conn, "WHERE d.enterprise_id = $1 AND d.state = $2", &[&e, &s])
                }
                (Some(e), None) => load_demands(conn, "WHERE d.enterprise_id = $1", &[&e]),
                (None, Some(s)) => load_demands(conn, "WHERE d.state = $1", &[&s]),
                (None, None) => load_demands(conn, "", &[]),
            }
        })
        .await
    }

    async fn write_supply_demand(
        &self,
        id: i64,
        expected: i64,
        w: &DemandWrite,
        stamp: &Stamp,
    ) -> Result<i64> {
        let w = w.clone();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let n = conn
                .prepare_cached(sql::BUMP)
                .and_then(|mut st| st.execute([id, expected]))
                .map_err(backend)?;
            if n != 1 {
                return Err(version_conflict(conn, id, expected));
            }
            let now = text_time(stamp.at);
            match &w {
                DemandWrite::Introduce { supplier_id, on, note } => {
                    conn.prepare_cached(sql::INTRODUCE)
                        .and_then(|mut st| {
                            st.execute(params![id, supplier_id, on, note, stamp.username, now])
                        })
                        .map_err(backend)?;
                    conn.prepare_cached(sql::SET_INTRODUCED)
                        .and_then(|mut st| st.execute([id]))
                        .map_err(backend)?;
                }
                DemandWrite::Outcome { introduction_id, outcome, note } => {
                    let n = conn
                        .prepare_cached(sql::OUTCOME)
                        .and_then(|mut st| {
                            st.execute(params![
                                outcome.as_str(),
                                note,
                                stamp.username,
                                now,
                                introduction_id,
                                id
                            ])
                        })
                        .map_err(backend)?;
                    if n != 1 {
                        return Err(StoreError::Backend(format!(
                            "no introduction {introduction_id} of demand {id}"
                        )));
                    }
                }
                DemandWrite::Close { on, reason } => {
                    conn.prepare_cached(sql::CLOSE)
                        .and_then(|mut st| st.execute(params![on, reason, id]))
                        .map_err(backend)?;
                }
            }
            let (field, old, new) = w.audit();
            audit(conn, &stamp, DEMAND_ENTITY, &id.to_string(), &field, old, new)?;
            Ok(expected + 1)
        })
        .await
    }

    async fn save_logistics_profiles(&self, profiles: &[NewLogistics], stamp: &Stamp) -> Result<()> {
        let profiles = profiles.to_vec();
        let stamp = stamp.clone();
        self.write(move |conn| {
            for l in &profiles {
                let old: Option<(String, String, String, String)> = conn
                    .prepare_cached(sql::OLD_LOGISTICS)
                    .and_then(|mut st| {
                        st.query_row([l.enterprise_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                            .optional()
                    })
                    .map_err(backend)?;
                conn.prepare_cached(sql::DELETE_LOGISTICS)
                    .and_then(|mut st| st.execute([l.enterprise_id]))
                    .map_err(backend)?;
                let others = modes_text(&l.other_modes);
                conn.prepare_cached(sql::INSERT_LOGISTICS)
                    .and_then(|mut st| {
                        st.execute(params![
                            l.enterprise_id,
                            l.main_mode.as_str(),
                            others,
                            l.routes,
                            l.watcher,
                            stamp.username,
                            text_time(stamp.at)
                        ])
                    })
                    .map_err(backend)?;
                let old = old.map(|(m, o, r, w)| format!("{m} [{o}] {r} @{w}"));
                let new = Some(format!("{} [{others}] {} @{}", l.main_mode.as_str(), l.routes, l.watcher));
                audit(conn, &stamp, LOGISTICS_ENTITY, &l.enterprise_id.to_string(), "logistics", old, new)?;
            }
            Ok(())
        })
        .await
    }

    async fn logistics_profiles(&self, enterprise_id: Option<i64>) -> Result<Vec<LogisticsRecord>> {
        self.read(move |conn| load_logistics(conn, enterprise_id)).await
    }
}
