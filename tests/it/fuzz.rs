//! A short run of every fuzz target (examples/fuzz): 2,000 inputs each, seed 1, no panic.
//! The long runs (10^6 inputs a target) and their results are in docs/TESTING.md; this
//! keeps a regression in any parser from passing CI.

#[path = "../../examples/fuzz/engine.rs"]
#[allow(dead_code)]
mod engine;
#[path = "../../examples/fuzz/targets.rs"]
#[allow(dead_code)]
mod targets;

fn short_run(name: &str) {
    let target = targets::by_name(name).expect("a target of that name");
    let report = engine::run(&*target, 1, 0, 2_000, None, &mut |_| {});
    assert_eq!(report.inputs, 2_000);
    let places: Vec<String> = report
        .panic_places()
        .into_iter()
        .map(|(place, (count, first, message))| format!("{place}: {count} inputs, first {first}: {message}"))
        .collect();
    assert!(report.panics.is_empty(), "{name}: {} panics\n{}", report.panics.len(), places.join("\n"));
}

#[test]
fn rule_source() {
    short_run("rule");
}

#[test]
fn policy_toml() {
    short_run("policy");
}

#[test]
fn import_csv() {
    short_run("csv");
}

#[test]
fn import_jsonl() {
    short_run("jsonl");
}

#[test]
fn import_xlsx() {
    short_run("xlsx");
}

#[test]
fn credit_code() {
    short_run("uscc");
}
