//! The grant run (授予批次) of [`super`]: one `award_no_application` item, a period, a match
//! run.
//!
//! The data path. The match run already decided every assistance target with the batch
//! engine and stored, per item, the eligible enterprises with their amounts
//! (`match_run_results`) and, for the items that may be granted, the undetermined ones
//! (`match_run_undetermined`, migration 0026). A run reads that item's lists
//! ([`store::matches::MatchStore::match_run_item`]) and the enterprises already granted for
//! the item and period, and keeps as candidates only the match run's eligible and
//! undetermined enterprises without a grant: a rerun that finds nothing new reads two lists
//! and evaluates nobody. The candidates are then read by id
//! ([`store::EnterpriseStore::enterprise_rows`]) and each is evaluated again with the
//! single-enterprise evaluator on the day the match run decided the item, which freezes the
//! basis (facts read, the explanation, the policy document and its stored version) at this
//! moment: a candidate the match run found eligible and that is eligible with an amount now
//! is granted; an eligible one without an amount, or an undetermined one, goes to the
//! needs-data list with the facts it lacks and the department holding them (the facts'
//! source); nobody is granted on missing data. Everyone else the match run found not
//! eligible, and nobody evaluates them again.
//!
//! A match run stored before migration 0026 holds no undetermined enterprises: when its count
//! says the item had some, the run streams every enterprise instead (the earlier path), so
//! that the needs-data list stays whole.
//!
//! The grants and the needs-data list are written in one transaction with the run's audit
//! event ([`store::grants::GrantStore::record_grants`]); the store refuses a second grant
//! for an enterprise, item and period (a unique key).

use super::{READ_BATCH, invalid, stamp};
use crate::authz::{self, Action, Resource};
use crate::matching::{Phase, Progress};
use crate::{App, Error, Principal, Result};
use enterprise::FactDictionary;
use rules::{Eligibility, Item, Period};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Instant;
use store::SnapshotRow;
use store::documents::DocumentKind;
use store::grants::packed::BasisPacker;
use store::grants::{NeedsData, NewGrant, NewGrantRun, RecordGrants};

/// A grant run to make or repeat.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub item: String,
    /// The period granted (`2022`, `2022-Q2`, `2022-05`), as the item's decisions name it.
    pub period: String,
    /// The match run to grant from (default: the latest).
    pub match_run: Option<i64>,
}

/// Where a run's time went, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunTimings {
    /// Reading the match run's lists and the existing grants, choosing the candidates.
    pub decide_ms: u64,
    /// Reading the candidates and evaluating each with its explanation (the basis frozen).
    pub explain_ms: u64,
    /// Writing the grants and the needs-data list.
    pub store_ms: u64,
    /// Enterprises evaluated one by one.
    pub evaluated: u64,
}

/// What a run (or rerun) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunOutcome {
    pub run: i64,
    pub item: String,
    pub period: String,
    /// Grants added by this call (a rerun counts only the new ones).
    pub granted: u64,
    /// Enterprises on the needs-data list.
    pub needs_data: u64,
    /// The amount of the grants added by this call, yuan.
    #[serde(with = "rust_decimal::serde::str")]
    pub total_amount: Decimal,
    pub match_run: i64,
    /// Whether the run was created by this call.
    pub created: bool,
    /// Where the time went (not part of the command-line contract).
    #[serde(skip)]
    pub timings: RunTimings,
}

/// The department holding each fact (its source, in Chinese: 税务, 市场监管, …).
fn departments(dict: &FactDictionary, facts: &[rules::MissingFact]) -> Vec<String> {
    let set: BTreeSet<String> =
        facts.iter().map(|f| dict.get(&f.fact).map_or("园区", |d| source_zh(d.source)).to_string()).collect();
    set.into_iter().collect()
}

