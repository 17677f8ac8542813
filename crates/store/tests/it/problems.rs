//! The problem store suite (problems, visits, attachments, the atomic version check): every test is a function over `&dyn Store`, run against a fresh
//! SQLite file always and against a fresh PostgreSQL schema when `HUIQI_TEST_PG_URL` is set.
//! (Tampering with rows directly is tested through `huiqi audit verify` in the CLI tests.)

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use enterprise::{Enterprise, EnterpriseRecord, Routing, UnifiedCreditCode};
use handling::HandlingError;
use handling::{
    Action, ActionKind, Actor as HActor, Channel, Command, ExplainReason, Outcome, Problem, Rating,
    ReviewDecision, Role as HRole, State, TimeLimits, Urgency, Visit, Warning,
};
use store::attachments::{AttachmentError, CheckedFile, MAX_FILES_PER_PROBLEM, check_file, reference};
use store::problems::{
    LightFilter, ProblemError, ProblemFilter, ProblemOrder, Projection, TextFilter, VisitFilter,
};
use store::{ImportFormat, ImportRequest, Page, Stamp, Store};

suite!(
    "p";
    the_main_path_is_stored_and_replays,
    illegal_transitions_change_nothing,
    lists_filter_by_state_department_light_and_date,
    lists_find_words_keep_open_apart_follow_cadres_and_sort_the_queue,
    period_logs_hold_what_the_kpis_need,
    visits_are_recorded_and_raise_problems,
    random_walks_keep_the_projection_equal_to_the_replay,
    files_are_stored_with_the_event_that_names_them,
    a_refused_file_or_problem_stores_nothing,
    several_files_after_raising_land_together_or_not_at_all,
    a_stale_version_is_refused_inside_the_write,
    calendar_years_are_kept_and_move_deadlines_by_an_event,
    follow_ups_are_listed_by_owner_with_their_lights,
);

// ---------------------------------------------------------------------------------------
// Fixtures

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn code(n: u32) -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 20_000_000 + n)).unwrap()
}

async fn enterprises(s: &dyn Store, n: u32) {
    let records = (1..=n)
        .map(|i| EnterpriseRecord {
            scope: Default::default(),
            enterprise: Enterprise {
                uscc: code(i),
                name: format!("长沙麓谷第{i}科技有限公司"),
                registered_in_zone: true,
                tax_registered_in_zone: true,
                industry_code: None,
                established_on: None,
                taxpayer_type: None,
                tax_credit_rating: None,
                tags: Default::default(),
            },
            facts: vec![],
        })
        .collect();
    s.apply_import(ImportRequest {
        actor: Stamp::new("admin", at("2022-01-01T09:00:00+08:00")),
        file_name: "e.csv".into(),
        format: ImportFormat::Csv,
        records,
        dry_run: false,
    })
    .await
    .unwrap();
}

fn routing() -> &'static Routing {
    Routing::seed()
}

fn ent(n: u32) -> HActor {
    HActor {
        username: format!("qiye{n}"),
        role: HRole::Enterprise,
        department: None,
        enterprise: Some(code(n)),
    }
}
fn dept(code: &str) -> HActor {
    HActor {
        username: format!("staff-{code}"),
        role: HRole::Department,
        department: Some(code.into()),
        enterprise: None,
    }
}
fn person(name: &str, role: HRole) -> HActor {
    HActor { username: name.into(), role, department: None, enterprise: None }
}

fn problem(n: u32, category: &str, received: &str) -> Problem {
    Problem {
        enterprise: code(n),
        channel: Channel::SelfService,
        category: category.into(),
        title: "厂房租金减免咨询".into(),
        description: "询问2022年房租减免政策".into(),
        attachments: vec![],
        urgency: Urgency::Normal,
        confidential: false,
        received_at: at(received),
        visit: None,
    }
}

async fn add(s: &dyn Store, n: u32, category: &str, received: &str) -> i64 {
    s.create_problem(problem(n, category, received), &ent(n), at(received), routing(), TimeLimits::defaults())
        .await
        .unwrap()
        .id
}

async fn act(
    s: &dyn Store,
    id: i64,
    cmd: Command,
    actor: &HActor,
    when: &str,
) -> store::problems::ProblemRecord {
    s.record_transition(id, &cmd, actor, at(when), at(when)).await.unwrap()
}

fn note(a: Action, n: &str) -> Command {
    Command::with_note(a, n)
}

async fn check_consistent(s: &dyn Store, id: i64) {
    let r = s.get_problem(id).await.unwrap();
    assert_eq!(r.row.projection, Projection::of(&r.state).unwrap(), "problem {id}: stored row = replay");
    assert_eq!(r.events.len() as u32, r.state.seq);
}

// ---------------------------------------------------------------------------------------
// Tests

