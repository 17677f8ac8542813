//! Credit repair cases (信用修复, the plan's 三.16): "对企业因2022年疫情影响产生的不良信用记录，由区
//! 社会信用办组织免费培训、指导，帮助企业申请信用修复（责任部门：经济发展局）". The credit office
//! (the lead department of the routing category `credit_repair`, 经济发展局内设区社会信用办)
//! records a case per adverse record (source, record date, kind, the repair conditions) and
//! advances it through its steps in order (`services::steps::RepairCase`): training attended,
//! commitment signed, application submitted, then repaired or refused with a reason. Each of
//! the enterprise's three steps has a deadline fixed when the case is recorded: the zone
//! setting `credit_repair.*_workdays` working days after the recording day on the zone
//! calendar (the plan sets none: the defaults are this system's, see
//! [`CreditRepairSettings`]). A step not done by its deadline is late (a warning on the
//! office's list and the leader's dashboard). The enterprise sees its cases read-only, with
//! its steps and what to do next.

use chrono::{Datelike, NaiveDate};
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};
use store::credit_repair::{NewRepairCase, RecordKind, RepairCaseRecord, RepairFilter, RepairStep};
use store::{Role, Stamp};

use crate::authz::{self, Action, Resource};
use crate::problems::text::{Lines, clean};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::{App, Error, Principal, Result};

pub use store::credit_repair::{MAX_CONDITIONS, MAX_REASON, MAX_SOURCE};

/// The routing category whose lead department runs credit repair (区社会信用办).
pub const CATEGORY: &str = "credit_repair";

/// The source stated with the shipped step deadlines.
pub const DEFAULT_SOURCE: &str = "方案（三.16 实施企业信用修复）未规定各步骤期限：自立案之日起 10 个工作日内参加培训、\
     15 个工作日内签署信用承诺、20 个工作日内提交修复申请，均为本系统默认值，待园区确定后由管理员修改";

/// The zone's deadlines of a repair case's steps, in working days from the day the case is
/// recorded (zone setting section `credit_repair`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreditRepairSettings {
    pub training_workdays: u32,
    pub commitment_workdays: u32,
    pub application_workdays: u32,
    /// Where these come from.
    pub source: String,
}

impl Default for CreditRepairSettings {
    fn default() -> Self {
        CreditRepairSettings {
            training_workdays: 10,
            commitment_workdays: 15,
            application_workdays: 20,
            source: DEFAULT_SOURCE.to_string(),
        }
    }
}

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

fn stamp(app: &App, actor: &Principal) -> Stamp {
    Stamp::new(actor.username.clone(), app.now())
}

/// A civil date `2026-12-06`, between 2000 and 2100.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate> {
    let t = s.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().filter(|d| (2000..=2100).contains(&d.year())).ok_or_else(
        || bad(field, t, "应为 2026-12-06 这样的日期（2000–2100 年） / must be a date like 2026-12-06"),
    )
}

/// The department that runs credit repair: the lead of the routing category `credit_repair`.
pub async fn office(app: &App) -> Result<String> {
    crate::service_lines::lead_department(app, CATEGORY).await
}

/// Whether the actor runs cases (the credit office's officers, admins).
pub async fn runs_cases(app: &App, actor: &Principal) -> Result<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Department => actor.department.as_deref() == Some(office(app).await?.as_str()),
        _ => false,
    })
}

async fn require_office(app: &App, actor: &Principal) -> Result<()> {
    if runs_cases(app, actor).await? { Ok(()) } else { Err(Error::Forbidden) }
}

/// What the credit office records.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenRequest {
    pub uscc: String,
    /// Where the record comes from (≤ 100 characters), e.g. 市场监管局 2022 年 12 号行政处罚决定.
    pub source: String,
    /// The record's date, `2022-05-10`.
    pub record_date: String,
    /// `administrative_penalty`, `abnormal_operation`, `serious_dishonesty`, `other` (or
    /// 行政处罚, 经营异常, 严重失信, 其他).
    pub kind: String,
    /// The repair conditions (≤ 2,000 characters).
    #[serde(default)]
    pub conditions: String,
}

/// A case as shown: the record with its progress.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseView {
    #[serde(flatten)]
    pub record: RepairCaseRecord,
    pub kind_zh: &'static str,
    pub step: RepairStep,
    pub step_zh: &'static str,
    /// The step awaited, if the case is open.
    pub next: Option<RepairStep>,
    /// What the enterprise is to do next (Chinese), if the case is open.
    pub todo_zh: Option<&'static str>,
    /// The awaited step's deadline, if it has one.
    pub next_due: Option<NaiveDate>,
    /// The awaited step's deadline has passed.
    pub late: bool,
}

