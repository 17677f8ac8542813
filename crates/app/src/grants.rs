//! 免申即享 grants (授予), the use cases of issue 12: a grant run from a match run, the list,
//! publicity on the zone calendar, objections and their handling, the budget decision,
//! approval by people other than the preparer (bands of the zone settings), payment files
//! (xlsx, csv, ISO 20022 pain.001), payment results imported all or nothing, reconciliation
//! and the follow-up file, the needs-data export, an enterprise's own grants, and the grant
//! audit chain. Each checks permission ([`authz`]), validates its request (bilingual
//! [`Error`]s), decides with the `grants` and `rules` crates and writes through the store in
//! one transaction with its audit event.
//!
//! The data path of [`run`] is in [`run`]'s module (`grants/run.rs`).
//!
//! What it leaves out: SQL (the store), HTTP and arguments (the front ends).

use crate::authz::{self, Action, Resource};
use crate::matching::NoProgress;
use crate::{App, Error, Principal, Result};
use ::grants::{AllocationRule, ReconClass, ReconRow};
use chrono::NaiveDate;
use enterprise::UnifiedCreditCode;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use store::Stamp;
mod run;

use store::grants::{
    Approved, BudgetDecision, Grant, GrantDetail, GrantEvent, GrantRun, HandleObjection, ImportedResults,
    NeedsData, NewPaymentFile, NewResultBatch, Objection, PaymentFile, ResultRow,
};

/// Enterprises read per batch while a run streams them.
const READ_BATCH: u64 = 5_000;
/// The longest reason (objection, handling, void), in characters.
pub const REASON_MAX_CHARS: usize = 500;
/// The largest payment-results file, in bytes.
pub const RESULTS_MAX_BYTES: usize = 512 * 1024 * 1024;

fn stamp(app: &App, actor: &Principal) -> Stamp {
    Stamp::new(actor.username.clone(), app.now())
}

fn require(actor: &Principal, action: Action, resource: Resource<'_>) -> Result<()> {
    authz::require(actor, action, resource)
}

fn reason(field: &str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::Required { field: field.into(), what: "说明理由 / give the reason".into() });
    }
    Error::check_length(field, t, REASON_MAX_CHARS)?;
    if let Some(position) = t.chars().position(|c| c.is_control() && c != '\n') {
        return Err(Error::ControlCharacter { field: field.into(), position: position + 1 });
    }
    Ok(t.to_string())
}

fn invalid(field: &str, value: impl std::fmt::Display, why: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: why.into() }
}

// ---------------------------------------------------------------------------------------
// The run

pub use run::{ItemsRequest, RunOutcome, RunRequest, RunTimings, grantable_items, run, run_items, source_zh};

// ---------------------------------------------------------------------------------------
// Reading

/// A run as officials see it: the stored run, its required approvals and its budget state.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    #[serde(flatten)]
    pub run: GrantRun,
    /// Grants not removed, and their amount.
    pub grants: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_amount: Decimal,
    /// Approvals the total needs (zone setting `grants.approval_bands`).
    pub approvals_required: u32,
    /// The total over the recorded budget, if any.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub overrun: Option<Decimal>,
}

async fn view(app: &App, run: GrantRun) -> Result<RunView> {
    let (grants, total) = run.live_totals();
    let bands = app.live.settings().grants.bands().unwrap_or_default();
    let overrun = run.budget.filter(|b| total > *b).map(|b| total - b);
    Ok(RunView { approvals_required: bands.required(total), grants, total_amount: total, overrun, run })
}

/// One run.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn show_run(app: &App, actor: &Principal, id: i64) -> Result<RunView> {
    require(actor, Action::Read, Resource::GrantRuns)?;
    let run = app.store.grant_run(id).await?.ok_or(store::StoreError::GrantRunNotFound { id })?;
    view(app, run).await
}

/// The latest runs, newest first.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn runs(app: &App, actor: &Principal, limit: u64) -> Result<Vec<RunView>> {
    require(actor, Action::Read, Resource::GrantRuns)?;
    let mut out = Vec::new();
    for r in app.store.grant_runs(limit.min(500)).await? {
        out.push(view(app, r).await?);
    }
    Ok(out)
}

