//! Events (活动): the plan's 帮扶月 activities (三.2), policy briefings (三.3 宣讲), bank–
//! enterprise matchmaking (三.8 政银企对接), job fairs (三.10 招聘), trade fairs (三.13 展会),
//! salons and training (三.15). An event has seats; enterprises register with a number of
//! attendees and get seats in the order they registered, or a place on the waiting list when
//! the seats are taken. A cancellation frees seats, which go to the waiting list strictly in
//! order (the head of the list first: a smaller registration behind it never jumps ahead).
//! Attendees are checked in on the day; after the event the unchecked become no-shows and
//! those who came may leave feedback.
//!
//! [`Roster`] holds one event's registrations and enforces all of it; the store keeps the
//! rows, the use case supplies `now` and who acts.

use chrono::NaiveDateTime;
use enterprise::SizeClass;
use serde::{Deserialize, Serialize};

use crate::Error;

/// What kind of event, and the plan's line it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    /// 专题帮扶月活动 (三.2).
    AssistanceMonth,
    /// 政策宣讲、解读 (三.3).
    PolicyBriefing,
    /// 政银企对接 (三.8).
    BankEnterprise,
    /// 招聘会 (三.10): positions offered and filled are recorded.
    JobFair,
    /// 展会、展销 (三.13).
    TradeFair,
    /// 主题沙龙、行业研讨 (三.15).
    Salon,
    /// 专题培训 (三.15; also 三.13 跨境电商培训, 三.16 信用修复培训).
    Training,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<EventKind> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            EventKind::AssistanceMonth => "帮扶月活动",
            EventKind::PolicyBriefing => "政策宣讲",
            EventKind::BankEnterprise => "政银企对接",
            EventKind::JobFair => "招聘会",
            EventKind::TradeFair => "展会",
            EventKind::Salon => "主题沙龙",
            EventKind::Training => "专题培训",
        }
    }
    /// The plan's clause (三.N) this kind serves.
    pub fn clause(self) -> &'static str {
        match self {
            EventKind::AssistanceMonth => "三.2",
            EventKind::PolicyBriefing => "三.3",
            EventKind::BankEnterprise => "三.8",
            EventKind::JobFair => "三.10",
            EventKind::TradeFair => "三.13",
            EventKind::Salon | EventKind::Training => "三.15",
        }
    }
}

/// Who an event is for. An empty list admits everyone on that axis; an enterprise whose
/// industry or size is unknown is admitted only where that axis is open (never a guess).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Industry code prefixes (GB/T 4754: `C` manufacturing, `C39` computers…).
    pub industries: Vec<String>,
    pub sizes: Vec<SizeClass>,
    /// Any one of these tags (专精特新, 拟上市, 产业链:工程机械 …).
    pub tags: Vec<String>,
}

impl Audience {
    pub fn is_everyone(&self) -> bool {
        self.industries.is_empty() && self.sizes.is_empty() && self.tags.is_empty()
    }

    /// Whether an enterprise with these facts is in the audience.
    pub fn admits(&self, industry: Option<&str>, size: Option<SizeClass>, tags: &[String]) -> bool {
        let industry_ok = self.industries.is_empty()
            || industry.is_some_and(|code| self.industries.iter().any(|p| code.starts_with(p.as_str())));
        let size_ok = self.sizes.is_empty() || size.is_some_and(|s| self.sizes.contains(&s));
        let tags_ok = self.tags.is_empty() || tags.iter().any(|t| self.tags.contains(t));
        industry_ok && size_ok && tags_ok
    }
}

/// An event's times and seats: what the roster needs to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub starts: NaiveDateTime,
    pub ends: NaiveDateTime,
    /// Registration closes at this instant.
    pub registration_closes: NaiveDateTime,
    /// Seats (attendees, not enterprises).
    pub capacity: u32,
    /// At most this many attendees per enterprise.
    pub max_per_enterprise: u32,
}

impl Schedule {
    pub fn check(&self) -> Result<(), Error> {
        if self.ends <= self.starts {
            return Err(Error::BadSchedule { reason: "ends_before_start" });
        }
        if self.registration_closes > self.starts {
            return Err(Error::BadSchedule { reason: "registration_after_start" });
        }
        if self.capacity == 0 || self.max_per_enterprise == 0 || self.max_per_enterprise > self.capacity {
            return Err(Error::BadSchedule { reason: "capacity" });
        }
        Ok(())
    }
}

/// Where one registration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum RegistrationState {
    /// Holds seats (已报名).
    Confirmed,
    /// Waiting for seats (候补).
    Waitlisted,
    /// Cancelled by the enterprise or an officer (已取消): final.
    Cancelled,
    /// Came (已签到): final.
    CheckedIn,
    /// Held seats and did not come (未到): final.
    NoShow,
}

