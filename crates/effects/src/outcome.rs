//! Outcomes over time: for the enterprises a kind of help reached, the change of an annual
//! fact from before to after the help, beside comparable enterprises it did not reach.
//!
//! # The method (difference in differences with coarsened exact matching)
//!
//! - **Cohort.** An enterprise's cohort is the year `H` of its first help of the kind being
//!   evaluated. Its change is `ln v[H+1] − ln v[H−1]`: from the last full year before the
//!   help to the first full year after it (the year of the help itself is left out, being
//!   partly before and partly after). Its pre-help trend is `ln v[H−1] − ln v[H−2]`. An
//!   enterprise without a positive value in any of the three years is *not measurable* (and
//!   so is a cohort whose `H+1` is not yet in the facts).
//! - **Comparable enterprises.** For cohort `H`, an enterprise is a control when this kind
//!   of help did not reach it up to `H+1` (help later than that does not matter), and it is
//!   measurable for `H`. Helped and controls are put in strata by cohort year, size class,
//!   industry division (GB/T 4754 大类, the section letter and two digits: within one
//!   section, e.g. C manufacturing, divisions grow at very different rates, and help often
//!   goes to some divisions more than others), age band at `H` (under 3 years, 3–9, 10 and
//!   more, unknown) and pre-help trend band (below −10 %, −10 to −3 %, −3 to 3 %, 3 to
//!   10 %, 10 % and more, in log points): exact matching on the coarsened values. Where a
//!   helped enterprise's stratum has fewer than [`MIN_CONTROLS`] controls (a small zone),
//!   it is compared within a coarser one: cohort × industry division × trend band, then
//!   cohort × industry section × trend band, then cohort × trend band ([`LEVELS`]; the
//!   cohort and the pre-help trend are always matched, and how many were matched in the
//!   finest strata is counted). Without even that it is *unmatched* and left out.
//! - **Estimate.** Each matched helped enterprise's change minus the mean change of its
//!   stratum's controls; the estimate is the mean of these differences over the matched
//!   helped (the average difference for the helped, in log points), shown as a percentage
//!   `exp(d) − 1`.
//! - **Interval.** Analytic: the variance of the mean difference is
//!   `Σ(rᵢ − d)² / N² + Σₛ (Nₛ/N)² · s²ₛ / nₛ` (the spread of the helped's differences plus
//!   the uncertainty of each stratum's control mean), and the interval is
//!   `d ± z·√variance`, where `z` makes the intervals of one report hold together at 95 %
//!   (Bonferroni over the estimates shown: [`finish`]). Below [`MIN_TREATED`] matched
//!   helped enterprises the estimate is *too few to tell* and no interval is given.
//! - **Words.** An interval wholly above 0 reads "higher than comparable enterprises not
//!   helped", wholly below "lower than …", otherwise "no clear difference". Never "caused"
//!   or "because of": the match removes differences in the matched traits and in the
//!   pre-help trend, not in what was not observed (why an enterprise was helped).
//!
//! The statistics are `f64`; an enterprise's values arrive as `f64` from exact money (the
//! logarithm needs a float anyway).

use enterprise::SizeClass;
use serde::Serialize;
use std::collections::HashMap;

use crate::stats::{Moments, simultaneous_z};

/// Below this many matched helped enterprises an estimate is "too few to tell".
pub const MIN_TREATED: u64 = 30;
/// A stratum with fewer controls than this does not match its helped enterprises.
pub const MIN_CONTROLS: u64 = 5;
/// The level the intervals of one report hold at together.
pub const LEVEL: f64 = 0.95;

/// What an enterprise is matched on besides its trend, fixed for the panel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Baseline {
    pub size: Option<SizeClass>,
    /// The GB/T 4754 section letter (`C` manufacturing, …).
    pub industry: Option<char>,
    /// The GB/T 4754 division (大类, two digits: `27` 医药制造业, …) within the section.
    pub division: Option<u8>,
    /// The year it was established.
    pub established: Option<i32>,
}

/// One annual fact of every enterprise over consecutive years, as logarithms (missing or
/// not positive: NaN), with its baseline. Enterprises are added in ascending id order.
#[derive(Debug, Clone)]
pub struct OutcomePanel {
    first_year: i32,
    years: usize,
    ids: Vec<i64>,
    base: Vec<Baseline>,
    logs: Vec<f64>,
}

