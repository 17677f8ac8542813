//! The repository test suite: every test is a function over `&dyn Store`, run against a fresh
//! SQLite file always and against a fresh PostgreSQL schema when `HUIQI_TEST_PG_URL` is set
//! (otherwise the PostgreSQL half prints a notice and passes).

use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::{
    Enterprise, EnterpriseRecord, FactRecord, FactSource, FactValue, IndustryCode, TaxCreditRating,
    TaxpayerType, ThreeLinks, UnifiedCreditCode,
};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::str::FromStr;
use store::import::ImportKind;
use store::{
    EnterpriseFilter, ImportFormat, ImportProblem, ImportRequest, LoginState, NewUser, Page, Role, Stamp,
    Store, StoreError,
};

// ---------------------------------------------------------------------------------------
// Backends

suite!(
    "t";
    migrations_are_idempotent,
    reference_data_is_seeded_once_and_editable,
    departments_can_be_added_and_renamed,
    import_creates_then_records_only_real_changes,
    a_bad_record_rolls_back_the_whole_import,
    a_dry_run_writes_nothing,
    three_links_are_checked_and_recorded,
    users_are_created_checked_and_updated,
    lists_filter_and_page,
    facts_round_trip_exactly,
    the_bulk_reader_streams_in_id_order,
    an_enterprise_head_has_its_links_and_a_version_that_moves_with_every_change,
    a_partial_import_keeps_what_the_file_does_not_state,
    import_changes_preview_exactly_what_an_import_does,
    lists_filter_by_link_and_keep_the_target_flag_with_its_registrations,
    only_market_entities_are_assistance_targets,
);

// ---------------------------------------------------------------------------------------
// Fixtures

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn admin() -> Stamp {
    Stamp::new("admin", at("2022-05-06T09:30:00+08:00"))
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn code(n: u32) -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 10_000_000 + n)).unwrap()
}

fn money(s: &str) -> FactValue {
    FactValue::Money(Decimal::from_str(s).unwrap())
}

fn fact(id: &str, year: i32, value: FactValue) -> FactRecord {
    FactRecord {
        fact: id.into(),
        year: Some(year),
        value,
        source: FactSource::Tax,
        as_of: date("2022-03-31"),
    }
}

fn record(n: u32) -> EnterpriseRecord {
    EnterpriseRecord {
        scope: Default::default(),
        enterprise: Enterprise {
            uscc: code(n),
            name: format!("长沙麓谷第{n}科技有限公司"),
            registered_in_zone: true,
            tax_registered_in_zone: !n.is_multiple_of(3),
            industry_code: Some(
                IndustryCode::parse(if n.is_multiple_of(2) { "C3511" } else { "I6513" }).unwrap(),
            ),
            established_on: Some(date("2015-06-01")),
            taxpayer_type: Some(TaxpayerType::General),
            tax_credit_rating: Some(TaxCreditRating::A),
            tags: if n.is_multiple_of(4) { ["专精特新".to_string()].into() } else { BTreeSet::new() },
        },
        facts: vec![
            fact("employees", 2021, FactValue::Integer(50 + i64::from(n))),
            fact("revenue", 2021, money("12345678.90")),
        ],
    }
}

fn import(records: Vec<EnterpriseRecord>, dry_run: bool) -> ImportRequest {
    ImportRequest {
        actor: admin(),
        file_name: "enterprises.csv".into(),
        format: ImportFormat::Csv,
        records,
        dry_run,
    }
}

fn user(name: &str, role: Role) -> NewUser {
    NewUser {
        username: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        enterprise: None,
        department: None,
        display_name: format!("{name} 同志"),
        at: at("2022-05-06T09:00:00+08:00"),
    }
}

// ---------------------------------------------------------------------------------------
// Tests

async fn migrations_are_idempotent(s: &dyn Store) {
    // The fixture migrated once already.
    let again = s.migrate().await.unwrap();
    assert!(again.applied.is_empty(), "{again:?}");
    assert_eq!(again.current, store_sqlite::MIGRATIONS.last().map_or(0, |m| m.version));
    assert_eq!(s.enterprise_count().await.unwrap(), 0);
}

