//! The admin's import page (`/admin/imports`, issue 5): upload an enterprise file (CSV, XLSX,
//! JSON lines), see a dry run (the bad cells: row, column, value, reason in the page's
//! language; or, per enterprise, each field that would change, old → new, and how many
//! enterprises each field changes), then apply it; and the list of past import batches.
//!
//! HTTP and files only: the import itself is the registry's use case
//! ([`app::registry::import_enterprises`]), the same one `huiqi import enterprises` runs. The
//! upload is kept in the database between the dry run and the apply
//! ([`app::registry::kept`]), under an unguessable token, with the dry run's full reports
//! (every error, every change, as CSV) for download: the page lists the first
//! [`import::LISTED_ERRORS`]. So the apply or a download may reach any server behind the load
//! balancer, and an abandoned dry run expires after a day. The importer reads a file, so
//! each run writes the upload to a scratch file of its own, removed when the request ends.
//! Admin only ([`Resource::Imports`]).

use crate::auth::Principal;
use crate::authz::{self, Action, Resource};
use crate::error::WebError;
use crate::lang::ReqLang;
use crate::state::AppState;
use crate::views::{self, Base};
use app::registry::{self, ImportFile, ImportSinks, kept};
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
    /// Display names of those who imported.
    pub people: std::collections::BTreeMap<String, String>,
}

impl ImportsPage {
    pub fn time(&self, b: &ImportBatch) -> String {
        i18n::dates::time_table(b.at)
    }

    /// Who imported, by display name.
    pub fn who(&self, b: &ImportBatch) -> String {
        crate::plain::person(self.b.tr, &self.people, &b.actor)
    }

