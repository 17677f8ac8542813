//! `huiqi event …`: events (活动, issue 15) from the command line. Each command maps its
//! arguments to a use case of `app::events` and prints the result (text, or `--json`); what
//! is decided and who may do it is the use case's. The command line acts as the operator
//! named by `--as USER` (an administrator).

use crate::{Context, app_error, open_app};
use app::events::{self as uc, PublishRequest, When};
use clap::Subcommand;
use enterprise::UnifiedCreditCode;
use std::process::ExitCode;

// Parsed once per process: the size of the publish variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum EventCmd {
    /// Publishes an event (kind: policy_briefing, bank_enterprise, job_fair, trade_fair, salon,
    /// training, assistance_month, or its Chinese name).
    Publish {
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Organising department (code or name).
        #[arg(long)]
        department: String,
        #[arg(long, default_value = "")]
        place: String,
        #[arg(long, default_value = "")]
        link: String,
        /// `2026-12-10 09:00` (China time).
        #[arg(long)]
        starts: String,
        #[arg(long)]
        ends: String,
        /// Registration closes (default: the start).
        #[arg(long)]
        closes: Option<String>,
        #[arg(long)]
        capacity: u32,
        /// Attendees per enterprise at most (default 3).
        #[arg(long = "per-enterprise")]
        per_enterprise: Option<u32>,
        /// Audience: an industry code prefix (repeatable).
        #[arg(long = "industry")]
        industries: Vec<String>,
        /// Audience: a size class (repeatable).
        #[arg(long = "size")]
        sizes: Vec<String>,
        /// Audience: an enterprise tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// A job fair's positions offered.
        #[arg(long)]
        positions: Option<u32>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Events not yet ended (or --past, --all) with their seats and counts.
    List {
        #[arg(long, conflicts_with = "all")]
        past: bool,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// One event with its roster.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Registers an enterprise (seats in order, then the waiting list).
    Register {
        id: i64,
        #[arg(long)]
        uscc: String,
        #[arg(long, default_value_t = 1)]
        attendees: u32,
        /// Who comes (names).
        #[arg(long, default_value = "")]
        names: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Cancels an enterprise's registration (freed seats go to the waiting list in order).
    Unregister {
        id: i64,
        #[arg(long)]
        uscc: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Checks an enterprise in (from two hours before the start to the end).
    CheckIn {
        id: i64,
        #[arg(long)]
        uscc: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// After the end: the unchecked become no-shows.
    Close {
        id: i64,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Changes the seats (a rise moves the waiting list up).
    Capacity {
        id: i64,
        capacity: u32,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Cancels the event, with the reason.
    Cancel {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// The attendance workbook (events, registrations, per department).
    Export {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, conflicts_with = "all")]
        past: bool,
        #[arg(long)]
        all: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// What each line of the plan reached with events in a month (YYYY-MM).
    Reach {
        #[arg(long)]
        month: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

fn json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn uscc(s: &str) -> anyhow::Result<UnifiedCreditCode> {
    UnifiedCreditCode::parse(s.trim()).map_err(|e| {
        anyhow::anyhow!(
            "统一社会信用代码 {s} 有误 / credit code {s} is wrong: {}",
            i18n::Localized::bilingual(&e)
        )
    })
}

fn when(past: bool, all: bool) -> When {
    if all {
        When::All
    } else if past {
        When::Past
    } else {
        When::Upcoming
    }
}

fn print_outcome(o: &uc::RosterOutcome) {
    for c in &o.changes {
        outln!(
            "企业 #{}: {} → {} / {} → {}",
            c.enterprise_id,
            c.from.map_or("—", |s| s.label_zh()),
            c.to.label_zh(),
            c.from.map_or("-", |s| s.as_str()),
            c.to.as_str()
        );
    }
    outln!("剩余名额 {} / seats free {}", o.seats_free, o.seats_free);
}

pub async fn run(cmd: EventCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    match cmd {
        EventCmd::Publish {
            kind,
            title,
            description,
            department,
            place,
            link,
            starts,
            ends,
            closes,
            capacity,
            per_enterprise,
            industries,
            sizes,
            tags,
            positions,
            json: as_json,
            actor,
        } => {
            let req = PublishRequest {
                kind,
                title,
                description,
                department: Some(department),
                place,
                link,
                starts_at: starts,
                ends_at: ends,
                registration_closes_at: closes,
                capacity,
                max_per_enterprise: per_enterprise,
                industries,
                sizes,
                tags,
                positions_offered: positions,
            };
            let e = uc::publish(&app, &who(&actor), &req).await.map_err(app_error)?;
            if as_json {
                json(&e)?;
            } else {
                outln!("已发布活动 {} / published event {}: {}", e.id, e.id, e.event.title);
            }
        }
        EventCmd::List { past, all, json: as_json, actor } => {
            let list = uc::list(&app, &who(&actor), when(past, all)).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                for v in &list {
                    let e = &v.summary.record;
                    outln!(
                        "{}\t{}\t{}\t{}\t{}\t名额 {}/{}\t候补 {}{}",
                        e.id,
                        e.event.starts_at.format("%Y-%m-%d %H:%M"),
                        v.kind_zh,
                        e.event.title,
                        v.department_name,
                        v.summary.seats_taken,
                        e.event.capacity,
                        v.summary.waiting,
                        if e.cancelled { "\t已取消" } else { "" }
                    );
                }
            }
        }
        EventCmd::Show { id, json: as_json, actor } => {
            let d = uc::show(&app, &who(&actor), id).await.map_err(app_error)?;
            if as_json {
                json(&d)?;
            } else {
                let e = &d.view.summary.record;
                outln!("{} {}（{}，{}）", e.id, e.event.title, d.view.kind_zh, d.view.department_name);
                outln!(
                    "{} — {}  {}{}",
                    e.event.starts_at.format("%Y-%m-%d %H:%M"),
                    e.event.ends_at.format("%H:%M"),
                    e.event.place,
                    e.event.link
                );
                for r in &d.roster {
                    outln!(
                        "{}\t{}\t{}\t{} 人\t{}",
                        r.seq,
                        r.uscc,
                        r.enterprise_name,
                        r.attendees,
                        r.state.label_zh()
                    );
                }
            }
        }
        EventCmd::Register { id, uscc: code, attendees, names, actor } => {
            let o = uc::register(&app, &who(&actor), id, &uscc(&code)?, attendees, &names)
                .await
                .map_err(app_error)?;
            print_outcome(&o);
        }
        EventCmd::Unregister { id, uscc: code, actor } => {
            let o = uc::cancel(&app, &who(&actor), id, &uscc(&code)?).await.map_err(app_error)?;
            print_outcome(&o);
        }
        EventCmd::CheckIn { id, uscc: code, actor } => {
            let o = uc::check_in(&app, &who(&actor), id, &uscc(&code)?).await.map_err(app_error)?;
            print_outcome(&o);
        }
        EventCmd::Close { id, actor } => {
            let o = uc::close(&app, &who(&actor), id).await.map_err(app_error)?;
            print_outcome(&o);
        }
        EventCmd::Capacity { id, capacity, actor } => {
            let o = uc::set_capacity(&app, &who(&actor), id, capacity).await.map_err(app_error)?;
            print_outcome(&o);
        }
        EventCmd::Cancel { id, reason, actor } => {
            let e = uc::cancel_event(&app, &who(&actor), id, &reason).await.map_err(app_error)?;
            outln!("已取消活动 {} / cancelled event {}: {}", e.id, e.id, e.cancel_reason);
        }
        EventCmd::Export { out, past, all, actor } => {
            let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext != "xlsx" {
                anyhow::bail!(
                    "输出文件应以 .xlsx 结尾 / the output file must end in .xlsx: {}",
                    out.display()
                );
            }
            let bytes =
                uc::attendance_workbook(&app, &who(&actor), when(past, all)).await.map_err(app_error)?;
            std::fs::write(&out, bytes).map_err(|e| {
                anyhow::anyhow!("无法写入 {} / cannot write {}: {e}", out.display(), out.display())
            })?;
            outln!("已写入 {} / wrote {}", out.display(), out.display());
        }
        EventCmd::Reach { month, json: as_json, actor } => {
            let day = chrono::NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
                .map_err(|_| {
                    anyhow::anyhow!(
                        "月份 {month} 有误，应为 2026-12 / the month {month} is wrong: e.g. 2026-12"
                    )
                })?;
            let r = uc::reach(&app, &who(&actor), day).await.map_err(app_error)?;
            if as_json {
                json(&r)?;
            } else {
                for x in &r {
                    outln!(
                        "{}\t{}\t活动 {}\t报名企业 {}\t到场企业 {}",
                        x.clause,
                        x.kind_zh,
                        x.events,
                        x.registered,
                        x.came
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
