//! How domain values map to columns, shared by both backends.
//!
//! A fact value is stored twice: `value`, the canonical text of [`FactValue::to_text`] (the
//! source of truth, read back through the fact dictionary's type), and `num`, an exact
//! integer form where one is meaningful (what the match's scan, [`crate::scan`], hands to the
//! batch engine's columns as it is, and what SQL can compare):
//!
//! | type    | `num`                                         |
//! |---------|-----------------------------------------------|
//! | bool    | 0 / 1                                         |
//! | integer | the integer                                   |
//! | money   | fen (yuan × 100) when exact, else NULL        |
//! | ratio   | millionths (× 1 000 000) when exact, else NULL |
//! | date    | days since 1970-01-01                         |
//! | code, tags, text | NULL                                 |
//!
//! A NULL `num` beside a non-NULL `value` means "no exact integer form": a reader falls back
//! to the text (the scan does), never to a rounded number.
//! Scalar facts are stored with `year = 0` (a NULL in a primary key would not be unique in
//! SQLite).

use crate::error::StoreError;
use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::{
    Enterprise, FactDictionary, FactRecord, FactSource, FactType, FactValue, IndustryCode, TaxCreditRating,
    TaxpayerType, UnifiedCreditCode,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeSet;

/// The `year` column of a scalar fact.
pub const SCALAR_YEAR: i32 = 0;

/// The exact integer form of a value, if it has one (see the module docs).
pub fn numeric(v: &FactValue) -> Option<i64> {
    match v {
        FactValue::Bool(b) => Some(i64::from(*b)),
        FactValue::Integer(i) => Some(*i),
        FactValue::Money(d) => scaled(*d, 100),
        FactValue::Ratio(d) => scaled(*d, 1_000_000),
        FactValue::Date(d) => Some(days_since_epoch(*d)),
        FactValue::Code(_) | FactValue::Tags(_) | FactValue::Text(_) => None,
    }
}

fn scaled(d: Decimal, factor: i64) -> Option<i64> {
    let x = d.checked_mul(Decimal::from(factor))?.normalize();
    if x.scale() == 0 { x.to_i64() } else { None }
}

/// Days since 1970-01-01 (negative before).
pub fn days_since_epoch(d: NaiveDate) -> i64 {
    (d - NaiveDate::default()).num_days()
}

/// A fact as its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFact {
    pub fact: String,
    /// [`SCALAR_YEAR`] for a scalar fact.
    pub year: i32,
    pub value: String,
    pub num: Option<i64>,
    pub source: &'static str,
    pub as_of: NaiveDate,
}

impl EncodedFact {
    pub fn new(f: &FactRecord) -> EncodedFact {
        EncodedFact {
            fact: f.fact.clone(),
            year: f.year.unwrap_or(SCALAR_YEAR),
            value: f.value.to_text(),
            num: numeric(&f.value),
            source: f.source.as_str(),
            as_of: f.as_of,
        }
    }

    /// The field name of this fact in a change record: `revenue[2021]`, or the id of a scalar
    /// fact.
    pub fn field(&self) -> String {
        field_name(&self.fact, self.year)
    }
}

/// The change-record field name of a fact.
pub fn field_name(fact: &str, year: i32) -> String {
    if year == SCALAR_YEAR { fact.to_string() } else { format!("{fact}[{year}]") }
}

/// A fact row as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFact {
    pub fact: String,
    pub year: i32,
    pub value: String,
    pub source: String,
    pub as_of: NaiveDate,
}

impl RawFact {
    /// Decodes the row with the fact dictionary's type. A fact the dictionary no longer
    /// knows is read as text rather than lost.
    pub fn decode(self, dict: &FactDictionary) -> Result<FactRecord, StoreError> {
        let ty = dict.get(&self.fact).map(|d| d.ty).unwrap_or(FactType::Text);
        let value = FactValue::parse_text(ty, &self.value)
            .map_err(|e| corrupt(&format!("fact {} = {:?}", self.fact, self.value), &e))?;
        let source = FactSource::parse(&self.source)
            .ok_or_else(|| corrupt(&format!("fact {} source", self.fact), &self.source))?;
        Ok(FactRecord {
            fact: self.fact,
            year: (self.year != SCALAR_YEAR).then_some(self.year),
            value,
            source,
            as_of: self.as_of,
        })
    }
}

/// An enterprise row as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEnterprise {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub registered_in_zone: bool,
    pub tax_registered_in_zone: bool,
    pub industry_code: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub taxpayer_type: Option<String>,
    pub tax_credit_rating: Option<String>,
    pub tags: String,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// The column list matching [`RawEnterprise`], in order.
pub const ENTERPRISE_COLUMNS: &str = "id, uscc, name, registered_in_zone, tax_registered_in_zone, \
     industry_code, established_on, taxpayer_type, tax_credit_rating, tags, created_at, updated_at";

