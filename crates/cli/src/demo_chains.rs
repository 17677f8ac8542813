//! The demo zone's supply chains (三.11) (issue 15), around the demo date (2022-12-30): the
//! machinery, electronics, auto-parts, materials and logistics enterprises on their chains
//! (工程机械, 电子信息, 新能源汽车, 新材料) with what they supply; supply demands in every
//! state: one open and behind (posted in December, no introduction by its due day), one
//! just posted, one introduced with an agreement, one with a refusal and a second supplier
//! still talking, one closed. The `qiye` enterprise has a position and a demand. Written
//! through `app::chains` on a clock moved through the days, as in production.

use app::chains::{
    self as uc, CloseRequest, DemandRequest, IntroduceRequest, OutcomeRequest, PositionRequest,
};
use app::{App, FixedClock, Principal};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use enterprise::UnifiedCreditCode;
use std::sync::Arc;

use crate::demo::DemoZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<FixedOffset> {
    let t = NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(10, 0, 0)).unwrap_or_default();
    store::china_offset().from_local_datetime(&t).single().unwrap_or_else(|| t.and_utc().fixed_offset())
}

/// Chain, position, what enterprises of an industry code prefix supply.
const CHAINS: &[(&str, &str, &str, &[&str])] = &[
    (
        "C34",
        "工程机械",
        "中游",
        &["液压油缸、液压泵及密封总成", "回转支承、减速机", "驾驶室钣金件、结构件焊接"],
    ),
    ("C39", "电子信息", "上游", &["贴片电阻电容、电子元器件", "PCB 线路板贴装", "传感器模组"]),
    ("C36", "新能源汽车", "上游", &["汽车线束、连接器", "铝合金压铸件", "电机控制器"]),
    ("C26", "新材料", "上游", &["环氧涂料、防腐涂料", "工程塑料粒子", "特种胶黏剂"]),
    ("C38", "新能源汽车", "上游", &["动力电池模组、储能电池"]),
    ("G54", "工程机械", "下游", &["整机公路运输、大件物流"]),
    ("M73", "电子信息", "中游", &["可靠性检测、EMC 电磁兼容检测"]),
];

/// Description, quantity, needed by, posted on.
type Demand<'a> = (&'a str, &'a str, &'a str, (i32, u32, u32));

const DEMANDS: &[Demand] = &[
    ("采购液压油缸及密封件，用于挖掘机动臂总成", "每月 200 套", "2023-03-31", (2022, 11, 7)),
    ("寻找本地 PCB 线路板贴装配套，替代外省供应", "每月 5 万片", "2023-02-28", (2022, 11, 21)),
    ("需要汽车线束和连接器的二级供应商", "年 10 万套", "2023-06-30", (2022, 12, 5)),
    ("防腐涂料就近配套，用于钢结构件", "每季度 30 吨", "2023-03-15", (2022, 12, 14)),
    ("大件整机公路运输服务，发往广东、广西", "每月 20 车次", "2023-01-31", (2022, 12, 28)),
    ("EMC 电磁兼容检测服务", "约 12 个型号", "2023-02-15", (2022, 10, 17)),
];

