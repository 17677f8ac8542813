//! Financing (融资对接, issue 15: the plan's 三.5 融资服务 and 三.8 政银企对接): enterprises post
//! financing demands (or an officer records one from a hotline call or a visit); banks and
//! guarantee companies (role `financial_institution`, bound to their institution) publish
//! products whose eligibility is written in the rule language; huiqi matches each demand to
//! the products whose terms fit and whose eligibility holds (`services::financing`, the batch
//! engine), storing each match with its explanation and, for an undetermined pair, the facts
//! the enterprise lacks. Institutions see the demands matched to their products (no others)
//! and respond: accepted, declined with a reason, loan granted with amount and date. The
//! 科技金融服务中心 (department `sci_tech_finance`: [`OFFICE`]) sees every demand with its
//! deadline light and closes or tracks it to an outcome; 风险补偿 / 转贷过桥 demands also go
//! through their own steps (`services::financing::special`).
//!
//! The time limit: an outcome (granted or closed) within the zone setting
//! `financing.outcome_days` working days of posting (default 20: the plan fixes none, so it is
//! the zone's choice, stated with the setting); yellow once 80 % of it is used, as problems'
//! lights, red past it.
//!
//! Every write goes through `store::financing::FinancingStore::update_demands` at the version
//! read; a conflicting writer makes the use case read and decide again.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use enterprise::{Facts, UnifiedCreditCode};
use handling::deadline::Warning;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use services::financing::special::{self, Step};
use services::financing::{
    Collateral, DemandAction, DemandKind, DemandState, MatchOutcome, Product, ProductBook, next,
};
use std::sync::Arc;
use store::financing::{
    Channel, DemandFilter, DemandRecord, DemandUpdate, MAX_AMOUNT_YUAN, MAX_ELIGIBILITY, MAX_INSTITUTION,
    MAX_PRODUCT_DESCRIPTION, MAX_PRODUCT_NAME, MAX_PURPOSE, MAX_REASON, MAX_TERM_MONTHS, MatchRecord,
    NewDemand, NewMatch, NewResponse, ProductMatch, ProductRecord, ResponseKind, ResponseRecord, Urgency,
};
use store::{Role, Stamp, StoreError};

use crate::authz::{self, Action, Resource};
use crate::problems::text::{Lines, clean};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::{App, Error, Principal, Result};

/// The department that runs financing (科技金融服务中心, in the shipped departments).
pub const OFFICE: &str = "sci_tech_finance";
/// Share of the time limit used when the light turns yellow (as problems' day clocks).
const YELLOW_PERCENT: u32 = 80;
const RETRIES: usize = 8;

fn stamp(app: &App, actor: &Principal) -> Stamp {
    Stamp::new(actor.username.clone(), app.now())
}

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

/// Whether the actor runs financing: the 科技金融服务中心's officers and admins.
pub fn is_officer(actor: &Principal) -> bool {
    actor.role == Role::Admin
        || (actor.role == Role::Department && actor.department.as_deref() == Some(OFFICE))
}

/// Which demands a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Enterprise(i64),
    Institution(String),
    /// The enterprises whose cadre link is this user.
    Cadre(String),
}