/// A run's grants after `after`, by id (at most `limit`, up to 100,000 a page).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn list(app: &App, actor: &Principal, run: i64, after: i64, limit: u64) -> Result<Vec<Grant>> {
    require(actor, Action::Read, Resource::GrantRuns)?;
    if app.store.grant_run(run).await?.is_none() {
        return Err(store::StoreError::GrantRunNotFound { id: run }.into());
    }
    Ok(app.store.grants_of_run(run, after, limit.min(100_000)).await?)
}

/// One grant with its basis, objections and results: for officials, and for its enterprise.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn grant(app: &App, actor: &Principal, id: i64) -> Result<GrantDetail> {
    let not_found = || Error::from(store::StoreError::GrantNotFound { id });
    let d = app.store.grant(id).await?.ok_or_else(not_found)?;
    if authz::require(actor, Action::Read, Resource::GrantRuns).is_err() {
        let own = actor.enterprise.as_ref().is_some_and(|u| u.as_str() == d.grant.uscc);
        if !own {
            return Err(not_found());
        }
    }
    Ok(d)
}

/// The grants of the signed-in enterprise (or of `uscc`, for an official), newest first.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn of_enterprise(app: &App, actor: &Principal, uscc: &UnifiedCreditCode) -> Result<Vec<Grant>> {
    let v = crate::matching::enterprise_for_decisions(app, actor, uscc).await?;
    Ok(app.store.grants_of_enterprise(v.id).await?)
}

/// The needs-data list of a run.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn needs_data(app: &App, actor: &Principal, run: i64) -> Result<Vec<NeedsData>> {
    require(actor, Action::Read, Resource::GrantRuns)?;
    Ok(app.store.needs_data(run).await?)
}

/// The needs-data list as a workbook (one row per enterprise: what is missing, who holds it).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn needs_data_workbook(app: &App, actor: &Principal, run: i64) -> Result<Vec<u8>> {
    let rows = needs_data(app, actor, run).await?;
    let r = show_run(app, actor, run).await?;
    let mut sheet = excel::Sheet::new(
        "待补数据",
        &["统一社会信用代码", "企业名称", "判定", "缺少的数据", "数据所在部门"],
    );
    for n in rows {
        sheet.push(vec![
            n.uscc.into(),
            n.name.into(),
            (if n.outcome == "eligible" { "符合条件、金额待定" } else { "无法判定" }).into(),
            n.missing.join("、").into(),
            n.departments.join("、").into(),
        ]);
    }
    let mut wb = excel::Workbook::new(
        format!("授予批次 {} 待补数据（{} {}）", run, r.run.item, r.run.period),
        app.now().naive_local(),
    );
    wb.sheets.push(sheet);
    wb.to_bytes().map_err(Error::internal)
}

/// A run's objections.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn objections(app: &App, actor: &Principal, run: i64) -> Result<Vec<Objection>> {
    require(actor, Action::Read, Resource::GrantRuns)?;
    Ok(app.store.objections_of_run(run).await?)
}

/// A run's audit events.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn events(app: &App, actor: &Principal, run: i64) -> Result<Vec<GrantEvent>> {
    require(actor, Action::Read, Resource::GrantRuns)?;
    Ok(app.store.grant_events(run).await?)
}

/// Re-hashes the grant audit chain.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn verify_chain(app: &App, actor: &Principal) -> Result<store::grants::GrantChainReport> {
    require(actor, Action::Read, Resource::GrantRuns)?;
    Ok(app.store.verify_grant_chain().await?)
}

// ---------------------------------------------------------------------------------------
// Publicity and objections

/// What publicising did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publicized {
    pub run: i64,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub workdays: u32,
    pub grants: u64,
    /// The end date falls in a provisional calendar year.
    pub provisional: bool,
}

