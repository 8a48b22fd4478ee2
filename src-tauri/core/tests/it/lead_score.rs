//! The lead score's rules, one table each (the scoring function is pure), then the stored
//! scores on a real database: they appear for a client and change as activities arrive.

use cremmy_core::crm::{score, ClientFacts, OpenDeal, Touch};
use cremmy_protocol::crm::{ActivityKind, DealInput};
use cremmy_protocol::scores::{ScoreSettings, Subscore};

use crate::support::{client, inbound_email, test_crm, T0};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const NOW: i64 = T0;

fn touch(kind: ActivityKind, inbound: bool, days_ago: f64) -> Touch {
    Touch {
        kind,
        inbound,
        at: NOW - (days_ago * DAY as f64) as i64,
    }
}

fn deal(stage: &str, rank: usize, value_home: i64, days_in_stage: i64) -> OpenDeal {
    OpenDeal {
        title: "Audit".into(),
        value_home: Some(value_home),
        stage: stage.into(),
        stage_rank: rank,
        open_stages: 4,
        in_stage_since: NOW - days_in_stage * DAY,
    }
}

fn facts() -> ClientFacts {
    ClientFacts {
        client_id: 1,
        home_currency: "USD".into(),
        ..ClientFacts::default()
    }
}

/// (subscore, signal text, points) of a score.
fn signals(f: &ClientFacts, s: &ScoreSettings) -> Vec<(Subscore, String, i32)> {
    score(f, s, NOW)
        .signals
        .into_iter()
        .map(|g| (g.subscore, g.text, g.points))
        .collect()
}

#[test]
fn engagement_rules() {
    use ActivityKind::{Call, Email, Meeting};
    use Subscore::Engagement as E;
    let s = ScoreSettings::default();
    let cases: Vec<(&str, Vec<Touch>, Vec<(Subscore, &str, i32)>)> = vec![
        ("nothing", vec![], vec![]),
        (
            "heard yesterday",
            vec![touch(Email, true, 1.2)],
            vec![(E, "heard from them yesterday", 35)],
        ),
        (
            "heard 5 days ago",
            vec![touch(Call, true, 5.5)],
            vec![(E, "heard from them 5 days ago", 25)],
        ),
        (
            "heard 20 days ago",
            vec![touch(Email, true, 20.0)],
            vec![(E, "heard from them 20 days ago", 10)],
        ),
        (
            "three messages, two meetings",
            vec![
                touch(Email, true, 3.0),
                touch(Email, true, 10.0),
                touch(Call, true, 12.0),
                touch(Meeting, true, 4.0),
                touch(Meeting, true, 25.0),
            ],
            vec![
                (E, "heard from them 3 days ago", 25),
                (E, "3 messages or calls from them in 30 days", 15),
                (E, "2 meetings in 30 days", 16),
            ],
        ),
        (
            "a quick reply",
            vec![
                touch(Email, false, 2.0),
                Touch {
                    kind: Email,
                    inbound: true,
                    at: NOW - 2 * DAY + HOUR,
                },
            ],
            vec![
                (E, "heard from them yesterday", 35),
                (E, "replied within 2 hours", 15),
            ],
        ),
        (
            "no reply for 9 days",
            vec![touch(Email, true, 20.0), touch(Email, false, 9.0)],
            vec![
                (E, "heard from them 20 days ago", 10),
                (E, "no reply for 9 days", -20),
            ],
        ),
    ];
    for (name, touches, want) in cases {
        let f = ClientFacts { touches, ..facts() };
        let got: Vec<_> = signals(&f, &s).into_iter().filter(|g| g.0 == E).collect();
        let want: Vec<_> = want
            .into_iter()
            .map(|(k, t, p)| (k, t.to_string(), p))
            .collect();
        assert_eq!(got, want, "{name}");
    }
    let silent = ClientFacts {
        touches: vec![touch(Email, false, 9.0)],
        ..facts()
    };
    assert_eq!(
        score(&silent, &s, NOW).engagement,
        0,
        "a negative subscore floors at 0"
    );
}

