//! Measures how fast `import::read_file` reads and validates a large CSV file.
//!
//! ```text
//! cargo run --release -p import --example parse_bench -- [ROWS] [YEARS]
//! ```
//!
//! Generates ROWS data rows (default 1,000,000) with every column of the performance brief
//! (uscc, name, two flags, industry, date, taxpayer type, rating, tags, year, 7 facts), as
//! ROWS / YEARS enterprises with YEARS years each (default 1), into a temporary file, then
//! reads it once and prints the time taken and the peak memory. Numbers go into
//! docs/PERFORMANCE.md under "Import (parsing)".

use import::synth as generate;

use chrono::NaiveDate;
use enterprise::FactSource;
use import::{Options, read_file};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    let years: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1).clamp(1, 10);
    let year_list: Vec<i32> = (0..years as i32).map(|i| 2022 - i).collect();

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("enterprises.csv");
    let t = Instant::now();
    let written = generate::write_csv(&mut std::fs::File::create(&path)?, rows / years, &year_list)?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "generated {written} rows ({} enterprises × {years} years), {:.1} MB, in {:.2?}",
        rows / years,
        size as f64 / 1e6,
        t.elapsed()
    );

    let as_of = NaiveDate::from_ymd_opt(2023, 3, 31).ok_or("date")?;
    let options = Options::new(as_of, FactSource::Tax);
    let mut reports = 0usize;
    let cpu0 = cpu_ns();
    let t = Instant::now();
    let parsed = read_file(&path, &options, &mut |_| reports += 1)?;
    let elapsed = t.elapsed();
    let cpu = cpu_ns().zip(cpu0).map(|(a, b)| (a - b) as f64 / 1e9);
    let facts: usize = parsed.records.iter().map(|r| r.facts.len()).sum();
    println!(
        "read {} rows → {} records, {} facts, {} errors, in {:.2?} ({:.0} rows/s, {} progress reports)",
        parsed.rows,
        parsed.records.len(),
        facts,
        parsed.errors.len(),
        elapsed,
        parsed.rows as f64 / elapsed.as_secs_f64(),
        reports
    );
    if let Some(cpu) = cpu {
        println!("CPU time of the read: {cpu:.2} s (wall time includes waiting for a shared CPU)");
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!("peak memory: {}", line.trim_start_matches("VmHWM:").trim());
    }
    Ok(())
}

/// Nanoseconds this thread has run on a CPU (Linux), so that a busy machine does not
/// distort the number.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}
