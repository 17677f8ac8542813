//! `huiqi financing …` end to end: the built binary over a demo zone in a temporary SQLite
//! database: the demo's products and demands in every state, a product with an eligibility
//! that does not compile refused with exit 1 in both languages (nothing stored), a good one
//! from a TOML file, a demand recorded from a hotline call and matched, the institution's
//! answers to the outcome, a bridge loan's steps in order, the demands workbook read back.

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
fn financing_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let demo = ok(Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .current_dir(dir)
        .args(["--database", "zone.db", "demo", "--no-serve", "--enterprises", "80"])
        .output()
        .unwrap());
    let banner = text(&demo.stdout);
    assert!(
        banner.contains("yinhang") && banner.contains("kejin") && banner.contains("演示融资对接"),
        "{banner}"
    );

    // The demo's catalogue and demands: every state.
    let products = json(huiqi(dir, &["financing", "product", "list", "--json"]));
    assert_eq!(products.as_array().unwrap().len(), 6, "{products}");
    let demands = json(huiqi(dir, &["financing", "demand", "list", "--json"]));
    let states: std::collections::BTreeSet<&str> =
        demands.as_array().unwrap().iter().map(|d| d["state"].as_str().unwrap()).collect();
    assert_eq!(states.into_iter().collect::<Vec<_>>(), ["accepted", "closed", "granted", "matched", "open"]);

    // A product whose eligibility names an unknown fact: exit 1, both languages, not stored.
    let bad = huiqi(
        dir,
        &[
            "financing",
            "product",
            "add",
            "--id",
            "cli-bad",
            "--institution",
            "长沙银行高新支行",
            "--name",
            "错误产品",
            "--kind",
            "loan",
            "--amount-min",
            "10万",
            "--amount-max",
            "100万",
            "--rate-min",
            "3",
            "--rate-max",
            "4",
            "--eligibility",
            "credit_score > 600",
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    let err = text(&bad.stderr);
    assert!(err.contains("credit_score") && err.contains("eligibility"), "{err}");
    assert!(err.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{err}");
    assert_eq!(json(huiqi(dir, &["financing", "product", "list", "--json"])).as_array().unwrap().len(), 6);
    // A good one from a file.
    std::fs::write(
        dir.join("p.toml"),
        "[[product]]\nid = \"cli-micro\"\ninstitution = \"长沙银行高新支行\"\nname = \"小微快贷\"\nkinds = [\"loan\"]\n\
         amount_min = \"5万\"\namount_max = \"30万\"\nterm_min_months = 3\nterm_max_months = 12\n\
         rate_min = \"3.9\"\nrate_max = \"4.8\"\n",
    )
    .unwrap();
    ok(huiqi(dir, &["financing", "product", "add", "--file", "p.toml"]));

    // A hotline demand for the first enterprise: matched to the new product.
    let conn = rusqlite::Connection::open(dir.join("zone.db")).unwrap();
    let uscc: String =
        conn.query_row("SELECT uscc FROM enterprises ORDER BY id LIMIT 1", [], |r| r.get(0)).unwrap();
    drop(conn);
    let d = json(huiqi(
        dir,
        &[
            "financing",
            "demand",
            "post",
            "--uscc",
            &uscc,
            "--kind",
            "贷款",
            "--amount",
            "20万",
            "--term",
            "6",
            "--purpose",
            "支付货款",
            "--json",
        ],
    ));
    let id = d["id"].as_i64().unwrap().to_string();
    assert_eq!((d["state"].as_str(), d["channel"].as_str()), (Some("matched"), Some("hotline")));
    assert!(d["matches"].as_array().unwrap().iter().any(|m| m["product_id"] == "cli-micro"), "{d}");
    let declined = huiqi(dir, &["financing", "respond", &id, "--product", "cli-micro", "--response", "婉拒"]);
    assert_eq!(declined.status.code(), Some(1), "a reason is required");
    ok(huiqi(dir, &["financing", "respond", &id, "--product", "cli-micro", "--response", "受理"]));
    ok(huiqi(
        dir,
        &["financing", "respond", &id, "--product", "cli-micro", "--response", "granted", "--amount", "18万"],
    ));
    let shown = json(huiqi(dir, &["financing", "demand", "show", &id, "--json"]));
    assert_eq!(
        (shown["state"].as_str(), shown["granted_amount"].as_str()),
        (Some("granted"), Some("180000"))
    );

    // A bridge loan's steps, in order only.
    let b = json(huiqi(
        dir,
        &[
            "financing",
            "demand",
            "post",
            "--uscc",
            &uscc,
            "--kind",
            "bridge_loan",
            "--amount",
            "100万",
            "--term",
            "2",
            "--purpose",
            "续贷过桥",
            "--json",
        ],
    ));
    let bid = b["id"].as_i64().unwrap().to_string();
    assert_eq!(b["next_steps"], serde_json::json!(["review"]));
    let early = huiqi(dir, &["financing", "step", &bid, "--to", "disbursed"]);
    assert_eq!(early.status.code(), Some(1), "{}", text(&early.stderr));
    for s in ["review", "approved", "disbursed", "repaid"] {
        ok(huiqi(dir, &["financing", "step", &bid, "--to", s, "--note", "按流程办理"]));
    }
    let shown = json(huiqi(dir, &["financing", "demand", "show", &bid, "--json"]));
    assert_eq!((shown["state"].as_str(), shown["step"].as_str()), (Some("granted"), Some("repaid")));

    // The workbook, read back.
    ok(huiqi(dir, &["financing", "export", "--out", "financing.xlsx"]));
    let sheets = excel::read_back(&std::fs::read(dir.join("financing.xlsx")).unwrap()).unwrap();
    assert_eq!(sheets[0].0, "融资需求");
    assert_eq!(sheets[0].1.len(), demands.as_array().unwrap().len() + 3, "a header and every demand");
    assert_eq!(huiqi(dir, &["financing", "export", "--out", "financing.pdf"]).status.code(), Some(1));
}
