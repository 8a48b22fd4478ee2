//! Texting against the provider sandbox's Twilio (which follows Twilio's pages), through the same
//! runner the window and the CLI use: connecting (nothing stored on wrong credentials), the
//! composer's preview, sending once even when an attempt's outcome was lost, delivery status, a
//! refused key. Replies, opt-outs and calls: `texting_inbound.rs`.

use std::net::SocketAddr;
use std::sync::Arc;

use cremmy_core::accounts::{Accounts, OAuthApps};
use cremmy_core::clock::ManualClock;
use cremmy_core::crm::Crm;
use cremmy_core::endpoints::Endpoints;
use cremmy_core::features::texts::{e164, opt_keyword, send};
use cremmy_core::providers::google::Google;
use cremmy_core::sync::SyncRunner;
use cremmy_core::{Database, HasErrorCode};
use cremmy_protocol::accounts::{AccountStatus, Feature};
use cremmy_protocol::crm::{ActivityKind, ContactInput, Direction};
use cremmy_protocol::sms::{count_segments, ApiKeyConnect, TextDraft, TextEncoding};
use cremmy_protocol::sync::{SyncRequest, SyncTrigger};
use cremmy_protocol::{ErrorCode, Provider};
use cremmy_sandbox::Sandbox;

use crate::support::{client, T0};

const ACCOUNT: &str = "AC00000000000000000000000000000001";
const KEY: &str = "SK00000000000000000000000000000001";
const SECRET: &str = "sandbox-api-key-secret";
pub const OUR_NUMBER: &str = "+15005550006";
/// Zoë's mobile, as a user types it (US region).
pub const ZOE_TYPED: &str = "(415) 555-2671";
pub const ZOE: &str = "+14155552671";

