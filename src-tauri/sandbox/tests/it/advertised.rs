//! The sandbox advertises a base URL only for the providers it speaks.

use crate::support::{http, sandbox};

#[tokio::test]
async fn it_advertises_only_the_providers_it_serves_and_each_answers() {
    let sandbox = sandbox().await;
    let lines = sandbox.env_lines();
    let advertised: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once("_BASE_URL=").expect("NAME_BASE_URL=url").0)
        .map(|name| name.trim_start_matches("CREMMY_"))
        .collect();
    assert_eq!(
        advertised,
        cremmy_sandbox::SERVED,
        "one line per served provider, no more: {lines:?}"
    );
    // A provider the sandbox does not speak must not be advertised (it would only answer 404).
    for unserved in ["SALESFORCE", "AIRTABLE"] {
        assert!(
            !advertised.contains(&unserved),
            "{unserved} is advertised but not served"
        );
    }
    // Google: an API path without a token is refused as Google refuses it (401), not unknown (404).
    let profile = format!("{}gmail/v1/users/me/profile", sandbox.base_url());
    let status = http().get(&profile).send().await.unwrap().status();
    assert_eq!(
        status.as_u16(),
        401,
        "the advertised Google origin speaks Gmail"
    );
    // Twilio: the Messages list without credentials is refused as Twilio refuses it.
    let messages = format!(
        "{}2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json",
        sandbox.base_url()
    );
    let status = http().get(&messages).send().await.unwrap().status();
    assert_eq!(
        status.as_u16(),
        401,
        "the advertised Twilio origin speaks the 2010 API"
    );
    // Stripe: the invoices list without a key is refused as Stripe refuses it.
    let invoices = format!("{}v1/invoices", sandbox.base_url());
    let status = http().get(&invoices).send().await.unwrap().status();
    assert_eq!(
        status.as_u16(),
        401,
        "the advertised Stripe origin speaks the v1 API"
    );
    // Xero: the Accounting API without a token is refused as Xero refuses it.
    let invoices = format!("{}api.xro/2.0/Invoices", sandbox.base_url());
    let status = http().get(&invoices).send().await.unwrap().status();
    assert_eq!(
        status.as_u16(),
        401,
        "the advertised Xero origin speaks the Accounting API"
    );
    // Microsoft: Graph without a token is refused as Graph refuses it.
    let me = format!("{}v1.0/me", sandbox.base_url());
    let status = http().get(&me).send().await.unwrap().status();
    assert_eq!(
        status.as_u16(),
        401,
        "the advertised Microsoft origin speaks Graph"
    );
    // HubSpot: the CRM without a token is refused as HubSpot refuses it.
    let contacts = format!(
        "{}crm/objects/{}/contacts",
        sandbox.base_url(),
        cremmy_protocol::provider_versions::HUBSPOT
    );
    let status = http().get(&contacts).send().await.unwrap().status();
    assert_eq!(
        status.as_u16(),
        401,
        "the advertised HubSpot origin speaks the CRM API"
    );
    // Pipedrive: API v2 without a token is refused as Pipedrive refuses it.
    let persons = format!("{}api/v2/persons", sandbox.base_url());
    let status = http().get(&persons).send().await.unwrap().status();
    assert_eq!(
        status.as_u16(),
        401,
        "the advertised Pipedrive origin speaks API v2"
    );
}
