//! Enterprise size classes (企业规模) under the 2011 standard (中小企业划型标准规定,
//! 工信部联企业〔2011〕300号), kept as a dated rule set: [`SizeStandards`] holds every
//! version and picks the one in force on a date, so a later revision is added beside it.
//!
//! Missing data is never guessed: when an indicator the decision needs is absent, the class
//! is [`SizeOutcome::Undetermined`] naming the missing indicators. The logic is three-valued
//! (Kleene): an OR with one true operand is true even if another is missing, an AND with one
//! false operand is false.

use crate::industry::IndustryCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The class of an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum SizeClass {
    Micro,
    Small,
    Medium,
    Large,
}

impl SizeClass {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            SizeClass::Large => "大型",
            SizeClass::Medium => "中型",
            SizeClass::Small => "小型",
            SizeClass::Micro => "微型",
        }
    }
    /// Small or micro (小微企业).
    pub fn is_small_or_micro(self) -> bool {
        matches!(self, SizeClass::Small | SizeClass::Micro)
    }
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An indicator of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Indicator {
    /// 从业人员 (persons).
    Employees,
    /// 营业收入 (yuan).
    Revenue,
    /// 资产总额 (yuan).
    Assets,
}

impl Indicator {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Indicator::Employees => "从业人员",
            Indicator::Revenue => "营业收入",
            Indicator::Assets => "资产总额",
        }
    }
}

/// An enterprise's indicators; money in yuan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    pub employees: Option<i64>,
    pub revenue: Option<Decimal>,
    pub assets: Option<Decimal>,
}

/// The result of classifying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SizeOutcome {
    Decided {
        class: SizeClass,
    },
    /// A needed indicator is missing (`missing`), or the industry code is too coarse to pick
    /// the standard's row (`industry_unclear`).
    Undetermined {
        missing: Vec<Indicator>,
        industry_unclear: bool,
    },
}

impl SizeOutcome {
    pub fn class(&self) -> Option<SizeClass> {
        match self {
            SizeOutcome::Decided { class } => Some(*class),
            SizeOutcome::Undetermined { .. } => None,
        }
    }
    /// `large`, `medium`, `small`, `micro` or `undetermined`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SizeOutcome::Decided { class } => class.as_str(),
            SizeOutcome::Undetermined { .. } => "undetermined",
        }
    }
}

/// The result with the row of the standard that was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    #[serde(flatten)]
    pub outcome: SizeOutcome,
    /// The standard's row number and industry, when the industry code determines one.
    pub row: Option<u8>,
    pub row_industry: Option<String>,
    pub standard: String,
}

/// Bounds of one test of a row, in 万元 for money.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bounds {
    employees: Option<i64>,
    revenue: Option<Decimal>,
    assets: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    no: u8,
    industry: String,
    #[serde(default)]
    divisions: Vec<(u8, u8)>,
    #[serde(default)]
    classes: Vec<u16>,
    #[serde(default)]
    other: bool,
    sme: Bounds,
    medium: Bounds,
    small: Bounds,
}

/// One version of the size standard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeStandard {
    pub name: String,
    pub document: String,
    pub effective_from: NaiveDate,
    #[serde(rename = "row")]
    rows: Vec<Row>,
}

/// Every version of the standard, by effective date.
#[derive(Debug, Clone)]
pub struct SizeStandards {
    versions: Vec<SizeStandard>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

const WAN: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

impl Bounds {
    fn indicators(&self) -> Vec<Indicator> {
        let mut v = Vec::new();
        if self.employees.is_some() {
            v.push(Indicator::Employees);
        }
        if self.revenue.is_some() {
            v.push(Indicator::Revenue);
        }
        if self.assets.is_some() {
            v.push(Indicator::Assets);
        }
        v
    }

    /// Each bounded indicator compared with `cmp(value, bound)`; `None` when missing.
    fn tests(&self, x: &Indicators, below: bool) -> Vec<(Indicator, Option<bool>)> {
        let cmp_i = |v: i64, b: i64| if below { v < b } else { v >= b };
        let cmp_d = |v: Decimal, b: Decimal| if below { v < b * WAN } else { v >= b * WAN };
        let mut t = Vec::new();
        if let Some(b) = self.employees {
            t.push((Indicator::Employees, x.employees.map(|v| cmp_i(v, b))));
        }
        if let Some(b) = self.revenue {
            t.push((Indicator::Revenue, x.revenue.map(|v| cmp_d(v, b))));
        }
        if let Some(b) = self.assets {
            t.push((Indicator::Assets, x.assets.map(|v| cmp_d(v, b))));
        }
        t
    }

    /// OR of "below" tests.
    fn any_below(&self, x: &Indicators) -> Tri {
        let t = self.tests(x, true);
        if t.iter().any(|(_, r)| *r == Some(true)) {
            Tri::True
        } else if t.iter().any(|(_, r)| r.is_none()) {
            Tri::Unknown
        } else {
            Tri::False
        }
    }

