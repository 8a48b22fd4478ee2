//! Google Workspace from the client page, end to end in the real window against the sandbox:
//! "Send email" reaches Gmail and lands on the timeline as tracked mail; the client's answer,
//! picked up by "Sync now", marks it replied on the timeline; "Create Drive
//! folder" makes Cremmy CRM/Clients/<name> once and turns into a link to it.

use crate::accounts::sandbox;
use crate::sync::{connected_window, data_with_client};

const OWNER: &str = "consultant@sandbox.example";

#[tokio::test]
async fn send_email_reply_tracking_and_drive_folder_from_the_client_page() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let app = connected_window("s9-send-email-and-drive-folder", &sb, dir.path(), &data).await;
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#client-title", "Client One").await;

    // A deal, then Send email (about that deal).
    app.click("#add-deal").await;
    app.type_into("#new-deal-title", "Q3 workshop").await;
    app.type_into("#new-deal-value", "4800").await;
    app.click("#deals button[type=submit]").await;
    app.wait_for_text("#deals", "Q3 workshop").await;
    app.click("#send-email").await;
    app.wait_for("#email-composer").await;
    // Start from the proposal template: filled in for this contact and the deal.
    app.select("#email-template", "Proposal (Settings → Proposal drafts)")
        .await;
    let mut subject = String::new();
    for _ in 0..50 {
        subject = app
            .wait_for("#email-subject")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        if !subject.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        subject, "Proposal for Q3 workshop",
        "the template's subject, filled in"
    );
    let body = app
        .wait_for("#email-body")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        body.starts_with("Hi Contact,") && body.contains("4,800.00 USD"),
        "the template's body, filled in: {body}"
    );
    app.click("#email-send").await;
    app.wait_for_text(".toasts", "Email sent from consultant@sandbox.example")
        .await;
    app.wait_for_text("#timeline", "Proposal for Q3 workshop")
        .await;
    app.wait_for_text("#timeline", "Awaiting reply").await;
    let sent_id = {
        let world = sb.shared.lock();
        let sent: Vec<_> = world.google.mailboxes[OWNER]
            .messages
            .iter()
            .filter(|m| m.label_ids.iter().any(|l| l == "SENT"))
            .collect();
        assert_eq!(sent.len(), 1, "Gmail received the message");
        assert!(sent[0]
            .header("To")
            .unwrap_or_default()
            .contains("contact1@client1.example"));
        sent[0].header("Message-ID").unwrap().to_string()
    };

    // The client answers; Sync now picks it up and marks the email replied.
    crate::accounts::reqwest_post_json(
        &format!("{}_sandbox/google/messages", sb.base_url()),
        serde_json::json!({ "from": "Contact One <contact1@client1.example>", "to": OWNER,
            "subject": "Re: Proposal for Q3 workshop", "body": "Looks great, let's go.", "in_reply_to": sent_id }),
    )
    .await;
    app.click("#nav-integrations").await;
    app.click("#sync-now").await;
    app.wait_for_text(".integration.google .last-sync", "1 new")
        .await;
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#timeline", "Replied").await;
    app.wait_for_text("#deals", "replied").await;
    app.wait_for_text("#timeline", "Looks great").await;

    // Create Drive folder, once; then the button opens it.
    app.click("#create-folder").await;
    app.wait_for_text(".toasts", "Drive folder ready").await;
    app.wait_for("#open-drive-folder").await;
    let folders: Vec<(String, String)> = {
        let world = sb.shared.lock();
        world
            .google
            .drives
            .values()
            .flat_map(|d| d.files.iter())
            .filter(|f| f.mime_type == "application/vnd.google-apps.folder" && !f.trashed)
            .map(|f| (f.name.clone(), f.id.clone()))
            .collect()
    };
    let names: Vec<&str> = folders.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Cremmy CRM", "Clients", "Client One"],
        "the folder path, once"
    );
    assert!(
        !app.exists("#create-folder").await,
        "no second create button"
    );
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn moving_a_deal_into_proposal_drafts_the_email_in_gmail() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = crate::accounts::cremmy(&data, &[], &["demo"])
        .output()
        .unwrap();
    assert!(demo.status.success());
    let app = connected_window("s10-proposal-draft", &sb, dir.path(), &data).await;
    app.click("#nav-pipeline").await;
    app.drag(
        "[data-title='Route cost review']",
        "[data-stage=Proposal] .column-end",
    )
    .await;
    app.wait_for_text("[data-stage=Proposal] .cards", "Route cost review")
        .await;
    // The draft is written in the background: the task to review it appears with it.
    let mut drafts = Vec::new();
    for _ in 0..100 {
        drafts = {
            let world = sb.shared.lock();
            world
                .google
                .mailboxes
                .get(OWNER)
                .map(|m| {
                    m.messages
                        .iter()
                        .filter(|m| m.label_ids.iter().any(|l| l == "DRAFT"))
                        .map(|m| m.header("Subject").unwrap_or_default().to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        if !drafts.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        drafts,
        ["Proposal for Route cost review"],
        "one Gmail draft"
    );
    app.click("#nav-tasks").await;
    app.wait_for_text("body", "Review and send the draft").await;
    app.screenshot().await;
    app.close().await;
}

/// A "Leads" spreadsheet in the consultant's sandbox Drive holding `rows`.
fn leads_spreadsheet(sb: &cremmy_sandbox::Sandbox, rows: &[&[&str]]) -> String {
    use cremmy_sandbox::google::sheets::Spreadsheet;
    let mut world = sb.shared.lock();
    let file = world.google.drives.entry(OWNER.into()).or_default().create(
        "Inbound leads",
        cremmy_sandbox::google::sheets_api::SPREADSHEET_MIME,
        Vec::new(),
        Vec::new(),
    );
    let mut sheet = Spreadsheet::new(
        file.id.clone(),
        OWNER.into(),
        "Inbound leads".into(),
        vec![("Leads".into(), Some((50, 6)))],
    )
    .unwrap();
    let values: Vec<Vec<serde_json::Value>> = rows
        .iter()
        .map(|r| r.iter().map(|c| serde_json::json!(c)).collect())
        .collect();
    let (index, cells) = sheet.resolve("'Leads'!A1").unwrap();
    sheet.write(index, cells, &values, false).unwrap();
    world.google.spreadsheets.insert(file.id.clone(), sheet);
    file.id
}

#[tokio::test]
async fn a_leads_sheet_set_on_the_integrations_page_fills_the_clients_list() {
    let sb = sandbox().await;
    let id = leads_spreadsheet(
        &sb,
        &[
            &["Name", "Company", "Email"],
            &["Ada Lovelace", "Analytical Ltd", "ada@analytical.example"],
            &["Nobody", "", "not an email"],
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let app = connected_window("s11-leads-sheet", &sb, dir.path(), &data).await;
    app.type_into(
        "#lead-sheet-link",
        &format!("https://docs.google.com/spreadsheets/d/{id}/edit#gid=0"),
    )
    .await;
    app.click("#lead-sheet-save").await;
    app.wait_for_text("#lead-sheet-current", &id).await;
    app.click("#sync-now").await;
    app.click("#nav-clients").await;
    app.wait_for_text(".client-row", "Analytical Ltd").await;
    let statuses: Vec<String> = {
        let world = sb.shared.lock();
        world.google.spreadsheets[&id].sheets[0]
            .rows
            .iter()
            .take(3)
            .map(|r| {
                r.get(3)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        statuses[..2],
        ["Status".to_string(), "Imported".to_string()]
    );
    assert!(
        statuses[2].starts_with("Error: "),
        "the bad row says why: {statuses:?}"
    );
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn generate_a_proposal_from_the_template_set_in_settings() {
    let sb = sandbox().await;
    let template = {
        let mut world = sb.shared.lock();
        world
            .google
            .drives
            .entry(OWNER.into())
            .or_default()
            .create(
                "Proposal template",
                cremmy_sandbox::google::docs::DOCUMENT_MIME,
                Vec::new(),
                b"Dear {{contact_first_name}},\nOur proposal for {{client_name}}, {{date}}.\n"
                    .to_vec(),
            )
            .id
    };
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let app = connected_window("s12-generate-proposal", &sb, dir.path(), &data).await;
    app.click("#nav-settings").await;
    app.type_into(
        "#template-proposal",
        &format!("https://docs.google.com/document/d/{template}/edit"),
    )
    .await;
    app.click("#templates-save").await;
    app.wait_for_text(".toasts", "Document templates saved")
        .await;
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.click("#generate-proposal").await;
    let needs = app
        .wait_for_text("#document-variables", "{{client_name}}")
        .await;
    assert!(needs.contains("{{contact_first_name}}"), "{needs}");
    app.click("#document-generate").await;
    app.wait_for_text(".toasts", "Proposal - Client One is ready")
        .await;
    app.wait_for_text("#documents", "Proposal - Client One")
        .await;
    let filled: Vec<String> = {
        let world = sb.shared.lock();
        world.google.drives[OWNER]
            .files
            .iter()
            .filter(|f| f.name == "Proposal - Client One")
            .map(|f| String::from_utf8_lossy(&f.content).to_string())
            .collect()
    };
    assert_eq!(filled.len(), 1, "one copy");
    assert!(
        filled[0].starts_with("Dear Contact,\nOur proposal for Client One, "),
        "filled in: {}",
        filled[0]
    );
    app.screenshot().await;
    app.close().await;
}

/// "Create a proposal template" in Settings: Cremmy makes a starter Google Doc (one it may read
/// under its narrow Drive access), sets it, and the client page's Generate dialog reads it.
#[tokio::test]
async fn a_template_cremmy_creates_is_set_and_read_by_generate() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_client(dir.path());
    let app = connected_window("s13-create-template", &sb, dir.path(), &data).await;
    app.click("#nav-settings").await;
    app.click("#template-create-proposal").await;
    app.wait_for_text(".toasts", "Template ready").await;
    let made: Vec<String> = {
        let world = sb.shared.lock();
        world.google.drives[OWNER]
            .files
            .iter()
            .filter(|f| f.name == "Cremmy proposal template")
            .map(|f| f.id.clone())
            .collect()
    };
    assert_eq!(made.len(), 1, "one starter Doc in the consultant's Drive");
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.click("#generate-proposal").await;
    let needs = app
        .wait_for_text("#document-variables", "{{deal_title}}")
        .await;
    assert!(
        needs.contains("{{client_name}}") && needs.contains("{{contact_first_name}}"),
        "the starter's variables are listed: {needs}"
    );
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn meetings_sync_into_the_timeline_and_a_task_goes_on_the_calendar() {
    let sb = sandbox().await;
    {
        let start = cremmy_core::crm::iso_utc(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64
                + 86_400_000,
        );
        let mut world = sb.shared.lock();
        let event = serde_json::json!({ "summary": "Contract walkthrough", "start": { "dateTime": start }, "end": { "dateTime": start },
            "attendees": [{ "email": OWNER }, { "email": "luis.moreno@brightwater.example" }] });
        world
            .google
            .calendars
            .entry(OWNER.into())
            .or_default()
            .insert(event.as_object().unwrap().clone());
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = crate::accounts::cremmy(&data, &[], &["demo"])
        .output()
        .unwrap();
    assert!(demo.status.success());
    let app = connected_window("s13-calendar", &sb, dir.path(), &data).await;
    app.click("#sync-now").await;
    app.wait_for_text(".toasts", "1 new meeting").await;
    app.click("#nav-clients").await;
    app.type_into("#client-search", "brightwater").await;
    app.wait_for_count(".client-row", 1).await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#timeline", "Contract walkthrough").await;

    // "Call Luis about contract terms" is due today at 14:30 in the demo.
    app.click("#nav-tasks").await;
    app.click("[data-title='Call Luis about contract terms'] .add-to-calendar")
        .await;
    app.wait_for("[data-title='Call Luis about contract terms'] .on-calendar")
        .await;
    let events: Vec<serde_json::Value> = {
        let world = sb.shared.lock();
        world.google.calendars[OWNER]
            .events
            .iter()
            .map(|e| serde_json::Value::Object(e.json.clone()))
            .filter(|e| e["summary"] == "Call Luis about contract terms")
            .collect()
    };
    assert_eq!(events.len(), 1, "one event for the task");
    assert!(
        events[0]["start"]["dateTime"]
            .as_str()
            .unwrap_or_default()
            .ends_with("T14:30:00"),
        "at the task's wall-clock time: {}",
        events[0]["start"]
    );
    assert!(events[0]["start"]["timeZone"].is_string());

    // Moving the task's time moves the event.
    app.set_value(
        "[data-title='Call Luis about contract terms'] .task-time",
        "16:00",
    )
    .await;
    app.wait_for_text(".toasts", "Task moved").await;
    let mut moved = String::new();
    for _ in 0..100 {
        moved = {
            let world = sb.shared.lock();
            world.google.calendars[OWNER]
                .events
                .iter()
                .find(|e| e.json["summary"] == "Call Luis about contract terms")
                .and_then(|e| e.json["start"]["dateTime"].as_str().map(str::to_string))
                .unwrap_or_default()
        };
        if moved.ends_with("T16:00:00") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        moved.ends_with("T16:00:00"),
        "the event followed the task: {moved}"
    );
    app.screenshot().await;
    app.close().await;
}