async fn the_main_path_is_stored_and_replays(s: &dyn Store) {
    enterprises(s, 2).await;
    // Received Friday 2022-04-29 before Labour Day: 3 working days → 2022-05-07 (the
    // holiday runs 04-30 to 05-04; 05-05, 05-06 and the make-up Saturday 05-07 work).
    let id = add(s, 1, "policy_questions", "2022-04-29T10:00:00+08:00").await;
    let r = s.get_problem(id).await.unwrap();
    assert_eq!(r.state.state, State::Submitted);
    assert_eq!(r.row.projection.lead_department, "economic_development");
    assert_eq!(r.row.projection.answer_by, "2022-05-07");
    assert_eq!(r.row.enterprise_name, "长沙麓谷第1科技有限公司");
    assert_eq!(r.events[0].prev_hash, store::problems::GENESIS_HASH);
    let ed = dept("economic_development");
    act(s, id, Command::new(Action::Accept), &ed, "2022-05-05T09:00:00+08:00").await;
    act(
        s,
        id,
        Command::new(Action::Assign {
            lead: "economic_development".into(),
            cooperating: vec![],
            handler: Some("李明".into()),
        }),
        &ed,
        "2022-05-05T09:10:00+08:00",
    )
    .await;
    act(s, id, Command::new(Action::Start), &ed, "2022-05-05T09:20:00+08:00").await;
    act(
        s,
        id,
        note(Action::Answer { outcome: Outcome::Resolved }, "已按政策减免"),
        &ed,
        "2022-05-06T15:00:00+08:00",
    )
    .await;
    act(
        s,
        id,
        Command::new(Action::Confirm { rating: Rating::Satisfied, solved: None }),
        &ent(1),
        "2022-05-07T10:00:00+08:00",
    )
    .await;
    let r = act(s, id, Command::new(Action::Close), &ed, "2022-05-09T09:00:00+08:00").await;
    assert_eq!(r.state.state, State::Closed);
    assert_eq!(r.events.len(), 7);
    assert_eq!(r.row.projection.state, "closed");
    assert_eq!((r.row.projection.yellow_at, r.row.projection.red_at), (None, None));
    for w in r.events.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash, "one chain");
        assert!(w[1].chain_seq > w[0].chain_seq);
    }
    check_consistent(s, id).await;
    let audit = s.audit_verify().await.unwrap();
    assert_eq!((audit.events, audit.broken), (7, None));
    assert_eq!(audit.head_hash, r.events[6].hash);
}

async fn illegal_transitions_change_nothing(s: &dyn Store) {
    enterprises(s, 1).await;
    let id = add(s, 1, "tax", "2022-05-05T10:00:00+08:00").await;
    let e = s
        .record_transition(
            id,
            &note(Action::Answer { outcome: Outcome::Resolved }, "x"),
            &dept("tax_bureau"),
            at("2022-05-05T11:00:00+08:00"),
            at("2022-05-05T11:00:00+08:00"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ProblemError::Handling(handling::HandlingError::Illegal { .. })), "{e:?}");
    use i18n::Localized;
    assert!(e.render(i18n::Lang::En).contains("answer"), "{}", e.render(i18n::Lang::En));
    // Another department may not accept it.
    let e = s
        .record_transition(
            id,
            &Command::new(Action::Accept),
            &dept("economic_development"),
            at("2022-05-05T11:00:00+08:00"),
            at("2022-05-05T11:00:00+08:00"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ProblemError::Handling(handling::HandlingError::NotLeadDepartment { .. })), "{e:?}");
    assert!(matches!(s.get_problem(id + 100).await, Err(ProblemError::NotFound { .. })));
    let e = s
        .create_problem(
            problem(9, "tax", "2022-05-05T10:00:00+08:00"),
            &ent(9),
            at("2022-05-05T10:00:00+08:00"),
            routing(),
            TimeLimits::defaults(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ProblemError::Store(store::StoreError::EnterpriseNotFound { .. })), "{e:?}");
    let r = s.get_problem(id).await.unwrap();
    assert_eq!(r.events.len(), 1, "refused actions leave no event");
    let audit = s.audit_verify().await.unwrap();
    assert_eq!((audit.events, audit.broken), (1, None), "and no hole in the chain");
}

async fn lists_filter_by_state_department_light_and_date(s: &dyn Store) {
    enterprises(s, 3).await;
    let a = add(s, 1, "tax", "2022-05-05T10:00:00+08:00").await; // tax_bureau leads, 7 days
    let b = add(s, 2, "policy_questions", "2022-05-05T10:00:00+08:00").await; // economic_development, 3 days
    let c = add(s, 3, "policy_questions", "2022-06-01T10:00:00+08:00").await;
    act(s, a, Command::new(Action::Accept), &dept("tax_bureau"), "2022-05-05T11:00:00+08:00").await;
    let ids = |rows: Vec<store::problems::ProblemRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all = |f: ProblemFilter| async move { s.list_problems(&f, Page::default()).await.unwrap() };
    assert_eq!(ids(all(ProblemFilter::default()).await.0), [a, b, c]);
    assert_eq!(ids(all(ProblemFilter { state: Some(State::Accepted), ..Default::default() }).await.0), [a]);
    assert_eq!(
        ids(all(ProblemFilter { department: Some("tax_bureau".into()), ..Default::default() }).await.0),
        [a, b, c],
        "the tax bureau cooperates on policy questions"
    );
    assert_eq!(
        ids(all(ProblemFilter { department: Some("finance".into()), ..Default::default() }).await.0),
        Vec::<i64>::new()
    );
    assert_eq!(ids(all(ProblemFilter { enterprise: Some(code(2)), ..Default::default() }).await.0), [b]);
    let may = (NaiveDate::from_ymd_opt(2022, 5, 1).unwrap(), NaiveDate::from_ymd_opt(2022, 5, 31).unwrap());
    let (rows, total) = all(ProblemFilter { received: Some(may), ..Default::default() }).await;
    assert_eq!((ids(rows), total), (vec![a, b], 2));
    // On 2022-05-10 (answer due 05-09 for b): b red; a (due 05-16, yellow from 05-13) none.
    let now = at("2022-05-10T09:00:00+08:00");
    assert_eq!(
        ids(all(ProblemFilter { light: Some((LightFilter::Red, now)), ..Default::default() }).await.0),
        [b]
    );
    let now = at("2022-05-13T00:00:00+08:00");
    assert_eq!(
        ids(all(ProblemFilter { light: Some((LightFilter::Yellow, now)), ..Default::default() }).await.0),
        [a]
    );
    assert_eq!(
        ids(all(ProblemFilter { light: Some((LightFilter::Warned, now)), ..Default::default() }).await.0),
        [a, b]
    );
    let rows = all(ProblemFilter::default()).await.0;
    for r in &rows {
        let st = s.get_problem(r.id).await.unwrap().state;
        for t in [
            "2022-05-06T23:59:59+08:00",
            "2022-05-12T23:59:59+08:00",
            "2022-05-13T00:00:00+08:00",
            "2022-06-09T12:00:00+08:00",
        ] {
            assert_eq!(r.warning(at(t)), handling::warning(&st, at(t)), "problem {} at {t}", r.id);
        }
    }
    let (page, total) = s.list_problems(&ProblemFilter::default(), Page::new(1, 1)).await.unwrap();
    assert_eq!((ids(page), total), (vec![b], 3));
    let _ = Warning::None;
}