/// Writes the demo positions and demands; (positions, demands).
pub async fn write(app: &App, zone: &DemoZone) -> anyhow::Result<(usize, usize)> {
    let clock = Arc::new(FixedClock::new(at(2022, 9, 1)));
    let app = app.clone().with_clock(clock.clone());
    let op = Principal::operator("demo");
    let err = crate::app_error;
    let qiye = zone.users.iter().find(|u| u.username == "qiye").and_then(|u| u.enterprise.clone());

    // Positions: up to three enterprises per industry, each with its own products; qiye too.
    let mut positions = 0;
    let mut by_chain: Vec<(&str, UnifiedCreditCode)> = Vec::new();
    for (prefix, chain, position, supplies) in CHAINS {
        let firms = zone
            .records
            .iter()
            .filter(|r| {
                r.enterprise.industry_code.as_ref().is_some_and(|c| c.to_string().starts_with(prefix))
            })
            .map(|r| r.enterprise.uscc.clone())
            .filter(|u| Some(u) != qiye.as_ref())
            .take(supplies.len());
        for (firm, what) in firms.zip(supplies.iter()) {
            let req = PositionRequest {
                uscc: firm.to_string(),
                chain: (*chain).into(),
                position: (*position).into(),
                supplies: (*what).into(),
            };
            uc::save_position(&app, &op, &req).await.map_err(err)?;
            by_chain.push((chain, firm));
            positions += 1;
        }
    }
    if let Some(q) = &qiye {
        let req = PositionRequest {
            uscc: q.to_string(),
            chain: "工程机械".into(),
            position: "下游".into(),
            supplies: "小型挖掘机、装载机整机".into(),
        };
        uc::save_position(&app, &op, &req).await.map_err(err)?;
        positions += 1;
    }

    // Demands: qiye's first, then enterprises not on the chain they need.
    let mut demanders: Vec<UnifiedCreditCode> = qiye.iter().cloned().collect();
    demanders.extend(
        zone.records
            .iter()
            .map(|r| r.enterprise.uscc.clone())
            .filter(|u| Some(u) != qiye.as_ref() && !by_chain.iter().any(|(_, f)| f == u))
            .take(DEMANDS.len()),
    );
    let mut n = 0;
    for (i, ((description, quantity, needed_by, (y, m, d)), firm)) in
        DEMANDS.iter().zip(&demanders).enumerate()
    {
        clock.set(at(*y, *m, *d));
        let v = uc::post_demand(
            &app,
            &op,
            &DemandRequest {
                uscc: firm.to_string(),
                description: (*description).into(),
                quantity: (*quantity).into(),
                needed_by: (*needed_by).into(),
            },
        )
        .await
        .map_err(err)?;
        n += 1;
        let id = v.demand.record.id;
        let intro = |c: &uc::Candidate, note: &str| IntroduceRequest {
            supplier: c.uscc.clone(),
            note: note.into(),
            on: None,
            version: None,
        };
        let out = |introduction: i64, outcome: &str, note: &str| OutcomeRequest {
            introduction,
            outcome: outcome.into(),
            note: note.into(),
            version: None,
        };
        match i {
            // qiye's demand: its suppliers introduced, the first agreed.
            0 if !v.candidates.is_empty() => {
                clock.set(at(*y, *m, *d) + chrono::Duration::days(3));
                let mut last =
                    uc::introduce(&app, &op, id, &intro(&v.candidates[0], "经济发展局组织双方到厂考察"))
                        .await
                        .map_err(err)?;
                if let Some(c) = v.candidates.get(1) {
                    last = uc::introduce(&app, &op, id, &intro(c, "电话对接，已寄样")).await.map_err(err)?;
                }
                let first = last.demand.record.introductions[0].id;
                clock.set(at(*y, *m, *d) + chrono::Duration::days(21));
                uc::record_outcome(&app, &op, id, &out(first, "agreed", "签订年度供货框架协议"))
                    .await
                    .map_err(err)?;
            }
            // One refused, a second supplier still talking.
            1 | 2 if !v.candidates.is_empty() => {
                clock.set(at(*y, *m, *d) + chrono::Duration::days(2));
                let v = uc::introduce(&app, &op, id, &intro(&v.candidates[0], "产业链对接会现场洽谈"))
                    .await
                    .map_err(err)?;
                if i == 1 {
                    let first = v.demand.record.introductions[0].id;
                    clock.set(at(*y, *m, *d) + chrono::Duration::days(10));
                    uc::record_outcome(&app, &op, id, &out(first, "not_agreed", "交期无法满足"))
                        .await
                        .map_err(err)?;
                    if let Some(c) = v.candidates.get(1) {
                        uc::introduce(&app, &op, id, &intro(c, "推荐第二家供应企业")).await.map_err(err)?;
                    }
                }
            }
            // The October demand: introduced, agreed and closed.
            5 if !v.candidates.is_empty() => {
                clock.set(at(*y, *m, *d) + chrono::Duration::days(4));
                let v = uc::introduce(&app, &op, id, &intro(&v.candidates[0], "推荐园区检测机构"))
                    .await
                    .map_err(err)?;
                let first = v.demand.record.introductions[0].id;
                clock.set(at(*y, *m, *d) + chrono::Duration::days(20));
                uc::record_outcome(&app, &op, id, &out(first, "agreed", "已委托检测")).await.map_err(err)?;
                uc::close_demand(
                    &app,
                    &op,
                    id,
                    &CloseRequest { reason: "检测已委托，需求办结".into(), version: None },
                )
                .await
                .map_err(err)?;
            }
            // The others stay open: the 14 December one is behind on the demo date.
            _ => {}
        }
    }
    Ok((positions, n))
}
