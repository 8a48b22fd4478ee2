//! Twilio's 2010-04-01 REST API, the subset Cremmy uses, in Twilio's wire format. Written from
//! Twilio's documentation (each behaviour names its page), never from the app:
//! - Requests: HTTP Basic auth with an API key SID/secret or the Account SID/Auth Token, the
//!   Account SID in the path, form-encoded bodies with PascalCase names, `.json` paths
//!   (https://www.twilio.com/docs/usage/requests-to-twilio).
//! - Answers: snake_case JSON, RFC 2822 dates, errors as `{code, message, more_info, status}`
//!   (https://www.twilio.com/docs/usage/twilios-response).
//! - Messages create/list/get (https://www.twilio.com/docs/messaging/api/message-resource),
//!   paging by `next_page_uri` with `PageSize` at most 1,000 (error 20007).
//! - Calls list (https://www.twilio.com/docs/voice/api/call-resource) and IncomingPhoneNumbers
//!   (https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource).

pub mod content;
pub mod messages;
pub mod senders;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use crate::state::Shared;

/// The API version in every path.
pub const API: &str = "/2010-04-01";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: String,
    pub api_key_sid: String,
    pub api_key_secret: String,
    /// How long each outbound status step takes (queued → sending → sent → delivered); 0 = a
    /// message is final as soon as it is read.
    pub status_step_ms: u64,
}

impl Default for TwilioSettings {
    fn default() -> Self {
        TwilioSettings {
            account_sid: "AC00000000000000000000000000000001".into(),
            auth_token: "sandbox-auth-token".into(),
            api_key_sid: "SK00000000000000000000000000000001".into(),
            api_key_secret: "sandbox-api-key-secret".into(),
            status_step_ms: 0,
        }
    }
}

/// A number the account owns (IncomingPhoneNumbers), or a WhatsApp sender (`whatsapp:+…`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnedNumber {
    pub sid: String,
    pub phone_number: String,
    pub friendly_name: String,
}

#[derive(Debug, Clone, Default)]
pub struct TwilioState {
    pub settings: TwilioSettings,
    pub numbers: Vec<OwnedNumber>,
    pub messages: Vec<messages::Message>,
    pub calls: Vec<serde_json::Value>,
    /// Message templates (Content API); `None`: the defaults, made on first use.
    pub templates: Option<Vec<content::Template>>,
    /// (recipient, sender) pairs that answered STOP.
    pub opted_out: std::collections::BTreeSet<(String, String)>,
    /// The next outbound message ends `undelivered`/`failed` with this error code (scripted).
    pub fail_next: Option<u32>,
    /// Ids handed out so far (SIDs are unique per kind).
    pub next_id: u64,
}

impl TwilioState {
    pub fn new_sid(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:032x}", self.next_id)
    }

    /// The account's templates (the defaults unless a test set others).
    pub fn templates(&mut self) -> &mut Vec<content::Template> {
        self.templates.get_or_insert_with(content::defaults)
    }

    /// The account's numbers: one SMS number and one WhatsApp sender unless a test set others.
    pub fn owned(&mut self) -> &[OwnedNumber] {
        if self.numbers.is_empty() {
            let sms = self.new_sid("PN");
            let wa = self.new_sid("PN");
            self.numbers = vec![
                OwnedNumber {
                    sid: sms,
                    phone_number: "+15005550006".into(),
                    friendly_name: "Sandbox SMS".into(),
                },
                OwnedNumber {
                    sid: wa,
                    phone_number: "whatsapp:+14155238886".into(),
                    friendly_name: "Sandbox WhatsApp".into(),
                },
            ];
        }
        &self.numbers
    }
}

/// A Twilio error answer (https://www.twilio.com/docs/usage/twilios-response): the HTTP status
/// and, in the body, Twilio's own code with its documentation link.
pub fn error(status: u16, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    });
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(body),
    )
        .into_response();
    if status == 429 {
        // 20429: too many concurrent requests; never processed, safe to retry after the wait
        // (https://www.twilio.com/docs/api/errors/20429).
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    }
    response
}

