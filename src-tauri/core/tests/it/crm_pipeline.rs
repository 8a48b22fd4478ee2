use cremmy_core::crm::CrmError;
use cremmy_protocol::crm::{
    ActivityKind, ActivitySource, CrmEvent, DealInput, DealMove, Direction, NoteInput,
    RecordedActivity, StageKind, TimelineCursor,
};

use crate::support::{client, count, stage_id, test_crm, T0};

fn deal(client_id: i64, title: &str, value_minor: i64, currency: &str) -> DealInput {
    DealInput {
        client_id,
        title: title.into(),
        value_minor,
        currency: currency.into(),
        ..DealInput::default()
    }
}

#[tokio::test]
async fn default_pipeline_has_terminal_won_and_lost_stages() {
    let t = test_crm().await;
    let stages = t.crm.stages().await.unwrap();
    let shape: Vec<(&str, StageKind)> = stages.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        shape,
        [
            ("Lead", StageKind::Open),
            ("Qualified", StageKind::Open),
            ("Proposal", StageKind::Open),
            ("Negotiation", StageKind::Open),
            ("Won", StageKind::Won),
            ("Lost", StageKind::Lost)
        ]
    );
}

#[tokio::test]
async fn moving_deals_reorders_records_the_change_and_publishes_an_event() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let lead = stage_id(&t, "Lead").await;
    let proposal = stage_id(&t, "Proposal").await;
    let won = stage_id(&t, "Won").await;
    let a = t
        .crm
        .create_deal(&deal(acme.id, "A", 1000, "usd"))
        .await
        .unwrap();
    let b = t
        .crm
        .create_deal(&deal(acme.id, "B", 2000, "USD"))
        .await
        .unwrap();
    let c = t
        .crm
        .create_deal(&deal(acme.id, "C", 500, "EUR"))
        .await
        .unwrap();
    assert_eq!(
        (a.stage_id, a.value.currency.as_str()),
        (lead, "USD"),
        "no stage means the first; currency upper-cased"
    );
    assert_eq!(
        [a.position, b.position, c.position],
        [0, 1, 2],
        "new deals go to the bottom"
    );

    let mut events = t.crm.subscribe();
    t.clock.set(T0 + 60_000);
    // Within a stage: C to the top.
    t.crm
        .move_deal(DealMove {
            deal_id: c.id,
            stage_id: lead,
            index: 0,
        })
        .await
        .unwrap();
    assert!(
        events.try_recv().is_err(),
        "a move within a stage is not a stage change"
    );
    // Across stages: B to Proposal.
    let moved = t
        .crm
        .move_deal(DealMove {
            deal_id: b.id,
            stage_id: proposal,
            index: 99,
        })
        .await
        .unwrap();
    assert_eq!(
        (moved.stage_id, moved.position),
        (proposal, 0),
        "an index past the end lands at the bottom"
    );
    assert_eq!(
        events.try_recv().unwrap(),
        CrmEvent::DealStageChanged {
            deal_id: b.id,
            client_id: acme.id,
            from_stage: lead,
            to_stage: proposal,
            at: T0 + 60_000
        }
    );

    let board = t.crm.board(0).await.unwrap();
    let lead_col = &board.columns[0];
    let titles: Vec<&str> = lead_col.deals.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(
        titles,
        ["C", "A"],
        "the lead column keeps its order with no gaps"
    );
    assert_eq!(
        lead_col
            .deals
            .iter()
            .map(|d| d.position)
            .collect::<Vec<_>>(),
        [0, 1],
        "positions stay dense"
    );
    assert_eq!(lead_col.deal_count, 2);
    let totals: Vec<(i64, &str)> = lead_col
        .totals
        .iter()
        .map(|m| (m.minor, m.currency.as_str()))
        .collect();
    assert_eq!(
        totals,
        [(1000, "USD"), (500, "EUR")],
        "one total per currency, never summed across currencies"
    );
    assert_eq!(board.columns[2].deal_count, 1);

    let timeline = t.crm.timeline(acme.id, None, 0).await.unwrap();
    let system: Vec<&str> = timeline
        .items
        .iter()
        .filter(|a| a.kind == ActivityKind::System)
        .map(|a| a.subject.as_str())
        .collect();
    assert_eq!(
        system,
        ["Stage changed: Lead → Proposal"],
        "the stage change is on the client's timeline"
    );

    let closed = t
        .crm
        .move_deal(DealMove {
            deal_id: b.id,
            stage_id: won,
            index: 0,
        })
        .await
        .unwrap();
    assert_eq!(
        (closed.won_at, closed.lost_at),
        (Some(T0 + 60_000), None),
        "moving to a won stage stamps won_at"
    );
    let reopened = t
        .crm
        .move_deal(DealMove {
            deal_id: b.id,
            stage_id: lead,
            index: 1,
        })
        .await
        .unwrap();
    assert_eq!(
        (reopened.won_at, reopened.position),
        (None, 1),
        "reopening clears won_at"
    );
    let order: Vec<String> = t
        .crm
        .stage_deals(lead, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.title)
        .collect();
    assert_eq!(order, ["C", "B", "A"]);
}

