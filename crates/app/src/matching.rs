//! Policy decisions (政策匹配), the use cases: [`eval`] (facts given, every item in force),
//! [`decide`] (a stored enterprise, every item in force), [`explain`] (a stored enterprise,
//! one item, with the explanation tree), [`targets`] (the assistance targets), [`run`]
//! (every assistance target against every item in force, stored as a match run) and
//! [`simulate`] (a parameter change: who gains, who loses, the change in cost). The CLI
//! (`huiqi policy eval|explain|match|simulate`) and the web (decisions, the explorer, the
//! simulation page) call these; neither decides anything itself.
//!
//! The data path of [`run`] and [`simulate`]: the store's scan ([`store::scan`]) reads the
//! assistance targets in pages of id ranges, only the facts the compiled items read, as
//! compact cells; each page's cells are written straight into the columns of the batch
//! engine's [`Stream`], which evaluates a block of 65,536 enterprises as soon as it is full.
//! No per-enterprise record, map or `Facts` is made, and memory is bounded by a block's
//! columns and the results. The pipeline runs on one blocking thread; the next two pages are
//! read (on the store's own threads or connections) while the current one is built, so on
//! two cores reading and building overlap. A run is then stored in one transaction
//! ([`store::matches`]).
//!
//! Trade-off: pages are read one consistent read each, not the whole scan in one: an import
//! committed while a match streams may be seen in the later pages only, as before.

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use chrono::NaiveDate;
use enterprise::{FactDictionary, FactType, FactValue, Facts, UnifiedCreditCode};
use rules::batch::{Amounts, ColumnId, Compiled, ItemCounts, ItemResult, MatchResult, Simulation, Stream};
use rules::{BenefitKind, Decision, Item, ItemTotal, KindTotal, Library, Period};
use rust_decimal::Decimal;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::EnterpriseView;
use store::matches::{EligibleOfItem, MatchCount, NewMatchRun};
use store::scan::{CellValue, ScanPage, ScanRequest};

/// Enterprise ids per page of the scan: about 16,000 enterprises, a few MiB of cells.
const PAGE_IDS: i64 = 16_384;
/// Pages read ahead of the one being built.
const READ_AHEAD: usize = 2;

/// What a long use case reports while it works (the CLI draws a progress bar; the web and the
/// tests pass [`NoProgress`]). Called from the pipeline's thread.
pub trait Progress: Send + Sync {
    /// A phase begins, with how many enterprises it will go through if known.
    fn begin(&self, _phase: Phase, _total: Option<u64>) {}
    /// `n` more enterprises of the phase are done.
    fn advance(&self, _n: u64) {}
    /// The phase is over.
    fn end(&self) {}
}

/// The phases of a match or a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading the enterprises and evaluating them block by block.
    Reading,
    /// Writing the run.
    Storing,
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// An item as a result names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemInfo {
    pub id: String,
    pub title: String,
    /// The document's number (文号).
    pub document: String,
    /// How the benefit is obtained.
    pub benefit_kind: BenefitKind,
}

impl ItemInfo {
    fn of(i: &Item) -> ItemInfo {
        ItemInfo {
            id: i.id.clone(),
            title: i.title.clone(),
            document: i.document.clone(),
            benefit_kind: i.benefit_kind,
        }
    }
}

/// The earliest tax year a request may name.
pub const FIRST_TAX_YEAR: i32 = 2000;

/// A tax year asked for beside an evaluation date: from [`FIRST_TAX_YEAR`] to the date's
/// year (a year not yet begun has no annual decision).
pub fn check_tax_year(date: NaiveDate, tax_year: Option<i32>) -> Result<()> {
    use chrono::Datelike;
    match tax_year {
        Some(y) if !(FIRST_TAX_YEAR..=date.year()).contains(&y) => {
            Err(Error::TaxYear { tax_year: y, date, first: FIRST_TAX_YEAR })
        }
        _ => Ok(()),
    }
}

