//! Seeded synthetic enterprises and items for benchmarks (`huiqi policy bench`) and tests.
//! Deterministic: the same seed gives the same data. No clock, no I/O (timing is the
//! caller's).

use crate::batch::{Snapshot, SnapshotBuilder};
use crate::library::{Library, SourceFile};
use enterprise::{FactDictionary, FactValue, Facts};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::fmt::Write;

/// splitmix64: small, fast and good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `pct`%.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// `n` synthetic enterprises for evaluation year `year` (facts of `year - 1` and `year - 2`),
/// about 5% of each fact missing.
pub fn snapshot(n: usize, seed: u64, year: i32, dict: &FactDictionary) -> Snapshot {
    let mut b = SnapshotBuilder::new(n, dict);
    generate(n, seed, year, &mut |fact, y, i, v| {
        let c = b.column(fact, y);
        b.set(c, i, &v);
    });
    b.finish()
}

/// The same `n` enterprises as [`snapshot`] (row `i` there is element `i` here), as the
/// single evaluator reads them.
pub fn enterprises(n: usize, seed: u64, year: i32) -> Vec<Facts> {
    let mut all = vec![Facts::default(); n];
    generate(n, seed, year, &mut |fact, y, i, v| match y {
        Some(y) => all[i].set_year(fact, y, v),
        None => all[i].set(fact, v),
    });
    all
}

/// Receives one fact of one synthetic enterprise: `(fact, year, row, value)`.
type Sink<'a> = &'a mut dyn FnMut(&str, Option<i32>, usize, FactValue);

/// Draws the synthetic enterprises, handing every fact present to `b`.
fn generate(n: usize, seed: u64, year: i32, b: Sink<'_>) {
    let mut r = Rng::new(seed);
    let industries = ["C3511", "I6513", "F5211", "M7320", "C2710", "G5430", "L7212", "E4710"];
    let all_tags = ["高新技术企业", "专精特新", "新升规", "拟上市", "产业链链主"];
    for i in 0..n {
        let miss = |r: &mut Rng| r.chance(5);
        if !miss(&mut r) {
            b("registered_in_zone", None, i, FactValue::Bool(r.chance(90)));
        }
        if !miss(&mut r) {
            b("tax_registered_in_zone", None, i, FactValue::Bool(r.chance(85)));
        }
        if !miss(&mut r) {
            let t = if r.chance(60) { "small_scale" } else { "general" };
            b("taxpayer_type", None, i, FactValue::Code(t.into()));
        }
        if !miss(&mut r) {
            let c = ["A", "B", "M", "C", "D"][r.below(5) as usize];
            b("tax_credit_rating", None, i, FactValue::Code(c.into()));
        }
        if !miss(&mut r) {
            let c = industries[r.below(industries.len() as u64) as usize];
            b("industry_code", None, i, FactValue::Code(c.into()));
        }
        if !miss(&mut r) {
            let tags: BTreeSet<String> =
                all_tags.iter().filter(|_| r.chance(15)).map(|s| s.to_string()).collect();
            b("tags", None, i, FactValue::Tags(tags));
        }
        if !miss(&mut r) {
            let d = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
                + chrono::Duration::days(r.below(8000) as i64);
            b("established_on", None, i, FactValue::Date(d));
        }
        for y in [year - 1, year - 2] {
            if !miss(&mut r) {
                b("employees", Some(y), i, FactValue::Integer(r.below(1200) as i64));
            }
            // Money in fen precision.
            let money = |r: &mut Rng, max_yuan: u64| Decimal::new((r.below(max_yuan * 100)) as i64, 2);
            if !miss(&mut r) {
                b("revenue", Some(y), i, FactValue::Money(money(&mut r, 500_000_000)));
            }
            if !miss(&mut r) {
                b("total_assets", Some(y), i, FactValue::Money(money(&mut r, 300_000_000)));
            }
            if !miss(&mut r) {
                b("taxable_income", Some(y), i, FactValue::Money(money(&mut r, 10_000_000)));
            }
            if !miss(&mut r) {
                b("rd_expense", Some(y), i, FactValue::Money(money(&mut r, 30_000_000)));
            }
        }
    }
}

