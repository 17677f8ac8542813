//! Legal consultations (法律咨询, the plan's 三.14) in the store (migration 0040; issue 15): one
//! row per consultation with its question, the lawyer's answer, one follow-up and its answer,
//! how it ended, and the FAQ (常见问题) it became. What may happen next is decided in the use
//! case (`app::legal`, with `services::legal`); the store keeps what was decided. Every write
//! names the version read (an older version: [`StoreError::DocumentConflict`] with kind
//! `legal_consultation`) and is one transaction with its audit record in `reference_changes`
//! (entity `legal_consultation`). Turning an answer into an FAQ writes the content item, its
//! own audit record (entity `content`) and the link in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::FieldChange;
use serde::Serialize;
pub use services::legal::{Channel, State, Topic};

use crate::content::ContentItem;
use crate::{Result, Stamp, StoreError};

/// The audit entity.
pub const ENTITY: &str = "legal_consultation";

/// Length limits, in characters.
pub const MAX_QUESTION: usize = 2_000;
pub const MAX_ANSWER: usize = 5_000;
/// A withdrawal's reason, a confirmation's remark.
pub const MAX_NOTE: usize = 500;

/// A consultation as asked (or taken down at the hotline or a visit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewConsultation {
    pub enterprise_id: i64,
    pub channel: Channel,
    pub topic: Topic,
    pub question: String,
    /// Who asked: the enterprise's user, or the official who took the call.
    pub asked_by: String,
    pub asked_at: DateTime<FixedOffset>,
    /// The answer's due point and yellow time (`services::legal::due_times`).
    pub due_at: DateTime<FixedOffset>,
    pub yellow_at: DateTime<FixedOffset>,
    /// The lawyer it is given to at once (a lawyer taking the call), if any.
    pub lawyer: Option<String>,
    /// Answered at once (the lawyer answered on the phone): the answer and the day the
    /// enterprise's confirmation is due.
    pub answered: Option<(String, NaiveDate)>,
}

/// A stored consultation with its enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsultationRecord {
    pub id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub channel: Channel,
    pub topic: Topic,
    pub question: String,
    pub asked_by: String,
    pub asked_at: DateTime<FixedOffset>,
    /// The current round's due point (the follow-up's once one is asked).
    pub due_at: DateTime<FixedOffset>,
    pub yellow_at: DateTime<FixedOffset>,
    pub state: State,
    pub lawyer: Option<String>,
    pub answer: String,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<FixedOffset>>,
    /// The first answer met its due point.
    pub answered_in_time: Option<bool>,
    /// The day by which the enterprise confirms an answer; after it the consultation closes.
    pub confirm_by: Option<NaiveDate>,
    pub follow_up: String,
    pub follow_up_at: Option<DateTime<FixedOffset>>,
    pub follow_up_answer: String,
    pub follow_up_answered_by: Option<String>,
    pub follow_up_answered_at: Option<DateTime<FixedOffset>>,
    /// Who closed or withdrew it (`system` when nobody confirmed in time) and when.
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// The withdrawal's reason or the confirmation's remark.
    pub note: String,
    pub faq_content_id: Option<i64>,
    pub faq_at: Option<DateTime<FixedOffset>>,
    pub version: i64,
}

impl ConsultationRecord {
    /// Follow-ups asked so far.
    pub fn follow_ups(&self) -> u32 {
        u32::from(self.follow_up_at.is_some())
    }
}

/// Which consultations to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsultationFilter {
    pub enterprise_id: Option<i64>,
    pub state: Option<State>,
    pub lawyer: Option<String>,
}

/// A change of a consultation, written at the version read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ConsultationWrite {
    /// Given to a lawyer of the team.
    Assign { lawyer: String },
    /// Answered (the first question, or the follow-up when `follow_up`); the lawyer becomes
    /// the stamp's user.
    Answer { text: String, follow_up: bool, in_time: bool, confirm_by: NaiveDate },
    /// A follow-up question: open again with a new due point.
    FollowUp { text: String, due_at: DateTime<FixedOffset>, yellow_at: DateTime<FixedOffset> },
    /// The enterprise confirmed the answer (with a remark, maybe).
    Confirm { note: String },
    /// Nobody confirmed by `confirm_by`: closed by the system.
    AutoClose,
    /// Withdrawn by the enterprise before an answer.
    Withdraw { reason: String },
}

