//! Utility arrears and the late-fee waiver (水电气, the plan's 三.9): "协调水、电、气供应公司,采用
//! '承诺制'方式,对市场主体实施'欠费不断供'。自欠费之日起,20个工作日内补缴齐欠费金额的市场主体,免收
//! 滞纳金。" The utilities officers (any department the routing category `utilities` names:
//! 住房和建设管理局, 城管环保局, 经济发展局, 市场监督管理局) import the providers' files: the arrears
//! (provider, the provider's record number, the enterprise's credit code, water/electricity/gas,
//! amount, arrears date) and, in later files, the paid dates and the late fees charged.
//!
//! Each record's waiver window is 20 working days on the zone calendar, the arrears date not
//! counted (`services::utilities::waiver_deadline`, as the zone's policy item
//! `utility-late-fee-waiver` reads the clause). A late fee charged for arrears paid in the
//! window, or charged inside it, is a violation: it becomes a problem of category `utilities`
//! for the enterprise, raised by the system on the channel `service_records`, once per record
//! (the record keeps the problem's id). Transfer-power overcharging (湘发改价调规〔2021〕693号)
//! is the routing category `transfer_power` (市场监督管理局): enterprises raise those problems
//! themselves.
//!
//! An import is all or nothing: every cell of every row is checked, and one bad row refuses
//! the file with every row's problem ([`Error::ArrearsFile`]); a dry run reports what would
//! change and writes nothing. An import changes only the fields of the columns its file
//! carries, and in them only the cells not empty.

pub mod file;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use enterprise::UnifiedCreditCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use services::utilities::{ArrearsState, Standing, ViolationReason, waiver_deadline};
use store::utilities::{ArrearsFilter, ArrearsRecord, ArrearsWrite, MAX_PROVIDER, MAX_RECORD_NO, NewArrears};
use store::{Role, Stamp};

use crate::authz::{self, Action, Resource};
use crate::service_lines::{Figure, ServiceLineKpi};
use crate::table_file::{Columns, Problems};
use crate::{App, Error, Principal, Result};
use file::{Column, Table};

pub use services::utilities::{UtilityKind, WAIVER_SOURCE, WAIVER_WORKDAYS};

/// The routing category of utilities problems (三.9), whose departments run the records.
pub const CATEGORY: &str = "utilities";
/// The routing category of transfer-power overcharging complaints (湘发改价调规〔2021〕693号).
pub const TRANSFER_POWER_CATEGORY: &str = "transfer_power";

/// Whether the actor runs the records (an officer of a department the category `utilities`
/// names, or an admin).
pub async fn runs_records(app: &App, actor: &Principal) -> Result<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Department => {
            let routing = crate::problems::routing(app).await?;
            let departments = routing.category(CATEGORY).map(|c| c.departments.clone()).unwrap_or_default();
            actor.department.as_ref().is_some_and(|d| departments.contains(d))
        }
        _ => false,
    })
}

/// Whether the actor reads every record (department officers, leaders, supervisors, admins;
/// only the utilities departments import).
async fn reads_all(app: &App, actor: &Principal) -> Result<bool> {
    Ok(matches!(actor.role, Role::Leader | Role::Supervisor | Role::Department)
        || runs_records(app, actor).await?)
}

/// A record as shown: its facts, the window and where it stands today.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArrearsView {
    #[serde(flatten)]
    pub record: ArrearsRecord,
    pub kind_zh: &'static str,
    /// The last day of the waiver window.
    pub deadline: NaiveDate,
    pub state: ArrearsState,
    pub state_zh: &'static str,
    /// green, amber or red.
    pub light: &'static str,
    pub violation: Option<ViolationReason>,
    pub violation_zh: Option<&'static str>,
    /// The waiver applies: paid in the window (no late fee may be charged).
    pub waiver_applies: bool,
}

fn view(cal: &calendar::WorkCalendar, record: ArrearsRecord, today: NaiveDate) -> Result<ArrearsView> {
    let deadline = waiver_deadline(cal, record.facts.arrears_on)?;
    let Standing { state, violation, .. } = record.facts.arrears().standing(deadline, today);
    let waiver_applies = record.facts.paid_on.is_some_and(|p| p <= deadline);
    Ok(ArrearsView {
        kind_zh: record.facts.kind.label_zh(),
        deadline,
        state,
        state_zh: state.label_zh(),
        light: state.light(),
        violation,
        violation_zh: violation.map(ViolationReason::label_zh),
        waiver_applies,
        record,
    })
}

