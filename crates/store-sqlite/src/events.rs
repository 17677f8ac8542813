//! [`EventStore`] on SQLite: each write is one job of the writer (its audit records in the
//! same transaction); reads run on the read pool.

use async_trait::async_trait;
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use store::events::{
    EVENT_ENTITY, EventFilter, EventNotice, EventRecord, EventStore, EventSummary, NewEvent,
    RegistrationRecord, RosterWrite, audience_of, conflict, notice_href, notice_item, parse, sql,
};
use store::{Result, Stamp, StoreError};

use crate::problems::text_time;
use crate::{SqliteStore, backend, insert_reference_change, ts};

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<(EventRecord, String, String)> {
    let kind: String = r.get(1)?;
    let audience: String = r.get(12)?;
    Ok((
        EventRecord {
            id: r.get(0)?,
            event: NewEvent {
                kind: services::events::EventKind::AssistanceMonth,
                title: r.get(2)?,
                description: r.get(3)?,
                department: r.get(4)?,
                place: r.get(5)?,
                link: r.get(6)?,
                starts_at: ts(r.get(7)?),
                ends_at: ts(r.get(8)?),
                registration_closes_at: ts(r.get(9)?),
                capacity: r.get(10)?,
                max_per_enterprise: r.get(11)?,
                audience: Default::default(),
                positions_offered: r.get(13)?,
            },
            positions_filled: r.get(14)?,
            cancelled: r.get(15)?,
            cancel_reason: r.get(16)?,
            version: r.get(17)?,
            created_by: r.get(18)?,
            created_at: ts(r.get(19)?),
        },
        kind,
        audience,
    ))
}

fn finish((mut e, kind, audience): (EventRecord, String, String)) -> Result<EventRecord> {
    e.event.kind = parse("event kind", &kind)?;
    e.event.audience = audience_of(&audience)?;
    Ok(e)
}

fn registration(r: &rusqlite::Row<'_>) -> rusqlite::Result<(RegistrationRecord, String)> {
    Ok((
        RegistrationRecord {
            id: r.get(0)?,
            event_id: r.get(1)?,
            enterprise_id: r.get(2)?,
            uscc: r.get(3)?,
            enterprise_name: r.get(4)?,
            seq: r.get(5)?,
            attendees: r.get(6)?,
            attendee_names: r.get(7)?,
            state: services::events::RegistrationState::Confirmed,
            feedback: r.get(9)?,
            feedback_text: r.get(10)?,
            registered_by: r.get(11)?,
            registered_at: ts(r.get(12)?),
            updated_at: ts(r.get(13)?),
        },
        r.get(8)?,
    ))
}

