//! The batch engine: every item against every enterprise over a columnar snapshot.
//!
//! A [`Snapshot`] holds one column per (fact, year): values in a vector, validity as a
//! bitmap of u64 words (64 enterprises per word). Items are compiled into one DAG of nodes
//! in which identical sub-expressions (after parameters are fixed by the evaluation date)
//! are shared, so `assistance_target` or `revenue[2021] >= 20000000` is computed once for
//! all items that use it. Conditions evaluate to two bitmaps, validity and truth, with
//! Kleene logic done word-wise:
//!
//! ```text
//! and: true = ta & tb           false = (va & !ta) | (vb & !tb)
//! or:  true = ta | tb           false = (va & !ta) & (vb & !tb)
//! not: true = va & !ta          valid = va
//! ```
//!
//! Comparisons of numeric columns are done on exact scaled integers (money in fen); what
//! has no fast path (division, dates functions, size classes, …) is computed row by row
//! with the same operators the single evaluator uses ([`crate::value`],
//! [`crate::eval::apply_func`]), so both paths agree exactly; a property test checks it.
//! Amounts are computed only for eligible enterprises.

use crate::check::{Func, TExpr, TKind};
use crate::eval::{self, Outcome, Val};
use crate::library::{Item, Program};
use crate::syntax::{BinOp, UnOp};
use crate::value::{self, Value};
use chrono::{Datelike, NaiveDate};
use enterprise::{FactDictionary, FactValue, Facts};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeSet, HashMap};

/// A bitmap, one bit per enterprise.
pub type Bits = Vec<u64>;

fn words(n: usize) -> usize {
    n.div_ceil(64)
}

fn bit(b: &[u64], i: usize) -> bool {
    b[i >> 6] >> (i & 63) & 1 == 1
}

fn set_bit(b: &mut [u64], i: usize) {
    b[i >> 6] |= 1 << (i & 63);
}

/// Numbers as exact scaled integers where they fit (`v / 10^scale`), else decimals.
#[derive(Debug, Clone)]
pub enum Nums {
    Scaled { scale: u32, v: Vec<i64> },
    Dec(Vec<Decimal>),
}

/// One column of the snapshot, or one computed node.
#[derive(Debug, Clone)]
pub enum Column {
    Bool {
        valid: Bits,
        truth: Bits,
    },
    Num {
        valid: Bits,
        nums: Nums,
    },
    Date {
        valid: Bits,
        days: Vec<i32>,
    },
    Str {
        valid: Bits,
        ids: Vec<u32>,
        dict: Vec<String>,
    },
    /// Tag sets as bit masks over a dictionary of at most 64 tags.
    TagMasks {
        valid: Bits,
        masks: Vec<u64>,
        dict: Vec<String>,
    },
    Tags {
        valid: Bits,
        sets: Vec<BTreeSet<String>>,
    },
    /// The same value (or unknown) for every enterprise.
    Const(Option<Value>),
    /// Row-by-row values.
    Values(Vec<Option<Value>>),
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
}

impl Column {
    /// The value of one row (`None`: unknown).
    pub fn get(&self, i: usize) -> Option<Value> {
        match self {
            Column::Const(v) => v.clone(),
            Column::Values(v) => v[i].clone(),
            Column::Bool { valid, truth } => bit(valid, i).then(|| Value::Bool(bit(truth, i))),
            Column::Num { valid, nums } => bit(valid, i).then(|| {
                Value::Num(match nums {
                    Nums::Scaled { scale, v } => Decimal::new(v[i], *scale),
                    Nums::Dec(v) => v[i],
                })
            }),
            Column::Date { valid, days } => {
                bit(valid, i).then(|| Value::Date(epoch() + chrono::Duration::days(i64::from(days[i]))))
            }
            Column::Str { valid, ids, dict } => {
                bit(valid, i).then(|| Value::Str(dict[ids[i] as usize].clone()))
            }
            Column::Tags { valid, sets } => bit(valid, i).then(|| Value::Tags(sets[i].clone())),
            Column::TagMasks { valid, masks, dict } => bit(valid, i).then(|| {
                Value::Tags(
                    dict.iter()
                        .enumerate()
                        .filter(|(k, _)| masks[i] >> k & 1 == 1)
                        .map(|(_, t)| t.clone())
                        .collect(),
                )
            }),
        }
    }

    fn from_values(vals: Vec<Option<Value>>) -> Column {
        let n = vals.len();
        if vals.iter().all(|v| matches!(v, None | Some(Value::Bool(_)))) {
            let mut valid = vec![0; words(n)];
            let mut truth = vec![0; words(n)];
            for (i, v) in vals.iter().enumerate() {
                if let Some(Value::Bool(b)) = v {
                    set_bit(&mut valid, i);
                    if *b {
                        set_bit(&mut truth, i);
                    }
                }
            }
            return Column::Bool { valid, truth };
        }
        if vals.iter().all(|v| matches!(v, None | Some(Value::Num(_)))) {
            let mut valid = vec![0; words(n)];
            let mut d = Vec::with_capacity(n);
            for (i, v) in vals.iter().enumerate() {
                if let Some(Value::Num(x)) = v {
                    set_bit(&mut valid, i);
                    d.push(*x);
                } else {
                    d.push(Decimal::ZERO);
                }
            }
            return Column::Num { valid, nums: scale_down(d) };
        }
        Column::Values(vals)
    }
}

/// Scaled integers when every value fits at a common scale ≤ 6, else decimals.
fn scale_down(d: Vec<Decimal>) -> Nums {
    let scale = d.iter().map(|x| x.normalize().scale()).max().unwrap_or(0);
    if scale <= 6 {
        let mut v = Vec::with_capacity(d.len());
        for x in &d {
            let mut y = *x;
            y.rescale(scale);
            match i64::try_from(y.mantissa()) {
                Ok(m) if y.scale() == scale => v.push(m),
                _ => return Nums::Dec(d),
            }
        }
        return Nums::Scaled { scale, v };
    }
    Nums::Dec(d)
}

/// All enterprises' facts as columns.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub n: usize,
    cols: HashMap<(String, Option<i32>), Column>,
}