/// The item `id` of the library in use, or [`Error::ItemNotFound`] with the nearest ids.
fn find_item<'l>(lib: &'l Library, id: &str) -> Result<&'l Item> {
    lib.item(id).ok_or_else(|| Error::ItemNotFound {
        id: id.to_string(),
        near: i18n::suggest::nearest(id, lib.items().map(|i| i.id.as_str()), 3)
            .into_iter()
            .map(String::from)
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// One enterprise

/// Facts given by the caller (a file, a form) and a date.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    pub facts: Facts,
    pub date: NaiveDate,
    /// The tax year of the annual items (default: the date's year); see
    /// [`Library::evaluate_all_for`].
    pub tax_year: Option<i32>,
}

/// Every item in force on the date decided over the given facts, in library order. Policies
/// are public: every principal may ask. It needs no store, only a library: the one in use
/// (`app.live.policies().library`) or one a caller loaded (a file on the command line).
pub fn eval(library: &Library, actor: &Principal, req: &EvalRequest) -> Result<Vec<Decision>> {
    authz::require(actor, Action::Read, Resource::PolicyLibrary)?;
    check_tax_year(req.date, req.tax_year)?;
    Ok(library.evaluate_all_for(&req.facts, req.date, req.tax_year))
}

/// A stored enterprise's decisions.
#[derive(Debug, Clone)]
pub struct Decided {
    pub enterprise: EnterpriseView,
    /// Every item in force on the date, in library order.
    pub decisions: Vec<Decision>,
}

/// Loads an enterprise whose decisions `actor` may see: [`Error::EnterpriseNotFound`] when
/// there is none or it is hidden from them.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn enterprise_for_decisions(
    app: &App,
    actor: &Principal,
    uscc: &UnifiedCreditCode,
) -> Result<EnterpriseView> {
    let Some(v) = app.store.get_enterprise(uscc).await? else {
        return Err(Error::EnterpriseNotFound { uscc: uscc.to_string() });
    };
    authz::require(actor, Action::Read, Resource::Decisions { uscc, links: &v.links })
        .map_err(|_| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    Ok(v)
}

/// An enterprise's version (see [`store::EnterpriseHead::version`]) if `actor` may see its
/// decisions: what a cache of decisions is validated by, without loading the facts.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn decisions_version(app: &App, actor: &Principal, uscc: &UnifiedCreditCode) -> Result<i64> {
    let Some(head) = app.store.enterprise_head(uscc).await? else {
        return Err(Error::EnterpriseNotFound { uscc: uscc.to_string() });
    };
    authz::require(actor, Action::Read, Resource::Decisions { uscc, links: &head.links })
        .map_err(|_| Error::EnterpriseNotFound { uscc: uscc.to_string() })?;
    Ok(head.version)
}

/// Every item in force on `date` decided for a stored enterprise (annual items for
/// `tax_year`, default the date's year).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn decide(
    app: &App,
    actor: &Principal,
    uscc: &UnifiedCreditCode,
    date: NaiveDate,
    tax_year: Option<i32>,
) -> Result<Decided> {
    check_tax_year(date, tax_year)?;
    let enterprise = enterprise_for_decisions(app, actor, uscc).await?;
    let decisions = app.live.policies().library.evaluate_all_for(&enterprise.facts(), date, tax_year);
    Ok(Decided { enterprise, decisions })
}

/// Every item in force on `date` decided for an enterprise the caller has already loaded
/// through [`enterprise_for_decisions`] (or otherwise authorised for `Decisions`), with the
/// library in use; annual items for `tax_year` (checked with [`check_tax_year`]).
pub fn decisions_of(
    app: &App,
    enterprise: &EnterpriseView,
    date: NaiveDate,
    tax_year: Option<i32>,
) -> Result<Vec<Decision>> {
    check_tax_year(date, tax_year)?;
    Ok(app.live.policies().library.evaluate_all_for(&enterprise.facts(), date, tax_year))
}

/// The totals of one enterprise's decisions per benefit kind: eligible items, of them those
/// without a known amount, and the sum of the known amounts, never counting an item another
/// one replaces for the period (`superseded_by`).
pub fn decision_totals(decisions: &[Decision]) -> Vec<KindTotal> {
    rules::totals_by_kind(decisions.iter().filter(|d| d.outcome == rules::Eligibility::Eligible).map(|d| {
        ItemTotal {
            benefit_kind: d.benefit_kind,
            superseded_by: d.superseded_by.as_deref(),
            eligible: 1,
            amount_missing: u64::from(d.amount.is_none() && !d.amount_missing_facts.is_empty()),
            total_amount: d.amount.unwrap_or_default(),
        }
    }))
}

/// One item for one stored enterprise.
#[derive(Debug, Clone)]
pub struct ExplainRequest {
    pub uscc: UnifiedCreditCode,
    pub item: String,
    pub date: NaiveDate,
}

/// One item decided for a stored enterprise, with the explanation tree.
#[derive(Debug, Clone)]
pub struct Explained {
    pub enterprise: EnterpriseView,
    pub decision: Decision,
    /// Whether the item is in force on the date (an item out of force is still decided).
    pub in_force: bool,
}

