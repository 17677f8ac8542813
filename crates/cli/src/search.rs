//! `huiqi search "<query>"`: the search box at the command line (JSON with `--json`: an array
//! of `{"kind","id","title","snippet","score"}`, best first), and the index's upkeep:
//! `rebuild`, `synonyms`, `unanswered`. The index is the one a server over the same database
//! keeps ([`crate::db::search_dir`]); while a server holds it, the command searches a copy it
//! builds in memory.

use crate::{Context, UserError, app_error, open_app, user_error};
use app::search::{self, SearchRequest};
use app::{App, Principal};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SearchArgs {
    #[command(subcommand)]
    cmd: Option<SearchCmd>,
    /// The words, a document number (2022年第14号) or pinyin (zjtx).
    query: Option<String>,
    /// policy | item | interpretation | faq | guide | case | problem (comma-separated).
    #[arg(long)]
    kind: Option<String>,
    /// In force on this date (YYYY-MM-DD).
    #[arg(long)]
    date: Option<String>,
    /// national | provincial | municipal | zone
    #[arg(long)]
    level: Option<String>,
    #[arg(long)]
    department: Option<String>,
    /// Tags, comma-separated.
    #[arg(long)]
    tags: Option<String>,
    /// no_application | application
    #[arg(long)]
    benefit: Option<String>,
    #[arg(long)]
    limit: Option<usize>,
    /// Search as this user (what they may find); default: the operator (everything).
    #[arg(long = "as")]
    as_user: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SearchCmd {
    /// Rebuilds the index from the database (stop the server that keeps it first).
    Rebuild,
    /// The zone's synonym groups: list, add "留抵 留抵退税", set ID "…", delete ID.
    Synonyms {
        /// list | add | set | delete
        action: String,
        args: Vec<String>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// What enterprises searched and did not open (问题无答案: the FAQs to write).
    Unanswered {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

/// One result as the command line prints it.
#[derive(Debug, Serialize)]
struct Out<'a> {
    kind: &'a str,
    id: &'a str,
    title: &'a str,
    snippet: &'a str,
    score: f32,
}

async fn principal(app: &App, as_user: Option<&str>) -> anyhow::Result<Principal> {
    match as_user {
        Some(u) => app.principal(u).await.map_err(|e| user_error(&e)),
        None => Ok(Principal::operator("cli")),
    }
}

fn plain(snippet: &str) -> String {
    snippet
        .replace("<b>", "【")
        .replace("</b>", "】")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

pub async fn run(args: SearchArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let dir = ctx.search_dir.clone();
    match args.cmd {
        Some(SearchCmd::Rebuild) => {
            let app = app.with_search_dir(dir.clone());
            let r = search::rebuild(&app, &Principal::operator("cli")).await.map_err(app_error)?;
            if app.search.dir().is_none() {
                return Err(anyhow::Error::new(UserError(format!(
                    "索引目录 {} 正被服务器使用；请停止服务器后重建，或以管理员身份调用 POST /api/v1/search/rebuild / the index {} is held by a running server: stop it first, or call POST /api/v1/search/rebuild as an admin",
                    dir.display(),
                    dir.display()
                ))));
            }
            println!(
                "已重建检索索引 / search index rebuilt: {} 个文档 / documents in {:.1} s ({})",
                r.documents,
                r.seconds,
                dir.display()
            );
        }
        Some(SearchCmd::Synonyms { action, args: terms, as_user }) => {
            let who = principal(&app, as_user.as_deref()).await?;
            let id_of = |s: Option<&String>| -> anyhow::Result<i64> {
                s.and_then(|s| s.parse().ok()).ok_or_else(|| {
                    anyhow::Error::new(UserError("需要同义词组编号 / a synonym group id is needed".into()))
                })
            };
            match action.as_str() {
                "list" => {}
                "add" => {
                    search::save_synonyms(&app, &who, None, &terms).await.map_err(app_error)?;
                }
                "set" => {
                    let id = id_of(terms.first())?;
                    search::save_synonyms(&app, &who, Some(id), &terms[1..]).await.map_err(app_error)?;
                }
                "delete" => {
                    let id = id_of(terms.first())?;
                    if !search::delete_synonyms(&app, &who, id).await.map_err(app_error)? {
                        return Err(anyhow::Error::new(UserError(format!(
                            "没有编号为 {id} 的同义词组 / no synonym group {id}"
                        ))));
                    }
                }
                other => {
                    return Err(anyhow::Error::new(UserError(format!(
                        "未知操作 {other}：可用 list | add | set | delete / unknown action {other}: use list | add | set | delete"
                    ))));
                }
            }
            for g in search::synonyms(&app).await.map_err(app_error)? {
                println!("{}\t{}", g.id, g.terms.join(" "));
            }
        }
        Some(SearchCmd::Unanswered { limit, json }) => {
            let rows =
                search::unanswered(&app, &Principal::operator("cli"), limit).await.map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    println!(
                        "{}\t{} 次 / times\t最少结果 / fewest results {}\t{}",
                        r.query,
                        r.count,
                        r.min_hits,
                        r.last_at.format("%Y-%m-%d %H:%M")
                    );
                }
            }
        }
        None => {
            let Some(query) = args.query else {
                return Err(anyhow::Error::new(UserError(
                    "请给出检索词：huiqi search \"留抵退税\" / give a query: huiqi search \"留抵退税\""
                        .into(),
                )));
            };
            let app = app.with_search_dir(dir);
            let who = principal(&app, args.as_user.as_deref()).await?;
            let req = SearchRequest {
                q: query,
                kind: args.kind,
                date: args.date,
                level: args.level,
                department: args.department,
                tags: args.tags,
                benefit: args.benefit,
                limit: args.limit,
            };
            let answer = search::search(&app, &who, &req).await.map_err(app_error)?;
            let out: Vec<Out<'_>> = answer
                .hits
                .iter()
                .map(|h| Out {
                    kind: h.kind.as_str(),
                    id: &h.id,
                    title: &h.title,
                    snippet: &h.snippet,
                    score: h.score,
                })
                .collect();
            if args.json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                if out.is_empty() {
                    println!("没有找到结果 / nothing found");
                }
                for o in out {
                    println!("{}\t{}\t{}\t{:.2}\n    {}", o.kind, o.id, o.title, o.score, plain(o.snippet));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
