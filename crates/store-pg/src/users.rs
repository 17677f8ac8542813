//! [`UserStore`] on PostgreSQL: users and their sign-in state. Deactivating a user or
//! changing its password ends its sessions in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use enterprise::UnifiedCreditCode;
use store::sql;
use store::{LoginState, NewUser, Result, StoreError, User, UserStore};
use tokio_postgres::Row;

use crate::enterprises::enterprise_id;
use crate::reference::department_code;
use crate::{PgStore, backend, china, is_unique_violation};

pub(crate) async fn user_role(c: &impl GenericClient, username: &str) -> Result<Option<String>> {
    let row = c.query_opt(sql::USER_ROLE, &[&username]).await.map_err(backend)?;
    row.map(|r| r.try_get(0).map_err(backend)).transpose()
}

pub(crate) fn user_from(r: &Row) -> Result<User> {
    let role: String = r.try_get(2).map_err(backend)?;
    let uscc: Option<String> = r.try_get(4).map_err(backend)?;
    let locked: Option<DateTime<FixedOffset>> = r.try_get(10).map_err(backend)?;
    Ok(User {
        id: r.try_get(0).map_err(backend)?,
        username: r.try_get(1).map_err(backend)?,
        role: store::parse_role(&role)
            .map_err(|_| StoreError::Backend(format!("stored role {role} is unknown")))?,
        password_hash: r.try_get(3).map_err(backend)?,
        enterprise: uscc.map(|c| UnifiedCreditCode::parse(&c)).transpose().map_err(backend)?,
        department: r.try_get(5).map_err(backend)?,
        display_name: r.try_get(6).map_err(backend)?,
        active: r.try_get(7).map_err(backend)?,
        created_at: china(r.try_get(8).map_err(backend)?),
        failed_logins: r.try_get(9).map_err(backend)?,
        locked_until: locked.map(china),
    })
}

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(&self, u: &NewUser) -> Result<User> {
        store::check_new_user(u)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        if user_role(&tx, &u.username).await?.is_some() {
            return Err(StoreError::UsernameTaken { username: u.username.clone() });
        }
        let enterprise_id = match &u.enterprise {
            Some(c) => Some(enterprise_id(&tx, c).await?),
            None => None,
        };
        let department = match &u.department {
            Some(d) => Some(department_code(&tx, d).await?),
            None => None,
        };
        let r = tx
            .query_one(
                sql::INSERT_USER,
                &[
                    &u.username,
                    &u.role.as_str(),
                    &u.password_hash,
                    &enterprise_id,
                    &department,
                    &u.display_name,
                    &u.at,
                ],
            )
            .await;
        match r {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::UsernameTaken { username: u.username.clone() });
            }
            Err(e) => return Err(backend(e)),
        }
        let row = tx.query_one(sql::USER_BY_USERNAME, &[&u.username]).await.map_err(backend)?;
        let user = user_from(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let client = self.client().await?;
        let row = client.query_opt(sql::USER_BY_USERNAME, &[&username]).await.map_err(backend)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let client = self.client().await?;
        client.query(sql::LIST_USERS, &[]).await.map_err(backend)?.iter().map(user_from).collect()
    }

    async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::SET_PASSWORD_HASH, &[&password_hash, &username]).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::UserNotFound { username: username.to_string() });
        }
        tx.execute(store::sessions::sql::DELETE_USER_SESSIONS, &[&username]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn set_login_state(&self, username: &str, state: LoginState) -> Result<()> {
        let client = self.client().await?;
        let n = client
            .execute(sql::SET_LOGIN_STATE, &[&state.failed_logins, &state.locked_until, &username])
            .await
            .map_err(backend)?;
        if n == 0 { Err(StoreError::UserNotFound { username: username.to_string() }) } else { Ok(()) }
    }

    async fn set_user_active(&self, username: &str, active: bool) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::SET_USER_ACTIVE, &[&active, &username]).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::UserNotFound { username: username.to_string() });
        }
        if !active {
            tx.execute(store::sessions::sql::DELETE_USER_SESSIONS, &[&username]).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }
}
