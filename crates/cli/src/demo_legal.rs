//! The demo zone's legal consultations (三.14 应急法律服务, issue 15), through 2022 up to the demo
//! date (2022-12-30): the lawyer team of the legal office (社会治安综合治理局) is the printed
//! login `lvshi` (王律师) and a second lawyer `lvshi02` (李律师, password `lvshi02-demo`);
//! consultations on the year's real questions (疫情期间合同履约, 员工隔离期间工资, 厂房租金减免,
//! 商标被仿冒, …) in every state: closed after the enterprise's confirmation, answered at once
//! on the hotline and closed when nobody confirmed, answered after a follow-up, answered and
//! awaiting confirmation, withdrawn, open and overdue (red on the demo date), open and in
//! time. Two answers became FAQs: one published after the content review by the second
//! lawyer, one in review. The `qiye` enterprise asked two of them. Written through
//! `app::legal` on a clock moved through the days, as in production.

use app::content::{self, ReviewStep};
use app::legal::{self as uc, AnswerRequest, AskRequest, AssignRequest, FaqRequest, ReplyRequest};
use app::{App, Clock, FixedClock, Principal};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use enterprise::UnifiedCreditCode;
use std::sync::Arc;
use store::users::NewUser;

use crate::demo::DemoZone;

/// The printed lawyer login (a department account of the legal office).
pub const LAWYER_LOGIN: &str = "lvshi";
/// The legal office: the lead of the routing category `legal` in the shipped routing.
pub const LEGAL_OFFICE: &str = "public_security_governance";
/// The second lawyer of the team.
const SECOND_LAWYER: &str = "lvshi02";

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
    let t = NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, 0, 0)).unwrap_or_default();
    store::china_offset().from_local_datetime(&t).single().unwrap_or_else(|| t.and_utc().fixed_offset())
}

fn enterprise_user(uscc: &UnifiedCreditCode, name: &str) -> Principal {
    Principal {
        username: name.into(),
        role: store::Role::Enterprise,
        enterprise: Some(uscc.clone()),
        department: None,
        display_name: name.into(),
    }
}

fn ask(topic: &str, question: &str) -> AskRequest {
    AskRequest { topic: topic.into(), question: question.into(), ..Default::default() }
}

fn answer(text: &str) -> AnswerRequest {
    AnswerRequest { answer: text.into(), version: None }
}

fn reply(action: &str, text: &str) -> ReplyRequest {
    ReplyRequest { action: action.into(), text: text.into(), version: None }
}

/// Asks (or takes down) a question; its id.
async fn asked(app: &App, who: &Principal, req: &AskRequest) -> anyhow::Result<i64> {
    Ok(uc::ask(app, who, req).await.map_err(crate::app_error)?.consultation.record.id)
}

