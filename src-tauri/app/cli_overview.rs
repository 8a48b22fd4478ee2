//! `cremmy today`, `cremmy report` and `cremmy score`: the Today page, the Reports and lead
//! scores from a terminal, in this machine's time zone.

use std::process::ExitCode;

use cremmy_core::clock::{system_utc_offset_minutes, Timestamp};
use cremmy_core::crm::{Crm, Date};
use cremmy_protocol::reports::{ReportKind, ReportRequest};
use cremmy_protocol::today::{MeetingDay, TodayRequest};

use crate::cli::{print_json, report};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportArg {
    Pipeline,
    WonLost,
    StageFlow,
    TopClients,
}

impl From<ReportArg> for ReportKind {
    fn from(a: ReportArg) -> ReportKind {
        match a {
            ReportArg::Pipeline => ReportKind::Pipeline,
            ReportArg::WonLost => ReportKind::Outcomes,
            ReportArg::StageFlow => ReportKind::Flow,
            ReportArg::TopClients => ReportKind::TopClients,
        }
    }
}

/// Prints a section: its title, then each line, or the empty text.
fn section(title: &str, lines: Vec<String>, empty: &str) {
    println!("{title}");
    if lines.is_empty() {
        println!("  {empty}");
    }
    for line in lines {
        println!("  {line}");
    }
}

pub async fn today(crm: &Crm, now: Timestamp, json: bool) -> ExitCode {
    let offset = system_utc_offset_minutes(now);
    let date = Date::from_days((now + i64::from(offset) * 60_000).div_euclid(86_400_000));
    let request = TodayRequest {
        today: date.to_string(),
        utc_offset_minutes: offset,
    };
    let t = match crm.today(&request).await {
        Ok(t) => t,
        Err(e) => return report(Err::<String, _>(e)),
    };
    if json {
        return print_json(&t);
    }
    let client =
        |name: &Option<String>| name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
    println!("Today, {}", t.today);
    let mut tasks: Vec<String> = t
        .overdue
        .iter()
        .map(|k| {
            format!(
                "#{} {}{} OVERDUE since {}",
                k.id,
                k.title,
                client(&k.client_name),
                k.due_date.clone().unwrap_or_default()
            )
        })
        .collect();
    tasks.extend(t.due_today.iter().map(|k| {
        let at = k
            .due_time
            .as_ref()
            .map(|h| format!(" at {h}"))
            .unwrap_or_default();
        format!("#{} {}{}{at}", k.id, k.title, client(&k.client_name))
    }));
    section("Tasks", tasks, "nothing due");
    section(
        "Meetings",
        t.meetings
            .iter()
            .map(|m| {
                let day = if m.day == MeetingDay::Today {
                    "today"
                } else {
                    "tomorrow"
                };
                let link = m.link.as_ref().map(|l| format!(" {l}")).unwrap_or_default();
                format!("{day}: {} ({}){link}", m.title, m.client_name)
            })
            .collect(),
        "none today or tomorrow",
    );
    let mail = |list: &[cremmy_protocol::today::MailWaiting]| {
        list.iter()
            .map(|m| format!("{}: {}", m.client_name, m.subject))
            .collect()
    };
    section(
        "Waiting for your answer",
        mail(&t.replies_waiting),
        "nobody",
    );
    section(
        &format!("No reply after {} days", t.settings.no_reply_days),
        mail(&t.no_reply),
        "none",
    );
    section(
        &format!("Deals quiet for {} days", t.settings.stale_deal_days),
        t.quiet_deals
            .iter()
            .map(|d| format!("{} ({}, {})", d.title, d.client_name, d.stage))
            .collect(),
        "none",
    );
    section(
        "New leads this week",
        t.new_leads
            .iter()
            .map(|l| format!("{} ({})", l.name, l.source))
            .collect(),
        "none",
    );
    ExitCode::SUCCESS
}

pub async fn report_csv(crm: &Crm, now: Timestamp, kind: ReportArg, months: u8) -> ExitCode {
    let request = ReportRequest {
        utc_offset_minutes: system_utc_offset_minutes(now),
        months,
    };
    let mut out = std::io::stdout().lock();
    match crm.report_csv(kind.into(), request, &mut out).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => report(Err::<String, _>(e)),
    }
}

pub async fn score(crm: &Crm, client_id: Option<i64>, all: bool, json: bool) -> ExitCode {
    match (client_id, all) {
        (None, true) => report(
            crm.recompute_scores()
                .await
                .map(|n| format!("Scored {n} clients.")),
        ),
        (Some(id), false) => {
            let s = match crm.client_score(id).await {
                Ok(s) => s,
                Err(e) => return report(Err::<String, _>(e)),
            };
            if json {
                return print_json(&s);
            }
            println!(
                "Score {} (engagement {}, fit {}, momentum {}, financial {})",
                s.total, s.engagement, s.fit, s.momentum, s.financial
            );
            for signal in &s.signals {
                println!("  {:+4}  {}", signal.points, signal.text);
            }
            for action in &s.next_actions {
                println!("  next: {action}");
            }
            ExitCode::SUCCESS
        }
        _ => report(Err::<String, _>(
            "name a client id, or --all to recompute every score",
        )),
    }
}
