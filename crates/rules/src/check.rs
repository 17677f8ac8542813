//! The type checker: resolves names (definitions, then parameters, then facts), checks
//! types, and produces the typed tree ([`TExpr`]) that the evaluators run.
//!
//! Types: bool, integer, money (exact yuan), ratio, date, code (and text), tags. Money only
//! meets money, except that a number literal may stand next to it (`revenue[year] > 0`);
//! integers and ratios mix (the result is a ratio). Every problem is reported with its span;
//! an ill-typed node gets the type `Error`, which silences follow-on reports.

use crate::error::Error;
use crate::syntax::{BinOp, Expr, ExprKind, Span, UnOp};
use crate::value::Value;
use enterprise::{FactDictionary, FactType};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod call;
mod print;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Type {
    Bool,
    Integer,
    Money,
    Ratio,
    Date,
    Code,
    Tags,
    /// An ill-typed expression, already reported.
    Error,
}

impl Type {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Type> {
        s.parse().ok().filter(|t| *t != Type::Error)
    }
    pub fn of_fact(t: FactType) -> Type {
        match t {
            FactType::Bool => Type::Bool,
            FactType::Integer => Type::Integer,
            FactType::Money => Type::Money,
            FactType::Ratio => Type::Ratio,
            FactType::Date => Type::Date,
            FactType::Code | FactType::Text => Type::Code,
            FactType::Tags => Type::Tags,
        }
    }
    fn numeric(self) -> bool {
        matches!(self, Type::Integer | Type::Money | Type::Ratio)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shape of a parameter, for the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamShape {
    Scalar(Type),
    /// A tiered table: a band is chosen by a key of type `key` and yields a `value`.
    Table {
        key: Type,
        value: Type,
    },
}

/// Built-in functions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Func {
    Min,
    Max,
    Abs,
    /// `round(x, places)`, half away from zero; `places` is a literal.
    Round(u32),
    AddWorkdays,
    SubWorkdays,
    WorkdaysBetween,
    YearOf,
    /// `size_class(year - 1)`: the 2011 size standard in force on the evaluation date over
    /// `industry_code`, `employees[y]`, `revenue[y]`, `total_assets[y]` (the arguments are
    /// filled in by the checker).
    SizeClass,
    /// `vat_refund_size(year - 1)`: 留抵退税's size by 公告2022年第14号 第六条 over `year`,
    /// `industry_code`, `established_on`, `vat_sales[y]`, `vat_sales_months[y]`,
    /// `total_assets_year_end[y]` (the arguments are filled in by the checker).
    VatRefundSize,
    IndustrySection,
    IndustryDivision,
    /// A tiered table parameter used as a function.
    Table(String),
}

pub const FUNCTIONS: &[&str] = &[
    "min",
    "max",
    "abs",
    "round",
    "add_workdays",
    "sub_workdays",
    "workdays_between",
    "year_of",
    "date",
    "size_class",
    "vat_refund_size",
    "industry_section",
    "industry_division",
];

/// A typed, resolved expression.
#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TKind {
    Const(Value),
    Fact(String),
    /// A per-year fact; the index depends only on `year`, literals and parameters.
    FactYear(String, Box<TExpr>),
    Param(String),
    Def(String),
    Year,
    Today,
    Unary(UnOp, Box<TExpr>),
    Binary(BinOp, Box<TExpr>, Box<TExpr>),
    In(Box<TExpr>, Vec<TExpr>, bool),
    Between(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    If(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    Call(Func, Vec<TExpr>),
    Error,
}

impl TExpr {
    /// Whether the value depends on no enterprise fact (only on the date and parameters).
    pub fn is_static(&self) -> bool {
        match &self.kind {
            TKind::Const(_) | TKind::Param(_) | TKind::Year | TKind::Today => true,
            TKind::Unary(_, a) => a.is_static(),
            TKind::Binary(_, a, b) => a.is_static() && b.is_static(),
            _ => false,
        }
    }

    /// Visits every node, parents first.
    pub fn walk(&self, f: &mut dyn FnMut(&TExpr)) {
        f(self);
        match &self.kind {
            TKind::FactYear(_, a) | TKind::Unary(_, a) => a.walk(f),
            TKind::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            TKind::In(a, l, _) => {
                a.walk(f);
                l.iter().for_each(|x| x.walk(f));
            }
            TKind::Between(a, b, c) | TKind::If(a, b, c) => {
                a.walk(f);
                b.walk(f);
                c.walk(f);
            }
            TKind::Call(_, args) => args.iter().for_each(|x| x.walk(f)),
            _ => {}
        }
    }
}

/// Where a diagnostic was found: an expression source id (the loader maps it to a file
/// position) and a span inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDiag {
    pub src: usize,
    pub span: Span,
    pub error: Error,
}

/// A named definition waiting to be (or already) checked.
#[derive(Debug, Clone)]
pub struct DefSource {
    pub expr: Expr,
    pub src: usize,
}

/// The tallest an expression may be with the definitions it uses written out (each use
/// of a definition replaced by its body): what the evaluators, the compiled plan and the
/// batch compiler recurse through. The same number as the parser's
/// [`syntax::MAX_HEIGHT`](crate::syntax::MAX_HEIGHT), which bounds one expression alone.
pub const MAX_EXPANDED_HEIGHT: usize = crate::syntax::MAX_HEIGHT;

/// The most nodes an expression may have with the definitions it uses written out. A
/// definition that uses the one below it twice doubles at each layer (60 layers of
/// `e_i = e_{i-1} + e_{i-1}`, a 2 KB file, would be 2^60 nodes); code that inlines
/// definitions (the batch compiler, explanations) stays within this many steps per item.
pub const MAX_EXPANDED_SIZE: u64 = 20_000;

/// What a definition or expression amounts to when its definitions are written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expanded {
    height: usize,
    size: u64,
}

