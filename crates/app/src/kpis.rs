//! The KPIs of the three lists (考核指标) as a use case: the `kpi` crate's computation over the
//! event logs a period needs, judged at a time, for `GET /api/v1/kpi` and `huiqi kpi`.
//! Definitions in docs/KPI.md. Departments, leaders, supervisors and admins read them
//! (`authz::Resource::Kpi`).

use crate::{App, Principal, Result, authz};
use chrono::{DateTime, FixedOffset};
use kpi::{KpiReport, Period};
use std::collections::BTreeMap;

/// Which KPIs.
#[derive(Debug, Clone, Default)]
pub struct KpiRequest {
    /// A month, week or quarter; `None`: the current month.
    pub period: Option<Period>,
    /// When pending items (lights, overdue acceptance) are judged; `None`: now.
    pub as_of: Option<DateTime<FixedOffset>>,
}

/// The KPIs of a period, with the departments' names to show them by.
#[derive(Debug, Clone)]
pub struct Kpis {
    pub report: KpiReport,
    /// Department code → Chinese name.
    pub department_names: BTreeMap<String, String>,
}

/// The KPIs of a period per department and category.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn kpis(app: &App, who: &Principal, req: KpiRequest) -> Result<Kpis> {
    authz::require(who, authz::Action::Read, authz::Resource::Kpi)?;
    let now = app.now();
    let period = period_or_current(req.period, now);
    let report = kpi_at(app.store.as_ref(), &period, req.as_of.unwrap_or(now)).await?;
    let department_names = app.store.departments().await?.into_iter().map(|d| (d.code, d.name)).collect();
    Ok(Kpis { report, department_names })
}

/// Self-service answers for people: `12（常见问题 5、办事指南 7）`, or `0`.
pub fn self_service_text(s: &kpi::SelfService) -> String {
    if s.total == 0 {
        return "0".into();
    }
    let parts: Vec<String> = s
        .by_kind
        .iter()
        .map(|(k, n)| format!("{} {n}", search::Kind::parse(k).map_or(k.as_str(), |k| k.label_zh())))
        .collect();
    format!("{}（{}）", s.total, parts.join("、"))
}

/// The period asked for, or the current month (China time) of `now`.
pub fn period_or_current(period: Option<Period>, now: DateTime<FixedOffset>) -> Period {
    period.unwrap_or_else(|| kpi::period_of(kpi::PeriodKind::Month, handling::china_date(now)))
}

/// The KPIs of a period judged at `as_of`, from the event logs the period needs.
pub(crate) async fn kpi_at(
    store: &dyn store::Store,
    period: &Period,
    as_of: DateTime<FixedOffset>,
) -> Result<KpiReport> {
    let logs = store.all_event_logs_for_period(Some((period.start, period.end))).await?;
    let logs: Vec<(String, Vec<handling::Event>)> =
        logs.into_iter().map(|(id, e)| (id.to_string(), e)).collect();
    let cals = store.calendars().await?;
    let mut report = kpi::compute_from_logs(&logs, cals.as_ref(), period, as_of)?;
    let (from, to) = (
        store::problems::day_start(period.start),
        store::problems::day_start(period.end + chrono::Duration::days(1)),
    );
    report.self_service = kpi::SelfService::of(store.self_service_counts(from, to).await?);
    Ok(report)
}
