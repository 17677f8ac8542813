//! Golden fixtures of the audit chain (`tests/golden/audit_chain/`): for every kind of event
//! (each action, and each shape of its data), the canonical bytes the chain hashes
//! ([`Event::canonical_json`]) and the chain of hashes over them. A change to a type's serde
//! form, a field's order or a time's format would change the bytes and break the
//! verification of chains already stored; this test fails first. `HUIQI_BLESS=1` rewrites the
//! files (only for a deliberate, migrated change of the encoding: docs/PROBLEMS.md).

use super::*;
use handling::{Action, ActionKind, AppliedLimits, ExplainReason, Limit, Outcome, Rating, ReviewDecision};

fn t(minutes: i64) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2022-05-06T09:30:00+08:00").unwrap() + Duration::minutes(minutes)
}

fn uscc() -> UnifiedCreditCode {
    UnifiedCreditCode::parse("91430100MA4L00011K").unwrap()
}

/// One event: `who` is (username, role, department); enterprise users carry the code.
fn ev(
    seq: u32,
    who: (&str, HRole, Option<&str>),
    from: Option<State>,
    to: State,
    note: Option<&str>,
    action: Action,
) -> Event {
    Event {
        seq,
        at: t(i64::from(seq) * 7),
        actor: who.0.into(),
        role: who.1,
        actor_department: who.2.map(str::to_string),
        actor_enterprise: (who.1 == HRole::Enterprise).then(uscc),
        from,
        to,
        note: note.map(str::to_string),
        action,
    }
}

