//! `huiqi content …`: policy consultation content (政策解读, 常见问题, 办事指南, 典型案例):
//! list, show, add, edit, the review steps, cases from closed problems, and `load` of content
//! files (TOML, `[[content]]` tables; the demo zone's are in `crates/cli/demo/content/`),
//! each written by one person and published by a second. Every command calls a use case of
//! `app::content`.

use crate::{Context, UserError, app_error, open_app, user_error};
use app::content::{self, CaseInput, ConsentInput, ContentFilter, ContentInput, GuideInput, ReviewStep};
use app::{App, Principal};
use clap::{Args, Subcommand};
use serde::Deserialize;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ContentCmd {
    /// Lists content (officials see drafts too).
    List {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        state: Option<String>,
        /// Only content linked to this policy item.
        #[arg(long)]
        item: Option<String>,
        #[arg(long = "as")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Shows one item with its history.
    Show {
        id: i64,
        #[arg(long = "as")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Writes a new draft.
    Add(Fields),
    /// Writes a new version of an item (a submitted or published one goes back to draft).
    Edit {
        id: i64,
        /// The version you edited (see `content show`).
        #[arg(long)]
        version: i64,
        #[command(flatten)]
        fields: Fields,
    },
    /// A review step: submit, approve (a second person), return or withdraw (with --note).
    Review {
        id: i64,
        /// submit | approve | return | withdraw
        step: String,
        #[arg(long)]
        version: i64,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as")]
        as_user: String,
    },
    /// Makes a draft exemplary case of a closed problem (anonymised, consent recorded).
    Case {
        #[arg(long)]
        problem: i64,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body: String,
        #[arg(long)]
        consent_by: String,
        /// YYYY-MM-DD
        #[arg(long)]
        consent_on: String,
        #[arg(long, default_value = "")]
        consent_note: String,
        #[arg(long = "item")]
        items: Vec<String>,
        #[arg(long = "as")]
        as_user: String,
    },
    /// Loads content files and publishes every entry: written by --as, approved by --reviewer.
    Load {
        files: Vec<std::path::PathBuf>,
        #[arg(long = "as")]
        as_user: Option<String>,
        #[arg(long)]
        reviewer: Option<String>,
    },
}

/// The fields of an item.
#[derive(Debug, Args)]
pub struct Fields {
    /// interpretation | faq | guide | case
    #[arg(long)]
    kind: String,
    #[arg(long)]
    title: String,
    #[arg(long)]
    body: String,
    #[arg(long)]
    department: Option<String>,
    #[arg(long, default_value = "")]
    plan_line: String,
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long = "item")]
    items: Vec<String>,
    /// A guide's place (办理地点).
    #[arg(long = "where")]
    place: Option<String>,
    #[arg(long = "document")]
    documents: Vec<String>,
    #[arg(long)]
    time_limit: Option<String>,
    #[arg(long)]
    fees: Option<String>,
    #[arg(long)]
    contact: Option<String>,
    #[arg(long)]
    consent_by: Option<String>,
    #[arg(long)]
    consent_on: Option<String>,
    #[arg(long)]
    consent_note: Option<String>,
    #[arg(long = "as")]
    as_user: String,
}

impl Fields {
    fn input(&self) -> ContentInput {
        let guide = self.place.as_ref().map(|p| GuideInput {
            place: p.clone(),
            documents: self.documents.clone(),
            time_limit: self.time_limit.clone().unwrap_or_default(),
            fees: self.fees.clone().unwrap_or_default(),
            contact: self.contact.clone().unwrap_or_default(),
        });
        let consent = self.consent_by.as_ref().map(|b| ConsentInput {
            by: b.clone(),
            on: self.consent_on.clone().unwrap_or_default(),
            note: self.consent_note.clone().unwrap_or_default(),
        });
        ContentInput {
            kind: self.kind.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            department: self.department.clone(),
            plan_line: self.plan_line.clone(),
            tags: self.tags.clone(),
            items: self.items.clone(),
            guide,
            consent,
        }
    }
}

/// A content file: `[[content]]` tables of [`ContentInput`].
#[derive(Debug, Deserialize)]
pub struct ContentFile {
    pub content: Vec<ContentInput>,
}

/// Reads a content file's text.
pub fn parse_file(name: &str, text: &str) -> anyhow::Result<Vec<ContentInput>> {
    let f: ContentFile = toml::from_str(text).map_err(|e| {
        anyhow::Error::new(UserError(format!(
            "内容文件 {name} 无法读取 / content file {name} does not read: {e}"
        )))
    })?;
    Ok(f.content)
}

