//! User scenarios in the real window (issue 8): each ends with a screenshot of its final state.

use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

const RIGHT: &str = "\u{E014}";
const CONTROL: char = '\u{E009}';
const ENTER: &str = "\u{E007}";

#[tokio::test]
async fn s1_first_run_explains_what_to_do_and_loads_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let app = AppWindow::launch("s1-first-run-empty", dir.path()).await;
    // The home page is Today; before any client it is the guided first run.
    let guide = app.text("#first-run").await;
    for step in [
        "Load demo data",
        "Import a CSV",
        "Open Integrations",
        "sync",
    ] {
        assert!(
            guide.contains(step),
            "the first run must offer {step:?}: {guide}"
        );
    }
    app.screenshot().await;
    // Every page says what to do next while there is nothing to show.
    app.click("#nav-pipeline").await;
    app.wait_for_text("#board-empty", "New deal").await;
    app.click("#nav-reports").await;
    app.wait_for_text("#report-empty", "Add a deal").await;
    app.click("#nav-tasks").await;
    app.wait_for("#tasks-empty").await;
    app.click("#nav-sync-history").await;
    app.wait_for_text("#sync-history-empty", "Connect an account")
        .await;
    app.click("#nav-clients").await;
    let empty = app.text("#empty-state").await;
    assert!(
        empty.contains("No clients yet") && empty.contains("Load demo data"),
        "the empty state must tell a newcomer what to do: {empty}"
    );
    app.screenshot().await;
    app.click("#load-demo").await;
    app.wait_for_count(".client-row", 10).await;
    app.wait_for_text("#clients-count", "of 10").await;
    let first = app.text(".client-row .client-name").await;
    assert_eq!(first, "Acme Analytics", "the list is sorted by name");
    let app = app.renamed("s1-first-run-demo-loaded");
    app.screenshot().await;

    // Today now lists the demo's tasks; the sidebar counts them; "Done" takes one off.
    app.click("#nav-today").await;
    app.wait_for_text("#today-tasks", "Send revised proposal to Acme")
        .await;
    app.wait_for_text("#today-leads", "Driftwood Logistics")
        .await;
    let before = app.wait_for_text("#nav-today .badge", "").await;
    assert_eq!(before, "3", "one overdue task and two due today");
    assert_eq!(app.text("#nav-tasks .badge").await, "3");
    app.click("#today-tasks [data-task='Send revised proposal to Acme'] .done")
        .await;
    app.wait_for_text("#nav-today .badge", "2").await;
    assert!(
        !app.text("#today-tasks")
            .await
            .contains("Send revised proposal"),
        "a done task leaves Today"
    );
    app.click("#today-tasks [data-task='Prepare workshop agenda'] .client-link")
        .await;
    app.wait_for("#client-title").await;
    let app = app.renamed("today");
    app.click("#nav-today").await;
    app.wait_for_text("#today-tasks", "Call Luis").await;
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn s2_create_a_client_with_a_contact_and_find_it_in_the_palette() {
    let dir = tempfile::tempdir().unwrap();
    let app = AppWindow::launch("s2-create-client", dir.path()).await;
    app.click("#nav-clients").await;
    app.click("#new-client").await;
    app.type_into("#client-name", "Northwind Consulting").await;
    app.type_into("#client-website", "https://www.northwind.example")
        .await;
    app.type_into("#client-tags", "referral, retainer").await;
    app.type_into("#contact-name", "Nadia Novak").await;
    app.type_into("#contact-email", "Nadia@Northwind.example")
        .await;
    app.click("#save-client").await;
    app.wait_for_text("#client-title", "Northwind Consulting")
        .await;
    let contacts = app.wait_for_text("#contacts", "Nadia Novak").await;
    assert!(
        contacts.contains("nadia@northwind.example"),
        "the email is stored lower-case and shown: {contacts}"
    );
    app.click("#nav-clients").await;
    app.wait_for_count(".client-row", 1).await;
    let row = app.text(".client-row").await;
    assert!(
        row.contains("northwind.example")
            && row.contains("Nadia Novak")
            && row.contains("referral"),
        "the list shows domain, contact, tags: {row}"
    );

    app.chord(CONTROL, 'k').await;
    app.type_into("#palette-input", "nadia").await;
    let hit = app
        .wait_for_text(".palette-item.selected", "Nadia Novak")
        .await;
    assert!(
        hit.to_lowercase().contains("contact") && hit.contains("Northwind Consulting"),
        "the hit names its kind and client: {hit}"
    );
    let app = app.renamed("s2-command-palette");
    app.screenshot().await;
    app.press(&[ENTER]).await;
    app.wait_for_text("#client-title", "Northwind Consulting")
        .await;
    assert!(
        !app.exists(".palette").await,
        "choosing a hit closes the palette"
    );
    let app = app.renamed("s2-client-page");
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn s3_move_deals_by_mouse_and_keyboard_and_see_the_history() {
    let dir = demo_data_dir();
    let app = AppWindow::launch("s3-pipeline", dir.path()).await;
    app.click("#nav-pipeline").await;
    let proposal_before = app.text("[data-stage=Proposal] .total").await;
    assert_eq!(
        proposal_before, "$26,000",
        "demo Proposal total (USD 18,000 + 8,000)"
    );
    // Mouse: the Lead column's "Route cost review" (EUR 12,000) onto the Proposal column.
    app.drag(
        "[data-title='Route cost review']",
        "[data-stage=Proposal] .column-end",
    )
    .await;
    app.wait_for_text("[data-stage=Proposal] .cards", "Route cost review")
        .await;
    let total = app
        .wait_for_text("[data-stage=Proposal] .total", "€12,000")
        .await;
    assert_eq!(
        total, "$26,000 + €12,000",
        "totals are per currency and update after the move"
    );
    let lead = app.text("[data-stage=Lead] .cards").await;
    assert!(
        !lead.contains("Route cost review"),
        "the deal left Lead: {lead}"
    );

    // Keyboard: focus it, Space to lift, → to move to Negotiation, Space to drop.
    app.click("[data-title='Route cost review']").await;
    app.press(&[" "]).await;
    app.press(&[RIGHT]).await;
    app.wait_for_text("[data-stage=Negotiation] .cards", "Route cost review")
        .await;
    app.press(&[" "]).await;
    app.wait_for_text("[data-stage=Negotiation] .total", "€36,000")
        .await;
    app.screenshot().await;

    // The client's timeline shows both stage changes, newest first.
    app.click("#nav-clients").await;
    app.type_into("#client-search", "driftwood").await;
    app.wait_for_count(".client-row", 1).await;
    app.click(".client-row .client-name").await;
    let timeline = app
        .wait_for_text("#timeline", "Stage changed: Proposal → Negotiation")
        .await;
    let newer = timeline.find("Proposal → Negotiation").unwrap();
    let older = timeline
        .find("Lead → Proposal")
        .expect("the first move is on the timeline too");
    assert!(newer < older, "newest first: {timeline}");
    let app = app.renamed("s3-timeline");
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn s8_create_a_task_due_today_and_complete_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = AppWindow::launch("s8-tasks", dir.path()).await;
    app.click("#nav-tasks").await;
    app.wait_for("#tasks-empty").await;
    app.type_into("#task-title", "Call Nadia about the proposal")
        .await;
    app.click("#add-task").await;
    app.wait_for_text("#tasks-today", "Call Nadia about the proposal")
        .await;
    app.click("#tasks-today .task-done").await;
    app.wait_for_text("#tasks-done", "Call Nadia about the proposal")
        .await;
    assert!(
        !app.exists("#tasks-today").await,
        "the completed task left Today"
    );
    app.screenshot().await;
    app.close().await;
}

#[tokio::test]
async fn s9_import_a_csv_with_a_corrected_column_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, "Company,Who,Mail\nAcme Analytics,Dana Whitfield,dana@acme.example\nBrightwater,Luis Moreno,not-an-email\n").unwrap();
    let data = dir.path().join("data");
    let app = AppWindow::launch("s9-import-preview", &data).await;
    app.click("#nav-clients").await;
    app.upload("#import-file", &csv).await;
    let summary = app.wait_for_text("#import-summary", "with errors").await;
    assert_eq!(
        summary, "1 new client, 1 new contact, 1 row with errors",
        "the row with a bad email is an error, not a client"
    );
    let rows = app.text("#import-dialog .import-rows").await;
    assert!(
        rows.contains("not-an-email")
            && rows.contains("New client Acme Analytics · dana@acme.example"),
        "\"Who\" is not guessed, so the contact is named by its email: {rows}"
    );
    // Map "Who" to the contact name: the preview is recomputed.
    app.select(
        "#import-dialog .mapping .field:nth-child(2) select",
        "Contact name",
    )
    .await;
    app.wait_for_text(
        "#import-dialog .import-rows",
        "New client Acme Analytics · Dana Whitfield",
    )
    .await;
    let disabled = app
        .wait_for("#commit-import")
        .await
        .attr("disabled")
        .await
        .unwrap();
    assert!(
        disabled.is_some(),
        "nothing can be imported while a row has an error"
    );
    app.screenshot().await;
    // Ignore the email column: no more errors, the import goes through.
    app.select(
        "#import-dialog .mapping .field:nth-child(3) select",
        "Do not import",
    )
    .await;
    let summary = app
        .wait_for_text("#import-summary", "0 rows with errors")
        .await;
    assert_eq!(summary, "2 new clients, 2 new contacts, 0 rows with errors");
    app.click("#commit-import").await;
    app.wait_for_count(".client-row", 2).await;
    let first = app.text(".client-row").await;
    assert!(
        first.contains("Acme Analytics") && first.contains("Dana Whitfield"),
        "the mapped contact name was imported: {first}"
    );
    app.close().await;
}
