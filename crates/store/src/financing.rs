//! Financing (融资对接, issue 15, plan 三.5 and 三.8) in the store (migration 0034):
//! financial institutions' users, products, enterprises' demands, the matches of a demand
//! with products (with the explanation and the facts an undetermined pair lacks) and the
//! institutions' responses. What a demand may do next is decided by
//! `services::financing::next` (and `special::next_step` for 风险补偿 / 转贷过桥) in the use
//! case (`app::financing`), which writes the outcome with [`FinancingStore::update_demands`]
//! naming the version it read: a write against an older version is refused
//! ([`StoreError::DocumentConflict`] with kind `financing_demand`) and nothing of the batch
//! stays. Every write is one transaction with its audit records in `reference_changes`
//! (entity `financing_demand`, `financial_product` or `financial_institution_user`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use services::financing::special::Step;
use services::financing::{Collateral, DemandKind, DemandState, Product};

use crate::{Result, Stamp, StoreError};

/// Audit entities.
pub const DEMAND_ENTITY: &str = "financing_demand";
pub const PRODUCT_ENTITY: &str = "financial_product";
pub const INSTITUTION_USER_ENTITY: &str = "financial_institution_user";

/// Length limits, in characters.
pub const MAX_INSTITUTION: usize = 100;
pub const MAX_PRODUCT_NAME: usize = 100;
pub const MAX_PRODUCT_ID: usize = 40;
pub const MAX_ELIGIBILITY: usize = 2_000;
pub const MAX_PRODUCT_DESCRIPTION: usize = 1_000;
pub const MAX_PURPOSE: usize = 500;
pub const MAX_REASON: usize = 500;
pub const MAX_EXPLANATION: usize = 2_000;
/// The largest amount, in yuan (一百亿).
pub const MAX_AMOUNT_YUAN: i64 = 10_000_000_000;
/// The longest term, in months.
pub const MAX_TERM_MONTHS: u32 = 360;

/// How urgent a demand is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Urgency {
    /// 一般.
    Normal,
    /// 较急 (within a month).
    Urgent,
    /// 紧急 (within days: wages, a maturing loan).
    Critical,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Urgency::Normal => "一般",
            Urgency::Urgent => "较急",
            Urgency::Critical => "紧急",
        }
    }
}

/// How a demand reached huiqi.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    /// 线上: the enterprise posted it.
    Online,
    /// 热线: an officer recorded it from a hotline call.
    Hotline,
    /// 走访: an officer recorded it on a visit.
    Visit,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Online => "线上提交",
            Channel::Hotline => "热线",
            Channel::Visit => "走访",
        }
    }
}

/// An institution's answer to a demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ResponseKind {
    /// 受理.
    Accepted,
    /// 婉拒 (with a reason).
    Declined,
    /// 已放款 (amount and date).
    Granted,
    /// A step of a 风险补偿 / 转贷过桥 demand recorded by the officer (the step in `step`).
    Step,
    /// The demand was closed (the reason in `reason`).
    Closed,
}

impl ResponseKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ResponseKind::Accepted => "受理",
            ResponseKind::Declined => "婉拒",
            ResponseKind::Granted => "放款",
            ResponseKind::Step => "办理环节",
            ResponseKind::Closed => "关闭",
        }
    }
}

/// A stored product: the kernel's [`Product`] with its description, state and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductRecord {
    #[serde(flatten)]
    pub product: Product,
    pub description: String,
    pub active: bool,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: DateTime<FixedOffset>,
}

/// A demand as posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDemand {
    pub enterprise_id: i64,
    pub kind: DemandKind,
    /// Yuan.
    pub amount: Decimal,
    pub term_months: u32,
    pub purpose: String,
    pub collateral: Vec<Collateral>,
    pub urgency: Urgency,
    pub channel: Channel,
    /// The day an outcome is due (working days on the zone calendar).
    pub deadline: NaiveDate,
    /// 风险补偿 / 转贷过桥: the first step.
    pub step: Option<Step>,
}

