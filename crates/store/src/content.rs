//! Policy consultation in the store (migration 0021): the content officials write (政策解读
//! interpretations, 常见问题 FAQs, 办事指南 service guides, 典型案例 exemplary cases), the zone's
//! search synonyms, the search log (what enterprises searched and whether they opened a
//! result: "questions without answers"), self-service answers ("this solved it"), the
//! governance items a leader makes of a common problem (共性问题) and the notices their
//! closing sends to the member enterprises.
//!
//! Every content write is one transaction with its audit records in `reference_changes`
//! (entity `content`, key the content's id; entity `synonyms` for synonym groups; entity
//! `governance` for governance items). A content write names the version it was made
//! against: a write against an older version is refused ([`StoreError::DocumentConflict`]
//! with kind `content`), so two officers' edits never overwrite each other.
//!
//! What it leaves out: who may write what and the review rule (a second person publishes:
//! `app::content`), the search index (the `search` crate, fed by `app::search`).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use enterprise::FieldChange;
use serde::{Deserialize, Serialize};

use crate::{Result, Stamp, StoreError};

/// What a content item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// 政策解读.
    Interpretation,
    /// 常见问题: the title is the question, the body the answer.
    Faq,
    /// 办事指南: where, documents, time limit, fees, contact ([`GuideDetails`]).
    Guide,
    /// 典型案例: a closed problem told anonymously, with the enterprise's consent
    /// ([`CaseDetails`]).
    Case,
}

impl ContentKind {
    pub const ALL: [ContentKind; 4] =
        [ContentKind::Interpretation, ContentKind::Faq, ContentKind::Guide, ContentKind::Case];

    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Interpretation => "interpretation",
            ContentKind::Faq => "faq",
            ContentKind::Guide => "guide",
            ContentKind::Case => "case",
        }
    }

    /// The code or the Chinese name.
    pub fn parse(s: &str) -> Option<ContentKind> {
        let s = s.trim();
        ContentKind::ALL.into_iter().find(|k| k.as_str() == s || k.label_zh() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ContentKind::Interpretation => "政策解读",
            ContentKind::Faq => "常见问题",
            ContentKind::Guide => "办事指南",
            ContentKind::Case => "典型案例",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ContentKind::Interpretation => "interpretation",
            ContentKind::Faq => "FAQ",
            ContentKind::Guide => "service guide",
            ContentKind::Case => "exemplary case",
        }
    }
}

/// Where a content item is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentState {
    /// Being written; only officials see it.
    Draft,
    /// Submitted for review by a second person.
    InReview,
    /// Published: every signed-in user reads it and search finds it.
    Published,
    /// Taken down; kept with its history.
    Withdrawn,
}

impl ContentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentState::Draft => "draft",
            ContentState::InReview => "in_review",
            ContentState::Published => "published",
            ContentState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<ContentState> {
        [ContentState::Draft, ContentState::InReview, ContentState::Published, ContentState::Withdrawn]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ContentState::Draft => "草稿",
            ContentState::InReview => "待审核",
            ContentState::Published => "已发布",
            ContentState::Withdrawn => "已撤回",
        }
    }
}

/// A service guide's practical details (办事指南).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideDetails {
    /// 办理地点 (a window, an online service).
    #[serde(rename = "where")]
    pub place: String,
    /// 申请材料, one per entry.
    pub documents: Vec<String>,
    /// 办理时限.
    pub time_limit: String,
    /// 收费标准 (usually 不收费).
    pub fees: String,
    /// 咨询电话 or contact office.
    pub contact: String,
}

/// An exemplary case's provenance (典型案例): the closed problem it tells and the enterprise's
/// recorded consent to publish it (anonymised).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetails {
    /// The closed problem it was made from (none for a case written from an offline file).
    pub problem: Option<i64>,
    /// Who at the enterprise consented.
    pub consent_by: String,
    /// When they consented.
    pub consent_on: Option<NaiveDate>,
    /// How (a signed form, a recorded call, …).
    pub consent_note: String,
}

/// The kind-specific part of a content item, kept as JSON in `details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide: Option<GuideDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseDetails>,
}

/// One content item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentItem {
    pub id: i64,
    pub kind: ContentKind,
    pub title: String,
    pub body: String,
    /// The responsible department's code.
    pub department: String,
    /// The plan line it serves (`三.3`), may be empty.
    pub plan_line: String,
    pub tags: Vec<String>,
    /// The policy items it explains (item ids of the policy library).
    pub items: Vec<String>,
    pub details: Details,
    pub state: ContentState,
    /// 1 when created, +1 on every write.
    pub version: i64,
    pub author: String,
    /// Who published it (never the author).
    pub reviewer: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub published_at: Option<DateTime<FixedOffset>>,
}

