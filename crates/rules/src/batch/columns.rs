//! The columnar snapshot: one [`Column`] per (fact, year), and the [`SnapshotBuilder`] that
//! writes enterprises' values straight into typed columns.
//!
//! A column's kind is fixed when it is created, from the fact's type in the dictionary:
//! bools are two bitmaps, integers, money and ratios exact scaled integers (`v / 10^scale`:
//! integers at scale 0, money in fen, ratios in millionths), dates days since 1970-01-01,
//! codes and texts ids into a per-column dictionary, tags bit masks over at most 64 distinct
//! tags. The builder hands out a [`ColumnId`] per column once (the fact and year resolved
//! then, never per cell), and its setters write a row's value in place, so [`finish`]
//! (`SnapshotBuilder::finish`) only moves the buffers into the snapshot.
//!
//! Trade-offs: a number that does not fit its column's scale (money with fractions of a fen,
//! say) raises the whole column's scale, up to 6 decimals, or turns the column into exact
//! decimals; a value of another kind than the dictionary says (which checked facts never
//! have) turns the column into row-by-row values. Both stay exact, only slower.

use super::{Bits, bit, epoch, set_bit, words};
use crate::value::Value;
use enterprise::{FactDictionary, FactType, FactValue, Facts};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};

/// The largest scale of a scaled column; beyond it numbers are kept as decimals.
const MAX_SCALE: u32 = 6;

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

