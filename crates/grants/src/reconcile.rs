//! Reconciliation (对账): the lines issued in payment files against the payment results
//! imported back. Every issued grant gets exactly one class, and every result for a grant
//! that was never issued is listed once as `paid_unknown`, so the classes partition the
//! input:
//!
//! - `paid_ok`: one successful result, for the issued amount;
//! - `paid_different_amount`: one successful result, for another amount;
//! - `paid_twice`: more than one successful result;
//! - `failed`: results, none successful (the line goes into the follow-up file);
//! - `approved_not_paid`: issued, no result yet;
//! - `paid_unknown`: a result for a grant no (non-voided) file issued.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// A line issued in a (non-voided) payment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub grant: i64,
    pub amount: Decimal,
}

/// One imported payment result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentResult {
    pub grant: i64,
    pub date: NaiveDate,
    pub voucher: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub ok: bool,
    pub reason: Option<String>,
}

/// The class of a reconciliation row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ReconClass {
    PaidOk,
    PaidDifferentAmount,
    PaidTwice,
    Failed,
    ApprovedNotPaid,
    PaidUnknown,
}

impl ReconClass {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ReconClass::PaidOk => "已支付，金额一致",
            ReconClass::PaidDifferentAmount => "已支付，金额不符",
            ReconClass::PaidTwice => "重复支付",
            ReconClass::Failed => "支付失败",
            ReconClass::ApprovedNotPaid => "已审批未支付",
            ReconClass::PaidUnknown => "支付了未知授予",
        }
    }
    /// Needs a person's attention.
    pub fn is_exception(self) -> bool {
        self != ReconClass::PaidOk
    }
}

/// One row of a reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconRow {
    pub grant: i64,
    pub class: ReconClass,
    /// The issued amount (`None` for `paid_unknown`).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub issued: Option<Decimal>,
    /// The sum of the successful results' amounts (`None` when none succeeded).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub paid: Option<Decimal>,
    /// Results imported for the grant.
    pub results: u32,
    /// The last result's date, voucher and failure reason.
    pub date: Option<NaiveDate>,
    pub voucher: Option<String>,
    pub reason: Option<String>,
}

/// Classifies every issued line and every result (rows by grant id).
pub fn reconcile(issued: &[Issued], results: &[PaymentResult]) -> Vec<ReconRow> {
    let mut by_grant: BTreeMap<i64, Vec<&PaymentResult>> = BTreeMap::new();
    for r in results {
        by_grant.entry(r.grant).or_default().push(r);
    }
    let mut issued_amount: BTreeMap<i64, Decimal> = BTreeMap::new();
    for i in issued {
        issued_amount.insert(i.grant, i.amount);
    }
    let mut rows = Vec::with_capacity(issued_amount.len());
    let empty = Vec::new();
    for (&grant, &amount) in &issued_amount {
        let rs = by_grant.get(&grant).unwrap_or(&empty);
        let ok: Vec<&&PaymentResult> = rs.iter().filter(|r| r.ok).collect();
        let class = match ok.len() {
            0 if rs.is_empty() => ReconClass::ApprovedNotPaid,
            0 => ReconClass::Failed,
            1 if ok[0].amount == amount => ReconClass::PaidOk,
            1 => ReconClass::PaidDifferentAmount,
            _ => ReconClass::PaidTwice,
        };
        rows.push(row(grant, class, Some(amount), rs));
    }
    for (&grant, rs) in &by_grant {
        if !issued_amount.contains_key(&grant) {
            rows.push(row(grant, ReconClass::PaidUnknown, None, rs));
        }
    }
    rows.sort_by_key(|r| r.grant);
    rows
}

fn row(grant: i64, class: ReconClass, issued: Option<Decimal>, rs: &[&PaymentResult]) -> ReconRow {
    let ok: Vec<&&PaymentResult> = rs.iter().filter(|r| r.ok).collect();
    let last = rs.last();
    ReconRow {
        grant,
        class,
        issued,
        paid: if ok.is_empty() { None } else { Some(ok.iter().map(|r| r.amount).sum()) },
        results: u32::try_from(rs.len()).unwrap_or(u32::MAX),
        date: last.map(|r| r.date),
        voucher: last.map(|r| r.voucher.clone()),
        reason: last.and_then(|r| r.reason.clone()),
    }
}

/// The grants of the follow-up file (补付文件): failed lines only, never a paid one.
pub fn follow_up(rows: &[ReconRow]) -> Vec<i64> {
    rows.iter().filter(|r| r.class == ReconClass::Failed).map(|r| r.grant).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use std::collections::BTreeSet;

    fn res(grant: i64, amount: Decimal, ok: bool) -> PaymentResult {
        PaymentResult {
            grant,
            date: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            voucher: format!("V{grant}"),
            amount,
            ok,
            reason: (!ok).then(|| "账户已销户".to_string()),
        }
    }

    #[test]
    fn each_class() {
        let issued = [1, 2, 3, 4, 5].map(|g| Issued { grant: g, amount: dec!(100) });
        let results = [
            res(1, dec!(100), true),
            res(2, dec!(90), true),
            res(3, dec!(100), true),
            res(3, dec!(100), true),
            res(4, dec!(100), false),
            res(9, dec!(5), true),
        ];
        let rows = reconcile(&issued, &results);
        let classes: Vec<(i64, ReconClass)> = rows.iter().map(|r| (r.grant, r.class)).collect();
        assert_eq!(
            classes,
            vec![
                (1, ReconClass::PaidOk),
                (2, ReconClass::PaidDifferentAmount),
                (3, ReconClass::PaidTwice),
                (4, ReconClass::Failed),
                (5, ReconClass::ApprovedNotPaid),
                (9, ReconClass::PaidUnknown),
            ]
        );
        assert_eq!(follow_up(&rows), vec![4]);
        assert_eq!(rows[1].paid, Some(dec!(90)));
        assert_eq!(rows[2].paid, Some(dec!(200)));
    }

    proptest! {
        /// Every issued grant and every grant with results is in exactly one row, and the
        /// follow-up file holds failed lines only.
        #[test]
        fn classes_partition_the_input(
            issued in proptest::collection::btree_map(0i64..50, 1i64..1000, 0..30),
            results in proptest::collection::vec((0i64..60, 1i64..1000, any::<bool>()), 0..60),
        ) {
            let issued: Vec<Issued> = issued.into_iter().map(|(g, a)| Issued { grant: g, amount: Decimal::new(a, 0) }).collect();
            let results: Vec<PaymentResult> = results.into_iter().map(|(g, a, ok)| res(g, Decimal::new(a, 0), ok)).collect();
            let rows = reconcile(&issued, &results);
            let keys: BTreeSet<i64> = issued.iter().map(|i| i.grant).chain(results.iter().map(|r| r.grant)).collect();
            let got: Vec<i64> = rows.iter().map(|r| r.grant).collect();
            prop_assert_eq!(got, keys.into_iter().collect::<Vec<_>>());
            for r in &rows {
                let is_issued = issued.iter().any(|i| i.grant == r.grant);
                prop_assert_eq!(r.class == ReconClass::PaidUnknown, !is_issued);
                let n = results.iter().filter(|x| x.grant == r.grant).count() as u32;
                prop_assert_eq!(r.results, n);
            }
            for g in follow_up(&rows) {
                prop_assert!(results.iter().filter(|x| x.grant == g).all(|x| !x.ok));
                prop_assert!(issued.iter().any(|i| i.grant == g));
            }
        }
    }
}