/// Every kind of event, named.
fn events() -> Vec<(&'static str, Event)> {
    use HRole::*;
    use State::*;
    let ent = ("zhizao", Enterprise, None);
    let tax = ("shuiwu", Department, Some("tax_bureau"));
    let coop = ("jingfa", Department, Some("economic_development"));
    let sup = ("ducha", Supervisor, None);
    let leader = ("lingdao", Leader, None);
    let system = ("system", System, None);
    let problem = Problem {
        enterprise: uscc(),
        channel: Channel::Hotline,
        category: "tax".into(),
        title: "留抵退税进度查询 \"引号\" \\ 反斜杠".into(),
        description: "三月申请，尚未到账。\n第二行\t制表".into(),
        attachments: vec![format!("sha256:{} 发票.pdf", "ab".repeat(32))],
        urgency: Urgency::Urgent,
        confidential: true,
        received_at: t(0),
        visit: Some("12".into()),
    };
    let limits = AppliedLimits {
        accept: Limit::Hours(2),
        answer: Limit::Workdays(7),
        yellow_percent: 80,
        objection_workdays: 1,
        report_workdays: 3,
        confirm_workdays: 5,
        max_extensions_per_round: 1,
    };
    let assign = Action::Assign {
        lead: "tax_bureau".into(),
        cooperating: vec!["economic_development".into()],
        handler: Some("王科长".into()),
    };
    vec![
        (
            "submit",
            ev(
                1,
                ent,
                None,
                Submitted,
                Some("热线代录"),
                Action::Submit { problem, lead: "tax_bureau".into(), cooperating: vec![], limits },
            ),
        ),
        ("accept", ev(2, tax, Some(Submitted), Accepted, None, Action::Accept)),
        ("assign", ev(3, tax, Some(Accepted), Assigned, None, assign)),
        ("object", ev(4, tax, Some(Assigned), ObjectionPending, Some("非本部门职责"), Action::Object)),
        (
            "decide_objection_upheld",
            ev(
                5,
                sup,
                Some(ObjectionPending),
                Assigned,
                Some("改派"),
                Action::DecideObjection {
                    upheld: true,
                    lead: Some("economic_development".into()),
                    cooperating: Some(vec!["tax_bureau".into()]),
                },
            ),
        ),
        (
            "decide_objection_rejected",
            ev(
                6,
                sup,
                Some(ObjectionPending),
                Assigned,
                Some("维持"),
                Action::DecideObjection { upheld: false, lead: None, cooperating: None },
            ),
        ),
        ("return", ev(7, tax, Some(Assigned), Returned, Some("错派"), Action::Return)),
        ("start", ev(8, tax, Some(Assigned), InProgress, None, Action::Start)),
        ("request_info", ev(9, tax, Some(InProgress), AwaitingInfo, Some("请补充合同"), Action::RequestInfo)),
        ("supply_info", ev(10, ent, Some(AwaitingInfo), InProgress, Some("已上传"), Action::SupplyInfo)),
        ("report", ev(11, coop, Some(InProgress), InProgress, Some("配合意见"), Action::Report)),
        (
            "request_extension",
            ev(
                12,
                tax,
                Some(InProgress),
                InProgress,
                Some("需核查"),
                Action::RequestExtension { workdays: 5 },
            ),
        ),
        ("approve_extension", ev(13, sup, Some(InProgress), InProgress, None, Action::ApproveExtension)),
        (
            "reject_extension",
            ev(14, sup, Some(InProgress), InProgress, Some("理由不足"), Action::RejectExtension),
        ),
        ("escalate", ev(15, leader, Some(InProgress), InProgress, Some("请加快"), Action::Escalate)),
        (
            "open_consultation",
            ev(
                16,
                leader,
                Some(InProgress),
                InProgress,
                Some("会商"),
                Action::OpenConsultation { participants: vec!["tax_bureau".into(), "finance".into()] },
            ),
        ),
        (
            "close_consultation",
            ev(
                17,
                leader,
                Some(InProgress),
                InProgress,
                None,
                Action::CloseConsultation {
                    minutes: "纪要".into(),
                    decisions: vec!["一、退税".into(), "二、回访".into()],
                    actions: vec![],
                },
            ),
        ),
        (
            "answer_resolved",
            ev(
                18,
                tax,
                Some(InProgress),
                Answered,
                Some("已退付"),
                Action::Answer { outcome: Outcome::Resolved },
            ),
        ),
        (
            "answer_explained",
            ev(
                19,
                tax,
                Some(InProgress),
                Answered,
                Some("不符合条件"),
                Action::Answer { outcome: Outcome::Explained { reason: ExplainReason::NotEligible } },
            ),
        ),
        (
            "answer_referred",
            ev(
                20,
                tax,
                Some(InProgress),
                Answered,
                Some("转省厅"),
                Action::Answer { outcome: Outcome::Referred { to: "省税务局".into() } },
            ),
        ),
        (
            "confirm_satisfied",
            ev(
                21,
                ent,
                Some(Answered),
                Confirmed,
                None,
                Action::Confirm { rating: Rating::Satisfied, solved: None },
            ),
        ),
        (
            "confirm_basically_satisfied",
            ev(
                22,
                ent,
                Some(Answered),
                Confirmed,
                None,
                Action::Confirm { rating: Rating::BasicallySatisfied, solved: None },
            ),
        ),
        (
            "confirm_dissatisfied",
            ev(
                23,
                ent,
                Some(Answered),
                InProgress,
                Some("未到账"),
                Action::Confirm { rating: Rating::Dissatisfied, solved: None },
            ),
        ),
        ("reopen", ev(24, ent, Some(Closed), InProgress, Some("问题复发"), Action::Reopen)),
        (
            "review_close",
            ev(
                25,
                sup,
                Some(UnderReview),
                Closed,
                Some("答复成立"),
                Action::Review { decision: ReviewDecision::Close },
            ),
        ),
        (
            "review_redo",
            ev(
                26,
                sup,
                Some(UnderReview),
                InProgress,
                Some("重办"),
                Action::Review { decision: ReviewDecision::Redo },
            ),
        ),
        ("close", ev(27, tax, Some(Confirmed), Closed, None, Action::Close)),
        ("auto_close_unrated", ev(28, system, Some(Answered), Closed, None, Action::AutoCloseUnrated)),
        ("withdraw", ev(29, ent, Some(InProgress), Withdrawn, Some("已自行解决"), Action::Withdraw)),
        (
            "attach",
            ev(
                30,
                ent,
                Some(InProgress),
                InProgress,
                None,
                Action::Attach {
                    file_name: "租赁合同.pdf".into(),
                    content_type: "application/pdf".into(),
                    size: 123_456,
                    sha256: "cd".repeat(32),
                },
            ),
        ),
        // Issue 11 §5/§6: kinds added later; the fixtures above keep their bytes.
        (
            "escalate_case",
            ev(
                31,
                leader,
                Some(InProgress),
                InProgress,
                Some("请三个工作日内回复"),
                Action::EscalateCase { reply_workdays: 3 },
            ),
        ),
        (
            "reply_escalation",
            ev(32, tax, Some(InProgress), InProgress, Some("已协调，本周答复"), Action::ReplyEscalation),
        ),
        (
            "close_consultation_with_decisions",
            ev(
                33,
                leader,
                Some(InProgress),
                InProgress,
                None,
                Action::CloseConsultation {
                    minutes: "纪要".into(),
                    decisions: vec![],
                    actions: vec![handling::DecisionAction {
                        text: "财政局拨付补贴".into(),
                        owner: "finance".into(),
                        due: NaiveDate::from_ymd_opt(2022, 5, 13).unwrap(),
                    }],
                },
            ),
        ),
        (
            "complete_decision",
            ev(
                34,
                tax,
                Some(InProgress),
                InProgress,
                Some("已拨付"),
                Action::CompleteDecision { decision: 1 },
            ),
        ),
        (
            "confirm_solved",
            ev(
                35,
                ent,
                Some(Answered),
                Confirmed,
                None,
                Action::Confirm { rating: Rating::Satisfied, solved: Some(true) },
            ),
        ),
        (
            "confirm_not_solved",
            ev(
                36,
                ent,
                Some(Answered),
                Confirmed,
                None,
                Action::Confirm { rating: Rating::BasicallySatisfied, solved: Some(false) },
            ),
        ),
        (
            "spot_check",
            ev(37, sup, Some(Closed), Closed, Some("电话回访：已解决"), Action::SpotCheck { solved: true }),
        ),
        (
            "recompute_deadlines",
            ev(
                38,
                system,
                Some(InProgress),
                InProgress,
                None,
                Action::RecomputeDeadlines {
                    year: 2027,
                    notice: "国务院办公厅关于2027年部分节假日安排的通知（示例）".into(),
                    changes: vec![handling::DeadlineChange {
                        deadline: handling::DeadlineName::AnswerBy,
                        from: handling::Due::Date(NaiveDate::from_ymd_opt(2027, 2, 12).unwrap()),
                        to: handling::Due::Date(NaiveDate::from_ymd_opt(2027, 2, 15).unwrap()),
                    }],
                },
            ),
        ),
    ]
}

