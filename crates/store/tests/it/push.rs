//! Inboxes, channels and the outbox on both backends: an inbox generation resumes at its
//! cursor and never writes a page twice; each message gets an outbox row per channel that
//! reaches its enterprise, in the same transaction; deliveries are claimed once under a
//! lease, retried, dead, retried by an administrator (audited); messages are read.

use crate::matches::{code, load};
use chrono::{DateTime, FixedOffset, NaiveDate};
use store::matches::{EligibleOfItem, NewMatchRun};
use store::push::{Attempt, Channel, ChannelKind, InboxPage, MessageKind, NewMessage, OutboxState};
use store::scan::ScanRequest;
use store::{Stamp, Store};

suite!("push"; an_inbox_is_generated_once_page_by_page, deliveries_are_claimed_once_and_retried);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn run(ids: &[i64], items: &[&str]) -> NewMatchRun {
    NewMatchRun {
        actor: Stamp::new("policy", at("2022-07-01T10:00:00+08:00")),
        date: NaiveDate::from_ymd_opt(2022, 6, 30).unwrap(),
        library_fingerprint: "f".into(),
        tax_year: None,
        enterprises: ids.len() as u64,
        items: items.len() as u64,
        load_ms: 1,
        eval_ms: 1,
        counts: Vec::new(),
        eligible: items
            .iter()
            .map(|i| EligibleOfItem { item: (*i).into(), enterprise_ids: ids.to_vec(), amounts: Vec::new() })
            .collect(),
        undetermined: Vec::new(),
    }
}

fn message(enterprise_id: i64, item: &str, kind: MessageKind) -> NewMessage {
    NewMessage {
        enterprise_id,
        item: item.into(),
        kind,
        title: format!("{item} 标题"),
        body_zh: "正文".into(),
        body_en: "body".into(),
        guide_href: Some(format!("/items/{item}")),
    }
}

fn page(run_id: i64, after: i64, through: i64, messages: Vec<NewMessage>, done: bool) -> InboxPage {
    InboxPage { run_id, after, through, messages, at: at("2022-07-01T11:00:00+08:00"), next_ms: 1_000, done }
}

fn channel(name: &str, kind: ChannelKind) -> Channel {
    Channel {
        name: name.into(),
        kind,
        url: "http://127.0.0.1:9/hook".into(),
        secret: "s3cret".into(),
        enabled: true,
        created_at: at("2022-07-01T09:00:00+08:00"),
        created_by: "admin".into(),
    }
}

