//! The KPIs a month of problems implies: six problems through every path (objection,
//! extension, escalation, consultation, second handling, review, return and reassignment,
//! auto-close unrated, withdrawal, late and missing acceptance), with the numbers asserted.

use calendar::WorkCalendar;
use chrono::{DateTime, FixedOffset};
use enterprise::{Routing, UnifiedCreditCode};
use handling::*;
use i18n::{Lang, Localized};
use kpi::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("2022-{s}:00+08:00")).unwrap()
}
fn cal() -> &'static WorkCalendar {
    WorkCalendar::official()
}
fn e1() -> UnifiedCreditCode {
    UnifiedCreditCode::parse("91110108551385082Q").unwrap()
}
fn ent() -> Actor {
    Actor { username: "ent".into(), role: Role::Enterprise, department: None, enterprise: Some(e1()) }
}
fn dept(code: &str) -> Actor {
    Actor {
        username: format!("staff-{code}"),
        role: Role::Department,
        department: Some(code.into()),
        enterprise: None,
    }
}
fn sup() -> Actor {
    Actor { username: "sup".into(), role: Role::Supervisor, department: None, enterprise: None }
}
fn leader() -> Actor {
    Actor { username: "leader".into(), role: Role::Leader, department: None, enterprise: None }
}
fn cron() -> Actor {
    Actor { username: "cron".into(), role: Role::System, department: None, enterprise: None }
}
fn pct(hundredths: i64) -> Option<Decimal> {
    Some(Decimal::new(hundredths, 2))
}
fn assign(lead: &str, coop: &[&str]) -> Action {
    Action::Assign {
        lead: lead.into(),
        cooperating: coop.iter().map(|s| s.to_string()).collect(),
        handler: None,
    }
}

struct Run {
    state: ProblemState,
    events: Vec<Event>,
}
impl Run {
    /// `when` is `MM-DDTHH:MM` in 2022, China time.
    fn new(category: &str, when: &str) -> Run {
        let p = Problem {
            enterprise: e1(),
            channel: Channel::Hotline,
            category: category.into(),
            title: "问题".into(),
            description: String::new(),
            attachments: vec![],
            urgency: Urgency::Normal,
            confidential: false,
            received_at: at(when),
            visit: None,
        };
        let t = submit(p, &ent(), at(when), Routing::seed(), TimeLimits::defaults(), cal()).unwrap();
        Run { state: t.state, events: vec![t.event] }
    }
    fn act(mut self, action: Action, who: &Actor, when: &str) -> Run {
        let t = apply(&self.state, &Command::with_note(action, "说明"), who, at(when), cal())
            .unwrap_or_else(|e| panic!("{}", e.render(Lang::En)));
        self.state = t.state;
        self.events.push(t.event);
        self
    }
}

