//! Content, synonyms, the search log, self-service answers and governance items on the real
//! store: each test is a function over `&dyn Store`, run against a fresh SQLite file always
//! and against a fresh PostgreSQL schema when `HUIQI_TEST_PG_URL` is set.

use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::FieldChange;
use store::content::{
    ContentItem, ContentKind, ContentState, Details, GovernanceItem, GuideDetails, SearchLogEntry,
    SelfServiceAnswer,
};
use store::{Stamp, Store, StoreError};

suite!(
    "c";
    content_is_versioned_audited_and_conflicts_are_refused,
    synonym_groups_are_edited_and_audited,
    unanswered_queries_are_enterprises_searches_without_a_click,
    self_service_answers_are_counted_by_kind_in_a_period,
    closing_a_governance_item_notifies_its_members_once,
);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn guide() -> ContentItem {
    let t = at("2022-05-06T09:30:00+08:00");
    ContentItem {
        id: 0,
        kind: ContentKind::Guide,
        title: "增值税留抵退税办事指南".into(),
        body: "符合条件的纳税人可申请退还留抵税额。".into(),
        department: "tax_bureau".into(),
        plan_line: "三.6".into(),
        tags: vec!["留抵退税".into()],
        items: vec!["small-micro-vat-refund".into()],
        details: Details {
            guide: Some(GuideDetails {
                place: "电子税务局".into(),
                documents: vec!["退（抵）税申请表".into()],
                time_limit: "10个工作日".into(),
                fees: "不收费".into(),
                contact: "12366".into(),
            }),
            case: None,
        },
        state: ContentState::Draft,
        version: 0,
        author: "officer".into(),
        reviewer: None,
        created_at: t,
        updated_at: t,
        published_at: None,
    }
}

async fn audit_count(s: &dyn Store, entity: &str) -> usize {
    // The audit records are read back through the reference change log of the entity.
    s.audit_records(entity, None, 100).await.unwrap().len()
}

async fn content_is_versioned_audited_and_conflicts_are_refused(s: &dyn Store) {
    let who = Stamp::new("officer", at("2022-05-06T09:30:00+08:00"));
    let created = s
        .save_content(
            &guide(),
            None,
            &[FieldChange { field: "created".into(), old: None, new: Some("x".into()) }],
            &who,
        )
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.details, guide().details);
    assert_eq!(created.items, vec!["small-micro-vat-refund".to_string()]);
    let mut next = created.clone();
    next.state = ContentState::Published;
    next.reviewer = Some("reviewer".into());
    next.published_at = Some(at("2022-05-07T10:00:00+08:00"));
    let change =
        FieldChange { field: "state".into(), old: Some("draft".into()), new: Some("published".into()) };
    let published = s.save_content(&next, Some(1), std::slice::from_ref(&change), &who).await.unwrap();
    assert_eq!((published.version, published.state), (2, ContentState::Published));
    assert_eq!(published.reviewer.as_deref(), Some("reviewer"));
    // A write against version 1 again is refused and changes nothing.
    let stale = s.save_content(&next, Some(1), &[change], &who).await.unwrap_err();
    assert!(matches!(stale, StoreError::DocumentConflict { .. }), "{stale:?}");
    assert_eq!(s.content(created.id).await.unwrap().unwrap().version, 2);
    assert_eq!(s.content_fingerprint().await.unwrap(), (1, 2));
    assert_eq!(s.all_content().await.unwrap().len(), 1);
    assert_eq!(audit_count(s, "content").await, 2);
    let missing = ContentItem { id: 999, ..next };
    assert!(matches!(
        s.save_content(&missing, Some(1), &[], &who).await.unwrap_err(),
        StoreError::DocumentNotFound { .. }
    ));
}

async fn synonym_groups_are_edited_and_audited(s: &dyn Store) {
    let who = Stamp::new("policy", at("2022-05-06T09:30:00+08:00"));
    let g = s.save_synonym_group(None, &["留抵".into(), "留抵退税".into()], &who).await.unwrap();
    let g2 = s.save_synonym_group(Some(g.id), &["稳岗".into(), "稳岗返还".into()], &who).await.unwrap();
    assert_eq!(g2.terms, vec!["稳岗".to_string(), "稳岗返还".to_string()]);
    assert_eq!(s.synonym_groups().await.unwrap(), vec![g2.clone()]);
    assert!(s.delete_synonym_group(g.id, &who).await.unwrap());
    assert!(!s.delete_synonym_group(g.id, &who).await.unwrap());
    assert!(s.synonym_groups().await.unwrap().is_empty());
    assert_eq!(audit_count(s, "synonyms").await, 3);
}

