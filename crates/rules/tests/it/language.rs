//! The language at its boundaries: diagnostics with file, line and column; cycles between
//! definitions; dated parameters and tiered tables; Kleene logic and missing facts;
//! explanations.

use chrono::NaiveDate;
use enterprise::{FactDictionary, Facts};
use rules::{Eligibility, Error, Library, SourceFile};

const HEAD: &str = "[policy]\nid = \"p\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"文号\"\nlevel = \"zone\"\nwindow = { from = \"2020-01-01\" }\n";

fn load(body: &str) -> (Library, Vec<rules::Diagnostic>) {
    let text = format!("{HEAD}{body}");
    Library::load(&[SourceFile { name: "p.toml".into(), text }], FactDictionary::official())
}

/// Loads `body` and renders its diagnostics as `line:col key`.
fn check(body: &str, expected: &[&str]) {
    let (_, diags) = load(body);
    let got: Vec<String> = diags
        .iter()
        .map(|d| {
            let key = i18n::Localized::message(&d.error).key;
            format!("{}:{} {key}", d.location.line, d.location.column)
        })
        .collect();
    assert_eq!(got, expected, "{:#?}", diags.iter().map(|d| d.render()).collect::<Vec<_>>());
}

fn item(when: &str) -> String {
    format!(
        "[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\nwhen = '{when}'\nbenefit_kind = \"status\"\n"
    )
}

#[test]
fn every_problem_is_reported_with_its_position() {
    // Line 12 is the `when` line; columns count characters of the file line.
    check(
        &item("revenu[year - 1] > 0 and taxpayer_type == \"small_scal\" and employees[year] > \"3\""),
        &["12:9 rules.unknown_name_hint", "12:51 rules.unknown_code", "12:68 rules.type_mismatch"],
    );
    check(&item("registered_in_zone and $"), &["12:32 rules.unexpected_char"]);
    check(&item("revenue > 0"), &["12:9 rules.needs_year"]);
    check(&item("registered_in_zone[year]"), &["12:9 rules.not_per_year"]);
    check(&item("revenue[employees[year]] > 0"), &["12:17 rules.year_index"]);
    check(&item("revenue[year] + 1"), &["12:9 rules.expected_type"]);
    check(&item("frobnicate(1) > 0"), &["12:9 rules.unknown_function"]);
    check(&item("revenue[year] / revenue[year] > 1.5 and tags has 3"), &["12:49 rules.type_mismatch"]);
}

/// A megabyte-long unknown name is not compared with every known name (no hint) and is
/// echoed cut to 64 characters and "…".
#[test]
fn a_huge_unknown_name_gets_no_hint_and_is_shown_cut() {
    let huge = "revenue".repeat(150_000);
    check(
        &item(&format!("{huge} and frob{huge}(1)")),
        &["12:9 rules.unknown_name", "12:1050014 rules.unknown_function"],
    );
    let (_, diags) = load(&item(&huge));
    let text = diags[0].render();
    assert!(text.chars().count() < 300, "{} characters", text.chars().count());
    assert!(text.contains(&format!("{}…", &huge[..64])), "{text}");
}

/// Locations come from a line index, not from counting lines from the start of the file
/// for each one: 20,000 items (every item has a location) load, and the last problem is
/// still placed exactly. Counting from the start took 22 s in a release build.
#[test]
fn a_library_of_20000_items_loads_with_exact_positions() {
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!(
            "[[item]]\nid = \"x{i}\"\ntitle = \"x\"\nclause = \"-\"\nwhen = 'registered_in_zone'\nbenefit_kind = \"status\"\n"
        ));
    }
    body.push_str("[[item]]\nid = \"last\"\ntitle = \"x\"\nclause = \"-\"\nwhen = '惠企 and nope'\nbenefit_kind = \"status\"\n");
    let (lib, diags) = load(&body);
    assert_eq!(lib.items().count(), 20_001);
    let line = HEAD.lines().count() + 20_000 * 6 + 5;
    let got: Vec<String> =
        diags.iter().map(|d| format!("{}:{}", d.location.line, d.location.column)).collect();
    assert_eq!(got, [format!("{line}:9"), format!("{line}:16")]);
}

/// The keys of `diags` with their line and column, as `check` renders them.
fn keyed(diags: &[rules::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            format!("{}:{} {}", d.location.line, d.location.column, i18n::Localized::message(&d.error).key)
        })
        .collect()
}

