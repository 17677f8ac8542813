//! `huiqi visit coverage`: each cadre's enterprises (by the three links) not visited in the
//! last N days (走访覆盖), for the supervisors' weekly check (`app::problems::coverage`).

use super::{Context, UserError};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum VisitCmd {
    /// Lists, per cadre, the linked enterprises with no visit in the last DAYS days.
    Coverage {
        /// The window in calendar days.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Judge on this date (YYYY-MM-DD; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Only this cadre.
        #[arg(long)]
        cadre: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: VisitCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let VisitCmd::Coverage { days, as_of, cadre, json } = cmd;
    let as_of = match as_of {
        Some(d) => Some(
            calendar::parse_date(&d)
                .map_err(|e| anyhow::Error::new(UserError(i18n::Localized::bilingual(&e))))?,
        ),
        None => None,
    };
    let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
    let coverage =
        app::problems::coverage(&app, app::problems::Reader::Operator, days, as_of, cadre.as_deref())
            .await
            .map_err(|e| super::user_error(&e))?;
    let (today, report, names) = (coverage.as_of, &coverage.cadres, &coverage.names);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "as_of": today.to_string(),
                "days": days,
                "cadres": report,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "走访覆盖 / visit coverage: {today} 前 {days} 天内未走访的企业 / enterprises not visited in the {days} days to {today}"
    );
    for c in report {
        println!("{}\t{} / {} 家未走访 / not visited", c.cadre, c.not_visited.len(), c.enterprises);
        for u in &c.not_visited {
            let last = u.last_visit.map(|d| d.to_string()).unwrap_or_else(|| "从未走访 / never".into());
            println!(
                "  {}\t{}\t{last}",
                u.enterprise,
                names.get(&u.enterprise).map(String::as_str).unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
