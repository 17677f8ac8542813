//! Users (用户): create, list with paging and search, deactivate and activate, change a
//! role and its ties, reset a password, unlock sign-ins, and change one's own password.
//! Administrators do all but the last (every user changes their own password).
//!
//! Passwords are hashed here with argon2id ([`hash_password`]; the crate's defaults: 19 MiB,
//! 2 passes, 1 lane) on a blocking thread; the store keeps the PHC string and never sees a
//! password, and verification reads the parameters from the stored string. A reset or
//! change ends every session and token of the user and lifts their sign-in locks in the same
//! transaction; so do deactivation and a role change (the user's rights changed).
//!
//! Rules kept here: an administrator may not deactivate or change the role of their own
//! account (the zone would risk having no administrator); a user named as leader or cadre
//! in enterprises' three links keeps their role until the links are reassigned; a new
//! password has at least [`PasswordRules::min_chars`] characters.

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, FixedOffset};
use enterprise::UnifiedCreditCode;
use serde::Serialize;
use store::accounts::{UserChange, UserFilter};
use store::{NewUser, Page, Role, User};

/// The shortest password the shipped settings accept, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// What a new password must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordRules {
    /// The fewest characters (not bytes).
    pub min_chars: usize,
}

impl Default for PasswordRules {
    fn default() -> Self {
        PasswordRules { min_chars: MIN_PASSWORD_CHARS }
    }
}

impl PasswordRules {
    pub fn check(&self, password: &str) -> Result<()> {
        if password.chars().count() < self.min_chars {
            return Err(Error::PasswordTooShort { min: self.min_chars });
        }
        Ok(())
    }
}

/// Hashes a password with argon2id (PHC string, random 128-bit salt).
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(Error::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

/// Whether `password` matches the PHC string. A malformed string never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// [`hash_password`] on a blocking thread (it takes tens of milliseconds of CPU).
#[tracing::instrument(skip_all)]
pub async fn hash_blocking(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(Error::internal)?
}

/// [`verify_password`] on a blocking thread.
#[tracing::instrument(skip_all)]
pub async fn verify_blocking(password: &str, phc: &str) -> Result<bool> {
    let (pw, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || verify_password(&pw, &phc)).await.map_err(Error::internal)
}

/// A user as the administration shows them (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    pub username: String,
    pub role: Role,
    pub enterprise: Option<UnifiedCreditCode>,
    /// Department code.
    pub department: Option<String>,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<FixedOffset>,
    /// Sign-ins from some address are locked until then (a lock in force only).
    pub locked_until: Option<DateTime<FixedOffset>>,
}

impl UserSummary {
    fn new(u: User, locked_until: Option<DateTime<FixedOffset>>, now: DateTime<FixedOffset>) -> UserSummary {
        UserSummary {
            username: u.username,
            role: u.role,
            enterprise: u.enterprise,
            department: u.department,
            display_name: u.display_name,
            active: u.active,
            created_at: u.created_at,
            locked_until: locked_until.filter(|t| *t > now),
        }
    }
}

/// A user to create, as typed (the role by code or Chinese name, the enterprise's credit
/// code, the department by code or Chinese name).
#[derive(Debug, Clone, Default)]
pub struct NewUserRequest {
    pub username: String,
    pub role: String,
    pub password: String,
    pub enterprise: Option<String>,
    pub department: Option<String>,
    /// Default: the username.
    pub display_name: Option<String>,
}

