//! Policy decisions of one enterprise (政策匹配): every item in force on a date decided over
//! the enterprise's facts, with the amount, the missing facts and the explanation tree; the
//! eligibility explorer (pick an enterprise and an item: why is it (not) eligible?); and the
//! enterprise home's "matched policies" section.
//!
//! The use cases of `app::matching` load the enterprise, check who may see its decisions
//! (exactly those who may see the enterprise) and decide; this module maps requests to them
//! and renders the answers. The JSON of a decision is the shape `huiqi policy eval --json`
//! prints; the API keeps the last answers per enterprise and date (`DecisionCache`),
//! validated by the enterprise's version.
//!
//! What it leaves out: match runs and simulation (`app::matching::run` and `simulate`; the
//! simulation page is in `routes::policies`).

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::policy_docs::CachedDecisions;
use crate::routes::enterprises::{ListQuery, list_for, parse_uscc};
use crate::routes::{etag_matches, etag_of};
use crate::state::AppState;
use crate::views::{self, Base};
use app::matching;
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use enterprise::{FactDictionary, FactSource};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use store::{EnterpriseView, Role};
use utoipa::{IntoParams, ToSchema};

/// The evaluation date of a request: `date=YYYY-MM-DD`, else today (China time).
pub fn date_param(state: &AppState, raw: &HashMap<String, String>) -> Result<NaiveDate, WebError> {
    match raw.get("date").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(state.now().date_naive()),
        Some(s) => parse_date(s),
    }
}

/// A civil date `YYYY-MM-DD` in `calendar::SUPPORTED_DATES` (anything else is a typo).
pub fn parse_date(s: &str) -> Result<NaiveDate, WebError> {
    calendar::parse_date(s).map_err(|_| WebError::InvalidParam { param: "date".into(), value: s.into() })
}

/// Loads an enterprise whose decisions the principal may see: 404 when it does not exist or
/// is hidden.
pub async fn load_for_decisions(
    state: &AppState,
    p: &Principal,
    uscc: &str,
) -> Result<EnterpriseView, WebError> {
    let code = parse_uscc(uscc)?;
    Ok(matching::enterprise_for_decisions(state, p, &code).await?)
}

/// A fact a decision needed and the zone does not hold.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MissingFactOut {
    /// The dictionary id, e.g. `revenue`.
    pub fact: String,
    /// The year of a per-year fact; null for a scalar fact.
    pub year: Option<i32>,
}

/// One item decided for one enterprise on one date (the shape of `huiqi policy eval --json`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct DecisionOut {
    /// The item id, e.g. `zone-rd-subsidy`.
    pub item: String,
    pub title: String,
    /// The policy document's number (文号).
    pub document: String,
    /// How the benefit is obtained: `tax_relief_declared` (申报享受), `tax_refund_applied`
    /// (依申请退税), `award_no_application` (免申即享奖补), `award_application` (依申请奖补),
    /// `fee_waiver` (费用减免) or `status` (资格认定).
    pub benefit_kind: String,
    /// The period decided: `2022`, `2022-Q2`, `2022-05` or `2022-05-31`.
    pub period: String,
    /// `eligible`, `ineligible` or `undetermined` (eligibility itself is unknown: a needed
    /// fact is missing). Eligibility alone: an eligible enterprise without a known amount is
    /// eligible.
    pub outcome: String,
    /// Yuan as a decimal string, when eligible and the item has an amount that is known.
    pub amount: Option<String>,
    /// Eligible with an amount that could not be computed: the facts the amount lacks.
    pub amount_missing_facts: Vec<MissingFactOut>,
    /// Every fact the decision lacks (for an eligible one, those of its amount).
    pub missing_facts: Vec<MissingFactOut>,
    /// The item that replaces this one for the period (`supersedes`): not counted in totals.
    pub superseded_by: Option<String>,
    /// The tree of conditions: `{expr, outcome, values?, children?}`; `values` names each fact
    /// and parameter read with its value (`missing` when absent).
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

