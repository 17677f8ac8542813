//! [`PlanStore`] and [`RepairStore`] on SQLite: each write one job of the writer (its audit
//! records in the same transaction); reads run on the read pool.

use async_trait::async_trait;
use chrono::NaiveDate;
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use services::steps::RepairStep;
use store::credit_repair::{
    self as cr, NewRepairCase, REPAIR_ENTITY, RepairCaseRecord, RepairFilter, RepairStore, StepRecord,
};
use store::events::parse;
use store::plans::{
    MeasureRecord, NewPlan, PLAN_ENTITY, PlanFilter, PlanRecord, PlanStore, PlanWrite, ReviewRecord,
    conflict, sql,
};
use store::{Result, Stamp, StoreError};

use crate::problems::text_time;
use crate::{SqliteStore, backend, insert_reference_change, ts};

fn audit(
    conn: &Connection,
    stamp: &Stamp,
    entity: &str,
    id: i64,
    (field, old, new): (String, Option<String>, Option<String>),
) -> Result<()> {
    insert_reference_change(conn, stamp, entity, &id.to_string(), &FieldChange { field, old, new })
}

fn query<T>(
    conn: &Connection,
    q: &str,
    args: &[&dyn rusqlite::ToSql],
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    conn.prepare_cached(q).and_then(|mut st| st.query_map(args, f)?.collect()).map_err(backend)
}