#[test]
fn fit_momentum_and_financial_rules() {
    let s = ScoreSettings {
        ideal_tags: vec!["Retainer".into()],
        ideal_deal_value: 10_000,
        ..ScoreSettings::default()
    };
    let f = ClientFacts {
        tags: vec!["retainer".into(), "design".into()],
        has_website: true,
        open_deals: vec![deal("Proposal", 2, 1_800_000, 3)],
        won_home: 900_000,
        won_count: 2,
        ..facts()
    };
    let got = signals(&f, &s);
    let text = |k: Subscore| {
        got.iter()
            .filter(|g| g.0 == k)
            .map(|g| (g.1.as_str(), g.2))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        text(Subscore::Fit),
        vec![
            ("tagged retainer (ideal client)", 30),
            ("a USD 18,000 deal, the ideal size", 30),
            ("has a website", 10)
        ]
    );
    assert_eq!(
        text(Subscore::Momentum),
        vec![
            ("Audit is in Proposal", 30),
            ("moved to Proposal 3 days ago", 30)
        ]
    );
    assert_eq!(
        text(Subscore::Financial),
        vec![
            ("won USD 9,000 with them so far", 50),
            ("repeat client (2 deals won)", 25)
        ]
    );

    let small = ClientFacts {
        open_deals: vec![deal("Lead", 0, 50_000, 45)],
        ..facts()
    };
    let got = signals(&small, &s);
    assert!(
        got.contains(&(Subscore::Fit, "has an open deal".into(), 10)),
        "{got:?}"
    );
    assert!(
        got.contains(&(Subscore::Momentum, "in Lead for 45 days".into(), -20)),
        "{got:?}"
    );
}

#[test]
fn payments_move_the_financial_subscore() {
    let s = ScoreSettings::default();
    let cases: [(&str, (i64, i64, i64), Vec<(&str, i32)>); 4] = [
        ("no invoices: nothing said", (0, 0, 0), vec![]),
        (
            "paid on time",
            (2, 0, 0),
            vec![("paid 2 invoices on time", 15)],
        ),
        (
            "paid late once, and something overdue",
            (0, 1, 450_000),
            vec![("paid 1 invoice late", -10), ("USD 4,500 overdue", -30)],
        ),
        (
            "a good payer with one overdue",
            (1, 0, 100),
            vec![("paid 1 invoice on time", 15), ("USD 1 overdue", -30)],
        ),
    ];
    for (case, (paid_on_time, paid_late, overdue_home), want) in cases {
        let f = ClientFacts {
            paid_on_time,
            paid_late,
            overdue_home,
            ..facts()
        };
        let got: Vec<(String, i32)> = signals(&f, &s)
            .into_iter()
            .filter(|g| g.0 == Subscore::Financial)
            .map(|g| (g.1, g.2))
            .collect();
        let want: Vec<(String, i32)> = want.into_iter().map(|(t, p)| (t.to_string(), p)).collect();
        assert_eq!(got, want, "{case}");
    }
}

#[test]
fn weights_make_the_total_and_the_settings_change_it() {
    let f = ClientFacts {
        touches: vec![touch(ActivityKind::Email, true, 1.0)],
        won_home: 100_000,
        won_count: 1,
        ..facts()
    };
    let default = score(&f, &ScoreSettings::default(), NOW);
    // engagement 35, fit 0, momentum 40 (in touch yesterday), financial 50: (40·35 + 20·40 + 15·50) / 100 = 29.5, rounded up.
    assert_eq!(
        (default.engagement, default.momentum, default.financial),
        (35, 40, 50)
    );
    assert_eq!(default.total, 30);
    let money_first = ScoreSettings {
        engagement_weight: 0,
        fit_weight: 0,
        momentum_weight: 0,
        financial_weight: 1,
        ..ScoreSettings::default()
    };
    assert_eq!(
        score(&f, &money_first, NOW).total,
        50,
        "only the financial subscore counts"
    );
}

