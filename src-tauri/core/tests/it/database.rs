use std::path::Path;

use cremmy_core::{paths, Database, DbError};

async fn pragma(db: &Database, name: &str) -> String {
    let value: sqlx::sqlite::SqliteRow = sqlx::query(&format!("PRAGMA {name}"))
        .fetch_one(db.pool())
        .await
        .unwrap();
    use sqlx::Row;
    value
        .try_get::<String, _>(0)
        .or_else(|_| value.try_get::<i64, _>(0).map(|v| v.to_string()))
        .unwrap()
}

#[tokio::test]
async fn fresh_data_dir_gets_a_migrated_wal_database() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested/data");
    let db = Database::open_in(&data_dir)
        .await
        .expect("a missing data dir must be created");
    assert!(
        paths::database_path(&data_dir).is_file(),
        "the database file must exist after opening"
    );
    assert_eq!(
        pragma(&db, "journal_mode").await,
        "wal",
        "WAL must be set explicitly (sqlx does not default to it)"
    );
    assert_eq!(
        pragma(&db, "synchronous").await,
        "1",
        "synchronous must be NORMAL (1)"
    );
    assert_eq!(
        pragma(&db, "foreign_keys").await,
        "1",
        "foreign keys must be enforced"
    );
    let status = db.status().await.unwrap();
    assert!(
        status.schema_version >= 1,
        "migrations must have run, got schema {}",
        status.schema_version
    );
    assert_eq!(status.journal_mode, "wal");
    assert_eq!(
        Path::new(&status.data_dir),
        data_dir.as_path(),
        "status must report the data dir in use"
    );
}

#[tokio::test]
async fn reopening_keeps_data_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('theme', 'dark', 1)")
        .execute(db.pool())
        .await
        .unwrap();
    let version = db.status().await.unwrap().schema_version;
    db.close().await;
    let again = Database::open_in(dir.path())
        .await
        .expect("a second open must succeed");
    let theme: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'theme'")
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(
        theme, "dark",
        "data written before closing must survive reopening"
    );
    assert_eq!(
        again.status().await.unwrap().schema_version,
        version,
        "reopening must not change the schema"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let file = paths::database_path(dir.path());
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &garbage).unwrap();
    let err = Database::open_in(dir.path())
        .await
        .expect_err("garbage must not open as a database");
    assert!(
        matches!(err, DbError::Unreadable { .. }),
        "expected Unreadable, got {err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("not a readable Cremmy database") && message.contains("--data-dir"),
        "the message must say what happened and what to do: {message}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        garbage,
        "the user's file must not be modified"
    );
    assert!(
        !dir.path().join("cremmy.sqlite3-wal").exists()
            || std::fs::metadata(dir.path().join("cremmy.sqlite3-wal"))
                .unwrap()
                .len()
                == 0,
        "no WAL content may be written next to an unreadable file"
    );
}

#[tokio::test]
async fn a_database_from_a_newer_cremmy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99999, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let err = Database::open_in(dir.path())
        .await
        .expect_err("a newer schema must be refused");
    match err {
        DbError::TooNew { found, known, .. } => {
            assert_eq!(found, 99999);
            assert!(
                known < found,
                "known schema {known} must be older than the file's"
            );
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[tokio::test]
async fn a_data_dir_that_is_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("occupied");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let err = Database::open_in(&not_a_dir)
        .await
        .expect_err("a file cannot be a data dir");
    assert!(
        matches!(err, DbError::DataDir { .. }),
        "expected DataDir, got {err:?}"
    );
    assert!(
        err.to_string().contains("--data-dir"),
        "the message must name the way out: {err}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_database_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let db = Database::open_in(&data_dir).await.unwrap();
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 1)")
        .execute(db.writer())
        .await
        .unwrap();
    let file = paths::database_path(&data_dir);
    let wal = std::path::PathBuf::from(format!("{}-wal", file.display()));
    assert_eq!(
        mode(&data_dir),
        0o700,
        "the data folder is the owner's alone"
    );
    assert_eq!(mode(&file), 0o600, "the database file is the owner's alone");
    assert!(wal.exists(), "WAL mode writes a -wal file");
    assert_eq!(
        mode(&wal),
        0o600,
        "the WAL holds the same data and gets the same mode"
    );
    db.close().await;

    // A database made before this (0644 by the umask) is tightened when it opens.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = Database::open_in(&data_dir).await.unwrap();
    assert_eq!(
        (mode(&data_dir), mode(&file)),
        (0o700, 0o600),
        "an older install is tightened"
    );
    db.close().await;
}

#[tokio::test]
async fn a_full_disk_is_reported_as_such_and_nothing_is_half_saved() {
    use cremmy_core::crm::Crm;
    use cremmy_protocol::crm::ClientInput;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    let crm = Crm::new(
        db.clone(),
        std::sync::Arc::new(cremmy_core::clock::ManualClock::at(crate::support::T0)),
    );
    // The database may not grow: every page is the last one (SQLite answers SQLITE_FULL).
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(db.writer())
        .await
        .unwrap();
    sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
        .execute(db.writer())
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM clients")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let mut last = None;
    for i in 0..200 {
        let input = ClientInput {
            name: format!("Client {i} {}", "x".repeat(150)),
            notes: "n".repeat(4000),
            ..ClientInput::default()
        };
        if let Err(e) = crm.create_client(&input).await {
            last = Some(e);
            break;
        }
    }
    let error = last.expect("a database that cannot grow fills up");
    assert!(
        error.to_string().starts_with("The disk is full"),
        "the user reads that the disk is full, not a raw SQLite code: {error}"
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM clients")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM clients WHERE name LIKE 'Client %'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(after - before, made, "only whole clients were saved");
    db.close().await;
}
