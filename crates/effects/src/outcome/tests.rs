//! The method on a synthetic zone with a planted effect: enterprises paid an award grow 8 %
//! more after it, nothing else has an effect, and awards go more often to enterprises of the
//! faster-growing industries and, within manufacturing, to the slower-growing of its two
//! divisions (so a naive comparison would be wrong, and so would one within sections only).

use super::*;
use proptest::prelude::*;

/// SplitMix64: a small deterministic generator for the synthetic zone.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(crate) fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

pub(crate) const PLANTED: f64 = 0.08;

/// A zone of `n` enterprises over 2021–2025: revenue per year, the year each was paid an
/// award (2023 or 2024; +8 % revenue in the years after it) and the year a problem of each
/// was solved (no effect).
pub(crate) struct Zone {
    pub(crate) panel: OutcomePanel,
    pub(crate) paid: HashMap<i64, i32>,
    pub(crate) solved: HashMap<i64, i32>,
}

pub(crate) fn zone(seed: u64, n: i64, award_share: f64) -> Zone {
    let mut rng = Rng::new(seed);
    let mut panel = OutcomePanel::new(2021, 2025);
    let (mut paid, mut solved) = (HashMap::new(), HashMap::new());
    // (section, division, trend, award weight)
    let industries = [
        ('C', 27, 0.03, 3.0),
        ('C', 39, 0.10, 0.3),
        ('I', 65, 0.12, 4.0),
        ('F', 51, -0.02, 0.5),
        ('G', 54, 0.03, 1.0),
    ];
    let sizes = [(SizeClass::Micro, 0.0), (SizeClass::Small, 0.01), (SizeClass::Medium, 0.02)];
    for id in 1..=n {
        let (industry, division, trend, award_weight) = industries[(rng.next() % 5) as usize];
        let (size, size_trend) = sizes[(rng.next() % 3) as usize];
        let established = 2005 + (rng.next() % 18) as i32;
        let award = rng.uniform() < award_share * award_weight;
        let award_year = if rng.next().is_multiple_of(2) { 2023 } else { 2024 };
        if award {
            paid.insert(id, award_year);
        }
        if rng.uniform() < 0.12 {
            solved.insert(id, 2023 + (rng.next() % 2) as i32);
        }
        let level = 15.0 + rng.normal();
        let mut revenue = [0.0; 5];
        for (k, r) in revenue.iter_mut().enumerate() {
            let year = 2021 + k as i32;
            let effect = if award && year > award_year { PLANTED.ln_1p() } else { 0.0 };
            *r = (level + (trend + size_trend) * k as f64 + effect + 0.08 * rng.normal()).exp();
        }
        let base = Baseline {
            size: Some(size),
            industry: Some(industry),
            division: Some(division),
            established: Some(established),
        };
        panel.push(id, base, |y| revenue.get((y - 2021) as usize).copied()).unwrap();
    }
    Zone { panel, paid, solved }
}

#[test]
fn the_planted_effect_is_found_within_its_interval_and_no_other_is_reported() {
    let seeds = 40;
    let (mut covered, mut found, mut false_reports) = (0, 0, 0);
    let mut naive_biased = 0;
    for seed in 0..seeds {
        let z = zone(seed, 4000, 0.08);
        let cmp = Comparison::new(&z.panel);
        let raws = [cmp.estimate(&z.panel, &z.paid), cmp.estimate(&z.panel, &z.solved)];
        let [award, problems] = finish(&raws)[..] else { panic!() };
        assert!(award.raw.treated >= 200, "{:?}", award.raw);
        let (lo, hi) = (award.low_pct.unwrap(), award.high_pct.unwrap());
        if lo <= PLANTED * 100.0 && PLANTED * 100.0 <= hi {
            covered += 1;
        }
        if award.verdict == Verdict::Higher {
            found += 1;
        }
        if matches!(problems.verdict, Verdict::Higher | Verdict::Lower) {
            false_reports += 1;
        }
        // Without matching (all helped against all not helped) the difference is off:
        // awards went to the faster-growing industries.
        let naive = naive_difference(&z.panel, &z.paid);
        if (pct(naive) - PLANTED * 100.0).abs() > 2.0 {
            naive_biased += 1;
        }
    }
    assert_eq!(found, seeds, "the +8 % is reported as higher than comparable enterprises in every zone");
    // Each interval holds with at least 97.5 % (two estimates at 95 % together): 40 zones
    // leave one or two misses at most, by chance.
    assert!(covered >= seeds - 4, "the +8 % lies in the interval in {covered} of {seeds} zones");
    assert!(false_reports <= 4, "problems solved (no effect) reported in {false_reports} of {seeds} zones");
    assert!(naive_biased >= seeds - 4, "the naive comparison is biased in {naive_biased} of {seeds}");
}