async fn views(app: &App, filter: &ArrearsFilter) -> Result<Vec<ArrearsView>> {
    let cals = crate::calendar::calendars(app).await?;
    let today = app.today();
    app.store.arrears(filter).await?.into_iter().map(|r| view(cals.current(), r, today)).collect()
}

/// Which records a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct ListQuery {
    /// One provider's records.
    #[serde(default)]
    pub provider: Option<String>,
    /// One enterprise's records (officials).
    #[serde(default)]
    pub uscc: Option<String>,
    /// Only records in this state: `open`, `waived`, `overdue`, `paid_late`, `violation`.
    #[serde(default)]
    pub state: Option<String>,
}

fn bad(field: &str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: reason.into() }
}

/// Records: an enterprise its own; department officers, leaders, supervisors and admins all.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<ArrearsView>> {
    let state = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(ArrearsState::parse(s).ok_or_else(|| {
            bad("state", s, "应为 open、waived、overdue、paid_late、violation 之一 / must be open, waived, overdue, paid_late or violation")
        })?),
        None => None,
    };
    let mut filter = ArrearsFilter {
        provider: q.provider.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        ..ArrearsFilter::default()
    };
    let uscc = match (actor.role, &actor.enterprise) {
        (Role::Enterprise, Some(own)) => Some(own.to_string()),
        (Role::Enterprise, None) => return Err(Error::Forbidden),
        _ if reads_all(app, actor).await? => q.uscc.clone().filter(|s| !s.trim().is_empty()),
        _ => return Err(Error::Forbidden),
    };
    if let Some(u) = &uscc {
        filter.enterprise_id = Some(crate::plans::enterprise(app, actor, u, Action::Read).await?);
    }
    let mut out = views(app, &filter).await?;
    if let Some(s) = state {
        out.retain(|v| v.state == s);
    }
    Ok(out)
}

/// One provider's waivers due: the records paid in the window, with their amounts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProviderWaivers {
    pub provider: String,
    pub count: u64,
    /// The arrears paid in the window, in yuan.
    pub amount: Decimal,
    /// Late fees charged on them all the same (violations), in yuan.
    pub fees_charged: Decimal,
    pub records: Vec<ArrearsView>,
}

/// The waivers due per provider (records paid in the window, violations included: the fee
/// charged on them is to be refunded), providers in name order. Officials who read all.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn waivers(app: &App, actor: &Principal, provider: Option<&str>) -> Result<Vec<ProviderWaivers>> {
    if !reads_all(app, actor).await? {
        return Err(Error::Forbidden);
    }
    let filter = ArrearsFilter {
        provider: provider.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        ..ArrearsFilter::default()
    };
    let mut by: BTreeMap<String, ProviderWaivers> = BTreeMap::new();
    for v in views(app, &filter).await? {
        if !v.waiver_applies {
            continue;
        }
        let p = by.entry(v.record.facts.provider.clone()).or_insert_with(|| ProviderWaivers {
            provider: v.record.facts.provider.clone(),
            count: 0,
            amount: Decimal::ZERO,
            fees_charged: Decimal::ZERO,
            records: Vec::new(),
        });
        p.count += 1;
        p.amount += v.record.facts.amount;
        if v.record.facts.arrears().fee_charged() {
            p.fees_charged += v.record.facts.late_fee.unwrap_or_default();
        }
        p.records.push(v);
    }
    Ok(by.into_values().collect())
}

/// A violation with the state of the problem it became.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ViolationView {
    #[serde(flatten)]
    pub arrears: ArrearsView,
    /// The problem's state (`closed`, …), if it has one.
    pub problem_state: Option<String>,
    /// Its name in Chinese (已销号, …).
    pub problem_state_zh: Option<String>,
    pub problem_closed: bool,
}

/// The violations (late fees charged against the waiver), with their problems. Officials who
/// read all.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn violations(app: &App, actor: &Principal) -> Result<Vec<ViolationView>> {
    if !reads_all(app, actor).await? {
        return Err(Error::Forbidden);
    }
    let mut out = Vec::new();
    for v in views(app, &ArrearsFilter::default()).await? {
        if v.state != ArrearsState::Violation {
            continue;
        }
        let state = match v.record.problem_id {
            Some(id) => Some(app.store.get_problem(id).await?.state.state),
            None => None,
        };
        out.push(ViolationView {
            problem_state: state.map(|s| s.as_str().to_string()),
            problem_state_zh: state.map(|s| handling::state_name(s, i18n::Lang::Zh)),
            problem_closed: state == Some(handling::State::Closed),
            arrears: v,
        });
    }
    Ok(out)
}