/// An enterprise added out of id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder {
    pub id: i64,
}

impl OutcomePanel {
    /// A panel of the years `first_year ..= last_year` (at least one year).
    pub fn new(first_year: i32, last_year: i32) -> OutcomePanel {
        let years = usize::try_from(last_year - first_year + 1).unwrap_or(0).max(1);
        OutcomePanel { first_year, years, ids: Vec::new(), base: Vec::new(), logs: Vec::new() }
    }

    pub fn first_year(&self) -> i32 {
        self.first_year
    }

    pub fn last_year(&self) -> i32 {
        self.first_year + self.years as i32 - 1
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds an enterprise with its value per year (`value(year)`, yuan or persons); ids must
    /// ascend.
    pub fn push(
        &mut self,
        id: i64,
        base: Baseline,
        value: impl Fn(i32) -> Option<f64>,
    ) -> Result<(), OutOfOrder> {
        if self.ids.last().is_some_and(|&last| last >= id) {
            return Err(OutOfOrder { id });
        }
        self.ids.push(id);
        self.base.push(base);
        for k in 0..self.years {
            let v = value(self.first_year + k as i32).filter(|v| *v > 0.0 && v.is_finite());
            self.logs.push(v.map_or(f64::NAN, f64::ln));
        }
        Ok(())
    }

    fn index_of(&self, id: i64) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    fn log(&self, i: usize, year: i32) -> f64 {
        let k = year - self.first_year;
        if k < 0 || k as usize >= self.years {
            return f64::NAN;
        }
        self.logs[i * self.years + k as usize]
    }

    /// The cohort years whose before and after years are in the panel.
    pub fn cohorts(&self) -> std::ops::RangeInclusive<i32> {
        (self.first_year + 2)..=(self.last_year() - 1)
    }

    /// Enterprise `i`'s strata (finest first, see [`LEVELS`]) and change for cohort `h`, if it
    /// is measurable.
    fn observe(&self, i: usize, h: i32) -> Option<([u32; LEVELS], f64)> {
        let (a, b, c) = (self.log(i, h - 2), self.log(i, h - 1), self.log(i, h + 1));
        if a.is_nan() || b.is_nan() || c.is_nan() {
            return None;
        }
        let trend = b - a;
        let band = match trend {
            t if t < -0.10 => 0,
            t if t < -0.03 => 1,
            t if t < 0.03 => 2,
            t if t < 0.10 => 3,
            _ => 4,
        };
        let base = &self.base[i];
        let size = base.size.map_or(4, |s| s as u32);
        let section = base.industry.filter(char::is_ascii_uppercase).map_or(26, |c| c as u32 - 'A' as u32);
        // 0–99 a division, 100 none given.
        let division = section * 101 + base.division.filter(|d| *d < 100).map_or(100, u32::from);
        let age = match base.established.map(|y| h - y) {
            Some(a) if a < 3 => 0,
            Some(a) if a < 10 => 1,
            Some(_) => 2,
            None => 3,
        };
        // Below 5 × 27 × 101 × 4 × 8 = 436,320 < 2²⁸: the level marks the top bits.
        let exact = ((size * 27 * 101 + division) * 4 + age) * 8 + band;
        let division_trend = (1 << 28) | (division * 8 + band);
        let section_trend = (2 << 28) | (section * 8 + band);
        let trend_only = (3 << 28) | band;
        Some(([exact, division_trend, section_trend, trend_only], c - b))
    }
}

/// How many levels of strata there are: exact (cohort × size class × industry division × age
/// band × trend band), then cohort × industry division × trend band, then cohort × industry
/// section × trend band, then cohort × trend band.
/// A helped enterprise is compared within the finest level whose stratum has at least
/// [`MIN_CONTROLS`] controls.
pub const LEVELS: usize = 4;

/// Sums of a group of changes: count, sum, sum of squares.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    n: u64,
    s1: f64,
    s2: f64,
}

impl Sums {
    fn add(&mut self, x: f64) {
        self.n += 1;
        self.s1 += x;
        self.s2 += x * x;
    }
    fn remove(&mut self, x: f64) {
        self.n = self.n.saturating_sub(1);
        self.s1 -= x;
        self.s2 -= x * x;
    }
    fn mean(&self) -> f64 {
        self.s1 / self.n as f64
    }
    fn variance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        ((self.s2 - self.s1 * self.s1 / n) / (n - 1.0)).max(0.0)
    }
}

