//! Notifications (通知, issue 14): the bell in every page's header and the `/notifications`
//! page. What is told to whom, and why the rows are per department and read per user, is in
//! [`store::notifications`]; the rows for problem actions are written by the store in the
//! action's own transaction, the warnings by the scheduled job [`crate::jobs::WARNINGS`]
//! ([`generate_warnings`]).
//!
//! A reader sees what is addressed to them, to their department (department officers) and to
//! their enterprise (enterprise users); nobody reads another's. Marking read is not a change of
//! the domain's state: it is kept per reader but not audited (like the enterprise inbox).

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use store::Page;
use store::notifications::{NotificationPage, Reader};

/// Notifications per page, by default and at most.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// Problems a warnings run looks at per write (it repeats until none is left).
pub const WARNING_BATCH: u32 = 2_000;

/// A page of one's notifications: `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRequest {
    pub page: u32,
    pub limit: u32,
}

impl Default for ListRequest {
    fn default() -> Self {
        ListRequest { page: 1, limit: DEFAULT_LIMIT }
    }
}

/// The reader a principal is.
fn reader(p: &Principal) -> Result<Reader> {
    authz::require(p, Action::Read, Resource::OwnNotifications)?;
    Ok(Reader {
        username: p.username.clone(),
        department: p.department.clone().filter(|_| p.role == store::Role::Department),
        enterprise: p
            .enterprise
            .as_ref()
            .filter(|_| p.role == store::Role::Enterprise)
            .map(|e| e.to_string()),
    })
}

/// One's notifications, newest first, a page at a time, with the total and unread counts.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub async fn list(app: &App, p: &Principal, req: ListRequest) -> Result<NotificationPage> {
    let r = reader(p)?;
    if req.page == 0 {
        return Err(Error::Invalid {
            field: "page".into(),
            value: "0".into(),
            reason: "页码从 1 开始 / pages count from 1".into(),
        });
    }
    if req.limit == 0 || req.limit > MAX_LIMIT {
        return Err(Error::Invalid {
            field: "limit".into(),
            value: req.limit.to_string(),
            reason: format!("每页 1–{MAX_LIMIT} 条 / from 1 to {MAX_LIMIT} a page"),
        });
    }
    let offset = u64::from(req.page - 1) * u64::from(req.limit);
    Ok(app.store.notifications(&r, Page::new(offset, u64::from(req.limit))).await?)
}

/// How many of one's notifications are unread (the bell's number).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub async fn unread_count(app: &App, p: &Principal) -> Result<u64> {
    let r = reader(p)?;
    Ok(app.store.unread_notifications(&r).await?)
}

/// Marks one of one's notifications read (again: no change) and returns its problem's id
/// (where opening it leads); [`Error::NotificationNotFound`] when none with this id is
/// addressed to the reader.
#[tracing::instrument(skip_all, fields(user = %p.username, id))]
pub async fn mark_read(app: &App, p: &Principal, id: i64) -> Result<i64> {
    let r = reader(p)?;
    app.store.mark_notification_read(&r, id, app.now()).await?.ok_or(Error::NotificationNotFound { id })
}

/// Marks all of one's notifications read; how many were unread.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub async fn mark_all_read(app: &App, p: &Principal) -> Result<u64> {
    let r = reader(p)?;
    Ok(app.store.mark_all_notifications_read(&r, app.now()).await?)
}

/// Writes the warnings (黄灯, 红灯) whose moment has passed and that are not written yet: the
/// job [`crate::jobs::WARNINGS`]. Idempotent: a second run at the same moment writes nothing.
#[tracing::instrument(skip_all)]
pub async fn generate_warnings(app: &App) -> Result<u64> {
    let now = app.now();
    let mut total = 0;
    loop {
        let n = app.store.write_warning_notifications(now, WARNING_BATCH).await?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}
