//! Issue 16 on the real store, both backends: request state every server shares (anonymous
//! sessions, an import's kept files) and scheduled jobs with leases.

use chrono::{DateTime, Duration, FixedOffset};
use store::Store;
use store::jobs::{JobSpec, next_due};
use store::request_state::{AnonymousSession, KeptFile, Purged};

suite!(
    "sc";
    anonymous_sessions_are_shared_and_expire,
    kept_files_are_found_by_token_and_name_and_expire,
    a_due_job_is_claimed_by_one_worker_and_finished_once,
    a_dead_holders_job_is_claimed_again_after_its_lease,
    a_failed_run_is_retried_later,
    the_schema_is_current_after_migrating,
);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

async fn anonymous_sessions_are_shared_and_expire(s: &dyn Store) {
    let now = at("2024-03-01T09:00:00+08:00");
    let a = AnonymousSession {
        token_hash: "a".repeat(64),
        csrf: "c".repeat(64),
        created_at: now,
        expires_at: now + Duration::hours(2),
    };
    s.create_anonymous_session(&a).await.unwrap();
    assert_eq!(s.anonymous_session(&a.token_hash).await.unwrap(), Some(a.clone()));
    assert_eq!(s.anonymous_session(&"b".repeat(64)).await.unwrap(), None);
    let b =
        AnonymousSession { token_hash: "b".repeat(64), expires_at: now + Duration::hours(1), ..a.clone() };
    s.create_anonymous_session(&b).await.unwrap();
    // Ninety minutes later only the first lives.
    let p = s.purge_request_state(now + Duration::minutes(90)).await.unwrap();
    assert_eq!(p, Purged { anonymous_sessions: 1, kept_files: 0 });
    assert_eq!(s.anonymous_session(&b.token_hash).await.unwrap(), None);
    assert!(s.delete_anonymous_session(&a.token_hash).await.unwrap());
    assert!(!s.delete_anonymous_session(&a.token_hash).await.unwrap());
    assert_eq!(s.anonymous_session(&a.token_hash).await.unwrap(), None);
}

async fn kept_files_are_found_by_token_and_name_and_expire(s: &dyn Store) {
    let now = at("2024-03-01T09:00:00+08:00");
    let upload = KeptFile {
        token_hash: "d".repeat(64),
        name: "upload.csv".into(),
        content: "统一社会信用代码,名称\n".as_bytes().to_vec(),
        owner: "admin".into(),
        created_at: now,
        expires_at: now + Duration::hours(24),
    };
    s.keep_file(&upload).await.unwrap();
    let report = KeptFile { name: "changes.csv".into(), content: vec![0, 255, 1], ..upload.clone() };
    s.keep_file(&report).await.unwrap();
    assert_eq!(s.kept_file(&upload.token_hash, "upload.csv").await.unwrap(), Some(upload.clone()));
    assert_eq!(s.kept_file(&upload.token_hash, "changes.csv").await.unwrap(), Some(report.clone()));
    assert_eq!(s.kept_file(&upload.token_hash, "errors.csv").await.unwrap(), None);
    // Kept again under the same name: replaced.
    let again = KeptFile { content: b"x".to_vec(), ..report.clone() };
    s.keep_file(&again).await.unwrap();
    assert_eq!(s.kept_file(&upload.token_hash, "changes.csv").await.unwrap(), Some(again));
    // An abandoned dry run goes after a day.
    let other =
        KeptFile { token_hash: "e".repeat(64), expires_at: now + Duration::hours(1), ..upload.clone() };
    s.keep_file(&other).await.unwrap();
    let p = s.purge_request_state(now + Duration::hours(2)).await.unwrap();
    assert_eq!(p, Purged { anonymous_sessions: 0, kept_files: 1 });
    assert_eq!(s.kept_file(&other.token_hash, "upload.csv").await.unwrap(), None);
    // Applied: every file of the token goes.
    assert_eq!(s.delete_kept_files(&upload.token_hash).await.unwrap(), 2);
    assert_eq!(s.kept_file(&upload.token_hash, "upload.csv").await.unwrap(), None);
}

fn specs() -> Vec<JobSpec> {
    vec![
        JobSpec { name: "sweep".into(), every_seconds: 3600 },
        JobSpec { name: "purge".into(), every_seconds: 600 },
    ]
}

