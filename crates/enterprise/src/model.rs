//! The enterprise record (企业档案) and its parts.

use crate::facts::{FactDictionary, FactSource, FactValue, Facts};
use crate::industry::IndustryCode;
use crate::uscc::UnifiedCreditCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// VAT taxpayer type (纳税人类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum TaxpayerType {
    /// 小规模纳税人
    #[strum(to_string = "small_scale", serialize = "小规模纳税人", serialize = "小规模")]
    SmallScale,
    /// 一般纳税人
    #[strum(to_string = "general", serialize = "一般纳税人", serialize = "一般")]
    General,
}

impl TaxpayerType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            TaxpayerType::SmallScale => "小规模纳税人",
            TaxpayerType::General => "一般纳税人",
        }
    }
    pub fn parse(s: &str) -> Option<TaxpayerType> {
        s.trim().parse().ok()
    }
}

/// Tax credit rating (纳税信用等级).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
pub enum TaxCreditRating {
    A,
    B,
    M,
    C,
    D,
}

impl TaxCreditRating {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<TaxCreditRating> {
        s.trim().trim_end_matches('级').to_ascii_uppercase().parse().ok()
    }
}

/// An enterprise's registry attributes. Per-year facts live beside it as [`FactRecord`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enterprise {
    pub uscc: UnifiedCreditCode,
    pub name: String,
    /// 工商注册在园区.
    pub registered_in_zone: bool,
    /// 税务登记在园区.
    pub tax_registered_in_zone: bool,
    pub industry_code: Option<IndustryCode>,
    pub established_on: Option<NaiveDate>,
    pub taxpayer_type: Option<TaxpayerType>,
    pub tax_credit_rating: Option<TaxCreditRating>,
    /// 专精特新, 高新技术企业, 链:工程机械, 拟上市, …
    pub tags: BTreeSet<String>,
}

/// One changed field of an enterprise: `old → new` as display text (`None` for absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// 帮扶对象 (plan 二): a market entity (市场主体: credit code of registration authority 9,
/// category 1, 2 or 3 — enterprise, individual business, farmers' cooperative) whose
/// market-regulation and tax registrations are both in the zone. Other valid codes (机关,
/// 事业单位, 社会团体, …) are registry rows, never targets. `uscc` is the code's text (a stored
/// row's, already valid). The one statement of the rule: [`Enterprise::assistance_target`],
/// the match's scan and every stored or listed flag come from here, never from a copy in SQL.
pub fn assistance_target(uscc: &str, registered_in_zone: bool, tax_registered_in_zone: bool) -> bool {
    UnifiedCreditCode::is_market_entity_code(uscc) && registered_in_zone && tax_registered_in_zone
}

impl Enterprise {
    /// 帮扶对象 ([`assistance_target`]). Derived, never set by hand.
    pub fn assistance_target(&self) -> bool {
        assistance_target(self.uscc.as_str(), self.registered_in_zone, self.tax_registered_in_zone)
    }

    /// 市场主体, read off the credit code ([`UnifiedCreditCode::is_market_entity`]).
    pub fn is_market_entity(&self) -> bool {
        self.uscc.is_market_entity()
    }

    /// 个体工商户, read off the credit code.
    pub fn is_individual_business(&self) -> bool {
        self.uscc.is_individual_business()
    }

    /// One registry field (a dictionary id with `registry = true`, see
    /// [`FactDictionary::registry_fields`]) as display text: `Some(None)` for an empty
    /// optional field, `None` for an id that is not a registry field. The one mapping from
    /// the dictionary's registry ids to this struct's fields.
    pub fn field(&self, id: &str) -> Option<Option<String>> {
        Some(match id {
            "uscc" => Some(self.uscc.to_string()),
            "name" => Some(self.name.clone()),
            "registered_in_zone" => Some(self.registered_in_zone.to_string()),
            "tax_registered_in_zone" => Some(self.tax_registered_in_zone.to_string()),
            "industry_code" => self.industry_code.as_ref().map(ToString::to_string),
            "established_on" => self.established_on.map(|d| d.to_string()),
            "taxpayer_type" => self.taxpayer_type.map(|t| t.as_str().to_string()),
            "tax_credit_rating" => self.tax_credit_rating.map(|t| t.as_str().to_string()),
            "tags" => Some(self.tags.iter().cloned().collect::<Vec<_>>().join(";")),
            _ => return None,
        })
    }