fn month_of_problems() -> Vec<(String, Vec<Event>)> {
    let econ = dept("economic_development");
    let iip = dept("information_industry_park");
    let tax = dept("tax_bureau");
    let org = dept("organization_personnel");
    // P1: objection upheld, cooperating report, extension, escalation, consultation, answered,
    // 不满意 → second handling answered late, 不满意 again → supervisor closes on review.
    let p1 = Run::new("policy_questions", "05-05T09:00")
        .act(Action::Accept, &econ, "05-05T09:30")
        .act(assign("economic_development", &["tax_bureau"]), &sup(), "05-05T10:00")
        .act(Action::Object, &econ, "05-06T09:00")
        .act(
            Action::DecideObjection {
                upheld: true,
                lead: Some("information_industry_park".into()),
                cooperating: Some(vec!["tax_bureau".into()]),
            },
            &sup(),
            "05-06T10:00",
        )
        .act(Action::Start, &iip, "05-06T11:00")
        .act(Action::Report, &tax, "05-07T11:00")
        .act(Action::RequestExtension { workdays: 2 }, &iip, "05-09T09:00")
        .act(Action::ApproveExtension, &sup(), "05-09T10:00")
        .act(Action::Escalate, &leader(), "05-09T12:00")
        .act(Action::OpenConsultation { participants: vec!["tax_bureau".into()] }, &leader(), "05-10T09:00")
        .act(
            Action::CloseConsultation {
                minutes: "纪要".into(),
                decisions: vec!["减免三个月".into()],
                actions: vec![],
            },
            &leader(),
            "05-10T16:00",
        )
        .act(Action::Answer { outcome: Outcome::Resolved }, &iip, "05-11T10:00")
        .act(Action::Confirm { rating: Rating::Dissatisfied, solved: Some(false) }, &ent(), "05-12T09:00")
        .act(
            Action::Answer { outcome: Outcome::Explained { reason: ExplainReason::NotEligible } },
            &iip,
            "05-18T10:00",
        )
        .act(Action::Confirm { rating: Rating::Dissatisfied, solved: Some(false) }, &ent(), "05-19T09:00")
        .act(Action::Review { decision: ReviewDecision::Close }, &sup(), "05-20T09:00");
    // P2: returned as misrouted, reassigned, referred elsewhere, closed unrated.
    let p2 = Run::new("tax", "05-05T09:00")
        .act(Action::Accept, &tax, "05-05T09:30")
        .act(assign("tax_bureau", &[]), &tax, "05-05T10:00")
        .act(Action::Return, &tax, "05-05T11:00")
        .act(assign("organization_personnel", &[]), &sup(), "05-05T12:00")
        .act(Action::Start, &org, "05-05T13:00")
        .act(Action::Answer { outcome: Outcome::Referred { to: "市医保局".into() } }, &org, "05-06T13:00")
        .act(Action::AutoCloseUnrated, &cron(), "05-13T00:10");
    // P3: the plain path: resolved, 满意, closed.
    let p3 = Run::new("tax", "05-09T09:00")
        .act(Action::Accept, &tax, "05-09T10:00")
        .act(assign("tax_bureau", &[]), &sup(), "05-09T11:00")
        .act(Action::Start, &tax, "05-09T12:00")
        .act(Action::Answer { outcome: Outcome::Resolved }, &tax, "05-12T10:00")
        .act(Action::Confirm { rating: Rating::Satisfied, solved: Some(true) }, &ent(), "05-13T09:00")
        .act(Action::Close, &tax, "05-13T10:00");
    // P4: withdrawn before anyone accepted it.
    let p4 = Run::new("tax", "05-10T09:00").act(Action::Withdraw, &ent(), "05-10T10:00");
    // P5: never accepted: overdue.
    let p5 = Run::new("tax", "05-16T09:00");
    // P6: accepted late, answered late as resolved; the enterprise says it is not solved but is
    // basically satisfied (基本满意) with the service; closed by a supervisor.
    let p6 = Run::new("policy_questions", "05-05T09:00")
        .act(Action::Accept, &econ, "05-09T09:00")
        .act(assign("economic_development", &[]), &econ, "05-09T09:30")
        .act(Action::Start, &econ, "05-09T10:00")
        .act(Action::Answer { outcome: Outcome::Resolved }, &econ, "05-10T10:00")
        .act(
            Action::Confirm { rating: Rating::BasicallySatisfied, solved: Some(false) },
            &ent(),
            "05-11T09:00",
        )
        .act(Action::Close, &sup(), "05-11T10:00");
    [p1, p2, p3, p4, p5, p6].into_iter().enumerate().map(|(i, r)| (format!("P{}", i + 1), r.events)).collect()
}

