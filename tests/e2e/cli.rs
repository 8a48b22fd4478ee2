//! The CLI as a user runs it: a process, its exit status, what it prints.

use crate::support::{run_cremmy, stderr, stdout};

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cremmy(dir.path(), &["--help"]);
    assert!(
        out.status.success(),
        "--help must succeed: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    for expected in ["doctor", "--data-dir", "desktop window"] {
        assert!(
            text.contains(expected),
            "--help must mention {expected:?}:\n{text}"
        );
    }
}

#[test]
fn doctor_on_a_fresh_data_dir_creates_and_reports_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("fresh");
    let out = run_cremmy(&data_dir, &["doctor"]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "doctor must pass on a fresh dir with a keychain (run via .ci/test):\n{text}\n{}",
        stderr(&out)
    );
    assert!(
        data_dir.join("cremmy.sqlite3").is_file(),
        "doctor must create the database in the data dir"
    );
    assert!(
        text.contains(&data_dir.display().to_string()),
        "doctor must print the data dir:\n{text}"
    );
    assert!(
        text.contains("journal: wal"),
        "doctor must show the WAL journal:\n{text}"
    );
    assert!(
        text.contains("keychain       reachable"),
        "doctor must find the keychain reachable:\n{text}"
    );
    assert!(
        text.contains("google") && text.contains("not configured"),
        "doctor must list integrations:\n{text}"
    );
}

#[test]
fn doctor_json_reports_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cremmy(dir.path(), &["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json must print JSON ({e}):\n{}", stdout(&out)));
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count() as i64;
    assert_eq!(
        report["database"]["schema_version"], migrations,
        "schema version must be the newest migration"
    );
    assert_eq!(report["keychain"]["state"], "reachable");
}

#[test]
fn doctor_on_a_corrupt_database_fails_clearly_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cremmy.sqlite3");
    let garbage = b"this is not a sqlite database, it is a user's precious file ".repeat(200);
    std::fs::write(&file, &garbage).unwrap();
    let out = run_cremmy(dir.path(), &["doctor"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unusable database must exit with status 2"
    );
    let err = stderr(&out);
    assert!(
        err.contains("not a readable Cremmy database"),
        "stderr must say what is wrong:\n{err}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        garbage,
        "the corrupt file must be left byte for byte"
    );
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn clients_csv(data_dir: &std::path::Path) -> String {
    let out = run_cremmy(data_dir, &["export", "clients"]);
    assert!(
        out.status.success(),
        "export must succeed: {}",
        stderr(&out)
    );
    stdout(&out)
}

#[test]
fn import_dry_run_then_commit_then_export() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "leads.csv",
        "Company,Name,Email\nAcme,Dana,dana@acme.example\nBrightwater,Luis,luis@bw.example\n",
    );
    let data = dir.path().join("data");
    let dry = run_cremmy(&data, &["import", "--dry-run", csv.to_str().unwrap()]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("row     2  new client Acme with contact Dana")
            && text.contains("nothing was written"),
        "{text}"
    );
    assert_eq!(
        clients_csv(&data).lines().count(),
        1,
        "a dry run writes no client (header only)"
    );

    let real = run_cremmy(&data, &["import", csv.to_str().unwrap()]);
    assert!(real.status.success(), "{}", stderr(&real));
    assert!(
        stdout(&real).contains("Imported 2 new clients and 2 contacts"),
        "{}",
        stdout(&real)
    );
    let again = run_cremmy(&data, &["import", csv.to_str().unwrap()]);
    assert!(
        stdout(&again)
            .contains("Imported 0 new clients and 0 contacts; 2 rows were already in Cremmy"),
        "{}",
        stdout(&again)
    );

    let out_file = dir.path().join("contacts.csv");
    let exported = run_cremmy(
        &data,
        &["export", "contacts", "--out", out_file.to_str().unwrap()],
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    let contacts = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(
        contacts.lines().count(),
        3,
        "header + 2 contacts:\n{contacts}"
    );
    assert!(contacts.contains("dana@acme.example"));
}

