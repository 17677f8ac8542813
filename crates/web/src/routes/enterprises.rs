//! Enterprises: the directory (list, search, filters), one enterprise with its facts by year
//! and its three links, and its change history; the three links' assignment (admin). JSON
//! under `/api/v1/enterprises`, pages under `/enterprises`.
//!
//! HTTP only: each handler parses the request, calls the registry's use case
//! (`app::registry`) and renders. Who sees which enterprises, the paging bounds and the
//! link checks live there.

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::json_with_etag;
use crate::state::AppState;
use crate::views::{self, Base};
use app::registry;
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use enterprise::{FactDictionary, FactType, UnifiedCreditCode};
use i18n::Localized;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use store::EnterpriseView;
use utoipa::{IntoParams, ToSchema};

/// Query of the enterprise directory.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A substring of the name or of the credit code.
    pub q: Option<String>,
    /// An exact tag, e.g. 专精特新.
    pub tag: Option<String>,
    /// `true` or `false`: only (non-)assistance targets.
    pub assistance_target: Option<bool>,
    /// A GB/T 4754 code prefix (`C`, `C35`, `3511`).
    pub industry: Option<String>,
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// Rows per page, 1 to 200 (default 50).
    pub per_page: Option<u64>,
}

/// The largest `per_page` ([`registry::MAX_PER_PAGE`]).
pub const MAX_PER_PAGE: u64 = registry::MAX_PER_PAGE;

impl ListQuery {
    /// Parses raw query parameters, naming the first bad one.
    pub fn parse(raw: &HashMap<String, String>) -> Result<ListQuery, WebError> {
        let bad = |p: &str, v: &str| WebError::InvalidParam { param: p.into(), value: v.into() };
        let text = |k: &str| raw.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let num = |k: &str, lo: u64, hi: u64| -> Result<Option<u64>, WebError> {
            match raw.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                    _ => Err(bad(k, v)),
                },
            }
        };
        let assistance_target = match raw.get("assistance_target").map(|s| s.trim()) {
            None | Some("") => None,
            Some("true" | "1" | "是") => Some(true),
            Some("false" | "0" | "否") => Some(false),
            Some(v) => return Err(bad("assistance_target", v)),
        };
        Ok(ListQuery {
            q: text("q"),
            tag: text("tag"),
            assistance_target,
            industry: text("industry"),
            page: num("page", 1, 1_000_000)?,
            per_page: num("per_page", 1, MAX_PER_PAGE)?,
        })
    }

    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1)
    }

    pub fn per_page(&self) -> u64 {
        self.per_page.unwrap_or(registry::DEFAULT_PER_PAGE)
    }

    /// The use case's request.
    pub fn request(&self) -> registry::ListRequest {
        registry::ListRequest {
            query: self.q.clone(),
            tag: self.tag.clone(),
            assistance_target: self.assistance_target,
            industry: self.industry.clone(),
            page: Some(self.page()),
            per_page: Some(self.per_page()),
        }
    }
}

/// A row of the directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseRow {
    pub uscc: String,
    pub name: String,
    pub assistance_target: bool,
    pub industry_code: Option<String>,
    pub tags: Vec<String>,
}

/// A page of the directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseList {
    pub items: Vec<EnterpriseRow>,
    /// How many enterprises match in all.
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// One fact value with its provenance.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FactOut {
    /// The dictionary id, e.g. `employees`.
    pub fact: String,
    pub label_zh: String,
    pub label_en: String,
    /// Typed JSON: booleans, integers, money and ratios as decimal strings, dates as
    /// `YYYY-MM-DD`, tags as arrays.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// `market_regulation`, `tax`, `self_reported`, `derived` or `zone`.
    pub source: String,
    /// The date the source reported it.
    pub as_of: String,
}

/// The three links (三联机制).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinksOut {
    /// 联点领导 (username).
    pub leader: Option<String>,
    /// 对口部门 (department code).
    pub department: Option<String>,
    /// 驻企干部 (username).
    pub cadre: Option<String>,
}

