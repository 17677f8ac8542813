//! The working-day calendar as the zone keeps it (工作日历): the answers scripts and pages ask
//! (add working days, is a day a working day, working days between), each saying whether it
//! rests on a **provisional** year; the years and their status; loading a year's notice, which
//! moves the running deadlines of open problems (each change an audited event) and tells their
//! departments; and the warning admins see from 1 October until next year's notice is loaded.
//!
//! The calendar in force is the store's ([`store::calendar::CalendarStore::calendars`]): the
//! embedded official years (2019–2026), every later year provisional until its notice is
//! loaded, and every load kept with the moment it came into force.
//!
//! What it leaves out: the arithmetic and the statutory rules (the `calendar` crate), what a
//! recompute moves (`handling::recompute`), HTTP and terminals.

use calendar::{Calendars, DayKind, YearArrangement, YearStatus};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use handling::{Action, Command, DeadlineChange, HandlingError, State};
use serde::Serialize;
use std::sync::Arc;
use store::Page;
use store::problems::{ProblemError, ProblemFilter};

use crate::{App, Error, Principal, Result, authz};

/// The zone's calendar over time.
#[tracing::instrument(skip_all)]
pub async fn calendars(app: &App) -> Result<Arc<Calendars>> {
    Ok(app.store.calendars().await?)
}

/// The N-th working day after a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddWorkdays {
    pub date: NaiveDate,
    pub n: u32,
    pub result: NaiveDate,
    /// The answer rests on a provisional year (no notice loaded): it may change when the
    /// notice is.
    pub provisional: bool,
    pub provisional_years: Vec<i32>,
}

/// Whether a day is a working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsWorkday {
    pub date: NaiveDate,
    pub workday: bool,
    /// `workday`, `weekend`, `holiday` (with its festival) or `makeup_workday`.
    #[serde(flatten)]
    pub kind: DayKind,
    pub provisional: bool,
    pub provisional_years: Vec<i32>,
}

/// Working days in (from, to].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkdaysBetween {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub workdays: i64,
    pub provisional: bool,
    pub provisional_years: Vec<i32>,
}

/// The `n`-th working day strictly after `date` on the calendar in force now. The calendar
/// is public: no principal is asked.
#[tracing::instrument(skip(app))]
pub async fn add_workdays(app: &App, date: NaiveDate, n: u32) -> Result<AddWorkdays> {
    add_workdays_on(calendars(app).await?.current(), date, n)
}

/// [`add_workdays`] on a given calendar (a command without a database asks the standard one).
pub fn add_workdays_on(cal: &calendar::WorkCalendar, date: NaiveDate, n: u32) -> Result<AddWorkdays> {
    let result = cal.add_workdays(date, n)?;
    let provisional_years = cal.provisional_years(date, result);
    Ok(AddWorkdays { date, n, result, provisional: !provisional_years.is_empty(), provisional_years })
}

/// Whether `date` is a working day on the calendar in force now.
#[tracing::instrument(skip(app))]
pub async fn is_workday(app: &App, date: NaiveDate) -> Result<IsWorkday> {
    is_workday_on(calendars(app).await?.current(), date)
}

/// [`is_workday`] on a given calendar.
pub fn is_workday_on(cal: &calendar::WorkCalendar, date: NaiveDate) -> Result<IsWorkday> {
    let kind = cal.day_kind(date)?;
    let provisional_years = cal.provisional_years(date, date);
    Ok(IsWorkday {
        date,
        workday: kind.is_workday(),
        kind,
        provisional: !provisional_years.is_empty(),
        provisional_years,
    })
}

/// The working days in (from, to] on the calendar in force now (negative when `to` is first).
#[tracing::instrument(skip(app))]
pub async fn workdays_between(app: &App, from: NaiveDate, to: NaiveDate) -> Result<WorkdaysBetween> {
    workdays_between_on(calendars(app).await?.current(), from, to)
}

/// [`workdays_between`] on a given calendar.
pub fn workdays_between_on(
    cal: &calendar::WorkCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<WorkdaysBetween> {
    let workdays = cal.workdays_between(from, to)?;
    let provisional_years = cal.provisional_years(from, to);
    Ok(WorkdaysBetween { from, to, workdays, provisional: !provisional_years.is_empty(), provisional_years })
}

/// A year as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearView {
    pub year: i32,
    /// `official` (loaded from its notice), `embedded` (shipped) or `provisional`.
    pub status: YearStatus,
    /// The notice, or for a provisional year the rules it is computed by.
    pub notice: String,
    /// For a loaded year: when and by whom the arrangement in force was loaded, and how many
    /// times the year was loaded in all.
    pub loaded_at: Option<DateTime<FixedOffset>>,
    pub loaded_by: Option<String>,
    pub loads: u32,
    /// Days off and make-up working days of the arrangement in force.
    pub holidays: u32,
    pub makeup_workdays: u32,
}

