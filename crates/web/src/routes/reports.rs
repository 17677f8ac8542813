//! Reports of the three lists over HTTP: the periodic supervision report (通报) as JSON, an
//! Excel workbook and a page, and the ledger workbook (问题台账, three sheets: 问题清单,
//! 责任清单, 销号清单).
//!
//! The supervision report is the use case `app::reports::supervision` (its model, the zone
//! settings' thresholds with their source, the workbook and the printable document are the
//! app's, shared with `huiqi report supervision`); here only the query is parsed and the
//! answer rendered. The ledger's [`ledger::workbook`] is shared with `huiqi ledger export`
//! (its golden file guards it).

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{Problem, WebError};
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
use handling::ProblemState;
use kpi::{Period, Rate};
use rust_decimal::Decimal;
use std::collections::HashMap;
use store::Page;
use store::problems::{ProblemFilter, ProblemRow};
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
/// their thresholds (zone settings, with where they come from), red and yellow problems, and
/// the weekly trend.
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
    let period = period_param(&raw)?;
    Ok(Json(supervision(&state, &p, SupervisionRequest::for_reader(period)).await?))
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
    let period = period_param(&raw)?;
    let r = supervision(&state, &p, SupervisionRequest::for_reader(period)).await?;
    let bytes = supervision_workbook(&r, naive(state.now())).to_bytes().map_err(WebError::internal)?;
    Ok(xlsx(bytes, &format!("supervision-{}.xlsx", r.period)))
}

/// The ledger (问题台账): every problem and its handling as an Excel workbook with three
/// sheets (问题清单, 责任清单, 销号清单). Confidential problems' details are shown only to
/// readers entitled to them.
#[utoipa::path(get, path = "/api/v1/ledger.xlsx", tag = "reports",
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_ledger_xlsx(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::Supervision)?;
    let problems = load_rows(&state).await?;
    let names = ledger::Names::load(state.store.as_ref()).await?;
    let now = state.now();
    let bytes = ledger::workbook(&problems, &names, now).to_bytes().map_err(WebError::internal)?;
    Ok(xlsx(bytes, &format!("ledger-{}.xlsx", handling::china_date(now))))
}

/// Every problem: its list row and its replayed state, by number.
pub async fn load_rows(state: &AppState) -> Result<Vec<(ProblemRow, ProblemState)>, WebError> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) =
            state.store.list_problems(&ProblemFilter::default(), Page::new(offset, Page::MAX_LIMIT)).await?;
        offset += page.len() as u64;
        let empty = page.is_empty();
        rows.extend(page);
        if empty || offset >= total {
            break;
        }
    }
    let mut states: HashMap<i64, ProblemState> = HashMap::new();
    for (id, events) in state.store.all_event_logs_for_period(None).await? {
        states.insert(id, handling::replay(&events, calendar::WorkCalendar::official())?);
    }
    Ok(rows.into_iter().filter_map(|r| states.remove(&r.id).map(|s| (r, s))).collect())
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

/// The ledger (问题台账) workbook: the one mapping from problems to the three sheets, used by
/// `GET /api/v1/ledger.xlsx` and by `huiqi ledger export` (moved here from the CLI so that
/// both share it; the CLI's golden file test guards it). Confidential problems never show
/// their title or description in the ledger, whoever downloads it.
pub mod ledger {
    use chrono::{DateTime, FixedOffset};
    use excel::{Cell, Sheet, Workbook};
    use handling::{ClosureKind, Outcome, ProblemState, Rating};
    use std::collections::BTreeMap;
    use store::Store;
    use store::problems::ProblemRow;

    /// Names shown in sheets.
    pub struct Names {
        pub departments: BTreeMap<String, String>,
        pub categories: BTreeMap<String, String>,
    }

    impl Names {
        pub async fn load(store: &dyn Store) -> Result<Names, store::StoreError> {
            Ok(Names {
                departments: store.departments().await?.into_iter().map(|d| (d.code, d.name)).collect(),
                categories: store
                    .categories_with_routing()
                    .await?
                    .into_iter()
                    .map(|c| (c.code, c.name))
                    .collect(),
            })
        }
        pub fn dept(&self, code: &str) -> String {
            self.departments.get(code).cloned().unwrap_or_else(|| code.to_string())
        }
        pub fn depts(&self, codes: &[String]) -> String {
            codes.iter().map(|c| self.dept(c)).collect::<Vec<_>>().join("、")
        }
        pub fn category(&self, code: &str) -> String {
            self.categories.get(code).cloned().unwrap_or_else(|| code.to_string())
        }
    }

    pub fn local(t: DateTime<FixedOffset>) -> Cell {
        Cell::DateTime(t.with_timezone(&store::china_offset()).naive_local())
    }

