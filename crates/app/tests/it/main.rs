//! The app crate's integration tests as one binary (one link instead of three): matching
//! from the database (`matching`), jobs and change signals across servers (`scale`, over
//! PostgreSQL when `HUIQI_TEST_PG_URL` is set), content and search (`search`).

mod drafts;
mod grants;
mod matching;
mod scale;
mod search;
