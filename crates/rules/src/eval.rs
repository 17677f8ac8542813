//! The single-enterprise evaluator: three-valued (Kleene) logic over an enterprise's facts
//! on an evaluation date, with the missing facts named and an explanation tree.
//!
//! A fact that is absent makes every value computed from it *unknown*; unknown meets the
//! logical operators as Kleene says (`false and unknown = false`, `true or unknown =
//! true`). An unknown value carries the set of missing facts (id and year) that made it
//! unknown, so a decision can say exactly which data would decide it. Operations with no
//! exact result (division by zero, overflow, a date outside the calendar) are unknown with
//! no missing fact: never a guess.

use crate::check::{Func, TExpr, TKind, Type};
use crate::kind::{BenefitKind, Period};
use crate::library::{Item, Program};
use crate::syntax::{BinOp, UnOp};
use crate::value::{self, Value};
use chrono::{Datelike, NaiveDate};
use enterprise::{Facts, Indicator, Indicators, IndustryCode, SizeStandards};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A fact an evaluation needed and did not have.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MissingFact {
    pub fact: String,
    /// The year of a per-year fact; `None` for a scalar fact.
    pub year: Option<i32>,
}

impl std::fmt::Display for MissingFact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.year {
            Some(y) => write!(f, "{}[{y}]", self.fact),
            None => write!(f, "{}", self.fact),
        }
    }
}

/// A three-valued value: known, or unknown because of the named missing facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Known(Value),
    Unknown(BTreeSet<MissingFact>),
}

impl Val {
    pub(crate) fn none() -> Val {
        Val::Unknown(BTreeSet::new())
    }
    pub(crate) fn from_opt(v: Option<Value>) -> Val {
        v.map(Val::Known).unwrap_or_else(Val::none)
    }
    pub(crate) fn truth(&self) -> Option<bool> {
        match self {
            Val::Known(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    pub(crate) fn label(&self) -> String {
        match self {
            Val::Known(Value::Bool(true)) => "true".into(),
            Val::Known(Value::Bool(false)) => "false".into(),
            Val::Known(v) => v.to_string(),
            Val::Unknown(_) => "undetermined".into(),
        }
    }
}

/// The text an explanation shows for a value read: the value, or `missing`.
pub(crate) fn read_text(v: &Val) -> String {
    if let Val::Known(x) = v { x.to_string() } else { "missing".into() }
}

/// Kleene conjunction over already evaluated operands.
pub(crate) fn kleene_and(vals: impl IntoIterator<Item = Val>) -> Val {
    let mut missing = BTreeSet::new();
    let mut unknown = false;
    for v in vals {
        match v {
            Val::Known(Value::Bool(false)) => return Val::Known(Value::Bool(false)),
            Val::Known(_) => {}
            Val::Unknown(m) => {
                unknown = true;
                missing.extend(m);
            }
        }
    }
    if unknown { Val::Unknown(missing) } else { Val::Known(Value::Bool(true)) }
}

pub(crate) fn kleene_or(vals: impl IntoIterator<Item = Val>) -> Val {
    let mut missing = BTreeSet::new();
    let mut unknown = false;
    for v in vals {
        match v {
            Val::Known(Value::Bool(true)) => return Val::Known(Value::Bool(true)),
            Val::Known(_) => {}
            Val::Unknown(m) => {
                unknown = true;
                missing.extend(m);
            }
        }
    }
    if unknown { Val::Unknown(missing) } else { Val::Known(Value::Bool(false)) }
}

pub(crate) fn kleene_not(v: Val) -> Val {
    match v {
        Val::Known(Value::Bool(b)) => Val::Known(Value::Bool(!b)),
        other => other,
    }
}

/// One node of an explanation: a condition (or the amount), the values it read, its
/// outcome, and its sub-conditions.
///
/// Deserialize reads back the JSON a grant's basis froze (`grants::Basis::explanation`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Explanation {
    /// The condition as written (printed from the tree), or a definition's name.
    pub expr: String,
    /// `true`, `false`, `undetermined`, or the value of a non-condition node.
    pub outcome: String,
    /// Facts and parameters read, with their values (`missing` when absent).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Explanation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Eligibility {
    Eligible,
    Ineligible,
    Undetermined,
}

impl Eligibility {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Eligibility> {
        s.parse().ok()
    }
}

/// The decision of one item for one enterprise on one date.
///
/// `outcome` is eligibility alone. An eligible enterprise whose amount cannot be computed is
/// still eligible, with `amount: None` and the facts the amount lacks in
/// `amount_missing_facts` (and in `missing_facts`, which names every fact the decision
/// lacks); undetermined means eligibility itself is unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub item: String,
    pub title: String,
    pub document: String,
    /// How the benefit is obtained (the item's `benefit_kind`).
    pub benefit_kind: BenefitKind,
    /// The period the decision is for (`2022`, `2022-Q2`, `2022-05`, `2022-05-31`).
    pub period: Period,
    pub outcome: Eligibility,
    /// Only when eligible and the item has an amount; rounded as the item says.
    #[serde(with = "opt_decimal_str")]
    pub amount: Option<Decimal>,
    /// Eligible, the item has an amount, and it could not be computed: the facts it lacks
    /// (empty when it has no exact value for another reason, or when it was computed).
    pub amount_missing_facts: Vec<MissingFact>,
    pub missing_facts: Vec<MissingFact>,
    /// The item that replaces this one for this period, when one is decided beside it
    /// (`supersedes`): this decision is shown but counted in no total.
    pub superseded_by: Option<String>,
    pub explanation: Explanation,
}

mod opt_decimal_str {
    use rust_decimal::Decimal;
    pub fn serialize<S: serde::Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }
}

