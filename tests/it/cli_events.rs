//! `huiqi event …` end to end: the built binary over a demo zone in a temporary SQLite
//! database: publish (bad times refused with exit 1 in both languages), list --json,
//! register in order then the waiting list, unregister moves it up, capacity, the attendance
//! workbook, the month's reach, cancel. (Check-in and close need the clock moved on:
//! crates/app/tests/it/events.rs runs them.)

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

#[test]
fn events_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .current_dir(dir)
        .args(["--database", "zone.db", "demo", "--no-serve", "--enterprises", "60"])
        .output()
        .unwrap());
    let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let day =
        (chrono::Utc::now().with_timezone(&china) + chrono::Duration::days(7)).format("%Y-%m-%d").to_string();
    let (starts, ends) = (format!("{day} 09:00"), format!("{day} 11:30"));
    let publish = |capacity: &str, ends: &str| {
        huiqi(
            dir,
            &[
                "event",
                "publish",
                "--kind",
                "政银企对接",
                "--title",
                "科技金融对接会",
                "--department",
                "科技金融服务中心",
                "--place",
                "麓谷企业广场",
                "--starts",
                &starts,
                "--ends",
                ends,
                "--capacity",
                capacity,
                "--per-enterprise",
                "2",
                "--json",
            ],
        )
    };
    let bad = publish("3", &format!("{day} 08:00"));
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("结束") || text(&bad.stderr).contains("ends"),
        "{}",
        text(&bad.stderr)
    );
    let e: serde_json::Value = serde_json::from_slice(&ok(publish("3", &ends)).stdout).unwrap();
    let id = e["id"].as_i64().unwrap().to_string();
    assert_eq!(e["kind"], "bank_enterprise");

    // Three enterprises of the demo zone.
    let conn = rusqlite::Connection::open(dir.join("zone.db")).unwrap();
    let codes: Vec<String> = conn
        .prepare("SELECT uscc FROM enterprises ORDER BY id LIMIT 3")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    let reg = |code: &str, n: &str| huiqi(dir, &["event", "register", &id, "--uscc", code, "--attendees", n]);
    assert!(text(&ok(reg(&codes[0], "2")).stdout).contains("已报名"));
    assert!(text(&ok(reg(&codes[1], "2")).stdout).contains("候补"));
    let again = reg(&codes[0], "1");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("已报名") && text(&again.stderr).contains("already"),
        "{}",
        text(&again.stderr)
    );
    let out = text(&ok(huiqi(dir, &["event", "unregister", &id, "--uscc", &codes[0]])).stdout);
    assert!(out.contains("已取消") && out.contains("waitlisted → confirmed"), "{out}");
    ok(reg(&codes[2], "1"));
    ok(huiqi(dir, &["event", "capacity", &id, "5"]));

    let listed: serde_json::Value =
        serde_json::from_slice(&ok(huiqi(dir, &["event", "list", "--json"])).stdout).unwrap();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"].as_i64().map(|i| i.to_string()) == Some(id.clone()))
        .unwrap();
    assert_eq!(
        (mine["seats_taken"].as_u64(), mine["capacity"].as_u64(), mine["kind_zh"].as_str()),
        (Some(3), Some(5), Some("政银企对接"))
    );

    ok(huiqi(dir, &["event", "export", "--out", "attendance.xlsx"]));
    let sheets = excel::read_back(&std::fs::read(dir.join("attendance.xlsx")).unwrap()).unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["活动", "报名明细", "按部门"]);
    assert_eq!(sheets[1].1.len(), 4, "a header and three registrations: {:?}", sheets[1].1);
    assert!(huiqi(dir, &["event", "export", "--out", "attendance.pdf"]).status.code() == Some(1));

    let month = &day[..7];
    let reach: serde_json::Value =
        serde_json::from_slice(&ok(huiqi(dir, &["event", "reach", "--month", month, "--json"])).stdout)
            .unwrap();
    let line = reach.as_array().unwrap().iter().find(|r| r["clause"] == "三.8").unwrap();
    assert_eq!((line["events"].as_u64(), line["registered"].as_u64()), (Some(1), Some(2)));

    let out = text(&ok(huiqi(dir, &["event", "cancel", &id, "--reason", "场地调整"])).stdout);
    assert!(out.contains("场地调整"));
    assert_eq!(huiqi(dir, &["event", "register", &id, "--uscc", &codes[0]]).status.code(), Some(1));
}
