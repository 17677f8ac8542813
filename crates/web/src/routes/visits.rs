//! Visits (走访): a cadre records a visit to one of their enterprises and the problems found
//! there, which are raised with the channel `visit` and the visit's number. The cadre's page
//! lists their enterprises with the last visit. JSON under `/api/v1/visits`, the page at
//! `/visits`. The use cases (`app::problems::record_visit`, `list_visits`,
//! `cadre_enterprises`) decide and check; this module translates.

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::routes::problems;
use crate::state::AppState;
use crate::views::{self, Base};
use app::problems as uc;
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::Role;
use store::problems::VisitRecord;
use utoipa::{IntoParams, ToSchema};

/// A problem found on a visit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct FoundProblem {
    /// Category code or Chinese name.
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `normal` (default) or `urgent`.
    pub urgency: Option<String>,
    #[serde(default)]
    pub confidential: bool,
}

/// A visit to record.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewVisitIn {
    /// 统一社会信用代码 of one of the cadre's enterprises.
    pub enterprise: String,
    /// `YYYY-MM-DD`, not after today.
    pub date: String,
    /// What the visit found.
    pub findings: String,
    /// Problems found, raised with the channel `visit`.
    #[serde(default)]
    pub problems: Vec<FoundProblem>,
}

/// A recorded visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitOut {
    pub id: i64,
    pub enterprise: String,
    pub date: String,
    pub cadre: String,
    pub findings: String,
    pub recorded_at: String,
}

/// A visit with the problems it raised.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitCreated {
    pub visit: VisitOut,
    /// Numbers of the problems raised.
    pub problems: Vec<i64>,
}

impl From<VisitRecord> for VisitOut {
    fn from(v: VisitRecord) -> VisitOut {
        VisitOut {
            id: v.id,
            enterprise: v.visit.enterprise.to_string(),
            date: v.visit.date.to_string(),
            cadre: v.visit.cadre,
            findings: v.visit.findings,
            recorded_at: v.recorded_at.to_rfc3339(),
        }
    }
}

/// Filters of the visit list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitQuery {
    /// 统一社会信用代码.
    pub enterprise: Option<String>,
    /// A cadre's username (leaders and supervisors).
    pub cadre: Option<String>,
}

impl From<FoundProblem> for uc::FoundProblem {
    fn from(f: FoundProblem) -> Self {
        uc::FoundProblem {
            category: f.category,
            title: f.title,
            description: f.description,
            urgency: f.urgency,
            confidential: f.confidential,
        }
    }
}

/// Visits the principal may see (the use case's scope).
pub async fn list(state: &AppState, p: &Principal, q: &VisitQuery) -> Result<Vec<VisitOut>, WebError> {
    let visits = uc::list_visits(state, p, q.enterprise.as_deref(), q.cadre.as_deref()).await?;
    Ok(visits.into_iter().map(VisitOut::from).collect())
}

/// Records a visit by the cadre and raises the problems found.
pub async fn record(state: &AppState, p: &Principal, input: NewVisitIn) -> Result<VisitCreated, WebError> {
    let req = uc::VisitRequest {
        enterprise: input.enterprise,
        date: input.date,
        findings: input.findings,
        problems: input.problems.into_iter().map(Into::into).collect(),
    };
    let v = uc::record_visit(state, p, req).await?;
    Ok(VisitCreated { visit: v.visit.into(), problems: v.problems })
}