impl DecisionOut {
    pub fn from_decision(d: &rules::Decision) -> DecisionOut {
        DecisionOut {
            item: d.item.clone(),
            title: d.title.clone(),
            document: d.document.clone(),
            benefit_kind: d.benefit_kind.as_str().to_string(),
            period: d.period.to_string(),
            outcome: d.outcome.as_str().to_string(),
            amount: d.amount.map(|a| a.to_string()),
            amount_missing_facts: d
                .amount_missing_facts
                .iter()
                .map(|m| MissingFactOut { fact: m.fact.clone(), year: m.year })
                .collect(),
            missing_facts: d
                .missing_facts
                .iter()
                .map(|m| MissingFactOut { fact: m.fact.clone(), year: m.year })
                .collect(),
            superseded_by: d.superseded_by.clone(),
            explanation: serde_json::to_value(&d.explanation).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// One item explained for one enterprise.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExplainOut {
    /// The enterprise's credit code.
    pub enterprise: String,
    /// The evaluation date.
    pub date: String,
    /// Whether the item is in force on that date (an item out of force is still explained).
    pub in_force: bool,
    pub decision: DecisionOut,
}

/// The evaluation date and the tax year.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// `YYYY-MM-DD`; default today (China time).
    pub date: Option<String>,
    /// The tax year of the annual items (default: the date's year), from 2000 to the date's
    /// year: `tax_year=2022` with `date=2023-05-20` decides the 2022 annual settlement.
    pub tax_year: Option<i32>,
}

/// The tax year of a request: `tax_year=YYYY`, else none (the date's year).
pub fn tax_year_param(raw: &HashMap<String, String>) -> Result<Option<i32>, WebError> {
    match raw.get("tax_year").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i32>()
            .map(Some)
            .map_err(|_| WebError::InvalidParam { param: "tax_year".into(), value: s.into() }),
    }
}

/// The enterprise and the evaluation date of an explanation.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// The enterprise's 统一社会信用代码.
    pub enterprise: String,
    /// `YYYY-MM-DD`; default today (China time).
    pub date: Option<String>,
}

/// Every item in force on `date` decided for an enterprise already loaded for its decisions,
/// in library order (annual items for `tax_year`, default the date's year).
pub fn decide_all(
    state: &AppState,
    v: &EnterpriseView,
    date: NaiveDate,
    tax_year: Option<i32>,
) -> Result<Vec<rules::Decision>, WebError> {
    Ok(matching::decisions_of(state, v, date, tax_year)?)
}

/// An enterprise's decisions: every policy item in force on the date. The `ETag` names the
/// answer: send it back in `If-None-Match` for a 304 while the facts are unchanged.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/decisions", tag = "policies",
    params(("uscc" = String, Path, description = "统一社会信用代码"), DateQuery),
    responses(
        (status = 200, body = Vec<DecisionOut>, headers(("ETag" = String))),
        (status = 304, description = "unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_decisions(
    State(state): State<AppState>,
    p: Principal,
    Path(uscc): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let date = date_param(&state, &raw)?;
    let tax_year = tax_year_param(&raw)?;
    matching::check_tax_year(date, tax_year)?;
    let code = parse_uscc(&uscc)?;
    // The version (with the authorisation) is enough to validate a cached answer; the facts
    // are loaded only to decide afresh.
    let version = matching::decisions_version(&state, &p, &code).await?;
    // Answers for another tax year are kept apart from the date's own.
    let key = match tax_year {
        None => code.to_string(),
        Some(y) => format!("{code}@{y}"),
    };
    // One policy set for the lookup, the decision and the store: a save meanwhile swaps in a
    // new set with its own empty cache.
    let pol = state.policies();
    let cached = match pol.decisions.get(&key, date, version) {
        Some(c) => c,
        None => {
            // Decided after the version was read: a change committed in between makes the
            // stored version older than these facts, so the next request decides again (never
            // stale).
            let decided = matching::decide(&state, &p, &code, date, tax_year).await?;
            let out: Vec<DecisionOut> = decided.decisions.iter().map(DecisionOut::from_decision).collect();
            let json = Bytes::from(serde_json::to_vec(&out).map_err(WebError::internal)?);
            let etag = etag_of(&json);
            let c = Arc::new(CachedDecisions { version, json, etag });
            pol.decisions.put(&key, date, Arc::clone(&c));
            c
        }
    };
    let tag = HeaderValue::from_str(&cached.etag).map_err(WebError::internal)?;
    let inm = headers.get(header::IF_NONE_MATCH).and_then(|h| h.to_str().ok());
    if inm.is_some_and(|h| etag_matches(h, &cached.etag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
        ],
        cached.json.clone(),
    )
        .into_response())
}

