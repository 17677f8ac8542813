//! Notifications (通知, issue 14): what a signed-in user is told about the problems they
//! handle or raised, counted by the bell in every page's header.
//!
//! - **Who is told what** ([`of_event`]): a problem routed or assigned to a department (its lead
//!   and cooperating departments), 督办 on a problem a department leads, the reply to a 督办
//!   (to whoever pressed), a request for more information and the answer (to the enterprise and,
//!   for a problem raised on its behalf, to the one who raised it: a cadre's 代录), the
//!   enterprise's supplement and its rating (to the lead department). Nobody is told of their
//!   own action (the actor's department or enterprise is left out).
//! - **Written in the event's transaction.** The backends call [`of_event`] inside the write
//!   that appends the event ([`crate::problems::ProblemStore`]), beside the projection and the
//!   follow-ups: a committed action has always notified, a refused or rolled-back one never.
//! - **Addressed to a department, a user or an enterprise, read per user.** A department's
//!   notification is one row read by each of its users (`notification_reads` keeps who read
//!   what and when), not a row per user: an officer who leaves or joins changes nothing, the
//!   department's history stays whole for whoever works there now, and an assignment is one row
//!   however many officers the department has.
//! - **Warnings come from time** ([`warning_of`]): the scheduled job `warnings` writes one
//!   notification per problem and light (yellow, red) once its moment has passed, to the lead
//!   department; the unique `(problem_id, dedupe)` key, whose text names the light's time,
//!   makes a second run write nothing. A problem already red when first seen is told red only.
//! - Texts are built here from stored facts (the problem's number, title, departments and
//!   deadlines), at most [`MAX_TEXT`] characters, in Chinese (the zone's language).
//!
//! Marking read is not a change of the domain's state: it is not audited (like the inbox).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use handling::{Action, Event, ProblemState, Role as HRole, State};
use serde::Serialize;

use crate::Page;
use crate::problems::PResult;

/// The most characters of a notification's text.
pub const MAX_TEXT: usize = 200;
/// The most characters of a problem's title quoted in a text.
const TITLE_CHARS: usize = 40;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum NotificationKind {
    /// A problem routed or assigned to the department (派单, 二次办理).
    Assigned,
    /// The problem's light turned yellow (its time limit nears).
    WarningYellow,
    /// The problem's light turned red (its time limit passed).
    WarningRed,
    /// 督办 on a problem the department leads.
    Escalated,
    /// The lead department replied to one's 督办.
    EscalationReplied,
    /// The department asks the enterprise for more information.
    InfoRequested,
    /// The enterprise supplied it.
    InfoSupplied,
    /// The problem was answered (答复).
    Answered,
    /// The enterprise rated the answer.
    Rated,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<NotificationKind> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "派单",
            NotificationKind::WarningYellow => "黄灯预警",
            NotificationKind::WarningRed => "红灯预警",
            NotificationKind::Escalated => "督办",
            NotificationKind::EscalationReplied => "督办回复",
            NotificationKind::InfoRequested => "补充材料",
            NotificationKind::InfoSupplied => "材料已补充",
            NotificationKind::Answered => "答复",
            NotificationKind::Rated => "评价",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "Assigned",
            NotificationKind::WarningYellow => "Yellow warning",
            NotificationKind::WarningRed => "Red warning",
            NotificationKind::Escalated => "Escalated",
            NotificationKind::EscalationReplied => "Escalation replied",
            NotificationKind::InfoRequested => "Information requested",
            NotificationKind::InfoSupplied => "Information supplied",
            NotificationKind::Answered => "Answered",
            NotificationKind::Rated => "Rated",
        }
    }
}

/// Who a notification is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum Recipient {
    /// Every user of the department (code).
    Department(String),
    /// One user (username).
    User(String),
    /// Every user of the enterprise (its unified credit code).
    Enterprise(String),
}

impl Recipient {
    /// `(to_kind, to_key)` as stored.
    pub fn columns(&self) -> (&'static str, &str) {
        match self {
            Recipient::Department(d) => ("department", d),
            Recipient::User(u) => ("user", u),
            Recipient::Enterprise(e) => ("enterprise", e),
        }
    }
}

/// Who reads: a user, with the department and enterprise whose notifications they see.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reader {
    pub username: String,
    pub department: Option<String>,
    pub enterprise: Option<String>,
}

