//! Policy drafts on the real store (both backends): a draft changes nothing live until a
//! second person approves it; the database itself refuses a review by the author; a draft
//! whose document moved on is stale; both names reach the history and the audit trail.

use chrono::{DateTime, FixedOffset};
use store::documents::DocumentKind;
use store::drafts::{Approval, ApproveAs, DraftOrigin, DraftState, NewDraft, SEEDER};
use store::{Stamp, Store, StoreError};

suite!(
    "pd";
    a_draft_changes_nothing_live_until_approved_by_another,
    the_database_refuses_a_review_by_the_author,
    a_draft_whose_document_moved_on_is_stale_and_writes_nothing,
    a_rejection_needs_a_reason_and_changes_nothing,
    bootstrap_approval_holds_only_over_the_seed,
);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn li() -> Stamp {
    Stamp::new("li_policy", at("2024-03-02T09:00:00+08:00"))
}

fn wang() -> Stamp {
    Stamp::new("wang_admin", at("2024-03-02T10:00:00+08:00"))
}

async fn seeded(s: &dyn Store) {
    let docs = vec![("a.toml".into(), "a = 1\n".into()), ("b.toml".into(), "b = 1\n".into())];
    s.seed_documents(DocumentKind::Policy, docs, &Stamp::new(SEEDER, at("2024-03-01T09:00:00+08:00")))
        .await
        .unwrap();
}

fn new_draft(docs: &[(&str, Option<i64>, &str)]) -> NewDraft {
    NewDraft {
        origin: DraftOrigin::Edit,
        note: String::new(),
        cases_passed: 4,
        documents: docs.iter().map(|(n, v, b)| ((*n).into(), *v, (*b).into())).collect(),
    }
}

async fn body(s: &dyn Store, name: &str) -> Option<String> {
    s.current_document(DocumentKind::Policy, name).await.unwrap().map(|d| d.body)
}

async fn a_draft_changes_nothing_live_until_approved_by_another(s: &dyn Store) {
    seeded(s).await;
    let d = s
        .create_policy_draft(new_draft(&[("a.toml", Some(1), "a = 2\n"), ("c.toml", None, "c = 1\n")]), &li())
        .await
        .unwrap();
    assert_eq!((d.state, d.author.as_str(), d.documents.len()), (DraftState::Draft, "li_policy", 2));
    assert_eq!(body(s, "a.toml").await.as_deref(), Some("a = 1\n"), "nothing live yet");
    assert_eq!(body(s, "c.toml").await, None);
    let open = s.policy_drafts(true, 10).await.unwrap();
    assert_eq!(open.iter().map(|d| d.id).collect::<Vec<_>>(), [d.id]);

    let Approval::Live(written) = s.approve_policy_draft(d.id, &ApproveAs::Reviewer(wang())).await.unwrap()
    else {
        panic!("expected live")
    };
    assert_eq!(
        written.iter().map(|w| (w.name.as_str(), w.version)).collect::<Vec<_>>(),
        [("a.toml", 2), ("c.toml", 1)]
    );
    assert_eq!(body(s, "a.toml").await.as_deref(), Some("a = 2\n"));
    let h = s.document_history(DocumentKind::Policy, "a.toml").await.unwrap();
    assert_eq!(
        (h[0].actor.as_str(), h[0].approved_by.as_deref(), h[0].draft),
        ("li_policy", Some("wang_admin"), Some(d.id)),
        "who wrote, who approved"
    );
    assert_eq!((h[1].approved_by.as_deref(), h[1].draft), (None, None), "the seed was not reviewed");
    let after = s.policy_draft(d.id).await.unwrap().unwrap();
    assert_eq!((after.state, after.closed_by.as_deref()), (DraftState::Approved, Some("wang_admin")));
    assert_eq!(after.documents.iter().map(|x| x.new_version).collect::<Vec<_>>(), [Some(2), Some(1)]);
    assert!(s.policy_drafts(true, 10).await.unwrap().is_empty());
    // The audit trail names both.
    let audit = s.audit_records("policy_draft", Some(&d.id.to_string()), 10).await.unwrap();
    let actors: Vec<&str> = audit.iter().map(|a| a.actor.as_str()).collect();
    assert_eq!(actors, ["li_policy", "wang_admin"], "{audit:?}");
    let versions = s.audit_records("document.policy", Some("a.toml"), 10).await.unwrap();
    assert!(
        versions
            .iter()
            .any(|a| a.actor == "wang_admin" && a.new.as_deref().is_some_and(|n| n.contains("li_policy"))),
        "{versions:?}"
    );
    // Closed: no second decision.
    let again = s.approve_policy_draft(d.id, &ApproveAs::Reviewer(wang())).await;
    assert!(matches!(again, Err(StoreError::DraftClosed { .. })), "{again:?}");
    let missing = s.approve_policy_draft(999, &ApproveAs::Reviewer(wang())).await;
    assert!(matches!(missing, Err(StoreError::DraftNotFound { id: 999 })), "{missing:?}");
}