impl ContentItem {
    /// The JSON columns' texts (tags, items, details).
    pub fn json_columns(&self) -> Result<(String, String, String)> {
        let j = |e: serde_json::Error| StoreError::Backend(format!("content json: {e}"));
        Ok((
            serde_json::to_string(&self.tags).map_err(j)?,
            serde_json::to_string(&self.items).map_err(j)?,
            serde_json::to_string(&self.details).map_err(j)?,
        ))
    }
}

/// A stored row before its JSON columns are read.
#[derive(Debug, Clone)]
pub struct RawContent {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub department: String,
    pub plan_line: String,
    pub tags: String,
    pub items: String,
    pub details: String,
    pub state: String,
    pub version: i64,
    pub author: String,
    pub reviewer: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub published_at: Option<DateTime<FixedOffset>>,
}

impl RawContent {
    pub fn parse(self) -> Result<ContentItem> {
        let bad = |what: &str| StoreError::Backend(format!("content_items row {}: bad {what}", self.id));
        let kind = ContentKind::parse(&self.kind).ok_or_else(|| bad("kind"))?;
        let state = ContentState::parse(&self.state).ok_or_else(|| bad("state"))?;
        let tags = serde_json::from_str(&self.tags).map_err(|_| bad("tags"))?;
        let items = serde_json::from_str(&self.items).map_err(|_| bad("items"))?;
        let details = serde_json::from_str(&self.details).map_err(|_| bad("details"))?;
        let china = crate::china_offset();
        Ok(ContentItem {
            id: self.id,
            kind,
            title: self.title,
            body: self.body,
            department: self.department,
            plan_line: self.plan_line,
            tags,
            items,
            details,
            state,
            version: self.version,
            author: self.author,
            reviewer: self.reviewer,
            created_at: self.created_at.with_timezone(&china),
            updated_at: self.updated_at.with_timezone(&china),
            published_at: self.published_at.map(|t| t.with_timezone(&china)),
        })
    }
}

/// A group of terms a search treats as one (留抵 ↔ 留抵退税).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SynonymGroup {
    pub id: i64,
    pub terms: Vec<String>,
}

impl SynonymGroup {
    /// The stored text: the terms separated by single spaces.
    pub fn text(terms: &[String]) -> String {
        terms.join(" ")
    }

    pub fn of(id: i64, text: &str) -> SynonymGroup {
        SynonymGroup { id, terms: text.split_whitespace().map(str::to_string).collect() }
    }
}

/// One search as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchLogEntry {
    pub username: String,
    /// The searcher's role code: only enterprises' searches make "questions without answers".
    pub role: String,
    pub query: String,
    pub hits: i64,
    pub at: DateTime<FixedOffset>,
}

/// A query enterprises searched without opening any result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnansweredQuery {
    pub query: String,
    /// How many such searches.
    pub count: i64,
    /// The fewest results any of them had (0: nothing found at all).
    pub min_hits: i64,
    pub last_at: DateTime<FixedOffset>,
}

/// An enterprise's "this solved it" (自助解决): the answer it chose instead of raising a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfServiceAnswer {
    pub username: String,
    pub enterprise: Option<String>,
    /// What it was typing.
    pub query: String,
    /// The kind of the result (`faq`, `guide`, `item`, `problem`, …).
    pub kind: String,
    /// The result's id.
    pub target: String,
    pub at: DateTime<FixedOffset>,
}

/// A governance item (共性问题治理): a leader's answer to a group of similar open problems,
/// with its owner department and deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GovernanceItem {
    pub id: i64,
    pub title: String,
    /// The owning department's code.
    pub owner: String,
    pub due: NaiveDate,
    /// The member problems' ids.
    pub members: Vec<i64>,
    pub open: bool,
    pub created_by: String,
    pub created_at: DateTime<FixedOffset>,
    pub resolution: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<FixedOffset>>,
}

/// A notice to an enterprise (shown on its home page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnterpriseNotice {
    pub id: i64,
    pub enterprise: String,
    pub at: DateTime<FixedOffset>,
    pub problem_id: Option<i64>,
    pub text: String,
}

/// A problem as the search index reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemSearchRow {
    pub id: i64,
    pub uscc: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub confidential: bool,
    pub state: String,
    pub lead_department: String,
    /// JSON array of department codes.
    pub cooperating: String,
    pub received_at: DateTime<FixedOffset>,
    pub last_seq: i64,
}

