//! Common problems (共性问题): open problems of different enterprises with similar texts,
//! grouped for leaders ([`search::cluster`]: TF-IDF cosine over jieba words, docs/SEARCH.md),
//! with their members, departments and ages; a leader turns a group into a governance item
//! (治理事项) with its own owner department and deadline; closing it notifies every member
//! enterprise (a notice on its home page), in one transaction with its audit record.
//!
//! Who: leaders, supervisors and admins see the groups (they see every problem); leaders and
//! admins make and close governance items.

use chrono::NaiveDate;
use serde::Serialize;
use store::Role;
use store::content::GovernanceItem;

use crate::problems::text::{Lines, clean};
use crate::{App, Error, Principal, Result};

/// One member of a common problem.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: i64,
    pub enterprise: String,
    pub title: String,
    pub lead_department: String,
    /// Days since it was received.
    pub age_days: i64,
}

/// A group of similar open problems.
#[derive(Debug, Clone, Serialize)]
pub struct CommonProblem {
    /// The members' most frequent title (what the group is about).
    pub title: String,
    pub members: Vec<Member>,
    pub enterprises: usize,
    pub departments: Vec<String>,
    pub oldest_days: i64,
}

fn leader_like(p: &Principal) -> bool {
    matches!(p.role, Role::Leader | Role::Supervisor | Role::Admin)
}

/// The open problems read for grouping, a page at a time.
async fn open_problems(app: &App) -> Result<Vec<store::content::ProblemSearchRow>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let rows = app.store.problems_for_search(after, 10_000).await?;
        let Some(last) = rows.last().map(|r| r.last_seq) else { break };
        after = last;
        let n = rows.len();
        out.extend(
            rows.into_iter().filter(|r| handling::State::parse(&r.state).is_some_and(|s| s.is_open())),
        );
        if n < 10_000 {
            break;
        }
    }
    Ok(out)
}

/// The common problems among the open ones, largest first.
#[tracing::instrument(skip(app, p), fields(user = %p.username))]
pub async fn groups(app: &App, p: &Principal) -> Result<Vec<CommonProblem>> {
    if !leader_like(p) {
        return Err(Error::Forbidden);
    }
    let rows = open_problems(app).await?;
    let texts: Vec<search::cluster::Text> = rows
        .iter()
        .map(|r| search::cluster::Text {
            owner: r.uscc.clone(),
            text: if r.confidential { r.title.clone() } else { format!("{} {}", r.title, r.description) },
        })
        .collect();
    let groups = tokio::task::spawn_blocking(move || {
        search::cluster::group(&texts, &search::cluster::Settings::default())
    })
    .await
    .map_err(Error::internal)?;
    let today = app.today();
    Ok(groups
        .into_iter()
        .map(|g| {
            let members: Vec<Member> = g
                .iter()
                .map(|&i| {
                    let r = &rows[i];
                    Member {
                        id: r.id,
                        enterprise: r.uscc.clone(),
                        title: r.title.clone(),
                        lead_department: r.lead_department.clone(),
                        age_days: (today - store::model::china_date(r.received_at)).num_days(),
                    }
                })
                .collect();
            let mut counts = std::collections::BTreeMap::<&str, usize>::new();
            for m in &members {
                *counts.entry(m.title.as_str()).or_default() += 1;
            }
            let title =
                counts.iter().max_by_key(|(_, c)| **c).map(|(t, _)| t.to_string()).unwrap_or_default();
            let mut enterprises: Vec<&str> = members.iter().map(|m| m.enterprise.as_str()).collect();
            enterprises.sort_unstable();
            enterprises.dedup();
            let mut departments: Vec<String> = members.iter().map(|m| m.lead_department.clone()).collect();
            departments.sort();
            departments.dedup();
            CommonProblem {
                title,
                enterprises: enterprises.len(),
                departments,
                oldest_days: members.iter().map(|m| m.age_days).max().unwrap_or(0),
                members,
            }
        })
        .collect())
}

/// A governance item to make of a group.
#[derive(Debug, Clone, Default)]
pub struct GovernRequest {
    pub title: String,
    /// Department code or name.
    pub owner: String,
    /// `YYYY-MM-DD`, after today.
    pub due: String,
    /// The member problems' ids.
    pub members: Vec<i64>,
}

