//! `huiqi uscc check`: validates unified social credit codes, one line each.

use clap::Subcommand;
use enterprise::UnifiedCreditCode;
use i18n::Localized;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum UsccCmd {
    /// Prints `CODE<TAB>valid` or `CODE<TAB>invalid<TAB>reason` per code (from the arguments,
    /// or standard input one a line); exit 0 when all are valid, else 1.
    Check { codes: Vec<String> },
}

/// One output line for a code.
pub fn check_line(code: &str) -> (bool, String) {
    match UnifiedCreditCode::parse(code) {
        Ok(_) => (true, format!("{code}\tvalid")),
        Err(e) => (false, format!("{code}\tinvalid\t{}", e.bilingual())),
    }
}

pub fn run(cmd: UsccCmd) -> anyhow::Result<ExitCode> {
    let UsccCmd::Check { codes } = cmd;
    let mut all_valid = true;
    let mut emit = |code: &str| {
        let (ok, line) = check_line(code);
        all_valid &= ok;
        println!("{line}");
    };
    if codes.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let code = line.trim_end_matches('\r');
            if code.trim().is_empty() {
                continue;
            }
            emit(code);
        }
    } else {
        for c in &codes {
            emit(c);
        }
    }
    Ok(if all_valid { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
