//! Financing of issue 15 over a real store (SQLite always; PostgreSQL when
//! `HUIQI_TEST_PG_URL` is set): two institutions publish products; an enterprise posts a
//! demand and it is matched with an explanation; one institution declines with a reason,
//! the other accepts and grants the loan, which closes the demand with its outcome; an
//! institution does not see a demand matched only to another's products; a demand past its
//! deadline is red; a bridge loan goes through its steps; the KPI row and the workbook.

use app::financing::{self, DemandRequest, ListFilter, ProductRequest, RespondRequest};
use app::{App, Error, FixedClock, Principal};
use chrono::DateTime;
use enterprise::UnifiedCreditCode;
use handling::deadline::Warning;
use services::financing::DemandState as S;
use std::sync::Arc;
use store::{NewUser, Role, Store};

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn who(
    name: &str,
    role: Role,
    enterprise: Option<&UnifiedCreditCode>,
    department: Option<&str>,
) -> Principal {
    Principal {
        username: name.into(),
        role,
        enterprise: enterprise.cloned(),
        department: department.map(Into::into),
        display_name: name.into(),
    }
}

fn product(id: &str, min: &str, max: &str, eligibility: &str) -> ProductRequest {
    ProductRequest {
        id: id.into(),
        name: format!("科创贷{id}"),
        kinds: vec!["贷款".into(), "bridge_loan".into()],
        amount_min: min.into(),
        amount_max: max.into(),
        term_min_months: 6,
        term_max_months: 36,
        rate_min: "3.45".into(),
        rate_max: "4.35%".into(),
        eligibility: eligibility.into(),
        ..Default::default()
    }
}

fn demand(kind: &str, amount: &str) -> DemandRequest {
    DemandRequest {
        kind: kind.into(),
        amount: amount.into(),
        term_months: 12,
        purpose: "采购原材料，补充流动资金".into(),
        collateral: vec!["应收账款".into()],
        urgency: Some("较急".into()),
        ..Default::default()
    }
}

async fn institution_user(app: &App, admin: &Principal, name: &str, institution: &str) -> Principal {
    app.store
        .create_user(&NewUser {
            username: name.into(),
            role: Role::FinancialInstitution,
            password_hash: "x".into(),
            enterprise: None,
            department: None,
            display_name: institution.into(),
            at: app.now(),
        })
        .await
        .unwrap();
    financing::bind_institution(app, admin, name, institution).await.unwrap();
    who(name, Role::FinancialInstitution, None, None)
}

