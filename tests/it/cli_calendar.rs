//! Issue 11 §5 through the built binary: the calendar never runs out. A late-December
//! question is answered (provisional) before any notice is loaded; `calendar load` of a 2027
//! file gives the official answer; and an open problem whose deadline lies in a provisional
//! year has it moved, by an audited event, when its year's notice is loaded. Whatever day the
//! test runs: the problem is received now and given 45 working days, so its deadline lies in
//! a year no notice is shipped for, and the notice loaded for that year gives one more day
//! off before it.

use chrono::{Datelike, NaiveDate, Weekday};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

fn user(db: &Path, args: &[&str]) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .arg("--database")
        .arg(db)
        .args(["user", "add"])
        .args(args)
        .env_remove("HUIQI_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(b"password-2022\n").unwrap();
    ok(c.wait_with_output().unwrap());
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/calendar-2027-example.csv")
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn a_december_deadline_is_provisional_until_the_notice_is_loaded_and_open_deadlines_move() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    // No database yet: the question is answered, provisional, and creates no file.
    let a = json(&ok(huiqi(&db, &["calendar", "add-workdays", "2026-12-25", "7", "--json"])));
    assert_eq!((a["result"].as_str(), a["provisional"].as_bool()), (Some("2027-01-06"), Some(true)), "{a}");
    assert_eq!(a["provisional_years"], serde_json::json!([2027]));
    assert!(!db.exists());
    let plain = ok(huiqi(&db, &["calendar", "add-workdays", "2026-12-25", "7"]));
    assert_eq!(String::from_utf8_lossy(&plain.stdout), "2027-01-06\n", "the text output is unchanged");
    assert!(String::from_utf8_lossy(&plain.stderr).contains("provisional"));
    let w = json(&ok(huiqi(&db, &["calendar", "is-workday", "2027-02-09", "--json"])));
    assert_eq!(
        (w["workday"].as_bool(), w["kind"].as_str(), w["provisional"].as_bool()),
        (Some(false), Some("holiday"), Some(true))
    );
    let b = json(&ok(huiqi(&db, &["calendar", "workdays-between", "2026-12-25", "2027-01-06", "--json"])));
    assert_eq!((b["workdays"].as_i64(), b["provisional"].as_bool()), (Some(7), Some(true)));

    // A zone with a problem received now and given 45 working days (15 to answer a
    // technical upgrade, 30 more approved).
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/import/tests/data/good_zh.csv");
    ok(huiqi(&db, &["import", "enterprises", file.to_str().unwrap(), "--as-of", "2022-05-31"]));
    user(&db, &["--username", "zhizao", "--role", "enterprise", "--enterprise", "91430100MA4L00011K"]);
    user(&db, &["--username", "ducha", "--role", "supervisor"]);
    user(&db, &["--username", "admin2", "--role", "admin"]);
    let o = ok(huiqi(
        &db,
        &[
            "problem",
            "add",
            "--enterprise",
            "91430100MA4L00011K",
            "--category",
            "upgrading",
            "--title",
            "技改补贴",
            "--as",
            "zhizao",
            "--json",
        ],
    ));
    let v = json(&o);
    let id = v["id"].as_i64().unwrap().to_string();
    let lead = v["lead_department"].as_str().unwrap().to_string();
    user(&db, &["--username", "lead", "--role", "department", "--department", &lead]);
    let act = |args: &[&str]| {
        let mut all = vec!["problem", "act", id.as_str()];
        all.extend_from_slice(args);
        ok(huiqi(&db, &all))
    };
    act(&["accept", "--as", "lead"]);
    act(&["assign", "--as", "lead", "--department", &lead]);
    act(&["start", "--as", "lead"]);
    act(&["request-extension", "--as", "lead", "--days", "30", "--note", "需专家评审"]);
    act(&["approve-extension", "--as", "ducha"]);
    let v = json(&ok(huiqi(&db, &["problem", "show", &id, "--json"])));
    let received = v["received_at"].as_str().unwrap()[..10].to_string();
    let due = d(v["deadlines"]["answer_by"].as_str().unwrap());
    assert!(due.year() >= 2027, "45 working days from now lie in a year without a notice: {due}");
    assert_eq!(v["provisional"], true);

    // Only an admin loads; a file without a statutory day off is refused, naming it.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        std::fs::read_to_string(example()).unwrap().replace("2027-06-09,holiday,端午节\n", ""),
    )
    .unwrap();
    let o = huiqi(&db, &["calendar", "load", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("端午节") && e.contains(" / "), "{e}");
    let o = huiqi(&db, &["calendar", "load", example().to_str().unwrap(), "--as", "zhizao"]);
    assert_eq!(o.status.code(), Some(1));

    // The 2027 notice: the same question now has the official answer.
    let loaded =
        json(&ok(huiqi(&db, &["calendar", "load", example().to_str().unwrap(), "--as", "admin2", "--json"])));
    assert_eq!((loaded["year"].as_i64(), loaded["was"].as_str()), (Some(2027), Some("provisional")));
    let a = json(&ok(huiqi(&db, &["calendar", "add-workdays", "2026-12-25", "7", "--json"])));
    assert_eq!((a["result"].as_str(), a["provisional"].as_bool()), (Some("2027-01-06"), Some(false)), "{a}");
    let years = json(&ok(huiqi(&db, &["calendar", "years", "--json"])));
    let y27 = years["years"].as_array().unwrap().iter().find(|y| y["year"] == 2027).unwrap().clone();
    assert_eq!(
        (y27["status"].as_str(), y27["loaded_by"].as_str()),
        (Some("official"), Some("admin2")),
        "{y27}"
    );
    assert!(y27["notice"].as_str().unwrap().contains("测试用"));
    let first = &years["years"][0];
    assert_eq!((first["year"].as_i64(), first["status"].as_str()), (Some(2019), Some("embedded")));

    // The notice of the deadline's year, with one more working day off before it.
    let y = due.year();
    let base = if y == 2027 {
        std::fs::read_to_string(example()).unwrap()
    } else {
        let mut a = calendar::YearArrangement::provisional(y).unwrap();
        a.notice = format!("测试用 {y} 年通知（非真实文件）");
        a.to_csv()
    };
    let listed: Vec<NaiveDate> =
        base.lines().filter_map(|l| l.split(',').next()).filter_map(|s| s.parse().ok()).collect();
    let today = d(&received);
    let mut extra = NaiveDate::from_ymd_opt(y, 1, 1).unwrap().max(today.succ_opt().unwrap());
    while matches!(extra.weekday(), Weekday::Sat | Weekday::Sun) || listed.contains(&extra) {
        extra = extra.succ_opt().unwrap();
    }
    assert!(extra < due, "{extra} before {due}");
    let notice = dir.path().join(format!("{y}.csv"));
    std::fs::write(&notice, format!("{base}{},holiday,测试补充假日\n", extra.format("%Y-%m-%d"))).unwrap();
    let out = json(&ok(huiqi(&db, &["calendar", "load", notice.to_str().unwrap(), "--json"])));
    let moved = out["moved"].as_array().unwrap();
    let mine = moved.iter().find(|m| m["problem_id"].as_i64().map(|i| i.to_string()) == Some(id.clone()));
    let mine = mine.unwrap_or_else(|| panic!("the problem's deadline moved: {out}"));
    assert_eq!(mine["lead_department"], lead.as_str());
    assert!(mine["changes"].as_array().unwrap().iter().any(|c| c["deadline"] == "answer_by"), "{mine}");

    // The problem: its deadline is the official calendar's now, moved by an event of the
    // system's, and the chain holds.
    let v = json(&ok(huiqi(&db, &["problem", "show", &id, "--json"])));
    let now_due = v["deadlines"]["answer_by"].as_str().unwrap().to_string();
    assert_ne!(now_due, due.to_string());
    let official = json(&ok(huiqi(&db, &["calendar", "add-workdays", &received, "45", "--json"])));
    assert_eq!(official["result"].as_str(), Some(now_due.as_str()));
    assert_eq!(official["provisional"], false);
    assert_eq!(v["provisional"], false);
    let last = v["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("recompute_deadlines"), Some("system"))
    );
    assert_eq!(last["payload"]["year"], y);
    let o = ok(huiqi(&db, &["audit", "verify"]));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("chain intact"));
    // Loading it again moves nothing.
    let again = json(&ok(huiqi(&db, &["calendar", "load", notice.to_str().unwrap(), "--json"])));
    assert_eq!(again["moved"], serde_json::json!([]));
    assert_eq!(again["was"], "official");
}