async fn lists_find_words_keep_open_apart_follow_cadres_and_sort_the_queue(s: &dyn Store) {
    enterprises(s, 3).await;
    let at0 = "2022-05-05T10:00:00+08:00";
    let a = add(s, 1, "tax", at0).await; // 7 working days
    let b = add(s, 2, "policy_questions", at0).await; // 3 working days
    let mut secret = problem(3, "policy_questions", at0);
    secret.title = "房租秘密".into();
    secret.description = "详见面谈".into();
    secret.confidential = true;
    let c = s.create_problem(secret, &ent(3), at(at0), routing(), TimeLimits::defaults()).await.unwrap().id;
    act(s, a, note(Action::Withdraw, "已自行解决"), &ent(1), "2022-05-05T11:00:00+08:00").await;
    let ids = |rows: Vec<store::problems::ProblemRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let list = |f: ProblemFilter| async move { ids(s.list_problems(&f, Page::default()).await.unwrap().0) };
    // Open is every state but closed and withdrawn.
    assert_eq!(list(ProblemFilter { open: Some(true), ..Default::default() }).await, [b, c]);
    assert_eq!(list(ProblemFilter { open: Some(false), ..Default::default() }).await, [a]);
    // Keywords: every word in the title or description, ASCII case aside; confidential problems
    // only when the reader may see their text.
    let words = |w: &[&str], in_confidential| ProblemFilter {
        text: Some(TextFilter {
            words: w.iter().map(|x| x.to_string()).collect(),
            in_confidential,
            found: Vec::new(),
        }),
        ..Default::default()
    };
    // What the search index found matches too, under the same confidentiality rule.
    let found = |w: &str, found: Vec<i64>, in_confidential| ProblemFilter {
        text: Some(TextFilter { words: vec![w.to_string()], in_confidential, found }),
        ..Default::default()
    };
    assert_eq!(list(found("不在文中", vec![b, c], true)).await, [b, c]);
    assert_eq!(list(found("不在文中", vec![b, c], false)).await, [b], "a confidential problem stays out");
    assert_eq!(list(found("不在文中", Vec::new(), true)).await, Vec::<i64>::new());
    assert_eq!(list(words(&["房租"], true)).await, [a, b, c]);
    assert_eq!(list(words(&["房租"], false)).await, [a, b]);
    assert_eq!(list(words(&["房租", "2022"], true)).await, [a, b], "the secret's description has no 2022");
    assert_eq!(list(words(&["100%"], true)).await, Vec::<i64>::new(), "% is not a wildcard");
    // A cadre's problems: those of the enterprises linked to them.
    s.create_user(&store::NewUser {
        username: "ganbu".into(),
        role: store::Role::Cadre,
        password_hash: "x".into(),
        enterprise: None,
        department: None,
        display_name: String::new(),
        at: at(at0),
    })
    .await
    .unwrap();
    let links = enterprise::ThreeLinks { cadre: Some("ganbu".into()), ..Default::default() };
    s.set_three_links(&code(2), &links, &Stamp::new("admin", at(at0))).await.unwrap();
    assert_eq!(list(ProblemFilter { cadre: Some("ganbu".into()), ..Default::default() }).await, [b]);
    let linked = s.cadre_enterprises(Some("ganbu")).await.unwrap();
    assert_eq!(linked.iter().map(|l| l.uscc.clone()).collect::<Vec<_>>(), [code(2)]);
    assert_eq!(s.cadre_enterprises(None).await.unwrap(), linked);
    assert!(s.cadre_enterprises(Some("nobody")).await.unwrap().is_empty());
    // The queue: open before closed, lit before unlit (red, then yellow), urgent first, then
    // the answer deadline, then the number. b and c are due 05-09; d, urgent, is received on
    // 05-10 at 08:00 (accept within two hours).
    let mut urgent = problem(1, "tax", "2022-05-10T08:00:00+08:00");
    urgent.urgency = Urgency::Urgent;
    let d = s
        .create_problem(urgent, &ent(1), at("2022-05-10T08:00:00+08:00"), routing(), TimeLimits::defaults())
        .await
        .unwrap()
        .id;
    let queue = |t: &str| ProblemFilter { order: ProblemOrder::Queue(at(t)), ..Default::default() };
    assert_eq!(list(queue("2022-05-05T12:00:00+08:00")).await, [d, b, c, a], "unlit: urgent first");
    assert_eq!(list(queue("2022-05-10T09:00:00+08:00")).await, [b, c, d, a], "red before unlit");
    assert_eq!(list(queue("2022-05-10T11:00:00+08:00")).await, [d, b, c, a], "all red: urgent first");
}

