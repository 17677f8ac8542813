//! Streaming evaluation: enterprises arrive row by row (a store's pages), their values are
//! written straight into the columns of the block being built, and each block is evaluated
//! by every compiled plan as soon as it is full, then dropped. Memory is bounded by one
//! block's columns plus the results (bitmaps and the eligible amounts), never by all the
//! rows, and the results are those of [`super::run`] over the same enterprises in one
//! snapshot (a property test in `tests/it/agree.rs` checks it).
//!
//! Only the columns the plans read are built: [`Stream::columns`] lists them (fact and
//! year) and [`Stream::column`] resolves one to the [`ColumnId`] every block uses, so a
//! caller maps its input to columns once, not per cell. A value for a column no plan reads
//! has no id and is simply not written.
//!
//! Several plans share the blocks: a simulation runs the current and the changed program
//! over the same enterprises in one pass.

use super::columns::{ColumnId, SnapshotBuilder};
use super::{Compiled, MatchResult, join};
use enterprise::{FactDictionary, FactValue};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// The streaming evaluator. See the module documentation.
pub struct Stream<'p, 'd> {
    plans: Vec<Compiled<'p>>,
    dict: &'d FactDictionary,
    keys: Vec<(String, Option<i32>)>,
    block_rows: usize,
    builder: SnapshotBuilder<'d>,
    /// Rows begun in the current block.
    in_block: usize,
    /// Rows begun in all.
    rows: usize,
    /// Per plan, the results of each finished block.
    parts: Vec<Vec<MatchResult>>,
    /// Rows of each finished block.
    sizes: Vec<usize>,
}

impl<'p, 'd> Stream<'p, 'd> {
    /// Rows per block unless the caller says otherwise: 65,536 enterprises keep a block's
    /// columns and bitmaps (a few MiB) in cache, as `docs/PERFORMANCE.md` measured.
    pub const BLOCK_ROWS: usize = 65_536;

    /// A stream evaluating every plan over blocks of `block_rows` enterprises (rounded up to
    /// a multiple of 64, so that blocks join word by word).
    pub fn new(plans: Vec<Compiled<'p>>, dict: &'d FactDictionary, block_rows: usize) -> Stream<'p, 'd> {
        let mut keys: Vec<(String, Option<i32>)> =
            plans.iter().flat_map(|p| p.facts().map(|(f, y)| (f.to_string(), y))).collect();
        keys.sort();
        keys.dedup();
        let block_rows = block_rows.max(64).div_ceil(64) * 64;
        let builder = SnapshotBuilder::with_columns(block_rows, dict, &keys);
        let parts = plans.iter().map(|_| Vec::new()).collect();
        Stream { plans, dict, keys, block_rows, builder, in_block: 0, rows: 0, parts, sizes: Vec::new() }
    }

    /// The columns the plans read, in [`ColumnId`] order: (fact, year), `None` for a scalar
    /// fact.
    pub fn columns(&self) -> &[(String, Option<i32>)] {
        &self.keys
    }

    /// The fact ids the plans read (what a store needs to fetch).
    pub fn facts(&self) -> BTreeSet<&str> {
        self.keys.iter().map(|(f, _)| f.as_str()).collect()
    }

    /// The column of `fact` in `year`, or `None` when no plan reads it.
    pub fn column(&self, fact: &str, year: Option<i32>) -> Option<ColumnId> {
        self.builder.find(fact, year)
    }

    /// Whether the current block is full: the next [`Stream::push_row`] evaluates it first. A
    /// caller that times evaluation apart from building calls [`Stream::evaluate_block`]
    /// itself when this says so.
    pub fn block_full(&self) -> bool {
        self.in_block == self.block_rows
    }

    /// Evaluates the current block (if it has rows) with every plan and starts an empty one.
    pub fn evaluate_block(&mut self) {
        if self.in_block > 0 {
            self.flush();
        }
    }

    /// Begins the next enterprise (every value unknown until set) and returns its row number,
    /// counted from 0 across blocks. A full block is evaluated first.
    pub fn push_row(&mut self) -> usize {
        if self.block_full() {
            self.flush();
        }
        self.in_block += 1;
        self.rows += 1;
        self.rows - 1
    }

    /// Rows begun so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The current row within its block (`usize::MAX` before the first row: the builder
    /// ignores it).
    fn row(&self) -> usize {
        self.in_block.wrapping_sub(1)
    }

    /// Sets a bool of the current row.
    pub fn set_bool(&mut self, c: ColumnId, b: bool) {
        let row = self.row();
        self.builder.set_bool(c, row, b);
    }

    /// Sets a number of the current row given as `m / 10^scale` (see
    /// [`SnapshotBuilder::set_scaled`]).
    pub fn set_scaled(&mut self, c: ColumnId, m: i64, scale: u32) {
        let row = self.row();
        self.builder.set_scaled(c, row, m, scale);
    }

    /// Sets a number of the current row.
    pub fn set_decimal(&mut self, c: ColumnId, d: Decimal) {
        let row = self.row();
        self.builder.set_decimal(c, row, d);
    }

    /// Sets a date of the current row as days since 1970-01-01.
    pub fn set_days(&mut self, c: ColumnId, days: i32) {
        let row = self.row();
        self.builder.set_days(c, row, days);
    }

    /// Sets a code or text of the current row.
    pub fn set_str(&mut self, c: ColumnId, s: &str) {
        let row = self.row();
        self.builder.set_str(c, row, s);
    }

    /// Sets the tags of the current row.
    pub fn set_tags<'t>(&mut self, c: ColumnId, tags: impl IntoIterator<Item = &'t str>) {
        let row = self.row();
        self.builder.set_tags(c, row, tags);
    }

    /// Sets a fact value of any kind of the current row.
    pub fn set(&mut self, c: ColumnId, v: &FactValue) {
        let row = self.row();
        self.builder.set(c, row, v);
    }

    /// Evaluates the current block with every plan and starts an empty one.
    fn flush(&mut self) {
        let next = SnapshotBuilder::with_columns(self.block_rows, self.dict, &self.keys);
        let full = std::mem::replace(&mut self.builder, next);
        let snap = full.finish_rows(self.in_block);
        for (plan, parts) in self.plans.iter().zip(&mut self.parts) {
            parts.push(plan.run(&snap));
        }
        self.sizes.push(self.in_block);
        self.in_block = 0;
    }

    /// Evaluates the last block and returns each plan's results over every row, in the
    /// order of the plans given to [`Stream::new`].
    pub fn finish(mut self) -> Vec<MatchResult> {
        if self.in_block > 0 || self.sizes.is_empty() {
            self.flush();
        }
        let sizes = std::mem::take(&mut self.sizes);
        let parts = std::mem::take(&mut self.parts);
        self.plans.iter().zip(parts).map(|(plan, p)| join(plan, p, &sizes)).collect()
    }
}