async fn reference_data_is_seeded_once_and_editable(s: &dyn Store) {
    assert!(s.seed_reference_data().await.unwrap());
    let cats = s.categories_with_routing().await.unwrap();
    assert_eq!(cats.len(), 16, "the plan's 15 and transfer_power (issue 15)");
    assert_eq!(cats, enterprise::Routing::seed().categories, "seeded as the plan's table, in order");
    assert_eq!(s.departments().await.unwrap().len(), enterprise::Routing::seed().departments.len());

    // Edit: by Chinese name or code; lead first.
    let c = s
        .set_category_departments(
            "物流",
            &["经济发展局".into(), "urban_management_environment".into()],
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(c.departments, ["economic_development", "urban_management_environment"]);
    assert!(!s.seed_reference_data().await.unwrap(), "a second start does not reseed");
    let logistics = s.categories_with_routing().await.unwrap().into_iter().find(|c| c.name == "物流");
    assert_eq!(logistics.unwrap().departments[0], "economic_development");

    // Bad edits change nothing.
    let before = s.categories_with_routing().await.unwrap();
    let e = s.set_category_departments("物流", &["经济发展局".into(), "不存在的局".into()], &admin()).await;
    assert_eq!(e, Err(StoreError::UnknownDepartment { department: "不存在的局".into() }));
    let e = s.set_category_departments("物流", &[], &admin()).await;
    assert!(matches!(e, Err(StoreError::EmptyRouting { .. })), "{e:?}");
    let e = s.set_category_departments("天气", &["经济发展局".into()], &admin()).await;
    assert!(matches!(e, Err(StoreError::CategoryNotFound { .. })), "{e:?}");
    assert_eq!(s.categories_with_routing().await.unwrap(), before);
}

async fn departments_can_be_added_and_renamed(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    let d = enterprise::Department {
        code: "data_bureau".into(),
        name: "数据资源局".into(),
        en: "Data Bureau".into(),
        note: None,
    };
    s.add_department(&d, &admin()).await.unwrap();
    assert_eq!(
        s.add_department(&d, &admin()).await,
        Err(StoreError::DepartmentExists { code: "data_bureau".into() })
    );
    let renamed = enterprise::Department { name: "数据资源管理局".into(), ..d.clone() };
    s.update_department(&renamed, &admin()).await.unwrap();
    let all = s.departments().await.unwrap();
    assert!(all.contains(&renamed), "{all:?}");
    let ghost = enterprise::Department { code: "ghost".into(), ..d };
    assert!(matches!(s.update_department(&ghost, &admin()).await, Err(StoreError::UnknownDepartment { .. })));
    // The new department can be routed to.
    s.set_category_departments("other", &["数据资源管理局".into()], &admin()).await.unwrap();
}

async fn import_creates_then_records_only_real_changes(s: &dyn Store) {
    let records: Vec<EnterpriseRecord> = (1..=3).map(record).collect();
    let first = s.apply_import(import(records.clone(), false)).await.unwrap();
    assert_eq!((first.rows, first.created, first.updated, first.unchanged, first.changes), (3, 3, 0, 0, 3));
    assert!(first.batch_id.is_some());
    assert_eq!(s.enterprise_count().await.unwrap(), 3);

    // The same file again: nothing changes, nothing is recorded.
    let again = s.apply_import(import(records.clone(), false)).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged, again.changes), (0, 0, 3, 0));

    // A real change to one registry field and one fact, plus a new fact.
    let mut changed = records.clone();
    changed[1].enterprise.tax_credit_rating = Some(TaxCreditRating::B);
    changed[1].facts[1] = fact("revenue", 2021, money("12345679.00"));
    changed[1].facts.push(fact("employees", 2022, FactValue::Integer(80)));
    let later = Stamp::new("importer", at("2022-06-01T10:00:00+08:00"));
    let third =
        s.apply_import(ImportRequest { actor: later.clone(), ..import(changed, false) }).await.unwrap();
    assert_eq!((third.created, third.updated, third.unchanged, third.changes), (0, 1, 2, 3));

    let uscc = code(2);
    let log = s.enterprise_changes(&uscc).await.unwrap();
    let rows: Vec<(&str, Option<&str>, Option<&str>)> =
        log.iter().map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref())).collect();
    assert_eq!(
        rows,
        [
            ("*", None, Some("长沙麓谷第2科技有限公司")),
            ("tax_credit_rating", Some("A"), Some("B")),
            ("revenue[2021]", Some("12345678.9"), Some("12345679")),
            ("employees[2022]", None, Some("80")),
        ]
    );
    assert_eq!(log[1].actor, "importer");
    assert_eq!(log[1].at, later.at);
    assert_eq!(log[1].batch_id, third.batch_id);
    assert_eq!(log[0].batch_id, first.batch_id);

    let view = s.get_enterprise(&uscc).await.unwrap().unwrap();
    assert_eq!(view.enterprise.tax_credit_rating, Some(TaxCreditRating::B));
    assert_eq!(view.created_at, admin().at);
    assert_eq!(view.updated_at, later.at);
    assert_eq!(view.facts.len(), 3);
    let unchanged = s.get_enterprise(&code(1)).await.unwrap().unwrap();
    assert_eq!(unchanged.updated_at, admin().at, "an unchanged enterprise keeps its updated_at");

    let batches = s.import_batches(10).await.unwrap();
    assert_eq!(batches.len(), 3);
    assert_eq!((batches[0].updated, batches[0].unchanged, batches[0].rows), (1, 2, 3));
    assert_eq!(batches[0].format, "csv");
    assert_eq!(
        s.enterprise_changes(&code(99)).await,
        Err(StoreError::EnterpriseNotFound { uscc: code(99).to_string() })
    );
}

