//! [`NotificationStore`] on SQLite: a problem action's notifications are written inside its
//! write job ([`write_for_event`]); warnings by one write job per run of the job; reads on the
//! read pool. Times are written as the problem tables write them ([`text_time`]), so a
//! warning's `light_at` compares equal to the problem's `yellow_at` / `red_at`.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use handling::{Event, ProblemState, Role as HRole};
use rusqlite::{Connection, OptionalExtension, params};
use store::Page;
use store::notifications::{
    LightCandidate, NewNotification, Notification, NotificationKind, NotificationPage, NotificationStore,
    Reader, Told, of_event, of_submit_told, sql, warning_of,
};
use store::problems::{PResult, ProblemError};

use crate::problems::text_time;
use crate::{SqliteStore, backend};

/// Writes one notification (nothing when its key is written already).
fn insert(conn: &Connection, n: &NewNotification) -> PResult<usize> {
    let (k, key) = n.to.columns();
    conn.prepare_cached(sql::INSERT)
        .and_then(|mut st| {
            st.execute(params![
                n.problem_id,
                n.kind.as_str(),
                k,
                key,
                n.text,
                n.dedupe,
                n.light_at.map(text_time),
                text_time(n.created_at)
            ])
        })
        .map_err(backend)
        .map_err(ProblemError::from)
}

/// The notifications of one event, inside the event's write job.
pub(crate) fn write_for_event(
    conn: &Connection,
    problem_id: i64,
    before: Option<&ProblemState>,
    after: &ProblemState,
    event: &Event,
    raiser: (&str, HRole),
) -> PResult<()> {
    for n in of_event(problem_id, before, after, event, raiser) {
        insert(conn, &n)?;
    }
    Ok(())
}

/// The notifications of a new problem to the users told personally, inside its write job.
pub(crate) fn write_told(
    conn: &Connection,
    problem_id: i64,
    state: &ProblemState,
    event: &Event,
    told: &[Told],
) -> PResult<()> {
    for n in of_submit_told(problem_id, state, event, told) {
        insert(conn, &n)?;
    }
    Ok(())
}

fn count(conn: &Connection, q: &str, r: &[String; 3]) -> PResult<u64> {
    let n: i64 = conn
        .prepare_cached(q)
        .and_then(|mut st| st.query_row(params![r[0], r[1], r[2]], |row| row.get(0)))
        .map_err(backend)?;
    Ok(n.max(0) as u64)
}

/// A notification row as read: id, problem, kind, text, created, read.
type RawNotification = (i64, i64, String, String, DateTime<FixedOffset>, Option<DateTime<FixedOffset>>);

fn notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawNotification> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn notifications(&self, reader: &Reader, page: Page) -> PResult<NotificationPage> {
        let r = reader.params();
        let page = Page::new(page.offset, page.limit);
        self.read_p(move |conn| {
            let total = count(conn, &sql::total(), &r)?;
            let unread = count(conn, &sql::unread(), &r)?;
            let mut st = conn.prepare_cached(&sql::page()).map_err(backend)?;
            let offset = i64::try_from(page.offset).unwrap_or(i64::MAX);
            let rows = st
                .query_map(params![r[0], r[1], r[2], page.limit as i64, offset], notification)
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, problem_id, kind, text, created_at, read_at) = row.map_err(backend)?;
                out.push(Notification {
                    id,
                    problem_id,
                    kind: NotificationKind::parse(&kind)
                        .ok_or_else(|| ProblemError::backend(format!("notification kind {kind}")))?,
                    text,
                    created_at: crate::ts(created_at),
                    read_at: read_at.map(crate::ts),
                });
            }
            Ok(NotificationPage { rows: out, total, unread })
        })
        .await
    }

    async fn unread_notifications(&self, reader: &Reader) -> PResult<u64> {
        let r = reader.params();
        self.read_p(move |conn| count(conn, &sql::unread(), &r)).await
    }

    async fn mark_notification_read(
        &self,
        reader: &Reader,
        id: i64,
        at: DateTime<FixedOffset>,
    ) -> PResult<Option<i64>> {
        let r = reader.params();
        self.write_p(move |conn| {
            let found: Option<i64> = conn
                .prepare_cached(&sql::addressed())
                .and_then(|mut st| st.query_row(params![r[0], r[1], r[2], id], |row| row.get(0)).optional())
                .map_err(backend)?;
            if found.is_some() {
                conn.prepare_cached(sql::READ)
                    .and_then(|mut st| st.execute(params![id, r[0], text_time(at)]))
                    .map_err(backend)?;
            }
            Ok(found)
        })
        .await
    }

    async fn mark_all_notifications_read(&self, reader: &Reader, at: DateTime<FixedOffset>) -> PResult<u64> {
        let r = reader.params();
        self.write_p(move |conn| {
            let ids: Vec<i64> = {
                let mut st = conn.prepare_cached(&sql::unread_ids()).map_err(backend)?;
                let rows = st.query_map(params![r[0], r[1], r[2]], |row| row.get(0)).map_err(backend)?;
                rows.collect::<rusqlite::Result<Vec<i64>>>().map_err(backend)?
            };
            let at = text_time(at);
            let mut st = conn.prepare_cached(sql::READ).map_err(backend)?;
            for id in &ids {
                st.execute(params![id, r[0], at]).map_err(backend)?;
            }
            Ok(ids.len() as u64)
        })
        .await
    }

    async fn write_warning_notifications(&self, now: DateTime<FixedOffset>, limit: u32) -> PResult<u64> {
        self.write_p(move |conn| {
            let candidates: Vec<LightCandidate> = {
                let mut st = conn.prepare_cached(&sql::light_candidates()).map_err(backend)?;
                let rows = st
                    .query_map(params![text_time(now), i64::from(limit)], |r| {
                        Ok(LightCandidate {
                            problem_id: r.get(0)?,
                            title: r.get(1)?,
                            state: r.get(2)?,
                            lead_department: r.get(3)?,
                            accept_by: r.get(4)?,
                            answer_by: r.get(5)?,
                            yellow_at: r.get(6)?,
                            red_at: r.get(7)?,
                        })
                    })
                    .map_err(backend)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?
            };
            let mut n = 0u64;
            for c in &candidates {
                if let Some(w) = warning_of(c, now) {
                    n += insert(conn, &w)? as u64;
                }
            }
            Ok(n)
        })
        .await
    }
}
