//! [`ProblemStore`] on SQLite: each write is one job of the single writer thread (so the
//! chain head needs no lock: the writer is the only one moving it), reads run on the pool.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::{Routing, UnifiedCreditCode};
use handling::{Actor as HActor, Command, Event, Problem, TimeLimits, Visit};
use rusqlite::{Connection, OptionalExtension, Row, params};
use store::calendar::CalendarStore;
use store::problems::{
    self as p, AuditReport, CadreEnterprise, EventRow, NewEventColumns, PResult, ProblemError, ProblemFilter,
    ProblemRecord, ProblemRow, ProblemStore, Projection, QParam, VisitFilter, VisitRecord, sql,
};
use store::{Page, StoreError};

use crate::{SqliteStore, backend};

/// The enterprise's row id and name (a new problem's row carries the name).
const ENTERPRISE_ID_NAME_BY_USCC: &str = "SELECT id, name FROM enterprises WHERE uscc = $1";

/// `YYYY-MM-DD HH:MM:SS+08:00` (China time, whole seconds). Written digit by digit: the
/// writer formats up to nine times per submission, and chrono's `format` (which interprets
/// its pattern on every call) showed in the writer's profile.
pub(crate) fn text_time(t: DateTime<FixedOffset>) -> String {
    use chrono::{Datelike, Timelike};
    fn two(out: &mut String, n: u32) {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
    let t = p::china_seconds(t);
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return t.format("%Y-%m-%d %H:%M:%S%:z").to_string();
    }
    let mut out = String::with_capacity(25);
    two(&mut out, year as u32 / 100);
    two(&mut out, year as u32 % 100);
    out.push('-');
    two(&mut out, t.month());
    out.push('-');
    two(&mut out, t.day());
    out.push(' ');
    two(&mut out, t.hour());
    out.push(':');
    two(&mut out, t.minute());
    out.push(':');
    two(&mut out, t.second());
    let off = t.offset().local_minus_utc();
    out.push(if off < 0 { '-' } else { '+' });
    let off = off.unsigned_abs() / 60;
    two(&mut out, off / 60);
    out.push(':');
    two(&mut out, off % 60);
    out
}

fn event_row(r: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        chain_seq: r.get(0)?,
        problem_id: r.get(1)?,
        seq: r.get(2)?,
        at: r.get(3)?,
        actor: r.get(4)?,
        role: r.get(5)?,
        actor_department: r.get(6)?,
        actor_enterprise: r.get(7)?,
        action: r.get(8)?,
        from_state: r.get(9)?,
        to_state: r.get(10)?,
        note: r.get(11)?,
        payload: r.get(12)?,
        recorded_at: r.get(13)?,
        prev_hash: r.get(14)?,
        hash: r.get(15)?,
    })
}

type RawRow = (i64, String, String, Projection, String);

fn problem_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        Projection {
            category: r.get(3)?,
            title: r.get(4)?,
            description: r.get(5)?,
            channel: r.get(6)?,
            urgency: r.get(7)?,
            confidential: r.get(8)?,
            received_at: r.get(9)?,
            state: r.get(10)?,
            lead_department: r.get(11)?,
            cooperating: Vec::new(),
            handler: r.get(13)?,
            accept_by: r.get(14)?,
            answer_by: r.get(15)?,
            yellow_at: r.get(16)?,
            red_at: r.get(17)?,
            escalations: r.get(18)?,
            round: r.get(19)?,
            visit_id: r.get(20)?,
            last_seq: r.get(21)?,
            updated_at: r.get(22)?,
        },
        r.get(12)?,
    ))
}

fn finish_row((id, uscc, name, mut projection, cooperating): RawRow) -> PResult<ProblemRow> {
    projection.cooperating = Projection::parse_cooperating(&cooperating)?;
    Ok(ProblemRow {
        id,
        enterprise: UnifiedCreditCode::parse(&uscc).map_err(ProblemError::backend)?,
        enterprise_name: name,
        projection,
    })
}

