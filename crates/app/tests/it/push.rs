//! Push over a real store: the inboxes after match runs (newly eligible against the run
//! compared with, almost eligible told once, links, who reads and who marks read), and the
//! outbox delivered to a local webhook receiver (an axum listener in the test) that checks
//! every signature, answers 500 at first (retried after a backoff), dedupes by
//! `Idempotency-Key`, and sees a crashed worker's deliveries again with the same key.

use crate::matching::{date, principal, zone};
use app::inbox::{self, InboxRequest};
use app::matching::{self, NoProgress, RunRequest};
use app::push::{self, ChannelRequest, DeliveryConfig};
use app::{App, FixedClock, Principal};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::DateTime;
use enterprise::UnifiedCreditCode;
use rules::BenefitKind;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::push::{MessageKind, OutboxState};
use store::scan::ScanRequest;
use store::{Role, Store};

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
                    if let Some(s) = crate::matching::postgres(concat!("push_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(
    inboxes_follow_match_runs,
    a_tax_year_runs_inbox_decides_as_the_run_did,
    deliveries_are_signed_retried_and_deduplicated
);

const SECRET: &str = "a-long-enough-secret";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(DateTime::parse_from_rfc3339("2022-07-01T10:00:00+08:00").unwrap()))
}

async fn match_run(app: &App) -> i64 {
    let req = RunRequest { date: date("2022-06-30"), library_fingerprint: "t".into(), tax_year: None };
    matching::run(app, &principal(Role::Policy), &req, Arc::new(NoProgress)).await.unwrap().run_id
}

fn enterprise_user(uscc: &str) -> Principal {
    Principal {
        username: "qiye".into(),
        role: Role::Enterprise,
        enterprise: Some(UnifiedCreditCode::parse(uscc).unwrap()),
        department: None,
        display_name: "企业".into(),
    }
}

/// Every enterprise's (id, credit code).
async fn usccs(app: &App) -> Vec<(i64, String)> {
    let ids = app.store.scan_page(&ScanRequest::default(), 0, i64::MAX).await.unwrap().ids;
    app.store.enterprise_names(&ids).await.unwrap().into_iter().map(|(id, uscc, _)| (id, uscc)).collect()
}

/// Every message of every enterprise, as an official reads them: (uscc, item, kind) → count.
async fn all_messages(app: &App) -> BTreeMap<(String, String, MessageKind), usize> {
    let admin = principal(Role::Admin);
    let mut out = BTreeMap::new();
    for (_, uscc) in usccs(app).await {
        let req = InboxRequest {
            uscc: Some(UnifiedCreditCode::parse(&uscc).unwrap()),
            before: None,
            limit: Some(200),
        };
        for m in inbox::read(app, &admin, &req).await.unwrap().messages {
            *out.entry((uscc.clone(), m.item.clone(), m.kind)).or_insert(0) += 1;
        }
    }
    out
}

/// The almost-eligible messages of `lib` for the targets of `app`, deciding as
/// `evaluate_all_for(facts, day, tax_year)` does, with the items that decides.
async fn almost_wanted(
    app: &App,
    lib: &rules::Library,
    day: chrono::NaiveDate,
    tax_year: Option<i32>,
) -> BTreeMap<(String, String, MessageKind), usize> {
    let items: Vec<&rules::Item> = match tax_year {
        None => lib.items_in_force(day),
        Some(y) => lib.items().filter(|i| rules::Library::as_of(i, day, y).is_some()).collect(),
    };
    let replaced = rules::Library::superseded_among(&items);
    let told = |i: &rules::Item| i.benefit_kind != BenefitKind::Status && !replaced.contains_key(&i.id);
    let mut all_of = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        all_of.push((row.enterprise.uscc.to_string(), row.enterprise.assistance_target(), row.facts()));
        Ok(())
    })
    .await
    .unwrap();
    let mut want = BTreeMap::new();
    for (uscc, _, facts) in all_of.iter().filter(|a| a.1) {
        for d in lib.evaluate_all_for(facts, day, tax_year) {
            let item = lib.item(&d.item).unwrap();
            if told(item) && rules::almost::almost(&lib.program, item, &d).is_some() {
                want.insert((uscc.clone(), d.item.clone(), MessageKind::AlmostEligible), 1);
            }
        }
    }
    want
}

