//! Policy changes are reviewed, over a real store (SQLite always, PostgreSQL when
//! `HUIQI_TEST_PG_URL` is set): a save is a draft the running server does not pick up; its
//! review shows the diff and, on the latest match run, who gains and the cost (the same
//! numbers as the parameter simulation); the author cannot approve; a second person's
//! approval makes it live, a running server follows it, and the audit trail names both; a
//! stale or rejected draft changes nothing; `huiqi policy load`'s bootstrap and
//! `--approve-as`.

use app::drafts::{self, Proposal};
use app::matching::{self, NoProgress, RunRequest, SimulateRequest};
use app::policies::{LoadPolicies, SavePolicy};
use app::{App, Error, ErrorKind, Principal};
use chrono::{DateTime, NaiveDate};
use rules::SourceFile;
use std::sync::Arc;
use store::documents::DocumentKind;
use store::drafts::DraftState;
use store::{Role, Store};

const ZONE: &str = "zone-sample-2022.toml";

fn who(name: &str, role: Role) -> Principal {
    Principal { username: name.into(), role, enterprise: None, department: None, display_name: name.into() }
}

/// The shipped files named as documents.
fn shipped_docs() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn zone_text() -> String {
    shipped_docs().into_iter().find(|(n, _)| n == ZONE).unwrap().1
}

/// The R&D subsidy's threshold lowered from 1,000,000 to 300,000 yuan (and its boundary case
/// moved with it): some enterprises gain, none lose.
fn lowered() -> String {
    let t = zone_text();
    let block = "type = \"money\"\nvalues = { \"2022-01-01\" = \"1000000\" }";
    assert!(t.contains(block));
    let t = t.replacen(
        "[param.rd_subsidy_min_expense]\ndescription = \"研发补贴起点：上年研发费用不低于（示例）\"\nunit = \"yuan\"\nreference = \"示例 第三条\"\ntype = \"money\"\nvalues = { \"2022-01-01\" = \"1000000\" }",
        "[param.rd_subsidy_min_expense]\ndescription = \"研发补贴起点：上年研发费用不低于（示例）\"\nunit = \"yuan\"\nreference = \"示例 第三条\"\ntype = \"money\"\nvalues = { \"2022-01-01\" = \"300000\" }",
        1,
    );
    assert!(t.contains("\"300000\""), "the parameter block moved");
    t.replacen("rd_expense = { \"2021\" = \"999999.99\" }", "rd_expense = { \"2021\" = \"299999.99\" }", 1)
}

/// An item's title marked (the first-recognition award).
fn retitled(mark: &str) -> String {
    zone_text().replacen("title = \"【示例】首次认定", &format!("title = \"{mark}【示例】首次认定"), 1)
}

/// A zone of `n` enterprises whose database holds the shipped policies as seeded.
async fn seeded(store: Arc<dyn Store>, n: u32) -> App {
    let at = DateTime::parse_from_rfc3339("2022-06-01T09:00:00+08:00").unwrap();
    app::policy_docs::seed(
        store.as_ref(),
        shipped_docs(),
        include_str!("../../../handling/data/time_limits.toml"),
        at,
    )
    .await
    .unwrap();
    let app = crate::matching::zone(store, n).await;
    let files = app::policies::current_files(app.store.as_ref()).await.unwrap();
    app.live.set_policies(app::policies::check_sources(&files).map_err(|r| r.count()).unwrap());
    app
}

async fn version(app: &App, name: &str) -> i64 {
    app.store.current_document(DocumentKind::Policy, name).await.unwrap().unwrap().version
}

fn draft_of(p: Proposal) -> store::drafts::PolicyDraft {
    match p {
        Proposal::Draft(d) => d,
        Proposal::Unchanged => panic!("expected a draft"),
    }
}

