//! The Today page's lists on a real database: tasks, meetings with their video link, mail waiting
//! on either side, quiet deals, new leads; the thresholds change what is listed.

use cremmy_core::crm::{meeting_link, ExternalActivity};
use cremmy_protocol::crm::{ActivityKind, ActivitySource, DealInput, Direction, TaskInput};
use cremmy_protocol::today::{MeetingDay, TodayRequest, TodaySettings};

use crate::support::{client, test_crm, TestCrm, T0};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

fn request() -> TodayRequest {
    // T0 is 2026-03-02T09:00Z.
    TodayRequest {
        today: "2026-03-02".into(),
        utc_offset_minutes: 0,
    }
}

async fn activity(
    t: &TestCrm,
    client_id: i64,
    kind: ActivityKind,
    direction: Direction,
    subject: &str,
    body: &str,
    at: i64,
) {
    let source = if kind == ActivityKind::Meeting {
        ActivitySource::Calendar
    } else {
        ActivitySource::Email
    };
    t.crm
        .record_external_activity(&ExternalActivity {
            client_id,
            contact_id: None,
            deal_id: None,
            kind,
            direction,
            subject: subject.into(),
            body: body.into(),
            occurred_at: at,
            source,
            external_id: format!("{subject}-{at}"),
        })
        .await
        .unwrap();
}

async fn task(t: &TestCrm, title: &str, due: &str) {
    t.crm
        .create_task(&TaskInput {
            title: title.into(),
            due_date: Some(due.into()),
            ..TaskInput::default()
        })
        .await
        .unwrap();
}

