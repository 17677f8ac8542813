//! Demo notifications (通知, issue 14): the demo's problems notified as they were written
//! (the store writes each action's notifications in its transaction); here the warnings due on
//! the demo date are written (the `warnings` job's use case), and each demo login is left with
//! what an active user would have: older notifications read, the last two weeks' and at least
//! the newest [`KEEP_UNREAD`] unread, so every login that handles problems opens the demo with a
//! few on its bell.

use app::notifications::{self as n, ListRequest};
use app::{App, Principal};
use chrono::Duration;

/// Notifications left unread per login however old they are.
pub const KEEP_UNREAD: usize = 3;
/// Notifications newer than this many days before the demo date stay unread.
pub const RECENT_DAYS: i64 = 14;

/// What [`write`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoNotifications {
    pub warnings: u64,
    /// (login, unread left), for the logins with any notification.
    pub unread: Vec<(String, u64)>,
}

/// Writes the warnings due at the app's "now" (the demo date) and marks each login's older
/// notifications read.
pub async fn write(app: &App) -> app::Result<DemoNotifications> {
    let warnings = n::generate_warnings(app).await?;
    let since = app.now() - Duration::days(RECENT_DAYS);
    let mut unread = Vec::new();
    for u in app.store.list_users().await? {
        let p = Principal::from_user(&u);
        if p.role == store::Role::System {
            continue;
        }
        let mut old = Vec::new();
        let mut seen = 0usize;
        let mut page = 1;
        loop {
            let list = n::list(app, &p, ListRequest { page, limit: n::MAX_LIMIT }).await?;
            for row in &list.rows {
                seen += 1;
                if seen > KEEP_UNREAD && row.created_at < since && row.read_at.is_none() {
                    old.push(row.id);
                }
            }
            if list.rows.len() < n::MAX_LIMIT as usize {
                break;
            }
            page += 1;
        }
        if seen == 0 {
            continue;
        }
        for id in old {
            n::mark_read(app, &p, id).await?;
        }
        unread.push((p.username.clone(), n::unread_count(app, &p).await?));
    }
    Ok(DemoNotifications { warnings, unread })
}
