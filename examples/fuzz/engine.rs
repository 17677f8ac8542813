//! The fuzzing loop shared by every target: seeded inputs, panics caught and recorded
//! (message, place, input index), the slowest input, peak memory.
//!
//! Input `i` of a run is a function of `(seed, i)` alone, so any input is rebuilt with
//! `--from i` and a count of 1. Panics inside the code under test are caught with
//! `catch_unwind`; their default message is silenced (a hook records it instead), and the
//! first few failing inputs are written to `target/fuzz/<target>/<i>.bin`.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A small, fast, seeded generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of input `i` of a run with `seed`.
    pub fn for_input(seed: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A length skewed to small values, sometimes large: 0..=max.
    pub fn len(&mut self, max: usize) -> usize {
        match self.below(10) {
            0..=5 => self.below(max.min(8) + 1),
            6..=8 => self.below(max.min(200) + 1),
            _ => self.below(max + 1),
        }
    }
}

/// Values that break parsers: boundaries, odd characters, extremes.
pub const NASTY: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "0.0000000000000000000000000001",
    "1,2,3",
    "1,,000",
    "1.005",
    "１２３",
    "0000-01-01",
    "-0001-01-01",
    "9999-12-31",
    "2022-02-29",
    "2022年13月40日",
    "2147483647-01-01",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "\r",
    "\n",
    "\"",
    "\"\"",
    "'",
    "\\",
    "#N/A",
    "是",
    "否",
    "true",
    "null",
    "[]",
    "{}",
    "𝕏",
    "惠企",
    "A级",
    "小规模纳税人",
    "C3511",
    "Z9999",
    "91430100MA4L00011K",
    "91430100MA4L0001IK",
];

/// Byte-level mutations, applied 1 to `max_rounds` times: flip, insert, delete, duplicate
/// a slice, splice in a nasty value, repeat a slice many times, cut.
pub fn mutate_bytes(r: &mut Rng, data: &mut Vec<u8>, max_rounds: usize) {
    for _ in 0..1 + r.below(max_rounds) {
        let len = data.len();
        let at = r.below(len + 1);
        match r.below(8) {
            0 if len > 0 => {
                let i = r.below(len);
                data[i] ^= 1 << r.below(8);
            }
            1 => data.insert(at, r.next() as u8),
            2 if len > 0 => {
                let end = (at + r.len(64)).min(len);
                data.drain(at..end);
            }
            3 if len > 0 => {
                let start = r.below(len);
                let end = (start + r.len(256)).min(len);
                let piece = data[start..end].to_vec();
                let at = r.below(data.len() + 1);
                data.splice(at..at, piece);
            }
            4 => {
                let v = r.pick(NASTY).as_bytes().to_vec();
                data.splice(at..at, v);
            }
            5 if len > 0 => {
                // Repeat a short slice: long runs, deep nesting, many operators.
                let start = r.below(len);
                let end = (start + 1 + r.below(8)).min(len);
                let piece = data[start..end].to_vec();
                let times = if r.chance(10) { 1 + r.below(20_000) } else { 1 + r.below(64) };
                let mut run = Vec::with_capacity(piece.len() * times);
                for _ in 0..times {
                    run.extend_from_slice(&piece);
                }
                data.splice(end..end, run);
            }
            6 if len > 0 => {
                let i = r.below(len);
                data[i] = *r.pick(b"<>[](){}\"',;:=\\\n\r\t 0-+.#&%");
            }
            _ => {
                if len > 0 {
                    let i = r.below(len);
                    data.truncate(i);
                }
            }
        }
    }
}

/// A target: makes input `i` and runs the code under test on it.
pub trait Target {
    fn name(&self) -> &'static str;
    /// Builds one input from its generator.
    fn input(&self, r: &mut Rng) -> Vec<u8>;
    /// Runs the code under test and names what happened ("clean", "file error", …);
    /// panics are the findings.
    fn run(&self, input: &[u8]) -> &'static str;
}

/// One caught panic.
#[derive(Debug, Clone)]
pub struct Panic {
    pub input: u64,
    pub message: String,
    pub place: String,
}

/// The summary of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    pub outcomes: std::collections::BTreeMap<&'static str, u64>,
    pub panics: Vec<Panic>,
    pub slowest: (Duration, u64),
    pub largest_input: (usize, u64),
    /// The highest peak resident memory of the process (VmHWM, reset before each input)
    /// and the input that reached it.
    pub peak_rss_kib: (u64, u64),
    /// The most memory one input added while it ran (its peak less the resident memory
    /// before it: what the code under test took, not the generator) and that input.
    pub peak_added_kib: (u64, u64),
    pub elapsed: Duration,
}

