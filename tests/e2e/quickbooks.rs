//! QuickBooks Online in the window against the provider sandbox's QuickBooks (issue 23): the
//! user's Intuit app saved on its Integrations card (a client id and a secret; the forwarding
//! page field is there for production keys and left empty for development keys), Connect through
//! the browser to the registered loopback port, "Push all clients", and "Create invoice" on a
//! client page landing in the company's books for the customer pushed before. A screenshot of
//! the card.

use crate::accounts::{sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;
use crate::sync::browser_script;

#[tokio::test]
async fn quickbooks_connects_from_its_card_and_invoices_land_in_the_company() {
    let sb = sandbox().await;
    let (client_id, secret, realm) = {
        let mut world = sb.shared.lock();
        let settings = &mut world.quickbooks.settings;
        // The demo deals are in several currencies.
        settings.multicurrency = true;
        (
            settings.client_id.clone(),
            settings.client_secret.clone(),
            settings.realm_id.clone(),
        )
    };
    let dir = demo_data_dir();
    let scripts = tempfile::tempdir().unwrap();
    let mut env = sandbox_env(&sb);
    env.push(("CREMMY_QUICKBOOKS_BASE_URL".into(), sb.base_url()));
    env.push(("BROWSER".into(), browser_script(scripts.path())));
    let app = AppWindow::launch_with_env("integrations-quickbooks", dir.path(), &env).await;
    app.click("#nav-integrations").await;
    app.scroll_to("#quickbooks-settings").await;
    assert!(
        app.exists(".integration.quickbooks #oauth-redirect-page")
            .await,
        "Intuit's production keys need a forwarding page: the field is offered"
    );
    app.type_into(".integration.quickbooks #oauth-client-id", &client_id)
        .await;
    app.type_into(".integration.quickbooks #oauth-client-secret", &secret)
        .await;
    app.click(".integration.quickbooks #save-oauth-client")
        .await;
    app.wait_for_text(".toasts", "Saved the QuickBooks Online OAuth client.")
        .await;
    app.click("#quickbooks-connect").await;
    app.wait_for_text("#quickbooks-connected", "owner@consultancy.example")
        .await;
    app.click("#quickbooks-push-clients").await;
    app.wait_for_text(".toasts", "clients are in QuickBooks.")
        .await;
    let pushed = sb
        .shared
        .lock()
        .quickbooks
        .companies
        .get(&realm)
        .map_or(0, |c| c.customers.len());
    assert!(pushed > 1, "every demo client became a customer: {pushed}");
    app.scroll_to("#quickbooks-settings").await;
    app.screenshot().await;

    let app = app.renamed("client-invoice-quickbooks");
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for("#payments").await;
    app.scroll_to("#payments").await;
    app.click("#create-invoice").await;
    app.wait_for_text("#invoices", "1001").await;
    let world = sb.shared.lock();
    let company = world.quickbooks.companies.get(&realm);
    assert_eq!(
        company.map(|c| (c.customers.len(), c.invoices.len())),
        Some((pushed, 1)),
        "the deal became an invoice for the customer pushed before, not a second one"
    );
    drop(world);
    app.close().await;
}
