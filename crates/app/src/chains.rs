//! Supply chains (产业链供应链对接, the plan's 三.11): "精准化帮助链上企业解决要素保障和就近配套需求，
//! 做好产业链上下游关联配套对接（责任部门：经济发展局）".
//!
//! - An enterprise's chain positions (chain name such as 工程机械, 上游/中游/下游, what it
//!   supplies): recorded by the chain office (the lead department of the routing category
//!   `supply_chain`, 经济发展局) or by the enterprise itself.
//! - A supply demand (配套需求: a part or a service the enterprise needs, the quantity, the day
//!   needed by) is matched to the zone's suppliers: the demand's description and each
//!   position's chain name, products and the enterprise's registry tags are cut into jieba
//!   terms (`search::cluster::terms`, the terms the problem clustering uses); a position
//!   sharing a term is a candidate, best first (`services::chains::match_suppliers`), and each
//!   candidate says which terms it shares (its explanation). The demanding enterprise and the
//!   office see the candidates; the office introduces (对接) suppliers and records each
//!   introduction's outcome, and closes the demand; the enterprise may withdraw it.
//! - The first introduction is due the zone setting `chains.introduction_workdays` working
//!   days after posting (default 5, this system's: the plan sets none), fixed on the demand
//!   when posted; an open demand past it is behind (the leader's dashboard).

use chrono::{Datelike, NaiveDate};
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};
use services::chains::{Supplier, match_suppliers};
use store::chains::{
    DemandFilter, DemandState, DemandWrite, NewPosition, NewSupplyDemand, Outcome, Position, PositionRecord,
    SupplyDemandRecord,
};
use store::{Role, Stamp};

use crate::authz::{self, Action, Resource};
use crate::problems::text::{Lines, clean};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::{App, Error, Principal, Result};

pub use store::chains::{MAX_CHAIN, MAX_DESCRIPTION, MAX_NOTE, MAX_QUANTITY, MAX_SUPPLIES};

/// The routing category whose lead department runs the chain service (经济发展局).
pub const CATEGORY: &str = "supply_chain";

/// Candidates shown for one demand.
pub const MAX_CANDIDATES: usize = 20;

/// The source stated with the shipped time limit.
pub const DEFAULT_SOURCE: &str = "方案（三.11 持续优化产业链供应链服务）未规定配套需求的对接时限：自提出之日起 5 个工作日内\
     对接第一家供应企业为本系统默认值，待园区确定后由管理员修改";

/// The zone's time limit of a demand's first introduction (zone setting section `chains`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainSettings {
    pub introduction_workdays: u32,
    /// Where this comes from.
    pub source: String,
}

impl Default for ChainSettings {
    fn default() -> Self {
        ChainSettings { introduction_workdays: 5, source: DEFAULT_SOURCE.to_string() }
    }
}

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

fn stamp(app: &App, actor: &Principal) -> Stamp {
    Stamp::new(actor.username.clone(), app.now())
}

/// The department that runs the chain service: the lead of the routing category
/// `supply_chain`.
pub async fn office(app: &App) -> Result<String> {
    crate::service_lines::lead_department(app, CATEGORY).await
}

/// Whether the actor runs the service (the office's officers, admins).
pub async fn runs_service(app: &App, actor: &Principal) -> Result<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Department => actor.department.as_deref() == Some(office(app).await?.as_str()),
        _ => false,
    })
}

async fn require_office(app: &App, actor: &Principal) -> Result<()> {
    if runs_service(app, actor).await? { Ok(()) } else { Err(Error::Forbidden) }
}

fn own(actor: &Principal, uscc: &str) -> bool {
    actor.role == Role::Enterprise
        && actor.enterprise.as_ref().is_some_and(|e| UnifiedCreditCode::parse(uscc.trim()).as_ref() == Ok(e))
}

/// An enterprise the actor acts for: its id. The office (and admins) act for any; an
/// enterprise for itself; others may only read.
async fn acting_for(app: &App, actor: &Principal, uscc: &str) -> Result<i64> {
    if own(actor, uscc) {
        return crate::plans::enterprise(app, actor, uscc, Action::Read).await;
    }
    let id = crate::plans::enterprise(app, actor, uscc, Action::Read).await?;
    require_office(app, actor).await?;
    Ok(id)
}

