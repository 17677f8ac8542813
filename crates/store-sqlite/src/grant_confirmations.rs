//! [`ConfirmationStore`] on SQLite: each write one job of the writer with its event appended
//! to the grant chain.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use store::grant_confirmations::{Confirmation, ConfirmationStore, NewConfirmation, sql};
use store::{Result, Stamp, StoreError};

use crate::grants::append_event;
use crate::{SqliteStore, backend, ts};

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Confirmation> {
    Ok(Confirmation {
        grant: r.get(0)?,
        bank: r.get(1)?,
        account: r.get(2)?,
        by: r.get(3)?,
        at: ts(r.get(4)?),
    })
}

fn of_grant(conn: &Connection, grant: i64) -> Result<Option<Confirmation>> {
    conn.query_row(sql::OF_GRANT, [grant], row).optional().map_err(backend)
}

#[async_trait]
impl ConfirmationStore for SqliteStore {
    async fn require_confirmation(&self, run: i64, actor: Stamp) -> Result<()> {
        self.write(move |conn| {
            if conn.execute(sql::REQUIRE, [run]).map_err(backend)? == 0 {
                return Err(StoreError::GrantRunNotFound { id: run });
            }
            append_event(conn, &actor, Some(run), None, "confirmation_required", &serde_json::json!({}))
        })
        .await
    }

    async fn confirmation_required(&self, run: i64) -> Result<bool> {
        self.read(move |conn| {
            conn.query_row(sql::REQUIRED, [run], |r| r.get::<_, bool>(0))
                .optional()
                .map_err(backend)?
                .ok_or(StoreError::GrantRunNotFound { id: run })
        })
        .await
    }

    async fn confirm_grant(&self, c: NewConfirmation) -> Result<Confirmation> {
        self.write(move |conn| {
            let (state, run): (String, i64) = conn
                .query_row(sql::GRANT_STATE, [c.grant], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(backend)?
                .ok_or(StoreError::GrantNotFound { id: c.grant })?;
            if !matches!(state.as_str(), "pending" | "publicity" | "objected" | "approved") {
                return Err(StoreError::GrantWrongState { grant: c.grant, state });
            }
            if of_grant(conn, c.grant)?.is_some() {
                return Err(StoreError::GrantWrongState { grant: c.grant, state: "confirmed".into() });
            }
            conn.execute(sql::INSERT, params![c.grant, c.bank, c.account, c.actor.username, ts(c.actor.at)])
                .map_err(backend)?;
            // The chain holds the account's last four digits only (the audit trail is read by
            // officials who need not see whole accounts).
            let tail: String =
                c.account.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            let detail = serde_json::json!({"bank": c.bank, "account_tail": tail});
            append_event(conn, &c.actor, Some(run), Some(c.grant), "confirm", &detail)?;
            of_grant(conn, c.grant)?.ok_or(StoreError::GrantNotFound { id: c.grant })
        })
        .await
    }

    async fn confirmation(&self, grant: i64) -> Result<Option<Confirmation>> {
        self.read(move |conn| of_grant(conn, grant)).await
    }

    async fn confirmations_of_run(&self, run: i64) -> Result<Vec<Confirmation>> {
        self.read(move |conn| {
            conn.prepare_cached(sql::OF_RUN)
                .and_then(|mut st| st.query_map([run], row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)
        })
        .await
    }
}
