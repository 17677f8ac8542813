//! The size of an enterprise for 留抵退税, as 财政部 税务总局公告2022年第14号 第六条 fixes it:
//!
//! - by the 2011 standard (工信部联企业〔2011〕300号) using only its revenue (营业收入) and
//!   total-assets (资产总额) indicators, never employees;
//! - finance (section J) by 银发〔2015〕309号 (金融业企业划型标准规定), 第五条 (一)–(八),
//!   whose only indicator is total assets (trust companies: 信托资产, which the notice does not
//!   read, so they are sized by VAT sales);
//! - industries outside both standards, and industries sized there without revenue or total
//!   assets: by VAT sales (年) alone, micro < 1,000,000, small < 20,000,000, medium <
//!   100,000,000 yuan (each bound exclusive), large otherwise.
//!
//! Revenue is the prior accounting year's VAT sales (annualised by the caller for an enterprise
//! that existed for part of that year), total assets the prior year-end value. A code too
//! coarse to pick the row (`G59`: 装卸搬运 or 仓储; `J66`; `K70`; a bare section that spans
//! rows) is undetermined with `industry_unclear`, never read as one of its rows.

use super::{Indicator, SizeClass, SizeOutcome, SizeStandard, class_by_vat_sales};
use crate::industry::IndustryCode;
use rust_decimal::Decimal;

/// The item of 银发〔2015〕309号 第五条 a financial enterprise is sized by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinanceRow {
    /// （一）银行业存款类金融机构: 货币银行服务 (group 662).
    DepositBank,
    /// （二）银行业非存款类金融机构 and （三）贷款公司、小额贷款公司及典当行: 非货币银行服务
    /// (group 663); the two items have the same bounds.
    NonDepositBank,
    /// （四）证券业金融机构: 资本市场服务 (division 67).
    Securities,
    /// （五）保险业金融机构: 保险业 (division 68).
    Insurance,
    /// （六）信托公司 (class 6911): sized by 信托资产, an indicator 第六条 does not read.
    Trust,
    /// （七）金融控股公司: 控股公司服务 (group 692).
    FinancialHolding,
    /// （八）除贷款公司、小额贷款公司、典当行以外的其他金融机构.
    Other,
}

const YI: i64 = 100_000_000;

impl FinanceRow {
    /// The row of a section-J code; `None` when the code is too coarse to pick one.
    pub fn of(code: &IndustryCode) -> Option<FinanceRow> {
        let d = code.digits();
        match code.division()? {
            66 => match d.get(..3)? {
                "662" => Some(FinanceRow::DepositBank),
                "663" => Some(FinanceRow::NonDepositBank),
                _ => Some(FinanceRow::Other),
            },
            67 => Some(FinanceRow::Securities),
            68 => Some(FinanceRow::Insurance),
            69 => match d.get(..3)? {
                "691" => match d.get(..4)? {
                    "6911" => Some(FinanceRow::Trust),
                    _ => Some(FinanceRow::Other),
                },
                "692" => Some(FinanceRow::FinancialHolding),
                _ => Some(FinanceRow::Other),
            },
            _ => None,
        }
    }

    /// The item of 第五条 and what it covers.
    pub fn clause(self) -> &'static str {
        match self {
            FinanceRow::DepositBank => "银发〔2015〕309号 第五条（一）银行业存款类金融机构",
            FinanceRow::NonDepositBank => {
                "银发〔2015〕309号 第五条（二）银行业非存款类金融机构，（三）贷款公司、小额贷款公司及典当行"
            }
            FinanceRow::Securities => "银发〔2015〕309号 第五条（四）证券业金融机构",
            FinanceRow::Insurance => "银发〔2015〕309号 第五条（五）保险业金融机构",
            FinanceRow::Trust => "银发〔2015〕309号 第五条（六）信托公司（信托资产，按增值税销售额）",
            FinanceRow::FinancialHolding => "银发〔2015〕309号 第五条（七）金融控股公司",
            FinanceRow::Other => "银发〔2015〕309号 第五条（八）其他金融机构",
        }
    }

    /// The lower bounds of small, medium and large in yuan of total assets (资产总额): below
    /// the first is micro. `None` for trust companies.
    pub fn asset_bounds(self) -> Option<[Decimal; 3]> {
        let yi = |n: i64| Decimal::from(n) * Decimal::from(YI);
        Some(match self {
            FinanceRow::DepositBank | FinanceRow::FinancialHolding => [yi(50), yi(5_000), yi(40_000)],
            FinanceRow::NonDepositBank | FinanceRow::Other => [yi(50), yi(200), yi(1_000)],
            FinanceRow::Securities => [yi(10), yi(100), yi(1_000)],
            FinanceRow::Insurance => [yi(20), yi(400), yi(5_000)],
            FinanceRow::Trust => return None,
        })
    }
}

