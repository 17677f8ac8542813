//! `huiqi settings …`: the zone settings (园区设置) as kept in the database: the supervision
//! report's thresholds with their stated source, and what later issues add. `show` prints
//! every setting with its label and the version in use; `set` stores new settings (a whole
//! file, single values, or both: the values over the file) as the next version, checked
//! first, nothing stored on error. The use cases are `app::settings`; the command acts as the
//! database's operator, named by `--as`.

use super::{Context, UserError, app_error};
use app::settings::{SetSettings, ZoneSettings};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// Prints the zone settings in use (Chinese and English labels), with their version.
    Show {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
        /// Print the settings document (TOML), a file `set` reads back.
        #[arg(long, conflicts_with = "json")]
        toml: bool,
    },
    /// Stores new zone settings as the next version: FILE (TOML, as `settings show --toml`
    /// would print; absent fields take their defaults) and/or `--value KEY=VALUE` over the
    /// current settings (or over FILE). Exit 1 with the error and nothing stored if a value
    /// does not check.
    Set {
        /// A settings document (TOML).
        file: Option<String>,
        /// KEY=VALUE, e.g. supervision.resolution_rate=85 or supervision.source="区督查办…";
        /// repeat for several.
        #[arg(long = "value", value_name = "KEY=VALUE")]
        values: Vec<String>,
        /// Who sets them, as recorded with the version.
        #[arg(long = "as", default_value = "settings")]
        actor: String,
    },
}

pub async fn run(cmd: SettingsCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        SettingsCmd::Show { json, toml } => show(ctx, json, toml).await,
        SettingsCmd::Set { file, values, actor } => set(ctx, file.as_deref(), &values, &actor).await,
    }
}

async fn show(ctx: &Context, json: bool, toml: bool) -> anyhow::Result<ExitCode> {
    let app = super::open_app(ctx).await?;
    let v = app::settings::show(&app, &app::Principal::operator("cli")).await.map_err(app_error)?;
    let doc = v.document.as_ref();
    if toml {
        outln!("{}", v.settings.to_toml().trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        let out = serde_json::json!({
            "version": doc.map(|d| d.version),
            "actor": doc.map(|d| d.actor.clone()),
            "saved_at": doc.map(|d| d.created_at.to_rfc3339()),
            "settings": &v.settings,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    match doc {
        Some(d) => outln!(
            "园区设置 第 {v} 版（{who}，{at}）/ zone settings, version {v} (by {who}, {at})",
            v = d.version,
            who = d.actor,
            at = d.created_at.format("%Y-%m-%d %H:%M")
        ),
        None => outln!("园区设置（内置默认值，尚未保存）/ zone settings (shipped defaults, never saved)"),
    }
    let en = v.settings.fields(i18n::Lang::En);
    for (z, e) in v.settings.fields(i18n::Lang::Zh).iter().zip(&en) {
        let unit = if z.kind == app::settings::FieldKind::Percent { "%" } else { "" };
        outln!("{} / {} ({})：{}{unit}", z.label, e.label, z.key, z.value);
    }
    Ok(ExitCode::SUCCESS)
}

async fn set(ctx: &Context, file: Option<&str>, values: &[String], actor: &str) -> anyhow::Result<ExitCode> {
    if file.is_none() && values.is_empty() {
        return Err(anyhow::Error::new(UserError(
            "请给出设置文件或 --value 键=值 / give a settings file or --value KEY=VALUE".into(),
        )));
    }
    let mut pairs = Vec::new();
    for v in values {
        let (k, val) = v.split_once('=').ok_or_else(|| {
            anyhow::Error::new(UserError(format!(
                "--value {v}：应为 键=值，如 supervision.resolution_rate=85 / --value {v}: expected KEY=VALUE, e.g. \
                 supervision.resolution_rate=85"
            )))
        })?;
        pairs.push((k.trim(), val));
    }
    let app = super::open_app(ctx).await?;
    let who = app::Principal::operator(actor);
    let base = match file {
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| {
                anyhow::Error::new(UserError(format!(
                    "无法读取设置文件 {f}：{e} / cannot read the settings file {f}: {e}"
                )))
            })?;
            ZoneSettings::parse(&text).map_err(|e| app_error(e).context(f.to_string()))?
        }
        None => app::settings::show(&app, &who).await.map_err(app_error)?.settings,
    };
    let settings = base.with_values(pairs).map_err(app_error)?;
    let req = SetSettings { expected: app::policy_docs::Expected::Current, settings };
    let saved = app::settings::set(&app, &who, req).await.map_err(app_error)?;
    match saved.version {
        Some(v) => outln!(
            "已保存园区设置第 {v} 版，立即生效 / saved the zone settings as version {v}; they apply at once"
        ),
        None => {
            outln!("园区设置未变，未写入新版本 / the zone settings are unchanged; no new version was written")
        }
    }
    Ok(ExitCode::SUCCESS)
}
