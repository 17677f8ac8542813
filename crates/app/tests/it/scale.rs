//! Many servers over one PostgreSQL (issue 16), the use cases' side.
//!
//! Scheduled jobs across servers: three workers, each over its own connection pool
//! to one PostgreSQL schema (three servers, as far as the database can tell), one sweep due.
//! It runs once; the worker holding it is killed mid-job (its task aborted, its lease left
//! to run out, as after a SIGKILL) and another worker finishes it, each unconfirmed answer
//! closed exactly once; a SQLite run checks the same worker in one process.
//!
//! Caches followed across servers: server B follows stored documents (`app::live::follow`);
//! server A's save of the time limits reaches B through `LISTEN/NOTIFY` within seconds, long
//! before B's fallback timer (60 s).
//!
//! The PostgreSQL tests are skipped without `HUIQI_TEST_PG_URL`.

use app::App;
use app::jobs::{Job, Worker, WorkerConfig};
use chrono::{DateTime, Duration, FixedOffset};
use enterprise::{Enterprise, EnterpriseRecord, Routing, UnifiedCreditCode};
use handling::{
    Action, ActionKind, Actor as HActor, Channel, Command, Outcome, Problem, Role as HRole, TimeLimits,
    Urgency,
};
use std::sync::Arc;
use std::time::Instant;
use store::documents::{DocumentKind, TIME_LIMITS_NAME};
use store::{ImportFormat, ImportRequest, Stamp, Store};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn code(n: u32) -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 30_000_000 + n)).unwrap()
}

const PROBLEMS: u32 = 5;

/// Five problems answered on 2022-05-06 and never confirmed: due for the sweep from
/// 2022-05-14 (five working days).
async fn answered_problems(s: &dyn Store) -> Vec<i64> {
    let records = (1..=PROBLEMS)
        .map(|i| EnterpriseRecord {
            scope: Default::default(),
            enterprise: Enterprise {
                uscc: code(i),
                name: format!("长沙麓谷第{i}电子有限公司"),
                registered_in_zone: true,
                tax_registered_in_zone: true,
                industry_code: None,
                established_on: None,
                taxpayer_type: None,
                tax_credit_rating: None,
                tags: Default::default(),
            },
            facts: vec![],
        })
        .collect();
    s.apply_import(ImportRequest {
        actor: Stamp::new("admin", at("2022-01-01T09:00:00+08:00")),
        file_name: "e.csv".into(),
        format: ImportFormat::Csv,
        records,
        dry_run: false,
    })
    .await
    .unwrap();
    let ed = HActor {
        username: "staff-ed".into(),
        role: HRole::Department,
        department: Some("economic_development".into()),
        enterprise: None,
    };
    let mut ids = Vec::new();
    for n in 1..=PROBLEMS {
        let ent = HActor {
            username: format!("qiye{n}"),
            role: HRole::Enterprise,
            department: None,
            enterprise: Some(code(n)),
        };
        let received = at("2022-05-05T09:00:00+08:00");
        let p = Problem {
            enterprise: code(n),
            channel: Channel::SelfService,
            category: "policy_questions".into(),
            title: "厂房租金减免咨询".into(),
            description: "询问2022年房租减免政策".into(),
            attachments: vec![],
            urgency: Urgency::Normal,
            confidential: false,
            received_at: received,
            visit: None,
        };
        let id =
            s.create_problem(p, &ent, received, Routing::seed(), TimeLimits::defaults()).await.unwrap().id;
        let steps = [
            (Command::new(Action::Accept), "2022-05-05T10:00:00+08:00"),
            (
                Command::new(Action::Assign {
                    lead: "economic_development".into(),
                    cooperating: vec![],
                    handler: None,
                }),
                "2022-05-05T10:10:00+08:00",
            ),
            (Command::new(Action::Start), "2022-05-05T10:20:00+08:00"),
            (
                Command::with_note(Action::Answer { outcome: Outcome::Resolved }, "已按政策减免"),
                "2022-05-06T15:00:00+08:00",
            ),
        ];
        for (cmd, when) in steps {
            s.record_transition(id, &cmd, &ed, at(when), at(when)).await.unwrap();
        }
        ids.push(id);
    }
    ids
}

/// The sweep as the catalogue runs it, except that its first attempt does the work and then
/// hangs before returning (so it is killed after doing the work but before recording it,
/// the hardest case), when `hang_after_work`; or hangs before any work otherwise.
fn sweep_killed_in_its_first_attempt(hang_after_work: bool) -> Job {
    Job::new(app::jobs::SWEEP, Duration::hours(1), move |app, claim| async move {
        if claim.attempt == 1 {
            if hang_after_work {
                app::problems::sweep(&app, None).await?;
            }
            std::future::pending::<()>().await;
        }
        let n = app::problems::sweep(&app, None).await?;
        Ok(format!("closed {n}"))
    })
}

