//! [`UserStore`] on SQLite: users and their sign-in state. Deactivating a user or changing
//! its password ends its sessions in the same transaction.

use async_trait::async_trait;
use enterprise::UnifiedCreditCode;
use rusqlite::{Connection, OptionalExtension, Row, params};
use store::sql;
use store::{LoginState, NewUser, Result, Role, StoreError, User, UserStore};

use crate::enterprises::enterprise_id;
use crate::reference::department_code;
use crate::{SqliteStore, backend, sessions, ts};

pub(crate) fn user_row(r: &Row<'_>) -> rusqlite::Result<(User, String, Option<String>)> {
    let role: String = r.get(2)?;
    let uscc: Option<String> = r.get(4)?;
    Ok((
        User {
            id: r.get(0)?,
            username: r.get(1)?,
            role: Role::Admin,
            password_hash: r.get(3)?,
            enterprise: None,
            department: r.get(5)?,
            display_name: r.get(6)?,
            active: r.get(7)?,
            created_at: r.get(8)?,
            failed_logins: r.get(9)?,
            locked_until: r.get(10)?,
        },
        role,
        uscc,
    ))
}

pub(crate) fn finish_user((mut u, role, uscc): (User, String, Option<String>)) -> Result<User> {
    u.role = store::parse_role(&role)
        .map_err(|_| StoreError::Backend(format!("stored role {role} is unknown")))?;
    u.enterprise = match uscc {
        Some(c) => Some(UnifiedCreditCode::parse(&c).map_err(backend)?),
        None => None,
    };
    Ok(u)
}

pub(crate) fn user_role(conn: &Connection, username: &str) -> Result<Option<String>> {
    let mut st = conn.prepare_cached(sql::USER_ROLE).map_err(backend)?;
    st.query_row([username], |r| r.get(0)).optional().map_err(backend)
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, u: &NewUser) -> Result<User> {
        store::check_new_user(u)?;
        let u = u.clone();
        self.write(move |conn| {
            if user_role(conn, &u.username)?.is_some() {
                return Err(StoreError::UsernameTaken { username: u.username.clone() });
            }
            let enterprise_id = match &u.enterprise {
                Some(c) => Some(enterprise_id(conn, c)?),
                None => None,
            };
            let department = match &u.department {
                Some(d) => Some(department_code(conn, d)?),
                None => None,
            };
            conn.prepare_cached(sql::INSERT_USER)
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            u.username,
                            u.role.as_str(),
                            u.password_hash,
                            enterprise_id,
                            department,
                            u.display_name,
                            ts(u.at)
                        ],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .map_err(backend)?;
            let mut st = conn.prepare_cached(sql::USER_BY_USERNAME).map_err(backend)?;
            finish_user(st.query_row([&u.username], user_row).map_err(backend)?)
        })
        .await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let username = username.to_string();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::USER_BY_USERNAME).map_err(backend)?;
            st.query_row([&username], user_row).optional().map_err(backend)?.map(finish_user).transpose()
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(sql::LIST_USERS).map_err(backend)?;
            let rows = st.query_map([], user_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(finish_user)).collect()
        })
        .await
    }

    async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<()> {
        let (username, password_hash) = (username.to_string(), password_hash.to_string());
        self.write(move |conn| {
            let n =
                conn.execute(sql::SET_PASSWORD_HASH, params![password_hash, username]).map_err(backend)?;
            if n == 0 {
                return Err(StoreError::UserNotFound { username });
            }
            sessions::delete_user_sessions(conn, &username)?;
            Ok(())
        })
        .await
    }

    async fn set_login_state(&self, username: &str, state: LoginState) -> Result<()> {
        let username = username.to_string();
        self.write(move |conn| {
            let n = conn
                .execute(
                    sql::SET_LOGIN_STATE,
                    params![state.failed_logins, state.locked_until.map(ts), username],
                )
                .map_err(backend)?;
            if n == 0 { Err(StoreError::UserNotFound { username }) } else { Ok(()) }
        })
        .await
    }

    async fn set_user_active(&self, username: &str, active: bool) -> Result<()> {
        let username = username.to_string();
        self.write(move |conn| {
            let n = conn.execute(sql::SET_USER_ACTIVE, params![active, username]).map_err(backend)?;
            if n == 0 {
                return Err(StoreError::UserNotFound { username });
            }
            if !active {
                sessions::delete_user_sessions(conn, &username)?;
            }
            Ok(())
        })
        .await
    }
}
