//! Rough throughput of the three lists' pure domain: applying commands, replaying logs,
//! serialising events canonically and computing a month's KPIs.
//! Run: `cargo run --release -p kpi --example kpi_bench [PROBLEMS]` (default 100 000).

use std::time::Instant;

use calendar::WorkCalendar;
use chrono::{DateTime, Duration, FixedOffset};
use enterprise::{Routing, UnifiedCreditCode};
use handling::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(100_000), |s| s.parse())?;
    let cal = WorkCalendar::official();
    let routing = Routing::seed();
    let limits = TimeLimits::defaults();
    let e = UnifiedCreditCode::parse("91110108551385082Q")?;
    let ent = Actor {
        username: "ent".into(),
        role: Role::Enterprise,
        department: None,
        enterprise: Some(e.clone()),
    };
    let sup = Actor { username: "sup".into(), role: Role::Supervisor, department: None, enterprise: None };
    let start: DateTime<FixedOffset> = DateTime::parse_from_rfc3339("2022-01-04T09:00:00+08:00")?;
    let cats: Vec<&str> = routing.categories.iter().map(|c| c.code.as_str()).collect();

    let t0 = Instant::now();
    let mut logs: Vec<(String, Vec<Event>)> = Vec::with_capacity(n);
    let mut applied = 0usize;
    for i in 0..n {
        let received = start + Duration::minutes((i as i64 * 37) % (300 * 24 * 60));
        let cat = cats[i % cats.len()];
        let p = Problem {
            enterprise: e.clone(),
            channel: Channel::SelfService,
            category: cat.into(),
            title: "标题".into(),
            description: String::new(),
            attachments: vec![],
            urgency: if i % 10 == 0 { Urgency::Urgent } else { Urgency::Normal },
            confidential: false,
            received_at: received,
            visit: None,
        };
        let t = submit(p, &ent, received, routing, limits, cal)?;
        let lead = t.state.lead.clone();
        let dept = Actor {
            username: "d".into(),
            role: Role::Department,
            department: Some(lead.clone()),
            enterprise: None,
        };
        let mut s = t.state;
        let mut events = vec![t.event];
        let steps: Vec<(Command, &Actor, i64)> = vec![
            (Command::new(Action::Accept), &dept, 60),
            (
                Command::new(Action::Assign { lead: lead.clone(), cooperating: vec![], handler: None }),
                &sup,
                30,
            ),
            (Command::new(Action::Start), &dept, 60),
            (
                Command::with_note(Action::Answer { outcome: Outcome::Resolved }, "已办结"),
                &dept,
                60 * 24 * (i as i64 % 9),
            ),
            (Command::new(Action::Confirm { rating: Rating::Satisfied, solved: None }), &ent, 60 * 24),
            (Command::new(Action::Close), &sup, 60),
        ];
        let mut now = received;
        for (cmd, who, dt) in steps {
            now += Duration::minutes(dt);
            let t = apply(&s, &cmd, who, now, cal)?;
            s = t.state;
            events.push(t.event);
            applied += 1;
        }
        logs.push((i.to_string(), events));
    }
    let t_apply = t0.elapsed();
    let events: usize = logs.iter().map(|l| l.1.len()).sum();

    let t1 = Instant::now();
    let mut bytes = 0usize;
    for (_, l) in &logs {
        for ev in l {
            bytes += ev.canonical_json().len();
        }
    }
    let t_json = t1.elapsed();

    let t2 = Instant::now();
    let states: Vec<ProblemState> = logs.iter().map(|(_, l)| replay(l, cal)).collect::<Result<_, _>>()?;
    let t_replay = t2.elapsed();

    let t3 = Instant::now();
    let period = kpi::Period::parse("2022-05")?;
    let report = kpi::compute(&states, &period, start + Duration::days(365));
    let t_kpi = t3.elapsed();

    println!("problems: {n}, events: {events} ({applied} applied commands + {n} submissions)");
    println!(
        "submit + apply: {:.0} ms ({:.2} µs per event)",
        t_apply.as_secs_f64() * 1e3,
        t_apply.as_secs_f64() * 1e6 / events as f64
    );
    println!(
        "canonical JSON: {:.0} ms, {:.0} bytes per event on average",
        t_json.as_secs_f64() * 1e3,
        bytes as f64 / events as f64
    );
    println!(
        "replay all logs: {:.0} ms ({:.2} µs per event)",
        t_replay.as_secs_f64() * 1e3,
        t_replay.as_secs_f64() * 1e6 / events as f64
    );
    println!(
        "KPIs of 2022-05 over all problems: {:.0} ms, {} rows",
        t_kpi.as_secs_f64() * 1e3,
        report.rows.len()
    );
    Ok(())
}
