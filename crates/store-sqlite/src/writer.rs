//! The writer thread: the one connection that writes, fed by a channel, with group commit
//! (many concurrent writes share one transaction and one fsync, each in its own savepoint),
//! and large writes alone in a transaction of their own (no savepoint).

use rusqlite::Connection;
use std::sync::mpsc;
use store::{Result, StoreError};

use crate::{SqliteStore, run_cached};

impl SqliteStore {
    /// Runs `f` on the writer connection in a transaction; answers after the commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.send_job(f, false).await
    }

    /// Runs `f` on the writer connection in a transaction of its own, without the savepoint
    /// that shares a transaction with other writes; answers after the commit. For the large
    /// writes (a grant run's grants, a match run's results): inside a savepoint SQLite copies
    /// every page the job changes into an in-memory sub-journal and walks it again at the end
    /// of each statement, so a job that changes many pages took time quadratic in its size
    /// (measured: 43 % of a million-enterprise grant run's writer time). Alone, a failing job
    /// rolls back its whole transaction, which holds only that job.
    pub(crate) async fn write_alone<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.send_job(f, true).await
    }

    async fn send_job<T, F>(&self, f: F, alone: bool) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Box::new(TypedJob { f: Some(f), alone, result: None, reply: Some(tx) });
        {
            let sender =
                self.writer.lock().map_err(|_| StoreError::Backend("writer lock poisoned".into()))?;
            sender.send(job).map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        }
        rx.await.map_err(|_| StoreError::Backend("the SQLite writer dropped a job".into()))?
    }
}

/// A write waiting for the writer thread. `run` executes it inside the open transaction (in
/// its own savepoint, unless it is `alone` in the transaction); `finish` answers the caller
/// once the transaction's fate is known.
pub(crate) trait WriteJob: Send {
    fn run(&mut self, conn: &Connection);
    /// Whether the job runs in a transaction of its own, without a savepoint.
    fn alone(&self) -> bool;
    /// Whether `run` failed (an alone job's transaction is then rolled back).
    fn failed(&self) -> bool;
    fn finish(self: Box<Self>, commit: Result<()>);
}

struct TypedJob<T, F> {
    f: Option<F>,
    alone: bool,
    result: Option<Result<T>>,
    reply: Option<tokio::sync::oneshot::Sender<Result<T>>>,
}

impl<T, F> WriteJob for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) {
        let Some(f) = self.f.take() else { return };
        // A panic in a job must not kill the writer: it fails this job only.
        let call = move || match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn))) {
            Ok(r) => r,
            Err(_) => Err(StoreError::Backend("a write panicked".into())),
        };
        if self.alone {
            self.result = Some(call());
            return;
        }
        let r = run_cached(conn, "SAVEPOINT job").and_then(|()| call());
        let end = if r.is_err() {
            run_cached(conn, "ROLLBACK TO job").and_then(|()| run_cached(conn, "RELEASE job"))
        } else {
            run_cached(conn, "RELEASE job")
        };
        self.result = Some(match end {
            Ok(()) => r,
            Err(e) => Err(e),
        });
    }

    fn alone(&self) -> bool {
        self.alone
    }

    fn failed(&self) -> bool {
        matches!(self.result, Some(Err(_)))
    }

    fn finish(mut self: Box<Self>, commit: Result<()>) {
        let r = match (commit, self.result.take()) {
            (Err(e), _) => Err(e),
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(StoreError::Backend("a write was not run".into())),
        };
        if let Some(reply) = self.reply.take() {
            // The caller may have gone away (request cancelled); the write stands.
            let _ = reply.send(r);
        }
    }
}

/// The most writes that share one commit.
const MAX_GROUP: usize = 256;

/// The writer thread, with group commit: it takes the first waiting job and every job
/// queued behind it (up to [`MAX_GROUP`]), runs each in its own savepoint inside ONE
/// transaction, commits once (one fsync under `synchronous=FULL`), and only then answers
/// every caller. A job that fails rolls back to its savepoint and fails alone; a failed
/// commit fails them all. Under load the queue fills while a commit is on disk, so many
/// concurrent writes share each fsync; alone, a write commits at once. Ends when the store
/// is dropped. The transaction and savepoint statements come from the statement cache: the
/// writer is the one serial step of every write, so it parses no SQL per job.
///
/// A job sent `alone` ([`SqliteStore::write_alone`]) ends the group gathered before it and
/// then runs in a transaction of its own: committed when it succeeds, rolled back when it
/// fails.
pub(crate) fn writer_loop(conn: Connection, rx: mpsc::Receiver<Box<dyn WriteJob>>) {
    let mut group: Vec<Box<dyn WriteJob>> = Vec::with_capacity(MAX_GROUP);
    let mut held: Option<Box<dyn WriteJob>> = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
        };
        if first.alone() {
            run_alone(&conn, first);
            continue;
        }
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) if job.alone() => {
                    held = Some(job);
                    break;
                }
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = run_cached(&conn, "BEGIN IMMEDIATE") {
            for job in group.drain(..) {
                job.finish(Err(e.clone()));
            }
            continue;
        }
        for job in group.iter_mut() {
            job.run(&conn);
        }
        let commit = run_cached(&conn, "COMMIT");
        if commit.is_err() {
            let _ = run_cached(&conn, "ROLLBACK");
        }
        for job in group.drain(..) {
            job.finish(commit.clone());
        }
    }
}

