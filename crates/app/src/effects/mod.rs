//! The quarterly effect report (效果跟踪季报) as a use case: what each line of help reached,
//! cost and changed, the problems that came back, the best and the weakest lines and the
//! exemplary cases of the quarter. One implementation behind `huiqi report effects`,
//! `GET /api/v1/reports/effects`, the printable page `/reports/effects` and the dashboard's
//! section; the figures come from the pure `effects` crate (method: docs/EFFECTS.md).
//!
//! What it reads, through the store traits: every enterprise's size-class inputs, industry,
//! establishment date, revenue and employees over the five years before the quarter's year,
//! a page of ids at a time (the match's scan, [`store::scan`]); the grants of every run
//! (paid: 资金到账, approved or paid: 核定); the match runs up to the quarter's end; the
//! visits; every problem's event log (replayed); the governance items. Only the helped
//! enterprises' segments are kept, so memory grows with the panel (two `f64` per enterprise
//! and year), not with the facts.
//!
//! Who: leaders, supervisors and admins (`authz::Resource::Supervision`, as the supervision
//! report). Reading a report is not audited, as the other reports are not.
//!
//! What it leaves out: inbox notices (告知) and events attended are not counted yet (no
//! bulk reader of them), and there is no street in the registry to split by.

mod load;
mod render;

pub use render::{effects_html, effects_workbook, outcome_chart_svg, reach_chart_svg};

use chrono::{DateTime, FixedOffset};
use effects::outcome::{Comparison, Estimate, RawEstimate, finish};
use effects::reach::{ItemGap, Reach, ReachReport};
use effects::recurrence::{GovernanceClosed, Recurrence, RecurrenceReport};
use effects::{HelpKind, Line};
use kpi::{Period, PeriodKind};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

use crate::{App, Error, Principal, Result, authz};

/// The quarter a text names: `2026Q4` (`2026-Q4`, `2026q4`).
pub fn parse_quarter(text: &str) -> Result<Period> {
    let bad = || Error::Invalid {
        field: "quarter".into(),
        value: i18n::suggest::shown(text).into_owned(),
        reason: "应为季度，如 2026Q4 / expected a quarter such as 2026Q4".into(),
    };
    match Period::parse(text) {
        Ok(p) if p.kind == PeriodKind::Quarter => Ok(p),
        _ => Err(bad()),
    }
}

/// The quarter of a time (China time): the current quarter for `now`.
pub fn quarter_of(t: DateTime<FixedOffset>) -> Period {
    kpi::period_of(PeriodKind::Quarter, handling::china_date(t))
}

/// One kind of help under a line: its reach in the quarter.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindReach {
    /// `paid`, `problem_solved`, …
    pub kind: String,
    pub kind_zh: String,
    pub enterprises: u64,
    pub events: u64,
    /// Exact yuan (paid or decided money; 0 for help without money).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
    /// Enterprises per size class (`micro`, …, `unknown`).
    pub by_size: std::collections::BTreeMap<String, u64>,
    /// Enterprises per industry section letter (`?` unknown).
    pub by_industry: std::collections::BTreeMap<String, u64>,
    /// Enterprises per month of the quarter (`2026-10`).
    pub by_month: std::collections::BTreeMap<String, u64>,
    /// Enterprises per street (街道, the registry's fact `street`; `?` none recorded).
    pub by_street: std::collections::BTreeMap<String, u64>,
}

/// An outcome estimate of one kind of help under a line, for one measure.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeRow {
    pub line: u8,
    pub line_label: String,
    pub kind: String,
    pub kind_zh: String,
    /// `revenue` or `employees`.
    pub measure: String,
    pub measure_zh: String,
    /// Matched helped enterprises.
    pub helped: u64,
    /// Controls in the strata used.
    pub comparable: u64,
    /// Of the helped, those matched in the finest strata (the others in coarser ones).
    pub matched_exactly: u64,
    pub unmatched: u64,
    pub not_measurable: u64,
    /// Percent; null when too few to tell.
    pub helped_change_pct: Option<f64>,
    pub comparable_change_pct: Option<f64>,
    pub difference_pct: Option<f64>,
    pub low_pct: Option<f64>,
    pub high_pct: Option<f64>,
    /// This interval's own level (the report's intervals hold together at 95 %).
    pub level: f64,
    /// `too_few_to_tell`, `no_clear_difference`, `higher`, `lower`.
    pub verdict: String,
    pub verdict_zh: String,
    /// The finding in plain Chinese with its sample sizes and interval.
    pub sentence: String,
}

