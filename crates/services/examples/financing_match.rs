//! Times financing matching: 10,000 demands × 500 products (issue 15's target: ≤ 1 s).
//!
//! ```sh
//! cargo run --release -p services --example financing_match [demands] [products]
//! ```
//!
//! Demands are spread over synthetic enterprises (`rules::synth`, seed 7; one enterprise may
//! post several); products vary kinds, ranges, collateral and an eligibility expression over
//! size class, industry, credit rating and R&D facts. Prints the compile and match times.

use chrono::NaiveDate;
use enterprise::FactDictionary;
use rules::synth::Rng;
use rust_decimal::Decimal;
use services::financing::{Collateral, Demand, DemandKind, Product, ProductBook};
use std::collections::HashMap;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let demands: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let products: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let day = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap_or_default();
    let enterprises = rules::synth::enterprises(demands, 7, 2022);
    let mut rng = Rng::new(11);
    let kinds = [DemandKind::Loan, DemandKind::RiskCompensation, DemandKind::BridgeLoan, DemandKind::Equity];
    let rules_pool = [
        "",
        "size_class(2021) in [\"small\", \"micro\"]",
        "tax_credit_rating in [\"A\", \"B\"]",
        "industry_section(industry_code) == \"C\"",
        "revenue[2021] >= 5000000 and tax_credit_rating != \"D\"",
        "size_class(2021) != \"large\" and revenue[2021] >= 1000000",
    ];
    let catalogue: Vec<Product> = (0..products)
        .map(|i| {
            let min = Decimal::from(rng.below(20) * 100_000);
            Product {
                id: format!("p{i}"),
                institution: format!("银行{}", i % 12),
                name: format!("产品{i}"),
                kinds: vec![kinds[i % 4], kinds[(i + 1) % 4]],
                amount_min: min,
                amount_max: min + Decimal::from(1_000_000 + rng.below(50) * 100_000),
                term_min_months: 3,
                term_max_months: 12 + (rng.below(4) as u32) * 12,
                rate_min: Decimal::new(345, 2),
                rate_max: Decimal::new(600, 2),
                requires_collateral: if rng.chance(30) { vec![Collateral::Property] } else { vec![] },
                eligibility: rules_pool[i % rules_pool.len()].to_string(),
            }
        })
        .collect();
    let all: Vec<Demand> = (0..demands)
        .map(|i| Demand {
            id: i as i64,
            enterprise_id: (i % enterprises.len().max(1)) as i64,
            kind: kinds[rng.below(4) as usize],
            amount: Decimal::from(100_000 + rng.below(40) * 100_000),
            term_months: 6 + (rng.below(5) as u32) * 6,
            collateral: if rng.chance(40) { vec![Collateral::Property] } else { vec![] },
        })
        .collect();
    let facts: HashMap<i64, enterprise::Facts> =
        enterprises.into_iter().enumerate().map(|(i, f)| (i as i64, f)).collect();
    let t = Instant::now();
    let book = ProductBook::compile(&[], catalogue, FactDictionary::official());
    let compiled = t.elapsed();
    let broken = book.broken().count();
    if let Some((id, e)) = book.errors.iter().next() {
        eprintln!("refused {id}: {e:?}");
    }
    let t = Instant::now();
    let matches = book.match_demands(&all, &facts, day);
    let matched = t.elapsed();
    println!(
        "{demands} demands × {products} products: compile {:.0} ms ({broken} refused), match {:.0} ms, {} pairs matched or undetermined",
        compiled.as_secs_f64() * 1000.0,
        matched.as_secs_f64() * 1000.0,
        matches.len()
    );
}
