//! Logistics watch (物流保通保畅, the plan's 三.12): "建立健全物流保通保畅工作机制，掌握重点企业
//! 主要物流方式，……收集企业物流受阻问题，帮助协调……打通堵点，迅速及时响应（责任部门：城管环保局……）".
//!
//! - **Key enterprises' logistics profiles** (主要物流方式): main mode (公路/铁路/水运/航空/快递),
//!   other modes, main routes (≤ [`MAX_ROUTES`] characters), the watcher (物流联络员, a staff
//!   username). Recorded one by one or imported from CSV/XLSX ([`import`], all or nothing,
//!   with a dry run; a column the file lacks, or an empty cell, never changes a stored field;
//!   the reader is [`crate::table_file`], shared with the utilities' arrears files).
//!   **Key enterprises** (重点企业) are the assistance targets whose registry tags carry
//!   [`KEY_TAG`] (`重点企业`): the zone marks them in the registry (import or registry
//!   update), so the list follows the zone's own choice, and an enterprise that is not a target
//!   (registered outside the zone) is never asked for a profile.
//! - **Obstruction reports** (物流受阻) are problems of the routing category [`CATEGORY`]
//!   (`logistics`, lead 城管环保局), raised on any channel. They run on clock hours (the
//!   time limits' `[accept_by_category.logistics]` and `[answer.logistics]`: accept within 1
//!   hour, answer within 24 hours, 8 if urgent, huiqi's defaults since the plan sets no number).
//!   Besides the lead and cooperating departments, each officer named in the zone setting
//!   `logistics.officers` (物流保通保畅专员) and the enterprise's watcher are told personally,
//!   in the problem's own transaction ([`told_of`], `store::notifications::of_submit_told`).
//! - Who: the lead department's officers, the named officers and admins run the service
//!   (record and import profiles); leaders and the cooperating departments of 三.12 read it;
//!   an enterprise reads its own profile.
//!
//! What it leaves out: the handling of a report (the three lists' use cases, `problems`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};
use enterprise::{FactValue, UnifiedCreditCode};
use serde::{Deserialize, Serialize};
use store::chains::{LogisticsMode, LogisticsRecord, NewLogistics};
use store::notifications::Told;
use store::problems::{ProblemFilter, ProblemRow};
use store::{Page, Role, Stamp};

use crate::authz::{self, Action, Resource};
use crate::problems::text::{Lines, clean};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::settings::SettingIssue;
use crate::table_file::{self, Columns, Problems, Table};
use crate::{App, Error, Principal, Result};

pub use store::chains::MAX_ROUTES;

/// The routing category of obstruction reports, whose lead department runs the service.
pub const CATEGORY: &str = "logistics";
/// The registry tag that makes an assistance target a key enterprise (重点企业).
pub const KEY_TAG: &str = "重点企业";
/// The longest `logistics.officers` text, in characters.
pub const MAX_OFFICERS_TEXT: usize = 500;
/// The value of `logistics.officers` naming nobody.
pub const NO_OFFICERS: &str = "无";
/// What the named officers are told they are.
pub const OFFICER_ZH: &str = "物流保通保畅专员";
/// What an enterprise's watcher is told they are.
pub const WATCHER_ZH: &str = "该企业物流联络员";

/// The source stated with the shipped setting.
pub const DEFAULT_SOURCE: &str = "方案（三.12 协助畅通物流通道）要求建立健全物流保通保畅工作机制、迅速及时响应，\
     未指定专员；由管理员按园区的安排填写";

/// The zone's logistics officers (zone setting section `logistics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticsSettings {
    /// Usernames separated by commas (`无`: none).
    pub officers: String,
    /// Where this comes from.
    pub source: String,
}

impl Default for LogisticsSettings {
    fn default() -> Self {
        LogisticsSettings { officers: NO_OFFICERS.to_string(), source: DEFAULT_SOURCE.to_string() }
    }
}

impl LogisticsSettings {
    /// The usernames named, each once.
    pub fn officers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in self.officers.split([',', '，', ';', '；', ' ', '\n', '、']).map(str::trim) {
            if !t.is_empty()
                && t != NO_OFFICERS
                && !t.eq_ignore_ascii_case("none")
                && !out.iter().any(|o| o == t)
            {
                out.push(t.to_string());
            }
        }
        out
    }
}

/// Checks that every named officer is an active department officer or leader (a save of the
/// zone settings); the error names the first that is not.
pub async fn check_officers(app: &App, s: &LogisticsSettings) -> Result<()> {
    for name in s.officers() {
        let ok = app
            .store
            .user_by_username(&name)
            .await?
            .is_some_and(|u| u.active && matches!(u.role, Role::Department | Role::Leader));
        if !ok {
            return Err(Error::InvalidSetting {
                key: "logistics.officers".into(),
                value: name,
                issue: SettingIssue::NotOfficers,
            });
        }
    }
    Ok(())
}

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

