//! Policy consultation content (政策咨询内容): interpretations (政策解读), FAQs (常见问题), service
//! guides (办事指南) and exemplary cases (典型案例), written by officials, reviewed by a second
//! person before publication, each linked to the policy items it explains.
//!
//! The review flow: draft → in review (submitted) → published (approved by someone who is
//! neither its author nor the last to edit it) or back to draft (returned, with a reason);
//! a published item can be withdrawn. Editing a submitted or published item returns it to
//! draft: the changed text is reviewed again. Every write names the version it was made
//! against (a concurrent edit is refused, 412) and is audited (`reference_changes`, entity
//! `content`).
//!
//! Who: department staff write their own department's content; policy officers and admins
//! any department's. Published content is read by every signed-in user; drafts and the
//! history by officials only. An exemplary case is made from a closed problem the official
//! sees in full, anonymised (its text may not name the enterprise or its credit code), with
//! the enterprise's consent recorded (who, when, how).
//!
//! What it leaves out: the search index (kept current from the store by [`crate::search`]).

use chrono::NaiveDate;
use enterprise::FieldChange;
use serde::{Deserialize, Serialize};
use store::Role;
use store::content::{
    AuditRecord, CONTENT_ENTITY, CaseDetails, ContentItem, ContentKind, ContentState, Details, GuideDetails,
};

use crate::problems::text::{Lines, clean};
use crate::{App, Error, Principal, Result};

/// Title (a FAQ's question), one line.
pub const TITLE_MAX: usize = 200;
/// Body (a FAQ's answer).
pub const BODY_MAX: usize = 20_000;
/// A guide's field (where, time limit, fees, contact) and one required document.
pub const FIELD_MAX: usize = 500;
/// How many documents a guide lists, tags and linked items an item has.
pub const LIST_MAX: usize = 30;
/// A tag, a plan line.
pub const TAG_MAX: usize = 30;
/// A review note or withdrawal reason.
pub const NOTE_MAX: usize = 1_000;

/// What an official writes (a new item or a new version of one).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentInput {
    /// `interpretation`, `faq`, `guide`, `case` (or 政策解读, 常见问题, 办事指南, 典型案例).
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Department code or name (a department user: their own, the default).
    #[serde(default)]
    pub department: Option<String>,
    /// The plan line it serves, e.g. `三.3`.
    #[serde(default)]
    pub plan_line: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Ids of the policy items it explains.
    #[serde(default)]
    pub items: Vec<String>,
    /// A guide's details.
    #[serde(default)]
    pub guide: Option<GuideInput>,
    /// A case's consent (cases are made with [`make_case`]; an edit keeps the source problem).
    #[serde(default)]
    pub consent: Option<ConsentInput>,
}

/// A service guide's details.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuideInput {
    /// 办理地点.
    #[serde(rename = "where", default)]
    pub place: String,
    /// 申请材料.
    #[serde(default)]
    pub documents: Vec<String>,
    /// 办理时限.
    #[serde(default)]
    pub time_limit: String,
    /// 收费标准.
    #[serde(default)]
    pub fees: String,
    /// 咨询电话.
    #[serde(default)]
    pub contact: String,
}

/// An enterprise's consent to publish its case.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentInput {
    /// Who consented (name and position).
    pub by: String,
    /// `YYYY-MM-DD`.
    pub on: String,
    /// How (a signed form, a recorded call).
    #[serde(default)]
    pub note: String,
}

/// A content item with what the reader may do with it.
#[derive(Debug, Clone, Serialize)]
pub struct ContentView {
    #[serde(flatten)]
    pub item: ContentItem,
    /// The audit records (officials only; empty for enterprises).
    pub history: Vec<AuditRecord>,
    pub can_edit: bool,
    pub can_review: bool,
}

/// Which content to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContentFilter {
    pub kind: Option<String>,
    pub state: Option<String>,
    /// Linked to this policy item.
    pub item: Option<String>,
}

/// Whether the principal is an official who reads drafts and histories.
fn official(p: &Principal) -> bool {
    matches!(p.role, Role::Department | Role::Policy | Role::Leader | Role::Supervisor | Role::Admin)
}

/// Whether the principal writes content of `department`.
fn writes(p: &Principal, department: &str) -> bool {
    match p.role {
        Role::Policy | Role::Admin => true,
        Role::Department => p.department.as_deref() == Some(department),
        _ => false,
    }
}

fn bad(field: &str, value: &str, reason: &str) -> Error {
    Error::Invalid { field: field.to_string(), value: value.to_string(), reason: reason.to_string() }
}