/// A file to import.
pub use crate::table_file::Upload as ImportRequest;

/// What an import did (or, dry, would do) to one record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowChange {
    /// The row's line in the file (1 is the header).
    pub line: usize,
    pub provider: String,
    pub record_no: String,
    /// `insert`, `update` or `unchanged`.
    pub action: &'static str,
    /// The fields changed (field, old, new); empty for a new record.
    pub changes: Vec<(String, Option<String>, Option<String>)>,
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
    /// Problems raised for violations by this import (record id, problem id); none on a dry run.
    pub problems_raised: Vec<(i64, i64)>,
}

fn date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .filter(|d| (2000..=2100).contains(&d.year()))
}

fn money(s: &str) -> Option<Decimal> {
    let t: String = s.trim().trim_end_matches('元').chars().filter(|c| *c != ',' && *c != '，').collect();
    t.trim().parse::<Decimal>().ok()
}

/// One row read: its key and the fields its cells carry (None: not carried).
struct Row {
    line: usize,
    provider: String,
    record_no: String,
    uscc: Option<String>,
    kind: Option<UtilityKind>,
    amount: Option<Decimal>,
    arrears_on: Option<NaiveDate>,
    paid_on: Option<NaiveDate>,
    late_fee: Option<Decimal>,
    late_fee_on: Option<NaiveDate>,
}

fn read_row(t: &Table, line: usize, cells: &[String], p: &mut Problems) -> Option<Row> {
    let before = p.count();
    let cell = |c: Column| t.cell(cells, c);
    let provider = cell(Column::Provider).unwrap_or_default().to_string();
    if provider.is_empty() {
        p.push(line, "provider", "", "供应单位不能为空 / the provider is required");
    } else if provider.chars().count() > MAX_PROVIDER || provider.chars().any(char::is_control) {
        p.push(
            line,
            "provider",
            &provider,
            "供应单位最多 100 个字符、不含控制字符 / at most 100 characters, no control characters",
        );
    }
    let record_no = cell(Column::RecordNo).unwrap_or_default().to_string();
    if record_no.is_empty() {
        p.push(line, "record_no", "", "记录编号不能为空 / the record number is required");
    } else if record_no.chars().count() > MAX_RECORD_NO || record_no.chars().any(char::is_control) {
        p.push(
            line,
            "record_no",
            &record_no,
            "记录编号最多 64 个字符、不含控制字符 / at most 64 characters, no control characters",
        );
    }
    let uscc = cell(Column::Uscc).map(|u| u.to_uppercase());
    if let Some(u) = &uscc
        && UnifiedCreditCode::parse(u).is_err()
    {
        p.push(
            line,
            "uscc",
            u,
            "应为 18 位统一社会信用代码 / must be an 18-character unified social credit code",
        );
    }
    let kind = cell(Column::Kind).and_then(|k| {
        let parsed = UtilityKind::parse(k);
        if parsed.is_none() {
            p.push(line, "kind", k, "应为 水、电、气 之一 / must be water, electricity or gas");
        }
        parsed
    });
    let money_of = |c: Column, p: &mut Problems| {
        cell(c).and_then(|v| {
            let m = money(v);
            if m.is_none() {
                p.push(
                    line,
                    c.field(),
                    v,
                    "应为以元为单位的金额，如 1280.50 / must be an amount in yuan like 1280.50",
                );
            }
            m
        })
    };
    let amount = money_of(Column::Amount, p);
    let late_fee = money_of(Column::LateFee, p);
    let date_of = |c: Column, p: &mut Problems| {
        cell(c).and_then(|v| {
            let d = date(v);
            if d.is_none() {
                p.push(line, c.field(), v, "应为 2022-05-06 这样的日期 / must be a date like 2022-05-06");
            }
            d
        })
    };
    let arrears_on = date_of(Column::ArrearsOn, p);
    let paid_on = date_of(Column::PaidOn, p);
    let late_fee_on = date_of(Column::LateFeeOn, p);
    (p.count() == before).then_some(Row {
        line,
        provider,
        record_no,
        uscc,
        kind,
        amount,
        arrears_on,
        paid_on,
        late_fee,
        late_fee_on,
    })
}

