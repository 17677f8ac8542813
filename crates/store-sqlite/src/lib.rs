//! The embedded SQLite store: one database file, WAL journal, foreign keys on,
//! `synchronous=FULL` (an acknowledged write survives a power cut), busy timeout.
//!
//! rusqlite is synchronous, so the async [`Store`] methods hand their work to threads:
//!
//! - **One writer.** A dedicated thread owns the only writing connection and takes jobs from
//!   a channel. Each job runs inside `BEGIN IMMEDIATE … COMMIT` and in a savepoint of its
//!   own, and its caller is answered only after the commit. Today each job is its own
//!   transaction; group commit (many small concurrent writes sharing one transaction, each
//!   still in its own savepoint so a failing one rolls back alone) is a change to
//!   [`writer_loop`] only, not to the API.
//! - **Readers.** Reads run on `spawn_blocking` over a small pool of kept connections (at
//!   most `READ_POOL` at once), each read in one (deferred) transaction so that it sees one
//!   snapshot of the database. Point reads by key run on the calling thread when a
//!   connection is free (`read_point`). The routing table is cached (`RoutingCache`).
//!
//! What it leaves out: the backend-neutral logic (import planning, checks, SQL texts) is in
//! the `store` crate; this crate only binds parameters, maps rows and owns the DDL.

mod attachments;
mod documents;
mod import;
mod matches;
mod problems;
mod scan;
mod sessions;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::{Category, Department, FactDictionary, FieldChange, ThreeLinks, UnifiedCreditCode};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use store::codec::{RawEnterprise, RawFact, split_tags};
use store::migrate::{AppliedMigration, Migration};
use store::sql::{self, Param};
use store::{
    Actor, ChangeRecord, EnterpriseFilter, EnterpriseHead, EnterpriseSummary, EnterpriseView, ImportBatch,
    ImportOutcome, ImportRequest, Link, LoginState, MigrationReport, NewUser, Page, Result, Role,
    SnapshotRow, Store, StoreError, User,
};

/// The SQLite migrations, in order. Each file is embedded; a test checks this list against
/// the `migrations/` folder.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("../migrations/0001_foundation.sql") },
    Migration { version: 2, name: "problems", sql: include_str!("../migrations/0002_problems.sql") },
    Migration { version: 3, name: "match_runs", sql: include_str!("../migrations/0003_match_runs.sql") },
    Migration { version: 4, name: "sessions", sql: include_str!("../migrations/0004_sessions.sql") },
    Migration {
        version: 5,
        name: "problem_indexes",
        sql: include_str!("../migrations/0005_problem_indexes.sql"),
    },
    Migration { version: 6, name: "attachments", sql: include_str!("../migrations/0006_attachments.sql") },
    Migration { version: 7, name: "documents", sql: include_str!("../migrations/0007_documents.sql") },
    Migration {
        version: 8,
        name: "drop_rule_facts",
        sql: include_str!("../migrations/0008_drop_rule_facts.sql"),
    },
];

/// How long a connection waits for a lock before reporting the database busy.
const BUSY_TIMEOUT_MS: u64 = 10_000;
/// Reads that run at once, each on its own connection. The connections stay open (with their
/// parsed schema and prepared statements): before this bound, 64 concurrent requests found
/// the pool empty and opened a fresh connection per read, and re-reading the schema took a
/// fifth of the server's CPU (docs/PERFORMANCE.md, "Web"). Reads are CPU-bound on a cached
/// database, so a few more than the cores is enough.
const READ_POOL: usize = 4;
/// Page cache of the writer (KiB, as SQLite's negative `cache_size`). Measured with the
/// import benchmark (docs/PERFORMANCE.md, "Storage"): 64 MiB holds the credit-code index of a
/// million enterprises; larger caches were slower (each new cache page is a fresh `malloc`
/// of a large chunk), and so was turning `cache_spill` off.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// The SQLite store. Cheap to share behind an `Arc`.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<mpsc::Sender<Box<dyn WriteJob>>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per read connection: a read waits here rather than opening a connection.
    read_slots: Arc<tokio::sync::Semaphore>,
    routing: Mutex<RoutingCache>,
}

