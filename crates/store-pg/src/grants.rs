//! [`GrantStore`] on PostgreSQL: every write one transaction with its event appended to the
//! grant chain (the head row locked `FOR UPDATE`, so concurrent writers append in turn).
//! Grants are inserted in chunks of [`grants::BATCH`] through `UNNEST` arrays (their packed
//! bases beside them in `grant_basis`, [`store::grants::packed`], 0032) with
//! `ON CONFLICT (enterprise_id, item, period) DO NOTHING`: under concurrent runs of one item
//! and period the second insert waits for the first to commit and then skips its rows, so
//! no second grant can appear. The schema's refusals (triggers, CHECK, primary keys) come
//! back as database errors and are turned into their [`StoreError`] variants here.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound};
use deadpool_postgres::GenericClient;
use store::grants::{
    self, Approved, BudgetDecision, Grant, GrantChainReport, GrantDetail, GrantEvent, GrantRun, GrantStore,
    HandleObjection, ImportedResults, IssuedLine, NeedsData, NewPaymentFile, NewResultBatch, Objection,
    PaymentFile, RecordGrants, Recorded, ResultRow, RunsMessage, StateCount, fen, sql, yuan,
};
use store::{Result, Stamp, StoreError};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use crate::{PgStore, backend, china};

const INSERT_GRANTS: &str = "INSERT INTO grants (run_id, enterprise_id, uscc, name, item, period, amount_fen, \
    state, basis, basis_hash, created_at) SELECT $1, e, u, n, $2, $3, a, 'pending', '', h, $4 \
    FROM UNNEST($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::text[]) AS t(e, u, n, a, h) \
    ON CONFLICT (enterprise_id, item, period) DO NOTHING RETURNING id, enterprise_id, amount_fen";

/// The packed bases of the grants just inserted (0032, [`store::grants::packed`]).
const INSERT_BASES: &str = "INSERT INTO grant_basis (grant_id, dictionary_id, body) \
    SELECT g, $1, b FROM UNNEST($2::bigint[], $3::bytea[]) AS t(g, b)";

const INSERT_DICTIONARY: &str =
    "INSERT INTO grant_basis_dictionaries (run_id, body) VALUES ($1, $2) RETURNING id";

/// The needs-data list in chunks.
const INSERT_NEEDS: &str = "INSERT INTO grant_needs_data (run_id, enterprise_id, uscc, name, outcome, missing, \
    departments) SELECT $1, e, u, n, o, m, d \
    FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(e, u, n, o, m, d)";

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

/// Appends one event to the grant chain (inside a transaction).
pub(crate) async fn append_event(
    tx: &impl GenericClient,
    actor: &Stamp,
    run: Option<i64>,
    grant: Option<i64>,
    action: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    let head = tx
        .query_one("SELECT seq, hash FROM grant_chain_head WHERE id = 1 FOR UPDATE", &[])
        .await
        .map_err(backend)?;
    let (seq, prev): (i64, String) = (get(&head, 0)?, get(&head, 1)?);
    let seq = seq + 1;
    let at = china(actor.at).trunc_subsecs(6);
    let detail = ::grants::basis::canonical(detail);
    let text = GrantEvent::canonical_json(seq, at, &actor.username, run, grant, action, &detail);
    let hash = store::problems::chain_hash(&prev, &text);
    tx.execute(
        sql::INSERT_EVENT,
        &[&seq, &at, &actor.username, &run, &grant, &action, &detail, &prev, &hash],
    )
    .await
    .map_err(backend)?;
    tx.execute(sql::SET_CHAIN_HEAD, &[&seq, &hash]).await.map_err(backend)?;
    Ok(())
}

