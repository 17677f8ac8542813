//! Policy consultation over a real SQLite store with the shipped policy library: content
//! written, reviewed by a second person and published; search by words, document numbers in
//! every common form, pinyin, a synonym, a date; who finds which problems; the log of
//! unanswered questions; "this solved it"; exemplary cases from closed problems.

use app::content::{self, ConsentInput, ContentInput, GuideInput, ReviewStep};
use app::search::{self, SearchRequest};
use app::{App, ErrorKind, FixedClock, Principal};
use chrono::{DateTime, FixedOffset};
use enterprise::{Enterprise, EnterpriseRecord, FactDictionary, UnifiedCreditCode};
use std::sync::Arc;
use store::content::ContentState;
use store::{EnterpriseStore, ReferenceStore, Role, Store};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn code(n: u32) -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 30_000_000 + n)).unwrap()
}

fn shipped() -> Arc<rules::Library> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<rules::SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| rules::SourceFile {
            name: p.display().to_string(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let (lib, diags) = rules::Library::load(&files, FactDictionary::official());
    assert!(diags.is_empty(), "{diags:?}");
    Arc::new(lib)
}

fn who(name: &str) -> Principal {
    let (role, enterprise, department) = match name {
        "ent_a" => (Role::Enterprise, Some(code(1)), None),
        "ent_b" => (Role::Enterprise, Some(code(2)), None),
        "tax" | "tax2" => (Role::Department, None, Some("tax_bureau".to_string())),
        "econ" => (Role::Department, None, Some("economic_development".to_string())),
        "leader" => (Role::Leader, None, None),
        "admin" => (Role::Admin, None, None),
        _ => (Role::Policy, None, None),
    };
    Principal { username: name.into(), role, enterprise, department, display_name: name.into() }
}

struct Zone {
    app: App,
    _dir: tempfile::TempDir,
}

async fn zone() -> Zone {
    let now = at("2022-06-01T09:00:00+08:00");
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
    let app = App::new(Arc::new(s)).with_clock(Arc::new(FixedClock::new(now)));
    app.live.set_policies(app::live::PolicySet::new(shipped()));
    Zone { app, _dir: dir }
}

fn guide() -> ContentInput {
    ContentInput {
        kind: "guide".into(),
        title: "增值税留抵退税办事指南".into(),
        body: "小微企业和制造业等行业企业可按月申请退还增量留抵税额，并一次性退还存量留抵税额。".into(),
        department: None,
        plan_line: "三.6".into(),
        tags: vec!["留抵退税".into()],
        items: vec!["vat-credit-refund-small-micro-2022".into()],
        guide: Some(GuideInput {
            place: "电子税务局或办税服务厅".into(),
            documents: vec!["《退（抵）税申请表》".into()],
            time_limit: "10个工作日".into(),
            fees: "不收费".into(),
            contact: "12366".into(),
        }),
        consent: None,
    }
}

async fn publish(z: &Zone, author: &str, reviewer: &str, input: ContentInput) -> i64 {
    let c = content::create(&z.app, &who(author), input).await.unwrap();
    let c = content::review(&z.app, &who(author), c.id, c.version, ReviewStep::Submit, "").await.unwrap();
    let c = content::review(&z.app, &who(reviewer), c.id, c.version, ReviewStep::Approve, "").await.unwrap();
    assert_eq!(c.state, ContentState::Published);
    c.id
}

fn q(text: &str) -> SearchRequest {
    SearchRequest { q: text.into(), ..SearchRequest::default() }
}

async fn found(z: &Zone, p: &str, req: SearchRequest) -> Vec<String> {
    search::search(&z.app, &who(p), &req)
        .await
        .unwrap()
        .hits
        .into_iter()
        .map(|h| format!("{}:{}", h.kind.as_str(), h.id))
        .collect()
}

#[tokio::test]
async fn content_is_reviewed_by_a_second_person_before_anyone_finds_it() {
    let z = zone().await;
    let c = content::create(&z.app, &who("tax"), guide()).await.unwrap();
    assert_eq!(c.department, "tax_bureau");
    // A draft is not found, and an enterprise cannot open it.
    assert!(!found(&z, "ent_a", q("留抵退税办事指南")).await.contains(&format!("guide:{}", c.id)));
    assert_eq!(content::show(&z.app, &who("ent_a"), c.id).await.unwrap_err().kind(), ErrorKind::NotFound);
    let c = content::review(&z.app, &who("tax"), c.id, c.version, ReviewStep::Submit, "").await.unwrap();
    // The author may not approve their own text; another department may not either.
    let e = content::review(&z.app, &who("tax"), c.id, c.version, ReviewStep::Approve, "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "{e:?}");
    let e =
        content::review(&z.app, &who("econ"), c.id, c.version, ReviewStep::Approve, "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    // A stale version is refused.
    let e = content::review(&z.app, &who("tax2"), c.id, c.version - 1, ReviewStep::Approve, "")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Stale, "{e:?}");
    let c = content::review(&z.app, &who("tax2"), c.id, c.version, ReviewStep::Approve, "").await.unwrap();
    assert_eq!((c.state, c.reviewer.as_deref()), (ContentState::Published, Some("tax2")));
    let hits = found(&z, "ent_a", q("留抵退税办事指南")).await;
    assert_eq!(hits.first(), Some(&format!("guide:{}", c.id)), "{hits:?}");
    // Every step is in the history.
    let v = content::show(&z.app, &who("tax"), c.id).await.unwrap();
    assert_eq!(v.history.iter().filter(|h| h.field == "state").count(), 2);
    // Editing the published text sends it back to review: it is no longer found.
    let mut edit = guide();
    edit.body.push_str("申请后10个工作日内办结。");
    let c = content::edit(&z.app, &who("tax"), c.id, c.version, edit).await.unwrap();
    assert_eq!(c.state, ContentState::Draft);
    assert!(!found(&z, "ent_a", q("留抵退税办事指南")).await.contains(&format!("guide:{}", c.id)));
    // Bad input: unknown item with a hint, missing guide place, a case without consent.
    let mut bad = guide();
    bad.items = vec!["vat-credit-refund-small-micro-202".into()];
    let e = content::create(&z.app, &who("tax"), bad).await.unwrap_err();
    assert!(i18n::Localized::bilingual(&e).contains("vat-credit-refund-small-micro-2022"), "{e:?}");
    let mut bad = guide();
    bad.guide = Some(GuideInput::default());
    assert_eq!(content::create(&z.app, &who("tax"), bad).await.unwrap_err().kind(), ErrorKind::BadRequest);
    let case = ContentInput { kind: "典型案例".into(), guide: None, ..guide() };
    assert_eq!(content::create(&z.app, &who("tax"), case).await.unwrap_err().kind(), ErrorKind::BadRequest);
    assert_eq!(
        content::create(&z.app, &who("ent_a"), guide()).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
}

#[tokio::test]
async fn document_numbers_in_every_form_find_their_document_first() {
    let z = zone().await;
    for form in ["财政部 税务总局公告2022年第14号", "2022年第14号", "2022年14号", "税务总局公告〔2022〕14号"]
    {
        let hits = found(&z, "ent_a", q(form)).await;
        assert_eq!(hits.first().map(String::as_str), Some("policy:sta-2022-14"), "{form}: {hits:?}");
    }
    let hits = found(&z, "ent_a", q("工信部联企业〔2011〕300号")).await;
    assert_eq!(hits.first().map(String::as_str), Some("policy:size-standard-2011"), "{hits:?}");
}

#[tokio::test]
async fn pinyin_initials_and_full_pinyin_find_titles() {
    let z = zone().await;
    let hits = found(&z, "ent_a", q("zjtx")).await;
    assert!(hits.first().is_some_and(|h| h.starts_with("item:zone-srdi")), "{hits:?}");
    let hits = found(&z, "ent_a", q("liudi")).await;
    assert!(hits.iter().take(3).any(|h| h.starts_with("item:vat-credit-refund")), "{hits:?}");
}

#[tokio::test]
async fn a_synonym_kept_in_the_database_widens_a_search() {
    let z = zone().await;
    let faq = ContentInput {
        kind: "faq".into(),
        title: "企业如何申请稳岗返还？".into(),
        body: "参保企业上年度未裁员或裁员率不高于规定比例的，可申请失业保险稳岗返还，无需提交材料。".into(),
        department: Some("组织人事局".into()),
        guide: None,
        items: vec![],
        tags: vec![],
        ..guide()
    };
    let id = publish(&z, "policy", "admin", faq).await;
    let hit = format!("faq:{id}");
    assert!(!found(&z, "ent_a", q("岗位补贴")).await.contains(&hit));
    assert_eq!(
        search::save_synonyms(&z.app, &who("ent_a"), None, &["岗位补贴 稳岗返还".into()])
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    let g = search::save_synonyms(&z.app, &who("policy"), None, &["岗位补贴 稳岗返还".into()]).await.unwrap();
    assert_eq!(found(&z, "ent_a", q("岗位补贴")).await.first(), Some(&hit));
    assert!(search::delete_synonyms(&z.app, &who("policy"), g.id).await.unwrap());
    assert!(!found(&z, "ent_a", q("岗位补贴")).await.contains(&hit));
}

#[tokio::test]
async fn a_date_filter_leaves_out_items_no_longer_in_force() {
    let z = zone().await;
    // 财政部 税务总局公告2022年第15号: in force 2022-04-01 to 2022-12-31.
    let on = |d: &str| SearchRequest {
        kind: Some("item".into()),
        date: Some(d.into()),
        ..q("小规模纳税人免征增值税")
    };
    let item = "item:small-scale-vat-exemption-2022".to_string();
    let in_2022 = found(&z, "ent_a", on("2022-06-01")).await;
    assert!(in_2022.contains(&item), "{in_2022:?}");
    let in_2024 = found(&z, "ent_a", on("2024-06-01")).await;
    assert!(!in_2024.contains(&item), "{in_2024:?}");
    let before = found(&z, "ent_a", on("2022-03-31")).await;
    assert!(!before.contains(&item), "{before:?}");
    let e = search::search(&z.app, &who("ent_a"), &on("2022-02-30")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
}

#[tokio::test]
async fn an_enterprise_never_finds_another_enterprises_problems() {
    let z = zone().await;
    let raise = |p: &str, title: &str| {
        let req = app::problems::RaiseRequest {
            category: "tax".into(),
            title: title.into(),
            description: "三月提交的留抵退税申请至今没有到账".into(),
            ..Default::default()
        };
        let app = z.app.clone();
        let p = who(p);
        async move { app::problems::raise(&app, &p, req).await.unwrap().id() }
    };
    let a = raise("ent_a", "留抵退税迟迟未到账").await;
    let b = raise("ent_b", "留抵退税材料被退回").await;
    let has = |v: &[String], id: i64| v.contains(&format!("problem:{id}"));
    let of_a = found(&z, "ent_a", q("留抵退税")).await;
    assert!(has(&of_a, a) && !has(&of_a, b), "{of_a:?}");
    let of_b = found(&z, "ent_b", q("留抵退税")).await;
    assert!(has(&of_b, b) && !has(&of_b, a), "{of_b:?}");
    // The tax bureau (their lead) finds both; another department neither; a policy officer
    // none; a leader all.
    let tax = found(&z, "tax", q("留抵退税")).await;
    assert!(has(&tax, a) && has(&tax, b), "{tax:?}");
    let econ = found(&z, "econ", q("留抵退税")).await;
    assert!(!has(&econ, a) && !has(&econ, b), "{econ:?}");
    let policy = found(&z, "policy", q("留抵退税")).await;
    assert!(!policy.iter().any(|h| h.starts_with("problem:")), "{policy:?}");
    let leader = found(&z, "leader", q("留抵退税")).await;
    assert!(has(&leader, a) && has(&leader, b), "{leader:?}");
}

#[tokio::test]
async fn the_queue_keyword_filter_uses_the_index_and_keeps_substrings() {
    let z = zone().await;
    let raise = |title: &str, description: &str| {
        let req = app::problems::RaiseRequest {
            category: "tax".into(),
            title: title.into(),
            description: description.into(),
            ..Default::default()
        };
        let app = z.app.clone();
        async move { app::problems::raise(&app, &who("ent_a"), req).await.unwrap().id() }
    };
    let a = raise("留抵退税迟迟未到账", "三月提交的申请至今没有消息").await;
    let b = raise("厂房租金能否减免", "疫情期间租金压力大").await;
    let queue = |words: &str| {
        let req = app::problems::ListRequest {
            q: Some(words.into()),
            open: Some("all".into()),
            ..Default::default()
        };
        let app = z.app.clone();
        async move {
            let page = app::problems::list(&app, &who("tax"), req, true).await.unwrap();
            page.rows.iter().map(|r| r.row.id).collect::<Vec<i64>>()
        }
    };
    // A substring still matches (even inside a segmenter's word).
    assert_eq!(queue("迟迟未").await, [a]);
    // Every part must match: adding a part narrows.
    assert_eq!(queue("留抵退税 申请").await, [a]);
    assert!(queue("留抵退税 租金").await.is_empty());
    // A synonym the zone keeps finds what no substring would.
    assert!(queue("租赁费").await.is_empty(), "no synonym yet");
    search::save_synonyms(&z.app, &who("policy"), None, &["租赁费 租金".into()]).await.unwrap();
    assert_eq!(queue("租赁费").await, [b]);
    // The index answers only within the reader's scope: another department sees neither.
    let req =
        app::problems::ListRequest {
            q: Some("房租".into()), open: Some("all".into()), ..Default::default()
        };
    assert_eq!(app::problems::list(&z.app, &who("econ"), req, true).await.unwrap().total, 0);
}

#[tokio::test]
async fn searches_without_a_click_become_questions_without_answers() {
    let z = zone().await;
    let s1 = search::search(&z.app, &who("ent_a"), &q("厂房租金减免")).await.unwrap();
    search::search(&z.app, &who("ent_b"), &q("厂房租金减免")).await.unwrap();
    let s3 = search::search(&z.app, &who("ent_a"), &q("留抵退税")).await.unwrap();
    let first = &s3.hits[0];
    assert!(
        search::click(&z.app, &who("ent_a"), s3.search_id.unwrap(), first.kind.as_str(), &first.id)
            .await
            .unwrap()
    );
    // Officials' searches are not logged.
    assert!(search::search(&z.app, &who("tax"), &q("官员查询")).await.unwrap().search_id.is_none());
    assert!(s1.search_id.is_some());
    let u = search::unanswered(&z.app, &who("policy"), 10).await.unwrap();
    assert_eq!(u.iter().map(|u| (u.query.as_str(), u.count)).collect::<Vec<_>>(), vec![("厂房租金减免", 2)]);
    assert_eq!(search::unanswered(&z.app, &who("ent_a"), 10).await.unwrap_err().kind(), ErrorKind::Forbidden);
}

#[tokio::test]
async fn suggestions_while_typing_and_this_solved_it() {
    let z = zone().await;
    let id = publish(&z, "tax", "tax2", guide()).await;
    let hits =
        search::suggest(&z.app, &who("ent_a"), "我们想申请增值税留抵退税，需要什么材料", None).await.unwrap();
    assert!(hits.iter().any(|h| h.kind == ::search::Kind::Guide && h.id == id.to_string()), "{hits:?}");
    assert!(search::suggest(&z.app, &who("ent_a"), "留", None).await.unwrap().is_empty());
    search::solved(&z.app, &who("ent_a"), "留抵退税需要什么材料", "guide", &id.to_string()).await.unwrap();
    assert_eq!(
        search::solved(&z.app, &who("tax"), "x", "guide", "1").await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    let counts = search::self_service_counts(
        &z.app,
        &who("leader"),
        at("2022-06-01T00:00:00+08:00"),
        at("2022-07-01T00:00:00+08:00"),
    )
    .await
    .unwrap();
    assert_eq!(counts, vec![("guide".to_string(), 1)]);
    // The KPI report of the month carries it, apart from the problems (none were received).
    let june = app::kpis::KpiRequest { period: Some(kpi::Period::parse("2022-06").unwrap()), as_of: None };
    let k = app::kpis::kpis(&z.app, &who("leader"), june).await.unwrap().report;
    assert_eq!(k.self_service.total, 1);
    assert_eq!(app::kpis::self_service_text(&k.self_service), "1（办事指南 1）");
    assert_eq!(k.row(None, None).map_or(0, |r| r.counts.received), 0);
    let may = app::kpis::KpiRequest { period: Some(kpi::Period::parse("2022-05").unwrap()), as_of: None };
    assert_eq!(app::kpis::kpis(&z.app, &who("leader"), may).await.unwrap().report.self_service.total, 0);
}

#[tokio::test]
async fn rebuilding_the_index_loses_nothing() {
    let z = zone().await;
    let id = publish(&z, "tax", "tax2", guide()).await;
    let before = found(&z, "admin", q("留抵退税")).await;
    assert_eq!(search::rebuild(&z.app, &who("tax")).await.unwrap_err().kind(), ErrorKind::Forbidden);
    let r = search::rebuild(&z.app, &who("admin")).await.unwrap();
    assert!(r.documents > 30, "{r:?}");
    assert_eq!(found(&z, "admin", q("留抵退税")).await, before);
    assert!(before.contains(&format!("guide:{id}")));
}

#[tokio::test]
async fn a_case_is_made_only_of_a_closed_problem_anonymised_with_consent() {
    let z = zone().await;
    let req = app::problems::RaiseRequest {
        category: "tax".into(),
        title: "留抵退税未到账".into(),
        ..Default::default()
    };
    let p = app::problems::raise(&z.app, &who("ent_a"), req).await.unwrap().id();
    let input = |title: &str| app::content::CaseInput {
        problem: p,
        title: title.into(),
        body: "某科技企业留抵退税申请卡在资料核验环节，税务局上门辅导，三个工作日内办结。".into(),
        tags: vec![],
        items: vec![],
        consent: ConsentInput {
            by: "财务总监 王某".into(),
            on: "2022-05-30".into(),
            note: "签署同意书".into(),
        },
        department: None,
    };
    let e = content::make_case(&z.app, &who("tax"), input("上门辅导助企业拿到留抵退税")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "not closed: {e:?}");
    let e = content::make_case(&z.app, &who("econ"), input("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    // Closed: named enterprises are refused, an anonymous story is a draft case.
    for (actor, action) in [
        ("tax", "accept"),
        ("tax", "assign"),
        ("tax", "start"),
        ("tax", "answer"),
        ("ent_a", "confirm"),
        ("tax", "close"),
    ] {
        let mut r = app::problems::ActionRequest { action: action.into(), ..Default::default() };
        match action {
            "assign" => r.lead = Some("tax_bureau".into()),
            "answer" => {
                r.outcome = Some("resolved".into());
                r.note = Some("已退税".into());
            }
            "confirm" => r.rating = Some("满意".into()),
            _ => {}
        }
        if let Err(e) = app::problems::act(&z.app, &who(actor), p, r).await {
            panic!("{action}: {e:?}");
        }
    }
    let tax = who("tax");
    let view = app::problems::show(&z.app, app::problems::Reader::User(&tax), p, None).await.unwrap();
    assert_eq!(view.state().state, handling::State::Closed);
    let e = content::make_case(&z.app, &who("tax"), input("长沙甲科技有限公司拿到退税")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    let c = content::make_case(&z.app, &who("tax"), input("上门辅导助企业拿到留抵退税")).await.unwrap();
    assert_eq!(c.details.case.as_ref().and_then(|c| c.problem), Some(p));
    assert_eq!(c.state, ContentState::Draft);
}
