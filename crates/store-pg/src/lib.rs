//! The PostgreSQL store (tokio-postgres over a deadpool pool).
//!
//! Same tables, columns and meaning as the SQLite store, in PostgreSQL's types (BOOLEAN,
//! DATE, TIMESTAMPTZ, identity columns); its own `migrations/` with the same file names. The
//! shared SQL texts of `store::sql` run unchanged; the import writes in chunks with
//! `UNNEST` arrays (one round trip per chunk and table instead of one per row), all in one
//! transaction.
//!
//! Timestamps come back from TIMESTAMPTZ in UTC and are returned in China time (+08:00).
//!
//! The capabilities of [`Store`] each have a file: `reference` (departments, categories,
//! routing), `users`, `enterprises` (registry, links, changes, import batches, the snapshot
//! reader; the import's writes are in `import`), `problems`, `attachments`, `matches`,
//! `sessions`, `documents`. This file connects, holds the migrations and the shared helpers.

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
mod reference;
mod request_state;
mod scan;
mod sessions;
mod signals;
mod users;
mod utilities;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use store::migrate::{AppliedMigration, Migration};
use store::{MigrationReport, Result, Store, StoreError};
use tokio_postgres::NoTls;

pub(crate) use enterprises::{raw_enterprise, raw_fact};
pub(crate) use reference::insert_reference_change;

/// The PostgreSQL migrations, in order (same file names as SQLite's).
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

/// Connections in the pool.
const POOL_SIZE: usize = 16;

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    /// How to connect: the pool's connections and the change listener's own.
    config: tokio_postgres::Config,
    calendars: store::calendar::CalendarCache,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `postgres://user[:password]@host[:port]/database` (a unix socket directory
    /// as host: `postgres://user@%2Fvar%2Frun%2Fpostgresql/db`). Checks the connection.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let config: tokio_postgres::Config = url.parse().map_err(backend)?;
        PgStore::from_config(config).await
    }

    /// Connects with every connection's `search_path` set to `schema`, after dropping and
    /// recreating that schema: a fresh, isolated database inside a shared one, for tests.
    /// `schema` must be lower-case ASCII letters, digits and `_`.
    pub async fn connect_fresh_schema(url: &str, schema: &str) -> Result<PgStore> {
        if schema.is_empty()
            || !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Backend(format!("schema name {schema:?} is not plain snake_case")));
        }
        let mut config: tokio_postgres::Config = url.parse().map_err(backend)?;
        {
            let (client, conn) = config.connect(NoTls).await.map_err(backend)?;
            let task = tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"))
                .await
                .map_err(backend)?;
            drop(client);
            let _ = task.await;
        }
        config.options(format!("-c search_path={schema}"));
        PgStore::from_config(config).await
    }

    async fn from_config(config: tokio_postgres::Config) -> Result<PgStore> {
        let mgr = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(mgr).max_size(POOL_SIZE).build().map_err(backend)?;
        let client = pool.get().await.map_err(backend)?;
        client.simple_query("SELECT 1").await.map_err(backend)?;
        Ok(PgStore { pool, config, calendars: store::calendar::CalendarCache::default() })
    }

    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Whether a database error is a unique violation.
pub(crate) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

pub(crate) fn china(at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    at.with_timezone(&store::china_offset())
}

pub(crate) fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for PgStore {
    fn backend_name(&self) -> &'static str {
        "postgres"
    }
    /// Applies the pending migrations under a session-level advisory lock
    /// (`MIGRATION_LOCK`): when several servers start together one migrates and the others
    /// wait for it, then find nothing pending. Each migration is its own transaction (and
    /// still takes `LOCK TABLE schema_migrations`, which older binaries rely on).
    async fn migrate(&self) -> Result<MigrationReport> {
        let mut client = self.client().await?;
        client.execute(MIGRATION_LOCK_SQL, &[&MIGRATION_LOCK]).await.map_err(backend)?;
        let r = migrate_locked(&mut client).await;
        if let Err(e) = client.execute(MIGRATION_UNLOCK_SQL, &[&MIGRATION_LOCK]).await {
            // The lock lives as long as the connection: take it out of the pool and close it.
            tracing::warn!(error = %e, "releasing the migration lock failed; closing its connection");
            let _ = deadpool_postgres::Object::take(client);
        }
        r
    }
}

/// The advisory lock of migrations: this key (`huiq` in ASCII) and the schema's hash, so
/// separate schemas of one database (the tests') migrate side by side.
pub const MIGRATION_LOCK: i32 = 0x6875_6971;
const MIGRATION_LOCK_SQL: &str = "SELECT pg_advisory_lock($1, hashtext(current_schema()))";
const MIGRATION_UNLOCK_SQL: &str = "SELECT pg_advisory_unlock($1, hashtext(current_schema()))";

