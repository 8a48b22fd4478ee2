//! Twilio's 2010-04-01 API as the sandbox speaks it, checked at the wire (form bodies, Basic auth,
//! Twilio's JSON and error codes) against Twilio's documentation, the pages named in
//! `src/twilio/`.

use base64::Engine;
use serde_json::{json, Value};

use crate::support::{http, sandbox};

const ACCOUNT: &str = "AC00000000000000000000000000000001";
const KEY: (&str, &str) = (
    "SK00000000000000000000000000000001",
    "sandbox-api-key-secret",
);
const TOKEN: (&str, &str) = (ACCOUNT, "sandbox-auth-token");
const SMS_NUMBER: &str = "+15005550006";
const WHATSAPP: &str = "whatsapp:+14155238886";

fn basic((user, secret): (&str, &str)) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

fn url(sb: &cremmy_sandbox::Sandbox, path: &str) -> String {
    format!("{}2010-04-01/Accounts/{ACCOUNT}/{path}", sb.base_url())
}

async fn send(sb: &cremmy_sandbox::Sandbox, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http()
        .post(url(sb, "Messages.json"))
        .header("authorization", basic(KEY))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn get_json(full_url: &str) -> (u16, Value) {
    let r = http()
        .get(full_url)
        .header("authorization", basic(KEY))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn control(sb: &cremmy_sandbox::Sandbox, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}_sandbox/twilio/{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "control {path}");
    r.json().await.unwrap()
}

fn assert_twilio_error(answer: &(u16, Value), status: u16, code: u64, why: &str) {
    assert_eq!(answer.0, status, "{why}: {answer:?}");
    assert_eq!(answer.1["code"], code, "{why}: {answer:?}");
    assert_eq!(
        answer.1["status"], status,
        "{why}: the body repeats the status"
    );
    assert_eq!(
        answer.1["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}"),
        "{why}"
    );
    assert!(answer.1["message"].is_string(), "{why}");
}

#[tokio::test]
async fn basic_auth_takes_an_api_key_or_the_auth_token_and_nothing_else() {
    let sb = sandbox().await;
    for (creds, ok, why) in [
        (KEY, true, "an API key SID and secret"),
        (TOKEN, true, "the Account SID and Auth Token"),
        ((KEY.0, "wrong"), false, "a wrong secret"),
        (("ACother", TOKEN.1), false, "another account's SID"),
    ] {
        let r = http()
            .get(url(&sb, "Messages.json"))
            .header("authorization", basic(creds))
            .send()
            .await
            .unwrap();
        let answer = (r.status().as_u16(), r.json::<Value>().await.unwrap());
        if ok {
            assert_eq!(answer.0, 200, "{why}: {answer:?}");
        } else {
            assert_twilio_error(&answer, 401, 20003, why);
        }
    }
    let other = format!(
        "{}2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json",
        sb.base_url()
    );
    assert_twilio_error(
        &get_json(&other).await,
        404,
        20404,
        "another account's path",
    );
}

#[tokio::test]
async fn a_message_is_queued_then_follows_its_status_to_delivered() {
    let sb = sandbox().await;
    sb.shared.lock().twilio.settings.status_step_ms = 60_000;
    let (status, created) = send(
        &sb,
        &[
            ("To", "+14155550100"),
            ("From", SMS_NUMBER),
            ("Body", "Hello Zoë"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["status"], "queued",
        "Twilio answers a create with queued"
    );
    assert_eq!(created["direction"], "outbound-api");
    assert_eq!(created["num_segments"], "1");
    assert!(created["date_sent"].is_null(), "not sent yet");
    let sid = created["sid"].as_str().unwrap().to_string();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert!(
        created["date_created"].as_str().unwrap().ends_with("+0000"),
        "RFC 2822 dates"
    );
    let uri = format!(
        "{}{}",
        sb.base_url(),
        created["uri"].as_str().unwrap().trim_start_matches('/')
    );
    assert_eq!(
        get_json(&uri).await.1["status"],
        "queued",
        "a minute per step: still queued"
    );
    sb.shared.lock().twilio.settings.status_step_ms = 0;
    let fetched = get_json(&uri).await.1;
    assert_eq!(fetched["status"], "delivered");
    assert!(fetched["error_code"].is_null());
    assert!(fetched["date_sent"].is_string());

    control(&sb, "fail-next", json!({ "error_code": 30003 })).await;
    let (_, failing) = send(
        &sb,
        &[("To", "+14155550101"), ("From", SMS_NUMBER), ("Body", "Hi")],
    )
    .await;
    let uri = format!(
        "{}{}",
        sb.base_url(),
        failing["uri"].as_str().unwrap().trim_start_matches('/')
    );
    let ended = get_json(&uri).await.1;
    assert_eq!(
        (ended["status"].as_str(), ended["error_code"].as_u64()),
        (Some("undelivered"), Some(30003)),
        "a carrier error leaves it undelivered"
    );
    let missing = url(&sb, "Messages/SMffffffffffffffffffffffffffffffff.json");
    assert_twilio_error(&get_json(&missing).await, 404, 20404, "an unknown message");
}

#[tokio::test]
async fn a_bad_send_is_refused_with_twilios_code() {
    let sb = sandbox().await;
    let long = "x".repeat(1601);
    let cases: Vec<(Vec<(&str, &str)>, u64, &str)> = vec![
        (vec![("From", SMS_NUMBER), ("Body", "hi")], 21604, "no To"),
        (
            vec![("To", "0155 5555"), ("From", SMS_NUMBER), ("Body", "hi")],
            21211,
            "To is not E.164",
        ),
        (
            vec![("To", "+0123456"), ("From", SMS_NUMBER), ("Body", "hi")],
            21211,
            "a country code cannot start with 0",
        ),
        (
            vec![
                ("To", "+14155550100"),
                ("From", "+19999999999"),
                ("Body", "hi"),
            ],
            21606,
            "From is not the account's",
        ),
        (
            vec![("To", "+14155550100"), ("Body", "hi")],
            21603,
            "no From and no Messaging Service",
        ),
        (
            vec![("To", "+14155550100"), ("From", SMS_NUMBER)],
            21602,
            "no Body and no ContentSid",
        ),
        (
            vec![
                ("To", "+14155550100"),
                ("From", SMS_NUMBER),
                ("Body", long.as_str()),
            ],
            21617,
            "over 1,600 characters",
        ),
    ];
    for (form, code, why) in cases {
        assert_twilio_error(&send(&sb, &form).await, 400, code, why);
    }
    assert!(
        sb.shared.lock().twilio.messages.is_empty(),
        "nothing refused was kept"
    );
}

#[tokio::test]
async fn stop_opts_a_number_out_of_that_sender_and_start_opts_it_back_in() {
    let sb = sandbox().await;
    let zoe = "+14155550100";
    control(&sb, "inbound", json!({ "from": zoe, "body": " stop " })).await;
    let form = [
        ("To", zoe),
        ("From", SMS_NUMBER),
        ("Body", "Are you there?"),
    ];
    assert_twilio_error(&send(&sb, &form).await, 400, 21610, "after STOP");
    control(&sb, "inbound", json!({ "from": zoe, "body": "START" })).await;
    assert_eq!(send(&sb, &form).await.0, 201, "after START");
}

#[tokio::test]
async fn whatsapp_free_text_needs_a_message_from_the_contact_within_24_hours() {
    let sb = sandbox().await;
    let zoe = "whatsapp:+14155550100";
    let outside = send(&sb, &[("To", zoe), ("From", WHATSAPP), ("Body", "Hi Zoë")]).await;
    assert_eq!(outside.0, 201, "accepted first: {outside:?}");
    let uri = format!(
        "{}{}",
        sb.base_url(),
        outside.1["uri"].as_str().unwrap().trim_start_matches('/')
    );
    let ended = get_json(&uri).await.1;
    assert_eq!(
        (ended["status"].as_str(), ended["error_code"].as_u64()),
        (Some("failed"), Some(63016)),
        "outside the window"
    );
    let template = send(
        &sb,
        &[
            ("To", zoe),
            ("From", WHATSAPP),
            ("ContentSid", "HX00000000000000000000000000000001"),
        ],
    )
    .await;
    let uri = format!(
        "{}{}",
        sb.base_url(),
        template.1["uri"].as_str().unwrap().trim_start_matches('/')
    );
    assert_eq!(
        get_json(&uri).await.1["status"],
        "delivered",
        "a template is allowed outside the window"
    );
    control(
        &sb,
        "inbound",
        json!({ "from": zoe, "to": WHATSAPP, "body": "Hello!" }),
    )
    .await;
    let inside = send(&sb, &[("To", zoe), ("From", WHATSAPP), ("Body", "Thanks!")]).await;
    let uri = format!(
        "{}{}",
        sb.base_url(),
        inside.1["uri"].as_str().unwrap().trim_start_matches('/')
    );
    assert_eq!(
        get_json(&uri).await.1["status"],
        "delivered",
        "free text within the window"
    );
}

#[tokio::test]
async fn the_messages_list_filters_and_pages_by_next_page_uri() {
    let sb = sandbox().await;
    for i in 0..5 {
        control(&sb, "inbound", json!({ "from": "+14155550100", "body": format!("m{i}"), "at_ms": 1_764_460_800_000_i64 + i * 60_000 })).await;
    }
    control(
        &sb,
        "inbound",
        json!({ "from": "+14155550199", "body": "other", "at_ms": 1_764_460_800_000_i64 }),
    )
    .await;
    control(&sb, "inbound", json!({ "from": "+14155550100", "body": "old", "at_ms": 1_764_460_800_000_i64 - 3 * 86_400_000 })).await;
    let mut next = Some(format!(
        "/2010-04-01/Accounts/{ACCOUNT}/Messages.json?From=%2B14155550100&DateSent%3E=2025-11-30&PageSize=2"
    ));
    let mut bodies = Vec::new();
    let mut pages = 0;
    while let Some(uri) = next {
        let (status, page) =
            get_json(&format!("{}{}", sb.base_url(), uri.trim_start_matches('/'))).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["page_size"], 2);
        pages += 1;
        for m in page["messages"].as_array().unwrap() {
            assert_eq!(m["direction"], "inbound");
            assert_eq!(m["status"], "received");
            bodies.push(m["body"].as_str().unwrap().to_string());
        }
        next = page["next_page_uri"].as_str().map(str::to_string);
    }
    assert_eq!(pages, 3, "5 messages, 2 a page");
    assert_eq!(
        bodies,
        ["m4", "m3", "m2", "m1", "m0"],
        "newest first, filtered by From and DateSent>"
    );
    let too_big = url(&sb, "Messages.json?PageSize=1001");
    assert_twilio_error(&get_json(&too_big).await, 400, 20007, "PageSize over 1000");
    let bad_token = url(&sb, "Messages.json?PageToken=nonsense");
    assert_twilio_error(
        &get_json(&bad_token).await,
        400,
        21481,
        "an invalid PageToken",
    );
}

#[tokio::test]
async fn numbers_and_calls_are_listed_in_twilios_shape() {
    let sb = sandbox().await;
    let (_, numbers) = get_json(&url(&sb, "IncomingPhoneNumbers.json")).await;
    let list = numbers["incoming_phone_numbers"].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "the SMS number; a WhatsApp sender is not an incoming number: {numbers}"
    );
    assert_eq!(list[0]["phone_number"], SMS_NUMBER);
    assert_eq!(list[0]["capabilities"]["sms"], true);
    for (i, status) in ["completed", "no-answer"].iter().enumerate() {
        control(&sb, "calls", json!({ "from": "+14155550100", "to": SMS_NUMBER, "status": status, "direction": "inbound",
            "duration_secs": 60 * (1 - i as u64), "start_ms": 1_764_460_800_000_i64 + i as i64 * 3_600_000 })).await;
    }
    control(&sb, "calls", json!({ "from": SMS_NUMBER, "to": "+14155550100", "status": "completed", "direction": "outbound-dial",
        "duration_secs": 30, "start_ms": 1_764_460_800_000_i64 - 5 * 86_400_000 })).await;
    let (_, calls) = get_json(&url(&sb, "Calls.json?StartTime%3E=2025-11-30")).await;
    let list = calls["calls"].as_array().unwrap();
    let statuses: Vec<&str> = list.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        ["no-answer", "completed"],
        "newest first, from the date on: {calls}"
    );
    assert_eq!(
        list[1]["duration"], "60",
        "durations are strings of seconds"
    );
    assert!(list[1]["sid"].as_str().unwrap().starts_with("CA"));
    assert!(
        list[1].get("_start_ms").is_none(),
        "no sandbox bookkeeping in the answer"
    );
}

