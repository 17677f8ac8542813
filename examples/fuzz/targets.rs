//! The fuzz targets, one per parser that reads what users send: rule source, policy TOML,
//! import CSV / XLSX / JSON lines, credit codes. Each builds inputs by structure-aware
//! mutation of valid seeds (cells, lines, keys, XML parts, expression grammar), sometimes
//! followed by raw byte mutations, and runs the parser and what follows it on them.
//!
//! Besides "no panic", some targets check an invariant and panic when it fails, so that it
//! is counted: parse → print → parse gives the same text (rule source); the compiled plan,
//! the tree walker and the batch engine agree (rule source); a valid credit code reads back
//! as itself.

use super::engine::{NASTY, Rng, Target, mutate_bytes};
use enterprise::{FactDictionary, Facts, UnifiedCreditCode};
use rules::{Library, SourceFile};
use std::io::{Cursor, Write};

/// Every target by name.
pub fn all() -> Vec<Box<dyn Target>> {
    vec![
        Box::new(RuleSource),
        Box::new(PolicyToml),
        Box::new(Csv::new()),
        Box::new(Jsonl::new()),
        Box::new(Xlsx { csv: Csv::new() }),
        Box::new(CreditCode),
    ]
}

pub fn by_name(name: &str) -> Option<Box<dyn Target>> {
    all().into_iter().find(|t| t.name() == name)
}

fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

// ---------------------------------------------------------------------------------------
// Rule source

const SCALAR_NAMES: &[&str] = &[
    "registered_in_zone",
    "tax_registered_in_zone",
    "industry_code",
    "established_on",
    "taxpayer_type",
    "tax_credit_rating",
    "tags",
    "restricted_industry",
    "is_individual_business",
    "srdi_level",
    "utility_arrears_on",
    "utility_arrears_paid_on",
    "cap",
    "rate",
    "start",
    "kind",
    "d_bool",
    "d_money",
    "nope",
    "year",
    "today",
    "true",
    "false",
];
const YEAR_FACTS: &[&str] =
    &["employees", "revenue", "total_assets", "taxable_income", "rd_expense", "service_sales_share"];
const FUNCS: &[&str] = &[
    "min",
    "max",
    "abs",
    "round",
    "add_workdays",
    "sub_workdays",
    "workdays_between",
    "year_of",
    "date",
    "size_class",
    "industry_section",
    "industry_division",
    "tier",
    "frob",
];
const OPS: &[&str] =
    &["and", "or", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "has", "≤", "≥", "≠", "×", "÷", "="];
const LITERALS: &[&str] = &[
    "0",
    "1",
    "3",
    "100",
    "0.05",
    "1.5",
    "2022",
    "99999999999999999999",
    "1_000",
    "\"small_scale\"",
    "\"general\"",
    "\"专精特新\"",
    "\"C\"",
    "\"2022-04-27\"",
    "“全角”",
    "\"x",
];

/// Parameters, a table and definitions the generated expressions may name.
const RULE_HEAD: &str = r#"[policy]
id = "fuzz"
title = "t"
issuer = "i"
document = "d"
level = "zone"
window = { from = "2020-01-01" }

[param.cap]
description = "cap"
type = "money"
values = { "2020-01-01" = "100000", "2022-01-01" = "200000" }

[param.rate]
description = "rate"
type = "ratio"
values = { "2020-01-01" = "0.05" }

[param.start]
description = "start"
type = "date"
values = { "2020-01-01" = "2021-06-30" }

[param.kind]
description = "kind"
type = "code"
values = { "2020-01-01" = "small_scale" }

[param.tier]
description = "tiers"
type = "ratio"
key = "money"
values = { "2020-01-01" = [ { upto = "1000000", value = "0.1" }, { value = "0.2" } ] }

[define.d_bool]
expr = 'registered_in_zone and employees[year - 1] <= 300'

[define.d_money]
expr = 'min(revenue[year - 1] * rate, cap)'
"#;

fn gen_expr(r: &mut Rng, depth: usize) -> String {
    if depth == 0 || r.chance(30) {
        return match r.below(5) {
            0 => r.pick(LITERALS).to_string(),
            1 => format!("{}[year - {}]", r.pick(YEAR_FACTS), r.below(3)),
            2 => r.pick(NASTY).to_string(),
            _ => r.pick(SCALAR_NAMES).to_string(),
        };
    }
    let d = depth - 1;
    match r.below(11) {
        0..=2 => format!("{} {} {}", gen_expr(r, d), r.pick(OPS), gen_expr(r, d)),
        3 => format!("not {}", gen_expr(r, d)),
        4 => format!("-{}", gen_expr(r, d)),
        5 => format!("({})", gen_expr(r, d)),
        6 => {
            let n = r.below(4);
            let args: Vec<String> = (0..n).map(|_| gen_expr(r, d)).collect();
            format!("{}({})", r.pick(FUNCS), args.join(", "))
        }
        7 => format!("{}[{}]", r.pick(YEAR_FACTS), gen_expr(r, d)),
        8 => {
            let n = r.below(4);
            let items: Vec<String> = (0..n).map(|_| gen_expr(r, d)).collect();
            format!("{} {}in [{}]", gen_expr(r, d), if r.chance(30) { "not " } else { "" }, items.join(", "))
        }
        9 => format!("{} between {} and {}", gen_expr(r, d), gen_expr(r, d), gen_expr(r, d)),
        _ => format!("if {} then {} else {}", gen_expr(r, d), gen_expr(r, d), gen_expr(r, d)),
    }
}

