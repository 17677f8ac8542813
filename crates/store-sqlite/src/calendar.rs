//! [`CalendarStore`] on SQLite: a load is one job of the writer; the calendars are built from
//! the rows on the read pool and kept until a row is added (by any process: the version read
//! first is the newest id and the count).

use async_trait::async_trait;
use calendar::{Calendars, YearArrangement};
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, params};
use std::sync::Arc;
use store::calendar::{CalendarStore, CalendarYearRow, calendars_of, sql};
use store::{Result, Stamp};

use crate::problems::text_time;
use crate::{SqliteStore, backend, ts};

fn all_rows(conn: &Connection) -> Result<Vec<CalendarYearRow>> {
    let mut st = conn.prepare_cached(sql::ALL).map_err(backend)?;
    let rows = st
        .query_map([], |r| {
            Ok(CalendarYearRow {
                id: r.get(0)?,
                year: r.get(1)?,
                notice: r.get(2)?,
                data: r.get(3)?,
                loaded_at: ts(r.get::<_, DateTime<FixedOffset>>(4)?),
                loaded_by: r.get(5)?,
            })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

#[async_trait]
impl CalendarStore for SqliteStore {
    async fn calendar_years(&self) -> Result<Vec<CalendarYearRow>> {
        self.read(all_rows).await
    }

    async fn load_calendar_year(&self, year: &YearArrangement, stamp: &Stamp) -> Result<CalendarYearRow> {
        let (y, notice, data) = (year.year, year.notice.clone(), year.to_csv());
        let (at, by) = (ts(stamp.at), stamp.username.clone());
        self.write(move |conn| {
            let id: i64 = conn
                .prepare_cached(sql::INSERT)
                .and_then(|mut st| st.query_row(params![y, notice, data, text_time(at), by], |r| r.get(0)))
                .map_err(backend)?;
            Ok(CalendarYearRow { id, year: y, notice, data, loaded_at: at, loaded_by: by })
        })
        .await
    }

    async fn calendars(&self) -> Result<Arc<Calendars>> {
        let version: (i64, i64) = self
            .read_point(|conn| {
                conn.prepare_cached(sql::VERSION)
                    .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
                    .map_err(backend)
            })
            .await?;
        if let Some(c) = self.calendars.get(version) {
            return Ok(c);
        }
        let rows = self.read(all_rows).await?;
        let version = (rows.last().map_or(0, |r| r.id), rows.len() as i64);
        let built = Arc::new(calendars_of(&rows)?);
        self.calendars.put(version, Arc::clone(&built));
        Ok(built)
    }
}
