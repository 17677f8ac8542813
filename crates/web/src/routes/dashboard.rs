//! The leader's and supervisor's dashboard (`/dashboard`): problems by state, category and
//! department as server-rendered SVG bar charts (no JavaScript), the KPI table of the
//! period with the thresholds and their source, the red and yellow lists, the weekly trend,
//! and links to the supervision report and the ledger. The KPIs are also JSON: `GET
//! /api/v1/kpi?period=2022-05`. What they show is the use cases' (`app::reports::dashboard`,
//! `app::kpis::kpis`); here only the charts are drawn.
//!
//! Every chart has a text twin (a table) for screen readers; the SVGs are `role="img"` with
//! a title.

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::problems::Names;
use crate::routes::reports::{self, PeriodQuery, SupervisionReport, rate_text, thresholds_text};
use crate::state::AppState;
use crate::views::{self, Base};
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Html;
use kpi::{KpiRow, Rate};
use std::collections::HashMap;

/// The KPIs of a period (`kpi::KpiReport`): the overall row, per department (all
/// categories, then each), per category; rates as numerator, denominator and a percentage
/// rounded half away from zero to two decimals (null without a denominator).
#[utoipa::path(get, path = "/api/v1/kpi", tag = "kpi", params(PeriodQuery),
    responses(
        (status = 200, description = "kpi::KpiReport", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_kpi(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<kpi::KpiReport>, WebError> {
    authz::require(&p, Action::Read, Resource::Kpi)?;
    let period = reports::period_param(&raw)?;
    let req = app::kpis::KpiRequest { period, as_of: None };
    Ok(Json(app::kpis::kpis(&state, &p, req).await?.report))
}

/// One bar of a chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    /// The list this bar stands for.
    pub href: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart as SVG: one bar per item with its label and value. Text is
/// escaped; the SVG carries no script and no style attribute (CSP), only presentation
/// attributes.
pub fn svg_bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let row = 26;
    let label_w = 170;
    let bar_w = 300;
    let h = row * bars.len().max(1) + 10;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-labelledby=\"{id}-t\"><title id=\"{id}-t\">{}</title>",
        esc(title),
        w = label_w + bar_w + 60
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i * row + 5;
        let w = (b.value as usize * bar_w) / max as usize;
        s.push_str(&format!(
            "<a href=\"{}\"><text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>\
             <rect x=\"{}\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"#1f5f9e\"></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text></a>",
            esc(&b.href),
            label_w - 6,
            y + 14,
            esc(&b.label),
            label_w,
            label_w + w + 6,
            y + 14,
            b.value
        ));
    }
    s.push_str("</svg>");
    s
}

/// The weekly trend as SVG: received, answered and closed bars per week. The three series
/// differ by fill pattern as well as colour (solid, hatched, dotted; the legend shows both),
/// so the chart reads in grey or for a colour-blind reader; each bar's value is in its title
/// and in the table twin.
pub fn svg_trend(id: &str, title: &str, legend: [&str; 3], points: &[reports::WeekPoint]) -> String {
    let col = 70;
    let h = 160;
    let base = 130;
    let max =
        points.iter().map(|p| p.received.max(p.answered).max(p.closed)).max().unwrap_or(0).max(1) as usize;
    let w = (col * points.len().max(1) + 20).max(350);
    let colors = ["#1f5f9e", "#f9a825", "#2e7d32"];
    let fills = [colors[0].to_string(), format!("url(#{id}-hatch)"), format!("url(#{id}-dots)")];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{w}\" height=\"{hh}\" \
         viewBox=\"0 0 {w} {hh}\" role=\"img\" aria-labelledby=\"{id}-t\"><title id=\"{id}-t\">{}</title>\
         <defs><pattern id=\"{id}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{}\"></rect>\
         <rect width=\"2\" height=\"6\" fill=\"#5d4100\"></rect></pattern>\
         <pattern id=\"{id}-dots\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\">\
         <rect width=\"5\" height=\"5\" fill=\"{}\"></rect><circle cx=\"2.5\" cy=\"2.5\" r=\"1.3\" fill=\"#ffffff\">\
         </circle></pattern></defs>",
        esc(title),
        colors[1],
        colors[2],
        hh = h + 30,
    );
    for (i, p) in points.iter().enumerate() {
        let x0 = 10 + i * col;
        for (j, v) in [p.received, p.answered, p.closed].into_iter().enumerate() {
            let bh = (v as usize * 100) / max;
            s.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"16\" height=\"{bh}\" fill=\"{}\" stroke=\"#222\" \
                 stroke-width=\"0.5\"><title>{} {}</title></rect>",
                x0 + j * 18,
                base - bh,
                fills[j],
                esc(legend[j]),
                v
            ));
        }
        let label = p.week.split('-').nth(1).unwrap_or(&p.week);
        s.push_str(&format!("<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>", x0, base + 16, esc(label)));
    }
    for (j, l) in legend.iter().enumerate() {
        let x = 10 + j * 110;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#222\" \
             stroke-width=\"0.5\"></rect><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            h + 8,
            fills[j],
            x + 16,
            h + 18,
            esc(l)
        ));
    }
    s.push_str("</svg>");
    s
}

