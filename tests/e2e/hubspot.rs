//! HubSpot in the window against the provider sandbox's HubSpot (issue 22): connecting with a
//! private app's token on its Integrations card (a refused token first), the import preview of
//! the won customers against the demo clients (new, will merge, a conflict with both values),
//! the import with HubSpot's name picked for the conflict, a second preview with nothing left
//! to do, and a rename at HubSpot brought in by "Sync now". Screenshots of the card and of
//! the preview.

use crate::accounts::{sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

#[tokio::test]
async fn connecting_hubspot_previews_then_imports_the_won_customers_once() {
    let sb = sandbox().await;
    // A won customer Cremmy's demo data already knows as "Acme Analytics", with Dana.
    let post = |path: &str, body: serde_json::Value| {
        let url = format!("{}_sandbox/hubspot/records/{path}", sb.base_url());
        async move {
            cremmy_core::http::install_crypto_provider();
            let r = reqwest::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .await
                .expect("the sandbox answers");
            assert!(r.status().is_success(), "{url}: {}", r.status());
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let acme = post("companies", serde_json::json!({ "properties": { "name": "Acme Analytics Inc.", "domain": "acme-analytics.example" } })).await;
    let acme = acme["id"].as_str().unwrap().to_string();
    let dana = post("contacts", serde_json::json!({ "properties": { "email": "dana@acme-analytics.example", "firstname": "Dana", "lastname": "Whitfield" }, "associations": [["companies", acme]] })).await;
    let dana = dana["id"].as_str().unwrap().to_string();
    post("deals", serde_json::json!({
        "properties": { "dealname": "Acme data platform", "amount": "18000", "dealstage": "closedwon", "pipeline": "default" },
        "associations": [["companies", acme], ["contacts", dana]],
    }))
    .await;

    let dir = demo_data_dir();
    let mut env = sandbox_env(&sb);
    env.push(("CREMMY_HUBSPOT_BASE_URL".into(), sb.base_url()));
    let app = AppWindow::launch_with_env("hubspot-connect", dir.path(), &env).await;
    app.click("#nav-integrations").await;
    app.scroll_to("#hubspot-settings").await;
    app.type_into(
        "#hubspot-token",
        "pat-na1-00000000-not-the-token-000000000000",
    )
    .await;
    app.click("#hubspot-connect").await;
    app.wait_for_text(".toasts", "did not accept").await;
    app.set_value("#hubspot-token", "").await;
    app.type_into("#hubspot-token", cremmy_sandbox::hubspot::SANDBOX_TOKEN)
        .await;
    app.click("#hubspot-connect").await;
    app.wait_for_text("#hubspot-connected", "HubSpot account 24680135")
        .await;
    app.scroll_to("#hubspot-settings").await;
    app.screenshot().await;

    let app = app.renamed("hubspot-import-preview");
    app.click("#crm-preview").await;
    app.wait_for_text("#crm-preview-counts", "conflicts").await;
    let counts = app.text("#crm-preview-counts").await;
    assert!(
        counts.starts_with("9 new · 1 will merge · 1 conflicts · 0 already linked"),
        "two companies, three people and four won deals are new; Dana merges; Acme's name conflicts: {counts}"
    );
    app.wait_for_text(
        "#crm-preview-rows",
        "Cremmy “Acme Analytics”, HubSpot “Acme Analytics Inc.”",
    )
    .await;
    app.scroll_to("#crm-preview-panel").await;
    app.screenshot().await;

    app.click(".crm-remote-wins").await;
    app.click("#crm-import").await;
    app.wait_for_text(".toasts", "Imported from HubSpot").await;
    app.click("#nav-clients").await;
    app.wait_for_text("#clients-table", "Acme Analytics Inc.")
        .await;
    app.wait_for_text("#clients-table", "Northwind Traders")
        .await;

    app.click("#nav-integrations").await;
    app.scroll_to("#hubspot-settings").await;
    app.click("#crm-preview").await;
    app.wait_for_text("#crm-preview-counts", "0 new · 0 will merge · 0 conflicts")
        .await;
    app.click("#crm-preview-panel .button.secondary").await;

    // Renamed at HubSpot: "Sync now" brings the new name in.
    let northwind = {
        let world = sb.shared.lock();
        world.hubspot.records["companies"]
            .values()
            .find(|r| r.properties.get("domain").map(String::as_str) == Some("northwind.example"))
            .map(|r| r.id)
            .expect("Northwind at HubSpot")
    };
    let url = format!(
        "{}_sandbox/hubspot/records/companies/{northwind}",
        sb.base_url()
    );
    let r = reqwest::Client::new()
        .patch(&url)
        .json(&serde_json::json!({ "properties": { "name": "Northwind Traders plc" } }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    app.click("#hubspot-sync-now").await;
    // One change in (the name); Cremmy's website and Dana's title fill HubSpot's blanks.
    app.wait_for_text(".toasts", "HubSpot synced: 3 change(s)")
        .await;
    app.click("#nav-clients").await;
    app.wait_for_text("#clients-table", "Northwind Traders plc")
        .await;
    app.close().await;
}
