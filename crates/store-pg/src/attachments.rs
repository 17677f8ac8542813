//! [`AttachmentStore`] on PostgreSQL: each write is one transaction that locks the problem
//! row (then the chain head, as every problem write does), so the count check, the event and
//! the file land together or not at all.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use enterprise::Routing;
use handling::{Actor as HActor, Command, Problem, TimeLimits};
use store::attachments::{
    self as a, Attachment, AttachmentError, AttachmentMismatch, AttachmentStore, CheckedFile, sql,
};
use store::problems::{self as p, PResult, ProblemError, ProblemRecord};
use tokio_postgres::Row;

use crate::problems::{events_of, insert_problem, transition_on};
use crate::{PgStore, backend, china};

fn attachment_row(r: &Row) -> PResult<Attachment> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> PResult<T> {
        r.try_get(i).map_err(|e| ProblemError::from(backend(e)))
    }
    Ok(Attachment {
        id: get(r, 0)?,
        problem_id: get(r, 1)?,
        event_seq: get(r, 2)?,
        file_name: get(r, 3)?,
        content_type: get(r, 4)?,
        size: get::<i64>(r, 5)?.max(0) as u64,
        sha256: get(r, 6)?,
        uploaded_by: get(r, 7)?,
        uploaded_at: china(get(r, 8)?),
    })
}

/// Stores one checked file against the problem's event `event_seq`.
async fn insert_file(
    c: &impl GenericClient,
    problem_id: i64,
    event_seq: i64,
    f: &CheckedFile,
    by: &str,
    at: DateTime<FixedOffset>,
) -> PResult<Attachment> {
    let at = p::china_seconds(at);
    let size = f.size() as i64;
    let id: i64 = c
        .query_one(
            sql::INSERT,
            &[&problem_id, &event_seq, &f.file_name, &f.content_type, &size, &f.sha256, &f.content, &by, &at],
        )
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    Ok(f.stored(id, problem_id, event_seq, by, at))
}

async fn problem_exists(c: &impl GenericClient, id: i64) -> PResult<()> {
    match c.query_opt("SELECT id FROM problems WHERE id = $1", &[&id]).await.map_err(backend)? {
        Some(_) => Ok(()),
        None => Err(ProblemError::NotFound { id }),
    }
}

#[async_trait]
impl AttachmentStore for PgStore {
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
        told: &[store::notifications::Told],
    ) -> PResult<ProblemRecord> {
        let problem = a::with_references(problem, &files)?;
        let cals = store::calendar::CalendarStore::calendars(self).await?;
        let t = p::submit_transition(problem, actor, now, routing, limits, cals.as_ref())?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let rec = insert_problem(&tx, t, now).await?;
        for f in &files {
            insert_file(&tx, rec.id, 1, f, &actor.username, now).await?;
        }
        if let Some(first) = rec.events.first() {
            crate::notifications::write_told(&tx, rec.id, &rec.state, &first.event, told).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn add_attachment(
        &self,
        problem_id: i64,
        file: CheckedFile,
        actor: &HActor,
        now: DateTime<FixedOffset>,
    ) -> PResult<(ProblemRecord, Attachment)> {
        let cals = store::calendar::CalendarStore::calendars(self).await?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // The problem row lock serialises attachments of one problem: the count holds.
        if tx
            .query_opt("SELECT id FROM problems WHERE id = $1 FOR UPDATE", &[&problem_id])
            .await
            .map_err(backend)?
            .is_none()
        {
            return Err(ProblemError::NotFound { id: problem_id });
        }
        let n: i64 = tx
            .query_one(sql::COUNT_OF, &[&problem_id])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        a::check_count(n.max(0) as usize, std::slice::from_ref(&file))?;
        let rec = transition_on(&tx, problem_id, &Command::new(file.action()), actor, now, now, None, &cals)
            .await?;
        let att = insert_file(&tx, problem_id, i64::from(rec.state.seq), &file, &actor.username, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok((rec, att))
    }

    async fn add_attachments(
        &self,
        problem_id: i64,
        files: Vec<CheckedFile>,
        actor: &HActor,
        now: DateTime<FixedOffset>,
    ) -> PResult<(ProblemRecord, Vec<Attachment>)> {
        let cals = store::calendar::CalendarStore::calendars(self).await?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        if tx
            .query_opt("SELECT id FROM problems WHERE id = $1 FOR UPDATE", &[&problem_id])
            .await
            .map_err(backend)?
            .is_none()
        {
            return Err(ProblemError::NotFound { id: problem_id });
        }
        let n: i64 = tx
            .query_one(sql::COUNT_OF, &[&problem_id])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        a::check_count(n.max(0) as usize, &files)?;
        let mut last = None;
        let mut out = Vec::with_capacity(files.len());
        for f in &files {
            let rec = transition_on(&tx, problem_id, &Command::new(f.action()), actor, now, now, None, &cals)
                .await?;
            out.push(insert_file(&tx, problem_id, i64::from(rec.state.seq), f, &actor.username, now).await?);
            last = Some(rec);
        }
        let rec = last.ok_or_else(|| {
            ProblemError::Store(store::StoreError::Backend("add_attachments needs at least one file".into()))
        })?;
        tx.commit().await.map_err(backend)?;
        Ok((rec, out))
    }

    async fn attachments(&self, problem_id: i64) -> PResult<Vec<Attachment>> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        problem_exists(&tx, problem_id).await?;
        let rows = tx.query(sql::LIST_OF, &[&problem_id]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        rows.iter().map(attachment_row).collect()
    }

    async fn attachment_content(
        &self,
        problem_id: i64,
        attachment_id: i64,
    ) -> PResult<(Attachment, Vec<u8>)> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        problem_exists(&tx, problem_id).await?;
        let row =
            tx.query_opt(sql::CONTENT_OF, &[&problem_id, &attachment_id]).await.map_err(backend)?.ok_or(
                ProblemError::Attachment(AttachmentError::NotFound {
                    problem: problem_id,
                    id: attachment_id,
                }),
            )?;
        tx.commit().await.map_err(backend)?;
        let content: Vec<u8> = row.try_get(9).map_err(backend)?;
        Ok((attachment_row(&row)?, content))
    }

    async fn verify_attachments(&self) -> PResult<Vec<AttachmentMismatch>> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let rows = tx.query(sql::ALL_WITH_CONTENT, &[]).await.map_err(backend)?;
        let mut out = Vec::new();
        let mut events: Option<(i64, Vec<handling::Event>)> = None;
        for r in &rows {
            let att = attachment_row(r)?;
            let content: Vec<u8> = r.try_get(9).map_err(backend)?;
            if events.as_ref().is_none_or(|(id, _)| *id != att.problem_id) {
                let log = events_of(&tx, att.problem_id)
                    .await?
                    .iter()
                    .map(|e| e.event())
                    .collect::<PResult<Vec<_>>>()?;
                events = Some((att.problem_id, log));
            }
            let log = events.as_ref().map(|(_, l)| l.as_slice()).unwrap_or_default();
            out.extend(a::check_stored(&att, &content, log));
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}