pub struct TextWorld {
    pub sandbox: Sandbox,
    pub sync: SyncRunner,
    pub crm: Crm,
    pub accounts: Accounts,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

pub async fn text_world() -> TextWorld {
    text_world_with(OAuthApps::default()).await
}

/// The same world, with these OAuth apps (a provider signed in to through the sandbox).
pub async fn text_world_with(apps: OAuthApps) -> TextWorld {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox");
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    let clock = Arc::new(ManualClock::at(T0));
    let base = sandbox.base_url();
    let endpoints = Endpoints::from_lookup(|k| {
        (k == "CREMMY_GOOGLE_BASE_URL"
            || k == "CREMMY_TWILIO_BASE_URL"
            || k == "CREMMY_STRIPE_BASE_URL"
            || k == "CREMMY_XERO_BASE_URL"
            || k == "CREMMY_QUICKBOOKS_BASE_URL"
            || k == "CREMMY_MICROSOFT_BASE_URL"
            || k == "CREMMY_HUBSPOT_BASE_URL"
            || k == "CREMMY_PIPEDRIVE_BASE_URL")
            .then(|| base.clone())
    });
    let accounts = Accounts::open(db.clone(), clock.clone(), endpoints.clone(), apps)
        .await
        .unwrap();
    let google = Google::new(accounts.clone(), clock.clone(), &endpoints).unwrap();
    let sync = SyncRunner::new(db.clone(), clock.clone(), google);
    TextWorld {
        crm: sync.crm().clone(),
        sandbox,
        sync,
        accounts,
        clock,
        _dir: dir,
    }
}

fn key_request(secret: &str) -> ApiKeyConnect {
    ApiKeyConnect {
        provider: Provider::Twilio,
        account: ACCOUNT.into(),
        key_id: Some(KEY.into()),
        secret: secret.into(),
    }
}

pub async fn control(w: &TextWorld, path: &str, body: serde_json::Value) {
    let r = crate::accounts_support::http()
        .post(format!("{}_sandbox/twilio/{path}", w.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sandbox control {path}");
}

/// A client with one contact whose phone is `phone`; returns (client id, contact id).
pub async fn client_with_phone(w: &TextWorld, name: &str, person: &str, phone: &str) -> (i64, i64) {
    let c = client(&w.crm, name).await;
    let contact = w
        .crm
        .create_contact(&ContactInput {
            client_id: c.id,
            name: person.into(),
            phones: vec![phone.into()],
            ..ContactInput::default()
        })
        .await
        .unwrap();
    (c.id, contact.id)
}

/// A world with Twilio connected (the sandbox's API key).
pub async fn connected() -> TextWorld {
    let w = text_world().await;
    w.sync.connect_texting(&key_request(SECRET)).await.unwrap();
    w
}

/// What a process that died right after Twilio took its texts leaves: no record of them here.
pub async fn forget_recorded_texts(w: &TextWorld) {
    let db = w.crm.database().writer();
    sqlx::query("DELETE FROM texts").execute(db).await.unwrap();
    sqlx::query("DELETE FROM activities WHERE kind = 'sms'")
        .execute(db)
        .await
        .unwrap();
}

/// Outbound messages the sandbox holds, as (to, body).
pub fn sandbox_sent(w: &TextWorld) -> Vec<(String, String)> {
    let world = w.sandbox.shared.lock();
    world
        .twilio
        .messages
        .iter()
        .filter(|m| !m.inbound)
        .map(|m| (m.to.clone(), m.body.clone()))
        .collect()
}

pub async fn sync_all(w: &TextWorld) {
    let runs = w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Manual)
        .await
        .expect("sync");
    for r in &runs {
        assert!(
            r.error.is_none(),
            "{:?} failed: {:?}",
            r.integration,
            r.error
        );
    }
}

pub fn draft(client_id: i64, body: &str) -> TextDraft {
    TextDraft {
        client_id,
        body: body.into(),
        ..TextDraft::default()
    }
}

#[test]
fn segments_are_counted_as_carriers_bill_them() {
    let cases: [(&str, TextEncoding, u32, u32); 7] = [
        ("", TextEncoding::Gsm7, 0, 0),
        ("Hello", TextEncoding::Gsm7, 5, 1),
        (&"a".repeat(160), TextEncoding::Gsm7, 160, 1),
        (&"a".repeat(161), TextEncoding::Gsm7, 161, 2),
        // € and [ are in GSM-7's extension table: two septets each.
        ("€[", TextEncoding::Gsm7, 4, 1),
        // One emoji makes the whole text UCS-2 (70 per single, 67 per part).
        (&format!("{}🙂", "a".repeat(68)), TextEncoding::Ucs2, 70, 1),
        (&format!("{}🙂", "a".repeat(69)), TextEncoding::Ucs2, 71, 2),
    ];
    for (body, encoding, units, segments) in cases {
        let c = count_segments(body);
        assert_eq!(
            (c.encoding, c.units, c.segments),
            (encoding, units, segments),
            "{body:?}"
        );
    }
    assert_eq!(
        count_segments(&"é".repeat(307)).segments,
        3,
        "153 per part: 307 septets take 3"
    );
}

#[test]
fn numbers_become_e164_in_the_default_region_and_garbage_is_refused() {
    let cases = [
        ("(415) 555-2671", "US", Some("+14155552671")),
        ("+44 20 7946 0958", "US", Some("+442079460958")),
        ("020 7946 0958", "GB", Some("+442079460958")),
        ("whatsapp:+14155552671", "US", Some("whatsapp:+14155552671")),
        ("12", "US", None),
        ("call me", "US", None),
        ("", "US", None),
    ];
    for (raw, region, want) in cases {
        assert_eq!(
            e164(raw, region).ok().as_deref(),
            want,
            "{raw:?} in {region}"
        );
    }
    assert_eq!(opt_keyword(" stop "), Some(true));
    assert_eq!(opt_keyword("Unsubscribe."), Some(true));
    assert_eq!(opt_keyword("start"), Some(false));
    assert_eq!(
        opt_keyword("please stop texting me"),
        None,
        "only the keyword alone counts"
    );
}

#[tokio::test]
async fn wrong_credentials_store_nothing_and_right_ones_list_the_senders() {
    let w = text_world().await;
    let refused = w
        .sync
        .connect_texting(&key_request("not-the-secret"))
        .await
        .expect_err("a wrong secret");
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    assert!(
        refused.to_string().contains("Nothing was stored"),
        "{refused}"
    );
    assert!(
        w.accounts.list().await.unwrap().is_empty(),
        "no account row"
    );
    let malformed = w
        .sync
        .connect_texting(&ApiKeyConnect {
            account: "AC123".into(),
            ..key_request(SECRET)
        })
        .await
        .expect_err("a malformed SID is refused before any call");
    assert!(malformed.to_string().contains("Account SID"), "{malformed}");

    let setup = w
        .sync
        .connect_texting(&key_request(SECRET))
        .await
        .expect("connects");
    assert_eq!(setup.account_sid, ACCOUNT);
    assert_eq!(
        setup
            .senders
            .iter()
            .map(|s| s.address.as_str())
            .collect::<Vec<_>>(),
        [
            OUR_NUMBER,
            "whatsapp:+14155238886",
            "MG00000000000000000000000000000001"
        ],
        "the numbers, the WhatsApp sender and the Messaging Service"
    );
    assert_eq!(
        setup.settings.default_sender.as_deref(),
        Some(OUR_NUMBER),
        "the first number is the default"
    );
    assert_eq!(
        setup.settings.whatsapp_sender.as_deref(),
        Some("whatsapp:+14155238886"),
        "and the WhatsApp sender"
    );
    let account = w.accounts.get(setup.account_id).await.unwrap();
    assert_eq!(account.status, AccountStatus::Connected);
    assert_eq!(
        account.features,
        [Feature::Sms, Feature::Calls],
        "the key reaches Messages and Calls"
    );
    let stored = w
        .accounts
        .api_key(account.id)
        .await
        .expect("the secret is in the keychain");
    assert!(stored.contains(SECRET), "the keychain holds the secret");
    let on_disk: i64 = sqlx::query_scalar("SELECT count(*) FROM settings WHERE value LIKE ?")
        .bind(format!("%{SECRET}%"))
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap();
    assert_eq!(on_disk, 0, "the secret never reaches SQLite");

    w.accounts.disconnect(account.id).await.unwrap();
    let gone = w
        .accounts
        .api_key(account.id)
        .await
        .expect_err("disconnected");
    assert!(gone.to_string().contains("disconnected"), "{gone}");
}

#[tokio::test]
async fn the_preview_names_missing_variables_and_refuses_bad_numbers_before_sending() {
    let w = text_world().await;
    w.sync.connect_texting(&key_request(SECRET)).await.unwrap();
    let (acme, _) = client_with_phone(&w, "Acme", "Zoë Adams", ZOE_TYPED).await;
    let p = w
        .sync
        .text_preview(&draft(acme, "Hi {{contact_first_name}}, {{nickname}} here"))
        .await
        .unwrap();
    assert_eq!(p.to.as_deref(), Some(ZOE), "the typed number as E.164");
    assert_eq!(p.missing, ["nickname"]);
    let e = w
        .sync
        .send_text(&draft(acme, "Hi {{contact_first_name}}, {{nickname}} here"))
        .await
        .expect_err("a missing variable stops the send");
    assert!(e.to_string().contains("nickname"), "{e}");

    let ok = w
        .sync
        .text_preview(&draft(acme, "Hi {{contact_first_name}} 🙂"))
        .await
        .unwrap();
    assert_eq!(ok.body, "Hi Zoë 🙂");
    assert_eq!(ok.count.encoding, TextEncoding::Ucs2);
    assert_eq!(ok.refused, None);

    let (bad, _) = client_with_phone(&w, "Typo Ltd", "Tom", "555").await;
    let p = w.sync.text_preview(&draft(bad, "Hello")).await.unwrap();
    assert!(
        p.refused
            .as_deref()
            .is_some_and(|r| r.contains("not a valid phone number")),
        "{p:?}"
    );
    let e = w
        .sync
        .send_text(&draft(bad, "Hello"))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    let nobody = client(&w.crm, "No Phone Inc").await;
    let p = w
        .sync
        .text_preview(&draft(nobody.id, "Hello"))
        .await
        .unwrap();
    assert!(
        p.refused
            .as_deref()
            .is_some_and(|r| r.contains("no contact with a phone")),
        "{p:?}"
    );
    assert!(sandbox_sent(&w).is_empty(), "nothing reached Twilio");
}

#[tokio::test]
async fn a_text_is_sent_once_logged_on_the_timeline_and_followed_to_delivered() {
    let w = text_world().await;
    w.sync.connect_texting(&key_request(SECRET)).await.unwrap();
    w.sandbox.shared.lock().twilio.settings.status_step_ms = 60_000;
    let (acme, zoe) = client_with_phone(&w, "Acme", "Zoë Adams", ZOE_TYPED).await;
    let sent = w
        .sync
        .send_text(&draft(acme, "Hi {{contact_first_name}}, see you at 3"))
        .await
        .expect("sent");
    assert!(!sent.recovered);
    assert_eq!(sent.status, "queued", "Twilio answers queued");
    assert_eq!(
        sandbox_sent(&w),
        [(ZOE.to_string(), "Hi Zoë, see you at 3".to_string())]
    );
    let activity = w.crm.activity(sent.activity_id).await.unwrap();
    assert_eq!(activity.kind, ActivityKind::Sms);
    assert_eq!(activity.direction, Direction::Outbound);
    assert_eq!(activity.contact_id, Some(zoe));
    assert_eq!(activity.body, "Hi Zoë, see you at 3");
    assert!(activity.subject.contains("queued"), "{}", activity.subject);

    // Delivery happens later: the next sync asks for the status until it is final.
    w.sandbox.shared.lock().twilio.settings.status_step_ms = 0;
    sync_all(&w).await;
    let texts = w.sync.texts_of_client(acme).await.unwrap();
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].status, "delivered");
    let activity = w.crm.activity(sent.activity_id).await.unwrap();
    assert!(
        activity.subject.contains("delivered"),
        "{}",
        activity.subject
    );
    let asked = |w: &TextWorld| {
        w.sandbox
            .shared
            .lock()
            .log
            .entries
            .iter()
            .filter(|r| r.method == "GET" && r.path.contains(&format!("/Messages/{}", sent.sid)))
            .count()
    };
    let before = asked(&w);
    sync_all(&w).await;
    assert_eq!(asked(&w), before, "a final status is not asked for again");
}

