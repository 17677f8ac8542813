//! [`CalendarStore`] on PostgreSQL: a load is one insert; the calendars are built from the
//! rows and kept until a row is added (by any process: the version read first is the newest
//! id and the count).

use async_trait::async_trait;
use calendar::{Calendars, YearArrangement};
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use std::sync::Arc;
use store::calendar::{CalendarStore, CalendarYearRow, calendars_of, sql};
use store::{Result, Stamp};

use crate::{PgStore, backend, china};

async fn all_rows(c: &impl GenericClient) -> Result<Vec<CalendarYearRow>> {
    let rows = c.query(sql::ALL, &[]).await.map_err(backend)?;
    rows.iter()
        .map(|r| {
            Ok(CalendarYearRow {
                id: r.try_get(0).map_err(backend)?,
                year: r.try_get(1).map_err(backend)?,
                notice: r.try_get(2).map_err(backend)?,
                data: r.try_get(3).map_err(backend)?,
                loaded_at: china(r.try_get::<_, DateTime<FixedOffset>>(4).map_err(backend)?),
                loaded_by: r.try_get(5).map_err(backend)?,
            })
        })
        .collect()
}

#[async_trait]
impl CalendarStore for PgStore {
    async fn calendar_years(&self) -> Result<Vec<CalendarYearRow>> {
        let client = self.client().await?;
        all_rows(&client).await
    }

    async fn load_calendar_year(&self, year: &YearArrangement, stamp: &Stamp) -> Result<CalendarYearRow> {
        let client = self.client().await?;
        let (data, at) = (year.to_csv(), china(stamp.at));
        let id: i64 = client
            .query_one(sql::INSERT, &[&year.year, &year.notice, &data, &at, &stamp.username])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        Ok(CalendarYearRow {
            id,
            year: year.year,
            notice: year.notice.clone(),
            data,
            loaded_at: at,
            loaded_by: stamp.username.clone(),
        })
    }

    async fn calendars(&self) -> Result<Arc<Calendars>> {
        let client = self.client().await?;
        let r = client.query_one(sql::VERSION, &[]).await.map_err(backend)?;
        let version: (i64, i64) = (r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?);
        if let Some(c) = self.calendars.get(version) {
            return Ok(c);
        }
        let rows = all_rows(&client).await?;
        let version = (rows.last().map_or(0, |r| r.id), rows.len() as i64);
        let built = Arc::new(calendars_of(&rows)?);
        self.calendars.put(version, Arc::clone(&built));
        Ok(built)
    }
}
