//! huiqi (惠企): command-line interface, configuration and wiring of the crates.
//!
//! The binary is thin (`src/main.rs`); everything lives here so tests can drive commands
//! in-process. Each command group has its own module under `cli/`.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod demo_problems;
pub mod policies;
