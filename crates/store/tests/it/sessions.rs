//! Stored sessions on the real store: each test is a function over `&dyn Store`, run against a
//! fresh SQLite file always and against a fresh PostgreSQL schema when `HUIQI_TEST_PG_URL` is
//! set (otherwise the PostgreSQL half prints a notice and passes).

use chrono::{DateTime, Duration, FixedOffset};
use store::sessions::{SessionKind, SessionRecord};
use store::{NewUser, Role, Store, StoreError};

suite!(
    "s";
    sessions_are_stored_by_hash_touched_and_deleted,
    a_password_change_or_deactivation_ends_every_session_of_the_user,
    expired_sessions_are_purged,
);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        role: Role::Policy,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        enterprise: None,
        department: None,
        display_name: format!("{name} 同志"),
        at: at("2024-03-01T08:00:00+08:00"),
    }
}

fn session(hash_digit: char, username: &str, kind: SessionKind, expires: &str) -> SessionRecord {
    let now = at("2024-03-01T09:00:00+08:00");
    SessionRecord {
        token_hash: hash_digit.to_string().repeat(64),
        username: username.into(),
        csrf: if kind == SessionKind::Cookie { "c".repeat(64) } else { String::new() },
        kind,
        created_at: now,
        last_seen: now,
        expires_at: at(expires),
    }
}

async fn sessions_are_stored_by_hash_touched_and_deleted(s: &dyn Store) {
    s.create_user(&user("li")).await.unwrap();
    let a = session('a', "li", SessionKind::Cookie, "2024-03-01T17:00:00+08:00");
    s.create_session(&a).await.unwrap();
    assert_eq!(s.session_by_hash(&a.token_hash).await.unwrap(), Some(a.clone()));
    assert_eq!(s.session_by_hash(&"b".repeat(64)).await.unwrap(), None);

    // A session of an unknown user is refused.
    assert_eq!(
        s.create_session(&session('b', "nobody", SessionKind::Bearer, "2024-03-01T21:00:00+08:00")).await,
        Err(StoreError::UserNotFound { username: "nobody".into() })
    );

    let seen = at("2024-03-01T12:00:00+08:00");
    let until = seen + Duration::hours(8);
    assert!(s.touch_session(&a.token_hash, seen, until).await.unwrap());
    let back = s.session_by_hash(&a.token_hash).await.unwrap().unwrap();
    assert_eq!((back.last_seen, back.expires_at, back.created_at), (seen, until, a.created_at));

    assert!(s.delete_session(&a.token_hash).await.unwrap());
    assert!(!s.delete_session(&a.token_hash).await.unwrap(), "already gone");
    assert_eq!(s.session_by_hash(&a.token_hash).await.unwrap(), None);
    assert!(!s.touch_session(&a.token_hash, seen, until).await.unwrap());
}

async fn a_password_change_or_deactivation_ends_every_session_of_the_user(s: &dyn Store) {
    for name in ["li", "wang"] {
        s.create_user(&user(name)).await.unwrap();
    }
    let li = [
        session('1', "li", SessionKind::Cookie, "2024-03-01T17:00:00+08:00"),
        session('2', "li", SessionKind::Bearer, "2024-03-01T21:00:00+08:00"),
    ];
    let wang = session('3', "wang", SessionKind::Cookie, "2024-03-01T17:00:00+08:00");
    for x in li.iter().chain([&wang]) {
        s.create_session(x).await.unwrap();
    }
    s.set_password_hash("li", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3").await.unwrap();
    for x in &li {
        assert_eq!(s.session_by_hash(&x.token_hash).await.unwrap(), None, "{:?}", x.kind);
    }
    assert!(s.session_by_hash(&wang.token_hash).await.unwrap().is_some(), "another user's stays");

    // Reactivating ends nothing; deactivating ends them all.
    s.set_user_active("wang", true).await.unwrap();
    assert!(s.session_by_hash(&wang.token_hash).await.unwrap().is_some());
    s.set_user_active("wang", false).await.unwrap();
    assert_eq!(s.session_by_hash(&wang.token_hash).await.unwrap(), None);

    // Ending them explicitly (e.g. an admin's "sign out everywhere").
    let again = session('4', "li", SessionKind::Cookie, "2024-03-01T17:00:00+08:00");
    s.create_session(&again).await.unwrap();
    assert_eq!(s.delete_user_sessions("li").await.unwrap(), 1);
    assert_eq!(s.session_by_hash(&again.token_hash).await.unwrap(), None);
}

async fn expired_sessions_are_purged(s: &dyn Store) {
    s.create_user(&user("li")).await.unwrap();
    let early = session('1', "li", SessionKind::Cookie, "2024-03-01T10:00:00+08:00");
    let late = session('2', "li", SessionKind::Bearer, "2024-03-01T21:00:00+08:00");
    s.create_session(&early).await.unwrap();
    s.create_session(&late).await.unwrap();
    // The same instant in UTC: expiry compares instants, not texts in different zones.
    assert_eq!(s.purge_expired_sessions(at("2024-03-01T01:59:59Z")).await.unwrap(), 0);
    assert_eq!(s.purge_expired_sessions(at("2024-03-01T02:00:00Z")).await.unwrap(), 1);
    assert_eq!(s.session_by_hash(&early.token_hash).await.unwrap(), None);
    assert!(s.session_by_hash(&late.token_hash).await.unwrap().is_some());
}
