//! The plan's sixteen lines of help (三、帮扶重点 1–16) and the kinds of help the zone
//! records, with the line each kind counts under.
//!
//! A problem counts under the line of its category (the routing table's `plan` field:
//! `三.6` for 涉税, …); a paid grant under 三.4 (及时兑现政策资金), a match (eligible for an
//! item) under 三.1 (提升政策帮扶精准度), an inbox notice under 三.3 (政策解读宣传), a visit
//! under 三.2 (深化企业帮扶工作, 三联).

use serde::Serialize;

/// One of the plan's sixteen lines, `1..=16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Line(u8);

/// The plan's titles of the sixteen lines, in order.
const TITLES: [&str; 16] = [
    "提升政策帮扶精准度",
    "深化企业帮扶工作",
    "加强重点政策解读宣传",
    "及时兑现政策资金",
    "加快解决企业融资诉求",
    "加强涉税服务",
    "加强产业升级支持",
    "加大金融支持力度",
    "做好水电气供应保障",
    "推进人才供需对接",
    "持续优化产业链供应链服务",
    "协助畅通物流通道",
    "助力企业开拓市场",
    "加强应急公共法律服务",
    "促进企业管理提升",
    "实施企业信用修复",
];

impl Line {
    /// The line numbered `n` (1–16).
    pub fn new(n: u8) -> Option<Line> {
        (1..=16).contains(&n).then_some(Line(n))
    }

    /// Every line in order.
    pub fn all() -> impl Iterator<Item = Line> {
        (1..=16).map(Line)
    }

    pub fn number(self) -> u8 {
        self.0
    }

    /// The plan's title (Chinese).
    pub fn title(self) -> &'static str {
        TITLES[usize::from(self.0 - 1)]
    }

    /// `三.4 及时兑现政策资金`.
    pub fn label(self) -> String {
        format!("三.{} {}", self.0, self.title())
    }

    /// The line a category's `plan` text names: `三.6`, `三.16（经济发展局内设区社会信用办）`;
    /// `None` for `—` (其他) or anything else.
    pub fn from_plan(plan: &str) -> Option<Line> {
        let rest = plan.trim().strip_prefix("三.")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Line::new(digits.parse().ok()?)
    }

    /// The line of [`HelpKind::Matched`].
    pub const PRECISION: Line = Line(1);
    /// The line of [`HelpKind::Visited`].
    pub const VISITS: Line = Line(2);
    /// The line of [`HelpKind::Informed`].
    pub const PUBLICITY: Line = Line(3);
    /// The line of [`HelpKind::Granted`] and [`HelpKind::Paid`].
    pub const FUNDS: Line = Line(4);
}

/// What the zone did for an enterprise (one event of help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpKind {
    /// Found eligible for a policy item by a match run (匹配).
    Matched,
    /// Told of an item in its inbox (告知).
    Informed,
    /// Visited by its cadre (走访).
    Visited,
    /// A grant decided for it (approved or later: 核定).
    Granted,
    /// A grant paid (兑现到账).
    Paid,
    /// A problem of its closed as solved by its own word (问题解决).
    ProblemSolved,
    /// Came to an event (checked in: 参加活动), under the event kind's line (三.2 帮扶月,
    /// 三.3 宣讲, 三.8 政银企对接, 三.10 招聘会, 三.13 展会, 三.15 沙龙/培训).
    EventAttended,
}

impl HelpKind {
    pub const ALL: [HelpKind; 7] = [
        HelpKind::Matched,
        HelpKind::Informed,
        HelpKind::Visited,
        HelpKind::Granted,
        HelpKind::Paid,
        HelpKind::ProblemSolved,
        HelpKind::EventAttended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HelpKind::Matched => "matched",
            HelpKind::Informed => "informed",
            HelpKind::Visited => "visited",
            HelpKind::Granted => "granted",
            HelpKind::Paid => "paid",
            HelpKind::ProblemSolved => "problem_solved",
            HelpKind::EventAttended => "event_attended",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            HelpKind::Matched => "匹配符合",
            HelpKind::Informed => "推送告知",
            HelpKind::Visited => "走访",
            HelpKind::Granted => "核定兑现",
            HelpKind::Paid => "资金到账",
            HelpKind::ProblemSolved => "问题解决",
            HelpKind::EventAttended => "参加活动",
        }
    }

    /// Whether this kind is help an outcome is measured for: money paid, problems solved and
    /// visits. Matches and notices are reach only: being found eligible follows from the
    /// very facts an outcome compares, so the comparison would be biased by construction.
    /// Events attended are reach only too: an enterprise chooses to come, and those that
    /// choose are the active ones, a selection the comparison on size, industry, age and
    /// trend does not remove; counted, not credited with a change.
    pub fn has_outcome(self) -> bool {
        matches!(self, HelpKind::Paid | HelpKind::ProblemSolved | HelpKind::Visited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routing_tables_plan_texts_name_their_lines() {
        assert_eq!(Line::from_plan("三.6"), Line::new(6));
        assert_eq!(Line::from_plan("三.16（经济发展局内设区社会信用办）"), Line::new(16));
        assert_eq!(Line::from_plan("—"), None);
        assert_eq!(Line::from_plan("三.17"), None);
        assert_eq!(Line::new(4).map(|l| l.label()), Some("三.4 及时兑现政策资金".to_string()));
        assert_eq!(Line::all().count(), 16);
        // Every category of the seed names a line, except 其他.
        for c in &enterprise::Routing::seed().categories {
            assert_eq!(Line::from_plan(&c.plan).is_some(), c.code != "other", "{}", c.code);
        }
    }
}