/// The uscc a request names, or the enterprise user's own when empty.
fn uscc_or_own(actor: &Principal, uscc: &str) -> Result<String> {
    match (uscc.trim(), &actor.enterprise) {
        ("", Some(e)) => Ok(e.to_string()),
        ("", None) => Err(Error::Required {
            field: "uscc".into(),
            what: "统一社会信用代码 / the credit code".into(),
        }),
        (u, _) => Ok(u.to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// Chain positions

/// A chain position as recorded.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionRequest {
    /// The enterprise (an enterprise user: empty for itself).
    #[serde(default)]
    pub uscc: String,
    /// The chain's name (≤ 50 characters), e.g. 工程机械.
    pub chain: String,
    /// `upstream`, `midstream`, `downstream` (or 上游, 中游, 下游).
    pub position: String,
    /// The products or services it supplies on the chain (≤ 500 characters).
    pub supplies: String,
}

/// A position as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PositionView {
    #[serde(flatten)]
    pub record: PositionRecord,
    pub position_zh: &'static str,
}

fn position_view(record: PositionRecord) -> PositionView {
    PositionView { position_zh: record.position.position.label_zh(), record }
}

fn chain_name(s: &str) -> Result<String> {
    let chain = clean("chain", s, MAX_CHAIN, Lines::One)?;
    if chain.is_empty() {
        return Err(Error::Required {
            field: "chain".into(), what: "产业链名称 / the chain's name".into()
        });
    }
    Ok(chain)
}

/// Records (or replaces) an enterprise's position on a chain.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn save_position(app: &App, actor: &Principal, req: &PositionRequest) -> Result<Vec<PositionView>> {
    let uscc = uscc_or_own(actor, &req.uscc)?;
    let enterprise_id = acting_for(app, actor, &uscc).await?;
    let chain = chain_name(&req.chain)?;
    let position = Position::parse(&req.position).ok_or_else(|| {
        bad(
            "position",
            &req.position,
            "应为 上游、中游、下游 之一 / must be upstream, midstream or downstream",
        )
    })?;
    let supplies = clean("supplies", &req.supplies, MAX_SUPPLIES, Lines::Many)?;
    if supplies.is_empty() {
        return Err(Error::Required {
            field: "supplies".into(),
            what: "供应的产品或服务 / the products or services it supplies".into(),
        });
    }
    app.store
        .save_position(&NewPosition { enterprise_id, chain, position, supplies }, &stamp(app, actor))
        .await?;
    positions(app, actor, &PositionQuery { uscc: Some(uscc), chain: None }).await
}

/// Removes an enterprise's position on a chain (the office, or the enterprise itself).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn remove_position(
    app: &App,
    actor: &Principal,
    uscc: &str,
    chain: &str,
) -> Result<Vec<PositionView>> {
    let uscc = uscc_or_own(actor, uscc)?;
    let enterprise_id = acting_for(app, actor, &uscc).await?;
    let chain = chain_name(chain)?;
    if !app.store.delete_position(enterprise_id, &chain, &stamp(app, actor)).await? {
        return Err(bad(
            "chain",
            &chain,
            "该企业未登记此产业链 / the enterprise has no position on this chain",
        ));
    }
    positions(app, actor, &PositionQuery { uscc: Some(uscc), chain: None }).await
}

/// Which positions a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct PositionQuery {
    /// One enterprise's positions.
    #[serde(default)]
    pub uscc: Option<String>,
    /// One chain's positions (exact name).
    #[serde(default)]
    pub chain: Option<String>,
}

/// Chain positions: an enterprise its own; officials every enterprise's (the zone's chain
/// map).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn positions(app: &App, actor: &Principal, q: &PositionQuery) -> Result<Vec<PositionView>> {
    let uscc = match (actor.role, &actor.enterprise) {
        (Role::Enterprise, Some(e)) => Some(e.to_string()),
        (Role::Enterprise, None) => return Err(Error::Forbidden),
        _ => q.uscc.clone().filter(|s| !s.trim().is_empty()),
    };
    let id = match &uscc {
        Some(u) => Some(crate::plans::enterprise(app, actor, u, Action::Read).await?),
        None => None,
    };
    let chain = q.chain.as_deref().map(str::trim).filter(|c| !c.is_empty());
    Ok(app
        .store
        .chain_positions(id)
        .await?
        .into_iter()
        .filter(|p| chain.is_none_or(|c| p.position.chain == c))
        .map(position_view)
        .collect())
}

