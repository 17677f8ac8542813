//! Reports of the three lists: the periodic supervision report (督查通报: each department's
//! KPIs with the measures below the zone's thresholds, the red and yellow open problems, the
//! weekly trend), its workbook and its printable document, and the dashboard's counts.
//!
//! One implementation behind every front end: `GET /api/v1/reports/supervision[.xlsx]`, the
//! pages `/reports/supervision` and `/dashboard`, and `huiqi report supervision FILE.xlsx|
//! FILE.html`. The thresholds are zone settings ([`crate::settings`]) with their stated
//! source; the plan gives no number, and the shipped defaults say so. Exports are in Chinese.
//!
//! - [`supervision`]: the use case (period, the time lights are judged at, whose view);
//!   [`supervision_report`] the pure mapping from KPIs and replayed problems.
//! - [`supervision_workbook`] (five sheets) and [`supervision_html`] (standalone, print CSS).
//! - [`dashboard`]: the report and the problem counts by state, category and department.
//!
//! What it leaves out: the ledger (问题台账, with the problems' use cases), HTTP and files.

use crate::settings::{Percent, SupervisionSettings};
use crate::{App, Error, Principal, Result, authz};
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime};
use enterprise::Routing;
use excel::{Cell, Sheet, Workbook};
use handling::{ProblemState, State as PState, Visibility, Warning};
use i18n::Lang;
use kpi::{KpiReport, KpiRow, Period, Rate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::Store;
use store::problems::ProblemFilter;

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

/// The thresholds below which a department is named in the supervision report (percent),
/// with where they come from: the zone settings in use ([`crate::settings`]), or a command
/// line's `--threshold`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thresholds {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub response_rate: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub on_time_closure_rate: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub satisfaction_rate: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub resolution_rate: Decimal,
    /// Where the values come from (the plan gives none: the shipped defaults say so).
    pub source: String,
}

impl Thresholds {
    /// The thresholds of the zone settings.
    pub fn of(s: &SupervisionSettings) -> Thresholds {
        Thresholds {
            response_rate: s.response_rate.value(),
            on_time_closure_rate: s.on_time_closure_rate.value(),
            satisfaction_rate: s.satisfaction_rate.value(),
            resolution_rate: s.resolution_rate.value(),
            source: s.source.clone(),
        }
    }

    /// These thresholds with the response, on-time closure and satisfaction rates set to
    /// `percent` (the CLI's `--threshold`), the source saying so.
    pub fn with_three_rates(self, percent: Percent) -> Thresholds {
        let p = percent.value();
        Thresholds {
            response_rate: p,
            on_time_closure_rate: p,
            satisfaction_rate: p,
            source: format!(
                "响应率、按时办结率、满意率标准 {p}% 由本次命令指定（--threshold）；{}",
                self.source
            ),
            ..self
        }
    }
}

impl Default for Thresholds {
    /// The shipped zone settings' thresholds: 90 % response, on-time closure and
    /// satisfaction, 80 % resolution, with their stated source (the plan gives none).
    fn default() -> Self {
        Thresholds::of(&SupervisionSettings::default())
    }
}

/// A measure of one department below its threshold.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shortfall {
    /// `response_rate`, `on_time_closure_rate`, `satisfaction_rate` or `resolution_rate`.
    pub measure: String,
    /// Its Chinese name.
    pub label: String,
    pub numerator: u32,
    pub denominator: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub percent: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub threshold: Decimal,
}

/// One department's line of the report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentLine {
    pub department: String,
    pub name: String,
    /// The department's KPI row (`kpi::KpiRow`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub kpi: KpiRow,
    /// Measures below their thresholds (通报): empty when the department is fine.
    pub below: Vec<Shortfall>,
}

/// A problem in the red or yellow list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekPoint {
    /// `2022-W18`.
    pub week: String,
    pub received: u32,
    pub answered: u32,
    pub closed: u32,
}

