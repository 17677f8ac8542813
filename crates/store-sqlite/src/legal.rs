//! [`LegalStore`] on SQLite: each write one job of the writer (its audit record in the same
//! transaction); reads run on the read pool.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use store::content::{CONTENT_ENTITY, ContentItem};
use store::events::parse;
use store::legal::{
    ConsultationFilter, ConsultationRecord, ConsultationWrite, ENTITY, LegalStore, NewConsultation, State,
    conflict, sql,
};
use store::{Result, Stamp, StoreError};

use crate::problems::text_time;
use crate::{SqliteStore, backend, insert_reference_change, ts};

type Raw = (ConsultationRecord, String, String, String);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    let opt = |i: usize| -> rusqlite::Result<Option<DateTime<FixedOffset>>> {
        Ok(r.get::<_, Option<DateTime<FixedOffset>>>(i)?.map(ts))
    };
    Ok((
        ConsultationRecord {
            id: r.get(0)?,
            enterprise_id: r.get(1)?,
            uscc: r.get(2)?,
            enterprise_name: r.get(3)?,
            channel: store::legal::Channel::Online,
            topic: store::legal::Topic::Other,
            question: r.get(6)?,
            asked_by: r.get(7)?,
            asked_at: ts(r.get(8)?),
            due_at: ts(r.get(9)?),
            yellow_at: ts(r.get(10)?),
            state: State::Open,
            lawyer: r.get(12)?,
            answer: r.get(13)?,
            answered_by: r.get(14)?,
            answered_at: opt(15)?,
            answered_in_time: r.get(16)?,
            confirm_by: r.get(17)?,
            follow_up: r.get(18)?,
            follow_up_at: opt(19)?,
            follow_up_answer: r.get(20)?,
            follow_up_answered_by: r.get(21)?,
            follow_up_answered_at: opt(22)?,
            closed_by: r.get(23)?,
            closed_at: opt(24)?,
            note: r.get(25)?,
            faq_content_id: r.get(26)?,
            faq_at: opt(27)?,
            version: r.get(28)?,
        },
        r.get(4)?,
        r.get(5)?,
        r.get(11)?,
    ))
}

fn load(conn: &Connection, wh: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<ConsultationRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY c.id DESC", sql::COLUMNS, sql::FROM);
    let rows: Vec<Raw> =
        conn.prepare_cached(&q).and_then(|mut st| st.query_map(args, row)?.collect()).map_err(backend)?;
    rows.into_iter()
        .map(|(mut c, channel, topic, state)| {
            c.channel = parse("consultation channel", &channel)?;
            c.topic = parse("consultation topic", &topic)?;
            c.state = parse("consultation state", &state)?;
            Ok(c)
        })
        .collect()
}

fn one(conn: &Connection, id: i64) -> Result<ConsultationRecord> {
    load(conn, "WHERE c.id = $1", &[&id])?
        .pop()
        .ok_or_else(|| StoreError::Backend(format!("no {ENTITY} {id}")))
}

/// Raises the version from `expected`, or the conflict.
fn bump(conn: &Connection, id: i64, expected: i64) -> Result<()> {
    let n = conn.prepare_cached(sql::BUMP).and_then(|mut st| st.execute([id, expected])).map_err(backend)?;
    if n == 1 {
        return Ok(());
    }
    match conn
        .prepare_cached(sql::VERSION)
        .and_then(|mut st| st.query_row([id], |r| r.get::<_, i64>(0)).optional())
    {
        Ok(Some(current)) => Err(conflict(id, expected, current)),
        Ok(None) => Err(StoreError::Backend(format!("no {ENTITY} {id}"))),
        Err(e) => Err(backend(e)),
    }
}

fn exec(conn: &Connection, q: &str, args: &[&dyn rusqlite::ToSql]) -> Result<usize> {
    conn.prepare_cached(q).and_then(|mut st| st.execute(args)).map_err(backend)
}

