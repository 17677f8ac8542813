//! The app crate's integration tests as one binary (one link instead of three): matching
//! from the database (`matching`), jobs and change signals across servers (`scale`, over
//! PostgreSQL when `HUIQI_TEST_PG_URL` is set), content and search (`search`), inboxes and the outbox (`push`).

mod chains;
mod drafts;
mod effects;
mod effects_paid;
mod event_inbox;
mod events;
mod financing;
mod grant_pages;
mod grants;
mod legal;
mod logistics;
mod matching;
mod notifications;
mod plans;
mod push;
mod scale;
mod search;
mod utilities;
