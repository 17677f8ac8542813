//! The demo zone's grants (issue 12): two 免申即享 runs on the demo match run, so that every
//! grant page has something to show and the printed enterprise (`qiye`) sees one grant paid
//! (with its date and voucher) and one in publicity.
//!
//! - the patent award (`zone-patent-award`, 2022): publicised on 1 December 2022 by the
//!   policy officer, approved after its publicity by leaders other than the preparer (as many
//!   as its total needs), its payment file issued by the finance officer (`caiwu`), and every
//!   line paid on 16 December 2022 (results imported, vouchers `DEMO-PZ-<grant>`);
//! - the municipal 专精特新 award (`zone-srdi-municipal-award`, 2022): run and
//!   publicised on the demo date, in
//!   publicity for five working days.
//!
//! Everything goes through the use cases, as officials would do it, on a clock set to each
//! step's day.

use app::grants::{self, FileFormat, RunRequest};
use app::{App, FixedClock, Principal};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use std::sync::Arc;
use store::{Role, Store};

/// The item paid in the demo, and the item in publicity.
pub const PAID_ITEM: &str = "zone-patent-award";
pub const PUBLICITY_ITEM: &str = "zone-srdi-municipal-award";

fn who(username: &str, role: Role) -> Principal {
    Principal {
        username: username.into(),
        role,
        enterprise: None,
        department: None,
        display_name: username.into(),
    }
}

fn at(y: i32, m: u32, d: u32) -> DateTime<FixedOffset> {
    let t = NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(10, 0, 0)).unwrap_or_default();
    store::china_offset().from_local_datetime(&t).single().unwrap_or_else(|| t.and_utc().fixed_offset())
}

/// What the demo's grants came to: (paid run, grants paid), (publicity run, grants).
pub async fn write(store: Arc<dyn Store>, match_run: i64) -> Result<((i64, u64), (i64, u64)), app::Error> {
    let clock = Arc::new(FixedClock::new(at(2022, 12, 1)));
    let app = App::new(store).with_clock(clock.clone());
    app.load_documents().await?;
    let policy = who("zhengce", Role::Policy);
    let run =
        |item: &str| RunRequest { item: item.into(), period: "2022".into(), match_run: Some(match_run) };
    let none = app::matching::NoProgress;

    // Paid: publicity 1–8 December, approval on the 12th, the file on the 13th, paid the 16th.
    let paid = grants::run(&app, &policy, &run(PAID_ITEM), &none).await?;
    grants::publicize(&app, &policy, paid.run, None).await?;
    clock.set(at(2022, 12, 12));
    let required = grants::show_run(&app, &policy, paid.run).await?.approvals_required;
    for name in ["lingdao", "leader01", "leader02"].into_iter().take(required as usize) {
        grants::approve(&app, &who(name, Role::Leader), paid.run).await?;
    }
    clock.set(at(2022, 12, 13));
    let finance = who("caiwu", Role::Finance);
    grants::payment_file(&app, &finance, paid.run, FileFormat::Xlsx, false).await?;
    clock.set(at(2022, 12, 16));
    let mut csv = String::from("grant,date,voucher,amount,status,reason\n");
    let mut after = 0;
    let mut n = 0u64;
    loop {
        let page = grants::list(&app, &finance, paid.run, after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for g in page.iter().filter(|g| g.state == "approved") {
            csv.push_str(&format!("{},2022-12-16,DEMO-PZ-{},{},ok,\n", g.id, g.id, g.amount));
            n += 1;
        }
    }
    if n > 0 {
        grants::import_results(&app, &finance, "demo-payment-results.csv", csv.as_bytes()).await?;
    }

    // In publicity from the demo date.
    clock.set(crate::demo::demo_now());
    let open = grants::run(&app, &policy, &run(PUBLICITY_ITEM), &none).await?;
    let p = grants::publicize(&app, &policy, open.run, None).await?;
    Ok(((paid.run, n), (open.run, p.grants)))
}