/// A condition chaining 20,000 `+` (or `and`) is one diagnostic at the operator that makes
/// the tree taller than 128 levels, not a stack overflow in the checker or the printer.
#[test]
fn chains_of_20000_operators_are_one_diagnostic_not_a_crash() {
    // `employees[year]` is 2 levels; each `+` adds one: the 127th makes 129.
    let plus = vec!["employees[year]"; 20_001].join(" + ") + " > 0";
    check(&item(&plus), &[&format!("12:{} rules.too_tall", 9 + 126 * 18 + 16)]);
    let and = vec!["registered_in_zone"; 20_001].join(" and ");
    check(&item(&and), &[&format!("12:{} rules.too_tall", 9 + 127 * 23 + 19)]);
    let (_, diags) = load(&item(&and));
    assert!(diags[0].render().contains("超过 128 层"), "{}", diags[0].render());
}

/// 20,000 definitions each naming the one before: one diagnostic at the first that is
/// more than 128 levels deep written out (`d128`), not 20,000 nested calls of the checker.
#[test]
fn a_chain_of_20000_definitions_is_one_diagnostic_not_a_crash() {
    let mut body = "[define.d0]\nexpr = 'registered_in_zone'\n".to_string();
    for i in 1..20_000 {
        body.push_str(&format!("[define.d{i}]\nexpr = 'd{}'\n", i - 1));
    }
    body.push_str(&item("d19999"));
    let line = HEAD.lines().count() + 2 * 128 + 2;
    let (_, diags) = load(&body);
    assert_eq!(keyed(&diags), [format!("{line}:9 rules.expanded_too_tall")]);
    // A cycle as long is reported too, without recursion: as a cycle, and as too deep.
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("[define.c{i}]\nexpr = 'c{}'\n", (i + 1) % 20_000));
    }
    body.push_str(&item("c0"));
    let (_, diags) = load(&body);
    let mut keys: Vec<&str> = diags.iter().map(|d| i18n::Localized::message(&d.error).key).collect();
    keys.sort();
    assert_eq!(keys, ["rules.definition_cycle", "rules.expanded_too_tall"], "{:#?}", keyed(&diags));
}

/// 60 layers of `e_i = e_(i-1) + e_(i-1)` (2 KB) would be 2^60 nodes written out: the
/// first layer over 20,000 nodes is reported, and nothing walks the rest.
#[test]
fn definitions_that_double_at_each_layer_are_refused() {
    let mut body = "[define.e0]\nexpr = 'employees[year]'\n".to_string();
    for i in 1..60 {
        body.push_str(&format!("[define.e{i}]\nexpr = 'e{0} + e{0}'\n", i - 1));
    }
    body.push_str(&item("e59 > 0"));
    // e_i has 6 · 2^i - 3 nodes: e12 is the first over 20,000.
    let line = HEAD.lines().count() + 2 * 12 + 2;
    check(&body, &[&format!("{line}:9 rules.expanded_too_large")]);
}

/// At the limits (a chain of 126 `+` with its comparison, 128 levels; a chain of 127
/// definitions), every walk over the trees holds on a thread with a 2 MiB stack, the size
/// of the web server's worker threads: loading and checking, the compiled plan, the
/// tree-walking evaluator with its explanation, the batch engine, printing, cloning.
#[test]
fn every_walk_holds_at_the_limits_on_a_small_stack() {
    let run = || {
        let chain = vec!["employees[year]"; 126].join(" + ") + " > 0";
        let mut body = "[define.d0]\nexpr = 'registered_in_zone'\n".to_string();
        for i in 1..127 {
            body.push_str(&format!("[define.d{i}]\nexpr = 'd{}'\n", i - 1));
        }
        body.push_str(&item(&chain).replace("\"x\"", "\"chain\""));
        body.push_str(&item("d126").replace("\"x\"", "\"defs\""));
        body.push_str(&item(&(vec!["-"; 60].concat() + "employees[year] > 0")).replace("\"x\"", "\"neg\""));
        let (lib, diags) = load(&body);
        assert!(diags.is_empty(), "{:#?}", keyed(&diags));
        let lib2 = lib.clone();
        let day = date("2022-06-01");
        let f = facts(serde_json::json!({"registered_in_zone": true, "employees": {"2022": 3}}));
        let mut outcomes = Vec::new();
        for it in lib2.items() {
            let d = lib.evaluate(it, &f, day);
            let walked = rules::eval::evaluate(&lib.program, it, &f, day);
            assert_eq!(d.outcome, walked.outcome);
            assert!(serde_json::to_string(&d.explanation).unwrap().len() > 10);
            assert!(it.when.to_string().len() > 2);
            outcomes.push(d.outcome);
        }
        assert_eq!(outcomes, [Eligibility::Eligible, Eligibility::Eligible, Eligibility::Eligible]);
        let items: Vec<&rules::Item> = lib.items().collect();
        let snap =
            rules::batch::Snapshot::from_facts(&[f.clone(), Facts::default()], FactDictionary::official());
        let result = rules::batch::run(&lib.program, &items, &snap, day);
        for r in &result.items {
            assert_eq!((r.outcome(0), r.outcome(1)), (Eligibility::Eligible, Eligibility::Undetermined));
        }
    };
    std::thread::Builder::new().stack_size(2 << 20).spawn(run).unwrap().join().unwrap();
}

