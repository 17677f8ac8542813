//! Settings, read once into a typed struct: `config/base.yaml`, then `config/local.yaml` or
//! `config/production.yaml` (by `HUIQI_ENV`), then `HUIQI_*` environment variables (`__`
//! nests), then command-line flags (applied by the caller). Every file is optional, so the
//! binary runs from any directory with the defaults below.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// Database URL: a SQLite path or `postgres://…`.
    pub database: String,
    /// Address the server listens on.
    pub listen: String,
    /// Mark session cookies `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// Log filter (`info`, `huiqi=debug,tower_http=info`, …).
    pub log: String,
}

impl Settings {
    /// Loads the layered settings from `dir` (normally `config/`).
    pub fn load(dir: &std::path::Path) -> anyhow::Result<Settings> {
        let env = std::env::var("HUIQI_ENV").unwrap_or_else(|_| "local".into());
        let built = config::Config::builder()
            .set_default("database", crate::db::DEFAULT_DATABASE)?
            .set_default("listen", "127.0.0.1:8080")?
            .set_default("secure_cookies", false)?
            .set_default("log", "info")?
            .add_source(config::File::from(dir.join("base.yaml")).required(false))
            .add_source(config::File::from(dir.join(format!("{env}.yaml"))).required(false))
            .add_source(config::Environment::with_prefix("HUIQI").separator("__").try_parsing(true))
            .build()?;
        // HUIQI_DATABASE_URL is the documented variable for the database.
        let mut s: Settings = built.try_deserialize()?;
        if let Ok(url) = std::env::var("HUIQI_DATABASE_URL") {
            s.database = url;
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_layer_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.yaml"), "listen: 0.0.0.0:9000\n").unwrap();
        let s = Settings::load(dir.path()).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert!(!s.secure_cookies);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(empty.path()).unwrap().listen, "127.0.0.1:8080");
    }
}
