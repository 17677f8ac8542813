//! Emergency public legal services (应急公共法律服务, the plan's 三.14), the pure half: a legal
//! consultation (法律咨询) an enterprise asks online or an official takes at the hotline or a
//! visit, answered by the lawyer team (律师团队) within the zone's limit.
//!
//! - [`Topic`]: the closed list of topics, from the plan's own words (对疫情期间市场交易、招工用工、
//!   合同履约等共性问题进行讲解) plus 知识产权 (trademarks and patents, asked often by the zone's
//!   technology firms) and 其他.
//! - [`Channel`]: 热线 (the hotline the plan opens), 线上 (online), 现场 (a visit or the window).
//! - [`State`] and [`next`]: open (待答复) → answered (已答复) → closed (已办结: the enterprise
//!   confirmed, or nobody did within the confirmation window); withdrawn (已撤回) while open
//!   and never answered.
//!   A follow-up question (追问) reopens an answered consultation **once** ([`MAX_FOLLOW_UPS`]):
//!   a second one is a new consultation, so that one record holds one question and its
//!   clarification, and the lawyer's time limit starts again from the follow-up.
//! - [`due_times`]: when the answer is due and when its light turns yellow, from the zone's
//!   limit ([`handling::Limit`]: working days on the zone calendar incl. 调休, or clock hours)
//!   by the three lists' own clock arithmetic ([`handling::Clock`]), so a consultation and a
//!   problem with the same limit fall due at the same moment. [`warning`]: yellow and red
//!   like problems, only while the consultation waits for the lawyer.
//!
//! What it leaves out: who may act (the app's), storing, and the clock (`now` is passed in).

use calendar::WorkCalendar;
use chrono::{DateTime, Duration, FixedOffset};
use handling::{Clock, Due, HandlingError, Limit, Warning, china_day_start, china_seconds};
use serde::Serialize;

use crate::Error;

/// A question may be reopened by this many follow-ups.
pub const MAX_FOLLOW_UPS: u32 = 1;

/// What a consultation is about (a closed list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Topic {
    /// 合同履约: performing contracts, force majeure, delays and penalties.
    Contract,
    /// 招工用工: hiring, wages during quarantine, social insurance, dismissal.
    Labour,
    /// 市场交易: trade, rents, payments, debts between firms.
    Trade,
    /// 知识产权: trademarks, patents, copyrights, trade secrets.
    Ip,
    /// 其他.
    Other,
}

/// How a consultation came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    /// 热线: the emergency legal hotline; taken down by an official.
    Hotline,
    /// 线上: asked by the enterprise's own user.
    Online,
    /// 现场: at a visit, a lecture or the service window; taken down by an official.
    Visit,
}

/// Where a consultation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum State {
    /// Waiting for the lawyer's answer (待答复); its clock runs.
    Open,
    /// Answered; waiting for the enterprise's confirmation or follow-up (已答复).
    Answered,
    /// Confirmed by the enterprise, or closed when nobody confirmed in time (已办结): final.
    Closed,
    /// Withdrawn by the enterprise before an answer (已撤回): final.
    Withdrawn,
}

/// What can happen to a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    /// The legal office gives it to a lawyer of the team (分派); the state stays.
    Assign,
    /// The lawyer answers (答复).
    Answer,
    /// The enterprise confirms the answer (确认).
    Confirm,
    /// The enterprise asks a follow-up question (追问): reopens it, once.
    FollowUp,
    /// The enterprise withdraws it before an answer (撤回).
    Withdraw,
    /// Nobody confirmed within the confirmation window (逾期自动办结).
    AutoClose,
}

macro_rules! names {
    ($t:ty, $($v:ident => $zh:literal),* $(,)?) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
            pub fn label_zh(self) -> &'static str {
                match self {
                    $(<$t>::$v => $zh,)*
                }
            }
            /// The code (`contract`) or the Chinese label (合同履约).
            pub fn parse(s: &str) -> Option<$t> {
                use strum::IntoEnumIterator;
                let t = s.trim();
                t.parse().ok().or_else(|| <$t>::iter().find(|x| x.label_zh() == t))
            }
        }
    };
}

names!(Topic, Contract => "合同履约", Labour => "招工用工", Trade => "市场交易", Ip => "知识产权", Other => "其他");
names!(Channel, Hotline => "热线", Online => "线上", Visit => "现场");
names!(State, Open => "待答复", Answered => "已答复", Closed => "已办结", Withdrawn => "已撤回");
names!(
    Action,
    Assign => "分派律师",
    Answer => "答复",
    Confirm => "确认",
    FollowUp => "追问",
    Withdraw => "撤回",
    AutoClose => "自动办结",
);

