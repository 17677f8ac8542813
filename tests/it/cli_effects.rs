//! `huiqi report effects` on the demo zone (300 enterprises): the workbook's shape against
//! its golden file (sheet names and headers), the figures the demo's history gives (the 2019
//! visits compared from 2018 to 2020), the printable page, `--json`, and a bad quarter.

use std::path::Path;
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

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The sheet names and header rows of a workbook's golden text.
fn shape(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (k, l) in lines.iter().enumerate() {
        if l.starts_with("## ") {
            out.push_str(l);
            out.push('\n');
            if let Some(h) = lines.get(k + 1) {
                out.push_str(h);
                out.push('\n');
            }
        }
    }
    out
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("HUIQI_BLESS").is_some() || !path.exists() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(actual, expected, "golden file {} differs (HUIQI_BLESS=1 to rewrite)", path.display());
}

#[test]
fn the_demo_zones_quarterly_effect_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(huiqi(&db, &["demo", "--no-serve", "--enterprises", "300"]));
    let xlsx = dir.path().join("effects.xlsx");
    let o = ok(huiqi(&db, &["report", "effects", "--quarter", "2022Q4", "--out", xlsx.to_str().unwrap()]));
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(said.contains("帮扶效果季报已生成") && said.contains("effect report written"), "{said}");
    let text = excel::to_golden_text(&std::fs::read(&xlsx).unwrap()).unwrap();
    golden("effects_shape.txt", &shape(&text));
    // The 2019 visits are compared (2018 → 2020) with a sample size and an interval or
    // "too few to tell", in Chinese.
    assert!(text.contains("三.2 深化企业帮扶工作\t走访\t营业收入"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(
        &ok(huiqi(&db, &["report", "effects", "--quarter", "2022Q4", "--json"])).stdout,
    )
    .unwrap();
    assert_eq!(json["quarter"], "2022Q4");
    assert_eq!(
        (json["panel_first_year"].as_i64(), json["panel_last_year"].as_i64()),
        (Some(2017), Some(2021))
    );
    let visits = json["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "visited" && o["measure"] == "revenue")
        .unwrap();
    assert!(visits["helped"].as_u64().unwrap() >= 30, "{visits}");
    assert!(visits["low_pct"].is_number() && visits["high_pct"].is_number(), "{visits}");
    assert!(json["lines"].as_array().unwrap().len() == 16);
    assert!(json["recurrence_overall"]["closed"].as_u64().unwrap() > 0, "the demo closes problems in 2022Q4");
    // The printable page.
    let html = dir.path().join("effects.html");
    ok(huiqi(&db, &["report", "effects", "--quarter", "2022Q4", "--out", html.to_str().unwrap()]));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("企业帮扶效果季报（2022Q4）") && page.contains("@media print"), "{page}");
    // Not a quarter: refused in both languages, nothing written.
    let bad = dir.path().join("bad.xlsx");
    let o = huiqi(&db, &["report", "effects", "--quarter", "2022-11", "--out", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("应为季度") && err.contains("expected a quarter"), "{err}");
    assert!(!bad.exists());
}