/// How the size was read: the row of a standard, or VAT sales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundBasis {
    /// A row of the 2011 standard, by its revenue and/or total-assets indicators.
    Standard2011 { row: u8, industry: String },
    /// An item of 银发〔2015〕309号 第五条, by total assets.
    Finance(FinanceRow),
    /// 第六条's VAT-sales bounds.
    VatSales,
}

/// The size for 留抵退税 with how it was read (`None` when the industry is unclear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSizing {
    pub outcome: SizeOutcome,
    pub basis: Option<RefundBasis>,
}

fn by_vat_sales(vat_sales: Option<Decimal>) -> RefundSizing {
    let outcome = match vat_sales {
        Some(v) => SizeOutcome::Decided { class: class_by_vat_sales(v) },
        None => SizeOutcome::Undetermined { missing: vec![Indicator::Revenue], industry_unclear: false },
    };
    RefundSizing { outcome, basis: Some(RefundBasis::VatSales) }
}

fn unclear() -> RefundSizing {
    RefundSizing {
        outcome: SizeOutcome::Undetermined { missing: Vec::new(), industry_unclear: true },
        basis: None,
    }
}

/// The size for 留抵退税 of an enterprise of industry `code` with `vat_sales` (the prior year's
/// VAT sales, annualised; [`Indicator::Revenue`] when missing) and `assets` (the prior
/// year-end total assets), by the 2011 standard `standard` (the version in force).
pub fn vat_refund_size(
    standard: &SizeStandard,
    code: &IndustryCode,
    vat_sales: Option<Decimal>,
    assets: Option<Decimal>,
) -> RefundSizing {
    if code.section() == 'J' {
        let Some(row) = FinanceRow::of(code) else { return unclear() };
        let Some([small, medium, large]) = row.asset_bounds() else { return by_vat_sales(vat_sales) };
        let outcome = match assets {
            None => SizeOutcome::Undetermined { missing: vec![Indicator::Assets], industry_unclear: false },
            Some(a) => SizeOutcome::Decided {
                class: if a < small {
                    SizeClass::Micro
                } else if a < medium {
                    SizeClass::Small
                } else if a < large {
                    SizeClass::Medium
                } else {
                    SizeClass::Large
                },
            },
        };
        return RefundSizing { outcome, basis: Some(RefundBasis::Finance(row)) };
    }
    let x = super::Indicators { employees: None, revenue: vat_sales, assets };
    match standard.classify_without_employees(code, &x) {
        None => by_vat_sales(vat_sales),
        Some(c) => match (c.row, c.row_industry) {
            (Some(row), Some(industry)) => {
                RefundSizing { outcome: c.outcome, basis: Some(RefundBasis::Standard2011 { row, industry }) }
            }
            _ => unclear(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SizeStandards;
    use std::str::FromStr;

    fn std2011() -> &'static SizeStandard {
        SizeStandards::official().latest().unwrap()
    }
    fn size(code: &str, sales: Option<&str>, assets: Option<&str>) -> SizeOutcome {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        vat_refund_size(std2011(), &IndustryCode::parse(code).unwrap(), sales.map(d), assets.map(d)).outcome
    }
    fn class(code: &str, sales: Option<&str>, assets: Option<&str>) -> Option<SizeClass> {
        size(code, sales, assets).class()
    }
    const UNCLEAR: SizeOutcome = SizeOutcome::Undetermined { missing: Vec::new(), industry_unclear: true };

    /// A code too coarse to pick the row is undetermined, never its main row.
    #[test]
    fn coarse_codes_are_unclear() {
        for code in ["G59", "G", "J", "J66", "J69", "J691", "K70", "K", "F"] {
            assert_eq!(size(code, Some("1500000"), Some("1500000")), UNCLEAR, "{code}");
        }
        // Fine enough: the whole division or section is one row.
        assert_eq!(class("G591", Some("15000000"), None), Some(SizeClass::Small));
        assert_eq!(class("G592", Some("15000000"), None), Some(SizeClass::Medium));
        assert_eq!(class("C35", Some("19999999.99"), None), Some(SizeClass::Small));
        assert_eq!(class("C", Some("19999999.99"), None), Some(SizeClass::Small));
        assert_eq!(class("J67", None, Some("999999999.99")), Some(SizeClass::Micro));
        assert_eq!(class("J663", None, Some("5000000000")), Some(SizeClass::Small));
        assert_eq!(class("M", Some("999999.99"), None), Some(SizeClass::Micro));
    }

    /// 银发〔2015〕309号 第五条 (一)–(八), each bound inclusive from below ("及以上").
    #[test]
    fn finance_by_total_assets() {
        let yi = |n: i64| (Decimal::from(n) * Decimal::from(YI)).to_string();
        let below = |n: i64| (Decimal::from(n) * Decimal::from(YI) - Decimal::new(1, 2)).to_string();
        for (code, [s, m, l]) in [
            ("J6621", [50, 5_000, 40_000]), // (一)
            ("J6631", [50, 200, 1_000]),    // (二)
            ("J6635", [50, 200, 1_000]),    // (三) 小额贷款公司
            ("J6633", [50, 200, 1_000]),    // (三) 典当
            ("J6711", [10, 100, 1_000]),    // (四)
            ("J6811", [20, 400, 5_000]),    // (五)
            ("J6920", [50, 5_000, 40_000]), // (七)
            ("J6999", [50, 200, 1_000]),    // (八)
            ("J6919", [50, 200, 1_000]),    // (八)
        ] {
            let c = |a: String| class(code, Some("1"), Some(&a)).unwrap();
            assert_eq!(c(below(s)), SizeClass::Micro, "{code}");
            assert_eq!(c(yi(s)), SizeClass::Small, "{code}");
            assert_eq!(c(below(m)), SizeClass::Small, "{code}");
            assert_eq!(c(yi(m)), SizeClass::Medium, "{code}");
            assert_eq!(c(below(l)), SizeClass::Medium, "{code}");
            assert_eq!(c(yi(l)), SizeClass::Large, "{code}");
        }
        // Assets alone: VAT sales are not read, and missing assets are named.
        assert_eq!(
            size("J6711", Some("1"), None),
            SizeOutcome::Undetermined { missing: vec![Indicator::Assets], industry_unclear: false }
        );
        // (六) 信托公司 is sized by 信托资产, which 第六条 does not read: by VAT sales.
        assert_eq!(class("J6911", Some("19999999.99"), Some("1")), Some(SizeClass::Small));
        assert_eq!(
            size("J6911", None, Some("1")),
            SizeOutcome::Undetermined { missing: vec![Indicator::Revenue], industry_unclear: false }
        );
    }

    /// Rows of the 2011 standard without employees, and the VAT-sales fallback.
    #[test]
    fn standard_rows_and_vat_sales() {
        assert_eq!(class("C3511", Some("19999999.99"), None), Some(SizeClass::Small));
        assert_eq!(class("C3511", Some("20000000"), None), Some(SizeClass::Medium));
        assert_eq!(class("E4811", Some("100000000"), Some("40000000")), Some(SizeClass::Small));
        assert_eq!(class("L7212", None, Some("79999999.99")), Some(SizeClass::Small));
        // Railway and the rest of division 70 and 其他未列明行业: VAT sales.
        assert_eq!(class("G5310", Some("999999.99"), None), Some(SizeClass::Micro));
        assert_eq!(class("K7030", Some("99999999.99"), None), Some(SizeClass::Medium));
        assert_eq!(class("M7320", Some("100000000"), None), Some(SizeClass::Large));
        assert_eq!(
            size("M7320", None, Some("1")),
            SizeOutcome::Undetermined { missing: vec![Indicator::Revenue], industry_unclear: false }
        );
    }
}
