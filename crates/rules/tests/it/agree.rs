//! The single-enterprise evaluator (compiled plan and tree walker) and the batch engine (one
//! snapshot, blocks on two threads, and the streaming builder fed value by value as a store
//! feeds it) agree exactly (outcome, amount, undetermined included) on random well-typed
//! rules over random enterprises with missing facts. The generator writes rule text, so the
//! parser and checker are exercised too: a generated rule that does not check is a failure.

use chrono::NaiveDate;
use enterprise::{FactDictionary, FactValue, Facts};
use proptest::prelude::*;
use rules::synth::Rng;
use rules::{Eligibility, Library, SourceFile};
use rust_decimal::Decimal;

pub(crate) struct Gen {
    pub(crate) r: Rng,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.r.below(xs.len() as u64) as usize]
    }

    pub(crate) fn boolean(&mut self, d: u32) -> String {
        let leaf = d == 0 || self.r.chance(35);
        if leaf {
            return match self.r.below(13) {
                0 => self.pick(&["registered_in_zone", "refund_fraud_36m", "true", "false"]).into(),
                1 => format!("{} {} {}", self.int(1), self.cmp(), self.int(1)),
                2 => format!("{} {} {}", self.money(1), self.cmp(), self.money(1)),
                3 => format!("taxpayer_type {} \"small_scale\"", self.pick(&["==", "!="])),
                4 => format!("tax_credit_rating {}in [\"A\", \"B\"]", self.pick(&["", "not "])),
                5 => format!("tags has \"{}\"", self.pick(&["高新技术企业", "专精特新"])),
                6 => format!(
                    "established_on {} {}",
                    self.cmp(),
                    self.pick(&["p_date", "date(\"2012-01-01\")"])
                ),
                7 => format!("{} between {} and {}", self.money(0), self.money(0), self.money(0)),
                8 => format!(
                    "industry_section(industry_code) {}",
                    self.pick(&["== \"C\"", "!= \"I\"", "in [\"C\", \"M\", \"Z\"]"])
                ),
                9 => format!(
                    "industry_division(industry_code) {} {}",
                    self.cmp(),
                    self.pick(&["35", "65", "p_int"])
                ),
                10 => format!(
                    "size_class(year - {}) {}",
                    self.pick(&["1", "2"]),
                    self.pick(&[
                        "in [\"small\", \"micro\"]",
                        "== \"large\"",
                        "!= \"medium\"",
                        "== \"small\""
                    ])
                ),
                11 => format!("{} {} {}", self.ratio(1), self.cmp(), self.ratio(1)),
                _ => format!("{} {} {}", self.date(), self.cmp(), self.date()),
            };
        }
        match self.r.below(4) {
            0 => format!("({} and {})", self.boolean(d - 1), self.boolean(d - 1)),
            1 => format!("({} or {})", self.boolean(d - 1), self.boolean(d - 1)),
            2 => format!("not ({})", self.boolean(d - 1)),
            _ => format!(
                "(if {} then {} else {})",
                self.boolean(d - 1),
                self.boolean(d - 1),
                self.boolean(d - 1)
            ),
        }
    }

    fn cmp(&mut self) -> &'static str {
        self.pick(&["==", "!=", "<", "<=", ">", ">="])
    }

    fn date(&mut self) -> String {
        match self.r.below(3) {
            0 => "established_on".into(),
            1 => "p_date".into(),
            _ => format!("add_workdays(established_on, {})", self.r.below(30)),
        }
    }

    fn int(&mut self, d: u32) -> String {
        if d == 0 || self.r.chance(50) {
            return match self.r.below(4) {
                0 => "employees[year - 1]".into(),
                1 => "employees[year - 2]".into(),
                2 => "p_int".into(),
                _ => self.r.below(20).to_string(),
            };
        }
        match self.r.below(8) {
            0 => format!("({} + {})", self.int(d - 1), self.int(d - 1)),
            1 => format!("({} - {})", self.int(d - 1), self.int(d - 1)),
            2 => format!("({} * {})", self.int(d - 1), self.int(d - 1)),
            3 => format!("min({}, {})", self.int(d - 1), self.int(d - 1)),
            4 => format!("max({}, {})", self.int(d - 1), self.int(d - 1)),
            5 => "(year - year_of(established_on))".into(),
            6 => "industry_division(industry_code)".into(),
            _ => "year_of(established_on)".into(),
        }
    }

    fn money(&mut self, d: u32) -> String {
        if d == 0 || self.r.chance(45) {
            return self
                .pick(&[
                    "revenue[year - 1]",
                    "revenue[year - 2]",
                    "total_assets[year - 1]",
                    "taxable_income[year - 1]",
                    "p_money",
                ])
                .into();
        }
        match self.r.below(11) {
            0 => format!("({} + {})", self.money(d - 1), self.money(d - 1)),
            1 => format!("({} - {})", self.money(d - 1), self.money(d - 1)),
            2 => format!("({} * {})", self.money(d - 1), self.int(d - 1)),
            3 => {
                format!("(if {} then {} else {})", self.boolean(d - 1), self.money(d - 1), self.money(d - 1))
            }
            4 => format!("max({}, {})", self.money(d - 1), self.money(d - 1)),
            5 => format!("({} * {})", self.money(d - 1), self.ratio(0)),
            6 => format!("round({}, 0)", self.money(d - 1)),
            7 => format!("min({}, {})", self.money(d - 1), self.money(d - 1)),
            8 => format!("({} * p_tier({}))", self.money(d - 1), self.money(d - 1)),
            9 => format!("(p_money - {})", self.money(d - 1)),
            _ => format!("({} / {})", self.money(d - 1), self.int(d - 1)),
        }
    }

    fn ratio(&mut self, d: u32) -> String {
        if d == 0 || self.r.chance(50) {
            return self
                .pick(&["service_sales_share[year - 1]", "p_ratio", "p_tier(revenue[year - 1])"])
                .into();
        }
        format!("({} / {})", self.money(d - 1), self.money(d - 1))
    }
}

