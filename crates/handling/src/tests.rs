use super::*;

/// One sample of each variant: a new variant fails to compile here until it has one.
fn sample(d: HandlingErrorDiscriminants) -> HandlingError {
    use HandlingErrorDiscriminants as D;
    match d {
        D::Illegal => HandlingError::Illegal {
            state: State::Closed,
            action: ActionKind::Answer,
            allowed: vec![ActionKind::Reopen],
        },
        D::RoleNotAllowed => {
            HandlingError::RoleNotAllowed { role: Role::Enterprise, action: ActionKind::Accept }
        }
        D::NotLeadDepartment => HandlingError::NotLeadDepartment { department: "a".into(), lead: "b".into() },
        D::NotCooperating => HandlingError::NotCooperating { department: "a".into() },
        D::NotYourEnterprise => HandlingError::NotYourEnterprise { actor: "u".into() },
        D::FirstReceiverOwns => HandlingError::FirstReceiverOwns { department: "a".into() },
        D::Locked => HandlingError::Locked { department: "a".into() },
        D::ObjectionWindowClosed => HandlingError::ObjectionWindowClosed { last_day: "2022-05-06".into() },
        D::SameLead => HandlingError::SameLead { department: "a".into() },
        D::LeadAlsoCooperating => HandlingError::LeadAlsoCooperating { department: "a".into() },
        D::AlreadyOverdue => HandlingError::AlreadyOverdue { due: "2022-05-06".into() },
        D::ExtensionPending => HandlingError::ExtensionPending,
        D::NoExtensionPending => HandlingError::NoExtensionPending,
        D::ExtensionLimit => HandlingError::ExtensionLimit { max: 1 },
        D::ConsultationOpen => HandlingError::ConsultationOpen,
        D::NoConsultationOpen => HandlingError::NoConsultationOpen,
        D::NotYetUnconfirmed => HandlingError::NotYetUnconfirmed { confirm_by: "2022-05-06".into() },
        D::NoteRequired => HandlingError::NoteRequired { action: ActionKind::Object },
        D::BeforeLastEvent => HandlingError::BeforeLastEvent { at: "x".into(), last: "y".into() },
        D::InFuture => HandlingError::InFuture { at: "x".into() },
        D::BadTitle => HandlingError::BadTitle { chars: 0, max: 200 },
        D::UnknownCategory => HandlingError::UnknownCategory { category: "x".into() },
        D::UnknownDepartment => HandlingError::UnknownDepartment { department: "x".into() },
        D::BadValue => HandlingError::BadValue { field: "f", value: "v".into(), expected: "e" },
        D::BadLimits => HandlingError::BadLimits { reason: "r".into() },
        D::BadLog => HandlingError::BadLog { seq: 3, reason: "r".into() },
        D::NoEscalationOpen => HandlingError::NoEscalationOpen,
        D::NoDecisionOwned => HandlingError::NoDecisionOwned { department: "a".into() },
        D::NothingToRecompute => HandlingError::NothingToRecompute,
        // One inner error stands for the calendar's (its own crate tests them all).
        D::Calendar => HandlingError::Calendar(calendar::CalendarError::BadCount { n: 0 }),
    }
}

#[test]
fn the_catalog_parses_and_every_error_renders_in_both_languages() {
    use strum::IntoEnumIterator;
    assert!(Catalog::parse(include_str!("../messages.toml")).is_ok());
    let mut samples: Vec<HandlingError> = HandlingErrorDiscriminants::iter().map(sample).collect();
    // Nothing allowed renders its own clause.
    samples.push(HandlingError::Illegal {
        state: State::Withdrawn,
        action: ActionKind::Answer,
        allowed: vec![],
    });
    i18n::assert_all_bilingual(&samples);
    for e in &samples {
        for lang in [Lang::Zh, Lang::En] {
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
    assert_eq!(t.applied("logistics", Urgency::Urgent).answer, Limit::Hours(8));
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
