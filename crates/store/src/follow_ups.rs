//! Follow-ups of problems (`problem_follow_ups`, migration 0014): 督办 cases and consultation
//! decisions, each tracked like a problem (an owner, a deadline, its own light, done or not),
//! and the deadline changes a loaded calendar year made (read from the event log).
//!
//! The rows are a projection of the replayed state ([`FollowUp::of`]), rewritten with the
//! problem's projection in the same transaction as each event, so a department's page lists
//! what it owes across problems in one query.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use handling::{DeadlineChange, ProblemState, Warning};
use serde::Serialize;

use crate::problems::PResult;

/// What a follow-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum FollowUpKind {
    /// 督办: the lead department's reply is due.
    Escalation,
    /// 会商决定事项: the owner's action is due.
    Decision,
}

impl FollowUpKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<FollowUpKind> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            FollowUpKind::Escalation => "督办",
            FollowUpKind::Decision => "会商事项",
        }
    }
}

/// One follow-up as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub problem_id: i64,
    pub kind: FollowUpKind,
    /// Its number on the problem.
    pub no: u32,
    /// The department that must act.
    pub owner: String,
    /// The decision, or who escalated.
    pub text: String,
    pub opened_at: DateTime<FixedOffset>,
    pub due: NaiveDate,
    pub yellow_at: DateTime<FixedOffset>,
    pub red_at: DateTime<FixedOffset>,
    pub done_at: Option<DateTime<FixedOffset>>,
}

impl FollowUp {
    /// The follow-ups of a replayed state. An escalation is owed by the problem's current lead,
    /// and only while the problem is open (a closed or withdrawn problem has nothing left to
    /// reply to); a decision by its owner, whatever became of the problem but a withdrawal.
    pub fn of(problem_id: i64, s: &ProblemState) -> Vec<FollowUp> {
        let mut out = Vec::new();
        for c in &s.escalation_cases {
            if c.is_open() && !s.state.is_open() {
                continue;
            }
            {
                let w = handling::dated_warning_times(false, c.yellow_from, c.reply_by);
                out.push(FollowUp {
                    problem_id,
                    kind: FollowUpKind::Escalation,
                    no: c.no,
                    owner: s.lead.clone(),
                    text: c.by.clone(),
                    opened_at: handling::china_seconds(c.opened_at),
                    due: c.reply_by,
                    yellow_at: w.yellow_at.unwrap_or(c.opened_at),
                    red_at: w.red_at.unwrap_or(c.opened_at),
                    done_at: c.replied_at.map(handling::china_seconds),
                });
            }
        }
        if s.state != handling::State::Withdrawn {
            for d in &s.decisions {
                let w = handling::dated_warning_times(false, d.yellow_from, d.due);
                out.push(FollowUp {
                    problem_id,
                    kind: FollowUpKind::Decision,
                    no: d.no,
                    owner: d.owner.clone(),
                    text: d.text.clone(),
                    opened_at: handling::china_seconds(d.decided_at),
                    due: d.due,
                    yellow_at: w.yellow_at.unwrap_or(d.decided_at),
                    red_at: w.red_at.unwrap_or(d.decided_at),
                    done_at: d.done_at.map(handling::china_seconds),
                });
            }
        }
        out
    }

    /// Its light at `now` (none once done).
    pub fn warning(&self, now: DateTime<FixedOffset>) -> Warning {
        if self.done_at.is_some() {
            Warning::None
        } else {
            handling::WarningTimes { yellow_at: Some(self.yellow_at), red_at: Some(self.red_at) }.at(now)
        }
    }

    /// Done by the end of its due day.
    pub fn on_time(&self) -> Option<bool> {
        self.done_at.map(|t| store_date(t) <= self.due)
    }
}

