//! Xero in the window against the provider sandbox's Xero (issue 23): the user's Xero app saved
//! on its Integrations card (a client id, no secret field: a PKCE app has none), Connect through
//! the browser to the registered loopback port, the organisation chosen among two, and "Create
//! invoice" on a client page landing in that organisation's books. A screenshot of the card.

use crate::accounts::{sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;
use crate::sync::browser_script;

const SECOND: &str = "b4e2f6d1-0000-4000-8000-000000000002";

#[tokio::test]
async fn xero_connects_from_its_card_and_invoices_go_to_the_chosen_organisation() {
    let sb = sandbox().await;
    let client_id = {
        let mut world = sb.shared.lock();
        let settings = &mut world.xero.settings;
        settings
            .tenants
            .push((SECOND.to_string(), "Second Ltd".to_string()));
        settings.client_id.clone()
    };
    let dir = demo_data_dir();
    let scripts = tempfile::tempdir().unwrap();
    let mut env = sandbox_env(&sb);
    env.push(("CREMMY_XERO_BASE_URL".into(), sb.base_url()));
    env.push(("BROWSER".into(), browser_script(scripts.path())));
    let app = AppWindow::launch_with_env("integrations-xero", dir.path(), &env).await;
    app.click("#nav-integrations").await;
    app.scroll_to("#xero-settings").await;
    assert!(
        !app.exists(".integration.xero #oauth-client-secret").await,
        "a Xero PKCE app has no secret to ask for"
    );
    app.type_into(".integration.xero #oauth-client-id", &client_id)
        .await;
    app.click(".integration.xero #save-oauth-client").await;
    app.wait_for_text(".toasts", "Saved the Xero OAuth client.")
        .await;
    app.click("#xero-connect").await;
    app.wait_for_text("#xero-connected", "owner@consultancy.example")
        .await;
    app.select("#xero-organisation", "Second Ltd").await;
    app.wait_for_text(".toasts", "Invoices now go to Second Ltd")
        .await;
    app.scroll_to("#xero-settings").await;
    app.screenshot().await;

    let app = app.renamed("client-invoice-xero");
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for("#payments").await;
    app.scroll_to("#payments").await;
    app.click("#create-invoice").await;
    app.wait_for_text("#invoices", "INV-0001").await;
    let world = sb.shared.lock();
    let books = &world.xero.books;
    assert_eq!(
        books.get(SECOND).map(|b| b.invoices.len()),
        Some(1),
        "the invoice is in the chosen organisation's books"
    );
    assert!(books.get(SECOND).unwrap().contacts[0]["ContactNumber"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    drop(world);
    app.close().await;
}
