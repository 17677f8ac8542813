//! Legal consultations (三.14) of issue 15 over a real store (SQLite always; PostgreSQL when
//! `HUIQI_TEST_PG_URL` is set): an enterprise asks online on a Friday before a 调休 Saturday
//! and the answer falls due on the Monday; the legal office gives it to a lawyer, who
//! answers within the limit; the enterprise confirms. A hotline call answered by the lawyer is
//! recorded answered at once; an unanswered one turns red past its due point and counts as
//! behind on the leader's dashboard; an answer becomes an FAQ linked from the consultation;
//! another enterprise sees nothing; too long a question is refused whole, in both languages.

use app::legal::{self, AnswerRequest, AskRequest, AssignRequest, FaqRequest, ListQuery, ReplyRequest};
use app::settings::SetSettings;
use app::{App, Error, FixedClock, Principal};
use chrono::{DateTime, NaiveDate};
use enterprise::UnifiedCreditCode;
use i18n::Localized;
use services::legal::Action;
use std::sync::Arc;
use store::users::NewUser;
use store::{Role, Store};

const OFFICE: &str = "public_security_governance";

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn enterprise(uscc: &UnifiedCreditCode) -> Principal {
    Principal {
        username: format!("qiye{}", &uscc.to_string()[10..]),
        role: Role::Enterprise,
        enterprise: Some(uscc.clone()),
        department: None,
        display_name: "企业".into(),
    }
}

fn official(name: &str, role: Role, department: Option<&str>) -> Principal {
    Principal {
        username: name.into(),
        role,
        enterprise: None,
        department: department.map(String::from),
        display_name: name.into(),
    }
}

async fn office_user(app: &App, name: &str, display: &str) -> Principal {
    app.store
        .create_user(&NewUser {
            username: name.into(),
            role: Role::Department,
            password_hash: "x".into(),
            enterprise: None,
            department: Some(OFFICE.into()),
            display_name: display.into(),
            at: app.now(),
        })
        .await
        .unwrap();
    official(name, Role::Department, Some(OFFICE))
}

fn ask(question: &str, topic: &str) -> AskRequest {
    AskRequest { topic: topic.into(), question: question.into(), ..Default::default() }
}