async fn migrate_locked(client: &mut deadpool_postgres::Object) -> Result<MigrationReport> {
    {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, \
                 name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
            )
            .await
            .map_err(backend)?;
        let mut report = MigrationReport::default();
        loop {
            let tx = client.transaction().await.map_err(backend)?;
            // One migrator at a time, even across processes.
            tx.batch_execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE").await.map_err(backend)?;
            let rows = tx
                .query("SELECT version, name, checksum FROM schema_migrations ORDER BY version", &[])
                .await
                .map_err(backend)?;
            let mut applied = Vec::with_capacity(rows.len());
            for r in rows {
                let v: i32 = r.try_get(0).map_err(backend)?;
                applied.push(AppliedMigration {
                    version: u32::try_from(v).map_err(backend)?,
                    name: r.try_get(1).map_err(backend)?,
                    checksum: r.try_get(2).map_err(backend)?,
                });
            }
            let pending = store::migrate::plan(MIGRATIONS, &applied)?;
            let Some(m) = pending.first() else {
                tx.rollback().await.map_err(backend)?;
                break;
            };
            tx.batch_execute(m.sql).await.map_err(|e| {
                StoreError::Backend(format!("migration {:04}_{} failed: {e}", m.version, m.name))
            })?;
            if store::enterprises::TARGET_RECOMPUTE_MIGRATIONS.contains(&m.version) {
                // The plain column, recomputed from the domain rule (see the migrations).
                let mut changes = Vec::new();
                for r in tx.query(store::sql::TARGET_INPUTS, &[]).await.map_err(backend)? {
                    let uscc: String = r.try_get(1).map_err(backend)?;
                    let (reg, tax, stored): (bool, bool, bool) = (
                        r.try_get(2).map_err(backend)?,
                        r.try_get(3).map_err(backend)?,
                        r.try_get(4).map_err(backend)?,
                    );
                    if let Some(t) = store::enterprises::target_correction(&uscc, reg, tax, stored) {
                        changes.push((t, r.try_get::<_, i64>(0).map_err(backend)?));
                    }
                }
                for (target, id) in changes {
                    tx.execute(store::sql::SET_TARGET, &[&target, &id]).await.map_err(backend)?;
                }
            }
            let version = i32::try_from(m.version).map_err(backend)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, now())",
                &[&version, &m.name, &m.checksum()],
            )
            .await
            .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            report.applied.push((m.version, m.name.to_string()));
        }
        report.current = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_list_matches_the_folder_and_sqlite() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let names = |dir: std::path::PathBuf| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            v.sort();
            v
        };
        let files = names(here.join("migrations"));
        store::migrate::check_list(MIGRATIONS, &files).unwrap();
        assert_eq!(
            files,
            names(here.join("../store-sqlite/migrations")),
            "both backends have the same migrations"
        );
    }

    /// Migration 0009 on a database holding enterprises (when `HUIQI_TEST_PG_URL` is set): the
    /// generated column becomes a plain one, every row's flag as the domain rule says.
    #[tokio::test]
    async fn migration_9_keeps_every_enterprise_and_its_flag() {
        use store::{EnterpriseFilter, EnterpriseStore, Page};
        let Ok(url) = std::env::var("HUIQI_TEST_PG_URL") else {
            eprintln!("note: HUIQI_TEST_PG_URL is not set; skipping");
            return;
        };
        let s = PgStore::connect_fresh_schema(&url, "m9_upgrade").await.unwrap();
        {
            let c = s.client().await.unwrap();
            c.batch_execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
                 checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
            )
            .await
            .unwrap();
            for m in MIGRATIONS.iter().filter(|m| m.version <= 7) {
                c.batch_execute(m.sql).await.unwrap();
                let v = m.version as i32;
                c.execute(
                    "INSERT INTO schema_migrations VALUES ($1, $2, $3, now())",
                    &[&v, &m.name, &m.checksum()],
                )
                .await
                .unwrap();
            }
            for (code, reg, tax) in [("91430100MA4L00011K", true, true), ("91430100MA4L0002XB", true, false)]
            {
                c.execute(
                    "INSERT INTO enterprises (uscc, name, registered_in_zone, tax_registered_in_zone, tags, \
                     created_at, updated_at) VALUES ($1, $1, $2, $3, '', now(), now())",
                    &[&code, &reg, &tax],
                )
                .await
                .unwrap();
            }
        }
        let r = s.migrate().await.unwrap();
        assert!(r.applied.contains(&(9, "assistance_target".to_string())), "{r:?}");
        let targets = EnterpriseFilter { assistance_target: Some(true), ..Default::default() };
        let (rows, total) = s.list_enterprises(&targets, Page::new(0, 10)).await.unwrap();
        assert_eq!((total, rows[0].uscc.as_str()), (1, "91430100MA4L00011K"));
        let c = s.client().await.unwrap();
        let generated: String = c
            .query_one(
                "SELECT is_generated FROM information_schema.columns WHERE table_name = 'enterprises' \
                 AND column_name = 'assistance_target' AND table_schema = current_schema()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(generated, "NEVER", "a plain column");
    }
}
