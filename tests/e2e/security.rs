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
    // The handlers' files, as the contract lists them (the same list the build script checks).
    let source =
        command_contract::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))[1].clone();
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

#[path = "../../src-tauri/app/command_contract.rs"]
mod command_contract;

#[test]
fn the_ui_wraps_every_command_once_with_the_arguments_its_handler_takes() {
    let texts = command_contract::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let sources = command_contract::Sources::of(&texts);
    let problems = command_contract::check(cremmy_protocol::commands::ALL, &sources);
    assert!(
        problems.is_empty(),
        "the command contract is broken: {problems:#?}"
    );
    // The checker sees a wrapper that sends the wrong keys (the build would fail the same way).
    let broken = sources
        .api
        .replacen("#[serde(rename_all = \"camelCase\")]", "", 1);
    let sources = command_contract::Sources {
        api: &broken,
        ..sources
    };
    let problems = command_contract::check(cremmy_protocol::commands::ALL, &sources);
    assert!(
        problems.iter().any(|p| p.contains("ui/src/api.rs sends")),
        "a wrapper without camelCase keys is caught: {problems:#?}"
    );
}