/// On a match run of a tax year (the 2022 settlement, decided in May 2023) a draft's review
/// simulates as that run decided, each annual item on its day in 2022: its "before" figures
/// are the run's own, not those of the run's date.
async fn the_review_of_a_tax_year_run_decides_as_the_run_did(store: Arc<dyn Store>) {
    let app = seeded(Arc::clone(&store), 300).await;
    let (li, wang, officer) =
        (who("li", Role::Policy), who("wang", Role::Admin), who("zhengce", Role::Policy));
    let may = NaiveDate::from_ymd_opt(2023, 5, 20).unwrap();
    let run = |tax_year| RunRequest { date: may, tax_year, library_fingerprint: "t".into() };
    let by_date = matching::run(&app, &officer, &run(None), Arc::new(NoProgress)).await.unwrap();
    let run22 = matching::run(&app, &officer, &run(Some(2022)), Arc::new(NoProgress)).await.unwrap();
    let eligible =
        |r: &matching::RunResult, id: &str| r.items.iter().find(|i| i.item.id == id).map(|i| i.eligible);
    let before = eligible(&run22, "zone-rd-subsidy").expect("the 2022 run decides the R&D subsidy");
    assert_ne!(
        Some(before),
        eligible(&by_date, "zone-rd-subsidy"),
        "the data should tell the tax year apart"
    );
    let d = draft_of(
        app::policies::save(&app, &li, SavePolicy { name: ZONE.into(), expected: 1, text: lowered() })
            .await
            .unwrap(),
    );
    let sim = drafts::review(&app, &wang, d.id).await.unwrap().simulation.expect("a simulation").comparison;
    let item =
        sim.items.iter().find(|i| i.item.id == "zone-rd-subsidy").expect("the lowered threshold shows");
    assert_eq!(item.eligible_before, before);
    assert!(item.eligible_after > item.eligible_before, "{item:?}");
    assert_eq!(sim.losses_total, 0);
}

