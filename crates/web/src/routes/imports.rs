//! The admin's import page (`/admin/imports`, issue 5): upload an enterprise file (CSV, XLSX,
//! JSON lines), see a dry run (every bad cell: row, column, value, reason in Chinese; or how
//! many enterprises it would create, update, leave unchanged), then apply it; and the list of
//! past import batches.
//!
//! It runs exactly what `huiqi import enterprises` runs: `import::read_file` over the file
//! (kept in the system's temporary directory between the dry run and the apply, under an
//! unguessable name), then `Store::apply_import` (all or nothing; a dry run writes nothing).
//! Admin only ([`Resource::Imports`]).

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::WebError;
use crate::lang::ReqLang;
use crate::state::AppState;
use crate::views::{self, Base};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Html;
use enterprise::FactSource;
use i18n::{Lang, Localized};
use std::path::PathBuf;
use store::{Actor, ImportBatch, ImportFormat, ImportOutcome, ImportRequest};

/// One bad cell as the page shows it.
#[derive(Debug, Clone)]
pub struct ErrorRow {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What an upload or an apply came to.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub file_name: String,
    pub rows: usize,
    pub errors: Vec<ErrorRow>,
    /// The counts (a dry run's, or the applied batch's).
    pub counts: Option<ImportOutcome>,
    /// Set after a clean dry run: the token to apply the kept file.
    pub token: Option<String>,
    pub applied: bool,
}

#[derive(Template)]
#[template(path = "imports.html")]
pub struct ImportsPage {
    pub b: Base,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
    pub batches: Vec<ImportBatch>,
}

impl ImportsPage {
    pub fn time(&self, b: &ImportBatch) -> String {
        b.at.format("%Y-%m-%d %H:%M").to_string()
    }
}

async fn page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    outcome: Option<Outcome>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let batches = state.store.import_batches(50).await?;
    let b = Base::new(lang, Some(p), "/admin/imports", "ui.imports.title");
    views::render(&ImportsPage { b, outcome, error, batches })
}

/// The page: the upload form and the past batches.
pub async fn imports_page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
) -> Result<Html<String>, WebError> {
    authz::require(&p, Action::Read, Resource::Imports)?;
    page(&state, lang, &p, None, None).await
}

/// A kept upload: `<tmp>/huiqi-import-<64 hex>.<ext>`; the token is checked to be hex, so it
/// never names another path.
fn kept_path(token: &str, ext: &str) -> Option<PathBuf> {
    let ok_token = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let ok_ext = matches!(ext, "csv" | "xlsx" | "xlsm" | "jsonl" | "ndjson");
    (ok_token && ok_ext).then(|| std::env::temp_dir().join(format!("huiqi-import-{token}.{ext}")))
}

/// Reads the kept file as `huiqi import enterprises` does (today's date, source tax) and
/// applies it, or only plans it for a dry run.
async fn run(
    state: &AppState,
    p: &Principal,
    path: PathBuf,
    file_name: String,
    dry_run: bool,
    lang: Lang,
) -> Result<Outcome, WebError> {
    let now = state.now();
    let options = import::Options::new(store::model::china_date(now), FactSource::Tax);
    let read_path = path.clone();
    let parsed = tokio::task::spawn_blocking(move || import::read_file(&read_path, &options, &mut |_| {}))
        .await
        .map_err(WebError::internal)?
        .map_err(|e| WebError::InvalidBody { detail: e.render(lang) })?;
    let mut out = Outcome { file_name: file_name.clone(), rows: parsed.rows, ..Outcome::default() };
    if !parsed.is_clean() {
        out.errors = parsed
            .errors
            .iter()
            .map(|e| ErrorRow {
                row: e.row,
                column: e.column.clone(),
                value: e.value.clone(),
                reason: e.reason_text(lang),
            })
            .collect();
        return Ok(out);
    }
    let format = ImportFormat::parse(parsed.format.as_str()).unwrap_or(ImportFormat::Csv);
    let counts = state
        .store
        .apply_import(ImportRequest {
            actor: Actor::new(p.username.clone(), now),
            file_name,
            format,
            records: parsed.records,
            dry_run,
        })
        .await?;
    out.counts = Some(counts);
    out.applied = !dry_run;
    Ok(out)
}

/// The form's posts: `file` (with `dry_run`) for a dry run, or `token` + `ext` + `name` to
/// apply the file the dry run kept.
pub async fn imports_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    mp: Multipart,
) -> Result<Html<String>, WebError> {
    authz::require(&p, Action::Write, Resource::Imports)?;
    let (fields, files) = crate::routes::attachments::read_multipart(mp).await?;
    let result = match (files.into_iter().next(), fields.get("token")) {
        (Some((file_name, bytes)), _) if !bytes.is_empty() => {
            let ext = std::path::Path::new(&file_name)
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            let token = crate::security::random_token();
            let Some(path) = kept_path(&token, &ext) else {
                let e = import::ImportError::UnknownFormat { path: file_name, extension: ext };
                return page(&state, lang, &p, None, Some(e.render(lang))).await;
            };
            std::fs::write(&path, &bytes).map_err(WebError::internal)?;
            let r = run(&state, &p, path.clone(), file_name.clone(), true, lang).await;
            match &r {
                Ok(o) if o.errors.is_empty() => {}
                _ => {
                    let _ = std::fs::remove_file(&path);
                }
            }
            r.map(|mut o| {
                if o.errors.is_empty() {
                    o.token = Some(format!("{token}.{ext}"));
                }
                o
            })
        }
        (_, Some(kept)) => {
            let (token, ext) = kept.split_once('.').unwrap_or((kept.as_str(), ""));
            let path = kept_path(token, ext)
                .filter(|p| p.exists())
                .ok_or_else(|| WebError::InvalidParam { param: "token".into(), value: kept.clone() })?;
            let name = fields.get("name").cloned().unwrap_or_default();
            let r = run(&state, &p, path.clone(), name, false, lang).await;
            let _ = std::fs::remove_file(&path);
            r
        }
        _ => Err(WebError::InvalidParam { param: "file".into(), value: String::new() }),
    };
    match result {
        Ok(o) => page(&state, lang, &p, Some(o), None).await,
        Err(e) if e.status().is_client_error() => page(&state, lang, &p, None, Some(e.render(lang))).await,
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_file_is_named_only_by_a_hex_token_and_a_known_extension() {
        let t = "ab".repeat(32);
        assert!(kept_path(&t, "csv").is_some_and(|p| p.ends_with(format!("huiqi-import-{t}.csv"))));
        assert!(kept_path("../../etc/passwd", "csv").is_none());
        assert!(kept_path(&t, "sh").is_none());
        assert!(kept_path(&t[..63], "csv").is_none());
    }
}
