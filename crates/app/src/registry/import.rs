//! Importing an enterprise file (CSV, XLSX, JSON lines), all or nothing: read and check every
//! cell, then either preview what it would change (the dry run: per enterprise, each field
//! old → new, and how many enterprises change each field) or apply it in one transaction.
//!
//! Bounded for any file: at most [`ImportFile::listed`] errors and changed enterprises are
//! kept and returned, the rest are counted; every error (and, for a dry run, every change) can
//! go to a CSV report as it is found ([`ImportSinks`]). A file whose million rows all fail
//! costs a page of errors, not a million-line table.

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use chrono::NaiveDate;
use enterprise::{EnterpriseRecord, FactSource};
use import::{Format, Progress, RowError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use store::import::{ImportKind, RecordChanges};
use store::{ImportFormat, ImportOutcome, ImportRequest};

/// Records previewed per store call: the dry run reads the stored state chunk by chunk.
pub const PREVIEW_CHUNK: usize = 1000;

/// The columns of the dry run's full change report (`--changes FILE`).
pub const CHANGES_CSV_HEADER: [&str; 6] =
    ["统一社会信用代码 uscc", "企业名称 name", "变化 kind", "字段 field", "原值 old", "新值 new"];

/// An import to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile {
    /// The file to read (its extension names the format).
    pub path: PathBuf,
    /// The name recorded with the batch (an upload's own name; the CLI's file name).
    pub file_name: String,
    /// The date the source reported the data (default: today).
    pub as_of: Option<NaiveDate>,
    /// The source recorded with each fact, unless a `数据来源` column says otherwise.
    pub source: FactSource,
    /// The year of per-year columns that name none.
    pub default_year: Option<i32>,
    /// An empty cell in a present column clears the stored value; without it an empty cell,
    /// like an absent column, leaves the stored value alone.
    pub clear_empty: bool,
    /// Preview only: nothing is written, no batch recorded.
    pub dry_run: bool,
    /// How many errors and changed enterprises the report lists (the rest are counted).
    pub listed: usize,
}

impl ImportFile {
    /// An import of `path` with the defaults: today, source tax, empty cells keep, listing
    /// [`import::LISTED_ERRORS`].
    pub fn new(path: impl Into<PathBuf>, file_name: impl Into<String>, dry_run: bool) -> ImportFile {
        ImportFile {
            path: path.into(),
            file_name: file_name.into(),
            as_of: None,
            source: FactSource::Tax,
            default_year: None,
            clear_empty: false,
            dry_run,
            listed: import::LISTED_ERRORS,
        }
    }
}

/// Where the full reports and the progress go (each optional).
#[derive(Default)]
pub struct ImportSinks {
    /// Every row error as CSV ([`import::ERROR_CSV_HEADER`]).
    pub errors: Option<Box<dyn Write + Send>>,
    /// For a dry run, every change as CSV ([`CHANGES_CSV_HEADER`]).
    pub changes: Option<Box<dyn Write + Send>>,
    /// Reading progress (every 10,000 rows and at the end).
    pub progress: Option<Box<dyn FnMut(Progress) + Send>>,
}

/// What an import came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub file_name: String,
    pub format: Format,
    pub dry_run: bool,
    /// Data rows read.
    pub rows: usize,
    /// The first [`ImportFile::listed`] row errors, by row. Any error: nothing was imported.
    #[serde(skip)]
    pub errors: Vec<RowError>,
    /// Every row error found.
    pub error_count: usize,
    /// Distinct rows with an error.
    pub bad_rows: usize,
    /// For a clean file: what was (or, for a dry run, would be) done.
    pub outcome: Option<ImportOutcome>,
    /// For a dry run: the first [`ImportFile::listed`] enterprises that would be created or
    /// updated, each field old → new.
    pub changed: Vec<RecordChanges>,
    /// For a dry run: how many enterprises would be created or updated.
    pub changed_count: u64,
    /// For a dry run: per field (`industry_code`, `revenue[2021]`, …), how many existing
    /// enterprises it would change.
    pub field_counts: BTreeMap<String, u64>,
}

impl ImportReport {
    /// No row is in error.
    pub fn is_clean(&self) -> bool {
        self.error_count == 0
    }
}

/// The latest `limit` import batches, newest first (those who may see imports).
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn import_batches(app: &App, who: &Principal, limit: u64) -> Result<Vec<store::ImportBatch>> {
    authz::require(who, Action::Read, Resource::Imports)?;
    Ok(app.store.import_batches(limit).await?)
}

