//! 风险补偿 and 转贷过桥 demands (三.5) have steps of their own besides the matching: the
//! application to the fund, its review, approval or refusal, the disbursement, and for a
//! bridge loan the repayment of the bridge money. [`next_step`] decides which step may follow.

use serde::Serialize;

use super::DemandKind;
use crate::Error;

/// A step of a risk-compensation or bridge-loan demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Step {
    /// 已申请: the demand is posted (the first step).
    Application,
    /// 审核中.
    Review,
    /// 已批准.
    Approved,
    /// 未通过: final.
    Refused,
    /// 已放款 / 已拨付.
    Disbursed,
    /// 已还款 (转贷过桥 only): final.
    Repaid,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Step> {
        let t = s.trim();
        use strum::IntoEnumIterator;
        t.parse().ok().or_else(|| Step::iter().find(|x| x.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Step::Application => "已申请",
            Step::Review => "审核中",
            Step::Approved => "已批准",
            Step::Refused => "未通过",
            Step::Disbursed => "已放款",
            Step::Repaid => "已还款",
        }
    }
}

/// Whether demands of `kind` have steps; their first step.
pub fn first_step(kind: DemandKind) -> Option<Step> {
    matches!(kind, DemandKind::RiskCompensation | DemandKind::BridgeLoan).then_some(Step::Application)
}

/// Whether `to` may follow `from` for a demand of `kind`: application → review →
/// approved or refused → disbursed → (bridge loans) repaid.
pub fn next_step(kind: DemandKind, from: Step, to: Step) -> Result<Step, Error> {
    use Step as S;
    let ok = first_step(kind).is_some()
        && match (from, to) {
            (S::Application, S::Review) => true,
            (S::Review, S::Approved | S::Refused) => true,
            (S::Approved, S::Disbursed) => true,
            (S::Disbursed, S::Repaid) => kind == DemandKind::BridgeLoan,
            _ => false,
        };
    if ok { Ok(to) } else { Err(Error::StepOutOfOrder { step: to.label_zh() }) }
}

/// Whether a step ends the track.
pub fn is_final(kind: DemandKind, step: Step) -> bool {
    match step {
        Step::Refused | Step::Repaid => true,
        Step::Disbursed => kind != DemandKind::BridgeLoan,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_in_order() {
        let k = DemandKind::BridgeLoan;
        assert_eq!(next_step(k, Step::Application, Step::Review), Ok(Step::Review));
        assert_eq!(next_step(k, Step::Review, Step::Refused), Ok(Step::Refused));
        assert!(next_step(k, Step::Application, Step::Disbursed).is_err());
        assert_eq!(next_step(k, Step::Disbursed, Step::Repaid), Ok(Step::Repaid));
        assert!(next_step(DemandKind::RiskCompensation, Step::Disbursed, Step::Repaid).is_err());
        assert!(next_step(DemandKind::Loan, Step::Application, Step::Review).is_err());
        assert_eq!(first_step(DemandKind::Loan), None);
        assert!(is_final(DemandKind::RiskCompensation, Step::Disbursed));
        assert!(!is_final(k, Step::Disbursed));
        assert_eq!(Step::parse("审核中"), Some(Step::Review));
        i18n::assert_names_round_trip::<Step>("Step");
    }
}
