//! `huiqi utilities …` end to end: the built binary over a demo zone (whose two providers'
//! files of 2022 are already imported) in a temporary SQLite database: the fixture file
//! `tests/data/utilities-arrears.csv` (its `{A}` the credit code of an enterprise of the zone)
//! checked by a dry run that writes nothing, then imported (a fee charged for arrears paid in
//! the window becomes a problem); a bad file refused with exit 1 and every row's problem;
//! waivers per provider, violations, and the workbook read back.

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

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    o
}

fn json(o: Output) -> serde_json::Value {
    serde_json::from_slice(&ok(o).stdout).unwrap()
}

#[test]
fn utilities_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(huiqi(dir, &["demo", "--no-serve", "--enterprises", "60"]));
    let demo = json(huiqi(dir, &["utilities", "list", "--json"]));
    assert_eq!(demo.as_array().unwrap().len(), 24, "two providers' twelve records");
    let states: Vec<&str> = demo.as_array().unwrap().iter().map(|v| v["state"].as_str().unwrap()).collect();
    // On the real clock the demo's December arrears are past their window too.
    for s in ["waived", "overdue", "paid_late", "violation"] {
        assert!(states.contains(&s), "the demo has a record {s}: {states:?}");
    }
    let violations = json(huiqi(dir, &["utilities", "violations", "--json"]));
    assert_eq!(violations.as_array().unwrap().len(), 4);
    assert!(violations.as_array().unwrap().iter().all(|v| v["problem_id"].is_i64()));

    let conn = rusqlite::Connection::open(dir.join("zone.db")).unwrap();
    let a: String =
        conn.query_row("SELECT uscc FROM enterprises ORDER BY id LIMIT 1", [], |r| r.get(0)).unwrap();
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/utilities-arrears.csv"))
            .unwrap()
            .replace("{A}", &a);
    std::fs::write(dir.join("sf.csv"), &fixture).unwrap();

    let dry = json(huiqi(dir, &["utilities", "import", "sf.csv", "--dry-run", "--json"]));
    assert_eq!((dry["dry_run"].as_bool(), dry["inserted"].as_u64()), (Some(true), Some(2)));
    assert_eq!(json(huiqi(dir, &["utilities", "list", "--json"])).as_array().unwrap().len(), 24);

    let out = ok(huiqi(dir, &["utilities", "import", "sf.csv"]));
    let said = text(&out.stdout);
    assert!(said.contains("新增 2") && said.contains("已生成问题"), "{said}");
    // Again: nothing changes, no second problem.
    let again = json(huiqi(dir, &["utilities", "import", "sf.csv", "--json"]));
    assert_eq!(
        (again["unchanged"].as_u64(), again["problems_raised"].as_array().map(Vec::len)),
        (Some(2), Some(0))
    );

    std::fs::write(
        dir.join("bad.csv"),
        format!("供应单位,记录编号,统一社会信用代码,类别,欠费金额,欠费日期\n长沙供水有限公司,SF2026-201,{a},蒸汽,10,2026-03-02\n长沙供水有限公司,SF2026-202,{a},水,abc,2026-03-02\n"),
    )
    .unwrap();
    let bad = huiqi(dir, &["utilities", "import", "bad.csv"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(
        err.contains("row 2") && err.contains("kind") && err.contains("row 3") && err.contains("amount"),
        "{err}"
    );

    let w = json(huiqi(dir, &["utilities", "waivers", "--provider", "长沙供水有限公司", "--json"]));
    let mine: Vec<&serde_json::Value> = w[0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["record_no"].as_str().unwrap().starts_with("SF2026"))
        .collect();
    assert_eq!(mine.len(), 2, "both paid in their windows");

    ok(huiqi(dir, &["utilities", "export", "--out", "u.xlsx"]));
    let sheets = excel::read_back(&std::fs::read(dir.join("u.xlsx")).unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 27, "a header and 26 records");
}
