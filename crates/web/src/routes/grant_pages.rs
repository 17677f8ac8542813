//! The grant pages (issue 12) over `app::grants` and `app::grant_pages`:
//!
//! - `/grants`: the runs (officials), `/grants/runs/{run}`: one run with its grants (paged),
//!   needs-data list (`/grants/runs/{run}/needs-data.xlsx`), objections with their handling
//!   forms, and the actions the run's state and the reader allow (publicize, budget, approve,
//!   payment file, payment results, reconciliation); each posts to a `/grants/…` form route
//!   and comes back to the run;
//! - `/grants/mine`: the enterprise's grants with state, amount, basis in plain words,
//!   objection during publicity, willingness confirmation; officials add `?uscc=`;
//! - `/grants/unclaimed` (应享未享) and its export `/grants/unclaimed.xlsx`;
//! - `POST /api/v1/grants/{grant}/confirmation`, `GET /api/v1/grants/unclaimed`.
//!
//! Only translation happens here; the rules are the use cases' (and the database's).

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use app::authz::{self, Action, Resource};
use store::grants::Grant;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::{ReqLang, Tr};
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Grants shown per page of a run.
const PAGE: u64 = 100;

pub(crate) fn money(d: Decimal) -> String {
    crate::plain::thousands(&d.round_dp(2).to_string())
}

