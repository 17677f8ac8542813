//! The problem pages: the list (a department's is its queue: open problems, red first, with a
//! keyword search; closed ones when asked), the raise form (an enterprise for itself, a cadre
//! on a visit, leaders, supervisors and admins taking problems in by hotline, meeting or
//! visit), one problem with a form for each action the user may take now, and the action
//! form's post. Each page reads its form, calls the use case and renders.

use app::problems::{self as uc, IntakeEnterprises, OpenFilter, Reader};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::DateTime;
use enterprise::Routing;
use handling::{ActionKind, Channel, Warning};
use i18n::Lang;
use serde::Deserialize;
use std::collections::HashMap;

use super::dto::{ActionIn, ProblemList, ProblemOut, enum_str, list_request};
use super::routing;
use crate::auth::Principal;
use crate::error::WebError;
use crate::lang::{ReqLang, Tr};
use crate::routes::auth::form;
use crate::state::AppState;
use crate::views::{self, Base};

/// Names for codes in one language: states, actions, departments, categories, ….
#[derive(Debug, Clone)]
pub struct Names {
    pub tr: Tr,
    pub routing: Routing,
    /// Display names by username, for those acting on the page's problems.
    pub people: std::collections::BTreeMap<String, String>,
}

impl Names {
    pub fn new(lang: Lang, routing: Routing) -> Names {
        Names { tr: Tr(lang), routing, people: Default::default() }
    }

    /// With the display names of `usernames` (a user is shown by name, never by login).
    pub async fn with_people(
        mut self,
        state: &AppState,
        p: &Principal,
        usernames: &[String],
    ) -> Result<Names, WebError> {
        self.people = app::users::display_names(state, p, usernames).await?;
        Ok(self)
    }