/// A well-typed expression of a type (`b`ool, `m`oney, `i`nteger, `r`atio, `d`ate), so
/// that inputs reach the evaluators, not only the checker.
fn gen_typed(r: &mut Rng, ty: char, depth: usize) -> String {
    let leaf = depth == 0 || r.chance(25);
    let d = depth.saturating_sub(1);
    let k = r.below(3);
    match ty {
        'b' if leaf => r
            .pick(&[
                "registered_in_zone",
                "tax_registered_in_zone",
                "restricted_industry",
                "d_bool",
                "true",
                "false",
                "taxpayer_type == \"small_scale\"",
                "tags has \"专精特新\"",
                "industry_code in [\"C3511\", \"I6513\"]",
                "size_class(year - 1) in [\"small\", \"micro\"]",
                "industry_section(industry_code) == \"C\"",
            ])
            .to_string(),
        'b' => match r.below(8) {
            0 => format!("{} and {}", gen_typed(r, 'b', d), gen_typed(r, 'b', d)),
            1 => format!("{} or {}", gen_typed(r, 'b', d), gen_typed(r, 'b', d)),
            2 => format!("not ({})", gen_typed(r, 'b', d)),
            3 => format!(
                "{} {} {}",
                gen_typed(r, 'm', d),
                r.pick(&["<", "<=", ">", ">=", "==", "!="]),
                gen_typed(r, 'm', d)
            ),
            4 => format!(
                "{} {} {}",
                gen_typed(r, 'i', d),
                r.pick(&["<", "<=", ">", "=="]),
                gen_typed(r, 'r', d)
            ),
            5 => format!(
                "{} between {} and {}",
                gen_typed(r, 'i', d),
                gen_typed(r, 'i', d),
                gen_typed(r, 'i', d)
            ),
            6 => format!("{} <= {}", gen_typed(r, 'd', d), gen_typed(r, 'd', d)),
            _ => format!(
                "if {} then {} else {}",
                gen_typed(r, 'b', d),
                gen_typed(r, 'b', d),
                gen_typed(r, 'b', d)
            ),
        },
        'm' if leaf => match r.below(6) {
            0 => format!("revenue[year - {k}]"),
            1 => format!("total_assets[year - {k}]"),
            2 => format!("rd_expense[year - {k}]"),
            3 => "cap".into(),
            4 => "d_money".into(),
            _ => r.pick(&["0", "100", "-5", "1000000.55"]).to_string(),
        },
        'm' => match r.below(9) {
            0 => format!("{} + {}", gen_typed(r, 'm', d), gen_typed(r, 'm', d)),
            1 => format!("{} - {}", gen_typed(r, 'm', d), gen_typed(r, 'm', d)),
            2 => format!("{} * {}", gen_typed(r, 'm', d), gen_typed(r, 'r', d)),
            3 => format!("{} / {}", gen_typed(r, 'm', d), gen_typed(r, 'i', d)),
            4 => format!("min({}, {})", gen_typed(r, 'm', d), gen_typed(r, 'm', d)),
            5 => format!("max({}, {}, {})", gen_typed(r, 'm', d), gen_typed(r, 'm', d), gen_typed(r, 'm', d)),
            6 => format!("round({}, {})", gen_typed(r, 'm', d), r.below(4)),
            7 => format!("abs(-{})", gen_typed(r, 'm', d)),
            _ => format!(
                "if {} then {} else {}",
                gen_typed(r, 'b', d),
                gen_typed(r, 'm', d),
                gen_typed(r, 'm', d)
            ),
        },
        'i' if leaf => match r.below(5) {
            0 => format!("employees[year - {k}]"),
            1 => "year".into(),
            2 => "workdays_between(start, today)".into(),
            3 => "industry_division(industry_code)".into(),
            _ => r.pick(&["0", "1", "300", "-2", "9223372036854775807"]).to_string(),
        },
        'i' => match r.below(4) {
            0 => format!("{} + {}", gen_typed(r, 'i', d), gen_typed(r, 'i', d)),
            1 => format!("{} * {}", gen_typed(r, 'i', d), gen_typed(r, 'i', d)),
            2 => format!("year_of({})", gen_typed(r, 'd', d)),
            _ => format!("-{}", gen_typed(r, 'i', d)),
        },
        'r' if leaf => r.pick(&["rate", "0.05", "1.5", "service_sales_share[year - 1]", "0"]).to_string(),
        'r' => match r.below(4) {
            0 => format!("{} / {}", gen_typed(r, 'm', d), gen_typed(r, 'm', d)),
            1 => format!("tier({})", gen_typed(r, 'm', d)),
            2 => format!("{} * {}", gen_typed(r, 'r', d), gen_typed(r, 'i', d)),
            _ => format!("{} - {}", gen_typed(r, 'r', d), gen_typed(r, 'r', d)),
        },
        _ if leaf => r
            .pick(&["today", "start", "established_on", "date(\"2022-04-27\")", "utility_arrears_on"])
            .to_string(),
        _ => match r.below(3) {
            0 => format!("add_workdays({}, {})", gen_typed(r, 'd', d), gen_typed(r, 'i', d)),
            1 => format!("sub_workdays({}, {})", gen_typed(r, 'd', d), gen_typed(r, 'i', d)),
            _ => format!("{} + {}", gen_typed(r, 'd', d), gen_typed(r, 'i', d)),
        },
    }
}

