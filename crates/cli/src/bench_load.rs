//! `huiqi bench load`: a load client for one or several servers behind a proxy (issue 16).
//! Each of `--clients` clients signs in the way a browser does (the sign-in page for its
//! CSRF token, then the form, each request free to land on any server), reads its session's
//! CSRF token from a page, then for `--seconds` either submits problems
//! (`POST /api/v1/problems`, each with a title of its own) or reads an enterprise's decisions
//! (`GET /api/v1/enterprises/{uscc}/decisions`).
//!
//! What it counts: acknowledged requests (201 / 200) and their latencies; failures by status
//! and transport errors (a server killed mid-request); sign-ins and **lost sign-ins** (a
//! request of a signed-in client answered 401 or redirected to the sign-in page: its session
//! was not found by the server that got it; the client signs in again and it is counted).
//! A failed submission is never retried under the same title, so every acknowledged title
//! must be stored exactly once and an unacknowledged one at most once; `--acked FILE` writes
//! the acknowledged titles and ids (tab-separated) for the caller to check against the
//! database. Prints one JSON summary. Not a test by itself: `tests/scale/run.sh` asserts.

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoadMode {
    /// Submit problems.
    Submit,
    /// Read an enterprise's decisions.
    Decide,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The server or proxy, `http://host:port`.
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    #[arg(long, value_enum, default_value_t = LoadMode::Submit)]
    pub mode: LoadMode,
    /// The enterprise user the clients sign in as (the demo zone's).
    #[arg(long, default_value = "qiye")]
    pub username: String,
    #[arg(long, default_value = "qiye-demo-2022")]
    pub password: String,
    /// A word in every title, so that one run's problems are found again.
    #[arg(long, default_value = "压测")]
    pub tag: String,
    /// Writes every acknowledged submission as `title<TAB>id`, one a line.
    #[arg(long)]
    pub acked: Option<std::path::PathBuf>,
    /// Seconds a request may take before it counts as failed.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    acked: AtomicU64,
    transport_errors: AtomicU64,
    sign_ins: AtomicU64,
    sign_in_failures: AtomicU64,
    lost_sessions: AtomicU64,
}

#[derive(Default)]
struct Shared {
    latencies_us: Mutex<Vec<u64>>,
    statuses: Mutex<std::collections::BTreeMap<u16, u64>>,
    acked: Mutex<Vec<(String, i64)>>,
    /// When the first request was acknowledged (the clients are signing in before).
    first_ack: Mutex<Option<Instant>>,
}

#[derive(serde::Serialize)]
struct Summary {
    mode: &'static str,
    clients: usize,
    seconds: f64,
    sent: u64,
    acknowledged: u64,
    per_second: f64,
    /// Acknowledged per second from the first acknowledgement on (sign-ins excluded).
    steady_per_second: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    failed_by_status: std::collections::BTreeMap<u16, u64>,
    transport_errors: u64,
    sign_ins: u64,
    sign_in_failures: u64,
    lost_sessions: u64,
}

/// A signed-in client: its session cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

fn cookie_of(resp: &reqwest::Response) -> Option<String> {
    resp.headers().get_all(reqwest::header::SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let pair = v.split(';').next()?.trim();
        (pair.starts_with("huiqi_session=") && pair.len() > "huiqi_session=".len()).then(|| pair.to_string())
    })
}

fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let rest = &html[at..];
    Some(rest[..rest.find('"')?].to_string())
}