async fn a_due_job_is_claimed_by_one_worker_and_finished_once(s: &dyn Store) {
    let now = at("2024-03-01T09:00:00+08:00");
    s.ensure_jobs(&specs(), now).await.unwrap();
    s.ensure_jobs(&specs(), now + Duration::minutes(5)).await.unwrap();
    let lease = now + Duration::minutes(1);
    // Both due now: the two workers get one each, a third gets nothing.
    let a = s.claim_job("w1", now, lease).await.unwrap().unwrap();
    let b = s.claim_job("w2", now, lease).await.unwrap().unwrap();
    assert_ne!(a.name, b.name);
    assert_eq!((a.due_at, a.attempt), (now, 1));
    assert_eq!(s.claim_job("w3", now, lease).await.unwrap(), None);
    // Only the holder extends or finishes.
    assert!(!s.extend_lease(&a.name, "w2", lease + Duration::minutes(1)).await.unwrap());
    assert!(s.extend_lease(&a.name, "w1", lease + Duration::minutes(1)).await.unwrap());
    let done = now + Duration::seconds(30);
    let next = next_due(a.due_at, a.every_seconds, done);
    assert!(!s.finish_job(&a, "w2", done, "closed 0", next).await.unwrap());
    assert!(s.finish_job(&a, "w1", done, "closed 3", next).await.unwrap());
    assert!(!s.finish_job(&a, "w1", done, "closed 3", next).await.unwrap(), "finished once");
    let runs = s.job_runs(&a.name, 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].owner.as_str(), runs[0].outcome.as_str(), runs[0].due_at), ("w1", "closed 3", now));
    // Not due again before its next time.
    assert_eq!(s.claim_job("w3", done, done + Duration::minutes(1)).await.unwrap(), None);
    let row = s.jobs().await.unwrap().into_iter().find(|j| j.name == a.name).unwrap();
    assert_eq!((row.due_at, row.runs, row.lease_owner), (next, 1, None));
    // An operator makes it due now.
    assert!(s.schedule_job(&a.name, done).await.unwrap());
    assert!(!s.schedule_job("nothing", done).await.unwrap());
    let again = s.claim_job("w3", done, done + Duration::minutes(1)).await.unwrap().unwrap();
    assert_eq!(again.name, a.name);
}

async fn a_dead_holders_job_is_claimed_again_after_its_lease(s: &dyn Store) {
    let now = at("2024-03-01T09:00:00+08:00");
    s.ensure_jobs(&specs()[..1], now).await.unwrap();
    let held = s.claim_job("dead", now, now + Duration::minutes(1)).await.unwrap().unwrap();
    // The holder dies. Within its lease nobody else takes the job…
    assert_eq!(
        s.claim_job("w2", now + Duration::seconds(59), now + Duration::minutes(2)).await.unwrap(),
        None
    );
    // …after it, another worker does: the same occurrence, attempt 2.
    let later = now + Duration::seconds(61);
    let taken = s.claim_job("w2", later, later + Duration::minutes(1)).await.unwrap().unwrap();
    assert_eq!((taken.name.as_str(), taken.due_at, taken.attempt), ("sweep", held.due_at, 2));
    // The dead holder, come back, can no longer finish it; the new one does.
    let next = next_due(taken.due_at, taken.every_seconds, later);
    assert!(!s.finish_job(&held, "dead", later, "late", next).await.unwrap());
    assert!(s.finish_job(&taken, "w2", later, "closed 1", next).await.unwrap());
    let runs = s.job_runs("sweep", 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].owner.as_str(), runs[0].attempt), ("w2", 2));
}

async fn a_failed_run_is_retried_later(s: &dyn Store) {
    let now = at("2024-03-01T09:00:00+08:00");
    s.ensure_jobs(&specs()[..1], now).await.unwrap();
    let c = s.claim_job("w1", now, now + Duration::minutes(1)).await.unwrap().unwrap();
    let retry = store::jobs::retry_at(c.attempt, now);
    assert!(s.fail_job(&c, "w1", "database busy", retry).await.unwrap());
    assert_eq!(
        s.claim_job("w1", now + Duration::seconds(30), now + Duration::minutes(2)).await.unwrap(),
        None
    );
    let again = s.claim_job("w2", retry, retry + Duration::minutes(1)).await.unwrap().unwrap();
    assert_eq!(again.attempt, 2);
    let row = s.jobs().await.unwrap().remove(0);
    assert_eq!((row.runs, row.last_outcome.as_deref()), (0, Some("database busy")));
}

async fn the_schema_is_current_after_migrating(s: &dyn Store) {
    let st = s.schema_status().await.unwrap();
    assert!(st.current(), "{st:?}");
    assert_eq!(st.applied, st.known);
    // Migrating again applies nothing.
    assert!(s.migrate().await.unwrap().applied.is_empty());
}