/// A stored demand with its enterprise's code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemandRecord {
    pub id: i64,
    #[serde(flatten)]
    pub demand: NewDemand,
    pub uscc: String,
    pub enterprise_name: String,
    pub state: DemandState,
    pub granted_amount: Option<Decimal>,
    pub granted_on: Option<NaiveDate>,
    /// The product the loan was granted under.
    pub granted_product: Option<String>,
    pub close_reason: String,
    /// When the demand reached an outcome (granted or closed).
    pub outcome_at: Option<DateTime<FixedOffset>>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl DemandRecord {
    /// The demand as matching reads it.
    pub fn kernel(&self) -> services::financing::Demand {
        services::financing::Demand {
            id: self.id,
            enterprise_id: self.demand.enterprise_id,
            kind: self.demand.kind,
            amount: self.demand.amount,
            term_months: self.demand.term_months,
            collateral: self.demand.collateral.clone(),
        }
    }
}

/// One stored match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMatch {
    pub product_id: String,
    /// Eligibility holds (`false`: undetermined, `missing` names the facts).
    pub matched: bool,
    pub missing: Vec<String>,
    pub explanation: String,
}

/// One product's match of a demand after the product changed: `found` is the new match
/// (matched or undetermined), `None` when the product no longer fits the demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductMatch {
    pub product_id: String,
    pub found: Option<NewMatch>,
}

/// A match with its product's name and institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRecord {
    pub demand_id: i64,
    #[serde(flatten)]
    pub m: NewMatch,
    pub product_name: String,
    pub institution: String,
    pub matched_at: DateTime<FixedOffset>,
}

/// A response or step as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewResponse {
    pub kind: ResponseKind,
    pub institution: String,
    pub product_id: Option<String>,
    pub reason: String,
    pub amount: Option<Decimal>,
    pub on: Option<NaiveDate>,
    pub step: Option<Step>,
}

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseRecord {
    pub id: i64,
    pub demand_id: i64,
    #[serde(flatten)]
    pub response: NewResponse,
    pub responded_by: String,
    pub responded_at: DateTime<FixedOffset>,
}

/// One demand's write, as the use case decided it, at the version it read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DemandUpdate {
    pub id: i64,
    pub expected: i64,
    pub state: Option<DemandState>,
    pub step: Option<Step>,
    /// Replaces the demand's matches.
    pub matches: Option<Vec<NewMatch>>,
    /// Replaces one product's match of the demand only (that product was edited); the other
    /// products' matches stay.
    pub product_match: Option<ProductMatch>,
    pub response: Option<NewResponse>,
    pub granted: Option<(Decimal, NaiveDate, Option<String>)>,
    pub close_reason: Option<String>,
    /// The demand reached its outcome now.
    pub outcome: bool,
}

/// Which demands to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemandFilter {
    pub enterprise_id: Option<i64>,
    /// Demands matched to a product of this institution.
    pub institution: Option<String>,
    pub states: Vec<DemandState>,
    pub kind: Option<DemandKind>,
    /// Posted on or after this day (China time).
    pub posted_from: Option<NaiveDate>,
    /// Posted before this day.
    pub posted_before: Option<NaiveDate>,
    pub limit: u64,
}

/// The conflict error of a write against an older version.
pub fn conflict(kind: &str, id: &str, expected: i64, current: i64) -> StoreError {
    StoreError::DocumentConflict {
        kind: kind.into(),
        name: id.to_string(),
        expected: expected.to_string(),
        current: current.to_string(),
    }
}

/// Parses a stored enum name.
pub fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T> {
    s.parse().map_err(|_| StoreError::Backend(format!("unknown {what} {s:?}")))
}

/// Parses a stored decimal.
pub fn decimal(what: &str, s: &str) -> Result<Decimal> {
    s.parse().map_err(|_| StoreError::Backend(format!("bad {what} {s:?}")))
}

