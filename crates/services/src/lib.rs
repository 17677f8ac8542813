//! The plan's service lines (三.2–三.16) as services, the pure half: what registering for an
//! event, matching a financing demand, repairing a credit record or following an
//! 一企一对策 plan decides, with no I/O and no clock (the caller passes `now`).
//!
//! - [`events`]: events of every kind the plan names (帮扶月, 宣讲, 政银企对接, 招聘会, 展会,
//!   沙龙/培训), their audience, and the [`events::Roster`]: seats, waiting list in order,
//!   check-in, no-shows, feedback.
//! - [`financing`]: demands and institutions' products; products' eligibility in the rule
//!   language, decided by the batch engine; the demand's life from open to granted or closed.
//! - [`steps`]: credit repair cases (三.16) and 一企一对策 measures (三.7) as ordered steps with
//!   deadlines: which step is next, which are late.
//! - [`utilities`]: utility arrears (三.9) and the 20-working-day late-fee waiver window on
//!   the zone calendar: open, waived, overdue, paid late, or a violation.
//! - [`legal`]: legal consultations (三.14): topics, channels, the open → answered → closed
//!   machine with one follow-up, the answer's due times from the zone's limit by the three
//!   lists' clock.
//!
//! What it leaves out: storing, permissions and audit (`store`, `app`), deadlines in working
//! days (the caller computes them on the zone calendar and passes dates in; the waiver window
//! of [`utilities`] is counted on the calendar the caller passes).

pub mod chains;
pub mod events;
pub mod financing;
pub mod legal;
pub mod steps;
pub mod utilities;

use i18n::{Catalog, Localized, Message};

static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| Catalog::embedded(include_str!("../messages.toml")))
}

/// What the service rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("registration closed at {closes}")]
    RegistrationClosed { closes: chrono::NaiveDateTime },
    #[error("{attendees} attendees: between 1 and {max}")]
    Attendees { attendees: u32, max: u32 },
    #[error("already registered")]
    AlreadyRegistered,
    #[error("not registered")]
    NotRegistered,
    #[error("the event has started")]
    AlreadyStarted,
    #[error("the event has not started")]
    NotStarted,
    #[error("the event has not ended")]
    NotEnded,
    #[error("not the time to check in")]
    NotCheckInTime,
    #[error("the registration is {}", state.as_str())]
    NotConfirmed { state: events::RegistrationState },
    #[error("score {score}")]
    Score { score: u8 },
    #[error("capacity {capacity} below the {taken} seats taken")]
    CapacityBelowTaken { capacity: u32, taken: u32 },
    #[error("bad schedule: {reason}")]
    BadSchedule { reason: &'static str },
    #[error("bad product {field}: {reason}")]
    BadProduct { field: &'static str, reason: &'static str },
    #[error("a demand {state} cannot {action}")]
    DemandTransition { state: &'static str, action: &'static str },
    #[error("step {step} cannot be done now")]
    StepOutOfOrder { step: &'static str },
    #[error("the case is finished")]
    Finished,
    #[error("a legal consultation {state} cannot {action}")]
    ConsultationTransition { state: &'static str, action: &'static str },
}

impl Localized for Error {
    fn message(&self) -> Message {
        match self {
            Error::RegistrationClosed { closes } => {
                Message::new("services.registration_closed").arg("closes", closes.format("%Y-%m-%d %H:%M"))
            }
            Error::Attendees { attendees, max } => {
                Message::new("services.attendees").arg("attendees", attendees).arg("max", max)
            }
            Error::AlreadyRegistered => Message::new("services.already_registered"),
            Error::NotRegistered => Message::new("services.not_registered"),
            Error::AlreadyStarted => Message::new("services.already_started"),
            Error::NotStarted => Message::new("services.not_started"),
            Error::NotEnded => Message::new("services.not_ended"),
            Error::NotCheckInTime => Message::new("services.not_check_in_time"),
            Error::NotConfirmed { state } => Message::new("services.not_confirmed")
                .arg("state_zh", state.label_zh())
                .arg("state", state.as_str()),
            Error::Score { score } => Message::new("services.score").arg("score", score),
            Error::CapacityBelowTaken { capacity, taken } => {
                Message::new("services.capacity_below_taken").arg("capacity", capacity).arg("taken", taken)
            }
            Error::BadSchedule { reason } => Message::new("services.bad_schedule").arg("reason", reason),
            Error::BadProduct { field, reason } => {
                Message::new("services.bad_product").arg("field", field).arg("reason", reason)
            }
            Error::DemandTransition { state, action } => {
                Message::new("services.demand_transition").arg("state", state).arg("action", action)
            }
            Error::StepOutOfOrder { step } => Message::new("services.step_out_of_order").arg("step", step),
            Error::Finished => Message::new("services.finished"),
            Error::ConsultationTransition { state, action } => {
                Message::new("services.consultation_transition").arg("state", state).arg("action", action)
            }
        }
    }
    fn catalog(&self) -> &'static Catalog {
        catalog()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_bilingual() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap().and_hms_opt(18, 0, 0).unwrap();
        let samples = [
            Error::RegistrationClosed { closes: t },
            Error::Attendees { attendees: 9, max: 3 },
            Error::AlreadyRegistered,
            Error::NotRegistered,
            Error::AlreadyStarted,
            Error::NotStarted,
            Error::NotEnded,
            Error::NotCheckInTime,
            Error::NotConfirmed { state: events::RegistrationState::Waitlisted },
            Error::Score { score: 9 },
            Error::CapacityBelowTaken { capacity: 2, taken: 5 },
            Error::BadSchedule { reason: "capacity" },
            Error::BadProduct { field: "amount", reason: "range" },
            Error::DemandTransition { state: "已放款", action: "关闭" },
            Error::StepOutOfOrder { step: "committed" },
            Error::Finished,
            Error::ConsultationTransition { state: "已办结", action: "追问" },
        ];
        let msgs: Vec<Message> = samples.iter().map(Localized::message).collect();
        assert!(catalog().check_complete(&msgs).is_empty());
        i18n::assert_all_bilingual(&samples);
    }

    #[test]
    fn enum_names_round_trip() {
        i18n::assert_names_round_trip::<events::EventKind>("EventKind");
        i18n::assert_names_are_json_names::<events::EventKind>("EventKind");
        i18n::assert_names_round_trip::<events::RegistrationState>("RegistrationState");
        i18n::assert_names_round_trip::<financing::DemandKind>("DemandKind");
        i18n::assert_names_round_trip::<financing::Collateral>("Collateral");
        i18n::assert_names_round_trip::<financing::DemandState>("DemandState");
        i18n::assert_names_round_trip::<steps::RepairStep>("RepairStep");
        i18n::assert_names_round_trip::<steps::MeasureStatus>("MeasureStatus");
        i18n::assert_names_round_trip::<utilities::UtilityKind>("UtilityKind");
        i18n::assert_names_are_json_names::<utilities::UtilityKind>("UtilityKind");
        i18n::assert_names_round_trip::<utilities::ArrearsState>("ArrearsState");
        i18n::assert_names_are_json_names::<utilities::ArrearsState>("ArrearsState");
        i18n::assert_names_round_trip::<legal::Topic>("Topic");
        i18n::assert_names_are_json_names::<legal::Topic>("Topic");
        i18n::assert_names_round_trip::<legal::Channel>("Channel");
        i18n::assert_names_are_json_names::<legal::Channel>("Channel");
        i18n::assert_names_round_trip::<legal::State>("State");
        i18n::assert_names_are_json_names::<legal::State>("State");
        i18n::assert_names_round_trip::<legal::Action>("Action");
    }
}
