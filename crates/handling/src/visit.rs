//! Visits (走访): a cadre's record of a visit to an enterprise, and coverage: which of each
//! cadre's enterprises have not been visited in N days. Problems a visit raises carry the
//! `visit` channel and the visit's id ([`crate::Problem::visit`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};

/// One visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub enterprise: UnifiedCreditCode,
    pub date: NaiveDate,
    /// The cadre's username.
    pub cadre: String,
    pub findings: String,
}

/// An enterprise a cadre has not visited recently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncovered {
    pub enterprise: UnifiedCreditCode,
    /// The last visit by anyone, if any.
    pub last_visit: Option<NaiveDate>,
}

/// One cadre's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CadreCoverage {
    pub cadre: String,
    pub enterprises: usize,
    /// Not visited in the window, never-visited first, then oldest visit first.
    pub not_visited: Vec<Uncovered>,
}

/// For each cadre (from the three-link assignments `(cadre, enterprise)`), the enterprises
/// with no visit in the last `days` calendar days: a visit on `today - days + 1` or later
/// counts. Visits by any cadre count: the question is whether the enterprise was seen.
/// Visits dated after `today` are ignored. Cadres come out sorted by username.
pub fn coverage(
    assignments: &[(String, UnifiedCreditCode)],
    visits: &[Visit],
    today: NaiveDate,
    days: u32,
) -> Vec<CadreCoverage> {
    let mut last: BTreeMap<&UnifiedCreditCode, NaiveDate> = BTreeMap::new();
    for v in visits.iter().filter(|v| v.date <= today) {
        let e = last.entry(&v.enterprise).or_insert(v.date);
        *e = (*e).max(v.date);
    }
    let cutoff = today - chrono::Days::new(u64::from(days));
    let mut by_cadre: BTreeMap<&str, Vec<&UnifiedCreditCode>> = BTreeMap::new();
    for (c, e) in assignments {
        let list = by_cadre.entry(c.as_str()).or_default();
        if !list.contains(&e) {
            list.push(e);
        }
    }
    by_cadre
        .into_iter()
        .map(|(cadre, ents)| {
            let mut not_visited: Vec<Uncovered> = ents
                .iter()
                .filter_map(|e| {
                    let lv = last.get(e).copied();
                    match lv {
                        Some(d) if d > cutoff => None,
                        _ => Some(Uncovered { enterprise: (*e).clone(), last_visit: lv }),
                    }
                })
                .collect();
            not_visited.sort_by(|a, b| a.last_visit.cmp(&b.last_visit).then(a.enterprise.cmp(&b.enterprise)));
            CadreCoverage { cadre: cadre.to_string(), enterprises: ents.len(), not_visited }
        })
        .collect()
}
