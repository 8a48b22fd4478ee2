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
    let seeded = control(
        &sb,
        "google/seed",
        json!({ "clients": 3, "messages_per_client": 4, "seed": 9, "newest_at": NEWEST }),
    )
    .await;
    assert_eq!(seeded["messages"], 12);
    let token = connect(&sb, GMAIL_READ).await;
    let hub = hub(&sb, &json_of(&token, "access_token"));

    let (_, profile) = hub.users().get_profile("me").doit().await.expect("profile");
    assert_eq!(
        profile.email_address.as_deref(),
        Some("consultant@sandbox.example")
    );
    assert_eq!(profile.messages_total, Some(12));
    assert_eq!(
        profile.history_id,
        Some(13),
        "an empty mailbox is at 1; one history id per delivered message after it"
    );

    let (_, page1) = hub
        .users()
        .messages_list("me")
        .max_results(5)
        .doit()
        .await
        .expect("list");
    let ids: Vec<String> = page1
        .messages
        .unwrap()
        .into_iter()
        .filter_map(|m| m.id)
        .collect();
    assert_eq!(ids.len(), 5);
    let token2 = page1.next_page_token.expect("more pages");
    let (_, page2) = hub
        .users()
        .messages_list("me")
        .max_results(5)
        .page_token(&token2)
        .doit()
        .await
        .unwrap();
    let more: Vec<String> = page2
        .messages
        .unwrap()
        .into_iter()
        .filter_map(|m| m.id)
        .collect();
    assert!(
        ids.iter().all(|id| !more.contains(id)),
        "pages do not overlap"
    );

    let (_, first) = hub
        .users()
        .messages_get("me", &ids[0])
        .format("metadata")
        .add_metadata_headers("From")
        .add_metadata_headers("Message-ID")
        .doit()
        .await
        .expect("get");
    assert_eq!(
        first.internal_date,
        Some(NEWEST),
        "newest first, internalDate in ms"
    );
    let headers = first.payload.unwrap().headers.unwrap();
    let names: Vec<String> = headers.iter().filter_map(|h| h.name.clone()).collect();
    assert_eq!(
        names,
        ["From", "Message-ID"],
        "metadata returns only the requested headers"
    );

    let (_, from_one) = hub
        .users()
        .messages_list("me")
        .q("from:contact1@client1.example")
        .doit()
        .await
        .unwrap();
    assert_eq!(
        from_one.result_size_estimate,
        Some(2),
        "`from:` filters (inbound mail only)"
    );
    let (_, sent) = hub
        .users()
        .messages_list("me")
        .q("in:sent to:contact1@client1.example")
        .doit()
        .await
        .unwrap();
    assert_eq!(sent.result_size_estimate, Some(2), "`in:sent` + `to:`");
    let (_, either) = hub
        .users()
        .messages_list("me")
        .q("{from:contact1@client1.example to:contact1@client1.example from:contact2@client2.example}")
        .doit()
        .await
        .unwrap();
    assert_eq!(
        either.result_size_estimate,
        Some(6),
        "`{{a b c}}` is Gmail's OR: both directions of client 1 plus client 2's inbound"
    );
    let (_, recent) = hub
        .users()
        .messages_list("me")
        .q("after:1772431200")
        .doit()
        .await
        .unwrap();
    assert_eq!(
        recent.result_size_estimate,
        Some(4),
        "`after:` takes epoch seconds (the last 3 hours here)"
    );

    let missing = hub
        .users()
        .messages_get("me", "0000000000000000")
        .doit()
        .await
        .expect_err("unknown id");
    assert_eq!(status_of(&missing), Some(404));
}

