//! Almost eligible (差一项): an item an enterprise misses by exactly one condition, with the
//! condition named (the fact's Chinese label, as the pages show it) and a value of the fact
//! that would satisfy it: "从业人数（2024）320，需 ≤ 300".
//!
//! Derived from the evaluator's own explanation, never by evaluating again: the explanation
//! tree of an ineligible decision has the shape of the item's condition (`and`/`or` chains
//! flattened, `not`, named definitions), each leaf with the values it read. [`almost`] walks
//! the condition and its explanation together and looks for the one leaf whose change would
//! flip the whole condition:
//!
//! - an `and` that is false with exactly one false part and every other part true: that part;
//! - an `or` that is false (every part false): any part that can be flipped alone;
//! - `not` asks the opposite of its part; a definition is its body;
//! - a leaf qualifies when it compares one fact, read directly (`employees[year]`, not
//!   `employees[year] / 2`), with a parameter or a literal (`<`, `<=`, `>`, `>=`, `==`,
//!   `between`, `in` a list), or is a yes/no fact alone. The satisfying value is the bound
//!   itself, or one unit beyond it for a strict comparison (1 for integers, 0.01 for money,
//!   0.000001 for ratios, a day for dates).
//!
//! An undetermined part (a missing fact) is never "almost": the enterprise's data is
//! incomplete, which the decision already says. `if` conditions and `!=` are not analysed.
//!
//! The guarantee (checked by the property test in `tests/it/almost.rs`): setting the named
//! fact to the satisfying value, every other fact unchanged, makes the item eligible. To keep
//! it, a fact that the condition reads more than once (two conditions on `employees[2024]`,
//! a definition that also reads it, `size_class` reading it) is never named: changing it
//! could change another condition too. A *derived* fact (`FactSource::Derived`, computed from
//! others when facts are assembled) is named with `derived: true`; the guarantee holds for
//! the facts as evaluated, but the enterprise changes it only through the facts it derives
//! from, which a message should say.

use crate::check::{TExpr, TKind};
use crate::eval::{Decision, Eligibility, Explanation, MissingFact, flatten};
use crate::library::{Item, Program};
use crate::syntax::{BinOp, UnOp};
use crate::value::Value;
use chrono::NaiveDate;
use enterprise::{FactDictionary, FactType};
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

/// The one condition an enterprise misses an item by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlmostEligible {
    pub item: String,
    /// The condition as written (its explanation's text).
    pub condition: String,
    /// The fact to change, with its year for a per-year fact.
    pub fact: MissingFact,
    /// The fact's name as pages show it (the fact dictionary's Chinese and English labels).
    pub label_zh: String,
    pub label_en: String,
    /// The fact's value as read (the explanation's text).
    pub current: String,
    /// What the fact must satisfy: an operator (`<=`, `<`, `>=`, `>`, `==`, `between`, `in`)
    /// and its bound as text (`300`, `10 … 50`, `A, B`).
    pub op: String,
    pub bound: String,
    /// The parameter the bound comes from, with its description, when it is one.
    pub parameter: Option<String>,
    pub parameter_label: Option<String>,
    /// A value of the fact that satisfies the condition (serialised as its text).
    #[serde(serialize_with = "as_text")]
    pub satisfying: Value,
    /// The fact is derived from others: it changes only through them.
    pub derived: bool,
}

impl AlmostEligible {
    /// `从业人数（2024年）为 320，需 ≤ 300（小型微利企业从业人数上限）`.
    pub fn text_zh(&self) -> String {
        let year = self.fact.year.map(|y| format!("（{y}年）")).unwrap_or_default();
        let param = self.parameter_label.as_ref().map(|p| format!("（{p}）")).unwrap_or_default();
        format!(
            "{}{}为 {}，需 {} {}{}",
            self.label_zh,
            year,
            zh_value(&self.current),
            op_zh(&self.op),
            zh_value(&self.bound),
            param
        )
    }

    /// `employees[2024] 320, needs <= 300`.
    pub fn text_en(&self) -> String {
        format!("{} {}, needs {} {}", self.fact, self.current, self.op, self.bound)
    }
}

fn as_text<S: serde::Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