/// Matching within industry sections only (as the method did before it matched divisions)
/// misses much of the effect here: the awarded manufacturers are mostly of the slow division,
/// and their controls mostly of the fast one, which the pre-help trend band corrects only in
/// part. The effect benchmark showed this: +8 % planted, +3.8 % reported.
#[test]
fn matching_within_sections_only_would_underestimate_the_effect() {
    let (mut sections_only, mut divisions) = (Moments::default(), Moments::default());
    for seed in 0..10 {
        let z = zone(seed, 4000, 0.08);
        let mut coarse = OutcomePanel::new(2021, 2025);
        for i in 0..z.panel.len() {
            let logs: Vec<f64> = (2021..=2025).map(|y| z.panel.log(i, y)).collect();
            let base = Baseline { division: None, ..z.panel.base[i] };
            coarse.push(z.panel.ids[i], base, |y| Some(logs[(y - 2021) as usize].exp())).unwrap();
        }
        sections_only.push(pct(Comparison::new(&coarse).estimate(&coarse, &z.paid).difference));
        divisions.push(pct(Comparison::new(&z.panel).estimate(&z.panel, &z.paid).difference));
    }
    assert!((divisions.mean - PLANTED * 100.0).abs() < 1.0, "with divisions: {:.2} %", divisions.mean);
    assert!(sections_only.mean < PLANTED * 100.0 - 1.0, "sections only: {:.2} %", sections_only.mean);
}

/// The mean change of the helped minus that of everyone else, for cohort 2023 only.
fn naive_difference(panel: &OutcomePanel, helped: &HashMap<i64, i32>) -> f64 {
    let (mut t, mut c) = (Moments::default(), Moments::default());
    for i in 0..panel.len() {
        let Some((_, d)) = panel.observe(i, 2023) else { continue };
        match helped.get(&panel.ids[i]) {
            Some(2023) => t.push(d),
            Some(_) => {}
            None => c.push(d),
        }
    }
    t.mean - c.mean
}

#[test]
fn the_words_carry_no_cause_and_state_the_sample() {
    let z = zone(7, 4000, 0.08);
    let cmp = Comparison::new(&z.panel);
    let est = finish(&[cmp.estimate(&z.panel, &z.paid)]);
    let s = est[0].sentence_zh("营业收入");
    assert!(s.contains("高于") || s.contains("高 "), "{s}");
    assert!(s.contains("帮扶企业") && s.contains("可比企业") && s.contains("区间"), "{s}");
    for word in ["导致", "因为", "由于", "带来", "促进", "拉动"] {
        assert!(!s.contains(word), "{word} in {s}");
    }
}

#[test]
fn missing_years_and_late_help_are_not_measurable() {
    let mut p = OutcomePanel::new(2021, 2024);
    let b = Baseline {
        size: Some(SizeClass::Small),
        industry: Some('C'),
        division: Some(27),
        established: Some(2010),
    };
    p.push(1, b, |y| (y != 2022).then_some(100.0)).unwrap();
    p.push(2, b, |_| Some(100.0)).unwrap();
    assert_eq!(p.push(2, b, |_| Some(1.0)), Err(OutOfOrder { id: 2 }));
    let cmp = Comparison::new(&p);
    // 1 lacks 2022 (its before-year for 2023); 2 was helped in 2024, whose after-year
    // (2025) is not in the facts.
    let r = cmp.estimate(&p, &HashMap::from([(1, 2023), (2, 2024), (99, 2023)]));
    assert_eq!((r.treated, r.not_measurable), (0, 2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    /// Below the stated minimum of matched helped enterprises there is no finding, however
    /// large the difference looks.
    #[test]
    fn too_few_helped_never_make_a_finding(seed in 0u64..1_000, helped in 1usize..30) {
        let z = zone(seed, 1500, 0.0);
        let picked: HashMap<i64, i32> = z.paid.keys().copied().chain(1..=helped as i64)
            .take(helped).map(|id| (id, 2023)).collect();
        let est = finish(&[Comparison::new(&z.panel).estimate(&z.panel, &picked)]);
        prop_assert_eq!(est[0].verdict, Verdict::TooFewToTell);
        prop_assert!(est[0].low_pct.is_none());
        prop_assert!(est[0].sentence_zh("营业收入").contains("样本太少"));
    }

    /// Scaling every value (yuan to 万元) changes nothing: the method reads ratios.
    #[test]
    fn the_estimate_does_not_depend_on_the_unit(seed in 0u64..1_000) {
        let z = zone(seed, 600, 0.1);
        let mut scaled = OutcomePanel::new(2021, 2025);
        for i in 0..z.panel.len() {
            let logs: Vec<f64> = (2021..=2025).map(|y| z.panel.log(i, y)).collect();
            scaled.push(z.panel.ids[i], z.panel.base[i], |y| Some(logs[(y - 2021) as usize].exp() / 10_000.0)).unwrap();
        }
        let a = Comparison::new(&z.panel).estimate(&z.panel, &z.paid);
        let b = Comparison::new(&scaled).estimate(&scaled, &z.paid);
        prop_assert_eq!(a.treated, b.treated);
        prop_assert!((a.difference - b.difference).abs() < 1e-9);
    }
}

#[test]
fn a_small_zone_is_matched_in_coarser_strata_rather_than_left_out() {
    let z = zone(3, 400, 0.1);
    let r = Comparison::new(&z.panel).estimate(&z.panel, &z.paid);
    assert!(r.treated > 20, "{r:?}");
    assert!(r.matched_exactly < r.treated, "some in coarser strata: {r:?}");
    assert!(r.unmatched * 10 < r.treated, "few left out: {r:?}");
}
