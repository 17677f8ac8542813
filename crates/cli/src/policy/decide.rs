//! `huiqi policy eval|explain|match|simulate`: decisions of the policy library for one
//! enterprise's facts, one stored enterprise, or every assistance target of the store.
//!
//! Each command maps its arguments to a request of `app::matching`, calls the use case and
//! prints the result (text, or `--json`); what is decided and who may ask is the use case's.
//! The command line acts as the database's operator (an administrator named by `--as`, or
//! `cli`).

use super::*;
use app::matching::{self, Phase, Progress};
use std::io::IsTerminal;
use std::sync::Arc;

/// The application the decision commands run over: the store of `--database` with the
/// library the command resolved (`--policies`, else the database copy, …) in use.
async fn app_with(ctx: &Context, library: Library) -> anyhow::Result<app::App> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let app = app::App::new(store);
    // The test cases are `policy test`'s business: not run again for a decision.
    app.live.set_policies(app::live::PolicySet {
        library: Arc::new(library),
        case_reports: Vec::new(),
        decisions: Default::default(),
    });
    Ok(app)
}

/// The operator of the command line: an administrator of the database it names.
fn operator(name: &str) -> app::Principal {
    app::Principal::operator(name)
}

/// A use case's refusal as the command line reports it (exit 1, both languages).
fn refused(e: app::Error) -> anyhow::Error {
    match e.kind() {
        app::ErrorKind::Internal => anyhow::Error::new(e),
        _ => crate::user_error(&e),
    }
}

pub(super) async fn eval(
    ctx: &Context,
    facts_path: &str,
    date: &str,
    tax_year: Option<i32>,
    json: bool,
    policies: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let date = calendar::parse_date(date).map_err(|e| crate::user_error(&e))?;
    let text = std::fs::read_to_string(facts_path).map_err(|e| {
        user(format!("无法读取事实文件 {facts_path}：{e} / cannot read facts file {facts_path}: {e}"))
    })?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        user(format!(
            "事实文件 {facts_path} 不是有效的 JSON：{e} / facts file {facts_path} is not valid JSON: {e}"
        ))
    })?;
    let facts = Facts::from_json(FactDictionary::official(), &doc).map_err(|errs| {
        let lines: Vec<String> =
            errs.iter().map(|e| format!("  事实 {} 有误 / fact {}: {}", e.fact, e.fact, e.reason)).collect();
        user(format!(
            "事实文件 {facts_path} 有 {} 处错误 / facts file {facts_path} has {} errors:\n{}",
            errs.len(),
            errs.len(),
            lines.join("\n")
        ))
    })?;
    let Some(lib) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    // No store is needed to decide given facts.
    let decisions =
        matching::eval(&lib.library, &operator("cli"), &matching::EvalRequest { facts, date, tax_year })
            .map_err(refused)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&decisions)?);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &decisions {
        let amount = d.amount.map(|a| format!("  ¥{a}")).unwrap_or_default();
        outln!("{:<20} {}  {}  [{}]{amount}", outcome_label(d.outcome), d.item, d.title, d.period);
        let how = match lib.library.item(&d.item) {
            Some(item) => Library::how_claimed(item),
            None => d.benefit_kind.how_zh().to_string(),
        };
        outln!("{:<20}   {}：{how}", "", kind_label(d.benefit_kind));
        if !d.amount_missing_facts.is_empty() {
            let m: Vec<String> = d.amount_missing_facts.iter().map(ToString::to_string).collect();
            outln!("{:<20}   金额待补，缺少 / amount not known, missing: {}", "", m.join(", "));
        } else if !d.missing_facts.is_empty() {
            let m: Vec<String> = d.missing_facts.iter().map(ToString::to_string).collect();
            outln!("{:<20}   缺少事实 / missing facts: {}", "", m.join(", "));
        }
        if let Some(by) = &d.superseded_by {
            outln!(
                "{:<20}   本期已由 {by} 替代，不计入合计 / replaced by {by} for this period, not in totals",
                ""
            );
        }
    }
    print_totals(&matching::decision_totals(&decisions));
    Ok(ExitCode::SUCCESS)
}

