//! Utility arrears and the late-fee waiver (水电气欠费不断供、20 个工作日内补缴免收滞纳金, 三.9).
//!
//! The plan (三.9 做好水电气供应保障): "对市场主体实施'欠费不断供'。自欠费之日起,20个工作日内补缴齐
//! 欠费金额的市场主体,免收滞纳金。" An arrears record is a provider's claim on an enterprise for
//! water, electricity or gas on an arrears date. Its **waiver window** is 20 working days on the
//! zone calendar "自欠费之日起": as 民法典 第二百零一条 counts a period in days, the arrears date
//! itself does not count; day one is the first working day after it (调休 working days count,
//! holidays and weekends do not), and the window ends at the end of the 20th
//! ([`waiver_deadline`]). Paid in full on or before that day: no late fee may be charged.
//!
//! A record's [`ArrearsState`] on a day:
//! - `open`: unpaid, window not over;
//! - `waived` (waiver due): paid in the window, no late fee charged;
//! - `overdue`: window over, unpaid (a late fee is allowed);
//! - `paid_late`: paid after the window (a late fee is allowed);
//! - `violation`: a late fee charged for arrears paid in the window, or charged on a day inside
//!   the window (before the window had passed, whatever happened later).
//!
//! Pure: the caller passes the calendar and the day.

use calendar::{CalendarError, WorkCalendar};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// The working days of the waiver window (三.9: 20个工作日).
pub const WAIVER_WORKDAYS: u32 = 20;

/// Where the window comes from, as shown to users.
pub const WAIVER_SOURCE: &str = "方案三.9：自欠费之日起 20 个工作日内补缴齐欠费金额的，免收滞纳金；\
     期间按民法典第二百零一条自欠费次日起算（欠费当日不计入），按园区工作日历（含调休）计算";

/// Water, electricity or gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum UtilityKind {
    Water,
    Electricity,
    Gas,
}

impl UtilityKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// `water`, `electricity`, `gas`, or 水, 电, 气 (also 供水, 供电, 供气, 燃气, 水费, 电费, 气费).
    pub fn parse(s: &str) -> Option<UtilityKind> {
        let t = s.trim();
        match t {
            "水" | "供水" | "水费" | "自来水" => Some(UtilityKind::Water),
            "电" | "供电" | "电费" => Some(UtilityKind::Electricity),
            "气" | "供气" | "燃气" | "气费" | "天然气" => Some(UtilityKind::Gas),
            _ => t.to_ascii_lowercase().parse().ok(),
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            UtilityKind::Water => "水",
            UtilityKind::Electricity => "电",
            UtilityKind::Gas => "气",
        }
    }
}

/// What a record is on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ArrearsState {
    /// Unpaid, in the window (欠费未缴，免收期内).
    Open,
    /// Paid in the window, no late fee: the waiver applies (免收滞纳金).
    Waived,
    /// Unpaid after the window (逾期未缴，可收滞纳金).
    Overdue,
    /// Paid after the window (逾期补缴，可收滞纳金).
    PaidLate,
    /// A late fee charged where the waiver applies (违规收取滞纳金).
    Violation,
}

impl ArrearsState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<ArrearsState> {
        use strum::IntoEnumIterator;
        let t = s.trim();
        t.parse().ok().or_else(|| ArrearsState::iter().find(|k| k.label_zh() == t))
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ArrearsState::Open => "免收期内未缴",
            ArrearsState::Waived => "免收滞纳金",
            ArrearsState::Overdue => "逾期未缴",
            ArrearsState::PaidLate => "逾期补缴",
            ArrearsState::Violation => "违规收取滞纳金",
        }
    }
    /// The traffic light of an officer's list: green (nothing to do), amber (watch), red (act).
    pub fn light(self) -> &'static str {
        match self {
            ArrearsState::Waived | ArrearsState::PaidLate => "green",
            ArrearsState::Open | ArrearsState::Overdue => "amber",
            ArrearsState::Violation => "red",
        }
    }
}