async fn a_bad_record_rolls_back_the_whole_import(s: &dyn Store) {
    s.apply_import(import(vec![record(1)], false)).await.unwrap();
    let mut records: Vec<EnterpriseRecord> = (1..=4).map(record).collect();
    records[0].enterprise.name = "改名后的公司".into();
    records[2].facts.push(fact("revenu", 2021, money("1")));
    let e = s.apply_import(import(records.clone(), false)).await;
    assert_eq!(
        e,
        Err(StoreError::ImportRecord {
            record: 3,
            uscc: code(3).to_string(),
            problem: ImportProblem::UnknownFact { fact: "revenu".into() },
        })
    );
    assert_eq!(s.enterprise_count().await.unwrap(), 1);
    assert_eq!(s.get_enterprise(&code(1)).await.unwrap().unwrap().enterprise.name, "长沙麓谷第1科技有限公司");
    assert_eq!(s.enterprise_changes(&code(1)).await.unwrap().len(), 1);
    assert_eq!(s.import_batches(10).await.unwrap().len(), 1);

    // The same enterprise twice in one file.
    records[2] = record(1);
    let e = s.apply_import(import(records, false)).await;
    assert!(
        matches!(
            e,
            Err(StoreError::ImportRecord {
                record: 3,
                problem: ImportProblem::DuplicateEnterprise { first: 1 },
                ..
            })
        ),
        "{e:?}"
    );
    assert_eq!(s.enterprise_count().await.unwrap(), 1);
}

async fn a_dry_run_writes_nothing(s: &dyn Store) {
    s.apply_import(import(vec![record(1)], false)).await.unwrap();
    let mut records: Vec<EnterpriseRecord> = (1..=5).map(record).collect();
    records[0].enterprise.name = "改名后的公司".into();
    let dry = s.apply_import(import(records.clone(), true)).await.unwrap();
    assert_eq!((dry.batch_id, dry.created, dry.updated, dry.unchanged, dry.changes), (None, 4, 1, 0, 5));
    assert_eq!(s.enterprise_count().await.unwrap(), 1);
    assert_eq!(s.enterprise_changes(&code(1)).await.unwrap().len(), 1);
    assert_eq!(s.import_batches(10).await.unwrap().len(), 1);
    // The real run does what the dry run said.
    let real = s.apply_import(import(records, false)).await.unwrap();
    assert_eq!((real.created, real.updated, real.unchanged, real.changes), (4, 1, 0, 5));
}

