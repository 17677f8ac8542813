//! The crate's one error type, its bilingual messages, and diagnostics with locations.

use crate::syntax::SyntaxError;
use i18n::suggest::shown;
use i18n::{Catalog, Localized, Message};
use std::fmt;

/// Everything that can be wrong with a policy file or a rule, in domain terms. Each variant
/// has a stable message key in `messages.toml` (zh-CN and English).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum Error {
    #[error("syntax: {0:?}")]
    Syntax(SyntaxError),
    #[error("unknown name {name}")]
    UnknownName { name: String, nearest: Option<String> },
    #[error("unknown function {name}")]
    UnknownFunction { name: String, nearest: Option<String> },
    #[error("{name} takes {expected} arguments, got {found}")]
    Arity { name: String, expected: String, found: usize },
    #[error("{op} cannot combine {left} and {right}")]
    TypeMismatch { op: String, left: String, right: String },
    #[error("{what} must be {expected}, found {found}")]
    ExpectedType { what: String, expected: String, found: String },
    #[error("per-year fact {fact} needs a year")]
    NeedsYear { fact: String },
    #[error("{fact} is not a per-year fact")]
    NotPerYear { fact: String },
    #[error("a year index must be computed from year, whole numbers and parameters")]
    YearIndexNotStatic,
    #[error("{code} is not a code of {fact}")]
    UnknownCode { fact: String, code: String, allowed: String },
    #[error("bad literal {text}: {what}")]
    BadLiteral { what: String, text: String },
    #[error("definition cycle: {cycle}")]
    DefinitionCycle { cycle: String },
    /// With its definitions written out, an expression is taller than the limit.
    #[error("with its definitions written out, the expression is more than {limit} levels deep")]
    ExpandedTooTall { limit: usize },
    /// With its definitions written out, an expression has more nodes than the limit.
    #[error("with its definitions written out, the expression has more than {limit} parts")]
    ExpandedTooLarge { limit: usize },
    #[error("{name} is defined twice")]
    DuplicateName { name: String, first: String },
    #[error("file is not valid TOML: {reason}")]
    Toml { reason: String },
    #[error("field {field}: {reason}")]
    Field { field: String, reason: String },
    #[error("parameter {param}: {reason}")]
    ParamValue { param: String, reason: String },
    #[error("parameter {param} has no value on {date}")]
    ParamNoValue { param: String, date: String },
    #[error("test case {case}: {reason}")]
    CaseFacts { case: String, reason: String },
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
    /// An item without `benefit_kind`.
    #[error("item {item} has no benefit_kind")]
    BenefitKindMissing { item: String, allowed: String },
    #[error("item {item}: benefit_kind {found} is not allowed")]
    BenefitKindUnknown { item: String, found: String, allowed: String },
    /// `no_application` (the old key) disagrees with `benefit_kind`.
    #[error("item {item}: no_application contradicts benefit_kind {kind}")]
    NoApplicationConflict { item: String, kind: String },
    #[error("item {item}: period {found} is not allowed")]
    PeriodUnknown { item: String, found: String },
    #[error("item {item} supersedes unknown item {target}")]
    SupersedesUnknown { item: String, target: String, nearest: Option<String> },
    #[error("item {item} supersedes itself")]
    SupersedesItself { item: String },
    #[error("item {item} ({period}) supersedes {target} ({other})")]
    SupersedesPeriod { item: String, target: String, period: String, other: String },
}

static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Catalog::embedded(include_str!("../messages.toml")))
}

