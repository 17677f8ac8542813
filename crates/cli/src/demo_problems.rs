//! Demo problems for the demo zone: a few hundred problems received during 2022 (into the last
//! weeks before the demo date, so the weekly trend has every week) in every
//! state — red and yellow ones, reopened, escalated (督办 cases, replied), with consultations
//! whose decisions are tracked, extensions, objections and returns, rated each way with the
//! enterprise's own answer whether it was solved, closed without confirmation (half of them
//! spot-checked by a supervisor) — plus cadres' visits.
//!
//! Deterministic: the plan is a pure function of the zone ([`plan`]); the times are fixed in
//! 2022 (and early 2023 for the last steps), so deadlines and KPIs are reproducible.
//! [`write`] sends every problem and step through the same store path as real transitions
//! (`create_problem`, `record_transition`), so the hash chain is valid.

use crate::demo::DemoZone;
use anyhow::Context as _;
use calendar::WorkCalendar;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use enterprise::{Routing, UnifiedCreditCode};
use handling::{
    Action, Actor, Channel, Command, ExplainReason, Outcome, Problem, ProblemState, Rating, ReviewDecision,
    Role, TimeLimits, Urgency, Visit,
};
use store::{NewUser, Store};

/// Problems `huiqi demo` writes.
pub const DEMO_PROBLEMS: usize = 360;
/// Enterprises with a demo login that raise problems.
const ENTERPRISE_USERS: usize = 40;
/// The password of every generated department and enterprise login.
pub const STAFF_PASSWORD: &str = "staff-demo-2022";

/// One planned problem: what is submitted, by whom, and the steps after.
#[derive(Debug, Clone)]
pub struct DemoProblem {
    pub problem: Problem,
    pub submitter: Actor,
    /// Index into [`DemoPlan::visits`] when raised on a visit.
    pub visit: Option<usize>,
    pub steps: Vec<(DateTime<FixedOffset>, Actor, Command)>,
    /// The state after the steps (as simulated).
    pub state: ProblemState,
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub visits: Vec<(Visit, DateTime<FixedOffset>)>,
    pub problems: Vec<DemoProblem>,
    /// Enterprise logins: (username, enterprise).
    pub enterprise_users: Vec<(String, UnifiedCreditCode)>,
    /// Department logins: (username, department code).
    pub department_users: Vec<(String, String)>,
    /// Steps the machine refused while planning (0 in a correct plan; a test checks).
    pub refused: usize,
}

fn china(d: NaiveDate, h: u32, m: u32) -> DateTime<FixedOffset> {
    let n = d.and_hms_opt(h, m, 0).unwrap_or_default();
    store::china_offset().from_local_datetime(&n).single().unwrap_or_else(|| n.and_utc().fixed_offset())
}

fn dept_user(code: &str) -> String {
    format!("jb_{code}")
}

fn dept_actor(code: &str) -> Actor {
    Actor {
        username: dept_user(code),
        role: Role::Department,
        department: Some(code.into()),
        enterprise: None,
    }
}

fn person(name: &str, role: Role) -> Actor {
    Actor { username: name.into(), role, department: None, enterprise: None }
}

const TITLES: &[(&str, &str)] = &[
    ("房租减免政策咨询", "询问国有厂房租金减免的申请条件和时间"),
    ("增值税留抵退税进度", "留抵退税申请已提交两周，询问办理进度"),
    ("流动资金贷款需求", "受疫情影响订单回款慢，需要500万元流动资金贷款"),
    ("原材料运输受阻", "高速卡口管控，原材料运输车辆无法进园"),
    ("用电容量不足", "新增生产线需增容，申请报装加快办理"),
    ("招聘技术工人困难", "需要招聘数控操作工30名"),
    ("稳岗补贴未到账", "去年申报的稳岗补贴尚未到账"),
    ("专精特新申报辅导", "希望获得专精特新企业申报辅导"),
    ("合同纠纷法律咨询", "上游供应商违约，需要法律援助"),
    ("信用修复申请", "因逾期申报被列入异常名录，申请信用修复"),
    ("展会补贴咨询", "参加广交会的展位费补贴如何申请"),
    ("供应链配套对接", "需要本地配套的精密零部件供应商"),
];