fn view(record: RepairCaseRecord, today: NaiveDate) -> CaseView {
    let progress = record.progress();
    let step = progress.current();
    let next = progress.next();
    let next_due = next.and_then(|n| progress.deadlines.iter().find(|(s, _)| *s == n).map(|(_, d)| *d));
    CaseView {
        kind_zh: record.case.kind.label_zh(),
        step,
        step_zh: step.label_zh(),
        next,
        todo_zh: next.map(RepairStep::todo_zh),
        next_due,
        late: progress.late(today).is_some(),
        record,
    }
}

async fn enterprise_id(app: &App, actor: &Principal, uscc: &str, action: Action) -> Result<i64> {
    crate::plans::enterprise(app, actor, uscc, action).await
}

/// Records a case; its deadlines on the zone calendar from today.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn open(app: &App, actor: &Principal, req: &OpenRequest) -> Result<CaseView> {
    require_office(app, actor).await?;
    let enterprise_id = enterprise_id(app, actor, &req.uscc, Action::Write).await?;
    let source = clean("source", &req.source, MAX_SOURCE, Lines::One)?;
    if source.is_empty() {
        return Err(Error::Required {
            field: "source".into(),
            what: "不良记录来源 / the record's source".into(),
        });
    }
    let record_date = parse_date("record_date", &req.record_date)?;
    let today = app.today();
    if record_date > today {
        return Err(bad("record_date", record_date, "不能晚于今天 / cannot be after today"));
    }
    let kind = RecordKind::parse(&req.kind).ok_or_else(|| {
        bad(
            "kind",
            &req.kind,
            "应为 行政处罚、经营异常、严重失信、其他 之一 / must be administrative_penalty, abnormal_operation, \
             serious_dishonesty or other",
        )
    })?;
    let conditions = clean("conditions", &req.conditions, MAX_CONDITIONS, Lines::Many)?;
    let s = app.live.settings().credit_repair.clone();
    let due = |n| crate::calendar::add_workdays(app, today, n);
    let case = NewRepairCase {
        enterprise_id,
        source,
        record_date,
        kind,
        conditions,
        recorded_on: today,
        training_due: due(s.training_workdays).await?.result,
        commitment_due: due(s.commitment_workdays).await?.result,
        application_due: due(s.application_workdays).await?.result,
    };
    let id = app.store.create_case(&case, &stamp(app, actor)).await?;
    show(app, actor, id).await
}

/// One case, for whoever may see its enterprise.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn show(app: &App, actor: &Principal, id: i64) -> Result<CaseView> {
    let r = app.store.repair_case(id).await?.ok_or(Error::RepairCaseNotFound { id })?;
    enterprise_id(app, actor, &r.uscc, Action::Read).await.map_err(|_| Error::RepairCaseNotFound { id })?;
    Ok(view(r, app.today()))
}

/// A case with what the reader may do on it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub view: CaseView,
    /// The steps the reader may record now (the credit office on an open case): the next
    /// one, or after the application repaired or refused.
    pub choices: Vec<RepairStep>,
}

/// One case with the reader's possible steps.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn detail(app: &App, actor: &Principal, id: i64) -> Result<CaseDetail> {
    let view = show(app, actor, id).await?;
    let choices = if runs_cases(app, actor).await? { view.record.progress().choices() } else { Vec::new() };
    Ok(CaseDetail { view, choices })
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct ListQuery {
    /// Only open cases.
    #[serde(default)]
    pub open: bool,
    /// Only late cases.
    #[serde(default)]
    pub late: bool,
    /// One enterprise's cases.
    #[serde(default)]
    pub uscc: Option<String>,
}

/// Cases: an enterprise its own; a cadre its linked enterprises'; other officials all.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<CaseView>> {
    let mut filter = RepairFilter { enterprise_id: None, open_only: q.open };
    let uscc = match (actor.role, &actor.enterprise) {
        (Role::Enterprise, Some(own)) => Some(own.to_string()),
        (Role::Enterprise, None) => return Err(Error::Forbidden),
        _ => q.uscc.clone().filter(|s| !s.trim().is_empty()),
    };
    if let Some(u) = &uscc {
        filter.enterprise_id = Some(enterprise_id(app, actor, u, Action::Read).await?);
    }
    let today = app.today();
    let mut out = Vec::new();
    for r in app.store.repair_cases(&filter).await? {
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
        if !q.late || v.late {
            out.push(v);
        }
    }
    Ok(out)
}

/// A step done.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvanceRequest {
    /// `training_attended`, `commitment_signed`, `application_submitted`, `repaired`,
    /// `refused` (or the Chinese label).
    pub step: String,
    /// The day it was done (default today; not in the future).
    #[serde(default)]
    pub on: Option<String>,
    /// The reason of a refusal (required), or a note.
    #[serde(default)]
    pub reason: String,
    /// The case version the form showed (default: the current one).
    #[serde(default)]
    pub version: Option<i64>,
}

