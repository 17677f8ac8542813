//! Page templates (askama, compiled in from `templates/`, HTML autoescaped) and what they
//! show. Every label comes from the `ui.*` keys of `messages.toml` through [`Tr`], so each
//! page exists in Chinese and English.
//!
//! The navigation names the places of later capabilities (问题, 政策匹配, 免申即享, 政策检索):
//! [`Place::href`] gives `None` until their pages exist, and such places are not shown.

use crate::auth::Principal;
use crate::error::WebError;
use crate::routes::admin::{CategoryOut, DepartmentOut, UserOut};
use crate::routes::enterprises::{ChangeOut, EnterpriseList, EnterpriseOut, FactOut, ListQuery};
use crate::routes::health::Health;
use askama::Template;
use axum::response::Html;
use i18n::Lang;
use store::Role;

pub use crate::lang::Tr;

/// Renders a template.
pub fn render<T: Template>(t: &T) -> Result<Html<String>, WebError> {
    t.render().map(Html).map_err(WebError::internal)
}

/// A place in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Home,
    Enterprises,
    /// 问题 (problems): the list, or a department's queue.
    Problems,
    /// 走访: a cadre's enterprises, last visits and the visit form.
    Visits,
    /// 督查看板: leaders' and supervisors' dashboard.
    Dashboard,
    /// 政策匹配 (policy matches): comes with the rules engine.
    PolicyMatches,
    /// 免申即享: comes with no-application grants.
    NoApplication,
    /// 政策检索: comes with policy search.
    PolicySearch,
    /// 政策库: the policy library (documents, items, rules, test results).
    PolicyLibrary,
    Users,
    Departments,
    Routing,
    /// 时限: the time limits new problems are received under.
    TimeLimits,
    /// 园区设置: the zone settings (supervision thresholds, …).
    ZoneSettings,
    /// 导入: the admin's enterprise import page.
    Imports,
    /// 工作日历: the calendar years and the loading of a year's notice (admins).
    Calendar,
    /// 督办事项: open 督办 cases and consultation decisions across departments.
    FollowUps,
    /// 抽查回访: the sample of closures without confirmation (supervisors).
    SpotChecks,
    /// 收件箱: an enterprise's messages after each match run.
    Inbox,
    /// 推送投递: the outbox and channels (admins).
    Outbox,
    /// 共性问题: groups of similar open problems and the governance items made of them.
    CommonProblems,
    /// 活动: events of the service lines (宣讲, 政银企对接, 招聘会, …), registration and roster.
    Events,
    /// 融资对接: financing demands, products and institutions' responses (issue 15).
    Financing,
    /// 产业链对接: chain positions and supply demands (三.11, issue 15).
    Chains,
    /// 一企一对策: cultivation plans with their measures and reviews (issue 15, 三.7).
    Plans,
    /// 信用修复: credit repair cases and their steps (issue 15, 三.16).
    CreditRepair,
    /// 水电气: utility arrears and the late-fee waiver (issue 15, 三.9).
    Utilities,
    /// 法律咨询: legal consultations (issue 15, 三.14).
    Legal,
    /// 物流保通保畅: logistics profiles and obstruction reports (issue 15, 三.12).
    Logistics,
    /// 免申即享授予: grant runs (officials).
    Grants,
    /// 我的授予: the enterprise's own grants.
    MyGrants,
    /// 应享未享: eligible but not claimed (officials).
    Unclaimed,
    Password,
}