/// The reader's scope; 403 for roles that have no part in financing.
pub async fn scope(app: &App, actor: &Principal) -> Result<Scope> {
    authz::require(actor, Action::Read, Resource::Financing)?;
    Ok(match actor.role {
        Role::Enterprise => {
            let uscc = actor.enterprise.as_ref().ok_or(Error::Forbidden)?;
            let head = app
                .store
                .enterprise_head(uscc)
                .await?
                .ok_or_else(|| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
            Scope::Enterprise(head.id)
        }
        Role::FinancialInstitution => Scope::Institution(institution_of(app, actor).await?),
        Role::Cadre => Scope::Cadre(actor.username.clone()),
        // Every official reads every demand (a department's officers follow the enterprises
        // they serve); only the 科技金融服务中心 and admins manage them ([`is_officer`]).
        Role::Leader | Role::Supervisor | Role::Admin | Role::Department => Scope::All,
        _ => return Err(Error::Forbidden),
    })
}

/// The institution a `financial_institution` user acts for (403 when none is bound).
pub async fn institution_of(app: &App, actor: &Principal) -> Result<String> {
    if actor.role != Role::FinancialInstitution {
        return Err(Error::Forbidden);
    }
    app.store.institution_of(&actor.username).await?.ok_or(Error::Forbidden)
}

/// Binds a `financial_institution` user to its institution (admins).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn bind_institution(app: &App, actor: &Principal, username: &str, institution: &str) -> Result<()> {
    authz::require(actor, Action::Write, Resource::Users)?;
    let institution = clean("institution", institution, MAX_INSTITUTION, Lines::One)?;
    if institution.is_empty() {
        return Err(Error::Required {
            field: "institution".into(),
            what: "金融机构名称 / the institution's name".into(),
        });
    }
    let user = app
        .store
        .user_by_username(username)
        .await?
        .ok_or_else(|| StoreError::UserNotFound { username: username.to_string() })?;
    if user.role != Role::FinancialInstitution {
        return Err(bad(
            "username",
            username,
            "该用户的角色不是金融机构（financial_institution） / the user's role is not financial_institution",
        ));
    }
    app.store.bind_institution(username, &institution, &stamp(app, actor)).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Parsing

/// An amount in yuan: `1000000`, `100万`, `1,000,000`; positive, at most 一百亿.
pub fn parse_amount(field: &str, s: &str) -> Result<Decimal> {
    let t = s.trim().replace([',', '，'], "");
    let (num, factor) = match t.strip_suffix("万元").or_else(|| t.strip_suffix('万')) {
        Some(n) => (n.trim().to_string(), Decimal::from(10_000)),
        None => (t.trim_end_matches('元').trim().to_string(), Decimal::ONE),
    };
    let v = num.parse::<Decimal>().ok().map(|d| d * factor).filter(|d| *d >= Decimal::ZERO && d.scale() <= 2);
    match v {
        Some(d) if d <= Decimal::from(MAX_AMOUNT_YUAN) => Ok(d.normalize()),
        _ => Err(bad(
            field,
            s,
            "应为以元为单位的金额（如 1000000 或 100万，最多两位小数，不超过一百亿） / \
             must be an amount in yuan such as 1000000 or 100万 (at most two decimals, at most 10 billion)",
        )),
    }
}

/// A rate in percent: `3.45`, `3.45%`; from 0 to 36.
pub fn parse_rate(field: &str, s: &str) -> Result<Decimal> {
    let t = s.trim().trim_end_matches('%').trim();
    match t.parse::<Decimal>() {
        Ok(d) if d >= Decimal::ZERO && d <= Decimal::from(36) && d.scale() <= 4 => Ok(d.normalize()),
        _ => Err(bad(
            field,
            s,
            "应为 0 到 36 之间的年利率百分数（如 3.45） / must be an annual rate in percent from 0 to 36 (e.g. 3.45)",
        )),
    }
}

fn parse_kind(s: &str) -> Result<DemandKind> {
    let t = s.trim();
    use strum::IntoEnumIterator;
    DemandKind::parse(t).or_else(|| DemandKind::iter().find(|k| k.label_zh() == t)).ok_or_else(|| {
        bad(
            "kind",
            t,
            "应为 贷款 loan、风险补偿贷款 risk_compensation、转贷过桥 bridge_loan、股权融资 equity 之一 / \
             must be loan, risk_compensation, bridge_loan or equity",
        )
    })
}

fn parse_collateral(list: &[String]) -> Result<Vec<Collateral>> {
    use strum::IntoEnumIterator;
    let mut out = Vec::new();
    for s in list.iter().flat_map(|s| s.split([',', '，', '、'])).map(str::trim).filter(|s| !s.is_empty()) {
        let c = Collateral::parse(s).or_else(|| Collateral::iter().find(|c| c.label_zh() == s)).ok_or_else(|| {
            bad(
                "collateral",
                s,
                "应为 房产 property、设备 equipment、应收账款 receivables、知识产权 intellectual_property、\
                 第三方担保 guarantor / must be property, equipment, receivables, intellectual_property or guarantor",
            )
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

fn parse_urgency(s: Option<&str>) -> Result<Urgency> {
    use strum::IntoEnumIterator;
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Urgency::Normal),
        Some(t) => t.parse().ok().or_else(|| Urgency::iter().find(|u| u.label_zh() == t)).ok_or_else(|| {
            bad(
                "urgency",
                t,
                "应为 一般 normal、较急 urgent、紧急 critical / must be normal, urgent or critical",
            )
        }),
    }
}

fn parse_channel(s: Option<&str>) -> Result<Option<Channel>> {
    use strum::IntoEnumIterator;
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => {
            t.parse().ok().or_else(|| Channel::iter().find(|c| c.label_zh() == t)).map(Some).ok_or_else(
                || bad("channel", t, "应为 online、hotline、visit / must be online, hotline or visit"),
            )
        }
    }
}

fn parse_date(field: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| bad(field, s, "应为 2026-12-10 这样的日期 / must be a date like 2026-12-10"))
}

// ---------------------------------------------------------------------------------------
// Products

/// A product as an institution publishes or edits it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductRequest {
    /// Lowercase letters, digits and `-` (≤ 40).
    pub id: String,
    /// The institution (an institution user: its own, the default; officers name it).
    #[serde(default)]
    pub institution: Option<String>,
    pub name: String,
    /// Demand kinds served: `loan`, `risk_compensation`, `bridge_loan`, `equity` (or 贷款 …).
    pub kinds: Vec<String>,
    /// Yuan (`100万` accepted).
    pub amount_min: String,
    pub amount_max: String,
    pub term_min_months: u32,
    pub term_max_months: u32,
    /// Annual rate, percent.
    pub rate_min: String,
    pub rate_max: String,
    /// Any one of these is required (`property`, `receivables` …); empty: credit.
    #[serde(default)]
    pub requires_collateral: Vec<String>,
    /// Eligibility in the rule language over the enterprise's facts; empty: every enterprise.
    #[serde(default)]
    pub eligibility: String,
    #[serde(default)]
    pub description: String,
    /// On offer (default true).
    #[serde(default)]
    pub active: Option<bool>,
    /// The version read, to edit an existing product; absent: a new product.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A saved product and what its change did to the open demands.
#[derive(Debug, Clone, Serialize)]
pub struct SavedProduct {
    pub product: ProductRecord,
    /// Open and matched demands matched again after the change.
    pub rematched: usize,
}

/// The last product book this process compiled, with the key of what it was compiled from
/// (every active product's id and version, every policy document's name and checksum):
/// posting a demand matches it against the book without compiling every product again
/// (compiling 500 products takes about 40 ms; the key is two reads). Another process's
/// change to a product or a policy changes the key, so a stale book is never used.
#[derive(Default)]
pub struct BookCache(std::sync::Mutex<Option<(u64, Arc<ProductBook>)>>);

/// The products as matching compiles them (active ones), with the zone's policy files.
pub async fn book(app: &App) -> Result<Arc<ProductBook>> {
    use std::hash::{Hash, Hasher};
    let products = app.store.products(None, true).await?;
    let documents = app.store.current_documents(store::documents::DocumentKind::Policy).await?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in &products {
        (&p.product.id, p.version).hash(&mut h);
    }
    for d in &documents {
        (&d.name, &d.checksum).hash(&mut h);
    }
    let key = h.finish();
    if let Ok(cached) = app.financing_books.0.lock()
        && let Some((k, b)) = cached.as_ref()
        && *k == key
    {
        return Ok(Arc::clone(b));
    }
    let zone = crate::policies::sources_of(&documents);
    let products: Vec<Product> = products.into_iter().map(|p| p.product).collect();
    let compiled = Arc::new(ProductBook::compile(&zone, products, enterprise::FactDictionary::official()));
    if let Ok(mut cached) = app.financing_books.0.lock() {
        *cached = Some((key, Arc::clone(&compiled)));
    }
    Ok(compiled)
}

/// Publishes or edits a product (its institution's users, the officers). Its eligibility must
/// compile; the open demands are matched again.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn save_product(app: &App, actor: &Principal, req: &ProductRequest) -> Result<SavedProduct> {
    authz::require(actor, Action::Write, Resource::Financing)?;
    let institution = if actor.role == Role::FinancialInstitution {
        let own = institution_of(app, actor).await?;
        if req.institution.as_deref().map(str::trim).is_some_and(|i| !i.is_empty() && i != own) {
            return Err(Error::Forbidden);
        }
        own
    } else if is_officer(actor) {
        clean("institution", req.institution.as_deref().unwrap_or(""), MAX_INSTITUTION, Lines::One)?
    } else {
        return Err(Error::Forbidden);
    };
    if institution.is_empty() {
        return Err(Error::Required {
            field: "institution".into(),
            what: "金融机构名称 / the institution".into(),
        });
    }
    let existing = app.store.product(req.id.trim()).await?;
    if let Some(e) = &existing
        && e.product.institution != institution
    {
        return Err(Error::ProductNotFound { id: req.id.clone() });
    }
    let name = clean("name", &req.name, MAX_PRODUCT_NAME, Lines::One)?;
    if name.is_empty() {
        return Err(Error::Required {
            field: "name".into(), what: "产品名称 / the product's name".into()
        });
    }
    let kinds = req.kinds.iter().flat_map(|s| s.split([',', '，', '、'])).filter(|s| !s.trim().is_empty());
    let kinds = kinds.map(parse_kind).collect::<Result<Vec<_>>>()?;
    let product = Product {
        id: req.id.trim().to_string(),
        institution,
        name,
        kinds,
        amount_min: parse_amount("amount_min", &req.amount_min)?,
        amount_max: parse_amount("amount_max", &req.amount_max)?,
        term_min_months: req.term_min_months,
        term_max_months: req.term_max_months.min(MAX_TERM_MONTHS),
        rate_min: parse_rate("rate_min", &req.rate_min)?,
        rate_max: parse_rate("rate_max", &req.rate_max)?,
        requires_collateral: parse_collateral(&req.requires_collateral)?,
        eligibility: clean("eligibility", &req.eligibility, MAX_ELIGIBILITY, Lines::Many)?,
    };
    if req.term_max_months > MAX_TERM_MONTHS {
        return Err(bad("term_max_months", req.term_max_months, "期限不超过 360 个月 / at most 360 months"));
    }
    product.check().map_err(Error::Service)?;
    let zone = crate::policies::current_files(app.store.as_ref()).await?;
    let trial = ProductBook::compile(&zone, vec![product.clone()], enterprise::FactDictionary::official());
    if let Some(errs) = trial.errors.values().next() {
        return Err(bad("eligibility", &product.eligibility, &errs.join("；")));
    }
    let record = ProductRecord {
        product,
        description: clean("description", &req.description, MAX_PRODUCT_DESCRIPTION, Lines::Many)?,
        active: req.active.unwrap_or(true),
        version: 0,
        updated_by: actor.username.clone(),
        updated_at: app.now(),
    };
    let expected = match (&existing, req.version) {
        (None, _) => None,
        (Some(e), Some(v)) => Some(v).filter(|v| *v == e.version).ok_or(Error::Stale).map(Some)?,
        (Some(_), None) => return Err(Error::Stale),
    };
    match app.store.save_product(&record, expected, &stamp(app, actor)).await {
        Ok(_) => {}
        Err(StoreError::DocumentConflict { .. }) => return Err(Error::Stale),
        Err(e) => return Err(e.into()),
    }
    let rematched = rematch_product(app, actor, &record).await?;
    let product = app
        .store
        .product(&record.product.id)
        .await?
        .ok_or_else(|| Error::ProductNotFound { id: record.product.id.clone() })?;
    Ok(SavedProduct { product, rematched })
}

