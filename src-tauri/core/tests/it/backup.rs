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
    let refused = backup::restore(dir.path(), &saved, None, T0 + DAY).await;
    assert!(
        matches!(refused, Err(BackupError::InUse)),
        "refused while open: {refused:?}"
    );
    db.close().await;

    // Restored as the app restores: before anything in the process opened it (`fresh_copy`).
    let target = fresh_copy(dir.path());
    let restored = backup::restore(target.path(), &saved, None, T0 + DAY)
        .await
        .expect("restored");
    assert!(restored.previous.exists(), "the wiped database was kept");
    let reopened = Database::open_in(target.path()).await.unwrap();
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
        let e = backup::restore(dir.path(), file, None, T0)
            .await
            .expect_err(why);
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

/// A copy of a data folder (database, its WAL, the backups folder, a pending-restore marker) that
/// this process has never opened. Pools closed in this process can keep their SQLite files open
/// for a while on sqlx's worker threads (seen under parallel tests), and a restore rightly refuses
/// a database that is open; the app restores at start or from the CLI, before anything opens it,
/// which a fresh copy reproduces.
fn fresh_copy(dir: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let from = entry.path();
        if name.ends_with("-shm") {
            continue; // rebuilt from the WAL
        }
        if from.is_dir() {
            std::fs::create_dir_all(copy.path().join(&name)).unwrap();
            for inner in std::fs::read_dir(&from).unwrap().flatten() {
                std::fs::copy(
                    inner.path(),
                    copy.path().join(&name).join(inner.file_name()),
                )
                .unwrap();
            }
        } else {
            match std::fs::copy(&from, copy.path().join(&name)) {
                Ok(_) => {}
                // A pool closing on a worker thread checkpointed the WAL into the database and
                // removed it between listing and copying: the database holds its content.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && name.ends_with("-wal") => {}
                Err(e) => panic!("copy {name}: {e}"),
            }
        }
    }
    copy
}

/// The files in `dir` (names only).
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A backup sealed with a passphrase: noise without it, refused with a weak or wrong one, and
/// back identical with the right one; no plain copy is left behind at any step.
#[tokio::test]
async fn a_sealed_backup_opens_only_with_its_passphrase_and_restores_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _crm) = populated(dir.path()).await;
    db.close().await;
    let core = cremmy_core::Core::open(
        dir.path(),
        Arc::new(ManualClock::at(T0)),
        crate::graph_open::environment(),
    )
    .await
    .unwrap();

    let weak = core.backup(None, Some("short")).await;
    assert!(
        matches!(weak, Err(BackupError::WeakPassphrase { .. })),
        "{weak:?}"
    );
    let passphrase = "correct horse battery staple";
    let sealed = core
        .backup(None, Some(passphrase))
        .await
        .expect("a sealed backup");
    assert!(
        sealed.to_string_lossy().ends_with(".sqlite3.age"),
        "named as what it is: {}",
        sealed.display()
    );
    let backups = sealed.parent().unwrap().to_path_buf();
    assert_eq!(
        names_in(&backups),
        vec![sealed.file_name().unwrap().to_string_lossy().into_owned()],
        "only the sealed file is left (the plain copy it was made from is gone)"
    );
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(
        bytes.starts_with(b"age-encryption.org/v1\n-> scrypt "),
        "the age format, passphrase recipient"
    );
    let demo_client = "Acme Analytics";
    assert!(
        !bytes
            .windows(demo_client.len())
            .any(|w| w == demo_client.as_bytes())
            && !bytes.windows(15).any(|w| w == b"SQLite format 3"),
        "nothing readable inside ({demo_client:?} or the SQLite header)"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&sealed).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by its owner only");
    }
    core.close().await;

    // Wipe, then restore: without the passphrase, with a wrong one, with the right one.
    let db = Database::open_in(dir.path()).await.unwrap();
    // As the app left it (opening the core may record its own settings).
    let before = contents(&db).await;
    sqlx::query("DELETE FROM activities")
        .execute(db.writer())
        .await
        .unwrap();
    let wiped = contents(&db).await;
    db.close().await;
    let cases: [(Option<&str>, &str); 2] = [
        (None, "no passphrase"),
        (Some("wrong horse battery staple"), "a wrong one"),
    ];
    for (given, why) in cases {
        let refused = backup::restore(dir.path(), &sealed, given, T0 + DAY).await;
        assert!(
            matches!(
                refused,
                Err(BackupError::NeedsPassphrase { .. } | BackupError::WrongPassphrase { .. })
            ),
            "{why}: {refused:?}"
        );
        let db = Database::open_in(dir.path()).await.unwrap();
        assert_eq!(contents(&db).await, wiped, "{why}: nothing was changed");
        db.close().await;
    }
    let target = fresh_copy(dir.path());
    let restored = backup::restore(target.path(), &sealed, Some(passphrase), T0 + DAY)
        .await
        .expect("restored with the right passphrase");
    assert!(restored.previous.exists());
    let reopened = Database::open_in(target.path()).await.unwrap();
    assert_eq!(
        contents(&reopened).await,
        before,
        "every table back as it was"
    );
    let backups = target.path().join("backups");
    assert!(
        names_in(&backups).iter().all(|n| !n.starts_with('.')),
        "no opened (plain) copy is left in backups/: {:?}",
        names_in(&backups)
    );
}