impl Place {
    /// The page of a place, `None` while it does not exist.
    pub fn href(self) -> Option<&'static str> {
        match self {
            Place::Home => Some("/"),
            Place::Enterprises => Some("/enterprises"),
            Place::PolicyMatches => Some("/explore"),
            Place::PolicyLibrary => Some("/policies"),
            Place::Problems => Some("/problems"),
            Place::Visits => Some("/visits"),
            Place::Dashboard => Some("/dashboard"),
            Place::PolicySearch => Some("/search"),
            Place::NoApplication => None,
            Place::Users => Some("/admin/users"),
            Place::Departments => Some("/admin/departments"),
            Place::Routing => Some("/admin/routing"),
            Place::TimeLimits => Some("/admin/time-limits"),
            Place::ZoneSettings => Some("/admin/settings"),
            Place::Imports => Some("/admin/imports"),
            Place::Calendar => Some("/admin/calendar"),
            Place::FollowUps => Some("/follow-ups"),
            Place::SpotChecks => Some("/spot-checks"),
            Place::Inbox => Some("/inbox"),
            Place::Outbox => Some("/admin/outbox"),
            Place::CommonProblems => Some("/common"),
            Place::Events => Some("/events"),
            Place::Financing => Some("/financing"),
            Place::Chains => Some("/chains"),
            Place::Plans => Some("/plans"),
            Place::CreditRepair => Some("/credit-repair"),
            Place::Utilities => Some("/utilities"),
            Place::Legal => Some("/legal"),
            Place::Logistics => Some("/logistics"),
            Place::Grants => Some("/grants"),
            Place::MyGrants => Some("/grants/mine"),
            Place::Unclaimed => Some("/grants/unclaimed"),
            Place::Password => Some("/account/password"),
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Place::Home => "ui.nav.home",
            Place::Enterprises => "ui.nav.enterprises",
            Place::Problems => "ui.nav.problems",
            Place::Visits => "ui.nav.visits",
            Place::Dashboard => "ui.nav.dashboard",
            Place::PolicyMatches => "ui.nav.policy_matches",
            Place::NoApplication => "ui.nav.no_application",
            Place::PolicySearch => "ui.nav.policy_search",
            Place::PolicyLibrary => "ui.nav.policy_library",
            Place::Users => "ui.nav.users",
            Place::Departments => "ui.nav.departments",
            Place::Routing => "ui.nav.routing",
            Place::TimeLimits => "ui.nav.time_limits",
            Place::ZoneSettings => "ui.nav.settings",
            Place::Imports => "ui.nav.imports",
            Place::Calendar => "ui.nav.calendar",
            Place::FollowUps => "ui.nav.follow_ups",
            Place::SpotChecks => "ui.nav.spot_checks",
            Place::Inbox => "ui.nav.inbox",
            Place::Outbox => "ui.nav.outbox",
            Place::CommonProblems => "ui.nav.common",
            Place::Events => "ui.nav.events",
            Place::Financing => "ui.nav.financing",
            Place::Chains => "ui.nav.chains",
            Place::Plans => "ui.nav.plans",
            Place::CreditRepair => "ui.nav.credit_repair",
            Place::Utilities => "ui.nav.utilities",
            Place::Legal => "ui.nav.legal",
            Place::Logistics => "ui.nav.logistics",
            Place::Grants => "ui.nav.grants",
            Place::MyGrants => "ui.nav.my_grants",
            Place::Unclaimed => "ui.nav.unclaimed",
            Place::Password => "ui.nav.password",
        }
    }

    /// The places a role's navigation has, in order.
    pub fn for_role(role: Role) -> Vec<Place> {
        use Place::*;
        let mut v = vec![Home];
        match role {
            Role::Enterprise => v.extend([
                Inbox,
                PolicyMatches,
                NoApplication,
                MyGrants,
                Problems,
                Events,
                Financing,
                Utilities,
                Chains,
                Logistics,
                PolicySearch,
                Legal,
            ]),
            Role::Cadre => v.extend([Enterprises, Visits, Problems, PolicySearch]),
            Role::Department => v.extend([
                Problems,
                Enterprises,
                Events,
                Financing,
                Chains,
                Plans,
                CreditRepair,
                Utilities,
                Logistics,
                Grants,
                Unclaimed,
                PolicyLibrary,
                PolicySearch,
                Legal,
            ]),
            Role::Leader => v.extend([
                Dashboard,
                Problems,
                FollowUps,
                CommonProblems,
                Events,
                Financing,
                Chains,
                Plans,
                CreditRepair,
                Utilities,
                Logistics,
                Enterprises,
                Grants,
                Unclaimed,
                PolicyLibrary,
                PolicySearch,
                Legal,
            ]),
            Role::Supervisor => v.extend([
                Dashboard,
                Problems,
                FollowUps,
                SpotChecks,
                CommonProblems,
                Plans,
                CreditRepair,
                Enterprises,
                Grants,
                Unclaimed,
                PolicyLibrary,
                PolicySearch,
                Legal,
            ]),
            Role::Policy => v.extend([
                Enterprises,
                PolicyLibrary,
                PolicyMatches,
                NoApplication,
                Grants,
                Unclaimed,
                Events,
                PolicySearch,
            ]),
            Role::Finance => v.extend([Grants, Enterprises, PolicyLibrary, PolicySearch]),
            Role::FinancialInstitution => v.extend([Financing, Events, PolicyLibrary]),
            Role::Admin => v.extend([
                Enterprises,
                Grants,
                Unclaimed,
                Users,
                Departments,
                Routing,
                TimeLimits,
                ZoneSettings,
                Calendar,
                Imports,
                Outbox,
                Legal,
            ]),
            Role::System => {}
        }
        v.push(Password);
        v
    }
}