/// The routing table (departments; categories with their departments) as last read. Every
/// problem submission needs it and it changes a few times a year, so reading it per request
/// was two of the three reads of a submission. This store's own writes to it
/// ([`Store::add_department`], [`Store::update_department`],
/// [`Store::set_category_departments`], seeding, migrating) clear it; a change made by another
/// process shows within [`ROUTING_TTL`].
#[derive(Debug, Default)]
struct RoutingCache {
    /// Bumped by every clear, so a read that began before a change does not store what it read.
    generation: u64,
    departments: CacheSlot<Department>,
    categories: CacheSlot<Category>,
}

/// One cached part of the routing table, with when it was read.
type CacheSlot<T> = Option<(std::time::Instant, Vec<T>)>;

/// How long a cached routing table is trusted without re-reading (see [`RoutingCache`]).
const ROUTING_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish()
    }
}

impl SqliteStore {
    /// Opens (creating if absent) the database file at `path` and starts its writer thread.
    /// Does not migrate: call [`Store::migrate`].
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path).map_err(backend)?;
        configure(&conn, true)?;
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new()
            .name("huiqi-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(backend)?;
        Ok(SqliteStore {
            path,
            writer: Mutex::new(tx),
            readers: Arc::new(Mutex::new(Vec::new())),
            read_slots: Arc::new(tokio::sync::Semaphore::new(READ_POOL)),
            routing: Mutex::new(RoutingCache::default()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the writer connection in a transaction; answers after the commit.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Box::new(TypedJob { f: Some(f), result: None, reply: Some(tx) });
        {
            let sender =
                self.writer.lock().map_err(|_| StoreError::Backend("writer lock poisoned".into()))?;
            sender.send(job).map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        }
        rx.await.map_err(|_| StoreError::Backend("the SQLite writer dropped a job".into()))?
    }

    /// Runs `f` on a read connection inside one read transaction, on a blocking thread. At
    /// most [`READ_POOL`] reads run at once, so a pooled connection is always free once a
    /// permit is held.
    async fn read<T, F>(&self, f: F) -> Result<T>
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
    async fn read_point<T, F>(&self, f: F) -> Result<T>
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
    async fn read_statement<T, F>(&self, f: F) -> Result<T>
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

impl SqliteStore {
    /// Reads part of the routing table through [`RoutingCache`]: `pick` selects the slot,
    /// `load` reads it from the database on a miss.
    async fn routing_part<T, F>(
        &self,
        pick: fn(&mut RoutingCache) -> &mut CacheSlot<T>,
        load: F,
    ) -> Result<Vec<T>>
    where
        T: Clone + Send + 'static,
        F: FnOnce(&Connection) -> Result<Vec<T>> + Send + 'static,
    {
        let generation = {
            let mut c =
                self.routing.lock().map_err(|_| StoreError::Backend("routing cache poisoned".into()))?;
            if let Some((at, v)) = pick(&mut c)
                && at.elapsed() < ROUTING_TTL
            {
                return Ok(v.clone());
            }
            c.generation
        };
        let fresh = self.read(load).await?;
        if let Ok(mut c) = self.routing.lock()
            && c.generation == generation
        {
            *pick(&mut c) = Some((std::time::Instant::now(), fresh.clone()));
        }
        Ok(fresh)
    }

    /// A guard for a write that may change the routing table: the cached table is forgotten
    /// when the write is over (committed, failed or abandoned).
    fn routing_changes(&self) -> RoutingChanges<'_> {
        RoutingChanges(&self.routing)
    }
}

/// See [`SqliteStore::routing_changes`].
struct RoutingChanges<'a>(&'a Mutex<RoutingCache>);

impl Drop for RoutingChanges<'_> {
    fn drop(&mut self) {
        if let Ok(mut c) = self.0.lock() {
            c.generation += 1;
            c.departments = None;
            c.categories = None;
        }
    }
}

/// Runs a fixed statement through the connection's statement cache (no parse per call).
fn run_cached(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql).and_then(|mut st| st.execute([])).map(|_| ()).map_err(backend)
}

fn configure(conn: &Connection, writer: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS)).map_err(backend)?;
    conn.set_prepared_statement_cache_capacity(64);
    if writer {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("cannot switch the database to WAL (mode {mode})")));
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
             PRAGMA cache_size = -{WRITER_CACHE_KIB};"
        ))
        .map_err(backend)?;
    } else {
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;").map_err(backend)?;
    }
    Ok(())
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

