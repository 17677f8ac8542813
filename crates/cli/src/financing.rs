//! `huiqi financing …`: financing (融资对接, issue 15) from the command line: products
//! (from a TOML file or flags), demands (post, list, show), institutions' responses, the
//! steps of 风险补偿 / 转贷过桥, closing, the Excel export and binding an institution's user.
//! Each command maps its arguments to a use case of `app::financing` and prints the result
//! (text, or `--json`). The command line acts as the operator named by `--as USER` (an
//! administrator).

use crate::{Context, app_error, open_app};
use app::financing::{self as uc, DemandRequest, ListFilter, ProductRequest, RespondRequest};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum FinancingCmd {
    /// Financial products: add (from a TOML file of `[[product]]` tables, or flags), list.
    #[command(subcommand)]
    Product(ProductCmd),
    /// Financing demands: post (for an enterprise, from a hotline call or a visit), list, show.
    #[command(subcommand)]
    Demand(DemandCmd),
    /// Records an institution's answer: accepted, declined (with --reason), granted (with
    /// --amount and --date).
    Respond {
        id: i64,
        #[arg(long)]
        product: String,
        /// accepted | declined | granted (or 受理 | 婉拒 | 放款).
        #[arg(long)]
        response: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long)]
        date: Option<String>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// The next step of a 风险补偿 / 转贷过桥 demand: review, approved, refused, disbursed, repaid.
    Step {
        id: i64,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Closes a demand with a reason.
    Close {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// The demands workbook (融资需求台账): demands, matches, responses.
    Export {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        state: Option<String>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Binds a `financial_institution` user to its institution.
    Bind {
        username: String,
        #[arg(long)]
        institution: String,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

// Parsed once per process: the size of the add variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ProductCmd {
    /// Adds (or, with --version, edits) products: `--file products.toml` with `[[product]]`
    /// tables (the fields of the API's ProductRequest), or one product from the flags.
    Add {
        #[arg(long, conflicts_with = "id")]
        file: Option<PathBuf>,
        #[arg(long)]
        id: Option<String>,
        #[arg(long, default_value = "")]
        institution: String,
        #[arg(long, default_value = "")]
        name: String,
        /// loan, risk_compensation, bridge_loan, equity (repeatable or comma-separated).
        #[arg(long = "kind")]
        kinds: Vec<String>,
        #[arg(long = "amount-min", default_value = "0")]
        amount_min: String,
        #[arg(long = "amount-max", default_value = "0")]
        amount_max: String,
        #[arg(long = "term-min", default_value_t = 1)]
        term_min: u32,
        #[arg(long = "term-max", default_value_t = 12)]
        term_max: u32,
        #[arg(long = "rate-min", default_value = "0")]
        rate_min: String,
        #[arg(long = "rate-max", default_value = "0")]
        rate_max: String,
        /// property, equipment, receivables, intellectual_property, guarantor (repeatable).
        #[arg(long = "collateral")]
        collateral: Vec<String>,
        #[arg(long, default_value = "")]
        eligibility: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Withdrawn from offer.
        #[arg(long)]
        inactive: bool,
        /// The version read (to edit an existing product).
        #[arg(long)]
        version: Option<i64>,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Products with their terms.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemandCmd {
    /// Records a demand for an enterprise (channel hotline or visit) and matches it.
    Post {
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        amount: String,
        #[arg(long = "term")]
        term_months: u32,
        #[arg(long)]
        purpose: String,
        #[arg(long = "collateral")]
        collateral: Vec<String>,
        #[arg(long)]
        urgency: Option<String>,
        #[arg(long, default_value = "hotline")]
        channel: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// Demands with their state and deadline light, newest first.
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        /// yellow | red.
        #[arg(long)]
        light: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
    /// One demand with its matches (and their explanations) and responses.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "cli")]
        actor: String,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductFile {
    product: Vec<ProductRequest>,
}

fn json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn light(w: handling::deadline::Warning) -> &'static str {
    match w {
        handling::deadline::Warning::Red => "红灯",
        handling::deadline::Warning::Yellow => "黄灯",
        handling::deadline::Warning::None => "",
    }
}

fn print_detail(d: &uc::DemandDetail) {
    let r = &d.view.record;
    outln!(
        "{} {} {}（{}）{} 元 {} 个月 {}{}",
        r.id,
        r.enterprise_name,
        d.view.kind_zh,
        d.view.state_zh,
        r.demand.amount,
        r.demand.term_months,
        d.view.step_zh.unwrap_or(""),
        if d.view.light == handling::deadline::Warning::None {
            String::new()
        } else {
            format!(" {}", light(d.view.light))
        }
    );
    outln!("用途：{}  办结期限：{}", r.demand.purpose, r.demand.deadline);
    for m in &d.matches {
        outln!(
            "  匹配 {} {}（{}）：{}",
            m.institution,
            m.product_name,
            if m.m.matched { "符合" } else { "待补充数据" },
            m.m.explanation
        );
    }
    for x in &d.responses {
        outln!(
            "  {} {} {} {}",
            x.responded_at.format("%Y-%m-%d %H:%M"),
            x.response.step.map_or(x.response.kind.label_zh(), |s| s.label_zh()),
            x.response.institution,
            x.response.reason
        );
    }
}

pub async fn run(cmd: FinancingCmd, ctx: &Context) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = |name: &str| app::Principal::operator(name);
    match cmd {
        FinancingCmd::Product(ProductCmd::Add {
            file,
            id,
            institution,
            name,
            kinds,
            amount_min,
            amount_max,
            term_min,
            term_max,
            rate_min,
            rate_max,
            collateral,
            eligibility,
            description,
            inactive,
            version,
            actor,
        }) => {
            let reqs = match (file, id) {
                (Some(f), _) => {
                    let text = std::fs::read_to_string(&f).map_err(|e| {
                        anyhow::anyhow!("无法读取 {} / cannot read {}: {e}", f.display(), f.display())
                    })?;
                    toml::from_str::<ProductFile>(&text)
                        .map_err(|e| {
                            anyhow::anyhow!(
                                "{} 不是有效的产品文件（[[product]] 表）/ is not a valid products file: {e}",
                                f.display()
                            )
                        })?
                        .product
                }
                (None, Some(id)) => vec![ProductRequest {
                    id,
                    institution: Some(institution),
                    name,
                    kinds,
                    amount_min,
                    amount_max,
                    term_min_months: term_min,
                    term_max_months: term_max,
                    rate_min,
                    rate_max,
                    requires_collateral: collateral,
                    eligibility,
                    description,
                    active: Some(!inactive),
                    version,
                }],
                (None, None) => anyhow::bail!(
                    "请用 --file 给出产品文件或用 --id 等参数给出一个产品 / give --file or --id and the product's flags"
                ),
            };
            for r in &reqs {
                let s = uc::save_product(&app, &who(&actor), r).await.map_err(app_error)?;
                outln!(
                    "已保存产品 {}（{} {}，第 {} 版），重新匹配需求 {} 笔 / saved product {} (version {}), {} demands rematched",
                    s.product.product.id,
                    s.product.product.institution,
                    s.product.product.name,
                    s.product.version,
                    s.rematched,
                    s.product.product.id,
                    s.product.version,
                    s.rematched
                );
            }
        }
        FinancingCmd::Product(ProductCmd::List { json: as_json, actor }) => {
            let list = uc::products(&app, &who(&actor)).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                for p in &list {
                    let q = &p.product;
                    outln!(
                        "{}\t{}\t{}\t{}–{} 元\t{}–{} 月\t{}%–{}%\t{}",
                        q.id,
                        q.institution,
                        q.name,
                        q.amount_min,
                        q.amount_max,
                        q.term_min_months,
                        q.term_max_months,
                        q.rate_min,
                        q.rate_max,
                        if p.active { "在售" } else { "已下架" }
                    );
                }
            }
        }
        FinancingCmd::Demand(DemandCmd::Post {
            uscc,
            kind,
            amount,
            term_months,
            purpose,
            collateral,
            urgency,
            channel,
            json: as_json,
            actor,
        }) => {
            let req = DemandRequest {
                uscc: Some(uscc),
                kind,
                amount,
                term_months,
                purpose,
                collateral,
                urgency,
                channel: Some(channel),
            };
            let d = uc::post(&app, &who(&actor), &req).await.map_err(app_error)?;
            if as_json {
                json(&d)?;
            } else {
                print_detail(&d);
            }
        }
        FinancingCmd::Demand(DemandCmd::List { state, kind, light: l, json: as_json, actor }) => {
            let f = ListFilter { state, kind, light: l, limit: None };
            let list = uc::list(&app, &who(&actor), &f).await.map_err(app_error)?;
            if as_json {
                json(&list)?;
            } else {
                for v in &list {
                    let r = &v.record;
                    outln!(
                        "{}\t{}\t{}\t{}\t{} 元\t{}\t期限 {}\t{}",
                        r.id,
                        r.created_at.format("%Y-%m-%d"),
                        r.enterprise_name,
                        v.kind_zh,
                        r.demand.amount,
                        v.state_zh,
                        r.demand.deadline,
                        light(v.light)
                    );
                }
            }
        }
        FinancingCmd::Demand(DemandCmd::Show { id, json: as_json, actor }) => {
            let d = uc::show(&app, &who(&actor), id).await.map_err(app_error)?;
            if as_json {
                json(&d)?;
            } else {
                print_detail(&d);
            }
        }
        FinancingCmd::Respond { id, product, response, reason, amount, date, actor } => {
            let req = RespondRequest { product, response, reason, amount, date };
            let d = uc::respond(&app, &who(&actor), id, &req).await.map_err(app_error)?;
            print_detail(&d);
        }
        FinancingCmd::Step { id, to, note, amount, actor } => {
            let d =
                uc::step(&app, &who(&actor), id, &to, &note, amount.as_deref()).await.map_err(app_error)?;
            print_detail(&d);
        }
        FinancingCmd::Close { id, reason, actor } => {
            let d = uc::close(&app, &who(&actor), id, &reason).await.map_err(app_error)?;
            print_detail(&d);
        }
        FinancingCmd::Export { out, state, actor } => {
            if out.extension().and_then(|e| e.to_str()) != Some("xlsx") {
                anyhow::bail!(
                    "输出文件应以 .xlsx 结尾 / the output file must end in .xlsx: {}",
                    out.display()
                );
            }
            let f = ListFilter { state, limit: Some(100_000), ..Default::default() };
            let bytes = uc::workbook(&app, &who(&actor), &f).await.map_err(app_error)?;
            std::fs::write(&out, bytes).map_err(|e| {
                anyhow::anyhow!("无法写入 {} / cannot write {}: {e}", out.display(), out.display())
            })?;
            outln!("已写入 {} / wrote {}", out.display(), out.display());
        }
        FinancingCmd::Bind { username, institution, actor } => {
            uc::bind_institution(&app, &who(&actor), &username, &institution).await.map_err(app_error)?;
            outln!("已将用户 {username} 绑定到 {institution} / bound {username} to {institution}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
