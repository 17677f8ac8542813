//! The enterprises' inboxes (收件箱, issue 12 "Push"): after each stored match run every
//! enterprise gets a message for each item it is newly eligible for (eligible in this run, not
//! in the run compared with) and each item it misses by exactly one condition (差一项,
//! [`rules::almost`]), with links to the item's page and its guide (办事指南) when one is
//! published. Enterprise users read their inbox (a page, `GET /api/v1/inbox`, an unread count
//! in the header) and mark it read; officials who see an enterprise's decisions see its inbox.
//!
//! **Generation runs as a job right after the run, not inside the match's transaction.**
//! A run of a million enterprises stores its results in one transaction already; adding the
//! inbox (an evaluation with explanations per enterprise, millions of rows) would make that
//! transaction minutes long, hold the SQLite writer, and lose the whole run on any failure
//! in messaging. Instead [`generate`] is the scheduled job [`crate::jobs::INBOX`] (made due at
//! once by [`crate::matching::run`]), leased like every job (issue 16), and resumable:
//! - `inbox_runs` keeps per run the run it is compared with and a cursor (the last
//!   enterprise id done);
//! - each page of enterprises (4,096 ids) is written in one transaction with its outbox rows
//!   and the cursor's move, and only if the cursor is still where the page began;
//! - a worker that dies mid-generation leaves the cursor at its last page; the next worker
//!   that claims the job resumes there. No page is written twice, none is skipped: exactly
//!   once in effect, without one long transaction.
//!
//! It streams: a page's facts are read with the match's scan, its messages made and written,
//! then dropped; memory is one page, whatever the zone's size.
//!
//! "Newly eligible" compares with the latest earlier run whose inbox is done (so an enterprise
//! is told of everything since the last run it was told about, even when a run in between
//! got no inbox); when none is done, with the run just before; the first run tells every
//! eligible item. An enterprise is told once that it is almost eligible for an item: a later
//! run does not repeat it. Items of kind `status` (资格认定: classifications, not benefits)
//! and items another one replaces for the period (`supersedes`) get no message. Almost eligible is
//! decided on the run's date with the library in use when the inbox is generated (the
//! generation follows the run within seconds).

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use chrono::NaiveDate;
use enterprise::{FactDictionary, FactType, FactValue, Facts, UnifiedCreditCode};
use rules::{BenefitKind, Decision, Eligibility, Library};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use store::codec::SCALAR_YEAR;
use store::push::{InboxMessage, InboxPage, InboxRun, MessageKind, NewMessage};
use store::scan::{CellValue, ScanPage, ScanRequest};

/// Enterprise ids per page of a generation.
pub const PAGE_IDS: i64 = 4_096;
/// The most characters of a message's title and of each body.
pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 1_000;
/// The most messages one read returns.
pub const MAX_LIMIT: u32 = 200;

/// One inbox generation done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub run_id: i64,
    pub previous_run: Option<i64>,
    /// Pages written by this call (a resumed generation counts only its own).
    pub pages: u64,
    /// Assistance targets gone through by this call.
    pub enterprises: u64,
    /// Messages written by this call.
    pub newly_eligible: u64,
    pub almost_eligible: u64,
    /// Another worker moved the cursor meanwhile: this call stopped.
    pub lost: bool,
}

/// Generates the inboxes of every match run that needs one (the job [`crate::jobs::INBOX`]).
#[tracing::instrument(skip_all)]
pub async fn generate(app: &App) -> Result<Vec<Generated>> {
    let mut out = Vec::new();
    while let Some(run) = app.store.next_inbox_run(app.now()).await? {
        let g = generate_run(app, run).await?;
        let lost = g.lost;
        tracing::info!(
            run = g.run_id,
            newly = g.newly_eligible,
            almost = g.almost_eligible,
            enterprises = g.enterprises,
            "inbox generated"
        );
        out.push(g);
        if lost {
            break;
        }
    }
    Ok(out)
}