impl Reader {
    /// `$1` username, `$2` department, `$3` enterprise, as the queries take them (an absent
    /// department or enterprise is the empty text, which no row is addressed to).
    pub fn params(&self) -> [String; 3] {
        [
            self.username.clone(),
            self.department.clone().unwrap_or_default(),
            self.enterprise.clone().unwrap_or_default(),
        ]
    }
}

/// A notification to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNotification {
    pub problem_id: i64,
    pub kind: NotificationKind,
    pub to: Recipient,
    pub text: String,
    /// Unique per problem: the event (`e<seq>`) or the light and its time, with the recipient.
    pub dedupe: String,
    /// For warnings, the moment the light turned.
    pub light_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

/// A notification as one reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub problem_id: i64,
    pub kind: NotificationKind,
    pub text: String,
    pub created_at: DateTime<FixedOffset>,
    /// When this reader read it.
    pub read_at: Option<DateTime<FixedOffset>>,
}

/// A page of a reader's notifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationPage {
    pub rows: Vec<Notification>,
    /// All of the reader's notifications.
    pub total: u64,
    pub unread: u64,
}

/// A problem whose light may have turned since the last run of the warnings job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LightCandidate {
    pub problem_id: i64,
    pub title: String,
    pub state: String,
    pub lead_department: String,
    pub accept_by: String,
    pub answer_by: String,
    pub yellow_at: Option<DateTime<FixedOffset>>,
    pub red_at: Option<DateTime<FixedOffset>>,
}

