//! [`AccountStore`] on SQLite: writes are jobs of the writer thread, reads point reads.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::FieldChange;
use rusqlite::{Connection, OptionalExtension, params};
use store::accounts::{
    AccountStore, SignInFailures, UserChange, UserFilter, UserListing, check_change, search_pattern, sql,
    ties,
};
use store::{Page, Result, Stamp, StoreError, User};

use crate::enterprises::enterprise_id;
use crate::reference::{department_code, insert_reference_change};
use crate::users::{finish_user, user_row};
use crate::{SqliteStore, backend, ts};

/// The stored user (as `finish_user` reads it) or [`StoreError::UserNotFound`].
fn stored_user(conn: &Connection, username: &str) -> Result<User> {
    let mut st = conn.prepare_cached(store::sql::USER_BY_USERNAME).map_err(backend)?;
    let row = st.query_row([username], user_row).optional().map_err(backend)?;
    finish_user(row.ok_or_else(|| StoreError::UserNotFound { username: username.to_string() })?)
}

fn audit(
    conn: &Connection,
    actor: &Stamp,
    username: &str,
    field: &str,
    old: Option<String>,
    new: Option<String>,
) -> Result<()> {
    if old == new && field != "password" {
        return Ok(());
    }
    insert_reference_change(conn, actor, "user", username, &FieldChange { field: field.into(), old, new })
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn users_page(&self, filter: &UserFilter, page: Page) -> Result<(Vec<UserListing>, u64)> {
        let pattern = search_pattern(filter.search.as_deref());
        let role = filter.role.map(|r| r.as_str().to_string());
        let active = filter.active;
        let page = Page::new(page.offset, page.limit);
        self.read(move |conn| {
            let total: i64 = conn
                .prepare_cached(sql::USERS_COUNT)
                .and_then(|mut st| st.query_row(params![pattern, role, active], |r| r.get(0)))
                .map_err(backend)?;
            let mut st = conn.prepare_cached(sql::USERS_PAGE).map_err(backend)?;
            let rows = st
                .query_map(params![pattern, role, active, page.limit as i64, page.offset as i64], |r| {
                    Ok((user_row(r)?, r.get::<_, Option<DateTime<FixedOffset>>>(10)?))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (raw, locked_until) = row.map_err(backend)?;
                let mut user = finish_user(raw)?;
                user.locked_until = None;
                out.push(UserListing { user, locked_until });
            }
            Ok((out, u64::try_from(total).unwrap_or(0)))
        })
        .await
    }

    async fn change_user(&self, username: &str, change: &UserChange, actor: &Stamp) -> Result<User> {
        check_change(username, change)?;
        let (username, change, actor) = (username.to_string(), change.clone(), actor.clone());
        self.write(move |conn| {
            let old = stored_user(conn, &username)?;
            match &change {
                UserChange::Role { role, enterprise, department } => {
                    let (enterprise, department) = ties(*role, enterprise.as_ref(), department.as_deref());
                    let enterprise_id = match enterprise {
                        Some(c) => Some(enterprise_id(conn, c)?),
                        None => None,
                    };
                    let department = match department {
                        Some(d) => Some(department_code(conn, d)?),
                        None => None,
                    };
                    conn.prepare_cached(sql::SET_ROLE)
                        .and_then(|mut st| {
                            st.execute(params![role.as_str(), enterprise_id, department, username])
                        })
                        .map_err(backend)?;
                    crate::sessions::delete_user_sessions(conn, &username)?;
                    let new = stored_user(conn, &username)?;
                    audit(
                        conn,
                        &actor,
                        &username,
                        "role",
                        Some(old.role.as_str().into()),
                        Some(new.role.as_str().into()),
                    )?;
                    audit(
                        conn,
                        &actor,
                        &username,
                        "enterprise",
                        old.enterprise.map(|e| e.to_string()),
                        new.enterprise.as_ref().map(|e| e.to_string()),
                    )?;
                    audit(conn, &actor, &username, "department", old.department, new.department.clone())?;
                    Ok(new)
                }
                UserChange::Active(active) => {
                    conn.prepare_cached(store::sql::SET_USER_ACTIVE)
                        .and_then(|mut st| st.execute(params![active, username]))
                        .map_err(backend)?;
                    if !active {
                        crate::sessions::delete_user_sessions(conn, &username)?;
                    }
                    audit(
                        conn,
                        &actor,
                        &username,
                        "active",
                        Some(old.active.to_string()),
                        Some(active.to_string()),
                    )?;
                    stored_user(conn, &username)
                }
                UserChange::PasswordHash(hash) => {
                    conn.prepare_cached(store::sql::SET_PASSWORD_HASH)
                        .and_then(|mut st| st.execute(params![hash, username]))
                        .map_err(backend)?;
                    crate::sessions::delete_user_sessions(conn, &username)?;
                    clear_failures(conn, &username)?;
                    audit(conn, &actor, &username, "password", None, None)?;
                    stored_user(conn, &username)
                }
            }
        })
        .await
    }

    async fn user_link_count(&self, username: &str) -> Result<u64> {
        let username = username.to_string();
        self.read_statement(move |conn| {
            let n: i64 = conn
                .prepare_cached(sql::LINK_COUNT)
                .and_then(|mut st| st.query_row([&username], |r| r.get(0)))
                .map_err(backend)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn sign_in_failures(&self, username: &str, address: &str) -> Result<Option<SignInFailures>> {
        let (username, address) = (username.to_string(), address.to_string());
        self.read_statement(move |conn| {
            conn.prepare_cached(sql::SIGN_IN_FAILURES)
                .and_then(|mut st| {
                    st.query_row([&username, &address], |r| {
                        Ok(SignInFailures {
                            failures: r.get(0)?,
                            locks: r.get(1)?,
                            locked_until: r.get(2)?,
                            last_failure: r.get(3)?,
                        })
                    })
                    .optional()
                })
                .map_err(backend)
        })
        .await
    }

    async fn set_sign_in_failures(&self, username: &str, address: &str, f: &SignInFailures) -> Result<()> {
        let (username, address, f) = (username.to_string(), address.to_string(), *f);
        self.write(move |conn| {
            let n = conn
                .prepare_cached(sql::SET_SIGN_IN_FAILURES)
                .and_then(|mut st| {
                    st.execute(params![
                        username,
                        address,
                        f.failures,
                        f.locks,
                        f.locked_until.map(ts),
                        ts(f.last_failure)
                    ])
                })
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(ref x, _)
                        if x.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        StoreError::UserNotFound { username: username.clone() }
                    }
                    e => backend(e),
                })?;
            debug_assert_eq!(n, 1);
            Ok(())
        })
        .await
    }

    async fn clear_sign_in_failures(&self, username: &str, address: &str) -> Result<()> {
        let (username, address) = (username.to_string(), address.to_string());
        self.write(move |conn| {
            conn.prepare_cached(sql::CLEAR_SIGN_IN_FAILURES)
                .and_then(|mut st| st.execute([&username, &address]))
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn unlock_user(&self, username: &str, actor: &Stamp) -> Result<u64> {
        let (username, actor) = (username.to_string(), actor.clone());
        self.write(move |conn| {
            stored_user(conn, &username)?;
            let locked: i64 = conn
                .prepare_cached(sql::LOCKED_ADDRESSES)
                .and_then(|mut st| st.query_row(params![username, ts(actor.at)], |r| r.get(0)))
                .map_err(backend)?;
            clear_failures(conn, &username)?;
            audit(conn, &actor, &username, "unlock", Some(locked.to_string()), Some("0".into()))?;
            Ok(u64::try_from(locked).unwrap_or(0))
        })
        .await
    }
}

/// Forgets every failed sign-in of a user (and the old per-account columns).
fn clear_failures(conn: &Connection, username: &str) -> Result<()> {
    for text in [sql::CLEAR_USER_FAILURES, sql::CLEAR_LOGIN_STATE] {
        conn.prepare_cached(text).and_then(|mut st| st.execute([username])).map_err(backend)?;
    }
    Ok(())
}
