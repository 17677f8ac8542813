//! The quarterly effect report (帮扶效果季报) over HTTP: `GET /api/v1/reports/effects?quarter=`
//! (JSON), `GET /api/v1/reports/effects.xlsx?quarter=` (the workbook) and the printable page
//! `/reports/effects?quarter=2026Q4`; the leader's dashboard shows the same figures as a
//! section ([`section`]). The report is the use case `app::effects::effects_report` (method:
//! docs/EFFECTS.md); here only the query is parsed and the answer rendered. In Chinese.

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::state::AppState;
use crate::views::{self, Base};
use app::effects::{self, EffectsReport};
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use kpi::Period;
use std::collections::HashMap;
use utoipa::IntoParams;

/// The quarter query parameter.
#[derive(Debug, Clone, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarterQuery {
    /// `2026Q4`; default: the current quarter.
    pub quarter: Option<String>,
}

/// The quarter of the query, or the current one; 400 naming the text when it is not a
/// quarter.
fn quarter_param(state: &AppState, raw: &HashMap<String, String>) -> Result<Period, WebError> {
    match raw.get("quarter").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(q) => Ok(effects::parse_quarter(q)?),
        None => Ok(effects::quarter_of(state.now())),
    }
}

/// The quarterly effect report: per line of help (the plan's sixteen) what it reached and
/// cost, the outcomes of helped enterprises against comparable ones not helped (with sample
/// sizes, intervals and "too few to tell"), problems that came back, the best and weakest
/// lines and the exemplary cases. Leaders, supervisors and admins.
#[utoipa::path(get, path = "/api/v1/reports/effects", tag = "reports", params(QuarterQuery),
    responses(
        (status = 200, body = EffectsReport),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_effects(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<EffectsReport>, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let quarter = quarter_param(&state, &raw)?;
    Ok(Json(effects::effects_report(&state, &p, quarter).await?))
}

/// The quarterly effect report as an Excel workbook (Chinese sheets).
#[utoipa::path(get, path = "/api/v1/reports/effects.xlsx", tag = "reports", params(QuarterQuery),
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_effects_xlsx(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let quarter = quarter_param(&state, &raw)?;
    let r = effects::effects_report(&state, &p, quarter).await?;
    let created = state.now().with_timezone(&store::china_offset()).naive_local();
    let bytes = effects::effects_workbook(&r, created).to_bytes().map_err(WebError::internal)?;
    Ok(crate::routes::reports::xlsx(bytes, &format!("effects-{}.xlsx", r.quarter)))
}

/// The report's figures as the page and the dashboard section show them.
pub struct Section {
    pub r: EffectsReport,
    pub reach_svg: String,
    pub outcome_svg: String,
}

impl Section {
    pub fn of(r: EffectsReport) -> Section {
        Section { reach_svg: effects::reach_chart_svg(&r), outcome_svg: effects::outcome_chart_svg(&r), r }
    }
    /// When the figures were read (China time), e.g. `2026年12月6日 13:05`.
    pub fn generated(&self) -> String {
        chrono::DateTime::parse_from_rfc3339(&self.r.generated_at)
            .map_or_else(|_| self.r.generated_at.clone(), i18n::dates::time_zh)
    }
    pub fn pct(&self, p: &Option<f64>) -> String {
        p.map_or_else(|| "—".into(), |p| format!("{p:.1}%"))
    }
    pub fn rate(&self, p: &Option<rust_decimal::Decimal>) -> String {
        p.map_or_else(|| "—".into(), |p| format!("{p}%"))
    }
    /// Outcome rows with a finding or an interval first, then the too-few ones.
    pub fn outcomes(&self) -> Vec<&effects::OutcomeRow> {
        let mut v: Vec<&effects::OutcomeRow> = self.r.outcomes.iter().collect();
        v.sort_by_key(|o| (o.low_pct.is_none(), o.line, o.measure.clone()));
        v
    }
}

/// The effect report for the dashboard: the quarter of the dashboard's period end. A failure
/// of the report leaves the section out rather than the dashboard (it is logged).
pub async fn section(state: &AppState, p: &Principal, period_end: &str) -> Option<Section> {
    let day = chrono::NaiveDate::parse_from_str(period_end, "%Y-%m-%d").ok()?;
    let quarter = kpi::period_of(kpi::PeriodKind::Quarter, day);
    match effects::dashboard_report(state, p, quarter).await {
        Ok(r) => Some(Section::of(EffectsReport::clone(&r))),
        Err(e) => {
            tracing::warn!(error = %e, "the dashboard's effect section could not be built");
            None
        }
    }
}

/// `/reports/effects?quarter=2026Q4`: the printable page.
pub async fn page_effects(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let quarter = quarter_param(&state, &raw)?;
    let r = effects::effects_report(&state, &p, quarter).await?;
    let b = Base::new(lang, Some(&p), "/reports/effects", "ui.effects.title");
    views::render(&EffectsPage { b, s: Section::of(r) })
}

#[derive(askama::Template)]
#[template(path = "report_effects.html")]
pub struct EffectsPage {
    pub b: Base,
    pub s: Section,
}
