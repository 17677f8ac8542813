//! The policy library (政策库): policy documents with their items, one item with its rule
//! beside its source clause, the dated parameters it reads and its test case results. JSON
//! under `/api/v1/policies` and `/api/v1/items/{id}`, pages under `/policies` and
//! `/items/{id}`.
//!
//! The library is the one the server was given ([`AppState::with_library`]); its test cases
//! are run once when it is set. `/items/{id}/simulate` runs one item over every enterprise in
//! the store before and after a parameter change (the rules crate's batch `simulate`): who
//! gains, who loses, the change in total cost. Editing policies in the database is not here:
//! the rules crate does not offer it yet.

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::policy_docs::PolicySet;
use crate::routes::decisions::{date_param, parse_date};
use crate::state::AppState;
use crate::views::{self, Base};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use chrono::NaiveDate;
use rules::library::{Item, ParamValue, Policy};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Filters of the library.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LibraryQuery {
    /// `national`, `provincial`, `municipal` or `zone`.
    pub level: Option<String>,
    /// `true`: only items granted without application (免申即享); `false`: only the others.
    pub no_application: Option<bool>,
    /// Only items of this benefit kind: `tax_relief_declared`, `tax_refund_applied`,
    /// `award_no_application`, `award_application`, `fee_waiver` or `status`.
    pub benefit_kind: Option<String>,
    /// `YYYY-MM-DD`: only items in force on that date.
    pub date: Option<String>,
}

/// The parsed filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryFilter {
    pub level: Option<String>,
    pub no_application: Option<bool>,
    pub benefit_kind: Option<rules::BenefitKind>,
    pub date: Option<NaiveDate>,
}

pub const LEVELS: [&str; 4] = ["national", "provincial", "municipal", "zone"];

impl LibraryFilter {
    /// Parses raw query parameters, naming the first bad one.
    pub fn parse(raw: &HashMap<String, String>) -> Result<LibraryFilter, WebError> {
        let bad = |p: &str, v: &str| WebError::InvalidParam { param: p.into(), value: v.into() };
        let get = |k: &str| raw.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let level = match get("level") {
            None => None,
            Some(l) if LEVELS.contains(&l) => Some(l.to_string()),
            Some(l) => return Err(bad("level", l)),
        };
        let no_application = match get("no_application") {
            None => None,
            Some("true" | "1" | "是") => Some(true),
            Some("false" | "0" | "否") => Some(false),
            Some(v) => return Err(bad("no_application", v)),
        };
        let benefit_kind = match get("benefit_kind") {
            None => None,
            Some(k) => Some(rules::BenefitKind::parse(k).ok_or_else(|| bad("benefit_kind", k))?),
        };
        let date = get("date").map(parse_date).transpose()?;
        Ok(LibraryFilter { level, no_application, benefit_kind, date })
    }

    pub fn admits(&self, item: &Item) -> bool {
        self.level.as_deref().is_none_or(|l| l == level_str(item.level))
            && self.no_application.is_none_or(|n| n == item.no_application)
            && self.benefit_kind.is_none_or(|k| k == item.benefit_kind)
            && self.date.is_none_or(|d| item.window.contains(d))
    }
}

pub fn level_str(l: rules::Level) -> &'static str {
    match l {
        rules::Level::National => "national",
        rules::Level::Provincial => "provincial",
        rules::Level::Municipal => "municipal",
        rules::Level::Zone => "zone",
    }
}

/// An item in a policy's list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemSummary {
    pub id: String,
    pub title: String,
    pub level: String,
    /// 免申即享: granted without application (`benefit_kind` is `award_no_application`).
    pub no_application: bool,
    /// How the benefit is obtained (see `DecisionOut::benefit_kind`).
    pub benefit_kind: String,
    /// The periods its decisions are for: `year`, `quarter`, `month` or `day`.
    pub period: String,
    /// First day in force.
    pub from: String,
    /// Last day in force; null when open-ended.
    pub to: Option<String>,
    /// Sample data with invented amounts.
    pub sample: bool,
    pub has_amount: bool,
    /// Test cases passed and in all.
    pub cases_passed: usize,
    pub cases: usize,
}