impl RegistrationState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<RegistrationState> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            RegistrationState::Confirmed => "已报名",
            RegistrationState::Waitlisted => "候补",
            RegistrationState::Cancelled => "已取消",
            RegistrationState::CheckedIn => "已签到",
            RegistrationState::NoShow => "未到",
        }
    }
    /// Still counts: confirmed or waiting.
    pub fn is_active(self) -> bool {
        matches!(self, RegistrationState::Confirmed | RegistrationState::Waitlisted)
    }
}

/// One enterprise's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    /// The order of registering: seats and the waiting list go by it.
    pub seq: u64,
    pub enterprise_id: i64,
    pub attendees: u32,
    pub state: RegistrationState,
    /// 1–5, after the event, by those who came.
    pub feedback: Option<u8>,
}

/// What a step changed, for the store to write and the audit trail to name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub enterprise_id: i64,
    pub from: Option<RegistrationState>,
    pub to: RegistrationState,
}

/// One event's registrations, in the order they were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Roster {
    pub schedule: Schedule,
    pub registrations: Vec<Registration>,
}

impl Roster {
    pub fn new(schedule: Schedule, mut registrations: Vec<Registration>) -> Roster {
        registrations.sort_by_key(|r| r.seq);
        Roster { schedule, registrations }
    }

    /// Seats held (confirmed and checked in; a no-show's seat is past).
    pub fn seats_taken(&self) -> u32 {
        self.registrations
            .iter()
            .filter(|r| matches!(r.state, RegistrationState::Confirmed | RegistrationState::CheckedIn))
            .map(|r| r.attendees)
            .sum()
    }

    pub fn seats_free(&self) -> u32 {
        self.schedule.capacity.saturating_sub(self.seats_taken())
    }

    /// Registrations waiting, in order.
    pub fn waiting(&self) -> impl Iterator<Item = &Registration> {
        self.registrations.iter().filter(|r| r.state == RegistrationState::Waitlisted)
    }

    fn active_of(&self, enterprise_id: i64) -> Option<usize> {
        self.registrations.iter().position(|r| r.enterprise_id == enterprise_id && r.state.is_active())
    }

    fn of(&self, enterprise_id: i64) -> Option<usize> {
        // The latest registration of the enterprise.
        self.registrations.iter().rposition(|r| r.enterprise_id == enterprise_id)
    }

    /// Registers `attendees` of an enterprise at `now`: confirmed when the seats are free and
    /// nobody waits before it, otherwise on the waiting list.
    pub fn register(
        &mut self,
        enterprise_id: i64,
        attendees: u32,
        now: NaiveDateTime,
    ) -> Result<Change, Error> {
        if now > self.schedule.registration_closes {
            return Err(Error::RegistrationClosed { closes: self.schedule.registration_closes });
        }
        if attendees == 0 || attendees > self.schedule.max_per_enterprise {
            return Err(Error::Attendees { attendees, max: self.schedule.max_per_enterprise });
        }
        if self.active_of(enterprise_id).is_some() {
            return Err(Error::AlreadyRegistered);
        }
        let state = if self.waiting().next().is_none() && attendees <= self.seats_free() {
            RegistrationState::Confirmed
        } else {
            RegistrationState::Waitlisted
        };
        let seq = self.registrations.last().map_or(1, |r| r.seq + 1);
        self.registrations.push(Registration { seq, enterprise_id, attendees, state, feedback: None });
        Ok(Change { enterprise_id, from: None, to: state })
    }

    /// Cancels an enterprise's registration before the event starts; freed seats go to the
    /// waiting list in order. Returns every change: the cancellation first, then promotions.
    pub fn cancel(&mut self, enterprise_id: i64, now: NaiveDateTime) -> Result<Vec<Change>, Error> {
        let Some(i) = self.active_of(enterprise_id) else { return Err(Error::NotRegistered) };
        if now >= self.schedule.starts {
            return Err(Error::AlreadyStarted);
        }
        let from = self.registrations[i].state;
        self.registrations[i].state = RegistrationState::Cancelled;
        let mut changes = vec![Change { enterprise_id, from: Some(from), to: RegistrationState::Cancelled }];
        changes.extend(self.promote());
        Ok(changes)
    }