fn op_zh(op: &str) -> &str {
    match op {
        "<=" => "≤",
        ">=" => "≥",
        "==" => "=",
        "between" => "介于",
        "in" => "属于",
        other => other,
    }
}

fn zh_value(v: &str) -> String {
    match v {
        "true" => "是".into(),
        "false" => "否".into(),
        other => other.into(),
    }
}

/// Whether `decision` (ineligible, made for `item` by either evaluator) misses the item by
/// exactly one condition, and which. `None` for an eligible or undetermined decision, and
/// for one that misses by more, or by a condition the analysis does not cover (see the
/// module's comment).
pub fn almost(prog: &Program, item: &Item, decision: &Decision) -> Option<AlmostEligible> {
    if decision.outcome != Eligibility::Ineligible || decision.item != item.id {
        return None;
    }
    let leaf = flip(prog, &item.when, &decision.explanation, true)?;
    let dict = FactDictionary::official();
    let def = dict.get(&leaf.fact.fact);
    // The fact must be read once only in the whole condition, definitions expanded.
    if reads_of(prog, &item.when, &leaf.fact.fact, 0) != 1 {
        return None;
    }
    Some(AlmostEligible {
        item: item.id.clone(),
        condition: leaf.condition,
        label_zh: def.map_or_else(|| leaf.fact.fact.clone(), |d| d.zh.clone()),
        label_en: def.map_or_else(|| leaf.fact.fact.clone(), |d| d.en.clone()),
        derived: def.is_some_and(|d| d.is_derived()),
        parameter_label: leaf
            .parameter
            .as_ref()
            .and_then(|p| prog.params.get(p))
            .map(|p| p.description.clone())
            .filter(|d| !d.trim().is_empty()),
        fact: leaf.fact,
        current: leaf.current,
        op: leaf.op,
        bound: leaf.bound,
        parameter: leaf.parameter,
        satisfying: leaf.satisfying,
    })
}

/// Every item of `decisions` (made for `items`, the same order) the enterprise misses by
/// exactly one condition.
pub fn almost_all(prog: &Program, items: &[&Item], decisions: &[Decision]) -> Vec<AlmostEligible> {
    items.iter().zip(decisions).filter_map(|(i, d)| almost(prog, i, d)).collect()
}

/// What the leaf analysis found.
struct Leaf {
    condition: String,
    fact: MissingFact,
    current: String,
    op: String,
    bound: String,
    parameter: Option<String>,
    satisfying: Value,
}

/// The one leaf whose change makes `e` (explained by `x`) `want`.
fn flip(prog: &Program, e: &TExpr, x: &Explanation, want: bool) -> Option<Leaf> {
    let now = match x.outcome.as_str() {
        "true" => true,
        "false" => false,
        _ => return None,
    };
    if now == want {
        return None;
    }
    match &e.kind {
        TKind::Binary(op @ (BinOp::And | BinOp::Or), ..) => {
            let mut parts = Vec::new();
            flatten(e, *op, &mut parts);
            if parts.len() != x.children.len() {
                return None;
            }
            // `and` to true / `or` to false: exactly one part is off, every other is on.
            // `and` to false / `or` to true: every part is on the other side; any one flips.
            let exactly_one = (*op == BinOp::And) == want;
            if exactly_one {
                let mut off = parts.iter().zip(&x.children).filter(|(_, c)| c.outcome != bool_text(want));
                let (p, c) = off.next()?;
                if off.next().is_some() || c.outcome != bool_text(!want) {
                    return None;
                }
                flip(prog, p, c, want)
            } else {
                parts.iter().zip(&x.children).find_map(|(p, c)| flip(prog, p, c, want))
            }
        }
        TKind::Unary(UnOp::Not, a) => flip(prog, a, x.children.first()?, !want),
        TKind::Def(name) => flip(prog, prog.defs.get(name)?, x.children.first()?, want),
        TKind::If(..) => None,
        _ => solve(e, x, want),
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// A fact read directly: its id and the key its read has in an explanation.
fn direct_fact<'a>(e: &'a TExpr, x: &Explanation) -> Option<(&'a str, Option<i32>, String)> {
    match &e.kind {
        TKind::Fact(id) => Some((id, None, id.clone())),
        TKind::FactYear(id, _) => {
            // The year the index resolved to, as the read's key shows it: `id[2024]`.
            let prefix = format!("{id}[");
            let key = x.values.keys().find(|k| k.starts_with(&prefix) && k.ends_with(']'))?;
            let year = key[prefix.len()..key.len() - 1].parse().ok()?;
            Some((id, Some(year), key.clone()))
        }
        _ => None,
    }
}

/// A bound: a literal, or a parameter as the explanation read it.
fn bound_of(e: &TExpr, x: &Explanation) -> Option<(Value, String, Option<String>)> {
    match &e.kind {
        TKind::Const(v) => Some((v.clone(), v.to_string(), None)),
        TKind::Param(name) => {
            let text = x.values.get(name)?;
            Some((parse_like(text)?, text.clone(), Some(name.clone())))
        }
        TKind::Unary(UnOp::Neg, a) => match &a.kind {
            TKind::Const(Value::Num(n)) => Some((Value::Num(-n), (-n).to_string(), None)),
            _ => None,
        },
        _ => None,
    }
}

/// A value from an explanation's text (numbers, dates, yes/no, else text).
fn parse_like(text: &str) -> Option<Value> {
    if text == "missing" {
        return None;
    }
    if let Ok(d) = Decimal::from_str(text) {
        return Some(Value::Num(d));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(Value::Date(d));
    }
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        t => Some(Value::Str(t.to_string())),
    }
}

