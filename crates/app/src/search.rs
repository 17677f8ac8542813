//! Search (政策咨询检索): one search box over policy documents and items, interpretations, FAQs,
//! service guides, exemplary cases and (for officials, and an enterprise's own) problems;
//! the suggestions shown while a problem is typed; the record of what enterprises searched
//! and did not open ("questions without answers", 未解答的提问); "this solved it" (自助解决);
//! the zone's synonyms.
//!
//! The index ([`search::SearchIndex`]) is derived data kept by [`SearchService`]: before each
//! search it catches up with the store (content by its fingerprint, problems by their event
//! sequence, the policy library in use and the synonyms by their text), at most every
//! [`SearchService::CHECK_EVERY`] unless a write of this process marked it stale
//! ([`SearchService::touch`]), so a change is found by the next search here and within that
//! interval in other processes. `huiqi search rebuild` (or a deleted or damaged index
//! directory) rebuilds it from the store.
//!
//! Who finds what: published content and the policy library, everyone signed in; problems
//! by the principal's problem scope ([`crate::authz::problem_scope`]): an enterprise its own,
//! a department those routed to it (lead or cooperating), a cadre their enterprises',
//! leaders, supervisors and admins all, policy officers none. A confidential problem is
//! indexed by its title only.

pub use ::search::{Hit, Kind};
use ::search::{SearchDoc, SearchIndex, SearchQuery, Watermarks};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use store::Role;
use store::content::{ContentKind, ContentState, SearchLogEntry, SelfServiceAnswer, SynonymGroup};

use crate::authz::{ProblemScope, problem_scope};
use crate::problems::text::{Lines, clean};
use crate::{App, Error, Principal, Result};

/// The longest query (characters).
pub const QUERY_MAX: usize = 200;
/// The most results a search returns.
pub const LIMIT_MAX: usize = 100;

/// The index of one process, opened on first use.
pub struct SearchService {
    dir: Option<PathBuf>,
    index: OnceLock<std::result::Result<Arc<SearchIndex>, String>>,
    /// When the index was last brought up to date, and whether a write since made it stale.
    checked: Mutex<(Option<Instant>, bool)>,
    sync: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Default for SearchService {
    fn default() -> Self {
        SearchService::in_memory()
    }
}

impl SearchService {
    /// How often a search looks for changes made by other processes.
    pub const CHECK_EVERY: Duration = Duration::from_millis(500);

    /// An index kept in memory (tests; built from the store on first use).
    pub fn in_memory() -> SearchService {
        SearchService {
            dir: None,
            index: OnceLock::new(),
            checked: Mutex::new((None, true)),
            sync: tokio::sync::Mutex::new(()),
        }
    }

    /// An index kept in `dir` (each server its own; deleting it loses nothing).
    pub fn in_dir(dir: PathBuf) -> SearchService {
        SearchService { dir: Some(dir), ..SearchService::in_memory() }
    }

    /// The directory the index is kept in; `None` for an index in memory (also when the
    /// directory was held by another process when the index was first used).
    pub fn dir(&self) -> Option<&std::path::Path> {
        if let Some(Ok(ix)) = self.index.get()
            && ix.is_in_memory()
        {
            return None;
        }
        self.dir.as_deref()
    }

    /// Marks the index stale: the next search catches up first.
    pub fn touch(&self) {
        if let Ok(mut c) = self.checked.lock() {
            c.1 = true;
        }
    }

    fn index(&self) -> Result<Arc<SearchIndex>> {
        let r = self.index.get_or_init(|| {
            let ix = match &self.dir {
                // A directory another process holds (a running server's): search a copy built
                // in memory instead.
                Some(d) => SearchIndex::open(d).or_else(|e| {
                    tracing::warn!(dir = %d.display(), error = %e, "search index busy; using one in memory");
                    SearchIndex::in_memory()
                }),
                None => SearchIndex::in_memory(),
            };
            ix.map(Arc::new).map_err(|e| e.to_string())
        });
        r.clone().map_err(Error::Internal)
    }