/// A policy file: the head above, then one item with `when` (and maybe `amount`).
fn rule_policy(when: &str, amount: Option<&str>) -> String {
    // A TOML basic string. (Not `toml::Value::to_string`: toml_write 0.1.2 counts runs of
    // quotes in a u8, which overflows on 256 in a row.)
    let lit = |s: &str| {
        let mut out = String::from("\"");
        for ch in s.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    let mut t = format!(
        "{RULE_HEAD}\n[[item]]\nid = \"x\"\ntitle = \"x\"\nclause = \"-\"\nwhen = {}\nbenefit_kind = \"status\"\n",
        lit(when)
    );
    if let Some(a) = amount {
        t.push_str(&format!("amount = {}\n", lit(a)));
    }
    t
}

pub struct RuleSource;

impl Target for RuleSource {
    fn name(&self) -> &'static str {
        "rule"
    }
    fn input(&self, r: &mut Rng) -> Vec<u8> {
        let depth = 1 + r.below(6);
        let mut s = if r.chance(60) { gen_typed(r, 'b', depth) } else { gen_expr(r, depth) }.into_bytes();
        if r.chance(35) {
            mutate_bytes(r, &mut s, 4);
        }
        // Sometimes a second expression, as the amount, after a NUL.
        if r.chance(30) {
            s.push(0);
            let depth = 1 + r.below(4);
            s.extend(if r.chance(70) { gen_typed(r, 'm', depth) } else { gen_expr(r, depth) }.into_bytes());
        }
        s
    }
    fn run(&self, input: &[u8]) -> &'static str {
        let src = text(input);
        let (when, amount) = match src.split_once('\0') {
            Some((w, a)) => (w, Some(a)),
            None => (src.as_str(), None),
        };
        let (e, errs) = rules::syntax::parse(when);
        for err in &errs {
            assert!(err.span().end <= when.len(), "span past the end: {err:?}");
        }
        if errs.is_empty() {
            let printed = e.to_string();
            let (again, errs2) = rules::syntax::parse(&printed);
            assert!(errs2.is_empty(), "printed text does not parse: {when:?} -> {printed:?}: {errs2:?}");
            assert_eq!(again.to_string(), printed, "printing is not stable for {when:?}");
        }
        let file = SourceFile { name: "fuzz.toml".into(), text: rule_policy(when, amount) };
        let (lib, diags) = Library::load(&[file], FactDictionary::official());
        for d in &diags {
            let _ = d.render();
        }
        if !diags.is_empty() {
            return "diagnostics";
        }
        let dates = ["2022-06-30", "2021-01-01", "2026-12-31"];
        let mut facts = rules::synth::enterprises(6, input.len() as u64, 2021);
        facts.push(Facts::default());
        let items: Vec<&rules::Item> = lib.items().collect();
        for day in dates {
            let Ok(day) = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") else { continue };
            let snap = rules::batch::Snapshot::from_facts(&facts, FactDictionary::official());
            let batch = rules::batch::run(&lib.program, &items, &snap, day);
            for (row, f) in facts.iter().enumerate() {
                for (k, item) in items.iter().enumerate() {
                    let planned = lib.evaluate(item, f, day);
                    let walked = rules::eval::evaluate(&lib.program, item, f, day);
                    let _ = serde_json::to_string(&planned);
                    assert_eq!(planned.outcome, walked.outcome, "plan and tree walker disagree on {when:?}");
                    assert_eq!(planned.amount, walked.amount, "plan and tree walker disagree on {when:?}");
                    assert_eq!(batch.items[k].outcome(row), planned.outcome, "batch disagrees on {when:?}");
                    assert_eq!(
                        batch.items[k].amount(row),
                        planned.amount,
                        "batch amount differs on {when:?}"
                    );
                }
            }
        }
        "decided"
    }
}

