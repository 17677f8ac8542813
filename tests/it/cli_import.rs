//! `huiqi import enterprises`, end to end through the built binary and a SQLite file:
//! a good file lands whole, a file with bad rows changes nothing and names each bad row,
//! a dry run writes nothing, a re-import records each change.

use std::path::{Path, PathBuf};
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

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/import/tests/data").join(name)
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

fn enterprise_count(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM enterprises", [], |r| r.get(0)).unwrap_or(-1)
}

#[test]
fn a_good_file_lands_whole_and_a_reimport_records_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    let file = fixture("good_zh.csv");
    let o = huiqi(&db, &["import", "enterprises", file.to_str().unwrap(), "--json", "--as-of", "2022-05-31"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["ok"], true);
    assert_eq!(v["created"], 3);
    assert_eq!(v["updated"], 0);
    assert_eq!(enterprise_count(&db), 3);

    // The same file again changes nothing.
    let v = json(&huiqi(
        &db,
        &["import", "enterprises", file.to_str().unwrap(), "--json", "--as-of", "2022-05-31"],
    ));
    assert_eq!(
        (v["created"].as_u64(), v["updated"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(0), Some(3))
    );

    // An edited copy updates one enterprise and records old → new.
    let edited = dir.path().join("edited.csv");
    let text =
        std::fs::read_to_string(&file).unwrap().replace("湖南星沙物流有限公司,否", "湖南星沙物流有限公司,是");
    std::fs::write(&edited, text).unwrap();
    let v = json(&huiqi(
        &db,
        &["import", "enterprises", edited.to_str().unwrap(), "--json", "--as-of", "2022-05-31"],
    ));
    assert_eq!(v["updated"], 1, "{v}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (old, new): (Option<String>, Option<String>) = conn
        .query_row(
            "SELECT c.old, c.new FROM enterprise_changes c JOIN enterprises e ON e.id = c.enterprise_id \
             WHERE e.uscc = '91430100MA4L0002XB' AND c.field = 'registered_in_zone'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((old.as_deref(), new.as_deref()), (Some("false"), Some("true")));
}

#[test]
fn a_file_with_bad_rows_changes_nothing_and_names_each_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    let good = fixture("good_zh.csv");
    assert!(huiqi(&db, &["import", "enterprises", good.to_str().unwrap()]).status.success());
    let before = enterprise_count(&db);

    let bad = fixture("bad.csv");
    let o = huiqi(&db, &["import", "enterprises", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("未导入任何数据") && err.contains("nothing was imported"), "{err}");
    assert!(err.contains("第 18 位校验码") && err.contains("check character"), "{err}");
    assert_eq!(enterprise_count(&db), before, "nothing written");

    let o = huiqi(&db, &["import", "enterprises", bad.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["ok"], false);
    let errors = v["errors"].as_array().unwrap();
    let rows: std::collections::BTreeSet<u64> = errors.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert!(rows.contains(&2) && rows.contains(&3) && rows.contains(&4), "{rows:?}");
    for e in errors {
        assert!(
            e["zh"].as_str().is_some_and(|s| !s.is_empty())
                && e["en"].as_str().is_some_and(|s| !s.is_empty())
        );
        assert!(e.get("column").is_some() && e.get("value").is_some());
    }
    assert_eq!(enterprise_count(&db), before);
}

#[test]
fn a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    let good = fixture("good_en.csv");
    let o = huiqi(&db, &["import", "enterprises", good.to_str().unwrap(), "--dry-run", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["created"], 3);
    assert_eq!(enterprise_count(&db), 0);
}

#[test]
fn unknown_files_and_columns_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    let o = huiqi(&db, &["import", "enterprises", "/nonexistent/x.csv"]);
    assert_eq!(o.status.code(), Some(1));
    let o = huiqi(&db, &["import", "enterprises", fixture("unknown_column.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains(" / "));
}

/// Issue 14: a file of the credit code, the name, the two flags, the year and 从业人数
/// cleared the enterprise's industry code, establishment date, taxpayer type and rating.
#[test]
fn a_partial_file_keeps_what_it_does_not_state_and_the_dry_run_shows_each_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let good = fixture("good_zh.csv");
    assert!(
        huiqi(&db, &["import", "enterprises", good.to_str().unwrap(), "--as-of", "2022-05-31"])
            .status
            .success()
    );
    let stored = |field: &str| -> Option<String> {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            &format!("SELECT {field} FROM enterprises WHERE uscc = '91430100MA4L00011K'"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let before: Vec<Option<String>> =
        ["industry_code", "established_on", "taxpayer_type", "tax_credit_rating"]
            .iter()
            .map(|f| stored(f))
            .collect();
    assert!(before.iter().all(Option::is_some), "{before:?}");

    let partial = dir.path().join("partial.csv");
    std::fs::write(
        &partial,
        "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区,年度,从业人数\n\
         91430100MA4L00011K,长沙智造科技有限公司,是,是,2022,52\n",
    )
    .unwrap();
    let p = partial.to_str().unwrap();
    // The dry run names each change, old → new, and counts the fields.
    let o = huiqi(&db, &["import", "enterprises", p, "--dry-run"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("employees[2022]: 135 → 52"), "{out}");
    assert!(!out.contains("industry_code"), "an absent column changes nothing: {out}");
    let v = json(&huiqi(&db, &["import", "enterprises", p, "--dry-run", "--json"]));
    assert_eq!(v["field_counts"]["employees[2022]"], 1, "{v}");
    assert_eq!(v["enterprise_changes"][0]["changes"][0]["old"], "135", "{v}");
    assert_eq!(v["updated"], 1);

    assert!(huiqi(&db, &["import", "enterprises", p]).status.success());
    let after: Vec<Option<String>> =
        ["industry_code", "established_on", "taxpayer_type", "tax_credit_rating"]
            .iter()
            .map(|f| stored(f))
            .collect();
    assert_eq!(after, before, "absent columns keep the stored values");

    // An empty cell keeps too, unless --clear-empty.
    std::fs::write(
        &partial,
        "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区,纳税信用等级\n\
         91430100MA4L00011K,长沙智造科技有限公司,是,是,\n",
    )
    .unwrap();
    assert!(huiqi(&db, &["import", "enterprises", p]).status.success());
    assert!(stored("tax_credit_rating").is_some());
    let v = json(&huiqi(&db, &["import", "enterprises", p, "--dry-run", "--clear-empty", "--json"]));
    assert_eq!(v["enterprise_changes"][0]["changes"][0]["field"], "tax_credit_rating", "{v}");
    assert!(v["enterprise_changes"][0]["changes"][0]["new"].is_null(), "{v}");
    assert!(huiqi(&db, &["import", "enterprises", p, "--clear-empty"]).status.success());
    assert_eq!(stored("tax_credit_rating"), None);
    assert_eq!(stored("industry_code"), before[0]);
}

/// Issue 14: a CSV whose million rows all fail printed a million-line table.
#[test]
fn a_file_whose_every_row_fails_lists_a_page_and_writes_the_full_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let bad = dir.path().join("bad.csv");
    let mut text = String::from("uscc,name,registered_in_zone,tax_registered_in_zone\n");
    for i in 0..3000 {
        text.push_str(&format!("x{i},甲,是,是\n"));
    }
    std::fs::write(&bad, text).unwrap();
    let report = dir.path().join("errors.csv");
    let o =
        huiqi(&db, &["import", "enterprises", bad.to_str().unwrap(), "--errors", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.lines().count() < 220, "{} lines", err.lines().count());
    assert!(err.contains("另有 2800 处错误未列出") && err.contains("2800 more errors"), "{err}");
    assert!(err.contains("3000 bad rows (3000 errors)"), "{err}");
    let full = std::fs::read_to_string(&report).unwrap();
    assert_eq!(full.lines().count(), 3001, "a header and every error");
    let v = json(&huiqi(&db, &["import", "enterprises", bad.to_str().unwrap(), "--json"]));
    assert_eq!((v["error_count"].as_u64(), v["errors"].as_array().map(Vec::len)), (Some(3000), Some(200)));
    assert_eq!(enterprise_count(&db), 0);
}

/// Issue 14: a UTF-16 file was decoded instead of refused.
#[test]
fn a_utf16_file_is_refused_naming_its_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.db");
    let f = dir.path().join("utf16.csv");
    let text = "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区\n91430100MA4L00011K,长沙智造科技有限公司,是,是\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&f, bytes).unwrap();
    let o = huiqi(&db, &["import", "enterprises", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("UTF-16LE") && err.contains("CSV UTF-8"), "{err}");
    assert_eq!(enterprise_count(&db), 0);
}

/// A damaged workbook (a shared-string index out of range, which panics inside calamine)
/// is exit 1 with the bilingual message, and no panic text reaches the user.
#[test]
fn a_damaged_workbook_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    let o = huiqi(&db, &["import", "enterprises", fixture("damaged.xlsx").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Excel 工作簿已损坏") && err.contains("the Excel workbook is damaged"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("index out of bounds"), "{err}");
    // Nothing written (the file is read before the database is opened: no table at all).
    assert!(enterprise_count(&db) <= 0);
}