async fn the_database_refuses_a_review_by_the_author(s: &dyn Store) {
    seeded(s).await;
    let d = s.create_policy_draft(new_draft(&[("a.toml", Some(1), "a = 2\n")]), &li()).await.unwrap();
    let mine = Stamp::new("li_policy", at("2024-03-02T11:00:00+08:00"));
    let r = s.approve_policy_draft(d.id, &ApproveAs::Reviewer(mine.clone())).await;
    assert!(matches!(r, Err(StoreError::SelfReview { .. })), "{r:?}");
    let r = s.reject_policy_draft(d.id, &mine, "no").await;
    assert!(matches!(r, Err(StoreError::SelfReview { .. })), "{r:?}");
    assert_eq!(body(s, "a.toml").await.as_deref(), Some("a = 1\n"), "nothing written");
    assert_eq!(s.policy_draft(d.id).await.unwrap().unwrap().state, DraftState::Draft, "still open");
    // A bootstrap approval is the author's own and writes no review row.
    let r = s.approve_policy_draft(d.id, &ApproveAs::Bootstrap(wang())).await;
    assert!(r.is_err(), "{r:?}");
}

async fn a_draft_whose_document_moved_on_is_stale_and_writes_nothing(s: &dyn Store) {
    seeded(s).await;
    let first = s.create_policy_draft(new_draft(&[("a.toml", Some(1), "a = 2\n")]), &li()).await.unwrap();
    let second = s
        .create_policy_draft(
            new_draft(&[("a.toml", Some(1), "a = 3\n"), ("b.toml", Some(1), "b = 3\n")]),
            &wang(),
        )
        .await
        .unwrap();
    assert!(matches!(
        s.approve_policy_draft(first.id, &ApproveAs::Reviewer(wang())).await,
        Ok(Approval::Live(_))
    ));
    let r = s.approve_policy_draft(second.id, &ApproveAs::Reviewer(li())).await.unwrap();
    assert_eq!(r, Approval::Stale { name: "a.toml".into(), expected: Some(1), current: Some(2) });
    assert_eq!(body(s, "b.toml").await.as_deref(), Some("b = 1\n"), "none of the stale draft went live");
    assert_eq!(s.policy_draft(second.id).await.unwrap().unwrap().state, DraftState::Stale);
}

async fn a_rejection_needs_a_reason_and_changes_nothing(s: &dyn Store) {
    seeded(s).await;
    let d = s.create_policy_draft(new_draft(&[("a.toml", Some(1), "a = 2\n")]), &li()).await.unwrap();
    assert!(s.reject_policy_draft(d.id, &wang(), "  ").await.is_err(), "the database wants a reason");
    let r = s.reject_policy_draft(d.id, &wang(), "门槛写错了 / wrong threshold").await.unwrap();
    assert_eq!((r.state, r.reason.as_deref()), (DraftState::Rejected, Some("门槛写错了 / wrong threshold")));
    assert_eq!(body(s, "a.toml").await.as_deref(), Some("a = 1\n"));
    let w = s.create_policy_draft(new_draft(&[("a.toml", Some(1), "a = 5\n")]), &li()).await.unwrap();
    assert_eq!(s.withdraw_policy_draft(w.id, &li()).await.unwrap().state, DraftState::Withdrawn);
    assert_eq!(s.document_history(DocumentKind::Policy, "a.toml").await.unwrap().len(), 1);
}

async fn bootstrap_approval_holds_only_over_the_seed(s: &dyn Store) {
    seeded(s).await;
    let d = s.create_policy_draft(new_draft(&[("a.toml", Some(1), "a = 2\n")]), &li()).await.unwrap();
    let Approval::Live(w) = s.approve_policy_draft(d.id, &ApproveAs::Bootstrap(li())).await.unwrap() else {
        panic!("over the seed a bootstrap goes live")
    };
    assert_eq!((w[0].approved_by.as_deref(), w[0].draft), (None, Some(d.id)));
    let got = s.policy_draft(d.id).await.unwrap().unwrap();
    assert!(got.bootstrap && got.state == DraftState::Approved);
    let audit = s.audit_records("policy_draft", Some(&d.id.to_string()), 10).await.unwrap();
    assert!(audit.iter().any(|a| a.new.as_deref() == Some("approved (bootstrap)")), "{audit:?}");
    // Now a person wrote the library: no more bootstrap.
    let next = s.create_policy_draft(new_draft(&[("b.toml", Some(1), "b = 2\n")]), &li()).await.unwrap();
    let r = s.approve_policy_draft(next.id, &ApproveAs::Bootstrap(li())).await.unwrap();
    assert!(matches!(r, Approval::Stale { .. }), "{r:?}");
    assert_eq!(body(s, "b.toml").await.as_deref(), Some("b = 1\n"));
}