/// The planned writes of a checked file, or its problems.
async fn plan(
    app: &App,
    t: &Table,
    today: NaiveDate,
) -> Result<(Vec<ArrearsWrite>, Vec<RowChange>, Problems)> {
    let mut p = Problems::default();
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (line, cells) in &t.rows {
        if let Some(r) = read_row(t, *line, cells, &mut p) {
            if let Some(first) = seen.insert((r.provider.clone(), r.record_no.clone()), r.line) {
                let why = format!("与第 {first} 行是同一条记录 / the same record as row {first}");
                p.push(r.line, "record_no", &r.record_no, &why);
                continue;
            }
            rows.push(r);
        }
    }
    // The stored records of the file's providers.
    let mut stored: HashMap<(String, String), ArrearsRecord> = HashMap::new();
    let providers: std::collections::BTreeSet<&String> = rows.iter().map(|r| &r.provider).collect();
    for provider in providers {
        let filter = ArrearsFilter { provider: Some(provider.clone()), ..ArrearsFilter::default() };
        for rec in app.store.arrears(&filter).await? {
            stored.insert((rec.facts.provider.clone(), rec.facts.record_no.clone()), rec);
        }
    }
    let mut ids: HashMap<String, i64> = HashMap::new();
    let mut writes = Vec::new();
    let mut changes = Vec::new();
    for r in rows {
        let enterprise_id = match &r.uscc {
            Some(u) => match ids.get(u) {
                Some(id) => Some(*id),
                None => {
                    let code = UnifiedCreditCode::parse(u).map_err(|_| Error::internal("checked uscc"))?;
                    match app.store.enterprise_head(&code).await? {
                        Some(h) => {
                            ids.insert(u.clone(), h.id);
                            Some(h.id)
                        }
                        None => {
                            p.push(r.line, "uscc", u, "园区没有该企业；请先导入企业名录 / no such enterprise in the zone: import it first");
                            continue;
                        }
                    }
                }
            },
            None => None,
        };
        let key = (r.provider.clone(), r.record_no.clone());
        let old = stored.get(&key);
        let facts = match old {
            Some(o) => {
                let f = &o.facts;
                NewArrears {
                    provider: r.provider.clone(),
                    record_no: r.record_no.clone(),
                    enterprise_id: enterprise_id.unwrap_or(f.enterprise_id),
                    kind: r.kind.unwrap_or(f.kind),
                    amount: r.amount.unwrap_or(f.amount),
                    arrears_on: r.arrears_on.unwrap_or(f.arrears_on),
                    paid_on: r.paid_on.or(f.paid_on),
                    late_fee: r.late_fee.or(f.late_fee),
                    late_fee_on: r.late_fee_on.or(f.late_fee_on),
                }
            }
            None => {
                let mut missing = Vec::new();
                for (c, absent) in [
                    (Column::Uscc, enterprise_id.is_none()),
                    (Column::Kind, r.kind.is_none()),
                    (Column::Amount, r.amount.is_none()),
                    (Column::ArrearsOn, r.arrears_on.is_none()),
                ] {
                    if absent {
                        missing.push(c);
                    }
                }
                if !missing.is_empty() {
                    for c in missing {
                        let why =
                            format!("新记录须填写“{}” / a new record needs its {}", c.header_zh(), c.field());
                        p.push(r.line, c.field(), "", &why);
                    }
                    continue;
                }
                NewArrears {
                    provider: r.provider.clone(),
                    record_no: r.record_no.clone(),
                    enterprise_id: enterprise_id.unwrap_or_default(),
                    kind: r.kind.unwrap_or(UtilityKind::Water),
                    amount: r.amount.unwrap_or_default(),
                    arrears_on: r.arrears_on.unwrap_or(today),
                    paid_on: r.paid_on,
                    late_fee: r.late_fee,
                    late_fee_on: r.late_fee_on,
                }
            }
        };
        let mut bad_row = false;
        for (field, reason) in services::utilities::check(&facts.arrears()) {
            p.push(r.line, field, "", reason);
            bad_row = true;
        }
        for (field, d) in [
            ("arrears_on", Some(facts.arrears_on)),
            ("paid_on", facts.paid_on),
            ("late_fee_on", facts.late_fee_on),
        ] {
            if d.is_some_and(|d| d > today) {
                p.push(
                    r.line,
                    field,
                    &d.map(|d| d.to_string()).unwrap_or_default(),
                    "不能晚于今天 / cannot be after today",
                );
                bad_row = true;
            }
        }
        if bad_row {
            continue;
        }
        match old {
            Some(o) => {
                let diff = facts.changes_from(&o.facts);
                let action = if diff.is_empty() { "unchanged" } else { "update" };
                changes.push(RowChange {
                    line: r.line,
                    provider: r.provider,
                    record_no: r.record_no,
                    action,
                    changes: diff.clone(),
                });
                if !diff.is_empty() {
                    writes.push(ArrearsWrite::Update { id: o.id, expected: o.version, facts, changes: diff });
                }
            }
            None => {
                changes.push(RowChange {
                    line: r.line,
                    provider: r.provider,
                    record_no: r.record_no,
                    action: "insert",
                    changes: Vec::new(),
                });
                writes.push(ArrearsWrite::Insert(facts));
            }
        }
    }
    Ok((writes, changes, p))
}

