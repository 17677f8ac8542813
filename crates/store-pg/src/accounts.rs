//! [`AccountStore`] on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::GenericClient;
use enterprise::FieldChange;
use store::accounts::{
    AccountStore, SignInFailures, UserChange, UserFilter, UserListing, check_change, search_pattern, sql,
    ties,
};
use store::{Page, Result, Stamp, StoreError, User};

use crate::enterprises::enterprise_id;
use crate::reference::{department_code, insert_reference_change};
use crate::users::user_from;
use crate::{PgStore, backend, china};

async fn stored_user(c: &impl GenericClient, username: &str) -> Result<User> {
    let row = c.query_opt(store::sql::USER_BY_USERNAME, &[&username]).await.map_err(backend)?;
    user_from(&row.ok_or_else(|| StoreError::UserNotFound { username: username.to_string() })?)
}

async fn audit(
    c: &impl GenericClient,
    actor: &Stamp,
    username: &str,
    field: &str,
    old: Option<String>,
    new: Option<String>,
) -> Result<()> {
    if old == new && field != "password" {
        return Ok(());
    }
    insert_reference_change(c, actor, "user", username, &FieldChange { field: field.into(), old, new }).await
}

async fn clear_failures(c: &impl GenericClient, username: &str) -> Result<()> {
    for text in [sql::CLEAR_USER_FAILURES, sql::CLEAR_LOGIN_STATE] {
        c.execute(text, &[&username]).await.map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl AccountStore for PgStore {
    async fn users_page(&self, filter: &UserFilter, page: Page) -> Result<(Vec<UserListing>, u64)> {
        let pattern = search_pattern(filter.search.as_deref());
        let role = filter.role.map(|r| r.as_str().to_string());
        let page = Page::new(page.offset, page.limit);
        let (limit, offset) = (crate::clamp(page.limit), crate::clamp(page.offset));
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let total: i64 = tx
            .query_one(sql::USERS_COUNT, &[&pattern, &role, &filter.active])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        let mut out = Vec::new();
        for r in tx
            .query(sql::USERS_PAGE, &[&pattern, &role, &filter.active, &limit, &offset])
            .await
            .map_err(backend)?
        {
            let mut user = user_from(&r)?;
            user.locked_until = None;
            let locked_until: Option<DateTime<FixedOffset>> = r.try_get(10).map_err(backend)?;
            out.push(UserListing { user, locked_until: locked_until.map(china) });
        }
        tx.commit().await.map_err(backend)?;
        Ok((out, u64::try_from(total).unwrap_or(0)))
    }

    async fn change_user(&self, username: &str, change: &UserChange, actor: &Stamp) -> Result<User> {
        check_change(username, change)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let old = stored_user(&tx, username).await?;
        let new = match change {
            UserChange::Role { role, enterprise, department } => {
                let (enterprise, department) = ties(*role, enterprise.as_ref(), department.as_deref());
                let enterprise_id = match enterprise {
                    Some(c) => Some(enterprise_id(&tx, c).await?),
                    None => None,
                };
                let department = match department {
                    Some(d) => Some(department_code(&tx, d).await?),
                    None => None,
                };
                tx.execute(sql::SET_ROLE, &[&role.as_str(), &enterprise_id, &department, &username])
                    .await
                    .map_err(backend)?;
                tx.execute(store::sessions::sql::DELETE_USER_SESSIONS, &[&username])
                    .await
                    .map_err(backend)?;
                let new = stored_user(&tx, username).await?;
                audit(
                    &tx,
                    actor,
                    username,
                    "role",
                    Some(old.role.as_str().into()),
                    Some(new.role.as_str().into()),
                )
                .await?;
                audit(
                    &tx,
                    actor,
                    username,
                    "enterprise",
                    old.enterprise.map(|e| e.to_string()),
                    new.enterprise.as_ref().map(|e| e.to_string()),
                )
                .await?;
                audit(&tx, actor, username, "department", old.department, new.department.clone()).await?;
                new
            }
            UserChange::Active(active) => {
                tx.execute(store::sql::SET_USER_ACTIVE, &[active, &username]).await.map_err(backend)?;
                if !active {
                    tx.execute(store::sessions::sql::DELETE_USER_SESSIONS, &[&username])
                        .await
                        .map_err(backend)?;
                }
                audit(&tx, actor, username, "active", Some(old.active.to_string()), Some(active.to_string()))
                    .await?;
                stored_user(&tx, username).await?
            }
            UserChange::PasswordHash(hash) => {
                tx.execute(store::sql::SET_PASSWORD_HASH, &[hash, &username]).await.map_err(backend)?;
                tx.execute(store::sessions::sql::DELETE_USER_SESSIONS, &[&username])
                    .await
                    .map_err(backend)?;
                clear_failures(&tx, username).await?;
                audit(&tx, actor, username, "password", None, None).await?;
                stored_user(&tx, username).await?
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(new)
    }

    async fn user_link_count(&self, username: &str) -> Result<u64> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one(sql::LINK_COUNT, &[&username])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn sign_in_failures(&self, username: &str, address: &str) -> Result<Option<SignInFailures>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql::SIGN_IN_FAILURES).await.map_err(backend)?;
        let Some(r) = client.query_opt(&st, &[&username, &address]).await.map_err(backend)? else {
            return Ok(None);
        };
        let locked_until: Option<DateTime<FixedOffset>> = r.try_get(2).map_err(backend)?;
        let last_failure: DateTime<FixedOffset> = r.try_get(3).map_err(backend)?;
        Ok(Some(SignInFailures {
            failures: r.try_get(0).map_err(backend)?,
            locks: r.try_get(1).map_err(backend)?,
            locked_until: locked_until.map(china),
            last_failure: china(last_failure),
        }))
    }

    async fn set_sign_in_failures(&self, username: &str, address: &str, f: &SignInFailures) -> Result<()> {
        let client = self.client().await?;
        let r = client
            .execute(
                sql::SET_SIGN_IN_FAILURES,
                &[&username, &address, &f.failures, &f.locks, &f.locked_until, &f.last_failure],
            )
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(StoreError::UserNotFound { username: username.to_string() })
            }
            Err(e) => Err(backend(e)),
        }
    }

    async fn clear_sign_in_failures(&self, username: &str, address: &str) -> Result<()> {
        let client = self.client().await?;
        client.execute(sql::CLEAR_SIGN_IN_FAILURES, &[&username, &address]).await.map_err(backend)?;
        Ok(())
    }

    async fn unlock_user(&self, username: &str, actor: &Stamp) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        stored_user(&tx, username).await?;
        let locked: i64 = tx
            .query_one(sql::LOCKED_ADDRESSES, &[&username, &actor.at])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        clear_failures(&tx, username).await?;
        audit(&tx, actor, username, "unlock", Some(locked.to_string()), Some("0".into())).await?;
        tx.commit().await.map_err(backend)?;
        Ok(u64::try_from(locked).unwrap_or(0))
    }
}
