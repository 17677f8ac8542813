//! `huiqi time-limits …`: the zone's time limits (办理时限) as kept in the database. `show`
//! prints the current version; `set FILE` checks a limits file with the handling crate's
//! parser and stores it as the next version. New problems are received under the current
//! version; each problem keeps the limits it was received under, so a change never moves an
//! existing deadline. Both are the use cases of `app::time_limits`; the command acts as the
//! database's operator, named by `--as`.

use super::{Context, UserError, app_error};
use clap::Subcommand;
use std::process::ExitCode;

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
    let app = super::open_app(ctx).await?;
    let v = app::time_limits::show(&app, &app::Principal::operator("cli")).await.map_err(app_error)?;
    let doc = v.document.as_ref();
    if json {
        let out = serde_json::json!({
            "version": doc.map(|d| d.version),
            "actor": doc.map(|d| d.actor.clone()),
            "saved_at": doc.map(|d| d.created_at.to_rfc3339()),
            "limits": &*v.limits,
            "source": app.live.settings().time_limits_label(i18n::Lang::Zh),
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    match doc {
        Some(d) => outln!(
            "办理时限 第 {v} 版（{who}，{at}）/ time limits, version {v} (by {who}, {at})",
            v = d.version,
            who = d.actor,
            at = d.created_at.format("%Y-%m-%d %H:%M")
        ),
        None => outln!("办理时限（内置默认值）/ time limits (shipped defaults)"),
    }
    let s = app.live.settings();
    outln!("{}", s.time_limits_label(i18n::Lang::Zh));
    outln!("{}", s.time_limits_label(i18n::Lang::En));
    for (z, e) in v.rows(i18n::Lang::Zh).iter().zip(&v.rows(i18n::Lang::En)) {
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
    let app = super::open_app(ctx).await?;
    let req = app::time_limits::SetTimeLimits { expected: app::policy_docs::Expected::Current, text };
    let saved = app::time_limits::set(&app, &app::Principal::operator(actor), req)
        .await
        .map_err(|e| app_error(e).context(file.to_string()))?;
    match saved.version {
        Some(v) => outln!(
            "已保存办理时限第 {v} 版；新受理的诉求按此时限计算，已有诉求的期限不变 / saved the time limits as \
             version {v}; problems received from now on use them, existing deadlines do not move"
        ),
        None => outln!("时限未变，未写入新版本 / the time limits are unchanged; no new version was written"),
    }
    Ok(ExitCode::SUCCESS)
}
