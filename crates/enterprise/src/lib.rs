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
};
pub use uscc::{UnifiedCreditCode, UsccError};

static CATALOG: std::sync::OnceLock<i18n::Catalog> = std::sync::OnceLock::new();

/// This crate's message catalog.
pub fn catalog() -> &'static i18n::Catalog {
    CATALOG.get_or_init(|| i18n::Catalog::embedded(include_str!("../messages.toml")))
}
