//! Policies and time limits kept in the database: `huiqi policy load|export`, `policy
//! check|test` without a path, `huiqi time-limits show|set`. The built binary in a temporary
//! directory with its own SQLite database.

use std::path::Path;
use std::process::{Command, Output};

fn huiqi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huiqi")).current_dir(dir).args(args).output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "stdout: {}\nstderr: {}", text(&o.stdout), text(&o.stderr));
    text(&o.stdout)
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}

/// The status and version of one document in a `policy load --json` answer.
fn status_of(v: &serde_json::Value, name: &str) -> (String, i64) {
    let d = v["documents"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap();
    (d["status"].as_str().unwrap().to_string(), d["version"].as_i64().unwrap())
}

const ZONE: &str = "zone-sample-2022.toml";

#[test]
fn policies_round_trip_through_the_database_and_a_bad_load_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Without a database, check reads the shipped library and says so.
    let o = ok(&huiqi(d, &["policy", "check"]));
    assert!(o.contains("内置政策库 / shipped library"), "{o}");
    assert!(!d.join("huiqi.db").exists(), "checking does not create a database");
    let o = ok(&huiqi(d, &["migrate"]));
    assert!(o.contains("policy, time_limits seeded"), "{o}");
    let o = ok(&huiqi(d, &["policy", "test"]));
    assert!(o.contains("数据库 / database huiqi.db"), "{o}");
    // Export then load: every document unchanged.
    ok(&huiqi(d, &["policy", "export", "out"]));
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies").join(ZONE)).unwrap();
    assert_eq!(std::fs::read_to_string(d.join("out").join(ZONE)).unwrap(), shipped);
    let v = json(&huiqi(d, &["policy", "load", "out", "--json"]));
    assert_eq!((v["added"].as_u64(), v["changed"].as_u64()), (Some(0), Some(0)));
    assert_eq!(v["unchanged"].as_u64().unwrap(), v["documents"].as_array().unwrap().len() as u64);
    // A changed title makes version 2 and the commands use it.
    let changed = shipped.replacen("title = \"", "title = \"【修订】", 1);
    std::fs::write(d.join("out").join(ZONE), &changed).unwrap();
    let v = json(&huiqi(d, &["policy", "load", "out", "--as", "zhou", "--json"]));
    assert_eq!(status_of(&v, ZONE), ("changed".into(), 2));
    ok(&huiqi(d, &["policy", "export", "again"]));
    assert_eq!(std::fs::read_to_string(d.join("again").join(ZONE)).unwrap(), changed);
    // A misspelt fact: exit 1, file:line:col in both languages, nothing stored.
    std::fs::write(d.join("out").join(ZONE), changed.replace("employees", "employes")).unwrap();
    std::fs::write(d.join("out").join("new-policy.toml"), "not toml [").unwrap();
    let o = huiqi(d, &["policy", "load", "out"]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains(&format!("{ZONE}:")) && e.contains("did you mean employees"), "{e}");
    assert!(e.contains("未写入数据库") && e.contains("nothing was stored"), "{e}");
    ok(&huiqi(d, &["policy", "export", "third"]));
    assert_eq!(std::fs::read_to_string(d.join("third").join(ZONE)).unwrap(), changed);
    assert!(!d.join("third").join("new-policy.toml").exists());
    // A single file loads alone, checked with the other stored documents.
    std::fs::write(d.join("solo.toml"), &shipped).unwrap();
    let o = huiqi(d, &["policy", "load", "solo.toml"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "its items clash with the stored copy of {ZONE}: {}",
        text(&o.stdout)
    );
    std::fs::write(d.join(ZONE), &shipped).unwrap();
    let v = json(&huiqi(d, &["policy", "load", ZONE, "--json"]));
    assert_eq!(status_of(&v, ZONE), ("changed".into(), 3));
}

#[test]
fn time_limits_are_set_only_when_they_check() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&huiqi(d, &["migrate"]));
    let v = json(&huiqi(d, &["time-limits", "show", "--json"]));
    assert_eq!(v["version"], 1);
    assert_eq!(v["limits"]["answer"]["policy_questions"]["normal"]["workdays"], 3);
    assert!(v["source"].as_str().unwrap().starts_with("园区设置（非文件规定）"), "{v}");
    let o = ok(&huiqi(d, &["time-limits", "show"]));
    assert!(o.contains("答复·政策咨询（policy_questions）：一般 3 个工作日"), "{o}");
    assert!(o.contains("园区设置") && o.contains("zone setting"), "labelled a zone setting: {o}");
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/handling/data/time_limits.toml"),
    )
    .unwrap();
    for (bad, says) in [
        (shipped.replace("yellow_percent = 80", "yellow_percent = 120"), "yellow_percent"),
        (shipped.replace("[answer.logistics]", "[answer.logistix]"), "logistix"),
        ("accept = 1".to_string(), "时限"),
    ] {
        std::fs::write(d.join("bad.toml"), bad).unwrap();
        let o = huiqi(d, &["time-limits", "set", "bad.toml"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
        let e = text(&o.stderr);
        assert!(e.contains(says) && e.contains(" / "), "{e}");
    }
    assert_eq!(json(&huiqi(d, &["time-limits", "show", "--json"]))["version"], 1, "nothing was stored");
    std::fs::write(
        d.join("good.toml"),
        shipped.replace("normal = { workdays = 3 }", "normal = { workdays = 2 }"),
    )
    .unwrap();
    let o = ok(&huiqi(d, &["time-limits", "set", "good.toml", "--as", "admin"]));
    assert!(o.contains("第 2 版") && o.contains("version 2"), "{o}");
    let v = json(&huiqi(d, &["time-limits", "show", "--json"]));
    assert_eq!((v["version"].as_i64(), v["actor"].as_str()), (Some(2), Some("admin")));
    assert_eq!(v["limits"]["answer"]["policy_questions"]["normal"]["workdays"], 2);
}

#[test]
fn problems_added_after_a_time_limits_change_use_it_and_earlier_ones_keep_theirs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let firms = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/import/tests/data/good_zh.csv");
    ok(&huiqi(d, &["import", "enterprises", firms.to_str().unwrap(), "--as-of", "2022-05-31"]));
    // A policy question received on Tuesday 2022-06-07: 3 working days, then 2 after the change.
    let add = |title: &str| {
        let args = ["problem", "add", "--enterprise", "91430100MA4L00011K", "--category", "policy_questions"];
        let o = huiqi(
            d,
            &[&args[..], &["--title", title, "--received-at", "2022-06-07T10:00:00+08:00"]].concat(),
        );
        ok(&o).trim().to_string()
    };
    let answer_by =
        |id: &str| json(&huiqi(d, &["problem", "show", id, "--json"]))["deadlines"]["answer_by"].clone();
    let first = add("政策咨询一");
    assert_eq!(answer_by(&first), "2022-06-10");
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/handling/data/time_limits.toml"),
    )
    .unwrap();
    std::fs::write(
        d.join("t.toml"),
        shipped.replace("normal = { workdays = 3 }", "normal = { workdays = 2 }"),
    )
    .unwrap();
    ok(&huiqi(d, &["time-limits", "set", "t.toml"]));
    let second = add("政策咨询二");
    assert_eq!(answer_by(&second), "2022-06-09");
    assert_eq!(answer_by(&first), "2022-06-10", "an existing deadline does not move");
}

