//! The three lists' use cases (问题清单、责任清单、销号清单): raise a problem (an enterprise
//! for itself, or an official taking it in by hotline, meeting or visit: 代录), act on it
//! with any action word, attach files, show one, list and search them (a department's
//! list is its queue), close answers left unconfirmed, record visits and their coverage,
//! verify the audit chain, and export the ledger (问题台账).
//!
//! Each use case checks permission with [`crate::authz`], checks every text of the request
//! ([`text`]: lengths in characters, no control characters), decides with `handling` (the
//! state machine, what an actor may do now, deadlines and lights) and writes through the
//! store in one transaction whose event joins the audit chain. The web and the CLI only
//! translate: the words of actions are read once ([`ActionRequest::command`], over
//! `handling`'s parsers), "open" is `handling::State::is_open`, warnings come from
//! `handling` alone.
//!
//! What it leaves out: HTTP (headers, ETags, status codes), pages and terminals.

mod act;
mod attach;
mod audit;
mod follow_ups;
mod ledger;
mod list;
mod raise;
mod show;
pub mod text;
mod visits;

pub use act::{ActContext, ActionRequest, act, sweep};
pub use attach::{NewFile, attach, attachment, attachments, check_files};
pub use audit::{AuditOutcome, verify};
pub use follow_ups::{
    FollowUpRequest, FollowUpView, SampledClosure, SpotCheckSample, follow_ups, sample_size,
    spot_check_sample,
};
pub use ledger::{LedgerNames, ledger, ledger_workbook};
pub use list::{ListRequest, OpenFilter, ProblemPage, ProblemRowView, SortOrder, list};
pub use raise::{IntakeEnterprises, IntakeForm, RaiseRequest, channels_for, intake_form, raise};
pub use show::{ProblemView, Reader, show};
pub use visits::{
    CoverageReport, FoundProblem, VisitRequest, VisitView, cadre_enterprises, coverage, list_visits,
    record_visit,
};

use crate::authz;
use crate::{App, Error, Principal, Result};
use enterprise::{Routing, ThreeLinks, UnifiedCreditCode};
use handling::Visibility;
use store::problems::ProblemRecord;

/// The routing table (departments, categories and who leads them) as the store holds it now.
#[tracing::instrument(skip_all)]
pub async fn routing(app: &App) -> Result<Routing> {
    Ok(Routing {
        departments: app.store.departments().await?,
        categories: app.store.categories_with_routing().await?,
    })
}

/// Puts the database's current time limits in use (what a command that raises problems
/// needs; lighter than [`App::load_documents`], which also checks the policy library).
#[tracing::instrument(skip_all)]
pub async fn use_stored_time_limits(app: &App) -> Result<()> {
    use store::documents::{DocumentKind, TIME_LIMITS_NAME};
    if let Some(d) = app.store.current_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME).await? {
        app.live.set_time_limits(handling::TimeLimits::parse(&d.body)?);
    }
    Ok(())
}

/// Puts the database's current zone settings in use (what a command needs that reads the
/// handling settings: the reply days of a 督办, a decision's default deadline).
#[tracing::instrument(skip_all)]
pub async fn use_stored_settings(app: &App) -> Result<()> {
    use store::documents::{DocumentKind, ZONE_SETTINGS_NAME};
    if let Some(d) = app.store.current_document(DocumentKind::ZoneSettings, ZONE_SETTINGS_NAME).await? {
        app.live.set_settings(crate::settings::ZoneSettings::parse(&d.body)?);
    }
    Ok(())
}

/// A credit code from a request field, or a bilingual error naming the field.
pub(crate) fn parse_uscc(field: &str, s: &str) -> Result<UnifiedCreditCode> {
    UnifiedCreditCode::parse(s.trim()).map_err(|e| Error::Invalid {
        field: field.to_string(),
        value: s.to_string(),
        reason: i18n::Localized::bilingual(&e),
    })
}

/// A problem the principal may see, how much of it, and its enterprise's links;
/// [`Error::ProblemNotFound`] for one that does not exist or is hidden.
pub(crate) async fn load_visible(
    app: &App,
    who: &Principal,
    id: i64,
) -> Result<(ProblemRecord, Visibility, ThreeLinks)> {
    let rec = app.store.get_problem(id).await?;
    let links = links_of(app, &rec.state.problem.enterprise).await?;
    let vis = authz::problem_visibility(who, &rec.state, &links);
    if vis == Visibility::Hidden {
        return Err(Error::ProblemNotFound { id: id.to_string() });
    }
    Ok((rec, vis, links))
}

/// An enterprise's three links (none if it has none).
pub(crate) async fn links_of(app: &App, uscc: &UnifiedCreditCode) -> Result<ThreeLinks> {
    Ok(app.store.enterprise_head(uscc).await?.map(|h| h.links).unwrap_or_default())
}

#[cfg(test)]
mod tests;
