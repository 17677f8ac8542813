//! `huiqi bench effects`: the quarterly effect report over a large registry. The filling runs
//! as a child process (`--fill-only`), so this process's peak memory (VmHWM) is the
//! report's alone.
//!
//! The registry: N enterprises (eight industries, established 2000–2021), each with revenue
//! and employees for 2022–2025 and total assets for 2022 (nine fact rows each), revenue
//! growing by an industry trend with noise; every 200th enterprise was visited in 2024 and
//! grows 8 % more from 2025 on, every 1,000th is visited in the report's quarter.

use super::Context;
use clap::Args;
use enterprise::{Enterprise, EnterpriseRecord, FactRecord, FactSource, FactValue, IndustryCode};
use rust_decimal::Decimal;
use std::process::ExitCode;
use std::time::Instant;
use store::{ImportFormat, ImportRequest, Stamp};

#[derive(Debug, Args)]
pub struct EffectsBenchArgs {
    /// Enterprises.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: usize,
    /// Report on what the database holds, without filling it first.
    #[arg(long)]
    pub no_fill: bool,
    /// Fill the database and stop (the child process of a full run).
    #[arg(long)]
    pub fill_only: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

const INDUSTRIES: [(&str, f64); 8] = [
    ("C3511", 0.06),
    ("C3974", 0.09),
    ("I6513", 0.12),
    ("F5191", -0.02),
    ("G5430", 0.03),
    ("M7320", 0.07),
    ("E4710", 0.01),
    ("C2710", 0.05),
];
const BATCH: usize = 50_000;

fn visited_2024(i: usize) -> bool {
    i % 200 == 7
}

fn visited_in_quarter(i: usize) -> bool {
    i % 1_000 == 3
}

/// A deterministic noise in about (−1, 1) per enterprise and year.
fn noise(i: usize, year: i32) -> f64 {
    let mut x =
        (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (year as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x % 20_001) as f64 / 10_000.0 - 1.0
}

fn record(i: usize) -> EnterpriseRecord {
    let (industry, trend) = INDUSTRIES[i % INDUSTRIES.len()];
    let uscc = import::synth::uscc(i);
    let established =
        chrono::NaiveDate::from_ymd_opt(2000 + (i % 22) as i32, 1 + (i % 12) as u32, 1 + (i % 28) as u32);
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 5, 31).unwrap_or_default();
    let base = 14.0 + (i % 97) as f64 / 20.0;
    let mut facts = Vec::with_capacity(10);
    let mut add = |fact: &str, year: i32, value: FactValue| {
        facts.push(FactRecord { fact: fact.into(), year: Some(year), value, source: FactSource::Tax, as_of })
    };
    for (k, year) in (2022..=2025).enumerate() {
        let effect = if visited_2024(i) && year >= 2025 { 0.08f64.ln_1p() } else { 0.0 };
        let log = base + trend * k as f64 + effect + 0.08 * noise(i, year);
        let yuan = Decimal::new((log.exp() * 100.0).round() as i64, 2);
        add("revenue", year, FactValue::Money(yuan));
        add("employees", year, FactValue::Integer(5 + (i % 400) as i64 + k as i64));
        if year == 2022 {
            add("total_assets", year, FactValue::Money(yuan * Decimal::from(2)));
        }
    }
    const STREETS: [&str; 4] = ["麓谷街道", "东方红街道", "雷锋街道", "白马街道"];
    facts.push(FactRecord {
        fact: "street".into(),
        year: None,
        value: FactValue::Text(STREETS[i % STREETS.len()].into()),
        source: FactSource::Zone,
        as_of,
    });
    EnterpriseRecord {
        enterprise: Enterprise {
            uscc,
            name: format!("长沙第{i}号科技有限公司"),
            registered_in_zone: true,
            tax_registered_in_zone: !i.is_multiple_of(10),
            industry_code: IndustryCode::parse(industry).ok(),
            established_on: established,
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: Default::default(),
        },
        facts,
        scope: Default::default(),
    }
}

async fn fill(rows: usize, ctx: &Context) -> anyhow::Result<()> {
    let store = crate::db::open_ready(&ctx.database).await?;
    let t = Instant::now();
    let mut start = 0;
    while start < rows {
        let end = (start + BATCH).min(rows);
        store
            .apply_import(ImportRequest {
                actor: Stamp::new("bench", crate::db::now()),
                file_name: format!("bench-effects-{start}.generated"),
                format: ImportFormat::Generated,
                records: (start..end).map(record).collect(),
                dry_run: false,
            })
            .await?;
        start = end;
    }
    println!("imported {rows} enterprises with 10 facts each in {:.1?}", t.elapsed());
    let t = Instant::now();
    let mut visits = 0;
    for i in (0..rows).filter(|i| visited_2024(*i) || visited_in_quarter(*i)) {
        let date = if visited_2024(i) {
            chrono::NaiveDate::from_ymd_opt(2024, 6, 1 + (i % 28) as u32)
        } else {
            chrono::NaiveDate::from_ymd_opt(2026, 11, 1 + (i % 28) as u32)
        };
        let visit = handling::Visit {
            enterprise: import::synth::uscc(i),
            date: date.unwrap_or_default(),
            cadre: "ganbu".into(),
            findings: "走访".into(),
        };
        store.add_visit(&visit, &Stamp::new("bench", crate::db::now())).await?;
        visits += 1;
    }
    println!("recorded {visits} visits in {:.1?}", t.elapsed());
    Ok(())
}

#[derive(serde::Serialize)]
struct Out {
    backend: String,
    enterprises: u64,
    fill_s: Option<f64>,
    report_s: f64,
    peak_rss_mib: Option<f64>,
    outcomes: usize,
    visited_revenue_difference_pct: Option<f64>,
    visited_revenue_interval_pct: Option<(f64, f64)>,
    visited_matched: u64,
}

pub async fn run(a: EffectsBenchArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if a.fill_only {
        fill(a.rows, ctx).await?;
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::ensure!(
        ctx.database != crate::db::DEFAULT_DATABASE,
        "give --database FILE (replaced) or a postgres:// URL for the benchmark's registry"
    );
    let fill_s = if a.no_fill {
        None
    } else {
        if !crate::db::is_postgres(&ctx.database) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", ctx.database));
            }
        }
        let t = Instant::now();
        let out = std::process::Command::new(std::env::current_exe()?)
            .args([
                "--database",
                &ctx.database,
                "bench",
                "effects",
                "--fill-only",
                "--rows",
                &a.rows.to_string(),
            ])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "the fill failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !a.json {
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
        Some(t.elapsed().as_secs_f64())
    };
    let app = super::open_app(ctx).await?;
    let quarter = app::effects::parse_quarter("2026Q4").map_err(|e| super::user_error(&e))?;
    let t = Instant::now();
    let r = app::effects::effects_report(&app, &app::Principal::operator("bench"), quarter)
        .await
        .map_err(super::app_error)?;
    let report_s = t.elapsed().as_secs_f64();
    let visited = r.outcomes.iter().find(|o| o.kind == "visited" && o.measure == "revenue");
    let out = Out {
        backend: app.store.backend_name().to_string(),
        enterprises: r.enterprises,
        fill_s,
        report_s,
        peak_rss_mib: super::bench::peak_memory_mib(),
        outcomes: r.outcomes.len(),
        visited_revenue_difference_pct: visited.and_then(|o| o.difference_pct),
        visited_revenue_interval_pct: visited.and_then(|o| o.low_pct.zip(o.high_pct)),
        visited_matched: visited.map_or(0, |o| o.helped),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "effect report 2026Q4 over {} enterprises ({}): {:.2} s, peak memory {}",
            out.enterprises,
            out.backend,
            out.report_s,
            out.peak_rss_mib.map_or("?".into(), |m| format!("{m:.0} MiB"))
        );
        if let Some(o) = visited {
            println!("  三.2 visited, revenue: {}", o.sentence);
        }
    }
    Ok(ExitCode::SUCCESS)
}