/// Writes each entry as `author` and publishes it as `reviewer` (two people); returns the ids.
pub async fn publish_all(
    app: &App,
    author: &Principal,
    reviewer: &Principal,
    entries: Vec<ContentInput>,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for e in entries {
        let title = e.title.clone();
        let c = content::create(app, author, e).await.map_err(|err| {
            anyhow::Error::new(UserError(format!("{title}: {}", i18n::Localized::bilingual(&err))))
        })?;
        let c =
            content::review(app, author, c.id, c.version, ReviewStep::Submit, "").await.map_err(app_error)?;
        let c = content::review(app, reviewer, c.id, c.version, ReviewStep::Approve, "")
            .await
            .map_err(app_error)?;
        ids.push(c.id);
    }
    Ok(ids)
}

async fn principal(app: &App, as_user: Option<&str>) -> anyhow::Result<Principal> {
    match as_user {
        Some(u) => app.principal(u).await.map_err(|e| user_error(&e)),
        None => Ok(Principal::operator("cli")),
    }
}

fn print_item(c: &store::content::ContentItem) {
    println!(
        "{}\t{}\t{}\tv{}\t{}\t{}",
        c.id,
        c.kind.label_zh(),
        c.state.label_zh(),
        c.version,
        c.department,
        c.title
    );
}

