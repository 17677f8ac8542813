//! Policy files and the loaded, checked policy library.
//!
//! One TOML file per policy document (format in docs/RULES.md): the document's header,
//! dated parameters, named definitions and items, each item with its clause, condition,
//! amount, rounding and test cases. [`Library::load`] takes the files' text (this crate does
//! no I/O: the caller reads the directory), parses and checks everything, and returns the
//! library with every problem found, each with file, line and column.
//!
//! Parameters, definitions and item ids are global to the library: a definition in one file
//! (`small_low_profit`) serves items in others. The parameters and definitions, what
//! evaluation needs besides the items, are the [`Program`] (`crate::program`); source
//! files and positions in them are `crate::source`.

use crate::check::{Checker, DefSource, ParamShape, RawDiag, TExpr, TKind, Type};
use crate::error::{Diagnostic, Error, Location};
use crate::eval::{self, Decision, Eligibility};
pub use crate::kind::{BenefitKind, Period, PeriodKind};
use crate::plan::Plan;
pub use crate::program::{Band, Param, ParamValue, Program};
use crate::program::{ParamDoc, load_param, toml_date, toml_decimal};
pub use crate::source::{LineIndex, SourceFile, line_col};
use crate::syntax::{self, Span};
use chrono::NaiveDate;
use enterprise::{FactDictionary, Facts};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// The level of government that issued a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    National,
    Provincial,
    Municipal,
    Zone,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "national" => Level::National,
            "provincial" => Level::Provincial,
            "municipal" => Level::Municipal,
            "zone" => Level::Zone,
            _ => return None,
        })
    }
}

/// A validity window, both ends inclusive; `to: None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Window {
    pub fn contains(&self, d: NaiveDate) -> bool {
        d >= self.from && self.to.is_none_or(|t| d <= t)
    }
}

/// How an item's amount is rounded: to `places` decimals (2 = the fen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounding {
    pub places: u32,
    pub strategy: RoundingStrategy,
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding { places: 2, strategy: RoundingStrategy::MidpointAwayFromZero }
    }
}

impl Rounding {
    /// Rounds and shows exactly `places` decimals (`100` → `100.00`).
    pub fn apply(&self, d: Decimal) -> Decimal {
        let mut r = d.round_dp_with_strategy(self.places, self.strategy);
        r.rescale(self.places);
        r
    }
}

/// A test case of an item: facts in, decision and amount out.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub date: NaiveDate,
    pub facts: Facts,
    pub outcome: Eligibility,
    pub amount: Option<Decimal>,
    /// Expected missing facts (`revenue[2021]`), when the case states them.
    pub missing: Option<Vec<String>>,
}

/// A policy item (条款).
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub title: String,
    /// The policy document's number (文号).
    pub document: String,
    pub policy: String,
    pub level: Level,
    /// How the benefit is obtained (`benefit_kind`, required in the file).
    pub benefit_kind: BenefitKind,
    /// Granted without application (免申即享): `benefit_kind.may_be_granted()`.
    pub no_application: bool,
    /// The granularity of the periods its decisions are for (`period`, default year).
    pub period: PeriodKind,
    /// Items this one replaces for the periods in which both are in force (`supersedes`).
    pub supersedes: Vec<String>,
    /// What claiming it takes beyond its kind (`claim_note`, Chinese), e.g. 加计抵减's 声明.
    pub claim_note: Option<String>,
    pub clause: String,
    pub note: Option<String>,
    pub window: Window,
    pub departments: Vec<String>,
    pub sample: bool,
    pub when: TExpr,
    pub amount: Option<TExpr>,
    pub rounding: Rounding,
    pub cases: Vec<Case>,
    pub location: Location,
}

/// A policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub issuer: String,
    pub document: String,
    pub level: Level,
    pub window: Window,
    pub departments: Vec<String>,
    /// Sample data with invented amounts (the zone's sample items).
    pub sample: bool,
    pub file: String,
    pub items: Vec<Item>,
}

