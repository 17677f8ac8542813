//! Willingness confirmation (意愿确认) and 应享未享 over a real store (SQLite always;
//! PostgreSQL too when `HUIQI_TEST_PG_URL` is set): an item named in the zone setting
//! `grants.confirmation_items` makes its run need confirmation; after approval only the
//! confirmed grant goes into the payment file, with its account; the confirmation is once,
//! by the enterprise itself, audited; the finance officer (role `finance`) issues the file.

use app::grant_pages::{self, ConfirmRequest};
use app::grants::{self, FileFormat, RunRequest};
use app::matching::{self, NoProgress};
use app::settings::{SetSettings, ZoneSettings};
use app::{App, Error, FixedClock, Principal};
use chrono::DateTime;
use std::sync::Arc;
use store::{Role, Store, StoreError};

fn official(name: &str, role: Role) -> Principal {
    Principal { username: name.into(), role, enterprise: None, department: None, display_name: name.into() }
}

fn enterprise_user(name: &str, uscc: &str) -> Principal {
    Principal {
        username: name.into(),
        role: Role::Enterprise,
        enterprise: Some(enterprise::UnifiedCreditCode::parse(uscc).unwrap()),
        department: None,
        display_name: name.into(),
    }
}

async fn confirmation(store: Arc<dyn Store>) {
    let app = crate::matching::zone(store, 400).await;
    let clock = Arc::new(FixedClock::new(DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").unwrap()));
    let app: App = app.with_clock(clock.clone());
    let admin = official("admin", Role::Admin);
    let mut settings = ZoneSettings::default();
    settings.grants.confirmation_items = "zone-first-hitech-award".into();
    app::settings::set(&app, &admin, SetSettings { expected: app::policy_docs::Expected::Current, settings })
        .await
        .unwrap();
    let prep = official("jingban", Role::Policy);
    let m = matching::run(
        &app,
        &prep,
        &matching::RunRequest {
            date: chrono::NaiveDate::from_ymd_opt(2022, 6, 30).unwrap(),
            tax_year: None,
            library_fingerprint: "t".into(),
        },
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let req = RunRequest {
        item: "zone-first-hitech-award".into(),
        period: "2022".into(),
        match_run: Some(m.run_id),
    };
    let out = grants::run(&app, &prep, &req, &NoProgress).await.unwrap();
    assert!(out.granted >= 2);
    let list = grants::list(&app, &prep, out.run, 0, 1000).await.unwrap();
    let (a, b) = (&list[0], &list[1]);
    let ent_a = enterprise_user("qiye_a", &a.uscc);
    let ent_b = enterprise_user("qiye_b", &b.uscc);

    // Officials see the run needs confirmation; nothing is confirmed yet.
    let rc = grant_pages::run_confirmations(&app, &prep, out.run).await.unwrap();
    assert!(rc.required && rc.confirmed.is_empty());

    // Only the enterprise itself confirms; a bad account is refused in both languages.
    let good = ConfirmRequest {
        grant: a.id,
        bank: "中国工商银行长沙高新支行".into(),
        account: "6222 0212 3456 1234".into(),
    };
    assert!(matches!(
        grant_pages::confirm(&app, &ent_b, &good).await,
        Err(Error::Store(StoreError::GrantNotFound { .. }))
    ));
    assert!(matches!(grant_pages::confirm(&app, &prep, &good).await, Err(Error::Forbidden)));
    let bad = ConfirmRequest { account: "6222-abc".into(), ..good.clone() };
    let e = grant_pages::confirm(&app, &ent_a, &bad).await.unwrap_err();
    let text = i18n::Localized::bilingual(&e);
    assert!(text.contains("8 到 32 位数字") && text.contains("8 to 32 digits"), "{text}");
    let c = grant_pages::confirm(&app, &ent_a, &good).await.unwrap();
    assert_eq!(c.account_masked, "6222 **** **** 1234");
    // Once.
    assert!(matches!(
        grant_pages::confirm(&app, &ent_a, &good).await,
        Err(Error::Store(StoreError::GrantWrongState { state, .. })) if state == "confirmed"
    ));
    // The enterprise's page data: confirmed, masked; the other may still confirm.
    let mine =
        grant_pages::enterprise_grants(&app, &ent_a, ent_a.enterprise.as_ref().unwrap()).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].needs_confirmation && !mine[0].may_confirm);
    assert_eq!(mine[0].confirmation.as_ref().unwrap().account_masked, "6222 **** **** 1234");
    assert!(mine[0].basis.as_ref().is_some_and(|b| b.item == "zone-first-hitech-award"));
    let theirs =
        grant_pages::enterprise_grants(&app, &ent_b, ent_b.enterprise.as_ref().unwrap()).await.unwrap();
    assert!(theirs[0].may_confirm);

    // Publicity, approval, then the finance officer's file holds only the confirmed grant.
    grants::publicize(&app, &prep, out.run, None).await.unwrap();
    clock.set(DateTime::parse_from_rfc3339("2026-12-09T09:00:00+08:00").unwrap());
    let view = grants::show_run(&app, &prep, out.run).await.unwrap();
    for k in 1..=view.approvals_required {
        grants::approve(&app, &official(&format!("lingdao{k}"), Role::Leader), out.run).await.unwrap();
    }
    let fin = official("caiwu", Role::Finance);
    let f = grants::payment_file(&app, &fin, out.run, FileFormat::Pain001, false).await.unwrap();
    assert_eq!(f.file.lines, 1, "only the confirmed grant is paid");
    let xml = String::from_utf8(f.bytes).unwrap();
    assert!(xml.contains(&format!("<EndToEndId>{}</EndToEndId>", a.id)));
    assert!(xml.contains("6222021234561234"), "the confirmed account is the creditor account");
    assert!(!xml.contains(&format!("<EndToEndId>{}</EndToEndId>", b.id)));
    // Payment results as a workbook (.xlsx, the finance system's export): read through the
    // import's bounded reader, all or nothing like the CSV.
    let results = |amount: rust_decimal::Decimal, status: &str| {
        let mut sheet =
            excel::Sheet::new("结果", &["授予编号", "支付日期", "凭证号", "金额", "状态", "原因"]);
        sheet.push(vec![
            a.id.into(),
            excel::Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()),
            "PZ-A".into(),
            excel::Cell::Money(amount),
            status.into(),
            "".into(),
        ]);
        let mut wb =
            excel::Workbook::new("支付结果", chrono::NaiveDate::from_ymd_opt(2026, 12, 10).unwrap().into());
        wb.sheets.push(sheet);
        wb.to_bytes().unwrap()
    };
    assert!(matches!(
        grants::import_results(&app, &fin, "r.xlsx", &results(a.amount, "maybe")).await,
        Err(Error::PaymentResults { problems }) if problems.len() == 1 && problems[0].contains("row 2")
    ));
    let imported = grants::import_results(&app, &fin, "r.xlsx", &results(a.amount, "成功")).await.unwrap();
    assert_eq!((imported.paid, imported.unknown), (1, 0));
    let paid = grants::grant(&app, &fin, a.id).await.unwrap();
    assert_eq!(
        (
            paid.grant.state.as_str(),
            paid.grant.paid_date.map(|d| d.to_string()),
            paid.grant.voucher.as_deref()
        ),
        ("paid", Some("2026-12-10".into()), Some("PZ-A"))
    );

    // After b confirms (approved grants may still confirm), the next file holds it.
    grant_pages::confirm(
        &app,
        &ent_b,
        &ConfirmRequest {
            grant: b.id, bank: "长沙银行".into(), account: "6217 0000 1111 2222 333".into()
        },
    )
    .await
    .unwrap();
    let f2 = grants::payment_file(&app, &fin, out.run, FileFormat::Csv, false).await.unwrap();
    assert_eq!(f2.file.lines, 1, "the other grants await their confirmation");
    // The csv carries the confirmed bank and account (unmasked: the finance system pays it).
    let text = String::from_utf8(f2.bytes).unwrap();
    let mut rows = text.lines();
    assert_eq!(rows.next(), Some("file_id,end_to_end_id,uscc,name,amount,item,period,bank,account"));
    let line = rows.next().unwrap();
    assert!(line.starts_with(&format!("{},{},", f2.file.id, b.id)), "{line}");
    assert!(line.ends_with(",长沙银行,6217000011112222333"), "{line}");
    assert!(rows.next().unwrap().contains(",CONTROL,"));

    // A finance officer issues files but neither runs nor approves.
    assert!(matches!(grants::approve(&app, &fin, out.run).await, Err(Error::Forbidden)));
    assert!(matches!(grants::publicize(&app, &fin, out.run, None).await, Err(Error::Forbidden)));

    // Audited in the grant chain, which verifies.
    let actions: Vec<String> =
        grants::events(&app, &prep, out.run).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|x| x == "confirmation_required"), "{actions:?}");
    assert_eq!(actions.iter().filter(|x| *x == "confirm").count(), 2);
    assert_eq!(grants::verify_chain(&app, &prep).await.unwrap().broken, None);

    // 应享未享: the award item counts its paid grants (one); declared reliefs are
    // counted as not known to have claimed.
    let u = grant_pages::unclaimed(&app, &prep).await.unwrap();
    assert_eq!(u.match_run, Some(m.run_id));
    let award = u.items.iter().find(|i| i.item == "zone-first-hitech-award").unwrap();
    assert_eq!((award.granted, award.paid, award.run), (Some(out.granted), Some(1), Some(out.run)));
    assert_eq!(award.not_claimed, award.eligible - 1);
    let relief = u.items.iter().find(|i| i.benefit_kind == "tax_relief_declared").unwrap();
    assert_eq!(relief.knowledge, grant_pages::ClaimKnowledge::Unknown);
    assert_eq!((relief.paid, relief.not_claimed), (None, relief.eligible));
    assert!(!u.departments.is_empty());
    assert!(grant_pages::unclaimed_workbook(&app, &prep).await.unwrap().starts_with(b"PK"));
    // Enterprises do not read it.
    assert!(matches!(grant_pages::unclaimed(&app, &ent_a).await, Err(Error::Forbidden)));
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
                    if let Some(s) = crate::matching::postgres(concat!("app_grant_pages_", stringify!($name))).await {
                        super::$name(s).await;
                    }
                }
            )*
        }
    };
}

both!(confirmation);