/// Evaluates expressions for one enterprise on one date.
pub struct Evaluator<'a> {
    prog: &'a Program,
    facts: &'a Facts,
    date: NaiveDate,
    defs: HashMap<String, Val>,
    reads: Option<BTreeMap<String, String>>,
}

impl<'a> Evaluator<'a> {
    pub fn new(prog: &'a Program, facts: &'a Facts, date: NaiveDate) -> Self {
        Evaluator { prog, facts, date, defs: HashMap::new(), reads: None }
    }

    fn read(&mut self, name: String, v: &Val) {
        if let Some(r) = &mut self.reads {
            r.insert(name, read_text(v));
        }
    }

    fn static_year(&mut self, idx: &TExpr) -> Option<i32> {
        match self.eval(idx) {
            Val::Known(Value::Num(n)) => n.to_i32(),
            _ => None,
        }
    }

    /// The value of an expression.
    pub fn eval(&mut self, e: &TExpr) -> Val {
        match &e.kind {
            TKind::Error => Val::none(),
            TKind::Const(v) => Val::Known(v.clone()),
            TKind::Year => Val::Known(Value::Num(Decimal::from(self.date.year()))),
            TKind::Today => Val::Known(Value::Date(self.date)),
            TKind::Fact(id) => {
                let v = match self.facts.get(id) {
                    Some(f) => Val::Known(Value::from_fact(f)),
                    None => Val::Unknown([MissingFact { fact: id.clone(), year: None }].into()),
                };
                self.read(id.clone(), &v);
                v
            }
            TKind::FactYear(id, idx) => {
                let saved = self.reads.take();
                let y = self.static_year(idx);
                self.reads = saved;
                let Some(y) = y else { return Val::none() };
                let v = match self.facts.get_year(id, y) {
                    Some(f) => Val::Known(Value::from_fact(f)),
                    None => Val::Unknown([MissingFact { fact: id.clone(), year: Some(y) }].into()),
                };
                self.read(format!("{id}[{y}]"), &v);
                v
            }
            TKind::Param(name) => {
                let v = Val::from_opt(self.prog.param_scalar(name, self.date));
                self.read(name.clone(), &v);
                v
            }
            TKind::Def(name) => {
                if let Some(v) = self.defs.get(name) {
                    let v = v.clone();
                    self.read(name.clone(), &v);
                    return v;
                }
                let Some(body) = self.prog.defs.get(name) else { return Val::none() };
                let saved = self.reads.take();
                let v = self.eval(body);
                self.reads = saved;
                self.read(name.clone(), &v);
                self.defs.insert(name.clone(), v.clone());
                v
            }
            TKind::Unary(UnOp::Not, a) => kleene_not(self.eval(a)),
            TKind::Unary(UnOp::Neg, a) => match self.eval(a) {
                Val::Known(Value::Num(n)) => Val::Known(Value::Num(-n)),
                Val::Known(_) => Val::none(),
                u => u,
            },
            TKind::Binary(BinOp::And, a, b) => {
                let v = vec![self.eval(a), self.eval(b)];
                kleene_and(v)
            }
            TKind::Binary(BinOp::Or, a, b) => {
                let v = vec![self.eval(a), self.eval(b)];
                kleene_or(v)
            }
            TKind::Binary(op, a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                strict2(x, y, |x, y| value::binary(*op, &x, &y))
            }
            TKind::In(v, list, negated) => {
                let x = self.eval(v);
                let mut eqs = Vec::new();
                for item in list {
                    let y = self.eval(item);
                    eqs.push(strict2(x.clone(), y, |a, b| value::binary(BinOp::Eq, &a, &b)));
                }
                let r = kleene_or(eqs);
                if *negated { kleene_not(r) } else { r }
            }
            TKind::Between(v, lo, hi) => {
                let (x, l, h) = (self.eval(v), self.eval(lo), self.eval(hi));
                let a = strict2(l, x.clone(), |l, x| value::binary(BinOp::Le, &l, &x));
                let b = strict2(x, h, |x, h| value::binary(BinOp::Le, &x, &h));
                kleene_and(vec![a, b])
            }
            TKind::If(c, t, f) => match self.eval(c) {
                Val::Known(Value::Bool(true)) => self.eval(t),
                Val::Known(Value::Bool(false)) => self.eval(f),
                Val::Known(_) => Val::none(),
                u => u,
            },
            TKind::Call(func, args) => self.call(func, args, e.ty),
        }
    }