    /// Sets registry field `id` to its value in `from` (an import that does not state a field
    /// keeps the stored one). Returns whether `id` is a registry field other than `uscc`.
    pub fn keep_field(&mut self, id: &str, from: &Enterprise) -> bool {
        match id {
            "name" => self.name.clone_from(&from.name),
            "registered_in_zone" => self.registered_in_zone = from.registered_in_zone,
            "tax_registered_in_zone" => self.tax_registered_in_zone = from.tax_registered_in_zone,
            "industry_code" => self.industry_code.clone_from(&from.industry_code),
            "established_on" => self.established_on = from.established_on,
            "taxpayer_type" => self.taxpayer_type = from.taxpayer_type,
            "tax_credit_rating" => self.tax_credit_rating = from.tax_credit_rating,
            "tags" => self.tags.clone_from(&from.tags),
            _ => return false,
        }
        true
    }

    /// The registry attributes other than the credit code as display text, field by field,
    /// in dictionary order.
    pub fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        FactDictionary::official()
            .registry_fields()
            .filter(|d| d.id != "uscc")
            .filter_map(|d| Some((d.id.as_str(), self.field(&d.id)?)))
            .collect()
    }

    /// The fields that differ from `self` in `new`.
    pub fn diff(&self, new: &Enterprise) -> Vec<FieldChange> {
        self.fields()
            .into_iter()
            .zip(new.fields())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((f, a), (_, b))| FieldChange { field: f.to_string(), old: a, new: b })
            .collect()
    }

    /// The registry attributes as scalar facts of the dictionary.
    pub fn scalar_facts(&self, facts: &mut Facts) {
        facts.set("uscc", FactValue::Text(self.uscc.to_string()));
        facts.set("name", FactValue::Text(self.name.clone()));
        facts.set("registered_in_zone", FactValue::Bool(self.registered_in_zone));
        facts.set("tax_registered_in_zone", FactValue::Bool(self.tax_registered_in_zone));
        facts.set("is_individual_business", FactValue::Bool(self.is_individual_business()));
        facts.set("is_market_entity", FactValue::Bool(self.is_market_entity()));
        facts.set("tags", FactValue::Tags(self.tags.clone()));
        if let Some(i) = &self.industry_code {
            facts.set("industry_code", FactValue::Code(i.to_string()));
        }
        if let Some(d) = self.established_on {
            facts.set("established_on", FactValue::Date(d));
        }
        if let Some(t) = self.taxpayer_type {
            facts.set("taxpayer_type", FactValue::Code(t.as_str().to_string()));
        }
        if let Some(r) = self.tax_credit_rating {
            facts.set("tax_credit_rating", FactValue::Code(r.as_str().to_string()));
        }
    }
}

/// A per-year (or scalar, `year: None`) fact value with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRecord {
    pub fact: String,
    pub year: Option<i32>,
    pub value: FactValue,
    pub source: FactSource,
    /// The date the source reported it.
    pub as_of: NaiveDate,
}

/// An enterprise with its fact values, as an import file row (or rows) describes it and
/// as the store applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseRecord {
    pub enterprise: Enterprise,
    pub facts: Vec<FactRecord>,
    /// What the record leaves as stored and what it clears. The default states the whole
    /// registry (an empty optional field clears it) and clears no fact.
    pub scope: RecordScope,
}

/// What an [`EnterpriseRecord`] says beyond its values: which registry fields it does not
/// state (an import file without the column, or with an empty cell when empty cells do not
/// clear), and which facts it states as empty (only with the import's clear-empty option).
/// Facts the record does not mention are always left as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordScope {
    /// Registry fields (dictionary ids) the record does not state: an update keeps the stored
    /// value; a new enterprise has none.
    pub keep: BTreeSet<String>,
    /// Facts `(id, year)` the record clears: an update deletes the stored value.
    pub clear: Vec<(String, Option<i32>)>,
}

impl RecordScope {
    /// The record states every registry field and clears no fact.
    pub fn is_whole(&self) -> bool {
        self.keep.is_empty() && self.clear.is_empty()
    }
}

impl EnterpriseRecord {
    /// A record that states the whole registry and the given facts.
    pub fn whole(enterprise: Enterprise, facts: Vec<FactRecord>) -> EnterpriseRecord {
        EnterpriseRecord { enterprise, facts, scope: RecordScope::default() }
    }

    /// The enterprise as it will be stored over `stored`: the fields the record does not
    /// state are taken from `stored`.
    pub fn merged_over(&self, stored: &Enterprise) -> Enterprise {
        let mut e = self.enterprise.clone();
        for id in &self.scope.keep {
            e.keep_field(id, stored);
        }
        e
    }
}

