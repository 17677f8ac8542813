//! `huiqi policy eval|explain|match|simulate`: decisions of the policy library for one
//! enterprise's facts, one stored enterprise, or every assistance target of the store.

use super::*;

pub(super) async fn eval(
    ctx: &Context,
    facts_path: &str,
    date: &str,
    json: bool,
    policies: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let date = calendar::parse_date(date).map_err(|e| crate::cli::user_error(&e))?;
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
    let decisions = lib.library.evaluate_all(&facts, date);
    if json {
        outln!("{}", serde_json::to_string_pretty(&decisions)?);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &decisions {
        let label = match d.outcome {
            Outcome::Eligible => "符合 eligible",
            Outcome::Ineligible => "不符合 ineligible",
            Outcome::Undetermined => "待定 undetermined",
        };
        let amount = d.amount.map(|a| format!("  ¥{a}")).unwrap_or_default();
        outln!("{label:<20} {}  {}{amount}", d.item, d.title);
        if !d.missing_facts.is_empty() {
            let m: Vec<String> = d.missing_facts.iter().map(ToString::to_string).collect();
            outln!("{:<20}   缺少事实 / missing facts: {}", "", m.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn bench(n: usize, m: usize, seed: u64, date: &str) -> anyhow::Result<ExitCode> {
    crate::cli::bench::run_match(n, m, seed, date, crate::cli::bench::ONE_DEFAULT)
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
    let code = enterprise::UnifiedCreditCode::parse(uscc).map_err(|e| crate::cli::user_error(&e))?;
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let lib = &loaded.library;
    let item = find_item(lib, item)?;
    let store = crate::db::open_ready(&ctx.database).await?;
    let Some(view) = store.get_enterprise(&code).await? else {
        return Err(user(format!(
            "数据库中没有统一社会信用代码为 {code} 的企业（先用 huiqi import enterprises 导入）/ no enterprise \
             with credit code {code} in the database (import it first with huiqi import enterprises)"
        )));
    };
    let d = lib.evaluate(item, &view.facts(), date);
    if json {
        outln!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("企业 / enterprise: {} {}", view.enterprise.uscc, view.enterprise.name);
    outln!("条款 / item: {} {} ({})", d.item, d.title, d.document);
    outln!("评估日期 / date: {date}");
    if !item.window.contains(date) {
        outln!("注意：该条款在 {date} 不在有效期内 / note: the item is not in force on {date}");
    }
    let amount = d.amount.map(|a| format!("  金额 / amount ¥{a}")).unwrap_or_default();
    outln!("结论 / decision: {}{amount}", outcome_label(d.outcome));
    if !d.missing_facts.is_empty() {
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
// match

/// Every assistance-target enterprise of the store, streamed into facts, with a progress bar.
pub(super) struct Targets {
    ids: Vec<i64>,
    who: Vec<(String, String)>,
    facts: Vec<Facts>,
    /// Enterprises read (targets or not).
    read: u64,
}

pub(super) async fn load_targets(store: &dyn store::Store, quiet: bool) -> anyhow::Result<Targets> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let total = store.enterprise_count().await?;
    let bar = ProgressBar::new(total);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} 读取企业 / reading enterprises [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut t = Targets { ids: Vec::new(), who: Vec::new(), facts: Vec::new(), read: 0 };
    let read = store::for_each_enterprise(store, 5000, |row| {
        bar.inc(1);
        if row.enterprise.assistance_target() {
            t.ids.push(row.id);
            t.facts.push(row.facts());
            t.who.push((row.enterprise.uscc.to_string(), row.enterprise.name));
        }
        Ok(())
    })
    .await?;
    bar.finish_and_clear();
    t.read = read;
    Ok(t)
}

/// A spinner while the batch engine runs (hidden for JSON output or when stderr is no terminal).
pub(super) fn spinner(msg: &'static str, quiet: bool) -> indicatif::ProgressBar {
    let s = indicatif::ProgressBar::new_spinner();
    if quiet {
        s.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    s.set_message(msg);
    s.enable_steady_tick(std::time::Duration::from_millis(100));
    s
}

#[derive(serde::Serialize)]
pub(super) struct MatchItemOut {
    item: String,
    title: String,
    document: String,
    eligible: u64,
    ineligible: u64,
    undetermined: u64,
    total_amount: String,
}

#[derive(serde::Serialize)]
pub(super) struct Timings {
    load_ms: u64,
    eval_ms: u64,
    store_ms: u64,
}

#[derive(serde::Serialize)]
pub(super) struct MatchOut {
    run_id: i64,
    date: String,
    library: String,
    enterprises: u64,
    items: Vec<MatchItemOut>,
    timings: Timings,
}

pub(super) fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(super) async fn match_run(
    ctx: &Context,
    date: &str,
    json: bool,
    policies: Option<&str>,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    use std::time::Instant;
    let date = calendar::parse_date(date).map_err(|e| crate::cli::user_error(&e))?;
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let lib = &loaded.library;
    let store = crate::db::open_ready(&ctx.database).await?;
    let t0 = Instant::now();
    let targets = load_targets(store.as_ref(), json).await?;
    let load = t0.elapsed();
    let items = lib.items_in_force(date);
    let t1 = Instant::now();
    let sp = spinner("评估 / evaluating", json);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(2);
    let snap = rules::batch::Snapshot::from_facts(&targets.facts, FactDictionary::official());
    let blocks = snap.into_blocks(65_536);
    let result = rules::batch::run_blocks(&lib.program, &items, &blocks, date, threads);
    sp.finish_and_clear();
    let eval = t1.elapsed();
    let mut counts = Vec::new();
    let mut eligible = Vec::new();
    for r in &result.items {
        counts.push(store::matches::MatchCount {
            item: r.item.clone(),
            eligible: r.eligible as u64,
            ineligible: r.ineligible as u64,
            undetermined: r.undetermined as u64,
            total_amount: r.total,
        });
        for (w, word) in r.eligible_bits.iter().enumerate() {
            let mut m = *word;
            while m != 0 {
                let row = w * 64 + m.trailing_zeros() as usize;
                m &= m - 1;
                if let Some(id) = targets.ids.get(row) {
                    eligible.push(store::matches::MatchEligible {
                        enterprise_id: *id,
                        item: r.item.clone(),
                        amount: r.amount(row),
                    });
                }
            }
        }
    }
    let t2 = Instant::now();
    let run_id = store
        .record_match_run(store::matches::NewMatchRun {
            actor: store::Actor::new(actor, crate::db::now()),
            date,
            library_fingerprint: loaded.fingerprint.clone(),
            enterprises: targets.ids.len() as u64,
            items: items.len() as u64,
            load_ms: ms(load),
            eval_ms: ms(eval),
            counts: counts.clone(),
            eligible,
        })
        .await?;
    let stored = t2.elapsed();
    let out = MatchOut {
        run_id,
        date: date.to_string(),
        library: format!("{} ({})", loaded.origin, loaded.fingerprint),
        enterprises: targets.ids.len() as u64,
        items: items
            .iter()
            .zip(&counts)
            .map(|(i, c)| MatchItemOut {
                item: i.id.clone(),
                title: i.title.clone(),
                document: i.document.clone(),
                eligible: c.eligible,
                ineligible: c.ineligible,
                undetermined: c.undetermined,
                total_amount: c.total_amount.to_string(),
            })
            .collect(),
        timings: Timings { load_ms: ms(load), eval_ms: ms(eval), store_ms: ms(stored) },
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "匹配批次 / match run {run_id}: {date}，帮扶对象 {} 家（共 {} 家）× 有效条款 {} 项 / {} assistance targets (of {} enterprises) × {} items in force",
        out.enterprises,
        targets.read,
        items.len(),
        out.enterprises,
        targets.read,
        items.len()
    );
    outln!("政策库 / library: {}", out.library);
    outln!(
        "{:<36} {:>8} {:>8} {:>8} {:>18}",
        "条款 item",
        "符合 elig",
        "不符 inel",
        "待定 undet",
        "金额合计 total ¥"
    );
    for i in &out.items {
        outln!(
            "{:<36} {:>8} {:>8} {:>8} {:>18}",
            i.item,
            i.eligible,
            i.ineligible,
            i.undetermined,
            i.total_amount
        );
    }
    let grand: rust_decimal::Decimal = counts.iter().map(|c| c.total_amount).sum();
    outln!("合计金额 / total amount: ¥{grand}");
    outln!(
        "用时 / timings: 读取 load {} ms, 评估 evaluate {} ms, 保存 store {} ms",
        out.timings.load_ms,
        out.timings.eval_ms,
        out.timings.store_ms
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------
// simulate

/// The parameters an item reads (directly or through its definitions).
pub(super) fn params_of(lib: &Library, item: &rules::Item) -> std::collections::BTreeSet<String> {
    lib.names_used(item).0
}

#[derive(serde::Serialize)]
pub(super) struct CountsOut {
    eligible: usize,
    ineligible: usize,
    undetermined: usize,
    total_amount: String,
}

impl CountsOut {
    fn of(c: &rules::batch::ItemCounts) -> CountsOut {
        CountsOut {
            eligible: c.eligible,
            ineligible: c.ineligible,
            undetermined: c.undetermined,
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
    let Some(loaded) = resolve_library(ctx, policies).await? else { return Ok(ExitCode::FAILURE) };
    let lib = &loaded.library;
    let item = find_item(lib, item)?;
    let own = params_of(lib, item);
    let mut changed = lib.program.clone();
    for s in set {
        let Some((name, value)) = s.split_once('=') else {
            return Err(user(format!("--set {s} 的格式应为 名称=值 / --set {s} must be NAME=VALUE")));
        };
        let name = name.trim();
        if !own.contains(name) {
            let near = nearest(name, own.iter().map(String::as_str));
            let list: Vec<&str> = own.iter().map(String::as_str).collect();
            let list = if list.is_empty() { "—".to_string() } else { list.join(", ") };
            return Err(user(format!(
                "条款 {} 没有参数 {name}{}（可用参数：{list}）/ item {} has no parameter {name}{} (its parameters: {list})",
                item.id,
                hint_zh(&near),
                item.id,
                hint_en(&near)
            )));
        }
        changed = changed.with_override(name, value, date).map_err(|e| crate::cli::user_error(&e))?;
    }
    let store = crate::db::open_ready(&ctx.database).await?;
    let targets = load_targets(store.as_ref(), json).await?;
    let sp = spinner("模拟 / simulating", json);
    let snap = rules::batch::Snapshot::from_facts(&targets.facts, FactDictionary::official());
    let sim = rules::batch::simulate(&lib.program, &changed, item, &snap, date);
    sp.finish_and_clear();
    let list = |rows: &[usize]| -> Vec<WhoOut> {
        rows.iter()
            .take(limit)
            .filter_map(|&r| targets.who.get(r))
            .map(|(uscc, name)| WhoOut { uscc: uscc.clone(), name: name.clone() })
            .collect()
    };
    let out = SimOut {
        item: item.id.clone(),
        date: date.to_string(),
        set: set.to_vec(),
        enterprises: targets.ids.len(),
        baseline: CountsOut::of(&sim.baseline),
        changed: CountsOut::of(&sim.changed),
        cost_delta: if sim.cost_delta > rust_decimal::Decimal::ZERO {
            format!("+{}", sim.cost_delta)
        } else {
            sim.cost_delta.to_string()
        },
        gains_total: sim.gains.len(),
        gains: list(&sim.gains),
        losses_total: sim.losses.len(),
        losses: list(&sim.losses),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("条款 / item: {} {} ({})", item.id, item.title, item.document);
    outln!("改动 / change: {}（自 {date} 起 / from {date}）", set.join(", "));
    outln!("帮扶对象 / assistance targets: {}", out.enterprises);
    for (label, c) in [("现行 / current", &out.baseline), ("改动后 / changed", &out.changed)] {
        outln!(
            "{label:<18} 符合 eligible {:>7}  不符合 ineligible {:>7}  待定 undetermined {:>7}  金额 total ¥{}",
            c.eligible,
            c.ineligible,
            c.undetermined,
            c.total_amount
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
