//! `huiqi logistics …` end to end: the built binary over a demo zone (whose officer setting,
//! profiles and obstruction reports are already written) in a temporary SQLite database: a
//! profile set (and a bad mode refused with exit 1 in both languages), a profiles file checked
//! by a dry run that writes nothing, imported, and a bad one refused with every row's problem;
//! the lists with their filters, the open reports, and the workbook read back.

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

fn count(v: &serde_json::Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[test]
fn logistics_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(huiqi(dir, &["demo", "--no-serve", "--enterprises", "60"]));
    let demo = json(huiqi(dir, &["logistics", "profile", "list", "--json"]));
    assert!(count(&demo) >= 1, "the demo's profiles (qiye's at least)");
    let reports = json(huiqi(dir, &["logistics", "reports", "--json"]));
    assert!(
        reports.as_array().unwrap().iter().any(|r| r["title"] == "快递网点停收园区包裹，成品无法发出"),
        "the demo's report raised last is open: {reports}"
    );

    let conn = rusqlite::Connection::open(dir.join("zone.db")).unwrap();
    let codes: Vec<String> = conn
        .prepare("SELECT uscc FROM enterprises ORDER BY id LIMIT 3")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (a, b, c) = (&codes[0], &codes[1], &codes[2]);

    let set = json(huiqi(
        dir,
        &[
            "logistics",
            "profile",
            "set",
            "--uscc",
            a,
            "--main-mode",
            "铁路",
            "--other-modes",
            "公路,快递",
            "--routes",
            "中欧班列（长沙）霞凝货场",
            "--json",
        ],
    ));
    assert_eq!(
        (set["main_mode"].as_str(), set["other_modes_zh"].as_str()),
        (Some("rail"), Some("公路、快递"))
    );
    let bad = huiqi(dir, &["logistics", "profile", "set", "--uscc", a, "--main-mode", "马车"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(err.contains("马车") && err.contains(" / ") && err.contains("main_mode"), "{err}");

    let before = count(&json(huiqi(dir, &["logistics", "profile", "list", "--json"])));
    std::fs::write(
        dir.join("p.csv"),
        format!("统一社会信用代码,主要物流方式,其他物流方式,主要线路\n{b},水运,公路,霞凝港 → 岳阳城陵矶港\n{c},航空,,黄花机场货运站\n{a},铁路,,\n"),
    )
    .unwrap();
    let dry = json(huiqi(dir, &["logistics", "profile", "import", "p.csv", "--dry-run", "--json"]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["unchanged"], 1, "a's row changes nothing: empty cells keep what is recorded");
    let new = dry["inserted"].as_u64().unwrap() as usize;
    assert_eq!(
        count(&json(huiqi(dir, &["logistics", "profile", "list", "--json"]))),
        before,
        "nothing written"
    );
    let out = ok(huiqi(dir, &["logistics", "profile", "import", "p.csv"]));
    assert!(text(&out.stdout).contains("已导入"), "{}", text(&out.stdout));
    assert_eq!(count(&json(huiqi(dir, &["logistics", "profile", "list", "--json"]))), before + new);
    let rail = json(huiqi(dir, &["logistics", "profile", "list", "--mode", "rail", "--json"]));
    let mine = rail.as_array().unwrap().iter().find(|p| p["uscc"] == a.as_str()).unwrap();
    assert_eq!(mine["routes"], "中欧班列（长沙）霞凝货场");
    let water = json(huiqi(dir, &["logistics", "profile", "list", "--mode", "水运", "--json"]));
    assert!(water.as_array().unwrap().iter().any(|p| p["uscc"] == b.as_str()));

    std::fs::write(dir.join("bad.csv"), format!("uscc,main_mode,watcher\n{b},飞船,\n{c},road,nobody\n"))
        .unwrap();
    let bad = huiqi(dir, &["logistics", "profile", "import", "bad.csv"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(
        err.contains("row 2")
            && err.contains("main_mode")
            && err.contains("row 3")
            && err.contains("watcher"),
        "{err}"
    );

    // Key enterprises without a profile have none.
    let listed = json(huiqi(dir, &["logistics", "profile", "list", "--json"]));
    let missing = json(huiqi(dir, &["logistics", "profile", "list", "--missing", "--json"]));
    for m in missing.as_array().unwrap() {
        assert!(!listed.as_array().unwrap().iter().any(|p| p["uscc"] == m["uscc"]), "{m}");
    }

    ok(huiqi(dir, &["logistics", "profile", "export", "--out", "l.xlsx"]));
    let sheets = excel::read_back(&std::fs::read(dir.join("l.xlsx")).unwrap()).unwrap();
    assert_eq!(sheets[0].0, "物流档案");
    assert_eq!(sheets[0].1.len(), 1 + count(&listed), "a header and every profile");
    assert_eq!(sheets[1].0, "本月物流受阻");
}
