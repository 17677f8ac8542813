//! The single-enterprise evaluator (compiled plan and tree walker) and the batch engine agree exactly (outcome, amount,
//! undetermined included) on random well-typed rules over random enterprises with missing
//! facts. The generator writes rule text, so the parser and checker are exercised too: a
//! generated rule that does not check is a failure.

use chrono::NaiveDate;
use enterprise::{FactDictionary, FactValue, Facts};
use proptest::prelude::*;
use rules::synth::Rng;
use rules::{Library, SourceFile};
use rust_decimal::Decimal;

struct Gen {
    r: Rng,
    /// Only what compiles to SQL exactly.
    sql: bool,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.r.below(xs.len() as u64) as usize]
    }

    fn boolean(&mut self, d: u32) -> String {
        let leaf = d == 0 || self.r.chance(35);
        if leaf {
            return match self.r.below(9) {
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
                _ if self.sql => format!("{} {} {}", self.int(1), self.cmp(), self.int(1)),
                _ => format!("{} {} {}", self.ratio(1), self.cmp(), self.ratio(1)),
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

    fn int(&mut self, d: u32) -> String {
        if d == 0 || self.r.chance(50) {
            return match self.r.below(4) {
                0 => "employees[year - 1]".into(),
                1 => "employees[year - 2]".into(),
                2 => "p_int".into(),
                _ => self.r.below(20).to_string(),
            };
        }
        match self.r.below(5) {
            0 => format!("({} + {})", self.int(d - 1), self.int(d - 1)),
            1 => format!("({} - {})", self.int(d - 1), self.int(d - 1)),
            2 => format!("({} * {})", self.int(d - 1), self.int(d - 1)),
            3 => format!("min({}, {})", self.int(d - 1), self.int(d - 1)),
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
        let choices = if self.sql { 5 } else { 8 };
        match self.r.below(choices) {
            0 => format!("({} + {})", self.money(d - 1), self.money(d - 1)),
            1 => format!("({} - {})", self.money(d - 1), self.money(d - 1)),
            2 => format!("({} * {})", self.money(d - 1), self.int(d - 1)),
            3 => {
                format!("(if {} then {} else {})", self.boolean(d - 1), self.money(d - 1), self.money(d - 1))
            }
            4 => format!("max({}, {})", self.money(d - 1), self.money(d - 1)),
            5 => format!("({} * {})", self.money(d - 1), self.ratio(0)),
            6 => format!("round({}, 0)", self.money(d - 1)),
            _ => format!("({} / {})", self.money(d - 1), self.int(d - 1)),
        }
    }

    fn ratio(&mut self, d: u32) -> String {
        if d == 0 || self.r.chance(50) {
            return self.pick(&["service_sales_share[year - 1]", "p_ratio"]).into();
        }
        format!("({} / {})", self.money(d - 1), self.money(d - 1))
    }
}

fn enterprise(r: &mut Rng) -> Facts {
    let mut f = Facts::default();
    let present = |r: &mut Rng| r.chance(75);
    let money = |r: &mut Rng| FactValue::Money(Decimal::new(r.below(2001) as i64 - 500, 2));
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
        let t: std::collections::BTreeSet<String> =
            ["高新技术企业", "专精特新"].iter().filter(|_| r.chance(50)).map(|s| s.to_string()).collect();
        f.set("tags", FactValue::Tags(t));
    }
    if present(r) {
        let d = NaiveDate::from_ymd_opt(2009, 1, 1).unwrap() + chrono::Duration::days(r.below(2000) as i64);
        f.set("established_on", FactValue::Date(d));
    }
    for y in [2020, 2021] {
        if present(r) {
            f.set_year("employees", y, FactValue::Integer(r.below(20) as i64));
        }
        if present(r) {
            f.set_year("revenue", y, money(r));
        }
    }
    if present(r) {
        f.set_year("total_assets", 2021, money(r));
    }
    if present(r) {
        f.set_year("taxable_income", 2021, money(r));
    }
    if present(r) {
        f.set_year("service_sales_share", 2021, FactValue::Ratio(Decimal::new(r.below(101) as i64, 2)));
    }
    f
}

fn library(when: &str, amount: Option<&str>) -> Library {
    let mut text = String::from(
        "[policy]\nid = \"p\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"d\"\nlevel = \"zone\"\n\
         window = { from = \"2019-01-01\" }\n\n\
         [param.p_int]\ndescription = \"\"\ntype = \"integer\"\nvalues = { \"2019-01-01\" = 10 }\n\
         [param.p_money]\ndescription = \"\"\ntype = \"money\"\nvalues = { \"2019-01-01\" = \"5.00\" }\n\
         [param.p_ratio]\ndescription = \"\"\ntype = \"ratio\"\nvalues = { \"2019-01-01\" = \"0.5\" }\n\
         [param.p_date]\ndescription = \"\"\ntype = \"date\"\nvalues = { \"2019-01-01\" = \"2011-06-01\" }\n\n",
    );
    text.push_str(&format!("[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\nwhen = '{when}'\n"));
    if let Some(a) = amount {
        text.push_str(&format!("amount = '{a}'\n"));
    }
    let (lib, diags) =
        Library::load(&[SourceFile { name: "gen.toml".into(), text }], FactDictionary::official());
    let rendered: Vec<String> = diags.iter().map(|d| d.render()).collect();
    assert!(diags.is_empty(), "generated rule does not check: {when} / {amount:?}: {rendered:?}");
    lib
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn evaluator_and_batch_agree(seed in any::<u64>()) {
        let mut g = Gen { r: Rng::new(seed), sql: false };
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
        for (i, f) in all.iter().enumerate() {
            let d = lib.evaluate(item, f, date);
            // The compiled plan (what `evaluate` runs) and the tree-walking evaluator give the
            // same decision, explanation included.
            prop_assert_eq!(&d, &rules::eval::evaluate(&lib.program, item, f, date), "row {} when {}", i, &when);
            prop_assert_eq!(d.outcome, res.outcome(i), "row {} when {} amount {:?} facts {:?}", i, &when, &amount, f);
            prop_assert_eq!(d.amount, res.amount(i), "row {} when {} amount {:?}", i, &when, &amount);
            counts[d.outcome as usize] += 1;
        }
        prop_assert_eq!(counts, [res.eligible, res.ineligible, res.undetermined]);
        // The same in blocks of 64 enterprises on two threads.
        let blocks = snap.into_blocks(64);
        let joined = rules::batch::run_blocks(&lib.program, &items, &blocks, date, 2);
        let j = &joined.items[0];
        for i in 0..all.len() {
            prop_assert_eq!(j.outcome(i), res.outcome(i), "row {}", i);
            prop_assert_eq!(j.amount(i), res.amount(i), "row {}", i);
        }
        prop_assert_eq!((j.eligible, j.ineligible, j.undetermined, j.total), (res.eligible, res.ineligible, res.undetermined, res.total));
    }
}

/// The fact table of the store, in memory, with the enterprises' facts.
fn sqlite_with(all: &[Facts]) -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE enterprises(id INTEGER PRIMARY KEY, uscc TEXT);
         CREATE TABLE enterprise_facts(enterprise_id INTEGER, fact TEXT, year INTEGER, value TEXT, num INTEGER,
                                       source TEXT, as_of TEXT);
         CREATE VIEW renamed_facts(eid, fact_id, yr, txt, n) AS
             SELECT enterprise_id, fact, year, value, num FROM enterprise_facts;",
    )
    .unwrap();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    for (i, f) in all.iter().enumerate() {
        db.execute("INSERT INTO enterprises(id) VALUES (?1)", [i as i64]).unwrap();
        let rows = f.scalar.iter().map(|(k, v)| (k.clone(), 0, v.clone())).chain(
            f.yearly.iter().flat_map(|(k, ys)| ys.iter().map(move |(y, v)| (k.clone(), *y, v.clone()))),
        );
        for (fact, year, v) in rows {
            let num: Option<i64> = match &v {
                FactValue::Bool(b) => Some(i64::from(*b)),
                FactValue::Integer(n) => Some(*n),
                FactValue::Money(d) => {
                    let fen = *d * Decimal::from(100);
                    assert!(fen.fract().is_zero());
                    Some(fen.trunc().to_string().parse().unwrap())
                }
                FactValue::Date(d) => Some((*d - epoch).num_days()),
                _ => None,
            };
            db.execute(
                "INSERT INTO enterprise_facts VALUES (?1, ?2, ?3, ?4, ?5, 'test', '2022-06-30')",
                rusqlite::params![i as i64, fact, year, v.to_text(), num],
            )
            .unwrap();
        }
    }
    db
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn evaluator_batch_and_sqlite_agree(seed in any::<u64>()) {
        let mut g = Gen { r: Rng::new(seed), sql: true };
        let when = g.boolean(3);
        let lib = library(&when, None);
        let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
        let mut r = Rng::new(seed.rotate_left(29));
        let all: Vec<Facts> = (0..70).map(|_| enterprise(&mut r)).collect();
        let item = lib.items_in_force(date)[0];
        let cond = rules::sql::compile_condition(&lib.program, item, date, rules::sql::Dialect::Sqlite);
        let cond = match cond {
            Ok(c) => c,
            Err(e) => return Err(TestCaseError::fail(format!("{when}: {e}"))),
        };
        let db = sqlite_with(&all);
        let mut stmt = db.prepare(&rules::sql::outcome_query(&cond)).unwrap();
        let sql: Vec<Option<i64>> = stmt.query_map([], |row| row.get(1)).unwrap().map(Result::unwrap).collect();
        // The same condition read from a view with other column names decides the same.
        let view = rules::sql::FactsSource {
            table: "renamed_facts".into(),
            enterprise_id: "eid".into(),
            fact: "fact_id".into(),
            year: "yr".into(),
            value: "txt".into(),
            num: "n".into(),
        };
        let cond_view = rules::sql::compile_condition_from(&lib.program, item, date, rules::sql::Dialect::Sqlite, &view).unwrap();
        prop_assert!(!cond_view.contains("enterprise_facts"), "{}", cond_view);
        let mut stmt = db.prepare(&rules::sql::outcome_query(&cond_view)).unwrap();
        let via_view: Vec<Option<i64>> = stmt.query_map([], |row| row.get(1)).unwrap().map(Result::unwrap).collect();
        prop_assert_eq!(&via_view, &sql, "{}", &cond_view);
        let snap = rules::batch::Snapshot::from_facts(&all, FactDictionary::official());
        let batch = rules::batch::run(&lib.program, &[item], &snap, date);
        for (i, f) in all.iter().enumerate() {
            let d = lib.evaluate(item, f, date);
            let from_sql = match sql[i] {
                Some(1) => rules::Outcome::Eligible,
                Some(0) => rules::Outcome::Ineligible,
                None => rules::Outcome::Undetermined,
                Some(x) => return Err(TestCaseError::fail(format!("outcome {x}"))),
            };
            prop_assert_eq!(d.outcome, from_sql, "row {} when {} sql {} facts {:?}", i, &when, &cond, f);
            prop_assert_eq!(d.outcome, batch.items[0].outcome(i));
        }
    }
}