#[test]
fn import_of_a_malformed_file_reports_rows_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = write(
        dir.path(),
        "bad.csv",
        "Company,Email\nGood Co,good@good.example\nBad Co,not-an-email\n,x@y.example\n",
    );
    let out = run_cremmy(&data, &["import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "a file with bad rows must fail");
    let err = stderr(&out);
    assert!(
        err.contains("2 row(s) have errors, so nothing was imported") && err.contains("Row 3"),
        "{err}"
    );
    assert_eq!(
        clients_csv(&data).lines().count(),
        1,
        "not even the good row was written"
    );
    let garbage = dir.path().join("garbage.csv");
    std::fs::write(&garbage, [0xffu8, 0xfe, 0x00, 0x41, b'\n', 0x80, 0x81]).unwrap();
    let out = run_cremmy(&data, &["import", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not valid CSV")
            || stderr(&out).contains("UTF-8")
            || stderr(&out).contains("client name"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn demo_loads_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_cremmy(dir.path(), &["demo"]);
    assert!(
        stdout(&first).contains("Loaded demo data: 10 clients"),
        "{}",
        stderr(&first)
    );
    let second = run_cremmy(dir.path(), &["demo"]);
    assert_eq!(
        second.status.code(),
        Some(1),
        "demo data never goes into a database that has clients"
    );
    assert!(
        stderr(&second).contains("empty database"),
        "{}",
        stderr(&second)
    );
}

#[test]
fn import_columns_can_be_mapped_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = write(
        dir.path(),
        "firms.csv",
        "Firm,Person,Mail\nAcme,Dana,dana@acme.example\n",
    );
    let guessed = run_cremmy(&data, &["import", "--dry-run", csv.to_str().unwrap()]);
    assert!(
        stderr(&guessed).contains("No column holds the client name"),
        "nothing to guess from: {}",
        stderr(&guessed)
    );
    let mapped = run_cremmy(
        &data,
        &[
            "import",
            csv.to_str().unwrap(),
            "--map",
            "Firm=client_name",
            "--map",
            "Person=contact_name",
            "--map",
            "Mail=email",
        ],
    );
    assert!(mapped.status.success(), "{}", stderr(&mapped));
    assert!(
        stdout(&mapped).contains("Imported 1 new clients and 1 contacts"),
        "{}",
        stdout(&mapped)
    );
    let bad = run_cremmy(
        &data,
        &["import", csv.to_str().unwrap(), "--map", "Nope=email"],
    );
    assert!(
        stderr(&bad).contains("no column \"Nope\""),
        "{}",
        stderr(&bad)
    );
}

/// `cremmy backup FILE`, a lost database, `cremmy restore FILE`: the clients come back; a restore
/// keeps the database it replaces, and refuses a file that is not a Cremmy backup.
#[test]
fn backup_then_restore_brings_the_data_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ok = |out: &std::process::Output, what: &str| {
        assert!(
            out.status.success(),
            "{what}: {}\n{}",
            stdout(out),
            stderr(out)
        );
    };
    ok(&run_cremmy(&data, &["demo"]), "demo");
    let clients = |data: &std::path::Path| stdout(&run_cremmy(data, &["export", "clients"]));
    let before = clients(&data);
    assert!(before.lines().count() > 5, "demo clients: {before}");
    let file = dir.path().join("saved.sqlite3");
    let out = run_cremmy(&data, &["backup", file.to_str().unwrap()]);
    ok(&out, "backup");
    assert!(file.is_file() && stdout(&out).contains("Backed up to"));

    // The database is lost: a new, empty one appears in its place.
    for name in ["cremmy.sqlite3", "cremmy.sqlite3-wal", "cremmy.sqlite3-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    assert_eq!(clients(&data).lines().count(), 1, "only the header is left");

    let out = run_cremmy(&data, &["restore", file.to_str().unwrap()]);
    ok(&out, "restore");
    assert!(stdout(&out).contains("is kept as"), "{}", stdout(&out));
    assert_eq!(clients(&data), before, "the clients came back");

    let junk = dir.path().join("junk.sqlite3");
    std::fs::write(&junk, b"hello").unwrap();
    let out = run_cremmy(&data, &["restore", junk.to_str().unwrap()]);
    assert!(!out.status.success(), "a junk file is refused");
    assert!(
        stderr(&out).contains("not a Cremmy backup"),
        "{}",
        stderr(&out)
    );
    assert_eq!(clients(&data), before, "and nothing changed");
}

/// `cremmy ARGS` with `input` on standard input (how a script gives a passphrase).
fn run_cremmy_with_input(
    data: &std::path::Path,
    args: &[&str],
    input: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(crate::support::cremmy_bin())
        .args(args)
        .env("CREMMY_DATA_DIR", data)
        .env_remove("CREMMY_BACKUP_PASSPHRASE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the cremmy binary must start");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `cremmy backup --encrypt` seals the backup with a passphrase read from standard input;
/// `cremmy restore` asks for it, refuses a wrong one and restores with the right one; and
/// `cremmy export-json` writes every table.
#[test]
fn a_sealed_backup_restores_with_its_passphrase_and_the_json_export_has_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(run_cremmy(&data, &["demo"]).status.success());
    let clients = |data: &std::path::Path| stdout(&run_cremmy(data, &["export", "clients"]));
    let before = clients(&data);
    let file = dir.path().join("sealed.sqlite3.age");
    let passphrase = "a long and memorable passphrase\n";
    let out = run_cremmy_with_input(
        &data,
        &["backup", "--encrypt", file.to_str().unwrap()],
        passphrase,
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("sealed with your passphrase"),
        "{}",
        stdout(&out)
    );
    assert!(std::fs::read(&file)
        .unwrap()
        .starts_with(b"age-encryption.org/v1"));

    for name in ["cremmy.sqlite3", "cremmy.sqlite3-wal", "cremmy.sqlite3-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    let wrong = run_cremmy_with_input(
        &data,
        &["restore", file.to_str().unwrap()],
        "not it at all\n",
    );
    assert!(!wrong.status.success(), "a wrong passphrase is refused");
    assert!(
        stderr(&wrong).contains("does not open"),
        "{}",
        stderr(&wrong)
    );
    let right = run_cremmy_with_input(&data, &["restore", file.to_str().unwrap()], passphrase);
    assert!(
        right.status.success(),
        "{}{}",
        stdout(&right),
        stderr(&right)
    );
    assert_eq!(clients(&data), before, "the clients came back");

    let json = dir.path().join("everything.json");
    let out = run_cremmy(&data, &["export-json", "--out", json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        doc["tables"]["clients"]["rows"].as_array().map(Vec::len),
        Some(before.lines().count() - 1),
        "every client (the CSV has a header line)"
    );
    for table in [
        "contacts",
        "deals",
        "activities",
        "tasks",
        "stages",
        "settings",
    ] {
        assert!(
            doc["tables"][table]["columns"].is_array(),
            "{table} is exported"
        );
    }
}

/// `--data-dir` before the command works like after it, and a word that is neither a command nor
/// a `cremmy://` link is refused as a mistyped command (it used to open the window with it as a
/// link, and panic where there is no display).
#[test]
fn data_dir_goes_before_or_after_the_command_and_a_typo_is_not_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("f.csv");
    std::fs::write(&csv, "Company,Name,Email\nAcme,Al,al@acme.example\n").unwrap();
    let cremmy = |args: &[&str]| {
        std::process::Command::new(crate::support::cremmy_bin())
            .args(args)
            .env_remove("CREMMY_DATA_DIR")
            .output()
            .unwrap()
    };
    let d = data.to_str().unwrap();
    let imported = cremmy(&["--data-dir", d, "import", csv.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stdout(&imported).contains("Imported 1 new clients"),
        "{}",
        stdout(&imported)
    );
    for args in [
        ["--data-dir", d, "export", "clients"],
        ["export", "clients", "--data-dir", d],
    ] {
        let out = cremmy(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("Acme"),
            "{args:?} reads the same data folder"
        );
    }
    let doctor = cremmy(&["--data-dir", d, "doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout)
        .unwrap_or_else(|_| panic!("doctor ran as a command: {}", stderr(&doctor)));
    assert_eq!(report["database"]["data_dir"], serde_json::json!(d));
    let typo = cremmy(&["--data-dir", d, "doctr"]);
    assert_eq!(typo.status.code(), Some(2), "a usage error, not a window");
    assert!(
        stderr(&typo).contains("is not a command"),
        "{}",
        stderr(&typo)
    );
}

/// `cremmy search` finds what the window's search finds; listings take `--json`; completion
/// scripts are printed for the shells clap knows.
#[test]
fn search_json_listings_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(run_cremmy(&data, &["demo"]).status.success());
    let found = run_cremmy(&data, &["search", "acme"]);
    assert!(found.status.success(), "{}", stderr(&found));
    assert!(
        stdout(&found)
            .lines()
            .any(|l| l.starts_with("client") && l.contains("Acme Analytics")),
        "{}",
        stdout(&found)
    );
    let hits: serde_json::Value =
        serde_json::from_slice(&run_cremmy(&data, &["search", "dana", "--json"]).stdout).unwrap();
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "contact" && h["title"] == "Dana Whitfield"),
        "{hits}"
    );
    for listing in [&["accounts", "--json"][..], &["sync-log", "--json"][..]] {
        let out = run_cremmy(&data, listing);
        let value: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{listing:?} prints JSON: {}", stdout(&out)));
        assert!(value.is_array(), "{listing:?}: {value}");
    }
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cremmy"),
        ("fish", "complete -c cremmy"),
    ] {
        let out = run_cremmy(&data, &["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(
            stdout(&out).contains(marker),
            "{shell}: {}",
            &stdout(&out)[..200.min(stdout(&out).len())]
        );
        assert!(
            stdout(&out).contains("export-json"),
            "{shell} completes the commands"
        );
    }
}

/// The README's "Command line" block: each command line names a real subcommand, and every
/// option it shows is one that subcommand takes (so the examples run as written).
#[test]
fn the_readme_command_lines_match_the_cli() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Command line")
        .nth(1)
        .and_then(|s| s.split("```text").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README has a Command line section with a text block");
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for line in section.lines().filter(|l| l.starts_with("cremmy ")) {
        // The command, before the description (two spaces or more).
        let command = line.split("  ").next().unwrap_or(line);
        let words: Vec<&str> = command.split_whitespace().collect();
        // The subcommand path: the words before the first argument, option or placeholder.
        let path: Vec<&str> = words[1..]
            .iter()
            .take_while(|w| {
                w.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !w.starts_with('-')
            })
            .copied()
            .collect();
        if path.is_empty() {
            continue; // `cremmy --help`, `cremmy cremmy://…`: the top level
        }
        let mut args = path.clone();
        args.push("--help");
        let out = run_cremmy(dir.path(), &args);
        let help = stdout(&out);
        assert!(
            out.status.success(),
            "README line {line:?}: `cremmy {}` is not a command: {}",
            args.join(" "),
            stderr(&out)
        );
        for option in words
            .iter()
            .filter(|w| w.trim_start_matches('[').starts_with("--"))
        {
            let option: String = option
                .trim_start_matches('[')
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            assert!(
                help.contains(&option),
                "README line {line:?}: `cremmy {}` takes no {option}:\n{help}",
                path.join(" ")
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 20,
        "the README lists the commands ({checked} checked)"
    );
}
