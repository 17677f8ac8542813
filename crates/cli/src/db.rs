//! Opening the store named by a database URL: `postgres://…` selects PostgreSQL, anything
//! else (a path, or `sqlite://path`) the embedded SQLite file.

use anyhow::Context as _;
use std::sync::Arc;
use store::Store;

/// The default database when neither `--database` nor `HUIQI_DATABASE_URL` is given.
pub const DEFAULT_DATABASE: &str = "huiqi.db";

/// Whether a URL selects PostgreSQL.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The SQLite file path of a non-PostgreSQL URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

/// Where a server over `url` keeps its search index (derived data: deleting it loses nothing;
/// the server rebuilds it from the database): next to a SQLite file (`huiqi.db.search`), or
/// for PostgreSQL a directory of this machine named after the database
/// (`huiqi-search-<host>-<database>` in the working directory), so each server keeps its own.
pub fn search_dir(url: &str) -> std::path::PathBuf {
    if is_postgres(url) {
        let tail = url.rsplit('@').next().unwrap_or(url);
        let name: String =
            tail.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).take(80).collect();
        std::path::PathBuf::from(format!("huiqi-search-{name}"))
    } else {
        std::path::PathBuf::from(format!("{}.search", sqlite_path(url)))
    }
}

/// Opens the store without migrating it.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if is_postgres(url) {
        let s = store_pg::PgStore::connect(url)
            .await
            .context("connecting to PostgreSQL / 连接 PostgreSQL 失败")?;
        Ok(Arc::new(s))
    } else {
        let path = sqlite_path(url);
        let s = store_sqlite::SqliteStore::open(path).with_context(|| {
            format!("opening the SQLite database {path} / 打开 SQLite 数据库 {path} 失败")
        })?;
        Ok(Arc::new(s))
    }
}

/// Opens the store, applies pending migrations and seeds the reference data, the policies and
/// the time limits on first start.
pub async fn open_ready(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let s = open(url).await?;
    s.migrate().await.context("applying migrations / 执行数据库迁移失败")?;
    s.seed_reference_data().await.context("seeding departments and routing / 初始化部门与路由表失败")?;
    crate::policies::seed(s.as_ref(), now()).await?;
    Ok(s)
}

/// Now, in China time (+08:00). Only the binary and the web layer read the clock.
pub fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(&store::china_offset())
}
