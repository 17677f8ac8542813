//! [`ProblemStore`] on PostgreSQL: each write is one transaction that locks the chain head
//! row (`SELECT … FOR UPDATE`), so concurrent appends from any number of connections or
//! processes form one chain.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use deadpool_postgres::GenericClient;
use enterprise::{Routing, UnifiedCreditCode};
use handling::{Actor as HActor, Command, Event, Problem, TimeLimits, Visit};
use store::calendar::CalendarStore;
use store::problems::{
    self as p, AuditReport, CadreEnterprise, EventRow, NewEventColumns, PResult, ProblemError, ProblemFilter,
    ProblemRecord, ProblemRow, ProblemStore, Projection, QParam, VisitFilter, VisitRecord, sql,
};
use store::{Page, StoreError};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgStore, backend, china};

fn event_row(r: &Row) -> PResult<EventRow> {
    let g = |i: usize| -> PResult<String> { r.try_get(i).map_err(|e| ProblemError::from(backend(e))) };
    let o =
        |i: usize| -> PResult<Option<String>> { r.try_get(i).map_err(|e| ProblemError::from(backend(e))) };
    let t = |i: usize| -> PResult<DateTime<FixedOffset>> {
        r.try_get::<_, DateTime<FixedOffset>>(i).map(china).map_err(|e| ProblemError::from(backend(e)))
    };
    let n = |i: usize| -> PResult<i64> { r.try_get(i).map_err(|e| ProblemError::from(backend(e))) };
    Ok(EventRow {
        chain_seq: n(0)?,
        problem_id: n(1)?,
        seq: n(2)?,
        at: t(3)?,
        actor: g(4)?,
        role: g(5)?,
        actor_department: o(6)?,
        actor_enterprise: o(7)?,
        action: g(8)?,
        from_state: o(9)?,
        to_state: g(10)?,
        note: o(11)?,
        payload: g(12)?,
        recorded_at: t(13)?,
        prev_hash: g(14)?,
        hash: g(15)?,
    })
}

fn problem_row(r: &Row) -> PResult<ProblemRow> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> PResult<T> {
        r.try_get(i).map_err(|e| ProblemError::from(backend(e)))
    }
    let uscc: String = get(r, 1)?;
    let cooperating: String = get(r, 12)?;
    let ot = |i: usize| -> PResult<Option<DateTime<FixedOffset>>> {
        Ok(get::<Option<DateTime<FixedOffset>>>(r, i)?.map(china))
    };
    Ok(ProblemRow {
        id: get(r, 0)?,
        enterprise: UnifiedCreditCode::parse(&uscc).map_err(ProblemError::backend)?,
        enterprise_name: get(r, 2)?,
        projection: Projection {
            category: get(r, 3)?,
            title: get(r, 4)?,
            description: get(r, 5)?,
            channel: get(r, 6)?,
            urgency: get(r, 7)?,
            confidential: get(r, 8)?,
            received_at: china(get(r, 9)?),
            state: get(r, 10)?,
            lead_department: get(r, 11)?,
            cooperating: Projection::parse_cooperating(&cooperating)?,
            handler: get(r, 13)?,
            accept_by: get(r, 14)?,
            answer_by: get(r, 15)?,
            yellow_at: ot(16)?,
            red_at: ot(17)?,
            escalations: get(r, 18)?,
            round: get(r, 19)?,
            visit_id: get(r, 20)?,
            last_seq: get(r, 21)?,
            updated_at: china(get(r, 22)?),
        },
    })
}

async fn row_by_id(c: &impl GenericClient, id: i64) -> PResult<Option<ProblemRow>> {
    let r = c.query_opt(sql::PROBLEM_BY_ID, &[&id]).await.map_err(backend)?;
    r.as_ref().map(problem_row).transpose()
}

pub(crate) async fn events_of(c: &impl GenericClient, id: i64) -> PResult<Vec<EventRow>> {
    let rows = c.query(sql::EVENTS_OF, &[&id]).await.map_err(backend)?;
    rows.iter().map(event_row).collect()
}