async fn an_inbox_is_generated_once_page_by_page(s: &dyn Store) {
    let t = at("2022-07-01T11:00:00+08:00");
    assert_eq!(s.next_inbox_run(t).await.unwrap(), None, "no match run, nothing to do");
    load(s, 4).await;
    let ids = s.scan_page(&ScanRequest::default(), 0, i64::MAX).await.unwrap().ids;
    let admin = Stamp::new("admin", t);
    s.save_channel(&channel("hook", ChannelKind::Webhook), &admin).await.unwrap();
    s.save_channel(&channel("sms", ChannelKind::Sms), &admin).await.unwrap();
    assert!(s.set_contact(&code(0).to_string(), Some("13800000000".into()), None, &admin).await.unwrap());
    assert!(!s.set_contact("91430100MA4L000000", None, None, &admin).await.unwrap());
    let first = s.record_match_run(run(&ids[..2], &["a"])).await.unwrap();
    let second = s.record_match_run(run(&ids, &["a", "b"])).await.unwrap();

    // The latest run is generated, compared with the run before it (none is done yet).
    let g = s.next_inbox_run(t).await.unwrap().unwrap();
    assert_eq!((g.run_id, g.previous_run, g.after_enterprise, g.done_at), (second, Some(first), 0, None));
    assert_eq!(s.next_inbox_run(t).await.unwrap().unwrap(), g, "the same one until done");
    let eligible = s.run_eligible_range(second, 0, ids[1]).await.unwrap();
    assert_eq!(
        eligible,
        vec![(ids[0], "a".into()), (ids[0], "b".into()), (ids[1], "a".into()), (ids[1], "b".into())]
    );

    // Page one: enterprises ids[0], ids[1].
    let first_page = vec![
        message(ids[0], "b", MessageKind::NewlyEligible),
        message(ids[1], "b", MessageKind::NewlyEligible),
        message(ids[1], "c", MessageKind::AlmostEligible),
    ];
    assert!(s.write_inbox_page(page(second, 0, ids[1], first_page.clone(), false)).await.unwrap());
    // Written again from the same cursor (a second worker, a retry): refused, nothing added.
    assert!(!s.write_inbox_page(page(second, 0, ids[1], first_page, false)).await.unwrap());
    let last = *ids.last().unwrap();
    assert!(
        s.write_inbox_page(page(
            second,
            ids[1],
            last,
            vec![message(last, "b", MessageKind::NewlyEligible)],
            true
        ))
        .await
        .unwrap()
    );
    assert_eq!(s.next_inbox_run(t).await.unwrap(), None, "the latest run is done");
    let runs = s.inbox_runs(10).await.unwrap();
    assert_eq!((runs[0].run_id, runs[0].messages, runs[0].after_enterprise), (second, 4, last));
    assert!(runs[0].done_at.is_some());

    // Outbox: a webhook row per message; an SMS row only for the enterprise with a phone.
    let counts = s.outbox_counts().await.unwrap();
    let count = |c: &str| counts.iter().find(|x| x.channel == c).map_or(0, |x| x.count);
    assert_eq!((count("hook"), count("sms")), (4, 1));
    // The effect report's "informed": the messages written in a window, by enterprise and item;
    // the window's end is excluded (a UTC bound reads the same instant).
    let informed =
        s.informed_between(at("2022-07-01T00:00:00+08:00"), at("2022-07-02T00:00:00+08:00")).await.unwrap();
    assert_eq!(informed.len(), 4);
    assert!(informed.iter().any(|(e, item, w)| *e == ids[1] && item == "c" && *w == t));
    assert!(s.informed_between(at("2022-07-01T11:00:00+08:00"), t).await.unwrap().is_empty());
    let utc = at("2022-07-01T03:00:00+00:00");
    assert_eq!(s.informed_between(utc, at("2022-07-01T12:00:00+08:00")).await.unwrap().len(), 4);

    // The inbox of ids[1]: newest first, unread, then read.
    let uscc1 = code(1).to_string();
    let inbox = s.inbox(&uscc1, None, 10).await.unwrap();
    assert_eq!(
        inbox.iter().map(|m| (m.item.as_str(), m.kind)).collect::<Vec<_>>(),
        vec![("c", MessageKind::AlmostEligible), ("b", MessageKind::NewlyEligible)]
    );
    assert_eq!(s.inbox(&uscc1, Some(inbox[0].id), 10).await.unwrap().len(), 1, "paged by id");
    assert_eq!(s.inbox_unread(&uscc1).await.unwrap(), 2);
    let user = Stamp::new("ent1", at("2022-07-02T09:00:00+08:00"));
    // Another enterprise's message id changes nothing.
    let other = s.inbox(&code(0).to_string(), None, 10).await.unwrap();
    assert_eq!(s.mark_inbox_read(&uscc1, Some(vec![other[0].id]), &user).await.unwrap(), 0);
    assert_eq!(s.mark_inbox_read(&uscc1, Some(vec![inbox[0].id]), &user).await.unwrap(), 1);
    assert_eq!(s.inbox_unread(&uscc1).await.unwrap(), 1);
    assert_eq!(s.mark_inbox_read(&uscc1, None, &user).await.unwrap(), 1);
    assert_eq!(s.inbox_unread(&uscc1).await.unwrap(), 0);
    assert!(s.inbox(&uscc1, None, 10).await.unwrap().iter().all(|m| m.read_at.is_some()));

    // A third run is compared with the last one whose inbox is done.
    let third = s.record_match_run(run(&ids, &["a"])).await.unwrap();
    let g = s.next_inbox_run(t).await.unwrap().unwrap();
    assert_eq!((g.run_id, g.previous_run), (third, Some(second)));
    // Channel changes are audited, the secret never shown.
    let audit = s.audit_records("channel", Some("hook"), 20).await.unwrap();
    assert!(audit.iter().any(|a| a.field == "url"));
    assert!(audit.iter().all(|a| a.new.as_deref() != Some("s3cret")));
}

