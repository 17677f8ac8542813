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
//! A run is written in one transaction: it is there whole or not at all.
//!
//! The trait also runs a condition compiled by `rules::sql` inside the database
//! ([`MatchStore::outcomes_in_database`]), over the view `rule_facts` (the stored facts plus
//! the registry attributes the rules read as facts), the SQL path of a match.
//!
//! What it leaves out: deciding (the rules crate) and the clock (the caller passes the actor
//! with the time).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{Actor, Result};

/// A match run to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMatchRun {
    pub actor: Actor,
    /// The evaluation date.
    pub date: NaiveDate,
    /// Identifies the policy library the run used (e.g. a hash of its files).
    pub library_fingerprint: String,
    pub enterprises: u64,
    pub items: u64,
    /// Reading the snapshot from the store, in milliseconds.
    pub load_ms: u64,
    /// Evaluating, in milliseconds.
    pub eval_ms: u64,
    pub counts: Vec<MatchCount>,
    pub eligible: Vec<MatchEligible>,
}

/// One item's counts in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchCount {
    pub item: String,
    pub eligible: u64,
    pub ineligible: u64,
    pub undetermined: u64,
    /// Sum of the eligible amounts (exact; zero for an item without an amount).
    pub total_amount: Decimal,
}

/// One eligible enterprise of an item in a run.
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
    pub library_fingerprint: String,
    pub enterprises: u64,
    pub items: u64,
    pub load_ms: u64,
    pub eval_ms: u64,
    pub counts: Vec<MatchCount>,
}

/// The outcome of one enterprise under a condition run in the database: `Some(true)`
/// eligible, `Some(false)` ineligible, `None` undetermined.
pub type DbOutcome = (i64, Option<bool>);

/// Match runs in the store.
#[async_trait]
pub trait MatchStore: Send + Sync {
    /// Records a run, its counts and its eligible results in one transaction; returns its id.
    async fn record_match_run(&self, run: NewMatchRun) -> Result<i64>;

    /// The latest runs, newest first, each with its counts.
    async fn match_runs(&self, limit: u64) -> Result<Vec<MatchRun>>;

    /// The eligible results of a run, by enterprise id then item.
    async fn match_run_eligible(&self, run_id: i64) -> Result<Vec<MatchEligible>>;

    /// Every enterprise's outcome (by id) under a condition compiled by
    /// `rules::sql::compile_condition` for this backend's dialect, run read-only inside the
    /// database over [`RULE_FACTS`].
    async fn outcomes_in_database(&self, condition: &str) -> Result<Vec<DbOutcome>>;
}

/// The view the SQL path reads facts from.
pub const RULE_FACTS: &str = "rule_facts";

/// The query giving every enterprise's outcome under a compiled condition, reading facts from
/// [`RULE_FACTS`] (the compiled text names `enterprise_facts`, which holds only the
/// measured facts; the registry attributes live on `enterprises`).
pub fn outcome_query(condition: &str) -> String {
    let condition = condition.replace("FROM enterprise_facts f", &format!("FROM {RULE_FACTS} f"));
    format!(
        "SELECT e.id, CASE WHEN {condition} THEN 1 WHEN NOT ({condition}) THEN 0 END AS outcome \
         FROM enterprises e ORDER BY e.id"
    )
}

/// SQL texts both dialects accept.
pub mod sql {
    pub const INSERT_COUNT: &str = "INSERT INTO match_run_counts \
        (run_id, item, eligible, ineligible, undetermined, total_amount) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const INSERT_RESULT: &str =
        "INSERT INTO match_run_results (run_id, enterprise_id, item, amount) VALUES ($1, $2, $3, $4)";
    pub const LIST_RUNS: &str = "SELECT id, at, actor, date, library_fingerprint, enterprises, items, \
        load_ms, eval_ms FROM match_runs ORDER BY id DESC LIMIT $1";
    pub const COUNTS_OF: &str = "SELECT item, eligible, ineligible, undetermined, total_amount \
        FROM match_run_counts WHERE run_id = $1 ORDER BY item";
    pub const RESULTS_OF: &str = "SELECT enterprise_id, item, amount FROM match_run_results \
        WHERE run_id = $1 ORDER BY enterprise_id, item";
}

/// Parses a stored decimal text (an amount); a malformed one is a backend error.
pub fn parse_amount(s: &str) -> Result<Decimal> {
    s.parse::<Decimal>().map_err(|e| crate::StoreError::Backend(format!("stored amount {s:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_query_reads_the_rule_facts_view() {
        let c = "((SELECT f.num FROM enterprise_facts f WHERE f.enterprise_id = e.id AND f.fact = 'x' \
                 AND f.year = 0) = 1)";
        let q = outcome_query(c);
        assert!(!q.contains("enterprise_facts"), "{q}");
        assert_eq!(q.matches("FROM rule_facts f").count(), 2, "{q}");
    }

    #[test]
    fn stored_amounts_parse_exactly() {
        assert_eq!(parse_amount("1234.56").unwrap(), Decimal::new(123_456, 2));
        assert!(parse_amount("1,2").is_err());
    }
}