fn not_found(id: i64) -> Error {
    store::StoreError::DocumentNotFound { kind: "content".into(), name: id.to_string() }.into()
}

fn list_of(field: &str, xs: &[String], each: usize) -> Result<Vec<String>> {
    if xs.len() > LIST_MAX {
        return Err(bad(
            field,
            &xs.len().to_string(),
            &format!("最多 {LIST_MAX} 项 / at most {LIST_MAX} entries"),
        ));
    }
    let mut out = Vec::new();
    for x in xs {
        let x = clean(field, x, each, Lines::One)?;
        if !x.is_empty() && !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(out)
}

/// The checked parts of an input: (kind, title, body, department code, plan line, tags, items,
/// guide details, consent).
struct Checked {
    kind: ContentKind,
    title: String,
    body: String,
    department: String,
    plan_line: String,
    tags: Vec<String>,
    items: Vec<String>,
    guide: Option<GuideDetails>,
    consent: Option<(String, NaiveDate, String)>,
}

async fn check(app: &App, p: &Principal, input: &ContentInput) -> Result<Checked> {
    if !matches!(p.role, Role::Department | Role::Policy | Role::Admin) {
        return Err(Error::Forbidden);
    }
    let kind = ContentKind::parse(&input.kind).ok_or_else(|| {
        bad(
            "kind",
            &input.kind,
            "interpretation | faq | guide | case（政策解读 | 常见问题 | 办事指南 | 典型案例）",
        )
    })?;
    let title = clean("title", &input.title, TITLE_MAX, Lines::One)?;
    if title.is_empty() {
        return Err(Error::Required { field: "title".into(), what: "标题 / a title".into() });
    }
    let body = clean("body", &input.body, BODY_MAX, Lines::Many)?;
    if body.is_empty() {
        return Err(Error::Required { field: "body".into(), what: "正文 / the text".into() });
    }
    let routing = crate::problems::routing(app).await?;
    let department = match input.department.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => routing
            .department(d)
            .map(|x| x.code.clone())
            .ok_or_else(|| bad("department", d, "部门代码或名称 / a department code or name"))?,
        None => match &p.department {
            Some(d) => d.clone(),
            None => {
                return Err(Error::Required {
                    field: "department".into(),
                    what: "负责部门 / the responsible department".into(),
                });
            }
        },
    };
    if !writes(p, &department) {
        return Err(Error::Forbidden);
    }
    let plan_line = clean("plan_line", &input.plan_line, TAG_MAX, Lines::One)?;
    let tags = list_of("tags", &input.tags, TAG_MAX)?;
    let items = list_of("items", &input.items, 200)?;
    let library = app.live.policies().library.clone();
    for id in &items {
        if library.item(id).is_none() {
            let ids: Vec<&str> =
                library.policies.iter().flat_map(|p| p.items.iter().map(|i| i.id.as_str())).collect();
            let near =
                i18n::suggest::nearest(id, ids.iter().copied(), 3).into_iter().map(str::to_string).collect();
            return Err(Error::ItemNotFound { id: id.clone(), near });
        }
    }
    let guide = match (kind, &input.guide) {
        (ContentKind::Guide, g) => {
            let g = g.clone().unwrap_or_default();
            let place = clean("guide.where", &g.place, FIELD_MAX, Lines::Many)?;
            if place.is_empty() {
                return Err(Error::Required {
                    field: "guide.where".into(),
                    what: "办理地点 / where to apply".into(),
                });
            }
            Some(GuideDetails {
                place,
                documents: list_of("guide.documents", &g.documents, FIELD_MAX)?,
                time_limit: clean("guide.time_limit", &g.time_limit, FIELD_MAX, Lines::One)?,
                fees: clean("guide.fees", &g.fees, FIELD_MAX, Lines::One)?,
                contact: clean("guide.contact", &g.contact, FIELD_MAX, Lines::One)?,
            })
        }
        (_, Some(_)) => {
            return Err(bad("guide", &input.kind, "只有办事指南有办理信息 / only a guide has guide details"));
        }
        (_, None) => None,
    };
    let consent = match (kind, &input.consent) {
        (ContentKind::Case, Some(c)) => {
            let by = clean("consent.by", &c.by, 100, Lines::One)?;
            if by.is_empty() {
                return Err(Error::Required {
                    field: "consent.by".into(),
                    what: "同意公开的企业人员 / who consented".into(),
                });
            }
            let on = calendar::parse_date(&c.on)
                .map_err(|e| bad("consent.on", &c.on, &i18n::Localized::bilingual(&e)))?;
            if on > app.today() {
                return Err(bad(
                    "consent.on",
                    &c.on,
                    "同意日期不能晚于今天 / the consent cannot be dated after today",
                ));
            }
            Some((by, on, clean("consent.note", &c.note, FIELD_MAX, Lines::One)?))
        }
        (ContentKind::Case, None) => {
            return Err(Error::Required {
                field: "consent".into(),
                what: "企业同意公开的记录（谁、何时、方式）/ the enterprise's consent (who, when, how)"
                    .into(),
            });
        }
        (_, Some(_)) => {
            return Err(bad("consent", &input.kind, "只有典型案例需要企业同意 / only a case has a consent"));
        }
        (_, None) => None,
    };
    Ok(Checked { kind, title, body, department, plan_line, tags, items, guide, consent })
}

