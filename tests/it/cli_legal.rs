//! `huiqi legal …` end to end: the built binary over a demo zone (whose lawyer team and
//! consultations of 2022 are written) in a temporary SQLite database: the demo's consultations
//! in every state; a hotline question taken down by the operator and answered by the lawyer
//! `lvshi` (`--as`); the operator, not a lawyer, refused an answer; a question over 2,000
//! characters refused in both languages with exit 1 and nothing written; the workbook read
//! back.

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
fn legal_consultations_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(huiqi(dir, &["demo", "--no-serve", "--enterprises", "60"]));
    let demo = json(huiqi(dir, &["legal", "list", "--json"]));
    let states: Vec<&str> = demo.as_array().unwrap().iter().map(|v| v["state"].as_str().unwrap()).collect();
    assert_eq!(states.len(), 7, "{states:?}");
    for s in ["open", "answered", "closed", "withdrawn"] {
        assert!(states.contains(&s), "the demo has a consultation {s}: {states:?}");
    }
    assert_eq!(demo[0]["state"], "open", "open ones first");
    assert_eq!(demo.as_array().unwrap().iter().filter(|v| v["faq_content_id"].is_i64()).count(), 2);

    let conn = rusqlite::Connection::open(dir.join("zone.db")).unwrap();
    let a: String =
        conn.query_row("SELECT uscc FROM enterprises ORDER BY id LIMIT 1", [], |r| r.get(0)).unwrap();
    let q = "疫情期间厂房被临时征用，租赁合同能否解除？";
    let c =
        json(huiqi(dir, &["legal", "ask", "--uscc", &a, "--topic", "合同履约", "--question", q, "--json"]));
    let id = c["consultation"]["id"].as_i64().unwrap().to_string();
    assert_eq!(
        (c["consultation"]["channel"].as_str(), c["consultation"]["state"].as_str()),
        (Some("hotline"), Some("open"))
    );

    // The operator is no lawyer; lvshi is.
    let refused = huiqi(dir, &["legal", "answer", &id, "--answer", "可以协商解除。"]);
    assert_eq!(refused.status.code(), Some(1));
    let answered =
        json(huiqi(dir, &["legal", "answer", &id, "--answer", "可以协商解除。", "--as", "lvshi", "--json"]));
    assert_eq!(answered["consultation"]["state"], "answered");
    assert_eq!(answered["consultation"]["answered_by"], "lvshi");

    // Too long: both languages, exit 1, nothing written.
    let long = "合".repeat(2001);
    let bad = huiqi(dir, &["legal", "ask", "--uscc", &a, "--topic", "contract", "--question", &long]);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(
        err.contains("question") && err.contains("2000") && err.contains("字") && err.contains("characters"),
        "{err}"
    );
    let open = json(huiqi(dir, &["legal", "list", "--state", "open", "--json"]));
    assert_eq!(open.as_array().unwrap().len(), 2, "the demo's two open ones; nothing added");

    let out = ok(huiqi(dir, &["legal", "list"]));
    assert!(text(&out.stdout).contains(q) && text(&out.stdout).contains("已答复"));
    ok(huiqi(dir, &["legal", "export", "--out", "l.xlsx"]));
    let sheets = excel::read_back(&std::fs::read(dir.join("l.xlsx")).unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 9, "a header and eight consultations");
}
