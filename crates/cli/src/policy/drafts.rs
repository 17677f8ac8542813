//! `huiqi policy drafts` and `huiqi policy draft show|approve|reject|withdraw`: policy
//! changes waiting for review (草案, 审核), through the use cases of `app::drafts`. The
//! command line acts as the database's operator: whoever is named by `--as` (an admin); the
//! author of a draft may not approve or reject it.

use super::*;
use app::drafts::{self, DraftOut};

async fn open_app(ctx: &Context) -> anyhow::Result<app::App> {
    Ok(app::App::new(crate::db::open_ready(&ctx.database).await?))
}

fn when(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn line(d: &DraftOut) -> String {
    let names: Vec<&str> = d.documents.iter().map(|x| x.name.as_str()).collect();
    let closed = match (&d.closed_by, &d.closed_at) {
        (Some(by), Some(at)) => format!("  {by} {}", when(at)),
        _ => String::new(),
    };
    format!(
        "#{:<5} {} {} {:<12} {}  {}{closed}",
        d.id,
        d.state_zh,
        d.state,
        d.author,
        when(&d.created_at),
        names.join(", ")
    )
}

pub(super) async fn list(ctx: &Context, all: bool, json: bool) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    let who = app::Principal::operator("cli");
    let list = drafts::list(&app, &who, !all).await.map_err(crate::app_error)?;
    let out: Vec<DraftOut> = list.iter().map(DraftOut::from).collect();
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if out.is_empty() {
        outln!("没有待审核的政策草案 / no policy draft waits for review");
    }
    for d in &out {
        outln!("{}", line(d));
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn run(ctx: &Context, cmd: DraftCmd) -> anyhow::Result<ExitCode> {
    let app = open_app(ctx).await?;
    match cmd {
        DraftCmd::Show { id, json, limit } => show(&app, id, json, limit).await,
        DraftCmd::Approve { id, actor } => {
            let who = app::Principal::operator(&actor);
            let a = match drafts::approve(&app, &who, id).await {
                Ok(a) => a,
                Err(app::Error::PolicyRejected(r)) => {
                    for l in drafts::rejected_lines(&r) {
                        eprintln!("{l}");
                    }
                    eprintln!(
                        "草案 #{id} 与当前生效的政策库合在一起不能通过检查，未批准 / draft #{id} does not check with \
                         the live library as it is now; not approved"
                    );
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(crate::app_error(e)),
            };
            for v in &a.written {
                outln!(
                    "生效 live  {}  v{}  (作者 author {}，批准 approved by {actor})",
                    v.name,
                    v.version,
                    v.actor
                );
            }
            outln!("草案 #{id} 已批准并生效 / draft #{id} approved and live");
            Ok(ExitCode::SUCCESS)
        }
        DraftCmd::Reject { id, actor, reason } => {
            let who = app::Principal::operator(&actor);
            drafts::reject(&app, &who, id, &reason).await.map_err(crate::app_error)?;
            outln!(
                "草案 #{id} 已驳回，生效的政策未变 / draft #{id} rejected; the live policies are unchanged"
            );
            Ok(ExitCode::SUCCESS)
        }
        DraftCmd::Withdraw { id, actor } => {
            let who = app::Principal::operator(&actor);
            drafts::withdraw(&app, &who, id).await.map_err(crate::app_error)?;
            outln!("草案 #{id} 已撤回 / draft #{id} withdrawn");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn show(app: &app::App, id: i64, json: bool, limit: usize) -> anyhow::Result<ExitCode> {
    let who = app::Principal::operator("cli");
    let r = drafts::review(app, &who, id).await.map_err(crate::app_error)?.out();
    if json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}", line(&r.draft));
    if let Some(reason) = &r.draft.reason {
        outln!("驳回理由 / reason: {reason}");
    }
    if r.draft.bootstrap {
        outln!("首次载入，未经审核生效 / first load, live without review (bootstrap)");
    }
    for d in &r.documents {
        let base = d.base_version.map_or_else(|| "新增 new".to_string(), |v| format!("v{v}"));
        outln!("\n=== {}  ({base} → 草案 draft; +{} -{})", d.name, d.added_lines, d.removed_lines);
        for h in &d.hunks {
            let first = h.first();
            outln!(
                "@@ -{} +{} @@",
                first.and_then(|l| l.old_line).unwrap_or(0),
                first.and_then(|l| l.new_line).unwrap_or(0)
            );
            for l in h {
                outln!("{}{}", l.tag, l.text);
            }
        }
    }
    for name in &r.behind {
        outln!(
            "\n注意：{name} 在草案提交后已有新版本生效，批准将被拒绝（已过时）/ note: a newer version of {name} went \
             live after this draft was made; approval will be refused (stale)"
        );
    }
    for l in &r.refused {
        outln!("{l}");
    }
    if r.draft.state != "draft" {
        return Ok(ExitCode::SUCCESS);
    }
    match &r.simulation {
        None if r.no_match_run => outln!(
            "\n没有匹配批次，无法模拟影响，仅显示差异（先运行 huiqi policy match）/ no match run yet: no simulation, \
             the diff only (run huiqi policy match first)"
        ),
        None => {}
        Some(s) => {
            outln!(
                "\n影响模拟（最新匹配批次 #{}，评估日 {}，{} 家帮扶对象）/ simulation on the latest match run #{} ({}, {} \
                 assistance targets):",
                s.run,
                s.date,
                s.enterprises,
                s.run,
                s.date,
                s.enterprises
            );
            outln!(
                "  新增符合 gains: {} 家 enterprises;  不再符合 losses: {} 家 enterprises",
                s.gains_total,
                s.losses_total
            );
            for k in &s.by_kind {
                outln!(
                    "  {} {}: 符合 eligible {} → {}，金额 ¥{} → ¥{}（{}）",
                    k.benefit_kind_zh,
                    k.benefit_kind,
                    k.eligible_before,
                    k.eligible_after,
                    k.total_before,
                    k.total_after,
                    k.cost_delta
                );
            }
            outln!("  园区资金变化（奖补）/ zone payouts (awards): {}", s.zone_payout_delta);
            for i in &s.items {
                outln!(
                    "  条款 item {} «{}»: 符合 eligible {} → {}（+{} -{}），金额变化 cost {}",
                    i.item,
                    i.title,
                    i.eligible_before,
                    i.eligible_after,
                    i.gains,
                    i.losses,
                    i.cost_delta
                );
            }
            for (label, list, total) in
                [("新增符合 gains", &s.gains, s.gains_total), ("不再符合 losses", &s.losses, s.losses_total)]
            {
                if total == 0 {
                    continue;
                }
                outln!("  {label}（前 {} 家 / first {}）:", list.len().min(limit), list.len().min(limit));
                for e in list.iter().take(limit) {
                    outln!("    {} {}  {}", e.uscc, e.name, e.items.join(", "));
                }
            }
        }
    }
    outln!(
        "\n批准 / approve: huiqi policy draft approve {id} --as 用户名；驳回 / reject: huiqi policy draft reject {id} \
         --as 用户名 --reason 理由"
    );
    Ok(ExitCode::SUCCESS)
}
