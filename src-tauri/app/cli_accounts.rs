//! `cremmy connect`, `cremmy accounts`, `cremmy disconnect`: the same core calls as the
//! Integrations page.

use std::process::ExitCode;

use clap::ValueEnum;
use cremmy_core::accounts::Accounts;
use cremmy_protocol::accounts::{AccountStatus, ConnectRequest, Feature};
use cremmy_protocol::Provider;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    Google,
    /// Twilio (SMS, WhatsApp, calls): with --account-sid and --key-sid; the secret from
    /// $CREMMY_TWILIO_SECRET, the terminal, or stdin.
    Twilio,
    /// Stripe (invoices, payment links, payments): the key (rk_… or sk_…) from $CREMMY_STRIPE_KEY,
    /// the terminal, or stdin.
    Stripe,
    /// Xero (invoices and payments in your books): signs in in the browser with your Xero app
    /// ($CREMMY_XERO_CLIENT_ID or Integrations → Xero).
    Xero,
    /// QuickBooks Online (invoices and payments in your company): signs in in the browser with
    /// your Intuit app ($CREMMY_QUICKBOOKS_CLIENT_ID and _SECRET, or Integrations → QuickBooks).
    Quickbooks,
    /// Microsoft 365 / Outlook.com (Outlook mail): signs in in the browser with your Microsoft
    /// app registration ($CREMMY_MICROSOFT_CLIENT_ID or Integrations → Microsoft 365).
    Microsoft,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FeatureArg {
    MailIngest,
    MailSend,
    Drive,
    Docs,
    Sheets,
    Calendar,
}

impl From<FeatureArg> for Feature {
    fn from(f: FeatureArg) -> Feature {
        match f {
            FeatureArg::MailIngest => Feature::MailIngest,
            FeatureArg::MailSend => Feature::MailSend,
            FeatureArg::Drive => Feature::Drive,
            FeatureArg::Docs => Feature::Docs,
            FeatureArg::Sheets => Feature::Sheets,
            FeatureArg::Calendar => Feature::Calendar,
        }
    }
}

impl ProviderArg {
    /// The provider signed in to through the browser (OAuth); `None` for a pasted key.
    pub fn oauth(self) -> Option<Provider> {
        match self {
            ProviderArg::Google => Some(Provider::Google),
            ProviderArg::Xero => Some(Provider::Xero),
            ProviderArg::Quickbooks => Some(Provider::QuickBooks),
            ProviderArg::Microsoft => Some(Provider::Microsoft),
            ProviderArg::Twilio | ProviderArg::Stripe => None,
        }
    }
}

pub async fn connect(
    accounts: &Accounts,
    provider: Provider,
    features: &[FeatureArg],
    no_browser: bool,
    login_hint: Option<String>,
) -> ExitCode {
    let features: Vec<Feature> = if features.is_empty() {
        // What the provider is connected for when nothing more is asked.
        match provider {
            Provider::Xero | Provider::QuickBooks => vec![Feature::Payments],
            _ => vec![Feature::MailIngest],
        }
    } else {
        features.iter().map(|f| (*f).into()).collect()
    };
    let request = ConnectRequest {
        provider,
        features,
        login_hint,
    };
    let open = |url: &str| {
        println!(
            "Sign in to {} in your browser:\n{url}",
            provider.display_name()
        );
        if no_browser {
            return Ok(());
        }
        crate::browser::open(url)
    };
    println!(
        "Waiting for the sign-in (up to {} minutes)…",
        crate::browser::SIGN_IN_TIMEOUT.as_secs() / 60
    );
    crate::cli::report(
        accounts
            .connect_with_loopback(&request, open, crate::browser::SIGN_IN_TIMEOUT)
            .await
            .map(|a| {
                let features: Vec<&str> = a.features.iter().map(|f| f.label()).collect();
                format!(
                    "Connected {} as {} ({}).",
                    a.provider.display_name(),
                    a.email,
                    features.join(", ")
                )
            }),
    )
}

pub async fn list(accounts: &Accounts, json: bool) -> ExitCode {
    let all = match accounts.list().await {
        Ok(all) => all,
        Err(e) => return crate::cli::report(Err::<String, _>(e)),
    };
    if json {
        return crate::cli::print_json(&all);
    }
    if all.is_empty() {
        println!("No accounts. Connect one with `cremmy connect google`.");
    }
    for a in all {
        let status = match a.status {
            AccountStatus::Connected => "connected".to_string(),
            AccountStatus::NeedsReauth => {
                format!("needs reconnect: {}", a.problem.unwrap_or_default())
            }
            AccountStatus::Disconnected => "disconnected".to_string(),
        };
        println!(
            "#{} {} {} — {status}",
            a.id,
            a.provider.display_name(),
            a.email
        );
    }
    ExitCode::SUCCESS
}

pub async fn disconnect(accounts: &Accounts, id: i64) -> ExitCode {
    crate::cli::report(accounts.disconnect(id).await.map(|a| {
        format!(
            "Disconnected {} ({}); its tokens are deleted from the keychain.",
            a.email,
            a.provider.display_name()
        )
    }))
}