/// Imports an enterprise file (admin): reads and checks it; with errors nothing is imported
/// and the report lists them; clean, it is previewed (dry run) or applied in one
/// transaction with its batch and change records.
#[tracing::instrument(skip(app, who, req, sinks), fields(user = %who.username, file = %req.file_name, dry_run = req.dry_run))]
pub async fn import_enterprises(
    app: &App,
    who: &Principal,
    req: ImportFile,
    sinks: ImportSinks,
) -> Result<ImportReport> {
    authz::require(who, Action::Write, Resource::Imports)?;
    let ImportSinks { errors: error_sink, changes: change_sink, progress } = sinks;
    let mut options = import::Options::new(req.as_of.unwrap_or_else(|| app.today()), req.source);
    options.default_year = req.default_year;
    options.clear_empty = req.clear_empty;
    options.max_errors = req.listed;
    let path = req.path.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut progress = progress;
        let mut report = |p: Progress| {
            if let Some(f) = progress.as_mut() {
                f(p);
            }
        };
        import::read_file_report(&path, &options, &mut report, error_sink)
    })
    .await
    .map_err(Error::internal)??;
    let import::Report { parsed, error_count, bad_rows } = read;
    let mut report = ImportReport {
        file_name: req.file_name.clone(),
        format: parsed.format,
        dry_run: req.dry_run,
        rows: parsed.rows,
        errors: parsed.errors,
        error_count,
        bad_rows,
        outcome: None,
        changed: Vec::new(),
        changed_count: 0,
        field_counts: BTreeMap::new(),
    };
    if error_count > 0 {
        return Ok(report);
    }
    let records = parsed.records;
    if req.dry_run {
        preview(app, &records, req.listed, change_sink, &mut report).await?;
        return Ok(report);
    }
    let outcome = app
        .store
        .apply_import(ImportRequest {
            actor: who.stamp(app.now()),
            file_name: req.file_name,
            format: format_of(parsed.format),
            records,
            dry_run: false,
        })
        .await?;
    report.outcome = Some(outcome);
    Ok(report)
}

/// The batch format of a file format.
fn format_of(f: Format) -> ImportFormat {
    match f {
        Format::Csv => ImportFormat::Csv,
        Format::Xlsx => ImportFormat::Xlsx,
        Format::JsonLines => ImportFormat::JsonLines,
    }
}

/// The dry run: every record planned against what is stored, chunk by chunk, nothing
/// written; the counts are those `apply_import` would report.
async fn preview(
    app: &App,
    records: &[EnterpriseRecord],
    listed: usize,
    sink: Option<Box<dyn Write + Send>>,
    report: &mut ImportReport,
) -> Result<()> {
    // A code named twice across chunks would escape the per-chunk check.
    store::import::check_records(enterprise::FactDictionary::official(), records)?;
    let mut csv = match sink {
        Some(mut w) => {
            w.write_all("\u{feff}".as_bytes()).map_err(Error::internal)?;
            let mut c = csv::Writer::from_writer(w);
            c.write_record(CHANGES_CSV_HEADER).map_err(Error::internal)?;
            Some(c)
        }
        None => None,
    };
    let mut out = ImportOutcome { batch_id: None, rows: records.len() as u64, ..ImportOutcome::default() };
    for chunk in records.chunks(PREVIEW_CHUNK) {
        for rc in app.store.import_changes(chunk).await? {
            match rc.kind {
                ImportKind::Created => out.created += 1,
                ImportKind::Updated => out.updated += 1,
                ImportKind::Unchanged => out.unchanged += 1,
            }
            out.changes += rc.changes.len() as u64;
            if rc.kind == ImportKind::Unchanged {
                continue;
            }
            report.changed_count += 1;
            if rc.kind == ImportKind::Updated {
                for c in &rc.changes {
                    *report.field_counts.entry(c.field.clone()).or_default() += 1;
                }
            }
            if let Some(w) = csv.as_mut() {
                let kind = match rc.kind {
                    ImportKind::Created => "新增 created",
                    _ => "更新 updated",
                };
                for c in &rc.changes {
                    w.write_record([
                        rc.uscc.as_str(),
                        rc.name.as_str(),
                        kind,
                        c.field.as_str(),
                        c.old.as_deref().unwrap_or(""),
                        c.new.as_deref().unwrap_or(""),
                    ])
                    .map_err(Error::internal)?;
                }
            }
            if report.changed.len() < listed {
                report.changed.push(rc);
            }
        }
    }
    if let Some(mut w) = csv {
        w.flush().map_err(Error::internal)?;
    }
    report.outcome = Some(out);
    Ok(())
}
