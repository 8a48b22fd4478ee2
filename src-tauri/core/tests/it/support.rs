use std::sync::Arc;

use cremmy_core::clock::ManualClock;
use cremmy_core::crm::Crm;
use cremmy_core::Database;
use cremmy_protocol::crm::{Client, ClientInput, Contact, ContactInput};

/// 2026-03-02T09:00:00Z
pub const T0: i64 = 1_772_442_000_000;

pub struct TestCrm {
    pub crm: Crm,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

/// A CRM on a fresh database file, with a clock the test controls.
pub async fn test_crm() -> TestCrm {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    let clock = Arc::new(ManualClock::at(T0));
    TestCrm {
        crm: Crm::new(db, clock.clone()),
        clock,
        _dir: dir,
    }
}

pub async fn client(crm: &Crm, name: &str) -> Client {
    crm.create_client(&ClientInput {
        name: name.to_string(),
        ..ClientInput::default()
    })
    .await
    .unwrap()
}

pub async fn contact(crm: &Crm, client_id: i64, name: &str, emails: &[&str]) -> Contact {
    crm.create_contact(&ContactInput {
        client_id,
        name: name.to_string(),
        emails: emails.iter().map(|e| e.to_string()).collect(),
        ..ContactInput::default()
    })
    .await
    .unwrap()
}

pub async fn count(crm: &Crm, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(crm.database().pool())
        .await
        .unwrap()
}

/// Waits (bounded) until `done` holds, re-checking as background work goes on: tests wait for
/// the condition they assert, never for a fixed time.
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{what} did not happen within 10 s");
}

/// The id of the stage called `name` (the starter pipeline: Lead … Won, Lost).
pub async fn stage_id(t: &TestCrm, name: &str) -> i64 {
    stage_named(&t.crm, name).await
}

/// The id of the stage called `name`.
pub async fn stage_named(crm: &Crm, name: &str) -> i64 {
    crm.stages()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no stage called {name}"))
        .id
}

/// Moves a deal to the end of the stage called `stage`, as a drag on the board does.
pub async fn move_deal_to(crm: &Crm, deal_id: i64, stage: &str) {
    let stage_id = stage_named(crm, stage).await;
    crm.move_deal(cremmy_protocol::crm::DealMove {
        deal_id,
        stage_id,
        index: i64::MAX,
    })
    .await
    .unwrap();
}

/// A deal of `value_minor` (`currency`) for the client, moved to `stage` unless that is Lead.
pub async fn deal_in_stage(
    crm: &Crm,
    client_id: i64,
    title: &str,
    (value_minor, currency): (i64, &str),
    stage: &str,
) -> i64 {
    let deal = crm
        .create_deal(&cremmy_protocol::crm::DealInput {
            client_id,
            title: title.into(),
            value_minor,
            currency: currency.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    if stage != "Lead" {
        move_deal_to(crm, deal.id, stage).await;
    }
    deal.id
}

/// An email from the client, as mail sync records it (subject "Hello").
pub fn inbound_email(
    client_id: i64,
    message_id: &str,
    at: i64,
) -> cremmy_core::crm::ExternalActivity {
    cremmy_core::crm::ExternalActivity {
        client_id,
        contact_id: None,
        deal_id: None,
        kind: cremmy_protocol::crm::ActivityKind::Email,
        direction: cremmy_protocol::crm::Direction::Inbound,
        subject: "Hello".into(),
        body: String::new(),
        occurred_at: at,
        source: cremmy_protocol::crm::ActivitySource::Email,
        external_id: message_id.into(),
    }
}

/// Judges new journal events against the automation rules and waits for the runs they start, until
/// nothing more happens; then for the background jobs their actions queued (a folder, a draft).
pub async fn settle_rules(sync: &cremmy_core::sync::SyncRunner) {
    let mut rounds = 0;
    loop {
        let started = sync.run_rules().await.unwrap();
        if started.is_empty() {
            break;
        }
        for run in started {
            let _ = run.await.unwrap();
        }
        rounds += 1;
        assert!(rounds < 10, "rules kept acting after ten rounds");
    }
    for _ in 0..400 {
        let running: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'running'")
            .fetch_one(sync.crm().database().pool())
            .await
            .unwrap();
        if running == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the rules' background jobs did not finish within 10 s");
}