#[test]
fn zone_settings_are_shown_set_and_decide_the_supervision_report() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let firms = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/import/tests/data/good_zh.csv");
    ok(&huiqi(d, &["import", "enterprises", firms.to_str().unwrap(), "--as-of", "2022-05-31"]));
    // A problem never accepted: by July its department has answered none in time.
    let args = ["problem", "add", "--enterprise", "91430100MA4L00011K", "--category", "policy_questions"];
    ok(&huiqi(
        d,
        &[&args[..], &["--title", "政策咨询", "--received-at", "2022-06-07T10:00:00+08:00"]].concat(),
    ));
    let report = || {
        let args = [
            "report",
            "supervision",
            "--period",
            "2022-06",
            "r.html",
            "--as-of",
            "2022-07-01T00:00:00+08:00",
        ];
        ok(&huiqi(d, &args));
        std::fs::read_to_string(d.join("r.html")).unwrap()
    };
    let settings = || json(&huiqi(d, &["settings", "show", "--json"]));

    // The shipped thresholds, never saved, with their stated source.
    let o = ok(&huiqi(d, &["settings", "show"]));
    assert!(o.contains("内置默认值") && o.contains("(supervision.response_rate)：90%"), "{o}");
    assert!(o.contains("未规定数值标准"), "{o}");
    let v = settings();
    assert!(v["version"].is_null() && v["settings"]["supervision"]["resolution_rate"] == 80, "{v}");
    let page = report();
    assert!(page.contains("</td><td>响应率</td>"), "named under 90 %: {page}");
    assert!(
        page.contains("标准依据：方案（四、保障措施 4. 强化调度督查）") && page.contains("未规定数值标准"),
        "{page}"
    );

    // New values need their own source; nothing is stored without it.
    let o = huiqi(d, &["settings", "set", "--value", "supervision.response_rate=0"]);
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains("来源") && e.contains("source"), "{e}");
    let o = huiqi(d, &["settings", "set", "--value", "supervision.response_rate=abc"]);
    assert!(text(&o.stderr).contains("supervision.response_rate") && text(&o.stderr).contains("85.5"));
    assert!(settings()["version"].is_null(), "nothing stored");
    let o = ok(&huiqi(
        d,
        &[
            "settings",
            "set",
            "--value",
            "supervision.response_rate=0",
            "--value",
            "supervision.source=园区帮扶工作小组 2022 年第 3 次会议纪要",
            "--as",
            "admin",
        ],
    ));
    assert!(o.contains("第 1 版") && o.contains("version 1"), "{o}");
    let v = settings();
    assert_eq!((v["version"].as_i64(), v["actor"].as_str()), (Some(1), Some("admin")));
    assert_eq!(v["settings"]["supervision"]["response_rate"], 0);
    let page = report();
    assert!(!page.contains("</td><td>响应率</td>"), "0 % is not below 0 %: {page}");
    assert!(
        page.contains("响应率 0%") && page.contains("标准依据：园区帮扶工作小组 2022 年第 3 次会议纪要"),
        "{page}"
    );
    // --threshold still overrides the three rates for one report, and says so.
    ok(&huiqi(
        d,
        &[
            "report",
            "supervision",
            "--period",
            "2022-06",
            "t.html",
            "--as-of",
            "2022-07-01T00:00:00+08:00",
            "--threshold",
            "50",
        ],
    ));
    let page = std::fs::read_to_string(d.join("t.html")).unwrap();
    assert!(page.contains("</td><td>响应率</td>") && page.contains("--threshold"), "{page}");

    // As a file: printed, edited, read back; the same text writes nothing; a misspelt key is
    // refused naming it.
    let toml = ok(&huiqi(d, &["settings", "show", "--toml"]));
    std::fs::write(d.join("s.toml"), toml.replace("resolution_rate = 80", "resolution_rate = 75")).unwrap();
    assert!(ok(&huiqi(d, &["settings", "set", "s.toml"])).contains("第 2 版"));
    assert_eq!(settings()["settings"]["supervision"]["resolution_rate"], 75);
    assert!(ok(&huiqi(d, &["settings", "set", "s.toml"])).contains("未变"));
    std::fs::write(d.join("bad.toml"), "[supervision]\nresolution_rat = 75\n").unwrap();
    let o = huiqi(d, &["settings", "set", "bad.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("resolution_rat") && text(&o.stderr).contains("bad.toml"));
    assert_eq!(settings()["version"], 2);
}

#[test]
fn the_search_index_lives_where_the_operator_says() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Default: beside the SQLite file.
    ok(&huiqi(d, &["search", "rebuild"]));
    assert!(d.join("huiqi.db.search").is_dir());
    // `--search-dir` (any position: the option is global).
    ok(&huiqi(d, &["search", "rebuild", "--search-dir", "idx-flag"]));
    assert!(d.join("idx-flag").is_dir());
    // The environment, for a deployment's unit file.
    let o = Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .current_dir(d)
        .env("HUIQI_SEARCH_DIR", d.join("idx-env"))
        .args(["search", "留抵退税", "--json"])
        .output()
        .unwrap();
    ok(&o);
    assert!(d.join("idx-env").is_dir());
}
