//! [`GrantStore`] on SQLite: every write is one job of the writer thread (one transaction)
//! with its event appended to the grant chain; grants of a run are inserted 200 rows a
//! cached statement, `ON CONFLICT DO NOTHING` on (enterprise, item, period), their packed
//! bases beside them in `grant_basis` ([`store::grants::packed`], 0032). Reads run
//! on the read pool. The refusals the schema makes (triggers, CHECK, primary keys) come back
//! as SQLite errors and are turned into their [`StoreError`] variants here.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound};
use rusqlite::{Connection, OptionalExtension, params};
use store::grants::{
    self, Approved, BudgetDecision, Grant, GrantChainReport, GrantDetail, GrantEvent, GrantRun, GrantStore,
    HandleObjection, ImportedResults, IssuedLine, NeedsData, NewPaymentFile, NewResultBatch, Objection,
    PaymentFile, RecordGrants, Recorded, ResultRow, RunsMessage, StateCount, fen, sql, yuan,
};
use store::{Result, Stamp, StoreError};

use crate::{SqliteStore, backend, ts};

mod recording;
use recording::Recording;

/// A payment result with its grant's run (looked up once per row by the caller).
const INSERT_RESULT_WITH_RUN: &str = "INSERT INTO grant_payment_results (batch_id, grant_id, run_id, date, \
    voucher, amount_fen, ok, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Rows per multi-row `INSERT` (at most 9 parameters a row: 1,800 a statement).
const ROWS_PER_INSERT: usize = 200;

/// The multi-row insert of `rows` grants (`ON CONFLICT DO NOTHING`, returning the id,
/// enterprise and amount of each row inserted). The basis goes to `grant_basis` (0032).
fn insert_grants(rows: usize) -> String {
    multi_row(
        "INSERT INTO grants (run_id, enterprise_id, uscc, name, item, period, amount_fen, state, basis, \
         basis_hash, created_at) VALUES ",
        "(?, ?, ?, ?, ?, ?, ?, 'pending', '', ?, ?)",
        rows,
        " ON CONFLICT (enterprise_id, item, period) DO NOTHING RETURNING id, enterprise_id, amount_fen",
    )
}

/// `head` + `rows` × `row` separated by commas + `tail`.
fn multi_row(head: &str, row: &str, rows: usize, tail: &str) -> String {
    let mut q = String::with_capacity(head.len() + rows * (row.len() + 2) + tail.len());
    q.push_str(head);
    for k in 0..rows {
        q.push_str(if k == 0 { "" } else { ", " });
        q.push_str(row);
    }
    q.push_str(tail);
    q
}

/// Binds `values` to a statement's parameters from number `*p + 1` on.
fn bind_all(st: &mut rusqlite::Statement<'_>, p: &mut usize, values: &[&dyn rusqlite::ToSql]) -> Result<()> {
    for v in values {
        *p += 1;
        st.raw_bind_parameter(*p, v).map_err(backend)?;
    }
    Ok(())
}