#[test]
fn multi_line_rules_point_at_the_right_line() {
    let body = "[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\nwhen = '''\nregistered_in_zone\nand nope\n'''\nbenefit_kind = \"status\"\n";
    check(body, &["14:5 rules.unknown_name_hint"]);
}

#[test]
fn definition_cycles_are_reported_not_looped() {
    let body =
        "[define.a]\nexpr = 'b and registered_in_zone'\n[define.b]\nexpr = 'c'\n[define.c]\nexpr = 'a'\n";
    let (_, diags) = load(&format!("{body}{}", item("a")));
    let cycles: Vec<&Error> =
        diags.iter().map(|d| &d.error).filter(|e| matches!(e, Error::DefinitionCycle { .. })).collect();
    assert_eq!(cycles.len(), 1, "{diags:#?}");
    assert!(matches!(cycles[0], Error::DefinitionCycle { cycle } if cycle == "a → b → c → a"));
}

#[test]
fn names_are_unique_across_the_library() {
    let body = "[param.revenue]\ndescription = \"\"\ntype = \"money\"\nvalues = { \"2020-01-01\" = \"1\" }\n\
                [define.d]\nexpr = 'true'\n";
    let (_, diags) = load(&format!("{body}{}{}", item("d"), item("d")));
    let dup = diags.iter().filter(|d| matches!(d.error, Error::DuplicateName { .. })).count();
    assert_eq!(dup, 2, "{diags:#?}");
}

#[test]
fn a_parameter_without_a_value_when_the_item_starts_is_an_error() {
    let body = "[param.p]\ndescription = \"\"\ntype = \"money\"\nvalues = { \"2021-01-01\" = \"1\" }\n";
    let (_, diags) = load(&format!("{body}{}", item("revenue[year] > p")));
    assert!(diags.iter().any(|d| matches!(d.error, Error::ParamNoValue { .. })), "{diags:#?}");
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn facts(json: serde_json::Value) -> Facts {
    Facts::from_json(FactDictionary::official(), &json).unwrap()
}

#[test]
fn dated_parameters_and_tiered_tables_follow_the_evaluation_date() {
    let body = "[param.cap]\ndescription = \"\"\ntype = \"money\"\nvalues = { \"2020-01-01\" = \"100\", \"2022-01-01\" = \"200\" }\n\
                [param.rate]\ndescription = \"\"\ntype = \"ratio\"\nkey = \"money\"\n\
                values = { \"2020-01-01\" = [ { upto = \"1000\", value = \"0.1\" }, { below = \"2000\", value = \"0.2\" }, { value = \"0.3\" } ] }\n";
    let (lib, diags) =
        load(&format!("{body}{}amount = 'min(revenue[year] * rate(revenue[year]), cap)'\n", item("true")));
    assert!(diags.is_empty(), "{diags:#?}");
    let it = lib.item("x").unwrap();
    let amount = |d: &str, rev: &str| {
        let y = &d[..4];
        lib.evaluate(it, &facts(serde_json::json!({ "revenue": { y: rev } })), date(d)).amount
    };
    assert_eq!(amount("2021-06-01", "1000").unwrap().to_string(), "100.00"); // 10%, cap 100
    assert_eq!(amount("2021-06-01", "900").unwrap().to_string(), "90.00");
    assert_eq!(amount("2022-06-01", "1000").unwrap().to_string(), "100.00"); // cap 200 now
    assert_eq!(amount("2022-06-01", "1000.01").unwrap().to_string(), "200.00"); // 20% band
    assert_eq!(amount("2022-06-01", "1999.99").unwrap().to_string(), "200.00");
    assert_eq!(amount("2022-06-01", "2000").unwrap().to_string(), "200.00"); // 30% → 600, cap 200
}

#[test]
fn kleene_logic_decides_what_it_can_and_names_what_is_missing() {
    let (lib, _) = load(&item("registered_in_zone and revenue[year - 1] > 0 or tags has \"专精特新\""));
    let it = lib.item("x").unwrap();
    let d = |j| lib.evaluate(it, &facts(j), date("2022-06-01"));
    assert_eq!(
        d(serde_json::json!({"registered_in_zone": false, "tags": []})).outcome,
        Eligibility::Ineligible
    );
    assert_eq!(d(serde_json::json!({"tags": ["专精特新"]})).outcome, Eligibility::Eligible);
    let u = d(serde_json::json!({"registered_in_zone": true, "tags": []}));
    assert_eq!(u.outcome, Eligibility::Undetermined);
    let missing: Vec<String> = u.missing_facts.iter().map(ToString::to_string).collect();
    assert_eq!(missing, ["revenue[2021]"]);
    // Missing facts that do not matter are not named.
    let u = d(serde_json::json!({"revenue": {"2021": "5"}}));
    let missing: Vec<String> = u.missing_facts.iter().map(ToString::to_string).collect();
    assert_eq!(missing, ["registered_in_zone", "tags"]);
}

#[test]
fn the_explanation_shows_each_condition_with_its_values() {
    let (lib, _) = load(&item("registered_in_zone and revenue[year - 1] >= 100"));
    let it = lib.item("x").unwrap();
    let d = lib.evaluate(
        it,
        &facts(serde_json::json!({"registered_in_zone": true, "revenue": {"2021": "99.99"}})),
        date("2022-01-01"),
    );
    let json = serde_json::to_value(&d.explanation).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "expr": "and", "outcome": "false", "children": [
                {"expr": "registered_in_zone", "outcome": "true", "values": {"registered_in_zone": "true"}},
                {"expr": "revenue[year - 1] >= 100", "outcome": "false", "values": {"revenue[2021]": "99.99"}}
            ]
        })
    );
}