/// Puts a run's pending grants on the publicity list for `days` working days (default: the
/// zone setting `grants.publicity_workdays`), from today to the `days`-th working day after
/// it on the zone calendar.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn publicize(app: &App, actor: &Principal, run: i64, days: Option<u32>) -> Result<Publicized> {
    require(actor, Action::Write, Resource::GrantRuns)?;
    let days = days.unwrap_or(app.live.settings().grants.publicity_workdays);
    if !(1..=30).contains(&days) {
        return Err(invalid("days", days, "公示期应为 1 到 30 个工作日 / publicity is 1 to 30 working days"));
    }
    let from = app.today();
    let end = crate::calendar::add_workdays(app, from, days).await?;
    let grants = app.store.publicize(run, from, end.result, stamp(app, actor)).await?;
    Ok(Publicized { run, from, until: end.result, workdays: days, grants, provisional: end.provisional })
}

/// An objection to one grant in publicity, by its enterprise or an official, with a reason.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn object(app: &App, actor: &Principal, grant: i64, text: &str) -> Result<i64> {
    let d = app.store.grant(grant).await?.ok_or(store::StoreError::GrantNotFound { id: grant })?;
    let uscc = UnifiedCreditCode::parse(&d.grant.uscc).map_err(Error::internal)?;
    let v = app.store.get_enterprise(&uscc).await?.ok_or(store::StoreError::GrantNotFound { id: grant })?;
    match authz::authorize(actor, Action::Write, Resource::GrantObjection { uscc: &uscc, links: &v.links }) {
        authz::Decision::Allow => {}
        _ => return Err(store::StoreError::GrantNotFound { id: grant }.into()),
    }
    let text = reason("reason", text)?;
    if d.grant.state != "publicity" {
        return Err(store::StoreError::GrantWrongState { grant, state: d.grant.state }.into());
    }
    if let Some(until) = app.store.grant_run(d.grant.run_id).await?.and_then(|r| r.publicity_until)
        && app.today() > until
    {
        return Err(invalid(
            "grant",
            grant,
            "公示期已结束，不能再提出异议 / publicity has ended: objections are closed",
        ));
    }
    Ok(app.store.object(grant, actor.role.as_str(), &text, stamp(app, actor)).await?)
}

/// How an objection is handled.
#[derive(Debug, Clone)]
pub struct HandleRequest {
    pub objection: i64,
    pub upheld: bool,
    pub reason: String,
    /// Upheld with a changed amount (the grant stays); upheld without: the grant is removed.
    pub new_amount: Option<Decimal>,
}

/// Handles an objection: upheld removes or changes the grant, rejected keeps it; either with
/// its reason.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn handle_objection(app: &App, actor: &Principal, req: &HandleRequest) -> Result<Objection> {
    require(actor, Action::Write, Resource::GrantRuns)?;
    let text = reason("reason", &req.reason)?;
    if let Some(a) = req.new_amount {
        if !req.upheld {
            return Err(invalid("amount", a, "驳回异议时不变更金额 / a rejected objection keeps the amount"));
        }
        if a <= Decimal::ZERO || !::grants::is_fen(a) {
            return Err(invalid(
                "amount",
                a,
                "金额应大于零、至多两位小数 / an amount above zero with at most two decimals",
            ));
        }
    }
    Ok(app
        .store
        .handle_objection(HandleObjection {
            objection: req.objection,
            upheld: req.upheld,
            reason: text,
            new_amount: req.new_amount,
            actor: stamp(app, actor),
        })
        .await?)
}

// ---------------------------------------------------------------------------------------
// Budget and approval

/// A budget decision's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetOutcome {
    pub run: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub budget: Decimal,
    pub rule: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub requested: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub allocated: Decimal,
    /// Grants allocated nothing (removed).
    pub removed: u64,
}

