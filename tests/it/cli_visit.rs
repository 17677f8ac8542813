//! `huiqi visit coverage`: each cadre's enterprises not visited in the window.

use std::path::Path;
use std::process::{Command, Output};

fn huiqi(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env_remove("HUIQI_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("huiqi runs")
}

fn coverage(db: &Path, days: &str) -> serde_json::Value {
    let o = huiqi(db, &["visit", "coverage", "--days", days, "--as-of", "2022-12-31", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn not_visited(v: &serde_json::Value) -> usize {
    v["cadres"].as_array().unwrap().iter().map(|c| c["not_visited"].as_array().unwrap().len()).sum()
}

#[test]
fn coverage_names_each_cadres_unvisited_enterprises() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    assert!(huiqi(&db, &["demo", "--no-serve", "--enterprises", "300"]).status.success());

    let year = coverage(&db, "365");
    let day = coverage(&db, "1");
    let cadres = year["cadres"].as_array().unwrap();
    assert!(!cadres.is_empty());
    let assigned: usize = cadres.iter().map(|c| c["enterprises"].as_u64().unwrap() as usize).sum();
    assert_eq!(assigned, 300, "every demo enterprise has a cadre");
    // The demo's visits fall in 2022: a year's window covers some enterprises, a day's fewer.
    assert!(not_visited(&year) < assigned, "some enterprises were visited in 2022");
    assert!(not_visited(&day) > not_visited(&year));
    // An enterprise listed with a last visit was visited before the window.
    for c in cadres {
        for u in c["not_visited"].as_array().unwrap() {
            if let Some(d) = u["last_visit"].as_str() {
                assert!(d < "2022-01-01", "{d} is outside the 365-day window");
            }
        }
    }
    // One cadre only.
    let name = cadres[0]["cadre"].as_str().unwrap().to_string();
    let o = huiqi(&db, &["visit", "coverage", "--cadre", &name, "--as-of", "2022-12-31", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["cadres"].as_array().unwrap().len(), 1);
}