pub async fn run(cmd: ContentCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    match cmd {
        ContentCmd::List { kind, state, item, as_user, json } => {
            let who = principal(&app, as_user.as_deref()).await?;
            let items =
                content::list(&app, &who, &ContentFilter { kind, state, item }).await.map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                for c in &items {
                    print_item(c);
                }
            }
        }
        ContentCmd::Show { id, as_user, json } => {
            let who = principal(&app, as_user.as_deref()).await?;
            let v = content::show(&app, &who, id).await.map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_item(&v.item);
                println!("\n{}\n\n{}", v.item.title, v.item.body);
                if let Some(g) = &v.item.details.guide {
                    println!(
                        "\n办理地点 / where: {}\n申请材料 / documents: {}\n办理时限 / time limit: {}\n收费标准 / fees: {}\n咨询电话 / contact: {}",
                        g.place,
                        g.documents.join("；"),
                        g.time_limit,
                        g.fees,
                        g.contact
                    );
                }
                for h in &v.history {
                    println!(
                        "{}\t{}\t{}\t{} → {}",
                        h.at.format("%Y-%m-%d %H:%M"),
                        h.actor,
                        h.field,
                        h.old.as_deref().unwrap_or("-"),
                        h.new.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        ContentCmd::Add(f) => {
            let who = app.principal(&f.as_user).await.map_err(|e| user_error(&e))?;
            let c = content::create(&app, &who, f.input()).await.map_err(app_error)?;
            print_item(&c);
        }
        ContentCmd::Edit { id, version, fields } => {
            let who = app.principal(&fields.as_user).await.map_err(|e| user_error(&e))?;
            let c = content::edit(&app, &who, id, version, fields.input()).await.map_err(app_error)?;
            print_item(&c);
        }
        ContentCmd::Review { id, step, version, note, as_user } => {
            let who = app.principal(&as_user).await.map_err(|e| user_error(&e))?;
            let step = ReviewStep::parse(&step).ok_or_else(|| {
                anyhow::Error::new(UserError(format!(
                    "未知的审核步骤 {step}：可用 submit | approve | return | withdraw / unknown review step {step}: use submit | approve | return | withdraw"
                )))
            })?;
            let c = content::review(&app, &who, id, version, step, &note).await.map_err(app_error)?;
            print_item(&c);
        }
        ContentCmd::Case { problem, title, body, consent_by, consent_on, consent_note, items, as_user } => {
            let who = app.principal(&as_user).await.map_err(|e| user_error(&e))?;
            let input = CaseInput {
                problem,
                title,
                body,
                tags: Vec::new(),
                items,
                consent: ConsentInput { by: consent_by, on: consent_on, note: consent_note },
                department: None,
            };
            let c = content::make_case(&app, &who, input).await.map_err(app_error)?;
            print_item(&c);
        }
        ContentCmd::Load { files, as_user, reviewer } => {
            let author = principal(&app, as_user.as_deref()).await?;
            let reviewer = match reviewer {
                Some(r) => app.principal(&r).await.map_err(|e| user_error(&e))?,
                None => Principal::operator("cli-reviewer"),
            };
            let mut entries = Vec::new();
            for f in &files {
                let text = std::fs::read_to_string(f).map_err(|e| {
                    anyhow::Error::new(UserError(format!(
                        "无法读取 {} / cannot read {}: {e}",
                        f.display(),
                        f.display()
                    )))
                })?;
                entries.extend(parse_file(&f.display().to_string(), &text)?);
            }
            let ids = publish_all(&app, &author, &reviewer, entries).await?;
            println!("已发布 {} 条内容 / published {} items", ids.len(), ids.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo zone's content files, embedded.
pub const DEMO_FILES: [(&str, &str); 4] = [
    ("interpretations.toml", include_str!("../demo/content/interpretations.toml")),
    ("guides.toml", include_str!("../demo/content/guides.toml")),
    ("faqs.toml", include_str!("../demo/content/faqs.toml")),
    ("cases.toml", include_str!("../demo/content/cases.toml")),
];

/// The demo zone's synonym groups (a zone edits its own: `huiqi search synonyms`).
pub const DEMO_SYNONYMS: [&str; 5] = [
    "留抵 留抵退税 退税",
    "稳岗 稳岗返还 稳岗补贴",
    "专精特新 小巨人",
    "贴息 贷款贴息",
    "水电气 水电 用电 用水 用气",
];

/// Loads the demo zone's content (written by 演示编辑, published by 演示审核) on `app`.
pub async fn load_demo(app: &App) -> anyhow::Result<usize> {
    let mut entries = Vec::new();
    for (name, text) in DEMO_FILES {
        entries.extend(parse_file(name, text)?);
    }
    let ids =
        publish_all(app, &Principal::operator("demo-editor"), &Principal::operator("demo-reviewer"), entries)
            .await?;
    Ok(ids.len())
}

/// `huiqi common …`: common problems (共性问题) and their governance items.
#[derive(Debug, Subcommand)]
pub enum CommonCmd {
    /// Groups of similar open problems from different enterprises, largest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Makes a governance item of problems, with its owner department and deadline.
    Govern {
        #[arg(long)]
        title: String,
        #[arg(long)]
        owner: String,
        /// YYYY-MM-DD
        #[arg(long)]
        due: String,
        /// The member problems' numbers.
        #[arg(long = "problem", required = true)]
        problems: Vec<i64>,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Closes a governance item; every member enterprise is notified.
    Close {
        id: i64,
        #[arg(long)]
        resolution: String,
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Lists the governance items.
    Items {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run_common(cmd: CommonCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    match cmd {
        CommonCmd::List { json } => {
            let groups = app::common::groups(&app, &Principal::operator("cli")).await.map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&groups)?);
            } else {
                for (i, g) in groups.iter().enumerate() {
                    println!(
                        "{}\t{}\t{} 件 / problems\t{} 家企业 / enterprises\t最久 / oldest {} 天 / days\t{}",
                        i + 1,
                        g.title,
                        g.members.len(),
                        g.enterprises,
                        g.oldest_days,
                        g.departments.join(",")
                    );
                    for m in &g.members {
                        println!("    {}\t{}\t{}\t{} 天", m.id, m.enterprise, m.title, m.age_days);
                    }
                }
            }
        }
        CommonCmd::Govern { title, owner, due, problems, as_user } => {
            let who = principal(&app, as_user.as_deref()).await?;
            let req = app::common::GovernRequest { title, owner, due, members: problems };
            let g = app::common::govern(&app, &who, req).await.map_err(app_error)?;
            println!("治理事项 / governance item {}\t{}\t{}\t{}", g.id, g.title, g.owner, g.due);
        }
        CommonCmd::Close { id, resolution, as_user } => {
            let who = principal(&app, as_user.as_deref()).await?;
            let n = app::common::close(&app, &who, id, &resolution).await.map_err(app_error)?;
            println!(
                "已办结，已通知 {n} 件诉求的企业 / closed; the enterprises of {n} problems were notified"
            );
        }
        CommonCmd::Items { json } => {
            let items =
                app::common::governance(&app, &Principal::operator("cli")).await.map_err(app_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                for g in items {
                    let state = if g.open { "办理中 / open" } else { "已办结 / closed" };
                    println!("{}\t{}\t{}\t{}\t{}\t{:?}", g.id, g.title, g.owner, g.due, state, g.members);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
