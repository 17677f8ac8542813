//! [`NotificationStore`] on PostgreSQL: a problem action's notifications are written inside
//! its transaction ([`write_for_event`]); warnings in one transaction per run of the job (two
//! workers racing write each warning once: the unique key, `ON CONFLICT DO NOTHING`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use handling::{Event, ProblemState, Role as HRole};
use store::Page;
use store::notifications::{
    LightCandidate, NewNotification, Notification, NotificationKind, NotificationPage, NotificationStore,
    Reader, Told, of_event, of_submit_told, sql, warning_of,
};
use store::problems::{PResult, ProblemError};

use crate::{PgStore, backend, china, clamp};

async fn insert(c: &impl GenericClient, n: &NewNotification) -> PResult<u64> {
    let (k, key) = n.to.columns();
    Ok(c.execute(
        sql::INSERT,
        &[&n.problem_id, &n.kind.as_str(), &k, &key, &n.text, &n.dedupe, &n.light_at, &n.created_at],
    )
    .await
    .map_err(backend)?)
}

/// The notifications of one event, inside the event's transaction.
pub(crate) async fn write_for_event(
    c: &impl GenericClient,
    problem_id: i64,
    before: Option<&ProblemState>,
    after: &ProblemState,
    event: &Event,
    raiser: (&str, HRole),
) -> PResult<()> {
    for n in of_event(problem_id, before, after, event, raiser) {
        insert(c, &n).await?;
    }
    Ok(())
}

/// The notifications of a new problem to the users told personally, inside its transaction.
pub(crate) async fn write_told(
    c: &impl GenericClient,
    problem_id: i64,
    state: &ProblemState,
    event: &Event,
    told: &[Told],
) -> PResult<()> {
    for n in of_submit_told(problem_id, state, event, told) {
        insert(c, &n).await?;
    }
    Ok(())
}

async fn count(c: &impl GenericClient, q: &str, r: &[String; 3]) -> PResult<u64> {
    let n: i64 =
        c.query_one(q, &[&r[0], &r[1], &r[2]]).await.map_err(backend)?.try_get(0).map_err(backend)?;
    Ok(n.max(0) as u64)
}

#[async_trait]
impl NotificationStore for PgStore {
    async fn notifications(&self, reader: &Reader, page: Page) -> PResult<NotificationPage> {
        let r = reader.params();
        let page = Page::new(page.offset, page.limit);
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let total = count(&tx, &sql::total(), &r).await?;
        let unread = count(&tx, &sql::unread(), &r).await?;
        let rows = tx
            .query(&sql::page(), &[&r[0], &r[1], &r[2], &clamp(page.limit), &clamp(page.offset)])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let mut out = Vec::new();
        for row in &rows {
            let kind: String = row.try_get(2).map_err(backend)?;
            let created_at: DateTime<FixedOffset> = row.try_get(4).map_err(backend)?;
            let read_at: Option<DateTime<FixedOffset>> = row.try_get(5).map_err(backend)?;
            out.push(Notification {
                id: row.try_get(0).map_err(backend)?,
                problem_id: row.try_get(1).map_err(backend)?,
                kind: NotificationKind::parse(&kind)
                    .ok_or_else(|| ProblemError::backend(format!("notification kind {kind}")))?,
                text: row.try_get(3).map_err(backend)?,
                created_at: china(created_at),
                read_at: read_at.map(china),
            });
        }
        Ok(NotificationPage { rows: out, total, unread })
    }

    async fn unread_notifications(&self, reader: &Reader) -> PResult<u64> {
        let client = self.client().await?;
        count(&client, &sql::unread(), &reader.params()).await
    }

    async fn mark_notification_read(
        &self,
        reader: &Reader,
        id: i64,
        at: DateTime<FixedOffset>,
    ) -> PResult<Option<i64>> {
        let r = reader.params();
        let client = self.client().await?;
        let found =
            client.query_opt(&sql::addressed(), &[&r[0], &r[1], &r[2], &id]).await.map_err(backend)?;
        let Some(row) = found else {
            return Ok(None);
        };
        let problem: i64 = row.try_get(0).map_err(backend)?;
        client.execute(sql::READ, &[&id, &r[0], &at]).await.map_err(backend)?;
        Ok(Some(problem))
    }

    async fn mark_all_notifications_read(&self, reader: &Reader, at: DateTime<FixedOffset>) -> PResult<u64> {
        let r = reader.params();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let ids = tx.query(&sql::unread_ids(), &[&r[0], &r[1], &r[2]]).await.map_err(backend)?;
        let st = tx.prepare(sql::READ).await.map_err(backend)?;
        let mut n = 0u64;
        for row in &ids {
            let id: i64 = row.try_get(0).map_err(backend)?;
            n += tx.execute(&st, &[&id, &r[0], &at]).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn write_warning_notifications(&self, now: DateTime<FixedOffset>, limit: u32) -> PResult<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let rows = tx.query(&sql::light_candidates(), &[&now, &i64::from(limit)]).await.map_err(backend)?;
        let mut n = 0u64;
        for r in &rows {
            let c = LightCandidate {
                problem_id: r.try_get(0).map_err(backend)?,
                title: r.try_get(1).map_err(backend)?,
                state: r.try_get(2).map_err(backend)?,
                lead_department: r.try_get(3).map_err(backend)?,
                accept_by: r.try_get(4).map_err(backend)?,
                answer_by: r.try_get(5).map_err(backend)?,
                yellow_at: r.try_get(6).map_err(backend)?,
                red_at: r.try_get(7).map_err(backend)?,
            };
            if let Some(w) = warning_of(&c, now) {
                n += insert(&tx, &w).await?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }
}
