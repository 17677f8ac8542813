//! `huiqi worker` (issue 16): the scheduled jobs run once per due time, whoever runs them;
//! `--once` runs what is due, `--run-now` makes a job due, `--list` shows them. The built
//! binary in a temporary directory with its own SQLite database.

use std::path::Path;
use std::process::{Command, Output};

fn huiqi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huiqi")).current_dir(dir).args(args).output().unwrap()
}

fn ok(o: &Output) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(o.status.success(), "stdout: {}\nstderr: {}", text(&o.stdout), text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn the_worker_runs_each_due_job_once_and_an_operator_makes_one_due() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A new zone: every job is due at once, and runs once.
    let first = ok(&huiqi(d, &["worker", "--once"]));
    let mut lines: Vec<&str> = first.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        vec![
            "deliver: sent 0, retried 0, dead 0",
            "inbox: runs 0, newly eligible 0, almost eligible 0",
            "legal_close: closed 0",
            "purge_request_state: anonymous sessions 0, kept files 0",
            "purge_sessions: purged 0",
            "sweep: closed 0",
            "warnings: warnings 0"
        ],
        "{first}"
    );
    // A second worker finds nothing due.
    assert_eq!(ok(&huiqi(d, &["worker", "--once"])), "");
    // The operator makes the sweep due now; the next worker runs only it.
    let o = ok(&huiqi(d, &["worker", "--run-now", "sweep"]));
    assert!(o.contains("sweep") && o.contains("due now"), "{o}");
    // (A due time is an occurrence, to the second: a run-now in the second of the last run is
    // due a second later.)
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(ok(&huiqi(d, &["worker", "--once", "--name", "w2"])), "sweep: closed 0\n");
    // Unknown jobs are refused, bilingual, naming the known ones.
    let o = huiqi(d, &["worker", "--run-now", "sweeep"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("没有这个定时任务") && err.contains("no such scheduled job") && err.contains("sweep"),
        "{err}"
    );
    // The list: every job with its runs, the last by w2.
    let list = ok(&huiqi(d, &["worker", "--list"]));
    for job in ["sweep", "purge_sessions", "purge_request_state"] {
        assert!(list.lines().any(|l| l.starts_with(job)), "{list}");
    }
    assert!(list.contains("by w2 (attempt 1): closed 0"), "{list}");
    assert!(list.contains("runs 2"), "the sweep ran twice, once per due time: {list}");
}
