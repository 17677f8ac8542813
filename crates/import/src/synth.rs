//! A deterministic generator of large, valid import files (shared by the tests, the
//! `parse_bench` example and `huiqi bench import`): one row per enterprise and year with every column of the
//! performance brief: uscc, name, two flags, industry, date, taxpayer type, rating, tags,
//! year and the seven per-year facts.

use enterprise::UnifiedCreditCode;
use std::io::{self, Write};

/// The header of generated files (Chinese names, as a market-regulation export has them).
pub const HEADER: &str = "统一社会信用代码,企业名称,工商注册在园区,税务登记在园区,行业代码,成立日期,纳税人类型,\
纳税信用等级,标签,年度,从业人数,营业收入,资产总额,应纳税所得额,研发费用,高新技术产品（服务）收入,增值税期末留抵税额";

const INDUSTRIES: &[&str] = &["C3511", "C3974", "I6513", "F5191", "G5430", "M7320", "E4710", "C2710"];
const TAGS: &[&str] = &["", "专精特新", "高新技术企业", "专精特新;高新技术企业", "链:工程机械", "拟上市"];

/// The valid code of the `i`-th generated enterprise.
pub fn uscc(i: usize) -> UnifiedCreditCode {
    match UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", i % 100_000_000)) {
        Some(c) => c,
        None => unreachable!("digits always form a code"),
    }
}

/// A small deterministic pseudo-random sequence (xorshift), so files are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes `enterprises × years.len()` data rows after the header; returns the row count.
pub fn write_csv(w: &mut dyn Write, enterprises: usize, years: &[i32]) -> io::Result<usize> {
    let mut w = io::BufWriter::with_capacity(1 << 16, w);
    writeln!(w, "{HEADER}")?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut rows = 0;
    for i in 0..enterprises {
        let code = uscc(i);
        let industry = INDUSTRIES[i % INDUSTRIES.len()];
        let tags = TAGS[i % TAGS.len()];
        let tags = if tags.contains(';') { format!("\"{tags}\"") } else { tags.to_string() };
        let (y, m, d) = (2000 + (i % 22), 1 + (i % 12), 1 + (i % 28));
        let taxpayer = if i % 3 == 0 { "小规模纳税人" } else { "一般纳税人" };
        let rating = ["A", "B", "M", "C", "D"][i % 5];
        let tax_in = if i % 10 == 0 { "否" } else { "是" };
        for year in years {
            let employees = 1 + rng.below(2000);
            let revenue = rng.below(5_000_000_000 * FEN);
            let assets = rng.below(8_000_000_000 * FEN);
            let taxable = rng.below(1_000_000_000 * FEN) as i64 - (100_000_000 * FEN) as i64;
            let rd = rng.below(300_000_000 * FEN);
            let hightech = rng.below(2_000_000_000 * FEN);
            let vat = rng.below(50_000_000 * FEN);
            writeln!(
                w,
                "{code},长沙第{i}号科技有限公司,是,{tax_in},{industry},{y}-{m:02}-{d:02},{taxpayer},{rating},{tags},{year},\
{employees},{},{},{},{},{},{}",
                money(revenue as i64),
                money(assets as i64),
                money(taxable),
                money(rd as i64),
                money(hightech as i64),
                money(vat as i64),
            )?;
            rows += 1;
        }
    }
    w.flush()?;
    Ok(rows)
}

/// Fen per yuan.
const FEN: u64 = 100;