fn diff(field: &str, old: &str, new: &str, out: &mut Vec<FieldChange>) {
    if old != new {
        out.push(FieldChange { field: field.into(), old: Some(old.to_string()), new: Some(new.to_string()) });
    }
}

/// Creates a draft.
#[tracing::instrument(skip(app, p, input), fields(user = %p.username))]
pub async fn create(app: &App, p: &Principal, input: ContentInput) -> Result<ContentItem> {
    let (item, change) = draft(app, p, input).await?;
    let saved = app.store.save_content(&item, None, &[change], &p.stamp(item.created_at)).await?;
    app.search.touch();
    Ok(saved)
}

/// The draft a new item would be, checked (who may write it, every field) with its audit
/// record, not yet stored: [`create`] stores it; `crate::legal::make_faq` stores it with the
/// consultation's link in one transaction. The caller touches the search index after.
pub(crate) async fn draft(
    app: &App,
    p: &Principal,
    input: ContentInput,
) -> Result<(ContentItem, FieldChange)> {
    // A case made here has no source problem (written from an offline file: the demo's, an
    // archive); it still needs its consent. Cases of problems come from [`make_case`].
    let c = check(app, p, &input).await?;
    let now = app.now();
    let case = c.consent.map(|(by, on, note)| CaseDetails {
        problem: None,
        consent_by: by,
        consent_on: Some(on),
        consent_note: note,
    });
    let item = ContentItem {
        id: 0,
        kind: c.kind,
        title: c.title,
        body: c.body,
        department: c.department,
        plan_line: c.plan_line,
        tags: c.tags,
        items: c.items,
        details: Details { guide: c.guide, case },
        state: ContentState::Draft,
        version: 0,
        author: p.username.clone(),
        reviewer: None,
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    let change = FieldChange {
        field: "created".into(),
        old: None,
        new: Some(format!("{} {}", item.kind.as_str(), item.title)),
    };
    Ok((item, change))
}

/// Loads an item the principal may read: published ones for everyone, the rest for officials.
async fn load(app: &App, p: &Principal, id: i64) -> Result<ContentItem> {
    let item = app.store.content(id).await?.ok_or_else(|| not_found(id))?;
    if item.state != ContentState::Published && !official(p) {
        return Err(not_found(id));
    }
    Ok(item)
}

/// One item with its history (officials) and what the principal may do.
#[tracing::instrument(skip(app, p), fields(user = %p.username))]
pub async fn show(app: &App, p: &Principal, id: i64) -> Result<ContentView> {
    let item = load(app, p, id).await?;
    let history = if official(p) {
        app.store.audit_records(CONTENT_ENTITY, Some(&id.to_string()), 500).await?
    } else {
        Vec::new()
    };
    let can_edit = writes(p, &item.department) && item.state != ContentState::Withdrawn;
    let can_review = writes(p, &item.department)
        && item.state == ContentState::InReview
        && !is_party(&item, &history, &p.username);
    Ok(ContentView { item, history, can_edit, can_review })
}

/// Whether `user` wrote the item or one of its versions (then they may not review it).
fn is_party(item: &ContentItem, history: &[AuditRecord], user: &str) -> bool {
    item.author == user
        || history.iter().any(|h| {
            h.actor == user && h.field != "state" && h.field != "review_note" && h.field != "withdrawn"
        })
}

/// The items the principal may read, filtered, newest first.
#[tracing::instrument(skip(app, p), fields(user = %p.username))]
pub async fn list(app: &App, p: &Principal, f: &ContentFilter) -> Result<Vec<ContentItem>> {
    let kind = match f.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(k) => {
            Some(ContentKind::parse(k).ok_or_else(|| bad("kind", k, "interpretation | faq | guide | case"))?)
        }
        None => None,
    };
    let state = match f.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            ContentState::parse(s)
                .ok_or_else(|| bad("state", s, "draft | in_review | published | withdrawn"))?,
        ),
        None => None,
    };
    let mut all = app.store.all_content().await?;
    all.retain(|c| {
        (official(p) || c.state == ContentState::Published)
            && kind.is_none_or(|k| c.kind == k)
            && state.is_none_or(|s| c.state == s)
            && f.item.as_ref().is_none_or(|i| c.items.contains(i))
    });
    all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
    Ok(all)
}

