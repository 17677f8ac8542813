//! 免申即享 grants (授予), the pure half: what a grant run, its publicity and objections, its
//! approvals, its payment file and its reconciliation decide, with no I/O and no clock.
//!
//! - [`state`]: the grant state machine (pending → publicity → objected → approved → paid |
//!   rejected) and what each [`GrantAction`] may do from each [`GrantState`].
//! - [`basis`]: the [`Basis`] of a grant (facts used, explanation, policy document and its
//!   version, item, period, amount) as canonical JSON with a SHA-256 over it.
//! - [`allocation`]: a budget over a run: the overrun shown, then pro rata (to the fen, the
//!   remainder stated) or an ordering rule, as the officer chose.
//! - [`bands`]: how many approvals a run's total needs (a zone setting).
//! - [`payment`]: payment-file lines with control totals and the ISO 20022
//!   pain.001.001.03 writer.
//! - [`reconcile`]: issued lines against imported payment results, each classified; the
//!   follow-up file holds the failed lines only.
//! - [`plan`]: which eligible enterprises a (re)run adds: never a second grant for one
//!   enterprise, item and period.
//!
//! What it leaves out: storing (the `store` crates enforce the same invariants again in the
//! database), permissions and audit (`app::grants`), workbooks and CSV (`app`, `excel`).

pub mod allocation;
pub mod bands;
pub mod basis;
pub mod payment;
pub mod plan;
pub mod reconcile;
pub mod state;

pub use allocation::{Allocation, AllocationRule, allocate};
pub use bands::ApprovalBands;
pub use basis::Basis;
pub use payment::{ControlTotals, PaymentLine};
pub use reconcile::{Issued, PaymentResult, ReconClass, ReconRow, reconcile};
pub use state::{GrantAction, GrantState};

use i18n::{Catalog, Localized, Message};
use rust_decimal::Decimal;

static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Catalog::embedded(include_str!("../messages.toml")))
}

/// What the grant rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a grant in state {state} cannot be {}", action.label_en())]
    IllegalTransition { state: GrantState, action: GrantAction },
    #[error("the run totals {total}, over the budget {budget} by {overrun}")]
    BudgetOverrun { total: Decimal, budget: Decimal, overrun: Decimal },
    #[error("bad budget {budget}")]
    BadBudget { budget: Decimal },
    #[error("bad approval bands: {reason}")]
    BadBands { reason: String },
}

impl Localized for Error {
    fn message(&self) -> Message {
        match self {
            Error::IllegalTransition { state, action } => Message::new("grants.illegal_transition")
                .arg("state_zh", state.label_zh())
                .arg("state", state.as_str())
                .arg("action_zh", action.label_zh())
                .arg("action", action.label_en()),
            Error::BudgetOverrun { total, budget, overrun } => Message::new("grants.budget_overrun")
                .arg("total", total)
                .arg("budget", budget)
                .arg("overrun", overrun),
            Error::BadBudget { budget } => Message::new("grants.bad_budget").arg("budget", budget),
            Error::BadBands { reason } => Message::new("grants.bad_bands").arg("reason", reason),
        }
    }
    fn catalog(&self) -> &'static Catalog {
        catalog()
    }
}

/// Money to the fen: two decimal places.
pub fn is_fen(d: Decimal) -> bool {
    d.normalize().scale() <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_bilingual() {
        let samples = [
            Error::IllegalTransition { state: GrantState::Paid, action: GrantAction::Approve },
            Error::BudgetOverrun {
                total: Decimal::new(3, 0),
                budget: Decimal::new(2, 0),
                overrun: Decimal::ONE,
            },
            Error::BadBudget { budget: Decimal::new(-1, 0) },
            Error::BadBands { reason: "x".into() },
        ];
        let msgs: Vec<Message> = samples.iter().map(Localized::message).collect();
        assert!(catalog().check_complete(&msgs).is_empty());
        i18n::assert_all_bilingual(&samples);
    }

    #[test]
    fn enum_names_round_trip() {
        i18n::assert_names_round_trip::<GrantState>("GrantState");
        i18n::assert_names_are_json_names::<GrantState>("GrantState");
        i18n::assert_names_round_trip::<ReconClass>("ReconClass");
        i18n::assert_names_are_json_names::<ReconClass>("ReconClass");
    }
}