    /// AND of "at least" tests.
    fn all_reached(&self, x: &Indicators) -> Tri {
        let t = self.tests(x, false);
        if t.iter().any(|(_, r)| *r == Some(false)) {
            Tri::False
        } else if t.iter().any(|(_, r)| r.is_none()) {
            Tri::Unknown
        } else {
            Tri::True
        }
    }
}

fn missing(b: &Bounds, x: &Indicators) -> Vec<Indicator> {
    b.indicators()
        .into_iter()
        .filter(|i| match i {
            Indicator::Employees => x.employees.is_none(),
            Indicator::Revenue => x.revenue.is_none(),
            Indicator::Assets => x.assets.is_none(),
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
#[error("size standard data is malformed: {0}")]
pub struct SizeDataError(String);

impl SizeStandard {
    pub fn parse(text: &str) -> Result<SizeStandard, SizeDataError> {
        let s: SizeStandard = toml::from_str(text).map_err(|e| SizeDataError(e.to_string()))?;
        if s.rows.iter().filter(|r| r.other).count() != 1 {
            return Err(SizeDataError("exactly one row must be marked other".into()));
        }
        Ok(s)
    }

    fn row_for(&self, code: &IndustryCode) -> Option<&Row> {
        let other = self.rows.iter().find(|r| r.other);
        let Some(division) = code.division() else {
            // A bare section: decidable only when every division of the section maps to
            // one row.
            let (_, lo, hi, _) = crate::industry::SECTIONS.iter().find(|s| s.0 == code.section())?;
            let mut found: Option<&Row> = None;
            for d in *lo..=*hi {
                if self.rows.iter().any(|r| r.classes.iter().any(|c| (*c / 100) as u8 == d)) {
                    return None;
                }
                let r = self
                    .rows
                    .iter()
                    .find(|r| r.divisions.iter().any(|(a, b)| (*a..=*b).contains(&d)))
                    .or(other)?;
                match found {
                    Some(f) if f.no != r.no => return None,
                    _ => found = Some(r),
                }
            }
            return found;
        };
        let class_rows: Vec<&Row> =
            self.rows.iter().filter(|r| r.classes.iter().any(|c| (*c / 100) as u8 == division)).collect();
        if !class_rows.is_empty() {
            // The division is split by class: we need the group (3 digits) at least.
            let digits = code.digits();
            if digits.len() < 3 {
                return None;
            }
            let prefix: u16 = digits.parse().ok()?;
            let scale = if digits.len() == 3 { 10 } else { 1 };
            for r in &class_rows {
                for c in &r.classes {
                    if (scale == 1 && *c == prefix) || (scale == 10 && *c / 10 == prefix) {
                        return Some(r);
                    }
                }
            }
            // The division's other classes: the row of the division (仓储业 for 59 without
            // 5910), else the rest row (房地产业 70 without 7010 and 7020).
        }
        self.rows.iter().find(|r| r.divisions.iter().any(|(a, b)| (*a..=*b).contains(&division))).or(other)
    }

    /// Classifies an enterprise of industry `code` with indicators `x`.
    pub fn classify(&self, code: &IndustryCode, x: &Indicators) -> Classification {
        let standard = format!("{}（{}）", self.name, self.document);
        let Some(row) = self.row_for(code) else {
            return Classification {
                outcome: SizeOutcome::Undetermined { missing: Vec::new(), industry_unclear: true },
                row: None,
                row_industry: None,
                standard,
            };
        };
        let undetermined =
            |b: &Bounds| SizeOutcome::Undetermined { missing: missing(b, x), industry_unclear: false };
        let outcome = match row.sme.any_below(x) {
            Tri::False => SizeOutcome::Decided { class: SizeClass::Large },
            Tri::Unknown => undetermined(&row.sme),
            Tri::True => match row.medium.all_reached(x) {
                Tri::True => SizeOutcome::Decided { class: SizeClass::Medium },
                Tri::Unknown => undetermined(&row.medium),
                Tri::False => match row.small.all_reached(x) {
                    Tri::True => SizeOutcome::Decided { class: SizeClass::Small },
                    Tri::False => SizeOutcome::Decided { class: SizeClass::Micro },
                    Tri::Unknown => undetermined(&row.small),
                },
            },
        };
        Classification { outcome, row: Some(row.no), row_industry: Some(row.industry.clone()), standard }
    }
}

/// 公告2022年第14号 第六条 (留抵退税): the VAT-sales bounds for an industry the size standards
/// do not list or size without revenue or total assets (each exclusive, yuan): micro below
/// 1,000,000, small below 20,000,000, medium below 100,000,000, large otherwise.
pub fn class_by_vat_sales(vat_sales: Decimal) -> SizeClass {
    let wan = |n: i64| Decimal::from(n) * WAN;
    if vat_sales < wan(100) {
        SizeClass::Micro
    } else if vat_sales < wan(2_000) {
        SizeClass::Small
    } else if vat_sales < wan(10_000) {
        SizeClass::Medium
    } else {
        SizeClass::Large
    }
}

impl SizeStandard {
    /// The class by the row's revenue and total-assets indicators alone, never employees, as
    /// 公告2022年第14号 第六条 reads the standard for 留抵退税 (revenue is the prior year's VAT
    /// sales, assets the prior year-end value). `None` when the row sizes by employees alone
    /// (其他未列明行业, and railway transport, which no row lists): the notice then sizes by VAT
    /// sales ([`class_by_vat_sales`]). Finance (section J) is sized by 银发〔2015〕309号, which
    /// this standard does not hold: its codes fall in row 16 here.
    pub fn classify_without_employees(&self, code: &IndustryCode, x: &Indicators) -> Option<Classification> {
        let standard = format!("{}（{}）", self.name, self.document);
        let Some(row) = self.row_for(code) else {
            return Some(Classification {
                outcome: SizeOutcome::Undetermined { missing: Vec::new(), industry_unclear: true },
                row: None,
                row_industry: None,
                standard,
            });
        };
        let strip = |b: &Bounds| Bounds { employees: None, ..b.clone() };
        let (sme, medium, small) = (strip(&row.sme), strip(&row.medium), strip(&row.small));
        if sme.indicators().is_empty() {
            return None;
        }
        let undetermined =
            |b: &Bounds| SizeOutcome::Undetermined { missing: missing(b, x), industry_unclear: false };
        let outcome = match sme.any_below(x) {
            Tri::False => SizeOutcome::Decided { class: SizeClass::Large },
            Tri::Unknown => undetermined(&sme),
            Tri::True => match medium.all_reached(x) {
                Tri::True => SizeOutcome::Decided { class: SizeClass::Medium },
                Tri::Unknown => undetermined(&medium),
                Tri::False => match small.all_reached(x) {
                    Tri::True => SizeOutcome::Decided { class: SizeClass::Small },
                    Tri::False => SizeOutcome::Decided { class: SizeClass::Micro },
                    Tri::Unknown => undetermined(&small),
                },
            },
        };
        Some(Classification {
            outcome,
            row: Some(row.no),
            row_industry: Some(row.industry.clone()),
            standard,
        })
    }
}

impl SizeStandards {
    /// The versions embedded in this crate.
    pub fn official() -> &'static SizeStandards {
        static S: std::sync::OnceLock<SizeStandards> = std::sync::OnceLock::new();
        S.get_or_init(|| {
            // Embedded data, checked by this crate's tests.
            #[allow(clippy::expect_used)]
            let v2011 = SizeStandard::parse(include_str!("../data/size-standard-2011.toml"))
                .expect("embedded size standard parses");
            SizeStandards { versions: vec![v2011] }
        })
    }

    /// The version in force on `date`, if any.
    pub fn in_force(&self, date: NaiveDate) -> Option<&SizeStandard> {
        self.versions.iter().filter(|v| v.effective_from <= date).max_by_key(|v| v.effective_from)
    }

    /// The newest version.
    pub fn latest(&self) -> Option<&SizeStandard> {
        self.versions.iter().max_by_key(|v| v.effective_from)
    }
}

pub mod refund;

#[cfg(test)]
mod tests;

/// The size class of an enterprise of industry `code` from its facts of `year` (从业人员
/// `employees`, 营业收入 `revenue`, 资产总额 `total_assets`), under the standard in force on
/// `on`; `None` when the standard needs an indicator the facts lack (never a guess). The
/// same classification as the policy language's `size_class(year)`.
pub fn size_class_of(
    facts: &crate::Facts,
    code: &IndustryCode,
    year: i32,
    on: NaiveDate,
) -> Option<SizeClass> {
    use crate::FactValue;
    let num = |id: &str| match facts.get_year(id, year) {
        Some(FactValue::Money(d) | FactValue::Ratio(d)) => Some(*d),
        Some(FactValue::Integer(n)) => Some(Decimal::from(*n)),
        _ => None,
    };
    let x = Indicators {
        employees: match facts.get_year("employees", year) {
            Some(FactValue::Integer(n)) => Some(*n),
            _ => None,
        },
        revenue: num("revenue"),
        assets: num("total_assets"),
    };
    SizeStandards::official().in_force(on)?.classify(code, &x).outcome.class()
}

#[cfg(test)]
mod size_of_facts {
    use super::*;
    use crate::{FactValue, Facts};

    #[test]
    fn size_from_a_years_facts_or_none() {
        let on = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
        let code = IndustryCode::parse("C3911").unwrap();
        let mut f = Facts::default();
        f.set_year("employees", 2021, FactValue::Integer(52));
        assert_eq!(size_class_of(&f, &code, 2021, on), None, "manufacturing needs revenue too");
        f.set_year("revenue", 2021, FactValue::Money(Decimal::new(15_000_000, 0)));
        assert_eq!(size_class_of(&f, &code, 2021, on), Some(SizeClass::Small));
        assert_eq!(size_class_of(&f, &code, 2020, on), None, "another year's facts are not used");
    }
}
