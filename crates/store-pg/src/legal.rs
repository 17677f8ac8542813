//! [`LegalStore`] on PostgreSQL: each write one transaction with its audit record.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::content::{CONTENT_ENTITY, ContentItem};
use store::events::parse;
use store::legal::{
    ConsultationFilter, ConsultationRecord, ConsultationWrite, ENTITY, LegalStore, NewConsultation, State,
    conflict, sql,
};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgStore, backend, china, insert_reference_change};

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

fn opt_time(r: &Row, i: usize) -> Result<Option<DateTime<FixedOffset>>> {
    Ok(get::<Option<DateTime<FixedOffset>>>(r, i)?.map(china))
}

fn record(r: &Row) -> Result<ConsultationRecord> {
    Ok(ConsultationRecord {
        id: get(r, 0)?,
        enterprise_id: get(r, 1)?,
        uscc: get(r, 2)?,
        enterprise_name: get(r, 3)?,
        channel: parse("consultation channel", &get::<String>(r, 4)?)?,
        topic: parse("consultation topic", &get::<String>(r, 5)?)?,
        question: get(r, 6)?,
        asked_by: get(r, 7)?,
        asked_at: china(get(r, 8)?),
        due_at: china(get(r, 9)?),
        yellow_at: china(get(r, 10)?),
        state: parse("consultation state", &get::<String>(r, 11)?)?,
        lawyer: get(r, 12)?,
        answer: get(r, 13)?,
        answered_by: get(r, 14)?,
        answered_at: opt_time(r, 15)?,
        answered_in_time: get(r, 16)?,
        confirm_by: get(r, 17)?,
        follow_up: get(r, 18)?,
        follow_up_at: opt_time(r, 19)?,
        follow_up_answer: get(r, 20)?,
        follow_up_answered_by: get(r, 21)?,
        follow_up_answered_at: opt_time(r, 22)?,
        closed_by: get(r, 23)?,
        closed_at: opt_time(r, 24)?,
        note: get(r, 25)?,
        faq_content_id: get(r, 26)?,
        faq_at: opt_time(r, 27)?,
        version: get(r, 28)?,
    })
}