/// The years of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearsView {
    /// Every year from the first through next year (or through the last loaded one, if
    /// later); with `all`, through [`calendar::LAST_YEAR`].
    pub years: Vec<YearView>,
    /// Every year after the listed ones, through this one, is provisional.
    pub provisional_through: i32,
    /// The notice admins are asked to load now, if any ([`warning_at`]).
    pub warning: Option<CalendarWarning>,
}

/// Years that must be loaded: the current year if it is still provisional, and from 1
/// October next year's until its notice is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarWarning {
    pub years: Vec<i32>,
}

impl CalendarWarning {
    /// The warning as pages show it.
    pub fn text(&self, lang: i18n::Lang) -> String {
        let ys: Vec<String> = self.years.iter().map(ToString::to_string).collect();
        match lang {
            i18n::Lang::Zh => format!(
                "{} 年的节假日安排尚未导入，相关期限按《全国年节及纪念日放假办法》暂定推算；国务院办公厅通知发布后请在“工作日历”中导入",
                ys.join("、")
            ),
            i18n::Lang::En => format!(
                "the holiday arrangement of {} is not loaded: deadlines in it are provisional, computed by the national \
                 holiday rules; load the State Council's notice on the calendar page once it is published",
                ys.join(", ")
            ),
        }
    }
}

/// The warning on `today`: the current year if still provisional, and from 1 October the
/// next one too, until loaded.
pub fn warning_at(cal: &calendar::WorkCalendar, today: NaiveDate) -> Option<CalendarWarning> {
    let y = today.year();
    let mut years = vec![y];
    if today.month() >= 10 {
        years.push(y + 1);
    }
    years.retain(|y| cal.year_info(*y).is_some_and(|i| i.status == YearStatus::Provisional));
    (!years.is_empty()).then_some(CalendarWarning { years })
}

/// The calendar warning admins see now (`None` for everyone else, or when nothing is missing).
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn warning_for(app: &App, who: &Principal) -> Result<Option<CalendarWarning>> {
    if !authz::authorize(who, authz::Action::Write, authz::Resource::Calendar).is_allowed() {
        return Ok(None);
    }
    let cals = calendars(app).await?;
    Ok(warning_at(cals.current(), app.today()))
}

/// The years of the calendar with their status (every signed-in role; the CLI's operator).
#[tracing::instrument(skip(app))]
pub async fn years(app: &App, all: bool) -> Result<YearsView> {
    let cals = calendars(app).await?;
    Ok(years_on(&cals, app.today(), all))
}

/// [`years`] of given calendars on `today`.
pub fn years_on(cals: &Calendars, today: NaiveDate, all: bool) -> YearsView {
    let cal = cals.current();
    let loads = cals.loads();
    let last_loaded = loads.iter().map(|l| l.arrangement.year).max().unwrap_or(calendar::FIRST_YEAR);
    let through =
        if all { calendar::LAST_YEAR } else { (today.year() + 1).max(last_loaded).min(calendar::LAST_YEAR) };
    let years = calendar::WorkCalendar::standard_arrangements()
        .iter()
        .map(|a| a.year)
        .filter(|y| *y <= through)
        .filter_map(|y| {
            let info = cal.year_info(y)?;
            let of_year: Vec<_> = loads.iter().filter(|l| l.arrangement.year == y).collect();
            let latest = of_year.last();
            let arrangement: &YearArrangement = match latest {
                Some(l) => &l.arrangement,
                None => calendar::WorkCalendar::standard_arrangements().iter().find(|a| a.year == y)?,
            };
            Some(YearView {
                year: y,
                status: info.status,
                notice: info.notice.clone(),
                loaded_at: latest.map(|l| l.loaded_at),
                loaded_by: latest.map(|l| l.loaded_by.clone()),
                loads: of_year.len() as u32,
                holidays: arrangement.holidays().count() as u32,
                makeup_workdays: arrangement.makeup_workdays().count() as u32,
            })
        })
        .collect();
    YearsView { years, provisional_through: calendar::LAST_YEAR, warning: warning_at(cal, today) }
}

