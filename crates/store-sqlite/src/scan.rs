//! [`ScanStore`] on SQLite: a page is one read transaction on the read pool (a blocking
//! thread), two range scans in primary-key order (`enterprises` by id, `enterprise_facts` by
//! enterprise id), each row's columns borrowed from SQLite and handed to the shared
//! [`PageWriter`], so no string is copied except into the page's one text buffer.

use async_trait::async_trait;
use enterprise::FactDictionary;
use rusqlite::params;
use rusqlite::types::ValueRef;
use store::Result;
use store::scan::{PageWriter, RegistryRow, ScanBounds, ScanPage, ScanRequest, ScanStore, days_of_text, sql};

use crate::{SqliteStore, backend};

/// Ids per `IN (…)` list of [`ScanStore::enterprise_names`].
const NAMES_CHUNK: usize = 500;

/// A column's text, or `None` for NULL (anything else is an error).
fn text(v: ValueRef<'_>) -> rusqlite::Result<Option<&str>> {
    match v {
        ValueRef::Null => Ok(None),
        other => other.as_str().map(Some).map_err(rusqlite::Error::from),
    }
}

#[async_trait]
impl ScanStore for SqliteStore {
    async fn scan_bounds(&self) -> Result<Option<ScanBounds>> {
        self.read_statement(|conn| {
            let (min, max, count): (Option<i64>, Option<i64>, i64) = conn
                .query_row(sql::BOUNDS, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(backend)?;
            Ok(min.zip(max).map(|(min_id, max_id)| ScanBounds {
                min_id,
                max_id,
                count: u64::try_from(count).unwrap_or(0),
            }))
        })
        .await
    }

    async fn scan_page(&self, request: &ScanRequest, after: i64, through: i64) -> Result<ScanPage> {
        let request = request.clone();
        self.read(move |conn| {
            let mut w = PageWriter::new(&request, FactDictionary::official());
            let mut st = conn.prepare_cached(sql::PAGE_ENTERPRISES).map_err(backend)?;
            let mut rows = st.query(params![after, through]).map_err(backend)?;
            while let Some(r) = rows.next().map_err(backend)? {
                let established_on = match text(r.get_ref(6).map_err(backend)?).map_err(backend)? {
                    Some(t) => Some(days_of_text(t).ok_or_else(|| backend(format!("stored date {t:?}")))?),
                    None => None,
                };
                let row = RegistryRow {
                    id: r.get(0).map_err(backend)?,
                    uscc: r.get_ref(1).and_then(|v| Ok(v.as_str()?)).map_err(backend)?,
                    name: r.get_ref(2).and_then(|v| Ok(v.as_str()?)).map_err(backend)?,
                    registered_in_zone: r.get(3).map_err(backend)?,
                    tax_registered_in_zone: r.get(4).map_err(backend)?,
                    industry_code: text(r.get_ref(5).map_err(backend)?).map_err(backend)?,
                    established_on,
                    taxpayer_type: text(r.get_ref(7).map_err(backend)?).map_err(backend)?,
                    tax_credit_rating: text(r.get_ref(8).map_err(backend)?).map_err(backend)?,
                    tags: r.get_ref(9).and_then(|v| Ok(v.as_str()?)).map_err(backend)?,
                };
                w.enterprise(&row);
            }
            if w.wants_stored_facts() {
                let mut st = conn.prepare_cached(sql::PAGE_FACTS).map_err(backend)?;
                let mut rows = st.query(params![after, through]).map_err(backend)?;
                while let Some(r) = rows.next().map_err(backend)? {
                    // Only what a wanted row needs is read from it, and texts are checked as
                    // UTF-8 only when kept.
                    let fact = r.get_ref(1).and_then(|v| Ok(v.as_bytes()?)).map_err(backend)?;
                    let Some(want) = w.wanted(fact) else { continue };
                    let id: i64 = r.get(0).map_err(backend)?;
                    let year: i32 = r.get(2).map_err(backend)?;
                    if want.numeric
                        && let Some(n) = r.get::<_, Option<i64>>(4).map_err(backend)?
                    {
                        w.push_num(want, id, year, n);
                        continue;
                    }
                    let value = r.get_ref(3).and_then(|v| Ok(v.as_str()?)).map_err(backend)?;
                    w.push_text(want, id, year, value);
                }
            }
            Ok(w.finish())
        })
        .await
    }

    async fn enterprise_names(&self, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
        let ids = ids.to_vec();
        self.read(move |conn| {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(NAMES_CHUNK) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let q = format!("SELECT id, uscc, name FROM enterprises WHERE id IN ({marks})");
                let mut st = conn.prepare(&q).map_err(backend)?;
                let rows = st
                    .query_map(rusqlite::params_from_iter(chunk), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(backend)?;
                for row in rows {
                    out.push(row.map_err(backend)?);
                }
            }
            out.sort_by_key(|(id, _, _)| *id);
            Ok(out)
        })
        .await
    }
}