impl Expanded {
    fn too_big(self) -> bool {
        self.height > MAX_EXPANDED_HEIGHT || self.size > MAX_EXPANDED_SIZE
    }
}

/// The shape of one expression's tree: its height, its node count, and every use of a
/// definition with its depth (the root is at depth 1). Walked with an explicit stack:
/// no recursion, whatever the tree.
struct Shape<'e> {
    height: usize,
    size: u64,
    uses: Vec<(usize, &'e str, Span)>,
}

fn shape<'e>(e: &'e Expr, defs: &BTreeMap<String, DefSource>) -> Shape<'e> {
    let mut out = Shape { height: 0, size: 0, uses: Vec::new() };
    let mut todo: Vec<(&Expr, usize)> = vec![(e, 1)];
    while let Some((e, depth)) = todo.pop() {
        out.height = out.height.max(depth);
        out.size += 1;
        let d = depth + 1;
        match &e.kind {
            ExprKind::Name(n) if defs.contains_key(n) => out.uses.push((depth, n.as_str(), e.span)),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => todo.extend([(&**a, d), (&**b, d)]),
            ExprKind::Unary(_, a) => todo.push((a, d)),
            ExprKind::Call(_, args) => todo.extend(args.iter().map(|a| (a, d))),
            ExprKind::In { value, list, .. } => {
                todo.push((value, d));
                todo.extend(list.iter().map(|a| (a, d)));
            }
            ExprKind::Between { value: a, low: b, high: c } | ExprKind::If { cond: a, then: b, els: c } => {
                todo.extend([(&**a, d), (&**b, d), (&**c, d)])
            }
            _ => {}
        }
    }
    out
}

