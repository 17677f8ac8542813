//! The demo zone's financing (三.5, 三.8; issue 15): three institutions with the products a
//! high-tech zone's banks, guarantee company and venture fund offer (a credit loan for
//! high-tech firms, a mortgage loan, the zone's risk-compensation loan, bridge money, an
//! IP-pledge guarantee, equity), and demands in every state around the demo date
//! (2022-12-30): posted with nothing fitting, matched, accepted, declined with a reason,
//! granted, withdrawn, 风险补偿 / 转贷过桥 at their steps (one bridge loan repaid), and one
//! accepted demand past its deadline (red). The printed logins `yinhang` (长沙银行高新支行)
//! and `danbao` (the guarantee company) act for their institutions, `kejin` runs the
//! 科技金融服务中心's desk, and the `qiye` enterprise has a demand of its own that the bank
//! accepted. Each demand goes to an enterprise whose facts make the wanted product match
//! (decided with the same product book the use case matches with), and everything is written
//! through `app::financing` on a clock moved through the days, as in production.

use app::financing::{self as uc, DemandRequest, ProductRequest, RespondRequest};
use app::{App, FixedClock, Principal};
use chrono::{DateTime, Duration, FixedOffset};
use enterprise::UnifiedCreditCode;
use services::financing::{Demand, MatchOutcome, ProductBook};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use store::Role;

use crate::demo::{DemoZone, demo_now};

/// The bank's printed login and its institution.
pub const BANK_LOGIN: &str = "yinhang";
pub const BANK: &str = "长沙银行高新支行";
/// The guarantee company's printed login and its institution.
pub const GUARANTEE_LOGIN: &str = "danbao";
pub const GUARANTEE: &str = "湖南省中小企业融资担保有限公司";
/// The venture fund (no login: the 科技金融服务中心 keeps its product).
pub const FUND: &str = "长沙高新创业投资有限公司";

const HIGH_TECH_OR_SRDI: &str =
    "tags has \"高新技术企业\" or tags has \"国家级专精特新小巨人\" or tags has \"省级专精特新中小企业\"";

/// (id, institution, name, kinds, amount range, term range, rate range, collateral, eligibility, description).
type ProductRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    (&'static str, &'static str),
    (u32, u32),
    (&'static str, &'static str),
    &'static [&'static str],
    &'static str,
    &'static str,
);

const PRODUCTS: &[ProductRow] = &[
    (
        "cs-kechuang-dai",
        BANK,
        "科创贷（信用）",
        &["loan"],
        ("50万", "1000万"),
        (6, 36),
        ("3.65", "4.35"),
        &[],
        HIGH_TECH_OR_SRDI,
        "面向高新技术企业和专精特新企业的纯信用流动资金贷款，随借随还。",
    ),
    (
        "cs-diya-dai",
        BANK,
        "厂房设备抵押经营贷",
        &["loan"],
        ("100万", "3000万"),
        (12, 60),
        ("3.85", "4.60"),
        &["property", "equipment"],
        "tax_credit_rating in [\"A\", \"B\", \"M\"]",
        "以自有厂房或生产设备抵押，用于购置设备、扩大产能。",
    ),
    (
        "cs-fengbu-dai",
        BANK,
        "园区风险补偿贷",
        &["risk_compensation"],
        ("20万", "500万"),
        (6, 36),
        ("3.45", "3.95"),
        &[],
        "size_class(year - 1) in [\"medium\", \"small\", \"micro\"]",
        "园区风险补偿资金池分担损失的中小企业贷款，经科技金融服务中心审核后放款。",
    ),
    (
        "db-zhuandai-qiao",
        GUARANTEE,
        "转贷过桥资金",
        &["bridge_loan"],
        ("50万", "2000万"),
        (1, 3),
        ("3.60", "7.20"),
        &[],
        "tax_credit_rating != \"D\"",
        "银行贷款到期续贷前的过桥资金，原贷款行出具续贷承诺后使用，最长 3 个月。",
    ),
    (
        "db-zhishi-zhiya",
        GUARANTEE,
        "知识产权质押融资担保",
        &["loan", "risk_compensation"],
        ("30万", "800万"),
        (12, 36),
        ("4.20", "5.50"),
        &["intellectual_property"],
        HIGH_TECH_OR_SRDI,
        "以发明专利、软件著作权质押，担保费率 1% 以下。",
    ),
    (
        "gx-chengzhang-guquan",
        FUND,
        "科技成长股权投资",
        &["equity"],
        ("500万", "5000万"),
        (36, 84),
        ("0", "0"),
        &[],
        "tags has \"拟上市\" or tags has \"国家级专精特新小巨人\" or tags has \"省级专精特新中小企业\"",
        "投资拟上市和专精特新企业，单个项目 500 万至 5000 万元。",
    ),
];

