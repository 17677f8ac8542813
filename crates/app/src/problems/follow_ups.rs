//! What departments owe besides answers, tracked like problems: 督办 cases (a reply due) and
//! consultation decisions (an action due), listed by owner with their lights; and the
//! supervisors' sample of closures without confirmation (抽查回访), drawn from the period's
//! closures at the zone's share ([`crate::settings::HandlingSettings::spot_check_percent`]).

use chrono::{DateTime, FixedOffset};
use handling::{ClosureKind, Warning};
use serde::Serialize;
use store::follow_ups::{FollowUp, FollowUpFilter, FollowUpKind};

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};

/// Which follow-ups.
#[derive(Debug, Clone, Default)]
pub struct FollowUpRequest {
    /// A department's (code); departments see only their own, others any or all.
    pub owner: Option<String>,
    /// `escalation` or `decision`.
    pub kind: Option<String>,
    /// Only open ones (default) or every one.
    pub all: bool,
}

/// A follow-up as listed: the row and its light now.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpView {
    #[serde(flatten)]
    pub follow_up: FollowUp,
    pub warning: Warning,
    /// Done by the deadline (`None` while open).
    pub on_time: Option<bool>,
}

/// The follow-ups a reader may list: a department its own, leaders, supervisors and admins
/// any department's (or all).
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn follow_ups(app: &App, who: &Principal, req: FollowUpRequest) -> Result<Vec<FollowUpView>> {
    use store::Role;
    let owner = match who.role {
        Role::Department => {
            let own = who.department.clone().ok_or(Error::Forbidden)?;
            if req.owner.as_deref().is_some_and(|o| o != own) {
                return Err(Error::Forbidden);
            }
            Some(own)
        }
        Role::Leader | Role::Supervisor | Role::Admin => req.owner.clone().filter(|o| !o.trim().is_empty()),
        _ => return Err(Error::Forbidden),
    };
    let kind = match req.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(FollowUpKind::parse(k).ok_or_else(|| Error::Invalid {
            field: "kind".into(),
            value: k.to_string(),
            reason: "escalation（督办）或 decision（会商事项）/ escalation or decision".into(),
        })?),
        None => None,
    };
    let filter = FollowUpFilter { owner, kind, open: (!req.all).then_some(true), problem_id: None };
    let now = app.now();
    Ok(app
        .store
        .follow_ups(&filter)
        .await?
        .into_iter()
        .map(|f| FollowUpView { warning: f.warning(now), on_time: f.on_time(), follow_up: f })
        .collect())
}

/// One closure without confirmation in a sample.
#[derive(Debug, Clone, Serialize)]
pub struct SampledClosure {
    pub problem_id: i64,
    pub enterprise: String,
    pub enterprise_name: String,
    pub category: String,
    pub lead_department: String,
    pub closed_at: DateTime<FixedOffset>,
    /// Still closed, or reopened since.
    pub state: handling::State,
    /// The enterprise's answer to a spot check after the closure, if one was made.
    pub checked: Option<bool>,
}

/// A period's sample of closures without confirmation.
#[derive(Debug, Clone, Serialize)]
pub struct SpotCheckSample {
    pub period: String,
    /// Closures without confirmation in the period.
    pub population: u32,
    /// The zone setting the sample's size comes from, with its source.
    pub percent: crate::settings::Percent,
    pub source: String,
    pub sample: Vec<SampledClosure>,
}

/// Draws the period's sample of closures without confirmation (supervisors and admins): the
/// zone's share of them (at least one when there are any), chosen by a hash of the period and
/// the problem number, so the same period gives the same sample to everyone and a department
/// cannot predict it from the order of closures. Each sampled problem is then called back: a
/// supervisor records the enterprise's answer (`spot_check`) and reopens it if not solved.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn spot_check_sample(
    app: &App,
    who: &Principal,
    period: Option<kpi::Period>,
) -> Result<SpotCheckSample> {
    authz::require(who, Action::Read, Resource::SpotChecks)?;
    let now = app.now();
    let period = crate::kpis::period_or_current(period, now);
    let settings = app.live.settings();
    let entries = crate::reports::load_entries(app.store.as_ref(), Some((period.start, period.end))).await?;
    let mut population: Vec<SampledClosure> = entries
        .into_iter()
        .filter_map(|e| {
            let s = &e.state;
            let c = s
                .closures
                .iter()
                .rev()
                .find(|c| period.contains(handling::china_date(c.at)) && c.at <= now)?;
            (c.kind == ClosureKind::Unrated).then(|| SampledClosure {
                problem_id: e.id,
                enterprise: s.problem.enterprise.to_string(),
                enterprise_name: e.enterprise_name.clone(),
                category: s.problem.category.clone(),
                lead_department: c.department.clone(),
                closed_at: c.at,
                state: s.state,
                checked: s.spot_checks.iter().rev().find(|k| k.at >= c.at).map(|k| k.solved),
            })
        })
        .collect();
    let n = population.len() as u32;
    let pct = settings.handling.spot_check_percent;
    let take = sample_size(n, pct);
    let key = |id: i64| {
        use sha2::Digest;
        let h = sha2::Sha256::digest(format!("{}#{id}", period).as_bytes());
        u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
    };
    population.sort_by_key(|c| key(c.problem_id));
    population.truncate(take as usize);
    population.sort_by_key(|c| c.problem_id);
    Ok(SpotCheckSample {
        period: period.to_string(),
        population: n,
        percent: pct,
        source: settings.handling.source.clone(),
        sample: population,
    })
}

/// ceil(n × percent / 100), at least one of a population that is not empty.
pub fn sample_size(n: u32, percent: crate::settings::Percent) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    if n == 0 {
        return 0;
    }
    let exact = rust_decimal::Decimal::from(n) * percent.value() / rust_decimal::Decimal::from(100);
    exact.ceil().to_u32().unwrap_or(n).clamp(1, n)
}
