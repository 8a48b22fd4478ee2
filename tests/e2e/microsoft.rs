//! Microsoft 365 in the window against the provider sandbox's Microsoft (issue 21): the user's app
//! registration saved on its Integrations card (an application id, no secret field: a public
//! client), Connect through the browser to a loopback port Microsoft does not compare, "Sync now"
//! on the mailbox, the Outlook mail and meeting on the client's timeline, and Send email going from the
//! Outlook mailbox. Screenshots of the card and of the timeline.

use crate::accounts::{sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;
use crate::sync::browser_script;

const SUBJECT: &str = "Data warehouse scoping call";
const MEETING: &str = "Scoping workshop";

#[tokio::test]
async fn microsoft_connects_from_its_card_and_outlook_mail_reaches_the_timeline() {
    let sb = sandbox().await;
    let client_id = sb.shared.lock().microsoft.settings.client_id.clone();
    let dir = demo_data_dir();
    let scripts = tempfile::tempdir().unwrap();
    let mut env = sandbox_env(&sb);
    env.push(("CREMMY_MICROSOFT_BASE_URL".into(), sb.base_url()));
    env.push(("BROWSER".into(), browser_script(scripts.path())));
    // Mail from the demo's Acme Analytics contact, and a reply sent from Outlook.
    cremmy_core::http::install_crypto_provider();
    let http = reqwest::Client::new();
    for (folder, from, to, subject) in [
        (
            "inbox",
            "dana@acme-analytics.example",
            "consultant@outlook.example",
            SUBJECT,
        ),
        (
            "sentitems",
            "consultant@outlook.example",
            "dana@acme-analytics.example",
            "Re: Data warehouse scoping call",
        ),
    ] {
        let r = http
            .post(format!("{}_sandbox/microsoft/messages", sb.base_url()))
            .json(&serde_json::json!({ "folder": folder, "from": from, "to": [to], "subject": subject,
                                        "preview": "Could we start with the sales pipeline tables?" }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "deliver: {}", r.status());
    }

    // And a meeting Dana organised, in the Outlook calendar.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let r = http
        .post(format!("{}_sandbox/microsoft/events", sb.base_url()))
        .json(&serde_json::json!({ "subject": MEETING, "organizer": "dana@acme-analytics.example",
                                    "attendees": ["consultant@outlook.example"], "start_ms": now_ms - 86_400_000,
                                    "join_url": "https://teams.example/l/scoping" }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "event: {}", r.status());

    let app = AppWindow::launch_with_env("integrations-microsoft", dir.path(), &env).await;
    app.click("#nav-integrations").await;
    app.scroll_to("#microsoft-settings").await;
    assert!(
        !app.exists(".integration.microsoft #oauth-client-secret")
            .await,
        "a public client has no secret to ask for"
    );
    app.type_into(".integration.microsoft #oauth-client-id", &client_id)
        .await;
    app.click(".integration.microsoft #save-oauth-client").await;
    app.wait_for_text(".toasts", "Saved the Microsoft 365 OAuth client.")
        .await;
    app.click("#microsoft-connect").await;
    app.wait_for_text("#microsoft-connected", "consultant@outlook.example")
        .await;
    app.click("#microsoft-sync-now").await;
    app.wait_for_text(
        ".toasts",
        "Outlook synced: 2 new email(s), 1 new meeting(s).",
    )
    .await;
    app.wait_for_text("#microsoft-last-sync", "2 new email(s)")
        .await;
    app.scroll_to("#microsoft-settings").await;
    app.screenshot().await;

    let app = app.renamed("client-timeline-outlook");
    app.click("#nav-clients").await;
    app.click(".client-row[data-client='Acme Analytics'] .client-name")
        .await;
    let timeline = app.wait_for_text("#timeline", SUBJECT).await;
    assert!(
        timeline.contains("Re: Data warehouse scoping call"),
        "the reply sent from Outlook is on the timeline too: {timeline}"
    );
    assert!(
        timeline.contains(MEETING),
        "the Outlook meeting is on the timeline: {timeline}"
    );
    app.screenshot().await;

    // Send email goes from the Outlook mailbox.
    app.click("#send-email").await;
    app.wait_for("#email-composer").await;
    app.type_into("#email-subject", "Pipeline tables").await;
    app.type_into("#email-body", "Hi Dana, here are the tables.")
        .await;
    app.click("#email-send").await;
    app.wait_for_text(".toasts", "Email sent from consultant@outlook.example")
        .await;
    app.wait_for_text("#timeline", "Pipeline tables").await;
    let sent: Vec<(String, bool)> = sb
        .shared
        .lock()
        .microsoft
        .messages
        .iter()
        .filter(|m| m.resource["subject"] == "Pipeline tables")
        .map(|m| (m.folder.clone(), m.resource["isDraft"] == true))
        .collect();
    assert_eq!(
        sent,
        vec![("sentitems".to_string(), false)],
        "sent through Graph, kept in Sent Items"
    );
    app.close().await;
}