/// What happens to a demand after it is posted, day offsets from the demo date.
#[derive(Clone, Copy)]
enum Then {
    /// Nothing (open or matched).
    Nothing,
    /// The institution owning the product accepts.
    Accept(i64),
    /// Accepts, then grants (amount).
    Grant(i64, i64, &'static str),
    /// Declines with a reason.
    Decline(i64, &'static str),
    /// The enterprise withdraws with a reason.
    Withdraw(i64, &'static str),
    /// 风险补偿 / 转贷过桥 steps, each (day, step).
    Steps(&'static [(i64, &'static str)]),
}

/// (posted, kind, amount, term, purpose, collateral, urgency, the product that must match, then).
type DemandRow = (
    i64,
    &'static str,
    &'static str,
    u32,
    &'static str,
    &'static [&'static str],
    &'static str,
    Option<&'static str>,
    Then,
);

const DEMANDS: &[DemandRow] = &[
    (
        -62,
        "loan",
        "300万",
        36,
        "购置数控加工中心 4 台，扩大产能",
        &["equipment", "property"],
        "normal",
        Some("cs-diya-dai"),
        Then::Grant(-57, -41, "280万"),
    ),
    (
        -48,
        "loan",
        "500万",
        12,
        "支付原材料货款，补充流动资金",
        &[],
        "urgent",
        Some("cs-kechuang-dai"),
        Then::Accept(-44),
    ),
    (
        -11,
        "loan",
        "200万",
        12,
        "年底发放工资和支付供应商货款",
        &[],
        "critical",
        Some("cs-kechuang-dai"),
        Then::Decline(-8, "企业近两年经营性现金流为负，暂不符合信用贷款条件，建议补充抵押后再申请"),
    ),
    (
        -4,
        "loan",
        "150万",
        12,
        "承接新订单，采购芯片和电子元器件",
        &["intellectual_property"],
        "urgent",
        Some("db-zhishi-zhiya"),
        Then::Nothing,
    ),
    (-3, "equity", "8000万", 60, "新建第二生产基地，引入战略投资者", &[], "normal", None, Then::Nothing),
    (
        -30,
        "risk_compensation",
        "300万",
        24,
        "研发新一代产品，支付研发人员薪酬",
        &[],
        "normal",
        Some("cs-fengbu-dai"),
        Then::Steps(&[(-26, "review"), (-15, "approved")]),
    ),
    (
        -9,
        "risk_compensation",
        "100万",
        12,
        "补充流动资金",
        &[],
        "urgent",
        Some("cs-fengbu-dai"),
        Then::Steps(&[(-6, "review")]),
    ),
    (
        -40,
        "bridge_loan",
        "800万",
        3,
        "长沙银行 800 万元流动资金贷款 11 月到期，续贷前过桥",
        &[],
        "critical",
        Some("db-zhuandai-qiao"),
        Then::Steps(&[(-39, "review"), (-38, "approved"), (-37, "disbursed"), (-6, "repaid")]),
    ),
    (
        -2,
        "bridge_loan",
        "500万",
        2,
        "建设银行贷款 1 月中旬到期，申请过桥资金续贷",
        &[],
        "critical",
        Some("db-zhuandai-qiao"),
        Then::Nothing,
    ),
    (
        -26,
        "loan",
        "100万",
        12,
        "支付厂房租金和水电费",
        &[],
        "normal",
        Some("cs-kechuang-dai"),
        Then::Withdraw(-19, "已获得股东借款，暂不需要融资"),
    ),
];

fn who(
    username: &str,
    role: Role,
    enterprise: Option<UnifiedCreditCode>,
    department: Option<&str>,
) -> Principal {
    Principal {
        username: username.into(),
        role,
        enterprise,
        department: department.map(Into::into),
        display_name: username.into(),
    }
}