    fn call(&mut self, func: &Func, args: &[TExpr], _ty: Type) -> Val {
        let vals: Vec<Val> = args.iter().map(|a| self.eval(a)).collect();
        call_values(self.prog, func, vals, self.date)
    }

    /// Evaluates a condition and builds its explanation.
    pub fn explain(&mut self, e: &TExpr) -> (Val, Explanation) {
        let structural = matches!(
            &e.kind,
            TKind::Binary(BinOp::And | BinOp::Or, ..) | TKind::Unary(UnOp::Not, _) | TKind::Def(_)
        ) || matches!(&e.kind, TKind::If(..) if e.ty == Type::Bool);
        if !structural {
            let saved = self.reads.replace(BTreeMap::new());
            let v = self.eval(e);
            let values = std::mem::replace(&mut self.reads, saved).unwrap_or_default();
            return (
                v.clone(),
                Explanation { expr: e.to_string(), outcome: v.label(), values, children: vec![] },
            );
        }
        let (v, expr, children) = match &e.kind {
            TKind::Binary(op @ (BinOp::And | BinOp::Or), ..) => {
                let mut parts = Vec::new();
                flatten(e, *op, &mut parts);
                let mut vals = Vec::new();
                let mut children = Vec::new();
                for p in parts {
                    let (v, x) = self.explain(p);
                    vals.push(v);
                    children.push(x);
                }
                let v = if *op == BinOp::And { kleene_and(vals) } else { kleene_or(vals) };
                (v, op.as_str().to_string(), children)
            }
            TKind::Unary(_, a) => {
                let (v, x) = self.explain(a);
                (kleene_not(v), "not".to_string(), vec![x])
            }
            TKind::Def(name) => {
                let Some(body) = self.prog.defs.get(name) else {
                    return (Val::none(), Explanation::leaf(name, "undetermined"));
                };
                let (v, x) = self.explain(body);
                self.defs.insert(name.clone(), v.clone());
                (v, name.clone(), vec![x])
            }
            TKind::If(c, t, f) => {
                let (cv, cx) = self.explain(c);
                let (v, bx) = match cv.truth() {
                    Some(true) => self.explain(t),
                    Some(false) => self.explain(f),
                    None => (cv.clone(), Explanation::leaf("(branch not taken)", "undetermined")),
                };
                (v, "if".to_string(), vec![cx, bx])
            }
            _ => (Val::none(), String::new(), vec![]),
        };
        let outcome = v.label();
        (v, Explanation { expr, outcome, values: BTreeMap::new(), children })
    }
}