/// Every measurable enterprise's change, summed per (cohort, stratum): computed once per
/// panel, then each kind of help takes its own helped out of it ([`Comparison::estimate`]).
#[derive(Debug, Clone)]
pub struct Comparison {
    all: HashMap<(i32, u32), Sums>,
}

/// An estimate before its interval (which depends on how many a report shows).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RawEstimate {
    /// Helped enterprises matched to comparable ones.
    pub treated: u64,
    /// Of them, matched in the finest strata (the others in a coarser level, [`LEVELS`]).
    pub matched_exactly: u64,
    /// Helped, measurable, but no stratum with enough controls.
    pub unmatched: u64,
    /// Helped in the panel but not measurable (a year missing, or the cohort's after-year
    /// not yet in the facts).
    pub not_measurable: u64,
    /// Controls in the strata used.
    pub controls: u64,
    /// Mean change of the matched helped (log points).
    pub treated_change: f64,
    /// Mean change of their comparable enterprises (weighted as the helped are).
    pub control_change: f64,
    /// Mean difference (log points).
    pub difference: f64,
    pub variance: f64,
}

impl Comparison {
    pub fn new(panel: &OutcomePanel) -> Comparison {
        let mut all: HashMap<(i32, u32), Sums> = HashMap::new();
        for h in panel.cohorts() {
            for i in 0..panel.len() {
                if let Some((keys, d)) = panel.observe(i, h) {
                    for s in keys {
                        all.entry((h, s)).or_default().add(d);
                    }
                }
            }
        }
        Comparison { all }
    }

    /// The estimate for the enterprises whose first help of a kind was in the given year
    /// (`first_help`: enterprise id → year; ids not in the panel are ignored).
    pub fn estimate(&self, panel: &OutcomePanel, first_help: &HashMap<i64, i32>) -> RawEstimate {
        let cohorts = panel.cohorts();
        // Controls: take out every enterprise helped up to the cohort's after-year.
        let mut controls: HashMap<(i32, u32), Sums> = HashMap::new();
        let mut treated: Vec<(i32, [u32; LEVELS], f64)> = Vec::new();
        let mut not_measurable = 0u64;
        for (&id, &year) in first_help {
            let Some(i) = panel.index_of(id) else { continue };
            let mut measured = false;
            for h in cohorts.clone() {
                if year > h + 1 {
                    continue;
                }
                let Some((keys, d)) = panel.observe(i, h) else { continue };
                for s in keys {
                    let c = controls
                        .entry((h, s))
                        .or_insert_with(|| self.all.get(&(h, s)).copied().unwrap_or_default());
                    c.remove(d);
                }
                if year == h {
                    treated.push((h, keys, d));
                    measured = true;
                }
            }
            if !measured {
                not_measurable += 1;
            }
        }
        let control_of =
            |k: &(i32, u32)| controls.get(k).or_else(|| self.all.get(k)).copied().unwrap_or_default();
        let mut per_stratum: HashMap<(i32, u32), u64> = HashMap::new();
        let mut diffs = Moments::default();
        let mut helped = Moments::default();
        let mut unmatched = 0;
        let mut exact = 0;
        for (h, keys, d) in &treated {
            let Some((level, k, c)) = keys
                .iter()
                .enumerate()
                .map(|(level, s)| (level, (*h, *s), control_of(&(*h, *s))))
                .find(|(_, _, c)| c.n >= MIN_CONTROLS)
            else {
                unmatched += 1;
                continue;
            };
            exact += u64::from(level == 0);
            *per_stratum.entry(k).or_default() += 1;
            diffs.push(d - c.mean());
            helped.push(*d);
        }
        let n = diffs.n as f64;
        let mut control_part = 0.0;
        let mut used_controls = 0;
        for (k, nt) in &per_stratum {
            let c = control_of(k);
            used_controls += c.n;
            control_part += (*nt as f64 / n).powi(2) * c.variance() / c.n as f64;
        }
        let variance =
            if diffs.n == 0 { f64::NAN } else { diffs.variance() * (n - 1.0) / (n * n) + control_part };
        RawEstimate {
            treated: diffs.n,
            matched_exactly: exact,
            unmatched,
            not_measurable,
            controls: used_controls,
            treated_change: helped.mean,
            control_change: helped.mean - diffs.mean,
            difference: diffs.mean,
            variance,
        }
    }
}