async fn deal(t: &TestCrm, client_id: i64, title: &str) {
    t.crm
        .create_deal(&DealInput {
            client_id,
            title: title.into(),
            value_minor: 100_000,
            currency: "EUR".into(),
            ..DealInput::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn today_lists_what_needs_the_user_now() {
    let t = test_crm().await;
    assert!(
        t.crm.today(&request()).await.unwrap().first_run,
        "no client yet: the guided first run"
    );

    // Three weeks ago: the clients, and a deal nobody touched since.
    t.clock.set(T0 - 21 * DAY);
    let acme = client(&t.crm, "Acme").await;
    let globex = client(&t.crm, "Globex").await;
    let initech = client(&t.crm, "Initech").await;
    let umbrella = client(&t.crm, "Umbrella").await;
    deal(&t, umbrella.id, "Old deal").await;
    deal(&t, acme.id, "Busy deal").await;
    t.clock.set(T0);

    use ActivityKind::{Email, Meeting};
    use Direction::{Inbound, None as Neither, Outbound};
    activity(
        &t,
        acme.id,
        Email,
        Inbound,
        "Can we start Monday?",
        "",
        T0 - DAY,
    )
    .await;
    activity(
        &t,
        globex.id,
        Email,
        Outbound,
        "Proposal attached",
        "",
        T0 - 5 * DAY,
    )
    .await;
    activity(
        &t,
        initech.id,
        Email,
        Inbound,
        "Old question",
        "",
        T0 - 4 * DAY,
    )
    .await;
    activity(&t, initech.id, Email, Outbound, "Answer", "", T0 - DAY).await;
    activity(
        &t,
        umbrella.id,
        Email,
        Inbound,
        "Way back",
        "",
        T0 - 40 * DAY,
    )
    .await;
    activity(&t, acme.id, Meeting, Neither, "Kick-off", "2026-03-02 12:00 – 13:00 UTC\nAttendees: a@acme.example\nhttps://meet.google.com/abc-defg-hij", T0 + 3 * HOUR).await;
    activity(
        &t,
        initech.id,
        Meeting,
        Neither,
        "Review",
        "",
        T0 + 27 * HOUR,
    )
    .await;
    activity(&t, initech.id, Meeting, Neither, "Later", "", T0 + 3 * DAY).await;
    activity(
        &t,
        initech.id,
        Meeting,
        Neither,
        "Yesterday",
        "",
        T0 - 20 * HOUR,
    )
    .await;
    task(&t, "Overdue call", "2026-03-01").await;
    task(&t, "Today's invoice", "2026-03-02").await;
    task(&t, "Tomorrow's prep", "2026-03-03").await;
    // A lead the Leads sheet brought in two days ago (what the sheet import records).
    sqlx::query("INSERT INTO lead_imports (spreadsheet_id, email, client_id, imported_at) VALUES ('sheet', 'ops@initech.example', ?, ?)")
        .bind(initech.id)
        .bind(T0 - 2 * DAY)
        .execute(t.crm.database().writer())
        .await
        .unwrap();
    let newco = client(&t.crm, "Newco").await;
    deal(&t, newco.id, "Fresh lead").await;

    let today = t.crm.today(&request()).await.unwrap();
    assert!(!today.first_run);
    let titles = |tasks: &[cremmy_protocol::crm::Task]| {
        tasks.iter().map(|t| t.title.clone()).collect::<Vec<_>>()
    };
    assert_eq!(titles(&today.overdue), vec!["Overdue call"]);
    assert_eq!(titles(&today.due_today), vec!["Today's invoice"]);
    let meetings: Vec<(&str, MeetingDay)> = today
        .meetings
        .iter()
        .map(|m| (m.title.as_str(), m.day))
        .collect();
    assert_eq!(
        meetings,
        vec![
            ("Kick-off", MeetingDay::Today),
            ("Review", MeetingDay::Tomorrow)
        ],
        "today's and tomorrow's only"
    );
    assert_eq!(
        today.meetings[0].link.as_deref(),
        Some("https://meet.google.com/abc-defg-hij")
    );
    assert_eq!(
        today.meetings[0].client_id, acme.id,
        "one click from its client"
    );
    let waiting: Vec<&str> = today
        .replies_waiting
        .iter()
        .map(|m| m.client_name.as_str())
        .collect();
    assert_eq!(
        waiting,
        vec!["Acme"],
        "Initech was answered; Umbrella's mail is over 30 days old"
    );
    let unanswered: Vec<&str> = today.no_reply.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        unanswered,
        vec!["Proposal attached"],
        "ours, 5 days without an answer (threshold 3)"
    );
    let quiet: Vec<&str> = today.quiet_deals.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(
        quiet,
        vec!["Old deal"],
        "Umbrella's last touch was 21 days ago (its mail is older); Acme's deal has mail and a meeting"
    );
    let leads: Vec<(&str, &str)> = today
        .new_leads
        .iter()
        .map(|l| (l.name.as_str(), l.source.as_str()))
        .collect();
    assert_eq!(
        leads,
        vec![("Newco", "New deal"), ("Initech", "Leads sheet")],
        "newest first"
    );
    assert_eq!(
        today.count(),
        4,
        "overdue + due today + today's meeting + a reply waiting"
    );

    // The thresholds decide: a week without a reply, a month without activity.
    t.crm
        .set_today_settings(TodaySettings {
            no_reply_days: 7,
            stale_deal_days: 30,
        })
        .await
        .unwrap();
    let today = t.crm.today(&request()).await.unwrap();
    assert!(today.no_reply.is_empty(), "5 days is under a week");
    assert!(today.quiet_deals.is_empty(), "21 days is under a month");
    assert!(t
        .crm
        .set_today_settings(TodaySettings {
            no_reply_days: 0,
            stale_deal_days: 30
        })
        .await
        .is_err());
    assert!(t
        .crm
        .today(&TodayRequest {
            today: "March 2".into(),
            utc_offset_minutes: 0
        })
        .await
        .is_err());
}

#[test]
fn a_meetings_link_is_the_last_web_address_of_its_body() {
    for (body, want) in [
        (
            "2026-03-02 12:00 UTC\nAttendees: a@x.example\nhttps://meet.google.com/abc",
            Some("https://meet.google.com/abc"),
        ),
        ("https://zoom.us/j/1\nnotes", Some("https://zoom.us/j/1")),
        ("Attendees: a@x.example", None),
        ("see https://x.example later", None),
        ("https://x.example/phish", None),
        (
            "https://us02web.zoom.us/j/123",
            Some("https://us02web.zoom.us/j/123"),
        ),
        ("https://evilzoom.us/j/1", None),
        ("https://zoom.us.evil.example/j/1", None),
        ("http://meet.google.com/abc", None),
        ("https://user@meet.google.com/abc", None),
        ("", None),
    ] {
        assert_eq!(meeting_link(body).as_deref(), want, "{body:?}");
    }
}