/// A line of help in the quarter.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineRow {
    pub line: u8,
    pub label: String,
    pub reach: Vec<KindReach>,
    /// Distinct enterprises helped under the line (matches not counted).
    pub helped: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid: Decimal,
    pub outcomes: Vec<OutcomeRow>,
}

/// A policy item's reach and gap.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemRow {
    pub item: String,
    pub eligible: u64,
    pub granted: u64,
    pub paid: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid_amount: Decimal,
    pub eligible_not_reached: u64,
}

/// A department's help in the quarter.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentRow {
    pub department: String,
    pub name: String,
    pub reach: Vec<KindReach>,
}

/// Reopen and came-back counts of a category or department.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecurrenceRow {
    pub code: String,
    pub name: String,
    pub closed: u64,
    pub reopened: u64,
    pub came_back: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub reopen_rate: Option<Decimal>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub came_back_rate: Option<Decimal>,
}

/// A governance item closed in the quarter.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GovernanceRow {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due: String,
    pub closed_on: String,
    pub members: u64,
    pub on_time: bool,
}

/// An exemplary case of the quarter (典型案例).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    /// `problem` (closed, solved, 满意) or `grant` (paid).
    pub kind: String,
    pub enterprise: String,
    /// The problem's title (null when confidential) or the grant's item.
    pub what: Option<String>,
    pub line: String,
    pub department: Option<String>,
    pub date: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub amount: Option<Decimal>,
    /// The problem's number or the grant's id.
    pub id: i64,
}

/// A line named best or weakest, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ranked {
    pub line: u8,
    pub label: String,
    pub reason: String,
}

/// The quarterly effect report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectsReport {
    pub quarter: String,
    pub start: String,
    pub end: String,
    pub generated_at: String,
    /// The years of facts the outcomes read (first, last).
    pub panel_first_year: i32,
    pub panel_last_year: i32,
    /// Enterprises read.
    pub enterprises: u64,
    /// Distinct enterprises helped in the quarter (matches not counted).
    pub helped: u64,
    /// Money paid in the quarter (exact yuan).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid: Decimal,
    /// The sixteen lines in order.
    pub lines: Vec<LineRow>,
    pub items: Vec<ItemRow>,
    pub departments: Vec<DepartmentRow>,
    /// Every outcome estimate of the report (also under its line).
    pub outcomes: Vec<OutcomeRow>,
    pub recurrence_overall: RecurrenceRow,
    pub recurrence_by_category: Vec<RecurrenceRow>,
    pub recurrence_by_department: Vec<RecurrenceRow>,
    pub governance_closed: Vec<GovernanceRow>,
    pub best: Vec<Ranked>,
    pub weakest: Vec<Ranked>,
    pub cases: Vec<Case>,
    /// The method in one paragraph (Chinese), and the minimum sample.
    pub method: String,
    pub min_helped: u64,
    /// How long the report took to build (milliseconds).
    pub elapsed_ms: u64,
}

/// What the report needs, loaded ([`load::load`]).
pub(crate) struct Loaded {
    pub events: Vec<effects::HelpEvent>,
    pub eligible: Vec<(i64, String)>,
    pub segments: HashMap<i64, effects::Segment>,
    /// The streets' names a segment's `street` indexes.
    pub streets: Vec<String>,
    pub revenue: effects::OutcomePanel,
    pub employees: effects::OutcomePanel,
    pub enterprises: u64,
    pub problems: Vec<effects::ProblemFacts>,
    pub governance: Vec<effects::recurrence::GovernanceFacts>,
    pub cases: Vec<Case>,
    pub routing: enterprise::Routing,
}

/// The method, as the report states it.
pub const METHOD_ZH: &str = "效果对比采用“双重差分 + 分层精确匹配”：对每类帮扶，以企业首次获得该帮扶的年份 H 为准，\
比较其 H−1 年到 H+1 年的变化与同年份、同规模、同行业大类、同企龄段、同帮扶前趋势段且截至 H+1 年未获该帮扶的可比企业的平均变化之差；\
区间为解析法，本报告全部区间合计置信水平 95%（按区间个数校正，邦费罗尼法）。可比对的帮扶企业少于 30 家时注明“样本太少，无法判断”。\
结果只说明帮扶企业与可比企业的差异，不能单独证明差异由帮扶造成（未观察到的因素可能影响谁获得帮扶）。";