async fn append_event(
    c: &impl GenericClient,
    problem_id: i64,
    e: &NewEventColumns,
    recorded_at: DateTime<FixedOffset>,
) -> PResult<EventRow> {
    let head = c.query_one(sql::CHAIN_HEAD_FOR_UPDATE, &[]).await.map_err(backend)?;
    let seq: i64 = head.try_get(0).map_err(backend)?;
    let prev: String = head.try_get(1).map_err(backend)?;
    let hash = p::chain_hash(&prev, &e.canonical);
    let chain_seq = seq + 1;
    let recorded_at = p::china_seconds(recorded_at);
    c.execute(
        sql::INSERT_EVENT,
        &[
            &chain_seq,
            &problem_id,
            &e.seq,
            &e.at,
            &e.actor,
            &e.role,
            &e.actor_department,
            &e.actor_enterprise,
            &e.action,
            &e.from_state,
            &e.to_state,
            &e.note,
            &e.payload,
            &recorded_at,
            &prev,
            &hash,
        ],
    )
    .await
    .map_err(backend)?;
    c.execute(sql::SET_CHAIN_HEAD, &[&chain_seq, &hash]).await.map_err(backend)?;
    Ok(EventRow {
        chain_seq,
        problem_id,
        seq: e.seq,
        at: e.at,
        actor: e.actor.clone(),
        role: e.role.clone(),
        actor_department: e.actor_department.clone(),
        actor_enterprise: e.actor_enterprise.clone(),
        action: e.action.clone(),
        from_state: e.from_state.clone(),
        to_state: e.to_state.clone(),
        note: e.note.clone(),
        payload: e.payload.clone(),
        recorded_at,
        prev_hash: prev,
        hash,
    })
}

fn boxed(q: &QParam) -> Box<dyn ToSql + Sync + Send> {
    match q {
        QParam::Text(s) => Box::new(s.clone()),
        QParam::Int(i) => Box::new(*i),
        QParam::Time(t) => Box::new(*t),
    }
}

/// Inserts a new problem with its submit event inside the caller's transaction.
pub(crate) async fn insert_problem(
    tx: &impl GenericClient,
    t: handling::Transition,
    now: DateTime<FixedOffset>,
) -> PResult<ProblemRecord> {
    let proj = Projection::of(&t.state)?;
    let cols = NewEventColumns::of(&t.event);
    let uscc = t.state.problem.enterprise.clone();
    let eid: i64 = match tx.query_opt(store::sql::ENTERPRISE_ID_BY_USCC, &[&uscc.as_str()]).await {
        Ok(Some(r)) => r.try_get(0).map_err(backend)?,
        Ok(None) => return Err(StoreError::EnterpriseNotFound { uscc: uscc.to_string() }.into()),
        Err(e) => return Err(backend(e).into()),
    };
    if let Some(v) = proj.visit_id
        && tx.query_opt(sql::VISIT_EXISTS, &[&v]).await.map_err(backend)?.is_none()
    {
        return Err(ProblemError::VisitNotFound { id: v.to_string() });
    }
    let cooperating = proj.cooperating_json();
    let id: i64 = tx
        .query_one(
            sql::INSERT_PROBLEM,
            &[
                &eid,
                &proj.category,
                &proj.title,
                &proj.description,
                &proj.channel,
                &proj.urgency,
                &proj.confidential,
                &proj.received_at,
                &proj.state,
                &proj.lead_department,
                &cooperating,
                &proj.handler,
                &proj.accept_by,
                &proj.answer_by,
                &proj.yellow_at,
                &proj.red_at,
                &proj.escalations,
                &proj.round,
                &proj.visit_id,
                &proj.last_seq,
                &proj.updated_at,
            ],
        )
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    let row = append_event(tx, id, &cols, now).await?;
    crate::follow_ups::write_follow_ups(tx, id, &store::follow_ups::FollowUp::of(id, &t.state)).await?;
    let raiser = (t.event.actor.as_str(), t.event.role);
    crate::notifications::write_for_event(tx, id, None, &t.state, &t.event, raiser).await?;
    let prow = row_by_id(tx, id).await?.ok_or(ProblemError::NotFound { id })?;
    let stored = p::StoredEvent {
        chain_seq: row.chain_seq,
        problem_id: id,
        event: t.event,
        recorded_at: row.recorded_at,
        prev_hash: row.prev_hash,
        hash: row.hash,
    };
    Ok(ProblemRecord { id, state: t.state, events: vec![stored], row: prow })
}

