//! `huiqi calendar …`: the working-day calendar for scripts and admins. The answers
//! (`add-workdays`, `is-workday`, `workdays-between`) are the zone's calendar: the database's
//! loaded years when the database exists (a missing SQLite file is not created for a
//! question), else the embedded notices with later years provisional. `--json` on every
//! command; a provisional answer says `"provisional": true`. `years` lists each year's
//! status; `load FILE` loads a year's notice (and moves open problems' deadlines); `recompute`
//! runs that step again. Every use case is `app::calendar`'s.

use super::{Context, UserError, app_error, user_error};
use app::calendar as uc;
use calendar::{CalendarError, Calendars, parse_date};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// Prints the N-th working day strictly after DATE (N ≥ 1), as YYYY-MM-DD.
    AddWorkdays {
        date: String,
        n: String,
        /// Print JSON: date, n, result, provisional, provisional_years.
        #[arg(long)]
        json: bool,
    },
    /// Prints `true` or `false`.
    IsWorkday {
        date: String,
        /// Print JSON: date, workday, kind, festival, provisional, provisional_years.
        #[arg(long)]
        json: bool,
    },
    /// Prints how many working days lie in (FROM, TO].
    WorkdaysBetween {
        from: String,
        to: String,
        /// Print JSON: from, to, workdays, provisional, provisional_years.
        #[arg(long)]
        json: bool,
    },
    /// Lists each year's status: official (loaded, with its notice), embedded (shipped) or
    /// provisional (computed by the national holiday rules).
    Years {
        /// Every year through 2100, not just through next year.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Loads a year's holidays and make-up working days from the State Council's notice (a
    /// CSV file date,kind,festival as crates/calendar/data/holidays/YYYY.csv, naming the
    /// notice in a `# 来源 / source:` line or with --notice), then moves the deadlines of open
    /// problems that depend on it (each change an audited event).
    Load {
        file: String,
        /// The notice's title and number, if the file does not name it.
        #[arg(long)]
        notice: Option<String>,
        /// The year, if the dates are not to decide it.
        #[arg(long)]
        year: Option<i32>,
        /// Who loads it (an admin user); without it, the database's operator.
        #[arg(long = "as")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Lays the deadlines of open problems on the calendar in force again (what `load` does
    /// after storing the year; run it if a load was cut off).
    Recompute {
        #[arg(long = "as")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// The zone's calendars: the database's when it exists, else the standard ones (a question
/// never creates a database).
async fn zone_calendars(ctx: &Context) -> anyhow::Result<std::sync::Arc<Calendars>> {
    let exists = crate::db::is_postgres(&ctx.database)
        || std::path::Path::new(crate::db::sqlite_path(&ctx.database)).exists();
    if !exists {
        return Ok(std::sync::Arc::new(Calendars::standard()));
    }
    let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
    uc::calendars(&app).await.map_err(app_error)
}

fn json_out<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn provisional_note(years: &[i32]) {
    if !years.is_empty() {
        let ys: Vec<String> = years.iter().map(ToString::to_string).collect();
        eprintln!(
            "注意 / note: {} 年尚无国务院办公厅通知，按放假办法暂定推算 / no notice loaded for {}: provisional",
            ys.join("、"),
            ys.join(", ")
        );
    }
}

pub async fn run(cmd: CalendarCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let date = |s: &str| parse_date(s).map_err(|e| user_error(&e));
    match cmd {
        CalendarCmd::AddWorkdays { date: d, n, json } => {
            let n: u32 = match n.trim().parse::<i64>() {
                Ok(v) if (1..=i64::from(u32::MAX)).contains(&v) => v as u32,
                Ok(v) => return Err(user_error(&CalendarError::BadCount { n: v })),
                Err(_) => return Err(user_error(&CalendarError::BadCount { n: -1 })),
            };
            let d = date(&d)?;
            let cals = zone_calendars(ctx).await?;
            let a = uc::add_workdays_on(cals.current(), d, n).map_err(app_error)?;
            if json {
                json_out(&a)?;
            } else {
                outln!("{}", a.result.format("%Y-%m-%d"));
                provisional_note(&a.provisional_years);
            }
        }
        CalendarCmd::IsWorkday { date: d, json } => {
            let d = date(&d)?;
            let cals = zone_calendars(ctx).await?;
            let a = uc::is_workday_on(cals.current(), d).map_err(app_error)?;
            if json {
                json_out(&a)?;
            } else {
                outln!("{}", a.workday);
                provisional_note(&a.provisional_years);
            }
        }
        CalendarCmd::WorkdaysBetween { from, to, json } => {
            let (from, to) = (date(&from)?, date(&to)?);
            let cals = zone_calendars(ctx).await?;
            let a = uc::workdays_between_on(cals.current(), from, to).map_err(app_error)?;
            if json {
                json_out(&a)?;
            } else {
                outln!("{}", a.workdays);
                provisional_note(&a.provisional_years);
            }
        }
        CalendarCmd::Years { all, json } => {
            let cals = zone_calendars(ctx).await?;
            let v = uc::years_on(&cals, store::model::china_date(crate::db::now()), all);
            if json {
                json_out(&v)?;
            } else {
                print_years(&v);
            }
        }
        CalendarCmd::Load { file, notice, year, as_user, json } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                anyhow::Error::new(UserError(format!(
                    "无法读取日历文件 {file}：{e}；请检查路径，文件须为 UTF-8 编码的 CSV / \
                     cannot read the calendar file {file}: {e}; check the path (a UTF-8 CSV file)"
                )))
            })?;
            let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
            let who = operator(&app, as_user.as_deref()).await?;
            let out =
                uc::load(&app, &who, uc::LoadRequest { text, year, notice }).await.map_err(app_error)?;
            if json {
                json_out(&out)?;
            } else {
                outln!(
                    "已导入 {} 年安排（{}）：放假 {} 天，调休上班 {} 天 / loaded {} ({}): {} days off, {} make-up working days",
                    out.year,
                    out.notice,
                    out.holidays,
                    out.makeup_workdays,
                    out.year,
                    out.notice,
                    out.holidays,
                    out.makeup_workdays
                );
                print_recomputed(&out.recomputed);
            }
        }
        CalendarCmd::Recompute { as_user, json } => {
            let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
            let who = operator(&app, as_user.as_deref()).await?;
            let out = uc::recompute(&app, &who).await.map_err(app_error)?;
            if json {
                json_out(&out)?;
            } else {
                print_recomputed(&out);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--as USER` (a stored active user), else the database's operator (an administrator).
async fn operator(app: &app::App, as_user: Option<&str>) -> anyhow::Result<app::Principal> {
    match as_user {
        Some(u) => app.principal(u).await.map_err(app_error),
        None => Ok(app::Principal::operator("cli")),
    }
}

fn print_years(v: &uc::YearsView) {
    for y in &v.years {
        let loaded = match (&y.loaded_at, &y.loaded_by) {
            (Some(at), Some(by)) => format!("  {} {}", at.format("%Y-%m-%d %H:%M"), by),
            _ => String::new(),
        };
        outln!("{}\t{}\t{}\t{}{}", y.year, y.status.as_str(), y.status.label_zh(), y.notice, loaded);
    }
    if let Some(last) = v.years.last()
        && last.year < v.provisional_through
    {
        outln!(
            "{}–{}\tprovisional\t暂定（按放假办法推算）/ provisional (--all lists them)",
            last.year + 1,
            v.provisional_through
        );
    }
    if let Some(w) = &v.warning {
        eprintln!("警告 / warning: {} / {}", w.text(i18n::Lang::Zh), w.text(i18n::Lang::En));
    }
}

fn print_recomputed(r: &uc::Recomputed) {
    outln!(
        "检查未办结问题 {} 件，期限调整 {} 件 / {} open problems checked, deadlines moved on {}",
        r.problems_checked,
        r.moved.len(),
        r.problems_checked,
        r.moved.len()
    );
    for m in &r.moved {
        let changes: Vec<String> =
            m.changes.iter().map(|c| format!("{} {} → {}", c.deadline.as_str(), c.from, c.to)).collect();
        outln!("  问题 / problem {} ({}): {}", m.problem_id, m.lead_department, changes.join("; "));
    }
    for (id, why) in &r.failed {
        eprintln!("  问题 / problem {id}: 未能重算 / not recomputed: {why}");
    }
}
