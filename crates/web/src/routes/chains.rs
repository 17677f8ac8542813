//! Supply chains on the web (三.11, issue 15, `app::chains`): the page `/chains` (an
//! enterprise: its chain positions, its supply demands and the forms to record a position and
//! post a demand; officials: every demand with its state and the behind mark, filters, the
//! zone's chain map and the Excel export; the chain office also records positions for any
//! enterprise), `/chains/{id}` (a demand with its matched suppliers and why each matches, its
//! introductions and outcomes, and the forms the reader may use: introduce, record an
//! outcome, close or withdraw), the workbook `/chains/export.xlsx`, and the JSON API under
//! `/api/v1/chains`. Only translation happens here.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};
use app::chains::{
    self as uc, CloseRequest, DemandQuery, DemandRequest, IntroduceRequest, OutcomeRequest, PositionQuery,
    PositionRequest,
};

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/chains/demands", tag = "chains",
    params(DemandQuery),
    responses(
        (status = 200, description = "app::chains::DemandView[] in the reader's scope", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<DemandQuery>,
) -> Result<Response, WebError> {
    Ok(Json(uc::demands(&state, &p, &q).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/chains/demands", tag = "chains", request_body = DemandRequest,
    responses(
        (status = 200, description = "app::chains::DemandDetail: the demand with its matched suppliers", body = Object),
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
    Ok(Json(uc::post_demand(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/chains/demands/{id}", tag = "chains",
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::chains::DemandDetail", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_show(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(uc::show_demand(&state, &p, id).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/chains/demands/{id}/introduce", tag = "chains", request_body = IntroduceRequest,
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::chains::DemandDetail after the introduction", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_introduce(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<IntroduceRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::introduce(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/chains/demands/{id}/outcome", tag = "chains", request_body = OutcomeRequest,
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::chains::DemandDetail after the outcome", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_outcome(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<OutcomeRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::record_outcome(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/chains/demands/{id}/close", tag = "chains", request_body = CloseRequest,
    params(("id" = i64, Path, description = "the demand")),
    responses(
        (status = 200, description = "app::chains::DemandDetail, closed", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_close(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<CloseRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::close_demand(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/chains/positions", tag = "chains",
    params(PositionQuery),
    responses(
        (status = 200, description = "app::chains::PositionView[]: an enterprise its own, officials the zone's", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_positions(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<PositionQuery>,
) -> Result<Response, WebError> {
    Ok(Json(uc::positions(&state, &p, &q).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/chains/positions", tag = "chains", request_body = PositionRequest,
    responses(
        (status = 200, description = "app::chains::PositionView[]: the enterprise's positions after the change", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_save_position(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<PositionRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::save_position(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/chains/export.xlsx", tag = "chains",
    params(DemandQuery),
    responses(
        (status = 200, description = "the supply demands workbook (产业链配套需求台账)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<DemandQuery>,
) -> Result<Response, WebError> {
    let bytes = uc::workbook(&state, &p, &q).await?;
    Ok(crate::routes::reports::xlsx(bytes, "chains.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One demand as the list shows it.
pub struct DemandRow {
    pub id: i64,
    pub enterprise: String,
    pub description: String,
    pub quantity: String,
    pub needed_by: String,
    pub due: String,
    pub state: &'static str,
    pub behind: bool,
    pub introductions: usize,
}

fn row(v: &uc::DemandView) -> DemandRow {
    let r = &v.record;
    DemandRow {
        id: r.id,
        enterprise: r.enterprise_name.clone(),
        description: r.demand.description.clone(),
        quantity: r.demand.quantity.clone(),
        needed_by: r.demand.needed_by.to_string(),
        due: r.demand.introduction_due.to_string(),
        state: v.state_zh,
        behind: v.behind,
        introductions: r.introductions.len(),
    }
}

/// One chain position as the lists show it.
pub struct PositionRow {
    pub uscc: String,
    pub enterprise: String,
    pub chain: String,
    pub position: &'static str,
    pub supplies: String,
}

#[derive(askama::Template)]
#[template(path = "chains.html")]
pub struct ChainsPage {
    pub b: Base,
    pub rows: Vec<DemandRow>,
    pub positions: Vec<PositionRow>,
    /// An enterprise: its own positions and demands, the post form.
    pub enterprise: bool,
    /// The chain office: records positions for any enterprise.
    pub office: bool,
    pub state: String,
    pub behind: bool,
    /// The day a demand may be needed by at the earliest (today), for the form.
    pub today: String,
}

/// `/chains`.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(q): Query<DemandQuery>,
) -> Result<Html<String>, WebError> {
    let list = uc::demands(&state, &p, &q).await?;
    let positions = uc::positions(&state, &p, &PositionQuery::default())
        .await?
        .into_iter()
        .map(|v| PositionRow {
            uscc: v.record.uscc,
            enterprise: v.record.enterprise_name,
            chain: v.record.position.chain,
            position: v.position_zh,
            supplies: v.record.position.supplies,
        })
        .collect();
    let b = Base::new(lang, Some(&p), "/chains", "ui.chains.title");
    views::render(&ChainsPage {
        b,
        rows: list.iter().map(row).collect(),
        positions,
        enterprise: p.role == store::Role::Enterprise,
        office: uc::runs_service(&state, &p).await?,
        state: q.state.unwrap_or_default(),
        behind: q.behind,
        today: state.today().to_string(),
    })
}

/// The post form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostForm {
    pub description: String,
    #[serde(default)]
    pub quantity: String,
    pub needed_by: String,
}

/// `POST /chains`: an enterprise posts a demand.
pub async fn page_post(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<PostForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = DemandRequest {
        uscc: String::new(),
        description: f.description,
        quantity: f.quantity,
        needed_by: f.needed_by,
    };
    let d = uc::post_demand(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/chains/{}", d.demand.record.id)).into_response())
}

/// The position form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PositionForm {
    #[serde(default)]
    pub uscc: String,
    pub chain: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub supplies: String,
}

/// `POST /chains/positions/{save|remove}`.
pub async fn page_position(
    State(state): State<AppState>,
    p: Principal,
    Path(action): Path<String>,
    f: Result<Form<PositionForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match action.as_str() {
        "remove" => {
            uc::remove_position(&state, &p, &f.uscc, &f.chain).await?;
        }
        _ => {
            let req =
                PositionRequest { uscc: f.uscc, chain: f.chain, position: f.position, supplies: f.supplies };
            uc::save_position(&state, &p, &req).await?;
        }
    }
    Ok(Redirect::to("/chains#positions").into_response())
}

/// One candidate as the detail page shows it.
pub struct CandidateRow {
    pub uscc: String,
    pub enterprise: String,
    pub chain: String,
    pub position: &'static str,
    pub supplies: String,
    pub reason: String,
    pub introduced: bool,
}

/// One introduction as the detail page shows it.
pub struct IntroductionRow {
    pub id: i64,
    pub on: String,
    pub supplier: String,
    pub note: String,
    pub outcome: &'static str,
    pub outcome_note: String,
}

#[derive(askama::Template)]
#[template(path = "chains_demand.html")]
pub struct DemandPage {
    pub b: Base,
    pub d: DemandRow,
    pub uscc: String,
    pub raised_on: String,
    pub close: String,
    pub candidates: Vec<CandidateRow>,
    pub introductions: Vec<IntroductionRow>,
    pub may_introduce: bool,
    pub may_close: bool,
    pub version: i64,
}

/// `/chains/{id}`.
pub async fn page_demand(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let d = uc::show_demand(&state, &p, id).await?;
    let r = &d.demand.record;
    let b = Base::new(lang, Some(&p), "/chains", "ui.chains.title");
    views::render(&DemandPage {
        b,
        d: row(&d.demand),
        uscc: r.uscc.clone(),
        raised_on: r.demand.raised_on.to_string(),
        close: match r.closed_on {
            Some(on) => format!("{on} {}", r.close_reason),
            None => String::new(),
        },
        candidates: d
            .candidates
            .iter()
            .map(|c| CandidateRow {
                uscc: c.uscc.clone(),
                enterprise: c.enterprise_name.clone(),
                chain: c.chain.clone(),
                position: c.position_zh,
                supplies: c.supplies.clone(),
                reason: c.reason_zh.clone(),
                introduced: c.introduced,
            })
            .collect(),
        introductions: r
            .introductions
            .iter()
            .map(|i| IntroductionRow {
                id: i.id,
                on: i.introduced_on.to_string(),
                supplier: i.supplier_name.clone(),
                note: i.note.clone(),
                outcome: i.outcome.label_zh(),
                outcome_note: i.outcome_note.clone(),
            })
            .collect(),
        may_introduce: d.may_introduce,
        may_close: d.may_close,
        version: r.version,
    })
}

/// The introduce, outcome and close forms.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub supplier: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub introduction: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// `POST /chains/{id}/{introduce|outcome|close}`.
pub async fn page_act(
    State(state): State<AppState>,
    p: Principal,
    Path((id, action)): Path<(i64, String)>,
    f: Result<Form<ActForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match action.as_str() {
        "introduce" => {
            let req = IntroduceRequest { supplier: f.supplier, note: f.note, on: None, version: f.version };
            uc::introduce(&state, &p, id, &req).await?;
        }
        "outcome" => {
            let introduction = f.introduction.trim().parse().map_err(|_| {
                WebError::from(app::Error::Invalid {
                    field: "introduction".into(),
                    value: f.introduction.clone(),
                    reason: "应为对接记录编号 / must be an introduction's number".into(),
                })
            })?;
            let req = OutcomeRequest { introduction, outcome: f.outcome, note: f.note, version: f.version };
            uc::record_outcome(&state, &p, id, &req).await?;
        }
        "close" => {
            uc::close_demand(&state, &p, id, &CloseRequest { reason: f.reason, version: f.version }).await?;
        }
        _ => return Err(WebError::from(app::Error::SupplyDemandNotFound { id })),
    }
    Ok(Redirect::to(&format!("/chains/{id}")).into_response())
}