// ---------------------------------------------------------------------------------------
// Supply demands

/// A demand as posted.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandRequest {
    /// The demanding enterprise (an enterprise user: empty for itself; the office may post
    /// for an enterprise).
    #[serde(default)]
    pub uscc: String,
    /// The part or service needed (≤ 500 characters).
    pub description: String,
    /// The quantity in the enterprise's words (≤ 100 characters), e.g. 每月 200 套.
    #[serde(default)]
    pub quantity: String,
    /// Needed by, `2026-12-31` (not before today).
    pub needed_by: String,
}

/// A demand as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DemandView {
    #[serde(flatten)]
    pub record: SupplyDemandRecord,
    pub state_zh: &'static str,
    /// Open past its introduction's due day.
    pub behind: bool,
    /// Introductions that ended in an agreement.
    pub agreed: usize,
}

fn demand_view(record: SupplyDemandRecord, today: NaiveDate) -> DemandView {
    DemandView {
        state_zh: record.state.label_zh(),
        behind: services::chains::is_behind(record.state, record.demand.introduction_due, today),
        agreed: record.introductions.iter().filter(|i| i.outcome == Outcome::Agreed).count(),
        record,
    }
}

/// A supplier matched to a demand.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Candidate {
    pub uscc: String,
    pub enterprise_name: String,
    pub chain: String,
    pub position: Position,
    pub position_zh: &'static str,
    pub supplies: String,
    /// The terms the demand and the supplier share (why it matches).
    pub shared: Vec<String>,
    pub score: u32,
    /// Why it matches, in Chinese: 共有关键词：液压、油缸.
    pub reason_zh: String,
    /// Already introduced to this demand.
    pub introduced: bool,
}

/// A demand with its candidates and what the reader may do.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DemandDetail {
    pub demand: DemandView,
    pub candidates: Vec<Candidate>,
    /// The reader runs the service (introduce, record outcomes, close).
    pub may_introduce: bool,
    /// The reader may close (the office) or withdraw (the enterprise) it.
    pub may_close: bool,
}

fn terms(text: &str) -> Vec<String> {
    search::cluster::terms(text).into_iter().map(|t| t.to_lowercase()).collect()
}

/// The zone's suppliers matching a demand, best first, one row per enterprise (its best
/// position), the demanding enterprise left out.
fn candidates(d: &SupplyDemandRecord, positions: &[PositionRecord]) -> Vec<Candidate> {
    let wanted = terms(&d.demand.description);
    let suppliers: Vec<Supplier<usize>> = positions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.position.enterprise_id != d.demand.enterprise_id)
        .map(|(i, p)| {
            let text = format!(
                "{} {} {}",
                p.position.chain,
                p.position.supplies,
                p.enterprise_tags.replace(';', " ")
            );
            Supplier { key: i, terms: terms(&text) }
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    match_suppliers(&wanted, &suppliers, usize::MAX)
        .into_iter()
        .filter_map(|m| {
            let p = positions.get(m.key)?;
            if !seen.insert(p.position.enterprise_id) {
                return None;
            }
            Some(Candidate {
                uscc: p.uscc.clone(),
                enterprise_name: p.enterprise_name.clone(),
                chain: p.position.chain.clone(),
                position: p.position.position,
                position_zh: p.position.position.label_zh(),
                supplies: p.position.supplies.clone(),
                reason_zh: format!("共有关键词：{}", m.shared.join("、")),
                shared: m.shared,
                score: m.score,
                introduced: d.introductions.iter().any(|i| i.supplier_uscc == p.uscc),
            })
        })
        .take(MAX_CANDIDATES)
        .collect()
}

/// Posts a demand (the enterprise for itself, or the office for it); its deadline on the
/// zone calendar from today; answered with its candidates.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn post_demand(app: &App, actor: &Principal, req: &DemandRequest) -> Result<DemandDetail> {
    let uscc = uscc_or_own(actor, &req.uscc)?;
    let enterprise_id = acting_for(app, actor, &uscc).await?;
    let description = clean("description", &req.description, MAX_DESCRIPTION, Lines::Many)?;
    if description.is_empty() {
        return Err(Error::Required {
            field: "description".into(),
            what: "所需配套的产品或服务 / the part or service needed".into(),
        });
    }
    let quantity = clean("quantity", &req.quantity, MAX_QUANTITY, Lines::One)?;
    let needed_by = crate::credit_repair::parse_date("needed_by", &req.needed_by)?;
    let today = app.today();
    if needed_by < today {
        return Err(bad("needed_by", needed_by, "不能早于今天 / cannot be before today"));
    }
    let n = app.live.settings().chains.introduction_workdays;
    let introduction_due = crate::calendar::add_workdays(app, today, n).await?.result;
    let d = NewSupplyDemand {
        enterprise_id,
        description,
        quantity,
        needed_by,
        raised_on: today,
        introduction_due,
    };
    let id = app.store.create_supply_demand(&d, &stamp(app, actor)).await?;
    show_demand(app, actor, id).await
}

