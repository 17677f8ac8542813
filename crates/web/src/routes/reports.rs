//! Reports of the three lists over HTTP: the periodic supervision report (通报) as JSON, an
//! Excel workbook and a page, and the ledger workbook (问题台账, three sheets: 问题清单,
//! 责任清单, 销号清单).
//!
//! The supervision report is the use case `app::reports::supervision` (its model, the zone
//! settings' thresholds with their source, the workbook and the printable document are the
//! app's, shared with `huiqi report supervision`); here only the query is parsed and the
//! answer rendered. The ledger is the use case `app::problems::ledger`, shared with
//! `huiqi ledger export` (its golden file guards it).

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::problems::{Names, routing};
use crate::state::AppState;
use crate::views::{self, Base};
use app::reports::{SupervisionRequest, supervision, supervision_workbook};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use kpi::{Period, Rate};
use rust_decimal::Decimal;
use std::collections::HashMap;
use utoipa::IntoParams;

pub use app::reports::{
    CONFIDENTIAL_ZH, DepartmentLine, LitProblem, Shortfall, SupervisionReport, Thresholds, WeekPoint,
    rate_text,
};

fn naive(t: DateTime<FixedOffset>) -> NaiveDateTime {
    t.with_timezone(&store::china_offset()).naive_local()
}

/// The period of the query (`?period=2022-05`); `None` when absent or empty (the use cases
/// then take the current month). 400 naming the text when it is not a period.
pub fn period_param(raw: &HashMap<String, String>) -> Result<Option<Period>, WebError> {
    match raw.get("period").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(p) => Ok(Some(Period::parse(p)?)),
        None => Ok(None),
    }
}

pub(crate) fn xlsx(bytes: Vec<u8>, file: &str) -> Response {
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The period query parameter.
#[derive(Debug, Clone, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `2022-05` (month), `2022-W18` (ISO week) or `2022Q2` (quarter); default: this month.
    pub period: Option<String>,
}

// ---------------------------------------------------------------------------------------
// API and pages

/// The supervision report (通报) of a period: department KPIs with the measures below
/// their thresholds (zone settings, with where they come from), red and yellow problems, and
/// the weekly trend.
#[utoipa::path(get, path = "/api/v1/reports/supervision", tag = "reports", params(PeriodQuery),
    responses(
        (status = 200, body = SupervisionReport),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_supervision(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<SupervisionReport>, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let period = period_param(&raw)?;
    Ok(Json(supervision(&state, &p, SupervisionRequest::for_reader(period)).await?))
}

/// The supervision report as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/reports/supervision.xlsx", tag = "reports", params(PeriodQuery),
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_supervision_xlsx(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let period = period_param(&raw)?;
    let r = supervision(&state, &p, SupervisionRequest::for_reader(period)).await?;
    let bytes = supervision_workbook(&r, naive(state.now())).to_bytes().map_err(WebError::internal)?;
    Ok(xlsx(bytes, &format!("supervision-{}.xlsx", r.period)))
}

/// The ledger (问题台账): every problem and its handling as an Excel workbook with three
/// sheets (问题清单, 责任清单, 销号清单). Confidential problems' details are never shown in it.
#[utoipa::path(get, path = "/api/v1/ledger.xlsx", tag = "reports",
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_ledger_xlsx(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    let now = state.now();
    let (wb, _) = app::problems::ledger(&state, app::problems::Reader::User(&p), Some(now)).await?;
    let bytes = wb.to_bytes().map_err(WebError::internal)?;
    Ok(xlsx(bytes, &format!("ledger-{}.xlsx", handling::china_date(now))))
}

/// The supervision report page (`/reports/supervision?period=…`).
pub async fn page_supervision(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let period = period_param(&raw)?;
    let r = supervision(&state, &p, SupervisionRequest::for_reader(period)).await?;
    let routing = routing(&state).await?;
    let b = Base::new(lang, Some(&p), "/reports/supervision", "ui.report.title");
    let can_edit_settings = authz::authorize(&p, Action::Write, Resource::ZoneSettings).is_allowed();
    views::render(&ReportPage { b, n: Names::new(lang, routing), r, can_edit_settings })
}

/// The supervision report page.
#[derive(askama::Template)]
#[template(path = "report_supervision.html")]
pub struct ReportPage {
    pub b: Base,
    pub n: Names,
    pub r: SupervisionReport,
    /// The reader may change the thresholds (admin): the page links to the settings.
    pub can_edit_settings: bool,
}

impl ReportPage {
    pub fn lists(&self) -> Vec<(String, &Vec<LitProblem>)> {
        vec![(self.b.tr.t("ui.report.red"), &self.r.red), (self.b.tr.t("ui.report.yellow"), &self.r.yellow)]
    }
    pub fn pct(&self, r: &Rate) -> String {
        rate_text(r)
    }
    pub fn avg(&self, d: &Option<Decimal>) -> String {
        d.map_or_else(|| "—".to_string(), |d| d.to_string())
    }
    pub fn shortfalls(&self, d: &DepartmentLine) -> String {
        d.below
            .iter()
            .map(|s| {
                let label = match s.measure.as_str() {
                    "response_rate" => self.b.tr.t("ui.kpi.response_rate"),
                    "on_time_closure_rate" => self.b.tr.t("ui.kpi.on_time_closure_rate"),
                    "satisfaction_rate" => self.b.tr.t("ui.kpi.satisfaction_rate"),
                    _ => self.b.tr.t("ui.kpi.resolution_rate"),
                };
                format!("{label} {}% < {}%", s.percent, s.threshold)
            })
            .collect::<Vec<_>>()
            .join("；")
    }
    /// The thresholds in force, as a line: `响应率 90%、…`.
    pub fn thresholds(&self) -> String {
        thresholds_text(&self.b.tr, &self.r.thresholds)
    }
    /// Where they come from, in the reader's language.
    pub fn source(&self) -> &str {
        app::settings::source_in(&self.r.thresholds.source, self.b.tr.0)
    }
}

/// The thresholds of a report in the reader's language: `响应率 90%、按时办结率 90%、…`.
pub fn thresholds_text(tr: &crate::lang::Tr, t: &Thresholds) -> String {
    [
        ("ui.kpi.response_rate", t.response_rate),
        ("ui.kpi.on_time_closure_rate", t.on_time_closure_rate),
        ("ui.kpi.satisfaction_rate", t.satisfaction_rate),
        ("ui.kpi.resolution_rate", t.resolution_rate),
    ]
    .iter()
    .map(|(k, v)| format!("{} {v}%", tr.t(k)))
    .collect::<Vec<_>>()
    .join(if tr.0 == i18n::Lang::Zh { "、" } else { ", " })
}
