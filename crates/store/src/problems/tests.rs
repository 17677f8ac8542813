use super::*;

/// One sample of each variant: a new variant fails to compile here until it has one.
/// Wrapped errors have one representative each (their own tests cover them all).
fn sample(d: ProblemErrorDiscriminants) -> ProblemError {
    use ProblemErrorDiscriminants as D;
    match d {
        D::NotFound => ProblemError::NotFound { id: 7 },
        D::VisitNotFound => ProblemError::VisitNotFound { id: "x".into() },
        D::Stale => ProblemError::Stale { id: 7, expected: 3, current: 4 },
        D::Attachment => {
            ProblemError::Attachment(crate::attachments::AttachmentError::NotFound { problem: 1, id: 2 })
        }
        D::Handling => ProblemError::Handling(HandlingError::ExtensionPending),
        D::Store => ProblemError::Store(StoreError::UserNotFound { username: "x".into() }),
    }
}

#[test]
fn messages_render_in_both_languages() {
    use strum::IntoEnumIterator;
    assert!(Catalog::parse(MESSAGES).is_ok());
    i18n::assert_all_bilingual(&ProblemErrorDiscriminants::iter().map(sample).collect::<Vec<_>>());
    let e = ProblemError::NotFound { id: 7 };
    assert!(e.render(Lang::Zh).contains('7') && e.render(Lang::En).contains("problem 7"));
    let h = ProblemError::Handling(HandlingError::ExtensionPending);
    assert!(!h.render(Lang::En).starts_with("handling."));
}

#[test]
fn the_hash_covers_the_previous_hash_and_the_content() {
    let a = chain_hash(GENESIS_HASH, "{}");
    assert_eq!(a.len(), 64);
    assert_ne!(a, chain_hash(GENESIS_HASH, "{} "));
    assert_ne!(a, chain_hash(&a, "{}"));
    // sha256("0"*64 + "{}"), computed independently.
    assert_eq!(chain_hash("", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn shared_texts_number_their_parameters_in_order() {
    let ascending = |s: &str| crate::sql::placeholder_order(s).iter().enumerate().all(|(i, n)| *n == i + 1);
    for s in sql::ALL {
        assert!(ascending(s), "{s}");
    }
    let now = DateTime::parse_from_rfc3339("2022-05-06T09:30:00+08:00").unwrap();
    assert!(ascending(sql::events_for_period()));
    let q = problem_list(&ProblemFilter {
        state: Some(State::InProgress),
        department: Some("tax_bureau".into()),
        enterprise: None,
        category: Some("tax".into()),
        light: Some((LightFilter::Yellow, now)),
        received: Some((
            NaiveDate::from_ymd_opt(2022, 5, 1).unwrap(),
            NaiveDate::from_ymd_opt(2022, 5, 31).unwrap(),
        )),
        open: Some(true),
        cadre: Some("ganbu".into()),
        raised_by: Some("ganbu".into()),
        text: Some(TextFilter {
            words: vec!["房租".into(), "50%_off".into()],
            in_confidential: false,
            found: Vec::new(),
        }),
        order: ProblemOrder::Queue(now),
    });
    assert!(ascending(&q.count_sql) && ascending(&q.page_sql), "{}", q.page_sql);
    assert_eq!(q.params.len(), 11);
    assert_eq!(q.order_params.len(), 1);
    assert!(q.params.contains(&QParam::Text("%50\\%\\_off%".into())), "{:?}", q.params);
    assert!(q.count_sql.contains("NOT p.confidential"));
    // The open states come from `State::OPEN`, the one definition.
    assert!(sql::open_states().contains("'answered'") && !sql::open_states().contains("'closed'"));
}