    fn due(&self) -> bool {
        self.checked
            .lock()
            .map(|c| c.1 || c.0.is_none_or(|t| t.elapsed() >= Self::CHECK_EVERY))
            .unwrap_or(true)
    }

    fn mark_checked(&self) {
        if let Ok(mut c) = self.checked.lock() {
            *c = (Some(Instant::now()), false);
        }
    }
}

/// Problems read from the store per round while catching up.
const PROBLEM_PAGE: u32 = 5_000;

/// A fingerprint of the policy library in use (its documents, items and windows).
fn library_fingerprint(lib: &rules::Library) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in &lib.policies {
        (&p.id, &p.title, &p.document, &p.file).hash(&mut h);
        for i in &p.items {
            (&i.id, &i.title, &i.clause, i.window.from, i.window.to, &i.departments, i.no_application)
                .hash(&mut h);
        }
    }
    format!("{}:{:x}", lib.policies.len(), h.finish())
}

fn level_code(l: rules::library::Level) -> String {
    serde_json::to_value(l)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{l:?}").to_lowercase())
}

/// The policy documents and items of a library as search documents.
pub fn policy_docs(lib: &rules::Library) -> Vec<SearchDoc> {
    let mut out = Vec::new();
    for p in &lib.policies {
        let level = level_code(p.level);
        out.push(SearchDoc {
            kind: Some(Kind::Policy),
            id: p.id.clone(),
            title: p.title.clone(),
            body: format!(
                "{}\n{}\n{}",
                p.document,
                p.issuer,
                p.items.iter().map(|i| format!("{}：{}", i.title, i.clause)).collect::<Vec<_>>().join("\n")
            ),
            docno: p.document.clone(),
            level: level.clone(),
            departments: p.departments.clone(),
            valid_from: Some(p.window.from),
            valid_to: p.window.to,
            ..SearchDoc::default()
        });
        for i in &p.items {
            out.push(SearchDoc {
                kind: Some(Kind::Item),
                id: i.id.clone(),
                title: i.title.clone(),
                // The clause (the official text); an item's note is for developers.
                body: i.clause.clone(),
                parent_docno: p.document.clone(),
                level: level.clone(),
                departments: i.departments.clone(),
                benefit: if i.no_application { "no_application".into() } else { "application".into() },
                valid_from: Some(i.window.from),
                valid_to: i.window.to,
                ..SearchDoc::default()
            });
        }
    }
    out
}

fn content_kind(k: ContentKind) -> Kind {
    match k {
        ContentKind::Interpretation => Kind::Interpretation,
        ContentKind::Faq => Kind::Faq,
        ContentKind::Guide => Kind::Guide,
        ContentKind::Case => Kind::Case,
    }
}

const CONTENT_KINDS: [Kind; 4] = [Kind::Interpretation, Kind::Faq, Kind::Guide, Kind::Case];

/// A published content item as a search document (its guide details are searched too).
pub fn content_doc(c: &store::content::ContentItem, department_name: &str) -> SearchDoc {
    let mut body = c.body.clone();
    if let Some(g) = &c.details.guide {
        body.push_str(&format!(
            "\n办理地点：{}\n申请材料：{}\n办理时限：{}\n收费标准：{}\n咨询电话：{}",
            g.place,
            g.documents.join("；"),
            g.time_limit,
            g.fees,
            g.contact
        ));
    }
    let mut departments = vec![c.department.clone()];
    if !department_name.is_empty() {
        departments.push(department_name.to_string());
    }
    SearchDoc {
        kind: Some(content_kind(c.kind)),
        id: c.id.to_string(),
        title: c.title.clone(),
        body,
        departments,
        tags: c.tags.clone(),
        ..SearchDoc::default()
    }
}

