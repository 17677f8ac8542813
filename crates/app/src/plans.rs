//! 一企一对策 plans (the plan's 三.7): "围绕正在开展的有关企业倍增、领跑、高成长梯度培育、提质升级等专项
//! 计划，实行专家团队深度诊断，针对性制定'一企一对策'重点辅导及扶持（责任部门：经济发展局）".
//!
//! - Which enterprises: a plan names the cultivation programme (倍增, 领跑, 高成长) the
//!   enterprise is in; the officer's list of plans is the list of enterprises under
//!   一企一对策. (The registry's tags are free text imported from files; a programme is a
//!   decision of the running department, so it is recorded on the plan, not inferred.)
//! - Who: the running department is the lead of the routing category `upgrading` (三.7,
//!   经济发展局): its officers (and admins) make plans from an expert diagnosis, add
//!   measures, record the quarterly reviews and close plans. A measure's owner department
//!   updates that measure only (status and progress notes). The enterprise reads its own
//!   plans; cadres their linked enterprises'; leaders, supervisors and other officials all.
//! - When: a measure past its deadline and neither done nor dropped is behind schedule;
//!   reviews are due at each quarter's end after the plan starts
//!   (`services::steps::review_due`); a review counts for a quarter when recorded from
//!   [`REVIEW_WINDOW_DAYS`] days before its end; a quarter ended without one is overdue.

use chrono::{Datelike, Duration, NaiveDate};
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};
use store::plans::{MeasureStatus, NewMeasure, NewPlan, PlanFilter, PlanRecord, PlanWrite, Programme};
use store::{Role, Stamp};

use crate::authz::{self, Action, Resource};
use crate::credit_repair::parse_date;
use crate::problems::text::{Lines, clean};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::{App, Error, Principal, Result};

pub use store::plans::{
    MAX_CONCLUSION, MAX_EXPERTS, MAX_FINDINGS, MAX_MEASURE_TITLE, MAX_MEASURES, MAX_NOTE, MAX_NOTES,
};

/// The routing category whose lead department runs cultivation (三.7 产业升级).
pub const CATEGORY: &str = "upgrading";

/// A quarter's review may be recorded from this many days before the quarter ends.
pub const REVIEW_WINDOW_DAYS: i64 = 15;

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

fn stamp(app: &App, actor: &Principal) -> Stamp {
    Stamp::new(actor.username.clone(), app.now())
}

/// The department that runs 一企一对策: the lead of the routing category `upgrading`.
pub async fn running_department(app: &App) -> Result<String> {
    let routing = crate::problems::routing(app).await?;
    routing
        .category(CATEGORY)
        .and_then(|c| c.lead())
        .map(str::to_string)
        .ok_or_else(|| Error::internal("the routing has no lead department for upgrading"))
}

/// Whether the actor makes and reviews plans (the running department's officers, admins).
pub async fn runs_plans(app: &App, actor: &Principal) -> Result<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Department => actor.department.as_deref() == Some(running_department(app).await?.as_str()),
        _ => false,
    })
}

/// One measure as planned (on the form or in the request).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureInput {
    pub title: String,
    /// The owner department's code or name.
    pub owner_department: String,
    /// `2027-03-31`.
    pub deadline: String,
}

/// A plan made from an expert diagnosis.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRequest {
    pub uscc: String,
    /// `doubling`, `leading`, `high_growth` (or 倍增, 领跑, 高成长).
    pub programme: String,
    /// The diagnosis date, `2026-11-20`.
    pub diagnosed_on: String,
    /// The experts (≤ 200 characters).
    pub experts: String,
    /// The diagnosis' findings (≤ 5,000 characters).
    pub findings: String,
    #[serde(default)]
    pub measures: Vec<MeasureInput>,
}

/// A plan as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlanView {
    #[serde(flatten)]
    pub record: PlanRecord,
    pub programme_zh: &'static str,
    /// Measures past their deadline and not done or dropped.
    pub behind: Vec<i64>,
    /// The next quarterly review (none once closed).
    pub review_due: Option<NaiveDate>,
    /// A quarter ended without its review.
    pub review_overdue: bool,
    /// The next review's window is open ([`REVIEW_WINDOW_DAYS`] before the quarter's end)
    /// and it is not recorded yet: the review is due now.
    pub review_open: bool,
    /// Measures done.
    pub done: usize,
}

