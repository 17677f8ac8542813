//! Raising a problem: an enterprise for itself (self-service), a cadre for a linked
//! enterprise (a visit), a leader, supervisor or admin for any enterprise (intake, 代录: the
//! hotline, a meeting, a visit). Who may raise for which enterprise is
//! [`authz::raise_scope`]; the routing is proposed from the category and the deadlines are
//! set by `handling`; the problem and its files are written together or not at all.

use chrono::{DateTime, FixedOffset};
use handling::{Channel, Urgency, Visibility};
use serde::{Deserialize, Serialize};

use super::attach::{NewFile, check_files};
use super::show::{ProblemView, Reader};
use super::text::{self, DESCRIPTION_MAX, Lines, TITLE_MAX};
use super::{links_of, parse_uscc, routing};
use crate::authz::{self, Action, RaiseScope, Resource};
use crate::{App, Error, Principal, Result};

/// A problem to raise.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RaiseRequest {
    /// The enterprise's credit code; an enterprise user's own when absent.
    pub enterprise: Option<String>,
    /// The routing table's category code or name (`tax`, `涉税`).
    pub category: String,
    /// At most [`TITLE_MAX`] characters, one line.
    pub title: String,
    /// At most [`DESCRIPTION_MAX`] characters.
    #[serde(default)]
    pub description: String,
    /// `self_service`, `visit`, `hotline`, `meeting` (or their Chinese names). Enterprise
    /// users raise self-service problems only; by default a cadre's is a visit, an enterprise's
    /// self-service and anyone else's a meeting.
    pub channel: Option<String>,
    /// `normal` (default) or `urgent`.
    pub urgency: Option<String>,
    /// 商业秘密: details only for the enterprise, its departments and supervisors.
    #[serde(default)]
    pub confidential: bool,
    /// The visit that raised it.
    pub visit: Option<i64>,
    /// When it was received, if earlier than now (a hotline call entered later); never later
    /// than now.
    #[serde(skip)]
    pub received_at: Option<DateTime<FixedOffset>>,
    /// Files raised with it (checked here: 10 MiB each, 10 in all, the type from the content,
    /// no direction controls in the name).
    #[serde(skip)]
    pub files: Vec<NewFile>,
}

/// What the raise form offers a principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeForm {
    /// Who the problem may be for: the principal's own enterprise, their linked enterprises,
    /// or any (typed as a credit code).
    pub enterprises: IntakeEnterprises,
    /// The channels offered, the default first.
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "list")]
pub enum IntakeEnterprises {
    /// An enterprise user: its own.
    Own,
    /// A cadre: one of these (credit code, name).
    Linked(Vec<(String, String)>),
    /// Leaders, supervisors, admins: any enterprise of the zone, by credit code.
    Any,
}

/// The channels a principal records problems from, the default first: an enterprise only
/// self-service; a cadre's default is the visit; others take problems in (代录) from the
/// hotline, a meeting or a visit.
pub fn channels_for(p: &Principal) -> Vec<Channel> {
    use store::Role;
    match p.role {
        Role::Enterprise => vec![Channel::SelfService],
        Role::Cadre => vec![Channel::Visit, Channel::Hotline, Channel::Meeting],
        _ => vec![Channel::Meeting, Channel::Hotline, Channel::Visit],
    }
}

/// What the raise form offers `who`; [`Error::Forbidden`] for those who may raise none.
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn intake_form(app: &App, who: &Principal) -> Result<IntakeForm> {
    let enterprises = match authz::raise_scope(who) {
        RaiseScope::None => return Err(Error::Forbidden),
        RaiseScope::Own(_) => IntakeEnterprises::Own,
        RaiseScope::Any => IntakeEnterprises::Any,
        RaiseScope::Linked => IntakeEnterprises::Linked(
            app.store
                .cadre_enterprises(Some(&who.username))
                .await?
                .into_iter()
                .map(|e| (e.uscc.to_string(), e.name))
                .collect(),
        ),
    };
    Ok(IntakeForm { enterprises, channels: channels_for(who) })
}

