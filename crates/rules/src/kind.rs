//! How an enterprise obtains an item's benefit ([`BenefitKind`]) and which period a decision
//! is for ([`PeriodKind`], [`Period`]).
//!
//! Every item of a policy file states its `benefit_kind`; it says who grants the benefit and
//! how it is claimed, and it decides what may be counted as zone money or paid by a grant
//! run: only [`BenefitKind::AwardNoApplication`] ([`BenefitKind::may_be_granted`]).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// How an item's benefit is obtained (利益类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum BenefitKind {
    /// 申报享受的税收优惠: the enterprise claims it on its own tax return (国家税务总局公告2018年
    /// 第23号: 自行判别、申报享受、相关资料留存备查). huiqi tells and tracks, it never pays.
    TaxReliefDeclared,
    /// 依申请退税: the tax office refunds on application (留抵退税).
    TaxRefundApplied,
    /// 免申即享奖补: paid by the zone without application; the only kind a grant run pays.
    AwardNoApplication,
    /// 依申请奖补: paid by the zone on the enterprise's application.
    AwardApplication,
    /// 费用减免: waived by the provider (the utility late fee).
    FeeWaiver,
    /// 资格认定: a status other items build on (帮扶对象, 中小企业划型), not a benefit itself.
    Status,
}

impl BenefitKind {
    pub const ALL: [BenefitKind; 6] = [
        BenefitKind::TaxReliefDeclared,
        BenefitKind::TaxRefundApplied,
        BenefitKind::AwardNoApplication,
        BenefitKind::AwardApplication,
        BenefitKind::FeeWaiver,
        BenefitKind::Status,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<BenefitKind> {
        s.parse().ok()
    }

    /// The allowed values with their Chinese names, for error messages.
    pub fn allowed() -> String {
        BenefitKind::ALL
            .iter()
            .map(|k| format!("{}（{}）", k.as_str(), k.name_zh()))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The kind's Chinese name (docs/GLOSSARY.md).
    pub fn name_zh(self) -> &'static str {
        match self {
            BenefitKind::TaxReliefDeclared => "申报享受的税收优惠",
            BenefitKind::TaxRefundApplied => "依申请退税",
            BenefitKind::AwardNoApplication => "免申即享奖补",
            BenefitKind::AwardApplication => "依申请奖补",
            BenefitKind::FeeWaiver => "费用减免",
            BenefitKind::Status => "资格认定",
        }
    }

    /// The kind's English name.
    pub fn name_en(self) -> &'static str {
        match self {
            BenefitKind::TaxReliefDeclared => "tax relief claimed on the return",
            BenefitKind::TaxRefundApplied => "tax refund on application",
            BenefitKind::AwardNoApplication => "zone award without application",
            BenefitKind::AwardApplication => "zone award on application",
            BenefitKind::FeeWaiver => "fee waiver",
            BenefitKind::Status => "status",
        }
    }

    /// Who grants it and how it is claimed, one line in Chinese for pages.
    pub fn how_zh(self) -> &'static str {
        match self {
            BenefitKind::TaxReliefDeclared => {
                "企业在纳税申报时自行享受（自行判别、申报享受、相关资料留存备查），园区不支付"
            }
            BenefitKind::TaxRefundApplied => {
                "企业向主管税务机关提交退（抵）税申请，由税务机关审核退还，园区不支付"
            }
            BenefitKind::AwardNoApplication => "园区免申即享：符合条件即由园区核定拨付，企业无需申请",
            BenefitKind::AwardApplication => "企业向园区主管部门提出申请，经审核后由园区拨付",
            BenefitKind::FeeWaiver => "由供水、供电、供气单位按规定免收，园区不支付",
            BenefitKind::Status => "资格认定，供其他政策引用，本身不涉及资金",
        }
    }

    /// The same in English.
    pub fn how_en(self) -> &'static str {
        match self {
            BenefitKind::TaxReliefDeclared => {
                "claimed by the enterprise on its own tax return; the zone pays nothing"
            }
            BenefitKind::TaxRefundApplied => {
                "refunded by the tax office on application; the zone pays nothing"
            }
            BenefitKind::AwardNoApplication => "paid by the zone without application (免申即享)",
            BenefitKind::AwardApplication => "paid by the zone on the enterprise's application",
            BenefitKind::FeeWaiver => "waived by the utility provider; the zone pays nothing",
            BenefitKind::Status => "a status other items use; no money",
        }
    }

    /// Paid out of the zone's budget (either award kind): what totals of "zone money" count.
    pub fn is_zone_payout(self) -> bool {
        matches!(self, BenefitKind::AwardNoApplication | BenefitKind::AwardApplication)
    }

    /// May be paid by a grant run (免申即享): only [`BenefitKind::AwardNoApplication`].
    pub fn may_be_granted(self) -> bool {
        self == BenefitKind::AwardNoApplication
    }
}