async fn read_run(c: &impl GenericClient, id: i64) -> Result<Option<GrantRun>> {
    let q = format!("SELECT {} FROM grant_runs WHERE id = $1", sql::RUN_COLUMNS);
    let Some(r) = c.query_opt(&q, &[&id]).await.map_err(backend)? else {
        return Ok(None);
    };
    let states = c
        .query(sql::STATE_COUNTS, &[&id])
        .await
        .map_err(backend)?
        .iter()
        .map(|s| Ok(StateCount { state: get(s, 0)?, grants: count(get(s, 1)?), amount: yuan(get(s, 2)?) }))
        .collect::<Result<Vec<_>>>()?;
    let needs: i64 = get(&c.query_one(sql::NEEDS_COUNT, &[&id]).await.map_err(backend)?, 0)?;
    let approvals = c
        .query(sql::APPROVERS, &[&id])
        .await
        .map_err(backend)?
        .iter()
        .map(|a| get::<String>(a, 0))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(GrantRun {
        id: get(&r, 0)?,
        item: get(&r, 1)?,
        period: get(&r, 2)?,
        match_run: get(&r, 3)?,
        preparer: get(&r, 4)?,
        created_at: china(get(&r, 5)?),
        document_version: get(&r, 6)?,
        publicity_from: get(&r, 7)?,
        publicity_until: get(&r, 8)?,
        budget: get::<Option<i64>>(&r, 9)?.map(yuan),
        allocation_rule: get(&r, 10)?,
        budget_by: get(&r, 11)?,
        round: get(&r, 12)?,
        states,
        needs_data: count(needs),
        approvals,
    }))
}

fn grant_row(r: &Row) -> Result<Grant> {
    Ok(Grant {
        id: get(r, 0)?,
        run_id: get(r, 1)?,
        enterprise_id: get(r, 2)?,
        uscc: get(r, 3)?,
        name: get(r, 4)?,
        item: get(r, 5)?,
        period: get(r, 6)?,
        amount: yuan(get(r, 7)?),
        state: get(r, 8)?,
        basis_hash: get(r, 9)?,
        created_at: china(get(r, 10)?),
        paid_date: get(r, 11)?,
        voucher: get(r, 12)?,
    })
}

fn objection_row(r: &Row) -> Result<Objection> {
    Ok(Objection {
        id: get(r, 0)?,
        grant_id: get(r, 1)?,
        by: get(r, 2)?,
        by_role: get(r, 3)?,
        reason: get(r, 4)?,
        at: china(get(r, 5)?),
        handled_by: get(r, 6)?,
        outcome: get(r, 7)?,
        handling_reason: get(r, 8)?,
        handled_at: get::<Option<DateTime<FixedOffset>>>(r, 9)?.map(china),
        new_amount: get::<Option<i64>>(r, 10)?.map(yuan),
    })
}

fn file_row(r: &Row) -> Result<PaymentFile> {
    Ok(PaymentFile {
        id: get(r, 0)?,
        run_id: get(r, 1)?,
        kind: get(r, 2)?,
        format: get(r, 3)?,
        issuer: get(r, 4)?,
        at: china(get(r, 5)?),
        lines: count(get(r, 6)?),
        control_sum: yuan(get(r, 7)?),
        voided: get(r, 8)?,
        voided_by: get(r, 9)?,
        void_reason: get(r, 10)?,
    })
}

fn result_row(r: &Row) -> Result<ResultRow> {
    Ok(ResultRow {
        grant: get(r, 0)?,
        date: get(r, 1)?,
        voucher: get(r, 2)?,
        amount: yuan(get(r, 3)?),
        ok: get(r, 4)?,
        reason: get(r, 5)?,
        batch: get(r, 6)?,
    })
}

fn event_row(r: &Row) -> Result<GrantEvent> {
    Ok(GrantEvent {
        seq: get(r, 0)?,
        at: china(get(r, 1)?),
        actor: get(r, 2)?,
        run_id: get(r, 3)?,
        grant_id: get(r, 4)?,
        action: get(r, 5)?,
        detail: get(r, 6)?,
        prev_hash: get(r, 7)?,
        hash: get(r, 8)?,
    })
}

async fn grant_state(c: &impl GenericClient, grant: i64) -> Result<(String, i64, i64)> {
    let r = c.query_opt(sql::GRANT_STATE, &[&grant]).await.map_err(backend)?;
    let r = r.ok_or(StoreError::GrantNotFound { id: grant })?;
    Ok((get(&r, 0)?, get(&r, 1)?, get(&r, 2)?))
}

async fn file_by_id(c: &impl GenericClient, id: &str) -> Result<Option<PaymentFile>> {
    let q = format!("SELECT {} FROM grant_payment_files WHERE id = $1", sql::FILE_COLUMNS);
    c.query_opt(&q, &[&id]).await.map_err(backend)?.as_ref().map(file_row).transpose()
}

