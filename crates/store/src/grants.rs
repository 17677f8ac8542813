//! 免申即享 grants in the store (issue 12): grant runs, grants with their frozen basis,
//! the needs-data list, objections, approvals, payment files and their lines, payment results,
//! and the grant audit chain. Migration 0022 in each backend.
//!
//! The invariants live in the database, not only in `app::grants`:
//! - `UNIQUE (enterprise_id, item, period)` on `grants`: a rerun, a concurrent run or a retry
//!   after a crash inserts with `ON CONFLICT DO NOTHING` and cannot add a second grant;
//! - approvals copy the run's preparer into the row: `CHECK (approver <> preparer)`, a
//!   trigger that the copy is the run's preparer, and the primary key (run, round, approver)
//!   so that one person approves a round once ([`StoreError::ApproverIsPreparer`],
//!   [`StoreError::ApprovedTwice`]);
//! - a trigger refuses a payment file whose issuer prepared or approved the run
//!   ([`StoreError::IssuerNotIndependent`]);
//! - a partial unique index over the *active* payment-file lines: a grant is in at most one
//!   live line; a line stops being active when its file is voided or its payment failed (then
//!   it may go into a follow-up file).
//!
//! Money is stored as whole fen (`amount_fen`, 64-bit integers), so that sums in SQL are
//! exact; [`fen`] and [`yuan`] convert.
//!
//! Every write is one transaction with its audit event in `grant_events`, a hash chain of
//! its own (`hash = sha256(prev_hash ‖ canonical_json)`, head in `grant_chain_head`), checked
//! by [`GrantStore::verify_grant_chain`] (`huiqi grant audit-verify`, and the scenario test).
//!
//! What it leaves out: deciding (the `grants` and `rules` crates), permissions and the
//! clock (`app::grants`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{Result, Stamp, StoreError};

pub mod packed;

/// Grants written per statement / chunk by the backends.
pub const BATCH: usize = 5_000;

/// Yuan → whole fen. Amounts are checked to be in fen before they reach the store; a finer
/// amount is a backend error rather than a silent rounding.
pub fn fen(yuan: Decimal) -> Result<i64> {
    let f = yuan * Decimal::ONE_HUNDRED;
    if f.fract() != Decimal::ZERO {
        return Err(StoreError::Backend(format!("amount {yuan} is finer than a fen")));
    }
    i64::try_from(f).map_err(|_| StoreError::Backend(format!("amount {yuan} out of range")))
}

/// Whole fen → yuan with two decimals.
pub fn yuan(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// A grant run to open or rerun (keyed by item and period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrantRun {
    pub item: String,
    pub period: String,
    pub match_run: i64,
    /// The stored version of the policy document the item came from.
    pub document_version: i64,
    /// Who runs it (the preparer when the run is new) and when.
    pub actor: Stamp,
}

/// A grant to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    pub enterprise_id: i64,
    pub uscc: String,
    pub name: String,
    pub amount: Decimal,
    /// The basis (canonical JSON) packed against [`RecordGrants::basis_dictionary`]
    /// ([`packed`]), and the SHA-256 of the text.
    pub basis: Vec<u8>,
    pub basis_hash: String,
}

/// An enterprise that could not be granted: eligible without an amount, or undetermined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsData {
    pub enterprise_id: i64,
    pub uscc: String,
    pub name: String,
    /// `eligible` (amount unknown) or `undetermined`.
    pub outcome: String,
    /// The facts missing (`revenue[2022]`).
    pub missing: Vec<String>,
    /// The departments holding them.
    pub departments: Vec<String>,
}

/// What a run (or rerun) writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordGrants {
    pub run: NewGrantRun,
    pub grants: Vec<NewGrant>,
    /// The dictionary the grants' bases were packed against (empty when there are none).
    pub basis_dictionary: Vec<u8>,
    /// The needs-data list as of this run (replaces the previous one).
    pub needs_data: Vec<NeedsData>,
}