/// Visits: a cadre's own, an enterprise's, or (leaders, supervisors) all.
#[utoipa::path(get, path = "/api/v1/visits", tag = "problems", params(VisitQuery),
    responses(
        (status = 200, body = Vec<VisitOut>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<VisitQuery>,
) -> Result<Json<Vec<VisitOut>>, WebError> {
    Ok(Json(list(&state, &p, &q).await?))
}

/// Records a cadre's visit to one of their enterprises, with the problems found (each
/// raised with the channel `visit`). Note: the visit and each problem are separate writes;
/// a refused problem leaves the visit recorded (its number is in the error's context).
#[utoipa::path(post, path = "/api/v1/visits", tag = "problems", request_body = NewVisitIn,
    responses(
        (status = 201, body = VisitCreated),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_create(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<NewVisitIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let input = json(body)?;
    let created = record(&state, &p, input).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// One of the cadre's enterprises with its last visit.
#[derive(Debug, Clone)]
pub struct MyEnterprise {
    pub uscc: String,
    pub name: String,
    pub last_visit: Option<NaiveDate>,
    pub visits: usize,
}

/// The visits page.
#[derive(askama::Template)]
#[template(path = "visits.html")]
pub struct VisitsPage {
    pub b: Base,
    pub n: problems::Names,
    pub mine: Vec<MyEnterprise>,
    pub visits: Vec<VisitOut>,
    pub can_record: bool,
    pub today: String,
    pub error: Option<String>,
    pub done: Option<String>,
}

impl VisitsPage {
    pub fn last(&self, d: &Option<NaiveDate>) -> String {
        d.map_or_else(|| self.b.tr.t("ui.visit.never"), |d| d.to_string())
    }
    pub fn name_of(&self, uscc: &str) -> String {
        self.mine.iter().find(|m| m.uscc == uscc).map_or_else(|| uscc.to_string(), |m| m.name.clone())
    }
}

async fn visits_page(
    state: &AppState,
    lang: i18n::Lang,
    p: &Principal,
    error: Option<String>,
    done: Option<String>,
) -> Result<Html<String>, WebError> {
    let visits = list(state, p, &VisitQuery::default()).await?;
    let mine = if p.role == Role::Cadre {
        uc::cadre_enterprises(state, p, None)
            .await?
            .into_iter()
            .map(|e| {
                let uscc = e.uscc.to_string();
                let of: Vec<&VisitOut> = visits.iter().filter(|v| v.enterprise == uscc).collect();
                MyEnterprise {
                    last_visit: of
                        .iter()
                        .filter_map(|v| NaiveDate::parse_from_str(&v.date, "%Y-%m-%d").ok())
                        .max(),
                    visits: of.len(),
                    uscc,
                    name: e.name,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let routing = problems::routing(state).await?;
    let cadres: Vec<String> = visits.iter().map(|v| v.cadre.clone()).collect();
    let n = problems::Names::new(lang, routing).with_people(state, p, &cadres).await?;
    let b = Base::new(lang, Some(p), "/visits", "ui.visit.title");
    views::render(&VisitsPage {
        b,
        n,
        mine,
        visits,
        can_record: p.role == Role::Cadre,
        today: handling::china_date(state.now()).to_string(),
        error,
        done,
    })
}

/// `/visits`: the cadre's enterprises with their last visit and the form to record one.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let done = raw.get("done").cloned();
    visits_page(&state, lang, &p, None, done).await
}

/// The visit form: the visit and at most one problem found (title left empty: none).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitForm {
    pub enterprise: String,
    pub date: String,
    pub findings: String,
    pub category: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub urgency: Option<String>,
}

/// Records a visit from the page.
pub async fn page_create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<VisitForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let problems = match f.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => vec![FoundProblem {
            category: f.category.clone().unwrap_or_default(),
            title: t.to_string(),
            description: f.description.clone().unwrap_or_default(),
            urgency: f.urgency.clone(),
            confidential: false,
        }],
        None => Vec::new(),
    };
    let input = NewVisitIn { enterprise: f.enterprise, date: f.date, findings: f.findings, problems };
    match record(&state, &p, input).await {
        Ok(c) => Ok(Redirect::to(&format!("/visits?done={}", c.visit.id)).into_response()),
        Err(e) if matches!(e.status().as_u16(), 400 | 422) => {
            use i18n::Localized;
            let msg = e.render(lang);
            let mut resp = visits_page(&state, lang, &p, Some(msg), None).await?.into_response();
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}