async fn a_change_goes_live_only_when_a_second_person_approves(store: Arc<dyn Store>) {
    let app = seeded(Arc::clone(&store), 300).await;
    // Another server over the same database, following it.
    let server = App::new(Arc::clone(&store));
    assert!(app::live::follow_store(store.as_ref(), &server.live).await.unwrap().policies);
    let (li, wang) = (who("li", Role::Policy), who("wang", Role::Admin));

    let d = draft_of(
        app::policies::save(&app, &li, SavePolicy { name: ZONE.into(), expected: 1, text: lowered() })
            .await
            .unwrap(),
    );
    assert_eq!((d.state, d.author.as_str(), d.documents[0].base_version), (DraftState::Draft, "li", Some(1)));
    assert!(d.cases_passed > 0);
    assert_eq!(version(&app, ZONE).await, 1, "nothing live yet");
    let f = app::live::follow_store(store.as_ref(), &server.live).await.unwrap();
    assert!(!f.policies, "a running server never picks up a draft");

    // The review: the diff, and no simulation without a match run.
    let r = drafts::review(&app, &li, d.id).await.unwrap();
    assert!(r.no_match_run && r.simulation.is_none());
    let diff = &r.documents[0];
    assert_eq!((diff.status.as_str(), diff.added_lines, diff.removed_lines), ("changed", 2, 2));
    let lines: Vec<String> = diff.hunks.concat().iter().map(|l| format!("{}{}", l.tag, l.text)).collect();
    assert!(lines.contains(&"-values = { \"2022-01-01\" = \"1000000\" }".to_string()), "{lines:?}");
    assert!(lines.contains(&"+values = { \"2022-01-01\" = \"300000\" }".to_string()), "{lines:?}");

    // With a match run: who gains and the cost, as the parameter simulation finds them.
    let day = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    let officer = who("zhengce", Role::Policy);
    matching::run(
        &app,
        &officer,
        &RunRequest { date: day, tax_year: None, library_fingerprint: "t".into() },
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let r = drafts::review(&app, &wang, d.id).await.unwrap();
    let sim = r.simulation.expect("a simulation on the latest match run").comparison;
    let set = vec![("rd_subsidy_min_expense".to_string(), "300000".to_string())];
    let req = SimulateRequest { item: "zone-rd-subsidy".into(), set, date: day, from: day, limit: 1000 };
    let one = matching::simulate(&app, &officer, &req, Arc::new(NoProgress)).await.unwrap();
    assert!(one.gains_total > 0, "the data have enterprises between the thresholds");
    assert_eq!((sim.date, sim.gains_total, sim.losses_total), (day, one.gains_total, 0));
    assert_eq!(sim.items.len(), 1, "{:?}", sim.items);
    assert_eq!((sim.items[0].item.id.as_str(), sim.items[0].cost_delta), ("zone-rd-subsidy", one.cost_delta));
    let kind = sim.by_kind.iter().find(|k| k.benefit_kind == one.item.benefit_kind).unwrap();
    assert_eq!(kind.cost_delta, one.cost_delta);
    assert_eq!(sim.gains.len(), one.gains.len());
    assert!(sim.gains.iter().all(|g| g.items == ["zone-rd-subsidy"]));

    // The author may not approve; nor may a cadre; a second officer does.
    let mine = drafts::approve(&app, &li, d.id).await.unwrap_err();
    assert_eq!(mine.kind(), ErrorKind::Forbidden, "{mine:?}");
    let cadre = drafts::approve(&app, &who("cadre", Role::Cadre), d.id).await.unwrap_err();
    assert!(matches!(cadre, Error::Forbidden));
    assert_eq!(version(&app, ZONE).await, 1);
    let ok = drafts::approve(&app, &wang, d.id).await.unwrap();
    assert_eq!((ok.draft.state, ok.written.len(), ok.written[0].version), (DraftState::Approved, 1, 2));
    let h = app.store.document_history(DocumentKind::Policy, ZONE).await.unwrap();
    assert_eq!(
        (h[0].actor.as_str(), h[0].approved_by.as_deref(), h[0].body.as_str()),
        ("li", Some("wang"), lowered().as_str())
    );
    // The library in use here changed at once; the other server follows.
    assert!(app::live::follow_store(store.as_ref(), &server.live).await.unwrap().policies);
    assert!(!app::live::follow_store(store.as_ref(), &server.live).await.unwrap().policies, "once");
    // The audit trail: drafted by li, approved by wang; the version recorded by wang naming li.
    let audit = app.store.audit_records("policy_draft", Some(&d.id.to_string()), 10).await.unwrap();
    let trail: Vec<(&str, Option<&str>)> =
        audit.iter().map(|a| (a.actor.as_str(), a.new.as_deref())).collect();
    assert_eq!(trail, [("li", Some("draft")), ("wang", Some("approved"))]);
    let versions = app.store.audit_records("document.policy", Some(ZONE), 10).await.unwrap();
    assert!(
        versions.iter().any(|a| a.actor == "wang"
            && a.field == "author"
            && a.new.as_deref().is_some_and(|n| n.starts_with("li "))),
        "{versions:?}"
    );
    // Closed: no second decision.
    assert_eq!(drafts::approve(&app, &wang, d.id).await.unwrap_err().kind(), ErrorKind::Conflict);
}

async fn a_stale_rejected_or_withdrawn_draft_changes_nothing(store: Arc<dyn Store>) {
    let app = seeded(store, 20).await;
    let (li, wang, zhao) = (who("li", Role::Policy), who("wang", Role::Admin), who("zhao", Role::Policy));
    let save = |p: &Principal, text: String| {
        let (app, p) = (&app, p.clone());
        async move {
            draft_of(
                app::policies::save(app, &p, SavePolicy { name: ZONE.into(), expected: 1, text })
                    .await
                    .unwrap(),
            )
        }
    };
    let first = save(&li, retitled("【甲】")).await;
    let second = save(&zhao, retitled("【乙】")).await;
    drafts::approve(&app, &wang, first.id).await.unwrap();
    let stale = drafts::approve(&app, &li, second.id).await.unwrap_err();
    assert!(matches!(stale, Error::DraftStale { ref name, .. } if name == ZONE), "{stale:?}");
    assert_eq!(stale.kind(), ErrorKind::Conflict);
    let zh = i18n::Localized::render(&stale, i18n::Lang::Zh);
    let en = i18n::Localized::render(&stale, i18n::Lang::En);
    assert!(zh.contains("已过时") && en.contains("stale"), "{zh} / {en}");
    assert_eq!(app.store.policy_draft(second.id).await.unwrap().unwrap().state, DraftState::Stale);
    let live = app.store.current_document(DocumentKind::Policy, ZONE).await.unwrap().unwrap();
    assert_eq!((live.version, live.body.contains("【甲】")), (2, true));

    // A save against the version read (2 now) is a draft; an old version is stale (412).
    let old =
        app::policies::save(&app, &li, SavePolicy { name: ZONE.into(), expected: 1, text: retitled("x") })
            .await;
    assert!(matches!(old, Err(Error::Stale)));
    let third = draft_of(
        app::policies::save(
            &app,
            &li,
            SavePolicy { name: ZONE.into(), expected: 2, text: retitled("【丙】") },
        )
        .await
        .unwrap(),
    );
    // A rejection needs a reason and is not the author's.
    let no_reason = drafts::reject(&app, &wang, third.id, "  ").await.unwrap_err();
    assert!(matches!(no_reason, Error::Required { ref field, .. } if field == "reason"));
    assert_eq!(drafts::reject(&app, &li, third.id, "不要").await.unwrap_err().kind(), ErrorKind::Forbidden);
    let r = drafts::reject(&app, &wang, third.id, "标题不对 / wrong title").await.unwrap();
    assert_eq!(
        (r.state, r.reason.as_deref(), r.closed_by.as_deref()),
        (DraftState::Rejected, Some("标题不对 / wrong title"), Some("wang"))
    );
    assert_eq!(version(&app, ZONE).await, 2, "a rejection changes nothing live");
    // A withdrawal is the author's.
    let fourth = draft_of(
        app::policies::save(
            &app,
            &li,
            SavePolicy { name: ZONE.into(), expected: 2, text: retitled("【丁】") },
        )
        .await
        .unwrap(),
    );
    assert!(matches!(drafts::withdraw(&app, &wang, fourth.id).await, Err(Error::Forbidden)));
    assert_eq!(drafts::withdraw(&app, &li, fourth.id).await.unwrap().state, DraftState::Withdrawn);
    assert_eq!(version(&app, ZONE).await, 2);
    let open = drafts::list(&app, &wang, true).await.unwrap();
    assert!(open.is_empty(), "{open:?}");
    assert_eq!(drafts::list(&app, &wang, false).await.unwrap().len(), 4);
    // An unchanged text stores nothing; a text that does not check is refused as before.
    let same = app.store.current_document(DocumentKind::Policy, ZONE).await.unwrap().unwrap().body;
    let p = app::policies::save(&app, &li, SavePolicy { name: ZONE.into(), expected: 2, text: same })
        .await
        .unwrap();
    assert!(matches!(p, Proposal::Unchanged));
    let bad = retitled("").replacen("employees", "employes", 1);
    let e = app::policies::save(&app, &li, SavePolicy { name: ZONE.into(), expected: 2, text: bad }).await;
    assert!(matches!(e, Err(Error::PolicyRejected(_))), "{e:?}");
    assert_eq!(drafts::list(&app, &wang, false).await.unwrap().len(), 4, "nothing stored");
}

async fn a_load_goes_live_by_bootstrap_or_with_a_second_person(store: Arc<dyn Store>) {
    let app = seeded(store, 10).await;
    let ops = Principal::operator("ops");
    let load = |text: String, approve_as: Option<Principal>| {
        let (app, ops) = (&app, ops.clone());
        async move {
            app::policies::load(
                app,
                &ops,
                LoadPolicies { files: vec![SourceFile { name: ZONE.into(), text }], approve_as },
            )
            .await
        }
    };
    // Over the shipped seed: live at once, marked as a bootstrap.
    let r = load(retitled("【一】"), None).await.unwrap();
    assert_eq!((r.state, r.bootstrap, r.changed, r.documents[0].version), ("live", true, 1, 2));
    let id = r.draft.unwrap();
    let audit = app.store.audit_records("policy_draft", Some(&id.to_string()), 10).await.unwrap();
    assert!(
        audit.iter().any(|a| a.actor == "ops" && a.new.as_deref() == Some("approved (bootstrap)")),
        "{audit:?}"
    );
    assert!(app.live.policies().library.items().any(|i| i.title.starts_with("【一】")));
    // Now a person wrote the library: a load is a draft.
    let r = load(retitled("【二】"), None).await.unwrap();
    assert_eq!(
        (r.state, r.bootstrap, r.documents[0].status, r.documents[0].version),
        ("draft", false, "changed", 3)
    );
    assert_eq!(version(&app, ZONE).await, 2);
    // --approve-as: not the same person; a second one makes it live at once.
    let same = load(retitled("【三】"), Some(Principal::operator("ops"))).await.unwrap_err();
    assert_eq!(same.kind(), ErrorKind::Forbidden);
    let r = load(retitled("【三】"), Some(Principal::operator("boss"))).await.unwrap();
    assert_eq!((r.state, r.documents[0].version), ("live", 3));
    let h = app.store.document_history(DocumentKind::Policy, ZONE).await.unwrap();
    assert_eq!((h[0].actor.as_str(), h[0].approved_by.as_deref()), ("ops", Some("boss")));
    // The waiting draft is behind the live version now: approving it is refused as stale.
    let waiting = drafts::list(&app, &Principal::operator("boss"), true).await.unwrap();
    assert_eq!(waiting.len(), 1);
    let e = drafts::approve(&app, &Principal::operator("boss"), waiting[0].id).await.unwrap_err();
    assert!(matches!(e, Error::DraftStale { .. }), "{e:?}");
    // Nothing changed: nothing stored.
    let r = load(retitled("【三】"), None).await.unwrap();
    assert_eq!((r.state, r.draft, r.unchanged), ("unchanged", None, 1));
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
                    if let Some(s) = crate::matching::postgres(concat!("app_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(
    a_change_goes_live_only_when_a_second_person_approves,
    the_review_of_a_tax_year_run_decides_as_the_run_did,
    a_stale_rejected_or_withdrawn_draft_changes_nothing,
    a_load_goes_live_by_bootstrap_or_with_a_second_person
);
