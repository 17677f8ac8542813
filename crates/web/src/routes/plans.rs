//! 一企一对策 plans on the web (issue 15, 三.7, `app::plans`): the page `/plans` (the list
//! with its lights: measures behind schedule, review overdue or due now; filters; the running
//! department's form to make a plan from an expert diagnosis; the Excel export for
//! officials), `/plans/{id}` (the diagnosis, the measures with owner department, deadline,
//! status and notes, the reviews; the forms the reader may use: an owner department updates
//! its own measures, the running department every measure, adds measures and records the
//! quarterly review), the workbook `/plans/export.xlsx`, and the JSON API under
//! `/api/v1/plans`. An enterprise reads its own plans. Only translation happens here.

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
use crate::state::AppState;
use crate::views::{self, Base};
use app::plans::{
    self as uc, AddMeasuresRequest, CreateRequest, ListQuery, MeasureInput, MeasureUpdate, ReviewRequest,
};
use store::plans::MeasureStatus;

/// A query flag: `true`, `1`, `on` or `yes`.
pub(crate) fn flag(raw: &HashMap<String, String>, key: &str) -> bool {
    raw.get(key).is_some_and(|v| matches!(v.trim(), "true" | "1" | "on" | "yes"))
}

fn text(raw: &HashMap<String, String>, key: &str) -> Option<String> {
    raw.get(key).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn query_of(raw: &HashMap<String, String>) -> ListQuery {
    ListQuery {
        behind: flag(raw, "behind"),
        closed: flag(raw, "closed"),
        programme: text(raw, "programme"),
        uscc: text(raw, "uscc"),
    }
}

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/plans", tag = "plans",
    params(
        ("behind" = Option<bool>, Query, description = "only plans with a measure behind schedule or a review overdue"),
        ("closed" = Option<bool>, Query, description = "closed plans too"),
        ("programme" = Option<String>, Query, description = "doubling, leading, high_growth (倍增, 领跑, 高成长)"),
        ("uscc" = Option<String>, Query, description = "one enterprise's plans"),
    ),
    responses(
        (status = 200, description = "app::plans::PlanView[] in the reader's scope (an enterprise its own; an owner department those with its measures)", body = Object),
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

#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", request_body = CreateRequest,
    responses(
        (status = 200, description = "app::plans::PlanView: the plan made", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_create(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::create(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans",
    params(("id" = i64, Path, description = "the plan")),
    responses(
        (status = 200, description = "app::plans::PlanDetail: the plan, the measures the reader may update (editable) and whether it manages the plan", body = Object),
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

#[utoipa::path(post, path = "/api/v1/plans/{id}/measures", tag = "plans", request_body = AddMeasuresRequest,
    params(("id" = i64, Path, description = "the plan")),
    responses(
        (status = 200, description = "app::plans::PlanView with the measures added", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_add_measures(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<AddMeasuresRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::add_measures(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/plans/{id}/measures/{measure}", tag = "plans", request_body = MeasureUpdate,
    params(("id" = i64, Path, description = "the plan"), ("measure" = i64, Path, description = "the measure")),
    responses(
        (status = 200, description = "app::plans::PlanView after the update", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_update_measure(
    State(state): State<AppState>,
    p: Principal,
    Path((id, measure)): Path<(i64, i64)>,
    body: Result<Json<MeasureUpdate>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::update_measure(&state, &p, id, measure, &b).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/plans/{id}/reviews", tag = "plans", request_body = ReviewRequest,
    params(("id" = i64, Path, description = "the plan")),
    responses(
        (status = 200, description = "app::plans::PlanView with the review (and closed if asked)", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_review(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<ReviewRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::review(&state, &p, id, &b).await?).into_response())
}

/// `/plans/export.xlsx` (and the API's): the plans workbook.
#[utoipa::path(get, path = "/api/v1/plans/export.xlsx", tag = "plans",
    params(
        ("behind" = Option<bool>, Query, description = "only plans behind schedule"),
        ("closed" = Option<bool>, Query, description = "closed plans too"),
        ("programme" = Option<String>, Query, description = "one programme"),
    ),
    responses(
        (status = 200, description = "the workbook 一企一对策台账 (方案, 措施, 评估)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let bytes = uc::workbook(&state, &p, &query_of(&raw)).await?;
    Ok(crate::routes::reports::xlsx(bytes, "plans.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One plan as the list shows it.
#[derive(Debug, Clone)]
pub struct PlanRow {
    pub id: i64,
    pub uscc: String,
    pub enterprise: String,
    pub programme: &'static str,
    pub measures: usize,
    pub done: usize,
    pub behind: usize,
    pub review_due: String,
    pub review_overdue: bool,
    pub review_open: bool,
    pub closed: String,
}

fn row(v: &uc::PlanView) -> PlanRow {
    let r = &v.record;
    PlanRow {
        id: r.id,
        uscc: r.uscc.clone(),
        enterprise: r.enterprise_name.clone(),
        programme: v.programme_zh,
        measures: r.measures.len(),
        done: v.done,
        behind: v.behind.len(),
        review_due: v.review_due.map(|d| d.to_string()).unwrap_or_default(),
        review_overdue: v.review_overdue,
        review_open: v.review_open,
        closed: r.closed_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

/// The signed-in enterprise's open plans (its home).
pub async fn own(state: &AppState, p: &Principal) -> Result<Vec<PlanRow>, WebError> {
    Ok(uc::list(state, p, &ListQuery::default()).await?.iter().map(row).collect())
}

/// The departments a measure may be owned by (code, name).
async fn departments(state: &AppState) -> Result<Vec<(String, String)>, WebError> {
    let routing = crate::routes::problems::routing(state).await?;
    Ok(routing.departments.iter().map(|d| (d.code.clone(), d.name.clone())).collect())
}

#[derive(askama::Template)]
#[template(path = "plans.html")]
pub struct PlansPage {
    pub b: Base,
    pub rows: Vec<PlanRow>,
    /// The reader runs 一企一对策: the create form.
    pub manages: bool,
    /// An official: filters and the export.
    pub officer: bool,
    pub behind: bool,
    pub closed: bool,
    pub programme: String,
    pub export_query: String,
    pub programmes: Vec<(&'static str, &'static str)>,
    pub departments: Vec<(String, String)>,
    pub today: String,
}

/// `/plans`: the reader's plans with their lights (`?behind=true&closed=true&programme=…`).
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let q = query_of(&raw);
    let list = uc::list(&state, &p, &q).await?;
    let manages = uc::runs_plans(&state, &p).await?;
    let b = Base::new(lang, Some(&p), "/plans", "ui.plans.title");
    use strum::IntoEnumIterator;
    let programme = q.programme.clone().unwrap_or_default();
    let export_query =
        format!("behind={}&closed={}&programme={}", q.behind, q.closed, url_encode(&programme));
    views::render(&PlansPage {
        b,
        rows: list.iter().map(row).collect(),
        manages,
        officer: p.role != store::Role::Enterprise,
        behind: q.behind,
        closed: q.closed,
        programme,
        export_query,
        programmes: store::plans::Programme::iter().map(|k| (k.as_str(), k.label_zh())).collect(),
        departments: if manages { departments(&state).await? } else { Vec::new() },
        today: state.now().date_naive().to_string(),
    })
}

/// Percent-encodes a query value.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The measures of a form: each `title`, `owner_department` and `deadline` in order (rows
/// left blank are skipped).
fn measures_of(pairs: &[(String, String)]) -> Vec<MeasureInput> {
    let field = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (titles, owners, deadlines) = (field("title"), field("owner_department"), field("deadline"));
    titles
        .into_iter()
        .enumerate()
        .map(|(i, title)| MeasureInput {
            title,
            owner_department: owners.get(i).cloned().unwrap_or_default(),
            deadline: deadlines.get(i).cloned().unwrap_or_default(),
        })
        .filter(|m| !(m.title.trim().is_empty() && m.deadline.trim().is_empty()))
        .collect()
}

fn one(pairs: &[(String, String)], key: &str) -> String {
    pairs.iter().find(|(n, _)| n == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

fn version(pairs: &[(String, String)]) -> Option<i64> {
    one(pairs, "version").trim().parse().ok()
}

/// `POST /plans`: makes the plan, then its page.
pub async fn page_create(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = CreateRequest {
        uscc: one(&f, "uscc"),
        programme: one(&f, "programme"),
        diagnosed_on: one(&f, "diagnosed_on"),
        experts: one(&f, "experts"),
        findings: one(&f, "findings"),
        measures: measures_of(&f),
    };
    let v = uc::create(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/plans/{}", v.record.id)).into_response())
}

/// One measure as the plan's page shows it.
pub struct MeasureRow {
    pub id: i64,
    pub seq: i64,
    pub title: String,
    pub owner: String,
    pub deadline: String,
    pub status: &'static str,
    pub done_on: String,
    pub notes: Vec<String>,
    pub behind: bool,
    /// The statuses the reader may move it to (code, label); empty: read-only.
    pub moves: Vec<(&'static str, &'static str)>,
    pub editable: bool,
}

/// One review as the plan's page shows it.
pub struct ReviewRow {
    pub on: String,
    pub conclusion: String,
    pub by: String,
}

#[derive(askama::Template)]
#[template(path = "plan.html")]
pub struct PlanPage {
    pub b: Base,
    pub p: PlanRow,
    pub enterprise_link: bool,
    pub diagnosed_on: String,
    pub experts: String,
    pub findings: String,
    pub started_on: String,
    pub measures: Vec<MeasureRow>,
    pub reviews: Vec<ReviewRow>,
    pub manages: bool,
    pub version: i64,
    pub departments: Vec<(String, String)>,
    pub today: String,
}

/// `/plans/{id}`.
pub async fn page_plan(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let d = uc::detail(&state, &p, id).await?;
    let routing = crate::routes::problems::routing(&state).await?;
    let name = |c: &str| routing.department(c).map_or(c.to_string(), |d| d.name.clone());
    let r = &d.view.record;
    let mut b = Base::new(lang, Some(&p), "/plans", "ui.plans.title");
    b.title = format!("{}：{}", b.title, r.enterprise_name);
    use strum::IntoEnumIterator;
    let measures = r
        .measures
        .iter()
        .map(|m| {
            let editable = d.editable.contains(&m.id);
            MeasureRow {
                id: m.id,
                seq: m.seq,
                title: m.title.clone(),
                owner: name(&m.owner_department),
                deadline: m.deadline.to_string(),
                status: m.status.label_zh(),
                done_on: m.done_on.map(|x| x.to_string()).unwrap_or_default(),
                notes: m.notes.lines().map(str::to_string).collect(),
                behind: d.view.behind.contains(&m.id),
                moves: if editable {
                    MeasureStatus::iter()
                        .filter(|s| *s != MeasureStatus::Planned && m.status.may_become(*s))
                        .map(|s| (s.as_str(), s.label_zh()))
                        .collect()
                } else {
                    Vec::new()
                },
                editable,
            }
        })
        .collect();
    let page = PlanPage {
        p: row(&d.view),
        enterprise_link: p.role != store::Role::Enterprise,
        diagnosed_on: r.diagnosed_on.to_string(),
        experts: r.experts.clone(),
        findings: r.findings.clone(),
        started_on: r.started_on.to_string(),
        measures,
        reviews: r
            .reviews
            .iter()
            .map(|x| ReviewRow {
                on: x.reviewed_on.to_string(),
                conclusion: x.conclusion.clone(),
                by: x.reviewed_by.clone(),
            })
            .collect(),
        manages: d.manages,
        version: r.version,
        departments: if d.manages { departments(&state).await? } else { Vec::new() },
        today: state.now().date_naive().to_string(),
        b,
    };
    views::render(&page)
}

/// The measure form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MeasureForm {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// `POST /plans/{id}/measures/{measure}`: updates the measure, then back to the plan.
pub async fn page_update_measure(
    State(state): State<AppState>,
    p: Principal,
    Path((id, measure)): Path<(i64, i64)>,
    f: Result<Form<MeasureForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = MeasureUpdate { status: f.status, note: f.note, version: f.version };
    uc::update_measure(&state, &p, id, measure, &req).await?;
    Ok(Redirect::to(&format!("/plans/{id}#measure-{measure}")).into_response())
}

/// `POST /plans/{id}/measures`: adds the form's measures, then back to the plan.
pub async fn page_add_measures(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = AddMeasuresRequest { measures: measures_of(&f), version: version(&f) };
    uc::add_measures(&state, &p, id, &req).await?;
    Ok(Redirect::to(&format!("/plans/{id}")).into_response())
}

/// `POST /plans/{id}/reviews`: records the review, then back to the plan.
pub async fn page_review(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = ReviewRequest {
        reviewed_on: Some(one(&f, "reviewed_on")).filter(|s| !s.trim().is_empty()),
        conclusion: one(&f, "conclusion"),
        close: matches!(one(&f, "close").trim(), "true" | "on" | "1"),
        measures: Vec::new(),
        version: version(&f),
    };
    uc::review(&state, &p, id, &req).await?;
    Ok(Redirect::to(&format!("/plans/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_measures_come_in_order_and_blank_rows_are_skipped() {
        let pairs: Vec<(String, String)> = [
            ("uscc", "x"),
            ("title", "对接贷款"),
            ("owner_department", "sci_tech_finance"),
            ("deadline", "2027-03-31"),
            ("title", ""),
            ("owner_department", "tax_bureau"),
            ("deadline", ""),
            ("title", "研发加计扣除"),
            ("owner_department", "tax_bureau"),
            ("deadline", "2027-06-30"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let m = measures_of(&pairs);
        assert_eq!(m.len(), 2);
        assert_eq!((m[1].title.as_str(), m[1].owner_department.as_str()), ("研发加计扣除", "tax_bureau"));
        assert_eq!(url_encode("倍增 x"), "%E5%80%8D%E5%A2%9E%20x");
    }
}