async fn three_links_are_checked_and_recorded(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    s.apply_import(import(vec![record(1)], false)).await.unwrap();
    s.create_user(&user("wang_leader", Role::Leader)).await.unwrap();
    s.create_user(&user("li_cadre", Role::Cadre)).await.unwrap();
    let uscc = code(1);
    let links = ThreeLinks {
        leader: Some("wang_leader".into()),
        department: Some("经济发展局".into()),
        cadre: Some("li_cadre".into()),
    };
    let changes = s.set_three_links(&uscc, &links, &admin()).await.unwrap();
    assert_eq!(changes.len(), 3);
    let view = s.get_enterprise(&uscc).await.unwrap().unwrap();
    assert_eq!(view.links.department.as_deref(), Some("economic_development"), "stored by code");
    assert_eq!(view.links.leader.as_deref(), Some("wang_leader"));
    // Setting the same again records nothing; changing one records one.
    assert!(s.set_three_links(&uscc, &view.links, &admin()).await.unwrap().is_empty());
    let fewer = ThreeLinks { cadre: None, ..view.links.clone() };
    let c = s.set_three_links(&uscc, &fewer, &admin()).await.unwrap();
    assert_eq!(c.len(), 1);
    let log = s.enterprise_changes(&uscc).await.unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.field.as_str(), last.old.as_deref(), last.new.as_deref()),
        ("links.cadre", Some("li_cadre"), None)
    );
    assert_eq!(log.len(), 1 + 3 + 1);

    // Wrong role, unknown user, unknown department, unknown enterprise: refused, nothing written.
    let swapped = ThreeLinks { leader: Some("li_cadre".into()), ..fewer.clone() };
    assert!(matches!(s.set_three_links(&uscc, &swapped, &admin()).await, Err(StoreError::WrongRole { .. })));
    let ghost = ThreeLinks { cadre: Some("nobody".into()), ..fewer.clone() };
    assert!(matches!(s.set_three_links(&uscc, &ghost, &admin()).await, Err(StoreError::UserNotFound { .. })));
    let dept = ThreeLinks { department: Some("天气局".into()), ..fewer.clone() };
    assert!(matches!(
        s.set_three_links(&uscc, &dept, &admin()).await,
        Err(StoreError::UnknownDepartment { .. })
    ));
    assert!(matches!(
        s.set_three_links(&code(2), &fewer, &admin()).await,
        Err(StoreError::EnterpriseNotFound { .. })
    ));
    assert_eq!(s.enterprise_changes(&uscc).await.unwrap().len(), 5);
}

async fn users_are_created_checked_and_updated(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    s.apply_import(import(vec![record(1)], false)).await.unwrap();
    let admin_user = s.create_user(&user("admin", Role::Admin)).await.unwrap();
    assert_eq!(admin_user.role, Role::Admin);
    assert!(admin_user.active);
    assert_eq!(admin_user.failed_logins, 0);
    assert_eq!(
        s.create_user(&user("admin", Role::Policy)).await,
        Err(StoreError::UsernameTaken { username: "admin".into() })
    );
    assert!(matches!(
        s.create_user(&user("bad name", Role::Policy)).await,
        Err(StoreError::InvalidUsername { .. })
    ));

    // An enterprise user needs its enterprise, a department user its department.
    assert!(matches!(
        s.create_user(&user("ent", Role::Enterprise)).await,
        Err(StoreError::RoleNeedsEnterprise { .. })
    ));
    let ent = NewUser { enterprise: Some(code(1)), ..user("ent", Role::Enterprise) };
    assert_eq!(s.create_user(&ent).await.unwrap().enterprise, Some(code(1)));
    let ghost = NewUser { enterprise: Some(code(7)), ..user("ent2", Role::Enterprise) };
    assert!(matches!(s.create_user(&ghost).await, Err(StoreError::EnterpriseNotFound { .. })));
    assert!(matches!(
        s.create_user(&user("tax", Role::Department)).await,
        Err(StoreError::RoleNeedsDepartment { .. })
    ));
    let tax = NewUser { department: Some("税务局".into()), ..user("tax", Role::Department) };
    assert_eq!(s.create_user(&tax).await.unwrap().department.as_deref(), Some("tax_bureau"));
    let nowhere = NewUser { department: Some("天气局".into()), ..user("w", Role::Department) };
    assert!(matches!(s.create_user(&nowhere).await, Err(StoreError::UnknownDepartment { .. })));

    let names: Vec<String> = s.list_users().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["admin", "ent", "tax"]);

    s.set_password_hash("tax", "$argon2id$new").await.unwrap();
    let locked = at("2022-05-06T10:15:00+08:00");
    s.set_login_state("tax", LoginState { failed_logins: 5, locked_until: Some(locked) }).await.unwrap();
    s.set_user_active("ent", false).await.unwrap();
    let t = s.user_by_username("tax").await.unwrap().unwrap();
    assert_eq!(t.password_hash, "$argon2id$new");
    assert_eq!((t.failed_logins, t.locked_until), (5, Some(locked)));
    assert!(!s.user_by_username("ent").await.unwrap().unwrap().active);
    assert_eq!(s.user_by_username("nobody").await.unwrap(), None);
    assert_eq!(
        s.set_password_hash("nobody", "x").await,
        Err(StoreError::UserNotFound { username: "nobody".into() })
    );
}

