//! The demo zone: a deterministic synthetic industrial zone (same seed, same zone) with
//! plausible Chinese enterprise names, valid credit codes, industries, facts for 2021 and
//! 2022, tags, three-link assignments and one user per role.
//!
//! Generation is pure (a seeded ChaCha generator); `huiqi demo` writes the result through the
//! store and serves it.

use chrono::NaiveDate;
use enterprise::{
    Enterprise, EnterpriseRecord, FactRecord, FactSource, FactValue, IndustryCode, TaxCreditRating,
    TaxpayerType, ThreeLinks, UnifiedCreditCode,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// The seed of `huiqi demo`.
pub const DEMO_SEED: u64 = 20220427;

/// A demo login.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub username: String,
    pub password: String,
    pub role: &'static str,
    pub display_name: String,
    pub enterprise: Option<UnifiedCreditCode>,
    pub department: Option<String>,
}

/// Everything the demo zone consists of.
#[derive(Debug, Clone)]
pub struct DemoZone {
    pub records: Vec<EnterpriseRecord>,
    pub links: Vec<(UnifiedCreditCode, ThreeLinks)>,
    pub users: Vec<DemoUser>,
    /// Leaders and cadres (username, display name, role) who are linked to enterprises.
    pub staff: Vec<DemoUser>,
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const SYLLABLES: &[&str] = &[
    "华", "瑞", "博", "远", "鑫", "智", "创", "联", "信", "达", "恒", "泰", "明", "德", "麓", "谷", "星",
    "城", "湘", "楚", "云", "威", "胜", "中", "航", "宏", "源", "新", "睿", "康", "安", "禾", "嘉", "盛",
    "通", "宇", "晟", "辰", "弘", "锐", "峰", "岳", "江", "汇", "益", "同", "诚", "正", "光", "九", "天",
    "海", "融", "凯", "众", "力", "科", "捷", "兴", "银",
];
const PREFIXES: &[&str] = &["湖南", "长沙", "长沙高新区", "湖南省", "长沙市"];

/// (industry code, weight, name words) — the industries a high-tech zone hosts.
const INDUSTRIES: &[(&str, u32, &[&str])] = &[
    ("C3434", 8, &["智能装备", "工程机械", "精密机械"]),
    ("C3981", 6, &["电子科技", "微电子", "电子元器件"]),
    ("C2710", 4, &["生物医药", "医药科技", "制药"]),
    ("C3670", 4, &["汽车零部件", "新能源汽车科技"]),
    ("C2641", 3, &["新材料", "涂料科技", "化工新材料"]),
    ("C3841", 3, &["新能源", "电池科技", "储能科技"]),
    ("C3562", 2, &["环保设备", "环境科技"]),
    ("I6513", 10, &["软件", "信息技术", "网络科技", "数据科技"]),
    ("I6450", 4, &["互联网科技", "云计算"]),
    ("I6311", 1, &["通信技术"]),
    ("M7320", 5, &["检测技术", "工程技术", "研究院"]),
    ("M7517", 3, &["科技服务", "知识产权服务"]),
    ("F5179", 6, &["贸易", "商贸", "供应链管理"]),
    ("F5292", 4, &["电子商务", "商业"]),
    ("L7212", 4, &["企业管理咨询", "商务服务"]),
    ("L7121", 1, &["设备租赁"]),
    ("E4710", 2, &["建设工程", "建筑工程"]),
    ("K7010", 1, &["置业", "房地产开发"]),
    ("K7020", 1, &["物业管理"]),
    ("G5436", 1, &["物流", "运输"]),
    ("G5942", 1, &["仓储"]),
    ("H6210", 2, &["餐饮管理", "餐饮"]),
    ("R8710", 1, &["文化传媒", "影视文化"]),
    ("J6620", 1, &["融资担保", "金融服务"]),
];

/// Leaders (联点领导) of the zone.
const LEADERS: &[&str] = &["王建国", "李志强", "张海燕", "刘卫东", "陈晓明", "杨光辉"];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何",
    "郭", "马", "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "丹", "平", "刚",
    "桂英", "晨", "婷",
];

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