#[tokio::test]
async fn history_lists_new_mail_and_404s_below_the_retained_window() {
    let sb = sandbox().await;
    control(
        &sb,
        "google/seed",
        json!({ "clients": 2, "messages_per_client": 2, "newest_at": NEWEST }),
    )
    .await;
    let token = connect(&sb, GMAIL_READ).await;
    let hub = hub(&sb, &json_of(&token, "access_token"));
    let (_, profile) = hub.users().get_profile("me").doit().await.unwrap();
    let start = profile.history_id.unwrap();
    let (_, nothing) = hub
        .users()
        .history_list("me")
        .start_history_id(start)
        .doit()
        .await
        .unwrap();
    assert!(nothing.history.is_none(), "no new mail, no records");
    assert_eq!(nothing.history_id, Some(start));

    let injected = control(&sb, "google/messages", json!({ "from": "dana@acme.example", "to": "consultant@sandbox.example", "subject": "New brief", "body": "Hello" })).await;
    let (_, added) = hub
        .users()
        .history_list("me")
        .start_history_id(start)
        .add_history_types("messageAdded")
        .doit()
        .await
        .unwrap();
    let records = added.history.unwrap();
    assert_eq!(records.len(), 1);
    let message = records[0].messages_added.as_ref().unwrap()[0]
        .message
        .as_ref()
        .unwrap();
    assert_eq!(message.id.as_deref(), injected["id"].as_str());
    assert_eq!(added.history_id, Some(start + 1), "history ids increase");

    control(
        &sb,
        "google/history/trim",
        json!({ "keep_from": start + 1 }),
    )
    .await;
    let stale = hub
        .users()
        .history_list("me")
        .start_history_id(start - 1)
        .doit()
        .await
        .expect_err("stale id");
    assert_eq!(
        status_of(&stale),
        Some(404),
        "an id older than the retained history is 404 (full sync needed)"
    );
}

