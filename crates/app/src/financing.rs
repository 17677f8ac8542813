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
mod products;
mod report;

pub use forms::{editable_product, may_publish, next_steps};
pub use products::*;
pub use report::{MonthFigures, kpis, month, workbook};