#[test]
fn next_actions_follow_the_signals() {
    use ActivityKind::{Email, Meeting};
    let s = ScoreSettings::default();
    let actions = |touches: Vec<Touch>, open_deals: Vec<OpenDeal>| {
        score(
            &ClientFacts {
                touches,
                open_deals,
                ..facts()
            },
            &s,
            NOW,
        )
        .next_actions
    };
    assert_eq!(
        actions(vec![touch(Email, true, 2.0)], vec![]),
        vec!["Reply: they wrote 2 days ago"]
    );
    assert_eq!(
        actions(vec![touch(Email, false, 8.0)], vec![]),
        vec!["Follow up: no reply for 8 days"]
    );
    assert_eq!(
        actions(
            vec![touch(Meeting, true, 1.0)],
            vec![deal("Qualified", 1, 100, 5)]
        ),
        vec!["Send the proposal: meeting yesterday"]
    );
    assert_eq!(
        actions(vec![], vec![deal("Qualified", 1, 100, 40)]),
        vec!["Move Audit forward: in Qualified for 40 days"]
    );
    let hot = ClientFacts {
        tags: vec!["retainer".into(), "vip".into()],
        has_website: true,
        touches: vec![
            touch(Email, false, 0.5),
            Touch {
                kind: Email,
                inbound: true,
                at: NOW - 11 * HOUR,
            },
            touch(Email, true, 5.0),
            touch(Email, true, 8.0),
            touch(ActivityKind::Call, true, 6.0),
            touch(Meeting, true, 3.0),
            touch(Meeting, true, 10.0),
        ],
        won_home: 5_000_000,
        won_count: 3,
        ..facts()
    };
    let hot_settings = ScoreSettings {
        ideal_tags: vec!["vip".into(), "retainer".into()],
        ..ScoreSettings::default()
    };
    let h = score(&hot, &hot_settings, NOW);
    assert!(h.total >= 70, "a hot client: {h:?}");
    assert!(
        h.next_actions
            .contains(&format!("Schedule a call within 48 h: score {}", h.total)),
        "{:?}",
        h.next_actions
    );
    assert!(
        h.next_actions
            .contains(&format!("Open a deal: score {}", h.total)),
        "no open deal yet: {:?}",
        h.next_actions
    );
}

#[tokio::test]
async fn scores_are_stored_and_change_as_activities_arrive() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    t.crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Audit".into(),
            value_minor: 2_000_000,
            ..DealInput::default()
        })
        .await
        .unwrap();
    let before = t.crm.client_score(acme.id).await.unwrap();
    assert!(
        t.crm.stored_score(acme.id).await.unwrap().is_some(),
        "computed scores are kept"
    );
    t.crm
        .record_external_activity(&inbound_email(acme.id, "<go@acme>", T0 - HOUR))
        .await
        .unwrap();
    let after = t.crm.client_score(acme.id).await.unwrap();
    assert!(
        after.total > before.total,
        "their mail raises the score: {} → {}",
        before.total,
        after.total
    );
    assert!(after
        .signals
        .iter()
        .any(|s| s.text == "heard from them today"));
    assert_eq!(after.next_actions[0], "Reply: they wrote today");

    assert_eq!(t.crm.recompute_scores().await.unwrap(), 1);
    let weights = ScoreSettings {
        engagement_weight: 0,
        fit_weight: 0,
        momentum_weight: 0,
        financial_weight: 0,
        ..ScoreSettings::default()
    };
    assert!(
        t.crm.set_score_settings(&weights).await.is_err(),
        "all-zero weights are refused"
    );
    let fit_only = ScoreSettings {
        engagement_weight: 0,
        momentum_weight: 0,
        financial_weight: 0,
        fit_weight: 10,
        ..ScoreSettings::default()
    };
    t.crm.set_score_settings(&fit_only).await.unwrap();
    let stored = t.crm.stored_score(acme.id).await.unwrap().unwrap();
    assert_eq!(
        stored.total, stored.fit,
        "a settings change recomputes the stored scores"
    );
}

