//! [`AttachmentStore`] on SQLite: each write is one job of the writer thread, so the count
//! check, the event and the file land together or not at all.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::Routing;
use handling::{Actor as HActor, Command, Problem, TimeLimits};
use rusqlite::{Connection, OptionalExtension, Row, params};
use store::attachments::{
    self as a, Attachment, AttachmentError, AttachmentMismatch, AttachmentStore, CheckedFile, sql,
};
use store::problems::{self as p, PResult, ProblemError, ProblemRecord};

use crate::problems::{events_of, insert_problem, text_time, transition_on};
use crate::{SqliteStore, backend};
use store::notifications::Told;

fn attachment_row(r: &Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        id: r.get(0)?,
        problem_id: r.get(1)?,
        event_seq: r.get(2)?,
        file_name: r.get(3)?,
        content_type: r.get(4)?,
        size: r.get::<_, i64>(5)?.max(0) as u64,
        sha256: r.get(6)?,
        uploaded_by: r.get(7)?,
        uploaded_at: r.get(8)?,
    })
}

/// Stores one checked file against the problem's event `event_seq`.
fn insert_file(
    conn: &Connection,
    problem_id: i64,
    event_seq: i64,
    f: &CheckedFile,
    by: &str,
    at: DateTime<FixedOffset>,
) -> PResult<Attachment> {
    let at = p::china_seconds(at);
    let id: i64 = conn
        .prepare_cached(sql::INSERT)
        .and_then(|mut st| {
            st.query_row(
                params![
                    problem_id,
                    event_seq,
                    f.file_name,
                    f.content_type,
                    f.size() as i64,
                    f.sha256,
                    f.content,
                    by,
                    text_time(at)
                ],
                |r| r.get(0),
            )
        })
        .map_err(backend)?;
    Ok(f.stored(id, problem_id, event_seq, by, at))
}

fn problem_exists(conn: &Connection, id: i64) -> PResult<()> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM problems WHERE id = $1")
        .and_then(|mut st| st.query_row([id], |r| r.get(0)).optional())
        .map_err(backend)?;
    found.map(|_| ()).ok_or(ProblemError::NotFound { id })
}

#[async_trait]
impl AttachmentStore for SqliteStore {
    async fn create_problem_with_attachments(
        &self,
        problem: Problem,
        actor: &HActor,
        now: DateTime<FixedOffset>,
        routing: &Routing,
        limits: &TimeLimits,
        files: Vec<CheckedFile>,
    ) -> PResult<ProblemRecord> {
        self.create_problem_telling(problem, actor, now, routing, limits, files, &[]).await
    }

    async fn create_problem_telling(
        &self,
        problem: Problem,
        actor: &HActor,
        now: DateTime<FixedOffset>,
        routing: &Routing,
        limits: &TimeLimits,
        files: Vec<CheckedFile>,
        told: &[Told],
    ) -> PResult<ProblemRecord> {
        let problem = a::with_references(problem, &files)?;
        let cals = store::calendar::CalendarStore::calendars(self).await?;
        let t = p::submit_transition(problem, actor, now, routing, limits, cals.as_ref())?;
        let by = actor.username.clone();
        let told = told.to_vec();
        self.write_p(move |conn| {
            let rec = insert_problem(conn, t, now)?;
            for f in &files {
                insert_file(conn, rec.id, 1, f, &by, now)?;
            }
            if let Some(first) = rec.events.first() {
                crate::notifications::write_told(conn, rec.id, &rec.state, &first.event, &told)?;
            }
            Ok(rec)
        })
        .await
    }

