//! Simulation (a parameter changed: who gains, who loses, the cost delta, on the same
//! enterprises as a run) and the comparison of two policy libraries (a draft against the
//! live one), both over the streamed registry of [`super`].

use super::*;

/// A parameter change to simulate.
#[derive(Debug, Clone)]
pub struct SimulateRequest {
    pub item: String,
    /// `(parameter, value)`: each a parameter the item reads, its value as text typed by the
    /// parameter.
    pub set: Vec<(String, String)>,
    /// The evaluation date.
    pub date: NaiveDate,
    /// The changed values apply from this date on.
    pub from: NaiveDate,
    /// How many of the gainers and of the losers to name.
    pub limit: usize,
}

/// An enterprise as a list names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub uscc: String,
    pub name: String,
}

/// What the change would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulateResult {
    pub item: ItemInfo,
    pub date: NaiveDate,
    /// The period simulated.
    pub period: Period,
    /// The item replacing this one for the period, when one is in force: then neither total
    /// counts in what the zone's benefits add up to.
    pub superseded_by: Option<String>,
    /// Assistance targets simulated over.
    pub enterprises: usize,
    pub baseline: ItemCounts,
    pub changed: ItemCounts,
    /// Changed total minus baseline total (exact).
    pub cost_delta: Decimal,
    pub gains_total: usize,
    /// The first [`SimulateRequest::limit`] enterprises newly eligible, by id.
    pub gains: Vec<Named>,
    pub losses_total: usize,
    pub losses: Vec<Named>,
}

impl SimulateResult {
    /// The cost change as both front ends show it: signed, `+` before a rise (`+1200.00`,
    /// `-350`, `0`).
    pub fn cost_delta_signed(&self) -> String {
        if self.cost_delta > Decimal::ZERO {
            format!("+{}", self.cost_delta)
        } else {
            self.cost_delta.to_string()
        }
    }
}

/// Whether `actor` may simulate policy changes: those who may change policies (policy
/// officers, administrators). A form for it asks before showing itself.
pub fn may_simulate(actor: &Principal) -> Result<()> {
    authz::require(actor, Action::Write, Resource::PolicyLibrary)
}

/// One item under the current parameters and under the changed ones, over every assistance
/// target in one streamed pass. Nothing is stored. A policy officer's or administrator's act.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn simulate(
    app: &App,
    actor: &Principal,
    req: &SimulateRequest,
    progress: Arc<dyn Progress>,
) -> Result<SimulateResult> {
    may_simulate(actor)?;
    let library = Arc::clone(&app.live.policies().library);
    let item = find_item(&library, &req.item)?;
    let own = library.names_used(item).0;
    let mut changed = library.program.clone();
    for (name, value) in &req.set {
        if !own.contains(name) {
            return Err(Error::NotAParameter {
                item: item.id.clone(),
                name: name.clone(),
                near: i18n::suggest::nearest(name, own.iter().map(String::as_str), 3)
                    .into_iter()
                    .map(String::from)
                    .collect(),
                params: own.iter().cloned().collect(),
            });
        }
        changed = changed.with_override(name, value, req.from).map_err(Error::Rules)?;
    }
    let info = ItemInfo::of(item);
    let (lib, id, date) = (Arc::clone(&library), item.id.clone(), req.date);
    let s = streamed(app, progress, move |go| {
        let Some(item) = lib.item(&id) else { return Err(Error::internal("the item went away")) };
        go(vec![Compiled::new(&lib.program, &[item], date), Compiled::new(&changed, &[item], date)])
    })
    .await?;
    let (Some(a), Some(b)) = (s.results.first(), s.results.get(1)) else {
        return Err(Error::internal("the stream gave no result"));
    };
    let (Some(a), Some(b)) = (a.items.first(), b.items.first()) else {
        return Err(Error::internal("the stream gave no item"));
    };
    let sim = Simulation::compare(a, b);
    let named = |rows: &[usize]| -> Vec<i64> {
        rows.iter().take(req.limit).filter_map(|r| s.ids.get(*r).copied()).collect()
    };
    let (gain_ids, loss_ids) = (named(&sim.gains), named(&sim.losses));
    let mut wanted: Vec<i64> = gain_ids.iter().chain(&loss_ids).copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let names = app.store.enterprise_names(&wanted).await?;
    let who = |ids: &[i64]| -> Vec<Named> {
        ids.iter()
            .filter_map(|id| names.binary_search_by_key(id, |n| n.0).ok().map(|k| &names[k]))
            .map(|(_, uscc, name)| Named { uscc: uscc.clone(), name: name.clone() })
            .collect()
    };
    let in_force = library.items_in_force(date);
    let superseded_by = Library::superseded_among(&in_force).get(&info.id).cloned();
    Ok(SimulateResult {
        period: item.period.of(date),
        superseded_by,
        item: info,
        date,
        enterprises: s.ids.len(),
        baseline: sim.baseline,
        changed: sim.changed,
        cost_delta: sim.cost_delta,
        gains_total: sim.gains.len(),
        gains: who(&gain_ids),
        losses_total: sim.losses.len(),
        losses: who(&loss_ids),
    })
}

