//! `huiqi policy …` end to end: the built binary in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn huiqi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huiqi")).current_dir(dir).args(args).output().unwrap()
}

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn check_and_test_pass_on_the_shipped_library() {
    let tmp = tempfile::tempdir().unwrap();
    let p = policies();
    let o = huiqi(tmp.path(), &["policy", "check", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("check passed"));
    let o = huiqi(tmp.path(), &["policy", "test", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains(", 0 failed"));
}

#[test]
fn check_reports_errors_with_location_and_hint_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("bad.toml"),
        "[policy]\nid = \"b\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"d\"\nlevel = \"zone\"\n\
         window = { from = \"2022-01-01\" }\n\n[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\n\
         when = 'revenu[year - 1] > 0 and taxpayer_type == 3'\n",
    )
    .unwrap();
    let o = huiqi(tmp.path(), &["policy", "check", "bad.toml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("bad.toml:13:9"), "{err}");
    assert!(err.contains("did you mean 'revenue'"), "{err}");
    assert!(err.contains("是否应为“revenue”"), "{err}");
    assert!(err.contains("bad.toml:13:34"), "{err}");
}

#[test]
fn test_exits_1_when_a_case_fails() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("p.toml"),
        "[policy]\nid = \"b\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"d\"\nlevel = \"zone\"\n\
         window = { from = \"2022-01-01\" }\n\n[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\n\
         when = 'registered_in_zone'\n[[item.case]]\nname = \"wrong\"\ndate = \"2022-02-01\"\n\
         facts = { registered_in_zone = false }\noutcome = \"eligible\"\n",
    )
    .unwrap();
    let o = huiqi(tmp.path(), &["policy", "test", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("FAIL  x «wrong»"), "{}", text(&o.stdout));
}

fn eval_json(facts: &str, date: &str) -> Vec<serde_json::Value> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("facts.json"), facts).unwrap();
    let p = policies();
    let o = huiqi(
        tmp.path(),
        &[
            "policy",
            "eval",
            "--facts",
            "facts.json",
            "--date",
            date,
            "--json",
            "--policies",
            p.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn decision<'a>(all: &'a [serde_json::Value], item: &str) -> &'a serde_json::Value {
    all.iter().find(|d| d["item"] == item).unwrap_or_else(|| panic!("no decision for {item}"))
}

#[test]
fn eval_gives_the_reliefs_the_notices_imply() {
    let all = eval_json(
        r#"{"registered_in_zone": true, "tax_registered_in_zone": true, "taxpayer_type": "small_scale",
            "restricted_industry": false, "taxable_income": {"2022": "2000000"}, "employees": {"2022": 120},
            "total_assets": {"2022": "30000000"}, "sales_at_3pct": {"2022": "1000000"},
            "six_taxes_two_fees": {"2022": "10000.01"}}"#,
        "2022-12-31",
    );
    let d = decision(&all, "slp-income-tax-2022");
    let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
    for k in ["item", "title", "document", "outcome", "amount", "missing_facts", "explanation"] {
        assert!(d.get(k).is_some(), "{k}");
    }
    assert_eq!(d["outcome"], "eligible");
    assert_eq!(d["amount"], "425000.00");
    assert_eq!(d["document"], "财政部 税务总局公告2022年第13号");
    assert_eq!(decision(&all, "small-scale-vat-exemption-2022")["amount"], "30000.00");
    assert_eq!(decision(&all, "six-taxes-two-fees-2022")["amount"], "5000.01");
    // Items out of their window are not listed.
    assert!(all.iter().all(|d| d["item"] != "slp-income-tax-2023"));
}

#[test]
fn eval_names_missing_facts_and_gives_no_amount_when_undetermined() {
    let all = eval_json(
        r#"{"restricted_industry": false, "taxable_income": {"2022": "2000000"}, "employees": {"2022": 120}}"#,
        "2022-12-31",
    );
    let d = decision(&all, "slp-income-tax-2022");
    assert_eq!(d["outcome"], "undetermined");
    assert!(d["amount"].is_null());
    assert_eq!(d["missing_facts"], serde_json::json!([{"fact": "total_assets", "year": 2022}]));
    assert!(d["explanation"]["children"].is_array());
}

#[test]
fn eval_rejects_bad_facts_with_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f.json"), r#"{"revnue": 1, "taxpayer_type": "big"}"#).unwrap();
    let o = huiqi(tmp.path(), &["policy", "eval", "--facts", "f.json", "--date", "2022-06-30"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("revnue") && err.contains("taxpayer_type"), "{err}");
    let o = huiqi(tmp.path(), &["policy", "eval", "--facts", "f.json", "--date", "2022-13-01"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn the_utility_waiver_counts_working_days() {
    let all = eval_json(
        r#"{"utility_arrears_on": "2022-04-27", "utility_arrears_paid_on": "2022-05-27", "utility_late_fee": "100"}"#,
        "2022-06-01",
    );
    assert_eq!(decision(&all, "utility-late-fee-waiver")["outcome"], "eligible");
    let all = eval_json(
        r#"{"utility_arrears_on": "2022-04-27", "utility_arrears_paid_on": "2022-05-30", "utility_late_fee": "100"}"#,
        "2022-06-01",
    );
    assert_eq!(decision(&all, "utility-late-fee-waiver")["outcome"], "ineligible");
}

#[test]
fn bench_runs_on_a_small_synthetic_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let o = huiqi(tmp.path(), &["policy", "bench", "--enterprises", "2000", "--items", "12"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("decisions: 24000"), "{}", text(&o.stdout));
}