/// A new version of an item (made against `expected`); a submitted or published item goes
/// back to draft.
#[tracing::instrument(skip(app, p, input), fields(user = %p.username))]
pub async fn edit(
    app: &App,
    p: &Principal,
    id: i64,
    expected: i64,
    input: ContentInput,
) -> Result<ContentItem> {
    let old = load(app, p, id).await?;
    if !writes(p, &old.department) {
        return Err(Error::Forbidden);
    }
    if old.state == ContentState::Withdrawn {
        return Err(bad(
            "state",
            old.state.as_str(),
            "已撤回的内容不能修改 / withdrawn content cannot be edited",
        ));
    }
    let mut input = input;
    if old.kind == ContentKind::Case && input.consent.is_none() {
        // An edit keeps the recorded consent unless it gives a new one.
        if let Some(c) = &old.details.case {
            input.consent = Some(ConsentInput {
                by: c.consent_by.clone(),
                on: c.consent_on.map(|d| d.to_string()).unwrap_or_default(),
                note: c.consent_note.clone(),
            });
        }
    }
    let c = check(app, p, &input).await?;
    if c.kind != old.kind {
        return Err(bad("kind", &input.kind, "内容类型不能修改 / the kind of an item cannot change"));
    }
    let now = app.now();
    let mut changes = Vec::new();
    diff("title", &old.title, &c.title, &mut changes);
    diff("body", &old.body, &c.body, &mut changes);
    diff("department", &old.department, &c.department, &mut changes);
    diff("plan_line", &old.plan_line, &c.plan_line, &mut changes);
    diff("tags", &old.tags.join(","), &c.tags.join(","), &mut changes);
    diff("items", &old.items.join(","), &c.items.join(","), &mut changes);
    let case = c.consent.map(|(by, on, note)| CaseDetails {
        problem: old.details.case.as_ref().and_then(|x| x.problem),
        consent_by: by,
        consent_on: Some(on),
        consent_note: note,
    });
    let details = Details { guide: c.guide, case };
    let j = |d: &Details| serde_json::to_string(d).unwrap_or_default();
    diff("details", &j(&old.details), &j(&details), &mut changes);
    if changes.is_empty() {
        return Ok(old);
    }
    let state = ContentState::Draft;
    if old.state != state {
        changes.push(FieldChange {
            field: "state".into(),
            old: Some(old.state.as_str().into()),
            new: Some(state.as_str().into()),
        });
    }
    let item = ContentItem {
        title: c.title,
        body: c.body,
        department: c.department,
        plan_line: c.plan_line,
        tags: c.tags,
        items: c.items,
        details,
        state,
        reviewer: None,
        updated_at: now,
        published_at: None,
        ..old
    };
    let saved = app.store.save_content(&item, Some(expected), &changes, &p.stamp(now)).await?;
    app.search.touch();
    Ok(saved)
}

/// A review step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReviewStep {
    /// Draft → in review.
    Submit,
    /// In review → published (a second person).
    Approve,
    /// In review → draft, with a reason.
    Return,
    /// Published → withdrawn, with a reason.
    Withdraw,
}

impl ReviewStep {
    pub fn parse(s: &str) -> Option<ReviewStep> {
        match s.trim() {
            "submit" | "提交审核" => Some(ReviewStep::Submit),
            "approve" | "publish" | "审核通过" | "发布" => Some(ReviewStep::Approve),
            "return" | "reject" | "退回" => Some(ReviewStep::Return),
            "withdraw" | "撤回" => Some(ReviewStep::Withdraw),
            _ => None,
        }
    }
}

