//! `huiqi visit coverage`: each cadre's enterprises (by the three links) not visited in the
//! last N days (走访覆盖), for the supervisors' weekly check.

use super::{Context, UserError};
use clap::Subcommand;
use std::process::ExitCode;
use store::problems::VisitFilter;
use store::{EnterpriseFilter, Page};

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
    let today = match as_of {
        Some(d) => calendar::parse_date(&d)
            .map_err(|e| anyhow::Error::new(UserError(i18n::Localized::bilingual(&e))))?,
        None => store::model::china_date(crate::db::now()),
    };
    let store = crate::db::open_ready(&ctx.database).await?;
    // The cadre of every enterprise, from its three links.
    let mut assignments = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    let mut offset = 0;
    loop {
        let (page, _) =
            store.list_enterprises(&EnterpriseFilter::default(), Page::new(offset, Page::MAX_LIMIT)).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        for e in page {
            let Some(view) = store.get_enterprise(&e.uscc).await? else { continue };
            if let Some(c) = view.links.cadre
                && cadre.as_ref().is_none_or(|want| want == &c)
            {
                names.insert(e.uscc.clone(), e.name.clone());
                assignments.push((c, e.uscc));
            }
        }
    }
    let visits: Vec<handling::Visit> =
        store.list_visits(&VisitFilter::default()).await?.into_iter().map(|v| v.visit).collect();
    let report = handling::coverage(&assignments, &visits, today, days);
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
    for c in &report {
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