/// The item page and guide links of the messages.
struct Links {
    /// Item id → its published guide's content id.
    guides: HashMap<String, i64>,
}

impl Links {
    async fn load(app: &App) -> Result<Links> {
        use store::content::{ContentKind, ContentState};
        let mut guides = HashMap::new();
        for c in app.store.all_content().await? {
            if c.kind == ContentKind::Guide && c.state == ContentState::Published {
                for item in &c.items {
                    guides.entry(item.clone()).or_insert(c.id);
                }
            }
        }
        Ok(Links { guides })
    }

    fn guide(&self, item: &str) -> Option<String> {
        self.guides.get(item).map(|id| format!("/content/{id}"))
    }
}

/// The path of an item's page.
pub fn item_href(item: &str) -> String {
    format!("/items/{item}")
}

/// The page a message links to: an event message its event's page, others their item's.
pub fn message_href(m: &store::push::InboxMessage) -> String {
    match (m.kind, &m.guide_href) {
        (store::push::MessageKind::Event, Some(h)) => h.clone(),
        _ => item_href(&m.item),
    }
}

async fn generate_run(app: &App, run: InboxRun) -> Result<Generated> {
    let library = Arc::clone(&app.live.policies().library);
    let date = run.date;
    // A run of a tax year (`policy match --tax-year`) decided each annual item on its day in
    // that year: the almost-eligible check decides as the run did.
    let tax_year =
        app.store.match_runs(10_000).await?.into_iter().find(|r| r.id == run.run_id).and_then(|r| r.tax_year);
    let links = Arc::new(Links::load(app).await?);
    let facts = facts_read(&library, date, tax_year);
    let request = Arc::new(ScanRequest { facts, targets_only: true });
    let max_id = app.store.scan_bounds().await?.map_or(0, |b| b.max_id);
    let mut g = Generated {
        run_id: run.run_id,
        previous_run: run.previous_run,
        pages: 0,
        enterprises: 0,
        newly_eligible: 0,
        almost_eligible: 0,
        lost: false,
    };
    let mut after = run.after_enterprise;
    loop {
        let through = after.saturating_add(PAGE_IDS).min(max_id).max(after);
        let done = through >= max_id;
        let page = app.store.scan_page(&request, after, through).await?;
        let now = app.store.run_eligible_range(run.run_id, after, through).await?;
        let before = match run.previous_run {
            Some(p) => app.store.run_eligible_range(p, after, through).await?,
            None => Vec::new(),
        };
        let told = app.store.almost_messaged(run.run_id, after, through).await?;
        let (lib, req, links) = (Arc::clone(&library), Arc::clone(&request), Arc::clone(&links));
        let first_run = run.previous_run.is_none();
        let messages = tokio::task::spawn_blocking(move || {
            page_messages(&lib, (date, tax_year), &req, &page, &now, &before, &told, first_run, &links)
        })
        .await
        .map_err(Error::internal)??;
        g.enterprises += messages.1;
        let messages = messages.0;
        let newly = messages.iter().filter(|m| m.kind == MessageKind::NewlyEligible).count() as u64;
        let almost = messages.len() as u64 - newly;
        let written = app
            .store
            .write_inbox_page(InboxPage {
                run_id: run.run_id,
                after,
                through,
                messages,
                at: app.now(),
                next_ms: app.now().timestamp_millis(),
                done,
            })
            .await?;
        if !written {
            g.lost = true;
            return Ok(g);
        }
        g.pages += 1;
        g.newly_eligible += newly;
        g.almost_eligible += almost;
        if done {
            return Ok(g);
        }
        after = through;
    }
}

/// The facts the items a run decides read (what the scan fetches): those in force on `date`,
/// or with a tax year each on its day in that year.
fn facts_read(library: &Library, date: NaiveDate, tax_year: Option<i32>) -> Vec<String> {
    let decided = crate::matching::decided_items(library, date, tax_year);
    let plans = crate::matching::by_day(&decided)
        .into_iter()
        .map(|(day, at)| {
            let items: Vec<&rules::Item> = at.iter().map(|k| decided[*k].0).collect();
            rules::batch::Compiled::new(&library.program, &items, day)
        })
        .collect();
    let stream = rules::batch::Stream::new(plans, FactDictionary::official(), 1);
    stream.facts().into_iter().map(str::to_string).collect()
}