/// The comparison that is `want` when `op` is not.
fn negate(op: BinOp) -> Option<BinOp> {
    Some(match op {
        BinOp::Lt => BinOp::Ge,
        BinOp::Le => BinOp::Gt,
        BinOp::Gt => BinOp::Le,
        BinOp::Ge => BinOp::Lt,
        BinOp::Eq => BinOp::Ne,
        BinOp::Ne => BinOp::Eq,
        _ => return None,
    })
}

/// `c op f` as `f op' c`.
fn mirror(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        o => o,
    }
}

/// The smallest step of a fact's type, for strict comparisons.
fn step(ty: FactType) -> Option<Decimal> {
    match ty {
        FactType::Integer => Some(Decimal::ONE),
        FactType::Money => Some(Decimal::new(1, 2)),
        FactType::Ratio => Some(Decimal::new(1, 6)),
        _ => None,
    }
}

/// A value of a fact of type `ty` with `fact op bound` true.
fn satisfy(ty: FactType, op: BinOp, bound: &Value) -> Option<Value> {
    match bound {
        Value::Num(c) => {
            let c = *c;
            let int = ty == FactType::Integer;
            let v = match op {
                BinOp::Le if int => c.floor(),
                BinOp::Ge if int => c.ceil(),
                BinOp::Le | BinOp::Ge => c,
                BinOp::Eq if int && !c.fract().is_zero() => return None,
                BinOp::Eq => c,
                BinOp::Lt if int => c.ceil() - Decimal::ONE,
                BinOp::Gt if int => c.floor() + Decimal::ONE,
                BinOp::Lt => c.checked_sub(step(ty)?)?,
                BinOp::Gt => c.checked_add(step(ty)?)?,
                _ => return None,
            };
            Some(Value::Num(v))
        }
        Value::Date(d) => match op {
            BinOp::Le | BinOp::Ge | BinOp::Eq => Some(Value::Date(*d)),
            BinOp::Lt => d.pred_opt().map(Value::Date),
            BinOp::Gt => d.succ_opt().map(Value::Date),
            _ => None,
        },
        Value::Str(_) | Value::Bool(_) if op == BinOp::Eq => Some(bound.clone()),
        _ => None,
    }
}

/// The fact type a dictionary gives, or the kind of the value read.
fn fact_type(id: &str, current: &Value) -> FactType {
    FactDictionary::official().get(id).map(|d| d.ty).unwrap_or(match current {
        Value::Bool(_) => FactType::Bool,
        Value::Date(_) => FactType::Date,
        Value::Str(_) => FactType::Code,
        Value::Tags(_) => FactType::Tags,
        Value::Num(n) if n.fract().is_zero() => FactType::Integer,
        Value::Num(_) => FactType::Money,
    })
}

