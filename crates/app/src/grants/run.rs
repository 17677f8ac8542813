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
//! Several items are granted in one pass ([`run_items`], `grant run --all-items`; [`run`] is
//! the pass of one item): an enterprise that is a candidate of several items is read once
//! and judged for each. As each batch of enterprises is judged, its grants (bases packed)
//! and needs-data rows go to the store ([`store::grants::GrantStore::record_grant_runs`]),
//! which on SQLite writes them at once, in one transaction for all the runs with their audit
//! events, while the next batch is judged: the grants are never all held in memory, and
//! they reach the unique key (enterprise, item, period) in its order. The store refuses a
//! second grant for an enterprise, item and period (the unique key).

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
use store::grants::{NeedsData, NewGrant, NewGrantRun, RunPart, RunsMessage};

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
    /// Reading the candidates and evaluating each with its explanation (the basis frozen);
    /// the store writes each batch meanwhile.
    pub explain_ms: u64,
    /// Writing what was left when the pass ended, and committing.
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
    /// Evaluates one enterprise (its facts read once for all its items) with its
    /// explanation: a grant, a needs-data row, or nothing.
    fn judge(&self, row: &SnapshotRow, facts: &enterprise::Facts, out: &mut Explained) -> Result<()> {
        if !row.enterprise.assistance_target() || self.existing.binary_search(&row.id).is_ok() {
            return Ok(());
        }
        out.evaluated += 1;
        let d = self.lib.evaluate(self.item, facts, self.decided_on);
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

/// Which items each enterprise is judged for in a pass: `(enterprise id, item index)` pairs
/// in ascending order, and the items judged for every enterprise streamed (those of a match
/// run stored before migration 0026).
struct Targets {
    pairs: Vec<(i64, u16)>,
    everyone: Vec<u16>,
}

impl Targets {
    /// The items enterprise `id` is judged for, from the pairs at `cursor` on (which it
    /// advances past them); ids must come in ascending order.
    fn items_of(&self, id: i64, cursor: &mut usize, mine: &mut Vec<u16>) {
        mine.clear();
        while self.pairs.get(*cursor).is_some_and(|p| p.0 < id) {
            *cursor += 1;
        }
        while let Some(&(_, k)) = self.pairs.get(*cursor).filter(|p| p.0 == id) {
            mine.push(k);
            *cursor += 1;
        }
        mine.extend_from_slice(&self.everyone);
    }
}

/// Judges `rows` (ascending ids) for their items on up to `threads` threads, in parts of
/// consecutive rows, and appends each item's outcomes in row order. Each enterprise's facts
/// are gathered once for all the items it is judged for.
fn judge_all(
    judges: &[Judge<'_>],
    targets: &Targets,
    rows: &[SnapshotRow],
    threads: usize,
    outs: &mut [Explained],
) -> Result<()> {
    let judge_part = |part: &[SnapshotRow]| -> Result<Vec<Explained>> {
        let mut mine: Vec<Explained> = judges.iter().map(|_| Explained::new()).collect();
        let Some(first) = part.first() else { return Ok(mine) };
        let mut cursor = targets.pairs.partition_point(|p| p.0 < first.id);
        let mut items = Vec::new();
        for row in part {
            targets.items_of(row.id, &mut cursor, &mut items);
            if items.is_empty() {
                continue;
            }
            let facts = row.facts();
            for &k in &items {
                let k = usize::from(k);
                if let (Some(judge), Some(out)) = (judges.get(k), mine.get_mut(k)) {
                    judge.judge(row, &facts, out)?;
                }
            }
        }
        Ok(mine)
    };
    let part = rows.len().div_ceil(threads.max(1)).max(256);
    let parts: Vec<Result<Vec<Explained>>> = if rows.len() <= part {
        vec![judge_part(rows)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                rows.chunks(part).map(|chunk| scope.spawn(move || judge_part(chunk))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| Err(Error::internal("a grant evaluation thread panicked")))
                })
                .collect()
        })
    };
    for p in parts {
        for (out, mine) in outs.iter_mut().zip(p?) {
            out.append(mine);
        }
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
    let items =
        ItemsRequest { items: vec![req.item.clone()], period: req.period.clone(), match_run: req.match_run };
    let mut outcomes = run_items(app, actor, &items, progress).await?;
    outcomes.pop().ok_or_else(|| Error::internal("a grant run gave no outcome"))
}