async fn unanswered_queries_are_enterprises_searches_without_a_click(s: &dyn Store) {
    let entry = |user: &str, role: &str, q: &str, hits: i64, t: &str| SearchLogEntry {
        username: user.into(),
        role: role.into(),
        query: q.into(),
        hits,
        at: at(t),
    };
    let a = s
        .log_search(&entry("e1", "enterprise", "厂房租金减免", 0, "2022-05-06T09:00:00+08:00"))
        .await
        .unwrap();
    s.log_search(&entry("e2", "enterprise", "厂房租金减免", 3, "2022-05-06T10:00:00+08:00")).await.unwrap();
    let clicked =
        s.log_search(&entry("e1", "enterprise", "留抵退税", 5, "2022-05-06T11:00:00+08:00")).await.unwrap();
    s.log_search(&entry("dept1", "department", "官员的搜索", 0, "2022-05-06T11:00:00+08:00")).await.unwrap();
    assert!(s.log_search_click(clicked, "e1", "guide", "3").await.unwrap());
    assert!(!s.log_search_click(a, "someone-else", "guide", "3").await.unwrap());
    let u = s.unanswered_queries(10).await.unwrap();
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!((u[0].query.as_str(), u[0].count, u[0].min_hits), ("厂房租金减免", 2, 0));
    assert_eq!(u[0].last_at, at("2022-05-06T10:00:00+08:00"));
}

async fn self_service_answers_are_counted_by_kind_in_a_period(s: &dyn Store) {
    let answer = |kind: &str, t: &str| SelfServiceAnswer {
        username: "e1".into(),
        enterprise: Some("91430100MA4L16JQ9B".into()),
        query: "留抵退税怎么申请".into(),
        kind: kind.into(),
        target: "1".into(),
        at: at(t),
    };
    for (k, t) in [
        ("faq", "2022-05-01T09:00:00+08:00"),
        ("faq", "2022-05-31T23:59:00+08:00"),
        ("guide", "2022-05-10T09:00:00+08:00"),
        ("faq", "2022-06-01T00:00:00+08:00"),
    ] {
        s.record_self_service(&answer(k, t)).await.unwrap();
    }
    let may = s
        .self_service_counts(at("2022-05-01T00:00:00+08:00"), at("2022-06-01T00:00:00+08:00"))
        .await
        .unwrap();
    assert_eq!(may, vec![("faq".to_string(), 2), ("guide".to_string(), 1)]);
}

async fn closing_a_governance_item_notifies_its_members_once(s: &dyn Store) {
    let who = Stamp::new("leader01", at("2022-05-06T09:30:00+08:00"));
    let item = GovernanceItem {
        id: 0,
        title: "园区道路货车限行导致物流受阻".into(),
        owner: "economic_development".into(),
        due: NaiveDate::from_ymd_opt(2022, 5, 20).unwrap(),
        members: vec![3, 5],
        open: true,
        created_by: "leader01".into(),
        created_at: who.at,
        resolution: None,
        closed_by: None,
        closed_at: None,
    };
    let g = s.create_governance(&item, &who).await.unwrap();
    assert!(g.id > 0);
    let notices = vec![
        ("91430100MA4L16JQ9B".to_string(), Some(3), "已解决".to_string()),
        ("91430100MA4L16JQ9B".to_string(), Some(5), "已解决".to_string()),
    ];
    assert!(s.close_governance(g.id, "已开通绿色通道", &notices, &who).await.unwrap());
    assert!(!s.close_governance(g.id, "again", &notices, &who).await.unwrap());
    let all = s.governance_items().await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(!all[0].open);
    assert_eq!(all[0].members, vec![3, 5]);
    assert_eq!(all[0].due, item.due);
    assert_eq!(all[0].resolution.as_deref(), Some("已开通绿色通道"));
    assert_eq!(s.enterprise_notices("91430100MA4L16JQ9B", 10).await.unwrap().len(), 2);
    assert_eq!(audit_count(s, "governance").await, 2);
}