/// The department that runs the service: the lead of the routing category `logistics`.
pub async fn office(app: &App) -> Result<String> {
    let routing = crate::problems::routing(app).await?;
    routing
        .category(CATEGORY)
        .and_then(|c| c.lead())
        .map(str::to_string)
        .ok_or_else(|| Error::internal("the routing has no lead department for logistics"))
}

/// Whether the actor is a named 物流保通保畅 officer.
pub fn is_named_officer(app: &App, actor: &Principal) -> bool {
    matches!(actor.role, Role::Department | Role::Leader)
        && app.live.settings().logistics.officers().iter().any(|o| o == &actor.username)
}

/// Whether the actor runs the service: the office's officers, the named officers, admins.
pub async fn runs_service(app: &App, actor: &Principal) -> Result<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Department | Role::Leader if is_named_officer(app, actor) => true,
        Role::Department => actor.department.as_deref() == Some(office(app).await?.as_str()),
        _ => false,
    })
}

/// Whether the actor reads the whole service: those who run it, leaders, and the officers of
/// the other departments the plan makes responsible for 三.12 (the routing category's
/// cooperating departments: 经济发展局, 社会事业局, 外经外贸和商务中心, 交警大队 in the shipped
/// routing), who read but do not record.
pub async fn reads_all(app: &App, actor: &Principal) -> Result<bool> {
    if actor.role == Role::Leader || runs_service(app, actor).await? {
        return Ok(true);
    }
    if actor.role != Role::Department {
        return Ok(false);
    }
    let routing = crate::problems::routing(app).await?;
    let departments = routing.category(CATEGORY).map(|c| c.departments.clone()).unwrap_or_default();
    Ok(actor.department.as_ref().is_some_and(|d| departments.contains(d)))
}

async fn require_reader(app: &App, actor: &Principal) -> Result<()> {
    if reads_all(app, actor).await? { Ok(()) } else { Err(Error::Forbidden) }
}

async fn require_runner(app: &App, actor: &Principal) -> Result<()> {
    if runs_service(app, actor).await? { Ok(()) } else { Err(Error::Forbidden) }
}

/// Who is told personally of a new problem of `category` (a code) for `enterprise`: for an
/// obstruction report, each named officer and the enterprise's watcher; nobody otherwise.
pub async fn told_of(app: &App, category: &str, enterprise: &UnifiedCreditCode) -> Result<Vec<Told>> {
    if category != CATEGORY {
        return Ok(Vec::new());
    }
    let mut told: Vec<Told> = app
        .live
        .settings()
        .logistics
        .officers()
        .into_iter()
        .map(|username| Told { username, as_zh: OFFICER_ZH.into() })
        .collect();
    if let Some(head) = app.store.enterprise_head(enterprise).await?
        && let Some(p) = app.store.logistics_profiles(Some(head.id)).await?.into_iter().next()
        && !p.logistics.watcher.is_empty()
        && !told.iter().any(|t| t.username == p.logistics.watcher)
    {
        told.push(Told { username: p.logistics.watcher, as_zh: WATCHER_ZH.into() });
    }
    Ok(told)
}

// ---------------------------------------------------------------------------------------
// The registry: key enterprises and streets

/// An enterprise as this service reads the registry.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Firm {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    /// A key enterprise: an assistance target tagged [`KEY_TAG`].
    pub key: bool,
    /// Its street (街道), the registry fact `street`.
    pub street: Option<String>,
}

fn firm_of(row: &store::SnapshotRow) -> Firm {
    let street =
        row.facts.iter().filter(|f| f.fact == "street").max_by_key(|f| f.as_of).and_then(|f| {
            match &f.value {
                FactValue::Text(s) => Some(s.clone()),
                _ => None,
            }
        });
    let e = &row.enterprise;
    Firm {
        id: row.id,
        uscc: e.uscc.to_string(),
        name: e.name.clone(),
        key: e.assistance_target() && e.tags.contains(KEY_TAG),
        street,
    }
}

