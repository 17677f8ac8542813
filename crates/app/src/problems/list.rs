//! Problem lists with paging: what a principal may see ([`crate::authz::problem_scope`]: an
//! enterprise its own, a department those routed to it, a cadre their enterprises', leaders,
//! supervisors and admins all), filtered (state, open or closed, department, category,
//! light, enterprise, keywords) and ordered (by number, or as a queue: open first, red, then
//! yellow, urgent first, then the answer deadline). A department's page is its queue
//! (待办队列), open problems unless closed ones are asked for.

use enterprise::UnifiedCreditCode;
use handling::{State, Visibility, Warning};
use serde::{Deserialize, Serialize};
use store::Page;
use store::problems::{LightFilter, ProblemFilter, ProblemOrder, ProblemRow, TextFilter};

use super::{parse_uscc, routing};
use crate::authz::{self, Action, ProblemScope, Resource};
use crate::{App, Error, Principal, Result};

/// The most keywords a search takes, and the longest one (characters).
pub const MAX_WORDS: usize = 10;
pub const MAX_WORD_CHARS: usize = 50;

/// Which problems by their end: open ones ([`State::is_open`]), closed and withdrawn ones,
/// or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenFilter {
    #[default]
    All,
    Open,
    Closed,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// By number.
    #[default]
    Id,
    /// As a queue: open before closed, red, yellow, then unlit; urgent first; then the answer
    /// deadline and the number.
    Queue,
}

/// A list request as typed: every value a text, read and checked here (each bad one named).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRequest {
    /// A state (`submitted`, `in_progress`, …).
    pub state: Option<String>,
    /// `open`, `closed` or `all` (also `true`/`false`).
    pub open: Option<String>,
    /// A department (code or name): lead or cooperating.
    pub department: Option<String>,
    /// A category (code or name).
    pub category: Option<String>,
    /// `yellow`, `red` or `warned` (yellow or red), now.
    pub warning: Option<String>,
    /// A credit code.
    pub enterprise: Option<String>,
    /// Keywords (separated by spaces), each in the title or the description.
    pub q: Option<String>,
    /// `id` or `queue`.
    pub sort: Option<String>,
    /// 1-based (default 1).
    pub page: Option<String>,
    /// 1 to 200 (default 50).
    pub per_page: Option<String>,
    /// `me`: only the problems the reader raised (a cadre's 代录, an enterprise user's own).
    pub raised: Option<String>,
}

/// A row as its reader may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRowView {
    pub row: ProblemRow,
    /// Whether the reader sees its details (the title): [`handling::visibility_of`].
    pub full: bool,
    /// The light now.
    pub warning: Warning,
}

impl ProblemRowView {
    /// The title, unless the reader sees only the summary.
    pub fn title(&self) -> Option<&str> {
        self.full.then_some(self.row.projection.title.as_str())
    }
}

/// A page of problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemPage {
    pub rows: Vec<ProblemRowView>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    /// The filters as read (for forms and paging links).
    pub request: ListRequest,
    pub open: OpenFilter,
    pub sort: SortOrder,
}