async fn load(
    c: &impl GenericClient,
    wh: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<ConsultationRecord>> {
    let q = format!("SELECT {} {} {wh} ORDER BY c.id DESC", sql::COLUMNS, sql::FROM);
    c.query(&q, args).await.map_err(backend)?.iter().map(record).collect()
}

/// Raises the version from `expected`, or the conflict.
async fn bump(c: &impl GenericClient, id: i64, expected: i64) -> Result<()> {
    if c.execute(sql::BUMP, &[&id, &expected]).await.map_err(backend)? == 1 {
        return Ok(());
    }
    match c.query_opt(sql::VERSION, &[&id]).await.map_err(backend)? {
        Some(r) => Err(conflict(id, expected, get(&r, 0)?)),
        None => Err(StoreError::Backend(format!("no {ENTITY} {id}"))),
    }
}

#[async_trait]
impl LegalStore for PgStore {
    async fn create_consultation(&self, c: &NewConsultation, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let (state, answer, by, at, in_time, confirm_by) = match &c.answered {
            Some((text, confirm_by)) => (
                State::Answered,
                text.clone(),
                Some(stamp.username.clone()),
                Some(stamp.at),
                Some(true),
                Some(*confirm_by),
            ),
            None => (State::Open, String::new(), None, None, None, None),
        };
        let id: i64 = get(
            &tx.query_one(
                sql::INSERT,
                &[
                    &c.enterprise_id,
                    &c.channel.as_str(),
                    &c.topic.as_str(),
                    &c.question,
                    &c.asked_by,
                    &c.asked_at,
                    &c.due_at,
                    &c.yellow_at,
                    &state.as_str(),
                    &c.lawyer,
                    &answer,
                    &by,
                    &at,
                    &in_time,
                    &confirm_by,
                ],
            )
            .await
            .map_err(backend)?,
            0,
        )?;
        let key = id.to_string();
        let created = format!("{} {} {}", c.channel.as_str(), c.topic.as_str(), c.question);
        let ch = FieldChange { field: "created".into(), old: None, new: Some(created) };
        insert_reference_change(&tx, stamp, ENTITY, &key, &ch).await?;
        if let Some((text, _)) = &c.answered {
            let ch = FieldChange { field: "answer".into(), old: None, new: Some(text.clone()) };
            insert_reference_change(&tx, stamp, ENTITY, &key, &ch).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn consultation(&self, id: i64) -> Result<Option<ConsultationRecord>> {
        let client = self.client().await?;
        Ok(load(&client, "WHERE c.id = $1", &[&id]).await?.pop())
    }

    async fn consultations(&self, f: &ConsultationFilter) -> Result<Vec<ConsultationRecord>> {
        let client = self.client().await?;
        let state = f.state.map(|s| s.as_str().to_string());
        let mut wh = Vec::new();
        let mut args: Vec<&(dyn ToSql + Sync)> = Vec::new();
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
        load(&client, &wh, &args).await
    }

    async fn write_consultation(
        &self,
        id: i64,
        expected: i64,
        w: &ConsultationWrite,
        stamp: &Stamp,
    ) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // The version first: the row is then ours until the commit, and `before` current.
        bump(&tx, id, expected).await?;
        let before = load(&tx, "WHERE c.id = $1", &[&id])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Backend(format!("no {ENTITY} {id}")))?;
        let (by, now) = (&stamp.username, &stamp.at);
        let done = match w {
            ConsultationWrite::Assign { lawyer } => tx.execute(sql::ASSIGN, &[lawyer, &id]).await,
            ConsultationWrite::Answer { text, follow_up: false, in_time, confirm_by } => {
                tx.execute(sql::ANSWER, &[text, by, now, in_time, confirm_by, &id]).await
            }
            ConsultationWrite::Answer { text, follow_up: true, confirm_by, .. } => {
                tx.execute(sql::ANSWER_FOLLOW_UP, &[text, by, now, confirm_by, &id]).await
            }
            ConsultationWrite::FollowUp { text, due_at, yellow_at } => {
                tx.execute(sql::FOLLOW_UP, &[text, now, due_at, yellow_at, &id]).await
            }
            ConsultationWrite::Confirm { note } => {
                tx.execute(sql::CLOSE, &[&State::Closed.as_str(), by, now, note, &id]).await
            }
            ConsultationWrite::AutoClose => {
                tx.execute(sql::CLOSE, &[&State::Closed.as_str(), by, now, &"", &id]).await
            }
            ConsultationWrite::Withdraw { reason } => {
                tx.execute(sql::CLOSE, &[&State::Withdrawn.as_str(), by, now, reason, &id]).await
            }
        };
        done.map_err(backend)?;
        insert_reference_change(&tx, stamp, ENTITY, &id.to_string(), &w.audit(&before)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(expected + 1)
    }

    async fn create_faq_of_consultation(
        &self,
        id: i64,
        expected: i64,
        item: &ContentItem,
        changes: &[FieldChange],
        stamp: &Stamp,
    ) -> Result<ContentItem> {
        let (tags, items, details) = item.json_columns()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        bump(&tx, id, expected).await?;
        let content_id = crate::content::insert(&tx, item, &tags, &items, &details).await?;
        for c in changes {
            insert_reference_change(&tx, stamp, CONTENT_ENTITY, &content_id.to_string(), c).await?;
        }
        if tx.execute(sql::LINK_FAQ, &[&content_id, &stamp.at, &id]).await.map_err(backend)? != 1 {
            return Err(StoreError::Backend(format!("{ENTITY} {id} already has an FAQ")));
        }
        let ch = FieldChange { field: "faq".into(), old: None, new: Some(content_id.to_string()) };
        insert_reference_change(&tx, stamp, ENTITY, &id.to_string(), &ch).await?;
        let saved = crate::content::load(&tx, content_id)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("content {content_id} vanished")))?;
        tx.commit().await.map_err(backend)?;
        Ok(saved)
    }
}
