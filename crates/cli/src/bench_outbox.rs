//! `huiqi bench outbox`: the push path at scale (issue 12 "Push"), through the app use cases
//! as a deployment runs them. Imports a registry ([`import::synth::write_grants_csv`], a child
//! process), starts a local webhook receiver in this process, saves a webhook channel to it
//! (`app::push::save_channel`), runs the match (a child process), generates the inboxes
//! (`app::inbox::generate`, the job `inbox`: newly eligible and almost eligible messages, one
//! outbox row each for the channel), then delivers the outbox (`app::push::deliver`, the job
//! `deliver`) and reports messages per second.
//!
//! The receiver is what a real one does: HTTP/1.1 with keep-alive on 127.0.0.1, each
//! request's `X-Huiqi-Signature` checked against the channel's secret
//! ([`app::push::verify`]), its `Idempotency-Key` kept; it answers 204. The bench fails when
//! a signature is wrong, a key is missing or a message was not received.

use super::Context;
use anyhow::Context as _;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Enterprises to import (the `grants` registry of `bench grants`).
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Use what the database holds: its enterprises and a match run whose inbox is not
    /// generated yet (e.g. after `bench grants`), without importing or matching.
    #[arg(long)]
    pub no_import: bool,
    /// The match date, YYYY-MM-DD.
    #[arg(long, default_value = "2022-06-30")]
    pub date: String,
    /// Outbox rows a worker claims at once (default: the worker's).
    #[arg(long)]
    pub batch: Option<u32>,
    /// Requests in flight at once (default: the worker's).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

const SECRET: &str = "bench-outbox-secret-0123456789";

/// What the receiver saw.
#[derive(Debug, Default)]
struct Seen {
    requests: u64,
    bad_signatures: u64,
    /// Idempotency key → requests carrying it.
    keys: HashMap<i64, u32>,
}

/// One keep-alive connection: requests read one after the other, each answered 204 (or 400
/// when it is not a signed delivery).
async fn serve(stream: tokio::net::TcpStream, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let (mut length, mut timestamp, mut signature, mut key) =
            (0usize, String::new(), String::new(), None);
        loop {
            line.clear();
            if read.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else { continue };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "x-huiqi-timestamp" => timestamp = value.to_string(),
                "x-huiqi-signature" => signature = value.to_string(),
                "idempotency-key" => key = value.parse::<i64>().ok(),
                _ => {}
            }
        }
        let mut body = vec![0u8; length];
        read.read_exact(&mut body).await?;
        let good = app::push::verify(SECRET, &timestamp, &body, &signature);
        {
            let mut s = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            s.requests += 1;
            match (good, key) {
                (true, Some(k)) => *s.keys.entry(k).or_default() += 1,
                _ => s.bad_signatures += 1,
            }
        }
        let answer: &[u8] = if good && key.is_some() {
            b"HTTP/1.1 204 No Content\r\n\r\n"
        } else {
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"
        };
        write.write_all(answer).await?;
    }
}

/// Starts the receiver on a free local port; its URL.
async fn receiver(seen: Arc<Mutex<Seen>>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, Arc::clone(&seen)));
        }
    });
    Ok(format!("http://127.0.0.1:{port}/hook"))
}

#[derive(Debug, serde::Serialize)]
struct OutboxOut {
    backend: &'static str,
    rows: Option<usize>,
    import_s: Option<f64>,
    match_s: Option<f64>,
    /// Inbox generation: wall seconds, enterprises gone through, messages written (each with
    /// its outbox row).
    inbox_s: f64,
    inbox_enterprises: u64,
    newly_eligible: u64,
    almost_eligible: u64,
    /// Delivery: wall seconds, messages sent, per second.
    deliver_s: f64,
    sent: u64,
    retried: u64,
    dead: u64,
    messages_per_s: f64,
    batch: u32,
    concurrency: usize,
    /// What the receiver saw.
    requests: u64,
    distinct_keys: usize,
    bad_signatures: u64,
    peak_rss_mib: Option<f64>,
}