/// Grant runs of several items for one period from one match run, made together.
#[derive(Debug, Clone)]
pub struct ItemsRequest {
    /// The items, each an `award_no_application` item (a name given twice counts once).
    pub items: Vec<String>,
    /// The period granted, as [`RunRequest::period`].
    pub period: String,
    /// The match run to grant from (default: the latest).
    pub match_run: Option<i64>,
}

/// One item of [`run_items`], checked and with its lists read.
struct Prepared<'a> {
    item: &'a Item,
    eligible: Vec<i64>,
    existing: Vec<i64>,
    candidates: Vec<i64>,
    /// From a match run stored before migration 0026: every enterprise is judged.
    unlisted: bool,
    document_version: i64,
    decided_on: chrono::NaiveDate,
}

/// Makes (or repeats) the grant run of each item, as [`run`] does for one, in one pass over
/// the candidates: every item is checked before anything is read or written; an enterprise
/// that is a candidate of several items is read once and judged for each of them; then each
/// item's run is written in a transaction of its own, in the order given. The outcomes are
/// in that order, each exactly what [`run`] of the item alone would give (a test holds them
/// equal). An error while judging writes nothing; an error while writing leaves the runs
/// written before it, each whole.
#[tracing::instrument(skip_all, fields(user = %actor.username, items = req.items.len(), period = %req.period))]
pub async fn run_items(
    app: &App,
    actor: &Principal,
    req: &ItemsRequest,
    progress: &dyn Progress,
) -> Result<Vec<RunOutcome>> {
    authz::require(actor, Action::Write, Resource::GrantRuns)?;
    let policies = app.live.policies();
    let lib = &policies.library;
    let period = Period::parse(req.period.trim()).ok_or_else(|| {
        invalid(
            "period",
            &req.period,
            "应为 2022、2022-Q2、2022-05 或 2022-05-31 / e.g. 2022, 2022-Q2, 2022-05",
        )
    })?;
    let mut names: Vec<&str> = Vec::new();
    for name in &req.items {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(Error::Required {
            field: "item".into(),
            what: "至少一个条款 / at least one item".into(),
        });
    }
    if names.len() > usize::from(u16::MAX) {
        return Err(invalid("item", names.len(), "一次最多 65535 个条款 / at most 65,535 items at once"));
    }
    let mut items = Vec::with_capacity(names.len());
    for name in &names {
        let item = lib.item(name).ok_or_else(|| Error::ItemNotFound {
            id: (*name).to_string(),
            near: i18n::suggest::nearest(name, lib.items().map(|i| i.id.as_str()), 3)
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
        items.push(item);
    }
    let t = Instant::now();
    let runs = app.store.match_runs(10_000).await?;
    let m = chosen(&runs, req.match_run)?;
    let mut prepared = Vec::with_capacity(items.len());
    for item in items {
        prepared.push(prepare(app, m, item, &period, &req.period).await?);
    }
    let decide_ms = ms(t);
    let period_text = period.to_string();
    let judges: Vec<Judge<'_>> = prepared
        .iter()
        .map(|p| Judge {
            lib,
            item: p.item,
            decided_on: p.decided_on,
            period: period_text.clone(),
            document_version: p.document_version,
            match_run: m.id,
            eligible: &p.eligible,
            existing: &p.existing,
        })
        .collect();
    let mut targets = Targets { pairs: Vec::new(), everyone: Vec::new() };
    for (k, p) in prepared.iter().enumerate() {
        let k = u16::try_from(k).map_err(Error::internal)?;
        if p.unlisted {
            targets.everyone.push(k);
        } else {
            targets.pairs.extend(p.candidates.iter().map(|&id| (id, k)));
        }
    }
    targets.pairs.sort_unstable();
    let t = Instant::now();
    let mut outs: Vec<Explained> = prepared.iter().map(|_| Explained::new()).collect();
    let mut evaluated = vec![0u64; prepared.len()];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The store records the runs as the pass sends each batch's grants (SQLite: in one
    // transaction on its writer, while the next enterprises are judged), so that the
    // grants are never all held here.
    let (tx, rx) = tokio::sync::mpsc::channel::<RunsMessage>(2);
    let new_runs: Vec<NewGrantRun> = prepared
        .iter()
        .map(|p| NewGrantRun {
            item: p.item.id.clone(),
            period: period_text.clone(),
            match_run: m.id,
            document_version: p.document_version,
            actor: stamp(app, actor),
        })
        .collect();
    let recorder = {
        let store = std::sync::Arc::clone(&app.store);
        tokio::spawn(async move { store.record_grant_runs(new_runs, rx).await })
    };
    // Each item's bases are packed against its first grant's text, and each batch's grants
    // and needs-data rows go to the store packed.
    let mut dictionaries: Vec<Option<Vec<u8>>> = vec![None; prepared.len()];
    let mut send = |outs: &mut [Explained]| -> Result<RunsMessage> {
        let mut parts = Vec::with_capacity(outs.len());
        for (k, (out, dictionary)) in outs.iter_mut().zip(&mut dictionaries).enumerate() {
            let mut part = RunPart::default();
            if let Some(first) = out.grants.first()
                && dictionary.is_none()
            {
                *dictionary = Some(first.basis.clone());
                part.basis_dictionary = dictionary.clone();
            }
            if let Some(d) = dictionary.as_deref() {
                pack(&mut out.grants, d, threads)?;
            }
            part.grants = std::mem::take(&mut out.grants);
            part.needs_data = std::mem::take(&mut out.needs);
            if let Some(e) = evaluated.get_mut(k) {
                *e += std::mem::take(&mut out.evaluated);
            }
            parts.push(part);
        }
        Ok(RunsMessage::Batch(parts))
    };
    let pass = async {
        if targets.everyone.is_empty() {
            let mut ids: Vec<i64> = targets.pairs.iter().map(|p| p.0).collect();
            ids.dedup();
            progress.begin(Phase::Reading, Some(ids.len() as u64));
            // The next chunk is read (on the store's threads or connections) while this one
            // is judged.
            let chunks: Vec<&[i64]> = ids.chunks(READ_BATCH as usize).collect();
            let fetch = |ids: &[i64]| {
                let (store, ids) = (std::sync::Arc::clone(&app.store), ids.to_vec());
                tokio::spawn(async move { store.enterprise_rows(&ids).await })
            };
            let mut next = chunks.first().map(|c| fetch(c));
            for k in 0..chunks.len() {
                let Some(reading) = next.take() else { break };
                let rows = reading.await.map_err(Error::internal)??;
                next = chunks.get(k + 1).map(|c| fetch(c));
                judge_all(&judges, &targets, &rows, threads, &mut outs)?;
                tx.send(send(&mut outs)?).await.map_err(|_| recorder_stopped())?;
                progress.advance(chunks[k].len() as u64);
            }
        } else {
            progress.begin(Phase::Reading, app.store.scan_bounds().await?.map(|b| b.count));
            let mut after = 0i64;
            loop {
                let batch = app.store.enterprise_batch(after, READ_BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = last.id;
                judge_all(&judges, &targets, &batch, threads, &mut outs)?;
                tx.send(send(&mut outs)?).await.map_err(|_| recorder_stopped())?;
                progress.advance(batch.len() as u64);
            }
        }
        tx.send(RunsMessage::Done).await.map_err(|_| recorder_stopped())
    };
    let passed: Result<()> = pass.await;
    progress.end();
    let explain_ms = ms(t);
    let t = Instant::now();
    progress.begin(Phase::Storing, None);
    let recorded = recorder.await.map_err(Error::internal);
    progress.end();
    // A pass that failed dropped its sender before `Done`: nothing was recorded, and its
    // own error is the one to report (the recorder's only says the pass stopped).
    passed?;
    let recorded = recorded??;
    let store_ms = ms(t);
    drop(judges);
    let mut outcomes = Vec::with_capacity(prepared.len());
    for ((p, rec), evaluated) in prepared.iter().zip(recorded).zip(evaluated) {
        if rec.created {
            crate::grant_pages::mark_new_run(app, actor, rec.run, &p.item.id).await?;
        }
        outcomes.push(RunOutcome {
            run: rec.run,
            item: p.item.id.clone(),
            period: period_text.clone(),
            granted: rec.added,
            needs_data: rec.needs_data,
            total_amount: rec.added_amount,
            match_run: m.id,
            created: rec.created,
            timings: RunTimings { decide_ms: 0, explain_ms: 0, store_ms: 0, evaluated },
        });
    }
    share(&mut outcomes, decide_ms, explain_ms, store_ms);
    Ok(outcomes)
}

fn recorder_stopped() -> Error {
    Error::internal("the grant recorder stopped before the pass ended")
}

/// The match run named, or the latest.
fn chosen(runs: &[store::matches::MatchRun], id: Option<i64>) -> Result<&store::matches::MatchRun> {
    match id {
        Some(id) => runs
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| invalid("match_run", id, "没有这个匹配批次 / no such match run")),
        None => runs.first().ok_or_else(|| {
            invalid(
                "match_run",
                "latest",
                "尚无匹配批次，请先运行 huiqi policy match / no match run yet: run huiqi policy match first",
            )
        }),
    }
}

/// The items a grant run may grant from the match run (the latest unless named) for
/// `period`: those of its items that are `award_no_application` and that it decided for
/// that period, in the library's order (what `grant run --all-items` grants).
pub async fn grantable_items(
    app: &App,
    actor: &Principal,
    period: &str,
    match_run: Option<i64>,
) -> Result<Vec<String>> {
    authz::require(actor, Action::Write, Resource::GrantRuns)?;
    let period = Period::parse(period.trim())
        .ok_or_else(|| {
            invalid("period", period, "应为 2022、2022-Q2、2022-05 / e.g. 2022, 2022-Q2, 2022-05")
        })?
        .to_string();
    let runs = app.store.match_runs(10_000).await?;
    let m = chosen(&runs, match_run)?;
    let policies = app.live.policies();
    Ok(policies
        .library
        .items()
        .filter(|i| i.benefit_kind.may_be_granted())
        .filter(|i| {
            m.counts.iter().any(|c| c.item == i.id && c.period.as_deref().is_none_or(|p| p == period))
        })
        .map(|i| i.id.clone())
        .collect())
}

/// Spreads the pass's decide, explain and store times over the outcomes by their evaluated
/// counts (evenly when nobody was evaluated).
fn share(outcomes: &mut [RunOutcome], decide_ms: u64, explain_ms: u64, store_ms: u64) {
    let n = outcomes.len() as u64;
    let total: u64 = outcomes.iter().map(|o| o.timings.evaluated).sum();
    for o in outcomes.iter_mut() {
        let (part, whole) = if total == 0 { (1, n.max(1)) } else { (o.timings.evaluated, total) };
        o.timings.decide_ms = decide_ms * part / whole;
        o.timings.explain_ms = explain_ms * part / whole;
        o.timings.store_ms = store_ms * part / whole;
    }
}

/// Checks `item` against the match run `m` and reads its lists: the eligible and
/// undetermined enterprises, the ones already granted, the candidates left.
async fn prepare<'a>(
    app: &App,
    m: &store::matches::MatchRun,
    item: &'a Item,
    period: &Period,
    asked: &str,
) -> Result<Prepared<'a>> {
    let Some(count) = m.counts.iter().find(|c| c.item == item.id) else {
        return Err(invalid(
            "match_run",
            m.id,
            &format!("该匹配批次未判定条款 {} / the match run did not decide item {}", item.id, item.id),
        ));
    };
    if let Some(p) = &count.period
        && *p != period.to_string()
    {
        return Err(invalid(
            "period",
            asked,
            &format!(
                "匹配批次 {} 对条款 {} 判定的期间是 {p} / match run {} decided item {} for {p}",
                m.id, item.id, m.id, item.id
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
    Ok(Prepared { item, eligible, existing, candidates, unlisted, document_version, decided_on })
}