    pub fn warning_zh(w: handling::Warning) -> &'static str {
        match w {
            handling::Warning::None => "正常",
            handling::Warning::Yellow => "黄灯",
            handling::Warning::Red => "红灯",
        }
    }

    fn channel_zh(c: handling::Channel) -> &'static str {
        match c {
            handling::Channel::SelfService => "企业自助",
            handling::Channel::Visit => "走访",
            handling::Channel::Hotline => "热线",
            handling::Channel::Meeting => "座谈会议",
        }
    }

    pub fn outcome_zh(o: &Outcome) -> String {
        match o {
            Outcome::Resolved => "已解决".into(),
            Outcome::Explained { .. } => "已解释".into(),
            Outcome::Referred { to } => format!("已转办（{to}）"),
        }
    }

    fn rating_zh(r: Option<Rating>) -> &'static str {
        match r {
            Some(Rating::Satisfied) => "满意",
            Some(Rating::BasicallySatisfied) => "基本满意",
            Some(Rating::Dissatisfied) => "不满意",
            None => "未评价",
        }
    }

    fn closure_zh(k: ClosureKind) -> &'static str {
        match k {
            ClosureKind::Confirmed => "企业确认",
            ClosureKind::Unrated => "逾期未评价",
            ClosureKind::SupervisorReview => "督查审定",
        }
    }

    /// The ledger workbook of the given problems.
    pub fn workbook(
        problems: &[(ProblemRow, ProblemState)],
        names: &Names,
        as_of: DateTime<FixedOffset>,
    ) -> Workbook {
        let created = problems
            .iter()
            .map(|(_, s)| s.last_at)
            .max()
            .map(|t| t.with_timezone(&store::china_offset()).naive_local())
            .unwrap_or_default();
        let mut wb = Workbook::new("问题台账", created);
        let mut list = Sheet::new(
            "问题清单",
            &[
                "编号",
                "企业名称",
                "统一社会信用代码",
                "渠道",
                "类别",
                "标题",
                "问题描述",
                "紧急程度",
                "商业秘密",
                "收到时间",
                "状态",
                "预警",
            ],
        );
        let mut resp = Sheet::new(
            "责任清单",
            &[
                "编号",
                "标题",
                "牵头部门",
                "配合部门",
                "责任人",
                "受理期限",
                "答复期限",
                "延期（工作日）",
                "督办次数",
                "办理轮次",
                "状态",
                "预警",
            ],
        );
        let mut closed = Sheet::new(
            "销号清单",
            &[
                "编号",
                "标题",
                "牵头部门",
                "答复结果",
                "答复时间",
                "按时答复",
                "销号时间",
                "销号方式",
                "企业评价",
                "办理轮次",
            ],
        );
        for (row, s) in problems {
            let d = handling::deadlines(s);
            let state = handling::state_name(s.state, i18n::Lang::Zh);
            let light = warning_zh(handling::warning(s, as_of));
            let p = &s.problem;
            list.push(vec![
                Cell::Int(row.id),
                row.enterprise_name.clone().into(),
                p.enterprise.to_string().into(),
                channel_zh(p.channel).into(),
                names.category(&p.category).into(),
                if p.confidential { "（商业秘密）".into() } else { p.title.clone().into() },
                if p.confidential { Cell::Empty } else { p.description.clone().into() },
                if p.urgency == handling::Urgency::Urgent { "紧急".into() } else { "一般".into() },
                if p.confidential { "是".into() } else { "否".into() },
                local(p.received_at),
                state.clone().into(),
                light.into(),
            ]);
            resp.push(vec![
                Cell::Int(row.id),
                if p.confidential { "（商业秘密）".into() } else { p.title.clone().into() },
                names.dept(&s.lead).into(),
                names.depts(&s.cooperating).into(),
                s.handler.clone().into(),
                d.accept_by.to_string().into(),
                d.answer_by.to_string().into(),
                Cell::Int(i64::from(s.extension_workdays)),
                Cell::Int(i64::from(s.escalations)),
                Cell::Int(i64::from(s.round)),
                state.into(),
                light.into(),
            ]);
            if let Some(c) = s.closure() {
                let last = s.last_answer();
                closed.push(vec![
                    Cell::Int(row.id),
                    if p.confidential { "（商业秘密）".into() } else { p.title.clone().into() },
                    names.dept(&c.department).into(),
                    c.outcome.as_ref().map(outcome_zh).into(),
                    last.map(|a| local(a.at)).unwrap_or(Cell::Empty),
                    last.map(|a| if a.on_time { "是" } else { "否" }).into(),
                    local(c.at),
                    closure_zh(c.kind).into(),
                    rating_zh(c.rating).into(),
                    Cell::Int(i64::from(s.round)),
                ]);
            }
        }
        wb.sheets = vec![list, resp, closed];
        wb
    }
}
