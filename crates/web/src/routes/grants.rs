//! 免申即享 grants over HTTP (`app::grants`, issue 12), the JSON API under `/api/v1/grants`:
//!
//! - `GET /api/v1/grants/runs`, `POST /api/v1/grants/runs` (run or rerun), `GET
//!   /api/v1/grants/runs/{run}` (totals, states, approvals required), `GET
//!   /api/v1/grants/runs/{run}/grants` (`[{grant, uscc, amount, state}]`), `GET
//!   /api/v1/grants/runs/{run}/needs-data`, `GET /api/v1/grants/runs/{run}/objections`;
//! - `POST /api/v1/grants/runs/{run}/publicize`, `POST /api/v1/grants/runs/{run}/budget`,
//!   `POST /api/v1/grants/runs/{run}/approve`;
//! - `GET /api/v1/grants/{grant}` (with its basis; an enterprise its own),
//!   `POST /api/v1/grants/{grant}/objections`, `POST /api/v1/grants/objections/{id}`;
//! - `POST /api/v1/grants/runs/{run}/payment-file` (the file's bytes: xlsx, csv or pain.001
//!   XML), `POST /api/v1/grants/payment-files/{file}/void`, `POST /api/v1/grants/results`
//!   (a results CSV as text, all or nothing), `GET /api/v1/grants/runs/{run}/reconciliation`;
//! - `GET /api/v1/grants/mine` (the signed-in enterprise's grants with their states).
//!
//! Only translation happens here: paths, queries and bodies to requests, results to JSON.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::routes::auth::json;
use crate::state::AppState;

/// A grant run to make or repeat.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RunIn {
    /// An `award_no_application` item.
    pub item: String,
    /// `2022`, `2022-Q2`, `2022-05`.
    pub period: String,
    /// The match run (default: the latest).
    pub match_run: Option<i64>,
}

/// Grant runs of several items made in one pass: the CLI's `grant run --all-items` (or
/// `--item` given again).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RunsIn {
    /// The `award_no_application` items; leave out (or empty) for every award item the
    /// match run decided for the period.
    #[serde(default)]
    pub items: Vec<String>,
    /// `2022`, `2022-Q2`, `2022-05`.
    pub period: String,
    /// The match run (default: the latest).
    pub match_run: Option<i64>,
}

/// What a run did: the CLI's `grant run --json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunOut {
    pub run: i64,
    pub item: String,
    pub period: String,
    pub granted: u64,
    pub needs_data: u64,
    /// Yuan, a decimal string.
    pub total_amount: String,
    pub match_run: i64,
    pub created: bool,
}

/// One grant of a list: the CLI's `grant list --json` row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantOut {
    pub grant: i64,
    pub uscc: String,
    pub name: String,
    pub amount: String,
    /// pending, publicity, objected, approved, paid, rejected.
    pub state: String,
    pub paid_date: Option<String>,
    pub voucher: Option<String>,
}