/// Raises a problem for `who`; returns it as its raiser sees it (in full).
#[tracing::instrument(skip(app, who, req), fields(user = %who.username, category = %req.category))]
pub async fn raise(app: &App, who: &Principal, req: RaiseRequest) -> Result<ProblemView> {
    let uscc = match (req.enterprise.as_deref().map(str::trim).filter(|e| !e.is_empty()), &who.enterprise) {
        (Some(e), _) => parse_uscc("enterprise", e)?,
        (None, Some(own)) if who.role == store::Role::Enterprise => own.clone(),
        (None, _) => {
            return Err(Error::Required {
                field: "enterprise".into(),
                what: "统一社会信用代码 / the enterprise's unified social credit code".into(),
            });
        }
    };
    let Some(head) = app.store.enterprise_head(&uscc).await? else {
        return Err(Error::EnterpriseNotFound { uscc: uscc.to_string() });
    };
    authz::require(who, Action::Write, Resource::NewProblem { uscc: &uscc, links: &head.links })?;
    let offered = channels_for(who);
    let channel = match req.channel.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Channel::parse(c).map_err(|e| invalid("channel", c, &e))?,
        None => offered[0],
    };
    if who.role == store::Role::Enterprise && channel != Channel::SelfService {
        return Err(Error::Invalid {
            field: "channel".into(),
            value: req.channel.clone().unwrap_or_default(),
            reason: "企业只能自助提交 / an enterprise raises its own problems self-service".into(),
        });
    }
    let urgency = match req.urgency.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Urgency::parse(u).map_err(|e| invalid("urgency", u, &e))?,
        None => Urgency::Normal,
    };
    let title = text::clean("title", &req.title, TITLE_MAX, Lines::One)?;
    if title.is_empty() {
        return Err(Error::Required {
            field: "title".into(), what: "问题标题 / the problem's title".into()
        });
    }
    let description = text::clean("description", &req.description, DESCRIPTION_MAX, Lines::Many)?;
    let category = req.category.trim();
    if category.is_empty() {
        return Err(Error::Required {
            field: "category".into(),
            what: "问题类别 / the problem's category".into(),
        });
    }
    let now = app.now();
    let received_at = match req.received_at {
        Some(t) if t > now => {
            return Err(Error::Invalid {
                field: "received_at".into(),
                value: t.to_rfc3339(),
                reason: "不能晚于当前时间；只能补录已发生的事项 / it is in the future; only what already happened can be recorded".into(),
            });
        }
        Some(t) => t,
        None => now,
    };
    let files = check_files(req.files)?;
    let problem = handling::Problem {
        enterprise: uscc,
        channel,
        category: category.to_string(),
        title,
        description,
        attachments: Vec::new(),
        urgency,
        confidential: req.confidential,
        received_at,
        visit: req.visit.map(|v| v.to_string()),
    };
    let routing = routing(app).await?;
    let limits = app.live.time_limits();
    let actor = who.handling_actor();
    // An obstruction report (三.12) also tells the logistics officers and the enterprise's
    // watcher, in the problem's own transaction.
    let code = routing.category(&problem.category).map(|c| c.code.clone()).unwrap_or_default();
    let told = crate::logistics::told_of(app, &code, &problem.enterprise).await?;
    let rec = match (files.is_empty(), told.is_empty()) {
        (true, true) => app.store.create_problem(problem, &actor, now, &routing, &limits).await?,
        (false, true) => {
            app.store.create_problem_with_attachments(problem, &actor, now, &routing, &limits, files).await?
        }
        (_, false) => {
            app.store.create_problem_telling(problem, &actor, now, &routing, &limits, files, &told).await?
        }
    };
    tracing::info!(problem.id = rec.id, "problem raised");
    // Received before the newest calendar load (a record entered late): its deadlines are laid
    // on the calendar in force, as the load would have done.
    crate::calendar::follow_calendar(app, rec.id, received_at).await?;
    let rec = if received_at < now { app.store.get_problem(rec.id).await? } else { rec };
    let links = links_of(app, &rec.state.problem.enterprise).await?;
    ProblemView::build(app, Reader::User(who), rec, Visibility::Full, &links, now).await
}

/// A value the domain could not read, as a request error naming the field.
pub(crate) fn invalid(field: &str, value: &str, e: &handling::HandlingError) -> Error {
    let reason = match e {
        handling::HandlingError::BadValue { expected, .. } => expected.to_string(),
        other => i18n::Localized::bilingual(other),
    };
    Error::Invalid { field: field.to_string(), value: value.to_string(), reason }
}