/// A problem as a search document, with its access keys.
pub fn problem_doc(p: &store::content::ProblemSearchRow) -> SearchDoc {
    let cooperating: Vec<String> = serde_json::from_str(&p.cooperating).unwrap_or_default();
    let mut access = vec![format!("enterprise:{}", p.uscc), format!("department:{}", p.lead_department)];
    access.extend(cooperating.iter().map(|d| format!("department:{d}")));
    let mut departments = vec![p.lead_department.clone()];
    departments.extend(cooperating);
    SearchDoc {
        kind: Some(Kind::Problem),
        id: p.id.to_string(),
        title: p.title.clone(),
        body: if p.confidential { String::new() } else { p.description.clone() },
        departments,
        tags: vec![p.category.clone(), p.state.clone()],
        access,
        ..SearchDoc::default()
    }
}

/// Brings the index up to date with the store (see the module doc). Returns the index.
async fn current(app: &App, force: bool) -> Result<Arc<SearchIndex>> {
    let svc = &app.search;
    let ix = svc.index()?;
    if !force && !svc.due() {
        return Ok(ix);
    }
    let _g = svc.sync.lock().await;
    if !force && !svc.due() {
        return Ok(ix);
    }
    let mut marks = ix.watermarks();
    let mut replace = Vec::new();
    let mut docs = Vec::new();
    let mut changed = false;
    // Synonyms (kept in the index's memory; their text in the watermarks).
    let groups = app.store.synonym_groups().await?;
    ix.set_synonyms(groups.iter().map(|g| g.terms.clone()).collect());
    let syn = groups.iter().map(|g| SynonymGroup::text(&g.terms)).collect::<Vec<_>>().join("|");
    if marks.sources.get("synonyms") != Some(&syn) {
        marks.sources.insert("synonyms".into(), syn);
        changed = true;
    }
    // Policies in use.
    let lib = app.live.policies().library.clone();
    let fp = library_fingerprint(&lib);
    if marks.sources.get("policies") != Some(&fp) {
        replace.extend([Kind::Policy, Kind::Item]);
        docs.extend(policy_docs(&lib));
        marks.sources.insert("policies".into(), fp);
        changed = true;
    }
    // Content.
    let (n, sum) = app.store.content_fingerprint().await?;
    let cfp = format!("{n}:{sum}");
    if marks.sources.get("content") != Some(&cfp) {
        let names: std::collections::HashMap<String, String> =
            app.store.departments().await?.into_iter().map(|d| (d.code, d.name)).collect();
        replace.extend(CONTENT_KINDS);
        for c in app.store.all_content().await?.iter().filter(|c| c.state == ContentState::Published) {
            docs.push(content_doc(c, names.get(&c.department).map(String::as_str).unwrap_or("")));
        }
        marks.sources.insert("content".into(), cfp);
        changed = true;
    }
    if changed || !docs.is_empty() {
        ix.apply(&replace, &[], &docs, &marks).map_err(Error::internal)?;
    }
    // Problems since the last event seen, a page at a time.
    loop {
        let after: i64 = marks.sources.get("problems").and_then(|s| s.parse().ok()).unwrap_or(0);
        let rows = app.store.problems_for_search(after, PROBLEM_PAGE).await?;
        let Some(last) = rows.last().map(|r| r.last_seq) else { break };
        let docs: Vec<SearchDoc> = rows.iter().map(problem_doc).collect();
        marks.sources.insert("problems".into(), last.to_string());
        ix.apply(&[], &[], &docs, &marks).map_err(Error::internal)?;
        if rows.len() < PROBLEM_PAGE as usize {
            break;
        }
    }
    svc.mark_checked();
    Ok(ix)
}

/// What `huiqi search rebuild` did.
#[derive(Debug, Clone, Serialize)]
pub struct Rebuilt {
    pub documents: u64,
    pub seconds: f64,
}

/// Rebuilds the index from the store (admins; the command line's operator).
#[tracing::instrument(skip(app, p), fields(user = %p.username))]
pub async fn rebuild(app: &App, p: &Principal) -> Result<Rebuilt> {
    if p.role != Role::Admin {
        return Err(Error::Forbidden);
    }
    let started = Instant::now();
    let ix = app.search.index()?;
    ix.clear().map_err(Error::internal)?;
    app.search.touch();
    let ix = current(app, true).await?;
    Ok(Rebuilt { documents: ix.len(), seconds: started.elapsed().as_secs_f64() })
}

