//! The batch engine: every item against every enterprise over a columnar snapshot.
//!
//! A [`Snapshot`] holds one column per (fact, year): values in a vector, validity as a
//! bitmap of u64 words (64 enterprises per word). Items are compiled once into one DAG of
//! nodes ([`Compiled`]) in which identical sub-expressions (after parameters are fixed by
//! the evaluation date) are shared, so `assistance_target` or `revenue[2021] >= 20000000`
//! is computed once for all items that use it. Conditions evaluate to two bitmaps, validity
//! and truth, with Kleene logic done word-wise:
//!
//! ```text
//! and: true = ta & tb           false = (va & !ta) | (vb & !tb)
//! or:  true = ta | tb           false = (va & !ta) & (vb & !tb)
//! not: true = va & !ta          valid = va
//! ```
//!
//! Comparisons and arithmetic of numeric columns are done on exact scaled integers (money
//! in fen); built-in functions run over a column: once per distinct code for the industry
//! functions, per row without building values for `year_of`, `size_class`, `min`/`max` and
//! tiered tables. What has no fast path (division, working days, …) is computed row by row
//! with the same operators the single evaluator uses ([`crate::value`],
//! [`crate::eval::apply_func`]), so both paths agree exactly; a property test checks it.
//! Amounts are computed only for eligible enterprises.
//!
//! Three ways in, one engine: [`run`] over a whole [`Snapshot`] (tests, small zones),
//! [`run_blocks`] over cache-sized blocks of one, and [`Stream`], which takes enterprises
//! row by row (from the store's pages), builds a block at a time and evaluates each block as
//! it fills, so memory is bounded by a block and the results, never by all the rows.
//!
//! - [`columns`]: [`Column`], [`Snapshot`] and the typed [`SnapshotBuilder`].
//! - `kernels`: how each node is computed over a block's columns.
//! - [`stream`]: [`Stream`], the streaming evaluator.

pub mod columns;
mod kernels;
pub mod stream;

pub use columns::{Column, ColumnId, Nums, Snapshot, SnapshotBuilder};
pub use stream::Stream;

use crate::check::{Func, TExpr, TKind};
use crate::eval::{self, Eligibility, Val};
use crate::library::{Item, Program};
use crate::syntax::{BinOp, UnOp};
use crate::value::Value;
use chrono::NaiveDate;
use enterprise::Facts;
use kernels::Run;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;

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

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
}

// ---------------------------------------------------------------------------------------
// The DAG

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Node {
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

/// Items compiled once for a date into one shared DAG, ready to run over any number of
/// snapshots (the blocks of a large one, or the blocks a [`Stream`] builds).
#[derive(Debug, Clone)]
pub struct Compiled<'p> {
    prog: &'p Program,
    date: NaiveDate,
    items: Vec<&'p Item>,
    nodes: Vec<Node>,
    /// Per item: the condition's node and the amount's.
    roots: Vec<(usize, Option<usize>)>,
    /// The nodes the items need (conditions, amounts and what they read).
    needed: Vec<bool>,
}

