//! The fact dictionary (事实字典) and fact values.
//!
//! A fact is something the zone knows about an enterprise: scalar (`industry_code`) or per
//! year (`revenue` of 2021). The dictionary is data (`data/facts.toml`), so adding a fact is
//! a data change; rules name facts by id and the type checker reads their types here.
//!
//! A missing fact is absent from [`Facts`], never a zero or an empty string: rules treat it
//! as undetermined.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum FactType {
    Bool,
    Integer,
    /// Exact decimal yuan.
    Money,
    /// Exact decimal, 0.05 = 5%.
    Ratio,
    Date,
    Code,
    Tags,
    Text,
}

impl FactType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum FactSource {
    #[strum(to_string = "market_regulation", serialize = "市场监管")]
    MarketRegulation,
    #[strum(to_string = "tax", serialize = "税务")]
    Tax,
    #[strum(to_string = "self_reported", serialize = "企业自报")]
    SelfReported,
    #[strum(to_string = "derived", serialize = "推导")]
    Derived,
    #[strum(to_string = "zone", serialize = "园区认定")]
    Zone,
}

impl FactSource {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<FactSource> {
        s.parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeDef {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// One entry of the dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactDef {
    pub id: String,
    pub zh: String,
    pub en: String,
    #[serde(rename = "type")]
    pub ty: FactType,
    pub source: FactSource,
    #[serde(default)]
    pub per_year: bool,
    /// The closed list of a `code` fact; empty for an open list.
    #[serde(default)]
    pub codes: Vec<CodeDef>,
    /// A registry field of the enterprise ([`crate::Enterprise`], a column of the stored
    /// enterprise), not a row of the fact table. The dictionary is the one list of them.
    #[serde(default)]
    pub registry: bool,
    /// A registry field every enterprise has (its import column must be present).
    #[serde(default)]
    pub required: bool,
    /// Further Chinese names an import column of this fact may carry (besides `id` and `zh`).
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl FactDef {
    /// A fact computed from others (`is_individual_business`), never given.
    pub fn is_derived(&self) -> bool {
        self.source == FactSource::Derived
    }

    /// A fact stored in the fact table: neither a registry field nor derived.
    pub fn is_stored_fact(&self) -> bool {
        !self.registry && !self.is_derived()
    }
}

/// The dictionary of facts, in file order.
#[derive(Debug, Clone, Serialize)]
pub struct FactDictionary {
    facts: Vec<FactDef>,
}

#[derive(Debug, Deserialize)]
struct DictFile {
    fact: Vec<FactDef>,
}

impl FactDictionary {
    /// Parses a dictionary file; ids must be unique snake_case.
    pub fn parse(text: &str) -> Result<FactDictionary, String> {
        let f: DictFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = BTreeSet::new();
        for d in &f.fact {
            if !d.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(format!("fact id {} is not snake_case", d.id));
            }
            if !seen.insert(d.id.clone()) {
                return Err(format!("fact id {} appears twice", d.id));
            }
            if d.required && !d.registry {
                return Err(format!("fact {} is required but not a registry field", d.id));
            }
            if d.registry && (d.per_year || d.is_derived()) {
                return Err(format!("registry field {} cannot be per year or derived", d.id));
            }
        }
        Ok(FactDictionary { facts: f.fact })
    }

    /// The dictionary embedded in this crate.
    pub fn official() -> &'static FactDictionary {
        static D: std::sync::OnceLock<FactDictionary> = std::sync::OnceLock::new();
        D.get_or_init(|| {
            // Embedded data, checked by this crate's tests.
            #[allow(clippy::expect_used)]
            FactDictionary::parse(include_str!("../data/facts.toml"))
                .expect("embedded fact dictionary parses")
        })
    }

    pub fn get(&self, id: &str) -> Option<&FactDef> {
        self.facts.iter().find(|f| f.id == id)
    }

    /// The registry fields of an enterprise, in dictionary order (`uscc` first).
    pub fn registry_fields(&self) -> impl Iterator<Item = &FactDef> {
        self.facts.iter().filter(|f| f.registry)
    }

    /// Whether `id` is a registry field.
    pub fn is_registry(&self, id: &str) -> bool {
        self.get(id).is_some_and(|f| f.registry)
    }

    pub fn iter(&self) -> impl Iterator<Item = &FactDef> {
        self.facts.iter()
    }

