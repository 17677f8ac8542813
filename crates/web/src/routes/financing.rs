//! Financing on the web (issue 15, `app::financing`): the page `/financing` (an enterprise:
//! its demands and the form to post one; an institution: its products and the demands
//! matched to them; the financing officers: every demand with its deadline light, filters
//! and the Excel export), `/financing/{id}` (a demand with its matches and their
//! explanations, the responses, and the forms the reader may use: respond, withdraw or
//! close; the officers' 风险补偿 / 转贷过桥 step buttons), the product forms
//! (`financing_forms`), the workbook `/financing/export.xlsx`, and the JSON API under
//! `/api/v1/financing`. Only translation happens here.

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
use app::financing::{self as uc, DemandRequest, ListFilter, ProductRequest, RespondRequest};

fn filter_of(raw: &HashMap<String, String>) -> ListFilter {
    let get = |k: &str| raw.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    ListFilter { state: get("state"), kind: get("kind"), light: get("light"), limit: None }
}

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/financing/demands", tag = "financing",
    params(("state" = Option<String>, Query, description = "open, matched, accepted, granted, closed"),
           ("kind" = Option<String>, Query, description = "loan, risk_compensation, bridge_loan, equity"),
           ("light" = Option<String>, Query, description = "yellow or red")),
    responses(
        (status = 200, description = "app::financing::DemandView[] in the reader's scope", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    Ok(Json(uc::list(&state, &p, &filter_of(&raw)).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/financing/demands", tag = "financing", request_body = DemandRequest,
    responses(
        (status = 200, description = "app::financing::DemandDetail: the demand, matched", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_post(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<DemandRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::post(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/financing/demands/{id}", tag = "financing",
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::financing::DemandDetail", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_show(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(uc::show(&state, &p, id).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/financing/demands/{id}/respond", tag = "financing", request_body = RespondRequest,
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::financing::DemandDetail after the response", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_respond(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<RespondRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::respond(&state, &p, id, &b).await?).into_response())
}

/// Closing (or withdrawing) a demand.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CloseIn {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/financing/demands/{id}/close", tag = "financing", request_body = CloseIn,
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::financing::DemandDetail, closed", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_close(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<CloseIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::close(&state, &p, id, &b.reason).await?).into_response())
}

/// The next step of a 风险补偿 / 转贷过桥 demand.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct StepIn {
    /// review, approved, refused, disbursed, repaid (or 审核中 …).
    pub step: String,
    /// Required when refusing (≤ 500 characters).
    #[serde(default)]
    pub note: String,
    /// Disbursed: the amount, yuan (default the amount asked).
    #[serde(default)]
    pub amount: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/financing/demands/{id}/step", tag = "financing", request_body = StepIn,
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::financing::DemandDetail after the step", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_step(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<StepIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::step(&state, &p, id, &b.step, &b.note, b.amount.as_deref()).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/financing/products", tag = "financing",
    responses(
        (status = 200, description = "store::financing::ProductRecord[]: an institution its own", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_products(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    Ok(Json(uc::products(&state, &p).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/financing/products", tag = "financing", request_body = ProductRequest,
    responses(
        (status = 200, description = "app::financing::SavedProduct: the product and the demands rematched", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_save_product(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ProductRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::save_product(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/financing/export.xlsx", tag = "financing",
    params(("state" = Option<String>, Query, description = "only demands in this state")),
    responses(
        (status = 200, description = "the demands workbook (融资需求台账)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let mut f = filter_of(&raw);
    f.limit = Some(100_000);
    let bytes = uc::workbook(&state, &p, &f).await?;
    Ok(crate::routes::reports::xlsx(bytes, "financing.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One demand as the list shows it.
pub struct DemandRow {
    pub id: i64,
    pub enterprise: String,
    pub kind: &'static str,
    pub amount: String,
    pub term: u32,
    pub state: &'static str,
    pub step: &'static str,
    pub deadline: String,
    /// `red`, `yellow` or empty.
    pub light: &'static str,
    pub posted: String,
}

fn row(v: &uc::DemandView) -> DemandRow {
    let r = &v.record;
    DemandRow {
        id: r.id,
        enterprise: r.enterprise_name.clone(),
        kind: v.kind_zh,
        amount: r.demand.amount.to_string(),
        term: r.demand.term_months,
        state: v.state_zh,
        step: v.step_zh.unwrap_or(""),
        deadline: r.demand.deadline.to_string(),
        light: match v.light {
            handling::deadline::Warning::Red => "red",
            handling::deadline::Warning::Yellow => "yellow",
            handling::deadline::Warning::None => "",
        },
        posted: i18n::dates::date_table(i18n::dates::china_date(r.created_at)),
    }
}

/// One product as the institution's list shows it.
pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub institution: String,
    pub amount: String,
    pub term: String,
    pub rate: String,
    pub eligibility: String,
    pub active: bool,
}

#[derive(askama::Template)]
#[template(path = "financing.html")]
pub struct FinancingPage {
    pub b: Base,
    pub rows: Vec<DemandRow>,
    pub products: Vec<ProductRow>,
    /// An enterprise: the post form.
    pub posts: bool,
    /// An institution: its products are shown first.
    pub institution: Option<String>,
    /// An officer: filters and the export.
    pub officer: bool,
    pub state: String,
    pub light: String,
    /// The reader may publish products (an institution, the financing officers).
    pub publishes: bool,
    /// Demands listed with a red light and with a yellow one.
    pub reds: usize,
    pub yellows: usize,
}

/// `/financing`: the reader's demands (with filters for officers), an institution's products,
/// an enterprise's post form.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let f = filter_of(&raw);
    let list = uc::list(&state, &p, &f).await?;
    let institution = if p.role == store::Role::FinancialInstitution {
        Some(uc::institution_of(&state, &p).await?)
    } else {
        None
    };
    let products = if institution.is_some() || uc::is_officer(&p) {
        uc::products(&state, &p)
            .await?
            .into_iter()
            .map(|r| {
                let q = r.product;
                ProductRow {
                    id: q.id,
                    name: q.name,
                    institution: q.institution,
                    amount: format!("{}–{}", q.amount_min, q.amount_max),
                    term: format!("{}–{}", q.term_min_months, q.term_max_months),
                    rate: format!("{}%–{}%", q.rate_min, q.rate_max),
                    eligibility: q.eligibility,
                    active: r.active,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let count = |w: handling::deadline::Warning| list.iter().filter(|v| v.light == w).count();
    let (reds, yellows) =
        (count(handling::deadline::Warning::Red), count(handling::deadline::Warning::Yellow));
    let b = Base::new(lang, Some(&p), "/financing", "ui.financing.title");
    views::render(&FinancingPage {
        b,
        rows: list.iter().map(row).collect(),
        products,
        posts: p.role == store::Role::Enterprise,
        institution,
        officer: uc::is_officer(&p),
        state: f.state.unwrap_or_default(),
        light: f.light.unwrap_or_default(),
        publishes: uc::may_publish(&p),
        reds,
        yellows,
    })
}

/// The post form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostForm {
    pub kind: String,
    pub amount: String,
    pub term_months: String,
    pub purpose: String,
    #[serde(default)]
    pub collateral: String,
    #[serde(default)]
    pub urgency: String,
}

fn months(s: &str) -> Result<u32, WebError> {
    s.trim().parse().map_err(|_| {
        WebError::from(app::Error::Invalid {
            field: "term_months".into(),
            value: s.into(),
            reason: "应为月数，如 12 / must be a number of months such as 12".into(),
        })
    })
}

pub async fn page_post(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<PostForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = DemandRequest {
        uscc: None,
        kind: f.kind,
        amount: f.amount,
        term_months: months(&f.term_months)?,
        purpose: f.purpose,
        collateral: f
            .collateral
            .split([',', '，', '、', ' '])
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        urgency: Some(f.urgency),
        channel: None,
    };
    let d = uc::post(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/financing/{}", d.view.record.id)).into_response())
}

/// One match as the detail page shows it.
pub struct MatchRow {
    pub product: String,
    pub name: String,
    pub institution: String,
    pub matched: bool,
    pub missing: String,
    pub explanation: String,
}

/// One response as the detail page shows it.
pub struct ResponseRow {
    pub when: String,
    pub kind: &'static str,
    pub institution: String,
    pub reason: String,
    pub amount: String,
}

#[derive(askama::Template)]
#[template(path = "financing_demand.html")]
pub struct DemandPage {
    pub b: Base,
    pub d: DemandRow,
    pub purpose: String,
    pub urgency: &'static str,
    pub channel: &'static str,
    pub granted: String,
    pub close_reason: String,
    pub matches: Vec<MatchRow>,
    pub responses: Vec<ResponseRow>,
    pub may_respond: bool,
    pub may_withdraw: bool,
    pub may_manage: bool,
    /// 风险补偿 / 转贷过桥: the step buttons offered (value, label).
    pub steps: Vec<(&'static str, &'static str)>,
}

/// `/financing/{id}`.
pub async fn page_demand(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let d = uc::show(&state, &p, id).await?;
    let r = &d.view.record;
    let b = Base::new(lang, Some(&p), "/financing", "ui.financing.title");
    views::render(&DemandPage {
        b,
        d: row(&d.view),
        purpose: r.demand.purpose.clone(),
        urgency: d.view.urgency_zh,
        channel: d.view.channel_zh,
        granted: match (r.granted_amount, r.granted_on) {
            (Some(a), Some(on)) => format!("{a} 元（{on}）"),
            _ => String::new(),
        },
        close_reason: r.close_reason.clone(),
        matches: d
            .matches
            .iter()
            .map(|m| MatchRow {
                product: m.m.product_id.clone(),
                name: m.product_name.clone(),
                institution: m.institution.clone(),
                matched: m.m.matched,
                missing: m.m.missing.join("、"),
                explanation: m.m.explanation.clone(),
            })
            .collect(),
        responses: d
            .responses
            .iter()
            .map(|x| ResponseRow {
                when: i18n::dates::time_table(x.responded_at),
                kind: x.response.step.map_or(x.response.kind.label_zh(), |s| s.label_zh()),
                institution: x.response.institution.clone(),
                reason: x.response.reason.clone(),
                amount: x.response.amount.map(|a| format!("{a} 元")).unwrap_or_default(),
            })
            .collect(),
        may_respond: d.may_respond,
        may_withdraw: d.may_withdraw,
        may_manage: d.may_manage,
        steps: d.next_steps.iter().map(|s| (s.as_str(), s.label_zh())).collect(),
    })
}

/// The respond and close forms.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub response: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub date: String,
    /// The step form's button.
    #[serde(default)]
    pub step: String,
}

/// `POST /financing/{id}/{respond|close|step}`.
pub async fn page_act(
    State(state): State<AppState>,
    p: Principal,
    Path((id, action)): Path<(i64, String)>,
    f: Result<Form<ActForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match action.as_str() {
        "respond" => {
            let req = RespondRequest {
                product: f.product,
                response: f.response,
                reason: f.reason,
                amount: Some(f.amount).filter(|s| !s.trim().is_empty()),
                date: Some(f.date).filter(|s| !s.trim().is_empty()),
            };
            uc::respond(&state, &p, id, &req).await?;
        }
        "close" => {
            uc::close(&state, &p, id, &f.reason).await?;
        }
        "step" => {
            uc::step(&state, &p, id, &f.step, &f.reason, Some(f.amount.as_str())).await?;
        }
        _ => return Err(WebError::from(app::Error::DemandNotFound { id })),
    }
    Ok(Redirect::to(&format!("/financing/{id}")).into_response())
}
