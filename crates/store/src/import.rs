//! The import's logic, shared by both backends: checking the records the store is given, and
//! planning each one against what is stored (create, update with its changes, or unchanged).
//! The backends only read the existing state and write the plan, in one transaction.
//!
//! Semantics of a re-import: the registry fields a record states replace the stored ones
//! (each changed field recorded old → new); the fields it does not state
//! ([`enterprise::RecordScope::keep`]: the file has no such column, or an empty cell without
//! the clear-empty option) keep their stored values. Facts are upserted one by one, and facts
//! the file does not mention are left as they are (a tax file does not erase
//! market-regulation facts); facts the record clears ([`enterprise::RecordScope::clear`]) are
//! deleted, recorded old → empty. A fact whose value is unchanged but whose provenance
//! (`source`, `as_of`) is newer is rewritten without a change record: provenance is not a
//! change of the enterprise.
//!
//! Which facts are registry fields (and so may not be given as facts) is read from the fact
//! dictionary (`registry = true`), as are derived facts (never given).

use crate::codec::{EncodedFact, SCALAR_YEAR};
use crate::error::{ImportProblem, StoreError};
use enterprise::{Enterprise, EnterpriseRecord, FactDictionary, FieldChange};
use std::collections::{HashMap, HashSet};

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
        for id in &r.scope.keep {
            if !dict.is_registry(id) || id == "uscc" {
                return Err(fail(ImportProblem::UnknownFact { fact: id.clone() }));
            }
        }
        for (fact, year) in &r.scope.clear {
            let def = stored_fact_def(dict, fact).map_err(fail)?;
            if def.per_year != year.is_some() {
                return Err(fail(if def.per_year {
                    ImportProblem::YearRequired { fact: fact.clone() }
                } else {
                    ImportProblem::YearNotAllowed { fact: fact.clone() }
                }));
            }
        }
        let mut keys: HashSet<(&str, Option<i32>)> = HashSet::with_capacity(r.facts.len());
        for f in &r.facts {
            let fact = f.fact.clone();
            let def = stored_fact_def(dict, &f.fact).map_err(fail)?;
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

/// The dictionary entry of a fact a record may give or clear: known, and neither a registry
/// field nor derived.
fn stored_fact_def<'d>(
    dict: &'d FactDictionary,
    fact: &str,
) -> Result<&'d enterprise::FactDef, ImportProblem> {
    match dict.get(fact) {
        None => Err(ImportProblem::UnknownFact { fact: fact.to_string() }),
        Some(d) if !d.is_stored_fact() => Err(ImportProblem::RegistryField { fact: fact.to_string() }),
        Some(d) => Ok(d),
    }
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
    /// The enterprise to store when it differs from the record's (an update that keeps some
    /// stored fields): see [`RecordPlan::enterprise`].
    pub merged: Option<Enterprise>,
    /// Facts to insert or overwrite.
    pub fact_writes: Vec<EncodedFact>,
    /// Facts to delete, `(fact, year)` as stored ([`SCALAR_YEAR`] for a scalar fact).
    pub fact_deletes: Vec<(String, i32)>,
    /// Change records to write: `*` for a created enterprise; otherwise one per changed
    /// registry field and fact.
    pub changes: Vec<FieldChange>,
}

impl RecordPlan {
    /// The enterprise as it is to be stored: the record's, with the fields it does not state
    /// taken from what is stored.
    pub fn enterprise<'a>(&'a self, rec: &'a EnterpriseRecord) -> &'a Enterprise {
        self.merged.as_ref().unwrap_or(&rec.enterprise)
    }
}

/// Plans one record against what is stored.
pub fn plan_record(existing: Option<&Existing>, rec: &EnterpriseRecord) -> RecordPlan {
    let encoded = rec.facts.iter().map(EncodedFact::new);
    let Some(ex) = existing else {
        return RecordPlan {
            kind: PlanKind::Created,
            registry_changed: true,
            merged: None,
            fact_writes: encoded.collect(),
            fact_deletes: Vec::new(),
            changes: vec![FieldChange {
                field: "*".into(),
                old: None,
                new: Some(rec.enterprise.name.clone()),
            }],
        };
    };
    let merged = (!rec.scope.keep.is_empty()).then(|| rec.merged_over(&ex.enterprise));
    let mut changes = ex.enterprise.diff(merged.as_ref().unwrap_or(&rec.enterprise));
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
    let mut fact_deletes = Vec::new();
    for (fact, year) in &rec.scope.clear {
        let key = (fact.clone(), year.unwrap_or(SCALAR_YEAR));
        if let Some(s) = ex.facts.get(&key) {
            changes.push(FieldChange {
                field: crate::codec::field_name(&key.0, key.1),
                old: Some(s.value.clone()),
                new: None,
            });
            fact_deletes.push(key);
        }
    }
    let kind = if changes.is_empty() { PlanKind::Unchanged } else { PlanKind::Updated };
    RecordPlan { kind, registry_changed, merged, fact_writes, fact_deletes, changes }
}

/// What an import would do to one enterprise: the dry run's detail
/// ([`crate::EnterpriseStore::import_changes`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordChanges {
    pub uscc: String,
    pub name: String,
    pub kind: ImportKind,
    /// Each changed field, fact or cleared fact, old → new (`*` for a created enterprise).
    pub changes: Vec<FieldChange>,
}