#[async_trait]
impl LegalStore for SqliteStore {
    async fn create_consultation(&self, c: &NewConsultation, stamp: &Stamp) -> Result<i64> {
        let c = c.clone();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let (state, answer, by, at, in_time, confirm_by) = match &c.answered {
                Some((text, confirm_by)) => (
                    State::Answered,
                    text.clone(),
                    Some(stamp.username.clone()),
                    Some(text_time(stamp.at)),
                    Some(true),
                    Some(*confirm_by),
                ),
                None => (State::Open, String::new(), None, None, None, None),
            };
            let id: i64 = conn
                .prepare_cached(sql::INSERT)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            c.enterprise_id,
                            c.channel.as_str(),
                            c.topic.as_str(),
                            c.question,
                            c.asked_by,
                            text_time(c.asked_at),
                            text_time(c.due_at),
                            text_time(c.yellow_at),
                            state.as_str(),
                            c.lawyer,
                            answer,
                            by,
                            at,
                            in_time,
                            confirm_by
                        ],
                        |r| r.get(0),
                    )
                })
                .map_err(backend)?;
            let key = id.to_string();
            let created = format!("{} {} {}", c.channel.as_str(), c.topic.as_str(), c.question);
            let ch = FieldChange { field: "created".into(), old: None, new: Some(created) };
            insert_reference_change(conn, &stamp, ENTITY, &key, &ch)?;
            if let Some((text, _)) = &c.answered {
                let ch = FieldChange { field: "answer".into(), old: None, new: Some(text.clone()) };
                insert_reference_change(conn, &stamp, ENTITY, &key, &ch)?;
            }
            Ok(id)
        })
        .await
    }

    async fn consultation(&self, id: i64) -> Result<Option<ConsultationRecord>> {
        self.read(move |conn| Ok(load(conn, "WHERE c.id = $1", &[&id])?.pop())).await
    }

    async fn consultations(&self, filter: &ConsultationFilter) -> Result<Vec<ConsultationRecord>> {
        let f = filter.clone();
        self.read(move |conn| {
            let state = f.state.map(|s| s.as_str().to_string());
            let mut wh = Vec::new();
            let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
            if let Some(e) = &f.enterprise_id {
                args.push(e);
                wh.push(format!("c.enterprise_id = ${}", args.len()));
            }
            if let Some(s) = &state {
                args.push(s);
                wh.push(format!("c.state = ${}", args.len()));
            }
            if let Some(l) = &f.lawyer {
                args.push(l);
                wh.push(format!("c.lawyer = ${}", args.len()));
            }
            let wh = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
            load(conn, &wh, &args)
        })
        .await
    }

    async fn write_consultation(
        &self,
        id: i64,
        expected: i64,
        w: &ConsultationWrite,
        stamp: &Stamp,
    ) -> Result<i64> {
        let w = w.clone();
        let stamp = stamp.clone();
        self.write(move |conn| {
            bump(conn, id, expected)?;
            let before = one(conn, id)?;
            let now = text_time(stamp.at);
            match &w {
                ConsultationWrite::Assign { lawyer } => exec(conn, sql::ASSIGN, &[lawyer, &id])?,
                ConsultationWrite::Answer { text, follow_up: false, in_time, confirm_by } => {
                    exec(conn, sql::ANSWER, &[text, &stamp.username, &now, in_time, confirm_by, &id])?
                }
                ConsultationWrite::Answer { text, follow_up: true, confirm_by, .. } => {
                    exec(conn, sql::ANSWER_FOLLOW_UP, &[text, &stamp.username, &now, confirm_by, &id])?
                }
                ConsultationWrite::FollowUp { text, due_at, yellow_at } => exec(
                    conn,
                    sql::FOLLOW_UP,
                    &[text, &now, &text_time(*due_at), &text_time(*yellow_at), &id],
                )?,
                ConsultationWrite::Confirm { note } => {
                    exec(conn, sql::CLOSE, &[&State::Closed.as_str(), &stamp.username, &now, note, &id])?
                }
                ConsultationWrite::AutoClose => {
                    exec(conn, sql::CLOSE, &[&State::Closed.as_str(), &stamp.username, &now, &"", &id])?
                }
                ConsultationWrite::Withdraw { reason } => {
                    exec(conn, sql::CLOSE, &[&State::Withdrawn.as_str(), &stamp.username, &now, reason, &id])?
                }
            };
            insert_reference_change(conn, &stamp, ENTITY, &id.to_string(), &w.audit(&before))?;
            Ok(expected + 1)
        })
        .await
    }

    async fn create_faq_of_consultation(
        &self,
        id: i64,
        expected: i64,
        item: &ContentItem,
        changes: &[FieldChange],
        stamp: &Stamp,
    ) -> Result<ContentItem> {
        let item = item.clone();
        let changes = changes.to_vec();
        let stamp = stamp.clone();
        let (tags, items, details) = item.json_columns()?;
        self.write(move |conn| {
            bump(conn, id, expected)?;
            let content_id = crate::content::insert(conn, &item, &tags, &items, &details)?;
            for c in &changes {
                insert_reference_change(conn, &stamp, CONTENT_ENTITY, &content_id.to_string(), c)?;
            }
            if exec(conn, sql::LINK_FAQ, &[&content_id, &text_time(stamp.at), &id])? != 1 {
                return Err(StoreError::Backend(format!("{ENTITY} {id} already has an FAQ")));
            }
            let ch = FieldChange { field: "faq".into(), old: None, new: Some(content_id.to_string()) };
            insert_reference_change(conn, &stamp, ENTITY, &id.to_string(), &ch)?;
            crate::content::load(conn, content_id)?
                .ok_or_else(|| StoreError::Backend(format!("content {content_id} vanished")))
        })
        .await
    }
}