/// A list of enum names as stored (`loan,bridge_loan`).
pub fn names<T: Copy + Into<&'static str>>(v: &[T]) -> String {
    v.iter().map(|x| (*x).into()).collect::<Vec<&str>>().join(",")
}

/// Reads [`names`] back.
pub fn parse_names<T: std::str::FromStr>(what: &str, s: &str) -> Result<Vec<T>> {
    s.split(',').filter(|x| !x.is_empty()).map(|x| parse(what, x)).collect()
}

/// The audit records of one update: (field, old, new); `old_state` and `old_step` as stored
/// before it.
pub fn audit_of(
    u: &DemandUpdate,
    old_state: &str,
    old_step: Option<&str>,
) -> Vec<(String, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    if let Some(s) = u.state
        && s.as_str() != old_state
    {
        out.push(("state".into(), Some(old_state.into()), Some(s.as_str().into())));
    }
    if let Some(s) = u.step
        && Some(s.as_str()) != old_step
    {
        out.push(("step".into(), old_step.map(Into::into), Some(s.as_str().into())));
    }
    if let Some(m) = &u.matches {
        let list = m.iter().map(|x| x.product_id.as_str()).collect::<Vec<_>>().join(",");
        out.push(("matches".into(), None, Some(list)));
    }
    if let Some(pm) = &u.product_match {
        let outcome = match &pm.found {
            Some(m) if m.matched => "matched",
            Some(_) => "undetermined",
            None => "none",
        };
        out.push(("product_match".into(), None, Some(format!("{}: {outcome}", pm.product_id))));
    }
    if let Some(r) = &u.response {
        let mut v = format!("{} {}", r.kind.as_str(), r.institution);
        if let Some(a) = r.amount {
            v.push_str(&format!(" {a}"));
        }
        if !r.reason.is_empty() {
            v.push_str(&format!(": {}", r.reason));
        }
        out.push(("response".into(), None, Some(v)));
    }
    if let Some((a, d, _)) = &u.granted {
        out.push(("granted".into(), None, Some(format!("{a} {d}"))));
    }
    if let Some(r) = &u.close_reason {
        out.push(("close_reason".into(), None, Some(r.clone())));
    }
    out
}

