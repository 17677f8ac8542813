//! The layers hold: dependencies point down (domain → app → front ends), the two front ends
//! (`cli`, `web`) never depend on each other, only the binary knows both, and a front end
//! reaches a store backend only to open it. Read from the manifests and the sources, so a
//! new edge fails here before review.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace crates a package's manifest depends on (normal dependencies only).
fn deps(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

fn crate_deps(name: &str) -> BTreeSet<String> {
    deps(&root().join("crates").join(name).join("Cargo.toml"))
}

const DOMAIN: &[&str] =
    &["i18n", "calendar", "enterprise", "rules", "handling", "kpi", "search", "grants", "effects"];
const ABOVE_DOMAIN: &[&str] =
    &["store", "store-sqlite", "store-pg", "import", "excel", "app", "cli", "web", "huiqi"];
const IO: &[&str] = &["tokio", "rusqlite", "tokio-postgres", "axum", "clap", "tracing-subscriber"];

#[test]
fn domain_crates_know_nothing_above_them() {
    for c in DOMAIN {
        let d = crate_deps(c);
        for bad in ABOVE_DOMAIN.iter().chain(IO) {
            assert!(!d.contains(*bad), "domain crate {c} depends on {bad}");
        }
    }
}

#[test]
fn the_front_ends_never_depend_on_each_other() {
    assert!(!crate_deps("cli").contains("web"), "cli depends on web");
    assert!(!crate_deps("web").contains("cli"), "web depends on cli");
    for c in ["app", "store", "store-sqlite", "store-pg", "import", "excel"] {
        let d = crate_deps(c);
        assert!(!d.contains("web") && !d.contains("cli"), "{c} depends on a front end");
    }
    // The binary is the composition root: it knows both, and nothing else but its allocator.
    let bin = deps(&root().join("Cargo.toml"));
    assert_eq!(bin, ["anyhow", "cli", "mimalloc", "web"].iter().map(|s| s.to_string()).collect());
}

#[test]
fn the_use_cases_know_no_front_end_or_driver() {
    let d = crate_deps("app");
    for bad in
        ["axum", "clap", "askama_axum", "tower", "tower-http", "indicatif", "rusqlite", "tokio-postgres"]
    {
        assert!(!d.contains(bad), "app depends on {bad}");
    }
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn front_ends_reach_a_store_backend_only_to_open_it() {
    for (front, allowed) in [("web", None), ("cli", Some("db.rs"))] {
        let dir = root().join("crates").join(front).join("src");
        for f in sources(&dir) {
            let text = std::fs::read_to_string(&f).unwrap();
            let uses = text.contains("store_sqlite::") || text.contains("store_pg::");
            let is_allowed = allowed.is_some_and(|a| f.file_name().is_some_and(|n| n == a));
            assert!(!uses || is_allowed, "{} names a store backend", f.display());
        }
        let d = crate_deps(front);
        if allowed.is_none() {
            assert!(!d.contains("store-sqlite") && !d.contains("store-pg"), "{front} depends on a backend");
        }
    }
}