fn download(bytes: Vec<u8>, ct: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// A grant state as officials read it (the glossary's labels).
fn state_label(tr: Tr, state: &str) -> String {
    match ::grants::GrantState::parse(state) {
        Some(s) if !tr.is_en() => s.label_zh().to_string(),
        _ => state.to_string(),
    }
}

/// A grant state as its enterprise reads it: 待公示, 公示中, 有异议, 已批准, 已拨付, 已撤销.
pub fn enterprise_state_label(tr: Tr, state: &str) -> String {
    let (zh, en) = match state {
        "pending" => ("待公示", "awaiting publicity"),
        "publicity" => ("公示中", "in publicity"),
        "objected" => ("有异议", "objected"),
        "approved" => ("已批准", "approved"),
        "paid" => ("已拨付", "paid"),
        "rejected" => ("已撤销", "withdrawn"),
        other => (other, other),
    };
    tr.pick(zh, en).to_string()
}

// ---------------------------------------------------------------------------------------
// The runs

pub struct RunRow {
    pub id: i64,
    pub item: String,
    pub title: String,
    pub period: String,
    pub state: String,
    pub grants: u64,
    pub total: String,
    pub paid: u64,
    pub approvals: String,
    pub overrun: Option<String>,
    pub publicity_until: String,
}

/// The phase a run is in, in words.
fn run_state(tr: Tr, v: &app::grants::RunView) -> String {
    let r = &v.run;
    let (pending, publicity, objected, approved, paid) = (
        r.count_in("pending"),
        r.count_in("publicity"),
        r.count_in("objected"),
        r.count_in("approved"),
        r.count_in("paid"),
    );
    let zh_en = if v.grants == 0 {
        ("无授予", "no grants")
    } else if paid == v.grants {
        ("已拨付", "paid")
    } else if paid > 0 {
        ("部分拨付", "partly paid")
    } else if approved > 0 && pending + publicity + objected == 0 {
        ("已审批，待拨付", "approved, to pay")
    } else if objected > 0 {
        ("有异议待处理", "objections open")
    } else if publicity > 0 {
        ("公示中", "in publicity")
    } else {
        ("待公示", "to publicise")
    };
    tr.pick(zh_en.0, zh_en.1).to_string()
}

#[derive(askama::Template)]
#[template(path = "grants.html")]
pub struct RunsPage {
    pub b: Base,
    pub rows: Vec<RunRow>,
}

/// `/grants`: the latest runs.
pub async fn page_runs(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    let tr = Tr(lang);
    let runs = app::grants::runs(&state, &p, 200).await?;
    let lib = state.policies();
    let rows = runs
        .iter()
        .map(|v| RunRow {
            id: v.run.id,
            item: v.run.item.clone(),
            title: lib.library.item(&v.run.item).map(|i| i.title.clone()).unwrap_or_default(),
            period: v.run.period.clone(),
            state: run_state(tr, v),
            grants: v.grants,
            total: money(v.total_amount),
            paid: v.run.count_in("paid"),
            approvals: format!("{}/{}", v.run.approvals.len(), v.approvals_required),
            overrun: v.overrun.map(money),
            publicity_until: v.run.publicity_until.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    views::render(&RunsPage { b: Base::new(lang, Some(&p), "/grants", "ui.grants.title"), rows })
}

// ---------------------------------------------------------------------------------------
// One run

pub struct GrantRow {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub amount: String,
    pub state: String,
    pub state_code: String,
    pub paid: String,
    /// `Some(masked account)` confirmed, `Some("")` awaiting, `None` not needed.
    pub confirmation: Option<String>,
}

pub struct NeedsRow {
    pub uscc: String,
    pub name: String,
    pub outcome: String,
    pub missing: String,
    pub departments: String,
}

pub struct ObjectionRow {
    pub id: i64,
    pub grant: i64,
    pub by: String,
    pub reason: String,
    pub at: String,
    pub open: bool,
    pub outcome: String,
}

pub struct FileRow {
    pub id: String,
    pub kind: String,
    pub format: String,
    pub issuer: String,
    pub lines: u64,
    pub sum: String,
    pub voided: bool,
}

pub struct ReconView {
    pub counts: Vec<(String, u64)>,
    pub issued: u64,
    pub issued_amount: String,
    pub paid_amount: String,
    pub exceptions: Vec<(i64, String, String)>,
    pub follow_up: usize,
}

#[derive(askama::Template)]
#[template(path = "grant_run.html")]
pub struct RunPage {
    pub b: Base,
    pub id: i64,
    pub item: String,
    pub title: String,
    pub period: String,
    pub state: String,
    pub preparer: String,
    pub match_run: i64,
    pub grants: u64,
    pub total: String,
    pub states: Vec<(String, u64, String)>,
    pub approvals_required: u32,
    pub approvers: String,
    pub overrun: Option<String>,
    pub budget: Option<String>,
    pub publicity: String,
    pub confirmation_required: bool,
    pub unconfirmed: u64,
    pub rows: Vec<GrantRow>,
    pub next: Option<i64>,
    pub needs: Vec<NeedsRow>,
    pub needs_total: u64,
    pub objections: Vec<ObjectionRow>,
    pub files: Vec<FileRow>,
    pub recon: Option<ReconView>,
    pub can_publicize: bool,
    pub can_handle: bool,
    pub can_budget: bool,
    pub can_approve: bool,
    pub can_pay: bool,
}

/// `/grants/runs/{run}` (`?after=` pages the grants).
pub async fn page_run(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let tr = Tr(lang);
    let after: i64 = q.get("after").and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let v = app::grants::show_run(&state, &p, id).await?;
    let grants = app::grants::list(&state, &p, id, after, PAGE).await?;
    let conf = app::grant_pages::run_confirmations(&state, &p, id).await?;
    let needs = app::grants::needs_data(&state, &p, id).await?;
    let objections = app::grants::objections(&state, &p, id).await?;
    let allowed = |r: Resource<'_>, a: Action| authz::authorize(&p, a, r).is_allowed();
    let may_pay = allowed(Resource::GrantPayments, Action::Write);
    let files = if may_pay || allowed(Resource::GrantPayments, Action::Read) {
        app::grants::files(&state, &p, id).await?
    } else {
        Vec::new()
    };
    let recon = if files.is_empty() {
        None
    } else {
        let r = app::grants::reconcile(&state, &p, id).await?;
        Some(ReconView {
            counts: r.counts.iter().map(|(k, n)| (recon_label(tr, k), *n)).collect(),
            issued: r.issued,
            issued_amount: money(r.issued_amount),
            paid_amount: money(r.paid_amount),
            exceptions: r
                .exceptions
                .iter()
                .take(200)
                .map(|e| {
                    let detail = format!(
                        "{} {} {}",
                        e.issued.map(money).unwrap_or_default(),
                        e.paid.map(money).map(|m| format!("→ {m}")).unwrap_or_default(),
                        e.reason.clone().or_else(|| e.voucher.clone()).unwrap_or_default()
                    );
                    (e.grant, recon_label(tr, e.class.as_str()), detail.trim().to_string())
                })
                .collect(),
            follow_up: r.follow_up.len(),
        })
    };
    let run = &v.run;
    let today = state.now().date_naive();
    let publicity_over = run.publicity_until.is_some_and(|u| today > u);
    let (pending, publicity, objected, approved) = (
        run.count_in("pending"),
        run.count_in("publicity"),
        run.count_in("objected"),
        run.count_in("approved"),
    );
    let open_objections = objections.iter().filter(|o| o.outcome.is_none()).count();
    let independent = run.preparer != p.username && !run.approvals.iter().any(|a| *a == p.username);
    let lib = state.policies();
    let (unconfirmed, _) = app::grant_pages::unconfirmed(&grants, &conf.confirmed);
    let page = RunPage {
        b: {
            let mut b = Base::new(lang, Some(&p), "/grants", "ui.grants.run_title");
            b.title = format!("{} {id}", b.title);
            b
        },
        id,
        item: run.item.clone(),
        title: lib.library.item(&run.item).map(|i| i.title.clone()).unwrap_or_default(),
        period: run.period.clone(),
        state: run_state(tr, &v),
        preparer: run.preparer.clone(),
        match_run: run.match_run,
        grants: v.grants,
        total: money(v.total_amount),
        states: run.states.iter().map(|s| (state_label(tr, &s.state), s.grants, money(s.amount))).collect(),
        approvals_required: v.approvals_required,
        approvers: run.approvals.join("、"),
        overrun: v.overrun.map(money),
        budget: run
            .budget
            .map(|b| format!("{}（{}）", money(b), run.allocation_rule.clone().unwrap_or_default())),
        publicity: match (run.publicity_from, run.publicity_until) {
            (Some(f), Some(u)) => format!("{f} — {u}"),
            _ => String::new(),
        },
        confirmation_required: conf.required,
        unconfirmed,
        rows: grants
            .iter()
            .map(|g| GrantRow {
                id: g.id,
                uscc: g.uscc.clone(),
                name: g.name.clone(),
                amount: money(g.amount),
                state: state_label(tr, &g.state),
                state_code: g.state.clone(),
                paid: paid_text(g),
                confirmation: conf
                    .required
                    .then(|| conf.confirmed.get(&g.id).map(|c| c.account_masked.clone()).unwrap_or_default()),
            })
            .collect(),
        next: (grants.len() as u64 == PAGE).then(|| grants.last().map(|g| g.id)).flatten(),
        needs_total: needs.len() as u64,
        needs: needs
            .iter()
            .take(50)
            .map(|n| NeedsRow {
                uscc: n.uscc.clone(),
                name: n.name.clone(),
                outcome: tr
                    .pick(
                        if n.outcome == "eligible" { "符合条件、金额待定" } else { "无法判定" },
                        if n.outcome == "eligible" { "eligible, amount unknown" } else { "undetermined" },
                    )
                    .to_string(),
                missing: n.missing.join("、"),
                departments: n.departments.join("、"),
            })
            .collect(),
        objections: objections
            .iter()
            .map(|o| ObjectionRow {
                id: o.id,
                grant: o.grant_id,
                by: format!(
                    "{}（{}）",
                    o.by,
                    store::parse_role(&o.by_role).map_or(o.by_role.clone(), |r| tr.t(views::role_key(r)))
                ),
                reason: o.reason.clone(),
                at: i18n::dates::time_table(o.at),
                open: o.outcome.is_none(),
                outcome: match o.outcome.as_deref() {
                    Some("upheld") => format!(
                        "{}：{}",
                        tr.pick("成立", "upheld"),
                        o.handling_reason.clone().unwrap_or_default()
                    ),
                    Some(_) => format!(
                        "{}：{}",
                        tr.pick("驳回", "rejected"),
                        o.handling_reason.clone().unwrap_or_default()
                    ),
                    None => String::new(),
                },
            })
            .collect(),
        files: files
            .iter()
            .map(|f| FileRow {
                id: f.id.clone(),
                kind: if f.kind == "follow_up" {
                    tr.pick("补发", "follow-up").to_string()
                } else {
                    tr.pick("支付", "payment").to_string()
                },
                format: f.format.clone(),
                issuer: f.issuer.clone(),
                lines: f.lines,
                sum: money(f.control_sum),
                voided: f.voided,
            })
            .collect(),
        recon,
        can_publicize: allowed(Resource::GrantRuns, Action::Write) && pending > 0,
        can_handle: allowed(Resource::GrantRuns, Action::Write) && open_objections > 0,
        can_budget: allowed(Resource::GrantApproval, Action::Write) && pending + publicity + objected > 0,
        can_approve: allowed(Resource::GrantApproval, Action::Write)
            && publicity_over
            && open_objections == 0
            && publicity > 0
            && independent,
        can_pay: may_pay && approved > 0 && independent,
    };
    views::render(&page)
}

fn paid_text(g: &Grant) -> String {
    match (&g.paid_date, &g.voucher) {
        (Some(d), Some(v)) => format!("{d} {v}"),
        (Some(d), None) => d.to_string(),
        _ => String::new(),
    }
}

fn recon_label(tr: Tr, class: &str) -> String {
    let (zh, en) = match class {
        "paid_ok" => ("已付且金额一致", "paid, amount matches"),
        "approved_not_paid" => ("已签发未支付", "issued, not paid"),
        "paid_different_amount" => ("支付金额不一致", "paid a different amount"),
        "paid_unknown" => ("支付了未知授予", "paid an unknown grant"),
        "paid_twice" => ("重复支付", "paid twice"),
        "failed" => ("支付失败", "failed"),
        other => (other, other),
    };
    tr.pick(zh, en).to_string()
}

/// The publicity form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DaysForm {
    pub days: Option<String>,
}

pub async fn page_publicize(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<DaysForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let days = match f.days.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<u32>().map_err(|_| {
            WebError::from(app::Error::Invalid {
                field: "days".into(),
                value: s.into(),
                reason: "应为 1 到 30 的整数 / a whole number from 1 to 30".into(),
            })
        })?),
    };
    app::grants::publicize(&state, &p, id, days).await?;
    Ok(Redirect::to(&format!("/grants/runs/{id}")).into_response())
}