fn registrations(conn: &Connection, filter: &str, key: i64) -> Result<Vec<RegistrationRecord>> {
    let q = format!(
        "SELECT {} FROM event_registrations r JOIN enterprises n ON n.id = r.enterprise_id \
         JOIN events e ON e.id = r.event_id WHERE {filter} = $1 ORDER BY e.starts_at DESC, r.seq",
        sql::REGISTRATION_COLUMNS
    );
    let rows = conn
        .prepare_cached(&q)
        .and_then(|mut st| st.query_map([key], registration)?.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(backend)?;
    rows.into_iter()
        .map(|(mut r, state)| {
            r.state = parse("registration state", &state)?;
            Ok(r)
        })
        .collect()
}

fn load(conn: &Connection, id: i64) -> Result<Option<EventRecord>> {
    let q = format!("SELECT {} FROM events e WHERE e.id = $1", sql::EVENT_COLUMNS);
    let r =
        conn.prepare_cached(&q).and_then(|mut st| st.query_row([id], record).optional()).map_err(backend)?;
    r.map(finish).transpose()
}

/// Moves the version on from `expected`, or reports the conflict.
fn bump(conn: &Connection, event: i64, expected: i64) -> Result<i64> {
    let n = conn
        .prepare_cached(sql::BUMP_VERSION)
        .and_then(|mut st| st.execute([event, expected]))
        .map_err(backend)?;
    if n == 0 {
        return Err(version_conflict(conn, event, expected));
    }
    Ok(expected + 1)
}

fn version_conflict(conn: &Connection, event: i64, expected: i64) -> StoreError {
    match conn
        .prepare_cached(sql::VERSION)
        .and_then(|mut st| st.query_row([event], |r| r.get::<_, i64>(0)).optional())
    {
        Ok(Some(current)) => conflict(event, expected, current),
        Ok(None) => StoreError::Backend(format!("no event {event}")),
        Err(e) => backend(e),
    }
}

fn audit(
    conn: &Connection,
    stamp: &Stamp,
    event: i64,
    (field, old, new): (String, Option<String>, Option<String>),
) -> Result<()> {
    insert_reference_change(conn, stamp, EVENT_ENTITY, &event.to_string(), &FieldChange { field, old, new })
}

/// Inserts an event with its audit record.
fn insert_event(conn: &Connection, e: &NewEvent, audience: &str, stamp: &Stamp) -> Result<i64> {
    let id: i64 = conn
        .prepare_cached(sql::INSERT_EVENT)
        .and_then(|mut st| {
            st.query_row(
                params![
                    e.kind.as_str(),
                    e.title,
                    e.description,
                    e.department,
                    e.place,
                    e.link,
                    text_time(e.starts_at),
                    text_time(e.ends_at),
                    text_time(e.registration_closes_at),
                    e.capacity,
                    e.max_per_enterprise,
                    audience,
                    e.positions_offered,
                    stamp.username,
                    text_time(stamp.at)
                ],
                |r| r.get(0),
            )
        })
        .map_err(backend)?;
    audit(conn, stamp, id, ("created".into(), None, Some(format!("{} {}", e.kind.as_str(), e.title))))?;
    Ok(id)
}

/// Writes an event's messages to its audience and their outbox rows.
fn insert_notice(
    conn: &Connection,
    id: i64,
    n: &EventNotice,
    at: chrono::DateTime<chrono::FixedOffset>,
) -> Result<()> {
    let item = notice_item(id);
    let href = notice_href(id);
    let mut st = conn.prepare_cached(sql::INSERT_NOTICE).map_err(backend)?;
    for e in &n.enterprise_ids {
        st.execute(params![e, item, n.title, n.body_zh, n.body_en, href, at]).map_err(backend)?;
    }
    if !n.enterprise_ids.is_empty() {
        conn.execute(sql::INSERT_NOTICE_OUTBOX, params![n.next_ms, item]).map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn create_event(&self, event: &NewEvent, stamp: &Stamp) -> Result<i64> {
        let e = event.clone();
        let stamp = stamp.clone();
        let audience = serde_json::to_string(&e.audience).map_err(backend)?;
        self.write(move |conn| insert_event(conn, &e, &audience, &stamp)).await
    }

    async fn create_event_informing(
        &self,
        event: &NewEvent,
        notice: &EventNotice,
        stamp: &Stamp,
    ) -> Result<i64> {
        let e = event.clone();
        let n = notice.clone();
        let stamp = stamp.clone();
        let audience = serde_json::to_string(&e.audience).map_err(backend)?;
        self.write(move |conn| {
            let id = insert_event(conn, &e, &audience, &stamp)?;
            insert_notice(conn, id, &n, ts(stamp.at))?;
            Ok(id)
        })
        .await
    }

    async fn event(&self, id: i64) -> Result<Option<EventRecord>> {
        self.read(move |conn| load(conn, id)).await
    }

    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventSummary>> {
        let f = filter.clone();
        self.read(move |conn| {
            let mut conds = Vec::new();
            let mut args: Vec<String> = Vec::new();
            if let Some(t) = f.ends_after {
                args.push(text_time(t));
                conds.push(format!("e.ends_at >= ${}", args.len()));
            }
            if let Some(t) = f.starts_before {
                args.push(text_time(t));
                conds.push(format!("e.starts_at < ${}", args.len()));
            }
            if let Some(d) = &f.department {
                args.push(d.clone());
                conds.push(format!("e.department = ${}", args.len()));
            }
            if !f.include_cancelled {
                conds.push("NOT e.cancelled".into());
            }
            let wh = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
            let q = format!(
                "SELECT {}, {} FROM events e LEFT JOIN event_registrations r ON r.event_id = e.id {wh} \
                 GROUP BY e.id ORDER BY e.starts_at, e.id LIMIT {}",
                sql::EVENT_COLUMNS,
                sql::COUNTS,
                f.limit.clamp(1, 10_000)
            );
            let rows = conn
                .prepare(&q)
                .and_then(|mut st| {
                    st.query_map(rusqlite::params_from_iter(args.iter()), |r| {
                        Ok((record(r)?, r.get::<_, u32>(20)?, r.get(21)?, r.get(22)?, r.get(23)?, r.get(24)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)?;
            rows.into_iter()
                .map(|(rec, seats_taken, confirmed, waiting, checked_in, no_show)| {
                    Ok(EventSummary {
                        record: finish(rec)?,
                        seats_taken,
                        confirmed,
                        waiting,
                        checked_in,
                        no_show,
                    })
                })
                .collect()
        })
        .await
    }

    async fn roster(&self, event: i64) -> Result<Vec<RegistrationRecord>> {
        self.read(move |conn| registrations(conn, "r.event_id", event)).await
    }

    async fn registrations_of(&self, enterprise_id: i64) -> Result<Vec<RegistrationRecord>> {
        self.read(move |conn| registrations(conn, "r.enterprise_id", enterprise_id)).await
    }

    async fn save_roster(
        &self,
        event: i64,
        expected: i64,
        writes: &[RosterWrite],
        stamp: &Stamp,
    ) -> Result<i64> {
        let writes = writes.to_vec();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let version = bump(conn, event, expected)?;
            let now = text_time(stamp.at);
            for w in &writes {
                let n = match w {
                    RosterWrite::Register { enterprise_id, seq, attendees, names, state } => conn
                        .prepare_cached(sql::INSERT_REGISTRATION)
                        .and_then(|mut st| {
                            st.execute(params![
                                event,
                                enterprise_id,
                                seq,
                                attendees,
                                names,
                                state.as_str(),
                                stamp.username,
                                now,
                                now
                            ])
                        })
                        .map_err(backend)?,
                    RosterWrite::State { seq, from, to, .. } => conn
                        .prepare_cached(sql::SET_STATE)
                        .and_then(|mut st| st.execute(params![to.as_str(), now, event, seq, from.as_str()]))
                        .map_err(backend)?,
                    RosterWrite::Feedback { seq, score, text, .. } => conn
                        .prepare_cached(sql::SET_FEEDBACK)
                        .and_then(|mut st| st.execute(params![score, text, now, event, seq]))
                        .map_err(backend)?,
                    RosterWrite::Capacity { to, .. } => conn
                        .prepare_cached(sql::SET_CAPACITY)
                        .and_then(|mut st| st.execute(params![to, event]))
                        .map_err(backend)?,
                };
                if n != 1 {
                    // The roster moved under the version check: nothing of this write stays.
                    return Err(version_conflict(conn, event, expected));
                }
                audit(conn, &stamp, event, w.audit())?;
            }
            Ok(version)
        })
        .await
    }

    async fn cancel_event(&self, event: i64, expected: i64, reason: &str, stamp: &Stamp) -> Result<i64> {
        let reason = reason.to_string();
        let stamp = stamp.clone();
        self.write(move |conn| {
            let n = conn
                .prepare_cached(sql::CANCEL)
                .and_then(|mut st| st.execute(params![reason, event, expected]))
                .map_err(backend)?;
            if n == 0 {
                return Err(version_conflict(conn, event, expected));
            }
            audit(conn, &stamp, event, ("cancelled".into(), None, Some(reason.clone())))?;
            Ok(expected + 1)
        })
        .await
    }

    async fn set_positions_filled(
        &self,
        event: i64,
        expected: i64,
        filled: u32,
        stamp: &Stamp,
    ) -> Result<i64> {
        let stamp = stamp.clone();
        self.write(move |conn| {
            let old: Option<Option<u32>> = conn
                .prepare_cached("SELECT positions_filled FROM events WHERE id = $1")
                .and_then(|mut st| st.query_row([event], |r| r.get(0)).optional())
                .map_err(backend)?;
            let n = conn
                .prepare_cached(sql::SET_FILLED)
                .and_then(|mut st| st.execute(params![filled, event, expected]))
                .map_err(backend)?;
            if n == 0 {
                return Err(version_conflict(conn, event, expected));
            }
            audit(
                conn,
                &stamp,
                event,
                ("positions_filled".into(), old.flatten().map(|v| v.to_string()), Some(filled.to_string())),
            )?;
            Ok(expected + 1)
        })
        .await
    }
}