/// The latest quarter end before `today` whose review is due, if any.
fn last_quarter_end(started: NaiveDate, today: NaiveDate) -> Option<NaiveDate> {
    let mut due = services::steps::review_due(started, started);
    if due >= today {
        return None;
    }
    loop {
        let next = services::steps::review_due(started, due + Duration::days(1));
        if next >= today {
            return Some(due);
        }
        due = next;
    }
}

fn view(record: PlanRecord, today: NaiveDate) -> PlanView {
    let measures: Vec<_> = record.measures.iter().map(|m| m.measure()).collect();
    let open = record.closed_on.is_none();
    let behind = if open {
        services::steps::behind_schedule(&measures, today).iter().map(|m| m.id).collect()
    } else {
        Vec::new()
    };
    let review_overdue = open
        && last_quarter_end(record.started_on, today).is_some_and(|end| {
            !record.reviews.iter().any(|r| r.reviewed_on >= end - Duration::days(REVIEW_WINDOW_DAYS))
        });
    let review_due = open.then(|| services::steps::review_due(record.started_on, today));
    let review_open = review_due.is_some_and(|due| {
        let from = due - Duration::days(REVIEW_WINDOW_DAYS);
        today >= from && !record.reviews.iter().any(|r| r.reviewed_on >= from)
    });
    PlanView {
        programme_zh: record.programme.label_zh(),
        behind,
        review_due,
        review_overdue,
        review_open,
        done: record.measures.iter().filter(|m| m.status == MeasureStatus::Done).count(),
        record,
    }
}

/// The enterprise a plan or a credit repair case is for (`credit_repair` shares it): its id,
/// after the credit code parses and the actor may act on its cases (403), or 404.
pub(crate) async fn enterprise(app: &App, actor: &Principal, uscc: &str, action: Action) -> Result<i64> {
    let code = UnifiedCreditCode::parse(uscc.trim()).map_err(|_| {
        bad("uscc", uscc, "18 位统一社会信用代码 / an 18-character unified social credit code")
    })?;
    let head = app
        .store
        .enterprise_head(&code)
        .await?
        .ok_or_else(|| Error::EnterpriseNotFound { uscc: code.to_string() })?;
    authz::require(actor, action, Resource::ServiceCase { uscc: &code, links: &head.links }).map_err(
        |e| {
            if matches!(e, Error::Forbidden) {
                e
            } else {
                Error::EnterpriseNotFound { uscc: code.to_string() }
            }
        },
    )?;
    Ok(head.id)
}

async fn measure(app: &App, i: usize, m: &MeasureInput, today: NaiveDate) -> Result<NewMeasure> {
    let field = |f: &str| format!("measures[{i}].{f}");
    let title = clean(&field("title"), &m.title, MAX_MEASURE_TITLE, Lines::One)?;
    if title.is_empty() {
        return Err(Error::Required {
            field: field("title"), what: "措施内容 / what the measure is".into()
        });
    }
    let routing = crate::problems::routing(app).await?;
    let owner = routing.department(&m.owner_department).map(|d| d.code.clone()).ok_or_else(|| {
        bad(&field("owner_department"), &m.owner_department, "部门代码或名称 / a department code or name")
    })?;
    let deadline = parse_date(&field("deadline"), &m.deadline)?;
    if deadline < today {
        return Err(bad(&field("deadline"), deadline, "不能早于今天 / cannot be before today"));
    }
    Ok(NewMeasure { title, owner_department: owner, deadline })
}

