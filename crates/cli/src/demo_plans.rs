//! The demo zone's 一企一对策 plans (三.7) and credit repair cases (三.16) (issue 15), around
//! the demo date (2022-12-30): five cultivation enterprises' plans made from diagnoses in
//! the summer, with measures in every status (some behind schedule on the demo date), a Q3
//! review on most, one plan without it (review overdue) and one closed; credit repair cases
//! at every step: one late for its training, one repaired, one refused with its reason. The
//! `qiye` enterprise has one plan and one case. Written through `app::plans` and
//! `app::credit_repair` on a clock moved through the days, as in production.

use app::credit_repair::{self as repair, AdvanceRequest, OpenRequest};
use app::plans::{self as uc, CreateRequest, MeasureInput, MeasureUpdate, ReviewRequest};
use app::{App, FixedClock, Principal};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use enterprise::UnifiedCreditCode;
use std::sync::Arc;

use crate::demo::DemoZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<FixedOffset> {
    let t = NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(10, 0, 0)).unwrap_or_default();
    store::china_offset().from_local_datetime(&t).single().unwrap_or_else(|| t.and_utc().fixed_offset())
}

fn m(title: &str, dept: &str, deadline: &str) -> MeasureInput {
    MeasureInput { title: title.into(), owner_department: dept.into(), deadline: deadline.into() }
}