/// Products as the reader sees them: an institution its own (on offer or not); officers all;
/// others those on offer.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn products(app: &App, actor: &Principal) -> Result<Vec<ProductRecord>> {
    authz::require(actor, Action::Read, Resource::Financing)?;
    if actor.role == Role::FinancialInstitution {
        let own = institution_of(app, actor).await?;
        return Ok(app.store.products(Some(&own), false).await?);
    }
    Ok(app.store.products(None, !is_officer(actor)).await?)
}

// ---------------------------------------------------------------------------------------
// Matching

/// The match's explanation in Chinese: the terms against the demand, then the eligibility.
pub fn explanation(p: &Product, d: &services::financing::Demand, outcome: &MatchOutcome) -> String {
    let kinds: Vec<&str> = p.kinds.iter().map(|k| k.label_zh()).collect();
    let pledge = if p.requires_collateral.is_empty() {
        "无需抵押担保（信用）".to_string()
    } else {
        format!(
            "需提供其一：{}",
            p.requires_collateral.iter().map(|c| c.label_zh()).collect::<Vec<_>>().join("、")
        )
    };
    let rule = if p.eligibility.trim().is_empty() {
        "无特别准入条件".to_string()
    } else {
        format!("准入条件“{}”", p.eligibility.trim())
    };
    let verdict = match outcome {
        MatchOutcome::Matched => "成立".to_string(),
        MatchOutcome::Undetermined { missing } => format!("无法判断，缺少企业数据：{}", missing.join("、")),
    };
    let text = format!(
        "类型（{}）、额度 {}–{} 元（需求 {} 元）、期限 {}–{} 个月（需求 {} 个月）均符合；担保方式：{}；年利率 {}%–{}%；{}：{}。",
        kinds.join("、"),
        p.amount_min,
        p.amount_max,
        d.amount,
        p.term_min_months,
        p.term_max_months,
        d.term_months,
        pledge,
        p.rate_min,
        p.rate_max,
        rule,
        verdict
    );
    text.chars().take(store::financing::MAX_EXPLANATION).collect()
}

