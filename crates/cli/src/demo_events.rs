//! The demo zone's events (issue 15): past events with their rosters checked in, closed and
//! rated, and upcoming ones with seats taken and a waiting list, around the demo date
//! (2022-12-30, a Friday; the briefings and trainings on working days), by the departments that run them in the plan (三.3 宣讲 by the tax bureau,
//! 三.8 政银企对接 by 科技金融服务中心, 三.10 招聘会 by 组织人事局, 三.13 展会 by 外经外贸和商务中心,
//! 三.15 培训 by 经济发展局). The `qiye` enterprise is registered for an upcoming briefing and
//! came to a past one. Written through `app::events` on a clock moved through the events'
//! days, so every row went through the same use cases as in production.

use app::events::{self as uc, PublishRequest};
use app::{App, FixedClock, Principal};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use enterprise::UnifiedCreditCode;
use std::sync::Arc;

use crate::demo::{DemoZone, demo_now};

/// (kind, title, department, day offset from the demo date, hour, capacity, per enterprise).
const EVENTS: &[(&str, &str, &str, i64, u32, u32, u32)] = &[
    ("policy_briefing", "2022年组合式税费支持政策解读会", "tax_bureau", -42, 9, 60, 2),
    ("bank_enterprise", "科技型中小企业政银企融资对接会", "sci_tech_finance", -25, 14, 40, 2),
    ("job_fair", "麓谷冬季人才专场招聘会", "organization_personnel", -12, 9, 80, 3),
    ("training", "企业家管理提升专题培训（第三期）", "economic_development", -7, 9, 30, 2),
    ("policy_briefing", "2023年惠企政策宣讲会", "tax_bureau", 6, 9, 8, 2),
    ("trade_fair", "中国（长沙）跨境电商展组团参展说明会", "foreign_trade_commerce", 12, 14, 50, 2),
    ("bank_enterprise", "“专精特新”企业投融资路演", "sci_tech_finance", 19, 14, 30, 2),
];

fn at(day: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    let t = day.and_hms_opt(hour, 0, 0).unwrap_or_default();
    store::china_offset().from_local_datetime(&t).single().unwrap_or_else(|| t.and_utc().fixed_offset())
}

/// Writes the demo events; how many.
pub async fn write(app: &App, zone: &DemoZone) -> anyhow::Result<usize> {
    let clock = Arc::new(FixedClock::new(demo_now()));
    let app = app.clone().with_clock(clock.clone());
    let operator = Principal::operator("demo");
    let today = demo_now().date_naive();
    let qiye = zone.users.iter().find(|u| u.username == "qiye").and_then(|u| u.enterprise.clone());
    let others: Vec<&UnifiedCreditCode> =
        zone.records.iter().map(|r| &r.enterprise.uscc).filter(|u| Some(*u) != qiye.as_ref()).collect();
    for (n, &(kind, title, dept, offset, hour, capacity, per)) in EVENTS.iter().enumerate() {
        let day = today + Duration::days(offset);
        let starts = at(day, hour);
        let ends = starts + Duration::hours(2) + Duration::minutes(30);
        // Published three weeks before, registration to the evening before.
        clock.set(starts - Duration::days(21));
        let e = uc::publish(
            &app,
            &operator,
            &PublishRequest {
                kind: kind.into(),
                title: title.into(),
                description: format!("{title}。请各企业按时参加，现场设咨询台。"),
                department: Some(dept.into()),
                place: "麓谷企业广场A座报告厅".into(),
                starts_at: starts.format("%Y-%m-%d %H:%M").to_string(),
                ends_at: ends.format("%Y-%m-%d %H:%M").to_string(),
                registration_closes_at: Some(
                    (starts - Duration::hours(15)).format("%Y-%m-%d %H:%M").to_string(),
                ),
                capacity,
                max_per_enterprise: Some(per),
                positions_offered: (kind == "job_fair").then_some(260),
                ..Default::default()
            },
        )
        .await
        .map_err(crate::app_error)?;
        // Registrations spread over the first week; the last upcoming briefing is over-full.
        let wanted = if capacity <= 8 { 6 } else { (capacity as usize * 2 / 3).min(others.len()) };
        let mut who: Vec<&UnifiedCreditCode> = others.iter().skip(n * 7).take(wanted).copied().collect();
        if let Some(q) = &qiye
            && (offset == -42 || offset == 6)
        {
            who.insert(0, q);
        }
        for (i, u) in who.iter().enumerate() {
            clock.set(starts - Duration::days(20) + Duration::hours(i as i64));
            uc::register(&app, &operator, e.id, u, 1 + (i as u32 % per), "")
                .await
                .map_err(crate::app_error)?;
        }
        if offset < 0 {
            // On the day: four in five of those seated come.
            clock.set(starts - Duration::minutes(30));
            let detail = uc::show(&app, &operator, e.id).await.map_err(crate::app_error)?;
            for (i, r) in detail.roster.iter().enumerate() {
                if r.state == services::events::RegistrationState::Confirmed && i % 5 != 4 {
                    let code = UnifiedCreditCode::parse(&r.uscc).map_err(|e| anyhow::anyhow!("{e}"))?;
                    uc::check_in(&app, &operator, e.id, &code).await.map_err(crate::app_error)?;
                }
            }
            clock.set(ends + Duration::hours(1));
            uc::close(&app, &operator, e.id).await.map_err(crate::app_error)?;
            let detail = uc::show(&app, &operator, e.id).await.map_err(crate::app_error)?;
            for (i, r) in detail.roster.iter().enumerate() {
                if r.state == services::events::RegistrationState::CheckedIn && i % 2 == 0 {
                    let code = UnifiedCreditCode::parse(&r.uscc).map_err(|e| anyhow::anyhow!("{e}"))?;
                    let (score, text) = if i % 3 == 0 {
                        (4, "内容实用，希望多举办")
                    } else {
                        (5, "讲解清楚，解答及时")
                    };
                    uc::feedback(&app, &operator, e.id, &code, score, text)
                        .await
                        .map_err(crate::app_error)?;
                }
            }
            if kind == "job_fair" {
                uc::positions_filled(&app, &operator, e.id, 148).await.map_err(crate::app_error)?;
            }
        }
    }
    Ok(EVENTS.len())
}
