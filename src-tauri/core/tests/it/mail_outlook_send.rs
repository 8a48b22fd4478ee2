//! Sending from Outlook against the provider sandbox's Microsoft, through the runner the window
//! uses: "Send email" and "Reply" (a MIME draft, then sent; the reply in its conversation), the
//! sent copies met again by ingest without duplicates, the client's answer marking the email
//! replied, "Send from" when Gmail is connected too, and the proposal draft a deal entering
//! Proposal makes in Outlook's Drafts.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::{DealInput, DealMove, Id};
use cremmy_protocol::mail::SendEmailInput;
use cremmy_protocol::sync::SyncTrigger;
use cremmy_protocol::{ErrorCode, Provider};
use serde_json::{json, Value};

use crate::mail_outlook::{control, emails, graph_requests, sync, world_with, OWNER};
use crate::support::{client, contact, settle_rules, T0};
use crate::texting::TextWorld;

const DAY: i64 = 86_400_000;
const SENDING: [Feature; 2] = [Feature::MailIngest, Feature::MailSend];

/// The sandbox mailbox's messages with this Message-ID, with their folder.
fn in_mailbox(w: &TextWorld, message_id: &str) -> Vec<(String, Value)> {
    w.sandbox
        .shared
        .lock()
        .microsoft
        .messages
        .iter()
        .filter(|m| m.resource["internetMessageId"] == message_id)
        .map(|m| (m.folder.clone(), m.resource.clone()))
        .collect()
}

async fn activity(w: &TextWorld, subject: &str) -> Id {
    sqlx::query_scalar("SELECT id FROM activities WHERE subject = ?")
        .bind(subject)
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap_or_else(|e| panic!("an activity {subject:?}: {e}"))
}

fn email(contact_id: Id, subject: &str, body: &str) -> SendEmailInput {
    SendEmailInput {
        contact_id,
        subject: subject.into(),
        body: body.into(),
        reply_to: None,
        deal_id: None,
        from_account: None,
    }
}

#[tokio::test]
async fn outlook_sends_replies_in_the_conversation_and_notices_the_answer() {
    let (w, account) = world_with(SENDING.to_vec()).await;
    assert!(
        account.features.contains(&Feature::MailSend),
        "Mail.ReadWrite and Mail.Send granted count as sending: {:?}",
        account.features
    );
    let acme = client(&w.crm, "Acme").await;
    let zoe = contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    control(
        &w,
        "microsoft/messages",
        json!({ "folder": "inbox", "from": "zoe@acme.example", "to": [OWNER], "subject": "Question",
                "received_ms": T0 - DAY, "internet_message_id": "<q1@acme.example>" }),
    )
    .await;
    assert_eq!(sync(&w).await.created, 1, "the question is imported");

    let sent = w
        .sync
        .send_email(
            &email(zoe.id, "The plan", "Hello Zoë,\nthe plan."),
            SyncTrigger::Manual,
        )
        .await
        .expect("Outlook sends");
    assert_eq!(sent.account_email, OWNER);
    let copies = in_mailbox(&w, &sent.message_id);
    assert_eq!(copies.len(), 1, "one message in the mailbox: {copies:?}");
    let (folder, copy) = &copies[0];
    assert_eq!(folder, "sentitems", "sent, not left a draft");
    assert_eq!(
        copy["toRecipients"][0]["emailAddress"]["address"],
        "zoe@acme.example"
    );
    assert_eq!(copy["subject"], "The plan");
    let held: Vec<String> =
        sqlx::query_scalar("SELECT provider_id FROM mailbox_messages WHERE activity_id = ?")
            .bind(sent.activity_id)
            .fetch_all(w.crm.database().pool())
            .await
            .unwrap();
    assert_eq!(
        held,
        vec![copy["id"].as_str().unwrap().to_string()],
        "the id recorded is the sent copy's (immutable ids: the draft's id names it once sent)"
    );
    let calls = graph_requests(&w);
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("POST /v1.0/me/messages?"))
            && calls
                .iter()
                .any(|c| c.starts_with("POST /v1.0/me/messages/") && c.contains("/send?")),
        "a draft made, then sent: {calls:#?}"
    );

    let question = activity(&w, "Question").await;
    let reply = w
        .sync
        .send_email(
            &SendEmailInput {
                reply_to: Some(question),
                ..email(zoe.id, "", "Yes, next week.")
            },
            SyncTrigger::Manual,
        )
        .await
        .expect("the reply goes");
    let asked = in_mailbox(&w, "<q1@acme.example>");
    let answered = in_mailbox(&w, &reply.message_id);
    assert_eq!(answered[0].1["subject"], "Re: Question");
    assert_eq!(
        answered[0].1["conversationId"], asked[0].1["conversationId"],
        "the reply's In-Reply-To puts it in the question's conversation"
    );
    assert_eq!(
        Some(reply.thread_id.as_str()),
        asked[0].1["conversationId"].as_str(),
        "the reply is recorded in the conversation"
    );

    let again = sync(&w).await;
    assert_eq!(
        again.created, 0,
        "the sent copies are the emails already recorded: {again:?}"
    );
    assert_eq!(
        emails(&w, acme.id).await,
        vec![
            ("Question".to_string(), "inbound".to_string()),
            ("The plan".to_string(), "outbound".to_string()),
            ("Re: Question".to_string(), "outbound".to_string()),
        ]
    );

    // Zoë answers the plan from her own mail program.
    control(
        &w,
        "microsoft/messages",
        json!({ "folder": "inbox", "from": "zoe@acme.example", "to": [OWNER], "subject": "Re: The plan",
                "received_ms": T0 + 60_000, "in_reply_to": sent.message_id }),
    )
    .await;
    assert_eq!(sync(&w).await.created, 1);
    let replied: Option<i64> =
        sqlx::query_scalar("SELECT replied_at FROM emails WHERE activity_id = ?")
            .bind(sent.activity_id)
            .fetch_one(w.crm.database().pool())
            .await
            .unwrap();
    assert_eq!(
        replied,
        Some(T0 + 60_000),
        "the answer marks the tracked email replied"
    );
}

