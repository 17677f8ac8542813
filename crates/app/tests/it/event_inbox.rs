//! Issue 15, Events: "enterprises matching the audience get them in their inbox", over a real
//! store (SQLite always; PostgreSQL when `HUIQI_TEST_PG_URL` is set, migration 0039 on both):
//! publishing an event for one industry writes one `event` message (no match run, linking to
//! the event) to each enterprise of that industry and none to the others, with an outbox row
//! per enabled channel, in the event's transaction; an event for everyone reaches every
//! enterprise; the match runs' messages stay as they were beside them, and the effect report's
//! 推送告知 does not count an event's invitation.

use app::events::{self, PublishRequest};
use app::{App, FixedClock, Principal};
use chrono::DateTime;
use std::sync::Arc;
use store::push::{Channel, ChannelKind, MessageKind};
use store::{Role, Stamp, Store};

async fn events_reach_their_audience_in_the_inbox(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 40).await;
    let now = DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").unwrap();
    let app: App = app.with_clock(Arc::new(FixedClock::new(now)));
    app.store
        .save_channel(
            &Channel {
                name: "hook".into(),
                kind: ChannelKind::Webhook,
                url: "https://example.invalid/hook".into(),
                secret: "s3cret-s3cret-s3cret".into(),
                enabled: true,
                created_at: now,
                created_by: "admin".into(),
            },
            &Stamp::new("admin", now),
        )
        .await
        .unwrap();
    let routing = app::problems::routing(&app).await.unwrap();
    let officer = Principal {
        username: "bumen".into(),
        role: Role::Department,
        enterprise: None,
        department: Some(routing.departments[0].code.clone()),
        display_name: "部门".into(),
    };
    // The registry's industries: the event is for the first enterprise's section.
    let mut firms = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        firms.push((
            row.enterprise.uscc.to_string(),
            row.enterprise.industry_code.as_ref().map(|c| c.to_string()),
        ));
        Ok(())
    })
    .await
    .unwrap();
    let section = firms.iter().find_map(|(_, c)| c.clone()).unwrap()[..1].to_string();
    let inside: Vec<&String> = firms
        .iter()
        .filter(|(_, c)| c.as_deref().is_some_and(|c| c.starts_with(&section)))
        .map(|f| &f.0)
        .collect();
    assert!(
        !inside.is_empty() && inside.len() < firms.len(),
        "{section}: {} of {}",
        inside.len(),
        firms.len()
    );
    let before: Vec<usize> = {
        let mut v = Vec::new();
        for (u, _) in &firms {
            v.push(app.store.inbox(u, None, 1000).await.unwrap().len());
        }
        v
    };

    let e = events::publish(
        &app,
        &officer,
        &PublishRequest {
            kind: "专题培训".into(),
            title: "制造业数字化转型培训".into(),
            description: "讲解智能制造诊断和补贴申报。".into(),
            place: "麓谷企业广场A座报告厅".into(),
            starts_at: "2026-12-10 09:00".into(),
            ends_at: "2026-12-10 11:30".into(),
            capacity: 30,
            industries: vec![section.clone()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (i, (u, _)) in firms.iter().enumerate() {
        let inbox = app.store.inbox(u, None, 1000).await.unwrap();
        let told: Vec<_> = inbox.iter().filter(|m| m.kind == MessageKind::Event).collect();
        if inside.contains(&u) {
            assert_eq!(told.len(), 1, "{u}");
            let m = told[0];
            assert_eq!((m.run_id, m.item.as_str()), (None, format!("event-{}", e.id).as_str()));
            assert_eq!(app::inbox::message_href(m), format!("/events/{}", e.id));
            assert!(m.title == "制造业数字化转型培训" && m.body_zh.contains("报名截止"), "{}", m.body_zh);
            assert!(m.read_at.is_none());
        } else {
            assert!(told.is_empty(), "{u} is outside the audience");
        }
        assert_eq!(inbox.len(), before[i] + told.len(), "the runs' messages stay");
    }
    assert!(app.store.inbox_unread(inside[0]).await.unwrap() >= 1);
    let pending: u64 = app
        .store
        .outbox_counts()
        .await
        .unwrap()
        .iter()
        .filter(|c| c.channel == "hook")
        .map(|c| c.count)
        .sum();
    assert_eq!(pending, inside.len() as u64, "one delivery per message on the webhook");
    // The effect report's 推送告知 counts policy items' messages, not events' invitations.
    let informed = app
        .store
        .informed_between(now - chrono::Duration::hours(1), now + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert!(informed.iter().all(|(_, item, _)| !item.starts_with("event-")), "{informed:?}");

    // For everyone: every enterprise, once.
    let all = events::publish(
        &app,
        &officer,
        &PublishRequest {
            kind: "政策宣讲".into(),
            title: "2027年惠企政策宣讲会".into(),
            place: "园区管委会一楼会议室".into(),
            starts_at: "2026-12-12 14:00".into(),
            ends_at: "2026-12-12 16:00".into(),
            capacity: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (u, _) in &firms {
        let inbox = app.store.inbox(u, None, 1000).await.unwrap();
        let item = format!("event-{}", all.id);
        assert_eq!(inbox.iter().filter(|m| m.item == item).count(), 1, "{u}");
    }
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
                    if let Some(s) = crate::matching::postgres(concat!("app_event_inbox_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(events_reach_their_audience_in_the_inbox);