impl Localized for Error {
    fn message(&self) -> Message {
        match self {
            Error::Syntax(s) => match s {
                SyntaxError::UnexpectedChar { ch, .. } => Message::new("rules.unexpected_char").arg("ch", ch),
                SyntaxError::UnterminatedString { .. } => Message::new("rules.unterminated_string"),
                SyntaxError::BadNumber { text, .. } => {
                    Message::new("rules.bad_number").arg("text", shown(text))
                }
                SyntaxError::Expected { expected, found, .. } => {
                    Message::new("rules.expected").arg("expected", expected).arg("found", shown(found))
                }
                SyntaxError::TooDeep { .. } => Message::new("rules.too_deep"),
                SyntaxError::TooTall { .. } => Message::new("rules.too_tall"),
            },
            Error::UnknownName { name, nearest: Some(n) } => {
                Message::new("rules.unknown_name_hint").arg("name", shown(name)).arg("nearest", n)
            }
            Error::UnknownName { name, nearest: None } => {
                Message::new("rules.unknown_name").arg("name", shown(name))
            }
            Error::UnknownFunction { name, nearest } => Message::new("rules.unknown_function")
                .arg("name", shown(name))
                .arg("nearest", nearest.as_deref().unwrap_or("min, max, round")),
            Error::Arity { name, expected, found } => {
                Message::new("rules.arity").arg("name", name).arg("expected", expected).arg("found", found)
            }
            Error::TypeMismatch { op, left, right } => {
                Message::new("rules.type_mismatch").arg("op", op).arg("left", left).arg("right", right)
            }
            Error::ExpectedType { what, expected, found } => Message::new("rules.expected_type")
                .arg("what", what)
                .arg("expected", expected)
                .arg("found", found),
            Error::NeedsYear { fact } => Message::new("rules.needs_year").arg("fact", fact),
            Error::NotPerYear { fact } => Message::new("rules.not_per_year").arg("fact", fact),
            Error::YearIndexNotStatic => Message::new("rules.year_index"),
            Error::UnknownCode { fact, code, allowed } => Message::new("rules.unknown_code")
                .arg("fact", fact)
                .arg("code", shown(code))
                .arg("allowed", allowed),
            Error::BadLiteral { what, text } => {
                Message::new("rules.bad_literal").arg("what", what).arg("text", shown(text))
            }
            Error::DefinitionCycle { cycle } => Message::new("rules.definition_cycle").arg("cycle", cycle),
            Error::ExpandedTooTall { limit } => Message::new("rules.expanded_too_tall").arg("limit", limit),
            Error::ExpandedTooLarge { limit } => Message::new("rules.expanded_too_large").arg("limit", limit),
            Error::DuplicateName { name, first } => {
                Message::new("rules.duplicate_name").arg("name", name).arg("first", first)
            }
            Error::Toml { reason } => Message::new("rules.toml").arg("reason", reason),
            Error::Field { field, reason } => {
                Message::new("rules.field").arg("field", field).arg("reason", reason)
            }
            Error::ParamValue { param, reason } => {
                Message::new("rules.param_value").arg("param", param).arg("reason", reason)
            }
            Error::ParamNoValue { param, date } => {
                Message::new("rules.param_no_value").arg("param", param).arg("date", date)
            }
            Error::CaseFacts { case, reason } => {
                Message::new("rules.case_facts").arg("case", case).arg("reason", reason)
            }
            Error::Io { path, reason } => Message::new("rules.io").arg("path", path).arg("reason", reason),
            Error::BenefitKindMissing { item, allowed } => {
                Message::new("rules.benefit_kind_missing").arg("item", item).arg("allowed", allowed)
            }
            Error::BenefitKindUnknown { item, found, allowed } => Message::new("rules.benefit_kind_unknown")
                .arg("item", item)
                .arg("found", shown(found))
                .arg("allowed", allowed),
            Error::NoApplicationConflict { item, kind } => {
                Message::new("rules.no_application_conflict").arg("item", item).arg("kind", kind)
            }
            Error::PeriodUnknown { item, found } => {
                Message::new("rules.period_unknown").arg("item", item).arg("found", shown(found))
            }
            Error::SupersedesUnknown { item, target, nearest: Some(n) } => {
                Message::new("rules.supersedes_unknown_hint")
                    .arg("item", item)
                    .arg("target", shown(target))
                    .arg("nearest", n)
            }
            Error::SupersedesUnknown { item, target, nearest: None } => {
                Message::new("rules.supersedes_unknown").arg("item", item).arg("target", shown(target))
            }
            Error::SupersedesItself { item } => Message::new("rules.supersedes_itself").arg("item", item),
            Error::SupersedesPeriod { item, target, period, other } => {
                Message::new("rules.supersedes_period")
                    .arg("item", item)
                    .arg("target", target)
                    .arg("period", period)
                    .arg("other", other)
            }
        }
    }
    fn catalog(&self) -> &'static Catalog {
        catalog()
    }
}

