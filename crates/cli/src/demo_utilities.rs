//! The demo zone's utility arrears (三.9, issue 15): two providers' files for 2022 — the power
//! company's and the water company's — imported as the utilities officers would: the arrears
//! in July, the paid dates and late fees in December (with December's new arrears). On the demo
//! date (2022-12-30) the records stand in every state: open in the window, waived (paid in
//! the window), overdue, paid late with a fee, and violations (a fee charged for arrears paid
//! in the window, or charged inside it) that became problems. The `qiye` enterprise has a
//! waiver and a violation. Written through `app::utilities::import` on a clock moved through
//! the days, as in production.

use app::utilities::{self as uc, ImportRequest};
use app::{App, FixedClock, Principal};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use std::fmt::Write;
use std::sync::Arc;

use crate::demo::DemoZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<FixedOffset> {
    let t = NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(16, 0, 0)).unwrap_or_default();
    store::china_offset().from_local_datetime(&t).single().unwrap_or_else(|| t.and_utc().fixed_offset())
}

/// The two providers: (name, kind, record number prefix).
const PROVIDERS: [(&str, &str, &str); 2] =
    [("国网长沙供电公司高新营业部", "电", "DF"), ("长沙供水有限公司", "水", "SF")];

/// One record's story: (arrears date, amount, paid date, late fee, fee charged on).
type Story = (&'static str, &'static str, Option<&'static str>, &'static str, Option<&'static str>);

/// Twelve records per provider, in every state on 2022-12-30 (windows on the 2022 calendar:
/// 4-20 → 5-19 with the 劳动节 调休; 9-26 → 10-27 across 国庆 and its 调休).
const STORIES: [Story; 12] = [
    // Waived: paid in the window, no fee.
    ("2022-04-20", "12860.40", Some("2022-05-19"), "", None),
    ("2022-05-09", "3560.00", Some("2022-05-20"), "0", None),
    ("2022-07-11", "8120.75", Some("2022-07-29"), "", None),
    ("2022-09-26", "15400.00", Some("2022-10-27"), "", None),
    // Violation: paid in the window, a fee charged all the same.
    ("2022-06-01", "6230.00", Some("2022-06-24"), "93.45", Some("2022-07-05")),
    // Violation: the fee charged inside the window, paid late.
    ("2022-08-01", "2480.00", Some("2022-09-15"), "37.20", Some("2022-08-20")),
    // Paid late, the fee charged after the window: allowed.
    ("2022-04-20", "4750.00", Some("2022-05-20"), "71.25", Some("2022-05-25")),
    ("2022-03-01", "980.00", Some("2022-04-18"), "14.70", Some("2022-04-15")),
    // Overdue: unpaid after the window.
    ("2022-09-05", "5310.00", None, "", None),
    ("2022-10-17", "760.00", None, "", None),
    // Open: December's arrears, in the window on the demo date.
    ("2022-12-12", "4420.00", None, "", None),
    ("2022-12-26", "1890.00", None, "", None),
];

/// Writes the demo records; (records, problems raised).
pub async fn write(app: &App, zone: &DemoZone) -> anyhow::Result<(usize, usize)> {
    let clock = Arc::new(FixedClock::new(at(2022, 7, 1)));
    let app = app.clone().with_clock(clock.clone());
    let op = Principal::operator("demo");
    let qiye = zone.users.iter().find(|u| u.username == "qiye").and_then(|u| u.enterprise.clone());
    let mut firms: Vec<String> = qiye.iter().map(|u| u.to_string()).collect();
    firms.extend(
        zone.records
            .iter()
            .map(|r| r.enterprise.uscc.to_string())
            .filter(|u| qiye.as_ref().map(|q| q.to_string()).as_ref() != Some(u))
            .take(20),
    );
    if firms.is_empty() {
        return Ok((0, 0));
    }
    let mut raised = 0;
    let mut records = 0;
    for (p, (provider, kind, prefix)) in PROVIDERS.iter().enumerate() {
        // The stories dated by the day each file is imported: arrears known by July, then the
        // rest with the paid dates and fees in December.
        for (when, cutoff) in [(at(2022, 7, 1), "2022-07-01"), (at(2022, 12, 28), "2022-12-28")] {
            clock.set(when);
            let mut csv = String::from(
                "供应单位,记录编号,统一社会信用代码,类别,欠费金额,欠费日期,补缴日期,滞纳金,滞纳金收取日期\n",
            );
            let mut rows = 0;
            for (i, (on, amount, paid, fee, fee_on)) in STORIES.iter().enumerate() {
                if *on > cutoff {
                    continue;
                }
                let known =
                    |d: Option<&'static str>| -> &'static str { d.filter(|d| *d <= cutoff).unwrap_or("") };
                let fee = if fee_on.is_some_and(|d| d > cutoff) { "" } else { fee };
                // The qiye enterprise: the first (a waiver) and the fifth (a violation) of the
                // power company's; the firms otherwise in turn.
                let firm = match (p, i) {
                    (0, 0 | 4) => &firms[0],
                    _ => &firms[(1 + i + p * STORIES.len()) % firms.len()],
                };
                let _ = writeln!(
                    csv,
                    "{provider},{prefix}2022-{:03},{firm},{kind},{amount},{on},{},{fee},{}",
                    i + 1,
                    known(*paid),
                    known(*fee_on)
                );
                rows += 1;
            }
            let req = ImportRequest {
                file_name: format!("{prefix}-{cutoff}.csv"),
                bytes: csv.into_bytes(),
                dry_run: false,
            };
            let r = uc::import(&app, &op, &req).await.map_err(crate::app_error)?;
            raised += r.problems_raised.len();
            records += r.inserted as usize;
            debug_assert_eq!(r.rows as usize, rows);
        }
    }
    Ok((records, raised))
}