#[tokio::test]
async fn a_retry_after_a_lost_outcome_finds_the_text_instead_of_sending_it_again() {
    let w = text_world().await;
    let setup = w.sync.connect_texting(&key_request(SECRET)).await.unwrap();
    let (acme, _) = client_with_phone(&w, "Acme", "Zoë Adams", ZOE_TYPED).await;
    let preview = w
        .sync
        .text_preview(&draft(acme, "Invoice attached"))
        .await
        .unwrap();
    let input = send::ready(&draft(acme, "Invoice attached"), &preview, OUR_NUMBER, T0).unwrap();
    let account = w.accounts.get(setup.account_id).await.unwrap();
    let providers = cremmy_core::providers::Providers::from(
        Google::new(w.accounts.clone(), w.clock.clone(), w.accounts.endpoints()).unwrap(),
    );
    let texting = providers
        .texting(&account)
        .await
        .unwrap()
        .expect("Twilio texts");
    let first = send::send_text(&w.crm, &texting, account.id, &input, "job-1", false, T0)
        .await
        .unwrap();
    // The first attempt's answer never got recorded (the process died after Twilio took it).
    forget_recorded_texts(&w).await;
    let again = send::send_text(&w.crm, &texting, account.id, &input, "job-1", true, T0)
        .await
        .unwrap();
    assert!(again.recovered, "found by listing, not sent again");
    assert_eq!(again.sid, first.sid);
    assert_eq!(sandbox_sent(&w).len(), 1, "Twilio got the text once");
    let third = send::send_text(&w.crm, &texting, account.id, &input, "job-1", true, T0)
        .await
        .unwrap();
    assert!(
        third.recovered && third.sid == first.sid,
        "the recorded job answers at once"
    );
    assert_eq!(sandbox_sent(&w).len(), 1);
    assert_eq!(crate::support::count(&w.crm, "texts").await, 1);
}