    /// A user's display name, or the username when none is known.
    pub fn person(&self, username: &str) -> String {
        crate::plain::person(self.tr, &self.people, username)
    }
    pub fn state(&self, s: &str) -> String {
        handling::State::parse(s).map(|x| handling::state_name(x, self.tr.0)).unwrap_or_else(|| s.to_string())
    }
    pub fn action(&self, a: &str) -> String {
        ActionKind::from_stored(a)
            .or_else(|| ActionKind::parse(a))
            .map(|x| handling::action_name(x, self.tr.0))
            .unwrap_or_else(|| a.to_string())
    }
    pub fn role(&self, r: &str) -> String {
        store::parse_role(r).map(|x| self.tr.t(views::role_key(x))).unwrap_or_else(|_| r.to_string())
    }
    pub fn dept(&self, code: &str) -> String {
        self.routing
            .department(code)
            .map(|d| self.tr.pick(&d.name, &d.en).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    /// Departments for a form field: names on Chinese pages (the field takes codes or names).
    pub fn dept_field(&self, codes: &[String]) -> String {
        if self.tr.is_en() {
            return codes.join(",");
        }
        codes.iter().map(|c| self.dept(c)).collect::<Vec<_>>().join("、")
    }
    pub fn depts(&self, codes: &[String]) -> String {
        if codes.is_empty() {
            return "—".into();
        }
        codes.iter().map(|c| self.dept(c)).collect::<Vec<_>>().join("、")
    }
    pub fn category(&self, code: &str) -> String {
        self.routing
            .category(code)
            .map(|c| self.tr.pick(&c.name, &c.en).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    pub fn warning(&self, w: &str) -> String {
        match w {
            "red" => self.tr.t("ui.warning.red"),
            "yellow" => self.tr.t("ui.warning.yellow"),
            _ => self.tr.t("ui.warning.none"),
        }
    }
    pub fn urgency(&self, u: &str) -> String {
        match u {
            "urgent" => self.tr.t("ui.problem.urgent"),
            _ => self.tr.t("ui.problem.normal"),
        }
    }
    pub fn channel(&self, c: &str) -> String {
        match c {
            "self_service" => self.tr.t("ui.channel.self_service"),
            "visit" => self.tr.t("ui.channel.visit"),
            "hotline" => self.tr.t("ui.channel.hotline"),
            "meeting" => self.tr.t("ui.channel.meeting"),
            "service_records" => self.tr.t("ui.channel.service_records"),
            other => other.to_string(),
        }
    }
    pub fn outcome(&self, o: &str) -> String {
        match o {
            "resolved" => self.tr.t("ui.outcome.resolved"),
            "explained" => self.tr.t("ui.outcome.explained"),
            "referred" => self.tr.t("ui.outcome.referred"),
            other => other.to_string(),
        }
    }
    pub fn rating(&self, r: &str) -> String {
        match r {
            "satisfied" => self.tr.t("ui.rating.satisfied"),
            "basically_satisfied" => self.tr.t("ui.rating.basically_satisfied"),
            "dissatisfied" => self.tr.t("ui.rating.dissatisfied"),
            other => other.to_string(),
        }
    }
    pub fn closure(&self, c: &str) -> String {
        match c {
            "confirmed" => self.tr.t("ui.closure.confirmed"),
            "unrated" => self.tr.t("ui.closure.unrated"),
            "supervisor_review" => self.tr.t("ui.closure.supervisor_review"),
            other => other.to_string(),
        }
    }
    /// A due point for people: the date, or the date and time for hour limits.
    pub fn due(&self, d: &str) -> String {
        match DateTime::parse_from_rfc3339(d) {
            Ok(t) => t.with_timezone(&store::china_offset()).format("%Y-%m-%d %H:%M").to_string(),
            Err(_) => d.to_string(),
        }
    }
    pub fn time(&self, t: &str) -> String {
        self.due(t)
    }
}

/// Whether a warning string is a light worth showing.
pub fn is_lit(w: &str) -> bool {
    w == Warning::Red.as_str() || w == Warning::Yellow.as_str()
}

/// Whether the principal may raise problems at all (the list offers the raise form):
/// [`app::authz::raise_scope`].
fn can_raise(p: &Principal) -> bool {
    app::authz::raise_scope(p) != app::authz::RaiseScope::None
}

/// The problem list and queue page (`/problems`): a department's is its queue (open problems
/// in queue order unless asked otherwise), searchable by keyword.
pub async fn page_list(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    views::render(&list_page(&state, lang, &p, &raw, "/problems").await?)
}

/// The list or queue page's content at `path` (`/problems`, or `/` for a department's home,
/// which is its queue).
pub async fn list_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    raw: &HashMap<String, String>,
    path: &'static str,
) -> Result<ProblemListPage, WebError> {
    let page = uc::list(state, p, list_request(raw), true).await?;
    let queue = p.role == store::Role::Department;
    let title = if queue { "ui.queue.title" } else { "ui.problems.title" };
    let b = Base::new(lang, Some(p), path, title);
    let names = Names::new(lang, routing(state).await?);
    let mut out = ProblemListPage::new(b, names, page, queue, can_raise(p));
    if queue {
        // The department is told what it owes besides answers and which deadlines moved.
        let owed = app::problems::follow_ups(state, p, app::problems::FollowUpRequest::default()).await?;
        let tr = crate::lang::Tr(lang);
        out.follow_ups = crate::routes::calendar::follow_up_rows(&owed, tr, &|c: &str| out.n.dept(c));
        out.notices = app::calendar::deadline_notices(state, p, 20)
            .await?
            .into_iter()
            .map(|n| {
                let what: Vec<String> = n
                    .changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {} → {}",
                            tr.pick(c.deadline.label_zh(), c.deadline.as_str()),
                            c.from,
                            c.to
                        )
                    })
                    .collect();
                (n.problem_id, format!("{} · {}", i18n::dates::time_table(n.at), n.notice), what.join("；"))
            })
            .collect();
    }
    Ok(out)
}

/// The form fields of a new problem (page).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewProblemForm {
    pub enterprise: Option<String>,
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub channel: Option<String>,
    pub urgency: Option<String>,
    pub confidential: Option<String>,
    pub visit: Option<String>,
}