impl State {
    pub fn is_final(self) -> bool {
        matches!(self, State::Closed | State::Withdrawn)
    }
}

/// The state after `action` from `state` when `follow_ups` follow-ups were asked before, or
/// why not.
pub fn next(state: State, follow_ups: u32, action: Action) -> Result<State, Error> {
    use Action as A;
    use State as S;
    Ok(match (state, action) {
        (S::Open, A::Assign) => S::Open,
        (S::Open, A::Answer) => S::Answered,
        // After a follow-up the question was answered once: it is confirmed, not withdrawn.
        (S::Open, A::Withdraw) if follow_ups == 0 => S::Withdrawn,
        (S::Answered, A::Confirm | A::AutoClose) => S::Closed,
        (S::Answered, A::FollowUp) if follow_ups < MAX_FOLLOW_UPS => S::Open,
        _ => {
            return Err(Error::ConsultationTransition { state: state.label_zh(), action: action.label_zh() });
        }
    })
}

/// Who acts on a consultation, as far as the machine cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The enterprise (its user, or an official acting for it at the hotline).
    Enterprise,
    /// A lawyer of the team.
    Lawyer,
    /// The legal office (assigns).
    Office,
}

/// The actions `party` may take now, in the order pages offer them.
pub fn choices(state: State, follow_ups: u32, party: Party) -> Vec<Action> {
    let mine: &[Action] = match party {
        Party::Enterprise => &[Action::Confirm, Action::FollowUp, Action::Withdraw],
        Party::Lawyer => &[Action::Answer],
        Party::Office => &[Action::Assign],
    };
    mine.iter().copied().filter(|a| next(state, follow_ups, *a).is_ok()).collect()
}

/// When an answer is due and when its light turns yellow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DueTimes {
    /// The due point: the end of the due day (23:59:59) for a limit in working days, the
    /// moment itself for one in hours. Overdue once `now` is past it.
    pub due_at: DateTime<FixedOffset>,
    /// From when the light is yellow.
    pub yellow_at: DateTime<FixedOffset>,
}

/// The answer's due times for a question asked (or followed up) at `asked_at`, under the
/// zone's `limit`: the N-th working day after the day asked (which does not count) on the
/// calendar `cal`, by the end of it; or N clock hours. Yellow once `yellow_percent` of the
/// time is used, as for problems.
pub fn due_times(
    limit: Limit,
    asked_at: DateTime<FixedOffset>,
    yellow_percent: u32,
    cal: &WorkCalendar,
) -> Result<DueTimes, HandlingError> {
    let clock = Clock::start(limit, asked_at, yellow_percent, cal)?;
    let due_at = match clock.due {
        Due::Date(d) => china_day_start(d + Duration::days(1)) - Duration::seconds(1),
        Due::At(t) => china_seconds(t),
    };
    let yellow_at = clock.warning_times().yellow_at.unwrap_or(due_at).min(due_at);
    Ok(DueTimes { due_at, yellow_at })
}

/// The light of a consultation at `now`: only an open one (waiting for the lawyer) lights;
/// red once past its due point, yellow from its yellow time.
pub fn warning(state: State, due: &DueTimes, now: DateTime<FixedOffset>) -> Warning {
    let now = china_seconds(now);
    if state != State::Open {
        Warning::None
    } else if now > due.due_at {
        Warning::Red
    } else if now >= due.yellow_at {
        Warning::Yellow
    } else {
        Warning::None
    }
}

/// Whether an answer given at `answered_at` met its due point.
pub fn on_time(due_at: DateTime<FixedOffset>, answered_at: DateTime<FixedOffset>) -> bool {
    china_seconds(answered_at) <= due_at
}

/// Reads a limit as an admin writes it: `2 个工作日`, `2工作日`, `2 workdays`, `48 小时`,
/// `48h`, `48 hours`. At most 30 working days or 240 hours.
pub fn parse_limit(text: &str) -> Option<Limit> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let n: u32 = digits.parse().ok()?;
    let unit = &t[digits.len()..];
    let limit = match unit {
        "个工作日" | "工作日" | "workdays" | "workday" | "workingdays" | "workingday" | "d" => {
            Limit::Workdays(n)
        }
        "小时" | "个小时" | "hours" | "hour" | "h" => Limit::Hours(n),
        _ => return None,
    };
    match limit {
        Limit::Workdays(1..=30) | Limit::Hours(1..=240) => Some(limit),
        _ => None,
    }
}