/// Fen as a yuan amount with two decimals.
fn money(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

/// The header of [`write_grants_csv`]: one row per enterprise, the years in the column names
/// (`revenue_2021`), and the facts the zone's 免申即享 (`award_no_application`) items read.
pub const GRANTS_HEADER: &str = "uscc,name,registered_in_zone,tax_registered_in_zone,industry_code,\
established_on,taxpayer_type,tax_credit_rating,tags,hitech_first_recognized_on,srdi_level,\
srdi_recognized_on,employees_2021,revenue_2020,revenue_2021,rd_expense_2021,high_tech_revenue_2021,\
new_invention_patents_2021";

/// Writes a registry for grant runs decided for 2022 (facts of 2021 and 2020): `enterprises`
/// data rows after [`GRANTS_HEADER`]; returns the row count. 90 % are assistance targets.
/// Per award item of `policies/zone-sample-2022.toml`, a few per cent are eligible with an
/// amount, about 1 % lack a fact the item reads (needs data), the rest are not eligible:
/// - first high-tech recognition in 2021: 4 %; the date unknown: 1 %; else another year;
/// - 专精特新 recognised in 2021: municipal 3 %, provincial 1.5 %, national 0.5 %; a 2021
///   date without a level: 1 %; every other enterprise a date of another year;
/// - R&D at 6 % of a revenue of 20–100 million (the R&D subsidy): 8 %; R&D unknown: 1 %;
///   else R&D at 1 % of revenue;
/// - revenue doubled from 2020 to 2021 above 20 million: 3 %; 2020 revenue unknown: 1 %;
/// - invention patents granted in 2021: 6 % (1–30), unknown 1 %, else 0;
/// - the tag 新升规: 2 %; high-tech enterprises (a third) with 70 % high-tech revenue: 15 %
///   of them, else 30 %.
pub fn write_grants_csv(w: &mut dyn Write, enterprises: usize) -> io::Result<usize> {
    let mut w = io::BufWriter::with_capacity(1 << 16, w);
    writeln!(w, "{GRANTS_HEADER}")?;
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    const M: u64 = 1_000_000 * FEN;
    for i in 0..enterprises {
        let code = uscc(i);
        let industry = INDUSTRIES[i % INDUSTRIES.len()];
        let mut tags: Vec<&str> = TAGS[i % TAGS.len()].split(';').filter(|t| !t.is_empty()).collect();
        if rng.below(100) < 2 {
            tags.push("新升规");
        }
        let hitech = tags.contains(&"高新技术企业");
        let tags = if tags.len() > 1 { format!("\"{}\"", tags.join(";")) } else { tags.join(";") };
        let (y, m, d) = (2000 + (i % 22), 1 + (i % 12), 1 + (i % 28));
        let taxpayer = if i % 3 == 0 { "small_scale" } else { "general" };
        let rating = ["A", "B", "M", "C", "D"][i % 5];
        let tax_in = if i % 10 == 0 { "false" } else { "true" };
        let day =
            |rng: &mut Rng, year: u64| format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let other_year = |rng: &mut Rng| {
            let y = 2008 + rng.below(14);
            if y == 2021 { 2022 } else { y }
        };
        let first_hitech = match rng.below(1000) {
            0..40 => day(&mut rng, 2021),
            40..50 => String::new(),
            _ => {
                let y = other_year(&mut rng);
                day(&mut rng, y)
            }
        };
        let (srdi_level, srdi_on) = match rng.below(1000) {
            0..30 => ("municipal", day(&mut rng, 2021)),
            30..45 => ("provincial", day(&mut rng, 2021)),
            45..50 => ("national", day(&mut rng, 2021)),
            50..60 => ("", day(&mut rng, 2021)),
            60..260 => {
                let level = ["municipal", "provincial", "national"][rng.below(3) as usize];
                let y = other_year(&mut rng);
                (level, day(&mut rng, y))
            }
            _ => {
                let y = other_year(&mut rng);
                ("", day(&mut rng, y))
            }
        };
        let employees = 1 + rng.below(2000);
        let mut revenue_2021 = M + rng.below(499 * M);
        let rd = match rng.below(1000) {
            0..80 => {
                revenue_2021 = 20 * M + rng.below(80 * M);
                Some(revenue_2021 * 6 / 100)
            }
            80..90 => None,
            _ => Some(revenue_2021 / 100),
        };
        let revenue_2020 = match rng.below(1000) {
            0..30 => {
                revenue_2021 = revenue_2021.max(20 * M);
                Some(revenue_2021 / (2 + rng.below(3)))
            }
            30..40 => None,
            _ => Some(revenue_2021 * (60 + rng.below(80)) / 100),
        };
        let high_tech =
            if hitech && rng.below(100) < 15 { revenue_2021 * 7 / 10 } else { revenue_2021 * 3 / 10 };
        let patents = match rng.below(1000) {
            0..60 => (1 + rng.below(30)).to_string(),
            60..70 => String::new(),
            _ => "0".to_string(),
        };
        let opt = |v: Option<u64>| v.map(|f| money(f as i64)).unwrap_or_default();
        writeln!(
            w,
            "{code},长沙第{i}号科技有限公司,true,{tax_in},{industry},{y}-{m:02}-{d:02},{taxpayer},{rating},{tags},\
{first_hitech},{srdi_level},{srdi_on},{employees},{},{},{},{},{patents}",
            opt(revenue_2020),
            money(revenue_2021 as i64),
            opt(rd),
            money(high_tech as i64),
        )?;
    }
    w.flush()?;
    Ok(enterprises)
}