async fn lists_filter_and_page(s: &dyn Store) {
    let records: Vec<EnterpriseRecord> = (1..=24).map(record).collect();
    s.apply_import(import(records, false)).await.unwrap();
    let all = EnterpriseFilter::default();
    let (page, total) = s.list_enterprises(&all, Page::new(0, 10)).await.unwrap();
    assert_eq!((page.len(), total), (10, 24));
    let (last, _) = s.list_enterprises(&all, Page::new(20, 10)).await.unwrap();
    assert_eq!(last.len(), 4);
    assert_eq!(last[3].uscc, code(24), "pages are in id (import) order");
    let (beyond, total) = s.list_enterprises(&all, Page::new(100, 10)).await.unwrap();
    assert_eq!((beyond.len(), total), (0, 24));

    let count =
        |f: EnterpriseFilter| async move { s.list_enterprises(&f, Page::new(0, 100)).await.unwrap().1 };
    // 1..=24: not a target when n % 3 == 0 (8 of them).
    assert_eq!(count(EnterpriseFilter { assistance_target: Some(true), ..Default::default() }).await, 16);
    assert_eq!(count(EnterpriseFilter { assistance_target: Some(false), ..Default::default() }).await, 8);
    assert_eq!(count(EnterpriseFilter { tag: Some("专精特新".into()), ..Default::default() }).await, 6);
    assert_eq!(
        count(EnterpriseFilter { tag: Some("专精".into()), ..Default::default() }).await,
        0,
        "tags match whole"
    );
    assert_eq!(count(EnterpriseFilter { industry: Some("C35".into()), ..Default::default() }).await, 12);
    assert_eq!(count(EnterpriseFilter { industry: Some("35".into()), ..Default::default() }).await, 12);
    assert_eq!(count(EnterpriseFilter { industry: Some("I".into()), ..Default::default() }).await, 12);
    assert_eq!(count(EnterpriseFilter { query: Some("第12科技".into()), ..Default::default() }).await, 1);
    assert_eq!(
        count(EnterpriseFilter { query: Some("%".into()), ..Default::default() }).await,
        0,
        "LIKE is escaped"
    );
    let c = code(7).to_string();
    assert_eq!(count(EnterpriseFilter { query: Some(c[8..].to_lowercase()), ..Default::default() }).await, 1);
    let both = EnterpriseFilter {
        tag: Some("专精特新".into()),
        assistance_target: Some(true),
        industry: Some("C".into()),
        ..Default::default()
    };
    // n % 4 == 0 and n % 3 != 0: 4, 8, 16, 20.
    let (rows, total) = s.list_enterprises(&both, Page::new(0, 2)).await.unwrap();
    assert_eq!(total, 4);
    assert_eq!(rows.iter().map(|r| r.uscc.clone()).collect::<Vec<_>>(), [code(4), code(8)]);
    assert_eq!(rows[0].tags, ["专精特新"]);
    assert!(rows[0].assistance_target);
    assert_eq!(rows[0].industry_code.as_deref(), Some("C3511"));
}