async fn deliveries_are_claimed_once_and_retried(s: &dyn Store) {
    let t = at("2022-07-01T11:00:00+08:00");
    load(s, 3).await;
    let ids = s.scan_page(&ScanRequest::default(), 0, i64::MAX).await.unwrap().ids;
    let admin = Stamp::new("admin", t);
    s.save_channel(&channel("hook", ChannelKind::Webhook), &admin).await.unwrap();
    let r = s.record_match_run(run(&ids, &["a"])).await.unwrap();
    let g = s.next_inbox_run(t).await.unwrap().unwrap();
    assert_eq!(g.previous_run, None);
    let msgs: Vec<NewMessage> = ids.iter().map(|id| message(*id, "a", MessageKind::NewlyEligible)).collect();
    assert!(s.write_inbox_page(page(r, 0, *ids.last().unwrap(), msgs, true)).await.unwrap());

    // Not due before next_ms.
    assert!(s.claim_deliveries("w1", 999, 60_000, 10).await.unwrap().is_empty());
    let a = s.claim_deliveries("w1", 1_000, 60_000, 2).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].channel.name, "hook");
    assert_eq!(a[0].message.item, "a");
    assert!(!a[0].enterprise_name.is_empty());
    // Held rows are not claimed again; the third is.
    let b = s.claim_deliveries("w2", 1_000, 60_000, 10).await.unwrap();
    assert_eq!(b.len(), 1);
    assert!(a.iter().all(|d| d.id != b[0].id));
    // w2 cannot record w1's rows.
    assert_eq!(s.record_attempts("w2", vec![(a[0].id, Attempt::Sent)], t).await.unwrap(), 0);
    let recorded = s
        .record_attempts(
            "w1",
            vec![
                (a[0].id, Attempt::Sent),
                (a[1].id, Attempt::Retry { error: "HTTP 500".into(), next_ms: 65_000 }),
            ],
            t,
        )
        .await
        .unwrap();
    assert_eq!(recorded, 2);
    // w2 dies holding b[0]: its lease runs out, another worker claims it (same id: the
    // idempotency key a receiver dedupes by).
    let c = s.claim_deliveries("w3", 60_001, 120_000, 10).await.unwrap();
    assert_eq!(c.iter().map(|d| d.id).collect::<Vec<_>>(), vec![b[0].id]);
    assert_eq!(
        s.record_attempts("w3", vec![(b[0].id, Attempt::Dead { error: "x".repeat(900) })], t).await.unwrap(),
        1
    );
    // The retried one is due again at 65 000 ms, with its attempt counted.
    let d = s.claim_deliveries("w1", 65_000, 120_000, 10).await.unwrap();
    assert_eq!(d.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(), vec![(a[1].id, 1)]);
    let counts = s.outbox_counts().await.unwrap();
    let state = |st: OutboxState| counts.iter().find(|x| x.state == st).map_or(0, |x| x.count);
    assert_eq!((state(OutboxState::Pending), state(OutboxState::Sent), state(OutboxState::Dead)), (1, 1, 1));
    let dead = s.outbox_entries(Some(OutboxState::Dead), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_ref().map(|e| e.chars().count()), Some(store::push::MAX_ERROR));
    assert_eq!(s.outbox_entries(None, 10).await.unwrap().len(), 3);
    // An administrator retries the dead one: pending, attempts reset, audited.
    assert!(s.retry_delivery(dead[0].id, 70_000, &admin).await.unwrap());
    assert!(!s.retry_delivery(dead[0].id, 70_000, &admin).await.unwrap(), "no longer dead");
    let e = s.claim_deliveries("w1", 70_000, 130_000, 10).await.unwrap();
    assert!(e.iter().any(|x| x.id == dead[0].id && x.attempts == 0));
    assert_eq!(s.audit_records("outbox", Some(&dead[0].id.to_string()), 5).await.unwrap().len(), 1);
}
