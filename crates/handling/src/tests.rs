use super::*;

#[test]
fn the_catalog_parses_and_every_error_renders_in_both_languages() {
    assert!(Catalog::parse(include_str!("../messages.toml")).is_ok());
    let samples = vec![
        HandlingError::Illegal {
            state: State::Closed,
            action: ActionKind::Answer,
            allowed: vec![ActionKind::Reopen],
        },
        HandlingError::Illegal { state: State::Withdrawn, action: ActionKind::Answer, allowed: vec![] },
        HandlingError::RoleNotAllowed { role: Role::Enterprise, action: ActionKind::Accept },
        HandlingError::NotLeadDepartment { department: "a".into(), lead: "b".into() },
        HandlingError::NotCooperating { department: "a".into() },
        HandlingError::NotYourEnterprise { actor: "u".into() },
        HandlingError::FirstReceiverOwns { department: "a".into() },
        HandlingError::Locked { department: "a".into() },
        HandlingError::ObjectionWindowClosed { last_day: "2022-05-06".into() },
        HandlingError::SameLead { department: "a".into() },
        HandlingError::LeadAlsoCooperating { department: "a".into() },
        HandlingError::AlreadyOverdue { due: "2022-05-06".into() },
        HandlingError::ExtensionPending,
        HandlingError::NoExtensionPending,
        HandlingError::ExtensionLimit { max: 1 },
        HandlingError::ConsultationOpen,
        HandlingError::NoConsultationOpen,
        HandlingError::NotYetUnconfirmed { confirm_by: "2022-05-06".into() },
        HandlingError::NoteRequired { action: ActionKind::Object },
        HandlingError::BeforeLastEvent { at: "x".into(), last: "y".into() },
        HandlingError::InFuture { at: "x".into() },
        HandlingError::BadTitle { chars: 0, max: 200 },
        HandlingError::UnknownCategory { category: "x".into() },
        HandlingError::UnknownDepartment { department: "x".into() },
        HandlingError::BadValue { field: "f", value: "v".into(), expected: "e" },
        HandlingError::BadLimits { reason: "r".into() },
        HandlingError::BadLog { seq: 3, reason: "r".into() },
        HandlingError::Calendar(calendar::CalendarError::BadCount { n: 0 }),
    ];
    for lang in [Lang::Zh, Lang::En] {
        let msgs: Vec<Message> = samples.iter().map(|e| e.message_in(lang)).collect();
        let problems = catalog().check_complete(&msgs);
        assert!(problems.is_empty(), "{problems:?}");
        for e in &samples {
            let out = e.render(lang);
            assert!(!out.contains("handling."), "a name did not render: {out}");
        }
    }
}

#[test]
fn every_state_action_and_role_has_a_name_in_both_languages() {
    for lang in [Lang::Zh, Lang::En] {
        for s in ALL_STATES {
            assert!(!state_name(s, lang).starts_with("handling."), "{s:?}");
        }
        for a in ALL_ACTIONS.into_iter().chain([ActionKind::Attach]) {
            assert!(!action_name(a, lang).starts_with("handling."), "{a:?}");
        }
        for r in [
            Role::Enterprise,
            Role::Cadre,
            Role::Department,
            Role::Leader,
            Role::Supervisor,
            Role::Policy,
            Role::Admin,
            Role::System,
        ] {
            assert!(!role_name(r, lang).starts_with("handling."), "{r:?}");
        }
    }
}

#[test]
fn a_closed_problem_cannot_be_answered_and_the_message_says_reopen() {
    let e = HandlingError::Illegal {
        state: State::Closed,
        action: ActionKind::Answer,
        allowed: vec![ActionKind::Reopen],
    };
    assert_eq!(e.render(Lang::Zh), "处于“已销号”状态的问题不能执行“答复”；当前可执行：重新打开");
    assert_eq!(
        e.render(Lang::En),
        "a problem that is closed cannot be given the action “answer”; allowed now: reopen"
    );
}

#[test]
fn routing_proposes_the_first_named_department_as_lead() {
    let r = enterprise::Routing::seed();
    let (lead, coop) = propose_routing("物流", r).unwrap();
    assert_eq!(lead, "urban_management_environment");
    assert_eq!(coop.len(), 4);
    assert_eq!(propose_routing("tax", r).unwrap(), ("tax_bureau".to_string(), vec![]));
    assert!(matches!(propose_routing("nope", r), Err(HandlingError::UnknownCategory { .. })));
}

#[test]
fn the_default_limits_parse_and_name_known_categories() {
    let t = TimeLimits::defaults();
    assert!(t.unknown_categories(enterprise::Routing::seed()).is_empty());
    assert_eq!(t.applied("policy_questions", Urgency::Normal).answer, Limit::Workdays(3));
    assert_eq!(t.applied("tax", Urgency::Normal).answer, Limit::Workdays(7));
    assert_eq!(t.applied("credit_repair", Urgency::Normal).answer, Limit::Workdays(15));
    assert_eq!(t.applied("logistics", Urgency::Urgent).answer, Limit::Workdays(1));
    assert_eq!(t.applied("utilities", Urgency::Urgent).answer, Limit::Workdays(1));
    assert_eq!(t.applied("tax", Urgency::Urgent).accept, Limit::Hours(2));
    assert_eq!(t.applied("tax", Urgency::Normal).accept, Limit::Workdays(1));
}

#[test]
fn bad_limits_are_rejected_with_the_reason() {
    let base = include_str!("../data/time_limits.toml");
    let zero = base.replace(
        "policy_questions]\nnormal = { workdays = 3 }",
        "policy_questions]\nnormal = { workdays = 0 }",
    );
    assert!(
        matches!(TimeLimits::parse(&zero), Err(HandlingError::BadLimits { reason }) if reason.contains("answer.policy_questions.normal"))
    );
    let no_default = base.replace("[answer.default]", "[answer.other]");
    assert!(TimeLimits::parse(&no_default).is_err());
    let yellow = base.replace("yellow_percent = 80", "yellow_percent = 100");
    assert!(TimeLimits::parse(&yellow).is_err());
}
