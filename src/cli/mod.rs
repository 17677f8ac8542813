//! The command line. Contracts of each command are fixed by the issues; output meant for
//! machines has `--json`; errors go to stderr, bilingual, with a non-zero exit.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod calendar;
pub mod classify;
pub mod policy;
pub mod uscc;

/// huiqi (惠企): the enterprise assistance platform of an industrial zone.
#[derive(Debug, Parser)]
#[command(name = "huiqi", version, about)]
pub struct Cli {
    /// Database URL: a SQLite file path (default huiqi.db) or postgres://user@host/db.
    #[arg(long, global = true, env = "HUIQI_DATABASE_URL")]
    pub database: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The Chinese working-day calendar (工作日历).
    #[command(subcommand)]
    Calendar(calendar::CalendarCmd),
    /// Unified social credit codes (统一社会信用代码).
    #[command(subcommand)]
    Uscc(uscc::UsccCmd),
    /// Enterprise size class under the 2011 standard (企业规模划型).
    Classify(classify::ClassifyArgs),
    /// Policies as rules (政策即规则): check, test, evaluate.
    #[command(subcommand)]
    Policy(policy::PolicyCmd),
}

/// Shared state of one command run.
pub struct Context {
    pub database: String,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let ctx =
        Context { database: cli.database.clone().unwrap_or_else(|| crate::db::DEFAULT_DATABASE.to_string()) };
    let result = match cli.command {
        Command::Calendar(c) => calendar::run(c),
        Command::Uscc(c) => uscc::run(c),
        Command::Classify(c) => classify::run(c),
        Command::Policy(c) => policy::run(c, &ctx),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// An error already rendered for the user (bilingual), carried to `main` for exit code 1.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Renders a localized error in both languages as a `UserError`.
pub fn user_error(e: &dyn i18n::Localized) -> anyhow::Error {
    anyhow::Error::new(UserError(e.bilingual()))
}