/// Records a run's budget and, when the run exceeds it, shares it by the rule chosen
/// (recorded with the decision).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn decide_budget(
    app: &App,
    actor: &Principal,
    run: i64,
    budget: Decimal,
    rule: AllocationRule,
) -> Result<BudgetOutcome> {
    require(actor, Action::Write, Resource::GrantApproval)?;
    if app.store.grant_run(run).await?.is_none() {
        return Err(store::StoreError::GrantRunNotFound { id: run }.into());
    }
    let mut requests = Vec::new();
    let mut after = 0;
    loop {
        let page = app.store.grants_of_run(run, after, 50_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for g in page.into_iter().filter(|g| g.state == "pending" || g.state == "publicity") {
            let registered = if rule == AllocationRule::RegistrationDate {
                match UnifiedCreditCode::parse(&g.uscc) {
                    Ok(u) => app.store.get_enterprise(&u).await?.and_then(|v| v.enterprise.established_on),
                    Err(_) => None,
                }
            } else {
                None
            };
            requests.push(::grants::allocation::Request {
                grant: g.id,
                amount: g.amount,
                registered,
                uscc: g.uscc,
            });
        }
    }
    let requested: Decimal = requests.iter().map(|r| r.amount).sum();
    let a = ::grants::allocate(&requests, budget, rule).map_err(Error::Grants)?;
    let removed = a.lines.iter().filter(|(_, x)| x.is_zero()).count() as u64;
    app.store
        .decide_budget(BudgetDecision {
            run,
            budget,
            rule: rule.as_str().to_string(),
            lines: a.lines.clone(),
            actor: stamp(app, actor),
        })
        .await?;
    Ok(BudgetOutcome { run, budget, rule: rule.as_str().to_string(), requested, allocated: a.total, removed })
}

/// Approves a run: refused before publicity has ended, while an objection is open, over
/// its budget, or (by the database) for its preparer and for a second approval by one
/// person. The run's grants become approved once the round has the approvals its total
/// needs (zone setting `grants.approval_bands`).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn approve(app: &App, actor: &Principal, run: i64) -> Result<Approved> {
    require(actor, Action::Write, Resource::GrantApproval)?;
    let r = show_run(app, actor, run).await?;
    // The database refuses this too (a CHECK and a trigger on grant_approvals); asked first
    // here so that the preparer hears why before any other refusal.
    if r.run.preparer == actor.username {
        return Err(store::StoreError::ApproverIsPreparer { run, username: actor.username.clone() }.into());
    }
    match r.run.publicity_until {
        None => return Err(Error::PublicityNotOver { run, until: "—".into() }),
        Some(until) if app.today() <= until => {
            return Err(Error::PublicityNotOver { run, until: until.to_string() });
        }
        Some(_) => {}
    }
    if let (Some(budget), total) = (r.run.budget, r.total_amount) {
        ::grants::allocation::check_budget(
            &[::grants::allocation::Request {
                grant: 0,
                amount: total,
                registered: None,
                uscc: String::new(),
            }],
            budget,
        )
        .map_err(Error::Grants)?;
    }
    Ok(app.store.approve(run, r.approvals_required, stamp(app, actor)).await?)
}

// ---------------------------------------------------------------------------------------
// Payment files

/// The formats of a payment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Xlsx,
    Csv,
    /// ISO 20022 pain.001.001.03.
    Pain001,
}

impl FileFormat {
    /// The format of a file name by its extension (`.xlsx`, `.csv`, `.xml`).
    pub fn of_name(name: &str) -> Result<FileFormat> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xlsx") {
            Ok(FileFormat::Xlsx)
        } else if lower.ends_with(".csv") {
            Ok(FileFormat::Csv)
        } else if lower.ends_with(".xml") {
            Ok(FileFormat::Pain001)
        } else {
            Err(invalid(
                "out",
                name,
                "支付文件应为 .xlsx、.csv 或 .xml（pain.001）/ a payment file is .xlsx, .csv or .xml (pain.001)",
            ))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Csv => "csv",
            FileFormat::Pain001 => "pain.001.001.03",
        }
    }
}

/// An issued file and its bytes.
#[derive(Debug, Clone)]
pub struct IssuedFile {
    pub file: PaymentFile,
    pub bytes: Vec<u8>,
}