async fn financing_from_demand_to_loan(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 20).await;
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let admin = who("admin", Role::Admin, None, None);
    let officer = who("kejin", Role::Department, None, Some(financing::OFFICE));
    // Another department's officer reads every demand but manages none.
    let tax_officer = who("shuiwu", Role::Department, None, Some("tax_bureau"));
    assert!(!financing::is_officer(&tax_officer) && financing::is_officer(&officer));
    assert_eq!(financing::scope(&app, &tax_officer).await.unwrap(), financing::Scope::All);
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    let (a, b) = (&codes[0], &codes[1]);
    let qiye_a = who("qiyea", Role::Enterprise, Some(a), None);
    let qiye_b = who("qiyeb", Role::Enterprise, Some(b), None);
    let bank = institution_user(&app, &admin, "yinhang", "长沙银行高新支行").await;
    let guarantee = institution_user(&app, &admin, "danbao", "湖南省融资担保集团").await;

    // Products: the institution is the user's own; bad eligibility and ranges are refused.
    let e = financing::save_product(&app, &bank, &product("bad", "100万", "500万", "credit_rating == \"A\""))
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::Invalid { field, .. } if field == "eligibility"), "{e:?}");
    let e = financing::save_product(&app, &bank, &product("bad", "500万", "100万", "")).await.unwrap_err();
    assert_eq!(e.kind(), app::ErrorKind::BadRequest, "{e:?}");
    let mut other = product("x", "1", "2", "");
    other.institution = Some("湖南省融资担保集团".into());
    assert!(matches!(financing::save_product(&app, &bank, &other).await, Err(Error::Forbidden)));
    assert!(matches!(
        financing::save_product(&app, &qiye_a, &product("x", "1", "2", "")).await,
        Err(Error::Forbidden)
    ));
    let p = financing::save_product(&app, &bank, &product("cs-kechuang", "10万", "500万", "")).await.unwrap();
    assert_eq!(p.product.product.institution, "长沙银行高新支行");
    assert_eq!(p.product.product.amount_min, rust_decimal::Decimal::from(100_000));
    financing::save_product(&app, &guarantee, &product("hn-danbao", "80万", "1000万", "")).await.unwrap();
    // An edit names the version it read.
    let mut edit = product("cs-kechuang", "10万", "500万", "");
    edit.description = "纯信用，随借随还".into();
    assert!(matches!(financing::save_product(&app, &bank, &edit).await, Err(Error::Stale)));
    edit.version = Some(1);
    assert_eq!(financing::save_product(&app, &bank, &edit).await.unwrap().product.version, 2);

    // Bad demands: a clear error naming the field, nothing stored.
    let mut bad = demand("贷款", "一百万");
    assert!(
        matches!(financing::post(&app, &qiye_a, &bad).await, Err(Error::Invalid { field, .. }) if field == "amount")
    );
    bad = demand("贷款", "100万");
    bad.purpose = "用".repeat(501);
    assert!(matches!(financing::post(&app, &qiye_a, &bad).await, Err(Error::TooLong { .. })));
    assert!(financing::list(&app, &officer, &ListFilter::default()).await.unwrap().is_empty());

    // An enterprise posts: matched with both institutions' products, with the explanation.
    let d = financing::post(&app, &qiye_a, &demand("贷款", "100万")).await.unwrap();
    let id = d.view.record.id;
    assert_eq!(d.view.record.state, S::Matched);
    assert_eq!(d.view.record.demand.channel, store::financing::Channel::Online);
    assert_eq!(d.view.light, Warning::None);
    // 20 working days from Tuesday 1 December 2026.
    assert_eq!(d.view.record.demand.deadline.to_string(), "2026-12-29");
    assert_eq!(d.matches.len(), 2, "{:?}", d.matches);
    assert!(d.matches.iter().all(|m| m.m.matched && m.m.explanation.contains("成立")), "{:?}", d.matches);
    assert!(d.matches[0].m.explanation.contains("1000000"), "{}", d.matches[0].m.explanation);

    // 50万 is below the guarantee company's minimum: only the bank's product, and the
    // guarantee company neither lists nor opens it.
    let small = financing::post(&app, &qiye_b, &demand("贷款", "50万")).await.unwrap();
    let small_id = small.view.record.id;
    assert_eq!(small.matches.len(), 1);
    assert!(matches!(financing::show(&app, &guarantee, small_id).await, Err(Error::DemandNotFound { .. })));
    let seen: Vec<i64> = financing::list(&app, &guarantee, &ListFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|v| v.record.id)
        .collect();
    assert_eq!(seen, vec![id]);
    // An enterprise sees its own only.
    assert!(matches!(financing::show(&app, &qiye_b, id).await, Err(Error::DemandNotFound { .. })));
    // An institution sees its own product's match only.
    let for_bank = financing::show(&app, &bank, id).await.unwrap();
    assert_eq!(for_bank.matches.len(), 1);
    assert!(for_bank.may_respond);

    // The bank declines (a reason is required); the guarantee company accepts and grants.
    let decline = |reason: &str| RespondRequest {
        product: "cs-kechuang".into(),
        response: "婉拒".into(),
        reason: reason.into(),
        ..Default::default()
    };
    assert!(matches!(financing::respond(&app, &bank, id, &decline("")).await, Err(Error::Required { .. })));
    let after =
        financing::respond(&app, &bank, id, &decline("近两年连续亏损，不符合授信条件")).await.unwrap();
    assert_eq!(after.view.record.state, S::Matched);
    // The bank cannot answer for the guarantee company's product.
    let wrong =
        RespondRequest { product: "hn-danbao".into(), response: "accepted".into(), ..Default::default() };
    assert!(matches!(financing::respond(&app, &bank, id, &wrong).await, Err(Error::Invalid { .. })));
    // Granting before accepting is refused.
    let grant = RespondRequest {
        product: "hn-danbao".into(),
        response: "granted".into(),
        amount: Some("80万".into()),
        date: Some("2026-12-01".into()),
        ..Default::default()
    };
    assert_eq!(
        financing::respond(&app, &guarantee, id, &grant).await.unwrap_err().kind(),
        app::ErrorKind::Conflict
    );
    financing::respond(&app, &guarantee, id, &wrong).await.unwrap();
    let done = financing::respond(&app, &guarantee, id, &grant).await.unwrap();
    assert_eq!(done.view.record.state, S::Granted);
    assert_eq!(done.view.record.granted_amount, Some(rust_decimal::Decimal::from(800_000)));
    assert!(done.view.record.outcome_at.is_some());
    assert!(!done.may_respond);
    // The guarantee company does not see the bank's decline; the officer sees every answer.
    let kinds: Vec<&str> = done.responses.iter().map(|r| r.response.kind.as_str()).collect();
    assert_eq!(kinds, vec!["accepted", "granted"]);
    let all = financing::show(&app, &officer, id).await.unwrap();
    let kinds: Vec<&str> = all.responses.iter().map(|r| r.response.kind.as_str()).collect();
    assert_eq!(kinds, vec!["declined", "accepted", "granted"]);
    // The enterprise sees the decline's reason.
    let mine = financing::show(&app, &qiye_a, id).await.unwrap();
    assert!(mine.responses.iter().any(|r| r.response.reason.contains("亏损")));

    // A bridge loan goes through its steps, recorded by the officer; an enterprise cannot.
    let bridge = financing::post(&app, &qiye_a, &demand("转贷过桥", "200万")).await.unwrap();
    let bid = bridge.view.record.id;
    assert_eq!(bridge.view.record.demand.step, Some(services::financing::special::Step::Application));
    assert!(matches!(financing::step(&app, &qiye_a, bid, "review", "", None).await, Err(Error::Forbidden)));
    assert!(financing::step(&app, &officer, bid, "disbursed", "", None).await.is_err());
    for s in ["审核中", "approved", "disbursed"] {
        financing::step(&app, &officer, bid, s, "", None).await.unwrap();
    }
    let repaid = financing::step(&app, &officer, bid, "repaid", "已按期归还过桥资金", None).await.unwrap();
    assert_eq!(repaid.view.record.state, S::Granted);
    assert_eq!(repaid.view.record.demand.step, Some(services::financing::special::Step::Repaid));

    // Forty days on, the small demand has no outcome: red, and behind on the dashboard.
    clock.set(at("2027-01-10T09:00:00+08:00"));
    let red =
        financing::list(&app, &officer, &ListFilter { light: Some("red".into()), ..Default::default() })
            .await
            .unwrap();
    assert_eq!(red.iter().map(|v| v.record.id).collect::<Vec<_>>(), vec![small_id]);
    let leader = who("lingdao", Role::Leader, None, None);
    let rows =
        app::service_lines::dashboard(&app, &leader, chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap())
            .await
            .unwrap();
    let row = rows.iter().find(|r| r.name_zh == "融资对接").unwrap();
    assert_eq!(row.figures[0].value, 3, "{row:?}");
    assert_eq!(row.figures[2].value, 2, "{row:?}");
    assert_eq!(row.behind, 1, "{row:?}");
    // The enterprise withdraws it.
    assert!(matches!(financing::close(&app, &qiye_b, small_id, " ").await, Err(Error::Required { .. })));
    let closed = financing::close(&app, &qiye_b, small_id, "已通过其他渠道解决").await.unwrap();
    assert_eq!(closed.view.record.state, S::Closed);
    assert_eq!(closed.view.light, Warning::None);

    // The workbook reads back: a row per demand.
    let bytes = financing::workbook(&app, &officer, &ListFilter::default()).await.unwrap();
    let rows = import::xlsx::read_xlsx_rows(std::io::Cursor::new(bytes), 100).unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0][0], "编号");
    assert!(rows.iter().any(|r| r.iter().any(|c| c == "已放款")));
    assert!(matches!(
        financing::workbook(&app, &qiye_a, &ListFilter::default()).await,
        Err(Error::Forbidden)
    ));

    // Every write is audited.
    let audit = app.store.audit_records("financing_demand", Some(&id.to_string()), 100).await.unwrap();
    assert!(audit.len() >= 6, "{audit:?}");
    let audit = app.store.audit_records("financial_product", Some("cs-kechuang"), 100).await.unwrap();
    assert!(audit.len() >= 2, "{audit:?}");
}