impl Column {
    /// The value of one row (`None`: unknown). Numbers come back normalised (`100`, not
    /// `100.00`), as the stored facts the single evaluator reads are.
    pub fn get(&self, i: usize) -> Option<Value> {
        match self {
            Column::Const(v) => v.clone(),
            Column::Values(v) => v[i].clone(),
            Column::Bool { valid, truth } => bit(valid, i).then(|| Value::Bool(bit(truth, i))),
            Column::Num { valid, nums } => bit(valid, i).then(|| Value::Num(nums.at(i))),
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

    /// The number of one row, without building a [`Value`] (`None`: unknown or not a number).
    pub fn num(&self, i: usize) -> Option<Decimal> {
        match self {
            Column::Num { valid, nums } => bit(valid, i).then(|| nums.at(i)),
            Column::Const(Some(Value::Num(d))) => Some(*d),
            Column::Const(_) => None,
            other => other.get(i).and_then(|v| v.as_num()),
        }
    }

    /// A computed column from row-by-row values: bitmaps or scaled integers when every
    /// value is a bool or every value a number, else the values themselves.
    pub(crate) fn from_values(vals: Vec<Option<Value>>) -> Column {
        let n = vals.len();
        if vals.iter().all(|v| v.is_none()) {
            return Column::Const(None);
        }
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

    /// Approximate bytes held.
    pub fn heap_bytes(&self) -> usize {
        match self {
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
        }
    }

    /// Rows `start..start + len` (`start` a multiple of 64).
    pub(crate) fn slice(&self, start: usize, len: usize) -> Column {
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

impl Nums {
    /// Row `i` as a decimal, normalised.
    pub fn at(&self, i: usize) -> Decimal {
        match self {
            Nums::Scaled { scale, v } => Decimal::new(v[i], *scale).normalize(),
            Nums::Dec(v) => v[i].normalize(),
        }
    }
}

/// Scaled integers when every value fits at a common scale ≤ 6, else decimals.
pub(crate) fn scale_down(d: Vec<Decimal>) -> Nums {
    let scale = d.iter().map(|x| x.normalize().scale()).max().unwrap_or(0);
    if scale <= MAX_SCALE {
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
    pub(crate) cols: HashMap<(String, Option<i32>), Column>,
}

impl Snapshot {
    /// The snapshot of `all` (row `i` is `all[i]`).
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
        self.cols.values().map(Column::heap_bytes).sum()
    }

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

/// A column of a [`SnapshotBuilder`]: its fact and year resolved once, when the column is
/// made ([`SnapshotBuilder::column`]). The same keys in the same order give the same ids in
/// every builder ([`SnapshotBuilder::with_columns`]), so a streaming caller resolves them
/// once for all its blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColumnId(u32);

impl ColumnId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A column being written: the finished [`Column`]'s buffers plus what interning needs.
#[derive(Debug)]
enum Buf {
    Bool { valid: Bits, truth: Bits },
    Num { valid: Bits, nums: Nums },
    Date { valid: Bits, days: Vec<i32> },
    Str { valid: Bits, ids: Vec<u32>, dict: Vec<String>, index: HashMap<String, u32> },
    Tags { valid: Bits, masks: Vec<u64>, dict: Vec<String> },
    TagSets { valid: Bits, sets: Vec<BTreeSet<String>> },
    Values(Vec<Option<Value>>),
}

impl Buf {
    fn new(ty: Option<FactType>, n: usize) -> Buf {
        let w = words(n);
        match ty {
            Some(FactType::Bool) => Buf::Bool { valid: vec![0; w], truth: vec![0; w] },
            Some(FactType::Integer) => Buf::num(n, 0),
            Some(FactType::Money) => Buf::num(n, 2),
            Some(FactType::Ratio) => Buf::num(n, MAX_SCALE),
            Some(FactType::Date) => Buf::Date { valid: vec![0; w], days: vec![0; n] },
            Some(FactType::Code | FactType::Text) => {
                Buf::Str { valid: vec![0; w], ids: vec![0; n], dict: Vec::new(), index: HashMap::new() }
            }
            Some(FactType::Tags) => Buf::Tags { valid: vec![0; w], masks: vec![0; n], dict: Vec::new() },
            None => Buf::Values(vec![None; n]),
        }
    }

    fn num(n: usize, scale: u32) -> Buf {
        Buf::Num { valid: vec![0; words(n)], nums: Nums::Scaled { scale, v: vec![0; n] } }
    }

    fn len(&self) -> usize {
        match self {
            Buf::Bool { valid, .. } => valid.len() * 64,
            Buf::Num { nums: Nums::Scaled { v, .. }, .. } => v.len(),
            Buf::Num { nums: Nums::Dec(v), .. } => v.len(),
            Buf::Date { days, .. } => days.len(),
            Buf::Str { ids, .. } => ids.len(),
            Buf::Tags { masks, .. } => masks.len(),
            Buf::TagSets { sets, .. } => sets.len(),
            Buf::Values(v) => v.len(),
        }
    }

    /// The column as finished, its first `n` rows.
    fn finish(self, n: usize) -> Column {
        let bits = |mut b: Bits| {
            b.truncate(words(n));
            if !n.is_multiple_of(64)
                && let Some(last) = b.last_mut()
            {
                *last &= (1u64 << (n % 64)) - 1;
            }
            b
        };
        match self {
            Buf::Bool { valid, truth } => Column::Bool { valid: bits(valid), truth: bits(truth) },
            Buf::Num { valid, nums } => Column::Num {
                valid: bits(valid),
                nums: match nums {
                    Nums::Scaled { scale, mut v } => {
                        v.truncate(n);
                        Nums::Scaled { scale, v }
                    }
                    Nums::Dec(mut v) => {
                        v.truncate(n);
                        Nums::Dec(v)
                    }
                },
            },
            Buf::Date { valid, mut days } => {
                days.truncate(n);
                Column::Date { valid: bits(valid), days }
            }
            Buf::Str { valid, mut ids, mut dict, .. } => {
                if dict.is_empty() {
                    dict.push(String::new());
                }
                ids.truncate(n);
                Column::Str { valid: bits(valid), ids, dict }
            }
            Buf::Tags { valid, mut masks, dict } => {
                masks.truncate(n);
                Column::TagMasks { valid: bits(valid), masks, dict }
            }
            Buf::TagSets { valid, mut sets } => {
                sets.truncate(n);
                Column::Tags { valid: bits(valid), sets }
            }
            Buf::Values(mut v) => {
                v.truncate(n);
                Column::Values(v)
            }
        }
    }

    /// Turns the column into row-by-row values (a value of an unexpected kind arrived).
    fn into_values(self) -> Buf {
        let n = self.len();
        let col = self.finish(n);
        Buf::Values((0..n).map(|i| col.get(i)).collect())
    }
}

/// Builds a snapshot: columns resolved once by fact and year ([`SnapshotBuilder::column`]),
/// values written in place by row ([`SnapshotBuilder::set_scaled`] and its siblings, or
/// [`SnapshotBuilder::set`] for a [`FactValue`]). Rows beyond the builder's size are ignored.
pub struct SnapshotBuilder<'d> {
    n: usize,
    dict: &'d FactDictionary,
    keys: Vec<(String, Option<i32>)>,
    /// Fact id → its columns by year: consulted when a column is resolved, never per cell.
    index: HashMap<String, Vec<(Option<i32>, ColumnId)>>,
    cols: Vec<Buf>,
}

impl<'d> SnapshotBuilder<'d> {
    /// A builder of `n` rows, every value unknown.
    pub fn new(n: usize, dict: &'d FactDictionary) -> Self {
        SnapshotBuilder { n, dict, keys: Vec::new(), index: HashMap::new(), cols: Vec::new() }
    }

    /// A builder of `n` rows whose columns are `keys`, in order: `keys[k]` is
    /// `ColumnId` number `k`, as in every other builder made from the same keys.
    pub fn with_columns(n: usize, dict: &'d FactDictionary, keys: &[(String, Option<i32>)]) -> Self {
        let mut b = SnapshotBuilder::new(n, dict);
        for (fact, year) in keys {
            b.column(fact, *year);
        }
        b
    }

    /// Rows of the snapshot being built.
    pub fn rows(&self) -> usize {
        self.n
    }

    /// The column of `fact` in `year` (`None`: a scalar fact), made (typed by the
    /// dictionary, every row unknown) the first time it is asked for.
    pub fn column(&mut self, fact: &str, year: Option<i32>) -> ColumnId {
        if let Some(id) = self.find(fact, year) {
            return id;
        }
        let id = ColumnId(self.cols.len() as u32);
        self.cols.push(Buf::new(self.dict.get(fact).map(|d| d.ty), self.n));
        self.keys.push((fact.to_string(), year));
        self.index.entry(fact.to_string()).or_default().push((year, id));
        id
    }

    /// The column of `fact` in `year` if it has been made.
    pub fn find(&self, fact: &str, year: Option<i32>) -> Option<ColumnId> {
        self.index.get(fact)?.iter().find(|(y, _)| *y == year).map(|(_, id)| *id)
    }

    /// The (fact, year) of every column, in [`ColumnId`] order.
    pub fn keys(&self) -> &[(String, Option<i32>)] {
        &self.keys
    }

    /// Sets a bool.
    pub fn set_bool(&mut self, c: ColumnId, row: usize, b: bool) {
        if row >= self.n {
            return;
        }
        match &mut self.cols[c.index()] {
            Buf::Bool { valid, truth } => {
                set_bit(valid, row);
                if b {
                    set_bit(truth, row);
                } else {
                    truth[row >> 6] &= !(1 << (row & 63));
                }
            }
            _ => self.set_value(c, row, Value::Bool(b)),
        }
    }

    /// Sets a number given as `m / 10^scale`: an integer at scale 0, money in fen at 2, a
    /// ratio in millionths at 6 (the store's exact integer forms).
    pub fn set_scaled(&mut self, c: ColumnId, row: usize, m: i64, scale: u32) {
        if row >= self.n {
            return;
        }
        let Buf::Num { valid, nums } = &mut self.cols[c.index()] else {
            return self.set_value(c, row, Value::Num(Decimal::new(m, scale.min(28))));
        };
        set_bit(valid, row);
        put_scaled(nums, row, m, scale);
    }

    /// Sets a number given as a decimal.
    pub fn set_decimal(&mut self, c: ColumnId, row: usize, d: Decimal) {
        if row >= self.n {
            return;
        }
        let Buf::Num { valid, nums } = &mut self.cols[c.index()] else {
            return self.set_value(c, row, Value::Num(d));
        };
        set_bit(valid, row);
        let d = d.normalize();
        match i64::try_from(d.mantissa()) {
            Ok(m) if d.scale() <= MAX_SCALE => put_scaled(nums, row, m, d.scale()),
            _ => put_decimal(nums, row, d),
        }
    }

    /// Sets a date given as days since 1970-01-01.
    pub fn set_days(&mut self, c: ColumnId, row: usize, days: i32) {
        if row >= self.n {
            return;
        }
        match &mut self.cols[c.index()] {
            Buf::Date { valid, days: v } => {
                set_bit(valid, row);
                v[row] = days;
            }
            _ => {
                let d = epoch() + chrono::Duration::days(i64::from(days));
                self.set_value(c, row, Value::Date(d))
            }
        }
    }

    /// Sets a code or a text.
    pub fn set_str(&mut self, c: ColumnId, row: usize, s: &str) {
        if row >= self.n {
            return;
        }
        let Buf::Str { valid, ids, dict, index } = &mut self.cols[c.index()] else {
            return self.set_value(c, row, Value::Str(s.to_string()));
        };
        set_bit(valid, row);
        // Codes have few distinct values: a short dictionary is searched in place, a long one
        // (names, free texts) through its index.
        let id = if dict.len() <= 16 {
            dict.iter().position(|d| d == s).map(|p| p as u32)
        } else {
            index.get(s).copied()
        };
        ids[row] = match id {
            Some(id) => id,
            None => {
                dict.push(s.to_string());
                let id = (dict.len() - 1) as u32;
                if dict.len() == 17 {
                    index.extend(dict.iter().enumerate().map(|(k, d)| (d.clone(), k as u32)));
                } else if dict.len() > 17 {
                    index.insert(s.to_string(), id);
                }
                id
            }
        };
    }

    /// Sets a tag set given tag by tag (the store's `;`-joined text, split).
    pub fn set_tags<'t>(&mut self, c: ColumnId, row: usize, tags: impl IntoIterator<Item = &'t str>) {
        if row >= self.n {
            return;
        }
        let mut it = tags.into_iter();
        if let Buf::Tags { valid, masks, dict } = &mut self.cols[c.index()] {
            let mut m = 0u64;
            let mut overflow = None;
            for t in it.by_ref() {
                let k = match dict.iter().position(|d| d == t) {
                    Some(k) => k,
                    None if dict.len() < 64 => {
                        dict.push(t.to_string());
                        dict.len() - 1
                    }
                    None => {
                        overflow = Some(t);
                        break;
                    }
                };
                m |= 1 << k;
            }
            let Some(t) = overflow else {
                set_bit(valid, row);
                masks[row] = m;
                return;
            };
            // A 65th distinct tag: the column becomes sets. This row's set is the tags seen
            // so far (in the mask), this one and the rest.
            let mut set = mask_set(m, dict);
            set.insert(t.to_string());
            set.extend(it.map(str::to_string));
            self.make_sets(c);
            return self.set_tag_set(c, row, &set);
        }
        let set: BTreeSet<String> = it.map(str::to_string).collect();
        self.set_tag_set(c, row, &set);
    }

    /// Sets a whole tag set (any number of distinct tags).
    pub fn set_tag_set(&mut self, c: ColumnId, row: usize, tags: &BTreeSet<String>) {
        if row >= self.n {
            return;
        }
        if let Buf::Tags { dict, .. } = &self.cols[c.index()] {
            let new = tags.iter().filter(|t| !dict.contains(t)).count();
            if dict.len() + new <= 64 {
                return self.set_tags(c, row, tags.iter().map(String::as_str));
            }
            self.make_sets(c);
        }
        match &mut self.cols[c.index()] {
            Buf::TagSets { valid, sets } => {
                set_bit(valid, row);
                sets[row] = tags.clone();
            }
            _ => self.set_value(c, row, Value::Tags(tags.clone())),
        }
    }

    /// Sets a fact value of any kind.
    pub fn set(&mut self, c: ColumnId, row: usize, v: &FactValue) {
        match v {
            FactValue::Bool(b) => self.set_bool(c, row, *b),
            FactValue::Integer(i) => self.set_scaled(c, row, *i, 0),
            FactValue::Money(d) | FactValue::Ratio(d) => self.set_decimal(c, row, *d),
            FactValue::Date(d) => match i32::try_from((*d - epoch()).num_days()) {
                Ok(days) => self.set_days(c, row, days),
                Err(_) => self.set_value(c, row, Value::Date(*d)),
            },
            FactValue::Code(s) | FactValue::Text(s) => self.set_str(c, row, s),
            FactValue::Tags(t) => self.set_tag_set(c, row, t),
        }
    }

    /// Sets every fact of one enterprise (columns made as needed).
    pub fn add_facts(&mut self, row: usize, f: &Facts) {
        for (k, v) in &f.scalar {
            let c = self.column(k, None);
            self.set(c, row, v);
        }
        for (k, years) in &f.yearly {
            for (y, v) in years {
                let c = self.column(k, Some(*y));
                self.set(c, row, v);
            }
        }
    }

    /// The snapshot: the buffers moved into columns, nothing converted.
    pub fn finish(self) -> Snapshot {
        let n = self.n;
        self.finish_rows(n)
    }

    /// The snapshot of the first `n` rows (a streaming caller's last, partial block).
    pub fn finish_rows(self, n: usize) -> Snapshot {
        let n = n.min(self.n);
        let cols = self.keys.into_iter().zip(self.cols).map(|(k, b)| (k, b.finish(n))).collect();
        Snapshot { n, cols }
    }

    /// Stores `v` in row `row` of a column turned into row-by-row values.
    fn set_value(&mut self, c: ColumnId, row: usize, v: Value) {
        let buf = &mut self.cols[c.index()];
        if !matches!(buf, Buf::Values(_)) {
            let old = std::mem::replace(buf, Buf::Values(Vec::new()));
            *buf = old.into_values();
        }
        if let Buf::Values(vals) = buf {
            vals[row] = Some(v);
        }
    }

    /// Turns a tag-mask column into a column of sets.
    fn make_sets(&mut self, c: ColumnId) {
        let buf = &mut self.cols[c.index()];
        if let Buf::Tags { valid, masks, dict } = buf {
            let sets = masks.iter().map(|m| mask_set(*m, dict)).collect();
            *buf = Buf::TagSets { valid: std::mem::take(valid), sets };
        }
    }
}

/// The tags of a mask over `dict`.
fn mask_set(m: u64, dict: &[String]) -> BTreeSet<String> {
    dict.iter().enumerate().filter(|(k, _)| m >> k & 1 == 1).map(|(_, t)| t.clone()).collect()
}

/// Writes `m / 10^scale` into row `row`, raising the column's scale (up to [`MAX_SCALE`]) or
/// turning it into decimals when the value does not fit.
fn put_scaled(nums: &mut Nums, row: usize, m: i64, scale: u32) {
    if let Nums::Scaled { scale: s, v } = nums {
        if scale == *s {
            v[row] = m;
            return;
        }
        if scale < *s {
            if let Some(x) = 10i64.checked_pow(*s - scale).and_then(|f| m.checked_mul(f)) {
                v[row] = x;
                return;
            }
        } else if scale <= MAX_SCALE
            && let Some(f) = 10i64.checked_pow(scale - *s)
            && let Some(up) = v.iter().map(|x| x.checked_mul(f)).collect::<Option<Vec<i64>>>()
        {
            *v = up;
            *s = scale;
            v[row] = m;
            return;
        }
    }
    put_decimal(nums, row, Decimal::new(m, scale.min(28)));
}

/// Writes a decimal into row `row`, turning the column into decimals if it is not yet.
fn put_decimal(nums: &mut Nums, row: usize, d: Decimal) {
    if let Nums::Scaled { scale, v } = nums {
        let s = *scale;
        *nums = Nums::Dec(v.iter().map(|x| Decimal::new(*x, s)).collect());
    }
    if let Nums::Dec(v) = nums {
        v[row] = d;
    }
}
