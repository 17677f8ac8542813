//! Which enterprises a grant run adds. A run is keyed by (item, period): a rerun adds only the
//! eligible enterprises that have no grant for that item and period yet, whatever happened
//! to the earlier ones (paid, rejected by an upheld objection, still in publicity). The same
//! key is a `UNIQUE (enterprise, item, period)` in both stores, so a concurrent run or a
//! retry after a crash cannot add a second grant even past this check.

use std::collections::BTreeSet;

/// The enterprises of `eligible` (in order, each once) that `existing` does not hold.
pub fn new_grants(existing: &BTreeSet<i64>, eligible: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = BTreeSet::new();
    eligible.into_iter().filter(|e| !existing.contains(e) && seen.insert(*e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        /// A run over these eligible enterprises that commits.
        Run(Vec<i64>),
        /// A run that crashes before its commit: nothing of it is kept.
        Crash(Vec<i64>),
        /// Two runs planned against the same state, committed one after the other (the second
        /// insert skips what the first added, as `ON CONFLICT DO NOTHING` does).
        Concurrent(Vec<i64>, Vec<i64>),
    }

    fn step() -> impl Strategy<Value = Step> {
        let ids = || proptest::collection::vec(0i64..40, 0..30);
        prop_oneof![
            ids().prop_map(Step::Run),
            ids().prop_map(Step::Crash),
            (ids(), ids()).prop_map(|(a, b)| Step::Concurrent(a, b)),
        ]
    }

    proptest! {
        /// Reruns, crashes and concurrent runs never give an enterprise two grants, and every
        /// enterprise found eligible by a committed run has one.
        #[test]
        fn never_two_grants_per_enterprise_item_and_period(steps in proptest::collection::vec(step(), 0..20)) {
            let mut granted: Vec<i64> = Vec::new();
            let mut committed_eligible = BTreeSet::new();
            let insert = |granted: &mut Vec<i64>, plan: Vec<i64>| {
                let have: BTreeSet<i64> = granted.iter().copied().collect();
                granted.extend(plan.into_iter().filter(|e| !have.contains(e)));
            };
            for s in steps {
                let have: BTreeSet<i64> = granted.iter().copied().collect();
                match s {
                    Step::Run(e) => {
                        committed_eligible.extend(e.iter().copied());
                        insert(&mut granted, new_grants(&have, e));
                    }
                    Step::Crash(e) => { let _ = new_grants(&have, e); }
                    Step::Concurrent(a, b) => {
                        committed_eligible.extend(a.iter().chain(b.iter()).copied());
                        let pa = new_grants(&have, a);
                        let pb = new_grants(&have, b);
                        insert(&mut granted, pa);
                        insert(&mut granted, pb);
                    }
                }
                let unique: BTreeSet<i64> = granted.iter().copied().collect();
                prop_assert_eq!(unique.len(), granted.len());
                prop_assert_eq!(&unique, &committed_eligible);
            }
        }
    }
}
