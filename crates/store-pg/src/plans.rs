//! [`PlanStore`] and [`RepairStore`] on PostgreSQL: each write one transaction with its audit
//! records.

use async_trait::async_trait;
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::credit_repair::RepairStep;
use store::credit_repair::{
    self as cr, NewRepairCase, REPAIR_ENTITY, RepairCaseRecord, RepairFilter, RepairStore, StepRecord,
};
use store::events::parse;
use store::plans::{
    MeasureRecord, NewMeasure, NewPlan, PLAN_ENTITY, PlanFilter, PlanRecord, PlanStore, PlanWrite,
    ReviewRecord, conflict, sql,
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
    entity: &str,
    id: i64,
    (field, old, new): (String, Option<String>, Option<String>),
) -> Result<()> {
    insert_reference_change(c, stamp, entity, &id.to_string(), &FieldChange { field, old, new }).await
}

async fn version_conflict(
    c: &impl GenericClient,
    version: &str,
    id: i64,
    expected: i64,
    plan: bool,
) -> StoreError {
    match c.query_opt(version, &[&id]).await {
        Ok(Some(r)) => match r.try_get::<_, i64>(0) {
            Ok(current) if plan => conflict(id, expected, current),
            Ok(current) => cr::conflict(id, expected, current),
            Err(e) => backend(e),
        },
        Ok(None) => {
            StoreError::Backend(format!("no {} {id}", if plan { PLAN_ENTITY } else { REPAIR_ENTITY }))
        }
        Err(e) => backend(e),
    }
}

async fn load_plans(
    c: &impl GenericClient,
    wh: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<PlanRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY p.id DESC", sql::PLAN_COLUMNS, sql::FROM_PLANS);
    let rows = c.query(&q, args).await.map_err(backend)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = get(r, 0)?;
        let mut measures = Vec::new();
        for m in c.query(sql::MEASURES, &[&id]).await.map_err(backend)? {
            measures.push(MeasureRecord {
                id: get(&m, 0)?,
                plan_id: get(&m, 1)?,
                seq: get(&m, 2)?,
                title: get(&m, 3)?,
                owner_department: get(&m, 4)?,
                deadline: get(&m, 5)?,
                status: parse("measure status", &get::<String>(&m, 6)?)?,
                notes: get(&m, 7)?,
                done_on: get(&m, 8)?,
                updated_by: get(&m, 9)?,
                updated_at: china(get(&m, 10)?),
            });
        }
        let mut reviews = Vec::new();
        for v in c.query(sql::REVIEWS, &[&id]).await.map_err(backend)? {
            reviews.push(ReviewRecord {
                reviewed_on: get(&v, 0)?,
                conclusion: get(&v, 1)?,
                reviewed_by: get(&v, 2)?,
                recorded_at: china(get(&v, 3)?),
            });
        }
        out.push(PlanRecord {
            id,
            enterprise_id: get(r, 1)?,
            uscc: get(r, 2)?,
            enterprise_name: get(r, 3)?,
            programme: parse("programme", &get::<String>(r, 4)?)?,
            diagnosed_on: get(r, 5)?,
            experts: get(r, 6)?,
            findings: get(r, 7)?,
            started_on: get(r, 8)?,
            closed_on: get(r, 9)?,
            version: get(r, 10)?,
            created_by: get(r, 11)?,
            created_at: china(get(r, 12)?),
            measures,
            reviews,
        });
    }
    Ok(out)
}