/// The loaded policy library. Built by [`Library::load`] and not changed afterwards: the
/// compiled plans it keeps per date assume its program and items stay as loaded.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub program: Program,
    pub policies: Vec<Policy>,
    /// The items in force on recent dates, compiled for single-enterprise evaluation.
    plans: PlanCache,
}

/// Compiled [`Plan`]s of a library by evaluation date, the most recent [`PlanCache::KEEP`]
/// dates. A clone starts empty (it compiles again on first use).
#[derive(Default)]
struct PlanCache(std::sync::Mutex<Vec<(NaiveDate, std::sync::Arc<Plan>)>>);

impl PlanCache {
    const KEEP: usize = 8;

    fn get(&self, date: NaiveDate, compile: impl FnOnce() -> Plan) -> std::sync::Arc<Plan> {
        let cached = |v: &Vec<(NaiveDate, std::sync::Arc<Plan>)>| {
            v.iter().find(|(d, _)| *d == date).map(|(_, p)| p.clone())
        };
        if let Ok(v) = self.0.lock()
            && let Some(p) = cached(&v)
        {
            return p;
        }
        // Compiled outside the lock; a concurrent first use may compile twice, harmlessly.
        let plan = std::sync::Arc::new(compile());
        if let Ok(mut v) = self.0.lock() {
            if let Some(p) = cached(&v) {
                return p;
            }
            if v.len() >= Self::KEEP {
                v.remove(0);
            }
            v.push((date, plan.clone()));
        }
        plan
    }
}

impl Clone for PlanCache {
    fn clone(&self) -> Self {
        PlanCache::default()
    }
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanCache")
    }
}

/// The result of one test case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub file: String,
    pub item: String,
    pub case: String,
    pub passed: bool,
    /// What differed, when it failed.
    pub problem: Option<String>,
}

