//! The three lists' state machine through its public API: deadlines on the working-day
//! calendar, warnings, ownership, the side paths, replay, and properties over random action
//! sequences.

use calendar::{CalendarAt, WorkCalendar};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use enterprise::{Routing, UnifiedCreditCode};
use handling::*;
use i18n::{Lang, Localized};
use proptest::prelude::*;

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}
fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn cal() -> &'static WorkCalendar {
    WorkCalendar::official()
}
fn e1() -> UnifiedCreditCode {
    UnifiedCreditCode::parse("91110108551385082Q").unwrap()
}
fn e2() -> UnifiedCreditCode {
    UnifiedCreditCode::parse("914403001922038216").unwrap()
}
fn enterprise_user(e: UnifiedCreditCode) -> Actor {
    Actor {
        username: format!("ent-{}", &e.as_str()[10..]),
        role: Role::Enterprise,
        department: None,
        enterprise: Some(e),
    }
}
fn dept(code: &str) -> Actor {
    Actor {
        username: format!("staff-{code}"),
        role: Role::Department,
        department: Some(code.into()),
        enterprise: None,
    }
}
fn user(name: &str, role: Role) -> Actor {
    Actor { username: name.into(), role, department: None, enterprise: None }
}
fn problem(category: &str, urgency: Urgency, received: &str) -> Problem {
    Problem {
        enterprise: e1(),
        channel: Channel::SelfService,
        category: category.into(),
        title: "厂房租金减免咨询".into(),
        description: "询问2022年房租减免政策".into(),
        attachments: vec![],
        urgency,
        confidential: false,
        received_at: at(received),
        visit: None,
    }
}
fn new_problem(category: &str, urgency: Urgency, received: &str) -> Transition {
    let p = problem(category, urgency, received);
    let now = p.received_at;
    submit(p, &enterprise_user(e1()), now, Routing::seed(), TimeLimits::defaults(), cal()).unwrap()
}

/// A problem and its log, driven step by step.
struct Run {
    state: ProblemState,
    events: Vec<Event>,
}
impl Run {
    fn new(category: &str, urgency: Urgency, received: &str) -> Run {
        let t = new_problem(category, urgency, received);
        Run { state: t.state, events: vec![t.event] }
    }
    fn try_act(
        &mut self,
        action: Action,
        note: &str,
        who: &Actor,
        when: &str,
    ) -> Result<&ProblemState, HandlingError> {
        let cmd = if note.is_empty() { Command::new(action) } else { Command::with_note(action, note) };
        let t = apply(&self.state, &cmd, who, at(when), cal())?;
        self.state = t.state;
        self.events.push(t.event);
        Ok(&self.state)
    }
    fn act(&mut self, action: Action, note: &str, who: &Actor, when: &str) -> &ProblemState {
        match self.try_act(action, note, who, when) {
            Ok(s) => s,
            Err(e) => panic!("{}", e.render(Lang::En)),
        }
    }
}

fn assign(lead: &str, coop: &[&str]) -> Action {
    Action::Assign {
        lead: lead.into(),
        cooperating: coop.iter().map(|s| s.to_string()).collect(),
        handler: None,
    }
}

#[test]
fn deadlines_are_the_calendars_arithmetic_across_the_labour_day_makeup_saturday() {
    // Received Thursday 2022-05-05; Saturday 05-07 is a make-up working day (调休上班).
    let t = new_problem("政策咨询", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    let d = deadlines(&t.state);
    assert_eq!(d.accept_by, Due::Date(day("2022-05-06")));
    assert_eq!(d.answer_by, Due::Date(day("2022-05-09")), "05-06, 05-07 (makeup), 05-09");
    assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"accept_by":"2022-05-06","answer_by":"2022-05-09"}"#);
    // Received on a holiday: the next working days count.
    let t = new_problem("tax", Urgency::Normal, "2022-05-02T10:00:00+08:00");
    assert_eq!(deadlines(&t.state).accept_by, Due::Date(day("2022-05-05")));
    assert_eq!(deadlines(&t.state).answer_by, Due::Date(day("2022-05-12")), "05-05 … 05-12");
    // Urgent: acceptance in clock hours, a timestamp; urgent utility cuts answered in 1 working
    // day.
    let t = new_problem("水电气", Urgency::Urgent, "2022-05-06T17:30:00+08:00");
    let d = deadlines(&t.state);
    assert_eq!(d.accept_by, Due::At(at("2022-05-06T19:30:00+08:00")));
    assert_eq!(d.answer_by, Due::Date(day("2022-05-07")));
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"accept_by":"2022-05-06T19:30:00+08:00","answer_by":"2022-05-07"}"#
    );
    // Complex categories: 15 working days.
    let t = new_problem("credit_repair", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    assert_eq!(deadlines(&t.state).answer_by, Due::Date(cal().add_workdays(day("2022-05-05"), 15).unwrap()));
}

#[test]
fn warnings_turn_yellow_at_eighty_percent_and_red_when_overdue() {
    // General problem: 7 working days, due 2022-05-13; yellow from the 6th working day (05-12).
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    assert_eq!(warning(&r.state, at("2022-05-05T18:00:00+08:00")), Warning::None);
    // Not accepted by the end of 05-06: red on 05-07 whatever the answer clock says.
    assert_eq!(warning(&r.state, at("2022-05-06T10:00:00+08:00")), Warning::Yellow);
    assert_eq!(warning(&r.state, at("2022-05-07T00:00:00+08:00")), Warning::Red);
    r.act(Action::Accept, "", &dept("tax_bureau"), "2022-05-07T08:30:00+08:00");
    assert_eq!(r.state.accepted.as_ref().map(|a| a.2), Some(false), "accepted late");
    assert_eq!(warning(&r.state, at("2022-05-11T23:59:59+08:00")), Warning::None);
    assert_eq!(warning(&r.state, at("2022-05-12T00:00:00+08:00")), Warning::Yellow);
    assert_eq!(warning(&r.state, at("2022-05-13T23:59:59+08:00")), Warning::Yellow);
    assert_eq!(warning(&r.state, at("2022-05-14T00:00:00+08:00")), Warning::Red);
    // Hour limits measure minutes: 2 hours, yellow after 96 minutes.
    let r = Run::new("tax", Urgency::Urgent, "2022-05-05T09:00:00+08:00");
    assert_eq!(warning(&r.state, at("2022-05-05T10:35:00+08:00")), Warning::None);
    assert_eq!(warning(&r.state, at("2022-05-05T10:36:00+08:00")), Warning::Yellow);
    assert_eq!(warning(&r.state, at("2022-05-05T11:00:00+08:00")), Warning::Yellow);
    assert_eq!(warning(&r.state, at("2022-05-05T11:00:01+08:00")), Warning::Red);
}

#[test]
fn the_clock_pauses_while_waiting_for_the_enterprise_and_stops_once_answered() {
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    r.act(Action::Accept, "", &dept("tax_bureau"), "2022-05-05T10:00:00+08:00");
    r.act(assign("tax_bureau", &[]), "", &user("sup", Role::Supervisor), "2022-05-05T11:00:00+08:00");
    r.act(Action::Start, "", &dept("tax_bureau"), "2022-05-05T12:00:00+08:00");
    r.act(Action::RequestInfo, "请补充2021年纳税申报表", &dept("tax_bureau"), "2022-05-06T09:00:00+08:00");
    assert!(deadlines(&r.state).paused);
    // Frozen at the pause: no warning however long the enterprise takes.
    assert_eq!(warning(&r.state, at("2022-05-20T09:00:00+08:00")), Warning::None);
    r.act(Action::SupplyInfo, "已上传", &enterprise_user(e1()), "2022-05-10T09:00:00+08:00");
    // Paused (05-06, 05-10]: 05-07, 05-09, 05-10 = 3 working days; 05-13 + 3 = 05-18.
    assert_eq!(deadlines(&r.state).answer_by, Due::Date(day("2022-05-18")));
    r.act(
        Action::Answer { outcome: Outcome::Resolved },
        "已办理退税",
        &dept("tax_bureau"),
        "2022-05-17T09:00:00+08:00",
    );
    let a = r.state.last_answer().unwrap();
    assert!(a.on_time);
    // (05-05, 05-17] holds 9 working days, 3 of them paused.
    assert_eq!(a.workdays, 6);
    assert_eq!(warning(&r.state, at("2022-06-30T09:00:00+08:00")), Warning::None);
    assert_eq!(deadlines(&r.state).confirm_by, Some(day("2022-05-24")));
}