/// The "raise a problem" page (`/problems/new`): what it offers (whose problem, which
/// channels) is the use case's [`app::problems::intake_form`].
pub async fn page_new(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let form = NewProblemForm {
        enterprise: raw.get("enterprise").cloned(),
        channel: raw.get("channel").cloned(),
        visit: raw.get("visit").cloned(),
        // A service's page may send the user here for its category (`/logistics`:
        // `?category=logistics` for an obstruction report).
        category: raw.get("category").cloned().unwrap_or_default(),
        ..Default::default()
    };
    new_page(&state, lang, &p, form, None).await
}

async fn new_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    form: NewProblemForm,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let intake = uc::intake_form(state, p).await?;
    let names = Names::new(lang, routing(state).await?);
    let b = Base::new(lang, Some(p), "/problems", "ui.problem.new");
    let channels = intake.channels.iter().map(|c| (enum_str(c), names.channel(&enum_str(c)))).collect();
    let (linked, any_enterprise) = match intake.enterprises {
        IntakeEnterprises::Own => (Vec::new(), false),
        IntakeEnterprises::Linked(v) => (v, false),
        IntakeEnterprises::Any => (Vec::new(), true),
    };
    let intake = intake.channels.first() != Some(&Channel::SelfService);
    views::render(&ProblemNewPage { b, names, linked, any_enterprise, intake, channels, form, error })
}

/// The request of the page's form, with its files.
fn raise_request(f: &NewProblemForm, files: Vec<uc::NewFile>) -> Result<uc::RaiseRequest, WebError> {
    let visit = match f.visit.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| WebError::InvalidParam { param: "visit".into(), value: v.into() })?,
        ),
        None => None,
    };
    Ok(uc::RaiseRequest {
        enterprise: f.enterprise.clone(),
        category: f.category.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        channel: f.channel.clone(),
        urgency: f.urgency.clone(),
        confidential: f.confidential.is_some(),
        visit,
        received_at: None,
        files,
    })
}

/// Raises a problem from the page (a form without files); back to the form with the message
/// on an error.
pub async fn page_create(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<NewProblemForm>, FormRejection>,
) -> Result<Response, WebError> {
    page_create_with(&state, lang, &p, form(f)?, Vec::new()).await
}

/// Raises a problem (with its files) from the page's form; back to the form with the message
/// on an error.
pub(crate) async fn page_create_with(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    f: NewProblemForm,
    files: Vec<uc::NewFile>,
) -> Result<Response, WebError> {
    let result = match raise_request(&f, files) {
        Ok(req) => uc::raise(state, p, req).await.map_err(WebError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(view) => Ok(Redirect::to(&format!("/problems/{}", view.id())).into_response()),
        Err(e) => page_create_refused(state, lang, p, f, e).await,
    }
}

/// The form again with the refusal's message, or the error itself when it is not the
/// user's to fix here.
pub(crate) async fn page_create_refused(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    f: NewProblemForm,
    e: WebError,
) -> Result<Response, WebError> {
    match e {
        e if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN => {
            use i18n::Localized;
            let msg = e.render(lang);
            let mut resp = new_page(state, lang, p, f, Some(msg)).await?.into_response();
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        e => Err(e),
    }
}

/// One problem's page (`/problems/{id}`): details, deadlines, warning, the timeline, and a
/// form for each action this user may take now.
pub async fn page_one(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    one_page(&state, lang, &p, id, None, raw.contains_key("done")).await
}

pub(crate) async fn one_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    id: i64,
    error: Option<String>,
    done: bool,
) -> Result<Html<String>, WebError> {
    let view = uc::show(state, Reader::User(p), id, None).await?;
    let out = ProblemOut::from(&view);
    let actors: Vec<String> = out
        .events
        .iter()
        .map(|e| e.actor.clone())
        .chain(out.escalation_cases.iter().map(|c| c.by.clone()))
        .chain(out.attachments.iter().map(|a| a.uploaded_by.clone()))
        .collect();
    let names = Names::new(lang, routing(state).await?).with_people(state, p, &actors).await?;
    let b = Base::new(lang, Some(p), "/problems", "ui.problem.title");
    views::render(&ProblemPage::new(b, names, out, error, done))
}

/// The action form of the problem page (all fields as text).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActForm {
    pub action: String,
    pub version: Option<u32>,
    pub note: Option<String>,
    pub lead: Option<String>,
    pub cooperating: Option<String>,
    pub handler: Option<String>,
    pub upheld: Option<String>,
    pub workdays: Option<String>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
    pub to: Option<String>,
    pub rating: Option<String>,
    pub decision: Option<String>,
    pub participants: Option<String>,
    pub minutes: Option<String>,
    /// One decision a line: `事项 | 责任部门 | 期限` (the owner and deadline may be left out).
    pub decisions: Option<String>,
    /// confirm / spot check: `yes` or `no`.
    pub solved: Option<String>,
}