#[test]
fn the_calendar_decides_working_day_limits_and_dates_outside_it_are_undetermined() {
    let (lib, diags) = load(&item("utility_arrears_paid_on <= add_workdays(utility_arrears_on, 20)"));
    assert!(diags.is_empty(), "{diags:#?}");
    let it = lib.item("x").unwrap();
    let d = |on: &str, paid: &str| {
        lib.evaluate(
            it,
            &facts(serde_json::json!({"utility_arrears_on": on, "utility_arrears_paid_on": paid})),
            date("2022-06-01"),
        )
        .outcome
    };
    // Across National Day 2022: 10-01..10-07 off, 10-08 and 10-09 (weekend) are 调休 working days,
    // so the 20th working day after 09-30 is 11-02.
    assert_eq!(d("2022-09-30", "2022-11-02"), Eligibility::Eligible);
    assert_eq!(d("2022-09-30", "2022-11-03"), Eligibility::Ineligible);
    assert_eq!(d("2030-01-01", "2030-01-02"), Eligibility::Undetermined);
}

#[test]
fn a_simulated_parameter_change_names_gains_losses_and_cost() {
    let body = "[param.min_rev]\ndescription = \"\"\ntype = \"money\"\nvalues = { \"2020-01-01\" = \"100\" }\n\
                [param.award]\ndescription = \"\"\ntype = \"money\"\nvalues = { \"2020-01-01\" = \"10\" }\n";
    let (lib, diags) = load(&format!("{body}{}amount = 'award'\n", item("revenue[year - 1] >= min_rev")));
    assert!(diags.is_empty(), "{diags:#?}");
    let all: Vec<Facts> = ["50", "100", "150"]
        .iter()
        .map(|r| facts(serde_json::json!({ "revenue": { "2021": r } })))
        .chain([Facts::default()])
        .collect();
    let snap = rules::batch::Snapshot::from_facts(&all, FactDictionary::official());
    let d = date("2022-06-01");
    let changed = lib.program.with_override("min_rev", "50", d).unwrap();
    let sim = rules::batch::simulate(&lib.program, &changed, lib.item("x").unwrap(), &snap, d);
    assert_eq!((sim.baseline.eligible, sim.changed.eligible, sim.changed.undetermined), (2, 3, 1));
    assert_eq!(sim.gains, vec![0]);
    assert!(sim.losses.is_empty());
    assert_eq!(sim.cost_delta.to_string(), "10.00");
    assert!(lib.program.with_override("min_rev", "abc", d).is_err());
    assert!(lib.program.with_override("nope", "1", d).is_err());
}
