//! Authorisation, decided in one place: [`authorize`] over the principal's role and the
//! resource's ownership. Pure: no I/O; handlers load the resource (e.g. an enterprise with its
//! three links) and ask.
//!
//! Who may see which enterprise:
//! - enterprise user: only its own enterprise;
//! - cadre (驻企干部): the enterprises whose three links name them as cadre;
//! - department staff: every enterprise, read-only (they handle problems raised by any
//!   enterprise routed to their department; their *queue* is scoped when problems land);
//! - leader: every enterprise, read-only (dashboards), and their linked ones first;
//! - supervisor, policy officer, admin: every enterprise.
//!
//! An enterprise's policy decisions are visible exactly when the enterprise is; the policy
//! library (public documents) is read by every signed-in role.
//!
//! 404 versus 403: a denial on a *specific enterprise* is [`Decision::Hidden`] (404), so an
//! enterprise user or cadre cannot learn whether another credit code exists in the zone. A
//! denial on a *kind* of resource or action (user administration, editing the routing table,
//! the enterprise directory for an enterprise user) is [`Decision::Forbidden`] (403): the
//! route's existence is public in the OpenAPI document anyway.
//!
//! Who may see which problem (诉求, the three lists):
//! - enterprise user: only its own enterprise's problems; raises problems for itself only;
//! - cadre: the problems of the enterprises linked to them; raises problems (channel visit)
//!   for those enterprises;
//! - department staff: the problems routed to their department (lead or cooperating, now or
//!   in an earlier assignment): their queue;
//! - leader, supervisor, admin: every problem (dashboards, escalation, supervision);
//! - policy officer: none;
//! - a confidential problem (商业秘密) shows its details only to its enterprise, its lead and
//!   cooperating departments and supervisors ([`handling::visibility`]); the others who may
//!   see it at all see its summary.
//!
//! A problem the principal may not see is [`Decision::Hidden`] (404), like an enterprise.
//!
//! Who may read and add a problem's attachments (附件):
//! - read: whoever sees the problem's details (so a confidential problem's files only its
//!   enterprise, its departments and supervisors); seeing only the summary is 403;
//! - add: the enterprise (its own problem), the problem's lead and cooperating departments
//!   and supervisors, while the problem is not closed or withdrawn; anyone else who sees the
//!   problem gets 403.

