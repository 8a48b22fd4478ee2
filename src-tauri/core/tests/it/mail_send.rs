//! "Send email" and reply tracking against the provider sandbox: the message Gmail receives, the
//! outgoing activity, the thread a reply keeps, and the client's answer marking it replied.

use cremmy_core::features::mail::send::{reply_subject, Outgoing};
use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::crm::{DealInput, Direction};
use cremmy_protocol::mail::SendEmailInput;
use cremmy_protocol::sync::{SyncRunQuery, SyncTrigger};
use cremmy_protocol::ErrorCode;
use serde_json::json;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, sync_once, MailWorld};
use crate::support::{client, contact, T0};

const OWNER: &str = "consultant@sandbox.example";

/// The owner's mailbox in the sandbox: (Message-ID, thread, labels, a header).
fn sent_messages(w: &MailWorld) -> Vec<sandbox_message::Seen> {
    let world = w.t.sandbox.shared.lock();
    world
        .google
        .mailboxes
        .get(OWNER)
        .map(|m| {
            m.messages
                .iter()
                .filter(|m| m.label_ids.iter().any(|l| l == "SENT"))
                .map(sandbox_message::Seen::of)
                .collect()
        })
        .unwrap_or_default()
}

mod sandbox_message {
    #[derive(Debug, Clone)]
    pub struct Seen {
        pub message_id: String,
        pub thread_id: String,
        pub to: String,
        pub subject: String,
        pub in_reply_to: Option<String>,
        pub references: Option<String>,
        pub body: String,
    }

    impl Seen {
        pub fn of(m: &cremmy_sandbox::google::gmail::GmailMessage) -> Seen {
            Seen {
                message_id: m.header("Message-ID").unwrap_or_default().to_string(),
                thread_id: m.thread_id.clone(),
                to: m.header("To").unwrap_or_default().to_string(),
                subject: m.header("Subject").unwrap_or_default().to_string(),
                in_reply_to: m.header("In-Reply-To").map(str::to_string),
                references: m.header("References").map(str::to_string),
                body: m.body.clone(),
            }
        }
    }
}

#[test]
fn the_message_is_rfc5322_built_by_a_mime_library() {
    let raw = Outgoing {
        from: OWNER,
        to: Some(("Zoë Müller", "zoe@client.example")),
        subject: "Angebot für Q3 — next steps",
        body: "Hello Zoë,\n\nline two",
        message_id: "<cremmy.1.ab@sandbox.example>",
        references: vec!["<a@x>".into(), "<b@x>".into()],
        sent_at: T0,
    }
    .to_rfc5322()
    .unwrap();
    let parsed = mailparse::parse_mail(&raw).expect("parses back");
    use mailparse::MailHeaderMap;
    let h = |n: &str| parsed.headers.get_first_value(n).unwrap_or_default();
    assert_eq!(
        h("Subject"),
        "Angebot für Q3 — next steps",
        "non-ASCII subject is encoded, not mangled"
    );
    assert!(
        h("To").contains("zoe@client.example") && h("To").contains("Zoë"),
        "{}",
        h("To")
    );
    assert_eq!(h("Message-ID"), "<cremmy.1.ab@sandbox.example>");
    assert_eq!(h("In-Reply-To"), "<b@x>", "answers the last of the chain");
    assert!(h("References").contains("<a@x>") && h("References").contains("<b@x>"));
    assert!(h("Date").contains("2026"), "{}", h("Date"));
    assert_eq!(
        parsed.get_body().unwrap().replace("\r\n", "\n").trim_end(),
        "Hello Zoë,\n\nline two"
    );
    assert_eq!(reply_subject("Proposal"), "Re: Proposal");
    assert_eq!(reply_subject("RE: Proposal"), "RE: Proposal", "not Re: Re:");
}