async fn readable(app: &App, actor: &Principal, id: i64) -> Result<SupplyDemandRecord> {
    let r = app.store.supply_demand(id).await?.ok_or(Error::SupplyDemandNotFound { id })?;
    crate::plans::enterprise(app, actor, &r.uscc, Action::Read)
        .await
        .map_err(|_| Error::SupplyDemandNotFound { id })?;
    Ok(r)
}

/// One demand with its candidates, for whoever may see its enterprise.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn show_demand(app: &App, actor: &Principal, id: i64) -> Result<DemandDetail> {
    let r = readable(app, actor, id).await?;
    let positions = app.store.chain_positions(None).await?;
    let candidates = if r.state == DemandState::Closed { Vec::new() } else { candidates(&r, &positions) };
    let office = runs_service(app, actor).await?;
    let open = r.state != DemandState::Closed;
    Ok(DemandDetail {
        may_introduce: office && open,
        may_close: open && (office || own(actor, &r.uscc)),
        candidates,
        demand: demand_view(r, app.today()),
    })
}

/// Which demands a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct DemandQuery {
    /// `open`, `introduced`, `closed` (or 待对接, 已对接, 已办结).
    #[serde(default)]
    pub state: Option<String>,
    /// Only demands behind (open past the introduction's due day).
    #[serde(default)]
    pub behind: bool,
    /// One enterprise's demands.
    #[serde(default)]
    pub uscc: Option<String>,
}

/// Demands: an enterprise its own; a cadre its linked enterprises'; other officials all.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn demands(app: &App, actor: &Principal, q: &DemandQuery) -> Result<Vec<DemandView>> {
    let state = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(DemandState::parse(s).ok_or_else(|| {
            bad("state", s, "应为 open、introduced、closed 之一 / must be open, introduced or closed")
        })?),
        None => None,
    };
    let uscc = match (actor.role, &actor.enterprise) {
        (Role::Enterprise, Some(e)) => Some(e.to_string()),
        (Role::Enterprise, None) => return Err(Error::Forbidden),
        _ => q.uscc.clone().filter(|s| !s.trim().is_empty()),
    };
    let enterprise_id = match &uscc {
        Some(u) => Some(crate::plans::enterprise(app, actor, u, Action::Read).await?),
        None => None,
    };
    let today = app.today();
    let mut out = Vec::new();
    for r in app.store.supply_demands(&DemandFilter { enterprise_id, state }).await? {
        if actor.role == Role::Cadre && uscc.is_none() {
            let Ok(code) = UnifiedCreditCode::parse(&r.uscc) else { continue };
            let Some(head) = app.store.enterprise_head(&code).await? else { continue };
            if !authz::authorize(
                actor,
                Action::Read,
                Resource::ServiceCase { uscc: &code, links: &head.links },
            )
            .is_allowed()
            {
                continue;
            }
        }
        let v = demand_view(r, today);
        if !q.behind || v.behind {
            out.push(v);
        }
    }
    Ok(out)
}

/// An introduction of a supplier (the office).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntroduceRequest {
    /// The supplier's credit code (a candidate, or any other zone enterprise the office knows).
    pub supplier: String,
    /// How they were put in touch (≤ 500 characters).
    #[serde(default)]
    pub note: String,
    /// The day (default today; not in the future).
    #[serde(default)]
    pub on: Option<String>,
    /// The demand version the form showed (default: the current one).
    #[serde(default)]
    pub version: Option<i64>,
}

fn day_or_today(app: &App, field: &str, on: Option<&str>) -> Result<NaiveDate> {
    let today = app.today();
    let on = match on.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => crate::credit_repair::parse_date(field, t)?,
        None => today,
    };
    if on > today {
        return Err(bad(field, on, "不能晚于今天 / cannot be after today"));
    }
    Ok(on)
}

