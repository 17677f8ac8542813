//! Acting on a problem: the words of an action and its data read once
//! ([`ActionRequest::command`], over `handling`'s parsers) for the web and the CLI alike, the
//! version check against lost updates, and the sweep that closes answers left unconfirmed.

use chrono::{DateTime, FixedOffset};
use handling::{Action, ActionKind, Command, Outcome, Rating, ReviewDecision};
use serde::Deserialize;
use store::Page;
use store::problems::{ProblemFilter, ProblemRecord};

use super::raise::invalid;
use super::show::{ProblemView, Reader};
use super::text::{self, DECISION_MAX, DECISIONS_MAX, Lines, MINUTES_MAX, NAME_MAX, NOTE_MAX};
use super::{load_visible, routing};
use crate::authz::{self, Action as Do, Resource};
use crate::{App, Error, Principal, Result};

/// An action on a problem as a person gives it: the action's word and whatever data it
/// needs. Every front end fills this, so every word one accepts the other does too.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionRequest {
    /// `accept`, `decide-objection`, `decide_objection`, or the Chinese name (`受理`, `裁定异议`).
    pub action: String,
    /// The reason, the answer's text, the report… (required by the actions that need one).
    pub note: Option<String>,
    /// assign / decide_objection: the lead department (code or Chinese name).
    pub lead: Option<String>,
    /// assign / decide_objection: cooperating departments (each entry may list several,
    /// separated by `,` `，` `、` `;`). For decide_objection, absent keeps the current ones.
    pub cooperating: Option<Vec<String>>,
    /// assign: the person in charge (责任人).
    pub handler: Option<String>,
    /// decide_objection: whether the objection is upheld (or say so in `decision`).
    pub upheld: Option<bool>,
    /// decide_objection: `upheld`/`成立` or `rejected`/`驳回`; review: `close`/`销号` or
    /// `redo`/`重办`.
    pub decision: Option<String>,
    /// request_extension: working days, 1 to 30.
    pub workdays: Option<u32>,
    /// answer: `resolved`/`已解决`, `explained`/`已解释`, `referred`/`已转办`.
    pub outcome: Option<String>,
    /// answer explained: `not_eligible` (`not-eligible`, `不符合政策条件`), … (default `other`).
    pub reason: Option<String>,
    /// answer referred: to whom.
    pub to: Option<String>,
    /// confirm: `satisfied`/`满意`, `basically_satisfied`/`基本满意`, `dissatisfied`/`不满意`.
    pub rating: Option<String>,
    /// open_consultation: participating departments (as `cooperating`).
    pub participants: Option<Vec<String>>,
    /// close_consultation: the minutes.
    pub minutes: Option<String>,
    /// close_consultation: the decisions, one per entry or per line.
    pub decisions: Option<Vec<String>>,
    /// The problem's version as read (its last event number): refused as stale otherwise.
    pub version: Option<u32>,
    /// Versions any of which the problem may be at (an HTTP `If-Match` list); `None`: any.
    #[serde(skip)]
    pub if_match: Option<Vec<u32>>,
    /// When it happened, if earlier than now (a record entered late: the CLI's `--at`); not
    /// in the future, not before the problem's last event.
    #[serde(skip)]
    pub at: Option<DateTime<FixedOffset>>,
}

/// A list of departments from entries that may each hold several.
fn split_list(v: &[String]) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split([',', '，', '、', ';', '；']).map(|x| x.trim().to_string()).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect()
}

fn required(field: &str, what: &str) -> Error {
    Error::Required { field: field.to_string(), what: what.to_string() }
}