/// Issues a payment file over the run's approved grants not yet in a live file (`follow_up`:
/// over the approved grants whose payment failed), with its control totals. The issuer may
/// have neither prepared nor approved the run (the database refuses).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn payment_file(
    app: &App,
    actor: &Principal,
    run: i64,
    format: FileFormat,
    follow_up: bool,
) -> Result<IssuedFile> {
    require(actor, Action::Write, Resource::GrantPayments)?;
    let now = app.now();
    let kind = if follow_up { "follow_up" } else { "payment" };
    // Unique: the run, the file's number within the run, the date (two issuers racing for
    // one number: the second is refused by the primary key and may retry).
    let n = app.store.payment_files(run).await?.len() + 1;
    let file_id = format!("HQ{run}-{}{n:04}-{}", if follow_up { "F" } else { "P" }, now.format("%Y%m%d"));
    let (file, lines) = app
        .store
        .issue_payment_file(NewPaymentFile {
            run,
            file_id: file_id.clone(),
            kind: kind.into(),
            format: format.as_str().into(),
            actor: stamp(app, actor),
        })
        .await?;
    if lines.is_empty() {
        // Nothing was due: the empty file stays recorded (audited) but is voided at once.
        app.store.void_payment_file(&file_id, "没有可支付的行 / nothing to pay", stamp(app, actor)).await?;
        return Err(Error::NothingToIssue { run });
    }
    // The accounts enterprises confirmed (意愿确认), for a run that needs confirmation.
    let accounts = crate::grant_pages::accounts_of_run(app, run).await?;
    let bank_of = |grant: i64| accounts.get(&grant).map_or("", |(bank, _)| bank.as_str());
    let lines: Vec<::grants::PaymentLine> = lines
        .into_iter()
        .map(|l| ::grants::PaymentLine {
            account: accounts.get(&l.grant).map(|(_, account)| account.clone()),
            grant: l.grant,
            uscc: l.uscc,
            name: l.name,
            amount: l.amount,
            item: l.item,
            period: l.period,
        })
        .collect();
    let totals = ::grants::ControlTotals::of(&lines);
    if totals.lines != file.lines || totals.sum != file.control_sum {
        return Err(Error::internal("payment file totals differ from the stored control totals"));
    }
    let settings = app.live.settings();
    let bytes = match format {
        FileFormat::Pain001 => {
            let header = ::grants::payment::FileHeader {
                file_id: file.id.clone(),
                created: now.naive_local(),
                execution_date: app.today(),
                debtor_name: settings.grants.payer_name.clone(),
                debtor_account: settings.grants.payer_account.clone(),
            };
            let mut buf = Vec::new();
            ::grants::payment::write_pain001(&mut buf, &header, &lines).map_err(Error::internal)?;
            buf
        }
        FileFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let csv_err = |e: csv::Error| Error::internal(e);
            // `bank` and `account`: the enterprise's confirmed account (意愿确认), empty where
            // the item needs no confirmation (the finance system pays by the credit code).
            w.write_record([
                "file_id",
                "end_to_end_id",
                "uscc",
                "name",
                "amount",
                "item",
                "period",
                "bank",
                "account",
            ])
            .map_err(csv_err)?;
            for l in &lines {
                w.write_record([
                    file.id.as_str(),
                    &l.grant.to_string(),
                    &l.uscc,
                    &l.name,
                    &::grants::payment::amount_text(l.amount),
                    &l.item,
                    &l.period,
                    bank_of(l.grant),
                    l.account.as_deref().unwrap_or(""),
                ])
                .map_err(csv_err)?;
            }
            w.write_record([
                file.id.as_str(),
                "CONTROL",
                "",
                "",
                &::grants::payment::amount_text(totals.sum),
                &format!("lines={}", totals.lines),
                "",
                "",
                "",
            ])
            .map_err(csv_err)?;
            w.into_inner().map_err(Error::internal)?
        }
        FileFormat::Xlsx => {
            let mut sheet = excel::Sheet::new(
                "支付指令",
                &[
                    "文件编号",
                    "授予编号（端到端编号）",
                    "统一社会信用代码",
                    "企业名称",
                    "金额（元）",
                    "条款",
                    "期间",
                    "开户银行",
                    "收款账号",
                ],
            );
            for l in &lines {
                sheet.push(vec![
                    file.id.clone().into(),
                    l.grant.into(),
                    l.uscc.clone().into(),
                    l.name.clone().into(),
                    excel::Cell::Money(l.amount),
                    l.item.clone().into(),
                    l.period.clone().into(),
                    bank_of(l.grant).to_string().into(),
                    l.account.clone().unwrap_or_default().into(),
                ]);
            }
            let mut control =
                excel::Sheet::new("控制总数", &["文件编号", "笔数", "金额合计（元）", "付款单位"]);
            control.push(vec![
                file.id.clone().into(),
                i64::try_from(totals.lines).unwrap_or(i64::MAX).into(),
                excel::Cell::Money(totals.sum),
                settings.grants.payer_name.clone().into(),
            ]);
            let mut wb = excel::Workbook::new(format!("支付文件 {}", file.id), now.naive_local());
            wb.sheets.push(sheet);
            wb.sheets.push(control);
            wb.to_bytes().map_err(Error::internal)?
        }
    };
    Ok(IssuedFile { file, bytes })
}