/// One audit record of content, synonyms or governance items (a row of `reference_changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub key: String,
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The content, synonyms, search log, self-service answers and governance items.
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// Writes a content item: a new one (`expected: None`; the stored id and version 1 are
    /// returned) or a new version of `item.id` made against `expected` (refused with
    /// [`StoreError::DocumentConflict`] when the stored version differs), with one audit record
    /// per change, in one transaction.
    async fn save_content(
        &self,
        item: &ContentItem,
        expected: Option<i64>,
        changes: &[FieldChange],
        stamp: &Stamp,
    ) -> Result<ContentItem>;

    async fn content(&self, id: i64) -> Result<Option<ContentItem>>;

    /// The audit records of an entity ([`CONTENT_ENTITY`], …), of one key when given, oldest
    /// first, at most `limit`.
    async fn audit_records(&self, entity: &str, key: Option<&str>, limit: u32) -> Result<Vec<AuditRecord>>;

    /// Every content item, by id.
    async fn all_content(&self) -> Result<Vec<ContentItem>>;

    /// What changes with every content write: (count, sum of versions).
    async fn content_fingerprint(&self) -> Result<(i64, i64)>;

    async fn synonym_groups(&self) -> Result<Vec<SynonymGroup>>;

    /// Adds a group (`id: None`) or replaces one, audited.
    async fn save_synonym_group(
        &self,
        id: Option<i64>,
        terms: &[String],
        stamp: &Stamp,
    ) -> Result<SynonymGroup>;

    /// Deletes a group, audited; false if there was none.
    async fn delete_synonym_group(&self, id: i64, stamp: &Stamp) -> Result<bool>;

    /// Logs a search; returns its id (for the click).
    async fn log_search(&self, entry: &SearchLogEntry) -> Result<i64>;

    /// Records the result opened from a logged search of `username`; false if no such search.
    async fn log_search_click(&self, id: i64, username: &str, kind: &str, target: &str) -> Result<bool>;

    /// Enterprises' queries with no result opened, most frequent first.
    async fn unanswered_queries(&self, limit: u32) -> Result<Vec<UnansweredQuery>>;

    async fn record_self_service(&self, answer: &SelfServiceAnswer) -> Result<i64>;

    /// Self-service answers in `[from, to)`, by kind: (kind, count).
    async fn self_service_counts(
        &self,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<(String, i64)>>;

    /// Problems changed after `after_seq` (their `last_seq`), in `last_seq` order, at most
    /// `limit`.
    async fn problems_for_search(&self, after_seq: i64, limit: u32) -> Result<Vec<ProblemSearchRow>>;

    /// Creates a governance item, audited.
    async fn create_governance(&self, item: &GovernanceItem, stamp: &Stamp) -> Result<GovernanceItem>;

    /// Closes an open governance item with its resolution and writes one notice per member
    /// enterprise, in one transaction; false if it was not open.
    async fn close_governance(
        &self,
        id: i64,
        resolution: &str,
        notices: &[(String, Option<i64>, String)],
        stamp: &Stamp,
    ) -> Result<bool>;

    async fn governance_items(&self) -> Result<Vec<GovernanceItem>>;

    /// An enterprise's notices, newest first.
    async fn enterprise_notices(&self, uscc: &str, limit: u32) -> Result<Vec<EnterpriseNotice>>;
}

/// The audit records of a content write.
pub const CONTENT_ENTITY: &str = "content";
pub const SYNONYM_ENTITY: &str = "synonyms";
pub const GOVERNANCE_ENTITY: &str = "governance";

