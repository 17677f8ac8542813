//! Approval bands (审批档次): how many different approvers a run needs, rising with its total.
//! The bands are a **zone setting** (园区设置, no document fixes them); [`ApprovalBands::default`]
//! is what a zone starts with: one approval below 1,000,000 yuan, two below 10,000,000, three
//! from there on.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Error;

/// One band: runs totalling at least `from` yuan need `approvals` approvals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    #[serde(with = "rust_decimal::serde::str")]
    pub from: Decimal,
    pub approvals: u32,
}

/// The bands, by ascending `from`; the first starts at zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalBands {
    pub bands: Vec<Band>,
}

impl Default for ApprovalBands {
    fn default() -> Self {
        ApprovalBands {
            bands: vec![
                Band { from: Decimal::ZERO, approvals: 1 },
                Band { from: Decimal::new(1_000_000, 0), approvals: 2 },
                Band { from: Decimal::new(10_000_000, 0), approvals: 3 },
            ],
        }
    }
}

impl ApprovalBands {
    /// Checked bands: at least one, the first from zero, `from` strictly ascending, approvals
    /// between 1 and 9 and never falling as the total rises.
    pub fn new(bands: Vec<Band>) -> Result<ApprovalBands, Error> {
        let bad = |reason: &str| Err(Error::BadBands { reason: reason.to_string() });
        match bands.first() {
            None => return bad("no band"),
            Some(b) if b.from != Decimal::ZERO => return bad("the first band must start at 0"),
            _ => {}
        }
        for w in bands.windows(2) {
            if w[1].from <= w[0].from {
                return bad("band thresholds must ascend");
            }
            if w[1].approvals < w[0].approvals {
                return bad("approvals must not fall as the total rises");
            }
        }
        if bands.iter().any(|b| b.approvals == 0 || b.approvals > 9) {
            return bad("approvals must be 1 to 9");
        }
        Ok(ApprovalBands { bands })
    }

    /// The approvals a run totalling `total` needs.
    pub fn required(&self, total: Decimal) -> u32 {
        self.bands.iter().rev().find(|b| total >= b.from).map_or(1, |b| b.approvals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn approvals_rise_with_the_total() {
        let b = ApprovalBands::default();
        assert_eq!(b.required(dec!(0)), 1);
        assert_eq!(b.required(dec!(999999.99)), 1);
        assert_eq!(b.required(dec!(1000000)), 2);
        assert_eq!(b.required(dec!(10000000)), 3);
        assert!(ApprovalBands::new(b.bands.clone()).is_ok());
        assert!(ApprovalBands::new(vec![]).is_err());
        assert!(ApprovalBands::new(vec![Band { from: dec!(1), approvals: 1 }]).is_err());
        assert!(
            ApprovalBands::new(vec![
                Band { from: dec!(0), approvals: 2 },
                Band { from: dec!(5), approvals: 1 }
            ])
            .is_err()
        );
    }
}