impl ActForm {
    fn into_input(self) -> Result<ActionIn, WebError> {
        let list = |s: Option<String>| s.filter(|x| !x.trim().is_empty()).map(|x| vec![x]);
        let workdays = match self.workdays.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(w) => Some(
                w.parse::<u32>()
                    .map_err(|_| WebError::InvalidParam { param: "workdays".into(), value: w.into() })?,
            ),
            None => None,
        };
        // The objection form's yes/no is a decision word like any other.
        let decision = self.decision.or(self.upheld);
        // Decisions: one a line, `text | owner | due` (owner and due optional).
        let (mut texts, mut owners, mut dues) = (Vec::new(), Vec::new(), Vec::new());
        for line in self.decisions.as_deref().unwrap_or_default().lines().filter(|l| !l.trim().is_empty()) {
            let mut parts = line.split(['|', '｜']).map(str::trim);
            texts.push(parts.next().unwrap_or_default().to_string());
            owners.push(parts.next().unwrap_or_default().to_string());
            dues.push(parts.next().unwrap_or_default().to_string());
        }
        let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
        Ok(ActionIn {
            action: self.action,
            note: self.note,
            version: self.version,
            lead: self.lead,
            cooperating: list(self.cooperating),
            handler: self.handler,
            upheld: None,
            workdays,
            outcome: self.outcome,
            reason: self.reason,
            to: self.to,
            rating: self.rating,
            decision,
            participants: list(self.participants),
            minutes: self.minutes,
            decisions: some(texts),
            decision_owners: some(owners),
            decision_dues: some(dues),
            solved: self.solved.filter(|s| !s.trim().is_empty()).map(super::dto::SolvedIn::Word),
        })
    }
}