/// The whole registry as this service reads it.
async fn firms(app: &App) -> Result<BTreeMap<i64, Firm>> {
    let mut out = BTreeMap::new();
    store::for_each_enterprise(app.store.as_ref(), 1000, |row| {
        out.insert(row.id, firm_of(&row));
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The registry entries of a few enterprises (one enterprise's page needs no scan).
async fn firms_of(app: &App, ids: &[i64]) -> Result<BTreeMap<i64, Firm>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    Ok(app.store.enterprise_rows(&ids).await?.iter().map(|r| (r.id, firm_of(r))).collect())
}

// ---------------------------------------------------------------------------------------
// Profiles

/// A profile as recorded from a form, the API or the command line (the whole profile).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileRequest {
    /// The enterprise's unified social credit code.
    pub uscc: String,
    /// `road`, `rail`, `water`, `air`, `express` (or 公路, 铁路, 水运, 航空, 快递).
    pub main_mode: String,
    /// Other modes it uses, separated by commas (may be empty).
    #[serde(default)]
    pub other_modes: String,
    /// Main routes, ports, stations (≤ 500 characters).
    #[serde(default)]
    pub routes: String,
    /// The watcher's username (物流联络员: a department officer, cadre or leader); may be empty.
    #[serde(default)]
    pub watcher: String,
}

/// A profile as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileView {
    #[serde(flatten)]
    pub record: LogisticsRecord,
    pub main_mode_zh: &'static str,
    /// The other modes in Chinese, `、`-separated.
    pub other_modes_zh: String,
    /// The watcher's display name (empty when none).
    pub watcher_name: String,
    pub key: bool,
    pub street: Option<String>,
}

fn modes_zh(modes: &[LogisticsMode]) -> String {
    modes.iter().map(|m| m.label_zh()).collect::<Vec<_>>().join("、")
}

fn parse_mode(field: &str, s: &str) -> Result<LogisticsMode> {
    LogisticsMode::parse(s).ok_or_else(|| {
        bad(
            field,
            s,
            "应为 公路、铁路、水运、航空、快递 之一（或 road、rail、water、air、express） / must be road, rail, water, air or express (or 公路, 铁路, 水运, 航空, 快递)",
        )
    })
}

/// Modes from a list (`铁路、水运`, `rail,water`): each once, the main mode left out.
fn parse_modes(field: &str, s: &str, main: LogisticsMode) -> Result<Vec<LogisticsMode>> {
    let mut out = Vec::new();
    for t in s.split([',', '，', '、', ';', '；', ' ', '/']).map(str::trim).filter(|t| !t.is_empty()) {
        let m = parse_mode(field, t)?;
        if m != main && !out.contains(&m) {
            out.push(m);
        }
    }
    out.sort();
    Ok(out)
}

/// A staff username that may watch an enterprise's logistics: an active department officer,
/// cadre or leader. Empty is none.
async fn watcher(app: &App, field: &str, s: &str) -> Result<String> {
    let w = s.trim();
    if w.is_empty() {
        return Ok(String::new());
    }
    let ok = app
        .store
        .user_by_username(w)
        .await?
        .is_some_and(|u| u.active && matches!(u.role, Role::Department | Role::Cadre | Role::Leader));
    if ok {
        Ok(w.to_string())
    } else {
        Err(bad(
            field,
            w,
            "应为在用的部门经办人、驻企干部或联点领导的用户名，或留空 / must be the username of an active department officer, cadre or leader, or empty",
        ))
    }
}

fn routes(field: &str, s: &str) -> Result<String> {
    clean(field, s, MAX_ROUTES, Lines::Many)
}

async fn names(app: &App) -> Result<HashMap<String, String>> {
    Ok(app.store.list_users().await?.into_iter().map(|u| (u.username, u.display_name)).collect())
}

fn view(
    record: LogisticsRecord,
    firms: &BTreeMap<i64, Firm>,
    names: &HashMap<String, String>,
) -> ProfileView {
    let firm = firms.get(&record.logistics.enterprise_id);
    ProfileView {
        main_mode_zh: record.logistics.main_mode.label_zh(),
        other_modes_zh: modes_zh(&record.logistics.other_modes),
        watcher_name: names.get(&record.logistics.watcher).cloned().unwrap_or_default(),
        key: firm.is_some_and(|f| f.key),
        street: firm.and_then(|f| f.street.clone()),
        record,
    }
}

/// The enterprise a request names: its id (400 for a bad code, 404 for none).
async fn enterprise_id(app: &App, uscc: &str) -> Result<i64> {
    let code = UnifiedCreditCode::parse(uscc.trim()).map_err(|_| {
        bad("uscc", uscc, "应为 18 位统一社会信用代码 / must be an 18-character unified social credit code")
    })?;
    Ok(app
        .store
        .enterprise_head(&code)
        .await?
        .ok_or_else(|| Error::EnterpriseNotFound { uscc: code.to_string() })?
        .id)
}

/// Records (or replaces) an enterprise's profile: the office, the named officers, admins.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn save_profile(app: &App, actor: &Principal, req: &ProfileRequest) -> Result<ProfileView> {
    require_runner(app, actor).await?;
    let enterprise_id = enterprise_id(app, &req.uscc).await?;
    let main_mode = parse_mode("main_mode", &req.main_mode)?;
    let other_modes = parse_modes("other_modes", &req.other_modes, main_mode)?;
    let routes = routes("routes", &req.routes)?;
    let watcher = watcher(app, "watcher", &req.watcher).await?;
    let l = NewLogistics { enterprise_id, main_mode, other_modes, routes, watcher };
    app.store.save_logistics(&l, &Stamp::new(actor.username.clone(), app.now())).await?;
    tracing::info!(enterprise = enterprise_id, "logistics profile recorded");
    profile(app, actor, &req.uscc).await?.ok_or_else(|| Error::internal("the profile just saved is gone"))
}

