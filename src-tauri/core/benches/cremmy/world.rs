//! A benchmark world: the provider sandbox on a local port, a real SQLite file in a temp
//! directory, the real OS keychain, and the core wired as the app wires it (system clock).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cremmy_core::accounts::{Accounts, OAuthApp, OAuthApps};
use cremmy_core::crm::Crm;
use cremmy_core::endpoints::Endpoints;
use cremmy_core::pacing::Quota;
use cremmy_core::providers::google::Google;
use cremmy_core::sync::SyncRunner;
use cremmy_core::{Clock, Database, Timestamp};
use cremmy_protocol::accounts::{Account, ConnectRequest, Feature};
use cremmy_protocol::Provider;
use cremmy_sandbox::Sandbox;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

pub struct World {
    pub sandbox: Sandbox,
    pub db: Database,
    pub crm: Crm,
    pub accounts: Accounts,
    pub google: Google,
    pub sync: SyncRunner,
    pub _dir: tempfile::TempDir,
}

/// How the sandbox and the client treat Gmail's quota.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Quotas {
    /// The sandbox enforces Google's per-user limits; Cremmy paces itself as in production.
    Real,
    /// Neither side limits anything: what is left is Cremmy's own overhead.
    Off,
}

pub async fn world(quotas: Quotas) -> World {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox");
    if quotas == Quotas::Real {
        let mut world = sandbox.shared.lock();
        world.google.settings = world.google.settings.clone().with_real_quotas();
    }
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_in(dir.path()).await.unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let base = sandbox.base_url();
    let endpoints = Endpoints::from_lookup(|k| {
        [
            "CREMMY_GOOGLE_BASE_URL",
            "CREMMY_MICROSOFT_BASE_URL",
            "CREMMY_HUBSPOT_BASE_URL",
            "CREMMY_PIPEDRIVE_BASE_URL",
        ]
        .contains(&k)
        .then(|| base.clone())
    });
    let settings = sandbox.shared.lock().google.settings.clone();
    let microsoft = sandbox.shared.lock().microsoft.settings.clone();
    let apps = OAuthApps::default()
        .with(
            Provider::Google,
            OAuthApp {
                client_id: settings.client_id,
                client_secret: settings.client_secret,
            },
        )
        .with(
            Provider::Microsoft,
            OAuthApp {
                client_id: microsoft.client_id,
                client_secret: String::new(),
            },
        );
    let accounts = Accounts::open(db.clone(), clock.clone(), endpoints.clone(), apps)
        .await
        .expect("accounts");
    let mut google = Google::new(accounts.clone(), clock.clone(), &endpoints).expect("google");
    if quotas == Quotas::Off {
        google = google.with_gmail_quota(Quota::UNLIMITED);
    }
    let sync = SyncRunner::new(db.clone(), clock.clone(), google.clone());
    World {
        sandbox,
        crm: Crm::new(db.clone(), clock),
        db,
        accounts,
        google,
        sync,
        _dir: dir,
    }
}

fn http() -> reqwest::Client {
    cremmy_core::http::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The loopback sign-in to Google, with a "browser" that consents and follows the redirect.
pub async fn connect(w: &World, features: &[Feature]) -> Account {
    connect_to(w, Provider::Google, features).await
}

/// The loopback sign-in to `provider`.
pub async fn connect_to(w: &World, provider: Provider, features: &[Feature]) -> Account {
    let request = ConnectRequest {
        provider,
        features: features.to_vec(),
        login_hint: None,
    };
    let browser = |url: &str| {
        let url = url.to_string();
        tokio::spawn(async move {
            let consent = http().get(&url).send().await.expect("consent page");
            let location = consent.headers()["location"].to_str().unwrap().to_string();
            let _ = http().get(&location).send().await;
        });
        Ok(())
    };
    w.accounts
        .connect_with_loopback(&request, browser, Duration::from_secs(30))
        .await
        .expect("sign-in completes")
}

/// POST to the sandbox's control API.
pub async fn control(w: &World, path: &str, body: serde_json::Value) -> serde_json::Value {
    let r = http()
        .post(format!("{}_sandbox/{path}", w.sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sandbox {path}: {}", r.status());
    r.json().await.unwrap_or(serde_json::Value::Null)
}

/// `n` clients, each with one contact whose address is the sandbox seed's for that client.
pub async fn clients_matching_seed(w: &World, n: u64) {
    let mut tx = w.db.writer().begin().await.unwrap();
    for k in 0..n {
        let client: i64 = sqlx::query_scalar(
            "INSERT INTO clients (name, created_at, updated_at) VALUES (?, 0, 0) RETURNING id",
        )
        .bind(format!("Client {k}"))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let contact: i64 = sqlx::query_scalar(
            "INSERT INTO contacts (client_id, name, created_at, updated_at) VALUES (?, ?, 0, 0) RETURNING id",
        )
        .bind(client)
        .bind(format!("Contact {k}"))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query("INSERT INTO contact_emails (contact_id, email, is_primary) VALUES (?, ?, 1)")
            .bind(contact)
            .bind(cremmy_sandbox::seed::contact_address(k))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The sandbox's counters now: (Gmail quota units, 429 answers, Sheets write requests, all calls).
pub fn counters(w: &World) -> (u64, u64, u64, u64) {
    let world = w.sandbox.shared.lock();
    let c = &world.log.counters;
    (
        c.gmail_quota_units,
        c.rate_limited,
        c.sheets_write_requests,
        c.calls.values().sum(),
    )
}
