//! What evaluation needs besides the items: dated parameters (scalars and tiered tables)
//! and the checked named definitions, as a [`Program`]; how a parameter is read from its
//! TOML table; and [`Program::with_override`], the changed program a simulation runs.
//!
//! A parameter's value on a date is the one with the latest effective date on or before
//! it (OpenFisca's convention). Loading a policy file is `crate::library`'s job; it calls
//! [`load_param`] for each `[param.NAME]` table.

use crate::check::{ParamShape, TExpr, Type};
use crate::error::{Error, Location};
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

/// One band of a tiered table: applies to keys up to `limit` (inclusive or not); the last
/// band may have no limit (everything above).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub limit: Option<Decimal>,
    pub inclusive: bool,
    pub value: Value,
}

/// A parameter's value from one effective date on: a scalar, or a tiered table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Scalar(Value),
    Table(Vec<Band>),
}

/// A dated parameter: its value on a date is the one with the latest effective date on or
/// before it (OpenFisca's convention).
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub description: String,
    pub unit: String,
    pub reference: String,
    pub shape: ParamShape,
    /// Sorted by effective date.
    pub values: Vec<(NaiveDate, ParamValue)>,
    pub location: Location,
}

impl Param {
    pub fn at(&self, date: NaiveDate) -> Option<&ParamValue> {
        self.values.iter().rev().find(|(d, _)| *d <= date).map(|(_, v)| v)
    }
}

/// Parameters and checked definitions: what evaluation needs besides the item.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub params: BTreeMap<String, Param>,
    pub defs: BTreeMap<String, TExpr>,
    pub def_descriptions: BTreeMap<String, String>,
}

impl Program {
    /// A copy in which parameter `name` takes `value` (text in the parameter's type) from
    /// `from` on: what `policy simulate --set NAME=VALUE` evaluates.
    pub fn with_override(&self, name: &str, value: &str, from: NaiveDate) -> Result<Program, Error> {
        let bad = |reason: String| Error::ParamValue { param: name.to_string(), reason };
        let mut p = self.clone();
        let param = p.params.get_mut(name).ok_or_else(|| bad("no such parameter".into()))?;
        let ParamShape::Scalar(ty) = param.shape else {
            return Err(bad("a tiered table cannot be set from the command line".into()));
        };
        let v = match ty {
            Type::Integer => toml::Value::Integer(
                value.trim().parse().map_err(|_| bad(format!("'{value}' is not a whole number")))?,
            ),
            Type::Bool => toml::Value::Boolean(
                value.trim().parse().map_err(|_| bad(format!("'{value}' is not true/false")))?,
            ),
            _ => toml::Value::String(value.trim().to_string()),
        };
        let v = toml_value(ty, &v).map_err(bad)?;
        param.values.retain(|(d, _)| *d < from);
        param.values.push((from, ParamValue::Scalar(v)));
        Ok(p)
    }

    pub fn param_scalar(&self, name: &str, date: NaiveDate) -> Option<Value> {
        match self.params.get(name)?.at(date)? {
            ParamValue::Scalar(v) => Some(v.clone()),
            ParamValue::Table(_) => None,
        }
    }

    pub fn param_table(&self, name: &str, date: NaiveDate, key: &Value) -> Option<Value> {
        let ParamValue::Table(bands) = self.params.get(name)?.at(date)? else { return None };
        let k = key.as_num()?;
        bands
            .iter()
            .find(|b| match b.limit {
                None => true,
                Some(l) => {
                    if b.inclusive {
                        k <= l
                    } else {
                        k < l
                    }
                }
            })
            .map(|b| b.value.clone())
    }
}

/// A parameter's table in a policy file (`[param.NAME]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParamDoc {
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) unit: String,
    #[serde(default)]
    pub(crate) reference: String,
    #[serde(rename = "type")]
    pub(crate) ty: String,
    #[serde(default)]
    pub(crate) key: Option<String>,
    pub(crate) values: BTreeMap<String, toml::Value>,
}

/// A date written as a TOML string or date (`"2022-04-27"`, `2022-04-27`).
pub(crate) fn toml_date(v: &toml::Value) -> Option<NaiveDate> {
    let s = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        _ => return None,
    };
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// An exact decimal written as a string (`"0.05"`, `"1,000"`) or a whole number.
pub(crate) fn toml_decimal(v: &toml::Value) -> Option<Decimal> {
    match v {
        toml::Value::String(s) => Decimal::from_str(&s.replace(',', "")).ok(),
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        _ => None,
    }
}