#[tokio::test]
async fn sent_mail_is_logged_tracked_and_marked_replied_when_the_client_answers() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    let zoe = contact(&w.crm, acme.id, "Zoë Müller", &["zoe@acme.example"]).await;
    let deal = w
        .crm
        .create_deal(&DealInput {
            client_id: acme.id,
            title: "Website relaunch".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    connect(&w.t, &[Feature::MailIngest, Feature::MailSend]).await;
    sync_once(&w, false).await;

    let sent = w
        .sync
        .send_email(
            &SendEmailInput {
                contact_id: zoe.id,
                subject: "Proposal".into(),
                body: "Hi Zoë, the proposal is attached.".into(),
                deal_id: Some(deal.id),
                ..Default::default()
            },
            SyncTrigger::Manual,
        )
        .await
        .expect("sent");
    let in_gmail = sent_messages(&w);
    assert_eq!(in_gmail.len(), 1, "Gmail received one message");
    assert!(in_gmail[0].to.contains("zoe@acme.example"));
    assert_eq!(in_gmail[0].subject, "Proposal");
    assert_eq!(
        in_gmail[0].message_id, sent.message_id,
        "the Message-ID Gmail kept is the one recorded"
    );
    assert!(in_gmail[0].body.contains("the proposal is attached"));

    let timeline = w.crm.timeline(acme.id, None, 0).await.unwrap().items;
    let outgoing = timeline
        .iter()
        .find(|a| a.id == sent.activity_id)
        .expect("on the timeline");
    assert_eq!(outgoing.direction, Direction::Outbound);
    assert!(outgoing.tracked && outgoing.replied_at.is_none());
    assert_eq!(outgoing.deal_id, Some(deal.id));

    // A sync sees the sent message in the mailbox: no second activity.
    sync_once(&w, false).await;
    let emails = |w: &MailWorld| {
        let pool = w.t.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM activities WHERE kind = 'email'")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        emails(&w).await,
        1,
        "the sent message is not imported twice"
    );

    // Zoë answers; the next sync marks the email and the deal replied.
    let answered_at = T0 + 3_600_000;
    post(
        &w,
        "google/messages",
        json!({ "from": "Zoë Müller <zoe@acme.example>", "to": OWNER, "subject": "Re: Proposal",
                "body": "Looks good!", "in_reply_to": sent.message_id, "internal_date": answered_at }),
    )
    .await;
    sync_once(&w, false).await;
    let timeline = w.crm.timeline(acme.id, None, 0).await.unwrap().items;
    let outgoing = timeline.iter().find(|a| a.id == sent.activity_id).unwrap();
    assert_eq!(
        outgoing.replied_at,
        Some(answered_at),
        "marked replied at the answer's time"
    );
    let board_deal = w
        .crm
        .deals_of(acme.id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == deal.id)
        .unwrap();
    assert_eq!(
        board_deal.replied_at,
        Some(answered_at),
        "the deal shows \"replied\""
    );
    let reply = timeline
        .iter()
        .find(|a| a.direction == Direction::Inbound)
        .expect("the answer is on the timeline");

    // Replying from Cremmy keeps the thread.
    let second = w
        .sync
        .send_email(
            &SendEmailInput {
                contact_id: zoe.id,
                subject: String::new(),
                body: "Great, I'll send the contract.".into(),
                reply_to: Some(reply.id),
                deal_id: Some(deal.id),
                from_account: None,
            },
            SyncTrigger::Manual,
        )
        .await
        .expect("reply sent");
    let in_gmail = sent_messages(&w);
    let answer = in_gmail
        .iter()
        .find(|m| m.message_id == second.message_id)
        .unwrap();
    assert_eq!(answer.subject, "Re: Proposal");
    assert_eq!(
        answer.thread_id, in_gmail[0].thread_id,
        "the same Gmail thread"
    );
    let replied_to: String =
        sqlx::query_scalar("SELECT message_id FROM emails WHERE activity_id = ?")
            .bind(reply.id)
            .fetch_one(w.t.db.pool())
            .await
            .unwrap();
    assert_eq!(answer.in_reply_to.as_deref(), Some(replied_to.as_str()));
    let references = answer.references.clone().unwrap_or_default();
    assert!(
        references.contains(&sent.message_id) && references.contains(&replied_to),
        "References carry the chain: {references}"
    );
    assert_eq!(second.thread_id, sent.thread_id);
    let runs = w.sync.runs(&SyncRunQuery::default()).await.unwrap();
    assert_eq!(
        runs.iter().filter(|r| r.kind == "send").count(),
        2,
        "each send is in the sync log"
    );
}

#[tokio::test]
async fn bad_input_and_missing_access_send_nothing() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    let no_email = contact(&w.crm, acme.id, "Phone Only", &[]).await;
    let zoe = contact(&w.crm, acme.id, "Zoë", &["zoe@acme.example"]).await;
    let input = |contact_id, subject: &str, body: &str| SendEmailInput {
        contact_id,
        subject: subject.into(),
        body: body.into(),
        ..Default::default()
    };

    connect(&w.t, &[Feature::MailIngest]).await;
    let e = w
        .sync
        .send_email(&input(zoe.id, "Hi", "Hello"), SyncTrigger::Manual)
        .await
        .expect_err("no account may send");
    assert_eq!(e.code(), ErrorCode::NotConfigured);

    connect(&w.t, &[Feature::MailSend]).await;
    let cases = [
        (
            "a contact without an address",
            input(no_email.id, "Hi", "Hello"),
            "no email address",
        ),
        ("an empty message", input(zoe.id, "Hi", "  "), "empty"),
        ("no subject", input(zoe.id, " ", "Hello"), "subject"),
        (
            "a deleted contact",
            input(999_999, "Hi", "Hello"),
            "no longer exists",
        ),
    ];
    for (why, bad, says) in cases {
        let e = w
            .sync
            .send_email(&bad, SyncTrigger::Manual)
            .await
            .expect_err(why);
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{why}");
        assert!(e.to_string().contains(says), "{why}: {e}");
    }
    assert!(sent_messages(&w).is_empty(), "nothing reached Gmail");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM activities WHERE kind = 'email'")
        .fetch_one(w.t.db.pool())
        .await
        .unwrap();
    assert_eq!(recorded, 0, "nothing was recorded");

    // Compose-only grant: sent without reading the message back.
    let sent = w
        .sync
        .send_email(&input(zoe.id, "Hi", "Hello"), SyncTrigger::Manual)
        .await
        .expect("sent with gmail.compose only");
    assert_eq!(sent_messages(&w)[0].message_id, sent.message_id);
}

