//! Bilingual (zh-CN first, English second) user-facing messages.
//!
//! Every error a user can see has a stable key (`calendar.out_of_range`) and named
//! arguments. Each crate keeps its own catalog file (`messages.toml`) with the Chinese and
//! English text of each key (as quoted TOML table names: `["calendar.out_of_range"]`);
//! [`Catalog`] parses it and renders a message. A crate's tests
//! call [`Catalog::check_complete`] so that no key lacks a language and every variant's key
//! exists: the catalog is the one place messages are written.
//! [`assert_all_bilingual`] checks one sample of every variant of an error enum (each crate's
//! exhaustive error test, `docs/TESTING.md`): key present, both texts filled, in their own
//! language and different.
//!
//! [`suggest`] picks "did you mean" hints for every crate and shortens names before they
//! are echoed.
//!
//! This crate does no I/O: catalogs are embedded with `include_str!` by their crates.

use std::collections::BTreeMap;
use std::fmt;

pub mod dates;
pub mod suggest;

/// The interface languages. Simplified Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Parses `zh`, `zh-CN`, `en`, `en-US`, … (case-insensitive); anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// The longest a message argument may be, in characters.
pub const MAX_ARG: usize = 1_000;

/// A message with a stable key and named arguments, renderable in either language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Message { key, args: Vec::new() }
    }

    /// Adds a named argument, cut to [`MAX_ARG`] characters and "…": an argument often
    /// quotes what a user sent (a cell, a name, a list of definitions in a cycle), and a
    /// message must stay a message whatever was sent.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        let mut text = value.to_string();
        if let std::borrow::Cow::Owned(cut) = suggest::cut(&text, MAX_ARG) {
            text = cut;
        }
        self.args.push((name, text));
        self
    }
}

/// Implemented by every user-facing error: it names its message, and its crate's catalog
/// renders it.
pub trait Localized {
    fn message(&self) -> Message;
    /// The catalog that holds this type's keys.
    fn catalog(&self) -> &'static Catalog;

    fn render(&self, lang: Lang) -> String {
        self.catalog().render(&self.message(), lang)
    }

    /// "中文 / English", for command-line output where both are shown.
    fn bilingual(&self) -> String {
        let zh = self.render(Lang::Zh);
        let en = self.render(Lang::En);
        format!("{zh} / {en}")
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
struct Entry {
    zh: String,
    en: String,
}

/// A parsed message catalog: key → Chinese and English templates with `{name}` placeholders.
#[derive(Debug, Clone)]
pub struct Catalog {
    entries: BTreeMap<String, Entry>,
}

/// A catalog file that does not parse. Catalogs are embedded at build time, so this is a
/// developer error caught by each crate's tests.
#[derive(Debug, thiserror::Error)]
#[error("message catalog is malformed: {0}")]
pub struct CatalogError(String);

impl Catalog {
    /// Parses a TOML catalog: `[key]` tables with `zh` and `en` strings.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let entries: BTreeMap<String, Entry> =
            toml::from_str(text).map_err(|e| CatalogError(e.to_string()))?;
        for (k, e) in &entries {
            if e.zh.trim().is_empty() || e.en.trim().is_empty() {
                return Err(CatalogError(format!("key {k} lacks a language")));
            }
        }
        Ok(Catalog { entries })
    }

    /// Parses an embedded catalog. A malformed embedded catalog yields an empty catalog
    /// (messages then fall back to their key and arguments) rather than a panic; each crate's
    /// tests assert its catalog parses.
    pub fn embedded(text: &str) -> Catalog {
        Catalog::parse(text).unwrap_or(Catalog { entries: BTreeMap::new() })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Renders a message. An unknown key renders as the key with its arguments, so a missing
    /// entry is visible but never fatal.
    pub fn render(&self, msg: &Message, lang: Lang) -> String {
        let Some(entry) = self.entries.get(msg.key) else {
            let args: Vec<String> = msg.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
            return format!("{} ({})", msg.key, args.join(", "));
        };
        let template = match lang {
            Lang::Zh => &entry.zh,
            Lang::En => &entry.en,
        };
        fill(template, &msg.args)
    }

    /// Checks that every message in `samples` has a catalog entry and that all of its
    /// placeholders are filled in both languages. Returns the problems found.
    pub fn check_complete(&self, samples: &[Message]) -> Vec<String> {
        let mut problems = Vec::new();
        for m in samples {
            let Some(entry) = self.entries.get(m.key) else {
                problems.push(format!("no catalog entry for {}", m.key));
                continue;
            };
            for (lang, t) in [("zh", &entry.zh), ("en", &entry.en)] {
                let out = fill(t, &m.args);
                if out.contains('{') {
                    problems.push(format!("{} ({lang}) has an unfilled placeholder: {out}", m.key));
                }
            }
        }
        problems
    }
}

/// Whether `c` is a CJK ideograph, CJK punctuation or a full-width form (`中`, `，`, `（`).
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}' // CJK symbols and punctuation
        | '\u{3400}'..='\u{4DBF}' // extension A
        | '\u{4E00}'..='\u{9FFF}' // unified ideographs
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{FF00}'..='\u{FFEF}' // full-width forms
        | '\u{20000}'..='\u{2FA1F}') // extensions B–F and compatibility supplement
}