/// Builds a snapshot column by column.
pub struct SnapshotBuilder<'d> {
    n: usize,
    dict: &'d FactDictionary,
    raw: HashMap<(String, Option<i32>), Vec<Option<FactValue>>>,
}

impl<'d> SnapshotBuilder<'d> {
    pub fn new(n: usize, dict: &'d FactDictionary) -> Self {
        SnapshotBuilder { n, dict, raw: HashMap::new() }
    }

    /// Sets one enterprise's value of a fact (`year: None` for a scalar fact).
    pub fn set(&mut self, fact: &str, year: Option<i32>, row: usize, v: FactValue) {
        let n = self.n;
        let col = self.raw.entry((fact.to_string(), year)).or_insert_with(|| vec![None; n]);
        if row < n {
            col[row] = Some(v);
        }
    }

    pub fn add_facts(&mut self, row: usize, f: &Facts) {
        for (k, v) in &f.scalar {
            self.set(k, None, row, v.clone());
        }
        for (k, years) in &f.yearly {
            for (y, v) in years {
                self.set(k, Some(*y), row, v.clone());
            }
        }
    }

    pub fn finish(self) -> Snapshot {
        let n = self.n;
        let mut cols = HashMap::new();
        for (key, vals) in self.raw {
            let ty = self.dict.get(&key.0).map(|d| d.ty);
            let mut valid = vec![0u64; words(n)];
            for (i, v) in vals.iter().enumerate() {
                if v.is_some() {
                    set_bit(&mut valid, i);
                }
            }
            use enterprise::FactType as T;
            let col = match ty {
                Some(T::Code | T::Text) => {
                    let mut dict: Vec<String> = Vec::new();
                    let mut index: HashMap<String, u32> = HashMap::new();
                    let ids = vals
                        .iter()
                        .map(|v| match v {
                            Some(FactValue::Code(s) | FactValue::Text(s)) => {
                                *index.entry(s.clone()).or_insert_with(|| {
                                    dict.push(s.clone());
                                    (dict.len() - 1) as u32
                                })
                            }
                            _ => 0,
                        })
                        .collect();
                    if dict.is_empty() {
                        dict.push(String::new());
                    }
                    Column::Str { valid, ids, dict }
                }
                Some(T::Date) => Column::Date {
                    valid,
                    days: vals
                        .iter()
                        .map(|v| match v {
                            Some(FactValue::Date(d)) => (*d - epoch()).num_days() as i32,
                            _ => 0,
                        })
                        .collect(),
                },
                Some(T::Tags) => {
                    let mut dict: Vec<String> = Vec::new();
                    for v in vals.iter().flatten() {
                        if let FactValue::Tags(t) = v {
                            for tag in t {
                                if !dict.contains(tag) {
                                    dict.push(tag.clone());
                                }
                            }
                        }
                    }
                    if dict.len() <= 64 {
                        let masks = vals
                            .iter()
                            .map(|v| match v {
                                Some(FactValue::Tags(t)) => t
                                    .iter()
                                    .filter_map(|tag| dict.iter().position(|d| d == tag))
                                    .fold(0u64, |m, k| m | 1 << k),
                                _ => 0,
                            })
                            .collect();
                        Column::TagMasks { valid, masks, dict }
                    } else {
                        Column::Tags {
                            valid,
                            sets: vals
                                .iter()
                                .map(|v| match v {
                                    Some(FactValue::Tags(t)) => t.clone(),
                                    _ => BTreeSet::new(),
                                })
                                .collect(),
                        }
                    }
                }
                _ => Column::from_values(vals.iter().map(|v| v.as_ref().map(Value::from_fact)).collect()),
            };
            cols.insert(key, col);
        }
        Snapshot { n, cols }
    }
}

impl Snapshot {
    pub fn from_facts(all: &[Facts], dict: &FactDictionary) -> Snapshot {
        let mut b = SnapshotBuilder::new(all.len(), dict);
        for (i, f) in all.iter().enumerate() {
            b.add_facts(i, f);
        }
        b.finish()
    }

    pub fn column(&self, fact: &str, year: Option<i32>) -> Option<&Column> {
        self.cols.get(&(fact.to_string(), year))
    }

    /// Approximate bytes held by the columns.
    pub fn heap_bytes(&self) -> usize {
        self.cols
            .values()
            .map(|c| match c {
                Column::Bool { valid, truth } => (valid.len() + truth.len()) * 8,
                Column::Num { valid, nums } => {
                    valid.len() * 8
                        + match nums {
                            Nums::Scaled { v, .. } => v.len() * 8,
                            Nums::Dec(v) => v.len() * 16,
                        }
                }
                Column::Date { valid, days } => valid.len() * 8 + days.len() * 4,
                Column::Str { valid, ids, .. } => valid.len() * 8 + ids.len() * 4,
                Column::Tags { valid, sets } => valid.len() * 8 + sets.len() * 24,
                Column::TagMasks { valid, masks, .. } => (valid.len() + masks.len()) * 8,
                Column::Const(_) => 0,
                Column::Values(v) => v.len() * 40,
            })
            .sum()
    }
}

// ---------------------------------------------------------------------------------------
// The DAG

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Node {
    Const(Option<Value>),
    Fact(String, Option<i32>),
    Not(usize),
    And(usize, usize),
    Or(usize, usize),
    Neg(usize),
    Bin(BinOp, usize, usize),
    If(usize, usize, usize),
    Call(Func, Vec<usize>),
}

struct Dag<'p> {
    prog: &'p Program,
    date: NaiveDate,
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
}

