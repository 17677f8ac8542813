//! Events of issue 15 over a real store (SQLite always; PostgreSQL when `HUIQI_TEST_PG_URL`
//! is set): a department publishes; enterprises register and get seats in order, then the
//! waiting list; a cancellation and a larger room move the list up in order; concurrent
//! registrations for the last seat give it to exactly one; check-in on the day, no-shows at
//! the close, feedback from those who came; the month's reach by line of the plan; an
//! enterprise outside the audience does not see the event.

use app::events::{self, PublishRequest, When};
use app::{App, Error, FixedClock, Principal};
use chrono::{DateTime, NaiveDate};
use enterprise::UnifiedCreditCode;
use services::events::RegistrationState as R;
use std::sync::Arc;
use store::{Role, Store};

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn enterprise(uscc: &UnifiedCreditCode) -> Principal {
    Principal {
        username: format!("qiye{}", &uscc.to_string()[10..]),
        role: Role::Enterprise,
        enterprise: Some(uscc.clone()),
        department: None,
        display_name: "企业".into(),
    }
}

fn briefing(capacity: u32) -> PublishRequest {
    PublishRequest {
        kind: "政策宣讲".into(),
        title: "留抵退税政策解读会".into(),
        description: "税务局讲解留抵退税。".into(),
        place: "麓谷企业广场A座报告厅".into(),
        starts_at: "2026-12-10 09:00".into(),
        ends_at: "2026-12-10 11:30".into(),
        registration_closes_at: Some("2026-12-09 18:00".into()),
        capacity,
        max_per_enterprise: Some(2),
        ..Default::default()
    }
}

