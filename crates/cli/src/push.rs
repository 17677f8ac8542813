//! `huiqi inbox …`, `huiqi outbox …`, `huiqi channel …`: push (推送, issue 12) at the command
//! line. `inbox generate` makes the inboxes of new match runs now (what the job `inbox` does),
//! `inbox show USCC` prints an enterprise's messages; `outbox list` shows deliveries per
//! channel and state with the recent failures, `outbox retry ID` makes a dead delivery pending
//! again (audited); `channel add|list|contact` sets the channels (webhook, SMS or WeChat
//! gateway) and how an enterprise is reached on the gateways. The use cases are `app::inbox`
//! and `app::push`; the commands act as the database's operator, named by `--as`.

use super::{Context, app_error};
use app::push::ChannelRequest;
use clap::Subcommand;
use enterprise::UnifiedCreditCode;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum InboxCmd {
    /// Generates the inboxes of the match runs that have none yet (resuming one cut off).
    Generate {
        #[arg(long)]
        json: bool,
    },
    /// Prints an enterprise's inbox, newest first.
    Show {
        uscc: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCmd {
    /// Deliveries per channel and state, then the dead and the failing ones with their errors.
    List {
        /// How many dead and failing deliveries to list.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Makes a dead delivery pending again, due now (audited).
    Retry {
        id: i64,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChannelCmd {
    /// Adds a channel, or changes the one of that name (audited; the secret never printed).
    Add {
        /// Letters, digits, - and _.
        name: String,
        /// `webhook`, `sms` (an SMS gateway) or `wechat` (a WeChat gateway).
        #[arg(long)]
        kind: String,
        /// http://host[:port]/path
        #[arg(long)]
        url: String,
        /// The HMAC-SHA256 signing key, at least 16 characters (or `HUIQI_CHANNEL_SECRET`).
        #[arg(long, env = "HUIQI_CHANNEL_SECRET", hide_env_values = true)]
        secret: String,
        /// Saves it switched off.
        #[arg(long)]
        disabled: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Lists the channels (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Sets how an enterprise is reached on the gateways: both at once (one not given is
    /// removed).
    Contact {
        uscc: String,
        /// An 11-digit mobile number (the SMS gateway).
        #[arg(long)]
        phone: Option<String>,
        /// A WeChat openid (the WeChat gateway).
        #[arg(long)]
        openid: Option<String>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

fn uscc(s: &str) -> anyhow::Result<UnifiedCreditCode> {
    UnifiedCreditCode::parse(s.trim()).map_err(|e| super::user_error(&e))
}

pub async fn run_inbox(cmd: InboxCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = super::open_app(ctx).await?;
    match cmd {
        InboxCmd::Generate { json } => {
            let done = app::inbox::generate(&app).await.map_err(app_error)?;
            if json {
                let v: Vec<_> = done
                    .iter()
                    .map(|g| {
                        serde_json::json!({
                            "run": g.run_id,
                            "previous_run": g.previous_run,
                            "enterprises": g.enterprises,
                            "newly_eligible": g.newly_eligible,
                            "almost_eligible": g.almost_eligible,
                        })
                    })
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&v)?);
            } else if done.is_empty() {
                outln!("没有待生成的收件箱 / no inbox to generate");
            }
            for g in done.iter().filter(|_| !json) {
                outln!(
                    "匹配批次 {}（对比 {}）：{} 家企业，新符合 {} 条，差一项 {} 条 / run {} (against {}): {} \
                     enterprises, newly eligible {}, almost eligible {}",
                    g.run_id,
                    g.previous_run.map_or("—".into(), |p| p.to_string()),
                    g.enterprises,
                    g.newly_eligible,
                    g.almost_eligible,
                    g.run_id,
                    g.previous_run.map_or("none".into(), |p| p.to_string()),
                    g.enterprises,
                    g.newly_eligible,
                    g.almost_eligible
                );
            }
        }
        InboxCmd::Show { uscc: u, limit, json } => {
            let req = app::inbox::InboxRequest { uscc: Some(uscc(&u)?), before: None, limit: Some(limit) };
            let inbox =
                app::inbox::read(&app, &app::Principal::operator("cli"), &req).await.map_err(app_error)?;
            if json {
                let v = serde_json::json!({
                    "uscc": inbox.uscc,
                    "unread": inbox.unread,
                    "messages": inbox.messages,
                });
                outln!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(ExitCode::SUCCESS);
            }
            outln!("{} 未读 {} 条 / {} unread", inbox.uscc, inbox.unread, inbox.unread);
            for m in &inbox.messages {
                outln!(
                    "#{} {} {} [{}] {}{}",
                    m.id,
                    m.at.format("%Y-%m-%d %H:%M"),
                    m.kind.label_zh(),
                    m.item,
                    m.body_zh,
                    if m.read_at.is_some() { "（已读）" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_outbox(cmd: OutboxCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = super::open_app(ctx).await?;
    match cmd {
        OutboxCmd::List { limit, json } => {
            let v =
                app::push::outbox(&app, &app::Principal::operator("cli"), limit).await.map_err(app_error)?;
            if json {
                let out = serde_json::json!({ "counts": v.counts, "dead": v.dead, "failing": v.failing });
                outln!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(ExitCode::SUCCESS);
            }
            if v.counts.is_empty() {
                outln!("发件箱为空 / the outbox is empty");
            }
            for c in &v.counts {
                outln!("{:<20} {:<8} {}", c.channel, c.state.as_str(), c.count);
            }
            for (title, rows) in [("失败 / dead", &v.dead), ("重试中 / failing", &v.failing)] {
                if rows.is_empty() {
                    continue;
                }
                outln!("{title}:");
                for e in rows {
                    outln!(
                        "  #{} {} {} attempts {}: {}",
                        e.id,
                        e.channel,
                        e.uscc,
                        e.attempts,
                        e.last_error.as_deref().unwrap_or("")
                    );
                }
            }
        }
        OutboxCmd::Retry { id, actor, json } => {
            app::push::retry(&app, &app::Principal::operator(&actor), id).await.map_err(app_error)?;
            if json {
                outln!("{}", serde_json::json!({ "id": id, "state": "pending" }));
            } else {
                outln!("投递 {id} 已重新排队 / delivery {id} is pending again");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_channel(cmd: ChannelCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = super::open_app(ctx).await?;
    match cmd {
        ChannelCmd::Add { name, kind, url, secret, disabled, actor } => {
            let req = ChannelRequest { name, kind, url, secret, enabled: !disabled };
            let c = app::push::save_channel(&app, &app::Principal::operator(&actor), &req)
                .await
                .map_err(app_error)?;
            outln!(
                "渠道 {} 已保存（{}，{}）/ channel {} saved ({}, {})",
                c.name,
                c.kind,
                c.url,
                c.name,
                c.kind,
                c.url
            );
        }
        ChannelCmd::List { json } => {
            let cs = app::push::channels(&app, &app::Principal::operator("cli")).await.map_err(app_error)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&cs)?);
                return Ok(ExitCode::SUCCESS);
            }
            for c in &cs {
                outln!(
                    "{:<20} {:<8} {} {}",
                    c.name,
                    c.kind,
                    c.url,
                    if c.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        ChannelCmd::Contact { uscc: u, phone, openid, actor } => {
            let code = uscc(&u)?;
            app::push::set_contact(
                &app,
                &app::Principal::operator(&actor),
                &code,
                phone.as_deref(),
                openid.as_deref(),
            )
            .await
            .map_err(app_error)?;
            outln!("{code} 的联系方式已保存 / contact of {code} saved");
        }
    }
    Ok(ExitCode::SUCCESS)
}
