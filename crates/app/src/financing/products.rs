//! Financing products and matching (issue 15, 三.5/三.8): institutions' products, the product
//! book compiled from them and kept while nothing changes ([`BookCache`]), matching demands to
//! products with explanations, and a product's change matched against the open demands.

use super::*;

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
pub(super) async fn facts_of(app: &App, demands: &[DemandRecord]) -> Result<HashMap<i64, Facts>> {
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
pub(super) const FACTS_BATCH: usize = 5_000;

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
pub(super) fn new_match(
    p: &Product,
    demand: &services::financing::Demand,
    m: &services::financing::Match,
) -> NewMatch {
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
pub(super) async fn rematch_product(app: &App, actor: &Principal, product: &ProductRecord) -> Result<usize> {
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
