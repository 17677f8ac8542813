//! The problem ledger (问题台账): every problem and its handling as a workbook with the three
//! lists as sheets — 问题清单 (the problems), 责任清单 (who is responsible, by when), 销号清单
//! (the closed ones, with how each was closed — confirmed by the enterprise, closed without
//! confirmation, by a supervisor's review — and the enterprise's own answer whether it was
//! solved) — and a sheet 说明 saying where the time limits come from (zone settings) and how
//! 解决率 reads the closures, for `GET /api/v1/ledger.xlsx` and `huiqi ledger export` alike.
//! Confidential problems never show their title or description in the ledger, whoever
//! downloads it. The workbook's creation time is the last event's, so the same data gives the
//! same file; any stored text fits (the `excel` crate cuts a text too long for a cell and keeps
//! it whole on a sheet of its own).

use chrono::{DateTime, FixedOffset};
use excel::{Cell, Sheet, Workbook};
use handling::{ClosureKind, Outcome, ProblemState, Rating};
use std::collections::BTreeMap;
use store::problems::{ProblemFilter, ProblemRow};
use store::{Page, Store};

use super::show::Reader;
use crate::authz::{self, Action, Resource};
use crate::{App, Result};

/// The ledger of every problem for a reader (leaders, supervisors and admins; the operator at
/// the command line), lights judged at `as_of` (default now): the workbook and how many
/// problems it lists.
#[tracing::instrument(skip(app, reader))]
pub async fn ledger(
    app: &App,
    reader: Reader<'_>,
    as_of: Option<DateTime<FixedOffset>>,
) -> Result<(Workbook, usize)> {
    if let Reader::User(p) = reader {
        authz::require(p, Action::Read, Resource::Supervision)?;
    }
    let as_of = as_of.unwrap_or_else(|| app.now());
    let problems = load_all(app.store.as_ref()).await?;
    let mut names = LedgerNames::load(app.store.as_ref()).await?;
    names.limits_label = app.live.settings().time_limits_label(i18n::Lang::Zh);
    Ok((ledger_workbook(&problems, &names, as_of), problems.len()))
}

/// Every problem: its list row and its replayed state, by number.
async fn load_all(store: &dyn Store) -> Result<Vec<(ProblemRow, ProblemState)>> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) =
            store.list_problems(&ProblemFilter::default(), Page::new(offset, Page::MAX_LIMIT)).await?;
        offset += page.len() as u64;
        let empty = page.is_empty();
        rows.extend(page);
        if empty || offset >= total {
            break;
        }
    }
    let mut states: BTreeMap<i64, ProblemState> = BTreeMap::new();
    let cals = store.calendars().await?;
    for (id, events) in store.all_event_logs_for_period(None).await? {
        states.insert(id, handling::replay(&events, cals.as_ref())?);
    }
    Ok(rows.into_iter().filter_map(|r| states.remove(&r.id).map(|s| (r, s))).collect())
}

/// Names shown in sheets.
pub struct LedgerNames {
    pub departments: BTreeMap<String, String>,
    pub categories: BTreeMap<String, String>,
    /// Where the time limits come from (a zone setting, with its source), on the sheet 说明.
    pub limits_label: String,
}

impl LedgerNames {
    pub async fn load(store: &dyn Store) -> Result<LedgerNames, store::StoreError> {
        Ok(LedgerNames {
            departments: store.departments().await?.into_iter().map(|d| (d.code, d.name)).collect(),
            categories: store
                .categories_with_routing()
                .await?
                .into_iter()
                .map(|c| (c.code, c.name))
                .collect(),
            limits_label: crate::settings::ZoneSettings::default().time_limits_label(i18n::Lang::Zh),
        })
    }
    pub fn dept(&self, code: &str) -> String {
        self.departments.get(code).cloned().unwrap_or_else(|| code.to_string())
    }
    pub fn depts(&self, codes: &[String]) -> String {
        codes.iter().map(|c| self.dept(c)).collect::<Vec<_>>().join("、")
    }
    pub fn category(&self, code: &str) -> String {
        self.categories.get(code).cloned().unwrap_or_else(|| code.to_string())
    }
}

fn local(t: DateTime<FixedOffset>) -> Cell {
    Cell::DateTime(t.with_timezone(&store::china_offset()).naive_local())
}

fn warning_zh(w: handling::Warning) -> &'static str {
    match w {
        handling::Warning::None => "正常",
        handling::Warning::Yellow => "黄灯",
        handling::Warning::Red => "红灯",
    }
}

fn channel_zh(c: handling::Channel) -> &'static str {
    match c {
        handling::Channel::SelfService => "企业自助",
        handling::Channel::Visit => "走访",
        handling::Channel::Hotline => "热线",
        handling::Channel::Meeting => "座谈会议",
        handling::Channel::ServiceRecords => "服务台账",
    }
}

fn outcome_zh(o: &Outcome) -> String {
    match o {
        Outcome::Resolved => "已解决".into(),
        Outcome::Explained { .. } => "已解释".into(),
        Outcome::Referred { to } => format!("已转办（{to}）"),
    }
}

