//! The demo zone: a deterministic synthetic industrial zone (same seed, same zone) with
//! plausible Chinese enterprise names, valid credit codes, industries, the facts the shipped
//! policies read (annual figures of 2020 and 2021, registrations, recognitions), tags,
//! three-link assignments and one user per role.
//!
//! **The demo date.** Everything in the zone agrees on one date, [`demo_now`] (2022-12-30):
//! the annual figures are those known then (2020 and 2021, reported in May of the next
//! year), the problems were received during 2022 (the last step on 2022-12-23), the plan of
//! 2022-04-27 and the 2022 tax policies are in force. `huiqi demo` runs its server on a
//! [`DemoClock`] that starts at that date and runs on, so the dashboard shows the month's
//! problems and the policies decide on last year's figures. (On today's clock the zone's
//! data would be four years old: the dashboard empty, the policies undetermined.)
//!
//! Generation is pure (seeded ChaCha generators); `huiqi demo` writes the result through the
//! store and serves it.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};
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

/// The years whose annual figures the zone holds: the two before [`demo_now`]'s year. Of the
/// demo date's own year it holds the figures to date (the quarterly income-tax returns to the
/// third quarter and the monthly VAT returns to November), as a zone would in December.
pub const DEMO_YEARS: [i32; 2] = [2020, 2021];

/// The date the whole demo zone agrees on (see the module docs): 2022-12-30 10:00 in China,
/// a working Friday after the last demo problem's last step.
pub fn demo_now() -> DateTime<FixedOffset> {
    let at = NaiveDate::from_ymd_opt(2022, 12, 30).and_then(|d| d.and_hms_opt(10, 0, 0)).unwrap_or_default();
    store::china_offset().from_local_datetime(&at).single().unwrap_or_else(|| at.and_utc().fixed_offset())
}

/// The demo server's clock: [`demo_now`] when the server starts, then running as the system
/// clock does (sessions, problems raised in the demo and deadlines move on normally).
#[derive(Debug, Clone, Copy)]
pub struct DemoClock {
    started: DateTime<FixedOffset>,
    real_start: std::time::Instant,
}

impl DemoClock {
    pub fn new() -> DemoClock {
        DemoClock { started: demo_now(), real_start: std::time::Instant::now() }
    }
}

impl Default for DemoClock {
    fn default() -> Self {
        DemoClock::new()
    }
}

impl app::Clock for DemoClock {
    fn now(&self) -> DateTime<FixedOffset> {
        let elapsed = chrono::Duration::from_std(self.real_start.elapsed()).unwrap_or_default();
        self.started + elapsed
    }
}

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

/// The printed cadre login, linked to a share of the zone like every cadre.
pub(crate) const GANBU: &str = "ganbu";
const GANBU_DEPARTMENT: &str = "economic_development";
/// Mixed into the seed of the second generator, which draws the facts the policy library
/// reads (so that adding them left the zone's enterprises, names and figures as they were).
const EXTRA_FACTS_SEED: u64 = 0x05ee_d0ff_ac75;
/// Mixed into the seed of the third generator, which draws the facts the notices of issue 11
/// read (VAT sales and their industry shares, year-end and month-end figures, the filing
/// period, the deferral's annual sales, business income), so that adding them left every
/// earlier figure of the zone as it was.
const NOTICE_FACTS_SEED: u64 = 0x0000_2022_0014_0021;
/// The seed of the streets' draw (XORed with the demo's).
const STREET_SEED: u64 = 0x0000_2022_0017_0004;
/// The streets of the synthetic zone (街道); 麓谷 and 东方红 the most common.
const STREETS: &[&str] = &["麓谷街道", "麓谷街道", "东方红街道", "东方红街道", "雷锋街道", "白马街道"];

/// The GB/T 4754 section of an industry code (`C` manufacturing, `I` software, …).
fn section_of(code: Option<&IndustryCode>) -> char {
    code.and_then(|c| c.to_string().chars().next()).unwrap_or('F')
}

