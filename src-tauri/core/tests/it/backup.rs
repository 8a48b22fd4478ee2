//! Backups and restore: a consistent online copy, daily backups kept a week, and restore that
//! checks the file, refuses while the database is open, keeps the current one, and brings a
//! populated database back identical (row counts and a content hash over every table).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use cremmy_core::backup::{self, BackupError};
use cremmy_core::clock::ManualClock;
use cremmy_core::crm::{Crm, Date};
use cremmy_core::Database;
use sqlx::Row;

use crate::support::T0;

const DAY: i64 = 86_400_000;

/// Every table's rows (each row as its quoted values), by table name.
async fn contents(db: &Database) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut all = BTreeMap::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query(&format!("PRAGMA table_info(\"{table}\")"))
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .collect();
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {} FROM \"{table}\" ORDER BY 1",
            quoted.join(" || '|' || ")
        ))
        .fetch_all(db.pool())
        .await
        .unwrap();
        all.insert(table, rows);
    }
    all
}

async fn populated(dir: &Path) -> (Database, Crm) {
    let db = Database::open_in(dir).await.unwrap();
    let crm = Crm::new(db.clone(), Arc::new(ManualClock::at(T0)));
    crm.load_demo(Date::from_days(T0 / DAY)).await.unwrap();
    (db, crm)
}

#[tokio::test]
async fn backup_wipe_restore_brings_the_database_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _crm) = populated(dir.path()).await;
    let before = contents(&db).await;
    assert!(
        before["clients"].len() >= 10 && before["activities"].len() > 10,
        "a populated database: {:?}",
        before.iter().map(|(t, r)| (t, r.len())).collect::<Vec<_>>()
    );
    let saved = dir.path().join("my-backup.sqlite3");
    db.backup_to(&saved).await.expect("an online backup");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup is readable by its owner only");
    }
    assert!(
        matches!(db.backup_to(&saved).await, Err(BackupError::Exists { .. })),
        "a backup never overwrites a file"
    );

    // Wipe: the data is gone.
    for table in ["activities", "deals", "contacts", "clients"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(db.writer())
            .await
            .unwrap();
    }
    assert_ne!(contents(&db).await, before);

    // While the database is open, a restore is refused and changes nothing.
    let refused = backup::restore(dir.path(), &saved, T0 + DAY).await;
    assert!(
        matches!(refused, Err(BackupError::InUse)),
        "refused while open: {refused:?}"
    );
    db.close().await;

    let restored = backup::restore(dir.path(), &saved, T0 + DAY)
        .await
        .expect("restored");
    assert!(restored.previous.exists(), "the wiped database was kept");
    let reopened = Database::open_in(dir.path()).await.unwrap();
    assert_eq!(
        contents(&reopened).await,
        before,
        "every table has the same rows as before the wipe"
    );
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(reopened.pool())
        .await
        .unwrap();
    assert_eq!(
        journal, "wal",
        "the restored database runs in WAL mode again"
    );
    // The kept copy is the wiped state, and itself a valid backup.
    assert!(backup::check(&restored.previous).await.is_ok());
}

#[tokio::test]
async fn a_file_that_is_not_a_sound_cremmy_backup_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _crm) = populated(dir.path()).await;
    let before = contents(&db).await;
    db.close().await;
    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, b"not a database at all").unwrap();
    let plain_sqlite = dir.path().join("other.sqlite3");
    {
        let other = Database::open_file(&plain_sqlite).await.unwrap();
        sqlx::query("DROP TABLE clients")
            .execute(other.writer())
            .await
            .ok();
        other.close().await;
    }
    let newer = dir.path().join("newer.sqlite3");
    {
        let db = Database::open_in(dir.path()).await.unwrap();
        db.backup_to(&newer).await.unwrap();
        db.close().await;
        let future = Database::open_file(&newer).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99999, 'future', CURRENT_TIMESTAMP, 1, x'00', 0)")
            .execute(future.writer())
            .await
            .unwrap();
        future.close().await;
    }
    let cases: [(&Path, &str); 4] = [
        (&garbage, "not SQLite"),
        (&dir.path().join("missing.sqlite3"), "no such file"),
        (&plain_sqlite, "no clients table"),
        (&newer, "a newer schema"),
    ];
    for (file, why) in cases {
        let e = backup::restore(dir.path(), file, T0).await.expect_err(why);
        match (why, &e) {
            ("a newer schema", BackupError::TooNew { found, .. }) => assert_eq!(*found, 99999),
            ("a newer schema", other) => panic!("{why}: {other:?}"),
            (_, BackupError::NotABackup { .. }) => {}
            (_, other) => panic!("{why}: expected NotABackup, got {other:?}"),
        }
    }
    let db = Database::open_in(dir.path()).await.unwrap();
    assert_eq!(contents(&db).await, before, "nothing was changed");
}

#[tokio::test]
async fn one_daily_backup_a_day_and_a_week_of_them_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _crm) = populated(dir.path()).await;
    let first = backup::daily(&db, T0).await.unwrap();
    assert!(first.is_some(), "the first backup of the day is made");
    assert_eq!(
        backup::daily(&db, T0 + 3_600_000).await.unwrap(),
        None,
        "one a day"
    );
    for day in 1..10 {
        backup::daily(&db, T0 + day * DAY).await.unwrap();
    }
    let mut kept: Vec<String> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), backup::KEEP_DAILY, "{kept:?}");
    assert_eq!(
        kept[0], "daily-2026-03-05.sqlite3",
        "the oldest went: {kept:?}"
    );
    assert_eq!(kept[6], "daily-2026-03-11.sqlite3");
}
