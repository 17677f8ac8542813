//! Time limits (办理时限) as editable data: `data/time_limits.toml` holds the defaults. A
//! problem keeps a snapshot ([`AppliedLimits`]) taken when it is received, so that editing
//! the data never moves an existing problem's deadlines and its event log replays alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{HandlingError, Urgency};

/// One limit: working days on the Chinese calendar, or clock hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The N-th working day after the day received (which does not count), by the end of it.
    Workdays(u32),
    /// N clock hours from the moment received.
    Hours(u32),
}

impl Limit {
    fn check(&self, what: &str) -> Result<(), HandlingError> {
        match self {
            Limit::Workdays(0) | Limit::Hours(0) => {
                Err(HandlingError::BadLimits { reason: format!("{what}: a limit must be at least 1") })
            }
            Limit::Workdays(n) if *n > 250 => {
                Err(HandlingError::BadLimits { reason: format!("{what}: {n} working days is over a year") })
            }
            Limit::Hours(n) if *n > 24 * 366 => {
                Err(HandlingError::BadLimits { reason: format!("{what}: {n} hours is over a year") })
            }
            _ => Ok(()),
        }
    }
}

/// A limit for normal and for urgent problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByUrgency {
    pub normal: Limit,
    pub urgent: Limit,
}

impl ByUrgency {
    pub fn get(&self, u: Urgency) -> Limit {
        match u {
            Urgency::Normal => self.normal,
            Urgency::Urgent => self.urgent,
        }
    }
}

/// The zone's time limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeLimits {
    pub yellow_percent: u32,
    pub objection_workdays: u32,
    pub report_workdays: u32,
    pub confirm_workdays: u32,
    pub max_extensions_per_round: u32,
    pub accept: ByUrgency,
    /// Category code → its own acceptance limit, for the categories whose problems must be
    /// taken up faster than the rest (物流受阻, in clock hours); the others use `accept`.
    /// Absent in limits written before it existed (issue 15), which still parse.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accept_by_category: BTreeMap<String, ByUrgency>,
    /// Category code → answer limit; `default` for the rest.
    pub answer: BTreeMap<String, ByUrgency>,
}

/// The limits one problem runs under, fixed when it is received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedLimits {
    pub accept: Limit,
    pub answer: Limit,
    pub yellow_percent: u32,
    pub objection_workdays: u32,
    pub report_workdays: u32,
    pub confirm_workdays: u32,
    pub max_extensions_per_round: u32,
}

impl TimeLimits {
    /// Parses and checks a limits file: every limit at least 1, a `default` answer limit,
    /// `yellow_percent` in 1..=99, the day counts at least 1.
    pub fn parse(text: &str) -> Result<TimeLimits, HandlingError> {
        let t: TimeLimits =
            toml::from_str(text).map_err(|e| HandlingError::BadLimits { reason: e.to_string() })?;
        if !(1..=99).contains(&t.yellow_percent) {
            return Err(HandlingError::BadLimits {
                reason: format!("yellow_percent {} must be between 1 and 99", t.yellow_percent),
            });
        }
        for (what, n) in [
            ("objection_workdays", t.objection_workdays),
            ("report_workdays", t.report_workdays),
            ("confirm_workdays", t.confirm_workdays),
        ] {
            Limit::Workdays(n).check(what)?;
        }
        t.accept.normal.check("accept.normal")?;
        t.accept.urgent.check("accept.urgent")?;
        for (k, v) in &t.accept_by_category {
            v.normal.check(&format!("accept_by_category.{k}.normal"))?;
            v.urgent.check(&format!("accept_by_category.{k}.urgent"))?;
        }
        if !t.answer.contains_key("default") {
            return Err(HandlingError::BadLimits { reason: "answer.default is missing".into() });
        }
        for (k, v) in &t.answer {
            v.normal.check(&format!("answer.{k}.normal"))?;
            v.urgent.check(&format!("answer.{k}.urgent"))?;
        }
        Ok(t)
    }

    /// The defaults embedded in this crate (`data/time_limits.toml`).
    pub fn defaults() -> &'static TimeLimits {
        static T: std::sync::OnceLock<TimeLimits> = std::sync::OnceLock::new();
        T.get_or_init(|| {
            // Embedded data, checked by this crate's tests.
            #[allow(clippy::expect_used)]
            TimeLimits::parse(include_str!("../data/time_limits.toml")).expect("embedded limits parse")
        })
    }

    /// Category codes with their own answer or acceptance limit that the routing table does
    /// not know, each once.
    pub fn unknown_categories(&self, routing: &enterprise::Routing) -> Vec<String> {
        let codes: std::collections::BTreeSet<&String> =
            self.answer.keys().chain(self.accept_by_category.keys()).collect();
        codes
            .into_iter()
            .filter(|k| k.as_str() != "default" && !routing.categories.iter().any(|c| &c.code == *k))
            .cloned()
            .collect()
    }

    /// The acceptance limits of a category: its own (`accept_by_category`) or the zone's.
    pub fn accept_of(&self, category: &str) -> ByUrgency {
        self.accept_by_category.get(category).copied().unwrap_or(self.accept)
    }

    /// The limits for a problem of this category and urgency.
    pub fn applied(&self, category: &str, urgency: Urgency) -> AppliedLimits {
        let answer = self.answer.get(category).or_else(|| self.answer.get("default"));
        AppliedLimits {
            accept: self.accept_of(category).get(urgency),
            // `parse` guarantees a default; a hand-built value without one falls back to 7.
            answer: answer.map(|a| a.get(urgency)).unwrap_or(Limit::Workdays(7)),
            yellow_percent: self.yellow_percent,
            objection_workdays: self.objection_workdays,
            report_workdays: self.report_workdays,
            confirm_workdays: self.confirm_workdays,
            max_extensions_per_round: self.max_extensions_per_round,
        }
    }
}