async fn facts_round_trip_exactly(s: &dyn Store) {
    let mut r = record(1);
    r.enterprise.tags = ["专精特新".into(), "高新技术企业".into(), "链:工程机械".into()].into();
    r.enterprise.established_on = Some(date("1999-12-31"));
    r.enterprise.taxpayer_type = Some(TaxpayerType::SmallScale);
    r.enterprise.tax_credit_rating = None;
    r.enterprise.industry_code = None;
    r.facts = vec![
        fact("revenue", 2021, money("98765432109876.54")),
        fact("revenue", 2022, money("0.01")),
        fact("total_assets", 2021, money("-1234.5")),
        fact("taxable_income", 2021, money("1000000.001")),
        fact("employees", 2022, FactValue::Integer(0)),
        FactRecord {
            fact: "rd_expense".into(),
            year: Some(2021),
            value: money("300000"),
            source: FactSource::SelfReported,
            as_of: date("2022-01-15"),
        },
    ];
    s.apply_import(import(vec![r.clone()], false)).await.unwrap();
    let view = s.get_enterprise(&code(1)).await.unwrap().unwrap();
    assert_eq!(view.enterprise, r.enterprise);
    assert!(view.assistance_target, "derived from both registrations");
    let mut expected = r.facts.clone();
    expected.sort_by(|a, b| (&a.fact, a.year).cmp(&(&b.fact, b.year)));
    assert_eq!(view.facts, expected);
    for (got, want) in view.facts.iter().zip(&expected) {
        assert_eq!(got.value.to_text(), want.value.to_text(), "exact decimal text");
        assert_eq!((got.source, got.as_of), (want.source, want.as_of));
    }
    // A re-import with the same values written differently is no change.
    let mut same = r.clone();
    same.facts[0] = fact("revenue", 2021, money("98765432109876.5400"));
    let o = s.apply_import(import(vec![same], false)).await.unwrap();
    assert_eq!((o.unchanged, o.changes), (1, 0));
}

async fn the_bulk_reader_streams_in_id_order(s: &dyn Store) {
    let records: Vec<EnterpriseRecord> = (1..=23).map(record).collect();
    s.apply_import(import(records.clone(), false)).await.unwrap();
    let mut seen = Vec::new();
    let n = store::for_each_enterprise(s, 5, |row| {
        seen.push(row);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(n, 23);
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id));
    for (row, rec) in seen.iter().zip(&records) {
        assert_eq!(row.enterprise, rec.enterprise);
        assert_eq!(row.facts.len(), rec.facts.len());
        assert!(row.facts.iter().all(|f| rec.facts.contains(f)));
    }
}

async fn an_enterprise_head_has_its_links_and_a_version_that_moves_with_every_change(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    assert_eq!(s.enterprise_head(&code(1)).await.unwrap(), None);
    s.apply_import(import(vec![record(1), record(2)], false)).await.unwrap();
    let first = s.enterprise_head(&code(1)).await.unwrap().unwrap();
    assert_eq!(first.id, s.get_enterprise(&code(1)).await.unwrap().unwrap().id);
    assert_eq!(first.links, ThreeLinks::default());

    // The same file again: nothing changes, the version stays (a cached answer stays valid).
    s.apply_import(import(vec![record(1), record(2)], false)).await.unwrap();
    assert_eq!(s.enterprise_head(&code(1)).await.unwrap().unwrap().version, first.version);

    // A changed fact moves it; another enterprise's change does not.
    let other = s.enterprise_head(&code(2)).await.unwrap().unwrap().version;
    let mut changed = record(1);
    changed.facts[0] = fact("employees", 2021, FactValue::Integer(7));
    s.apply_import(import(vec![changed.clone()], false)).await.unwrap();
    let after_fact = s.enterprise_head(&code(1)).await.unwrap().unwrap().version;
    assert!(after_fact > first.version);
    assert_eq!(s.enterprise_head(&code(2)).await.unwrap().unwrap().version, other);

    // A changed registry field moves it.
    changed.enterprise.tax_credit_rating = Some(TaxCreditRating::B);
    s.apply_import(import(vec![changed], false)).await.unwrap();
    let after_field = s.enterprise_head(&code(1)).await.unwrap().unwrap().version;
    assert!(after_field > after_fact);

    // Links are read with it, and setting them moves it too.
    s.create_user(&user("li_cadre", Role::Cadre)).await.unwrap();
    let links =
        ThreeLinks {
            cadre: Some("li_cadre".into()), department: Some("经济发展局".into()), leader: None
        };
    s.set_three_links(&code(1), &links, &admin()).await.unwrap();
    let head = s.enterprise_head(&code(1)).await.unwrap().unwrap();
    assert_eq!(head.links.cadre.as_deref(), Some("li_cadre"));
    assert_eq!(head.links.department.as_deref(), Some("economic_development"));
    assert!(head.version > after_field);
}