#[test]
fn a_subject_or_name_from_untrusted_text_cannot_add_a_header() {
    let raw = Outgoing {
        from: OWNER,
        to: Some(("Eve\r\nBcc: spy@evil.example", "zoe@client.example")),
        subject: "Proposal for x\r\nBcc: a@b.c\r\nX-Injected: yes",
        body: "Hello",
        message_id: "<cremmy.2.ab@sandbox.example>",
        references: vec![],
        sent_at: T0,
    }
    .to_rfc5322()
    .unwrap();
    let parsed = mailparse::parse_mail(&raw).expect("parses back");
    use mailparse::MailHeaderMap;
    assert_eq!(
        parsed.headers.get_all_values("Subject").len(),
        1,
        "one Subject header"
    );
    assert!(
        parsed.headers.get_first_value("Bcc").is_none(),
        "no Bcc was injected"
    );
    assert!(
        parsed.headers.get_first_value("X-Injected").is_none(),
        "no header was injected"
    );
    let subject = parsed.headers.get_first_value("Subject").unwrap();
    assert!(
        subject.starts_with("Proposal for x") && !subject.contains('\n'),
        "the text stays in the subject, on one line: {subject:?}"
    );
    assert_eq!(
        cremmy_core::features::mail::send::header_text("a\u{0}b\tc\u{1b}d"),
        "a b c d",
        "every control character becomes a space"
    );
}

#[test]
fn the_email_validator_refuses_characters_that_break_headers_and_searches() {
    use cremmy_core::crm::validate_email;
    for bad in [
        "a,b@x.example",
        "a;b@x.example",
        "\"a\"@x.example",
        "a<b>@x.example",
        "a(b)@x.example",
        "{a}@x.example",
        "a:b@x.example",
        "a b@x.example",
    ] {
        assert!(validate_email(bad).is_err(), "{bad} must be refused");
    }
    for good in [
        "ada@x.example",
        "first.last+tag@sub.x.example",
        "o'brien@x.example",
    ] {
        assert!(
            validate_email(good).is_ok(),
            "{good} is an ordinary address"
        );
    }
}

/// A reply to mail that reached Cremmy through another account: the sending mailbox has its own
/// copy in its own thread, which the reply must name (with References and the same subject) for
/// Gmail to thread it.
#[tokio::test]
async fn a_reply_to_mail_synced_through_another_account_joins_the_senders_thread() {
    const PARTNER: &str = "partner@sandbox.example";
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    let zoe = contact(&w.crm, acme.id, "Zoë", &["zoe@acme.example"]).await;
    // Zoë writes to both; each mailbox files its copy in a thread of its own.
    let mut threads = Vec::new();
    for account in [OWNER, PARTNER] {
        let stored = post(
            &w,
            "google/messages",
            json!({ "account": account, "from": "zoe@acme.example", "to": format!("{OWNER}, {PARTNER}"),
                    "subject": "Workshop dates", "body": "Which week?", "message_id": "<q-1@acme.example>",
                    "internal_date": T0 - 3_600_000 }),
        )
        .await;
        threads.push(stored["threadId"].as_str().unwrap().to_string());
    }
    assert_ne!(threads[0], threads[1], "two mailboxes, two threads");
    connect(&w.t, &[Feature::MailIngest]).await;
    sync_once(&w, false).await;
    let question = w.crm.client_page(acme.id).await.unwrap().timeline.items[0].id;
    // The partner account sends (the owner's grant may not); it never synced the question.
    crate::accounts_support::connect_as(&w.t, PARTNER, &[Feature::MailIngest, Feature::MailSend])
        .await;
    let sent = w
        .sync
        .send_email(
            &SendEmailInput {
                contact_id: zoe.id,
                subject: String::new(),
                body: "The second week.".into(),
                reply_to: Some(question),
                deal_id: None,
                from_account: None,
            },
            SyncTrigger::Manual,
        )
        .await
        .expect("reply sent");
    assert_eq!(sent.account_email, PARTNER);
    assert_eq!(
        sent.thread_id, threads[1],
        "the reply is in the partner mailbox's thread of the question"
    );
}