impl<'p> Compiled<'p> {
    /// Compiles `items` of `prog` for `date`.
    pub fn new(prog: &'p Program, items: &[&'p Item], date: NaiveDate) -> Compiled<'p> {
        let mut dag = Dag { prog, date, nodes: Vec::new(), index: HashMap::new() };
        let roots: Vec<(usize, Option<usize>)> = items
            .iter()
            .map(|it| {
                let w = dag.compile(&it.when);
                let a = it.amount.as_ref().map(|a| dag.compile(a));
                (w, a)
            })
            .collect();
        let mut needed = vec![false; dag.nodes.len()];
        for (w, a) in &roots {
            mark(&dag.nodes, *w, &mut needed);
            if let Some(a) = a {
                mark(&dag.nodes, *a, &mut needed);
            }
        }
        Compiled { prog, date, items: items.to_vec(), nodes: dag.nodes, roots, needed }
    }

    /// The items, in the order of the results.
    pub fn items(&self) -> &[&'p Item] {
        &self.items
    }

    /// The evaluation date.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// Nodes in the shared DAG (after sharing).
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Every (fact, year) the items read: the columns a snapshot needs for them.
    pub fn facts(&self) -> impl Iterator<Item = (&str, Option<i32>)> {
        self.nodes.iter().zip(&self.needed).filter_map(|(n, need)| match n {
            Node::Fact(f, y) if *need => Some((f.as_str(), *y)),
            _ => None,
        })
    }

    /// Evaluates the items against every enterprise of `snap`.
    pub fn run(&self, snap: &Snapshot) -> MatchResult {
        let facts = self
            .nodes
            .iter()
            .map(|n| match n {
                Node::Fact(f, y) => snap.column(f, *y),
                _ => None,
            })
            .collect();
        let n = snap.n;
        let mut r = Run::new(self.prog, self.date, n, &self.nodes, facts);
        // Conditions and amounts are computed as columns (ids are topological: children
        // first); a node without a fast path is evaluated row by row.
        for (id, _) in self.needed.iter().enumerate().filter(|(_, need)| **need) {
            r.compute(id);
        }
        let mut out = Vec::new();
        for (item, (w, a)) in self.items.iter().zip(&self.roots) {
            let (valid, truth) = match kernels::bools(r.col(*w), n) {
                Some((v, t)) => (v.into_owned(), t.into_owned()),
                None => (vec![0; words(n)], vec![0; words(n)]),
            };
            let eligible = truth;
            let undetermined: Bits = valid.iter().enumerate().map(|(k, v)| !v & live_mask(k, n)).collect();
            let (amounts, total, amount_missing) = match a {
                None => (Amounts::None, Decimal::ZERO, 0),
                Some(a) => amounts_of(&r, *a, item, &eligible),
            };
            let count = |b: &Bits| b.iter().map(|w| w.count_ones() as usize).sum::<usize>();
            let (e, u) = (count(&eligible), count(&undetermined));
            out.push(ItemResult {
                item: item.id.clone(),
                eligible: e,
                ineligible: n - e - u,
                undetermined: u,
                amount_missing,
                total,
                eligible_bits: eligible,
                undetermined_bits: undetermined,
                amounts,
            });
        }
        MatchResult { items: out, nodes: self.nodes.len() }
    }
}

/// Evaluates items against every enterprise of a snapshot on `date`.
pub fn run(prog: &Program, items: &[&Item], snap: &Snapshot, date: NaiveDate) -> MatchResult {
    Compiled::new(prog, items, date).run(snap)
}