/// Plans the demo problems for a zone: `n` problems, scenario by scenario.
pub fn plan(zone: &DemoZone, n: usize) -> DemoPlan {
    let cal = WorkCalendar::official();
    let routing = Routing::seed();
    let limits = TimeLimits::defaults();
    let targets: Vec<UnifiedCreditCode> = zone
        .records
        .iter()
        .filter(|r| r.enterprise.assistance_target())
        .map(|r| r.enterprise.uscc.clone())
        .take(ENTERPRISE_USERS)
        .collect();
    let first = zone.users.iter().find(|u| u.role == "enterprise").and_then(|u| u.enterprise.clone());
    let enterprise_users: Vec<(String, UnifiedCreditCode)> = targets
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name =
                if Some(c) == first.as_ref() { "qiye".to_string() } else { format!("qiye{:02}", i + 1) };
            (name, c.clone())
        })
        .collect();
    let mut department_users: Vec<(String, String)> = Vec::new();
    for c in &routing.categories {
        for d in &c.departments {
            if !department_users.iter().any(|(_, x)| x == d) {
                department_users.push((dept_user(d), d.clone()));
            }
        }
    }
    // Visits: each cadre's first three enterprises, in May and June 2022.
    let mut visits = Vec::new();
    for (i, (uscc, links)) in zone.links.iter().enumerate() {
        let Some(cadre) = &links.cadre else { continue };
        if visits.iter().filter(|(v, _): &&(Visit, _)| &v.cadre == cadre).count() >= 3 {
            continue;
        }
        let d =
            cal.add_workdays(NaiveDate::from_ymd_opt(2022, 5, 5).unwrap_or_default(), (i % 40) as u32).ok();
        let Some(d) = d else { continue };
        visits.push((
            Visit {
                enterprise: uscc.clone(),
                date: d,
                cadre: cadre.clone(),
                findings: "走访了解生产经营情况，企业反映用工和物流方面的困难".into(),
            },
            china(d, 17, 0),
        ));
    }
    // The printed cadre also visited six enterprises that have demo logins during the 帮扶月
    // (May 2022), so problems it recorded for them (代录) come back to it answered. (Problems
    // recorded on a visit are those `i % 5 == 0`, of the enterprise users `i % 40`: every fifth.)
    // Listed first, so a problem recorded on a visit to these enterprises names this one.
    let mut printed = Vec::new();
    for (k, (_, uscc)) in enterprise_users.iter().skip(5).step_by(5).take(6).enumerate() {
        let Ok(d) = cal.add_workdays(NaiveDate::from_ymd_opt(2022, 5, 9).unwrap_or_default(), k as u32)
        else {
            continue;
        };
        printed.push((
            Visit {
                enterprise: uscc.clone(),
                date: d,
                cadre: crate::demo::GANBU.into(),
                findings: "帮扶月走访，了解企业融资、用工和政策兑现情况".into(),
            },
            china(d, 16, 0),
        ));
    }
    visits.splice(0..0, printed);
    let mut problems = Vec::new();
    let mut refused = 0;
    let start = NaiveDate::from_ymd_opt(2021, 12, 31).unwrap_or_default();
    for i in 0..n {
        if enterprise_users.is_empty() {
            break;
        }
        let scenario = i % 24;
        // Open scenarios are received in the last two months up to the demo date, closed ones all
        // year round and into December, so the leader's weekly trend shows every week before the
        // demo date (received, answered and closed).
        let day = if scenario <= 8 { 205 + (i * 41) % 43 } else { 1 + (i * 197) % 212 };
        let Ok(recv_date) = cal.add_workdays(start, day as u32) else { continue };
        let received = china(recv_date, 9 + (i % 7) as u32, (i * 13 % 60) as u32);
        let mut category = &routing.categories[(i * 7) % routing.categories.len()];
        // Obstruction reports run on clock hours and have their own demo (`crate::demo_logistics`):
        // the day-paced scripts here take the next category.
        if category.code == app::logistics::CATEGORY {
            category = &routing.categories[(i * 7 + 1) % routing.categories.len()];
        }
        let (user, uscc) = &enterprise_users[i % enterprise_users.len()];
        let ent = Actor {
            username: user.clone(),
            role: Role::Enterprise,
            department: None,
            enterprise: Some(uscc.clone()),
        };
        let (title, desc) = TITLES[i % TITLES.len()];
        let on_visit = visits
            .iter()
            .position(|(v, at): &(Visit, DateTime<FixedOffset>)| v.enterprise == *uscc && *at <= received);
        let (channel, submitter, visit) = match (i % 5, on_visit) {
            (0, Some(v)) => (Channel::Visit, person(&visits[v].0.cadre, Role::Cadre), Some(v)),
            (1, _) => (Channel::Hotline, person("admin", Role::Admin), None),
            (2, _) => (Channel::Meeting, person("lingdao", Role::Leader), None),
            _ => (Channel::SelfService, ent.clone(), None),
        };
        let problem = Problem {
            enterprise: uscc.clone(),
            channel,
            category: category.code.clone(),
            title: title.into(),
            description: desc.into(),
            attachments: vec![],
            urgency: if i % 11 == 0 { Urgency::Urgent } else { Urgency::Normal },
            confidential: i % 17 == 0,
            received_at: received,
            visit: visit.map(|v| v.to_string()),
        };
        let Ok(t) = handling::submit(problem.clone(), &submitter, received, routing, limits, cal) else {
            refused += 1;
            continue;
        };
        let mut sim = Sim { state: t.state, steps: Vec::new(), refused: 0, cal };
        script(&mut sim, scenario, i, &ent);
        refused += sim.refused;
        problems.push(DemoProblem { problem, submitter, visit, steps: sim.steps, state: sim.state });
    }
    DemoPlan { visits, problems, enterprise_users, department_users, refused }
}