#[test]
fn objections_and_returns_only_within_one_working_day_and_before_the_lock() {
    let sup = user("sup", Role::Supervisor);
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    r.act(Action::Accept, "", &sup, "2022-05-05T10:00:00+08:00");
    r.act(assign("tax_bureau", &[]), "", &sup, "2022-05-05T11:00:00+08:00");
    assert_eq!(deadlines(&r.state).objection_by, Some(day("2022-05-06")));
    // Saturday 05-07 is a working day, but the window (one working day) closed with 05-06.
    let e = r
        .try_act(Action::Object, "不属于本部门", &dept("tax_bureau"), "2022-05-07T09:00:00+08:00")
        .unwrap_err();
    assert_eq!(e, HandlingError::ObjectionWindowClosed { last_day: "2022-05-06".into() });
    assert!(e.render(Lang::Zh).contains("1 个工作日"));
    // Another department cannot object for the lead.
    let e = r
        .try_act(Action::Object, "x", &dept("economic_development"), "2022-05-06T09:00:00+08:00")
        .unwrap_err();
    assert!(matches!(e, HandlingError::NotLeadDepartment { .. }));
    // A reason is required.
    let e = r.try_act(Action::Object, "  ", &dept("tax_bureau"), "2022-05-06T09:00:00+08:00").unwrap_err();
    assert_eq!(e, HandlingError::NoteRequired { action: ActionKind::Object });
    r.act(Action::Object, "属于社保事项", &dept("tax_bureau"), "2022-05-06T09:00:00+08:00");
    r.act(
        Action::DecideObjection { upheld: false, lead: None, cooperating: None },
        "属涉税事项",
        &sup,
        "2022-05-06T15:00:00+08:00",
    );
    // Rejected: locked, no second objection, no return.
    let e = r.try_act(Action::Return, "x", &dept("tax_bureau"), "2022-05-06T16:00:00+08:00").unwrap_err();
    assert!(matches!(e, HandlingError::Locked { .. }));
    assert_eq!(r.state.objections, 1);
}