/// A limit as the settings document writes it (`2 个工作日`, `48 小时`).
pub fn limit_text(limit: Limit) -> String {
    match limit {
        Limit::Workdays(n) => format!("{n} 个工作日"),
        Limit::Hours(n) => format!("{n} 小时"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;
    use strum::IntoEnumIterator;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<FixedOffset> {
        handling::china().with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
    }

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::standard()
    }

    #[test]
    fn labels_parse_both_ways() {
        for t in Topic::iter() {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
            assert_eq!(Topic::parse(t.label_zh()), Some(t));
        }
        for c in Channel::iter() {
            assert_eq!(Channel::parse(c.label_zh()), Some(c));
        }
        for s in State::iter() {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(Topic::parse("税务"), None);
        assert_eq!(Channel::parse(" 热线 "), Some(Channel::Hotline));
    }

    #[test]
    fn the_life_of_a_consultation() {
        use Action as A;
        use State as S;
        assert_eq!(next(S::Open, 0, A::Assign), Ok(S::Open));
        assert_eq!(next(S::Open, 0, A::Answer), Ok(S::Answered));
        assert_eq!(next(S::Answered, 0, A::FollowUp), Ok(S::Open));
        assert_eq!(next(S::Open, 1, A::Answer), Ok(S::Answered));
        assert!(next(S::Answered, 1, A::FollowUp).is_err(), "a follow-up reopens once");
        assert_eq!(next(S::Answered, 1, A::Confirm), Ok(S::Closed));
        assert_eq!(next(S::Answered, 1, A::AutoClose), Ok(S::Closed));
        assert_eq!(next(S::Open, 0, A::Withdraw), Ok(S::Withdrawn));
        assert!(next(S::Open, 1, A::Withdraw).is_err(), "a follow-up is not withdrawn");
        assert!(
            next(S::Answered, 0, A::Withdraw).is_err(),
            "an answered question is confirmed, not withdrawn"
        );
        assert!(next(S::Open, 0, A::Confirm).is_err(), "nothing to confirm before an answer");
        assert_eq!(
            next(S::Closed, 0, A::Answer),
            Err(Error::ConsultationTransition { state: "已办结", action: "答复" })
        );
    }

    #[test]
    fn each_party_is_offered_only_what_the_state_allows() {
        assert_eq!(choices(State::Open, 0, Party::Enterprise), vec![Action::Withdraw]);
        assert_eq!(choices(State::Answered, 0, Party::Enterprise), vec![Action::Confirm, Action::FollowUp]);
        assert_eq!(choices(State::Answered, 1, Party::Enterprise), vec![Action::Confirm]);
        assert_eq!(choices(State::Open, 0, Party::Lawyer), vec![Action::Answer]);
        assert!(choices(State::Answered, 0, Party::Lawyer).is_empty());
        assert_eq!(choices(State::Open, 1, Party::Office), vec![Action::Assign]);
        for p in [Party::Enterprise, Party::Lawyer, Party::Office] {
            assert!(choices(State::Closed, 0, p).is_empty() && choices(State::Withdrawn, 0, p).is_empty());
        }
    }

    #[test]
    fn two_working_days_skip_the_weekend() {
        // Friday 2022-06-10 afternoon: Monday 13th is the first working day, Tuesday 14th
        // the second; due by the end of it. Yellow (80 % of 2 days leaves 0) on the due day.
        let d = due_times(Limit::Workdays(2), at(2022, 6, 10, 15, 30), 80, cal()).unwrap();
        assert_eq!(d.due_at, at(2022, 6, 14, 23, 59) + Duration::seconds(59));
        assert_eq!(d.yellow_at, at(2022, 6, 14, 0, 0));
        assert_eq!(warning(State::Open, &d, at(2022, 6, 13, 18, 0)), Warning::None);
        assert_eq!(warning(State::Open, &d, at(2022, 6, 14, 9, 0)), Warning::Yellow);
        assert_eq!(warning(State::Open, &d, at(2022, 6, 15, 0, 0)), Warning::Red);
        assert_eq!(warning(State::Answered, &d, at(2022, 6, 20, 0, 0)), Warning::None);
        assert!(on_time(d.due_at, at(2022, 6, 14, 23, 59)));
        assert!(!on_time(d.due_at, at(2022, 6, 15, 0, 0)));
    }

    #[test]
    fn a_makeup_saturday_counts_and_a_holiday_does_not() {
        // Friday 2022-05-06: Saturday 7 May was a working day (调休 for 劳动节), so two working
        // days end on Monday 9 May, not Tuesday.
        let d = due_times(Limit::Workdays(2), at(2022, 5, 6, 10, 0), 80, cal()).unwrap();
        assert_eq!(d.due_at.date_naive(), NaiveDate::from_ymd_opt(2022, 5, 9).unwrap());
        // Asked on 29 April (Friday before the holiday 30 April – 4 May): the first working
        // day is 5 May, the second 6 May.
        let d = due_times(Limit::Workdays(2), at(2022, 4, 29, 10, 0), 80, cal()).unwrap();
        assert_eq!(d.due_at.date_naive(), NaiveDate::from_ymd_opt(2022, 5, 6).unwrap());
        // Five working days from 2022-04-22 (Fri): Sun 24 (调休), Mon 25 … Thu 28.
        let d = due_times(Limit::Workdays(5), at(2022, 4, 22, 10, 0), 80, cal()).unwrap();
        assert_eq!(d.due_at.date_naive(), NaiveDate::from_ymd_opt(2022, 4, 28).unwrap());
        // 80 % of 5 days used leaves 1: yellow from the working day before the due day.
        assert_eq!(d.yellow_at.date_naive(), NaiveDate::from_ymd_opt(2022, 4, 27).unwrap());
    }

    #[test]
    fn hours_run_through_nights_and_weekends() {
        let d = due_times(Limit::Hours(24), at(2022, 6, 10, 17, 0), 80, cal()).unwrap();
        assert_eq!(d.due_at, at(2022, 6, 11, 17, 0));
        assert_eq!(d.yellow_at, at(2022, 6, 11, 12, 12));
        assert_eq!(warning(State::Open, &d, at(2022, 6, 11, 17, 0)), Warning::Yellow);
        assert_eq!(warning(State::Open, &d, at(2022, 6, 11, 17, 1)), Warning::Red);
    }

    #[test]
    fn limits_read_as_admins_write_them() {
        assert_eq!(parse_limit("2 个工作日"), Some(Limit::Workdays(2)));
        assert_eq!(parse_limit("3工作日"), Some(Limit::Workdays(3)));
        assert_eq!(parse_limit("5 working days"), Some(Limit::Workdays(5)));
        assert_eq!(parse_limit("48 小时"), Some(Limit::Hours(48)));
        assert_eq!(parse_limit("4h"), Some(Limit::Hours(4)));
        assert_eq!(parse_limit("0 个工作日"), None);
        assert_eq!(parse_limit("31 个工作日"), None);
        assert_eq!(parse_limit("两天"), None);
        assert_eq!(parse_limit("2 周"), None);
        for l in [Limit::Workdays(2), Limit::Hours(48)] {
            assert_eq!(parse_limit(&limit_text(l)), Some(l));
        }
    }

    fn action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::iter().collect::<Vec<_>>())
    }

    proptest! {
        /// Whatever is tried in whatever order: a final state is never left, at most
        /// MAX_FOLLOW_UPS follow-ups reopen it, it is never closed without an answer, and a
        /// withdrawn consultation was never answered.
        #[test]
        fn no_sequence_breaks_the_machine(actions in proptest::collection::vec(action(), 0..40)) {
            let (mut s, mut follow_ups, mut answers) = (State::Open, 0u32, 0u32);
            for a in actions {
                match next(s, follow_ups, a) {
                    Ok(to) => {
                        prop_assert!(!s.is_final());
                        if a == Action::FollowUp { follow_ups += 1; }
                        if a == Action::Answer { answers += 1; }
                        if to == State::Closed { prop_assert!(answers >= 1); }
                        if to == State::Withdrawn { prop_assert_eq!(answers, 0); }
                        s = to;
                    }
                    Err(_) => prop_assert!(!choices(s, follow_ups, Party::Enterprise).contains(&a)
                        && !choices(s, follow_ups, Party::Lawyer).contains(&a)
                        && !choices(s, follow_ups, Party::Office).contains(&a)),
                }
                prop_assert!(follow_ups <= MAX_FOLLOW_UPS);
            }
        }

        /// From any moment, the due point is never before the question, and with more working
        /// days it never comes earlier.
        #[test]
        fn more_days_never_due_earlier(day in 0i64..700, hour in 0u32..24, n in 1u32..10) {
            let asked = at(2022, 1, 1, hour, 0) + Duration::days(day);
            let a = due_times(Limit::Workdays(n), asked, 80, cal()).unwrap();
            let b = due_times(Limit::Workdays(n + 1), asked, 80, cal()).unwrap();
            prop_assert!(a.due_at > asked && b.due_at > a.due_at);
            prop_assert!(a.yellow_at <= a.due_at);
        }
    }
}
