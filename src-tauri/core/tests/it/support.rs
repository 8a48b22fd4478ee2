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
    t.crm
        .stages()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no stage called {name}"))
        .id
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
