//! The basis (依据) of a grant, frozen when the run makes it: the item and its policy
//! document with the document's stored version, the period, the amount, the facts the item
//! read with their values, and the explanation tree. It is stored as canonical JSON (object
//! keys sorted at every level, no insignificant white space, decimals as strings) with the
//! SHA-256 of that text, so anyone holding the text can check the hash, and a later change
//! of the policy or of the enterprise's facts never changes what a grant was based on.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a grant was based on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Basis {
    pub item: String,
    pub item_title: String,
    /// The policy document's number (文号).
    pub document: String,
    /// The stored version of the policy file the item came from.
    pub document_version: i64,
    pub period: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Facts (and parameters) read, with their values as the explanation shows them.
    pub facts_used: BTreeMap<String, String>,
    /// The explanation tree (`rules::Explanation` as JSON).
    pub explanation: serde_json::Value,
    /// The match run the enterprise was found eligible in.
    pub match_run: i64,
}

impl Basis {
    /// The canonical JSON text.
    pub fn canonical_json(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        canonical(&v)
    }

    /// SHA-256 of [`Basis::canonical_json`], lower-case hex.
    pub fn hash(&self) -> String {
        hash_of(&self.canonical_json())
    }
}

/// SHA-256 of a text, lower-case hex.
pub fn hash_of(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A JSON value written canonically: object keys sorted (by their UTF-8 bytes), no spaces.
pub fn canonical(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (k, key) in keys.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(key) {
                    write(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (k, x) in a.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Basis {
        Basis {
            item: "zone-award".into(),
            item_title: "奖励".into(),
            document: "园区发〔2022〕1号".into(),
            document_version: 3,
            period: "2022".into(),
            amount: Decimal::new(1_000_000, 2),
            facts_used: BTreeMap::from([
                ("revenue[2022]".into(), "5000000".into()),
                ("b".into(), "x".into()),
            ]),
            explanation: serde_json::json!({"z": 1, "a": {"y": [1, {"k": "v", "b": 2}]}}),
            match_run: 7,
        }
    }

    #[test]
    fn canonical_json_sorts_keys_everywhere_and_the_hash_is_stable() {
        let b = sample();
        let text = b.canonical_json();
        assert!(text.contains(r#""a":{"y":[1,{"b":2,"k":"v"}]}"#), "{text}");
        assert!(text.contains(r#""amount":"10000.00""#), "{text}");
        assert_eq!(b.hash(), hash_of(&text));
        assert_eq!(b.hash().len(), 64);
        // Read back from the stored text, it hashes the same.
        let back: Basis = serde_json::from_str(&text).unwrap();
        assert_eq!(back.hash(), b.hash());
    }

    #[test]
    fn any_change_changes_the_hash() {
        let b = sample();
        let mut c = b.clone();
        c.amount = Decimal::new(1_000_001, 2);
        assert_ne!(b.hash(), c.hash());
        let mut d = b.clone();
        d.document_version = 4;
        assert_ne!(b.hash(), d.hash());
    }
}