#[test]
fn the_month_of_may_2022() {
    let logs = month_of_problems();
    let period = Period::parse("2022-05").unwrap();
    let r = compute_from_logs(&logs, cal(), &period, at("05-31T23:00")).unwrap();
    assert_eq!(r.period, "2022-05");

    let all = r.row(None, None).unwrap();
    assert_eq!(all.counts.received, 6);
    // P4 withdrawn in time is not judged; P1, P2, P3 on time; P5 never, P6 late.
    assert_eq!((all.response_rate.numerator, all.response_rate.denominator), (3, 5));
    assert_eq!(all.response_rate.percent, pct(6000));
    // Closed: P1 (review), P2 (without confirmation), P3, P6. The departments closed P3 and
    // P6 as resolved; the enterprise said solved for P3 alone (P1 and P6: not solved; P2:
    // nothing). 解决率 is the enterprise's word (issue 11): 1 of 4.
    assert_eq!(all.counts.closed, 4);
    assert_eq!((all.resolution_rate.numerator, all.resolution_rate.denominator), (1, 4));
    assert_eq!(all.resolution_rate.percent, pct(2500));
    assert_eq!(all.resolved_by_department_rate.percent, pct(5000), "the departments' own codes");
    assert_eq!(
        (all.counts.closed_solved, all.counts.closed_not_solved, all.counts.closed_without_answer),
        (1, 2, 1)
    );
    // Satisfied: P3 满意, P6 基本满意; P1 不满意; P2 closed without confirmation is not satisfied
    // and counts (issue 11): 2 of 4. Among the rated alone, 2 of 3.
    assert_eq!((all.satisfaction_rate.numerator, all.satisfaction_rate.denominator), (2, 4));
    assert_eq!(all.satisfaction_rate.percent, pct(5000));
    assert_eq!(all.rated_satisfaction_rate.percent, pct(6667));
    assert_eq!((all.counts.closed_unrated, all.counts.closed_by_review), (1, 1));
    // Confirmed 销号 (P3, P6) apart from the closure without confirmation (P2).
    assert_eq!(all.counts.closed_confirmed, 2);
    assert_eq!(all.unconfirmed_closure_rate.percent, pct(2500));
    // On time: P2, P3 (P1's second answer and P6's answer were late).
    assert_eq!(all.on_time_closure_rate.percent, pct(5000));
    assert_eq!(all.reopen_rate.percent, pct(2500));
    // Answers: P1 5 and 4 working days, P2 1, P3 3, P6 4: 17 / 5.
    assert_eq!(all.counts.answers, 5);
    assert_eq!(all.avg_workdays_to_answer, pct(340));
    assert_eq!(
        (all.counts.answered_resolved, all.counts.answered_explained, all.counts.answered_referred),
        (3, 1, 1)
    );
    // Assignments: P1 econ (objected) and iip, P2 tax (returned) and org, P3 tax, P6 econ.
    assert_eq!(all.counts.assignments, 6);
    assert_eq!(all.return_rate.percent, pct(1667));
    assert_eq!(all.objection_rate.percent, pct(1667));
    assert_eq!(all.counts.red_now, 1, "P5");

    let tax = r.row(Some("tax_bureau"), None).unwrap();
    assert_eq!((tax.response_rate.numerator, tax.response_rate.denominator), (2, 3));
    assert_eq!(tax.response_rate.percent, pct(6667));
    assert_eq!(tax.avg_workdays_to_answer, pct(300));
    assert_eq!((tax.resolution_rate.percent, tax.satisfaction_rate.percent), (pct(10000), pct(10000)));
    assert_eq!(tax.return_rate.percent, pct(5000));
    assert_eq!(tax.objection_rate.percent, pct(0));
    assert_eq!(tax.counts.red_now, 1);

    let econ = r.row(Some("economic_development"), None).unwrap();
    assert_eq!(econ.response_rate.percent, pct(5000));
    assert_eq!(econ.objection_rate.percent, pct(5000));
    assert_eq!(econ.on_time_closure_rate.percent, pct(0));
    assert_eq!(econ.satisfaction_rate.percent, pct(10000), "基本满意 counts as satisfied");
    assert_eq!(
        econ.resolution_rate.percent,
        pct(0),
        "resolved by its code, not solved by the enterprise's word"
    );
    assert_eq!(econ.resolved_by_department_rate.percent, pct(10000));

    let iip = r.row(Some("information_industry_park"), None).unwrap();
    assert_eq!(iip.avg_workdays_to_answer, pct(450));
    assert_eq!(iip.reopen_rate.percent, pct(10000));
    assert_eq!(iip.resolution_rate.percent, pct(0), "explained is not resolved");
    assert_eq!(iip.response_rate.percent, None, "it received nothing to accept");

    let org = r.row(Some("organization_personnel"), None).unwrap();
    // Closed without confirmation only: not satisfied (before issue 11 it had no rate at all).
    assert_eq!(org.satisfaction_rate.percent, pct(0));
    assert_eq!(org.rated_satisfaction_rate.percent, None);
    assert_eq!(org.counts.closed_unrated, 1);

    // Per department and category, and per category across departments.
    let econ_pq = r.row(Some("economic_development"), Some("policy_questions")).unwrap();
    assert_eq!(econ_pq.counts.received, 2);
    let tax_cat = r.row(None, Some("tax")).unwrap();
    assert_eq!(tax_cat.counts.received, 4);
    assert_eq!(r.rows[0].department, None);
    assert_eq!(r.rows[0].category, None);
}

