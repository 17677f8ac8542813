//! [`PushStore`] on PostgreSQL: inboxes, channels and the outbox. A page of messages goes in
//! as one `INSERT … SELECT FROM UNNEST` (one round trip per page); deliveries are claimed with
//! `FOR UPDATE SKIP LOCKED`, so workers on several servers never take the same row nor wait
//! on one another.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::push::{
    Attempt, Channel, ChannelKind, Delivery, InboxMessage, InboxPage, InboxRun, MessageKind, NewMessage,
    OutboxCount, OutboxEntry, OutboxState, PushStore, channel_changes, error_text, sql,
};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;

use crate::{PgStore, backend, china, insert_reference_change};

fn bad(what: &str, v: &str) -> StoreError {
    StoreError::Backend(format!("stored {what} {v:?}"))
}

fn inbox_run(r: &Row) -> Result<InboxRun> {
    Ok(InboxRun {
        run_id: r.try_get(0).map_err(backend)?,
        previous_run: r.try_get(1).map_err(backend)?,
        date: r.try_get::<_, NaiveDate>(2).map_err(backend)?,
        after_enterprise: r.try_get(3).map_err(backend)?,
        messages: r.try_get::<_, i64>(4).map_err(backend)?.max(0) as u64,
        done_at: r.try_get::<_, Option<DateTime<FixedOffset>>>(5).map_err(backend)?.map(china),
    })
}

fn message(r: &Row, k: usize) -> Result<InboxMessage> {
    let kind: String = r.try_get(k + 4).map_err(backend)?;
    Ok(InboxMessage {
        id: r.try_get(k).map_err(backend)?,
        uscc: r.try_get(k + 1).map_err(backend)?,
        run_id: r.try_get(k + 2).map_err(backend)?,
        item: r.try_get(k + 3).map_err(backend)?,
        kind: MessageKind::parse(&kind).ok_or_else(|| bad("message kind", &kind))?,
        title: r.try_get(k + 5).map_err(backend)?,
        body_zh: r.try_get(k + 6).map_err(backend)?,
        body_en: r.try_get(k + 7).map_err(backend)?,
        guide_href: r.try_get(k + 8).map_err(backend)?,
        at: china(r.try_get(k + 9).map_err(backend)?),
        read_at: r.try_get::<_, Option<DateTime<FixedOffset>>>(k + 10).map_err(backend)?.map(china),
    })
}

fn channel(r: &Row, k: usize) -> Result<Channel> {
    let kind: String = r.try_get(k + 1).map_err(backend)?;
    Ok(Channel {
        name: r.try_get(k).map_err(backend)?,
        kind: ChannelKind::parse(&kind).ok_or_else(|| bad("channel kind", &kind))?,
        url: r.try_get(k + 2).map_err(backend)?,
        secret: r.try_get(k + 3).map_err(backend)?,
        enabled: r.try_get(k + 4).map_err(backend)?,
        created_at: china(r.try_get(k + 5).map_err(backend)?),
        created_by: r.try_get(k + 6).map_err(backend)?,
    })
}

fn entry(r: &Row) -> Result<OutboxEntry> {
    let state: String = r.try_get(4).map_err(backend)?;
    Ok(OutboxEntry {
        id: r.try_get(0).map_err(backend)?,
        message_id: r.try_get(1).map_err(backend)?,
        uscc: r.try_get(2).map_err(backend)?,
        channel: r.try_get(3).map_err(backend)?,
        state: OutboxState::parse(&state).ok_or_else(|| bad("outbox state", &state))?,
        attempts: r.try_get(5).map_err(backend)?,
        next_ms: r.try_get(6).map_err(backend)?,
        last_error: r.try_get(7).map_err(backend)?,
        sent_at: r.try_get::<_, Option<DateTime<FixedOffset>>>(8).map_err(backend)?.map(china),
    })
}

