//! The demo zone's history for the effect report (issue 17): its registry holds the annual
//! figures of 2020 and 2021 only ([`crate::demo::DEMO_YEARS`]), too short for a before and
//! after. This adds, for every enterprise with 2020 figures, revenue and employees of 2017
//! and 2018 (drawn backwards from 2020 with a seeded yearly growth of −5 % to +15 %), and
//! a visit in 2019 by its cadre (三联) to every third linked enterprise, so that the report
//! of the demo quarter (2022Q4) compares the 2019 visits' enterprises with comparable ones
//! (2018 → 2020). No effect is planted: whatever the report shows comes from the generated
//! figures as they are.
//!
//! The years are older than any the shipped policies read for the demo date (2022 decisions
//! read 2019–2021), so the match and its inboxes are unchanged.

use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::{EnterpriseRecord, FactRecord, FactSource, FactValue};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use store::{ImportFormat, ImportRequest, Stamp, Store};

use crate::demo::DemoZone;

/// The seed of the history.
const HISTORY_SEED: u64 = 0x2017_2018_2019;
/// The earlier years added.
pub const HISTORY_YEARS: [i32; 2] = [2017, 2018];

/// The records adding the earlier years' facts (registry fields as generated, so nothing
/// else changes), and the 2019 visits.
pub fn history(zone: &DemoZone) -> (Vec<EnterpriseRecord>, Vec<handling::Visit>) {
    let mut rng = ChaCha8Rng::seed_from_u64(HISTORY_SEED);
    let mut records = Vec::new();
    for r in &zone.records {
        let of =
            |id: &str| r.facts.iter().find(|f| f.fact == id && f.year == Some(2020)).map(|f| f.value.clone());
        let (Some(FactValue::Money(revenue)), employees) = (of("revenue"), of("employees")) else { continue };
        let mut facts = Vec::new();
        let (mut rev, mut emp) = (revenue, employees);
        for year in [2019, 2018, 2017] {
            let growth = Decimal::new(rng.random_range(950..=1150), 3);
            rev = (rev / growth).round_dp(2);
            emp = match emp {
                Some(FactValue::Integer(e)) => {
                    Some(FactValue::Integer(((e as f64) / rng.random_range(0.95..1.1)).round() as i64))
                }
                other => other,
            };
            if !HISTORY_YEARS.contains(&year) {
                continue;
            }
            let as_of = NaiveDate::from_ymd_opt(year + 1, 5, 31).unwrap_or_default();
            facts.push(FactRecord {
                fact: "revenue".into(),
                year: Some(year),
                value: FactValue::Money(rev),
                source: FactSource::Tax,
                as_of,
            });
            if let Some(e) = &emp {
                facts.push(FactRecord {
                    fact: "employees".into(),
                    year: Some(year),
                    value: e.clone(),
                    source: FactSource::Tax,
                    as_of,
                });
            }
        }
        records.push(EnterpriseRecord { enterprise: r.enterprise.clone(), facts, scope: r.scope.clone() });
    }
    let visits = zone
        .links
        .iter()
        .enumerate()
        .filter(|(k, _)| k.is_multiple_of(3))
        .filter_map(|(_, (uscc, links))| {
            let cadre = links.cadre.clone()?;
            let date = NaiveDate::from_ymd_opt(2019, rng.random_range(3..=11), rng.random_range(1..=28))?;
            Some(handling::Visit {
                enterprise: uscc.clone(),
                date,
                cadre,
                findings: "走访了解生产经营情况（历史记录）".into(),
            })
        })
        .collect();
    (records, visits)
}

/// Writes the history into the demo zone's store.
pub async fn write(store: &dyn Store, zone: &DemoZone, now: DateTime<FixedOffset>) -> anyhow::Result<usize> {
    let (records, visits) = history(zone);
    store
        .apply_import(ImportRequest {
            actor: Stamp::new("demo", now),
            file_name: "demo-history".into(),
            format: ImportFormat::Generated,
            records,
            dry_run: false,
        })
        .await?;
    let stamp = Stamp::new("demo", now);
    for v in &visits {
        store.add_visit(v, &stamp).await?;
    }
    Ok(visits.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_adds_only_earlier_years_and_visits_before_them_are_none() {
        let zone = crate::demo::generate(crate::demo::DEMO_SEED, 300);
        let (records, visits) = history(&zone);
        assert!(records.len() > 200, "most enterprises have 2020 figures: {}", records.len());
        for r in &records {
            assert!(r.facts.iter().all(|f| HISTORY_YEARS.contains(&f.year.unwrap_or(0))), "{:?}", r.facts);
            assert!(r.facts.iter().any(|f| f.fact == "revenue"));
        }
        assert!(visits.len() >= 90 && visits.iter().all(|v| v.date.to_string().starts_with("2019")));
        // Same seed, same history.
        assert_eq!(history(&zone).1, visits);
    }
}