/// The demo date's year to date: the income-tax figures of the third quarter's returns
/// (employees and assets as averages, income for nine months) and the VAT figures of the
/// November returns, drawn around last year's.
fn year_to_date(rng: &mut ChaCha8Rng, facts: &mut Vec<FactRecord>) {
    let year = DEMO_YEARS[1] + 1;
    let quarter = NaiveDate::from_ymd_opt(year, 10, 31).unwrap_or_default();
    let month = NaiveDate::from_ymd_opt(year, 12, 15).unwrap_or_default();
    let last = |facts: &[FactRecord], id: &str| {
        facts.iter().find(|f| f.fact == id && f.year == Some(DEMO_YEARS[1])).map(|f| f.value.clone())
    };
    let scale = |v: &FactValue, k: f64| match v {
        FactValue::Integer(i) => FactValue::Integer(((*i as f64) * k).round().max(1.0) as i64),
        FactValue::Money(d) => {
            let y = d.to_string().parse::<f64>().unwrap_or(0.0);
            FactValue::Money(money(y * k))
        }
        other => other.clone(),
    };
    let growth = rng.random_range(0.85..1.25);
    let mut add = Vec::new();
    for (id, k, as_of) in [
        ("employees", growth, quarter),
        ("total_assets", growth, quarter),
        ("taxable_income", growth * 0.75, quarter),
        ("revenue", growth * 0.75, quarter),
        ("sales_at_3pct", growth * 11.0 / 12.0, month),
        ("monthly_sales_max", growth, month),
        ("six_taxes_two_fees", growth * 11.0 / 12.0, month),
        ("deductible_input_vat", growth * 11.0 / 12.0, month),
        ("service_sales_share", 1.0, month),
        ("life_service_sales_share", 1.0, month),
    ] {
        if let Some(v) = last(facts, id) {
            add.push(FactRecord {
                fact: id.into(),
                year: Some(year),
                value: scale(&v, k),
                source: FactSource::Tax,
                as_of,
            });
        }
    }
    facts.extend(add);
}

/// What the policy facts of an enterprise depend on.
struct Shape {
    section: char,
    individual: bool,
    general: bool,
}