fn row_by_id(conn: &Connection, id: i64) -> PResult<Option<ProblemRow>> {
    let mut st = conn.prepare_cached(sql::PROBLEM_BY_ID).map_err(backend)?;
    st.query_row([id], problem_row).optional().map_err(backend)?.map(finish_row).transpose()
}

pub(crate) fn events_of(conn: &Connection, id: i64) -> PResult<Vec<EventRow>> {
    let mut st = conn.prepare_cached(sql::EVENTS_OF).map_err(backend)?;
    let rows = st.query_map([id], event_row).map_err(backend)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?)
}

/// Appends one event at the head of the chain and moves the head.
fn append_event(
    conn: &Connection,
    problem_id: i64,
    c: &NewEventColumns,
    recorded_at: DateTime<FixedOffset>,
) -> PResult<EventRow> {
    let (seq, prev): (i64, String) = conn
        .prepare_cached(sql::CHAIN_HEAD)
        .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(backend)?;
    let hash = p::chain_hash(&prev, &c.canonical);
    let chain_seq = seq + 1;
    let recorded_at = p::china_seconds(recorded_at);
    conn.prepare_cached(sql::INSERT_EVENT)
        .and_then(|mut st| {
            st.execute(params![
                chain_seq,
                problem_id,
                c.seq,
                text_time(c.at),
                c.actor,
                c.role,
                c.actor_department,
                c.actor_enterprise,
                c.action,
                c.from_state,
                c.to_state,
                c.note,
                c.payload,
                text_time(recorded_at),
                prev,
                hash
            ])
        })
        .map_err(backend)?;
    conn.prepare_cached(sql::SET_CHAIN_HEAD)
        .and_then(|mut st| st.execute(params![chain_seq, hash]))
        .map_err(backend)?;
    Ok(EventRow {
        chain_seq,
        problem_id,
        seq: c.seq,
        at: c.at,
        actor: c.actor.clone(),
        role: c.role.clone(),
        actor_department: c.actor_department.clone(),
        actor_enterprise: c.actor_enterprise.clone(),
        action: c.action.clone(),
        from_state: c.from_state.clone(),
        to_state: c.to_state.clone(),
        note: c.note.clone(),
        payload: c.payload.clone(),
        recorded_at,
        prev_hash: prev,
        hash,
    })
}

fn value_of(q: &QParam) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match q {
        QParam::Text(s) => Value::Text(s.clone()),
        QParam::Int(i) => Value::Integer(*i),
        QParam::Time(t) => Value::Text(text_time(*t)),
    }
}

impl SqliteStore {
    /// A write whose closure fails with a [`ProblemError`]: the job rolls back and the error
    /// comes back whole (the writer's own channel carries only `StoreError`).
    pub(crate) async fn write_p<T, F>(&self, f: F) -> PResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> PResult<T> + Send + 'static,
    {
        let slot: Arc<Mutex<Option<ProblemError>>> = Arc::new(Mutex::new(None));
        let inner = Arc::clone(&slot);
        let r = self
            .write(move |conn| {
                f(conn).map_err(|e| {
                    let out = match &e {
                        ProblemError::Store(s) => s.clone(),
                        _ => StoreError::Backend("problem write refused".into()),
                    };
                    if let Ok(mut g) = inner.lock() {
                        *g = Some(e);
                    }
                    out
                })
            })
            .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => Err(slot.lock().ok().and_then(|mut g| g.take()).unwrap_or(ProblemError::Store(e))),
        }
    }

    pub(crate) async fn read_p<T, F>(&self, f: F) -> PResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> PResult<T> + Send + 'static,
    {
        self.read(move |conn| Ok(f(conn))).await?
    }
}

