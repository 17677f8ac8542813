//! Storing a match run: `cargo run --release -p store-sqlite --example run_bench -- DB [ITEMS] [SHARE%]`.
//!
//! Over the enterprises of an existing database (e.g. the one `huiqi bench match-db` made),
//! records one match run in which each of ITEMS items (default 3) has SHARE% (default 70) of
//! the enterprises eligible, half of the items with an amount, and prints how long
//! `record_match_run` took. The numbers go into docs/PERFORMANCE.md ("Match from the
//! database"). Not a test: nothing here asserts a time.

use rust_decimal::Decimal;
use std::time::Instant;
use store::matches::MatchStore;
use store::matches::{EligibleOfItem, MatchCount, NewMatchRun};
use store::scan::ScanRequest;
use store::scan::ScanStore;
use store::{Stamp, Store};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: run_bench DB [ITEMS] [SHARE%]");
        return;
    };
    let items: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let share: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(70);
    let Ok(s) = store_sqlite::SqliteStore::open(path) else { return };
    if s.migrate().await.is_err() {
        return;
    }
    let Ok(page) = s.scan_page(&ScanRequest::default(), 0, i64::MAX).await else { return };
    let eligible: Vec<EligibleOfItem> = (0..items)
        .map(|k| {
            let ids: Vec<i64> = page
                .ids
                .iter()
                .copied()
                .filter(|id| (*id as u64).wrapping_mul(2654435761 + k as u64) % 100 < share)
                .collect();
            let amounts = if k % 2 == 0 {
                ids.iter().map(|id| Some(Decimal::new(id % 100_000 * 100 + 5, 2))).collect()
            } else {
                Vec::new()
            };
            EligibleOfItem { item: format!("bench-item-{k:02}"), enterprise_ids: ids, amounts }
        })
        .collect();
    let counts = eligible
        .iter()
        .map(|e| MatchCount {
            item: e.item.clone(),
            eligible: e.enterprise_ids.len() as u64,
            ineligible: 0,
            undetermined: 0,
            total_amount: e.amounts.iter().flatten().sum(),
            ..Default::default()
        })
        .collect();
    let run = NewMatchRun {
        actor: Stamp::new("bench", chrono::Utc::now().fixed_offset()),
        date: chrono::NaiveDate::default(),
        tax_year: None,
        library_fingerprint: "bench".into(),
        enterprises: page.ids.len() as u64,
        items: items as u64,
        load_ms: 0,
        eval_ms: 0,
        counts,
        eligible,
        undetermined: Vec::new(),
    };
    let pairs = run.pair_count();
    let t = Instant::now();
    match s.record_match_run(run).await {
        Ok(id) => println!("run {id}: {pairs} eligible pairs stored in {:.2?}", t.elapsed()),
        Err(e) => eprintln!("{e}"),
    }
}