/// Applies a command to a problem inside the caller's transaction: locks the problem row,
/// replays its log, checks the expected version under that lock (so no other write comes
/// between the check and the write), appends the event and rewrites the projection.
// The write's inputs, as the trait method takes them, plus the calendars the events are judged by.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn transition_on(
    tx: &impl GenericClient,
    id: i64,
    cmd: &Command,
    actor: &HActor,
    at: DateTime<FixedOffset>,
    recorded_at: DateTime<FixedOffset>,
    expected: Option<u32>,
    cals: &calendar::Calendars,
) -> PResult<ProblemRecord> {
    // Lock the problem first, then the chain head (always in this order).
    if tx
        .query_opt("SELECT id FROM problems WHERE id = $1 FOR UPDATE", &[&id])
        .await
        .map_err(backend)?
        .is_none()
    {
        return Err(ProblemError::NotFound { id });
    }
    let rows = events_of(tx, id).await?;
    let mut events = rows.iter().map(EventRow::stored).collect::<PResult<Vec<_>>>()?;
    let log: Vec<Event> = events.iter().map(|e| e.event.clone()).collect();
    let state = p::replay_log(&log, cals)?;
    p::check_expected(id, &state, expected)?;
    let t = p::apply_transition(&state, cmd, actor, at, cals)?;
    let proj = Projection::of(&t.state)?;
    let row = append_event(tx, id, &NewEventColumns::of(&t.event), recorded_at).await?;
    let cooperating = proj.cooperating_json();
    tx.execute(
        sql::UPDATE_PROBLEM,
        &[
            &proj.state,
            &proj.lead_department,
            &cooperating,
            &proj.handler,
            &proj.accept_by,
            &proj.answer_by,
            &proj.yellow_at,
            &proj.red_at,
            &proj.escalations,
            &proj.round,
            &proj.last_seq,
            &proj.updated_at,
            &id,
        ],
    )
    .await
    .map_err(backend)?;
    crate::follow_ups::write_follow_ups(tx, id, &store::follow_ups::FollowUp::of(id, &t.state)).await?;
    if let Some(first) = log.first() {
        let raiser = (first.actor.as_str(), first.role);
        crate::notifications::write_for_event(tx, id, Some(&state), &t.state, &t.event, raiser).await?;
    }
    let prow = row_by_id(tx, id).await?.ok_or(ProblemError::NotFound { id })?;
    events.push(p::StoredEvent {
        chain_seq: row.chain_seq,
        problem_id: id,
        event: t.event,
        recorded_at: row.recorded_at,
        prev_hash: row.prev_hash,
        hash: row.hash,
    });
    Ok(ProblemRecord { id, state: t.state, events, row: prow })
}

