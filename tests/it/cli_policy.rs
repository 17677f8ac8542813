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
         when = 'revenu[year - 1] > 0 and taxpayer_type == 3'\nbenefit_kind = \"status\"\n",
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
         window = { from = \"2022-01-01\" }\n\n[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\nbenefit_kind = \"status\"\n\
         when = 'registered_in_zone'\n[[item.case]]\nname = \"wrong\"\ndate = \"2022-02-01\"\n\
         facts = { registered_in_zone = false }\noutcome = \"eligible\"\n",
    )
    .unwrap();
    let o = huiqi(tmp.path(), &["policy", "test", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("FAIL  x «wrong»"), "{}", text(&o.stdout));
}

fn eval_json(facts: &str, date: &str) -> Vec<serde_json::Value> {
    eval_json_with(facts, date, &[])
}

fn eval_json_with(facts: &str, date: &str, more: &[&str]) -> Vec<serde_json::Value> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("facts.json"), facts).unwrap();
    let p = policies();
    let mut args = vec![
        "policy",
        "eval",
        "--facts",
        "facts.json",
        "--date",
        date,
        "--json",
        "--policies",
        p.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let o = huiqi(tmp.path(), &args);
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
    assert_eq!(keys.len(), 11, "{keys:?}");
    for k in [
        "item",
        "title",
        "document",
        "benefit_kind",
        "period",
        "outcome",
        "amount",
        "amount_missing_facts",
        "missing_facts",
        "superseded_by",
        "explanation",
    ] {
        assert!(d.get(k).is_some(), "{k}");
    }
    assert_eq!(
        (d["benefit_kind"].as_str(), d["period"].as_str()),
        (Some("tax_relief_declared"), Some("2022"))
    );
    assert_eq!(d["amount_missing_facts"], serde_json::json!([]));
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

/// Eligibility apart from amount: a small-scale taxpayer without its 六税两费 amount is
/// eligible, with no amount and the amount's facts named.
#[test]
fn eval_keeps_an_eligible_enterprise_eligible_when_its_amount_is_missing() {
    let all = eval_json(r#"{"taxpayer_type": "small_scale"}"#, "2022-06-30");
    let d = decision(&all, "six-taxes-two-fees-2022");
    assert_eq!(d["outcome"], "eligible");
    assert!(d["amount"].is_null());
    let missing = serde_json::json!([{"fact": "six_taxes_two_fees", "year": 2022}]);
    assert_eq!(d["amount_missing_facts"], missing);
    assert_eq!(d["missing_facts"], missing);
    // The 留抵退税 is granted by the tax office on application, its periods are months.
    let refund = decision(&all, "vat-credit-refund-small-micro-2022");
    assert_eq!(
        (refund["benefit_kind"].as_str(), refund["period"].as_str()),
        (Some("tax_refund_applied"), Some("2022-06"))
    );
}

/// `--tax-year`: the 2022 annual settlement in May 2023 decides the 2022 relief on the 2022
/// facts; the default is the date's year; a year after the date is refused (exit 1, both
/// languages); and the text output counts a replaced item once.
#[test]
fn eval_takes_a_tax_year_for_the_annual_items() {
    let facts = r#"{"restricted_industry": false, "taxable_income": {"2022": "2000000"},
        "employees": {"2022": 120}, "total_assets": {"2022": "30000000"}}"#;
    let all = eval_json_with(facts, "2023-05-20", &["--tax-year", "2022"]);
    let d = decision(&all, "slp-income-tax-2022");
    assert_eq!((d["outcome"].as_str(), d["amount"].as_str()), (Some("eligible"), Some("425000.00")));
    assert_eq!(d["period"], "2022");
    assert!(all.iter().all(|d| d["item"] != "slp-income-tax-2023"));
    let default = eval_json(facts, "2023-05-20");
    assert!(default.iter().all(|d| d["item"] != "slp-income-tax-2022"));
    assert_eq!(decision(&default, "slp-income-tax-2023")["period"], "2023");

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f.json"), facts).unwrap();
    let p = policies();
    let base =
        ["policy", "eval", "--facts", "f.json", "--date", "2023-05-20", "--policies", p.to_str().unwrap()];
    let o = huiqi(tmp.path(), &[&base[..], &["--tax-year", "2024"]].concat());
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("纳税年度 2024") && err.contains("tax year 2024"), "{err}");
    // 六税两费 in 2023: both notices' items are shown, the total counts the relief once.
    std::fs::write(
        tmp.path().join("s.json"),
        r#"{"taxpayer_type": "small_scale", "six_taxes_two_fees": {"2023": "1000"}}"#,
    )
    .unwrap();
    let o = huiqi(
        tmp.path(),
        &["policy", "eval", "--facts", "s.json", "--date", "2023-06-30", "--policies", p.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("本期已由 six-taxes-two-fees-2023 替代"), "{out}");
    let line = out.lines().find(|l| l.contains("tax_relief_declared") && l.contains("金额 ¥")).unwrap_or("");
    assert!(line.contains("¥500.00") && !line.contains("¥1000.00"), "{out}");
    assert!(
        out.contains("企业在纳税申报时自行享受")
            && out.contains("园区资金合计（奖补）/ zone payouts (awards): ¥0"),
        "{out}"
    );
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

#[test]
fn bench_match_db_imports_then_runs_the_real_match() {
    let tmp = tempfile::tempdir().unwrap();
    let args = ["--database", "m.db", "bench", "match-db", "--rows", "3000", "--json"];
    let o = huiqi(tmp.path(), &args);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((out["backend"].as_str(), out["rows"].as_u64()), (Some("sqlite"), Some(3000)));
    assert_eq!(out["enterprises"], 3000);
    // The generated file registers every tenth enterprise for tax outside the zone.
    assert_eq!(out["assistance_targets"], 2700);
    assert!(out["eligible_pairs"].as_u64().unwrap() >= 2700, "at least the assistance-target item: {out}");
    for phase in ["import_s", "match_s", "read_build_s", "evaluate_s", "store_s"] {
        assert!(out[phase].is_f64(), "{phase}: {out}");
    }
    // The run is in the database: the same again without importing is a second run.
    let again = huiqi(tmp.path(), &["--database", "m.db", "bench", "match-db", "--no-import"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("2700 assistance targets"), "{}", text(&again.stdout));
}

#[test]
fn bench_match_times_one_enterprise_over_many() {
    let tmp = tempfile::tempdir().unwrap();
    let args = ["bench", "match", "--enterprises", "1000", "--items", "12", "--one", "50"];
    let o = huiqi(tmp.path(), &args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("decisions: 12000"), "{out}");
    assert!(out.contains("one enterprise × 12 items with explanations"), "{out}");
    assert!(out.contains("over 50 enterprises, fastest of 5: mean"), "{out}");
    let bad = huiqi(tmp.path(), &["bench", "match", "--date", "2022-13-01"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    assert!(!text(&bad.stderr).is_empty());
}

// ---------------------------------------------------------------------------------------
// explain, match and simulate over a demo zone in a temporary SQLite database

/// One demo zone of 300 enterprises shared by the store-facing tests (made once; each test
/// only adds match runs, which the others do not count).
fn demo_zone() -> &'static Path {
    static ZONE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    ZONE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let o = huiqi(tmp.path(), &["--database", "zone.db", "demo", "--no-serve", "--enterprises", "300"]);
        assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
        tmp
    })
    .path()
}

fn in_zone(args: &[&str]) -> Output {
    let mut all = vec!["--database", "zone.db"];
    all.extend_from_slice(args);
    huiqi(demo_zone(), &all)
}

fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Every enterprise of the demo zone with its facts (through the store, as the commands read
/// them), and whether it is an assistance target.
fn zone_enterprises() -> Vec<(i64, String, bool, enterprise::Facts)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = store_sqlite::SqliteStore::open(demo_zone().join("zone.db")).unwrap();
        let mut out = Vec::new();
        store::for_each_enterprise(&s, 1000, |row| {
            out.push((
                row.id,
                row.enterprise.uscc.to_string(),
                row.enterprise.assistance_target(),
                row.facts(),
            ));
            Ok(())
        })
        .await
        .unwrap();
        out
    })
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn explain_shows_the_decision_with_its_tree_in_text_and_json() {
    let (lib, _) = cli::policies::library();
    let all = zone_enterprises();
    let (_, uscc, _, facts) = all.iter().find(|e| e.2).unwrap();
    let expected = lib.evaluate(lib.item("sme-status").unwrap(), facts, day("2022-06-30"));

    let o = in_zone(&[
        "policy",
        "explain",
        "--enterprise",
        uscc,
        "--item",
        "sme-status",
        "--date",
        "2022-06-30",
        "--json",
    ]);
    let got = json_of(&o);
    assert_eq!(
        got,
        serde_json::to_value(&expected).unwrap(),
        "the shape of one `policy eval --json` decision"
    );
    assert_eq!(got["item"], "sme-status");
    assert!(got["explanation"]["children"].as_array().is_some_and(|c| !c.is_empty()), "{got}");

    let rd = lib.evaluate(lib.item("zone-rd-subsidy").unwrap(), facts, day("2022-06-30"));
    let o = in_zone(&[
        "policy",
        "explain",
        "--enterprise",
        uscc,
        "--item",
        "zone-rd-subsidy",
        "--date",
        "2022-06-30",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains(uscc.as_str()) && out.contains("理由 / explanation:"), "{out}");
    let label = match rd.outcome {
        rules::Eligibility::Eligible => "符合 eligible",
        rules::Eligibility::Ineligible => "不符合 ineligible",
        rules::Eligibility::Undetermined => "待定 undetermined",
    };
    assert!(out.contains(&format!("结论 / decision: {label}")), "{out}");
    // Every node of the tree is printed with its outcome, and every value used under it.
    fn lines(x: &rules::Explanation, out: &mut Vec<String>) {
        out.push(x.expr.clone());
        for (k, v) in &x.values {
            out.push(format!("{k} = {}", if v == "missing" { "缺失 missing" } else { v }));
        }
        x.children.iter().for_each(|c| lines(c, out));
    }
    let mut want = Vec::new();
    lines(&rd.explanation, &mut want);
    assert!(want.len() >= 5, "{want:?}");
    for w in want {
        assert!(out.lines().any(|l| l.contains(&w)), "{w}: {out}");
    }
    assert!(
        out.lines().filter(|l| l.contains("[✓") || l.contains("[✗") || l.contains("[?")).count() >= 3,
        "{out}"
    );
}

#[test]
fn match_counts_equal_one_by_one_evaluation_and_each_run_is_stored() {
    let date = "2022-06-30";
    let first = json_of(&in_zone(&["policy", "match", "--date", date, "--json"]));
    let (lib, _) = cli::policies::library();
    let all = zone_enterprises();
    let targets: Vec<_> = all.iter().filter(|e| e.2).collect();
    assert!(targets.len() < all.len(), "the demo zone has enterprises that are not assistance targets");
    assert_eq!(first["enterprises"], targets.len());
    assert_eq!(first["date"], date);
    let items = lib.items_in_force(day(date));
    let out = first["items"].as_array().unwrap();
    assert_eq!(out.len(), items.len());
    let mut expected_eligible = Vec::new();
    for (item, got) in items.iter().zip(out) {
        let mut n = [0u64; 3];
        let mut total = rust_decimal::Decimal::ZERO;
        let mut amount_missing = 0u64;
        for (id, _, _, facts) in &targets {
            let d = lib.evaluate(item, facts, day(date));
            n[d.outcome as usize] += 1;
            if d.outcome == rules::Eligibility::Eligible {
                total += d.amount.unwrap_or_default();
                amount_missing += u64::from(item.amount.is_some() && d.amount.is_none());
                expected_eligible.push((*id, item.id.clone(), d.amount));
            }
        }
        assert_eq!(got["amount_missing"], amount_missing, "{}", item.id);
        assert_eq!(got["benefit_kind"], item.benefit_kind.as_str());
        assert_eq!(got["period"], item.period.of(day(date)).to_string());
        assert_eq!(got["item"], item.id.as_str());
        assert_eq!(got["title"], item.title.as_str());
        assert_eq!(got["document"], item.document.as_str());
        let counts =
            [&got["eligible"], &got["ineligible"], &got["undetermined"]].map(|v| v.as_u64().unwrap());
        assert_eq!(counts, n, "{}", item.id);
        let stored: rust_decimal::Decimal = got["total_amount"].as_str().unwrap().parse().unwrap();
        assert_eq!(stored, total, "{}", item.id);
    }
    for t in ["load_ms", "read_wait_ms", "eval_ms", "store_ms"] {
        assert!(first["timings"][t].is_u64(), "{t}: {first}");
    }
    assert_eq!(first["scanned"], all.len(), "every enterprise is read, targets or not");
    // Totals per benefit kind add up the items not replaced by another; zone payouts apart.
    let mut by_kind: std::collections::BTreeMap<String, rust_decimal::Decimal> = Default::default();
    for got in out.iter().filter(|i| i["superseded_by"].is_null()) {
        *by_kind.entry(got["benefit_kind"].as_str().unwrap().into()).or_default() +=
            got["total_amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    }
    let totals = first["totals"].as_array().unwrap();
    assert_eq!(totals.len(), by_kind.len(), "{first}");
    let mut zone = rust_decimal::Decimal::ZERO;
    for t in totals {
        let amount: rust_decimal::Decimal = t["total_amount"].as_str().unwrap().parse().unwrap();
        assert_eq!(Some(&amount), by_kind.get(t["benefit_kind"].as_str().unwrap()), "{t}");
        let kind = rules::BenefitKind::parse(t["benefit_kind"].as_str().unwrap()).unwrap();
        assert_eq!(t["zone_payout"], kind.is_zone_payout());
        if kind.is_zone_payout() {
            zone += amount;
        }
    }
    assert_eq!(first["zone_payout_total"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(), zone);

    // The stored eligible results are the one-by-one eligible decisions with their amounts.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let run_id = first["run_id"].as_i64().unwrap();
    let stored = rt.block_on(async {
        let s = store_sqlite::SqliteStore::open(demo_zone().join("zone.db")).unwrap();
        store::matches::MatchStore::match_run_eligible(&s, run_id).await.unwrap()
    });
    let mut got: Vec<_> = stored.into_iter().map(|e| (e.enterprise_id, e.item, e.amount)).collect();
    got.sort();
    expected_eligible.sort();
    assert!(!got.is_empty());
    assert_eq!(got, expected_eligible);
    assert_eq!(first["eligible_pairs"], got.len());

    // A rerun is a second run with the same counts.
    let second = json_of(&in_zone(&["policy", "match", "--date", date, "--json"]));
    assert!(second["run_id"].as_i64().unwrap() > run_id);
    assert_eq!(second["items"], first["items"]);

    let o = in_zone(&["policy", "match", "--date", date]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("zone-rd-subsidy"), "{}", text(&o.stdout));
    assert_eq!(first["tax_year"], serde_json::Value::Null, "no tax year asked: null");

    // The 2022 settlement decided in May 2023: annual items for 2022, the tax year in the
    // output; a tax year after the date's year is refused.
    let may = json_of(&in_zone(&["policy", "match", "--date", "2023-05-20", "--tax-year", "2022", "--json"]));
    assert_eq!(may["tax_year"], 2022);
    let periods: Vec<&str> =
        may["items"].as_array().unwrap().iter().map(|i| i["period"].as_str().unwrap()).collect();
    assert!(periods.contains(&"2022") && periods.contains(&"2023-05"), "{periods:?}");
    let later = in_zone(&["policy", "match", "--date", "2023-05-20", "--tax-year", "2024", "--json"]);
    assert!(!later.status.success());
    assert!(text(&later.stderr).contains("2024"), "{}", text(&later.stderr));
}

#[test]
fn simulate_a_raised_threshold_loses_enterprises_and_lowers_cost() {
    let args = ["policy", "simulate", "--item", "zone-rd-subsidy", "--date", "2022-06-30", "--json"];
    let mut raised = args.to_vec();
    raised.extend(["--set", "rd_subsidy_min_expense=3000000", "--limit", "3"]);
    let sim = json_of(&in_zone(&raised));
    let losses = sim["losses_total"].as_u64().unwrap();
    assert!(losses > 0, "{sim}");
    assert_eq!(sim["gains_total"], 0, "a higher threshold admits nobody new");
    assert_eq!(sim["losses"].as_array().unwrap().len() as u64, losses.min(3));
    let before = sim["baseline"]["eligible"].as_u64().unwrap();
    assert_eq!(sim["changed"]["eligible"].as_u64().unwrap(), before - losses);
    let total =
        |s: &serde_json::Value| s["total_amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    let delta: rust_decimal::Decimal = sim["cost_delta"].as_str().unwrap().parse().unwrap();
    assert!(delta < rust_decimal::Decimal::ZERO, "{sim}");
    assert_eq!(total(&sim["changed"]) - total(&sim["baseline"]), delta, "exact");
    let uscc = sim["losses"][0]["uscc"].as_str().unwrap();
    assert!(enterprise::UnifiedCreditCode::parse(uscc).is_ok() && sim["losses"][0]["name"].is_string());

    // The same value as today's changes nothing.
    let mut same = args.to_vec();
    same.extend(["--set", "rd_subsidy_min_expense=1000000"]);
    let sim = json_of(&in_zone(&same));
    assert_eq!((sim["gains_total"].as_u64(), sim["losses_total"].as_u64()), (Some(0), Some(0)));
    assert!(sim["cost_delta"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap().is_zero());

    let o = in_zone(&[
        "policy",
        "simulate",
        "--item",
        "zone-rd-subsidy",
        "--date",
        "2022-06-30",
        "--set",
        "rd_subsidy_min_expense=3000000",
    ]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("不再符合 / lose"), "{}", text(&o.stdout));
}

#[test]
fn store_facing_commands_refuse_unknown_names_in_both_languages() {
    let all = zone_enterprises();
    let uscc = all[0].1.clone();
    let fail = |args: &[&str], needles: &[&str]| {
        let o = in_zone(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stdout));
        let err = text(&o.stderr);
        for n in needles {
            assert!(err.contains(n), "{args:?}: {err}");
        }
    };
    // A valid credit code of no enterprise in the zone.
    let absent =
        enterprise::UnifiedCreditCode::from_parts('9', '1', "430100", "88888888").unwrap().to_string();
    assert!(!all.iter().any(|e| e.1 == absent));
    fail(
        &["policy", "explain", "--enterprise", &absent, "--item", "sme-status"],
        &["数据库中没有", "no enterprise with credit code"],
    );
    fail(
        &["policy", "explain", "--enterprise", &uscc, "--item", "sme-statu"],
        &["没有条款 sme-statu", "no item sme-statu; did you mean sme-status"],
    );
    fail(
        &["policy", "simulate", "--item", "zone-rd-subsidy", "--set", "rd_subsidy_min_expens=1"],
        &["没有参数 rd_subsidy_min_expens", "did you mean rd_subsidy_min_expense"],
    );
    fail(
        &["policy", "simulate", "--item", "zone-rd-subsidy", "--set", "rd_subsidy_min_expense=lots"],
        &["rd_subsidy_min_expense"],
    );
    fail(
        &["policy", "simulate", "--item", "zone-rd-subsidy", "--set", "rd_subsidy_min_expense"],
        &["NAME=VALUE"],
    );
    fail(&["policy", "match", "--date", "2022-02-30"], &["2022-02-30"]);
}
