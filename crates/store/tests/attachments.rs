//! The attachment store suite, and the atomic version check of `record_transition_expecting`:
//! every test is a function over `&dyn Store`, run against a fresh SQLite file always and
//! against a fresh PostgreSQL schema when `HUIQI_TEST_PG_URL` is set. (Tampering with stored
//! files is tested through `huiqi audit verify` in the CLI tests.)

use chrono::{DateTime, FixedOffset};
use enterprise::{Enterprise, EnterpriseRecord, Routing, UnifiedCreditCode};
use handling::{
    Action, ActionKind, Actor as HActor, Channel, Command, HandlingError, Problem, Role as HRole, TimeLimits,
    Urgency,
};
use store::attachments::{AttachmentError, CheckedFile, MAX_FILES_PER_PROBLEM, check_file, reference};
use store::problems::{ProblemError, ProblemFilter, Projection};
use store::{Actor, ImportFormat, ImportRequest, Page, Store};

async fn sqlite() -> (Box<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("huiqi.db")).unwrap();
    s.migrate().await.unwrap();
    s.seed_reference_data().await.unwrap();
    (Box::new(s), dir)
}

async fn postgres(test: &str) -> Option<Box<dyn Store>> {
    let Ok(url) = std::env::var("HUIQI_TEST_PG_URL") else {
        eprintln!("note: HUIQI_TEST_PG_URL is not set; skipping the PostgreSQL run of {test}");
        return None;
    };
    let s = store_pg::PgStore::connect_fresh_schema(&url, &format!("a_{test}")).await.unwrap();
    s.migrate().await.unwrap();
    s.seed_reference_data().await.unwrap();
    Some(Box::new(s))
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (s, _dir) = super::sqlite().await;
                    super::$name(&*s).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(s) = super::postgres(stringify!($name)).await {
                        super::$name(&*s).await;
                    }
                }
            )*
        }
    };
}

suite!(
    files_are_stored_with_the_event_that_names_them,
    a_refused_file_or_problem_stores_nothing,
    a_stale_version_is_refused_inside_the_write,
);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn code(n: u32) -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 30_000_000 + n)).unwrap()
}

async fn enterprises(s: &dyn Store, n: u32) {
    let records = (1..=n)
        .map(|i| EnterpriseRecord {
            enterprise: Enterprise {
                uscc: code(i),
                name: format!("长沙附件第{i}有限公司"),
                registered_in_zone: true,
                tax_registered_in_zone: true,
                industry_code: None,
                established_on: None,
                taxpayer_type: None,
                tax_credit_rating: None,
                tags: Default::default(),
            },
            facts: vec![],
        })
        .collect();
    s.apply_import(ImportRequest {
        actor: Actor::new("admin", at("2022-01-01T09:00:00+08:00")),
        file_name: "e.csv".into(),
        format: ImportFormat::Csv,
        records,
        dry_run: false,
    })
    .await
    .unwrap();
}

fn ent(n: u32) -> HActor {
    HActor {
        username: format!("qiye{n}"),
        role: HRole::Enterprise,
        department: None,
        enterprise: Some(code(n)),
    }
}

fn dept(code: &str) -> HActor {
    HActor {
        username: format!("staff-{code}"),
        role: HRole::Department,
        department: Some(code.into()),
        enterprise: None,
    }
}

fn problem(n: u32) -> Problem {
    Problem {
        enterprise: code(n),
        channel: Channel::SelfService,
        category: "tax".into(),
        title: "发票额度不足".into(),
        description: "附租赁合同与发票截图".into(),
        attachments: vec![],
        urgency: Urgency::Normal,
        confidential: false,
        received_at: at("2022-05-05T09:00:00+08:00"),
        visit: None,
    }
}

fn pdf(name: &str) -> CheckedFile {
    check_file(name, format!("%PDF-1.7\n% {name}\n").into_bytes()).unwrap()
}

fn png(name: &str) -> CheckedFile {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(name.as_bytes());
    check_file(name, b).unwrap()
}

async fn create(
    s: &dyn Store,
    n: u32,
    files: Vec<CheckedFile>,
) -> Result<store::problems::ProblemRecord, ProblemError> {
    s.create_problem_with_attachments(
        problem(n),
        &ent(n),
        at("2022-05-05T09:00:00+08:00"),
        Routing::seed(),
        TimeLimits::defaults(),
        files,
    )
    .await
}

async fn files_are_stored_with_the_event_that_names_them(s: &dyn Store) {
    enterprises(s, 1).await;
    let (a, b) = (pdf("租赁合同.pdf"), png("发票截图.png"));
    let rec = create(s, 1, vec![a.clone(), b.clone()]).await.unwrap();
    // The submit event names both files by SHA-256, so the chain covers them.
    assert_eq!(
        rec.state.problem.attachments,
        vec![reference(&a.sha256, &a.file_name), reference(&b.sha256, &b.file_name)]
    );
    let list = s.attachments(rec.id).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].file_name.as_str(), list[0].content_type.as_str(), list[0].event_seq),
        ("租赁合同.pdf", "application/pdf", 1)
    );
    assert_eq!((list[1].content_type.as_str(), list[1].uploaded_by.as_str()), ("image/png", "qiye1"));
    let (meta, bytes) = s.attachment_content(rec.id, list[1].id).await.unwrap();
    assert_eq!((meta, bytes), (list[1].clone(), b.content.clone()));
    // Added later by the lead department: an attach event, the state unchanged.
    let c = check_file("核查说明.txt", "经核查，情况属实。".as_bytes().to_vec()).unwrap();
    let (after, att) = s
        .add_attachment(rec.id, c.clone(), &dept("tax_bureau"), at("2022-05-05T10:00:00+08:00"))
        .await
        .unwrap();
    assert_eq!((after.state.seq, after.state.state), (2, rec.state.state));
    assert_eq!(after.events[1].event.kind(), ActionKind::Attach);
    assert_eq!(
        (att.event_seq, att.size, att.content_type.as_str()),
        (2, c.size(), "text/plain; charset=utf-8")
    );
    let stored = s.get_problem(rec.id).await.unwrap();
    assert_eq!(stored.row.projection, Projection::of(&stored.state).unwrap());
    assert_eq!(s.attachments(rec.id).await.unwrap().len(), 3);
    let report = s.audit_verify().await.unwrap();
    assert!(report.broken.is_none(), "{report:?}");
    assert!(s.verify_attachments().await.unwrap().is_empty());
}