/// The budget form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BudgetForm {
    pub budget: String,
    pub rule: String,
}

pub async fn page_budget(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<BudgetForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let budget = parse_money("budget", &f.budget)?;
    let rule: ::grants::AllocationRule = f.rule.trim().parse().map_err(|_| {
        WebError::from(app::Error::Invalid {
            field: "rule".into(),
            value: f.rule.clone(),
            reason: "pro_rata、amount_ascending、registration_date 或 credit_code / one of these rules"
                .into(),
        })
    })?;
    app::grants::decide_budget(&state, &p, id, budget, rule).await?;
    Ok(Redirect::to(&format!("/grants/runs/{id}")).into_response())
}

fn parse_money(field: &str, raw: &str) -> Result<Decimal, WebError> {
    raw.trim().replace([',', '，'], "").parse::<Decimal>().map_err(|_| {
        WebError::from(app::Error::Invalid {
            field: field.into(),
            value: raw.into(),
            reason: "应为金额（元），如 1000000 或 1000000.50 / an amount in yuan".into(),
        })
    })
}

pub async fn page_approve(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    app::grants::approve(&state, &p, id).await?;
    Ok(Redirect::to(&format!("/grants/runs/{id}")).into_response())
}

/// The payment-file form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FileForm {
    pub format: String,
    #[serde(default)]
    pub follow_up: Option<String>,
}

