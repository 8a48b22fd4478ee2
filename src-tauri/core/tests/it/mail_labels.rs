//! What a message is, not only that it exists: drafts (DRAFT), spam and trash are not client
//! email; a draft becomes email when it is sent (a new SENT message); a message moved to Trash or
//! deleted leaves the timeline, and comes back when it is restored. Against the sandbox's Gmail
//! history (messagesAdded, labelsAdded, labelsRemoved, messagesDeleted).

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::sync::SyncRunStatus;
use cremmy_sandbox::google::gmail::NewMessage;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, sync_once, MailWorld};
use crate::support::{client, contact, T0};

const OWNER: &str = "consultant@sandbox.example";

fn add(w: &MailWorld, m: NewMessage) -> String {
    let mut world = w.t.sandbox.shared.lock();
    world.google.mailbox(OWNER).add(OWNER, m).id
}

/// The email activities, oldest first: (subject, direction).
async fn emails(w: &MailWorld) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT subject, direction FROM activities WHERE kind = 'email' ORDER BY occurred_at, id",
    )
    .fetch_all(w.t.db.pool())
    .await
    .unwrap()
}

async fn sync_ok(w: &MailWorld) {
    let run = sync_once(w, false).await;
    assert_eq!(run.status, SyncRunStatus::Ok, "{run:?}");
}

fn s(subject: &str, direction: &str) -> (String, String) {
    (subject.to_string(), direction.to_string())
}

#[tokio::test]
async fn drafts_spam_and_trash_are_not_email_and_changes_follow_the_labels() {
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Dana", &["dana@acme.example"]).await;
    let question = add(
        &w,
        NewMessage {
            from: "dana@acme.example".into(),
            to: OWNER.into(),
            subject: "Question".into(),
            internal_date: Some(T0 - 7_200_000),
            ..Default::default()
        },
    );
    // The consultant's own unsent text, already there at the first (full) sync.
    add(
        &w,
        NewMessage {
            from: OWNER.into(),
            to: "dana@acme.example".into(),
            subject: "Half-written answer".into(),
            internal_date: Some(T0 - 3_600_000),
            draft: true,
            ..Default::default()
        },
    );
    connect(&w.t, &[Feature::MailIngest]).await;
    sync_ok(&w).await;
    assert_eq!(
        emails(&w).await,
        [s("Question", "inbound")],
        "a draft is not email (full sync)"
    );

    // A new draft arrives through history as messageAdded with the DRAFT label.
    let draft = add(
        &w,
        NewMessage {
            from: OWNER.into(),
            to: "dana@acme.example".into(),
            subject: "Proposal for Acme".into(),
            internal_date: Some(T0 - 1_800_000),
            draft: true,
            ..Default::default()
        },
    );
    sync_ok(&w).await;
    assert_eq!(
        emails(&w).await,
        [s("Question", "inbound")],
        "a draft is not email (history)"
    );

    // Sent: Gmail deletes the draft and adds a new SENT message.
    w.t.sandbox
        .shared
        .lock()
        .google
        .mailbox(OWNER)
        .send_draft(OWNER, &format!("r-{draft}"))
        .expect("the draft is sent");
    sync_ok(&w).await;
    let after_send = emails(&w).await;
    assert_eq!(
        after_send.len(),
        2,
        "the sent draft is email now: {after_send:?}"
    );
    assert!(after_send.contains(&s("Proposal for Acme", "outbound")));

    // Spam arriving is not client email.
    let spam = add(
        &w,
        NewMessage {
            from: "dana@acme.example".into(),
            to: OWNER.into(),
            subject: "Cheap watches".into(),
            ..Default::default()
        },
    );
    w.t.sandbox
        .shared
        .lock()
        .google
        .mailbox(OWNER)
        .remove_labels(&spam, &["INBOX"]);
    w.t.sandbox
        .shared
        .lock()
        .google
        .mailbox(OWNER)
        .add_labels(&spam, &["SPAM"]);
    sync_ok(&w).await;
    assert_eq!(emails(&w).await.len(), 2, "spam is not recorded");

    // The question goes to Trash: it leaves the timeline; restored, it comes back.
    w.t.sandbox
        .shared
        .lock()
        .google
        .mailbox(OWNER)
        .add_labels(&question, &["TRASH"]);
    sync_ok(&w).await;
    assert_eq!(
        emails(&w).await,
        [s("Proposal for Acme", "outbound")],
        "a trashed message leaves the timeline"
    );
    w.t.sandbox
        .shared
        .lock()
        .google
        .mailbox(OWNER)
        .remove_labels(&question, &["TRASH"]);
    sync_ok(&w).await;
    assert_eq!(
        emails(&w).await.len(),
        2,
        "restored from Trash, it is back: {:?}",
        emails(&w).await
    );

    // Deleted for good: gone from the timeline.
    w.t.sandbox
        .shared
        .lock()
        .google
        .mailbox(OWNER)
        .delete(&question);
    sync_ok(&w).await;
    assert_eq!(emails(&w).await, [s("Proposal for Acme", "outbound")]);
}