#[tokio::test]
async fn a_faulted_twilio_call_answers_in_twilios_shape() {
    let sb = sandbox().await;
    let r = http()
        .post(format!("{}_sandbox/faults", sb.base_url()))
        .json(&json!({ "rules": [ { "path": "/2010-04-01/", "times": 1, "fault": { "kind": "status", "status": 429, "retry_after_secs": 2 } } ] }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = http()
        .get(url(&sb, "Messages.json"))
        .header("authorization", basic(KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("retry-after").unwrap(), "2");
    let answer = (r.status().as_u16(), r.json::<Value>().await.unwrap());
    assert_twilio_error(&answer, 429, 20429, "too many concurrent requests");
}

#[test]
fn segments_count_gsm_7_and_ucs_2_as_twilio_does() {
    use cremmy_sandbox::twilio::messages::segments;
    let cases = [
        ("x".repeat(160), 1, "160 GSM-7 characters: one segment"),
        ("x".repeat(161), 2, "161: two of 153"),
        ("x".repeat(306), 2, "306 = 2 × 153"),
        ("x".repeat(307), 3, "307: three"),
        ("é".repeat(160), 1, "é is in GSM-7"),
        (
            "€".repeat(80),
            1,
            "€ is an extension character: it counts twice",
        ),
        ("€".repeat(81), 2, "162 units"),
        ("🙂".repeat(35), 1, "an emoji is UCS-2, two units each: 70"),
        ("ł".repeat(71), 2, "UCS-2 past 70: segments of 67"),
        (String::new(), 1, "an empty body is one segment"),
    ];
    for (body, expected, why) in cases {
        assert_eq!(segments(&body), expected, "{why}");
    }
}

#[tokio::test]
async fn templates_are_listed_with_their_approval_and_a_message_carries_the_filled_template() {
    let sb = sandbox().await;
    let (status, page) = get_json(&format!(
        "{}v1/ContentAndApprovals?PageSize=1",
        sb.base_url()
    ))
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["meta"]["key"], "contents");
    let first = &page["contents"][0];
    assert_eq!(first["friendly_name"], "follow_up");
    assert_eq!(first["approval_requests"]["status"], "approved");
    assert!(first["types"]["twilio/text"]["body"]
        .as_str()
        .unwrap()
        .contains("{{1}}"));
    let next = page["meta"]["next_page_url"]
        .as_str()
        .expect("a second page");
    let (_, second) = get_json(next).await;
    assert_eq!(
        second["contents"][0]["approval_requests"]["status"],
        "pending"
    );
    assert!(
        second["meta"]["next_page_url"].is_null(),
        "two templates in all"
    );
    let denied = http()
        .get(format!("{}v1/ContentAndApprovals", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        denied.status().as_u16(),
        401,
        "Basic auth as on the 2010 API"
    );

    let sid = first["sid"].as_str().unwrap();
    let sent = send(
        &sb,
        &[
            ("To", "whatsapp:+14155550100"),
            ("From", WHATSAPP),
            ("ContentSid", sid),
            ("ContentVariables", r#"{"1":"Zoë"}"#),
        ],
    )
    .await;
    assert_eq!(
        sent.0, 201,
        "a template goes outside the 24-hour window: {}",
        sent.1
    );
    assert_eq!(
        sent.1["body"], "Hi Zoë, following up on our last conversation. Reply here to pick it up.",
        "the values given, the template's defaults for the rest"
    );
    let unknown = send(
        &sb,
        &[
            ("To", "whatsapp:+14155550100"),
            ("From", WHATSAPP),
            ("ContentSid", "HX0000000000000000000000000000ffff"),
        ],
    )
    .await;
    assert_twilio_error(&unknown, 400, 21656, "an unknown template");
}

#[tokio::test]
async fn whatsapp_senders_and_messaging_services_are_listed_and_a_service_can_send() {
    let sb = sandbox().await;
    let (status, senders) = get_json(&format!(
        "{}v2/Channels/Senders?Channel=whatsapp",
        sb.base_url()
    ))
    .await;
    assert_eq!(status, 200, "{senders}");
    assert_eq!(senders["senders"][0]["sender_id"], WHATSAPP);
    assert_eq!(senders["senders"][0]["status"], "ONLINE");
    assert_eq!(senders["meta"]["key"], "senders");
    let (status, _) = get_json(&format!("{}v2/Channels/Senders", sb.base_url())).await;
    assert_eq!(status, 400, "the list is per channel");
    let (_, services) = get_json(&format!("{}v1/Services", sb.base_url())).await;
    let service = services["services"][0]["sid"].as_str().unwrap().to_string();
    assert!(service.starts_with("MG"), "{services}");

    let sent = send(
        &sb,
        &[
            ("To", "+14155550100"),
            ("MessagingServiceSid", &service),
            ("Body", "Hi"),
        ],
    )
    .await;
    assert_eq!(sent.0, 201, "{}", sent.1);
    assert_eq!(sent.1["messaging_service_sid"], service.as_str());
    assert_eq!(
        sent.1["from"], SMS_NUMBER,
        "from one of the service's senders"
    );
    assert_eq!(
        sent.1["status"], "accepted",
        "a service's message is accepted, then queued"
    );
    let wrong = send(
        &sb,
        &[
            ("To", "+14155550100"),
            ("MessagingServiceSid", "MG0000000000000000000000000000ffff"),
            ("Body", "Hi"),
        ],
    )
    .await;
    assert_twilio_error(&wrong, 400, 21701, "an unknown Messaging Service");
}