#[tokio::test]
async fn tokens_and_scopes_are_checked_on_every_call() {
    let sb = sandbox().await;
    let no_auth = http()
        .get(format!("{}gmail/v1/users/me/profile", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status().as_u16(), 401);
    let bad = hub(&sb, "ya29.not-a-token")
        .users()
        .get_profile("me")
        .doit()
        .await
        .expect_err("bad token");
    assert_eq!(status_of(&bad), Some(401));

    let calendar_only = connect(&sb, "https://www.googleapis.com/auth/calendar.readonly").await;
    let wrong_scope = hub(&sb, &json_of(&calendar_only, "access_token"))
        .users()
        .get_profile("me")
        .doit()
        .await
        .expect_err("scope");
    assert_eq!(
        status_of(&wrong_scope),
        Some(403),
        "a token without a Gmail scope gets 403"
    );

    let token = connect(&sb, GMAIL_READ).await;
    control(&sb, "google/tokens/expire", json!({})).await;
    let expired = hub(&sb, &json_of(&token, "access_token"))
        .users()
        .get_profile("me")
        .doit()
        .await
        .expect_err("expired");
    assert_eq!(
        status_of(&expired),
        Some(401),
        "an expired access token is 401 (refresh, then retry once)"
    );
}

const SEND: &str = "https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.compose https://www.googleapis.com/auth/gmail.readonly";

fn rfc2822(
    to: &str,
    subject: &str,
    in_reply_to: Option<&str>,
    body: &str,
) -> std::io::Cursor<Vec<u8>> {
    let mut text = format!("From: consultant@sandbox.example\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <reply-1@cremmy.example>\r\n");
    if let Some(parent) = in_reply_to {
        text.push_str(&format!(
            "In-Reply-To: {parent}\r\nReferences: {parent}\r\n"
        ));
    }
    text.push_str(&format!(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ));
    std::io::Cursor::new(text.into_bytes())
}

#[tokio::test]
async fn send_threads_replies_and_drafts_are_history_with_their_label() {
    let sb = sandbox().await;
    let incoming = control(&sb, "google/messages", json!({ "from": "Dana <dana@acme.example>", "to": "consultant@sandbox.example", "subject": "Proposal?", "body": "Can you send it?" })).await;
    let parent = incoming["messageId"].as_str().unwrap().to_string();
    let token = connect(&sb, SEND).await;
    let hub = hub(&sb, &json_of(&token, "access_token"));
    let rfc822: mime::Mime = "message/rfc822".parse().unwrap();

    // Gmail's threading rules (guides/sending, "Adding messages to existing threads"): the
    // threadId, RFC 2822 References/In-Reply-To naming a message of the thread, and a matching
    // Subject. Any one missing starts a thread of its own.
    let thread = incoming["threadId"].as_str().unwrap().to_string();
    let in_thread = || google_gmail1::api::Message {
        thread_id: Some(thread.clone()),
        ..Default::default()
    };
    let misses: [(&str, google_gmail1::api::Message, &str, Option<&str>); 3] = [
        (
            "In-Reply-To without the threadId",
            Default::default(),
            "Re: Proposal?",
            Some(&parent),
        ),
        (
            "the threadId without References",
            in_thread(),
            "Re: Proposal?",
            None,
        ),
        ("another subject", in_thread(), "Invoice", Some(&parent)),
    ];
    for (why, metadata, subject, reply_to) in misses {
        let (_, alone) = hub
            .users()
            .messages_send(metadata, "me")
            .upload(
                rfc2822("dana@acme.example", subject, reply_to, "x"),
                rfc822.clone(),
            )
            .await
            .expect("sent");
        assert_ne!(
            alone.thread_id.as_deref(),
            Some(thread.as_str()),
            "{why}: a thread of its own"
        );
    }
    let (_, profile) = hub.users().get_profile("me").doit().await.unwrap();
    let (_, sent) = hub
        .users()
        .messages_send(in_thread(), "me")
        .upload(
            rfc2822(
                "dana@acme.example",
                "Re: Proposal?",
                Some(&parent),
                "Attached.",
            ),
            rfc822.clone(),
        )
        .await
        .expect("send through the multipart upload path");
    assert_eq!(
        sent.thread_id.as_deref(),
        Some(thread.as_str()),
        "threadId + References + the same subject thread the reply"
    );
    assert_eq!(sent.label_ids, Some(vec!["SENT".to_string()]));

    let (_, thread) = hub
        .users()
        .threads_get("me", sent.thread_id.as_deref().unwrap())
        .doit()
        .await
        .expect("thread");
    let messages = thread.messages.unwrap();
    assert_eq!(
        messages.len(),
        2,
        "the thread holds the question and the reply"
    );
    let reply_headers = messages[1]
        .payload
        .as_ref()
        .unwrap()
        .headers
        .as_ref()
        .unwrap();
    let header = |n: &str| {
        reply_headers
            .iter()
            .find(|h| h.name.as_deref() == Some(n))
            .and_then(|h| h.value.clone())
    };
    assert_eq!(header("In-Reply-To").as_deref(), Some(parent.as_str()));
    assert_eq!(
        header("Message-ID").as_deref(),
        Some("<reply-1@cremmy.example>"),
        "the sender's Message-ID is kept"
    );

    let draft = google_gmail1::api::Draft {
        message: Some(google_gmail1::api::Message {
            thread_id: sent.thread_id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let (_, created) = hub
        .users()
        .drafts_create(draft, "me")
        .upload(
            rfc2822("dana@acme.example", "Proposal for Acme", None, "Draft body"),
            rfc822.clone(),
        )
        .await
        .expect("draft");
    assert!(created.id.unwrap().starts_with("r-"));
    let draft_message = created.message.unwrap();
    assert_eq!(
        draft_message.label_ids.clone(),
        Some(vec!["DRAFT".to_string()])
    );
    assert_ne!(
        draft_message.thread_id, sent.thread_id,
        "a draft with the threadId but another subject and no References starts its own thread"
    );

    // A draft is a message with the DRAFT label, and its creation is history like any other
    // message (https://developers.google.com/workspace/gmail/api/guides/drafts): a reader that
    // wants only mail must look at the labels.
    let (_, history) = hub
        .users()
        .history_list("me")
        .start_history_id(profile.history_id.unwrap())
        .doit()
        .await
        .unwrap();
    let added: Vec<(String, Vec<String>)> = history
        .history
        .unwrap_or_default()
        .into_iter()
        .flat_map(|h| h.messages_added.unwrap_or_default())
        .filter_map(|a| {
            let m = a.message?;
            Some((m.id?, m.label_ids.unwrap_or_default()))
        })
        .collect();
    assert_eq!(
        added,
        vec![
            (sent.id.clone().unwrap(), vec!["SENT".to_string()]),
            (draft_message.id.clone().unwrap(), vec!["DRAFT".to_string()])
        ],
        "the sent reply and the draft are both messagesAdded; the labels tell them apart"
    );

    let no_recipient = hub
        .users()
        .messages_send(google_gmail1::api::Message::default(), "me")
        .upload(rfc2822("", "x", None, "y"), rfc822.clone())
        .await
        .expect_err("no recipient");
    assert_eq!(status_of(&no_recipient), Some(400));
    let read_only = connect(&sb, GMAIL_READ).await;
    let denied = super::support::hub(&sb, &json_of(&read_only, "access_token"))
        .users()
        .messages_send(google_gmail1::api::Message::default(), "me")
        .upload(rfc2822("dana@acme.example", "x", None, "y"), rfc822)
        .await
        .expect_err("scope");
    assert_eq!(status_of(&denied), Some(403), "sending needs a send scope");
    assert_eq!(
        get_json(&sb, "counters").await["calls"]["POST /upload/gmail/v1/users/me/messages/send"],
        6,
        "three that missed the thread, the reply, and the two refused"
    );
}

/// users.history.list's record types (the `History` resource: messagesAdded, messagesDeleted,
/// labelsAdded, labelsRemoved; `historyTypes` filters them), messages.trash/untrash (the TRASH
/// label), and drafts.send, which deletes the draft and adds a new SENT message with a new id
/// (https://developers.google.com/workspace/gmail/api/guides/drafts).
#[tokio::test]
async fn history_records_deletions_and_label_changes_and_a_sent_draft_gets_a_new_id() {
    let sb = sandbox().await;
    let incoming = control(&sb, "google/messages", json!({ "from": "dana@acme.example", "to": "consultant@sandbox.example", "subject": "Hello", "body": "Hi" })).await;
    let incoming_id = incoming["id"].as_str().unwrap().to_string();
    let token = connect(&sb, "https://mail.google.com/").await;
    let access = json_of(&token, "access_token");
    let hub = hub(&sb, &access);
    let (_, profile) = hub.users().get_profile("me").doit().await.unwrap();
    let start = profile.history_id.unwrap();

    let post = |path: String, body: serde_json::Value| {
        let access = access.clone();
        async move {
            http()
                .post(path)
                .bearer_auth(&access)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let base = sb.base_url();
    let r = post(
        format!("{base}gmail/v1/users/me/messages/{incoming_id}/trash"),
        json!({}),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let (_, listed) = hub.users().messages_list("me").doit().await.unwrap();
    assert!(
        listed.messages.unwrap_or_default().is_empty(),
        "messages.list leaves Trash out unless includeSpamTrash"
    );
    post(
        format!("{base}gmail/v1/users/me/messages/{incoming_id}/untrash"),
        json!({}),
    )
    .await;

    let rfc822: mime::Mime = "message/rfc822".parse().unwrap();
    let (_, draft) = hub
        .users()
        .drafts_create(google_gmail1::api::Draft::default(), "me")
        .upload(rfc2822("dana@acme.example", "Offer", None, "Body"), rfc822)
        .await
        .unwrap();
    let draft_message = draft.message.unwrap().id.unwrap();
    let r = post(
        format!("{base}gmail/v1/users/me/drafts/send"),
        json!({ "id": draft.id.unwrap() }),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let sent: serde_json::Value = r.json().await.unwrap();
    let sent_id = sent["id"].as_str().unwrap().to_string();
    assert_ne!(sent_id, draft_message, "the sent message has a new id");
    assert_eq!(sent["labelIds"], json!(["SENT"]));

    let (_, history) = hub
        .users()
        .history_list("me")
        .start_history_id(start)
        .doit()
        .await
        .unwrap();
    let kinds: Vec<String> = history
        .history
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            if let Some(a) = h.labels_added {
                format!("labelAdded {}", a[0].label_ids.as_ref().unwrap().join(","))
            } else if let Some(r) = h.labels_removed {
                format!(
                    "labelRemoved {}",
                    r[0].label_ids.as_ref().unwrap().join(",")
                )
            } else if let Some(d) = h.messages_deleted {
                format!(
                    "messageDeleted {}",
                    d[0].message.as_ref().unwrap().id.as_ref().unwrap()
                )
            } else if let Some(a) = h.messages_added {
                format!(
                    "messageAdded {}",
                    a[0].message.as_ref().unwrap().id.as_ref().unwrap()
                )
            } else {
                "?".into()
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "labelAdded TRASH".to_string(),
            "labelRemoved TRASH".to_string(),
            format!("messageAdded {draft_message}"),
            format!("messageDeleted {draft_message}"),
            format!("messageAdded {sent_id}"),
        ]
    );
    let (_, only_added) = hub
        .users()
        .history_list("me")
        .start_history_id(start)
        .add_history_types("messageAdded")
        .doit()
        .await
        .unwrap();
    assert_eq!(
        only_added.history.unwrap_or_default().len(),
        2,
        "historyTypes filters the records"
    );
}
