//! [`ConfirmationStore`] on PostgreSQL: each write one transaction (the grant row locked)
//! with its event appended to the grant chain.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use store::grant_confirmations::{Confirmation, ConfirmationStore, NewConfirmation, sql};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;

use crate::grants::append_event;
use crate::{PgStore, backend, china};

fn row(r: &Row) -> Result<Confirmation> {
    Ok(Confirmation {
        grant: r.try_get(0).map_err(backend)?,
        bank: r.try_get(1).map_err(backend)?,
        account: r.try_get(2).map_err(backend)?,
        by: r.try_get(3).map_err(backend)?,
        at: china(r.try_get(4).map_err(backend)?),
    })
}

async fn of_grant(c: &impl GenericClient, grant: i64) -> Result<Option<Confirmation>> {
    c.query_opt(sql::OF_GRANT, &[&grant]).await.map_err(backend)?.as_ref().map(row).transpose()
}

#[async_trait]
impl ConfirmationStore for PgStore {
    async fn require_confirmation(&self, run: i64, actor: Stamp) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        if tx.execute(sql::REQUIRE, &[&run]).await.map_err(backend)? == 0 {
            return Err(StoreError::GrantRunNotFound { id: run });
        }
        append_event(&tx, &actor, Some(run), None, "confirmation_required", &serde_json::json!({})).await?;
        tx.commit().await.map_err(backend)
    }

    async fn confirmation_required(&self, run: i64) -> Result<bool> {
        let client = self.client().await?;
        let r = client.query_opt(sql::REQUIRED, &[&run]).await.map_err(backend)?;
        r.ok_or(StoreError::GrantRunNotFound { id: run })?.try_get(0).map_err(backend)
    }

    async fn confirm_grant(&self, c: NewConfirmation) -> Result<Confirmation> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let r = tx
            .query_opt(&format!("{} FOR UPDATE", sql::GRANT_STATE), &[&c.grant])
            .await
            .map_err(backend)?
            .ok_or(StoreError::GrantNotFound { id: c.grant })?;
        let (state, run): (String, i64) = (r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?);
        if !matches!(state.as_str(), "pending" | "publicity" | "objected" | "approved") {
            return Err(StoreError::GrantWrongState { grant: c.grant, state });
        }
        if of_grant(&tx, c.grant).await?.is_some() {
            return Err(StoreError::GrantWrongState { grant: c.grant, state: "confirmed".into() });
        }
        tx.execute(sql::INSERT, &[&c.grant, &c.bank, &c.account, &c.actor.username, &china(c.actor.at)])
            .await
            .map_err(backend)?;
        let tail: String = c.account.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let detail = serde_json::json!({"bank": c.bank, "account_tail": tail});
        append_event(&tx, &c.actor, Some(run), Some(c.grant), "confirm", &detail).await?;
        let out = of_grant(&tx, c.grant).await?.ok_or(StoreError::GrantNotFound { id: c.grant })?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn confirmation(&self, grant: i64) -> Result<Option<Confirmation>> {
        let client = self.client().await?;
        of_grant(&client, grant).await
    }

    async fn confirmations_of_run(&self, run: i64) -> Result<Vec<Confirmation>> {
        let client = self.client().await?;
        client.query(sql::OF_RUN, &[&run]).await.map_err(backend)?.iter().map(row).collect()
    }
}