/// Where a problem is: file, line and column (1-based, columns in characters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A problem found while loading or checking policies, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    pub error: Error,
}

impl Diagnostic {
    /// `file:line:col: 中文 / English`.
    pub fn render(&self) -> String {
        format!("{}: {}", self.location, self.error.bilingual())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Span;

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: ErrorDiscriminants) -> Error {
        use ErrorDiscriminants as D;
        let s = || "x".to_string();
        match d {
            // One syntax error stands for all (syntax.rs tests each of them).
            D::Syntax => Error::Syntax(SyntaxError::UnexpectedChar { ch: '$', span: Span::default() }),
            D::UnknownName => Error::UnknownName { name: s(), nearest: Some(s()) },
            D::UnknownFunction => Error::UnknownFunction { name: s(), nearest: None },
            D::Arity => Error::Arity { name: s(), expected: s(), found: 1 },
            D::TypeMismatch => Error::TypeMismatch { op: s(), left: s(), right: s() },
            D::ExpectedType => Error::ExpectedType { what: s(), expected: s(), found: s() },
            D::NeedsYear => Error::NeedsYear { fact: s() },
            D::NotPerYear => Error::NotPerYear { fact: s() },
            D::YearIndexNotStatic => Error::YearIndexNotStatic,
            D::UnknownCode => Error::UnknownCode { fact: s(), code: s(), allowed: s() },
            D::BadLiteral => Error::BadLiteral { what: s(), text: s() },
            D::DefinitionCycle => Error::DefinitionCycle { cycle: s() },
            D::ExpandedTooTall => Error::ExpandedTooTall { limit: 256 },
            D::ExpandedTooLarge => Error::ExpandedTooLarge { limit: 20_000 },
            D::DuplicateName => Error::DuplicateName { name: s(), first: s() },
            D::Toml => Error::Toml { reason: s() },
            D::Field => Error::Field { field: s(), reason: s() },
            D::ParamValue => Error::ParamValue { param: s(), reason: s() },
            D::ParamNoValue => Error::ParamNoValue { param: s(), date: s() },
            D::CaseFacts => Error::CaseFacts { case: s(), reason: s() },
            D::Io => Error::Io { path: s(), reason: s() },
            D::BenefitKindMissing => Error::BenefitKindMissing { item: s(), allowed: s() },
            D::BenefitKindUnknown => Error::BenefitKindUnknown { item: s(), found: s(), allowed: s() },
            D::NoApplicationConflict => Error::NoApplicationConflict { item: s(), kind: s() },
            D::PeriodUnknown => Error::PeriodUnknown { item: s(), found: s() },
            D::SupersedesUnknown => Error::SupersedesUnknown { item: s(), target: s(), nearest: Some(s()) },
            D::SupersedesItself => Error::SupersedesItself { item: s() },
            D::SupersedesPeriod => {
                Error::SupersedesPeriod { item: s(), target: s(), period: s(), other: s() }
            }
        }
    }

    #[test]
    fn every_error_renders_in_both_languages() {
        use strum::IntoEnumIterator;
        let mut samples: Vec<Error> = ErrorDiscriminants::iter().map(sample).collect();
        // The cases whose key or text depends on the fields.
        samples.push(Error::UnknownName { name: "x".into(), nearest: None });
        samples.push(Error::UnknownFunction { name: "x".into(), nearest: Some("max".into()) });
        samples.push(Error::SupersedesUnknown { item: "x".into(), target: "y".into(), nearest: None });
        i18n::assert_all_bilingual(&samples);
        let keys: std::collections::BTreeSet<&str> = samples.iter().map(|e| e.message().key).collect();
        let syntax_keys = crate::syntax::SyntaxErrorDiscriminants::iter().count() - 1;
        assert_eq!(catalog().keys().count(), keys.len() + syntax_keys, "a key no variant uses");
    }
}