async fn period_logs_hold_what_the_kpis_need(s: &dyn Store) {
    enterprises(s, 3).await;
    let old = add(s, 1, "tax", "2022-03-01T10:00:00+08:00").await;
    let t = dept("tax_bureau");
    act(s, old, note(Action::Withdraw, "已自行解决"), &ent(1), "2022-03-02T10:00:00+08:00").await;
    let open_old = add(s, 2, "tax", "2022-03-03T10:00:00+08:00").await;
    let may = add(s, 3, "tax", "2022-05-06T10:00:00+08:00").await;
    act(s, may, Command::new(Action::Accept), &t, "2022-05-06T11:00:00+08:00").await;
    let range = (NaiveDate::from_ymd_opt(2022, 5, 1).unwrap(), NaiveDate::from_ymd_opt(2022, 5, 31).unwrap());
    let logs = s.all_event_logs_for_period(Some(range)).await.unwrap();
    let ids: Vec<i64> = logs.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [open_old, may], "the withdrawn March problem is not needed for May");
    assert_eq!(logs[1].1.len(), 2);
    let every = s.all_event_logs_for_period(None).await.unwrap();
    assert_eq!(every.len(), 3);
    // The KPIs over the needed logs equal those over every log.
    let cal = calendar::WorkCalendar::official();
    let period = kpi_period();
    let as_of = at("2022-06-01T00:00:00+08:00");
    let strip = |l: Vec<(i64, Vec<handling::Event>)>| {
        l.into_iter().map(|(i, e)| (i.to_string(), e)).collect::<Vec<_>>()
    };
    let a = kpi::compute_from_logs(&strip(logs), cal, &period, as_of).unwrap();
    let b = kpi::compute_from_logs(&strip(every), cal, &period, as_of).unwrap();
    assert_eq!(a, b);
}

fn kpi_period() -> kpi::Period {
    kpi::Period::parse("2022-05").unwrap()
}

async fn visits_are_recorded_and_raise_problems(s: &dyn Store) {
    enterprises(s, 2).await;
    let v = Visit {
        enterprise: code(2),
        date: NaiveDate::from_ymd_opt(2022, 5, 9).unwrap(),
        cadre: "cadre01".into(),
        findings: "用电紧张，物流受阻".into(),
    };
    let id = s.add_visit(&v, &Stamp::new("cadre01", at("2022-05-09T17:00:00+08:00"))).await.unwrap();
    let listed =
        s.list_visits(&VisitFilter { cadre: Some("cadre01".into()), enterprise: None }).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].id, &listed[0].visit), (id, &v));
    assert!(s.list_visits(&VisitFilter { cadre: None, enterprise: Some(code(1)) }).await.unwrap().is_empty());
    let mut p = problem(2, "logistics", "2022-05-09T16:00:00+08:00");
    p.channel = Channel::Visit;
    p.visit = Some(id.to_string());
    let cadre = person("cadre01", HRole::Cadre);
    let r = s
        .create_problem(p.clone(), &cadre, at("2022-05-09T17:00:00+08:00"), routing(), TimeLimits::defaults())
        .await
        .unwrap();
    assert_eq!(r.row.projection.visit_id, Some(id));
    assert_eq!(r.row.projection.channel, "visit");
    p.visit = Some((id + 5).to_string());
    let e = s
        .create_problem(p, &cadre, at("2022-05-09T17:00:00+08:00"), routing(), TimeLimits::defaults())
        .await
        .unwrap_err();
    assert!(matches!(e, ProblemError::VisitNotFound { .. }), "{e:?}");
}

