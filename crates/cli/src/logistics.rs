//! `huiqi logistics …`: the logistics watch (物流保通保畅, 三.12, issue 15) from the command
//! line: key enterprises' logistics profiles recorded, listed, imported and exported, and the
//! open obstruction reports with their hours. Each command maps its arguments to a use case of
//! `app::logistics`. The command line acts as the operator named by `--as USER` (an
//! administrator).

use crate::plans::{json, write_xlsx};
use crate::{Context, app_error, open_app};
use app::logistics::{self as uc, ListQuery, ProfileRequest};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum LogisticsCmd {
    /// Key enterprises' logistics profiles (主要物流方式).
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// The open obstruction reports (物流受阻), the nearest deadline first, with the time left.
    Reports {
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Records (or replaces) an enterprise's profile.
    Set {
        #[arg(long)]
        uscc: String,
        /// road, rail, water, air, express (or 公路, 铁路, 水运, 航空, 快递).
        #[arg(long)]
        main_mode: String,
        /// Other modes, separated by commas.
        #[arg(long, default_value = "")]
        other_modes: String,
        /// Main routes, ports, stations (≤ 500 characters).
        #[arg(long, default_value = "")]
        routes: String,
        /// The watcher's username (物流联络员).
        #[arg(long, default_value = "")]
        watcher: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Profiles by enterprise name; with `--missing`, the key enterprises without one.
    List {
        /// One main mode.
        #[arg(long)]
        mode: Option<String>,
        /// One street (街道).
        #[arg(long)]
        street: Option<String>,
        /// Key enterprises (重点企业) only.
        #[arg(long)]
        key_only: bool,
        /// The key enterprises without a profile instead.
        #[arg(long)]
        missing: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Imports a profiles file (CSV or XLSX: 统一社会信用代码, 主要物流方式, 其他物流方式, 主要线路,
    /// 物流联络员), all or nothing; a column left out, or an empty cell, keeps what is recorded.
    Import {
        file: PathBuf,
        /// Check and report only; nothing is written.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Writes the workbook (物流保通保畅台账): the profiles and this month's obstruction reports.
    Export {
        #[arg(long)]
        out: PathBuf,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

fn print(v: &uc::ProfileView) {
    let l = &v.record.logistics;
    outln!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
        v.record.uscc,
        v.record.enterprise_name,
        if v.key { "重点企业" } else { "" },
        v.main_mode_zh,
        v.other_modes_zh,
        l.routes.replace('\n', " "),
        if v.watcher_name.is_empty() { l.watcher.clone() } else { v.watcher_name.clone() }
    );
}

pub async fn run(cmd: LogisticsCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    match cmd {
        LogisticsCmd::Reports { json: as_json, actor } => {
            let list = uc::open_reports(&app, &who(&actor)).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                for r in &list {
                    outln!(
                        "{}\t{}\t{}\t{}\t{} {}\t{}",
                        r.id,
                        r.enterprise_name,
                        r.title,
                        r.state_zh,
                        if r.clock == "accept" { "受理期限" } else { "答复期限" },
                        i18n::dates::time_table(r.due),
                        uc::minutes_zh(r.minutes_left)
                    );
                }
            }
        }
        LogisticsCmd::Profile(ProfileCmd::Set {
            uscc,
            main_mode,
            other_modes,
            routes,
            watcher,
            json: as_json,
            actor,
        }) => {
            let req = ProfileRequest { uscc, main_mode, other_modes, routes, watcher };
            let v = uc::save_profile(&app, &who(&actor), &req).await.map_err(app_error)?;
            if as_json {
                json(&v)?;
            } else {
                print(&v);
            }
        }
        LogisticsCmd::Profile(ProfileCmd::List { mode, street, key_only, missing, json: as_json, actor }) => {
            if missing {
                let list =
                    uc::without_profile(&app, &who(&actor), street.as_deref()).await.map_err(app_error)?;
                if as_json {
                    json(&list)?;
                } else {
                    for f in &list {
                        outln!("{}\t{}\t{}", f.uscc, f.name, f.street.as_deref().unwrap_or(""));
                    }
                }
            } else {
                let q = ListQuery { mode, street, key_only: key_only.then_some(true) };
                let list = uc::list(&app, &who(&actor), &q).await.map_err(app_error)?;
                if as_json {
                    json(&list)?;
                } else {
                    list.iter().for_each(print);
                }
            }
        }
        LogisticsCmd::Profile(ProfileCmd::Import { file, dry_run, json: as_json, actor }) => {
            let req = crate::utilities::upload(&file, dry_run)?;
            let report = match uc::import(&app, &who(&actor), &req).await {
                Ok(r) => r,
                Err(app::Error::LogisticsFile { problems, more }) => {
                    return crate::utilities::refused(&problems, more, as_json);
                }
                Err(e) => return Err(app_error(e)),
            };
            if as_json {
                json(&report)?;
            } else {
                crate::utilities::summary(
                    report.dry_run,
                    report.rows,
                    report.inserted,
                    report.updated,
                    report.unchanged,
                );
                for c in report.rows_changed.iter().filter(|c| c.action == "update") {
                    for (field, old, new) in &c.changes {
                        outln!("  第 {} 行 {} {}: {field} {old} → {new}", c.line, c.uscc, c.enterprise_name);
                    }
                }
            }
        }
        LogisticsCmd::Profile(ProfileCmd::Export { out, actor }) => {
            let bytes = uc::workbook(&app, &who(&actor)).await.map_err(app_error)?;
            write_xlsx(&out, bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