/// A problem's title cut for a text: at most [`TITLE_CHARS`] characters, "…" when cut.
fn short(title: &str) -> String {
    let t = title.trim();
    if t.chars().count() <= TITLE_CHARS {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(TITLE_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A text cut to [`MAX_TEXT`] characters.
fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_TEXT {
        text
    } else {
        let mut s: String = text.chars().take(MAX_TEXT - 1).collect();
        s.push('…');
        s
    }
}

/// A stored deadline (`YYYY-MM-DD`, or RFC 3339 for hour limits) in Chinese text.
pub fn due_zh(due: &str) -> String {
    if let Ok(d) = NaiveDate::parse_from_str(due, "%Y-%m-%d") {
        return i18n::dates::date_zh(d);
    }
    match DateTime::parse_from_rfc3339(due) {
        Ok(t) => i18n::dates::time_zh(t),
        Err(_) => due.to_string(),
    }
}

fn subject(id: i64, title: &str) -> String {
    format!("问题 #{id}「{}」", short(title))
}

/// The notifications one event causes: `before` is the state before it (`None` for the
/// submit), `after` the state it made, `raiser` the username and role of who raised the
/// problem (its first event's actor).
pub fn of_event(
    problem_id: i64,
    before: Option<&ProblemState>,
    after: &ProblemState,
    event: &Event,
    raiser: (&str, HRole),
) -> Vec<NewNotification> {
    let subj = subject(problem_id, &after.problem.title);
    let d = handling::deadlines(after);
    let answer_by = due_zh(&d.answer_by.to_string());
    let accept_by = due_zh(&d.accept_by.to_string());
    let enterprise = after.problem.enterprise.to_string();
    let mut out: Vec<(NotificationKind, Recipient, String)> = Vec::new();
    let departments = |out: &mut Vec<(NotificationKind, Recipient, String)>,
                       lead_text: String,
                       coop_text: String| {
        out.push((NotificationKind::Assigned, Recipient::Department(after.lead.clone()), lead_text));
        for c in &after.cooperating {
            if c != &after.lead {
                out.push((NotificationKind::Assigned, Recipient::Department(c.clone()), coop_text.clone()));
            }
        }
    };
    // The enterprise and, for a problem raised on its behalf, whoever raised it.
    let asker =
        |out: &mut Vec<(NotificationKind, Recipient, String)>, kind: NotificationKind, text: String| {
            out.push((kind, Recipient::Enterprise(enterprise.clone()), text.clone()));
            if raiser.1 != HRole::Enterprise {
                out.push((kind, Recipient::User(raiser.0.to_string()), text));
            }
        };
    match &event.action {
        Action::Submit { .. } => departments(
            &mut out,
            format!("{subj}已交本部门牵头办理，请于 {accept_by} 前受理"),
            format!("{subj}需本部门配合办理"),
        ),
        Action::Assign { .. } | Action::DecideObjection { upheld: true, .. } => departments(
            &mut out,
            format!("{subj}已派本部门牵头办理，答复期限 {answer_by}"),
            format!("{subj}已派本部门配合办理，答复期限 {answer_by}"),
        ),
        Action::Reopen | Action::Review { decision: handling::ReviewDecision::Redo } => out.push((
            NotificationKind::Assigned,
            Recipient::Department(after.lead.clone()),
            format!("{subj}转入二次办理，答复期限 {answer_by}"),
        )),
        Action::EscalateCase { .. } => {
            let due =
                after.escalation_cases.last().map(|c| i18n::dates::date_zh(c.reply_by)).unwrap_or_default();
            out.push((
                NotificationKind::Escalated,
                Recipient::Department(after.lead.clone()),
                format!("{subj}被督办，请于 {due} 前回复督办"),
            ));
        }
        Action::ReplyEscalation => {
            let was_open: Vec<u32> = before
                .map(|b| b.escalation_cases.iter().filter(|c| c.is_open()).map(|c| c.no).collect())
                .unwrap_or_default();
            let mut told: Vec<&str> = Vec::new();
            for c in after.escalation_cases.iter().filter(|c| was_open.contains(&c.no) && !c.is_open()) {
                if !told.contains(&c.by.as_str()) {
                    told.push(&c.by);
                    out.push((
                        NotificationKind::EscalationReplied,
                        Recipient::User(c.by.clone()),
                        format!("{subj}的督办已由牵头部门回复"),
                    ));
                }
            }
        }
        Action::RequestInfo => {
            let note = event.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let text = match note {
                Some(n) => format!("{subj}需补充材料：{}", short(n)),
                None => format!("{subj}需补充材料"),
            };
            asker(&mut out, NotificationKind::InfoRequested, text);
        }
        Action::SupplyInfo => out.push((
            NotificationKind::InfoSupplied,
            Recipient::Department(after.lead.clone()),
            format!("{subj}已补充材料，请继续办理"),
        )),
        Action::Answer { .. } => {
            asker(&mut out, NotificationKind::Answered, format!("{subj}已答复，请查看并评价"))
        }
        Action::Confirm { rating, .. } => out.push((
            NotificationKind::Rated,
            Recipient::Department(after.lead.clone()),
            format!("{subj}收到企业评价：{}", rating_zh(*rating)),
        )),
        _ => {}
    }
    let at = crate::problems::china_seconds(event.at);
    let mut seen: Vec<Recipient> = Vec::new();
    out.into_iter()
        .filter(|(_, to, _)| match to {
            Recipient::Department(d) => event.actor_department.as_deref() != Some(d.as_str()),
            Recipient::User(u) => u != &event.actor,
            Recipient::Enterprise(e) => {
                event.actor_enterprise.as_ref().map(|c| c.to_string()).as_deref() != Some(e)
            }
        })
        .filter(|(_, to, _)| {
            if seen.contains(to) {
                false
            } else {
                seen.push(to.clone());
                true
            }
        })
        .map(|(kind, to, text)| {
            let (k, key) = to.columns();
            NewNotification {
                problem_id,
                kind,
                dedupe: format!("e{}:{k}:{key}", event.seq),
                to,
                text: bounded(text),
                light_at: None,
                created_at: at,
            }
        })
        .collect()
}

/// A user told personally of a new problem besides its departments (issue 15: the
/// 物流保通保畅 officers and the enterprise's logistics watcher of an obstruction report), and
/// as what they are told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Told {
    pub username: String,
    /// What they are to the problem, in Chinese (`物流保通保畅专员`), at most 20 characters shown.
    pub as_zh: String,
}

/// The notifications of a new problem to the users told personally ([`Told`]): one each
/// (kind `assigned`, addressed to the user), never to the one who raised it, each user once.
/// Written beside [`of_event`]'s in the submit's transaction.
pub fn of_submit_told(
    problem_id: i64,
    after: &ProblemState,
    event: &Event,
    told: &[Told],
) -> Vec<NewNotification> {
    let subj = subject(problem_id, &after.problem.title);
    let d = handling::deadlines(after);
    let accept_by = due_zh(&d.accept_by.to_string());
    let answer_by = due_zh(&d.answer_by.to_string());
    let at = crate::problems::china_seconds(event.at);
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for t in told {
        let name = t.username.trim();
        if name.is_empty() || name == event.actor || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let as_zh: String = t.as_zh.chars().take(20).collect();
        let to = Recipient::User(name.to_string());
        let (k, key) = to.columns();
        out.push(NewNotification {
            problem_id,
            kind: NotificationKind::Assigned,
            dedupe: format!("e{}:{k}:{key}", event.seq),
            to,
            text: bounded(format!(
                "{subj}已提交（您是{as_zh}）：牵头部门须于 {accept_by} 前受理、{answer_by} 前答复"
            )),
            light_at: None,
            created_at: at,
        });
    }
    out
}

fn rating_zh(r: handling::Rating) -> &'static str {
    match r {
        handling::Rating::Satisfied => "满意",
        handling::Rating::BasicallySatisfied => "基本满意",
        handling::Rating::Dissatisfied => "不满意",
    }
}