/// Texts both dialects accept (see `crate::sql` for the placeholder rule).
pub mod sql {
    pub const PRODUCT_COLUMNS: &str = "p.id, p.institution, p.name, p.kinds, p.amount_min, p.amount_max, \
        p.term_min_months, p.term_max_months, p.rate_min, p.rate_max, p.requires_collateral, p.eligibility, \
        p.description, p.active, p.version, p.updated_by, p.updated_at";
    pub const INSERT_PRODUCT: &str = "INSERT INTO financial_products (id, institution, name, kinds, amount_min, \
        amount_max, term_min_months, term_max_months, rate_min, rate_max, requires_collateral, eligibility, \
        description, active, version, updated_by, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16)";
    pub const UPDATE_PRODUCT: &str = "UPDATE financial_products SET institution = $1, name = $2, kinds = $3, \
        amount_min = $4, amount_max = $5, term_min_months = $6, term_max_months = $7, rate_min = $8, \
        rate_max = $9, requires_collateral = $10, eligibility = $11, description = $12, active = $13, \
        version = version + 1, updated_by = $14, updated_at = $15 WHERE id = $16 AND version = $17";
    pub const PRODUCT_VERSION: &str = "SELECT version FROM financial_products WHERE id = $1";
    pub const DEMAND_COLUMNS: &str = "d.id, d.enterprise_id, d.kind, d.amount, d.term_months, d.purpose, \
        d.collateral, d.urgency, d.channel, d.deadline, d.step, n.uscc, n.name, d.state, d.granted_amount, \
        d.granted_on, d.granted_product, d.close_reason, d.outcome_at, d.version, d.created_by, d.created_at, \
        d.updated_at";
    pub const INSERT_DEMAND: &str = "INSERT INTO financing_demands (enterprise_id, kind, amount, term_months, \
        purpose, collateral, urgency, channel, deadline, step, state, version, created_by, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', 1, $11, $12, $12) RETURNING id";
    pub const DEMAND_VERSION: &str = "SELECT version FROM financing_demands WHERE id = $1";
    pub const BUMP_DEMAND: &str = "UPDATE financing_demands SET version = version + 1, updated_at = $1 \
        WHERE id = $2 AND version = $3";
    pub const SET_STATE: &str = "UPDATE financing_demands SET state = $1 WHERE id = $2";
    pub const SET_STEP: &str = "UPDATE financing_demands SET step = $1 WHERE id = $2";
    pub const SET_GRANTED: &str = "UPDATE financing_demands SET granted_amount = $1, granted_on = $2, \
        granted_product = $3 WHERE id = $4";
    pub const SET_CLOSE_REASON: &str = "UPDATE financing_demands SET close_reason = $1 WHERE id = $2";
    pub const STATE_STEP: &str = "SELECT state, step FROM financing_demands WHERE id = $1";
    pub const SET_OUTCOME: &str = "UPDATE financing_demands SET outcome_at = $1 WHERE id = $2";
    pub const DELETE_MATCHES: &str = "DELETE FROM financing_matches WHERE demand_id = $1";
    pub const DELETE_PRODUCT_MATCH: &str =
        "DELETE FROM financing_matches WHERE demand_id = $1 AND product_id = $2";
    pub const INSERT_MATCH: &str = "INSERT INTO financing_matches (demand_id, product_id, matched, missing, \
        explanation, matched_at) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const MATCH_COLUMNS: &str = "m.demand_id, m.product_id, m.matched, m.missing, m.explanation, p.name, \
        p.institution, m.matched_at";
    pub const INSERT_RESPONSE: &str = "INSERT INTO financing_responses (demand_id, kind, institution, product_id, \
        reason, amount, on_date, step, responded_by, responded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    pub const RESPONSE_COLUMNS: &str = "r.id, r.demand_id, r.kind, r.institution, r.product_id, r.reason, \
        r.amount, r.on_date, r.step, r.responded_by, r.responded_at";
    pub const INSTITUTION_OF: &str =
        "SELECT institution FROM financial_institution_users WHERE username = $1";
}

/// Financing: institutions' users, products, demands, matches and responses.
#[async_trait]
pub trait FinancingStore: Send + Sync {
    /// Binds a `financial_institution` user to its institution (replacing any binding).
    async fn bind_institution(&self, username: &str, institution: &str, stamp: &Stamp) -> Result<()>;

    /// The institution a user acts for.
    async fn institution_of(&self, username: &str) -> Result<Option<String>>;

    /// Stores a product: a new one when `expected` is None (its id must be free), else the
    /// update of the one at version `expected`. The new version.
    async fn save_product(
        &self,
        product: &ProductRecord,
        expected: Option<i64>,
        stamp: &Stamp,
    ) -> Result<i64>;

    async fn product(&self, id: &str) -> Result<Option<ProductRecord>>;

    /// Products, by institution then id; `institution` limits to one.
    async fn products(&self, institution: Option<&str>, active_only: bool) -> Result<Vec<ProductRecord>>;

    /// Stores a new demand; its id.
    async fn create_demand(&self, demand: &NewDemand, stamp: &Stamp) -> Result<i64>;

    async fn demand(&self, id: i64) -> Result<Option<DemandRecord>>;

    /// Demands, newest first.
    async fn demands(&self, filter: &DemandFilter) -> Result<Vec<DemandRecord>>;

    /// A demand's matches, in the catalogue's order (institution, product).
    async fn matches_of(&self, demand: i64) -> Result<Vec<MatchRecord>>;

    /// A demand's responses and steps, oldest first.
    async fn responses_of(&self, demand: i64) -> Result<Vec<ResponseRecord>>;

    /// Writes the updates in one transaction, each if its demand is still at its `expected`
    /// version (else nothing is written); the new versions.
    async fn update_demands(&self, updates: &[DemandUpdate], stamp: &Stamp) -> Result<Vec<i64>>;
}
