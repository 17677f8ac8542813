//! [`EventStore`] on PostgreSQL: each write one transaction with its audit records.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::events::{
    EVENT_ENTITY, EventFilter, EventNotice, EventRecord, EventStore, EventSummary, NewEvent,
    RegistrationRecord, RosterWrite, audience_of, conflict, notice_href, notice_item, parse, sql,
};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgStore, backend, china, insert_reference_change};

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

fn small(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Backend(format!("count {v} out of range")))
}

fn record(r: &Row) -> Result<EventRecord> {
    Ok(EventRecord {
        id: get(r, 0)?,
        event: NewEvent {
            kind: parse("event kind", &get::<String>(r, 1)?)?,
            title: get(r, 2)?,
            description: get(r, 3)?,
            department: get(r, 4)?,
            place: get(r, 5)?,
            link: get(r, 6)?,
            starts_at: china(get(r, 7)?),
            ends_at: china(get(r, 8)?),
            registration_closes_at: china(get(r, 9)?),
            capacity: small(get(r, 10)?)?,
            max_per_enterprise: small(get(r, 11)?)?,
            audience: audience_of(&get::<String>(r, 12)?)?,
            positions_offered: get::<Option<i64>>(r, 13)?.map(small).transpose()?,
        },
        positions_filled: get::<Option<i64>>(r, 14)?.map(small).transpose()?,
        cancelled: get(r, 15)?,
        cancel_reason: get(r, 16)?,
        version: get(r, 17)?,
        created_by: get(r, 18)?,
        created_at: china(get(r, 19)?),
    })
}

fn registration(r: &Row) -> Result<RegistrationRecord> {
    Ok(RegistrationRecord {
        id: get(r, 0)?,
        event_id: get(r, 1)?,
        enterprise_id: get(r, 2)?,
        uscc: get(r, 3)?,
        enterprise_name: get(r, 4)?,
        seq: get::<i64>(r, 5)? as u64,
        attendees: small(get(r, 6)?)?,
        attendee_names: get(r, 7)?,
        state: parse("registration state", &get::<String>(r, 8)?)?,
        feedback: get::<Option<i64>>(r, 9)?.map(|v| v.clamp(0, 5) as u8),
        feedback_text: get(r, 10)?,
        registered_by: get(r, 11)?,
        registered_at: china(get(r, 12)?),
        updated_at: china(get(r, 13)?),
    })
}

async fn registrations(c: &impl GenericClient, filter: &str, key: i64) -> Result<Vec<RegistrationRecord>> {
    let q = format!(
        "SELECT {} FROM event_registrations r JOIN enterprises n ON n.id = r.enterprise_id \
         JOIN events e ON e.id = r.event_id WHERE {filter} = $1 ORDER BY e.starts_at DESC, r.seq",
        sql::REGISTRATION_COLUMNS
    );
    c.query(&q, &[&key]).await.map_err(backend)?.iter().map(registration).collect()
}

async fn version_conflict(c: &impl GenericClient, event: i64, expected: i64) -> StoreError {
    match c.query_opt(sql::VERSION, &[&event]).await {
        Ok(Some(r)) => match r.try_get::<_, i64>(0) {
            Ok(current) => conflict(event, expected, current),
            Err(e) => backend(e),
        },
        Ok(None) => StoreError::Backend(format!("no event {event}")),
        Err(e) => backend(e),
    }
}

async fn audit(
    c: &impl GenericClient,
    stamp: &Stamp,
    event: i64,
    (field, old, new): (String, Option<String>, Option<String>),
) -> Result<()> {
    insert_reference_change(c, stamp, EVENT_ENTITY, &event.to_string(), &FieldChange { field, old, new })
        .await
}

/// Inserts an event with its audit record.
async fn insert_event(tx: &impl GenericClient, e: &NewEvent, audience: &str, stamp: &Stamp) -> Result<i64> {
    let offered = e.positions_offered.map(i64::from);
    let id: i64 = tx
        .query_one(
            sql::INSERT_EVENT,
            &[
                &e.kind.as_str(),
                &e.title,
                &e.description,
                &e.department,
                &e.place,
                &e.link,
                &e.starts_at,
                &e.ends_at,
                &e.registration_closes_at,
                &i64::from(e.capacity),
                &i64::from(e.max_per_enterprise),
                &audience,
                &offered,
                &stamp.username,
                &stamp.at,
            ],
        )
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    audit(tx, stamp, id, ("created".into(), None, Some(format!("{} {}", e.kind.as_str(), e.title)))).await?;
    Ok(id)
}

