//! Match runs (政策匹配批次): the stored result of `huiqi policy match`, every
//! assistance-target enterprise decided against every item in force on a date by the batch
//! engine.
//!
//! - `match_runs`: one row per run (who, when, the evaluation date, the library's
//!   fingerprint, how many enterprises and items, load and evaluation times).
//! - `match_run_counts`: per run and item, how many are eligible, ineligible and
//!   undetermined, and the total amount as exact decimal text.
//! - `match_run_results`: per run, each eligible (enterprise, item) with its amount, so that a
//!   later 免申即享 batch and the web read who qualified without evaluating again.
//!
//! A run is written in one transaction: it is there whole or not at all. The eligible pairs
//! come per item (ids and amounts in vectors, a few bytes a pair, since a zone of a million
//! enterprises has millions of them) and are written in (enterprise, item) order, the order
//! of the table's primary key, in batches (multi-row statements on SQLite, `COPY` on
//! PostgreSQL): [`NewMatchRun::pairs`] gives that order.
//!
//! What it leaves out: deciding (the rules crate), reading the facts (see [`crate::scan`])
//! and the clock (the caller passes the actor with the time).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::{Result, Stamp};

/// A match run to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMatchRun {
    pub actor: Stamp,
    /// The evaluation date.
    pub date: NaiveDate,
    /// The tax year its annual items were decided for; `None`: the year of `date`.
    pub tax_year: Option<i32>,
    /// Identifies the policy library the run used (e.g. a hash of its files).
    pub library_fingerprint: String,
    pub enterprises: u64,
    pub items: u64,
    /// Reading the snapshot from the store, in milliseconds.
    pub load_ms: u64,
    /// Evaluating, in milliseconds.
    pub eval_ms: u64,
    pub counts: Vec<MatchCount>,
    /// The eligible enterprises, item by item.
    pub eligible: Vec<EligibleOfItem>,
    /// The undetermined enterprises of the items that may be granted (`amounts` empty): the
    /// needs-data candidates of a grant run (migration 0026).
    pub undetermined: Vec<EligibleOfItem>,
}

/// The eligible enterprises of one item in a run to record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EligibleOfItem {
    pub item: String,
    /// Enterprise ids, ascending.
    pub enterprise_ids: Vec<i64>,
    /// The amount of each, aligned with `enterprise_ids` (`None`: eligible, amount not known);
    /// empty for an item without an amount.
    pub amounts: Vec<Option<Decimal>>,
}

impl NewMatchRun {
    /// Every eligible (enterprise id, item, amount) in (enterprise id, item) order: the order
    /// of `match_run_results`' primary key, so inserting in it appends to the index. A merge
    /// of the items' ascending lists (a heap of one cursor per item).
    pub fn pairs(&self) -> impl Iterator<Item = (i64, &str, Option<Decimal>)> + '_ {
        let mut order: Vec<usize> = (0..self.eligible.len()).collect();
        order.sort_by(|a, b| self.eligible[*a].item.cmp(&self.eligible[*b].item));
        let mut rank = vec![0; self.eligible.len()];
        for (r, k) in order.iter().enumerate() {
            rank[*k] = r;
        }
        let mut cursor = vec![0usize; self.eligible.len()];
        let mut heap: BinaryHeap<Reverse<(i64, usize, usize)>> = self
            .eligible
            .iter()
            .enumerate()
            .filter_map(|(k, e)| e.enterprise_ids.first().map(|id| Reverse((*id, rank[k], k))))
            .collect();
        std::iter::from_fn(move || {
            let Reverse((id, r, k)) = heap.pop()?;
            let e = &self.eligible[k];
            let amount = e.amounts.get(cursor[k]).copied().flatten();
            cursor[k] += 1;
            if let Some(next) = e.enterprise_ids.get(cursor[k]) {
                heap.push(Reverse((*next, r, k)));
            }
            Some((id, e.item.as_str(), amount))
        })
    }

    /// Eligible pairs in all.
    pub fn pair_count(&self) -> usize {
        self.eligible.iter().map(|e| e.enterprise_ids.len()).sum()
    }
}

/// One item's counts in a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MatchCount {
    pub item: String,
    pub eligible: u64,
    pub ineligible: u64,
    pub undetermined: u64,
    /// Sum of the known eligible amounts (exact; zero for an item without an amount).
    pub total_amount: Decimal,
    /// How the benefit is obtained (`rules::BenefitKind`, as text); `None` for runs stored
    /// before migration 0015.
    pub benefit_kind: Option<String>,
    /// The period decided (`2022`, `2022-Q2`, `2022-05`, `2022-05-31`); `None` likewise.
    pub period: Option<String>,
    /// Of the eligible, those whose amount is not known (their results' amount is NULL).
    pub amount_missing: u64,
    /// The item replacing this one for the period: this item counts in no total.
    pub superseded_by: Option<String>,
}

