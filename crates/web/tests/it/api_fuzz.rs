//! The API fuzzed from its own OpenAPI document (issue 14; schemathesis is not installable
//! offline, so this is the equivalent in Rust): for every operation of
//! `/api/v1/openapi.json`, requests as every role (and anonymous) with path parameters,
//! query parameters and JSON bodies generated from the document's schemas — values of the
//! right shape, and mutated ones (wrong types, huge and negative numbers, missing required
//! fields, unknown fields, long and odd strings, broken JSON, a multipart body that is not
//! one). The one assertion: **no response is a server error (≥ 500)**.
//!
//! A quick run is part of `cargo test` (a fixed seed, [`DEFAULT_CASES`] mutated requests per
//! operation besides one well-shaped request per role). The long run (docs/TESTING.md):
//!
//! ```text
//! HUIQI_API_FUZZ_CASES=300 HUIQI_API_FUZZ_SEED=$RANDOM cargo test -p web --test it api_fuzz -- --nocapture
//! ```
//!
//! Left out: revoking the caller's own token (`DELETE /api/v1/auth/token`), which would only
//! turn the rest of that role's requests into 401s. Rate limits are off here (they would
//! turn most requests into 429s); they have their own tests.

use crate::problems::{App, app_with};
use reqwest::Method;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use web::WebConfig;

/// The longest parameter sent (characters; bodies carry the longer strings).
const MAX_PARAM: usize = 2_000;

/// Mutated requests per operation in the quick run.
pub const DEFAULT_CASES: usize = 3;

/// The roles of the fixture, and anonymous (no token).
const ROLES: [&str; 10] =
    ["anonymous", "ent_a", "ent_b", "cadre", "dept", "dept_hr", "leader", "supervisor", "policy", "admin"];

/// A small deterministic generator (xorshift64*), so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Odd strings every text field and parameter should refuse or accept without a 500.
fn odd_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999999",
        "1e309",
        "NaN",
        "null",
        "true",
        "[]",
        "{}",
        "\u{0}",
        "a\u{0}b",
        "\u{202e}gpj.exe",
        "'; DROP TABLE problems;--",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "中文",
        "涉税",
        "2022-02-30",
        "0000-01-01",
        "-0001-01-01",
        "9999-12-31",
        "2022-13",
        "2022-W99",
        "1900-01-01",
        "91430100MA4L0000XX",
        "\u{FEFF}",
        "😀",
        "%00",
        "%",
        "\\",
        "\"",
        "\r\n",
        "tax",
        "closed",
        "admin",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("长".repeat(6_000));
    v.push("a".repeat(70_000));
    v
}

struct Gen<'a> {
    doc: &'a Value,
    rng: Rng,
    odd: Vec<String>,
    /// Values that exist in the fixture (ids, codes, names), so that some requests go deep.
    known: Vec<String>,
}

