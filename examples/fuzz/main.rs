//! The fuzz harness (a stable-toolchain stand-in for cargo-fuzz): one target per parser
//! that reads what users send, run for N seeded inputs, panics caught and counted.
//!
//! ```sh
//! cargo run --release --example fuzz -- <target|all> <n> [seed] [--from i] [--dump DIR]
//! ```
//!
//! Targets: `rule` (rule source, through parser, checker, plan, tree walker and batch),
//! `policy` (policy TOML through `Library::load` and the test cases), `csv`, `jsonl`,
//! `xlsx` (the importer), `uscc` (credit codes). Input `i` depends only on the seed and
//! `i`: `--from i` with a count of 1 rebuilds one input (`--dump DIR` writes it instead). The first failing inputs of a run
//! are written to `target/fuzz/<target>/<i>.bin`. Exit code 1 when any input panicked.
//! Results and commands: docs/TESTING.md.

mod engine;
mod targets;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: fuzz <rule|policy|csv|jsonl|xlsx|uscc|all> <n> [seed] [--from i]";
    let (Some(which), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse::<u64>().ok())) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let seed = args.get(2).filter(|s| !s.starts_with("--")).and_then(|s| s.parse().ok()).unwrap_or(1);
    let from = args
        .iter()
        .position(|a| a == "--from")
        .and_then(|k| args.get(k + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let chosen: Vec<Box<dyn engine::Target>> = if which == "all" {
        targets::all()
    } else {
        match targets::by_name(which) {
            Some(t) => vec![t],
            None => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        }
    };
    // `--dump DIR`: write the inputs instead of running them (to look at one).
    if let Some(dir) = args.iter().position(|a| a == "--dump").and_then(|k| args.get(k + 1)) {
        for t in &chosen {
            for i in from..from + n {
                let input = t.input(&mut engine::Rng::for_input(seed, i));
                let _ = std::fs::create_dir_all(dir);
                let _ =
                    std::fs::write(std::path::Path::new(dir).join(format!("{}-{i}.bin", t.name())), input);
            }
        }
        return;
    }
    let mut failed = false;
    for t in chosen {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz").join(t.name());
        let name = t.name();
        let report = engine::run(&*t, seed, from, n, Some(&dir), &mut |r| {
            eprintln!(
                "[{name}] {} inputs, {} panics, {:.0} s, peak {} MiB",
                r.inputs,
                r.panics.len(),
                r.elapsed.as_secs_f64(),
                r.peak_rss_kib.0 / 1024
            );
        });
        println!(
            "{name}: {} inputs (seed {seed}, from {from}) in {:.1} s; panics {}; outcomes {:?}; slowest input {} ({:.1} ms); largest input {} ({} bytes); peak RSS {} MiB (input {}); most added by one input {} MiB (input {})",
            report.inputs,
            report.elapsed.as_secs_f64(),
            report.panics.len(),
            report.outcomes,
            report.slowest.1,
            report.slowest.0.as_secs_f64() * 1000.0,
            report.largest_input.1,
            report.largest_input.0,
            report.peak_rss_kib.0 / 1024,
            report.peak_rss_kib.1,
            report.peak_added_kib.0 / 1024,
            report.peak_added_kib.1,
        );
        for (place, (count, first, message)) in report.panic_places() {
            println!("  panic at {place}: {count} inputs, first {first}: {message}");
        }
        failed |= !report.panics.is_empty();
    }
    if failed {
        std::process::exit(1);
    }
}