fn money(yuan: f64) -> Decimal {
    // Synthetic amounts are drawn as floats and rounded to whole yuan here, once; from then
    // on every amount is an exact Decimal.
    Decimal::from(yuan.round() as i64)
}

fn unique_code(rng: &mut ChaCha8Rng, individual: bool, seen: &mut BTreeSet<String>) -> UnifiedCreditCode {
    loop {
        let region = if rng.random_bool(0.7) { "430100" } else { "430104" };
        let mut org = String::from("MA4");
        for _ in 0..5 {
            org.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
        }
        let cat = if individual { '2' } else { '1' };
        if let Some(code) = UnifiedCreditCode::from_parts('9', cat, region, &org)
            && seen.insert(code.to_string())
        {
            return code;
        }
    }
}

fn person_name(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN))
}

/// Generates the demo zone with `n` enterprises.
pub fn generate(seed: u64, n: usize) -> DemoZone {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let total_weight: u32 = INDUSTRIES.iter().map(|i| i.1).sum();
    let mut seen_codes = BTreeSet::new();
    let mut seen_names = BTreeSet::new();
    let as_of = |y: i32| NaiveDate::from_ymd_opt(y + 1, 5, 31).unwrap_or_default();
    let departments: Vec<String> = enterprise::Routing::seed()
        .departments
        .iter()
        .filter(|d| d.code != "special_working_group" && d.code != "publicity")
        .map(|d| d.code.clone())
        .collect();

    // Staff: leaders and cadres (about 90 enterprises per cadre).
    let mut staff = Vec::new();
    for (i, name) in LEADERS.iter().enumerate() {
        staff.push(DemoUser {
            username: format!("leader{:02}", i + 1),
            password: format!("leader{:02}-demo", i + 1),
            role: "leader",
            display_name: (*name).to_string(),
            enterprise: None,
            department: None,
        });
    }
    let cadres = n.div_ceil(90).max(2);
    for i in 0..cadres {
        staff.push(DemoUser {
            username: format!("cadre{:02}", i + 1),
            password: format!("cadre{:02}-demo", i + 1),
            role: "cadre",
            display_name: person_name(&mut rng),
            enterprise: None,
            department: Some(departments[i % departments.len()].clone()),
        });
    }

    let mut records = Vec::with_capacity(n);
    let mut links = Vec::with_capacity(n);
    for i in 0..n {
        let individual = rng.random_bool(0.06);
        let uscc = unique_code(&mut rng, individual, &mut seen_codes);
        let mut w = rng.random_range(0..total_weight);
        let (code, _, words) = INDUSTRIES
            .iter()
            .find(|(_, weight, _)| {
                if w < *weight {
                    true
                } else {
                    w -= weight;
                    false
                }
            })
            .copied()
            .unwrap_or(INDUSTRIES[0]);
        let name = loop {
            let brand = format!("{}{}", pick(&mut rng, SYLLABLES), pick(&mut rng, SYLLABLES));
            let candidate = if individual {
                format!(
                    "长沙高新区{brand}{}",
                    pick(&mut rng, &["便利店", "餐馆", "五金店", "图文店", "电器维修部"])
                )
            } else {
                let form = if rng.random_bool(0.12) { "股份有限公司" } else { "有限公司" };
                format!("{}{brand}{}{form}", pick(&mut rng, PREFIXES), pick(&mut rng, words))
            };
            if seen_names.insert(candidate.clone()) {
                break candidate;
            }
        };
        let industry = IndustryCode::parse(if individual { "F5292" } else { code }).ok();
        let established_on = NaiveDate::from_ymd_opt(
            rng.random_range(1998..=2021),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        );
        // Most are in the zone for both registrations; a few only for one (not assistance targets).
        let r = rng.random_range(0..100);
        let (reg, tax) = match r {
            0..=3 => (true, false),
            4..=5 => (false, true),
            _ => (true, true),
        };
        // Size: a long tail of small firms and a few large ones.
        let scale: f64 = rng.random::<f64>().powf(3.0);
        let employees_2022 = if individual { rng.random_range(1..8) } else { (5.0 + scale * 1500.0) as i64 };
        let revenue_2022 = if individual {
            rng.random_range(100_000.0..1_500_000.0)
        } else {
            employees_2022 as f64 * rng.random_range(200_000.0..1_200_000.0)
        };
        let general = !individual && (revenue_2022 > 5_000_000.0 || rng.random_bool(0.3));
        let mut tags = BTreeSet::new();
        if !individual {
            if code.starts_with('C') || code.starts_with('I') || code.starts_with('M') {
                if rng.random_bool(0.35) {
                    tags.insert("高新技术企业".to_string());
                }
                if rng.random_bool(0.3) {
                    tags.insert("科技型中小企业".to_string());
                }
                if rng.random_bool(0.06) {
                    tags.insert(
                        if rng.random_bool(0.25) {
                            "国家级专精特新小巨人"
                        } else {
                            "省级专精特新中小企业"
                        }
                        .to_string(),
                    );
                }
            }
            if scale > 0.3 && rng.random_bool(0.1) {
                tags.insert("拟上市".to_string());
            }
            if code.starts_with("C34") || code.starts_with("C36") {
                tags.insert("产业链:工程机械".to_string());
            } else if code.starts_with("C39") || code.starts_with("I") {
                tags.insert("产业链:电子信息".to_string());
            } else if code.starts_with("C27") {
                tags.insert("产业链:生物医药".to_string());
            }
        }
        let rating = if individual && rng.random_bool(0.5) {
            None
        } else {
            Some(*pick(
                &mut rng,
                &[
                    TaxCreditRating::A,
                    TaxCreditRating::A,
                    TaxCreditRating::B,
                    TaxCreditRating::B,
                    TaxCreditRating::B,
                    TaxCreditRating::M,
                    TaxCreditRating::C,
                    TaxCreditRating::D,
                ],
            ))
        };
        let e = Enterprise {
            uscc: uscc.clone(),
            name,
            registered_in_zone: reg,
            tax_registered_in_zone: tax,
            industry_code: industry,
            established_on,
            taxpayer_type: Some(if general { TaxpayerType::General } else { TaxpayerType::SmallScale }),
            tax_credit_rating: rating,
            tags: tags.clone(),
        };
        let mut facts = Vec::new();
        for year in [2021, 2022] {
            let growth = if year == 2021 { rng.random_range(0.7..1.1) } else { 1.0 };
            let emp = ((employees_2022 as f64) * growth).max(1.0) as i64;
            let rev = revenue_2022 * growth;
            let mut push = |fact: &str, v: FactValue, src: FactSource| {
                facts.push(FactRecord {
                    fact: fact.to_string(),
                    year: Some(year),
                    value: v,
                    source: src,
                    as_of: as_of(year),
                })
            };
            // About 4% of values are missing: the data really is incomplete in a zone.
            if !rng.random_bool(0.04) {
                push("employees", FactValue::Integer(emp), FactSource::Tax);
            }
            if !rng.random_bool(0.04) {
                push("revenue", FactValue::Money(money(rev)), FactSource::Tax);
            }
            if !rng.random_bool(0.05) {
                push(
                    "total_assets",
                    FactValue::Money(money(rev * rng.random_range(0.4..1.6))),
                    FactSource::Tax,
                );
            }
            if !rng.random_bool(0.06) {
                let margin = rng.random_range(-0.08..0.15);
                push("taxable_income", FactValue::Money(money((rev * margin).max(0.0))), FactSource::Tax);
            }
            if !individual && !rng.random_bool(0.1) {
                let rd = if tags.contains("高新技术企业") {
                    rng.random_range(0.03..0.12)
                } else {
                    rng.random_range(0.0..0.05)
                };
                push("rd_expense", FactValue::Money(money(rev * rd)), FactSource::Tax);
            }
            if tags.contains("高新技术企业") && !rng.random_bool(0.1) {
                push(
                    "high_tech_revenue",
                    FactValue::Money(money(rev * rng.random_range(0.55..0.95))),
                    FactSource::SelfReported,
                );
            }
            if general && !rng.random_bool(0.2) {
                push(
                    "vat_credit_balance",
                    FactValue::Money(money(rev * rng.random_range(0.0..0.03))),
                    FactSource::Tax,
                );
            }
        }
        records.push(EnterpriseRecord::whole(e, facts));
        let cadre = &staff[LEADERS.len() + (i % cadres)];
        links.push((
            uscc,
            ThreeLinks {
                leader: Some(format!("leader{:02}", i % LEADERS.len() + 1)),
                department: cadre.department.clone(),
                cadre: Some(cadre.username.clone()),
            },
        ));
    }

    let first_target =
        records.iter().find(|r| r.enterprise.assistance_target()).map(|r| r.enterprise.uscc.clone());
    let users = vec![
        DemoUser {
            username: "qiye".into(),
            password: "qiye-demo-2022".into(),
            role: "enterprise",
            display_name: "企业用户".into(),
            enterprise: first_target,
            department: None,
        },
        DemoUser {
            username: "ganbu".into(),
            password: "ganbu-demo-2022".into(),
            role: "cadre",
            display_name: "驻企干部".into(),
            enterprise: None,
            department: Some("economic_development".into()),
        },
        DemoUser {
            username: "jingfa".into(),
            password: "jingfa-demo-2022".into(),
            role: "department",
            display_name: "经济发展局经办".into(),
            enterprise: None,
            department: Some("economic_development".into()),
        },
        DemoUser {
            username: "shuiwu".into(),
            password: "shuiwu-demo-2022".into(),
            role: "department",
            display_name: "税务局经办".into(),
            enterprise: None,
            department: Some("tax_bureau".into()),
        },
        DemoUser {
            username: "lingdao".into(),
            password: "lingdao-demo-2022".into(),
            role: "leader",
            display_name: "联点领导".into(),
            enterprise: None,
            department: None,
        },
        DemoUser {
            username: "ducha".into(),
            password: "ducha-demo-2022".into(),
            role: "supervisor",
            display_name: "专项工作小组督查".into(),
            enterprise: None,
            department: Some("special_working_group".into()),
        },
        DemoUser {
            username: "zhengce".into(),
            password: "zhengce-demo-2022".into(),
            role: "policy",
            display_name: "政策专员".into(),
            enterprise: None,
            department: Some("economic_development".into()),
        },
        DemoUser {
            username: "admin".into(),
            password: "admin-demo-2022".into(),
            role: "admin",
            display_name: "平台管理员".into(),
            enterprise: None,
            department: None,
        },
    ];
    DemoZone { records, links, users, staff }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_zone_is_deterministic_and_valid() {
        let a = generate(DEMO_SEED, 400);
        let b = generate(DEMO_SEED, 400);
        assert_eq!(a.records, b.records);
        assert_eq!(a.records.len(), 400);
        let codes: BTreeSet<_> = a.records.iter().map(|r| r.enterprise.uscc.clone()).collect();
        assert_eq!(codes.len(), 400, "credit codes are unique");
        for r in &a.records {
            assert!(UnifiedCreditCode::parse(r.enterprise.uscc.as_str()).is_ok());
            assert!(r.enterprise.name.chars().count() >= 6, "{}", r.enterprise.name);
        }
        let targets = a.records.iter().filter(|r| r.enterprise.assistance_target()).count();
        assert!(targets > 350 && targets < 400, "most but not all are assistance targets: {targets}");
        let roles: BTreeSet<_> = a.users.iter().map(|u| u.role).collect();
        assert_eq!(roles.len(), 7, "one user per role");
        assert!(a.users.iter().any(|u| u.role == "enterprise" && u.enterprise.is_some()));
        assert_eq!(a.links.len(), 400);
    }
}
