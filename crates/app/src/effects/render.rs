//! The effect report for people: the workbook (`huiqi report effects --out FILE.xlsx`), the
//! standalone printable page (`/reports/effects`) and the two SVG charts the page and the
//! leader's dashboard share (labels 12 px or larger; every bar and interval carries its
//! number as text, so nothing is told by colour alone). All in Chinese.

use chrono::NaiveDateTime;
use excel::{Cell, Sheet, Workbook};
use rust_decimal::Decimal;

use super::{EffectsReport, KindReach, OutcomeRow, RecurrenceRow};
use crate::{Error, Result};

fn pct_cell(p: Option<f64>) -> Cell {
    p.and_then(|p| Decimal::try_from(p / 100.0).ok()).map_or(Cell::Empty, |d| Cell::Percent(d.round_dp(4)))
}

fn rate_cell(p: Option<Decimal>) -> Cell {
    p.map_or(Cell::Empty, |d| Cell::Percent(d / Decimal::from(100)))
}

/// The workbook: 概况, 覆盖与投入, 政策事项, 部门, 效果对比, 问题反复, 治理事项, 最好与最弱,
/// 典型案例, 方法说明.
pub fn effects_workbook(r: &EffectsReport, created: NaiveDateTime) -> Workbook {
    let mut wb = Workbook::new(format!("帮扶效果季报 {}", r.quarter), created);
    let mut summary = Sheet::new("概况", &["项目", "数值"]);
    for (k, v) in [
        ("季度", Cell::Text(r.quarter.clone())),
        ("起止", Cell::Text(format!("{} 至 {}", r.start, r.end))),
        ("读取企业数", Cell::Int(r.enterprises as i64)),
        ("本季度帮扶企业（不含仅匹配）", Cell::Int(r.helped as i64)),
        ("本季度资金到账（元）", Cell::Money(r.paid)),
        ("效果对比所用年度事实", Cell::Text(format!("{}—{} 年", r.panel_first_year, r.panel_last_year))),
        ("可判断的最少帮扶企业数", Cell::Int(r.min_helped as i64)),
    ] {
        summary.push(vec![k.into(), v]);
    }
    let reach_headers =
        ["帮扶重点", "帮扶方式", "企业数", "次数", "金额（元）", "按规模", "按行业门类", "按街道", "按月"];
    let reach_row = |name: String, k: &KindReach| {
        vec![
            Cell::Text(name),
            k.kind_zh.clone().into(),
            Cell::Int(k.enterprises as i64),
            Cell::Int(k.events as i64),
            Cell::Money(k.amount),
            Cell::Text(split_text(&k.by_size, size_zh)),
            Cell::Text(split_text(&k.by_industry, |s| s.to_string())),
            Cell::Text(split_text(&k.by_street, |s| {
                if s == "?" { "未登记街道".into() } else { s.to_string() }
            })),
            Cell::Text(split_text(&k.by_month, |s| s.to_string())),
        ]
    };
    let mut reach = Sheet::new("覆盖与投入", &reach_headers);
    for l in &r.lines {
        if l.reach.is_empty() {
            reach.push(vec![l.label.clone().into(), "（本季度无记录）".into()]);
        }
        for k in &l.reach {
            reach.push(reach_row(l.label.clone(), k));
        }
    }
    let mut items =
        Sheet::new("政策事项", &["政策事项", "匹配符合", "核定", "到账", "到账金额（元）", "符合但未兑现"]);
    for i in &r.items {
        items.push(vec![
            i.item.clone().into(),
            Cell::Int(i.eligible as i64),
            Cell::Int(i.granted as i64),
            Cell::Int(i.paid as i64),
            Cell::Money(i.paid_amount),
            Cell::Int(i.eligible_not_reached as i64),
        ]);
    }
    let mut dept_headers = reach_headers;
    dept_headers[0] = "部门";
    let mut depts = Sheet::new("部门", &dept_headers);
    for d in &r.departments {
        for k in &d.reach {
            depts.push(reach_row(d.name.clone(), k));
        }
    }
    let mut outcomes = Sheet::new(
        "效果对比",
        &[
            "帮扶重点",
            "帮扶方式",
            "指标",
            "可比对帮扶企业",
            "可比企业",
            "未匹配",
            "无法测量",
            "帮扶企业变化",
            "可比企业变化",
            "差异",
            "区间下限",
            "区间上限",
            "判断",
            "说明",
        ],
    );
    for o in &r.outcomes {
        outcomes.push(outcome_cells(o));
    }
    let mut rec =
        Sheet::new("问题反复", &["范围", "名称", "办结", "二次办理", "再次反映", "二次办理率", "再次反映率"]);
    let rec_row = |scope: &str, x: &RecurrenceRow| {
        vec![
            scope.into(),
            x.name.clone().into(),
            Cell::Int(x.closed as i64),
            Cell::Int(x.reopened as i64),
            Cell::Int(x.came_back as i64),
            rate_cell(x.reopen_rate),
            rate_cell(x.came_back_rate),
        ]
    };
    rec.push(rec_row("全区", &r.recurrence_overall));
    for x in &r.recurrence_by_category {
        rec.push(rec_row("问题类别", x));
    }
    for x in &r.recurrence_by_department {
        rec.push(rec_row("部门", x));
    }
    let mut gov =
        Sheet::new("治理事项", &["编号", "治理事项", "责任部门", "期限", "办结日期", "涉及问题", "按期"]);
    for g in &r.governance_closed {
        gov.push(vec![
            Cell::Int(g.id),
            g.title.clone().into(),
            g.owner.clone().into(),
            g.due.clone().into(),
            g.closed_on.clone().into(),
            Cell::Int(g.members as i64),
            (if g.on_time { "是" } else { "否" }).into(),
        ]);
    }
    let mut ranked = Sheet::new("最好与最弱", &["类别", "帮扶重点", "依据"]);
    for (what, list) in [("效果最好", &r.best), ("最需加强", &r.weakest)] {
        for x in list {
            ranked.push(vec![what.into(), x.label.clone().into(), x.reason.clone().into()]);
        }
    }
    let mut cases =
        Sheet::new("典型案例", &["类型", "企业名称", "事项", "帮扶重点", "部门", "日期", "金额（元）"]);
    for c in &r.cases {
        cases.push(vec![
            (if c.kind == "grant" { "资金兑现" } else { "问题解决（满意）" }).into(),
            c.enterprise.clone().into(),
            c.what.clone().unwrap_or_else(|| crate::reports::CONFIDENTIAL_ZH.into()).into(),
            c.line.clone().into(),
            c.department.clone().unwrap_or_default().into(),
            c.date.clone().into(),
            c.amount.map_or(Cell::Empty, Cell::Money),
        ]);
    }
    let mut method = Sheet::new("方法说明", &["说明"]);
    method.push(vec![r.method.clone().into()]);
    method.push(vec!["覆盖与投入按帮扶记录日期计入本季度；同一企业在同一分组中只计一次。匹配符合与推送告知只是信息，不计入“帮扶企业”。".into()]);
    method.push(vec!["“再次反映”：同一企业在办结后 180 天内就同一类别再次反映问题。".into()]);
    wb.sheets = vec![summary, reach, items, depts, outcomes, rec, gov, ranked, cases, method];
    wb
}