/// One enterprise with everything the zone holds about it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseOut {
    pub uscc: String,
    pub name: String,
    pub registered_in_zone: bool,
    pub tax_registered_in_zone: bool,
    /// 帮扶对象: derived from the two registrations, never set by hand.
    pub assistance_target: bool,
    pub industry_code: Option<String>,
    pub established_on: Option<String>,
    pub taxpayer_type: Option<String>,
    pub tax_credit_rating: Option<String>,
    pub tags: Vec<String>,
    /// Facts without a year.
    pub facts: Vec<FactOut>,
    /// Per-year facts, by year (`"2021"`, `"2022"`, …).
    pub facts_by_year: BTreeMap<String, Vec<FactOut>>,
    pub links: LinksOut,
    pub updated_at: String,
}

/// One recorded change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangeOut {
    pub at: String,
    pub actor: String,
    /// `*` (created), a field, a fact (`employees[2021]`) or a link (`links.cadre`).
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub batch_id: Option<i64>,
}

impl EnterpriseOut {
    pub fn from_view(v: &EnterpriseView) -> EnterpriseOut {
        let dict = FactDictionary::official();
        let e = &v.enterprise;
        let mut facts = Vec::new();
        let mut by_year: BTreeMap<String, Vec<FactOut>> = BTreeMap::new();
        for f in &v.facts {
            let def = dict.get(&f.fact);
            let out = FactOut {
                fact: f.fact.clone(),
                label_zh: def.map(|d| d.zh.clone()).unwrap_or_else(|| f.fact.clone()),
                label_en: def.map(|d| d.en.clone()).unwrap_or_else(|| f.fact.clone()),
                value: f.value.to_json(),
                source: f.source.as_str().to_string(),
                as_of: f.as_of.to_string(),
            };
            match f.year {
                Some(y) => by_year.entry(y.to_string()).or_default().push(out),
                None => facts.push(out),
            }
        }
        EnterpriseOut {
            uscc: e.uscc.to_string(),
            name: e.name.clone(),
            registered_in_zone: e.registered_in_zone,
            tax_registered_in_zone: e.tax_registered_in_zone,
            assistance_target: e.assistance_target(),
            industry_code: e.industry_code.as_ref().map(ToString::to_string),
            established_on: e.established_on.map(|d| d.to_string()),
            taxpayer_type: e.taxpayer_type.map(|t| t.as_str().to_string()),
            tax_credit_rating: e.tax_credit_rating.map(|t| t.as_str().to_string()),
            tags: e.tags.iter().cloned().collect(),
            facts,
            facts_by_year: by_year,
            links: links_out(v),
            updated_at: v.updated_at.to_rfc3339(),
        }
    }
}

/// Parses a credit code from a path.
pub fn parse_uscc(s: &str) -> Result<UnifiedCreditCode, WebError> {
    UnifiedCreditCode::parse(s)
        .map_err(|e| WebError::InvalidUscc { input: s.to_string(), reason: e.to_string() })
}

/// Loads an enterprise the principal may read: 404 if it does not exist or is hidden.
pub async fn load_visible(state: &AppState, p: &Principal, uscc: &str) -> Result<EnterpriseView, WebError> {
    let code = parse_uscc(uscc)?;
    Ok(registry::enterprise(state, p, code.as_str()).await?)
}

/// A page of the directory as the principal may see it ([`registry::list_enterprises`]: a
/// cadre's own enterprises are read by the links index, never by loading the zone).
pub async fn list_for(state: &AppState, p: &Principal, q: &ListQuery) -> Result<EnterpriseList, WebError> {
    let list = registry::list_enterprises(state, p, &q.request()).await?;
    Ok(EnterpriseList {
        items: list
            .items
            .into_iter()
            .map(|s| EnterpriseRow {
                uscc: s.uscc.to_string(),
                name: s.name,
                assistance_target: s.assistance_target,
                industry_code: s.industry_code,
                tags: s.tags,
            })
            .collect(),
        total: list.total,
        page: list.page,
        per_page: list.per_page,
    })
}

/// The enterprise directory.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises", params(ListQuery),
    responses(
        (status = 200, body = EnterpriseList),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<EnterpriseList>, WebError> {
    let q = ListQuery::parse(&raw)?;
    Ok(Json(list_for(&state, &p, &q).await?))
}

/// One enterprise: registry fields, derived assistance target, facts by year with their
/// source, three links. With an `ETag`; `If-None-Match` gives 304.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}", tag = "enterprises",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, body = EnterpriseOut, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_get(
    State(state): State<AppState>,
    p: Principal,
    Path(uscc): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let v = load_visible(&state, &p, &uscc).await?;
    json_with_etag(&headers, &EnterpriseOut::from_view(&v))
}