use crate::Principal;
use crate::error::Error;
use enterprise::{ThreeLinks, UnifiedCreditCode};
use store::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// One problem. `links` are its enterprise's three links (for the cadre rule). Read is
    /// seeing it at all (the detail level is [`problem_visibility`]); Write is acting on it
    /// (the domain then decides whether the action is legal for this user).
    Problem { state: &'a handling::ProblemState, links: &'a ThreeLinks },
    /// Raising a problem for an enterprise.
    NewProblem { uscc: &'a UnifiedCreditCode, links: &'a ThreeLinks },
    /// A problem's attachments: read (list and download) or add one (Write).
    Attachments { state: &'a handling::ProblemState, links: &'a ThreeLinks },
    /// The problem list and queue; what it shows is [`problem_scope`].
    ProblemList,
    /// Visit records (走访) of one enterprise: read them, or record one (Write).
    Visits { uscc: &'a UnifiedCreditCode, links: &'a ThreeLinks },
    /// The visit list; a cadre sees their own visits.
    VisitList,
    /// KPIs of the three lists.
    Kpi,
    /// The dashboard, the supervision report and the ledger (问题台账).
    Supervision,
    /// One enterprise (profile, facts, links, change history).
    Enterprise { uscc: &'a UnifiedCreditCode, links: &'a ThreeLinks },
    /// The enterprise directory (list and search); what it shows is [`list_scope`].
    EnterpriseList,
    /// Departments and the routing table.
    Routing,
    /// Users and their roles.
    Users,
    /// The import page: enterprise files and past import batches (admin only).
    Imports,
    /// The policy library: documents, items, their rules, parameters and test results.
    /// Policies are public documents: every signed-in role reads them; only policy officers
    /// and admins change them.
    PolicyLibrary,
    /// The zone's time limits (办理时限): every signed-in role reads them (they are the rules
    /// problems are handled under); only admins change them.
    TimeLimits,
    /// The zone settings (园区设置: the supervision thresholds, …): every signed-in role reads
    /// them (they are shown with what they decide); only admins change them.
    ZoneSettings,
    /// The working-day calendar (工作日历): every signed-in role reads its years and their
    /// status (it decides every deadline); only admins load a year's notice.
    Calendar,
    /// The spot checks of closures without confirmation (抽查回访): supervisors and admins
    /// draw the sample; supervisors record the check on each problem.
    SpotChecks,
    /// One enterprise's policy decisions (eligibility, amount, missing facts, explanation).
    /// Visible exactly when the enterprise is: an enterprise sees only its own, a cadre their
    /// linked enterprises, the other roles all; decisions are computed, never written.
    Decisions { uscc: &'a UnifiedCreditCode, links: &'a ThreeLinks },
    /// 免申即享 grant runs (授予批次): read (runs, lists, needs-data, objections) by officials
    /// (department, policy, leader, supervisor, finance, admin); Write (run, publicise, handle
    /// objections) by department and policy officers and admins.
    GrantRuns,
    /// Approving a grant run and its budget decision: leaders and admins. Which *person* may
    /// approve (never the preparer, once each) the database decides.
    GrantApproval,
    /// Payment files, payment results and reconciliation (the finance officer's work):
    /// finance officers (财务经办), department officers, leaders and admins. The issuer is never the preparer or an
    /// approver (the database decides).
    GrantPayments,
    /// Objecting to one enterprise's grant during publicity: the enterprise itself and every
    /// official who may see the enterprise.
    GrantObjection { uscc: &'a UnifiedCreditCode, links: &'a ThreeLinks },
    /// Push (推送): the delivery channels, enterprises' gateway contacts and the outbox
    /// (发件箱): administrators only. An enterprise's inbox is read as its decisions are
    /// ([`Resource::Decisions`]); only the enterprise itself marks it read.
    Push,
    /// Events (活动, issue 15): every signed-in role reads them (an enterprise sees those whose
    /// audience it is in, and its own registrations: `app::events`); department officers,
    /// policy officers and admins publish and run them (check-in, capacity, cancel).
    Events,
    /// One enterprise's registration for an event: the enterprise itself, and every official
    /// who may see the enterprise (registering on its behalf, e.g. by telephone).
    EventRegistration { uscc: &'a UnifiedCreditCode, links: &'a ThreeLinks },
    /// One's own notifications (通知, issue 14): every signed-in person reads and marks read
    /// their own (those addressed to them, their department or their enterprise); the
    /// system principal has none. Nobody reads another's.
    OwnNotifications,
    /// Financing (融资对接, issue 15): products are read by every signed-in role and written
    /// by financial institutions (their own: `app::financing`), the financing officers and
    /// admins; demands are read by enterprises (their own), institutions (those matched to
    /// their products), cadres (linked enterprises) and officials, and written (posted,
    /// withdrawn) by enterprises, cadres, the financing officers and admins. Which demand a
    /// reader sees is `app::financing`'s scope.
    Financing,
    /// One enterprise's 一企一对策 plan or credit repair case (issue 15): read by whoever may
    /// see the enterprise (the enterprise itself read-only, its cadre, every official);
    /// written by department officers and admins only (which department may do what is
    /// `app::plans` and `app::credit_repair`: the running department, a measure's owner).
    ServiceCase { uscc: &'a UnifiedCreditCode, links: &'a ThreeLinks },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// 403.
    Forbidden,
    /// 404: the resource's existence is not revealed.
    Hidden,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Which enterprises a principal's directory shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    All,
    /// Enterprises whose cadre link is this username.
    CadreOf(String),
    None,
}

