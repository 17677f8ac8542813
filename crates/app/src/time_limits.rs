//! The zone's time limits (办理时限) as a use case: shown (the rows pages and `huiqi
//! time-limits show` print, in Chinese or English) and set (checked by the handling crate's
//! parser and against the routing table, stored as the next version, put in use at once).
//! New problems are received under the current limits; each problem keeps the limits it was
//! received under, so a change never moves an existing deadline.
//!
//! Every signed-in role reads them (they are the rules problems are handled under); only
//! admins change them (`authz::Resource::TimeLimits`).

use crate::policy_docs::{self, DocumentView, Expected, Saved};
use crate::{App, Error, Principal, Result, authz};
use std::sync::Arc;
use store::documents::{DocumentKind, TIME_LIMITS_NAME};

/// A limit in words: `3 个工作日` / `3 working days`, `2 小时` / `2 hours`.
pub fn limit_text(l: handling::Limit, lang: i18n::Lang) -> String {
    match (l, lang) {
        (handling::Limit::Workdays(n), i18n::Lang::Zh) => format!("{n} 个工作日"),
        (handling::Limit::Workdays(1), i18n::Lang::En) => "1 working day".into(),
        (handling::Limit::Workdays(n), i18n::Lang::En) => format!("{n} working days"),
        (handling::Limit::Hours(n), i18n::Lang::Zh) => format!("{n} 小时"),
        (handling::Limit::Hours(1), i18n::Lang::En) => "1 hour".into(),
        (handling::Limit::Hours(n), i18n::Lang::En) => format!("{n} hours"),
    }
}

/// One line of the time limits as people read them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LimitRow {
    /// What the limit is for (a stage, or a problem category's answer).
    pub what: String,
    pub normal: String,
    /// The urgent limit; empty for limits without one.
    pub urgent: String,
}

