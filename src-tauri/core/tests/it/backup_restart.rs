//! "Restart now" after choosing a backup in Settings: the new process starts while the old one
//! may still be closing the database. The restore queued for that start waits for the database
//! to be released, where a restore asked by hand while it is open says "in use" at once.

use std::sync::Arc;
use std::time::Duration;

use cremmy_core::backup::{self, BackupError};
use cremmy_core::backup_catalog;
use cremmy_core::clock::ManualClock;
use cremmy_core::Database;
use cremmy_protocol::data::RestoreRequest;

use crate::support::T0;

#[tokio::test]
async fn a_restore_at_start_waits_for_the_process_before_to_release_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let core = cremmy_core::Core::open(
        dir.path(),
        Arc::new(ManualClock::at(T0)),
        crate::graph_open::environment(),
    )
    .await
    .unwrap();
    let saved = core.backup(None, None).await.unwrap();
    let name = saved.file_name().unwrap().to_string_lossy().into_owned();
    core.schedule_restore(&RestoreRequest {
        name,
        passphrase: None,
    })
    .await
    .expect("the backup is checked and queued");
    core.close().await;

    // The process before is still closing: it holds the database a few seconds more.
    let before = Database::open_in(dir.path()).await.unwrap();
    let by_hand = backup::restore(dir.path(), &saved, None, T0).await;
    assert!(
        matches!(by_hand, Err(BackupError::InUse)),
        "a restore asked by hand while the database is open is refused: {by_hand:?}"
    );
    let closing = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(4)).await;
        before.close().await;
    });
    let (_, outcome) = backup_catalog::restore_pending(dir.path(), T0)
        .await
        .expect("a restore was waiting");
    closing.await.unwrap();
    assert!(
        outcome.is_ok(),
        "the queued restore waited for the database to be released: {outcome:?}"
    );
}
