//! A budget over a run's grants. A run whose total exceeds its budget stops before approval
//! and shows the overrun ([`Error::BudgetOverrun`]); the officer then chooses one
//! [`AllocationRule`], recorded with the decision:
//!
//! - **pro rata** (按比例): each line gets `amount × budget ÷ total` cut down to the fen; the
//!   fens left over (fewer than the number of lines) go one each to the lines with the largest
//!   cut-off fractions, ties to the lower grant id; so the lines sum to the budget exactly and
//!   none exceeds what it asked for;
//! - an **ordering rule** (by amount ascending, by registration date, by credit code): lines
//!   are paid in full in that order while the budget lasts; the first line that does not fit
//!   and every line after it get nothing (no partial line: a grant is paid as decided or not).
//!
//! Amounts are exact decimals to the fen; nothing here rounds except pro rata, as stated.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::Error;

/// How a budget that does not cover the run is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum AllocationRule {
    ProRata,
    AmountAscending,
    RegistrationDate,
    CreditCode,
}

impl AllocationRule {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            AllocationRule::ProRata => "按比例分配（分位舍去，余额按舍去部分从大到小逐分补足）",
            AllocationRule::AmountAscending => "按金额从小到大足额分配，预算用尽为止",
            AllocationRule::RegistrationDate => "按成立日期从早到晚足额分配，预算用尽为止",
            AllocationRule::CreditCode => "按统一社会信用代码顺序足额分配，预算用尽为止",
        }
    }
}

/// One line asking for money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub grant: i64,
    pub amount: Decimal,
    /// The enterprise's establishment date (`None` sorts last), for [`AllocationRule::RegistrationDate`].
    pub registered: Option<chrono::NaiveDate>,
    pub uscc: String,
}

/// What each line gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// (grant, amount allocated), in grant id order; lines that get nothing are listed with zero.
    pub lines: Vec<(i64, Decimal)>,
    pub total: Decimal,
}

/// The run's total, checked against the budget: `Ok(total)` if it fits, the overrun if not.
pub fn check_budget(requests: &[Request], budget: Decimal) -> Result<Decimal, Error> {
    let total: Decimal = requests.iter().map(|r| r.amount).sum();
    if total > budget {
        return Err(Error::BudgetOverrun { total, budget, overrun: total - budget });
    }
    Ok(total)
}

/// Shares `budget` among `requests` by `rule`. When the budget covers everything each line
/// gets its amount whatever the rule.
pub fn allocate(requests: &[Request], budget: Decimal, rule: AllocationRule) -> Result<Allocation, Error> {
    if budget < Decimal::ZERO || !crate::is_fen(budget) {
        return Err(Error::BadBudget { budget });
    }
    let total: Decimal = requests.iter().map(|r| r.amount).sum();
    let mut lines: Vec<(i64, Decimal)> = if total <= budget {
        requests.iter().map(|r| (r.grant, r.amount)).collect()
    } else {
        match rule {
            AllocationRule::ProRata => pro_rata(requests, budget, total),
            _ => in_order(requests, budget, rule),
        }
    };
    lines.sort_by_key(|(g, _)| *g);
    let total = lines.iter().map(|(_, a)| *a).sum();
    Ok(Allocation { lines, total })
}

fn pro_rata(requests: &[Request], budget: Decimal, total: Decimal) -> Vec<(i64, Decimal)> {
    let fen = Decimal::new(1, 2);
    let mut lines = Vec::with_capacity(requests.len());
    // (fraction cut off, grant, index)
    let mut cut: Vec<(Decimal, i64, usize)> = Vec::with_capacity(requests.len());
    let mut given = Decimal::ZERO;
    for (k, r) in requests.iter().enumerate() {
        let exact = r.amount * budget / total;
        let down = exact.round_dp_with_strategy(2, RoundingStrategy::ToZero);
        cut.push((exact - down, r.grant, k));
        given += down;
        lines.push((r.grant, down));
    }
    let mut left = budget - given;
    cut.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, k) in cut {
        if left < fen {
            break;
        }
        if lines[k].1 + fen <= requests[k].amount {
            lines[k].1 += fen;
            left -= fen;
        }
    }
    lines
}