// ---------------------------------------------------------------------------------------
// Policy TOML

const POLICIES: &[&str] = &[
    include_str!("../../policies/cs-hitech-zone-plan-2022.toml"),
    include_str!("../../policies/size-standard-2011.toml"),
    include_str!("../../policies/sta-2022-10-six-taxes.toml"),
    include_str!("../../policies/sta-2022-11-vat-super-deduction.toml"),
    include_str!("../../policies/sta-2022-13-small-low-profit.toml"),
    include_str!("../../policies/sta-2022-14-vat-credit-refund.toml"),
    include_str!("../../policies/sta-2022-15-small-scale-vat.toml"),
    include_str!("../../policies/sta-2023-1-vat-super-deduction.toml"),
    include_str!("../../policies/sta-2023-12-extension.toml"),
    include_str!("../../policies/sta-2023-19-small-scale-vat.toml"),
    include_str!("../../policies/zone-sample-2022.toml"),
];

/// Values a TOML value may be replaced with.
const TOML_VALUES: &[&str] = &[
    "\"\"",
    "\"2022-13-01\"",
    "2022-04-27",
    "\"0000-01-01\"",
    "\"-1\"",
    "\"1e400\"",
    "9223372036854775807",
    "-9223372036854775808",
    "1.5",
    "nan",
    "true",
    "[]",
    "{}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "{ a = { b = { c = { d = { e = 1 } } } } }",
    "\"eligible\"",
    "\"undetermined\"",
    "\"half_even\"",
    "\"bogus\"",
    "'''\nnot\n'''",
];

pub struct PolicyToml;

impl Target for PolicyToml {
    fn name(&self) -> &'static str {
        "policy"
    }
    fn input(&self, r: &mut Rng) -> Vec<u8> {
        let seed = *r.pick(POLICIES);
        let mut lines: Vec<String> = seed.lines().map(str::to_string).collect();
        for _ in 0..1 + r.below(4) {
            if lines.is_empty() {
                break;
            }
            let i = r.below(lines.len());
            match r.below(9) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                2 => {
                    let j = r.below(lines.len());
                    lines.swap(i, j);
                }
                3 => {
                    let other = r.pick(POLICIES).lines().collect::<Vec<_>>();
                    if !other.is_empty() {
                        lines.insert(i, other[r.below(other.len())].to_string());
                    }
                }
                4 => {
                    // Replace a value after `=` with an odd one.
                    if let Some((k, _)) = lines[i].split_once('=') {
                        lines[i] = format!("{k}= {}", r.pick(TOML_VALUES));
                    }
                }
                5 => {
                    // Replace an expression with a generated one.
                    if let Some((k, _)) = lines[i].split_once('=') {
                        let e = {
                            let d = 1 + r.below(5);
                            gen_expr(r, d)
                        }
                        .replace('\'', "");
                        lines[i] = format!("{k}= '{e}'");
                    }
                }
                6 => {
                    // Grow: a line many times over (many items, chains, long tables).
                    let times = if r.chance(20) { 1 + r.below(5_000) } else { 1 + r.below(50) };
                    let l = lines[i].clone();
                    for _ in 0..times {
                        lines.insert(i, l.clone());
                    }
                }
                7 => {
                    let mut b = lines[i].clone().into_bytes();
                    mutate_bytes(r, &mut b, 3);
                    lines[i] = text(&b);
                }
                _ => {
                    // A whole item duplicated (a name defined twice), or a block copied.
                    let end = (i + 1 + r.below(30)).min(lines.len());
                    let block: Vec<String> = lines[i..end].to_vec();
                    let at = r.below(lines.len() + 1);
                    lines.splice(at..at, block);
                }
            }
        }
        let mut out = lines.join("\n").into_bytes();
        if r.chance(10) {
            mutate_bytes(r, &mut out, 3);
        }
        out
    }
    fn run(&self, input: &[u8]) -> &'static str {
        let file = SourceFile { name: "policies/fuzz.toml".into(), text: text(input) };
        let (lib, diags) = Library::load(&[file], FactDictionary::official());
        for d in diags.iter().take(50) {
            let _ = d.render();
        }
        if !diags.is_empty() {
            return "diagnostics";
        }
        let reports = lib.run_cases();
        if reports.iter().all(|c| c.passed) { "cases pass" } else { "cases fail" }
    }
}

// ---------------------------------------------------------------------------------------
// Import: CSV and JSON lines

const CSV_SEEDS: &[&str] = &[
    include_str!("../../crates/import/tests/data/good_zh.csv"),
    include_str!("../../crates/import/tests/data/good_en.csv"),
    include_str!("../../crates/import/tests/data/bad.csv"),
    include_str!("../../crates/import/tests/data/wide.csv"),
    include_str!("../../crates/import/tests/data/long.csv"),
    include_str!("../../crates/import/tests/data/no_year.csv"),
    include_str!("../../crates/import/tests/data/duplicate_column.csv"),
];

