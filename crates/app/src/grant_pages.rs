//! What the grant pages need beyond `app::grants` (issue 12): willingness confirmation
//! (意愿确认) of a grant by its enterprise with the bank account it confirms, an enterprise's
//! grants with everything its page shows, and "eligible but not claimed" (应享未享) for
//! officials, with its Excel export.
//!
//! Willingness confirmation: the zone setting `grants.confirmation_items` names the award
//! items that need it; a run of such an item records that when it is created
//! ([`mark_new_run`]). Huangpu's three steps (数据比对 → 一键确认 → 拨付) put the confirmation
//! between the list and the money, not before the approval: a run is approved as a whole
//! (publicity, objections and approvals are about *who gets what*), and each grant of it
//! goes into a payment file only once its enterprise has confirmed (the store's file query
//! leaves the others out; they stay approved, listed as 待确认 on the run page, and go into
//! the next file after they confirm). The confirmation is recorded once, never changed
//! (a wrong account is corrected by the finance office off-line and the payment result says
//! so), audited in the grant chain with the account's last four digits.
//!
//! 应享未享, the method: from the latest match run, per item, the eligible enterprises (its
//! counts). What huiqi knows of claims: for `award_no_application` items its own grants
//! (granted and paid, for the run of the same item and period); for declared tax reliefs
//! (申报享受) and application-based items (依申请) huiqi receives no claim data (tax returns
//! and applications are kept by the tax office and the departments), so the page says so
//! and counts the eligible as not known to have claimed. Per department: each item counts
//! for every department its policy names.
//!
//! What it leaves out: HTTP and arguments (the front ends), SQL (the store).

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use enterprise::UnifiedCreditCode;
use rules::BenefitKind;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use store::Role;
use store::grant_confirmations::{Confirmation, NewConfirmation};
use store::grants::{Grant, GrantRun, Objection};

/// The longest bank name (开户行), in characters.
pub const BANK_MAX_CHARS: usize = 100;
/// Digits of a bank account: at least, at most.
pub const ACCOUNT_DIGITS: (usize, usize) = (8, 32);

/// An account as screens show it: the first and last four digits, the rest as `****`
/// groups (`6222 **** **** 1234`). Accounts of eight digits or fewer show only the last
/// four.
pub fn mask_account(account: &str) -> String {
    let digits: Vec<char> = account.chars().filter(|c| !c.is_whitespace()).collect();
    let n = digits.len();
    let tail: String = digits[n.saturating_sub(4)..].iter().collect();
    if n <= 8 {
        return format!("**** {tail}");
    }
    let head: String = digits[..4].iter().collect();
    let groups = (n - 8).div_ceil(4).max(1);
    let mut s = head;
    for _ in 0..groups {
        s.push_str(" ****");
    }
    format!("{s} {tail}")
}

/// A confirmation as shown: the account masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfirmationView {
    pub grant: i64,
    pub bank: String,
    pub account_masked: String,
    pub by: String,
    pub at: String,
}