/// A small deterministic generator (no external crate): xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn command_for(kind: ActionKind, st: &handling::ProblemState, rng: &mut Rng) -> Command {
    let other = if st.lead == "tax_bureau" { "economic_development" } else { "tax_bureau" };
    let a = match kind {
        ActionKind::Accept => Action::Accept,
        ActionKind::Assign => Action::Assign {
            lead: st.lead.clone(),
            cooperating: st.cooperating.iter().take(1).cloned().collect(),
            handler: None,
        },
        ActionKind::Object => Action::Object,
        ActionKind::DecideObjection => Action::DecideObjection {
            upheld: rng.below(2) == 0,
            lead: Some(other.into()),
            cooperating: Some(vec![]),
        },
        ActionKind::Return => Action::Return,
        ActionKind::Start => Action::Start,
        ActionKind::RequestInfo => Action::RequestInfo,
        ActionKind::SupplyInfo => Action::SupplyInfo,
        ActionKind::Report => Action::Report,
        ActionKind::RequestExtension => Action::RequestExtension { workdays: 3 },
        ActionKind::ApproveExtension => Action::ApproveExtension,
        ActionKind::RejectExtension => Action::RejectExtension,
        ActionKind::Escalate => Action::Escalate,
        ActionKind::OpenConsultation => Action::OpenConsultation { participants: vec![st.lead.clone()] },
        ActionKind::CloseConsultation => Action::CloseConsultation {
            minutes: "会商纪要".into(),
            decisions: vec![],
            actions: vec![handling::DecisionAction {
                text: "限期办结".into(),
                owner: st.lead.clone(),
                due: chrono::NaiveDate::from_ymd_opt(2022, 6, 30).unwrap(),
            }],
        },
        ActionKind::Answer => Action::Answer {
            outcome: match rng.below(3) {
                0 => Outcome::Resolved,
                1 => Outcome::Explained { reason: ExplainReason::NotEligible },
                _ => Outcome::Referred { to: "省税务局".into() },
            },
        },
        ActionKind::Confirm => Action::Confirm {
            rating: [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Dissatisfied][rng.below(3)],
            solved: [None, Some(true), Some(false)][rng.below(3)],
        },
        ActionKind::EscalateCase => Action::EscalateCase { reply_workdays: 2 },
        ActionKind::ReplyEscalation => Action::ReplyEscalation,
        ActionKind::CompleteDecision => Action::CompleteDecision { decision: 1 },
        ActionKind::SpotCheck => Action::SpotCheck { solved: rng.below(2) == 0 },
        ActionKind::Reopen => Action::Reopen,
        ActionKind::Review => Action::Review {
            decision: if rng.below(2) == 0 { ReviewDecision::Close } else { ReviewDecision::Redo },
        },
        ActionKind::Close => Action::Close,
        ActionKind::AutoCloseUnrated => Action::AutoCloseUnrated,
        ActionKind::Withdraw | ActionKind::Submit | ActionKind::Attach | ActionKind::RecomputeDeadlines => {
            Action::Withdraw
        }
    };
    Command::with_note(a, "随机步骤")
}

fn actor_for(kind: ActionKind, st: &handling::ProblemState, n: u32) -> HActor {
    let roles = kind.roles();
    if kind == ActionKind::Report {
        return dept(st.cooperating.first().map_or("finance", String::as_str));
    }
    match roles.first() {
        Some(HRole::Department) => dept(&st.lead),
        Some(HRole::Enterprise) => ent(n),
        Some(HRole::System) => person("system", HRole::System),
        Some(r) => person(r.as_str(), *r),
        None => person("admin", HRole::Admin),
    }
}

async fn random_walks_keep_the_projection_equal_to_the_replay(s: &dyn Store) {
    enterprises(s, 4).await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let categories = ["tax", "policy_questions", "logistics", "financing", "upgrading"];
    let mut applied = 0;
    for p in 0..12u32 {
        let n = p % 4 + 1;
        let mut now = at("2022-04-25T09:00:00+08:00") + Duration::hours(i64::from(p) * 7);
        let mut pr = problem(n, categories[p as usize % categories.len()], &now.to_rfc3339());
        pr.urgency = if p % 3 == 0 { Urgency::Urgent } else { Urgency::Normal };
        let rec = s.create_problem(pr, &ent(n), now, routing(), TimeLimits::defaults()).await.unwrap();
        assert_eq!(
            rec.row,
            s.get_problem(rec.id).await.unwrap().row,
            "the row returned on create is the row stored"
        );
        let mut mem = rec.state.clone();
        for _ in 0..14 {
            let allowed = mem.allowed_actions(None);
            if allowed.is_empty() {
                break;
            }
            let kind = allowed[rng.below(allowed.len())];
            now += Duration::hours(1 + rng.below(30) as i64);
            let cmd = command_for(kind, &mem, &mut rng);
            let actor = actor_for(kind, &mem, n);
            let expected = handling::apply(&mem, &cmd, &actor, now, calendar::WorkCalendar::official());
            let got = s.record_transition(rec.id, &cmd, &actor, now, now).await;
            match (expected, got) {
                (Ok(t), Ok(r)) => {
                    assert_eq!(r.state, t.state, "the store applies what the machine applies");
                    mem = t.state;
                    applied += 1;
                }
                (Err(e), Err(ProblemError::Handling(g))) => assert_eq!(e, g),
                (e, g) => panic!("store and machine disagree: {e:?} vs {:?}", g.map(|r| r.state.state)),
            }
        }
        check_consistent(s, rec.id).await;
    }
    assert!(applied > 30, "the walks went somewhere: {applied}");
    let audit = s.audit_verify().await.unwrap();
    assert_eq!(audit.broken, None);
    assert_eq!(audit.events as usize, applied + 12);
}

// ---------------------------------------------------------------------------------------
// Attachments, and the atomic version check of `record_transition_expecting`

fn taxed(n: u32) -> Problem {
    Problem {
        enterprise: code(n),
        channel: Channel::SelfService,
        category: "tax".into(),
        title: "发票额度不足".into(),
        description: "附租赁合同与发票截图".into(),
        attachments: vec![],
        urgency: Urgency::Normal,
        confidential: false,
        received_at: at("2022-05-05T09:00:00+08:00"),
        visit: None,
    }
}

fn pdf(name: &str) -> CheckedFile {
    check_file(name, format!("%PDF-1.7\n% {name}\n").into_bytes()).unwrap()
}

fn png(name: &str) -> CheckedFile {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(name.as_bytes());
    check_file(name, b).unwrap()
}

