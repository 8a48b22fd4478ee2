//! Accounts against the provider sandbox: a real SQLite file, the real OS keychain, and a
//! "browser" that follows the authorize redirect like the system browser would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cremmy_core::accounts::{Accounts, OAuthApp, OAuthApps};
use cremmy_core::clock::ManualClock;
use cremmy_core::endpoints::Endpoints;
use cremmy_core::Database;
use cremmy_protocol::accounts::{Account, ConnectRequest, Feature};
use cremmy_protocol::Provider;
use cremmy_sandbox::Sandbox;

use crate::support::T0;

pub struct TestAccounts {
    pub accounts: Accounts,
    pub clock: Arc<ManualClock>,
    pub sandbox: Sandbox,
    pub db: Database,
    pub dir: tempfile::TempDir,
}

pub async fn test_accounts() -> TestAccounts {
    test_accounts_with(true).await
}

/// With `env_client` false, no OAuth client comes from the environment (as when Cremmy is
/// launched from the desktop menu).
pub async fn test_accounts_with(env_client: bool) -> TestAccounts {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox");
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    let clock = Arc::new(ManualClock::at(T0));
    let base = sandbox.base_url();
    let endpoints =
        Endpoints::from_lookup(|k| (k == "CREMMY_GOOGLE_BASE_URL").then(|| base.clone()));
    let settings = sandbox.shared.lock().google.settings.clone();
    let apps = if !env_client {
        OAuthApps::default()
    } else {
        OAuthApps::default().with(
            Provider::Google,
            OAuthApp {
                client_id: settings.client_id,
                client_secret: settings.client_secret,
            },
        )
    };
    let accounts = Accounts::open(db.clone(), clock.clone(), endpoints, apps)
        .await
        .expect("accounts open");
    TestAccounts {
        accounts,
        clock,
        sandbox,
        db,
        dir,
    }
}

pub fn google(features: &[Feature]) -> ConnectRequest {
    ConnectRequest {
        provider: Provider::Google,
        features: features.to_vec(),
        login_hint: None,
    }
}

pub fn http() -> reqwest::Client {
    cremmy_core::http::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What the browser does with the authorize URL: the consent page redirects (302) to the
/// callback. Returns the Location it was sent to.
pub async fn consent(authorize_url: &str) -> String {
    let r = http()
        .get(authorize_url)
        .send()
        .await
        .expect("the consent page answers");
    assert_eq!(r.status().as_u16(), 302, "the sandbox consent redirects");
    r.headers()["location"].to_str().unwrap().to_string()
}

/// A browser that consents and follows the redirect to the loopback listener; returns the page
/// Cremmy showed in the tab.
pub fn browser(page: Arc<std::sync::Mutex<String>>) -> impl FnOnce(&str) -> Result<(), String> {
    move |url: &str| {
        let url = url.to_string();
        tokio::spawn(async move {
            let location = consent(&url).await;
            let text = http().get(&location).send().await.map(|r| r.text());
            let text = match text {
                Ok(t) => t.await.unwrap_or_default(),
                Err(e) => format!("no answer: {e}"),
            };
            *page.lock().unwrap() = text;
        });
        Ok(())
    }
}

/// The whole loopback sign-in, as a user clicking Connect would do it.
pub async fn connect(t: &TestAccounts, features: &[Feature]) -> Account {
    let page = Arc::default();
    t.accounts
        .connect_with_loopback(&google(features), browser(page), Duration::from_secs(20))
        .await
        .expect("sign-in completes")
}

/// The same sign-in as another sandbox user (`login_hint`); the sandbox learns the user first.
pub async fn connect_as(t: &TestAccounts, email: &str, features: &[Feature]) -> Account {
    t.sandbox.shared.lock().google.mailbox(email);
    let mut request = google(features);
    request.login_hint = Some(email.into());
    t.accounts
        .connect_with_loopback(&request, browser(Arc::default()), Duration::from_secs(20))
        .await
        .expect("sign-in as the second user completes")
}

/// Every byte Cremmy keeps in its data directory (the database, its WAL and shm files).
pub fn data_dir_bytes(t: &TestAccounts) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(t.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

pub async fn token_calls(t: &TestAccounts) -> u64 {
    t.sandbox
        .shared
        .lock()
        .log
        .counters
        .calls
        .get("POST /token")
        .copied()
        .unwrap_or(0)
}

/// Calls a sandbox control (`google/grants/revoke`, `google/tokens/expire`, …).
pub async fn sandbox_control(t: &TestAccounts, path: &str) {
    let r = http()
        .post(format!("{}_sandbox/{path}", t.sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "sandbox control {path}: {}",
        r.status()
    );
}