/// Inserts a new problem with its submit event (inside a write job).
pub(crate) fn insert_problem(
    conn: &Connection,
    t: handling::Transition,
    now: DateTime<FixedOffset>,
) -> PResult<ProblemRecord> {
    let follow_ups_of = |id: i64, s: &handling::ProblemState| store::follow_ups::FollowUp::of(id, s);
    let proj = Projection::of(&t.state)?;
    let cols = NewEventColumns::of(&t.event);
    let uscc = t.state.problem.enterprise.clone();
    let (state, event) = (t.state, t.event);
    let (eid, name): (i64, String) = conn
        .prepare_cached(ENTERPRISE_ID_NAME_BY_USCC)
        .and_then(|mut st| st.query_row([uscc.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(backend)?
        .ok_or_else(|| StoreError::EnterpriseNotFound { uscc: uscc.to_string() })?;
    if let Some(v) = proj.visit_id {
        let found: Option<i64> = conn
            .prepare_cached(sql::VISIT_EXISTS)
            .and_then(|mut st| st.query_row([v], |r| r.get(0)).optional())
            .map_err(backend)?;
        if found.is_none() {
            return Err(ProblemError::VisitNotFound { id: v.to_string() });
        }
    }
    let id: i64 = conn
        .prepare_cached(sql::INSERT_PROBLEM)
        .and_then(|mut st| {
            st.query_row(
                params![
                    eid,
                    proj.category,
                    proj.title,
                    proj.description,
                    proj.channel,
                    proj.urgency,
                    proj.confidential,
                    text_time(proj.received_at),
                    proj.state,
                    proj.lead_department,
                    proj.cooperating_json(),
                    proj.handler,
                    proj.accept_by,
                    proj.answer_by,
                    proj.yellow_at.map(text_time),
                    proj.red_at.map(text_time),
                    proj.escalations,
                    proj.round,
                    proj.visit_id,
                    proj.last_seq,
                    text_time(proj.updated_at)
                ],
                |r| r.get(0),
            )
        })
        .map_err(backend)?;
    let row = append_event(conn, id, &cols, now)?;
    crate::follow_ups::write_follow_ups(conn, id, &follow_ups_of(id, &state))?;
    crate::notifications::write_for_event(conn, id, None, &state, &event, (&event.actor, event.role))?;
    let stored = p::StoredEvent {
        chain_seq: row.chain_seq,
        problem_id: id,
        event,
        recorded_at: row.recorded_at,
        prev_hash: row.prev_hash,
        hash: row.hash,
    };
    // The row just written, without reading it back: the projection holds every
    // column in the form it reads back as (times in China time, whole seconds).
    let prow = ProblemRow { id, enterprise: uscc, enterprise_name: name, projection: proj };
    Ok(ProblemRecord { id, state, events: vec![stored], row: prow })
}

/// Applies a command to a problem inside a write job: replays its log, checks the expected
/// version (in the same job as the write, so no other write comes between), appends the event
/// and rewrites the projection.
// The write's inputs, as the trait method takes them, plus the calendars the events are judged by.
#[allow(clippy::too_many_arguments)]
pub(crate) fn transition_on(
    conn: &Connection,
    id: i64,
    cmd: &Command,
    actor: &HActor,
    at: DateTime<FixedOffset>,
    recorded_at: DateTime<FixedOffset>,
    expected: Option<u32>,
    cals: &calendar::Calendars,
) -> PResult<ProblemRecord> {
    let rows = events_of(conn, id)?;
    if rows.is_empty() {
        return Err(ProblemError::NotFound { id });
    }
    let mut events = rows.iter().map(EventRow::stored).collect::<PResult<Vec<_>>>()?;
    let log: Vec<Event> = events.iter().map(|e| e.event.clone()).collect();
    let state = p::replay_log(&log, cals)?;
    p::check_expected(id, &state, expected)?;
    let t = p::apply_transition(&state, cmd, actor, at, cals)?;
    let proj = Projection::of(&t.state)?;
    let row = append_event(conn, id, &NewEventColumns::of(&t.event), recorded_at)?;
    conn.prepare_cached(sql::UPDATE_PROBLEM)
        .and_then(|mut st| {
            st.execute(params![
                proj.state,
                proj.lead_department,
                proj.cooperating_json(),
                proj.handler,
                proj.accept_by,
                proj.answer_by,
                proj.yellow_at.map(text_time),
                proj.red_at.map(text_time),
                proj.escalations,
                proj.round,
                proj.last_seq,
                text_time(proj.updated_at),
                id
            ])
        })
        .map_err(backend)?;
    crate::follow_ups::write_follow_ups(conn, id, &store::follow_ups::FollowUp::of(id, &t.state))?;
    if let Some(first) = log.first() {
        let raiser = (first.actor.as_str(), first.role);
        crate::notifications::write_for_event(conn, id, Some(&state), &t.state, &t.event, raiser)?;
    }
    events.push(p::StoredEvent {
        chain_seq: row.chain_seq,
        problem_id: id,
        event: t.event,
        recorded_at: row.recorded_at,
        prev_hash: row.prev_hash,
        hash: row.hash,
    });
    let prow = row_by_id(conn, id)?.ok_or(ProblemError::NotFound { id })?;
    Ok(ProblemRecord { id, state: t.state, events, row: prow })
}

#[async_trait]
impl ProblemStore for SqliteStore {
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
        self.write_p(move |conn| insert_problem(conn, t, now)).await
    }

    async fn get_problem(&self, id: i64) -> PResult<ProblemRecord> {
        let cals = self.calendars().await?;
        self.read_p(move |conn| {
            let row = row_by_id(conn, id)?.ok_or(ProblemError::NotFound { id })?;
            p::record_from(id, events_of(conn, id)?, row, cals.as_ref())
        })
        .await
    }

    async fn list_problems(&self, filter: &ProblemFilter, page: Page) -> PResult<(Vec<ProblemRow>, u64)> {
        let q = p::problem_list(filter);
        let page = Page::new(page.offset, page.limit);
        self.read_p(move |conn| {
            let values: Vec<rusqlite::types::Value> = q.params.iter().map(value_of).collect();
            let total: i64 = conn
                .prepare_cached(&q.count_sql)
                .and_then(|mut st| st.query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0)))
                .map_err(backend)?;
            let mut pv: Vec<rusqlite::types::Value> = q.page_params().map(value_of).collect();
            pv.push(rusqlite::types::Value::Integer(page.limit as i64));
            pv.push(rusqlite::types::Value::Integer(page.offset.min(i64::MAX as u64) as i64));
            let mut st = conn.prepare_cached(&q.page_sql).map_err(backend)?;
            let rows = st.query_map(rusqlite::params_from_iter(pv.iter()), problem_row).map_err(backend)?;
            let mut out = Vec::new();
            for r in rows {
                out.push(finish_row(r.map_err(backend)?)?);
            }
            Ok((out, total.max(0) as u64))
        })
        .await
    }

    async fn record_transition(
        &self,
        id: i64,
        cmd: &Command,
        actor: &HActor,
        at: DateTime<FixedOffset>,
        recorded_at: DateTime<FixedOffset>,
    ) -> PResult<ProblemRecord> {
        let (cmd, actor) = (cmd.clone(), actor.clone());
        let cals = self.calendars().await?;
        self.write_p(move |conn| transition_on(conn, id, &cmd, &actor, at, recorded_at, None, &cals)).await
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
        let (cmd, actor) = (cmd.clone(), actor.clone());
        let cals = self.calendars().await?;
        self.write_p(move |conn| {
            transition_on(conn, id, &cmd, &actor, at, recorded_at, Some(expected), &cals)
        })
        .await
    }

    async fn all_event_logs_for_period(
        &self,
        range: Option<(NaiveDate, NaiveDate)>,
    ) -> PResult<Vec<(i64, Vec<Event>)>> {
        self.read_p(move |conn| {
            let rows = match range {
                None => {
                    let mut st = conn.prepare_cached(sql::ALL_EVENTS_BY_PROBLEM).map_err(backend)?;
                    st.query_map([], event_row).map_err(backend)?.collect::<rusqlite::Result<Vec<_>>>()
                }
                Some((from, to)) => {
                    let mut st = conn.prepare_cached(sql::events_for_period()).map_err(backend)?;
                    st.query_map(
                        params![
                            text_time(p::day_start(from)),
                            text_time(p::day_start(to + chrono::Duration::days(1)))
                        ],
                        event_row,
                    )
                    .map_err(backend)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                }
            }
            .map_err(backend)?;
            p::group_logs(rows)
        })
        .await
    }

    async fn audit_verify(&self) -> PResult<AuditReport> {
        self.read_p(|conn| {
            let head: (i64, String) =
                conn.query_row(sql::CHAIN_HEAD, [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
            let mut st = conn.prepare(sql::ALL_EVENTS_IN_CHAIN_ORDER).map_err(backend)?;
            let mut rows = st.query([]).map_err(backend)?;
            let mut all = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                all.push(event_row(r).map_err(backend)?);
            }
            let head_hash = head.1.clone();
            let (events, broken) = p::verify_chain(all, head);
            Ok(AuditReport { events, head_hash, broken })
        })
        .await
    }

    async fn add_visit(&self, visit: &Visit, actor: &store::Stamp) -> PResult<i64> {
        let (visit, actor) = (visit.clone(), actor.clone());
        self.write_p(move |conn| {
            let eid: i64 = conn
                .prepare_cached(store::sql::ENTERPRISE_ID_BY_USCC)
                .and_then(|mut st| st.query_row([visit.enterprise.as_str()], |r| r.get(0)).optional())
                .map_err(backend)?
                .ok_or_else(|| StoreError::EnterpriseNotFound { uscc: visit.enterprise.to_string() })?;
            let id: i64 = conn
                .prepare_cached(sql::INSERT_VISIT)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            eid,
                            visit.date,
                            visit.cadre,
                            visit.findings,
                            text_time(actor.at),
                            actor.username
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)?;
            Ok(id)
        })
        .await
    }

    async fn list_visits(&self, filter: &VisitFilter) -> PResult<Vec<VisitRecord>> {
        let filter = filter.clone();
        self.read_p(move |conn| {
            let (q, vals) = filter.query();
            let mut st = conn.prepare(&q).map_err(backend)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(vals.iter()), |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, NaiveDate>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, DateTime<FixedOffset>>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for r in rows {
                let (id, uscc, date, cadre, findings, recorded_at, recorded_by) = r.map_err(backend)?;
                out.push(VisitRecord {
                    id,
                    visit: Visit {
                        enterprise: UnifiedCreditCode::parse(&uscc).map_err(ProblemError::backend)?,
                        date,
                        cadre,
                        findings,
                    },
                    recorded_at,
                    recorded_by,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn cadre_enterprises(&self, cadre: Option<&str>) -> PResult<Vec<CadreEnterprise>> {
        let cadre = cadre.map(str::to_string);
        self.read_p(move |conn| {
            let rows = match &cadre {
                Some(c) => {
                    let mut st = conn.prepare_cached(sql::ENTERPRISES_OF_CADRE).map_err(backend)?;
                    st.query_map([c], cadre_enterprise)
                        .map_err(backend)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                }
                None => {
                    let mut st = conn.prepare_cached(sql::CADRE_ENTERPRISES).map_err(backend)?;
                    st.query_map([], cadre_enterprise).map_err(backend)?.collect::<rusqlite::Result<Vec<_>>>()
                }
            }
            .map_err(backend)?;
            rows.into_iter()
                .map(|(cadre, uscc, name)| {
                    Ok(CadreEnterprise {
                        cadre,
                        uscc: UnifiedCreditCode::parse(&uscc).map_err(ProblemError::backend)?,
                        name,
                    })
                })
                .collect()
        })
        .await
    }
}

fn cadre_enterprise(r: &Row<'_>) -> rusqlite::Result<(String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_time_is_chronos_format_in_china_time() {
        for s in ["2024-03-01T09:05:07.999+08:00", "2023-12-31T23:59:59Z", "0999-01-02T03:04:05-05:30"] {
            let t = DateTime::parse_from_rfc3339(s).unwrap();
            let want = p::china_seconds(t).format("%Y-%m-%d %H:%M:%S%:z").to_string();
            assert_eq!(text_time(t), want, "{s}");
        }
    }
}