/// A parameter's value of type `ty` from TOML.
pub(crate) fn toml_value(ty: Type, v: &toml::Value) -> Result<Value, String> {
    match ty {
        Type::Bool => v.as_bool().map(Value::Bool).ok_or_else(|| "expected true or false".into()),
        Type::Integer => match v {
            toml::Value::Integer(i) => Ok(Value::Num(Decimal::from(*i))),
            _ => Err("expected a whole number".into()),
        },
        Type::Money | Type::Ratio => toml_decimal(v).map(Value::Num).ok_or_else(|| {
            "expected an exact decimal, written as a string (\"0.05\", \"3000000\") or a whole number".into()
        }),
        Type::Date => toml_date(v).map(Value::Date).ok_or_else(|| "expected a date YYYY-MM-DD".into()),
        Type::Code => v.as_str().map(|s| Value::Str(s.to_string())).ok_or_else(|| "expected a string".into()),
        Type::Tags | Type::Error => Err("parameters cannot be tag sets".into()),
    }
}

/// A parameter from its TOML table: `None` when it cannot be used, and every problem
/// found (the loader reports them at the parameter's table).
pub(crate) fn load_param(name: &str, d: &ParamDoc, location: Location) -> (Option<Param>, Vec<Error>) {
    let mut errors = Vec::new();
    let bad = |reason: String| Error::ParamValue { param: name.to_string(), reason };
    let Some(ty) = Type::parse(&d.ty) else {
        errors.push(bad(format!("type '{}' is not bool, integer, money, ratio, date or code", d.ty)));
        return (None, errors);
    };
    let key = match &d.key {
        None => None,
        Some(k) => match Type::parse(k) {
            Some(t @ (Type::Integer | Type::Money | Type::Ratio)) => Some(t),
            _ => {
                errors.push(bad(format!("table key '{k}' must be integer, money or ratio")));
                return (None, errors);
            }
        },
    };
    let mut values = Vec::new();
    for (date, v) in &d.values {
        let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
            errors.push(bad(format!("'{date}' is not an effective date YYYY-MM-DD")));
            continue;
        };
        let value = match key {
            None => match toml_value(ty, v) {
                Ok(x) => ParamValue::Scalar(x),
                Err(r) => {
                    errors.push(bad(format!("{date}: {r}")));
                    continue;
                }
            },
            Some(_) => {
                let Some(bands) = v.as_array() else {
                    errors.push(bad(format!("{date}: a table is a list of bands")));
                    continue;
                };
                let mut out = Vec::new();
                let mut ok = true;
                for (i, b) in bands.iter().enumerate() {
                    let Some(t) = b.as_table() else {
                        ok = false;
                        break;
                    };
                    let (limit, inclusive) = match (t.get("upto"), t.get("below")) {
                        (Some(u), None) => (toml_decimal(u), true),
                        (None, Some(u)) => (toml_decimal(u), false),
                        (None, None) if i + 1 == bands.len() => (None, false),
                        _ => {
                            ok = false;
                            break;
                        }
                    };
                    if (t.get("upto").is_some() || t.get("below").is_some()) && limit.is_none() {
                        ok = false;
                        break;
                    }
                    let Some(value) = t.get("value").and_then(|x| toml_value(ty, x).ok()) else {
                        ok = false;
                        break;
                    };
                    if let (Some(prev), Some(cur)) = (out.last().and_then(|b: &Band| b.limit), limit)
                        && cur <= prev
                    {
                        ok = false;
                        break;
                    }
                    out.push(Band { limit, inclusive, value });
                }
                if !ok || out.is_empty() {
                    errors.push(bad(format!(
                        "{date}: bands are {{ upto = \"…\" | below = \"…\", value = … }} with rising limits; only the last may omit its limit"
                    )));
                    continue;
                }
                ParamValue::Table(out)
            }
        };
        values.push((date, value));
    }
    if values.is_empty() {
        errors.push(bad("no values".into()));
        return (None, errors);
    }
    values.sort_by_key(|(d, _)| *d);
    let shape = match key {
        None => ParamShape::Scalar(ty),
        Some(k) => ParamShape::Table { key: k, value: ty },
    };
    let param = Some(Param {
        name: name.to_string(),
        description: d.description.clone(),
        unit: d.unit.clone(),
        reference: d.reference.clone(),
        shape,
        values,
        location,
    });
    (param, errors)
}
