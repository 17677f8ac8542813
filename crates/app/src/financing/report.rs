//! Financing's month on the leader's dashboard and its workbook (融资需求台账): read-only
//! views over the demands the use cases in the parent module keep.

use super::*;

/// The month's figures: demands posted, matched, loans granted; behind = demands past their
/// deadline without an outcome today.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MonthFigures {
    pub posted: u64,
    pub matched: u64,
    pub granted: u64,
    pub granted_amount: Decimal,
    pub behind: u64,
}

fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    (first, next.unwrap_or(first))
}

/// The figures of the month of `day` (officials who read KPIs, and the financing officers).
pub async fn month(app: &App, actor: &Principal, day: NaiveDate) -> Result<MonthFigures> {
    if !(is_officer(actor) || authz::authorize(actor, Action::Read, Resource::Kpi).is_allowed()) {
        return Err(Error::Forbidden);
    }
    let (from, before) = month_bounds(day);
    let posted = app
        .store
        .demands(&DemandFilter {
            posted_from: Some(from),
            posted_before: Some(before),
            limit: 100_000,
            ..Default::default()
        })
        .await?;
    let mut f = MonthFigures { posted: posted.len() as u64, ..Default::default() };
    f.matched = posted
        .iter()
        .filter(|d| matches!(d.state, DemandState::Matched | DemandState::Accepted | DemandState::Granted))
        .count() as u64;
    let granted = app
        .store
        .demands(&DemandFilter { states: vec![DemandState::Granted], limit: 100_000, ..Default::default() })
        .await?;
    for g in granted.iter().filter(|g| g.granted_on.is_some_and(|d| d >= from && d < before)) {
        f.granted += 1;
        f.granted_amount += g.granted_amount.unwrap_or_default();
    }
    let live = app
        .store
        .demands(&DemandFilter {
            states: vec![DemandState::Open, DemandState::Matched, DemandState::Accepted],
            limit: 100_000,
            ..Default::default()
        })
        .await?;
    // Behind is today's count (as the lights), whatever month is shown.
    let today = app.today();
    f.behind = live.iter().filter(|d| d.demand.deadline < today).count() as u64;
    Ok(f)
}

/// Financing's row of the leader's service-line table ([`crate::service_lines`]).
pub async fn kpis(app: &App, actor: &Principal, day: NaiveDate) -> Result<Vec<ServiceLineKpi>> {
    let f = month(app, actor, day).await?;
    Ok(vec![ServiceLineKpi {
        clause: "三.5",
        name_zh: "融资对接".to_string(),
        figures: vec![
            Figure { label_zh: "本月融资需求（笔）", value: f.posted },
            Figure { label_zh: "已匹配（笔）", value: f.matched },
            Figure { label_zh: "本月放款（笔）", value: f.granted },
        ],
        behind: f.behind,
        href: Some("/financing"),
    }])
}

/// The demands workbook (融资需求台账): one sheet of demands with their lights and outcomes,
/// one of every match, one of every response. Officers and institutions (their scope).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn workbook(app: &App, actor: &Principal, f: &ListFilter) -> Result<Vec<u8>> {
    if actor.role == Role::Enterprise {
        return Err(Error::Forbidden);
    }
    let scope = scope(app, actor).await?;
    let views = list(app, actor, f).await?;
    let mut demands = excel::Sheet::new(
        "融资需求",
        &[
            "编号",
            "统一社会信用代码",
            "企业名称",
            "类型",
            "金额（元）",
            "期限（月）",
            "用途",
            "紧急程度",
            "来源",
            "状态",
            "办理环节",
            "提交时间",
            "办结期限",
            "亮灯",
            "放款金额（元）",
            "放款日期",
            "关闭原因",
        ],
    );
    let mut matches =
        excel::Sheet::new("匹配结果", &["需求编号", "金融机构", "产品", "结果", "缺少数据", "说明"]);
    let mut responses = excel::Sheet::new(
        "机构反馈",
        &["需求编号", "类型", "金融机构", "产品", "原因/说明", "金额（元）", "日期", "经办人", "时间"],
    );
    let n = |v: i64| excel::Cell::Int(v);
    let money = |d: Option<Decimal>| d.map_or(excel::Cell::Empty, excel::Cell::Money);
    for v in &views {
        let r = &v.record;
        demands.push(vec![
            n(r.id),
            r.uscc.clone().into(),
            r.enterprise_name.clone().into(),
            v.kind_zh.into(),
            money(Some(r.demand.amount)),
            n(i64::from(r.demand.term_months)),
            r.demand.purpose.clone().into(),
            v.urgency_zh.into(),
            v.channel_zh.into(),
            v.state_zh.into(),
            v.step_zh.unwrap_or("").into(),
            excel::Cell::DateTime(r.created_at.naive_local()),
            excel::Cell::Date(r.demand.deadline),
            match v.light {
                Warning::Red => "红灯（逾期）",
                Warning::Yellow => "黄灯（临期）",
                Warning::None => "",
            }
            .into(),
            money(r.granted_amount),
            r.granted_on.map_or(excel::Cell::Empty, excel::Cell::Date),
            r.close_reason.clone().into(),
        ]);
        for m in app.store.matches_of(r.id).await? {
            if let Scope::Institution(i) = &scope
                && &m.institution != i
            {
                continue;
            }
            matches.push(vec![
                n(r.id),
                m.institution.into(),
                m.product_name.into(),
                (if m.m.matched { "符合" } else { "待补充数据" }).into(),
                m.m.missing.join("、").into(),
                m.m.explanation.into(),
            ]);
        }
        for x in app.store.responses_of(r.id).await? {
            if let Scope::Institution(i) = &scope
                && &x.response.institution != i
            {
                continue;
            }
            let kind = match x.response.step {
                Some(s) => s.label_zh(),
                None => x.response.kind.label_zh(),
            };
            responses.push(vec![
                n(r.id),
                kind.into(),
                x.response.institution.into(),
                x.response.product_id.unwrap_or_default().into(),
                x.response.reason.into(),
                money(x.response.amount),
                x.response.on.map_or(excel::Cell::Empty, excel::Cell::Date),
                x.responded_by.into(),
                excel::Cell::DateTime(x.responded_at.naive_local()),
            ]);
        }
    }
    let mut wb = excel::Workbook::new("融资需求台账", app.now().naive_local());
    wb.sheets.extend([demands, matches, responses]);
    wb.to_bytes().map_err(Error::internal)
}