struct Sim<'a> {
    state: ProblemState,
    steps: Vec<(DateTime<FixedOffset>, Actor, Command)>,
    refused: usize,
    cal: &'a WorkCalendar,
}

impl Sim<'_> {
    fn go(&mut self, at: DateTime<FixedOffset>, actor: Actor, action: Action, note: Option<&str>) -> bool {
        let at = at.max(self.state.last_at + Duration::minutes(5));
        if at >= crate::demo::demo_now() {
            // Not yet happened on the demo date: the problem waits there (no refusal).
            return false;
        }
        let cmd = Command { action, note: note.map(str::to_string) };
        match handling::apply(&self.state, &cmd, &actor, at, self.cal) {
            Ok(t) => {
                self.state = t.state;
                self.steps.push((at, actor, cmd));
                true
            }
            Err(_) => {
                self.refused += 1;
                false
            }
        }
    }
    fn lead(&self) -> Actor {
        dept_actor(&self.state.lead)
    }
    /// `k` working days after the day received, at `h`:00.
    fn day(&self, k: u32, h: u32) -> DateTime<FixedOffset> {
        let d = handling::china_date(self.state.problem.received_at);
        let d = if k == 0 { d } else { self.cal.add_workdays(d, k).unwrap_or(d) };
        china(d, h, 0)
    }
    fn after(&self, d: NaiveDate, k: u32, h: u32) -> DateTime<FixedOffset> {
        china(self.cal.add_workdays(d, k).unwrap_or(d), h, 0)
    }
    fn last_date(&self) -> NaiveDate {
        handling::china_date(self.state.last_at)
    }
    fn accept_assign(&mut self, late: bool) {
        let at = if late { self.day(2, 10) } else { self.state.problem.received_at + Duration::minutes(50) };
        let lead = self.lead();
        self.go(at, lead.clone(), Action::Accept, None);
        let cooperating: Vec<String> = self.state.cooperating.iter().take(2).cloned().collect();
        let lead_code = self.state.lead.clone();
        self.go(
            at + Duration::minutes(20),
            lead,
            Action::Assign { lead: lead_code, cooperating, handler: Some("李明".into()) },
            None,
        );
    }
    fn start(&mut self) {
        let at = self.state.last_at + Duration::hours(1);
        let lead = self.lead();
        self.go(at, lead, Action::Start, None);
    }
    fn answer(&mut self, late: bool, outcome: Outcome) {
        let due = self.state.answer_clock.due.date();
        let at = if late {
            self.after(due, 2, 15)
        } else {
            self.after(self.last_date(), 1, 15).min(china(due, 15, 0))
        };
        let lead = self.lead();
        self.go(at, lead, Action::Answer { outcome }, Some("经核实，已按政策办理并电话告知企业"));
    }
    /// The enterprise confirms with a rating and its own answer whether the problem was
    /// solved: 满意 after a resolving answer is solved; 基本满意 is solved after a resolving
    /// answer two times in three (the service was fine, the problem not always); an
    /// explanation or 不满意 is not.
    fn confirm(&mut self, ent: &Actor, rating: Rating) {
        let at = self.after(self.last_date(), 1, 10);
        let resolved = matches!(self.state.last_answer().map(|a| &a.outcome), Some(Outcome::Resolved));
        let seed = self.steps.len()
            + self.state.problem.title.len()
            + self.state.problem.received_at.timestamp() as usize;
        let solved = match rating {
            Rating::Satisfied => resolved,
            Rating::BasicallySatisfied => resolved && !seed.is_multiple_of(3),
            Rating::Dissatisfied => false,
        };
        let note = if rating == Rating::Dissatisfied { Some("问题没有真正解决") } else { None };
        self.go(at, ent.clone(), Action::Confirm { rating, solved: Some(solved) }, note);
    }
    fn close(&mut self) {
        let at = self.after(self.last_date(), 1, 9);
        let lead = self.lead();
        self.go(at, lead, Action::Close, None);
    }
    fn main_path(&mut self, ent: &Actor, late: bool, rating: Rating, outcome: Outcome) {
        self.accept_assign(false);
        self.start();
        self.answer(late, outcome);
        self.confirm(ent, rating);
        self.close();
    }
}

