//! The import's logic, shared by both backends: checking the records the store is given, and
//! planning each one against what is stored (create, update with its changes, or unchanged).
//! The backends only read the existing state and write the plan, in one transaction.
//!
//! Semantics of a re-import: the registry fields of [`Enterprise`] are replaced as a whole
//! (each changed field recorded old → new); facts are upserted one by one, and facts the
//! file does not mention are left as they are (a tax file does not erase market-regulation
//! facts). A fact whose value is unchanged but whose provenance (`source`, `as_of`) is newer
//! is rewritten without a change record: provenance is not a change of the enterprise.

use crate::codec::{EncodedFact, SCALAR_YEAR};
use crate::error::{ImportProblem, StoreError};
use enterprise::{Enterprise, EnterpriseRecord, FactDictionary, FieldChange};
use std::collections::{HashMap, HashSet};

/// The dictionary's facts that are registry fields of [`Enterprise`] and so may not be given
/// as facts.
pub const REGISTRY_FACTS: &[&str] = &[
    "uscc",
    "name",
    "registered_in_zone",
    "tax_registered_in_zone",
    "industry_code",
    "established_on",
    "taxpayer_type",
    "tax_credit_rating",
    "is_individual_business",
    "tags",
];

/// Checks every record against the fact dictionary and the other records; the first problem
/// found is returned (records are numbered from 1). The import crate reports file-level
/// problems with rows and columns before this; these are the store's own guarantees.
pub fn check_records(dict: &FactDictionary, records: &[EnterpriseRecord]) -> Result<(), StoreError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let record = i + 1;
        let uscc = r.enterprise.uscc.as_str();
        let fail = |problem| StoreError::ImportRecord { record, uscc: uscc.to_string(), problem };
        if let Some(first) = seen.insert(uscc, record) {
            return Err(fail(ImportProblem::DuplicateEnterprise { first }));
        }
        if r.enterprise.name.trim().is_empty() {
            return Err(fail(ImportProblem::EmptyName));
        }
        let mut keys: HashSet<(&str, Option<i32>)> = HashSet::with_capacity(r.facts.len());
        for f in &r.facts {
            let fact = f.fact.clone();
            if REGISTRY_FACTS.contains(&f.fact.as_str()) {
                return Err(fail(ImportProblem::RegistryField { fact }));
            }
            let Some(def) = dict.get(&f.fact) else {
                return Err(fail(ImportProblem::UnknownFact { fact }));
            };
            match (def.per_year, f.year) {
                (true, None) => return Err(fail(ImportProblem::YearRequired { fact })),
                (false, Some(_)) => return Err(fail(ImportProblem::YearNotAllowed { fact })),
                (true, Some(y)) if !(1900..=2999).contains(&y) => {
                    return Err(fail(ImportProblem::YearOutOfRange { fact, year: y }));
                }
                _ => {}
            }
            if f.value.ty() != def.ty {
                return Err(fail(ImportProblem::WrongType {
                    fact,
                    expected: def.ty.as_str().to_string(),
                    found: f.value.ty().as_str().to_string(),
                }));
            }
            if let Err(reason) = enterprise::facts::check_code(def, f.value.clone()) {
                return Err(fail(ImportProblem::BadCode { fact, reason }));
            }
            if !keys.insert((f.fact.as_str(), f.year)) {
                let field = crate::codec::field_name(&f.fact, f.year.unwrap_or(SCALAR_YEAR));
                return Err(fail(ImportProblem::DuplicateFact { fact: field }));
            }
        }
    }
    Ok(())
}

/// A stored fact's value and provenance, keyed by `(fact, year)` in [`Existing`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFact {
    pub value: String,
    pub source: String,
    pub as_of: chrono::NaiveDate,
}

/// What is stored of an enterprise the import names.
#[derive(Debug, Clone)]
pub struct Existing {
    pub id: i64,
    pub enterprise: Enterprise,
    pub facts: HashMap<(String, i32), StoredFact>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    Created,
    Updated,
    Unchanged,
}

/// What to write for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPlan {
    pub kind: PlanKind,
    /// Whether the enterprise row itself changes (a registry field).
    pub registry_changed: bool,
    /// Facts to insert or overwrite.
    pub fact_writes: Vec<EncodedFact>,
    /// Change records to write: `*` for a created enterprise; otherwise one per changed
    /// registry field and fact.
    pub changes: Vec<FieldChange>,
}