// ---------------------------------------------------------------------------------------
// File format

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    policy: PolicyDoc,
    #[serde(default)]
    param: BTreeMap<String, Spanned<ParamDoc>>,
    #[serde(default)]
    define: BTreeMap<String, Spanned<DefineDoc>>,
    #[serde(default)]
    item: Vec<ItemDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDoc {
    id: Spanned<String>,
    title: String,
    issuer: String,
    document: String,
    level: Spanned<String>,
    #[serde(default)]
    published: Option<toml::Value>,
    window: Spanned<WindowDoc>,
    #[serde(default)]
    departments: Vec<String>,
    #[serde(default)]
    sample: bool,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowDoc {
    from: toml::Value,
    #[serde(default)]
    to: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefineDoc {
    #[serde(default)]
    description: String,
    expr: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemDoc {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    benefit_kind: Option<Spanned<String>>,
    /// The old flag, accepted when it agrees with `benefit_kind`.
    #[serde(default)]
    no_application: Option<Spanned<bool>>,
    #[serde(default)]
    period: Option<Spanned<String>>,
    #[serde(default)]
    supersedes: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    claim_note: Option<String>,
    clause: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    window: Option<Spanned<WindowDoc>>,
    #[serde(default)]
    departments: Option<Vec<String>>,
    when: Spanned<String>,
    #[serde(default)]
    amount: Option<Spanned<String>>,
    #[serde(default)]
    rounding: Option<RoundingDoc>,
    #[serde(default)]
    case: Vec<Spanned<CaseDoc>>,
}

/// `supersedes = "id"` or `supersedes = ["a", "b"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundingDoc {
    #[serde(default = "two")]
    places: u32,
    #[serde(default)]
    mode: Option<String>,
}

fn two() -> u32 {
    2
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseDoc {
    name: String,
    date: toml::Value,
    #[serde(default)]
    facts: toml::Table,
    outcome: String,
    #[serde(default)]
    amount: Option<toml::Value>,
    #[serde(default)]
    missing: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------
// Loading

struct Loader<'f> {
    files: &'f [SourceFile],
    /// One line index per file, built once: every location is then a binary search.
    lines: Vec<LineIndex>,
    /// Expression sources: (file index, byte offset of the expression text in the file).
    srcs: Vec<(usize, usize)>,
    diags: Vec<Diagnostic>,
}

impl<'f> Loader<'f> {
    fn loc(&self, file: usize, pos: usize) -> Location {
        let f = &self.files[file];
        let (line, column) = self.lines[file].line_col(&f.text, pos);
        Location { file: f.name.clone(), line, column }
    }

    fn push(&mut self, file: usize, pos: usize, error: Error) {
        let location = self.loc(file, pos);
        self.diags.push(Diagnostic { location, error });
    }

    /// Registers an expression string (its TOML span) and returns its source id.
    fn register(&mut self, file: usize, s: &Spanned<String>) -> usize {
        let text = &self.files[file].text;
        let start = s.span().start;
        let rest = text.get(start..).unwrap_or("");
        let base = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            let after = start + 3;
            if text.get(after..).is_some_and(|r| r.starts_with("\r\n")) {
                after + 2
            } else if text.get(after..).is_some_and(|r| r.starts_with('\n')) {
                after + 1
            } else {
                after
            }
        } else {
            start + 1
        };
        self.srcs.push((file, base));
        self.srcs.len() - 1
    }

    fn raw(&mut self, d: RawDiag) {
        let (file, base) = self.srcs.get(d.src).copied().unwrap_or((0, 0));
        self.push(file, base + d.span.start, d.error);
    }

    fn parse_expr(&mut self, file: usize, s: &Spanned<String>) -> (usize, syntax::Expr) {
        let src = self.register(file, s);
        let (e, errs) = syntax::parse(s.get_ref());
        for err in errs {
            let span = err.span();
            self.raw(RawDiag { src, span, error: Error::Syntax(err) });
        }
        (src, e)
    }
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => J::String(f.to_string()),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

struct PendingItem {
    file: usize,
    policy: usize,
    doc: ItemDoc,
    when: (usize, syntax::Expr),
    amount: Option<(usize, syntax::Expr)>,
}

impl Library {
    /// Parses and checks policy files. Always returns a library (items with problems carry
    /// an error tree) and every problem found; a library with problems must not be used
    /// for decisions.
    pub fn load(files: &[SourceFile], dict: &FactDictionary) -> (Library, Vec<Diagnostic>) {
        let lines = files.iter().map(|f| LineIndex::new(&f.text)).collect();
        let mut l = Loader { files, lines, srcs: Vec::new(), diags: Vec::new() };
        let mut lib = Library::default();
        let mut shapes: BTreeMap<String, ParamShape> = BTreeMap::new();
        let mut def_srcs: BTreeMap<String, DefSource> = BTreeMap::new();
        let mut first_seen: BTreeMap<String, Location> = BTreeMap::new();
        let mut pending: Vec<PendingItem> = Vec::new();

        for (fi, f) in files.iter().enumerate() {
            let doc: FileDoc = match toml::from_str(&f.text) {
                Ok(d) => d,
                Err(e) => {
                    let pos = e.span().map(|s| s.start).unwrap_or(0);
                    l.push(fi, pos, Error::Toml { reason: e.message().to_string() });
                    continue;
                }
            };
            let p = &doc.policy;
            let ppos = p.id.span().start;
            let level = Level::parse(p.level.get_ref()).unwrap_or_else(|| {
                l.push(
                    fi,
                    p.level.span().start,
                    Error::Field {
                        field: "policy.level".into(),
                        reason: format!(
                            "'{}' is not one of national, provincial, municipal, zone",
                            p.level.get_ref()
                        ),
                    },
                );
                Level::Zone
            });
            let window = window(&mut l, fi, &p.window, "policy.window")
                .unwrap_or(Window { from: NaiveDate::MIN, to: None });
            if let Some(v) = &p.published
                && toml_date(v).is_none()
            {
                l.push(
                    fi,
                    ppos,
                    Error::Field {
                        field: "policy.published".into(),
                        reason: "expected a date YYYY-MM-DD".into(),
                    },
                );
            }
            let _ = (&p.source, &p.note);
            // Parameters.
            for (name, pd) in &doc.param {
                let pos = pd.span().start;
                if let Some(first) = first_seen.get(name) {
                    l.push(fi, pos, Error::DuplicateName { name: name.clone(), first: first.to_string() });
                    continue;
                }
                first_seen.insert(name.clone(), l.loc(fi, pos));
                let (param, errors) = load_param(name, pd.get_ref(), l.loc(fi, pos));
                for e in errors {
                    l.push(fi, pos, e);
                }
                if let Some(param) = param {
                    if dict.get(name).is_some() {
                        l.push(
                            fi,
                            pos,
                            Error::DuplicateName { name: name.clone(), first: "docs/FACTS.md".into() },
                        );
                    }
                    shapes.insert(name.clone(), param.shape);
                    lib.program.params.insert(name.clone(), param);
                }
            }
            // Definitions.
            for (name, dd) in &doc.define {
                let pos = dd.span().start;
                if let Some(first) = first_seen.get(name) {
                    l.push(fi, pos, Error::DuplicateName { name: name.clone(), first: first.to_string() });
                    continue;
                }
                if dict.get(name).is_some() {
                    l.push(
                        fi,
                        pos,
                        Error::DuplicateName { name: name.clone(), first: "docs/FACTS.md".into() },
                    );
                }
                first_seen.insert(name.clone(), l.loc(fi, pos));
                let (src, expr) = l.parse_expr(fi, &dd.get_ref().expr);
                lib.program.def_descriptions.insert(name.clone(), dd.get_ref().description.clone());
                def_srcs.insert(name.clone(), DefSource { expr, src });
            }
            let policy_index = lib.policies.len();
            lib.policies.push(Policy {
                id: p.id.get_ref().clone(),
                title: p.title.clone(),
                issuer: p.issuer.clone(),
                document: p.document.clone(),
                level,
                window,
                departments: p.departments.clone(),
                sample: p.sample,
                file: f.name.clone(),
                items: Vec::new(),
            });
            for item in doc.item {
                let key = format!("item {}", item.id.get_ref());
                if let Some(first) = first_seen.get(&key) {
                    l.push(
                        fi,
                        item.id.span().start,
                        Error::DuplicateName { name: item.id.get_ref().clone(), first: first.to_string() },
                    );
                    continue;
                }
                first_seen.insert(key, l.loc(fi, item.id.span().start));
                let when = l.parse_expr(fi, &item.when);
                let amount = item.amount.as_ref().map(|a| l.parse_expr(fi, a));
                pending.push(PendingItem { file: fi, policy: policy_index, doc: item, when, amount });
            }
        }

        // Type-check definitions, then items.
        let mut checker = Checker::new(dict, &shapes, &def_srcs);
        checker.check_all_defs();
        let mut checked = Vec::new();
        for p in &pending {
            let when = checker.check_expr(p.when.0, &p.when.1);
            checker.expect(&when, Type::Bool, "when");
            let amount = p.amount.as_ref().map(|(src, e)| {
                let t = checker.check_expr(*src, e);
                checker.expect(&t, Type::Money, "amount");
                t
            });
            checked.push((when, amount));
        }
        lib.program.defs = std::mem::take(&mut checker.checked_defs);
        let raw = std::mem::take(&mut checker.diags);
        drop(checker);
        for d in raw {
            l.raw(d);
        }

        let mut supersede_checks: Vec<(usize, usize, String, PeriodKind, Vec<String>)> = Vec::new();
        for (p, (when, amount)) in pending.into_iter().zip(checked) {
            let fi = p.file;
            let pos = p.doc.id.span().start;
            let policy = &lib.policies[p.policy];
            let item_window = match &p.doc.window {
                Some(w) => window(&mut l, fi, w, "item.window").unwrap_or(policy.window),
                None => policy.window,
            };
            let rounding = match &p.doc.rounding {
                None => Rounding::default(),
                Some(r) => {
                    let strategy = match r.mode.as_deref().unwrap_or("half_away_from_zero") {
                        "half_away_from_zero" => RoundingStrategy::MidpointAwayFromZero,
                        "half_even" => RoundingStrategy::MidpointNearestEven,
                        "down" => RoundingStrategy::ToZero,
                        "up" => RoundingStrategy::AwayFromZero,
                        other => {
                            l.push(
                                fi,
                                pos,
                                Error::Field {
                                    field: "rounding.mode".into(),
                                    reason: format!(
                                        "'{other}' is not one of half_away_from_zero, half_even, down, up"
                                    ),
                                },
                            );
                            RoundingStrategy::MidpointAwayFromZero
                        }
                    };
                    Rounding { places: r.places.min(10), strategy }
                }
            };
            // Every parameter the item uses needs a value when the item starts.
            let mut used = BTreeSet::new();
            let mut seen_defs = BTreeSet::new();
            collect_params(&lib.program, &when, &mut used, &mut seen_defs);
            if let Some(a) = &amount {
                collect_params(&lib.program, a, &mut used, &mut seen_defs);
            }
            for name in &used {
                if let Some(param) = lib.program.params.get(name)
                    && param.at(item_window.from).is_none()
                {
                    l.push(
                        fi,
                        pos,
                        Error::ParamNoValue { param: name.clone(), date: item_window.from.to_string() },
                    );
                }
            }
            let mut cases = Vec::new();
            for c in &p.doc.case {
                let cpos = c.span().start;
                let c = c.get_ref();
                let bad = |reason: String| Error::CaseFacts { case: c.name.clone(), reason };
                let Some(date) = toml_date(&c.date) else {
                    l.push(fi, cpos, bad("date: expected YYYY-MM-DD".into()));
                    continue;
                };
                if !item_window.contains(date) {
                    l.push(fi, cpos, bad(format!("date {date} is outside the item's window")));
                }
                let facts = match Facts::from_json(dict, &toml_to_json(&toml::Value::Table(c.facts.clone())))
                {
                    Ok(f) => f,
                    Err(errs) => {
                        for e in errs {
                            l.push(fi, cpos, bad(e.to_string()));
                        }
                        continue;
                    }
                };
                let Some(outcome) = Eligibility::parse(&c.outcome) else {
                    l.push(
                        fi,
                        cpos,
                        bad(format!("outcome '{}' is not eligible, ineligible or undetermined", c.outcome)),
                    );
                    continue;
                };
                let amount = match &c.amount {
                    None => None,
                    Some(v) => match toml_decimal(v) {
                        Some(d) => Some(d),
                        None => {
                            l.push(fi, cpos, bad("amount: expected a decimal string".into()));
                            continue;
                        }
                    },
                };
                cases.push(Case {
                    name: c.name.clone(),
                    date,
                    facts,
                    outcome,
                    amount,
                    missing: c.missing.clone(),
                });
            }
            let item_id = p.doc.id.get_ref().clone();
            let benefit_kind = match &p.doc.benefit_kind {
                None => {
                    l.push(
                        fi,
                        pos,
                        Error::BenefitKindMissing { item: item_id.clone(), allowed: BenefitKind::allowed() },
                    );
                    BenefitKind::Status
                }
                Some(k) => BenefitKind::parse(k.get_ref()).unwrap_or_else(|| {
                    l.push(
                        fi,
                        k.span().start,
                        Error::BenefitKindUnknown {
                            item: item_id.clone(),
                            found: k.get_ref().clone(),
                            allowed: BenefitKind::allowed(),
                        },
                    );
                    BenefitKind::Status
                }),
            };
            if let Some(na) = &p.doc.no_application
                && p.doc.benefit_kind.is_some()
                && *na.get_ref() != benefit_kind.may_be_granted()
            {
                l.push(
                    fi,
                    na.span().start,
                    Error::NoApplicationConflict {
                        item: item_id.clone(),
                        kind: benefit_kind.as_str().into(),
                    },
                );
            }
            let period = match &p.doc.period {
                None => PeriodKind::default(),
                Some(k) => PeriodKind::parse(k.get_ref()).unwrap_or_else(|| {
                    l.push(
                        fi,
                        k.span().start,
                        Error::PeriodUnknown { item: item_id.clone(), found: k.get_ref().clone() },
                    );
                    PeriodKind::default()
                }),
            };
            let loc = l.loc(fi, pos);
            let policy = &mut lib.policies[p.policy];
            let mut d = p.doc;
            let supersedes = match d.supersedes.take() {
                None => Vec::new(),
                Some(s) => {
                    let at = s.span().start;
                    let ids = s.into_inner().into_vec();
                    supersede_checks.push((fi, at, item_id.clone(), period, ids.clone()));
                    ids
                }
            };
            policy.items.push(Item {
                id: d.id.into_inner(),
                title: d.title,
                document: policy.document.clone(),
                policy: policy.id.clone(),
                level: policy.level,
                benefit_kind,
                no_application: benefit_kind.may_be_granted(),
                period,
                supersedes,
                claim_note: d.claim_note.take(),
                clause: d.clause,
                note: d.note,
                window: item_window,
                departments: d.departments.unwrap_or_else(|| policy.departments.clone()),
                sample: policy.sample,
                when,
                amount,
                rounding,
                cases,
                location: loc,
            });
        }
        // Each replaced item exists and has periods of the same kind.
        let periods: BTreeMap<&str, PeriodKind> = lib.items().map(|i| (i.id.as_str(), i.period)).collect();
        for (fi, at, item, period, targets) in supersede_checks {
            for target in targets {
                let error = if target == item {
                    Error::SupersedesItself { item: item.clone() }
                } else {
                    match periods.get(target.as_str()) {
                        None => Error::SupersedesUnknown {
                            nearest: i18n::suggest::nearest_one(&target, periods.keys().copied())
                                .map(str::to_string),
                            item: item.clone(),
                            target,
                        },
                        Some(other) if *other != period => Error::SupersedesPeriod {
                            item: item.clone(),
                            target,
                            period: period.as_str().into(),
                            other: other.as_str().into(),
                        },
                        Some(_) => continue,
                    }
                };
                l.push(fi, at, error);
            }
        }
        let mut diags = l.diags;
        diags.sort_by(|a, b| {
            (&a.location.file, a.location.line, a.location.column).cmp(&(
                &b.location.file,
                b.location.line,
                b.location.column,
            ))
        });
        diags.dedup();
        (lib, diags)
    }

    /// Who grants an item and how it is claimed, in Chinese: its kind's line, then its own
    /// `claim_note` (加计抵减: the 声明 must be filed).
    pub fn how_claimed(item: &Item) -> String {
        match &item.claim_note {
            Some(n) => format!("{}；{n}", item.benefit_kind.how_zh()),
            None => item.benefit_kind.how_zh().to_string(),
        }
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.policies.iter().flat_map(|p| p.items.iter())
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items().find(|i| i.id == id)
    }

    /// The items whose window contains `date`.
    pub fn items_in_force(&self, date: NaiveDate) -> Vec<&Item> {
        self.items().filter(|i| i.window.contains(date)).collect()
    }

    /// The items in force on `date`, compiled (once per date, then cached).
    fn plan(&self, date: NaiveDate) -> (Vec<&Item>, std::sync::Arc<Plan>) {
        let items = self.items_in_force(date);
        let plan = self.plans.get(date, || Plan::compile(&self.program, &items, date));
        (items, plan)
    }

    /// Decides one item for one enterprise: with the compiled plan when the item is one of
    /// this library's items in force on `date`, else with the tree-walking evaluator (same
    /// decision).
    pub fn evaluate(&self, item: &Item, facts: &Facts, date: NaiveDate) -> Decision {
        let (items, plan) = self.plan(date);
        items
            .iter()
            .position(|i| std::ptr::eq(*i, item))
            .and_then(|k| plan.evaluate(&self.program, k, item, facts))
            .unwrap_or_else(|| eval::evaluate(&self.program, item, facts, date))
    }

    /// Decides every item in force on `date` (the compiled plan: each fact read once, each
    /// named definition evaluated once).
    pub fn evaluate_all(&self, facts: &Facts, date: NaiveDate) -> Vec<Decision> {
        let (items, plan) = self.plan(date);
        let mut out = plan.evaluate_all(&self.program, &items, facts);
        mark_superseded(&items, &mut out);
        out
    }

    /// Decides every item on `date`, annual items (`period = "year"`) for the tax year
    /// `tax_year` (default: the year `date` falls in, which is [`Library::evaluate_all`]).
    /// See [`Library::as_of`] for which items and on which day.
    pub fn evaluate_all_for(&self, facts: &Facts, date: NaiveDate, tax_year: Option<i32>) -> Vec<Decision> {
        let Some(year) = tax_year else { return self.evaluate_all(facts, date) };
        let mut items = Vec::new();
        let mut out = Vec::new();
        for item in self.items() {
            if let Some(day) = Library::as_of(item, date, year) {
                out.push(self.evaluate(item, facts, day));
                items.push(item);
            }
        }
        mark_superseded(&items, &mut out);
        out
    }

    /// The day an item is decided on for an evaluation on `date` with the tax year `year`,
    /// or `None` when it is not decided. An annual item is decided for the year when its
    /// window overlaps the year up to `date`, on the earliest of `date`, the year's last day
    /// and its window's last day (so the 2022 settlement in May 2023 reads the 2022 facts
    /// and the parameters in force at the end of 2022); other items on `date` when in force.
    pub fn as_of(item: &Item, date: NaiveDate, year: i32) -> Option<NaiveDate> {
        if item.period != PeriodKind::Year {
            return item.window.contains(date).then_some(date);
        }
        let (first, last) = Period::Year(year).bounds();
        let cap = date.min(last);
        if cap < first || item.window.from > cap || item.window.to.is_some_and(|t| t < first) {
            return None;
        }
        Some(item.window.to.map_or(cap, |t| t.min(cap)))
    }

    /// For each item of `items` that another item of `items` replaces (`supersedes`), the
    /// replacing item's id: what totals over these items leave out (decided on one date,
    /// their periods are the same).
    pub fn superseded_among(items: &[&Item]) -> BTreeMap<String, String> {
        let ids: BTreeSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let mut out = BTreeMap::new();
        for i in items {
            for t in &i.supersedes {
                if ids.contains(t.as_str()) {
                    out.entry(t.clone()).or_insert_with(|| i.id.clone());
                }
            }
        }
        out
    }

    /// The parameters and named definitions an item uses, following definitions into
    /// their bodies: what a reviewer reads beside the rule and what a simulation may set.
    pub fn names_used(&self, item: &Item) -> (BTreeSet<String>, BTreeSet<String>) {
        use crate::check::{Func, TKind};
        let mut params = BTreeSet::new();
        let mut defs = BTreeSet::new();
        let mut todo: Vec<&crate::check::TExpr> = vec![&item.when];
        todo.extend(item.amount.as_ref());
        while let Some(e) = todo.pop() {
            e.walk(&mut |n| match &n.kind {
                TKind::Param(p) | TKind::Call(Func::Table(p), _) => {
                    params.insert(p.clone());
                }
                TKind::Def(d) => {
                    if defs.insert(d.clone())
                        && let Some(body) = self.program.defs.get(d)
                    {
                        todo.push(body);
                    }
                }
                _ => {}
            });
        }
        (params, defs)
    }

    /// Runs every item's test cases.
    pub fn run_cases(&self) -> Vec<CaseReport> {
        let mut out = Vec::new();
        for p in &self.policies {
            for item in &p.items {
                for c in &item.cases {
                    let d = self.evaluate(item, &c.facts, c.date);
                    let mut problems = Vec::new();
                    if d.outcome != c.outcome {
                        problems.push(format!(
                            "outcome: expected {}, got {}",
                            c.outcome.as_str(),
                            d.outcome.as_str()
                        ));
                    }
                    if d.amount != c.amount {
                        let show =
                            |a: Option<Decimal>| a.map(|x| x.to_string()).unwrap_or_else(|| "none".into());
                        problems.push(format!("amount: expected {}, got {}", show(c.amount), show(d.amount)));
                    }
                    if let Some(m) = &c.missing {
                        let got: Vec<String> = d.missing_facts.iter().map(ToString::to_string).collect();
                        let mut want = m.clone();
                        want.sort();
                        let mut got_sorted = got.clone();
                        got_sorted.sort();
                        if want != got_sorted {
                            problems.push(format!("missing facts: expected {want:?}, got {got:?}"));
                        }
                    }
                    out.push(CaseReport {
                        file: p.file.clone(),
                        item: item.id.clone(),
                        case: c.name.clone(),
                        passed: problems.is_empty(),
                        problem: (!problems.is_empty()).then(|| problems.join("; ")),
                    });
                }
            }
        }
        out
    }
}

/// Marks each decision whose item another decided item replaces for the same period.
fn mark_superseded(items: &[&Item], decisions: &mut [Decision]) {
    if items.iter().all(|i| i.supersedes.is_empty()) {
        return;
    }
    let period: BTreeMap<&str, Period> = decisions.iter().map(|d| (d.item.as_str(), d.period)).collect();
    let mut by: BTreeMap<String, String> = BTreeMap::new();
    for (i, d) in items.iter().zip(decisions.iter()) {
        for t in &i.supersedes {
            if period.get(t.as_str()) == Some(&d.period) {
                by.entry(t.clone()).or_insert_with(|| i.id.clone());
            }
        }
    }
    for d in decisions.iter_mut() {
        d.superseded_by = by.get(&d.item).cloned();
    }
}

fn collect_params(prog: &Program, e: &TExpr, used: &mut BTreeSet<String>, seen: &mut BTreeSet<String>) {
    e.walk(&mut |n| match &n.kind {
        TKind::Param(p) => {
            used.insert(p.clone());
        }
        TKind::Call(crate::check::Func::Table(p), _) => {
            used.insert(p.clone());
        }
        TKind::Def(d) => {
            if seen.insert(d.clone())
                && let Some(body) = prog.defs.get(d)
            {
                collect_params(prog, body, used, seen);
            }
        }
        _ => {}
    });
}

fn window(l: &mut Loader<'_>, fi: usize, w: &Spanned<WindowDoc>, field: &str) -> Option<Window> {
    let pos = w.span().start;
    let from = toml_date(&w.get_ref().from);
    let to = w.get_ref().to.as_ref().map(toml_date);
    match (from, to) {
        (Some(from), None) => Some(Window { from, to: None }),
        (Some(from), Some(Some(to))) if to >= from => Some(Window { from, to: Some(to) }),
        (Some(_), Some(Some(_))) => {
            l.push(fi, pos, Error::Field { field: field.into(), reason: "'to' is before 'from'".into() });
            None
        }
        _ => {
            l.push(fi, pos, Error::Field { field: field.into(), reason: "dates must be YYYY-MM-DD".into() });
            None
        }
    }
}

/// A span in an expression, for callers that check single expressions.
pub fn expression_span(s: Span) -> (usize, usize) {
    (s.start, s.end)
}
