//! Reports of the three lists: the ledger workbook (问题台账, three sheets: 问题清单,
//! 责任清单, 销号清单) and the periodic supervision report (通报: departments below
//! thresholds, red and yellow items, weekly trend), as JSON, a page, a standalone printable
//! document and Excel.
//!
//! Each report has one implementation, shared with the CLI (the root crate depends on this
//! one, never the reverse): [`ledger::workbook`] (`huiqi ledger export` re-exports it; its
//! golden file guards it), and for the supervision report [`supervision_from_store`] (loading),
//! [`supervision_report`] (the pure mapping), [`supervision_workbook`] and [`supervision_html`]
//! (`huiqi report supervision` writes these two). Exports are in Chinese. HTTP, principals
//! and the in-app page stay here; files and flags stay in the CLI.

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{Problem, WebError};
use crate::lang::ReqLang;
use crate::routes::problems::{Names, routing};
use crate::state::AppState;
use crate::views::{self, Base};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use enterprise::Routing;
use excel::{Cell, Sheet, Workbook};
use handling::{ProblemState, State as PState, Visibility, Warning};
use i18n::Lang;
use kpi::{KpiReport, KpiRow, Period, Rate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::Store;
use utoipa::{IntoParams, ToSchema};

/// One problem for a report: its number, its enterprise's name and its replayed state.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub enterprise_name: String,
    pub state: ProblemState,
}

fn zh_state(s: PState) -> String {
    handling::state_name(s, Lang::Zh)
}

fn naive(t: DateTime<FixedOffset>) -> NaiveDateTime {
    t.with_timezone(&store::china_offset()).naive_local()
}

fn dept_zh(routing: &Routing, code: &str) -> String {
    routing.department(code).map(|d| d.name.clone()).unwrap_or_else(|| code.to_string())
}

fn cat_zh(routing: &Routing, code: &str) -> String {
    routing.category(code).map(|c| c.name.clone()).unwrap_or_else(|| code.to_string())
}

/// Placeholder shown instead of a confidential problem's details.
pub const CONFIDENTIAL_ZH: &str = "（商业秘密，不予显示）";

/// The thresholds below which a department is named in the supervision report (percent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Thresholds {
    #[schema(value_type = String)]
    pub response_rate: Decimal,
    #[schema(value_type = String)]
    pub on_time_closure_rate: Decimal,
    #[schema(value_type = String)]
    pub satisfaction_rate: Decimal,
    #[schema(value_type = String)]
    pub resolution_rate: Decimal,
}

impl Default for Thresholds {
    /// 90 % response, 90 % on-time closure, 90 % satisfaction, 80 % resolution: in the
    /// spirit of 12345 接诉即办's 三率 assessment; an admin setting later.
    fn default() -> Self {
        Thresholds {
            response_rate: Decimal::from(90),
            on_time_closure_rate: Decimal::from(90),
            satisfaction_rate: Decimal::from(90),
            resolution_rate: Decimal::from(80),
        }
    }
}

/// A measure of one department below its threshold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shortfall {
    /// `response_rate`, `on_time_closure_rate`, `satisfaction_rate` or `resolution_rate`.
    pub measure: String,
    /// Its Chinese name.
    pub label: String,
    pub numerator: u32,
    pub denominator: u32,
    #[schema(value_type = String)]
    pub percent: Decimal,
    #[schema(value_type = String)]
    pub threshold: Decimal,
}

/// One department's line of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentLine {
    pub department: String,
    pub name: String,
    /// The department's KPI row (`kpi::KpiRow`).
    #[schema(value_type = Object)]
    pub kpi: KpiRow,
    /// Measures below their thresholds (通报): empty when the department is fine.
    pub below: Vec<Shortfall>,
}

/// A problem in the red or yellow list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LitProblem {
    pub id: i64,
    pub enterprise_name: String,
    /// Null for a confidential problem the reader sees only in summary.
    pub title: Option<String>,
    pub category: String,
    pub lead_department: String,
    pub state: String,
    pub answer_by: String,
    pub escalations: u32,
}

/// Problems received and closed in one ISO week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekPoint {
    /// `2022-W18`.
    pub week: String,
    pub received: u32,
    pub answered: u32,
    pub closed: u32,
}

