//! A grant run being recorded on the writer connection ([`Recording`]): what
//! `GrantStore::record_grants` (one run) and `record_grant_runs` (a streamed pass of many)
//! share.

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};
use store::Result;
use store::grants::{self, NeedsData, Recorded, fen, sql, yuan};

use super::{ROWS_PER_INSERT, append_event, bind_all, insert_grants, multi_row};
use crate::{backend, ts};

/// One run being recorded on the writer connection: opened (or reopened for a rerun) with
/// its needs-data list emptied, then fed grants and needs-data rows, then closed with its
/// audit event. [`GrantStore::record_grants`] feeds it once; `record_grant_runs` feeds many
/// as a pass sends them, all in one transaction.
pub(super) struct Recording {
    run: i64,
    created: bool,
    new: grants::NewGrantRun,
    at: DateTime<FixedOffset>,
    dictionary: Option<i64>,
    basis_dictionary: Vec<u8>,
    added: u64,
    added_fen: i64,
    needs_data: u64,
}

impl Recording {
    pub(super) fn open(conn: &Connection, new: grants::NewGrantRun) -> Result<Recording> {
        let at = ts(new.actor.at);
        let inserted: Option<i64> = conn
            .query_row(
                sql::INSERT_RUN,
                params![new.item, new.period, new.match_run, new.actor.username, at, new.document_version],
                |row| row.get(0),
            )
            .optional()
            .map_err(backend)?;
        let (run, created) = match inserted {
            Some(id) => (id, true),
            None => {
                let id: i64 = conn
                    .query_row(sql::RUN_BY_KEY, params![new.item, new.period], |row| row.get(0))
                    .map_err(backend)?;
                conn.execute(sql::RERUN, params![new.match_run, new.document_version, id])
                    .map_err(backend)?;
                (id, false)
            }
        };
        conn.execute(sql::DELETE_NEEDS, [run]).map_err(backend)?;
        Ok(Recording {
            run,
            created,
            new,
            at,
            dictionary: None,
            basis_dictionary: Vec::new(),
            added: 0,
            added_fen: 0,
            needs_data: 0,
        })
    }

    /// Adds grants (their bases packed against `basis_dictionary`, given with the first
    /// grants) and needs-data rows.
    pub(super) fn add(
        &mut self,
        conn: &Connection,
        grants: &[grants::NewGrant],
        needs: &[NeedsData],
        dictionary: Option<Vec<u8>>,
    ) -> Result<()> {
        if let Some(d) = dictionary {
            self.basis_dictionary = d;
        }
        let (run, r) = (self.run, &self.new);
        // Multi-row inserts, ROWS_PER_INSERT rows a statement (one cached statement for
        // the full chunks); the rows a concurrent run inserted first are skipped by the
        // unique key and not returned, so only this call's grants are counted, and only
        // theirs get a basis row.
        let mut inserted: Vec<(i64, usize)> = Vec::with_capacity(ROWS_PER_INSERT);
        for chunk in grants.chunks(ROWS_PER_INSERT) {
            let mut st = conn.prepare_cached(&insert_grants(chunk.len())).map_err(backend)?;
            let mut p = 0;
            for g in chunk {
                let f = fen(g.amount)?;
                bind_all(
                    &mut st,
                    &mut p,
                    &[
                        &run,
                        &g.enterprise_id,
                        &g.uscc,
                        &g.name,
                        &r.item,
                        &r.period,
                        &f,
                        &g.basis_hash,
                        &self.at,
                    ],
                )?;
            }
            let at_enterprise: std::collections::HashMap<i64, usize> =
                chunk.iter().enumerate().map(|(k, g)| (g.enterprise_id, k)).collect();
            inserted.clear();
            let mut rows = st.raw_query();
            while let Some(row) = rows.next().map_err(backend)? {
                self.added += 1;
                self.added_fen += row.get::<_, i64>(2).map_err(backend)?;
                let enterprise: i64 = row.get(1).map_err(backend)?;
                if let Some(k) = at_enterprise.get(&enterprise) {
                    inserted.push((row.get(0).map_err(backend)?, *k));
                }
            }
            drop(rows);
            if inserted.is_empty() {
                continue;
            }
            let dictionary = match self.dictionary {
                Some(d) => d,
                None => {
                    let d: i64 = conn
                        .query_row(
                            "INSERT INTO grant_basis_dictionaries (run_id, body) VALUES ($1, $2) RETURNING id",
                            params![run, self.basis_dictionary],
                            |row| row.get(0),
                        )
                        .map_err(backend)?;
                    *self.dictionary.insert(d)
                }
            };
            let q = multi_row(
                "INSERT INTO grant_basis (grant_id, dictionary_id, body) VALUES ",
                "(?, ?, ?)",
                inserted.len(),
                "",
            );
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            let mut p = 0;
            for (id, k) in &inserted {
                bind_all(&mut st, &mut p, &[id, &dictionary, &chunk[*k].basis])?;
            }
            st.raw_execute().map_err(backend)?;
        }
        for chunk in needs.chunks(ROWS_PER_INSERT) {
            let q = multi_row(
                "INSERT INTO grant_needs_data (run_id, enterprise_id, uscc, name, outcome, missing, departments) \
                 VALUES ",
                "(?, ?, ?, ?, ?, ?, ?)",
                chunk.len(),
                "",
            );
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            let mut p = 0;
            for n in chunk {
                let (missing, departments) = (n.missing.join(","), n.departments.join(","));
                bind_all(
                    &mut st,
                    &mut p,
                    &[&run, &n.enterprise_id, &n.uscc, &n.name, &n.outcome, &missing, &departments],
                )?;
            }
            st.raw_execute().map_err(backend)?;
        }
        self.needs_data += needs.len() as u64;
        Ok(())
    }

    /// The run's audit event; what was recorded.
    pub(super) fn close(self, conn: &Connection) -> Result<Recorded> {
        let r = &self.new;
        let detail = serde_json::json!({
            "item": r.item, "period": r.period, "match_run": r.match_run, "created": self.created,
            "added": self.added, "added_amount": yuan(self.added_fen).to_string(), "needs_data": self.needs_data,
            "document_version": r.document_version,
        });
        append_event(conn, &r.actor, Some(self.run), None, "run", &detail)?;
        Ok(Recorded {
            run: self.run,
            created: self.created,
            added: self.added,
            added_amount: yuan(self.added_fen),
            needs_data: self.needs_data,
        })
    }
}