/// Who holds facts of a source.
pub fn source_zh(s: enterprise::FactSource) -> &'static str {
    use enterprise::FactSource as S;
    match s {
        S::MarketRegulation => "市场监管",
        S::Tax => "税务",
        S::SelfReported => "企业自报",
        S::Derived => "推导（见其来源事实）",
        S::Zone => "园区认定",
    }
}

fn ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// What evaluating the candidates gives.
struct Explained {
    grants: Vec<NewGrant>,
    needs: Vec<NeedsData>,
    evaluated: u64,
}

/// The fixed inputs of evaluating one candidate.
struct Judge<'a> {
    lib: &'a rules::Library,
    item: &'a Item,
    decided_on: chrono::NaiveDate,
    period: String,
    document_version: i64,
    match_run: i64,
    /// The match run's eligible enterprises of the item, ascending.
    eligible: &'a [i64],
    /// Enterprises already granted for the item and period, ascending.
    existing: &'a [i64],
}

impl Judge<'_> {
    /// Evaluates one enterprise with its explanation: a grant, a needs-data row, or nothing.
    fn judge(&self, row: &SnapshotRow, out: &mut Explained) -> Result<()> {
        if !row.enterprise.assistance_target() || self.existing.binary_search(&row.id).is_ok() {
            return Ok(());
        }
        out.evaluated += 1;
        let d = self.lib.evaluate(self.item, &row.facts(), self.decided_on);
        let missing = match (d.outcome, d.amount) {
            (Eligibility::Eligible, Some(amount))
                if self.eligible.binary_search(&row.id).is_ok() && amount > Decimal::ZERO =>
            {
                let amount =
                    amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
                // The basis text straight from the explanation (one pass), hashed; packed
                // for the store once the run's dictionary is known ([`pack`]).
                let mut text = Vec::with_capacity(2048);
                ::grants::basis::Frozen {
                    item: &self.item.id,
                    item_title: &self.item.title,
                    document: &self.item.document,
                    document_version: self.document_version,
                    period: &self.period,
                    amount,
                    explanation: &d.explanation,
                    match_run: self.match_run,
                }
                .write_canonical(&mut text);
                out.grants.push(NewGrant {
                    enterprise_id: row.id,
                    uscc: row.enterprise.uscc.to_string(),
                    name: row.enterprise.name.clone(),
                    amount,
                    basis_hash: ::grants::basis::hash_of_bytes(&text),
                    basis: text,
                });
                None
            }
            (Eligibility::Eligible, None) => Some(("eligible", d.amount_missing_facts)),
            (Eligibility::Undetermined, _) => Some(("undetermined", d.missing_facts)),
            _ => None,
        };
        if let Some((outcome, facts)) = missing {
            out.needs.push(NeedsData {
                enterprise_id: row.id,
                uscc: row.enterprise.uscc.to_string(),
                name: row.enterprise.name.clone(),
                outcome: outcome.to_string(),
                missing: facts.iter().map(ToString::to_string).collect(),
                departments: departments(FactDictionary::official(), &facts),
            });
        }
        Ok(())
    }
}

impl Explained {
    fn new() -> Explained {
        Explained { grants: Vec::new(), needs: Vec::new(), evaluated: 0 }
    }

    fn append(&mut self, other: Explained) {
        self.grants.extend(other.grants);
        self.needs.extend(other.needs);
        self.evaluated += other.evaluated;
    }
}

/// Judges `rows` on up to `threads` threads, in parts of consecutive rows, and appends the
/// outcomes in row order.
fn judge_all(judge: &Judge<'_>, rows: &[SnapshotRow], threads: usize, out: &mut Explained) -> Result<()> {
    let part = rows.len().div_ceil(threads.max(1)).max(256);
    if rows.len() <= part {
        return rows.iter().try_for_each(|row| judge.judge(row, out));
    }
    let parts: Vec<Result<Explained>> = std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(part)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut mine = Explained::new();
                    chunk.iter().try_for_each(|row| judge.judge(row, &mut mine)).map(|()| mine)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::internal("a grant evaluation thread panicked"))))
            .collect()
    });
    for p in parts {
        out.append(p?);
    }
    Ok(())
}