/// The first `{name}` placeholder left in a rendered text (`name` in ASCII letters, digits
/// and `_`), if any. Braces around anything else (a quoted JSON value) are not placeholders.
pub fn unfilled_placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            return Some(&rest[open..open + name_len + 2]);
        }
        rest = after;
    }
    None
}

/// What is wrong with an error's two renderings, for the exhaustive bilingual tests every
/// crate runs over all variants of its error enums (`docs/TESTING.md`): its key must be in
/// its catalog; the Chinese and the English text must both be non-empty, differ, and have
/// no unfilled `{placeholder}`; the Chinese text must contain a CJK character and the English
/// text none outside “curly quotes” (a literal to type). Samples give ASCII values where the
/// English text quotes them, so that the check means something. `what` names the
/// sample in the problems. Empty when the error renders well. (A catalog holds both
/// languages of every key: [`Catalog::parse`] refuses an entry that lacks one.)
pub fn bilingual_problems<E: Localized + ?Sized>(error: &E, what: &str) -> Vec<String> {
    let key = error.message().key;
    let mut problems = Vec::new();
    if !error.catalog().contains(key) {
        problems.push(format!("{what}: key {key} is not in the catalog"));
    }
    let zh = error.render(Lang::Zh);
    let en = error.render(Lang::En);
    for (lang, text) in [("zh", &zh), ("en", &en)] {
        if text.trim().is_empty() {
            problems.push(format!("{what} ({key}): the {lang} text is empty"));
        }
        if let Some(p) = unfilled_placeholder(text) {
            problems.push(format!("{what} ({key}): the {lang} text leaves {p} unfilled: {text}"));
        }
    }
    if zh == en {
        problems.push(format!("{what} ({key}): Chinese and English are the same: {zh}"));
    }
    if !zh.chars().any(is_cjk) {
        problems.push(format!("{what} ({key}): the Chinese text has no Chinese: {zh}"));
    }
    if let Some(c) = unquoted(&en).find(|&c| is_cjk(c)) {
        problems.push(format!("{what} ({key}): the English text contains '{c}': {en}"));
    }
    problems
}

/// The characters of `text` outside “curly quotes”: an English text may quote a literal the
/// user must type (`“# 来源 / source: …”`), which is Chinese.
fn unquoted(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut quoted = false;
    text.chars().filter(move |&c| {
        match c {
            '“' => quoted = true,
            '”' => quoted = false,
            _ => {}
        }
        !quoted
    })
}

