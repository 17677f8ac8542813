//! The enterprise directory, one enterprise, its changes and its three links.

use crate::authz::{self, Action, ListScope, Resource};
use crate::{App, Error, Principal, Result};
use enterprise::{FieldChange, ThreeLinks, UnifiedCreditCode};
use serde::{Deserialize, Serialize};
use store::{ChangeRecord, EnterpriseFilter, EnterpriseSummary, EnterpriseView, Page};

/// The most rows one page of the directory returns.
pub const MAX_PER_PAGE: u64 = 200;
/// Rows per page when the request names none.
pub const DEFAULT_PER_PAGE: u64 = 50;

/// A page of the enterprise directory to read. All given filters must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRequest {
    /// A substring of the name or of the credit code.
    pub query: Option<String>,
    /// An exact tag, e.g. 专精特新.
    pub tag: Option<String>,
    /// Only (non-)assistance targets.
    pub assistance_target: Option<bool>,
    /// A GB/T 4754 code prefix (`C`, `C35`, `3511`).
    pub industry: Option<String>,
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// Rows per page, 1 to [`MAX_PER_PAGE`] (default [`DEFAULT_PER_PAGE`]).
    pub per_page: Option<u64>,
}

/// One page of the directory as the principal may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnterpriseList {
    pub items: Vec<EnterpriseSummary>,
    /// How many enterprises match in all.
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// New three links of an enterprise: usernames of the leader and the cadre, the department by
/// code or Chinese name; `None` (or empty) leaves the link unassigned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetLinks {
    pub leader: Option<String>,
    pub department: Option<String>,
    pub cadre: Option<String>,
}

/// Parses a credit code given by a user (a path, a form, an argument).
pub fn parse_uscc(s: &str) -> Result<UnifiedCreditCode> {
    UnifiedCreditCode::parse(s).map_err(|e| Error::Invalid {
        field: "uscc".into(),
        value: s.to_string(),
        reason: i18n::Localized::bilingual(&e),
    })
}

/// A page of the directory: every enterprise for the zone's staff, a cadre's own (read by
/// the links index, never by loading the zone), nothing for an enterprise user.
#[tracing::instrument(skip(app, who, req), fields(user = %who.username))]
pub async fn list_enterprises(app: &App, who: &Principal, req: &ListRequest) -> Result<EnterpriseList> {
    authz::require(who, Action::Read, Resource::EnterpriseList)?;
    let page = req.page.unwrap_or(1);
    let per_page = req.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(invalid("page", page, "从 1 开始 / pages count from 1"));
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(invalid("per_page", per_page, "每页 1 到 200 行 / 1 to 200 rows per page"));
    }
    let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let mut filter = EnterpriseFilter {
        query: text(&req.query),
        assistance_target: req.assistance_target,
        tag: text(&req.tag),
        industry: text(&req.industry),
        ..EnterpriseFilter::default()
    };
    match authz::list_scope(who) {
        ListScope::All => {}
        ListScope::CadreOf(username) => filter.cadre = Some(username),
        ListScope::None => return Err(Error::Forbidden),
    }
    let offset = (page - 1).saturating_mul(per_page);
    let (items, total) = app.store.list_enterprises(&filter, Page::new(offset, per_page)).await?;
    Ok(EnterpriseList { items, total, page, per_page })
}

fn invalid(field: &str, value: u64, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

/// One enterprise the principal may see, with its facts and links; not found (and not
/// revealed) otherwise.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn enterprise(app: &App, who: &Principal, uscc: &str) -> Result<EnterpriseView> {
    let code = parse_uscc(uscc)?;
    let Some(v) = app.store.get_enterprise(&code).await? else {
        return Err(Error::EnterpriseNotFound { uscc: code.to_string() });
    };
    require_visible(who, Action::Read, &code, &v.links)?;
    Ok(v)
}

/// Every recorded change of an enterprise the principal may see, oldest first.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn enterprise_changes(app: &App, who: &Principal, uscc: &str) -> Result<Vec<ChangeRecord>> {
    let code = parse_uscc(uscc)?;
    let Some(head) = app.store.enterprise_head(&code).await? else {
        return Err(Error::EnterpriseNotFound { uscc: code.to_string() });
    };
    require_visible(who, Action::Read, &code, &head.links)?;
    Ok(app.store.enterprise_changes(&code).await?)
}

/// Assigns an enterprise's three links (admin): the leader must be a leader, the cadre a
/// cadre, the department a department; each changed link is recorded. Returns the changes.
#[tracing::instrument(skip(app, who, links), fields(user = %who.username))]
pub async fn set_three_links(
    app: &App,
    who: &Principal,
    uscc: &str,
    links: &SetLinks,
) -> Result<Vec<FieldChange>> {
    let code = parse_uscc(uscc)?;
    let Some(head) = app.store.enterprise_head(&code).await? else {
        return Err(Error::EnterpriseNotFound { uscc: code.to_string() });
    };
    require_visible(who, Action::Write, &code, &head.links)?;
    let clean = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let links = ThreeLinks {
        leader: clean(&links.leader),
        department: clean(&links.department),
        cadre: clean(&links.cadre),
    };
    Ok(app.store.set_three_links(&code, &links, &who.stamp(app.now())).await?)
}