impl GrantOut {
    fn of(g: &store::grants::Grant) -> GrantOut {
        GrantOut {
            grant: g.id,
            uscc: g.uscc.clone(),
            name: g.name.clone(),
            amount: g.amount.to_string(),
            state: g.state.clone(),
            paid_date: g.paid_date.map(|d| d.to_string()),
            voucher: g.voucher.clone(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/grants/runs", tag = "grants", request_body = RunIn,
    responses(
        (status = 200, body = RunOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_run(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<RunIn>, JsonRejection>,
) -> Result<Json<RunOut>, WebError> {
    let b = json(body)?;
    let req = app::grants::RunRequest { item: b.item, period: b.period, match_run: b.match_run };
    let o = app::grants::run(&state, &p, &req, &app::matching::NoProgress).await?;
    Ok(Json(RunOut::of(o)))
}

impl RunOut {
    fn of(o: app::grants::RunOutcome) -> RunOut {
        RunOut {
            run: o.run,
            item: o.item,
            period: o.period,
            granted: o.granted,
            needs_data: o.needs_data,
            total_amount: o.total_amount.to_string(),
            match_run: o.match_run,
            created: o.created,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/grants/runs/batch", tag = "grants", request_body = RunsIn,
    responses(
        (status = 200, body = [RunOut]),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_run_items(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<RunsIn>, JsonRejection>,
) -> Result<Json<Vec<RunOut>>, WebError> {
    let b = json(body)?;
    let items = if b.items.is_empty() {
        app::grants::grantable_items(&state, &p, &b.period, b.match_run).await?
    } else {
        b.items
    };
    let req = app::grants::ItemsRequest { items, period: b.period, match_run: b.match_run };
    let outs = app::grants::run_items(&state, &p, &req, &app::matching::NoProgress).await?;
    Ok(Json(outs.into_iter().map(RunOut::of).collect()))
}

#[utoipa::path(get, path = "/api/v1/grants/runs", tag = "grants",
    responses(
        (status = 200, description = "app::grants::RunView[]", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_runs(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    Ok(Json(app::grants::runs(&state, &p, 100).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/grants/runs/{run}", tag = "grants",
    params(("run" = i64, Path, description = "grant run id")),
    responses(
        (status = 200, description = "app::grants::RunView", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_show_run(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(app::grants::show_run(&state, &p, run).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/grants/runs/{run}/grants", tag = "grants",
    params(("run" = i64, Path, description = "grant run id")),
    responses(
        (status = 200, body = [GrantOut]),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
) -> Result<Json<Vec<GrantOut>>, WebError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = app::grants::list(&state, &p, run, after, 50_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        out.extend(page.iter().map(GrantOut::of));
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/grants/runs/{run}/needs-data", tag = "grants",
    params(("run" = i64, Path, description = "grant run id")),
    responses((status = 200, description = "store::grants::NeedsData[]", body = Object)),
    security(("bearer" = [])))]
pub async fn api_needs_data(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(app::grants::needs_data(&state, &p, run).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/grants/runs/{run}/objections", tag = "grants",
    params(("run" = i64, Path, description = "grant run id")),
    responses((status = 200, description = "store::grants::Objection[]", body = Object)),
    security(("bearer" = [])))]
pub async fn api_objections(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(app::grants::objections(&state, &p, run).await?).into_response())
}

/// Publicity: working days (default: the zone setting).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PublicizeIn {
    pub days: Option<u32>,
}

#[utoipa::path(post, path = "/api/v1/grants/runs/{run}/publicize", tag = "grants", request_body = PublicizeIn,
    params(("run" = i64, Path, description = "grant run id")),
    responses(
        (status = 200, description = "app::grants::Publicized", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_publicize(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
    body: Result<Json<PublicizeIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(app::grants::publicize(&state, &p, run, b.days).await?).into_response())
}

/// A budget decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct BudgetIn {
    /// Yuan, a decimal string.
    pub budget: String,
    /// pro_rata, amount_ascending, registration_date, credit_code.
    pub rule: String,
}

#[utoipa::path(post, path = "/api/v1/grants/runs/{run}/budget", tag = "grants", request_body = BudgetIn,
    params(("run" = i64, Path, description = "grant run id")),
    responses(
        (status = 200, description = "app::grants::BudgetOutcome", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_budget(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
    body: Result<Json<BudgetIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    let budget: Decimal = b
        .budget
        .trim()
        .parse()
        .map_err(|_| WebError::InvalidParam { param: "budget".into(), value: b.budget.clone() })?;
    let rule: ::grants::AllocationRule =
        b.rule.parse().map_err(|_| WebError::InvalidParam { param: "rule".into(), value: b.rule.clone() })?;
    Ok(Json(app::grants::decide_budget(&state, &p, run, budget, rule).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/grants/runs/{run}/approve", tag = "grants",
    params(("run" = i64, Path, description = "grant run id")),
    responses(
        (status = 200, description = "store::grants::Approved", body = Object),
        (status = 403, description = "the preparer, or an approver again (refused by the database)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_approve(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(app::grants::approve(&state, &p, run).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/grants/{grant}", tag = "grants",
    params(("grant" = i64, Path, description = "grant id")),
    responses(
        (status = 200, description = "store::grants::GrantDetail (basis: canonical JSON, basis_hash its SHA-256)", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_grant(
    State(state): State<AppState>,
    p: Principal,
    Path(grant): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(app::grants::grant(&state, &p, grant).await?).into_response())
}

/// A reason (objection, handling, void).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ReasonIn {
    /// At most 500 characters.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObjectionOut {
    pub objection: i64,
}

#[utoipa::path(post, path = "/api/v1/grants/{grant}/objections", tag = "grants", request_body = ReasonIn,
    params(("grant" = i64, Path, description = "grant id")),
    responses(
        (status = 200, body = ObjectionOut),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_object(
    State(state): State<AppState>,
    p: Principal,
    Path(grant): Path<i64>,
    body: Result<Json<ReasonIn>, JsonRejection>,
) -> Result<Json<ObjectionOut>, WebError> {
    let b = json(body)?;
    Ok(Json(ObjectionOut { objection: app::grants::object(&state, &p, grant, &b.reason).await? }))
}

/// How an objection is handled.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct HandleIn {
    /// true: upheld (the grant removed, or changed to `amount`); false: rejected (kept).
    pub upheld: bool,
    pub reason: String,
    /// Upheld with a changed amount (yuan, decimal string).
    pub amount: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/grants/objections/{id}", tag = "grants", request_body = HandleIn,
    params(("id" = i64, Path, description = "objection id")),
    responses(
        (status = 200, description = "store::grants::Objection", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_handle(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<HandleIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    let new_amount = match &b.amount {
        Some(a) => Some(
            a.trim()
                .parse::<Decimal>()
                .map_err(|_| WebError::InvalidParam { param: "amount".into(), value: a.clone() })?,
        ),
        None => None,
    };
    let req = app::grants::HandleRequest { objection: id, upheld: b.upheld, reason: b.reason, new_amount };
    Ok(Json(app::grants::handle_objection(&state, &p, &req).await?).into_response())
}

/// A payment file to issue.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct FileIn {
    /// xlsx, csv or xml (pain.001.001.03).
    pub format: String,
    /// The failed lines only.
    #[serde(default)]
    pub follow_up: bool,
}

#[utoipa::path(post, path = "/api/v1/grants/runs/{run}/payment-file", tag = "grants", request_body = FileIn,
    params(("run" = i64, Path, description = "grant run id")),
    responses(
        (status = 200, description = "the file; headers X-Payment-File-Id, X-Control-Lines, X-Control-Sum"),
        (status = 403, description = "the issuer prepared or approved the run (refused by the database)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_payment_file(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
    body: Result<Json<FileIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    let format = app::grants::FileFormat::of_name(&format!("f.{}", b.format))?;
    let f = app::grants::payment_file(&state, &p, run, format, b.follow_up).await?;
    let (ct, ext) = match format {
        app::grants::FileFormat::Xlsx => {
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
        }
        app::grants::FileFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        app::grants::FileFormat::Pain001 => ("application/xml", "xml"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.{ext}\"", f.file.id)),
            (header::HeaderName::from_static("x-payment-file-id"), f.file.id.clone()),
            (header::HeaderName::from_static("x-control-lines"), f.file.lines.to_string()),
            (header::HeaderName::from_static("x-control-sum"), f.file.control_sum.to_string()),
        ],
        f.bytes,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/grants/payment-files/{file}/void", tag = "grants", request_body = ReasonIn,
    params(("file" = String, Path, description = "payment file id")),
    responses(
        (status = 200, description = "store::grants::PaymentFile", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_void(
    State(state): State<AppState>,
    p: Principal,
    Path(file): Path<String>,
    body: Result<Json<ReasonIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(app::grants::void_file(&state, &p, &file, &b.reason).await?).into_response())
}

/// Payment results to import.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ResultsIn {
    pub file_name: String,
    /// The CSV text: grant, date, voucher, amount, status, reason.
    pub csv: String,
}

#[utoipa::path(post, path = "/api/v1/grants/results", tag = "grants", request_body = ResultsIn,
    responses(
        (status = 200, description = "store::grants::ImportedResults", body = Object),
        (status = 422, description = "every row's problem; nothing imported", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_results(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ResultsIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(app::grants::import_results(&state, &p, &b.file_name, b.csv.as_bytes()).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/grants/runs/{run}/reconciliation", tag = "grants",
    params(("run" = i64, Path, description = "grant run id")),
    responses(
        (status = 200, description = "app::grants::Reconciliation", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_reconcile(
    State(state): State<AppState>,
    p: Principal,
    Path(run): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(app::grants::reconcile(&state, &p, run).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/grants/mine", tag = "grants",
    responses(
        (status = 200, body = [GrantOut]),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_mine(State(state): State<AppState>, p: Principal) -> Result<Json<Vec<GrantOut>>, WebError> {
    let Some(uscc) = p.enterprise.clone() else { return Err(WebError::Forbidden) };
    let grants = app::grants::of_enterprise(&state, &p, &uscc).await?;
    Ok(Json(grants.iter().map(GrantOut::of).collect()))
}
