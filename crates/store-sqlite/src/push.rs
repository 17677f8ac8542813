//! [`PushStore`] on SQLite: inboxes, channels and the outbox. Writes are jobs of the one
//! writer thread, so a claim of deliveries is serialised like every write.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, Row, params};
use store::push::{
    Attempt, Channel, ChannelKind, Delivery, InboxMessage, InboxPage, InboxRun, MessageKind, OutboxCount,
    OutboxEntry, OutboxState, PushStore, channel_changes, error_text, sql,
};
use store::{Result, Stamp};

use crate::{SqliteStore, backend, insert_reference_change, ts};

fn bad(what: &str, v: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("stored {what} {v:?}").into(),
    )
}

fn inbox_run(r: &Row) -> rusqlite::Result<InboxRun> {
    Ok(InboxRun {
        run_id: r.get(0)?,
        previous_run: r.get(1)?,
        date: r.get::<_, NaiveDate>(2)?,
        after_enterprise: r.get(3)?,
        messages: r.get::<_, i64>(4)?.max(0) as u64,
        done_at: r.get::<_, Option<DateTime<FixedOffset>>>(5)?.map(ts),
    })
}

/// A message from [`sql::MESSAGE_COLUMNS`] starting at column `k`.
fn message(r: &Row, k: usize) -> rusqlite::Result<InboxMessage> {
    let kind: String = r.get(k + 4)?;
    Ok(InboxMessage {
        id: r.get(k)?,
        uscc: r.get(k + 1)?,
        run_id: r.get(k + 2)?,
        item: r.get(k + 3)?,
        kind: MessageKind::parse(&kind).ok_or_else(|| bad("message kind", &kind))?,
        title: r.get(k + 5)?,
        body_zh: r.get(k + 6)?,
        body_en: r.get(k + 7)?,
        guide_href: r.get(k + 8)?,
        at: ts(r.get(k + 9)?),
        read_at: r.get::<_, Option<DateTime<FixedOffset>>>(k + 10)?.map(ts),
    })
}

/// A channel from its seven columns starting at `k`.
fn channel(r: &Row, k: usize) -> rusqlite::Result<Channel> {
    let kind: String = r.get(k + 1)?;
    Ok(Channel {
        name: r.get(k)?,
        kind: ChannelKind::parse(&kind).ok_or_else(|| bad("channel kind", &kind))?,
        url: r.get(k + 2)?,
        secret: r.get(k + 3)?,
        enabled: r.get(k + 4)?,
        created_at: ts(r.get(k + 5)?),
        created_by: r.get(k + 6)?,
    })
}

fn entry(r: &Row) -> rusqlite::Result<OutboxEntry> {
    let state: String = r.get(4)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        message_id: r.get(1)?,
        uscc: r.get(2)?,
        channel: r.get(3)?,
        state: OutboxState::parse(&state).ok_or_else(|| bad("outbox state", &state))?,
        attempts: r.get(5)?,
        next_ms: r.get(6)?,
        last_error: r.get(7)?,
        sent_at: r.get::<_, Option<DateTime<FixedOffset>>>(8)?.map(ts),
    })
}

fn one_i64(conn: &Connection, q: &str, p: impl rusqlite::Params) -> Result<Option<i64>> {
    conn.prepare_cached(q)
        .and_then(|mut st| st.query_row(p, |r| r.get::<_, Option<i64>>(0)).optional())
        .map(Option::flatten)
        .map_err(backend)
}

#[async_trait]
impl PushStore for SqliteStore {
    async fn next_inbox_run(&self, at: DateTime<FixedOffset>) -> Result<Option<InboxRun>> {
        self.write(move |conn| {
            let unfinished = |conn: &Connection| {
                conn.prepare_cached(sql::UNFINISHED)
                    .and_then(|mut st| st.query_row([], inbox_run).optional())
                    .map_err(backend)
            };
            if let Some(r) = unfinished(conn)? {
                return Ok(Some(r));
            }
            let Some(latest) = one_i64(conn, "SELECT max(id) FROM match_runs", [])? else { return Ok(None) };
            if one_i64(conn, sql::HAS_INBOX_RUN, [latest])?.is_some() {
                return Ok(None);
            }
            let previous = match one_i64(conn, sql::LAST_DONE, [latest, latest])? {
                Some(p) => Some(p),
                None => one_i64(conn, sql::RUN_BEFORE, [latest, latest])?,
            };
            conn.execute(sql::INSERT_INBOX_RUN, params![latest, previous, ts(at)]).map_err(backend)?;
            unfinished(conn)
        })
        .await
    }

