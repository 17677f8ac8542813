//! The `huiqi` package's integration tests, one binary (one link) with a module per area:
//! the CLI contracts run the built `huiqi` in a temp dir; `layers` checks the crate graph.

mod cli_calendar;
mod cli_documents;
mod cli_effects;
mod cli_events;
mod cli_financing;
mod cli_foundation;
mod cli_grants;
mod cli_import;
mod cli_legal;
mod cli_logistics;
mod cli_plans;
mod cli_policy;
mod cli_problems;
mod cli_serve;
mod cli_utilities;
mod cli_visit;
mod cli_worker;
mod fuzz;
mod layers;