/// Money of varied magnitudes (up to billions, so that size classes vary), now and then
/// with a fraction of a fen (the column must then widen its scale).
fn money(r: &mut Rng) -> FactValue {
    let base = r.below(2001) as i64 - 500;
    let scale = if r.chance(5) { 3 } else { 2 };
    FactValue::Money(Decimal::new(base * 10i64.pow(r.below(9) as u32), scale))
}

pub(crate) fn enterprise(r: &mut Rng) -> Facts {
    let mut f = Facts::default();
    let present = |r: &mut Rng| r.chance(75);
    if present(r) {
        f.set("registered_in_zone", FactValue::Bool(r.chance(50)));
    }
    if present(r) {
        f.set("refund_fraud_36m", FactValue::Bool(r.chance(50)));
    }
    if present(r) {
        f.set("taxpayer_type", FactValue::Code(if r.chance(50) { "small_scale" } else { "general" }.into()));
    }
    if present(r) {
        f.set("tax_credit_rating", FactValue::Code(["A", "B", "C"][r.below(3) as usize].into()));
    }
    if present(r) {
        // Industries of several size-standard rows, a bare section, and a code that is no
        // industry at all.
        let codes = ["C3511", "I6513", "F5191", "M7320", "A0111", "K7010", "C", "X99"];
        f.set("industry_code", FactValue::Code(codes[r.below(codes.len() as u64) as usize].into()));
    }
    if present(r) {
        let t: std::collections::BTreeSet<String> =
            ["高新技术企业", "专精特新"].iter().filter(|_| r.chance(50)).map(|s| s.to_string()).collect();
        f.set("tags", FactValue::Tags(t));
    }
    if present(r) {
        let d = NaiveDate::from_ymd_opt(2009, 1, 1).unwrap() + chrono::Duration::days(r.below(5000) as i64);
        f.set("established_on", FactValue::Date(d));
    }
    for y in [2020, 2021] {
        if present(r) {
            let e = r.below(20) as i64 * 10i64.pow(r.below(4) as u32);
            f.set_year("employees", y, FactValue::Integer(e));
        }
        if present(r) {
            f.set_year("revenue", y, money(r));
        }
        if present(r) {
            f.set_year("total_assets", y, money(r));
        }
    }
    if present(r) {
        f.set_year("taxable_income", 2021, money(r));
    }
    if present(r) {
        let scale = if r.chance(10) { 7 } else { 2 };
        f.set_year("service_sales_share", 2021, FactValue::Ratio(Decimal::new(r.below(101) as i64, scale)));
    }
    f
}