fn outcome_cells(o: &OutcomeRow) -> Vec<Cell> {
    vec![
        o.line_label.clone().into(),
        o.kind_zh.clone().into(),
        o.measure_zh.clone().into(),
        Cell::Int(o.helped as i64),
        Cell::Int(o.comparable as i64),
        Cell::Int(o.unmatched as i64),
        Cell::Int(o.not_measurable as i64),
        pct_cell(o.helped_change_pct),
        pct_cell(o.comparable_change_pct),
        pct_cell(o.difference_pct),
        pct_cell(o.low_pct),
        pct_cell(o.high_pct),
        o.verdict_zh.clone().into(),
        o.sentence.clone().into(),
    ]
}

fn size_zh(s: &str) -> String {
    match s {
        "micro" => "微型",
        "small" => "小型",
        "medium" => "中型",
        "large" => "大型",
        _ => "未知",
    }
    .to_string()
}

fn split_text(m: &std::collections::BTreeMap<String, u64>, name: impl Fn(&str) -> String) -> String {
    m.iter().map(|(k, v)| format!("{} {v}", name(k))).collect::<Vec<_>>().join("；")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Enterprises helped per line in the quarter, a horizontal bar per line that helped any,
/// each with its count as text.
pub fn reach_chart_svg(r: &EffectsReport) -> String {
    let lines: Vec<_> = r.lines.iter().filter(|l| l.helped > 0).collect();
    if lines.is_empty() {
        return String::new();
    }
    let max = lines.iter().map(|l| l.helped).max().unwrap_or(1).max(1) as f64;
    let (label_w, bar_w, row_h) = (260.0, 320.0, 24.0);
    let h = row_h * lines.len() as f64 + 8.0;
    let mut s = format!(
        "<svg class=\"effects-chart\" role=\"img\" aria-label=\"各帮扶重点本季度帮扶企业数\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        w = label_w + bar_w + 60.0
    );
    for (k, l) in lines.iter().enumerate() {
        let y = 4.0 + row_h * k as f64;
        let w = (l.helped as f64 / max * bar_w).max(2.0);
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" font-size=\"13\" text-anchor=\"end\">{label}</text><rect x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"#3b6ea8\"><title>{label}：{n} 家</title></rect><text x=\"{nx:.1}\" y=\"{ty}\" font-size=\"13\">{n} 家</text>",
            x = label_w - 6.0,
            ty = y + 13.0,
            label = esc(&l.label),
            bx = label_w,
            nx = label_w + w + 4.0,
            n = l.helped,
        ));
    }
    s.push_str("</svg>");
    s
}

