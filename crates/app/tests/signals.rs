//! Caches followed across servers (issue 16): two applications over one PostgreSQL schema
//! (two servers, as far as the database can tell). Server B follows stored documents
//! (`app::live::follow`); server A's save of the time limits reaches B through
//! `LISTEN/NOTIFY` within a second, long before B's fallback timer (60 s). Skipped without
//! `HUIQI_TEST_PG_URL`.

use app::App;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::documents::{DocumentKind, TIME_LIMITS_NAME};
use store::{Stamp, Store};

const SHIPPED: &str = include_str!("../../handling/data/time_limits.toml");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_on_one_server_reaches_another_through_notify() {
    let Ok(url) = std::env::var("HUIQI_TEST_PG_URL") else {
        eprintln!("note: HUIQI_TEST_PG_URL is not set; skipping the change-signal test");
        return;
    };
    let schema = "signals_two_servers";
    let a = store_pg::PgStore::connect_fresh_schema(&url, schema).await.unwrap();
    a.migrate().await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let b = store_pg::PgStore::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}")).await.unwrap();
    let (a, b): (Arc<dyn Store>, Arc<dyn Store>) = (Arc::new(a), Arc::new(b));
    let stamp = |at| Stamp::new("admin", at);
    let now = chrono::DateTime::parse_from_rfc3339("2024-03-01T09:00:00+08:00").unwrap();
    a.put_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME, None, SHIPPED.to_string(), &stamp(now))
        .await
        .unwrap();

    let server_b = App::new(Arc::clone(&b));
    tokio::spawn(app::live::follow(server_b.clone()));
    // B follows what is stored as soon as it listens (its first resync).
    let deadline = Instant::now() + Duration::from_secs(5);
    while server_b.live.time_limits().confirm_workdays != 5 || server_b.live.time_limits().yellow_percent != 80 {
        assert!(Instant::now() < deadline, "B never loaded the stored limits");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the listener its LISTEN before the save.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A saves new limits: confirmation within 7 working days, yellow at 70 %.
    let changed = SHIPPED.replace("confirm_workdays = 5", "confirm_workdays = 7").replace("yellow_percent = 80", "yellow_percent = 70");
    assert_ne!(changed, SHIPPED);
    a.put_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME, Some(1), changed, &stamp(now)).await.unwrap();
    let saved = Instant::now();
    while server_b.live.time_limits().confirm_workdays != 7 {
        assert!(saved.elapsed() < Duration::from_secs(3), "the save did not reach B by its signal");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server_b.live.time_limits().yellow_percent, 70);
    eprintln!("followed in {} ms", saved.elapsed().as_millis());
}
