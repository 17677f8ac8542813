//! Reading what the effect report needs through the store traits: the enterprises' facts a
//! page of ids at a time (with one page read ahead), then the help given (grants, match
//! runs, visits, problems) and the governance items.

use chrono::{Datelike, NaiveDate};
use effects::outcome::{Baseline, OutcomePanel};
use effects::recurrence::{GovernanceFacts, ProblemFacts};
use effects::{HelpEvent, HelpKind, Line, Segment};
use enterprise::{Indicators, IndustryCode, Routing, SizeStandards, UnifiedCreditCode};
use handling::{Rating, china_date};
use kpi::Period;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use store::scan::{CellValue, ScanPage, ScanRequest};

use super::{Case, Loaded};
use crate::{App, Error, Result};

/// Enterprise ids per scan page.
const PAGE_IDS: i64 = 16_384;
/// The facts read, in this order (a cell's `fact` indexes it).
const FACTS: [&str; 6] =
    ["industry_code", "established_on", "revenue", "employees", "total_assets", "street"];
/// Years of facts before the quarter's year the outcomes read.
pub(crate) const PANEL_YEARS: i32 = 5;

pub(crate) async fn load(app: &App, quarter: &Period) -> Result<Loaded> {
    let store = app.store.as_ref();
    let routing = Routing {
        departments: store.departments().await?,
        categories: store.categories_with_routing().await?,
    };
    let mut ids: HashMap<String, Option<i64>> = HashMap::new();
    // A policy item's department: the first its policy names (the lead), as a department
    // code where the routing knows it; items no longer in the library have none.
    let library = Arc::clone(&app.live.policies().library);
    let item_departments: HashMap<&str, String> = library
        .policies
        .iter()
        .flat_map(|p| &p.items)
        .filter_map(|i| {
            let lead = i.departments.first()?;
            let code = routing.department(lead).map_or_else(|| lead.clone(), |d| d.code.clone());
            Some((i.id.as_str(), code))
        })
        .collect();
    let department_of = |item: &str| item_departments.get(item).cloned();
    let mut events = Vec::new();
    let mut cases = Vec::new();
    let end = quarter.end;

    // Grants: paid (资金到账) and decided (核定: approved or paid), every run.
    for run in store.grant_runs(100_000).await? {
        let mut after = 0;
        loop {
            let grants = store.grants_of_run(run.id, after, 10_000).await?;
            let Some(last) = grants.last().map(|g| g.id) else { break };
            after = last;
            for g in grants {
                if !matches!(g.state.as_str(), "approved" | "paid") {
                    continue;
                }
                let base = HelpEvent {
                    enterprise: g.enterprise_id,
                    kind: HelpKind::Granted,
                    line: Line::FUNDS,
                    item: Some(g.item.clone()),
                    department: department_of(&g.item),
                    on: china_date(g.created_at),
                    amount: Some(g.amount),
                };
                if let (true, Some(paid)) = (g.state == "paid", g.paid_date) {
                    events.push(HelpEvent { kind: HelpKind::Paid, on: paid, ..base.clone() });
                    cases.push(Case {
                        kind: "grant".into(),
                        enterprise: g.name.clone(),
                        what: Some(g.item.clone()),
                        line: Line::FUNDS.label(),
                        department: department_of(&g.item)
                            .map(|c| routing.department(&c).map_or(c, |d| d.name.clone())),
                        date: paid.to_string(),
                        amount: Some(g.amount),
                        id: g.id,
                    });
                }
                events.push(base);
            }
        }
    }

    // Match runs: found eligible (匹配) on a run's date; the latest run by the quarter's end
    // gives the eligible pairs of the "not reached" counts.
    let runs = store.match_runs(1_000).await?;
    let mut latest: Option<i64> = None;
    for run in runs.iter().filter(|r| r.date <= end) {
        let in_quarter = quarter.contains(run.date);
        if latest.is_none() {
            latest = Some(run.id);
        }
        if in_quarter {
            for m in store.match_run_eligible(run.id).await? {
                events.push(HelpEvent {
                    enterprise: m.enterprise_id,
                    kind: HelpKind::Matched,
                    line: Line::PRECISION,
                    department: department_of(&m.item),
                    item: Some(m.item),
                    on: run.date,
                    amount: m.amount,
                });
            }
        }
    }
    let eligible = match latest {
        Some(run) => {
            store.match_run_eligible(run).await?.into_iter().map(|m| (m.enterprise_id, m.item)).collect()
        }
        None => Vec::new(),
    };

    // Visits (走访, 三联).
    for v in store.list_visits(&store::problems::VisitFilter::default()).await? {
        if let Some(id) = id_of(app, &mut ids, &v.visit.enterprise).await? {
            events.push(HelpEvent {
                enterprise: id,
                kind: HelpKind::Visited,
                line: Line::VISITS,
                item: None,
                department: None,
                on: v.visit.date,
                amount: None,
            });
        }
    }

    // Inbox notices (推送告知) written in the quarter, under 三.3.
    let (from, to) = (
        store::problems::day_start(quarter.start),
        store::problems::day_start(quarter.end.succ_opt().unwrap_or(quarter.end)),
    );
    for (enterprise, item, at) in store.informed_between(from, to).await? {
        events.push(HelpEvent {
            enterprise,
            kind: HelpKind::Informed,
            line: Line::PUBLICITY,
            department: department_of(&item),
            item: Some(item),
            on: china_date(at),
            amount: None,
        });
    }

    // Events (活动) of the quarter: each enterprise checked in, under the kind's line and the
    // publishing department.
    let filter = store::events::EventFilter {
        ends_after: Some(from),
        starts_before: Some(to),
        department: None,
        include_cancelled: false,
        limit: 100_000,
    };
    for e in store.events(&filter).await? {
        let on = china_date(e.record.event.starts_at);
        let line = Line::from_plan(e.record.event.kind.clause());
        let (Some(line), true) = (line, quarter.contains(on)) else { continue };
        for r in store.roster(e.record.id).await? {
            if r.state == services::events::RegistrationState::CheckedIn {
                events.push(HelpEvent {
                    enterprise: r.enterprise_id,
                    kind: HelpKind::EventAttended,
                    line,
                    item: None,
                    department: Some(e.record.event.department.clone()),
                    on,
                    amount: None,
                });
            }
        }
    }

    // Problems: solved by the enterprise's word, under their category's line; and the facts
    // the recurrence reads.
    let mut problems = Vec::new();
    for entry in crate::reports::load_entries(store, None).await? {
        let s = &entry.state;
        let line = routing.category(&s.problem.category).and_then(|c| Line::from_plan(&c.plan));
        let enterprise = id_of(app, &mut ids, &s.problem.enterprise).await?;
        for c in &s.closures {
            let on = china_date(c.at);
            if let (Some(line), Some(id), Some(true)) = (line, enterprise, c.solved) {
                events.push(HelpEvent {
                    enterprise: id,
                    kind: HelpKind::ProblemSolved,
                    line,
                    item: None,
                    department: Some(c.department.clone()),
                    on,
                    amount: None,
                });
            }
            if c.solved == Some(true) && c.rating == Some(Rating::Satisfied) {
                cases.push(Case {
                    kind: "problem".into(),
                    enterprise: entry.enterprise_name.clone(),
                    what: (!s.problem.confidential).then(|| s.problem.title.clone()),
                    line: line.map_or_else(|| "其他".to_string(), Line::label),
                    department: Some(
                        routing
                            .department(&c.department)
                            .map_or_else(|| c.department.clone(), |d| d.name.clone()),
                    ),
                    date: on.to_string(),
                    amount: None,
                    id: entry.id,
                });
            }
        }
        problems.push(ProblemFacts {
            id: entry.id,
            enterprise: s.problem.enterprise.to_string(),
            category: s.problem.category.clone(),
            received: china_date(s.problem.received_at),
            closed: s.closures.last().map(|c| (china_date(c.at), c.department.clone())),
            reopened: s.round >= 2 || s.reopens > 0,
        });
    }
    // The ten most recent problem cases and the ten largest payments, newest first.
    let (mut problem_cases, mut grant_cases): (Vec<Case>, Vec<Case>) = cases
        .into_iter()
        .filter(|c| c.date.as_str() <= end.to_string().as_str())
        .partition(|c| c.kind == "problem");
    problem_cases.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
    grant_cases.sort_by(|a, b| b.amount.cmp(&a.amount).then(b.date.cmp(&a.date)));
    // Kept whole here: the report keeps those of the quarter, then the first ten.
    let governance = store
        .governance_items()
        .await?
        .into_iter()
        .map(|g| GovernanceFacts {
            id: g.id,
            title: g.title,
            owner: g.owner,
            due: g.due,
            members: g.members.len() as u64,
            closed_on: g.closed_at.map(china_date),
        })
        .collect();

    // The registry: segments of the helped, the panels of everyone.
    let helped: HashSet<i64> = events.iter().map(|e| e.enterprise).collect();
    let last_year = quarter.year - 1;
    let (segments, streets, revenue, employees, enterprises) = read_panels(app, &helped, last_year).await?;
    let mut cases = Vec::new();
    let in_quarter =
        |c: &Case| NaiveDate::parse_from_str(&c.date, "%Y-%m-%d").is_ok_and(|d| quarter.contains(d));
    cases.extend(problem_cases.into_iter().filter(in_quarter).take(10));
    cases.extend(grant_cases.into_iter().filter(in_quarter).take(10));
    Ok(Loaded {
        events,
        eligible,
        segments,
        streets,
        revenue,
        employees,
        enterprises,
        problems,
        governance,
        cases,
        routing,
    })
}