    async fn add_attachment(
        &self,
        problem_id: i64,
        file: CheckedFile,
        actor: &HActor,
        now: DateTime<FixedOffset>,
    ) -> PResult<(ProblemRecord, Attachment)> {
        let actor = actor.clone();
        let cals = store::calendar::CalendarStore::calendars(self).await?;
        self.write_p(move |conn| {
            problem_exists(conn, problem_id)?;
            let n: i64 = conn
                .prepare_cached(sql::COUNT_OF)
                .and_then(|mut st| st.query_row([problem_id], |r| r.get(0)))
                .map_err(backend)?;
            a::check_count(n.max(0) as usize, std::slice::from_ref(&file))?;
            let rec =
                transition_on(conn, problem_id, &Command::new(file.action()), &actor, now, now, None, &cals)?;
            let att = insert_file(conn, problem_id, i64::from(rec.state.seq), &file, &actor.username, now)?;
            Ok((rec, att))
        })
        .await
    }

    async fn add_attachments(
        &self,
        problem_id: i64,
        files: Vec<CheckedFile>,
        actor: &HActor,
        now: DateTime<FixedOffset>,
    ) -> PResult<(ProblemRecord, Vec<Attachment>)> {
        let actor = actor.clone();
        let cals = store::calendar::CalendarStore::calendars(self).await?;
        self.write_p(move |conn| {
            problem_exists(conn, problem_id)?;
            let n: i64 = conn
                .prepare_cached(sql::COUNT_OF)
                .and_then(|mut st| st.query_row([problem_id], |r| r.get(0)))
                .map_err(backend)?;
            a::check_count(n.max(0) as usize, &files)?;
            let mut last = None;
            let mut out = Vec::with_capacity(files.len());
            for f in &files {
                let rec = transition_on(
                    conn,
                    problem_id,
                    &Command::new(f.action()),
                    &actor,
                    now,
                    now,
                    None,
                    &cals,
                )?;
                out.push(insert_file(conn, problem_id, i64::from(rec.state.seq), f, &actor.username, now)?);
                last = Some(rec);
            }
            let rec = last.ok_or_else(|| {
                ProblemError::Store(store::StoreError::Backend(
                    "add_attachments needs at least one file".into(),
                ))
            })?;
            Ok((rec, out))
        })
        .await
    }

    async fn attachments(&self, problem_id: i64) -> PResult<Vec<Attachment>> {
        self.read_p(move |conn| {
            problem_exists(conn, problem_id)?;
            let mut st = conn.prepare_cached(sql::LIST_OF).map_err(backend)?;
            let rows = st.query_map([problem_id], attachment_row).map_err(backend)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?)
        })
        .await
    }

    async fn attachment_content(
        &self,
        problem_id: i64,
        attachment_id: i64,
    ) -> PResult<(Attachment, Vec<u8>)> {
        self.read_p(move |conn| {
            problem_exists(conn, problem_id)?;
            conn.prepare_cached(sql::CONTENT_OF)
                .and_then(|mut st| {
                    st.query_row(params![problem_id, attachment_id], |r| Ok((attachment_row(r)?, r.get(9)?)))
                        .optional()
                })
                .map_err(backend)?
                .ok_or(ProblemError::Attachment(AttachmentError::NotFound {
                    problem: problem_id,
                    id: attachment_id,
                }))
        })
        .await
    }

    async fn verify_attachments(&self) -> PResult<Vec<AttachmentMismatch>> {
        self.read_p(|conn| {
            let mut st = conn.prepare(sql::ALL_WITH_CONTENT).map_err(backend)?;
            let mut rows = st.query([]).map_err(backend)?;
            let mut out = Vec::new();
            let mut events: Option<(i64, Vec<handling::Event>)> = None;
            while let Some(r) = rows.next().map_err(backend)? {
                let att = attachment_row(r).map_err(backend)?;
                let content: Vec<u8> = r.get(9).map_err(backend)?;
                if events.as_ref().is_none_or(|(id, _)| *id != att.problem_id) {
                    let log = events_of(conn, att.problem_id)?
                        .iter()
                        .map(|e| e.event())
                        .collect::<PResult<Vec<_>>>()?;
                    events = Some((att.problem_id, log));
                }
                let log = events.as_ref().map(|(_, l)| l.as_slice()).unwrap_or_default();
                out.extend(a::check_stored(&att, &content, log));
            }
            Ok(out)
        })
        .await
    }
}