/// Issue 14: a file of the credit code, the name, the two flags, the year and 从业人数 cleared
/// the enterprise's industry code, establishment date, taxpayer type and credit rating.
async fn a_partial_import_keeps_what_the_file_does_not_state(s: &dyn Store) {
    s.apply_import(import(vec![record(1)], false)).await.unwrap();
    let mut partial = record(1);
    partial.enterprise.industry_code = None;
    partial.enterprise.established_on = None;
    partial.enterprise.taxpayer_type = None;
    partial.enterprise.tax_credit_rating = None;
    partial.enterprise.tags = BTreeSet::new();
    for f in ["industry_code", "established_on", "taxpayer_type", "tax_credit_rating", "tags"] {
        partial.scope.keep.insert(f.into());
    }
    partial.facts = vec![fact("employees", 2022, FactValue::Integer(52))];
    let o = s.apply_import(import(vec![partial.clone()], false)).await.unwrap();
    assert_eq!((o.updated, o.changes), (1, 1), "only the new fact changes");
    let v = s.get_enterprise(&code(1)).await.unwrap().unwrap();
    assert_eq!(v.enterprise, record(1).enterprise, "the registry fields stay");
    assert_eq!(v.facts.len(), 3, "the other facts stay");

    // Clearing: one stated-empty field and one stated-empty fact.
    partial.scope.keep.remove("tax_credit_rating");
    partial.scope.clear.push(("revenue".into(), Some(2021)));
    let o = s.apply_import(import(vec![partial], false)).await.unwrap();
    assert_eq!(o.changes, 2);
    let v = s.get_enterprise(&code(1)).await.unwrap().unwrap();
    assert_eq!(v.enterprise.tax_credit_rating, None);
    assert_eq!(v.enterprise.industry_code, record(1).enterprise.industry_code);
    assert!(!v.facts.iter().any(|f| f.fact == "revenue"), "{:?}", v.facts);
    let changes = s.enterprise_changes(&code(1)).await.unwrap();
    let last: Vec<(&str, Option<&str>, Option<&str>)> = changes[changes.len() - 2..]
        .iter()
        .map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref()))
        .collect();
    assert_eq!(last, [("tax_credit_rating", Some("A"), None), ("revenue[2021]", Some("12345678.9"), None)]);
}

async fn import_changes_preview_exactly_what_an_import_does(s: &dyn Store) {
    s.apply_import(import(vec![record(1), record(2)], false)).await.unwrap();
    let mut changed = record(2);
    changed.enterprise.name = "长沙新名称科技有限公司".into();
    changed.facts[0] = fact("employees", 2021, FactValue::Integer(9));
    let records = vec![record(1), changed, record(3)];
    let preview = s.import_changes(&records).await.unwrap();
    let kinds: Vec<ImportKind> = preview.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [ImportKind::Unchanged, ImportKind::Updated, ImportKind::Created]);
    let fields: Vec<(&str, Option<&str>, Option<&str>)> =
        preview[1].changes.iter().map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref())).collect();
    assert_eq!(
        fields,
        [
            ("name", Some("长沙麓谷第2科技有限公司"), Some("长沙新名称科技有限公司")),
            ("employees[2021]", Some("52"), Some("9"))
        ]
    );
    assert_eq!(preview[1].name, "长沙新名称科技有限公司");
    assert_eq!(s.enterprise_count().await.unwrap(), 2, "a preview writes nothing");
    let o = s.apply_import(import(records.clone(), false)).await.unwrap();
    let changes: usize = preview.iter().map(|r| r.changes.len()).sum();
    assert_eq!((o.created, o.updated, o.unchanged, o.changes), (1, 1, 1, changes as u64));
    let mut dup = records.clone();
    dup.push(record(1));
    assert!(matches!(s.import_changes(&dup).await, Err(StoreError::ImportRecord { .. })), "checked");
}

