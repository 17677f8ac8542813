//! `huiqi policy check|test|load|export`: the policy library as files and as the database's
//! versioned documents. Loading and exporting are the use cases `app::policies::load` and
//! `export` (the command acts as the database's operator, named by `--as`); reading files and
//! printing stay here.

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
    let reports = app::policies::test(&lib);
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

pub(super) async fn load_cmd(
    ctx: &Context,
    path: Option<&str>,
    actor: &str,
    approve_as: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let root = PathBuf::from(path.unwrap_or("policies"));
    let files: Vec<SourceFile> = read_sources(&root)?
        .into_iter()
        .map(|f| SourceFile { name: document_name(&root, &f.name), text: f.text })
        .collect();
    for f in &files {
        store::documents::check_name(&f.name).map_err(|e| crate::user_error(&e))?;
    }
    let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
    let who = app::Principal::operator(actor);
    let approve_as = approve_as.map(app::Principal::operator);
    let report =
        match app::policies::load(&app, &who, app::policies::LoadPolicies { files, approve_as }).await {
            Ok(r) => r,
            Err(app::Error::PolicyRejected(app::policies::Rejected::Diagnostics(diags))) => {
                for d in &diags {
                    eprintln!("{}", d.render());
                }
                let n = diags.len();
                eprintln!("发现 {n} 个问题，未写入数据库 / {n} problems found; nothing was stored");
                return Ok(ExitCode::FAILURE);
            }
            Err(app::Error::PolicyRejected(app::policies::Rejected::FailedCases(failed))) => {
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
            Err(e) => return Err(crate::app_error(e)),
        };
    let (added, changed, unchanged) = (report.added, report.changed, report.unchanged);
    if json {
        let out = serde_json::json!({
            "documents": report.documents, "added": added, "changed": changed, "unchanged": unchanged,
            "draft": report.draft, "state": report.state, "bootstrap": report.bootstrap,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &report.documents {
        let label = match r.status {
            "added" => "新增 added    ",
            "changed" => "修改 changed  ",
            _ => "未变 unchanged",
        };
        outln!("{label}  {}  v{}", r.name, r.version);
    }
    match (report.state, report.draft) {
        ("draft", Some(id)) => {
            outln!(
                "已存为政策草案 #{id}（新增 {added}，修改 {changed}，未变 {unchanged}），尚未生效：须由另一位政策专员或管理员审核批准 / \
                 stored as policy draft #{id} ({added} added, {changed} changed, {unchanged} unchanged), not live yet: \
                 another policy officer or admin must review and approve it"
            );
            outln!("  查看差异与影响 / review:  huiqi policy draft show {id}");
            outln!("  批准 / approve:          huiqi policy draft approve {id} --as 用户名");
            outln!("  驳回 / reject:           huiqi policy draft reject {id} --as 用户名 --reason 理由");
        }
        _ => {
            outln!(
                "已载入数据库：新增 {added}，修改 {changed}，未变 {unchanged} / loaded into the database: {added} \
                 added, {changed} changed, {unchanged} unchanged"
            );
            if let Some(id) = report.draft {
                if report.bootstrap {
                    outln!(
                        "首次载入：政策库仍为随附版本，草案 #{id} 未经审核直接生效（审计记录为 bootstrap）/ first load: \
                         the library was still as shipped, so draft #{id} went live without review (audited as bootstrap)"
                    );
                } else {
                    outln!("草案 #{id} 已批准并生效 / draft #{id} approved and live");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn export(ctx: &Context, dir: &str) -> anyhow::Result<ExitCode> {
    let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
    let files =
        app::policies::export(&app, &app::Principal::operator("cli")).await.map_err(crate::app_error)?;
    let root = Path::new(dir);
    for f in &files {
        // Stored names are checked relative paths (no `..`, no leading `/`).
        let path = root.join(&f.name);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &f.text)
        };
        write().map_err(|e| {
            let p = path.display();
            user(format!("无法写入 {p}：{e} / cannot write {p}: {e}"))
        })?;
    }
    let n = files.len();
    outln!("已导出 {n} 个政策文件到 {dir} / exported {n} policy files to {dir}");
    Ok(ExitCode::SUCCESS)
}