/// One enterprise's profile, if recorded: the enterprise itself, or those who read the service.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn profile(app: &App, actor: &Principal, uscc: &str) -> Result<Option<ProfileView>> {
    let own = actor.role == Role::Enterprise
        && actor.enterprise.as_ref().is_some_and(|e| UnifiedCreditCode::parse(uscc.trim()).as_ref() == Ok(e));
    if !own {
        require_reader(app, actor).await?;
    }
    let id = enterprise_id(app, uscc).await?;
    let Some(record) = app.store.logistics_profiles(Some(id)).await?.into_iter().next() else {
        return Ok(None);
    };
    let firms = firms_of(app, &[id]).await?;
    Ok(Some(view(record, &firms, &names(app).await?)))
}

/// Which profiles a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct ListQuery {
    /// Only this main mode (`road`, … or 公路, …).
    #[serde(default)]
    pub mode: Option<String>,
    /// Only enterprises of this street (街道).
    #[serde(default)]
    pub street: Option<String>,
    /// Only key enterprises (重点企业).
    #[serde(default)]
    pub key_only: Option<bool>,
}

/// Profiles by enterprise name (those who read the service).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<ProfileView>> {
    require_reader(app, actor).await?;
    let firms = firms(app).await?;
    list_with(app, q, &firms).await
}

async fn list_with(app: &App, q: &ListQuery, firms: &BTreeMap<i64, Firm>) -> Result<Vec<ProfileView>> {
    let mode = match q.mode.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Some(parse_mode("mode", m)?),
        None => None,
    };
    let street = q.street.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let names = names(app).await?;
    Ok(app
        .store
        .logistics_profiles(None)
        .await?
        .into_iter()
        .map(|r| view(r, firms, &names))
        .filter(|v| mode.is_none_or(|m| v.record.logistics.main_mode == m))
        .filter(|v| street.is_none_or(|s| v.street.as_deref() == Some(s)))
        .filter(|v| q.key_only != Some(true) || v.key)
        .collect())
}

/// Key enterprises without a profile (of one street), by name.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn without_profile(app: &App, actor: &Principal, street: Option<&str>) -> Result<Vec<Firm>> {
    require_reader(app, actor).await?;
    let firms = firms(app).await?;
    without_profile_with(app, street, &firms).await
}

async fn without_profile_with(
    app: &App,
    street: Option<&str>,
    firms: &BTreeMap<i64, Firm>,
) -> Result<Vec<Firm>> {
    let street = street.map(str::trim).filter(|s| !s.is_empty());
    let recorded: std::collections::BTreeSet<i64> =
        app.store.logistics_profiles(None).await?.iter().map(|p| p.logistics.enterprise_id).collect();
    let mut out: Vec<Firm> = firms
        .values()
        .filter(|f| f.key && !recorded.contains(&f.id))
        .filter(|f| street.is_none_or(|s| f.street.as_deref() == Some(s)))
        .cloned()
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Obstruction reports

/// An obstruction report as the service shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReportView {
    pub id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    /// The title (`（保密）` for a confidential problem).
    pub title: String,
    pub urgent: bool,
    pub state: String,
    pub state_zh: String,
    /// A department's clock still runs on it (not answered, closed or withdrawn).
    pub open: bool,
    pub received_at: DateTime<FixedOffset>,
    /// What the running clock is for: `accept` or `answer` (open reports).
    pub clock: &'static str,
    /// Its due moment.
    pub due: DateTime<FixedOffset>,
    /// Minutes left to it (negative: past); while the clock is paused, what was left when it
    /// paused.
    pub minutes_left: i64,
    /// The clock is paused (awaiting the enterprise's information): the due moment moves on
    /// by the time paused when it resumes.
    pub paused: bool,
    /// `green`, `yellow`, `red`; empty once answered (or closed).
    pub light: &'static str,
    pub accepted_at: Option<DateTime<FixedOffset>>,
    pub accepted_in_time: Option<bool>,
    pub accept_by: DateTime<FixedOffset>,
    pub answered_at: Option<DateTime<FixedOffset>>,
    pub answered_in_time: Option<bool>,
    pub answer_by: DateTime<FixedOffset>,
}

/// A stored due point (RFC 3339 for hours, a date for working days, due by its end) as a moment.
fn due_moment(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    store::china_offset().from_local_datetime(&d.succ_opt()?.and_hms_opt(0, 0, 0)?).single()
}

fn handling_due(d: handling::Due) -> DateTime<FixedOffset> {
    due_moment(&d.to_string()).unwrap_or_default()
}

fn light_of(w: handling::Warning) -> &'static str {
    match w {
        handling::Warning::None => "green",
        handling::Warning::Yellow => "yellow",
        handling::Warning::Red => "red",
    }
}

/// Every row of a filter, page after page.
async fn rows(app: &App, filter: &ProblemFilter) -> Result<Vec<ProblemRow>> {
    let mut out = Vec::new();
    loop {
        let (page, total) =
            app.store.list_problems(filter, Page::new(out.len() as u64, Page::MAX_LIMIT)).await?;
        let n = page.len();
        out.extend(page);
        if n == 0 || out.len() as u64 >= total {
            return Ok(out);
        }
    }
}

