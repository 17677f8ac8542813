//! What the financing pages offer a reader: the steps a 风险补偿 / 转贷过桥 demand may take
//! next (only those its track allows from where it is), and a product the reader may edit.

use services::financing::DemandState;
use services::financing::special::{self, Step};
use store::Role;
use store::financing::{DemandRecord, ProductRecord};

use super::{institution_of, is_officer};
use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};

/// The steps a demand may take next, in their order: none for a demand without steps, and
/// after its outcome only the repayment of a granted bridge loan.
pub fn next_steps(d: &DemandRecord) -> Vec<Step> {
    use strum::IntoEnumIterator;
    let Some(from) = d.demand.step else { return Vec::new() };
    Step::iter()
        .filter(|to| special::next_step(d.demand.kind, from, *to).is_ok())
        .filter(|to| !d.state.is_final() || (*to == Step::Repaid && d.state == DemandState::Granted))
        .collect()
}

/// A product the reader may edit: an institution's own, any for the financing officers
/// (404 for a product the reader may not edit or that does not exist).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn editable_product(app: &App, actor: &Principal, id: &str) -> Result<ProductRecord> {
    authz::require(actor, Action::Write, Resource::Financing)?;
    let not_found = || Error::ProductNotFound { id: id.to_string() };
    let p = app.store.product(id.trim()).await?.ok_or_else(not_found)?;
    if actor.role == Role::FinancialInstitution {
        if p.product.institution == institution_of(app, actor).await? {
            return Ok(p);
        }
        return Err(not_found());
    }
    if is_officer(actor) { Ok(p) } else { Err(Error::Forbidden) }
}

/// Whether the reader may publish products (an institution's users, the financing officers).
pub fn may_publish(actor: &Principal) -> bool {
    actor.role == Role::FinancialInstitution || is_officer(actor)
}