/// The facts the shipped policies read beyond the registry and the tax figures: screening
/// facts of the tax policies, recognitions and listings of the zone's awards, VAT figures,
/// self-reported figures of the subsidies, utility arrears. Each is present where a zone
/// would know it (a recognition date only for a recognised enterprise, a small-scale VAT
/// figure only for a small-scale taxpayer), so decisions are determined where the data
/// allows it and undetermined where a real zone's would be.
fn policy_facts(
    rng: &mut ChaCha8Rng,
    shape: &Shape,
    tags: &BTreeSet<String>,
    revenue_by_year: &[(i32, f64)],
    facts: &mut Vec<FactRecord>,
) {
    let reported = |y: i32| NaiveDate::from_ymd_opt(y + 1, 5, 31).unwrap_or_default();
    let known = NaiveDate::from_ymd_opt(DEMO_YEARS[1] + 1, 6, 30).unwrap_or_default();
    let today = demo_now().date_naive();
    let date = |rng: &mut ChaCha8Rng, years: std::ops::RangeInclusive<i32>| {
        let d = NaiveDate::from_ymd_opt(
            rng.random_range(years),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
        .unwrap_or_default();
        d.min(today)
    };
    let mut scalar = |fact: &str, value: FactValue, source: FactSource, as_of: NaiveDate| {
        facts.push(FactRecord { fact: fact.into(), year: None, value, source, as_of })
    };
    // The tax bureau's screening facts, known for every enterprise.
    scalar("restricted_industry", FactValue::Bool(rng.random_bool(0.02)), FactSource::Tax, known);
    scalar("refund_fraud_36m", FactValue::Bool(rng.random_bool(0.01)), FactSource::Tax, known);
    scalar("invoice_fraud_36m", FactValue::Bool(rng.random_bool(0.01)), FactSource::Tax, known);
    let penalties = i64::from(rng.random_bool(0.02));
    scalar("tax_evasion_penalties_36m", FactValue::Integer(penalties), FactSource::Tax, known);
    scalar("immediate_refund_since_2019", FactValue::Bool(rng.random_bool(0.05)), FactSource::Tax, known);
    // Recognitions and listings, where the zone recognised them.
    if tags.contains("高新技术企业") {
        let d = date(rng, 2017..=DEMO_YEARS[1] + 1);
        scalar("hitech_first_recognized_on", FactValue::Date(d), FactSource::Zone, d);
    }
    let srdi = if tags.iter().any(|t| t.contains("小巨人")) {
        Some("national")
    } else if tags.iter().any(|t| t.contains("专精特新")) {
        Some("provincial")
    } else if matches!(shape.section, 'C' | 'I' | 'M') && rng.random_bool(0.05) {
        Some("municipal")
    } else {
        None
    };
    if let Some(level) = srdi {
        let d = date(rng, 2019..=DEMO_YEARS[1] + 1);
        scalar("srdi_level", FactValue::Code(level.into()), FactSource::Zone, d);
        scalar("srdi_recognized_on", FactValue::Date(d), FactSource::Zone, d);
    }
    if tags.contains("拟上市") && rng.random_bool(0.25) {
        let d = date(rng, DEMO_YEARS[1] + 1..=DEMO_YEARS[1] + 1);
        let board = *pick(rng, &["main", "star", "chinext", "bse"]);
        scalar("listed_on", FactValue::Date(d), FactSource::Zone, d);
        scalar("listing_board", FactValue::Code(board.into()), FactSource::Zone, d);
    }
    // Utility arrears (plan 三.9): a few enterprises in the plan's year.
    if rng.random_bool(0.06) {
        let on = date(rng, DEMO_YEARS[1] + 1..=DEMO_YEARS[1] + 1);
        let paid = on + chrono::Duration::days(rng.random_range(5..45));
        scalar("utility_arrears_on", FactValue::Date(on), FactSource::Zone, on);
        if paid < today {
            scalar("utility_arrears_paid_on", FactValue::Date(paid), FactSource::Zone, paid);
            let fee = money(rng.random_range(50.0..3000.0));
            scalar("utility_late_fee", FactValue::Money(fee), FactSource::Zone, paid);
        }
    }
    // Annual figures.
    let services = matches!(shape.section, 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'R');
    let life = matches!(shape.section, 'H' | 'R') || (shape.section == 'K' && rng.random_bool(0.5));
    let making = matches!(shape.section, 'C' | 'I' | 'M');
    for &(year, rev) in revenue_by_year {
        let mut push = |fact: &str, value: FactValue, source: FactSource| {
            facts.push(FactRecord {
                fact: fact.into(),
                year: Some(year),
                value,
                source,
                as_of: reported(year),
            })
        };
        let ratio = |x: f64| FactValue::Ratio(Decimal::new((x * 100.0).round() as i64, 2));
        let service_share = if services { rng.random_range(0.55..1.0) } else { rng.random_range(0.0..0.2) };
        push("service_sales_share", ratio(service_share), FactSource::Tax);
        let life_share: f64 = if life { rng.random_range(0.5..1.0) } else { rng.random_range(0.0..0.1) };
        push("life_service_sales_share", ratio(life_share.min(service_share)), FactSource::Tax);
        if shape.general {
            let v = money(rev * rng.random_range(0.02..0.06));
            push("deductible_input_vat", FactValue::Money(v), FactSource::Tax);
        } else {
            push("sales_at_3pct", FactValue::Money(money(rev)), FactSource::Tax);
            let monthly = rev / 12.0 * rng.random_range(1.1..2.2);
            push("monthly_sales_max", FactValue::Money(money(monthly)), FactSource::Tax);
        }
        let taxes = money(rev * rng.random_range(0.001..0.004));
        push("six_taxes_two_fees", FactValue::Money(taxes), FactSource::Tax);
        if shape.individual {
            continue;
        }
        if rng.random_bool(0.5) {
            let v = money(rev * rng.random_range(0.002..0.02));
            push("loan_interest_paid", FactValue::Money(v), FactSource::SelfReported);
        }
        if rng.random_bool(0.6) {
            let v = money(rev * rng.random_range(0.01..0.05));
            push("rent_paid", FactValue::Money(v), FactSource::SelfReported);
        }
        if making && rng.random_bool(0.3) {
            push("high_talent_hires", FactValue::Integer(rng.random_range(0..4)), FactSource::SelfReported);
        }
        if rng.random_bool(0.5) {
            push("graduate_hires", FactValue::Integer(rng.random_range(0..16)), FactSource::SelfReported);
        }
        if making && rng.random_bool(0.4) {
            push(
                "new_invention_patents",
                FactValue::Integer(rng.random_range(0..7)),
                FactSource::SelfReported,
            );
        }
        if shape.section == 'C' && rng.random_bool(0.4) {
            let v = money(rev * rng.random_range(0.01..0.1));
            push("equipment_investment", FactValue::Money(v), FactSource::SelfReported);
        }
    }
    year_to_date(rng, facts);
}

/// The facts the notices read exactly (issue 11, docs/FACTS.md): the VAT sales of each year
/// (those of the months it existed in its first year, with the months), the year-end total
/// assets, the shares of VAT sales from the industries of 留抵退税 over the last 12 months
/// (general taxpayers, which alone have credits), the month-end employees and assets of a
/// general taxpayer, the filing period and its sales of a small-scale taxpayer, the 年销售额 of
/// the manufacturing deferral, an individual business's taxable business income.
fn notice_facts(
    rng: &mut ChaCha8Rng,
    shape: &Shape,
    industry: Option<&IndustryCode>,
    established_on: Option<NaiveDate>,
    revenue_by_year: &[(i32, f64)],
    facts: &mut Vec<FactRecord>,
) {
    let reported = |y: i32| NaiveDate::from_ymd_opt(y + 1, 5, 31).unwrap_or_default();
    let month_end = NaiveDate::from_ymd_opt(DEMO_YEARS[1] + 1, 11, 30).unwrap_or_default();
    let value_of = |facts: &[FactRecord], id: &str, year: i32| {
        facts.iter().find(|f| f.fact == id && f.year == Some(year)).and_then(|f| match &f.value {
            FactValue::Money(d) => d.to_string().parse::<f64>().ok(),
            FactValue::Integer(i) => Some(*i as f64),
            _ => None,
        })
    };
    let mut add = Vec::new();
    let mut per_year = |fact: &str, year: i32, value: FactValue| {
        add.push(FactRecord {
            fact: fact.into(),
            year: Some(year),
            value,
            source: FactSource::Tax,
            as_of: reported(year),
        })
    };
    let ratio = |x: f64| FactValue::Ratio(Decimal::new((x.clamp(0.0, 1.0) * 10_000.0).round() as i64, 4));
    for &(year, rev) in revenue_by_year {
        let first = established_on.filter(|d| d.year() == year);
        match first {
            Some(d) => {
                let months = 12 - d.month() as i64 + 1;
                let sales = rev * months as f64 / 12.0 * rng.random_range(0.9..1.02);
                per_year("vat_sales", year, FactValue::Money(money(sales)));
                per_year("vat_sales_months", year, FactValue::Integer(months));
            }
            None if established_on.is_some_and(|d| d.year() > year) => continue,
            None => per_year("vat_sales", year, FactValue::Money(money(rev * rng.random_range(0.9..1.02)))),
        }
        if let Some(assets) = value_of(facts, "total_assets", year) {
            let end = assets * rng.random_range(0.9..1.15);
            per_year("total_assets_year_end", year, FactValue::Money(money(end)));
        }
        if shape.individual {
            let income = rev * rng.random_range(0.04..0.15);
            per_year("business_income_taxable", year, FactValue::Money(money(income)));
        }
    }
    let last = revenue_by_year.last().map(|&(_, r)| r).unwrap_or(0.0);
    if shape.section == 'C' {
        // 年销售额 of the deferral notices: October 2020 to September 2021 (公告2021年第30号),
        // the calendar year 2021 (公告2022年第2号).
        // Each known when the first deferred period is filed (November 2021, February 2022).
        let first_filing = [(DEMO_YEARS[1], 11), (DEMO_YEARS[1] + 1, 2)];
        for (year, month) in first_filing {
            let k = if month == 11 { rng.random_range(0.9..1.02) } else { rng.random_range(0.95..1.02) };
            add.push(FactRecord {
                fact: "deferral_annual_sales".into(),
                year: Some(year),
                value: FactValue::Money(money(last * k)),
                source: FactSource::Tax,
                as_of: NaiveDate::from_ymd_opt(year, month, 15).unwrap_or_default(),
            });
        }
    }
    let mut scalar = |fact: &str, value: FactValue| {
        add.push(FactRecord {
            fact: fact.into(),
            year: None,
            value,
            source: FactSource::Tax,
            as_of: month_end,
        })
    };
    if shape.general {
        let division = industry.and_then(IndustryCode::division).unwrap_or(0);
        let six = matches!(shape.section, 'C' | 'D' | 'G' | 'M') || division == 65 || division == 77;
        let seven = matches!(shape.section, 'A' | 'F' | 'H' | 'O' | 'P' | 'Q' | 'R');
        let share6: f64 = if six { rng.random_range(0.45..1.0) } else { rng.random_range(0.0..0.3) };
        let share13 =
            if seven { share6 + rng.random_range(0.4..0.9) } else { share6 + rng.random_range(0.0..0.1) };
        scalar("manufacturing_etc_sales_share", ratio(share6));
        scalar("manufacturing_wholesale_etc_sales_share", ratio(share13));
        let year = DEMO_YEARS[1] + 1;
        if let Some(e) = value_of(facts, "employees", year) {
            scalar(
                "employees_month_end",
                FactValue::Integer((e * rng.random_range(0.95..1.05)).round() as i64),
            );
        }
        if let Some(a) = value_of(facts, "total_assets", year) {
            scalar("total_assets_month_end", FactValue::Money(money(a * rng.random_range(0.95..1.1))));
        }
    } else {
        let quarterly = rng.random_bool(0.85);
        let code = if quarterly { "quarter" } else { "month" };
        scalar("vat_filing_period", FactValue::Code(code.into()));
        let period = if quarterly { last / 4.0 } else { last / 12.0 };
        scalar("filing_period_sales", FactValue::Money(money(period * rng.random_range(0.75..1.3))));
    }
    facts.extend(add);
}

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
    // The cadres, about 90 enterprises each. The first is the printed cadre login `ganbu`
    // (its own user below), so that every printed login opens a populated home.
    let cadres = n.div_ceil(90).max(2);
    let mut cadre_slots: Vec<(String, Option<String>)> =
        vec![(GANBU.to_string(), Some(GANBU_DEPARTMENT.into()))];
    for i in 1..cadres {
        let department = Some(departments[i % departments.len()].clone());
        staff.push(DemoUser {
            username: format!("cadre{i:02}"),
            password: format!("cadre{i:02}-demo"),
            role: "cadre",
            display_name: person_name(&mut rng),
            enterprise: None,
            department: department.clone(),
        });
        cadre_slots.push((format!("cadre{i:02}"), department));
    }
    let mut extra = ChaCha8Rng::seed_from_u64(seed ^ EXTRA_FACTS_SEED);
    let mut notices = ChaCha8Rng::seed_from_u64(seed ^ NOTICE_FACTS_SEED);
    // The street (街道) each enterprise is in, drawn apart so the other draws stay as they were.
    let mut streets = ChaCha8Rng::seed_from_u64(seed ^ STREET_SEED);

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
            rng.random_range(1998..=DEMO_YEARS[1]),
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
            // 重点企业 (the zone's key enterprises, 三.12): the largest manufacturers and
            // logistics firms, decided without a draw so that the other draws stay as they were.
            if employees_2022 >= 1300 && (code.starts_with('C') || code.starts_with('G')) {
                tags.insert(app::logistics::KEY_TAG.to_string());
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
            industry_code: industry.clone(),
            established_on,
            taxpayer_type: Some(if general { TaxpayerType::General } else { TaxpayerType::SmallScale }),
            tax_credit_rating: rating,
            tags: tags.clone(),
        };
        let mut facts = Vec::new();
        let mut revenue_by_year = Vec::new();
        for year in DEMO_YEARS {
            let growth = if year == DEMO_YEARS[0] { rng.random_range(0.7..1.1) } else { 1.0 };
            let emp = ((employees_2022 as f64) * growth).max(1.0) as i64;
            let rev = revenue_2022 * growth;
            revenue_by_year.push((year, rev));
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
        let shape = Shape { section: section_of(industry.as_ref()), individual, general };
        policy_facts(&mut extra, &shape, &tags, &revenue_by_year, &mut facts);
        notice_facts(&mut notices, &shape, industry.as_ref(), established_on, &revenue_by_year, &mut facts);
        facts.push(FactRecord {
            fact: "street".into(),
            year: None,
            value: FactValue::Text((*pick(&mut streets, STREETS)).to_string()),
            source: FactSource::Zone,
            as_of: NaiveDate::from_ymd_opt(DEMO_YEARS[1], 12, 31).unwrap_or_default(),
        });
        records.push(EnterpriseRecord::whole(e, facts));
        let (cadre, department) = &cadre_slots[i % cadres];
        links.push((
            uscc,
            ThreeLinks {
                leader: Some(format!("leader{:02}", i % LEADERS.len() + 1)),
                department: department.clone(),
                cadre: Some(cadre.clone()),
            },
        ));
    }

    let first_target =
        records.iter().find(|r| r.enterprise.assistance_target()).map(|r| r.enterprise.uscc.clone());
    // The printed enterprise has invention patents granted, and was recognised as a
    // municipal 专精特新 SME, in the year before the demo date: it is granted the patent
    // award and the municipal SRDI award, and the demo zone shows it one grant paid and one
    // in publicity (`crate::demo_grants`).
    if let Some(r) = records.iter_mut().find(|r| Some(&r.enterprise.uscc) == first_target.as_ref()) {
        let year = demo_now().year() - 1;
        let recognised = NaiveDate::from_ymd_opt(year, 11, 28).unwrap_or_default();
        r.facts.retain(|f| {
            !(f.fact == "new_invention_patents" && f.year == Some(year))
                && f.fact != "srdi_level"
                && f.fact != "srdi_recognized_on"
        });
        for (fact, value) in [
            ("srdi_level", FactValue::Code("municipal".into())),
            ("srdi_recognized_on", FactValue::Date(recognised)),
        ] {
            r.facts.push(FactRecord {
                fact: fact.into(),
                year: None,
                value,
                source: FactSource::Zone,
                as_of: recognised,
            });
        }
        r.facts.push(FactRecord {
            fact: "new_invention_patents".into(),
            year: Some(year),
            value: FactValue::Integer(3),
            source: FactSource::SelfReported,
            as_of: NaiveDate::from_ymd_opt(year + 1, 3, 31).unwrap_or_default(),
        });
    }
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
            username: GANBU.into(),
            password: "ganbu-demo-2022".into(),
            role: "cadre",
            display_name: "驻企干部".into(),
            enterprise: None,
            department: Some(GANBU_DEPARTMENT.into()),
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
            username: "kejin".into(),
            password: "kejin-demo-2022".into(),
            role: "department",
            display_name: "科技金融服务中心经办".into(),
            enterprise: None,
            department: Some("sci_tech_finance".into()),
        },
        // Financial institutions (bound to their institution by `crate::demo_financing`).
        DemoUser {
            username: crate::demo_financing::BANK_LOGIN.into(),
            password: "yinhang-demo-2022".into(),
            role: "financial_institution",
            display_name: "长沙银行高新支行客户经理".into(),
            enterprise: None,
            department: None,
        },
        DemoUser {
            username: crate::demo_financing::GUARANTEE_LOGIN.into(),
            password: "danbao-demo-2022".into(),
            role: "financial_institution",
            display_name: "融资担保公司业务经理".into(),
            enterprise: None,
            department: None,
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
            username: "caiwu".into(),
            password: "caiwu-demo-2022".into(),
            role: "finance",
            display_name: "财政分局财务经办".into(),
            enterprise: None,
            department: None,
        },
        DemoUser {
            username: "admin".into(),
            password: "admin-demo-2022".into(),
            role: "admin",
            display_name: "平台管理员".into(),
            enterprise: None,
            department: None,
        },
        // The lawyer team of the legal office (三.14; `crate::demo_legal`).
        DemoUser {
            username: crate::demo_legal::LAWYER_LOGIN.into(),
            password: "lvshi-demo-2022".into(),
            role: "department",
            display_name: "王律师（法律服务律师团队）".into(),
            enterprise: None,
            department: Some(crate::demo_legal::LEGAL_OFFICE.into()),
        },
        // The 物流保通保畅 officer (三.12), named in the zone setting `logistics.officers` by
        // `crate::demo_logistics`.
        DemoUser {
            username: crate::demo_logistics::OFFICER_LOGIN.into(),
            password: "wuliu-demo-2022".into(),
            role: "department",
            display_name: "城管环保局物流保通保畅专员".into(),
            enterprise: None,
            department: Some("urban_management_environment".into()),
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
        // Every role has a login, the financial institution's (issue 15) among them.
        assert_eq!(roles.len(), 9, "one user per role");
        assert!(a.users.iter().any(|u| u.role == "enterprise" && u.enterprise.is_some()));
        assert_eq!(a.links.len(), 400);
    }

    /// Issue 14: the printed cadre login had no enterprises, and the zone's data was of 2022
    /// while the clock said 2026. Every printed login has something to show, and everything
    /// the zone holds is known on the demo date.
    #[test]
    fn every_printed_login_has_a_populated_home_on_the_demo_date() {
        let z = generate(DEMO_SEED, 400);
        let ganbu = z.links.iter().filter(|(_, l)| l.cadre.as_deref() == Some(GANBU)).count();
        assert!(ganbu >= 40, "the printed cadre has enterprises: {ganbu}");
        assert!(!z.staff.iter().any(|u| u.username == GANBU), "created once, as a printed login");
        for u in &z.users {
            match u.role {
                "enterprise" => {
                    let e = u.enterprise.as_ref().unwrap();
                    assert!(
                        z.records.iter().any(|r| &r.enterprise.uscc == e && r.enterprise.assistance_target())
                    );
                }
                "cadre" => {
                    assert!(z.links.iter().any(|(_, l)| l.cadre.as_deref() == Some(u.username.as_str())))
                }
                _ => {}
            }
        }
        let today = demo_now().date_naive();
        for r in &z.records {
            for f in &r.facts {
                assert!(f.as_of <= today, "{} {:?} reported {} after the demo date", f.fact, f.year, f.as_of);
                assert!(f.year.is_none_or(|y| y <= today.year()), "{}", f.fact);
            }
        }
        // The policy library's facts are there, so its items decide.
        for fact in
            ["restricted_industry", "six_taxes_two_fees", "service_sales_share", "hitech_first_recognized_on"]
                .into_iter()
                .chain([
                    "vat_sales",
                    "total_assets_year_end",
                    "manufacturing_etc_sales_share",
                    "manufacturing_wholesale_etc_sales_share",
                    "employees_month_end",
                    "vat_filing_period",
                    "filing_period_sales",
                    "deferral_annual_sales",
                    "business_income_taxable",
                ])
        {
            assert!(z.records.iter().any(|r| r.facts.iter().any(|f| f.fact == fact)), "{fact}");
        }
        let plan = crate::demo_problems::plan(&z, crate::demo_problems::DEMO_PROBLEMS);
        let last = plan.problems.iter().map(|p| p.state.last_at).max().unwrap();
        assert!(last < demo_now(), "the last demo step {last} is before the demo date");
        assert!(plan.visits.iter().all(|(_, at)| *at < demo_now()));
        // The printed cadre recorded problems that were answered, and the printed supervisor
        // issued 督办 cases that were replied: both are told (their bell is not empty).
        let answered = |p: &&crate::demo_problems::DemoProblem| {
            p.steps.iter().any(|(_, _, c)| matches!(c.action, handling::Action::Answer { .. }))
        };
        assert!(plan.problems.iter().filter(|p| p.submitter.username == GANBU).filter(answered).count() >= 2);
        assert!(
            plan.problems.iter().any(|p| {
                p.state.escalation_cases.iter().any(|c| c.by == "ducha" && c.replied_at.is_some())
            })
        );
    }

    /// Issue 14: the leader's dashboard shows the eight weeks before the demo date: problems
    /// are received, answered and closed in every one of them.
    #[test]
    fn the_weekly_trend_of_the_demo_date_has_every_week() {
        let z = generate(DEMO_SEED, 400);
        let plan = crate::demo_problems::plan(&z, crate::demo_problems::DEMO_PROBLEMS);
        let today = demo_now().date_naive();
        let mut weeks = std::collections::BTreeMap::<i64, (u32, u32, u32)>::new();
        let week = |t: chrono::DateTime<chrono::FixedOffset>| {
            let d = handling::china_date(t);
            let back = (today - d).num_days();
            (0..56)
                .contains(&back)
                .then(|| (today.iso_week().week() as i64 - d.iso_week().week() as i64 + 53) % 53)
        };
        for p in &plan.problems {
            if let Some(w) = week(p.state.problem.received_at) {
                weeks.entry(w).or_default().0 += 1;
            }
            for a in &p.state.answers {
                if let Some(w) = week(a.at) {
                    weeks.entry(w).or_default().1 += 1;
                }
            }
            for c in &p.state.closures {
                if let Some(w) = week(c.at) {
                    weeks.entry(w).or_default().2 += 1;
                }
            }
        }
        let received: Vec<u32> = (0..8).map(|w| weeks.get(&w).map_or(0, |x| x.0)).collect();
        assert!(received.iter().all(|n| *n > 0), "received per week, newest first: {received:?} ({weeks:?})");
        let answered: u32 = weeks.values().map(|x| x.1).sum();
        let closed: u32 = weeks.values().map(|x| x.2).sum();
        assert!(answered > 0 && closed > 0, "{weeks:?}");
    }

    #[test]
    fn the_demo_clock_starts_at_the_demo_date_and_runs() {
        use app::Clock;
        let c = DemoClock::new();
        let a = c.now();
        assert!(a >= demo_now() && a - demo_now() < chrono::Duration::seconds(5));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(c.now() > a);
    }
}
