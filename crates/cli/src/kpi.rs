//! `huiqi kpi --period 2022-05 [--json] [--as-of T]`: the KPIs of the three lists per
//! department and category (definitions in docs/KPI.md), from the use case `app::kpis`.

use super::{app_error, user_error};
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct KpiArgs {
    /// A month (2022-05), an ISO week (2022-W18) or a quarter (2022Q2).
    #[arg(long)]
    pub period: String,
    /// Judge pending items (lights, overdue acceptance) at this time; default now.
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn pct(r: &kpi::Rate) -> String {
    r.percent.map_or("—".to_string(), |p| format!("{p}%"))
}

pub async fn run(a: KpiArgs, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let period = kpi::Period::parse(&a.period).map_err(|e| user_error(&e))?;
    let as_of = a.as_of.as_deref().map(|t| super::problem::parse_time(t, "--as-of")).transpose()?;
    let app = super::open_app(ctx).await?;
    let req = app::kpis::KpiRequest { period: Some(period), as_of };
    let k = app::kpis::kpis(&app, &app::Principal::operator("cli"), req).await.map_err(app_error)?;
    let (r, names) = (k.report, k.department_names);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "考核期 / period {} ({} – {}), as of {}",
        r.period,
        r.start,
        r.end,
        r.as_of.format("%Y-%m-%d %H:%M")
    );
    println!(
        "{:<14}\t收到\t响应率\t解决率\t满意率\t按时办结率\t平均答复工作日\t重办率\t退回率\t异议率\t红灯",
        "部门 department"
    );
    for row in r.rows.iter().filter(|r| r.category.is_none()) {
        let d = row
            .department
            .as_deref()
            .map_or("全部 all".to_string(), |d| names.get(d).cloned().unwrap_or(d.to_string()));
        println!(
            "{d:<14}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.counts.received,
            pct(&row.response_rate),
            pct(&row.resolution_rate),
            pct(&row.satisfaction_rate),
            pct(&row.on_time_closure_rate),
            row.avg_workdays_to_answer.map_or("—".into(), |m| m.to_string()),
            pct(&row.reopen_rate),
            pct(&row.return_rate),
            pct(&row.objection_rate),
            row.counts.red_now
        );
    }
    println!(
        "自助解决（企业选择“已解决”，未提诉求，不计入上表）/ answered without a problem: {}",
        app::kpis::self_service_text(&r.self_service)
    );
    Ok(ExitCode::SUCCESS)
}
