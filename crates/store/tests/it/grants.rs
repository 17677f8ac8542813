//! Grants on the real store (both backends): the invariants the database itself enforces
//! (one grant per enterprise, item and period under reruns, concurrent runs and failed runs;
//! the preparer never approves; one approval per person; the issuer neither prepared nor
//! approved; a grant in one live payment-file line), the life of a run from grants to
//! reconciliation inputs, and the grant audit chain.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;
use std::sync::Arc;
use store::grants::{
    BudgetDecision, HandleObjection, NeedsData, NewGrant, NewGrantRun, NewPaymentFile, NewResultBatch,
    RecordGrants, ResultRow, RunPart, RunsMessage,
};
use store::{Stamp, Store, StoreError};

suite!("g"; a_run_goes_from_grants_to_reconciliation, reruns_concurrent_runs_and_failed_runs_never_grant_twice,
    a_budget_decision_reallocates_and_is_audited, runs_recorded_as_a_pass_sends_them);

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn stamp(user: &str) -> Stamp {
    Stamp::new(user, at("2026-12-05T10:00:00.123456789+08:00"))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn grant(e: i64, amount: Decimal) -> NewGrant {
    let basis = format!(r#"{{"enterprise":{e}}}"#);
    NewGrant {
        enterprise_id: e,
        uscc: format!("91430100MA4L{e:06}"),
        name: format!("企业{e}"),
        amount,
        basis_hash: ::grants::basis::hash_of(&basis),
        // The text; [`run_of`] packs it as a grant run does.
        basis: basis.into_bytes(),
    }
}

fn run_of(item: &str, mut grants: Vec<NewGrant>, user: &str) -> RecordGrants {
    let texts: Vec<&[u8]> = grants.iter().map(|g| g.basis.as_slice()).collect();
    let (basis_dictionary, bodies) = store::grants::packed::pack_all(&texts).unwrap();
    for (g, body) in grants.iter_mut().zip(bodies) {
        g.basis = body;
    }
    RecordGrants {
        run: NewGrantRun {
            item: item.into(),
            period: "2022".into(),
            match_run: 1,
            document_version: 1,
            actor: stamp(user),
        },
        grants,
        basis_dictionary,
        needs_data: Vec::new(),
    }
}

async fn ids(s: &dyn Store, run: i64) -> Vec<(i64, i64, String, Decimal)> {
    s.grants_of_run(run, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.id, g.enterprise_id, g.state, g.amount))
        .collect()
}

async fn a_run_goes_from_grants_to_reconciliation(s: &dyn Store) {
    let rec = s
        .record_grants(run_of("award", (1..=5).map(|e| grant(e, dec!(1000))).collect(), "prep"))
        .await
        .unwrap();
    assert!(rec.created);
    assert_eq!((rec.added, rec.added_amount), (5, dec!(5000)));
    // A rerun with one new enterprise adds only it, under the same run.
    let again = s
        .record_grants(run_of("award", (1..=6).map(|e| grant(e, dec!(1000))).collect(), "prep"))
        .await
        .unwrap();
    assert_eq!((again.run, again.created, again.added), (rec.run, false, 1));
    let run = rec.run;
    let g = ids(s, run).await;
    assert_eq!(g.len(), 6);
    assert!(g.iter().all(|x| x.2 == "pending"));
    // Each basis reads back as the exact text it was frozen as (packed against the first
    // text of its call: the rerun's grant against another dictionary), hash and all.
    for (id, e, ..) in &g {
        let d = s.grant(*id).await.unwrap().unwrap();
        assert_eq!(d.basis, format!(r#"{{"enterprise":{e}}}"#));
        assert_eq!(::grants::basis::hash_of(&d.basis), d.grant.basis_hash);
    }

    assert_eq!(s.publicize(run, day("2026-12-07"), day("2026-12-11"), stamp("prep")).await.unwrap(), 6);
    let (g1, g2, g3) = (g[0].0, g[1].0, g[2].0);
    let o1 = s.object(g1, "enterprise", "金额有误", stamp("ent")).await.unwrap();
    let o2 = s.object(g2, "department_officer", "不符合条件", stamp("dept")).await.unwrap();
    // A grant already objected to cannot take a second objection at once.
    assert!(matches!(
        s.object(g1, "enterprise", "again", stamp("ent")).await,
        Err(StoreError::GrantWrongState { .. })
    ));
    // No approval while objections are open.
    assert!(matches!(
        s.approve(run, 1, stamp("boss")).await,
        Err(StoreError::GrantObjectionsOpen { open: 2, .. })
    ));
    // Upheld with a new amount, and upheld (removed).
    s.handle_objection(HandleObjection {
        objection: o1,
        upheld: true,
        reason: "核实后调整".into(),
        new_amount: Some(dec!(800)),
        actor: stamp("dept"),
    })
    .await
    .unwrap();
    let o = s
        .handle_objection(HandleObjection {
            objection: o2,
            upheld: true,
            reason: "不符合".into(),
            new_amount: None,
            actor: stamp("dept"),
        })
        .await
        .unwrap();
    assert_eq!(o.outcome.as_deref(), Some("upheld"));
    assert!(matches!(
        s.handle_objection(HandleObjection {
            objection: o2,
            upheld: false,
            reason: "x".into(),
            new_amount: None,
            actor: stamp("dept")
        })
        .await,
        Err(StoreError::ObjectionNotFound { .. })
    ));
    assert_eq!(s.objections_of_run(run).await.unwrap().len(), 2);

    // The database refuses the preparer, and one person twice.
    assert_eq!(
        s.approve(run, 2, stamp("prep")).await,
        Err(StoreError::ApproverIsPreparer { run, username: "prep".into() })
    );
    let first = s.approve(run, 2, stamp("boss")).await.unwrap();
    assert_eq!((first.approvals.len(), first.approved), (1, 0));
    assert_eq!(
        s.approve(run, 2, stamp("boss")).await,
        Err(StoreError::ApprovedTwice { run, username: "boss".into() })
    );
    let second = s.approve(run, 2, stamp("boss2")).await.unwrap();
    assert_eq!((second.approved, second.approved_amount), (5, dec!(4800)));
    let r = s.grant_run(run).await.unwrap().unwrap();
    assert_eq!(r.count_in("approved"), 5);
    assert_eq!(r.count_in("rejected"), 1);
    assert_eq!(r.amount_in("approved"), dec!(4800));
    assert!(r.approvals.is_empty(), "a new round begins");

    // The issuer neither prepared nor approved.
    let file = |id: &str, user: &str| NewPaymentFile {
        run,
        file_id: id.into(),
        kind: "payment".into(),
        format: "csv".into(),
        actor: stamp(user),
    };
    assert_eq!(
        s.issue_payment_file(file("F1", "prep")).await.map(|_| ()),
        Err(StoreError::IssuerNotIndependent { run, username: "prep".into() })
    );
    assert_eq!(
        s.issue_payment_file(file("F1", "boss2")).await.map(|_| ()),
        Err(StoreError::IssuerNotIndependent { run, username: "boss2".into() })
    );
    let (f1, lines) = s.issue_payment_file(file("F1", "fin")).await.unwrap();
    assert_eq!((f1.lines, f1.control_sum), (5, dec!(4800)));
    assert_eq!(lines.len(), 5);
    // Already in a live file: nothing to issue again; voided, the lines come back.
    let (f2, again) = s.issue_payment_file(file("F2", "fin")).await.unwrap();
    assert_eq!((f2.lines, again.len()), (0, 0));
    let v = s.void_payment_file("F1", "金额需复核", stamp("fin")).await.unwrap();
    assert!(v.voided);
    let (f3, lines) = s.issue_payment_file(file("F3", "fin")).await.unwrap();
    assert_eq!((f3.lines, f3.control_sum), (5, dec!(4800)));

    // Results: one paid, one paid a different amount, one failed, one for an unknown grant.
    let res = |grant: i64, amount: Decimal, ok: bool| ResultRow {
        grant,
        date: day("2026-12-15"),
        voucher: format!("PZ{grant}"),
        amount,
        ok,
        reason: (!ok).then(|| "账户冻结".to_string()),
        batch: 0,
    };
    let l: Vec<i64> = lines.iter().map(|l| l.grant).collect();
    let imported = s
        .import_payment_results(NewResultBatch {
            file_name: "results.csv".into(),
            rows: vec![
                res(g1, dec!(800), true),
                res(g3, dec!(999), true),
                res(l[2], dec!(1000), false),
                res(999_999, dec!(5), true),
            ],
            actor: stamp("fin"),
        })
        .await
        .unwrap();
    assert_eq!((imported.paid, imported.failed, imported.unknown), (2, 1, 1));
    let (issued, results) = s.reconcile_inputs(run).await.unwrap();
    let rows = ::grants::reconcile(&issued, &results);
    let class = |g: i64| rows.iter().find(|r| r.grant == g).map(|r| r.class);
    assert_eq!(class(g1), Some(::grants::ReconClass::PaidOk));
    assert_eq!(class(g3), Some(::grants::ReconClass::PaidDifferentAmount));
    assert_eq!(class(l[2]), Some(::grants::ReconClass::Failed));
    assert_eq!(class(999_999), Some(::grants::ReconClass::PaidUnknown));
    assert_eq!(class(l[3]), Some(::grants::ReconClass::ApprovedNotPaid));
    let detail = s.grant(g1).await.unwrap().unwrap();
    assert_eq!(
        (detail.grant.state.as_str(), detail.grant.voucher.as_deref()),
        ("paid", Some(format!("PZ{g1}").as_str()))
    );
    assert_eq!(detail.objections.len(), 1);

    // The follow-up file holds the failed line only.
    let (fu, fl) =
        s.issue_payment_file(NewPaymentFile { kind: "follow_up".into(), ..file("F4", "fin") }).await.unwrap();
    assert_eq!((fu.lines, fl.iter().map(|x| x.grant).collect::<Vec<_>>()), (1, vec![l[2]]));

    // Every step is in the chain, which verifies.
    let actions: Vec<String> = s.grant_events(run).await.unwrap().into_iter().map(|e| e.action).collect();
    for a in [
        "run",
        "publicize",
        "object",
        "handle_objection",
        "approve",
        "payment_file",
        "void_payment_file",
        "payment_results",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
    }
    let report = s.verify_grant_chain().await.unwrap();
    assert_eq!(report.broken, None);
    assert!(report.events >= 14);
}

/// Reruns, concurrent runs (plain and streamed, `record_grant_runs`) and failed runs (a crash
/// before commit is a transaction that does not commit; a streamed pass that stops before its
/// end) in a fixed pseudo-random sequence: never two grants for an enterprise, item and
/// period, and every enterprise of a committed run has one.
async fn reruns_concurrent_runs_and_failed_runs_never_grant_twice(s: &dyn Store) {
    let s: Arc<&dyn Store> = Arc::new(s);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut committed = BTreeSet::new();
    // A streamed recording of "race" (the path of `grant run --all-items`): all of `es` in
    // one batch, then `Done` unless it stops before its end.
    let streamed = |es: &[i64], done: bool| {
        let mut r = run_of("race", es.iter().map(|e| grant(*e, dec!(10))).collect(), "p3");
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let part = RunPart {
            grants: r.grants.drain(..).collect(),
            needs_data: vec![],
            basis_dictionary: Some(r.basis_dictionary),
        };
        tokio::spawn(async move {
            let _ = tx.send(RunsMessage::Batch(vec![part])).await;
            if done {
                let _ = tx.send(RunsMessage::Done).await;
            }
        });
        (r.run, rx)
    };
    for step in 0..15 {
        let pick = |n: &mut dyn FnMut() -> u64| -> Vec<i64> {
            let mut v: Vec<i64> = (0..8).map(|_| (n() % 30) as i64 + 1).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let a = pick(&mut next);
        let b = pick(&mut next);
        match step % 5 {
            3 => {
                // A streamed pass and a run of the same item at once.
                let (run, rx) = streamed(&a, true);
                let (ra, rb) = tokio::join!(
                    s.record_grant_runs(vec![run], rx),
                    s.record_grants(run_of("race", b.iter().map(|e| grant(*e, dec!(10))).collect(), "p2")),
                );
                assert_eq!(ra.unwrap()[0].run, rb.unwrap().run, "one run per item and period");
                committed.extend(a.iter().chain(b.iter()).copied());
            }
            4 => {
                // A streamed pass that stops before its end (the process died mid-pass).
                let (run, rx) = streamed(&b, false);
                assert!(s.record_grant_runs(vec![run], rx).await.is_err());
            }
            0 => {
                // Two runs of the same item and period at once.
                let (ra, rb) = tokio::join!(
                    s.record_grants(run_of("race", a.iter().map(|e| grant(*e, dec!(10))).collect(), "p1")),
                    s.record_grants(run_of("race", b.iter().map(|e| grant(*e, dec!(10))).collect(), "p2")),
                );
                let (ra, rb) = (ra.unwrap(), rb.unwrap());
                assert_eq!(ra.run, rb.run, "one run per item and period");
                committed.extend(a.iter().chain(b.iter()).copied());
            }
            1 => {
                // A run that fails before its commit (an amount finer than a fen at the end).
                let mut gs: Vec<NewGrant> = a.iter().map(|e| grant(*e, dec!(10))).collect();
                gs.push(grant(1000 + step, dec!(0.001)));
                assert!(s.record_grants(run_of("race", gs, "p1")).await.is_err());
            }
            _ => {
                s.record_grants(run_of("race", a.iter().map(|e| grant(*e, dec!(10))).collect(), "p1"))
                    .await
                    .unwrap();
                committed.extend(a.iter().copied());
            }
        }
        let granted = s.granted_enterprises("race", "2022").await.unwrap();
        let unique: BTreeSet<i64> = granted.iter().copied().collect();
        assert_eq!(unique.len(), granted.len(), "a second grant at step {step}");
        assert_eq!(unique, committed, "step {step}");
    }
}

async fn a_budget_decision_reallocates_and_is_audited(s: &dyn Store) {
    let rec = s
        .record_grants(run_of("budget", (1..=3).map(|e| grant(e, dec!(50))).collect(), "prep"))
        .await
        .unwrap();
    let g: Vec<i64> = ids(s, rec.run).await.into_iter().map(|x| x.0).collect();
    s.decide_budget(BudgetDecision {
        run: rec.run,
        budget: dec!(100),
        rule: "pro_rata".into(),
        lines: vec![(g[0], dec!(33.34)), (g[1], dec!(33.33)), (g[2], dec!(33.33))],
        actor: stamp("fin"),
    })
    .await
    .unwrap();
    let r = s.grant_run(rec.run).await.unwrap().unwrap();
    assert_eq!(r.budget, Some(dec!(100)));
    assert_eq!(r.allocation_rule.as_deref(), Some("pro_rata"));
    assert_eq!(r.live_totals(), (3, dec!(100)));
    s.decide_budget(BudgetDecision {
        run: rec.run,
        budget: dec!(60),
        rule: "amount_ascending".into(),
        lines: vec![(g[0], dec!(33.34)), (g[1], dec!(0)), (g[2], dec!(0))],
        actor: stamp("fin"),
    })
    .await
    .unwrap();
    let r = s.grant_run(rec.run).await.unwrap().unwrap();
    assert_eq!(r.count_in("rejected"), 2);
    assert!(s.grant_events(rec.run).await.unwrap().iter().filter(|e| e.action == "budget").count() == 2);
    assert_eq!(s.verify_grant_chain().await.unwrap().broken, None);
}

/// Several runs recorded from batches as a pass sends them (`record_grant_runs`): each run
/// gets its grants (bases unpacked to their exact text, hash checked), needs-data rows and
/// audit event; a rerun adds only the new grants and replaces the needs-data list; a pass
/// that stops before `Done` records nothing.
async fn runs_recorded_as_a_pass_sends_them(s: &dyn Store) {
    let new_run = |item: &str| NewGrantRun {
        item: item.into(),
        period: "2022".into(),
        match_run: 1,
        document_version: 1,
        actor: stamp("prep"),
    };
    let need = |e: i64| NeedsData {
        enterprise_id: e,
        uscc: format!("91430100MA4L{e:06}"),
        name: format!("企业{e}"),
        outcome: "undetermined".into(),
        missing: vec!["revenue[2021]".into()],
        departments: vec!["税务".into()],
    };
    // The parts of one batch: run A grants `a`, run B grants `b` and lacks data for `n`.
    let part = |grants: Vec<NewGrant>, needs: Vec<NeedsData>, first: bool| {
        let mut r = run_of("x", grants, "prep");
        RunPart {
            grants: r.grants.drain(..).collect(),
            needs_data: needs,
            basis_dictionary: first.then_some(r.basis_dictionary),
        }
    };
    let send = |batches: Vec<RunsMessage>| {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            for b in batches {
                if tx.send(b).await.is_err() {
                    break;
                }
            }
        });
        rx
    };
    // Each run's parts are packed against their own first text; the second batch's bodies
    // are packed against the first batch's dictionary, as a pass packs them.
    let packed = |es: &[i64], dict_of: &[i64]| {
        let texts: Vec<String> =
            dict_of.iter().chain(es).map(|e| format!(r#"{{"enterprise":{e}}}"#)).collect();
        let refs: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
        let (dictionary, bodies) = store::grants::packed::pack_all(&refs).unwrap();
        let grants: Vec<NewGrant> = es
            .iter()
            .zip(bodies.into_iter().skip(dict_of.len()))
            .map(|(e, body)| NewGrant { basis: body, ..grant(*e, dec!(100)) })
            .collect();
        (dictionary, grants)
    };
    let (dict_a, a1) = packed(&[1, 2], &[]);
    let (_, a2) = packed(&[5], &[1]);
    let (dict_b, b1) = packed(&[2, 3], &[]);
    let batches = vec![
        RunsMessage::Batch(vec![
            RunPart { grants: a1, needs_data: vec![], basis_dictionary: Some(dict_a) },
            RunPart { grants: b1, needs_data: vec![need(4)], basis_dictionary: Some(dict_b) },
        ]),
        RunsMessage::Batch(vec![
            RunPart { grants: a2, needs_data: vec![], basis_dictionary: None },
            RunPart::default(),
        ]),
        RunsMessage::Done,
    ];
    let recs =
        s.record_grant_runs(vec![new_run("stream-a"), new_run("stream-b")], send(batches)).await.unwrap();
    assert_eq!(
        recs.iter().map(|r| (r.created, r.added, r.needs_data)).collect::<Vec<_>>(),
        [(true, 3, 0), (true, 2, 1)]
    );
    assert_eq!(recs[0].added_amount, dec!(300));
    let got: Vec<i64> = ids(s, recs[0].run).await.into_iter().map(|x| x.1).collect();
    assert_eq!(got, [1, 2, 5]);
    for g in s
        .grants_of_run(recs[0].run, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .chain(s.grants_of_run(recs[1].run, 0, 100).await.unwrap())
    {
        let d = s.grant(g.id).await.unwrap().unwrap();
        assert_eq!(d.basis, format!(r#"{{"enterprise":{}}}"#, g.enterprise_id));
        assert_eq!(::grants::basis::hash_of(&d.basis), d.grant.basis_hash);
    }
    assert_eq!(
        s.needs_data(recs[1].run).await.unwrap().iter().map(|n| n.enterprise_id).collect::<Vec<_>>(),
        [4]
    );
    for r in &recs {
        assert_eq!(s.grant_events(r.run).await.unwrap().iter().filter(|e| e.action == "run").count(), 1);
    }

    // A pass that stops before its end records nothing: not its new grants, not its lists.
    let stopped =
        vec![RunsMessage::Batch(vec![part(vec![grant(9, dec!(1))], vec![], true), RunPart::default()])];
    assert!(
        s.record_grant_runs(vec![new_run("stream-a"), new_run("stream-c")], send(stopped)).await.is_err()
    );
    assert_eq!(ids(s, recs[0].run).await.len(), 3);
    assert_eq!(s.grant_run_by_key("stream-c", "2022").await.unwrap(), None);

    // A rerun adds only what is new and replaces the needs-data list.
    let (dict, again) = packed(&[3, 4], &[]);
    let rerun = vec![
        RunsMessage::Batch(vec![
            RunPart::default(),
            RunPart { grants: again, needs_data: vec![], basis_dictionary: Some(dict) },
        ]),
        RunsMessage::Done,
    ];
    let recs2 =
        s.record_grant_runs(vec![new_run("stream-a"), new_run("stream-b")], send(rerun)).await.unwrap();
    assert_eq!(
        recs2.iter().map(|r| (r.run, r.created, r.added, r.needs_data)).collect::<Vec<_>>(),
        [(recs[0].run, false, 0, 0), (recs[1].run, false, 1, 0)]
    );
    assert!(s.needs_data(recs[1].run).await.unwrap().is_empty());
    assert_eq!(s.verify_grant_chain().await.unwrap().broken, None);
}
