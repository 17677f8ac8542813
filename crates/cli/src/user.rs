//! `huiqi user …` (users) and `huiqi category …` (problem categories): arguments to the use
//! cases of `app::users` and `app::reference`, results to text or `--json`.
//!
//! Without `--as USER` a command acts as the operator at the console
//! ([`Principal::operator`] named `console`: whoever can open the database holds the zone's
//! data already, so acts as an administrator); with it, as that stored, active user, whose
//! role must allow the change.

use super::{Context, UserError, user_error};
use anyhow::Context as _;
use app::{App, Principal};
use clap::Subcommand;
use std::io::Read;
use std::process::ExitCode;

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
        /// Act as this stored user (default: the console operator).
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Lists users by username, a page at a time.
    List {
        /// A fragment of the username or display name.
        #[arg(long)]
        search: Option<String>,
        /// Only users of this role (code or Chinese name).
        #[arg(long)]
        role: Option<String>,
        /// Only deactivated users.
        #[arg(long, conflicts_with = "active")]
        inactive: bool,
        /// Only active users.
        #[arg(long)]
        active: bool,
        #[arg(long, default_value_t = 1)]
        page: u64,
        #[arg(long, default_value_t = 50)]
        per_page: u64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Lifts every sign-in lock of a user (after failed passwords), from every address.
    Unlock {
        username: String,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Deactivates a user: their sessions and tokens end; they can no longer sign in.
    Deactivate {
        username: String,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Activates a deactivated user.
    Activate {
        username: String,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Changes a user's role (and its enterprise or department); their sessions end.
    Role {
        username: String,
        role: String,
        #[arg(long)]
        enterprise: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Sets a user's password from standard input (first line); their sessions end and any
    /// lock is lifted.
    Password {
        username: String,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CategoryCmd {
    /// Adds a problem category to the routing table, usable at once for new problems.
    Add {
        /// Stable code: lower-case letters, digits and _, starting with a letter.
        code: String,
        /// Chinese name (at most 20 characters).
        name: String,
        /// Departments (codes or Chinese names), comma-separated, lead first.
        #[arg(long)]
        departments: String,
        /// English name (default: the code).
        #[arg(long)]
        en: Option<String>,
        /// The plan's line it belongs to.
        #[arg(long)]
        plan: Option<String>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Lists the problem categories with their departments, lead first.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// Minimum password length of the shipped settings.
pub const MIN_PASSWORD_CHARS: usize = app::users::MIN_PASSWORD_CHARS;

/// Hashes a password with argon2id (PHC string), as sign-in verifies it.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    app::users::hash_password(password).map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// The application over the command's database, and who acts.
async fn open(ctx: &Context, as_user: Option<&str>) -> anyhow::Result<(App, Principal)> {
    let app = App::new(crate::db::open_ready(&ctx.database).await?);
    let who = match as_user {
        Some(u) => app.principal(u).await.map_err(|e| user_error(&e))?,
        None => Principal::operator("console"),
    };
    Ok((app, who))
}

/// The first line of standard input.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading the password from standard input")?;
    Ok(input.lines().next().unwrap_or("").to_string())
}

fn short_password() -> anyhow::Error {
    anyhow::Error::new(UserError(format!(
        "密码至少 {MIN_PASSWORD_CHARS} 个字符，请从标准输入提供 / the password needs at least {MIN_PASSWORD_CHARS} characters, given on standard input"
    )))
}

pub async fn run(cmd: UserCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let rules = app::users::PasswordRules::default();
    match cmd {
        UserCmd::Add { username, role, enterprise, department, display_name, as_user } => {
            // The role and credit code are checked before the password is read.
            store::parse_role(&role).map_err(|e| user_error(&e))?;
            if let Some(c) = &enterprise {
                enterprise::UnifiedCreditCode::parse(c).map_err(|e| user_error(&e))?;
            }
            let password = password_from_stdin()?;
            if rules.check(&password).is_err() {
                return Err(short_password());
            }
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            let req =
                app::users::NewUserRequest { username, role, password, enterprise, department, display_name };
            let created = app::users::create(&app, &who, req, rules).await.map_err(|e| user_error(&e))?;
            outln!("{}\t{}", created.username, created.role.as_str());
        }
        UserCmd::List { search, role, inactive, active, page, per_page, json, as_user } => {
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            let active = if inactive {
                Some(false)
            } else if active {
                Some(true)
            } else {
                None
            };
            let q = app::users::UserQuery { search, role, active, page, per_page };
            let list = app::users::list(&app, &who, &q).await.map_err(|e| user_error(&e))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for u in &list.items {
                    let tie = match (&u.enterprise, &u.department) {
                        (Some(e), _) => e.to_string(),
                        (None, Some(d)) => d.clone(),
                        _ => "-".into(),
                    };
                    let state = if u.active { "active" } else { "inactive" };
                    let lock = u
                        .locked_until
                        .map(|t| format!("\tlocked until {}", t.format("%Y-%m-%d %H:%M")))
                        .unwrap_or_default();
                    outln!("{}\t{}\t{}\t{}\t{state}{lock}", u.username, u.role.as_str(), tie, u.display_name);
                }
                outln!(
                    "第 {} / {} 页，共 {} 个用户 / page {} of {}, {} users",
                    list.page,
                    list.pages(),
                    list.total,
                    list.page,
                    list.pages(),
                    list.total
                );
            }
        }
        UserCmd::Unlock { username, as_user } => {
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            let n = app::users::unlock(&app, &who, &username).await.map_err(|e| user_error(&e))?;
            outln!(
                "已解除 {username} 的登录锁定（{n} 个地址被锁定）/ sign-in locks of {username} lifted ({n} addresses were locked)"
            );
        }
        UserCmd::Deactivate { username, as_user } => {
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            app::users::set_active(&app, &who, &username, false).await.map_err(|e| user_error(&e))?;
            outln!("已停用 {username}，其登录已全部退出 / {username} deactivated; their sessions have ended");
        }
        UserCmd::Activate { username, as_user } => {
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            app::users::set_active(&app, &who, &username, true).await.map_err(|e| user_error(&e))?;
            outln!("已启用 {username} / {username} activated");
        }
        UserCmd::Role { username, role, enterprise, department, as_user } => {
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            let change = app::users::RoleChange { role, enterprise, department };
            let u =
                app::users::change_role(&app, &who, &username, change).await.map_err(|e| user_error(&e))?;
            outln!("{}\t{}", u.username, u.role.as_str());
        }
        UserCmd::Password { username, as_user } => {
            let password = password_from_stdin()?;
            if rules.check(&password).is_err() {
                return Err(short_password());
            }
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            app::users::reset_password(&app, &who, &username, &password, rules)
                .await
                .map_err(|e| user_error(&e))?;
            outln!(
                "已重置 {username} 的密码，其登录已全部退出 / password of {username} reset; their sessions have ended"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_category(cmd: CategoryCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        CategoryCmd::Add { code, name, departments, en, plan, as_user } => {
            let (app, who) = open(ctx, as_user.as_deref()).await?;
            let req = app::reference::NewCategory {
                code,
                name,
                en,
                plan,
                departments: app::reference::department_list(&departments),
            };
            let c = app::reference::add_category(&app, &who, req).await.map_err(|e| user_error(&e))?;
            outln!("{}\t{}\t{}", c.code, c.name, c.departments.join(","));
        }
        CategoryCmd::List { json } => {
            let (app, who) = open(ctx, None).await?;
            let cats = app::reference::categories(&app, &who).await.map_err(|e| user_error(&e))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&cats)?);
            } else {
                for c in cats {
                    outln!("{}\t{}\t{}", c.code, c.name, c.departments.join(","));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