/// Imports a provider's file, all or nothing (the utilities officers); then raises a problem
/// for every violation not yet raised. A dry run checks and reports only.
#[tracing::instrument(skip_all, fields(user = %actor.username, file = %req.file_name, dry_run = req.dry_run))]
pub async fn import(app: &App, actor: &Principal, req: &ImportRequest) -> Result<ImportReport> {
    if !runs_records(app, actor).await? {
        return Err(Error::Forbidden);
    }
    let table = file::read(&req.file_name, &req.bytes)?;
    let today = app.today();
    let (writes, rows_changed, problems) = plan(app, &table, today).await?;
    if !problems.is_empty() {
        return Err(problems.refusal::<Column>());
    }
    let count = |a: &str| rows_changed.iter().filter(|c| c.action == a).count() as u64;
    let mut report = ImportReport {
        file_name: req.file_name.clone(),
        dry_run: req.dry_run,
        rows: rows_changed.len() as u64,
        inserted: count("insert"),
        updated: count("update"),
        unchanged: count("unchanged"),
        rows_changed,
        problems_raised: Vec::new(),
    };
    if req.dry_run {
        return Ok(report);
    }
    if !writes.is_empty() {
        app.store.save_arrears(&writes, &Stamp::new(actor.username.clone(), app.now())).await?;
    }
    tracing::info!(inserted = report.inserted, updated = report.updated, "arrears imported");
    report.problems_raised = raise_violations(app, actor).await?;
    Ok(report)
}

/// Raises a problem (category `utilities`, channel `service_records`, by the system) for every
/// violation that has none yet, and links it to its record; the (record, problem) pairs
/// raised. Idempotent: a record linked once is never raised again. The utilities officers.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn raise_violations(app: &App, actor: &Principal) -> Result<Vec<(i64, i64)>> {
    if !runs_records(app, actor).await? {
        return Err(Error::Forbidden);
    }
    let system = Principal::system();
    let mut raised = Vec::new();
    for v in views(app, &ArrearsFilter::default()).await? {
        if v.state != ArrearsState::Violation || v.record.problem_id.is_some() {
            continue;
        }
        let r = &v.record;
        let Ok(uscc) = UnifiedCreditCode::parse(&r.uscc) else { continue };
        let fee = r.facts.late_fee.unwrap_or_default();
        let title = format!(
            "{}违规收取{}费滞纳金 {} 元（记录 {}）",
            r.facts.provider, v.kind_zh, fee, r.facts.record_no
        );
        let title: String = title.chars().take(crate::problems::text::TITLE_MAX).collect();
        let description = format!(
            "{}（{}）{}费欠费 {} 元，欠费日期 {}，免收滞纳金期限至 {}（方案三.9：自欠费之日起 20 个工作日内补缴齐欠费金额的，免收滞纳金）。\
             补缴日期：{}；滞纳金 {} 元，收取日期 {}。违规情形：{}。请责任部门核实并督促供应单位退还滞纳金。\
             （由水电气欠费台账导入比对自动生成，记录编号 {}）",
            r.enterprise_name,
            r.uscc,
            v.kind_zh,
            r.facts.amount,
            r.facts.arrears_on,
            v.deadline,
            r.facts.paid_on.map_or("未补缴".to_string(), |d| d.to_string()),
            fee,
            r.facts.late_fee_on.map_or("—".to_string(), |d| d.to_string()),
            v.violation_zh.unwrap_or_default(),
            r.facts.record_no,
        );
        let problem = handling::Problem {
            enterprise: uscc,
            channel: handling::Channel::ServiceRecords,
            category: CATEGORY.to_string(),
            title,
            description,
            attachments: Vec::new(),
            urgency: handling::Urgency::Normal,
            confidential: false,
            received_at: app.now(),
            visit: None,
        };
        let routing = crate::problems::routing(app).await?;
        let limits = app.live.time_limits();
        let rec =
            app.store.create_problem(problem, &system.handling_actor(), app.now(), &routing, &limits).await?;
        let stamp = Stamp::new(actor.username.clone(), app.now());
        if app.store.link_arrears_problem(r.id, rec.id, &stamp).await? {
            tracing::info!(arrears = r.id, problem = rec.id, "late-fee violation raised as a problem");
            raised.push((r.id, rec.id));
        } else {
            tracing::warn!(arrears = r.id, problem = rec.id, "another import raised this violation first");
        }
    }
    Ok(raised)
}