/// The one authorisation decision.
pub fn authorize(p: &Principal, action: Action, resource: Resource<'_>) -> Decision {
    use Decision::*;
    match resource {
        Resource::Problem { state, links } => match problem_visibility(p, state, links) {
            handling::Visibility::Hidden => Hidden,
            _ => Allow,
        },
        Resource::Attachments { state, links } => match problem_visibility(p, state, links) {
            handling::Visibility::Hidden => Hidden,
            handling::Visibility::Summary => Forbidden,
            handling::Visibility::Full if action == Action::Read => Allow,
            // Writing is the domain's `attach` rule: state, role and ownership.
            handling::Visibility::Full if handling::may_attach(state, &actor_of(p)) => Allow,
            handling::Visibility::Full => Forbidden,
        },
        Resource::NewProblem { uscc, links } => match raise_scope(p) {
            RaiseScope::Own(own) if own == *uscc => Allow,
            RaiseScope::Linked if links.cadre.as_deref() == Some(p.username.as_str()) => Allow,
            RaiseScope::Any => Allow,
            RaiseScope::Own(_) | RaiseScope::Linked => Hidden,
            RaiseScope::None => Forbidden,
        },
        Resource::ProblemList => match problem_scope(p) {
            ProblemScope::None => Forbidden,
            _ if action == Action::Read => Allow,
            _ => Forbidden,
        },
        Resource::Visits { uscc, links } => {
            let visible = match p.role {
                Role::Enterprise => p.enterprise.as_ref() == Some(uscc),
                Role::Cadre => links.cadre.as_deref() == Some(p.username.as_str()),
                Role::Leader | Role::Supervisor | Role::Admin => true,
                Role::Department
                | Role::Policy
                | Role::Finance
                | Role::FinancialInstitution
                | Role::System => false,
            };
            match (visible, action) {
                (false, _)
                    if matches!(
                        p.role,
                        Role::Department
                            | Role::Policy
                            | Role::Finance
                            | Role::FinancialInstitution
                            | Role::System
                    ) =>
                {
                    Forbidden
                }
                (false, _) => Hidden,
                (true, Action::Read) => Allow,
                (true, Action::Write) if p.role == Role::Cadre => Allow,
                (true, Action::Write) => Forbidden,
            }
        }
        Resource::VisitList => match (p.role, action) {
            (Role::Cadre | Role::Leader | Role::Supervisor | Role::Admin, Action::Read) => Allow,
            _ => Forbidden,
        },
        Resource::Kpi => match (p.role, action) {
            (Role::Department | Role::Leader | Role::Supervisor | Role::Admin, Action::Read) => Allow,
            _ => Forbidden,
        },
        Resource::Supervision => match (p.role, action) {
            (Role::Leader | Role::Supervisor | Role::Admin, Action::Read) => Allow,
            _ => Forbidden,
        },
        Resource::Enterprise { uscc, links } => {
            let visible = match p.role {
                Role::Enterprise => p.enterprise.as_ref() == Some(uscc),
                Role::Cadre => links.cadre.as_deref() == Some(p.username.as_str()),
                Role::Department
                | Role::Leader
                | Role::Supervisor
                | Role::Policy
                | Role::Finance
                | Role::Admin => true,
                Role::FinancialInstitution | Role::System => false,
            };
            match (visible, action) {
                (false, _) => Hidden,
                (true, Action::Read) => Allow,
                (true, Action::Write) if p.role == Role::Admin => Allow,
                (true, Action::Write) => Forbidden,
            }
        }
        Resource::EnterpriseList => match (action, list_scope(p)) {
            (Action::Read, ListScope::None) => Forbidden,
            (Action::Read, _) => Allow,
            (Action::Write, _) => Forbidden,
        },
        Resource::Routing => match action {
            Action::Read => Allow,
            Action::Write if p.role == Role::Admin => Allow,
            Action::Write => Forbidden,
        },
        Resource::Users | Resource::Imports | Resource::Push => {
            if p.role == Role::Admin {
                Allow
            } else {
                Forbidden
            }
        }
        Resource::PolicyLibrary => match action {
            Action::Read => Allow,
            Action::Write if matches!(p.role, Role::Policy | Role::Admin) => Allow,
            Action::Write => Forbidden,
        },
        Resource::SpotChecks => match (p.role, action) {
            (Role::Supervisor | Role::Admin, Action::Read) => Allow,
            _ => Forbidden,
        },
        Resource::TimeLimits | Resource::ZoneSettings | Resource::Calendar => match action {
            Action::Read => Allow,
            Action::Write if p.role == Role::Admin => Allow,
            Action::Write => Forbidden,
        },
        Resource::GrantRuns => match (p.role, action) {
            (Role::Department | Role::Policy | Role::Admin, _) => Allow,
            (Role::Leader | Role::Supervisor | Role::Finance, Action::Read) => Allow,
            _ => Forbidden,
        },
        Resource::GrantApproval => match p.role {
            Role::Leader | Role::Admin => Allow,
            _ => Forbidden,
        },
        Resource::GrantPayments => match p.role {
            Role::Finance | Role::Department | Role::Leader | Role::Admin => Allow,
            _ => Forbidden,
        },
        Resource::GrantObjection { uscc, links } => {
            authorize(p, Action::Read, Resource::Enterprise { uscc, links })
        }
        Resource::Events => match (p.role, action) {
            (_, Action::Read) => Allow,
            (Role::Department | Role::Policy | Role::Admin, Action::Write) => Allow,
            _ => Forbidden,
        },
        Resource::EventRegistration { uscc, links } => {
            authorize(p, Action::Read, Resource::Enterprise { uscc, links })
        }
        Resource::OwnNotifications => match p.role {
            Role::System => Forbidden,
            _ => Allow,
        },
        Resource::Financing => match (p.role, action) {
            (Role::System, _) => Forbidden,
            (_, Action::Read) => Allow,
            (
                Role::Enterprise | Role::Cadre | Role::Department | Role::FinancialInstitution | Role::Admin,
                _,
            ) => Allow,
            _ => Forbidden,
        },
        Resource::ServiceCase { uscc, links } => {
            match authorize(p, Action::Read, Resource::Enterprise { uscc, links }) {
                Allow if action == Action::Read => Allow,
                Allow if matches!(p.role, Role::Department | Role::Admin) => Allow,
                Allow => Forbidden,
                other => other,
            }
        }
        Resource::Decisions { uscc, links } => {
            match authorize(p, Action::Read, Resource::Enterprise { uscc, links }) {
                Allow if action == Action::Read => Allow,
                Allow => Forbidden,
                other => other,
            }
        }
    }
}

