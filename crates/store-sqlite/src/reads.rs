//! The read pool: a few kept read-only connections, each read in one transaction (one
//! snapshot), scans on blocking threads and point reads on the calling thread.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Arc, Mutex};
use store::{Result, StoreError};

use crate::{SqliteStore, backend, configure, run_cached};

/// Reads that run at once, each on its own connection. The connections stay open (with their
/// parsed schema and prepared statements): before this bound, 64 concurrent requests found
/// the pool empty and opened a fresh connection per read, and re-reading the schema took a
/// fifth of the server's CPU (docs/PERFORMANCE.md, "Web"). Reads are CPU-bound on a cached
/// database, so a few more than the cores is enough.
pub(crate) const READ_POOL: usize = 4;

impl SqliteStore {
    /// Runs `f` on a read connection inside one read transaction, on a blocking thread. At
    /// most [`READ_POOL`] reads run at once, so a pooled connection is always free once a
    /// permit is held.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.read_slots)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("the read pool is closed".into()))?;
        let pool = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            read_on(&pool, &path, f)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }

    /// [`SqliteStore::read`] for a point read (a few rows by key, tens of microseconds): it
    /// runs on the calling thread when a connection is free at once. Handing such a read to a
    /// blocking thread and back cost more than the read (two thread switches; a third of the
    /// server's CPU under load went to switching), and it holds the async thread no longer
    /// than that handing over would. Anything that scans or may take long uses `read`.
    pub(crate) async fn read_point<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        match Arc::clone(&self.read_slots).try_acquire_owned() {
            Ok(_permit) => read_on(&self.readers, &self.path, f),
            Err(_) => self.read(f).await,
        }
    }

    /// [`SqliteStore::read_point`] for a read that is ONE statement (consistent on its own):
    /// no explicit transaction around it.
    pub(crate) async fn read_statement<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        match Arc::clone(&self.read_slots).try_acquire_owned() {
            Ok(_permit) => read_with(&self.readers, &self.path, false, f),
            Err(_) => self.read(f).await,
        }
    }
}

/// Runs `f` in one read transaction on a pooled connection (opening one if none is free) and
/// returns the connection to the pool.
fn read_on<T>(
    pool: &Mutex<Vec<Connection>>,
    path: &Path,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    read_with(pool, path, true, f)
}

/// [`read_on`], with the explicit read transaction only when `transaction`: a single SELECT
/// reads one snapshot on its own, and `BEGIN`/`COMMIT` around it cost two more statements
/// and a lock round per request.
fn read_with<T>(
    pool: &Mutex<Vec<Connection>>,
    path: &Path,
    transaction: bool,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    let pooled = pool.lock().ok().and_then(|mut p| p.pop());
    let conn = match pooled {
        Some(c) => c,
        None => {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(backend)?;
            configure(&c, false)?;
            c
        }
    };
    if transaction {
        run_cached(&conn, "BEGIN")?;
    }
    let r = f(&conn);
    let end = if transaction { run_cached(&conn, "COMMIT") } else { Ok(()) };
    if end.is_ok()
        && let Ok(mut p) = pool.lock()
        && p.len() < READ_POOL
    {
        p.push(conn);
    }
    let v = r?;
    end?;
    Ok(v)
}
