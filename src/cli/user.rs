//! `huiqi user add`: creates a user; the password comes on standard input.

use super::{Context, UserError};
use anyhow::Context as _;
use clap::Subcommand;
use enterprise::UnifiedCreditCode;
use i18n::Localized;
use std::io::Read;
use std::process::ExitCode;
use store::NewUser;

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Adds a user. Roles: enterprise, cadre, department, leader, supervisor, policy, admin.
    /// The password is read from standard input (first line).
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// The enterprise (credit code) of an enterprise user.
        #[arg(long)]
        enterprise: Option<String>,
        /// The department (code or Chinese name) of department staff.
        #[arg(long)]
        department: Option<String>,
        /// Name shown in pages (default: the username).
        #[arg(long)]
        display_name: Option<String>,
    },
}

/// Minimum password length.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Hashes a password with argon2id (PHC string), as the web layer verifies it.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    web::hash_password(password).map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

pub async fn run(cmd: UserCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let UserCmd::Add { username, role, enterprise, department, display_name } = cmd;
    let role = store::parse_role(&role).map_err(|e| anyhow::Error::new(UserError(e.bilingual())))?;
    let enterprise = enterprise
        .map(|c| UnifiedCreditCode::parse(&c).map_err(|e| anyhow::Error::new(UserError(e.bilingual()))))
        .transpose()?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_string();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(anyhow::Error::new(UserError(format!(
            "密码至少 {MIN_PASSWORD_CHARS} 个字符，请从标准输入提供 / the password needs at least {MIN_PASSWORD_CHARS} characters, given on standard input"
        ))));
    }
    let store = crate::db::open_ready(&ctx.database).await?;
    let user = NewUser {
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username,
        role,
        password_hash: hash_password(&password)?,
        enterprise,
        department,
        at: crate::db::now(),
    };
    let created = store.create_user(&user).await.map_err(|e| anyhow::Error::new(UserError(e.bilingual())))?;
    println!("{}\t{}", created.username, created.role.as_str());
    Ok(ExitCode::SUCCESS)
}