/// A match run of a tax year (the 2022 settlement, decided in May 2023): the inbox's
/// almost-eligible messages decide each annual item on its day in 2022, as the run did, not on
/// the run's date.
async fn a_tax_year_runs_inbox_decides_as_the_run_did(store: Arc<dyn Store>) {
    let app = zone(store, 250).await.with_clock(clock());
    let lib = app.live.policies().library.clone();
    let may = date("2023-05-20");
    let req = RunRequest { date: may, library_fingerprint: "t".into(), tax_year: Some(2022) };
    matching::run(&app, &principal(Role::Policy), &req, Arc::new(NoProgress)).await.unwrap();
    let g = inbox::generate(&app).await.unwrap();
    assert_eq!((g.len(), g[0].lost), (1, false));
    let want = almost_wanted(&app, &lib, may, Some(2022)).await;
    let by_date = almost_wanted(&app, &lib, may, None).await;
    assert!(want.len() > 20, "only {} almost-eligible pairs", want.len());
    assert_ne!(want, by_date, "the test data should tell the tax year from the date's year");
    let got: BTreeMap<_, _> =
        all_messages(&app).await.into_iter().filter(|(k, _)| k.2 == MessageKind::AlmostEligible).collect();
    assert_eq!(got, want);
    assert_eq!(g[0].almost_eligible, want.len() as u64);
}

async fn inboxes_follow_match_runs(store: Arc<dyn Store>) {
    let app = zone(store, 250).await.with_clock(clock());
    let lib = app.live.policies().library.clone();
    let day = date("2022-06-30");
    let first = match_run(&app).await;
    let g = inbox::generate(&app).await.unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!((g[0].run_id, g[0].previous_run, g[0].lost), (first, None, false));
    // What the messages should be, from the stored results and the single evaluator.
    let items = lib.items_in_force(day);
    let replaced = rules::Library::superseded_among(&items);
    let told = |i: &rules::Item| i.benefit_kind != BenefitKind::Status && !replaced.contains_key(&i.id);
    let eligible = app.store.match_run_eligible(first).await.unwrap();
    let ids: BTreeMap<i64, String> = usccs(&app).await.into_iter().collect();
    let mut want = BTreeMap::new();
    for e in &eligible {
        if lib.item(&e.item).is_some_and(told) {
            want.insert((ids[&e.enterprise_id].clone(), e.item.clone(), MessageKind::NewlyEligible), 1);
        }
    }
    let mut almost = 0;
    let mut all_of = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        all_of.push((row.enterprise.uscc.to_string(), row.enterprise.assistance_target(), row.facts()));
        Ok(())
    })
    .await
    .unwrap();
    for (uscc, target, facts) in &all_of {
        if !*target {
            continue;
        }
        for d in lib.evaluate_all(facts, day) {
            let item = lib.item(&d.item).unwrap();
            if told(item) && rules::almost::almost(&lib.program, item, &d).is_some() {
                want.insert((uscc.clone(), d.item.clone(), MessageKind::AlmostEligible), 1);
                almost += 1;
            }
        }
    }
    assert!(almost > 20, "only {almost} almost-eligible pairs: the test data should have many");
    assert_eq!(g[0].newly_eligible + g[0].almost_eligible, want.len() as u64);
    let got = all_messages(&app).await;
    assert_eq!(got, want);
    // Nothing more to generate.
    assert!(inbox::generate(&app).await.unwrap().is_empty());

    // A second run on the same data: nothing is newly eligible, nothing almost is repeated.
    let second = match_run(&app).await;
    let g = inbox::generate(&app).await.unwrap();
    assert_eq!(
        (g[0].run_id, g[0].previous_run, g[0].newly_eligible, g[0].almost_eligible),
        (second, Some(first), 0, 0)
    );
    assert_eq!(all_messages(&app).await, want);

    // An enterprise with both kinds reads its own inbox, newest first, with links.
    let has = |u: &str, k: MessageKind| want.keys().any(|(v, _, l)| v == u && *l == k);
    let uscc = want
        .keys()
        .map(|(u, _, _)| u.clone())
        .find(|u| has(u, MessageKind::AlmostEligible) && has(u, MessageKind::NewlyEligible))
        .unwrap();
    let me = enterprise_user(&uscc);
    let own = InboxRequest { uscc: None, before: None, limit: None };
    let mine = inbox::read(&app, &me, &own).await.unwrap();
    assert!(mine.unread >= 2 && mine.unread as usize == mine.messages.len());
    assert!(mine.messages.windows(2).all(|w| w[0].id > w[1].id));
    let a = mine.messages.iter().find(|m| m.kind == MessageKind::AlmostEligible).unwrap();
    assert!(a.body_zh.contains("差一项") && a.body_zh.contains("需"), "{}", a.body_zh);
    assert!(a.body_en.contains("needs"), "{}", a.body_en);
    assert_eq!(inbox::item_href(&a.item), format!("/items/{}", a.item));
    assert_eq!(inbox::unread(&app, &me).await.unwrap(), Some(mine.unread));
    assert_eq!(inbox::unread(&app, &principal(Role::Admin)).await.unwrap(), None);
    // Another enterprise's inbox is hidden from it; an official cannot mark it read.
    let other = want.keys().map(|(u, _, _)| u).find(|u| **u != uscc).unwrap();
    let theirs =
        InboxRequest { uscc: Some(UnifiedCreditCode::parse(other).unwrap()), before: None, limit: None };
    let e = inbox::read(&app, &me, &theirs).await.unwrap_err();
    assert!(matches!(e, app::Error::EnterpriseNotFound { .. }), "{e:?}");
    assert!(matches!(
        inbox::mark_read(&app, &principal(Role::Admin), None).await,
        Err(app::Error::Forbidden)
    ));
    assert!(inbox::read(&app, &me, &InboxRequest { limit: Some(0), ..own.clone() }).await.is_err());
    // Mark one read, then all.
    assert_eq!(inbox::mark_read(&app, &me, Some(vec![a.id])).await.unwrap(), 1);
    assert_eq!(inbox::read(&app, &me, &own).await.unwrap().unread, mine.unread - 1);
    assert_eq!(inbox::mark_read(&app, &me, None).await.unwrap(), mine.unread - 1);
    assert_eq!(inbox::unread(&app, &me).await.unwrap(), Some(0));
}