/// What an estimate may be read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fewer than [`MIN_TREATED`] matched helped enterprises.
    TooFewToTell,
    /// The interval contains 0.
    NoClearDifference,
    /// The interval lies above 0.
    Higher,
    /// The interval lies below 0.
    Lower,
}

impl Verdict {
    pub fn label_zh(self) -> &'static str {
        match self {
            Verdict::TooFewToTell => "样本太少，无法判断",
            Verdict::NoClearDifference => "与可比企业无明显差异",
            Verdict::Higher => "高于可比未帮扶企业",
            Verdict::Lower => "低于可比未帮扶企业",
        }
    }
}

/// An estimate with its interval, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub raw: RawEstimate,
    /// The helped's change (percent, `exp(mean log change) − 1`).
    pub treated_change_pct: Option<f64>,
    pub control_change_pct: Option<f64>,
    /// The difference and its interval (percent); `None` when too few to tell.
    pub difference_pct: Option<f64>,
    pub low_pct: Option<f64>,
    pub high_pct: Option<f64>,
    /// The interval's level for this one estimate (simultaneous 95 % over the report).
    pub level: f64,
    pub verdict: Verdict,
}

fn pct(x: f64) -> f64 {
    (x.exp() - 1.0) * 100.0
}

/// The estimates of one report with their intervals: those with at least [`MIN_TREATED`]
/// matched helped enterprises get intervals holding together at [`LEVEL`] (each at
/// `1 − 0.05/k` for `k` of them), the others "too few to tell".
pub fn finish(raws: &[RawEstimate]) -> Vec<Estimate> {
    let k = raws.iter().filter(|r| r.treated >= MIN_TREATED).count();
    let z = simultaneous_z(LEVEL, k);
    let level = 1.0 - (1.0 - LEVEL) / k.max(1) as f64;
    raws.iter()
        .map(|r| {
            if r.treated < MIN_TREATED || !r.variance.is_finite() {
                return Estimate {
                    raw: *r,
                    treated_change_pct: None,
                    control_change_pct: None,
                    difference_pct: None,
                    low_pct: None,
                    high_pct: None,
                    level,
                    verdict: Verdict::TooFewToTell,
                };
            }
            let half = z * r.variance.sqrt();
            let (lo, hi) = (r.difference - half, r.difference + half);
            let verdict = if lo > 0.0 {
                Verdict::Higher
            } else if hi < 0.0 {
                Verdict::Lower
            } else {
                Verdict::NoClearDifference
            };
            Estimate {
                raw: *r,
                treated_change_pct: Some(pct(r.treated_change)),
                control_change_pct: Some(pct(r.control_change)),
                difference_pct: Some(pct(r.difference)),
                low_pct: Some(pct(lo)),
                high_pct: Some(pct(hi)),
                level,
                verdict,
            }
        })
        .collect()
}

impl Estimate {
    /// The finding in plain Chinese, with its sample sizes and interval, never a causal word:
    /// `帮扶后营业收入变化比可比未帮扶企业高 8.1%（95% 区间 5.2%～11.0%；帮扶企业 412 家，可比企业 9,870 家）`.
    pub fn sentence_zh(&self, measure_zh: &str) -> String {
        let r = &self.raw;
        match (self.verdict, self.difference_pct, self.low_pct, self.high_pct) {
            (Verdict::TooFewToTell, ..) | (_, None, _, _) | (_, _, None, _) | (_, _, _, None) => format!(
                "可比对的帮扶企业仅 {} 家（少于 {MIN_TREATED} 家），样本太少，无法判断{measure_zh}变化",
                r.treated
            ),
            (v, Some(d), Some(lo), Some(hi)) => {
                let tail = format!(
                    "（区间 {lo:.1}%～{hi:.1}%；帮扶企业 {} 家，可比企业 {} 家）",
                    r.treated, r.controls
                );
                match v {
                    Verdict::Higher => format!("帮扶后{measure_zh}变化比可比未帮扶企业高 {d:.1}%{tail}"),
                    Verdict::Lower => format!("帮扶后{measure_zh}变化比可比未帮扶企业低 {:.1}%{tail}", -d),
                    _ => format!("帮扶后{measure_zh}变化与可比未帮扶企业无明显差异{tail}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
