use google_gmail1::Error as GmailError;
use serde_json::json;

use crate::support::*;

/// 2026-03-02T09:00:00Z
const NEWEST: i64 = 1_772_442_000_000;

fn status_of(e: &GmailError) -> Option<i64> {
    match e {
        GmailError::BadRequest(v) => v["error"]["code"].as_i64(),
        _ => None,
    }
}

#[tokio::test]
async fn list_get_and_profile_parse_in_the_real_gmail_client() {
    let sb = sandbox().await;
    let seeded = control(&sb, "google/seed", json!({ "clients": 3, "messages_per_client": 4, "seed": 9, "newest_at": NEWEST })).await;
    assert_eq!(seeded["messages"], 12);
    let token = connect(&sb, GMAIL_READ).await;
    let hub = hub(&sb, &json_of(&token, "access_token"));

    let (_, profile) = hub.users().get_profile("me").doit().await.expect("profile");
    assert_eq!(profile.email_address.as_deref(), Some("consultant@sandbox.example"));
    assert_eq!(profile.messages_total, Some(12));
    assert_eq!(profile.history_id, Some(12), "one history id per delivered message");

    let (_, page1) = hub.users().messages_list("me").max_results(5).doit().await.expect("list");
    let ids: Vec<String> = page1.messages.unwrap().into_iter().filter_map(|m| m.id).collect();
    assert_eq!(ids.len(), 5);
    let token2 = page1.next_page_token.expect("more pages");
    let (_, page2) = hub.users().messages_list("me").max_results(5).page_token(&token2).doit().await.unwrap();
    let more: Vec<String> = page2.messages.unwrap().into_iter().filter_map(|m| m.id).collect();
    assert!(ids.iter().all(|id| !more.contains(id)), "pages do not overlap");

    let (_, first) = hub
        .users()
        .messages_get("me", &ids[0])
        .format("metadata")
        .add_metadata_headers("From")
        .add_metadata_headers("Message-ID")
        .doit()
        .await
        .expect("get");
    assert_eq!(first.internal_date, Some(NEWEST), "newest first, internalDate in ms");
    let headers = first.payload.unwrap().headers.unwrap();
    let names: Vec<String> = headers.iter().filter_map(|h| h.name.clone()).collect();
    assert_eq!(names, ["From", "Message-ID"], "metadata returns only the requested headers");

    let (_, from_one) = hub.users().messages_list("me").q("from:contact1@client1.example").doit().await.unwrap();
    assert_eq!(from_one.result_size_estimate, Some(2), "`from:` filters (inbound mail only)");
    let (_, sent) = hub.users().messages_list("me").q("in:sent to:contact1@client1.example").doit().await.unwrap();
    assert_eq!(sent.result_size_estimate, Some(2), "`in:sent` + `to:`");
    let (_, recent) = hub.users().messages_list("me").q("after:1772431200").doit().await.unwrap();
    assert_eq!(recent.result_size_estimate, Some(4), "`after:` takes epoch seconds (the last 3 hours here)");

    let missing = hub.users().messages_get("me", "0000000000000000").doit().await.expect_err("unknown id");
    assert_eq!(status_of(&missing), Some(404));
}

#[tokio::test]
async fn history_lists_new_mail_and_404s_below_the_retained_window() {
    let sb = sandbox().await;
    control(&sb, "google/seed", json!({ "clients": 2, "messages_per_client": 2, "newest_at": NEWEST })).await;
    let token = connect(&sb, GMAIL_READ).await;
    let hub = hub(&sb, &json_of(&token, "access_token"));
    let (_, profile) = hub.users().get_profile("me").doit().await.unwrap();
    let start = profile.history_id.unwrap();
    let (_, nothing) = hub.users().history_list("me").start_history_id(start).doit().await.unwrap();
    assert!(nothing.history.is_none(), "no new mail, no records");
    assert_eq!(nothing.history_id, Some(start));

    let injected = control(&sb, "google/messages", json!({ "from": "dana@acme.example", "to": "consultant@sandbox.example", "subject": "New brief", "body": "Hello" })).await;
    let (_, added) = hub.users().history_list("me").start_history_id(start).add_history_types("messageAdded").doit().await.unwrap();
    let records = added.history.unwrap();
    assert_eq!(records.len(), 1);
    let message = records[0].messages_added.as_ref().unwrap()[0].message.as_ref().unwrap();
    assert_eq!(message.id.as_deref(), injected["id"].as_str());
    assert_eq!(added.history_id, Some(start + 1), "history ids increase");

    control(&sb, "google/history/trim", json!({ "keep_from": start + 1 })).await;
    let stale = hub.users().history_list("me").start_history_id(start - 1).doit().await.expect_err("stale id");
    assert_eq!(status_of(&stale), Some(404), "an id older than the retained history is 404 (full sync needed)");
}

#[tokio::test]
async fn tokens_and_scopes_are_checked_on_every_call() {
    let sb = sandbox().await;
    let no_auth = http().get(format!("{}gmail/v1/users/me/profile", sb.base_url())).send().await.unwrap();
    assert_eq!(no_auth.status().as_u16(), 401);
    let bad = hub(&sb, "ya29.not-a-token").users().get_profile("me").doit().await.expect_err("bad token");
    assert_eq!(status_of(&bad), Some(401));

    let calendar_only = connect(&sb, "https://www.googleapis.com/auth/calendar.readonly").await;
    let wrong_scope = hub(&sb, &json_of(&calendar_only, "access_token")).users().get_profile("me").doit().await.expect_err("scope");
    assert_eq!(status_of(&wrong_scope), Some(403), "a token without a Gmail scope gets 403");

    let token = connect(&sb, GMAIL_READ).await;
    control(&sb, "google/tokens/expire", json!({})).await;
    let expired = hub(&sb, &json_of(&token, "access_token")).users().get_profile("me").doit().await.expect_err("expired");
    assert_eq!(status_of(&expired), Some(401), "an expired access token is 401 (refresh, then retry once)");
}
