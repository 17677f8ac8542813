//! `huiqi policy check|test|load|export`: the policy library as files and as the database's
//! versioned documents.

use super::*;
use std::path::{Path, PathBuf};

pub(super) async fn check(ctx: &Context, path: Option<&str>) -> anyhow::Result<ExitCode> {
    match load(ctx, path).await? {
        Ok((lib, files)) => {
            let items = lib.items().count();
            outln!(
                "检查通过：{files} 个政策文件，{items} 个条款 / check passed: {files} policy files, {items} items"
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(n) => {
            eprintln!("发现 {n} 个问题 / {n} problems found");
            Ok(ExitCode::FAILURE)
        }
    }
}

pub(super) async fn test(ctx: &Context, path: Option<&str>) -> anyhow::Result<ExitCode> {
    let (lib, _) = match load(ctx, path).await? {
        Ok(x) => x,
        Err(n) => {
            eprintln!("发现 {n} 个问题，未运行用例 / {n} problems found; no case was run");
            return Ok(ExitCode::FAILURE);
        }
    };
    let reports = lib.run_cases();
    let failed = reports.iter().filter(|r| !r.passed).count();
    for r in &reports {
        match &r.problem {
            None => outln!("通过 PASS  {} «{}»", r.item, r.case),
            Some(p) => outln!("失败 FAIL  {} «{}» ({}): {p}", r.item, r.case, r.file),
        }
    }
    let passed = reports.len() - failed;
    outln!(
        "{passed} 个用例通过，{failed} 个失败 / {passed} cases passed, {failed} failed ({} items)",
        lib.items().count()
    );
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

// ---------------------------------------------------------------------------------------
// load and export: the database copy of the library

/// A file's document name: its path under the loaded directory with `/` separators, or its
/// file name when a single file is loaded.
pub(super) fn document_name(root: &Path, file: &str) -> String {
    let file = Path::new(file);
    let rel = if root.is_dir() { file.strip_prefix(root).unwrap_or(file) } else { file };
    let rel = if root.is_dir() { rel } else { Path::new(rel.file_name().unwrap_or(rel.as_os_str())) };
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// One document's outcome in `policy load`.
#[derive(Debug, serde::Serialize)]
pub(super) struct LoadedDocument {
    name: String,
    /// `added`, `changed` or `unchanged`.
    status: &'static str,
    /// The version now current.
    version: i64,
}

pub(super) async fn load_cmd(
    ctx: &Context,
    path: Option<&str>,
    actor: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use store::documents::{DocumentChange, DocumentKind};
    let root = PathBuf::from(path.unwrap_or("policies"));
    let files = read_sources(&root)?;
    let names: Vec<String> = files.iter().map(|f| document_name(&root, &f.name)).collect();
    for n in &names {
        store::documents::check_name(n).map_err(|e| crate::cli::user_error(&e))?;
    }
    let store = crate::db::open_ready(&ctx.database).await?;
    let current = store.current_documents(DocumentKind::Policy).await?;
    // The library as it would be after the load: the other stored documents and these files.
    let mut merged: Vec<SourceFile> =
        app::policy_docs::sources_of(&current).into_iter().filter(|f| !names.contains(&f.name)).collect();
    merged.extend(files.iter().cloned());
    match app::policy_docs::check_sources(&merged) {
        Ok(_) => {}
        Err(app::policy_docs::Rejected::Diagnostics(diags)) => {
            for d in &diags {
                eprintln!("{}", d.render());
            }
            let n = diags.len();
            eprintln!("发现 {n} 个问题，未写入数据库 / {n} problems found; nothing was stored");
            return Ok(ExitCode::FAILURE);
        }
        Err(app::policy_docs::Rejected::FailedCases(failed)) => {
            for r in &failed {
                eprintln!(
                    "失败 FAIL  {} «{}» ({}): {}",
                    r.item,
                    r.case,
                    r.file,
                    r.problem.as_deref().unwrap_or("")
                );
            }
            let n = failed.len();
            eprintln!("{n} 个用例失败，未写入数据库 / {n} cases failed; nothing was stored");
            return Ok(ExitCode::FAILURE);
        }
    }
    let version_of = |name: &str| current.iter().find(|d| d.name == name).map(|d| d.version);
    let changes: Vec<DocumentChange> = names
        .iter()
        .zip(&files)
        .map(|(n, f)| DocumentChange { name: n.clone(), expected: version_of(n), body: Some(f.text.clone()) })
        .collect();
    let written = store
        .write_documents(DocumentKind::Policy, changes, &store::Actor::new(actor, crate::db::now()))
        .await
        .map_err(|e| crate::cli::user_error(&e))?;
    let report: Vec<LoadedDocument> = names
        .iter()
        .map(|n| {
            let new = written.iter().find(|d| &d.name == n).map(|d| d.version);
            let (status, version) = match (version_of(n), new) {
                (None, v) => ("added", v.unwrap_or(1)),
                (Some(_), Some(v)) => ("changed", v),
                (Some(v), None) => ("unchanged", v),
            };
            LoadedDocument { name: n.clone(), status, version }
        })
        .collect();
    let count = |s: &str| report.iter().filter(|r| r.status == s).count();
    let (added, changed, unchanged) = (count("added"), count("changed"), count("unchanged"));
    if json {
        let out = serde_json::json!({
            "documents": report, "added": added, "changed": changed, "unchanged": unchanged,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &report {
        let label = match r.status {
            "added" => "新增 added    ",
            "changed" => "修改 changed  ",
            _ => "未变 unchanged",
        };
        outln!("{label}  {}  v{}", r.name, r.version);
    }
    outln!(
        "已载入数据库：新增 {added}，修改 {changed}，未变 {unchanged} / loaded into the database: {added} \
         added, {changed} changed, {unchanged} unchanged"
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn export(ctx: &Context, dir: &str) -> anyhow::Result<ExitCode> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let docs = store.current_documents(store::documents::DocumentKind::Policy).await?;
    let root = Path::new(dir);
    for d in &docs {
        // Stored names are checked relative paths (no `..`, no leading `/`).
        let path = root.join(&d.name);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &d.body)
        };
        write().map_err(|e| {
            let p = path.display();
            user(format!("无法写入 {p}：{e} / cannot write {p}: {e}"))
        })?;
    }
    let n = docs.len();
    outln!("已导出 {n} 个政策文件到 {dir} / exported {n} policy files to {dir}");
    Ok(ExitCode::SUCCESS)
}