async fn id_of(
    app: &App,
    cache: &mut HashMap<String, Option<i64>>,
    uscc: &UnifiedCreditCode,
) -> Result<Option<i64>> {
    if let Some(id) = cache.get(uscc.as_str()) {
        return Ok(*id);
    }
    let id = app.store.enterprise_head(uscc).await?.map(|h| h.id);
    cache.insert(uscc.to_string(), id);
    Ok(id)
}

type Panels = (HashMap<i64, Segment>, Vec<String>, OutcomePanel, OutcomePanel, u64);

/// Every enterprise's revenue and employees over the panel's years, with its baseline (size
/// class from the earliest panel year with indicators, industry section, year established);
/// segments only of the helped.
async fn read_panels(app: &App, helped: &HashSet<i64>, last_year: i32) -> Result<Panels> {
    let first_year = last_year - PANEL_YEARS + 1;
    let years = PANEL_YEARS as usize;
    let mut revenue = OutcomePanel::new(first_year, last_year);
    let mut employees = OutcomePanel::new(first_year, last_year);
    let mut segments = HashMap::new();
    // The streets' names, each once; a segment holds its index.
    let mut streets: Vec<String> = Vec::new();
    let mut street_index: HashMap<String, u32> = HashMap::new();
    let Some(bounds) = app.store.scan_bounds().await? else {
        return Ok((segments, streets, revenue, employees, 0));
    };
    let request =
        Arc::new(ScanRequest { facts: FACTS.iter().map(|f| f.to_string()).collect(), targets_only: false });
    let fetch = |(after, through): (i64, i64)| {
        let (store, request) = (Arc::clone(&app.store), Arc::clone(&request));
        tokio::spawn(async move { store.scan_page(&request, after, through).await })
    };
    let standard = SizeStandards::official().latest();
    let mut pages = bounds.pages(PAGE_IDS);
    let mut next = pages.next().map(fetch);
    let mut n = 0u64;
    while let Some(pending) = next.take() {
        let page: ScanPage = pending.await.map_err(Error::internal)??;
        next = pages.next().map(fetch);
        let mut c = 0;
        for (row, id) in page.ids.iter().enumerate() {
            n += 1;
            let mut industry: Option<IndustryCode> = None;
            let mut established = None;
            let mut rev = vec![None; years];
            let mut emp = vec![None; years];
            let mut assets = vec![None; years];
            let mut street: Option<&str> = None;
            while let Some(cell) = page.cells.get(c).filter(|cell| cell.row as usize == row) {
                c += 1;
                let k = usize::try_from(cell.year - first_year).ok().filter(|k| *k < years);
                match (cell.fact, cell.value, k) {
                    (0, v, _) => industry = IndustryCode::parse(page.text_of(&v)).ok(),
                    (1, CellValue::Int(days), _) => {
                        established = NaiveDate::default()
                            .checked_add_signed(chrono::Duration::days(days))
                            .map(|d| d.year())
                    }
                    (2, v, Some(k)) => rev[k] = money(&page, v),
                    (3, CellValue::Int(x), Some(k)) => emp[k] = Some(x),
                    (3, v, Some(k)) => emp[k] = page.text_of(&v).parse().ok(),
                    (4, v, Some(k)) => assets[k] = money(&page, v),
                    (5, v, _) => street = Some(page.text_of(&v)).filter(|s| !s.trim().is_empty()),
                    _ => {}
                }
            }
            let size = standard.and_then(|s| {
                let code = industry.as_ref()?;
                (0..years).find(|&k| rev[k].is_some() || emp[k].is_some()).and_then(|k| {
                    let x = Indicators { employees: emp[k], revenue: rev[k], assets: assets[k] };
                    s.classify(code, &x).outcome.class()
                })
            });
            let section = industry.as_ref().map(IndustryCode::section);
            if helped.contains(id) {
                let street = street.map(|s| {
                    *street_index.entry(s.to_string()).or_insert_with(|| {
                        streets.push(s.to_string());
                        (streets.len() - 1) as u32
                    })
                });
                segments.insert(*id, Segment { size, industry: section, street });
            }
            let division = industry.as_ref().and_then(IndustryCode::division);
            let base = Baseline { size, industry: section, division, established };
            let year = |y: i32| usize::try_from(y - first_year).ok().filter(|k| *k < years);
            let to_f64 = |d: Decimal| f64::try_from(d).ok();
            // Ids come in ascending order from the scan: pushing cannot fail.
            let _ = revenue.push(*id, base, |y| year(y).and_then(|k| rev[k]).and_then(to_f64));
            let _ = employees.push(*id, base, |y| year(y).and_then(|k| emp[k]).map(|e| e as f64));
        }
    }
    Ok((segments, streets, revenue, employees, n))
}

/// Money in yuan from a cell: fen as an integer, or the canonical decimal text.
fn money(page: &ScanPage, v: CellValue) -> Option<Decimal> {
    match v {
        CellValue::Int(fen) => Some(Decimal::new(fen, 2)),
        CellValue::Text { .. } => page.text_of(&v).parse().ok(),
    }
}