/// A case's steps done, with their days.
type Steps<'a> = &'a [(&'a str, DateTime<FixedOffset>)];

const PROGRAMMES: [&str; 3] = ["倍增", "领跑", "高成长"];

/// Writes the demo plans and cases; (plans, cases).
pub async fn write(app: &App, zone: &DemoZone) -> anyhow::Result<(usize, usize)> {
    let clock = Arc::new(FixedClock::new(at(2022, 8, 10)));
    let app = app.clone().with_clock(clock.clone());
    let op = Principal::operator("demo");
    let qiye = zone.users.iter().find(|u| u.username == "qiye").and_then(|u| u.enterprise.clone());
    let mut firms: Vec<UnifiedCreditCode> = qiye.iter().cloned().collect();
    firms.extend(
        zone.records.iter().map(|r| r.enterprise.uscc.clone()).filter(|u| Some(u) != qiye.as_ref()).take(7),
    );
    let err = crate::app_error;
    let upd =
        |status: &str, note: &str| MeasureUpdate { status: status.into(), note: note.into(), version: None };

    let mut plans = 0;
    for (i, firm) in firms.iter().take(5).enumerate() {
        // The fifth plan started in May and missed its Q3 review.
        clock.set(if i == 4 { at(2022, 5, 10) } else { at(2022, 8, 10) });
        let p = uc::create(
            &app,
            &op,
            &CreateRequest {
                uscc: firm.to_string(),
                programme: PROGRAMMES[i % 3].into(),
                diagnosed_on: if i == 4 { "2022-05-06".into() } else { "2022-08-05".into() },
                experts: "湖南大学工商管理学院专家团队、园区产业服务中心".into(),
                findings: "主营业务增长稳定，但研发投入占比偏低、融资渠道单一、产能受厂房面积制约；\
                           建议围绕融资、研发费用加计扣除、用地报批和人才引进制定一企一对策。"
                    .into(),
                measures: vec![
                    m("对接科技金融产品，争取信用贷款", "sci_tech_finance", "2022-10-31"),
                    m("辅导申报研发费用加计扣除", "tax_bureau", "2022-11-30"),
                    m("协调厂房扩建用地报批", "administrative_approval", "2023-03-31"),
                    m("引进高端研发人才", "organization_personnel", "2022-12-15"),
                ],
            },
        )
        .await
        .map_err(err)?;
        let id = p.record.id;
        let ids: Vec<i64> = p.record.measures.iter().map(|x| x.id).collect();
        clock.set(at(2022, 9, 15));
        uc::update_measure(&app, &op, id, ids[0], &upd("in_progress", "已推荐三家银行的科技信用贷产品"))
            .await
            .map_err(err)?;
        if i != 4 {
            clock.set(at(2022, 9, 29));
            uc::review(
                &app,
                &op,
                id,
                &ReviewRequest {
                    conclusion: "三季度评估：融资对接进展顺利，其余措施按计划推进。".into(),
                    ..Default::default()
                },
            )
            .await
            .map_err(err)?;
        }
        clock.set(at(2022, 10, 20));
        uc::update_measure(&app, &op, id, ids[0], &upd("done", "获批信用贷款 500 万元"))
            .await
            .map_err(err)?;
        clock.set(at(2022, 11, 10));
        // Some tax measures done, the others behind on the demo date.
        if i % 2 == 0 {
            uc::update_measure(&app, &op, id, ids[1], &upd("done", "已完成加计扣除申报"))
                .await
                .map_err(err)?;
        } else {
            uc::update_measure(&app, &op, id, ids[1], &upd("in_progress", "资料收集中"))
                .await
                .map_err(err)?;
        }
        clock.set(at(2022, 12, 12));
        match i {
            1 => uc::update_measure(&app, &op, id, ids[3], &upd("dropped", "企业暂缓扩招，经评估取消")).await,
            2 => uc::update_measure(&app, &op, id, ids[3], &upd("done", "引进博士 2 名")).await,
            _ => uc::update_measure(&app, &op, id, ids[3], &upd("in_progress", "已对接人才市场")).await,
        }
        .map_err(err)?;
        uc::update_measure(&app, &op, id, ids[2], &upd("in_progress", "用地预审材料已报送"))
            .await
            .map_err(err)?;
        if i == 3 {
            clock.set(at(2022, 12, 20));
            uc::review(
                &app,
                &op,
                id,
                &ReviewRequest {
                    conclusion: "企业已纳入上市后备库，主要目标达成，方案结束。".into(),
                    close: true,
                    ..Default::default()
                },
            )
            .await
            .map_err(err)?;
        }
        plans += 1;
    }

    // Credit repair: the qiye enterprise's case has its training done; the others at every step.
    let kinds = ["经营异常", "行政处罚", "经营异常", "严重失信", "行政处罚", "经营异常", "其他"];
    // (recorded, steps done with their days; the last step refused or repaired)
    let cases: [(DateTime<FixedOffset>, Steps<'_>); 6] = [
        (at(2022, 12, 12), &[("training_attended", at(2022, 12, 16))]),
        (at(2022, 11, 1), &[]),
        (at(2022, 12, 22), &[]),
        (at(2022, 12, 5), &[("training_attended", at(2022, 12, 9)), ("commitment_signed", at(2022, 12, 14))]),
        (
            at(2022, 10, 10),
            &[
                ("training_attended", at(2022, 10, 17)),
                ("commitment_signed", at(2022, 10, 20)),
                ("application_submitted", at(2022, 10, 28)),
                ("repaired", at(2022, 12, 9)),
            ],
        ),
        (
            at(2022, 10, 12),
            &[
                ("training_attended", at(2022, 10, 17)),
                ("commitment_signed", at(2022, 10, 21)),
                ("application_submitted", at(2022, 11, 2)),
                ("refused", at(2022, 12, 2)),
            ],
        ),
    ];
    let mut n = 0;
    for (i, (opened, steps)) in cases.iter().enumerate() {
        let Some(firm) = firms.get(i) else { break };
        clock.set(*opened);
        let c = repair::open(
            &app,
            &op,
            &OpenRequest {
                uscc: firm.to_string(),
                source: "2022年疫情期间未按期公示年度报告被列入经营异常名录".into(),
                record_date: "2022-07-01".into(),
                kind: kinds[i].into(),
                conditions: "补报并公示年度报告；参加信用修复培训；签署信用承诺书；提交修复申请。".into(),
            },
        )
        .await
        .map_err(err)?;
        for (step, day) in steps.iter() {
            clock.set(*day);
            let reason = if *step == "refused" {
                "申请材料显示仍存在未履行的行政处罚决定，暂不符合修复条件"
            } else {
                ""
            };
            repair::advance(
                &app,
                &op,
                c.record.id,
                &AdvanceRequest { step: (*step).into(), on: None, reason: reason.into(), version: None },
            )
            .await
            .map_err(err)?;
        }
        n += 1;
    }
    Ok((plans, n))
}
