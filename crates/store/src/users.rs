//! The zone's users as stored, and their sign-in bookkeeping (failed attempts, lock-out) as
//! decided by the sign-in use case. The store never sees a password: callers pass an argon2
//! PHC hash.
//!
//! What it leaves out: sessions and API tokens ([`crate::sessions`]); the decisions (when to
//! lock, for how long) belong to the application layer.

use crate::model::Role;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::UnifiedCreditCode;
use serde::Serialize;

/// A user to create. The password hash (argon2 PHC string) is computed by the caller: the
/// store never sees a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub password_hash: String,
    /// Required for [`Role::Enterprise`].
    pub enterprise: Option<UnifiedCreditCode>,
    /// Department code or Chinese name; required for [`Role::Department`].
    pub department: Option<String>,
    pub display_name: String,
    pub at: DateTime<FixedOffset>,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub enterprise: Option<UnifiedCreditCode>,
    /// Department code.
    pub department: Option<String>,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<FixedOffset>,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<FixedOffset>>,
}

/// A user's sign-in bookkeeping, set by the web layer after each attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginState {
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<FixedOffset>>,
}

/// Users and their sign-in state. Object safe; every backend implements it.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user_by_username(&self, username: &str) -> Result<Option<User>>;
    /// All users, by username.
    async fn list_users(&self) -> Result<Vec<User>>;
    /// Sets a user's password hash and, in the same transaction, ends every session and token
    /// of the user ([`crate::sessions`]).
    async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<()>;
    /// Records the sign-in bookkeeping (failed attempts, lock-out) decided by the web layer.
    async fn set_login_state(&self, username: &str, state: LoginState) -> Result<()>;
    /// Activates or deactivates a user; deactivating also ends every session and token of the
    /// user in the same transaction.
    async fn set_user_active(&self, username: &str, active: bool) -> Result<()>;
}

/// Checks a username: 1 to 64 characters, no whitespace or control characters.
pub fn check_username(username: &str) -> Result<()> {
    let n = username.chars().count();
    if n == 0 || n > 64 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(StoreError::InvalidUsername { username: username.to_string() });
    }
    Ok(())
}

/// Checks a new user's fields that need no database.
pub fn check_new_user(u: &NewUser) -> Result<()> {
    check_username(&u.username)?;
    if u.role == Role::Enterprise && u.enterprise.is_none() {
        return Err(StoreError::RoleNeedsEnterprise {
            username: u.username.clone(),
            role: u.role.as_str().into(),
        });
    }
    if u.role == Role::Department && u.department.as_deref().is_none_or(|d| d.trim().is_empty()) {
        return Err(StoreError::RoleNeedsDepartment {
            username: u.username.clone(),
            role: u.role.as_str().into(),
        });
    }
    Ok(())
}