async fn create_with(
    s: &dyn Store,
    n: u32,
    files: Vec<CheckedFile>,
) -> Result<store::problems::ProblemRecord, ProblemError> {
    s.create_problem_with_attachments(
        taxed(n),
        &ent(n),
        at("2022-05-05T09:00:00+08:00"),
        Routing::seed(),
        TimeLimits::defaults(),
        files,
    )
    .await
}

async fn files_are_stored_with_the_event_that_names_them(s: &dyn Store) {
    enterprises(s, 1).await;
    let (a, b) = (pdf("租赁合同.pdf"), png("发票截图.png"));
    let rec = create_with(s, 1, vec![a.clone(), b.clone()]).await.unwrap();
    // The submit event names both files by SHA-256, so the chain covers them.
    assert_eq!(
        rec.state.problem.attachments,
        vec![reference(&a.sha256, &a.file_name), reference(&b.sha256, &b.file_name)]
    );
    let list = s.attachments(rec.id).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].file_name.as_str(), list[0].content_type.as_str(), list[0].event_seq),
        ("租赁合同.pdf", "application/pdf", 1)
    );
    assert_eq!((list[1].content_type.as_str(), list[1].uploaded_by.as_str()), ("image/png", "qiye1"));
    let (meta, bytes) = s.attachment_content(rec.id, list[1].id).await.unwrap();
    assert_eq!((meta, bytes), (list[1].clone(), b.content.clone()));
    // Added later by the lead department: an attach event, the state unchanged.
    let c = check_file("核查说明.txt", "经核查，情况属实。".as_bytes().to_vec()).unwrap();
    let (after, att) = s
        .add_attachment(rec.id, c.clone(), &dept("tax_bureau"), at("2022-05-05T10:00:00+08:00"))
        .await
        .unwrap();
    assert_eq!((after.state.seq, after.state.state), (2, rec.state.state));
    assert_eq!(after.events[1].event.kind(), ActionKind::Attach);
    assert_eq!(
        (att.event_seq, att.size, att.content_type.as_str()),
        (2, c.size(), "text/plain; charset=utf-8")
    );
    let stored = s.get_problem(rec.id).await.unwrap();
    assert_eq!(stored.row.projection, Projection::of(&stored.state).unwrap());
    assert_eq!(s.attachments(rec.id).await.unwrap().len(), 3);
    let report = s.audit_verify().await.unwrap();
    assert!(report.broken.is_none(), "{report:?}");
    assert!(s.verify_attachments().await.unwrap().is_empty());
}

async fn a_refused_file_or_problem_stores_nothing(s: &dyn Store) {
    enterprises(s, 2).await;
    // Eleven files with a new problem: neither the problem nor any file is written.
    let eleven: Vec<CheckedFile> = (0..=MAX_FILES_PER_PROBLEM).map(|i| pdf(&format!("f{i}.pdf"))).collect();
    let e = create_with(s, 1, eleven).await.unwrap_err();
    assert!(matches!(e, ProblemError::Attachment(AttachmentError::TooMany { .. })), "{e:?}");
    let (_, total) = s.list_problems(&ProblemFilter::default(), Page::new(0, 10)).await.unwrap();
    assert_eq!(total, 0);
    // A problem of an unknown enterprise with files: nothing either.
    assert!(create_with(s, 9, vec![pdf("a.pdf")]).await.is_err());
    let (_, total) = s.list_problems(&ProblemFilter::default(), Page::new(0, 10)).await.unwrap();
    assert_eq!(total, 0);

    let rec = create_with(s, 1, vec![pdf("a.pdf")]).await.unwrap();
    let now = at("2022-05-05T10:00:00+08:00");
    // Another enterprise, a department not on the problem: refused, nothing stored.
    let e = s.add_attachment(rec.id, pdf("b.pdf"), &ent(2), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Handling(HandlingError::NotYourEnterprise { .. })), "{e:?}");
    let e = s.add_attachment(rec.id, pdf("b.pdf"), &dept("market_regulation"), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Handling(HandlingError::NotCooperating { .. })), "{e:?}");
    assert_eq!(s.attachments(rec.id).await.unwrap().len(), 1);
    assert_eq!(s.get_problem(rec.id).await.unwrap().state.seq, 1);
    // Up to ten files a problem.
    for i in 1..MAX_FILES_PER_PROBLEM {
        s.add_attachment(rec.id, png(&format!("p{i}.png")), &ent(1), now).await.unwrap();
    }
    let e = s.add_attachment(rec.id, png("eleventh.png"), &ent(1), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Attachment(AttachmentError::TooMany { .. })), "{e:?}");
    assert_eq!(s.attachments(rec.id).await.unwrap().len(), MAX_FILES_PER_PROBLEM);
    // Not once withdrawn; unknown problems and attachments are told apart.
    let other = create_with(s, 1, vec![]).await.unwrap();
    s.record_transition(other.id, &Command::with_note(Action::Withdraw, "已解决"), &ent(1), now, now)
        .await
        .unwrap();
    let e = s.add_attachment(other.id, pdf("late.pdf"), &ent(1), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Handling(HandlingError::Illegal { .. })), "{e:?}");
    assert!(s.attachments(other.id).await.unwrap().is_empty());
    assert!(matches!(s.attachments(999).await, Err(ProblemError::NotFound { id: 999 })));
    assert!(matches!(
        s.attachment_content(rec.id, 999).await,
        Err(ProblemError::Attachment(AttachmentError::NotFound { .. }))
    ));
    let first = s.attachments(rec.id).await.unwrap()[0].id;
    assert!(
        s.attachment_content(other.id, first).await.is_err(),
        "an attachment is read through its own problem"
    );
    assert!(s.audit_verify().await.unwrap().broken.is_none());
}