pub async fn run(a: OutboxArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::tempdir()?;
    let url = crate::bench_grants::database(ctx, &tmp);
    let say = |line: String| {
        if !a.json {
            println!("{line}");
        }
    };
    let (mut import_s, mut match_s) = (None, None);
    if !a.no_import {
        let (s, _) = crate::bench_grants::import_registry(&url, a.rows, &tmp)?;
        say(format!("import {} enterprises (a child process): {s:.2} s", a.rows));
        import_s = Some(s);
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let hook = receiver(Arc::clone(&seen)).await?;
    let app = crate::open_app(&Context::of(url.clone())).await?;
    let admin = app::Principal::operator("bench");
    let channel = app::push::ChannelRequest {
        name: "bench-hook".into(),
        kind: "webhook".into(),
        url: hook.clone(),
        secret: SECRET.into(),
        enabled: true,
    };
    app::push::save_channel(&app, &admin, &channel).await.map_err(crate::app_error)?;
    say(format!("receiver: {hook}"));
    if !a.no_import {
        let (s, _) = crate::bench_grants::child(&url, &["policy", "match", "--date", &a.date, "--json"])?;
        say(format!("match (policy match, a child process): {s:.2} s"));
        match_s = Some(s);
    }
    let t = Instant::now();
    let generated = app::inbox::generate(&app).await.map_err(crate::app_error)?;
    let inbox_s = t.elapsed().as_secs_f64();
    let newly: u64 = generated.iter().map(|g| g.newly_eligible).sum();
    let almost: u64 = generated.iter().map(|g| g.almost_eligible).sum();
    let enterprises: u64 = generated.iter().map(|g| g.enterprises).sum();
    say(format!(
        "inbox generation: {inbox_s:.2} s, {enterprises} enterprises, {newly} newly eligible + {almost} almost eligible messages"
    ));
    let mut config = app::push::DeliveryConfig::new("bench-outbox");
    if let Some(b) = a.batch {
        config.batch = b;
    }
    if let Some(c) = a.concurrency {
        config.concurrency = c;
    }
    let t = Instant::now();
    let d = app::push::deliver(&app, &config).await.map_err(crate::app_error)?;
    let deliver_s = t.elapsed().as_secs_f64();
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let backend = if crate::db::is_postgres(&url) { "postgres" } else { "sqlite" };
    let out = OutboxOut {
        backend,
        rows: (!a.no_import).then_some(a.rows),
        import_s,
        match_s,
        inbox_s,
        inbox_enterprises: enterprises,
        newly_eligible: newly,
        almost_eligible: almost,
        deliver_s,
        sent: d.sent,
        retried: d.retried,
        dead: d.dead,
        messages_per_s: d.sent as f64 / deliver_s.max(1e-9),
        batch: config.batch,
        concurrency: config.concurrency,
        requests: seen.requests,
        distinct_keys: seen.keys.len(),
        bad_signatures: seen.bad_signatures,
        peak_rss_mib: super::bench::peak_memory_mib(),
    };
    anyhow::ensure!(out.bad_signatures == 0, "the receiver saw {} badly signed requests", out.bad_signatures);
    anyhow::ensure!(
        out.distinct_keys as u64 == out.sent && out.retried == 0 && out.dead == 0,
        "sent {} (retried {}, dead {}) but the receiver acted on {} keys",
        out.sent,
        out.retried,
        out.dead,
        out.distinct_keys
    );
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out).context("json")?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{backend}: delivered {} messages in {:.2} s: {:.0} messages/s (batch {}, {} in flight); \
         the receiver saw {} requests, {} keys, {} bad signatures",
        out.sent,
        out.deliver_s,
        out.messages_per_s,
        out.batch,
        out.concurrency,
        out.requests,
        out.distinct_keys,
        out.bad_signatures
    );
    let peak = out.peak_rss_mib.map_or("unavailable".to_string(), |m| format!("{m:.0} MiB"));
    println!("  peak memory (VmHWM): {peak}");
    Ok(ExitCode::SUCCESS)
}