/// One year's days as the calendar page shows them.
#[tracing::instrument(skip_all)]
pub async fn year_days(app: &App, year: i32) -> Result<YearArrangement> {
    let cals = calendars(app).await?;
    let loaded =
        cals.latest_loads().into_iter().find(|l| l.arrangement.year == year).map(|l| l.arrangement.clone());
    match loaded {
        Some(a) => Ok(a),
        None => calendar::WorkCalendar::standard_arrangements()
            .iter()
            .find(|a| a.year == year)
            .cloned()
            .ok_or_else(|| {
                calendar::CalendarError::YearNotCovered {
                    year,
                    first: calendar::FIRST_YEAR,
                    last: calendar::LAST_YEAR,
                }
                .into()
            }),
    }
}

/// A year's notice to load.
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    /// The year's CSV text (`date,kind,festival`, the shape of `data/holidays/YYYY.csv`).
    pub text: String,
    /// The year, if the dates are not to decide it.
    pub year: Option<i32>,
    /// The notice (title and number), if the file has no `# 来源 / source:` line or it is to
    /// be replaced.
    pub notice: Option<String>,
}

/// The deadlines one problem moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovedDeadlines {
    pub problem_id: i64,
    pub lead_department: String,
    pub changes: Vec<DeadlineChange>,
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadOutcome {
    pub year: i32,
    pub notice: String,
    /// The load's number.
    pub load: i64,
    pub loaded_at: DateTime<FixedOffset>,
    /// The year's status before (`provisional`, `embedded` or `official` for a correction).
    pub was: YearStatus,
    pub holidays: u32,
    pub makeup_workdays: u32,
    #[serde(flatten)]
    pub recomputed: Recomputed,
}

/// The open problems' deadlines laid again on the calendar in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recomputed {
    /// Open problems looked at.
    pub problems_checked: u32,
    /// Those whose deadlines moved, each with a `recompute_deadlines` event.
    pub moved: Vec<MovedDeadlines>,
    /// Problems that could not be recomputed (their log does not replay), with why.
    pub failed: Vec<(i64, String)>,
}

/// Loads a year's notice (admins): the text is read and checked (every statutory holiday of
/// the year off, every make-up working day a weekend day, a notice named), stored as the
/// year's arrangement in force from now, and every open problem whose running deadlines move
/// on the new calendar gets a `recompute_deadlines` event (the system's, audited like any
/// other), which its lead department sees on its page.
#[tracing::instrument(skip(app, who, req), fields(user = %who.username, year = ?req.year))]
pub async fn load(app: &App, who: &Principal, req: LoadRequest) -> Result<LoadOutcome> {
    authz::require(who, authz::Action::Write, authz::Resource::Calendar)?;
    let mut a = YearArrangement::parse(&req.text, req.year, req.notice.as_deref(), YearStatus::Official)?;
    a.notice = a.notice.trim().to_string();
    if a.notice.is_empty() {
        return Err(calendar::CalendarError::NoNotice { year: a.year }.into());
    }
    Error::check_length("notice", &a.notice, 200)?;
    if !(calendar::FIRST_YEAR..=calendar::LAST_YEAR).contains(&a.year) {
        return Err(calendar::CalendarError::YearNotCovered {
            year: a.year,
            first: calendar::FIRST_YEAR,
            last: calendar::LAST_YEAR,
        }
        .into());
    }
    a.check_statutory()?;
    let before = calendars(app).await?;
    let was = before.current().year_info(a.year).map_or(YearStatus::Provisional, |i| i.status);
    let now = app.now();
    let row = app.store.load_calendar_year(&a, &who.stamp(now)).await?;
    tracing::info!(year = a.year, load = row.id, "calendar year loaded");
    let recomputed = recompute_open(app, a.year, &a.notice).await?;
    Ok(LoadOutcome {
        year: a.year,
        notice: a.notice.clone(),
        load: row.id,
        loaded_at: row.loaded_at,
        was,
        holidays: a.holidays().count() as u32,
        makeup_workdays: a.makeup_workdays().count() as u32,
        recomputed,
    })
}

/// Lays the running deadlines of every open problem again on the calendar in force (admins):
/// what a load does after storing the year, and what to run again if it was cut off. Names
/// the newest loaded year and its notice in each event.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn recompute(app: &App, who: &Principal) -> Result<Recomputed> {
    authz::require(who, authz::Action::Write, authz::Resource::Calendar)?;
    let cals = calendars(app).await?;
    let Some(last) = cals.loads().last() else { return Ok(Recomputed::default()) };
    let (year, notice) = (last.arrangement.year, last.arrangement.notice.clone());
    recompute_open(app, year, &notice).await
}