#[test]
fn a_week_counts_only_its_own_days() {
    let logs = month_of_problems();
    let w19 = Period::parse("2022-W19").unwrap(); // 05-09 … 05-15
    let r = compute_from_logs(&logs, cal(), &w19, at("05-31T23:00")).unwrap();
    let all = r.row(None, None).unwrap();
    assert_eq!(all.counts.closed, 3, "P2, P3, P6");
    assert_eq!(all.counts.answers, 3, "P1 round 1, P3, P6");
    assert_eq!(all.counts.received, 2, "P3 and P4; P1, P2, P6 came on 05-05, P5 on 05-16");
}

#[test]
fn a_tampered_log_is_named() {
    let mut logs = month_of_problems();
    logs[2].1[3].note = Some("改过".into());
    logs[2].1.remove(2);
    let e =
        compute_from_logs(&logs, cal(), &Period::parse("2022-05").unwrap(), at("05-31T23:00")).unwrap_err();
    assert!(matches!(&e, KpiError::Replay { problem, .. } if problem == "P3"));
    assert!(e.render(Lang::Zh).contains("P3"));
}

proptest! {
    #[test]
    fn departments_add_up_to_the_whole_and_rates_stay_within_bounds(mask in 0u8..64, day in 1u32..=31) {
        let logs: Vec<_> = month_of_problems().into_iter().enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0).map(|(_, l)| l).collect();
        let as_of = at(&format!("05-{day:02}T23:59")).max(at("05-20T09:00"));
        let r = compute_from_logs(&logs, cal(), &Period::parse("2022Q2").unwrap(), as_of).unwrap();
        let all = r.row(None, None).unwrap();
        let depts: Vec<_> = r.rows.iter().filter(|x| x.department.is_some() && x.category.is_none()).collect();
        let cats: Vec<_> = r.rows.iter().filter(|x| x.department.is_none() && x.category.is_some()).collect();
        for group in [depts, cats] {
            prop_assert_eq!(group.iter().map(|x| x.counts.closed).sum::<u32>(), all.counts.closed);
            prop_assert_eq!(group.iter().map(|x| x.counts.answers).sum::<u32>(), all.counts.answers);
            prop_assert_eq!(group.iter().map(|x| x.counts.response_due).sum::<u32>(), all.counts.response_due);
            prop_assert_eq!(group.iter().map(|x| x.counts.assignments).sum::<u32>(), all.counts.assignments);
        }
        for row in &r.rows {
            for rate in [row.response_rate, row.resolution_rate, row.satisfaction_rate, row.on_time_closure_rate,
                         row.reopen_rate, row.return_rate, row.objection_rate, row.resolved_by_department_rate,
                         row.rated_satisfaction_rate, row.unconfirmed_closure_rate, row.escalation_reply_rate,
                         row.decision_on_time_rate] {
                prop_assert!(rate.numerator <= rate.denominator);
                if let Some(p) = rate.percent {
                    prop_assert!(p >= Decimal::ZERO && p <= Decimal::new(100, 0));
                }
            }
            prop_assert!(row.counts.closed_satisfied <= row.counts.closed_rated);
            prop_assert!(row.counts.closed_rated + row.counts.closed_unrated <= row.counts.closed);
            prop_assert_eq!(
                row.counts.closed_solved + row.counts.closed_not_solved + row.counts.closed_without_answer,
                row.counts.closed
            );
        }
    }
}

