//! Administering accounts, as stored: a searchable page of users, one change to a user (role
//! and ties, active, password) with its audit record, and the failed sign-ins kept per
//! account AND source address (migration 0010), which an administrator can clear.
//!
//! What it leaves out: the decisions. When to lock and for how long, who may change what,
//! and how passwords are hashed belong to the application layer (`app::users`,
//! `app::sessions`); the store keeps what it is told, in one transaction per call.

use crate::Result;
use crate::model::{Page, Role, Stamp, User};
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::UnifiedCreditCode;

/// Which users a page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// A fragment of the username or the display name (case-insensitive for ASCII).
    pub search: Option<String>,
    pub role: Option<Role>,
    /// Only active (`Some(true)`) or only deactivated (`Some(false)`) users.
    pub active: Option<bool>,
}

/// A user as the administration lists them: the stored user and the latest lock after failed
/// sign-ins from any address (which may have run out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserListing {
    pub user: User,
    pub locked_until: Option<DateTime<FixedOffset>>,
}

/// One change to a user. Each is written with its audit record (`reference_changes`, entity
/// `user`) in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    /// A new role with its ties ([`ties`]): an enterprise user its enterprise, department
    /// staff their department (code or Chinese name), other roles a department if given.
    /// Ends every session and token of the user (their rights changed).
    Role { role: Role, enterprise: Option<UnifiedCreditCode>, department: Option<String> },
    /// Activates or deactivates; deactivating ends every session and token of the user.
    Active(bool),
    /// A new password hash (argon2 PHC string); ends every session and token of the user and
    /// clears their failed sign-ins.
    PasswordHash(String),
}

/// Failed sign-ins of one account from one source address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFailures {
    /// Wrong passwords in a row since the last lock ran out or the last success.
    pub failures: i32,
    /// Locks in a row: the exponent of the back-off.
    pub locks: i32,
    /// The lock in force until then, if any.
    pub locked_until: Option<DateTime<FixedOffset>>,
    pub last_failure: DateTime<FixedOffset>,
}

/// Accounts administration and sign-in bookkeeping. Object safe; every backend implements it.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// A page of users (by username) matching the filter, and how many match in all.
    async fn users_page(&self, filter: &UserFilter, page: Page) -> Result<(Vec<UserListing>, u64)>;

    /// Applies one change to a user ([`crate::StoreError::UserNotFound`] if there is none);
    /// returns the user as stored.
    async fn change_user(&self, username: &str, change: &UserChange, actor: &Stamp) -> Result<User>;

    /// How many enterprises name the user as leader or cadre in their three links.
    async fn user_link_count(&self, username: &str) -> Result<u64>;

    /// The failed sign-ins of an account from an address, if any are kept.
    async fn sign_in_failures(&self, username: &str, address: &str) -> Result<Option<SignInFailures>>;

    /// Keeps the failed sign-ins of an account from an address (replacing what was kept).
    async fn set_sign_in_failures(&self, username: &str, address: &str, f: &SignInFailures) -> Result<()>;

    /// Forgets the failed sign-ins of an account from an address (a successful sign-in).
    async fn clear_sign_in_failures(&self, username: &str, address: &str) -> Result<()>;

    /// Lifts every lock of an account, from every address (an administrator's unlock), with
    /// its audit record. Returns how many addresses were locked at `actor.at`.
    async fn unlock_user(&self, username: &str, actor: &Stamp) -> Result<u64>;
}