/// Why a late fee is a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ViolationReason {
    /// The arrears were paid in the window: the fee is to be waived.
    PaidInWindow,
    /// The fee was charged on a day inside the window, before it was known whether the
    /// arrears would be paid in time.
    ChargedInWindow,
}

impl ViolationReason {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ViolationReason::PaidInWindow => "免收期内已补缴，仍收取滞纳金",
            ViolationReason::ChargedInWindow => "免收期内即收取滞纳金",
        }
    }
}

/// The facts of a record the waiver depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arrears {
    pub arrears_on: NaiveDate,
    /// The amount owed, in yuan (exact).
    pub amount: Decimal,
    /// The day the arrears were paid in full, if they were.
    pub paid_on: Option<NaiveDate>,
    /// The late fee the provider charged (0 or absent: none).
    pub late_fee: Option<Decimal>,
    /// The day it was charged.
    pub late_fee_on: Option<NaiveDate>,
}

/// A record's standing on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub state: ArrearsState,
    /// The last day of the waiver window.
    pub deadline: NaiveDate,
    pub violation: Option<ViolationReason>,
}

/// The last day of the waiver window of arrears dated `arrears_on`: the 20th working day
/// after it on the zone calendar (the arrears date itself not counted).
pub fn waiver_deadline(cal: &WorkCalendar, arrears_on: NaiveDate) -> Result<NaiveDate, CalendarError> {
    cal.add_workdays(arrears_on, WAIVER_WORKDAYS)
}

impl Arrears {
    /// Whether a late fee above zero was charged.
    pub fn fee_charged(&self) -> bool {
        self.late_fee.is_some_and(|f| f > Decimal::ZERO)
    }

    /// The standing on `today`, the window ending on `deadline` (see [`waiver_deadline`]).
    pub fn standing(&self, deadline: NaiveDate, today: NaiveDate) -> Standing {
        let paid_in_window = self.paid_on.is_some_and(|p| p <= deadline);
        let violation = if !self.fee_charged() {
            None
        } else if paid_in_window {
            Some(ViolationReason::PaidInWindow)
        } else if self.late_fee_on.is_some_and(|d| d <= deadline) {
            Some(ViolationReason::ChargedInWindow)
        } else {
            None
        };
        let state = match (violation, self.paid_on) {
            (Some(_), _) => ArrearsState::Violation,
            (None, Some(_)) if paid_in_window => ArrearsState::Waived,
            (None, Some(_)) => ArrearsState::PaidLate,
            (None, None) if today <= deadline => ArrearsState::Open,
            (None, None) => ArrearsState::Overdue,
        };
        Standing { state, deadline, violation }
    }
}