/// The dashboard page.
#[derive(askama::Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub b: Base,
    pub n: Names,
    pub r: SupervisionReport,
    pub by_state: Vec<Bar>,
    pub by_category: Vec<Bar>,
    pub by_department: Vec<Bar>,
    pub charts: Vec<(String, String, String)>,
    pub trend_svg: String,
    /// The largest common problems (the leader's and supervisor's home only).
    pub common: Option<Vec<app::common::CommonProblem>>,
    /// The effect report of the period's quarter (帮扶效果), if it could be built.
    pub effects: Option<crate::routes::effects::Section>,
    /// The plan's service lines this month (活动, 融资对接, …: issue 15).
    pub service_lines: Vec<app::service_lines::ServiceLineKpi>,
}

impl DashboardPage {
    pub fn pct(&self, r: &Rate) -> String {
        rate_text(r)
    }
    pub fn avg(&self, d: &Option<rust_decimal::Decimal>) -> String {
        d.map_or_else(|| "—".to_string(), |d| d.to_string())
    }
    pub fn rows(&self) -> Vec<&KpiRow> {
        self.r.departments.iter().map(|d| &d.kpi).collect()
    }
    /// The thresholds in force, as a line: `响应率 90%、…`.
    pub fn thresholds(&self) -> String {
        thresholds_text(&self.b.tr, &self.r.thresholds)
    }
    /// The period's self-service answers (counted apart from problems).
    pub fn self_service(&self) -> String {
        app::kpis::self_service_text(&self.r.self_service)
    }
    /// Where they come from, in the reader's language.
    pub fn source(&self) -> &str {
        app::settings::source_in(&self.r.thresholds.source, self.b.tr.0)
    }
}

/// `/dashboard?period=2022-05`: leaders, supervisors and admins.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    views::render(&dashboard_page(&state, lang, &p, &raw, "/dashboard").await?)
}