/// Voids a payment file (audited, with its reason): its lines may be issued again.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn void_file(app: &App, actor: &Principal, file_id: &str, text: &str) -> Result<PaymentFile> {
    require(actor, Action::Write, Resource::GrantPayments)?;
    let text = reason("reason", text)?;
    Error::check_length("file", file_id, 64)?;
    Ok(app.store.void_payment_file(file_id, &text, stamp(app, actor)).await?)
}

/// A run's payment files.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn files(app: &App, actor: &Principal, run: i64) -> Result<Vec<PaymentFile>> {
    require(actor, Action::Read, Resource::GrantPayments)?;
    Ok(app.store.payment_files(run).await?)
}

// ---------------------------------------------------------------------------------------
// Payment results and reconciliation

/// Reads a payment-results CSV: a header row naming the columns (English or Chinese:
/// `grant`/`授予编号`/`end_to_end_id`, `date`/`支付日期`, `voucher`/`凭证号`,
/// `amount`/`金额`, `status`/`状态` (`ok`, `paid`, `成功` / `failed`, `失败`),
/// `reason`/`原因`), then one row per result. Every problem of every row is reported.
pub fn parse_results(bytes: &[u8]) -> std::result::Result<Vec<ResultRow>, Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| vec!["文件不是 UTF-8 编码 / the file is not UTF-8".to_string()])?;
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| vec![format!("表头 / header: {e}")])?.clone();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
    let (Some(g), Some(d), Some(v), Some(a), Some(s)) = (
        col(&["grant", "授予编号", "end_to_end_id", "EndToEndId"]),
        col(&["date", "支付日期"]),
        col(&["voucher", "凭证号"]),
        col(&["amount", "金额"]),
        col(&["status", "状态"]),
    ) else {
        return Err(vec![
            "表头须含 grant、date、voucher、amount、status（可选 reason），或 授予编号、支付日期、凭证号、金额、状态（可选 原因） / \
             the header must name grant, date, voucher, amount, status (and optionally reason)"
                .to_string(),
        ]);
    };
    let reason_col = col(&["reason", "原因"]);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (k, rec) in r.records().enumerate() {
        let line = k + 2;
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                problems.push(format!("第 {line} 行 / row {line}: {e}"));
                continue;
            }
        };
        let field = |i: usize| rec.get(i).unwrap_or("").trim();
        let mut bad = |what: &str, v: &str| problems.push(format!("第 {line} 行 / row {line}: {what} “{v}”"));
        let grant = field(g).parse::<i64>().ok();
        if grant.is_none() {
            bad("授予编号无效 / bad grant id", field(g));
        }
        let date = NaiveDate::parse_from_str(field(d), "%Y-%m-%d").ok();
        if date.is_none() {
            bad("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD", field(d));
        }
        let voucher = field(v).to_string();
        if voucher.is_empty() || voucher.chars().count() > 64 {
            bad("凭证号为空或超过 64 字符 / voucher empty or over 64 characters", field(v));
        }
        let amount = field(a)
            .replace(',', "")
            .parse::<Decimal>()
            .ok()
            .filter(|x| *x >= Decimal::ZERO && ::grants::is_fen(*x));
        if amount.is_none() {
            bad("金额应为不小于零、至多两位小数 / amount must be ≥ 0 with at most two decimals", field(a));
        }
        let ok = match field(s).to_ascii_lowercase().as_str() {
            "ok" | "paid" | "success" | "成功" | "已支付" => Some(true),
            "failed" | "fail" | "失败" | "支付失败" => Some(false),
            _ => None,
        };
        if ok.is_none() {
            bad("状态应为 ok/成功 或 failed/失败 / status must be ok or failed", field(s));
        }
        let reason = reason_col
            .map(field)
            .filter(|x| !x.is_empty())
            .map(|x| x.chars().take(REASON_MAX_CHARS).collect());
        if let (Some(grant), Some(date), Some(amount), Some(ok)) = (grant, date, amount, ok) {
            rows.push(ResultRow { grant, date, voucher, amount, ok, reason, batch: 0 });
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push("文件没有数据行 / the file has no rows".to_string());
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

/// Imports payment results (CSV, or an .xlsx workbook with the same columns), all or
/// nothing: a file with any bad row is refused with every row's problem and nothing is
/// written.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn import_results(
    app: &App,
    actor: &Principal,
    file_name: &str,
    bytes: &[u8],
) -> Result<ImportedResults> {
    require(actor, Action::Write, Resource::GrantPayments)?;
    if bytes.len() > RESULTS_MAX_BYTES {
        return Err(invalid(
            "file",
            file_name,
            "文件过大（至多 512 MiB）/ the file is too large (512 MiB at most)",
        ));
    }
    // A workbook (.xlsx) is read through the import's bounded reader into the same CSV.
    let text = crate::grant_pages::results_csv(file_name, bytes)?;
    let rows = parse_results(&text).map_err(|problems| Error::PaymentResults { problems })?;
    let name: String = file_name.chars().take(200).collect();
    Ok(app
        .store
        .import_payment_results(NewResultBatch { file_name: name, rows, actor: stamp(app, actor) })
        .await?)
}