/// An expression's size written out, given its definitions'. A use of a definition stays a
/// node with the body below it, as the evaluators walk it (so a chain of definitions that
/// only name the next one is as deep as it is long); a cycle's back reference counts as a
/// leaf (the checker reports the cycle). Also the use to blame when it is too big: the one
/// reaching deepest, or else the largest.
fn expand(sh: &Shape<'_>, done: &BTreeMap<String, Expanded>) -> (Expanded, Option<Span>) {
    let mut x = Expanded { height: sh.height, size: sh.size };
    let mut deepest: Option<(usize, Span)> = None;
    let mut largest: Option<(u64, Span)> = None;
    for &(depth, name, span) in &sh.uses {
        let Some(d) = done.get(name) else { continue };
        let h = depth + d.height;
        x.height = x.height.max(h);
        x.size = x.size.saturating_add(d.size);
        // Ties go to the first use in the text.
        if deepest.is_none_or(|(bh, bspan)| h > bh || h == bh && span.start < bspan.start) {
            deepest = Some((h, span));
        }
        if largest.is_none_or(|(bs, bspan)| d.size > bs || d.size == bs && span.start < bspan.start) {
            largest = Some((d.size, span));
        }
    }
    let blame = if x.height > MAX_EXPANDED_HEIGHT { deepest.map(|d| d.1) } else { largest.map(|l| l.1) };
    (x, blame)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefState {
    Checking,
    Done(Type),
}

/// Checks expressions against the fact dictionary, the parameters and the definitions.
///
/// Definitions are checked in dependency order (each after the definitions it uses), so
/// checking never recurses from one definition into another: its depth is that of one
/// expression, whatever the library. Cycles and definitions too big written out are found
/// first, without recursion, by [`Checker::new`].
pub struct Checker<'a> {
    pub dict: &'a FactDictionary,
    pub params: &'a BTreeMap<String, ParamShape>,
    defs: &'a BTreeMap<String, DefSource>,
    state: BTreeMap<String, DefState>,
    /// The checked definitions.
    pub checked_defs: BTreeMap<String, TExpr>,
    pub diags: Vec<RawDiag>,
    src: usize,
    /// Every definition's size written out.
    expanded: BTreeMap<String, Expanded>,
    /// Definitions in dependency order: each after those it uses (but for cycles).
    order: Vec<String>,
    /// Definitions on a cycle (reported once per cycle).
    cyclic: BTreeSet<String>,
    /// Definitions whose bodies are being checked (more than one only out of order).
    checking: usize,
}

impl<'a> Checker<'a> {
    pub fn new(
        dict: &'a FactDictionary,
        params: &'a BTreeMap<String, ParamShape>,
        defs: &'a BTreeMap<String, DefSource>,
    ) -> Self {
        let mut c = Checker {
            dict,
            params,
            defs,
            state: BTreeMap::new(),
            checked_defs: BTreeMap::new(),
            diags: Vec::new(),
            src: 0,
            expanded: BTreeMap::new(),
            order: Vec::new(),
            cyclic: BTreeSet::new(),
            checking: 0,
        };
        c.order_defs();
        c
    }

    fn err(&mut self, span: Span, error: Error) {
        self.diags.push(RawDiag { src: self.src, span, error });
    }