/// The facts of the demands' enterprises, read by id in batches (never a scan of the
/// registry: a zone of a million enterprises has a few thousand demands).
async fn facts_of(app: &App, demands: &[DemandRecord]) -> Result<HashMap<i64, Facts>> {
    let wanted: Vec<i64> =
        demands.iter().map(|d| d.demand.enterprise_id).collect::<BTreeSet<i64>>().into_iter().collect();
    let mut out = HashMap::with_capacity(wanted.len());
    for ids in wanted.chunks(FACTS_BATCH) {
        for row in app.store.enterprise_rows(ids).await? {
            out.insert(row.id, row.facts());
        }
    }
    Ok(out)
}

/// Enterprises read per statement when matching demands.
const FACTS_BATCH: usize = 5_000;

/// The update that stores a demand's matches (and moves it to matched when one holds).
pub fn match_update(
    book: &ProductBook,
    d: &DemandRecord,
    found: &[services::financing::Match],
) -> DemandUpdate {
    let kernel = d.kernel();
    let mut matches = Vec::new();
    for m in found.iter().filter(|m| m.demand == d.id) {
        if let Some(p) = book.products.iter().find(|p| p.id == m.product) {
            matches.push(new_match(p, &kernel, m));
        }
    }
    let state =
        if matches.iter().any(|m| m.matched) { next(d.state, DemandAction::Match).ok() } else { None };
    DemandUpdate { id: d.id, expected: d.version, state, matches: Some(matches), ..Default::default() }
}

/// A decision of the kernel as stored: matched, or undetermined with the facts missing, and
/// the explanation.
fn new_match(p: &Product, demand: &services::financing::Demand, m: &services::financing::Match) -> NewMatch {
    let (matched, missing) = match &m.outcome {
        MatchOutcome::Matched => (true, Vec::new()),
        MatchOutcome::Undetermined { missing } => (false, missing.clone()),
    };
    NewMatch { product_id: p.id.clone(), matched, missing, explanation: explanation(p, demand, &m.outcome) }
}

/// Matches `demands` (those open or matched) against `book` and stores the matches in one
/// transaction; how many were written.
pub async fn match_and_store(
    app: &App,
    actor: &Principal,
    book: &ProductBook,
    demands: &[DemandRecord],
) -> Result<usize> {
    let live: Vec<&DemandRecord> =
        demands.iter().filter(|d| matches!(d.state, DemandState::Open | DemandState::Matched)).collect();
    if live.is_empty() {
        return Ok(0);
    }
    let owned: Vec<DemandRecord> = live.iter().map(|d| (*d).clone()).collect();
    let facts = facts_of(app, &owned).await?;
    let kernel: Vec<services::financing::Demand> = owned.iter().map(DemandRecord::kernel).collect();
    let found = book.match_demands(&kernel, &facts, app.today());
    let mut by_demand: HashMap<i64, Vec<services::financing::Match>> = HashMap::new();
    for m in found {
        by_demand.entry(m.demand).or_default().push(m);
    }
    let updates: Vec<DemandUpdate> = owned
        .iter()
        .map(|d| match_update(book, d, by_demand.get(&d.id).map_or(&[][..], Vec::as_slice)))
        .collect();
    app.store.update_demands(&updates, &stamp(app, actor)).await?;
    Ok(updates.len())
}