/// The periodic supervision report (通报).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupervisionReport {
    pub period: String,
    pub start: String,
    pub end: String,
    pub as_of: String,
    pub thresholds: Thresholds,
    /// The overall KPI row (always present for a computed period).
    #[schema(value_type = Object)]
    pub overall: Option<KpiRow>,
    /// Every department with activity, those named (below a threshold) first.
    pub departments: Vec<DepartmentLine>,
    /// Overdue (red) open problems, most escalated first.
    pub red: Vec<LitProblem>,
    /// Yellow open problems.
    pub yellow: Vec<LitProblem>,
    /// The last eight ISO weeks up to the period's end.
    pub trend: Vec<WeekPoint>,
}

fn shortfalls(r: &KpiRow, t: &Thresholds) -> Vec<Shortfall> {
    let mut v = Vec::new();
    for (measure, label, rate, th) in [
        ("response_rate", "响应率", &r.response_rate, t.response_rate),
        ("on_time_closure_rate", "按时办结率", &r.on_time_closure_rate, t.on_time_closure_rate),
        ("satisfaction_rate", "满意率", &r.satisfaction_rate, t.satisfaction_rate),
        ("resolution_rate", "解决率", &r.resolution_rate, t.resolution_rate),
    ] {
        if let Some(p) = rate.percent.filter(|p| *p < th) {
            v.push(Shortfall {
                measure: measure.into(),
                label: label.into(),
                numerator: rate.numerator,
                denominator: rate.denominator,
                percent: p,
                threshold: th,
            });
        }
    }
    v
}

/// Builds the supervision report of a period from its KPIs and the replayed problems (all
/// open ones and those active in the last eight weeks), judged at `as_of`.
pub fn supervision_report(
    entries: &[Entry],
    kpi: &KpiReport,
    routing: &Routing,
    thresholds: &Thresholds,
    as_of: DateTime<FixedOffset>,
    details: &dyn Fn(&ProblemState) -> bool,
) -> SupervisionReport {
    let overall = kpi.row(None, None).cloned();
    let mut departments: Vec<DepartmentLine> = kpi
        .rows
        .iter()
        .filter(|r| r.department.is_some() && r.category.is_none())
        .map(|r| {
            let code = r.department.clone().unwrap_or_default();
            DepartmentLine {
                name: dept_zh(routing, &code),
                department: code,
                kpi: r.clone(),
                below: shortfalls(r, thresholds),
            }
        })
        .collect();
    departments.sort_by_key(|d| (d.below.is_empty(), std::cmp::Reverse(d.below.len()), d.department.clone()));
    let lit = |w: Warning| {
        let mut v: Vec<LitProblem> = entries
            .iter()
            .filter(|e| !matches!(e.state.state, PState::Closed | PState::Withdrawn))
            .filter(|e| handling::warning(&e.state, as_of) == w)
            .map(|e| LitProblem {
                id: e.id,
                enterprise_name: e.enterprise_name.clone(),
                title: details(&e.state).then(|| e.state.problem.title.clone()),
                category: cat_zh(routing, &e.state.problem.category),
                lead_department: dept_zh(routing, &e.state.lead),
                state: zh_state(e.state.state),
                answer_by: handling::deadlines(&e.state).answer_by.to_string(),
                escalations: e.state.escalations,
            })
            .collect();
        v.sort_by_key(|p| (std::cmp::Reverse(p.escalations), p.answer_by.clone(), p.id));
        v
    };
    let red = lit(Warning::Red);
    let yellow = lit(Warning::Yellow);
    SupervisionReport {
        period: kpi.period.clone(),
        start: kpi.start.to_string(),
        end: kpi.end.to_string(),
        as_of: as_of.to_rfc3339(),
        thresholds: *thresholds,
        overall,
        departments,
        red,
        yellow,
        trend: weekly_trend(entries, kpi.end.min(handling::china_date(as_of)), 8),
    }
}