impl Explanation {
    pub(crate) fn leaf(expr: &str, outcome: &str) -> Explanation {
        Explanation { expr: expr.into(), outcome: outcome.into(), values: BTreeMap::new(), children: vec![] }
    }
}

/// Call a function on evaluated arguments: unknown if any argument is (with all their
/// missing facts), except `size_class`, which needs only its industry's indicators.
pub(crate) fn call_values(prog: &Program, func: &Func, vals: Vec<Val>, date: NaiveDate) -> Val {
    if *func == Func::SizeClass {
        return size_class(&vals, date);
    }
    if *func == Func::VatRefundSize {
        return vat_refund_size(&vals, date);
    }
    let n = vals.len();
    let mut missing = BTreeSet::new();
    let mut known = Vec::with_capacity(n);
    for v in vals {
        match v {
            Val::Known(x) => known.push(x),
            Val::Unknown(m) => missing.extend(m),
        }
    }
    if known.len() < n {
        return Val::Unknown(missing);
    }
    Val::from_opt(apply_func(prog, func, &known, date))
}

/// [`strict2`] over borrowed operands (the plan reads facts in place).
pub(crate) fn strict2_ref(x: &Val, y: &Val, f: impl FnOnce(&Value, &Value) -> Option<Value>) -> Val {
    match (x, y) {
        (Val::Known(a), Val::Known(b)) => Val::from_opt(f(a, b)),
        (Val::Unknown(m), Val::Unknown(n)) => Val::Unknown(m.union(n).cloned().collect()),
        (Val::Unknown(m), _) | (_, Val::Unknown(m)) => Val::Unknown(m.clone()),
    }
}

pub(crate) fn flatten<'e>(e: &'e TExpr, op: BinOp, out: &mut Vec<&'e TExpr>) {
    match &e.kind {
        TKind::Binary(o, a, b) if *o == op => {
            flatten(a, op, out);
            flatten(b, op, out);
        }
        _ => out.push(e),
    }
}

fn strict2(x: Val, y: Val, f: impl FnOnce(Value, Value) -> Option<Value>) -> Val {
    match (x, y) {
        (Val::Known(a), Val::Known(b)) => Val::from_opt(f(a, b)),
        (Val::Unknown(mut m), Val::Unknown(n)) => {
            m.extend(n);
            Val::Unknown(m)
        }
        (Val::Unknown(m), _) | (_, Val::Unknown(m)) => Val::Unknown(m),
    }
}

/// Applies a built-in function to known arguments (shared with the batch engine).
pub fn apply_func(prog: &Program, func: &Func, a: &[Value], date: NaiveDate) -> Option<Value> {
    let cal = calendar::WorkCalendar::official();
    let num = |i: usize| a.get(i).and_then(Value::as_num);
    let day = |i: usize| match a.get(i) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    };
    match func {
        Func::Min | Func::Max => {
            let mut best = num(0)?;
            for v in &a[1..] {
                let n = v.as_num()?;
                if (*func == Func::Min && n < best) || (*func == Func::Max && n > best) {
                    best = n;
                }
            }
            Some(Value::Num(best))
        }
        Func::Abs => Some(Value::Num(num(0)?.abs())),
        Func::Round(p) => Some(Value::Num(value::round(num(0)?, *p))),
        Func::AddWorkdays | Func::SubWorkdays => {
            let d = day(0)?;
            let n = num(1)?.to_i64()?;
            let n = if *func == Func::SubWorkdays { n.checked_neg()? } else { n };
            let r = match n {
                0 => Ok(d),
                n if n > 0 => cal.add_workdays(d, u32::try_from(n).ok()?),
                n => cal.sub_workdays(d, u32::try_from(-n).ok()?),
            };
            r.ok().map(Value::Date)
        }
        Func::WorkdaysBetween => {
            cal.workdays_between(day(0)?, day(1)?).ok().map(|n| Value::Num(Decimal::from(n)))
        }
        Func::YearOf => Some(Value::Num(Decimal::from(day(0)?.year()))),
        Func::IndustrySection => match a.first()? {
            Value::Str(s) => IndustryCode::parse(s).ok().map(|c| Value::Str(c.section().to_string())),
            _ => None,
        },
        Func::IndustryDivision => match a.first()? {
            Value::Str(s) => {
                IndustryCode::parse(s).ok().and_then(|c| c.division()).map(|d| Value::Num(Decimal::from(d)))
            }
            _ => None,
        },
        Func::Table(name) => prog.param_table(name, date, a.first()?),
        Func::SizeClass | Func::VatRefundSize => None,
    }
}