/// Packs the bases of `grants` (their texts, as [`Judge::judge`] wrote them) against
/// `dictionary`, in place, on up to `threads` threads ([`store::grants::packed`]).
fn pack(grants: &mut [NewGrant], dictionary: &[u8], threads: usize) -> Result<()> {
    let pack_part = |part: &mut [NewGrant]| -> Result<()> {
        let mut packer = BasisPacker::new(dictionary)?;
        for g in part {
            g.basis = packer.pack(&g.basis)?;
        }
        Ok(())
    };
    let part = grants.len().div_ceil(threads.max(1)).max(256);
    if grants.len() <= part {
        return pack_part(grants);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = grants.chunks_mut(part).map(|c| scope.spawn(move || pack_part(c))).collect();
        handles.into_iter().try_for_each(|h| {
            h.join().unwrap_or_else(|_| Err(Error::internal("a basis packing thread panicked")))
        })
    })
}

/// The sorted difference `a` − `b` (both ascending).
fn minus(a: Vec<i64>, b: &[i64]) -> Vec<i64> {
    a.into_iter().filter(|x| b.binary_search(x).is_err()).collect()
}

/// Grants an `award_no_application` item for a period to the enterprises a match run found
/// eligible (see the module documentation).
#[tracing::instrument(skip_all, fields(user = %actor.username, item = %req.item, period = %req.period))]
pub async fn run(
    app: &App,
    actor: &Principal,
    req: &RunRequest,
    progress: &dyn Progress,
) -> Result<RunOutcome> {
    authz::require(actor, Action::Write, Resource::GrantRuns)?;
    let policies = app.live.policies();
    let lib = &policies.library;
    let item = lib.item(&req.item).ok_or_else(|| Error::ItemNotFound {
        id: req.item.clone(),
        near: i18n::suggest::nearest(&req.item, lib.items().map(|i| i.id.as_str()), 3)
            .into_iter()
            .map(String::from)
            .collect(),
    })?;
    if !item.benefit_kind.may_be_granted() {
        return Err(Error::NotGrantable {
            item: item.id.clone(),
            kind: item.benefit_kind.as_str().to_string(),
            kind_zh: item.benefit_kind.name_zh().to_string(),
        });
    }
    let period = Period::parse(req.period.trim()).ok_or_else(|| {
        invalid(
            "period",
            &req.period,
            "应为 2022、2022-Q2、2022-05 或 2022-05-31 / e.g. 2022, 2022-Q2, 2022-05",
        )
    })?;
    let t = Instant::now();
    let runs = app.store.match_runs(10_000).await?;
    let m = match req.match_run {
        Some(id) => runs
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| invalid("match_run", id, "没有这个匹配批次 / no such match run"))?,
        None => runs.first().ok_or_else(|| {
            invalid(
                "match_run",
                "latest",
                "尚无匹配批次，请先运行 huiqi policy match / no match run yet: run huiqi policy match first",
            )
        })?,
    };
    let Some(count) = m.counts.iter().find(|c| c.item == item.id) else {
        return Err(invalid(
            "match_run",
            m.id,
            "该匹配批次未判定此条款 / the match run did not decide this item",
        ));
    };
    if let Some(p) = &count.period
        && *p != period.to_string()
    {
        return Err(invalid(
            "period",
            &req.period,
            &format!(
                "匹配批次 {} 对该条款判定的期间是 {p} / match run {} decided this item for {p}",
                m.id, m.id
            ),
        ));
    }
    let (eligible, undetermined) = app.store.match_run_item(m.id, &item.id).await?;
    // Stored by a match run before migration 0026: the undetermined are not listed.
    let unlisted = count.undetermined > 0 && undetermined.is_empty();
    let existing = app.store.granted_enterprises(&item.id, &period.to_string()).await?;
    let mut candidates: Vec<i64> = eligible.iter().copied().chain(undetermined).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let candidates = minus(candidates, &existing);
    let document_version =
        app.store.current_document(DocumentKind::Policy, &item.location.file).await?.map_or(0, |d| d.version);
    // The day the match run decided the item on: its date, or for a run of another tax
    // year (`policy match --tax-year`) the item's day in that year, as the run decided it.
    let decided_on = match m.tax_year {
        Some(y) => rules::Library::as_of(item, m.date, y).unwrap_or(m.date),
        None => m.date,
    };
    let decide_ms = ms(t);
    let judge = Judge {
        lib,
        item,
        decided_on,
        period: period.to_string(),
        document_version,
        match_run: m.id,
        eligible: &eligible,
        existing: &existing,
    };
    let t = Instant::now();
    let mut out = Explained::new();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The bases are packed against the first grant's text as each batch is judged, so that
    // only packed bases (tens of bytes each) are held until the store writes them.
    let mut dictionary: Option<Vec<u8>> = None;
    let mut packed = 0usize;
    let mut pack_new = |out: &mut Explained| -> Result<()> {
        if packed == out.grants.len() {
            return Ok(());
        }
        let dictionary = dictionary.get_or_insert_with(|| out.grants[packed].basis.clone());
        pack(&mut out.grants[packed..], dictionary, threads)?;
        packed = out.grants.len();
        Ok(())
    };
    if unlisted {
        progress.begin(Phase::Reading, app.store.scan_bounds().await?.map(|b| b.count));
        let mut after = 0i64;
        loop {
            let batch = app.store.enterprise_batch(after, READ_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            judge_all(&judge, &batch, threads, &mut out)?;
            pack_new(&mut out)?;
            progress.advance(batch.len() as u64);
        }
    } else {
        progress.begin(Phase::Reading, Some(candidates.len() as u64));
        // The next chunk is read (on the store's threads or connections) while this one is
        // judged.
        let chunks: Vec<&[i64]> = candidates.chunks(READ_BATCH as usize).collect();
        let fetch = |ids: &[i64]| {
            let (store, ids) = (std::sync::Arc::clone(&app.store), ids.to_vec());
            tokio::spawn(async move { store.enterprise_rows(&ids).await })
        };
        let mut next = chunks.first().map(|c| fetch(c));
        for k in 0..chunks.len() {
            let Some(reading) = next.take() else { break };
            let rows = reading.await.map_err(Error::internal)??;
            next = chunks.get(k + 1).map(|c| fetch(c));
            judge_all(&judge, &rows, threads, &mut out)?;
            pack_new(&mut out)?;
            progress.advance(chunks[k].len() as u64);
        }
    }
    progress.end();
    let explain_ms = ms(t);
    let t = Instant::now();
    progress.begin(Phase::Storing, Some(out.grants.len() as u64));
    let recorded = app
        .store
        .record_grants(RecordGrants {
            run: NewGrantRun {
                item: item.id.clone(),
                period: period.to_string(),
                match_run: m.id,
                document_version,
                actor: stamp(app, actor),
            },
            grants: out.grants,
            basis_dictionary: dictionary.unwrap_or_default(),
            needs_data: out.needs,
        })
        .await?;
    progress.end();
    if recorded.created {
        crate::grant_pages::mark_new_run(app, actor, recorded.run, &item.id).await?;
    }
    Ok(RunOutcome {
        run: recorded.run,
        item: item.id.clone(),
        period: period.to_string(),
        granted: recorded.added,
        needs_data: recorded.needs_data,
        total_amount: recorded.added_amount,
        match_run: m.id,
        created: recorded.created,
        timings: RunTimings { decide_ms, explain_ms, store_ms: ms(t), evaluated: out.evaluated },
    })
}