/// Which problems a principal's lists show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemScope {
    All,
    /// One enterprise's problems.
    Enterprise(UnifiedCreditCode),
    /// Problems routed to a department (lead or cooperating).
    Department(String),
    /// Problems of the enterprises whose cadre link is this username.
    CadreOf(String),
    None,
}

/// For which enterprises a principal may raise a problem: an enterprise for itself
/// (self-service), a cadre for the enterprises linked to them (visits), leaders, supervisors
/// and admins for any (intake, 代录: hotline, meeting, visit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaiseScope {
    Own(UnifiedCreditCode),
    /// The enterprises whose cadre link is the principal.
    Linked,
    Any,
    None,
}

/// Who may raise problems for which enterprises ([`Resource::NewProblem`] asks it per
/// enterprise; the intake page asks it to know what to offer).
pub fn raise_scope(p: &Principal) -> RaiseScope {
    match p.role {
        Role::Enterprise => p.enterprise.clone().map_or(RaiseScope::None, RaiseScope::Own),
        Role::Cadre => RaiseScope::Linked,
        Role::Leader | Role::Supervisor | Role::Admin => RaiseScope::Any,
        Role::Department | Role::Policy | Role::Finance | Role::FinancialInstitution | Role::System => {
            RaiseScope::None
        }
    }
}