/// Matches every open or matched demand against one product again, after it was published,
/// edited or taken off offer: only that product's match of each demand is replaced (removed
/// when it no longer fits, or when the product is off offer), and a demand it now matches
/// moves to matched; the other products' matches stay as they were decided. One transaction.
async fn rematch_product(app: &App, actor: &Principal, product: &ProductRecord) -> Result<usize> {
    let zone = crate::policies::current_files(app.store.as_ref()).await?;
    let offered = if product.active { vec![product.product.clone()] } else { Vec::new() };
    let one = ProductBook::compile(&zone, offered, enterprise::FactDictionary::official());
    for _ in 0..RETRIES {
        let demands = app
            .store
            .demands(&DemandFilter {
                states: vec![DemandState::Open, DemandState::Matched],
                limit: 100_000,
                ..Default::default()
            })
            .await?;
        if demands.is_empty() {
            return Ok(0);
        }
        let facts = facts_of(app, &demands).await?;
        let kernel: Vec<services::financing::Demand> = demands.iter().map(DemandRecord::kernel).collect();
        let found: HashMap<i64, services::financing::Match> =
            one.match_demands(&kernel, &facts, app.today()).into_iter().map(|m| (m.demand, m)).collect();
        let updates: Vec<DemandUpdate> = demands
            .iter()
            .zip(&kernel)
            .map(|(d, k)| {
                let m = found.get(&d.id).and_then(|m| one.products.first().map(|p| new_match(p, k, m)));
                let state = if m.as_ref().is_some_and(|m| m.matched) {
                    next(d.state, DemandAction::Match).ok()
                } else {
                    None
                };
                DemandUpdate {
                    id: d.id,
                    expected: d.version,
                    state,
                    product_match: Some(ProductMatch { product_id: product.product.id.clone(), found: m }),
                    ..Default::default()
                }
            })
            .collect();
        match app.store.update_demands(&updates, &stamp(app, actor)).await {
            Err(StoreError::DocumentConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
            Ok(_) => return Ok(updates.len()),
        }
    }
    Err(Error::Stale)
}

/// Matches one demand again (officers; its enterprise's facts may have changed).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn rematch(app: &App, actor: &Principal, id: i64) -> Result<DemandDetail> {
    if !is_officer(actor) {
        return Err(Error::Forbidden);
    }
    let d = app.store.demand(id).await?.ok_or(Error::DemandNotFound { id })?;
    let book = book(app).await?;
    match_and_store(app, actor, &book, &[d]).await?;
    show(app, actor, id).await
}

// ---------------------------------------------------------------------------------------
// Demands

/// A demand as posted.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandRequest {
    /// The enterprise (an enterprise user: itself, the default).
    #[serde(default)]
    pub uscc: Option<String>,
    /// `loan`, `risk_compensation`, `bridge_loan`, `equity` (or 贷款 …).
    pub kind: String,
    /// Yuan (`100万` accepted).
    pub amount: String,
    pub term_months: u32,
    /// What the money is for (≤ 500 characters).
    pub purpose: String,
    /// `property`, `equipment`, `receivables`, `intellectual_property`, `guarantor` (or 房产 …).
    #[serde(default)]
    pub collateral: Vec<String>,
    /// `normal` (default), `urgent`, `critical`.
    #[serde(default)]
    pub urgency: Option<String>,
    /// `online` (an enterprise's own), `hotline`, `visit` (an officer recording it).
    #[serde(default)]
    pub channel: Option<String>,
}

/// A demand as a reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct DemandView {
    #[serde(flatten)]
    pub record: DemandRecord,
    pub kind_zh: &'static str,
    pub state_zh: &'static str,
    pub urgency_zh: &'static str,
    pub channel_zh: &'static str,
    pub step_zh: Option<&'static str>,
    /// The deadline light: `none`, `yellow`, `red` (none once it has an outcome).
    pub light: Warning,
    pub yellow_from: NaiveDate,
}

/// A demand with its matches and responses.
#[derive(Debug, Clone, Serialize)]
pub struct DemandDetail {
    #[serde(flatten)]
    pub view: DemandView,
    /// Those the reader may see (an institution: its own products').
    pub matches: Vec<MatchRecord>,
    pub responses: Vec<ResponseRecord>,
    /// The reader may respond (an institution with a matched product, or an officer).
    pub may_respond: bool,
    /// The reader runs financing (close, steps, rematch).
    pub may_manage: bool,
    /// The enterprise (or its cadre) may withdraw it.
    pub may_withdraw: bool,
    /// 风险补偿 / 转贷过桥: the steps the officers may record next (empty for other readers).
    pub next_steps: Vec<Step>,
}

async fn views(app: &App, records: Vec<DemandRecord>) -> Result<Vec<DemandView>> {
    let cals = crate::calendar::calendars(app).await?;
    let cal = cals.current();
    let now = app.now();
    records
        .into_iter()
        .map(|r| {
            let posted = r.created_at.date_naive();
            let yellow_from = handling::deadline::yellow_day(posted, r.demand.deadline, YELLOW_PERCENT, cal)
                .map_err(Error::Handling)?;
            let light =
                handling::deadline::dated_warning(r.state.is_final(), yellow_from, r.demand.deadline, now);
            Ok(DemandView {
                kind_zh: r.demand.kind.label_zh(),
                state_zh: r.state.label_zh(),
                urgency_zh: r.demand.urgency.label_zh(),
                channel_zh: r.demand.channel.label_zh(),
                step_zh: r.demand.step.map(Step::label_zh),
                light,
                yellow_from,
                record: r,
            })
        })
        .collect()
}

