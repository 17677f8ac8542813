//! Utility arrears on the web (issue 15, 三.9, `app::utilities`): the page `/utilities` (the
//! utilities officers, leaders and supervisors: every record per provider with its light, the
//! import form, the waivers due per provider and the violations linking to their problems; an
//! enterprise: its own records and whether the waiver applies), the import `POST
//! /utilities/import` (a CSV or XLSX upload, all or nothing, dry run on request), the workbook
//! `/utilities/export.xlsx`, and the JSON API under `/api/v1/utilities`. Only translation
//! happens here.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::json;
use crate::routes::service_files::{ImportIn, upload};
use crate::state::AppState;
use crate::views::{self, Base};
use app::utilities::{self as uc, ListQuery};

fn query_of(raw: &HashMap<String, String>) -> ListQuery {
    let get = |k: &str| raw.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    ListQuery { provider: get("provider"), uscc: get("uscc"), state: get("state") }
}

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/utilities", tag = "utilities",
    params(("provider" = Option<String>, Query, description = "one provider's records"),
           ("uscc" = Option<String>, Query, description = "one enterprise's records (officials)"),
           ("state" = Option<String>, Query, description = "open, waived, overdue, paid_late, violation")),
    responses(
        (status = 200, description = "app::utilities::ArrearsView[]: an enterprise its own, officials all", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
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

#[utoipa::path(post, path = "/api/v1/utilities/import", tag = "utilities", request_body(content = ImportIn, description = "CSV columns: 供应单位/provider, 记录编号/record_no (always), 统一社会信用代码/uscc, 类别/kind, 欠费金额/amount, 欠费日期/arrears_on, 补缴日期/paid_on, 滞纳金/late_fee, 滞纳金收取日期/late_fee_on (as the file carries them)"),
    responses(
        (status = 200, description = "app::utilities::ImportReport (with the problems raised for violations)", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "a record changed meanwhile; import again", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "every row's problem; nothing imported", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_import(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ImportIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = json(body)?.into();
    Ok(Json(uc::import(&state, &p, &req).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/utilities/waivers", tag = "utilities",
    params(("provider" = Option<String>, Query, description = "one provider")),
    responses(
        (status = 200, description = "app::utilities::ProviderWaivers[]: the records paid in the window per provider, with the amounts", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_waivers(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    Ok(Json(uc::waivers(&state, &p, query_of(&raw).provider.as_deref()).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/utilities/violations", tag = "utilities",
    responses(
        (status = 200, description = "app::utilities::ViolationView[]: late fees charged against the waiver, with their problems", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_violations(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    Ok(Json(uc::violations(&state, &p).await?).into_response())
}

#[utoipa::path(get, path = "/utilities/export.xlsx", tag = "utilities",
    params(("provider" = Option<String>, Query, description = "one provider's records")),
    responses(
        (status = 200, description = "the records workbook (水电气欠费台账)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let bytes = uc::workbook(&state, &p, &query_of(&raw)).await?;
    Ok(crate::routes::reports::xlsx(bytes, "utilities.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One record as the lists show it.
pub struct Row {
    pub id: i64,
    pub provider: String,
    pub record_no: String,
    pub enterprise: String,
    pub kind: &'static str,
    pub amount: String,
    pub arrears_on: String,
    pub deadline: String,
    pub paid_on: String,
    pub late_fee: String,
    pub state: &'static str,
    pub light: &'static str,
    pub violation: &'static str,
    pub waiver: bool,
    pub problem: Option<i64>,
}

fn row(v: &uc::ArrearsView) -> Row {
    let f = &v.record.facts;
    Row {
        id: v.record.id,
        provider: f.provider.clone(),
        record_no: f.record_no.clone(),
        enterprise: v.record.enterprise_name.clone(),
        kind: v.kind_zh,
        amount: f.amount.to_string(),
        arrears_on: f.arrears_on.to_string(),
        deadline: v.deadline.to_string(),
        paid_on: f.paid_on.map(|d| d.to_string()).unwrap_or_default(),
        late_fee: f.late_fee.filter(|x| !x.is_zero()).map(|x| x.to_string()).unwrap_or_default(),
        state: v.state_zh,
        light: v.light,
        violation: v.violation_zh.unwrap_or(""),
        waiver: v.waiver_applies,
        problem: v.record.problem_id,
    }
}

/// One provider's waivers due.
pub struct WaiverRow {
    pub provider: String,
    pub count: u64,
    pub amount: String,
    pub fees: String,
}

/// One violation with its problem.
pub struct ViolationRow {
    pub r: Row,
    pub problem_state: String,
    pub closed: bool,
}

#[derive(askama::Template)]
#[template(path = "utilities.html")]
pub struct UtilitiesPage {
    pub b: Base,
    pub rows: Vec<Row>,
    pub providers: Vec<String>,
    pub provider: String,
    pub state: String,
    /// The import form (the utilities officers).
    pub imports: bool,
    /// Officials who read every record: waivers, violations, filters, export.
    pub official: bool,
    pub waivers: Vec<WaiverRow>,
    pub violations: Vec<ViolationRow>,
    /// The last import's outcome (from the redirect).
    pub notice: String,
    pub source: &'static str,
}

/// `/utilities`.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let q = query_of(&raw);
    let list = uc::list(&state, &p, &q).await?;
    let official = p.role != store::Role::Enterprise;
    let imports = uc::runs_records(&state, &p).await?;
    let (waivers, violations, providers) = if official {
        let all = uc::list(&state, &p, &ListQuery::default()).await?;
        let mut providers: Vec<String> = all.iter().map(|v| v.record.facts.provider.clone()).collect();
        providers.dedup();
        let waivers = uc::waivers(&state, &p, None)
            .await?
            .into_iter()
            .map(|w| WaiverRow {
                provider: w.provider,
                count: w.count,
                amount: crate::plain::thousands(&w.amount.round_dp(2).to_string()),
                fees: w.fees_charged.to_string(),
            })
            .collect();
        let violations = uc::violations(&state, &p)
            .await?
            .iter()
            .map(|v| ViolationRow {
                r: row(&v.arrears),
                problem_state: if lang == i18n::Lang::En {
                    v.problem_state.clone().unwrap_or_default()
                } else {
                    v.problem_state_zh.clone().unwrap_or_default()
                },
                closed: v.problem_closed,
            })
            .collect();
        (waivers, violations, providers)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let get = |k: &str| raw.get(k).map(String::as_str).unwrap_or("");
    let notice = match (raw.contains_key("imported"), get("dry") == "1", lang == i18n::Lang::En) {
        (false, _, _) => String::new(),
        (true, dry, true) => format!(
            "{}: {} new, {} updated, {} unchanged, {} problems raised",
            if dry { "Dry run passed (nothing written)" } else { "Imported" },
            get("imported"),
            get("updated"),
            get("unchanged"),
            get("raised")
        ),
        (true, dry, false) => format!(
            "{}：新增 {} 条，更新 {} 条，未变 {} 条，生成问题 {} 件",
            if dry { "预检通过（未写入）" } else { "已导入" },
            get("imported"),
            get("updated"),
            get("unchanged"),
            get("raised")
        ),
    };
    let b = Base::new(lang, Some(&p), "/utilities", "ui.utilities.title");
    views::render(&UtilitiesPage {
        b,
        rows: list.iter().map(row).collect(),
        providers,
        provider: q.provider.unwrap_or_default(),
        state: q.state.unwrap_or_default(),
        imports,
        official,
        waivers,
        violations,
        notice,
        source: uc::WAIVER_SOURCE,
    })
}

/// `POST /utilities/import`: a provider's file uploaded (field `file`; `dry_run` = 1 to check
/// only), all or nothing, then back to the page with the outcome.
pub async fn page_import(
    State(state): State<AppState>,
    p: Principal,
    mp: Multipart,
) -> Result<Response, WebError> {
    let req =
        upload(mp, "供应单位的欠费文件（CSV 或 XLSX） / the provider's arrears file (CSV or XLSX)").await?;
    let r = uc::import(&state, &p, &req).await?;
    Ok(Redirect::to(&format!(
        "/utilities?imported={}&updated={}&unchanged={}&raised={}&dry={}",
        r.inserted,
        r.updated,
        r.unchanged,
        r.problems_raised.len(),
        u8::from(r.dry_run)
    ))
    .into_response())
}