/// The warning a light candidate is due at `now`, if any: red once `red_at` passed (yellow is
/// then not told), yellow from `yellow_at` until red. Only open problems warn.
pub fn warning_of(c: &LightCandidate, now: DateTime<FixedOffset>) -> Option<NewNotification> {
    let open = crate::problems::parse_enum::<State>(&c.state).is_some_and(State::is_open);
    if !open {
        return None;
    }
    let subj = subject(c.problem_id, &c.title);
    let (clock, due) = if c.state == State::Submitted.as_str() {
        ("受理期限", due_zh(&c.accept_by))
    } else {
        ("答复期限", due_zh(&c.answer_by))
    };
    let (kind, light_at, text) = match (c.yellow_at, c.red_at) {
        (_, Some(r)) if r <= now => {
            (NotificationKind::WarningRed, r, format!("{subj}红灯：已超过{clock}（{due}），请尽快办理"))
        }
        (Some(y), _) if y <= now => {
            (NotificationKind::WarningYellow, y, format!("{subj}黄灯：{clock} {due} 临近，请抓紧办理"))
        }
        _ => return None,
    };
    let light_at = crate::problems::china_seconds(light_at);
    let to = Recipient::Department(c.lead_department.clone());
    let (k, key) = to.columns();
    Some(NewNotification {
        problem_id: c.problem_id,
        kind,
        dedupe: format!("{}:{}:{k}:{key}", kind.as_str(), light_at.to_rfc3339()),
        to,
        text: bounded(text),
        light_at: Some(light_at),
        created_at: crate::problems::china_seconds(now),
    })
}

/// Notifications in the store.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// A page of the reader's notifications, newest first, with the total and unread counts.
    async fn notifications(&self, reader: &Reader, page: Page) -> PResult<NotificationPage>;

    /// How many of the reader's notifications they have not read.
    async fn unread_notifications(&self, reader: &Reader) -> PResult<u64>;

    /// Marks one of the reader's notifications read (again: no change) and returns its
    /// problem; `None` when no notification `id` is addressed to the reader.
    async fn mark_notification_read(
        &self,
        reader: &Reader,
        id: i64,
        at: DateTime<FixedOffset>,
    ) -> PResult<Option<i64>>;

    /// Marks every notification of the reader read; how many were unread.
    async fn mark_all_notifications_read(&self, reader: &Reader, at: DateTime<FixedOffset>) -> PResult<u64>;

    /// Writes the warnings due at `now` ([`warning_of`] over the open problems whose light
    /// turned and is not told yet), at most `limit` problems; how many it wrote. Idempotent.
    async fn write_warning_notifications(&self, now: DateTime<FixedOffset>, limit: u32) -> PResult<u64>;
}

/// SQL both dialects accept. Readers' parameters: `$1` username, `$2` department, `$3`
/// enterprise ([`Reader::params`]).
pub mod sql {
    /// The rows addressed to the reader.
    pub const ADDRESSED: &str = "((n.to_kind = 'user' AND n.to_key = $1) \
         OR (n.to_kind = 'department' AND n.to_key = $2) \
         OR (n.to_kind = 'enterprise' AND n.to_key = $3))";
    pub const INSERT: &str = "INSERT INTO notifications (problem_id, kind, to_kind, to_key, text, dedupe, \
         light_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (problem_id, dedupe) DO NOTHING";

