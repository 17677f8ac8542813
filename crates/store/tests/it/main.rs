//! The store suite as one test binary (one link instead of seven): each module is a file of
//! tests over `&dyn Store`, run against SQLite always and PostgreSQL when
//! `HUIQI_TEST_PG_URL` is set (see `support`).

#[macro_use]
mod support;

mod accounts;
mod content;
mod documents;
mod drafts;
mod events;
mod grants;
mod matches;
mod problems;
mod push;
mod repository;
mod scale;
mod sessions;
