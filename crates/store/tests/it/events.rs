//! Events and registrations on both backends: an event is stored and listed with its counts;
//! roster writes are one transaction at the version they read (a stale write is refused and
//! leaves nothing); at most one active registration per enterprise and event, enforced by
//! the database; every write is audited.

use crate::matches::load;
use chrono::{DateTime, FixedOffset};
use services::events::{Audience, EventKind, RegistrationState as R};
use store::events::{EventFilter, NewEvent, RosterWrite};
use store::scan::ScanRequest;
use store::{Stamp, Store, StoreError};

suite!("ev"; an_event_roster_is_written_at_its_version);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

pub(crate) fn briefing() -> NewEvent {
    NewEvent {
        kind: EventKind::PolicyBriefing,
        title: "2022年留抵退税政策解读会".into(),
        description: "税务局讲解大规模留抵退税政策。".into(),
        department: "税务局".into(),
        place: "麓谷企业广场A座报告厅".into(),
        link: String::new(),
        starts_at: at("2022-05-20T09:00:00+08:00"),
        ends_at: at("2022-05-20T11:30:00+08:00"),
        registration_closes_at: at("2022-05-19T18:00:00+08:00"),
        capacity: 3,
        max_per_enterprise: 2,
        audience: Audience { industries: vec!["C".into()], sizes: vec![], tags: vec![] },
        positions_offered: None,
    }
}

async fn an_event_roster_is_written_at_its_version(s: &dyn Store) {
    load(s, 3).await;
    let ids = s.scan_page(&ScanRequest::default(), 0, i64::MAX).await.unwrap().ids;
    let who = Stamp::new("shuiwu", at("2022-05-06T09:30:00+08:00"));
    let id = s.create_event(&briefing(), &who).await.unwrap();
    let e = s.event(id).await.unwrap().unwrap();
    assert_eq!((e.event.clone(), e.version, e.cancelled), (briefing(), 1, false));
    assert_eq!(e.created_at, who.at);

    let reg = |enterprise_id, seq, attendees, state| RosterWrite::Register {
        enterprise_id,
        seq,
        attendees,
        names: "张三、李四".into(),
        state,
    };
    let v = s
        .save_roster(id, 1, &[reg(ids[0], 1, 2, R::Confirmed), reg(ids[1], 2, 2, R::Waitlisted)], &who)
        .await
        .unwrap();
    assert_eq!(v, 2);
    // A write at the old version is refused and leaves nothing.
    let stale = s.save_roster(id, 1, &[reg(ids[2], 3, 1, R::Confirmed)], &who).await.unwrap_err();
    assert!(matches!(stale, StoreError::DocumentConflict { .. }), "{stale:?}");
    assert_eq!(s.roster(id).await.unwrap().len(), 2);
    // A second active registration of one enterprise is impossible in the database itself.
    assert!(s.save_roster(id, 2, &[reg(ids[0], 3, 1, R::Waitlisted)], &who).await.is_err());
    assert_eq!(s.event(id).await.unwrap().unwrap().version, 2, "the failed write left the version");
    // Cancel the first, promote the second: one write.
    let v = s
        .save_roster(
            id,
            2,
            &[
                RosterWrite::State { enterprise_id: ids[0], seq: 1, from: R::Confirmed, to: R::Cancelled },
                RosterWrite::State { enterprise_id: ids[1], seq: 2, from: R::Waitlisted, to: R::Confirmed },
                RosterWrite::Capacity { from: 3, to: 4 },
            ],
            &who,
        )
        .await
        .unwrap();
    // A state write whose `from` is no longer true is refused whole.
    let wrong = [RosterWrite::State { enterprise_id: ids[0], seq: 1, from: R::Confirmed, to: R::CheckedIn }];
    assert!(s.save_roster(id, v, &wrong, &who).await.is_err());
    let v = s
        .save_roster(
            id,
            v,
            &[
                reg(ids[0], 3, 1, R::Confirmed),
                RosterWrite::Feedback {
                    enterprise_id: ids[1], seq: 2, score: 5, text: "很有帮助".into()
                },
            ],
            &who,
        )
        .await
        .unwrap();
    let roster = s.roster(id).await.unwrap();
    let states: Vec<(i64, u64, R)> = roster.iter().map(|r| (r.enterprise_id, r.seq, r.state)).collect();
    assert_eq!(states, vec![(ids[0], 1, R::Cancelled), (ids[1], 2, R::Confirmed), (ids[0], 3, R::Confirmed)]);
    assert_eq!(roster[1].feedback, Some(5));
    assert_eq!(roster[1].feedback_text, "很有帮助");
    assert_eq!(roster[0].attendee_names, "张三、李四");
    assert_eq!(roster[0].uscc.len(), 18);
    assert_eq!(s.event(id).await.unwrap().unwrap().event.capacity, 4);

    let list = s.events(&EventFilter { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].seats_taken, list[0].confirmed, list[0].waiting), (3, 2, 0));
    let later =
        EventFilter { ends_after: Some(at("2022-06-01T00:00:00+08:00")), limit: 10, ..Default::default() };
    assert!(s.events(&later).await.unwrap().is_empty());
    let dept = EventFilter { department: Some("经济发展局".into()), limit: 10, ..Default::default() };
    assert!(s.events(&dept).await.unwrap().is_empty());
    assert_eq!(s.registrations_of(ids[0]).await.unwrap().len(), 2);

    let v = s.set_positions_filled(id, v, 12, &who).await.unwrap();
    let v = s.cancel_event(id, v, "场地临时调整", &who).await.unwrap();
    let e = s.event(id).await.unwrap().unwrap();
    assert!(
        e.cancelled && e.cancel_reason == "场地临时调整" && e.positions_filled == Some(12) && e.version == v
    );
    assert!(s.events(&EventFilter { limit: 10, ..Default::default() }).await.unwrap().is_empty());
    let all = EventFilter { include_cancelled: true, limit: 10, ..Default::default() };
    assert_eq!(s.events(&all).await.unwrap().len(), 1);
    // created, 2 registrations, 2 states + capacity, 1 registration + feedback, filled, cancelled.
    assert_eq!(s.audit_records("event", Some(&id.to_string()), 100).await.unwrap().len(), 10);
}