/// What a pass over several runs sends to [`GrantStore::record_grant_runs`] as it goes.
#[derive(Debug)]
pub enum RunsMessage {
    /// The grants and needs-data rows of some enterprises, per run (in the runs' order; an
    /// empty part for a run with nothing there). A run's basis dictionary comes with the
    /// part that carries its first grant.
    Batch(Vec<RunPart>),
    /// Everything was sent: write the runs' audit events and commit. A channel that closes
    /// without it records nothing.
    Done,
}

/// One run's share of a [`RunsMessage::Batch`].
#[derive(Debug, Default)]
pub struct RunPart {
    pub grants: Vec<NewGrant>,
    pub needs_data: Vec<NeedsData>,
    /// The dictionary of this run's bases, with the part holding its first grant.
    pub basis_dictionary: Option<Vec<u8>>,
}

/// What a run (or rerun) wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub run: i64,
    /// Whether the run was created now (false: a rerun of an existing one).
    pub created: bool,
    /// Grants added now (a grant another run added meanwhile is not counted).
    pub added: u64,
    pub added_amount: Decimal,
    pub needs_data: u64,
}

/// A grant run with its totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantRun {
    pub id: i64,
    pub item: String,
    pub period: String,
    pub match_run: i64,
    pub preparer: String,
    pub created_at: DateTime<FixedOffset>,
    pub document_version: i64,
    pub publicity_from: Option<NaiveDate>,
    pub publicity_until: Option<NaiveDate>,
    pub budget: Option<Decimal>,
    pub allocation_rule: Option<String>,
    pub budget_by: Option<String>,
    /// The approval round under way (a round ends when enough approvals were given).
    pub round: i64,
    /// Per state: how many grants and their amount.
    pub states: Vec<StateCount>,
    pub needs_data: u64,
    /// Approvers of the current round.
    pub approvals: Vec<String>,
}

impl GrantRun {
    /// Grants not rejected, and their amount.
    pub fn live_totals(&self) -> (u64, Decimal) {
        self.states
            .iter()
            .filter(|s| s.state != "rejected")
            .fold((0, Decimal::ZERO), |(n, a), s| (n + s.grants, a + s.amount))
    }

    pub fn count_in(&self, state: &str) -> u64 {
        self.states.iter().filter(|s| s.state == state).map(|s| s.grants).sum()
    }

    pub fn amount_in(&self, state: &str) -> Decimal {
        self.states.iter().filter(|s| s.state == state).map(|s| s.amount).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    pub state: String,
    pub grants: u64,
    pub amount: Decimal,
}

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub id: i64,
    pub run_id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub name: String,
    pub item: String,
    pub period: String,
    pub amount: Decimal,
    pub state: String,
    pub basis_hash: String,
    pub created_at: DateTime<FixedOffset>,
    pub paid_date: Option<NaiveDate>,
    pub voucher: Option<String>,
}

/// One grant with its basis, objections and payment results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantDetail {
    pub grant: Grant,
    pub basis: String,
    pub objections: Vec<Objection>,
    pub results: Vec<ResultRow>,
}

/// An objection (异议) and how it was handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objection {
    pub id: i64,
    pub grant_id: i64,
    pub by: String,
    pub by_role: String,
    pub reason: String,
    pub at: DateTime<FixedOffset>,
    pub handled_by: Option<String>,
    /// `upheld` or `rejected`.
    pub outcome: Option<String>,
    pub handling_reason: Option<String>,
    pub handled_at: Option<DateTime<FixedOffset>>,
    pub new_amount: Option<Decimal>,
}

/// How an objection is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleObjection {
    pub objection: i64,
    pub upheld: bool,
    pub reason: String,
    /// Upheld with a new amount: the grant is changed and stays; upheld without: removed.
    pub new_amount: Option<Decimal>,
    pub actor: Stamp,
}

/// A budget decision: the budget, the rule the officer chose and each grant's allocation
/// (a grant allocated zero is removed: rejected, the decision its reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetDecision {
    pub run: i64,
    pub budget: Decimal,
    pub rule: String,
    pub lines: Vec<(i64, Decimal)>,
    pub actor: Stamp,
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approved {
    pub run: i64,
    /// Approvers of the round, this one included.
    pub approvals: Vec<String>,
    pub required: u32,
    /// Grants moved to approved (zero until the round has enough approvals).
    pub approved: u64,
    pub approved_amount: Decimal,
}

