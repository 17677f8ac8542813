//! Credit repair cases on the web (issue 15, 三.16, `app::credit_repair`): the page
//! `/credit-repair` (the cases with their late steps lit, filters, the credit office's form to
//! record a case, the Excel export for officials), `/credit-repair/{id}` (the record, the
//! steps with their deadlines and days done, what the enterprise does next, and for the
//! credit office the next step's form), the workbook `/credit-repair/export.xlsx`, and the
//! JSON API under `/api/v1/credit-repair`. An enterprise reads its own cases. Only
//! translation happens here.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::routes::plans::flag;
use crate::state::AppState;
use crate::views::{self, Base};
use app::credit_repair::{self as uc, AdvanceRequest, ListQuery, OpenRequest};
use store::credit_repair::{RecordKind, RepairStep};

fn query_of(raw: &HashMap<String, String>) -> ListQuery {
    ListQuery {
        open: flag(raw, "open"),
        late: flag(raw, "late"),
        uscc: raw.get("uscc").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
    }
}

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/credit-repair", tag = "credit-repair",
    params(
        ("open" = Option<bool>, Query, description = "only open cases"),
        ("late" = Option<bool>, Query, description = "only cases whose awaited step is late"),
        ("uscc" = Option<String>, Query, description = "one enterprise's cases"),
    ),
    responses(
        (status = 200, description = "app::credit_repair::CaseView[] in the reader's scope (an enterprise its own)", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    Ok(Json(uc::list(&state, &p, &query_of(&raw)).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/credit-repair", tag = "credit-repair", request_body = OpenRequest,
    responses(
        (status = 200, description = "app::credit_repair::CaseView: the case recorded, its deadlines on the zone calendar", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_open(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<OpenRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::open(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/credit-repair/{id}", tag = "credit-repair",
    params(("id" = i64, Path, description = "the case")),
    responses(
        (status = 200, description = "app::credit_repair::CaseDetail: the case and the steps the reader may record now (choices)", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_show(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(uc::detail(&state, &p, id).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/credit-repair/{id}/steps", tag = "credit-repair", request_body = AdvanceRequest,
    params(("id" = i64, Path, description = "the case")),
    responses(
        (status = 200, description = "app::credit_repair::CaseView after the step", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_advance(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<AdvanceRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::advance(&state, &p, id, &b).await?).into_response())
}

/// `/credit-repair/export.xlsx` (and the API's): the cases workbook.
#[utoipa::path(get, path = "/api/v1/credit-repair/export.xlsx", tag = "credit-repair",
    params(
        ("open" = Option<bool>, Query, description = "only open cases"),
        ("late" = Option<bool>, Query, description = "only late cases"),
    ),
    responses(
        (status = 200, description = "the workbook 信用修复台账 (one row per case with its steps' dates and deadlines)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let bytes = uc::workbook(&state, &p, &query_of(&raw)).await?;
    Ok(crate::routes::reports::xlsx(bytes, "credit-repair.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One case as the lists show it.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: i64,
    pub uscc: String,
    pub enterprise: String,
    pub kind: &'static str,
    pub source: String,
    pub record_date: String,
    pub recorded_on: String,
    pub step: &'static str,
    /// What the enterprise does next (empty once final).
    pub todo: &'static str,
    pub next_due: String,
    pub late: bool,
    pub repaired: bool,
    pub refused: bool,
}

fn row(v: &uc::CaseView) -> CaseRow {
    let c = &v.record;
    CaseRow {
        id: c.id,
        uscc: c.uscc.clone(),
        enterprise: c.enterprise_name.clone(),
        kind: v.kind_zh,
        source: c.case.source.clone(),
        record_date: c.case.record_date.to_string(),
        recorded_on: c.case.recorded_on.to_string(),
        step: v.step_zh,
        todo: v.todo_zh.unwrap_or(""),
        next_due: v.next_due.map(|d| d.to_string()).unwrap_or_default(),
        late: v.late,
        repaired: v.step == RepairStep::Repaired,
        refused: v.step == RepairStep::Refused,
    }
}

/// The signed-in enterprise's cases (its home), open ones first.
pub async fn own(state: &AppState, p: &Principal) -> Result<Vec<CaseRow>, WebError> {
    let mut rows: Vec<CaseRow> = uc::list(state, p, &ListQuery::default()).await?.iter().map(row).collect();
    rows.sort_by_key(|r| r.todo.is_empty());
    Ok(rows)
}

#[derive(askama::Template)]
#[template(path = "repairs.html")]
pub struct RepairsPage {
    pub b: Base,
    pub rows: Vec<CaseRow>,
    /// The credit office: the form to record a case.
    pub office: bool,
    /// An official: filters and the export.
    pub officer: bool,
    pub open: bool,
    pub late: bool,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub today: String,
}

/// `/credit-repair`: the reader's cases (`?open=true&late=true`).
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let q = query_of(&raw);
    let list = uc::list(&state, &p, &q).await?;
    let b = Base::new(lang, Some(&p), "/credit-repair", "ui.credit_repair.title");
    use strum::IntoEnumIterator;
    views::render(&RepairsPage {
        b,
        rows: list.iter().map(row).collect(),
        office: uc::runs_cases(&state, &p).await?,
        officer: p.role != store::Role::Enterprise,
        open: q.open,
        late: q.late,
        kinds: RecordKind::iter().map(|k| (k.as_str(), k.label_zh())).collect(),
        today: state.now().date_naive().to_string(),
    })
}

/// The form recording a case.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OpenForm {
    pub uscc: String,
    pub source: String,
    pub record_date: String,
    pub kind: String,
    #[serde(default)]
    pub conditions: String,
}

/// `POST /credit-repair`: records the case, then its page.
pub async fn page_open(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<OpenForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = OpenRequest {
        uscc: f.uscc,
        source: f.source,
        record_date: f.record_date,
        kind: f.kind,
        conditions: f.conditions,
    };
    let v = uc::open(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/credit-repair/{}", v.record.id)).into_response())
}

/// One step of a case's page: its deadline (the enterprise's three steps), the day done and
/// the reason of a refusal.
pub struct StepRow {
    pub label: &'static str,
    pub due: String,
    pub done_on: String,
    pub reason: String,
    /// The awaited step, past its deadline.
    pub late: bool,
    /// The awaited step.
    pub next: bool,
}

#[derive(askama::Template)]
#[template(path = "repair.html")]
pub struct RepairPage {
    pub b: Base,
    pub c: CaseRow,
    pub enterprise_link: bool,
    pub conditions: String,
    pub steps: Vec<StepRow>,
    /// The steps the credit office may record now (code, label).
    pub choices: Vec<(&'static str, &'static str)>,
    pub version: i64,
    pub today: String,
    pub last_done: String,
}

/// `/credit-repair/{id}`.
pub async fn page_case(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let d = uc::detail(&state, &p, id).await?;
    let v = &d.view;
    let c = &v.record;
    let done = |s: RepairStep| c.steps.iter().find(|x| x.step == s);
    let mut steps = vec![StepRow {
        label: RepairStep::Recorded.label_zh(),
        due: String::new(),
        done_on: c.case.recorded_on.to_string(),
        reason: String::new(),
        late: false,
        next: false,
    }];
    for (s, due) in [
        (RepairStep::TrainingAttended, c.case.training_due),
        (RepairStep::CommitmentSigned, c.case.commitment_due),
        (RepairStep::ApplicationSubmitted, c.case.application_due),
    ] {
        let x = done(s);
        steps.push(StepRow {
            label: s.label_zh(),
            due: due.to_string(),
            done_on: x.map(|x| x.done_on.to_string()).unwrap_or_default(),
            reason: x.map(|x| x.reason.clone()).unwrap_or_default(),
            late: v.next == Some(s) && v.late,
            next: v.next == Some(s),
        });
    }
    let end = c.steps.iter().find(|x| x.step.is_final());
    steps.push(StepRow {
        label: end.map_or("认定部门审核结果", |x| x.step.label_zh()),
        due: String::new(),
        done_on: end.map(|x| x.done_on.to_string()).unwrap_or_default(),
        reason: end.map(|x| x.reason.clone()).unwrap_or_default(),
        late: false,
        next: v.next == Some(RepairStep::Repaired),
    });
    let mut b = Base::new(lang, Some(&p), "/credit-repair", "ui.credit_repair.title");
    b.title = format!("{}：{}", b.title, c.enterprise_name);
    let page = RepairPage {
        c: row(v),
        enterprise_link: p.role != store::Role::Enterprise,
        conditions: c.case.conditions.clone(),
        steps,
        choices: d.choices.iter().map(|s| (s.as_str(), s.label_zh())).collect(),
        version: c.version,
        today: state.now().date_naive().to_string(),
        last_done: c.steps.last().map(|x| x.done_on.to_string()).unwrap_or_default(),
        b,
    };
    views::render(&page)
}

/// The step form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepForm {
    pub step: String,
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// `POST /credit-repair/{id}/steps`: records the step, then back to the case.
pub async fn page_advance(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<StepForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = AdvanceRequest {
        step: f.step,
        on: Some(f.on).filter(|s| !s.trim().is_empty()),
        reason: f.reason,
        version: f.version,
    };
    uc::advance(&state, &p, id, &req).await?;
    Ok(Redirect::to(&format!("/credit-repair/{id}")).into_response())
}