/// One page's messages and how many enterprises it went through.
#[allow(clippy::too_many_arguments)]
fn page_messages(
    library: &Library,
    (date, tax_year): (NaiveDate, Option<i32>),
    request: &ScanRequest,
    page: &ScanPage,
    now: &[(i64, String)],
    before: &[(i64, String)],
    told: &[(i64, String)],
    first_run: bool,
    links: &Links,
) -> Result<(Vec<NewMessage>, u64)> {
    let items: Vec<&rules::Item> =
        crate::matching::decided_items(library, date, tax_year).into_iter().map(|(i, _)| i).collect();
    let replaced = Library::superseded_among(&items);
    let by_id: HashMap<&str, &rules::Item> = items.iter().map(|i| (i.id.as_str(), *i)).collect();
    let quiet =
        |item: &rules::Item| item.benefit_kind == BenefitKind::Status || replaced.contains_key(&item.id);
    let before: BTreeSet<(i64, &str)> = before.iter().map(|(e, i)| (*e, i.as_str())).collect();
    let told: BTreeSet<(i64, &str)> = told.iter().map(|(e, i)| (*e, i.as_str())).collect();
    let all_facts = facts_of_page(request, page)?;
    // The page's rows in consecutive parts, one thread each (evaluating every item with its
    // explanation is the cost); the messages come out in row order.
    let one_part = |rows: std::ops::Range<usize>| -> Vec<NewMessage> {
        let mut out = Vec::new();
        let first = page.ids.get(rows.start).copied().unwrap_or(i64::MAX);
        let mut k = now.partition_point(|(e, _)| *e < first);
        for row in rows {
            let id = &page.ids[row];
            // Newly eligible: the run's stored results.
            while k < now.len() && now[k].0 < *id {
                k += 1;
            }
            while k < now.len() && now[k].0 == *id {
                let item_id = now[k].1.as_str();
                k += 1;
                let Some(item) = by_id.get(item_id) else { continue };
                if quiet(item) || (!first_run && before.contains(&(*id, item_id))) {
                    continue;
                }
                out.push(newly(*id, item, date, links));
            }
            // Almost eligible: the decisions' explanations.
            let Some(facts) = all_facts.get(row) else { continue };
            let decisions: Vec<Decision> = library.evaluate_all_for(facts, date, tax_year);
            for d in &decisions {
                let Some(item) = by_id.get(d.item.as_str()) else { continue };
                if d.outcome != Eligibility::Ineligible
                    || quiet(item)
                    || told.contains(&(*id, item.id.as_str()))
                {
                    continue;
                }
                if let Some(a) = rules::almost::almost(&library.program, item, d) {
                    out.push(almost(*id, item, &a, links));
                }
            }
        }
        out
    };
    let n = page.ids.len();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let part = n.div_ceil(threads).max(64);
    let parts: Vec<Vec<NewMessage>> = if n <= part {
        vec![one_part(0..n)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .step_by(part)
                .map(|start| {
                    let one_part = &one_part;
                    scope.spawn(move || one_part(start..(start + part).min(n)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| Error::internal("an inbox page thread panicked")))
                .collect::<Result<Vec<_>>>()
        })?
    };
    let out: Vec<NewMessage> = parts.into_iter().flatten().collect();
    Ok((out, page.ids.len() as u64))
}

fn cut(s: String, n: usize) -> String {
    if s.chars().count() <= n { s } else { s.chars().take(n).collect() }
}

/// How an item is claimed, in a sentence.
fn how_zh(kind: BenefitKind) -> &'static str {
    match kind {
        BenefitKind::AwardNoApplication => "免申即享，无需申请，将按程序公示后发放。",
        BenefitKind::AwardApplication => "请按办事指南提出申请。",
        BenefitKind::TaxReliefDeclared => "请在纳税申报时自行申报享受。",
        BenefitKind::TaxRefundApplied => "请向税务机关申请退税。",
        BenefitKind::FeeWaiver => "由收费单位减免。",
        BenefitKind::Status => "",
    }
}

