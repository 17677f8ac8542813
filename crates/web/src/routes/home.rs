//! The home page (`/`) of each role: what that role works on first, composed of the use cases
//! its own pages call (nothing is decided here).
//! - enterprise: its profile and matched policies (eligible items), its problems, the inbox's
//!   newest messages (newly eligible and almost-eligible items) and the inbox link;
//! - cadre: its enterprises, the visits due (not visited in [`VISIT_WINDOW_DAYS`] days), the
//!   open problems of its enterprises, and the problems it raised (代录) with their state and
//!   deadline, open or not;
//! - department officer: its queue (open problems, red first, then by deadline; keyword
//!   search; closed ones when asked), the `/problems` page itself;
//! - leader and supervisor: the zone dashboard (三率, overdue, warnings by department,
//!   trends) with the largest common problems;
//! - admin: the administration's entry points with counts, then the enterprise directory;
//! - policy officer: the enterprise directory.

use crate::auth::Principal;
use crate::error::WebError;
use crate::lang::{ReqLang, Tr};
use crate::routes::enterprises::{EnterpriseList, EnterpriseOut, ListQuery, list_for, load_visible};
use crate::routes::problems::{Names, ProblemList, list_request, routing};
use crate::state::AppState;
use crate::views::{self, Base};
use app::problems::Reader;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use i18n::Lang;
use std::collections::HashMap;
use store::Role;
use store::push::{InboxMessage, MessageKind};

/// A cadre's enterprise counts as due for a visit when nobody visited it in this many days.
pub const VISIT_WINDOW_DAYS: u32 = 30;
/// Rows of each list on a home page (the full list is one link away).
pub const HOME_ROWS: u64 = 10;
/// Common problems on a leader's home.
pub const HOME_COMMON: usize = 5;

/// A short list of problems on a home page (`home_problems.html`).
#[derive(Debug, Clone)]
pub struct HomeProblems {
    pub n: Names,
    pub list: ProblemList,
    pub caption: String,
    /// Whether the enterprise column is shown (not on an enterprise's own home).
    pub with_enterprise: bool,
    /// The full list.
    pub more_href: String,
}

/// What an enterprise's home shows besides its profile and matches.
#[derive(Debug, Clone)]
pub struct EnterpriseHome {
    pub problems: Option<HomeProblems>,
    pub unread: u64,
    /// The newest inbox messages (newly eligible, almost eligible).
    pub messages: Vec<HomeMessage>,
    /// Its open 一企一对策 plans (三.7).
    pub plans: Vec<crate::routes::plans::PlanRow>,
    /// Its credit repair cases (三.16) with what to do next.
    pub repairs: Vec<crate::routes::credit_repair::CaseRow>,
    /// Its newest 免申即享 grants with their states (issue 12).
    pub grants: Vec<HomeGrant>,
}

/// One grant as the enterprise's home lists it: the item, the period, the amount and where
/// it stands (待公示, 公示中, 已拨付 with the date …); the whole card is on `/grants/mine`.
#[derive(Debug, Clone)]
pub struct HomeGrant {
    pub id: i64,
    pub title: String,
    pub period: String,
    pub amount: String,
    pub state: String,
    pub state_code: String,
    pub paid_date: String,
}