impl ConfirmationView {
    pub fn of(c: &Confirmation) -> ConfirmationView {
        ConfirmationView {
            grant: c.grant,
            bank: c.bank.clone(),
            account_masked: mask_account(&c.account),
            by: c.by.clone(),
            at: c.at.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

/// A willingness confirmation to record.
#[derive(Debug, Clone)]
pub struct ConfirmRequest {
    pub grant: i64,
    pub bank: String,
    pub account: String,
}

fn invalid(field: &str, value: impl std::fmt::Display, why: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.to_string(), reason: why.into() }
}

/// An account number as typed: spaces and hyphens dropped, then 8–32 digits.
pub fn parse_account(raw: &str) -> Result<String> {
    let a: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if a.is_empty() {
        return Err(Error::Required {
            field: "account".into(), what: "收款账号 / the bank account".into()
        });
    }
    let (min, max) = ACCOUNT_DIGITS;
    if !a.chars().all(|c| c.is_ascii_digit()) || !(min..=max).contains(&a.chars().count()) {
        return Err(invalid(
            "account",
            mask_account(&a),
            "收款账号应为 8 到 32 位数字（可含空格）/ a bank account is 8 to 32 digits (spaces allowed)",
        ));
    }
    Ok(a)
}

/// The enterprise confirms its willingness to receive a grant and the account to pay it
/// to. Only the grant's own enterprise confirms (anyone else: not found); only a grant of a
/// run that needs confirmation, not rejected or paid, and once.
#[tracing::instrument(skip_all, fields(user = %actor.username, grant = req.grant))]
pub async fn confirm(app: &App, actor: &Principal, req: &ConfirmRequest) -> Result<ConfirmationView> {
    let not_found = || Error::from(store::StoreError::GrantNotFound { id: req.grant });
    let d = app.store.grant(req.grant).await?.ok_or_else(not_found)?;
    let own = actor.role == Role::Enterprise
        && actor.enterprise.as_ref().is_some_and(|u| u.as_str() == d.grant.uscc);
    if !own {
        // An official may see the grant but confirms nothing for the enterprise.
        return Err(if authz::require(actor, Action::Read, Resource::GrantRuns).is_ok() {
            Error::Forbidden
        } else {
            not_found()
        });
    }
    if !app.store.confirmation_required(d.grant.run_id).await? {
        return Err(invalid(
            "grant",
            req.grant,
            "该授予无需意愿确认 / this grant needs no willingness confirmation",
        ));
    }
    let bank = req.bank.trim();
    if bank.is_empty() {
        return Err(Error::Required { field: "bank".into(), what: "开户行 / the bank".into() });
    }
    Error::check_length("bank", bank, BANK_MAX_CHARS)?;
    if let Some(position) = bank.chars().position(char::is_control) {
        return Err(Error::ControlCharacter { field: "bank".into(), position: position + 1 });
    }
    let account = parse_account(&req.account)?;
    let c = app
        .store
        .confirm_grant(NewConfirmation {
            grant: req.grant,
            bank: bank.to_string(),
            account,
            actor: store::Stamp::new(actor.username.clone(), app.now()),
        })
        .await?;
    Ok(ConfirmationView::of(&c))
}

/// Records, for a run just created, that its item needs willingness confirmation (zone
/// setting `grants.confirmation_items`). Called by [`crate::grants::run`].
pub async fn mark_new_run(app: &App, actor: &Principal, run: i64, item: &str) -> Result<bool> {
    if !app.live.settings().grants.needs_confirmation(item) {
        return Ok(false);
    }
    app.store.require_confirmation(run, store::Stamp::new(actor.username.clone(), app.now())).await?;
    Ok(true)
}

/// The confirmed accounts of a run's grants (for the payment file), unmasked: by grant.
pub async fn accounts_of_run(app: &App, run: i64) -> Result<BTreeMap<i64, (String, String)>> {
    if !app.store.confirmation_required(run).await? {
        return Ok(BTreeMap::new());
    }
    Ok(app
        .store
        .confirmations_of_run(run)
        .await?
        .into_iter()
        .map(|c| (c.grant, (c.bank, c.account)))
        .collect())
}

/// A run's confirmation state for officials.
#[derive(Debug, Clone, Serialize)]
pub struct RunConfirmations {
    pub required: bool,
    /// By grant, masked.
    pub confirmed: BTreeMap<i64, ConfirmationView>,
}

/// Whether a run needs confirmation, and its grants' confirmations (masked).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn run_confirmations(app: &App, actor: &Principal, run: i64) -> Result<RunConfirmations> {
    authz::require(actor, Action::Read, Resource::GrantRuns)?;
    let required = app.store.confirmation_required(run).await?;
    let confirmed = if required {
        app.store
            .confirmations_of_run(run)
            .await?
            .iter()
            .map(|c| (c.grant, ConfirmationView::of(c)))
            .collect()
    } else {
        BTreeMap::new()
    };
    Ok(RunConfirmations { required, confirmed })
}

// ---------------------------------------------------------------------------------------
// Payment results as a workbook

/// The largest number of rows a payment-results workbook may hold (besides its header).
pub const RESULTS_MAX_XLSX_ROWS: u32 = 1_048_575;

/// Whether a payment-results file is a workbook (by its name or its zip signature).
pub fn is_workbook(file_name: &str, bytes: &[u8]) -> bool {
    file_name.to_ascii_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04")
}

/// A payment-results file as the CSV text [`crate::grants::parse_results`] reads: a CSV as
/// it is; a workbook's first sheet (read by the import's bounded reader,
/// [`import::xlsx::read_xlsx_rows`]) written as CSV, its header row naming the columns
/// like the CSV's.
pub fn results_csv<'a>(file_name: &str, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>> {
    if !is_workbook(file_name, bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let rows =
        import::xlsx::read_xlsx_rows(std::io::Cursor::new(bytes), RESULTS_MAX_XLSX_ROWS).map_err(|e| {
            Error::PaymentResults {
                problems: vec![format!(
                    "工作簿无法读取 / the workbook cannot be read: {}",
                    i18n::Localized::bilingual(&e)
                )],
            }
        })?;
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut w = csv::Writer::from_writer(Vec::new());
    for mut r in rows {
        r.resize(width, String::new());
        w.write_record(&r).map_err(Error::internal)?;
    }
    Ok(std::borrow::Cow::Owned(w.into_inner().map_err(Error::internal)?))
}

// ---------------------------------------------------------------------------------------
// The enterprise's grants

/// One grant as its enterprise's page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EnterpriseGrant {
    pub grant: Grant,
    /// The frozen basis (the grant's canonical JSON, parsed).
    pub basis: Option<::grants::Basis>,
    pub publicity_until: Option<chrono::NaiveDate>,
    /// An objection may be raised now (in publicity, the period not over).
    pub may_object: bool,
    pub needs_confirmation: bool,
    pub confirmation: Option<ConfirmationView>,
    /// Confirmation may be given now.
    pub may_confirm: bool,
    pub objections: Vec<Objection>,
}