/// What the receiver saw.
#[derive(Default)]
struct Received {
    /// 500s still to answer.
    fail: usize,
    /// Requests per idempotency key.
    seen: BTreeMap<String, usize>,
    /// Keys acted on (once each).
    acted: BTreeSet<String>,
    bad_signatures: usize,
    /// Each acted-on body.
    bodies: Vec<serde_json::Value>,
}

type Receiver = Arc<Mutex<Received>>;

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut r = r.lock().unwrap();
    if !push::verify(SECRET, &h("x-huiqi-timestamp"), &body, &h("x-huiqi-signature")) {
        r.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    if r.fail > 0 {
        r.fail -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let key = h("idempotency-key");
    *r.seen.entry(key.clone()).or_insert(0) += 1;
    if r.acted.insert(key) {
        r.bodies.push(serde_json::from_slice(&body).unwrap());
    }
    StatusCode::OK
}

async fn receiver(fail: usize) -> (String, Receiver) {
    let state: Receiver = Arc::new(Mutex::new(Received { fail, ..Default::default() }));
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

async fn deliveries_are_signed_retried_and_deduplicated(store: Arc<dyn Store>) {
    let clock = clock();
    let app = zone(store, 120).await.with_clock(clock.clone());
    let admin = principal(Role::Admin);
    let (url, got) = receiver(3).await;
    let channel = |name: &str, url: &str| ChannelRequest {
        name: name.into(),
        kind: "webhook".into(),
        url: url.into(),
        secret: SECRET.into(),
        enabled: true,
    };
    // Bad channels are refused with the field named.
    for bad in [
        ChannelRequest { kind: "fax".into(), ..channel("x", &url) },
        ChannelRequest { url: "https://example.org/hook".into(), ..channel("x", &url) },
        ChannelRequest { secret: "short".into(), ..channel("x", &url) },
        ChannelRequest { name: "有 空格".into(), ..channel("x", &url) },
    ] {
        assert!(matches!(push::save_channel(&app, &admin, &bad).await, Err(app::Error::Invalid { .. })));
    }
    assert!(matches!(
        push::save_channel(&app, &principal(Role::Policy), &channel("hook", &url)).await,
        Err(app::Error::Forbidden)
    ));
    push::save_channel(&app, &admin, &channel("hook", &url)).await.unwrap();
    // A second channel nobody listens on: its deliveries die.
    push::save_channel(&app, &admin, &channel("nowhere", "http://127.0.0.1:9/hook")).await.unwrap();
    assert_eq!(push::channels(&app, &admin).await.unwrap().len(), 2);

    match_run(&app).await;
    let g = inbox::generate(&app).await.unwrap();
    let messages = g[0].newly_eligible + g[0].almost_eligible;
    assert!(messages > 10, "{messages}");
    let config = DeliveryConfig {
        backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(4),
        max_attempts: 3,
        concurrency: 8,
        batch: 64,
        ..DeliveryConfig::new("w1")
    };

    // A worker claims some and crashes after sending them, before recording.
    let crashed = app
        .store
        .claim_deliveries("crashed", app.now().timestamp_millis(), app.now().timestamp_millis() + 60_000, 2)
        .await
        .unwrap();
    assert_eq!(crashed.len(), 2);
    got.lock().unwrap().fail = 0;
    for d in &crashed {
        if d.channel.name == "hook" {
            push::send(d, &config, app.now().timestamp_millis() / 1000).await.unwrap();
        }
    }
    got.lock().unwrap().fail = 3;

    // First round: three 500s are retried later, the rest sent; the unreachable channel's
    // rows retried too.
    let d = push::deliver(&app, &config).await.unwrap();
    let hooked = messages as usize;
    let crashed_hook = crashed.iter().filter(|d| d.channel.name == "hook").count();
    assert_eq!(d.sent as usize, hooked - 3 - crashed_hook, "{d:?}");
    assert_eq!(d.retried as usize, 3 + (messages as usize - (2 - crashed_hook)), "{d:?}");
    // Not due again before the backoff (at least half a second).
    assert_eq!(push::deliver(&app, &config).await.unwrap(), Default::default());
    // After the backoff and the crashed lease: the 500s go through, the crashed worker's are
    // sent again with the same keys.
    clock.advance(chrono::Duration::seconds(61));
    let d = push::deliver(&app, &config).await.unwrap();
    assert_eq!(d.sent as usize, 3 + crashed_hook);
    {
        let r = got.lock().unwrap();
        assert_eq!(r.bad_signatures, 0);
        assert_eq!(r.acted.len(), hooked, "every message acted on once");
        assert_eq!(r.seen.values().filter(|n| **n == 2).count(), crashed_hook, "the crashed ones came twice");
        assert!(r.seen.values().all(|n| *n <= 2));
        let b = &r.bodies[0];
        assert!(b["message"]["item_path"].as_str().unwrap().starts_with("/items/"));
        assert!(b["enterprise"]["uscc"].as_str().is_some() && b["id"].as_i64().is_some());
    }

    // The unreachable channel's rows die after three attempts, with the error kept.
    let mut dead = 0;
    for _ in 0..3 {
        clock.advance(chrono::Duration::seconds(10));
        dead += push::deliver(&app, &config).await.unwrap().dead;
    }
    assert_eq!(dead, messages);
    let view = push::outbox(&app, &admin, 50).await.unwrap();
    let count = |c: &str, s: OutboxState| {
        view.counts.iter().find(|x| x.channel == c && x.state == s).map_or(0, |x| x.count)
    };
    assert_eq!(count("hook", OutboxState::Sent), messages);
    assert_eq!(count("nowhere", OutboxState::Dead), messages);
    assert!(view.dead[0].last_error.as_deref().unwrap().contains("request failed"));
    assert!(matches!(push::outbox(&app, &principal(Role::Policy), 10).await, Err(app::Error::Forbidden)));
    // An administrator retries one: pending again, delivered (and dead again) on the next round.
    push::retry(&app, &admin, view.dead[0].id).await.unwrap();
    assert!(push::retry(&app, &admin, view.dead[0].id).await.is_err(), "no longer dead");
    let view = push::outbox(&app, &admin, 50).await.unwrap();
    assert_eq!(view.counts.iter().find(|x| x.state == OutboxState::Pending).map(|x| x.count), Some(1));
}