async fn consultations_from_question_to_faq(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 4).await;
    // Friday 2022-05-06; Saturday 7 May is a working day (调休 for 劳动节).
    let clock = Arc::new(FixedClock::new(at("2022-05-06T10:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push((row.enterprise.uscc.clone(), row.enterprise.name.clone()));
        Ok(())
    })
    .await
    .unwrap();
    let ((maker, maker_name), (other, _)) = (codes[0].clone(), codes[1].clone());
    let lvshi = office_user(&app, "lvshi", "王律师").await;
    let zongzhi = office_user(&app, "zongzhi", "综治局经办").await;
    let admin = official("admin", Role::Admin, None);
    let leader = official("lingdao", Role::Leader, None);
    let jingfa = official("jingfa", Role::Department, Some("economic_development"));
    // The team is lvshi only: zongzhi takes calls and assigns but does not answer.
    let mut settings = (*app.live.settings()).clone();
    settings.legal.lawyers = "lvshi".into();
    app::settings::set(&app, &admin, SetSettings { expected: app::policy_docs::Expected::Current, settings })
        .await
        .unwrap();
    assert_eq!(
        legal::team(&app).await.unwrap().iter().map(|l| l.username.as_str()).collect::<Vec<_>>(),
        ["lvshi"]
    );

    // Too long a question: 400, both languages, nothing stored.
    let e = legal::ask(&app, &enterprise(&maker), &ask(&"合".repeat(2001), "contract")).await.unwrap_err();
    assert!(matches!(&e, Error::TooLong { field, limit: 2000, actual: 2001 } if field == "question"));
    assert_eq!(e.kind(), app::ErrorKind::BadRequest);
    let text = e.bilingual();
    assert!(text.contains("question") && text.contains("2000") && text.is_char_boundary(0), "{text}");
    assert!(
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) && text.contains("characters"),
        "{text}"
    );
    assert!(matches!(
        legal::ask(&app, &enterprise(&maker), &ask("疫情期间无法按期交货，是否构成违约？", "税务")).await,
        Err(Error::Invalid { field, .. }) if field == "topic"
    ));
    assert!(app.store.consultations(&Default::default()).await.unwrap().is_empty());

    // Online: the enterprise asks, naming itself in the question.
    let q = format!("{maker_name}受疫情影响无法按期向客户交货，对方要求支付违约金，能否以不可抗力免责？");
    let c = legal::ask(&app, &enterprise(&maker), &ask(&q, "合同履约")).await.unwrap();
    let id = c.consultation.record.id;
    let r = &c.consultation.record;
    assert_eq!(
        (r.channel.label_zh(), r.state.label_zh(), c.consultation.topic_zh),
        ("线上", "待答复", "合同履约")
    );
    assert_eq!(
        r.due_at,
        at("2022-05-09T23:59:59+08:00"),
        "two working days after Friday: Saturday (调休) and Monday"
    );
    assert_eq!(c.actions, vec![Action::Withdraw], "the enterprise may withdraw it, nothing else");
    assert_eq!(c.consultation.time_left_zh, "还剩 3 天 13 小时");

    // Another enterprise neither sees it nor lists it; another department may not list.
    assert!(matches!(
        legal::show(&app, &enterprise(&other), id).await,
        Err(Error::ConsultationNotFound { .. })
    ));
    assert!(legal::list(&app, &enterprise(&other), &ListQuery::default()).await.unwrap().is_empty());
    assert!(matches!(legal::list(&app, &jingfa, &ListQuery::default()).await, Err(Error::Forbidden)));
    assert!(matches!(legal::show(&app, &jingfa, id).await, Err(Error::ConsultationNotFound { .. })));
    assert!(matches!(
        legal::reply(
            &app,
            &enterprise(&other),
            id,
            &ReplyRequest { action: "withdraw".into(), ..Default::default() }
        )
        .await,
        Err(Error::ConsultationNotFound { .. })
    ));

    // The office gives it to the lawyer; not to someone off the team; only the office assigns.
    let to = |l: &str| AssignRequest { lawyer: l.into(), version: None };
    assert!(matches!(
        legal::assign(&app, &zongzhi, id, &to("zongzhi")).await,
        Err(Error::Invalid { field, .. }) if field == "lawyer"
    ));
    assert!(matches!(legal::assign(&app, &leader, id, &to("lvshi")).await, Err(Error::Forbidden)));
    let v = legal::assign(&app, &zongzhi, id, &to("lvshi")).await.unwrap();
    assert_eq!(v.consultation.lawyer_name, "王律师");
    assert!(matches!(
        legal::answer(&app, &zongzhi, id, &AnswerRequest { answer: "x".into(), version: None }).await,
        Err(Error::Forbidden)
    ));
    assert_eq!(legal::show(&app, &lvshi, id).await.unwrap().actions, vec![Action::Assign, Action::Answer]);
    // A stale version is refused.
    assert!(matches!(
        legal::answer(&app, &lvshi, id, &AnswerRequest { answer: "答".into(), version: Some(1) }).await,
        Err(Error::Store(store::StoreError::DocumentConflict { .. }))
    ));

    // Monday: the lawyer answers within the limit; the enterprise confirms.
    clock.set(at("2022-05-09T16:00:00+08:00"));
    let answer = "根据民法典第五百九十条，因不可抗力不能履行合同的，根据不可抗力的影响部分或者全部免除责任，但应当及时通知对方并在合理期限内提供证明。";
    let v = legal::answer(&app, &lvshi, id, &AnswerRequest { answer: answer.into(), version: None })
        .await
        .unwrap();
    assert_eq!(v.consultation.record.answered_in_time, Some(true));
    assert_eq!(v.consultation.record.confirm_by, Some(d("2022-05-16")), "5 working days to confirm");
    let mine = legal::show(&app, &enterprise(&maker), id).await.unwrap();
    assert_eq!(mine.consultation.record.answer, answer);
    assert_eq!(mine.actions, vec![Action::Confirm, Action::FollowUp]);
    let v = legal::reply(
        &app,
        &enterprise(&maker),
        id,
        &ReplyRequest { action: "confirm".into(), text: "清楚了，谢谢".into(), version: None },
    )
    .await
    .unwrap();
    assert_eq!(v.consultation.state_zh, "已办结");
    assert!(v.actions.is_empty());

    // Hotline: the office takes a call for the other enterprise; the lawyer taking a call
    // records the answer at once; an official may not ask "online"; an enterprise may not
    // take down a call.
    let mut call = ask("员工被隔离期间，工资应当如何支付？", "labour");
    call.uscc = other.to_string();
    call.channel = "hotline".into();
    let mut online = call.clone();
    online.channel = "online".into();
    assert!(
        matches!(legal::ask(&app, &zongzhi, &online).await, Err(Error::Invalid { field, .. }) if field == "channel")
    );
    assert!(matches!(legal::ask(&app, &jingfa, &call).await, Err(Error::Forbidden)));
    let mut answered = call.clone();
    answered.answer = "隔离期间视为提供正常劳动，应当支付正常工资。".into();
    assert!(matches!(
        legal::ask(&app, &zongzhi, &answered).await,
        Err(Error::Invalid { field, .. }) if field == "answer"
    ));
    let h = legal::ask(&app, &lvshi, &answered).await.unwrap();
    assert_eq!((h.consultation.channel_zh, h.consultation.state_zh), ("热线", "已答复"));
    assert_eq!(h.consultation.record.lawyer.as_deref(), Some("lvshi"));

    // Taken down, not answered: past its due point it is red, and behind on the dashboard.
    let late = legal::ask(&app, &zongzhi, &call).await.unwrap().consultation.record.id;
    clock.set(at("2022-05-12T09:00:00+08:00"));
    let red = legal::list(&app, &zongzhi, &ListQuery { overdue: true, ..Default::default() }).await.unwrap();
    assert_eq!(red.iter().map(|v| v.record.id).collect::<Vec<_>>(), vec![late]);
    assert_eq!(red[0].warning, handling::Warning::Red);
    assert!(red[0].time_left_zh.starts_with("已逾期"), "{}", red[0].time_left_zh);
    let rows = app::service_lines::dashboard(&app, &leader, d("2022-05-12")).await.unwrap();
    let row = rows.iter().find(|r| r.clause == "三.14").unwrap();
    let figures: Vec<u64> = row.figures.iter().map(|f| f.value).collect();
    assert_eq!((figures, row.behind), (vec![3, 2, 1, 0], 1));

    // The office turns the first answer into an FAQ: proposed without the enterprise's name,
    // refused if the edit names it again; linked; it then awaits the content review.
    let v = legal::show(&app, &zongzhi, id).await.unwrap();
    assert!(
        v.may_make_faq && !v.faq_title.contains(&maker_name) && v.faq_title.contains("某企业"),
        "{}",
        v.faq_title
    );
    assert!(!legal::show(&app, &enterprise(&maker), id).await.unwrap().may_make_faq);
    assert!(matches!(
        legal::make_faq(&app, &enterprise(&maker), id, &FaqRequest::default()).await,
        Err(Error::Forbidden)
    ));
    let named = FaqRequest { title: q.clone(), ..Default::default() };
    assert!(
        matches!(legal::make_faq(&app, &zongzhi, id, &named).await, Err(Error::Invalid { field, .. }) if field == "title")
    );
    let edited = FaqRequest {
        title: "疫情影响无法按期交货，能否以不可抗力免除违约责任？".into(),
        ..Default::default()
    };
    let faq = legal::make_faq(&app, &zongzhi, id, &edited).await.unwrap();
    assert_eq!((faq.kind.as_str(), faq.state.as_str(), faq.department.as_str()), ("faq", "draft", OFFICE));
    assert_eq!(faq.body, answer);
    let v = legal::show(&app, &enterprise(&maker), id).await.unwrap();
    assert_eq!(v.faq.as_ref().map(|f| (f.id, f.state_zh)), Some((faq.id, "草稿")));
    assert!(
        matches!(legal::make_faq(&app, &zongzhi, id, &edited).await, Err(Error::Invalid { field, .. }) if field == "faq")
    );
    assert!(matches!(
        legal::make_faq(&app, &zongzhi, late, &FaqRequest::default()).await,
        Err(Error::Service(_))
    ));

    // The hotline answer, never confirmed, closes after its confirmation day.
    clock.set(at("2022-05-19T09:00:00+08:00"));
    assert_eq!(legal::close_unconfirmed(&app).await.unwrap(), 1);
    let h = legal::show(&app, &leader, h.consultation.record.id).await.unwrap();
    assert_eq!(
        (h.consultation.state_zh, h.consultation.record.closed_by.as_deref()),
        ("已办结", Some("system"))
    );
    assert_eq!(legal::close_unconfirmed(&app).await.unwrap(), 0);

    // The workbook reads back; enterprises may not export.
    assert!(matches!(
        legal::workbook(&app, &enterprise(&maker), &Default::default()).await,
        Err(Error::Forbidden)
    ));
    let sheets =
        excel::read_back(&legal::workbook(&app, &leader, &Default::default()).await.unwrap()).unwrap();
    assert_eq!(sheets[0].1.len(), 4, "header and three consultations");
    assert!(sheets[0].1.iter().any(|row| row.iter().any(|c| c == "红灯")));
    let audit = app.store.audit_records("legal_consultation", Some(&id.to_string()), 100).await.unwrap();
    assert_eq!(audit.len(), 5, "created, assigned, answered, confirmed, FAQ");
}