    /// Walks the definitions depth first with an explicit path (a chain of 20,000
    /// definitions is 20,000 steps, not 20,000 nested calls), from each definition in name
    /// order: reports each cycle once (`a → b → c → a`, at the use that closes it), sizes
    /// every definition written out ([`MAX_EXPANDED_HEIGHT`], [`MAX_EXPANDED_SIZE`]) and
    /// records the dependency order. A definition too big is reported once, at the lowest
    /// one (whose uses are all within the limits), at the use that makes it too big; those
    /// above it are silently in error and never followed.
    fn order_defs(&mut self) {
        let shapes: BTreeMap<&str, Shape<'a>> =
            self.defs.iter().map(|(n, d)| (n.as_str(), shape(&d.expr, self.defs))).collect();
        let mut on_path: BTreeSet<&str> = BTreeSet::new();
        for (&root, _) in shapes.iter() {
            if self.expanded.contains_key(root) {
                continue;
            }
            // (definition, index of its next use to follow)
            let mut path: Vec<(&str, usize)> = vec![(root, 0)];
            on_path.insert(root);
            while let Some(&mut (name, ref mut next)) = path.last_mut() {
                let sh = &shapes[name];
                if let Some(&(_, used, span)) = sh.uses.get(*next) {
                    *next += 1;
                    if self.expanded.contains_key(used) || !shapes.contains_key(used) {
                        continue;
                    }
                    if on_path.contains(used) {
                        let from = path.iter().position(|(n, _)| *n == used).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                        self.cyclic.extend(cycle.iter().map(|n| n.to_string()));
                        cycle.push(used);
                        let src = self.defs[name].src;
                        let error = Error::DefinitionCycle { cycle: cycle.join(" → ") };
                        self.diags.push(RawDiag { src, span, error });
                        continue;
                    }
                    path.push((used, 0));
                    on_path.insert(used);
                    continue;
                }
                path.pop();
                on_path.remove(name);
                let (x, blame) = expand(sh, &self.expanded);
                let inherited =
                    sh.uses.iter().any(|(_, u, _)| self.expanded.get(*u).is_some_and(|d| d.too_big()));
                if x.too_big() && !inherited {
                    let span = blame.unwrap_or(self.defs[name].expr.span);
                    let src = self.defs[name].src;
                    self.diags.push(RawDiag { src, span, error: too_big_error(x) });
                }
                self.expanded.insert(name.to_string(), x);
                self.order.push(name.to_string());
            }
        }
    }

    /// Checks every definition, each after the definitions it uses.
    pub fn check_all_defs(&mut self) {
        for n in std::mem::take(&mut self.order) {
            self.def_type(&n);
        }
    }

    /// The type of a definition, checking it if it has not been. Its uses are checked
    /// already when called in dependency order ([`Checker::check_all_defs`]); a definition
    /// on a cycle or too big written out (both reported by [`Checker::new`]) is `Error`
    /// and not followed.
    fn def_type(&mut self, name: &str) -> Type {
        match self.state.get(name) {
            Some(DefState::Done(t)) => return *t,
            Some(DefState::Checking) => return Type::Error,
            None => {}
        }
        let Some(def) = self.defs.get(name) else { return Type::Error };
        if self.cyclic.contains(name) && self.checking > 0
            || self.expanded.get(name).is_some_and(|x| x.too_big())
        {
            self.state.insert(name.to_string(), DefState::Done(Type::Error));
            return Type::Error;
        }
        self.state.insert(name.to_string(), DefState::Checking);
        let saved = self.src;
        self.src = def.src;
        self.checking += 1;
        let t = self.check(&def.expr);
        self.checking -= 1;
        self.src = saved;
        let ty = t.ty;
        self.checked_defs.insert(name.to_string(), t);
        self.state.insert(name.to_string(), DefState::Done(ty));
        ty
    }

    /// Checks one expression from source `src`; the result has type `Error` if anything
    /// was wrong (and the problems are in `diags`).
    pub fn check_expr(&mut self, src: usize, e: &Expr) -> TExpr {
        self.src = src;
        let sh = shape(e, self.defs);
        let (x, blame) = expand(&sh, &self.expanded);
        if x.too_big() {
            if !sh.uses.iter().any(|(_, u, _)| self.expanded.get(*u).is_some_and(|d| d.too_big())) {
                self.err(blame.unwrap_or(e.span), too_big_error(x));
            }
            return TExpr { kind: TKind::Error, ty: Type::Error, span: e.span };
        }
        self.check(e)
    }

    /// Requires a type; reports otherwise.
    pub fn expect(&mut self, t: &TExpr, expected: Type, what: &str) -> bool {
        if t.ty == Type::Error {
            return false;
        }
        if t.ty != expected {
            self.err(
                t.span,
                Error::ExpectedType {
                    what: what.to_string(),
                    expected: expected.to_string(),
                    found: t.ty.to_string(),
                },
            );
            return false;
        }
        true
    }