const JSONL_SEEDS: &[&str] = &[
    include_str!("../../crates/import/tests/data/good.jsonl"),
    include_str!("../../crates/import/tests/data/money.jsonl"),
    include_str!("../../crates/import/tests/data/unknown_key.jsonl"),
];

/// Column names users write: every accepted one, with years, typos and odd ones.
const COLUMN_NAMES: &[&str] = &[
    "uscc",
    "统一社会信用代码",
    "name",
    "企业名称",
    "registered_in_zone",
    "工商注册在园区",
    "tax_registered_in_zone",
    "税务登记在园区",
    "industry_code",
    "行业代码",
    "established_on",
    "成立日期",
    "taxpayer_type",
    "纳税人类型",
    "tax_credit_rating",
    "tags",
    "year",
    "年度",
    "source",
    "数据来源",
    "as_of",
    "数据日期",
    "employees",
    "从业人数",
    "revenue",
    "营业收入",
    "revenue_2021",
    "营业收入（2022年）",
    "高新技术产品（服务）收入(2022)",
    "total_assets_2020",
    "is_individual_business",
    "个体工商户",
    "revenu",
    "营业收人",
    "",
    " ",
    "USCC",
    "revenue_99999",
    "revenue_",
];

/// Cell values, valid and not.
const CELL_VALUES: &[&str] = &[
    "91430100MA4L00011K",
    "91430100MA4L0002XB",
    "是",
    "否",
    "TRUE",
    "y",
    "2",
    "C3511",
    "3511",
    "C",
    "2015-06-01",
    "2015/6/1",
    "2015年6月1日",
    "2015-06-01T08:00:00",
    "小规模纳税人",
    "general",
    "A级",
    "m",
    "专精特新;高新技术企业",
    "2021",
    "2021年",
    "120",
    "1,200",
    "12.5",
    "12,345,678.90",
    "1,23,4",
    "0.30000000000000004",
    "1e5",
    "税务",
    "zone",
];

fn split_csv_line(line: &str) -> Vec<String> {
    line.split(',').map(str::to_string).collect()
}

pub struct Csv {
    seeds: Vec<Vec<Vec<String>>>,
}

impl Csv {
    pub fn new() -> Csv {
        let mut seeds: Vec<Vec<Vec<String>>> =
            CSV_SEEDS.iter().map(|s| s.lines().map(split_csv_line).collect()).collect();
        let mut generated = Vec::new();
        let _ = import::synth::write_csv(&mut generated, 8, &[2021, 2022]);
        seeds.push(text(&generated).lines().map(split_csv_line).collect());
        Csv { seeds }
    }
}

/// Mutates a table of cells (header first): cells, header names, rows, columns.
fn mutate_table(r: &mut Rng, rows: &mut Vec<Vec<String>>) {
    for _ in 0..1 + r.below(5) {
        if rows.is_empty() {
            rows.push(vec![String::new()]);
        }
        // Mostly data rows; the header (row 0) one time in five.
        let i = if rows.len() > 1 && r.chance(80) { 1 + r.below(rows.len() - 1) } else { 0 };
        let width = rows[i].len().max(1);
        let j = r.below(width);
        match r.below(10) {
            0 | 1 => {
                if let Some(c) = rows[i].get_mut(j) {
                    *c = r.pick(CELL_VALUES).to_string();
                }
            }
            2 => {
                if let Some(c) = rows[i].get_mut(j) {
                    *c = r.pick(NASTY).to_string();
                }
            }
            3 if r.chance(50) => {
                if let Some(c) = rows[0].get_mut(j) {
                    *c = r.pick(COLUMN_NAMES).to_string();
                }
            }
            4 => {
                let row = rows[i].clone();
                let times = if r.chance(5) { 1 + r.below(3_000) } else { 1 };
                for _ in 0..times {
                    rows.insert(i, row.clone());
                }
            }
            5 => {
                if rows.len() > 1 {
                    rows.remove(i);
                }
            }
            6 => {
                // A column removed or added everywhere (mostly under a name that is known).
                let add = r.chance(50);
                let name =
                    if r.chance(70) { r.pick(&COLUMN_NAMES[..31]) } else { r.pick(COLUMN_NAMES) }.to_string();
                for (k, row) in rows.iter_mut().enumerate() {
                    if add {
                        let v = if k == 0 {
                            name.clone()
                        } else {
                            CELL_VALUES[(k * 7) % CELL_VALUES.len()].into()
                        };
                        row.insert(j.min(row.len()), v);
                    } else if j < row.len() {
                        row.remove(j);
                    }
                }
            }
            7 => {
                if let Some(c) = rows[i].get_mut(j) {
                    let mut b = std::mem::take(c).into_bytes();
                    mutate_bytes(r, &mut b, 2);
                    *c = text(&b);
                }
            }
            8 => {
                if let Some(c) = rows[i].get_mut(j) {
                    *c = format!("\"{}\"", c.replace('"', "\"\""));
                }
            }
            _ => {
                // A long cell.
                if let Some(c) = rows[i].get_mut(j) {
                    *c = "惠".repeat(r.len(100_000));
                }
            }
        }
    }
}