#[tokio::test]
async fn send_from_picks_the_account_and_a_reply_goes_from_the_mailbox_holding_the_mail() {
    let (w, outlook) = world_with(SENDING.to_vec()).await;
    let google = w
        .accounts
        .connect_with_loopback(
            &cremmy_protocol::accounts::ConnectRequest {
                provider: Provider::Google,
                features: SENDING.to_vec(),
                login_hint: None,
            },
            crate::accounts_support::browser(Default::default()),
            std::time::Duration::from_secs(20),
        )
        .await
        .expect("Gmail connects beside Outlook");
    let acme = client(&w.crm, "Acme").await;
    let zoe = contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;

    let plain = w
        .sync
        .send_email(&email(zoe.id, "First", "Hello"), SyncTrigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        plain.account_email, outlook.email,
        "no choice: the first account allowed to send"
    );
    let chosen = w
        .sync
        .send_email(
            &SendEmailInput {
                from_account: Some(google.id),
                ..email(zoe.id, "Second", "Hello")
            },
            SyncTrigger::Manual,
        )
        .await
        .unwrap();
    assert_eq!(chosen.account_email, google.email, "Send from: Gmail");
    assert!(
        in_mailbox(&w, &chosen.message_id).is_empty(),
        "nothing went through Outlook"
    );

    // Mail only the Gmail account received: the reply goes from Gmail, in its thread.
    control(
        &w,
        "google/messages",
        json!({ "from": "zoe@acme.example", "to": google.email, "subject": "Gmail only",
                "internal_date": T0 - DAY, "message_id": "<g1@acme.example>" }),
    )
    .await;
    w.sync
        .sync_now(&Default::default(), SyncTrigger::Cli)
        .await
        .unwrap();
    let held = activity(&w, "Gmail only").await;
    let reply = w
        .sync
        .send_email(
            &SendEmailInput {
                reply_to: Some(held),
                ..email(zoe.id, "", "Thanks")
            },
            SyncTrigger::Manual,
        )
        .await
        .unwrap();
    assert_eq!(
        reply.account_email, google.email,
        "the reply goes from the mailbox holding the mail"
    );

    let refused = w
        .sync
        .send_email(
            &SendEmailInput {
                from_account: Some(google.id + outlook.id + 100),
                ..email(zoe.id, "Third", "Hello")
            },
            SyncTrigger::Manual,
        )
        .await
        .expect_err("an account that cannot send is refused, not replaced");
    use cremmy_core::HasErrorCode;
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    assert!(refused.to_string().contains("Send from"), "{refused}");
}