/// How long the leader's dashboard shows a report it built before building it again
/// (seconds): the report reads the whole registry (6 s at 1,000,000 enterprises), too much
/// for every page load; the printable page, the API and the export always build afresh.
pub const DASHBOARD_FRESH_SECS: i64 = 600;

/// The reports the dashboard showed, per quarter, with the time each was built.
#[derive(Default)]
pub struct ReportCache {
    built: std::sync::Mutex<HashMap<String, Arc<EffectsReport>>>,
    /// One build at a time: a dashboard loading while another builds waits and reuses it.
    building: tokio::sync::Mutex<()>,
}

impl ReportCache {
    fn fresh(&self, quarter: &str, now: chrono::DateTime<chrono::FixedOffset>) -> Option<Arc<EffectsReport>> {
        let built = self.built.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let r = built.get(quarter)?;
        let at = chrono::DateTime::parse_from_rfc3339(&r.generated_at).ok()?;
        let age = (now - at).num_seconds();
        (0..DASHBOARD_FRESH_SECS).contains(&age).then(|| Arc::clone(r))
    }
}

/// The quarterly effect report for the leader's dashboard: the one built for this quarter in
/// the last [`DASHBOARD_FRESH_SECS`] seconds if there is one, else a new one (kept for the
/// next loads). Its `generated_at` says when its figures were read.
pub async fn dashboard_report(app: &App, who: &Principal, quarter: Period) -> Result<Arc<EffectsReport>> {
    authz::require(who, authz::Action::Read, authz::Resource::Supervision)?;
    let key = quarter.to_string();
    if let Some(r) = app.effects_cache.fresh(&key, app.now()) {
        return Ok(r);
    }
    let _one = app.effects_cache.building.lock().await;
    if let Some(r) = app.effects_cache.fresh(&key, app.now()) {
        return Ok(r);
    }
    let r = Arc::new(effects_report(app, who, quarter).await?);
    app.effects_cache
        .built
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key, Arc::clone(&r));
    Ok(r)
}

