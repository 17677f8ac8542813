//! The admin's import page (`/admin/imports`, issue 5): upload an enterprise file (CSV, XLSX,
//! JSON lines), see a dry run (the bad cells: row, column, value, reason in the page's
//! language; or, per enterprise, each field that would change, old → new, and how many
//! enterprises each field changes), then apply it; and the list of past import batches.
//!
//! HTTP and files only: the import itself is the registry's use case
//! ([`app::registry::import_enterprises`]), the same one `huiqi import enterprises` runs. The
//! upload is kept in the system's temporary directory between the dry run and the apply,
//! under an unguessable name, with the dry run's full reports beside it (every error, every
//! change, as CSV) for download: the page lists the first [`import::LISTED_ERRORS`].
//! Admin only ([`Resource::Imports`]).

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::WebError;
use crate::lang::ReqLang;
use crate::state::AppState;
use crate::views::{self, Base};
use app::registry::{self, ImportFile, ImportSinks};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use enterprise::FactDictionary;
use i18n::{Lang, Localized};
use std::path::PathBuf;
use store::{ImportBatch, ImportOutcome};

/// One bad cell as the page shows it.
#[derive(Debug, Clone)]
pub struct ErrorRow {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// One enterprise a dry run would create or update, as the page shows it.
#[derive(Debug, Clone)]
pub struct ChangedRow {
    pub uscc: String,
    pub name: String,
    pub created: bool,
    /// (field label, old, new).
    pub changes: Vec<(String, String, String)>,
}

/// What an upload or an apply came to.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub file_name: String,
    pub rows: usize,
    /// The first errors (every error is in the downloadable report).
    pub errors: Vec<ErrorRow>,
    pub error_count: usize,
    pub bad_rows: usize,
    /// The full error report (CSV) of this dry run.
    pub errors_href: Option<String>,
    /// The counts (a dry run's, or the applied batch's).
    pub counts: Option<ImportOutcome>,
    /// A dry run's first changed enterprises, and how many change in all.
    pub changed: Vec<ChangedRow>,
    pub changed_count: u64,
    /// (field label, enterprises changed), most first.
    pub field_counts: Vec<(String, u64)>,
    /// The full change report (CSV) of this dry run.
    pub changes_href: Option<String>,
    /// Set after a clean dry run: the token to apply the kept file.
    pub token: Option<String>,
    pub applied: bool,
    /// Empty cells clear stored values (the upload's choice, carried to the apply).
    pub clear_empty: bool,
}

#[derive(Template)]
#[template(path = "imports.html")]
pub struct ImportsPage {
    pub b: Base,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
    pub batches: Vec<ImportBatch>,
    pub listed: usize,
}

impl ImportsPage {
    pub fn time(&self, b: &ImportBatch) -> String {
        b.at.format("%Y-%m-%d %H:%M").to_string()
    }

    /// A message with a `{count}`.
    pub fn tc(&self, key: &'static str, n: impl std::fmt::Display) -> String {
        self.b.tr.t1(key, "count", &n)
    }
}

async fn page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    outcome: Option<Outcome>,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let batches = app::registry::import_batches(state, p, 50).await?;
    let b = Base::new(lang, Some(p), "/admin/imports", "ui.imports.title");
    views::render(&ImportsPage { b, outcome, error, batches, listed: import::LISTED_ERRORS })
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

fn ok_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A kept upload: `<tmp>/huiqi-import-<64 hex>.<ext>`; the token is checked to be hex, so it
/// never names another path.
fn kept_path(token: &str, ext: &str) -> Option<PathBuf> {
    let ok_ext = matches!(ext, "csv" | "xlsx" | "xlsm" | "jsonl" | "ndjson");
    (ok_token(token) && ok_ext).then(|| std::env::temp_dir().join(format!("huiqi-import-{token}.{ext}")))
}

/// The reports a dry run keeps beside an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Errors,
    Changes,
}

impl Report {
    fn suffix(self) -> &'static str {
        match self {
            Report::Errors => "errors.csv",
            Report::Changes => "changes.csv",
        }
    }

    /// `<token>.errors.csv` or `<token>.changes.csv`, as the download route names it.
    fn parse(name: &str) -> Option<(String, Report)> {
        let (token, suffix) = name.split_once('.')?;
        let r = [Report::Errors, Report::Changes].into_iter().find(|r| r.suffix() == suffix)?;
        ok_token(token).then(|| (token.to_string(), r))
    }

    fn path(self, token: &str) -> PathBuf {
        std::env::temp_dir().join(format!("huiqi-import-{token}.{}", self.suffix()))
    }

    fn href(self, token: &str) -> String {
        format!("/admin/imports/reports/{token}.{}", self.suffix())
    }
}

/// A dictionary label for a change's field: `营业收入（2021）` for `revenue[2021]`, the label of a
/// registry field or fact, the link's name for `links.*`.
fn field_label(field: &str, lang: Lang) -> String {
    let en = lang == Lang::En;
    let (id, year) = match field.split_once('[') {
        Some((id, rest)) => (id, rest.strip_suffix(']')),
        None => (field, None),
    };
    let label = FactDictionary::official()
        .get(id)
        .map(|d| if en { d.en.clone() } else { d.zh.clone() })
        .unwrap_or_else(|| field.to_string());
    match (year, en) {
        (Some(y), true) => format!("{label} ({y})"),
        (Some(y), false) => format!("{label}（{y}）"),
        (None, _) => label,
    }
}