async fn one_i64(
    c: &impl GenericClient,
    q: &str,
    p: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Option<i64>> {
    let row = c.query_opt(q, p).await.map_err(backend)?;
    match row {
        Some(r) => r.try_get::<_, Option<i64>>(0).map_err(backend),
        None => Ok(None),
    }
}

/// The messages of a page in one statement.
const INSERT_MESSAGES: &str = "INSERT INTO inbox_messages \
    (enterprise_id, run_id, item, kind, title, body_zh, body_en, guide_href, at) \
    SELECT e, $2::bigint, i, k, t, z, n, g, $9::timestamptz FROM UNNEST($1::bigint[], $3::text[], $4::text[], $5::text[], \
    $6::text[], $7::text[], $8::text[]) AS u (e, i, k, t, z, n, g) ON CONFLICT DO NOTHING";

#[async_trait]
impl PushStore for PgStore {
    async fn next_inbox_run(&self, at: DateTime<FixedOffset>) -> Result<Option<InboxRun>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // One generation is started at a time across servers.
        tx.batch_execute("LOCK TABLE inbox_runs IN EXCLUSIVE MODE").await.map_err(backend)?;
        if let Some(r) = tx.query_opt(sql::UNFINISHED, &[]).await.map_err(backend)? {
            let r = inbox_run(&r)?;
            tx.commit().await.map_err(backend)?;
            return Ok(Some(r));
        }
        let Some(latest) = one_i64(&tx, "SELECT max(id) FROM match_runs", &[]).await? else {
            return Ok(None);
        };
        if tx.query_opt(sql::HAS_INBOX_RUN, &[&latest]).await.map_err(backend)?.is_some() {
            return Ok(None);
        }
        let previous = match one_i64(&tx, sql::LAST_DONE, &[&latest, &latest]).await? {
            Some(p) => Some(p),
            None => one_i64(&tx, sql::RUN_BEFORE, &[&latest, &latest]).await?,
        };
        tx.execute(sql::INSERT_INBOX_RUN, &[&latest, &previous, &at]).await.map_err(backend)?;
        let r =
            tx.query_opt(sql::UNFINISHED, &[]).await.map_err(backend)?.map(|r| inbox_run(&r)).transpose()?;
        tx.commit().await.map_err(backend)?;
        Ok(r)
    }

    async fn run_eligible_range(&self, run_id: i64, after: i64, through: i64) -> Result<Vec<(i64, String)>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql::ELIGIBLE_RANGE).await.map_err(backend)?;
        let rows = client.query(&st, &[&run_id, &after, &through]).await.map_err(backend)?;
        rows.iter().map(|r| Ok((r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?))).collect()
    }

    async fn almost_messaged(&self, run_id: i64, after: i64, through: i64) -> Result<Vec<(i64, String)>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql::ALMOST_MESSAGED).await.map_err(backend)?;
        let rows = client.query(&st, &[&run_id, &after, &through]).await.map_err(backend)?;
        rows.iter().map(|r| Ok((r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?))).collect()
    }

    async fn write_inbox_page(&self, page: InboxPage) -> Result<bool> {
        let InboxPage { run_id, after, through, messages, at, next_ms, done } = page;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = i64::try_from(messages.len()).unwrap_or(i64::MAX);
        if tx.execute(sql::MOVE_CURSOR, &[&through, &n, &run_id, &after]).await.map_err(backend)? == 0 {
            return Ok(false);
        }
        if !messages.is_empty() {
            let ids: Vec<i64> = messages.iter().map(|m| m.enterprise_id).collect();
            let col = |f: &dyn Fn(&NewMessage) -> String| messages.iter().map(f).collect::<Vec<String>>();
            let items = col(&|m| m.item.clone());
            let kinds = col(&|m| m.kind.as_str().to_string());
            let titles = col(&|m| m.title.clone());
            let zh = col(&|m| m.body_zh.clone());
            let en = col(&|m| m.body_en.clone());
            let guides: Vec<Option<String>> = messages.iter().map(|m| m.guide_href.clone()).collect();
            tx.execute(INSERT_MESSAGES, &[&ids, &run_id, &items, &kinds, &titles, &zh, &en, &guides, &at])
                .await
                .map_err(backend)?;
            tx.execute(sql::INSERT_OUTBOX, &[&next_ms, &run_id, &after, &through]).await.map_err(backend)?;
        }
        if done {
            tx.execute(sql::FINISH_RUN, &[&at, &run_id]).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn inbox_runs(&self, limit: u32) -> Result<Vec<InboxRun>> {
        let client = self.client().await?;
        let rows = client.query(sql::INBOX_RUNS, &[&i64::from(limit)]).await.map_err(backend)?;
        rows.iter().map(inbox_run).collect()
    }

    async fn inbox(&self, uscc: &str, before: Option<i64>, limit: u32) -> Result<Vec<InboxMessage>> {
        let client = self.client().await?;
        let q = format!(
            "SELECT {} FROM inbox_messages m JOIN enterprises e ON e.id = m.enterprise_id \
             WHERE e.uscc = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3",
            sql::MESSAGE_COLUMNS
        );
        let rows = client
            .query(&q, &[&uscc, &before.unwrap_or(i64::MAX), &i64::from(limit)])
            .await
            .map_err(backend)?;
        rows.iter().map(|r| message(r, 0)).collect()
    }

    async fn informed_between(
        &self,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<(i64, String, DateTime<FixedOffset>)>> {
        let client = self.client().await?;
        let rows = client.query(sql::INFORMED_BETWEEN, &[&from, &to]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(backend)?,
                    r.try_get(1).map_err(backend)?,
                    china(r.try_get(2).map_err(backend)?),
                ))
            })
            .collect()
    }

    async fn inbox_unread(&self, uscc: &str) -> Result<u64> {
        let client = self.client().await?;
        Ok(one_i64(&client, sql::UNREAD, &[&uscc]).await?.unwrap_or(0).max(0) as u64)
    }

    async fn mark_inbox_read(&self, uscc: &str, ids: Option<Vec<i64>>, stamp: &Stamp) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = match ids {
            None => {
                tx.execute(sql::MARK_ALL_READ, &[&stamp.at, &stamp.username, &uscc]).await.map_err(backend)?
            }
            Some(ids) => {
                let mut n = 0;
                for id in ids {
                    n += tx
                        .execute(sql::MARK_READ, &[&stamp.at, &stamp.username, &id, &uscc])
                        .await
                        .map_err(backend)?;
                }
                n
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn channels(&self) -> Result<Vec<Channel>> {
        let client = self.client().await?;
        let rows = client.query(sql::CHANNELS, &[]).await.map_err(backend)?;
        rows.iter().map(|r| channel(r, 0)).collect()
    }

    async fn save_channel(&self, c: &Channel, stamp: &Stamp) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let old = tx
            .query_opt(&format!("{} FOR UPDATE", sql::CHANNEL), &[&c.name])
            .await
            .map_err(backend)?
            .map(|r| channel(&r, 0))
            .transpose()?;
        let kind = c.kind.as_str();
        match &old {
            Some(_) => {
                tx.execute(sql::UPDATE_CHANNEL, &[&kind, &c.url, &c.secret, &c.enabled, &c.name]).await
            }
            None => {
                tx.execute(
                    sql::INSERT_CHANNEL,
                    &[&c.name, &kind, &c.url, &c.secret, &c.enabled, &stamp.at, &stamp.username],
                )
                .await
            }
        }
        .map_err(backend)?;
        for ch in channel_changes(old.as_ref(), c) {
            insert_reference_change(&tx, stamp, "channel", &c.name, &ch).await?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn set_contact(
        &self,
        uscc: &str,
        phone: Option<String>,
        wechat_openid: Option<String>,
        stamp: &Stamp,
    ) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let Some(id) = one_i64(&tx, sql::ENTERPRISE_ID, &[&uscc]).await? else { return Ok(false) };
        let old = tx.query_opt(sql::CONTACT, &[&id]).await.map_err(backend)?;
        let (op, oo): (Option<String>, Option<String>) = match old {
            Some(r) => (r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?),
            None => (None, None),
        };
        tx.execute(sql::DELETE_CONTACT, &[&id]).await.map_err(backend)?;
        tx.execute(sql::INSERT_CONTACT, &[&id, &phone, &wechat_openid, &stamp.at, &stamp.username])
            .await
            .map_err(backend)?;
        for (field, o, n) in [("phone", op, phone), ("wechat_openid", oo, wechat_openid)] {
            if o != n {
                let ch = FieldChange { field: field.into(), old: o, new: n };
                insert_reference_change(&tx, stamp, "enterprise_contact", uscc, &ch).await?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let rows = tx
            .query(&sql::claim_sql(true), &[&owner, &lease_ms, &now_ms, &i64::from(limit)])
            .await
            .map_err(backend)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.try_get(0).map_err(backend)).collect::<Result<_>>()?;
        let q = sql::DELIVERY_OF.replace("WHERE o.id = $1", "WHERE o.id = ANY($1)");
        let rows = tx.query(&q, &[&ids]).await.map_err(backend)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Delivery {
                id: r.try_get(0).map_err(backend)?,
                attempts: r.try_get(1).map_err(backend)?,
                channel: channel(r, 2)?,
                message: message(r, 9)?,
                enterprise_name: r.try_get(20).map_err(backend)?,
                phone: r.try_get(21).map_err(backend)?,
                wechat_openid: r.try_get(22).map_err(backend)?,
            });
        }
        tx.commit().await.map_err(backend)?;
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    async fn record_attempts(
        &self,
        owner: &str,
        attempts: Vec<(i64, Attempt)>,
        at: DateTime<FixedOffset>,
    ) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let sent: Vec<i64> =
            attempts.iter().filter(|(_, a)| *a == Attempt::Sent).map(|(id, _)| *id).collect();
        let mut n = 0;
        if !sent.is_empty() {
            let q = sql::MARK_SENT.replace("WHERE id = $2", "WHERE id = ANY($2)");
            n += tx.execute(&q, &[&at, &sent, &owner]).await.map_err(backend)?;
        }
        for (id, a) in &attempts {
            n += match a {
                Attempt::Sent => continue,
                Attempt::Retry { error, next_ms } => {
                    tx.execute(sql::MARK_RETRY, &[next_ms, &error_text(error), id, &owner]).await
                }
                Attempt::Dead { error } => {
                    tx.execute(sql::MARK_DEAD, &[&error_text(error), id, &owner]).await
                }
            }
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>> {
        let client = self.client().await?;
        let rows = client.query(sql::COUNTS, &[]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get(1).map_err(backend)?;
                Ok(OutboxCount {
                    channel: r.try_get(0).map_err(backend)?,
                    state: OutboxState::parse(&state).ok_or_else(|| bad("outbox state", &state))?,
                    count: r.try_get::<_, i64>(2).map_err(backend)?.max(0) as u64,
                })
            })
            .collect()
    }

    async fn outbox_entries(&self, state: Option<OutboxState>, limit: u32) -> Result<Vec<OutboxEntry>> {
        let client = self.client().await?;
        let q = format!(
            "{} WHERE ($1::text IS NULL OR o.state = $1) ORDER BY o.id DESC LIMIT $2",
            sql::ENTRY_COLUMNS
        );
        let state = state.map(OutboxState::as_str);
        let rows = client.query(&q, &[&state, &i64::from(limit)]).await.map_err(backend)?;
        rows.iter().map(entry).collect()
    }

    async fn retry_delivery(&self, id: i64, next_ms: i64, stamp: &Stamp) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        if tx.execute(sql::RETRY, &[&next_ms, &id]).await.map_err(backend)? == 0 {
            return Ok(false);
        }
        let ch = FieldChange { field: "state".into(), old: Some("dead".into()), new: Some("pending".into()) };
        insert_reference_change(&tx, stamp, "outbox", &id.to_string(), &ch).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}