/// Why (not): one item decided for one enterprise, each condition with the values it read.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn explain(app: &App, actor: &Principal, req: &ExplainRequest) -> Result<Explained> {
    let policies = app.live.policies();
    let item = find_item(&policies.library, &req.item)?;
    let enterprise = enterprise_for_decisions(app, actor, &req.uscc).await?;
    let mut decision = policies.library.evaluate(item, &enterprise.facts(), req.date);
    // As in every decision of the date: the item replacing this one, if one is in force.
    if item.window.contains(req.date) {
        let in_force = policies.library.items_in_force(req.date);
        decision.superseded_by = Library::superseded_among(&in_force).remove(&item.id);
    }
    Ok(Explained { in_force: item.window.contains(req.date), enterprise, decision })
}

// ---------------------------------------------------------------------------------------
// Every assistance target: the streamed data path

/// What streaming the assistance targets through some plans gave.
struct Streamed {
    /// Per plan, its results over every target (row `i` is `ids[i]`).
    results: Vec<MatchResult>,
    ids: Vec<i64>,
    /// Enterprises scanned, targets or not.
    scanned: u64,
    /// Waiting for pages the read-ahead had not finished.
    read: Duration,
    /// Writing cells into columns.
    build: Duration,
    /// Evaluating full blocks.
    eval: Duration,
}

/// How the cells of one requested fact are written: its type and its columns by year.
struct Slot {
    ty: FactType,
    fact: String,
    years: Vec<(i32, ColumnId)>,
}

/// Streams every assistance target of the store through `plans`. Runs on a blocking thread:
/// the store's futures are driven through `handle`.
fn stream_targets(
    store: &Arc<dyn store::Store>,
    plans: Vec<Compiled<'_>>,
    progress: &dyn Progress,
    handle: &tokio::runtime::Handle,
) -> Result<Streamed> {
    let dict = FactDictionary::official();
    let mut stream = Stream::new(plans, dict, Stream::BLOCK_ROWS);
    let facts: Vec<String> = stream.facts().into_iter().map(str::to_string).collect();
    let slots: Vec<Slot> = facts
        .iter()
        .map(|f| Slot {
            ty: dict.get(f).map(|d| d.ty).unwrap_or(FactType::Text),
            fact: f.clone(),
            years: stream
                .columns()
                .iter()
                .filter(|(cf, _)| cf == f)
                .filter_map(|(cf, y)| {
                    let year = y.unwrap_or(store::codec::SCALAR_YEAR);
                    stream.column(cf, *y).map(|c| (year, c))
                })
                .collect(),
        })
        .collect();
    let request = Arc::new(ScanRequest { facts, targets_only: true });
    let mut out = Streamed {
        results: Vec::new(),
        ids: Vec::new(),
        scanned: 0,
        read: Duration::ZERO,
        build: Duration::ZERO,
        eval: Duration::ZERO,
    };
    let bounds = handle.block_on(store.scan_bounds())?;
    progress.begin(Phase::Reading, Some(bounds.map_or(0, |b| b.count)));
    let pages: Vec<(i64, i64)> = bounds.map(|b| b.pages(PAGE_IDS).collect()).unwrap_or_default();
    let fetch = |(after, through): (i64, i64)| {
        let (store, request) = (Arc::clone(store), Arc::clone(&request));
        handle.spawn(async move { store.scan_page(&request, after, through).await })
    };
    let mut ahead: VecDeque<_> = pages.iter().take(READ_AHEAD).map(|p| fetch(*p)).collect();
    for k in 0..pages.len() {
        let t = Instant::now();
        let Some(next) = ahead.pop_front() else { break };
        let page = handle.block_on(next).map_err(Error::internal)??;
        out.read += t.elapsed();
        if let Some(p) = pages.get(k + READ_AHEAD) {
            ahead.push_back(fetch(*p));
        }
        add_page(&mut stream, &slots, &page, &mut out)?;
        out.scanned += page.scanned;
        progress.advance(page.scanned);
    }
    let t = Instant::now();
    out.results = stream.finish();
    out.eval += t.elapsed();
    progress.end();
    Ok(out)
}

