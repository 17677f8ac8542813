//! Adding a problem category to a running zone (issue 10): the category with its routing
//! (lead department first), written in one transaction with its record in
//! `reference_changes`. From the next read of the routing table on, problems can be raised
//! in it (pages, API, CLI), routed to its departments; its answer limit is the time limits'
//! `default` until an admin gives it its own.
//!
//! What it leaves out: who may add one and how the fields are checked (`app::reference`).

use crate::Result;
use crate::model::Stamp;
use async_trait::async_trait;
use enterprise::Category;

/// Adding categories. Object safe; every backend implements it.
#[async_trait]
pub trait CategoryStore: Send + Sync {
    /// Adds a category after the existing ones, with its departments (codes or Chinese
    /// names, lead first). [`crate::StoreError::CategoryExists`] if the code or the name is
    /// taken, [`crate::StoreError::UnknownDepartment`] for a department that does not exist.
    /// Returns the category as stored (department codes).
    async fn add_category(&self, category: &Category, actor: &Stamp) -> Result<Category>;
}

/// The statements both dialects accept.
pub mod sql {
    /// Whether a code or a name is taken: `$1` code, `$2` name.
    pub const CATEGORY_TAKEN: &str = "SELECT code FROM categories WHERE code = $1 OR name = $2 LIMIT 1";
    pub const NEXT_POSITION: &str = "SELECT COALESCE(MAX(position), -1) + 1 FROM categories";

    /// Every text, for the placeholder-order test.
    pub const ALL: &[&str] = &[CATEGORY_TAKEN, NEXT_POSITION];
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_text_numbers_its_parameters_in_order() {
        for text in super::sql::ALL {
            let order = crate::sql::placeholder_order(text);
            assert!(order.iter().enumerate().all(|(i, n)| *n == i + 1), "{text}");
        }
    }
}
