use cremmy_core::crm::{days_from_civil, Date, DocumentLocation};
use cremmy_protocol::crm::{DocumentKind, TaskInput};

use crate::support::{client, test_crm, T0};

fn task(title: &str, due: Option<&str>, time: Option<&str>) -> TaskInput {
    TaskInput {
        title: title.into(),
        due_date: due.map(Into::into),
        due_time: time.map(Into::into),
        ..TaskInput::default()
    }
}

#[tokio::test]
async fn task_board_buckets_around_the_users_today() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    t.crm
        .create_task(&task("late", Some("2026-03-01"), None))
        .await
        .unwrap();
    t.crm
        .create_task(&task("today, afternoon", Some("2026-03-02"), Some("15:00")))
        .await
        .unwrap();
    t.crm
        .create_task(&task("today, morning", Some("2026-03-02"), Some("08:30")))
        .await
        .unwrap();
    t.crm
        .create_task(&task("today, any time", Some("2026-03-02"), None))
        .await
        .unwrap();
    t.crm
        .create_task(&task("next week", Some("2026-03-09"), None))
        .await
        .unwrap();
    let someday = t
        .crm
        .create_task(&TaskInput {
            client_id: Some(acme.id),
            ..task("someday", None, None)
        })
        .await
        .unwrap();
    assert_eq!(someday.client_name.as_deref(), Some("Acme"));

    let board = t.crm.task_board("2026-03-02").await.unwrap();
    let titles =
        |ts: &[cremmy_protocol::crm::Task]| ts.iter().map(|t| t.title.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&board.overdue), ["late"]);
    assert_eq!(
        titles(&board.due_today),
        ["today, morning", "today, afternoon", "today, any time"],
        "timed tasks first, by time"
    );
    assert_eq!(titles(&board.upcoming), ["next week"]);
    assert_eq!(titles(&board.someday), ["someday"]);
    assert!(board.recently_done.is_empty());

    // The same data seen on another local day moves between buckets: "today" is an input.
    let tomorrow = t.crm.task_board("2026-03-03").await.unwrap();
    assert_eq!(tomorrow.overdue.len(), 4);

    t.clock.set(T0 + 5_000);
    let done = t
        .crm
        .set_task_done(board.overdue[0].id, true)
        .await
        .unwrap();
    assert_eq!(done.done_at, Some(T0 + 5_000));
    let after = t.crm.task_board("2026-03-02").await.unwrap();
    assert!(
        after.overdue.is_empty(),
        "a completed task leaves its bucket"
    );
    assert_eq!(titles(&after.recently_done), ["late"]);
    let reopened = t.crm.set_task_done(done.id, false).await.unwrap();
    assert_eq!(reopened.done_at, None);
    assert_eq!(t.crm.open_tasks_of(acme.id).await.unwrap().len(), 1);
    t.crm.delete_task(someday.id).await.unwrap();
    assert!(t.crm.task(someday.id).await.is_err());
}

#[tokio::test]
async fn task_input_is_validated() {
    let t = test_crm().await;
    for (input, expected) in [
        (task("", None, None), "title"),
        (task("x", Some("2026-13-01"), None), "not a date"),
        (task("x", None, Some("10:00")), "needs a due date"),
        (task("x", Some("2026-01-01"), Some("25:00")), "not a time"),
        (
            TaskInput {
                client_id: Some(777),
                ..task("x", None, None)
            },
            "no longer exists",
        ),
    ] {
        let err = t
            .crm
            .create_task(&input)
            .await
            .expect_err("must be rejected");
        assert!(
            err.to_string().contains(expected),
            "{input:?}: expected {expected:?} in {err}"
        );
    }
    assert!(
        t.crm.task_board("yesterday").await.is_err(),
        "today must be a date"
    );
}

#[tokio::test]
async fn documents_link_local_files_and_provider_files_to_a_client() {
    let t = test_crm().await;
    let acme = client(&t.crm, "Acme").await;
    t.crm
        .add_document(
            acme.id,
            None,
            "Signed SOW",
            DocumentKind::Contract,
            &DocumentLocation::Local {
                path: "/home/me/sow.pdf".into(),
            },
        )
        .await
        .unwrap();
    t.clock.advance(1);
    let doc = DocumentLocation::Provider {
        provider: "google_docs".into(),
        external_id: "doc-1".into(),
        url: "https://docs.google.com/document/d/doc-1".into(),
    };
    t.crm
        .add_document(
            acme.id,
            None,
            "Proposal - Acme",
            DocumentKind::Proposal,
            &doc,
        )
        .await
        .unwrap();
    assert!(
        t.crm
            .add_document(acme.id, None, "dup", DocumentKind::Proposal, &doc)
            .await
            .is_err(),
        "one record per provider file"
    );
    let docs = t.crm.documents_of(acme.id).await.unwrap();
    assert_eq!(
        docs.iter().map(|d| d.title.as_str()).collect::<Vec<_>>(),
        ["Proposal - Acme", "Signed SOW"],
        "newest first"
    );
}

#[test]
fn calendar_dates_round_trip_and_reject_impossible_days() {
    for days in [-719_162i64, -1, 0, 1, 10_957, 20_514, 2_932_896] {
        let d = Date::from_days(days);
        assert_eq!(d.days(), days, "{d} must map back to day {days}");
        assert_eq!(Date::parse("d", &d.to_string()).unwrap(), d);
    }
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(
        Date::parse("d", "2024-02-29")
            .unwrap()
            .add_days(1)
            .to_string(),
        "2024-03-01"
    );
    for bad in [
        "2023-02-29",
        "2026-04-31",
        "2026-00-10",
        "26-01-01",
        "2026/01/01",
        "",
    ] {
        assert!(Date::parse("d", bad).is_err(), "{bad:?} must be rejected");
    }
}

#[tokio::test]
async fn sync_interval_defaults_to_five_minutes_and_is_validated() {
    let t = test_crm().await;
    assert_eq!(t.crm.settings().await.unwrap().sync_interval_minutes, 5);
    assert_eq!(
        t.crm
            .set_sync_interval(15)
            .await
            .unwrap()
            .sync_interval_minutes,
        15
    );
    for bad in [0, 1441] {
        assert!(
            t.crm.set_sync_interval(bad).await.is_err(),
            "{bad} minutes must be rejected"
        );
    }
    assert_eq!(
        t.crm.settings().await.unwrap().sync_interval_minutes,
        15,
        "a rejected value changes nothing"
    );
}