impl ConsultationWrite {
    /// The audit record's field, old and new values.
    pub fn audit(&self, before: &ConsultationRecord) -> FieldChange {
        let (field, old, new): (&str, Option<String>, Option<String>) = match self {
            ConsultationWrite::Assign { lawyer } => ("lawyer", before.lawyer.clone(), Some(lawyer.clone())),
            ConsultationWrite::Answer { text, follow_up: false, .. } => ("answer", None, Some(text.clone())),
            ConsultationWrite::Answer { text, follow_up: true, .. } => {
                ("follow_up_answer", None, Some(text.clone()))
            }
            ConsultationWrite::FollowUp { text, .. } => ("follow_up", None, Some(text.clone())),
            ConsultationWrite::Confirm { note } => {
                ("state", Some(before.state.as_str().into()), Some(format!("closed (confirmed) {note}")))
            }
            ConsultationWrite::AutoClose => {
                ("state", Some(before.state.as_str().into()), Some("closed (not confirmed in time)".into()))
            }
            ConsultationWrite::Withdraw { reason } => {
                ("state", Some(before.state.as_str().into()), Some(format!("withdrawn {reason}")))
            }
        };
        FieldChange { field: field.into(), old, new }
    }
}

/// The conflict error of a write against an older version.
pub fn conflict(id: i64, expected: i64, current: i64) -> StoreError {
    StoreError::DocumentConflict {
        kind: ENTITY.into(),
        name: id.to_string(),
        expected: expected.to_string(),
        current: current.to_string(),
    }
}

/// Texts both dialects accept (see `crate::sql` for the placeholder rule).
pub mod sql {
    pub const COLUMNS: &str = "c.id, c.enterprise_id, n.uscc, n.name, c.channel, c.topic, c.question, \
        c.asked_by, c.asked_at, c.due_at, c.yellow_at, c.state, c.lawyer, c.answer, c.answered_by, \
        c.answered_at, c.answered_in_time, c.confirm_by, c.follow_up, c.follow_up_at, c.follow_up_answer, \
        c.follow_up_answered_by, c.follow_up_answered_at, c.closed_by, c.closed_at, c.note, c.faq_content_id, \
        c.faq_at, c.version";
    pub const FROM: &str = "FROM legal_consultations c JOIN enterprises n ON n.id = c.enterprise_id";
    pub const INSERT: &str = "INSERT INTO legal_consultations (enterprise_id, channel, topic, question, asked_by, \
        asked_at, due_at, yellow_at, state, lawyer, answer, answered_by, answered_at, answered_in_time, \
        confirm_by, follow_up, follow_up_answer, note) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '', '', '') RETURNING id";
    pub const BUMP: &str =
        "UPDATE legal_consultations SET version = version + 1 WHERE id = $1 AND version = $2";
    pub const VERSION: &str = "SELECT version FROM legal_consultations WHERE id = $1";
    pub const ASSIGN: &str = "UPDATE legal_consultations SET lawyer = $1 WHERE id = $2";
    pub const ANSWER: &str = "UPDATE legal_consultations SET state = 'answered', answer = $1, answered_by = $2, \
        answered_at = $3, answered_in_time = $4, confirm_by = $5, lawyer = COALESCE(lawyer, $2) WHERE id = $6";
    pub const ANSWER_FOLLOW_UP: &str = "UPDATE legal_consultations SET state = 'answered', follow_up_answer = $1, \
        follow_up_answered_by = $2, follow_up_answered_at = $3, confirm_by = $4 WHERE id = $5";
    pub const FOLLOW_UP: &str = "UPDATE legal_consultations SET state = 'open', follow_up = $1, follow_up_at = $2, \
        due_at = $3, yellow_at = $4, confirm_by = NULL WHERE id = $5";
    pub const CLOSE: &str = "UPDATE legal_consultations SET state = $1, closed_by = $2, closed_at = $3, note = $4 \
        WHERE id = $5";
    pub const LINK_FAQ: &str = "UPDATE legal_consultations SET faq_content_id = $1, faq_at = $2 WHERE id = $3 AND faq_content_id IS NULL";
}

/// Legal consultations.
#[async_trait]
pub trait LegalStore: Send + Sync {
    /// Records a consultation (state `open`, or `answered` when answered at once); its id.
    async fn create_consultation(&self, c: &NewConsultation, stamp: &Stamp) -> Result<i64>;

    async fn consultation(&self, id: i64) -> Result<Option<ConsultationRecord>>;

    /// Consultations, newest first.
    async fn consultations(&self, filter: &ConsultationFilter) -> Result<Vec<ConsultationRecord>>;

    /// Applies a change if the consultation is still at `expected`; the new version.
    async fn write_consultation(
        &self,
        id: i64,
        expected: i64,
        w: &ConsultationWrite,
        stamp: &Stamp,
    ) -> Result<i64>;

    /// Creates the FAQ draft `item` (audited as content with `changes`) and links the
    /// consultation to it, in one transaction, if the consultation is still at `expected` and
    /// has no FAQ; the new content item.
    async fn create_faq_of_consultation(
        &self,
        id: i64,
        expected: i64,
        item: &ContentItem,
        changes: &[FieldChange],
        stamp: &Stamp,
    ) -> Result<ContentItem>;
}