fn how_en(kind: BenefitKind) -> &'static str {
    match kind {
        BenefitKind::AwardNoApplication => "Granted without application, paid after publicity.",
        BenefitKind::AwardApplication => "Apply as the guide says.",
        BenefitKind::TaxReliefDeclared => "Claim it on your tax return.",
        BenefitKind::TaxRefundApplied => "Apply to the tax office for the refund.",
        BenefitKind::FeeWaiver => "Waived by the provider.",
        BenefitKind::Status => "",
    }
}

fn newly(enterprise_id: i64, item: &rules::Item, date: NaiveDate, links: &Links) -> NewMessage {
    NewMessage {
        enterprise_id,
        item: item.id.clone(),
        kind: MessageKind::NewlyEligible,
        title: cut(item.title.clone(), MAX_TITLE),
        body_zh: cut(
            format!(
                "据 {date} 的政策匹配，贵企业新符合「{}」（{}）。{}",
                item.title,
                item.document,
                how_zh(item.benefit_kind)
            ),
            MAX_BODY,
        ),
        body_en: cut(
            format!(
                "By the policy match of {date}, your enterprise is newly eligible for “{}” ({}). {}",
                item.title,
                item.document,
                how_en(item.benefit_kind)
            ),
            MAX_BODY,
        ),
        guide_href: links.guide(&item.id),
    }
}

fn almost(enterprise_id: i64, item: &rules::Item, a: &rules::AlmostEligible, links: &Links) -> NewMessage {
    let derived_zh = if a.derived { "（该项由其他数据计算得出）" } else { "" };
    let derived_en = if a.derived { " (computed from other data)" } else { "" };
    NewMessage {
        enterprise_id,
        item: item.id.clone(),
        kind: MessageKind::AlmostEligible,
        title: cut(item.title.clone(), MAX_TITLE),
        body_zh: cut(
            format!(
                "贵企业差一项即可符合「{}」（{}）：{}{derived_zh}。",
                item.title,
                item.document,
                a.text_zh()
            ),
            MAX_BODY,
        ),
        body_en: cut(
            format!(
                "One condition short of “{}” ({}): {}{derived_en}.",
                item.title,
                item.document,
                a.text_en()
            ),
            MAX_BODY,
        ),
        guide_href: links.guide(&item.id),
    }
}