/// A reconciliation: every issued line and every result, classified.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    pub run: i64,
    /// Rows per class (every class named, zero included).
    pub counts: BTreeMap<String, u64>,
    /// Issued lines and their amount.
    pub issued: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub issued_amount: Decimal,
    /// The sum of the successful results.
    #[serde(with = "rust_decimal::serde::str")]
    pub paid_amount: Decimal,
    /// The rows needing attention (every class but paid_ok).
    pub exceptions: Vec<ReconRow>,
    /// Grants a follow-up file would hold (failed).
    pub follow_up: Vec<i64>,
}

/// Reconciles a run's issued lines with the imported results.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn reconcile(app: &App, actor: &Principal, run: i64) -> Result<Reconciliation> {
    require(actor, Action::Read, Resource::GrantPayments)?;
    if app.store.grant_run(run).await?.is_none() {
        return Err(store::StoreError::GrantRunNotFound { id: run }.into());
    }
    let (issued, results) = app.store.reconcile_inputs(run).await?;
    let rows = ::grants::reconcile(&issued, &results);
    let mut counts: BTreeMap<String, u64> =
        <ReconClass as strum::IntoEnumIterator>::iter().map(|c| (c.as_str().to_string(), 0)).collect();
    for r in &rows {
        *counts.entry(r.class.as_str().to_string()).or_default() += 1;
    }
    let issued_grants: BTreeMap<i64, Decimal> = issued.iter().map(|i| (i.grant, i.amount)).collect();
    Ok(Reconciliation {
        run,
        counts,
        issued: issued_grants.len() as u64,
        issued_amount: issued_grants.values().copied().sum(),
        paid_amount: results.iter().filter(|r| r.ok).map(|r| r.amount).sum(),
        follow_up: ::grants::reconcile::follow_up(&rows),
        exceptions: rows.into_iter().filter(|r| r.class.is_exception()).collect(),
    })
}

/// A progress that reports nothing (re-exported for the front ends).
pub fn no_progress() -> NoProgress {
    NoProgress
}