    /// Gives free seats to the head of the waiting list while it fits.
    fn promote(&mut self) -> Vec<Change> {
        let mut changes = Vec::new();
        loop {
            let free = self.seats_free();
            let Some(head) = self.registrations.iter_mut().find(|r| r.state == RegistrationState::Waitlisted)
            else {
                break;
            };
            if head.attendees > free {
                break;
            }
            head.state = RegistrationState::Confirmed;
            changes.push(Change {
                enterprise_id: head.enterprise_id,
                from: Some(RegistrationState::Waitlisted),
                to: RegistrationState::Confirmed,
            });
        }
        changes
    }

    /// Raises the seats (an officer moved the event to a larger room): the waiting list moves
    /// up in order. Lowering below the seats taken is refused.
    pub fn set_capacity(&mut self, capacity: u32) -> Result<Vec<Change>, Error> {
        if capacity < self.seats_taken() || capacity < self.schedule.max_per_enterprise {
            return Err(Error::CapacityBelowTaken { capacity, taken: self.seats_taken() });
        }
        self.schedule.capacity = capacity;
        Ok(self.promote())
    }

    /// Checks a confirmed enterprise in, from two hours before the start to the end.
    pub fn check_in(&mut self, enterprise_id: i64, now: NaiveDateTime) -> Result<Change, Error> {
        let opens = self.schedule.starts - chrono::Duration::hours(2);
        if now < opens || now > self.schedule.ends {
            return Err(Error::NotCheckInTime);
        }
        let Some(i) = self.of(enterprise_id) else { return Err(Error::NotRegistered) };
        let r = &mut self.registrations[i];
        if r.state != RegistrationState::Confirmed {
            return Err(Error::NotConfirmed { state: r.state });
        }
        r.state = RegistrationState::CheckedIn;
        Ok(Change {
            enterprise_id,
            from: Some(RegistrationState::Confirmed),
            to: RegistrationState::CheckedIn,
        })
    }

    /// After the end: every confirmed registration that did not check in is a no-show.
    pub fn close(&mut self, now: NaiveDateTime) -> Result<Vec<Change>, Error> {
        if now <= self.schedule.ends {
            return Err(Error::NotEnded);
        }
        let mut changes = Vec::new();
        for r in &mut self.registrations {
            if r.state == RegistrationState::Confirmed {
                r.state = RegistrationState::NoShow;
                changes.push(Change {
                    enterprise_id: r.enterprise_id,
                    from: Some(RegistrationState::Confirmed),
                    to: RegistrationState::NoShow,
                });
            } else if r.state == RegistrationState::Waitlisted {
                r.state = RegistrationState::Cancelled;
                changes.push(Change {
                    enterprise_id: r.enterprise_id,
                    from: Some(RegistrationState::Waitlisted),
                    to: RegistrationState::Cancelled,
                });
            }
        }
        Ok(changes)
    }

    /// Feedback (1–5) by an enterprise that came, once the event has started.
    pub fn feedback(&mut self, enterprise_id: i64, score: u8, now: NaiveDateTime) -> Result<(), Error> {
        if !(1..=5).contains(&score) {
            return Err(Error::Score { score });
        }
        if now < self.schedule.starts {
            return Err(Error::NotStarted);
        }
        let Some(i) = self.of(enterprise_id) else { return Err(Error::NotRegistered) };
        let r = &mut self.registrations[i];
        if r.state != RegistrationState::CheckedIn {
            return Err(Error::NotConfirmed { state: r.state });
        }
        r.feedback = Some(score);
        Ok(())
    }

    /// Attendance: (enterprises registered, enterprises that came, attendees that came).
    pub fn attendance(&self) -> Attendance {
        let mut a = Attendance::default();
        for r in &self.registrations {
            match r.state {
                RegistrationState::Confirmed => a.confirmed += 1,
                RegistrationState::Waitlisted => a.waiting += 1,
                RegistrationState::CheckedIn => {
                    a.came += 1;
                    a.attendees_came += u64::from(r.attendees);
                }
                RegistrationState::NoShow => a.no_show += 1,
                RegistrationState::Cancelled => a.cancelled += 1,
            }
            if let Some(f) = r.feedback {
                a.feedback_count += 1;
                a.feedback_sum += u64::from(f);
            }
        }
        a
    }
}

