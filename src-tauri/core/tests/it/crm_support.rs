//! What the CRM-sync tests share: the sandbox's controls and request log, one sync of an
//! account through the runner, and a one-value SQL read.

use cremmy_protocol::accounts::Account;
use cremmy_protocol::sync::{SyncRequest, SyncTrigger};
use serde_json::Value;

use crate::texting::TextWorld;

/// A sandbox control (`/_sandbox/{path}`), which must succeed.
pub async fn sandbox_control(w: &TextWorld, method: &str, path: &str, body: Value) -> Value {
    let http = crate::accounts_support::http();
    let url = format!("{}_sandbox/{path}", w.sandbox.base_url());
    let r = match method {
        "PATCH" => http.patch(url),
        "GET" => http.get(url),
        _ => http.post(url),
    }
    .json(&body)
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success(), "sandbox control {path}");
    r.json().await.unwrap()
}

/// Every request the sandbox has answered, oldest first.
pub async fn logged_requests(w: &TextWorld) -> Vec<Value> {
    let log = sandbox_control(w, "GET", "log", Value::Null).await;
    log["requests"].as_array().cloned().unwrap_or_default()
}

/// "Sync now" for one account; every run must succeed.
pub async fn sync_account(w: &TextWorld, account: &Account) {
    let runs = w
        .sync
        .sync_now(
            &SyncRequest {
                account_id: Some(account.id),
                reconcile: false,
            },
            SyncTrigger::Manual,
        )
        .await
        .unwrap();
    assert!(runs.iter().all(|r| r.error.is_none()), "{runs:?}");
}

/// The one text value `sql` selects.
pub async fn scalar(w: &TextWorld, sql: &str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(w.crm.database().pool())
        .await
        .unwrap()
}
