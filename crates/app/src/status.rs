//! The service's own state, as a load balancer or an operator asks for it: which store
//! backend answers and how many enterprises it holds. No permission: it names no enterprise.

use crate::{App, Result};

/// What the store says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStatus {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub enterprises: u64,
}

/// Asks the store for a count: an error when it does not answer.
#[tracing::instrument(skip_all)]
pub async fn store_status(app: &App) -> Result<StoreStatus> {
    let enterprises = app.store.enterprise_count().await?;
    Ok(StoreStatus { backend: app.store.backend_name(), enterprises })
}
