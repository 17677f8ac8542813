//! [`ScanStore`] on PostgreSQL: a page is one read-only REPEATABLE READ transaction with two
//! range scans in primary-key order (`enterprises` by id, `enterprise_facts` by enterprise
//! id, only the requested facts: what crosses the connection is the cost here); each row's
//! columns are borrowed from the received message and handed to the shared [`PageWriter`].

use async_trait::async_trait;
use chrono::NaiveDate;
use enterprise::FactDictionary;
use store::Result;
use store::scan::{PageWriter, RegistryRow, ScanBounds, ScanPage, ScanRequest, ScanStore, sql};

use crate::{PgStore, backend};

/// [`sql::PAGE_FACTS`] with the requested facts filtered on the server, in no order (the page
/// writer finds each fact's enterprise; sorting a page's 100,000 rows spilled to disk under
/// the default `work_mem` and took longer than reading them).
const PAGE_FACTS: &str = "SELECT enterprise_id, fact, year, value, num FROM enterprise_facts \
    WHERE enterprise_id > $1 AND enterprise_id <= $2 AND fact = ANY($3)";

#[async_trait]
impl ScanStore for PgStore {
    async fn scan_bounds(&self) -> Result<Option<ScanBounds>> {
        let client = self.client().await?;
        let r = client.query_one(sql::BOUNDS, &[]).await.map_err(backend)?;
        let min: Option<i64> = r.try_get(0).map_err(backend)?;
        let max: Option<i64> = r.try_get(1).map_err(backend)?;
        let count: i64 = r.try_get(2).map_err(backend)?;
        Ok(min.zip(max).map(|(min_id, max_id)| ScanBounds {
            min_id,
            max_id,
            count: u64::try_from(count).unwrap_or(0),
        }))
    }

    async fn scan_page(&self, request: &ScanRequest, after: i64, through: i64) -> Result<ScanPage> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(backend)?;
        let enterprises = tx.query(sql::PAGE_ENTERPRISES, &[&after, &through]).await.map_err(backend)?;
        let mut w = PageWriter::new(request, FactDictionary::official());
        for r in &enterprises {
            let established_on: Option<NaiveDate> = r.try_get(6).map_err(backend)?;
            let row = RegistryRow {
                id: r.try_get(0).map_err(backend)?,
                uscc: r.try_get(1).map_err(backend)?,
                name: r.try_get(2).map_err(backend)?,
                registered_in_zone: r.try_get(3).map_err(backend)?,
                tax_registered_in_zone: r.try_get(4).map_err(backend)?,
                industry_code: r.try_get(5).map_err(backend)?,
                established_on: established_on.map(store::codec::days_since_epoch),
                taxpayer_type: r.try_get(7).map_err(backend)?,
                tax_credit_rating: r.try_get(8).map_err(backend)?,
                tags: r.try_get(9).map_err(backend)?,
            };
            w.enterprise(&row);
        }
        drop(enterprises);
        if w.wants_stored_facts() {
            // Only the requested facts cross the connection.
            for r in tx.query(PAGE_FACTS, &[&after, &through, &request.facts]).await.map_err(backend)? {
                w.fact(
                    r.try_get(0).map_err(backend)?,
                    r.try_get(1).map_err(backend)?,
                    r.try_get(2).map_err(backend)?,
                    r.try_get(3).map_err(backend)?,
                    r.try_get(4).map_err(backend)?,
                );
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(w.finish())
    }

    async fn enterprise_names(&self, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT id, uscc, name FROM enterprises WHERE id = ANY($1) ORDER BY id", &[&ids])
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(backend)?,
                    r.try_get(1).map_err(backend)?,
                    r.try_get(2).map_err(backend)?,
                ))
            })
            .collect()
    }
}