/// Panics listing every problem [`bilingual_problems`] finds in any of `samples` (each named
/// by its `Debug` form): the one assertion of the crates' exhaustive bilingual error tests.
#[track_caller]
pub fn assert_all_bilingual<E: Localized + fmt::Debug>(samples: &[E]) {
    let problems: Vec<String> =
        samples.iter().flat_map(|e| bilingual_problems(e, &format!("{e:?}"))).collect();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

fn fill(template: &str, args: &[(&'static str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Checks for the names strum derives for an enum (each crate's `enum_names` test): every
/// variant has its own name and reads back to itself.
pub fn assert_names_round_trip<T>(what: &str)
where
    T: strum::IntoEnumIterator + Copy + PartialEq + std::fmt::Debug + Into<&'static str> + std::str::FromStr,
{
    let names: Vec<&'static str> = T::iter().map(Into::into).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{what}: two variants share a name: {names:?}");
    for v in T::iter() {
        let name: &'static str = v.into();
        assert!(matches!(name.parse::<T>(), Ok(back) if back == v), "{what}: {name} does not read back");
    }
}

/// The stored name of every variant is the name serde writes in JSON.
pub fn assert_names_are_json_names<T>(what: &str)
where
    T: strum::IntoEnumIterator + Copy + Into<&'static str> + serde::Serialize,
{
    for v in T::iter() {
        let name: &'static str = v.into();
        assert_eq!(serde_json::to_value(v).ok(), Some(serde_json::Value::from(name)), "{what}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_languages_with_arguments() {
        let c =
            Catalog::parse("[\"x.bad\"]\nzh = \"第 {row} 行有误\"\nen = \"row {row} is wrong\"\n").unwrap();
        let m = Message::new("x.bad").arg("row", 7);
        assert_eq!(c.render(&m, Lang::Zh), "第 7 行有误");
        assert_eq!(c.render(&m, Lang::En), "row 7 is wrong");
        assert!(c.check_complete(&[m]).is_empty());
    }

    /// A megabyte quoted in a message is 1,000 characters and "…" of it.
    #[test]
    fn arguments_are_cut() {
        let m = Message::new("x").arg("v", "惠".repeat(1 << 20)).arg("w", "short");
        assert_eq!(m.args[0].1.chars().count(), MAX_ARG + 1);
        assert!(m.args[0].1.ends_with('…'));
        assert_eq!(m.args[1].1, "short");
    }

    #[test]
    fn reports_missing_keys_and_unfilled_placeholders() {
        let c = Catalog::parse("[a]\nzh = \"{v}\"\nen = \"{v}\"\n").unwrap();
        let problems = c.check_complete(&[Message::new("a"), Message::new("b")]);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn rejects_an_entry_without_english() {
        assert!(Catalog::parse("[a]\nzh = \"中\"\nen = \"\"\n").is_err());
    }

    #[test]
    fn parses_language_tags() {
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN-us"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }

    struct Sample(&'static str, &'static Catalog);
    impl Localized for Sample {
        fn message(&self) -> Message {
            Message::new(self.0).arg("v", "x")
        }
        fn catalog(&self) -> &'static Catalog {
            self.1
        }
    }

    #[test]
    fn bilingual_problems_name_each_flaw() {
        let c: &'static Catalog = Box::leak(Box::new(
            Catalog::parse(concat!(
                "[ok]\nzh = \"值 {v} 有误\"\nen = \"value {v} is wrong\"\n",
                "[same]\nzh = \"v {v}\"\nen = \"v {v}\"\n",
                "[mixed]\nzh = \"值 {v}\"\nen = \"value {v}，{w}\"\n",
            ))
            .unwrap(),
        ));
        assert!(bilingual_problems(&Sample("ok", c), "ok").is_empty());
        assert_eq!(bilingual_problems(&Sample("same", c), "same").len(), 2, "same text, no Chinese");
        let mixed = bilingual_problems(&Sample("mixed", c), "mixed");
        assert_eq!(mixed.len(), 2, "{mixed:?}");
        assert!(mixed[0].contains("{w} unfilled") && mixed[1].contains("'，'"), "{mixed:?}");
        let missing = bilingual_problems(&Sample("gone", c), "gone");
        assert!(missing[0].contains("not in the catalog"), "{missing:?}");
        assert_eq!(unquoted("a “来源” b").collect::<String>(), "a ” b");
        assert_eq!(unfilled_placeholder(r#"got {"a": 1} and {}"#), None);
    }
}