/// One job in a transaction of its own: committed when it succeeds, rolled back when it
/// fails (the caller then gets the job's own error).
fn run_alone(conn: &Connection, mut job: Box<dyn WriteJob>) {
    if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
        job.finish(Err(e));
        return;
    }
    job.run(conn);
    if job.failed() {
        let end = run_cached(conn, "ROLLBACK");
        job.finish(end);
        return;
    }
    let commit = run_cached(conn, "COMMIT");
    if commit.is_err() {
        let _ = run_cached(conn, "ROLLBACK");
    }
    job.finish(commit);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend;
    use store::{ReferenceStore, Store};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
    }

    #[test]
    fn a_failing_write_leaves_the_writer_working() {
        let dir = tempfile::tempdir().unwrap();
        rt().block_on(async {
            let s = SqliteStore::open(dir.path().join("h.db")).unwrap();
            s.migrate().await.unwrap();
            let r: Result<()> = s
                .write(|c| {
                    c.execute("INSERT INTO departments (code, name, en) VALUES ('x', '甲', 'x')", [])
                        .map_err(backend)?;
                    Err(StoreError::Backend("boom".into()))
                })
                .await;
            assert!(r.is_err());
            assert!(s.departments().await.unwrap().is_empty(), "the failed job was rolled back");
            let r: Result<()> = s.write(|_| panic!("a bug")).await;
            assert!(r.is_err());
            assert!(s.seed_reference_data().await.unwrap(), "the writer survives a panicking job");
        });
    }

    /// A write alone in its transaction commits or rolls back whole, between grouped writes
    /// that keep working, and every acknowledged one is in the file after a reopen.
    #[test]
    fn writes_alone_commit_or_roll_back_whole_between_grouped_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        rt().block_on(async {
            let s = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
            s.migrate().await.unwrap();
            let insert = |c: &Connection, code: String| {
                c.execute(
                    "INSERT INTO departments (code, name, en) VALUES (?1, ?1, 'x')",
                    rusqlite::params![code],
                )
                .map(|_| ())
                .map_err(backend)
            };
            let mut tasks = Vec::new();
            for i in 0..120 {
                let s = std::sync::Arc::clone(&s);
                tasks.push(tokio::spawn(async move {
                    if i % 10 == 0 {
                        // Alone: three rows, and every fourth one fails after writing them.
                        s.write_alone(move |c| {
                            for k in 0..3 {
                                insert(c, format!("a{i}-{k}"))?;
                            }
                            if i % 40 == 0 { Err(StoreError::Backend("refused".into())) } else { Ok(()) }
                        })
                        .await
                    } else {
                        s.write(move |c| insert(c, format!("g{i}"))).await
                    }
                }));
            }
            for (i, t) in tasks.into_iter().enumerate() {
                assert_eq!(t.await.unwrap().is_ok(), i % 40 != 0, "write {i}");
            }
            let r: Result<()> = s.write_alone(|_| panic!("a bug")).await;
            assert!(r.is_err());
            drop(s);
            let s = SqliteStore::open(&path).unwrap();
            let codes: Vec<String> = s.departments().await.unwrap().into_iter().map(|d| d.code).collect();
            // 108 grouped writes, 9 alone ones of 3 rows that succeeded (0, 40 and 80 failed).
            assert_eq!(codes.len(), 108 + 9 * 3, "{codes:?}");
            assert!(!codes.iter().any(|c| c.starts_with("a0-") || c.starts_with("a40-")));
            assert!(codes.contains(&"a10-2".to_string()) && codes.contains(&"g1".to_string()));
        });
    }

    /// Many concurrent writes share commits: each succeeds or fails alone, and every
    /// acknowledged write is in the file after a reopen.
    #[test]
    fn concurrent_writes_share_commits_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        rt().block_on(async {
            let s = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
            s.migrate().await.unwrap();
            let mut tasks = Vec::new();
            for i in 0..400 {
                let s = std::sync::Arc::clone(&s);
                tasks.push(tokio::spawn(async move {
                    s.write(move |c| {
                        c.execute(
                            "INSERT INTO departments (code, name, en) VALUES (?1, ?2, 'x')",
                            rusqlite::params![format!("d{i}"), format!("部门{i}")],
                        )
                        .map_err(backend)?;
                        // Every seventh write fails after writing: it must roll back alone.
                        if i % 7 == 0 { Err(StoreError::Backend("refused".into())) } else { Ok(()) }
                    })
                    .await
                }));
            }
            let mut ok = 0;
            for (i, t) in tasks.into_iter().enumerate() {
                let r = t.await.unwrap();
                assert_eq!(r.is_ok(), i % 7 != 0, "write {i}");
                ok += usize::from(r.is_ok());
            }
            drop(s);
            let s = SqliteStore::open(&path).unwrap();
            let codes: Vec<String> = s.departments().await.unwrap().into_iter().map(|d| d.code).collect();
            assert_eq!(codes.len(), ok);
            assert!(!codes.contains(&"d0".to_string()) && codes.contains(&"d1".to_string()));
        });
    }
}