/// What the schema's refusals mean.
fn refusal(e: tokio_postgres::Error, run: i64, username: &str, table: &str) -> StoreError {
    let text = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
    let code = e.code();
    if text.contains("huiqi:approver_is_preparer")
        || (table == "approvals" && code == Some(&SqlState::CHECK_VIOLATION))
    {
        StoreError::ApproverIsPreparer { run, username: username.to_string() }
    } else if text.contains("huiqi:issuer_not_independent") {
        StoreError::IssuerNotIndependent { run, username: username.to_string() }
    } else if table == "approvals" && code == Some(&SqlState::UNIQUE_VIOLATION) {
        StoreError::ApprovedTwice { run, username: username.to_string() }
    } else {
        backend(e)
    }
}

/// One run being recorded in an open transaction: opened (or reopened for a rerun) with its
/// needs-data list emptied, fed grants and needs-data rows, closed with its audit event.
/// `record_grants` feeds it once; `record_grant_runs` feeds many as a pass sends them, all
/// in one transaction.
struct Recording {
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
    async fn open(tx: &impl GenericClient, new: grants::NewGrantRun) -> Result<Recording> {
        let at = china(new.actor.at);
        let inserted = tx
            .query_opt(
                sql::INSERT_RUN,
                &[&new.item, &new.period, &new.match_run, &new.actor.username, &at, &new.document_version],
            )
            .await
            .map_err(backend)?;
        let (run, created) = match inserted {
            Some(row) => (get::<i64>(&row, 0)?, true),
            None => {
                let row = tx.query_one(sql::RUN_BY_KEY, &[&new.item, &new.period]).await.map_err(backend)?;
                let id: i64 = get(&row, 0)?;
                tx.execute(sql::RERUN, &[&new.match_run, &new.document_version, &id])
                    .await
                    .map_err(backend)?;
                (id, false)
            }
        };
        tx.execute(sql::DELETE_NEEDS, &[&run]).await.map_err(backend)?;
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
    /// grants) and needs-data rows, `grants::BATCH` rows a statement (`UNNEST`).
    async fn add(
        &mut self,
        tx: &impl GenericClient,
        grants: &[grants::NewGrant],
        needs: &[NeedsData],
        dictionary: Option<Vec<u8>>,
    ) -> Result<()> {
        if let Some(d) = dictionary {
            self.basis_dictionary = d;
        }
        let (run, r, at) = (self.run, &self.new, self.at);
        let st = tx.prepare(INSERT_GRANTS).await.map_err(backend)?;
        for chunk in grants.chunks(grants::BATCH) {
            let e: Vec<i64> = chunk.iter().map(|g| g.enterprise_id).collect();
            let u: Vec<&str> = chunk.iter().map(|g| g.uscc.as_str()).collect();
            let n: Vec<&str> = chunk.iter().map(|g| g.name.as_str()).collect();
            let a: Vec<i64> = chunk.iter().map(|g| fen(g.amount)).collect::<Result<_>>()?;
            let h: Vec<&str> = chunk.iter().map(|g| g.basis_hash.as_str()).collect();
            let rows =
                tx.query(&st, &[&run, &r.item, &r.period, &at, &e, &u, &n, &a, &h]).await.map_err(backend)?;
            let at_enterprise: std::collections::HashMap<i64, usize> =
                chunk.iter().enumerate().map(|(k, g)| (g.enterprise_id, k)).collect();
            let (mut ids, mut bodies): (Vec<i64>, Vec<&[u8]>) = (Vec::new(), Vec::new());
            for row in rows {
                self.added += 1;
                self.added_fen += get::<i64>(&row, 2)?;
                if let Some(k) = at_enterprise.get(&get::<i64>(&row, 1)?) {
                    ids.push(get(&row, 0)?);
                    bodies.push(chunk[*k].basis.as_slice());
                }
            }
            if ids.is_empty() {
                continue;
            }
            let d = match self.dictionary {
                Some(d) => d,
                None => {
                    let row = tx
                        .query_one(INSERT_DICTIONARY, &[&run, &self.basis_dictionary])
                        .await
                        .map_err(backend)?;
                    *self.dictionary.insert(get(&row, 0)?)
                }
            };
            tx.execute(INSERT_BASES, &[&d, &ids, &bodies]).await.map_err(backend)?;
        }
        for chunk in needs.chunks(grants::BATCH) {
            let e: Vec<i64> = chunk.iter().map(|n| n.enterprise_id).collect();
            let u: Vec<&str> = chunk.iter().map(|n| n.uscc.as_str()).collect();
            let n: Vec<&str> = chunk.iter().map(|n| n.name.as_str()).collect();
            let o: Vec<&str> = chunk.iter().map(|n| n.outcome.as_str()).collect();
            let m: Vec<String> = chunk.iter().map(|n| n.missing.join(",")).collect();
            let d: Vec<String> = chunk.iter().map(|n| n.departments.join(",")).collect();
            tx.execute(INSERT_NEEDS, &[&run, &e, &u, &n, &o, &m, &d]).await.map_err(backend)?;
        }
        self.needs_data += needs.len() as u64;
        Ok(())
    }

    /// The run's audit event; what was recorded.
    async fn close(self, tx: &impl GenericClient) -> Result<Recorded> {
        let r = &self.new;
        let detail = serde_json::json!({
            "item": r.item, "period": r.period, "match_run": r.match_run, "created": self.created,
            "added": self.added, "added_amount": yuan(self.added_fen).to_string(), "needs_data": self.needs_data,
            "document_version": r.document_version,
        });
        append_event(tx, &r.actor, Some(self.run), None, "run", &detail).await?;
        Ok(Recorded {
            run: self.run,
            created: self.created,
            added: self.added,
            added_amount: yuan(self.added_fen),
            needs_data: self.needs_data,
        })
    }
}

#[async_trait]
impl GrantStore for PgStore {
    async fn record_grants(&self, req: RecordGrants) -> Result<Recorded> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let mut rec = Recording::open(&tx, req.run).await?;
        rec.add(&tx, &req.grants, &req.needs_data, Some(req.basis_dictionary)).await?;
        let recorded = rec.close(&tx).await?;
        tx.commit().await.map_err(backend)?;
        Ok(recorded)
    }