/// An enterprise's recorded changes, oldest first.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/changes", tag = "enterprises",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, body = Vec<ChangeOut>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_changes(
    State(state): State<AppState>,
    p: Principal,
    Path(uscc): Path<String>,
) -> Result<Json<Vec<ChangeOut>>, WebError> {
    let v = load_visible(&state, &p, &uscc).await?;
    Ok(Json(changes_of(&state, &p, &v).await?))
}

async fn changes_of(state: &AppState, p: &Principal, v: &EnterpriseView) -> Result<Vec<ChangeOut>, WebError> {
    let changes = registry::enterprise_changes(state, p, v.enterprise.uscc.as_str()).await?;
    Ok(changes
        .into_iter()
        .map(|c| ChangeOut {
            at: c.at.to_rfc3339(),
            actor: c.actor,
            field: c.field,
            old: c.old,
            new: c.new,
            batch_id: c.batch_id,
        })
        .collect())
}

/// The directory page (`/enterprises`).
pub async fn page_list(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let q = ListQuery::parse(&raw)?;
    let list = list_for(&state, &p, &q).await?;
    let base = Base::new(lang, Some(&p), "/enterprises", "ui.enterprises.title");
    views::render(&views::EnterpriseListPage::new(base, &q, list))
}

/// One enterprise's page (`/enterprises/{uscc}`).
pub async fn page_one(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(uscc): Path<String>,
) -> Result<Html<String>, WebError> {
    let v = load_visible(&state, &p, &uscc).await?;
    let changes = changes_of(&state, &p, &v).await?;
    let base = Base::new(lang, Some(&p), "/enterprises", "ui.enterprise.title");
    let mut page = views::EnterprisePage::new(base, EnterpriseOut::from_view(&v), changes);
    page.edit_links = authz::authorize(
        &p,
        Action::Write,
        Resource::Enterprise { uscc: &v.enterprise.uscc, links: &v.links },
    )
    .is_allowed();
    views::render(&with_names(&state, &p, page).await?)
}

/// The page with the names of its departments and people (never codes or usernames).
pub async fn with_names(
    state: &AppState,
    p: &Principal,
    mut page: views::EnterprisePage,
) -> Result<views::EnterprisePage, WebError> {
    page.routing = Some(super::problems::routing(state).await?);
    page.people = app::users::display_names(state, p, &page.usernames()).await?;
    Ok(page)
}

/// New three links (三联) of an enterprise: usernames of the leader and the cadre, the
/// department by code or Chinese name; absent or empty leaves a link unassigned.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct LinksIn {
    pub leader: Option<String>,
    pub department: Option<String>,
    pub cadre: Option<String>,
}

impl LinksIn {
    fn request(&self) -> registry::SetLinks {
        registry::SetLinks {
            leader: self.leader.clone(),
            department: self.department.clone(),
            cadre: self.cadre.clone(),
        }
    }
}

/// What an assignment changed: each link old → new (`links.leader`, `links.department`,
/// `links.cadre`), and the links as now stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinksChanged {
    pub changes: Vec<ChangeOut>,
    pub links: LinksOut,
}

