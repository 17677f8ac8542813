//! The calendar's use cases over a real (SQLite) store: provisional answers, the years'
//! status and the admins' warning, loading a notice (checked, stored, every running deadline
//! of open problems moved by an audited event that the lead department is told of), and what
//! a non-admin or a wrong file gets.

use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset};
use enterprise::{Enterprise, EnterpriseRecord, UnifiedCreditCode};
use store::{EnterpriseStore, ReferenceStore, Role, Store};

use super::*;
use crate::problems::{RaiseRequest, Reader, raise, show};
use crate::{ErrorKind, FixedClock};

const EXAMPLE_2027: &str = include_str!("../../../../tests/data/calendar-2027-example.csv");

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn code() -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", "30000001").unwrap()
}

fn who(role: Role) -> Principal {
    let (name, enterprise, department) = match role {
        Role::Enterprise => ("ent", Some(code()), None),
        Role::Department => ("tax", None, Some("tax_bureau".to_string())),
        Role::Supervisor => ("sup", None, None),
        _ => ("admin", None, None),
    };
    Principal { username: name.into(), role, enterprise, department, display_name: name.into() }
}

async fn zone(now: &str) -> (App, Arc<FixedClock>, tempfile::TempDir) {
    let now = at(now);
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("c.db")).unwrap();
    s.migrate().await.unwrap();
    s.seed_reference_data().await.unwrap();
    s.apply_import(store::ImportRequest {
        actor: store::Stamp::new("admin", now),
        file_name: "t.csv".into(),
        format: store::ImportFormat::Csv,
        records: vec![EnterpriseRecord {
            scope: Default::default(),
            enterprise: Enterprise {
                uscc: code(),
                name: "长沙甲科技有限公司".into(),
                registered_in_zone: true,
                tax_registered_in_zone: true,
                industry_code: None,
                established_on: None,
                taxpayer_type: None,
                tax_credit_rating: None,
                tags: Default::default(),
            },
            facts: vec![],
        }],
        dry_run: false,
    })
    .await
    .unwrap();
    let clock = Arc::new(FixedClock::new(now));
    (App::new(Arc::new(s)).with_clock(clock.clone()), clock, dir)
}

