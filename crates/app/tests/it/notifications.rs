//! Notifications (通知, issue 14) over a real store (SQLite always; PostgreSQL when
//! `HUIQI_TEST_PG_URL` is set): a problem raised notifies its lead department's users exactly
//! once each (one row, read per user); a refused action notifies no one; a warning is written
//! once however often the job runs (yellow, then red); the answer reaches the enterprise and
//! whoever raised a problem on its behalf; 督办 and its reply; a user reads and marks only
//! their own.

use app::notifications::{self as n, ListRequest};
use app::problems::{ActionRequest, RaiseRequest};
use app::{App, Clock, Error, FixedClock, Principal};
use chrono::{DateTime, Duration};
use enterprise::UnifiedCreditCode;
use std::sync::Arc;
use store::notifications::NotificationKind as K;
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

fn official(name: &str, role: Role, department: Option<&str>) -> Principal {
    Principal {
        username: name.into(),
        role,
        enterprise: None,
        department: department.map(str::to_string),
        display_name: name.into(),
    }
}

fn act(action: &str) -> ActionRequest {
    ActionRequest { action: action.into(), ..Default::default() }
}

async fn kinds(app: &App, p: &Principal) -> Vec<(K, i64)> {
    n::list(app, p, ListRequest::default())
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| (r.kind, r.problem_id))
        .collect()
}

async fn unread(app: &App, p: &Principal) -> u64 {
    n::unread_count(app, p).await.unwrap()
}