async fn insert_measure(c: &impl GenericClient, plan: i64, m: &NewMeasure, stamp: &Stamp) -> Result<()> {
    c.execute(
        sql::INSERT_MEASURE,
        &[&plan, &m.title, &m.owner_department, &m.deadline, &stamp.username, &stamp.at],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl PlanStore for PgStore {
    async fn create_plan(&self, p: &NewPlan, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id: i64 = tx
            .query_one(
                sql::INSERT_PLAN,
                &[
                    &p.enterprise_id,
                    &p.programme.as_str(),
                    &p.diagnosed_on,
                    &p.experts,
                    &p.findings,
                    &p.started_on,
                    &stamp.username,
                    &stamp.at,
                ],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        audit(&tx, stamp, PLAN_ENTITY, id, ("created".into(), None, Some(p.programme.as_str().into())))
            .await?;
        for m in &p.measures {
            insert_measure(&tx, id, m, stamp).await?;
            audit(&tx, stamp, PLAN_ENTITY, id, PlanWrite::AddMeasure(m.clone()).audit()).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn plan(&self, id: i64) -> Result<Option<PlanRecord>> {
        let client = self.client().await?;
        Ok(load_plans(&client, "WHERE p.id = $1", &[&id]).await?.pop())
    }

    async fn plans(&self, f: &PlanFilter) -> Result<Vec<PlanRecord>> {
        let client = self.client().await?;
        let mut conds = Vec::new();
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
        if let Some(e) = f.enterprise_id {
            args.push(Box::new(e));
            conds.push(format!("p.enterprise_id = ${}", args.len()));
        }
        if let Some(d) = &f.department {
            args.push(Box::new(d.clone()));
            conds.push(format!(
                "EXISTS (SELECT 1 FROM plan_measures m WHERE m.plan_id = p.id AND m.owner_department = ${})",
                args.len()
            ));
        }
        if !f.include_closed {
            conds.push("p.closed_on IS NULL".into());
        }
        let wh = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref() as &(dyn ToSql + Sync)).collect();
        load_plans(&client, &wh, &refs).await
    }

    async fn save_plan(&self, plan: i64, expected: i64, writes: &[PlanWrite], stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::BUMP_VERSION, &[&plan, &expected]).await.map_err(backend)?;
        if n == 0 {
            return Err(version_conflict(&tx, sql::VERSION, plan, expected, true).await);
        }
        for w in writes {
            let n = match w {
                PlanWrite::AddMeasure(m) => {
                    insert_measure(&tx, plan, m, stamp).await?;
                    1
                }
                PlanWrite::Measure { id, from, to, notes, done_on } => tx
                    .execute(
                        sql::SET_MEASURE,
                        &[
                            &to.as_str(),
                            notes,
                            done_on,
                            &stamp.username,
                            &stamp.at,
                            id,
                            &plan,
                            &from.as_str(),
                        ],
                    )
                    .await
                    .map_err(backend)?,
                PlanWrite::Review { on, conclusion } => tx
                    .execute(sql::INSERT_REVIEW, &[&plan, on, conclusion, &stamp.username, &stamp.at])
                    .await
                    .map_err(backend)?,
                PlanWrite::Close { on } => tx.execute(sql::CLOSE, &[on, &plan]).await.map_err(backend)?,
            };
            if n != 1 {
                return Err(conflict(plan, expected, expected + 1));
            }
            audit(&tx, stamp, PLAN_ENTITY, plan, w.audit()).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(expected + 1)
    }
}

async fn load_cases(
    c: &impl GenericClient,
    wh: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<RepairCaseRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY c.id DESC", cr::sql::CASE_COLUMNS, cr::sql::FROM_CASES);
    let rows = c.query(&q, args).await.map_err(backend)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = get(r, 0)?;
        let mut steps = Vec::new();
        for s in c.query(cr::sql::STEPS, &[&id]).await.map_err(backend)? {
            steps.push(StepRecord {
                step: parse("repair step", &get::<String>(&s, 0)?)?,
                done_on: get(&s, 1)?,
                reason: get(&s, 2)?,
                recorded_by: get(&s, 3)?,
                recorded_at: china(get(&s, 4)?),
            });
        }
        out.push(RepairCaseRecord {
            id,
            uscc: get(r, 2)?,
            enterprise_name: get(r, 3)?,
            case: NewRepairCase {
                enterprise_id: get(r, 1)?,
                source: get(r, 4)?,
                record_date: get(r, 5)?,
                kind: parse("record kind", &get::<String>(r, 6)?)?,
                conditions: get(r, 7)?,
                recorded_on: get(r, 8)?,
                training_due: get(r, 9)?,
                commitment_due: get(r, 10)?,
                application_due: get(r, 11)?,
            },
            version: get(r, 12)?,
            created_by: get(r, 13)?,
            created_at: china(get(r, 14)?),
            steps,
        });
    }
    Ok(out)
}

async fn insert_step(
    c: &impl GenericClient,
    case: i64,
    step: RepairStep,
    on: NaiveDate,
    reason: &str,
    stamp: &Stamp,
) -> Result<()> {
    c.execute(cr::sql::INSERT_STEP, &[&case, &step.as_str(), &on, &reason, &stamp.username, &stamp.at])
        .await
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl RepairStore for PgStore {
    async fn create_case(&self, c: &NewRepairCase, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id: i64 = tx
            .query_one(
                cr::sql::INSERT_CASE,
                &[
                    &c.enterprise_id,
                    &c.source,
                    &c.record_date,
                    &c.kind.as_str(),
                    &c.conditions,
                    &c.recorded_on,
                    &c.training_due,
                    &c.commitment_due,
                    &c.application_due,
                    &stamp.username,
                    &stamp.at,
                ],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        insert_step(&tx, id, RepairStep::Recorded, c.recorded_on, "", stamp).await?;
        audit(
            &tx,
            stamp,
            REPAIR_ENTITY,
            id,
            ("created".into(), None, Some(format!("{} {}", c.kind.as_str(), c.source))),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn repair_case(&self, id: i64) -> Result<Option<RepairCaseRecord>> {
        let client = self.client().await?;
        Ok(load_cases(&client, "WHERE c.id = $1", &[&id]).await?.pop())
    }

    async fn repair_cases(&self, f: &RepairFilter) -> Result<Vec<RepairCaseRecord>> {
        let client = self.client().await?;
        let open = if f.open_only { " AND c.step NOT IN ('repaired', 'refused')" } else { "" };
        match f.enterprise_id {
            Some(e) => load_cases(&client, &format!("WHERE c.enterprise_id = $1{open}"), &[&e]).await,
            None => load_cases(&client, &format!("WHERE 1 = 1{open}"), &[]).await,
        }
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
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(cr::sql::ADVANCE, &[&step.as_str(), &id, &expected]).await.map_err(backend)?;
        if n != 1 {
            return Err(version_conflict(&tx, cr::sql::VERSION, id, expected, false).await);
        }
        insert_step(&tx, id, step, on, reason, stamp).await?;
        audit(&tx, stamp, REPAIR_ENTITY, id, ("step".into(), None, Some(format!("{} {on}", step.as_str()))))
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(expected + 1)
    }
}
