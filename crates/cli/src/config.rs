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
    /// Request rate limits of the web server (docs/WEB.md, "Rate limits"). Read from the
    /// configuration for now; they move into the zone settings document when it exists.
    #[serde(default)]
    pub rate_limits: RateLimitSettings,
    /// The header a trusted reverse proxy puts the client's address in (`x-forwarded-for`,
    /// `x-real-ip`); empty: the connection's peer address. Lock-out and rate limits are kept
    /// per this address.
    #[serde(default)]
    pub client_address_header: String,
    /// The search index directory (`search_dir:`, `HUIQI_SEARCH_DIR`); unset: beside the
    /// SQLite file, or `huiqi-search-<host>-<db>` in the working directory for PostgreSQL.
    #[serde(default)]
    pub search_dir: Option<std::path::PathBuf>,
}

/// One rate: a steady number per minute and the burst a client may spend at once.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct RateSetting {
    pub per_minute: u32,
    pub burst: u32,
}

/// `rate_limits:` in the settings.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Every request from one client address.
    pub per_address: RateSetting,
    /// Every request of one signed-in user.
    pub per_user: RateSetting,
    /// Writes (POST, PUT, PATCH, DELETE) of one signed-in user.
    pub writes_per_user: RateSetting,
}

impl Default for RateLimitSettings {
    /// The shipped limits (also in `config/base.yaml`).
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            per_address: RateSetting { per_minute: 3000, burst: 600 },
            per_user: RateSetting { per_minute: 600, burst: 200 },
            writes_per_user: RateSetting { per_minute: 120, burst: 60 },
        }
    }
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
            // `HUIQI_RATE_LIMITS__ENABLED`: one `_` after the prefix, `__` between levels (the
            // prefix separator defaults to the level separator otherwise, and the documented
            // variables were silently ignored).
            .add_source(
                config::Environment::with_prefix("HUIQI")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true),
            )
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
        assert_eq!(s.rate_limits, RateLimitSettings::default());
    }

    #[test]
    fn rate_limits_are_read_from_the_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.yaml"),
            "rate_limits:\n  per_user: {per_minute: 60, burst: 10}\nclient_address_header: x-real-ip\n",
        )
        .unwrap();
        let s = Settings::load(dir.path()).unwrap();
        assert_eq!(s.rate_limits.per_user, RateSetting { per_minute: 60, burst: 10 });
        assert_eq!(
            s.rate_limits.per_address,
            RateLimitSettings::default().per_address,
            "the rest keep their defaults"
        );
        assert!(s.rate_limits.enabled);
        assert_eq!(s.client_address_header, "x-real-ip");
        let shipped =
            Settings::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config"))).unwrap();
        assert_eq!(shipped.rate_limits, RateLimitSettings::default(), "config/base.yaml states the defaults");
    }
}
