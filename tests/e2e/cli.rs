//! The CLI as a user runs it: a process, its exit status, what it prints.

use crate::support::{run_cremmy, stderr, stdout};

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cremmy(dir.path(), &["--help"]);
    assert!(out.status.success(), "--help must succeed: {}", stderr(&out));
    let text = stdout(&out);
    for expected in ["doctor", "--data-dir", "desktop window"] {
        assert!(text.contains(expected), "--help must mention {expected:?}:\n{text}");
    }
}

#[test]
fn doctor_on_a_fresh_data_dir_creates_and_reports_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("fresh");
    let out = run_cremmy(&data_dir, &["doctor"]);
    let text = stdout(&out);
    assert!(out.status.success(), "doctor must pass on a fresh dir with a keychain (run via .ci/test):\n{text}\n{}", stderr(&out));
    assert!(data_dir.join("cremmy.sqlite3").is_file(), "doctor must create the database in the data dir");
    assert!(text.contains(&data_dir.display().to_string()), "doctor must print the data dir:\n{text}");
    assert!(text.contains("journal: wal"), "doctor must show the WAL journal:\n{text}");
    assert!(text.contains("keychain       reachable"), "doctor must find the keychain reachable:\n{text}");
    assert!(text.contains("google") && text.contains("not configured"), "doctor must list integrations:\n{text}");
}

#[test]
fn doctor_json_reports_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cremmy(dir.path(), &["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json must print JSON ({e}):\n{}", stdout(&out)));
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap().count() as i64;
    assert_eq!(report["database"]["schema_version"], migrations, "schema version must be the newest migration");
    assert_eq!(report["keychain"]["state"], "reachable");
}

#[test]
fn doctor_on_a_corrupt_database_fails_clearly_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cremmy.sqlite3");
    let garbage = b"this is not a sqlite database, it is a user's precious file ".repeat(200);
    std::fs::write(&file, &garbage).unwrap();
    let out = run_cremmy(dir.path(), &["doctor"]);
    assert_eq!(out.status.code(), Some(2), "an unusable database must exit with status 2");
    let err = stderr(&out);
    assert!(err.contains("not a readable Cremmy database"), "stderr must say what is wrong:\n{err}");
    assert_eq!(std::fs::read(&file).unwrap(), garbage, "the corrupt file must be left byte for byte");
}