#[tokio::test]
async fn a_revoked_key_asks_for_reconnecting_instead_of_retrying() {
    let w = text_world().await;
    let setup = w.sync.connect_texting(&key_request(SECRET)).await.unwrap();
    w.sandbox.shared.lock().twilio.settings.api_key_secret = "rotated".into();
    let runs = w
        .sync
        .sync_now(&SyncRequest::default(), SyncTrigger::Manual)
        .await
        .unwrap();
    assert!(!runs.is_empty());
    assert!(
        runs.iter()
            .all(|r| r.error_code == Some(ErrorCode::ReconnectNeeded)),
        "{runs:?}"
    );
    let account = w.accounts.get(setup.account_id).await.unwrap();
    assert_eq!(
        account.status,
        AccountStatus::NeedsReauth,
        "the card says reconnect"
    );
}

#[tokio::test]
async fn a_messaging_service_sends_and_a_retry_finds_its_text_by_recipient() {
    let w = connected().await;
    let service = "MG00000000000000000000000000000001";
    let mut s = w.sync.texting_setup().await.unwrap().unwrap().settings;
    s.default_sender = Some(service.into());
    w.sync.save_texting_settings(&s).await.unwrap();
    let (acme, _) = client_with_phone(&w, "Acme", "Zoë Adams", ZOE_TYPED).await;
    let sent = w
        .sync
        .send_text(&draft(acme, "Via the service"))
        .await
        .expect("sent");
    assert_eq!(
        sent.status, "accepted",
        "a service's text is accepted first"
    );
    let used: Vec<Option<String>> = w
        .sandbox
        .shared
        .lock()
        .twilio
        .messages
        .iter()
        .map(|m| m.messaging_service_sid.clone())
        .collect();
    assert_eq!(used, [Some(service.to_string())]);

    // The answer was lost: the retry lists the recipient's texts and finds the service's one.
    let setup = w.sync.texting_setup().await.unwrap().unwrap();
    let account = w.accounts.get(setup.account_id).await.unwrap();
    let providers = cremmy_core::providers::Providers::from(
        Google::new(w.accounts.clone(), w.clock.clone(), w.accounts.endpoints()).unwrap(),
    );
    let texting = providers.texting(&account).await.unwrap().unwrap();
    let preview = w
        .sync
        .text_preview(&draft(acme, "Via the service"))
        .await
        .unwrap();
    let input = send::ready(&draft(acme, "Via the service"), &preview, service, T0).unwrap();
    forget_recorded_texts(&w).await;
    let again = send::send_text(&w.crm, &texting, account.id, &input, "job-svc", true, T0)
        .await
        .unwrap();
    assert!(again.recovered && again.sid == sent.sid, "{again:?}");
    assert_eq!(sandbox_sent(&w).len(), 1, "sent once");
}