/// Writes one page's enterprises into the stream, a row each, their cells into the columns.
fn add_page(stream: &mut Stream<'_, '_>, slots: &[Slot], page: &ScanPage, out: &mut Streamed) -> Result<()> {
    let t = Instant::now();
    let mut evaluating = Duration::ZERO;
    let mut c = 0;
    for (row, id) in page.ids.iter().enumerate() {
        if stream.block_full() {
            let e = Instant::now();
            stream.evaluate_block();
            evaluating += e.elapsed();
        }
        stream.push_row();
        out.ids.push(*id);
        while let Some(cell) = page.cells.get(c).filter(|cell| cell.row as usize == row) {
            c += 1;
            let Some(slot) = slots.get(cell.fact as usize) else { continue };
            let Some(&(_, col)) = slot.years.iter().find(|(y, _)| *y == cell.year) else { continue };
            match (slot.ty, cell.value) {
                (FactType::Bool, CellValue::Int(n)) => stream.set_bool(col, n != 0),
                (FactType::Integer, CellValue::Int(n)) => stream.set_scaled(col, n, 0),
                (FactType::Money, CellValue::Int(fen)) => stream.set_scaled(col, fen, 2),
                (FactType::Ratio, CellValue::Int(millionths)) => stream.set_scaled(col, millionths, 6),
                (FactType::Date, CellValue::Int(days)) => match i32::try_from(days) {
                    Ok(d) => stream.set_days(col, d),
                    Err(_) => return Err(corrupt(&slot.fact, &days.to_string())),
                },
                (FactType::Code | FactType::Text, v) => stream.set_str(col, page.text_of(&v)),
                (FactType::Tags, v) => {
                    stream.set_tags(col, page.text_of(&v).split(';').filter(|t| !t.is_empty()))
                }
                (ty, v) => {
                    let text = page.text_of(&v);
                    let value = FactValue::parse_text(ty, text).map_err(|_| corrupt(&slot.fact, text))?;
                    stream.set(col, &value);
                }
            }
        }
    }
    out.eval += evaluating;
    out.build += t.elapsed().saturating_sub(evaluating);
    Ok(())
}

fn corrupt(fact: &str, value: &str) -> Error {
    Error::Internal(format!("stored fact {fact} = {value:?} cannot be read"))
}

/// Runs `plans` over every assistance target on a blocking thread.
async fn streamed<F>(app: &App, progress: Arc<dyn Progress>, make: F) -> Result<Streamed>
where
    F: FnOnce(&dyn Fn(Vec<Compiled<'_>>) -> Result<Streamed>) -> Result<Streamed> + Send + 'static,
{
    let store = Arc::clone(&app.store);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        make(&|plans| stream_targets(&store, plans, progress.as_ref(), &handle))
    })
    .await
    .map_err(Error::internal)?
}

/// The assistance targets (帮扶对象) of the zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// Enterprises in the store.
    pub scanned: u64,
    /// The assistance targets' ids, ascending.
    pub ids: Vec<i64>,
}

/// Which enterprises are assistance targets, by the domain rule, read with the match's scan.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn targets(app: &App, actor: &Principal) -> Result<Targets> {
    authz::require(actor, Action::Read, Resource::EnterpriseList)?;
    let s = streamed(app, Arc::new(NoProgress), |go| go(Vec::new())).await?;
    Ok(Targets { scanned: s.scanned, ids: s.ids })
}

/// A match run to make.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The evaluation date.
    pub date: NaiveDate,
    /// The tax year the annual items are decided for (the 2022 settlement in May 2023);
    /// `None`: the year of `date`. Checked with [`check_tax_year`] and stored with the run.
    pub tax_year: Option<i32>,
    /// Names the policy library the run uses, as stored with it (the front end knows where it
    /// loaded the library from; the CLI hashes the files).
    pub library_fingerprint: String,
}

/// One item's outcome in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemOutcome {
    pub item: ItemInfo,
    /// The period decided.
    pub period: Period,
    pub eligible: u64,
    pub ineligible: u64,
    pub undetermined: u64,
    /// Of the eligible, those whose amount is not known (the item has an amount).
    pub amount_missing: u64,
    /// Exact sum of the known eligible amounts.
    pub total_amount: Decimal,
    /// The item that replaces this one for the period: counted in no total.
    pub superseded_by: Option<String>,
}

/// Where a run's time went, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunTimings {
    /// Reading the enterprises and building the columns (the streaming phase less its
    /// evaluation; reading overlaps building).
    pub load_ms: u64,
    /// Of `load_ms`: waiting for pages not yet read.
    pub read_wait_ms: u64,
    /// Evaluating the blocks.
    pub eval_ms: u64,
    /// Writing the run.
    pub store_ms: u64,
}

