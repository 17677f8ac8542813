//! The problem use cases over a real (SQLite) store: the limits on every text, the
//! characters refused, intake by officials, the one reading of action words, what is offered,
//! and the queue's search.

use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset};
use enterprise::{Enterprise, EnterpriseRecord, ThreeLinks, UnifiedCreditCode};
use handling::{ActionKind, Channel};
use store::{EnterpriseStore, ReferenceStore, Role, Store, UserStore};

use super::*;
use crate::{ErrorKind, FixedClock};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn code(n: u32) -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 30_000_000 + n)).unwrap()
}

struct Zone {
    app: App,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

impl Zone {
    fn who(&self, name: &str) -> Principal {
        let (role, enterprise, department) = match name {
            "ent_a" => (Role::Enterprise, Some(code(1)), None),
            "ent_b" => (Role::Enterprise, Some(code(2)), None),
            "cadre" => (Role::Cadre, None, None),
            "tax" => (Role::Department, None, Some("tax_bureau".to_string())),
            "leader" => (Role::Leader, None, None),
            "supervisor" => (Role::Supervisor, None, None),
            "admin" => (Role::Admin, None, None),
            _ => (Role::Policy, None, None),
        };
        Principal { username: name.into(), role, enterprise, department, display_name: name.into() }
    }
}

async fn zone() -> Zone {
    let now = at("2024-03-01T09:00:00+08:00");
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("z.db")).unwrap();
    s.migrate().await.unwrap();
    s.seed_reference_data().await.unwrap();
    let record = |n: u32, name: &str| EnterpriseRecord {
        scope: Default::default(),
        enterprise: Enterprise {
            uscc: code(n),
            name: name.into(),
            registered_in_zone: true,
            tax_registered_in_zone: true,
            industry_code: None,
            established_on: None,
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: Default::default(),
        },
        facts: vec![],
    };
    s.apply_import(store::ImportRequest {
        actor: store::Stamp::new("admin", now),
        file_name: "t.csv".into(),
        format: store::ImportFormat::Csv,
        records: vec![record(1, "长沙甲科技有限公司"), record(2, "长沙乙制造有限公司")],
        dry_run: false,
    })
    .await
    .unwrap();
    s.create_user(&store::NewUser {
        username: "cadre".into(),
        role: Role::Cadre,
        password_hash: "x".into(),
        enterprise: None,
        department: None,
        display_name: String::new(),
        at: now,
    })
    .await
    .unwrap();
    let links = ThreeLinks { cadre: Some("cadre".into()), ..Default::default() };
    s.set_three_links(&code(1), &links, &store::Stamp::new("admin", now)).await.unwrap();
    let clock = Arc::new(FixedClock::new(now));
    let app = App::new(Arc::new(s)).with_clock(clock.clone());
    Zone { app, clock, _dir: dir }
}

fn req(title: &str) -> RaiseRequest {
    RaiseRequest { category: "tax".into(), title: title.into(), ..RaiseRequest::default() }
}