/// Writes the demo consultations; (consultations, FAQs).
pub async fn write(app: &App, zone: &DemoZone) -> anyhow::Result<(usize, usize)> {
    let err = crate::app_error;
    let clock = Arc::new(FixedClock::new(at(2022, 4, 1, 9)));
    let app = app.clone().with_clock(clock.clone());
    app.store
        .create_user(&NewUser {
            username: SECOND_LAWYER.into(),
            role: store::Role::Department,
            password_hash: crate::user::hash_password(&format!("{SECOND_LAWYER}-demo"))?,
            enterprise: None,
            department: Some(LEGAL_OFFICE.into()),
            display_name: "李律师".into(),
            at: clock.now(),
        })
        .await?;
    let lvshi = app.principal(LAWYER_LOGIN).await.map_err(err)?;
    let li = app.principal(SECOND_LAWYER).await.map_err(err)?;
    let qiye_code = zone.users.iter().find(|u| u.username == "qiye").and_then(|u| u.enterprise.clone());
    let qiye = match &qiye_code {
        Some(_) => app.principal("qiye").await.map_err(err)?,
        None => anyhow::bail!("the demo zone has no qiye login"),
    };
    let firms: Vec<(UnifiedCreditCode, String)> = zone
        .records
        .iter()
        .filter(|r| r.enterprise.assistance_target() && Some(&r.enterprise.uscc) != qiye_code.as_ref())
        .take(5)
        .map(|r| (r.enterprise.uscc.clone(), r.enterprise.name.clone()))
        .collect();
    if firms.len() < 5 {
        anyhow::bail!("the demo zone has too few enterprises for the legal consultations");
    }
    let firm = |i: usize| enterprise_user(&firms[i].0, &format!("demo-legal-{i}"));
    let mut n = 0;
    let mut faqs = 0;

    // 1. Online, contract: answered the next day, confirmed; made an FAQ, published after the
    //    second lawyer's review.
    clock.set(at(2022, 4, 18, 10));
    let c1 = asked(
        &app,
        &qiye,
        &ask(
            "合同履约",
            "受疫情影响，我司原材料无法按期到货，导致不能按合同约定日期向客户交货。客户要求支付违约金，我司能否以不可抗力为由主张免责？",
        ),
    ).await?;
    n += 1;
    clock.set(at(2022, 4, 19, 15));
    uc::answer(
        &app,
        &lvshi,
        c1,
        &answer(
            "根据《民法典》第五百九十条，因不可抗力不能履行合同的，根据不可抗力的影响，部分或者全部免除责任。\
             疫情及防控措施可能构成不可抗力，但须证明其与不能按期履行之间存在因果关系；并应当及时通知对方，\
             以减轻可能给对方造成的损失，在合理期限内提供证明（如政府防控通知、物流停运证明）。建议尽快书面通知客户并协商变更交货期。",
        ),
    )
    .await
    .map_err(err)?;
    clock.set(at(2022, 4, 20, 9));
    uc::reply(&app, &qiye, c1, &reply("confirm", "已按建议书面通知客户，谢谢。")).await.map_err(err)?;
    clock.set(at(2022, 4, 21, 10));
    let faq = uc::make_faq(
        &app,
        &lvshi,
        c1,
        &FaqRequest {
            title: "疫情导致无法按期交货，能否以不可抗力主张免除违约责任？".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    let faq =
        content::review(&app, &lvshi, faq.id, faq.version, ReviewStep::Submit, "").await.map_err(err)?;
    content::review(&app, &li, faq.id, faq.version, ReviewStep::Approve, "").await.map_err(err)?;
    faqs += 1;

    // 2. Hotline, labour: answered by the lawyer on the phone; never confirmed, closed by the
    //    job; made an FAQ, in review.
    clock.set(at(2022, 5, 6, 14));
    let mut call = ask("招工用工", "员工被集中隔离或居家隔离期间，企业应当如何支付工资？能否安排其休年假？");
    call.uscc = firms[0].0.to_string();
    call.channel = "hotline".into();
    call.answer = "根据人社部等部门的通知，职工因被隔离不能提供正常劳动的，企业应当视同提供正常劳动并支付隔离期间的工资；\
                   隔离期满仍需停工停产的，按停工停产的规定支付。企业可与职工协商安排带薪年休假，但不得强制抵扣隔离期间。"
        .into();
    let c2 = asked(&app, &lvshi, &call).await?;
    n += 1;
    clock.set(at(2022, 5, 20, 9));
    uc::close_unconfirmed(&app).await.map_err(err)?;
    let faq = uc::make_faq(
        &app,
        &li,
        c2,
        &FaqRequest {
            title: "员工隔离期间，企业如何支付工资？".into(), ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    content::review(&app, &li, faq.id, faq.version, ReviewStep::Submit, "").await.map_err(err)?;
    faqs += 1;

    // 3. Online, trade: given to the second lawyer, answered, one follow-up, answered, confirmed.
    clock.set(at(2022, 6, 13, 9));
    let c3 = asked(
        &app,
        &firm(1),
        &ask("市场交易", "我司租用国有企业的厂房，疫情期间停产两个月，能否申请减免租金？需要准备哪些材料？"),
    )
    .await?;
    n += 1;
    uc::assign(&app, &lvshi, c3, &AssignRequest { lawyer: SECOND_LAWYER.into(), version: None })
        .await
        .map_err(err)?;
    clock.set(at(2022, 6, 14, 16));
    uc::answer(
        &app,
        &li,
        c3,
        &answer("承租国有企业房产的服务业小微企业和个体工商户，按规定可减免 2022 年 3 至 6 个月租金。请向出租方提交书面申请、营业执照及受疫情影响的说明。"),
    )
    .await
    .map_err(err)?;
    clock.set(at(2022, 6, 15, 10));
    uc::reply(&app, &firm(1), c3, &reply("follow_up", "我司属于制造业中型企业，是否也可以申请？"))
        .await
        .map_err(err)?;
    clock.set(at(2022, 6, 16, 11));
    uc::answer(
        &app,
        &li,
        c3,
        &answer("减免政策主要面向服务业小微企业和个体工商户；制造业中型企业可与出租方协商延期或分期支付，出租方自愿减免的可按规定享受房产税、城镇土地使用税减免。"),
    )
    .await
    .map_err(err)?;
    clock.set(at(2022, 6, 17, 9));
    uc::reply(&app, &firm(1), c3, &reply("confirm", "")).await.map_err(err)?;

    // 4. Online, trademarks: answered just before the demo date, awaiting confirmation.
    clock.set(at(2022, 12, 22, 10));
    let c4 = asked(&app, &firm(2), &ask("知识产权", "我司注册商标在电商平台被他人仿冒使用，应当如何维权？"))
        .await?;
    n += 1;
    clock.set(at(2022, 12, 26, 15));
    uc::answer(
        &app,
        &lvshi,
        c4,
        &answer("可先保全证据（公证购买、网页截图），向电商平台发起知识产权投诉下架；情节严重的可向市场监督管理局举报，或向人民法院提起侵权诉讼，请求停止侵权并赔偿损失。"),
    )
    .await
    .map_err(err)?;

    // 5. Online, other: withdrawn before an answer.
    clock.set(at(2022, 11, 14, 10));
    let c5 =
        asked(&app, &firm(3), &ask("其他", "企业计划注销，注销前需要处理哪些劳动合同和社保事项？")).await?;
    n += 1;
    clock.set(at(2022, 11, 15, 9));
    uc::reply(&app, &firm(3), c5, &reply("withdraw", "已咨询本公司常年法律顾问。")).await.map_err(err)?;

    // 6. Hotline, contract: given to the second lawyer, not answered: red on the demo date.
    clock.set(at(2022, 12, 23, 11));
    let mut call = ask("合同履约", "疫情期间签订的买卖合同，对方以疫情为由迟迟不付货款，诉讼时效如何计算？");
    call.uscc = firms[4].0.to_string();
    let c6 = asked(&app, &lvshi, &call).await?;
    n += 1;
    uc::assign(&app, &lvshi, c6, &AssignRequest { lawyer: SECOND_LAWYER.into(), version: None })
        .await
        .map_err(err)?;

    // 7. Online, labour: the day before the demo date, in time.
    clock.set(at(2022, 12, 29, 16));
    uc::ask(
        &app,
        &qiye,
        &ask("招工用工", "疫情期间员工居家办公，超出正常工作时间完成的工作能否认定为加班？加班费如何计算？"),
    )
    .await
    .map_err(err)?;
    n += 1;
    Ok((n, faqs))
}