/// A payment file to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPaymentFile {
    pub run: i64,
    pub file_id: String,
    /// `payment` (approved grants never issued) or `follow_up` (approved grants whose
    /// payment failed).
    pub kind: String,
    pub format: String,
    pub actor: Stamp,
}

/// A stored payment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentFile {
    pub id: String,
    pub run_id: i64,
    pub kind: String,
    pub format: String,
    pub issuer: String,
    pub at: DateTime<FixedOffset>,
    pub lines: u64,
    pub control_sum: Decimal,
    pub voided: bool,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

/// One line of an issued file with what the file writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedLine {
    pub grant: i64,
    pub uscc: String,
    pub name: String,
    pub item: String,
    pub period: String,
    pub amount: Decimal,
}

/// One imported payment result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultRow {
    pub grant: i64,
    pub date: NaiveDate,
    pub voucher: String,
    pub amount: Decimal,
    pub ok: bool,
    pub reason: Option<String>,
    pub batch: i64,
}

/// A batch of payment results to import, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResultBatch {
    pub file_name: String,
    pub rows: Vec<ResultRow>,
    pub actor: Stamp,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedResults {
    pub batch: i64,
    pub rows: u64,
    /// Grants marked paid.
    pub paid: u64,
    pub failed: u64,
    /// Rows for grants that do not exist.
    pub unknown: u64,
}

/// One event of the grant audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantEvent {
    pub seq: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub run_id: Option<i64>,
    pub grant_id: Option<i64>,
    pub action: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl GrantEvent {
    /// The hashed text: the event's fields as canonical JSON (times in China time, RFC 3339).
    pub fn canonical_json(
        seq: i64,
        at: DateTime<FixedOffset>,
        actor: &str,
        run_id: Option<i64>,
        grant_id: Option<i64>,
        action: &str,
        detail: &str,
    ) -> String {
        let v = serde_json::json!({
            "seq": seq,
            "at": at.with_timezone(&crate::china_offset()).to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
            "actor": actor,
            "run_id": run_id,
            "grant_id": grant_id,
            "action": action,
            "detail": detail,
        });
        ::grants::basis::canonical(&v)
    }
}

/// What verifying the grant chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantChainReport {
    pub events: u64,
    pub head_hash: String,
    /// The first event (seq) whose link or hash is wrong, or the head's seq when the chain
    /// ends before or runs past the head.
    pub broken: Option<i64>,
}

/// Checks a chain read in seq order against its head (seq, hash).
pub fn verify_grant_events(events: &[GrantEvent], head: (i64, String)) -> GrantChainReport {
    let mut prev = crate::problems::GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    for e in events {
        let text =
            GrantEvent::canonical_json(e.seq, e.at, &e.actor, e.run_id, e.grant_id, &e.action, &e.detail);
        if e.seq != expected_seq || e.prev_hash != prev || crate::problems::chain_hash(&prev, &text) != e.hash
        {
            return GrantChainReport { events: events.len() as u64, head_hash: head.1, broken: Some(e.seq) };
        }
        prev = e.hash.clone();
        expected_seq += 1;
    }
    let broken = (head.0 != expected_seq - 1 || head.1 != prev).then_some(head.0);
    GrantChainReport { events: events.len() as u64, head_hash: head.1, broken }
}