/// A synthetic policy library of `m` items (one file), thresholds as dated parameters.
pub fn library_source(m: usize, seed: u64) -> SourceFile {
    let mut r = Rng::new(seed ^ 0x5EED);
    let mut s = String::from(
        "[policy]\nid = \"synthetic\"\ntitle = \"synthetic benchmark items\"\nissuer = \"bench\"\n\
         document = \"bench\"\nlevel = \"zone\"\nwindow = { from = \"2019-01-01\" }\nsample = true\n\n\
         [define.assistance_target]\nexpr = 'registered_in_zone and tax_registered_in_zone'\n\n",
    );
    let param = |s: &mut String, name: String, ty: &str, v: String| {
        let _ = writeln!(
            s,
            "[param.{name}]\ndescription = \"{name}\"\ntype = \"{ty}\"\nvalues = {{ \"2019-01-01\" = {v} }}\n"
        );
        name
    };
    let mut items = String::new();
    for k in 0..m {
        let money = |r: &mut Rng, max: u64| format!("\"{}\"", r.below(max));
        let (when, amount) = match k % 6 {
            0 => {
                let p = param(&mut s, format!("p{k}_rev"), "money", money(&mut r, 200_000_000));
                let q = param(&mut s, format!("p{k}_emp"), "integer", r.below(1000).to_string());
                (
                    format!("assistance_target and revenue[year - 1] >= {p} and employees[year - 1] <= {q}"),
                    None,
                )
            }
            1 => {
                let p = param(&mut s, format!("p{k}_rev"), "money", money(&mut r, 50_000_000));
                let a = param(&mut s, format!("p{k}_award"), "money", money(&mut r, 100_000));
                (
                    format!(
                        "assistance_target and taxpayer_type == \"small_scale\" and revenue[year - 1] <= {p}"
                    ),
                    Some(a),
                )
            }
            2 => {
                let lo = r.below(100_000_000);
                let p = param(&mut s, format!("p{k}_lo"), "money", format!("\"{lo}\""));
                let q =
                    param(&mut s, format!("p{k}_hi"), "money", format!("\"{}\"", lo + r.below(200_000_000)));
                (
                    format!(
                        "assistance_target and tax_credit_rating in [\"A\", \"B\"] and total_assets[year - 1] between {p} and {q}"
                    ),
                    None,
                )
            }
            3 => {
                let p = param(&mut s, format!("p{k}_rd"), "money", money(&mut r, 10_000_000));
                let rate =
                    param(&mut s, format!("p{k}_rate"), "ratio", format!("\"0.{:02}\"", 1 + r.below(20)));
                let cap = param(&mut s, format!("p{k}_cap"), "money", money(&mut r, 2_000_000));
                (
                    format!(
                        "assistance_target and rd_expense[year - 1] >= {p} and tags has \"高新技术企业\""
                    ),
                    Some(format!("min(rd_expense[year - 1] * {rate}, {cap})")),
                )
            }
            4 => {
                let p = param(&mut s, format!("p{k}_emp"), "integer", r.below(1000).to_string());
                let q = param(&mut s, format!("p{k}_rev"), "money", money(&mut r, 400_000_000));
                let t = param(&mut s, format!("p{k}_ti"), "money", money(&mut r, 8_000_000));
                (
                    format!(
                        "assistance_target and (employees[year - 1] >= {p} or revenue[year - 1] >= {q}) and not taxable_income[year - 1] > {t}"
                    ),
                    None,
                )
            }
            _ => {
                let d = param(
                    &mut s,
                    format!("p{k}_est"),
                    "date",
                    format!("\"20{:02}-0{}-15\"", r.below(22), 1 + r.below(9)),
                );
                let g = param(&mut s, format!("p{k}_growth"), "money", money(&mut r, 5_000_000));
                (
                    format!(
                        "assistance_target and established_on >= {d} and revenue[year - 1] - revenue[year - 2] >= {g}"
                    ),
                    None,
                )
            }
        };
        let _ = write!(
            items,
            "[[item]]\nid = \"synthetic-{k}\"\ntitle = \"synthetic {k}\"\nclause = \"-\"\nwhen = '{when}'\nbenefit_kind = \"award_no_application\"\n"
        );
        if let Some(a) = amount {
            let _ = writeln!(items, "amount = '{a}'");
        }
        items.push('\n');
    }
    s.push_str(&items);
    SourceFile { name: "synthetic.toml".into(), text: s }
}

/// The synthetic library, loaded (it always checks clean; a test asserts it).
pub fn library(m: usize, seed: u64, dict: &FactDictionary) -> Library {
    Library::load(&[library_source(m, seed)], dict).0
}

/// One enterprise with every fact the synthetic items read.
pub fn one_enterprise(year: i32) -> enterprise::Facts {
    let mut f = enterprise::Facts::default();
    f.set("registered_in_zone", FactValue::Bool(true));
    f.set("tax_registered_in_zone", FactValue::Bool(true));
    f.set("taxpayer_type", FactValue::Code("small_scale".into()));
    f.set("tax_credit_rating", FactValue::Code("A".into()));
    f.set("tags", FactValue::Tags(["高新技术企业".to_string()].into()));
    if let Some(d) = chrono::NaiveDate::from_ymd_opt(2015, 3, 1) {
        f.set("established_on", FactValue::Date(d));
    }
    for y in [year - 1, year - 2] {
        f.set_year("employees", y, FactValue::Integer(120));
        f.set_year("revenue", y, FactValue::Money(Decimal::new(3_000_000_000, 2)));
        f.set_year("total_assets", y, FactValue::Money(Decimal::new(2_000_000_000, 2)));
        f.set_year("taxable_income", y, FactValue::Money(Decimal::new(150_000_000, 2)));
        f.set_year("rd_expense", y, FactValue::Money(Decimal::new(200_000_000, 2)));
    }
    f
}
