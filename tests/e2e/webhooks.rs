//! Outbound webhooks in the window (issue 24): an endpoint made in Settings → Webhooks shows its
//! signing secret once; "Send test event" and a deal won on the board reach the sandbox's receiver
//! signed (it verifies as the Standard Webhooks spec says); the push log lists both and
//! "Redeliver" sends the same event id again. Ends with a screenshot of the push log.

use std::time::Duration;

use cremmy_sandbox::webhooks::{Receiver, ReceiverSettings};
use cremmy_sandbox::Sandbox;
use serde_json::Value;

use crate::accounts::sandbox;
use crate::support::app_window::AppWindow;
use crate::support::demo_data_dir;

fn deliveries(sb: &Sandbox) -> Vec<cremmy_sandbox::webhooks::Delivery> {
    sb.shared
        .lock()
        .webhooks
        .receivers
        .get("zap")
        .map(|r| r.deliveries.clone())
        .unwrap_or_default()
}

async fn wait_for_deliveries(sb: &Sandbox, n: usize) -> Vec<cremmy_sandbox::webhooks::Delivery> {
    for _ in 0..150 {
        let got = deliveries(sb);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the receiver got {:#?}, expected {n} deliveries",
        deliveries(sb)
    );
}

#[tokio::test]
async fn an_endpoint_made_in_settings_gets_signed_events_and_the_push_log_redelivers() {
    let sb = sandbox().await;
    let dir = demo_data_dir();
    let app = AppWindow::launch("webhooks", dir.path()).await;
    app.click("#nav-settings").await;
    app.type_into("#webhook-url", &format!("{}hooks/zap", sb.base_url()))
        .await;
    app.type_into("#webhook-auth", "Bearer e2e-token").await;
    app.click("#add-webhook").await;
    let secret = app.wait_for_text("#webhook-secret", "whsec_").await;
    sb.shared.lock().webhooks.receivers.insert(
        "zap".into(),
        Receiver {
            settings: ReceiverSettings {
                secret: secret.trim().to_string(),
                ..ReceiverSettings::default()
            },
            ..Receiver::default()
        },
    );
    app.wait_for_text("#webhook-endpoints", "Deal won, Meeting booked")
        .await;

    app.click(".webhook-endpoint .send-test").await;
    app.wait_for_text(".toasts", "Test event delivered (HTTP 200)")
        .await;
    app.wait_for_text("#push-log", "Test event").await;

    app.click("#nav-pipeline").await;
    app.drag(
        "[data-title='Route cost review']",
        "[data-stage=Won] .column-end",
    )
    .await;
    let got = wait_for_deliveries(&sb, 2).await;
    assert!(
        got.iter().all(|d| d.verified),
        "signed with the secret the window showed: {got:#?}"
    );
    assert_eq!(got[1].authorization.as_deref(), Some("Bearer e2e-token"));
    let won: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(won["event"], "deal_won");
    assert_eq!(won["deal"]["title"], "Route cost review");
    assert_eq!(won["deal"]["stage"], "Won");

    app.click("#nav-settings").await;
    app.click(".webhook-endpoint .push-log").await;
    app.wait_for_text("#push-log", "Deal won").await;
    app.click("#push-log .redeliver").await;
    app.wait_for_text(".toasts", "Redelivered (HTTP 200)").await;
    let got = wait_for_deliveries(&sb, 3).await;
    assert_eq!(
        (got[2].webhook_id.clone(), got[2].duplicate),
        (got[1].webhook_id.clone(), true),
        "a redelivery carries the same id, so the receiver recognises it"
    );
    app.wait_for_count("#push-log .attempt", 3).await;
    app.scroll_to("#webhooks").await;
    app.screenshot().await;
    app.close().await;
}