/// The utilities row of the leader's service-line table: records open (unpaid in the
/// window), waivers due this month (paid in the window this month); behind = violations whose
/// problem is not closed.
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    authz::require(actor, Action::Read, Resource::Kpi)?;
    let cals = crate::calendar::calendars(app).await?;
    let mut open = 0;
    let mut waivers = 0;
    let mut behind = 0;
    for r in app.store.arrears(&ArrearsFilter::default()).await? {
        let v = view(cals.current(), r, day)?;
        match v.state {
            ArrearsState::Open => open += 1,
            ArrearsState::Violation => {
                let closed = match v.record.problem_id {
                    Some(id) => app.store.get_problem(id).await?.state.state == handling::State::Closed,
                    None => false,
                };
                if !closed {
                    behind += 1;
                }
            }
            _ => {}
        }
        if v.waiver_applies
            && v.record.facts.paid_on.is_some_and(|p| p.year() == day.year() && p.month() == day.month())
        {
            waivers += 1;
        }
    }
    Ok(vec![ServiceLineKpi {
        clause: "三.9",
        name_zh: "水电气欠费免收滞纳金".into(),
        figures: vec![
            Figure { label_zh: "免收期内未缴（笔）", value: open },
            Figure { label_zh: "本月免收滞纳金（笔）", value: waivers },
        ],
        behind,
        href: Some("/utilities"),
    }])
}

/// The records workbook (水电气欠费台账): one row per record with its window and state, and a
/// sheet of the waivers due per provider. Officials who read all.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn workbook(app: &App, actor: &Principal, q: &ListQuery) -> Result<Vec<u8>> {
    if actor.role == Role::Enterprise || !reads_all(app, actor).await? {
        return Err(Error::Forbidden);
    }
    let records = list(app, actor, q).await?;
    let mut sheet = excel::Sheet::new(
        "欠费记录",
        &[
            "供应单位",
            "记录编号",
            "统一社会信用代码",
            "企业名称",
            "类别",
            "欠费金额",
            "欠费日期",
            "免收期限",
            "补缴日期",
            "滞纳金",
            "滞纳金收取日期",
            "状态",
            "违规情形",
            "问题编号",
        ],
    );
    let date = |d: Option<NaiveDate>| d.map_or(excel::Cell::Empty, excel::Cell::Date);
    for v in &records {
        let f = &v.record.facts;
        sheet.push(vec![
            f.provider.clone().into(),
            f.record_no.clone().into(),
            v.record.uscc.clone().into(),
            v.record.enterprise_name.clone().into(),
            v.kind_zh.into(),
            excel::Cell::Money(f.amount),
            excel::Cell::Date(f.arrears_on),
            excel::Cell::Date(v.deadline),
            date(f.paid_on),
            f.late_fee.map_or(excel::Cell::Empty, excel::Cell::Money),
            date(f.late_fee_on),
            v.state_zh.into(),
            v.violation_zh.unwrap_or_default().into(),
            v.record.problem_id.map_or(excel::Cell::Empty, excel::Cell::Int),
        ]);
    }
    let mut due = excel::Sheet::new("免收滞纳金", &["供应单位", "笔数", "补缴欠费金额", "仍收取的滞纳金"]);
    for w in waivers(app, actor, q.provider.as_deref()).await? {
        due.push(vec![
            w.provider.into(),
            excel::Cell::Int(w.count as i64),
            excel::Cell::Money(w.amount),
            excel::Cell::Money(w.fees_charged),
        ]);
    }
    let mut wb = excel::Workbook::new("水电气欠费台账", app.now().naive_local());
    wb.sheets.push(sheet);
    wb.sheets.push(due);
    wb.to_bytes().map_err(Error::internal)
}