/// Grants in the store.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Opens the run for (item, period) or reruns it, adds the grants no run has made yet
    /// (`ON CONFLICT DO NOTHING` on (enterprise, item, period)), replaces the needs-data
    /// list, in one transaction with its audit event.
    async fn record_grants(&self, req: RecordGrants) -> Result<Recorded>;

    /// Records several runs as their grants are judged: each run as [`record_grants`] would
    /// record it with everything sent for it, from the batches received until
    /// [`RunsMessage::Done`]. A channel that closes before `Done` records nothing of what it
    /// sent (the recorder may have written runs before it: see the backend). The outcomes
    /// in the runs' order.
    ///
    /// This default gathers every batch and then records the runs one by one, each in a
    /// transaction of its own. Both backends override it: they write the batches as they
    /// come, all the runs in one transaction (SQLite on its writer), while the caller
    /// judges the next enterprises.
    ///
    /// [`record_grants`]: GrantStore::record_grants
    async fn record_grant_runs(
        &self,
        runs: Vec<NewGrantRun>,
        mut batches: tokio::sync::mpsc::Receiver<RunsMessage>,
    ) -> Result<Vec<Recorded>> {
        let mut whole: Vec<RecordGrants> = runs
            .into_iter()
            .map(|run| RecordGrants {
                run,
                grants: Vec::new(),
                basis_dictionary: Vec::new(),
                needs_data: Vec::new(),
            })
            .collect();
        loop {
            match batches.recv().await {
                Some(RunsMessage::Batch(parts)) => {
                    for (r, part) in whole.iter_mut().zip(parts) {
                        r.grants.extend(part.grants);
                        r.needs_data.extend(part.needs_data);
                        if let Some(d) = part.basis_dictionary {
                            r.basis_dictionary = d;
                        }
                    }
                }
                Some(RunsMessage::Done) => break,
                None => {
                    return Err(StoreError::Backend("grant runs: the pass stopped before its end".into()));
                }
            }
        }
        let mut out = Vec::with_capacity(whole.len());
        for r in whole {
            out.push(self.record_grants(r).await?);
        }
        Ok(out)
    }

    async fn grant_run(&self, id: i64) -> Result<Option<GrantRun>>;

    /// The run of an item and period, if any.
    async fn grant_run_by_key(&self, item: &str, period: &str) -> Result<Option<i64>>;

    /// The latest runs, newest first.
    async fn grant_runs(&self, limit: u64) -> Result<Vec<GrantRun>>;

    /// The enterprises that have a grant for the item and period (any state, any run).
    async fn granted_enterprises(&self, item: &str, period: &str) -> Result<Vec<i64>>;

    /// A run's grants with id above `after`, by id, at most `limit`.
    async fn grants_of_run(&self, run: i64, after: i64, limit: u64) -> Result<Vec<Grant>>;

    async fn grant(&self, id: i64) -> Result<Option<GrantDetail>>;

    /// An enterprise's grants, newest first.
    async fn grants_of_enterprise(&self, enterprise_id: i64) -> Result<Vec<Grant>>;

    async fn needs_data(&self, run: i64) -> Result<Vec<NeedsData>>;

    /// A run's objections, by id.
    async fn objections_of_run(&self, run: i64) -> Result<Vec<Objection>>;

    /// Starts publicity: the run's pending grants go into publicity from `from` to `until`
    /// (inclusive). Returns how many moved.
    async fn publicize(&self, run: i64, from: NaiveDate, until: NaiveDate, actor: Stamp) -> Result<u64>;

    /// Records an objection to a grant in publicity (which becomes objected); its id.
    async fn object(&self, grant: i64, role: &str, reason: &str, actor: Stamp) -> Result<i64>;

    /// Handles an open objection: upheld removes (rejected) or changes the grant (new amount,
    /// back in publicity), rejected keeps it (back in publicity).
    async fn handle_objection(&self, h: HandleObjection) -> Result<Objection>;

    /// Records a budget decision and applies its allocation to the grants in publicity or
    /// pending.
    async fn decide_budget(&self, d: BudgetDecision) -> Result<()>;

    /// Records an approval of the run's current round; when the round has `required`
    /// approvals, its grants in publicity become approved and a new round begins. Refused
    /// while an objection is open ([`StoreError::GrantObjectionsOpen`]).
    async fn approve(&self, run: i64, required: u32, actor: Stamp) -> Result<Approved>;

    /// Issues a payment file over the run's approved grants that have no live line (for
    /// `payment`: never issued; for `follow_up`: issued and failed), with its control totals.
    async fn issue_payment_file(&self, f: NewPaymentFile) -> Result<(PaymentFile, Vec<IssuedLine>)>;

    /// Voids a file: its lines stop being live and may be issued again.
    async fn void_payment_file(&self, file_id: &str, reason: &str, actor: Stamp) -> Result<PaymentFile>;

    async fn payment_files(&self, run: i64) -> Result<Vec<PaymentFile>>;

    /// Imports payment results, all or nothing: a successful result marks its approved
    /// grant paid (date, voucher); a failed one ends its live line.
    async fn import_payment_results(&self, batch: NewResultBatch) -> Result<ImportedResults>;

    /// What reconciling a run reads: the lines of its non-voided files (the latest line per
    /// grant) and every result for its grants, plus the results of unknown grants imported in
    /// the same batches.
    async fn reconcile_inputs(
        &self,
        run: i64,
    ) -> Result<(Vec<::grants::Issued>, Vec<::grants::PaymentResult>)>;

    /// The audit events of a run, oldest first.
    async fn grant_events(&self, run: i64) -> Result<Vec<GrantEvent>>;

    /// Re-hashes the grant audit chain.
    async fn verify_grant_chain(&self) -> Result<GrantChainReport>;
}

