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
