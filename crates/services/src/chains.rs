//! Supply chains (三.11 产业链供应链) and logistics (三.12 物流保通保畅), the pure half.
//!
//! - An enterprise's [`Position`] on a chain (上游/中游/下游) with what it supplies.
//! - A supply demand (an enterprise needs a part or a service) is matched to the zone's
//!   suppliers by shared terms ([`match_suppliers`]): the caller tokenises the demand and each
//!   supplier's chain name, products and tags (jieba, `search::cluster::terms`) and passes the
//!   terms in; a supplier matches when it shares at least one term with the demand, and the
//!   match names the shared terms (its explanation). Longer shared terms weigh more (液压油缸
//!   says more than 油缸), so the best suppliers come first.
//! - An introduction (对接) of a supplier to the demand, with its [`Outcome`]; a demand is
//!   [`DemandState::Open`] until the first introduction and behind when it has none after
//!   its due date ([`is_behind`]).
//! - The [`LogisticsMode`]s of key enterprises (公路/铁路/水运/航空/快递).

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeSet;

/// Where an enterprise sits on a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Position {
    /// 上游: raw materials, parts.
    Upstream,
    /// 中游: components, assembly.
    Midstream,
    /// 下游: finished products, services, sales.
    Downstream,
}

impl Position {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// `upstream` or 上游 (and the others alike).
    pub fn parse(s: &str) -> Option<Position> {
        use strum::IntoEnumIterator;
        let t = s.trim();
        t.parse().ok().or_else(|| Position::iter().find(|p| p.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Position::Upstream => "上游",
            Position::Midstream => "中游",
            Position::Downstream => "下游",
        }
    }
}

/// Where a supply demand stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DemandState {
    /// Posted, no supplier introduced yet (待对接).
    Open,
    /// At least one supplier introduced (已对接).
    Introduced,
    /// Closed by the officer or withdrawn by the enterprise (已办结), with a reason.
    Closed,
}

impl DemandState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<DemandState> {
        use strum::IntoEnumIterator;
        let t = s.trim();
        t.parse().ok().or_else(|| DemandState::iter().find(|p| p.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            DemandState::Open => "待对接",
            DemandState::Introduced => "已对接",
            DemandState::Closed => "已办结",
        }
    }
}

/// How an introduction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    /// Introduced, no result yet (洽谈中).
    Pending,
    /// They agreed to supply (达成合作).
    Agreed,
    /// No agreement (未达成).
    NotAgreed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        use strum::IntoEnumIterator;
        let t = s.trim();
        t.parse().ok().or_else(|| Outcome::iter().find(|p| p.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Outcome::Pending => "洽谈中",
            Outcome::Agreed => "达成合作",
            Outcome::NotAgreed => "未达成",
        }
    }
}

/// A key enterprise's main logistics mode (主要物流方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum LogisticsMode {
    Road,
    Rail,
    Water,
    Air,
    Express,
}

impl LogisticsMode {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<LogisticsMode> {
        use strum::IntoEnumIterator;
        let t = s.trim();
        t.parse().ok().or_else(|| LogisticsMode::iter().find(|p| p.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            LogisticsMode::Road => "公路",
            LogisticsMode::Rail => "铁路",
            LogisticsMode::Water => "水运",
            LogisticsMode::Air => "航空",
            LogisticsMode::Express => "快递",
        }
    }
}

/// A supplier the matching weighs: its key (the caller's, e.g. the enterprise id) and the
/// terms of its chain names, products and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplier<K> {
    pub key: K,
    pub terms: Vec<String>,
}

/// A supplier matched to a demand: the terms they share (the explanation), best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match<K> {
    pub key: K,
    pub shared: Vec<String>,
    /// The sum of the shared terms' lengths in characters.
    pub score: u32,
}

/// The suppliers sharing a term with the demand, best first (score, then more terms, then
/// key order); at most `limit`. Terms are compared as given (the caller lower-cases).
pub fn match_suppliers<K: Clone + Ord>(
    demand: &[String],
    suppliers: &[Supplier<K>],
    limit: usize,
) -> Vec<Match<K>> {
    let wanted: BTreeSet<&str> = demand.iter().map(String::as_str).filter(|t| !t.is_empty()).collect();
    let mut out: Vec<Match<K>> = suppliers
        .iter()
        .filter_map(|s| {
            let have: BTreeSet<&str> = s.terms.iter().map(String::as_str).collect();
            let shared: Vec<String> = wanted.intersection(&have).map(|t| t.to_string()).collect();
            if shared.is_empty() {
                return None;
            }
            let score = shared.iter().map(|t| t.chars().count() as u32).sum();
            Some(Match { key: s.key.clone(), shared, score })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score.cmp(&a.score).then(b.shared.len().cmp(&a.shared.len())).then(a.key.cmp(&b.key))
    });
    out.truncate(limit);
    out
}

/// A demand is behind when it is not closed, has no introduction, and today is past the day
/// its first introduction was due.
pub fn is_behind(state: DemandState, introduction_due: NaiveDate, today: NaiveDate) -> bool {
    state == DemandState::Open && today > introduction_due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(s: &[&str]) -> Vec<String> {
        s.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn labels_parse_both_ways() {
        use strum::IntoEnumIterator;
        for p in Position::iter() {
            assert_eq!(Position::parse(p.as_str()), Some(p));
            assert_eq!(Position::parse(p.label_zh()), Some(p));
        }
        for m in LogisticsMode::iter() {
            assert_eq!(LogisticsMode::parse(m.label_zh()), Some(m));
        }
        for o in Outcome::iter() {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Position::parse("旁游"), None);
    }

    #[test]
    fn suppliers_sharing_more_and_longer_terms_come_first() {
        let demand = terms(&["液压", "油缸", "液压油缸", "密封件"]);
        let s = vec![
            Supplier { key: 1, terms: terms(&["油缸"]) },
            Supplier { key: 2, terms: terms(&["液压", "油缸", "液压油缸"]) },
            Supplier { key: 3, terms: terms(&["钢材"]) },
            Supplier { key: 4, terms: terms(&["密封件", "橡胶"]) },
        ];
        let m = match_suppliers(&demand, &s, 10);
        assert_eq!(m.iter().map(|m| m.key).collect::<Vec<_>>(), vec![2, 4, 1]);
        assert_eq!(m[0].shared, terms(&["油缸", "液压", "液压油缸"]));
        assert_eq!(m[0].score, 8);
        assert_eq!(match_suppliers(&demand, &s, 1).len(), 1);
        assert!(match_suppliers(&[], &s, 10).is_empty());
    }

    #[test]
    fn behind_only_open_demands_past_their_due_day() {
        let due = NaiveDate::from_ymd_opt(2022, 6, 10).unwrap_or_default();
        let after = NaiveDate::from_ymd_opt(2022, 6, 11).unwrap_or_default();
        assert!(!is_behind(DemandState::Open, due, due));
        assert!(is_behind(DemandState::Open, due, after));
        assert!(!is_behind(DemandState::Introduced, due, after));
        assert!(!is_behind(DemandState::Closed, due, after));
    }
}