async fn report(app: &App, id: i64, now: DateTime<FixedOffset>) -> Result<ReportView> {
    let rec = app.store.get_problem(id).await?;
    let s = &rec.state;
    let open = clock_runs(s.state);
    let d = handling::deadlines(s);
    let (clock, due) = if s.state == handling::State::Submitted {
        ("accept", handling_due(d.accept_by))
    } else {
        ("answer", handling_due(d.answer_by))
    };
    let first_answer = s.answers.first();
    Ok(ReportView {
        id,
        uscc: rec.row.enterprise.to_string(),
        enterprise_name: rec.row.enterprise_name.clone(),
        title: if s.problem.confidential { "（保密）".into() } else { s.problem.title.clone() },
        urgent: s.problem.urgency == handling::Urgency::Urgent,
        state: s.state.as_str().to_string(),
        state_zh: handling::state_name(s.state, i18n::Lang::Zh),
        open,
        received_at: s.problem.received_at,
        clock,
        due,
        minutes_left: (due - s.answer_clock.paused_since.map_or(now, |p| p.min(now))).num_minutes(),
        paused: s.answer_clock.paused_since.is_some(),
        light: if open { light_of(handling::warning(s, now)) } else { "" },
        accepted_at: s.accepted.as_ref().map(|a| a.0),
        accepted_in_time: s.accepted.as_ref().map(|a| a.2),
        accept_by: handling_due(s.accept_clock.due),
        answered_at: first_answer.map(|a| a.at),
        answered_in_time: first_answer.map(|a| a.on_time),
        answer_by: first_answer.map_or_else(|| handling_due(s.answer_clock.due), |a| handling_due(a.due)),
    })
}

/// Whether a department's clock runs on a report in this state: not yet answered (answered
/// and awaiting the enterprise's confirmation is the enterprise's time).
fn clock_runs(s: handling::State) -> bool {
    s.answer_clock_runs() || s == handling::State::AwaitingInfo
}

async fn open_reports_with(app: &App, now: DateTime<FixedOffset>) -> Result<Vec<ReportView>> {
    let filter =
        ProblemFilter { category: Some(CATEGORY.into()), open: Some(true), ..ProblemFilter::default() };
    let mut out = Vec::new();
    for r in rows(app, &filter).await? {
        let v = report(app, r.id, now).await?;
        if v.open {
            out.push(v);
        }
    }
    out.sort_by_key(|r| (r.due, r.id));
    Ok(out)
}

/// The open obstruction reports, the nearest deadline first.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn open_reports(app: &App, actor: &Principal) -> Result<Vec<ReportView>> {
    require_reader(app, actor).await?;
    open_reports_with(app, app.now()).await
}

fn month_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    (first, next.and_then(|n| n.pred_opt()).unwrap_or(first))
}

async fn month_reports_with(
    app: &App,
    day: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<Vec<ReportView>> {
    let filter = ProblemFilter {
        category: Some(CATEGORY.into()),
        received: Some(month_of(day)),
        ..ProblemFilter::default()
    };
    let mut out = Vec::new();
    for r in rows(app, &filter).await? {
        out.push(report(app, r.id, now).await?);
    }
    out.sort_by_key(|r| (r.received_at, r.id));
    Ok(out)
}

/// The obstruction reports received in the month of `day`, in order received.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn month_reports(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ReportView>> {
    require_reader(app, actor).await?;
    month_reports_with(app, day, app.now()).await
}

// ---------------------------------------------------------------------------------------
// The page

/// Key enterprises of one main mode.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ModeCount {
    pub mode: LogisticsMode,
    pub mode_zh: &'static str,
    pub key_enterprises: u64,
}

/// What the service's page shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Overview {
    pub open_reports: Vec<ReportView>,
    /// Key enterprises with a profile, per main mode (every mode, in order).
    pub by_mode: Vec<ModeCount>,
    pub key_enterprises: u64,
    pub key_with_profile: u64,
    /// Key enterprises without a profile.
    pub without_profile: Vec<Firm>,
    /// The profiles the query asked for.
    pub profiles: Vec<ProfileView>,
    /// The named officers (username, display name) and where the setting comes from.
    pub officers: Vec<(String, String)>,
    pub source: String,
    /// Whether the reader may record and import profiles.
    pub may_edit: bool,
}

/// The page's data (those who read the service).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn overview(app: &App, actor: &Principal, q: &ListQuery) -> Result<Overview> {
    require_reader(app, actor).await?;
    let now = app.now();
    let firms = firms(app).await?;
    let all = list_with(app, &ListQuery::default(), &firms).await?;
    let key: Vec<&ProfileView> = all.iter().filter(|p| p.key).collect();
    use strum::IntoEnumIterator;
    let by_mode = LogisticsMode::iter()
        .map(|m| ModeCount {
            mode: m,
            mode_zh: m.label_zh(),
            key_enterprises: key.iter().filter(|p| p.record.logistics.main_mode == m).count() as u64,
        })
        .collect();
    let names = names(app).await?;
    let settings = app.live.settings();
    Ok(Overview {
        open_reports: open_reports_with(app, now).await?,
        by_mode,
        key_enterprises: firms.values().filter(|f| f.key).count() as u64,
        key_with_profile: key.len() as u64,
        without_profile: without_profile_with(app, q.street.as_deref(), &firms).await?,
        profiles: list_with(app, q, &firms).await?,
        officers: settings
            .logistics
            .officers()
            .into_iter()
            .map(|o| {
                let n = names.get(&o).cloned().unwrap_or_else(|| o.clone());
                (o, n)
            })
            .collect(),
        source: settings.logistics.source.clone(),
        may_edit: runs_service(app, actor).await?,
    })
}