/// How often each problem was closed without confirmation.
async fn auto_closures(s: &dyn Store, ids: &[i64]) -> Vec<usize> {
    let mut out = Vec::new();
    for id in ids {
        let r = s.get_problem(*id).await.unwrap();
        out.push(r.events.iter().filter(|e| e.event.kind() == ActionKind::AutoCloseUnrated).count());
    }
    out
}

async fn three_servers(url: &str, schema: &str) -> Vec<Arc<dyn Store>> {
    let first = store_pg::PgStore::connect_fresh_schema(url, schema).await.unwrap();
    first.migrate().await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let same_schema = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let mut out: Vec<Arc<dyn Store>> = vec![Arc::new(first)];
    for _ in 0..2 {
        let s = store_pg::PgStore::connect(&same_schema).await.unwrap();
        s.migrate().await.unwrap();
        out.push(Arc::new(s));
    }
    out
}

async fn kill_the_holder_and_another_finishes(hang_after_work: bool, schema: &str) {
    let Ok(url) = std::env::var("HUIQI_TEST_PG_URL") else {
        eprintln!("note: HUIQI_TEST_PG_URL is not set; skipping the three-server job test");
        return;
    };
    let stores = three_servers(&url, schema).await;
    let ids = answered_problems(stores[0].as_ref()).await;
    let clock = Arc::new(app::FixedClock::new(at("2022-06-01T09:00:00+08:00")));
    let lease = Duration::seconds(30);
    let workers: Vec<Arc<Worker>> = stores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let app = App::new(Arc::clone(s)).with_clock(clock.clone());
            let mut c = WorkerConfig::new(format!("server{}", i + 1));
            c.lease = lease;
            Arc::new(Worker::new(app, c, vec![sweep_killed_in_its_first_attempt(hang_after_work)]))
        })
        .collect();
    for w in &workers {
        w.prepare().await.unwrap();
    }
    // One sweep due, three servers after it at once: one claims it, the others find nothing.
    let tasks: Vec<_> = workers
        .iter()
        .map(|w| {
            let w = Arc::clone(w);
            tokio::spawn(async move { w.run_one().await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mut holder = None;
    for (i, t) in tasks.into_iter().enumerate() {
        if t.is_finished() {
            assert_eq!(t.await.unwrap().unwrap(), None, "server{} found nothing due", i + 1);
        } else {
            assert!(holder.is_none(), "only one server runs the sweep");
            holder = Some((i, t));
        }
    }
    let (dead, task) = holder.expect("one server holds the sweep");
    let jobs = stores[0].jobs().await.unwrap();
    assert_eq!(jobs[0].lease_owner.as_deref(), Some(format!("server{}", dead + 1).as_str()));
    // Kill it mid-job: nothing more of it runs, nothing is released.
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let before = auto_closures(stores[0].as_ref(), &ids).await;
    assert_eq!(before, vec![usize::from(hang_after_work); ids.len()]);
    // Within the lease the others leave it alone…
    clock.advance(Duration::seconds(20));
    for (i, w) in workers.iter().enumerate().filter(|(i, _)| *i != dead) {
        assert_eq!(w.run_one().await.unwrap(), None, "server{} waits for the lease", i + 1);
    }
    // …after it, the two survivors race for it and one finishes it.
    clock.advance(Duration::seconds(11));
    let racers: Vec<_> = workers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != dead)
        .map(|(_, w)| {
            let w = Arc::clone(w);
            tokio::spawn(async move { w.run_one().await.unwrap() })
        })
        .collect();
    let mut finished = Vec::new();
    for r in racers {
        if let Some(ran) = r.await.unwrap() {
            finished.push(ran);
        }
    }
    assert_eq!(finished.len(), 1, "one survivor ran it: {finished:?}");
    let ran = &finished[0];
    let expect = if hang_after_work { "closed 0" } else { "closed 5" };
    assert_eq!((ran.attempt, ran.outcome.as_deref(), ran.recorded), (2, Ok(expect), true));
    // Every unconfirmed answer closed exactly once; one run recorded, by a survivor.
    assert_eq!(auto_closures(stores[1].as_ref(), &ids).await, vec![1; ids.len()]);
    let runs = stores[2].job_runs(app::jobs::SWEEP, 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_ne!(runs[0].owner, format!("server{}", dead + 1));
    assert_eq!((runs[0].attempt, runs[0].due_at), (2, at("2022-06-01T09:00:00+08:00")));
    // Not due again until an hour after its due time; the audit chain is whole.
    for w in &workers {
        assert_eq!(w.run_one().await.unwrap(), None);
    }
    let audit = stores[0].audit_verify().await.unwrap();
    assert!(audit.broken.is_none(), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_one_sweep_killed_before_its_work_another_does_it_once() {
    kill_the_holder_and_another_finishes(false, "jobs_killed_before_work").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_one_sweep_killed_after_its_work_another_records_it_and_closes_nothing_twice() {
    kill_the_holder_and_another_finishes(true, "jobs_killed_after_work").await;
}

/// The catalogue's jobs on one SQLite file: all due at first, each run once, then nothing due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_runs_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("h.db")).unwrap();
    s.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(s);
    let ids = answered_problems(store.as_ref()).await;
    let clock = Arc::new(app::FixedClock::new(at("2022-06-01T09:00:00+08:00")));
    let app = App::new(Arc::clone(&store)).with_clock(clock.clone());
    let w = Worker::new(app, WorkerConfig::new("solo"), app::jobs::catalogue());
    w.prepare().await.unwrap();
    let mut ran = Vec::new();
    while let Some(r) = w.run_one().await.unwrap() {
        ran.push((r.job, r.outcome.unwrap()));
    }
    ran.sort();
    assert_eq!(
        ran,
        vec![
            ("deliver".to_string(), "sent 0, retried 0, dead 0".to_string()),
            ("inbox".to_string(), "runs 0, newly eligible 0, almost eligible 0".to_string()),
            ("legal_close".to_string(), "closed 0".to_string()),
            ("purge_request_state".to_string(), "anonymous sessions 0, kept files 0".to_string()),
            ("purge_sessions".to_string(), "purged 0".to_string()),
            ("sweep".to_string(), "closed 5".to_string()),
            ("warnings".to_string(), "warnings 0".to_string()),
        ]
    );
    assert_eq!(auto_closures(store.as_ref(), &ids).await, vec![1; ids.len()]);
    // Ten minutes on, the request-state purge is due again, and push's jobs (every minute);
    // not the hourly ones.
    clock.advance(Duration::minutes(10));
    let mut again = Vec::new();
    while let Some(r) = w.run_one().await.unwrap() {
        again.push(r.job);
    }
    again.sort();
    assert_eq!(again, vec!["deliver", "inbox", "purge_request_state", "warnings"]);
}

const SHIPPED: &str = include_str!("../../../handling/data/time_limits.toml");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_on_one_server_reaches_another_through_notify() {
    let Ok(url) = std::env::var("HUIQI_TEST_PG_URL") else {
        eprintln!("note: HUIQI_TEST_PG_URL is not set; skipping the change-signal test");
        return;
    };
    let schema = "signals_two_servers";
    let a = store_pg::PgStore::connect_fresh_schema(&url, schema).await.unwrap();
    a.migrate().await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let b =
        store_pg::PgStore::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}")).await.unwrap();
    let (a, b): (Arc<dyn Store>, Arc<dyn Store>) = (Arc::new(a), Arc::new(b));
    let stamp = |at| Stamp::new("admin", at);
    let now = chrono::DateTime::parse_from_rfc3339("2024-03-01T09:00:00+08:00").unwrap();
    a.put_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME, None, SHIPPED.to_string(), &stamp(now))
        .await
        .unwrap();

    let server_b = App::new(Arc::clone(&b));
    tokio::spawn(app::live::follow(server_b.clone()));
    // B follows what is stored as soon as it listens (its first resync).
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    while server_b.live.time_limits().confirm_workdays != 5
        || server_b.live.time_limits().yellow_percent != 80
    {
        assert!(Instant::now() < deadline, "B never loaded the stored limits");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Give the listener its LISTEN before the save.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // A saves new limits: confirmation within 7 working days, yellow at 70 %.
    let changed = SHIPPED
        .replace("confirm_workdays = 5", "confirm_workdays = 7")
        .replace("yellow_percent = 80", "yellow_percent = 70");
    assert_ne!(changed, SHIPPED);
    a.put_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME, Some(1), changed, &stamp(now)).await.unwrap();
    let saved = Instant::now();
    while server_b.live.time_limits().confirm_workdays != 7 {
        assert!(
            saved.elapsed() < std::time::Duration::from_secs(3),
            "the save did not reach B by its signal"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(server_b.live.time_limits().yellow_percent, 70);
    eprintln!("followed in {} ms", saved.elapsed().as_millis());
}