    /// All the runs in one transaction, each batch written as it comes while the caller
    /// judges the next enterprises; a channel that closes before `Done` rolls it back.
    async fn record_grant_runs(
        &self,
        runs: Vec<grants::NewGrantRun>,
        mut batches: tokio::sync::mpsc::Receiver<RunsMessage>,
    ) -> Result<Vec<Recorded>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let mut recs = Vec::with_capacity(runs.len());
        for r in runs {
            recs.push(Recording::open(&tx, r).await?);
        }
        loop {
            match batches.recv().await {
                Some(RunsMessage::Batch(parts)) => {
                    for (rec, part) in recs.iter_mut().zip(parts) {
                        rec.add(&tx, &part.grants, &part.needs_data, part.basis_dictionary).await?;
                    }
                }
                Some(RunsMessage::Done) => break,
                None => {
                    return Err(StoreError::Backend("grant runs: the pass stopped before its end".into()));
                }
            }
        }
        let mut out = Vec::with_capacity(recs.len());
        for rec in recs {
            out.push(rec.close(&tx).await?);
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn grant_run(&self, id: i64) -> Result<Option<GrantRun>> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        read_run(&tx, id).await
    }

    async fn grant_run_by_key(&self, item: &str, period: &str) -> Result<Option<i64>> {
        let client = self.client().await?;
        let r = client.query_opt(sql::RUN_BY_KEY, &[&item, &period]).await.map_err(backend)?;
        r.as_ref().map(|r| get(r, 0)).transpose()
    }

