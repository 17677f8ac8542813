//! The report's pure part: what an empty zone's report says, and how lines are ranked.

use super::*;
use effects::outcome::OutcomePanel;

fn loaded(events: Vec<effects::HelpEvent>) -> Loaded {
    Loaded {
        events,
        eligible: Vec::new(),
        segments: HashMap::new(),
        streets: Vec::new(),
        revenue: OutcomePanel::new(2021, 2025),
        employees: OutcomePanel::new(2021, 2025),
        enterprises: 0,
        problems: Vec::new(),
        governance: Vec::new(),
        cases: Vec::new(),
        routing: enterprise::Routing::seed().clone(),
    }
}

#[test]
fn an_empty_zone_reports_every_line_with_nothing_measured() {
    let q = parse_quarter("2026Q4").unwrap();
    let r = build(
        &q,
        loaded(Vec::new()),
        chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00+08:00").unwrap(),
    );
    assert_eq!(r.lines.len(), 16);
    assert_eq!((r.helped, r.paid, r.outcomes.len()), (0, Decimal::ZERO, 0));
    assert!(r.best.is_empty());
    // Every line idle: said once, with their numbers.
    assert_eq!(r.weakest.len(), 1);
    assert!(r.weakest[0].reason.starts_with("三.1、三.2"), "{:?}", r.weakest);
    let page = effects_html(&r).unwrap();
    assert!(page.contains("无可对比的帮扶记录") && page.contains("<p>无。</p>"), "{page}");
}

#[test]
fn a_line_that_helped_is_named_by_its_reach_when_nothing_can_be_told() {
    let q = parse_quarter("2026Q4").unwrap();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let ev = |id: i64, line: u8| effects::HelpEvent {
        enterprise: id,
        kind: HelpKind::ProblemSolved,
        line: Line::new(line).unwrap(),
        item: None,
        department: Some("tax_bureau".into()),
        on,
        amount: None,
    };
    let events = vec![ev(1, 6), ev(2, 6), ev(3, 10)];
    let r =
        build(&q, loaded(events), chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00+08:00").unwrap());
    assert_eq!(r.best[0].line, 6, "{:?}", r.best);
    assert!(r.best[0].reason.contains("2 家"));
    assert!(r.weakest.iter().any(|w| w.line == 10), "{:?}", r.weakest);
    // Enterprises not in the registry read: nothing measured, never an effect.
    assert!(r.outcomes.iter().all(|o| o.verdict == "too_few_to_tell" && o.helped == 0), "{:?}", r.outcomes);
    assert_eq!(r.departments[0].name, "税务局");
}