// ---------------------------------------------------------------------------------------
// Comparing two libraries (a policy draft's review)

/// One item whose outcome a library change moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    pub item: ItemInfo,
    /// Eligible enterprises before (0 for an item the change adds) and after (0 for one it
    /// removes or takes out of force).
    pub eligible_before: u64,
    pub eligible_after: u64,
    /// Changed total minus baseline total of the item (exact).
    pub cost_delta: Decimal,
    pub gains: u64,
    pub losses: u64,
}

/// An enterprise that gains or loses, with the items it gains or loses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedChange {
    pub uscc: String,
    pub name: String,
    pub items: Vec<String>,
}

/// One benefit kind's totals under both libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindChange {
    pub benefit_kind: BenefitKind,
    /// Eligible (enterprise, item) pairs and their known amounts, replaced items left out.
    pub eligible_before: u64,
    pub eligible_after: u64,
    pub total_before: Decimal,
    pub total_after: Decimal,
    pub cost_delta: Decimal,
}

/// What changing the library in use into another would do on a date over every assistance
/// target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryComparison {
    pub date: NaiveDate,
    /// Assistance targets compared over.
    pub enterprises: usize,
    /// Enterprises newly eligible for at least one item / no longer eligible for at least one.
    pub gains_total: usize,
    pub losses_total: usize,
    /// The first `limit` of each, by id.
    pub gains: Vec<NamedChange>,
    pub losses: Vec<NamedChange>,
    /// Per benefit kind ([`rules::totals_by_kind`] of each side).
    pub by_kind: Vec<KindChange>,
    /// The zone's payouts ([`rules::zone_payout_total`]) after minus before.
    pub zone_payout_delta: Decimal,
    /// Items whose eligible set or total changes.
    pub items: Vec<ItemChange>,
}