/// Posts a demand (an enterprise for itself; a cadre for a linked enterprise; an officer for
/// any, recording the channel) and matches it at once.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn post(app: &App, actor: &Principal, req: &DemandRequest) -> Result<DemandDetail> {
    authz::require(actor, Action::Write, Resource::Financing)?;
    let uscc: UnifiedCreditCode =
        match (actor.role, req.uscc.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (Role::Enterprise, given) => {
                let own = actor.enterprise.clone().ok_or(Error::Forbidden)?;
                if given.is_some_and(|g| g != own.as_str()) {
                    return Err(Error::Forbidden);
                }
                own
            }
            (_, Some(g)) => g.parse().map_err(|_| {
                bad(
                    "uscc",
                    g,
                    "应为 18 位统一社会信用代码 / must be an 18-character unified social credit code",
                )
            })?,
            (_, None) => {
                return Err(Error::Required {
                    field: "uscc".into(),
                    what: "企业统一社会信用代码 / the enterprise's code".into(),
                });
            }
        };
    let head = app
        .store
        .enterprise_head(&uscc)
        .await?
        .ok_or_else(|| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    let allowed = match actor.role {
        Role::Enterprise => true,
        Role::Cadre => head.links.cadre.as_deref() == Some(actor.username.as_str()),
        _ => is_officer(actor),
    };
    if !allowed {
        return Err(if actor.role == Role::Cadre {
            Error::EnterpriseNotFound { uscc: uscc.to_string() }
        } else {
            Error::Forbidden
        });
    }
    let kind = parse_kind(&req.kind)?;
    let amount = parse_amount("amount", &req.amount)?;
    if amount <= Decimal::ZERO {
        return Err(bad("amount", &req.amount, "金额应大于 0 / the amount must be above 0"));
    }
    if req.term_months == 0 || req.term_months > MAX_TERM_MONTHS {
        return Err(bad(
            "term_months",
            req.term_months,
            "期限应为 1 到 360 个月 / the term must be 1 to 360 months",
        ));
    }
    let purpose = clean("purpose", &req.purpose, MAX_PURPOSE, Lines::Many)?;
    if purpose.is_empty() {
        return Err(Error::Required {
            field: "purpose".into(),
            what: "资金用途 / what the money is for".into(),
        });
    }
    let channel = match (actor.role, parse_channel(req.channel.as_deref())?) {
        (Role::Enterprise, _) => Channel::Online,
        (Role::Cadre, None) => Channel::Visit,
        (_, Some(c)) => c,
        (_, None) => Channel::Hotline,
    };
    let days = app.live.settings().financing.outcome_days;
    let deadline = crate::calendar::add_workdays(app, app.today(), days).await?.result;
    let demand = NewDemand {
        enterprise_id: head.id,
        kind,
        amount,
        term_months: req.term_months,
        purpose,
        collateral: parse_collateral(&req.collateral)?,
        urgency: parse_urgency(req.urgency.as_deref())?,
        channel,
        deadline,
        step: special::first_step(kind),
    };
    let id = app.store.create_demand(&demand, &stamp(app, actor)).await?;
    let record = app.store.demand(id).await?.ok_or(Error::DemandNotFound { id })?;
    let book = book(app).await?;
    match_and_store(app, actor, &book, &[record]).await?;
    show(app, actor, id).await
}

/// Which demands to list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListFilter {
    /// `open`, `matched`, `accepted`, `granted`, `closed`; empty: all.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// Only those with this light: `yellow`, `red`.
    #[serde(default)]
    pub light: Option<String>,
    /// At most this many (default 500).
    #[serde(default)]
    pub limit: Option<u64>,
}

/// Demands in the reader's scope, newest first.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, f: &ListFilter) -> Result<Vec<DemandView>> {
    let scope = scope(app, actor).await?;
    let mut filter = DemandFilter { limit: f.limit.unwrap_or(500).clamp(1, 100_000), ..Default::default() };
    if let Some(s) = f.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        use strum::IntoEnumIterator;
        let st = DemandState::parse(s).or_else(|| DemandState::iter().find(|x| x.label_zh() == s)).ok_or_else(|| {
            bad("state", s, "应为 open、matched、accepted、granted、closed / must be open, matched, accepted, granted or closed")
        })?;
        filter.states = vec![st];
    }
    if let Some(k) = f.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        filter.kind = Some(parse_kind(k)?);
    }
    match &scope {
        Scope::Enterprise(id) => filter.enterprise_id = Some(*id),
        Scope::Institution(i) => filter.institution = Some(i.clone()),
        _ => {}
    }
    let mut records = app.store.demands(&filter).await?;
    if let Scope::Cadre(me) = &scope {
        let mut mine = Vec::new();
        for r in records {
            if let Ok(u) = r.uscc.parse::<UnifiedCreditCode>()
                && let Some(h) = app.store.enterprise_head(&u).await?
                && h.links.cadre.as_deref() == Some(me.as_str())
            {
                mine.push(r);
            }
        }
        records = mine;
    }
    let mut out = views(app, records).await?;
    if let Some(l) = f.light.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let want: Warning =
            l.parse().map_err(|_| bad("light", l, "应为 none、yellow、red / must be none, yellow or red"))?;
        out.retain(|v| v.light == want);
    }
    Ok(out)
}