/// Makes a plan from an expert diagnosis (the running department).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn create(app: &App, actor: &Principal, req: &CreateRequest) -> Result<PlanView> {
    if !runs_plans(app, actor).await? {
        return Err(Error::Forbidden);
    }
    let enterprise_id = enterprise(app, actor, &req.uscc, Action::Write).await?;
    let programme = Programme::parse(&req.programme).ok_or_else(|| {
        bad(
            "programme",
            &req.programme,
            "应为 倍增、领跑、高成长 之一 / must be doubling, leading or high_growth",
        )
    })?;
    let today = app.today();
    let diagnosed_on = parse_date("diagnosed_on", &req.diagnosed_on)?;
    if diagnosed_on > today {
        return Err(bad("diagnosed_on", diagnosed_on, "不能晚于今天 / cannot be after today"));
    }
    let experts = clean("experts", &req.experts, MAX_EXPERTS, Lines::One)?;
    if experts.is_empty() {
        return Err(Error::Required { field: "experts".into(), what: "诊断专家 / the experts".into() });
    }
    let findings = clean("findings", &req.findings, MAX_FINDINGS, Lines::Many)?;
    if findings.is_empty() {
        return Err(Error::Required {
            field: "findings".into(),
            what: "诊断结论 / the diagnosis' findings".into(),
        });
    }
    if req.measures.len() > MAX_MEASURES {
        return Err(bad(
            "measures",
            req.measures.len(),
            "一个方案最多 50 项措施 / at most 50 measures a plan",
        ));
    }
    let mut measures = Vec::new();
    for (i, m) in req.measures.iter().enumerate() {
        measures.push(measure(app, i, m, today).await?);
    }
    let plan =
        NewPlan { enterprise_id, programme, diagnosed_on, experts, findings, started_on: today, measures };
    let id = app.store.create_plan(&plan, &stamp(app, actor)).await?;
    show(app, actor, id).await
}

/// One plan, for whoever may see its enterprise.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn show(app: &App, actor: &Principal, id: i64) -> Result<PlanView> {
    let r = app.store.plan(id).await?.ok_or(Error::PlanNotFound { id })?;
    enterprise(app, actor, &r.uscc, Action::Read).await.map_err(|_| Error::PlanNotFound { id })?;
    Ok(view(r, app.today()))
}

/// Which plans a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct ListQuery {
    /// Only plans with a measure behind schedule or a review overdue.
    #[serde(default)]
    pub behind: bool,
    /// Closed plans too.
    #[serde(default)]
    pub closed: bool,
    /// One programme (`doubling`, 倍增 …).
    #[serde(default)]
    pub programme: Option<String>,
    /// One enterprise's plans.
    #[serde(default)]
    pub uscc: Option<String>,
}

/// Plans: an enterprise its own; a cadre its linked enterprises'; an owner department those
/// with its measures (the running department, leaders, supervisors and others: all).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<PlanView>> {
    let mut filter = PlanFilter { include_closed: q.closed, ..PlanFilter::default() };
    let uscc = match (actor.role, &actor.enterprise) {
        (Role::Enterprise, Some(own)) => Some(own.to_string()),
        (Role::Enterprise, None) => return Err(Error::Forbidden),
        _ => q.uscc.clone().filter(|s| !s.trim().is_empty()),
    };
    if let Some(u) = &uscc {
        filter.enterprise_id = Some(enterprise(app, actor, u, Action::Read).await?);
    }
    if actor.role == Role::Department && !runs_plans(app, actor).await? {
        filter.department = actor.department.clone();
    }
    let programme = match q.programme.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Some(Programme::parse(p).ok_or_else(|| {
            bad("programme", p, "应为 倍增、领跑、高成长 之一 / must be doubling, leading or high_growth")
        })?),
        None => None,
    };
    let today = app.today();
    let mut out = Vec::new();
    for r in app.store.plans(&filter).await? {
        if programme.is_some_and(|p| p != r.programme) {
            continue;
        }
        if actor.role == Role::Cadre && uscc.is_none() {
            let Ok(code) = UnifiedCreditCode::parse(&r.uscc) else { continue };
            let Some(head) = app.store.enterprise_head(&code).await? else { continue };
            if !authz::authorize(
                actor,
                Action::Read,
                Resource::ServiceCase { uscc: &code, links: &head.links },
            )
            .is_allowed()
            {
                continue;
            }
        }
        let v = view(r, today);
        if !q.behind || !v.behind.is_empty() || v.review_overdue {
            out.push(v);
        }
    }
    Ok(out)
}

/// A change to one measure by its owner department (or the running department).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureUpdate {
    /// `in_progress`, `done`, `dropped` (or 推进中, 已完成, 已调整取消); empty: unchanged.
    #[serde(default)]
    pub status: String,
    /// A progress note (≤ 500 characters); required when dropping (the reason).
    #[serde(default)]
    pub note: String,
    /// The plan version the form showed (default: the current one).
    #[serde(default)]
    pub version: Option<i64>,
}