/// Received, answered and closed per ISO week for the `weeks` weeks ending with the one of
/// `last_day`.
pub fn weekly_trend(entries: &[Entry], last_day: chrono::NaiveDate, weeks: u32) -> Vec<WeekPoint> {
    let last = kpi::period_of(kpi::PeriodKind::Week, last_day);
    let mut periods = Vec::new();
    let mut p = last;
    for _ in 0..weeks {
        periods.push(p);
        p = kpi::period_of(kpi::PeriodKind::Week, p.start - chrono::Duration::days(1));
    }
    periods.reverse();
    let mut counts: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    for e in entries {
        let s = &e.state;
        let week = |t: DateTime<FixedOffset>| {
            let d = handling::china_date(t);
            periods.iter().find(|p| p.contains(d)).map(|p| p.to_string())
        };
        if let Some(w) = week(s.problem.received_at) {
            counts.entry(w).or_default().0 += 1;
        }
        for a in &s.answers {
            if let Some(w) = week(a.at) {
                counts.entry(w).or_default().1 += 1;
            }
        }
        for c in &s.closures {
            if let Some(w) = week(c.at) {
                counts.entry(w).or_default().2 += 1;
            }
        }
    }
    periods
        .iter()
        .map(|p| {
            let (r, a, c) = counts.get(&p.to_string()).copied().unwrap_or_default();
            WeekPoint { week: p.to_string(), received: r, answered: a, closed: c }
        })
        .collect()
}

fn pct(r: &Rate) -> Cell {
    r.percent.map_or(Cell::Empty, |p| Cell::Percent(p / Decimal::from(100)))
}

/// The supervision report as a workbook: 部门指标, 通报 (shortfalls), 红灯清单, 黄灯清单,
/// 周趋势.
pub fn supervision_workbook(r: &SupervisionReport, created: NaiveDateTime) -> Workbook {
    let mut wb = Workbook::new(format!("督查通报 {}", r.period), created);
    let mut k = Sheet::new(
        "部门指标",
        &[
            "部门",
            "收到",
            "响应率",
            "解决率",
            "满意率",
            "按时办结率",
            "平均答复工作日",
            "重办率",
            "退回率",
            "异议率",
            "红灯",
            "黄灯",
            "督办",
        ],
    );
    let row = |name: String, x: &KpiRow| {
        vec![
            Cell::Text(name),
            Cell::Int(i64::from(x.counts.received)),
            pct(&x.response_rate),
            pct(&x.resolution_rate),
            pct(&x.satisfaction_rate),
            pct(&x.on_time_closure_rate),
            x.avg_workdays_to_answer.map_or(Cell::Empty, |d| Cell::Text(d.to_string())),
            pct(&x.reopen_rate),
            pct(&x.return_rate),
            pct(&x.objection_rate),
            Cell::Int(i64::from(x.counts.red_now)),
            Cell::Int(i64::from(x.counts.yellow_now)),
            Cell::Int(i64::from(x.counts.escalated)),
        ]
    };
    if let Some(o) = &r.overall {
        k.push(row("全区".into(), o));
    }
    for d in &r.departments {
        k.push(row(d.name.clone(), &d.kpi));
    }
    let mut named = Sheet::new("通报", &["部门", "指标", "分子", "分母", "实际", "标准"]);
    for d in &r.departments {
        for s in &d.below {
            named.push(vec![
                d.name.clone().into(),
                s.label.clone().into(),
                Cell::Int(i64::from(s.numerator)),
                Cell::Int(i64::from(s.denominator)),
                Cell::Percent(s.percent / Decimal::from(100)),
                Cell::Percent(s.threshold / Decimal::from(100)),
            ]);
        }
    }
    let lit_sheet = |name: &str, v: &[LitProblem]| {
        let mut s = Sheet::new(
            name,
            &["问题编号", "企业名称", "问题标题", "问题类别", "牵头部门", "状态", "答复时限", "督办次数"],
        );
        for p in v {
            s.push(vec![
                Cell::Int(p.id),
                p.enterprise_name.clone().into(),
                p.title.clone().unwrap_or_else(|| CONFIDENTIAL_ZH.into()).into(),
                p.category.clone().into(),
                p.lead_department.clone().into(),
                p.state.clone().into(),
                p.answer_by.clone().into(),
                Cell::Int(i64::from(p.escalations)),
            ]);
        }
        s
    };
    let mut trend = Sheet::new("周趋势", &["周", "收到", "答复", "销号"]);
    for w in &r.trend {
        trend.push(vec![
            w.week.clone().into(),
            Cell::Int(i64::from(w.received)),
            Cell::Int(i64::from(w.answered)),
            Cell::Int(i64::from(w.closed)),
        ]);
    }
    wb.sheets = vec![k, named, lit_sheet("红灯清单", &r.red), lit_sheet("黄灯清单", &r.yellow), trend];
    wb
}

