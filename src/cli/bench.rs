//! `huiqi bench …`: benchmarks on seeded synthetic data. Numbers go into
//! docs/PERFORMANCE.md; nothing here is a test.

use super::Context;
use anyhow::Context as _;
use clap::Subcommand;
use enterprise::FactSource;
use std::process::ExitCode;
use std::time::Instant;
use store::{Actor, ImportFormat, ImportRequest};

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Generates a CSV of N rows (every column of the import) and imports it into a fresh
    /// database: parse time, database time, peak memory.
    Import {
        /// Data rows (one enterprise each).
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Keep the database and CSV in this directory instead of a temporary one.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

/// Peak resident memory of this process (VmHWM), in MiB, where /proc tells it.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(cmd: BenchCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let BenchCmd::Import { rows, dir } = cmd;
    let tmp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("bench-enterprises.csv");
    let t = Instant::now();
    let written =
        import::synth::write_csv(&mut std::io::BufWriter::new(std::fs::File::create(&csv)?), rows, &[2022])?;
    let size = std::fs::metadata(&csv)?.len();
    println!("generated {written} rows, {:.1} MB, in {:.2?}", size as f64 / 1e6, t.elapsed());

    let url = if ctx.database == crate::db::DEFAULT_DATABASE {
        dir.join("bench.db").display().to_string()
    } else {
        ctx.database.clone()
    };
    if !crate::db::is_postgres(&url) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }
    let store = crate::db::open_ready(&url).await?;

    let total = Instant::now();
    let as_of = chrono::NaiveDate::from_ymd_opt(2023, 5, 31).context("date")?;
    let options = import::Options::new(as_of, FactSource::Tax);
    let t = Instant::now();
    let parsed =
        tokio::task::spawn_blocking(move || import::read_file(&csv, &options, &mut |_| {})).await??;
    let parse = t.elapsed();
    anyhow::ensure!(parsed.is_clean(), "the generated file has {} errors", parsed.errors.len());
    let facts: usize = parsed.records.iter().map(|r| r.facts.len()).sum();
    let enterprises = parsed.records.len();
    let t = Instant::now();
    let outcome = store
        .apply_import(ImportRequest {
            actor: Actor::new("bench", crate::db::now()),
            file_name: "bench-enterprises.csv".into(),
            format: ImportFormat::Csv,
            records: parsed.records,
            dry_run: false,
        })
        .await?;
    let write = t.elapsed();
    let all = total.elapsed();
    println!(
        "imported {} rows: {enterprises} enterprises, {facts} facts into {} ({})",
        parsed.rows,
        store.backend_name(),
        url
    );
    println!("  parse and validate: {parse:.2?}");
    println!("  database (one transaction): {write:.2?}");
    println!("  total: {all:.2?} ({:.0} rows/s)", parsed.rows as f64 / all.as_secs_f64());
    if let Some(m) = peak_memory_mib() {
        println!("  peak memory: {m:.0} MiB");
    }
    println!("  created {}, changes recorded {}", outcome.created, outcome.changes);
    Ok(ExitCode::SUCCESS)
}
