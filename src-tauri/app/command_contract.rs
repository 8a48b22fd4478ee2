//! The contract between the shell's commands and the UI, checked when the app is built (its build
//! script runs `check`) and by the e2e tests: every command in `protocol::commands::ALL` has a
//! handler, is registered, is granted by the main window's capability, and is wrapped once in
//! `ui/src/api.rs` sending exactly the arguments its handler takes (as Tauri's camelCase keys).
//! Plain std only: it is compiled into the build script and into the tests.

/// Commands handled and granted that no screen uses yet (editing a contact; "show more" in a
/// board column beyond its first 50 deals). The list may only shrink.
pub const NOT_YET_IN_THE_UI: [&str; 2] = ["update_contact", "stage_deals"];

/// The sources the contract reads, as text.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    /// `src-tauri/protocol/src/commands.rs`
    pub protocol: &'a str,
    /// `src-tauri/app/commands.rs` and the other `*_commands.rs` files (see `FILES`),
    /// concatenated.
    pub handlers: &'a str,
    /// `ui/src/api.rs` and its submodules `ui/src/api/overview.rs`, `automation.rs`, `texting.rs` and `payments.rs`,
    /// concatenated.
    pub api: &'a str,
    /// `src-tauri/capabilities/main.json`
    pub capability: &'a str,
}

/// The files the contract reads, relative to the workspace root.
pub const FILES: [&str; 17] = [
    "src-tauri/protocol/src/commands.rs",
    "src-tauri/app/commands.rs",
    "src-tauri/app/desktop_commands.rs",
    "src-tauri/app/texting_commands.rs",
    "src-tauri/app/report_commands.rs",
    "src-tauri/app/clients_commands.rs",
    "src-tauri/app/automation_commands.rs",
    "src-tauri/app/documents_commands.rs",
    "src-tauri/app/payments_commands.rs",
    "src-tauri/app/crm_sync_commands.rs",
    "ui/src/api.rs",
    "ui/src/api/overview.rs",
    "ui/src/api/automation.rs",
    "ui/src/api/texting.rs",
    "ui/src/api/payments.rs",
    "ui/src/api/crm_sync.rs",
    "src-tauri/capabilities/main.json",
];

/// The contract's sources read from the workspace at `root`: (protocol, handlers, api, capability).
pub fn read(root: &std::path::Path) -> [String; 4] {
    let read =
        |f: &str| std::fs::read_to_string(root.join(f)).unwrap_or_else(|e| panic!("read {f}: {e}"));
    [
        read(FILES[0]),
        FILES[1..10].iter().map(|f| read(f)).collect(),
        FILES[10..16].iter().map(|f| read(f)).collect(),
        read(FILES[16]),
    ]
}

impl<'a> Sources<'a> {
    pub fn of(texts: &'a [String; 4]) -> Sources<'a> {
        Sources {
            protocol: &texts[0],
            handlers: &texts[1],
            api: &texts[2],
            capability: &texts[3],
        }
    }
}

/// What breaks the contract, one line each (empty: it holds).
pub fn check(commands: &[&str], s: &Sources<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut unwrapped = Vec::new();
    for command in commands {
        if !s.handlers.contains(&format!("pub async fn {command}(")) {
            problems.push(format!("{command}: no handler in src-tauri/app"));
            continue;
        }
        if !(s.handlers.contains(&format!("commands::{command},"))
            || s.handlers.contains(&format!("commands::{command}\n")))
        {
            problems.push(format!("{command}: not registered in all_commands!"));
        }
        if !s
            .capability
            .contains(&format!("\"allow-{}\"", command.replace('_', "-")))
        {
            problems.push(format!("{command}: not granted in capabilities/main.json"));
        }
        let Some(constant) = constant_of(s.protocol, command) else {
            problems.push(format!(
                "{command}: no constant in protocol/src/commands.rs"
            ));
            continue;
        };
        let want = handler_keys(s.handlers, command);
        match api_keys(s.api, &constant) {
            None => unwrapped.push(*command),
            Some(Err(why)) => problems.push(format!("{command}: {why}")),
            Some(Ok(sent)) if sent != want => problems.push(format!(
                "{command}: the handler takes {want:?}, ui/src/api.rs sends {sent:?}"
            )),
            Some(Ok(_)) => {}
        }
    }
    let granted = s.capability.matches("\"allow-").count();
    if granted != commands.len() {
        problems.push(format!(
            "capabilities/main.json grants {granted} commands, protocol::commands::ALL has {}",
            commands.len()
        ));
    }
    if unwrapped != NOT_YET_IN_THE_UI {
        problems.push(format!(
            "commands without a UI wrapper are {unwrapped:?}, expected {NOT_YET_IN_THE_UI:?} \
             (wrap new commands in ui/src/api.rs; shrink the list when a screen uses one)"
        ));
    }
    problems
}

/// The constant in protocol/src/commands.rs whose value is `command`.
fn constant_of(protocol: &str, command: &str) -> Option<String> {
    protocol.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("pub const ")?;
        let (name, value) = rest.split_once(": &str = ")?;
        (value.trim_end_matches(';').trim_matches('"') == command).then(|| name.to_string())
    })
}