/// Introduces a supplier to a demand (对接).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn introduce(
    app: &App,
    actor: &Principal,
    id: i64,
    req: &IntroduceRequest,
) -> Result<DemandDetail> {
    let r = readable(app, actor, id).await?;
    require_office(app, actor).await?;
    let supplier_id =
        crate::plans::enterprise(app, actor, &req.supplier, Action::Read).await.map_err(|e| {
            if matches!(e, Error::EnterpriseNotFound { .. } | Error::Invalid { .. }) {
                bad(
                    "supplier",
                    &req.supplier,
                    "园区内没有该统一社会信用代码的企业 / no zone enterprise has this credit code",
                )
            } else {
                e
            }
        })?;
    if supplier_id == r.demand.enterprise_id {
        return Err(bad(
            "supplier",
            &req.supplier,
            "不能对接需求企业自身 / cannot introduce the demanding enterprise to itself",
        ));
    }
    if r.introductions.iter().any(|i| i.supplier_id == supplier_id) {
        return Err(bad(
            "supplier",
            &req.supplier,
            "该企业已对接过此需求 / this supplier was already introduced",
        ));
    }
    if r.state == DemandState::Closed {
        return Err(bad("state", r.state.as_str(), "需求已办结 / the demand is closed"));
    }
    let on = day_or_today(app, "on", req.on.as_deref())?;
    if on < r.demand.raised_on {
        return Err(bad("on", on, "不能早于需求提出之日 / cannot be before the demand was posted"));
    }
    let note = clean("note", &req.note, MAX_NOTE, Lines::Many)?;
    let expected = req.version.unwrap_or(r.version);
    app.store
        .write_supply_demand(
            id,
            expected,
            &DemandWrite::Introduce { supplier_id, on, note },
            &stamp(app, actor),
        )
        .await?;
    show_demand(app, actor, id).await
}

/// The outcome of an introduction (the office).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeRequest {
    /// The introduction (its id in the demand's `introductions`).
    pub introduction: i64,
    /// `pending`, `agreed`, `not_agreed` (or 洽谈中, 达成合作, 未达成).
    pub outcome: String,
    /// What was agreed, or why not (≤ 500 characters; required for `not_agreed`).
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// Records how an introduction ended.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn record_outcome(
    app: &App,
    actor: &Principal,
    id: i64,
    req: &OutcomeRequest,
) -> Result<DemandDetail> {
    let r = readable(app, actor, id).await?;
    require_office(app, actor).await?;
    if !r.introductions.iter().any(|i| i.id == req.introduction) {
        return Err(bad(
            "introduction",
            req.introduction,
            "该需求没有此对接记录 / the demand has no such introduction",
        ));
    }
    let outcome = Outcome::parse(&req.outcome).ok_or_else(|| {
        bad(
            "outcome",
            &req.outcome,
            "应为 pending、agreed、not_agreed 之一 / must be pending, agreed or not_agreed",
        )
    })?;
    let note = clean("note", &req.note, MAX_NOTE, Lines::Many)?;
    if outcome == Outcome::NotAgreed && note.is_empty() {
        return Err(Error::Required {
            field: "note".into(),
            what: "未达成的原因 / why they did not agree".into(),
        });
    }
    if r.state == DemandState::Closed {
        return Err(bad("state", r.state.as_str(), "需求已办结 / the demand is closed"));
    }
    let expected = req.version.unwrap_or(r.version);
    let w = DemandWrite::Outcome { introduction_id: req.introduction, outcome, note };
    app.store.write_supply_demand(id, expected, &w, &stamp(app, actor)).await?;
    show_demand(app, actor, id).await
}

/// Closing (the office) or withdrawing (the enterprise) a demand.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloseRequest {
    /// Why (≤ 500 characters), e.g. 已与园区企业签订供货合同.
    pub reason: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// Closes a demand.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn close_demand(app: &App, actor: &Principal, id: i64, req: &CloseRequest) -> Result<DemandDetail> {
    let r = readable(app, actor, id).await?;
    if !own(actor, &r.uscc) {
        require_office(app, actor).await?;
    }
    if r.state == DemandState::Closed {
        return Err(bad("state", r.state.as_str(), "需求已办结 / the demand is already closed"));
    }
    let reason = clean("reason", &req.reason, MAX_NOTE, Lines::Many)?;
    if reason.is_empty() {
        return Err(Error::Required {
            field: "reason".into(),
            what: "办结（撤回）原因 / why it is closed".into(),
        });
    }
    let expected = req.version.unwrap_or(r.version);
    let w = DemandWrite::Close { on: app.today(), reason };
    app.store.write_supply_demand(id, expected, &w, &stamp(app, actor)).await?;
    show_demand(app, actor, id).await
}