/// An action from the problem page; back to the page with the domain's message when refused.
pub async fn page_act(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
    f: Result<Form<ActForm>, FormRejection>,
) -> Result<Response, WebError> {
    let result = match form(f)?.into_input() {
        Ok(input) => {
            uc::act(&state, &p, id, input.into_request(None)).await.map(|_| ()).map_err(WebError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/problems/{id}?done=1")).into_response()),
        Err(e)
            if matches!(e.status().as_u16(), 400 | 403 | 409 | 412 | 422)
                && !matches!(e, WebError::ProblemNotFound { .. }) =>
        {
            use i18n::Localized;
            let msg = e.render(lang);
            let mut resp = one_page(&state, lang, &p, id, Some(msg), false).await?.into_response();
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Templates

/// The problem list, or a department's queue.
#[derive(askama::Template)]
#[template(path = "problem_list.html")]
pub struct ProblemListPage {
    pub b: Base,
    pub n: Names,
    pub q: uc::ListRequest,
    /// `open`, `closed` or `all`: the list's scope as read.
    pub open: &'static str,
    pub list: ProblemList,
    pub queue: bool,
    pub can_create: bool,
    pub pages: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    /// A department's queue: what it owes besides answers (督办, decisions), open.
    pub follow_ups: Vec<crate::routes::calendar::FollowUpRow>,
    /// A department's queue: deadlines moved by a loaded calendar year (problem, when, what).
    pub notices: Vec<(i64, String, String)>,
}

use crate::views::enc;

impl ProblemListPage {
    pub fn new(b: Base, n: Names, page: uc::ProblemPage, queue: bool, can_create: bool) -> ProblemListPage {
        let pages = page.pages();
        let open = match page.open {
            OpenFilter::Open => "open",
            OpenFilter::Closed => "closed",
            OpenFilter::All => "all",
        };
        let q = page.request.clone();
        let href = |n: u64| {
            let mut s = format!("/problems?page={n}&per_page={}&open={open}", page.per_page);
            for (k, v) in [
                ("state", &q.state),
                ("department", &q.department),
                ("category", &q.category),
                ("warning", &q.warning),
                ("enterprise", &q.enterprise),
                ("q", &q.q),
                ("sort", &q.sort),
            ] {
                if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                    s.push_str(&format!("&{k}={}", enc(v)));
                }
            }
            s
        };
        let prev_href = (page.page > 1).then(|| href(page.page - 1));
        let next_href = (page.page < pages).then(|| href(page.page + 1));
        ProblemListPage {
            b,
            n,
            q,
            open,
            list: page.into(),
            queue,
            can_create,
            pages,
            prev_href,
            next_href,
            follow_ups: Vec::new(),
            notices: Vec::new(),
        }
    }

    pub fn sel<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    /// Whether the filter `v` has the value `code` (for `selected`).
    pub fn is(&self, v: &Option<String>, code: &str) -> bool {
        v.as_deref() == Some(code)
    }

    pub fn states(&self) -> Vec<(&'static str, String)> {
        handling::ALL_STATES.into_iter().map(|s| (s.as_str(), handling::state_name(s, self.b.tr.0))).collect()
    }
}

/// Raise a problem, or take one in for an enterprise (代录).
#[derive(askama::Template)]
#[template(path = "problem_new.html")]
pub struct ProblemNewPage {
    pub b: Base,
    pub names: Names,
    /// A cadre's enterprises to choose from (credit code, name).
    pub linked: Vec<(String, String)>,
    /// The enterprise is typed as a credit code (leaders, supervisors, admins).
    pub any_enterprise: bool,
    /// Taken in by an official (not the enterprise's own self-service).
    pub intake: bool,
    /// The channels offered (code, label), the default first.
    pub channels: Vec<(String, String)>,
    pub form: NewProblemForm,
    pub error: Option<String>,
}

impl ProblemNewPage {
    pub fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

/// One problem with its timeline and action forms.
#[derive(askama::Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub b: Base,
    pub n: Names,
    pub p: ProblemOut,
    pub error: Option<String>,
    pub done: bool,
    /// Deadline rows: (label, value).
    pub deadlines: Vec<(String, String)>,
}

impl ProblemPage {
    pub fn new(b: Base, n: Names, p: ProblemOut, error: Option<String>, done: bool) -> ProblemPage {
        let mut deadlines = Vec::new();
        for (key, label) in [
            ("accept_by", "ui.deadline.accept_by"),
            ("answer_by", "ui.deadline.answer_by"),
            ("objection_by", "ui.deadline.objection_by"),
            ("report_by", "ui.deadline.report_by"),
            ("confirm_by", "ui.deadline.confirm_by"),
        ] {
            if let Some(v) = p.deadlines.get(key).and_then(|v| v.as_str()) {
                deadlines.push((b.tr.t(label), n.due(v)));
            }
        }
        if p.deadlines.get("paused").and_then(|v| v.as_bool()) == Some(true) {
            deadlines.push((b.tr.t("ui.deadline.paused"), b.tr.t("ui.yes")));
        }
        ProblemPage { b, n, p, error, done, deadlines }
    }

    pub fn has(&self, action: &str) -> bool {
        self.p.allowed_actions.iter().any(|a| a == action)
    }

    /// Actions that need nothing but an optional or required note.
    pub fn simple_actions(&self) -> Vec<(String, String, bool)> {
        self.p
            .allowed_actions
            .iter()
            .filter(|a| {
                !matches!(
                    a.as_str(),
                    "assign"
                        | "decide_objection"
                        | "request_extension"
                        | "open_consultation"
                        | "close_consultation"
                        | "answer"
                        | "confirm"
                        | "review"
                        | "complete_decision"
                        | "spot_check"
                )
            })
            .map(|a| {
                let needs = ActionKind::parse(a).is_some_and(|k| k.needs_note());
                (a.clone(), self.n.action(a), needs)
            })
            .collect()
    }

    pub fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("—")
    }
}