impl ActionRequest {
    /// The domain command this request asks for: the one reading of action words and their
    /// data. A missing field or a word that is not one of the accepted ones is a bilingual
    /// error naming the field; texts are checked against their limits (docs/PROBLEMS.md).
    pub fn command(&self) -> Result<Command> {
        let kind = ActionKind::parse(&self.action).ok_or_else(|| Error::Invalid {
            field: "action".into(),
            value: self.action.clone(),
            reason: format!(
                "可用 / use one of: {}",
                handling::ALL_ACTIONS.iter().skip(1).map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?;
        let opt =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let action = match kind {
            ActionKind::Submit | ActionKind::Attach => {
                return Err(Error::Invalid {
                    field: "action".into(),
                    value: self.action.clone(),
                    reason: "提交问题与上传附件另有入口 / raising a problem and adding a file are separate requests"
                        .into(),
                });
            }
            ActionKind::Accept => Action::Accept,
            ActionKind::Assign => Action::Assign {
                lead: opt(&self.lead).ok_or_else(|| {
                    required("lead", "牵头部门（代码或名称；命令行 --department）/ the lead department, code or name (CLI: --department)")
                })?,
                cooperating: split_list(self.cooperating.as_deref().unwrap_or_default()),
                handler: text::clean_opt("handler", self.handler.as_deref(), NAME_MAX, Lines::One)?,
            },
            ActionKind::Object => Action::Object,
            ActionKind::DecideObjection => {
                let upheld = match (self.upheld, opt(&self.decision)) {
                    (Some(u), _) => u,
                    (None, Some(d)) => handling::parse_objection_decision(&d).map_err(|e| invalid("decision", &d, &e))?,
                    (None, None) => {
                        return Err(required("decision", "异议是否成立：upheld（成立）或 rejected（驳回）/ upheld or rejected"));
                    }
                };
                Action::DecideObjection {
                    upheld,
                    lead: opt(&self.lead),
                    cooperating: self.cooperating.as_deref().map(split_list),
                }
            }
            ActionKind::Return => Action::Return,
            ActionKind::Start => Action::Start,
            ActionKind::RequestInfo => Action::RequestInfo,
            ActionKind::SupplyInfo => Action::SupplyInfo,
            ActionKind::Report => Action::Report,
            ActionKind::RequestExtension => Action::RequestExtension {
                workdays: self.workdays.ok_or_else(|| {
                    required("workdays", "延期的工作日数，1–30（命令行 --days）/ working days, 1 to 30 (CLI: --days)")
                })?,
            },
            ActionKind::ApproveExtension => Action::ApproveExtension,
            ActionKind::RejectExtension => Action::RejectExtension,
            ActionKind::Escalate => Action::Escalate,
            ActionKind::OpenConsultation => {
                Action::OpenConsultation { participants: split_list(self.participants.as_deref().unwrap_or_default()) }
            }
            ActionKind::CloseConsultation => {
                let minutes = text::clean_opt("minutes", self.minutes.as_deref(), MINUTES_MAX, Lines::Many)?
                    .ok_or_else(|| required("minutes", "会商纪要 / the consultation's minutes"))?;
                let decisions: Vec<String> = self
                    .decisions
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .flat_map(|d| d.lines().map(str::to_string).collect::<Vec<_>>())
                    .map(|d| text::clean("decisions", &d, DECISION_MAX, Lines::One))
                    .filter(|d| d.as_ref().map_or(true, |d| !d.is_empty()))
                    .collect::<Result<_>>()?;
                if decisions.len() > DECISIONS_MAX {
                    return Err(Error::Invalid {
                        field: "decisions".into(),
                        value: decisions.len().to_string(),
                        reason: format!("最多 {DECISIONS_MAX} 条 / at most {DECISIONS_MAX}"),
                    });
                }
                Action::CloseConsultation { minutes, decisions }
            }
            ActionKind::Answer => {
                let word = opt(&self.outcome).ok_or_else(|| {
                    required("outcome", "答复结果：resolved（已解决）、explained（已解释）或 referred（已转办）/ resolved, explained or referred")
                })?;
                let to = text::clean_opt("to", self.to.as_deref(), NAME_MAX, Lines::One)?;
                let outcome = Outcome::parse(&word, self.reason.as_deref(), to.as_deref()).map_err(|e| match &e {
                    handling::HandlingError::BadValue { field: "to", .. } => {
                        required("to", "转办的单位 / the body it is referred to")
                    }
                    handling::HandlingError::BadValue { field, value, .. } => invalid(field, value, &e),
                    _ => invalid("outcome", &word, &e),
                })?;
                Action::Answer { outcome }
            }
            ActionKind::Confirm => {
                let r = opt(&self.rating).ok_or_else(|| {
                    required("rating", "评价：满意、基本满意或不满意 / satisfied, basically satisfied or dissatisfied")
                })?;
                Action::Confirm { rating: Rating::parse(&r).map_err(|e| invalid("rating", &r, &e))? }
            }
            ActionKind::Reopen => Action::Reopen,
            ActionKind::Review => {
                let d = opt(&self.decision)
                    .ok_or_else(|| required("decision", "审定：close（销号）或 redo（重办）/ close or redo"))?;
                Action::Review { decision: ReviewDecision::parse(&d).map_err(|e| invalid("decision", &d, &e))? }
            }
            ActionKind::Close => Action::Close,
            ActionKind::AutoCloseUnrated => Action::AutoCloseUnrated,
            ActionKind::Withdraw => Action::Withdraw,
        };
        let note = text::clean_opt("note", self.note.as_deref(), NOTE_MAX, Lines::Many)?;
        Ok(Command { action, note })
    }
}

/// Acts on a problem for `who`. The problem must be visible to them (else not found) and
/// theirs to act on ([`crate::authz`]); a `version` or `if_match` that is not the problem's
/// current version is refused as stale before the domain is asked, and checked again inside
/// the store's write, so of two actions sent against the same version exactly one lands. The
/// domain then decides: an action not legal now is a conflict, one the actor may not take is
/// forbidden.
#[tracing::instrument(skip(app, who, req), fields(user = %who.username, problem.id = id, action = %req.action))]
pub async fn act(app: &App, who: &Principal, id: i64, req: ActionRequest) -> Result<ProblemView> {
    let (rec, _, links) = load_visible(app, who, id).await?;
    authz::require(who, Do::Write, Resource::Problem { state: &rec.state, links: &links })?;
    let current = rec.state.seq;
    if req.version.is_some_and(|v| v != current)
        || req.if_match.as_ref().is_some_and(|m| !m.contains(&current))
    {
        return Err(Error::Stale);
    }
    let pinned = req.version.is_some() || req.if_match.is_some();
    let mut cmd = req.command()?;
    handling::check_departments(&mut cmd, &routing(app).await?)?;
    let now = app.now();
    let at = event_time(req.at, now)?;
    let actor = who.handling_actor();
    let rec = match pinned {
        true => app.store.record_transition_expecting(id, &cmd, &actor, at, now, current).await?,
        false => app.store.record_transition(id, &cmd, &actor, at, now).await?,
    };
    tracing::info!(problem.id = id, state = rec.state.state.as_str(), "problem acted on");
    let vis = authz::problem_visibility(who, &rec.state, &links);
    ProblemView::build(app, Reader::User(who), rec, vis, &links, now).await
}

/// The time of an event: now, or an earlier moment for a record entered late.
fn event_time(
    at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> Result<DateTime<FixedOffset>> {
    match at {
        Some(t) if t > now => Err(Error::Invalid {
            field: "at".into(),
            value: t.to_rfc3339(),
            reason: "晚于当前时间；只能补录已发生的事项 / it is in the future; only what already happened can be recorded"
                .into(),
        }),
        Some(t) => Ok(t),
        None => Ok(now),
    }
}

/// Closes every answer whose confirmation limit ended before `at` (default now) as unrated,
/// acting as the `system` principal (the scheduled job); returns how many.
#[tracing::instrument(skip(app))]
pub async fn sweep(app: &App, at: Option<DateTime<FixedOffset>>) -> Result<u64> {
    let now = app.now();
    let at = event_time(at, now)?;
    let filter = ProblemFilter { state: Some(handling::State::Answered), ..Default::default() };
    let mut ids = Vec::new();
    let mut offset = 0;
    loop {
        let (rows, total) = app.store.list_problems(&filter, Page::new(offset, Page::MAX_LIMIT)).await?;
        offset += rows.len() as u64;
        let empty = rows.is_empty();
        ids.extend(rows.into_iter().map(|r| r.id));
        if empty || offset >= total {
            break;
        }
    }
    let cmd = Command::new(Action::AutoCloseUnrated);
    let system = Principal::system().handling_actor();
    let mut n = 0;
    for id in ids {
        match app.store.record_transition(id, &cmd, &system, at, now).await {
            Ok(ProblemRecord { .. }) => n += 1,
            Err(store::problems::ProblemError::Handling(
                handling::HandlingError::NotYetUnconfirmed { .. }
                | handling::HandlingError::BeforeLastEvent { .. },
            )) => {}
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(closed = n, "unconfirmed answers closed as unrated");
    Ok(n)
}