/// Moves an item through its review (made against `expected`).
#[tracing::instrument(skip(app, p, note), fields(user = %p.username))]
pub async fn review(
    app: &App,
    p: &Principal,
    id: i64,
    expected: i64,
    step: ReviewStep,
    note: &str,
) -> Result<ContentItem> {
    let old = load(app, p, id).await?;
    if !writes(p, &old.department) {
        return Err(Error::Forbidden);
    }
    let note = clean("note", note, NOTE_MAX, Lines::Many)?;
    use ContentState::*;
    let (from, to) = match step {
        ReviewStep::Submit => (Draft, InReview),
        ReviewStep::Approve => (InReview, Published),
        ReviewStep::Return => (InReview, Draft),
        ReviewStep::Withdraw => (Published, Withdrawn),
    };
    if old.state != from {
        return Err(bad(
            "state",
            old.state.as_str(),
            &format!(
                "此操作要求内容处于“{}”状态，当前为“{}” / this step needs the state {}, the item is {}",
                from.label_zh(),
                old.state.label_zh(),
                from.as_str(),
                old.state.as_str()
            ),
        ));
    }
    if matches!(step, ReviewStep::Return | ReviewStep::Withdraw) && note.is_empty() {
        return Err(Error::Required { field: "note".into(), what: "原因 / the reason".into() });
    }
    if step == ReviewStep::Approve {
        let history = app.store.audit_records(CONTENT_ENTITY, Some(&id.to_string()), 500).await?;
        if is_party(&old, &history, &p.username) {
            return Err(Error::Invalid {
                field: "reviewer".into(),
                value: p.username.clone(),
                reason: "审核须由作者和修改人以外的第二人进行 / a second person, neither the author nor an editor, reviews"
                    .into(),
            });
        }
    }
    let now = app.now();
    let mut changes = vec![FieldChange {
        field: "state".into(),
        old: Some(from.as_str().into()),
        new: Some(to.as_str().into()),
    }];
    if !note.is_empty() {
        let field = if step == ReviewStep::Withdraw { "withdrawn" } else { "review_note" };
        changes.push(FieldChange { field: field.into(), old: None, new: Some(note) });
    }
    let item = ContentItem {
        state: to,
        reviewer: if to == Published { Some(p.username.clone()) } else { old.reviewer.clone() },
        published_at: if to == Published { Some(now) } else { old.published_at },
        updated_at: now,
        ..old
    };
    let saved = app.store.save_content(&item, Some(expected), &changes, &p.stamp(now)).await?;
    app.search.touch();
    Ok(saved)
}

/// What makes a closed problem an exemplary case.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseInput {
    pub problem: i64,
    /// The anonymised title and story (no enterprise name, no credit code).
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub items: Vec<String>,
    pub consent: ConsentInput,
    /// Department code or name (default: the problem's lead department).
    #[serde(default)]
    pub department: Option<String>,
}

/// Makes a draft exemplary case of a closed problem the principal sees in full.
#[tracing::instrument(skip(app, p, input), fields(user = %p.username))]
pub async fn make_case(app: &App, p: &Principal, input: CaseInput) -> Result<ContentItem> {
    let (rec, vis, _links) = crate::problems::load_visible(app, p, input.problem).await?;
    if vis != handling::Visibility::Full {
        return Err(Error::Forbidden);
    }
    if rec.state.state != handling::State::Closed {
        return Err(bad(
            "problem",
            &input.problem.to_string(),
            "只有已销号的诉求可作为典型案例 / only a closed problem can become an exemplary case",
        ));
    }
    let name = rec.row.enterprise_name.trim();
    let uscc = rec.row.enterprise.to_string();
    for (field, text) in [("title", &input.title), ("body", &input.body)] {
        if (!name.is_empty() && text.contains(name)) || text.contains(&uscc) {
            return Err(bad(
                field,
                &i18n::suggest::shown(text),
                "案例须匿名：不得出现企业名称或统一社会信用代码 / a case is anonymous: it may not name the enterprise or its credit code",
            ));
        }
    }
    let department = input.department.clone().or_else(|| Some(rec.state.lead.clone()));
    let content = ContentInput {
        kind: "case".into(),
        title: input.title,
        body: input.body,
        department,
        plan_line: "四.5".into(),
        tags: input.tags,
        items: input.items,
        guide: None,
        consent: Some(input.consent),
    };
    let c = check(app, p, &content).await?;
    let now = app.now();
    let Some((by, on, note)) = c.consent else {
        return Err(Error::Required { field: "consent".into(), what: "企业同意 / the consent".into() });
    };
    let item = ContentItem {
        id: 0,
        kind: ContentKind::Case,
        title: c.title,
        body: c.body,
        department: c.department,
        plan_line: c.plan_line,
        tags: c.tags,
        items: c.items,
        details: Details {
            guide: None,
            case: Some(CaseDetails {
                problem: Some(input.problem),
                consent_by: by,
                consent_on: Some(on),
                consent_note: note,
            }),
        },
        state: ContentState::Draft,
        version: 0,
        author: p.username.clone(),
        reviewer: None,
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    let changes = [FieldChange {
        field: "created".into(),
        old: None,
        new: Some(format!("case of problem {}: {}", input.problem, item.title)),
    }];
    let saved = app.store.save_content(&item, None, &changes, &p.stamp(now)).await?;
    app.search.touch();
    Ok(saved)
}