async fn events_from_publishing_to_feedback(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 40).await;
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let routing = app::problems::routing(&app).await.unwrap();
    let dept = routing.departments[0].code.clone();
    let officer = Principal {
        username: "bumen".into(),
        role: Role::Department,
        enterprise: None,
        department: Some(dept.clone()),
        display_name: "部门".into(),
    };
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    let (a, b, c, d) = (&codes[0], &codes[1], &codes[2], &codes[3]);

    // Bad input: a clear 400 naming the field, nothing stored.
    let mut bad = briefing(3);
    bad.ends_at = "2026-12-10 08:00".into();
    let e = events::publish(&app, &officer, &bad).await.unwrap_err();
    assert_eq!(e.kind(), app::ErrorKind::BadRequest, "{e:?}");
    let mut bad = briefing(3);
    bad.starts_at = "0000-01-01 09:00".into();
    assert!(
        matches!(events::publish(&app, &officer, &bad).await, Err(Error::Invalid { field, .. }) if field == "starts_at")
    );
    assert!(matches!(events::publish(&app, &enterprise(a), &briefing(3)).await, Err(Error::Forbidden)));

    let ev = events::publish(&app, &officer, &briefing(3)).await.unwrap();
    assert_eq!(ev.event.department, dept);
    let id = ev.id;
    let state = |o: &events::RosterOutcome| o.changes.last().map(|c| c.to).unwrap();
    let r = events::register(&app, &enterprise(a), id, a, 2, "张三、李四").await.unwrap();
    assert_eq!((state(&r), r.seats_free), (R::Confirmed, 1));
    let r = events::register(&app, &enterprise(b), id, b, 2, "王五").await.unwrap();
    assert_eq!(state(&r), R::Waitlisted);
    let r = events::register(&app, &enterprise(c), id, c, 1, "赵六").await.unwrap();
    assert_eq!(state(&r), R::Waitlisted, "one seat is free but b waits first");
    let e = events::register(&app, &enterprise(a), id, a, 1, "").await.unwrap_err();
    assert_eq!(e.kind(), app::ErrorKind::Conflict);
    // An enterprise registers only itself.
    assert!(events::register(&app, &enterprise(a), id, d, 1, "").await.is_err());

    // a cancels: b then c move up, in order.
    let r = events::cancel(&app, &enterprise(a), id, a).await.unwrap();
    let moved: Vec<R> = r.changes.iter().map(|c| c.to).collect();
    assert_eq!(moved, vec![R::Cancelled, R::Confirmed, R::Confirmed]);
    // The officer registers d by telephone: waiting; a larger room seats it.
    let r = events::register(&app, &officer, id, d, 1, "钱七").await.unwrap();
    assert_eq!(state(&r), R::Waitlisted);
    let r = events::set_capacity(&app, &officer, id, 4).await.unwrap();
    assert_eq!((state(&r), r.seats_free), (R::Confirmed, 0));

    // The enterprise sees its registration; the officer the roster.
    let mine = events::list(&app, &enterprise(b), When::Upcoming).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].mine.as_ref().map(|m| m.state), Some(R::Confirmed));
    let detail = events::show(&app, &officer, id).await.unwrap();
    assert!(detail.manages);
    assert_eq!(detail.roster.len(), 4);
    assert_eq!(detail.view.summary.seats_taken, 4);

    // Concurrent registrations for one seat: exactly one gets it.
    let one = events::publish(&app, &officer, &PublishRequest { max_per_enterprise: Some(1), ..briefing(1) })
        .await
        .unwrap()
        .id;
    let tasks: Vec<_> = codes[10..16]
        .iter()
        .map(|u| {
            let (app, u) = (app.clone(), u.clone());
            tokio::spawn(async move { events::register(&app, &enterprise(&u), one, &u, 1, "").await })
        })
        .collect();
    let mut confirmed = 0;
    for t in tasks {
        let r = t.await.unwrap().unwrap();
        confirmed += usize::from(state(&r) == R::Confirmed);
    }
    assert_eq!(confirmed, 1);
    let roster = events::show(&app, &officer, one).await.unwrap().roster;
    assert_eq!(roster.iter().filter(|r| r.state == R::Confirmed).count(), 1);
    assert_eq!(roster.iter().filter(|r| r.state == R::Waitlisted).count(), 5);

    // Registration closes; on the day, check-in; after it, no-shows and feedback.
    clock.set(at("2026-12-09T19:00:00+08:00"));
    assert_eq!(
        events::register(&app, &enterprise(a), id, a, 1, "").await.unwrap_err().kind(),
        app::ErrorKind::Conflict
    );
    clock.set(at("2026-12-10T08:30:00+08:00"));
    assert!(matches!(events::check_in(&app, &enterprise(b), id, b).await, Err(Error::Forbidden)));
    events::check_in(&app, &officer, id, b).await.unwrap();
    assert!(events::close(&app, &officer, id).await.is_err(), "not over yet");
    clock.set(at("2026-12-10T12:00:00+08:00"));
    let r = events::close(&app, &officer, id).await.unwrap();
    assert_eq!(r.changes.iter().filter(|c| c.to == R::NoShow).count(), 2);
    events::feedback(&app, &enterprise(b), id, b, 5, "讲得很清楚").await.unwrap();
    let e = events::feedback(&app, &enterprise(c), id, c, 4, "").await.unwrap_err();
    assert_eq!(e.kind(), app::ErrorKind::Conflict, "c did not come");
    let roster = events::show(&app, &officer, id).await.unwrap().roster;
    let b_row = roster.iter().find(|r| r.uscc == b.to_string() && r.state == R::CheckedIn).unwrap();
    assert_eq!((b_row.feedback, b_row.feedback_text.as_str()), (Some(5), "讲得很清楚"));

    // The month's reach by line of the plan.
    let leader =
        Principal { role: Role::Leader, department: None, username: "lingdao".into(), ..officer.clone() };
    let reach = events::reach(&app, &leader, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).await.unwrap();
    let briefings = reach.iter().find(|r| r.clause == "三.3").unwrap();
    // b, c, d on the first (a cancelled), six on the second; b came.
    assert_eq!((briefings.events, briefings.registered, briefings.came), (2, 9, 1));
    // The second briefing ended with a confirmed registration neither checked in nor marked
    // absent: its attendance was not taken, and the leader's service-line row says so.
    assert_eq!(briefings.attendance_missing, 1);
    let lines = app::service_lines::dashboard(&app, &leader, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        .await
        .unwrap();
    let row = lines.iter().find(|l| l.name_zh == "政策宣讲").unwrap();
    assert_eq!((row.clause, row.behind, row.href), ("三.3", 1, Some("/events")));
    assert_eq!(row.figures.iter().map(|f| f.value).collect::<Vec<_>>(), vec![2, 9, 1]);
    let clauses: Vec<_> = lines.iter().map(|l| l.clause).collect();
    assert_eq!(clauses.first(), Some(&"三.2"), "in the plan's order: {clauses:?}");
    assert_eq!(clauses.last(), Some(&"三.16"), "credit repair (三.16) closes the table: {clauses:?}");
    assert!(clauses.contains(&"三.15") && clauses.contains(&"三.7"), "{clauses:?}");
    // Not for an enterprise.
    assert!(
        app::service_lines::dashboard(&app, &enterprise(a), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
            .await
            .is_err()
    );

    // An event for another industry is not shown to an enterprise outside it.
    let mut narrow = briefing(5);
    narrow.industries = vec!["T".into()];
    let hidden = events::publish(&app, &officer, &narrow).await.unwrap().id;
    assert!(matches!(events::show(&app, &enterprise(a), hidden).await, Err(Error::EventNotFound { .. })));
    assert!(
        events::list(&app, &enterprise(a), When::All)
            .await
            .unwrap()
            .iter()
            .all(|v| v.summary.record.id != hidden)
    );

    // Every write is audited.
    let audit = app.store.audit_records("event", Some(&id.to_string()), 100).await.unwrap();
    assert!(audit.len() >= 10, "{}", audit.len());
}

macro_rules! both {
    ($($name:ident),*) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (s, _dir) = crate::matching::sqlite().await;
                    super::$name(s).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(s) = crate::matching::postgres(concat!("app_events_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(events_from_publishing_to_feedback);