/// What happens to an enterprise named by an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Created,
    Updated,
    Unchanged,
}

impl From<PlanKind> for ImportKind {
    fn from(k: PlanKind) -> ImportKind {
        match k {
            PlanKind::Created => ImportKind::Created,
            PlanKind::Updated => ImportKind::Updated,
            PlanKind::Unchanged => ImportKind::Unchanged,
        }
    }
}

impl RecordChanges {
    /// The detail of one planned record.
    pub fn of(rec: &EnterpriseRecord, plan: RecordPlan) -> RecordChanges {
        RecordChanges {
            uscc: rec.enterprise.uscc.to_string(),
            name: plan.enterprise(rec).name.clone(),
            kind: plan.kind.into(),
            changes: plan.changes,
        }
    }
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
        let ok =
            EnterpriseRecord::whole(ent(CODE), vec![fact("employees", Some(2021), FactValue::Integer(12))]);
        assert!(check_records(d, std::slice::from_ref(&ok)).is_ok());
        let problem =
            |facts: Vec<FactRecord>| match check_records(d, &[EnterpriseRecord::whole(ent(CODE), facts)]) {
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
        let rec = EnterpriseRecord::whole(ent(CODE), vec![rev("1000.50")]);
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
        let same = EnterpriseRecord::whole(ent(CODE), vec![rev("1000.500")]);
        let p = plan_record(Some(&ex), &same);
        assert_eq!(p.kind, PlanKind::Unchanged);
        assert!(p.fact_writes.is_empty());
        // A new value and a new registry field.
        let mut e2 = ent(CODE);
        e2.tax_registered_in_zone = false;
        let p = plan_record(Some(&ex), &EnterpriseRecord::whole(e2, vec![rev("1000.51")]));
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

    /// Issue 14: a file of the credit code, the name, the two flags and one fact cleared the
    /// enterprise's industry code, establishment date, taxpayer type and rating.
    #[test]
    fn a_partial_record_keeps_what_it_does_not_state_and_clears_what_it_clears() {
        let mut stored = ent(CODE);
        stored.industry_code = Some(enterprise::IndustryCode::parse("C3511").unwrap());
        stored.established_on = NaiveDate::from_ymd_opt(2015, 6, 1);
        stored.taxpayer_type = Some(enterprise::TaxpayerType::General);
        stored.tax_credit_rating = Some(enterprise::TaxCreditRating::A);
        let mut ex = Existing { id: 1, enterprise: stored.clone(), facts: HashMap::new() };
        ex.facts.insert(
            ("revenue".into(), 2021),
            StoredFact { value: "5".into(), source: "tax".into(), as_of: NaiveDate::default() },
        );
        let mut rec =
            EnterpriseRecord::whole(ent(CODE), vec![fact("employees", Some(2022), FactValue::Integer(52))]);
        for f in ["industry_code", "established_on", "taxpayer_type", "tax_credit_rating", "tags"] {
            rec.scope.keep.insert(f.into());
        }
        let p = plan_record(Some(&ex), &rec);
        assert!(!p.registry_changed, "{:?}", p.changes);
        assert_eq!(p.enterprise(&rec), &stored);
        let fields: Vec<&str> = p.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["employees[2022]"]);
        assert!(check_records(FactDictionary::official(), std::slice::from_ref(&rec)).is_ok());

        rec.scope.clear.push(("revenue".into(), Some(2021)));
        rec.scope.clear.push(("revenue".into(), Some(2020)));
        let p = plan_record(Some(&ex), &rec);
        assert_eq!(p.fact_deletes, vec![("revenue".to_string(), 2021)], "only what is stored is deleted");
        assert_eq!(
            p.changes[1],
            FieldChange { field: "revenue[2021]".into(), old: Some("5".into()), new: None }
        );
        // A whole record (generated data) clears the optional fields it leaves empty.
        let whole = EnterpriseRecord::whole(ent(CODE), vec![]);
        assert_eq!(plan_record(Some(&ex), &whole).changes.len(), 4);
    }

    #[test]
    fn a_scope_names_only_registry_fields_and_stored_facts() {
        let d = FactDictionary::official();
        let mut rec = EnterpriseRecord::whole(ent(CODE), vec![]);
        rec.scope.keep.insert("revenue".into());
        assert!(check_records(d, std::slice::from_ref(&rec)).is_err());
        let mut rec = EnterpriseRecord::whole(ent(CODE), vec![]);
        rec.scope.clear.push(("name".into(), None));
        assert!(check_records(d, std::slice::from_ref(&rec)).is_err());
        let mut rec = EnterpriseRecord::whole(ent(CODE), vec![]);
        rec.scope.clear.push(("is_individual_business".into(), None));
        assert!(check_records(d, std::slice::from_ref(&rec)).is_err());
        let mut rec = EnterpriseRecord::whole(ent(CODE), vec![]);
        rec.scope.clear.push(("revenue".into(), None));
        assert!(check_records(d, std::slice::from_ref(&rec)).is_err(), "per-year facts clear by year");
    }
}
