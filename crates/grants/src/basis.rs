//! The basis (依据) of a grant, frozen when the run makes it: the item and its policy
//! document with the document's stored version, the period, the amount, the facts the item
//! read with their values, and the explanation tree. It is stored as canonical JSON (object
//! keys sorted at every level, no insignificant white space, decimals as strings) with the
//! SHA-256 of that text, so anyone holding the text can check the hash, and a later change
//! of the policy or of the enterprise's facts never changes what a grant was based on.
//!
//! A grant run writes the text with [`Frozen::write_canonical`]: straight from the
//! explanation tree, in one pass, with no `serde_json::Value` in between; the text is the one
//! [`Basis::canonical_json`] gives for the same basis (a test holds them equal), so a stored
//! basis read back as a [`Basis`] hashes the same.

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
    hash_of_bytes(text.as_bytes())
}

/// SHA-256 of a text's UTF-8 bytes, lower-case hex.
pub fn hash_of_bytes(text: &[u8]) -> String {
    hex::encode(Sha256::digest(text))
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

/// A basis as a grant run has it at hand: borrowed, the explanation as the evaluator made
/// it.
#[derive(Debug, Clone, Copy)]
pub struct Frozen<'a> {
    pub item: &'a str,
    pub item_title: &'a str,
    pub document: &'a str,
    pub document_version: i64,
    pub period: &'a str,
    pub amount: Decimal,
    pub explanation: &'a rules::Explanation,
    pub match_run: i64,
}

impl Frozen<'_> {
    /// Appends the canonical JSON text of the basis to `out` (the facts used are gathered from
    /// the explanation's values, a later value of one name replacing an earlier one, as
    /// [`Basis::facts_used`] holds them).
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        let mut used: BTreeMap<&str, &str> = BTreeMap::new();
        gather(self.explanation, &mut used);
        // Keys in byte order: amount, document, document_version, explanation, facts_used,
        // item, item_title, match_run, period.
        out.extend_from_slice(b"{\"amount\":");
        string(out, &self.amount.to_string());
        out.extend_from_slice(b",\"document\":");
        string(out, self.document);
        out.extend_from_slice(b",\"document_version\":");
        out.extend_from_slice(self.document_version.to_string().as_bytes());
        out.extend_from_slice(b",\"explanation\":");
        node(out, self.explanation);
        out.extend_from_slice(b",\"facts_used\":");
        map(out, used.iter().map(|(k, v)| (*k, *v)));
        out.extend_from_slice(b",\"item\":");
        string(out, self.item);
        out.extend_from_slice(b",\"item_title\":");
        string(out, self.item_title);
        out.extend_from_slice(b",\"match_run\":");
        out.extend_from_slice(self.match_run.to_string().as_bytes());
        out.extend_from_slice(b",\"period\":");
        string(out, self.period);
        out.push(b'}');
    }
}

fn gather<'a>(e: &'a rules::Explanation, out: &mut BTreeMap<&'a str, &'a str>) {
    for (k, v) in &e.values {
        out.insert(k, v);
    }
    for c in &e.children {
        gather(c, out);
    }
}

/// A JSON string as serde_json writes it (the escaping [`canonical`] uses).
fn string(out: &mut Vec<u8>, s: &str) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn map<'a>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'a str, &'a str)>) {
    out.push(b'{');
    for (k, (key, value)) in entries.enumerate() {
        if k > 0 {
            out.push(b',');
        }
        string(out, key);
        out.push(b':');
        string(out, value);
    }
    out.push(b'}');
}

/// One explanation node, keys in byte order (children, expr, outcome, values), the empty
/// children and values left out as `rules::Explanation` serializes them.
fn node(out: &mut Vec<u8>, e: &rules::Explanation) {
    out.push(b'{');
    if !e.children.is_empty() {
        out.extend_from_slice(b"\"children\":[");
        for (k, c) in e.children.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            node(out, c);
        }
        out.extend_from_slice(b"],");
    }
    out.extend_from_slice(b"\"expr\":");
    string(out, &e.expr);
    out.extend_from_slice(b",\"outcome\":");
    string(out, &e.outcome);
    if !e.values.is_empty() {
        out.extend_from_slice(b",\"values\":");
        map(out, e.values.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    out.push(b'}');
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

    fn leaf(expr: &str, outcome: &str, values: &[(&str, &str)]) -> rules::Explanation {
        rules::Explanation {
            expr: expr.into(),
            outcome: outcome.into(),
            values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            children: Vec::new(),
        }
    }

    #[test]
    fn the_one_pass_writer_gives_the_canonical_text_of_the_same_basis() {
        // Escapes, non-ASCII, a fact read twice, empty and non-empty children and values.
        let mut top = leaf("assistance_target and revenue[year - 1] >= 2\"000\" \\ x", "true", &[]);
        top.children = vec![
            leaf("assistance_target", "true", &[("assistance_target", "true")]),
            leaf("revenue[year - 1] >= 2000\n\t\u{1}", "true", &[("revenue[2021]", "5000"), ("b/c", "是")]),
            {
                let mut n = leaf("min(x, cap)", "1234.50", &[("cap", "9000"), ("revenue[2021]", "5000")]);
                n.children = vec![leaf("x", "1234.5", &[])];
                n
            },
        ];
        let f = Frozen {
            item: "zone-award",
            item_title: "奖励 \"一\"",
            document: "园区发〔2022〕1号",
            document_version: 3,
            period: "2022",
            amount: Decimal::new(123_450, 2),
            explanation: &top,
            match_run: 7,
        };
        let mut text = Vec::new();
        f.write_canonical(&mut text);
        let mut used = BTreeMap::new();
        gather(&top, &mut used);
        let b = Basis {
            item: f.item.into(),
            item_title: f.item_title.into(),
            document: f.document.into(),
            document_version: f.document_version,
            period: f.period.into(),
            amount: f.amount,
            facts_used: used.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            explanation: serde_json::to_value(&top).unwrap(),
            match_run: f.match_run,
        };
        assert_eq!(String::from_utf8(text).unwrap(), b.canonical_json());
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