/// The time limits as rows in one language; categories named from the routing table
/// (`default` is "the other categories").
pub fn limit_rows(
    t: &handling::TimeLimits,
    categories: &[enterprise::Category],
    lang: i18n::Lang,
) -> Vec<LimitRow> {
    let zh = lang == i18n::Lang::Zh;
    let pick = |a: &str, b: &str| if zh { a.to_string() } else { b.to_string() };
    let days = |n: u32| limit_text(handling::Limit::Workdays(n), lang);
    let mut rows = vec![LimitRow {
        what: pick("受理", "acceptance"),
        normal: limit_text(t.accept.normal, lang),
        urgent: limit_text(t.accept.urgent, lang),
    }];
    let name_of = |code: &str| match categories.iter().find(|c| c.code == code) {
        Some(c) if zh => c.name.clone(),
        Some(c) => c.en.clone(),
        None if code == "default" => pick("其他类别", "other categories"),
        None => code.to_string(),
    };
    for (code, by) in &t.accept_by_category {
        let name = name_of(code);
        rows.push(LimitRow {
            what: if zh {
                format!("受理·{name}（{code}）")
            } else {
                format!("acceptance, {name} ({code})")
            },
            normal: limit_text(by.normal, lang),
            urgent: limit_text(by.urgent, lang),
        });
    }
    for (code, by) in &t.answer {
        let name = name_of(code);
        rows.push(LimitRow {
            what: if zh { format!("答复·{name}（{code}）") } else { format!("answer, {name} ({code})") },
            normal: limit_text(by.normal, lang),
            urgent: limit_text(by.urgent, lang),
        });
    }
    for (what, value) in [
        (
            pick("黄牌预警：已用时限比例", "yellow warning: share of the time used"),
            format!("{}%", t.yellow_percent),
        ),
        (pick("部门异议（退回）期限", "a department may object within"), days(t.objection_workdays)),
        (pick("协办部门报送期限", "cooperating departments report within"), days(t.report_workdays)),
        (pick("企业确认期限（逾期视为未评价）", "the enterprise confirms within"), days(t.confirm_workdays)),
        (pick("每轮可批准延期次数", "extensions per handling round"), t.max_extensions_per_round.to_string()),
    ] {
        rows.push(LimitRow { what, normal: value, urgent: String::new() });
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Use cases

/// The time limits in use, with the stored document they come from and the problem
/// categories to name them by.
#[derive(Debug, Clone)]
pub struct TimeLimitsView {
    /// The stored document with its history; `None` while none is stored (the shipped
    /// limits are in use).
    pub document: Option<DocumentView>,
    pub limits: Arc<handling::TimeLimits>,
    pub categories: Vec<enterprise::Category>,
}

impl TimeLimitsView {
    /// The limits as rows in one language.
    pub fn rows(&self, lang: i18n::Lang) -> Vec<LimitRow> {
        limit_rows(&self.limits, &self.categories, lang)
    }
}

/// The time limits new problems are received under.
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn show(app: &App, who: &Principal) -> Result<TimeLimitsView> {
    authz::require(who, authz::Action::Read, authz::Resource::TimeLimits)?;
    let history = app.store.document_history(DocumentKind::TimeLimits, TIME_LIMITS_NAME).await?;
    Ok(TimeLimitsView {
        document: DocumentView::of(&history),
        limits: app.live.time_limits(),
        categories: app.store.categories_with_routing().await?,
    })
}

/// The database's current time limits, the shipped ones when none is stored: what problem
/// creation and a starting server use (no principal). A stored text that no longer parses
/// (it was checked when saved) is [`Error::InvalidTimeLimits`] naming its version, not a
/// silent fallback.
#[tracing::instrument(skip_all)]
pub async fn stored(store: &dyn store::Store) -> Result<handling::TimeLimits> {
    match store.current_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME).await? {
        None => Ok(handling::TimeLimits::defaults().clone()),
        Some(d) => handling::TimeLimits::parse(&d.body).map_err(|e| Error::InvalidTimeLimits {
            reason: format!("时限第 {v} 版无法解析 / version {v} does not parse: {e}", v = d.version),
        }),
    }
}

/// Parses and checks a time-limits text against the routing table.
#[tracing::instrument(skip_all)]
pub async fn check(app: &App, text: &str) -> Result<handling::TimeLimits> {
    let limits =
        handling::TimeLimits::parse(text).map_err(|e| Error::InvalidTimeLimits { reason: e.to_string() })?;
    let routing = enterprise::Routing {
        departments: app.store.departments().await?,
        categories: app.store.categories_with_routing().await?,
    };
    let unknown = limits.unknown_categories(&routing);
    if !unknown.is_empty() {
        let list = unknown.join(", ");
        return Err(Error::InvalidTimeLimits {
            reason: format!(
                "路由表中没有问题类别 {list}，请改用路由表中的类别代码或 default / the routing table has no problem \
                 category {list}: use its category codes or default"
            ),
        });
    }
    Ok(limits)
}

/// New time limits.
#[derive(Debug, Clone)]
pub struct SetTimeLimits {
    pub expected: Expected,
    /// The whole text (TOML, as `crates/handling/data/time_limits.toml`).
    pub text: String,
}

/// Stores new time limits (admins) as the next version after [`check`]; nothing is stored
/// on error ([`Error::InvalidTimeLimits`]) or over a newer version ([`Error::Stale`]).
#[tracing::instrument(skip(app, who, req), fields(user = %who.username))]
pub async fn set(app: &App, who: &Principal, req: SetTimeLimits) -> Result<Saved> {
    authz::require(who, authz::Action::Write, authz::Resource::TimeLimits)?;
    let _one_at_a_time = policy_docs::SAVING.lock().await;
    let limits = check(app, &req.text).await?;
    let expected = req.expected.resolve(app, DocumentKind::TimeLimits, TIME_LIMITS_NAME).await?;
    let written = app
        .store
        .put_document(DocumentKind::TimeLimits, TIME_LIMITS_NAME, expected, req.text, &who.stamp(app.now()))
        .await?;
    app.live.set_time_limits(limits);
    let saved = Saved { version: written.map(|d| d.version) };
    tracing::info!(version = saved.version, "time limits saved");
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_limits_read_in_chinese() {
        let t = handling::TimeLimits::defaults();
        let cats = enterprise::Routing::seed().categories.clone();
        let rows = limit_rows(t, &cats, i18n::Lang::Zh);
        assert_eq!(
            rows[0],
            LimitRow { what: "受理".into(), normal: "1 个工作日".into(), urgent: "2 小时".into() }
        );
        assert!(rows.iter().any(|r| r.what.contains("政策") && r.normal == "3 个工作日"), "{rows:?}");
        let en = limit_rows(t, &cats, i18n::Lang::En);
        assert_eq!(en[0].urgent, "2 hours");
    }
}
