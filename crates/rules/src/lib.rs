//! The policy rule language (政策即规则): parser, type checker, three-valued evaluator and
//! columnar batch engine (whole snapshots, blocks, or streamed row by row).
//!
//! - [`syntax`]: lexer, parser (a tree plus diagnostics, never a panic) and printer.
//! - [`check`]: name resolution and types (bool, integer, money, ratio, date, code, tags).
//! - [`library`]: policy files (one TOML file per document), items and their test cases;
//!   [`Library`] is the loaded, checked set.
//! - [`program`]: dated parameters and checked definitions ([`Program`]), overrides for
//!   simulations.
//! - [`source`]: policy source files and line/column positions in them.
//! - [`eval`]: Kleene evaluation of one enterprise, with missing facts and explanations.
//! - [`plan`]: the items in force on a date compiled once (fact slots, shared definitions,
//!   prepared explanation texts) for fast single-enterprise evaluation with explanations.
//! - [`almost`]: almost eligible (差一项): the one condition an ineligible decision misses by,
//!   read from its explanation, with a value that would satisfy it.
//! - [`batch`]: the columnar engine (bitmaps, shared sub-expressions) for all enterprises,
//!   over a snapshot, its blocks, or a stream of rows evaluated a block at a time.
//! - [`synth`]: seeded synthetic enterprises and items for benchmarks.
//!
//! Pure: no I/O and no clock. The caller reads policy files and passes the evaluation date.

pub mod almost;
pub mod batch;
pub mod check;
pub mod error;
pub mod eval;
pub mod kind;
pub mod library;
pub mod plan;
pub mod program;
pub mod source;
pub mod syntax;
pub mod synth;
pub mod value;

pub use almost::AlmostEligible;
pub use error::{Diagnostic, Error, Location, catalog};
pub use eval::{Decision, Eligibility, Explanation, MissingFact};
pub use kind::{BenefitKind, ItemTotal, KindTotal, Period, PeriodKind, totals_by_kind, zone_payout_total};
pub use library::{CaseReport, Item, Level, Library, Policy, Window};
pub use program::Program;
pub use source::SourceFile;

/// The stored and printed names of the crate's enums: derived once (strum), each read back to
/// its own variant, and equal to the name serde writes where the enum is serialised.
#[cfg(test)]
mod enum_names {
    use i18n::{assert_names_are_json_names as same_as_serde, assert_names_round_trip as round_trip};

    #[test]
    fn every_name_reads_back_to_its_variant() {
        round_trip::<crate::syntax::BinOp>("BinOp");
        round_trip::<crate::Eligibility>("Eligibility");
        round_trip::<crate::check::Type>("Type");
        round_trip::<crate::BenefitKind>("BenefitKind");
        round_trip::<crate::PeriodKind>("PeriodKind");
    }

    #[test]
    fn stored_names_are_the_json_names() {
        same_as_serde::<crate::Eligibility>("Eligibility");
        same_as_serde::<crate::BenefitKind>("BenefitKind");
        same_as_serde::<crate::PeriodKind>("PeriodKind");
        same_as_serde::<crate::check::Type>("Type");
    }
}
