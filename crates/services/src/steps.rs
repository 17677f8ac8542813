//! Cases that advance through ordered steps with deadlines.
//!
//! - Credit repair (三.16 信用修复): a case per adverse record. The 社会信用办 organises free
//!   training; the enterprise attends, signs a commitment (信用承诺书), submits the repair
//!   application; the record's authority repairs it or refuses (with a reason). Each step has
//!   a deadline the caller sets on the zone calendar; [`RepairCase::late`] says which is late.
//! - 一企一对策 (三.7): an expert diagnosis turned into measures, each with an owner department,
//!   a deadline and a status; [`behind_schedule`] lists measures past their deadline and not
//!   done, and [`review_due`] the quarter-end reviews.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::Error;

/// The steps of a credit repair case, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum RepairStep {
    /// The adverse record is registered as a case (已立案).
    Recorded,
    /// The enterprise attended the repair training (已参加培训).
    TrainingAttended,
    /// It signed the credit commitment (已签署承诺).
    CommitmentSigned,
    /// It submitted the repair application (已提交申请).
    ApplicationSubmitted,
    /// Repaired (已修复): final.
    Repaired,
    /// Refused by the record's authority, with a reason (未通过): final.
    Refused,
}

impl RepairStep {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<RepairStep> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            RepairStep::Recorded => "已立案",
            RepairStep::TrainingAttended => "已参加培训",
            RepairStep::CommitmentSigned => "已签署承诺",
            RepairStep::ApplicationSubmitted => "已提交申请",
            RepairStep::Repaired => "已修复",
            RepairStep::Refused => "未通过",
        }
    }
    pub fn is_final(self) -> bool {
        matches!(self, RepairStep::Repaired | RepairStep::Refused)
    }
    /// The step that may follow this one (the last two are both possible after submitting).
    fn follows(self, next: RepairStep) -> bool {
        use RepairStep as S;
        matches!(
            (self, next),
            (S::Recorded, S::TrainingAttended)
                | (S::TrainingAttended, S::CommitmentSigned)
                | (S::CommitmentSigned, S::ApplicationSubmitted)
                | (S::ApplicationSubmitted, S::Repaired | S::Refused)
        )
    }
}

/// A credit repair case's progress: the steps done with their dates, and the deadline of
/// each step still to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairCase {
    pub done: Vec<(RepairStep, NaiveDate)>,
    /// Deadlines of the steps to come (training, commitment, application).
    pub deadlines: Vec<(RepairStep, NaiveDate)>,
}

impl RepairCase {
    pub fn new(recorded: NaiveDate, deadlines: Vec<(RepairStep, NaiveDate)>) -> RepairCase {
        RepairCase { done: vec![(RepairStep::Recorded, recorded)], deadlines }
    }

    pub fn current(&self) -> RepairStep {
        self.done.last().map_or(RepairStep::Recorded, |(s, _)| *s)
    }

    /// Records `step` done on `on`: only the next step in order.
    pub fn advance(&mut self, step: RepairStep, on: NaiveDate) -> Result<(), Error> {
        let now = self.current();
        if now.is_final() {
            return Err(Error::Finished);
        }
        if !now.follows(step) {
            return Err(Error::StepOutOfOrder { step: step.as_str() });
        }
        self.done.push((step, on));
        Ok(())
    }

    /// The next step's deadline if it has passed on `today` (a warning, like a problem's).
    pub fn late(&self, today: NaiveDate) -> Option<(RepairStep, NaiveDate)> {
        if self.current().is_final() {
            return None;
        }
        self.deadlines
            .iter()
            .find(|(s, _)| self.current().follows(*s))
            .filter(|(_, due)| *due < today)
            .copied()
    }
}

impl RepairCase {
    /// The steps that may be recorded now, in order (after the application: repaired or
    /// refused); none once the case is final.
    pub fn choices(&self) -> Vec<RepairStep> {
        use strum::IntoEnumIterator;
        let now = self.current();
        RepairStep::iter().filter(|s| !now.is_final() && now.follows(*s)).collect()
    }

    /// The step the case waits for: the enterprise's next task (training, commitment,
    /// application) or the authority's answer; `None` once repaired or refused.
    pub fn next(&self) -> Option<RepairStep> {
        use RepairStep as S;
        match self.current() {
            S::Recorded => Some(S::TrainingAttended),
            S::TrainingAttended => Some(S::CommitmentSigned),
            S::CommitmentSigned => Some(S::ApplicationSubmitted),
            S::ApplicationSubmitted => Some(S::Repaired),
            S::Repaired | S::Refused => None,
        }
    }
}

