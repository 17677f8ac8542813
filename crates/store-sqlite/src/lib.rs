//! The embedded SQLite store: one database file, WAL journal, foreign keys on,
//! `synchronous=FULL` (an acknowledged write survives a power cut), busy timeout.
//!
//! rusqlite is synchronous, so the async [`Store`] methods hand their work to threads:
//!
//! - **One writer** (`writer`). A dedicated thread owns the only writing connection and
//!   takes jobs from a channel. Concurrent jobs share one `BEGIN IMMEDIATE … COMMIT` (group
//!   commit), each in a savepoint of its own so a failing one rolls back alone, and every
//!   caller is answered only after the commit.
//! - **Readers** (`reads`). Reads run on `spawn_blocking` over a small pool of kept
//!   connections (at most `READ_POOL` at once), each read in one (deferred) transaction so
//!   that it sees one snapshot of the database. Point reads by key run on the calling thread
//!   when a connection is free (`read_point`).
//!
//! The capabilities of [`Store`] each have a file: `reference` (departments, categories,
//! routing, with the routing cache), `users`, `enterprises` (registry, links, changes,
//! import batches, the snapshot reader; the import's writes are in `import`),
//! `problems`, `attachments`, `matches`, `sessions`, `documents`. This file opens
//! the database, holds the migrations and the helpers every file uses.
//!
//! What it leaves out: the backend-neutral logic (import planning, checks, SQL texts) is in
//! the `store` crate; this crate only binds parameters, maps rows and owns the DDL.

mod accounts;
mod attachments;
mod calendar;
mod categories;
mod chains;
mod content;
mod documents;
mod drafts;
mod enterprises;
mod events;
mod financing;
mod follow_ups;
mod grant_confirmations;
mod grants;
mod import;
mod jobs;
mod legal;
mod matches;
mod notifications;
mod plans;
mod problems;
mod push;
mod reads;
mod reference;
mod request_state;
mod scan;
mod sessions;
mod signals;
mod users;
mod utilities;
mod writer;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use store::migrate::{AppliedMigration, Migration};
use store::{MigrationReport, Result, Store, StoreError};

use reads::READ_POOL;
use reference::RoutingCache;
pub(crate) use reference::insert_reference_change;
use writer::{WriteJob, writer_loop};

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
    Migration {
        version: 9,
        name: "assistance_target",
        sql: include_str!("../migrations/0009_assistance_target.sql"),
    },
    Migration {
        version: 10,
        name: "sign_in_failures",
        sql: include_str!("../migrations/0010_sign_in_failures.sql"),
    },
    Migration {
        version: 12,
        name: "zone_settings",
        sql: include_str!("../migrations/0012_zone_settings.sql"),
    },
    Migration {
        version: 13,
        name: "calendar_years",
        sql: include_str!("../migrations/0013_calendar_years.sql"),
    },
    Migration {
        version: 14,
        name: "problem_follow_ups",
        sql: include_str!("../migrations/0014_problem_follow_ups.sql"),
    },
    Migration { version: 15, name: "match_kinds", sql: include_str!("../migrations/0015_match_kinds.sql") },
    Migration {
        version: 16,
        name: "assistance_target_market_entities",
        sql: include_str!("../migrations/0016_assistance_target_market_entities.sql"),
    },
    Migration {
        version: 17,
        name: "request_state",
        sql: include_str!("../migrations/0017_request_state.sql"),
    },
    Migration { version: 18, name: "jobs", sql: include_str!("../migrations/0018_jobs.sql") },
    Migration {
        version: 19,
        name: "change_signals",
        sql: include_str!("../migrations/0019_change_signals.sql"),
    },
    Migration {
        version: 20,
        name: "attachments_append_only",
        sql: include_str!("../migrations/0020_attachments_append_only.sql"),
    },
    Migration {
        version: 21,
        name: "content_search",
        sql: include_str!("../migrations/0021_content_search.sql"),
    },
    Migration { version: 22, name: "grants", sql: include_str!("../migrations/0022_grants.sql") },
    Migration { version: 23, name: "inbox_outbox", sql: include_str!("../migrations/0023_inbox_outbox.sql") },
    Migration {
        version: 24,
        name: "policy_drafts",
        sql: include_str!("../migrations/0024_policy_drafts.sql"),
    },
    Migration {
        version: 25,
        name: "match_run_tax_year",
        sql: include_str!("../migrations/0025_match_run_tax_year.sql"),
    },
    Migration {
        version: 26,
        name: "match_run_undetermined",
        sql: include_str!("../migrations/0026_match_run_undetermined.sql"),
    },
    Migration {
        version: 27,
        name: "finance_confirmation",
        sql: include_str!("../migrations/0027_finance_confirmation.sql"),
    },
    Migration {
        version: 30,
        name: "grant_events_append_only",
        sql: include_str!("../migrations/0030_grant_events_append_only.sql"),
    },
    Migration { version: 31, name: "events", sql: include_str!("../migrations/0031_events.sql") },
    Migration { version: 32, name: "grant_basis", sql: include_str!("../migrations/0032_grant_basis.sql") },
    Migration {
        version: 33,
        name: "notifications",
        sql: include_str!("../migrations/0033_notifications.sql"),
    },
    Migration { version: 34, name: "financing", sql: include_str!("../migrations/0034_financing.sql") },
    Migration {
        version: 35,
        name: "plans_credit_repair",
        sql: include_str!("../migrations/0035_plans_credit_repair.sql"),
    },
    Migration {
        version: 36,
        name: "utility_arrears",
        sql: include_str!("../migrations/0036_utility_arrears.sql"),
    },
    Migration {
        version: 37,
        name: "chains_logistics",
        sql: include_str!("../migrations/0037_chains_logistics.sql"),
    },
    Migration { version: 39, name: "event_inbox", sql: include_str!("../migrations/0039_event_inbox.sql") },
    Migration {
        version: 40,
        name: "legal_consultations",
        sql: include_str!("../migrations/0040_legal_consultations.sql"),
    },
];