/// Plans one record against what is stored.
pub fn plan_record(existing: Option<&Existing>, rec: &EnterpriseRecord) -> RecordPlan {
    let encoded = rec.facts.iter().map(EncodedFact::new);
    let Some(ex) = existing else {
        return RecordPlan {
            kind: PlanKind::Created,
            registry_changed: true,
            fact_writes: encoded.collect(),
            changes: vec![FieldChange {
                field: "*".into(),
                old: None,
                new: Some(rec.enterprise.name.clone()),
            }],
        };
    };
    let mut changes = ex.enterprise.diff(&rec.enterprise);
    let registry_changed = !changes.is_empty();
    let mut fact_writes = Vec::new();
    for f in encoded {
        match ex.facts.get(&(f.fact.clone(), f.year)) {
            None => {
                changes.push(FieldChange { field: f.field(), old: None, new: Some(f.value.clone()) });
                fact_writes.push(f);
            }
            Some(s) if s.value != f.value => {
                changes.push(FieldChange {
                    field: f.field(),
                    old: Some(s.value.clone()),
                    new: Some(f.value.clone()),
                });
                fact_writes.push(f);
            }
            Some(s) if s.source != f.source || s.as_of != f.as_of => fact_writes.push(f),
            Some(_) => {}
        }
    }
    let kind = if changes.is_empty() { PlanKind::Unchanged } else { PlanKind::Updated };
    RecordPlan { kind, registry_changed, fact_writes, changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use enterprise::{FactRecord, FactSource, FactValue, UnifiedCreditCode};
    use rust_decimal::Decimal;

    fn ent(code: &str) -> Enterprise {
        Enterprise {
            uscc: UnifiedCreditCode::parse(code).unwrap(),
            name: "长沙示例科技有限公司".into(),
            registered_in_zone: true,
            tax_registered_in_zone: true,
            industry_code: None,
            established_on: None,
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: Default::default(),
        }
    }

    fn fact(id: &str, year: Option<i32>, v: FactValue) -> FactRecord {
        FactRecord {
            fact: id.into(),
            year,
            value: v,
            source: FactSource::Tax,
            as_of: NaiveDate::from_ymd_opt(2022, 3, 31).unwrap(),
        }
    }

    const CODE: &str = "914403001922038216";

    #[test]
    fn records_are_checked_against_the_dictionary() {
        let d = FactDictionary::official();
        let ok = EnterpriseRecord {
            enterprise: ent(CODE),
            facts: vec![fact("employees", Some(2021), FactValue::Integer(12))],
        };
        assert!(check_records(d, std::slice::from_ref(&ok)).is_ok());
        let problem = |facts: Vec<FactRecord>| match check_records(
            d,
            &[EnterpriseRecord { enterprise: ent(CODE), facts }],
        ) {
            Err(StoreError::ImportRecord { record: 1, problem, .. }) => problem,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            problem(vec![fact("employes", Some(2021), FactValue::Integer(1))]),
            ImportProblem::UnknownFact { .. }
        ));
        assert!(matches!(
            problem(vec![fact("employees", None, FactValue::Integer(1))]),
            ImportProblem::YearRequired { .. }
        ));
        assert!(matches!(
            problem(vec![fact("revenue", Some(2021), FactValue::Integer(1))]),
            ImportProblem::WrongType { .. }
        ));
        assert!(matches!(
            problem(vec![fact("name", None, FactValue::Text("x".into()))]),
            ImportProblem::RegistryField { .. }
        ));
        let twice = vec![
            fact("employees", Some(2021), FactValue::Integer(1)),
            fact("employees", Some(2021), FactValue::Integer(2)),
        ];
        assert_eq!(problem(twice), ImportProblem::DuplicateFact { fact: "employees[2021]".into() });
        match check_records(d, &[ok.clone(), ok]) {
            Err(StoreError::ImportRecord {
                record: 2,
                problem: ImportProblem::DuplicateEnterprise { first: 1 },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_reimport_plans_only_real_changes() {
        let rev = |s: &str| fact("revenue", Some(2021), FactValue::Money(s.parse::<Decimal>().unwrap()));
        let rec = EnterpriseRecord { enterprise: ent(CODE), facts: vec![rev("1000.50")] };
        let created = plan_record(None, &rec);
        assert_eq!(created.kind, PlanKind::Created);
        assert_eq!(created.changes.len(), 1);
        let mut ex = Existing { id: 1, enterprise: rec.enterprise.clone(), facts: HashMap::new() };
        for f in &created.fact_writes {
            ex.facts.insert(
                (f.fact.clone(), f.year),
                StoredFact { value: f.value.clone(), source: f.source.into(), as_of: f.as_of },
            );
        }
        // Same values, written differently (trailing zero): unchanged.
        let same = EnterpriseRecord { enterprise: ent(CODE), facts: vec![rev("1000.500")] };
        let p = plan_record(Some(&ex), &same);
        assert_eq!(p.kind, PlanKind::Unchanged);
        assert!(p.fact_writes.is_empty());
        // A new value and a new registry field.
        let mut e2 = ent(CODE);
        e2.tax_registered_in_zone = false;
        let p = plan_record(Some(&ex), &EnterpriseRecord { enterprise: e2, facts: vec![rev("1000.51")] });
        assert_eq!(p.kind, PlanKind::Updated);
        assert!(p.registry_changed);
        let fields: Vec<(&str, Option<&str>, Option<&str>)> =
            p.changes.iter().map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref())).collect();
        assert_eq!(
            fields,
            [
                ("tax_registered_in_zone", Some("true"), Some("false")),
                ("revenue[2021]", Some("1000.5"), Some("1000.51"))
            ]
        );
    }
}
