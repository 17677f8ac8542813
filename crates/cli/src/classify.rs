//! `huiqi classify`: the enterprise size class under the size standard in force.

use super::{UserError, user_error};
use clap::Args;
use enterprise::{Indicators, IndustryCode, SizeOutcome, SizeStandards};
use rust_decimal::Decimal;
use std::process::ExitCode;
use std::str::FromStr;

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// GB/T 4754-2017 industry code, e.g. C3511, 65 or K7010.
    #[arg(long)]
    pub industry: String,
    /// 从业人员 (persons).
    #[arg(long, allow_negative_numbers = true)]
    pub employees: Option<String>,
    /// 营业收入, in yuan.
    #[arg(long, allow_negative_numbers = true)]
    pub revenue: Option<String>,
    /// 资产总额, in yuan.
    #[arg(long, allow_negative_numbers = true)]
    pub assets: Option<String>,
    /// Standard in force on this date (default: the newest).
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn money(flag: &str, v: &Option<String>) -> anyhow::Result<Option<Decimal>> {
    v.as_deref()
        .map(|s| {
            Decimal::from_str(s.trim()).ok().filter(|d| !d.is_sign_negative()).ok_or_else(|| {
                anyhow::Error::new(UserError(format!(
                    "--{flag} 的值“{s}”不是有效金额（元，非负小数） / the value '{s}' of --{flag} is not an amount in yuan (a non-negative decimal)"
                )))
            })
        })
        .transpose()
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let industry = IndustryCode::parse(&args.industry).map_err(|e| user_error(&e))?;
    let employees = args
        .employees
        .as_deref()
        .map(|s| {
            s.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                anyhow::Error::new(UserError(format!(
                    "--employees 的值“{s}”不是非负整数 / the value '{s}' of --employees is not a non-negative whole number"
                )))
            })
        })
        .transpose()?;
    let x = Indicators {
        employees,
        revenue: money("revenue", &args.revenue)?,
        assets: money("assets", &args.assets)?,
    };
    let standards = SizeStandards::official();
    let standard = match &args.date {
        Some(d) => {
            let date = calendar::parse_date(d).map_err(|e| user_error(&e))?;
            standards.in_force(date).ok_or_else(|| {
                anyhow::Error::new(UserError(format!(
                    "{d} 时尚无有效的中小企业划型标准 / no size standard was in force on {d}"
                )))
            })?
        }
        None => standards.latest().ok_or_else(|| anyhow::anyhow!("no size standard"))?,
    };
    let c = standard.classify(&industry, &x);
    if args.json {
        let missing: Vec<&str> = match &c.outcome {
            SizeOutcome::Undetermined { missing, .. } => missing.iter().map(|m| m.as_str()).collect(),
            SizeOutcome::Decided { .. } => vec![],
        };
        let out = serde_json::json!({
            "class": c.outcome.as_str(),
            "missing": missing,
            "industry_unclear": matches!(c.outcome, SizeOutcome::Undetermined { industry_unclear: true, .. }),
            "row": c.row,
            "row_industry": c.row_industry,
            "standard": c.standard,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}", c.outcome.as_str());
        if let SizeOutcome::Undetermined { missing, industry_unclear } = &c.outcome {
            if *industry_unclear {
                eprintln!(
                    "行业代码 {industry} 不足以确定划型标准的行业，请给出大类或小类代码 / the industry code {industry} is too coarse to pick the standard's row; give the division or class"
                );
            }
            for m in missing {
                eprintln!(
                    "缺少指标：{}（--{}） / missing indicator: --{}",
                    m.label_zh(),
                    m.as_str(),
                    m.as_str()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