#[async_trait]
impl ProblemStore for PgStore {
    async fn create_problem(
        &self,
        problem: Problem,
        actor: &HActor,
        now: DateTime<FixedOffset>,
        routing: &Routing,
        limits: &TimeLimits,
    ) -> PResult<ProblemRecord> {
        let cals = self.calendars().await?;
        let t = p::submit_transition(problem, actor, now, routing, limits, cals.as_ref())?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let rec = insert_problem(&tx, t, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn get_problem(&self, id: i64) -> PResult<ProblemRecord> {
        let cals = self.calendars().await?;
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let row = row_by_id(&tx, id).await?.ok_or(ProblemError::NotFound { id })?;
        let events = events_of(&tx, id).await?;
        tx.commit().await.map_err(backend)?;
        p::record_from(id, events, row, cals.as_ref())
    }

    async fn list_problems(&self, filter: &ProblemFilter, page: Page) -> PResult<(Vec<ProblemRow>, u64)> {
        let q = p::problem_list(filter);
        let page = Page::new(page.offset, page.limit);
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let mut owned: Vec<Box<dyn ToSql + Sync + Send>> = q.params.iter().map(boxed).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect();
        let total: i64 =
            tx.query_one(&q.count_sql, &refs).await.map_err(backend)?.try_get(0).map_err(backend)?;
        owned.extend(q.order_params.iter().map(boxed));
        owned.push(Box::new(i64::try_from(page.limit).unwrap_or(i64::MAX)));
        owned.push(Box::new(i64::try_from(page.offset).unwrap_or(i64::MAX)));
        let refs: Vec<&(dyn ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect();
        let rows = tx.query(&q.page_sql, &refs).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let out = rows.iter().map(problem_row).collect::<PResult<Vec<_>>>()?;
        Ok((out, total.max(0) as u64))
    }

    async fn record_transition(
        &self,
        id: i64,
        cmd: &Command,
        actor: &HActor,
        at: DateTime<FixedOffset>,
        recorded_at: DateTime<FixedOffset>,
    ) -> PResult<ProblemRecord> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let cals = self.calendars().await?;
        let rec = transition_on(&tx, id, cmd, actor, at, recorded_at, None, &cals).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn record_transition_expecting(
        &self,
        id: i64,
        cmd: &Command,
        actor: &HActor,
        at: DateTime<FixedOffset>,
        recorded_at: DateTime<FixedOffset>,
        expected: u32,
    ) -> PResult<ProblemRecord> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let cals = self.calendars().await?;
        let rec = transition_on(&tx, id, cmd, actor, at, recorded_at, Some(expected), &cals).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn all_event_logs_for_period(
        &self,
        range: Option<(NaiveDate, NaiveDate)>,
    ) -> PResult<Vec<(i64, Vec<Event>)>> {
        let client = self.client().await?;
        let rows = match range {
            None => client.query(sql::ALL_EVENTS_BY_PROBLEM, &[]).await,
            Some((from, to)) => {
                let (a, b) = (p::day_start(from), p::day_start(to + chrono::Duration::days(1)));
                client.query(sql::events_for_period(), &[&a, &b]).await
            }
        }
        .map_err(backend)?;
        let rows = rows.iter().map(event_row).collect::<PResult<Vec<_>>>()?;
        p::group_logs(rows)
    }

    async fn audit_verify(&self) -> PResult<AuditReport> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend)?;
        let head = tx.query_one(sql::CHAIN_HEAD, &[]).await.map_err(backend)?;
        let head: (i64, String) = (head.try_get(0).map_err(backend)?, head.try_get(1).map_err(backend)?);
        let rows = tx.query(sql::ALL_EVENTS_IN_CHAIN_ORDER, &[]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let rows = rows.iter().map(event_row).collect::<PResult<Vec<_>>>()?;
        let head_hash = head.1.clone();
        let (events, broken) = p::verify_chain(rows, head);
        Ok(AuditReport { events, head_hash, broken })
    }

    async fn add_visit(&self, visit: &Visit, actor: &store::Stamp) -> PResult<i64> {
        let client = self.client().await?;
        let eid: i64 =
            match client.query_opt(store::sql::ENTERPRISE_ID_BY_USCC, &[&visit.enterprise.as_str()]).await {
                Ok(Some(r)) => r.try_get(0).map_err(backend)?,
                Ok(None) => {
                    return Err(StoreError::EnterpriseNotFound { uscc: visit.enterprise.to_string() }.into());
                }
                Err(e) => return Err(backend(e).into()),
            };
        let at = p::china_seconds(actor.at);
        let r = client
            .query_one(
                sql::INSERT_VISIT,
                &[&eid, &visit.date, &visit.cadre, &visit.findings, &at, &actor.username],
            )
            .await
            .map_err(backend)?;
        Ok(r.try_get(0).map_err(backend)?)
    }

    async fn list_visits(&self, filter: &VisitFilter) -> PResult<Vec<VisitRecord>> {
        let client = self.client().await?;
        let (q, vals) = filter.query();
        let refs: Vec<&(dyn ToSql + Sync)> = vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let rows = client.query(&q, &refs).await.map_err(backend)?;
        let mut out = Vec::new();
        for r in rows {
            let uscc: String = r.try_get(1).map_err(backend)?;
            out.push(VisitRecord {
                id: r.try_get(0).map_err(backend)?,
                visit: Visit {
                    enterprise: UnifiedCreditCode::parse(&uscc).map_err(ProblemError::backend)?,
                    date: r.try_get(2).map_err(backend)?,
                    cadre: r.try_get(3).map_err(backend)?,
                    findings: r.try_get(4).map_err(backend)?,
                },
                recorded_at: china(r.try_get(5).map_err(backend)?),
                recorded_by: r.try_get(6).map_err(backend)?,
            });
        }
        Ok(out)
    }

    async fn cadre_enterprises(&self, cadre: Option<&str>) -> PResult<Vec<CadreEnterprise>> {
        let client = self.client().await?;
        let rows = match cadre {
            Some(c) => client.query(sql::ENTERPRISES_OF_CADRE, &[&c]).await,
            None => client.query(sql::CADRE_ENTERPRISES, &[]).await,
        }
        .map_err(backend)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let uscc: String = r.try_get(1).map_err(backend)?;
            out.push(CadreEnterprise {
                cadre: r.try_get(0).map_err(backend)?,
                uscc: UnifiedCreditCode::parse(&uscc).map_err(ProblemError::backend)?,
                name: r.try_get(2).map_err(backend)?,
            });
        }
        Ok(out)
    }
}
