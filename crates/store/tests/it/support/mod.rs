//! The store suite's harness, shared by every test file of `crates/store/tests`: each test is
//! a function over `&dyn Store`, run against a fresh SQLite file always and against a fresh
//! PostgreSQL schema when `HUIQI_TEST_PG_URL` is set (otherwise the PostgreSQL half prints a
//! notice and passes). `suite!("p"; test_a, test_b)` writes both halves; the prefix keeps the
//! schemas of different files apart.

use store::Store;

/// A migrated store in a fresh SQLite file (kept while the directory lives).
pub async fn sqlite() -> (Box<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("huiqi.db")).unwrap();
    s.migrate().await.unwrap();
    (Box::new(s), dir)
}

/// A migrated store in a fresh PostgreSQL schema, dropped at the start of the next run of the
/// same test; `None` when no server is configured.
pub async fn postgres(schema: &str) -> Option<Box<dyn Store>> {
    let Ok(url) = std::env::var("HUIQI_TEST_PG_URL") else {
        eprintln!("note: HUIQI_TEST_PG_URL is not set; skipping the PostgreSQL run of {schema}");
        return None;
    };
    let s = store_pg::PgStore::connect_fresh_schema(&url, schema).await.unwrap();
    s.migrate().await.unwrap();
    Some(Box::new(s))
}

macro_rules! suite {
    ($prefix:literal; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (s, _dir) = crate::support::sqlite().await;
                    super::$name(&*s).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(s) = crate::support::postgres(concat!($prefix, "_", stringify!($name))).await {
                        super::$name(&*s).await;
                    }
                }
            )*
        }
    };
}