pub(crate) fn library(when: &str, amount: Option<&str>) -> Library {
    let mut text = String::from(
        "[policy]\nid = \"p\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"d\"\nlevel = \"zone\"\n\
         window = { from = \"2019-01-01\" }\n\n\
         [param.p_int]\ndescription = \"\"\ntype = \"integer\"\nvalues = { \"2019-01-01\" = 10 }\n\
         [param.p_money]\ndescription = \"\"\ntype = \"money\"\nvalues = { \"2019-01-01\" = \"5.00\" }\n\
         [param.p_ratio]\ndescription = \"\"\ntype = \"ratio\"\nvalues = { \"2019-01-01\" = \"0.5\" }\n\
         [param.p_date]\ndescription = \"\"\ntype = \"date\"\nvalues = { \"2019-01-01\" = \"2011-06-01\" }\n\
         [param.p_tier]\ndescription = \"\"\ntype = \"ratio\"\nkey = \"money\"\nvalues = { \"2019-01-01\" = [\
         { upto = \"10\", value = \"0.1\" }, { below = \"100000\", value = \"0.05\" }, { value = \"0.025\" }] }\n\n",
    );
    text.push_str(&format!("[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\nwhen = '{when}'\nbenefit_kind = \"award_no_application\"\n"));
    if let Some(a) = amount {
        text.push_str(&format!("amount = '{a}'\n"));
    }
    let (lib, diags) =
        Library::load(&[SourceFile { name: "gen.toml".into(), text }], FactDictionary::official());
    let rendered: Vec<String> = diags.iter().map(|d| d.render()).collect();
    assert!(diags.is_empty(), "generated rule does not check: {when} / {amount:?}: {rendered:?}");
    lib
}

