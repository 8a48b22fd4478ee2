//! The command palette and the keyboard (issue 28): every action is in the palette, the open
//! client's actions with it, recent clients first, stages searchable, and "?" lists the shortcuts.

use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

const CONTROL: char = '\u{E009}';
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

async fn palette(app: &AppWindow, query: &str) {
    app.chord(CONTROL, 'k').await;
    app.wait_for("#palette-input").await;
    if !query.is_empty() {
        app.type_into("#palette-input", query).await;
    }
}

async fn type_keys(app: &AppWindow, text: &str) {
    let keys: Vec<String> = text.chars().map(String::from).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    app.press(&keys).await;
}

#[tokio::test]
async fn the_palette_runs_every_action_recent_clients_first() {
    let dir = demo_data_dir();
    let app = AppWindow::launch("palette", dir.path()).await;

    // Open a client, then the palette with no query: that client is the first item.
    app.click("#nav-clients").await;
    app.type_into("#client-search", "brightwater").await;
    app.wait_for_count(".client-row", 1).await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#client-title", "Brightwater Hotels")
        .await;
    palette(&app, "").await;
    let first = app
        .wait_for_text(".palette-item.selected", "Brightwater Hotels")
        .await;
    assert!(
        first.to_lowercase().contains("recent"),
        "recent clients come first: {first}"
    );

    // The open client's actions: a note typed straight after choosing it.
    app.type_into("#palette-input", "note on").await;
    app.wait_for_text(".palette-item.selected", "Log a note on Brightwater Hotels")
        .await;
    app.press(&[ENTER]).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    type_keys(&app, "Called from the palette").await;
    app.click("#save-note").await;
    app.wait_for_text("#timeline", "Called from the palette")
        .await;

    palette(&app, "new deal").await;
    app.wait_for_text(".palette-item.selected", "New deal for Brightwater Hotels")
        .await;
    app.press(&[ENTER]).await;
    app.wait_for("#new-deal-title").await;

    // Deals by stage: "proposal" lists the deals in Proposal.
    palette(&app, "proposal").await;
    // (WebKitWebDriver reports no text for the clipped snippet line, so read its content.)
    let mut snippet = String::new();
    for _ in 0..50 {
        let el = app.wait_for(".palette-item.selected .snippet").await;
        snippet = el.prop("textContent").await.unwrap().unwrap_or_default();
        if snippet == "In Proposal" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        snippet, "In Proposal",
        "a stage's name finds its deals first"
    );
    let kind = app.text(".palette-item.selected .kind").await;
    assert_eq!(kind.to_lowercase(), "deal");
    app.press(&[ESCAPE]).await;

    // Go anywhere, and app-wide actions.
    palette(&app, "reports").await;
    app.wait_for_text(".palette-item.selected", "Go to Reports")
        .await;
    app.press(&[ENTER]).await;
    app.wait_for("#report-pipeline").await;
    // An action on another page waits for that page: Connect Twilio focuses the Account SID.
    palette(&app, "connect twilio").await;
    app.wait_for_text(".palette-item.selected", "Connect Twilio")
        .await;
    app.press(&[ENTER]).await;
    app.wait_for("#twilio-account-sid").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    type_keys(&app, "AC123").await;
    let typed = app
        .wait_for("#twilio-account-sid")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(typed, "AC123", "the field had the focus");
    palette(&app, "sync now").await;
    app.wait_for_text(".palette-item.selected", "Sync now")
        .await;
    app.press(&[ENTER]).await;
    app.wait_for_text(".toasts", "Nothing to sync").await;
    palette(&app, "").await;
    let all = app.text(".palette-items").await;
    for action in [
        "New client",
        "New task",
        "Export pipeline to Google Sheets",
        "Connect Google",
        "Connect Twilio",
        "Go to Sync history",
    ] {
        assert!(all.contains(action), "the palette offers {action:?}: {all}");
    }
    assert!(
        !all.contains("Log a note on"),
        "client actions only while a client is open"
    );
    app.press(&[ESCAPE]).await;

    // "?" lists the shortcuts; Escape closes the list.
    app.press(&["?"]).await;
    let shortcuts = app.wait_for_text("#shortcuts", "Ctrl/⌘ K").await;
    assert!(shortcuts.contains("Alt 1–8"), "{shortcuts}");
    let app = app.renamed("shortcuts");
    app.screenshot().await;
    app.press(&[ESCAPE]).await;
    assert!(!app.exists("#shortcuts").await, "Escape closes the list");

    palette(&app, "brightwater").await;
    app.wait_for_text(".palette-item.selected", "Brightwater Hotels")
        .await;
    let app = app.renamed("command-palette");
    app.screenshot().await;
    app.close().await;
}