/// A policy document with its items.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyOut {
    pub id: String,
    pub title: String,
    pub issuer: String,
    /// 文号.
    pub document: String,
    pub level: String,
    pub from: String,
    pub to: Option<String>,
    /// Department codes responsible.
    pub departments: Vec<String>,
    pub sample: bool,
    /// The policy file it was loaded from.
    pub file: String,
    pub items: Vec<ItemSummary>,
}

/// One dated value of a parameter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParamValueOut {
    /// Effective from this date (until the next value's date).
    pub from: String,
    /// The value, or the bands of a tiered table (`≤ limit: value; …`).
    pub value: String,
}

/// A parameter an item reads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParamOut {
    pub name: String,
    pub description: String,
    pub unit: String,
    pub reference: String,
    pub values: Vec<ParamValueOut>,
}

/// A named definition an item uses.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DefinitionOut {
    pub name: String,
    pub description: String,
    pub expr: String,
}

/// A test case with its result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseOut {
    pub name: String,
    pub date: String,
    /// The expected outcome.
    pub outcome: String,
    /// The expected amount (decimal string), if any.
    pub amount: Option<String>,
    pub passed: bool,
    /// What differed, when it failed.
    pub problem: Option<String>,
}

/// One policy item: its source clause, its rule, the parameters and definitions it reads,
/// and its test cases with their results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemOut {
    pub id: String,
    pub title: String,
    /// The policy id.
    pub policy: String,
    /// The document's number (文号).
    pub document: String,
    pub level: String,
    pub no_application: bool,
    /// How the benefit is obtained (see `DecisionOut::benefit_kind`).
    pub benefit_kind: String,
    /// Who grants it and how it is claimed, in Chinese (e.g. 企业在纳税申报时自行享受…，园区不支付).
    pub how_claimed: String,
    /// The periods its decisions are for: `year`, `quarter`, `month` or `day`.
    pub period: String,
    /// The items it replaces for the periods in which both are in force.
    pub supersedes: Vec<String>,
    /// The official clause (source text).
    pub clause: String,
    /// Why a clause is encoded the way it is, or left to an officer.
    pub note: Option<String>,
    pub from: String,
    pub to: Option<String>,
    pub departments: Vec<String>,
    pub sample: bool,
    /// The eligibility condition in the rule language.
    pub rule: String,
    /// The amount formula, if any.
    pub amount: Option<String>,
    /// Decimal places the amount is rounded to (2 = the fen).
    pub rounding_places: u32,
    pub parameters: Vec<ParamOut>,
    pub definitions: Vec<DefinitionOut>,
    pub cases: Vec<CaseOut>,
    /// `file:line` of the item in its policy file.
    pub location: String,
}

fn cases_of(pol: &PolicySet, item: &Item) -> Vec<CaseOut> {
    item.cases
        .iter()
        .map(|c| {
            let report = pol.case_reports.iter().find(|r| r.item == item.id && r.case == c.name);
            CaseOut {
                name: c.name.clone(),
                date: c.date.to_string(),
                outcome: c.outcome.as_str().to_string(),
                amount: c.amount.map(|a| a.to_string()),
                passed: report.is_some_and(|r| r.passed),
                problem: match report {
                    Some(r) => r.problem.clone(),
                    None => Some("not run".into()),
                },
            }
        })
        .collect()
}

fn summary(pol: &PolicySet, item: &Item) -> ItemSummary {
    let cases = cases_of(pol, item);
    ItemSummary {
        id: item.id.clone(),
        title: item.title.clone(),
        level: level_str(item.level).into(),
        no_application: item.no_application,
        benefit_kind: item.benefit_kind.as_str().into(),
        period: item.period.as_str().into(),
        from: item.window.from.to_string(),
        to: item.window.to.map(|d| d.to_string()),
        sample: item.sample,
        has_amount: item.amount.is_some(),
        cases_passed: cases.iter().filter(|c| c.passed).count(),
        cases: cases.len(),
    }
}