fn require_visible(
    who: &Principal,
    action: Action,
    code: &UnifiedCreditCode,
    links: &ThreeLinks,
) -> Result<()> {
    match authz::authorize(who, action, Resource::Enterprise { uscc: code, links }) {
        authz::Decision::Allow => Ok(()),
        authz::Decision::Forbidden => Err(Error::Forbidden),
        authz::Decision::Hidden => Err(Error::EnterpriseNotFound { uscc: code.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enterprise::{Enterprise, EnterpriseRecord};
    use std::sync::Arc;
    use store::{ImportFormat, ImportRequest, NewUser, Role};

    fn code(n: u32) -> UnifiedCreditCode {
        UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 10_000_000 + n)).unwrap()
    }

    fn who(username: &str, role: Role) -> Principal {
        Principal {
            username: username.into(),
            role,
            enterprise: (role == Role::Enterprise).then(|| code(1)),
            department: None,
            display_name: username.into(),
        }
    }

    /// A zone of 30 enterprises, the cadre `c1` linked to every third.
    async fn zone() -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let s = store_sqlite::SqliteStore::open(dir.path().join("a.db")).unwrap();
        store::Store::migrate(&s).await.unwrap();
        store::ReferenceStore::seed_reference_data(&s).await.unwrap();
        let app = App::new(Arc::new(s));
        let now = app.now();
        let records = (1..=30)
            .map(|n| {
                EnterpriseRecord::whole(
                    Enterprise {
                        uscc: code(n),
                        name: format!("企业{n}"),
                        registered_in_zone: true,
                        tax_registered_in_zone: true,
                        industry_code: None,
                        established_on: None,
                        taxpayer_type: None,
                        tax_credit_rating: None,
                        tags: Default::default(),
                    },
                    vec![],
                )
            })
            .collect();
        let req = ImportRequest {
            actor: store::Stamp::new("t", now),
            file_name: "t".into(),
            format: ImportFormat::Generated,
            records,
            dry_run: false,
        };
        app.store.apply_import(req).await.unwrap();
        let user = NewUser {
            username: "c1".into(),
            role: Role::Cadre,
            password_hash: "x".into(),
            enterprise: None,
            department: None,
            display_name: "c1".into(),
            at: now,
        };
        app.store.create_user(&user).await.unwrap();
        let admin = who("admin", Role::Admin);
        for n in (3..=30).step_by(3) {
            let links = SetLinks { cadre: Some("c1".into()), ..SetLinks::default() };
            set_three_links(&app, &admin, code(n).as_str(), &links).await.unwrap();
        }
        (app, dir)
    }

    #[tokio::test]
    async fn each_role_lists_its_own_in_pages_and_bad_pages_are_refused() {
        let (app, _dir) = zone().await;
        let req = |page, per_page| ListRequest {
            page: Some(page),
            per_page: Some(per_page),
            ..ListRequest::default()
        };
        let all = list_enterprises(&app, &who("d", Role::Department), &req(2, 20)).await.unwrap();
        assert_eq!((all.total, all.items.len()), (30, 10));
        let mine = list_enterprises(&app, &who("c1", Role::Cadre), &req(1, 4)).await.unwrap();
        assert_eq!((mine.total, mine.items.len()), (10, 4), "the cadre's own, paged");
        assert_eq!(mine.items[0].uscc, code(3));
        let other = list_enterprises(&app, &who("c2", Role::Cadre), &req(1, 50)).await.unwrap();
        assert_eq!(other.total, 0);
        assert!(matches!(
            list_enterprises(&app, &who("e", Role::Enterprise), &req(1, 50)).await,
            Err(Error::Forbidden)
        ));
        for (page, per_page, field) in
            [(0, 10, "page"), (1, 0, "per_page"), (1, MAX_PER_PAGE + 1, "per_page")]
        {
            match list_enterprises(&app, &who("d", Role::Department), &req(page, per_page)).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn links_are_assigned_by_an_admin_and_hide_what_a_cadre_may_not_see() {
        let (app, _dir) = zone().await;
        let links = SetLinks { cadre: Some("c1".into()), ..SetLinks::default() };
        let cadre = who("c1", Role::Cadre);
        assert!(matches!(
            set_three_links(&app, &cadre, code(3).as_str(), &links).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            set_three_links(&app, &cadre, code(1).as_str(), &links).await,
            Err(Error::EnterpriseNotFound { .. })
        ));
        assert!(enterprise(&app, &cadre, code(3).as_str()).await.is_ok());
        assert!(matches!(
            enterprise(&app, &cadre, code(1).as_str()).await,
            Err(Error::EnterpriseNotFound { .. })
        ));
        assert!(matches!(enterprise(&app, &cadre, "not-a-code").await, Err(Error::Invalid { .. })));
        let changes = enterprise_changes(&app, &cadre, code(3).as_str()).await.unwrap();
        assert!(changes.iter().any(|c| c.field == "links.cadre"));
    }
}
