//! `huiqi calendar …`: the working-day calendar for scripts.

use super::user_error;
use calendar::{CalendarError, WorkCalendar, parse_date};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// Prints the N-th working day strictly after DATE (N ≥ 1), as YYYY-MM-DD.
    AddWorkdays { date: String, n: String },
    /// Prints `true` or `false`.
    IsWorkday { date: String },
    /// Prints how many working days lie in (FROM, TO].
    WorkdaysBetween { from: String, to: String },
}

pub fn run(cmd: CalendarCmd) -> anyhow::Result<ExitCode> {
    let cal = WorkCalendar::official();
    let date = |s: &str| parse_date(s).map_err(|e| user_error(&e));
    match cmd {
        CalendarCmd::AddWorkdays { date: d, n } => {
            let n: u32 = match n.trim().parse::<i64>() {
                Ok(v) if (1..=i64::from(u32::MAX)).contains(&v) => v as u32,
                Ok(v) => return Err(user_error(&CalendarError::BadCount { n: v })),
                Err(_) => return Err(user_error(&CalendarError::BadCount { n: -1 })),
            };
            let out = cal.add_workdays(date(&d)?, n).map_err(|e| user_error(&e))?;
            println!("{}", out.format("%Y-%m-%d"));
        }
        CalendarCmd::IsWorkday { date: d } => {
            println!("{}", cal.is_workday(date(&d)?).map_err(|e| user_error(&e))?);
        }
        CalendarCmd::WorkdaysBetween { from, to } => {
            println!("{}", cal.workdays_between(date(&from)?, date(&to)?).map_err(|e| user_error(&e))?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