async fn several_files_after_raising_land_together_or_not_at_all(s: &dyn Store) {
    enterprises(s, 2).await;
    let rec = create_with(s, 1, (0..7).map(|i| pdf(&format!("f{i}.pdf"))).collect()).await.unwrap();
    let now = at("2022-05-05T10:00:00+08:00");
    // Two files: two attach events, each file against its own, in one write.
    let (after, files) =
        s.add_attachments(rec.id, vec![png("a.png"), png("b.png")], &ent(1), now).await.unwrap();
    assert_eq!(after.state.seq, 3);
    assert_eq!(files.iter().map(|a| a.event_seq).collect::<Vec<_>>(), vec![2, 3]);
    // Three more would make eleven: none of them is stored, no event either.
    let e = s
        .add_attachments(rec.id, vec![png("c.png"), png("d.png"), png("e.png")], &ent(1), now)
        .await
        .unwrap_err();
    assert!(matches!(e, ProblemError::Attachment(AttachmentError::TooMany { .. })), "{e:?}");
    // Refused by the domain (another enterprise): nothing.
    let e = s.add_attachments(rec.id, vec![png("c.png")], &ent(2), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Handling(HandlingError::NotYourEnterprise { .. })), "{e:?}");
    assert_eq!(s.attachments(rec.id).await.unwrap().len(), 9);
    assert_eq!(s.get_problem(rec.id).await.unwrap().state.seq, 3);
    assert!(s.audit_verify().await.unwrap().broken.is_none());
    assert!(s.verify_attachments().await.unwrap().is_empty());
}

async fn a_stale_version_is_refused_inside_the_write(s: &dyn Store) {
    enterprises(s, 1).await;
    let rec = create_with(s, 1, vec![]).await.unwrap();
    let tax = dept("tax_bureau");
    let now = at("2022-05-05T10:00:00+08:00");
    let accept = Command::new(Action::Accept);
    let e = s.record_transition_expecting(rec.id, &accept, &tax, now, now, 7).await.unwrap_err();
    assert_eq!(e, ProblemError::Stale { id: rec.id, expected: 7, current: 1 });
    assert_eq!(s.get_problem(rec.id).await.unwrap().state.seq, 1, "nothing written");
    // Two writers that both read version 1 race: exactly one wins, the other is told so.
    let note = Command::with_note(Action::Withdraw, "已自行解决");
    let me = ent(1);
    let (x, y) = tokio::join!(
        s.record_transition_expecting(rec.id, &accept, &tax, now, now, 1),
        s.record_transition_expecting(rec.id, &note, &me, now, now, 1),
    );
    let stale = |r: &Result<store::problems::ProblemRecord, ProblemError>| {
        matches!(r, Err(ProblemError::Stale { expected: 1, current: 2, .. }))
    };
    assert!(x.is_ok() != y.is_ok(), "{x:?} {y:?}");
    assert!(stale(&x) || stale(&y), "{x:?} {y:?}");
    let after = s.get_problem(rec.id).await.unwrap();
    assert_eq!(after.state.seq, 2);
    assert!(s.audit_verify().await.unwrap().broken.is_none());
}

/// Issue 11 §5: a loaded year is kept (append-only, newest in force), the calendars follow it
/// at once, a recompute event moves a running deadline and replays, and the lead department's
/// notices list it.
async fn calendar_years_are_kept_and_move_deadlines_by_an_event(s: &dyn Store) {
    use calendar::{CalendarAt, YearArrangement, YearStatus};
    enterprises(s, 1).await;
    assert!(s.calendar_years().await.unwrap().is_empty());
    let before = s.calendars().await.unwrap();
    assert_eq!(before.current().year_info(2027).unwrap().status, YearStatus::Provisional);
    // Received under the provisional 2027: 7 working days to answer end on 12 February.
    let id = add(s, 1, "tax", "2027-01-28T10:00:00+08:00").await;
    let rec = s.get_problem(id).await.unwrap();
    assert_eq!(rec.row.projection.answer_by, "2027-02-12");
    // A notice: 春节 5–13 February off, Sunday 14 February worked.
    let mut a = YearArrangement::provisional(2027).unwrap();
    a.status = YearStatus::Official;
    a.notice = "测试用示例".into();
    a.days.retain(|d| d.date.format("%m").to_string() != "02");
    for day in 5..=13 {
        a.days.push(calendar::ArrangedDay {
            date: NaiveDate::from_ymd_opt(2027, 2, day).unwrap(),
            kind: calendar::ArrangedKind::Holiday,
            festival: "春节".into(),
        });
    }
    a.days.push(calendar::ArrangedDay {
        date: NaiveDate::from_ymd_opt(2027, 2, 14).unwrap(),
        kind: calendar::ArrangedKind::Workday,
        festival: "春节".into(),
    });
    a.days.sort_by_key(|d| d.date);
    let loaded_at = at("2027-01-29T09:00:00+08:00");
    let row = s.load_calendar_year(&a, &Stamp::new("admin", loaded_at)).await.unwrap();
    assert_eq!((row.year, row.notice.as_str(), row.loaded_by.as_str()), (2027, "测试用示例", "admin"));
    let rows = s.calendar_years().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].loaded().unwrap().arrangement, a, "the text reads back to the same year");
    let cals = s.calendars().await.unwrap();
    assert_eq!(cals.current().year_info(2027).unwrap().status, YearStatus::Official);
    assert_eq!(cals.current_from(), Some(loaded_at + Duration::seconds(1)));
    assert_eq!(cals.calendar_at(loaded_at).year_info(2027).unwrap().status, YearStatus::Provisional);
    // The stored problem still replays as it was recorded; the recompute moves it.
    assert_eq!(s.get_problem(id).await.unwrap().state, rec.state);
    let cmd =
        Command::new(Action::RecomputeDeadlines {
            year: 2027, notice: "测试用示例".into(), changes: vec![]
        });
    let when = "2027-01-29T09:00:01+08:00";
    let moved = act(s, id, cmd.clone(), &person("system", HRole::System), when).await;
    assert_eq!(moved.row.projection.answer_by, "2027-02-15");
    check_consistent(s, id).await;
    let e = s
        .record_transition(id, &cmd, &person("system", HRole::System), at(when), at(when))
        .await
        .unwrap_err();
    assert_eq!(e, ProblemError::Handling(HandlingError::NothingToRecompute));
    let notes = s.deadline_notices(Some("tax_bureau"), 10).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].problem_id, notes[0].year, notes[0].changes.len()), (id, 2027, 1));
    assert!(s.deadline_notices(Some("finance"), 10).await.unwrap().is_empty());
    assert_eq!(s.deadline_notices(None, 10).await.unwrap().len(), 1);
    // A second load of the year is a new row; the newest is in force.
    s.load_calendar_year(&a, &Stamp::new("admin2", at("2027-01-30T09:00:00+08:00"))).await.unwrap();
    let cals = s.calendars().await.unwrap();
    assert_eq!((cals.loads().len(), cals.latest_loads()[0].loaded_by.as_str()), (2, "admin2"));
    assert!(s.audit_verify().await.unwrap().broken.is_none());
}