/// Assigns an enterprise's three links (admin). The leader must be a user with role
/// `leader`, the cadre one with role `cadre`, the department an existing department; each
/// changed link is recorded in the enterprise's changes.
#[utoipa::path(put, path = "/api/v1/enterprises/{uscc}/links", tag = "enterprises",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    request_body = LinksIn,
    responses(
        (status = 200, body = LinksChanged),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_set_links(
    State(state): State<AppState>,
    p: Principal,
    Path(uscc): Path<String>,
    body: Result<Json<LinksIn>, JsonRejection>,
) -> Result<Json<LinksChanged>, WebError> {
    let Json(body) = body.map_err(|e| WebError::InvalidBody { detail: e.body_text() })?;
    let code = parse_uscc(&uscc)?;
    let changes = registry::set_three_links(&state, &p, code.as_str(), &body.request()).await?;
    let v = registry::enterprise(&state, &p, code.as_str()).await?;
    let at = state.now().to_rfc3339();
    Ok(Json(LinksChanged {
        changes: changes
            .into_iter()
            .map(|c| ChangeOut {
                at: at.clone(),
                actor: p.username.clone(),
                field: c.field,
                old: c.old,
                new: c.new,
                batch_id: None,
            })
            .collect(),
        links: links_out(&v),
    }))
}

/// The enterprise page's links form (`POST /enterprises/{uscc}/links`, admin): assigns, then
/// shows the page again (with the refusal when there is one).
pub async fn page_set_links(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(uscc): Path<String>,
    f: Result<Form<LinksIn>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = f.map_err(|e| WebError::InvalidBody { detail: e.body_text() })?;
    let code = parse_uscc(&uscc)?;
    match registry::set_three_links(&state, &p, code.as_str(), &f.request()).await {
        Ok(_) => Ok(Redirect::to(&format!("/enterprises/{code}")).into_response()),
        Err(e) => {
            let e = WebError::from(e);
            if !e.status().is_client_error() {
                return Err(e);
            }
            let v = load_visible(&state, &p, code.as_str()).await?;
            let changes = changes_of(&state, &p, &v).await?;
            let base = Base::new(lang, Some(&p), "/enterprises", "ui.enterprise.title");
            let mut page = views::EnterprisePage::new(base, EnterpriseOut::from_view(&v), changes);
            page.edit_links = true;
            page.links_error = Some(e.render(lang));
            let page = with_names(&state, &p, page).await?;
            let status = e.status();
            let mut resp = views::render(&page)?.into_response();
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

fn links_out(v: &EnterpriseView) -> LinksOut {
    LinksOut {
        leader: v.links.leader.clone(),
        department: v.links.department.clone(),
        cadre: v.links.cadre.clone(),
    }
}

/// One registry field as the enterprise page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    pub label: String,
    pub value: String,
}

impl EnterpriseOut {
    /// The registry fields in the fact dictionary's order and words (the one list of them):
    /// labels in the reader's language, codes by their labels, flags as 是/否.
    pub fn registry_rows(&self, en: bool) -> Vec<RegistryRow> {
        let dict = FactDictionary::official();
        let mut out = Vec::new();
        for d in dict.registry_fields() {
            let raw: Option<String> = match d.id.as_str() {
                "uscc" => Some(self.uscc.clone()),
                "name" => Some(self.name.clone()),
                "registered_in_zone" => Some(self.registered_in_zone.to_string()),
                "tax_registered_in_zone" => Some(self.tax_registered_in_zone.to_string()),
                "industry_code" => self.industry_code.clone(),
                "established_on" => self.established_on.clone(),
                "taxpayer_type" => self.taxpayer_type.clone(),
                "tax_credit_rating" => self.tax_credit_rating.clone(),
                "tags" => Some(self.tags.join(if en { ", " } else { "、" })),
                _ => None,
            };
            let value = match (d.ty, raw) {
                (_, None) => "—".to_string(),
                (FactType::Bool, Some(v)) => match (v == "true", en) {
                    (true, true) => "yes".into(),
                    (false, true) => "no".into(),
                    (true, false) => "是".into(),
                    (false, false) => "否".into(),
                },
                (FactType::Code, Some(v)) => d
                    .codes
                    .iter()
                    .find(|c| c.code == v)
                    .map(|c| if en { c.en.clone() } else { c.zh.clone() })
                    .unwrap_or(v),
                (_, Some(v)) if v.is_empty() => "—".to_string(),
                (_, Some(v)) => v,
            };
            out.push(RegistryRow { label: if en { d.en.clone() } else { d.zh.clone() }, value });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn list_queries_are_checked_and_bounded() {
        let q =
            ListQuery::parse(&raw(&[("q", " 湘 "), ("assistance_target", "true"), ("page", "2")])).unwrap();
        assert_eq!(q.q.as_deref(), Some("湘"));
        assert_eq!(q.assistance_target, Some(true));
        assert_eq!((q.page(), q.per_page()), (2, 50));
        for (k, v) in [("page", "0"), ("page", "x"), ("per_page", "201"), ("assistance_target", "maybe")] {
            let e = ListQuery::parse(&raw(&[(k, v)])).unwrap_err();
            assert!(matches!(e, WebError::InvalidParam { ref param, .. } if param == k), "{k}={v}: {e:?}");
        }
        assert_eq!(ListQuery::parse(&raw(&[("per_page", "200")])).unwrap().per_page(), 200);
    }
}
