//! The web application end to end, one test binary: each test starts the app on port 0 over a
//! fresh SQLite file (see `support`) and talks to it over HTTP.

mod admin;
mod api_fuzz;
mod chains;
mod events;
mod financing;
mod homes;
mod legal;
mod limits;
mod logistics;
mod notifications;
mod plans;
mod policies;
mod problems;
mod support;
mod utilities;
mod web;
mod zh;