/// A page's cells as one [`Facts`] per row, decoded by the fact dictionary's types.
fn facts_of_page(request: &ScanRequest, page: &ScanPage) -> Result<Vec<Facts>> {
    let dict = FactDictionary::official();
    let types: Vec<FactType> =
        request.facts.iter().map(|f| dict.get(f).map_or(FactType::Text, |d| d.ty)).collect();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut out = vec![Facts::default(); page.ids.len()];
    for cell in &page.cells {
        let (Some(f), Some(ty), Some(name)) = (
            out.get_mut(cell.row as usize),
            types.get(cell.fact as usize),
            request.facts.get(cell.fact as usize),
        ) else {
            continue;
        };
        let value = match (ty, cell.value) {
            (FactType::Bool, CellValue::Int(n)) => FactValue::Bool(n != 0),
            (FactType::Integer, CellValue::Int(n)) => FactValue::Integer(n),
            (FactType::Money, CellValue::Int(fen)) => FactValue::Money(Decimal::new(fen, 2)),
            (FactType::Ratio, CellValue::Int(m)) => FactValue::Ratio(Decimal::new(m, 6)),
            (FactType::Date, CellValue::Int(days)) => FactValue::Date(
                epoch
                    .checked_add_signed(chrono::Duration::days(days))
                    .ok_or_else(|| Error::Internal(format!("stored fact {name} = {days} days")))?,
            ),
            (ty, v) => {
                let text = page.text_of(&v);
                FactValue::parse_text(*ty, text)
                    .map_err(|_| Error::Internal(format!("stored fact {name} = {text:?} cannot be read")))?
            }
        };
        if cell.year == SCALAR_YEAR {
            f.set(name, value);
        } else {
            f.set_year(name, cell.year, value);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Reading

/// An enterprise's inbox as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    pub uscc: String,
    pub unread: u64,
    /// Newest first.
    pub messages: Vec<InboxMessage>,
}

/// Which inbox to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRequest {
    /// The enterprise; an enterprise user's own when `None`.
    pub uscc: Option<UnifiedCreditCode>,
    /// Messages with ids below this one (the next page).
    pub before: Option<i64>,
    /// At most this many (1–[`MAX_LIMIT`], default 50).
    pub limit: Option<u32>,
}

/// The enterprise an inbox request is for, checked: an enterprise user's own; an official's
/// when they see the enterprise's decisions.
async fn inbox_of(
    app: &App,
    actor: &Principal,
    uscc: Option<&UnifiedCreditCode>,
) -> Result<UnifiedCreditCode> {
    let uscc = match (uscc, &actor.enterprise) {
        (Some(u), _) => u.clone(),
        (None, Some(own)) => own.clone(),
        (None, None) => {
            return Err(Error::Required {
                field: "uscc".into(),
                what:
                    "要查看的企业的统一社会信用代码 / the credit code of the enterprise whose inbox to read"
                        .into(),
            });
        }
    };
    crate::matching::enterprise_for_decisions(app, actor, &uscc).await?;
    Ok(uscc)
}

/// An enterprise's messages, newest first, with its unread count.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn read(app: &App, actor: &Principal, req: &InboxRequest) -> Result<Inbox> {
    let limit = req.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::Invalid {
            field: "limit".into(),
            value: limit.to_string(),
            reason: format!("应为 1 至 {MAX_LIMIT} / must be from 1 to {MAX_LIMIT}"),
        });
    }
    let uscc = inbox_of(app, actor, req.uscc.as_ref()).await?;
    let messages = app.store.inbox(uscc.as_str(), req.before, limit).await?;
    let unread = app.store.inbox_unread(uscc.as_str()).await?;
    Ok(Inbox { uscc: uscc.to_string(), unread, messages })
}

/// The unread count of an enterprise user's own inbox (the header's badge); `None` for
/// other users.
pub async fn unread(app: &App, actor: &Principal) -> Result<Option<u64>> {
    match &actor.enterprise {
        Some(own) if actor.role == store::Role::Enterprise => {
            Ok(Some(app.store.inbox_unread(own.as_str()).await?))
        }
        _ => Ok(None),
    }
}

/// Marks messages of the enterprise user's own inbox read (the given ids, or all); returns
/// how many changed. The read time and reader are kept on each message. Officials cannot
/// mark an enterprise's messages read.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn mark_read(app: &App, actor: &Principal, ids: Option<Vec<i64>>) -> Result<u64> {
    let own = match (&actor.enterprise, actor.role) {
        (Some(own), store::Role::Enterprise) => own.clone(),
        _ => return Err(Error::Forbidden),
    };
    if let Some(ids) = &ids
        && ids.len() > MAX_LIMIT as usize
    {
        return Err(Error::Invalid {
            field: "ids".into(),
            value: ids.len().to_string(),
            reason: format!("一次最多 {MAX_LIMIT} 条 / at most {MAX_LIMIT} at once"),
        });
    }
    Ok(app.store.mark_inbox_read(own.as_str(), ids, &actor.stamp(app.now())).await?)
}

/// The inbox generations, newest first (`huiqi inbox runs`, the outbox page).
pub async fn runs(app: &App, actor: &Principal, limit: u32) -> Result<Vec<InboxRun>> {
    authz::require(actor, Action::Read, Resource::Push)?;
    Ok(app.store.inbox_runs(limit.clamp(1, MAX_LIMIT)).await?)
}