fn field(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn parse_enterprise(s: Option<&str>) -> Result<Option<UnifiedCreditCode>> {
    match field(s) {
        None => Ok(None),
        Some(s) => UnifiedCreditCode::parse(&s).map(Some).map_err(|e| Error::Invalid {
            field: "enterprise".into(),
            value: s,
            reason: e.to_string(),
        }),
    }
}

/// Display names are shown on every page a user acts on.
pub const DISPLAY_NAME_CHARS: usize = 50;

/// Creates a user (admin). The password is hashed here; the store never sees it.
#[tracing::instrument(skip(app, who, req, rules), fields(actor = %who.username, user.username = %req.username))]
pub async fn create(app: &App, who: &Principal, req: NewUserRequest, rules: PasswordRules) -> Result<User> {
    authz::require(who, Action::Write, Resource::Users)?;
    let role = store::parse_role(&req.role)?;
    let enterprise = parse_enterprise(req.enterprise.as_deref())?;
    rules.check(&req.password)?;
    let username = req.username.trim().to_string();
    let display_name = field(req.display_name.as_deref()).unwrap_or_else(|| username.clone());
    Error::check_length("display_name", &display_name, DISPLAY_NAME_CHARS)?;
    let mut new = NewUser {
        username,
        role,
        password_hash: String::new(),
        enterprise,
        department: field(req.department.as_deref()),
        display_name,
        at: app.now(),
    };
    store::check_new_user(&new)?;
    new.password_hash = hash_blocking(&req.password).await?;
    Ok(app.store.create_user(&new).await?)
}

/// Which users to list, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// A fragment of the username or display name.
    pub search: Option<String>,
    /// A role by code or Chinese name.
    pub role: Option<String>,
    pub active: Option<bool>,
    /// From 1.
    pub page: u64,
    pub per_page: u64,
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery { search: None, role: None, active: None, page: 1, per_page: UserQuery::PER_PAGE }
    }
}

impl UserQuery {
    /// The default page size.
    pub const PER_PAGE: u64 = 50;
    /// The largest page.
    pub const MAX_PER_PAGE: u64 = 1000;
}

