//! The architecture's invariants (README, "Architecture"), checked on the sources so that breaking
//! one fails the build's tests, not only a review.

use std::path::{Path, PathBuf};

/// The CRM's tables: only `crm/` writes them, and only `crm/write.rs` inserts the entity rows.
const CRM_TABLES: [&str; 8] = [
    "clients",
    "contacts",
    "contact_emails",
    "contact_phones",
    "deals",
    "activities",
    "tasks",
    "documents",
];
const ENTITY_TABLES: [&str; 6] = [
    "clients",
    "contacts",
    "deals",
    "activities",
    "tasks",
    "documents",
];
const WRITES: [&str; 6] = [
    "INSERT INTO ",
    "INSERT OR IGNORE INTO ",
    "INSERT OR REPLACE INTO ",
    "REPLACE INTO ",
    "UPDATE ",
    "DELETE FROM ",
];

fn core_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn app_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../app")
}

/// Every `.rs` file under `dir`, with its path relative to `dir` (forward slashes).
fn rust_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    assert!(!out.is_empty(), "no sources found under {}", dir.display());
    out
}

/// `verb table` followed by something that ends the name (so `tasks` does not match `task_events`).
fn writes_table(text: &str, verb: &str, table: &str) -> bool {
    let needle = format!("{verb}{table}");
    text.match_indices(&needle).any(|(at, _)| {
        !text[at + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[test]
fn the_scanner_sees_a_write_and_ignores_a_longer_table_name() {
    assert!(writes_table(
        "\"INSERT INTO tasks (title)",
        "INSERT INTO ",
        "tasks"
    ));
    assert!(writes_table(
        "UPDATE activities SET",
        "UPDATE ",
        "activities"
    ));
    assert!(!writes_table(
        "INSERT INTO task_events (",
        "INSERT INTO ",
        "tasks"
    ));
    assert!(!writes_table(
        "INSERT INTO task_events (",
        "INSERT INTO ",
        "task"
    ));
}

#[test]
fn only_the_crm_writes_the_crm_tables() {
    let mut offenders = Vec::new();
    for (file, text) in rust_files(&core_src()) {
        let in_crm = file.starts_with("crm/");
        for table in CRM_TABLES {
            for verb in WRITES {
                if !in_crm && writes_table(&text, verb, table) {
                    offenders.push(format!("{file}: {verb}{table}"));
                }
            }
        }
        for table in ENTITY_TABLES {
            if file != "crm/write.rs" && writes_table(&text, "INSERT INTO ", table) {
                offenders.push(format!(
                    "{file}: INSERT INTO {table} (only crm/write.rs inserts)"
                ));
            }
        }
    }
    for (file, text) in rust_files(&app_src()) {
        for table in CRM_TABLES {
            for verb in WRITES {
                if writes_table(&text, verb, table) {
                    offenders.push(format!("app/{file}: {verb}{table}"));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "CRM rows must be written through crm (new rows through crm/write.rs, which gives them \
         their global id and the shared rules); found: {offenders:#?}"
    );
}

#[test]
fn only_core_open_builds_the_object_graph() {
    // What building the graph means; `graph.rs` (Core::open) is the one place that does it, and
    // `SyncRunner::new` makes the one Crm its work writes to.
    let constructors = [
        ("Database::open_in(", &["graph.rs"][..]),
        ("Database::open_file(", &["db.rs"][..]),
        ("Accounts::open(", &["graph.rs"][..]),
        ("Google::new(", &["graph.rs"][..]),
        ("SyncRunner::new(", &["graph.rs"][..]),
        ("Engine::start(", &["graph.rs"][..]),
        ("Crm::new(", &["sync/mod.rs"][..]),
    ];
    let mut offenders = Vec::new();
    for (file, text) in rust_files(&core_src()) {
        for (call, allowed) in constructors {
            if text.contains(call) && !allowed.contains(&file.as_str()) {
                offenders.push(format!("core/src/{file}: {call}"));
            }
        }
    }
    for (file, text) in rust_files(&app_src()) {
        for (call, _) in constructors {
            if text.contains(call) {
                offenders.push(format!("app/{file}: {call}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the CLI and the window must both start from Core::open (one graph, one start-up \
         recovery, one event bus); found: {offenders:#?}"
    );
}

#[test]
fn the_core_and_the_protocol_have_no_tauri_or_transport_dependency() {
    for (krate, forbidden) in [
        (
            "Cargo.toml",
            &["tauri", "wry", "tao", "leptos", "wasm-bindgen"][..],
        ),
        (
            "../protocol/Cargo.toml",
            &["tauri", "sqlx", "tokio", "reqwest", "leptos"][..],
        ),
    ] {
        let manifest =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(krate)).unwrap();
        for line in manifest.lines().map(str::trim) {
            for name in forbidden {
                assert!(
                    !(line.starts_with(name)
                        && line[name.len()..].trim_start().starts_with(['=', '-', '.'])),
                    "{krate} must not depend on {name} (only the shell knows the transport): {line}"
                );
            }
        }
    }
}

/// The pid of a process that has ended (for the state a crashed process leaves).
pub fn ended_process() -> u32 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("run `true`");
    let pid = child.id();
    child.wait().expect("wait for `true`");
    pid
}

/// The features (and the leaf modules they share), and the outbox: what they do, never which
/// provider does it.
const FEATURES: [&str; 10] = [
    "features/",
    "crm/",
    "cursors.rs",
    "failure.rs",
    "file_links.rs",
    "feature_error.rs",
    "jobs.rs",
    "follow_ups.rs",
    "events.rs",
    "lease.rs",
];
const PROVIDER_WORDS: [&str; 11] = [
    "providers::",
    "google",
    "gmail",
    "microsoft",
    "outlook",
    "twilio",
    "hubspot",
    "pipedrive",
    "salesforce",
    "stripe",
    "airtable",
];

/// The code of a line: comments (`//`, `///`, `//!` lines and trailing ` // …`) left out.
fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    line.split(" // ").next().unwrap_or(line)
}

/// The sync runner and the engine reach providers only through `providers::Providers` (the
/// dispatch and the registry), never a provider's own module.
const RUNNER: [&str; 2] = ["sync/", "engine/"];

#[test]
fn the_sync_runner_reaches_providers_only_through_the_registry_and_dispatch() {
    let mut offenders = Vec::new();
    for (file, text) in rust_files(&core_src()) {
        if !RUNNER.iter().any(|f| file.starts_with(f)) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line).to_lowercase();
            if PROVIDER_WORDS[1..].iter().any(|w| code.contains(w)) {
                offenders.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the runner asks `Providers` for a session and capabilities; it names no provider: \
         {offenders:#?}"
    );
}

#[test]
fn features_never_import_the_sync_runner_or_the_engine() {
    let mut offenders = Vec::new();
    for (file, text) in rust_files(&core_src()) {
        // follow_ups.rs is wiring: it subscribes the runner's follow-ups to the bus.
        if file == "follow_ups.rs"
            || !FEATURES
                .iter()
                .any(|f| file == *f || (f.ends_with('/') && file.starts_with(f)))
        {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line);
            if ["crate::sync", "crate::engine", "crate::graph"]
                .iter()
                .any(|w| code.contains(w))
            {
                offenders.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the runner calls the features, never the reverse (no import cycle): {offenders:#?}"
    );
}

#[test]
fn features_never_name_a_provider() {
    let mut offenders = Vec::new();
    for (file, text) in rust_files(&core_src()) {
        if !FEATURES
            .iter()
            .any(|f| file == *f || (f.ends_with('/') && file.starts_with(f)))
        {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line).to_lowercase();
            for word in PROVIDER_WORDS {
                if code.contains(word) {
                    offenders.push(format!("{file}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a feature works through capability traits and never names a provider (the provider \
         supplies names, links and ids through the trait); found: {offenders:#?}"
    );
}

#[test]
fn a_provider_never_imports_another_provider_or_the_sync_runner() {
    let providers = core_src().join("providers");
    let names: Vec<String> = std::fs::read_dir(&providers)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"google".to_string()),
        "providers/google exists"
    );
    let mut offenders = Vec::new();
    // `dispatch` is where an account is handed to its provider: it names every provider, and
    // only it (and the registry) may.
    for name in names.iter().filter(|n| *n != "dispatch") {
        for (file, text) in rust_files(&providers.join(name)) {
            for (n, line) in text.lines().enumerate() {
                let code = code_of(line);
                let mut bad: Vec<String> = vec!["crate::sync".into(), "crate::engine".into()];
                for other in names.iter().filter(|o| *o != name) {
                    bad.push(format!("providers::{other}"));
                    bad.push(format!("super::super::{other}"));
                }
                for b in &bad {
                    if code.contains(b.as_str()) {
                        offenders.push(format!(
                            "providers/{name}/{file}:{}: {}",
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a provider implements the features' traits and reports provider-neutral failures; it \
         never reaches into another provider or the sync runner: {offenders:#?}"
    );
}

#[test]
fn shell_commands_call_one_core_function() {
    let mut offenders = Vec::new();
    let mut handlers = 0;
    for file in [
        "commands.rs",
        "desktop_commands.rs",
        "texting_commands.rs",
        "report_commands.rs",
        "clients_commands.rs",
        "automation_commands.rs",
    ] {
        let text = std::fs::read_to_string(app_src().join(file)).unwrap();
        for piece in text.split("#[tauri::command]").skip(1) {
            let name: String = piece
                .split("pub async fn ")
                .nth(1)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The handler's body: from its first `{` after the signature to the closing `}` at
            // the start of a line.
            let body_start = piece
                .find(") ->")
                .and_then(|i| piece[i..].find('{').map(|j| i + j));
            let Some(start) = body_start else { continue };
            let end = piece[start..]
                .find("\n}")
                .map_or(piece.len(), |e| start + e);
            let body = &piece[start..end];
            handlers += 1;
            let awaits = body.matches(".await").count();
            if awaits > 1 {
                offenders.push(format!("{file}: {name} awaits {awaits} calls"));
            }
            for word in [
                "sqlx::",
                "Crm::new",
                "after_task_changed",
                "run_rules",
                "dispatch_events",
            ] {
                if body.contains(word) {
                    offenders.push(format!("{file}: {name} uses {word}"));
                }
            }
        }
    }
    assert!(handlers > 40, "the scanner found the handlers ({handlers})");
    assert!(
        offenders.is_empty(),
        "a Tauri command parses its input, calls one core function and maps the error; work that \
         follows a change belongs to the core's follow-ups: {offenders:#?}"
    );
}
