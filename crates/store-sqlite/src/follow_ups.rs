//! [`FollowUpStore`] on SQLite: the follow-up rows are rewritten inside the problem's write job
//! ([`write_follow_ups`]); lists and notices run on the read pool.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{Connection, params};
use store::follow_ups::{
    DeadlineNotice, FollowUp, FollowUpFilter, FollowUpKind, FollowUpStore, notice_of, sql,
};
use store::problems::{PResult, ProblemError};

use crate::problems::text_time;
use crate::{SqliteStore, backend, ts};

/// Replaces a problem's follow-up rows (inside its write job).
pub(crate) fn write_follow_ups(conn: &Connection, id: i64, rows: &[FollowUp]) -> PResult<()> {
    conn.prepare_cached(sql::DELETE_OF).and_then(|mut st| st.execute([id])).map_err(backend)?;
    for f in rows {
        conn.prepare_cached(sql::INSERT)
            .and_then(|mut st| {
                st.execute(params![
                    f.problem_id,
                    f.kind.as_str(),
                    f.no,
                    f.owner,
                    f.text,
                    text_time(f.opened_at),
                    f.due.format("%Y-%m-%d").to_string(),
                    text_time(f.yellow_at),
                    text_time(f.red_at),
                    f.done_at.map(text_time)
                ])
            })
            .map_err(backend)?;
    }
    Ok(())
}

type Raw = (
    i64,
    String,
    u32,
    String,
    String,
    DateTime<FixedOffset>,
    String,
    DateTime<FixedOffset>,
    DateTime<FixedOffset>,
    Option<DateTime<FixedOffset>>,
);

fn follow_up(raw: Raw) -> PResult<FollowUp> {
    let (problem_id, kind, no, owner, text, opened_at, due, yellow_at, red_at, done_at) = raw;
    Ok(FollowUp {
        problem_id,
        kind: FollowUpKind::parse(&kind)
            .ok_or_else(|| ProblemError::backend(format!("follow-up kind {kind}")))?,
        no,
        owner,
        text,
        opened_at: ts(opened_at),
        due: NaiveDate::parse_from_str(&due, "%Y-%m-%d").map_err(ProblemError::backend)?,
        yellow_at: ts(yellow_at),
        red_at: ts(red_at),
        done_at: done_at.map(ts),
    })
}

#[async_trait]
impl FollowUpStore for SqliteStore {
    async fn follow_ups(&self, filter: &FollowUpFilter) -> PResult<Vec<FollowUp>> {
        let (q, vals) = filter.query();
        self.read_p(move |conn| {
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(vals.iter()), |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for r in rows {
                out.push(follow_up(r.map_err(backend)?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn deadline_notices(&self, department: Option<&str>, limit: u32) -> PResult<Vec<DeadlineNotice>> {
        let department = department.map(str::to_string);
        self.read_p(move |conn| {
            let map = |r: &rusqlite::Row<'_>| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, DateTime<FixedOffset>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            };
            let raw: Vec<(i64, DateTime<FixedOffset>, String, String)> = match &department {
                Some(d) => {
                    let mut st = conn.prepare_cached(sql::NOTICES_OF).map_err(backend)?;
                    st.query_map(params![d, limit], map)
                        .map_err(backend)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(backend)?
                }
                None => {
                    let mut st = conn.prepare_cached(sql::NOTICES_ALL).map_err(backend)?;
                    st.query_map(params![limit], map)
                        .map_err(backend)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(backend)?
                }
            };
            raw.into_iter().map(|(id, at, lead, payload)| notice_of(id, ts(at), lead, &payload)).collect()
        })
        .await
    }
}
