//! Versioned documents on the real store: every test is a function over `&dyn Store`, run
//! against a fresh SQLite file always and against a fresh PostgreSQL schema when
//! `HUIQI_TEST_PG_URL` is set (otherwise the PostgreSQL half prints a notice and passes).

use chrono::{DateTime, FixedOffset};
use store::documents::{DocumentChange, DocumentKind};
use store::{Stamp, Store, StoreError};

suite!(
    "d";
    seeding_inserts_version_one_once_per_kind,
    a_put_makes_the_next_version_and_keeps_the_history,
    a_stale_write_is_refused_whole,
    a_deletion_is_a_tombstone_and_a_later_put_continues,
    zone_settings_are_a_kind_of_their_own,
);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn officer(when: &str) -> Stamp {
    Stamp::new("zhou_policy", at(when))
}

fn seed() -> Vec<(String, String)> {
    vec![("a.toml".into(), "a = 1\n".into()), ("b.toml".into(), "b = 1\n".into())]
}

async fn seeding_inserts_version_one_once_per_kind(s: &dyn Store) {
    let actor = officer("2024-03-01T09:00:00+08:00");
    assert!(s.seed_documents(DocumentKind::Policy, seed(), &actor).await.unwrap());
    let docs = s.current_documents(DocumentKind::Policy).await.unwrap();
    let names: Vec<(&str, i64)> = docs.iter().map(|d| (d.name.as_str(), d.version)).collect();
    assert_eq!(names, [("a.toml", 1), ("b.toml", 1)]);
    assert_eq!(docs[0].body, "a = 1\n");
    assert_eq!(docs[0].checksum, store::documents::checksum("a = 1\n"));
    assert_eq!(docs[0].created_at, actor.at);
    assert!(
        !s.seed_documents(DocumentKind::Policy, seed(), &actor).await.unwrap(),
        "a second start does not reseed"
    );
    assert!(s.current_documents(DocumentKind::TimeLimits).await.unwrap().is_empty(), "kinds are separate");
    let limits = vec![(store::documents::TIME_LIMITS_NAME.to_string(), "x = 1\n".to_string())];
    assert!(s.seed_documents(DocumentKind::TimeLimits, limits, &actor).await.unwrap());
    assert_eq!(s.current_documents(DocumentKind::Policy).await.unwrap().len(), 2);
}

async fn a_put_makes_the_next_version_and_keeps_the_history(s: &dyn Store) {
    s.seed_documents(DocumentKind::Policy, seed(), &officer("2024-03-01T09:00:00+08:00")).await.unwrap();
    let later = officer("2024-03-02T10:30:00+08:00");
    let d = s.put_document(DocumentKind::Policy, "a.toml", Some(1), "a = 2\n".into(), &later).await.unwrap();
    let d = d.expect("a changed body writes a version");
    assert_eq!((d.version, d.actor.as_str(), d.created_at), (2, "zhou_policy", later.at));
    let unchanged = s.put_document(DocumentKind::Policy, "a.toml", Some(2), "a = 2\n".into(), &later).await;
    assert_eq!(unchanged.unwrap(), None, "the same body writes nothing");
    let h = s.document_history(DocumentKind::Policy, "a.toml").await.unwrap();
    let versions: Vec<(i64, &str)> = h.iter().map(|d| (d.version, d.body.as_str())).collect();
    assert_eq!(versions, [(2, "a = 2\n"), (1, "a = 1\n")]);
    let cur = s.current_document(DocumentKind::Policy, "a.toml").await.unwrap().unwrap();
    assert_eq!(cur.version, 2);
    let new = s.put_document(DocumentKind::Policy, "c.toml", None, "c = 1\n".into(), &later).await.unwrap();
    assert_eq!(new.map(|d| d.version), Some(1));
    assert_eq!(s.current_documents(DocumentKind::Policy).await.unwrap().len(), 3);
}

async fn a_stale_write_is_refused_whole(s: &dyn Store) {
    let actor = officer("2024-03-01T09:00:00+08:00");
    s.seed_documents(DocumentKind::Policy, seed(), &actor).await.unwrap();
    s.put_document(DocumentKind::Policy, "a.toml", Some(1), "a = 2\n".into(), &actor).await.unwrap();
    // b is current, a is stale: nothing of the write lands.
    let changes = vec![
        DocumentChange { name: "b.toml".into(), expected: Some(1), body: Some("b = 9\n".into()) },
        DocumentChange { name: "a.toml".into(), expected: Some(1), body: Some("a = 9\n".into()) },
    ];
    let r = s.write_documents(DocumentKind::Policy, changes, &actor).await;
    assert!(
        matches!(&r, Err(StoreError::DocumentConflict { name, expected, current, .. })
            if name == "a.toml" && expected == "1" && current == "2"),
        "{r:?}"
    );
    let docs = s.current_documents(DocumentKind::Policy).await.unwrap();
    let bodies: Vec<&str> = docs.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(bodies, ["a = 2\n", "b = 1\n"]);
    let bad = s.put_document(DocumentKind::Policy, "../x.toml", None, "x".into(), &actor).await;
    assert!(matches!(bad, Err(StoreError::InvalidDocumentName { .. })), "{bad:?}");
}

async fn a_deletion_is_a_tombstone_and_a_later_put_continues(s: &dyn Store) {
    let actor = officer("2024-03-01T09:00:00+08:00");
    s.seed_documents(DocumentKind::Policy, seed(), &actor).await.unwrap();
    let t = s.delete_document(DocumentKind::Policy, "b.toml", 1, &actor).await.unwrap();
    assert_eq!((t.version, t.deleted), (2, true));
    let names: Vec<String> =
        s.current_documents(DocumentKind::Policy).await.unwrap().into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["a.toml"]);
    assert_eq!(s.current_document(DocumentKind::Policy, "b.toml").await.unwrap(), None);
    let again = s.delete_document(DocumentKind::Policy, "b.toml", 2, &actor).await;
    assert!(matches!(again, Err(StoreError::DocumentConflict { .. })), "{again:?}");
    let back = s.put_document(DocumentKind::Policy, "b.toml", None, "b = 3\n".into(), &actor).await.unwrap();
    assert_eq!(back.map(|d| d.version), Some(3));
    assert_eq!(s.document_history(DocumentKind::Policy, "b.toml").await.unwrap().len(), 3);
}

/// Migration 0012 admits the kind on both backends; its versions are kept like the others.
async fn zone_settings_are_a_kind_of_their_own(s: &dyn Store) {
    use store::documents::ZONE_SETTINGS_NAME;
    let admin = Stamp::new("admin", at("2024-03-01T09:00:00+08:00"));
    let kind = DocumentKind::ZoneSettings;
    assert_eq!(s.current_document(kind, ZONE_SETTINGS_NAME).await.unwrap(), None, "none until set");
    let v1 = s.put_document(kind, ZONE_SETTINGS_NAME, None, "a = 1\n".into(), &admin).await.unwrap();
    assert_eq!(v1.map(|d| (d.kind, d.version)), Some((kind, 1)));
    let v2 = s.put_document(kind, ZONE_SETTINGS_NAME, Some(1), "a = 2\n".into(), &admin).await.unwrap();
    assert_eq!(v2.map(|d| d.version), Some(2));
    let h = s.document_history(kind, ZONE_SETTINGS_NAME).await.unwrap();
    assert_eq!(h.iter().map(|d| d.version).collect::<Vec<_>>(), [2, 1]);
    assert!(s.current_documents(DocumentKind::TimeLimits).await.unwrap().is_empty(), "kinds are separate");
}