// ---------------------------------------------------------------------------------------
// The writer thread

/// A write waiting for the writer thread. `run` executes it inside the open transaction (in
/// its own savepoint); `finish` answers the caller once the transaction's fate is known.
trait WriteJob: Send {
    fn run(&mut self, conn: &Connection);
    fn finish(self: Box<Self>, commit: Result<()>);
}

struct TypedJob<T, F> {
    f: Option<F>,
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
        let r = run_cached(conn, "SAVEPOINT job").and_then(|()| {
            // A panic in a job must not kill the writer: it fails this job only.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn))) {
                Ok(r) => r,
                Err(_) => Err(StoreError::Backend("a write panicked".into())),
            }
        });
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
fn writer_loop(conn: Connection, rx: mpsc::Receiver<Box<dyn WriteJob>>) {
    let mut group: Vec<Box<dyn WriteJob>> = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = rx.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
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

// ---------------------------------------------------------------------------------------
// Row mapping

pub(crate) fn ts(at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    at.with_timezone(&store::china_offset())
}

pub(crate) fn raw_enterprise(r: &Row<'_>) -> rusqlite::Result<RawEnterprise> {
    Ok(RawEnterprise {
        id: r.get(0)?,
        uscc: r.get(1)?,
        name: r.get(2)?,
        registered_in_zone: r.get(3)?,
        tax_registered_in_zone: r.get(4)?,
        industry_code: r.get(5)?,
        established_on: r.get(6)?,
        taxpayer_type: r.get(7)?,
        tax_credit_rating: r.get(8)?,
        tags: r.get(9)?,
        assistance_target: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

fn raw_fact(r: &Row<'_>, o: usize) -> rusqlite::Result<RawFact> {
    Ok(RawFact {
        fact: r.get(o)?,
        year: r.get(o + 1)?,
        value: r.get(o + 2)?,
        source: r.get(o + 3)?,
        as_of: r.get(o + 4)?,
    })
}

pub(crate) fn facts_of(conn: &Connection, id: i64) -> Result<Vec<RawFact>> {
    let mut st = conn.prepare_cached(sql::FACTS_OF).map_err(backend)?;
    let rows = st.query_map([id], |r| raw_fact(r, 0)).map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

fn enterprise_by_uscc(conn: &Connection, uscc: &str) -> Result<Option<RawEnterprise>> {
    let mut st = conn.prepare_cached(sql::ENTERPRISE_BY_USCC).map_err(backend)?;
    st.query_row([uscc], raw_enterprise).optional().map_err(backend)
}

fn enterprise_id(conn: &Connection, uscc: &UnifiedCreditCode) -> Result<i64> {
    let mut st = conn.prepare_cached(sql::ENTERPRISE_ID_BY_USCC).map_err(backend)?;
    st.query_row([uscc.as_str()], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::EnterpriseNotFound { uscc: uscc.to_string() })
}

fn links_of(conn: &Connection, id: i64) -> Result<ThreeLinks> {
    let mut st = conn.prepare_cached(sql::LINKS_OF).map_err(backend)?;
    Ok(st
        .query_row([id], |r| Ok(ThreeLinks { leader: r.get(0)?, department: r.get(1)?, cadre: r.get(2)? }))
        .optional()
        .map_err(backend)?
        .unwrap_or_default())
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<(User, String, Option<String>)> {
    let role: String = r.get(2)?;
    let uscc: Option<String> = r.get(4)?;
    Ok((
        User {
            id: r.get(0)?,
            username: r.get(1)?,
            role: Role::Admin,
            password_hash: r.get(3)?,
            enterprise: None,
            department: r.get(5)?,
            display_name: r.get(6)?,
            active: r.get(7)?,
            created_at: r.get(8)?,
            failed_logins: r.get(9)?,
            locked_until: r.get(10)?,
        },
        role,
        uscc,
    ))
}

fn finish_user((mut u, role, uscc): (User, String, Option<String>)) -> Result<User> {
    u.role = store::parse_role(&role)
        .map_err(|_| StoreError::Backend(format!("stored role {role} is unknown")))?;
    u.enterprise = match uscc {
        Some(c) => Some(UnifiedCreditCode::parse(&c).map_err(backend)?),
        None => None,
    };
    Ok(u)
}

fn department_code(conn: &Connection, code_or_name: &str) -> Result<String> {
    let mut st = conn.prepare_cached(sql::DEPARTMENT_CODE).map_err(backend)?;
    st.query_row([code_or_name.trim()], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::UnknownDepartment { department: code_or_name.to_string() })
}

fn user_role(conn: &Connection, username: &str) -> Result<Option<String>> {
    let mut st = conn.prepare_cached(sql::USER_ROLE).map_err(backend)?;
    st.query_row([username], |r| r.get(0)).optional().map_err(backend)
}

pub(crate) fn insert_reference_change(
    conn: &Connection,
    actor: &Actor,
    entity: &str,
    key: &str,
    change: &FieldChange,
) -> Result<()> {
    conn.prepare_cached(sql::INSERT_REFERENCE_CHANGE)
        .and_then(|mut st| {
            st.execute(params![
                ts(actor.at),
                actor.username,
                entity,
                key,
                change.field,
                change.old,
                change.new
            ])
        })
        .map_err(backend)?;
    Ok(())
}

fn value_of(p: &Param) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match p {
        Param::Text(s) => Value::Text(s.clone()),
        Param::Int(i) => Value::Integer(*i),
        Param::Bool(b) => Value::Integer(i64::from(*b)),
    }
}

fn read_migrations(conn: &Connection) -> Result<Vec<AppliedMigration>> {
    let mut st = conn
        .prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        .map_err(backend)?;
    let rows = st
        .query_map([], |r| Ok(AppliedMigration { version: r.get(0)?, name: r.get(1)?, checksum: r.get(2)? }))
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

#[async_trait]
impl Store for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<MigrationReport> {
        let _changes = self.routing_changes();
        self.write(|conn| {
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, \
                 name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
            )
            .map_err(backend)?;
            let applied = read_migrations(conn)?;
            let pending = store::migrate::plan(MIGRATIONS, &applied)?;
            let mut report = MigrationReport::default();
            // The writer's job is one transaction: each migration gets its own savepoint,
            // and all of them commit together (a failure rolls back the failing one and
            // stops; the ones before it stay applied).
            for m in pending {
                conn.execute_batch("SAVEPOINT migration").map_err(backend)?;
                let r = conn.execute_batch(m.sql).and_then(|()| {
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
                         VALUES ($1, $2, $3, datetime('now'))",
                        params![m.version, m.name, m.checksum()],
                    )
                });
                match r {
                    Ok(_) => conn.execute_batch("RELEASE migration").map_err(backend)?,
                    Err(e) => {
                        let _ = conn.execute_batch("ROLLBACK TO migration; RELEASE migration");
                        return Err(StoreError::Backend(format!(
                            "migration {:04}_{} failed: {e}",
                            m.version, m.name
                        )));
                    }
                }
                report.applied.push((m.version, m.name.to_string()));
            }
            report.current = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
            Ok(report)
        })
        .await
    }

    async fn seed_reference_data(&self) -> Result<bool> {
        let _changes = self.routing_changes();
        self.write(|conn| {
            let n: i64 = conn.query_row(sql::COUNT_DEPARTMENTS, [], |r| r.get(0)).map_err(backend)?;
            if n > 0 {
                return Ok(false);
            }
            let seed = enterprise::Routing::seed();
            for d in &seed.departments {
                conn.prepare_cached(sql::INSERT_DEPARTMENT)
                    .and_then(|mut st| st.execute(params![d.code, d.name, d.en, d.note]))
                    .map_err(backend)?;
            }
            for (i, c) in seed.categories.iter().enumerate() {
                conn.prepare_cached(sql::INSERT_CATEGORY)
                    .and_then(|mut st| st.execute(params![c.code, c.name, c.en, c.plan, i as i64]))
                    .map_err(backend)?;
                for (p, d) in c.departments.iter().enumerate() {
                    conn.prepare_cached(sql::INSERT_CATEGORY_DEPARTMENT)
                        .and_then(|mut st| st.execute(params![c.code, d, p as i64]))
                        .map_err(backend)?;
                }
            }
            Ok(true)
        })
        .await
    }

    async fn departments(&self) -> Result<Vec<Department>> {
        self.routing_part(
            |c| &mut c.departments,
            |conn| {
                let mut st = conn.prepare_cached(sql::DEPARTMENTS).map_err(backend)?;
                let rows = st
                    .query_map([], |r| {
                        Ok(Department { code: r.get(0)?, name: r.get(1)?, en: r.get(2)?, note: r.get(3)? })
                    })
                    .map_err(backend)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
            },
        )
        .await
    }

    async fn add_department(&self, d: &Department, actor: &Actor) -> Result<()> {
        let (d, actor) = (d.clone(), actor.clone());
        let _changes = self.routing_changes();
        self.write(move |conn| {
            let exists: Option<String> = conn
                .query_row("SELECT code FROM departments WHERE code = $1", [&d.code], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            if exists.is_some() || d.code.trim().is_empty() {
                return Err(StoreError::DepartmentExists { code: d.code.clone() });
            }
            conn.prepare_cached(sql::INSERT_DEPARTMENT)
                .and_then(|mut st| st.execute(params![d.code, d.name, d.en, d.note]))
                .map_err(backend)?;
            let ch = FieldChange { field: "*".into(), old: None, new: Some(d.name.clone()) };
            insert_reference_change(conn, &actor, "department", &d.code, &ch)
        })
        .await
    }

    async fn update_department(&self, d: &Department, actor: &Actor) -> Result<()> {
        let (d, actor) = (d.clone(), actor.clone());
        let _changes = self.routing_changes();
        self.write(move |conn| {
            let old = conn
                .query_row("SELECT code, name, en, note FROM departments WHERE code = $1", [&d.code], |r| {
                    Ok(Department { code: r.get(0)?, name: r.get(1)?, en: r.get(2)?, note: r.get(3)? })
                })
                .optional()
                .map_err(backend)?
                .ok_or_else(|| StoreError::UnknownDepartment { department: d.code.clone() })?;
            conn.prepare_cached(sql::UPDATE_DEPARTMENT)
                .and_then(|mut st| st.execute(params![d.name, d.en, d.note, d.code]))
                .map_err(backend)?;
            for (field, a, b) in [
                ("name", Some(old.name), Some(d.name.clone())),
                ("en", Some(old.en), Some(d.en.clone())),
                ("note", old.note, d.note.clone()),
            ] {
                if a != b {
                    let ch = FieldChange { field: field.into(), old: a, new: b };
                    insert_reference_change(conn, &actor, "department", &d.code, &ch)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn categories_with_routing(&self) -> Result<Vec<Category>> {
        self.routing_part(
            |c| &mut c.categories,
            |conn| {
                let mut st = conn.prepare_cached(sql::CATEGORIES).map_err(backend)?;
                let mut cats = st
                    .query_map([], |r| {
                        Ok(Category {
                            code: r.get(0)?,
                            name: r.get(1)?,
                            en: r.get(2)?,
                            plan: r.get(3)?,
                            departments: Vec::new(),
                        })
                    })
                    .map_err(backend)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(backend)?;
                let mut st = conn.prepare_cached(sql::CATEGORY_DEPARTMENTS).map_err(backend)?;
                let rows = st
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                    .map_err(backend)?;
                for row in rows {
                    let (c, d) = row.map_err(backend)?;
                    if let Some(cat) = cats.iter_mut().find(|x| x.code == c) {
                        cat.departments.push(d);
                    }
                }
                Ok(cats)
            },
        )
        .await
    }

    async fn set_category_departments(
        &self,
        category: &str,
        departments: &[String],
        actor: &Actor,
    ) -> Result<Category> {
        let (category, departments, actor) = (category.to_string(), departments.to_vec(), actor.clone());
        let _changes = self.routing_changes();
        self.write(move |conn| {
            let code: String = conn
                .prepare_cached(sql::CATEGORY_CODE)
                .and_then(|mut st| st.query_row([category.trim()], |r| r.get(0)).optional())
                .map_err(backend)?
                .ok_or_else(|| StoreError::CategoryNotFound { code: category.clone() })?;
            let mut codes = Vec::with_capacity(departments.len());
            for d in &departments {
                codes.push(department_code(conn, d)?);
            }
            store::check_routing(&code, &codes)?;
            let old: Vec<String> = conn
                .prepare_cached(sql::DEPARTMENTS_OF_CATEGORY)
                .and_then(|mut st| st.query_map([&code], |r| r.get(0))?.collect())
                .map_err(backend)?;
            conn.prepare_cached(sql::DELETE_CATEGORY_DEPARTMENTS)
                .and_then(|mut st| st.execute([&code]))
                .map_err(backend)?;
            for (p, d) in codes.iter().enumerate() {
                conn.prepare_cached(sql::INSERT_CATEGORY_DEPARTMENT)
                    .and_then(|mut st| st.execute(params![code, d, p as i64]))
                    .map_err(backend)?;
            }
            if old != codes {
                let ch = FieldChange {
                    field: "departments".into(),
                    old: Some(old.join(";")),
                    new: Some(codes.join(";")),
                };
                insert_reference_change(conn, &actor, "category", &code, &ch)?;
            }
            let (name, en, plan): (String, String, String) = conn
                .query_row("SELECT name, en, plan FROM categories WHERE code = $1", [&code], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(backend)?;
            Ok(Category { code, name, en, plan, departments: codes })
        })
        .await
    }

    async fn create_user(&self, u: &NewUser) -> Result<User> {
        store::check_new_user(u)?;
        let u = u.clone();
        self.write(move |conn| {
            if user_role(conn, &u.username)?.is_some() {
                return Err(StoreError::UsernameTaken { username: u.username.clone() });
            }
            let enterprise_id = match &u.enterprise {
                Some(c) => Some(enterprise_id(conn, c)?),
                None => None,
            };
            let department = match &u.department {
                Some(d) => Some(department_code(conn, d)?),
                None => None,
            };
            conn.prepare_cached(sql::INSERT_USER)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            u.username,
                            u.role.as_str(),
                            u.password_hash,
                            enterprise_id,
                            department,
                            u.display_name,
                            ts(u.at)
                        ],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .map_err(backend)?;
            let mut st = conn.prepare_cached(sql::USER_BY_USERNAME).map_err(backend)?;
            finish_user(st.query_row([&u.username], user_row).map_err(backend)?)
        })
        .await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let username = username.to_string();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::USER_BY_USERNAME).map_err(backend)?;
            st.query_row([&username], user_row).optional().map_err(backend)?.map(finish_user).transpose()
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(sql::LIST_USERS).map_err(backend)?;
            let rows = st.query_map([], user_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(finish_user)).collect()
        })
        .await
    }

    async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<()> {
        let (username, password_hash) = (username.to_string(), password_hash.to_string());
        self.write(move |conn| {
            let n =
                conn.execute(sql::SET_PASSWORD_HASH, params![password_hash, username]).map_err(backend)?;
            if n == 0 {
                return Err(StoreError::UserNotFound { username });
            }
            sessions::delete_user_sessions(conn, &username)?;
            Ok(())
        })
        .await
    }

    async fn set_login_state(&self, username: &str, state: LoginState) -> Result<()> {
        let username = username.to_string();
        self.write(move |conn| {
            let n = conn
                .execute(
                    sql::SET_LOGIN_STATE,
                    params![state.failed_logins, state.locked_until.map(ts), username],
                )
                .map_err(backend)?;
            if n == 0 { Err(StoreError::UserNotFound { username }) } else { Ok(()) }
        })
        .await
    }

    async fn set_user_active(&self, username: &str, active: bool) -> Result<()> {
        let username = username.to_string();
        self.write(move |conn| {
            let n = conn.execute(sql::SET_USER_ACTIVE, params![active, username]).map_err(backend)?;
            if n == 0 {
                return Err(StoreError::UserNotFound { username });
            }
            if !active {
                sessions::delete_user_sessions(conn, &username)?;
            }
            Ok(())
        })
        .await
    }

    async fn get_enterprise(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseView>> {
        let uscc = uscc.to_string();
        self.read_point(move |conn| {
            let Some(raw) = enterprise_by_uscc(conn, &uscc)? else { return Ok(None) };
            let dict = FactDictionary::official();
            let facts =
                facts_of(conn, raw.id)?.into_iter().map(|f| f.decode(dict)).collect::<Result<Vec<_>>>()?;
            let links = links_of(conn, raw.id)?;
            Ok(Some(EnterpriseView {
                id: raw.id,
                enterprise: raw.decode()?,
                facts,
                links,
                assistance_target: raw.assistance_target,
                created_at: raw.created_at,
                updated_at: raw.updated_at,
            }))
        })
        .await
    }

    async fn enterprise_head(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseHead>> {
        let uscc = uscc.to_string();
        self.read_statement(move |conn| {
            let mut st = conn.prepare_cached(sql::ENTERPRISE_HEAD).map_err(backend)?;
            st.query_row([uscc.as_str()], |r| {
                Ok(EnterpriseHead {
                    id: r.get(0)?,
                    links: ThreeLinks { leader: r.get(1)?, department: r.get(2)?, cadre: r.get(3)? },
                    version: r.get(4)?,
                })
            })
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn list_enterprises(
        &self,
        filter: &EnterpriseFilter,
        page: Page,
    ) -> Result<(Vec<EnterpriseSummary>, u64)> {
        let q = sql::enterprise_list(filter);
        let page = Page::new(page.offset, page.limit);
        self.read(move |conn| {
            let values: Vec<rusqlite::types::Value> = q.params.iter().map(value_of).collect();
            let total: i64 = conn
                .prepare_cached(&q.count_sql)
                .and_then(|mut st| st.query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0)))
                .map_err(backend)?;
            let mut page_values = values;
            page_values.push(rusqlite::types::Value::Integer(page.limit as i64));
            page_values.push(rusqlite::types::Value::Integer(page.offset.min(i64::MAX as u64) as i64));
            let mut st = conn.prepare_cached(&q.page_sql).map_err(backend)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(page_values.iter()), |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, uscc, name, assistance_target, industry_code, tags) = row.map_err(backend)?;
                out.push(EnterpriseSummary {
                    id,
                    uscc: UnifiedCreditCode::parse(&uscc).map_err(backend)?,
                    name,
                    assistance_target,
                    industry_code,
                    tags: split_tags(&tags).into_iter().collect(),
                });
            }
            Ok((out, total as u64))
        })
        .await
    }

    async fn enterprise_count(&self) -> Result<u64> {
        self.read(|conn| {
            let n: i64 = conn.query_row(sql::COUNT_ENTERPRISES, [], |r| r.get(0)).map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }

    async fn enterprise_changes(&self, uscc: &UnifiedCreditCode) -> Result<Vec<ChangeRecord>> {
        let uscc = uscc.clone();
        self.read(move |conn| {
            let id = enterprise_id(conn, &uscc)?;
            let mut st = conn.prepare_cached(sql::CHANGES_OF).map_err(backend)?;
            let rows = st
                .query_map([id], |r| {
                    Ok(ChangeRecord {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        field: r.get(3)?,
                        old: r.get(4)?,
                        new: r.get(5)?,
                        batch_id: r.get(6)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn set_three_links(
        &self,
        uscc: &UnifiedCreditCode,
        links: &ThreeLinks,
        actor: &Actor,
    ) -> Result<Vec<FieldChange>> {
        let (uscc, links, actor) = (uscc.clone(), links.clone(), actor.clone());
        self.write(move |conn| {
            let id = enterprise_id(conn, &uscc)?;
            if let Some(u) = &links.leader {
                store::check_link_role(Link::Leader, u, user_role(conn, u)?.as_deref())?;
            }
            if let Some(u) = &links.cadre {
                store::check_link_role(Link::Cadre, u, user_role(conn, u)?.as_deref())?;
            }
            let department = match &links.department {
                Some(d) => Some(department_code(conn, d)?),
                None => None,
            };
            let new = ThreeLinks { leader: links.leader.clone(), department, cadre: links.cadre.clone() };
            let old = links_of(conn, id)?;
            let changes = store::links_diff(&old, &new);
            if changes.is_empty() {
                return Ok(changes);
            }
            let at = ts(actor.at);
            conn.prepare_cached(sql::UPSERT_LINKS)
                .and_then(|mut st| st.execute(params![id, new.leader, new.department, new.cadre, at]))
                .map_err(backend)?;
            let mut st = conn.prepare_cached(sql::INSERT_CHANGE).map_err(backend)?;
            for c in &changes {
                st.execute(params![id, at, actor.username, c.field, c.old, c.new, None::<i64>])
                    .map_err(backend)?;
            }
            Ok(changes)
        })
        .await
    }

    async fn apply_import(&self, request: ImportRequest) -> Result<ImportOutcome> {
        store::import::check_records(FactDictionary::official(), &request.records)?;
        self.write(move |conn| import::apply(conn, &request)).await
    }

    async fn import_batches(&self, limit: u64) -> Result<Vec<ImportBatch>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::LIST_BATCHES).map_err(backend)?;
            let rows = st
                .query_map([limit.min(i64::MAX as u64) as i64], |r| {
                    Ok(ImportBatch {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        file_name: r.get(3)?,
                        format: r.get(4)?,
                        rows: r.get::<_, i64>(5)? as u64,
                        created: r.get::<_, i64>(6)? as u64,
                        updated: r.get::<_, i64>(7)? as u64,
                        unchanged: r.get::<_, i64>(8)? as u64,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn enterprise_batch(&self, after_id: i64, limit: u64) -> Result<Vec<SnapshotRow>> {
        self.read(move |conn| {
            let dict = FactDictionary::official();
            let mut st = conn.prepare_cached(sql::SNAPSHOT_ENTERPRISES).map_err(backend)?;
            let raws = st
                .query_map(params![after_id, limit.min(i64::MAX as u64) as i64], raw_enterprise)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            let (Some(first), Some(last)) = (raws.first(), raws.last()) else { return Ok(Vec::new()) };
            let mut out: Vec<SnapshotRow> = Vec::with_capacity(raws.len());
            for r in &raws {
                out.push(SnapshotRow { id: r.id, enterprise: r.decode()?, facts: Vec::new() });
            }
            let mut st = conn.prepare_cached(sql::SNAPSHOT_FACTS).map_err(backend)?;
            let rows = st
                .query_map(params![first.id, last.id], |r| Ok((r.get::<_, i64>(0)?, raw_fact(r, 1)?)))
                .map_err(backend)?;
            // Both are in id order: walk them together.
            let mut i = 0;
            for row in rows {
                let (id, f) = row.map_err(backend)?;
                while i < out.len() && out[i].id < id {
                    i += 1;
                }
                if let Some(o) = out.get_mut(i).filter(|o| o.id == id) {
                    o.facts.push(f.decode(dict)?);
                }
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_list_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        store::migrate::check_list(MIGRATIONS, &files).unwrap();
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
    }

    #[test]
    fn the_file_is_durable_wal_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        rt().block_on(async {
            let s = SqliteStore::open(&path).unwrap();
            s.migrate().await.unwrap();
            assert!(s.seed_reference_data().await.unwrap());
            let (mode, sync, fk): (String, i64, i64) = s
                .write(|c| {
                    let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0));
                    let mode = match q("PRAGMA journal_mode").map_err(backend)? {
                        rusqlite::types::Value::Text(t) => t,
                        other => format!("{other:?}"),
                    };
                    let int = |v| match v {
                        rusqlite::types::Value::Integer(i) => i,
                        _ => -1,
                    };
                    Ok((
                        mode,
                        int(q("PRAGMA synchronous").map_err(backend)?),
                        int(q("PRAGMA foreign_keys").map_err(backend)?),
                    ))
                })
                .await
                .unwrap();
            assert_eq!(
                (mode.as_str(), sync, fk),
                ("wal", 2, 1),
                "WAL, synchronous=FULL (2), foreign keys on"
            );
        });
        // A new process sees the committed data.
        rt().block_on(async {
            let s = SqliteStore::open(&path).unwrap();
            assert!(s.migrate().await.unwrap().applied.is_empty());
            assert_eq!(s.departments().await.unwrap().len(), enterprise::Routing::seed().departments.len());
        });
    }

    #[test]
    fn an_edited_migration_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        rt().block_on(async {
            let s = SqliteStore::open(dir.path().join("h.db")).unwrap();
            s.migrate().await.unwrap();
            s.write(|c| {
                c.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", [])
                    .map_err(backend)
            })
            .await
            .unwrap();
            assert_eq!(
                s.migrate().await,
                Err(StoreError::MigrationEdited { version: 1, name: "foundation".into() })
            );
        });
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
