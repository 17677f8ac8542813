//! Import benchmark: `cargo run --release -p store-sqlite --example import_bench -- [N] [DIR]`.
//!
//! Imports N (default 1,000,000) new enterprises with 8 fact values each into a fresh SQLite
//! file, then imports the same records again (every one unchanged), then once more with one
//! fact changed in every tenth enterprise, and prints the time of each step. The numbers go
//! into docs/PERFORMANCE.md ("Storage"). Not a test: nothing here asserts a time.

use chrono::{DateTime, NaiveDate};
use enterprise::{
    Enterprise, EnterpriseRecord, FactRecord, FactSource, FactValue, IndustryCode, TaxCreditRating,
    TaxpayerType, UnifiedCreditCode,
};
use rust_decimal::Decimal;
use std::time::Instant;
use store::{EnterpriseStore, ImportFormat, ImportRequest, Stamp, Store};

fn records(n: u32) -> Vec<EnterpriseRecord> {
    let as_of = NaiveDate::from_ymd_opt(2022, 3, 31).unwrap_or_default();
    let industries = ["C3511", "I6513", "F5191", "M7320"].map(|c| IndustryCode::parse(c).ok());
    (0..n)
        .filter_map(|i| {
            let uscc = UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 10_000_000 + i))?;
            let fact = |id: &str, year, value| FactRecord {
                fact: id.to_string(),
                year: Some(year),
                value,
                source: FactSource::Tax,
                as_of,
            };
            let m = |x: i64| FactValue::Money(Decimal::new(x, 2));
            let k = i64::from(i);
            Some(EnterpriseRecord {
                scope: Default::default(),
                enterprise: Enterprise {
                    uscc,
                    name: format!("长沙麓谷第{i}号科技有限公司"),
                    registered_in_zone: true,
                    tax_registered_in_zone: i % 5 != 0,
                    industry_code: industries[(i % 4) as usize].clone(),
                    established_on: NaiveDate::from_ymd_opt(2000 + (i % 22) as i32, 1 + i % 12, 1 + i % 28),
                    taxpayer_type: Some(if i % 2 == 0 {
                        TaxpayerType::General
                    } else {
                        TaxpayerType::SmallScale
                    }),
                    tax_credit_rating: Some(TaxCreditRating::A),
                    tags: if i % 7 == 0 { ["专精特新".to_string()].into() } else { Default::default() },
                },
                facts: vec![
                    fact("employees", 2021, FactValue::Integer(10 + k % 500)),
                    fact("employees", 2022, FactValue::Integer(12 + k % 500)),
                    fact("revenue", 2021, m(100_000_000 + k * 37)),
                    fact("revenue", 2022, m(110_000_000 + k * 41)),
                    fact("total_assets", 2021, m(500_000_000 + k)),
                    fact("total_assets", 2022, m(520_000_000 + k)),
                    fact("taxable_income", 2021, m(3_000_000 + k)),
                    fact("rd_expense", 2021, m(4_000_000 + k)),
                ],
            })
        })
        .collect()
}

/// CPU seconds (user + system) this process has used, from /proc (Linux); 0 elsewhere. The
/// machine is shared, so CPU time says more than wall time when others are busy.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let dir = match args.next() {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let path = dir.path().join("bench.db");
    let store = store_sqlite::SqliteStore::open(&path)?;
    store.migrate().await?;
    let actor = Stamp::new("bench", DateTime::parse_from_rfc3339("2022-05-06T09:30:00+08:00")?);
    let t = Instant::now();
    let recs = records(n);
    println!("generated {} records in {:.2?}", recs.len(), t.elapsed());
    let req = |records: Vec<EnterpriseRecord>| ImportRequest {
        actor: actor.clone(),
        file_name: "bench.csv".into(),
        format: ImportFormat::Generated,
        records,
        dry_run: false,
    };

    let (t, c) = (Instant::now(), cpu_seconds());
    let o = store.apply_import(req(recs.clone())).await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "first import: {} created, {} changes in {secs:.2} s wall, {:.2} s CPU ({:.0} enterprises/s, {:.0} rows/s incl. facts)",
        o.created,
        o.changes,
        cpu_seconds() - c,
        o.created as f64 / secs,
        (o.created * 9 + o.changes) as f64 / secs
    );

    let (t, c) = (Instant::now(), cpu_seconds());
    let o = store.apply_import(req(recs.clone())).await?;
    println!(
        "same file again: {} unchanged, {} changes in {:.2} s wall, {:.2} s CPU",
        o.unchanged,
        o.changes,
        t.elapsed().as_secs_f64(),
        cpu_seconds() - c
    );

    let mut changed = recs;
    for r in changed.iter_mut().step_by(10) {
        r.facts[0].value = FactValue::Integer(9999);
    }
    let (t, c) = (Instant::now(), cpu_seconds());
    let o = store.apply_import(req(changed)).await?;
    println!(
        "every 10th changed: {} updated, {} unchanged, {} changes in {:.2} s wall, {:.2} s CPU",
        o.updated,
        o.unchanged,
        o.changes,
        t.elapsed().as_secs_f64(),
        cpu_seconds() - c
    );
    let size = std::fs::metadata(&path)?.len();
    println!("database file: {:.0} MiB", size as f64 / 1048576.0);
    Ok(())
}