impl Report {
    /// Distinct places of panics, with how many inputs hit each.
    pub fn panic_places(&self) -> std::collections::BTreeMap<String, (u64, u64, String)> {
        let mut m = std::collections::BTreeMap::new();
        for p in &self.panics {
            let e = m.entry(p.place.clone()).or_insert((0, p.input, p.message.clone()));
            e.0 += 1;
        }
        m
    }
}

thread_local! {
    static CAUGHT: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
    static IN_INPUT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs a hook that records the panic of the current input instead of printing it;
/// other panics go to the hook it replaced.
fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_INPUT.try_with(std::cell::Cell::get).unwrap_or(false) {
                previous(info);
                return;
            }
            let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "(non-text panic)".to_string()
            };
            let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            let _ = CAUGHT.try_with(|c| *c.borrow_mut() = Some((message, place)));
        }));
    });
}

/// A `/proc/self/status` field in KiB (Linux), or 0.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The process's peak resident memory in KiB (since the last reset).
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// The process's resident memory in KiB.
pub fn current_rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// Starts measuring the peak resident memory afresh (Linux 4.0+: `clear_refs` 5), so
/// that the peak read after an input is that input's; without it the peak only grows.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs inputs `from .. from + n` of `target` with `seed`. `save` names a directory for
/// the first failing inputs; `progress` is told every 10,000 inputs.
pub fn run(
    target: &dyn Target,
    seed: u64,
    from: u64,
    n: u64,
    save: Option<&std::path::Path>,
    progress: &mut dyn FnMut(&Report),
) -> Report {
    install_hook();
    let mut report = Report::default();
    let started = Instant::now();
    // A watchdog names an input that runs for more than 20 s.
    let current = Arc::new(AtomicU64::new(u64::MAX));
    let since = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicUsize::new(0));
    let watchdog = {
        let (current, since, stop) = (current.clone(), since.clone(), stop.clone());
        let name = target.name();
        std::thread::spawn(move || {
            let mut warned = u64::MAX;
            while stop.load(Ordering::Relaxed) == 0 {
                std::thread::sleep(Duration::from_millis(500));
                let i = current.load(Ordering::Relaxed);
                let secs = started.elapsed().as_secs() as usize - since.load(Ordering::Relaxed);
                if i != u64::MAX && secs >= 20 && warned != i {
                    eprintln!("[{name}] input {i} has been running for {secs} s");
                    warned = i;
                }
            }
        })
    };
    for i in from..from + n {
        let mut r = Rng::for_input(seed, i);
        let input = target.input(&mut r);
        if input.len() > report.largest_input.0 {
            report.largest_input = (input.len(), i);
        }
        current.store(i, Ordering::Relaxed);
        since.store(started.elapsed().as_secs() as usize, Ordering::Relaxed);
        reset_peak_rss();
        let rss_before = current_rss_kib();
        let t = Instant::now();
        IN_INPUT.with(|f| f.set(true));
        let out = catch_unwind(AssertUnwindSafe(|| target.run(&input)));
        IN_INPUT.with(|f| f.set(false));
        let took = t.elapsed();
        current.store(u64::MAX, Ordering::Relaxed);
        report.inputs += 1;
        if took > report.slowest.0 {
            report.slowest = (took, i);
        }
        match out {
            Ok(label) => *report.outcomes.entry(label).or_default() += 1,
            Err(_) => {
                let (message, place) = CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or_default();
                if let Some(dir) = save
                    && report.panics.len() < 20
                {
                    let _ = std::fs::create_dir_all(dir);
                    let _ = std::fs::write(dir.join(format!("{i}.bin")), &input);
                }
                report.panics.push(Panic { input: i, message: message.chars().take(300).collect(), place });
            }
        }
        let rss = peak_rss_kib();
        if rss > report.peak_rss_kib.0 {
            report.peak_rss_kib = (rss, i);
        }
        let added = rss.saturating_sub(rss_before);
        if added > report.peak_added_kib.0 {
            report.peak_added_kib = (added, i);
        }
        if report.inputs % 10_000 == 0 {
            report.elapsed = started.elapsed();
            progress(&report);
        }
    }
    stop.store(1, Ordering::Relaxed);
    let _ = watchdog.join();
    let rss = peak_rss_kib();
    if rss > report.peak_rss_kib.0 {
        report.peak_rss_kib = (rss, from + n.saturating_sub(1));
    }
    report.elapsed = started.elapsed();
    report
}
