//! The plan's service lines on the leader's dashboard (issue 15): one row per line of help a
//! service runs (活动 by kind, 融资对接, 一企一对策, 信用修复, …), with this month's figures and
//! how many of its items are past their deadline. Each service contributes its rows through a
//! function of its own module; [`dashboard`] gathers them in the plan's order.

use chrono::NaiveDate;
use serde::Serialize;

use crate::{App, Principal, Result};

/// One figure of a line: a Chinese label and a count (`报名企业`, 12).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Figure {
    pub label_zh: &'static str,
    pub value: u64,
}

/// One line of help as the leader sees it this month.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ServiceLineKpi {
    /// The plan's clause (`三.5`).
    pub clause: &'static str,
    /// The service's name in Chinese (`政银企对接`).
    pub name_zh: String,
    /// The month's figures, in the order shown.
    pub figures: Vec<Figure>,
    /// Items of this line past their deadline (shown in red when more than zero).
    pub behind: u64,
    /// The officers' page of the service (`None` while a service has no page yet: its
    /// officers work through the CLI and the API).
    pub href: Option<&'static str>,
}

/// Every service line's row for the month of `day`, ordered by the plan's clause.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn dashboard(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    let mut rows = crate::events::kpis(app, actor, day).await?;
    rows.extend(crate::financing::kpis(app, actor, day).await?);
    rows.extend(crate::plans::kpis(app, actor, day).await?);
    rows.extend(crate::credit_repair::kpis(app, actor, day).await?);
    rows.extend(crate::utilities::kpis(app, actor, day).await?);
    rows.extend(crate::chains::kpis(app, actor, day).await?);
    rows.extend(crate::legal::kpis(app, actor, day).await?);
    rows.extend(crate::logistics::kpis(app, actor, day).await?);
    rows.sort_by_key(|r| clause_order(r.clause));
    Ok(rows)
}

/// The department that runs a service: the lead of its routing category (an admin may edit
/// the routing; the service follows).
pub async fn lead_department(app: &App, category: &str) -> Result<String> {
    let routing = crate::problems::routing(app).await?;
    routing
        .category(category)
        .and_then(|c| c.lead())
        .map(str::to_string)
        .ok_or_else(|| crate::Error::internal(format!("the routing has no lead department for {category}")))
}

/// `三.10` after `三.9`: the clause's number, not its text.
fn clause_order(clause: &str) -> u32 {
    clause.rsplit('.').next().and_then(|n| n.parse().ok()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clauses_sort_by_number() {
        let mut v = ["三.10", "三.2", "三.15", "三.9"];
        v.sort_by_key(|c| super::clause_order(c));
        assert_eq!(v, ["三.2", "三.9", "三.10", "三.15"]);
    }
}
