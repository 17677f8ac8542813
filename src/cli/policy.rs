//! `huiqi policy …`: policies as rules. Owned by the rules engine work (issue 3).

use super::Context;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Parses and type-checks policy files (default: policies/).
    Check { path: Option<String> },
}

pub fn run(cmd: PolicyCmd, _ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCmd::Check { .. } => anyhow::bail!("policy check is not available yet / 尚未实现"),
    }
}