fn script(s: &mut Sim<'_>, scenario: usize, i: usize, ent: &Actor) {
    let sup = person("ducha", Role::Supervisor);
    let leader = person("lingdao", Role::Leader);
    let explained = Outcome::Explained { reason: ExplainReason::NotEligible };
    match scenario {
        0 => {}
        1 => {
            let lead = s.lead();
            let at = s.state.problem.received_at + Duration::hours(1);
            s.go(at, lead, Action::Accept, None);
        }
        2 => s.accept_assign(i.is_multiple_of(2)),
        3 => {
            s.accept_assign(false);
            let (at, lead) = (s.state.last_at + Duration::hours(2), s.lead());
            s.go(at, lead, Action::Object, Some("该事项不属于本部门职责，建议由其他部门牵头"));
        }
        4 => {
            s.accept_assign(false);
            let (at, lead) = (s.state.last_at + Duration::hours(2), s.lead());
            s.go(at, lead, Action::Return, Some("类别选择有误，退回重新派单"));
        }
        5 => {
            s.accept_assign(i.is_multiple_of(3));
            s.start();
        }
        6 | 7 => {
            s.accept_assign(false);
            s.start();
            let at = if scenario == 6 {
                china(s.state.answer_clock.yellow_from.date(), 10, 0)
            } else {
                s.state.last_at + Duration::hours(2)
            };
            let lead = s.lead();
            s.go(at, lead, Action::RequestInfo, Some("请补充近三个月的用电明细"));
        }
        8 => {
            s.accept_assign(false);
            s.start();
            s.answer(false, Outcome::Resolved);
        }
        9 | 16 => {
            s.accept_assign(false);
            s.start();
            s.answer(false, explained.clone());
            s.confirm(ent, Rating::Dissatisfied);
            s.answer(false, Outcome::Resolved);
            s.confirm(ent, Rating::Dissatisfied);
            if scenario == 16 {
                let at = s.after(s.last_date(), 2, 10);
                s.go(
                    at,
                    sup,
                    Action::Review { decision: ReviewDecision::Close },
                    Some("已充分答复，同意销号"),
                );
            }
        }
        10 => {
            s.accept_assign(false);
            s.start();
            s.answer(false, Outcome::Resolved);
            s.confirm(ent, Rating::BasicallySatisfied);
        }
        11 | 12 => s.main_path(ent, false, Rating::Satisfied, Outcome::Resolved),
        13 => s.main_path(ent, true, Rating::BasicallySatisfied, Outcome::Resolved),
        14 => s.main_path(ent, false, Rating::BasicallySatisfied, explained),
        15 => {
            s.accept_assign(false);
            s.start();
            s.answer(i.is_multiple_of(2), Outcome::Referred { to: "湖南省税务局".into() });
            let at = s.after(s.last_date(), 6, 9);
            s.go(at, person("system", Role::System), Action::AutoCloseUnrated, None);
            // Closed without confirmation: a supervisor calls half of them back.
            if (i / 24).is_multiple_of(2) {
                let at = s.after(s.last_date(), 3, 10);
                let solved = (i / 24).is_multiple_of(4);
                let note = if solved {
                    "电话回访：企业表示已解决"
                } else {
                    "电话回访：企业表示尚未解决，已转省局跟进"
                };
                s.go(at, sup, Action::SpotCheck { solved }, Some(note));
            }
        }
        17 => {
            s.accept_assign(false);
            let at = s.state.last_at + Duration::hours(3);
            s.go(at, ent.clone(), Action::Withdraw, Some("问题已自行解决，撤回诉求"));
        }
        18 => {
            s.main_path(ent, false, Rating::Satisfied, Outcome::Resolved);
            let at = s.after(s.last_date(), 10, 10);
            s.go(at, ent.clone(), Action::Reopen, Some("问题再次出现，申请重新办理"));
        }
        19 => {
            s.accept_assign(false);
            s.start();
            let at = s.state.last_at + Duration::hours(2);
            // The 联点领导 issues two in three of these 督办 cases, the 专项工作小组's supervisor
            // the others (whoever issued a case is told when it is replied).
            let by = if (i / 24).is_multiple_of(3) { sup.clone() } else { leader.clone() };
            s.go(
                at,
                by,
                Action::EscalateCase { reply_workdays: 3 },
                Some("请加快办理，三个工作日内回复进展"),
            );
            let lead_code = s.state.lead.clone();
            s.go(
                at + Duration::hours(1),
                sup.clone(),
                Action::OpenConsultation { participants: vec![lead_code.clone()] },
                Some("疑难问题，召开会商"),
            );
            s.go(
                at + Duration::hours(3),
                sup.clone(),
                Action::CloseConsultation {
                    minutes: "会商确定由牵头部门协调解决".into(),
                    decisions: vec![],
                    actions: vec![handling::DecisionAction {
                        text: "三个工作日内答复企业".into(),
                        owner: lead_code.clone(),
                        due: s.after(handling::china_date(at), 3, 0).date_naive(),
                    }],
                },
                None,
            );
            let lead = s.lead();
            s.go(
                at + Duration::hours(4),
                lead.clone(),
                Action::ReplyEscalation,
                Some("已会商，正协调市级部门"),
            );
            s.go(
                at + Duration::hours(4) + Duration::minutes(10),
                lead.clone(),
                Action::RequestExtension { workdays: 5 },
                Some("需协调市级部门，申请延期"),
            );
            s.go(at + Duration::hours(5), sup, Action::ApproveExtension, None);
            if (i / 24).is_multiple_of(2) {
                let lead = s.lead();
                s.go(
                    at + Duration::hours(6),
                    lead,
                    Action::CompleteDecision { decision: 1 },
                    Some("已答复企业"),
                );
            }
            s.answer(false, Outcome::Resolved);
            s.confirm(ent, Rating::Satisfied);
            s.close();
        }
        20 => {
            s.accept_assign(false);
            let (at, lead) = (s.state.last_at + Duration::hours(2), s.lead());
            s.go(at, lead, Action::Object, Some("该事项应由其他部门牵头"));
            let other =
                if s.state.lead == "economic_development" { "tax_bureau" } else { "economic_development" };
            s.go(
                at + Duration::hours(3),
                sup,
                Action::DecideObjection { upheld: true, lead: Some(other.into()), cooperating: Some(vec![]) },
                Some("异议成立，改派"),
            );
            s.start();
            s.answer(false, Outcome::Resolved);
            s.confirm(ent, Rating::Satisfied);
            s.close();
        }
        21 => {
            s.accept_assign(false);
            let (at, lead) = (s.state.last_at + Duration::hours(2), s.lead());
            s.go(at, lead, Action::Return, Some("不属于本部门职责"));
            let other = if s.state.lead == "economic_development" {
                "market_regulation"
            } else {
                "economic_development"
            };
            s.go(
                at + Duration::hours(2),
                sup,
                Action::Assign { lead: other.into(), cooperating: vec![], handler: None },
                None,
            );
            s.start();
            s.answer(false, Outcome::Resolved);
            s.confirm(ent, Rating::BasicallySatisfied);
            s.close();
        }
        22 => {
            s.accept_assign(false);
            s.start();
            s.answer(false, explained);
            s.confirm(ent, Rating::Dissatisfied);
            s.answer(false, Outcome::Resolved);
            s.confirm(ent, Rating::BasicallySatisfied);
            s.close();
        }
        _ => {
            s.accept_assign(false);
            if let Some(c) = s.state.cooperating.first().cloned() {
                let at = s.state.last_at + Duration::hours(4);
                s.go(at, dept_actor(&c), Action::Report, Some("配合部门意见：同意牵头部门方案"));
            }
            s.start();
            s.answer(false, Outcome::Resolved);
            s.confirm(ent, Rating::Satisfied);
            s.close();
        }
    }
}

