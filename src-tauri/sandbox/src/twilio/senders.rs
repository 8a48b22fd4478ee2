//! Where texts can come from besides the account's phone numbers, as Twilio lists them:
//! - WhatsApp senders: `GET /v2/Channels/Senders?Channel=whatsapp` on messaging.twilio.com,
//!   items under `senders` with `sid` (XE…), `sender_id` (`whatsapp:+E164`) and `status`
//!   (ONLINE, OFFLINE, …) (https://www.twilio.com/docs/whatsapp/api/senders).
//! - Messaging Services: `GET /v1/Services` on messaging.twilio.com, items under `services` with
//!   `sid` (MG…) and `friendly_name` (https://www.twilio.com/docs/messaging/api/service-resource);
//!   a message sent with `MessagingServiceSid` goes from one of the service's senders.
//!   Both page with the v1/v2 `meta` block (https://www.twilio.com/docs/usage/twilios-response).

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{authorize, product_page, Paging};
use crate::state::Shared;

/// The sandbox's one Messaging Service (its sender pool is the account's SMS numbers).
pub const SERVICE_SID: &str = "MG00000000000000000000000000000001";

fn authorized(
    shared: &Shared,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<Paging, Response> {
    let account = shared.lock().twilio.settings.account_sid.clone();
    authorize(shared, headers, &account)?;
    Paging::from_query(query)
}

/// GET /v2/Channels/Senders?Channel=whatsapp: the account's WhatsApp senders.
pub async fn whatsapp_senders(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let paging = match authorized(&shared, &headers, &query) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let channel = query
        .iter()
        .find(|(k, _)| k == "Channel")
        .map(|(_, v)| v.as_str());
    if channel != Some("whatsapp") {
        // The list is per channel (the page's "Channel" query parameter is required).
        return super::error(400, 20001, "Missing required parameter Channel");
    }
    let items: Vec<Value> = shared
        .lock()
        .twilio
        .owned()
        .iter()
        .filter(|n| n.phone_number.starts_with("whatsapp:"))
        .map(|n| {
            json!({
                "sid": format!("XE{}", &n.sid[2..]),
                "status": "ONLINE",
                "sender_id": n.phone_number,
                "profile": { "name": n.friendly_name },
                "url": format!("https://messaging.twilio.com/v2/Channels/Senders/XE{}", &n.sid[2..]),
            })
        })
        .collect();
    Json(product_page(
        &headers,
        "/v2/Channels/Senders?Channel=whatsapp&",
        "senders",
        &paging,
        items,
    ))
    .into_response()
}

/// GET /v1/Services: the account's Messaging Services.
pub async fn services(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let paging = match authorized(&shared, &headers, &query) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let account = shared.lock().twilio.settings.account_sid.clone();
    let items = vec![json!({
        "sid": SERVICE_SID,
        "account_sid": account,
        "friendly_name": "Sandbox Messaging Service",
        "url": format!("https://messaging.twilio.com/v1/Services/{SERVICE_SID}"),
    })];
    Json(product_page(
        &headers,
        "/v1/Services?",
        "services",
        &paging,
        items,
    ))
    .into_response()
}