fn policy_out(pol: &PolicySet, p: &Policy, filter: &LibraryFilter) -> PolicyOut {
    PolicyOut {
        id: p.id.clone(),
        title: p.title.clone(),
        issuer: p.issuer.clone(),
        document: p.document.clone(),
        level: level_str(p.level).into(),
        from: p.window.from.to_string(),
        to: p.window.to.map(|d| d.to_string()),
        departments: p.departments.clone(),
        sample: p.sample,
        file: p.file.clone(),
        items: p.items.iter().filter(|i| filter.admits(i)).map(|i| summary(pol, i)).collect(),
    }
}

/// The documents with at least one item passing the filter (all documents without filters).
pub fn library_for(pol: &PolicySet, filter: &LibraryFilter) -> Vec<PolicyOut> {
    let unfiltered = *filter == LibraryFilter::default();
    pol.library
        .policies
        .iter()
        .map(|p| policy_out(pol, p, filter))
        .filter(|p| unfiltered || !p.items.is_empty())
        .collect()
}

fn param_value(v: &ParamValue) -> String {
    match v {
        ParamValue::Scalar(x) => x.to_string(),
        ParamValue::Table(bands) => bands
            .iter()
            .map(|b| match b.limit {
                Some(l) => format!("{} {l}: {}", if b.inclusive { "≤" } else { "<" }, b.value),
                None => format!("> : {}", b.value),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The parameters and definitions an item reads, directly or through definitions.
pub fn item_out(pol: &PolicySet, item: &Item) -> ItemOut {
    let lib = &pol.library;
    let (params, defs) = lib.names_used(item);
    ItemOut {
        id: item.id.clone(),
        title: item.title.clone(),
        policy: item.policy.clone(),
        document: item.document.clone(),
        level: level_str(item.level).into(),
        no_application: item.no_application,
        benefit_kind: item.benefit_kind.as_str().into(),
        how_claimed: rules::Library::how_claimed(item),
        period: item.period.as_str().into(),
        supersedes: item.supersedes.clone(),
        clause: item.clause.clone(),
        note: item.note.clone(),
        from: item.window.from.to_string(),
        to: item.window.to.map(|d| d.to_string()),
        departments: item.departments.clone(),
        sample: item.sample,
        rule: item.when.to_string(),
        amount: item.amount.as_ref().map(ToString::to_string),
        rounding_places: item.rounding.places,
        parameters: params
            .iter()
            .filter_map(|n| lib.program.params.get(n))
            .map(|p| ParamOut {
                name: p.name.clone(),
                description: p.description.clone(),
                unit: p.unit.clone(),
                reference: p.reference.clone(),
                values: p
                    .values
                    .iter()
                    .map(|(d, v)| ParamValueOut { from: d.to_string(), value: param_value(v) })
                    .collect(),
            })
            .collect(),
        definitions: defs
            .iter()
            .filter_map(|d| lib.program.defs.get(d).map(|e| (d, e)))
            .map(|(d, e)| DefinitionOut {
                name: d.clone(),
                description: lib.program.def_descriptions.get(d).cloned().unwrap_or_default(),
                expr: e.to_string(),
            })
            .collect(),
        cases: cases_of(pol, item),
        location: format!("{}:{}", item.location.file, item.location.line),
    }
}

fn find_policy<'a>(pol: &'a PolicySet, id: &str) -> Result<&'a Policy, WebError> {
    pol.library.policies.iter().find(|p| p.id == id).ok_or(WebError::PolicyNotFound { id: id.into() })
}

/// An item of the library, or 404.
pub fn find_item<'a>(pol: &'a PolicySet, id: &str) -> Result<&'a Item, WebError> {
    pol.library.item(id).ok_or(WebError::ItemNotFound { id: id.into() })
}