/// Signs in as a browser does; retries (counted) until it works or the run ends.
async fn sign_in(c: &reqwest::Client, a: &LoadArgs, counts: &Counts, until: Instant) -> Option<Session> {
    while Instant::now() < until {
        counts.sign_ins.fetch_add(1, Ordering::Relaxed);
        match try_sign_in(c, a).await {
            Ok(s) => return Some(s),
            Err(e) => {
                counts.sign_in_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "sign-in failed");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    None
}

async fn try_sign_in(c: &reqwest::Client, a: &LoadArgs) -> anyhow::Result<Session> {
    let page = c.get(format!("{}/login", a.url)).send().await?;
    anyhow::ensure!(page.status().is_success(), "GET /login: {}", page.status());
    let anon = cookie_of(&page).context("no anonymous session cookie")?;
    let csrf = csrf_in(&page.text().await?).context("no CSRF token on the sign-in page")?;
    let form =
        format!("username={}&password={}&csrf={csrf}&next=%2F", percent(&a.username), percent(&a.password));
    let r = c
        .post(format!("{}/login", a.url))
        .header(reqwest::header::COOKIE, &anon)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_redirection(), "POST /login: {}", r.status());
    let cookie = cookie_of(&r).context("no session cookie after sign-in")?;
    let home = c.get(format!("{}/", a.url)).header(reqwest::header::COOKIE, &cookie).send().await?;
    anyhow::ensure!(home.status().is_success(), "GET / after sign-in: {}", home.status());
    let csrf = csrf_in(&home.text().await?).context("no CSRF token on the home page")?;
    Ok(Session { cookie, csrf })
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The enterprise of the signed-in user (for decisions).
async fn own_enterprise(c: &reqwest::Client, a: &LoadArgs, s: &Session) -> anyhow::Result<String> {
    let me: serde_json::Value = c
        .get(format!("{}/api/v1/me", a.url))
        .header(reqwest::header::COOKIE, &s.cookie)
        .send()
        .await?
        .json()
        .await?;
    me["enterprise"].as_str().map(str::to_string).context("the user has no enterprise")
}

async fn client(
    n: usize,
    c: reqwest::Client,
    a: Arc<LoadArgs>,
    counts: Arc<Counts>,
    shared: Arc<Shared>,
    until: Instant,
    stop: Arc<AtomicBool>,
) {
    let Some(mut s) = sign_in(&c, &a, &counts, until).await else { return };
    let mut uscc = None;
    let mut seq = 0u64;
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        seq += 1;
        let started = Instant::now();
        let req = match a.mode {
            LoadMode::Submit => {
                let title = format!("{} c{n} #{seq}", a.tag);
                let body = serde_json::json!({"category": "tax", "title": title, "description": "负载测试 / load test"});
                (
                    c.post(format!("{}/api/v1/problems", a.url)).header("x-csrf-token", &s.csrf).json(&body),
                    Some(title),
                )
            }
            LoadMode::Decide => {
                if uscc.is_none() {
                    uscc = own_enterprise(&c, &a, &s).await.ok();
                }
                let Some(u) = uscc.as_deref() else {
                    counts.transport_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                (c.get(format!("{}/api/v1/enterprises/{u}/decisions?date=2022-06-30", a.url)), None)
            }
        };
        let (req, title) = req;
        counts.sent.fetch_add(1, Ordering::Relaxed);
        match req.header(reqwest::header::COOKIE, &s.cookie).send().await {
            Ok(r) => {
                let status = r.status();
                let ok = if a.mode == LoadMode::Submit { status == 201 } else { status == 200 };
                if ok {
                    let id = if title.is_some() {
                        r.json::<serde_json::Value>().await.ok().and_then(|v| v["id"].as_i64())
                    } else {
                        let _ = r.bytes().await;
                        None
                    };
                    counts.acked.fetch_add(1, Ordering::Relaxed);
                    shared.first_ack.lock().await.get_or_insert_with(Instant::now);
                    shared.latencies_us.lock().await.push(started.elapsed().as_micros() as u64);
                    if let (Some(t), Some(id)) = (title, id) {
                        shared.acked.lock().await.push((t, id));
                    }
                } else {
                    *shared.statuses.lock().await.entry(status.as_u16()).or_default() += 1;
                    if status == 401 || status.is_redirection() {
                        counts.lost_sessions.fetch_add(1, Ordering::Relaxed);
                        match sign_in(&c, &a, &counts, until).await {
                            Some(again) => s = again,
                            None => return,
                        }
                    }
                }
            }
            Err(_) => {
                counts.transport_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

pub async fn run(a: LoadArgs) -> anyhow::Result<ExitCode> {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(a.timeout))
        .pool_max_idle_per_host(a.clients)
        .build()?;
    let a = Arc::new(a);
    let counts = Arc::new(Counts::default());
    let shared = Arc::new(Shared::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let until = started + Duration::from_secs(a.seconds);
    let tasks: Vec<_> = (0..a.clients)
        .map(|n| {
            tokio::spawn(client(
                n,
                c.clone(),
                Arc::clone(&a),
                Arc::clone(&counts),
                Arc::clone(&shared),
                until,
                Arc::clone(&stop),
            ))
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let steady = shared.first_ack.lock().await.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let mut lat = std::mem::take(&mut *shared.latencies_us.lock().await);
    lat.sort_unstable();
    if let Some(path) = &a.acked {
        let acked = shared.acked.lock().await;
        let text: String = acked.iter().map(|(t, id)| format!("{t}\t{id}\n")).collect();
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let acked = counts.acked.load(Ordering::Relaxed);
    let s = Summary {
        mode: match a.mode {
            LoadMode::Submit => "submit",
            LoadMode::Decide => "decide",
        },
        clients: a.clients,
        seconds: secs,
        sent: counts.sent.load(Ordering::Relaxed),
        acknowledged: acked,
        per_second: acked as f64 / secs.max(0.001),
        steady_per_second: acked as f64 / steady.max(0.001),
        p50_ms: percentile(&lat, 0.50),
        p90_ms: percentile(&lat, 0.90),
        p99_ms: percentile(&lat, 0.99),
        max_ms: lat.last().map_or(0.0, |m| *m as f64 / 1000.0),
        failed_by_status: shared.statuses.lock().await.clone(),
        transport_errors: counts.transport_errors.load(Ordering::Relaxed),
        sign_ins: counts.sign_ins.load(Ordering::Relaxed),
        sign_in_failures: counts.sign_in_failures.load(Ordering::Relaxed),
        lost_sessions: counts.lost_sessions.load(Ordering::Relaxed),
    };
    println!("{}", serde_json::to_string(&s)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_is_read_from_a_form() {
        let html = r#"<form><input type="hidden" name="csrf" value="abc123"><input name="x"></form>"#;
        assert_eq!(csrf_in(html).as_deref(), Some("abc123"));
        assert_eq!(csrf_in("<p>none</p>"), None);
        assert_eq!(percent("a b&c"), "a%20b%26c");
        assert_eq!(percentile(&[1000, 2000, 3000, 4000], 0.5), 3.0);
    }
}
