//! The window's security baseline, read from the files Tauri builds from.

fn read_json(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

#[test]
fn the_main_window_is_granted_exactly_the_commands_the_ui_uses() {
    let capability = read_json("src-tauri/capabilities/main.json");
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let mut expected: Vec<String> = cremmy_protocol::commands::ALL
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    granted.sort();
    expected.sort();
    assert_eq!(
        granted, expected,
        "capabilities must grant each command in protocol::commands::ALL and nothing else"
    );
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    let source = ["commands.rs", "desktop_commands.rs"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(format!("{}/src-tauri/app/{f}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
        })
        .collect::<String>();
    for command in cremmy_protocol::commands::ALL {
        assert!(
            source.contains(&format!("pub async fn {command}(")),
            "command {command} has no handler"
        );
        assert!(
            source.contains(&format!("commands::{command},"))
                || source.contains(&format!("commands::{command}\n")),
            "command {command} is not registered"
        );
    }
}

#[test]
fn the_csp_allows_only_the_apps_own_content() {
    let conf = read_json("tauri.conf.json");
    let csp = &conf["app"]["security"]["csp"];
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(
        csp["script-src"], "'self' 'wasm-unsafe-eval'",
        "Leptos needs wasm-unsafe-eval and nothing more"
    );
    assert_eq!(csp["object-src"], "'none'");
    let all = csp
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    for forbidden in [
        "'unsafe-inline'",
        "'unsafe-eval'",
        "https:",
        "http://*",
        "*",
    ] {
        assert!(
            !all.split_whitespace().any(|t| t == forbidden),
            "CSP must not contain {forbidden}: {all}"
        );
    }
    assert!(
        conf["build"].get("devUrl").is_none(),
        "the window never loads a remote or dev-server URL"
    );
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
fn api_keys(api: &str, constant: &str) -> Option<Vec<String>> {
    // Compared without whitespace, so rustfmt's line breaks do not matter.
    let api: String = api.chars().filter(|c| !c.is_whitespace()).collect();
    let needle = format!("call(cmd::{constant},&");
    let Some(at) = api.find(&needle) else {
        // A wrapper that builds its arguments by hand (a channel): the keys it sets.
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
        return Some(keys);
    };
    assert_eq!(
        api.matches(&needle).count(),
        1,
        "cmd::{constant} is wrapped once in ui/src/api.rs"
    );
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
    Some(keys)
}

#[test]
fn the_ui_wraps_every_command_once_with_the_arguments_its_handler_takes() {
    let read = |path: &str| {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
            .unwrap()
    };
    let handlers = read("src-tauri/app/commands.rs") + &read("src-tauri/app/desktop_commands.rs");
    let api = read("ui/src/api.rs");
    let protocol = read("src-tauri/protocol/src/commands.rs");
    let mut mismatches = Vec::new();
    let mut unwrapped = Vec::new();
    for command in cremmy_protocol::commands::ALL {
        // The constant that names this command.
        let constant = protocol
            .lines()
            .find_map(|l| {
                let l = l.trim();
                let rest = l.strip_prefix("pub const ")?;
                let (name, value) = rest.split_once(": &str = ")?;
                (value.trim_end_matches(';').trim_matches('"') == *command)
                    .then(|| name.to_string())
            })
            .unwrap_or_else(|| panic!("no constant for {command}"));
        let want = handler_keys(&handlers, command);
        match api_keys(&api, &constant) {
            None => unwrapped.push(*command),
            Some(sent) if sent != want => mismatches.push(format!(
                "{command}: the handler takes {want:?}, the UI sends {sent:?}"
            )),
            Some(_) => {}
        }
    }
    assert!(
        mismatches.is_empty(),
        "every command's UI wrapper must send exactly the arguments its handler takes: {mismatches:#?}"
    );
    // Granted and handled, but no screen uses them yet (editing a contact; "show more" in a board
    // column beyond its first 50 deals). When a screen does, it wraps them and this list shrinks.
    assert_eq!(
        unwrapped,
        ["update_contact", "stage_deals"],
        "commands without a UI wrapper (each is a gap to close, not to grow)"
    );
}