fn day_at(offset: i64, hour: i64) -> DateTime<FixedOffset> {
    let d = demo_now() + Duration::days(offset);
    // 10:00 on the demo date; other hours of the same day.
    d + Duration::hours(hour - 10)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

/// Whether `product` matches a demand of `req`'s terms for the enterprise with `facts`.
fn fits(book: &ProductBook, req: &DemandRequest, facts: &enterprise::Facts, product: &str) -> bool {
    let (Ok(kind), Ok(amount)) =
        (req.kind.parse::<services::financing::DemandKind>(), uc::parse_amount("amount", &req.amount))
    else {
        return false;
    };
    let collateral =
        req.collateral.iter().filter_map(|c| services::financing::Collateral::parse(c)).collect();
    let d = Demand { id: 1, enterprise_id: 1, kind, amount, term_months: req.term_months, collateral };
    let mut fs = HashMap::new();
    fs.insert(1, facts.clone());
    book.match_demands(&[d], &fs, demo_now().date_naive())
        .iter()
        .any(|m| m.product == product && m.outcome == MatchOutcome::Matched)
}

/// Writes the demo products and demands; (products, demands).
pub async fn write(app: &App, zone: &DemoZone) -> anyhow::Result<(usize, usize)> {
    let err = crate::app_error;
    let clock = Arc::new(FixedClock::new(day_at(-90, 10)));
    let app = app.clone().with_clock(clock.clone());
    let op = Principal::operator("demo");
    uc::bind_institution(&app, &op, BANK_LOGIN, BANK).await.map_err(err)?;
    uc::bind_institution(&app, &op, GUARANTEE_LOGIN, GUARANTEE).await.map_err(err)?;
    let bank = who(BANK_LOGIN, Role::FinancialInstitution, None, None);
    let guarantee = who(GUARANTEE_LOGIN, Role::FinancialInstitution, None, None);
    let officer = who("kejin", Role::Department, None, Some(uc::OFFICE));
    let by_institution = |i: &str| {
        if i == BANK {
            &bank
        } else if i == GUARANTEE {
            &guarantee
        } else {
            &officer
        }
    };

    for &(id, institution, name, kinds, (amin, amax), (tmin, tmax), (rmin, rmax), coll, elig, desc) in
        PRODUCTS
    {
        uc::save_product(
            &app,
            by_institution(institution),
            &ProductRequest {
                id: id.into(),
                institution: Some(institution.into()),
                name: name.into(),
                kinds: strings(kinds),
                amount_min: amin.into(),
                amount_max: amax.into(),
                term_min_months: tmin,
                term_max_months: tmax,
                rate_min: rmin.into(),
                rate_max: rmax.into(),
                requires_collateral: strings(coll),
                eligibility: elig.into(),
                description: desc.into(),
                active: Some(true),
                version: None,
            },
        )
        .await
        .map_err(err)?;
    }
    let book = uc::book(&app).await.map_err(err)?;
    let owner: HashMap<&str, &str> = PRODUCTS.iter().map(|p| (p.0, p.1)).collect();

    let qiye = zone.users.iter().find(|u| u.username == "qiye").and_then(|u| u.enterprise.clone());
    let mut used: BTreeSet<UnifiedCreditCode> = qiye.iter().cloned().collect();
    let mut posted = 0;
    for &(offset, kind, amount, term, purpose, collateral, urgency, want, then) in DEMANDS {
        let mut req = DemandRequest {
            uscc: None,
            kind: kind.into(),
            amount: amount.into(),
            term_months: term,
            purpose: purpose.into(),
            collateral: strings(collateral),
            urgency: Some(urgency.into()),
            channel: Some(if posted % 3 == 0 { "visit" } else { "hotline" }.into()),
        };
        // The first enterprise (in the zone's order) the wanted product matches.
        let firm = zone
            .records
            .iter()
            .filter(|r| !used.contains(&r.enterprise.uscc))
            .find(|r| {
                want.is_none_or(|p| {
                    fits(&book, &req, &store::enterprises::enterprise_facts(&r.enterprise, &r.facts), p)
                })
            })
            .map(|r| r.enterprise.uscc.clone());
        let Some(firm) = firm else {
            anyhow::bail!("no demo enterprise fits the product {want:?}");
        };
        used.insert(firm.clone());
        req.uscc = Some(firm.to_string());
        clock.set(day_at(offset, 9 + (posted as i64 % 6)));
        let d = uc::post(&app, &officer, &req).await.map_err(err)?;
        posted += 1;
        let id = d.view.record.id;
        let product = want.unwrap_or_default().to_string();
        let acting = owner.get(product.as_str()).map_or(&officer, |i| by_institution(i));
        let respond =
            |response: &str, reason: &str, amount: Option<&str>, on: Option<String>| RespondRequest {
                product: product.clone(),
                response: response.into(),
                reason: reason.into(),
                amount: amount.map(Into::into),
                date: on,
            };
        match then {
            Then::Nothing => {}
            Then::Accept(day) => {
                clock.set(day_at(day, 15));
                uc::respond(&app, acting, id, &respond("accepted", "", None, None)).await.map_err(err)?;
            }
            Then::Grant(accepted, granted, amount) => {
                clock.set(day_at(accepted, 15));
                uc::respond(&app, acting, id, &respond("accepted", "", None, None)).await.map_err(err)?;
                clock.set(day_at(granted, 16));
                let on = day_at(granted, 16).date_naive().to_string();
                uc::respond(&app, acting, id, &respond("granted", "", Some(amount), Some(on)))
                    .await
                    .map_err(err)?;
            }
            Then::Decline(day, reason) => {
                clock.set(day_at(day, 11));
                uc::respond(&app, acting, id, &respond("declined", reason, None, None)).await.map_err(err)?;
            }
            Then::Withdraw(day, reason) => {
                clock.set(day_at(day, 11));
                let ent = who("demo-enterprise", Role::Enterprise, Some(firm.clone()), None);
                uc::close(&app, &ent, id, reason).await.map_err(err)?;
            }
            Then::Steps(steps) => {
                for (day, step) in steps {
                    clock.set(day_at(*day, 14));
                    let note = match *step {
                        "review" => "材料齐全，提交风险补偿资金池 / 过桥资金审核",
                        "approved" => "审核通过",
                        "disbursed" => "过桥资金已拨付至原贷款行还款账户",
                        _ => "原贷款行续贷放款后，过桥资金已归还",
                    };
                    uc::step(&app, &officer, id, step, note, None).await.map_err(err)?;
                }
            }
        }
    }

    // The qiye enterprise's own demand, posted online and accepted by the bank's product
    // that fits it (the bank's, else any).
    if let Some(q) = qiye {
        let ent = who("qiye", Role::Enterprise, Some(q.clone()), None);
        clock.set(day_at(-8, 10));
        let req = DemandRequest {
            uscc: None,
            kind: "loan".into(),
            amount: "200万".into(),
            term_months: 24,
            purpose: "新产品中试线建设，购置检测设备".into(),
            collateral: strings(&["intellectual_property", "receivables", "property"]),
            urgency: Some("urgent".into()),
            channel: None,
        };
        let d = uc::post(&app, &ent, &req).await.map_err(err)?;
        posted += 1;
        let pick = d
            .matches
            .iter()
            .filter(|m| m.m.matched)
            .min_by_key(|m| (m.institution != BANK, m.m.product_id.clone()))
            .map(|m| (m.m.product_id.clone(), m.institution.clone()));
        if let Some((product, institution)) = pick {
            clock.set(day_at(-6, 15));
            let req = RespondRequest { product, response: "accepted".into(), ..Default::default() };
            uc::respond(&app, by_institution(&institution), d.view.record.id, &req).await.map_err(err)?;
        }
    }
    Ok((PRODUCTS.len(), posted))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every product of the demo is valid and compiles (the eligibility in the rule
    /// language), and the demands cover every state and kind.
    #[test]
    fn the_demo_catalogue_compiles_and_the_demands_cover_every_state() {
        let products = PRODUCTS
            .iter()
            .map(|p| services::financing::Product {
                id: p.0.into(),
                institution: p.1.into(),
                name: p.2.into(),
                kinds: p.3.iter().filter_map(|k| k.parse().ok()).collect(),
                amount_min: uc::parse_amount("a", p.4.0).unwrap(),
                amount_max: uc::parse_amount("a", p.4.1).unwrap(),
                term_min_months: p.5.0,
                term_max_months: p.5.1,
                rate_min: p.6.0.parse().unwrap(),
                rate_max: p.6.1.parse().unwrap(),
                requires_collateral: p.7.iter().filter_map(|c| c.parse().ok()).collect(),
                eligibility: p.8.into(),
            })
            .collect();
        let book = ProductBook::compile(&[], products, enterprise::FactDictionary::official());
        assert_eq!(book.broken().count(), 0, "{:?}", book.errors);
        assert!(DEMANDS.iter().any(|d| matches!(d.8, Then::Grant(..))));
        assert!(DEMANDS.iter().any(|d| matches!(d.8, Then::Decline(..))));
        assert!(DEMANDS.iter().any(|d| matches!(d.8, Then::Withdraw(..))));
        assert!(DEMANDS.iter().any(|d| d.7.is_none()), "one demand nothing fits");
        for k in ["loan", "risk_compensation", "bridge_loan", "equity"] {
            assert!(DEMANDS.iter().any(|d| d.1 == k), "{k}");
        }
    }
}