impl Target for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn input(&self, r: &mut Rng) -> Vec<u8> {
        let mut rows = r.pick(&self.seeds).clone();
        mutate_table(r, &mut rows);
        let sep = if r.chance(10) { "\r\n" } else { "\n" };
        let mut out = rows.iter().map(|row| row.join(",")).collect::<Vec<_>>().join(sep).into_bytes();
        if r.chance(25) {
            mutate_bytes(r, &mut out, 4);
        }
        out
    }
    fn run(&self, input: &[u8]) -> &'static str {
        let options = import_options();
        match import::read_csv(input, Some(input.len() as u64), &options, &mut |_| {}) {
            Ok(p) => report(&p),
            Err(e) => file_error(&e),
        }
    }
}

fn import_options() -> import::Options {
    let as_of = chrono::NaiveDate::from_ymd_opt(2023, 3, 31).unwrap_or_default();
    import::Options::new(as_of, enterprise::FactSource::Tax)
}

/// A file error, rendered, named by its kind.
fn file_error(e: &import::ImportError) -> &'static str {
    use import::ImportError as E;
    let _ = i18n::Localized::bilingual(e);
    match e {
        E::Io { .. } => "file error: io",
        E::UnknownFormat { .. } => "file error: format",
        E::Encoding { .. } => "file error: encoding",
        E::NotUtf8 { .. } => "file error: not utf-8",
        E::Csv { .. } => "file error: csv",
        E::Workbook { .. } => "file error: workbook",
        E::Inflated { .. } => "file error: inflated",
        E::LongRun { .. } => "file error: long run",
        E::CellOutOfRange { .. } => "file error: cell out of range",
        E::Damaged => "file error: damaged",
        E::Empty => "file error: empty",
        E::MissingColumn { .. } => "file error: missing column",
        E::UnknownColumn { .. } => "file error: unknown column",
        E::DerivedColumn { .. } => "file error: derived column",
        E::DuplicateColumn { .. } => "file error: duplicate column",
    }
}

/// Renders a parse result's errors the ways users see them.
fn report(p: &import::Parsed) -> &'static str {
    if p.errors.is_empty() {
        return "clean";
    }
    let _ = import::render_error_table(&p.errors[..p.errors.len().min(200)], None);
    let _ = import::write_error_report(&mut std::io::sink(), &p.errors, import::ReportFormat::Json);
    "row errors"
}

pub struct Jsonl {
    seeds: Vec<Vec<String>>,
}

impl Jsonl {
    pub fn new() -> Jsonl {
        let mut seeds: Vec<Vec<String>> =
            JSONL_SEEDS.iter().map(|s| s.lines().map(str::to_string).collect()).collect();
        // The CSV seeds as JSON lines too.
        for csv in CSV_SEEDS {
            let rows: Vec<Vec<String>> = csv.lines().map(split_csv_line).collect();
            let Some((head, body)) = rows.split_first() else { continue };
            let lines = body
                .iter()
                .map(|row| {
                    let obj: serde_json::Map<String, serde_json::Value> = head
                        .iter()
                        .zip(row)
                        .map(|(k, v)| {
                            (
                                k.trim_start_matches('\u{feff}').to_string(),
                                serde_json::Value::from(v.as_str()),
                            )
                        })
                        .collect();
                    serde_json::Value::Object(obj).to_string()
                })
                .collect();
            seeds.push(lines);
        }
        Jsonl { seeds }
    }
}

fn json_value(r: &mut Rng) -> serde_json::Value {
    use serde_json::Value as J;
    match r.below(10) {
        0 => J::Null,
        1 => J::Bool(r.chance(50)),
        2 => J::from(r.next() as i64),
        3 => serde_json::Number::from_f64(f64::from_bits(r.next())).map(J::Number).unwrap_or(J::Null),
        4 => J::Array(vec![J::from(1)]),
        5 => J::Object(serde_json::Map::new()),
        6 => J::from(*r.pick(NASTY)),
        _ => J::from(*r.pick(CELL_VALUES)),
    }
}