    /// The known name (fact, parameter or definition) nearest to an unknown one.
    fn nearest_name(&self, name: &str) -> Option<String> {
        let candidates = self
            .dict
            .iter()
            .map(|d| d.id.as_str())
            .chain(self.params.keys().map(String::as_str))
            .chain(self.defs.keys().map(String::as_str));
        i18n::suggest::nearest_one(name, candidates).map(str::to_string)
    }

    fn check(&mut self, e: &Expr) -> TExpr {
        let span = e.span;
        let mk = |kind: TKind, ty: Type| TExpr { kind, ty, span };
        match &e.kind {
            ExprKind::Error => mk(TKind::Error, Type::Error),
            ExprKind::Bool(b) => mk(TKind::Const(Value::Bool(*b)), Type::Bool),
            ExprKind::Int(i) => mk(TKind::Const(Value::Num((*i).into())), Type::Integer),
            ExprKind::Dec(d) => mk(TKind::Const(Value::Num(*d)), Type::Ratio),
            ExprKind::Str(s) => mk(TKind::Const(Value::Str(s.clone())), Type::Code),
            ExprKind::Year => mk(TKind::Year, Type::Integer),
            ExprKind::Today => mk(TKind::Today, Type::Date),
            ExprKind::Name(n) => self.name(n, span),
            ExprKind::Index(base, idx) => {
                let ExprKind::Name(n) = &base.kind else {
                    self.err(span, Error::YearIndexNotStatic);
                    return mk(TKind::Error, Type::Error);
                };
                let Some(def) = self.dict.get(n).filter(|_| !self.defs.contains_key(n)) else {
                    let t = self.name(n, base.span);
                    if t.ty != Type::Error {
                        self.err(base.span, Error::NotPerYear { fact: n.clone() });
                    }
                    return mk(TKind::Error, Type::Error);
                };
                if !def.per_year {
                    self.err(base.span, Error::NotPerYear { fact: n.clone() });
                    return mk(TKind::Error, Type::Error);
                }
                let ty = Type::of_fact(def.ty);
                match self.year_index(idx) {
                    Some(i) => mk(TKind::FactYear(n.clone(), Box::new(i)), ty),
                    None => mk(TKind::Error, Type::Error),
                }
            }
            ExprKind::Unary(UnOp::Not, a) => {
                let a = self.check(a);
                let ok = self.expect(&a, Type::Bool, "not");
                mk(TKind::Unary(UnOp::Not, Box::new(a)), if ok { Type::Bool } else { Type::Error })
            }
            ExprKind::Unary(UnOp::Neg, a) => {
                let a = self.check(a);
                let ty = if a.ty.numeric() || a.ty == Type::Error {
                    a.ty
                } else {
                    self.err(
                        span,
                        Error::ExpectedType {
                            what: "-".into(),
                            expected: "integer/money/ratio".into(),
                            found: a.ty.to_string(),
                        },
                    );
                    Type::Error
                };
                mk(TKind::Unary(UnOp::Neg, Box::new(a)), ty)
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.check(a), self.check(b));
                let ty = self.binary_type(*op, &a, &b, span);
                mk(TKind::Binary(*op, Box::new(a), Box::new(b)), ty)
            }
            ExprKind::In { value, list, negated } => {
                let v = self.check(value);
                let mut ok = v.ty != Type::Error;
                if !matches!(
                    v.ty,
                    Type::Code | Type::Integer | Type::Money | Type::Ratio | Type::Date | Type::Error
                ) {
                    self.err(
                        v.span,
                        Error::ExpectedType {
                            what: "in".into(),
                            expected: "code/integer/money/ratio/date".into(),
                            found: v.ty.to_string(),
                        },
                    );
                    ok = false;
                }
                let mut items = Vec::new();
                for x in list {
                    let t = self.check(x);
                    if ok && self.binary_type(BinOp::Eq, &v, &t, t.span) == Type::Error {
                        ok = false;
                    }
                    items.push(t);
                }
                mk(TKind::In(Box::new(v), items, *negated), if ok { Type::Bool } else { Type::Error })
            }
            ExprKind::Between { value, low, high } => {
                let (v, l, h) = (self.check(value), self.check(low), self.check(high));
                let t1 = self.binary_type(BinOp::Le, &l, &v, span);
                let t2 = self.binary_type(BinOp::Le, &v, &h, span);
                let ty = if t1 == Type::Bool && t2 == Type::Bool { Type::Bool } else { Type::Error };
                mk(TKind::Between(Box::new(v), Box::new(l), Box::new(h)), ty)
            }
            ExprKind::If { cond, then, els } => {
                let c = self.check(cond);
                let ok = self.expect(&c, Type::Bool, "if");
                let (t, f) = (self.check(then), self.check(els));
                let ty = match (t.ty, f.ty) {
                    (Type::Error, _) | (_, Type::Error) => Type::Error,
                    (x, y) if x == y => x,
                    (Type::Integer | Type::Ratio, Type::Integer | Type::Ratio) => Type::Ratio,
                    (Type::Money, _) if is_lit(&f) => Type::Money,
                    (_, Type::Money) if is_lit(&t) => Type::Money,
                    (x, y) => {
                        self.err(
                            span,
                            Error::TypeMismatch {
                                op: "if".into(),
                                left: x.to_string(),
                                right: y.to_string(),
                            },
                        );
                        Type::Error
                    }
                };
                mk(TKind::If(Box::new(c), Box::new(t), Box::new(f)), if ok { ty } else { Type::Error })
            }
            ExprKind::Call(name, args) => self.call(name, args, span),
        }
    }

    fn name(&mut self, n: &str, span: Span) -> TExpr {
        let mk = |kind: TKind, ty: Type| TExpr { kind, ty, span };
        if self.defs.contains_key(n) {
            let ty = self.def_type(n);
            return mk(TKind::Def(n.to_string()), ty);
        }
        if let Some(p) = self.params.get(n) {
            return match p {
                ParamShape::Scalar(t) => mk(TKind::Param(n.to_string()), *t),
                ParamShape::Table { .. } => {
                    self.err(
                        span,
                        Error::ExpectedType {
                            what: n.to_string(),
                            expected: "value (a table is used as a function: name(key))".into(),
                            found: "table".into(),
                        },
                    );
                    mk(TKind::Error, Type::Error)
                }
            };
        }
        if let Some(def) = self.dict.get(n) {
            if def.per_year {
                self.err(span, Error::NeedsYear { fact: n.to_string() });
                return mk(TKind::Error, Type::Error);
            }
            return mk(TKind::Fact(n.to_string()), Type::of_fact(def.ty));
        }
        let nearest = self.nearest_name(n);
        self.err(span, Error::UnknownName { name: n.to_string(), nearest });
        mk(TKind::Error, Type::Error)
    }

    fn year_index(&mut self, idx: &Expr) -> Option<TExpr> {
        let t = self.check(idx);
        if t.ty == Type::Error {
            return None;
        }
        if !self.expect(&t, Type::Integer, "year index") {
            return None;
        }
        if !t.is_static() {
            self.err(t.span, Error::YearIndexNotStatic);
            return None;
        }
        Some(t)
    }

    fn binary_type(&mut self, op: BinOp, a: &TExpr, b: &TExpr, span: Span) -> Type {
        use Type::*;
        let (x, y) = (a.ty, b.ty);
        if x == Error || y == Error {
            return Error;
        }
        let lit_a = is_lit(a);
        let lit_b = is_lit(b);
        let num_like = |t: Type| matches!(t, Integer | Ratio);
        let ty = match op {
            BinOp::And | BinOp::Or => (x == Bool && y == Bool).then_some(Bool),
            BinOp::Has => (x == Tags && y == Code).then_some(Bool),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered = !matches!(op, BinOp::Eq | BinOp::Ne);
                let ok = match (x, y) {
                    (Money, Money) | (Date, Date) => true,
                    (a, b) if num_like(a) && num_like(b) => true,
                    (Money, b) if num_like(b) && lit_b => true,
                    (a, Money) if num_like(a) && lit_a => true,
                    (Code, Code) | (Bool, Bool) => !ordered,
                    _ => false,
                };
                if ok {
                    self.check_code_literal(a, b);
                    self.check_code_literal(b, a);
                }
                ok.then_some(Bool)
            }
            BinOp::Add | BinOp::Sub => match (x, y) {
                (Integer, Integer) => Some(Integer),
                (Money, Money) => Some(Money),
                (a, b) if num_like(a) && num_like(b) => Some(Ratio),
                (Money, b) if num_like(b) && lit_b => Some(Money),
                (a, Money) if num_like(a) && lit_a => Some(Money),
                (Date, Integer) => Some(Date),
                (Date, Date) if op == BinOp::Sub => Some(Integer),
                _ => None,
            },
            BinOp::Mul => match (x, y) {
                (Integer, Integer) => Some(Integer),
                (Money, b) if num_like(b) => Some(Money),
                (a, Money) if num_like(a) => Some(Money),
                (a, b) if num_like(a) && num_like(b) => Some(Ratio),
                _ => None,
            },
            BinOp::Div => match (x, y) {
                (Money, Money) => Some(Ratio),
                (Money, b) if num_like(b) => Some(Money),
                (a, b) if num_like(a) && num_like(b) => Some(Ratio),
                _ => None,
            },
        };
        ty.unwrap_or_else(|| {
            self.err(
                span,
                crate::error::Error::TypeMismatch {
                    op: op.as_str().into(),
                    left: x.to_string(),
                    right: y.to_string(),
                },
            );
            Type::Error
        })
    }

    /// `taxpayer_type == "small_scal"`: a literal that is not in the fact's closed list.
    fn check_code_literal(&mut self, fact: &TExpr, lit: &TExpr) {
        let (TKind::Fact(id), TKind::Const(Value::Str(code))) = (&fact.kind, &lit.kind) else {
            if let (TKind::Call(Func::SizeClass, _), TKind::Const(Value::Str(code))) = (&fact.kind, &lit.kind)
                && !["large", "medium", "small", "micro"].contains(&code.as_str())
            {
                self.err(
                    lit.span,
                    Error::UnknownCode {
                        fact: "size_class".into(),
                        code: code.clone(),
                        allowed: "large, medium, small, micro".into(),
                    },
                );
            }
            return;
        };
        let Some(def) = self.dict.get(id) else { return };
        if !def.codes.is_empty() && !def.codes.iter().any(|c| &c.code == code) {
            let allowed: Vec<&str> = def.codes.iter().map(|c| c.code.as_str()).collect();
            self.err(
                lit.span,
                Error::UnknownCode { fact: id.clone(), code: code.clone(), allowed: allowed.join(", ") },
            );
        }
    }

    fn arity(&mut self, name: &str, args: &[Expr], n: usize, span: Span) -> bool {
        if args.len() != n {
            self.err(span, Error::Arity { name: name.into(), expected: n.to_string(), found: args.len() });
            return false;
        }
        true
    }
}

/// The diagnostic for an expression too big written out: height first.
fn too_big_error(x: Expanded) -> Error {
    if x.height > MAX_EXPANDED_HEIGHT {
        Error::ExpandedTooTall { limit: MAX_EXPANDED_HEIGHT }
    } else {
        Error::ExpandedTooLarge { limit: MAX_EXPANDED_SIZE as usize }
    }
}

/// A number literal (possibly negated): it may stand next to money.
pub fn is_lit(t: &TExpr) -> bool {
    match &t.kind {
        TKind::Const(Value::Num(_)) => true,
        TKind::Unary(UnOp::Neg, a) => is_lit(a),
        _ => false,
    }
}
