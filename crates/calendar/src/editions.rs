//! The zone's calendar over time ([`Calendars`]): which arrangement of every year was in force
//! at any moment, so that a deadline computed before a year's notice was loaded replays the
//! same afterwards.
//!
//! Edition 0 is the embedded official years ([`crate::OFFICIAL_YEARS`]) with every other year
//! from [`crate::FIRST_YEAR`] to [`crate::LAST_YEAR`] provisional. Each year loaded later (a
//! [`LoadedYear`], kept by the store) starts a new edition, with that year replaced, in force
//! from the second after it was loaded: times are kept in whole seconds, and an event recorded
//! in the same second before the load must replay as it was judged. [`Calendars::at`] gives the edition in force at a moment: what a
//! problem's event was judged by when it was recorded, and is judged by again when its log is
//! replayed ([`CalendarAt`]).
//!
//! Deliberately absent: the clock and the database. The loads come in as data.

use chrono::{DateTime, FixedOffset, SubsecRound};
use std::sync::Arc;

use crate::arrangement::YearArrangement;
use crate::{CalendarError, WorkCalendar};

/// A year loaded into the zone's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedYear {
    /// The load's number (ascending in load order).
    pub id: i64,
    pub arrangement: YearArrangement,
    /// When it was loaded: the edition it starts is in force from the next second.
    pub loaded_at: DateTime<FixedOffset>,
    pub loaded_by: String,
}

/// The calendar in force at a moment: what the handling machine asks for each event.
pub trait CalendarAt: Send + Sync {
    /// The calendar in force at `at`.
    fn calendar_at(&self, at: DateTime<FixedOffset>) -> &WorkCalendar;
}

/// A single calendar is in force at every moment (tests, tools).
impl CalendarAt for WorkCalendar {
    fn calendar_at(&self, _at: DateTime<FixedOffset>) -> &WorkCalendar {
        self
    }
}

/// One edition: a calendar and the moment it came into force.
#[derive(Debug, Clone)]
pub struct Edition {
    /// `None` for edition 0 (in force from the beginning).
    pub from: Option<DateTime<FixedOffset>>,
    /// The load that started it (`None` for edition 0).
    pub load: Option<i64>,
    pub calendar: Arc<WorkCalendar>,
}

/// Every edition of the zone's calendar, oldest first.
#[derive(Debug, Clone)]
pub struct Calendars {
    editions: Vec<Edition>,
    loads: Vec<LoadedYear>,
}

impl Calendars {
    /// Edition 0 alone: the embedded official years, the rest provisional.
    pub fn standard() -> Calendars {
        Calendars {
            editions: vec![Edition {
                from: None,
                load: None,
                calendar: WorkCalendar::standard_arc().clone(),
            }],
            loads: Vec::new(),
        }
    }

    /// The editions of these loads (in any order; they are applied by `id`). A load of a year
    /// outside [`crate::FIRST_YEAR`]..=[`crate::LAST_YEAR`] is an error.
    pub fn build(loads: &[LoadedYear]) -> Result<Calendars, CalendarError> {
        let mut loads = loads.to_vec();
        loads.sort_by_key(|l| l.id);
        let mut cals = Calendars::standard();
        let mut years = WorkCalendar::standard_arrangements().to_vec();
        for l in &loads {
            let y = l.arrangement.year;
            let slot = years.iter_mut().find(|a| a.year == y).ok_or(CalendarError::YearNotCovered {
                year: y,
                first: crate::FIRST_YEAR,
                last: crate::LAST_YEAR,
            })?;
            *slot = l.arrangement.clone();
            let calendar = Arc::new(WorkCalendar::from_arrangements(&years)?);
            // In force from the next whole second, and strictly after the edition before it
            // (two loads in one second, or a clock set back, must not leave an edition whose
            // events would replay by the next one).
            let second = chrono::Duration::seconds(1);
            let start = l.loaded_at.trunc_subsecs(0) + second;
            let from = cals.editions.last().and_then(|e| e.from).map_or(start, |p| start.max(p + second));
            cals.editions.push(Edition { from: Some(from), load: Some(l.id), calendar });
        }
        cals.loads = loads;
        Ok(cals)
    }

    /// The calendar in force now (the newest edition).
    pub fn current(&self) -> &WorkCalendar {
        self.current_arc()
    }

    /// [`Calendars::current`], shared.
    pub fn current_arc(&self) -> &Arc<WorkCalendar> {
        // There is always edition 0.
        &self.editions[self.editions.len() - 1].calendar
    }

    /// When the newest edition came into force (`None`: no year was ever loaded).
    pub fn current_from(&self) -> Option<DateTime<FixedOffset>> {
        self.editions.last().and_then(|e| e.from)
    }

    /// The editions, oldest first.
    pub fn editions(&self) -> &[Edition] {
        &self.editions
    }

    /// The loads the editions come from, in load order.
    pub fn loads(&self) -> &[LoadedYear] {
        &self.loads
    }

    /// The newest load of each year, by year.
    pub fn latest_loads(&self) -> Vec<&LoadedYear> {
        let mut out: Vec<&LoadedYear> = Vec::new();
        for l in &self.loads {
            match out.iter_mut().find(|x| x.arrangement.year == l.arrangement.year) {
                Some(x) => *x = l,
                None => out.push(l),
            }
        }
        out.sort_by_key(|l| l.arrangement.year);
        out
    }
}

impl CalendarAt for Calendars {
    fn calendar_at(&self, at: DateTime<FixedOffset>) -> &WorkCalendar {
        let i = self.editions.iter().rposition(|e| e.from.is_none_or(|f| f <= at)).unwrap_or(0);
        &self.editions[i].calendar
    }
}