pub async fn page_payment_file(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<FileForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let format = app::grants::FileFormat::of_name(&format!("f.{}", f.format.trim()))?;
    let follow_up = f.follow_up.is_some_and(|v| !v.is_empty());
    let file = app::grants::payment_file(&state, &p, id, format, follow_up).await?;
    let (ct, ext) = match format {
        app::grants::FileFormat::Xlsx => (XLSX, "xlsx"),
        app::grants::FileFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        app::grants::FileFormat::Pain001 => ("application/xml", "xml"),
    };
    Ok(download(file.bytes, ct, &format!("{}.{ext}", file.file.id)))
}

/// `POST /grants/runs/{run}/results` (multipart: `file`, a results CSV or workbook): imports
/// all or nothing, then back to the run.
pub async fn page_results(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let (_, files) = crate::routes::attachments::read_multipart(mp).await?;
    let Some((name, bytes)) = files.into_iter().next() else {
        return Err(app::Error::Required {
            field: "file".into(),
            what: "支付结果文件 / the results file".into(),
        }
        .into());
    };
    app::grants::import_results(&state, &p, &name, &bytes).await?;
    Ok(Redirect::to(&format!("/grants/runs/{id}#reconciliation")).into_response())
}

pub async fn page_needs_data(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let bytes = app::grants::needs_data_workbook(&state, &p, id).await?;
    Ok(download(bytes, XLSX, &format!("needs-data-{id}.xlsx")))
}