    pub fn page() -> String {
        format!(
            "SELECT n.id, n.problem_id, n.kind, n.text, n.created_at, r.read_at FROM notifications n \
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.username = $1 \
             WHERE {ADDRESSED} ORDER BY n.id DESC LIMIT $4 OFFSET $5"
        )
    }
    pub fn total() -> String {
        format!("SELECT COUNT(*) FROM notifications n WHERE {ADDRESSED}")
    }
    pub fn unread() -> String {
        format!(
            "SELECT COUNT(*) FROM notifications n WHERE {ADDRESSED} AND NOT EXISTS \
             (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.username = $1)"
        )
    }
    /// The problem of notification `$4` when it is addressed to the reader.
    pub fn addressed() -> String {
        format!("SELECT n.problem_id FROM notifications n WHERE {ADDRESSED} AND n.id = $4")
    }
    /// The reader's unread notifications' ids.
    pub fn unread_ids() -> String {
        format!(
            "SELECT n.id FROM notifications n WHERE {ADDRESSED} AND NOT EXISTS \
             (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.username = $1) ORDER BY n.id"
        )
    }
    pub const READ: &str = "INSERT INTO notification_reads (notification_id, username, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (notification_id, username) DO NOTHING";
    /// Open problems whose light turned by `$1` and is not told yet, at most `$2`.
    pub fn light_candidates() -> String {
        let open = crate::problems::sql::open_states();
        format!(
            "SELECT p.id, p.title, p.state, p.lead_department, p.accept_by, p.answer_by, p.yellow_at, p.red_at \
             FROM problems p WHERE p.state IN {open} AND ( \
             (p.red_at <= $1 AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.problem_id = p.id \
               AND n.kind = 'warning_red' AND n.light_at = p.red_at)) \
             OR (p.yellow_at <= $1 AND (p.red_at IS NULL OR p.red_at > $1) AND NOT EXISTS (SELECT 1 FROM \
               notifications n WHERE n.problem_id = p.id AND n.kind = 'warning_yellow' AND n.light_at = p.yellow_at))) \
             ORDER BY p.id LIMIT $2"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn kinds_round_trip_and_have_labels() {
        for k in NotificationKind::iter() {
            assert_eq!(NotificationKind::parse(k.as_str()), Some(k));
            assert!(!k.label_zh().is_empty() && !k.label_en().is_empty());
        }
    }

    #[test]
    fn texts_are_bounded_and_titles_cut() {
        let long = "很".repeat(500);
        assert!(bounded(long).chars().count() == MAX_TEXT);
        let s = subject(7, &"长".repeat(100));
        assert!(s.chars().count() < 60, "{s}");
        assert!(s.contains('…'));
        assert_eq!(due_zh("2026-12-05"), "2026年12月5日");
        assert_eq!(due_zh("2026-12-05T09:30:00+08:00"), "2026年12月5日 09:30");
    }

    #[test]
    fn warnings_tell_red_once_past_and_yellow_before() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap_or_default();
        let c = LightCandidate {
            problem_id: 3,
            title: "用电报装".into(),
            state: "in_progress".into(),
            lead_department: "fgw".into(),
            accept_by: "2026-12-01".into(),
            answer_by: "2026-12-10".into(),
            yellow_at: Some(t("2026-12-08T00:00:00+08:00")),
            red_at: Some(t("2026-12-11T00:00:00+08:00")),
        };
        assert!(warning_of(&c, t("2026-12-07T23:59:59+08:00")).is_none());
        let y = warning_of(&c, t("2026-12-09T10:00:00+08:00"));
        assert_eq!(y.as_ref().map(|n| n.kind), Some(NotificationKind::WarningYellow));
        assert!(y.is_some_and(|n| n.text.contains("2026年12月10日")));
        let r = warning_of(&c, t("2026-12-12T10:00:00+08:00"));
        assert_eq!(r.as_ref().map(|n| n.kind), Some(NotificationKind::WarningRed));
        // The same light at two later moments: the same key, so the second write is nothing.
        let r2 = warning_of(&c, t("2026-12-13T10:00:00+08:00"));
        assert_eq!(r.map(|n| n.dedupe), r2.map(|n| n.dedupe));
        let closed = LightCandidate { state: "closed".into(), ..c };
        assert!(warning_of(&closed, t("2026-12-12T10:00:00+08:00")).is_none());
    }
}