/// One item explained for one enterprise: each condition with the values used and its
/// outcome.
#[utoipa::path(get, path = "/api/v1/items/{id}/explain", tag = "policies",
    params(("id" = String, Path, description = "条款编号, e.g. zone-rd-subsidy"), ExplainQuery),
    responses(
        (status = 200, body = ExplainOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_explain(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<ExplainOut>, WebError> {
    let date = date_param(&state, &raw)?;
    let uscc = raw.get("enterprise").map(|s| s.trim()).unwrap_or("");
    if uscc.is_empty() {
        return Err(WebError::InvalidParam { param: "enterprise".into(), value: String::new() });
    }
    let code = parse_uscc(uscc)?;
    let req = matching::ExplainRequest { uscc: code, item: id, date };
    let x = matching::explain(&state, &p, &req).await?;
    Ok(Json(ExplainOut {
        enterprise: x.enterprise.enterprise.uscc.to_string(),
        date: date.to_string(),
        in_force: x.in_force,
        decision: DecisionOut::from_decision(&x.decision),
    }))
}

// ---------------------------------------------------------------------------------------
// Page views

/// The CSS class and label key of an outcome.
pub fn outcome_badge(o: rules::Eligibility) -> (&'static str, &'static str) {
    match o {
        rules::Eligibility::Eligible => ("badge ok", "ui.outcome.eligible"),
        rules::Eligibility::Ineligible => ("badge no", "ui.outcome.ineligible"),
        rules::Eligibility::Undetermined => ("badge unknown", "ui.outcome.undetermined"),
    }
}

/// A missing fact as the reader sees it: its label and whom to ask for it.
#[derive(Debug, Clone)]
pub struct MissingRow {
    pub label: String,
    pub id: String,
    pub ask: String,
}

fn missing_rows(tr: Tr, missing: &[rules::MissingFact]) -> Vec<MissingRow> {
    let dict = FactDictionary::official();
    missing
        .iter()
        .map(|m| {
            let def = dict.get(&m.fact);
            let name = def.map(|d| tr.pick(&d.zh, &d.en).to_string()).unwrap_or_else(|| m.fact.clone());
            let label = match m.year {
                Some(y) => tr.t1("ui.decision.fact_year", "fact", &format!("{name} {y}")),
                None => name,
            };
            let ask = match def.map(|d| d.source) {
                Some(FactSource::Tax) => tr.t("ui.ask.tax"),
                Some(FactSource::MarketRegulation) => tr.t("ui.ask.market_regulation"),
                Some(FactSource::SelfReported) => tr.t("ui.ask.self_reported"),
                Some(FactSource::Zone) => tr.t("ui.ask.zone"),
                Some(FactSource::Derived) | None => tr.t("ui.ask.derived"),
            };
            // The fact's id (an import column name) only on English pages.
            let id = if tr.is_en() { m.to_string() } else { String::new() };
            MissingRow { label, id, ask }
        })
        .collect()
}

/// A node of an explanation in words: the condition (or a definition's description), its
/// outcome and the values it read.
#[derive(Debug, Clone)]
pub struct Reason {
    pub expr: String,
    pub note: String,
    pub outcome: String,
    pub class: &'static str,
    pub values: Vec<KeyValue>,
}

#[derive(Debug, Clone)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

fn node_outcome(tr: Tr, outcome: &str) -> (String, &'static str) {
    match outcome {
        "true" => (tr.t("ui.node.true"), "badge ok"),
        "false" => (tr.t("ui.node.false"), "badge no"),
        "undetermined" => (tr.t("ui.node.undetermined"), "badge unknown"),
        other => (other.to_string(), "badge value"),
    }
}

fn reason(lib: &rules::Library, tr: Tr, x: &rules::Explanation) -> Reason {
    let (outcome, class) = node_outcome(tr, &x.outcome);
    let note = lib.program.def_descriptions.get(&x.expr).cloned().unwrap_or_default();
    let expr = crate::plain::condition(lib, tr, &x.expr);
    Reason {
        // On Chinese pages a definition reads as its description already.
        note: if note == expr { String::new() } else { note },
        expr,
        outcome,
        class,
        values: x
            .values
            .iter()
            .map(|(k, v)| {
                let (key, value) = crate::plain::value_read(lib, tr, k, v);
                KeyValue { key, value }
            })
            .collect(),
    }
}

/// The nodes that decided an outcome: for `false` the failing conditions, for `undetermined`
/// the conditions lacking data, descending through `and`, `or`, `not` and definitions to the
/// deepest nodes that carry the outcome.
fn decisive<'x>(x: &'x rules::Explanation, want: &str, out: &mut Vec<&'x rules::Explanation>) {
    if x.children.is_empty() {
        out.push(x);
        return;
    }
    let want_child = if x.expr == "not" {
        match want {
            "true" => "false",
            "false" => "true",
            w => w,
        }
    } else {
        want
    };
    let matching: Vec<_> = x.children.iter().filter(|c| c.outcome == want_child).collect();
    if matching.is_empty() {
        out.push(x);
    } else {
        for c in matching {
            decisive(c, want_child, out);
        }
    }
}

/// The grounds of an eligible decision (a grant's frozen explanation): the top-level parts
/// of the condition that held, up to `limit`.
pub fn grounds(lib: &rules::Library, tr: Tr, root: &rules::Explanation, limit: usize) -> Vec<Reason> {
    let cond = if root.expr == "eligible, amount" { root.children.first() } else { Some(root) };
    let mut nodes = Vec::new();
    if let Some(c) = cond {
        if c.expr == "and" { nodes.extend(c.children.iter()) } else { nodes.push(c) }
    }
    nodes.into_iter().take(limit).map(|x| reason(lib, tr, x)).collect()
}

/// Why an outcome: up to `limit` decisive conditions.
pub fn reasons(lib: &rules::Library, tr: Tr, d: &rules::Decision, limit: usize) -> Vec<Reason> {
    let root = &d.explanation;
    let mut nodes = Vec::new();
    match d.outcome {
        rules::Eligibility::Ineligible => decisive(root, "false", &mut nodes),
        rules::Eligibility::Undetermined => decisive(root, "undetermined", &mut nodes),
        rules::Eligibility::Eligible => {
            // The condition held: show its top-level parts (the root is "eligible, amount"
            // with the condition first when the item has an amount).
            let cond = if root.expr == "eligible, amount" { root.children.first() } else { Some(root) };
            if let Some(c) = cond {
                if c.expr == "and" { nodes.extend(c.children.iter()) } else { nodes.push(c) }
            }
        }
    }
    nodes.into_iter().take(limit).map(|x| reason(lib, tr, x)).collect()
}

/// One decision as a row of the matched-policies list.
#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub item: String,
    pub title: String,
    pub document: String,
    pub outcome: String,
    pub badge: &'static str,
    pub amount: Option<String>,
    /// Eligible, and the amount is not known yet (its facts are in `missing`).
    pub amount_pending: bool,
    pub no_application: bool,
    /// The benefit kind's name and who grants it, how it is claimed (one line).
    pub kind: String,
    pub how: String,
    /// The period decided.
    pub period: String,
    /// The item replacing this one for the period.
    pub superseded_by: Option<String>,
    pub reasons: Vec<Reason>,
    pub missing: Vec<MissingRow>,
    /// The explorer link for this enterprise and item.
    pub explain_href: String,
}

pub fn decision_row(
    state: &AppState,
    tr: Tr,
    uscc: &str,
    date: NaiveDate,
    d: &rules::Decision,
) -> DecisionRow {
    let (badge, key) = outcome_badge(d.outcome);
    DecisionRow {
        item: d.item.clone(),
        title: d.title.clone(),
        document: d.document.clone(),
        outcome: tr.t(key),
        badge,
        amount: d.amount.map(|a| crate::plain::thousands(&a.to_string())),
        amount_pending: d.outcome == rules::Eligibility::Eligible && !d.amount_missing_facts.is_empty(),
        no_application: d.benefit_kind.may_be_granted(),
        kind: tr.pick(d.benefit_kind.name_zh(), d.benefit_kind.name_en()).to_string(),
        how: {
            let how = tr.pick(d.benefit_kind.how_zh(), d.benefit_kind.how_en());
            match state.policies().library.item(&d.item).and_then(|i| i.claim_note.clone()) {
                Some(note) => format!("{how}；{note}"),
                None => how.to_string(),
            }
        },
        period: d.period.to_string(),
        superseded_by: d.superseded_by.clone(),
        reasons: reasons(&state.policies().library, tr, d, 3),
        missing: missing_rows(tr, &d.missing_facts),
        explain_href: format!("/explore?enterprise={uscc}&item={}&date={date}", d.item),
    }
}

/// An enterprise's decisions: eligible first, then undetermined (`rows`); the ineligible ones
/// apart (`ineligible_rows`, shown folded so a phone screen starts with what matters).
#[derive(Debug, Clone)]
pub struct Matches {
    pub date: String,
    pub rows: Vec<DecisionRow>,
    pub ineligible_rows: Vec<DecisionRow>,
    pub eligible: usize,
    pub undetermined: usize,
    pub ineligible: usize,
    /// The eligible items' totals per benefit kind, replaced items left out.
    pub totals: Vec<TotalRow>,
    /// What the zone pays of them (the award kinds).
    pub zone_payout: String,
}

/// One benefit kind's line of a totals table.
#[derive(Debug, Clone)]
pub struct TotalRow {
    pub kind: String,
    pub how: String,
    pub eligible: u64,
    pub amount_missing: u64,
    pub total: String,
    pub zone_payout: bool,
}

/// Totals per benefit kind as rows of a page.
pub fn total_rows(tr: Tr, totals: &[rules::KindTotal]) -> Vec<TotalRow> {
    totals
        .iter()
        .map(|t| TotalRow {
            kind: tr.pick(t.benefit_kind.name_zh(), t.benefit_kind.name_en()).to_string(),
            how: tr.pick(t.benefit_kind.how_zh(), t.benefit_kind.how_en()).to_string(),
            eligible: t.eligible,
            amount_missing: t.amount_missing,
            total: t.total_amount.to_string(),
            zone_payout: t.benefit_kind.is_zone_payout(),
        })
        .collect()
}

pub fn matches_for(
    state: &AppState,
    tr: Tr,
    v: &EnterpriseView,
    date: NaiveDate,
    tax_year: Option<i32>,
) -> Result<Matches, WebError> {
    let mut ds = decide_all(state, v, date, tax_year)?;
    let rank = |o: rules::Eligibility| match o {
        rules::Eligibility::Eligible => 0,
        rules::Eligibility::Undetermined => 1,
        rules::Eligibility::Ineligible => 2,
    };
    ds.sort_by_key(|d| rank(d.outcome));
    let count = |o| ds.iter().filter(|d| d.outcome == o).count();
    let uscc = v.enterprise.uscc.to_string();
    let totals = matching::decision_totals(&ds);
    Ok(Matches {
        date: date.to_string(),
        totals: total_rows(tr, &totals),
        zone_payout: rules::zone_payout_total(&totals).to_string(),
        eligible: count(rules::Eligibility::Eligible),
        undetermined: count(rules::Eligibility::Undetermined),
        ineligible: count(rules::Eligibility::Ineligible),
        rows: ds
            .iter()
            .filter(|d| d.outcome != rules::Eligibility::Ineligible)
            .map(|d| decision_row(state, tr, &uscc, date, d))
            .collect(),
        ineligible_rows: ds
            .iter()
            .filter(|d| d.outcome == rules::Eligibility::Ineligible)
            .map(|d| decision_row(state, tr, &uscc, date, d))
            .collect(),
    })
}

/// A node of the explanation tree, flattened for the template: `open` starts a nested list
/// of children, `close` ends that many nested lists after the node.
#[derive(Debug, Clone)]
pub struct TreeRow {
    pub r: Reason,
    pub open: bool,
    pub close: usize,
}

fn flatten_tree(lib: &rules::Library, tr: Tr, x: &rules::Explanation, out: &mut Vec<TreeRow>) {
    out.push(TreeRow { r: reason(lib, tr, x), open: !x.children.is_empty(), close: 0 });
    if x.children.is_empty() {
        return;
    }
    for c in &x.children {
        flatten_tree(lib, tr, c, out);
    }
    if let Some(last) = out.last_mut() {
        last.close += 1;
    }
}

pub fn tree_rows(lib: &rules::Library, tr: Tr, x: &rules::Explanation) -> Vec<TreeRow> {
    let mut out = Vec::new();
    flatten_tree(lib, tr, x, &mut out);
    out
}

/// An item choice of the explorer.
#[derive(Debug, Clone)]
pub struct ItemChoice {
    pub id: String,
    pub title: String,
    pub selected: bool,
}

/// A candidate enterprise when the explorer's query names several.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub uscc: String,
    pub name: String,
    pub href: String,
}

