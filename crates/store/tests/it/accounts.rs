//! Accounts administration, failed sign-ins per account and address, and adding problem
//! categories, on the real store: each test is a function over `&dyn Store`, run against a
//! fresh SQLite file always and against a fresh PostgreSQL schema when `HUIQI_TEST_PG_URL` is
//! set.

use chrono::{DateTime, Duration, FixedOffset};
use enterprise::Category;
use store::accounts::{SignInFailures, UserChange, UserFilter};
use store::sessions::{SessionKind, SessionRecord};
use store::{NewUser, Page, Role, Stamp, Store, StoreError};

suite!(
    "a";
    users_are_paged_and_searched,
    role_changes_keep_the_ties_the_role_needs_and_end_sessions,
    deactivation_and_password_resets_are_recorded,
    failed_sign_ins_are_kept_per_address_and_an_unlock_clears_them_all,
    categories_are_added_after_the_others_with_their_routing,
);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn admin() -> Stamp {
    Stamp::new("admin", at("2024-03-01T10:00:00+08:00"))
}

fn user(name: &str, role: Role, department: Option<&str>) -> NewUser {
    NewUser {
        username: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        enterprise: None,
        department: department.map(str::to_string),
        display_name: format!("{name} 同志"),
        at: at("2024-03-01T08:00:00+08:00"),
    }
}

async fn session(s: &dyn Store, digit: char, username: &str) {
    let now = at("2024-03-01T09:00:00+08:00");
    s.create_session(&SessionRecord {
        token_hash: digit.to_string().repeat(64),
        username: username.into(),
        csrf: String::new(),
        kind: SessionKind::Bearer,
        created_at: now,
        last_seen: now,
        expires_at: now + Duration::hours(12),
    })
    .await
    .unwrap();
}

async fn users_are_paged_and_searched(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    for i in 0..25 {
        s.create_user(&user(&format!("user{i:02}"), Role::Supervisor, None)).await.unwrap();
    }
    s.create_user(&user("wang", Role::Department, Some("tax_bureau"))).await.unwrap();
    let mut li = user("li", Role::Leader, None);
    li.display_name = "李 Deputy".into();
    s.create_user(&li).await.unwrap();

    let (page, total) = s.users_page(&UserFilter::default(), Page::new(0, 10)).await.unwrap();
    assert_eq!(total, 27);
    assert_eq!(page.len(), 10);
    assert_eq!(page[0].user.username, "li");
    let (last, _) = s.users_page(&UserFilter::default(), Page::new(20, 10)).await.unwrap();
    assert_eq!(last.len(), 7);

    let by = |search: &str| UserFilter { search: Some(search.into()), ..UserFilter::default() };
    let (found, n) = s.users_page(&by("USER1"), Page::new(0, 50)).await.unwrap();
    assert_eq!(n, 10, "user10..user19");
    assert!(found.iter().all(|l| l.user.username.starts_with("user1")));
    let (found, n) = s.users_page(&by("deputy"), Page::new(0, 50)).await.unwrap();
    assert_eq!((n, found[0].user.username.as_str()), (1, "li"), "display names are searched too");
    assert_eq!(s.users_page(&by("李"), Page::new(0, 50)).await.unwrap().1, 1);
    assert_eq!(s.users_page(&by("%"), Page::new(0, 50)).await.unwrap().1, 27, "% is not a wildcard");

    let role = UserFilter { role: Some(Role::Department), ..UserFilter::default() };
    let (found, n) = s.users_page(&role, Page::new(0, 50)).await.unwrap();
    assert_eq!((n, found[0].user.department.as_deref()), (1, Some("tax_bureau")));
    s.change_user("user03", &UserChange::Active(false), &admin()).await.unwrap();
    let inactive = UserFilter { active: Some(false), ..UserFilter::default() };
    let (found, n) = s.users_page(&inactive, Page::new(0, 50)).await.unwrap();
    assert_eq!((n, found[0].user.username.as_str()), (1, "user03"));
}

async fn role_changes_keep_the_ties_the_role_needs_and_end_sessions(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    s.create_user(&user("wang", Role::Department, Some("tax_bureau"))).await.unwrap();
    session(s, 'a', "wang").await;
    let to_supervisor = UserChange::Role { role: Role::Supervisor, enterprise: None, department: None };
    let u = s.change_user("wang", &to_supervisor, &admin()).await.unwrap();
    assert_eq!(
        (u.role, u.department),
        (Role::Supervisor, None),
        "a supervisor need not belong to a department"
    );
    assert_eq!(s.session_by_hash(&"a".repeat(64)).await.unwrap(), None, "their rights changed: sessions end");

    let to_department =
        UserChange::Role { role: Role::Department, enterprise: None, department: Some("税务局".into()) };
    let u = s.change_user("wang", &to_department, &admin()).await.unwrap();
    assert_eq!(
        u.department.as_deref(),
        Some("tax_bureau"),
        "a department by its Chinese name is stored by code"
    );
    let cadre =
        UserChange::Role { role: Role::Cadre, enterprise: None, department: Some("tax_bureau".into()) };
    let u = s.change_user("wang", &cadre, &admin()).await.unwrap();
    assert_eq!(
        (u.role, u.department.as_deref()),
        (Role::Cadre, Some("tax_bureau")),
        "a cadre may keep a department"
    );
    s.change_user("wang", &to_department, &admin()).await.unwrap();

    let without = UserChange::Role { role: Role::Department, enterprise: None, department: None };
    assert!(matches!(
        s.change_user("wang", &without, &admin()).await,
        Err(StoreError::RoleNeedsDepartment { .. })
    ));
    let unknown =
        UserChange::Role { role: Role::Department, enterprise: None, department: Some("nowhere".into()) };
    assert!(matches!(
        s.change_user("wang", &unknown, &admin()).await,
        Err(StoreError::UnknownDepartment { .. })
    ));
    let enterprise = UserChange::Role { role: Role::Enterprise, enterprise: None, department: None };
    assert!(matches!(
        s.change_user("wang", &enterprise, &admin()).await,
        Err(StoreError::RoleNeedsEnterprise { .. })
    ));
    assert_eq!(s.user_by_username("wang").await.unwrap().unwrap().department.as_deref(), Some("tax_bureau"));
    assert!(matches!(
        s.change_user("nobody", &UserChange::Active(true), &admin()).await,
        Err(StoreError::UserNotFound { .. })
    ));
    assert_eq!(s.user_link_count("wang").await.unwrap(), 0);
}