async fn recompute_open(app: &App, year: i32, notice: &str) -> Result<Recomputed> {
    let filter = ProblemFilter { open: Some(true), ..Default::default() };
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) = app.store.list_problems(&filter, Page::new(offset, Page::MAX_LIMIT)).await?;
        offset += page.len() as u64;
        let empty = page.is_empty();
        rows.extend(page);
        if empty || offset >= total {
            break;
        }
    }
    let system = Principal::system().handling_actor();
    let in_force = calendars(app).await?.current_from();
    let mut out = Recomputed::default();
    let cmd = Command::new(Action::RecomputeDeadlines { year, notice: notice.to_string(), changes: vec![] });
    for row in rows {
        out.problems_checked += 1;
        // Now, once the newest calendar is in force (the second after its load), and not before
        // the problem's last event.
        let at = app.now().max(row.projection.updated_at).max(in_force.unwrap_or_else(|| app.now()));
        match app.store.record_transition(row.id, &cmd, &system, at, app.now()).await {
            Ok(rec) => {
                if let Some(e) = rec.events.last()
                    && let Action::RecomputeDeadlines { changes, .. } = &e.event.action
                {
                    out.moved.push(MovedDeadlines {
                        problem_id: row.id,
                        lead_department: rec.state.lead.clone(),
                        changes: changes.clone(),
                    });
                }
            }
            Err(ProblemError::Handling(
                HandlingError::NothingToRecompute | HandlingError::Illegal { .. },
            )) => {}
            Err(e) => {
                tracing::warn!(problem.id = row.id, error = %e, "deadlines not recomputed");
                out.failed.push((row.id, i18n::Localized::bilingual(&e)));
            }
        }
    }
    tracing::info!(checked = out.problems_checked, moved = out.moved.len(), "deadlines recomputed");
    Ok(out)
}

/// After an event recorded with a time before the newest calendar load (a record entered
/// late), the problem's deadlines may still be the old calendar's: lay them on the calendar
/// in force, as a load would have. Nothing when nothing moves.
pub(crate) async fn follow_calendar(app: &App, id: i64, at: DateTime<FixedOffset>) -> Result<()> {
    let cals = calendars(app).await?;
    let Some(from) = cals.current_from().filter(|from| at < *from) else { return Ok(()) };
    let Some(last) = cals.loads().last() else { return Ok(()) };
    let cmd = Command::new(Action::RecomputeDeadlines {
        year: last.arrangement.year,
        notice: last.arrangement.notice.clone(),
        changes: vec![],
    });
    let rec = app.store.get_problem(id).await?;
    if !rec.state.state.is_open() {
        return Ok(());
    }
    let when = app.now().max(rec.state.last_at).max(from);
    match app.store.record_transition(id, &cmd, &Principal::system().handling_actor(), when, app.now()).await
    {
        Ok(_) | Err(ProblemError::Handling(HandlingError::NothingToRecompute)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Whether a problem's running deadlines lie in a provisional year of the newest calendar.
pub fn deadlines_provisional(cal: &calendar::WorkCalendar, s: &handling::ProblemState) -> bool {
    let d = handling::deadlines(s);
    let mut dates = vec![d.accept_by.date(), d.answer_by.date()];
    dates.extend(d.objection_by);
    dates.extend(d.report_by);
    dates.extend(d.confirm_by);
    dates.extend(s.open_escalation().map(|c| c.reply_by));
    let running = s.state.is_open() && s.state != State::Confirmed;
    running
        && dates.iter().any(|x| cal.year_info(x.year()).is_some_and(|i| i.status == YearStatus::Provisional))
}

/// The deadline changes calendar loads made to the problems a department leads (its page's
/// notices); supervisors, leaders and admins see every department's.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn deadline_notices(
    app: &App,
    who: &Principal,
    limit: u32,
) -> Result<Vec<store::follow_ups::DeadlineNotice>> {
    use store::Role;
    let department = match who.role {
        Role::Department => Some(who.department.clone().ok_or(Error::Forbidden)?),
        Role::Supervisor | Role::Leader | Role::Admin => None,
        _ => return Err(Error::Forbidden),
    };
    Ok(app.store.deadline_notices(department.as_deref(), limit.clamp(1, 200)).await?)
}

#[cfg(test)]
mod tests;
