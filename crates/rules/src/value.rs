//! Runtime values and the operators on them, shared by the single-enterprise evaluator and
//! the batch engine so that both compute the same thing.
//!
//! All numbers (integer, money, ratio) are exact `Decimal`s at run time; the type checker
//! keeps the kinds apart. An operation that has no exact result (division by zero,
//! overflow) yields `None`, which the evaluators treat as undetermined: never a guess.

use crate::syntax::BinOp;
use chrono::NaiveDate;
use enterprise::FactValue;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Bool(bool),
    Num(Decimal),
    Date(NaiveDate),
    Str(String),
    Tags(BTreeSet<String>),
}

impl Value {
    pub fn from_fact(v: &FactValue) -> Value {
        match v {
            FactValue::Bool(b) => Value::Bool(*b),
            FactValue::Integer(i) => Value::Num(Decimal::from(*i)),
            FactValue::Money(d) | FactValue::Ratio(d) => Value::Num(*d),
            FactValue::Date(d) => Value::Date(*d),
            FactValue::Code(s) | FactValue::Text(s) => Value::Str(s.clone()),
            FactValue::Tags(t) => Value::Tags(t.clone()),
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        if let Value::Bool(b) = self { Some(*b) } else { None }
    }
    pub fn as_num(&self) -> Option<Decimal> {
        if let Value::Num(d) = self { Some(*d) } else { None }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(d) => write!(f, "{}", d.normalize()),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::Str(s) => write!(f, "{s}"),
            Value::Tags(t) => write!(f, "[{}]", t.iter().cloned().collect::<Vec<_>>().join(", ")),
        }
    }
}

/// Orders two values of the same kind (numbers, dates, strings, bools).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A comparison or arithmetic operator on two known values. `None`: no exact result.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
    use BinOp::*;
    match op {
        Eq | Ne | Lt | Le | Gt | Ge => {
            let o = compare(a, b)?;
            Some(Value::Bool(match op {
                Eq => o == Ordering::Equal,
                Ne => o != Ordering::Equal,
                Lt => o == Ordering::Less,
                Le => o != Ordering::Greater,
                Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }))
        }
        Has => match (a, b) {
            (Value::Tags(t), Value::Str(s)) => Some(Value::Bool(t.contains(s))),
            _ => None,
        },
        Add | Sub | Mul | Div => arith(op, a, b),
        And | Or => None,
    }
}

fn arith(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(Value::Num(match op {
            BinOp::Add => x.checked_add(*y)?,
            BinOp::Sub => x.checked_sub(*y)?,
            BinOp::Mul => x.checked_mul(*y)?,
            _ => {
                if y.is_zero() {
                    return None;
                }
                x.checked_div(*y)?
            }
        })),
        (Value::Date(d), Value::Num(n)) if matches!(op, BinOp::Add | BinOp::Sub) => {
            let days = rust_decimal::prelude::ToPrimitive::to_i64(&n.trunc())?;
            let days = if op == BinOp::Sub { days.checked_neg()? } else { days };
            d.checked_add_signed(chrono::Duration::try_days(days)?).map(Value::Date)
        }
        (Value::Date(x), Value::Date(y)) if op == BinOp::Sub => {
            Some(Value::Num(Decimal::from((*x - *y).num_days())))
        }
        _ => None,
    }
}

/// Rounds to `places` decimals, half away from zero (the default of every amount).
pub fn round(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_zero_has_no_value() {
        assert_eq!(binary(BinOp::Div, &Value::Num(Decimal::ONE), &Value::Num(Decimal::ZERO)), None);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round(Decimal::new(125, 3), 2), Decimal::new(13, 2));
        assert_eq!(round(Decimal::new(-125, 3), 2), Decimal::new(-13, 2));
        assert_eq!(round(Decimal::new(124, 3), 2), Decimal::new(12, 2));
    }

    #[test]
    fn date_arithmetic_counts_days() {
        let d = NaiveDate::from_ymd_opt(2022, 4, 27).unwrap();
        let e = NaiveDate::from_ymd_opt(2022, 5, 27).unwrap();
        assert_eq!(binary(BinOp::Sub, &Value::Date(e), &Value::Date(d)), Some(Value::Num(Decimal::from(30))));
        assert_eq!(binary(BinOp::Add, &Value::Date(d), &Value::Num(Decimal::from(30))), Some(Value::Date(e)));
    }
}
