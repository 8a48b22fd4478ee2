//! Messages (create, list, get), the account's numbers, the Calls list, and the sandbox's
//! controls for Twilio (an inbound message, a call, a scripted delivery failure).
//! Message resource: https://www.twilio.com/docs/messaging/api/message-resource.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::{json, Value};

use super::{authorize, error, json_path, Paging, TwilioSettings, API};
use crate::state::Shared;

/// A message as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub inbound: bool,
    pub created_ms: i64,
    pub messaging_service_sid: Option<String>,
    pub content_sid: Option<String>,
    /// Where an outbound message ends: `None` delivered, else failed/undelivered with this code.
    pub fails_with: Option<u32>,
}

fn now_ms() -> i64 {
    (crate::unix_nanos() / 1_000_000) as i64
}

/// Message segments (https://www.twilio.com/docs/glossary/what-sms-character-limit): GSM-7 text
/// takes 160 characters in one segment and 153 per segment when split; anything else is UCS-2,
/// 70 and 67. Characters of GSM-7's extension table count twice.
pub fn segments(body: &str) -> usize {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    let gsm: Option<usize> = body.chars().try_fold(0, |n, c| {
        if BASIC.contains(c) {
            Some(n + 1)
        } else if EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    });
    let (units, single, multi) = match gsm {
        Some(n) => (n, 160, 153),
        None => (body.encode_utf16().count(), 70, 67),
    };
    match units {
        0 => 1,
        n if n <= single => 1,
        n => n.div_ceil(multi),
    }
}

impl Message {
    /// The status now: inbound messages are `received`; outbound ones step through queued,
    /// sending and sent to their end (delivered, or failed/undelivered with an error code), the
    /// lifecycle of message-resource's "status". The pace (`status_step_ms`) is the sandbox's:
    /// real timing depends on carriers.
    pub fn status(&self, settings: &TwilioSettings, now: i64) -> (&'static str, Option<u32>) {
        if self.inbound {
            return ("received", None);
        }
        let step = settings.status_step_ms as i64;
        let index = if step == 0 {
            3
        } else {
            ((now - self.created_ms).max(0) / step).min(3)
        };
        match (index, self.fails_with) {
            (0, _) => ("queued", None),
            (1, _) => ("sending", None),
            (2, _) => ("sent", None),
            (_, None) => ("delivered", None),
            // message-resource, "status": `undelivered` is a delivery receipt saying the carrier
            // did not deliver (the 30xxx carrier errors); `failed` is a message that could not
            // be sent at all.
            (_, Some(code)) if (30000..31000).contains(&code) => ("undelivered", Some(code)),
            (_, Some(code)) => ("failed", Some(code)),
        }
    }

    pub fn to_json(&self, settings: &TwilioSettings, now: i64) -> Value {
        let (status, code) = self.status(settings, now);
        let account = &settings.account_sid;
        let date = crate::rfc2822_date(self.created_ms);
        let sent = !matches!(status, "queued" | "sending");
        json!({
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": date,
            "date_updated": date,
            "date_sent": if sent { json!(date) } else { json!(null) },
            "direction": if self.inbound { "inbound" } else { "outbound-api" },
            "error_code": code,
            "error_message": code.map(|c| match c {
                63016 => "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.".to_string(),
                other => format!("Error {other}"),
            }),
            "from": self.from,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": segments(&self.body).to_string(),
            "price": null,
            "price_unit": "USD",
            "sid": self.sid,
            "status": status,
            "subresource_uris": { "media": format!("{API}/Accounts/{account}/Messages/{}/Media.json", self.sid) },
            "to": self.to,
            "uri": format!("{API}/Accounts/{account}/Messages/{}.json", self.sid),
        })
    }
}