async fn notifications_follow_the_problem(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 6).await;
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    let ent = enterprise(&codes[0]);
    let view = app::problems::raise(
        &app,
        &ent,
        RaiseRequest {
            category: "tax".into(), title: "增值税留抵退税进度".into(), ..Default::default()
        },
    )
    .await
    .unwrap();
    let id = view.id();
    let lead = view.record.state.lead.clone();
    let routing = app::problems::routing(&app).await.unwrap();
    let other = routing.departments.iter().find(|d| d.code != lead).unwrap().code.clone();
    let (o1, o2) =
        (official("li", Role::Department, Some(&lead)), official("wang", Role::Department, Some(&lead)));
    let stranger = official("zhao", Role::Department, Some(&other));

    // One row for the department, read by each of its users: each sees it exactly once.
    assert_eq!(kinds(&app, &o1).await, vec![(K::Assigned, id)]);
    assert_eq!(kinds(&app, &o2).await, vec![(K::Assigned, id)]);
    assert_eq!(unread(&app, &o1).await, 1);
    assert_eq!(unread(&app, &stranger).await, 0, "another department is told nothing");
    assert_eq!(unread(&app, &ent).await, 0, "nobody is told of their own action");
    let page = n::list(&app, &o1, ListRequest::default()).await.unwrap();
    assert!(page.rows[0].text.contains("增值税留抵退税进度") && page.rows[0].text.chars().count() <= 200);

    // Reading is per user; nobody marks another's.
    let nid = page.rows[0].id;
    assert!(matches!(n::mark_read(&app, &stranger, nid).await, Err(Error::NotificationNotFound { .. })));
    assert!(matches!(n::mark_read(&app, &ent, nid).await, Err(Error::NotificationNotFound { .. })));
    assert_eq!(n::mark_read(&app, &o1, nid).await.unwrap(), id, "opening it leads to its problem");
    n::mark_read(&app, &o1, nid).await.unwrap();
    assert_eq!((unread(&app, &o1).await, unread(&app, &o2).await), (0, 1));
    let page = n::list(&app, &o1, ListRequest::default()).await.unwrap();
    assert!(page.rows[0].read_at.is_some());
    assert!(n::list(&app, &o1, ListRequest { page: 0, limit: 20 }).await.is_err());
    assert!(n::list(&app, &o1, ListRequest { page: 1, limit: 1000 }).await.is_err());
    assert!(matches!(n::unread_count(&app, &Principal::system()).await, Err(Error::Forbidden)));

    // Refused actions notify no one: an illegal one, and a stale version.
    assert!(app::problems::act(&app, &ent, id, act("answer")).await.is_err());
    let stale = ActionRequest { version: Some(99), ..act("accept") };
    assert!(app::problems::act(&app, &o1, id, stale).await.is_err());
    let rec = app.store.get_problem(id).await.unwrap();
    let refused = app
        .store
        .record_transition_expecting(
            id,
            &handling::Command::new(handling::Action::Accept),
            &o1.handling_actor(),
            clock.now(),
            clock.now(),
            99,
        )
        .await;
    assert!(refused.is_err());
    assert_eq!(app.store.get_problem(id).await.unwrap().state.seq, rec.state.seq);
    assert_eq!(unread(&app, &o2).await, 1);
    assert_eq!(unread(&app, &ent).await, 0);

    // Accept and start: the department's own actions tell it nothing.
    app::problems::act(&app, &o1, id, act("accept")).await.unwrap();
    let assign =
        ActionRequest { lead: Some(lead.clone()), cooperating: Some(vec![other.clone()]), ..act("assign") };
    app::problems::act(&app, &o1, id, assign).await.unwrap();
    assert_eq!(kinds(&app, &stranger).await, vec![(K::Assigned, id)], "the cooperating department is told");
    assert_eq!(unread(&app, &o2).await, 1);
    app::problems::act(&app, &o1, id, act("start")).await.unwrap();

    // Warnings come from time: once per light, however often the job runs.
    assert_eq!(n::generate_warnings(&app).await.unwrap(), 0);
    let row = app.store.get_problem(id).await.unwrap().row;
    let (yellow, red) = (row.projection.yellow_at.unwrap(), row.projection.red_at.unwrap());
    clock.set(yellow + Duration::minutes(1));
    assert_eq!(n::generate_warnings(&app).await.unwrap(), 1);
    assert_eq!(n::generate_warnings(&app).await.unwrap(), 0);
    clock.set(yellow + Duration::hours(3));
    assert_eq!(n::generate_warnings(&app).await.unwrap(), 0);
    assert_eq!(kinds(&app, &o2).await[0], (K::WarningYellow, id));
    clock.set(red + Duration::minutes(1));
    assert_eq!(n::generate_warnings(&app).await.unwrap(), 1);
    assert_eq!(n::generate_warnings(&app).await.unwrap(), 0);
    assert_eq!(kinds(&app, &o1).await[0], (K::WarningRed, id));
    assert_eq!(unread(&app, &stranger).await, 1, "warnings go to the lead department");

    // 督办 by a supervisor: the lead department; its reply: the supervisor.
    let sup = official("du", Role::Supervisor, None);
    app::problems::act(&app, &sup, id, ActionRequest { note: Some("请加快".into()), ..act("escalate") })
        .await
        .unwrap();
    assert_eq!(kinds(&app, &o2).await[0], (K::Escalated, id));
    app::problems::act(
        &app,
        &o1,
        id,
        ActionRequest { note: Some("本周办结".into()), ..act("reply_escalation") },
    )
    .await
    .unwrap();
    assert_eq!(kinds(&app, &sup).await, vec![(K::EscalationReplied, id)]);

    // The answer reaches the enterprise (each of its users).
    let answer =
        ActionRequest {
            note: Some("已办理退税".into()), outcome: Some("resolved".into()), ..act("answer")
        };
    app::problems::act(&app, &o1, id, answer).await.unwrap();
    assert_eq!(kinds(&app, &ent).await, vec![(K::Answered, id)]);
    let mut colleague = enterprise(&codes[0]);
    colleague.username = "qiye_caiwu".into();
    assert_eq!(unread(&app, &colleague).await, 1);
    assert_eq!(n::mark_all_read(&app, &ent).await.unwrap(), 1);
    assert_eq!((unread(&app, &ent).await, unread(&app, &colleague).await), (0, 1));
    // …and its rating the lead department.
    app::problems::act(
        &app,
        &ent,
        id,
        ActionRequest { rating: Some("satisfied".into()), solved: Some("yes".into()), ..act("confirm") },
    )
    .await
    .unwrap();
    assert_eq!(kinds(&app, &o2).await[0], (K::Rated, id));
    assert_eq!(unread(&app, &stranger).await, 1, "the rating goes to the lead only");

    // A problem raised on an enterprise's behalf (代录 at a meeting): its answer reaches the
    // one who raised it too.
    let raised = app::problems::raise(
        &app,
        &sup,
        RaiseRequest {
            enterprise: Some(codes[1].to_string()),
            category: "tax".into(),
            title: "发票领用".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let lead2 = official("sun", Role::Department, Some(&raised.record.state.lead));
    for a in [act("accept")] {
        app::problems::act(&app, &lead2, raised.id(), a).await.unwrap();
    }
    let assign = ActionRequest { lead: Some(raised.record.state.lead.clone()), ..act("assign") };
    app::problems::act(&app, &lead2, raised.id(), assign).await.unwrap();
    app::problems::act(&app, &lead2, raised.id(), act("start")).await.unwrap();
    let answer =
        ActionRequest { note: Some("已答复".into()), outcome: Some("resolved".into()), ..act("answer") };
    app::problems::act(&app, &lead2, raised.id(), answer).await.unwrap();
    assert_eq!(kinds(&app, &sup).await[0], (K::Answered, raised.id()));
    assert_eq!(kinds(&app, &enterprise(&codes[1])).await, vec![(K::Answered, raised.id())]);
    // The stranger's total: its own rows only.
    let total = n::list(&app, &stranger, ListRequest::default()).await.unwrap().total;
    assert_eq!(total, 1);
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
                    if let Some(s) = crate::matching::postgres(concat!("app_notifications_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(notifications_follow_the_problem);