fn parse_status(s: &str) -> Result<MeasureStatus> {
    use strum::IntoEnumIterator;
    let t = s.trim();
    MeasureStatus::parse(t).or_else(|| MeasureStatus::iter().find(|k| k.label_zh() == t)).ok_or_else(|| {
        bad("status", t, "应为 in_progress、done、dropped 之一 / must be in_progress, done or dropped")
    })
}

/// Which measures of a plan the actor may update.
pub async fn editable_measures(app: &App, actor: &Principal, plan: &PlanRecord) -> Result<Vec<i64>> {
    if plan.closed_on.is_some() {
        return Ok(Vec::new());
    }
    let all = runs_plans(app, actor).await?;
    Ok(plan
        .measures
        .iter()
        .filter(|m| !m.status.is_final())
        .filter(|m| {
            all || (actor.role == Role::Department
                && actor.department.as_deref() == Some(&m.owner_department))
        })
        .map(|m| m.id)
        .collect())
}

/// Updates one measure: its owner department, or the running department.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn update_measure(
    app: &App,
    actor: &Principal,
    plan: i64,
    measure: i64,
    req: &MeasureUpdate,
) -> Result<PlanView> {
    let r = app.store.plan(plan).await?.ok_or(Error::PlanNotFound { id: plan })?;
    enterprise(app, actor, &r.uscc, Action::Read).await.map_err(|_| Error::PlanNotFound { id: plan })?;
    let m = r
        .measures
        .iter()
        .find(|m| m.id == measure)
        .ok_or_else(|| bad("measure", measure, "该方案没有这项措施 / the plan has no such measure"))?;
    let owner = actor.role == Role::Department && actor.department.as_deref() == Some(&m.owner_department);
    if !owner && !runs_plans(app, actor).await? {
        return Err(Error::Forbidden);
    }
    if r.closed_on.is_some() {
        return Err(bad("plan", plan, "方案已结束，不能再更新措施 / the plan is closed"));
    }
    let to = if req.status.trim().is_empty() { m.status } else { parse_status(&req.status)? };
    let note = clean("note", &req.note, MAX_NOTE, Lines::One)?;
    let moves = to != m.status || (to == MeasureStatus::InProgress && m.status.may_become(to));
    let note_only = to == m.status && !note.is_empty() && !to.is_final();
    if !(m.status.may_become(to) || note_only) {
        return Err(bad(
            "status",
            to.as_str(),
            &format!(
                "措施当前为“{}”，不能改为“{}” / a measure {} cannot become {}",
                m.status.label_zh(),
                to.label_zh(),
                m.status.as_str(),
                to.as_str()
            ),
        ));
    }
    if to == MeasureStatus::Dropped && note.is_empty() {
        return Err(Error::Required {
            field: "note".into(),
            what: "取消措施的原因 / why the measure is dropped".into(),
        });
    }
    if !moves && note.is_empty() {
        return Err(Error::Required { field: "note".into(), what: "进展情况 / a progress note".into() });
    }
    let today = app.today();
    let mut notes = m.notes.clone();
    if !note.is_empty() {
        if !notes.is_empty() {
            notes.push('\n');
        }
        notes.push_str(&format!("{today} {}：{note}", actor.display_name));
    }
    Error::check_length("note", &notes, MAX_NOTES)?;
    let done_on = if to == MeasureStatus::Done { Some(today) } else { m.done_on };
    let write = PlanWrite::Measure { id: m.id, from: m.status, to, notes, done_on };
    app.store.save_plan(plan, req.version.unwrap_or(r.version), &[write], &stamp(app, actor)).await?;
    show(app, actor, plan).await
}

/// A plan with what the reader may do on it (the page's forms, the API's hints).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlanDetail {
    #[serde(flatten)]
    pub view: PlanView,
    /// The measures the reader may update (its department's, or all for the running
    /// department), open ones of an open plan.
    pub editable: Vec<i64>,
    /// The reader runs 一企一对策 and the plan is open: it adds measures and records reviews.
    pub manages: bool,
}

/// One plan with the reader's possible actions.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn detail(app: &App, actor: &Principal, id: i64) -> Result<PlanDetail> {
    let view = show(app, actor, id).await?;
    let editable = editable_measures(app, actor, &view.record).await?;
    let manages = view.record.closed_on.is_none() && runs_plans(app, actor).await?;
    Ok(PlanDetail { view, editable, manages })
}

