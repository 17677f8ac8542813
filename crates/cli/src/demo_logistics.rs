//! The demo zone's logistics watch (三.12 物流保通保畅, issue 15), around the demo date
//! (Friday 2022-12-30, 10:00): the officer `wuliu` (城管环保局) named in the zone setting
//! `logistics.officers`; profiles of most key enterprises (重点企业, the registry tag) with
//! the modes and routes a Changsha manufacturer uses (京港澳高速, 长株潭城际, 霞凝港, 黄花机场,
//! 中欧班列（长沙）…) and their linked cadre as watcher, the rest still without one; the `qiye`
//! enterprise's profile; obstruction reports of December in every state: closed after a
//! satisfied confirmation, answered within the hours, answered late, awaiting the enterprise's
//! information, in progress within its hours, one past its hours (red), and one just raised.
//! Written through `app::settings`, `app::logistics` and `app::problems` on a clock moved
//! through the days, as in production (so the officer and the watchers were told of each).

use app::logistics::{self as uc, ProfileRequest};
use app::policy_docs::Expected;
use app::problems::{ActionRequest, RaiseRequest};
use app::settings::SetSettings;
use app::{App, FixedClock, Principal};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use enterprise::UnifiedCreditCode;
use std::sync::Arc;

use crate::demo::DemoZone;

/// The printed login of the 物流保通保畅 officer.
pub const OFFICER_LOGIN: &str = "wuliu";
/// The department of the officer: the lead of the routing category `logistics`.
const OFFICE: &str = "urban_management_environment";

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<FixedOffset> {
    let t = NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, min, 0)).unwrap_or_default();
    store::china_offset().from_local_datetime(&t).single().unwrap_or_else(|| t.and_utc().fixed_offset())
}

/// Main mode, other modes, routes, by the industry code's first letters.
fn profile_of(industry: &str, k: usize) -> (&'static str, &'static str, &'static str) {
    const MACHINERY: [(&str, &str, &str); 2] = [
        (
            "公路",
            "铁路",
            "整机经京港澳高速发往广州、深圳；大件经长株潭城际货运通道至株洲；出口经中欧班列（长沙）霞凝货场",
        ),
        ("公路", "水运", "整机经京港澳、沪昆高速发往华东；大件经霞凝港水运至岳阳城陵矶港转上海"),
    ];
    const ELECTRONICS: [(&str, &str, &str); 2] = [
        ("航空", "快递", "芯片和模组经黄花机场货运站空运至深圳、上海；样品快递"),
        ("快递", "公路", "成品快递发往全国；原材料经京港澳高速自东莞、深圳整车运入"),
    ];
    match industry.get(..3).unwrap_or("") {
        "C34" | "C35" => MACHINERY[k % 2],
        "C39" => ELECTRONICS[k % 2],
        "C36" => {
            ("公路", "铁路", "汽车零部件经长株潭城际、京港澳高速 JIT 配送至整车厂；出口件经中欧班列（长沙）")
        }
        "C27" => ("航空", "快递", "冷链药品经黄花机场空运；药品配送经快递冷链发往全省"),
        "C26" => ("水运", "公路", "化工原料经霞凝港水运进港，危险品专用车辆经绕城高速运入"),
        "C38" => ("公路", "铁路", "电池模组经京港澳高速危险品运输至广东；储能柜经长沙北站铁路货场发往西北"),
        "G54" | "G59" => ("公路", "铁路、快递", "园区至长沙北站、霞凝货场短驳；京港澳、长张高速干线运输"),
        _ => ("公路", "", "经京港澳高速长沙段进出园区"),
    }
}

fn person(username: &str, role: store::Role, enterprise: Option<UnifiedCreditCode>) -> Principal {
    Principal {
        username: username.into(),
        role,
        enterprise,
        department: (role == store::Role::Department).then(|| OFFICE.to_string()),
        display_name: username.into(),
    }
}

fn act(action: &str) -> ActionRequest {
    ActionRequest { action: action.into(), ..Default::default() }
}