/// What is wrong with a record's facts (each a field and a bilingual reason).
pub fn check(a: &Arrears) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if a.amount <= Decimal::ZERO {
        out.push(("amount", "欠费金额须大于 0 / the amount must be above 0"));
    }
    if a.amount.normalize().scale() > 2 {
        out.push(("amount", "金额最多两位小数（分） / at most two decimals (fen)"));
    }
    if a.paid_on.is_some_and(|p| p < a.arrears_on) {
        out.push(("paid_on", "补缴日期不能早于欠费日期 / the paid date cannot be before the arrears date"));
    }
    if let Some(f) = a.late_fee {
        if f < Decimal::ZERO {
            out.push(("late_fee", "滞纳金不能为负数 / the late fee cannot be negative"));
        }
        if f.normalize().scale() > 2 {
            out.push(("late_fee", "金额最多两位小数（分） / at most two decimals (fen)"));
        }
    }
    if a.fee_charged() && a.late_fee_on.is_none() {
        out.push(("late_fee_on", "收取了滞纳金，须填写收取日期 / a late fee needs the day it was charged"));
    }
    if a.late_fee_on.is_some() && a.late_fee.is_none() {
        out.push(("late_fee", "填写了收取日期，须填写滞纳金金额 / a charge date needs the late fee"));
    }
    if a.late_fee_on.is_some_and(|d| d <= a.arrears_on) {
        out.push((
            "late_fee_on",
            "滞纳金收取日期须晚于欠费日期 / the late fee is charged after the arrears date",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::official()
    }

    fn arrears(on: &str) -> Arrears {
        Arrears { arrears_on: d(on), amount: dec!(1280.50), paid_on: None, late_fee: None, late_fee_on: None }
    }

    #[test]
    fn the_window_counts_from_the_next_working_day_with_makeup_days_and_without_holidays() {
        // 2022-04-20 (Wed). Working days after it: 4-21, 4-22, 4-24 (Sunday, 调休 for 劳动节),
        // 4-25 … 4-29, then 4-30 to 5-4 are the holiday, 5-5, 5-6, 5-7 (Saturday, 调休), 5-9 …
        // 5-13, 5-16 … 5-19: the 20th is 2022-05-19.
        assert_eq!(waiver_deadline(cal(), d("2022-04-20")).unwrap(), d("2022-05-19"));
        // 2022-04-01 (Fri): 4-2 (Saturday, 调休 for 清明) is day one; 4-3 to 4-5 the holiday.
        let deadline = waiver_deadline(cal(), d("2022-04-01")).unwrap();
        assert_eq!(cal().workdays_between(d("2022-04-01"), d("2022-04-02")).unwrap(), 1);
        assert_eq!(deadline, d("2022-04-29"));
        // Arrears dated on a holiday (2022-10-03, 国庆): day one is 10-8 (Saturday, 调休).
        assert_eq!(cal().add_workdays(d("2022-10-03"), 1).unwrap(), d("2022-10-08"));
        assert_eq!(waiver_deadline(cal(), d("2022-10-03")).unwrap(), d("2022-11-02"));
    }

    #[test]
    fn both_edges_of_the_window() {
        let deadline = waiver_deadline(cal(), d("2022-04-20")).unwrap();
        let mut a = arrears("2022-04-20");
        // Paid on the arrears date itself: in the window.
        a.paid_on = Some(d("2022-04-20"));
        assert_eq!(a.standing(deadline, d("2022-06-30")).state, ArrearsState::Waived);
        // Paid on the 20th working day: in the window.
        a.paid_on = Some(d("2022-05-19"));
        assert_eq!(a.standing(deadline, d("2022-06-30")).state, ArrearsState::Waived);
        // The next day (the 21st working day): late, a fee is allowed.
        a.paid_on = Some(d("2022-05-20"));
        a.late_fee = Some(dec!(12.81));
        a.late_fee_on = Some(d("2022-05-20"));
        assert_eq!(a.standing(deadline, d("2022-06-30")).state, ArrearsState::PaidLate);
        // Unpaid: open through the deadline, overdue the day after.
        let u = arrears("2022-04-20");
        assert_eq!(u.standing(deadline, d("2022-05-19")).state, ArrearsState::Open);
        assert_eq!(u.standing(deadline, d("2022-05-20")).state, ArrearsState::Overdue);
    }

    #[test]
    fn a_fee_for_arrears_paid_in_the_window_or_charged_inside_it_is_a_violation() {
        let deadline = waiver_deadline(cal(), d("2022-04-20")).unwrap();
        let mut a = arrears("2022-04-20");
        a.paid_on = Some(d("2022-05-10"));
        a.late_fee = Some(dec!(3.20));
        a.late_fee_on = Some(d("2022-05-31"));
        let s = a.standing(deadline, d("2022-06-30"));
        assert_eq!((s.state, s.violation), (ArrearsState::Violation, Some(ViolationReason::PaidInWindow)));
        // Charged on the deadline, paid later: charged inside the window.
        a.paid_on = Some(d("2022-06-01"));
        a.late_fee_on = Some(d("2022-05-19"));
        let s = a.standing(deadline, d("2022-06-30"));
        assert_eq!((s.state, s.violation), (ArrearsState::Violation, Some(ViolationReason::ChargedInWindow)));
        // Charged inside the window and still unpaid.
        a.paid_on = None;
        assert_eq!(a.standing(deadline, d("2022-05-12")).state, ArrearsState::Violation);
        // A fee of 0 is no fee.
        a.late_fee = Some(dec!(0));
        a.paid_on = Some(d("2022-05-10"));
        assert_eq!(a.standing(deadline, d("2022-06-30")).state, ArrearsState::Waived);
    }

    #[test]
    fn checks_name_each_bad_field() {
        let mut a = arrears("2022-04-20");
        assert!(check(&a).is_empty());
        a.amount = dec!(-1);
        a.paid_on = Some(d("2022-04-19"));
        a.late_fee = Some(dec!(1.234));
        let fields: Vec<&str> = check(&a).iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["amount", "paid_on", "late_fee", "late_fee_on"]);
        assert!(check(&a).iter().all(|(_, r)| r.contains(" / ")));
        a = arrears("2022-04-20");
        a.amount = dec!(12.50000);
        assert!(check(&a).is_empty(), "trailing zeros are still two decimals");
    }

    #[test]
    fn kinds_read_chinese_and_english() {
        assert_eq!(UtilityKind::parse("电"), Some(UtilityKind::Electricity));
        assert_eq!(UtilityKind::parse("燃气"), Some(UtilityKind::Gas));
        assert_eq!(UtilityKind::parse(" Water "), Some(UtilityKind::Water));
        assert_eq!(UtilityKind::parse("steam"), None);
        assert_eq!(ArrearsState::parse("逾期未缴"), Some(ArrearsState::Overdue));
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (0u64..1_400).prop_map(|n| d("2019-01-01") + chrono::Days::new(n))
    }

    proptest! {
        /// The window holds exactly 20 working days after the arrears date, and ends on one.
        #[test]
        fn the_window_is_twenty_working_days(on in day()) {
            let deadline = waiver_deadline(cal(), on).unwrap();
            prop_assert!(cal().is_workday(deadline).unwrap());
            prop_assert_eq!(cal().workdays_between(on, deadline).unwrap(), 20);
        }

        /// Paid by the deadline: never a fee allowed; a fee then is always a violation. Paid
        /// after it with a fee charged after it: never a violation.
        #[test]
        fn paid_by_the_deadline_means_no_fee(
            on in day(), paid_after in 0u64..60, fee_after in 1u64..90, fee_cents in 0i64..100_000,
        ) {
            let deadline = waiver_deadline(cal(), on).unwrap();
            let paid = on + chrono::Days::new(paid_after);
            let fee_on = on + chrono::Days::new(fee_after);
            let a = Arrears {
                arrears_on: on,
                amount: dec!(100),
                paid_on: Some(paid),
                late_fee: Some(Decimal::new(fee_cents, 2)),
                late_fee_on: Some(fee_on),
            };
            let s = a.standing(deadline, paid + chrono::Days::new(100));
            let violation = fee_cents > 0 && (paid <= deadline || fee_on <= deadline);
            prop_assert_eq!(s.state == ArrearsState::Violation, violation);
            if !violation {
                let expected = if paid <= deadline { ArrearsState::Waived } else { ArrearsState::PaidLate };
                prop_assert_eq!(s.state, expected);
            }
        }

        /// An unpaid record without a fee is open until the deadline and overdue after it.
        #[test]
        fn unpaid_is_open_then_overdue(on in day(), after in 0u64..80) {
            let deadline = waiver_deadline(cal(), on).unwrap();
            let today = on + chrono::Days::new(after);
            let a = Arrears { arrears_on: on, amount: dec!(1), paid_on: None, late_fee: None, late_fee_on: None };
            let expected = if today <= deadline { ArrearsState::Open } else { ArrearsState::Overdue };
            prop_assert_eq!(a.standing(deadline, today).state, expected);
        }
    }
}