/// A built-in's argument `i` when known.
fn known_arg(args: &[Val], i: usize) -> Option<Value> {
    match args.get(i) {
        Some(Val::Known(v)) => Some(v.clone()),
        _ => None,
    }
}

/// The facts missing for a built-in's argument `i` (none when it is known).
fn missing_arg(args: &[Val], i: usize) -> BTreeSet<MissingFact> {
    match args.get(i) {
        Some(Val::Unknown(m)) => m.clone(),
        _ => BTreeSet::new(),
    }
}

/// `size_class(y)` over (industry_code, employees[y], revenue[y], total_assets[y]): the size
/// standard needs only the indicators of the industry's row, so a missing indicator the row
/// does not use does not matter. Shared with the batch engine.
pub fn size_class(args: &[Val], date: NaiveDate) -> Val {
    let get = |i: usize| known_arg(args, i);
    let missing_of = |i: usize| missing_arg(args, i);
    let Some(Value::Str(code)) = get(0) else { return Val::Unknown(missing_of(0)) };
    let Ok(code) = IndustryCode::parse(&code) else { return Val::none() };
    let Some(standard) = SizeStandards::official().in_force(date) else { return Val::none() };
    let x = Indicators {
        employees: get(1).and_then(|v| v.as_num()).and_then(|d| d.to_i64()),
        revenue: get(2).and_then(|v| v.as_num()),
        assets: get(3).and_then(|v| v.as_num()),
    };
    let c = standard.classify(&code, &x);
    match c.outcome.class() {
        Some(class) => Val::Known(Value::Str(class.as_str().to_string())),
        None => {
            let mut m = BTreeSet::new();
            if let enterprise::SizeOutcome::Undetermined { missing, industry_unclear } = &c.outcome {
                for i in missing {
                    m.extend(missing_of(match i {
                        Indicator::Employees => 1,
                        Indicator::Revenue => 2,
                        Indicator::Assets => 3,
                    }));
                }
                if *industry_unclear {
                    m.insert(MissingFact { fact: "industry_code".into(), year: None });
                }
            }
            Val::Unknown(m)
        }
    }
}

