//! Pipedrive in the window against the provider sandbox's Pipedrive (issue 22): connecting with
//! a personal API token on its Integrations card (a refused token first), the import preview of
//! the won customers against the demo clients (new, will merge, a conflict with both values),
//! the import with Pipedrive's name picked for the conflict, deals taken out of the sync, and a
//! rename at Pipedrive brought in by "Sync now". Screenshots of the connected card, the preview
//! and the sync settings.

use crate::accounts::{sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

#[tokio::test]
async fn connecting_pipedrive_previews_then_imports_the_won_customers() {
    let sb = sandbox().await;
    cremmy_core::http::install_crypto_provider();
    let http = reqwest::Client::new();
    // A won customer Cremmy's demo data already knows as "Acme Analytics", with Dana.
    let add = |kind: &str, body: serde_json::Value| {
        let url = format!("{}_sandbox/pipedrive/entities/{kind}", sb.base_url());
        let http = http.clone();
        async move {
            let r = http
                .post(&url)
                .json(&body)
                .send()
                .await
                .expect("the sandbox answers");
            assert!(r.status().is_success(), "{url}: {}", r.status());
            r.json::<serde_json::Value>().await.unwrap()["id"]
                .as_u64()
                .unwrap()
        }
    };
    let acme = add(
        "organizations",
        serde_json::json!({ "name": "Acme Analytics Inc." }),
    )
    .await;
    let dana = add(
        "persons",
        serde_json::json!({ "name": "Dana Whitfield", "org_id": acme, "emails": [{"value": "dana@acme-analytics.example", "primary": true, "label": "work"}] }),
    )
    .await;
    add(
        "deals",
        serde_json::json!({ "title": "Acme data platform", "value": 18000, "currency": "GBP", "status": "won", "org_id": acme, "person_id": dana }),
    )
    .await;

    let dir = demo_data_dir();
    let mut env = sandbox_env(&sb);
    env.push(("CREMMY_PIPEDRIVE_BASE_URL".into(), sb.base_url()));
    let app = AppWindow::launch_with_env("pipedrive-connect", dir.path(), &env).await;
    app.click("#nav-integrations").await;
    app.scroll_to("#pipedrive-settings").await;
    app.type_into(
        "#pipedrive-token",
        "ffffffffffffffffffffffffffffffffffffffff",
    )
    .await;
    app.click("#pipedrive-connect").await;
    app.wait_for_text(".toasts", "did not accept").await;
    app.set_value("#pipedrive-token", "").await;
    app.type_into("#pipedrive-token", cremmy_sandbox::pipedrive::SANDBOX_TOKEN)
        .await;
    app.click("#pipedrive-connect").await;
    app.wait_for_text(
        "#pipedrive-connected",
        "alex@harbour.example at Harbour Consulting",
    )
    .await;
    app.scroll_to("#pipedrive-settings").await;
    app.screenshot().await;

    let app = app.renamed("pipedrive-import-preview");
    app.click("#crm-preview").await;
    app.wait_for_text("#crm-preview-counts", "conflicts").await;
    let counts = app.text("#crm-preview-counts").await;
    assert!(
        counts.starts_with("9 new · 1 will merge · 1 conflicts · 0 already linked"),
        "two organizations, three people and four won deals are new; Dana merges; Acme's name conflicts: {counts}"
    );
    app.wait_for_text(
        "#crm-preview-rows",
        "Cremmy “Acme Analytics”, Pipedrive “Acme Analytics Inc.”",
    )
    .await;
    app.scroll_to("#crm-preview-panel").await;
    app.screenshot().await;

    app.click(".crm-remote-wins").await;
    app.click("#crm-import").await;
    app.wait_for_text(".toasts", "Imported from Pipedrive")
        .await;
    app.click("#nav-clients").await;
    app.wait_for_text("#clients-table", "Acme Analytics Inc.")
        .await;

    // Renamed at Pipedrive: "Sync now" brings the new name in.
    let url = format!(
        "{}_sandbox/pipedrive/entities/organizations/{acme}",
        sb.base_url()
    );
    let r = http
        .patch(&url)
        .json(&serde_json::json!({ "name": "Acme Analytics Group" }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    app.click("#nav-integrations").await;
    app.scroll_to("#pipedrive-settings").await;
    // Deals are kept out of the sync; companies still come both ways.
    app.select(".crm-direction[data-kind='Won deal']", "Not synced")
        .await;
    app.wait_for_text(".toasts", "Sync directions saved").await;
    let app = app.renamed("pipedrive-sync-settings");
    app.scroll_to("#crm-directions").await;
    app.screenshot().await;
    app.click("#pipedrive-sync-now").await;
    app.wait_for_text(".toasts", "Pipedrive synced").await;
    app.click("#nav-clients").await;
    app.wait_for_text("#clients-table", "Acme Analytics Group")
        .await;
    app.close().await;
}