fn load_plans(conn: &Connection, wh: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<PlanRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY p.id DESC", sql::PLAN_COLUMNS, sql::FROM_PLANS);
    let rows = query(conn, &q, args, |r| {
        Ok((
            PlanRecord {
                id: r.get(0)?,
                enterprise_id: r.get(1)?,
                uscc: r.get(2)?,
                enterprise_name: r.get(3)?,
                programme: services::steps::Programme::Doubling,
                diagnosed_on: r.get(5)?,
                experts: r.get(6)?,
                findings: r.get(7)?,
                started_on: r.get(8)?,
                closed_on: r.get(9)?,
                version: r.get(10)?,
                created_by: r.get(11)?,
                created_at: ts(r.get(12)?),
                measures: Vec::new(),
                reviews: Vec::new(),
            },
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for (mut p, programme) in rows {
        p.programme = parse("programme", &programme)?;
        let measures = query(conn, sql::MEASURES, &[&p.id], |r| {
            Ok((
                MeasureRecord {
                    id: r.get(0)?,
                    plan_id: r.get(1)?,
                    seq: r.get(2)?,
                    title: r.get(3)?,
                    owner_department: r.get(4)?,
                    deadline: r.get(5)?,
                    status: services::steps::MeasureStatus::Planned,
                    notes: r.get(7)?,
                    done_on: r.get(8)?,
                    updated_by: r.get(9)?,
                    updated_at: ts(r.get(10)?),
                },
                r.get::<_, String>(6)?,
            ))
        })?;
        for (mut m, status) in measures {
            m.status = parse("measure status", &status)?;
            p.measures.push(m);
        }
        p.reviews = query(conn, sql::REVIEWS, &[&p.id], |r| {
            Ok(ReviewRecord {
                reviewed_on: r.get(0)?,
                conclusion: r.get(1)?,
                reviewed_by: r.get(2)?,
                recorded_at: ts(r.get(3)?),
            })
        })?;
        out.push(p);
    }
    Ok(out)
}

fn insert_measure(conn: &Connection, plan: i64, m: &store::plans::NewMeasure, stamp: &Stamp) -> Result<()> {
    conn.prepare_cached(sql::INSERT_MEASURE)
        .and_then(|mut st| {
            st.execute(params![
                plan,
                m.title,
                m.owner_department,
                m.deadline,
                stamp.username,
                text_time(stamp.at)
            ])
        })
        .map_err(backend)?;
    Ok(())
}

/// Moves a plan's version on from `expected`, or reports the conflict.
fn bump(conn: &Connection, id: i64, expected: i64) -> Result<()> {
    let n = conn
        .prepare_cached(sql::BUMP_VERSION)
        .and_then(|mut st| st.execute([id, expected]))
        .map_err(backend)?;
    if n == 1 { Ok(()) } else { Err(version_conflict(conn, sql::VERSION, id, expected, Kind::Plan)) }
}

fn version_conflict(conn: &Connection, version: &str, id: i64, expected: i64, kind: Kind) -> StoreError {
    match conn
        .prepare_cached(version)
        .and_then(|mut st| st.query_row([id], |r| r.get::<_, i64>(0)).optional())
    {
        Ok(Some(current)) => match kind {
            Kind::Plan => conflict(id, expected, current),
            Kind::Case => cr::conflict(id, expected, current),
        },
        Ok(None) => StoreError::Backend(format!("no {} {id}", kind.entity())),
        Err(e) => backend(e),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Plan,
    Case,
}

impl Kind {
    fn entity(self) -> &'static str {
        match self {
            Kind::Plan => PLAN_ENTITY,
            Kind::Case => REPAIR_ENTITY,
        }
    }
}

#[async_trait]
impl PlanStore for SqliteStore {
    async fn create_plan(&self, plan: &NewPlan, stamp: &Stamp) -> Result<i64> {
        let p = plan.clone();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let id: i64 = conn
                .prepare_cached(sql::INSERT_PLAN)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            p.enterprise_id,
                            p.programme.as_str(),
                            p.diagnosed_on,
                            p.experts,
                            p.findings,
                            p.started_on,
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
                PLAN_ENTITY,
                id,
                ("created".into(), None, Some(p.programme.as_str().into())),
            )?;
            for m in &p.measures {
                insert_measure(conn, id, m, &stamp)?;
                audit(conn, &stamp, PLAN_ENTITY, id, PlanWrite::AddMeasure(m.clone()).audit())?;
            }
            Ok(id)
        })
        .await
    }

    async fn plan(&self, id: i64) -> Result<Option<PlanRecord>> {
        self.read(move |conn| Ok(load_plans(conn, "WHERE p.id = $1", &[&id])?.pop())).await
    }

    async fn plans(&self, filter: &PlanFilter) -> Result<Vec<PlanRecord>> {
        let f = filter.clone();
        self.read(move |conn| {
            let mut conds = Vec::new();
            let mut args: Vec<Box<dyn rusqlite::ToSql + Send>> = Vec::new();
            if let Some(e) = f.enterprise_id {
                args.push(Box::new(e));
                conds.push(format!("p.enterprise_id = ${}", args.len()));
            }
            if let Some(d) = f.department {
                args.push(Box::new(d));
                conds.push(format!(
                    "EXISTS (SELECT 1 FROM plan_measures m WHERE m.plan_id = p.id AND m.owner_department = ${})",
                    args.len()
                ));
            }
            if !f.include_closed {
                conds.push("p.closed_on IS NULL".into());
            }
            let wh = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
            let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref() as &dyn rusqlite::ToSql).collect();
            load_plans(conn, &wh, &refs)
        })
        .await
    }

    async fn save_plan(&self, plan: i64, expected: i64, writes: &[PlanWrite], stamp: &Stamp) -> Result<i64> {
        let writes = writes.to_vec();
        let stamp = stamp.clone();
        self.write(move |conn| {
            bump(conn, plan, expected)?;
            let now = text_time(stamp.at);
            for w in &writes {
                let n = match w {
                    PlanWrite::AddMeasure(m) => {
                        insert_measure(conn, plan, m, &stamp)?;
                        1
                    }
                    PlanWrite::Measure { id, from, to, notes, done_on } => conn
                        .prepare_cached(sql::SET_MEASURE)
                        .and_then(|mut st| {
                            st.execute(params![
                                to.as_str(),
                                notes,
                                done_on,
                                stamp.username,
                                now,
                                id,
                                plan,
                                from.as_str()
                            ])
                        })
                        .map_err(backend)?,
                    PlanWrite::Review { on, conclusion } => conn
                        .prepare_cached(sql::INSERT_REVIEW)
                        .and_then(|mut st| st.execute(params![plan, on, conclusion, stamp.username, now]))
                        .map_err(backend)?,
                    PlanWrite::Close { on } => conn
                        .prepare_cached(sql::CLOSE)
                        .and_then(|mut st| st.execute(params![on, plan]))
                        .map_err(backend)?,
                };
                if n != 1 {
                    return Err(conflict(plan, expected, expected + 1));
                }
                audit(conn, &stamp, PLAN_ENTITY, plan, w.audit())?;
            }
            Ok(expected + 1)
        })
        .await
    }
}