/// Each estimate with an interval: a dot at the difference and a line over the interval,
/// beside a zero line, with the figures as text (too-few rows are listed, not drawn).
pub fn outcome_chart_svg(r: &EffectsReport) -> String {
    let rows: Vec<&OutcomeRow> = r.outcomes.iter().filter(|o| o.low_pct.is_some()).collect();
    if rows.is_empty() {
        return String::new();
    }
    let lo = rows.iter().filter_map(|o| o.low_pct).fold(0.0f64, f64::min) - 2.0;
    let hi = rows.iter().filter_map(|o| o.high_pct).fold(0.0f64, f64::max) + 2.0;
    let (label_w, plot_w, row_h, text_w) = (300.0, 260.0, 26.0, 230.0);
    let x = |v: f64| label_w + (v - lo) / (hi - lo) * plot_w;
    let h = row_h * rows.len() as f64 + 30.0;
    let mut s = format!(
        "<svg class=\"effects-chart\" role=\"img\" aria-label=\"帮扶企业与可比企业的变化差异及区间\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        w = label_w + plot_w + text_w
    );
    let zero = x(0.0);
    s.push_str(&format!(
        "<line x1=\"{zero:.1}\" y1=\"0\" x2=\"{zero:.1}\" y2=\"{y2}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/><text x=\"{zero:.1}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"middle\">0（无差异）</text>",
        y2 = h - 18.0,
        ty = h - 4.0
    ));
    for (k, o) in rows.iter().enumerate() {
        let y = 14.0 + row_h * k as f64;
        let (l, d, u) =
            (o.low_pct.unwrap_or(0.0), o.difference_pct.unwrap_or(0.0), o.high_pct.unwrap_or(0.0));
        let mark = match o.verdict.as_str() {
            "higher" => "▲",
            "lower" => "▼",
            _ => "●",
        };
        s.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\">三.{line} {kind}·{m}</text><line x1=\"{a:.1}\" y1=\"{y}\" x2=\"{b:.1}\" y2=\"{y}\" stroke=\"#222\" stroke-width=\"2\"/><circle cx=\"{c:.1}\" cy=\"{y}\" r=\"4\" fill=\"#222\"/><text x=\"{tx}\" y=\"{ty}\" font-size=\"12\">{mark} {d:+.1}%（{l:+.1}%～{u:+.1}%，n={n}）</text>",
            lx = label_w - 6.0,
            ty = y + 4.0,
            line = o.line,
            kind = esc(&o.kind_zh),
            m = esc(&o.measure_zh),
            a = x(l),
            b = x(u),
            c = x(d),
            tx = label_w + plot_w + 6.0,
            n = o.helped,
        ));
    }
    s.push_str("</svg>");
    s
}

/// The report as a standalone printable HTML document (A4, Chinese, every value escaped).
pub fn effects_html(r: &EffectsReport) -> Result<String> {
    askama::Template::render(&PrintEffects { r }).map_err(Error::internal)
}

#[derive(askama::Template)]
#[template(path = "report_effects_print.html", whitespace = "minimize")]
struct PrintEffects<'a> {
    r: &'a EffectsReport,
}

impl PrintEffects<'_> {
    fn reach_svg(&self) -> String {
        reach_chart_svg(self.r)
    }
    fn outcome_svg(&self) -> String {
        outcome_chart_svg(self.r)
    }
    fn pct(&self, p: &Option<f64>) -> String {
        p.map_or_else(|| "—".into(), |p| format!("{p:.1}%"))
    }
    fn rate(&self, p: &Option<Decimal>) -> String {
        p.map_or_else(|| "—".into(), |p| format!("{p}%"))
    }
    fn size(&self, k: &KindReach) -> String {
        split_text(&k.by_size, size_zh)
    }
    fn confidential(&self) -> &'static str {
        crate::reports::CONFIDENTIAL_ZH
    }
}