// ---------------------------------------------------------------------------------------
// Import

/// A column of a profiles file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Uscc,
    MainMode,
    OtherModes,
    Routes,
    Watcher,
}

impl Columns for Column {
    const ALL: &'static [Column] =
        &[Column::Uscc, Column::MainMode, Column::OtherModes, Column::Routes, Column::Watcher];
    const REQUIRED: &'static [Column] = &[Column::Uscc];

    fn field(self) -> &'static str {
        match self {
            Column::Uscc => "uscc",
            Column::MainMode => "main_mode",
            Column::OtherModes => "other_modes",
            Column::Routes => "routes",
            Column::Watcher => "watcher",
        }
    }

    fn header_zh(self) -> &'static str {
        match self {
            Column::Uscc => "统一社会信用代码",
            Column::MainMode => "主要物流方式",
            Column::OtherModes => "其他物流方式",
            Column::Routes => "主要线路",
            Column::Watcher => "物流联络员",
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Column::Uscc => &["uscc", "credit_code", "统一社会信用代码", "信用代码"],
            Column::MainMode => &["main_mode", "mode", "主要物流方式", "主要方式", "物流方式"],
            Column::OtherModes => &["other_modes", "其他物流方式", "其他方式"],
            Column::Routes => &["routes", "主要线路", "线路", "主要通道", "物流通道"],
            Column::Watcher => &["watcher", "物流联络员", "联络员"],
        }
    }

    fn refused(problems: Vec<String>, more: usize) -> Error {
        Error::LogisticsFile { problems, more }
    }
}

/// A file to import.
pub use crate::table_file::Upload as ImportRequest;

/// What an import did (or, dry, would do) to one enterprise's profile.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowChange {
    /// The row's line in the file (1 is the header).
    pub line: usize,
    pub uscc: String,
    pub enterprise_name: String,
    /// `insert`, `update` or `unchanged`.
    pub action: &'static str,
    /// The fields changed (field, old, new); empty for a new profile.
    pub changes: Vec<(String, String, String)>,
}

/// What an import came to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub file_name: String,
    pub dry_run: bool,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rows_changed: Vec<RowChange>,
}

fn diff(old: &NewLogistics, new: &NewLogistics) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut push = |f: &str, a: String, b: String| {
        if a != b {
            out.push((f.to_string(), a, b));
        }
    };
    push("main_mode", old.main_mode.as_str().into(), new.main_mode.as_str().into());
    push(
        "other_modes",
        store::chains::modes_text(&old.other_modes),
        store::chains::modes_text(&new.other_modes),
    );
    push("routes", old.routes.clone(), new.routes.clone());
    push("watcher", old.watcher.clone(), new.watcher.clone());
    out
}