fn in_order(requests: &[Request], budget: Decimal, rule: AllocationRule) -> Vec<(i64, Decimal)> {
    let mut order: Vec<&Request> = requests.iter().collect();
    match rule {
        AllocationRule::AmountAscending => {
            order.sort_by(|a, b| a.amount.cmp(&b.amount).then(a.grant.cmp(&b.grant)))
        }
        AllocationRule::RegistrationDate => order.sort_by(|a, b| {
            (a.registered.is_none(), a.registered, a.grant).cmp(&(
                b.registered.is_none(),
                b.registered,
                b.grant,
            ))
        }),
        _ => order.sort_by(|a, b| a.uscc.cmp(&b.uscc).then(a.grant.cmp(&b.grant))),
    }
    let mut left = budget;
    let mut stopped = false;
    order
        .into_iter()
        .map(|r| {
            if !stopped && r.amount <= left {
                left -= r.amount;
                (r.grant, r.amount)
            } else {
                stopped = true;
                (r.grant, Decimal::ZERO)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn req(grant: i64, amount: Decimal) -> Request {
        Request { grant, amount, registered: None, uscc: format!("{grant:018}") }
    }

    #[test]
    fn an_overrun_is_shown() {
        let r = [req(1, dec!(60)), req(2, dec!(50))];
        assert_eq!(
            check_budget(&r, dec!(100)),
            Err(Error::BudgetOverrun { total: dec!(110), budget: dec!(100), overrun: dec!(10) })
        );
        assert_eq!(check_budget(&r, dec!(110)), Ok(dec!(110)));
    }

    #[test]
    fn pro_rata_gives_the_leftover_fen_to_the_largest_cut() {
        // 100 over three equal lines of 50: 33.33 each, one fen left, to the lowest id.
        let r = [req(1, dec!(50)), req(2, dec!(50)), req(3, dec!(50))];
        let a = allocate(&r, dec!(100), AllocationRule::ProRata).unwrap();
        assert_eq!(a.lines, vec![(1, dec!(33.34)), (2, dec!(33.33)), (3, dec!(33.33))]);
        assert_eq!(a.total, dec!(100));
    }

    #[test]
    fn ordering_rules_pay_in_full_until_the_budget_ends() {
        let r = [req(1, dec!(60)), req(2, dec!(30)), req(3, dec!(20))];
        let a = allocate(&r, dec!(55), AllocationRule::AmountAscending).unwrap();
        assert_eq!(a.lines, vec![(1, dec!(0)), (2, dec!(30)), (3, dec!(20))]);
        let c = allocate(&r, dec!(65), AllocationRule::CreditCode).unwrap();
        assert_eq!(c.lines, vec![(1, dec!(60)), (2, dec!(0)), (3, dec!(0))]);
        assert!(allocate(&r, dec!(-1), AllocationRule::ProRata).is_err());
        assert!(allocate(&r, dec!(1.001), AllocationRule::ProRata).is_err());
    }

    fn requests() -> impl Strategy<Value = Vec<Request>> {
        proptest::collection::vec(1i64..100_000_000, 1..60).prop_map(|v| {
            v.into_iter().enumerate().map(|(k, fen)| req(k as i64 + 1, Decimal::new(fen, 2))).collect()
        })
    }

    fn rule() -> impl Strategy<Value = AllocationRule> {
        proptest::sample::select(vec![
            AllocationRule::ProRata,
            AllocationRule::AmountAscending,
            AllocationRule::RegistrationDate,
            AllocationRule::CreditCode,
        ])
    }

    proptest! {
        /// Never over the budget, never more than a line asked, in fen; pro rata spends the
        /// budget exactly when it does not cover the run.
        #[test]
        fn allocation_never_exceeds_the_budget_and_pro_rata_sums_exactly(
            r in requests(), budget_fen in 0i64..10_000_000_000, rule in rule()
        ) {
            let budget = Decimal::new(budget_fen, 2);
            let a = allocate(&r, budget, rule).unwrap();
            let total: Decimal = r.iter().map(|x| x.amount).sum();
            prop_assert_eq!(a.lines.len(), r.len());
            prop_assert_eq!(a.total, a.lines.iter().map(|l| l.1).sum::<Decimal>());
            prop_assert!(a.total <= budget || total <= budget);
            if total <= budget {
                prop_assert_eq!(a.total, total);
            } else if rule == AllocationRule::ProRata {
                prop_assert_eq!(a.total, budget);
            }
            for ((g, got), x) in a.lines.iter().zip(r.iter()) {
                prop_assert_eq!(*g, x.grant);
                prop_assert!(*got >= Decimal::ZERO && *got <= x.amount);
                prop_assert!(got.normalize().scale() <= 2);
            }
        }
    }
}
