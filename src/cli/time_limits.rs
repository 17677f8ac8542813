//! `huiqi time-limits …`: the zone's time limits (办理时限) as kept in the database. `show`
//! prints the current version; `set FILE` checks a limits file with the handling crate's
//! parser and stores it as the next version. New problems are received under the current
//! version; each problem keeps the limits it was received under, so a change never moves an
//! existing deadline.

use super::{Context, UserError};
use clap::Subcommand;
use std::process::ExitCode;
use store::documents::{DocumentKind, TIME_LIMITS_NAME};

#[derive(Debug, Subcommand)]
pub enum TimeLimitsCmd {
    /// Prints the current time limits (Chinese and English), with their version.
    Show {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Checks a time-limits file (TOML, as crates/handling/data/time_limits.toml) and stores
    /// it as the next version; exit 1 with the error and nothing stored if it does not check.
    Set {
        file: String,
        /// Who sets them, as recorded with the version.
        #[arg(long = "as", default_value = "time-limits")]
        actor: String,
    },
}

pub async fn run(cmd: TimeLimitsCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        TimeLimitsCmd::Show { json } => show(ctx, json).await,
        TimeLimitsCmd::Set { file, actor } => set(ctx, &file, &actor).await,
    }
}

async fn show(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let doc = store.current_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME).await?;
    let limits = crate::policies::time_limits(store.as_ref()).await?;
    if json {
        let out = serde_json::json!({
            "version": doc.as_ref().map(|d| d.version),
            "actor": doc.as_ref().map(|d| d.actor.clone()),
            "saved_at": doc.as_ref().map(|d| d.created_at.to_rfc3339()),
            "limits": limits,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &doc {
        Some(d) => outln!(
            "办理时限 第 {v} 版（{who}，{at}）/ time limits, version {v} (by {who}, {at})",
            v = d.version,
            who = d.actor,
            at = d.created_at.format("%Y-%m-%d %H:%M")
        ),
        None => outln!("办理时限（内置默认值）/ time limits (shipped defaults)"),
    }
    let cats = store.categories_with_routing().await?;
    let zh = app::policy_docs::limit_rows(&limits, &cats, i18n::Lang::Zh);
    let en = app::policy_docs::limit_rows(&limits, &cats, i18n::Lang::En);
    for (z, e) in zh.iter().zip(&en) {
        if z.urgent.is_empty() {
            outln!("{}：{}  / {}: {}", z.what, z.normal, e.what, e.normal);
        } else {
            outln!(
                "{}：一般 {}，紧急 {}  / {}: normal {}, urgent {}",
                z.what,
                z.normal,
                z.urgent,
                e.what,
                e.normal,
                e.urgent
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set(ctx: &Context, file: &str, actor: &str) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        anyhow::Error::new(UserError(format!(
            "无法读取时限文件 {file}：{e} / cannot read the time-limits file {file}: {e}"
        )))
    })?;
    let limits = handling::TimeLimits::parse(&text).map_err(|e| super::user_error(&e))?;
    let store = crate::db::open_ready(&ctx.database).await?;
    let routing = super::problem::routing(store.as_ref()).await?;
    let unknown = limits.unknown_categories(&routing);
    if !unknown.is_empty() {
        let list = unknown.join(", ");
        return Err(anyhow::Error::new(UserError(format!(
            "{file}：路由表中没有问题类别 {list}；请改用路由表中的类别代码或 default，未保存 / {file}: the routing \
             table has no problem category {list}; use the routing table's category codes or default. Nothing \
             was stored"
        ))));
    }
    let current = store.current_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME).await?;
    let written = store
        .put_document(
            DocumentKind::TimeLimits,
            TIME_LIMITS_NAME,
            current.as_ref().map(|d| d.version),
            text,
            &store::Actor::new(actor, crate::db::now()),
        )
        .await
        .map_err(|e| super::user_error(&e))?;
    match written {
        Some(d) => outln!(
            "已保存办理时限第 {v} 版；新受理的诉求按此时限计算，已有诉求的期限不变 / saved the time limits as \
             version {v}; problems received from now on use them, existing deadlines do not move",
            v = d.version
        ),
        None => outln!("时限未变，未写入新版本 / the time limits are unchanged; no new version was written"),
    }
    Ok(ExitCode::SUCCESS)
}