/// Posting a demand does not compile every product again, yet a product edited (here or by
/// another process sharing the database) or a policy document changed is matched with at
/// once: the cached book follows every change.
async fn the_product_book_follows_every_change(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 5).await;
    let app: App = app.with_clock(Arc::new(FixedClock::new(at("2026-12-01T09:00:00+08:00"))));
    let admin = who("admin", Role::Admin, None, None);
    let bank = institution_user(&app, &admin, "yinhang", "长沙银行高新支行").await;
    financing::save_product(&app, &bank, &product("cs-a", "10万", "500万", "")).await.unwrap();
    let first = financing::book(&app).await.unwrap();
    assert!(Arc::ptr_eq(&first, &financing::book(&app).await.unwrap()), "compiled again without a change");
    assert_eq!(first.products.len(), 1);
    // Another process (a second App over the same store, with its own cache) adds a product.
    let other = App::new(Arc::clone(&app.store));
    let other_bank = who("yinhang", Role::FinancialInstitution, None, None);
    financing::save_product(&other, &other_bank, &product("cs-b", "10万", "500万", "")).await.unwrap();
    let second = financing::book(&app).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(second.products.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["cs-a", "cs-b"]);
    // An edit of eligibility (a new version) is compiled in.
    let mut edit = product("cs-b", "10万", "500万", "employees[2021] > 100000000");
    edit.version = Some(1);
    financing::save_product(&other, &other_bank, &edit).await.unwrap();
    let third = financing::book(&app).await.unwrap();
    assert!(!Arc::ptr_eq(&second, &third));
    assert_eq!(third.products[1].eligibility, "employees[2021] > 100000000");
}

