//! The zone's reference data as stored: departments, problem categories and the routing
//! table between them (which departments handle a category, the lead first). Seeded once
//! from [`enterprise::Routing::seed`]; after that the database copy is authoritative and
//! every change is recorded in `reference_changes`.
//!
//! What it leaves out: users ([`crate::users`]) and enterprises ([`crate::enterprises`]).

use crate::{Result, Stamp, StoreError};
use async_trait::async_trait;
use enterprise::{Category, Department};

/// Departments, categories and routing. Object safe; every backend implements it.
#[async_trait]
pub trait ReferenceStore: Send + Sync {
    /// Seeds departments and the routing table from [`enterprise::Routing::seed`] if the
    /// database has no department yet; returns whether it seeded. After the first start the
    /// database copy is authoritative.
    async fn seed_reference_data(&self) -> Result<bool>;

    /// All departments, by code.
    async fn departments(&self) -> Result<Vec<Department>>;

    /// Adds a department; [`StoreError::DepartmentExists`] if the code is taken.
    async fn add_department(&self, department: &Department, actor: &Stamp) -> Result<()>;

    /// Renames a department (name, English name, note) by its code; the code never changes.
    async fn update_department(&self, department: &Department, actor: &Stamp) -> Result<()>;

    /// The problem categories in their order, each with its departments, lead first.
    async fn categories_with_routing(&self) -> Result<Vec<Category>>;

    /// Replaces a category's departments (code or Chinese name each; the first leads).
    /// Recorded in `reference_changes`. Returns the category as stored.
    async fn set_category_departments(
        &self,
        category: &str,
        departments: &[String],
        actor: &Stamp,
    ) -> Result<Category>;
}

/// Checks a routing list: at least one department, none twice.
pub fn check_routing(category: &str, departments: &[String]) -> Result<()> {
    if departments.is_empty() {
        return Err(StoreError::EmptyRouting { code: category.to_string() });
    }
    for (i, d) in departments.iter().enumerate() {
        if departments[..i].contains(d) {
            return Err(StoreError::DuplicateRouting { code: category.to_string(), department: d.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_needs_a_lead_and_no_repeats() {
        assert!(check_routing("tax", &["tax_bureau".into()]).is_ok());
        assert!(matches!(check_routing("tax", &[]), Err(StoreError::EmptyRouting { .. })));
        assert!(matches!(
            check_routing("tax", &["a".into(), "b".into(), "a".into()]),
            Err(StoreError::DuplicateRouting { .. })
        ));
    }
}