/// Writes the demo officer setting, profiles and reports; (profiles, reports).
pub async fn write(app: &App, zone: &DemoZone) -> anyhow::Result<(usize, usize)> {
    let clock = Arc::new(FixedClock::new(at(2022, 11, 1, 9, 0)));
    let app = app.clone().with_clock(clock.clone());
    let op = Principal::operator("demo");
    let err = crate::app_error;

    // The officer, named by the zone.
    let settings = app::settings::show(&app, &op).await.map_err(err)?.settings.with_values([
        ("logistics.officers", OFFICER_LOGIN),
        (
            "logistics.source",
            "长沙高新区物流保通保畅工作专班通知（演示）：城管环保局指定专员负责物流受阻问题的接收、协调和跟踪",
        ),
    ]);
    let settings = settings.map_err(err)?;
    app::settings::set(&app, &op, SetSettings { expected: Expected::Current, settings })
        .await
        .map_err(err)?;
    let officer = person(OFFICER_LOGIN, store::Role::Department, None);

    // Profiles: three in four key enterprises, and qiye's.
    let qiye = zone.users.iter().find(|u| u.username == "qiye").and_then(|u| u.enterprise.clone());
    let cadre_of = |u: &UnifiedCreditCode| {
        zone.links.iter().find(|(c, _)| c == u).and_then(|(_, l)| l.cadre.clone()).unwrap_or_default()
    };
    let key: Vec<&enterprise::EnterpriseRecord> = zone
        .records
        .iter()
        .filter(|r| r.enterprise.assistance_target() && r.enterprise.tags.contains(uc::KEY_TAG))
        .collect();
    let mut profiled: Vec<(UnifiedCreditCode, String)> = Vec::new();
    for (k, r) in key.iter().enumerate() {
        if k % 4 == 3 {
            continue;
        }
        let e = &r.enterprise;
        let industry = e.industry_code.as_ref().map(|c| c.to_string()).unwrap_or_default();
        let (main, others, routes) = profile_of(&industry, k);
        profiled.push((e.uscc.clone(), e.name.clone()));
        let req = ProfileRequest {
            uscc: e.uscc.to_string(),
            main_mode: main.into(),
            other_modes: others.into(),
            routes: routes.into(),
            watcher: cadre_of(&e.uscc),
        };
        uc::save_profile(&app, &officer, &req).await.map_err(err)?;
    }
    if let Some(q) = &qiye {
        let req = ProfileRequest {
            uscc: q.to_string(),
            main_mode: "公路".into(),
            other_modes: "快递".into(),
            routes: "原材料经京港澳高速自株洲、湘潭运入；成品经长株潭城际货运通道发往长沙北站".into(),
            watcher: cadre_of(q),
        };
        uc::save_profile(&app, &officer, &req).await.map_err(err)?;
    }
    let profiles = profiled.len() + usize::from(qiye.is_some());

    // Reports of December, each from a profiled enterprise, taken in on the hotline or raised by
    // the enterprise itself.
    struct Report {
        title: &'static str,
        urgent: bool,
        raised: DateTime<FixedOffset>,
        /// (action, note, when) in order.
        steps: &'static [(&'static str, &'static str, (u32, u32, u32))],
    }
    let reports = [
        Report {
            title: "京港澳高速长沙收费站货车排队超 3 小时，钢材无法进厂",
            urgent: false,
            raised: at(2022, 12, 5, 9, 10),
            steps: &[
                ("accept", "", (5, 9, 40)),
                ("assign", "", (5, 9, 45)),
                ("start", "", (5, 9, 50)),
                ("answer", "已协调高速交警开辟货车专用通道，车辆 14:30 全部进厂", (5, 15, 0)),
                ("confirm", "", (6, 10, 0)),
            ],
        },
        Report {
            title: "长沙北站铁路货场集装箱提箱延误，出口订单面临违约",
            urgent: false,
            raised: at(2022, 12, 12, 16, 0),
            steps: &[
                ("accept", "", (12, 16, 50)),
                ("assign", "", (12, 17, 0)),
                ("start", "", (12, 17, 5)),
                ("answer", "经与铁路货场协调，已安排次日优先提箱，并协助与客户沟通延期", (13, 19, 30)),
            ],
        },
        Report {
            title: "霞凝港危化品原料船期推迟，需协调临时堆存",
            urgent: false,
            raised: at(2022, 12, 19, 14, 0),
            steps: &[
                ("accept", "", (19, 14, 30)),
                ("assign", "", (19, 14, 35)),
                ("start", "", (19, 14, 40)),
                ("answer", "已协调港务公司在危化品专区临时堆存 5 天，费用按标准收取", (20, 10, 0)),
            ],
        },
        Report {
            title: "外地货车进长通行证办理受阻",
            urgent: false,
            raised: at(2022, 12, 28, 10, 0),
            steps: &[
                ("accept", "", (28, 10, 20)),
                ("assign", "", (28, 10, 25)),
                ("start", "", (28, 10, 30)),
                ("request_info", "请补充车辆号牌、司机健康码和货物清单", (28, 11, 0)),
            ],
        },
        Report {
            title: "黄花机场货运站芯片到港后滞留，急需提货",
            urgent: true,
            raised: at(2022, 12, 29, 15, 0),
            steps: &[("accept", "", (29, 15, 30)), ("assign", "", (29, 15, 35)), ("start", "", (29, 15, 40))],
        },
        Report {
            title: "长株潭城际货运通道施工封闭，配送车辆需绕行",
            urgent: false,
            raised: at(2022, 12, 30, 8, 30),
            steps: &[("accept", "", (30, 9, 0)), ("assign", "", (30, 9, 5)), ("start", "", (30, 9, 10))],
        },
        Report {
            title: "快递网点停收园区包裹，成品无法发出",
            urgent: false,
            raised: at(2022, 12, 30, 9, 20),
            steps: &[],
        },
    ];
    let mut written = 0;
    for (k, r) in reports.iter().enumerate() {
        // qiye's are the first (closed after its confirmation) and the last (raised just now by
        // itself); the others are key enterprises' calls to the hotline.
        let qiye_one = (k == 0 || k == reports.len() - 1) && qiye.is_some();
        let own = k == reports.len() - 1 && qiye.is_some();
        let uscc = match (qiye_one, &qiye, profiled.get(k % profiled.len().max(1))) {
            (true, Some(q), _) => q.clone(),
            (false, _, Some((u, _))) => u.clone(),
            _ => continue,
        };
        clock.set(r.raised);
        // The enterprise's linked cadre takes the call in (代录); the demo operator if none.
        let cadre = cadre_of(&uscc);
        let (who, channel) = if own {
            (person("qiye", store::Role::Enterprise, Some(uscc.clone())), None)
        } else if let Some(c) = zone.staff.iter().find(|s| !cadre.is_empty() && s.username == cadre) {
            let p = Principal {
                username: c.username.clone(),
                role: store::Role::Cadre,
                enterprise: None,
                department: c.department.clone(),
                display_name: c.display_name.clone(),
            };
            (p, Some("hotline".to_string()))
        } else {
            (op.clone(), Some("hotline".to_string()))
        };
        let view = app::problems::raise(
            &app,
            &who,
            RaiseRequest {
                enterprise: (!own).then(|| uscc.to_string()),
                category: uc::CATEGORY.into(),
                title: r.title.into(),
                description: format!("{}。企业来电反映，请城管环保局牵头协调。", r.title),
                channel,
                urgency: Some(if r.urgent { "urgent" } else { "normal" }.into()),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
        let id = view.id();
        for &(action, note, (d, h, m)) in r.steps {
            clock.set(at(2022, 12, d, h, m));
            let mut req = act(action);
            let who = match action {
                "confirm" => {
                    req.rating = Some("satisfied".into());
                    req.solved = Some("yes".into());
                    person("qiye", store::Role::Enterprise, Some(uscc.clone()))
                }
                _ => officer.clone(),
            };
            match action {
                "assign" => req.lead = Some(OFFICE.into()),
                "answer" => {
                    req.note = Some(note.into());
                    req.outcome = Some("resolved".into());
                }
                "request_info" => req.note = Some(note.into()),
                _ => {}
            }
            app::problems::act(&app, &who, id, req).await.map_err(err)?;
        }
        written += 1;
    }
    Ok((profiles, written))
}