/// The periodic supervision report (通报).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupervisionReport {
    pub period: String,
    pub start: String,
    pub end: String,
    pub as_of: String,
    pub thresholds: Thresholds,
    /// The overall KPI row (always present for a computed period).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub overall: Option<KpiRow>,
    /// Every department with activity, those named (below a threshold) first.
    pub departments: Vec<DepartmentLine>,
    /// Overdue (red) open problems, most escalated first.
    pub red: Vec<LitProblem>,
    /// Yellow open problems.
    pub yellow: Vec<LitProblem>,
    /// The last eight ISO weeks up to the period's end.
    pub trend: Vec<WeekPoint>,
    /// Questions answered without a problem in the period (kpi::SelfService).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub self_service: kpi::SelfService,
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
            // Open problems: `handling`'s one definition.
            .filter(|e| e.state.state.is_open())
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
        thresholds: thresholds.clone(),
        overall,
        departments,
        red,
        yellow,
        trend: weekly_trend(entries, kpi.end.min(handling::china_date(as_of)), 8),
        self_service: kpi.self_service.clone(),
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
/// what `huiqi report supervision FILE.html` writes. Like the workbook it is a file that
/// leaves the system, not a page of the web application: it needs no principal, language or
/// navigation, so it can be mailed or printed as it is (the template is this crate's
/// `templates/report_supervision_print.html`).
pub fn supervision_html(r: &SupervisionReport) -> Result<String> {
    askama::Template::render(&PrintReport { r }).map_err(Error::internal)
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
#[tracing::instrument(skip_all)]
pub async fn load_entries(
    store: &dyn Store,
    range: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> Result<Vec<Entry>> {
    let logs = store.all_event_logs_for_period(range).await?;
    let cals = store.calendars().await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(logs.len());
    for (id, events) in logs {
        let s = handling::replay(&events, cals.as_ref())?;
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

/// Loads what the supervision report of `period` needs (its KPIs; the problems open or
/// active in the eight weeks of the trend; the routing for names) and builds it, judged at
/// `as_of`. `details` says whether a problem's title may be shown. The one loader behind the
/// API, the page, the workbook and `huiqi report supervision`; it checks no permission
/// (callers do).
#[tracing::instrument(skip_all)]
pub async fn supervision_from_store(
    store: &dyn Store,
    period: &Period,
    as_of: DateTime<FixedOffset>,
    thresholds: &Thresholds,
    details: &(dyn Fn(&ProblemState) -> bool + Sync),
) -> Result<SupervisionReport> {
    let kpi = crate::kpis::kpi_at(store, period, as_of).await?;
    let from = period.end.min(handling::china_date(as_of)) - chrono::Duration::weeks(8);
    let entries = load_entries(store, Some((from, period.end))).await?;
    let routing = Routing {
        departments: store.departments().await?,
        categories: store.categories_with_routing().await?,
    };
    Ok(supervision_report(&entries, &kpi, &routing, thresholds, as_of, details))
}

/// A rate for people: `66.67%（2/3）`, or `—` without a denominator.
pub fn rate_text(r: &Rate) -> String {
    match r.percent {
        Some(p) => format!("{p}%（{}/{}）", r.numerator, r.denominator),
        None => "—".into(),
    }
}

// ---------------------------------------------------------------------------------------
// Use cases

/// Whose view a report gives of confidential problems (商业秘密).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// The principal's: titles of the problems whose details they may see
    /// ([`handling::visibility`]; report readers see every problem, some only in summary).
    Reader,
    /// A file leaving the system (`huiqi report supervision FILE`): no confidential title,
    /// whoever writes it, as in the ledger.
    File,
}

/// The time the report's lights (red, yellow) and pending measures are judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Now (the pages and the API).
    Now,
    /// The end of the period, or now if that is earlier (a report of a past period reads as
    /// it stood at its end: the command line's default).
    EndOfPeriodOrNow,
    At(DateTime<FixedOffset>),
}

impl AsOf {
    fn at(self, period: &Period, now: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        match self {
            AsOf::Now => now,
            AsOf::At(t) => t,
            AsOf::EndOfPeriodOrNow => {
                let end = store::problems::day_start(period.end + Duration::days(1)) - Duration::seconds(1);
                end.min(now)
            }
        }
    }
}

/// What supervision report to build.
#[derive(Debug, Clone)]
pub struct SupervisionRequest {
    /// A month, week or quarter; `None`: the current month.
    pub period: Option<Period>,
    pub as_of: AsOf,
    pub disclosure: Disclosure,
    /// Replaces the response, on-time closure and satisfaction thresholds of the zone
    /// settings for this report only (the command line's `--threshold`).
    pub three_rates: Option<Percent>,
}

impl SupervisionRequest {
    /// The report of a period as a reader sees it now, under the zone settings.
    pub fn for_reader(period: Option<Period>) -> SupervisionRequest {
        SupervisionRequest { period, as_of: AsOf::Now, disclosure: Disclosure::Reader, three_rates: None }
    }
}

/// The supervision report (leaders, supervisors, admins): the KPIs of the period, the
/// departments below the zone settings' thresholds named first, the red and yellow open
/// problems at `as_of`, and the eight-week trend.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn supervision(app: &App, who: &Principal, req: SupervisionRequest) -> Result<SupervisionReport> {
    authz::require(who, authz::Action::Read, authz::Resource::Supervision)?;
    let now = app.now();
    let period = crate::kpis::period_or_current(req.period, now);
    let as_of = req.as_of.at(&period, now);
    let mut thresholds = Thresholds::of(&app.live.settings().supervision);
    if let Some(p) = req.three_rates {
        thresholds = thresholds.with_three_rates(p);
    }
    let actor = who.handling_actor();
    let reader = |s: &ProblemState| handling::visibility(s, &actor) == Visibility::Full;
    let file = |s: &ProblemState| !s.problem.confidential;
    let details: &(dyn Fn(&ProblemState) -> bool + Sync) = match req.disclosure {
        Disclosure::Reader => &reader,
        Disclosure::File => &file,
    };
    supervision_from_store(app.store.as_ref(), &period, as_of, &thresholds, details).await
}

/// The dashboard of a period: the supervision report (as the reader sees it now) and the
/// problems counted by state, by category and by department (lead or cooperating), each
/// count with what to filter the problem list by.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub report: SupervisionReport,
    /// The departments and categories, to name the codes by.
    pub routing: Routing,
    /// Every state, in the machine's order, with its count (zeros included).
    pub by_state: Vec<(PState, u64)>,
    /// Category codes with at least one problem, in the routing table's order.
    pub by_category: Vec<(String, u64)>,
    /// Department codes with at least one problem, in the routing table's order.
    pub by_department: Vec<(String, u64)>,
}

