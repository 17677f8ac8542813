//! The problem (诉求) as raised by an enterprise: what the 问题清单 lists. Validation of
//! user-typed fields happens in [`Problem::validate`]; the state machine never sees an
//! unchecked problem.

use chrono::{DateTime, FixedOffset};
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};

use crate::HandlingError;

/// Where a problem came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 企业百事通 self-service.
    SelfService,
    /// A cadre's visit (走访).
    Visit,
    /// The hotline.
    Hotline,
    /// A meeting (座谈会, 帮扶月 activities).
    Meeting,
    /// Found by a service in its records and raised by the system (服务台账: a utility
    /// provider's late fee charged against the 三.9 waiver, `app::utilities`).
    ServiceRecords,
}

impl Channel {
    /// Parses `self_service`, `self-service`, `visit`, `hotline`, `meeting` or the Chinese names.
    pub fn parse(s: &str) -> Result<Channel, HandlingError> {
        match s.trim().replace('-', "_").to_ascii_lowercase().as_str() {
            "self_service" | "企业自助" | "自助" => Ok(Channel::SelfService),
            "visit" | "走访" => Ok(Channel::Visit),
            "hotline" | "热线" => Ok(Channel::Hotline),
            "meeting" | "座谈" | "会议" => Ok(Channel::Meeting),
            "service_records" | "服务台账" | "台账" => Ok(Channel::ServiceRecords),
            _ => Err(HandlingError::BadValue {
                field: "channel",
                value: s.to_string(),
                expected: "self-service | visit | hotline | meeting | service-records",
            }),
        }
    }
}

/// Normal or urgent (急件). Urgent problems are accepted within hours, and urgent
/// logistics or utility problems answered within a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    Normal,
    Urgent,
}

impl Urgency {
    pub fn parse(s: &str) -> Result<Urgency, HandlingError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" | "一般" | "普通" => Ok(Urgency::Normal),
            "urgent" | "紧急" | "加急" => Ok(Urgency::Urgent),
            _ => Err(HandlingError::BadValue {
                field: "urgency",
                value: s.to_string(),
                expected: "normal | urgent",
            }),
        }
    }
}

/// A problem raised by an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub enterprise: UnifiedCreditCode,
    pub channel: Channel,
    /// The routing table's category code (`policy_questions`, `tax`, …).
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Attachment names or store ids; the files themselves live in the store.
    #[serde(default)]
    pub attachments: Vec<String>,
    #[serde(default)]
    pub urgency: Urgency,
    /// 商业秘密: only the enterprise, the assigned departments and supervisors see details.
    #[serde(default)]
    pub confidential: bool,
    pub received_at: DateTime<FixedOffset>,
    /// The visit that raised it, when the channel is `visit` (a store id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<String>,
}

/// The longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

impl Problem {
    /// Checks the user-typed fields: a title (1..=200 characters), a category present.
    pub fn validate(&self) -> Result<(), HandlingError> {
        let n = self.title.trim().chars().count();
        if n == 0 || n > MAX_TITLE_CHARS {
            return Err(HandlingError::BadTitle { chars: n, max: MAX_TITLE_CHARS });
        }
        if self.category.trim().is_empty() {
            return Err(HandlingError::UnknownCategory { category: self.category.clone() });
        }
        Ok(())
    }
}