#[tokio::test]
async fn deal_input_is_validated() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let cases: Vec<(DealInput, &str)> = vec![
        (deal(acme.id, "", 1, "USD"), "title"),
        (deal(acme.id, "X", -5, "USD"), "negative"),
        (deal(acme.id, "X", 1, "dollars"), "ISO 4217"),
        (
            DealInput {
                expected_close: Some("2026-02-30".into()),
                ..deal(acme.id, "X", 1, "USD")
            },
            "not a date",
        ),
        (deal(424242, "X", 1, "USD"), "no longer exists"),
        (
            DealInput {
                stage_id: Some(999),
                ..deal(acme.id, "X", 1, "USD")
            },
            "stage",
        ),
    ];
    for (input, expected) in cases {
        let err = t
            .crm
            .create_deal(&input)
            .await
            .expect_err("must be rejected");
        assert!(
            err.to_string().contains(expected),
            "{input:?}: expected {expected:?} in {err}"
        );
    }
    assert_eq!(count(&t.crm, "deals").await, 0);
}

#[tokio::test]
async fn stages_can_be_added_renamed_reordered_and_deleted_safely() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let discovery = t
        .crm
        .create_stage("Discovery", StageKind::Open)
        .await
        .unwrap();
    assert_eq!(discovery.position, 6, "new stages go last");
    let renamed = t
        .crm
        .rename_stage(discovery.id, "Discovery call")
        .await
        .unwrap();
    assert_eq!(renamed.name, "Discovery call");
    assert!(
        t.crm.rename_stage(discovery.id, "lead").await.is_err(),
        "stage names are unique, ignoring case"
    );
    let mut ids: Vec<i64> = t.crm.stages().await.unwrap().iter().map(|s| s.id).collect();
    ids.rotate_right(1);
    let reordered = t.crm.reorder_stages(&ids).await.unwrap();
    assert_eq!(reordered[0].name, "Discovery call");
    assert!(
        t.crm.reorder_stages(&ids[1..]).await.is_err(),
        "a partial order is rejected"
    );

    t.crm
        .create_deal(&DealInput {
            stage_id: Some(discovery.id),
            ..deal(acme.id, "D", 1, "USD")
        })
        .await
        .unwrap();
    let err = t
        .crm
        .delete_stage(discovery.id)
        .await
        .expect_err("a stage with deals cannot be deleted");
    assert!(
        matches!(err, CrmError::StageNotEmpty { deals: 1, .. }),
        "{err:?}"
    );
    let won = stage_id(&t, "Won").await;
    assert!(
        matches!(
            t.crm.delete_stage(won).await,
            Err(CrmError::PipelineIncomplete)
        ),
        "the only won stage must stay"
    );
    let qualified = stage_id(&t, "Qualified").await;
    t.crm
        .delete_stage(qualified)
        .await
        .expect("an empty open stage can go");
}

#[tokio::test]
async fn timeline_pages_newest_first_without_gaps_or_repeats() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    for i in 0..7 {
        // Two notes share each timestamp, so paging must break ties by id.
        t.clock.set(T0 + (i / 2) * 1000);
        t.crm
            .log_note(&NoteInput {
                client_id: acme.id,
                body: format!("note {i}\nmore"),
                ..NoteInput::default()
            })
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<TimelineCursor> = None;
    loop {
        let page = t.crm.timeline(acme.id, cursor, 3).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|a| a.subject.clone()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("note {i}")).collect();
    assert_eq!(
        seen, expected,
        "every note once, newest first, subject = first line"
    );
    let err = t
        .crm
        .log_note(&NoteInput {
            client_id: acme.id,
            body: "  ".into(),
            ..NoteInput::default()
        })
        .await;
    assert!(err.is_err(), "an empty note is rejected");
}