/// The demand if the reader may see it (404 otherwise), with the reader's scope.
async fn visible(app: &App, actor: &Principal, id: i64) -> Result<(DemandRecord, Scope)> {
    let scope = scope(app, actor).await?;
    let d = app.store.demand(id).await?.ok_or(Error::DemandNotFound { id })?;
    let ok = match &scope {
        Scope::All => true,
        Scope::Enterprise(e) => d.demand.enterprise_id == *e,
        Scope::Institution(i) => app.store.matches_of(id).await?.iter().any(|m| &m.institution == i),
        Scope::Cadre(me) => match d.uscc.parse::<UnifiedCreditCode>() {
            Ok(u) => app
                .store
                .enterprise_head(&u)
                .await?
                .is_some_and(|h| h.links.cadre.as_deref() == Some(me.as_str())),
            Err(_) => false,
        },
    };
    if ok { Ok((d, scope)) } else { Err(Error::DemandNotFound { id }) }
}

/// One demand with its matches (an institution sees its own products' only) and responses.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn show(app: &App, actor: &Principal, id: i64) -> Result<DemandDetail> {
    let (d, scope) = visible(app, actor, id).await?;
    let mut matches = app.store.matches_of(id).await?;
    let mut responses = app.store.responses_of(id).await?;
    if let Scope::Institution(i) = &scope {
        matches.retain(|m| &m.institution == i);
        responses.retain(|r| &r.response.institution == i || r.response.kind != ResponseKind::Declined);
    }
    let live = !d.state.is_final();
    let may_respond = live
        && match &scope {
            Scope::Institution(_) => !matches.is_empty(),
            Scope::All => is_officer(actor),
            _ => false,
        };
    let may_withdraw = live && matches!(scope, Scope::Enterprise(_) | Scope::Cadre(_));
    let next_steps = if is_officer(actor) { forms::next_steps(&d) } else { Vec::new() };
    let view = views(app, vec![d]).await?.remove(0);
    Ok(DemandDetail {
        view,
        matches,
        responses,
        may_respond,
        may_manage: is_officer(actor),
        may_withdraw,
        next_steps,
    })
}

/// Writes one decided update, deciding again when another writer got there first.
async fn decide(
    app: &App,
    actor: &Principal,
    id: i64,
    f: impl Fn(&DemandRecord, &[MatchRecord]) -> Result<DemandUpdate>,
) -> Result<DemandDetail> {
    for _ in 0..RETRIES {
        let d = app.store.demand(id).await?.ok_or(Error::DemandNotFound { id })?;
        let matches = app.store.matches_of(id).await?;
        let mut u = f(&d, &matches)?;
        u.id = id;
        u.expected = d.version;
        match app.store.update_demands(&[u], &stamp(app, actor)).await {
            Ok(_) => return show(app, actor, id).await,
            Err(StoreError::DocumentConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Stale)
}

/// What an institution answers.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RespondRequest {
    /// The matched product answered for.
    pub product: String,
    /// `accepted`, `declined`, `granted` (or 受理、婉拒、放款).
    pub response: String,
    /// Required when declining (≤ 500 characters).
    #[serde(default)]
    pub reason: String,
    /// The loan granted, yuan (granted only).
    #[serde(default)]
    pub amount: Option<String>,
    /// The day it was granted (granted only; default today).
    #[serde(default)]
    pub date: Option<String>,
}

/// An institution's answer (or an officer's record of it): accepted, declined with a
/// reason, or the loan granted with its amount and date.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn respond(app: &App, actor: &Principal, id: i64, req: &RespondRequest) -> Result<DemandDetail> {
    authz::require(actor, Action::Write, Resource::Financing)?;
    let (_, scope) = visible(app, actor, id).await?;
    let mine = match &scope {
        Scope::Institution(i) => Some(i.clone()),
        Scope::All if is_officer(actor) => None,
        _ => return Err(Error::Forbidden),
    };
    let kind = {
        use strum::IntoEnumIterator;
        let t = req.response.trim();
        ResponseKind::iter()
            .filter(|k| matches!(k, ResponseKind::Accepted | ResponseKind::Declined | ResponseKind::Granted))
            .find(|k| k.as_str() == t || k.label_zh() == t)
            .ok_or_else(|| {
                bad(
                    "response",
                    t,
                    "应为 受理 accepted、婉拒 declined、放款 granted / must be accepted, declined or granted",
                )
            })?
    };
    let reason = clean("reason", &req.reason, MAX_REASON, Lines::Many)?;
    if kind == ResponseKind::Declined && reason.is_empty() {
        return Err(Error::Required {
            field: "reason".into(),
            what: "婉拒原因 / the reason for declining".into(),
        });
    }
    let granted = if kind == ResponseKind::Granted {
        let a = req.amount.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            Error::Required { field: "amount".into(), what: "放款金额 / the amount granted".into() }
        })?;
        let amount = parse_amount("amount", a)?;
        if amount <= Decimal::ZERO {
            return Err(bad("amount", a, "金额应大于 0 / the amount must be above 0"));
        }
        let on = match req.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => parse_date("date", s)?,
            None => app.today(),
        };
        if on > app.today() {
            return Err(bad("date", on, "放款日期不能晚于今天 / the day granted cannot be after today"));
        }
        Some((amount, on))
    } else {
        None
    };
    let product = req.product.trim().to_string();
    decide(app, actor, id, |d, matches| {
        let m = matches
            .iter()
            .find(|m| m.m.product_id == product && mine.as_ref().is_none_or(|i| &m.institution == i))
            .ok_or_else(|| {
                bad(
                    "product",
                    &product,
                    "应为与该需求匹配的本机构产品 / must be a product of yours matched to this demand",
                )
            })?;
        let action = match kind {
            ResponseKind::Accepted => DemandAction::Accept,
            ResponseKind::Declined => DemandAction::Decline,
            _ => DemandAction::Grant,
        };
        let to = next(d.state, action).map_err(Error::Service)?;
        Ok(DemandUpdate {
            state: Some(to),
            response: Some(NewResponse {
                kind,
                institution: m.institution.clone(),
                product_id: Some(product.clone()),
                reason: reason.clone(),
                amount: granted.map(|g| g.0),
                on: granted.map(|g| g.1),
                step: None,
            }),
            granted: granted.map(|(a, on)| (a, on, Some(product.clone()))),
            outcome: to.is_final(),
            ..Default::default()
        })
    })
    .await
}

