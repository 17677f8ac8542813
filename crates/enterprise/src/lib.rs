//! The registry domain: enterprises and their facts, unified social credit codes, industry
//! codes, size classes, departments and the routing table. Pure: no I/O, no clock; data
//! files are embedded at build time.

pub mod department;
pub mod facts;
pub mod industry;
pub mod model;
pub mod size;
pub mod uscc;

pub use department::{Category, Department, Routing};
pub use facts::{FactDef, FactDictionary, FactError, FactSource, FactType, FactValue, Facts};
pub use industry::{IndustryCode, IndustryError};
pub use model::{
    Enterprise, EnterpriseRecord, FactRecord, FieldChange, RecordScope, TaxCreditRating, TaxpayerType,
    ThreeLinks, assistance_target,
};
pub use size::{
    Classification, Indicator, Indicators, SizeClass, SizeOutcome, SizeStandard, SizeStandards,
    class_by_vat_sales,
    refund::{FinanceRow, RefundBasis, RefundSizing, vat_refund_size},
    size_class_of,
};
pub use uscc::{UnifiedCreditCode, UsccError};

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}

/// The stored and printed names of the crate's enums: derived once (strum), each read back to
/// its own variant, and equal to the name serde writes where the enum is serialised.
#[cfg(test)]
mod enum_names {
    use i18n::{assert_names_are_json_names as same_as_serde, assert_names_round_trip as round_trip};

    #[test]
    fn every_name_reads_back_to_its_variant() {
        round_trip::<crate::TaxpayerType>("TaxpayerType");
        round_trip::<crate::TaxCreditRating>("TaxCreditRating");
        round_trip::<crate::facts::FactType>("FactType");
        round_trip::<crate::facts::FactSource>("FactSource");
        round_trip::<crate::SizeClass>("SizeClass");
        round_trip::<crate::size::Indicator>("Indicator");
    }

    #[test]
    fn stored_names_are_the_json_names() {
        same_as_serde::<crate::TaxpayerType>("TaxpayerType");
        same_as_serde::<crate::TaxCreditRating>("TaxCreditRating");
        same_as_serde::<crate::facts::FactType>("FactType");
        same_as_serde::<crate::facts::FactSource>("FactSource");
        same_as_serde::<crate::SizeClass>("SizeClass");
        same_as_serde::<crate::size::Indicator>("Indicator");
    }
}
