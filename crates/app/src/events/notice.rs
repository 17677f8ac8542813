//! Issue 15, Events: "enterprises matching the audience get them in their inbox". When a
//! department publishes an event, every enterprise of the registry in its audience (industry
//! prefix, size class of the last full year, tags: `services::events::Audience::admits`, the
//! same test the event list applies) gets one inbox message of kind `event` linking to the
//! event, with the outbox rows of the channels that reach it, written in the event's own
//! transaction (`EventStore::create_event_informing`).

use chrono::Datelike;
use store::events::{EventNotice, NewEvent};

use crate::{App, Result};

/// Registry pages read at a time while finding the audience.
const BATCH: u64 = 2_000;

/// The enterprise ids in `event`'s audience on the app's date, and what their message says.
pub async fn notice(app: &App, event: &NewEvent, department_name: &str) -> Result<EventNotice> {
    let today = app.today();
    let audience = event.audience.clone();
    let mut ids = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), BATCH, |row| {
        let code = row.enterprise.industry_code.clone();
        let admitted = if audience.is_everyone() {
            true
        } else {
            let size = if audience.sizes.is_empty() {
                None
            } else {
                code.as_ref()
                    .and_then(|c| enterprise::size_class_of(&row.facts(), c, today.year() - 1, today))
            };
            let tags: Vec<String> = row.enterprise.tags.iter().cloned().collect();
            audience.admits(code.map(|c| c.to_string()).as_deref(), size, &tags)
        };
        if admitted {
            ids.push(row.id);
        }
        Ok(())
    })
    .await?;
    let when = event.starts_at.format("%Y-%m-%d %H:%M");
    let closes = event.registration_closes_at.format("%Y-%m-%d %H:%M");
    let place = if event.place.is_empty() { event.link.as_str() } else { event.place.as_str() };
    let kind = event.kind.label_zh();
    Ok(EventNotice {
        enterprise_ids: ids,
        title: event.title.clone(),
        body_zh: format!(
            "{department_name}将于 {when} 在{place}举办{kind}“{}”，名额 {} 人，报名截止 {closes}。贵企业在本次活动的邀请范围内，欢迎报名参加。",
            event.title, event.capacity
        ),
        body_en: format!(
            "{department_name} holds the event \"{}\" on {when} at {place} ({} seats; registration closes {closes}). \
             Your enterprise is in its audience: you are welcome to register.",
            event.title, event.capacity
        ),
        next_ms: app.now().timestamp_millis(),
    })
}