impl<'p> Dag<'p> {
    fn add(&mut self, n: Node) -> usize {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        self.nodes.push(n.clone());
        self.index.insert(n, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn static_value(&self, e: &TExpr) -> Option<Value> {
        let empty = Facts::default();
        match eval::Evaluator::new(self.prog, &empty, self.date).eval(e) {
            Val::Known(v) => Some(v),
            Val::Unknown(_) => None,
        }
    }

    fn compile(&mut self, e: &TExpr) -> usize {
        if e.is_static() {
            let v = self.static_value(e);
            return self.add(Node::Const(v));
        }
        match &e.kind {
            TKind::Const(v) => self.add(Node::Const(Some(v.clone()))),
            TKind::Error => self.add(Node::Const(None)),
            TKind::Fact(id) => self.add(Node::Fact(id.clone(), None)),
            TKind::FactYear(id, idx) => {
                let y = self.static_value(idx).and_then(|v| v.as_num()).and_then(|d| d.to_i32());
                match y {
                    Some(y) => self.add(Node::Fact(id.clone(), Some(y))),
                    None => self.add(Node::Const(None)),
                }
            }
            TKind::Param(_) | TKind::Year | TKind::Today => {
                let v = self.static_value(e);
                self.add(Node::Const(v))
            }
            TKind::Def(name) => match self.prog.defs.get(name) {
                Some(body) => {
                    let body = body.clone();
                    self.compile(&body)
                }
                None => self.add(Node::Const(None)),
            },
            TKind::Unary(UnOp::Not, a) => {
                let a = self.compile(a);
                self.add(Node::Not(a))
            }
            TKind::Unary(UnOp::Neg, a) => {
                let a = self.compile(a);
                self.add(Node::Neg(a))
            }
            TKind::Binary(BinOp::And, a, b) => {
                let (a, b) = (self.compile(a), self.compile(b));
                self.add(Node::And(a, b))
            }
            TKind::Binary(BinOp::Or, a, b) => {
                let (a, b) = (self.compile(a), self.compile(b));
                self.add(Node::Or(a, b))
            }
            TKind::Binary(op, a, b) => {
                let (a, b) = (self.compile(a), self.compile(b));
                self.add(Node::Bin(*op, a, b))
            }
            TKind::In(v, list, negated) => {
                let v = self.compile(v);
                let mut acc: Option<usize> = None;
                for x in list {
                    let x = self.compile(x);
                    let eq = self.add(Node::Bin(BinOp::Eq, v, x));
                    acc = Some(match acc {
                        None => eq,
                        Some(a) => self.add(Node::Or(a, eq)),
                    });
                }
                let r = match acc {
                    Some(r) => r,
                    None => self.add(Node::Const(Some(Value::Bool(false)))),
                };
                if *negated { self.add(Node::Not(r)) } else { r }
            }
            TKind::Between(v, l, h) => {
                let (v, l, h) = (self.compile(v), self.compile(l), self.compile(h));
                let a = self.add(Node::Bin(BinOp::Le, l, v));
                let b = self.add(Node::Bin(BinOp::Le, v, h));
                self.add(Node::And(a, b))
            }
            TKind::If(c, t, f) => {
                let (c, t, f) = (self.compile(c), self.compile(t), self.compile(f));
                self.add(Node::If(c, t, f))
            }
            TKind::Call(func, args) => {
                let args: Vec<usize> = args.iter().map(|a| self.compile(a)).collect();
                self.add(Node::Call(func.clone(), args))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation

fn kleene_and(a: Option<Value>, b: Option<Value>) -> Option<Value> {
    match (a.as_ref().and_then(Value::as_bool), b.as_ref().and_then(Value::as_bool)) {
        (Some(false), _) | (_, Some(false)) => Some(Value::Bool(false)),
        (Some(true), Some(true)) => Some(Value::Bool(true)),
        _ => None,
    }
}

fn kleene_or(a: Option<Value>, b: Option<Value>) -> Option<Value> {
    match (a.as_ref().and_then(Value::as_bool), b.as_ref().and_then(Value::as_bool)) {
        (Some(true), _) | (_, Some(true)) => Some(Value::Bool(true)),
        (Some(false), Some(false)) => Some(Value::Bool(false)),
        _ => None,
    }
}

struct Run<'a> {
    prog: &'a Program,
    date: NaiveDate,
    snap: &'a Snapshot,
    nodes: &'a [Node],
    cols: Vec<Option<Column>>,
    /// The snapshot column of each fact node, looked up once.
    facts: Vec<Option<&'a Column>>,
}

impl<'a> Run<'a> {
    /// One node's value for one row, from its children's columns (already computed) or,
    /// for amounts, recursively.
    fn row(&self, id: usize, i: usize) -> Option<Value> {
        if let Some(c) = &self.cols[id] {
            return c.get(i);
        }
        match &self.nodes[id] {
            Node::Const(v) => v.clone(),
            Node::Fact(..) => self.facts[id].and_then(|c| c.get(i)),
            Node::Not(a) => match self.row(*a, i)? {
                Value::Bool(b) => Some(Value::Bool(!b)),
                _ => None,
            },
            Node::And(a, b) => kleene_and(self.row(*a, i), self.row(*b, i)),
            Node::Or(a, b) => kleene_or(self.row(*a, i), self.row(*b, i)),
            Node::Neg(a) => self.row(*a, i)?.as_num().map(|n| Value::Num(-n)),
            Node::Bin(op, a, b) => {
                let (x, y) = (self.row(*a, i), self.row(*b, i));
                value::binary(*op, &x?, &y?)
            }
            Node::If(c, t, f) => match self.row(*c, i)? {
                Value::Bool(true) => self.row(*t, i),
                Value::Bool(false) => self.row(*f, i),
                _ => None,
            },
            Node::Call(Func::SizeClass, args) => {
                let vals: Vec<Val> = args
                    .iter()
                    .map(|a| match self.row(*a, i) {
                        Some(v) => Val::Known(v),
                        None => Val::Unknown(BTreeSet::new()),
                    })
                    .collect();
                match eval::size_class(&vals, self.date) {
                    Val::Known(v) => Some(v),
                    Val::Unknown(_) => None,
                }
            }
            Node::Call(func, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.row(*a, i)?);
                }
                eval::apply_func(self.prog, func, &vals, self.date)
            }
        }
    }

    fn col(&self, id: usize) -> &Column {
        if let Some(c) = self.facts[id] {
            return c;
        }
        // Children are computed before parents (ids are topological).
        self.cols[id].as_ref().unwrap_or(&Column::Const(None))
    }

    fn compute(&mut self, id: usize) {
        let n = self.snap.n;
        let col = match &self.nodes[id] {
            Node::Const(v) => Column::Const(v.clone()),
            // Read in place through `facts`; absent columns are unknown everywhere.
            Node::Fact(..) => {
                if self.facts[id].is_some() {
                    return;
                }
                Column::Const(None)
            }
            Node::Bin(BinOp::Mul, a, b) => match (self.col(*a), self.col(*b)) {
                (
                    Column::Num { valid, nums: Nums::Scaled { scale, v } },
                    Column::Const(Some(Value::Num(c))),
                )
                | (
                    Column::Const(Some(Value::Num(c))),
                    Column::Num { valid, nums: Nums::Scaled { scale, v } },
                ) => {
                    let (cm, cs) = (i64::try_from(c.mantissa()).ok(), c.scale());
                    let out: Option<Vec<i64>> = cm
                        .filter(|_| scale + cs <= 18)
                        .and_then(|cm| v.iter().map(|x| x.checked_mul(cm)).collect());
                    match out {
                        Some(v) => {
                            Column::Num { valid: valid.clone(), nums: Nums::Scaled { scale: scale + cs, v } }
                        }
                        None => self.generic(id),
                    }
                }
                _ => self.generic(id),
            },
            Node::Call(f @ (Func::Min | Func::Max), args) if args.len() == 2 => {
                match (self.col(args[0]), self.col(args[1])) {
                    (
                        Column::Num { valid, nums: Nums::Scaled { scale, v } },
                        Column::Const(Some(Value::Num(c))),
                    )
                    | (
                        Column::Const(Some(Value::Num(c))),
                        Column::Num { valid, nums: Nums::Scaled { scale, v } },
                    ) => match scaled(*c, *scale) {
                        Some(Scaled::Exact(c)) => {
                            let min = *f == Func::Min;
                            let v = v.iter().map(|x| if min { (*x).min(c) } else { (*x).max(c) }).collect();
                            Column::Num { valid: valid.clone(), nums: Nums::Scaled { scale: *scale, v } }
                        }
                        _ => self.generic(id),
                    },
                    _ => self.generic(id),
                }
            }
            Node::Not(a) => match self.col(*a) {
                Column::Bool { valid, truth } => Column::Bool {
                    valid: valid.clone(),
                    truth: valid.iter().zip(truth).map(|(v, t)| v & !t).collect(),
                },
                _ => self.generic(id),
            },
            Node::And(a, b) | Node::Or(a, b) => {
                let is_and = matches!(self.nodes[id], Node::And(..));
                match (bools(self.col(*a), n), bools(self.col(*b), n)) {
                    (Some((va, ta)), Some((vb, tb))) => {
                        let mut valid = vec![0; va.len()];
                        let mut truth = vec![0; va.len()];
                        for w in 0..va.len() {
                            let (fa, fb) = (va[w] & !ta[w], vb[w] & !tb[w]);
                            let (t, f) =
                                if is_and { (ta[w] & tb[w], fa | fb) } else { (ta[w] | tb[w], fa & fb) };
                            truth[w] = t;
                            valid[w] = t | f;
                        }
                        Column::Bool { valid, truth }
                    }
                    _ => self.generic(id),
                }
            }
            Node::Bin(op, a, b) if op.is_comparison() => {
                self.compare(*op, self.col(*a), self.col(*b)).unwrap_or_else(|| self.generic(id))
            }
            Node::Bin(op @ (BinOp::Add | BinOp::Sub), a, b) => match (self.col(*a), self.col(*b)) {
                (
                    Column::Num { valid: va, nums: Nums::Scaled { scale: sa, v: xa } },
                    Column::Num { valid: vb, nums: Nums::Scaled { scale: sb, v: xb } },
                ) if sa == sb => {
                    let valid: Bits = va.iter().zip(vb).map(|(x, y)| x & y).collect();
                    let v: Option<Vec<i64>> = xa
                        .iter()
                        .zip(xb)
                        .map(|(x, y)| if *op == BinOp::Add { x.checked_add(*y) } else { x.checked_sub(*y) })
                        .collect();
                    match v {
                        Some(v) => Column::Num { valid, nums: Nums::Scaled { scale: *sa, v } },
                        None => self.generic(id),
                    }
                }
                _ => self.generic(id),
            },
            Node::Bin(BinOp::Has, a, b) => match (self.col(*a), self.col(*b)) {
                (Column::Tags { valid, sets }, Column::Const(Some(Value::Str(s)))) => {
                    let mut truth = vec![0; valid.len()];
                    for (i, t) in sets.iter().enumerate() {
                        if bit(valid, i) && t.contains(s) {
                            set_bit(&mut truth, i);
                        }
                    }
                    Column::Bool { valid: valid.clone(), truth }
                }
                (Column::TagMasks { valid, masks, dict }, Column::Const(Some(Value::Str(s)))) => {
                    match dict.iter().position(|d| d == s) {
                        Some(k) => {
                            let m = 1u64 << k;
                            cmp_const(valid, &masks.iter().map(|x| x & m).collect::<Vec<u64>>(), BinOp::Eq, m)
                        }
                        None => Column::Bool { valid: valid.clone(), truth: vec![0; valid.len()] },
                    }
                }
                _ => self.generic(id),
            },
            _ => self.generic(id),
        };
        self.cols[id] = Some(col);
    }

    fn generic(&self, id: usize) -> Column {
        Column::from_values((0..self.snap.n).map(|i| self.row(id, i)).collect())
    }

    /// Comparisons on scaled integers, dates and dictionary codes.
    fn compare(&self, op: BinOp, a: &Column, b: &Column) -> Option<Column> {
        use std::cmp::Ordering;
        let test = move |o: Ordering| match op {
            BinOp::Eq => o == Ordering::Equal,
            BinOp::Ne => o != Ordering::Equal,
            BinOp::Lt => o == Ordering::Less,
            BinOp::Le => o != Ordering::Greater,
            BinOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        };
        match (a, b) {
            (Column::Num { valid, nums: Nums::Scaled { scale, v } }, Column::Const(Some(Value::Num(c)))) => {
                Some(cmp_scaled_const(valid, v, op, scaled(*c, *scale)?))
            }
            (Column::Const(Some(Value::Num(c))), Column::Num { valid, nums: Nums::Scaled { scale, v } }) => {
                Some(cmp_scaled_const(valid, v, swap(op), scaled(*c, *scale)?))
            }
            (
                Column::Num { valid: va, nums: Nums::Scaled { scale: sa, v: xa } },
                Column::Num { valid: vb, nums: Nums::Scaled { scale: sb, v: xb } },
            ) if sa == sb => {
                let valid: Bits = va.iter().zip(vb).map(|(x, y)| x & y).collect();
                let mut truth = vec![0; valid.len()];
                for (w, chunk) in xa.chunks(64).zip(xb.chunks(64)).enumerate() {
                    let mut word = 0u64;
                    for (k, (x, y)) in chunk.0.iter().zip(chunk.1).enumerate() {
                        word |= u64::from(test(x.cmp(y))) << k;
                    }
                    truth[w] = word & valid[w];
                }
                Some(Column::Bool { valid, truth })
            }
            (Column::Date { valid, days }, Column::Const(Some(Value::Date(d)))) => {
                let c = i32::try_from((*d - epoch()).num_days()).ok()?;
                Some(cmp_const(valid, days, op, c))
            }
            (Column::Const(Some(Value::Date(d))), Column::Date { valid, days }) => {
                let c = i32::try_from((*d - epoch()).num_days()).ok()?;
                Some(cmp_const(valid, days, swap(op), c))
            }
            (Column::Str { valid, ids, dict }, Column::Const(Some(Value::Str(s))))
                if matches!(op, BinOp::Eq | BinOp::Ne) =>
            {
                let target = dict.iter().position(|d| d == s).map(|p| p as u32);
                Some(bitwise(valid, ids, |x| {
                    test(if Some(*x) == target { Ordering::Equal } else { Ordering::Less })
                }))
            }
            (Column::Const(_), Column::Const(_)) => None,
            (_, Column::Const(None)) | (Column::Const(None), _) => {
                Some(Column::Bool { valid: vec![0; words(self.snap.n)], truth: vec![0; words(self.snap.n)] })
            }
            _ => None,
        }
    }
}

/// The operator with its operands swapped (`c < x` is `x > c`).
fn swap(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

/// `x op c` for a scaled column and a constant that may fall between two scaled values.
fn cmp_scaled_const(valid: &[u64], v: &[i64], op: BinOp, c: Scaled) -> Column {
    match c {
        Scaled::Exact(c) => cmp_const(valid, v, op, c),
        // floor < c < floor + 1: x < c ⇔ x <= floor; x > c ⇔ x > floor; never equal.
        Scaled::Between(floor) => match op {
            BinOp::Lt | BinOp::Le => cmp_const(valid, v, BinOp::Le, floor),
            BinOp::Gt | BinOp::Ge => cmp_const(valid, v, BinOp::Gt, floor),
            BinOp::Eq => Column::Bool { valid: valid.to_vec(), truth: vec![0; valid.len()] },
            _ => Column::Bool { valid: valid.to_vec(), truth: valid.to_vec() },
        },
    }
}

/// `x op c` over a column, 64 rows to a word; one tight loop per operator so that the
/// compiler can vectorise it.
fn cmp_const<T: Copy + Ord>(valid: &[u64], v: &[T], op: BinOp, c: T) -> Column {
    #[inline(always)]
    fn pack<T: Copy>(valid: &[u64], v: &[T], f: impl Fn(T) -> bool) -> Bits {
        let mut truth = vec![0u64; valid.len()];
        for ((t, chunk), m) in truth.iter_mut().zip(v.chunks(64)).zip(valid) {
            let mut word = 0u64;
            for (k, x) in chunk.iter().enumerate() {
                word |= u64::from(f(*x)) << k;
            }
            *t = word & m;
        }
        truth
    }
    let truth = match op {
        BinOp::Eq => pack(valid, v, |x| x == c),
        BinOp::Ne => pack(valid, v, |x| x != c),
        BinOp::Lt => pack(valid, v, |x| x < c),
        BinOp::Le => pack(valid, v, |x| x <= c),
        BinOp::Gt => pack(valid, v, |x| x > c),
        _ => pack(valid, v, |x| x >= c),
    };
    Column::Bool { valid: valid.to_vec(), truth }
}

#[derive(Debug, Clone, Copy)]
enum Scaled {
    Exact(i64),
    Between(i64),
}

fn scaled(c: Decimal, scale: u32) -> Option<Scaled> {
    let mut x = c;
    x.rescale(scale);
    if x.scale() != scale {
        return None;
    }
    let m = i64::try_from(x.mantissa()).ok()?;
    if Decimal::new(m, scale) == c {
        return Some(Scaled::Exact(m));
    }
    // Not representable at this scale: compare against its floor.
    let floor = c.floor_scaled(scale)?;
    Some(Scaled::Between(floor))
}

trait FloorScaled {
    fn floor_scaled(&self, scale: u32) -> Option<i64>;
}

impl FloorScaled for Decimal {
    fn floor_scaled(&self, scale: u32) -> Option<i64> {
        let f = (*self * Decimal::from(10i64.checked_pow(scale)?)).floor();
        f.to_i64()
    }
}

fn bitwise<T>(valid: &[u64], v: &[T], f: impl Fn(&T) -> bool) -> Column {
    let mut truth = vec![0u64; valid.len()];
    for (w, chunk) in v.chunks(64).enumerate() {
        let mut word = 0u64;
        for (k, x) in chunk.iter().enumerate() {
            word |= u64::from(f(x)) << k;
        }
        truth[w] = word & valid[w];
    }
    Column::Bool { valid: valid.to_vec(), truth }
}

/// A boolean column's (validity, truth) bitmaps; constants broadcast.
type BitsPair<'c> = (std::borrow::Cow<'c, [u64]>, std::borrow::Cow<'c, [u64]>);

fn bools(c: &Column, n: usize) -> Option<BitsPair<'_>> {
    use std::borrow::Cow;
    match c {
        Column::Bool { valid, truth } => Some((Cow::Borrowed(valid), Cow::Borrowed(truth))),
        Column::Const(None) => Some((Cow::Owned(vec![0; words(n)]), Cow::Owned(vec![0; words(n)]))),
        Column::Const(Some(Value::Bool(b))) => {
            let mut all = vec![u64::MAX; words(n)];
            if !n.is_multiple_of(64)
                && let Some(last) = all.last_mut()
            {
                *last = (1u64 << (n % 64)) - 1;
            }
            let truth = if *b { all.clone() } else { vec![0; words(n)] };
            Some((Cow::Owned(all), Cow::Owned(truth)))
        }
        _ => None,
    }
}

/// The outcome of one item over the snapshot.
#[derive(Debug, Clone)]
pub struct ItemResult {
    pub item: String,
    pub eligible: usize,
    pub ineligible: usize,
    pub undetermined: usize,
    /// Sum of the eligible amounts.
    pub total: Decimal,
    /// Bitmaps of the final outcome (eligible, undetermined); ineligible is the rest.
    pub eligible_bits: Bits,
    pub undetermined_bits: Bits,
    /// The amounts of the eligible enterprises.
    pub amounts: Amounts,
}

/// The amounts of an item's eligible enterprises, stored compactly.
#[derive(Debug, Clone)]
pub enum Amounts {
    /// The item has no amount.
    None,
    /// The same (rounded) amount for every eligible enterprise.
    Const(Decimal),
    /// Per eligible enterprise (rows ascending), as integers in units of 10^-places yuan.
    Scaled { places: u32, rows: Vec<u32>, v: Vec<i64> },
    /// Per eligible enterprise (rows ascending).
    Dec { rows: Vec<u32>, v: Vec<Decimal> },
}

impl ItemResult {
    pub fn outcome(&self, row: usize) -> Outcome {
        if bit(&self.eligible_bits, row) {
            Outcome::Eligible
        } else if bit(&self.undetermined_bits, row) {
            Outcome::Undetermined
        } else {
            Outcome::Ineligible
        }
    }
    /// The amount of one enterprise (eligible ones only).
    pub fn amount(&self, row: usize) -> Option<Decimal> {
        let r = u32::try_from(row).ok()?;
        match &self.amounts {
            Amounts::None => None,
            Amounts::Const(c) => bit(&self.eligible_bits, row).then_some(*c),
            Amounts::Scaled { places, rows, v } => {
                rows.binary_search(&r).ok().map(|k| Decimal::new(v[k], *places))
            }
            Amounts::Dec { rows, v } => rows.binary_search(&r).ok().map(|k| v[k]),
        }
    }
}

/// Per item results of a batch run.
#[derive(Debug, Clone)]
pub struct MatchResult {
    pub items: Vec<ItemResult>,
    /// Nodes in the shared DAG (after sharing), for reports.
    pub nodes: usize,
}

/// Evaluates items against every enterprise of a snapshot on `date`.
pub fn run(prog: &Program, items: &[&Item], snap: &Snapshot, date: NaiveDate) -> MatchResult {
    let mut dag = Dag { prog, date, nodes: Vec::new(), index: HashMap::new() };
    let roots: Vec<(usize, Option<usize>)> = items
        .iter()
        .map(|it| {
            let w = dag.compile(&it.when);
            let a = it.amount.as_ref().map(|a| dag.compile(a));
            (w, a)
        })
        .collect();
    // Conditions and amounts are computed as columns; a node without a fast path is
    // evaluated row by row.
    let mut needed = vec![false; dag.nodes.len()];
    for (w, a) in &roots {
        mark(&dag.nodes, *w, &mut needed);
        if let Some(a) = a {
            mark(&dag.nodes, *a, &mut needed);
        }
    }
    let nodes = dag.nodes;
    let facts = nodes
        .iter()
        .map(|n| match n {
            Node::Fact(f, y) => snap.column(f, *y),
            _ => None,
        })
        .collect();
    let mut r = Run { prog, date, snap, nodes: &nodes, cols: vec![None; nodes.len()], facts };
    for (id, _) in needed.iter().enumerate().filter(|(_, n)| **n) {
        r.compute(id);
    }
    let n = snap.n;
    let mut out = Vec::new();
    for (item, (w, a)) in items.iter().zip(roots) {
        let (valid, truth) = match bools(r.col(w), n) {
            Some((v, t)) => (v.into_owned(), t.into_owned()),
            None => (vec![0; words(n)], vec![0; words(n)]),
        };
        let mut eligible = truth.clone();
        let mut undetermined: Bits = valid.iter().enumerate().map(|(k, v)| !v & live_mask(k, n)).collect();
        let (amounts, total) = match a {
            None => (Amounts::None, Decimal::ZERO),
            Some(a) => amounts_of(&r, a, item, &truth, &mut eligible, &mut undetermined),
        };
        let count = |b: &Bits| b.iter().map(|w| w.count_ones() as usize).sum::<usize>();
        let (e, u) = (count(&eligible), count(&undetermined));
        out.push(ItemResult {
            item: item.id.clone(),
            eligible: e,
            ineligible: n - e - u,
            undetermined: u,
            total,
            eligible_bits: eligible,
            undetermined_bits: undetermined,
            amounts,
        });
    }
    let _ = date.year();
    MatchResult { items: out, nodes: nodes.len() }
}

/// Rounds a scaled integer to `places` decimals, half away from zero, exactly as
/// `Decimal::round_dp_with_strategy(MidpointAwayFromZero)` does. `None` on overflow.
fn round_scaled(x: i64, scale: u32, places: u32) -> Option<i64> {
    if scale <= places {
        return x.checked_mul(10i64.checked_pow(places - scale)?);
    }
    let d = 10i64.checked_pow(scale - places)?;
    let (q, rem) = (x / d, x % d);
    Some(if rem.unsigned_abs() * 2 >= d.unsigned_abs() { q + x.signum() } else { q })
}

/// Computes the amounts of the enterprises in `truth`; an enterprise whose amount has no
/// value moves from eligible to undetermined.
fn amounts_of(
    r: &Run<'_>,
    a: usize,
    item: &Item,
    truth: &[u64],
    eligible: &mut [u64],
    undetermined: &mut [u64],
) -> (Amounts, Decimal) {
    let places = item.rounding.places;
    let rows = || {
        truth.iter().enumerate().flat_map(|(w, word)| {
            let mut x = *word;
            std::iter::from_fn(move || {
                (x != 0).then(|| {
                    let k = x.trailing_zeros() as usize;
                    x &= x - 1;
                    w * 64 + k
                })
            })
        })
    };
    let mut demote = |row: usize| {
        eligible[row >> 6] &= !(1 << (row & 63));
        undetermined[row >> 6] |= 1 << (row & 63);
    };
    match r.col(a) {
        Column::Const(Some(Value::Num(c))) => {
            let c = item.rounding.apply(*c);
            let count: usize = truth.iter().map(|w| w.count_ones() as usize).sum();
            return (Amounts::Const(c), c * Decimal::from(count));
        }
        Column::Const(_) => {
            rows().collect::<Vec<_>>().into_iter().for_each(&mut demote);
            return (Amounts::None, Decimal::ZERO);
        }
        Column::Num { valid, nums: Nums::Scaled { scale, v } }
            if item.rounding.strategy == rust_decimal::RoundingStrategy::MidpointAwayFromZero
                || *scale <= places =>
        {
            let mut out_rows = Vec::new();
            let mut out = Vec::new();
            let mut sum: i128 = 0;
            let mut ok = true;
            let mut missing = Vec::new();
            for row in rows() {
                if !bit(valid, row) {
                    missing.push(row);
                    continue;
                }
                match round_scaled(v[row], *scale, places) {
                    Some(q) => {
                        out_rows.push(row as u32);
                        out.push(q);
                        sum += i128::from(q);
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                missing.into_iter().for_each(&mut demote);
                // At most 2^32 rows of i64 values: the sum fits the 96 bits of a Decimal.
                let total = Decimal::try_from_i128_with_scale(sum, places).unwrap_or(Decimal::MAX);
                return (Amounts::Scaled { places, rows: out_rows, v: out }, total);
            }
        }
        _ => {}
    }
    // Row by row with decimals.
    let mut out_rows = Vec::new();
    let mut out = Vec::new();
    let mut total = Decimal::ZERO;
    let mut missing = Vec::new();
    for row in rows() {
        match r.row(a, row) {
            Some(Value::Num(x)) => {
                let x = item.rounding.apply(x);
                total += x;
                out_rows.push(row as u32);
                out.push(x);
            }
            _ => missing.push(row),
        }
    }
    missing.into_iter().for_each(&mut demote);
    (Amounts::Dec { rows: out_rows, v: out }, total)
}

fn live_mask(word: usize, n: usize) -> u64 {
    let start = word * 64;
    if start + 64 <= n { u64::MAX } else { (1u64 << (n - start)) - 1 }
}

fn mark(nodes: &[Node], id: usize, needed: &mut [bool]) {
    if needed[id] {
        return;
    }
    needed[id] = true;
    match &nodes[id] {
        Node::Not(a) | Node::Neg(a) => mark(nodes, *a, needed),
        Node::And(a, b) | Node::Or(a, b) | Node::Bin(_, a, b) => {
            mark(nodes, *a, needed);
            mark(nodes, *b, needed);
        }
        Node::If(a, b, c) => {
            mark(nodes, *a, needed);
            mark(nodes, *b, needed);
            mark(nodes, *c, needed);
        }
        Node::Call(_, args) => args.iter().for_each(|a| mark(nodes, *a, needed)),
        Node::Const(_) | Node::Fact(..) => {}
    }
}

/// What a change to a policy would do, against the current version: who gains (eligible
/// only after the change), who loses (eligible only before), and the change in total cost.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub baseline: ItemCounts,
    pub changed: ItemCounts,
    /// Enterprise rows newly eligible.
    pub gains: Vec<usize>,
    /// Enterprise rows no longer eligible.
    pub losses: Vec<usize>,
    /// Changed total minus baseline total.
    pub cost_delta: Decimal,
}

/// Counts and total of one item's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCounts {
    pub eligible: usize,
    pub ineligible: usize,
    pub undetermined: usize,
    pub total: Decimal,
}

impl ItemResult {
    pub fn counts(&self) -> ItemCounts {
        ItemCounts {
            eligible: self.eligible,
            ineligible: self.ineligible,
            undetermined: self.undetermined,
            total: self.total,
        }
    }
}

/// Runs `item` under the current parameters and under `changed` (the same program with
/// some parameters overridden, see [`Program::with_override`]) and compares the two.
pub fn simulate(
    current: &Program,
    changed: &Program,
    item: &Item,
    snap: &Snapshot,
    date: NaiveDate,
) -> Simulation {
    let a = run(current, &[item], snap, date).items.remove(0);
    let b = run(changed, &[item], snap, date).items.remove(0);
    let mut gains = Vec::new();
    let mut losses = Vec::new();
    for (w, (x, y)) in a.eligible_bits.iter().zip(&b.eligible_bits).enumerate() {
        for (bits, out) in [(y & !x, &mut gains), (x & !y, &mut losses)] {
            let mut m = bits;
            while m != 0 {
                out.push(w * 64 + m.trailing_zeros() as usize);
                m &= m - 1;
            }
        }
    }
    Simulation { baseline: a.counts(), changed: b.counts(), gains, losses, cost_delta: b.total - a.total }
}

impl Column {
    /// Rows `start..start + len` (`start` a multiple of 64).
    fn slice(&self, start: usize, len: usize) -> Column {
        let (w0, w1) = (start / 64, (start + len).div_ceil(64));
        let bits = |b: &Bits| {
            let mut v = b[w0..w1].to_vec();
            if !len.is_multiple_of(64)
                && let Some(last) = v.last_mut()
            {
                *last &= (1u64 << (len % 64)) - 1;
            }
            v
        };
        let r = start..start + len;
        match self {
            Column::Bool { valid, truth } => Column::Bool { valid: bits(valid), truth: bits(truth) },
            Column::Num { valid, nums } => Column::Num {
                valid: bits(valid),
                nums: match nums {
                    Nums::Scaled { scale, v } => Nums::Scaled { scale: *scale, v: v[r].to_vec() },
                    Nums::Dec(v) => Nums::Dec(v[r].to_vec()),
                },
            },
            Column::Date { valid, days } => Column::Date { valid: bits(valid), days: days[r].to_vec() },
            Column::Str { valid, ids, dict } => {
                Column::Str { valid: bits(valid), ids: ids[r].to_vec(), dict: dict.clone() }
            }
            Column::TagMasks { valid, masks, dict } => {
                Column::TagMasks { valid: bits(valid), masks: masks[r].to_vec(), dict: dict.clone() }
            }
            Column::Tags { valid, sets } => Column::Tags { valid: bits(valid), sets: sets[r].to_vec() },
            Column::Const(v) => Column::Const(v.clone()),
            Column::Values(v) => Column::Values(v[r].to_vec()),
        }
    }
}

impl Snapshot {
    /// Splits into snapshots of `rows` enterprises each (rounded up to a multiple of 64), so
    /// that each block's columns and bitmaps stay in cache and blocks can run in parallel.
    pub fn into_blocks(self, rows: usize) -> Vec<Snapshot> {
        let rows = rows.max(64).div_ceil(64) * 64;
        let mut out = Vec::new();
        let mut start = 0;
        while start < self.n {
            let len = rows.min(self.n - start);
            let cols = self.cols.iter().map(|(k, c)| (k.clone(), c.slice(start, len))).collect();
            out.push(Snapshot { n: len, cols });
            start += len;
        }
        out
    }
}

/// Runs [`run`] on each block (`threads` at a time) and joins the results as if the blocks
/// were one snapshot: rows are numbered across blocks in order.
pub fn run_blocks(
    prog: &Program,
    items: &[&Item],
    blocks: &[Snapshot],
    date: NaiveDate,
    threads: usize,
) -> MatchResult {
    let threads = threads.clamp(1, blocks.len().max(1));
    let mut parts: Vec<Option<MatchResult>> = vec![None; blocks.len()];
    if threads == 1 {
        for (slot, b) in parts.iter_mut().zip(blocks) {
            *slot = Some(run(prog, items, b, date));
        }
    } else {
        std::thread::scope(|s| {
            let chunks: Vec<&mut [Option<MatchResult>]> =
                parts.chunks_mut(blocks.len().div_ceil(threads)).collect();
            let mut first = 0;
            for chunk in chunks {
                let begin = first;
                first += chunk.len();
                s.spawn(move || {
                    for (k, slot) in chunk.iter_mut().enumerate() {
                        *slot = Some(run(prog, items, &blocks[begin + k], date));
                    }
                });
            }
        });
    }
    let parts: Vec<MatchResult> = parts.into_iter().flatten().collect();
    let nodes = parts.first().map(|p| p.nodes).unwrap_or(0);
    let mut items_out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut acc = ItemResult {
            item: item.id.clone(),
            eligible: 0,
            ineligible: 0,
            undetermined: 0,
            total: Decimal::ZERO,
            eligible_bits: Vec::new(),
            undetermined_bits: Vec::new(),
            amounts: Amounts::None,
        };
        let mut offset = 0u32;
        for (p, block) in parts.iter().zip(blocks) {
            let r = &p.items[i];
            acc.eligible += r.eligible;
            acc.ineligible += r.ineligible;
            acc.undetermined += r.undetermined;
            acc.total += r.total;
            let before = std::mem::replace(&mut acc.amounts, Amounts::None);
            acc.amounts =
                join_amounts(before, &acc.eligible_bits, &r.amounts, &r.eligible_bits, offset, offset == 0);
            acc.eligible_bits.extend_from_slice(&r.eligible_bits);
            acc.undetermined_bits.extend_from_slice(&r.undetermined_bits);
            offset += block.n as u32;
        }
        items_out.push(acc);
    }
    MatchResult { items: items_out, nodes }
}

/// Joins the amounts of the blocks so far (`acc`, rows numbered globally, eligible rows in
/// `acc_bits`) with the next block's (rows from 0, eligible rows in `next_bits`).
fn join_amounts(
    acc: Amounts,
    acc_bits: &[u64],
    next: &Amounts,
    next_bits: &[u64],
    offset: u32,
    first: bool,
) -> Amounts {
    if first {
        return next.clone();
    }
    match (acc, next) {
        (Amounts::None, Amounts::None) => Amounts::None,
        (Amounts::Const(a), Amounts::Const(b)) if a == *b => Amounts::Const(a),
        (Amounts::Scaled { places, mut rows, mut v }, Amounts::Scaled { places: p2, rows: r2, v: v2 })
            if places == *p2 =>
        {
            rows.extend(r2.iter().map(|r| r + offset));
            v.extend_from_slice(v2);
            Amounts::Scaled { places, rows, v }
        }
        (a, b) => {
            // Mixed shapes (a block that fell back to decimals): join as decimals.
            let (mut rows, mut v) = to_dec(&a, acc_bits);
            let (r2, v2) = to_dec(b, next_bits);
            rows.extend(r2.iter().map(|r| r + offset));
            v.extend(v2);
            Amounts::Dec { rows, v }
        }
    }
}

/// Every eligible row's amount, as decimals.
fn to_dec(a: &Amounts, eligible: &[u64]) -> (Vec<u32>, Vec<Decimal>) {
    match a {
        Amounts::None => (Vec::new(), Vec::new()),
        Amounts::Const(c) => {
            let rows: Vec<u32> = eligible
                .iter()
                .enumerate()
                .flat_map(|(w, word)| {
                    (0..64).filter(move |k| word >> k & 1 == 1).map(move |k| (w * 64 + k) as u32)
                })
                .collect();
            let v = vec![*c; rows.len()];
            (rows, v)
        }
        Amounts::Scaled { places, rows, v } => {
            (rows.clone(), v.iter().map(|x| Decimal::new(*x, *places)).collect())
        }
        Amounts::Dec { rows, v } => (rows.clone(), v.clone()),
    }
}