/// The statements both dialects accept.
pub mod sql {
    /// The users of a page with their latest lock: `$1` search pattern (`%…%`, lower case) or
    /// NULL, `$2` role or NULL, `$3` active or NULL, `$4` limit, `$5` offset.
    pub const USERS_PAGE: &str = "SELECT u.id, u.username, u.role, u.password_hash, e.uscc, u.department_code, \
         u.display_name, u.active, u.created_at, u.failed_logins, \
         (SELECT MAX(f.locked_until) FROM sign_in_failures f WHERE f.username = u.username) \
         FROM users u LEFT JOIN enterprises e ON e.id = u.enterprise_id \
         WHERE (CAST($1 AS TEXT) IS NULL OR LOWER(u.username) LIKE $1 OR LOWER(u.display_name) LIKE $1) \
         AND (CAST($2 AS TEXT) IS NULL OR u.role = $2) AND (CAST($3 AS BOOLEAN) IS NULL OR u.active = $3) \
         ORDER BY u.username LIMIT $4 OFFSET $5";
    pub const USERS_COUNT: &str = "SELECT COUNT(*) FROM users u \
         WHERE (CAST($1 AS TEXT) IS NULL OR LOWER(u.username) LIKE $1 OR LOWER(u.display_name) LIKE $1) \
         AND (CAST($2 AS TEXT) IS NULL OR u.role = $2) AND (CAST($3 AS BOOLEAN) IS NULL OR u.active = $3)";
    pub const SET_ROLE: &str = "UPDATE users SET role = $1, enterprise_id = $2, department_code = $3 \
         WHERE username = $4";
    pub const LINK_COUNT: &str =
        "SELECT COUNT(*) FROM three_links WHERE leader_username = $1 OR cadre_username = $1";
    pub const SIGN_IN_FAILURES: &str = "SELECT failures, locks, locked_until, last_failure \
         FROM sign_in_failures WHERE username = $1 AND address = $2";
    pub const SET_SIGN_IN_FAILURES: &str = "INSERT INTO sign_in_failures \
         (username, address, failures, locks, locked_until, last_failure) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures, locks = excluded.locks, \
         locked_until = excluded.locked_until, last_failure = excluded.last_failure";
    pub const CLEAR_SIGN_IN_FAILURES: &str =
        "DELETE FROM sign_in_failures WHERE username = $1 AND address = $2";
    pub const LOCKED_ADDRESSES: &str =
        "SELECT COUNT(*) FROM sign_in_failures WHERE username = $1 AND locked_until > $2";
    pub const CLEAR_USER_FAILURES: &str = "DELETE FROM sign_in_failures WHERE username = $1";
    /// The old per-account columns (0001), cleared with every unlock for older binaries.
    pub const CLEAR_LOGIN_STATE: &str =
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1";

    /// Every text, for the placeholder-order test.
    pub const ALL: &[&str] = &[
        USERS_PAGE,
        USERS_COUNT,
        SET_ROLE,
        LINK_COUNT,
        SIGN_IN_FAILURES,
        SET_SIGN_IN_FAILURES,
        CLEAR_SIGN_IN_FAILURES,
        LOCKED_ADDRESSES,
        CLEAR_USER_FAILURES,
        CLEAR_LOGIN_STATE,
    ];
}

/// Checks a change that needs no database: a role's required tie is given.
pub fn check_change(username: &str, change: &UserChange) -> Result<()> {
    if let UserChange::Role { role, enterprise, department } = change {
        let u = crate::NewUser {
            username: username.to_string(),
            role: *role,
            password_hash: String::new(),
            enterprise: enterprise.clone(),
            department: department.clone(),
            display_name: String::new(),
            at: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        };
        crate::check_new_user(&u)?;
    }
    Ok(())
}

/// The ties a role keeps: an enterprise user its enterprise (and no department); every
/// other role the department given, if any (department staff must have one; a cadre or a
/// leader may belong to one), and no enterprise.
pub fn ties<'a>(
    role: Role,
    enterprise: Option<&'a UnifiedCreditCode>,
    department: Option<&'a str>,
) -> (Option<&'a UnifiedCreditCode>, Option<&'a str>) {
    match role {
        Role::Enterprise => (enterprise, None),
        _ => (None, department.map(str::trim).filter(|d| !d.is_empty())),
    }
}

/// The `LIKE` pattern of a search fragment, lower case. `%`, `_` and `\` are dropped from the
/// fragment rather than escaped (the two dialects' `LIKE` escapes differ, and no username or
/// display name needs them to be found).
pub fn search_pattern(search: Option<&str>) -> Option<String> {
    let s: String = search?.trim().chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect();
    (!s.is_empty()).then(|| format!("%{}%", s.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_numbers_its_parameters_in_order() {
        for text in sql::ALL {
            let order = crate::sql::placeholder_order(text);
            assert!(order.iter().enumerate().all(|(i, n)| *n == i + 1), "{text}");
        }
    }

    #[test]
    fn search_fragments_are_literal_and_lower_case() {
        assert_eq!(search_pattern(Some(" Li ")), Some("%li%".into()));
        assert_eq!(search_pattern(Some("a%_\\b")), Some("%ab%".into()));
        assert_eq!(search_pattern(Some("  ")), None);
        assert_eq!(search_pattern(None), None);
        assert_eq!(search_pattern(Some("王")), Some("%王%".into()));
    }
}