/// An open plan the actor runs (the running department): 404 when it may not see it, 403
/// when it does not run plans, 400 once closed.
async fn managed(app: &App, actor: &Principal, plan: i64) -> Result<PlanRecord> {
    let r = app.store.plan(plan).await?.ok_or(Error::PlanNotFound { id: plan })?;
    enterprise(app, actor, &r.uscc, Action::Read).await.map_err(|_| Error::PlanNotFound { id: plan })?;
    if !runs_plans(app, actor).await? {
        return Err(Error::Forbidden);
    }
    if r.closed_on.is_some() {
        return Err(bad("plan", plan, "方案已结束 / the plan is closed"));
    }
    Ok(r)
}

/// The writes adding `inputs` to plan `r`, each checked, within [`MAX_MEASURES`] a plan.
async fn added(app: &App, r: &PlanRecord, inputs: &[MeasureInput]) -> Result<Vec<PlanWrite>> {
    if r.measures.len() + inputs.len() > MAX_MEASURES {
        return Err(bad("measures", inputs.len(), "一个方案最多 50 项措施 / at most 50 measures a plan"));
    }
    let today = app.today();
    let mut writes = Vec::new();
    for (i, m) in inputs.iter().enumerate() {
        writes.push(PlanWrite::AddMeasure(measure(app, i, m, today).await?));
    }
    Ok(writes)
}

/// Measures added to an open plan between reviews (the running department).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddMeasuresRequest {
    pub measures: Vec<MeasureInput>,
    /// The plan version the form showed (default: the current one).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Adds measures to an open plan (the running department), each with its owner department
/// and deadline.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn add_measures(
    app: &App,
    actor: &Principal,
    plan: i64,
    req: &AddMeasuresRequest,
) -> Result<PlanView> {
    let r = managed(app, actor, plan).await?;
    if req.measures.is_empty() {
        return Err(Error::Required {
            field: "measures".into(),
            what: "至少一项措施 / at least one measure".into(),
        });
    }
    let writes = added(app, &r, &req.measures).await?;
    app.store.save_plan(plan, req.version.unwrap_or(r.version), &writes, &stamp(app, actor)).await?;
    show(app, actor, plan).await
}

/// A quarterly review.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewRequest {
    /// The review's day (default today; not in the future).
    #[serde(default)]
    pub reviewed_on: Option<String>,
    /// The conclusion (≤ 2,000 characters).
    pub conclusion: String,
    /// Close the plan with this review (its measures achieved or no longer needed).
    #[serde(default)]
    pub close: bool,
    /// Measures to add at the review.
    #[serde(default)]
    pub measures: Vec<MeasureInput>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// Records a quarterly review (the running department): its conclusion, new measures, and
/// whether the plan closes.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn review(app: &App, actor: &Principal, plan: i64, req: &ReviewRequest) -> Result<PlanView> {
    let r = managed(app, actor, plan).await?;
    let today = app.today();
    let on = match req.reviewed_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => parse_date("reviewed_on", t)?,
        None => today,
    };
    if on > today || on < r.started_on {
        return Err(bad(
            "reviewed_on",
            on,
            "应在方案开始之后、今天之前 / must be between the plan's start and today",
        ));
    }
    let conclusion = clean("conclusion", &req.conclusion, MAX_CONCLUSION, Lines::Many)?;
    if conclusion.is_empty() {
        return Err(Error::Required {
            field: "conclusion".into(),
            what: "评估结论 / the review's conclusion".into(),
        });
    }
    let mut writes = vec![PlanWrite::Review { on, conclusion }];
    writes.extend(added(app, &r, &req.measures).await?);
    if req.close {
        writes.push(PlanWrite::Close { on });
    }
    app.store.save_plan(plan, req.version.unwrap_or(r.version), &writes, &stamp(app, actor)).await?;
    show(app, actor, plan).await
}