    async fn grant_runs(&self, limit: u64) -> Result<Vec<GrantRun>> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let ids = tx
            .query("SELECT id FROM grant_runs ORDER BY id DESC LIMIT $1", &[&limit])
            .await
            .map_err(backend)?;
        let mut out = Vec::new();
        for r in ids {
            if let Some(run) = read_run(&tx, get(&r, 0)?).await? {
                out.push(run);
            }
        }
        Ok(out)
    }

    async fn granted_enterprises(&self, item: &str, period: &str) -> Result<Vec<i64>> {
        let client = self.client().await?;
        client
            .query(sql::GRANTED, &[&item, &period])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| get(r, 0))
            .collect()
    }

    async fn grants_of_run(&self, run: i64, after: i64, limit: u64) -> Result<Vec<Grant>> {
        let client = self.client().await?;
        let q = format!(
            "SELECT {} FROM grants WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            sql::GRANT_COLUMNS
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client.query(&q, &[&run, &after, &limit]).await.map_err(backend)?.iter().map(grant_row).collect()
    }

    async fn grant(&self, id: i64) -> Result<Option<GrantDetail>> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let q = format!("SELECT {}, basis FROM grants WHERE id = $1", sql::GRANT_COLUMNS);
        let Some(r) = tx.query_opt(&q, &[&id]).await.map_err(backend)? else {
            return Ok(None);
        };
        let grant = grant_row(&r)?;
        let packed = tx
            .query_opt(
                "SELECT d.body, b.body FROM grant_basis b JOIN grant_basis_dictionaries d ON d.id = b.dictionary_id \
                 WHERE b.grant_id = $1",
                &[&id],
            )
            .await
            .map_err(backend)?;
        // Packed since 0032; the text in the grants row before.
        let basis: String = match packed {
            Some(p) => grants::packed::unpack(&get::<Vec<u8>>(&p, 0)?, &get::<Vec<u8>>(&p, 1)?)?,
            None => get(&r, 13)?,
        };
        let q = format!(
            "SELECT {} FROM grant_objections o WHERE o.grant_id = $1 ORDER BY o.id",
            sql::OBJECTION_COLUMNS
        );
        let objections = tx
            .query(&q, &[&id])
            .await
            .map_err(backend)?
            .iter()
            .map(objection_row)
            .collect::<Result<Vec<_>>>()?;
        let results = tx
            .query(sql::RESULTS_OF_GRANT, &[&id])
            .await
            .map_err(backend)?
            .iter()
            .map(result_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(GrantDetail { grant, basis, objections, results }))
    }

    async fn grants_of_enterprise(&self, enterprise_id: i64) -> Result<Vec<Grant>> {
        let client = self.client().await?;
        let q =
            format!("SELECT {} FROM grants WHERE enterprise_id = $1 ORDER BY id DESC", sql::GRANT_COLUMNS);
        client.query(&q, &[&enterprise_id]).await.map_err(backend)?.iter().map(grant_row).collect()
    }

    async fn needs_data(&self, run: i64) -> Result<Vec<NeedsData>> {
        let client = self.client().await?;
        let split = |s: String| -> Vec<String> {
            s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect()
        };
        client
            .query(sql::NEEDS_DATA, &[&run])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(NeedsData {
                    enterprise_id: get(r, 0)?,
                    uscc: get(r, 1)?,
                    name: get(r, 2)?,
                    outcome: get(r, 3)?,
                    missing: split(get(r, 4)?),
                    departments: split(get(r, 5)?),
                })
            })
            .collect()
    }

    async fn objections_of_run(&self, run: i64) -> Result<Vec<Objection>> {
        let client = self.client().await?;
        let q = format!(
            "SELECT {} FROM grant_objections o JOIN grants g ON g.id = o.grant_id WHERE g.run_id = $1 ORDER BY o.id",
            sql::OBJECTION_COLUMNS
        );
        client.query(&q, &[&run]).await.map_err(backend)?.iter().map(objection_row).collect()
    }

    async fn publicize(&self, run: i64, from: NaiveDate, until: NaiveDate, actor: Stamp) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        if tx.execute(sql::PUBLICIZE_RUN, &[&from, &until, &run]).await.map_err(backend)? == 0 {
            return Err(StoreError::GrantRunNotFound { id: run });
        }
        let n = tx.execute(sql::PUBLICIZE_GRANTS, &[&run]).await.map_err(backend)?;
        let detail = serde_json::json!({"from": from.to_string(), "until": until.to_string(), "grants": n});
        append_event(&tx, &actor, Some(run), None, "publicize", &detail).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn object(&self, grant: i64, role: &str, reason: &str, actor: Stamp) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute("SELECT 1 FROM grants WHERE id = $1 FOR UPDATE", &[&grant]).await.map_err(backend)?;
        let (state, run, _) = grant_state(&tx, grant).await?;
        if state != "publicity" {
            return Err(StoreError::GrantWrongState { grant, state });
        }
        tx.execute(sql::SET_STATE, &[&"objected", &grant]).await.map_err(backend)?;
        let row = tx
            .query_one(sql::INSERT_OBJECTION, &[&grant, &actor.username, &role, &reason, &china(actor.at)])
            .await
            .map_err(backend)?;
        let id: i64 = get(&row, 0)?;
        let detail = serde_json::json!({"objection": id, "role": role, "reason": reason});
        append_event(&tx, &actor, Some(run), Some(grant), "object", &detail).await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn handle_objection(&self, h: HandleObjection) -> Result<Objection> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let row = tx
            .query_opt(&format!("{} FOR UPDATE", sql::OPEN_OBJECTION), &[&h.objection])
            .await
            .map_err(backend)?
            .ok_or(StoreError::ObjectionNotFound { id: h.objection })?;
        let grant: i64 = get(&row, 0)?;
        let (state, run, old_fen) = grant_state(&tx, grant).await?;
        if state != "objected" {
            return Err(StoreError::GrantWrongState { grant, state });
        }
        let new_fen = h.new_amount.map(fen).transpose()?;
        let outcome = if h.upheld { "upheld" } else { "rejected" };
        tx.execute(
            sql::HANDLE_OBJECTION,
            &[&h.actor.username, &outcome, &h.reason, &china(h.actor.at), &new_fen, &h.objection],
        )
        .await
        .map_err(backend)?;
        match (h.upheld, new_fen) {
            (true, None) => tx.execute(sql::SET_STATE, &[&"rejected", &grant]).await,
            (true, Some(f)) => tx.execute(sql::SET_STATE_AMOUNT, &[&"publicity", &f, &grant]).await,
            (false, _) => tx.execute(sql::SET_STATE, &[&"publicity", &grant]).await,
        }
        .map_err(backend)?;
        let detail = serde_json::json!({
            "objection": h.objection, "outcome": outcome, "reason": h.reason,
            "old_amount": yuan(old_fen).to_string(), "new_amount": new_fen.map(|f| yuan(f).to_string()),
        });
        append_event(&tx, &h.actor, Some(run), Some(grant), "handle_objection", &detail).await?;
        let q = format!("SELECT {} FROM grant_objections o WHERE o.id = $1", sql::OBJECTION_COLUMNS);
        let o = objection_row(&tx.query_one(&q, &[&h.objection]).await.map_err(backend)?)?;
        tx.commit().await.map_err(backend)?;
        Ok(o)
    }

    async fn decide_budget(&self, d: BudgetDecision) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let budget = fen(d.budget)?;
        if tx
            .execute(sql::SET_BUDGET, &[&budget, &d.rule, &d.actor.username, &china(d.actor.at), &d.run])
            .await
            .map_err(backend)?
            == 0
        {
            return Err(StoreError::GrantRunNotFound { id: d.run });
        }
        let set = tx.prepare(sql::ALLOCATE).await.map_err(backend)?;
        let none = tx.prepare(sql::ALLOCATE_NONE).await.map_err(backend)?;
        let mut removed = 0u64;
        for (grant, amount) in &d.lines {
            let f = fen(*amount)?;
            if f == 0 {
                removed += tx.execute(&none, &[grant, &d.run]).await.map_err(backend)?;
            } else {
                tx.execute(&set, &[&f, grant, &d.run]).await.map_err(backend)?;
            }
        }
        let total: i64 = d.lines.iter().map(|(_, a)| fen(*a)).sum::<Result<i64>>()?;
        let detail = serde_json::json!({
            "budget": d.budget.to_string(), "rule": d.rule, "allocated": yuan(total).to_string(),
            "lines": d.lines.len(), "removed": removed,
        });
        append_event(&tx, &d.actor, Some(d.run), None, "budget", &detail).await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn approve(&self, run: i64, required: u32, actor: Stamp) -> Result<Approved> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let row = tx
            .query_opt(&format!("{} FOR UPDATE", sql::RUN_PREPARER_ROUND), &[&run])
            .await
            .map_err(backend)?
            .ok_or(StoreError::GrantRunNotFound { id: run })?;
        let (preparer, round): (String, i64) = (get(&row, 0)?, get(&row, 1)?);
        let open: i64 = get(&tx.query_one(sql::OPEN_OBJECTIONS_OF_RUN, &[&run]).await.map_err(backend)?, 0)?;
        if open > 0 {
            return Err(StoreError::GrantObjectionsOpen { run, open: count(open) });
        }
        tx.execute(sql::INSERT_APPROVAL, &[&run, &round, &actor.username, &preparer, &china(actor.at)])
            .await
            .map_err(|e| refusal(e, run, &actor.username, "approvals"))?;
        let approvals = tx
            .query(sql::APPROVERS, &[&run])
            .await
            .map_err(backend)?
            .iter()
            .map(|a| get::<String>(a, 0))
            .collect::<Result<Vec<_>>>()?;
        let (mut approved, mut approved_fen) = (0u64, 0i64);
        if approvals.len() as u64 >= u64::from(required) {
            let before: i64 = get(&tx.query_one(sql::APPROVED_AMOUNT, &[&run]).await.map_err(backend)?, 0)?;
            approved = tx.execute(sql::APPROVE_GRANTS, &[&run]).await.map_err(backend)?;
            let after: i64 = get(&tx.query_one(sql::APPROVED_AMOUNT, &[&run]).await.map_err(backend)?, 0)?;
            approved_fen = after - before;
            tx.execute(sql::NEXT_ROUND, &[&run]).await.map_err(backend)?;
        }
        let detail = serde_json::json!({
            "round": round, "approvals": approvals, "required": required,
            "approved": approved, "approved_amount": yuan(approved_fen).to_string(),
        });
        append_event(&tx, &actor, Some(run), None, "approve", &detail).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Approved { run, approvals, required, approved, approved_amount: yuan(approved_fen) })
    }

    async fn issue_payment_file(&self, f: NewPaymentFile) -> Result<(PaymentFile, Vec<IssuedLine>)> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        if tx
            .query_opt("SELECT id FROM grant_runs WHERE id = $1 FOR UPDATE", &[&f.run])
            .await
            .map_err(backend)?
            .is_none()
        {
            return Err(StoreError::GrantRunNotFound { id: f.run });
        }
        let follow_up = f.kind == "follow_up";
        let lines = tx
            .query(sql::FILE_CANDIDATES, &[&f.run, &follow_up])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(IssuedLine {
                    grant: get(r, 0)?,
                    uscc: get(r, 1)?,
                    name: get(r, 2)?,
                    item: get(r, 3)?,
                    period: get(r, 4)?,
                    amount: yuan(get(r, 5)?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let sum: i64 = lines.iter().map(|l| fen(l.amount)).sum::<Result<i64>>()?;
        let n = lines.len() as i64;
        tx.execute(
            sql::INSERT_FILE,
            &[&f.file_id, &f.run, &f.kind, &f.format, &f.actor.username, &china(f.actor.at), &n, &sum],
        )
        .await
        .map_err(|e| refusal(e, f.run, &f.actor.username, "files"))?;
        for chunk in lines.chunks(grants::BATCH) {
            let g: Vec<i64> = chunk.iter().map(|l| l.grant).collect();
            let a: Vec<i64> = chunk.iter().map(|l| fen(l.amount)).collect::<Result<_>>()?;
            tx.execute(
                "INSERT INTO grant_payment_lines (file_id, grant_id, amount_fen) \
                 SELECT $1, g, a FROM UNNEST($2::bigint[], $3::bigint[]) AS t(g, a)",
                &[&f.file_id, &g, &a],
            )
            .await
            .map_err(backend)?;
        }
        let detail = serde_json::json!({
            "file": f.file_id, "kind": f.kind, "format": f.format, "lines": lines.len(),
            "control_sum": yuan(sum).to_string(),
        });
        append_event(&tx, &f.actor, Some(f.run), None, "payment_file", &detail).await?;
        let file = file_by_id(&tx, &f.file_id)
            .await?
            .ok_or(StoreError::PaymentFileNotFound { id: f.file_id.clone() })?;
        tx.commit().await.map_err(backend)?;
        Ok((file, lines))
    }

    async fn void_payment_file(&self, file_id: &str, reason: &str, actor: Stamp) -> Result<PaymentFile> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let file = file_by_id(&tx, file_id)
            .await?
            .ok_or(StoreError::PaymentFileNotFound { id: file_id.to_string() })?;
        if file.voided {
            return Ok(file);
        }
        tx.execute(sql::VOID_FILE, &[&actor.username, &china(actor.at), &reason, &file_id])
            .await
            .map_err(backend)?;
        tx.execute(sql::VOID_LINES, &[&file_id]).await.map_err(backend)?;
        let detail = serde_json::json!({"file": file_id, "reason": reason, "lines": file.lines});
        append_event(&tx, &actor, Some(file.run_id), None, "void_payment_file", &detail).await?;
        let file = file_by_id(&tx, file_id)
            .await?
            .ok_or(StoreError::PaymentFileNotFound { id: file_id.to_string() })?;
        tx.commit().await.map_err(backend)?;
        Ok(file)
    }

    async fn payment_files(&self, run: i64) -> Result<Vec<PaymentFile>> {
        let client = self.client().await?;
        let q = format!(
            "SELECT {} FROM grant_payment_files WHERE run_id = $1 ORDER BY at, id",
            sql::FILE_COLUMNS
        );
        client.query(&q, &[&run]).await.map_err(backend)?.iter().map(file_row).collect()
    }

    async fn import_payment_results(&self, batch: NewResultBatch) -> Result<ImportedResults> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let rows = batch.rows.len() as i64;
        let row = tx
            .query_one(
                sql::INSERT_BATCH,
                &[&china(batch.actor.at), &batch.actor.username, &batch.file_name, &rows],
            )
            .await
            .map_err(backend)?;
        let id: i64 = get(&row, 0)?;
        let ins = tx.prepare(sql::INSERT_RESULT).await.map_err(backend)?;
        let paid_st = tx.prepare(sql::MARK_PAID).await.map_err(backend)?;
        let end = tx.prepare(sql::END_LINE).await.map_err(backend)?;
        let run_of = tx.prepare("SELECT run_id FROM grants WHERE id = $1").await.map_err(backend)?;
        let (mut paid, mut failed, mut unknown) = (0u64, 0u64, 0u64);
        let mut runs = std::collections::BTreeSet::new();
        for r in &batch.rows {
            tx.execute(&ins, &[&id, &r.grant, &r.date, &r.voucher, &fen(r.amount)?, &r.ok, &r.reason])
                .await
                .map_err(backend)?;
            let Some(run) = tx.query_opt(&run_of, &[&r.grant]).await.map_err(backend)? else {
                unknown += 1;
                continue;
            };
            runs.insert(get::<i64>(&run, 0)?);
            if r.ok {
                paid += tx.execute(&paid_st, &[&r.date, &r.voucher, &r.grant]).await.map_err(backend)?;
            } else {
                failed += 1;
                tx.execute(&end, &[&r.grant]).await.map_err(backend)?;
            }
        }
        let detail = serde_json::json!({
            "batch": id, "file": batch.file_name, "rows": batch.rows.len(), "paid": paid,
            "failed": failed, "unknown": unknown,
        });
        if runs.is_empty() {
            append_event(&tx, &batch.actor, None, None, "payment_results", &detail).await?;
        }
        for run in runs {
            append_event(&tx, &batch.actor, Some(run), None, "payment_results", &detail).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(ImportedResults { batch: id, rows: batch.rows.len() as u64, paid, failed, unknown })
    }

    async fn reconcile_inputs(
        &self,
        run: i64,
    ) -> Result<(Vec<::grants::Issued>, Vec<::grants::PaymentResult>)> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let issued = tx
            .query(sql::ISSUED_OF_RUN, &[&run])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| Ok(::grants::Issued { grant: get(r, 0)?, amount: yuan(get(r, 1)?) }))
            .collect::<Result<Vec<_>>>()?;
        let results = tx
            .query(sql::RESULTS_OF_RUN, &[&run])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                let r = result_row(r)?;
                Ok(::grants::PaymentResult {
                    grant: r.grant,
                    date: r.date,
                    voucher: r.voucher,
                    amount: r.amount,
                    ok: r.ok,
                    reason: r.reason,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((issued, results))
    }

    async fn grant_events(&self, run: i64) -> Result<Vec<GrantEvent>> {
        let client = self.client().await?;
        let q = format!("SELECT {} FROM grant_events WHERE run_id = $1 ORDER BY seq", sql::EVENT_COLUMNS);
        client.query(&q, &[&run]).await.map_err(backend)?.iter().map(event_row).collect()
    }

    async fn verify_grant_chain(&self) -> Result<GrantChainReport> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend)?;
        let q = format!("SELECT {} FROM grant_events ORDER BY seq", sql::EVENT_COLUMNS);
        let events =
            tx.query(&q, &[]).await.map_err(backend)?.iter().map(event_row).collect::<Result<Vec<_>>>()?;
        let head = tx.query_one(sql::CHAIN_HEAD, &[]).await.map_err(backend)?;
        Ok(grants::verify_grant_events(&events, (get(&head, 0)?, get(&head, 1)?)))
    }
}