impl RepairStep {
    /// What the enterprise is told to do when this step is next (Chinese).
    pub fn todo_zh(self) -> &'static str {
        match self {
            RepairStep::Recorded => "等待立案",
            RepairStep::TrainingAttended => "参加区社会信用办组织的信用修复培训（免费）",
            RepairStep::CommitmentSigned => "签署并提交信用承诺书",
            RepairStep::ApplicationSubmitted => "向认定部门提交信用修复申请及材料",
            RepairStep::Repaired | RepairStep::Refused => "等待认定部门审核结果",
        }
    }
}

/// The kind of an adverse credit record (不良信用记录类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum RecordKind {
    /// 行政处罚.
    AdministrativePenalty,
    /// 经营异常名录.
    AbnormalOperation,
    /// 严重失信主体名单.
    SeriousDishonesty,
    Other,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// By its code or Chinese name.
    pub fn parse(s: &str) -> Option<RecordKind> {
        use strum::IntoEnumIterator;
        let t = s.trim();
        t.parse().ok().or_else(|| RecordKind::iter().find(|k| k.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            RecordKind::AdministrativePenalty => "行政处罚",
            RecordKind::AbnormalOperation => "经营异常",
            RecordKind::SeriousDishonesty => "严重失信",
            RecordKind::Other => "其他",
        }
    }
}

/// The zone's cultivation programmes (梯度培育专项计划) a 一企一对策 plan belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Programme {
    /// 倍增.
    Doubling,
    /// 领跑.
    Leading,
    /// 高成长.
    HighGrowth,
}

impl Programme {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// By its code or Chinese name (倍增, 倍增计划 …).
    pub fn parse(s: &str) -> Option<Programme> {
        use strum::IntoEnumIterator;
        let t = s.trim();
        let t = t.strip_suffix("计划").unwrap_or(t);
        t.parse().ok().or_else(|| Programme::iter().find(|k| k.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Programme::Doubling => "倍增",
            Programme::Leading => "领跑",
            Programme::HighGrowth => "高成长",
        }
    }
}

/// Where a 一企一对策 measure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum MeasureStatus {
    Planned,
    InProgress,
    Done,
    /// Dropped at a review, with the reason: not behind schedule any more.
    Dropped,
}

impl MeasureStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<MeasureStatus> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            MeasureStatus::Planned => "未开始",
            MeasureStatus::InProgress => "推进中",
            MeasureStatus::Done => "已完成",
            MeasureStatus::Dropped => "已调整取消",
        }
    }
}

impl MeasureStatus {
    /// Whether a measure may move from this status to `to`: planned → in progress, done or
    /// dropped; in progress → done or dropped; done and dropped are final. Staying in
    /// progress (a progress note) is allowed.
    pub fn may_become(self, to: MeasureStatus) -> bool {
        use MeasureStatus as M;
        matches!(
            (self, to),
            (M::Planned, M::InProgress | M::Done | M::Dropped)
                | (M::InProgress, M::InProgress | M::Done | M::Dropped)
        )
    }
    pub fn is_final(self) -> bool {
        matches!(self, MeasureStatus::Done | MeasureStatus::Dropped)
    }
}

/// One measure of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub id: i64,
    pub owner_department: String,
    pub deadline: NaiveDate,
    pub status: MeasureStatus,
}

/// Measures past their deadline on `today` and neither done nor dropped.
pub fn behind_schedule(measures: &[Measure], today: NaiveDate) -> Vec<&Measure> {
    measures
        .iter()
        .filter(|m| {
            matches!(m.status, MeasureStatus::Planned | MeasureStatus::InProgress) && m.deadline < today
        })
        .collect()
}