    /// The ids closest to `id` (for "did you mean" hints), best first, at most `n`, only
    /// close ones: [`i18n::suggest::nearest`] over the dictionary's ids (no hint for an id
    /// over 64 characters).
    pub fn nearest(&self, id: &str, n: usize) -> Vec<&str> {
        i18n::suggest::nearest(id, self.facts.iter().map(|f| f.id.as_str()), n)
    }
}

/// A fact value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FactValue {
    Bool(bool),
    Integer(i64),
    Money(Decimal),
    Ratio(Decimal),
    Date(NaiveDate),
    Code(String),
    Tags(BTreeSet<String>),
    Text(String),
}

impl FactValue {
    pub fn ty(&self) -> FactType {
        match self {
            FactValue::Bool(_) => FactType::Bool,
            FactValue::Integer(_) => FactType::Integer,
            FactValue::Money(_) => FactType::Money,
            FactValue::Ratio(_) => FactType::Ratio,
            FactValue::Date(_) => FactType::Date,
            FactValue::Code(_) => FactType::Code,
            FactValue::Tags(_) => FactType::Tags,
            FactValue::Text(_) => FactType::Text,
        }
    }

    /// The canonical text form, as stored: `true`/`false`, integers, decimal strings,
    /// `YYYY-MM-DD`, the code, tags joined by `;` (sorted), the text.
    pub fn to_text(&self) -> String {
        match self {
            FactValue::Bool(b) => b.to_string(),
            FactValue::Integer(i) => i.to_string(),
            FactValue::Money(d) | FactValue::Ratio(d) => d.normalize().to_string(),
            FactValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            FactValue::Code(s) | FactValue::Text(s) => s.clone(),
            FactValue::Tags(t) => t.iter().cloned().collect::<Vec<_>>().join(";"),
        }
    }

    /// Parses the canonical text form (and common variants: 是/否, 1/0, thousands
    /// separators in money) as a value of type `ty`.
    pub fn parse_text(ty: FactType, s: &str) -> Result<FactValue, String> {
        let t = s.trim();
        Ok(match ty {
            FactType::Bool => FactValue::Bool(match t.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "y" | "是" => true,
                "false" | "0" | "no" | "n" | "否" => false,
                _ => return Err("expected true/false (是/否)".into()),
            }),
            FactType::Integer => FactValue::Integer(
                t.replace(',', "").parse().map_err(|_| "expected a whole number".to_string())?,
            ),
            FactType::Money | FactType::Ratio => {
                let cleaned = t.replace([',', '，'], "");
                let d = Decimal::from_str(&cleaned).map_err(|_| "expected a decimal number".to_string())?;
                if ty == FactType::Money { FactValue::Money(d) } else { FactValue::Ratio(d) }
            }
            FactType::Date => FactValue::Date(
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| "expected a date YYYY-MM-DD".to_string())?,
            ),
            FactType::Code => {
                if t.is_empty() {
                    return Err("empty code".into());
                }
                FactValue::Code(t.to_string())
            }
            FactType::Tags => FactValue::Tags(
                t.split([';', '；', ',', '，', '、'])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(String::from)
                    .collect(),
            ),
            FactType::Text => FactValue::Text(t.to_string()),
        })
    }

    /// The JSON form used by `policy eval --facts`: money and ratios as decimal strings, tags
    /// as a list.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            FactValue::Bool(b) => Value::Bool(*b),
            FactValue::Integer(i) => Value::from(*i),
            FactValue::Tags(t) => Value::Array(t.iter().map(|s| Value::String(s.clone())).collect()),
            other => Value::String(other.to_text()),
        }
    }

    /// Reads the JSON form as a value of type `ty` (numbers are accepted for money too).
    pub fn from_json(ty: FactType, v: &serde_json::Value) -> Result<FactValue, String> {
        use serde_json::Value;
        match (ty, v) {
            (FactType::Bool, Value::Bool(b)) => Ok(FactValue::Bool(*b)),
            (FactType::Integer, Value::Number(n)) => {
                n.as_i64().map(FactValue::Integer).ok_or_else(|| "expected a whole number".into())
            }
            (FactType::Money | FactType::Ratio, Value::Number(n)) => {
                FactValue::parse_text(ty, &n.to_string())
            }
            (FactType::Tags, Value::Array(items)) => {
                let mut set = BTreeSet::new();
                for i in items {
                    match i {
                        Value::String(s) => {
                            set.insert(s.clone());
                        }
                        _ => return Err("tags must be strings".into()),
                    }
                }
                Ok(FactValue::Tags(set))
            }
            (FactType::Bool | FactType::Integer | FactType::Tags, _) => {
                Err(format!("expected a JSON {}", if ty == FactType::Tags { "list" } else { ty.as_str() }))
            }
            (_, Value::String(s)) => FactValue::parse_text(ty, s),
            _ => Err(format!("expected a {} as a string", ty.as_str())),
        }
    }
}