/// Withdraws a demand (the enterprise, its cadre) or closes it (officers), with a reason.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn close(app: &App, actor: &Principal, id: i64, reason: &str) -> Result<DemandDetail> {
    authz::require(actor, Action::Write, Resource::Financing)?;
    let (_, scope) = visible(app, actor, id).await?;
    let allowed = match scope {
        Scope::Enterprise(_) | Scope::Cadre(_) => true,
        Scope::All => is_officer(actor),
        Scope::Institution(_) => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let reason = clean("reason", reason, MAX_REASON, Lines::Many)?;
    if reason.is_empty() {
        return Err(Error::Required {
            field: "reason".into(), what: "关闭（撤回）原因 / the reason".into()
        });
    }
    decide(app, actor, id, |d, _| {
        let to = next(d.state, DemandAction::Close).map_err(Error::Service)?;
        Ok(DemandUpdate {
            state: Some(to),
            close_reason: Some(reason.clone()),
            response: Some(NewResponse {
                kind: ResponseKind::Closed,
                institution: String::new(),
                product_id: None,
                reason: reason.clone(),
                amount: None,
                on: None,
                step: None,
            }),
            outcome: true,
            ..Default::default()
        })
    })
    .await
}

/// Records the next step of a 风险补偿 / 转贷过桥 demand (officers): review, approved or
/// refused (closes it), disbursed (its outcome: granted, with the amount), repaid.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn step(
    app: &App,
    actor: &Principal,
    id: i64,
    to: &str,
    note: &str,
    amount: Option<&str>,
) -> Result<DemandDetail> {
    if !is_officer(actor) {
        return Err(Error::Forbidden);
    }
    let to = Step::parse(to).ok_or_else(|| {
        bad("step", to, "应为 review、approved、refused、disbursed、repaid（或 审核中 …） / must be review, approved, refused, disbursed or repaid")
    })?;
    let note = clean("note", note, MAX_REASON, Lines::Many)?;
    if to == Step::Refused && note.is_empty() {
        return Err(Error::Required {
            field: "note".into(),
            what: "未通过的原因 / the reason for refusing".into(),
        });
    }
    let amount =
        amount.map(str::trim).filter(|s| !s.is_empty()).map(|a| parse_amount("amount", a)).transpose()?;
    let today = app.today();
    decide(app, actor, id, |d, _| {
        let from = d.demand.step.ok_or_else(|| {
            bad("step", to.as_str(), "只有风险补偿贷款和转贷过桥有办理环节 / only risk-compensation and bridge-loan demands have steps")
        })?;
        let to = special::next_step(d.demand.kind, from, to).map_err(Error::Service)?;
        if d.state.is_final() && !(to == Step::Repaid && d.state == DemandState::Granted) {
            return Err(Error::Service(services::Error::Finished));
        }
        let (state, granted) = match to {
            Step::Refused => (Some(DemandState::Closed), None),
            Step::Disbursed => (Some(DemandState::Granted), Some((amount.unwrap_or(d.demand.amount), today, None))),
            _ => (None, None),
        };
        Ok(DemandUpdate {
            step: Some(to),
            state,
            granted,
            close_reason: (to == Step::Refused).then(|| note.clone()),
            response: Some(NewResponse {
                kind: ResponseKind::Step,
                institution: String::new(),
                product_id: None,
                reason: note.clone(),
                amount: (to == Step::Disbursed).then(|| amount.unwrap_or(d.demand.amount)),
                on: (to == Step::Disbursed).then_some(today),
                step: Some(to),
            }),
            outcome: state.is_some_and(DemandState::is_final) && !d.state.is_final(),
            ..Default::default()
        })
    })
    .await
}

mod forms;
mod report;
pub use forms::{editable_product, may_publish, next_steps};
pub use report::{MonthFigures, kpis, month, workbook};