fn rating_zh(r: Option<Rating>) -> &'static str {
    match r {
        Some(Rating::Satisfied) => "满意",
        Some(Rating::BasicallySatisfied) => "基本满意",
        Some(Rating::Dissatisfied) => "不满意",
        None => "未评价",
    }
}

fn closure_zh(k: ClosureKind) -> &'static str {
    match k {
        ClosureKind::Confirmed => "企业确认",
        ClosureKind::Unrated => "逾期未确认办结",
        ClosureKind::SupervisorReview => "督查审定",
    }
}

/// The ledger workbook of the given problems (each its list row and replayed state), lights
/// judged at `as_of`: the one mapping from problems to the three sheets.
pub fn ledger_workbook(
    problems: &[(ProblemRow, ProblemState)],
    names: &LedgerNames,
    as_of: DateTime<FixedOffset>,
) -> Workbook {
    let created = problems
        .iter()
        .map(|(_, s)| s.last_at)
        .max()
        .map(|t| t.with_timezone(&store::china_offset()).naive_local())
        .unwrap_or_default();
    let mut wb = Workbook::new("问题台账", created);
    let mut list = Sheet::new(
        "问题清单",
        &[
            "编号",
            "企业名称",
            "统一社会信用代码",
            "渠道",
            "类别",
            "标题",
            "问题描述",
            "紧急程度",
            "商业秘密",
            "收到时间",
            "状态",
            "预警",
        ],
    );
    let mut resp = Sheet::new(
        "责任清单",
        &[
            "编号",
            "标题",
            "牵头部门",
            "配合部门",
            "责任人",
            "受理期限",
            "答复期限",
            "延期（工作日）",
            "督办次数",
            "办理轮次",
            "状态",
            "预警",
        ],
    );
    let mut closed = Sheet::new(
        "销号清单",
        &[
            "编号",
            "标题",
            "牵头部门",
            "答复结果",
            "答复时间",
            "按时答复",
            "销号时间",
            "销号方式",
            "企业评价",
            "企业答复是否解决",
            "办理轮次",
        ],
    );
    for (row, s) in problems {
        let d = handling::deadlines(s);
        let state = handling::state_name(s.state, i18n::Lang::Zh);
        let light = warning_zh(handling::warning(s, as_of));
        let p = &s.problem;
        list.push(vec![
            Cell::Int(row.id),
            row.enterprise_name.clone().into(),
            p.enterprise.to_string().into(),
            channel_zh(p.channel).into(),
            names.category(&p.category).into(),
            if p.confidential { "（商业秘密）".into() } else { p.title.clone().into() },
            if p.confidential { Cell::Empty } else { p.description.clone().into() },
            if p.urgency == handling::Urgency::Urgent { "紧急".into() } else { "一般".into() },
            if p.confidential { "是".into() } else { "否".into() },
            local(p.received_at),
            state.clone().into(),
            light.into(),
        ]);
        resp.push(vec![
            Cell::Int(row.id),
            if p.confidential { "（商业秘密）".into() } else { p.title.clone().into() },
            names.dept(&s.lead).into(),
            names.depts(&s.cooperating).into(),
            s.handler.clone().into(),
            d.accept_by.to_string().into(),
            d.answer_by.to_string().into(),
            Cell::Int(i64::from(s.extension_workdays)),
            Cell::Int(i64::from(s.escalations)),
            Cell::Int(i64::from(s.round)),
            state.into(),
            light.into(),
        ]);
        if let Some(c) = s.closure() {
            let last = s.last_answer();
            closed.push(vec![
                Cell::Int(row.id),
                if p.confidential { "（商业秘密）".into() } else { p.title.clone().into() },
                names.dept(&c.department).into(),
                c.outcome.as_ref().map(outcome_zh).into(),
                last.map(|a| local(a.at)).unwrap_or(Cell::Empty),
                last.map(|a| if a.on_time { "是" } else { "否" }).into(),
                local(c.at),
                closure_zh(c.kind).into(),
                rating_zh(c.rating).into(),
                match s.enterprise_says_solved() {
                    Some(true) => "已解决",
                    Some(false) => "未解决",
                    None => "未答复",
                }
                .into(),
                Cell::Int(i64::from(s.round)),
            ]);
        }
    }
    let mut notes = Sheet::new("说明", &["项目", "说明"]);
    notes.push(vec!["办理时限".into(), names.limits_label.clone().into()]);
    notes.push(vec![
        "销号方式".into(),
        "企业确认：企业评价满意或基本满意后销号；逾期未确认办结：答复后企业在确认期限内未确认，系统办结，与企业确认销号分开统计，督查按比例抽查回访；督查审定：二次不满意后督查审定销号".into(),
    ]);
    notes.push(vec![
        "企业答复是否解决".into(),
        "企业回访时本人对“问题是否已经解决”的回答（确认时或督查抽查回访时）；解决率以此计算，不以部门的答复结果为准；未答复的不计为已解决".into(),
    ]);
    wb.sheets = vec![list, resp, closed, notes];
    wb
}
