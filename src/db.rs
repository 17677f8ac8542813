//! Opening the store named by a database URL: `postgres://…` selects PostgreSQL, anything
//! else (a path, or `sqlite://path`) the embedded SQLite file.

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
