//! The working-day calendar over HTTP (`app::calendar`), and the follow-ups and spot checks
//! of the three lists (`app::problems::{follow_ups, spot_check_sample}`).
//!
//! - `GET /api/v1/calendar/years`, `POST /api/v1/calendar/years` (admins: load a year's
//!   notice), `GET /api/v1/calendar/add-workdays?date=&n=`;
//! - `/admin/calendar`: every year with its status and notice, one year's days
//!   (`?year=2027`), and the form that loads a notice (pasted CSV, the notice's number);
//! - `/follow-ups`: open 督办 cases and consultation decisions with their lights;
//! - `/spot-checks?period=`: the period's sample of closures without confirmation.
//!
//! Only translation happens here: queries and forms to requests, results to JSON and pages.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Response};
use i18n::{Lang, Localized};
use serde::Deserialize;
use std::collections::HashMap;

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};

/// Every year of the calendar with its status (`official` with its notice, `embedded`,
/// `provisional`), and the years admins are asked to load.
#[utoipa::path(get, path = "/api/v1/calendar/years", tag = "calendar",
    params(("all" = Option<bool>, Query, description = "every year through 2100")),
    responses(
        (status = 200, description = "app::calendar::YearsView", body = Object),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_years(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<app::calendar::YearsView>, WebError> {
    authz::require(&p, Action::Read, Resource::Calendar)?;
    let all = raw.get("all").is_some_and(|v| v == "true" || v == "1");
    Ok(Json(app::calendar::years(&state, all).await?))
}

/// A year's notice to load.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct LoadIn {
    /// The year's CSV (`date,kind,festival`; `holiday` or `workday` rows; a
    /// `# 来源 / source:` line naming the notice).
    pub text: String,
    /// The notice's title and number, if the text does not name it.
    pub notice: Option<String>,
    /// The year, if the dates are not to decide it.
    pub year: Option<i32>,
}

/// Loads a year's notice (admins): checked (every statutory holiday off, make-up working
/// days on weekends, a notice named), stored as the year's arrangement from now on; the
/// running deadlines of open problems that move are recomputed, each by an audited event.
#[utoipa::path(post, path = "/api/v1/calendar/years", tag = "calendar", request_body = LoadIn,
    responses(
        (status = 200, description = "app::calendar::LoadOutcome", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_load(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<LoadIn>, JsonRejection>,
) -> Result<Json<app::calendar::LoadOutcome>, WebError> {
    let b = json(body)?;
    let req = app::calendar::LoadRequest { text: b.text, notice: b.notice, year: b.year };
    Ok(Json(app::calendar::load(&state, &p, req).await?))
}

/// The N-th working day after a date on the zone's calendar, and whether the answer is
/// provisional.
#[utoipa::path(get, path = "/api/v1/calendar/add-workdays", tag = "calendar",
    params(("date" = String, Query, description = "YYYY-MM-DD"), ("n" = u32, Query, description = "working days, at least 1")),
    responses(
        (status = 200, description = "app::calendar::AddWorkdays", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_add_workdays(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<app::calendar::AddWorkdays>, WebError> {
    authz::require(&p, Action::Read, Resource::Calendar)?;
    let param = |k: &str| raw.get(k).cloned().unwrap_or_default();
    let date = calendar::parse_date(&param("date")).map_err(app::Error::from)?;
    let n = param("n")
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| WebError::InvalidParam { param: "n".into(), value: param("n") })?;
    Ok(Json(app::calendar::add_workdays(&state, date, n).await?))
}

/// One year's row on the page.
#[derive(Debug, Clone)]
pub struct YearRow {
    pub year: i32,
    pub status: &'static str,
    pub status_label: String,
    pub notice: String,
    pub loaded: String,
    pub holidays: u32,
    pub makeup_workdays: u32,
}

/// One day of the shown year.
#[derive(Debug, Clone)]
pub struct DayRow {
    pub date: String,
    pub weekday: String,
    pub off: bool,
    pub festival: String,
}

#[derive(askama::Template)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    pub b: Base,
    pub years: Vec<YearRow>,
    pub provisional_from: Option<i32>,
    pub provisional_through: i32,
    pub shown_year: i32,
    pub shown_status: String,
    pub shown_notice: String,
    pub days: Vec<DayRow>,
    pub message: Option<String>,
    pub error: Option<String>,
    /// What the load moved: (problem, lead, changes as text).
    pub moved: Vec<(i64, String, String)>,
    pub text: String,
    pub notice: String,
}

fn status_label(s: calendar::YearStatus, tr: Tr) -> String {
    match s {
        calendar::YearStatus::Official => tr.t("ui.calendar.official"),
        calendar::YearStatus::Embedded => tr.t("ui.calendar.embedded"),
        calendar::YearStatus::Provisional => tr.t("ui.calendar.provisional"),
    }
}

fn weekday(d: chrono::NaiveDate, tr: Tr) -> String {
    use chrono::Datelike;
    let zh = ["一", "二", "三", "四", "五", "六", "日"];
    let en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = d.weekday().num_days_from_monday() as usize;
    if tr.is_en() { en[i].to_string() } else { format!("周{}", zh[i]) }
}

struct Outcome {
    message: Option<String>,
    error: Option<String>,
    moved: Vec<(i64, String, String)>,
    text: String,
    notice: String,
}

async fn calendar_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    year: Option<i32>,
    outcome: Outcome,
) -> Result<Html<String>, WebError> {
    authz::require(p, Action::Write, Resource::Calendar)?;
    let tr = Tr(lang);
    let v = app::calendar::years(state, false).await?;
    let years: Vec<YearRow> = v
        .years
        .iter()
        .map(|y| YearRow {
            year: y.year,
            status: y.status.as_str(),
            status_label: status_label(y.status, tr),
            notice: y.notice.clone(),
            loaded: match (&y.loaded_at, &y.loaded_by) {
                (Some(at), Some(by)) => format!("{} {}", i18n::dates::time_table(*at), by),
                _ => String::new(),
            },
            holidays: y.holidays,
            makeup_workdays: y.makeup_workdays,
        })
        .collect();
    let last = years.last().map_or(calendar::FIRST_YEAR, |y| y.year);
    let shown_year = year.unwrap_or_else(|| {
        v.years.iter().find(|y| y.status == calendar::YearStatus::Provisional).map_or(last, |y| y.year)
    });
    let a = app::calendar::year_days(state, shown_year).await?;
    let days = a
        .days
        .iter()
        .map(|d| DayRow {
            date: d.date.format("%Y-%m-%d").to_string(),
            weekday: weekday(d.date, tr),
            off: d.kind == calendar::ArrangedKind::Holiday,
            festival: d.festival.clone(),
        })
        .collect();
    views::render(&CalendarPage {
        b: Base::new(lang, Some(p), "/admin/calendar", "ui.calendar.title"),
        years,
        provisional_from: (last < v.provisional_through).then_some(last + 1),
        provisional_through: v.provisional_through,
        shown_year,
        shown_status: status_label(a.status, tr),
        shown_notice: a.notice.clone(),
        days,
        message: outcome.message,
        error: outcome.error,
        moved: outcome.moved,
        text: outcome.text,
        notice: outcome.notice,
    })
}

/// The admin's calendar page.
pub async fn page_calendar(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let year = raw.get("year").and_then(|y| y.trim().parse::<i32>().ok());
    let none =
        Outcome { message: None, error: None, moved: Vec::new(), text: String::new(), notice: String::new() };
    calendar_page(&state, lang, &p, year, none).await
}

/// The load form of the calendar page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LoadForm {
    pub text: String,
    #[serde(default)]
    pub notice: String,
}

/// Loads a notice from the page; back to the page with what moved, or the refusal.
pub async fn page_load(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<LoadForm>, FormRejection>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Write, Resource::Calendar)?;
    let f = form(f)?;
    let tr = Tr(lang);
    let notice = Some(f.notice.trim().to_string()).filter(|n| !n.is_empty());
    let req = app::calendar::LoadRequest { text: f.text.replace("\r\n", "\n"), notice, year: None };
    match app::calendar::load(&state, &p, req).await {
        Ok(out) => {
            let moved = out
                .recomputed
                .moved
                .iter()
                .map(|m| {
                    let changes: Vec<String> = m
                        .changes
                        .iter()
                        .map(|c| {
                            format!(
                                "{} {} → {}",
                                tr.pick(c.deadline.label_zh(), c.deadline.as_str()),
                                c.from,
                                c.to
                            )
                        })
                        .collect();
                    (m.problem_id, m.lead_department.clone(), changes.join("；"))
                })
                .collect();
            let message = Some(format!(
                "{} {}（{}）· {} {} / {}",
                tr.t("ui.calendar.loaded"),
                out.year,
                out.notice,
                tr.t("ui.calendar.moved"),
                out.recomputed.moved.len(),
                out.recomputed.problems_checked
            ));
            let o = Outcome { message, error: None, moved, text: String::new(), notice: String::new() };
            Ok(calendar_page(&state, lang, &p, Some(out.year), o).await?.into_response())
        }
        Err(e) => {
            let err = WebError::from(e);
            let status = err.status();
            if !status.is_client_error() || status == axum::http::StatusCode::FORBIDDEN {
                return Err(err);
            }
            let o = Outcome {
                message: None,
                error: Some(err.render(lang)),
                moved: Vec::new(),
                text: f.text,
                notice: f.notice,
            };
            let mut resp = calendar_page(&state, lang, &p, None, o).await?.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

/// A follow-up's row on a page.
#[derive(Debug, Clone)]
pub struct FollowUpRow {
    pub problem_id: i64,
    pub kind: String,
    pub no: u32,
    pub owner: String,
    pub text: String,
    pub due: String,
    pub warning: &'static str,
    pub warning_label: String,
}

/// The rows of follow-ups as pages show them.
pub fn follow_up_rows(
    list: &[app::problems::FollowUpView],
    tr: Tr,
    dept: &dyn Fn(&str) -> String,
) -> Vec<FollowUpRow> {
    list.iter()
        .map(|v| {
            let f = &v.follow_up;
            FollowUpRow {
                problem_id: f.problem_id,
                kind: tr.pick(f.kind.label_zh(), f.kind.as_str()).to_string(),
                no: f.no,
                owner: dept(&f.owner),
                text: f.text.clone(),
                due: f.due.format("%Y-%m-%d").to_string(),
                warning: v.warning.as_str(),
                warning_label: tr.t(match v.warning {
                    handling::Warning::Red => "ui.warning.red",
                    handling::Warning::Yellow => "ui.warning.yellow",
                    handling::Warning::None => "ui.warning.none",
                }),
            }
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "follow_ups.html")]
pub struct FollowUpsPage {
    pub b: Base,
    pub rows: Vec<FollowUpRow>,
}

/// Open 督办 cases and consultation decisions across departments (leaders, supervisors,
/// admins), overdue first.
pub async fn page_follow_ups(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let req = app::problems::FollowUpRequest {
        owner: raw.get("department").cloned(),
        kind: raw.get("kind").cloned(),
        all: raw.contains_key("all"),
    };
    let list = app::problems::follow_ups(&state, &p, req).await?;
    let routing = crate::routes::problems::routing(&state).await?;
    let tr = Tr(lang);
    let dept = |c: &str| {
        routing.department(c).map(|d| tr.pick(&d.name, &d.en).to_string()).unwrap_or_else(|| c.into())
    };
    let mut rows = follow_up_rows(&list, tr, &dept);
    rows.sort_by_key(|r| match r.warning {
        "red" => 0,
        "yellow" => 1,
        _ => 2,
    });
    views::render(&FollowUpsPage { b: Base::new(lang, Some(&p), "/follow-ups", "ui.follow_ups.page"), rows })
}

#[derive(askama::Template)]
#[template(path = "spot_checks.html")]
pub struct SpotChecksPage {
    pub b: Base,
    pub period: String,
    pub population: u32,
    pub percent: String,
    pub source: String,
    pub rows: Vec<(i64, String, String, String, String, String)>,
}

/// The period's sample of closures without confirmation (supervisors, admins): each to be
/// called back, the answer recorded on the problem (抽查回访), reopened if not solved.
pub async fn page_spot_checks(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let period = crate::routes::reports::period_param(&raw)?;
    let s = app::problems::spot_check_sample(&state, &p, period).await?;
    let tr = Tr(lang);
    let routing = crate::routes::problems::routing(&state).await?;
    let dept = |c: &str| {
        routing.department(c).map(|d| tr.pick(&d.name, &d.en).to_string()).unwrap_or_else(|| c.into())
    };
    let rows = s
        .sample
        .iter()
        .map(|c| {
            let checked = match c.checked {
                Some(true) => tr.t("ui.solved.yes"),
                Some(false) => tr.t("ui.solved.no"),
                None => tr.t("ui.spot_checks.not_yet"),
            };
            (
                c.problem_id,
                c.enterprise_name.clone(),
                dept(&c.lead_department),
                i18n::dates::time_table(c.closed_at),
                handling::state_name(c.state, lang),
                checked,
            )
        })
        .collect();
    views::render(&SpotChecksPage {
        b: Base::new(lang, Some(&p), "/spot-checks", "ui.spot_checks.title"),
        period: s.period,
        population: s.population,
        percent: s.percent.to_string(),
        source: app::settings::source_in(&s.source, lang).to_string(),
        rows,
    })
}
