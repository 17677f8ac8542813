//! (to be merged into db.rs once the store crates compile)

use anyhow::Context as _;
use std::sync::Arc;
use store::Store;
use crate::db::{is_postgres, sqlite_path};

/// Opens the store without migrating it.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if is_postgres(url) {
        let s = store_pg::PgStore::connect(url).await.context("connecting to PostgreSQL / 连接 PostgreSQL 失败")?;
        Ok(Arc::new(s))
    } else {
        let path = sqlite_path(url);
        let s = store_sqlite::SqliteStore::open(path)
            .await
            .with_context(|| format!("opening the SQLite database {path} / 打开 SQLite 数据库 {path} 失败"))?;
        Ok(Arc::new(s))
    }
}

/// Opens the store, applies pending migrations and seeds the reference data on first start.
pub async fn open_ready(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let s = open(url).await?;
    s.migrate().await.context("applying migrations / 执行数据库迁移失败")?;
    s.seed_reference_data().await.context("seeding departments and routing / 初始化部门与路由表失败")?;
    Ok(s)
}

/// Now, in China time (+08:00). Only the binary and the web layer read the clock.
pub fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(&store::china_offset())
}