/// The leaders' and supervisors' dashboard.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn dashboard(app: &App, who: &Principal, period: Option<Period>) -> Result<Dashboard> {
    let report = supervision(app, who, SupervisionRequest::for_reader(period)).await?;
    let store = app.store.as_ref();
    let count = |f: ProblemFilter| async move {
        Ok::<u64, Error>(store.list_problems(&f, store::Page::new(0, 1)).await?.1)
    };
    let routing = Routing {
        departments: store.departments().await?,
        categories: store.categories_with_routing().await?,
    };
    let mut by_state = Vec::new();
    for s in handling::ALL_STATES {
        by_state.push((s, count(ProblemFilter { state: Some(s), ..ProblemFilter::default() }).await?));
    }
    let mut by_category = Vec::new();
    for c in &routing.categories {
        let n = count(ProblemFilter { category: Some(c.code.clone()), ..ProblemFilter::default() }).await?;
        if n > 0 {
            by_category.push((c.code.clone(), n));
        }
    }
    let mut by_department = Vec::new();
    for d in &routing.departments {
        let n = count(ProblemFilter { department: Some(d.code.clone()), ..ProblemFilter::default() }).await?;
        if n > 0 {
            by_department.push((d.code.clone(), n));
        }
    }
    Ok(Dashboard { report, routing, by_state, by_category, by_department })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(id: i64, title: Option<&str>) -> LitProblem {
        LitProblem {
            id,
            enterprise_name: "长沙<甲>科技 & 有限公司".into(),
            title: title.map(String::from),
            category: "税费".into(),
            lead_department: "税务局".into(),
            state: "已提交".into(),
            answer_by: "2024-03-01".into(),
            escalations: 1,
        }
    }

    fn report(thresholds: Thresholds) -> SupervisionReport {
        SupervisionReport {
            period: "2024-03".into(),
            start: "2024-03-01".into(),
            end: "2024-03-31".into(),
            as_of: "2024-03-01T12:00:00+08:00".into(),
            thresholds,
            overall: None,
            departments: vec![],
            red: vec![lit(7, Some("<script>alert(1)</script>")), lit(8, None)],
            yellow: vec![],
            trend: vec![],
            self_service: kpi::SelfService::default(),
        }
    }

    #[test]
    fn the_printable_supervision_report_is_a_standalone_escaped_document() {
        let page = supervision_html(&report(Thresholds::default())).unwrap();
        assert!(page.starts_with("<!doctype html>") && page.contains("<html lang=\"zh-CN\">"), "{page}");
        assert!(
            page.contains("@media print") && page.contains("企业帮扶专项工作督查通报（2024-03）"),
            "{page}"
        );
        assert!(page.contains("统计截至 2024-03-01 12:00") && page.contains("解决率 80%"), "{page}");
        // Askama escapes with numeric references.
        assert!(
            !page.contains("<script>") && page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{page}"
        );
        assert!(!page.contains("<甲>") && page.contains("长沙&#60;甲&#62;科技 &#38; 有限公司"), "{page}");
        assert!(page.contains("（商业秘密，不予显示）"), "the confidential one: {page}");
        // No department below a threshold and no yellow item: the sections say so.
        assert_eq!(page.matches("<p>无。</p>").count(), 3, "{page}");
        // Where the thresholds come from: the plan gives none.
        assert!(page.contains("标准依据：") && page.contains("未规定数值标准"), "{page}");
    }

    #[test]
    fn departments_are_named_under_the_zone_settings_thresholds() {
        let row = |resp: (u32, u32), res: (u32, u32)| KpiRow {
            department: Some("tax_bureau".into()),
            category: None,
            counts: kpi::Counts::default(),
            response_rate: Rate::new(resp.0, resp.1),
            resolution_rate: Rate::new(res.0, res.1),
            satisfaction_rate: Rate::new(0, 0),
            on_time_closure_rate: Rate::new(0, 0),
            avg_workdays_to_answer: None,
            reopen_rate: Rate::new(0, 0),
            return_rate: Rate::new(0, 0),
            objection_rate: Rate::new(0, 0),
            resolved_by_department_rate: Rate::new(0, 0),
            rated_satisfaction_rate: Rate::new(0, 0),
            unconfirmed_closure_rate: Rate::new(0, 0),
            escalation_reply_rate: Rate::new(0, 0),
            decision_on_time_rate: Rate::new(0, 0),
        };
        // 85 % response, 75 % resolution under 90/90/90/80: both named.
        let t = Thresholds::default();
        let below: Vec<String> =
            shortfalls(&row((17, 20), (3, 4)), &t).into_iter().map(|s| s.measure).collect();
        assert_eq!(below, ["response_rate", "resolution_rate"]);
        // An admin lowered the resolution threshold to 70: only the response rate.
        let settings = crate::settings::ZoneSettings::default()
            .with_values([
                ("supervision.source", "区督查办 2026 年 3 号"),
                ("supervision.resolution_rate", "70"),
            ])
            .unwrap();
        let t = Thresholds::of(&settings.supervision);
        let below: Vec<String> =
            shortfalls(&row((17, 20), (3, 4)), &t).into_iter().map(|s| s.measure).collect();
        assert_eq!(below, ["response_rate"]);
        // --threshold 80 sets the three rates and says so; the resolution rate stays.
        let t = Thresholds::default().with_three_rates(Percent::whole(80));
        assert_eq!((t.response_rate, t.resolution_rate), (Decimal::from(80), Decimal::from(80)));
        assert!(t.source.contains("--threshold") && t.source.contains("未规定数值标准"), "{}", t.source);
        assert!(shortfalls(&row((17, 20), (4, 4)), &t).is_empty());
    }

    #[test]
    fn the_report_json_keeps_its_fields_and_adds_the_source() {
        let v = serde_json::to_value(report(Thresholds::default())).unwrap();
        assert_eq!(v["thresholds"]["response_rate"], "90");
        assert_eq!(v["thresholds"]["resolution_rate"], "80");
        assert!(v["thresholds"]["source"].as_str().unwrap().contains("未规定数值标准"));
        for field in ["period", "start", "end", "as_of", "overall", "departments", "red", "yellow", "trend"] {
            assert!(v.get(field).is_some(), "{field}");
        }
    }
}