impl RawEnterprise {
    pub fn decode(&self) -> Result<Enterprise, StoreError> {
        let uscc = UnifiedCreditCode::parse(&self.uscc).map_err(|e| corrupt("uscc", &e))?;
        let industry_code = match &self.industry_code {
            Some(c) => Some(IndustryCode::parse(c).map_err(|e| corrupt("industry_code", &e))?),
            None => None,
        };
        let taxpayer_type = match &self.taxpayer_type {
            Some(t) => Some(TaxpayerType::parse(t).ok_or_else(|| corrupt("taxpayer_type", t))?),
            None => None,
        };
        let tax_credit_rating = match &self.tax_credit_rating {
            Some(t) => Some(TaxCreditRating::parse(t).ok_or_else(|| corrupt("tax_credit_rating", t))?),
            None => None,
        };
        Ok(Enterprise {
            uscc,
            name: self.name.clone(),
            registered_in_zone: self.registered_in_zone,
            tax_registered_in_zone: self.tax_registered_in_zone,
            industry_code,
            established_on: self.established_on,
            taxpayer_type,
            tax_credit_rating,
            tags: split_tags(&self.tags),
        })
    }
}

/// An enterprise as its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEnterprise {
    pub uscc: String,
    pub name: String,
    pub registered_in_zone: bool,
    pub tax_registered_in_zone: bool,
    pub industry_code: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub taxpayer_type: Option<&'static str>,
    pub tax_credit_rating: Option<&'static str>,
    pub tags: String,
    /// [`Enterprise::assistance_target`], stored beside its inputs for the lists' filter.
    pub assistance_target: bool,
}

impl EncodedEnterprise {
    pub fn new(e: &Enterprise) -> EncodedEnterprise {
        EncodedEnterprise {
            uscc: e.uscc.to_string(),
            name: e.name.clone(),
            registered_in_zone: e.registered_in_zone,
            tax_registered_in_zone: e.tax_registered_in_zone,
            industry_code: e.industry_code.as_ref().map(ToString::to_string),
            established_on: e.established_on,
            taxpayer_type: e.taxpayer_type.map(TaxpayerType::as_str),
            tax_credit_rating: e.tax_credit_rating.map(TaxCreditRating::as_str),
            tags: join_tags(&e.tags),
            assistance_target: e.assistance_target(),
        }
    }
}

/// Tags as stored: sorted, joined by `;` (a tag never contains `;`: the parsers split on it).
pub fn join_tags(tags: &BTreeSet<String>) -> String {
    tags.iter().map(String::as_str).collect::<Vec<_>>().join(";")
}

pub fn split_tags(s: &str) -> BTreeSet<String> {
    s.split(';').filter(|t| !t.is_empty()).map(String::from).collect()
}

fn corrupt(what: &str, detail: &dyn std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn money(s: &str) -> FactValue {
        FactValue::Money(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn money_is_stored_in_fen_when_exact() {
        assert_eq!(numeric(&money("1234.56")), Some(123_456));
        assert_eq!(numeric(&money("1234.50")), Some(123_450));
        assert_eq!(numeric(&money("-0.01")), Some(-1));
        assert_eq!(numeric(&money("0.001")), None);
        assert_eq!(numeric(&FactValue::Ratio(Decimal::from_str("0.05").unwrap())), Some(50_000));
    }

    #[test]
    fn dates_count_days_from_the_epoch() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(days_since_epoch(d("1970-01-01")), 0);
        assert_eq!(days_since_epoch(d("1969-12-31")), -1);
        assert_eq!(days_since_epoch(d("2022-04-27")), 19_109);
        assert!(days_since_epoch(d("2022-04-27")) < days_since_epoch(d("2022-04-28")));
    }

    #[test]
    fn facts_field_names() {
        assert_eq!(field_name("revenue", 2021), "revenue[2021]");
        assert_eq!(field_name("rating", SCALAR_YEAR), "rating");
    }

    proptest::proptest! {
        /// The exact integer form orders money as the decimals do, so SQL comparisons on
        /// `num` agree with the rules engine's.
        #[test]
        fn fen_preserve_order(a in -10_000_000_000i64..10_000_000_000, b in -10_000_000_000i64..10_000_000_000) {
            let (x, y) = (FactValue::Money(Decimal::new(a, 2)), FactValue::Money(Decimal::new(b, 2)));
            let (nx, ny) = (numeric(&x).unwrap(), numeric(&y).unwrap());
            proptest::prop_assert_eq!(nx.cmp(&ny), a.cmp(&b));
            proptest::prop_assert_eq!(nx, a);
        }

        #[test]
        fn tags_round_trip(tags in proptest::collection::btree_set("[^;]{1,8}", 0..5)) {
            proptest::prop_assert_eq!(split_tags(&join_tags(&tags)), tags);
        }
    }
}