/// The explanation of one item for the picked enterprise.
#[derive(Debug, Clone)]
pub struct Explained {
    pub row: DecisionRow,
    pub in_force: bool,
    pub tree: Vec<TreeRow>,
}

#[derive(Template)]
#[template(path = "explore.html")]
pub struct ExplorePage {
    pub b: Base,
    /// The enterprise user's explorer is fixed to its own enterprise.
    pub fixed: bool,
    pub query: String,
    pub date: String,
    /// The tax year asked for, or empty (the date's year).
    pub tax_year: String,
    pub items: Vec<ItemChoice>,
    pub enterprise: Option<(String, String)>,
    pub candidates: Vec<Candidate>,
    pub not_found: bool,
    pub explained: Option<Explained>,
    pub matches: Option<Matches>,
}

use crate::views::enc;

/// The eligibility explorer (`/explore?enterprise=&item=&date=`): pick an enterprise by
/// credit code or name and, optionally, an item; without an item, every item in force is
/// decided; with one, its explanation tree shows why.
pub async fn explore(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let tr = Tr(lang);
    let date = date_param(&state, &raw)?;
    let tax_year = tax_year_param(&raw)?;
    matching::check_tax_year(date, tax_year)?;
    let item_id = raw.get("item").map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let pol = state.policies();
    let item = match &item_id {
        Some(id) => Some(crate::routes::policies::find_item(&pol, id)?),
        None => None,
    };
    let fixed = p.role == Role::Enterprise;
    let mut query = raw.get("enterprise").map(|s| s.trim().to_string()).unwrap_or_default();
    if fixed {
        match &p.enterprise {
            Some(own) if query.is_empty() => query = own.to_string(),
            Some(_) => {}
            None => return Err(WebError::Forbidden),
        }
    }
    let mut page = ExplorePage {
        b: Base::new(lang, Some(&p), "/explore", "ui.explore.title"),
        fixed,
        query: query.clone(),
        date: date.to_string(),
        tax_year: tax_year.map(|y| y.to_string()).unwrap_or_default(),
        items: pol
            .library
            .items()
            .map(|i| ItemChoice {
                id: i.id.clone(),
                title: i.title.clone(),
                selected: item_id.as_deref() == Some(i.id.as_str()),
            })
            .collect(),
        enterprise: None,
        candidates: Vec::new(),
        not_found: false,
        explained: None,
        matches: None,
    };
    if query.is_empty() {
        return views::render(&page);
    }
    // A credit code picks the enterprise directly; anything else searches names.
    let view = if enterprise::UnifiedCreditCode::parse(&query).is_ok() || fixed {
        Some(load_for_decisions(&state, &p, &query).await?)
    } else {
        let q = ListQuery { q: Some(query.clone()), per_page: Some(20), ..ListQuery::default() };
        let list = list_for(&state, &p, &q).await?;
        if list.items.len() == 1 && list.total == 1 {
            Some(load_for_decisions(&state, &p, &list.items[0].uscc).await?)
        } else {
            page.not_found = list.items.is_empty();
            let item_q = item_id.as_deref().map(|i| format!("&item={}", enc(i))).unwrap_or_default();
            page.candidates = list
                .items
                .into_iter()
                .map(|e| Candidate {
                    href: format!("/explore?enterprise={}{item_q}&date={date}", e.uscc),
                    uscc: e.uscc,
                    name: e.name,
                })
                .collect();
            None
        }
    };
    if let Some(v) = view {
        let uscc = v.enterprise.uscc.to_string();
        page.query = uscc.clone();
        page.enterprise = Some((uscc.clone(), v.enterprise.name.clone()));
        match item {
            Some(item) => {
                let req =
                    matching::ExplainRequest { uscc: v.enterprise.uscc.clone(), item: item.id.clone(), date };
                let x = matching::explain(&state, &p, &req).await?;
                page.explained = Some(Explained {
                    row: decision_row(&state, tr, &uscc, date, &x.decision),
                    in_force: x.in_force,
                    tree: tree_rows(&pol.library, tr, &x.decision.explanation),
                });
            }
            None => page.matches = Some(matches_for(&state, tr, &v, date, tax_year)?),
        }
    }
    views::render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(expr: &str, outcome: &str, children: Vec<rules::Explanation>) -> rules::Explanation {
        rules::Explanation {
            expr: expr.into(),
            outcome: outcome.into(),
            values: Default::default(),
            children,
        }
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("2022-06-30").ok(), NaiveDate::from_ymd_opt(2022, 6, 30));
        for bad in [
            "2022-13-01",
            "30/06/2022",
            "1800-01-01",
            "",
            "2022-02-30",
            "0000-01-01",
            "-0001-01-01",
            "1900-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decisive_nodes_descend_to_the_failing_conditions() {
        let tree = node(
            "and",
            "false",
            vec![
                node("registered_in_zone", "true", vec![]),
                node("not", "false", vec![node("is_individual_business", "true", vec![])]),
                node("employees[2021] >= 10", "false", vec![]),
                node("revenue[2021] > 0", "undetermined", vec![]),
            ],
        );
        let mut out = Vec::new();
        decisive(&tree, "false", &mut out);
        let got: Vec<&str> = out.iter().map(|x| x.expr.as_str()).collect();
        assert_eq!(got, ["is_individual_business", "employees[2021] >= 10"]);
        let mut out = Vec::new();
        decisive(&tree, "undetermined", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].expr, "revenue[2021] > 0");
    }

    #[test]
    fn the_tree_flattens_with_balanced_lists() {
        let tree = node(
            "and",
            "false",
            vec![node("a", "true", vec![]), node("or", "false", vec![node("b", "false", vec![])])],
        );
        let mut out = Vec::new();
        flatten_tree(&rules::Library::default(), Tr(i18n::Lang::Zh), &tree, &mut out);
        let opens = out.iter().filter(|r| r.open).count();
        let closes: usize = out.iter().map(|r| r.close).sum();
        assert_eq!(out.len(), 4);
        assert_eq!(opens, closes);
        assert_eq!(out.last().map(|r| r.close), Some(2));
    }
}