#[tokio::test]
async fn external_activities_are_stored_once_per_source_and_id() {
    use cremmy_core::crm::ExternalActivity;
    use cremmy_protocol::crm::Direction;
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let item = ExternalActivity {
        client_id: acme.id,
        contact_id: None,
        deal_id: None,
        kind: ActivityKind::Email,
        direction: Direction::Inbound,
        subject: "Hello".into(),
        body: "snippet".into(),
        occurred_at: T0,
        source: cremmy_protocol::crm::ActivitySource::Email,
        external_id: "<m1@example>".into(),
    };
    assert!(t
        .crm
        .record_external_activity(&item)
        .await
        .unwrap()
        .is_some());
    assert!(
        t.crm
            .record_external_activity(&item)
            .await
            .unwrap()
            .is_none(),
        "the same message again is a no-op"
    );
    let other_source = ExternalActivity {
        source: cremmy_protocol::crm::ActivitySource::Calendar,
        ..item.clone()
    };
    assert!(
        t.crm
            .record_external_activity(&other_source)
            .await
            .unwrap()
            .is_some(),
        "uniqueness is per source"
    );
    assert_eq!(count(&t.crm, "activities").await, 2);
}

#[tokio::test]
async fn closing_a_deal_publishes_won_or_lost_after_the_stage_change() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    let (lead, won, lost) = (
        stage_id(&t, "Lead").await,
        stage_id(&t, "Won").await,
        stage_id(&t, "Lost").await,
    );
    let a = t
        .crm
        .create_deal(&deal(acme.id, "A", 120_000, "EUR"))
        .await
        .unwrap();
    let mut events = t.crm.subscribe();
    let to = |stage_id| DealMove {
        deal_id: a.id,
        stage_id,
        index: 0,
    };
    t.clock.set(T0 + 1_000);
    t.crm.move_deal(to(won)).await.unwrap();
    t.clock.set(T0 + 2_000);
    t.crm.move_deal(to(lost)).await.unwrap();
    t.clock.set(T0 + 3_000);
    t.crm.move_deal(to(lead)).await.unwrap();
    let mut seen = Vec::new();
    let mut recorded = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            CrmEvent::ActivitiesRecorded { activities, at } => recorded.push((activities, at)),
            deal_event => {
                // The previous stage change's activity was announced before this one starts.
                if matches!(deal_event, CrmEvent::DealStageChanged { .. }) {
                    let changes = seen
                        .iter()
                        .filter(|e| matches!(e, CrmEvent::DealStageChanged { .. }))
                        .count();
                    assert_eq!(
                        recorded.len(),
                        changes,
                        "activities follow their stage change"
                    );
                }
                seen.push(deal_event);
            }
        }
    }
    let system_activities: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM activities WHERE deal_id = ? AND kind = 'system' AND subject LIKE 'Stage changed%' ORDER BY id",
    )
    .bind(a.id)
    .fetch_all(t.crm.database().pool())
    .await
    .unwrap();
    let expected_recorded: Vec<_> = system_activities
        .iter()
        .zip([T0 + 1_000, T0 + 2_000, T0 + 3_000])
        .map(|(&activity_id, at)| {
            (
                vec![RecordedActivity {
                    activity_id,
                    client_id: acme.id,
                    kind: ActivityKind::System,
                    direction: Direction::None,
                    source: ActivitySource::Local,
                }],
                at,
            )
        })
        .collect();
    assert_eq!(
        recorded, expected_recorded,
        "each stage change announces its \"Stage changed\" activity once it commits"
    );
    let changed = |from_stage, to_stage, at| CrmEvent::DealStageChanged {
        deal_id: a.id,
        client_id: acme.id,
        from_stage,
        to_stage,
        at,
    };
    assert_eq!(
        seen,
        [
            changed(lead, won, T0 + 1_000),
            CrmEvent::DealWon {
                deal_id: a.id,
                client_id: acme.id,
                value_minor: 120_000,
                currency: "EUR".into(),
                at: T0 + 1_000
            },
            changed(won, lost, T0 + 2_000),
            CrmEvent::DealLost {
                deal_id: a.id,
                client_id: acme.id,
                value_minor: 120_000,
                currency: "EUR".into(),
                at: T0 + 2_000
            },
            changed(lost, lead, T0 + 3_000),
        ],
        "won and lost follow their stage change; reopening publishes only the stage change"
    );
}