#[tokio::test]
async fn a_late_december_problem_has_a_provisional_deadline_until_the_notice_moves_it() {
    let (app, clock, _dir) = zone("2026-12-05T09:00:00+08:00").await;
    // The calendar never runs out: 2027 is provisional (元旦 off, no make-up working days).
    let a = add_workdays(&app, d("2026-12-25"), 7).await.unwrap();
    assert_eq!((a.result, a.provisional, a.provisional_years.clone()), (d("2027-01-06"), true, vec![2027]));
    let inside = add_workdays(&app, d("2026-12-01"), 3).await.unwrap();
    assert!(!inside.provisional, "2026 is the embedded notice's");
    let day = is_workday(&app, d("2027-02-09")).await.unwrap();
    assert!(!day.workday && day.provisional, "a day in lieu of the weekend 春节 days");
    // In December next year is missing: admins are warned, nobody else.
    let ys = years(&app, false).await.unwrap();
    assert_eq!(ys.years.last().map(|y| (y.year, y.status)), Some((2027, YearStatus::Provisional)));
    assert_eq!(ys.years[0].status, YearStatus::Embedded);
    assert_eq!(ys.warning.as_ref().map(|w| w.years.clone()), Some(vec![2027]));
    assert!(warning_for(&app, &who(Role::Admin)).await.unwrap().is_some());
    assert!(warning_for(&app, &who(Role::Department)).await.unwrap().is_none());
    // A problem received in late January 2027 under the provisional calendar.
    clock.set(at("2027-01-28T10:00:00+08:00"));
    let ent = who(Role::Enterprise);
    let r = RaiseRequest {
        category: "tax".into(), title: "留抵退税进度".into(), ..RaiseRequest::default()
    };
    let p = raise(&app, &ent, r).await.unwrap();
    assert_eq!(p.deadlines.answer_by.to_string(), "2027-02-12");
    assert!(p.provisional, "its deadline rests on the provisional 2027");
    // Only admins load; a file that does not give the statutory days off is refused.
    clock.advance(Duration::hours(2));
    let req = |text: &str| LoadRequest { text: text.into(), ..LoadRequest::default() };
    let e = load(&app, &who(Role::Supervisor), req(EXAMPLE_2027)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let wrong = EXAMPLE_2027.replace("2027-09-15,holiday,中秋节\n", "");
    let e = load(&app, &who(Role::Admin), req(&wrong)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    assert!(i18n::Localized::bilingual(&e).contains("中秋节"), "{}", i18n::Localized::bilingual(&e));
    let nameless = EXAMPLE_2027.lines().filter(|l| !l.contains("来源")).collect::<Vec<_>>().join("\n");
    let e = load(&app, &who(Role::Admin), req(&nameless)).await.unwrap_err();
    assert!(matches!(e, Error::Calendar(calendar::CalendarError::NoNotice { year: 2027 })), "{e:?}");
    // The notice is loaded: the open problem's deadline moves, by an audited system event.
    let out = load(&app, &who(Role::Admin), req(EXAMPLE_2027)).await.unwrap();
    assert_eq!(
        (out.year, out.was, out.holidays, out.makeup_workdays),
        (2027, YearStatus::Provisional, 29, 5)
    );
    assert!(out.notice.contains("测试用"));
    assert_eq!(out.recomputed.problems_checked, 1);
    assert_eq!(out.recomputed.moved.len(), 1);
    let moved = &out.recomputed.moved[0];
    assert_eq!((moved.problem_id, moved.lead_department.as_str()), (p.id(), "tax_bureau"));
    assert_eq!(
        moved.changes.iter().map(|c| (c.deadline, c.from.to_string(), c.to.to_string())).collect::<Vec<_>>(),
        [(handling::DeadlineName::AnswerBy, "2027-02-12".into(), "2027-02-15".into())]
    );
    let after = show(&app, Reader::Operator, p.id(), None).await.unwrap();
    assert_eq!(after.deadlines.answer_by.to_string(), "2027-02-15");
    assert!(!after.provisional);
    let last = &after.record.events.last().unwrap().event;
    assert_eq!((last.kind(), last.actor.as_str()), (handling::ActionKind::RecomputeDeadlines, "system"));
    assert!(app.store.audit_verify().await.unwrap().broken.is_none(), "the chain holds");
    // The same question now has the official answer.
    let a = add_workdays(&app, d("2026-12-25"), 7).await.unwrap();
    assert_eq!((a.result, a.provisional), (d("2027-01-06"), false));
    assert_eq!(add_workdays(&app, d("2027-01-28"), 7).await.unwrap().result, d("2027-02-15"));
    let ys = years(&app, false).await.unwrap();
    let y27 = ys.years.iter().find(|y| y.year == 2027).unwrap();
    assert_eq!((y27.status, y27.loads, y27.loaded_by.as_deref()), (YearStatus::Official, 1, Some("admin")));
    assert!(ys.warning.is_none());
    // The department is told, on its page.
    let notes = deadline_notices(&app, &who(Role::Department), 20).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].problem_id, notes[0].year), (p.id(), 2027));
    assert_eq!(
        deadline_notices(&app, &who(Role::Enterprise), 20).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    // Loading the same notice again moves nothing more; the recompute can be run again.
    let again = load(&app, &who(Role::Admin), req(EXAMPLE_2027)).await.unwrap();
    assert_eq!((again.was, again.recomputed.moved.len()), (YearStatus::Official, 0));
    assert!(recompute(&app, &who(Role::Admin)).await.unwrap().moved.is_empty());
}

#[tokio::test]
async fn a_record_entered_late_is_laid_on_the_calendar_in_force() {
    let (app, clock, _dir) = zone("2027-01-29T09:00:00+08:00").await;
    let req = LoadRequest { text: EXAMPLE_2027.into(), ..LoadRequest::default() };
    load(&app, &who(Role::Admin), req).await.unwrap();
    clock.advance(Duration::hours(1));
    // A hotline record of yesterday, entered now: received before the load, but its
    // deadlines are the notice's.
    let r = RaiseRequest {
        enterprise: Some(code().to_string()),
        category: "tax".into(),
        title: "热线补录".into(),
        channel: Some("hotline".into()),
        received_at: Some(at("2027-01-28T10:00:00+08:00")),
        ..RaiseRequest::default()
    };
    let p = raise(&app, &who(Role::Supervisor), r).await.unwrap();
    assert_eq!(p.deadlines.answer_by.to_string(), "2027-02-15");
    let kinds: Vec<_> = p.record.events.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds, [handling::ActionKind::Submit, handling::ActionKind::RecomputeDeadlines]);
    assert!(app.store.audit_verify().await.unwrap().broken.is_none());
}