impl std::fmt::Display for BenefitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The granularity of the periods an item's decisions are for (`period` in the file;
/// default `year`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum PeriodKind {
    /// A (tax) year: annual taxes, yearly awards.
    #[default]
    Year,
    /// A calendar quarter (quarterly filing).
    Quarter,
    /// A calendar month (a monthly filing period).
    Month,
    /// A day: a status on the date, a single event (an arrears day).
    Day,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] =
        [PeriodKind::Year, PeriodKind::Quarter, PeriodKind::Month, PeriodKind::Day];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<PeriodKind> {
        s.parse().ok()
    }

    /// The period of this granularity that `date` falls in.
    pub fn of(self, date: NaiveDate) -> Period {
        let y = date.year();
        match self {
            PeriodKind::Year => Period::Year(y),
            PeriodKind::Quarter => Period::Quarter(y, date.month0() as u8 / 3 + 1),
            PeriodKind::Month => Period::Month(y, date.month() as u8),
            PeriodKind::Day => Period::Day(date),
        }
    }
}

/// The period a decision is for: `2022`, `2022-Q2`, `2022-04` or `2022-04-27` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Year(i32),
    Quarter(i32, u8),
    Month(i32, u8),
    Day(NaiveDate),
}

impl Period {
    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Year(_) => PeriodKind::Year,
            Period::Quarter(..) => PeriodKind::Quarter,
            Period::Month(..) => PeriodKind::Month,
            Period::Day(_) => PeriodKind::Day,
        }
    }

    /// The period's first and last day.
    pub fn bounds(self) -> (NaiveDate, NaiveDate) {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
        let month_end = |y: i32, m: u32| {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            ymd(ny, nm, 1).pred_opt().unwrap_or(NaiveDate::MIN)
        };
        match self {
            Period::Year(y) => (ymd(y, 1, 1), ymd(y, 12, 31)),
            Period::Quarter(y, q) => {
                let m = u32::from(q.clamp(1, 4)) * 3;
                (ymd(y, m - 2, 1), month_end(y, m))
            }
            Period::Month(y, m) => (ymd(y, u32::from(m), 1), month_end(y, u32::from(m))),
            Period::Day(d) => (d, d),
        }
    }

    /// Parses the form [`Period`]'s `Display` writes.
    pub fn parse(s: &str) -> Option<Period> {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Some(Period::Day(d));
        }
        if let Some((y, q)) = s.split_once("-Q") {
            let q: u8 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            return Some(Period::Quarter(y.parse().ok()?, q));
        }
        if let Some((y, m)) = s.split_once('-') {
            if y.len() != 4 || m.len() != 2 {
                return None;
            }
            let m: u8 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
            return Some(Period::Month(y.parse().ok()?, m));
        }
        if s.len() != 4 {
            return None;
        }
        s.parse().ok().map(Period::Year)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
            Period::Day(d) => write!(f, "{d}"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn kinds_round_trip_and_only_no_application_awards_are_granted() {
        for k in BenefitKind::ALL {
            assert_eq!(BenefitKind::parse(k.as_str()), Some(k));
            assert_eq!(k.may_be_granted(), k == BenefitKind::AwardNoApplication);
            assert!(!k.may_be_granted() || k.is_zone_payout());
        }
        assert!(BenefitKind::AwardApplication.is_zone_payout());
        assert!(!BenefitKind::TaxReliefDeclared.is_zone_payout());
        assert!(!BenefitKind::TaxRefundApplied.is_zone_payout());
        assert!(!BenefitKind::FeeWaiver.is_zone_payout());
        assert_eq!(BenefitKind::parse("no_application"), None);
    }

    #[test]
    fn periods_of_a_date_print_parse_and_bound() {
        let day = d("2022-05-31");
        let cases = [
            (PeriodKind::Year, "2022", ("2022-01-01", "2022-12-31")),
            (PeriodKind::Quarter, "2022-Q2", ("2022-04-01", "2022-06-30")),
            (PeriodKind::Month, "2022-05", ("2022-05-01", "2022-05-31")),
            (PeriodKind::Day, "2022-05-31", ("2022-05-31", "2022-05-31")),
        ];
        for (k, text, (a, b)) in cases {
            let p = k.of(day);
            assert_eq!(p.to_string(), text);
            assert_eq!(Period::parse(text), Some(p));
            assert_eq!(p.kind(), k);
            assert_eq!(p.bounds(), (d(a), d(b)));
        }
        assert_eq!(PeriodKind::Quarter.of(d("2024-12-31")).bounds(), (d("2024-10-01"), d("2024-12-31")));
        assert_eq!(PeriodKind::Month.of(d("2024-02-10")).bounds().1, d("2024-02-29"));
        for bad in ["2022-Q5", "2022-13", "22", "2022-5x", ""] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }
}