/// Writes an event's messages to its audience and their outbox rows.
async fn insert_notice(
    tx: &impl GenericClient,
    id: i64,
    n: &EventNotice,
    at: &DateTime<FixedOffset>,
) -> Result<()> {
    let item = notice_item(id);
    let href = notice_href(id);
    for e in &n.enterprise_ids {
        tx.execute(sql::INSERT_NOTICE, &[e, &item, &n.title, &n.body_zh, &n.body_en, &href, at])
            .await
            .map_err(backend)?;
    }
    if !n.enterprise_ids.is_empty() {
        tx.execute(sql::INSERT_NOTICE_OUTBOX, &[&n.next_ms, &item]).await.map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl EventStore for PgStore {
    async fn create_event(&self, e: &NewEvent, stamp: &Stamp) -> Result<i64> {
        let audience = serde_json::to_string(&e.audience).map_err(backend)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id = insert_event(&tx, e, &audience, stamp).await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn create_event_informing(&self, e: &NewEvent, notice: &EventNotice, stamp: &Stamp) -> Result<i64> {
        let audience = serde_json::to_string(&e.audience).map_err(backend)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id = insert_event(&tx, e, &audience, stamp).await?;
        insert_notice(&tx, id, notice, &stamp.at).await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn event(&self, id: i64) -> Result<Option<EventRecord>> {
        let client = self.client().await?;
        let q = format!("SELECT {} FROM events e WHERE e.id = $1", sql::EVENT_COLUMNS);
        client.query_opt(&q, &[&id]).await.map_err(backend)?.map(|r| record(&r)).transpose()
    }

    async fn events(&self, f: &EventFilter) -> Result<Vec<EventSummary>> {
        let client = self.client().await?;
        let mut conds = Vec::new();
        let mut times: Vec<DateTime<FixedOffset>> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut order: Vec<(bool, usize)> = Vec::new();
        if let Some(t) = f.ends_after {
            times.push(t);
            order.push((true, times.len() - 1));
            conds.push(format!("e.ends_at >= ${}", order.len()));
        }
        if let Some(t) = f.starts_before {
            times.push(t);
            order.push((true, times.len() - 1));
            conds.push(format!("e.starts_at < ${}", order.len()));
        }
        if let Some(d) = &f.department {
            texts.push(d.clone());
            order.push((false, texts.len() - 1));
            conds.push(format!("e.department = ${}", order.len()));
        }
        if !f.include_cancelled {
            conds.push("NOT e.cancelled".into());
        }
        let params: Vec<&(dyn ToSql + Sync)> = order
            .iter()
            .map(|(is_time, i)| if *is_time { &times[*i] as &(dyn ToSql + Sync) } else { &texts[*i] as _ })
            .collect();
        let wh = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let q = format!(
            "SELECT {}, {} FROM events e LEFT JOIN event_registrations r ON r.event_id = e.id {wh} \
             GROUP BY e.id ORDER BY e.starts_at, e.id LIMIT {}",
            sql::EVENT_COLUMNS,
            sql::COUNTS,
            f.limit.clamp(1, 10_000)
        );
        client
            .query(&q, &params)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(EventSummary {
                    record: record(r)?,
                    seats_taken: small(get(r, 20)?)?,
                    confirmed: get::<i64>(r, 21)? as u64,
                    waiting: get::<i64>(r, 22)? as u64,
                    checked_in: get::<i64>(r, 23)? as u64,
                    no_show: get::<i64>(r, 24)? as u64,
                })
            })
            .collect()
    }

    async fn roster(&self, event: i64) -> Result<Vec<RegistrationRecord>> {
        let client = self.client().await?;
        registrations(&client, "r.event_id", event).await
    }

    async fn registrations_of(&self, enterprise_id: i64) -> Result<Vec<RegistrationRecord>> {
        let client = self.client().await?;
        registrations(&client, "r.enterprise_id", enterprise_id).await
    }

    async fn save_roster(
        &self,
        event: i64,
        expected: i64,
        writes: &[RosterWrite],
        stamp: &Stamp,
    ) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::BUMP_VERSION, &[&event, &expected]).await.map_err(backend)?;
        if n == 0 {
            return Err(version_conflict(&tx, event, expected).await);
        }
        for w in writes {
            let n = match w {
                RosterWrite::Register { enterprise_id, seq, attendees, names, state } => tx
                    .execute(
                        sql::INSERT_REGISTRATION,
                        &[
                            &event,
                            enterprise_id,
                            &(*seq as i64),
                            &i64::from(*attendees),
                            names,
                            &state.as_str(),
                            &stamp.username,
                            &stamp.at,
                            &stamp.at,
                        ],
                    )
                    .await
                    .map_err(backend)?,
                RosterWrite::State { seq, from, to, .. } => tx
                    .execute(
                        sql::SET_STATE,
                        &[&to.as_str(), &stamp.at, &event, &(*seq as i64), &from.as_str()],
                    )
                    .await
                    .map_err(backend)?,
                RosterWrite::Feedback { seq, score, text, .. } => tx
                    .execute(
                        sql::SET_FEEDBACK,
                        &[&i64::from(*score), text, &stamp.at, &event, &(*seq as i64)],
                    )
                    .await
                    .map_err(backend)?,
                RosterWrite::Capacity { to, .. } => {
                    tx.execute(sql::SET_CAPACITY, &[&i64::from(*to), &event]).await.map_err(backend)?
                }
            };
            if n != 1 {
                return Err(version_conflict(&tx, event, expected).await);
            }
            audit(&tx, stamp, event, w.audit()).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(expected + 1)
    }

    async fn cancel_event(&self, event: i64, expected: i64, reason: &str, stamp: &Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::CANCEL, &[&reason, &event, &expected]).await.map_err(backend)?;
        if n == 0 {
            return Err(version_conflict(&tx, event, expected).await);
        }
        audit(&tx, stamp, event, ("cancelled".into(), None, Some(reason.to_string()))).await?;
        tx.commit().await.map_err(backend)?;
        Ok(expected + 1)
    }

    async fn set_positions_filled(
        &self,
        event: i64,
        expected: i64,
        filled: u32,
        stamp: &Stamp,
    ) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let old: Option<i64> = tx
            .query_opt("SELECT positions_filled FROM events WHERE id = $1", &[&event])
            .await
            .map_err(backend)?
            .map(|r| r.try_get::<_, Option<i64>>(0))
            .transpose()
            .map_err(backend)?
            .flatten();
        let n =
            tx.execute(sql::SET_FILLED, &[&i64::from(filled), &event, &expected]).await.map_err(backend)?;
        if n == 0 {
            return Err(version_conflict(&tx, event, expected).await);
        }
        audit(
            &tx,
            stamp,
            event,
            ("positions_filled".into(), old.map(|v| v.to_string()), Some(filled.to_string())),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(expected + 1)
    }
}
