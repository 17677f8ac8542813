//! Helpers shared by the tests (and, through `#[path]`, the benchmark example).

pub mod generate;
pub mod xlsx;
