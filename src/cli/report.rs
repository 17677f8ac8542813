//! `huiqi report supervision --period P FILE`: the periodic supervision report (通报) —
//! departments below the thresholds, red items, answers given late, and the trend over the
//! last four periods — as a workbook (`.xlsx`) or a printable page (`.html`).

use super::ledger::{Names, load_all, local, warning_zh};
use super::user_error;
use chrono::{DateTime, Duration, FixedOffset};
use clap::{Args, Subcommand};
use excel::{Cell, Sheet, Workbook};
use handling::{ProblemState, Warning};
use kpi::{KpiReport, KpiRow, Period};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::ExitCode;
use store::problems::ProblemRow;

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// The supervision report (通报) of a period.
    Supervision(SupervisionArgs),
}

#[derive(Debug, Args)]
pub struct SupervisionArgs {
    /// A month (2022-05), an ISO week (2022-W18) or a quarter (2022Q2).
    #[arg(long)]
    pub period: String,
    /// `.xlsx` for a workbook, `.html` for a printable page.
    pub file: PathBuf,
    /// A department is named when its response, on-time closure or satisfaction rate is
    /// below this percentage.
    #[arg(long, default_value_t = 90)]
    pub threshold: u32,
    /// Judge lights at this time; default the end of the period or now, whichever is earlier.
    #[arg(long)]
    pub as_of: Option<String>,
}