/// Decides every assistance target under `baseline` and under `changed` (items in force on
/// `date`, or with a tax year each annual item on its day in that year, as a match run of that
/// tax year decides them; streamed once through both compiled libraries, the engine of
/// [`simulate`]) and compares them: who gains, who loses (per item, an enterprise counted once
/// per side), and the cost by benefit kind. Nothing is stored. A policy officer's or
/// administrator's act.
#[tracing::instrument(skip_all, fields(user = %actor.username, %date))]
pub async fn compare_libraries(
    app: &App,
    actor: &Principal,
    baseline: Arc<Library>,
    changed: Arc<Library>,
    (date, tax_year): (NaiveDate, Option<i32>),
    limit: usize,
) -> Result<LibraryComparison> {
    may_simulate(actor)?;
    crate::matching::check_tax_year(date, tax_year)?;
    let (a_lib, b_lib) = (Arc::clone(&baseline), Arc::clone(&changed));
    // One plan per library and day: the baseline's days first, then the changed library's.
    let s = streamed(app, Arc::new(NoProgress), move |go| {
        let (pa, pb) = (day_plans(&a_lib, date, tax_year), day_plans(&b_lib, date, tax_year));
        go(pa
            .iter()
            .map(|(day, items)| Compiled::new(&a_lib.program, items, *day))
            .chain(pb.iter().map(|(day, items)| Compiled::new(&b_lib.program, items, *day)))
            .collect())
    })
    .await?;
    let (items_a, ra) = per_item(&baseline, (date, tax_year), &s.results, 0)?;
    let (items_b, rb) = per_item(&changed, (date, tax_year), &s.results, by_days(&baseline, date, tax_year))?;
    let totals = |lib_items: &[&Item], r: &[&ItemResult]| {
        let replaced = Library::superseded_among(lib_items);
        rules::totals_by_kind(lib_items.iter().zip(r).map(|(i, x)| ItemTotal {
            benefit_kind: i.benefit_kind,
            superseded_by: replaced.get(&i.id).map(String::as_str),
            eligible: x.eligible as u64,
            amount_missing: x.amount_missing as u64,
            total_amount: x.total,
        }))
    };
    let (ta, tb) = (totals(&items_a, &ra), totals(&items_b, &rb));
    let mut by_kind: Vec<KindChange> = Vec::new();
    for k in BenefitKind::ALL {
        let (a, b) = (ta.iter().find(|t| t.benefit_kind == k), tb.iter().find(|t| t.benefit_kind == k));
        if a.is_none() && b.is_none() {
            continue;
        }
        let (ea, eb) = (a.map_or(0, |t| t.eligible), b.map_or(0, |t| t.eligible));
        let (sa, sb) =
            (a.map_or(Decimal::ZERO, |t| t.total_amount), b.map_or(Decimal::ZERO, |t| t.total_amount));
        if ea != eb || sa != sb {
            by_kind.push(KindChange {
                benefit_kind: k,
                eligible_before: ea,
                eligible_after: eb,
                total_before: sa,
                total_after: sb,
                cost_delta: sb - sa,
            });
        }
    }
    let zone_payout_delta = rules::zone_payout_total(&tb) - rules::zone_payout_total(&ta);
    // Per enterprise row: the items gained and lost.
    let mut gained: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    let mut lost: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    let rows_of = |r: &ItemResult| -> Vec<usize> {
        r.eligible_bits
            .iter()
            .enumerate()
            .flat_map(|(w, word)| {
                let mut x = *word;
                std::iter::from_fn(move || {
                    (x != 0).then(|| {
                        let k = x.trailing_zeros() as usize;
                        x &= x - 1;
                        w * 64 + k
                    })
                })
            })
            .collect()
    };
    let mut items = Vec::new();
    let mut ids: Vec<&str> = items_a.iter().chain(&items_b).map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let a = items_a.iter().position(|i| i.id == id).and_then(|k| ra.get(k).copied());
        let b = items_b.iter().position(|i| i.id == id).and_then(|k| rb.get(k).copied());
        let info = items_b.iter().chain(&items_a).find(|i| i.id == id).map(|i| ItemInfo::of(i));
        let Some(info) = info else { continue };
        let (g, l, before, after, delta) = match (a, b) {
            (Some(a), Some(b)) => {
                let sim = Simulation::compare(a, b);
                (sim.gains, sim.losses, a.eligible, b.eligible, sim.cost_delta)
            }
            (None, Some(b)) => (rows_of(b), Vec::new(), 0, b.eligible, b.total),
            (Some(a), None) => (Vec::new(), rows_of(a), a.eligible, 0, -a.total),
            (None, None) => continue,
        };
        if g.is_empty() && l.is_empty() && delta.is_zero() {
            continue;
        }
        for r in &g {
            gained.entry(*r).or_default().push(info.id.clone());
        }
        for r in &l {
            lost.entry(*r).or_default().push(info.id.clone());
        }
        items.push(ItemChange {
            item: info,
            eligible_before: before as u64,
            eligible_after: after as u64,
            cost_delta: delta,
            gains: g.len() as u64,
            losses: l.len() as u64,
        });
    }
    let first = |m: &std::collections::BTreeMap<usize, Vec<String>>| -> Vec<(i64, Vec<String>)> {
        m.iter().take(limit).filter_map(|(r, its)| s.ids.get(*r).map(|id| (*id, its.clone()))).collect()
    };
    let (g, l) = (first(&gained), first(&lost));
    let mut wanted: Vec<i64> = g.iter().chain(&l).map(|x| x.0).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let names = app.store.enterprise_names(&wanted).await?;
    let named = |list: Vec<(i64, Vec<String>)>| -> Vec<NamedChange> {
        list.into_iter()
            .filter_map(|(id, its)| {
                names.binary_search_by_key(&id, |n| n.0).ok().map(|k| NamedChange {
                    uscc: names[k].1.clone(),
                    name: names[k].2.clone(),
                    items: its,
                })
            })
            .collect()
    };
    Ok(LibraryComparison {
        date,
        enterprises: s.ids.len(),
        gains_total: gained.len(),
        losses_total: lost.len(),
        gains: named(g),
        losses: named(l),
        by_kind,
        zone_payout_delta,
        items,
    })
}

/// A library's decided items grouped by the day they are decided on (one plan each).
fn day_plans(lib: &Library, date: NaiveDate, tax_year: Option<i32>) -> Vec<(NaiveDate, Vec<&Item>)> {
    let decided = crate::matching::decided_items(lib, date, tax_year);
    crate::matching::by_day(&decided)
        .into_iter()
        .map(|(day, ks)| (day, ks.iter().map(|k| decided[*k].0).collect()))
        .collect()
}

/// How many plans (days) a library's decided items make.
fn by_days(lib: &Library, date: NaiveDate, tax_year: Option<i32>) -> usize {
    crate::matching::by_day(&crate::matching::decided_items(lib, date, tax_year)).len()
}

/// A library's decided items in library order, each with its result, from the stream's
/// results of that library's plans (starting at `first`, one per day).
fn per_item<'l, 'r>(
    lib: &'l Library,
    (date, tax_year): (NaiveDate, Option<i32>),
    results: &'r [MatchResult],
    first: usize,
) -> Result<(Vec<&'l Item>, Vec<&'r ItemResult>)> {
    let decided = crate::matching::decided_items(lib, date, tax_year);
    let groups = crate::matching::by_day(&decided);
    let mut of_item: Vec<Option<&ItemResult>> = vec![None; decided.len()];
    for (k, (_, ks)) in groups.iter().enumerate() {
        let result =
            results.get(first + k).ok_or_else(|| Error::internal("the stream gave a result per plan"))?;
        for (at, r) in ks.iter().zip(&result.items) {
            of_item[*at] = Some(r);
        }
    }
    let results = of_item
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::internal("an item without a result"))?;
    Ok((decided.into_iter().map(|(i, _)| i).collect(), results))
}