/// A search as the front ends send it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct SearchRequest {
    /// The words, a document number (`2022年第14号`) or pinyin (`zjtx`).
    #[serde(default)]
    pub q: String,
    /// `policy`, `item`, `interpretation`, `faq`, `guide`, `case`, `problem`; several
    /// separated by commas.
    pub kind: Option<String>,
    /// In force on this date (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// `national`, `provincial`, `municipal`, `zone`.
    pub level: Option<String>,
    /// A department code or name.
    pub department: Option<String>,
    /// Tags, separated by commas (each must be present).
    pub tags: Option<String>,
    /// `no_application` or `application`.
    pub benefit: Option<String>,
    /// At most this many results (1–100, default 20).
    pub limit: Option<usize>,
}

/// A search's answer.
#[derive(Debug, Clone, Serialize)]
pub struct SearchAnswer {
    pub hits: Vec<Hit>,
    /// The logged search (an enterprise's), to record the result it opens.
    pub search_id: Option<i64>,
}

fn bad(field: &str, value: &str, reason: &str) -> Error {
    Error::Invalid { field: field.to_string(), value: value.to_string(), reason: reason.to_string() }
}

/// The principal's access keys (None: every problem).
async fn access(app: &App, p: &Principal) -> Result<Option<Vec<String>>> {
    let mut keys = vec![search::PUBLIC.to_string()];
    match problem_scope(p) {
        ProblemScope::All => return Ok(None),
        ProblemScope::Enterprise(e) => keys.push(format!("enterprise:{e}")),
        ProblemScope::Department(d) => keys.push(format!("department:{d}")),
        ProblemScope::CadreOf(c) => {
            for e in app.store.cadre_enterprises(Some(&c)).await? {
                keys.push(format!("enterprise:{}", e.uscc));
            }
        }
        ProblemScope::None => {}
    }
    Ok(Some(keys))
}

async fn query_of(app: &App, p: &Principal, req: &SearchRequest) -> Result<SearchQuery> {
    let text = clean("q", &req.q, QUERY_MAX, Lines::One)?;
    let opt = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let mut kinds = Vec::new();
    if let Some(k) = opt(&req.kind) {
        for part in k.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            kinds.push(Kind::parse(part).ok_or_else(|| {
                bad("kind", part, "policy | item | interpretation | faq | guide | case | problem")
            })?);
        }
    }
    let date = match opt(&req.date) {
        Some(d) => {
            Some(calendar::parse_date(&d).map_err(|e| bad("date", &d, &i18n::Localized::bilingual(&e)))?)
        }
        None => None,
    };
    let level = match opt(&req.level) {
        Some(l) => {
            let code = match l.as_str() {
                "national" | "国家" | "国家级" => "national",
                "provincial" | "省" | "省级" => "provincial",
                "municipal" | "city" | "市" | "市级" => "municipal",
                "zone" | "园区" | "区级" => "zone",
                _ => return Err(bad("level", &l, "national | provincial | municipal | zone")),
            };
            Some(code.to_string())
        }
        None => None,
    };
    let department = match opt(&req.department) {
        Some(d) => {
            let routing = crate::problems::routing(app).await?;
            Some(
                routing
                    .department(&d)
                    .map(|x| x.code.clone())
                    .ok_or_else(|| bad("department", &d, "部门代码或名称 / a department code or name"))?,
            )
        }
        None => None,
    };
    let tags: Vec<String> = opt(&req.tags)
        .map(|t| t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    if tags.len() > 10 {
        return Err(bad("tags", &tags.len().to_string(), "最多 10 个标签 / at most 10 tags"));
    }
    let benefit = match opt(&req.benefit) {
        Some(b) if b == "no_application" || b == "application" => Some(b),
        Some(b) => return Err(bad("benefit", &b, "no_application | application")),
        None => None,
    };
    let limit = match req.limit {
        None => 20,
        Some(n) if (1..=LIMIT_MAX).contains(&n) => n,
        Some(n) => return Err(bad("limit", &n.to_string(), &format!("1–{LIMIT_MAX}"))),
    };
    Ok(SearchQuery {
        text,
        kinds,
        level,
        department,
        date,
        tags,
        benefit,
        access: access(app, p).await?,
        limit,
        all_words: false,
    })
}