/// A fault rule's status on a Twilio path, in Twilio's shape: 429 is 20429 ("Too Many Requests",
/// with Retry-After), 401 is 20003, a 5xx is 20500 (https://www.twilio.com/docs/errors/20500).
pub fn fault_error(status: u16, retry_after_secs: Option<u64>) -> Response {
    let (code, message) = match status {
        401 => (20003, "Authenticate"),
        404 => (20404, "The requested resource was not found"),
        429 => (20429, "Too Many Requests"),
        s if s >= 500 => (20500, "Internal Server Error"),
        _ => (20001, "Bad request"),
    };
    let mut response = error(status, code, message);
    if let Some(secs) = retry_after_secs {
        if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

/// Basic auth against the account in the path: an API key SID/secret or the Account SID/Auth
/// Token; anything else is 401 with code 20003 (https://www.twilio.com/docs/api/errors/20003).
pub fn authorize(shared: &Shared, headers: &HeaderMap, account: &str) -> Result<(), Response> {
    let settings = shared.lock().twilio.settings.clone();
    let denied = || error(401, 20003, "Authenticate");
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(denied)?;
    let (user, secret) = given.split_once(':').ok_or_else(denied)?;
    let key = user == settings.api_key_sid && secret == settings.api_key_secret;
    let token = user == settings.account_sid && secret == settings.auth_token;
    if !(key || token) {
        return Err(denied());
    }
    if account != settings.account_sid {
        // Credentials of one account cannot reach another's resources.
        return Err(error(
            404,
            20404,
            &format!("The requested resource /2010-04-01/Accounts/{account} was not found"),
        ));
    }
    Ok(())
}

/// Strips the `.json` Twilio's JSON paths end in (the 2010 API answers XML without it).
pub fn json_path(segment: &str) -> Option<&str> {
    segment.strip_suffix(".json")
}

/// Paging for list endpoints: `PageSize` (default 50, at most 1,000: error 20007,
/// https://www.twilio.com/docs/errors/20007) and an opaque `PageToken` from `next_page_uri`.
pub struct Paging {
    pub size: usize,
    pub offset: usize,
}

impl Paging {
    /// A list request: authorized for the account in its path, then its paging read.
    pub fn of_list(
        shared: &Shared,
        headers: &HeaderMap,
        account: &str,
        query: &[(String, String)],
    ) -> Result<Paging, Response> {
        authorize(shared, headers, account)?;
        Paging::from_query(query)
    }

    pub fn from_query(query: &[(String, String)]) -> Result<Paging, Response> {
        let get = |k: &str| {
            query
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let size = match get("PageSize") {
            None => 50,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                Ok(n) if n > 1000 => {
                    return Err(error(400, 20007, "Page size too large (the most is 1000)"))
                }
                _ => return Err(error(400, 20001, "Invalid PageSize")),
            },
        };
        let offset = match get("PageToken") {
            None => 0,
            Some(t) => t
                .strip_prefix("PA")
                .and_then(|hex| usize::from_str_radix(hex, 16).ok())
                .ok_or_else(|| error(400, 21481, "Invalid PageToken"))?,
        };
        Ok(Paging { size, offset })
    }

    /// The envelope around one page of `items` (all the matches, in order) under `key`.
    pub fn envelope(
        &self,
        key: &str,
        path: &str,
        query: &[(String, String)],
        items: Vec<serde_json::Value>,
    ) -> serde_json::Value {
        let total = items.len();
        let page: Vec<serde_json::Value> = items
            .into_iter()
            .skip(self.offset)
            .take(self.size)
            .collect();
        let kept: Vec<String> = query
            .iter()
            .filter(|(k, _)| k != "PageToken" && k != "Page" && k != "PageSize")
            .map(|(k, v)| format!("{}={}", crate::urlencode(k), crate::urlencode(v)))
            .collect();
        let base = |offset: usize| {
            let mut q = kept.clone();
            q.push(format!("PageSize={}", self.size));
            if offset > 0 {
                q.push(format!("Page={}", offset / self.size));
                q.push(format!("PageToken=PA{offset:x}"));
            }
            format!("{path}?{}", q.join("&"))
        };
        let next = self.offset + self.size;
        json!({
            key: page,
            "first_page_uri": base(0),
            "next_page_uri": if next < total { json!(base(next)) } else { json!(null) },
            "previous_page_uri": if self.offset > 0 { json!(base(self.offset.saturating_sub(self.size))) } else { json!(null) },
            "page": self.offset / self.size,
            "page_size": self.size,
            "start": self.offset,
            "end": (self.offset + self.size).min(total).saturating_sub(1),
            "uri": base(self.offset),
        })
    }
}

/// One page of a v1/v2 product API list (Content, Messaging), under `key`, with the `meta` block
/// holding absolute URLs on the origin that was asked
/// (https://www.twilio.com/docs/usage/twilios-response#pagination).
pub fn product_page(
    headers: &HeaderMap,
    path: &str,
    key: &str,
    paging: &Paging,
    items: Vec<Value>,
) -> Value {
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

pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            get(messages::list).post(messages::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{sid}",
            get(messages::get),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json",
            get(messages::numbers),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls.json",
            get(messages::calls),
        )
        .route("/v1/ContentAndApprovals", get(content::list))
        .route("/v2/Channels/Senders", get(senders::whatsapp_senders))
        .route("/v1/Services", get(senders::services))
        .route(
            "/_sandbox/twilio/templates",
            axum::routing::post(content::add),
        )
        .route(
            "/_sandbox/twilio/settings",
            axum::routing::post(messages::set_settings),
        )
        .route(
            "/_sandbox/twilio/inbound",
            axum::routing::post(messages::inbound),
        )
        .route(
            "/_sandbox/twilio/calls",
            axum::routing::post(messages::add_call),
        )
        .route(
            "/_sandbox/twilio/fail-next",
            axum::routing::post(messages::fail_next),
        )
}