impl Gen<'_> {
    fn resolve<'b>(&'b self, s: &'b Value) -> &'b Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or("");
                self.doc.pointer(&format!("/components/schemas/{name}")).unwrap_or(&Value::Null)
            }
            None => s,
        }
    }

    fn odd_value(&mut self) -> Value {
        match self.rng.below(9) {
            0 => Value::Null,
            1 => json!(i64::MAX),
            2 => json!(-1),
            3 => json!(1e300),
            4 => json!(true),
            5 => json!([1, "x", null, {"a": []}]),
            6 => json!({"unexpected": "x", "__proto__": {}}),
            7 => {
                // Deep nesting.
                let mut v = json!(1);
                for _ in 0..200 {
                    v = json!([v]);
                }
                v
            }
            _ => Value::String(self.rng.pick(&self.odd).clone()),
        }
    }

    fn string_for(&mut self, s: &Value, valid: bool) -> Value {
        if let Some(e) = s.get("enum").and_then(Value::as_array).filter(|e| !e.is_empty())
            && (valid || self.rng.chance(70))
        {
            return self.rng.pick(e).clone();
        }
        if !valid && self.rng.chance(50) {
            return Value::String(self.rng.pick(&self.odd).clone());
        }
        let v = match s.get("format").and_then(Value::as_str) {
            Some("date") => self.rng.pick(&["2024-03-01", "2022-12-30", "2024-02-29"]).to_string(),
            Some("date-time") => "2024-03-01T09:00:00+08:00".to_string(),
            _ => {
                if self.rng.chance(40) {
                    self.rng.pick(&self.known).clone()
                } else {
                    self.rng
                        .pick(&[
                            "留抵退税进度查询",
                            "tax",
                            "涉税",
                            "2024-03",
                            "open",
                            "resolved",
                            "满意",
                            "说明",
                        ])
                        .to_string()
                }
            }
        };
        Value::String(v)
    }

    fn value(&mut self, schema: &Value, depth: usize, valid: bool) -> Value {
        let s = self.resolve(schema).clone();
        if !valid && self.rng.chance(15) {
            return self.odd_value();
        }
        if depth > 6 {
            return Value::Null;
        }
        for k in ["oneOf", "anyOf", "allOf"] {
            if let Some(alts) = s.get(k).and_then(Value::as_array).filter(|a| !a.is_empty()) {
                let alt = self.rng.pick(alts).clone();
                return self.value(&alt, depth + 1, valid);
            }
        }
        let ty = match s.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => {
                let ts: Vec<&str> = ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
                ts.first().map_or("null", |t| t).to_string()
            }
            _ if s.get("properties").is_some() => "object".into(),
            _ => "any".into(),
        };
        match ty.as_str() {
            "string" => self.string_for(&s, valid),
            "integer" => {
                if valid {
                    json!(*self.rng.pick(&[1, 2, 0, 3, 10]))
                } else {
                    json!(*self.rng.pick(&[-1, 0, i64::MAX, i64::MIN, 4_000_000_000]))
                }
            }
            "number" => json!(*self.rng.pick(&[1.5, 0.0, 100.0, -3.25, 1e18])),
            "boolean" => json!(self.rng.chance(50)),
            "array" => {
                let items = s.get("items").cloned().unwrap_or(Value::Null);
                let n = if valid { self.rng.below(3) } else { self.rng.below(5) };
                Value::Array((0..n).map(|_| self.value(&items, depth + 1, valid)).collect())
            }
            "object" => {
                let required: Vec<String> = s
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default();
                let mut out = Map::new();
                if let Some(props) = s.get("properties").and_then(Value::as_object) {
                    for (k, p) in props {
                        let req = required.contains(k);
                        let include = if valid { req || self.rng.chance(60) } else { self.rng.chance(70) };
                        if include {
                            out.insert(k.clone(), self.value(p, depth + 1, valid));
                        }
                    }
                }
                if !valid && self.rng.chance(30) {
                    out.insert("unknown_field".into(), self.odd_value());
                }
                Value::Object(out)
            }
            "null" => Value::Null,
            _ => {
                if valid {
                    json!({})
                } else {
                    self.odd_value()
                }
            }
        }
    }

    /// A path or query parameter's text, at most [`MAX_PARAM`] characters (a URL stays below
    /// the client's 64 KiB).
    fn param(&mut self, schema: &Value, name: &str, valid: bool) -> String {
        let mut s = self.param_text(schema, name, valid);
        if let Some((i, _)) = s.char_indices().nth(MAX_PARAM) {
            s.truncate(i);
        }
        s
    }

    fn param_text(&mut self, schema: &Value, name: &str, valid: bool) -> String {
        if valid || self.rng.chance(40) {
            let known = match name {
                "uscc" => Some(self.known[0].clone()),
                "username" => Some(self.rng.pick(&["ent_a", "cadre", "admin", "nobody"]).to_string()),
                "category" => Some(self.rng.pick(&["tax", "涉税", "nope"]).to_string()),
                "name" => Some(self.rng.pick(&["zone.toml", "missing", "a/b"]).to_string()),
                _ => None,
            };
            if let Some(k) = known.filter(|_| self.rng.chance(70)) {
                return k;
            }
            match self.value(schema, 0, true) {
                Value::String(s) => s,
                v => v.to_string(),
            }
        } else {
            match self.value(schema, 0, false) {
                Value::String(s) => s,
                v => v.to_string(),
            }
        }
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One request of an operation as `role`: its status (0: not sendable), or `Err` with its
/// description when the answer is a server error or none came.
async fn one(
    app: &App,
    g: &mut Gen<'_>,
    method: &Method,
    path: &str,
    op: &Value,
    role: &str,
    valid: bool,
) -> Result<u16, String> {
    let params: Vec<Value> = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut url = path.to_string();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for p in &params {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let schema = p.get("schema").cloned().unwrap_or(Value::Null);
        match p.get("in").and_then(Value::as_str) {
            Some("path") => {
                let v = g.param(&schema, name, valid);
                url = url.replace(&format!("{{{name}}}"), &enc(&v));
            }
            Some("query") if valid && g.rng.chance(50) || !valid && g.rng.chance(70) => {
                let v = g.param(&schema, name, valid);
                query.push(format!("{}={}", enc(name), enc(&v)));
            }
            Some("header") if g.rng.chance(30) => {
                let v = g.param(&schema, name, valid);
                if let Ok(h) = reqwest::header::HeaderValue::from_str(&v) {
                    headers.push((name.to_string(), h));
                }
            }
            _ => {}
        }
    }
    if !valid && g.rng.chance(20) {
        let page = *g.rng.pick(&["-1", "0", "99999999999999999999", "x"]);
        query.push(format!("page={}", enc(page)));
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    let mut req = app.http.request(method.clone(), app.url(&url));
    if let Some(t) = app.tokens.get(role) {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let content = op.pointer("/requestBody/content").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut body_text = String::new();
    if let Some(s) = content.get("application/json").and_then(|c| c.get("schema")) {
        if !valid && g.rng.chance(10) {
            body_text = g.rng.pick(&["{", "[1,", "\"\u{0}\"", "{\"a\":1e999999}", "nul"]).to_string();
            req = req.header("content-type", "application/json").body(body_text.clone());
        } else {
            let v = g.value(s, 0, valid);
            body_text = v.to_string();
            req = req.json(&v);
        }
    } else if content.contains_key("multipart/form-data") {
        body_text =
            "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\u{202e}a.txt\"\r\n\r\nhi\r\n"
                .into();
        let ct = if valid { "multipart/form-data; boundary=x" } else { "multipart/form-data" };
        req = req.header("content-type", ct).body(body_text.clone());
    }
    let resp = match req.send().await {
        Ok(r) => r,
        // A URL the client refuses to build (over 64 KiB once encoded) never reached the
        // server: counted as status 0.
        Err(e) if e.is_builder() => return Ok(0),
        Err(e) => return Err(format!("{role} {method} {url}: no answer: {e}")),
    };
    let status = resp.status().as_u16();
    if status >= 500 {
        let text = resp.text().await.unwrap_or_default();
        let long = url.len();
        let body: String = body_text.chars().take(300).collect();
        let text: String = text.chars().take(300).collect();
        let url: String = url.chars().take(300).collect();
        return Err(format!("{role} {method} {url} ({long} characters) body {body} → {status} {text}"));
    }
    Ok(status)
}

#[tokio::test]
async fn api_fuzz_from_the_openapi_document_gives_no_server_error() {
    let mut config = WebConfig::default();
    config.rate_limits.enabled = false;
    let app = app_with(config).await;
    // Something to find: a problem of A (number 1).
    let id = app.raise("ent_a", json!({"category": "tax", "title": "留抵退税进度查询"})).await;
    let doc: Value =
        app.http.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let cases: usize =
        std::env::var("HUIQI_API_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_CASES);
    let seed: u64 = std::env::var("HUIQI_API_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(14);
    let mut g = Gen {
        doc: &doc,
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        odd: odd_strings(),
        known: vec![app.a.clone(), id.to_string(), "1".into(), "tax".into(), "ent_a".into()],
    };
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    let mut failures = Vec::new();
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut operations = 0;
    for (path, ops) in &paths {
        let Some(ops) = ops.as_object() else { continue };
        for (m, op) in ops {
            let Ok(method) = m.to_uppercase().parse::<Method>() else { continue };
            if !matches!(m.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            if path == "/api/v1/auth/token" && method == Method::DELETE {
                continue;
            }
            operations += 1;
            let runs =
                ROLES.iter().map(|r| (*r, true)).chain((0..cases).map(|i| (ROLES[(i * 7 + 3) % 10], false)));
            for (role, valid) in runs.collect::<Vec<_>>() {
                match one(&app, &mut g, &method, path, op, role, valid).await {
                    Ok(s) => *statuses.entry(s).or_default() += 1,
                    Err(e) => failures.push(e),
                }
            }
        }
    }
    let total: u64 = statuses.values().sum::<u64>() + failures.len() as u64;
    eprintln!("api fuzz: seed {seed}, {operations} operations, {total} requests, statuses {statuses:?}");
    assert!(operations >= 80, "the document lists the API's operations ({operations})");
    assert!(failures.is_empty(), "{} server errors (seed {seed}):\n{}", failures.len(), failures.join("\n"));
}