fn parse_step(s: &str) -> Result<RepairStep> {
    use strum::IntoEnumIterator;
    let t = s.trim();
    RepairStep::parse(t).or_else(|| RepairStep::iter().find(|k| k.label_zh() == t)).ok_or_else(|| {
        bad(
            "step",
            t,
            "应为 training_attended、commitment_signed、application_submitted、repaired、refused 之一 / \
             must be one of the repair steps",
        )
    })
}

/// Records the next step of a case (the credit office).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn advance(app: &App, actor: &Principal, id: i64, req: &AdvanceRequest) -> Result<CaseView> {
    let r = app.store.repair_case(id).await?.ok_or(Error::RepairCaseNotFound { id })?;
    enterprise_id(app, actor, &r.uscc, Action::Read).await.map_err(|_| Error::RepairCaseNotFound { id })?;
    require_office(app, actor).await?;
    let step = parse_step(&req.step)?;
    let today = app.today();
    let on = match req.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => parse_date("on", t)?,
        None => today,
    };
    if on > today {
        return Err(bad("on", on, "不能晚于今天 / cannot be after today"));
    }
    let mut progress = r.progress();
    let last = progress.done.last().map(|(_, d)| *d);
    if last.is_some_and(|d| on < d) {
        return Err(bad("on", on, "不能早于上一步骤的日期 / cannot be before the previous step's date"));
    }
    progress.advance(step, on).map_err(Error::Service)?;
    let reason = clean("reason", &req.reason, MAX_REASON, Lines::Many)?;
    if step == RepairStep::Refused && reason.is_empty() {
        return Err(Error::Required {
            field: "reason".into(),
            what: "未通过的原因 / the reason of the refusal".into(),
        });
    }
    let expected = req.version.unwrap_or(r.version);
    app.store.advance_case(id, expected, step, on, &reason, &stamp(app, actor)).await?;
    show(app, actor, id).await
}

/// The credit repair row of the leader's service-line table: cases open, repaired this
/// month; behind = open cases whose awaited step is late.
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    authz::require(actor, Action::Read, Resource::Kpi)?;
    let cases = app.store.repair_cases(&RepairFilter::default()).await?;
    let month = |d: NaiveDate| d.year() == day.year() && d.month() == day.month();
    let mut open = 0;
    let mut repaired = 0;
    let mut late = 0;
    for c in &cases {
        let p = c.progress();
        if !p.current().is_final() {
            open += 1;
        }
        if p.done.iter().any(|(s, d)| *s == RepairStep::Repaired && month(*d)) {
            repaired += 1;
        }
        if p.late(day).is_some() {
            late += 1;
        }
    }
    Ok(vec![ServiceLineKpi {
        clause: "三.16",
        name_zh: "信用修复".into(),
        figures: vec![
            Figure { label_zh: "在办案件（件）", value: open },
            Figure { label_zh: "本月修复（件）", value: repaired },
        ],
        behind: late,
        href: Some("/credit-repair?late=true"),
    }])
}

/// The cases workbook (信用修复台账): one row per case with its steps' dates and deadlines.
/// Officials only.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn workbook(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<u8>> {
    if actor.role == Role::Enterprise {
        return Err(Error::Forbidden);
    }
    let cases = list(app, actor, q).await?;
    let mut sheet = excel::Sheet::new(
        "信用修复",
        &[
            "编号",
            "统一社会信用代码",
            "企业名称",
            "记录类型",
            "记录来源",
            "记录日期",
            "立案日期",
            "当前步骤",
            "培训期限",
            "参加培训",
            "承诺期限",
            "签署承诺",
            "申请期限",
            "提交申请",
            "结果日期",
            "未通过原因",
            "是否逾期",
        ],
    );
    for v in cases {
        let c = &v.record;
        let done = |s: RepairStep| {
            c.steps.iter().find(|x| x.step == s).map_or(excel::Cell::Empty, |x| excel::Cell::Date(x.done_on))
        };
        let end = c.steps.iter().find(|x| x.step.is_final());
        sheet.push(vec![
            excel::Cell::Int(c.id),
            c.uscc.clone().into(),
            c.enterprise_name.clone().into(),
            v.kind_zh.into(),
            c.case.source.clone().into(),
            excel::Cell::Date(c.case.record_date),
            excel::Cell::Date(c.case.recorded_on),
            v.step_zh.into(),
            excel::Cell::Date(c.case.training_due),
            done(RepairStep::TrainingAttended),
            excel::Cell::Date(c.case.commitment_due),
            done(RepairStep::CommitmentSigned),
            excel::Cell::Date(c.case.application_due),
            done(RepairStep::ApplicationSubmitted),
            end.map_or(excel::Cell::Empty, |x| excel::Cell::Date(x.done_on)),
            end.filter(|x| x.step == RepairStep::Refused).map_or(String::new(), |x| x.reason.clone()).into(),
            (if v.late { "逾期" } else { "" }).into(),
        ]);
    }
    let mut wb = excel::Workbook::new("信用修复台账", app.now().naive_local());
    wb.sheets.push(sheet);
    wb.to_bytes().map_err(Error::internal)
}