/// SQL both dialects accept.
pub mod sql {
    pub const COLUMNS: &str = "id, kind, title, body, department, plan_line, tags, items, details, state, \
         version, author, reviewer, created_at, updated_at, published_at";
    pub const INSERT: &str = "INSERT INTO content_items (kind, title, body, department, plan_line, tags, items, \
         details, state, version, author, reviewer, created_at, updated_at, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13, $14) RETURNING id";
    pub const UPDATE: &str = "UPDATE content_items SET kind = $1, title = $2, body = $3, department = $4, \
         plan_line = $5, tags = $6, items = $7, details = $8, state = $9, version = version + 1, \
         reviewer = $10, updated_at = $11, published_at = $12 WHERE id = $13 AND version = $14";
    pub const AUDIT_OF: &str = "SELECT at, actor, key, field, old, new FROM reference_changes \
         WHERE entity = $1 AND key = $2 ORDER BY id LIMIT $3";
    pub const AUDIT_ALL: &str = "SELECT at, actor, key, field, old, new FROM reference_changes \
         WHERE entity = $1 ORDER BY id LIMIT $2";
    pub const VERSION_OF: &str = "SELECT version FROM content_items WHERE id = $1";
    pub const FINGERPRINT: &str =
        "SELECT COUNT(*), CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM content_items";
    pub const SYNONYMS: &str = "SELECT id, terms FROM search_synonyms ORDER BY id";
    pub const SYNONYM_OF: &str = "SELECT terms FROM search_synonyms WHERE id = $1";
    pub const INSERT_SYNONYM: &str = "INSERT INTO search_synonyms (terms) VALUES ($1) RETURNING id";
    pub const UPDATE_SYNONYM: &str = "UPDATE search_synonyms SET terms = $1 WHERE id = $2";
    pub const DELETE_SYNONYM: &str = "DELETE FROM search_synonyms WHERE id = $1";
    pub const INSERT_SEARCH: &str =
        "INSERT INTO search_log (at, username, role, query, hits) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    pub const CLICK: &str =
        "UPDATE search_log SET clicked_kind = $1, clicked_id = $2 WHERE id = $3 AND username = $4";
    pub const UNANSWERED: &str = "SELECT query, COUNT(*), MIN(hits), MAX(at) FROM search_log \
         WHERE role = 'enterprise' AND clicked_id IS NULL GROUP BY query \
         ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT $1";
    pub const INSERT_SELF_SERVICE: &str = "INSERT INTO self_service_answers (at, username, enterprise, query, kind, \
         target) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub const SELF_SERVICE_COUNTS: &str = "SELECT kind, COUNT(*) FROM self_service_answers \
         WHERE at >= $1 AND at < $2 GROUP BY kind ORDER BY kind";
    pub const PROBLEMS_FOR_SEARCH: &str = "SELECT p.id, e.uscc, p.category, p.title, p.description, \
         p.confidential, p.state, p.lead_department, p.cooperating, p.received_at, p.last_seq \
         FROM problems p JOIN enterprises e ON e.id = p.enterprise_id \
         WHERE p.last_seq > $1 ORDER BY p.last_seq LIMIT $2";
    pub const GOVERNANCE_COLUMNS: &str =
        "id, title, owner, due, members, state, created_by, created_at, resolution, closed_by, closed_at";
    pub const INSERT_GOVERNANCE: &str = "INSERT INTO governance_items (title, owner, due, members, state, \
         created_by, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id";
    pub const CLOSE_GOVERNANCE: &str = "UPDATE governance_items SET state = 'closed', resolution = $1, \
         closed_by = $2, closed_at = $3 WHERE id = $4 AND state = 'open'";
    pub const INSERT_NOTICE: &str =
        "INSERT INTO enterprise_notices (enterprise, at, problem_id, text) VALUES ($1, $2, $3, $4)";
    pub const NOTICES_OF: &str = "SELECT id, enterprise, at, problem_id, text FROM enterprise_notices \
         WHERE enterprise = $1 ORDER BY id DESC LIMIT $2";
}

/// The conflict error of a content write.
pub fn conflict(id: i64, expected: i64, current: Option<i64>) -> StoreError {
    match current {
        Some(c) => StoreError::DocumentConflict {
            kind: "content".into(),
            name: id.to_string(),
            expected: expected.to_string(),
            current: c.to_string(),
        },
        None => StoreError::DocumentNotFound { kind: "content".into(), name: id.to_string() },
    }
}

/// A governance item's members as stored (a JSON array).
pub fn members_json(members: &[i64]) -> Result<String> {
    serde_json::to_string(members).map_err(|e| StoreError::Backend(format!("governance members: {e}")))
}

/// A governance item's members from its JSON column.
pub fn members_of(id: i64, text: &str) -> Result<Vec<i64>> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Backend(format!("governance_items row {id}: members {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_states_round_trip() {
        for k in ContentKind::ALL {
            assert_eq!(ContentKind::parse(k.as_str()), Some(k));
            assert_eq!(ContentKind::parse(k.label_zh()), Some(k));
        }
        assert_eq!(ContentKind::parse("news"), None);
        for s in ["draft", "in_review", "published", "withdrawn"] {
            assert_eq!(ContentState::parse(s).map(ContentState::as_str), Some(s));
        }
    }

    #[test]
    fn guide_details_serialise_with_where() {
        let d = Details {
            guide: Some(GuideDetails { place: "政务服务中心".into(), ..Default::default() }),
            case: None,
        };
        let j = serde_json::to_string(&d).unwrap();
        assert!(j.contains("\"where\":\"政务服务中心\""), "{j}");
        assert_eq!(serde_json::from_str::<Details>(&j).unwrap(), d);
    }
}
