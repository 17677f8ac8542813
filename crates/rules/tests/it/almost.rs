//! Almost eligible (差一项): when the analysis names a condition, a fact and a satisfying
//! value, setting that fact to that value (every other fact unchanged) makes the item
//! eligible; on random rules (the generator of `agree`) and on and-chains of direct
//! comparisons, over random enterprises with missing facts.

use crate::agree::{Gen, enterprise, library};
use chrono::NaiveDate;
use enterprise::{FactDictionary, FactType, FactValue, Facts};
use proptest::prelude::*;
use rules::almost::almost;
use rules::synth::Rng;
use rules::value::Value;
use rules::{Eligibility, Library};
use rust_decimal::prelude::ToPrimitive;

/// The fact value a satisfying value stands for, by the fact's type.
fn fact_value(fact: &str, v: &Value) -> FactValue {
    let ty = FactDictionary::official().get(fact).map(|d| d.ty).expect("a dictionary fact");
    match (ty, v) {
        (FactType::Bool, Value::Bool(b)) => FactValue::Bool(*b),
        (FactType::Integer, Value::Num(n)) => FactValue::Integer(n.to_i64().expect("an integer")),
        (FactType::Money, Value::Num(n)) => FactValue::Money(*n),
        (FactType::Ratio, Value::Num(n)) => FactValue::Ratio(*n),
        (FactType::Date, Value::Date(d)) => FactValue::Date(*d),
        (FactType::Code, Value::Str(s)) => FactValue::Code(s.clone()),
        (FactType::Text, Value::Str(s)) => FactValue::Text(s.clone()),
        (ty, v) => panic!("{fact}: a {ty:?} fact given {v:?}"),
    }
}

/// Checks the guarantee on every enterprise; returns how many were almost eligible.
fn check(lib: &Library, when: &str, all: &[Facts]) -> Result<usize, TestCaseError> {
    let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    let items = lib.items_in_force(date);
    let item = items[0];
    let mut hits = 0;
    for f in all {
        let d = lib.evaluate(item, f, date);
        // The tree walker's explanation gives the same answer as the plan's.
        let by_tree = rules::eval::evaluate(&lib.program, item, f, date);
        let a = almost(&lib.program, item, &d);
        prop_assert_eq!(&a, &almost(&lib.program, item, &by_tree));
        let Some(a) = a else { continue };
        prop_assert_eq!(d.outcome, Eligibility::Ineligible);
        hits += 1;
        let mut g = f.clone();
        let v = fact_value(&a.fact.fact, &a.satisfying);
        match a.fact.year {
            Some(y) => g.set_year(&a.fact.fact, y, v),
            None => g.set(&a.fact.fact, v),
        }
        let after = lib.evaluate(item, &g, date);
        prop_assert_eq!(after.outcome, Eligibility::Eligible, "when {} miss {:?} facts {:?}", when, a, f);
        // The message names the fact by its label and the bound.
        prop_assert!(a.text_zh().contains(&a.label_zh));
        prop_assert!(a.text_en().contains(&a.bound));
    }
    Ok(hits)
}

/// An and-chain of comparisons of one fact each with a literal or a parameter (the shape of
/// most shipped items), sometimes with an `or` or a `not` inside.
fn chain(r: &mut Rng) -> String {
    let parts = [
        "employees[year - 1] <= p_int",
        "employees[year - 1] > 3",
        "revenue[year - 1] < p_money",
        "total_assets[year - 2] >= 100",
        "registered_in_zone",
        "not refund_fraud_36m",
        "tax_credit_rating in [\"A\", \"B\"]",
        "taxpayer_type == \"small_scale\"",
        "established_on <= p_date",
        "service_sales_share[year - 1] > p_ratio",
        "taxable_income[year - 1] between 0 and 3000000",
        "(revenue[year - 2] > 1000 or tags has \"专精特新\")",
    ];
    let n = 2 + r.below(4) as usize;
    let mut chosen: Vec<&str> = Vec::new();
    while chosen.len() < n {
        let p = parts[r.below(parts.len() as u64) as usize];
        if !chosen.contains(&p) {
            chosen.push(p);
        }
    }
    chosen.join(" and ")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn the_named_value_makes_the_item_eligible(seed in any::<u64>()) {
        let mut g = Gen { r: Rng::new(seed) };
        let when = if g.r.chance(50) { g.boolean(3) } else { chain(&mut g.r) };
        let lib = library(&when, None);
        let mut r = Rng::new(seed.rotate_left(11));
        let all: Vec<Facts> = (0..60).map(|_| enterprise(&mut r)).collect();
        check(&lib, &when, &all)?;
    }
}

/// The analysis is not vacuous: on and-chains it finds many almost-eligible enterprises, and
/// it names the right condition and value on a hand-made case.
#[test]
fn chains_find_almost_eligible_enterprises() {
    let mut hits = 0;
    for seed in 0..40u64 {
        let mut r = Rng::new(seed);
        let when = chain(&mut r);
        let lib = library(&when, None);
        let all: Vec<Facts> = (0..60).map(|_| enterprise(&mut r)).collect();
        hits += check(&lib, &when, &all).unwrap();
    }
    assert!(hits > 100, "only {hits} almost-eligible enterprises found");
}

#[test]
fn names_the_condition_and_the_value() {
    let lib = library("employees[year - 1] <= p_int and registered_in_zone", None);
    let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    let item = lib.items_in_force(date)[0];
    let mut f = Facts::default();
    f.set("registered_in_zone", FactValue::Bool(true));
    f.set_year("employees", 2021, FactValue::Integer(32));
    let a = almost(&lib.program, item, &lib.evaluate(item, &f, date)).expect("almost eligible");
    assert_eq!((a.fact.fact.as_str(), a.fact.year), ("employees", Some(2021)));
    assert_eq!((a.current.as_str(), a.op.as_str(), a.bound.as_str()), ("32", "<=", "10"));
    assert_eq!(a.satisfying, Value::Num(10.into()));
    assert_eq!(a.parameter.as_deref(), Some("p_int"));
    assert_eq!(a.text_zh(), "从业人数（2021年）为 32，需 ≤ 10");
    assert_eq!(a.text_en(), "employees[2021] 32, needs <= 10");
    // Two conditions off: not almost.
    f.set("registered_in_zone", FactValue::Bool(false));
    assert_eq!(almost(&lib.program, item, &lib.evaluate(item, &f, date)), None);
    // The fact missing: undetermined, not almost.
    let mut f = Facts::default();
    f.set("registered_in_zone", FactValue::Bool(true));
    assert_eq!(almost(&lib.program, item, &lib.evaluate(item, &f, date)), None);
}