#[tokio::test]
async fn a_deal_entering_proposal_drafts_the_email_in_outlook() {
    let (w, _) = world_with(SENDING.to_vec()).await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = w
        .crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Audit".into(),
            value_minor: 500_000,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let proposal = w
        .crm
        .stages()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Proposal")
        .expect("the default Proposal stage")
        .id;
    w.crm
        .move_deal(DealMove {
            deal_id: deal.id,
            stage_id: proposal,
            index: 0,
        })
        .await
        .unwrap();
    settle_rules(&w.sync).await;

    let drafts: Vec<Value> = w
        .sandbox
        .shared
        .lock()
        .microsoft
        .messages
        .iter()
        .filter(|m| m.folder == "drafts")
        .map(|m| m.resource.clone())
        .collect();
    assert_eq!(
        drafts.len(),
        1,
        "one draft in Outlook's Drafts: {drafts:#?}"
    );
    assert_eq!(drafts[0]["subject"], "Proposal for Audit");
    assert_eq!(drafts[0]["isDraft"], true, "drafted, not sent");
    assert_eq!(
        drafts[0]["toRecipients"][0]["emailAddress"]["address"],
        "zoe@acme.example"
    );
    let timeline = w.crm.timeline(acme.id, None, 0).await.unwrap().items;
    assert!(
        timeline
            .iter()
            .any(|a| a.subject.contains("Outlook draft created")),
        "the timeline names the product the draft is in: {timeline:?}"
    );
}

/// An attempt cut off by a crash left a draft (not yet noted), or sent it (not yet recorded):
/// the next attempt, with the same Message-ID, finds either by Message-ID and never sends twice.
#[tokio::test]
async fn a_retry_after_a_crash_sends_the_earlier_draft_once_or_records_the_earlier_send() {
    use cremmy_core::features::mail::send::{send_email, MailOutbox, Outgoing, SendAttempt};
    let (w, account) = world_with(SENDING.to_vec()).await;
    let acme = client(&w.crm, "Acme").await;
    let zoe = contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let session = w
        .sync
        .providers()
        .session(&account)
        .expect("a Graph session");
    let outbox = session.outbox(&account.email, true).expect("Outlook sends");
    let earlier_draft = |message_id: &'static str| {
        Outgoing {
            from: OWNER,
            to: Some(("Zoë Müller", "zoe@acme.example")),
            subject: "Crash",
            body: "Hello",
            message_id,
            references: Vec::new(),
            sent_at: T0,
        }
        .to_rfc5322()
        .unwrap()
    };
    let db = w.crm.database();
    let retry = |message_id: &'static str| SendAttempt {
        message_id: message_id.into(),
        maybe_sent: true,
    };

    // 1. The draft was made, then the process died.
    outbox
        .create_draft(earlier_draft("<cremmy.a@outlook.example>"), None)
        .await
        .unwrap();
    send_email(
        db,
        &outbox,
        account.id,
        &email(zoe.id, "Crash", "Hello"),
        T0,
        &retry("<cremmy.a@outlook.example>"),
    )
    .await
    .expect("the retry sends");
    let a = in_mailbox(&w, "<cremmy.a@outlook.example>");
    assert_eq!(
        a.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        vec!["sentitems"],
        "the earlier draft was sent; no second one was made"
    );

    // 2. The draft was made and sent, then the process died before recording it.
    let draft = outbox
        .create_draft(earlier_draft("<cremmy.b@outlook.example>"), None)
        .await
        .unwrap();
    outbox
        .send_draft(&draft.draft_id)
        .await
        .unwrap()
        .expect("sent");
    let before = graph_requests(&w).len();
    let recorded = send_email(
        db,
        &outbox,
        account.id,
        &email(zoe.id, "Crash", "Hello"),
        T0,
        &retry("<cremmy.b@outlook.example>"),
    )
    .await
    .expect("the retry records what went");
    let b = in_mailbox(&w, "<cremmy.b@outlook.example>");
    assert_eq!(b.len(), 1, "sent once: {b:?}");
    let after = &graph_requests(&w)[before..];
    assert!(
        after.iter().all(|c| !c.starts_with("POST")),
        "found by Message-ID, nothing made or sent again: {after:#?}"
    );
    assert_eq!(recorded.message_id, "<cremmy.b@outlook.example>");
    assert_eq!(
        emails(&w, acme.id).await.len(),
        2,
        "each email recorded once"
    );
}