/// The policy library: documents with their items, filtered by level, the no-application
/// flag and a date in force.
#[utoipa::path(get, path = "/api/v1/policies", tag = "policies", params(LibraryQuery),
    responses(
        (status = 200, body = Vec<PolicyOut>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_policies(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Vec<PolicyOut>>, WebError> {
    let pol = state.policies();
    authz::require(&p, Action::Read, Resource::PolicyLibrary)?;
    let filter = LibraryFilter::parse(&raw)?;
    Ok(Json(library_for(&pol, &filter)))
}

/// One policy document with all its items.
#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "policies",
    params(("id" = String, Path, description = "政策编号, e.g. sta-2022-13")),
    responses(
        (status = 200, body = PolicyOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_policy(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<PolicyOut>, WebError> {
    let pol = state.policies();
    authz::require(&p, Action::Read, Resource::PolicyLibrary)?;
    let policy = find_policy(&pol, &id)?;
    Ok(Json(policy_out(&pol, policy, &LibraryFilter::default())))
}

/// One item: source clause, rule, parameters with their dated values, definitions used, and
/// test case results.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "policies",
    params(("id" = String, Path, description = "条款编号, e.g. zone-rd-subsidy")),
    responses(
        (status = 200, body = ItemOut),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_item(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ItemOut>, WebError> {
    let pol = state.policies();
    authz::require(&p, Action::Read, Resource::PolicyLibrary)?;
    let item = find_item(&pol, &id)?;
    Ok(Json(item_out(&pol, item)))
}

// ---------------------------------------------------------------------------------------
// Pages

/// A choice of a filter's select.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "policy_list.html")]
pub struct PolicyListPage {
    pub b: Base,
    /// One document's page (`/policies/{id}`) rather than the filtered library.
    pub single: bool,
    pub levels: Vec<Choice>,
    pub no_application: Vec<Choice>,
    pub date: String,
    pub policies: Vec<PolicyOut>,
    pub item_count: usize,
    /// The reader may edit the policy files (policy officer, admin).
    pub can_edit: bool,
    /// Policy drafts waiting for review (shown to those who review).
    pub open_drafts: usize,
}

impl PolicyListPage {
    pub fn level_label(&self, l: &str) -> String {
        level_label(self.b.tr, l)
    }

    pub fn window(&self, from: &str, to: &Option<String>) -> String {
        window_label(self.b.tr, from, to)
    }
}

pub fn level_label(tr: Tr, l: &str) -> String {
    match l {
        "national" => tr.t("ui.level.national"),
        "provincial" => tr.t("ui.level.provincial"),
        "municipal" => tr.t("ui.level.municipal"),
        "zone" => tr.t("ui.level.zone"),
        other => other.to_string(),
    }
}

pub fn window_label(tr: Tr, from: &str, to: &Option<String>) -> String {
    match to {
        Some(t) => format!("{from} — {t}"),
        None => format!("{from} — {}", tr.t("ui.policy.open_ended")),
    }
}

/// The library page (`/policies?level=&no_application=&date=`).
pub async fn page_library(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let pol = state.policies();
    authz::require(&p, Action::Read, Resource::PolicyLibrary)?;
    let filter = LibraryFilter::parse(&raw)?;
    let tr = Tr(lang);
    let policies = library_for(&pol, &filter);
    let levels = std::iter::once(("", tr.t("ui.all")))
        .chain(LEVELS.iter().map(|l| (*l, level_label(tr, l))))
        .map(|(value, label)| Choice {
            value,
            label,
            selected: filter.level.as_deref().unwrap_or("") == value,
        })
        .collect();
    let na = filter.no_application.map(|b| if b { "true" } else { "false" }).unwrap_or("");
    let no_application = [("", "ui.all"), ("true", "ui.yes"), ("false", "ui.no")]
        .into_iter()
        .map(|(value, key)| Choice { value, label: tr.t(key), selected: na == value })
        .collect();
    let page = PolicyListPage {
        b: Base::new(lang, Some(&p), "/policies", "ui.policies.title"),
        single: false,
        levels,
        no_application,
        date: filter.date.map(|d| d.to_string()).unwrap_or_default(),
        item_count: policies.iter().map(|p| p.items.len()).sum(),
        policies,
        can_edit: authz::authorize(&p, Action::Write, Resource::PolicyLibrary).is_allowed(),
        open_drafts: open_drafts(&state, &p).await?,
    };
    views::render(&page)
}

/// How many policy drafts wait for review, for those who review them (0 for the others).
async fn open_drafts(state: &AppState, p: &Principal) -> Result<usize, WebError> {
    if authz::authorize(p, Action::Write, Resource::PolicyLibrary).is_allowed() {
        Ok(app::drafts::open_count(state, p).await?)
    } else {
        Ok(0)
    }
}

/// One document's page (`/policies/{id}`).
pub async fn page_policy(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let pol = state.policies();
    authz::require(&p, Action::Read, Resource::PolicyLibrary)?;
    let policy = find_policy(&pol, &id)?;
    let out = policy_out(&pol, policy, &LibraryFilter::default());
    let mut b = Base::new(lang, Some(&p), "/policies", "ui.policies.title");
    b.title = out.title.clone();
    let page = PolicyListPage {
        b,
        single: true,
        levels: Vec::new(),
        no_application: Vec::new(),
        date: String::new(),
        item_count: out.items.len(),
        policies: vec![out],
        can_edit: authz::authorize(&p, Action::Write, Resource::PolicyLibrary).is_allowed(),
        open_drafts: open_drafts(&state, &p).await?,
    };
    views::render(&page)
}

#[derive(Template)]
#[template(path = "policy_item.html")]
pub struct ItemPage {
    pub b: Base,
    pub i: ItemOut,
    pub policy_title: String,
    pub passed: usize,
    /// The reader may simulate a change (policy officer, admin) and the item has a parameter.
    pub can_simulate: bool,
    /// The library, to put rules in plain words on Chinese pages.
    pub pol: std::sync::Arc<PolicySet>,
}

impl ItemPage {
    /// A rule, an amount or a definition in the reader's language (plain Chinese words from
    /// the labels on zh-CN pages, the rule as written in English).
    pub fn plain(&self, text: &str) -> String {
        crate::plain::condition(&self.pol.library, self.b.tr, text)
    }

    /// A parameter's value with its unit in words.
    pub fn param_value(&self, name: &str, value: &str) -> String {
        crate::plain::value_read(&self.pol.library, self.b.tr, name, value).1
    }

    /// A parameter's unit in the reader's language.
    pub fn unit(&self, unit: &str) -> String {
        if self.b.tr.is_en() {
            return unit.to_string();
        }
        match unit {
            "yuan" => "元",
            "persons" => "人",
            "ratio" => "比例",
            "count" => "个",
            "years" => "年",
            "working days" => "工作日",
            "date" => "日期",
            "months" => "个月",
            other => other,
        }
        .to_string()
    }

    pub fn level_label(&self, l: &str) -> String {
        level_label(self.b.tr, l)
    }

    pub fn window(&self) -> String {
        window_label(self.b.tr, &self.i.from, &self.i.to)
    }

    pub fn outcome_label(&self, o: &str) -> String {
        match o {
            "eligible" => self.b.tr.t("ui.outcome.eligible"),
            "ineligible" => self.b.tr.t("ui.outcome.ineligible"),
            _ => self.b.tr.t("ui.outcome.undetermined"),
        }
    }
}

/// One item's page (`/items/{id}`): source text beside its rule, parameters with dates, test
/// cases with pass/fail.
pub async fn page_item(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let pol = state.policies();
    authz::require(&p, Action::Read, Resource::PolicyLibrary)?;
    let item = find_item(&pol, &id)?;
    let i = item_out(&pol, item);
    let policy_title =
        pol.library.policies.iter().find(|p| p.id == i.policy).map(|p| p.title.clone()).unwrap_or_default();
    let mut b = Base::new(lang, Some(&p), "/policies", "ui.policies.title");
    b.title = i.title.clone();
    let passed = i.cases.iter().filter(|c| c.passed).count();
    let can_simulate = authz::authorize(&p, Action::Write, Resource::PolicyLibrary).is_allowed()
        && !scalar_params(&pol, item).is_empty();
    views::render(&ItemPage { b, i, policy_title, passed, can_simulate, pol: pol.clone() })
}

/// The scalar parameters an item reads (those a simulation can set).
fn scalar_params(pol: &PolicySet, item: &Item) -> Vec<String> {
    let (params, _) = pol.library.names_used(item);
    params
        .into_iter()
        .filter(|n| {
            pol.library
                .program
                .params
                .get(n)
                .is_some_and(|p| matches!(p.shape, rules::check::ParamShape::Scalar(_)))
        })
        .collect()
}

/// A parameter choice of the simulation form.
#[derive(Debug, Clone)]
pub struct ParamChoice {
    pub name: String,
    /// What the option shows: in zh-CN the parameter's description (its code only when it has
    /// none), in English the code with the description.
    pub label: String,
    /// Its value on the evaluation date.
    pub current: String,
    pub selected: bool,
}

/// One side of a simulation.
#[derive(Debug, Clone)]
pub struct CountsOut {
    pub eligible: usize,
    pub ineligible: usize,
    pub undetermined: usize,
    /// Of the eligible, those whose amount is not known.
    pub amount_missing: usize,
    pub total: String,
}

impl CountsOut {
    fn of(c: &rules::batch::ItemCounts) -> CountsOut {
        CountsOut {
            eligible: c.eligible,
            ineligible: c.ineligible,
            undetermined: c.undetermined,
            amount_missing: c.amount_missing,
            total: c.total.to_string(),
        }
    }
}

/// An enterprise that gains or loses.
#[derive(Debug, Clone)]
pub struct Who {
    pub uscc: String,
    pub name: String,
    pub href: String,
}

/// The outcome of a simulation.
#[derive(Debug, Clone)]
pub struct SimResult {
    pub enterprises: usize,
    /// The benefit kind's name and how it is claimed.
    pub kind: String,
    pub how: String,
    pub period: String,
    /// The item replacing this one for the period: these totals count in no zone total.
    pub superseded_by: Option<String>,
    pub baseline: CountsOut,
    pub changed: CountsOut,
    pub cost_delta: String,
    pub gains: Vec<Who>,
    pub gains_total: usize,
    pub losses: Vec<Who>,
    pub losses_total: usize,
}

/// How many gainers and losers a page lists.
pub const SIM_LIST_LIMIT: usize = 100;

#[derive(Template)]
#[template(path = "policy_simulate.html")]
pub struct SimulatePage {
    pub b: Base,
    pub id: String,
    pub params: Vec<ParamChoice>,
    pub value: String,
    pub from: String,
    pub date: String,
    pub error: Option<String>,
    pub result: Option<SimResult>,
}

/// A benefit period in the page's language: 2022年, 2022年第1季度, 2022年3月, 2022年3月5日
/// (English: as the rule files write it).
fn period_text(p: &rules::Period, lang: i18n::Lang) -> String {
    if lang == i18n::Lang::En {
        return p.to_string();
    }
    match p {
        rules::Period::Year(y) => format!("{y}年"),
        rules::Period::Quarter(y, q) => format!("{y}年第{q}季度"),
        rules::Period::Month(y, m) => format!("{y}年{m}月"),
        rules::Period::Day(d) => i18n::dates::date_zh(*d),
    }
}

/// The simulation page (`/items/{id}/simulate?param=&value=&from=&date=`): the item over every
/// enterprise in the store, under the current parameters and with `param` set to `value` from
/// `from` on, evaluated on `date`. Policy officers and admins (those who may change policies).
pub async fn page_simulate(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let pol = state.policies();
    app::matching::may_simulate(&p)?;
    let item = find_item(&pol, &id)?;
    let date = date_param(&state, &raw)?;
    let get = |k: &str| raw.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let from = match get("from") {
        Some(f) => parse_date(&f)?,
        None => date,
    };
    let names = scalar_params(&pol, item);
    let param = get("param");
    if let Some(n) = &param
        && !names.contains(n)
    {
        return Err(WebError::InvalidParam { param: "param".into(), value: n.clone() });
    }
    let lib = &pol.library;
    let mut b = Base::new(lang, Some(&p), "/policies", "ui.simulate.title");
    b.title = format!("{} · {}", b.title, item.title);
    let mut page = SimulatePage {
        b,
        id: item.id.clone(),
        params: names
            .iter()
            .filter_map(|n| lib.program.params.get(n))
            .map(|pm| ParamChoice {
                name: pm.name.clone(),
                label: match (lang, pm.description.trim()) {
                    (_, "") => pm.name.clone(),
                    (i18n::Lang::Zh, d) => d.to_string(),
                    (i18n::Lang::En, d) => format!("{}（{d}）", pm.name),
                },
                current: pm.at(date).map(param_value).unwrap_or_else(|| "—".into()),
                selected: param.as_deref() == Some(pm.name.as_str()),
            })
            .collect(),
        value: get("value").unwrap_or_default(),
        from: from.to_string(),
        date: date.to_string(),
        error: None,
        result: None,
    };
    let (Some(param), Some(value)) = (param, get("value")) else { return views::render(&page) };
    // The same population and engine as `huiqi policy simulate`: the use case.
    let req = app::matching::SimulateRequest {
        item: item.id.clone(),
        set: vec![(param, value)],
        date,
        from,
        limit: SIM_LIST_LIMIT,
    };
    let sim = match app::matching::simulate(&state, &p, &req, std::sync::Arc::new(app::matching::NoProgress))
        .await
    {
        Ok(sim) => sim,
        Err(e @ app::Error::Rules(_)) => {
            page.error = Some(i18n::Localized::render(&e, lang));
            return views::render(&page);
        }
        Err(e) => return Err(e.into()),
    };
    let list = |who: &[app::matching::Named]| -> Vec<Who> {
        who.iter()
            .map(|w| Who {
                href: format!("/explore?enterprise={}&item={}&date={date}", w.uscc, item.id),
                uscc: w.uscc.clone(),
                name: w.name.clone(),
            })
            .collect()
    };
    let tr = crate::lang::Tr(lang);
    let kind = sim.item.benefit_kind;
    page.result = Some(SimResult {
        enterprises: sim.enterprises,
        kind: tr.pick(kind.name_zh(), kind.name_en()).to_string(),
        how: tr.pick(kind.how_zh(), kind.how_en()).to_string(),
        period: period_text(&sim.period, lang),
        superseded_by: sim.superseded_by.clone(),
        baseline: CountsOut::of(&sim.baseline),
        changed: CountsOut::of(&sim.changed),
        cost_delta: format!(
            "{} {}",
            crate::plain::thousands(&sim.cost_delta_signed()),
            tr.pick("元", "yuan")
        ),
        gains: list(&sim.gains),
        gains_total: sim.gains_total,
        losses: list(&sim.losses),
        losses_total: sim.losses_total,
    });
    views::render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn library_filters_are_checked() {
        let f = LibraryFilter::parse(&raw(&[
            ("level", "zone"),
            ("no_application", "是"),
            ("date", "2022-06-30"),
        ]))
        .unwrap();
        assert_eq!(f.level.as_deref(), Some("zone"));
        assert_eq!(f.no_application, Some(true));
        assert_eq!(f.date, NaiveDate::from_ymd_opt(2022, 6, 30));
        assert_eq!(LibraryFilter::parse(&raw(&[("level", " ")])).unwrap(), LibraryFilter::default());
        for (k, v) in [("level", "county"), ("no_application", "maybe"), ("date", "2022-6-31")] {
            let e = LibraryFilter::parse(&raw(&[(k, v)])).unwrap_err();
            assert!(matches!(e, WebError::InvalidParam { ref param, .. } if param == k), "{k}={v}: {e:?}");
        }
    }
}