    /// The file's format as it is written (`CSV`, `XLSX`, `JSONL`).
    pub fn format(&self, b: &ImportBatch) -> String {
        b.format.to_string().to_uppercase()
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
    let actors: Vec<String> = batches.iter().map(|x| x.actor.clone()).collect();
    let people = app::users::display_names(state, p, &actors).await?;
    views::render(&ImportsPage { b, outcome, error, batches, listed: import::LISTED_ERRORS, people })
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

/// The formats an upload may have, by extension.
fn ok_ext(ext: &str) -> bool {
    matches!(ext, "csv" | "xlsx" | "xlsm" | "jsonl" | "ndjson")
}

/// The name an upload is kept under with its dry run.
fn upload_name(ext: &str) -> String {
    format!("upload.{ext}")
}

/// A request's scratch copy of an upload for the importer to read (`<tmp>/huiqi-import-<random
/// hex>.<ext>`), removed when it goes out of scope.
struct Scratch(PathBuf);

impl Scratch {
    fn write(ext: &str, bytes: &[u8]) -> Result<Scratch, WebError> {
        let path =
            std::env::temp_dir().join(format!("huiqi-import-{}.{ext}", crate::security::random_token()));
        std::fs::write(&path, bytes).map_err(WebError::internal)?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A report written in memory, then kept in the database.
#[derive(Clone, Default)]
struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut v) => v.extend_from_slice(b),
            Err(p) => p.into_inner().extend_from_slice(b),
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn take(&self) -> Vec<u8> {
        match self.0.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }
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

/// Runs the registry's import use case over an upload (a scratch copy for the request): a
/// dry run keeps its full error or change report in the database under the same token.
async fn run(
    state: &AppState,
    p: &Principal,
    req: ImportFile,
    token: &str,
    lang: Lang,
) -> Result<Outcome, WebError> {
    let (file_name, dry_run, clear_empty) = (req.file_name.clone(), req.dry_run, req.clear_empty);
    let mut sinks = ImportSinks::default();
    let (errors_buf, changes_buf) = (Buffer::default(), Buffer::default());
    if dry_run {
        sinks.errors = Some(Box::new(errors_buf.clone()));
        sinks.changes = Some(Box::new(changes_buf.clone()));
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
        if dry_run {
            kept::keep(state, p, token, Report::Errors.suffix(), errors_buf.take()).await?;
            out.errors_href = Some(Report::Errors.href(token));
        }
        return Ok(out);
    }
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
        kept::keep(state, p, token, Report::Changes.suffix(), changes_buf.take()).await?;
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
            if !ok_ext(&ext) {
                let e = import::ImportError::UnknownFormat { path: file_name, extension: ext };
                return page(&state, lang, &p, None, Some(e.render(lang))).await;
            }
            let token = crate::security::random_token();
            let scratch = Scratch::write(&ext, &bytes)?;
            let mut req = ImportFile::new(scratch.0.clone(), file_name.clone(), true);
            req.clear_empty = clear_empty;
            let r = run(&state, &p, req, &token, lang).await;
            drop(scratch);
            match r {
                Ok(mut o) if o.error_count == 0 => {
                    // Kept for the apply, on whichever server it lands.
                    kept::keep(&state, &p, &token, &upload_name(&ext), bytes).await?;
                    o.token = Some(format!("{token}.{ext}"));
                    Ok(o)
                }
                Ok(o) => Ok(o),
                Err(e) => {
                    let _ = kept::forget(&state, &p, &token).await;
                    Err(e)
                }
            }
        }
        (_, Some(kept_token)) => {
            let (token, ext) = kept_token.split_once('.').unwrap_or((kept_token.as_str(), ""));
            let bad = || WebError::InvalidParam { param: "token".into(), value: kept_token.clone() };
            if !ok_token(token) || !ok_ext(ext) {
                return Err(bad());
            }
            let bytes = kept::kept(&state, &p, token, &upload_name(ext)).await?.ok_or_else(bad)?;
            let name = fields.get("name").cloned().unwrap_or_default();
            let scratch = Scratch::write(ext, &bytes)?;
            let mut req = ImportFile::new(scratch.0.clone(), name, false);
            req.clear_empty = clear_empty;
            let r = run(&state, &p, req, token, lang).await;
            drop(scratch);
            if r.is_ok() {
                kept::forget(&state, &p, token).await?;
            }
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
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    authz::require(&p, Action::Read, Resource::Imports)?;
    let Some((token, report)) = Report::parse(&name) else {
        return Err(WebError::NotFound { path: name });
    };
    let bytes =
        kept::kept(&state, &p, &token, report.suffix()).await?.ok_or(WebError::NotFound { path: name })?;
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
    fn uploads_have_a_known_extension_and_tokens_are_hex() {
        let t = "ab".repeat(32);
        assert!(ok_token(&t) && ok_ext("csv") && ok_ext("xlsx"));
        assert!(!ok_token("../../etc/passwd") && !ok_token(&t[..63]));
        assert!(!ok_ext("sh") && !ok_ext(""));
        assert_eq!(upload_name("jsonl"), "upload.jsonl");
    }

    #[test]
    fn a_scratch_copy_goes_with_its_request() {
        let s = Scratch::write("csv", b"a,b\n").unwrap();
        let path = s.0.clone();
        assert!(path.exists());
        drop(s);
        assert!(!path.exists());
    }

    #[test]
    fn reports_are_named_only_by_a_hex_token_and_their_kind() {
        let t = "cd".repeat(32);
        assert_eq!(Report::parse(&format!("{t}.errors.csv")), Some((t.clone(), Report::Errors)));
        assert_eq!(Report::parse(&format!("{t}.changes.csv")), Some((t.clone(), Report::Changes)));
        assert_eq!(Report::parse(&format!("{t}.csv")), None);
        assert_eq!(Report::parse("../x.errors.csv"), None);
    }

    #[test]
    fn change_fields_read_as_dictionary_labels() {
        assert_eq!(field_label("revenue[2021]", Lang::Zh), "营业收入（2021）");
        assert_eq!(field_label("industry_code", Lang::Zh), "国民经济行业代码");
        assert_eq!(field_label("revenue[2021]", Lang::En), "operating revenue (2021)");
        assert_eq!(field_label("links.cadre", Lang::Zh), "links.cadre");
    }
}