/// The report's content.
pub struct Supervision {
    pub period: KpiReport,
    pub threshold: Decimal,
    /// Departments below the threshold: (row, the measures below it).
    pub below: Vec<(KpiRow, Vec<&'static str>)>,
    pub red: Vec<(ProblemRow, ProblemState)>,
    /// Answers given late in the period: (problem, answer at, due).
    pub late: Vec<(ProblemRow, DateTime<FixedOffset>, String)>,
    pub trend: Vec<KpiReport>,
}

fn previous(p: &Period) -> Option<Period> {
    let d = p.start - Duration::days(1);
    Some(kpi::period_of(p.kind, d))
}

fn pct(r: &kpi::Rate) -> Cell {
    r.percent.map_or(Cell::Empty, |p| Cell::Percent(p / Decimal::from(100)))
}

fn pct_text(r: &kpi::Rate) -> String {
    r.percent.map_or("—".into(), |p| format!("{p}%"))
}

pub async fn build(
    store: &dyn store::Store,
    period: &Period,
    as_of: DateTime<FixedOffset>,
    threshold: u32,
) -> anyhow::Result<Supervision> {
    let report = super::kpi::report(store, period, as_of).await?;
    let t = Decimal::from(threshold);
    let below = report
        .rows
        .iter()
        .filter(|r| r.department.is_some() && r.category.is_none())
        .filter_map(|r| {
            let mut m = Vec::new();
            for (name, rate) in [
                ("响应率", &r.response_rate),
                ("按时办结率", &r.on_time_closure_rate),
                ("满意率", &r.satisfaction_rate),
            ] {
                if rate.percent.is_some_and(|p| p < t) {
                    m.push(name);
                }
            }
            (!m.is_empty()).then(|| (r.clone(), m))
        })
        .collect();
    let all = load_all(store).await?;
    let red: Vec<(ProblemRow, ProblemState)> =
        all.iter().filter(|(_, s)| handling::warning(s, as_of) == Warning::Red).cloned().collect();
    let mut late = Vec::new();
    for (row, s) in &all {
        for a in s
            .answers
            .iter()
            .filter(|a| !a.on_time && period.contains(handling::china_date(a.at)) && a.at <= as_of)
        {
            late.push((row.clone(), a.at, a.due.to_string()));
        }
    }
    let mut trend = Vec::new();
    let mut p = Some(*period);
    for _ in 0..4 {
        let Some(cur) = p else { break };
        trend.push(super::kpi::report(store, &cur, as_of).await?);
        p = previous(&cur);
    }
    trend.reverse();
    Ok(Supervision { period: report, threshold: t, below, red, late, trend })
}

pub fn workbook(s: &Supervision, names: &Names) -> Workbook {
    let created = s.period.as_of.with_timezone(&store::china_offset()).naive_local();
    let mut wb = Workbook::new(format!("督查通报 {}", s.period.period), created);
    let mut k = Sheet::new(
        "部门考核",
        &[
            "部门",
            "收到",
            "响应率",
            "解决率",
            "满意率",
            "按时办结率",
            "平均答复工作日",
            "重办率",
            "退回率",
            "异议率",
            "黄灯",
            "红灯",
            "督办",
        ],
    );
    for r in s.period.rows.iter().filter(|r| r.category.is_none()) {
        k.push(vec![
            r.department.as_deref().map_or("全部".into(), |d| names.dept(d)).into(),
            Cell::Int(i64::from(r.counts.received)),
            pct(&r.response_rate),
            pct(&r.resolution_rate),
            pct(&r.satisfaction_rate),
            pct(&r.on_time_closure_rate),
            r.avg_workdays_to_answer.map_or(Cell::Empty, |m| Cell::Text(m.to_string())),
            pct(&r.reopen_rate),
            pct(&r.return_rate),
            pct(&r.objection_rate),
            Cell::Int(i64::from(r.counts.yellow_now)),
            Cell::Int(i64::from(r.counts.red_now)),
            Cell::Int(i64::from(r.counts.escalated)),
        ]);
    }
    let mut b = Sheet::new("低于阈值部门", &["部门", "低于阈值的指标", "响应率", "按时办结率", "满意率"]);
    for (r, m) in &s.below {
        b.push(vec![
            names.dept(r.department.as_deref().unwrap_or("")).into(),
            m.join("、").into(),
            pct(&r.response_rate),
            pct(&r.on_time_closure_rate),
            pct(&r.satisfaction_rate),
        ]);
    }
    let mut red =
        Sheet::new("红灯事项", &["编号", "企业名称", "类别", "牵头部门", "状态", "答复期限", "督办次数"]);
    for (row, st) in &s.red {
        red.push(vec![
            Cell::Int(row.id),
            row.enterprise_name.clone().into(),
            names.category(&st.problem.category).into(),
            names.dept(&st.lead).into(),
            handling::state_name(st.state, i18n::Lang::Zh).into(),
            handling::deadlines(st).answer_by.to_string().into(),
            Cell::Int(i64::from(st.escalations)),
        ]);
    }
    let mut late = Sheet::new("超期答复", &["编号", "企业名称", "牵头部门", "答复期限", "答复时间"]);
    for (row, at, due) in &s.late {
        late.push(vec![
            Cell::Int(row.id),
            row.enterprise_name.clone().into(),
            names.dept(&row.projection.lead_department).into(),
            due.clone().into(),
            local(*at),
        ]);
    }
    let mut trend = Sheet::new("趋势", &["考核期", "收到", "响应率", "解决率", "满意率", "按时办结率"]);
    for r in &s.trend {
        if let Some(o) = r.row(None, None) {
            trend.push(vec![
                r.period.clone().into(),
                Cell::Int(i64::from(o.counts.received)),
                pct(&o.response_rate),
                pct(&o.resolution_rate),
                pct(&o.satisfaction_rate),
                pct(&o.on_time_closure_rate),
            ]);
        }
    }
    wb.sheets = vec![k, b, red, late, trend];
    wb
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn html(s: &Supervision, names: &Names) -> String {
    let mut h = String::new();
    let p = &s.period;
    h.push_str(&format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>督查通报 {}</title>\n<style>\n\
         body{{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",sans-serif;margin:2em;color:#222}}\n\
         h1{{font-size:1.6em;text-align:center}} h2{{font-size:1.2em;border-bottom:2px solid #b22;margin-top:1.6em}}\n\
         table{{border-collapse:collapse;width:100%;font-size:.9em}} th,td{{border:1px solid #999;padding:.25em .5em}}\n\
         th{{background:#f2f2f2}} td.n{{text-align:right}} .red{{color:#b22;font-weight:bold}}\n\
         @media print{{body{{margin:0}} h2{{break-after:avoid}} tr{{break-inside:avoid}} thead{{display:table-header-group}} @page{{size:A4 landscape;margin:15mm}}}}\n\
         </style></head><body>\n",
        esc(&p.period)
    ));
    h.push_str(&format!(
        "<h1>企业帮扶专项工作督查通报（{}）</h1>\n<p>考核期 {} 至 {}，统计截至 {}。阈值 {}%。</p>\n",
        esc(&p.period),
        p.start,
        p.end,
        p.as_of.format("%Y-%m-%d %H:%M"),
        s.threshold
    ));
    let table = |h: &mut String, title: &str, heads: &[&str], rows: Vec<Vec<String>>| {
        h.push_str(&format!("<h2>{}</h2>\n", esc(title)));
        if rows.is_empty() {
            h.push_str("<p>无。</p>\n");
            return;
        }
        h.push_str("<table><thead><tr>");
        for x in heads {
            h.push_str(&format!("<th>{}</th>", esc(x)));
        }
        h.push_str("</tr></thead><tbody>\n");
        for r in rows {
            h.push_str("<tr>");
            for c in r {
                h.push_str(&format!("<td>{}</td>", esc(&c)));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
    };
    let dept = |r: &KpiRow| r.department.as_deref().map_or("全部".to_string(), |d| names.dept(d));
    table(
        &mut h,
        "一、低于阈值的部门",
        &["部门", "低于阈值的指标", "响应率", "按时办结率", "满意率"],
        s.below
            .iter()
            .map(|(r, m)| {
                vec![
                    dept(r),
                    m.join("、"),
                    pct_text(&r.response_rate),
                    pct_text(&r.on_time_closure_rate),
                    pct_text(&r.satisfaction_rate),
                ]
            })
            .collect(),
    );
    table(
        &mut h,
        "二、红灯事项（已超期未办结）",
        &["编号", "企业", "类别", "牵头部门", "状态", "答复期限"],
        s.red
            .iter()
            .map(|(row, st)| {
                vec![
                    row.id.to_string(),
                    row.enterprise_name.clone(),
                    names.category(&st.problem.category),
                    names.dept(&st.lead),
                    handling::state_name(st.state, i18n::Lang::Zh),
                    handling::deadlines(st).answer_by.to_string(),
                ]
            })
            .collect(),
    );
    table(
        &mut h,
        "三、本期超期答复",
        &["编号", "企业", "牵头部门", "答复期限", "答复时间"],
        s.late
            .iter()
            .map(|(row, at, due)| {
                vec![
                    row.id.to_string(),
                    row.enterprise_name.clone(),
                    names.dept(&row.projection.lead_department),
                    due.clone(),
                    at.format("%Y-%m-%d %H:%M").to_string(),
                ]
            })
            .collect(),
    );
    table(
        &mut h,
        "四、各部门考核指标",
        &["部门", "收到", "响应率", "解决率", "满意率", "按时办结率", "平均答复工作日", "红灯"],
        p.rows
            .iter()
            .filter(|r| r.category.is_none())
            .map(|r| {
                vec![
                    dept(r),
                    r.counts.received.to_string(),
                    pct_text(&r.response_rate),
                    pct_text(&r.resolution_rate),
                    pct_text(&r.satisfaction_rate),
                    pct_text(&r.on_time_closure_rate),
                    r.avg_workdays_to_answer.map_or("—".into(), |m| m.to_string()),
                    r.counts.red_now.to_string(),
                ]
            })
            .collect(),
    );
    table(
        &mut h,
        "五、趋势",
        &["考核期", "收到", "响应率", "解决率", "满意率", "按时办结率"],
        s.trend
            .iter()
            .filter_map(|r| {
                r.row(None, None).map(|o| {
                    vec![
                        r.period.clone(),
                        o.counts.received.to_string(),
                        pct_text(&o.response_rate),
                        pct_text(&o.resolution_rate),
                        pct_text(&o.satisfaction_rate),
                        pct_text(&o.on_time_closure_rate),
                    ]
                })
            })
            .collect(),
    );
    h.push_str(
        "<p class=\"red\">红灯：已超过答复期限；黄灯：已用去 80% 以上的办理时限。</p>\n</body></html>\n",
    );
    let _ = warning_zh;
    h
}

pub async fn run(cmd: ReportCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let ReportCmd::Supervision(a) = cmd;
    let period = Period::parse(&a.period).map_err(|e| user_error(&e))?;
    let as_of = match &a.as_of {
        Some(t) => super::problem::parse_time(t, "--as-of")?,
        None => {
            let end = store::problems::day_start(period.end + Duration::days(1)) - Duration::seconds(1);
            end.min(crate::db::now())
        }
    };
    let store = crate::db::open_ready(&ctx.database).await?;
    let s = build(store.as_ref(), &period, as_of, a.threshold).await?;
    let names = Names::load(store.as_ref()).await?;
    let ext = a.file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "xlsx" => workbook(&s, &names).to_bytes()?,
        "html" | "htm" => html(&s, &names).into_bytes(),
        _ => {
            return Err(anyhow::Error::new(super::UserError(format!(
                "文件 {} 的扩展名应为 .xlsx 或 .html / the file {} must end in .xlsx or .html",
                a.file.display(),
                a.file.display()
            ))));
        }
    };
    std::fs::write(&a.file, bytes).map_err(|e| {
        anyhow::anyhow!("写入 {} 失败 / writing {} failed: {e}", a.file.display(), a.file.display())
    })?;
    println!(
        "督查通报已生成 / supervision report written: {} (低于阈值部门 {}, 红灯 {}, 超期答复 {})",
        a.file.display(),
        s.below.len(),
        s.red.len(),
        s.late.len()
    );
    Ok(ExitCode::SUCCESS)
}