/// The supply chain row of the leader's service-line table: demands posted this month,
/// introductions made this month; behind = open demands past their introduction's due day.
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    authz::require(actor, Action::Read, Resource::Kpi)?;
    let all = app.store.supply_demands(&DemandFilter::default()).await?;
    let month = |d: NaiveDate| d.year() == day.year() && d.month() == day.month();
    let posted = all.iter().filter(|d| month(d.demand.raised_on)).count() as u64;
    let introduced =
        all.iter().flat_map(|d| d.introductions.iter()).filter(|i| month(i.introduced_on)).count() as u64;
    let behind =
        all.iter().filter(|d| services::chains::is_behind(d.state, d.demand.introduction_due, day)).count()
            as u64;
    Ok(vec![ServiceLineKpi {
        clause: "三.11",
        name_zh: "产业链配套对接".into(),
        figures: vec![
            Figure { label_zh: "本月配套需求（项）", value: posted },
            Figure { label_zh: "本月对接（家次）", value: introduced },
        ],
        behind,
        href: Some("/chains"),
    }])
}

/// The demands workbook (产业链配套需求台账): one row per introduction (a demand without one:
/// one row), and a sheet of the chain positions. Officials only.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn workbook(app: &App, actor: &Principal, q: &DemandQuery) -> Result<Vec<u8>> {
    if actor.role == Role::Enterprise {
        return Err(Error::Forbidden);
    }
    let list = demands(app, actor, q).await?;
    let mut sheet = excel::Sheet::new(
        "配套需求",
        &[
            "编号",
            "统一社会信用代码",
            "需求企业",
            "所需产品或服务",
            "数量",
            "需要日期",
            "提出日期",
            "对接期限",
            "状态",
            "是否滞后",
            "对接企业",
            "对接日期",
            "对接结果",
            "结果说明",
            "办结日期",
            "办结原因",
        ],
    );
    for v in &list {
        let d = &v.record;
        let head = |sheet: &mut excel::Sheet, i: Option<&store::chains::IntroductionRecord>| {
            sheet.push(vec![
                excel::Cell::Int(d.id),
                d.uscc.clone().into(),
                d.enterprise_name.clone().into(),
                d.demand.description.clone().into(),
                d.demand.quantity.clone().into(),
                excel::Cell::Date(d.demand.needed_by),
                excel::Cell::Date(d.demand.raised_on),
                excel::Cell::Date(d.demand.introduction_due),
                v.state_zh.into(),
                (if v.behind { "滞后" } else { "" }).into(),
                i.map_or(String::new(), |i| i.supplier_name.clone()).into(),
                i.map_or(excel::Cell::Empty, |i| excel::Cell::Date(i.introduced_on)),
                i.map_or("", |i| i.outcome.label_zh()).into(),
                i.map_or(String::new(), |i| i.outcome_note.clone()).into(),
                d.closed_on.map_or(excel::Cell::Empty, excel::Cell::Date),
                d.close_reason.clone().into(),
            ]);
        };
        if d.introductions.is_empty() {
            head(&mut sheet, None);
        }
        for i in &d.introductions {
            head(&mut sheet, Some(i));
        }
    }
    let mut chains = excel::Sheet::new(
        "产业链企业",
        &["产业链", "环节", "统一社会信用代码", "企业名称", "供应产品或服务"],
    );
    for p in positions(app, actor, &PositionQuery::default()).await? {
        chains.push(vec![
            p.record.position.chain.clone().into(),
            p.position_zh.into(),
            p.record.uscc.clone().into(),
            p.record.enterprise_name.clone().into(),
            p.record.position.supplies.clone().into(),
        ]);
    }
    let mut wb = excel::Workbook::new("产业链配套需求台账", app.now().naive_local());
    wb.sheets.push(sheet);
    wb.sheets.push(chains);
    wb.to_bytes().map_err(Error::internal)
}