/// The grants of an enterprise (the signed-in enterprise's own, or `uscc` for officials who
/// see it), newest first, each with its basis, publicity, objections and confirmation.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn enterprise_grants(
    app: &App,
    actor: &Principal,
    uscc: &UnifiedCreditCode,
) -> Result<Vec<EnterpriseGrant>> {
    let grants = crate::grants::of_enterprise(app, actor, uscc).await?;
    let own = actor.role == Role::Enterprise && actor.enterprise.as_ref() == Some(uscc);
    let today = app.today();
    let mut runs: BTreeMap<i64, (Option<GrantRun>, bool)> = BTreeMap::new();
    let mut out = Vec::new();
    for g in grants {
        if let std::collections::btree_map::Entry::Vacant(e) = runs.entry(g.run_id) {
            let run = app.store.grant_run(g.run_id).await?;
            let required = app.store.confirmation_required(g.run_id).await.unwrap_or(false);
            e.insert((run, required));
        }
        let (run, required) = runs.get(&g.run_id).cloned().unwrap_or((None, false));
        let detail = app.store.grant(g.id).await?;
        let (basis, objections) = match detail {
            Some(d) => (serde_json::from_str::<::grants::Basis>(&d.basis).ok(), d.objections),
            None => (None, Vec::new()),
        };
        let publicity_until = run.as_ref().and_then(|r| r.publicity_until);
        let may_object = g.state == "publicity" && publicity_until.is_some_and(|u| today <= u);
        let confirmation = if required {
            app.store.confirmation(g.id).await?.as_ref().map(ConfirmationView::of)
        } else {
            None
        };
        let may_confirm = own
            && required
            && confirmation.is_none()
            && matches!(g.state.as_str(), "pending" | "publicity" | "objected" | "approved");
        out.push(EnterpriseGrant {
            grant: g,
            basis,
            publicity_until,
            may_object,
            needs_confirmation: required,
            confirmation,
            may_confirm,
            objections,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Eligible but not claimed (应享未享)

/// What huiqi knows of an item's claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKnowledge {
    /// Its own grants (award items paid without application).
    Grants,
    /// No claim data reaches huiqi: the eligible are counted as not known to have claimed.
    Unknown,
}

/// One item's row.
#[derive(Debug, Clone, Serialize)]
pub struct UnclaimedItem {
    pub item: String,
    pub title: String,
    pub document: String,
    pub benefit_kind: String,
    pub benefit_kind_zh: String,
    pub departments: Vec<String>,
    pub period: Option<String>,
    /// Eligible in the match run.
    pub eligible: u64,
    /// Granted (award items; a grant run of the item and period), paid among them.
    pub granted: Option<u64>,
    pub paid: Option<u64>,
    /// Eligible and not known to have received it: eligible − paid for award items, all
    /// eligible when huiqi knows nothing of claims.
    pub not_claimed: u64,
    pub knowledge: ClaimKnowledge,
    /// The grant run of the item and period, if any.
    pub run: Option<i64>,
}

/// Per department: the sums over its items.
#[derive(Debug, Clone, Serialize)]
pub struct UnclaimedDepartment {
    pub department: String,
    pub items: u64,
    pub eligible: u64,
    pub not_claimed: u64,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct Unclaimed {
    pub match_run: Option<i64>,
    pub match_date: Option<chrono::NaiveDate>,
    pub items: Vec<UnclaimedItem>,
    pub departments: Vec<UnclaimedDepartment>,
}

/// Whether an item's kind is in the report: declared tax reliefs, the application-based
/// items (refunds and awards on application) and the awards without application.
fn reported(kind: BenefitKind) -> bool {
    matches!(
        kind,
        BenefitKind::TaxReliefDeclared
            | BenefitKind::TaxRefundApplied
            | BenefitKind::AwardApplication
            | BenefitKind::AwardNoApplication
    )
}

/// 应享未享 from the latest match run (see the module documentation for the method).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn unclaimed(app: &App, actor: &Principal) -> Result<Unclaimed> {
    authz::require(actor, Action::Read, Resource::GrantRuns)?;
    let Some(m) = app.store.match_runs(1).await?.into_iter().next() else {
        return Ok(Unclaimed {
            match_run: None,
            match_date: None,
            items: Vec::new(),
            departments: Vec::new(),
        });
    };
    let policies = app.live.policies();
    let lib = &policies.library;
    let mut items = Vec::new();
    for c in &m.counts {
        if c.superseded_by.is_some() {
            continue;
        }
        let Some(item) = lib.item(&c.item) else { continue };
        if !reported(item.benefit_kind) {
            continue;
        }
        let (mut granted, mut paid, mut run, knowledge) = (None, None, None, ClaimKnowledge::Unknown);
        let knowledge = if item.benefit_kind.may_be_granted() {
            if let Some(p) = &c.period
                && let Some(id) = app.store.grant_run_by_key(&item.id, p).await?
                && let Some(r) = app.store.grant_run(id).await?
            {
                let (live, _) = r.live_totals();
                granted = Some(live);
                paid = Some(r.count_in("paid"));
                run = Some(id);
            } else {
                granted = Some(0);
                paid = Some(0);
            }
            ClaimKnowledge::Grants
        } else {
            knowledge
        };
        let not_claimed = c.eligible.saturating_sub(paid.unwrap_or(0));
        items.push(UnclaimedItem {
            item: item.id.clone(),
            title: item.title.clone(),
            document: item.document.clone(),
            benefit_kind: item.benefit_kind.as_str().to_string(),
            benefit_kind_zh: item.benefit_kind.name_zh().to_string(),
            departments: item.departments.clone(),
            period: c.period.clone(),
            eligible: c.eligible,
            granted,
            paid,
            not_claimed,
            knowledge,
            run,
        });
    }
    items.sort_by(|a, b| b.not_claimed.cmp(&a.not_claimed).then_with(|| a.item.cmp(&b.item)));
    let mut by_dept: BTreeMap<String, UnclaimedDepartment> = BTreeMap::new();
    for i in &items {
        let depts = if i.departments.is_empty() {
            vec!["（未指明部门）".to_string()]
        } else {
            i.departments.clone()
        };
        for d in depts {
            let e = by_dept.entry(d.clone()).or_insert(UnclaimedDepartment {
                department: d,
                items: 0,
                eligible: 0,
                not_claimed: 0,
            });
            e.items += 1;
            e.eligible += i.eligible;
            e.not_claimed += i.not_claimed;
        }
    }
    let mut departments: Vec<_> = by_dept.into_values().collect();
    departments
        .sort_by(|a, b| b.not_claimed.cmp(&a.not_claimed).then_with(|| a.department.cmp(&b.department)));
    Ok(Unclaimed { match_run: Some(m.id), match_date: Some(m.date), items, departments })
}

/// 应享未享 as a workbook: the items, the departments, and the method.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn unclaimed_workbook(app: &App, actor: &Principal) -> Result<Vec<u8>> {
    let u = unclaimed(app, actor).await?;
    let mut items = excel::Sheet::new(
        "应享未享（条款）",
        &[
            "条款",
            "名称",
            "文号",
            "利益类型",
            "责任部门",
            "期间",
            "符合条件企业数",
            "已授予",
            "已拨付",
            "应享未享（未知是否已享受）",
            "认领情况来源",
        ],
    );
    let n = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
    for i in &u.items {
        items.push(vec![
            i.item.clone().into(),
            i.title.clone().into(),
            i.document.clone().into(),
            i.benefit_kind_zh.clone().into(),
            i.departments.join("、").into(),
            i.period.clone().unwrap_or_default().into(),
            n(i.eligible).into(),
            i.granted.map_or(excel::Cell::from(""), |g| n(g).into()),
            i.paid.map_or(excel::Cell::from(""), |g| n(g).into()),
            n(i.not_claimed).into(),
            (match i.knowledge {
                ClaimKnowledge::Grants => "本系统授予与拨付记录",
                ClaimKnowledge::Unknown => "本系统无申报/申请数据，按符合条件计",
            })
            .into(),
        ]);
    }
    let mut depts = excel::Sheet::new("应享未享（部门）", &["部门", "条款数", "符合条件企业数", "应享未享"]);
    for d in &u.departments {
        depts.push(vec![
            d.department.clone().into(),
            n(d.items).into(),
            n(d.eligible).into(),
            n(d.not_claimed).into(),
        ]);
    }
    let mut method = excel::Sheet::new("口径", &["说明"]);
    for line in METHOD_ZH {
        method.push(vec![(*line).into()]);
    }
    let title = match (u.match_run, u.match_date) {
        (Some(id), Some(d)) => format!("应享未享（匹配批次 {id}，{d}）"),
        _ => "应享未享（尚无匹配批次）".to_string(),
    };
    let mut wb = excel::Workbook::new(title, app.now().naive_local());
    wb.sheets.push(items);
    wb.sheets.push(depts);
    wb.sheets.push(method);
    wb.to_bytes().map_err(Error::internal)
}

/// The method, as the page and the export state it.
pub const METHOD_ZH: &[&str] = &[
    "符合条件：最近一次政策匹配批次中判定为符合的企业数。",
    "免申即享奖补：已享受 = 本系统同条款同期间授予批次中已拨付的授予；应享未享 = 符合 − 已拨付。",
    "申报享受的税收优惠、依申请退税、依申请奖补：企业是否已申报或申请，本系统没有数据（纳税申报和申请材料在税务局和各部门），应享未享按全部符合条件的企业计，应与部门数据核对。",
    "按部门：条款所属政策列明的每个部门各计一次。",
    "资格认定、费用减免不列入。被替代的条款不列入。",
];

/// The latest total of a run's grants still to confirm (approved or earlier, unconfirmed).
pub fn unconfirmed(grants: &[Grant], confirmed: &BTreeMap<i64, ConfirmationView>) -> (u64, Decimal) {
    grants
        .iter()
        .filter(|g| matches!(g.state.as_str(), "pending" | "publicity" | "objected" | "approved"))
        .filter(|g| !confirmed.contains_key(&g.id))
        .fold((0, Decimal::ZERO), |(n, a), g| (n + 1, a + g.amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_show_their_first_and_last_four_digits_only() {
        assert_eq!(mask_account("6222021234567891234"), "6222 **** **** **** 1234");
        assert_eq!(mask_account("6222 0212 3456 1234"), "6222 **** **** 1234");
        assert_eq!(mask_account("12345678"), "**** 5678");
        assert_eq!(mask_account("123456789"), "1234 **** 6789");
    }

    #[test]
    fn accounts_are_digits_of_a_bank_length() {
        assert_eq!(parse_account(" 6222-0212 3456 1234 ").unwrap(), "6222021234561234");
        assert!(parse_account("1234567").is_err());
        assert!(parse_account("6222O21234561234").is_err());
        assert!(parse_account(&"1".repeat(33)).is_err());
        assert!(parse_account("  ").is_err());
    }
}