/// What the problem list shows a principal.
pub fn problem_scope(p: &Principal) -> ProblemScope {
    match p.role {
        Role::Enterprise => p.enterprise.clone().map_or(ProblemScope::None, ProblemScope::Enterprise),
        Role::Department => p.department.clone().map_or(ProblemScope::None, ProblemScope::Department),
        Role::Cadre => ProblemScope::CadreOf(p.username.clone()),
        Role::Leader | Role::Supervisor | Role::Admin => ProblemScope::All,
        Role::Policy | Role::Finance | Role::FinancialInstitution | Role::System => ProblemScope::None,
    }
}

/// The domain's actor for a principal.
pub fn actor_of(p: &Principal) -> handling::Actor {
    p.handling_actor()
}

/// How much of a problem a principal sees: the scope rules above, then the domain's
/// confidentiality rule ([`handling::visibility`]).
pub fn problem_visibility(
    p: &Principal,
    s: &handling::ProblemState,
    links: &ThreeLinks,
) -> handling::Visibility {
    let in_scope = match p.role {
        Role::Enterprise => p.enterprise.as_ref() == Some(&s.problem.enterprise),
        Role::Cadre => links.cadre.as_deref() == Some(p.username.as_str()),
        Role::Department => p.department.as_ref().is_some_and(|d| {
            *d == s.lead || s.cooperating.contains(d) || s.assignments.iter().any(|a| a.department == *d)
        }),
        Role::Leader | Role::Supervisor | Role::Admin => true,
        Role::Policy | Role::Finance | Role::FinancialInstitution | Role::System => false,
    };
    if !in_scope {
        return handling::Visibility::Hidden;
    }
    handling::visibility(s, &actor_of(p))
}

/// What the enterprise directory shows a principal.
pub fn list_scope(p: &Principal) -> ListScope {
    match p.role {
        Role::Enterprise => ListScope::None,
        Role::Cadre => ListScope::CadreOf(p.username.clone()),
        Role::Department | Role::Leader | Role::Supervisor | Role::Policy | Role::Finance | Role::Admin => {
            ListScope::All
        }
        Role::FinancialInstitution | Role::System => ListScope::None,
    }
}