/// The planned profiles of a checked file with what changes, or its problems.
async fn plan(app: &App, t: &Table<Column>) -> Result<(Vec<NewLogistics>, Vec<RowChange>, Problems)> {
    let mut p = Problems::default();
    let stored: HashMap<i64, LogisticsRecord> = app
        .store
        .logistics_profiles(None)
        .await?
        .into_iter()
        .map(|r| (r.logistics.enterprise_id, r))
        .collect();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut writes = Vec::new();
    let mut changes = Vec::new();
    for (line, cells) in &t.rows {
        let line = *line;
        let before = p.count();
        let cell = |c: Column| t.cell(cells, c);
        let uscc = cell(Column::Uscc).unwrap_or_default().to_uppercase();
        let head = match UnifiedCreditCode::parse(&uscc) {
            Err(_) => {
                p.push(
                    line,
                    "uscc",
                    &uscc,
                    "应为 18 位统一社会信用代码 / must be an 18-character unified social credit code",
                );
                None
            }
            Ok(code) => {
                match app.store.enterprise_head(&code).await? {
                    Some(h) => Some(h),
                    None => {
                        p.push(line, "uscc", &uscc, "园区没有该企业；请先导入企业名录 / no such enterprise in the zone: import it first");
                        None
                    }
                }
            }
        };
        if let Some(h) = &head
            && let Some(first) = seen.insert(h.id, line)
        {
            p.push(
                line,
                "uscc",
                &uscc,
                &format!("与第 {first} 行是同一家企业 / the same enterprise as row {first}"),
            );
        }
        let main = cell(Column::MainMode).and_then(|m| match parse_mode("main_mode", m) {
            Ok(m) => Some(m),
            Err(e) => {
                p.push(line, "main_mode", m, &reason(&e));
                None
            }
        });
        let old = head.as_ref().and_then(|h| stored.get(&h.id));
        let main_mode = match (main, old) {
            (Some(m), _) => Some(m),
            (None, Some(o)) => Some(o.logistics.main_mode),
            (None, None) => {
                if head.is_some() && cell(Column::MainMode).is_none_or(|m| LogisticsMode::parse(m).is_some())
                {
                    p.push(
                        line,
                        "main_mode",
                        "",
                        "新建档须填写“主要物流方式” / a new profile needs its main_mode",
                    );
                }
                None
            }
        };
        let others = match (cell(Column::OtherModes), main_mode) {
            (Some(o), Some(m)) => match parse_modes("other_modes", o, m) {
                Ok(v) => Some(v),
                Err(e) => {
                    p.push(line, "other_modes", o, &reason(&e));
                    None
                }
            },
            _ => None,
        };
        let routes_v = match cell(Column::Routes) {
            Some(r) => match routes("routes", r) {
                Ok(r) => Some(r),
                Err(e) => {
                    p.push(line, "routes", &r.chars().take(40).collect::<String>(), &reason(&e));
                    None
                }
            },
            None => None,
        };
        let watcher_v = match cell(Column::Watcher) {
            Some(w) => match watcher(app, "watcher", w).await {
                Ok(w) => Some(w),
                Err(e) => {
                    p.push(line, "watcher", w, &reason(&e));
                    None
                }
            },
            None => None,
        };
        if p.count() != before {
            continue;
        }
        let (Some(h), Some(main_mode)) = (head, main_mode) else { continue };
        let new = NewLogistics {
            enterprise_id: h.id,
            main_mode,
            other_modes: others.unwrap_or_else(|| {
                old.map(|o| o.logistics.other_modes.iter().copied().filter(|m| *m != main_mode).collect())
                    .unwrap_or_default()
            }),
            routes: routes_v.unwrap_or_else(|| old.map(|o| o.logistics.routes.clone()).unwrap_or_default()),
            watcher: watcher_v
                .unwrap_or_else(|| old.map(|o| o.logistics.watcher.clone()).unwrap_or_default()),
        };
        let name = match old {
            Some(o) => o.enterprise_name.clone(),
            None => firms_of(app, &[h.id]).await?.remove(&h.id).map(|f| f.name).unwrap_or_default(),
        };
        let (action, changed) = match old {
            None => ("insert", Vec::new()),
            Some(o) => {
                let d = diff(&o.logistics, &new);
                (if d.is_empty() { "unchanged" } else { "update" }, d)
            }
        };
        if action != "unchanged" {
            writes.push(new);
        }
        changes.push(RowChange { line, uscc, enterprise_name: name, action, changes: changed });
    }
    Ok((writes, changes, p))
}

fn reason(e: &Error) -> String {
    match e {
        Error::Invalid { reason, .. } => reason.clone(),
        other => i18n::Localized::bilingual(other),
    }
}