#[test]
fn each_messages_last_change_decides() {
    use cremmy_core::features::mail::{settle, MessageChange, MessageRef};
    let came = |id: &str| {
        MessageChange::Appeared(MessageRef {
            provider_id: id.into(),
            thread_id: "t".into(),
        })
    };
    let went = |id: &str| MessageChange::Gone {
        provider_id: id.into(),
    };
    let cases = [
        ("new mail", vec![came("a")], vec!["a"], vec![]),
        ("deleted", vec![went("a")], vec![], vec!["a"]),
        (
            "trashed then restored",
            vec![went("a"), came("a")],
            vec!["a"],
            vec![],
        ),
        (
            "restored then trashed",
            vec![came("a"), went("a")],
            vec![],
            vec!["a"],
        ),
        (
            "two messages keep their first-seen order",
            vec![came("b"), came("a"), went("b"), came("b")],
            vec!["b", "a"],
            vec![],
        ),
    ];
    for (why, changes, appeared, gone) in cases {
        let (a, g) = settle(changes);
        let a: Vec<String> = a.into_iter().map(|r| r.provider_id).collect();
        assert_eq!(
            (a, g),
            (
                appeared.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                gone.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            ),
            "{why}"
        );
    }
}

/// Catching up after a long offline spell commits in chunks as it goes, and moves the cursor only
/// at the end: a failure midway keeps what was committed and leaves the cursor where it was, and
/// the next run finishes without duplicates.
#[tokio::test]
async fn catching_up_commits_in_chunks_and_moves_the_cursor_last() {
    use cremmy_core::features::mail::IMPORT_CHUNK;
    let w = mail_world().await;
    let acme = client(&w.crm, "Acme").await;
    contact(&w.crm, acme.id, "Dana", &["dana@acme.example"]).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    sync_ok(&w).await;
    let cursor = || async {
        let c: Option<String> =
            sqlx::query_scalar("SELECT cursor FROM sync_cursors WHERE stream = 'mail'")
                .fetch_one(w.t.db.pool())
                .await
                .unwrap();
        c
    };
    let before = cursor().await;
    let many = IMPORT_CHUNK + 150;
    for i in 0..many {
        add(
            &w,
            NewMessage {
                from: "dana@acme.example".into(),
                to: OWNER.into(),
                subject: format!("Note {i}"),
                internal_date: Some(T0 - 3_600_000 + i as i64),
                ..Default::default()
            },
        );
    }
    // Reading message headers stops working partway into the second chunk.
    let r = crate::accounts_support::http()
        .post(format!("{}_sandbox/faults", w.t.sandbox.base_url()))
        .json(&serde_json::json!({ "rules": [
            { "path": "/gmail/v1/users/me/messages/", "method": "GET", "after": IMPORT_CHUNK + 50,
              "fault": { "kind": "status", "status": 403, "reason": "forbidden" } },
        ] }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let cut = sync_once(&w, false).await;
    assert_eq!(cut.status, SyncRunStatus::Failed, "{cut:?}");
    let kept = emails(&w).await.len();
    assert!(
        kept >= IMPORT_CHUNK && kept < many,
        "the chunks fetched before the failure are committed: {kept} of {many}"
    );
    assert_eq!(
        cursor().await,
        before,
        "the cursor did not move past what is missing"
    );

    crate::accounts_support::http()
        .post(format!("{}_sandbox/faults", w.t.sandbox.base_url()))
        .json(&serde_json::json!({ "rules": [] }))
        .send()
        .await
        .unwrap();
    sync_ok(&w).await;
    let all = emails(&w).await;
    assert_eq!(all.len(), many, "everything, each once");
    assert_ne!(cursor().await, before, "then the cursor moved");
}
