//! Visits (走访): a cadre records a visit to one of their enterprises with the problems found
//! there (raised with the channel `visit` and the visit's number); visit lists by scope; and
//! coverage: each cadre's enterprises not visited in a window.

use chrono::NaiveDate;
use handling::CadreCoverage;
use serde::{Deserialize, Serialize};
use store::Role;
use store::problems::{CadreEnterprise, VisitFilter, VisitRecord};

use super::parse_uscc;
use super::raise::{RaiseRequest, raise};
use super::show::Reader;
use super::text::{self, FINDINGS_MAX, Lines, VISIT_PROBLEMS_MAX};
use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};

/// A problem found on a visit.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FoundProblem {
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub urgency: Option<String>,
    #[serde(default)]
    pub confidential: bool,
}

/// A visit to record.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitRequest {
    /// The credit code of one of the cadre's enterprises.
    pub enterprise: String,
    /// `YYYY-MM-DD`, not after today.
    pub date: String,
    /// What the visit found (at most [`FINDINGS_MAX`] characters).
    pub findings: String,
    /// Problems found, raised with the channel `visit` (at most [`VISIT_PROBLEMS_MAX`]).
    #[serde(default)]
    pub problems: Vec<FoundProblem>,
}

/// A recorded visit with the problems it raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitView {
    pub visit: VisitRecord,
    pub problems: Vec<i64>,
}

/// Records a cadre's visit and raises the problems found. The visit and each problem are
/// separate writes: a refused problem leaves the visit (and the problems before it) recorded.
#[tracing::instrument(skip(app, who, req), fields(user = %who.username, problems = req.problems.len()))]
pub async fn record_visit(app: &App, who: &Principal, req: VisitRequest) -> Result<VisitView> {
    let uscc = parse_uscc("enterprise", &req.enterprise)?;
    let Some(head) = app.store.enterprise_head(&uscc).await? else {
        return Err(Error::EnterpriseNotFound { uscc: uscc.to_string() });
    };
    authz::require(who, Action::Write, Resource::Visits { uscc: &uscc, links: &head.links })?;
    let now = app.now();
    let bad_date = |reason: &str| Error::Invalid {
        field: "date".into(),
        value: req.date.clone(),
        reason: reason.into(),
    };
    let date =
        calendar::parse_date(req.date.trim()).map_err(|e| bad_date(&i18n::Localized::bilingual(&e)))?;
    if date > handling::china_date(now) {
        return Err(bad_date("走访日期不能晚于今天 / a visit cannot be dated after today"));
    }
    let findings = text::clean("findings", &req.findings, FINDINGS_MAX, Lines::Many)?;
    if findings.is_empty() {
        return Err(Error::Required {
            field: "findings".into(),
            what: "走访情况 / what the visit found".into(),
        });
    }
    if req.problems.len() > VISIT_PROBLEMS_MAX {
        return Err(Error::Invalid {
            field: "problems".into(),
            value: req.problems.len().to_string(),
            reason: format!(
                "一次走访最多提交 {VISIT_PROBLEMS_MAX} 个问题 / at most {VISIT_PROBLEMS_MAX} a visit"
            ),
        });
    }
    let visit = handling::Visit { enterprise: uscc.clone(), date, cadre: who.username.clone(), findings };
    let id = app.store.add_visit(&visit, &who.stamp(now)).await?;
    let mut raised = Vec::new();
    for f in req.problems {
        let p = raise(
            app,
            who,
            RaiseRequest {
                enterprise: Some(uscc.to_string()),
                category: f.category,
                title: f.title,
                description: f.description,
                channel: Some("visit".into()),
                urgency: f.urgency,
                confidential: f.confidential,
                visit: Some(id),
                ..RaiseRequest::default()
            },
        )
        .await?;
        raised.push(p.id());
    }
    let record = VisitRecord {
        id,
        visit,
        recorded_at: store::problems::china_seconds(now),
        recorded_by: who.username.clone(),
    };
    Ok(VisitView { visit: record, problems: raised })
}

/// Visits `who` may see: a cadre their own, an enterprise user the visits to its enterprise,
/// leaders, supervisors and admins all (or one enterprise's, one cadre's).
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn list_visits(
    app: &App,
    who: &Principal,
    enterprise: Option<&str>,
    cadre: Option<&str>,
) -> Result<Vec<VisitRecord>> {
    let mut f = VisitFilter::default();
    if let Some(e) = enterprise.map(str::trim).filter(|e| !e.is_empty()) {
        f.enterprise = Some(parse_uscc("enterprise", e)?);
    }
    f.cadre = cadre.map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    match who.role {
        Role::Enterprise => {
            let own = who.enterprise.clone().ok_or(Error::Forbidden)?;
            if let Some(e) = f.enterprise.as_ref().filter(|e| **e != own) {
                return Err(Error::EnterpriseNotFound { uscc: e.to_string() });
            }
            f.enterprise = Some(own);
        }
        _ => {
            authz::require(who, Action::Read, Resource::VisitList)?;
            if who.role == Role::Cadre {
                f.cadre = Some(who.username.clone());
            }
        }
    }
    Ok(app.store.list_visits(&f).await?)
}

/// The enterprises linked to a cadre: a cadre's own, or (leaders, supervisors, admins) any
/// cadre's.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn cadre_enterprises(
    app: &App,
    who: &Principal,
    cadre: Option<&str>,
) -> Result<Vec<CadreEnterprise>> {
    authz::require(who, Action::Read, Resource::VisitList)?;
    let cadre = if who.role == Role::Cadre { Some(who.username.as_str()) } else { cadre };
    Ok(app.store.cadre_enterprises(cadre).await?)
}

/// Each cadre's linked enterprises not visited in the `days` calendar days to `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageReport {
    pub as_of: NaiveDate,
    pub days: u32,
    pub cadres: Vec<CadreCoverage>,
    /// Enterprise names by credit code, for the listing.
    #[serde(skip)]
    pub names: std::collections::BTreeMap<enterprise::UnifiedCreditCode, String>,
}

/// Visit coverage (走访覆盖) on `as_of` (default today) over `days` calendar days, for every
/// cadre or one. A cadre sees only their own; leaders, supervisors and admins any; the
/// operator at the command line all.
#[tracing::instrument(skip(app, reader))]
pub async fn coverage(
    app: &App,
    reader: Reader<'_>,
    days: u32,
    as_of: Option<NaiveDate>,
    cadre: Option<&str>,
) -> Result<CoverageReport> {
    let today = as_of.unwrap_or_else(|| app.today());
    let (linked, visits) = match reader {
        Reader::Operator => {
            (app.store.cadre_enterprises(cadre).await?, app.store.list_visits(&VisitFilter::default()).await?)
        }
        Reader::User(p) => (cadre_enterprises(app, p, cadre).await?, list_visits(app, p, None, None).await?),
    };
    let names = linked.iter().map(|l| (l.uscc.clone(), l.name.clone())).collect();
    let assignments: Vec<_> = linked.into_iter().map(|l| (l.cadre, l.uscc)).collect();
    let visits: Vec<handling::Visit> = visits.into_iter().map(|v| v.visit).collect();
    let cadres = handling::coverage(&assignments, &visits, today, days);
    Ok(CoverageReport { as_of: today, days, cadres, names })
}