/// The three links (三联机制) of an enterprise: the zone leader (领导联点), the
/// counterpart department (部门对口) and the stationed cadre (干部驻企).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreeLinks {
    /// Username of the leader.
    pub leader: Option<String>,
    /// Department code.
    pub department: Option<String>,
    /// Username of the cadre.
    pub cadre: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Enterprise {
        Enterprise {
            uscc: UnifiedCreditCode::parse("914403001922038216").unwrap(),
            name: "示例".into(),
            registered_in_zone: true,
            tax_registered_in_zone: false,
            industry_code: None,
            established_on: None,
            taxpayer_type: Some(TaxpayerType::General),
            tax_credit_rating: None,
            tags: BTreeSet::new(),
        }
    }

    #[test]
    fn assistance_target_needs_both_registrations() {
        let mut e = sample();
        assert!(!e.assistance_target());
        e.tax_registered_in_zone = true;
        assert!(e.assistance_target());
    }

    #[test]
    fn only_market_entities_are_assistance_targets() {
        let mut e = sample();
        e.tax_registered_in_zone = true;
        // Authority 9 (market regulation): enterprise, individual business, cooperative.
        for cat in ['1', '2', '3'] {
            e.uscc = UnifiedCreditCode::from_parts('9', cat, "430100", "MA4L0001").unwrap();
            assert!(e.is_market_entity() && e.assistance_target(), "9{cat}");
        }
        // Valid codes of other authorities are registry rows, never targets: a 事业单位 (1 2),
        // a 社会团体 (5 1), a 律师事务所 (3 1), a 农业 registration (N 1).
        for (authority, cat) in [('1', '2'), ('5', '1'), ('3', '1'), ('N', '1')] {
            e.uscc = UnifiedCreditCode::from_parts(authority, cat, "430100", "MA4L0001").unwrap();
            assert!(!e.is_market_entity() && !e.assistance_target(), "{authority}{cat}");
            assert!(!assistance_target(e.uscc.as_str(), true, true));
        }
        assert!(!UnifiedCreditCode::is_market_entity_code(""));
        assert!(!UnifiedCreditCode::is_market_entity_code("9"));
    }

    #[test]
    fn diff_names_each_changed_field() {
        let a = sample();
        let mut b = a.clone();
        b.tax_registered_in_zone = true;
        b.tax_credit_rating = Some(TaxCreditRating::A);
        let d = a.diff(&b);
        assert_eq!(d.len(), 2);
        assert_eq!(d[1], FieldChange { field: "tax_credit_rating".into(), old: None, new: Some("A".into()) });
    }

    #[test]
    fn the_dictionary_lists_exactly_the_registry_fields_of_the_struct() {
        let d = FactDictionary::official();
        let e = sample();
        let ids: Vec<&str> = d.registry_fields().map(|f| f.id.as_str()).collect();
        assert_eq!(ids.first(), Some(&"uscc"));
        for id in &ids {
            assert!(e.field(id).is_some(), "registry field {id} has no field in Enterprise");
            assert_eq!(*id == "uscc", !e.clone().keep_field(id, &e), "{id}");
        }
        // Every field of the struct is in the dictionary: the struct has as many fields.
        assert_eq!(ids.len(), 9, "Enterprise has 9 registry fields");
        assert_eq!(e.fields().len(), ids.len() - 1);
        let required: Vec<&str> = d.registry_fields().filter(|f| f.required).map(|f| f.id.as_str()).collect();
        assert_eq!(required, ["uscc", "name", "registered_in_zone", "tax_registered_in_zone"]);
        assert!(
            !d.is_registry("is_individual_business") && d.get("is_individual_business").unwrap().is_derived()
        );
    }

    #[test]
    fn a_partial_record_keeps_the_fields_it_does_not_state() {
        let mut stored = sample();
        stored.industry_code = Some(IndustryCode::parse("C3511").unwrap());
        stored.tax_credit_rating = Some(TaxCreditRating::B);
        let mut new = sample();
        new.name = "新名称".into();
        let mut r = EnterpriseRecord::whole(new, vec![]);
        assert_eq!(r.merged_over(&stored).industry_code, None, "a whole record clears");
        r.scope.keep.insert("industry_code".into());
        r.scope.keep.insert("tax_credit_rating".into());
        let m = r.merged_over(&stored);
        assert_eq!(m.industry_code, stored.industry_code);
        assert_eq!(m.tax_credit_rating, Some(TaxCreditRating::B));
        assert_eq!(m.name, "新名称");
    }

    #[test]
    fn parses_ratings_and_taxpayer_types() {
        assert_eq!(TaxCreditRating::parse("a级"), Some(TaxCreditRating::A));
        assert_eq!(TaxpayerType::parse("小规模纳税人"), Some(TaxpayerType::SmallScale));
        assert_eq!(TaxpayerType::parse("x"), None);
    }
}