/// What the roster counts, per enterprise unless named otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attendance {
    pub confirmed: u64,
    pub waiting: u64,
    pub came: u64,
    pub attendees_came: u64,
    pub no_show: u64,
    pub cancelled: u64,
    pub feedback_count: u64,
    pub feedback_sum: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn at(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    fn schedule(capacity: u32) -> Schedule {
        Schedule {
            starts: at(10, 9),
            ends: at(10, 12),
            registration_closes: at(9, 18),
            capacity,
            max_per_enterprise: 3,
        }
    }

    #[test]
    fn seats_then_waiting_list_then_promotion_in_order() {
        let mut r = Roster::new(schedule(4), vec![]);
        assert_eq!(r.register(1, 3, at(1, 9)).unwrap().to, RegistrationState::Confirmed);
        assert_eq!(r.register(2, 2, at(1, 10)).unwrap().to, RegistrationState::Waitlisted);
        // One seat is free, but enterprise 2 waits first: 3 may not jump ahead.
        assert_eq!(r.register(3, 1, at(1, 11)).unwrap().to, RegistrationState::Waitlisted);
        assert_eq!(r.register(1, 1, at(1, 12)), Err(Error::AlreadyRegistered));
        let changes = r.cancel(1, at(2, 9)).unwrap();
        let moved: Vec<i64> = changes
            .iter()
            .filter(|c| c.to == RegistrationState::Confirmed)
            .map(|c| c.enterprise_id)
            .collect();
        assert_eq!(moved, vec![2, 3]);
        assert_eq!(r.seats_free(), 1);
        // Cancelled, it may register again, at the back.
        assert_eq!(r.register(1, 1, at(3, 9)).unwrap().to, RegistrationState::Confirmed);
        assert_eq!(r.register(4, 1, at(9, 19)), Err(Error::RegistrationClosed { closes: at(9, 18) }));
    }

    #[test]
    fn check_in_close_and_feedback() {
        let mut r = Roster::new(schedule(10), vec![]);
        r.register(1, 2, at(1, 9)).unwrap();
        r.register(2, 1, at(1, 9)).unwrap();
        assert_eq!(r.check_in(1, at(10, 6)), Err(Error::NotCheckInTime));
        r.check_in(1, at(10, 8)).unwrap();
        assert_eq!(
            r.feedback(2, 4, at(10, 13)),
            Err(Error::NotConfirmed { state: RegistrationState::Confirmed })
        );
        assert_eq!(r.close(at(10, 11)), Err(Error::NotEnded));
        let closed = r.close(at(10, 13)).unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].to, RegistrationState::NoShow);
        r.feedback(1, 5, at(10, 13)).unwrap();
        assert_eq!(r.feedback(1, 6, at(10, 13)), Err(Error::Score { score: 6 }));
        let a = r.attendance();
        assert_eq!((a.came, a.attendees_came, a.no_show, a.feedback_sum), (1, 2, 1, 5));
        assert_eq!(r.cancel(1, at(10, 13)), Err(Error::NotRegistered));
    }

    #[test]
    fn audience() {
        let a = Audience {
            industries: vec!["C".into()],
            sizes: vec![SizeClass::Small, SizeClass::Micro],
            tags: vec![],
        };
        assert!(a.admits(Some("C3911"), Some(SizeClass::Small), &[]));
        assert!(!a.admits(Some("I6510"), Some(SizeClass::Small), &[]));
        assert!(!a.admits(None, Some(SizeClass::Small), &[]), "an unknown industry is not guessed in");
        assert!(!a.admits(Some("C3911"), None, &[]));
        let tagged = Audience { tags: vec!["专精特新".into()], ..Audience::default() };
        assert!(tagged.admits(None, None, &["专精特新".into()]));
        assert!(!tagged.admits(None, None, &[]));
        assert!(Audience::default().admits(None, None, &[]));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Register(i64, u32),
        Cancel(i64),
        Capacity(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0i64..12, 1u32..=3).prop_map(|(e, n)| Op::Register(e, n)),
            (0i64..12).prop_map(Op::Cancel),
            (3u32..20).prop_map(Op::Capacity),
        ]
    }

    proptest! {
        /// Whatever happens before the event: seats held never exceed the capacity, an
        /// enterprise holds at most one active registration, and nobody waits while the
        /// head of the waiting list would fit.
        #[test]
        fn seats_never_overbook(cap in 3u32..12, ops in proptest::collection::vec(op(), 0..60)) {
            let mut r = Roster::new(schedule(cap), vec![]);
            for o in ops {
                let _ = match o {
                    Op::Register(e, n) => r.register(e, n, at(2, 9)).map(|_| ()),
                    Op::Cancel(e) => r.cancel(e, at(2, 9)).map(|_| ()),
                    Op::Capacity(c) => r.set_capacity(c).map(|_| ()),
                };
                prop_assert!(r.seats_taken() <= r.schedule.capacity);
                for e in 0..12 {
                    let active = r.registrations.iter().filter(|x| x.enterprise_id == e && x.state.is_active()).count();
                    prop_assert!(active <= 1);
                }
                if let Some(head) = r.waiting().next() {
                    prop_assert!(head.attendees > r.seats_free());
                }
            }
        }
    }
}
