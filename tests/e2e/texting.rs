//! Texting end to end against the provider sandbox's Twilio: `cremmy connect twilio` and
//! `cremmy text` as processes, and the window: connecting Twilio on its card, the client page's
//! composer (its preview, then the sent text's status), and a reply arriving on the timeline.
//! Window tests end with screenshots.

use std::path::Path;

use cremmy_sandbox::Sandbox;

use crate::accounts::{cremmy, sandbox, sandbox_env};
use crate::support::app_window::AppWindow;
use crate::support::{stderr, stdout};
use crate::sync::cli;

const ACCOUNT: &str = "AC00000000000000000000000000000001";
const KEY: &str = "SK00000000000000000000000000000001";
const SECRET: &str = "sandbox-api-key-secret";
const ZOE: &str = "+14155552671";

/// A data folder with the clients of `csv` imported.
fn data_with(dir: &Path, csv: &str) -> std::path::PathBuf {
    let data = dir.join("data");
    let file = dir.join("clients.csv");
    std::fs::write(&file, csv).unwrap();
    let out = cremmy(&data, &[], &["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "import: {}", stdout(&out));
    data
}

/// One client whose contact Zoë has a US mobile written as people write it.
fn data_with_zoe(dir: &Path) -> std::path::PathBuf {
    data_with(
        dir,
        "Company,Name,Email,Phone\nAcme,Zoë Adams,zoe@acme.example,(415) 555-2671\n",
    )
}

/// `cremmy connect twilio` with `secret`, and the environment it ran with.
async fn connect_cli(
    data: &Path,
    sb: &Sandbox,
    secret: &str,
) -> (std::process::Output, Vec<(String, String)>) {
    let mut env = sandbox_env(sb);
    env.push(("CREMMY_TWILIO_SECRET".into(), secret.into()));
    let connect = [
        "connect",
        "twilio",
        "--account-sid",
        ACCOUNT,
        "--key-sid",
        KEY,
    ];
    (cli(data, &env, &connect).await, env)
}

/// Outbound texts the sandbox's Twilio received, as (to, body).
fn sent(sb: &Sandbox) -> Vec<(String, String)> {
    sb.shared
        .lock()
        .twilio
        .messages
        .iter()
        .filter(|m| !m.inbound)
        .map(|m| (m.to.clone(), m.body.clone()))
        .collect()
}

async fn inbound(sb: &Sandbox, from: &str, body: &str) {
    cremmy_core::http::install_crypto_provider();
    let r = reqwest::Client::new()
        .post(format!("{}_sandbox/twilio/inbound", sb.base_url()))
        .json(&serde_json::json!({ "from": from, "body": body }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

#[tokio::test]
async fn cli_connects_twilio_texts_a_client_and_imports_the_reply() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_zoe(dir.path());
    let (refused, env) = connect_cli(&data, &sb, "wrong").await;
    assert!(!refused.status.success(), "a wrong secret fails");
    assert!(
        stderr(&refused).contains("did not accept this key"),
        "{}",
        stderr(&refused)
    );
    let none = cli(&data, &env, &["accounts", "--json"]).await;
    assert_eq!(stdout(&none).trim(), "[]", "nothing was stored");

    let (connected, env) = connect_cli(&data, &sb, SECRET).await;
    assert!(connected.status.success(), "{}", stderr(&connected));
    assert!(
        stdout(&connected).contains("Texts go from +15005550006"),
        "{}",
        stdout(&connected)
    );

    let texted = cli(
        &data,
        &env,
        &["text", "1", "Hi {{contact_first_name}}, call at 3?"],
    )
    .await;
    assert!(texted.status.success(), "{}", stderr(&texted));
    assert_eq!(
        sent(&sb),
        [(ZOE.to_string(), "Hi Zoë, call at 3?".to_string())],
        "the typed number as E.164, the variable filled"
    );
    let missing = cli(&data, &env, &["text", "1", "Hi {{nickname}}"]).await;
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("nickname"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(sent(&sb).len(), 1, "nothing sent with a missing variable");

    inbound(&sb, ZOE, "Yes, 3 works").await;
    let synced = cli(&data, &env, &["sync", "--once"]).await;
    let out = stdout(&synced);
    assert!(synced.status.success(), "{out}{}", stderr(&synced));
    assert!(
        out.contains("texts incremental"),
        "a texts run is logged: {out}"
    );
    let found = cli(&data, &env, &["search", "3 works", "--json"]).await;
    assert!(
        stdout(&found).contains("Yes, 3 works"),
        "the reply is on Acme's timeline: {}",
        stdout(&found)
    );
}

#[tokio::test]
async fn s_texting_connect_compose_send_and_a_reply_in_the_window() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_zoe(dir.path());
    let app = AppWindow::launch_with_env("s-texting-connect", &data, &sandbox_env(&sb)).await;
    app.click("#nav-integrations").await;
    app.type_into("#twilio-account-sid", ACCOUNT).await;
    app.type_into("#twilio-key-sid", KEY).await;
    app.type_into("#twilio-secret", SECRET).await;
    app.click("#twilio-connect").await;
    app.wait_for_text(".integration.twilio .account", "Connected")
        .await;
    app.wait_for_text("#twilio-sender", "+15005550006").await;
    app.screenshot().await;

    let app = app.renamed("s-texting-composer");
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#client-title", "Acme").await;
    app.click("#send-sms").await;
    app.type_into("#text-body", "Hi {{contact_first_name}}, see you at 3")
        .await;
    let rendered = app
        .wait_for_text("#text-rendered", "Hi Zoë, see you at 3")
        .await;
    assert!(rendered.contains("Zoë"), "{rendered}");
    let count = app.wait_for_text("#text-count", "Unicode").await;
    assert!(
        count.contains("20 characters · 1 segment"),
        "ë is not in GSM-7, so the text goes as Unicode, still one segment: {count}"
    );
    app.wait_for_text("#text-preview", ZOE).await;
    app.screenshot().await;
    app.click("#text-send").await;
    // Twilio answers "queued"; delivery is learnt by the next sync (no public URL for callbacks).
    app.wait_for_text("#texts .text", "queued").await;
    assert_eq!(sent(&sb).len(), 1, "one text reached Twilio");

    let app = app.renamed("s-texting-reply");
    inbound(&sb, ZOE, "Perfect, see you then").await;
    inbound(&sb, "+12125550147", "Who is this?").await;
    app.click("#nav-integrations").await;
    app.click("#twilio-sync-now").await;
    app.wait_for_text("#unmatched-texts", "Who is this?").await;
    app.screenshot().await;
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#timeline", "Perfect, see you then")
        .await;
    app.wait_for_text("#texts", "delivered").await;
    app.screenshot().await;

    // WhatsApp from the same page: outside the 24-hour window, an approved template goes.
    let app = app.renamed("s-texting-whatsapp");
    app.click("#send-sms").await;
    app.select("#text-channel", "WhatsApp").await;
    app.wait_for_text("#text-refused", "24-hour window").await;
    app.wait_for_text("#text-template", "follow_up").await;
    app.select(
        "#text-template",
        "follow_up: Hi {{1}}, following up on {{2}}. Reply here to pick it up.",
    )
    .await;
    app.wait_for_text(
        "#text-rendered",
        "Hi Zoë, following up on our last conversation",
    )
    .await;
    app.screenshot().await;
    app.click("#text-send").await;
    app.wait_for_text("#texts", "Hi Zoë, following up").await;
    let whatsapp: Vec<String> = sb
        .shared
        .lock()
        .twilio
        .messages
        .iter()
        .filter(|m| m.content_sid.is_some())
        .map(|m| format!("{} → {}", m.from, m.to))
        .collect();
    assert_eq!(whatsapp, ["whatsapp:+14155238886 → whatsapp:+14155552671"]);

    // STOP: the contact says so.
    let app = app.renamed("s-texting-opted-out");
    inbound(&sb, ZOE, "STOP").await;
    app.click("#nav-integrations").await;
    app.click("#twilio-sync-now").await;
    app.wait_for_text("#unmatched-texts", "Who is this?").await;
    app.click("#nav-clients").await;
    app.click(".client-row .client-name").await;
    app.wait_for_text("#contacts", "Opted out of texts").await;
    app.screenshot().await;
    app.close().await;
}

/// Tagged clients: three reachable, one invalid number, one who will say STOP.
fn data_with_vips(dir: &Path) -> std::path::PathBuf {
    data_with(
        dir,
        "Company,Name,Phone,Tags\n\
         Acme,Zoë Adams,(415) 555-2671,vip\n\
         Bolt,Bo Berg,+1 212 555 0147,vip\n\
         Cole,Cy Cole,+1 718 555 0123,vip\n\
         Typo,Tom Typo,555,vip\n\
         Quiet,Quinn Q,+1 646 555 0199,vip\n",
    )
}

/// Connects Twilio and lets Quinn opt out (STOP, then a sync).
async fn connect_and_quinn_stops(sb: &Sandbox, data: &Path) -> Vec<(String, String)> {
    let (connected, env) = connect_cli(data, sb, SECRET).await;
    assert!(connected.status.success(), "{}", stderr(&connected));
    inbound(sb, "+16465550199", "STOP").await;
    let synced = cli(data, &env, &["sync", "--once"]).await;
    assert!(synced.status.success(), "{}", stderr(&synced));
    env
}

#[tokio::test]
async fn cli_bulk_text_skips_with_reasons_and_survives_a_crash_without_texting_twice() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_vips(dir.path());
    let env = connect_and_quinn_stops(&sb, &data).await;
    let dry = cli(
        &data,
        &env,
        &[
            "text-bulk",
            "--tag",
            "vip",
            "--dry-run",
            "Hi {{contact_first_name}}",
        ],
    )
    .await;
    let out = stdout(&dry);
    assert!(dry.status.success(), "{out}{}", stderr(&dry));
    assert!(
        out.contains("skip  Typo (-)") && out.contains("not a valid phone number"),
        "{out}"
    );
    assert!(
        out.contains("skip  Quiet (+16465550199)") && out.contains("opted out"),
        "{out}"
    );
    assert!(out.contains("Would text 3 and skip 2"), "{out}");
    assert!(sent(&sb).is_empty(), "a dry run sends nothing");

    // The process dies after Twilio took the second text and before it was recorded.
    let mut crashing = env.clone();
    crashing.push(("CREMMY_TEST_CRASH_AT".into(), "before:2".into()));
    let crashed = cli(
        &data,
        &crashing,
        &["text-bulk", "--tag", "vip", "Office moves Monday"],
    )
    .await;
    assert!(
        !crashed.status.success(),
        "the crash point aborts the process"
    );
    assert_eq!(
        sent(&sb).len(),
        2,
        "two texts reached Twilio before the crash"
    );

    // The next runs take the interrupted job over and send the rest, each once.
    for _ in 0..20 {
        let run = cli(&data, &env, &["sync", "--once"]).await;
        assert!(run.status.success(), "{}", stderr(&run));
        if sent(&sb).len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let mut to: Vec<String> = sent(&sb).into_iter().map(|(to, _)| to).collect();
    to.sort();
    assert_eq!(
        to,
        ["+12125550147", "+14155552671", "+17185550123"],
        "the three reachable clients, once each; never the invalid or opted-out ones"
    );
}

#[tokio::test]
async fn s_texting_bulk_preview_and_send_to_a_tag_in_the_window() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = data_with_vips(dir.path());
    connect_and_quinn_stops(&sb, &data).await;
    let app = AppWindow::launch_with_env("s-texting-bulk-preview", &data, &sandbox_env(&sb)).await;
    app.click("#nav-clients").await;
    app.wait_for_count(".client-row", 5).await;
    app.select("#tag-filter", "vip").await;
    app.click("#text-tag").await;
    app.type_into("#bulk-body", "Hi {{contact_first_name}}, we moved!")
        .await;
    app.wait_for_text("#bulk-counts", "3 to text, 2 skipped")
        .await;
    let table = app
        .wait_for_text("#bulk-recipients", "Hi Bo, we moved!")
        .await;
    assert!(
        table.contains("Skipped")
            && table.contains("opted out")
            && table.contains("not a valid phone number"),
        "each skipped recipient says why: {table}"
    );
    app.screenshot().await;
    let app = app.renamed("s-texting-bulk-sent");
    app.click("#bulk-send").await;
    app.wait_for_text("#bulk-summary", "3 sent · 0 failed · 2 skipped · done")
        .await;
    app.screenshot().await;
    assert_eq!(sent(&sb).len(), 3, "each reachable client once");
    app.close().await;
}