/// The parameters a handler takes from the UI (its Tauri state and handles left out), as the
/// JSON keys Tauri expects (camelCase).
fn handler_keys(source: &str, command: &str) -> Vec<String> {
    let start = source
        .find(&format!("pub async fn {command}("))
        .unwrap_or_else(|| panic!("no handler for {command}"));
    let rest = &source[start + format!("pub async fn {command}(").len()..];
    let params = &rest[..rest.find(") ->").unwrap_or(rest.len())];
    // Split at the commas between parameters, not those inside `State<'_, T>`.
    let mut parts = vec![String::new()];
    let mut depth = 0;
    for c in params.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().unwrap().push(c);
    }
    let mut keys: Vec<String> = parts
        .iter()
        .filter_map(|p| p.split_once(':'))
        .map(|(name, ty)| (name.trim(), ty.trim()))
        .filter(|(_, ty)| {
            !(ty.starts_with("State<")
                || ty.starts_with("AppHandle")
                || ty.starts_with("tauri::AppHandle"))
        })
        .map(|(name, _)| camel(name.trim_start_matches("mut ")))
        .collect();
    keys.sort();
    keys
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The JSON keys `ui/src/api.rs` sends with `command`: the fields of the argument struct its
/// wrapper passes to `call(cmd::NAME, …)` (camelCase when the struct says so).
fn api_keys(api: &str, constant: &str) -> Option<Result<Vec<String>, String>> {
    // Compared without whitespace, so rustfmt's line breaks do not matter.
    let api: String = api.chars().filter(|c| !c.is_whitespace()).collect();
    let needle = format!("call(cmd::{constant},&");
    let Some(at) = api.find(&needle) else {
        return api_keys_by_hand(&api, constant).map(Ok);
    };
    if api.matches(&needle).count() != 1 {
        return Some(Err(format!("cmd::{constant} is wrapped more than once")));
    }
    let arg = &api[at + needle.len()..];
    let arg_type: String = arg
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let mut keys: Vec<String> = match arg_type.as_str() {
        "NoArgs" => vec![],
        "IdArg" => vec!["id".into()],
        "InputArg" => vec!["input".into()],
        _ => {
            // The struct declared in the wrapper's own body, or else at the top level.
            let body_start = api[..at].rfind("pubasyncfn").unwrap_or(0);
            let decl_in = |text: &str| {
                text.rfind(&format!("struct{arg_type}{{"))
                    .or_else(|| text.rfind(&format!("struct{arg_type}<")))
            };
            let (text, decl) = match decl_in(&api[body_start..at]) {
                Some(d) => (&api[body_start..at], d),
                None => (
                    &api[..],
                    decl_in(&api).unwrap_or_else(|| panic!("struct {arg_type} not found")),
                ),
            };
            let attributes = &text[text[..decl]
                .rfind(';')
                .or(text[..decl].rfind('}'))
                .map_or(0, |i| i + 1)..decl];
            let camel_case = attributes.contains("rename_all=\"camelCase\"");
            let fields = &text[decl..];
            let fields = &fields[fields.find('{').unwrap() + 1..fields.find('}').unwrap()];
            fields
                .split(',')
                .filter_map(|f| f.split_once(':'))
                .map(|(name, _)| name.trim_start_matches("pub").to_string())
                .filter(|n| !n.is_empty())
                .map(|n| if camel_case { camel(&n) } else { n })
                .collect()
        }
    };
    keys.sort();
    Some(Ok(keys))
}

/// A wrapper that builds its arguments by hand (a channel): the keys it sets.
fn api_keys_by_hand(api: &str, constant: &str) -> Option<Vec<String>> {
    let raw = format!("tauri_invoke(cmd::{constant},");
    let at = api.find(&raw)?;
    let body_start = api[..at].rfind("pubasyncfn").unwrap_or(0);
    let mut keys: Vec<String> = api[body_start..at]
        .split("Reflect::set(&args,&\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect();
    keys.sort();
    Some(keys)
}