/// Feeds one enterprise's facts to a stream as a store page does: numbers in their exact
/// integer form (integers, fen, millionths) where they have one, dates as days, tags one by
/// one; with `generic`, through [`rules::batch::Stream::set`] instead.
fn feed(stream: &mut rules::batch::Stream<'_, '_>, f: &Facts, generic: bool) {
    stream.push_row();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let cells = f
        .scalar
        .iter()
        .map(|(k, v)| (k, None, v))
        .chain(f.yearly.iter().flat_map(|(k, ys)| ys.iter().map(move |(y, v)| (k, Some(*y), v))));
    for (fact, year, v) in cells {
        let Some(c) = stream.column(fact, year) else { continue };
        if generic {
            stream.set(c, v);
            continue;
        }
        let exact = |d: &Decimal, scale: u32| {
            let x = *d * Decimal::from(10i64.pow(scale));
            x.fract().is_zero().then(|| x.trunc().to_string().parse::<i64>().ok()).flatten()
        };
        match v {
            FactValue::Bool(b) => stream.set_bool(c, *b),
            FactValue::Integer(i) => stream.set_scaled(c, *i, 0),
            FactValue::Money(d) => match exact(d, 2) {
                Some(fen) => stream.set_scaled(c, fen, 2),
                None => stream.set_decimal(c, *d),
            },
            FactValue::Ratio(d) => match exact(d, 6) {
                Some(m) => stream.set_scaled(c, m, 6),
                None => stream.set_decimal(c, *d),
            },
            FactValue::Date(d) => stream.set_days(c, (*d - epoch).num_days() as i32),
            FactValue::Code(s) | FactValue::Text(s) => stream.set_str(c, s),
            FactValue::Tags(t) => stream.set_tags(c, t.iter().map(String::as_str)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn evaluator_batch_and_stream_agree(seed in any::<u64>()) {
        let mut g = Gen { r: Rng::new(seed) };
        let when = g.boolean(3);
        let amount = g.r.chance(60).then(|| g.money(2));
        let lib = library(&when, amount.as_deref());
        let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
        let mut r = Rng::new(seed.rotate_left(17));
        let all: Vec<Facts> = (0..130).map(|_| enterprise(&mut r)).collect();
        let snap = rules::batch::Snapshot::from_facts(&all, FactDictionary::official());
        let items = lib.items_in_force(date);
        let result = rules::batch::run(&lib.program, &items, &snap, date);
        let item = items[0];
        let res = &result.items[0];
        let mut counts = [0usize; 3];
        let mut amount_missing = 0;
        for (i, f) in all.iter().enumerate() {
            let d = lib.evaluate(item, f, date);
            // The compiled plan (what `evaluate` runs) and the tree-walking evaluator give the
            // same decision, explanation included.
            prop_assert_eq!(&d, &rules::eval::evaluate(&lib.program, item, f, date), "row {} when {}", i, &when);
            prop_assert_eq!(d.outcome, res.outcome(i), "row {} when {} amount {:?} facts {:?}", i, &when, &amount, f);
            prop_assert_eq!(d.amount, res.amount(i), "row {} when {} amount {:?}", i, &when, &amount);
            counts[d.outcome as usize] += 1;
            // Eligibility apart from amount: a missing amount never makes a decision
            // undetermined, and the facts it lacks are named only for the eligible.
            let no_amount = d.outcome == Eligibility::Eligible && amount.is_some() && d.amount.is_none();
            amount_missing += usize::from(no_amount);
            prop_assert!(d.amount_missing_facts.is_empty() || no_amount, "row {}", i);
            prop_assert!(d.outcome != Eligibility::Undetermined || !d.missing_facts.is_empty() || d.amount_missing_facts.is_empty());
        }
        prop_assert_eq!(counts, [res.eligible, res.ineligible, res.undetermined]);
        prop_assert_eq!(amount_missing, res.amount_missing, "when {} amount {:?}", &when, &amount);
        let same = |j: &rules::batch::ItemResult, how: &str| -> Result<(), TestCaseError> {
            for i in 0..all.len() {
                prop_assert_eq!(j.outcome(i), res.outcome(i), "{} row {} when {}", how, i, &when);
                prop_assert_eq!(j.amount(i), res.amount(i), "{} row {} when {}", how, i, &when);
            }
            prop_assert_eq!(
                (j.eligible, j.ineligible, j.undetermined, j.amount_missing, j.total),
                (res.eligible, res.ineligible, res.undetermined, res.amount_missing, res.total),
                "{}", how
            );
            Ok(())
        };
        // The same in blocks of 64 enterprises on two threads.
        let blocks = snap.into_blocks(64);
        let joined = rules::batch::run_blocks(&lib.program, &items, &blocks, date, 2);
        same(&joined.items[0], "blocks")?;
        // Streamed row by row into blocks of 64 or 128, value by value, the current program
        // and a second plan (the same item) over the same blocks, as a simulation runs.
        let block = [64, 128][g.r.below(2) as usize];
        let plans = vec![
            rules::batch::Compiled::new(&lib.program, &items, date),
            rules::batch::Compiled::new(&lib.program, &items, date),
        ];
        let mut stream = rules::batch::Stream::new(plans, FactDictionary::official(), block);
        let generic = g.r.chance(30);
        for f in &all {
            feed(&mut stream, f, generic);
        }
        prop_assert_eq!(stream.rows(), all.len());
        let out = stream.finish();
        same(&out[0].items[0], "stream")?;
        same(&out[1].items[0], "stream, second plan")?;
    }
}

#[test]
fn a_stream_of_no_enterprises_decides_nothing() {
    let lib = library("registered_in_zone", Some("p_money"));
    let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    let items = lib.items_in_force(date);
    let plan = rules::batch::Compiled::new(&lib.program, &items, date);
    let stream = rules::batch::Stream::new(vec![plan], FactDictionary::official(), 64);
    assert_eq!(stream.columns(), &[("registered_in_zone".to_string(), None)]);
    assert!(stream.column("revenue", Some(2021)).is_none(), "only what the plans read is built");
    let out = stream.finish();
    let r = &out[0].items[0];
    assert_eq!((r.eligible, r.ineligible, r.undetermined, r.total), (0, 0, 0, Decimal::ZERO));
}

#[test]
fn the_builder_widens_a_money_column_for_fractions_of_a_fen() {
    let dict = FactDictionary::official();
    let mut b = rules::batch::SnapshotBuilder::new(3, dict);
    let c = b.column("revenue", Some(2021));
    b.set_scaled(c, 0, 12_345, 2);
    b.set_decimal(c, 1, Decimal::new(1_2345, 4));
    let snap = b.finish();
    let col = snap.column("revenue", Some(2021)).unwrap();
    assert_eq!(col.num(0), Some(Decimal::new(12_345, 2)));
    assert_eq!(col.num(1), Some(Decimal::new(1_2345, 4)));
    assert_eq!(col.num(2), None, "a row never set is unknown");
    assert!(matches!(
        col,
        rules::batch::Column::Num { nums: rules::batch::Nums::Scaled { scale: 4, .. }, .. }
    ));
}

/// An eligible enterprise whose amount fact is missing is eligible with no amount, and
/// the amount's missing facts named, on every path (single, batch, blocks, stream); one whose
/// eligibility is unknown is undetermined. Deterministic, so the split is always exercised.
#[test]
fn an_eligible_enterprise_without_its_amount_fact_is_eligible_on_every_path() {
    let lib = library("registered_in_zone", Some("taxable_income[2021] * p_ratio"));
    let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    let mut rows = Vec::new();
    for k in 0..200 {
        let mut f = Facts::default();
        if k % 4 != 3 {
            f.set("registered_in_zone", FactValue::Bool(k % 4 != 2));
        }
        if k % 2 == 0 {
            f.set_year("taxable_income", 2021, FactValue::Money(Decimal::new(1000 + k, 2)));
        }
        rows.push(f);
    }
    let items = lib.items_in_force(date);
    let expected: Vec<(Eligibility, Option<Decimal>, Vec<String>)> = rows
        .iter()
        .map(|f| {
            let d = lib.evaluate(items[0], f, date);
            (d.outcome, d.amount, d.amount_missing_facts.iter().map(ToString::to_string).collect())
        })
        .collect();
    for (k, (outcome, amount, missing)) in expected.iter().enumerate() {
        let want = match k % 4 {
            3 => Eligibility::Undetermined,
            2 => Eligibility::Ineligible,
            _ => Eligibility::Eligible,
        };
        assert_eq!(*outcome, want, "row {k}");
        let no_amount = want == Eligibility::Eligible && k % 2 == 1;
        assert_eq!(amount.is_none(), want != Eligibility::Eligible || no_amount, "row {k}");
        let names: &[&str] = if no_amount { &["taxable_income[2021]"] } else { &[] };
        assert_eq!(missing, names, "row {k}");
    }
    let snap = rules::batch::Snapshot::from_facts(&rows, FactDictionary::official());
    let single = rules::batch::run(&lib.program, &items, &snap, date).items.remove(0);
    let blocks =
        rules::batch::run_blocks(&lib.program, &items, &snap.into_blocks(64), date, 2).items.remove(0);
    let mut stream = rules::batch::Stream::new(
        vec![rules::batch::Compiled::new(&lib.program, &items, date)],
        FactDictionary::official(),
        64,
    );
    for f in &rows {
        feed(&mut stream, f, false);
    }
    let streamed = stream.finish().remove(0).items.remove(0);
    for r in [&single, &blocks, &streamed] {
        // 100 eligible (rows 0 and 1 mod 4), of which 50 (1 mod 4) have no amount.
        assert_eq!((r.eligible, r.ineligible, r.undetermined, r.amount_missing), (100, 50, 50, 50));
        for (k, (outcome, amount, _)) in expected.iter().enumerate() {
            assert_eq!((r.outcome(k), r.amount(k)), (*outcome, *amount), "row {k}");
        }
    }
}
