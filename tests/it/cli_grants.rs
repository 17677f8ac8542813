//! `huiqi grant …` end to end: the built binary over a demo zone in a temporary SQLite
//! database. The contract of issue 12: `grant run --json` (a rerun returns the same run id and
//! counts only new grants), `grant list --json`, publicity, objections, approval refused for
//! the preparer with a bilingual error and exit 1, the needs-data export, the audit chain.
//! (Approval after publicity, payment files, results and reconciliation need the clock moved
//! on: crates/app/tests/it/grants.rs runs them.)

use std::path::Path;
use std::process::{Command, Output};

fn huiqi(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--database", "zone.db"];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_huiqi")).current_dir(dir).args(&all).output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_grant_run_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .current_dir(dir)
        .args(["--database", "zone.db", "demo", "--no-serve", "--enterprises", "300"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let m = json_of(&huiqi(dir, &["policy", "match", "--date", "2022-06-30", "--json"]));
    let item = "zone-first-hitech-award";

    // A tax relief is never granted: exit 1, both languages, naming the kind.
    let o =
        huiqi(dir, &["grant", "run", "--item", "small-scale-vat-monthly-exemption-2021", "--period", "2022"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("tax_relief_declared") && err.contains("免申即享"), "{err}");

    let args = ["grant", "run", "--item", item, "--period", "2022", "--json", "--as", "jingban"];
    let first = json_of(&huiqi(dir, &args));
    let run = first["run"].as_i64().unwrap();
    assert_eq!(first["item"], item);
    assert_eq!(first["period"], "2022");
    assert_eq!(first["match_run"], m["run_id"]);
    let granted = first["granted"].as_u64().unwrap();
    assert!(granted > 0, "{first}");
    let total: rust_decimal::Decimal = first["total_amount"].as_str().unwrap().parse().unwrap();
    assert!(first["needs_data"].is_u64());
    // A rerun: the same run, nothing new.
    let again = json_of(&huiqi(dir, &args));
    assert_eq!((again["run"].as_i64(), again["granted"].as_u64()), (Some(run), Some(0)));
    assert_eq!(
        again["total_amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(),
        rust_decimal::Decimal::ZERO
    );

    let list = json_of(&huiqi(dir, &["grant", "list", "--run", &run.to_string(), "--json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len() as u64, granted);
    let sum: rust_decimal::Decimal =
        list.iter().map(|g| g["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert_eq!(sum, total);
    for g in list {
        assert_eq!(g["state"], "pending");
        assert_eq!(g["uscc"].as_str().unwrap().len(), 18);
        assert!(g["grant"].is_i64());
    }
    let run_s = run.to_string();
    let o = huiqi(dir, &["grant", "publicize", "--run", &run_s, "--days", "5", "--as", "jingban"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let list = json_of(&huiqi(dir, &["grant", "list", "--run", &run_s, "--json"]));
    assert!(list.as_array().unwrap().iter().all(|g| g["state"] == "publicity"));

    // An objection, then its handling.
    let g = list[0]["grant"].as_i64().unwrap().to_string();
    let o = huiqi(dir, &["grant", "object", "--grant", &g, "--reason", "认定年度有误", "--as", "bumen"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let id = text(&o.stdout).trim().rsplit(' ').next().unwrap().to_string();
    let o = huiqi(dir, &["grant", "objection", &id, "--reject", "--reason", "核实无误", "--as", "bumen"]);
    assert!(o.status.success(), "{}", text(&o.stderr));

    // The preparer may not approve: exit 1, both languages.
    let o = huiqi(dir, &["grant", "approve", "--run", &run_s, "--as", "jingban"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("jingban") && err.contains("经办人") && err.contains("prepared"), "{err}");
    // Another person: refused while publicity runs.
    let o = huiqi(dir, &["grant", "approve", "--run", &run_s, "--as", "lingdao"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("publicity"), "{}", text(&o.stderr));

    // The needs-data list exports; the chain verifies.
    let o = huiqi(dir, &["grant", "needs-data", "--run", &run_s, "--out", "needs.xlsx"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(dir.join("needs.xlsx").exists());
    let o = huiqi(dir, &["grant", "verify"]);
    assert!(o.status.success() && text(&o.stdout).contains("verifies"), "{}", text(&o.stdout));
    // A payment file before approval has nothing to pay.
    let o = huiqi(dir, &["grant", "payment-file", "--run", &run_s, "--out", "pay.csv", "--as", "caiwu"]);
    assert_eq!(o.status.code(), Some(1));
    let o = huiqi(dir, &["grant", "payment-file", "--run", &run_s, "--out", "pay.pdf", "--as", "caiwu"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains(".xml"));
}

/// `huiqi audit verify` walks the grant chain beside the problem chain: intact, then a grant
/// event changed behind the application's back is named and the command exits 1.
#[test]
fn audit_verify_covers_the_grant_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .current_dir(dir)
        .args(["--database", "zone.db", "demo", "--no-serve", "--enterprises", "300"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    json_of(&huiqi(dir, &["policy", "match", "--date", "2022-06-30", "--json"]));
    let args = [
        "grant",
        "run",
        "--item",
        "zone-first-hitech-award",
        "--period",
        "2022",
        "--json",
        "--as",
        "jingban",
    ];
    json_of(&huiqi(dir, &args));
    let o = huiqi(dir, &["audit", "verify", "--json"]);
    let v = json_of(&o);
    let grant_events = v["grant_chain"]["events"].as_u64().unwrap();
    assert!(grant_events > 0, "the grant run is in the chain: {v}");
    assert!(v["grant_chain"]["broken"].is_null() && v["events"].as_u64().unwrap() > 0, "{v}");
    let o = huiqi(dir, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains(&format!("grant chain intact: {grant_events} events")),
        "{}",
        text(&o.stdout)
    );

    // The chain refuses edits through the application's database role…
    let conn = rusqlite::Connection::open(dir.join("zone.db")).unwrap();
    let e = conn.execute("UPDATE grant_events SET detail = '{}' WHERE seq = 1", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(conn.execute("DELETE FROM grant_events WHERE seq = 1", []).is_err());
    // …and someone who drops the trigger is found.
    conn.execute_batch(
        "DROP TRIGGER grant_events_no_update; UPDATE grant_events SET detail = '{}' WHERE seq = 1;",
    )
    .unwrap();
    drop(conn);
    let o = huiqi(dir, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let e = text(&o.stderr);
    assert!(e.contains("grant chain broken at event 1") && e.contains("授予审计链断裂"), "{e}");
}