/// One page of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPage {
    pub items: Vec<UserSummary>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl UserPage {
    /// How many pages the whole list has (at least one).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// A page of users (admin), by username.
#[tracing::instrument(skip(app, who, q), fields(actor = %who.username, page = q.page))]
pub async fn list(app: &App, who: &Principal, q: &UserQuery) -> Result<UserPage> {
    authz::require(who, Action::Read, Resource::Users)?;
    if q.page == 0 {
        return Err(Error::Invalid {
            field: "page".into(),
            value: "0".into(),
            reason: "pages count from 1".into(),
        });
    }
    if !(1..=UserQuery::MAX_PER_PAGE).contains(&q.per_page) {
        return Err(Error::Invalid {
            field: "per_page".into(),
            value: q.per_page.to_string(),
            reason: format!("1 to {} / 1 至 {}", UserQuery::MAX_PER_PAGE, UserQuery::MAX_PER_PAGE),
        });
    }
    let role = field(q.role.as_deref()).map(|r| store::parse_role(&r)).transpose()?;
    let filter = UserFilter { search: field(q.search.as_deref()), role, active: q.active };
    let offset = (q.page - 1).saturating_mul(q.per_page);
    let (rows, total) = app.store.users_page(&filter, Page::new(offset, q.per_page)).await?;
    let now = app.now();
    Ok(UserPage {
        items: rows.into_iter().map(|l| UserSummary::new(l.user, l.locked_until, now)).collect(),
        total,
        page: q.page,
        per_page: q.per_page,
    })
}

/// One user (admin).
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn get(app: &App, who: &Principal, username: &str) -> Result<UserSummary> {
    authz::require(who, Action::Read, Resource::Users)?;
    let filter = UserFilter { search: Some(username.to_string()), ..UserFilter::default() };
    let (rows, _) = app.store.users_page(&filter, Page::new(0, Page::MAX_LIMIT)).await?;
    let now = app.now();
    rows.into_iter()
        .find(|l| l.user.username == username)
        .map(|l| UserSummary::new(l.user, l.locked_until, now))
        .ok_or_else(|| store::StoreError::UserNotFound { username: username.to_string() }.into())
}

fn not_self(who: &Principal, username: &str) -> Result<()> {
    if who.username == username {
        return Err(Error::OwnAccount { username: username.to_string() });
    }
    Ok(())
}

/// Activates or deactivates a user (admin); deactivating ends their sessions and tokens.
#[tracing::instrument(skip(app, who), fields(actor = %who.username))]
pub async fn set_active(app: &App, who: &Principal, username: &str, active: bool) -> Result<User> {
    authz::require(who, Action::Write, Resource::Users)?;
    if !active {
        not_self(who, username)?;
    }
    Ok(app.store.change_user(username, &UserChange::Active(active), &who.stamp(app.now())).await?)
}

/// A new role with its ties, as typed.
#[derive(Debug, Clone, Default)]
pub struct RoleChange {
    /// Code or Chinese name.
    pub role: String,
    /// The credit code of an enterprise user's enterprise.
    pub enterprise: Option<String>,
    /// The department (code or Chinese name) of department staff.
    pub department: Option<String>,
}

/// Changes a user's role and what it is tied to (admin). A leader or cadre still named in
/// three links keeps the role until the links are reassigned; the user's sessions end.
#[tracing::instrument(skip(app, who, change), fields(actor = %who.username, role = %change.role))]
pub async fn change_role(app: &App, who: &Principal, username: &str, change: RoleChange) -> Result<User> {
    authz::require(who, Action::Write, Resource::Users)?;
    let role = store::parse_role(&change.role)?;
    let enterprise = parse_enterprise(change.enterprise.as_deref())?;
    let current = app
        .store
        .user_by_username(username)
        .await?
        .ok_or_else(|| store::StoreError::UserNotFound { username: username.to_string() })?;
    if role != current.role {
        not_self(who, username)?;
        if matches!(current.role, Role::Leader | Role::Cadre) {
            let count = app.store.user_link_count(username).await?;
            if count > 0 {
                return Err(Error::UserLinked { username: username.to_string(), count });
            }
        }
    }
    let change = UserChange::Role { role, enterprise, department: field(change.department.as_deref()) };
    Ok(app.store.change_user(username, &change, &who.stamp(app.now())).await?)
}

/// Sets a user's password (admin): their sessions and tokens end and any lock is lifted.
#[tracing::instrument(skip(app, who, password, rules), fields(actor = %who.username))]
pub async fn reset_password(
    app: &App,
    who: &Principal,
    username: &str,
    password: &str,
    rules: PasswordRules,
) -> Result<()> {
    authz::require(who, Action::Write, Resource::Users)?;
    rules.check(password)?;
    if app.store.user_by_username(username).await?.is_none() {
        return Err(store::StoreError::UserNotFound { username: username.to_string() }.into());
    }
    let hash = hash_blocking(password).await?;
    app.store.change_user(username, &UserChange::PasswordHash(hash), &who.stamp(app.now())).await?;
    Ok(())
}

/// Lifts every sign-in lock of a user, from every address (admin). Returns how many
/// addresses were locked.
#[tracing::instrument(skip(app, who), fields(actor = %who.username))]
pub async fn unlock(app: &App, who: &Principal, username: &str) -> Result<u64> {
    authz::require(who, Action::Write, Resource::Users)?;
    Ok(app.store.unlock_user(username, &who.stamp(app.now())).await?)
}

/// One's own password change, as typed.
#[derive(Debug, Clone)]
pub struct OwnPasswordChange {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

/// Changes one's own password: the current one must be right; every session and token of
/// the user ends (the front end opens a fresh one for the browser that asked).
#[tracing::instrument(skip(app, who, req, rules), fields(actor = %who.username))]
pub async fn change_own_password(
    app: &App,
    who: &Principal,
    req: &OwnPasswordChange,
    rules: PasswordRules,
) -> Result<()> {
    let user = app
        .store
        .user_by_username(&who.username)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| Error::UserInactive { username: who.username.clone() })?;
    if !verify_blocking(&req.current, &user.password_hash).await? {
        return Err(Error::WrongCurrentPassword);
    }
    rules.check(&req.new)?;
    if req.new != req.confirm {
        return Err(Error::PasswordMismatch);
    }
    let hash = hash_blocking(&req.new).await?;
    app.store.change_user(&who.username, &UserChange::PasswordHash(hash), &who.stamp(app.now())).await?;
    Ok(())
}

/// The display names of `usernames` (the ones that exist), for pages that show who acted:
/// any signed-in user sees the names of the people acting on what they may read, never
/// their login names.
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn display_names(
    app: &App,
    who: &Principal,
    usernames: &[String],
) -> Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for u in usernames {
        if out.contains_key(u) {
            continue;
        }
        if let Some(user) = app.store.user_by_username(u).await?
            && !user.display_name.trim().is_empty()
        {
            out.insert(u.clone(), user.display_name);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_hashes_are_argon2id() {
        let h = hash_password("正确的密码 horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("正确的密码 horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn password_lengths_count_characters() {
        let r = PasswordRules::default();
        assert!(r.check("八个汉字的密码呀").is_ok());
        assert!(matches!(r.check("七个汉字的密码"), Err(Error::PasswordTooShort { min: 8 })));
    }
}
