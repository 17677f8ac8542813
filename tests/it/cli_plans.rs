//! `huiqi plan …` and `huiqi repair …` end to end: the built binary over a demo zone in a
//! temporary SQLite database. Plans: the demo's plans listed (behind schedule on today's
//! clock: the demo is dated 2022), one made with two measures (a badly written measure and a
//! past deadline refused with exit 1 in both languages), a measure updated, a review closing
//! it, the workbook read back. Repair: the demo's cases, one recorded, a step out of order
//! refused, the steps in order, the workbook read back.

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
fn plans_and_credit_repair_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(huiqi(dir, &["demo", "--no-serve", "--enterprises", "60"]));
    let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let today = chrono::Utc::now().with_timezone(&china).date_naive();
    let later = (today + chrono::Duration::days(60)).to_string();
    let past = (today - chrono::Duration::days(1)).to_string();

    // The demo's plans: four open (one closed), all behind on today's clock.
    let plans = json(huiqi(dir, &["plan", "list", "--json"]));
    assert_eq!(plans.as_array().unwrap().len(), 4, "{plans}");
    assert_eq!(json(huiqi(dir, &["plan", "list", "--closed", "--json"])).as_array().unwrap().len(), 5);
    let behind = json(huiqi(dir, &["plan", "list", "--behind", "--programme", "倍增", "--json"]));
    assert!(
        behind
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["programme"] == "doubling" && p["review_overdue"] == true)
    );

    let conn = rusqlite::Connection::open(dir.join("zone.db")).unwrap();
    let uscc: String =
        conn.query_row("SELECT uscc FROM enterprises ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    drop(conn);
    let create = |measure: &str| {
        huiqi(
            dir,
            &[
                "plan",
                "create",
                "--uscc",
                &uscc,
                "--programme",
                "领跑",
                "--diagnosed",
                &today.to_string(),
                "--experts",
                "园区专家团队",
                "--findings",
                "产能受限，融资渠道单一。",
                "--measure",
                measure,
                "--measure",
                &format!("辅导研发费用加计扣除|税务局|{later}"),
                "--json",
            ],
        )
    };
    let bad = create("对接贷款|科技金融服务中心");
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("内容|责任部门|完成期限"), "{}", text(&bad.stderr));
    let bad = create(&format!("对接贷款|科技金融服务中心|{past}"));
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(err.contains("不能早于今天") && err.contains("cannot be before today"), "{err}");
    let p = json(create(&format!("对接贷款|科技金融服务中心|{later}")));
    let id = p["id"].as_i64().unwrap().to_string();
    let m = p["measures"][0]["id"].as_i64().unwrap().to_string();
    assert_eq!(p["measures"][1]["owner_department"], "tax_bureau");

    let out =
        text(&ok(huiqi(dir, &["plan", "measure", &id, &m, "--status", "done", "--note", "获批贷款"])).stdout);
    assert!(out.contains("完成 1"), "{out}");
    let out = huiqi(dir, &["plan", "measure", &id, &m, "--status", "in_progress"]);
    assert_eq!(out.status.code(), Some(1), "a done measure is final");
    let shown = text(&ok(huiqi(dir, &["plan", "show", &id])).stdout);
    assert!(shown.contains("对接贷款") && shown.contains("已完成"), "{shown}");
    ok(huiqi(dir, &["plan", "review", &id, "--conclusion", "目标达成，方案结束。", "--close"]));
    let v = json(huiqi(dir, &["plan", "show", &id, "--json"]));
    assert_eq!(v["closed_on"].as_str(), Some(today.to_string().as_str()));
    assert_eq!(huiqi(dir, &["plan", "review", &id, "--conclusion", "再评估"]).status.code(), Some(1));

    ok(huiqi(dir, &["plan", "export", "--closed", "--out", "plans.xlsx"]));
    let sheets = excel::read_back(&std::fs::read(dir.join("plans.xlsx")).unwrap()).unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["方案", "措施", "评估"]);
    assert_eq!(sheets[0].1.len(), 7, "a header and six plans");
    assert_eq!(sheets[1].1.len(), 1 + 5 * 4 + 2, "a header, the demo's twenty measures and the two new");
    assert_eq!(huiqi(dir, &["plan", "export", "--out", "plans.pdf"]).status.code(), Some(1));

    // Credit repair: the demo's six cases, one recorded here and taken through its steps.
    let cases = json(huiqi(dir, &["repair", "list", "--json"]));
    assert_eq!(cases.as_array().unwrap().len(), 6);
    let open = json(huiqi(dir, &["repair", "list", "--open", "--json"]));
    assert_eq!(open.as_array().unwrap().len(), 4, "repaired and refused are closed");
    let c = json(huiqi(
        dir,
        &[
            "repair",
            "open",
            "--uscc",
            &uscc,
            "--source",
            "市场监管局行政处罚决定",
            "--record-date",
            "2022-05-10",
            "--kind",
            "行政处罚",
            "--json",
        ],
    ));
    let cid = c["id"].as_i64().unwrap().to_string();
    assert_eq!(c["step"], "recorded");
    let bad = huiqi(dir, &["repair", "advance", &cid, "repaired"]);
    assert_eq!(bad.status.code(), Some(1));
    let bad = huiqi(
        dir,
        &[
            "repair",
            "open",
            "--uscc",
            &uscc,
            "--source",
            "x",
            "--record-date",
            "2022-05-10",
            "--kind",
            "罚款",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("行政处罚、经营异常"), "{}", text(&bad.stderr));
    for step in ["training_attended", "已签署承诺", "application_submitted"] {
        ok(huiqi(dir, &["repair", "advance", &cid, step]));
    }
    let out = text(&ok(huiqi(dir, &["repair", "advance", &cid, "repaired"])).stdout);
    assert!(out.contains("已修复"), "{out}");
    let shown = text(&ok(huiqi(dir, &["repair", "show", &cid])).stdout);
    assert_eq!(shown.lines().count(), 6, "the case and its five steps: {shown}");

    ok(huiqi(dir, &["repair", "export", "--out", "repair.xlsx"]));
    let sheets = excel::read_back(&std::fs::read(dir.join("repair.xlsx")).unwrap()).unwrap();
    assert_eq!(sheets[0].0, "信用修复");
    assert_eq!(sheets[0].1.len(), 8, "a header and seven cases");
}