/// Runs the registry's import use case over the kept file: a dry run writes the full error
/// and change reports beside it under the same token.
async fn run(
    state: &AppState,
    p: &Principal,
    req: ImportFile,
    token: &str,
    lang: Lang,
) -> Result<Outcome, WebError> {
    let (file_name, dry_run, clear_empty) = (req.file_name.clone(), req.dry_run, req.clear_empty);
    let mut sinks = ImportSinks::default();
    if dry_run {
        for (r, slot) in [(Report::Errors, &mut sinks.errors), (Report::Changes, &mut sinks.changes)] {
            let f = std::fs::File::create(r.path(token)).map_err(WebError::internal)?;
            *slot = Some(Box::new(std::io::BufWriter::new(f)));
        }
    }
    let report = registry::import_enterprises(state, p, req, sinks).await?;
    let mut out = Outcome {
        file_name,
        rows: report.rows,
        error_count: report.error_count,
        bad_rows: report.bad_rows,
        clear_empty,
        ..Outcome::default()
    };
    if !report.is_clean() {
        out.errors = report
            .errors
            .iter()
            .map(|e| ErrorRow {
                row: e.row,
                column: e.column.clone(),
                value: e.value.clone(),
                reason: e.reason_text(lang),
            })
            .collect();
        out.errors_href = Some(Report::Errors.href(token));
        let _ = std::fs::remove_file(Report::Changes.path(token));
        return Ok(out);
    }
    let _ = std::fs::remove_file(Report::Errors.path(token));
    out.counts = report.outcome;
    out.applied = !dry_run;
    out.changed_count = report.changed_count;
    out.changed = report
        .changed
        .iter()
        .map(|rc| ChangedRow {
            uscc: rc.uscc.clone(),
            name: rc.name.clone(),
            created: rc.kind == store::import::ImportKind::Created,
            changes: rc
                .changes
                .iter()
                .filter(|c| c.field != "*")
                .map(|c| {
                    (
                        field_label(&c.field, lang),
                        c.old.clone().unwrap_or_else(|| "—".into()),
                        c.new.clone().unwrap_or_else(|| "—".into()),
                    )
                })
                .collect(),
        })
        .collect();
    let mut counts: Vec<(String, u64)> =
        report.field_counts.iter().map(|(f, n)| (field_label(f, lang), *n)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.field_counts = counts;
    if dry_run && report.changed_count > 0 {
        out.changes_href = Some(Report::Changes.href(token));
    }
    Ok(out)
}

/// The form's posts: `file` (with `clear_empty`) for a dry run, or `token` + `name` (+
/// `clear_empty`) to apply the file the dry run kept.
pub async fn imports_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    mp: Multipart,
) -> Result<Html<String>, WebError> {
    authz::require(&p, Action::Write, Resource::Imports)?;
    let (fields, files) = crate::routes::attachments::read_multipart(mp).await?;
    let clear_empty = fields.get("clear_empty").is_some_and(|v| matches!(v.as_str(), "1" | "on" | "true"));
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
            let mut req = ImportFile::new(path.clone(), file_name.clone(), true);
            req.clear_empty = clear_empty;
            let r = run(&state, &p, req, &token, lang).await;
            if !matches!(&r, Ok(o) if o.error_count == 0) {
                let _ = std::fs::remove_file(&path);
            }
            if r.is_err() {
                for rep in [Report::Errors, Report::Changes] {
                    let _ = std::fs::remove_file(rep.path(&token));
                }
            }
            r.map(|mut o| {
                if o.error_count == 0 {
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
            let mut req = ImportFile::new(path.clone(), name, false);
            req.clear_empty = clear_empty;
            let r = run(&state, &p, req, token, lang).await;
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

/// A dry run's full report (`/admin/imports/reports/<token>.errors.csv` or
/// `….changes.csv`), as a CSV download (UTF-8 with a byte-order mark, for Excel).
pub async fn report_download(
    State(_state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::Imports)?;
    let Some((token, report)) = Report::parse(&name) else {
        return Err(WebError::NotFound { path: name });
    };
    let path = report.path(&token);
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(WebError::internal)?
        .map_err(|_| WebError::NotFound { path: name })?;
    let file = match report {
        Report::Errors => "import-errors.csv",
        Report::Changes => "import-changes.csv",
    };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
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

    #[test]
    fn reports_are_named_only_by_a_hex_token_and_their_kind() {
        let t = "cd".repeat(32);
        assert_eq!(Report::parse(&format!("{t}.errors.csv")), Some((t.clone(), Report::Errors)));
        assert_eq!(Report::parse(&format!("{t}.changes.csv")), Some((t.clone(), Report::Changes)));
        assert_eq!(Report::parse(&format!("{t}.csv")), None);
        assert_eq!(Report::parse("../x.errors.csv"), None);
        assert!(Report::Errors.path(&t).ends_with(format!("huiqi-import-{t}.errors.csv")));
    }

    #[test]
    fn change_fields_read_as_dictionary_labels() {
        assert_eq!(field_label("revenue[2021]", Lang::Zh), "营业收入（2021）");
        assert_eq!(field_label("industry_code", Lang::Zh), "国民经济行业代码");
        assert_eq!(field_label("revenue[2021]", Lang::En), "operating revenue (2021)");
        assert_eq!(field_label("links.cadre", Lang::Zh), "links.cadre");
    }
}