/// The supervision report as a standalone printable HTML document (Chinese headings,
/// embedded print CSS for A4 landscape with repeated table headers, every value escaped):
/// what `huiqi report supervision FILE.html` writes. Unlike [`page_supervision`] it needs no
/// principal, language or navigation, so it can be mailed or printed as it is.
pub fn supervision_html(r: &SupervisionReport) -> Result<String, WebError> {
    askama::Template::render(&PrintReport { r }).map_err(WebError::internal)
}

/// The standalone printable supervision report.
#[derive(askama::Template)]
#[template(path = "report_supervision_print.html", whitespace = "minimize")]
struct PrintReport<'a> {
    r: &'a SupervisionReport,
}

impl PrintReport<'_> {
    fn named(&self) -> Vec<&DepartmentLine> {
        self.r.departments.iter().filter(|d| !d.below.is_empty()).collect()
    }
    fn lists(&self) -> [(&'static str, &Vec<LitProblem>); 2] {
        [("三、红灯事项（已超期未办结）", &self.r.red), ("四、黄灯事项（即将超期）", &self.r.yellow)]
    }
    fn pct(&self, r: &Rate) -> String {
        rate_text(r)
    }
    fn avg(&self, d: &Option<Decimal>) -> String {
        d.map_or_else(|| "—".to_string(), |d| d.to_string())
    }
    fn confidential(&self) -> &'static str {
        CONFIDENTIAL_ZH
    }
    /// `as_of` in China time to the minute (it is kept as RFC 3339 in the report).
    fn as_of(&self) -> String {
        DateTime::parse_from_rfc3339(&self.r.as_of)
            .map(|t| naive(t).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| self.r.as_of.clone())
    }
}

// ---------------------------------------------------------------------------------------
// Loading

/// Every problem the store holds (or those active on `range` and all open ones), replayed,
/// with enterprise names.
pub async fn load_entries(
    store: &dyn Store,
    range: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> Result<Vec<Entry>, WebError> {
    let logs = store.all_event_logs_for_period(range).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(logs.len());
    for (id, events) in logs {
        let s = handling::replay(&events, calendar::WorkCalendar::official())?;
        let code = s.problem.enterprise.to_string();
        let name = match names.get(&code) {
            Some(n) => n.clone(),
            None => {
                let n = store
                    .get_enterprise(&s.problem.enterprise)
                    .await?
                    .map(|v| v.enterprise.name)
                    .unwrap_or_default();
                names.insert(code, n.clone());
                n
            }
        };
        out.push(Entry { id, enterprise_name: name, state: s });
    }
    Ok(out)
}

/// The KPIs of a period judged now, from the event logs the period needs.
pub async fn kpi_of(state: &AppState, period: &Period) -> Result<KpiReport, WebError> {
    kpi_at(state.store.as_ref(), period, state.now()).await
}

/// The KPIs of a period judged at `as_of`, from the event logs the period needs.
pub async fn kpi_at(
    store: &dyn Store,
    period: &Period,
    as_of: DateTime<FixedOffset>,
) -> Result<KpiReport, WebError> {
    let logs = store.all_event_logs_for_period(Some((period.start, period.end))).await?;
    let logs: Vec<(String, Vec<handling::Event>)> =
        logs.into_iter().map(|(id, e)| (id.to_string(), e)).collect();
    Ok(kpi::compute_from_logs(&logs, calendar::WorkCalendar::official(), period, as_of)?)
}

/// Loads what the supervision report of `period` needs (its KPIs; the problems open or
/// active in the eight weeks of the trend; the routing for names) and builds it, judged at
/// `as_of`. `details` says whether a problem's title may be shown. The one loader behind the
/// API, the page, the workbook and `huiqi report supervision`; it checks no permission
/// (callers do).
pub async fn supervision_from_store(
    store: &dyn Store,
    period: &Period,
    as_of: DateTime<FixedOffset>,
    thresholds: &Thresholds,
    details: &(dyn Fn(&ProblemState) -> bool + Sync),
) -> Result<SupervisionReport, WebError> {
    let kpi = kpi_at(store, period, as_of).await?;
    let from = period.end.min(handling::china_date(as_of)) - chrono::Duration::weeks(8);
    let entries = load_entries(store, Some((from, period.end))).await?;
    let routing = Routing {
        departments: store.departments().await?,
        categories: store.categories_with_routing().await?,
    };
    Ok(supervision_report(&entries, &kpi, &routing, thresholds, as_of, details))
}

/// The period asked for, or the current month.
pub fn period_param(raw: &HashMap<String, String>, now: DateTime<FixedOffset>) -> Result<Period, WebError> {
    match raw.get("period").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(p) => Ok(Period::parse(p)?),
        None => Ok(kpi::period_of(kpi::PeriodKind::Month, handling::china_date(now))),
    }
}