#[tokio::test]
async fn a_crossing_creates_one_task_and_a_deal_and_is_announced() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let mut events = t.crm.subscribe();
    // Engagement only, crossing at 30: one reply from them today (35) crosses.
    let settings = ScoreSettings {
        engagement_weight: 1,
        fit_weight: 0,
        momentum_weight: 0,
        financial_weight: 0,
        threshold: 30,
        ..ScoreSettings::default()
    };
    t.crm.set_score_settings(&settings).await.unwrap();
    assert_eq!(t.crm.rescore(acme.id).await.unwrap().total, 0);
    let inbound = |id: &str, at: i64| inbound_email(acme.id, id, at);
    t.crm
        .record_external_activity(&inbound("<1@acme>", T0 - HOUR))
        .await
        .unwrap();
    let crossed = t.crm.rescore(acme.id).await.unwrap();
    assert!(crossed.total >= 30, "{crossed:?}");
    let tasks = t.crm.task_board("2026-03-02").await.unwrap().due_today;
    assert_eq!(tasks.len(), 1, "one task on the crossing: {tasks:?}");
    assert_eq!(
        tasks[0].title, "Reply: they wrote today",
        "from the top next action"
    );
    let page = t.crm.client_page(acme.id).await.unwrap();
    assert_eq!(
        page.deals.len(),
        1,
        "a deal for a client without an open one"
    );
    assert!(
        page.deals[0].title.starts_with("Acme: new opportunity"),
        "{}",
        page.deals[0].title
    );
    let mut crossings = 0;
    while let Ok(event) = events.try_recv() {
        if let cremmy_protocol::crm::CrmEvent::ScoreCrossed {
            client_id,
            from,
            to,
            ..
        } = event
        {
            assert_eq!((client_id, from), (acme.id, 0));
            assert!(to >= 30);
            crossings += 1;
        }
    }
    assert_eq!(
        crossings, 1,
        "the crossing is on the bus for automation rules"
    );

    t.crm
        .record_external_activity(&inbound("<2@acme>", T0 - 2 * HOUR))
        .await
        .unwrap();
    t.crm.rescore(acme.id).await.unwrap();
    assert_eq!(
        t.crm
            .task_board("2026-03-02")
            .await
            .unwrap()
            .due_today
            .len(),
        1,
        "still above: no second task"
    );
    assert_eq!(
        t.crm.client_page(acme.id).await.unwrap().deals.len(),
        1,
        "no second deal"
    );

    // Forty quiet days later the score has fallen below; their next mail crosses again: a new
    // task, but the open deal means no new deal.
    t.clock.advance(40 * 24 * HOUR);
    t.crm.recompute_scores().await.unwrap();
    assert!(
        t.crm.stored_score(acme.id).await.unwrap().unwrap().total < 30,
        "fell below"
    );
    t.crm
        .record_external_activity(&inbound("<3@acme>", T0 + 40 * 24 * HOUR - HOUR))
        .await
        .unwrap();
    t.crm.rescore(acme.id).await.unwrap();
    let board = t.crm.task_board("2026-04-11").await.unwrap();
    assert_eq!(
        (board.overdue.len(), board.due_today.len()),
        (1, 1),
        "a second crossing, a second task"
    );
    assert_eq!(
        t.crm.client_page(acme.id).await.unwrap().deals.len(),
        1,
        "the open deal stays the only one"
    );
    // Each crossing is journalled once, for webhooks and automation rules.
    let crossings: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM event_journal WHERE kind = 'score_crossed' AND client_id = ? ORDER BY id",
    )
    .bind(acme.id)
    .fetch_all(t.crm.database().pool())
    .await
    .unwrap();
    assert_eq!(crossings.len(), 2, "two crossings: {crossings:?}");
    assert!(
        crossings[0].contains("\"from\":0") && crossings[0].contains("\"threshold\":30"),
        "{}",
        crossings[0]
    );
}

#[tokio::test]
async fn the_list_sorts_and_filters_by_score_and_today_lists_hot_leads() {
    use cremmy_protocol::crm::{ClientQuery, ClientSort};
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    client(&t.crm, "Brightwater").await;
    t.crm
        .record_external_activity(&inbound_email(acme.id, "<hi@acme>", T0 - HOUR))
        .await
        .unwrap();
    let engagement_only = ScoreSettings {
        engagement_weight: 1,
        fit_weight: 0,
        momentum_weight: 0,
        financial_weight: 0,
        threshold: 30,
        auto_task: false,
        auto_deal: false,
        ..ScoreSettings::default()
    };
    t.crm.set_score_settings(&engagement_only).await.unwrap();
    let list = |q: ClientQuery| {
        let crm = t.crm.clone();
        async move { crm.list_clients(&q).await.unwrap().rows }
    };
    let by_score = list(ClientQuery {
        sort: ClientSort::Score,
        ..ClientQuery::default()
    })
    .await;
    let shown: Vec<(String, Option<u8>)> =
        by_score.into_iter().map(|r| (r.name, r.score)).collect();
    assert_eq!(
        shown,
        vec![
            ("Acme".to_string(), Some(35)),
            ("Brightwater".to_string(), Some(0))
        ]
    );
    let hot = list(ClientQuery {
        min_score: Some(30),
        ..ClientQuery::default()
    })
    .await;
    assert_eq!(hot.len(), 1, "the score filter keeps Acme only");
    let today = t
        .crm
        .today(&cremmy_protocol::today::TodayRequest {
            today: "2026-03-02".into(),
            utc_offset_minutes: 0,
        })
        .await
        .unwrap();
    let names: Vec<(&str, u8)> = today
        .hot
        .iter()
        .map(|h| (h.name.as_str(), h.score))
        .collect();
    assert_eq!(
        names,
        vec![("Acme", 35)],
        "Today's hot leads: at or above the threshold"
    );
    assert_eq!(
        today.hot[0].next_action.as_deref(),
        Some("Reply: they wrote today")
    );
}