/// Totals of one benefit kind: what a summary shows per kind, zone payouts apart from tax
/// reliefs. Built by [`totals_by_kind`], which never counts a replaced item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindTotal {
    pub benefit_kind: BenefitKind,
    /// Eligible (enterprise, item) pairs.
    pub eligible: u64,
    /// Of them, those whose amount is not known.
    pub amount_missing: u64,
    /// Sum of the known amounts (exact).
    pub total_amount: rust_decimal::Decimal,
}

/// One item's counts as a summary adds them up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemTotal<'a> {
    pub benefit_kind: BenefitKind,
    /// The item replacing this one for the period, if any: then it counts in no total.
    pub superseded_by: Option<&'a str>,
    pub eligible: u64,
    pub amount_missing: u64,
    pub total_amount: rust_decimal::Decimal,
}

/// Adds up items' counts per benefit kind (in [`BenefitKind::ALL`] order, kinds with no
/// item left out), leaving out every item another one replaces for the same period, so one
/// relief is never counted twice for the same enterprise and period.
pub fn totals_by_kind<'a>(items: impl IntoIterator<Item = ItemTotal<'a>>) -> Vec<KindTotal> {
    let mut out: Vec<KindTotal> = Vec::new();
    for i in items.into_iter().filter(|i| i.superseded_by.is_none()) {
        match out.iter_mut().find(|t| t.benefit_kind == i.benefit_kind) {
            Some(t) => {
                t.eligible += i.eligible;
                t.amount_missing += i.amount_missing;
                t.total_amount += i.total_amount;
            }
            None => out.push(KindTotal {
                benefit_kind: i.benefit_kind,
                eligible: i.eligible,
                amount_missing: i.amount_missing,
                total_amount: i.total_amount,
            }),
        }
    }
    out.sort_by_key(|t| t.benefit_kind);
    out
}

/// Of `totals`, the zone's money: the award kinds ([`BenefitKind::is_zone_payout`]).
pub fn zone_payout_total(totals: &[KindTotal]) -> rust_decimal::Decimal {
    totals.iter().filter(|t| t.benefit_kind.is_zone_payout()).map(|t| t.total_amount).sum()
}

#[cfg(test)]
mod total_tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn totals_leave_out_replaced_items_and_keep_kinds_apart() {
        let t = |k, by, e, m, a: i64| ItemTotal {
            benefit_kind: k,
            superseded_by: by,
            eligible: e,
            amount_missing: m,
            total_amount: Decimal::from(a),
        };
        let totals = totals_by_kind([
            t(BenefitKind::TaxReliefDeclared, Some("new"), 10, 1, 500),
            t(BenefitKind::TaxReliefDeclared, None, 10, 1, 500),
            t(BenefitKind::AwardNoApplication, None, 2, 0, 300),
            t(BenefitKind::AwardApplication, None, 1, 0, 50),
            t(BenefitKind::TaxReliefDeclared, None, 3, 0, 7),
        ]);
        assert_eq!(totals.len(), 3);
        assert_eq!(totals[0].benefit_kind, BenefitKind::TaxReliefDeclared);
        assert_eq!(
            (totals[0].eligible, totals[0].amount_missing, totals[0].total_amount),
            (13, 1, Decimal::from(507))
        );
        assert_eq!(zone_payout_total(&totals), Decimal::from(350));
    }
}