/// The objection-handling form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HandleForm {
    pub run: i64,
    pub outcome: String,
    pub reason: String,
    #[serde(default)]
    pub amount: Option<String>,
}

pub async fn page_handle(
    State(state): State<AppState>,
    p: Principal,
    Path(objection): Path<i64>,
    f: Result<Form<HandleForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let new_amount = match f.amount.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => Some(parse_money("amount", a)?),
        None => None,
    };
    let req =
        app::grants::HandleRequest { objection, upheld: f.outcome == "upheld", reason: f.reason, new_amount };
    app::grants::handle_objection(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/grants/runs/{}#objections", f.run)).into_response())
}

// ---------------------------------------------------------------------------------------
// The enterprise's grants

pub struct MineRow {
    pub id: i64,
    pub item: String,
    pub title: String,
    pub document: String,
    pub period: String,
    pub amount: String,
    pub state: String,
    pub state_code: String,
    pub paid_date: String,
    pub voucher: String,
    pub publicity_until: String,
    pub facts: Vec<crate::routes::decisions::KeyValue>,
    pub reasons: Vec<crate::routes::decisions::Reason>,
    pub basis_hash: String,
    pub may_object: bool,
    pub objections: Vec<(String, String)>,
    pub needs_confirmation: bool,
    pub confirmation: Option<(String, String, String)>,
    pub may_confirm: bool,
}

#[derive(askama::Template)]
#[template(path = "grants_mine.html")]
pub struct MinePage {
    pub b: Base,
    pub own: bool,
    pub uscc: String,
    pub rows: Vec<MineRow>,
}