impl Target for Jsonl {
    fn name(&self) -> &'static str {
        "jsonl"
    }
    fn input(&self, r: &mut Rng) -> Vec<u8> {
        let mut lines = r.pick(&self.seeds).clone();
        for _ in 0..1 + r.below(4) {
            if lines.is_empty() {
                lines.push("{}".into());
            }
            let i = r.below(lines.len());
            match r.below(6) {
                0..=2 => {
                    if let Ok(serde_json::Value::Object(mut o)) = serde_json::from_str(&lines[i]) {
                        let keys: Vec<String> = o.keys().cloned().collect();
                        if r.chance(70) && !keys.is_empty() {
                            let k = r.pick(&keys).clone();
                            o.insert(k, json_value(r));
                        } else {
                            o.insert(r.pick(COLUMN_NAMES).to_string(), json_value(r));
                        }
                        lines[i] = serde_json::Value::Object(o).to_string();
                    }
                }
                3 => {
                    let l = lines[i].clone();
                    let times = if r.chance(5) { 1 + r.below(3_000) } else { 1 };
                    for _ in 0..times {
                        lines.insert(i, l.clone());
                    }
                }
                4 => {
                    lines.remove(i);
                }
                _ => {
                    let mut b = std::mem::take(&mut lines[i]).into_bytes();
                    mutate_bytes(r, &mut b, 3);
                    lines[i] = text(&b);
                }
            }
        }
        let mut out = lines.join("\n").into_bytes();
        if r.chance(15) {
            mutate_bytes(r, &mut out, 3);
        }
        out
    }
    fn run(&self, input: &[u8]) -> &'static str {
        let options = import_options();
        match import::read_jsonl(Cursor::new(input), Some(input.len() as u64), &options, &mut |_| {}) {
            Ok(p) => report(&p),
            Err(e) => file_error(&e),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Import: XLSX

const XL_WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr DATE1904/><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const XL_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// Styles: 0 general, 1 a date (built-in 14), 2 a custom date, 3 a duration, 4 text.
const XL_STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="[h]:mm:ss"/></numFmts><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="49"/></cellXfs></styleSheet>"#;

/// A column letter of a 0-based index.
fn col_name(mut c: u64) -> String {
    let mut s = Vec::new();
    c += 1;
    while c > 0 {
        s.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    s.reverse();
    text(&s)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub struct Xlsx {
    csv: Csv,
}

/// How odd one generated workbook is: most are well formed, some carry one kind of damage.
#[derive(Clone, Copy)]
struct Odd {
    addresses: bool,
    shared_index: bool,
    types: bool,
}

impl Xlsx {
    /// One cell of a table as XML; text in the header row, a type drawn at random below.
    fn cell(r: &mut Rng, odd: Odd, header: bool, at: &str, value: &str, shared: &mut Vec<String>) -> String {
        let at = if odd.addresses && r.chance(10) {
            match r.below(5) {
                0 => format!("{}{}", col_name(r.next() % 20_000), r.next() % 5_000_000),
                1 => format!("{}{}", "Z".repeat(1 + r.below(20)), 1 + r.below(10)),
                2 => at.to_lowercase(),
                3 => String::new(),
                _ => format!("A{}", r.next()),
            }
        } else {
            at.to_string()
        };
        let r_attr = if at.is_empty() { String::new() } else { format!(" r=\"{at}\"") };
        let numeric = value.replace(',', "").parse::<f64>().ok();
        let kind = if header { r.below(6) } else { r.below(20) };
        match kind {
            0..=5 if !header || r.chance(70) => {
                let idx = if odd.shared_index && r.chance(10) {
                    r.next() % 100
                } else {
                    shared.push(value.to_string());
                    (shared.len() - 1) as u64
                };
                format!("<c{r_attr} t=\"s\"><v>{idx}</v></c>")
            }
            0..=11 => format!("<c{r_attr} t=\"inlineStr\"><is><t>{}</t></is></c>", xml_escape(value)),
            12..=15 => match numeric {
                Some(f) => format!("<c{r_attr} s=\"{}\"><v>{f}</v></c>", r.below(5)),
                None => format!("<c{r_attr} t=\"str\"><v>{}</v></c>", xml_escape(value)),
            },
            16 => format!("<c{r_attr} t=\"b\"><v>{}</v></c>", r.below(3)),
            17 | 18 => format!(
                "<c{r_attr} s=\"{}\"><v>{}</v></c>",
                r.below(5),
                r.pick(&["1e308", "-1", "2958466", "44562", "0.5", "-1e308", "1e-320", "42369.75"])
            ),
            _ if odd.types => {
                format!(
                    "<c{r_attr} t=\"{}\"><v>{}</v></c>",
                    r.pick(&["e", "d", "n", "zz"]),
                    xml_escape(value)
                )
            }
            _ => format!("<c{r_attr} t=\"e\"><v>#N/A</v></c>"),
        }
    }
}

impl Target for Xlsx {
    fn name(&self) -> &'static str {
        "xlsx"
    }
    fn input(&self, r: &mut Rng) -> Vec<u8> {
        let mut rows = r.pick(&self.csv.seeds).clone();
        if r.chance(60) {
            mutate_table(r, &mut rows);
        }
        let odd = Odd { addresses: r.chance(10), shared_index: r.chance(5), types: r.chance(5) };
        let mut shared = Vec::new();
        let mut sheet = String::new();
        let mut row_no: u64 = 1;
        for (k, row) in rows.iter().enumerate() {
            let attr = if odd.addresses && r.chance(10) {
                format!(" r=\"{}\"", r.next() % 5_000_000_000)
            } else {
                format!(" r=\"{row_no}\"")
            };
            sheet.push_str(&format!("<row{attr}>"));
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() && r.chance(70) {
                    continue;
                }
                let at = format!("{}{row_no}", col_name(c as u64));
                let v = v.trim_start_matches('\u{feff}');
                sheet.push_str(&Xlsx::cell(r, odd, k == 0, &at, v, &mut shared));
            }
            sheet.push_str("</row>");
            row_no += if r.chance(5) { 2 + r.below(10) as u64 } else { 1 };
        }
        let dimension = match r.below(4) {
            0 => format!("A1:{}{}", col_name(r.next() % 17_000), r.next() % 2_000_000),
            1 => "A1999999:B2".to_string(),
            _ => format!("A1:Q{row_no}"),
        };
        let mut parts: Vec<(&str, String)> = vec![
            (
                "xl/workbook.xml",
                XL_WORKBOOK.replace("DATE1904", if r.chance(10) { "date1904=\"1\"" } else { "" }),
            ),
            ("xl/_rels/workbook.xml.rels", XL_RELS.to_string()),
            ("xl/styles.xml", XL_STYLES.to_string()),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{sheet}</sheetData></worksheet>"#
                ),
            ),
        ];
        if !shared.is_empty() || r.chance(50) {
            let si: String = shared.iter().map(|s| format!("<si><t>{}</t></si>", xml_escape(s))).collect();
            parts.push((
                "xl/sharedStrings.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">{si}</sst>"#,
                    shared.len()
                ),
            ));
        }
        // Part-level damage: a part dropped, or its XML mutated.
        if r.chance(15) {
            let k = r.below(parts.len());
            if r.chance(30) {
                parts.remove(k);
            } else {
                let mut b = std::mem::take(&mut parts[k].1).into_bytes();
                mutate_bytes(r, &mut b, 4);
                parts[k].1 = text(&b);
            }
        }
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let method =
            if r.chance(50) { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
        let level = if method == zip::CompressionMethod::Stored { None } else { Some(1) };
        let o = zip::write::SimpleFileOptions::default().compression_method(method).compression_level(level);
        for (name, body) in &parts {
            if z.start_file(*name, o).is_err() || z.write_all(body.as_bytes()).is_err() {
                break;
            }
        }
        let mut out = z.finish().map(|c| c.into_inner()).unwrap_or_default();
        // Archive-level damage, rarely (it mostly makes an unreadable zip).
        if r.chance(5) {
            mutate_bytes(r, &mut out, 3);
        }
        out
    }
    fn run(&self, input: &[u8]) -> &'static str {
        let options = import_options();
        match import::read_xlsx(Cursor::new(input), &options, &mut |_| {}) {
            Ok(p) => report(&p),
            Err(e) => file_error(&e),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Credit codes

const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

pub struct CreditCode;

impl Target for CreditCode {
    fn name(&self) -> &'static str {
        "uscc"
    }
    fn input(&self, r: &mut Rng) -> Vec<u8> {
        let valid = import::synth::uscc((r.next() % 100_000_000) as usize);
        let mut s = valid.as_str().as_bytes().to_vec();
        match r.below(8) {
            0 => {}
            1 => {
                let i = r.below(18);
                s[i] = *r.pick(USCC_CHARS);
            }
            2 => {
                let (i, j) = (r.below(18), r.below(18));
                s.swap(i, j);
            }
            3 => s = text(&s).to_lowercase().into_bytes(),
            4 => s = format!(" {}\t", text(&s)).into_bytes(),
            5 => {
                // Full-width or other Unicode in place of a character.
                let i = r.below(18);
                let mut t: Vec<char> = text(&s).chars().collect();
                t[i] = *r.pick(&['０', 'Ａ', 'Ｉ', 'О', 'İ', '\u{0}', '惠']);
                s = t.into_iter().collect::<String>().into_bytes();
            }
            6 => s = (0..r.len(40)).map(|_| *r.pick(USCC_CHARS)).collect(),
            _ => mutate_bytes(r, &mut s, 3),
        }
        s
    }
    fn run(&self, input: &[u8]) -> &'static str {
        let s = text(input);
        match UnifiedCreditCode::parse(&s) {
            Ok(c) => {
                assert_eq!(c.as_str().len(), 18, "{s:?}");
                assert_eq!(UnifiedCreditCode::parse(c.as_str()).as_ref(), Ok(&c), "{s:?} does not read back");
                "valid"
            }
            Err(e) => {
                let _ = i18n::Localized::bilingual(&e);
                "invalid"
            }
        }
    }
}