/// The full JSON export: every table of the data with every row and column, typed as stored;
/// the search indexes and bookkeeping tables are left out.
#[tokio::test]
async fn the_json_export_holds_every_table_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _crm) = populated(dir.path()).await;
    let mut out = Vec::new();
    let rows = cremmy_core::json_export::export(&db, T0, &mut out)
        .await
        .expect("exported");
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(doc["format"], "cremmy-export");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(
        doc["schema_version"],
        cremmy_core::db::known_schema_version()
    );
    let tables = doc["tables"].as_object().unwrap();
    let stored = contents(&db).await;
    let mut exported_rows = 0;
    for (table, rows_in_db) in &stored {
        let skipped = table.starts_with("search_") || table == "_sqlx_migrations";
        assert_eq!(
            tables.contains_key(table),
            !skipped,
            "{table}: exported unless it is an index or bookkeeping"
        );
        if skipped {
            continue;
        }
        let t = &tables[table];
        assert_eq!(
            t["rows"].as_array().unwrap().len(),
            rows_in_db.len(),
            "{table}: every row"
        );
        exported_rows += rows_in_db.len() as u64;
        let columns: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(
            t["columns"],
            serde_json::json!(columns),
            "{table}: every column, in order"
        );
    }
    assert_eq!(rows, exported_rows, "the count it reports is what it wrote");
    let clients = &tables["clients"];
    let col = |name: &str| {
        clients["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == name)
            .unwrap()
    };
    let first = &clients["rows"][0];
    assert!(first[col("id")].is_i64(), "integers stay numbers: {first}");
    assert!(first[col("name")].is_string(), "text stays text: {first}");
    let (name, id): (String, i64) =
        sqlx::query_as("SELECT name, id FROM clients ORDER BY rowid LIMIT 1")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        (
            first[col("name")].as_str().unwrap(),
            first[col("id")].as_i64().unwrap()
        ),
        (name.as_str(), id)
    );
}