/// Reads a grant's basis: from `grant_basis` (packed, 0032) when it has a row there, else the
/// text `grants.basis` holds (grants made before 0032).
fn read_basis(conn: &Connection, grant: i64, legacy: String) -> Result<String> {
    let packed: Option<(Vec<u8>, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT d.body, b.body FROM grant_basis b JOIN grant_basis_dictionaries d ON d.id = b.dictionary_id \
             WHERE b.grant_id = $1",
        )
        .and_then(|mut st| st.query_row([grant], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(backend)?;
    match packed {
        Some((dictionary, body)) => grants::packed::unpack(&dictionary, &body),
        None => Ok(legacy),
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Appends one event to the grant chain (inside a write job).
pub(crate) fn append_event(
    conn: &Connection,
    actor: &Stamp,
    run: Option<i64>,
    grant: Option<i64>,
    action: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    let (seq, prev): (i64, String) =
        conn.query_row(sql::CHAIN_HEAD, [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
    let seq = seq + 1;
    let at = ts(actor.at).trunc_subsecs(6);
    let detail = ::grants::basis::canonical(detail);
    let text = GrantEvent::canonical_json(seq, at, &actor.username, run, grant, action, &detail);
    let hash = store::problems::chain_hash(&prev, &text);
    conn.prepare_cached(sql::INSERT_EVENT)
        .and_then(|mut st| {
            st.execute(params![seq, at, actor.username, run, grant, action, detail, prev, hash])
        })
        .map_err(backend)?;
    conn.prepare_cached(sql::SET_CHAIN_HEAD)
        .and_then(|mut st| st.execute(params![seq, hash]))
        .map_err(backend)?;
    Ok(())
}

fn read_run(conn: &Connection, id: i64) -> Result<Option<GrantRun>> {
    let q = format!("SELECT {} FROM grant_runs WHERE id = $1", sql::RUN_COLUMNS);
    let row = conn
        .query_row(&q, [id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, DateTime<FixedOffset>>(5)?,
                r.get::<_, i64>(6)?,
                (r.get::<_, Option<NaiveDate>>(7)?, r.get::<_, Option<NaiveDate>>(8)?),
                r.get::<_, Option<i64>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<String>>(11)?,
                r.get::<_, i64>(12)?,
            ))
        })
        .optional()
        .map_err(backend)?;
    let Some((
        id,
        item,
        period,
        match_run,
        preparer,
        created_at,
        document_version,
        (pf, pu),
        budget,
        rule,
        by,
        round,
    )) = row
    else {
        return Ok(None);
    };
    let mut st = conn.prepare_cached(sql::STATE_COUNTS).map_err(backend)?;
    let states = st
        .query_map([id], |r| {
            Ok(StateCount { state: r.get(0)?, grants: count(r.get(1)?), amount: yuan(r.get(2)?) })
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    let needs: i64 = conn.query_row(sql::NEEDS_COUNT, [id], |r| r.get(0)).map_err(backend)?;
    let mut st = conn.prepare_cached(sql::APPROVERS).map_err(backend)?;
    let approvals = st
        .query_map([id], |r| r.get::<_, String>(0))
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    Ok(Some(GrantRun {
        id,
        item,
        period,
        match_run,
        preparer,
        created_at: ts(created_at),
        document_version,
        publicity_from: pf,
        publicity_until: pu,
        budget: budget.map(yuan),
        allocation_rule: rule,
        budget_by: by,
        round,
        states,
        needs_data: count(needs),
        approvals,
    }))
}

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        id: r.get(0)?,
        run_id: r.get(1)?,
        enterprise_id: r.get(2)?,
        uscc: r.get(3)?,
        name: r.get(4)?,
        item: r.get(5)?,
        period: r.get(6)?,
        amount: yuan(r.get(7)?),
        state: r.get(8)?,
        basis_hash: r.get(9)?,
        created_at: ts(r.get(10)?),
        paid_date: r.get(11)?,
        voucher: r.get(12)?,
    })
}

fn objection_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Objection> {
    Ok(Objection {
        id: r.get(0)?,
        grant_id: r.get(1)?,
        by: r.get(2)?,
        by_role: r.get(3)?,
        reason: r.get(4)?,
        at: ts(r.get(5)?),
        handled_by: r.get(6)?,
        outcome: r.get(7)?,
        handling_reason: r.get(8)?,
        handled_at: r.get::<_, Option<DateTime<FixedOffset>>>(9)?.map(ts),
        new_amount: r.get::<_, Option<i64>>(10)?.map(yuan),
    })
}

fn file_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PaymentFile> {
    Ok(PaymentFile {
        id: r.get(0)?,
        run_id: r.get(1)?,
        kind: r.get(2)?,
        format: r.get(3)?,
        issuer: r.get(4)?,
        at: ts(r.get(5)?),
        lines: count(r.get(6)?),
        control_sum: yuan(r.get(7)?),
        voided: r.get(8)?,
        voided_by: r.get(9)?,
        void_reason: r.get(10)?,
    })
}

fn result_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ResultRow> {
    Ok(ResultRow {
        grant: r.get(0)?,
        date: r.get(1)?,
        voucher: r.get(2)?,
        amount: yuan(r.get(3)?),
        ok: r.get(4)?,
        reason: r.get(5)?,
        batch: r.get(6)?,
    })
}

fn grant_state(conn: &Connection, grant: i64) -> Result<(String, i64, i64)> {
    conn.query_row(sql::GRANT_STATE, [grant], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
        .map_err(backend)?
        .ok_or(StoreError::GrantNotFound { id: grant })
}

fn file_by_id(conn: &Connection, id: &str) -> Result<Option<PaymentFile>> {
    let q = format!("SELECT {} FROM grant_payment_files WHERE id = $1", sql::FILE_COLUMNS);
    conn.query_row(&q, [id], file_row).optional().map_err(backend)
}

/// What the schema's refusals mean.
fn refusal(e: rusqlite::Error, run: i64, username: &str, table: &str) -> StoreError {
    let text = e.to_string();
    if text.contains("huiqi:approver_is_preparer")
        || (table == "approvals" && text.contains("CHECK constraint"))
    {
        StoreError::ApproverIsPreparer { run, username: username.to_string() }
    } else if text.contains("huiqi:issuer_not_independent") {
        StoreError::IssuerNotIndependent { run, username: username.to_string() }
    } else if table == "approvals" && text.contains("UNIQUE constraint") {
        StoreError::ApprovedTwice { run, username: username.to_string() }
    } else {
        backend(e)
    }
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn record_grants(&self, req: RecordGrants) -> Result<Recorded> {
        // Alone in its transaction: a run writes up to a million grants (see `write_alone`).
        self.write_alone(move |conn| {
            let mut rec = Recording::open(conn, req.run)?;
            rec.add(conn, &req.grants, &req.needs_data, Some(req.basis_dictionary))?;
            rec.close(conn)
        })
        .await
    }

    /// All the runs in one transaction on the writer, alone, each batch written as it comes
    /// while the caller judges the next enterprises: the batches come in enterprise order,
    /// so the unique key (enterprise, item, period) is written in order, and the grants are
    /// never all held in memory. Other writes wait until the pass ends; a channel that
    /// closes before `Done` rolls the whole transaction back.
    async fn record_grant_runs(
        &self,
        runs: Vec<grants::NewGrantRun>,
        mut batches: tokio::sync::mpsc::Receiver<RunsMessage>,
    ) -> Result<Vec<Recorded>> {
        self.write_alone(move |conn| {
            let mut recs = runs.into_iter().map(|r| Recording::open(conn, r)).collect::<Result<Vec<_>>>()?;
            loop {
                match batches.blocking_recv() {
                    Some(RunsMessage::Batch(parts)) => {
                        for (rec, part) in recs.iter_mut().zip(parts) {
                            rec.add(conn, &part.grants, &part.needs_data, part.basis_dictionary)?;
                        }
                    }
                    Some(RunsMessage::Done) => break,
                    None => {
                        return Err(StoreError::Backend(
                            "grant runs: the pass stopped before its end".into(),
                        ));
                    }
                }
            }
            recs.into_iter().map(|rec| rec.close(conn)).collect()
        })
        .await
    }

    async fn grant_run(&self, id: i64) -> Result<Option<GrantRun>> {
        self.read(move |conn| read_run(conn, id)).await
    }

    async fn grant_run_by_key(&self, item: &str, period: &str) -> Result<Option<i64>> {
        let (item, period) = (item.to_string(), period.to_string());
        self.read(move |conn| {
            conn.query_row(sql::RUN_BY_KEY, params![item, period], |r| r.get(0)).optional().map_err(backend)
        })
        .await
    }

    async fn grant_runs(&self, limit: u64) -> Result<Vec<GrantRun>> {
        self.read(move |conn| {
            let mut st =
                conn.prepare("SELECT id FROM grant_runs ORDER BY id DESC LIMIT $1").map_err(backend)?;
            let ids = st
                .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get::<_, i64>(0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            let mut out = Vec::new();
            for id in ids {
                if let Some(r) = read_run(conn, id)? {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn granted_enterprises(&self, item: &str, period: &str) -> Result<Vec<i64>> {
        let (item, period) = (item.to_string(), period.to_string());
        self.read(move |conn| {
            let mut st = conn.prepare_cached(sql::GRANTED).map_err(backend)?;
            st.query_map(params![item, period], |r| r.get(0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<i64>>>()
                .map_err(backend)
        })
        .await
    }

    async fn grants_of_run(&self, run: i64, after: i64, limit: u64) -> Result<Vec<Grant>> {
        self.read(move |conn| {
            let q = format!(
                "SELECT {} FROM grants WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                sql::GRANT_COLUMNS
            );
            let mut st = conn.prepare_cached(&q).map_err(backend)?;
            st.query_map(params![run, after, i64::try_from(limit).unwrap_or(i64::MAX)], grant_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn grant(&self, id: i64) -> Result<Option<GrantDetail>> {
        self.read(move |conn| {
            let q = format!("SELECT {}, basis FROM grants WHERE id = $1", sql::GRANT_COLUMNS);
            let Some((grant, legacy)) = conn
                .query_row(&q, [id], |r| Ok((grant_row(r)?, r.get::<_, String>(13)?)))
                .optional()
                .map_err(backend)?
            else {
                return Ok(None);
            };
            let basis = read_basis(conn, id, legacy)?;
            let q = format!(
                "SELECT {} FROM grant_objections o WHERE o.grant_id = $1 ORDER BY o.id",
                sql::OBJECTION_COLUMNS
            );
            let objections = conn
                .prepare(&q)
                .and_then(|mut st| st.query_map([id], objection_row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)?;
            let results = conn
                .prepare_cached(sql::RESULTS_OF_GRANT)
                .and_then(|mut st| st.query_map([id], result_row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)?;
            Ok(Some(GrantDetail { grant, basis, objections, results }))
        })
        .await
    }

    async fn grants_of_enterprise(&self, enterprise_id: i64) -> Result<Vec<Grant>> {
        self.read(move |conn| {
            let q = format!(
                "SELECT {} FROM grants WHERE enterprise_id = $1 ORDER BY id DESC",
                sql::GRANT_COLUMNS
            );
            conn.prepare(&q)
                .and_then(|mut st| {
                    st.query_map([enterprise_id], grant_row)?.collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)
        })
        .await
    }

    async fn needs_data(&self, run: i64) -> Result<Vec<NeedsData>> {
        self.read(move |conn| {
            let split = |s: String| -> Vec<String> {
                s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect()
            };
            conn.prepare_cached(sql::NEEDS_DATA)
                .and_then(|mut st| {
                    st.query_map([run], |r| {
                        Ok(NeedsData {
                            enterprise_id: r.get(0)?,
                            uscc: r.get(1)?,
                            name: r.get(2)?,
                            outcome: r.get(3)?,
                            missing: split(r.get(4)?),
                            departments: split(r.get(5)?),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)
        })
        .await
    }

    async fn objections_of_run(&self, run: i64) -> Result<Vec<Objection>> {
        self.read(move |conn| {
            let q = format!(
                "SELECT {} FROM grant_objections o JOIN grants g ON g.id = o.grant_id WHERE g.run_id = $1 ORDER BY o.id",
                sql::OBJECTION_COLUMNS
            );
            conn.prepare(&q)
                .and_then(|mut st| st.query_map([run], objection_row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)
        })
        .await
    }

    async fn publicize(&self, run: i64, from: NaiveDate, until: NaiveDate, actor: Stamp) -> Result<u64> {
        self.write_alone(move |conn| {
            if conn.execute(sql::PUBLICIZE_RUN, params![from, until, run]).map_err(backend)? == 0 {
                return Err(StoreError::GrantRunNotFound { id: run });
            }
            let n = conn.execute(sql::PUBLICIZE_GRANTS, [run]).map_err(backend)? as u64;
            let detail =
                serde_json::json!({"from": from.to_string(), "until": until.to_string(), "grants": n});
            append_event(conn, &actor, Some(run), None, "publicize", &detail)?;
            Ok(n)
        })
        .await
    }

    async fn object(&self, grant: i64, role: &str, reason: &str, actor: Stamp) -> Result<i64> {
        let (role, reason) = (role.to_string(), reason.to_string());
        self.write(move |conn| {
            let (state, run, _) = grant_state(conn, grant)?;
            if state != "publicity" {
                return Err(StoreError::GrantWrongState { grant, state });
            }
            conn.execute(sql::SET_STATE, params!["objected", grant]).map_err(backend)?;
            let id: i64 = conn
                .query_row(
                    sql::INSERT_OBJECTION,
                    params![grant, actor.username, role, reason, ts(actor.at)],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            let detail = serde_json::json!({"objection": id, "role": role, "reason": reason});
            append_event(conn, &actor, Some(run), Some(grant), "object", &detail)?;
            Ok(id)
        })
        .await
    }

    async fn handle_objection(&self, h: HandleObjection) -> Result<Objection> {
        self.write(move |conn| {
            let grant: i64 = conn
                .query_row(sql::OPEN_OBJECTION, [h.objection], |r| r.get(0))
                .optional()
                .map_err(backend)?
                .ok_or(StoreError::ObjectionNotFound { id: h.objection })?;
            let (state, run, old_fen) = grant_state(conn, grant)?;
            if state != "objected" {
                return Err(StoreError::GrantWrongState { grant, state });
            }
            let new_fen = h.new_amount.map(fen).transpose()?;
            let outcome = if h.upheld { "upheld" } else { "rejected" };
            let at = ts(h.actor.at);
            conn.execute(
                sql::HANDLE_OBJECTION,
                params![h.actor.username, outcome, h.reason, at, new_fen, h.objection],
            )
            .map_err(backend)?;
            match (h.upheld, new_fen) {
                (true, None) => conn.execute(sql::SET_STATE, params!["rejected", grant]),
                (true, Some(f)) => conn.execute(sql::SET_STATE_AMOUNT, params!["publicity", f, grant]),
                (false, _) => conn.execute(sql::SET_STATE, params!["publicity", grant]),
            }
            .map_err(backend)?;
            let detail = serde_json::json!({
                "objection": h.objection, "outcome": outcome, "reason": h.reason,
                "old_amount": yuan(old_fen).to_string(), "new_amount": new_fen.map(|f| yuan(f).to_string()),
            });
            append_event(conn, &h.actor, Some(run), Some(grant), "handle_objection", &detail)?;
            let q = format!("SELECT {} FROM grant_objections o WHERE o.id = $1", sql::OBJECTION_COLUMNS);
            conn.query_row(&q, [h.objection], objection_row).map_err(backend)
        })
        .await
    }

    async fn decide_budget(&self, d: BudgetDecision) -> Result<()> {
        self.write(move |conn| {
            let budget = fen(d.budget)?;
            let at = ts(d.actor.at);
            if conn
                .execute(sql::SET_BUDGET, params![budget, d.rule, d.actor.username, at, d.run])
                .map_err(backend)?
                == 0
            {
                return Err(StoreError::GrantRunNotFound { id: d.run });
            }
            let mut set = conn.prepare_cached(sql::ALLOCATE).map_err(backend)?;
            let mut none = conn.prepare_cached(sql::ALLOCATE_NONE).map_err(backend)?;
            let mut removed = 0u64;
            for (grant, amount) in &d.lines {
                let f = fen(*amount)?;
                if f == 0 {
                    removed += none.execute(params![grant, d.run]).map_err(backend)? as u64;
                } else {
                    set.execute(params![f, grant, d.run]).map_err(backend)?;
                }
            }
            let total: i64 = d.lines.iter().map(|(_, a)| fen(*a)).sum::<Result<i64>>()?;
            let detail = serde_json::json!({
                "budget": d.budget.to_string(), "rule": d.rule, "allocated": yuan(total).to_string(),
                "lines": d.lines.len(), "removed": removed,
            });
            append_event(conn, &d.actor, Some(d.run), None, "budget", &detail)?;
            Ok(())
        })
        .await
    }

    async fn approve(&self, run: i64, required: u32, actor: Stamp) -> Result<Approved> {
        self.write_alone(move |conn| {
            let (preparer, round): (String, i64) = conn
                .query_row(sql::RUN_PREPARER_ROUND, [run], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(backend)?
                .ok_or(StoreError::GrantRunNotFound { id: run })?;
            let open: i64 =
                conn.query_row(sql::OPEN_OBJECTIONS_OF_RUN, [run], |r| r.get(0)).map_err(backend)?;
            if open > 0 {
                return Err(StoreError::GrantObjectionsOpen { run, open: count(open) });
            }
            conn.execute(sql::INSERT_APPROVAL, params![run, round, actor.username, preparer, ts(actor.at)])
                .map_err(|e| refusal(e, run, &actor.username, "approvals"))?;
            let approvals = conn
                .prepare_cached(sql::APPROVERS)
                .and_then(|mut st| {
                    st.query_map([run], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)?;
            let mut approved = 0u64;
            let mut approved_fen = 0i64;
            if approvals.len() as u64 >= u64::from(required) {
                let before: i64 =
                    conn.query_row(sql::APPROVED_AMOUNT, [run], |r| r.get(0)).map_err(backend)?;
                approved = conn.execute(sql::APPROVE_GRANTS, [run]).map_err(backend)? as u64;
                let after: i64 =
                    conn.query_row(sql::APPROVED_AMOUNT, [run], |r| r.get(0)).map_err(backend)?;
                approved_fen = after - before;
                conn.execute(sql::NEXT_ROUND, [run]).map_err(backend)?;
            }
            let detail = serde_json::json!({
                "round": round, "approvals": approvals, "required": required,
                "approved": approved, "approved_amount": yuan(approved_fen).to_string(),
            });
            append_event(conn, &actor, Some(run), None, "approve", &detail)?;
            Ok(Approved { run, approvals, required, approved, approved_amount: yuan(approved_fen) })
        })
        .await
    }

    async fn issue_payment_file(&self, f: NewPaymentFile) -> Result<(PaymentFile, Vec<IssuedLine>)> {
        self.write_alone(move |conn| {
            if read_run(conn, f.run)?.is_none() {
                return Err(StoreError::GrantRunNotFound { id: f.run });
            }
            let follow_up = f.kind == "follow_up";
            let lines = conn
                .prepare_cached(sql::FILE_CANDIDATES)
                .and_then(|mut st| {
                    st.query_map(params![f.run, follow_up], |r| {
                        Ok(IssuedLine {
                            grant: r.get(0)?,
                            uscc: r.get(1)?,
                            name: r.get(2)?,
                            item: r.get(3)?,
                            period: r.get(4)?,
                            amount: yuan(r.get(5)?),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)?;
            let sum: i64 = lines.iter().map(|l| fen(l.amount)).sum::<Result<i64>>()?;
            let at = ts(f.actor.at);
            conn.execute(
                sql::INSERT_FILE,
                params![f.file_id, f.run, f.kind, f.format, f.actor.username, at, lines.len() as i64, sum],
            )
            .map_err(|e| refusal(e, f.run, &f.actor.username, "files"))?;
            let mut st = conn.prepare_cached(sql::INSERT_LINE).map_err(backend)?;
            for l in &lines {
                st.execute(params![f.file_id, l.grant, fen(l.amount)?]).map_err(backend)?;
            }
            let detail = serde_json::json!({
                "file": f.file_id, "kind": f.kind, "format": f.format, "lines": lines.len(),
                "control_sum": yuan(sum).to_string(),
            });
            append_event(conn, &f.actor, Some(f.run), None, "payment_file", &detail)?;
            let file = file_by_id(conn, &f.file_id)?
                .ok_or(StoreError::PaymentFileNotFound { id: f.file_id.clone() })?;
            Ok((file, lines))
        })
        .await
    }

    async fn void_payment_file(&self, file_id: &str, reason: &str, actor: Stamp) -> Result<PaymentFile> {
        let (file_id, reason) = (file_id.to_string(), reason.to_string());
        self.write_alone(move |conn| {
            let file =
                file_by_id(conn, &file_id)?.ok_or(StoreError::PaymentFileNotFound { id: file_id.clone() })?;
            if file.voided {
                return Ok(file);
            }
            conn.execute(sql::VOID_FILE, params![actor.username, ts(actor.at), reason, file_id])
                .map_err(backend)?;
            conn.execute(sql::VOID_LINES, [&file_id]).map_err(backend)?;
            let detail = serde_json::json!({"file": file_id, "reason": reason, "lines": file.lines});
            append_event(conn, &actor, Some(file.run_id), None, "void_payment_file", &detail)?;
            file_by_id(conn, &file_id)?.ok_or(StoreError::PaymentFileNotFound { id: file_id.clone() })
        })
        .await
    }

    async fn payment_files(&self, run: i64) -> Result<Vec<PaymentFile>> {
        self.read(move |conn| {
            let q = format!(
                "SELECT {} FROM grant_payment_files WHERE run_id = $1 ORDER BY at, id",
                sql::FILE_COLUMNS
            );
            conn.prepare(&q)
                .and_then(|mut st| st.query_map([run], file_row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)
        })
        .await
    }

    async fn import_payment_results(&self, batch: NewResultBatch) -> Result<ImportedResults> {
        self.write_alone(move |conn| {
            let at = ts(batch.actor.at);
            let id: i64 = conn
                .query_row(
                    sql::INSERT_BATCH,
                    params![at, batch.actor.username, batch.file_name, batch.rows.len() as i64],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            // Per row: one lookup of the grant's run (cached statements), the result with
            // its run, and the grant's change; no statement is prepared per row.
            let mut run_of =
                conn.prepare_cached("SELECT run_id FROM grants WHERE id = $1").map_err(backend)?;
            let mut ins = conn.prepare_cached(INSERT_RESULT_WITH_RUN).map_err(backend)?;
            let mut paid_st = conn.prepare_cached(sql::MARK_PAID).map_err(backend)?;
            let mut end = conn.prepare_cached(sql::END_LINE).map_err(backend)?;
            let (mut paid, mut failed, mut unknown) = (0u64, 0u64, 0u64);
            let mut runs = std::collections::BTreeSet::new();
            for r in &batch.rows {
                let run: Option<i64> =
                    run_of.query_row([r.grant], |x| x.get(0)).optional().map_err(backend)?;
                ins.execute(params![id, r.grant, run, r.date, r.voucher, fen(r.amount)?, r.ok, r.reason])
                    .map_err(backend)?;
                let Some(run) = run else {
                    unknown += 1;
                    continue;
                };
                runs.insert(run);
                if r.ok {
                    paid += paid_st.execute(params![r.date, r.voucher, r.grant]).map_err(backend)? as u64;
                } else {
                    failed += 1;
                    end.execute([r.grant]).map_err(backend)?;
                }
            }
            let detail = serde_json::json!({
                "batch": id, "file": batch.file_name, "rows": batch.rows.len(), "paid": paid,
                "failed": failed, "unknown": unknown,
            });
            if runs.is_empty() {
                append_event(conn, &batch.actor, None, None, "payment_results", &detail)?;
            }
            for run in runs {
                append_event(conn, &batch.actor, Some(run), None, "payment_results", &detail)?;
            }
            Ok(ImportedResults { batch: id, rows: batch.rows.len() as u64, paid, failed, unknown })
        })
        .await
    }

    async fn reconcile_inputs(
        &self,
        run: i64,
    ) -> Result<(Vec<::grants::Issued>, Vec<::grants::PaymentResult>)> {
        self.read(move |conn| {
            let issued = conn
                .prepare_cached(sql::ISSUED_OF_RUN)
                .and_then(|mut st| {
                    st.query_map([run], |r| {
                        Ok(::grants::Issued { grant: r.get(0)?, amount: yuan(r.get(1)?) })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)?;
            let results = conn
                .prepare_cached(sql::RESULTS_OF_RUN)
                .and_then(|mut st| st.query_map([run], result_row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)?;
            Ok((issued, results.into_iter().map(grants_result).collect()))
        })
        .await
    }

    async fn grant_events(&self, run: i64) -> Result<Vec<GrantEvent>> {
        self.read(move |conn| {
            let q = format!("SELECT {} FROM grant_events WHERE run_id = $1 ORDER BY seq", sql::EVENT_COLUMNS);
            conn.prepare(&q)
                .and_then(|mut st| st.query_map([run], event_row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)
        })
        .await
    }

    async fn verify_grant_chain(&self) -> Result<GrantChainReport> {
        self.read(move |conn| {
            let q = format!("SELECT {} FROM grant_events ORDER BY seq", sql::EVENT_COLUMNS);
            let events = conn
                .prepare(&q)
                .and_then(|mut st| st.query_map([], event_row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(backend)?;
            let head: (i64, String) =
                conn.query_row(sql::CHAIN_HEAD, [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
            Ok(grants::verify_grant_events(&events, head))
        })
        .await
    }
}

/// A stored result as the reconciliation reads it.
pub(crate) fn grants_result(r: ResultRow) -> ::grants::PaymentResult {
    ::grants::PaymentResult {
        grant: r.grant,
        date: r.date,
        voucher: r.voucher,
        amount: r.amount,
        ok: r.ok,
        reason: r.reason,
    }
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GrantEvent> {
    Ok(GrantEvent {
        seq: r.get(0)?,
        at: ts(r.get(1)?),
        actor: r.get(2)?,
        run_id: r.get(3)?,
        grant_id: r.get(4)?,
        action: r.get(5)?,
        detail: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use store::Store as _;
    use store::grants::{NewGrant, NewGrantRun, packed};

    /// A grant stored before migration 0032 keeps its basis text in its row and reads back as
    /// it was; a grant made since reads back from `grant_basis`, unpacked.
    #[test]
    fn bases_of_both_shapes_read_back() {
        let dir = tempfile::tempdir().unwrap();
        crate::tests::rt().block_on(async {
            let s = SqliteStore::open(dir.path().join("g.db")).unwrap();
            s.migrate().await.unwrap();
            let text = r#"{"amount":"5.00","item":"award"}"#;
            let (basis_dictionary, bodies) = packed::pack_all(&[text.as_bytes()]).unwrap();
            let at = DateTime::parse_from_rfc3339("2026-12-05T10:00:00+08:00").unwrap();
            let rec = s
                .record_grants(RecordGrants {
                    run: NewGrantRun {
                        item: "award".into(),
                        period: "2022".into(),
                        match_run: 1,
                        document_version: 1,
                        actor: Stamp::new("prep", at),
                    },
                    grants: vec![NewGrant {
                        enterprise_id: 1,
                        uscc: "91430100MA4L00011K".into(),
                        name: "企业".into(),
                        amount: Decimal::new(500, 2),
                        basis: bodies[0].clone(),
                        basis_hash: ::grants::basis::hash_of(text),
                    }],
                    basis_dictionary,
                    needs_data: Vec::new(),
                })
                .await
                .unwrap();
            let old = r#"{"amount":"7.00","item":"award","old":true}"#;
            let legacy: i64 = s
                .write(move |c| {
                    c.query_row(
                        "INSERT INTO grants (run_id, enterprise_id, uscc, name, item, period, amount_fen, state, \
                         basis, basis_hash, created_at) VALUES ($1, 2, '91430100MA4L00020Y', '旧', 'award', '2022', \
                         700, 'pending', $2, $3, '2026-12-01 10:00:00+08:00') RETURNING id",
                        params![rec.run, old, ::grants::basis::hash_of(old)],
                        |r| r.get(0),
                    )
                    .map_err(backend)
                })
                .await
                .unwrap();
            let grants = s.grants_of_run(rec.run, 0, 10).await.unwrap();
            let new = grants.iter().find(|g| g.enterprise_id == 1).unwrap().id;
            for (id, want) in [(new, text), (legacy, old)] {
                let d = s.grant(id).await.unwrap().unwrap();
                assert_eq!(d.basis, want);
                assert_eq!(::grants::basis::hash_of(&d.basis), d.grant.basis_hash);
            }
            // The packed basis is frozen: the database refuses to change it.
            let changed = s
                .write(move |c| c.execute("UPDATE grant_basis SET body = x'00' WHERE grant_id = $1", [new]).map_err(backend))
                .await;
            assert!(changed.is_err(), "{changed:?}");
        });
    }
}