/// A stored match run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    pub run_id: i64,
    pub date: NaiveDate,
    /// The tax year of the annual items, as requested (`None`: the year of `date`).
    pub tax_year: Option<i32>,
    /// Assistance targets decided.
    pub enterprises: u64,
    /// Enterprises read, targets or not.
    pub scanned: u64,
    pub items: Vec<ItemOutcome>,
    /// Per benefit kind, the eligible pairs and amounts, replaced items left out.
    pub totals: Vec<KindTotal>,
    /// Eligible (enterprise, item) pairs stored.
    pub eligible_pairs: u64,
    pub timings: RunTimings,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Every assistance target decided against every item in force on the date, stored as a
/// match run (the input of 免申即享). A policy officer's or administrator's act.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn run(
    app: &App,
    actor: &Principal,
    req: &RunRequest,
    progress: Arc<dyn Progress>,
) -> Result<RunResult> {
    authz::require(actor, Action::Write, Resource::PolicyLibrary)?;
    check_tax_year(req.date, req.tax_year)?;
    let library = Arc::clone(&app.live.policies().library);
    let (date, tax_year) = (req.date, req.tax_year);
    let t = Instant::now();
    let lib = Arc::clone(&library);
    // One plan per day items are decided on: the date, and for a tax year each annual item's
    // day in that year (see `Library::as_of`).
    let s = streamed(app, Arc::clone(&progress), move |go| {
        let decided = decided_items(&lib, date, tax_year);
        go(by_day(&decided)
            .iter()
            .map(|(day, ks)| {
                let items: Vec<&Item> = ks.iter().map(|k| decided[*k].0).collect();
                Compiled::new(&lib.program, &items, *day)
            })
            .collect())
    })
    .await?;
    let streaming = t.elapsed();
    let decided = decided_items(&library, date, tax_year);
    let groups = by_day(&decided);
    if s.results.len() != groups.len() {
        return Err(Error::internal("the stream gave a result per plan"));
    }
    // Each item's result, in library order.
    let mut of_item: Vec<Option<&ItemResult>> = vec![None; decided.len()];
    for ((_, ks), result) in groups.iter().zip(&s.results) {
        for (k, r) in ks.iter().zip(&result.items) {
            of_item[*k] = Some(r);
        }
    }
    let items: Vec<&Item> = decided.iter().map(|(i, _)| *i).collect();
    let replaced = Library::superseded_among(&items);
    let mut counts = Vec::new();
    let (mut eligible, mut undetermined) = (Vec::new(), Vec::new());
    for ((item, day), r) in decided.iter().zip(of_item) {
        let Some(r) = r else { return Err(Error::internal("an item without a result")) };
        counts.push(MatchCount {
            item: r.item.clone(),
            eligible: r.eligible as u64,
            ineligible: r.ineligible as u64,
            undetermined: r.undetermined as u64,
            total_amount: r.total,
            benefit_kind: Some(item.benefit_kind.as_str().to_string()),
            period: Some(item.period.of(*day).to_string()),
            amount_missing: r.amount_missing as u64,
            superseded_by: replaced.get(&item.id).cloned(),
        });
        eligible.push(eligible_of(r, &s.ids));
        if item.benefit_kind.may_be_granted() {
            undetermined.push(undetermined_of(r, &s.ids));
        }
    }
    let timings = RunTimings {
        load_ms: ms(streaming.saturating_sub(s.eval)),
        read_wait_ms: ms(s.read),
        eval_ms: ms(s.eval),
        store_ms: 0,
    };
    let new = NewMatchRun {
        actor: actor.stamp(app.now()),
        date,
        tax_year,
        library_fingerprint: req.library_fingerprint.clone(),
        enterprises: s.ids.len() as u64,
        items: items.len() as u64,
        load_ms: timings.load_ms,
        eval_ms: timings.eval_ms,
        counts: counts.clone(),
        eligible,
        undetermined,
    };
    let eligible_pairs = new.pair_count() as u64;
    progress.begin(Phase::Storing, Some(eligible_pairs));
    let t = Instant::now();
    let run_id = app.store.record_match_run(new).await?;
    let store_ms = ms(t.elapsed());
    progress.end();
    // The inboxes follow as a job (see `inbox`): made due now; a deployment whose worker has
    // not registered its jobs yet picks the run up on the job's first round.
    if let Err(e) = crate::jobs::run_now(app, crate::jobs::INBOX).await {
        tracing::debug!(error = %e, "the inbox job could not be made due now");
    }
    let outcomes: Vec<ItemOutcome> = decided
        .iter()
        .zip(counts)
        .map(|((i, day), c)| ItemOutcome {
            item: ItemInfo::of(i),
            period: i.period.of(*day),
            eligible: c.eligible,
            ineligible: c.ineligible,
            undetermined: c.undetermined,
            amount_missing: c.amount_missing,
            total_amount: c.total_amount,
            superseded_by: c.superseded_by,
        })
        .collect();
    Ok(RunResult {
        run_id,
        date,
        tax_year,
        enterprises: s.ids.len() as u64,
        scanned: s.scanned,
        totals: run_totals(&outcomes),
        items: outcomes,
        eligible_pairs,
        timings: RunTimings { store_ms, ..timings },
    })
}

