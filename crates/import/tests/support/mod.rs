//! Helpers shared by the tests.

pub use import::synth as generate;
pub mod xlsx;
