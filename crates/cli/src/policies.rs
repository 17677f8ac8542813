//! The policy library and the time limits: shipped as files, kept and edited in the database.
//!
//! The shipped texts (`policies/*.toml` embedded by `build.rs`; the handling crate's
//! `data/time_limits.toml`) seed a new database as version 1 of each document ([`seed`], run
//! with the reference data by `huiqi migrate` and on every start). After that the database
//! copy is authoritative: `huiqi policy load` and the policy officer's page write new
//! versions, and the commands, the server and problem creation read the current ones
//! ([`database_sources`], [`time_limits`]). Reading and seeding go through the app crate
//! (`app::policies`, `app::time_limits`, `app::policy_docs::seed`).

use anyhow::Context as _;
use enterprise::FactDictionary;
use rules::{Diagnostic, Library, SourceFile};

include!(concat!(env!("OUT_DIR"), "/shipped_policies.rs"));

/// The shipped time limits (the same text `handling::TimeLimits::defaults` parses).
pub const SHIPPED_TIME_LIMITS: &str = include_str!("../../handling/data/time_limits.toml");

/// The shipped policy files, named `policies/…`.
pub fn sources() -> Vec<SourceFile> {
    SHIPPED
        .iter()
        .map(|(name, text)| SourceFile { name: (*name).to_string(), text: (*text).to_string() })
        .collect()
}

/// The shipped library, loaded and checked against the official fact dictionary.
pub fn library() -> (Library, Vec<Diagnostic>) {
    Library::load(&sources(), FactDictionary::official())
}

/// A shipped file's document name: its path under `policies/`.
fn document_name(file: &str) -> String {
    file.strip_prefix("policies/").unwrap_or(file).to_string()
}

/// Seeds the shipped policies and time limits as version 1 where the database has no
/// document of that kind yet; returns the kinds seeded (`app::policy_docs::seed`).
pub async fn seed(
    store: &dyn store::Store,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<Vec<&'static str>> {
    let policies = SHIPPED.iter().map(|(n, t)| (document_name(n), (*t).to_string())).collect();
    app::policy_docs::seed(store, policies, SHIPPED_TIME_LIMITS, now)
        .await
        .context("seeding the policies and time limits / 初始化政策与办理时限失败")
}

/// The database's current policy documents as source files (named by document name).
pub async fn database_sources(store: &dyn store::Store) -> anyhow::Result<Vec<SourceFile>> {
    app::policies::current_files(store).await.context("reading policies / 读取政策失败")
}

/// The database's current time limits; the shipped ones when the database has none.
/// A stored text that no longer parses (it was checked when saved) is an error, not a
/// silent fallback.
pub async fn time_limits(store: &dyn store::Store) -> anyhow::Result<handling::TimeLimits> {
    app::time_limits::stored(store).await.map_err(|e| crate::user_error(&e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_library_is_embedded_and_checks() {
        assert!(super::SHIPPED.len() >= 10, "{}", super::SHIPPED.len());
        let (lib, diags) = super::library();
        assert!(diags.is_empty(), "{diags:?}");
        assert!(lib.items().count() >= 30);
    }

    #[test]
    fn the_shipped_time_limits_are_the_defaults() {
        let t = handling::TimeLimits::parse(super::SHIPPED_TIME_LIMITS).unwrap();
        assert_eq!(&t, handling::TimeLimits::defaults());
    }

    #[test]
    fn shipped_files_are_named_under_policies() {
        assert_eq!(super::document_name("policies/zone-sample-2022.toml"), "zone-sample-2022.toml");
        for (n, _) in super::SHIPPED {
            assert!(store::documents::check_name(&super::document_name(n)).is_ok(), "{n}");
        }
    }
}