/// 督办 cases and consultation decisions are counted like problems: opened in the period,
/// answered by their deadline or not, overdue now; and a supervisor's spot check after a
/// closure without confirmation gives the enterprise's answer to 解决率.
#[test]
fn escalations_decisions_and_spot_checks() {
    let econ = dept("economic_development");
    let tax = dept("tax_bureau");
    // Q1: escalated with 2 working days to reply (Mon 9 May → Wed 11 May), replied on 12 May
    // (late); a decision owned by tax due 13 May, done 13 May (on time); another owned by econ
    // due 16 May, still open.
    let q1 = Run::new("policy_questions", "05-09T09:00")
        .act(Action::Accept, &econ, "05-09T09:30")
        .act(Action::EscalateCase { reply_workdays: 2 }, &leader(), "05-09T10:00")
        .act(Action::ReplyEscalation, &econ, "05-12T10:00")
        .act(Action::OpenConsultation { participants: vec!["tax_bureau".into()] }, &leader(), "05-12T11:00")
        .act(
            Action::CloseConsultation {
                minutes: "纪要".into(),
                decisions: vec![],
                actions: vec![
                    DecisionAction {
                        text: "核定减免".into(),
                        owner: "tax_bureau".into(),
                        due: "2022-05-13".parse().unwrap(),
                    },
                    DecisionAction {
                        text: "回访企业".into(),
                        owner: "economic_development".into(),
                        due: "2022-05-16".parse().unwrap(),
                    },
                ],
            },
            &leader(),
            "05-12T15:00",
        )
        .act(Action::CompleteDecision { decision: 1 }, &tax, "05-13T16:00");
    // Q2: answered, closed without confirmation, then a supervisor's spot check: solved.
    let q2 = Run::new("tax", "05-02T09:00")
        .act(Action::Accept, &tax, "05-05T09:00")
        .act(assign("tax_bureau", &[]), &tax, "05-05T09:10")
        .act(Action::Start, &tax, "05-05T09:20")
        .act(Action::Answer { outcome: Outcome::Resolved }, &tax, "05-05T10:00")
        .act(Action::AutoCloseUnrated, &cron(), "05-13T00:10")
        .act(Action::SpotCheck { solved: true }, &sup(), "05-16T10:00");
    let logs = vec![("Q1".to_string(), q1.events), ("Q2".to_string(), q2.events)];
    let r = compute_from_logs(&logs, cal(), &Period::parse("2022-05").unwrap(), at("05-18T09:00")).unwrap();
    let e = r.row(Some("economic_development"), None).unwrap();
    assert_eq!(
        (e.counts.escalation_cases, e.counts.escalation_due, e.counts.escalation_replied_on_time),
        (1, 1, 0)
    );
    assert_eq!(e.escalation_reply_rate.percent, pct(0));
    assert_eq!((e.counts.decisions, e.counts.decisions_due, e.counts.decisions_overdue_now), (1, 1, 1));
    let t = r.row(Some("tax_bureau"), None).unwrap();
    assert_eq!((t.counts.decisions, t.counts.decisions_done_on_time), (1, 1));
    assert_eq!(t.decision_on_time_rate.percent, pct(10000));
    // Q2: closed without confirmation, solved by the enterprise's word to the spot check.
    assert_eq!((t.counts.closed_unrated, t.counts.closed_spot_checked, t.counts.closed_solved), (1, 1, 1));
    assert_eq!(t.resolution_rate.percent, pct(10000));
    assert_eq!(t.satisfaction_rate.percent, pct(0), "no rating: not satisfied");
    // Before the spot check the enterprise had said nothing.
    let before =
        compute_from_logs(&logs, cal(), &Period::parse("2022-05").unwrap(), at("05-14T09:00")).unwrap();
    assert_eq!(before.row(Some("tax_bureau"), None).unwrap().resolution_rate.percent, pct(0));
}