    async fn run_eligible_range(&self, run_id: i64, after: i64, through: i64) -> Result<Vec<(i64, String)>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::ELIGIBLE_RANGE).map_err(backend)?;
            let rows = st
                .query_map(params![run_id, after, through], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn almost_messaged(&self, run_id: i64, after: i64, through: i64) -> Result<Vec<(i64, String)>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::ALMOST_MESSAGED).map_err(backend)?;
            let rows = st
                .query_map(params![run_id, after, through], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn write_inbox_page(&self, page: InboxPage) -> Result<bool> {
        let InboxPage { run_id, after, through, messages, at, next_ms, done } = page;
        self.write_alone(move |conn| {
            let n = i64::try_from(messages.len()).unwrap_or(i64::MAX);
            if conn.execute(sql::MOVE_CURSOR, params![through, n, run_id, after]).map_err(backend)? == 0 {
                return Ok(false);
            }
            let at = ts(at);
            let mut st = conn.prepare_cached(sql::INSERT_MESSAGE).map_err(backend)?;
            for m in &messages {
                st.execute(params![
                    m.enterprise_id,
                    run_id,
                    m.item,
                    m.kind.as_str(),
                    m.title,
                    m.body_zh,
                    m.body_en,
                    m.guide_href,
                    at
                ])
                .map_err(backend)?;
            }
            if !messages.is_empty() {
                conn.execute(sql::INSERT_OUTBOX, params![next_ms, run_id, after, through])
                    .map_err(backend)?;
            }
            if done {
                conn.execute(sql::FINISH_RUN, params![at, run_id]).map_err(backend)?;
            }
            Ok(true)
        })
        .await
    }

    async fn inbox_runs(&self, limit: u32) -> Result<Vec<InboxRun>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::INBOX_RUNS).map_err(backend)?;
            let rows = st.query_map([limit], inbox_run).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn inbox(&self, uscc: &str, before: Option<i64>, limit: u32) -> Result<Vec<InboxMessage>> {
        let uscc = uscc.to_string();
        self.read(move |conn| {
            let q = format!(
                "SELECT {} FROM inbox_messages m JOIN enterprises e ON e.id = m.enterprise_id \
                 WHERE e.uscc = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3",
                sql::MESSAGE_COLUMNS
            );
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            let rows = st
                .query_map(params![uscc, before.unwrap_or(i64::MAX), limit], |r| message(r, 0))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn informed_between(
        &self,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<(i64, String, DateTime<FixedOffset>)>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::INFORMED_BETWEEN).map_err(backend)?;
            let rows = st
                .query_map(params![ts(from), ts(to)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn inbox_unread(&self, uscc: &str) -> Result<u64> {
        let uscc = uscc.to_string();
        self.read_point(move |conn| Ok(one_i64(conn, sql::UNREAD, [uscc])?.unwrap_or(0).max(0) as u64)).await
    }

    async fn mark_inbox_read(&self, uscc: &str, ids: Option<Vec<i64>>, stamp: &Stamp) -> Result<u64> {
        let (uscc, stamp) = (uscc.to_string(), stamp.clone());
        self.write(move |conn| {
            let at = ts(stamp.at);
            let n = match ids {
                None => {
                    conn.execute(sql::MARK_ALL_READ, params![at, stamp.username, uscc]).map_err(backend)?
                }
                Some(ids) => {
                    let mut st = conn.prepare_cached(sql::MARK_READ).map_err(backend)?;
                    let mut n = 0;
                    for id in ids {
                        n += st.execute(params![at, stamp.username, id, uscc]).map_err(backend)?;
                    }
                    n
                }
            };
            Ok(n as u64)
        })
        .await
    }

    async fn channels(&self) -> Result<Vec<Channel>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(sql::CHANNELS).map_err(backend)?;
            let rows = st.query_map([], |r| channel(r, 0)).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn save_channel(&self, c: &Channel, stamp: &Stamp) -> Result<()> {
        let (c, stamp) = (c.clone(), stamp.clone());
        self.write(move |conn| {
            let old = conn
                .prepare_cached(sql::CHANNEL)
                .and_then(|mut st| st.query_row([&c.name], |r| channel(r, 0)).optional())
                .map_err(backend)?;
            match &old {
                Some(_) => conn
                    .execute(
                        sql::UPDATE_CHANNEL,
                        params![c.kind.as_str(), c.url, c.secret, c.enabled, c.name],
                    )
                    .map_err(backend)?,
                None => conn
                    .execute(
                        sql::INSERT_CHANNEL,
                        params![
                            c.name,
                            c.kind.as_str(),
                            c.url,
                            c.secret,
                            c.enabled,
                            ts(stamp.at),
                            stamp.username
                        ],
                    )
                    .map_err(backend)?,
            };
            for ch in channel_changes(old.as_ref(), &c) {
                insert_reference_change(conn, &stamp, "channel", &c.name, &ch)?;
            }
            Ok(())
        })
        .await
    }

    async fn set_contact(
        &self,
        uscc: &str,
        phone: Option<String>,
        wechat_openid: Option<String>,
        stamp: &Stamp,
    ) -> Result<bool> {
        let (uscc, stamp) = (uscc.to_string(), stamp.clone());
        self.write(move |conn| {
            let Some(id) = one_i64(conn, sql::ENTERPRISE_ID, [&uscc])? else { return Ok(false) };
            let old: Option<(Option<String>, Option<String>)> = conn
                .prepare_cached(sql::CONTACT)
                .and_then(|mut st| st.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(backend)?;
            conn.execute(sql::DELETE_CONTACT, [id]).map_err(backend)?;
            conn.execute(
                sql::INSERT_CONTACT,
                params![id, phone, wechat_openid, ts(stamp.at), stamp.username],
            )
            .map_err(backend)?;
            let (op, oo) = old.unwrap_or_default();
            for (field, o, n) in [("phone", op, phone), ("wechat_openid", oo, wechat_openid)] {
                if o != n {
                    insert_reference_change(
                        conn,
                        &stamp,
                        "enterprise_contact",
                        &uscc,
                        &FieldChange { field: field.into(), old: o, new: n },
                    )?;
                }
            }
            Ok(true)
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let owner = owner.to_string();
        self.write(move |conn| {
            let ids: Vec<i64> = {
                let mut st = conn.prepare_cached(&sql::claim_sql(false)).map_err(backend)?;
                let rows =
                    st.query_map(params![owner, lease_ms, now_ms, limit], |r| r.get(0)).map_err(backend)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?
            };
            let mut st = conn.prepare_cached(sql::DELIVERY_OF).map_err(backend)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(
                    st.query_row([id], |r| {
                        Ok(Delivery {
                            id: r.get(0)?,
                            attempts: r.get(1)?,
                            channel: channel(r, 2)?,
                            message: message(r, 9)?,
                            enterprise_name: r.get(20)?,
                            phone: r.get(21)?,
                            wechat_openid: r.get(22)?,
                        })
                    })
                    .map_err(backend)?,
                );
            }
            out.sort_by_key(|d| d.id);
            Ok(out)
        })
        .await
    }

    async fn record_attempts(
        &self,
        owner: &str,
        attempts: Vec<(i64, Attempt)>,
        at: DateTime<FixedOffset>,
    ) -> Result<u64> {
        let owner = owner.to_string();
        self.write(move |conn| {
            let at = ts(at);
            let mut n = 0;
            // Cached statements: one prepared per kind, not per row.
            let mut sent = conn.prepare_cached(sql::MARK_SENT).map_err(backend)?;
            let mut retry = conn.prepare_cached(sql::MARK_RETRY).map_err(backend)?;
            let mut dead = conn.prepare_cached(sql::MARK_DEAD).map_err(backend)?;
            for (id, a) in attempts {
                n += match a {
                    Attempt::Sent => sent.execute(params![at, id, owner]),
                    Attempt::Retry { error, next_ms } => {
                        retry.execute(params![next_ms, error_text(&error), id, owner])
                    }
                    Attempt::Dead { error } => dead.execute(params![error_text(&error), id, owner]),
                }
                .map_err(backend)?;
            }
            Ok(n as u64)
        })
        .await
    }

    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(sql::COUNTS).map_err(backend)?;
            let rows = st
                .query_map([], |r| {
                    let state: String = r.get(1)?;
                    Ok(OutboxCount {
                        channel: r.get(0)?,
                        state: OutboxState::parse(&state).ok_or_else(|| bad("outbox state", &state))?,
                        count: r.get::<_, i64>(2)?.max(0) as u64,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn outbox_entries(&self, state: Option<OutboxState>, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.read(move |conn| {
            let q = format!(
                "{} WHERE ($1 IS NULL OR o.state = $1) ORDER BY o.id DESC LIMIT $2",
                sql::ENTRY_COLUMNS
            );
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            let rows =
                st.query_map(params![state.map(OutboxState::as_str), limit], entry).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn retry_delivery(&self, id: i64, next_ms: i64, stamp: &Stamp) -> Result<bool> {
        let stamp = stamp.clone();
        self.write(move |conn| {
            if conn.execute(sql::RETRY, params![next_ms, id]).map_err(backend)? == 0 {
                return Ok(false);
            }
            insert_reference_change(
                conn,
                &stamp,
                "outbox",
                &id.to_string(),
                &FieldChange { field: "state".into(), old: Some("dead".into()), new: Some("pending".into()) },
            )?;
            Ok(true)
        })
        .await
    }
}
