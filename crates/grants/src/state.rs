//! The grant state machine. A grant is created `pending`; publicity (公示) moves the run's
//! grants to `publicity`; an objection (异议) moves one grant to `objected` (only its own
//! line: the others stay in publicity); handling it either keeps the grant (objection
//! rejected → back to `publicity`), changes its amount (upheld with a new amount → back to
//! `publicity`) or removes it (upheld → `rejected`, final). Approval (审批) moves a grant in
//! publicity to `approved` once publicity has ended and no objection of the run is open (the
//! use case checks both: they are about the run, not the line). A payment result marks an
//! approved grant `paid` (final); a failed payment leaves it `approved`, to go into the
//! follow-up file.
//!
//! What it leaves out: who may act (`app::authz`), dates (the use case), storage.

use serde::Serialize;

use crate::Error;

/// Where a grant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum GrantState {
    /// Created by a grant run, not yet publicised.
    Pending,
    /// On the publicity list (公示中).
    Publicity,
    /// An objection against this grant is open (异议中).
    Objected,
    /// Approved for payment (已审批).
    Approved,
    /// Paid (已支付): final.
    Paid,
    /// Removed by an upheld objection (已撤销): final.
    Rejected,
}

impl GrantState {
    /// The stored and printed name (`publicity`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<GrantState> {
        s.parse().ok()
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            GrantState::Pending => "待公示",
            GrantState::Publicity => "公示中",
            GrantState::Objected => "异议中",
            GrantState::Approved => "已审批",
            GrantState::Paid => "已支付",
            GrantState::Rejected => "已撤销",
        }
    }

    /// No action leaves it.
    pub fn is_final(self) -> bool {
        matches!(self, GrantState::Paid | GrantState::Rejected)
    }
}

impl std::fmt::Display for GrantState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What may happen to one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantAction {
    Publicize,
    Object,
    /// The objection is rejected: the grant is kept as it was.
    RejectObjection,
    /// The objection is upheld and the grant changed (a new amount): it stays granted.
    UpholdChange,
    /// The objection is upheld and the grant removed.
    UpholdRemove,
    Approve,
    /// A successful payment result.
    Pay,
    /// A failed payment result: the grant stays approved, for the follow-up file.
    PaymentFailed,
}

impl GrantAction {
    pub const ALL: [GrantAction; 8] = [
        GrantAction::Publicize,
        GrantAction::Object,
        GrantAction::RejectObjection,
        GrantAction::UpholdChange,
        GrantAction::UpholdRemove,
        GrantAction::Approve,
        GrantAction::Pay,
        GrantAction::PaymentFailed,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            GrantAction::Publicize => "公示",
            GrantAction::Object => "提出异议",
            GrantAction::RejectObjection => "驳回异议",
            GrantAction::UpholdChange => "采纳异议并变更",
            GrantAction::UpholdRemove => "采纳异议并撤销",
            GrantAction::Approve => "审批",
            GrantAction::Pay => "记为已支付",
            GrantAction::PaymentFailed => "记为支付失败",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            GrantAction::Publicize => "publicised",
            GrantAction::Object => "objected to",
            GrantAction::RejectObjection => "kept after a rejected objection",
            GrantAction::UpholdChange => "changed after an upheld objection",
            GrantAction::UpholdRemove => "removed after an upheld objection",
            GrantAction::Approve => "approved",
            GrantAction::Pay => "marked paid",
            GrantAction::PaymentFailed => "marked failed",
        }
    }
}

/// The state after `action` from `state`, or [`Error::IllegalTransition`].
pub fn next(state: GrantState, action: GrantAction) -> Result<GrantState, Error> {
    use GrantAction as A;
    use GrantState as S;
    let to = match (state, action) {
        (S::Pending, A::Publicize) => S::Publicity,
        (S::Publicity, A::Object) => S::Objected,
        (S::Objected, A::RejectObjection | A::UpholdChange) => S::Publicity,
        (S::Objected, A::UpholdRemove) => S::Rejected,
        (S::Publicity, A::Approve) => S::Approved,
        (S::Approved, A::Pay) => S::Paid,
        (S::Approved, A::PaymentFailed) => S::Approved,
        _ => return Err(Error::IllegalTransition { state, action }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use strum::IntoEnumIterator;

    fn action() -> impl Strategy<Value = GrantAction> {
        proptest::sample::select(GrantAction::ALL.to_vec())
    }

    #[test]
    fn the_happy_path_and_the_objection_paths() {
        let mut s = GrantState::Pending;
        for a in
            [GrantAction::Publicize, GrantAction::Object, GrantAction::RejectObjection, GrantAction::Approve]
        {
            s = next(s, a).unwrap();
        }
        assert_eq!(s, GrantState::Approved);
        assert_eq!(next(s, GrantAction::PaymentFailed), Ok(GrantState::Approved));
        assert_eq!(next(s, GrantAction::Pay), Ok(GrantState::Paid));
        let objected =
            next(next(GrantState::Pending, GrantAction::Publicize).unwrap(), GrantAction::Object).unwrap();
        assert_eq!(next(objected, GrantAction::UpholdRemove), Ok(GrantState::Rejected));
        assert_eq!(next(objected, GrantAction::UpholdChange), Ok(GrantState::Publicity));
        // No approval of an objected grant, none before publicity.
        assert!(next(objected, GrantAction::Approve).is_err());
        assert!(next(GrantState::Pending, GrantAction::Approve).is_err());
    }

    proptest! {
        /// No sequence of actions leaves a final state, pays a grant that was not approved
        /// just before, or approves one that was not in publicity.
        #[test]
        fn no_action_sequence_breaks_the_machine(actions in proptest::collection::vec(action(), 0..40)) {
            let mut s = GrantState::Pending;
            for a in actions {
                match next(s, a) {
                    Ok(t) => {
                        prop_assert!(!s.is_final(), "{s} left by {a:?}");
                        if t == GrantState::Paid { prop_assert_eq!(s, GrantState::Approved); }
                        if t == GrantState::Approved { prop_assert!(s == GrantState::Publicity || s == GrantState::Approved); }
                        if t == GrantState::Rejected { prop_assert_eq!(s, GrantState::Objected); }
                        s = t;
                    }
                    Err(Error::IllegalTransition { state, action }) => {
                        prop_assert_eq!(state, s);
                        prop_assert_eq!(action, a);
                    }
                    Err(e) => prop_assert!(false, "unexpected {e:?}"),
                }
            }
        }
    }

    #[test]
    fn final_states_accept_nothing() {
        for s in GrantState::iter().filter(|s| s.is_final()) {
            for a in GrantAction::ALL {
                assert!(next(s, a).is_err());
            }
        }
    }
}