/// The items a run decides and the day each is decided on, in library order: those in force
/// on `date`, or with a tax year each item as [`Library::as_of`] decides it.
pub(crate) fn decided_items(
    lib: &Library,
    date: NaiveDate,
    tax_year: Option<i32>,
) -> Vec<(&Item, NaiveDate)> {
    match tax_year {
        None => lib.items_in_force(date).into_iter().map(|i| (i, date)).collect(),
        Some(y) => lib.items().filter_map(|i| Library::as_of(i, date, y).map(|d| (i, d))).collect(),
    }
}

/// The positions of `decided` grouped by day, days ascending.
pub(crate) fn by_day(decided: &[(&Item, NaiveDate)]) -> Vec<(NaiveDate, Vec<usize>)> {
    let mut days: std::collections::BTreeMap<NaiveDate, Vec<usize>> = std::collections::BTreeMap::new();
    for (k, (_, d)) in decided.iter().enumerate() {
        days.entry(*d).or_default().push(k);
    }
    days.into_iter().collect()
}

/// A run's totals per benefit kind, replaced items left out.
pub fn run_totals(items: &[ItemOutcome]) -> Vec<KindTotal> {
    rules::totals_by_kind(items.iter().map(|i| ItemTotal {
        benefit_kind: i.item.benefit_kind,
        superseded_by: i.superseded_by.as_deref(),
        eligible: i.eligible,
        amount_missing: i.amount_missing,
        total_amount: i.total_amount,
    }))
}

/// The rows whose bit is set, ascending.
fn set_rows(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, word)| {
        let mut x = *word;
        std::iter::from_fn(move || {
            (x != 0).then(|| {
                let k = x.trailing_zeros() as usize;
                x &= x - 1;
                w * 64 + k
            })
        })
    })
}

/// An item's undetermined enterprises (rows of `ids`), stored for the items that may be
/// granted: the needs-data candidates of a grant run.
fn undetermined_of(r: &ItemResult, ids: &[i64]) -> EligibleOfItem {
    let enterprise_ids = set_rows(&r.undetermined_bits).filter_map(|row| ids.get(row).copied()).collect();
    EligibleOfItem { item: r.item.clone(), enterprise_ids, amounts: Vec::new() }
}

/// An item's eligible enterprises (rows of `ids`) with their amounts.
fn eligible_of(r: &ItemResult, ids: &[i64]) -> EligibleOfItem {
    let mut enterprise_ids = Vec::with_capacity(r.eligible);
    // An item without an amount stores none; one with an amount stores each (None when not
    // known).
    let has_amounts = !(matches!(r.amounts, Amounts::None) && r.amount_missing == 0);
    let mut amounts = Vec::with_capacity(if has_amounts { r.eligible } else { 0 });
    let rows = set_rows(&r.eligible_bits);
    // Amounts are kept for exactly the eligible rows, ascending: walk both together.
    let mut k = 0;
    for row in rows {
        let Some(id) = ids.get(row) else { continue };
        enterprise_ids.push(*id);
        let amount = match &r.amounts {
            Amounts::None => None,
            Amounts::Const(c) => Some(*c),
            Amounts::Scaled { places, rows, v } => {
                while k < rows.len() && (rows[k] as usize) < row {
                    k += 1;
                }
                (rows.get(k) == Some(&(row as u32))).then(|| Decimal::new(v[k], *places))
            }
            Amounts::Dec { rows, v } => {
                while k < rows.len() && (rows[k] as usize) < row {
                    k += 1;
                }
                (rows.get(k) == Some(&(row as u32))).then(|| v[k])
            }
        };
        if has_amounts {
            amounts.push(amount);
        }
    }
    EligibleOfItem { item: r.item.clone(), enterprise_ids, amounts }
}

mod simulate;
pub use simulate::*;