/// The report of a period for a principal, judged now with the default thresholds.
pub async fn report_for(
    state: &AppState,
    p: &Principal,
    period: &Period,
) -> Result<SupervisionReport, WebError> {
    authz::require(p, Action::Read, Resource::Supervision)?;
    let details = details_for(p);
    supervision_from_store(state.store.as_ref(), period, state.now(), &Thresholds::default(), &details).await
}

/// Whether the principal sees a problem's details (title, description) in a report: the
/// confidentiality rule of [`handling::visibility`] (report readers see every problem).
pub fn details_for(p: &Principal) -> impl Fn(&ProblemState) -> bool + '_ {
    move |s: &ProblemState| handling::visibility(s, &authz::actor_of(p)) == Visibility::Full
}

fn xlsx(bytes: Vec<u8>, file: &str) -> Response {
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
/// their thresholds, red and yellow problems, and the weekly trend.
#[utoipa::path(get, path = "/api/v1/reports/supervision", tag = "reports", params(PeriodQuery),
    responses(
        (status = 200, body = SupervisionReport),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_supervision(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<SupervisionReport>, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let period = period_param(&raw, state.now())?;
    Ok(Json(report_for(&state, &p, &period).await?))
}

/// The supervision report as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/reports/supervision.xlsx", tag = "reports", params(PeriodQuery),
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_supervision_xlsx(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let period = period_param(&raw, state.now())?;
    let r = report_for(&state, &p, &period).await?;
    let bytes = supervision_workbook(&r, naive(state.now())).to_bytes().map_err(WebError::internal)?;
    Ok(xlsx(bytes, &format!("supervision-{}.xlsx", r.period)))
}

/// The ledger (问题台账): every problem and its handling as an Excel workbook with three
/// sheets (问题清单, 责任清单, 销号清单). Confidential problems' details are never shown in it.
#[utoipa::path(get, path = "/api/v1/ledger.xlsx", tag = "reports",
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_ledger_xlsx(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    let now = state.now();
    let (wb, _) = app::problems::ledger(&state, app::problems::Reader::User(&p), Some(now)).await?;
    let bytes = wb.to_bytes().map_err(WebError::internal)?;
    Ok(xlsx(bytes, &format!("ledger-{}.xlsx", handling::china_date(now))))
}

/// The printable supervision report page (`/reports/supervision?period=…`).
pub async fn page_supervision(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let period = period_param(&raw, state.now())?;
    let r = report_for(&state, &p, &period).await?;
    let routing = routing(&state).await?;
    let b = Base::new(lang, Some(&p), "/reports/supervision", "ui.report.title");
    views::render(&ReportPage { b, n: Names::new(lang, routing), r })
}

/// The printable supervision report.
#[derive(askama::Template)]
#[template(path = "report_supervision.html")]
pub struct ReportPage {
    pub b: Base,
    pub n: Names,
    pub r: SupervisionReport,
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
}

/// A rate for people: `66.67%（2/3）`, or `—` without a denominator.
pub fn rate_text(r: &Rate) -> String {
    match r.percent {
        Some(p) => format!("{p}%（{}/{}）", r.numerator, r.denominator),
        None => "—".into(),
    }
}