/// The dashboard's content at `path` (`/dashboard`, or `/` for a leader's or supervisor's
/// home, which adds the common problems).
pub async fn dashboard_page(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    raw: &HashMap<String, String>,
    path: &'static str,
) -> Result<DashboardPage, WebError> {
    authz::require(p, Action::Read, Resource::Supervision)?;
    let period = reports::period_param(raw)?;
    let d = app::reports::dashboard(state, p, period).await?;
    let n = Names::new(lang, d.routing);
    let by_state: Vec<Bar> = d
        .by_state
        .iter()
        .map(|(s, v)| Bar {
            label: n.state(s.as_str()),
            value: *v,
            href: format!("/problems?state={}", s.as_str()),
        })
        .collect();
    let by_category: Vec<Bar> = d
        .by_category
        .iter()
        .map(|(c, v)| Bar { label: n.category(c), value: *v, href: format!("/problems?category={c}") })
        .collect();
    let by_department: Vec<Bar> = d
        .by_department
        .iter()
        .map(|(x, v)| Bar { label: n.dept(x), value: *v, href: format!("/problems?department={x}") })
        .collect();
    let r = d.report;
    let tr = crate::lang::Tr(lang);
    let charts = vec![
        (
            "c-state".to_string(),
            tr.t("ui.dashboard.by_state"),
            svg_bars("c-state", &tr.t("ui.dashboard.by_state"), &by_state),
        ),
        (
            "c-category".to_string(),
            tr.t("ui.dashboard.by_category"),
            svg_bars("c-category", &tr.t("ui.dashboard.by_category"), &by_category),
        ),
        (
            "c-department".to_string(),
            tr.t("ui.dashboard.by_department"),
            svg_bars("c-department", &tr.t("ui.dashboard.by_department"), &by_department),
        ),
    ];
    let legend = [tr.t("ui.kpi.received"), tr.t("ui.kpi.answered"), tr.t("ui.kpi.closed")];
    let trend_svg = svg_trend(
        "c-trend",
        &tr.t("ui.report.trend"),
        [legend[0].as_str(), legend[1].as_str(), legend[2].as_str()],
        &r.trend,
    );
    let effects = crate::routes::effects::section(state, p, &r.end).await;
    // The month the period starts in (the dashboard's period is a month unless asked otherwise).
    let month = chrono::NaiveDate::parse_from_str(&r.start, "%Y-%m-%d").unwrap_or_else(|_| state.today());
    let service_lines = app::service_lines::dashboard(state, p, month).await?;
    let b = Base::new(lang, Some(p), path, "ui.dashboard.title");
    Ok(DashboardPage {
        b,
        n,
        r,
        by_state,
        by_category,
        by_department,
        charts,
        trend_svg,
        common: None,
        effects,
        service_lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_text_and_scale_to_the_largest_bar() {
        let bars = vec![
            Bar { label: "<b>甲</b>".into(), value: 4, href: "/problems?state=closed".into() },
            Bar { label: "乙".into(), value: 2, href: "/x".into() },
        ];
        let s = svg_bars("t", "按状态 & 类别", &bars);
        assert!(s.contains("&lt;b&gt;甲&lt;/b&gt;") && !s.contains("<b>"), "{s}");
        assert!(s.contains("按状态 &amp; 类别"));
        assert!(s.contains("width=\"300\"") && s.contains("width=\"150\""), "{s}");
        assert!(!s.contains("style=") && !s.contains("<script"));
        // No bars, no division by zero.
        assert!(svg_bars("e", "空", &[]).ends_with("</svg>"));
    }

    #[test]
    fn the_trend_tells_its_series_apart_without_colour_and_keeps_its_drawn_size() {
        let points =
            vec![reports::WeekPoint { week: "2024-W09".into(), received: 4, answered: 2, closed: 1 }];
        let s = svg_trend("t", "趋势", ["受理", "答复", "销号"], &points);
        // Solid, hatched and dotted fills, in the bars and the legend alike.
        assert_eq!(s.matches("fill=\"url(#t-hatch)\"").count(), 2, "{s}");
        assert_eq!(s.matches("fill=\"url(#t-dots)\"").count(), 2, "{s}");
        assert!(s.contains("<pattern id=\"t-hatch\"") && s.contains("<pattern id=\"t-dots\""));
        // Drawn at its own size (the page scrolls it on a phone rather than shrinking the
        // 12 px labels), wide enough for the legend.
        assert!(s.contains("width=\"350\" height=\"190\""), "{s}");
        assert!(!s.contains("style="));
    }
}