/// The quarterly review a plan started on `started` is due on: the last day of each quarter
/// after the one it started in; the next one on or after `today`.
pub fn review_due(started: NaiveDate, today: NaiveDate) -> NaiveDate {
    let quarter_end = |d: NaiveDate| {
        let q_last_month = ((d.month() - 1) / 3 + 1) * 3;
        let first_next = if q_last_month == 12 {
            NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(d.year(), q_last_month + 1, 1)
        };
        first_next.and_then(|n| n.pred_opt()).unwrap_or(d)
    };
    let first = quarter_end(started);
    let from = if today > first { today } else { first };
    let due = quarter_end(from);
    if due == started { quarter_end(due.succ_opt().unwrap_or(due)) } else { due }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn repair_goes_in_order_and_warns_when_late() {
        use RepairStep as S;
        let mut c = RepairCase::new(
            d(3, 1),
            vec![
                (S::TrainingAttended, d(3, 20)),
                (S::CommitmentSigned, d(3, 31)),
                (S::ApplicationSubmitted, d(4, 15)),
            ],
        );
        assert_eq!(
            c.advance(S::CommitmentSigned, d(3, 2)),
            Err(Error::StepOutOfOrder { step: "commitment_signed" })
        );
        assert_eq!(c.late(d(3, 20)), None);
        assert_eq!(c.late(d(3, 21)), Some((S::TrainingAttended, d(3, 20))));
        c.advance(S::TrainingAttended, d(3, 21)).unwrap();
        c.advance(S::CommitmentSigned, d(3, 22)).unwrap();
        c.advance(S::ApplicationSubmitted, d(3, 23)).unwrap();
        assert_eq!(c.late(d(12, 1)), None, "no deadline for the authority's answer here");
        c.advance(S::Refused, d(4, 2)).unwrap();
        assert_eq!(c.advance(S::Repaired, d(4, 3)), Err(Error::Finished));
    }

    #[test]
    fn measures_behind_and_reviews() {
        let m =
            |id, deadline, status| Measure {
                id, owner_department: "经济发展局".into(), deadline, status
            };
        let ms = [
            m(1, d(6, 30), MeasureStatus::InProgress),
            m(2, d(6, 30), MeasureStatus::Done),
            m(3, d(12, 31), MeasureStatus::Planned),
            m(4, d(5, 1), MeasureStatus::Dropped),
        ];
        assert_eq!(behind_schedule(&ms, d(7, 1)).iter().map(|m| m.id).collect::<Vec<_>>(), vec![1]);
        assert_eq!(review_due(d(2, 10), d(2, 11)), d(3, 31));
        assert_eq!(review_due(d(2, 10), d(4, 1)), d(6, 30));
        assert_eq!(
            review_due(d(3, 31), d(3, 31)),
            d(6, 30),
            "a plan made on a quarter's last day is reviewed next quarter"
        );
        assert_eq!(review_due(d(11, 5), d(12, 5)), d(12, 31));
    }

    #[test]
    fn what_comes_next_and_measure_moves() {
        use RepairStep as S;
        let mut c = RepairCase::new(d(3, 1), vec![]);
        assert_eq!(c.next(), Some(S::TrainingAttended));
        c.advance(S::TrainingAttended, d(3, 2)).unwrap();
        c.advance(S::CommitmentSigned, d(3, 3)).unwrap();
        c.advance(S::ApplicationSubmitted, d(3, 4)).unwrap();
        assert_eq!(c.next(), Some(S::Repaired));
        assert_eq!(c.choices(), vec![S::Repaired, S::Refused]);
        c.advance(S::Repaired, d(3, 5)).unwrap();
        assert_eq!(c.next(), None);
        assert!(c.choices().is_empty());
        use MeasureStatus as M;
        assert!(M::Planned.may_become(M::Done) && M::InProgress.may_become(M::InProgress));
        assert!(!M::Done.may_become(M::InProgress) && !M::Planned.may_become(M::Planned));
        assert_eq!(Programme::parse("倍增计划"), Some(Programme::Doubling));
        assert_eq!(Programme::parse("high_growth"), Some(Programme::HighGrowth));
        assert_eq!(RecordKind::parse("经营异常"), Some(RecordKind::AbnormalOperation));
        assert_eq!(RecordKind::parse("x"), None);
    }

    proptest! {
        /// The review is always a quarter's last day, on or after today and after the start.
        #[test]
        fn reviews_are_quarter_ends(s in 0i64..2000, t in 0i64..2000) {
            let base = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap();
            let started = base + chrono::Duration::days(s);
            let today = started + chrono::Duration::days(t);
            let due = review_due(started, today);
            prop_assert!(due >= today && due > started);
            let next = due.succ_opt().unwrap();
            prop_assert!(next.day() == 1 && matches!(next.month(), 1 | 4 | 7 | 10));
        }
    }
}