/// An enterprise's facts: scalars and per-year values. Absent means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub scalar: BTreeMap<String, FactValue>,
    pub yearly: BTreeMap<String, BTreeMap<i32, FactValue>>,
}

/// A fact in a facts document that cannot be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fact {fact}: {reason}")]
pub struct FactError {
    pub fact: String,
    pub reason: String,
}

impl Facts {
    pub fn get(&self, id: &str) -> Option<&FactValue> {
        self.scalar.get(id)
    }

    pub fn get_year(&self, id: &str, year: i32) -> Option<&FactValue> {
        self.yearly.get(id).and_then(|m| m.get(&year))
    }

    pub fn set(&mut self, id: &str, v: FactValue) {
        self.scalar.insert(id.to_string(), v);
    }

    pub fn set_year(&mut self, id: &str, year: i32, v: FactValue) {
        self.yearly.entry(id.to_string()).or_default().insert(year, v);
    }

    /// Reads the JSON document of `policy eval --facts`: an object whose scalar facts are
    /// values and whose per-year facts are objects from year to value. Every problem is
    /// reported, not just the first. `null` means unknown.
    pub fn from_json(dict: &FactDictionary, doc: &serde_json::Value) -> Result<Facts, Vec<FactError>> {
        let mut facts = Facts::default();
        let mut errors = Vec::new();
        let err = |fact: &str, reason: String| FactError { fact: fact.to_string(), reason };
        let Some(obj) = doc.as_object() else {
            return Err(vec![err("(document)", "expected a JSON object of facts".into())]);
        };
        for (k, v) in obj {
            let Some(def) = dict.get(k) else {
                let hint =
                    dict.nearest(k, 1).first().map(|s| format!("; did you mean {s}?")).unwrap_or_default();
                errors.push(err(&i18n::suggest::shown(k), format!("unknown fact{hint}")));
                continue;
            };
            if v.is_null() {
                continue;
            }
            if def.per_year {
                let Some(years) = v.as_object() else {
                    errors.push(err(k, "a per-year fact must be an object from year to value".into()));
                    continue;
                };
                for (y, yv) in years {
                    let Ok(year) = y.parse::<i32>() else {
                        errors.push(err(k, format!("'{y}' is not a year")));
                        continue;
                    };
                    if yv.is_null() {
                        continue;
                    }
                    match FactValue::from_json(def.ty, yv).and_then(|x| check_code(def, x)) {
                        Ok(x) => facts.set_year(k, year, x),
                        Err(r) => errors.push(err(&format!("{k}[{year}]"), r)),
                    }
                }
            } else {
                match FactValue::from_json(def.ty, v).and_then(|x| check_code(def, x)) {
                    Ok(x) => facts.set(k, x),
                    Err(r) => errors.push(err(k, r)),
                }
            }
        }
        // The facts derived from the credit code, as the registry derives them, unless the
        // document states them: a valid `uscc` says whether it is an individual business and
        // a market entity (帮扶对象's first condition).
        if let Some(FactValue::Text(code)) = facts.scalar.get("uscc")
            && let Ok(code) = crate::UnifiedCreditCode::parse(code)
        {
            for (id, value) in [
                ("is_individual_business", code.is_individual_business()),
                ("is_market_entity", code.is_market_entity()),
            ] {
                if dict.get(id).is_some() && !facts.scalar.contains_key(id) {
                    facts.set(id, FactValue::Bool(value));
                }
            }
        }
        if errors.is_empty() { Ok(facts) } else { Err(errors) }
    }

    /// The JSON document form (inverse of [`Facts::from_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.scalar {
            m.insert(k.clone(), v.to_json());
        }
        for (k, years) in &self.yearly {
            let ym: serde_json::Map<String, serde_json::Value> =
                years.iter().map(|(y, v)| (y.to_string(), v.to_json())).collect();
            m.insert(k.clone(), serde_json::Value::Object(ym));
        }
        serde_json::Value::Object(m)
    }
}