pub(super) fn bench(n: usize, m: usize, seed: u64, date: &str) -> anyhow::Result<ExitCode> {
    crate::bench::run_match(n, m, seed, date, crate::bench::ONE_DEFAULT)
}

// ---------------------------------------------------------------------------------------
// explain

pub(super) async fn explain(
    ctx: &Context,
    uscc: &str,
    item: &str,
    date: Option<&str>,
    json: bool,
    policies: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let date = date_or_today(date)?;
    let code = enterprise::UnifiedCreditCode::parse(uscc).map_err(|e| crate::user_error(&e))?;
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let app = app_with(ctx, loaded.library).await?;
    let req = matching::ExplainRequest { uscc: code.clone(), item: item.to_string(), date };
    let x = match matching::explain(&app, &operator("cli"), &req).await {
        Ok(x) => x,
        Err(app::Error::EnterpriseNotFound { .. }) => {
            return Err(user(format!(
                "数据库中没有统一社会信用代码为 {code} 的企业（先用 huiqi import enterprises 导入）/ no \
                 enterprise with credit code {code} in the database (import it first with huiqi import \
                 enterprises)"
            )));
        }
        Err(e) => return Err(refused(e)),
    };
    let d = &x.decision;
    if json {
        outln!("{}", serde_json::to_string_pretty(d)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("企业 / enterprise: {} {}", x.enterprise.enterprise.uscc, x.enterprise.enterprise.name);
    outln!("条款 / item: {} {} ({})", d.item, d.title, d.document);
    outln!("利益类型 / benefit kind: {}：{}", kind_label(d.benefit_kind), d.benefit_kind.how_zh());
    outln!("评估日期 / date: {date}，期间 / period: {}", d.period);
    if !x.in_force {
        outln!("注意：该条款在 {date} 不在有效期内 / note: the item is not in force on {date}");
    }
    let amount = d.amount.map(|a| format!("  金额 / amount ¥{a}")).unwrap_or_default();
    outln!("结论 / decision: {}{amount}", outcome_label(d.outcome));
    if !d.amount_missing_facts.is_empty() {
        let m: Vec<String> = d.amount_missing_facts.iter().map(ToString::to_string).collect();
        outln!("金额待补，缺少 / amount not known, missing: {}", m.join(", "));
    } else if !d.missing_facts.is_empty() {
        let m: Vec<String> = d.missing_facts.iter().map(ToString::to_string).collect();
        outln!("缺少事实 / missing facts: {}", m.join(", "));
    }
    outln!("理由 / explanation:");
    print_tree(&d.explanation, 1);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn print_tree(x: &rules::Explanation, depth: usize) {
    let mark = match x.outcome.as_str() {
        "true" => "✓ 成立 true",
        "false" => "✗ 不成立 false",
        "undetermined" => "? 待定 undetermined",
        other => other,
    };
    let indent = "  ".repeat(depth);
    outln!("{indent}[{mark}] {}", x.expr);
    for (k, v) in &x.values {
        let v = if v == "missing" { "缺失 missing" } else { v.as_str() };
        outln!("{indent}    {k} = {v}");
    }
    for c in &x.children {
        print_tree(c, depth + 1);
    }
}

// ---------------------------------------------------------------------------------------
// The progress bar of match and simulate

/// The use cases' progress on stderr: a bar over the enterprises read, then a spinner while
/// the run is stored. Hidden with `--json` or when stderr is not a terminal.
pub(crate) struct Bar {
    bar: indicatif::ProgressBar,
}

impl Bar {
    pub(crate) fn new(quiet: bool) -> Bar {
        let bar = indicatif::ProgressBar::hidden();
        if !quiet && std::io::stderr().is_terminal() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        Bar { bar }
    }
}

impl Progress for Bar {
    fn begin(&self, phase: Phase, total: Option<u64>) {
        use indicatif::ProgressStyle;
        let template = match phase {
            Phase::Reading => {
                "{spinner} 读取并评估企业 / reading and evaluating enterprises [{bar:30}] {pos}/{len} ({per_sec}, {eta})"
            }
            Phase::Storing => "{spinner} 保存匹配结果 / storing the run: {len} eligible pairs ({elapsed})",
        };
        self.bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar.reset();
        self.bar.set_length(total.unwrap_or(0));
        self.bar.enable_steady_tick(std::time::Duration::from_millis(100));
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn end(&self) {
        self.bar.disable_steady_tick();
        self.bar.finish_and_clear();
    }
}

// ---------------------------------------------------------------------------------------
// match

#[derive(serde::Serialize)]
pub(crate) struct MatchItemOut {
    item: String,
    title: String,
    document: String,
    benefit_kind: rules::BenefitKind,
    period: String,
    eligible: u64,
    ineligible: u64,
    undetermined: u64,
    /// Of the eligible, those whose amount is not known.
    amount_missing: u64,
    total_amount: String,
    /// The item replacing this one for the period: not in `totals`.
    superseded_by: Option<String>,
}

#[derive(serde::Serialize)]
pub(crate) struct KindTotalOut {
    benefit_kind: rules::BenefitKind,
    eligible: u64,
    amount_missing: u64,
    total_amount: String,
    /// Paid by the zone (the award kinds).
    zone_payout: bool,
}

impl KindTotalOut {
    pub(crate) fn all(totals: &[rules::KindTotal]) -> Vec<KindTotalOut> {
        totals
            .iter()
            .map(|t| KindTotalOut {
                benefit_kind: t.benefit_kind,
                eligible: t.eligible,
                amount_missing: t.amount_missing,
                total_amount: t.total_amount.to_string(),
                zone_payout: t.benefit_kind.is_zone_payout(),
            })
            .collect()
    }
}

#[derive(serde::Serialize)]
pub(crate) struct Timings {
    /// Reading and building the columns (overlapping), evaluation excluded.
    load_ms: u64,
    /// Of `load_ms`, waiting for pages not yet read.
    read_wait_ms: u64,
    eval_ms: u64,
    store_ms: u64,
}

#[derive(serde::Serialize)]
pub(crate) struct MatchOut {
    run_id: i64,
    date: String,
    /// The tax year the annual items were decided for; `null`: the year of `date`.
    tax_year: Option<i32>,
    library: String,
    /// Assistance targets decided.
    enterprises: u64,
    /// Enterprises read, targets or not.
    scanned: u64,
    /// Eligible (enterprise, item) pairs stored.
    eligible_pairs: u64,
    items: Vec<MatchItemOut>,
    /// Per benefit kind, replaced items left out.
    totals: Vec<KindTotalOut>,
    /// What the zone pays (the award kinds), replaced items left out.
    zone_payout_total: String,
    timings: Timings,
}

/// Runs the match (the use case) with its progress bar unless `quiet`: the command's body,
/// shared with the benchmark `huiqi bench match-db`. `None` when the library does not check
/// (its problems printed).
pub(crate) async fn run_match(
    ctx: &Context,
    date: chrono::NaiveDate,
    tax_year: Option<i32>,
    quiet: bool,
    policies: Option<&str>,
    actor: &str,
) -> anyhow::Result<Option<(matching::RunResult, MatchOut)>> {
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(None) };
    let library = format!("{} ({})", loaded.origin, loaded.fingerprint);
    let app = app_with(ctx, loaded.library).await?;
    let req = matching::RunRequest { date, tax_year, library_fingerprint: loaded.fingerprint };
    let run =
        matching::run(&app, &operator(actor), &req, Arc::new(Bar::new(quiet))).await.map_err(refused)?;
    let out = MatchOut {
        run_id: run.run_id,
        date: date.to_string(),
        tax_year: run.tax_year,
        library,
        enterprises: run.enterprises,
        scanned: run.scanned,
        eligible_pairs: run.eligible_pairs,
        items: run
            .items
            .iter()
            .map(|i| MatchItemOut {
                item: i.item.id.clone(),
                title: i.item.title.clone(),
                document: i.item.document.clone(),
                benefit_kind: i.item.benefit_kind,
                period: i.period.to_string(),
                eligible: i.eligible,
                ineligible: i.ineligible,
                undetermined: i.undetermined,
                amount_missing: i.amount_missing,
                total_amount: i.total_amount.to_string(),
                superseded_by: i.superseded_by.clone(),
            })
            .collect(),
        totals: KindTotalOut::all(&run.totals),
        zone_payout_total: rules::zone_payout_total(&run.totals).to_string(),
        timings: Timings {
            load_ms: run.timings.load_ms,
            read_wait_ms: run.timings.read_wait_ms,
            eval_ms: run.timings.eval_ms,
            store_ms: run.timings.store_ms,
        },
    };
    Ok(Some((run, out)))
}

/// The text of a match run.
fn print_match(run: &matching::RunResult, out: &MatchOut) {
    let (date, n) = (&out.date, out.items.len());
    outln!(
        "匹配批次 / match run {}: {date}，帮扶对象 {} 家（共 {} 家）× 有效条款 {n} 项 / {} assistance targets (of {} \
         enterprises) × {n} items in force",
        out.run_id,
        out.enterprises,
        out.scanned,
        out.enterprises,
        out.scanned,
    );
    outln!("政策库 / library: {}", out.library);
    if let Some(y) = out.tax_year {
        outln!("年度事项按 {y} 纳税年度判定 / annual items decided for the tax year {y}");
    }
    outln!(
        "{:<36} {:<22} {:>8} {:>8} {:>8} {:>8} {:>18}",
        "条款 item",
        "类型 kind",
        "符合 elig",
        "不符 inel",
        "待定 undet",
        "金额待补",
        "金额合计 total ¥"
    );
    for i in &out.items {
        let replaced =
            i.superseded_by.as_ref().map(|by| format!("  (由 {by} 替代 / replaced)")).unwrap_or_default();
        outln!(
            "{:<36} {:<22} {:>8} {:>8} {:>8} {:>8} {:>18}{replaced}",
            i.item,
            i.benefit_kind.as_str(),
            i.eligible,
            i.ineligible,
            i.undetermined,
            i.amount_missing,
            i.total_amount
        );
    }
    print_totals(&run.totals);
    outln!("符合的企业与条款 / eligible pairs stored: {}", out.eligible_pairs);
    outln!(
        "用时 / timings: 读取与建列 read and build {} ms（等待读取 waiting {} ms）, 评估 evaluate {} ms, 保存 store {} ms",
        out.timings.load_ms,
        out.timings.read_wait_ms,
        out.timings.eval_ms,
        out.timings.store_ms
    );
}

pub(super) async fn match_run(
    ctx: &Context,
    date: &str,
    tax_year: Option<i32>,
    json: bool,
    policies: Option<&str>,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let date = calendar::parse_date(date).map_err(|e| crate::user_error(&e))?;
    let Some((run, out)) = run_match(ctx, date, tax_year, json, policies, actor).await? else {
        return Ok(ExitCode::FAILURE);
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_match(&run, &out);
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// simulate

#[derive(serde::Serialize)]
pub(super) struct CountsOut {
    eligible: usize,
    ineligible: usize,
    undetermined: usize,
    /// Of the eligible, those whose amount is not known.
    amount_missing: usize,
    total_amount: String,
}

impl CountsOut {
    fn of(c: &rules::batch::ItemCounts) -> CountsOut {
        CountsOut {
            eligible: c.eligible,
            ineligible: c.ineligible,
            undetermined: c.undetermined,
            amount_missing: c.amount_missing,
            total_amount: c.total.to_string(),
        }
    }
}

#[derive(serde::Serialize)]
pub(super) struct WhoOut {
    uscc: String,
    name: String,
}

#[derive(serde::Serialize)]
pub(super) struct SimOut {
    item: String,
    benefit_kind: rules::BenefitKind,
    period: String,
    /// The item replacing this one for the period: its totals count in no zone total.
    superseded_by: Option<String>,
    date: String,
    set: Vec<String>,
    enterprises: usize,
    baseline: CountsOut,
    changed: CountsOut,
    cost_delta: String,
    gains_total: usize,
    gains: Vec<WhoOut>,
    losses_total: usize,
    losses: Vec<WhoOut>,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn simulate(
    ctx: &Context,
    item: &str,
    set: &[String],
    date: Option<&str>,
    json: bool,
    limit: usize,
    policies: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let date = date_or_today(date)?;
    let mut pairs = Vec::new();
    for s in set {
        let Some((name, value)) = s.split_once('=') else {
            return Err(user(format!("--set {s} 的格式应为 名称=值 / --set {s} must be NAME=VALUE")));
        };
        pairs.push((name.trim().to_string(), value.to_string()));
    }
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let app = app_with(ctx, loaded.library).await?;
    let req = matching::SimulateRequest { item: item.to_string(), set: pairs, date, from: date, limit };
    let sim =
        matching::simulate(&app, &operator("cli"), &req, Arc::new(Bar::new(json))).await.map_err(refused)?;
    let who = |v: &[matching::Named]| -> Vec<WhoOut> {
        v.iter().map(|n| WhoOut { uscc: n.uscc.clone(), name: n.name.clone() }).collect()
    };
    let out = SimOut {
        item: sim.item.id.clone(),
        benefit_kind: sim.item.benefit_kind,
        period: sim.period.to_string(),
        superseded_by: sim.superseded_by.clone(),
        date: date.to_string(),
        set: set.to_vec(),
        enterprises: sim.enterprises,
        baseline: CountsOut::of(&sim.baseline),
        changed: CountsOut::of(&sim.changed),
        cost_delta: sim.cost_delta_signed(),
        gains_total: sim.gains_total,
        gains: who(&sim.gains),
        losses_total: sim.losses_total,
        losses: who(&sim.losses),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("条款 / item: {} {} ({})", sim.item.id, sim.item.title, sim.item.document);
    outln!(
        "利益类型 / benefit kind: {}：{}；期间 / period {}",
        kind_label(sim.item.benefit_kind),
        sim.item.benefit_kind.how_zh(),
        sim.period
    );
    if let Some(by) = &sim.superseded_by {
        outln!(
            "注意：本期该条款已由 {by} 替代，其金额不计入任何合计 / note: replaced by {by} for this period; its amounts count in no total"
        );
    }
    outln!("改动 / change: {}（自 {date} 起 / from {date}）", set.join(", "));
    outln!("帮扶对象 / assistance targets: {}", out.enterprises);
    for (label, c) in [("现行 / current", &out.baseline), ("改动后 / changed", &out.changed)] {
        outln!(
            "{label:<18} 符合 eligible {:>7}  不符合 ineligible {:>7}  待定 undetermined {:>7}  金额 total ¥{}（金额待补 {}）",
            c.eligible,
            c.ineligible,
            c.undetermined,
            c.total_amount,
            c.amount_missing
        );
    }
    outln!("成本变化 / change in total cost: ¥{}", out.cost_delta);
    for (label, total, who) in
        [("新增符合 / gain", out.gains_total, &out.gains), ("不再符合 / lose", out.losses_total, &out.losses)]
    {
        outln!("{label}: {total}");
        for w in who {
            outln!("  {} {}", w.uscc, w.name);
        }
        if total > who.len() {
            outln!("  … 另有 {} 家 / {} more", total - who.len(), total - who.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