/// `vat_refund_size(y)` over (y, industry_code, established_on, vat_sales[y],
/// vat_sales_months[y], total_assets_year_end[y]): 留抵退税's size by 公告2022年第14号 第六条
/// ([`enterprise::vat_refund_size`]). Revenue is year y's VAT sales, annualised (÷ months
/// existed × 12) for an enterprise established in year y or later; it is read only when the
/// industry's row needs it, total assets likewise, so a fact the row does not use does not
/// matter, and a code too coarse to pick the row is undetermined naming `industry_code`.
/// Shared with the batch engine.
pub fn vat_refund_size(args: &[Val], date: NaiveDate) -> Val {
    let get = |i: usize| known_arg(args, i);
    let missing_of = |i: usize| missing_arg(args, i);
    let Some(year) = get(0).and_then(|v| v.as_num()).and_then(|n| n.to_i32()) else { return Val::none() };
    let Some(Value::Str(code)) = get(1) else { return Val::Unknown(missing_of(1)) };
    let Ok(code) = IndustryCode::parse(&code) else { return Val::none() };
    let Some(standard) = SizeStandards::official().in_force(date) else { return Val::none() };
    let num = |i: usize| get(i).and_then(|v| v.as_num());
    let established = match get(2) {
        Some(Value::Date(d)) => Some(d.year()),
        _ => None,
    };
    let (sales, months) = (num(3), num(4));
    // The year's VAT sales as 第六条 reads them, or the facts that are missing for it.
    let (revenue, revenue_missing): (Option<Decimal>, BTreeSet<MissingFact>) = match established {
        Some(y) if y < year => (sales, missing_of(3)),
        // Established in the year (or unknown, with the months existed given): annualised.
        Some(_) | None if months.is_some() => match (sales, months) {
            (Some(s), Some(m)) if m > Decimal::ZERO => {
                (s.checked_div(m).and_then(|x| x.checked_mul(Decimal::from(12))), BTreeSet::new())
            }
            (Some(_), _) => (None, BTreeSet::new()),
            (None, _) => (None, missing_of(3)),
        },
        Some(_) => {
            let mut m = missing_of(3);
            m.extend(missing_of(4));
            (None, m)
        }
        None => {
            let mut m = missing_of(2);
            m.extend(missing_of(3));
            (None, m)
        }
    };
    let sizing = enterprise::vat_refund_size(standard, &code, revenue, num(5));
    match sizing.outcome {
        enterprise::SizeOutcome::Decided { class } => Val::Known(Value::Str(class.as_str().to_string())),
        enterprise::SizeOutcome::Undetermined { missing, industry_unclear } => {
            let mut m = BTreeSet::new();
            for i in missing {
                match i {
                    Indicator::Revenue => m.extend(revenue_missing.iter().cloned()),
                    Indicator::Assets => m.extend(missing_of(5)),
                    Indicator::Employees => {}
                }
            }
            if industry_unclear {
                m.insert(MissingFact { fact: "industry_code".into(), year: None });
            }
            Val::Unknown(m)
        }
    }
}

/// Decides one item for one enterprise on `date`: the condition, then (when eligible) the
/// amount, rounded as the item says. An eligible item whose amount cannot be computed for
/// lack of a fact stays eligible, with no amount and the facts the amount lacks: no amount
/// is ever guessed.
pub fn evaluate(prog: &Program, item: &Item, facts: &Facts, date: NaiveDate) -> Decision {
    let mut ev = Evaluator::new(prog, facts, date);
    let (cond, explanation) = ev.explain(&item.when);
    let amount = match (&cond, &item.amount) {
        (Val::Known(Value::Bool(true)), Some(a)) => Some(ev.explain(a)),
        _ => None,
    };
    decision(item, date, cond, explanation, amount)
}

/// The decision from an item's explained condition and, when it holds and the item has an
/// amount, the explained amount (shared with the compiled [`crate::plan`]).
pub(crate) fn decision(
    item: &Item,
    date: NaiveDate,
    cond: Val,
    mut explanation: Explanation,
    amount: Option<(Val, Explanation)>,
) -> Decision {
    let mut decision = Decision {
        item: item.id.clone(),
        title: item.title.clone(),
        document: item.document.clone(),
        benefit_kind: item.benefit_kind,
        period: item.period.of(date),
        outcome: Eligibility::Undetermined,
        amount: None,
        amount_missing_facts: vec![],
        missing_facts: vec![],
        superseded_by: None,
        explanation: Explanation::leaf("", ""),
    };
    match cond {
        Val::Known(Value::Bool(true)) => {
            decision.outcome = Eligibility::Eligible;
            if let Some((v, x)) = amount {
                let x = Explanation { expr: format!("amount = {}", x.expr), ..x };
                explanation = Explanation {
                    expr: "eligible, amount".into(),
                    outcome: v.label(),
                    values: BTreeMap::new(),
                    children: vec![explanation, x],
                };
                match v {
                    Val::Known(Value::Num(n)) => decision.amount = Some(item.rounding.apply(n)),
                    // No exact amount (a division by zero, an overflow): eligible, no amount.
                    Val::Known(_) => {}
                    Val::Unknown(m) => {
                        decision.amount_missing_facts = m.into_iter().collect();
                        decision.missing_facts = decision.amount_missing_facts.clone();
                    }
                }
            }
        }
        Val::Known(_) => decision.outcome = Eligibility::Ineligible,
        Val::Unknown(m) => decision.missing_facts = m.into_iter().collect(),
    }
    decision.explanation = explanation;
    decision
}