/// The outcome of one item over the snapshot.
#[derive(Debug, Clone)]
pub struct ItemResult {
    pub item: String,
    pub eligible: usize,
    pub ineligible: usize,
    pub undetermined: usize,
    /// Of the eligible, those whose amount is not known (the item has an amount).
    pub amount_missing: usize,
    /// Sum of the eligible amounts that are known.
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
    pub fn outcome(&self, row: usize) -> Eligibility {
        if bit(&self.eligible_bits, row) {
            Eligibility::Eligible
        } else if bit(&self.undetermined_bits, row) {
            Eligibility::Undetermined
        } else {
            Eligibility::Ineligible
        }
    }
    /// The amount of one enterprise (eligible ones whose amount is known only).
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

/// Computes the amounts of the enterprises in `truth` (the eligible): the amounts, their
/// total, and how many of them have no amount (they stay eligible).
fn amounts_of(r: &Run<'_>, a: usize, item: &Item, truth: &[u64]) -> (Amounts, Decimal, usize) {
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
    let count: usize = truth.iter().map(|w| w.count_ones() as usize).sum();
    match r.col(a) {
        Column::Const(Some(Value::Num(c))) => {
            let c = item.rounding.apply(*c);
            return (Amounts::Const(c), c * Decimal::from(count), 0);
        }
        Column::Const(_) => return (Amounts::None, Decimal::ZERO, count),
        Column::Num { valid, nums: Nums::Scaled { scale, v } }
            if item.rounding.strategy == rust_decimal::RoundingStrategy::MidpointAwayFromZero
                || *scale <= places =>
        {
            let mut out_rows = Vec::new();
            let mut out = Vec::new();
            let mut sum: i128 = 0;
            let mut ok = true;
            for row in rows() {
                if !bit(valid, row) {
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
                // At most 2^32 rows of i64 values: the sum fits the 96 bits of a Decimal.
                let total = Decimal::try_from_i128_with_scale(sum, places).unwrap_or(Decimal::MAX);
                let missing = count - out_rows.len();
                return (Amounts::Scaled { places, rows: out_rows, v: out }, total, missing);
            }
        }
        _ => {}
    }
    // Row by row with decimals.
    let mut out_rows = Vec::new();
    let mut out = Vec::new();
    let mut total = Decimal::ZERO;
    for row in rows() {
        if let Some(Value::Num(x)) = r.row(a, row) {
            let x = item.rounding.apply(x);
            total += x;
            out_rows.push(row as u32);
            out.push(x);
        }
    }
    let missing = count - out_rows.len();
    (Amounts::Dec { rows: out_rows, v: out }, total, missing)
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
    /// Of the eligible, those whose amount is not known.
    pub amount_missing: usize,
    pub total: Decimal,
}

impl ItemResult {
    pub fn counts(&self) -> ItemCounts {
        ItemCounts {
            eligible: self.eligible,
            ineligible: self.ineligible,
            undetermined: self.undetermined,
            amount_missing: self.amount_missing,
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
    Simulation::compare(&a, &b)
}

impl Simulation {
    /// The comparison of one item's run under the current program (`baseline`) and under the
    /// changed one, over the same enterprises.
    pub fn compare(baseline: &ItemResult, changed: &ItemResult) -> Simulation {
        let mut gains = Vec::new();
        let mut losses = Vec::new();
        for (w, (x, y)) in baseline.eligible_bits.iter().zip(&changed.eligible_bits).enumerate() {
            for (bits, out) in [(y & !x, &mut gains), (x & !y, &mut losses)] {
                let mut m = bits;
                while m != 0 {
                    out.push(w * 64 + m.trailing_zeros() as usize);
                    m &= m - 1;
                }
            }
        }
        Simulation {
            baseline: baseline.counts(),
            changed: changed.counts(),
            gains,
            losses,
            cost_delta: changed.total - baseline.total,
        }
    }
}

/// Runs the items on each block (`threads` at a time, compiled once) and joins the results
/// as if the blocks were one snapshot: rows are numbered across blocks in order.
pub fn run_blocks(
    prog: &Program,
    items: &[&Item],
    blocks: &[Snapshot],
    date: NaiveDate,
    threads: usize,
) -> MatchResult {
    let plan = Compiled::new(prog, items, date);
    let threads = threads.clamp(1, blocks.len().max(1));
    let mut parts: Vec<Option<MatchResult>> = vec![None; blocks.len()];
    if threads == 1 {
        for (slot, b) in parts.iter_mut().zip(blocks) {
            *slot = Some(plan.run(b));
        }
    } else {
        std::thread::scope(|s| {
            let chunks: Vec<&mut [Option<MatchResult>]> =
                parts.chunks_mut(blocks.len().div_ceil(threads)).collect();
            let mut first = 0;
            for chunk in chunks {
                let begin = first;
                first += chunk.len();
                let plan = &plan;
                s.spawn(move || {
                    for (k, slot) in chunk.iter_mut().enumerate() {
                        *slot = Some(plan.run(&blocks[begin + k]));
                    }
                });
            }
        });
    }
    let parts: Vec<MatchResult> = parts.into_iter().flatten().collect();
    let sizes: Vec<usize> = blocks.iter().map(|b| b.n).collect();
    join(&plan, parts, &sizes)
}

/// The results of consecutive blocks (`sizes[k]` enterprises in block `k`, every block but
/// the last a multiple of 64) joined as one result over all their rows, in order.
pub(crate) fn join(plan: &Compiled<'_>, parts: Vec<MatchResult>, sizes: &[usize]) -> MatchResult {
    let mut items_out = Vec::new();
    for (i, item) in plan.items().iter().enumerate() {
        let mut acc = ItemResult {
            item: item.id.clone(),
            eligible: 0,
            ineligible: 0,
            undetermined: 0,
            amount_missing: 0,
            total: Decimal::ZERO,
            eligible_bits: Vec::new(),
            undetermined_bits: Vec::new(),
            amounts: Amounts::None,
        };
        let mut offset = 0u32;
        for (p, n) in parts.iter().zip(sizes) {
            let r = &p.items[i];
            acc.eligible += r.eligible;
            acc.ineligible += r.ineligible;
            acc.undetermined += r.undetermined;
            acc.amount_missing += r.amount_missing;
            acc.total += r.total;
            let before = std::mem::replace(&mut acc.amounts, Amounts::None);
            acc.amounts =
                join_amounts(before, &acc.eligible_bits, &r.amounts, &r.eligible_bits, offset, offset == 0);
            acc.eligible_bits.extend_from_slice(&r.eligible_bits);
            acc.undetermined_bits.extend_from_slice(&r.undetermined_bits);
            offset += *n as u32;
        }
        items_out.push(acc);
    }
    MatchResult { items: items_out, nodes: plan.nodes() }
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
