//! `huiqi audit verify`: walks the problem events' hash chain and names the first broken
//! link (exit 1), or reports the chain intact (exit 0); then re-hashes every stored file
//! (`app::problems::verify`), and walks the grant audit chain (免申即享).

use super::user_error;
use clap::Subcommand;
use std::process::ExitCode;
use store::problems::BreakReason;

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Checks every event's hash against its content and the previous hash, and the chain's
    /// end against the stored head. Exit 0: "chain intact: N events"; exit 1: the first
    /// broken link.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: AuditCmd, ctx: &super::Context) -> anyhow::Result<ExitCode> {
    let AuditCmd::Verify { json } = cmd;
    let app = app::App::new(crate::db::open_ready(&ctx.database).await?);
    let outcome = app::problems::verify(&app).await.map_err(|e| user_error(&e))?;
    let (report, files, grants) = (&outcome.chain, &outcome.attachments, &outcome.grants);
    if json {
        // The problem chain's fields as before, with the grant chain beside them.
        let mut v = serde_json::to_value(report)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("grant_chain".into(), serde_json::to_value(grants)?);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    }

    // Every stored attachment must hash to what its record and its problem's event say.
    for m in files {
        let (zh, en) = match m.reason.as_str() {
            "content" => (
                "文件内容与记录的 SHA-256 不符（文件被改动）",
                "the bytes do not match the recorded SHA-256 (the file was changed)",
            ),
            _ => (
                "没有事件记载该文件（记录被改动或替换）",
                "no event names this file (its record was changed or swapped)",
            ),
        };
        eprintln!(
            "附件被改动 / attachment tampered: problem {}, attachment {} ({}): {zh} / {en}",
            m.problem_id, m.attachment_id, m.file_name
        );
    }
    if let Some(seq) = grants.broken {
        eprintln!(
            "授予审计链断裂 / grant chain broken at event {seq}: 该事件或其前的事件被改动或删除 / this event or one before it was changed or deleted"
        );
    }
    if (!files.is_empty() || grants.broken.is_some()) && report.broken.is_none() {
        return Ok(ExitCode::FAILURE);
    }
    match &report.broken {
        None => {
            if !json {
                println!(
                    "chain intact: {} events (审计链完整：{} 个事件; head {})",
                    report.events, report.events, report.head_hash
                );
                if grants.broken.is_none() {
                    println!(
                        "grant chain intact: {} events (授予审计链完整：{} 个事件; head {})",
                        grants.events, grants.events, grants.head_hash
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            let (zh, en) = match b.reason {
                BreakReason::PrevHash => (
                    "前一事件哈希不符（其前的事件被删除或改动）",
                    "prev_hash does not match the previous event (an event before it was deleted or changed)",
                ),
                BreakReason::Hash => (
                    "事件内容与哈希不符（该事件被改动）",
                    "the event's content does not match its hash (the event was changed)",
                ),
                BreakReason::Unreadable => {
                    ("事件各列无法还原为事件", "the event's columns do not make an event")
                }
                BreakReason::Head => (
                    "链尾与链头记录不符（最新的事件被删除）",
                    "the chain's end does not match the head (the newest events were deleted)",
                ),
            };
            let problem = b.problem_id.map_or("-".to_string(), |p| p.to_string());
            let event = b.event_seq.map_or("-".to_string(), |p| p.to_string());
            eprintln!(
                "审计链断裂 / chain broken at chain seq {} (problem {problem}, event {event}): {zh} / {en}; expected {}, found {}",
                b.chain_seq, b.expected, b.found
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