#[tokio::test]
async fn every_text_is_limited_and_control_characters_are_refused() {
    let z = zone().await;
    let a = z.who("ent_a");
    let e = raise(&z.app, &a, req(&"企".repeat(101))).await.unwrap_err();
    assert!(matches!(&e, Error::TooLong { field, limit: 100, actual: 101 } if field == "title"), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    let mut r = req("房租减免");
    r.description = "x".repeat(3_000_000);
    let e = raise(&z.app, &a, r).await.unwrap_err();
    assert!(matches!(&e, Error::TooLong { field, limit: 5000, .. } if field == "description"), "{e:?}");
    let e = raise(&z.app, &a, req("房租\u{0}减免")).await.unwrap_err();
    assert!(matches!(&e, Error::ControlCharacter { field, position: 3 } if field == "title"), "{e:?}");
    let bilingual = i18n::Localized::bilingual(&e);
    assert!(bilingual.contains("title") && bilingual.contains("控制字符") && bilingual.contains("control"));
    let mut r = req("发票");
    r.files = vec![NewFile { name: "发票\u{202E}fdp.exe".into(), bytes: b"%PDF-1.7\n%%EOF\n".to_vec() }];
    let e = raise(&z.app, &a, r).await.unwrap_err();
    assert!(matches!(e, Error::BidiControl { .. }), "{e:?}");
    // Nothing was stored by any of them.
    let page = list(&z.app, &z.who("admin"), ListRequest::default(), false).await.unwrap();
    assert_eq!(page.total, 0);
    // Within the limits: stored; CR LF read as LF.
    let mut r = req(&"企".repeat(100));
    r.description = "第一行\r\n第二行".into();
    let p = raise(&z.app, &a, r).await.unwrap();
    assert_eq!(p.state().problem.description, "第一行\n第二行");
    // An action's note too.
    let long_note =
        ActionRequest { action: "withdraw".into(), note: Some("x".repeat(2001)), ..Default::default() };
    let e = act(&z.app, &a, p.id(), long_note).await.unwrap_err();
    assert!(matches!(&e, Error::TooLong { field, .. } if field == "note"), "{e:?}");
}

#[tokio::test]
async fn officials_take_problems_in_for_any_enterprise_and_departments_do_not() {
    let z = zone().await;
    let leader = z.who("leader");
    let form = intake_form(&z.app, &leader).await.unwrap();
    assert_eq!(form.channels, [Channel::Meeting, Channel::Hotline, Channel::Visit]);
    let mut r = req("热线反映：用电报装慢");
    r.enterprise = Some(code(2).to_string());
    r.channel = Some("hotline".into());
    let p = raise(&z.app, &leader, r).await.unwrap();
    assert_eq!(p.state().problem.channel, Channel::Hotline);
    assert_eq!(p.state().problem.enterprise, code(2));
    let cadre_form = intake_form(&z.app, &z.who("cadre")).await.unwrap();
    assert!(matches!(cadre_form.enterprises, raise::IntakeEnterprises::Linked(ref v) if v.len() == 1));
    assert!(matches!(intake_form(&z.app, &z.who("tax")).await, Err(Error::Forbidden)));
    // An enterprise raises self-service problems only.
    let mut r = req("热线");
    r.channel = Some("热线".into());
    assert_eq!(raise(&z.app, &z.who("ent_a"), r).await.unwrap_err().kind(), ErrorKind::BadRequest);
}

#[tokio::test]
async fn every_action_word_is_read_once_for_every_front_end() {
    let settings = crate::settings::HandlingSettings::default();
    let ctx = ActContext {
        lead: "tax_bureau",
        today: "2022-05-05".parse().unwrap(),
        calendar: calendar::WorkCalendar::standard(),
        settings: &settings,
    };
    let r = |action: &str, f: &dyn Fn(&mut ActionRequest)| {
        let mut a = ActionRequest { action: action.into(), ..Default::default() };
        f(&mut a);
        a.command(&ctx)
    };
    use handling::{Action, ExplainReason, Outcome, ReviewDecision};
    for (word, upheld) in
        [("upheld", true), ("uphold", true), ("成立", true), ("同意", true), ("驳回", false)]
    {
        let c = r("decide-objection", &|a| a.decision = Some(word.into())).unwrap();
        assert!(matches!(c.action, Action::DecideObjection { upheld: u, .. } if u == upheld), "{word}");
    }
    let c = r("review", &|a| a.decision = Some("销号".into())).unwrap();
    assert_eq!(c.action, Action::Review { decision: ReviewDecision::Close });
    let c = r("answer", &|a| {
        a.outcome = Some("已解释".into());
        a.reason = Some("not-eligible".into());
    })
    .unwrap();
    assert_eq!(
        c.action,
        Action::Answer { outcome: Outcome::Explained { reason: ExplainReason::NotEligible } }
    );
    let c = r("answer", &|a| a.outcome = Some("explained".into())).unwrap();
    assert_eq!(c.action, Action::Answer { outcome: Outcome::Explained { reason: ExplainReason::Other } });
    let c = r("受理", &|_| {}).unwrap();
    assert_eq!(c.action.kind(), ActionKind::Accept);
    let c = r("assign", &|a| a.cooperating = Some(vec!["财政局，税务局、经济发展局".into()])).unwrap_err();
    assert!(matches!(c, Error::Required { ref field, .. } if field == "lead"));
    let c = r("open-consultation", &|a| a.participants = Some(vec!["a,b;c".into()])).unwrap();
    assert_eq!(c.action, Action::OpenConsultation { participants: vec!["a".into(), "b".into(), "c".into()] });
    assert!(matches!(r("teleport", &|_| {}), Err(Error::Invalid { ref value, .. }) if value == "teleport"));
    assert!(matches!(r("attach", &|_| {}), Err(Error::Invalid { .. })));
    // 督办 opens a case with the zone's reply days unless given; decisions get an owner and a
    // deadline (the lead and the zone's default working days when the meeting named none).
    let c = r("督办", &|_| {}).unwrap();
    assert_eq!(c.action, Action::EscalateCase { reply_workdays: 3 });
    let c = r("escalate", &|a| a.workdays = Some(5)).unwrap();
    assert_eq!(c.action, Action::EscalateCase { reply_workdays: 5 });
    let c = r("close-consultation", &|a| {
        a.minutes = Some("纪要".into());
        a.decisions = Some(vec!["拨付补贴\n回访企业".into()]);
        a.decision_owners = Some(vec!["finance".into()]);
        a.decision_dues = Some(vec!["2022-05-20".into()]);
    })
    .unwrap();
    let Action::CloseConsultation { decisions, actions, .. } = c.action else { panic!() };
    assert!(decisions.is_empty());
    assert_eq!(
        actions.iter().map(|a| (a.text.as_str(), a.owner.as_str(), a.due.to_string())).collect::<Vec<_>>(),
        [
            ("拨付补贴", "finance", "2022-05-20".to_string()),
            ("回访企业", "tax_bureau", "2022-05-11".to_string())
        ]
    );
    let bad_due = r("close-consultation", &|a| {
        a.minutes = Some("纪要".into());
        a.decisions = Some(vec!["拨付补贴".into()]);
        a.decision_dues = Some(vec!["5月20日".into()]);
    });
    assert!(matches!(bad_due, Err(Error::Invalid { ref field, .. }) if field == "decision_dues"));
    let c = r("confirm", &|a| {
        a.rating = Some("满意".into());
        a.solved = Some("未解决".into());
    })
    .unwrap();
    assert_eq!(c.action, Action::Confirm { rating: handling::Rating::Satisfied, solved: Some(false) });
    let c = r("confirm", &|a| a.rating = Some("满意".into())).unwrap();
    assert_eq!(c.action, Action::Confirm { rating: handling::Rating::Satisfied, solved: None });
    assert!(matches!(r("抽查回访", &|_| {}), Err(Error::Required { ref field, .. }) if field == "solved"));
    assert_eq!(
        r("spot-check", &|a| a.solved = Some("yes".into())).unwrap().action,
        Action::SpotCheck { solved: true }
    );
    assert_eq!(
        r("complete-decision", &|a| a.decision = Some("#2".into())).unwrap().action,
        Action::CompleteDecision { decision: 2 }
    );
    assert_eq!(r("督办回复", &|_| {}).unwrap().action, Action::ReplyEscalation);
    assert!(matches!(r("recompute_deadlines", &|_| {}), Err(Error::Invalid { .. })));
}

#[tokio::test]
async fn only_applicable_actions_are_offered_and_the_queue_searches_and_hides_closed() {
    let z = zone().await;
    let (a, tax, leader) = (z.who("ent_a"), z.who("tax"), z.who("leader"));
    let p = raise(&z.app, &a, req("留抵退税进度")).await.unwrap();
    let q = raise(&z.app, &a, req("发票开具问题")).await.unwrap();
    let seen = show(&z.app, Reader::User(&tax), p.id(), None).await.unwrap();
    assert_eq!(seen.actions, [ActionKind::Accept]);
    act(&z.app, &tax, p.id(), ActionRequest { action: "accept".into(), ..Default::default() }).await.unwrap();
    let seen = show(&z.app, Reader::User(&leader), p.id(), None).await.unwrap();
    assert_eq!(
        seen.actions,
        [ActionKind::EscalateCase, ActionKind::OpenConsultation],
        "no 结束会商 without one open"
    );
    let e = act(
        &z.app,
        &leader,
        p.id(),
        ActionRequest { action: "结束会商".into(), minutes: Some("纪要".into()), ..Default::default() },
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    // The tax bureau's queue: open problems, searched by keyword; closed ones when asked.
    z.clock.advance(Duration::hours(1));
    act(
        &z.app,
        &a,
        q.id(),
        ActionRequest { action: "withdraw".into(), note: Some("已解决".into()), ..Default::default() },
    )
    .await
    .unwrap();
    let page = list(&z.app, &tax, ListRequest::default(), true).await.unwrap();
    assert_eq!(page.rows.iter().map(|r| r.row.id).collect::<Vec<_>>(), [p.id()]);
    let search = ListRequest { q: Some("发票".into()), open: Some("all".into()), ..Default::default() };
    let page = list(&z.app, &tax, search, true).await.unwrap();
    assert_eq!(page.rows.iter().map(|r| r.row.id).collect::<Vec<_>>(), [q.id()]);
    let api = list(&z.app, &tax, ListRequest::default(), false).await.unwrap();
    assert_eq!(api.total, 2, "the API lists every problem unless asked");
    let bad = ListRequest { open: Some("maybe".into()), ..Default::default() };
    assert_eq!(list(&z.app, &tax, bad, true).await.unwrap_err().kind(), ErrorKind::BadRequest);
}