async fn lists_filter_by_link_and_keep_the_target_flag_with_its_registrations(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    s.apply_import(import((1..=6).map(record).collect(), false)).await.unwrap();
    s.create_user(&user("cadre_a", Role::Cadre)).await.unwrap();
    s.create_user(&user("lead_a", Role::Leader)).await.unwrap();
    for n in [2, 5] {
        let links =
            ThreeLinks { cadre: Some("cadre_a".into()), department: Some("tax_bureau".into()), leader: None };
        s.set_three_links(&code(n), &links, &admin()).await.unwrap();
    }
    let links = ThreeLinks { leader: Some("lead_a".into()), ..Default::default() };
    s.set_three_links(&code(6), &links, &admin()).await.unwrap();
    let list = |f: EnterpriseFilter| async move {
        let (rows, total) = s.list_enterprises(&f, Page::new(0, 100)).await.unwrap();
        (rows.into_iter().map(|r| r.uscc).collect::<Vec<_>>(), total)
    };
    let mine = EnterpriseFilter { cadre: Some("cadre_a".into()), ..Default::default() };
    assert_eq!(list(mine.clone()).await, (vec![code(2), code(5)], 2));
    let dept = EnterpriseFilter { department: Some("tax_bureau".into()), ..Default::default() };
    assert_eq!(list(dept).await.1, 2);
    assert_eq!(list(EnterpriseFilter { leader: Some("lead_a".into()), ..Default::default() }).await.1, 1);
    let nobody = EnterpriseFilter { cadre: Some("nobody".into()), ..Default::default() };
    assert_eq!(list(nobody).await.1, 0);
    let mine_targets = EnterpriseFilter { assistance_target: Some(true), ..mine.clone() };
    assert_eq!(list(mine_targets.clone()).await, (vec![code(2), code(5)], 2));

    // A registration leaves the zone: the stored flag follows (written from the domain rule).
    let mut moved = record(5);
    moved.enterprise.tax_registered_in_zone = false;
    s.apply_import(import(vec![moved], false)).await.unwrap();
    assert_eq!(list(mine_targets).await, (vec![code(2)], 1));
    let (rows, _) = s.list_enterprises(&mine, Page::new(0, 10)).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.assistance_target).collect::<Vec<_>>(), [true, false]);
    assert!(!s.get_enterprise(&code(5)).await.unwrap().unwrap().assistance_target);
}

/// Issue 11: a valid credit code of another registration authority (here a 社会团体, 民政 5 1)
/// is a registry row, never an assistance target, though both its registrations are in the
/// zone: not in the stored flag, the list filter, or the match's scan.
async fn only_market_entities_are_assistance_targets(s: &dyn Store) {
    s.seed_reference_data().await.unwrap();
    let mut association = record(1);
    association.enterprise.uscc = UnifiedCreditCode::from_parts('5', '1', "430100", "MA4L0001").unwrap();
    association.enterprise.tax_registered_in_zone = true;
    let mut company = record(2);
    company.enterprise.tax_registered_in_zone = true;
    s.apply_import(import(vec![association.clone(), company.clone()], false)).await.unwrap();
    let a = s.get_enterprise(&association.enterprise.uscc).await.unwrap().unwrap();
    assert!(!a.assistance_target, "registered in the zone, but not a market entity");
    assert!(s.get_enterprise(&company.enterprise.uscc).await.unwrap().unwrap().assistance_target);
    let targets = EnterpriseFilter { assistance_target: Some(true), ..Default::default() };
    let (rows, total) = s.list_enterprises(&targets, Page::new(0, 10)).await.unwrap();
    assert_eq!(
        (rows.into_iter().map(|r| r.uscc).collect::<Vec<_>>(), total),
        (vec![company.enterprise.uscc.clone()], 1)
    );
    let req = store::scan::ScanRequest { facts: vec!["is_market_entity".into()], targets_only: true };
    let page = s.scan_page(&req, 0, i64::MAX).await.unwrap();
    assert_eq!(page.ids.len(), 1, "the scan of assistance targets skips the association");
    let every = store::scan::ScanRequest { facts: vec!["is_market_entity".into()], targets_only: false };
    assert_eq!(s.scan_page(&every, 0, i64::MAX).await.unwrap().ids.len(), 2, "it is a registry row");
}