/// An institution's edit matches the open demands against that product only: its own match
/// of each demand is replaced (or removed when it no longer fits, or when the product is taken
/// off offer), the other institutions' matches stay exactly as they were decided, and each
/// change is in the audit trail.
async fn an_edited_product_replaces_only_its_own_matches(store: Arc<dyn Store>) {
    store.seed_reference_data().await.unwrap();
    let app = crate::matching::zone(store, 10).await;
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00+08:00")));
    let app: App = app.with_clock(clock.clone());
    let admin = who("admin", Role::Admin, None, None);
    let mut codes = Vec::new();
    store::for_each_enterprise(app.store.as_ref(), 100, |row| {
        codes.push(row.enterprise.uscc.clone());
        Ok(())
    })
    .await
    .unwrap();
    let qiye = who("qiye", Role::Enterprise, Some(&codes[0]), None);
    let bank = institution_user(&app, &admin, "yinhang", "长沙银行高新支行").await;
    let guarantee = institution_user(&app, &admin, "danbao", "湖南省融资担保集团").await;
    financing::save_product(&app, &bank, &product("cs-a", "10万", "500万", "")).await.unwrap();
    financing::save_product(&app, &guarantee, &product("hn-b", "80万", "1000万", "")).await.unwrap();
    let d = financing::post(&app, &qiye, &demand("贷款", "100万")).await.unwrap();
    let id = d.view.record.id;
    let ids = |ms: &[store::financing::MatchRecord]| {
        let mut v = ms.iter().map(|m| m.m.product_id.clone()).collect::<Vec<_>>();
        v.sort();
        v
    };
    let hn_b = |ms: &[store::financing::MatchRecord]| ms.iter().find(|m| m.m.product_id == "hn-b").cloned();
    let before = app.store.matches_of(id).await.unwrap();
    assert_eq!(ids(&before), ["cs-a", "hn-b"]);

    // The bank lowers its ceiling below the demand: its match goes, the guarantee company's stays.
    clock.advance(chrono::Duration::hours(1));
    let mut edit = product("cs-a", "10万", "90万", "");
    edit.version = Some(1);
    let saved = financing::save_product(&app, &bank, &edit).await.unwrap();
    assert_eq!(saved.rematched, 1);
    let after = app.store.matches_of(id).await.unwrap();
    assert_eq!(ids(&after), ["hn-b"]);
    assert_eq!(hn_b(&after), hn_b(&before), "the other institution's match is untouched (its time too)");
    // Raised again: matched again, decided now.
    clock.advance(chrono::Duration::hours(1));
    let mut edit = product("cs-a", "10万", "500万", "");
    edit.version = Some(2);
    financing::save_product(&app, &bank, &edit).await.unwrap();
    let again = app.store.matches_of(id).await.unwrap();
    assert_eq!(ids(&again), ["cs-a", "hn-b"]);
    let cs_a = again.iter().find(|m| m.m.product_id == "cs-a").unwrap();
    let first = before.iter().find(|m| m.m.product_id == "cs-a").unwrap();
    assert!(cs_a.m.matched && cs_a.matched_at > first.matched_at, "{cs_a:?}");
    assert_eq!(hn_b(&again), hn_b(&before));
    // Taken off offer: its match is removed.
    let mut off = product("cs-a", "10万", "500万", "");
    off.version = Some(3);
    off.active = Some(false);
    financing::save_product(&app, &bank, &off).await.unwrap();
    assert_eq!(ids(&app.store.matches_of(id).await.unwrap()), ["hn-b"]);
    let audit = app.store.audit_records("financing_demand", Some(&id.to_string()), 100).await.unwrap();
    let changes: Vec<&str> =
        audit.iter().filter(|a| a.field == "product_match").filter_map(|a| a.new.as_deref()).collect();
    for want in ["cs-a: none", "cs-a: matched"] {
        assert!(changes.contains(&want), "{want} in {changes:?}");
    }
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
                    if let Some(s) = crate::matching::postgres(concat!("app_financing_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(
    financing_from_demand_to_loan,
    the_product_book_follows_every_change,
    an_edited_product_replaces_only_its_own_matches
);