/// A leaf made `want` by changing its one fact.
fn solve(e: &TExpr, x: &Explanation, want: bool) -> Option<Leaf> {
    let leaf = |fact: (&str, Option<i32>, String), op: &str, bound: String, param, satisfying| {
        let (id, year, key) = fact;
        Some(Leaf {
            condition: x.expr.clone(),
            fact: MissingFact { fact: id.to_string(), year },
            current: x.values.get(&key)?.clone(),
            op: op.to_string(),
            bound,
            parameter: param,
            satisfying,
        })
    };
    match &e.kind {
        TKind::Fact(_) | TKind::FactYear(..) => {
            let f = direct_fact(e, x)?;
            leaf(f, "==", want.to_string(), None, Value::Bool(want))
        }
        TKind::Binary(op, a, b) => {
            let (f, c, op) = match (direct_fact(a, x), direct_fact(b, x)) {
                (Some(f), None) => (f, b, *op),
                (None, Some(f)) => (f, a, mirror(*op)),
                _ => return None,
            };
            let op = if want { op } else { negate(op)? };
            let (bound, text, param) = bound_of(c, x)?;
            let current = parse_like(x.values.get(&f.2)?)?;
            let v = satisfy(fact_type(f.0, &current), op, &bound)?;
            leaf(f, op.as_str(), text, param, v)
        }
        TKind::Between(v, lo, hi) if want => {
            let f = direct_fact(v, x)?;
            let (l, lt, lp) = bound_of(lo, x)?;
            let (h, ht, hp) = bound_of(hi, x)?;
            let current = parse_like(x.values.get(&f.2)?)?;
            if crate::value::compare(&l, &h)? == std::cmp::Ordering::Greater {
                return None;
            }
            let below = crate::value::compare(&current, &l)? == std::cmp::Ordering::Less;
            let ty = fact_type(f.0, &current);
            let v = if below { satisfy(ty, BinOp::Ge, &l)? } else { satisfy(ty, BinOp::Le, &h)? };
            // An integer fact between 1.2 and 1.8 has no value.
            if crate::value::compare(&v, &l)? == std::cmp::Ordering::Less
                || crate::value::compare(&v, &h)? == std::cmp::Ordering::Greater
            {
                return None;
            }
            leaf(f, "between", format!("{lt} … {ht}"), lp.or(hp), v)
        }
        TKind::In(v, list, negated) if want != *negated => {
            let f = direct_fact(v, x)?;
            let consts: Option<Vec<&Value>> = list
                .iter()
                .map(|i| match &i.kind {
                    TKind::Const(c) => Some(c),
                    _ => None,
                })
                .collect();
            let consts = consts?;
            let first = (*consts.first()?).clone();
            let text = consts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ");
            leaf(f, "in", text, None, first)
        }
        _ => None,
    }
}

/// How many times `e` reads fact `id`, named definitions expanded (depth-limited: the
/// checker refuses cycles).
fn reads_of(prog: &Program, e: &TExpr, id: &str, depth: u32) -> usize {
    if depth > 64 {
        return usize::MAX / 2;
    }
    let mut n = 0usize;
    e.walk(&mut |node| match &node.kind {
        TKind::Fact(f) | TKind::FactYear(f, _) if f == id => n += 1,
        TKind::Def(name) => {
            n = n.saturating_add(prog.defs.get(name).map_or(0, |b| reads_of(prog, b, id, depth + 1)));
        }
        _ => {}
    });
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_bounds_step_by_the_fact_type() {
        let n = |s: &str| Value::Num(Decimal::from_str(s).unwrap());
        assert_eq!(satisfy(FactType::Integer, BinOp::Lt, &n("300")), Some(n("299")));
        assert_eq!(satisfy(FactType::Integer, BinOp::Le, &n("10.5")), Some(n("10")));
        assert_eq!(satisfy(FactType::Integer, BinOp::Gt, &n("10.5")), Some(n("11")));
        assert_eq!(satisfy(FactType::Money, BinOp::Gt, &n("5")), Some(n("5.01")));
        assert_eq!(satisfy(FactType::Integer, BinOp::Eq, &n("1.5")), None);
        assert_eq!(satisfy(FactType::Money, BinOp::Ne, &n("1")), None);
    }
}