/// Settings → Data: the backups listed newest first; "Restore" checks the file now (a sealed one
/// with its passphrase; a name outside the folder refused) and the next start puts it in place,
/// once, before anything opens the database.
#[tokio::test]
async fn a_restore_chosen_in_settings_happens_at_the_next_start_once() {
    use cremmy_protocol::data::RestoreRequest;
    let dir = tempfile::tempdir().unwrap();
    let (db, _crm) = populated(dir.path()).await;
    db.close().await;
    let open = |now: i64| {
        let path = dir.path().to_path_buf();
        async move {
            cremmy_core::Core::open(
                &path,
                Arc::new(ManualClock::at(now)),
                crate::graph_open::environment(),
            )
            .await
            .unwrap()
        }
    };
    let core = open(T0).await;
    assert!(core.restored_at_start().is_none(), "nothing was asked");
    let plain = core.backup(None, None).await.unwrap();
    let core_sealed_at = open(T0 + 1_000);
    core.close().await;
    let core = core_sealed_at.await;
    let sealed = core
        .backup(None, Some("a passphrase of some length"))
        .await
        .unwrap();
    let listed = core.backups().unwrap();
    let names: Vec<(&str, bool)> = listed.iter().map(|b| (b.name.as_str(), b.sealed)).collect();
    let plain_name = plain.file_name().unwrap().to_string_lossy().into_owned();
    let sealed_name = sealed.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        names.contains(&(plain_name.as_str(), false))
            && names.contains(&(sealed_name.as_str(), true)),
        "both listed, the sealed one marked: {names:?}"
    );
    let ask = |name: &str, passphrase: Option<&str>| RestoreRequest {
        name: name.to_string(),
        passphrase: passphrase.map(str::to_string),
    };
    for (request, why) in [
        (ask("../cremmy.sqlite3", None), "a path out of the folder"),
        (ask("nope.sqlite3", None), "a name not in the folder"),
        (
            ask(&sealed_name, None),
            "a sealed one without its passphrase",
        ),
        (
            ask(&sealed_name, Some("not the passphrase at all")),
            "a wrong passphrase",
        ),
    ] {
        assert!(
            core.schedule_restore(&request).await.is_err(),
            "{why} is refused"
        );
        assert!(
            !dir.path().join("restore-pending").exists(),
            "{why}: nothing waits"
        );
    }
    assert!(
        core.backups()
            .unwrap()
            .iter()
            .all(|b| !b.name.starts_with('.')),
        "no opened copy is left or listed"
    );
    core.schedule_restore(&ask(&sealed_name, Some("a passphrase of some length")))
        .await
        .expect("the right passphrase");
    // Changing one's mind: the plain one, then the sealed one again; the opened copy of the
    // sealed backup never outlives the choice.
    core.schedule_restore(&ask(&plain_name, None))
        .await
        .expect("the plain one");
    let opened = dir.path().join("backups").join(".pending-restore.sqlite3");
    assert!(
        !opened.exists(),
        "the opened copy went with the earlier choice"
    );
    core.schedule_restore(&ask(&sealed_name, Some("a passphrase of some length")))
        .await
        .expect("the sealed one again");
    let before = contents(core.database()).await["clients"].clone();
    sqlx::query("DELETE FROM activities")
        .execute(core.database().writer())
        .await
        .unwrap();
    sqlx::query("DELETE FROM deals")
        .execute(core.database().writer())
        .await
        .unwrap();
    sqlx::query("DELETE FROM contacts")
        .execute(core.database().writer())
        .await
        .unwrap();
    sqlx::query("DELETE FROM clients")
        .execute(core.database().writer())
        .await
        .unwrap();
    core.close().await;

    // The next start, in a copy of the folder this process never opened (see `fresh_copy`).
    let next = fresh_copy(dir.path());
    let open_next = |now: i64| {
        let path = next.path().to_path_buf();
        async move {
            cremmy_core::Core::open(
                &path,
                Arc::new(ManualClock::at(now)),
                crate::graph_open::environment(),
            )
            .await
            .unwrap()
        }
    };
    let core = open_next(T0 + DAY).await;
    let (name, outcome) = core
        .restored_at_start()
        .expect("the restore ran at start")
        .clone();
    assert_eq!(name, sealed_name);
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(
        contents(core.database()).await["clients"],
        before,
        "the clients are back"
    );
    assert!(
        core.backups()
            .unwrap()
            .iter()
            .any(|b| b.name.starts_with("before-restore-")),
        "the replaced database is kept"
    );
    core.close().await;
    let core = open_next(T0 + DAY + 1).await;
    assert!(
        core.restored_at_start().is_none(),
        "once, not at every start"
    );
    core.close().await;
}

#[test]
fn json_export_base64_follows_rfc_4648_test_vectors() {
    // RFC 4648 §10.
    let cases = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (plain, encoded) in cases {
        assert_eq!(
            cremmy_core::json_export::base64(plain.as_bytes()),
            encoded,
            "{plain:?}"
        );
    }
}