/// Issue 11 §6: 督办 cases and decisions are rewritten with each event and listed by owner,
/// open first, with their lights.
async fn follow_ups_are_listed_by_owner_with_their_lights(s: &dyn Store) {
    use store::follow_ups::{FollowUpFilter, FollowUpKind};
    enterprises(s, 1).await;
    let id = add(s, 1, "tax", "2022-05-05T09:00:00+08:00").await;
    let tax = dept("tax_bureau");
    let leader = person("leader", HRole::Leader);
    act(s, id, Command::new(Action::Accept), &tax, "2022-05-05T09:10:00+08:00").await;
    act(
        s,
        id,
        note(Action::EscalateCase { reply_workdays: 2 }, "请回复"),
        &leader,
        "2022-05-05T09:20:00+08:00",
    )
    .await;
    act(
        s,
        id,
        note(Action::OpenConsultation { participants: vec!["finance".into()] }, "会商"),
        &leader,
        "2022-05-05T09:30:00+08:00",
    )
    .await;
    let decision = |text: &str, owner: &str, due: &str| handling::DecisionAction {
        text: text.into(),
        owner: owner.into(),
        due: due.parse().unwrap(),
    };
    act(
        s,
        id,
        Command::new(Action::CloseConsultation {
            minutes: "纪要".into(),
            decisions: vec![],
            actions: vec![
                decision("拨付", "finance", "2022-05-13"),
                decision("回访", "tax_bureau", "2022-05-20"),
            ],
        }),
        &leader,
        "2022-05-05T10:00:00+08:00",
    )
    .await;
    let all = s.follow_ups(&FollowUpFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    let mine = s
        .follow_ups(&FollowUpFilter {
            owner: Some("tax_bureau".into()),
            open: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|f| (f.kind, f.no)).collect::<Vec<_>>(),
        [(FollowUpKind::Escalation, 1), (FollowUpKind::Decision, 2)]
    );
    let esc = &mine[0];
    assert_eq!(esc.due.to_string(), "2022-05-07", "Thursday + 2 working days: the make-up Saturday");
    assert_eq!(esc.warning(at("2022-05-08T09:00:00+08:00")), Warning::Red);
    // Done: finance completes its decision; the lead replies to the escalation.
    act(
        s,
        id,
        note(Action::CompleteDecision { decision: 1 }, "已拨付"),
        &dept("finance"),
        "2022-05-06T09:00:00+08:00",
    )
    .await;
    act(s, id, note(Action::ReplyEscalation, "已回复"), &tax, "2022-05-06T10:00:00+08:00").await;
    let open = s.follow_ups(&FollowUpFilter { open: Some(true), ..Default::default() }).await.unwrap();
    assert_eq!(open.iter().map(|f| (f.kind, f.no)).collect::<Vec<_>>(), [(FollowUpKind::Decision, 2)]);
    let done = s
        .follow_ups(&FollowUpFilter { open: Some(false), problem_id: Some(id), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(done.len(), 2);
    assert!(done.iter().all(|f| f.on_time() == Some(true)));
    // Withdrawn: nothing is owed any more.
    act(s, id, note(Action::Withdraw, "已自行解决"), &ent(1), "2022-05-06T11:00:00+08:00").await;
    assert!(
        s.follow_ups(&FollowUpFilter { open: Some(true), ..Default::default() }).await.unwrap().is_empty()
    );
    check_consistent(s, id).await;
}