/// [`authorize`], as a result for handlers: `Forbidden` → 403, `Hidden` → 404.
pub fn require(p: &Principal, action: Action, resource: Resource<'_>) -> Result<(), Error> {
    match authorize(p, action, resource) {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(Error::Forbidden),
        Decision::Hidden if matches!(resource, Resource::Problem { .. } | Resource::Attachments { .. }) => {
            Err(Error::ProblemNotFound { id: String::new() })
        }
        Decision::Hidden if matches!(resource, Resource::NewProblem { .. } | Resource::Visits { .. }) => {
            let (Resource::NewProblem { uscc, .. } | Resource::Visits { uscc, .. }) = resource else {
                return Err(Error::Forbidden);
            };
            Err(Error::EnterpriseNotFound { uscc: uscc.to_string() })
        }
        Decision::Hidden => Err(Error::EnterpriseNotFound {
            uscc: match resource {
                Resource::Enterprise { uscc, .. } | Resource::Decisions { uscc, .. } => uscc.to_string(),
                _ => String::new(),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnifiedCreditCode {
        UnifiedCreditCode::parse(s).unwrap()
    }

    fn who(role: Role, ent: Option<&str>) -> Principal {
        Principal {
            username: format!("{role}1"),
            role,
            enterprise: ent.map(code),
            department: (role == Role::Department).then(|| "tax_bureau".to_string()),
            display_name: String::new(),
        }
    }

    const A: &str = "914403001922038216";
    const B: &str = "91110108551385082Q";

    #[test]
    fn enterprises_see_only_themselves_and_others_are_hidden() {
        let a = code(A);
        let links = ThreeLinks { cadre: Some("cadre1".into()), ..ThreeLinks::default() };
        let e = who(Role::Enterprise, Some(A));
        assert_eq!(
            authorize(&e, Action::Read, Resource::Enterprise { uscc: &a, links: &links }),
            Decision::Allow
        );
        let b = code(B);
        assert_eq!(
            authorize(&e, Action::Read, Resource::Enterprise { uscc: &b, links: &links }),
            Decision::Hidden
        );
        assert_eq!(
            authorize(&e, Action::Write, Resource::Enterprise { uscc: &a, links: &links }),
            Decision::Forbidden
        );
        assert_eq!(authorize(&e, Action::Read, Resource::EnterpriseList), Decision::Forbidden);
    }

    #[test]
    fn cadres_see_their_linked_enterprises() {
        let a = code(A);
        let mine = ThreeLinks { cadre: Some("cadre1".into()), ..ThreeLinks::default() };
        let other = ThreeLinks { cadre: Some("cadre2".into()), ..ThreeLinks::default() };
        let c = who(Role::Cadre, None);
        assert_eq!(
            authorize(&c, Action::Read, Resource::Enterprise { uscc: &a, links: &mine }),
            Decision::Allow
        );
        assert_eq!(
            authorize(&c, Action::Read, Resource::Enterprise { uscc: &a, links: &other }),
            Decision::Hidden
        );
        assert_eq!(list_scope(&c), ListScope::CadreOf("cadre1".into()));
    }

    #[test]
    fn decisions_follow_enterprise_visibility_and_the_library_is_read_by_all() {
        let (a, b) = (code(A), code(B));
        let links = ThreeLinks { cadre: Some("cadre1".into()), ..ThreeLinks::default() };
        for r in Role::USERS {
            let p = who(r, (r == Role::Enterprise).then_some(A));
            let own = Resource::Decisions { uscc: &a, links: &links };
            let other = Resource::Decisions { uscc: &b, links: &ThreeLinks::default() };
            if r == Role::FinancialInstitution {
                // An institution sees no enterprise's record, only the financing demands
                // matched to its products (app::financing).
                assert_eq!(authorize(&p, Action::Read, own), Decision::Hidden);
                assert_eq!(authorize(&p, Action::Read, other), Decision::Hidden);
                assert_eq!(authorize(&p, Action::Read, Resource::PolicyLibrary), Decision::Allow);
                continue;
            }
            assert_eq!(authorize(&p, Action::Read, own), Decision::Allow, "{r}");
            let sees_other = !matches!(r, Role::Enterprise | Role::Cadre);
            let expected = if sees_other { Decision::Allow } else { Decision::Hidden };
            assert_eq!(authorize(&p, Action::Read, other), expected, "{r}");
            assert_eq!(authorize(&p, Action::Write, own), Decision::Forbidden, "{r}");
            assert_eq!(authorize(&p, Action::Read, Resource::PolicyLibrary), Decision::Allow, "{r}");
            let writes = matches!(r, Role::Policy | Role::Admin);
            assert_eq!(authorize(&p, Action::Write, Resource::PolicyLibrary).is_allowed(), writes, "{r}");
        }
    }

    #[test]
    fn only_admins_write_routing_and_manage_users() {
        for r in Role::USERS {
            let p = who(r, (r == Role::Enterprise).then_some(A));
            let admin = r == Role::Admin;
            assert_eq!(authorize(&p, Action::Read, Resource::Routing), Decision::Allow);
            assert_eq!(authorize(&p, Action::Write, Resource::Routing).is_allowed(), admin, "{r}");
            assert_eq!(authorize(&p, Action::Read, Resource::Users).is_allowed(), admin, "{r}");
            assert_eq!(authorize(&p, Action::Write, Resource::EnterpriseList), Decision::Forbidden);
        }
    }
}