/// SQL texts both dialects accept. Parameters appear in ascending order in each text:
/// SQLite numbers `$N` parameters by first appearance.
pub mod sql {
    pub const RUN_COLUMNS: &str = "id, item, period, match_run, preparer, created_at, document_version, \
        publicity_from, publicity_until, budget_fen, allocation_rule, budget_by, round";
    pub const INSERT_RUN: &str = "INSERT INTO grant_runs (item, period, match_run, preparer, created_at, \
        document_version) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (item, period) DO NOTHING RETURNING id";
    pub const RERUN: &str = "UPDATE grant_runs SET match_run = $1, document_version = $2 WHERE id = $3";
    pub const INSERT_GRANT: &str = "INSERT INTO grants (run_id, enterprise_id, uscc, name, item, period, amount_fen, \
        state, basis, basis_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10) \
        ON CONFLICT (enterprise_id, item, period) DO NOTHING";
    pub const RUN_BY_KEY: &str = "SELECT id FROM grant_runs WHERE item = $1 AND period = $2";
    pub const STATE_COUNTS: &str = "SELECT state, count(*), CAST(coalesce(sum(amount_fen), 0) AS BIGINT) FROM grants \
        WHERE run_id = $1 GROUP BY state ORDER BY state";
    pub const NEEDS_COUNT: &str = "SELECT count(*) FROM grant_needs_data WHERE run_id = $1";
    pub const APPROVERS: &str = "SELECT a.approver FROM grant_approvals a JOIN grant_runs r ON r.id = a.run_id \
        AND r.round = a.round WHERE a.run_id = $1 ORDER BY a.at, a.approver";
    pub const GRANTED: &str =
        "SELECT enterprise_id FROM grants WHERE item = $1 AND period = $2 ORDER BY enterprise_id";
    pub const GRANT_COLUMNS: &str = "id, run_id, enterprise_id, uscc, name, item, period, amount_fen, state, \
        basis_hash, created_at, paid_date, voucher";
    pub const NEEDS_DATA: &str = "SELECT enterprise_id, uscc, name, outcome, missing, departments \
        FROM grant_needs_data WHERE run_id = $1 ORDER BY enterprise_id";
    pub const OBJECTION_COLUMNS: &str = "o.id, o.grant_id, o.by_user, o.by_role, o.reason, o.at, o.handled_by, \
        o.outcome, o.handling_reason, o.handled_at, o.new_amount_fen";
    pub const FILE_COLUMNS: &str = "id, run_id, kind, format, issuer, at, lines, control_sum_fen, voided, \
        voided_by, void_reason";
    pub const INSERT_NEEDS: &str = "INSERT INTO grant_needs_data (run_id, enterprise_id, uscc, name, outcome, \
        missing, departments) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const DELETE_NEEDS: &str = "DELETE FROM grant_needs_data WHERE run_id = $1";
    pub const PUBLICIZE_RUN: &str =
        "UPDATE grant_runs SET publicity_from = $1, publicity_until = $2 WHERE id = $3";
    pub const PUBLICIZE_GRANTS: &str =
        "UPDATE grants SET state = 'publicity' WHERE run_id = $1 AND state = 'pending'";
    pub const GRANT_STATE: &str = "SELECT state, run_id, amount_fen FROM grants WHERE id = $1";
    pub const SET_STATE: &str = "UPDATE grants SET state = $1 WHERE id = $2";
    pub const SET_STATE_AMOUNT: &str = "UPDATE grants SET state = $1, amount_fen = $2 WHERE id = $3";
    pub const INSERT_OBJECTION: &str = "INSERT INTO grant_objections (grant_id, by_user, by_role, reason, at) \
        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    pub const OPEN_OBJECTION: &str =
        "SELECT grant_id FROM grant_objections WHERE id = $1 AND outcome IS NULL";
    pub const HANDLE_OBJECTION: &str = "UPDATE grant_objections SET handled_by = $1, outcome = $2, \
        handling_reason = $3, handled_at = $4, new_amount_fen = $5 WHERE id = $6";
    pub const OPEN_OBJECTIONS_OF_RUN: &str =
        "SELECT count(*) FROM grants WHERE run_id = $1 AND state = 'objected'";
    pub const SET_BUDGET: &str = "UPDATE grant_runs SET budget_fen = $1, allocation_rule = $2, budget_by = $3, \
        budget_at = $4 WHERE id = $5";
    pub const ALLOCATE: &str = "UPDATE grants SET amount_fen = $1 WHERE id = $2 AND run_id = $3 \
        AND state IN ('pending', 'publicity')";
    pub const ALLOCATE_NONE: &str = "UPDATE grants SET amount_fen = 0, state = 'rejected' WHERE id = $1 \
        AND run_id = $2 AND state IN ('pending', 'publicity')";
    pub const RUN_PREPARER_ROUND: &str = "SELECT preparer, round FROM grant_runs WHERE id = $1";
    pub const INSERT_APPROVAL: &str = "INSERT INTO grant_approvals (run_id, round, approver, preparer, at) \
        VALUES ($1, $2, $3, $4, $5)";
    pub const APPROVE_GRANTS: &str =
        "UPDATE grants SET state = 'approved' WHERE run_id = $1 AND state = 'publicity'";
    pub const APPROVED_AMOUNT: &str = "SELECT CAST(coalesce(sum(amount_fen), 0) AS BIGINT) FROM grants WHERE run_id = $1 AND state = 'approved'";
    pub const NEXT_ROUND: &str = "UPDATE grant_runs SET round = round + 1 WHERE id = $1";
    /// The candidates of a file: approved grants of the run without a live line; `$2` true:
    /// issued before in a non-voided file (follow-up), false: never; of a run needing
    /// willingness confirmation (migration 0027), only the confirmed ones.
    pub const FILE_CANDIDATES: &str = "SELECT g.id, g.uscc, g.name, g.item, g.period, g.amount_fen FROM grants g \
        WHERE g.run_id = $1 AND g.state = 'approved' \
        AND NOT EXISTS (SELECT 1 FROM grant_payment_lines l WHERE l.grant_id = g.id AND l.active) \
        AND (NOT EXISTS (SELECT 1 FROM grant_runs r WHERE r.id = $1 AND r.confirmation_required) \
             OR EXISTS (SELECT 1 FROM grant_confirmations c WHERE c.grant_id = g.id)) \
        AND ($2 = EXISTS (SELECT 1 FROM grant_payment_lines l JOIN grant_payment_files f ON f.id = l.file_id \
             WHERE l.grant_id = g.id AND NOT f.voided)) \
        ORDER BY g.id";
    pub const INSERT_FILE: &str = "INSERT INTO grant_payment_files (id, run_id, kind, format, issuer, at, lines, \
        control_sum_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const INSERT_LINE: &str =
        "INSERT INTO grant_payment_lines (file_id, grant_id, amount_fen) VALUES ($1, $2, $3)";
    pub const VOID_FILE: &str = "UPDATE grant_payment_files SET voided = TRUE, voided_by = $1, voided_at = $2, \
        void_reason = $3 WHERE id = $4 AND NOT voided";
    pub const VOID_LINES: &str = "UPDATE grant_payment_lines SET active = FALSE WHERE file_id = $1";
    pub const INSERT_BATCH: &str = "INSERT INTO grant_result_batches (at, actor, file_name, rows) VALUES ($1, $2, $3, $4) \
        RETURNING id";
    pub const INSERT_RESULT: &str = "INSERT INTO grant_payment_results (batch_id, grant_id, run_id, date, voucher, \
        amount_fen, ok, reason) VALUES ($1, $2, (SELECT run_id FROM grants WHERE id = $2), $3, $4, $5, $6, $7)";
    pub const MARK_PAID: &str = "UPDATE grants SET state = 'paid', paid_date = $1, voucher = $2 \
        WHERE id = $3 AND state = 'approved'";
    pub const END_LINE: &str = "UPDATE grant_payment_lines SET active = FALSE WHERE grant_id = $1 AND active";
    pub const GRANT_EXISTS: &str = "SELECT count(*) FROM grants WHERE id = $1";
    pub const ISSUED_OF_RUN: &str = "SELECT l.grant_id, l.amount_fen FROM grant_payment_lines l \
        JOIN grant_payment_files f ON f.id = l.file_id WHERE f.run_id = $1 AND NOT f.voided \
        ORDER BY l.grant_id, f.at";
    pub const RESULTS_OF_RUN: &str = "SELECT grant_id, date, voucher, amount_fen, ok, reason, batch_id \
        FROM grant_payment_results WHERE run_id = $1 OR (run_id IS NULL AND batch_id IN \
        (SELECT batch_id FROM grant_payment_results WHERE run_id = $1)) ORDER BY grant_id, id";
    pub const RESULTS_OF_GRANT: &str = "SELECT grant_id, date, voucher, amount_fen, ok, reason, batch_id \
        FROM grant_payment_results WHERE grant_id = $1 ORDER BY id";
    pub const CHAIN_HEAD: &str = "SELECT seq, hash FROM grant_chain_head WHERE id = 1";
    pub const SET_CHAIN_HEAD: &str = "UPDATE grant_chain_head SET seq = $1, hash = $2 WHERE id = 1";
    pub const INSERT_EVENT: &str = "INSERT INTO grant_events (seq, at, actor, run_id, grant_id, action, detail, \
        prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    pub const EVENT_COLUMNS: &str = "seq, at, actor, run_id, grant_id, action, detail, prev_hash, hash";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_is_exact_both_ways() {
        assert_eq!(fen(Decimal::new(12_345, 2)).unwrap(), 12_345);
        assert_eq!(fen(Decimal::new(5, 0)).unwrap(), 500);
        assert!(fen(Decimal::new(1, 3)).is_err());
        assert_eq!(yuan(12_345), Decimal::new(12_345, 2));
    }

    #[test]
    fn a_chain_verifies_and_an_edit_breaks_it() {
        let at = DateTime::parse_from_rfc3339("2026-12-05T20:00:00+08:00").unwrap();
        let mut prev = crate::problems::GENESIS_HASH.to_string();
        let mut events = Vec::new();
        for seq in 1..=3 {
            let text = GrantEvent::canonical_json(seq, at, "a", Some(1), None, "run", "{}");
            let hash = crate::problems::chain_hash(&prev, &text);
            events.push(GrantEvent {
                seq,
                at,
                actor: "a".into(),
                run_id: Some(1),
                grant_id: None,
                action: "run".into(),
                detail: "{}".into(),
                prev_hash: prev.clone(),
                hash: hash.clone(),
            });
            prev = hash;
        }
        assert_eq!(verify_grant_events(&events, (3, prev.clone())).broken, None);
        // The newest event deleted: the head says 3.
        assert_eq!(verify_grant_events(&events[..2], (3, prev.clone())).broken, Some(3));
        let mut edited = events.clone();
        edited[1].actor = "b".into();
        assert_eq!(verify_grant_events(&edited, (3, prev)).broken, Some(2));
    }
}
