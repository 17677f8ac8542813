//! Problems (诉求, the three lists): raise one (an enterprise for itself, officials taking one
//! in for an enterprise), list and search them (a department's list is its queue), read one
//! with its timeline, act on it. JSON under `/api/v1/problems` ([`api`], shapes in [`dto`]),
//! pages under `/problems` ([`pages`]).
//!
//! This module only translates: the use cases (`app::problems`) check who may do what, read
//! the words of actions, limit the texts, and decide with the domain (`handling`); the store
//! keeps the event log. Confidential problems (商业秘密) seen at the summary level lose their
//! title, description and event notes (`app::problems::ProblemView`).

pub mod api;
pub mod dto;
pub mod pages;

pub use api::*;
pub use dto::*;
pub use pages::*;

use crate::error::WebError;
use crate::state::AppState;
use enterprise::Routing;

/// The routing table as the store holds it now (for names on pages).
pub async fn routing(state: &AppState) -> Result<Routing, WebError> {
    Ok(app::problems::routing(state).await?)
}