/// How long a connection waits for a lock before reporting the database busy.
const BUSY_TIMEOUT_MS: u64 = 10_000;
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
    calendars: store::calendar::CalendarCache,
}

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
            calendars: store::calendar::CalendarCache::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
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

pub(crate) fn ts(at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    at.with_timezone(&store::china_offset())
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

/// Recomputes the plain `assistance_target` column from the domain rule (migrations 0009 and
/// 0016), writing only the rows whose flag changes.
fn backfill_targets(conn: &Connection) -> rusqlite::Result<()> {
    let mut changes = Vec::new();
    {
        let mut st = conn.prepare(store::sql::TARGET_INPUTS)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (id, uscc): (i64, String) = (r.get(0)?, r.get(1)?);
            if let Some(t) = store::enterprises::target_correction(&uscc, r.get(2)?, r.get(3)?, r.get(4)?) {
                changes.push((t, id));
            }
        }
    }
    let mut st = conn.prepare(store::sql::SET_TARGET)?;
    for (target, id) in changes {
        st.execute(params![target, id])?;
    }
    Ok(())
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
                    if store::enterprises::TARGET_RECOMPUTE_MIGRATIONS.contains(&m.version) {
                        backfill_targets(conn)?;
                    }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::ReferenceStore;

    #[test]
    fn the_migration_list_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        store::migrate::check_list(MIGRATIONS, &files).unwrap();
    }

    pub(crate) fn rt() -> tokio::runtime::Runtime {
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

    /// Migration 0009 on a database that holds enterprises: the generated column becomes a
    /// plain one filled from the domain rule, every row and every reference to it kept.
    #[test]
    fn migration_9_keeps_every_enterprise_and_fills_the_flag_from_the_rule() {
        use store::{EnterpriseFilter, EnterpriseStore, Page};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
            c.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
                 checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
            )
            .unwrap();
            for m in MIGRATIONS.iter().filter(|m| m.version <= 7) {
                c.execute_batch(m.sql).unwrap();
                c.execute(
                    "INSERT INTO schema_migrations VALUES ($1, $2, $3, '2022-01-01')",
                    params![m.version, m.name, m.checksum()],
                )
                .unwrap();
            }
            let codes =
                ["91430100MA4L00011K", "91430100MA4L00020Y", "91430100MA4L00039R", "91430100MA4L0004XE"];
            for (i, (reg, tax)) in [(1, 1), (1, 0), (0, 1), (0, 0)].into_iter().enumerate() {
                c.execute(
                    "INSERT INTO enterprises (uscc, name, registered_in_zone, tax_registered_in_zone, tags, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, '', '2022-01-01 00:00:00+08:00', \
                     '2022-01-01 00:00:00+08:00')",
                    params![codes[i], format!("企业{i}"), reg, tax],
                )
                .unwrap();
                c.execute(
                    "INSERT INTO enterprise_changes (enterprise_id, at, actor, field) VALUES ($1, '2022', 'x', '*')",
                    params![i as i64 + 1],
                )
                .unwrap();
            }
        }
        rt().block_on(async {
            let s = SqliteStore::open(&path).unwrap();
            let r = s.migrate().await.unwrap();
            assert!(r.applied.contains(&(9, "assistance_target".to_string())), "{r:?}");
            let targets = EnterpriseFilter { assistance_target: Some(true), ..Default::default() };
            let (rows, total) = s.list_enterprises(&targets, Page::new(0, 10)).await.unwrap();
            assert_eq!(total, 1);
            assert_eq!(rows[0].name, "企业0");
            assert_eq!(s.enterprise_count().await.unwrap(), 4);
            let fk: i64 = s
                .write(|c| {
                    c.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).map_err(backend)
                })
                .await
                .unwrap();
            assert_eq!(fk, 0, "every reference still resolves");
            let generated: i64 = s
                .write(|c| {
                    c.query_row(
                        "SELECT COUNT(*) FROM pragma_table_xinfo('enterprises') WHERE name = 'assistance_target' \
                         AND hidden = 0",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(backend)
                })
                .await
                .unwrap();
            assert_eq!(generated, 1, "a plain column");
        });
    }
}