/// Searches; an enterprise's search is logged (see [`click`]).
#[tracing::instrument(skip(app, p, req), fields(user = %p.username))]
pub async fn search(app: &App, p: &Principal, req: &SearchRequest) -> Result<SearchAnswer> {
    let q = query_of(app, p, req).await?;
    if q.text.is_empty() {
        return Ok(SearchAnswer { hits: Vec::new(), search_id: None });
    }
    let ix = current(app, false).await?;
    let hits = ix.search(&q).map_err(Error::internal)?;
    let search_id = if p.role == Role::Enterprise {
        Some(
            app.store
                .log_search(&SearchLogEntry {
                    username: p.username.clone(),
                    role: p.role.as_str().to_string(),
                    query: q.text.clone(),
                    hits: hits.len() as i64,
                    at: app.now(),
                })
                .await?,
        )
    } else {
        None
    };
    Ok(SearchAnswer { hits, search_id })
}

/// The problems the index finds for a queue's keywords (every word, or a synonym of it, in
/// the title or the text), among those `p` may see: at most [`QUEUE_FOUND`] ids, which the
/// list's SQL matches besides the keywords as substrings (store::problems::TextFilter).
pub(crate) async fn problems_found(app: &App, p: &Principal, words: &[String]) -> Result<Vec<i64>> {
    let q = SearchQuery {
        text: words.join(" "),
        kinds: vec![Kind::Problem],
        access: access(app, p).await?,
        limit: QUEUE_FOUND,
        all_words: true,
        ..SearchQuery::default()
    };
    let ix = current(app, false).await?;
    let hits = ix.search(&q).map_err(Error::internal)?;
    Ok(hits.iter().filter_map(|h| h.id.parse().ok()).collect())
}

/// How many problems the index may add to a queue's keyword filter (the index's own cap).
pub const QUEUE_FOUND: usize = 1000;

/// Suggestions while a problem is typed: FAQs, guides, policy items, interpretations and
/// similar closed problems (the principal's own, or those its scope shows), not logged.
#[tracing::instrument(skip(app, p, text), fields(user = %p.username))]
pub async fn suggest(app: &App, p: &Principal, text: &str, date: Option<NaiveDate>) -> Result<Vec<Hit>> {
    let text: String = text.chars().take(QUERY_MAX).collect();
    let req = SearchRequest {
        q: text.replace(['\r', '\n', '\t'], " "),
        limit: Some(8),
        ..SearchRequest::default()
    };
    let mut q = query_of(app, p, &req).await?;
    if q.text.chars().count() < 2 {
        return Ok(Vec::new());
    }
    q.kinds = vec![Kind::Faq, Kind::Guide, Kind::Item, Kind::Interpretation, Kind::Case];
    q.date = date;
    let ix = current(app, false).await?;
    let mut hits = ix.search(&q).map_err(Error::internal)?;
    // Similar problems answer a question only once closed.
    let closed =
        SearchQuery { kinds: vec![Kind::Problem], tags: vec!["closed".into()], date: None, limit: 3, ..q };
    hits.extend(ix.search(&closed).map_err(Error::internal)?);
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(8);
    Ok(hits)
}

/// Records the result an enterprise opened from its logged search.
pub async fn click(app: &App, p: &Principal, search_id: i64, kind: &str, target: &str) -> Result<bool> {
    let kind = Kind::parse(kind).ok_or_else(|| bad("kind", kind, "policy | item | faq | guide | …"))?;
    let target = clean("id", target, 100, Lines::One)?;
    Ok(app.store.log_search_click(search_id, &p.username, kind.as_str(), &target).await?)
}

