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

use super::{authorize, Paging};
use crate::state::Shared;

/// The sandbox's one Messaging Service (its sender pool is the account's SMS numbers).
pub const SERVICE_SID: &str = "MG00000000000000000000000000000001";

/// One page of a product API list, under `key`, with `meta` holding absolute URLs.
fn page(headers: &HeaderMap, path: &str, key: &str, paging: &Paging, items: Vec<Value>) -> Value {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let url = |offset: usize| {
        let mut u = format!("http://{host}{path}PageSize={}", paging.size);
        if offset > 0 {
            u.push_str(&format!(
                "&Page={}&PageToken=PA{offset:x}",
                offset / paging.size
            ));
        }
        u
    };
    let total = items.len();
    let next = paging.offset + paging.size;
    json!({
        key: items.into_iter().skip(paging.offset).take(paging.size).collect::<Vec<_>>(),
        "meta": {
            "page": paging.offset / paging.size,
            "page_size": paging.size,
            "first_page_url": url(0),
            "previous_page_url": if paging.offset > 0 { json!(url(paging.offset.saturating_sub(paging.size))) } else { json!(null) },
            "url": url(paging.offset),
            "next_page_url": if next < total { json!(url(next)) } else { json!(null) },
            "key": key,
        },
    })
}

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
    Json(page(
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
    Json(page(&headers, "/v1/Services?", "services", &paging, items)).into_response()
}