fn load_cases(conn: &Connection, wh: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<RepairCaseRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY c.id DESC", cr::sql::CASE_COLUMNS, cr::sql::FROM_CASES);
    let rows = query(conn, &q, args, |r| {
        Ok((
            RepairCaseRecord {
                id: r.get(0)?,
                uscc: r.get(2)?,
                enterprise_name: r.get(3)?,
                case: NewRepairCase {
                    enterprise_id: r.get(1)?,
                    source: r.get(4)?,
                    record_date: r.get(5)?,
                    kind: services::steps::RecordKind::Other,
                    conditions: r.get(7)?,
                    recorded_on: r.get(8)?,
                    training_due: r.get(9)?,
                    commitment_due: r.get(10)?,
                    application_due: r.get(11)?,
                },
                version: r.get(12)?,
                created_by: r.get(13)?,
                created_at: ts(r.get(14)?),
                steps: Vec::new(),
            },
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for (mut c, kind) in rows {
        c.case.kind = parse("record kind", &kind)?;
        let steps = query(conn, cr::sql::STEPS, &[&c.id], |r| {
            Ok((
                StepRecord {
                    step: RepairStep::Recorded,
                    done_on: r.get(1)?,
                    reason: r.get(2)?,
                    recorded_by: r.get(3)?,
                    recorded_at: ts(r.get(4)?),
                },
                r.get::<_, String>(0)?,
            ))
        })?;
        for (mut s, step) in steps {
            s.step = parse("repair step", &step)?;
            c.steps.push(s);
        }
        out.push(c);
    }
    Ok(out)
}

fn insert_step(
    conn: &Connection,
    case: i64,
    step: RepairStep,
    on: NaiveDate,
    reason: &str,
    stamp: &Stamp,
) -> Result<()> {
    conn.prepare_cached(cr::sql::INSERT_STEP)
        .and_then(|mut st| {
            st.execute(params![case, step.as_str(), on, reason, stamp.username, text_time(stamp.at)])
        })
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl RepairStore for SqliteStore {
    async fn create_case(&self, case: &NewRepairCase, stamp: &Stamp) -> Result<i64> {
        let c = case.clone();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let id: i64 = conn
                .prepare_cached(cr::sql::INSERT_CASE)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            c.enterprise_id,
                            c.source,
                            c.record_date,
                            c.kind.as_str(),
                            c.conditions,
                            c.recorded_on,
                            c.training_due,
                            c.commitment_due,
                            c.application_due,
                            stamp.username,
                            text_time(stamp.at)
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)?;
            insert_step(conn, id, RepairStep::Recorded, c.recorded_on, "", &stamp)?;
            audit(
                conn,
                &stamp,
                REPAIR_ENTITY,
                id,
                ("created".into(), None, Some(format!("{} {}", c.kind.as_str(), c.source))),
            )?;
            Ok(id)
        })
        .await
    }

    async fn repair_case(&self, id: i64) -> Result<Option<RepairCaseRecord>> {
        self.read(move |conn| Ok(load_cases(conn, "WHERE c.id = $1", &[&id])?.pop())).await
    }

    async fn repair_cases(&self, filter: &RepairFilter) -> Result<Vec<RepairCaseRecord>> {
        let f = filter.clone();
        self.read(move |conn| {
            let open = if f.open_only { " AND c.step NOT IN ('repaired', 'refused')" } else { "" };
            match f.enterprise_id {
                Some(e) => load_cases(conn, &format!("WHERE c.enterprise_id = $1{open}"), &[&e]),
                None => load_cases(conn, &format!("WHERE 1 = 1{open}"), &[]),
            }
        })
        .await
    }

    async fn advance_case(
        &self,
        id: i64,
        expected: i64,
        step: RepairStep,
        on: NaiveDate,
        reason: &str,
        stamp: &Stamp,
    ) -> Result<i64> {
        let stamp = stamp.clone();
        let reason = reason.to_string();
        self.write(move |conn| {
            let n = conn
                .prepare_cached(cr::sql::ADVANCE)
                .and_then(|mut st| st.execute(params![step.as_str(), id, expected]))
                .map_err(backend)?;
            if n != 1 {
                return Err(version_conflict(conn, cr::sql::VERSION, id, expected, Kind::Case));
            }
            insert_step(conn, id, step, on, &reason, &stamp)?;
            audit(
                conn,
                &stamp,
                REPAIR_ENTITY,
                id,
                ("step".into(), None, Some(format!("{} {on}", step.as_str()))),
            )?;
            Ok(expected + 1)
        })
        .await
    }
}