/// One eligible enterprise of an item in a stored run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchEligible {
    pub enterprise_id: i64,
    pub item: String,
    /// `None` for an item without an amount.
    pub amount: Option<Decimal>,
}

/// A recorded match run with its counts (items in id order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRun {
    pub id: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub date: NaiveDate,
    /// The tax year its annual items were decided for; `None`: the year of `date`.
    pub tax_year: Option<i32>,
    pub library_fingerprint: String,
    pub enterprises: u64,
    pub items: u64,
    pub load_ms: u64,
    pub eval_ms: u64,
    pub counts: Vec<MatchCount>,
}

/// Match runs in the store.
#[async_trait]
pub trait MatchStore: Send + Sync {
    /// Records a run, its counts and its eligible results in one transaction; returns its id.
    async fn record_match_run(&self, run: NewMatchRun) -> Result<i64>;

    /// The latest runs, newest first, each with its counts.
    async fn match_runs(&self, limit: u64) -> Result<Vec<MatchRun>>;

    /// The eligible results of a run, by enterprise id then item.
    async fn match_run_eligible(&self, run_id: i64) -> Result<Vec<MatchEligible>>;

    /// One item's results in a run, as a grant run reads them: the ids of its eligible
    /// enterprises and of its undetermined ones (stored for the items that may be granted
    /// only), both ascending. Ids only: the grant run decides the amounts again, and reading
    /// them made SQLite visit the table for every row (0.4 s against 0.02 s for 72,000).
    async fn match_run_item(&self, run_id: i64, item: &str) -> Result<(Vec<i64>, Vec<i64>)>;
}

/// SQL texts both dialects accept.
pub mod sql {
    pub const INSERT_COUNT: &str = "INSERT INTO match_run_counts \
        (run_id, item, eligible, ineligible, undetermined, total_amount, benefit_kind, period, amount_missing, \
        superseded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    pub const LIST_RUNS: &str = "SELECT id, at, actor, date, library_fingerprint, enterprises, items, \
        load_ms, eval_ms, tax_year FROM match_runs ORDER BY id DESC LIMIT $1";
    pub const COUNTS_OF: &str = "SELECT item, eligible, ineligible, undetermined, total_amount, benefit_kind, \
        period, amount_missing, superseded_by FROM match_run_counts WHERE run_id = $1 ORDER BY item";
    pub const RESULTS_OF: &str = "SELECT enterprise_id, item, amount FROM match_run_results \
        WHERE run_id = $1 ORDER BY enterprise_id, item";
    pub const RESULTS_OF_ITEM: &str = "SELECT enterprise_id FROM match_run_results \
        WHERE run_id = $1 AND item = $2 ORDER BY enterprise_id";
    pub const UNDETERMINED_OF_ITEM: &str = "SELECT enterprise_id FROM match_run_undetermined \
        WHERE run_id = $1 AND item = $2 ORDER BY enterprise_id";
    pub const INSERT_UNDETERMINED: &str =
        "INSERT INTO match_run_undetermined (run_id, item, enterprise_id) VALUES ($1, $2, $3)";
}

/// Parses a stored decimal text (an amount); a malformed one is a backend error.
pub fn parse_amount(s: &str) -> Result<Decimal> {
    s.parse::<Decimal>().map_err(|e| crate::StoreError::Backend(format!("stored amount {s:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_come_in_enterprise_then_item_order_with_their_amounts() {
        let run = NewMatchRun {
            actor: crate::Stamp::new("t", chrono::DateTime::default()),
            date: NaiveDate::default(),
            tax_year: None,
            library_fingerprint: String::new(),
            enterprises: 4,
            items: 3,
            load_ms: 0,
            eval_ms: 0,
            counts: Vec::new(),
            eligible: vec![
                EligibleOfItem {
                    item: "b".into(),
                    enterprise_ids: vec![1, 4],
                    amounts: vec![Some(Decimal::new(1, 0)), None],
                },
                EligibleOfItem { item: "a".into(), enterprise_ids: vec![2, 4], amounts: Vec::new() },
                EligibleOfItem { item: "c".into(), enterprise_ids: Vec::new(), amounts: Vec::new() },
            ],
            undetermined: Vec::new(),
        };
        let got: Vec<(i64, &str, Option<Decimal>)> = run.pairs().collect();
        assert_eq!(
            got,
            vec![(1, "b", Some(Decimal::new(1, 0))), (2, "a", None), (4, "a", None), (4, "b", None),]
        );
        assert_eq!(run.pair_count(), 4);
    }

    #[test]
    fn stored_amounts_parse_exactly() {
        assert_eq!(parse_amount("1234.56").unwrap(), Decimal::new(123_456, 2));
        assert!(parse_amount("1,2").is_err());
    }
}
