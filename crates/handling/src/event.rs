//! One recorded transition ([`Event`]): what the event log stores and the audit chain hashes
//! ([`Event::canonical_json`]), and the result of applying a command ([`Transition`]).

use chrono::{DateTime, FixedOffset};
use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};

use crate::HandlingError;
use crate::action::{Action, ActionKind};
use crate::actor::{Actor, Role};
use crate::state::{ProblemState, State};

/// One recorded transition. Its canonical serialisation ([`Event::canonical_json`]) is the
/// text the audit chain hashes: fields in declaration order, times as RFC 3339 in whole
/// seconds with their offset, no maps with unordered keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// 1, 2, 3, … within the problem.
    pub seq: u32,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub role: Role,
    /// The actor's department, for department staff.
    pub actor_department: Option<String>,
    /// The actor's enterprise, for enterprise users.
    pub actor_enterprise: Option<UnifiedCreditCode>,
    /// `None` only for the first event (submit).
    pub from: Option<State>,
    pub to: State,
    pub note: Option<String>,
    /// The action and its structured data: `{"action": "...", "payload": {...}}`.
    #[serde(flatten)]
    pub action: Action,
}

impl Event {
    pub fn kind(&self) -> ActionKind {
        self.action.kind()
    }

    /// The stable text that the audit chain hashes.
    pub fn canonical_json(&self) -> String {
        // Serialising plain structs and enums cannot fail; the fallback keeps this total.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The action's structured data alone (the `payload` column), `null` for bare actions.
    pub fn payload_json(&self) -> String {
        let v = serde_json::to_value(&self.action).unwrap_or_default();
        v.get("payload").map_or_else(|| "null".to_string(), |p| p.to_string())
    }

    /// Rebuilds an event from its stored columns.
    #[allow(clippy::too_many_arguments)]
    pub fn from_columns(
        seq: u32,
        at: DateTime<FixedOffset>,
        actor: &Actor,
        from: Option<State>,
        to: State,
        note: Option<String>,
        action: &str,
        payload_json: &str,
    ) -> Result<Event, HandlingError> {
        let bad = |reason: String| HandlingError::BadLog { seq, reason };
        let payload: serde_json::Value =
            serde_json::from_str(payload_json).map_err(|e| bad(format!("payload: {e}")))?;
        let mut obj = serde_json::Map::new();
        obj.insert("action".into(), serde_json::Value::String(action.to_string()));
        if !payload.is_null() {
            obj.insert("payload".into(), payload);
        }
        let action: Action = serde_json::from_value(serde_json::Value::Object(obj))
            .map_err(|e| bad(format!("action: {e}")))?;
        Ok(Event {
            seq,
            at,
            actor: actor.username.clone(),
            role: actor.role,
            actor_department: actor.department.clone(),
            actor_enterprise: actor.enterprise.clone(),
            from,
            to,
            note,
            action,
        })
    }

    /// The actor as recorded.
    pub fn actor(&self) -> Actor {
        Actor {
            username: self.actor.clone(),
            role: self.role,
            department: self.actor_department.clone(),
            enterprise: self.actor_enterprise.clone(),
        }
    }
}

/// The result of applying a command: the event to store and the new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub event: Event,
    pub state: ProblemState,
}