/// What [`write`] wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoProblemsSummary {
    pub problems: usize,
    pub events: usize,
    pub visits: usize,
}

/// Writes the plan through the store: logins for department staff and enterprises (one
/// shared password, [`STAFF_PASSWORD`]), visits, then each problem and its steps.
pub async fn write(
    store: &dyn Store,
    zone: &DemoZone,
    n: usize,
    password_hash: &str,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<DemoProblemsSummary> {
    let plan = plan(zone, n);
    let routing = app::reference::routing_table(store).await?;
    let limits = &crate::policies::time_limits(store).await?;
    // Pages show people by display name: a department's staff as 「税务局经办人」, an
    // enterprise's login as 「<企业名称>联络员」.
    let display_name =
        |username: &str, enterprise: &Option<UnifiedCreditCode>, department: &Option<String>| {
            if let Some(d) = department.as_deref().and_then(|d| routing.department(d)) {
                return format!("{}经办人", d.name);
            }
            if let Some(e) =
                enterprise.as_ref().and_then(|e| zone.records.iter().find(|r| &r.enterprise.uscc == e))
            {
                return format!("{}联络员", e.enterprise.name);
            }
            username.to_string()
        };
    let user =
        |username: &str, role, enterprise: Option<UnifiedCreditCode>, department: Option<String>| NewUser {
            username: username.to_string(),
            role,
            password_hash: password_hash.to_string(),
            display_name: display_name(username, &enterprise, &department),
            enterprise,
            department,
            at: now,
        };
    for (u, d) in &plan.department_users {
        if store.user_by_username(u).await?.is_none() {
            store.create_user(&user(u, store::Role::Department, None, Some(d.clone()))).await?;
        }
    }
    for (u, e) in &plan.enterprise_users {
        if store.user_by_username(u).await?.is_none() {
            store.create_user(&user(u, store::Role::Enterprise, Some(e.clone()), None)).await?;
        }
    }
    let mut visit_ids = Vec::new();
    for (v, at) in &plan.visits {
        let id = store
            .add_visit(v, &store::Stamp::new(v.cadre.clone(), *at))
            .await
            .map_err(|e| crate::user_error(&e))?;
        visit_ids.push(id);
    }
    let mut summary = DemoProblemsSummary { visits: visit_ids.len(), ..Default::default() };
    for p in &plan.problems {
        let mut problem = p.problem.clone();
        problem.visit = p.visit.and_then(|v| visit_ids.get(v)).map(|id| id.to_string());
        let rec = store
            .create_problem(problem, &p.submitter, now, &routing, limits)
            .await
            .map_err(|e| crate::user_error(&e))
            .context("writing a demo problem")?;
        summary.problems += 1;
        summary.events += 1;
        for (at, actor, cmd) in &p.steps {
            store
                .record_transition(rec.id, cmd, actor, *at, now)
                .await
                .map_err(|e| crate::user_error(&e))
                .with_context(|| format!("demo problem {}: {}", rec.id, cmd.action.kind().as_str()))?;
            summary.events += 1;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use handling::{ALL_STATES, State, Warning};
    use std::collections::BTreeSet;

    #[test]
    fn the_plan_is_deterministic_and_reaches_every_state() {
        let zone = crate::demo::generate(crate::demo::DEMO_SEED, 400);
        let a = plan(&zone, DEMO_PROBLEMS);
        let b = plan(&zone, DEMO_PROBLEMS);
        assert_eq!(a.refused, 0, "every planned step is legal");
        assert_eq!(a.problems.len(), DEMO_PROBLEMS);
        let states: BTreeSet<State> = a.problems.iter().map(|p| p.state.state).collect();
        assert_eq!(states, ALL_STATES.iter().copied().collect(), "every state");
        assert_eq!(
            a.problems.iter().map(|p| p.steps.len()).collect::<Vec<_>>(),
            b.problems.iter().map(|p| p.steps.len()).collect::<Vec<_>>()
        );
        let year_end = china(NaiveDate::from_ymd_opt(2022, 12, 31).unwrap(), 18, 0);
        let lights: Vec<Warning> = a.problems.iter().map(|p| handling::warning(&p.state, year_end)).collect();
        assert!(lights.contains(&Warning::Red) && lights.contains(&Warning::Yellow), "red and yellow");
        let now = china(NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(), 9, 0);
        assert!(
            a.problems.iter().any(|p| handling::warning(&p.state, now) == Warning::Yellow),
            "a paused yellow stays yellow"
        );
        assert!(a.problems.iter().any(|p| p.state.reopens > 0));
        assert!(a.problems.iter().any(|p| p.state.escalations > 0 && !p.state.consultations.is_empty()));
        assert!(
            a.problems.iter().any(|p| p.state.closure().is_some_and(|c| c.rating.is_none())),
            "closed unrated"
        );
        assert!(a.problems.iter().any(|p| p.problem.visit.is_some()));
        // Issue 11: 督办 cases replied, decisions tracked (some done), the enterprise's own
        // answer at confirmation both ways, closures without confirmation spot-checked.
        assert!(a.problems.iter().any(|p| p.state.escalation_cases.iter().any(|c| c.replied_at.is_some())));
        assert!(a.problems.iter().any(|p| p.state.decisions.iter().any(|d| d.done_at.is_some())));
        assert!(a.problems.iter().any(|p| p.state.decisions.iter().any(|d| d.done_at.is_none())));
        let solved: BTreeSet<Option<bool>> = a
            .problems
            .iter()
            .filter(|p| p.state.closure().is_some())
            .map(|p| p.state.enterprise_says_solved())
            .collect();
        assert_eq!(solved.len(), 3, "solved, not solved and no answer: {solved:?}");
        assert!(a.problems.iter().any(|p| !p.state.spot_checks.is_empty()));
        let ratings: BTreeSet<String> = a
            .problems
            .iter()
            .flat_map(|p| p.state.ratings.iter().map(|r| format!("{:?}", r.rating)))
            .collect();
        assert_eq!(ratings.len(), 3, "rated each way");
        // The stored light times agree with the machine's warning on every demo problem.
        for p in &a.problems {
            let (y, r) = store::problems::lights(&p.state);
            for t in [year_end, now, p.state.last_at, p.state.problem.received_at + Duration::days(3)] {
                assert_eq!(store::problems::light_at(y, r, t), handling::warning(&p.state, t));
            }
        }
    }
}
