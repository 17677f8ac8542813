//! How each node of the DAG is computed over one block's columns ([`Run`]): word-wise
//! Kleene logic on bitmaps, tight loops over scaled integers, dates and dictionary ids, the
//! built-in functions over whole columns (the industry functions once per distinct code),
//! and, for what has none of these, row by row with the single evaluator's own operators.

use super::columns::{Column, Nums};
use super::{Bits, Node, bit, epoch, set_bit, words};
use crate::check::Func;
use crate::eval::{self, Val};
use crate::library::Program;
use crate::syntax::BinOp;
use crate::value::{self, Value};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::borrow::Cow;
use std::collections::BTreeSet;

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

/// The columns of one evaluation of a [`super::Compiled`] over one snapshot.
pub(crate) struct Run<'a> {
    prog: &'a Program,
    date: NaiveDate,
    /// Rows of the snapshot.
    n: usize,
    nodes: &'a [Node],
    cols: Vec<Option<Column>>,
    /// The snapshot column of each fact node, looked up once.
    facts: Vec<Option<&'a Column>>,
}

impl<'a> Run<'a> {
    pub(crate) fn new(
        prog: &'a Program,
        date: NaiveDate,
        n: usize,
        nodes: &'a [Node],
        facts: Vec<Option<&'a Column>>,
    ) -> Run<'a> {
        Run { prog, date, n, nodes, cols: vec![None; nodes.len()], facts }
    }

    /// One node's value for one row, from its children's columns (already computed) or,
    /// for amounts, recursively.
    pub(crate) fn row(&self, id: usize, i: usize) -> Option<Value> {
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
            Node::Call(f @ (Func::SizeClass | Func::VatRefundSize), args) => {
                let vals: Vec<Val> = args
                    .iter()
                    .map(|a| match self.row(*a, i) {
                        Some(v) => Val::Known(v),
                        None => Val::Unknown(BTreeSet::new()),
                    })
                    .collect();
                let v = if *f == Func::SizeClass {
                    eval::size_class(&vals, self.date)
                } else {
                    eval::vat_refund_size(&vals, self.date)
                };
                match v {
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

    pub(crate) fn col(&self, id: usize) -> &Column {
        if let Some(c) = self.facts[id] {
            return c;
        }
        // Children are computed before parents (ids are topological).
        self.cols[id].as_ref().unwrap_or(&Column::Const(None))
    }

    pub(crate) fn compute(&mut self, id: usize) {
        let n = self.n;
        let col = match &self.nodes[id] {
            Node::Const(v) => Column::Const(v.clone()),
            // Read in place through `facts`; absent columns are unknown everywhere.
            Node::Fact(..) => {
                if self.facts[id].is_some() {
                    return;
                }
                Column::Const(None)
            }
            // An operator or function of an argument unknown everywhere is unknown everywhere
            // (all but `and`, `or`, `if`, `size_class` and `vat_refund_size`, which may decide
            // without it).
            node if self.strict_args(node).iter().any(|a| matches!(self.col(*a), Column::Const(None))) => {
                Column::Const(None)
            }
            Node::Bin(BinOp::Mul, a, b) => {
                self.mul(self.col(*a), self.col(*b)).unwrap_or_else(|| self.generic(id))
            }
            Node::Bin(op @ (BinOp::Add | BinOp::Sub), a, b) => {
                self.add_sub(*op, self.col(*a), self.col(*b)).unwrap_or_else(|| self.generic(id))
            }
            Node::Call(f @ (Func::Min | Func::Max), args) if args.len() == 2 => self
                .min_max(*f == Func::Min, self.col(args[0]), self.col(args[1]))
                .unwrap_or_else(|| self.generic(id)),
            Node::Call(f @ (Func::IndustrySection | Func::IndustryDivision), args) if args.len() == 1 => {
                match self.col(args[0]) {
                    Column::Str { valid, ids, dict } => self.per_code(f, valid, ids, dict),
                    _ => self.generic(id),
                }
            }
            Node::Call(Func::YearOf, args) if args.len() == 1 => match self.col(args[0]) {
                Column::Date { valid, days } => year_of(valid, days),
                _ => self.generic(id),
            },
            Node::Call(Func::SizeClass, args) if args.len() == 4 => self.size_class(args),
            Node::Call(Func::Table(name), args) if args.len() == 1 => {
                let col = self.col(args[0]);
                match col {
                    Column::Num { valid, .. } => {
                        let vals = (0..n)
                            .map(|i| {
                                let x = col.num(i).filter(|_| bit(valid, i))?;
                                self.prog.param_table(name, self.date, &Value::Num(x))
                            })
                            .collect();
                        Column::from_values(vals)
                    }
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

    /// The arguments without which a node has no value.
    fn strict_args(&self, node: &Node) -> Vec<usize> {
        match node {
            Node::Not(a) | Node::Neg(a) => vec![*a],
            Node::Bin(_, a, b) => vec![*a, *b],
            Node::Call(Func::SizeClass | Func::VatRefundSize, _) => Vec::new(),
            Node::Call(_, args) => args.clone(),
            Node::Const(_) | Node::Fact(..) | Node::And(..) | Node::Or(..) | Node::If(..) => Vec::new(),
        }
    }

    fn generic(&self, id: usize) -> Column {
        Column::from_values((0..self.n).map(|i| self.row(id, i)).collect())
    }

    /// `a × b` on scaled integers: a column by a constant or by another column (the scales
    /// add up, at most 18).
    fn mul(&self, a: &Column, b: &Column) -> Option<Column> {
        match (a, b) {
            (Column::Num { valid, nums: Nums::Scaled { scale, v } }, Column::Const(Some(Value::Num(c))))
            | (Column::Const(Some(Value::Num(c))), Column::Num { valid, nums: Nums::Scaled { scale, v } }) => {
                let (cm, cs) = (i64::try_from(c.mantissa()).ok()?, c.scale());
                if scale + cs > 18 {
                    return None;
                }
                let v: Vec<i64> = v.iter().map(|x| x.checked_mul(cm)).collect::<Option<_>>()?;
                Some(Column::Num { valid: valid.clone(), nums: Nums::Scaled { scale: scale + cs, v } })
            }
            (
                Column::Num { valid: va, nums: Nums::Scaled { scale: sa, v: xa } },
                Column::Num { valid: vb, nums: Nums::Scaled { scale: sb, v: xb } },
            ) if sa + sb <= 18 => {
                let valid: Bits = va.iter().zip(vb).map(|(x, y)| x & y).collect();
                // Rows not valid on both sides hold anything: multiply only the valid ones.
                let mut v = vec![0i64; xa.len()];
                for (i, out) in v.iter_mut().enumerate() {
                    if bit(&valid, i) {
                        *out = xa[i].checked_mul(xb[i])?;
                    }
                }
                Some(Column::Num { valid, nums: Nums::Scaled { scale: sa + sb, v } })
            }
            _ => None,
        }
    }

    /// `a ± b` on scaled integers: two columns (at a common scale) or a column and a constant.
    fn add_sub(&self, op: BinOp, a: &Column, b: &Column) -> Option<Column> {
        let f = |x: i64, y: i64| if op == BinOp::Add { x.checked_add(y) } else { x.checked_sub(y) };
        match (a, b) {
            (
                Column::Num { valid: va, nums: Nums::Scaled { scale: sa, v: xa } },
                Column::Num { valid: vb, nums: Nums::Scaled { scale: sb, v: xb } },
            ) => {
                let (scale, xa, xb) = align(*sa, xa, *sb, xb)?;
                let valid: Bits = va.iter().zip(vb).map(|(x, y)| x & y).collect();
                let v = xa.iter().zip(xb.iter()).map(|(x, y)| f(*x, *y)).collect::<Option<Vec<i64>>>()?;
                Some(Column::Num { valid, nums: Nums::Scaled { scale, v } })
            }
            (Column::Num { valid, nums: Nums::Scaled { scale, v } }, Column::Const(Some(Value::Num(c)))) => {
                let Scaled::Exact(c) = scaled(*c, *scale)? else { return None };
                let v = v.iter().map(|x| f(*x, c)).collect::<Option<Vec<i64>>>()?;
                Some(Column::Num { valid: valid.clone(), nums: Nums::Scaled { scale: *scale, v } })
            }
            (Column::Const(Some(Value::Num(c))), Column::Num { valid, nums: Nums::Scaled { scale, v } }) => {
                let Scaled::Exact(c) = scaled(*c, *scale)? else { return None };
                let v = v.iter().map(|x| f(c, *x)).collect::<Option<Vec<i64>>>()?;
                Some(Column::Num { valid: valid.clone(), nums: Nums::Scaled { scale: *scale, v } })
            }
            _ => None,
        }
    }

    /// `min(a, b)` / `max(a, b)` of a column and a constant, or of two columns.
    fn min_max(&self, min: bool, a: &Column, b: &Column) -> Option<Column> {
        let pick = |x: i64, y: i64| if min { x.min(y) } else { x.max(y) };
        match (a, b) {
            (Column::Num { valid, nums: Nums::Scaled { scale, v } }, Column::Const(Some(Value::Num(c))))
            | (Column::Const(Some(Value::Num(c))), Column::Num { valid, nums: Nums::Scaled { scale, v } }) => {
                let Scaled::Exact(c) = scaled(*c, *scale)? else { return None };
                let v = v.iter().map(|x| pick(*x, c)).collect();
                Some(Column::Num { valid: valid.clone(), nums: Nums::Scaled { scale: *scale, v } })
            }
            (
                Column::Num { valid: va, nums: Nums::Scaled { scale: sa, v: xa } },
                Column::Num { valid: vb, nums: Nums::Scaled { scale: sb, v: xb } },
            ) => {
                let (scale, xa, xb) = align(*sa, xa, *sb, xb)?;
                let valid: Bits = va.iter().zip(vb).map(|(x, y)| x & y).collect();
                let v = xa.iter().zip(xb.iter()).map(|(x, y)| pick(*x, *y)).collect();
                Some(Column::Num { valid, nums: Nums::Scaled { scale, v } })
            }
            _ => None,
        }
    }

    /// A function of one code evaluated once per distinct code of the column (the industry
    /// functions), then spread over the rows by their dictionary ids.
    fn per_code(&self, f: &Func, valid: &[u64], ids: &[u32], dict: &[String]) -> Column {
        let per: Vec<Option<Value>> = dict
            .iter()
            .map(|s| eval::apply_func(self.prog, f, &[Value::Str(s.clone())], self.date))
            .collect();
        // Codes to codes (industry_section): a column over a new dictionary.
        if per.iter().all(|v| matches!(v, None | Some(Value::Str(_)))) {
            let mut out_dict: Vec<String> = Vec::new();
            let map: Vec<Option<u32>> = per
                .iter()
                .map(|v| match v {
                    Some(Value::Str(s)) => Some(match out_dict.iter().position(|d| d == s) {
                        Some(k) => k as u32,
                        None => {
                            out_dict.push(s.clone());
                            (out_dict.len() - 1) as u32
                        }
                    }),
                    _ => None,
                })
                .collect();
            if out_dict.is_empty() {
                return Column::Const(None);
            }
            let mut out_valid = vec![0u64; valid.len()];
            let mut out_ids = vec![0u32; ids.len()];
            for (i, id) in ids.iter().enumerate() {
                if bit(valid, i)
                    && let Some(k) = map[*id as usize]
                {
                    set_bit(&mut out_valid, i);
                    out_ids[i] = k;
                }
            }
            return Column::Str { valid: out_valid, ids: out_ids, dict: out_dict };
        }
        // Anything else (industry_division's numbers): the per-code values spread by row.
        Column::from_values(
            ids.iter()
                .enumerate()
                .map(|(i, id)| if bit(valid, i) { per[*id as usize].clone() } else { None })
                .collect(),
        )
    }

    /// `size_class(y)` over (industry_code, employees[y], revenue[y], total_assets[y]): each
    /// distinct industry code parsed once, each row classified from its numbers without
    /// building values, by the size standard in force on the date (as `eval::size_class`).
    fn size_class(&self, args: &[usize]) -> Column {
        const CLASSES: [&str; 4] = ["large", "medium", "small", "micro"];
        let n = self.n;
        let Some(standard) = enterprise::SizeStandards::official().in_force(self.date) else {
            return Column::Const(None);
        };
        let code = self.col(args[0]);
        let (employees, revenue, assets) = (self.col(args[1]), self.col(args[2]), self.col(args[3]));
        let parsed: Vec<Option<enterprise::IndustryCode>> = match code {
            Column::Str { dict, .. } => {
                dict.iter().map(|s| enterprise::IndustryCode::parse(s).ok()).collect()
            }
            _ => Vec::new(),
        };
        let mut valid = vec![0u64; words(n)];
        let mut ids = vec![0u32; n];
        for i in 0..n {
            let owned;
            let c = match code {
                Column::Str { valid: cv, ids: ci, .. } => {
                    if !bit(cv, i) {
                        continue;
                    }
                    parsed[ci[i] as usize].as_ref()
                }
                other => {
                    let Some(Value::Str(s)) = other.get(i) else { continue };
                    owned = enterprise::IndustryCode::parse(&s).ok();
                    owned.as_ref()
                }
            };
            let Some(c) = c else { continue };
            let x = enterprise::Indicators {
                employees: employees.num(i).and_then(|d| d.to_i64()),
                revenue: revenue.num(i),
                assets: assets.num(i),
            };
            if let Some(class) = standard.classify(c, &x).outcome.class() {
                set_bit(&mut valid, i);
                ids[i] = CLASSES.iter().position(|k| *k == class.as_str()).unwrap_or(0) as u32;
            }
        }
        Column::Str { valid, ids, dict: CLASSES.iter().map(|s| s.to_string()).collect() }
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
            ) => {
                let (_, xa, xb) = align(*sa, xa, *sb, xb)?;
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
                Some(Column::Bool { valid: vec![0; words(self.n)], truth: vec![0; words(self.n)] })
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

pub(crate) fn bools(c: &Column, n: usize) -> Option<BitsPair<'_>> {
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

/// Two scaled columns' values at their common scale.
type Aligned<'c> = (u32, Cow<'c, [i64]>, Cow<'c, [i64]>);

/// Two scaled columns at a common scale (the larger), the other one's values multiplied up;
/// `None` if that overflows.
fn align<'c>(sa: u32, a: &'c [i64], sb: u32, b: &'c [i64]) -> Option<Aligned<'c>> {
    let up = |v: &[i64], by: u32| -> Option<Vec<i64>> {
        let f = 10i64.checked_pow(by)?;
        v.iter().map(|x| x.checked_mul(f)).collect()
    };
    Some(match sa.cmp(&sb) {
        std::cmp::Ordering::Equal => (sa, Cow::Borrowed(a), Cow::Borrowed(b)),
        std::cmp::Ordering::Less => (sb, Cow::Owned(up(a, sb - sa)?), Cow::Borrowed(b)),
        std::cmp::Ordering::Greater => (sa, Cow::Borrowed(a), Cow::Owned(up(b, sa - sb)?)),
    })
}

/// `year_of(date)` over a date column: the years as integers.
fn year_of(valid: &[u64], days: &[i32]) -> Column {
    let e = epoch();
    let mut valid = valid.to_vec();
    let mut v = vec![0i64; days.len()];
    for (i, d) in days.iter().enumerate() {
        match e.checked_add_signed(chrono::Duration::days(i64::from(*d))) {
            Some(day) => v[i] = i64::from(day.year()),
            None => valid[i >> 6] &= !(1 << (i & 63)),
        }
    }
    Column::Num { valid, nums: Nums::Scaled { scale: 0, v } }
}
