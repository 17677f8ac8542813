//! [`FollowUpStore`] on PostgreSQL: the follow-up rows are rewritten inside the problem's
//! transaction ([`write_follow_ups`]).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use deadpool_postgres::GenericClient;
use store::follow_ups::{
    DeadlineNotice, FollowUp, FollowUpFilter, FollowUpKind, FollowUpStore, notice_of, sql,
};
use store::problems::{PResult, ProblemError};
use tokio_postgres::types::ToSql;

use crate::{PgStore, backend, china};

/// Replaces a problem's follow-up rows (inside its transaction).
pub(crate) async fn write_follow_ups(c: &impl GenericClient, id: i64, rows: &[FollowUp]) -> PResult<()> {
    c.execute(sql::DELETE_OF, &[&id]).await.map_err(backend)?;
    for f in rows {
        let due = f.due.format("%Y-%m-%d").to_string();
        c.execute(
            sql::INSERT,
            &[
                &f.problem_id,
                &f.kind.as_str(),
                &i64::from(f.no),
                &f.owner,
                &f.text,
                &f.opened_at,
                &due,
                &f.yellow_at,
                &f.red_at,
                &f.done_at,
            ],
        )
        .await
        .map_err(backend)?;
    }
    Ok(())
}

fn follow_up(r: &tokio_postgres::Row) -> PResult<FollowUp> {
    let kind: String = r.try_get(1).map_err(backend)?;
    let due: String = r.try_get(6).map_err(backend)?;
    let no: i64 = r.try_get(2).map_err(backend)?;
    Ok(FollowUp {
        problem_id: r.try_get(0).map_err(backend)?,
        kind: FollowUpKind::parse(&kind)
            .ok_or_else(|| ProblemError::backend(format!("follow-up kind {kind}")))?,
        no: u32::try_from(no).map_err(ProblemError::backend)?,
        owner: r.try_get(3).map_err(backend)?,
        text: r.try_get(4).map_err(backend)?,
        opened_at: china(r.try_get::<_, DateTime<FixedOffset>>(5).map_err(backend)?),
        due: NaiveDate::parse_from_str(&due, "%Y-%m-%d").map_err(ProblemError::backend)?,
        yellow_at: china(r.try_get::<_, DateTime<FixedOffset>>(7).map_err(backend)?),
        red_at: china(r.try_get::<_, DateTime<FixedOffset>>(8).map_err(backend)?),
        done_at: r.try_get::<_, Option<DateTime<FixedOffset>>>(9).map_err(backend)?.map(china),
    })
}

#[async_trait]
impl FollowUpStore for PgStore {
    async fn follow_ups(&self, filter: &FollowUpFilter) -> PResult<Vec<FollowUp>> {
        let (q, vals) = filter.query();
        let client = self.client().await?;
        let refs: Vec<&(dyn ToSql + Sync)> = vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let rows = client.query(&q, &refs).await.map_err(backend)?;
        rows.iter().map(follow_up).collect()
    }

    async fn deadline_notices(&self, department: Option<&str>, limit: u32) -> PResult<Vec<DeadlineNotice>> {
        let client = self.client().await?;
        let limit = i64::from(limit);
        let rows = match department {
            Some(d) => client.query(sql::NOTICES_OF, &[&d, &limit]).await,
            None => client.query(sql::NOTICES_ALL, &[&limit]).await,
        }
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get(0).map_err(backend)?;
                let at: DateTime<FixedOffset> = r.try_get(1).map_err(backend)?;
                let lead: String = r.try_get(2).map_err(backend)?;
                let payload: String = r.try_get(3).map_err(backend)?;
                notice_of(id, china(at), lead, &payload)
            })
            .collect()
    }
}