/// E.164: `+`, then up to 15 digits, not starting with 0; a channel prefix (`whatsapp:`) may come
/// first (https://www.twilio.com/docs/glossary/what-e164).
fn is_e164(address: &str) -> bool {
    let number = address.strip_prefix("whatsapp:").unwrap_or(address);
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

const STOP_WORDS: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
const START_WORDS: &[&str] = &["START", "YES", "UNSTOP"];

/// POST Messages.json: validates as Twilio does (the error codes name their pages), then queues
/// the message (201).
pub async fn create(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = authorize(&shared, &headers, &account) {
        return e;
    }
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let Some(to) = field("To") else {
        // https://www.twilio.com/docs/errors/21604
        return error(400, 21604, "A 'To' phone number is required.");
    };
    if !is_e164(&to) {
        // https://www.twilio.com/docs/errors/21211
        return error(400, 21211, &format!("Invalid 'To' Phone Number: {to}"));
    }
    let service = field("MessagingServiceSid");
    if service
        .as_deref()
        .is_some_and(|s| s != super::senders::SERVICE_SID)
    {
        // https://www.twilio.com/docs/api/errors/21701
        return error(400, 21701, "The Messaging Service Sid is invalid.");
    }
    let from = field("From");
    let mut body = field("Body").unwrap_or_default();
    let content_sid = field("ContentSid");
    let now = now_ms();
    let mut world = shared.lock();
    let twilio = &mut world.twilio;
    let from = match (from, &service) {
        (Some(from), _) => {
            if !twilio.owned().iter().any(|n| n.phone_number == from) {
                // https://www.twilio.com/docs/errors/21606
                return error(
                    400,
                    21606,
                    &format!("The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."),
                );
            }
            from
        }
        // A Messaging Service picks a sender from its pool (message-resource, "From" /
        // "MessagingServiceSid"); which one is the sandbox's simplification: the account's first
        // SMS number.
        (None, Some(_)) => twilio
            .owned()
            .iter()
            .find(|n| !n.phone_number.starts_with("whatsapp:"))
            .map(|n| n.phone_number.clone())
            .unwrap_or_default(),
        // https://www.twilio.com/docs/errors/21603
        (None, None) => return error(400, 21603, "A 'From' phone number is required."),
    };
    if let Some(sid) = &content_sid {
        let Some(template) = twilio.templates().iter().find(|t| &t.sid == sid).cloned() else {
            // https://www.twilio.com/docs/api/errors/21656
            return error(400, 21656, "The ContentSid is Invalid.");
        };
        let values: std::collections::BTreeMap<String, String> = field("ContentVariables")
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        // The message carries the template's text (what the recipient reads).
        body = template.render(&values);
    }
    if body.is_empty() && content_sid.is_none() {
        // https://www.twilio.com/docs/errors/21602
        return error(400, 21602, "Message body is required.");
    }
    if body.chars().count() > 1600 {
        // https://www.twilio.com/docs/errors/21617
        return error(
            400,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }
    if twilio.opted_out.contains(&(to.clone(), from.clone())) {
        // The recipient replied STOP to this sender (https://www.twilio.com/docs/errors/21610).
        return error(400, 21610, "Attempt to send to unsubscribed recipient");
    }
    // WhatsApp: free text only within 24 hours of the recipient's last message to this sender;
    // otherwise only a template (ContentSid). The message is accepted and then fails with 63016
    // (https://www.twilio.com/docs/api/errors/63016).
    let outside_window = to.starts_with("whatsapp:")
        && content_sid.is_none()
        && !twilio
            .messages
            .iter()
            .any(|m| m.inbound && m.from == to && m.to == from && now - m.created_ms < 86_400_000);
    let fails_with = if outside_window {
        Some(63016)
    } else {
        twilio.fail_next.take()
    };
    let message = Message {
        sid: twilio.new_sid("SM"),
        from,
        to,
        body,
        inbound: false,
        created_ms: now,
        messaging_service_sid: service,
        content_sid,
        fails_with,
    };
    // The create answer is always `queued` (without a Messaging Service; `accepted` with one):
    // the outcome is known only later (message-resource, "status").
    let mut answer = message.to_json(&twilio.settings, now);
    answer["status"] = json!(if message.messaging_service_sid.is_some() {
        "accepted"
    } else {
        "queued"
    });
    answer["error_code"] = json!(null);
    answer["error_message"] = json!(null);
    answer["date_sent"] = json!(null);
    twilio.messages.push(message);
    (axum::http::StatusCode::CREATED, Json(answer)).into_response()
}

/// `YYYY-MM-DD` (UTC) of a time.
fn day_of(ms: i64) -> String {
    crate::rfc3339(ms)[..10].to_string()
}

/// GET Messages.json: newest first, filtered by `To`, `From`, `DateSent`, `DateSent>` (on or
/// after) and `DateSent<` (on or before), paged (filters: message-resource, "Read multiple
/// Message resources"). Simplification: the sandbox sends at once, so a message's sent day is its
/// created day.
pub async fn list(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let paging = match Paging::of_list(&shared, &headers, &account, &query) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (to, from) = (get("To"), get("From"));
    let (on, after, before) = (get("DateSent"), get("DateSent>"), get("DateSent<"));
    let now = now_ms();
    let world = shared.lock();
    let twilio = &world.twilio;
    let mut found: Vec<&Message> = twilio
        .messages
        .iter()
        .filter(|m| to.as_ref().is_none_or(|t| &m.to == t))
        .filter(|m| from.as_ref().is_none_or(|f| &m.from == f))
        .filter(|m| {
            let day = day_of(m.created_ms);
            on.as_ref().is_none_or(|d| &day == d)
                && after.as_ref().is_none_or(|d| &day >= d)
                && before.as_ref().is_none_or(|d| &day <= d)
        })
        .collect();
    found.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(b.sid.cmp(&a.sid)));
    let items = found
        .into_iter()
        .map(|m| m.to_json(&twilio.settings, now))
        .collect();
    let path = format!("{API}/Accounts/{account}/Messages.json");
    Json(paging.envelope("messages", &path, &query, items)).into_response()
}

/// GET Messages/{Sid}.json.
pub async fn get(
    State(shared): State<Shared>,
    Path((account, sid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = authorize(&shared, &headers, &account) {
        return e;
    }
    let Some(sid) = json_path(&sid) else {
        return error(404, 20404, "The requested resource was not found");
    };
    let world = shared.lock();
    match world.twilio.messages.iter().find(|m| m.sid == sid) {
        Some(m) => Json(m.to_json(&world.twilio.settings, now_ms())).into_response(),
        None => error(
            404,
            20404,
            &format!(
                "The requested resource {API}/Accounts/{account}/Messages/{sid}.json was not found"
            ),
        ),
    }
}

/// GET IncomingPhoneNumbers.json: the account's phone numbers (WhatsApp senders are not
/// incoming phone numbers).
pub async fn numbers(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let paging = match Paging::of_list(&shared, &headers, &account, &query) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut world = shared.lock();
    let items: Vec<Value> = world
        .twilio
        .owned()
        .iter()
        .filter(|n| !n.phone_number.starts_with("whatsapp:"))
        .map(|n| {
            json!({
                "sid": n.sid, "account_sid": account, "phone_number": n.phone_number,
                "friendly_name": n.friendly_name,
                "capabilities": { "sms": true, "mms": true, "voice": true, "fax": false },
            })
        })
        .collect();
    let path = format!("{API}/Accounts/{account}/IncomingPhoneNumbers.json");
    Json(paging.envelope("incoming_phone_numbers", &path, &query, items)).into_response()
}

/// GET Calls.json: newest first, `StartTime>` (on or after a UTC date) and paging.
pub async fn calls(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let paging = match Paging::of_list(&shared, &headers, &account, &query) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let after = query
        .iter()
        .find(|(k, _)| k == "StartTime>")
        .map(|(_, v)| v.clone());
    let world = shared.lock();
    let mut items: Vec<Value> = world
        .twilio
        .calls
        .iter()
        .filter(|c| {
            let start = c["_start_ms"].as_i64().unwrap_or(0);
            after.as_ref().is_none_or(|d| day_of(start) >= *d)
        })
        .cloned()
        .collect();
    items.sort_by_key(|c| std::cmp::Reverse(c["_start_ms"].as_i64().unwrap_or(0)));
    for c in &mut items {
        if let Some(o) = c.as_object_mut() {
            o.remove("_start_ms");
        }
    }
    let path = format!("{API}/Accounts/{account}/Calls.json");
    Json(paging.envelope("calls", &path, &query, items)).into_response()
}

pub async fn set_settings(
    State(shared): State<Shared>,
    Json(settings): Json<TwilioSettings>,
) -> Json<Value> {
    shared.lock().twilio.settings = settings;
    Json(json!({ "ok": true }))
}

#[derive(serde::Deserialize)]
pub struct Inbound {
    pub from: String,
    /// One of the account's numbers (default: its SMS number).
    #[serde(default)]
    pub to: Option<String>,
    pub body: String,
    #[serde(default)]
    pub at_ms: Option<i64>,
}

/// A message someone sends to one of the account's numbers. STOP and its synonyms opt the sender
/// out of messages from that number, START/YES/UNSTOP opt back in (Twilio's default opt-out
/// handling: https://help.twilio.com/articles/223134027).
pub async fn inbound(State(shared): State<Shared>, Json(m): Json<Inbound>) -> Json<Value> {
    let mut world = shared.lock();
    let twilio = &mut world.twilio;
    let to = match m.to {
        Some(to) => to,
        None => twilio
            .owned()
            .iter()
            .find(|n| !n.phone_number.starts_with("whatsapp:"))
            .map(|n| n.phone_number.clone())
            .unwrap_or_default(),
    };
    let word = m.body.trim().to_ascii_uppercase();
    if STOP_WORDS.contains(&word.as_str()) {
        twilio.opted_out.insert((m.from.clone(), to.clone()));
    } else if START_WORDS.contains(&word.as_str()) {
        twilio.opted_out.remove(&(m.from.clone(), to.clone()));
    }
    let sid = twilio.new_sid("SM");
    twilio.messages.push(Message {
        sid: sid.clone(),
        from: m.from,
        to,
        body: m.body,
        inbound: true,
        created_ms: m.at_ms.unwrap_or_else(now_ms),
        messaging_service_sid: None,
        content_sid: None,
        fails_with: None,
    });
    Json(json!({ "sid": sid }))
}

#[derive(serde::Deserialize)]
pub struct NewCall {
    pub from: String,
    pub to: String,
    /// `completed`, `busy`, `no-answer`, `failed`, `canceled`…
    pub status: String,
    /// `inbound` or `outbound-api` / `outbound-dial`.
    pub direction: String,
    pub duration_secs: u64,
    pub start_ms: i64,
}

/// A call in the account's call log (Call resource fields:
/// https://www.twilio.com/docs/voice/api/call-resource).
pub async fn add_call(State(shared): State<Shared>, Json(c): Json<NewCall>) -> Json<Value> {
    let mut world = shared.lock();
    let twilio = &mut world.twilio;
    let sid = twilio.new_sid("CA");
    let account = twilio.settings.account_sid.clone();
    let end = c.start_ms + c.duration_secs as i64 * 1000;
    twilio.calls.push(json!({
        "sid": sid, "account_sid": account, "from": c.from, "to": c.to,
        "from_formatted": c.from, "to_formatted": c.to,
        "direction": c.direction, "status": c.status,
        "start_time": crate::rfc2822_date(c.start_ms), "end_time": crate::rfc2822_date(end),
        "duration": c.duration_secs.to_string(), "price": null, "price_unit": "USD",
        "parent_call_sid": null, "answered_by": null,
        "uri": format!("{API}/Accounts/{account}/Calls/{sid}.json"),
        "_start_ms": c.start_ms,
    }));
    Json(json!({ "sid": sid }))
}

#[derive(serde::Deserialize)]
pub struct FailNext {
    pub error_code: u32,
}

/// The next outbound message ends failed (or undelivered, for a carrier's 30xxx) with this code.
pub async fn fail_next(State(shared): State<Shared>, Json(f): Json<FailNext>) -> Json<Value> {
    shared.lock().twilio.fail_next = Some(f.error_code);
    Json(json!({ "ok": true }))
}