#[test]
fn the_first_receiver_owns_it_and_roles_are_enforced() {
    let mut r = Run::new("policy_questions", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    let e = r.try_act(Action::Accept, "", &enterprise_user(e1()), "2022-05-05T10:00:00+08:00").unwrap_err();
    assert_eq!(e, HandlingError::RoleNotAllowed { role: Role::Enterprise, action: ActionKind::Accept });
    assert_eq!(
        e.render(Lang::En),
        "the role enterprise may not take the action “accept”; it is for: department staff, supervisor, admin"
    );
    let e = r.try_act(Action::Accept, "", &dept("tax_bureau"), "2022-05-05T10:00:00+08:00").unwrap_err();
    assert!(matches!(e, HandlingError::NotLeadDepartment { .. }));
    r.act(Action::Accept, "", &dept("economic_development"), "2022-05-05T10:00:00+08:00");
    let e = r
        .try_act(assign("tax_bureau", &[]), "", &dept("economic_development"), "2022-05-05T11:00:00+08:00")
        .unwrap_err();
    assert_eq!(e, HandlingError::FirstReceiverOwns { department: "economic_development".into() });
    // Another enterprise cannot withdraw it.
    let e =
        r.try_act(Action::Withdraw, "x", &enterprise_user(e2()), "2022-05-05T11:00:00+08:00").unwrap_err();
    assert!(matches!(e, HandlingError::NotYourEnterprise { .. }));
    // Time never runs backwards in a log.
    let e =
        r.try_act(Action::Withdraw, "x", &enterprise_user(e1()), "2022-05-05T09:59:00+08:00").unwrap_err();
    assert!(matches!(e, HandlingError::BeforeLastEvent { .. }));
}

#[test]
fn the_full_path_with_every_side_path_replays_to_the_same_state() {
    let sup = user("sup", Role::Supervisor);
    let leader = user("leader", Role::Leader);
    let ent = enterprise_user(e1());
    let econ = dept("economic_development");
    let iip = dept("information_industry_park");
    let mut r = Run::new("policy_questions", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    r.act(Action::Accept, "", &econ, "2022-05-05T09:30:00+08:00");
    r.act(assign("economic_development", &["tax_bureau"]), "", &sup, "2022-05-05T10:00:00+08:00");
    r.act(Action::Object, "属园区政策", &econ, "2022-05-06T09:00:00+08:00");
    r.act(
        Action::DecideObjection {
            upheld: true,
            lead: Some("information_industry_park".into()),
            cooperating: Some(vec!["tax_bureau".into()]),
        },
        "改派信息产业园",
        &sup,
        "2022-05-06T10:00:00+08:00",
    );
    assert_eq!(r.state.lead, "information_industry_park");
    assert_eq!(deadlines(&r.state).report_by, Some(day("2022-05-10")));
    r.act(Action::Start, "", &iip, "2022-05-06T11:00:00+08:00");
    r.act(Action::Report, "税务意见：符合条件", &dept("tax_bureau"), "2022-05-07T11:00:00+08:00");
    r.act(Action::RequestExtension { workdays: 2 }, "需核实材料", &iip, "2022-05-09T09:00:00+08:00");
    r.act(Action::ApproveExtension, "同意", &sup, "2022-05-09T10:00:00+08:00");
    assert_eq!(deadlines(&r.state).answer_by, Due::Date(day("2022-05-11")));
    let e = r
        .try_act(Action::RequestExtension { workdays: 1 }, "再延", &iip, "2022-05-09T11:00:00+08:00")
        .unwrap_err();
    assert_eq!(e, HandlingError::ExtensionLimit { max: 1 });
    r.act(Action::Escalate, "请加快办理", &leader, "2022-05-09T12:00:00+08:00");
    r.act(
        Action::OpenConsultation {
            participants: vec!["information_industry_park".into(), "tax_bureau".into()],
        },
        "会商房租减免口径",
        &leader,
        "2022-05-10T09:00:00+08:00",
    );
    let e = r
        .try_act(Action::Answer { outcome: Outcome::Resolved }, "x", &iip, "2022-05-10T10:00:00+08:00")
        .unwrap_err();
    assert_eq!(e, HandlingError::ConsultationOpen);
    r.act(
        Action::CloseConsultation {
            minutes: "会商纪要".into(),
            decisions: vec!["按园区政策减免三个月".into()],
            actions: vec![],
        },
        "",
        &leader,
        "2022-05-10T16:00:00+08:00",
    );
    r.act(Action::Answer { outcome: Outcome::Resolved }, "已减免", &iip, "2022-05-11T10:00:00+08:00");
    assert!(r.state.last_answer().unwrap().on_time);
    // First 不满意: second handling with a fresh clock (3 working days from 05-12).
    r.act(
        Action::Confirm { rating: Rating::Dissatisfied, solved: None },
        "减免未到账",
        &ent,
        "2022-05-12T09:00:00+08:00",
    );
    assert_eq!((r.state.state, r.state.round, r.state.supervised), (State::InProgress, 2, true));
    assert_eq!(deadlines(&r.state).answer_by, Due::Date(day("2022-05-17")));
    r.act(
        Action::Answer { outcome: Outcome::Explained { reason: ExplainReason::NotEligible } },
        "第二季度不符合条件",
        &iip,
        "2022-05-18T10:00:00+08:00",
    );
    assert!(!r.state.last_answer().unwrap().on_time, "answered a day late");
    // Second 不满意: a supervisor's review, who accepts the closure.
    r.act(
        Action::Confirm { rating: Rating::Dissatisfied, solved: None },
        "仍不满意",
        &ent,
        "2022-05-19T09:00:00+08:00",
    );
    assert_eq!(r.state.state, State::UnderReview);
    r.act(
        Action::Review { decision: ReviewDecision::Close },
        "答复符合政策",
        &sup,
        "2022-05-20T09:00:00+08:00",
    );
    assert_eq!(r.state.state, State::Closed);
    let c = r.state.closure().unwrap();
    assert_eq!((c.kind, c.rating), (ClosureKind::SupervisorReview, Some(Rating::Dissatisfied)));
    // A closed problem cannot be answered: the message says to reopen.
    let e = r
        .try_act(Action::Answer { outcome: Outcome::Resolved }, "x", &iip, "2022-05-21T09:00:00+08:00")
        .unwrap_err();
    assert_eq!(
        e.render(Lang::En),
        "a problem that is closed cannot be given the action “answer”; allowed now: reopen, complete a decision, spot check"
    );
    // The log replays to the same state, and each event survives its canonical form.
    assert_eq!(replay(&r.events, cal()).unwrap(), r.state);
    for ev in &r.events {
        let back: Event = serde_json::from_str(&ev.canonical_json()).unwrap();
        assert_eq!(&back, ev);
        assert_eq!(back.canonical_json(), ev.canonical_json());
        let cols = Event::from_columns(
            ev.seq,
            ev.at,
            &ev.actor(),
            ev.from,
            ev.to,
            ev.note.clone(),
            ev.kind().as_str(),
            &ev.payload_json(),
        )
        .unwrap();
        assert_eq!(&cols, ev);
    }
}

#[test]
fn returned_reassigned_withdrawn_auto_closed_and_reopened() {
    let sup = user("sup", Role::Supervisor);
    let ent = enterprise_user(e1());
    // Returned as misrouted, reassigned by the working group.
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    r.act(Action::Accept, "", &dept("tax_bureau"), "2022-05-05T09:30:00+08:00");
    r.act(assign("tax_bureau", &[]), "", &dept("tax_bureau"), "2022-05-05T10:00:00+08:00");
    r.act(Action::Return, "系社保缴费问题", &dept("tax_bureau"), "2022-05-05T11:00:00+08:00");
    let e = r
        .try_act(assign("tax_bureau", &[]), "", &dept("tax_bureau"), "2022-05-05T11:30:00+08:00")
        .unwrap_err();
    assert!(matches!(e, HandlingError::RoleNotAllowed { .. }));
    r.act(assign("organization_personnel", &[]), "", &sup, "2022-05-05T12:00:00+08:00");
    assert_eq!(r.state.returns, 1);
    r.act(Action::Start, "", &dept("organization_personnel"), "2022-05-05T13:00:00+08:00");
    r.act(
        Action::Answer { outcome: Outcome::Referred { to: "市医保局".into() } },
        "已转市医保局",
        &dept("organization_personnel"),
        "2022-05-06T13:00:00+08:00",
    );
    // Unconfirmed for 5 working days (05-07 … 05-12): closes unrated from 05-13, not before.
    assert_eq!(deadlines(&r.state).confirm_by, Some(day("2022-05-12")));
    let job = user("scheduler", Role::System);
    let e = r.try_act(Action::AutoCloseUnrated, "", &job, "2022-05-12T23:00:00+08:00").unwrap_err();
    assert!(matches!(e, HandlingError::NotYetUnconfirmed { .. }));
    r.act(Action::AutoCloseUnrated, "", &job, "2022-05-13T00:10:00+08:00");
    assert_eq!(r.state.closure().unwrap().kind, ClosureKind::Unrated);
    assert_eq!(r.state.closure().unwrap().rating, None);
    // The problem came back: the enterprise reopens it (effect tracking).
    r.act(Action::Reopen, "问题复发", &ent, "2022-06-01T09:00:00+08:00");
    assert_eq!((r.state.state, r.state.round, r.state.reopens), (State::InProgress, 2, 1));
    assert_eq!(replay(&r.events, cal()).unwrap(), r.state);
    // Withdrawn by the enterprise: final.
    let mut w = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    w.act(Action::Withdraw, "已自行解决", &ent, "2022-05-05T10:00:00+08:00");
    assert!(w.state.allowed_actions(None).is_empty());
    let e = w.try_act(Action::Accept, "", &sup, "2022-05-05T11:00:00+08:00").unwrap_err();
    assert!(e.render(Lang::Zh).contains("无（该问题已终结）"), "{}", e.render(Lang::Zh));
}

#[test]
fn a_tampered_log_does_not_replay() {
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    r.act(Action::Accept, "", &dept("tax_bureau"), "2022-05-05T09:30:00+08:00");
    r.act(assign("tax_bureau", &[]), "", &dept("tax_bureau"), "2022-05-05T10:00:00+08:00");
    let mut bad = r.events.clone();
    bad[1].to = State::Assigned;
    assert!(matches!(replay(&bad, cal()), Err(HandlingError::BadLog { seq: 2, .. })));
    let mut bad = r.events.clone();
    bad.remove(1);
    assert!(matches!(replay(&bad, cal()), Err(HandlingError::BadLog { .. })));
    let mut bad = r.events.clone();
    bad[1].actor_department = Some("economic_development".into());
    assert!(matches!(replay(&bad, cal()), Err(HandlingError::NotLeadDepartment { .. })));
}

#[test]
fn confidential_details_are_for_the_enterprise_its_departments_and_supervisors() {
    let mut p = problem("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    p.confidential = true;
    let t = submit(
        p,
        &enterprise_user(e1()),
        at("2022-05-05T09:00:00+08:00"),
        Routing::seed(),
        TimeLimits::defaults(),
        cal(),
    )
    .unwrap();
    assert_eq!(visibility(&t.state, &enterprise_user(e1())), Visibility::Full);
    assert_eq!(visibility(&t.state, &enterprise_user(e2())), Visibility::Hidden);
    assert_eq!(visibility(&t.state, &dept("tax_bureau")), Visibility::Full);
    assert_eq!(visibility(&t.state, &dept("economic_development")), Visibility::Summary);
    assert_eq!(visibility(&t.state, &user("sup", Role::Supervisor)), Visibility::Full);
    assert_eq!(visibility(&t.state, &user("lead", Role::Leader)), Visibility::Summary);
}

#[test]
fn submission_checks_category_title_and_time() {
    let mut p = problem("没有的类别", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    let now = at("2022-05-05T09:00:00+08:00");
    let r = submit(p.clone(), &enterprise_user(e1()), now, Routing::seed(), TimeLimits::defaults(), cal());
    assert!(matches!(r, Err(HandlingError::UnknownCategory { .. })));
    p.category = "涉税".into();
    let t = submit(p.clone(), &enterprise_user(e1()), now, Routing::seed(), TimeLimits::defaults(), cal())
        .unwrap();
    assert_eq!(t.state.problem.category, "tax", "names become codes");
    p.title = " ".into();
    let r = submit(p.clone(), &enterprise_user(e1()), now, Routing::seed(), TimeLimits::defaults(), cal());
    assert!(matches!(r, Err(HandlingError::BadTitle { chars: 0, .. })));
    p.title = "t".into();
    let r = submit(
        p,
        &enterprise_user(e1()),
        now - Duration::hours(1),
        Routing::seed(),
        TimeLimits::defaults(),
        cal(),
    );
    assert!(matches!(r, Err(HandlingError::InFuture { .. })));
}

#[test]
fn visit_coverage_lists_each_cadres_enterprises_not_seen_in_n_days() {
    let a = vec![("wang".to_string(), e1()), ("wang".to_string(), e2()), ("li".to_string(), e2())];
    let visits = vec![
        Visit { enterprise: e1(), date: day("2022-05-01"), cadre: "wang".into(), findings: "".into() },
        Visit { enterprise: e2(), date: day("2022-03-01"), cadre: "li".into(), findings: "".into() },
        Visit { enterprise: e2(), date: day("2022-06-01"), cadre: "li".into(), findings: "future".into() },
    ];
    let c = coverage(&a, &visits, day("2022-05-30"), 30);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].cadre, "li");
    assert_eq!(c[0].not_visited.len(), 1);
    assert_eq!(c[0].not_visited[0].last_visit, Some(day("2022-03-01")));
    // wang: e1 visited 05-01, inside (04-30, 05-30]; e2 not.
    assert_eq!(c[1].not_visited.iter().map(|u| u.enterprise.clone()).collect::<Vec<_>>(), vec![e2()]);
    let c = coverage(&a, &visits, day("2022-05-31"), 30);
    assert_eq!(c[1].not_visited.len(), 2, "05-01 is now 30 days ago");
}

// ---- properties over random action sequences ----

fn actors() -> Vec<Actor> {
    vec![
        enterprise_user(e1()),
        enterprise_user(e2()),
        dept("economic_development"),
        dept("information_industry_park"),
        dept("tax_bureau"),
        user("sup", Role::Supervisor),
        user("leader", Role::Leader),
        user("admin", Role::Admin),
        user("cron", Role::System),
        user("cadre", Role::Cadre),
    ]
}

fn commands() -> Vec<Command> {
    let n = |a: Action| Command::with_note(a, "说明");
    vec![
        Command::new(Action::Accept),
        n(assign("economic_development", &["tax_bureau"])),
        n(assign("information_industry_park", &[])),
        n(Action::Object),
        n(Action::DecideObjection {
            upheld: true,
            lead: Some("information_industry_park".into()),
            cooperating: None,
        }),
        n(Action::DecideObjection {
            upheld: true,
            lead: Some("economic_development".into()),
            cooperating: None,
        }),
        n(Action::DecideObjection { upheld: false, lead: None, cooperating: None }),
        n(Action::Return),
        Command::new(Action::Start),
        n(Action::RequestInfo),
        n(Action::SupplyInfo),
        n(Action::Report),
        n(Action::RequestExtension { workdays: 2 }),
        n(Action::ApproveExtension),
        n(Action::RejectExtension),
        n(Action::EscalateCase { reply_workdays: 3 }),
        n(Action::ReplyEscalation),
        n(Action::OpenConsultation { participants: vec!["tax_bureau".into()] }),
        n(Action::CloseConsultation { minutes: "纪要".into(), decisions: vec![], actions: vec![] }),
        n(Action::CloseConsultation {
            minutes: "纪要".into(),
            decisions: vec![],
            actions: vec![DecisionAction {
                text: "协调供电".into(),
                owner: "economic_development".into(),
                due: day("2023-06-30"),
            }],
        }),
        n(Action::CompleteDecision { decision: 1 }),
        n(Action::Answer { outcome: Outcome::Resolved }),
        n(Action::Answer { outcome: Outcome::Explained { reason: ExplainReason::Other } }),
        Command::new(Action::Confirm { rating: Rating::Satisfied, solved: Some(true) }),
        Command::new(Action::Confirm { rating: Rating::Satisfied, solved: None }),
        Command::new(Action::Confirm { rating: Rating::Dissatisfied, solved: Some(false) }),
        n(Action::SpotCheck { solved: false }),
        n(Action::Reopen),
        n(Action::Review { decision: ReviewDecision::Close }),
        n(Action::Review { decision: ReviewDecision::Redo }),
        Command::new(Action::Close),
        Command::new(Action::AutoCloseUnrated),
        n(Action::Withdraw),
    ]
}

/// Invariants every reachable state keeps.
fn check_invariants(s: &ProblemState, ev: &Event) {
    if let Some(from) = ev.from {
        assert!(ev.kind().from_states().contains(&from), "{:?} from {from:?}", ev.kind());
        assert!(ev.kind().roles().contains(&ev.role));
    }
    assert_eq!(s.state, ev.to);
    assert_eq!(s.round, 1 + s.reopens);
    assert_eq!(s.state == State::AwaitingInfo, s.answer_clock.paused_since.is_some());
    assert_eq!(s.state == State::Answered, s.confirm_by.is_some() && deadlines(s).confirm_by.is_some());
    assert_eq!(s.state == State::Closed, s.closure().is_some());
    assert_eq!(s.state == State::Withdrawn, s.withdrawn_at.is_some());
    if let Some(c) = s.closure() {
        match c.kind {
            ClosureKind::Confirmed => assert!(c.rating.is_some_and(Rating::is_satisfied)),
            ClosureKind::Unrated => assert_eq!((c.rating, c.solved), (None, None)),
            ClosureKind::SupervisorReview => assert_eq!(c.rating, Some(Rating::Dissatisfied)),
        }
        assert!(c.outcome.is_some(), "nothing closes without an answer");
    }
    if s.state == State::Confirmed {
        assert!(s.ratings.last().is_some_and(|r| r.rating.is_satisfied()));
    }
    if matches!(s.state, State::Answered | State::Confirmed | State::UnderReview) {
        assert_eq!(s.answers.last().map(|a| a.round), Some(s.round), "the answer belongs to this round");
    }
    if s.state == State::UnderReview {
        assert!(s.reopens >= 1);
    }
    if matches!(s.state, State::Assigned | State::ObjectionPending | State::InProgress | State::AwaitingInfo)
    {
        assert!(s.assignment.is_some());
    }
    if s.state == State::Returned {
        assert!(s.assignment.is_none());
    }
    assert!(!s.cooperating.contains(&s.lead));
    assert!(s.answer_clock.yellow_from.date() <= s.answer_clock.due.date());
    assert!(s.extensions_this_round <= s.limits.max_extensions_per_round);
    // Every case counts in `escalations`; cases are numbered in order.
    assert!(s.escalation_cases.len() as u32 <= s.escalations);
    for (i, c) in s.escalation_cases.iter().enumerate() {
        assert_eq!(c.no as usize, i + 1);
    }
    for c in &s.escalation_cases {
        assert!(c.yellow_from <= c.reply_by);
    }
    for (i, d) in s.decisions.iter().enumerate() {
        assert_eq!(d.no as usize, i + 1);
        assert!(d.yellow_from <= d.due);
    }
    if s.state != State::Closed {
        assert_eq!(s.enterprise_says_solved(), None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_action_sequences_keep_the_machine_sound(
        steps in proptest::collection::vec((0usize..33, 0usize..10, prop_oneof![3 => 0i64..(6 * 60), 1 => 0i64..(3 * 24 * 60)]), 1..60),
        received_minutes in 0i64..(200 * 24 * 60),
        urgent in any::<bool>(),
        category in prop_oneof![Just("policy_questions"), Just("upgrading"), Just("other")],
    ) {
        let received = at("2022-01-04T08:00:00+08:00") + Duration::minutes(received_minutes);
        let cmds = commands();
        let people = actors();
        let urgency = if urgent { Urgency::Urgent } else { Urgency::Normal };
        let mut p = problem(category, urgency, "2022-01-04T08:00:00+08:00");
        p.received_at = received;
        let first = submit(p, &people[0], received, Routing::seed(), TimeLimits::defaults(), cal()).unwrap();
        let mut state = first.state;
        let mut events = vec![first.event];
        let mut now = received;
        for (ci, ai, dt) in steps {
            now += Duration::minutes(dt);
            // Try the command with each actor in turn from `ai`: the first that may, does.
            for k in 0..people.len() {
                let who = &people[(ai + k) % people.len()];
                let offered = applicable_actions(&state, who, now);
                let result = apply(&state, &cmds[ci], who, now, cal());
                // What is offered is what would be accepted, given acceptable data and note.
                let kind = cmds[ci].action.kind();
                match &result {
                    Ok(_) => prop_assert!(offered.contains(&kind), "{kind:?} applied but not offered"),
                    Err(e) if offered.contains(&kind) => prop_assert!(
                        matches!(
                            e,
                            HandlingError::BadValue { .. }
                                | HandlingError::SameLead { .. }
                                | HandlingError::FirstReceiverOwns { .. }
                                | HandlingError::LeadAlsoCooperating { .. }
                                | HandlingError::NoteRequired { .. }
                        ),
                        "{kind:?} offered but refused for no fault of its data: {e:?}"
                    ),
                    Err(_) => {}
                }
                match result {
                    Ok(t) => {
                        check_invariants(&t.state, &t.event);
                        state = t.state;
                        events.push(t.event);
                        break;
                    }
                    Err(e) => {
                        // Every refusal has a message in both languages.
                        prop_assert!(!e.render(Lang::Zh).is_empty() && !e.render(Lang::En).contains("handling."));
                    }
                }
            }
        }
        // The log replays to the same state.
        prop_assert_eq!(&replay(&events, cal()).unwrap(), &state);
        // The instants the light turns give the light at every moment, to the second.
        let times = warning_times(&state);
        for m in [0i64, 59, 60 * 24, 3 * 60 * 24, 9 * 60 * 24, 30 * 60 * 24] {
            for t in [now + Duration::minutes(m), now + Duration::minutes(m) - Duration::seconds(1)] {
                prop_assert_eq!(times.at(t), warning(&state, t), "at {}", t);
            }
        }
        if let Some(y) = times.yellow_at {
            prop_assert!(warning(&state, y) >= Warning::Yellow);
            prop_assert!(warning(&state, y - Duration::seconds(1)) < Warning::Yellow);
        }
        // Open is everything but closed and withdrawn.
        prop_assert_eq!(state.state.is_open(), State::OPEN.contains(&state.state));
        // Deadlines equal the calendar's arithmetic.
        let rd = china_date(received);
        let d = deadlines(&state);
        let limits = TimeLimits::defaults().applied(category, urgency);
        match limits.accept {
            Limit::Workdays(n) => prop_assert_eq!(d.accept_by, Due::Date(cal().add_workdays(rd, n).unwrap())),
            Limit::Hours(h) => prop_assert_eq!(d.accept_by, Due::At(received + Duration::hours(i64::from(h)))),
        }
        if state.round == 1 && let Limit::Workdays(n) = limits.answer {
            let total = n + state.extension_workdays + state.answer_clock.paused as u32;
            prop_assert_eq!(d.answer_by, Due::Date(cal().add_workdays(rd, total).unwrap()));
        }
        // Seq numbers run 1..n and times never go back.
        for (i, w) in events.windows(2).enumerate() {
            prop_assert_eq!(w[1].seq as usize, i + 2);
            prop_assert!(w[1].at >= w[0].at);
        }
    }
}

/// The random walks above are only worth something if they go deep: a fixed-seed walk of the
/// same kind reaches every state and takes every action.
#[test]
fn random_walks_reach_every_state_and_action() {
    let cmds = commands();
    let people = actors();
    let mut seed: u64 = 0x2022_0427;
    let mut next = |n: usize| {
        // xorshift64*
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
    };
    let mut states = std::collections::BTreeSet::new();
    let mut actions = std::collections::BTreeSet::new();
    for i in 0..800 {
        let category = if i % 2 == 0 { "policy_questions" } else { "upgrading" };
        let t = new_problem(category, Urgency::Normal, "2022-03-01T09:00:00+08:00");
        let (mut s, mut now) = (t.state, at("2022-03-01T09:00:00+08:00"));
        actions.insert(ActionKind::Submit);
        states.insert(s.state);
        for _ in 0..90 {
            let span = if next(3) == 0 { 5 * 24 * 60 } else { 6 * 60 };
            now += Duration::minutes(next(span) as i64);
            let c = &cmds[next(cmds.len())];
            let first = next(people.len());
            for k in 0..people.len() {
                if let Ok(t) = apply(&s, c, &people[(first + k) % people.len()], now, cal()) {
                    actions.insert(t.event.kind());
                    s = t.state;
                    states.insert(s.state);
                    break;
                }
            }
        }
    }
    assert_eq!(states.len(), ALL_STATES.len(), "{states:?}");
    assert_eq!(
        actions.len(),
        ALL_ACTIONS.len(),
        "{:?}",
        ALL_ACTIONS.iter().filter(|a| !actions.contains(a)).collect::<Vec<_>>()
    );
}

/// Attaching a file leaves the state alone and replays; only the enterprise itself, the
/// problem's departments and supervisors attach, and not once the problem is closed.
#[test]
fn attaching_a_file_is_an_event_that_keeps_the_state() {
    let file = || Action::Attach {
        file_name: "租赁合同.pdf".into(),
        content_type: "application/pdf".into(),
        size: 1234,
        sha256: "ab".repeat(32),
    };
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    let before = r.state.state;
    // `may_attach` (what pages and authorisation ask) says what `apply` then does.
    let asked = |r: &Run, a: &Actor| may_attach(&r.state, a);
    assert!(asked(&r, &enterprise_user(e1())) && asked(&r, &dept("tax_bureau")));
    assert!(asked(&r, &user("sup", Role::Supervisor)));
    assert!(!asked(&r, &enterprise_user(e2())) && !asked(&r, &dept("market_regulation")));
    assert!(!asked(&r, &user("c1", Role::Cadre)) && !asked(&r, &user("admin", Role::Admin)));
    r.act(file(), "", &enterprise_user(e1()), "2022-05-05T09:10:00+08:00");
    assert_eq!((r.state.state, r.state.seq), (before, 2));
    assert_eq!(r.events[1].kind(), ActionKind::Attach);
    let other = r.try_act(file(), "", &enterprise_user(e2()), "2022-05-05T09:20:00+08:00").unwrap_err();
    assert!(matches!(other, HandlingError::NotYourEnterprise { .. }));
    let stranger =
        r.try_act(file(), "", &dept("market_regulation"), "2022-05-05T09:20:00+08:00").unwrap_err();
    assert!(matches!(stranger, HandlingError::NotCooperating { .. }));
    let cadre = r.try_act(file(), "", &user("c1", Role::Cadre), "2022-05-05T09:20:00+08:00").unwrap_err();
    assert!(matches!(cadre, HandlingError::RoleNotAllowed { .. }));
    r.act(file(), "", &dept("tax_bureau"), "2022-05-05T09:30:00+08:00");
    r.act(file(), "补充说明", &user("sup", Role::Supervisor), "2022-05-05T09:40:00+08:00");
    assert_eq!(replay(&r.events, cal()).unwrap(), r.state);
    // Not offered as a command, and refused once withdrawn.
    assert!(!r.state.allowed_actions(None).contains(&ActionKind::Attach));
    assert_eq!(ActionKind::parse("attach"), None);
    r.act(Action::Withdraw, "已自行解决", &enterprise_user(e1()), "2022-05-05T10:00:00+08:00");
    assert!(!asked(&r, &enterprise_user(e1())) && !asked(&r, &user("sup", Role::Supervisor)));
    let closed = r.try_act(file(), "", &enterprise_user(e1()), "2022-05-05T10:10:00+08:00").unwrap_err();
    assert!(matches!(closed, HandlingError::Illegal { .. }));
}

/// Pages offer only what the machine allows: no 结束会商 without an open consultation, no
/// acceptance by a department that does not lead, the enterprise's own actions to it alone.
#[test]
fn applicable_actions_are_what_the_machine_would_accept_now() {
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    let now = at("2022-05-05T09:30:00+08:00");
    let offered = |r: &Run, a: &Actor| applicable_actions(&r.state, a, now);
    assert_eq!(offered(&r, &dept("tax_bureau")), [ActionKind::Accept]);
    assert!(offered(&r, &dept("market_regulation")).is_empty(), "not the lead");
    assert_eq!(offered(&r, &enterprise_user(e1())), [ActionKind::Withdraw]);
    assert!(offered(&r, &enterprise_user(e2())).is_empty());
    assert_eq!(offered(&r, &user("sup", Role::Supervisor)), [ActionKind::Accept, ActionKind::EscalateCase]);
    r.act(Action::Accept, "", &dept("tax_bureau"), "2022-05-05T09:10:00+08:00");
    let leader = user("leader", Role::Leader);
    assert_eq!(offered(&r, &leader), [ActionKind::EscalateCase, ActionKind::OpenConsultation]);
    r.act(
        Action::OpenConsultation { participants: vec!["finance".into()] },
        "会商",
        &leader,
        "2022-05-05T09:20:00+08:00",
    );
    assert_eq!(offered(&r, &leader), [ActionKind::EscalateCase, ActionKind::CloseConsultation]);
    // Every state is open but closed and withdrawn.
    for s in ALL_STATES {
        assert_eq!(s.is_open(), !matches!(s, State::Closed | State::Withdrawn), "{s:?}");
        assert_eq!(State::parse(s.as_str()), Some(s));
    }
}

/// The words people type for actions and their values, read once here for the CLI and the web.
#[test]
fn action_words_parse_in_english_and_chinese() {
    assert_eq!(ActionKind::parse("decide-objection"), Some(ActionKind::DecideObjection));
    assert_eq!(ActionKind::parse("受理"), Some(ActionKind::Accept));
    assert_eq!(ActionKind::parse("结束会商"), Some(ActionKind::CloseConsultation));
    assert_eq!(ActionKind::parse("teleport"), None);
    for (w, upheld) in
        [("upheld", true), ("uphold", true), ("成立", true), ("驳回", false), ("rejected", false)]
    {
        assert_eq!(parse_objection_decision(w).unwrap(), upheld, "{w}");
    }
    assert_eq!(ReviewDecision::parse("销号").unwrap(), ReviewDecision::Close);
    assert_eq!(ReviewDecision::parse("redo").unwrap(), ReviewDecision::Redo);
    assert_eq!(ExplainReason::parse("not-eligible").unwrap(), ExplainReason::NotEligible);
    assert_eq!(ExplainReason::parse("企业自身原因").unwrap(), ExplainReason::EnterpriseCause);
    assert_eq!(
        Outcome::parse("explained", None, None).unwrap(),
        Outcome::Explained { reason: ExplainReason::Other }
    );
    assert_eq!(
        Outcome::parse("已转办", None, Some("省厅")).unwrap(),
        Outcome::Referred { to: "省厅".into() }
    );
    assert!(matches!(
        Outcome::parse("referred", None, None),
        Err(HandlingError::BadValue { field: "to", .. })
    ));
    assert!(matches!(
        Outcome::parse("done", None, None),
        Err(HandlingError::BadValue { field: "outcome", .. })
    ));
}

// ---- issue 11 §5 and §6: escalation cases, decisions, the enterprise's answer, calendar changes ----

/// 督办 is a case: a reply due in working days, its own light, one open at a time, replied by
/// the lead department with a note.
#[test]
fn an_escalation_is_a_case_with_a_deadline_a_reply_and_its_own_light() {
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    let tax = dept("tax_bureau");
    let leader = user("leader", Role::Leader);
    r.act(Action::Accept, "", &tax, "2022-05-05T09:10:00+08:00");
    // The note is required: what is asked of the department.
    let e = r.try_act(Action::EscalateCase { reply_workdays: 2 }, "", &leader, "2022-05-05T10:00:00+08:00");
    assert_eq!(e.unwrap_err(), HandlingError::NoteRequired { action: ActionKind::EscalateCase });
    let e =
        r.try_act(Action::EscalateCase { reply_workdays: 0 }, "请加快", &leader, "2022-05-05T10:00:00+08:00");
    assert!(matches!(e, Err(HandlingError::BadValue { field: "reply_workdays", .. })));
    r.act(Action::EscalateCase { reply_workdays: 2 }, "请两日内回复", &leader, "2022-05-05T10:00:00+08:00");
    let c = r.state.open_escalation().unwrap().clone();
    // Thursday 5 May + 2 working days: Friday 6 and the Labour Day make-up Saturday 7 May.
    assert_eq!(c.reply_by, cal().add_workdays(day("2022-05-05"), 2).unwrap());
    assert_eq!(r.state.escalations, 1);
    assert_eq!(c.warning(at("2022-05-05T12:00:00+08:00")), Warning::None);
    assert_eq!(c.warning(handling::china_day_start(c.yellow_from)), Warning::Yellow);
    assert_eq!(c.warning(handling::china_day_start(c.reply_by + Duration::days(1))), Warning::Red);
    // A supervisor presses too: a second case; one reply answers both. Only the lead
    // department replies, with a note.
    r.act(
        Action::EscalateCase { reply_workdays: 1 },
        "再催",
        &user("sup", Role::Supervisor),
        "2022-05-05T11:00:00+08:00",
    );
    assert_eq!(r.state.escalation_cases.iter().filter(|c| c.is_open()).count(), 2);
    let other = r.try_act(Action::ReplyEscalation, "已办", &dept("finance"), "2022-05-05T11:00:00+08:00");
    assert!(matches!(other, Err(HandlingError::NotLeadDepartment { .. })));
    assert!(matches!(
        r.try_act(Action::ReplyEscalation, "", &tax, "2022-05-05T11:00:00+08:00"),
        Err(HandlingError::NoteRequired { .. })
    ));
    let late = handling::china_day_start(c.reply_by + Duration::days(1)) + Duration::hours(9);
    r.act(Action::ReplyEscalation, "已协调，明日答复", &tax, &late.to_rfc3339());
    let c = &r.state.escalation_cases[0];
    assert_eq!(c.replied_on_time(), Some(false));
    assert_eq!(c.warning(late), Warning::None);
    assert!(r.state.open_escalation().is_none());
    assert_eq!(r.state.escalations, 2);
    assert_eq!(replay(&r.events, cal()).unwrap(), r.state);
    // The word people typed for 督办 opens a case.
    assert_eq!(ActionKind::parse("escalate"), Some(ActionKind::EscalateCase));
    assert_eq!(ActionKind::parse("督办"), Some(ActionKind::EscalateCase));
    assert_eq!(ActionKind::parse("督办回复"), Some(ActionKind::ReplyEscalation));
    assert_eq!(ActionKind::parse(ActionKind::EscalateCase.word()), Some(ActionKind::EscalateCase));
}

/// 会商 ends with decisions, each owned by a department with a deadline and tracked like a
/// problem: its own light, done by its owner alone, even after the problem is closed.
#[test]
fn consultation_decisions_are_actions_with_an_owner_and_a_deadline() {
    let mut r = Run::new("tax", Urgency::Normal, "2022-05-05T09:00:00+08:00");
    let tax = dept("tax_bureau");
    let leader = user("leader", Role::Leader);
    r.act(Action::Accept, "", &tax, "2022-05-05T09:10:00+08:00");
    r.act(
        Action::OpenConsultation { participants: vec!["finance".into()] },
        "会商",
        &leader,
        "2022-05-05T09:20:00+08:00",
    );
    let decision = |text: &str, owner: &str, due: &str| DecisionAction {
        text: text.into(),
        owner: owner.into(),
        due: day(due),
    };
    let past = r.try_act(
        Action::CloseConsultation {
            minutes: "纪要".into(),
            decisions: vec![],
            actions: vec![decision("拨付", "finance", "2022-05-04")],
        },
        "",
        &leader,
        "2022-05-05T10:00:00+08:00",
    );
    assert!(matches!(past, Err(HandlingError::BadValue { field: "due", .. })));
    r.act(
        Action::CloseConsultation {
            minutes: "纪要".into(),
            decisions: vec![],
            actions: vec![
                decision("拨付补贴", "finance", "2022-05-13"),
                decision("回访企业", "tax_bureau", "2022-05-20"),
            ],
        },
        "",
        &leader,
        "2022-05-05T10:00:00+08:00",
    );
    assert_eq!(r.state.decisions.len(), 2);
    assert_eq!(r.state.consultations[0].decisions, ["拨付补贴", "回访企业"]);
    let d1 = r.state.decisions[0].clone();
    assert_eq!((d1.no, d1.owner.as_str(), d1.due), (1, "finance", day("2022-05-13")));
    assert_eq!(d1.warning(at("2022-05-06T09:00:00+08:00")), Warning::None);
    assert_eq!(d1.warning(at("2022-05-13T09:00:00+08:00")), Warning::Yellow);
    assert_eq!(d1.warning(at("2022-05-14T09:00:00+08:00")), Warning::Red);
    // Only the owner reports it done, with a note; a department owning none is not offered it.
    let now = at("2022-05-10T09:00:00+08:00");
    assert!(applicable_actions(&r.state, &dept("finance"), now).contains(&ActionKind::CompleteDecision));
    assert!(
        !applicable_actions(&r.state, &dept("market_regulation"), now)
            .contains(&ActionKind::CompleteDecision)
    );
    let wrong = r.try_act(
        Action::CompleteDecision { decision: 2 },
        "已拨付",
        &dept("finance"),
        "2022-05-10T09:00:00+08:00",
    );
    assert!(matches!(wrong, Err(HandlingError::BadValue { field: "decision", .. })));
    r.act(Action::CompleteDecision { decision: 1 }, "已拨付", &dept("finance"), "2022-05-10T09:00:00+08:00");
    assert_eq!(r.state.decisions[0].done_on_time(), Some(true));
    // The problem goes on to its closure; the second decision is still tracked after it.
    r.act(assign("tax_bureau", &[]), "", &tax, "2022-05-10T09:10:00+08:00");
    r.act(Action::Start, "", &tax, "2022-05-10T09:20:00+08:00");
    r.act(Action::Answer { outcome: Outcome::Resolved }, "已办", &tax, "2022-05-10T10:00:00+08:00");
    r.act(
        Action::Confirm { rating: Rating::Satisfied, solved: Some(true) },
        "",
        &enterprise_user(e1()),
        "2022-05-10T11:00:00+08:00",
    );
    r.act(Action::Close, "", &tax, "2022-05-10T12:00:00+08:00");
    r.act(Action::CompleteDecision { decision: 2 }, "已回访", &tax, "2022-05-23T09:00:00+08:00");
    assert_eq!(r.state.decisions[1].done_on_time(), Some(false));
    assert_eq!(r.state.state, State::Closed);
    assert_eq!(replay(&r.events, cal()).unwrap(), r.state);
}

/// 解决率 reads the enterprise's own answer: what it said when it confirmed, or a supervisor's
/// spot check after the closure; a closure without confirmation carries none.
#[test]
fn the_enterprise_says_whether_it_was_solved() {
    let ent = enterprise_user(e1());
    let tax = dept("tax_bureau");
    let answered = |received: &str| {
        let mut r = Run::new("tax", Urgency::Normal, received);
        let t0 = at(received);
        let step = |m: i64| (t0 + Duration::minutes(m)).to_rfc3339();
        r.act(Action::Accept, "", &tax, &step(10));
        r.act(assign("tax_bureau", &[]), "", &tax, &step(20));
        r.act(Action::Start, "", &tax, &step(30));
        r.act(Action::Answer { outcome: Outcome::Resolved }, "已办结", &tax, &step(40));
        r
    };
    // The department says resolved; the enterprise says not solved (but satisfied with the
    // service): the closure stands on the enterprise's word.
    let mut r = answered("2022-05-05T09:00:00+08:00");
    r.act(
        Action::Confirm { rating: Rating::BasicallySatisfied, solved: Some(false) },
        "",
        &ent,
        "2022-05-06T09:00:00+08:00",
    );
    r.act(Action::Close, "", &tax, "2022-05-06T10:00:00+08:00");
    let c = r.state.closure().unwrap();
    assert_eq!((c.outcome.clone(), c.solved), (Some(Outcome::Resolved), Some(false)));
    assert_eq!(r.state.enterprise_says_solved(), Some(false));
    // Not confirmed within 5 working days: closed without confirmation, no answer of the
    // enterprise's; a supervisor samples it, asks, and records what it says.
    let mut r = answered("2022-05-05T09:00:00+08:00");
    r.act(Action::AutoCloseUnrated, "", &user("cron", Role::System), "2022-05-13T01:00:00+08:00");
    assert_eq!(r.state.closure().unwrap().kind, ClosureKind::Unrated);
    assert_eq!(r.state.enterprise_says_solved(), None);
    let sup = user("sup", Role::Supervisor);
    assert!(matches!(
        r.try_act(Action::SpotCheck { solved: true }, "", &sup, "2022-05-16T09:00:00+08:00"),
        Err(HandlingError::NoteRequired { .. })
    ));
    r.act(Action::SpotCheck { solved: true }, "电话回访：已解决", &sup, "2022-05-16T09:00:00+08:00");
    assert_eq!(r.state.enterprise_says_solved(), Some(true));
    // …or it was not: the supervisor reopens it.
    let mut r = answered("2022-05-05T09:00:00+08:00");
    r.act(Action::AutoCloseUnrated, "", &user("cron", Role::System), "2022-05-13T01:00:00+08:00");
    r.act(Action::SpotCheck { solved: false }, "回访：未解决", &sup, "2022-05-16T09:00:00+08:00");
    r.act(Action::Reopen, "抽查发现未解决", &sup, "2022-05-16T09:10:00+08:00");
    assert_eq!((r.state.state, r.state.round), (State::InProgress, 2));
    assert_eq!(replay(&r.events, cal()).unwrap(), r.state);
    assert!(!parse_solved("未解决").unwrap());
    assert!(parse_solved("yes").unwrap());
    assert!(parse_solved("maybe").is_err());
}

/// A 2027 "notice" for the tests (not a real one): 春节 5–11 February off with Sunday 31
/// January and Saturday 20 February worked; the rest as the rules give.
fn example_2027() -> calendar::YearArrangement {
    use calendar::{ArrangedDay, ArrangedKind, YearArrangement, YearStatus};
    let mut a = YearArrangement::provisional(2027).unwrap();
    a.status = YearStatus::Official;
    a.notice = "测试用示例（非真实通知）".into();
    a.days.retain(|x| !(x.date >= day("2027-01-25") && x.date <= day("2027-02-28")));
    for d in 5..=11 {
        a.days.push(ArrangedDay {
            date: NaiveDate::from_ymd_opt(2027, 2, d).unwrap(),
            kind: ArrangedKind::Holiday,
            festival: "春节".into(),
        });
    }
    for d in ["2027-01-31", "2027-02-20"] {
        a.days.push(ArrangedDay { date: day(d), kind: ArrangedKind::Workday, festival: "春节".into() });
    }
    a.days.sort_by_key(|x| x.date);
    a
}

/// Loading a year's notice moves the running deadlines of a problem by a recorded event, and
/// the log replays: each event is judged by the calendar in force when it was recorded (an
/// objection made on the last day of its window by the provisional calendar stays legal,
/// although the notice closed that window a day earlier).
#[test]
fn a_loaded_notice_moves_deadlines_by_an_event_and_old_events_keep_replaying() {
    let loaded_at = at("2027-02-01T12:00:00+08:00");
    let cals = calendar::Calendars::build(&[calendar::LoadedYear {
        id: 1,
        arrangement: example_2027(),
        loaded_at,
        loaded_by: "admin".into(),
    }])
    .unwrap();
    let p = problem("upgrading", Urgency::Normal, "2027-01-28T10:00:00+08:00");
    let ent = enterprise_user(e1());
    let t = submit(
        p,
        &ent,
        at("2027-01-28T10:00:00+08:00"),
        Routing::seed(),
        TimeLimits::defaults(),
        cals.calendar_at(at("2027-01-28T10:00:00+08:00")),
    )
    .unwrap();
    let (mut s, mut events) = (t.state, vec![t.event]);
    let lead = dept(&s.lead.clone());
    let go =
        |s: &mut ProblemState, events: &mut Vec<Event>, a: Action, note: &str, who: &Actor, when: &str| {
            let cmd = if note.is_empty() { Command::new(a) } else { Command::with_note(a, note) };
            let t = apply(s, &cmd, who, at(when), cals.calendar_at(at(when)))?;
            *s = t.state;
            events.push(t.event);
            Ok::<_, HandlingError>(())
        };
    // 15 working days on the provisional calendar (除夕 to 初三 and two days in lieu off).
    assert_eq!(deadlines(&s).answer_by, Due::Date(day("2027-02-24")));
    go(&mut s, &mut events, Action::Accept, "", &lead, "2027-01-28T11:00:00+08:00").unwrap();
    go(
        &mut s,
        &mut events,
        assign(&lead.department.clone().unwrap(), &[]),
        "",
        &lead,
        "2027-01-29T09:00:00+08:00",
    )
    .unwrap();
    assert_eq!(s.assignment.as_ref().unwrap().objection_by, day("2027-02-01"));
    go(&mut s, &mut events, Action::Object, "非本部门职责", &lead, "2027-02-01T09:00:00+08:00").unwrap();
    // The notice is loaded at noon; the supervisor decides after it.
    go(
        &mut s,
        &mut events,
        Action::DecideObjection { upheld: false, lead: None, cooperating: None },
        "维持",
        &user("sup", Role::Supervisor),
        "2027-02-01T14:00:00+08:00",
    )
    .unwrap();
    let system = user("system", Role::System);
    let recompute =
        Action::RecomputeDeadlines { year: 2027, notice: "测试用示例".into(), changes: vec![] };
    go(&mut s, &mut events, recompute.clone(), "", &system, "2027-02-01T15:00:00+08:00").unwrap();
    let Action::RecomputeDeadlines { changes, .. } = &events.last().unwrap().action else { panic!() };
    assert_eq!(
        changes,
        &[
            DeadlineChange {
                deadline: DeadlineName::AnswerBy,
                from: Due::Date(day("2027-02-24")),
                to: Due::Date(day("2027-02-23"))
            },
            DeadlineChange {
                deadline: DeadlineName::ObjectionBy,
                from: Due::Date(day("2027-02-01")),
                to: Due::Date(day("2027-01-31"))
            },
        ]
    );
    assert_eq!(deadlines(&s).answer_by, Due::Date(day("2027-02-23")));
    // Nothing left to move: a second recompute is refused.
    assert_eq!(
        go(&mut s, &mut events, recompute, "", &system, "2027-02-01T16:00:00+08:00").unwrap_err(),
        HandlingError::NothingToRecompute
    );
    // The log replays with the calendar's editions, not with today's calendar alone.
    assert_eq!(replay(&events, &cals).unwrap(), s);
    assert!(replay(&events, cals.current()).is_err());
    // The recompute event's canonical form names the year, the notice and each change.
    let json = events.last().unwrap().canonical_json();
    assert!(json.ends_with(r#""action":"recompute_deadlines","payload":{"year":2027,"notice":"测试用示例","changes":[{"deadline":"answer_by","from":"2027-02-24","to":"2027-02-23"},{"deadline":"objection_by","from":"2027-02-01","to":"2027-01-31"}]}}"#), "{json}");
}

/// Random walks across a calendar change: whatever the problem's state when the notice is
/// loaded, a recompute moves only running deadlines to the new calendar's arithmetic, and
/// the log replays with the editions.
#[test]
fn recomputes_after_any_walk_replay_and_land_on_the_new_calendar() {
    let loaded_at = at("2027-01-27T12:00:00+08:00");
    let cals = calendar::Calendars::build(&[calendar::LoadedYear {
        id: 1,
        arrangement: example_2027(),
        loaded_at,
        loaded_by: "admin".into(),
    }])
    .unwrap();
    let official = cals.current();
    let cmds = commands();
    let people = actors();
    let mut seed: u64 = 0x2027_0205;
    let mut next = |n: usize| {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
    };
    let (mut moved, mut unchanged) = (0, 0);
    for i in 0..300 {
        let category = ["policy_questions", "upgrading", "other"][i % 3];
        let received = at("2027-01-18T09:00:00+08:00") + Duration::minutes(next(7 * 24 * 60) as i64);
        let mut p = problem(category, Urgency::Normal, "2027-01-18T09:00:00+08:00");
        p.received_at = received;
        let t = submit(
            p,
            &people[0],
            received,
            Routing::seed(),
            TimeLimits::defaults(),
            cals.calendar_at(received),
        )
        .unwrap();
        let (mut s, mut events, mut now) = (t.state, vec![t.event], received);
        while now < loaded_at - Duration::hours(1) {
            now += Duration::minutes(next(8 * 60) as i64);
            let c = &cmds[next(cmds.len())];
            let first = next(people.len());
            for k in 0..people.len() {
                if let Ok(t) = apply(&s, c, &people[(first + k) % people.len()], now, cals.calendar_at(now)) {
                    s = t.state;
                    events.push(t.event);
                    break;
                }
            }
        }
        let when = (loaded_at + Duration::hours(1)).max(s.last_at);
        let cmd =
            Command::new(Action::RecomputeDeadlines { year: 2027, notice: "示例".into(), changes: vec![] });
        match apply(&s, &cmd, &user("system", Role::System), when, cals.calendar_at(when)) {
            Ok(t) => {
                moved += 1;
                s = t.state;
                events.push(t.event);
                // The running answer clock is now the new calendar's arithmetic.
                if (s.state.answer_clock_runs() || s.state == State::AwaitingInfo)
                    && let (Allowance::Workdays(n), Due::Date(due)) =
                        (s.answer_clock.allowed, s.answer_clock.due)
                {
                    let total = n + s.answer_clock.paused as u32;
                    assert_eq!(due, official.add_workdays(china_date(s.answer_clock.start), total).unwrap());
                }
                let again = apply(&s, &cmd, &user("system", Role::System), when, official);
                assert_eq!(again.unwrap_err(), HandlingError::NothingToRecompute);
            }
            Err(HandlingError::NothingToRecompute) => unchanged += 1,
            Err(HandlingError::Illegal { .. }) => assert!(!s.state.is_open()),
            Err(e) => panic!("{e:?}"),
        }
        assert_eq!(replay(&events, &cals).unwrap(), s);
    }
    // Measured with this seed: 28 moved, 87 unchanged, the rest closed or withdrawn.
    assert!(moved >= 20 && unchanged >= 20, "moved {moved}, unchanged {unchanged}");
}

#[test]
fn logistics_obstructions_run_on_clock_hours_for_acceptance_and_answer() {
    // Raised at 17:00 on Friday 2022-12-30, before the New Year holiday (12-31 … 01-02): due
    // to be accepted by 18:00 that day, not on the next working day (Tuesday 01-03) as a tax
    // problem raised at the same moment.
    let t = new_problem("物流", Urgency::Normal, "2022-12-30T17:00:00+08:00");
    assert_eq!(t.state.limits.accept, Limit::Hours(1));
    assert_eq!(t.state.limits.answer, Limit::Hours(24));
    let d = deadlines(&t.state);
    assert_eq!(d.accept_by, Due::At(at("2022-12-30T18:00:00+08:00")));
    assert_eq!(d.answer_by, Due::At(at("2022-12-31T17:00:00+08:00")), "24 hours, the holiday included");
    let tax = new_problem("tax", Urgency::Normal, "2022-12-30T17:00:00+08:00");
    assert_eq!(deadlines(&tax.state).accept_by, Due::Date(day("2023-01-03")));
    // Urgent: accepted within the hour, answered within 8 hours (01:00 on the Saturday).
    let u = new_problem("logistics", Urgency::Urgent, "2022-12-30T17:00:00+08:00");
    assert_eq!(deadlines(&u.state).accept_by, Due::At(at("2022-12-30T18:00:00+08:00")));
    assert_eq!(deadlines(&u.state).answer_by, Due::At(at("2022-12-31T01:00:00+08:00")));

    // The lights follow in minutes: yellow after 48 of the 60, red after 18:00.
    let mut r = Run::new("物流", Urgency::Normal, "2022-12-30T17:00:00+08:00");
    assert_eq!(warning(&r.state, at("2022-12-30T17:47:59+08:00")), Warning::None);
    assert_eq!(warning(&r.state, at("2022-12-30T17:48:00+08:00")), Warning::Yellow);
    assert_eq!(warning(&r.state, at("2022-12-30T18:00:01+08:00")), Warning::Red);
    // Accepted at 17:40, within the hour; then the answer clock: yellow from 12-31 12:12
    // (80 % of 24 hours), red after 17:00.
    r.act(Action::Accept, "", &dept("urban_management_environment"), "2022-12-30T17:40:00+08:00");
    assert_eq!(r.state.accepted.as_ref().map(|a| a.2), Some(true), "accepted within the hour");
    assert_eq!(warning(&r.state, at("2022-12-31T12:11:59+08:00")), Warning::None);
    assert_eq!(warning(&r.state, at("2022-12-31T12:12:00+08:00")), Warning::Yellow);
    assert_eq!(warning(&r.state, at("2022-12-31T17:00:01+08:00")), Warning::Red);
    // Accepted after the hour: late.
    let mut late = Run::new("物流", Urgency::Normal, "2022-12-30T17:00:00+08:00");
    late.act(Action::Accept, "", &dept("urban_management_environment"), "2022-12-30T18:05:00+08:00");
    assert_eq!(late.state.accepted.as_ref().map(|a| a.2), Some(false));
}

#[test]
fn a_category_may_have_its_own_acceptance_limit_and_older_files_still_parse() {
    let t = TimeLimits::defaults();
    assert_eq!(t.accept_of("logistics").normal, Limit::Hours(1));
    assert_eq!(t.accept_of("tax"), t.accept, "the others use the zone's acceptance limit");
    assert_eq!(t.applied("logistics", Urgency::Urgent).accept, Limit::Hours(1));
    assert_eq!(t.applied("utilities", Urgency::Normal).accept, Limit::Workdays(1));
    // A file written before `accept_by_category` existed (a zone's stored limits) parses and
    // accepts every category by the zone's limit.
    let base = include_str!("../data/time_limits.toml");
    let start = base.find("[accept_by_category.logistics]").unwrap();
    let end = start + base[start..].find("\n\n").unwrap();
    let old = format!("{}{}", &base[..start], &base[end..]);
    let parsed = TimeLimits::parse(&old).unwrap();
    assert!(parsed.accept_by_category.is_empty());
    assert_eq!(parsed.applied("logistics", Urgency::Normal).accept, Limit::Workdays(1));
    // Its own limits are checked like the others, and its category must be known.
    let zero = base.replace(
        "[accept_by_category.logistics]\nnormal = { hours = 1 }",
        "[accept_by_category.logistics]\nnormal = { hours = 0 }",
    );
    assert!(
        matches!(TimeLimits::parse(&zero), Err(HandlingError::BadLimits { reason }) if reason.contains("accept_by_category.logistics.normal"))
    );
    let unknown =
        TimeLimits::parse(&base.replace("[accept_by_category.logistics]", "[accept_by_category.logistix]"))
            .unwrap();
    assert_eq!(unknown.unknown_categories(Routing::seed()), ["logistix"]);
    // The snapshot a problem keeps has the same shape as before.
    let json = serde_json::to_value(t.applied("logistics", Urgency::Normal)).unwrap();
    assert_eq!(json["accept"], serde_json::json!({"hours": 1}));
    assert_eq!(json.as_object().unwrap().len(), 7);
}
