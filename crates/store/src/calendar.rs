//! The zone's calendar years in the store (`calendar_years`, migration 0013): every year's
//! arrangement loaded from a State Council notice (`huiqi calendar load`, the admin page),
//! kept with who loaded it and when, never edited or deleted. A year loaded again (a
//! corrected notice) is a new row; the newest row of a year is in force.
//!
//! The store builds the zone's [`Calendars`] (every edition, [`calendar::Calendars::build`])
//! from these rows and keeps it while no row is added ([`CalendarCache`]); every problem
//! write and read asks [`CalendarStore::calendars`] first, so a year loaded by another process
//! is in force for the next event recorded anywhere.
//!
//! What it leaves out: what a year's text must hold (the calendar crate's
//! [`YearArrangement::parse`] and [`YearArrangement::check_statutory`], called by the use
//! case before storing) and the deadlines it moves (`app::calendar`).

use async_trait::async_trait;
use calendar::{Calendars, LoadedYear, YearArrangement, YearStatus};
use chrono::{DateTime, FixedOffset};
use std::sync::{Arc, Mutex};

use crate::{Result, Stamp, StoreError};

/// A stored row of `calendar_years`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYearRow {
    pub id: i64,
    pub year: i32,
    pub notice: String,
    /// The year's CSV text as loaded.
    pub data: String,
    pub loaded_at: DateTime<FixedOffset>,
    pub loaded_by: String,
}

impl CalendarYearRow {
    /// The load this row records. A stored text that no longer parses (it passed when it was
    /// loaded) is a backend error naming the row.
    pub fn loaded(&self) -> Result<LoadedYear> {
        let arrangement =
            YearArrangement::parse(&self.data, Some(self.year), Some(&self.notice), YearStatus::Official)
                .map_err(|e| StoreError::Backend(format!("calendar_years row {}: {e}", self.id)))?;
        Ok(LoadedYear {
            id: self.id,
            arrangement,
            loaded_at: self.loaded_at,
            loaded_by: self.loaded_by.clone(),
        })
    }
}

/// Builds the calendars of stored rows.
pub fn calendars_of(rows: &[CalendarYearRow]) -> Result<Calendars> {
    let loads = rows.iter().map(CalendarYearRow::loaded).collect::<Result<Vec<_>>>()?;
    Calendars::build(&loads).map_err(|e| StoreError::Backend(format!("calendar_years: {e}")))
}

/// What identifies the rows a [`Calendars`] was built from: the newest id and the count (rows
/// are only ever added).
pub type CalendarVersion = (i64, i64);

/// The calendars built from the rows at a version, kept until a row is added.
#[derive(Debug, Default)]
pub struct CalendarCache {
    built: Mutex<Option<(CalendarVersion, Arc<Calendars>)>>,
}

impl CalendarCache {
    /// The calendars of `version` if built.
    pub fn get(&self, version: CalendarVersion) -> Option<Arc<Calendars>> {
        let g = self.built.lock().ok()?;
        g.as_ref().filter(|(v, _)| *v == version).map(|(_, c)| Arc::clone(c))
    }

    /// Keeps the calendars built at `version`.
    pub fn put(&self, version: CalendarVersion, cals: Arc<Calendars>) {
        if let Ok(mut g) = self.built.lock() {
            *g = Some((version, cals));
        }
    }
}

/// The calendar years of the zone.
#[async_trait]
pub trait CalendarStore: Send + Sync {
    /// Every stored load, oldest first.
    async fn calendar_years(&self) -> Result<Vec<CalendarYearRow>>;

    /// Stores a year's arrangement (already checked by the caller) loaded by `stamp`; its
    /// edition is in force from `stamp`'s time.
    async fn load_calendar_year(&self, year: &YearArrangement, stamp: &Stamp) -> Result<CalendarYearRow>;

    /// The zone's calendar over time: built from the stored loads, cached until one is added.
    async fn calendars(&self) -> Result<Arc<Calendars>>;
}

/// SQL both dialects accept.
pub mod sql {
    pub const VERSION: &str = "SELECT COALESCE(MAX(id), 0), COUNT(*) FROM calendar_years";
    pub const ALL: &str =
        "SELECT id, year, notice, data, loaded_at, loaded_by FROM calendar_years ORDER BY id";
    pub const INSERT: &str = "INSERT INTO calendar_years (year, notice, data, loaded_at, loaded_by) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_build_editions_in_load_order() {
        let mut a = YearArrangement::provisional(2027).unwrap();
        a.status = YearStatus::Official;
        a.notice = "示例".into();
        let t = DateTime::parse_from_rfc3339("2026-12-10T09:00:00+08:00").unwrap();
        let row = CalendarYearRow {
            id: 3,
            year: 2027,
            notice: "示例".into(),
            data: a.to_csv(),
            loaded_at: t,
            loaded_by: "admin".into(),
        };
        let cals = calendars_of(std::slice::from_ref(&row)).unwrap();
        assert_eq!(cals.editions().len(), 2);
        assert_eq!(cals.current().year_info(2027).unwrap().status, YearStatus::Official);
        let cache = CalendarCache::default();
        assert!(cache.get((3, 1)).is_none());
        cache.put((3, 1), Arc::new(cals));
        assert!(cache.get((3, 1)).is_some() && cache.get((4, 2)).is_none());
        let bad = CalendarYearRow { data: "nonsense".into(), ..row };
        assert!(matches!(calendars_of(&[bad]), Err(StoreError::Backend(_))));
    }
}