/// What the store writes for an event and reads back before hashing (what `audit verify`
/// does with each row).
fn through_columns(e: &Event) -> Event {
    let c = NewEventColumns::of(e);
    let row = EventRow {
        chain_seq: 1,
        problem_id: 1,
        seq: c.seq,
        at: c.at,
        actor: c.actor,
        role: c.role,
        actor_department: c.actor_department,
        actor_enterprise: c.actor_enterprise,
        action: c.action,
        from_state: c.from_state,
        to_state: c.to_state,
        note: c.note,
        payload: c.payload,
        recorded_at: c.at,
        prev_hash: String::new(),
        hash: String::new(),
    };
    row.event().unwrap()
}

#[test]
fn every_kind_of_event_hashes_to_its_committed_bytes_and_hash() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/audit_chain");
    let bless = std::env::var_os("HUIQI_BLESS").is_some();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut kinds = std::collections::BTreeSet::new();
    let mut prev = GENESIS_HASH.to_string();
    let mut index = String::from("# n\tevent\tprev_hash\thash = sha256(prev_hash || canonical_json)\n");
    for (n, (name, e)) in events().iter().enumerate() {
        kinds.insert(e.kind());
        let json = e.canonical_json();
        // The bytes survive the store's columns and serde's way back.
        assert_eq!(through_columns(e).canonical_json(), json, "{name}: columns round trip");
        let parsed: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(&parsed, e, "{name}: parses back");
        let file = dir.join(format!("{:02}-{name}.json", n + 1));
        if bless {
            std::fs::write(&file, &json).unwrap();
        }
        let committed = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (HUIQI_BLESS=1 writes it)", file.display()));
        assert_eq!(json, committed, "{name}: canonical bytes differ from {}", file.display());
        // A stored chain holding the committed bytes still verifies.
        assert_eq!(
            chain_hash(&prev, &through_columns(&parsed).canonical_json()),
            chain_hash(&prev, &committed)
        );
        let hash = chain_hash(&prev, &committed);
        index.push_str(&format!("{:02}\t{name}\t{prev}\t{hash}\n", n + 1));
        prev = hash;
    }
    let chain = dir.join("chain.tsv");
    if bless {
        std::fs::write(&chain, &index).unwrap();
    }
    assert_eq!(index, std::fs::read_to_string(&chain).unwrap(), "the hashes differ from {}", chain.display());
    let all: std::collections::BTreeSet<ActionKind> =
        handling::ALL_ACTIONS.into_iter().chain(handling::NOT_COMMANDS).collect();
    assert_eq!(kinds, all, "a fixture for every kind of action");
}