/// Imports a profiles file, all or nothing (those who run the service). A dry run checks and
/// reports only.
#[tracing::instrument(skip_all, fields(user = %actor.username, file = %req.file_name, dry_run = req.dry_run))]
pub async fn import(app: &App, actor: &Principal, req: &ImportRequest) -> Result<ImportReport> {
    require_runner(app, actor).await?;
    let table = table_file::read::<Column>(&req.file_name, &req.bytes)?;
    let (writes, rows_changed, problems) = plan(app, &table).await?;
    if !problems.is_empty() {
        return Err(problems.refusal::<Column>());
    }
    let count = |a: &str| rows_changed.iter().filter(|c| c.action == a).count() as u64;
    let report = ImportReport {
        file_name: req.file_name.clone(),
        dry_run: req.dry_run,
        rows: rows_changed.len() as u64,
        inserted: count("insert"),
        updated: count("update"),
        unchanged: count("unchanged"),
        rows_changed,
    };
    if !req.dry_run && !writes.is_empty() {
        app.store.save_logistics_profiles(&writes, &Stamp::new(actor.username.clone(), app.now())).await?;
        tracing::info!(inserted = report.inserted, updated = report.updated, "logistics profiles imported");
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------
// KPI and export

/// The 三.12 row of the leader's service-line table: this month's obstruction reports, those
/// answered within their hours, open now, key enterprises with a profile; behind = open
/// reports past their hours.
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    authz::require(actor, Action::Read, Resource::Kpi)?;
    let now = app.now();
    let month = month_reports_with(app, day, now).await?;
    let open = open_reports_with(app, now).await?;
    let behind = open.iter().filter(|r| r.light == "red").count() as u64;
    // The profiled enterprises' registry entries only (the dashboard reads no whole registry).
    let ids: Vec<i64> =
        app.store.logistics_profiles(None).await?.iter().map(|p| p.logistics.enterprise_id).collect();
    let with_profile = firms_of(app, &ids).await?.values().filter(|f| f.key).count() as u64;
    Ok(vec![ServiceLineKpi {
        clause: "三.12",
        name_zh: "物流保通保畅".into(),
        figures: vec![
            Figure { label_zh: "本月物流受阻（件）", value: month.len() as u64 },
            Figure {
                label_zh: "按时答复（件）",
                value: month.iter().filter(|r| r.answered_in_time == Some(true)).count() as u64,
            },
            Figure { label_zh: "未办结（件）", value: open.len() as u64 },
            Figure { label_zh: "重点企业已建档（家）", value: with_profile },
        ],
        behind,
        href: Some("/logistics"),
    }])
}

fn local(t: DateTime<FixedOffset>) -> excel::Cell {
    excel::Cell::DateTime(t.with_timezone(&store::china_offset()).naive_local())
}

fn yes_no(b: Option<bool>) -> excel::Cell {
    match b {
        Some(true) => "是".into(),
        Some(false) => "否".into(),
        None => excel::Cell::Empty,
    }
}

/// The workbook (物流保通保畅台账): every profile, and this month's obstruction reports with
/// when they were accepted and answered and whether within the hours. Those who read the
/// service.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn workbook(app: &App, actor: &Principal) -> Result<Vec<u8>> {
    require_reader(app, actor).await?;
    let firms = firms(app).await?;
    let mut sheet = excel::Sheet::new(
        "物流档案",
        &[
            "统一社会信用代码",
            "企业名称",
            "重点企业",
            "所在街道",
            "主要物流方式",
            "其他物流方式",
            "主要线路",
            "物流联络员",
            "记录人",
            "记录时间",
        ],
    );
    for p in list_with(app, &ListQuery::default(), &firms).await? {
        sheet.push(vec![
            p.record.uscc.clone().into(),
            p.record.enterprise_name.clone().into(),
            (if p.key { "是" } else { "否" }).into(),
            p.street.clone().unwrap_or_default().into(),
            p.main_mode_zh.into(),
            p.other_modes_zh.clone().into(),
            p.record.logistics.routes.clone().into(),
            (if p.watcher_name.is_empty() {
                p.record.logistics.watcher.clone()
            } else {
                p.watcher_name.clone()
            })
            .into(),
            p.record.recorded_by.clone().into(),
            local(p.record.recorded_at),
        ]);
    }
    let now = app.now();
    let mut reports = excel::Sheet::new(
        "本月物流受阻",
        &[
            "问题编号",
            "统一社会信用代码",
            "企业名称",
            "标题",
            "紧急",
            "提出时间",
            "受理期限",
            "受理时间",
            "按时受理",
            "答复期限",
            "答复时间",
            "按时答复",
            "状态",
        ],
    );
    for r in month_reports_with(app, now.date_naive(), now).await? {
        reports.push(vec![
            excel::Cell::Int(r.id),
            r.uscc.into(),
            r.enterprise_name.into(),
            r.title.into(),
            (if r.urgent { "是" } else { "否" }).into(),
            local(r.received_at),
            local(r.accept_by),
            r.accepted_at.map_or(excel::Cell::Empty, local),
            yes_no(r.accepted_in_time),
            local(r.answer_by),
            r.answered_at.map_or(excel::Cell::Empty, local),
            yes_no(r.answered_in_time),
            r.state_zh.into(),
        ]);
    }
    let mut wb = excel::Workbook::new("物流保通保畅台账", now.naive_local());
    wb.sheets.push(sheet);
    wb.sheets.push(reports);
    wb.to_bytes().map_err(Error::internal)
}

/// The time limits obstruction reports are received under now, in words: `受理 1 小时（紧急 1
/// 小时），答复 24 小时（紧急 8 小时）` (the zone's time limits, which an admin may change).
pub fn limits_text(app: &App, lang: i18n::Lang) -> String {
    let t = app.live.time_limits();
    let accept = t.accept_of(CATEGORY);
    let answer = t.applied(CATEGORY, handling::Urgency::Normal).answer;
    let answer_urgent = t.applied(CATEGORY, handling::Urgency::Urgent).answer;
    let w = |l| crate::time_limits::limit_text(l, lang);
    match lang {
        i18n::Lang::Zh => format!(
            "受理 {}（紧急 {}），答复 {}（紧急 {}）",
            w(accept.normal),
            w(accept.urgent),
            w(answer),
            w(answer_urgent)
        ),
        i18n::Lang::En => format!(
            "accepted within {} ({} if urgent), answered within {} ({} if urgent)",
            w(accept.normal),
            w(accept.urgent),
            w(answer),
            w(answer_urgent)
        ),
    }
}

/// Minutes as people read a time left: `2 小时 5 分`, `35 分`.
pub fn minutes_zh(minutes: i64) -> String {
    let m = minutes.abs();
    let text = if m >= 60 { format!("{} 小时 {} 分", m / 60, m % 60) } else { format!("{m} 分") };
    if minutes < 0 { format!("已超时 {text}") } else { format!("剩 {text}") }
}