/// Makes a governance item (leaders, admins).
#[tracing::instrument(skip(app, p, req), fields(user = %p.username))]
pub async fn govern(app: &App, p: &Principal, req: GovernRequest) -> Result<GovernanceItem> {
    if !matches!(p.role, Role::Leader | Role::Admin) {
        return Err(Error::Forbidden);
    }
    let title = clean("title", &req.title, 200, Lines::One)?;
    if title.is_empty() {
        return Err(Error::Required { field: "title".into(), what: "治理事项名称 / a title".into() });
    }
    let routing = crate::problems::routing(app).await?;
    let owner =
        routing.department(req.owner.trim()).map(|d| d.code.clone()).ok_or_else(|| Error::Invalid {
            field: "owner".into(),
            value: req.owner.clone(),
            reason: "部门代码或名称 / a department code or name".into(),
        })?;
    let due: NaiveDate = calendar::parse_date(&req.due).map_err(|e| Error::Invalid {
        field: "due".into(),
        value: req.due.clone(),
        reason: i18n::Localized::bilingual(&e),
    })?;
    if due <= app.today() {
        return Err(Error::Invalid {
            field: "due".into(),
            value: req.due.clone(),
            reason: "期限须晚于今天 / the deadline must be after today".into(),
        });
    }
    if req.members.len() < 2 || req.members.len() > 1_000 {
        return Err(Error::Invalid {
            field: "members".into(),
            value: req.members.len().to_string(),
            reason: "治理事项须包含 2 至 1000 件诉求 / a governance item has 2 to 1,000 problems".into(),
        });
    }
    let mut members = req.members.clone();
    members.sort_unstable();
    members.dedup();
    for id in &members {
        app.store.get_problem(*id).await.map_err(|_| Error::ProblemNotFound { id: id.to_string() })?;
    }
    let now = app.now();
    let item = GovernanceItem {
        id: 0,
        title,
        owner,
        due,
        members,
        open: true,
        created_by: p.username.clone(),
        created_at: now,
        resolution: None,
        closed_by: None,
        closed_at: None,
    };
    Ok(app.store.create_governance(&item, &p.stamp(now)).await?)
}

/// The governance items, newest first (leaders, supervisors, admins).
pub async fn governance(app: &App, p: &Principal) -> Result<Vec<GovernanceItem>> {
    if !leader_like(p) {
        return Err(Error::Forbidden);
    }
    Ok(app.store.governance_items().await?)
}

/// Closes a governance item with its resolution and notifies each member enterprise.
#[tracing::instrument(skip(app, p, resolution), fields(user = %p.username))]
pub async fn close(app: &App, p: &Principal, id: i64, resolution: &str) -> Result<usize> {
    if !matches!(p.role, Role::Leader | Role::Admin) {
        return Err(Error::Forbidden);
    }
    let resolution = clean("resolution", resolution, 2_000, Lines::Many)?;
    if resolution.is_empty() {
        return Err(Error::Required {
            field: "resolution".into(),
            what: "解决情况 / how it was solved".into(),
        });
    }
    let item = app.store.governance_items().await?.into_iter().find(|g| g.id == id).ok_or_else(|| {
        store::StoreError::DocumentNotFound { kind: "governance".into(), name: id.to_string() }
    })?;
    let mut notices = Vec::new();
    for m in &item.members {
        let rec = app.store.get_problem(*m).await?;
        notices.push((
            rec.row.enterprise.to_string(),
            Some(*m),
            format!("您反映的问题（第{m}号诉求）已作为共性问题“{}”集中解决：{resolution}", item.title),
        ));
    }
    if !app.store.close_governance(id, &resolution, &notices, &p.stamp(app.now())).await? {
        return Err(Error::Invalid {
            field: "id".into(),
            value: id.to_string(),
            reason: "该治理事项已办结 / the governance item is already closed".into(),
        });
    }
    Ok(notices.len())
}

/// An enterprise's notices (its own), newest first.
pub async fn notices(app: &App, p: &Principal) -> Result<Vec<store::content::EnterpriseNotice>> {
    let Some(e) = &p.enterprise else { return Err(Error::Forbidden) };
    Ok(app.store.enterprise_notices(e.as_str(), 50).await?)
}