/// Checks a code value against its fact's closed list.
pub fn check_code(def: &FactDef, v: FactValue) -> Result<FactValue, String> {
    if let FactValue::Code(c) = &v
        && !def.codes.is_empty()
        && !def.codes.iter().any(|d| &d.code == c)
    {
        let allowed: Vec<&str> = def.codes.iter().map(|d| d.code.as_str()).collect();
        return Err(format!("'{c}' is not one of {}", allowed.join(", ")));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_dictionary_has_the_required_facts() {
        let d = FactDictionary::official();
        for id in [
            "uscc",
            "name",
            "registered_in_zone",
            "tax_registered_in_zone",
            "industry_code",
            "established_on",
            "taxpayer_type",
            "tax_credit_rating",
            "is_individual_business",
            "is_market_entity",
            "tags",
            "employees",
            "revenue",
            "total_assets",
            "taxable_income",
            "rd_expense",
            "high_tech_revenue",
            "vat_credit_balance",
        ] {
            assert!(d.get(id).is_some(), "{id}");
        }
        assert!(d.get("revenue").unwrap().per_year);
        assert_eq!(d.nearest("revenu", 1), vec!["revenue"]);
    }

    #[test]
    fn a_documents_credit_code_gives_the_facts_derived_from_it() {
        let d = FactDictionary::official();
        let association = crate::UnifiedCreditCode::from_parts('5', '1', "430100", "MA4L0001").unwrap();
        let f = Facts::from_json(d, &json!({"uscc": association.as_str()})).unwrap();
        assert_eq!(f.get("is_market_entity"), Some(&FactValue::Bool(false)));
        assert_eq!(f.get("is_individual_business"), Some(&FactValue::Bool(false)));
        let shop = crate::UnifiedCreditCode::from_parts('9', '2', "430100", "MA4L0001").unwrap();
        let f = Facts::from_json(d, &json!({"uscc": shop.as_str()})).unwrap();
        assert_eq!(f.get("is_market_entity"), Some(&FactValue::Bool(true)));
        assert_eq!(f.get("is_individual_business"), Some(&FactValue::Bool(true)));
        // Stated facts win; no code, nothing derived.
        let f = Facts::from_json(d, &json!({"uscc": shop.as_str(), "is_market_entity": false})).unwrap();
        assert_eq!(f.get("is_market_entity"), Some(&FactValue::Bool(false)));
        assert_eq!(Facts::from_json(d, &json!({})).unwrap().get("is_market_entity"), None);
    }

    #[test]
    fn reads_a_facts_document_and_reports_every_problem() {
        let d = FactDictionary::official();
        let f = Facts::from_json(
            d,
            &json!({"taxpayer_type": "small_scale", "revenue": {"2021": "1234.50"}, "tags": ["高新技术企业"],
                    "employees": {"2021": 12}, "registered_in_zone": true, "total_assets": {"2021": null}}),
        )
        .unwrap();
        assert_eq!(f.get_year("revenue", 2021), Some(&FactValue::Money(Decimal::new(123450, 2))));
        assert_eq!(f.get_year("total_assets", 2021), None);
        assert_eq!(Facts::from_json(d, &f.to_json()).unwrap(), f);
        let errs =
            Facts::from_json(d, &json!({"revnue": 1, "taxpayer_type": "big", "employees": 3})).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.reason.contains("did you mean revenue")));
    }

    /// A megabyte-long unknown fact id is neither compared with every id (no hint) nor
    /// echoed whole (64 characters and "…").
    #[test]
    fn a_huge_unknown_fact_is_cut_and_gets_no_hint() {
        let huge = "revenue".repeat(150_000);
        let errs = Facts::from_json(FactDictionary::official(), &json!({ huge.as_str(): 1 })).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].fact.chars().count(), 65, "{}", &errs[0].fact[..80]);
        assert!(errs[0].fact.ends_with('…'));
        assert_eq!(errs[0].reason, "unknown fact");
    }

    #[test]
    fn text_forms_round_trip() {
        for (ty, s) in [
            (FactType::Bool, "true"),
            (FactType::Integer, "42"),
            (FactType::Money, "1000.5"),
            (FactType::Date, "2022-04-27"),
            (FactType::Tags, "专精特新;高新技术企业"),
            (FactType::Ratio, "0.05"),
        ] {
            let v = FactValue::parse_text(ty, s).unwrap();
            assert_eq!(FactValue::parse_text(ty, &v.to_text()).unwrap(), v, "{s}");
        }
        assert_eq!(FactValue::parse_text(FactType::Money, "1,000.00").unwrap().to_text(), "1000");
        assert!(FactValue::parse_text(FactType::Money, "abc").is_err());
    }
}