async fn deactivation_and_password_resets_are_recorded(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    s.create_user(&user("zhao", Role::Policy, None)).await.unwrap();
    session(s, 'b', "zhao").await;
    let u = s.change_user("zhao", &UserChange::Active(false), &admin()).await.unwrap();
    assert!(!u.active);
    assert_eq!(s.session_by_hash(&"b".repeat(64)).await.unwrap(), None);
    assert!(s.change_user("zhao", &UserChange::Active(true), &admin()).await.unwrap().active);

    let now = at("2024-03-01T10:00:00+08:00");
    let failures = SignInFailures {
        failures: 5,
        locks: 1,
        locked_until: Some(now + Duration::minutes(15)),
        last_failure: now,
    };
    s.set_sign_in_failures("zhao", "203.0.113.9", &failures).await.unwrap();
    session(s, 'c', "zhao").await;
    let u = s.change_user("zhao", &UserChange::PasswordHash("$argon2id$new".into()), &admin()).await.unwrap();
    assert_eq!(u.password_hash, "$argon2id$new");
    assert_eq!(s.session_by_hash(&"c".repeat(64)).await.unwrap(), None, "a reset ends every session");
    assert_eq!(s.sign_in_failures("zhao", "203.0.113.9").await.unwrap(), None, "a reset lifts the locks");
}

async fn failed_sign_ins_are_kept_per_address_and_an_unlock_clears_them_all(s: &dyn Store) {
    s.create_user(&user("admin", Role::Admin, None)).await.unwrap();
    let now = at("2024-03-01T10:00:00+08:00");
    assert_eq!(s.sign_in_failures("admin", "203.0.113.9").await.unwrap(), None);
    let locked = SignInFailures {
        failures: 5,
        locks: 2,
        locked_until: Some(now + Duration::minutes(30)),
        last_failure: now,
    };
    s.set_sign_in_failures("admin", "203.0.113.9", &locked).await.unwrap();
    assert_eq!(s.sign_in_failures("admin", "203.0.113.9").await.unwrap(), Some(locked));
    assert_eq!(
        s.sign_in_failures("admin", "198.51.100.1").await.unwrap(),
        None,
        "another address is not touched"
    );
    let two = SignInFailures { failures: 2, locks: 0, locked_until: None, last_failure: now };
    s.set_sign_in_failures("admin", "198.51.100.1", &two).await.unwrap();
    assert_eq!(s.sign_in_failures("admin", "198.51.100.1").await.unwrap(), Some(two), "replaced, not added");
    assert!(matches!(
        s.set_sign_in_failures("nobody", "198.51.100.1", &two).await,
        Err(StoreError::UserNotFound { .. })
    ));

    let (listed, _) = s.users_page(&UserFilter::default(), Page::default()).await.unwrap();
    assert_eq!(listed[0].locked_until, locked.locked_until, "the list shows the latest lock");

    s.clear_sign_in_failures("admin", "198.51.100.1").await.unwrap();
    assert_eq!(s.sign_in_failures("admin", "198.51.100.1").await.unwrap(), None);
    assert_eq!(s.unlock_user("admin", &Stamp::new("root", now)).await.unwrap(), 1);
    assert_eq!(s.sign_in_failures("admin", "203.0.113.9").await.unwrap(), None);
    assert_eq!(s.unlock_user("admin", &Stamp::new("root", now)).await.unwrap(), 0);
    assert!(matches!(s.unlock_user("nobody", &admin()).await, Err(StoreError::UserNotFound { .. })));
}

async fn categories_are_added_after_the_others_with_their_routing(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    let before = s.categories_with_routing().await.unwrap();
    let new = Category {
        code: "data_compliance".into(),
        name: "数据合规".into(),
        en: "Data compliance".into(),
        plan: String::new(),
        departments: vec!["税务局".into(), "market_regulation".into()],
    };
    let added = s.add_category(&new, &admin()).await.unwrap();
    assert_eq!(added.departments, ["tax_bureau", "market_regulation"]);
    let after = s.categories_with_routing().await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.last(), Some(&added), "read back at once, last in order");
    assert!(matches!(s.add_category(&new, &admin()).await, Err(StoreError::CategoryExists { .. })));
    let same_name = Category { code: "other".into(), ..new.clone() };
    let r = s.add_category(&same_name, &admin()).await;
    assert!(matches!(r, Err(StoreError::CategoryExists { .. })), "{r:?}");
    let unknown = Category {
        code: "x".into(),
        name: "某类".into(),
        departments: vec!["nowhere".into()],
        ..new.clone()
    };
    assert!(matches!(s.add_category(&unknown, &admin()).await, Err(StoreError::UnknownDepartment { .. })));
    let empty = Category { code: "y".into(), name: "某类二".into(), departments: vec![], ..new };
    assert!(matches!(s.add_category(&empty, &admin()).await, Err(StoreError::EmptyRouting { .. })));
    assert_eq!(s.categories_with_routing().await.unwrap().len(), before.len() + 1, "refusals write nothing");
}