/// `/grants/mine`: the signed-in enterprise's grants; officials who see an enterprise add
/// `?uscc=`.
pub async fn page_mine(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let tr = Tr(lang);
    let uscc = match q.get("uscc").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => crate::routes::enterprises::parse_uscc(s)?,
        None => p.enterprise.clone().ok_or(WebError::Forbidden)?,
    };
    let own = p.enterprise.as_ref() == Some(&uscc);
    let list = app::grant_pages::enterprise_grants(&state, &p, &uscc).await?;
    let pol = state.policies();
    let lib = &pol.library;
    let rows = list
        .into_iter()
        .map(|g| {
            let basis = g.basis.as_ref();
            let explanation =
                basis.and_then(|b| serde_json::from_value::<rules::Explanation>(b.explanation.clone()).ok());
            MineRow {
                id: g.grant.id,
                item: g.grant.item.clone(),
                title: basis.map(|b| b.item_title.clone()).unwrap_or_else(|| g.grant.item.clone()),
                document: basis.map(|b| b.document.clone()).unwrap_or_default(),
                period: g.grant.period.clone(),
                amount: money(g.grant.amount),
                state: enterprise_state_label(tr, &g.grant.state),
                state_code: g.grant.state.clone(),
                paid_date: g.grant.paid_date.map(|d| d.to_string()).unwrap_or_default(),
                voucher: g.grant.voucher.clone().unwrap_or_default(),
                publicity_until: g.publicity_until.map(|d| d.to_string()).unwrap_or_default(),
                facts: basis
                    .map(|b| {
                        b.facts_used
                            .iter()
                            .map(|(k, v)| {
                                let (key, value) = crate::plain::value_read(lib, tr, k, v);
                                crate::routes::decisions::KeyValue { key, value }
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                reasons: explanation
                    .map(|x| crate::routes::decisions::grounds(lib, tr, &x, 8))
                    .unwrap_or_default(),
                basis_hash: g.grant.basis_hash.chars().take(16).collect(),
                may_object: g.may_object,
                objections: g
                    .objections
                    .iter()
                    .map(|o| {
                        let handled = match o.outcome.as_deref() {
                            Some("upheld") => format!(
                                "{}：{}",
                                tr.pick("异议成立", "upheld"),
                                o.handling_reason.clone().unwrap_or_default()
                            ),
                            Some(_) => format!(
                                "{}：{}",
                                tr.pick("异议驳回", "rejected"),
                                o.handling_reason.clone().unwrap_or_default()
                            ),
                            None => tr.pick("待处理", "open").to_string(),
                        };
                        (o.reason.clone(), handled)
                    })
                    .collect(),
                needs_confirmation: g.needs_confirmation,
                confirmation: g.confirmation.map(|c| (c.bank, c.account_masked, c.at)),
                may_confirm: g.may_confirm,
            }
        })
        .collect();
    let mut b = Base::new(lang, Some(&p), "/grants/mine", "ui.grants.mine_title");
    if !own {
        b.title = format!("{} · {}", b.title, uscc);
    }
    views::render(&MinePage { b, own, uscc: uscc.to_string(), rows })
}

/// The objection form of the enterprise page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ObjectForm {
    pub reason: String,
}

pub async fn page_object(
    State(state): State<AppState>,
    p: Principal,
    Path(grant): Path<i64>,
    f: Result<Form<ObjectForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    app::grants::object(&state, &p, grant, &f.reason).await?;
    Ok(Redirect::to(&format!("/grants/mine#grant-{grant}")).into_response())
}

/// The willingness confirmation: the bank and the account the enterprise confirms.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ConfirmIn {
    /// 开户行, at most 100 characters.
    pub bank: String,
    /// 8–32 digits (spaces and hyphens ignored).
    pub account: String,
}

pub async fn page_confirm(
    State(state): State<AppState>,
    p: Principal,
    Path(grant): Path<i64>,
    f: Result<Form<ConfirmIn>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = app::grant_pages::ConfirmRequest { grant, bank: f.bank, account: f.account };
    app::grant_pages::confirm(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/grants/mine#grant-{grant}")).into_response())
}

/// A recorded confirmation (the account masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConfirmationOut {
    pub grant: i64,
    pub bank: String,
    /// `6222 **** **** 1234`.
    pub account_masked: String,
    pub by: String,
    pub at: String,
}

/// Willingness confirmation (意愿确认) of a grant by its enterprise, with the account to pay.
#[utoipa::path(post, path = "/api/v1/grants/{grant}/confirmation", tag = "grants", request_body = ConfirmIn,
    params(("grant" = i64, Path, description = "grant id")),
    responses(
        (status = 200, body = ConfirmationOut),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "an official: only the enterprise confirms", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "already confirmed, or the grant is paid or withdrawn", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_confirm(
    State(state): State<AppState>,
    p: Principal,
    Path(grant): Path<i64>,
    body: Result<Json<ConfirmIn>, JsonRejection>,
) -> Result<Json<ConfirmationOut>, WebError> {
    let b = json(body)?;
    let req = app::grant_pages::ConfirmRequest { grant, bank: b.bank, account: b.account };
    let c = app::grant_pages::confirm(&state, &p, &req).await?;
    Ok(Json(ConfirmationOut {
        grant: c.grant,
        bank: c.bank,
        account_masked: c.account_masked,
        by: c.by,
        at: c.at,
    }))
}

// ---------------------------------------------------------------------------------------
// 应享未享

#[derive(askama::Template)]
#[template(path = "grants_unclaimed.html")]
pub struct UnclaimedPage {
    pub b: Base,
    pub u: app::grant_pages::Unclaimed,
    pub method: Vec<&'static str>,
}

pub async fn page_unclaimed(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    let u = app::grant_pages::unclaimed(&state, &p).await?;
    views::render(&UnclaimedPage {
        b: Base::new(lang, Some(&p), "/grants/unclaimed", "ui.grants.unclaimed_title"),
        u,
        method: app::grant_pages::METHOD_ZH.to_vec(),
    })
}

pub async fn page_unclaimed_xlsx(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    let bytes = app::grant_pages::unclaimed_workbook(&state, &p).await?;
    Ok(download(bytes, XLSX, "unclaimed.xlsx"))
}

/// Eligible but not claimed (应享未享) from the latest match run: per item and department.
#[utoipa::path(get, path = "/api/v1/grants/unclaimed", tag = "grants",
    responses(
        (status = 200, description = "app::grant_pages::Unclaimed", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_unclaimed(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    Ok(Json(app::grant_pages::unclaimed(&state, &p).await?).into_response())
}