#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct Base {
    pub tr: Tr,
    pub title: String,
    pub user: Option<String>,
    pub role_label: String,
    pub nav: Vec<NavLink>,
    pub csrf: String,
    /// The other language's switch link.
    pub switch_href: String,
    pub switch_label: String,
    /// The calendar warning (admins, from 1 October until next year's notice is loaded).
    pub warning: Option<String>,
    /// An enterprise user's unread inbox messages, shown beside their name.
    pub inbox_unread: Option<u64>,
    /// The signed-in user's unread notifications: the bell's number (hidden at 0).
    pub notifications_unread: Option<u64>,
}

impl Base {
    pub fn new(lang: Lang, p: Option<&Principal>, path: &'static str, title_key: &'static str) -> Base {
        let tr = Tr(lang);
        let nav = p
            .map(|p| {
                let hidden = p.nav_hidden.as_deref().unwrap_or_default();
                Place::for_role(p.role)
                    .into_iter()
                    .filter_map(|pl| {
                        pl.href().filter(|h| !hidden.contains(h)).map(|href| NavLink {
                            href,
                            label: tr.t(pl.label_key()),
                            current: href == path,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (switch_href, switch_label) = match lang {
            Lang::Zh => (format!("{path}?lang=en"), "English".to_string()),
            Lang::En => (format!("{path}?lang=zh-CN"), "中文".to_string()),
        };
        Base {
            tr,
            title: tr.t(title_key),
            user: p.map(|p| p.display_name.clone()),
            role_label: p.map(|p| tr.t(role_key(p.role))).unwrap_or_default(),
            nav,
            csrf: p.map(|p| p.csrf().to_string()).unwrap_or_default(),
            switch_href,
            switch_label,
            warning: p.and_then(|p| p.calendar_warning.as_ref()).map(|w| w.text(lang)),
            inbox_unread: p.and_then(|p| p.inbox_unread),
            notifications_unread: p.and_then(|p| p.notifications_unread),
        }
    }
}

impl Base {
    /// The bell's accessible name: 通知（3 条未读）/ Notifications (3 unread).
    pub fn bell_label(&self) -> String {
        let n = self.notifications_unread.unwrap_or(0);
        if self.tr.is_en() {
            format!("Notifications ({n} unread)")
        } else {
            format!("通知（{n} 条未读）")
        }
    }
}

pub fn role_key(r: Role) -> &'static str {
    match r {
        Role::Enterprise => "ui.role.enterprise",
        Role::Cadre => "ui.role.cadre",
        Role::Department => "ui.role.department",
        Role::Leader => "ui.role.leader",
        Role::Supervisor => "ui.role.supervisor",
        Role::Policy => "ui.role.policy",
        Role::Finance => "ui.role.finance",
        Role::FinancialInstitution => "ui.role.financial_institution",
        Role::Admin => "ui.role.admin",
        Role::System => "ui.role.system",
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub b: Base,
    pub next: String,
    pub username: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub b: Base,
    pub error: Option<String>,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub b: Base,
    pub status: u16,
    pub title: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "health.html")]
pub struct HealthPage {
    pub b: Base,
    pub h: Health,
}

#[derive(Template)]
#[template(path = "enterprise_list.html")]
pub struct EnterpriseListPage {
    pub b: Base,
    pub home: bool,
    pub q: String,
    pub tag: String,
    pub industry: String,
    pub target: String,
    pub list: EnterpriseList,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

/// What a query value keeps as it is: letters, digits, `-`, `_`, `.`.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A value percent-encoded for a query string (`percent-encoding`).
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

impl EnterpriseListPage {
    pub fn new(b: Base, q: &ListQuery, list: EnterpriseList) -> EnterpriseListPage {
        let pages = list.total.div_ceil(list.per_page.max(1)).max(1);
        let target = q.assistance_target.map(|t| t.to_string()).unwrap_or_default();
        let href = |page: u64| {
            let mut s = format!("/enterprises?page={page}&per_page={}", list.per_page);
            for (k, v) in [("q", &q.q), ("tag", &q.tag), ("industry", &q.industry)] {
                if let Some(v) = v {
                    s.push_str(&format!("&{k}={}", enc(v)));
                }
            }
            if !target.is_empty() {
                s.push_str(&format!("&assistance_target={target}"));
            }
            s
        };
        let prev_href = (list.page > 1).then(|| href(list.page - 1));
        let next_href = (list.page < pages).then(|| href(list.page + 1));
        EnterpriseListPage {
            b,
            home: false,
            q: q.q.clone().unwrap_or_default(),
            tag: q.tag.clone().unwrap_or_default(),
            industry: q.industry.clone().unwrap_or_default(),
            target,
            list,
            pages,
            prev_href,
            next_href,
        }
    }
}

/// One year's (or the scalar) facts.
pub struct FactGroup {
    pub year: String,
    pub facts: Vec<FactOut>,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
pub struct EnterprisePage {
    pub b: Base,
    pub e: EnterpriseOut,
    pub groups: Vec<FactGroup>,
    pub changes: Vec<ChangeOut>,
    /// The enterprise's matched policies (its own home page only).
    pub matches: Option<crate::routes::decisions::Matches>,
    /// Show the three links' form (admin).
    pub edit_links: bool,
    /// Why the last links assignment was refused.
    pub links_error: Option<String>,
    /// Display names of the linked users and of those who changed the record.
    pub people: std::collections::BTreeMap<String, String>,
    /// The zone's departments, for their names.
    pub routing: Option<enterprise::Routing>,
    /// The enterprise's own home: its problems and inbox.
    pub home: Option<crate::routes::home::EnterpriseHome>,
}

impl EnterprisePage {
    pub fn new(b: Base, e: EnterpriseOut, changes: Vec<ChangeOut>) -> EnterprisePage {
        let mut groups: Vec<FactGroup> = e
            .facts_by_year
            .iter()
            .rev()
            .map(|(y, f)| FactGroup { year: y.clone(), facts: f.clone() })
            .collect();
        if !e.facts.is_empty() {
            groups.push(FactGroup { year: String::new(), facts: e.facts.clone() });
        }
        EnterprisePage {
            b,
            e,
            groups,
            changes,
            matches: None,
            edit_links: false,
            links_error: None,
            people: Default::default(),
            routing: None,
            home: None,
        }
    }

    /// The usernames the page shows (links and change actors), to look their names up.
    pub fn usernames(&self) -> Vec<String> {
        let mut out: Vec<String> =
            [&self.e.links.leader, &self.e.links.cadre].into_iter().flatten().cloned().collect();
        for c in &self.changes {
            out.push(c.actor.clone());
            if c.field == "links.leader" || c.field == "links.cadre" {
                out.extend(c.old.iter().chain(c.new.iter()).cloned());
            }
        }
        out
    }

    /// A user by display name (the username when none is known).
    pub fn person(&self, u: &Option<String>) -> String {
        match u {
            Some(u) => crate::plain::person(self.b.tr, &self.people, u),
            None => "—".into(),
        }
    }

    /// Who made a change, by display name.
    pub fn actor(&self, u: &str) -> String {
        crate::plain::person(self.b.tr, &self.people, u)
    }

    /// A department by name in the reader's language.
    pub fn dept_name(&self, code: &Option<String>) -> String {
        let Some(code) = code else { return "—".into() };
        self.routing
            .as_ref()
            .and_then(|r| r.department(code))
            .map(|d| self.b.tr.pick(&d.name, &d.en).to_string())
            .unwrap_or_else(|| code.clone())
    }

    /// A changed field in words: a registry field or fact by its label (with its year), a
    /// link by its role, `*` as the record's creation.
    pub fn change_field(&self, field: &str) -> String {
        let tr = self.b.tr;
        match field {
            "*" => return tr.t("ui.change.created"),
            "links.leader" => return tr.t("ui.enterprise.leader"),
            "links.department" => return tr.t("ui.enterprise.department"),
            "links.cadre" => return tr.t("ui.enterprise.cadre"),
            _ => {}
        }
        let (id, year) = match field.split_once('[') {
            Some((id, y)) => (id, Some(y.trim_end_matches(']'))),
            None => (field, None),
        };
        let label = enterprise::FactDictionary::official()
            .get(id)
            .map(|d| tr.pick(&d.zh, &d.en).to_string())
            .unwrap_or_else(|| id.to_string());
        match year {
            Some(y) => tr.t1("ui.enterprise.year", "year", &format!("{label} {y}")),
            None => label,
        }
    }

    /// An old or new value of a change in words.
    pub fn change_value(&self, field: &str, v: &Option<String>) -> String {
        match field {
            "links.leader" | "links.cadre" => self.person(v),
            "links.department" => self.dept_name(v),
            _ => match v.as_deref() {
                None => "—".into(),
                Some("true") => self.b.tr.t("ui.yes"),
                Some("false") => self.b.tr.t("ui.no"),
                Some(x) if !self.b.tr.is_en() => crate::plain::code_zh(x).unwrap_or_else(|| x.to_string()),
                Some(x) => x.to_string(),
            },
        }
    }

    /// When a change was made, to the minute in China time.
    pub fn change_at(&self, at: &str) -> String {
        match chrono::DateTime::parse_from_rfc3339(at) {
            Ok(t) => t.with_timezone(&store::china_offset()).format("%Y-%m-%d %H:%M").to_string(),
            Err(_) => at.to_string(),
        }
    }

    pub fn label(&self, f: &FactOut) -> String {
        if self.b.tr.is_en() { f.label_en.clone() } else { f.label_zh.clone() }
    }

    pub fn value(&self, f: &FactOut) -> String {
        match &f.value {
            serde_json::Value::String(s) => enterprise::FactDictionary::official()
                .get(&f.fact)
                .and_then(|d| d.codes.iter().find(|c| &c.code == s))
                .map(|c| self.b.tr.pick(&c.zh, &c.en).to_string())
                .unwrap_or_else(|| s.clone()),
            serde_json::Value::Bool(true) => self.b.tr.t("ui.yes"),
            serde_json::Value::Bool(false) => self.b.tr.t("ui.no"),
            serde_json::Value::Array(a) => a
                .iter()
                .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                .collect::<Vec<_>>()
                .join("、"),
            v => v.to_string(),
        }
    }

    pub fn source(&self, f: &FactOut) -> String {
        match f.source.as_str() {
            "market_regulation" => self.b.tr.t("ui.source.market_regulation"),
            "tax" => self.b.tr.t("ui.source.tax"),
            "self_reported" => self.b.tr.t("ui.source.self_reported"),
            "derived" => self.b.tr.t("ui.source.derived"),
            "zone" => self.b.tr.t("ui.source.zone"),
            other => other.to_string(),
        }
    }

    pub fn yes_no(&self, v: &bool) -> String {
        self.b.tr.t(if *v { "ui.yes" } else { "ui.no" })
    }

    pub fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("—")
    }

    /// A form field's value: empty for none.
    pub fn opt_value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub b: Base,
    pub users: Vec<UserOut>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    /// The filters shown (and sent back with each action).
    pub q: String,
    pub role: String,
    pub active: String,
    pub departments: Vec<DepartmentOut>,
    pub roles: Vec<Role>,
    pub message: Option<String>,
    pub error: Option<String>,
}

impl UsersPage {
    pub fn new(
        b: Base,
        list: app::users::UserPage,
        params: &crate::routes::admin::UsersParams,
        departments: Vec<DepartmentOut>,
        message: Option<String>,
        error: Option<String>,
    ) -> UsersPage {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let (q, role, active) = (text(&params.q), text(&params.role), text(&params.active));
        let pages = list.pages();
        let href = |page: u64| {
            let mut s = format!("/admin/users?page={page}");
            for (k, v) in [("q", &q), ("role", &role), ("active", &active)] {
                if !v.is_empty() {
                    s.push_str(&format!("&{k}={}", enc(v)));
                }
            }
            s
        };
        UsersPage {
            prev_href: (list.page > 1).then(|| href(list.page - 1)),
            next_href: (list.page < pages).then(|| href(list.page + 1)),
            users: list.items.into_iter().map(UserOut::from).collect(),
            total: list.total,
            page: list.page,
            pages,
            q,
            role,
            active,
            b,
            departments,
            roles: Role::USERS.to_vec(),
            message,
            error,
        }
    }

    pub fn role_label(&self, r: &str) -> String {
        store::parse_role(r).map(|r| self.b.tr.t(role_key(r))).unwrap_or_else(|_| r.to_string())
    }

    /// A department's name in the reader's language.
    pub fn dept_name(&self, code: &str) -> String {
        self.departments
            .iter()
            .find(|d| d.code == code)
            .map(|d| self.b.tr.pick(&d.name, &d.en).to_string())
            .unwrap_or_else(|| code.to_string())
    }

    /// "Sign-in locked until …", the time in China.
    pub fn locked(&self, rfc3339: &str) -> String {
        let until = chrono::DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| t.with_timezone(&store::china_offset()).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| rfc3339.to_string());
        self.b.tr.t1("ui.users.locked", "until", &until)
    }
}

#[derive(Template)]
#[template(path = "departments.html")]
pub struct DepartmentsPage {
    pub b: Base,
    pub departments: Vec<DepartmentOut>,
}

#[derive(Template)]
#[template(path = "routing.html")]
pub struct RoutingPage {
    pub b: Base,
    pub categories: Vec<CategoryOut>,
    pub departments: Vec<DepartmentOut>,
    pub message: Option<String>,
    pub error: Option<String>,
}

impl RoutingPage {
    /// A category's departments for its form field: names on Chinese pages (the field takes
    /// codes or names), codes on English ones.
    pub fn dept_field(&self, codes: &[String]) -> String {
        if self.b.tr.is_en() {
            return codes.join(", ");
        }
        codes.iter().map(|c| self.dept_name(c)).collect::<Vec<_>>().join("、")
    }

    pub fn dept_name(&self, code: &str) -> String {
        self.departments
            .iter()
            .find(|d| d.code == code)
            .map(|d| self.b.tr.pick(&d.name, &d.en).to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t("ui.…")` / `t1("ui.…"` in the templates and the Rust sources has a catalog entry
    /// in both languages (the catalog refuses entries lacking one).
    #[test]
    fn every_label_used_is_in_the_catalog() {
        let sources = [
            include_str!("../templates/base.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/password.html"),
            include_str!("../templates/error.html"),
            include_str!("../templates/health.html"),
            include_str!("../templates/enterprise_list.html"),
            include_str!("../templates/enterprise.html"),
            include_str!("../templates/users.html"),
            include_str!("../templates/departments.html"),
            include_str!("../templates/routing.html"),
            include_str!("views.rs"),
            include_str!("routes/admin.rs"),
            include_str!("routes/pages.rs"),
            include_str!("routes/auth.rs"),
            include_str!("routes/health.rs"),
            include_str!("routes/enterprises.rs"),
            include_str!("../templates/problem_list.html"),
            include_str!("../templates/problem_new.html"),
            include_str!("../templates/problem.html"),
            include_str!("../templates/dashboard.html"),
            include_str!("../templates/visits.html"),
            include_str!("../templates/report_supervision.html"),
            include_str!("routes/problems/pages.rs"),
            include_str!("routes/problems/api.rs"),
            include_str!("routes/dashboard.rs"),
            include_str!("routes/visits.rs"),
            include_str!("routes/reports.rs"),
            include_str!("../templates/explore.html"),
            include_str!("../templates/decision_matches.html"),
            include_str!("../templates/decision_row.html"),
            include_str!("../templates/policy_list.html"),
            include_str!("../templates/policy_item.html"),
            include_str!("../templates/policy_simulate.html"),
            include_str!("routes/decisions.rs"),
            include_str!("routes/policies.rs"),
            include_str!("routes/home.rs"),
            include_str!("../templates/home_admin.html"),
            include_str!("../templates/home_cadre.html"),
            include_str!("../templates/home_common.html"),
            include_str!("../templates/home_enterprise.html"),
            include_str!("../templates/home_problems.html"),
        ];
        let mut missing = Vec::new();
        for s in sources {
            for part in s.split("\"ui.").skip(1) {
                let Some(end) = part.find('"') else { continue };
                let key = format!("ui.{}", &part[..end]);
                let is_key = key.len() > 3
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
                if is_key && !crate::catalog().contains(&key) {
                    missing.push(key);
                }
            }
        }
        assert!(missing.is_empty(), "labels missing from messages.toml: {missing:?}");
    }

    #[test]
    fn future_places_are_named_but_not_linked() {
        assert_eq!(Place::NoApplication.href(), None);
        assert!(crate::catalog().contains(Place::NoApplication.label_key()));
        // Policy search is linked since the search page exists (issue 13).
        assert_eq!(Place::PolicySearch.href(), Some("/search"));
        let p = Principal {
            user: app::Principal {
                username: "a".into(),
                role: Role::Enterprise,
                enterprise: None,
                department: None,
                display_name: "a".into(),
            },
            via: crate::auth::Via::Bearer,
            calendar_warning: None,
            inbox_unread: None,
            notifications_unread: None,
            nav_hidden: None,
        };
        let b = Base::new(Lang::Zh, Some(&p), "/", "ui.home.title");
        assert!(b.nav.iter().all(|n| !n.href.is_empty()));
        assert_eq!(b.nav.first().map(|n| n.current), Some(true));
    }
}