/// The 一企一对策 row of the leader's service-line table: plans active, measures done this
/// month; behind = measures past their deadline and not done.
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    authz::require(actor, Action::Read, Resource::Kpi)?;
    let plans = app.store.plans(&PlanFilter::default()).await?;
    let month = |d: NaiveDate| d.year() == day.year() && d.month() == day.month();
    let mut done = 0u64;
    let mut behind = 0u64;
    let mut overdue = 0u64;
    for p in &plans {
        done += p
            .measures
            .iter()
            .filter(|m| m.status == MeasureStatus::Done && m.done_on.is_some_and(month))
            .count() as u64;
        let v = view(p.clone(), day);
        behind += v.behind.len() as u64;
        overdue += u64::from(v.review_overdue);
    }
    Ok(vec![ServiceLineKpi {
        clause: "三.7",
        name_zh: "一企一对策".into(),
        figures: vec![
            Figure { label_zh: "在办方案（个）", value: plans.len() as u64 },
            Figure { label_zh: "本月完成措施（项）", value: done },
            Figure { label_zh: "评估逾期方案（个）", value: overdue },
        ],
        behind,
        href: Some("/plans?behind=true"),
    }])
}

/// The plans workbook (一企一对策台账): one sheet of plans, one of every measure, one of the
/// reviews. Officials only.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn workbook(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<u8>> {
    if actor.role == Role::Enterprise {
        return Err(Error::Forbidden);
    }
    let views = list(app, actor, q).await?;
    let routing = crate::problems::routing(app).await?;
    let dept = |c: &str| routing.department(c).map_or(c.to_string(), |d| d.name.clone());
    let n = |v: usize| excel::Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
    let mut plans = excel::Sheet::new(
        "方案",
        &[
            "编号",
            "统一社会信用代码",
            "企业名称",
            "培育计划",
            "诊断日期",
            "诊断专家",
            "措施数",
            "已完成",
            "滞后措施",
            "下次评估",
            "评估逾期",
            "状态",
        ],
    );
    let mut measures = excel::Sheet::new(
        "措施",
        &[
            "方案编号",
            "企业名称",
            "序号",
            "措施",
            "责任部门",
            "完成期限",
            "状态",
            "完成日期",
            "是否滞后",
            "进展",
        ],
    );
    let mut reviews = excel::Sheet::new("评估", &["方案编号", "企业名称", "评估日期", "评估结论", "评估人"]);
    for v in &views {
        let p = &v.record;
        plans.push(vec![
            excel::Cell::Int(p.id),
            p.uscc.clone().into(),
            p.enterprise_name.clone().into(),
            v.programme_zh.into(),
            excel::Cell::Date(p.diagnosed_on),
            p.experts.clone().into(),
            n(p.measures.len()),
            n(v.done),
            n(v.behind.len()),
            v.review_due.map_or(excel::Cell::Empty, excel::Cell::Date),
            (if v.review_overdue { "是" } else { "" }).into(),
            (if p.closed_on.is_some() { "已结束" } else { "推进中" }).into(),
        ]);
        for m in &p.measures {
            measures.push(vec![
                excel::Cell::Int(p.id),
                p.enterprise_name.clone().into(),
                excel::Cell::Int(m.seq),
                m.title.clone().into(),
                dept(&m.owner_department).into(),
                excel::Cell::Date(m.deadline),
                m.status.label_zh().into(),
                m.done_on.map_or(excel::Cell::Empty, excel::Cell::Date),
                (if v.behind.contains(&m.id) { "滞后" } else { "" }).into(),
                m.notes.clone().into(),
            ]);
        }
        for r in &p.reviews {
            reviews.push(vec![
                excel::Cell::Int(p.id),
                p.enterprise_name.clone().into(),
                excel::Cell::Date(r.reviewed_on),
                r.conclusion.clone().into(),
                r.reviewed_by.clone().into(),
            ]);
        }
    }
    let mut wb = excel::Workbook::new("一企一对策台账", app.now().naive_local());
    wb.sheets.extend([plans, measures, reviews]);
    wb.to_bytes().map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_last_quarter_end_before_today() {
        assert_eq!(last_quarter_end(d(2026, 2, 10), d(2026, 3, 31)), None);
        assert_eq!(last_quarter_end(d(2026, 2, 10), d(2026, 4, 1)), Some(d(2026, 3, 31)));
        assert_eq!(last_quarter_end(d(2026, 2, 10), d(2026, 12, 6)), Some(d(2026, 9, 30)));
        assert_eq!(last_quarter_end(d(2026, 3, 31), d(2026, 4, 2)), None, "started on a quarter's last day");
    }
}