async fn a_refused_file_or_problem_stores_nothing(s: &dyn Store) {
    enterprises(s, 2).await;
    // Eleven files with a new problem: neither the problem nor any file is written.
    let eleven: Vec<CheckedFile> = (0..=MAX_FILES_PER_PROBLEM).map(|i| pdf(&format!("f{i}.pdf"))).collect();
    let e = create(s, 1, eleven).await.unwrap_err();
    assert!(matches!(e, ProblemError::Attachment(AttachmentError::TooMany { .. })), "{e:?}");
    let (_, total) = s.list_problems(&ProblemFilter::default(), Page::new(0, 10)).await.unwrap();
    assert_eq!(total, 0);
    // A problem of an unknown enterprise with files: nothing either.
    assert!(create(s, 9, vec![pdf("a.pdf")]).await.is_err());
    let (_, total) = s.list_problems(&ProblemFilter::default(), Page::new(0, 10)).await.unwrap();
    assert_eq!(total, 0);

    let rec = create(s, 1, vec![pdf("a.pdf")]).await.unwrap();
    let now = at("2022-05-05T10:00:00+08:00");
    // Another enterprise, a department not on the problem: refused, nothing stored.
    let e = s.add_attachment(rec.id, pdf("b.pdf"), &ent(2), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Handling(HandlingError::NotYourEnterprise { .. })), "{e:?}");
    let e = s.add_attachment(rec.id, pdf("b.pdf"), &dept("market_regulation"), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Handling(HandlingError::NotCooperating { .. })), "{e:?}");
    assert_eq!(s.attachments(rec.id).await.unwrap().len(), 1);
    assert_eq!(s.get_problem(rec.id).await.unwrap().state.seq, 1);
    // Up to ten files a problem.
    for i in 1..MAX_FILES_PER_PROBLEM {
        s.add_attachment(rec.id, png(&format!("p{i}.png")), &ent(1), now).await.unwrap();
    }
    let e = s.add_attachment(rec.id, png("eleventh.png"), &ent(1), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Attachment(AttachmentError::TooMany { .. })), "{e:?}");
    assert_eq!(s.attachments(rec.id).await.unwrap().len(), MAX_FILES_PER_PROBLEM);
    // Not once withdrawn; unknown problems and attachments are told apart.
    let other = create(s, 1, vec![]).await.unwrap();
    s.record_transition(other.id, &Command::with_note(Action::Withdraw, "已解决"), &ent(1), now, now)
        .await
        .unwrap();
    let e = s.add_attachment(other.id, pdf("late.pdf"), &ent(1), now).await.unwrap_err();
    assert!(matches!(e, ProblemError::Handling(HandlingError::Illegal { .. })), "{e:?}");
    assert!(s.attachments(other.id).await.unwrap().is_empty());
    assert!(matches!(s.attachments(999).await, Err(ProblemError::NotFound { id: 999 })));
    assert!(matches!(
        s.attachment_content(rec.id, 999).await,
        Err(ProblemError::Attachment(AttachmentError::NotFound { .. }))
    ));
    let first = s.attachments(rec.id).await.unwrap()[0].id;
    assert!(
        s.attachment_content(other.id, first).await.is_err(),
        "an attachment is read through its own problem"
    );
    assert!(s.audit_verify().await.unwrap().broken.is_none());
}

async fn a_stale_version_is_refused_inside_the_write(s: &dyn Store) {
    enterprises(s, 1).await;
    let rec = create(s, 1, vec![]).await.unwrap();
    let tax = dept("tax_bureau");
    let now = at("2022-05-05T10:00:00+08:00");
    let accept = Command::new(Action::Accept);
    let e = s.record_transition_expecting(rec.id, &accept, &tax, now, now, 7).await.unwrap_err();
    assert_eq!(e, ProblemError::Stale { id: rec.id, expected: 7, current: 1 });
    assert_eq!(s.get_problem(rec.id).await.unwrap().state.seq, 1, "nothing written");
    // Two writers that both read version 1 race: exactly one wins, the other is told so.
    let note = Command::with_note(Action::Withdraw, "已自行解决");
    let me = ent(1);
    let (x, y) = tokio::join!(
        s.record_transition_expecting(rec.id, &accept, &tax, now, now, 1),
        s.record_transition_expecting(rec.id, &note, &me, now, now, 1),
    );
    let stale = |r: &Result<store::problems::ProblemRecord, ProblemError>| {
        matches!(r, Err(ProblemError::Stale { expected: 1, current: 2, .. }))
    };
    assert!(x.is_ok() != y.is_ok(), "{x:?} {y:?}");
    assert!(stale(&x) || stale(&y), "{x:?} {y:?}");
    let after = s.get_problem(rec.id).await.unwrap();
    assert_eq!(after.state.seq, 2);
    assert!(s.audit_verify().await.unwrap().broken.is_none());
}