/// The quarterly effect report of `quarter` (leaders, supervisors, admins).
#[tracing::instrument(skip(app, who), fields(user = %who.username, quarter = %quarter))]
pub async fn effects_report(app: &App, who: &Principal, quarter: Period) -> Result<EffectsReport> {
    authz::require(who, authz::Action::Read, authz::Resource::Supervision)?;
    if quarter.kind != PeriodKind::Quarter {
        return Err(parse_quarter(&quarter.to_string())
            .err()
            .unwrap_or_else(|| Error::internal("not a quarter")));
    }
    let started = std::time::Instant::now();
    let loaded = load::load(app, &quarter).await?;
    let mut report = build(&quarter, loaded, app.now());
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

fn kind_reach(kind: HelpKind, r: &Reach) -> KindReach {
    KindReach {
        kind: kind.as_str().into(),
        kind_zh: kind.label_zh().into(),
        enterprises: r.enterprises,
        events: r.events,
        amount: r.amount,
        by_size: r.by_size.clone(),
        by_industry: r.by_industry.clone(),
        by_month: r.by_month.clone(),
        by_street: r.by_street.clone(),
    }
}

fn recurrence_row(code: &str, name: String, r: &Recurrence) -> RecurrenceRow {
    RecurrenceRow {
        code: code.into(),
        name,
        closed: r.closed,
        reopened: r.reopened,
        came_back: r.came_back,
        reopen_rate: r.reopen_rate,
        came_back_rate: r.came_back_rate,
    }
}

fn outcome_row(line: Line, kind: HelpKind, measure: &str, measure_zh: &str, e: &Estimate) -> OutcomeRow {
    OutcomeRow {
        line: line.number(),
        line_label: line.label(),
        kind: kind.as_str().into(),
        kind_zh: kind.label_zh().into(),
        measure: measure.into(),
        measure_zh: measure_zh.into(),
        helped: e.raw.treated,
        comparable: e.raw.controls,
        matched_exactly: e.raw.matched_exactly,
        unmatched: e.raw.unmatched,
        not_measurable: e.raw.not_measurable,
        helped_change_pct: e.treated_change_pct.map(round1),
        comparable_change_pct: e.control_change_pct.map(round1),
        difference_pct: e.difference_pct.map(round1),
        low_pct: e.low_pct.map(round1),
        high_pct: e.high_pct.map(round1),
        level: (e.level * 10_000.0).round() / 10_000.0,
        verdict: serde_json::to_value(e.verdict)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        verdict_zh: e.verdict.label_zh().into(),
        sentence: e.sentence_zh(measure_zh),
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Builds the report from what was loaded (pure).
pub(crate) fn build(quarter: &Period, l: Loaded, now: DateTime<FixedOffset>) -> EffectsReport {
    let segments = |id: i64| l.segments.get(&id).copied().unwrap_or_default();
    let reach: ReachReport =
        effects::reach::reach(&l.events, quarter.start, quarter.end, &l.eligible, &segments, &l.streets);
    // Outcomes: per line and kind with an outcome, the year of each enterprise's first help
    // up to the quarter's end.
    let mut first: std::collections::BTreeMap<(Line, HelpKind), HashMap<i64, i32>> = Default::default();
    for e in l.events.iter().filter(|e| e.kind.has_outcome() && e.on <= quarter.end) {
        let y = chrono::Datelike::year(&e.on);
        let m = first.entry((e.line, e.kind)).or_default();
        m.entry(e.enterprise).and_modify(|v| *v = (*v).min(y)).or_insert(y);
    }
    let measures = [("revenue", "营业收入", &l.revenue), ("employees", "从业人员", &l.employees)];
    let comparisons: Vec<Comparison> = measures.iter().map(|(_, _, p)| Comparison::new(p)).collect();
    let mut keys = Vec::new();
    let mut raws: Vec<RawEstimate> = Vec::new();
    for ((line, kind), helped) in &first {
        for (m, (measure, zh, panel)) in measures.iter().enumerate() {
            keys.push((*line, *kind, *measure, *zh));
            raws.push(comparisons[m].estimate(panel, helped));
        }
    }
    let estimates = finish(&raws);
    let outcomes: Vec<OutcomeRow> = keys
        .iter()
        .zip(&estimates)
        .map(|((line, kind, m, zh), e)| outcome_row(*line, *kind, m, zh, e))
        .collect();
    let lines: Vec<LineRow> = Line::all()
        .map(|line| {
            let rows = reach.by_line.get(&line).cloned().unwrap_or_default();
            let mut helped = std::collections::BTreeSet::new();
            for e in &l.events {
                if e.line == line
                    && e.on >= quarter.start
                    && e.on <= quarter.end
                    && !matches!(e.kind, HelpKind::Matched | HelpKind::Informed)
                {
                    helped.insert(e.enterprise);
                }
            }
            LineRow {
                line: line.number(),
                label: line.label(),
                paid: rows.iter().filter(|r| r.kind == HelpKind::Paid).map(|r| r.reach.amount).sum(),
                reach: rows.iter().map(|r| kind_reach(r.kind, &r.reach)).collect(),
                helped: helped.len() as u64,
                outcomes: outcomes.iter().filter(|o| o.line == line.number()).cloned().collect(),
            }
        })
        .collect();
    let dept_name =
        |code: &str| l.routing.department(code).map_or_else(|| code.to_string(), |d| d.name.clone());
    let cat_name = |code: &str| l.routing.category(code).map_or_else(|| code.to_string(), |c| c.name.clone());
    let items = reach
        .gaps
        .iter()
        .map(|(item, g)| item_row(item, g))
        .chain(reach.by_item.iter().filter(|(item, _)| !reach.gaps.contains_key(*item)).map(
            |(item, rows)| {
                let of = |k: HelpKind| rows.iter().find(|r| r.kind == k).map(|r| &r.reach);
                ItemRow {
                    item: item.clone(),
                    eligible: 0,
                    granted: of(HelpKind::Granted).map_or(0, |r| r.enterprises),
                    paid: of(HelpKind::Paid).map_or(0, |r| r.enterprises),
                    paid_amount: of(HelpKind::Paid).map_or(Decimal::ZERO, |r| r.amount),
                    eligible_not_reached: 0,
                }
            },
        ))
        .collect();
    let departments = reach
        .by_department
        .iter()
        .map(|(code, rows)| DepartmentRow {
            department: code.clone(),
            name: dept_name(code),
            reach: rows.iter().map(|r| kind_reach(r.kind, &r.reach)).collect(),
        })
        .collect();
    let rec: RecurrenceReport =
        effects::recurrence::recurrence(&l.problems, &l.governance, quarter.start, quarter.end);
    let governance_closed = rec
        .governance_closed
        .iter()
        .map(|g: &GovernanceClosed| GovernanceRow {
            id: g.item.id,
            title: g.item.title.clone(),
            owner: dept_name(&g.item.owner),
            due: g.item.due.to_string(),
            closed_on: g.item.closed_on.map(|d| d.to_string()).unwrap_or_default(),
            members: g.item.members,
            on_time: g.on_time,
        })
        .collect();
    let (best, weakest) = rank(&lines);
    let cases = l.cases;
    EffectsReport {
        quarter: quarter.to_string(),
        start: quarter.start.to_string(),
        end: quarter.end.to_string(),
        generated_at: now.to_rfc3339(),
        panel_first_year: l.revenue.first_year(),
        panel_last_year: l.revenue.last_year(),
        enterprises: l.enterprises,
        helped: reach.helped_enterprises,
        paid: reach.paid,
        lines,
        items,
        departments,
        outcomes,
        recurrence_overall: recurrence_row("", "全区".into(), &rec.overall),
        recurrence_by_category: rec
            .by_category
            .iter()
            .map(|(c, r)| recurrence_row(c, cat_name(c), r))
            .collect(),
        recurrence_by_department: rec
            .by_department
            .iter()
            .map(|(c, r)| recurrence_row(c, dept_name(c), r))
            .collect(),
        governance_closed,
        best,
        weakest,
        cases,
        method: METHOD_ZH.into(),
        min_helped: effects::outcome::MIN_TREATED,
        elapsed_ms: 0,
    }
}

fn item_row(item: &str, g: &ItemGap) -> ItemRow {
    ItemRow {
        item: item.into(),
        eligible: g.eligible,
        granted: g.granted,
        paid: g.paid,
        paid_amount: g.paid_amount,
        eligible_not_reached: g.eligible_not_reached,
    }
}

/// The best and the weakest lines: by outcome where an estimate says more than "no clear
/// difference" (the highest interval floor, the lowest interval ceiling), otherwise by reach
/// (most and fewest enterprises helped among the lines that helped any). At most three each;
/// a line is never both.
fn rank(lines: &[LineRow]) -> (Vec<Ranked>, Vec<Ranked>) {
    let mut best = Vec::new();
    let mut weakest = Vec::new();
    let mut scored: Vec<(&LineRow, &OutcomeRow)> = lines
        .iter()
        .flat_map(|l| l.outcomes.iter().map(move |o| (l, o)))
        .filter(|(_, o)| o.low_pct.is_some())
        .collect();
    scored.sort_by(|a, b| b.1.low_pct.partial_cmp(&a.1.low_pct).unwrap_or(std::cmp::Ordering::Equal));
    for (l, o) in scored.iter().filter(|(_, o)| o.verdict == "higher").take(3) {
        if !best.iter().any(|r: &Ranked| r.line == l.line) {
            best.push(Ranked {
                line: l.line,
                label: l.label.clone(),
                reason: format!("{}：{}", o.kind_zh, o.sentence),
            });
        }
    }
    for (l, o) in scored.iter().rev().filter(|(_, o)| o.verdict == "lower").take(3) {
        if !weakest.iter().any(|r: &Ranked| r.line == l.line) && !best.iter().any(|r| r.line == l.line) {
            weakest.push(Ranked {
                line: l.line,
                label: l.label.clone(),
                reason: format!("{}：{}", o.kind_zh, o.sentence),
            });
        }
    }
    let mut reached: Vec<&LineRow> = lines.iter().filter(|l| l.helped > 0).collect();
    reached.sort_by_key(|l| (std::cmp::Reverse(l.helped), l.line));
    // By reach, at most the better half is "best", so the other half can be "weakest".
    for l in reached.iter().take(reached.len().div_ceil(2).min(3)) {
        if best.len() < 3 && !best.iter().any(|r| r.line == l.line) {
            best.push(Ranked {
                line: l.line,
                label: l.label.clone(),
                reason: format!("本季度帮扶企业 {} 家（覆盖面最广）", l.helped),
            });
        }
    }
    for l in reached.iter().rev().take(3) {
        if weakest.len() < 3
            && !weakest.iter().any(|r| r.line == l.line)
            && !best.iter().any(|r| r.line == l.line)
        {
            weakest.push(Ranked {
                line: l.line,
                label: l.label.clone(),
                reason: format!("本季度帮扶企业仅 {} 家（覆盖面最窄）", l.helped),
            });
        }
    }
    let idle: Vec<String> =
        lines.iter().filter(|l| l.helped == 0).map(|l| format!("三.{}", l.line)).collect();
    if !idle.is_empty() && weakest.len() < 3 {
        weakest.push(Ranked {
            line: 0, label: "本季度无帮扶记录的帮扶重点".into(), reason: idle.join("、")
        });
    }
    (best, weakest)
}

#[cfg(test)]
mod tests;