async fn a_follow_up_reopens_once(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 2).await;
    // Friday 2022-06-10: the follow-up on Monday is due on Wednesday.
    let clock = Arc::new(FixedClock::new(at("2022-06-10T15:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    let me = enterprise(&codes[0]);
    let lvshi = office_user(&app, "lvshi", "王律师").await;
    let id = legal::ask(&app, &me, &ask("商标被他人抢注，应当如何维权？", "ip"))
        .await
        .unwrap()
        .consultation
        .record
        .id;
    legal::answer(
        &app,
        &lvshi,
        id,
        &AnswerRequest { answer: "可以提出商标异议或无效宣告。".into(), version: None },
    )
    .await
    .unwrap();
    clock.set(at("2022-06-13T09:00:00+08:00"));
    let follow = |t: &str| ReplyRequest { action: "follow_up".into(), text: t.into(), version: None };
    let v = legal::reply(&app, &me, id, &follow("异议期限是多久？")).await.unwrap();
    assert_eq!(v.consultation.state_zh, "待答复");
    assert_eq!(v.consultation.record.due_at, at("2022-06-15T23:59:59+08:00"));
    assert!(v.actions.is_empty(), "a follow-up is answered, not withdrawn");
    legal::answer(
        &app,
        &lvshi,
        id,
        &AnswerRequest { answer: "初步审定公告之日起三个月内。".into(), version: None },
    )
    .await
    .unwrap();
    let v = legal::show(&app, &me, id).await.unwrap();
    assert_eq!(v.actions, vec![Action::Confirm], "a second follow-up is a new consultation");
    assert!(matches!(legal::reply(&app, &me, id, &follow("还有呢？")).await, Err(Error::Service(_))));
    assert_eq!(v.consultation.record.follow_up_answer, "初步审定公告之日起三个月内。");
    assert_eq!(v.consultation.record.answer, "可以提出商标异议或无效宣告。");
}

macro_rules! both {
    ($($name:ident),*) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (s, _dir) = crate::matching::sqlite().await;
                    super::$name(s).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(s) = crate::matching::postgres(concat!("app_legal_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(consultations_from_question_to_faq, a_follow_up_reopens_once);