/// The queries enterprises searched without opening a result (officials).
pub async fn unanswered(
    app: &App,
    p: &Principal,
    limit: u32,
) -> Result<Vec<store::content::UnansweredQuery>> {
    if !matches!(p.role, Role::Department | Role::Policy | Role::Leader | Role::Supervisor | Role::Admin) {
        return Err(Error::Forbidden);
    }
    Ok(app.store.unanswered_queries(limit.clamp(1, 500)).await?)
}

/// An enterprise's "this solved it": the answer it chose instead of raising a problem.
#[tracing::instrument(skip(app, p, query), fields(user = %p.username))]
pub async fn solved(app: &App, p: &Principal, query: &str, kind: &str, target: &str) -> Result<i64> {
    if p.role != Role::Enterprise {
        return Err(Error::Forbidden);
    }
    let kind =
        Kind::parse(kind).ok_or_else(|| bad("kind", kind, "faq | guide | item | interpretation | case"))?;
    let target = clean("id", target, 100, Lines::One)?;
    let query = clean(
        "q",
        &query.chars().take(crate::problems::text::DESCRIPTION_MAX).collect::<String>(),
        crate::problems::text::DESCRIPTION_MAX,
        Lines::Many,
    )?;
    Ok(app
        .store
        .record_self_service(&SelfServiceAnswer {
            username: p.username.clone(),
            enterprise: p.enterprise.as_ref().map(ToString::to_string),
            query,
            kind: kind.as_str().to_string(),
            target,
            at: app.now(),
        })
        .await?)
}

/// Self-service answers in `[from, to)` by kind (KPIs: counted apart from problems).
pub async fn self_service_counts(
    app: &App,
    p: &Principal,
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
) -> Result<Vec<(String, i64)>> {
    crate::authz::require(p, crate::authz::Action::Read, crate::authz::Resource::Kpi)?;
    Ok(app.store.self_service_counts(from, to).await?)
}

/// The synonym groups (every signed-in user reads them).
pub async fn synonyms(app: &App) -> Result<Vec<SynonymGroup>> {
    Ok(app.store.synonym_groups().await?)
}

/// Adds (`id: None`) or replaces a synonym group (policy officers, admins).
#[tracing::instrument(skip(app, p, terms), fields(user = %p.username))]
pub async fn save_synonyms(
    app: &App,
    p: &Principal,
    id: Option<i64>,
    terms: &[String],
) -> Result<SynonymGroup> {
    if !matches!(p.role, Role::Policy | Role::Admin) {
        return Err(Error::Forbidden);
    }
    let mut clean_terms = Vec::new();
    for t in terms.iter().flat_map(|t| t.split_whitespace()) {
        let t = clean("terms", t, 30, Lines::One)?;
        if !t.is_empty() && !clean_terms.contains(&t) {
            clean_terms.push(t);
        }
    }
    if clean_terms.len() < 2 || clean_terms.len() > 20 {
        return Err(bad(
            "terms",
            &clean_terms.join(" "),
            "一组同义词须有 2 至 20 个词，以空格分隔 / a group has 2 to 20 terms separated by spaces",
        ));
    }
    let g = app.store.save_synonym_group(id, &clean_terms, &p.stamp(app.now())).await?;
    app.search.touch();
    Ok(g)
}

/// Deletes a synonym group (policy officers, admins).
pub async fn delete_synonyms(app: &App, p: &Principal, id: i64) -> Result<bool> {
    if !matches!(p.role, Role::Policy | Role::Admin) {
        return Err(Error::Forbidden);
    }
    let done = app.store.delete_synonym_group(id, &p.stamp(app.now())).await?;
    app.search.touch();
    Ok(done)
}

/// The watermarks of the index (for `huiqi search status`).
pub fn watermarks(app: &App) -> Result<Watermarks> {
    Ok(app.search.index()?.watermarks())
}