impl ProblemPage {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

fn bad(field: &str, value: &str, reason: &str) -> Error {
    Error::Invalid { field: field.to_string(), value: value.to_string(), reason: reason.to_string() }
}

/// The principal's defaults: a department's list is its queue of open problems.
fn defaults(who: &Principal) -> (OpenFilter, SortOrder) {
    match who.role {
        store::Role::Department => (OpenFilter::Open, SortOrder::Queue),
        _ => (OpenFilter::All, SortOrder::Id),
    }
}

/// Whether a keyword search may look into confidential problems' texts: only for readers who
/// see the details of every confidential problem their list holds (an enterprise its own, a
/// department those it leads or cooperates on, supervisors all). Others would learn from a
/// match what they may not read.
fn searches_confidential(scope: &ProblemScope, who: &Principal) -> bool {
    matches!(scope, ProblemScope::Enterprise(_) | ProblemScope::Department(_))
        || who.role == store::Role::Supervisor
}

/// A page of the problems `who` may see. `queue_defaults`: the defaults of the principal's
/// page (a department's queue: open problems, queue order) rather than the API's (all, by
/// number).
#[tracing::instrument(skip(app, who, req), fields(user = %who.username))]
pub async fn list(app: &App, who: &Principal, req: ListRequest, queue_defaults: bool) -> Result<ProblemPage> {
    authz::require(who, Action::Read, Resource::ProblemList)?;
    let now = app.now();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let num = |field: &str, v: &Option<String>, lo: u64, hi: u64, d: u64| -> Result<u64> {
        match text(v) {
            None => Ok(d),
            Some(s) => match s.parse::<u64>() {
                Ok(n) if (lo..=hi).contains(&n) => Ok(n),
                _ => Err(bad(field, &s, &format!("{lo}–{hi}"))),
            },
        }
    };
    let routing = routing(app).await?;
    let mut f = ProblemFilter::default();
    if let Some(s) = text(&req.state) {
        f.state = Some(State::parse(&s).ok_or_else(|| {
            let all: Vec<&str> = handling::ALL_STATES.iter().map(|s| s.as_str()).collect();
            bad("state", &s, &all.join(" | "))
        })?);
    }
    let (mut default_open, default_sort) =
        if queue_defaults { defaults(who) } else { (OpenFilter::All, SortOrder::Id) };
    if f.state.is_some() {
        // A state asked for is shown whether it is open or not.
        default_open = OpenFilter::All;
    }
    let open = match text(&req.open).as_deref() {
        None => default_open,
        Some("open" | "true" | "1") => OpenFilter::Open,
        Some("closed" | "false" | "0") => OpenFilter::Closed,
        Some("all") => OpenFilter::All,
        Some(o) => return Err(bad("open", o, "open | closed | all")),
    };
    f.open = match open {
        OpenFilter::All => None,
        OpenFilter::Open => Some(true),
        OpenFilter::Closed => Some(false),
    };
    if let Some(d) = text(&req.department) {
        f.department = Some(
            routing
                .department(&d)
                .map(|x| x.code.clone())
                .ok_or_else(|| bad("department", &d, "部门代码或名称 / a department code or name"))?,
        );
    }
    if let Some(c) = text(&req.category) {
        f.category = Some(
            routing
                .category(&c)
                .map(|x| x.code.clone())
                .ok_or_else(|| bad("category", &c, "问题类别代码或名称 / a category code or name"))?,
        );
    }
    if let Some(w) = text(&req.warning) {
        let l = match w.as_str() {
            "yellow" => LightFilter::Yellow,
            "red" => LightFilter::Red,
            "warned" => LightFilter::Warned,
            _ => return Err(bad("warning", &w, "yellow | red | warned")),
        };
        f.light = Some((l, now));
    }
    let enterprise: Option<UnifiedCreditCode> = match text(&req.enterprise) {
        Some(e) => Some(parse_uscc("enterprise", &e)?),
        None => None,
    };
    f.enterprise = enterprise;
    match text(&req.raised).as_deref() {
        None => {}
        Some("me") => f.raised_by = Some(who.username.clone()),
        Some(r) => return Err(bad("raised", r, "me（本人提交或代录的问题 / the problems you raised）")),
    }
    let words: Vec<String> = match text(&req.q) {
        Some(q) => {
            let q = super::text::clean("q", &q, MAX_WORDS * (MAX_WORD_CHARS + 1), super::text::Lines::One)?;
            let words: Vec<String> = q.split_whitespace().map(str::to_string).collect();
            if words.len() > MAX_WORDS || words.iter().any(|w| w.chars().count() > MAX_WORD_CHARS) {
                return Err(bad(
                    "q",
                    &q,
                    &format!(
                        "最多 {MAX_WORDS} 个词，每词最多 {MAX_WORD_CHARS} 字 / at most {MAX_WORDS} words of {MAX_WORD_CHARS} characters"
                    ),
                ));
            }
            words
        }
        None => Vec::new(),
    };
    let sort = match text(&req.sort).as_deref() {
        None => default_sort,
        Some("id") => SortOrder::Id,
        Some("queue") => SortOrder::Queue,
        Some(s) => return Err(bad("sort", s, "id | queue")),
    };
    f.order = match sort {
        SortOrder::Id => ProblemOrder::Id,
        SortOrder::Queue => ProblemOrder::Queue(now),
    };
    let page = num("page", &req.page, 1, 1_000_000, 1)?;
    let per_page = num("per_page", &req.per_page, 1, 200, 50)?;
    let scope = authz::problem_scope(who);
    if !words.is_empty() {
        let found = crate::search::problems_found(app, who, &words).await?;
        f.text = Some(TextFilter { words, in_confidential: searches_confidential(&scope, who), found });
    }
    let empty = |request: ListRequest| ProblemPage {
        rows: Vec::new(),
        total: 0,
        page,
        per_page,
        request,
        open,
        sort,
    };
    match scope {
        ProblemScope::All => {}
        ProblemScope::Enterprise(e) => {
            if f.enterprise.as_ref().is_some_and(|x| *x != e) {
                return Ok(empty(req));
            }
            f.enterprise = Some(e);
        }
        ProblemScope::Department(d) => {
            if f.department.as_ref().is_some_and(|x| *x != d) {
                return Ok(empty(req));
            }
            f.department = Some(d);
        }
        ProblemScope::CadreOf(c) => f.cadre = Some(c),
        ProblemScope::None => return Err(Error::Forbidden),
    }
    let offset = (page - 1).saturating_mul(per_page);
    let (rows, total) = app.store.list_problems(&f, Page::new(offset, per_page)).await?;
    let actor = who.handling_actor();
    let rows = rows
        .into_iter()
        .map(|row| {
            let x = &row.projection;
            let full = handling::visibility_of(
                &row.enterprise,
                x.confidential,
                &x.lead_department,
                &x.cooperating,
                &actor,
            ) == Visibility::Full;
            let warning = row.warning(now);
            ProblemRowView { row, full, warning }
        })
        .collect();
    Ok(ProblemPage { rows, total, page, per_page, request: req, open, sort })
}