/// The enterprise's newest grants for its home.
async fn home_grants(state: &AppState, lang: Lang, p: &Principal) -> Result<Vec<HomeGrant>, WebError> {
    let Some(code) = p.enterprise.as_ref() else { return Ok(Vec::new()) };
    let grants = app::grants::of_enterprise(state, p, code).await?;
    let pol = state.policies();
    Ok(grants
        .into_iter()
        .take(HOME_ROWS as usize)
        .map(|g| HomeGrant {
            id: g.id,
            title: pol.library.item(&g.item).map_or_else(|| g.item.clone(), |i| i.title.clone()),
            period: g.period,
            amount: crate::routes::grant_pages::money(g.amount),
            state: crate::routes::grant_pages::enterprise_state_label(Tr(lang), &g.state),
            state_code: g.state,
            paid_date: g.paid_date.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect())
}

/// An inbox message as the home lists it.
#[derive(Debug, Clone)]
pub struct HomeMessage {
    /// 新符合 or 差一项.
    pub kind: String,
    pub almost: bool,
    pub unread: bool,
    pub title: String,
    pub href: String,
}

impl HomeMessage {
    fn new(tr: Tr, m: InboxMessage) -> HomeMessage {
        HomeMessage {
            kind: tr.pick(m.kind.label_zh(), m.kind.as_str()).to_string(),
            almost: m.kind == MessageKind::AlmostEligible,
            unread: m.read_at.is_none(),
            href: app::inbox::item_href(&m.item),
            title: m.title,
        }
    }
}

/// One enterprise due for a visit.
#[derive(Debug, Clone)]
pub struct DueVisit {
    pub uscc: String,
    pub name: String,
    /// `None`: never visited.
    pub last_visit: Option<chrono::NaiveDate>,
}

/// The cadre's home.
#[derive(Template)]
#[template(path = "home_cadre.html")]
pub struct CadreHome {
    pub b: Base,
    pub enterprises: EnterpriseList,
    pub due: Vec<DueVisit>,
    pub due_total: usize,
    pub window_days: u32,
    pub problems: Option<HomeProblems>,
    /// The problems the cadre raised (代录), with their state and deadline.
    pub raised: Option<HomeProblems>,
}

impl CadreHome {
    pub fn last(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map_or_else(|| self.b.tr.t("ui.visit.never"), |d| d.format("%Y-%m-%d").to_string())
    }
}

/// One entry point of the admin's home.
#[derive(Debug, Clone)]
pub struct AdminEntry {
    pub href: String,
    pub label: String,
    pub hint: String,
}

/// The admin's home: entry points with counts, then the directory.
#[derive(Template)]
#[template(path = "home_admin.html")]
pub struct AdminHome {
    pub b: Base,
    pub users: u64,
    pub enterprises: u64,
    pub entries: Vec<AdminEntry>,
}

/// A short problem list of `who`: open ones in queue order.
pub async fn home_problems(
    state: &AppState,
    lang: Lang,
    who: &Principal,
    caption: String,
    with_enterprise: bool,
) -> Result<HomeProblems, WebError> {
    home_problems_of(state, lang, who, caption, with_enterprise, &[("open", "open")]).await
}

/// A short problem list of `who` in queue order, filtered as `filters` say (the list page's
/// query parameters); "see all" opens the list page with the same filters.
async fn home_problems_of(
    state: &AppState,
    lang: Lang,
    who: &Principal,
    caption: String,
    with_enterprise: bool,
    filters: &[(&str, &str)],
) -> Result<HomeProblems, WebError> {
    let mut raw: HashMap<String, String> =
        filters.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    raw.insert("sort".to_string(), "queue".to_string());
    raw.insert("per_page".to_string(), HOME_ROWS.to_string());
    let page = app::problems::list(state, who, list_request(&raw), false).await?;
    let query: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Ok(HomeProblems {
        n: Names::new(lang, routing(state).await?),
        list: page.into(),
        caption,
        with_enterprise,
        more_href: format!("/problems?{}&sort=queue", query.join("&")),
    })
}

/// `GET /`: the home of the signed-in user's role.
pub async fn home(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Response, WebError> {
    let html = match p.role {
        Role::Enterprise => enterprise_home(&state, lang, &p).await?,
        Role::Department => {
            views::render(&crate::routes::problems::list_page(&state, lang, &p, &HashMap::new(), "/").await?)?
        }
        Role::Leader | Role::Supervisor => {
            let mut page =
                crate::routes::dashboard::dashboard_page(&state, lang, &p, &HashMap::new(), "/").await?;
            let mut groups = app::common::groups(&state, &p).await?;
            groups.truncate(HOME_COMMON);
            page.common = Some(groups);
            views::render(&page)?
        }
        Role::Cadre => cadre_home(&state, lang, &p).await?,
        Role::Admin => admin_home(&state, lang, &p).await?,
        // The finance officer's day is the grant runs: payment files, results, reconciliation.
        Role::Finance => return Ok(axum::response::Redirect::to("/grants").into_response()),
        // An institution's day is the demands matched to its products.
        Role::FinancialInstitution => return Ok(axum::response::Redirect::to("/financing").into_response()),
        Role::Policy | Role::System => {
            let q = ListQuery::default();
            let list = list_for(&state, &p, &q).await?;
            let b = Base::new(lang, Some(&p), "/", "ui.home.title");
            let mut page = views::EnterpriseListPage::new(b, &q, list);
            page.home = true;
            views::render(&page)?
        }
    };
    Ok(html.into_response())
}

async fn enterprise_home(
    state: &AppState,
    lang: Lang,
    p: &Principal,
) -> Result<axum::response::Html<String>, WebError> {
    let Some(code) = p.enterprise.clone() else { return Err(WebError::Forbidden) };
    let v = load_visible(state, p, code.as_str()).await?;
    let b = Base::new(lang, Some(p), "/", "ui.home.title");
    let mut page = views::EnterprisePage::new(b, EnterpriseOut::from_view(&v), Vec::new());
    let today = state.now().date_naive();
    page.matches = crate::routes::decisions::matches_for(state, Tr(lang), &v, today, None).ok();
    let inbox = app::inbox::read(
        state,
        p,
        &app::inbox::InboxRequest { uscc: None, before: None, limit: Some(HOME_ROWS as u32) },
    )
    .await?;
    page.home = Some(EnterpriseHome {
        problems: Some(
            home_problems(state, lang, p, Tr(lang).pick("我的诉求", "My problems").into(), false).await?,
        ),
        unread: inbox.unread,
        messages: inbox.messages.into_iter().map(|m| HomeMessage::new(Tr(lang), m)).collect(),
        plans: crate::routes::plans::own(state, p).await?,
        repairs: crate::routes::credit_repair::own(state, p).await?,
        grants: home_grants(state, lang, p).await?,
    });
    let page = crate::routes::enterprises::with_names(state, p, page).await?;
    views::render(&page)
}

async fn cadre_home(
    state: &AppState,
    lang: Lang,
    p: &Principal,
) -> Result<axum::response::Html<String>, WebError> {
    let q = ListQuery { per_page: Some(HOME_ROWS), ..ListQuery::default() };
    let enterprises = list_for(state, p, &q).await?;
    let cov = app::problems::coverage(state, Reader::User(p), VISIT_WINDOW_DAYS, None, None).await?;
    let not_visited: Vec<_> =
        cov.cadres.into_iter().filter(|c| c.cadre == p.username).flat_map(|c| c.not_visited).collect();
    let due_total = not_visited.len();
    let due = not_visited
        .into_iter()
        .take(HOME_ROWS as usize)
        .map(|u| DueVisit {
            name: cov.names.get(&u.enterprise).cloned().unwrap_or_else(|| u.enterprise.to_string()),
            uscc: u.enterprise.to_string(),
            last_visit: u.last_visit,
        })
        .collect();
    let problems = Some(
        home_problems(
            state,
            lang,
            p,
            Tr(lang).pick("我的企业的未结问题", "Open problems of my enterprises").into(),
            true,
        )
        .await?,
    );
    // The problems the cadre took in for its enterprises (代录), open or not, open first.
    let raised = Some(
        home_problems_of(
            state,
            lang,
            p,
            Tr(lang).pick("我代录的问题", "Problems I raised").into(),
            true,
            &[("raised", "me"), ("open", "all")],
        )
        .await?,
    );
    let b = Base::new(lang, Some(p), "/", "ui.home.title");
    views::render(&CadreHome {
        b,
        enterprises,
        due,
        due_total,
        window_days: VISIT_WINDOW_DAYS,
        problems,
        raised,
    })
}

async fn admin_home(
    state: &AppState,
    lang: Lang,
    p: &Principal,
) -> Result<axum::response::Html<String>, WebError> {
    let tr = Tr(lang);
    let users = app::users::list(&state.app, p, &app::users::UserQuery { per_page: 1, ..Default::default() })
        .await?
        .total;
    let enterprises =
        list_for(state, p, &ListQuery { per_page: Some(1), ..ListQuery::default() }).await?.total;
    let entry = |href: &str, label: &'static str, zh: &str, en: &str| AdminEntry {
        href: href.to_string(),
        label: tr.t(label),
        hint: tr.pick(zh, en).to_string(),
    };
    let entries = vec![
        entry(
            "/admin/users",
            "ui.nav.users",
            "查找、分页浏览用户；新建、停用、改角色与所属部门、重置密码、解锁登录",
            "Find and page through users; create, deactivate, change role and department, reset passwords, unlock",
        ),
        entry(
            "/enterprises",
            "ui.nav.enterprises",
            "企业名录；在企业页上编辑三联（联点领导、责任部门、驻企干部）",
            "The directory; edit the three links on an enterprise's page",
        ),
        entry(
            "/admin/imports",
            "ui.nav.imports",
            "导入企业数据：先试运行，再确认",
            "Import enterprises: dry run, then apply",
        ),
        entry("/admin/departments", "ui.nav.departments", "部门名录", "The departments"),
        entry(
            "/admin/routing",
            "ui.nav.routing",
            "问题类别与牵头、配合部门",
            "Categories and their lead and cooperating departments",
        ),
        entry(
            "/admin/time-limits",
            "ui.nav.time_limits",
            "各类问题的办理时限（表单）",
            "Time limits per category (a form)",
        ),
        entry(
            "/admin/settings",
            "ui.nav.settings",
            "督查阈值等园区设置（表单）",
            "Supervision thresholds and other zone settings (a form)",
        ),
        entry("/admin/calendar", "ui.nav.calendar", "法定节假日与调休", "Holidays and makeup workdays"),
        entry(
            "/policies",
            "ui.nav.policy_library",
            "政策文件；在等宽编辑器中修改，语法错误按行列出",
            "Policy documents; edited in a monospace editor, syntax errors listed by line",
        ),
        entry("/admin/outbox", "ui.nav.outbox", "推送投递与渠道", "Push deliveries and channels"),
    ];
    let b = Base::new(lang, Some(p), "/", "ui.home.title");
    views::render(&AdminHome { b, users, enterprises, entries })
}