#[test]
fn what_sql_cannot_compute_exactly_is_refused() {
    let lib = library("revenue[year - 1] / revenue[year - 2] >= p_ratio", None);
    let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    let item = lib.items_in_force(date)[0];
    let err =
        rules::sql::compile_condition(&lib.program, item, date, rules::sql::Dialect::Postgres).unwrap_err();
    assert!(matches!(err, rules::Error::NotSqlCompilable { .. }), "{err:?}");
    let lib = library("tags has \"专精特新\" and year_of(established_on) == year - 1", None);
    let item = lib.items_in_force(date)[0];
    let pg = rules::sql::compile_condition(&lib.program, item, date, rules::sql::Dialect::Postgres).unwrap();
    assert!(pg.contains("strpos") && pg.contains("EXTRACT(YEAR"), "{pg}");
}

#[test]
fn the_facts_source_names_the_table_and_columns_and_refuses_other_text() {
    let lib = library("registered_in_zone and revenue[year - 1] >= p_money", None);
    let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    let item = lib.items_in_force(date)[0];
    let pg = rules::sql::Dialect::Postgres;
    // The default reads enterprise_facts, as before the option existed.
    let default = rules::sql::compile_condition(&lib.program, item, date, pg).unwrap();
    assert_eq!(
        default.matches("FROM enterprise_facts f WHERE f.enterprise_id = e.id").count(),
        2,
        "{default}"
    );
    let from_default =
        rules::sql::compile_condition_from(&lib.program, item, date, pg, &Default::default()).unwrap();
    assert_eq!(from_default, default);
    let view = rules::sql::FactsSource::table("huiqi.rule_facts");
    let c = rules::sql::compile_condition_from(&lib.program, item, date, pg, &view).unwrap();
    assert_eq!(c.matches("FROM huiqi.rule_facts f WHERE f.enterprise_id = e.id").count(), 2, "{c}");
    for bad in [
        rules::sql::FactsSource::table("rule_facts; DROP TABLE enterprises"),
        rules::sql::FactsSource::table(""),
        rules::sql::FactsSource::table("a.b.c"),
        rules::sql::FactsSource { num: "num)".into(), ..Default::default() },
        rules::sql::FactsSource { year: "1year".into(), ..Default::default() },
    ] {
        let err = rules::sql::compile_condition_from(&lib.program, item, date, pg, &bad).unwrap_err();
        assert!(matches!(err, rules::Error::SqlName { .. }), "{bad:?}: {err:?}");
    }
}