fn store_date(t: DateTime<FixedOffset>) -> NaiveDate {
    crate::model::china_date(t)
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpFilter {
    /// The owning department (code).
    pub owner: Option<String>,
    pub kind: Option<FollowUpKind>,
    /// Only open (`true`) or only done (`false`) ones.
    pub open: Option<bool>,
    pub problem_id: Option<i64>,
}

impl FollowUpFilter {
    /// The query and its text parameters (`$1`, …), one text both dialects run; ordered open
    /// first, then by due date.
    pub fn query(&self) -> (String, Vec<String>) {
        let mut q = String::from(sql::SELECT);
        let mut vals = Vec::new();
        let mut conds = Vec::new();
        if let Some(o) = &self.owner {
            vals.push(o.clone());
            conds.push(format!("f.owner = ${}", vals.len()));
        }
        if let Some(k) = self.kind {
            vals.push(k.as_str().to_string());
            conds.push(format!("f.kind = ${}", vals.len()));
        }
        if let Some(id) = self.problem_id {
            vals.push(id.to_string());
            conds.push(format!("CAST(f.problem_id AS TEXT) = ${}", vals.len()));
        }
        match self.open {
            Some(true) => conds.push("f.done_at IS NULL".into()),
            Some(false) => conds.push("f.done_at IS NOT NULL".into()),
            None => {}
        }
        if !conds.is_empty() {
            q.push_str(&format!(" WHERE {}", conds.join(" AND ")));
        }
        q.push_str(
            " ORDER BY CASE WHEN f.done_at IS NULL THEN 0 ELSE 1 END, f.due, f.problem_id, f.kind, f.no",
        );
        (q, vals)
    }
}

/// A deadline change recorded when a calendar year was loaded: what the lead department is
/// told on its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineNotice {
    pub problem_id: i64,
    pub at: DateTime<FixedOffset>,
    pub lead_department: String,
    pub year: i32,
    pub notice: String,
    pub changes: Vec<DeadlineChange>,
}

/// Follow-ups and deadline notices in the store.
#[async_trait]
pub trait FollowUpStore: Send + Sync {
    /// The follow-ups matching the filter, open first, by due date.
    async fn follow_ups(&self, filter: &FollowUpFilter) -> PResult<Vec<FollowUp>>;

    /// The newest deadline changes made by calendar loads (`recompute_deadlines` events), for
    /// the problems one department leads (all for `None`), newest first, at most `limit`.
    async fn deadline_notices(&self, department: Option<&str>, limit: u32) -> PResult<Vec<DeadlineNotice>>;
}

/// SQL both dialects accept.
pub mod sql {
    pub const SELECT: &str = "SELECT f.problem_id, f.kind, f.no, f.owner, f.text, f.opened_at, f.due, \
         f.yellow_at, f.red_at, f.done_at FROM problem_follow_ups f";
    pub const DELETE_OF: &str = "DELETE FROM problem_follow_ups WHERE problem_id = $1";
    pub const INSERT: &str = "INSERT INTO problem_follow_ups (problem_id, kind, no, owner, text, opened_at, \
         due, yellow_at, red_at, done_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    /// Recompute events with their problem's lead, newest first (`$1`: the limit).
    pub const NOTICES_ALL: &str = "SELECT e.problem_id, e.at, p.lead_department, e.payload \
         FROM problem_events e JOIN problems p ON p.id = e.problem_id \
         WHERE e.action = 'recompute_deadlines' ORDER BY e.chain_seq DESC LIMIT $1";
    /// The same for the problems one department leads (`$1`: the department, `$2`: the limit).
    pub const NOTICES_OF: &str = "SELECT e.problem_id, e.at, p.lead_department, e.payload \
         FROM problem_events e JOIN problems p ON p.id = e.problem_id \
         WHERE e.action = 'recompute_deadlines' AND p.lead_department = $1 \
         ORDER BY e.chain_seq DESC LIMIT $2";
}

/// The payload of a stored `recompute_deadlines` event as a notice.
pub fn notice_of(
    problem_id: i64,
    at: DateTime<FixedOffset>,
    lead_department: String,
    payload: &str,
) -> PResult<DeadlineNotice> {
    #[derive(serde::Deserialize)]
    struct P {
        year: i32,
        notice: String,
        changes: Vec<DeadlineChange>,
    }
    let p: P = serde_json::from_str(payload)
        .map_err(|e| crate::problems::ProblemError::backend(format!("recompute payload: {e}")))?;
    Ok(DeadlineNotice { problem_id, at, lead_department, year: p.year, notice: p.notice, changes: p.changes })
}
