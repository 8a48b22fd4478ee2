//! Which OAuth client Cremmy signs in with, per provider: the environment's
//! (`CREMMY_<PROVIDER>_CLIENT_ID` / `_SECRET`, which wins when set) or the one saved in Settings
//! (the id in the settings table, the secret in the OS keychain). A desktop app launched from the
//! menu has no environment, so Settings is how most people set it.

use cremmy_protocol::accounts::{OAuthClientInput, OAuthClientSetup};
use cremmy_protocol::Provider;

use super::providers::OAuthEndpoints;
use super::{Accounts, AccountsError, AccountsResult, OAuthApp, SecretPlace};

fn client_id_key(provider: Provider) -> String {
    format!("oauth.{}.client_id", provider.key())
}

/// What a provider's client ids look like, to catch a pasted secret or URL early. A public
/// client (`secret_required` off: Xero's PKCE apps) has no secret to give.
fn check(input: &OAuthClientInput, secret_required: bool) -> Result<(), AccountsError> {
    let invalid = |problem: &str| AccountsError::InvalidOAuthClient {
        provider: input.provider,
        problem: problem.to_string(),
    };
    let id = input.client_id.trim();
    if secret_required && (id.is_empty() || input.client_secret.trim().is_empty()) {
        return Err(invalid(
            "both the client ID and the client secret are needed",
        ));
    }
    if id.is_empty() {
        return Err(invalid("the client ID is needed"));
    }
    if id.len() > 200
        || input.client_secret.trim().len() > 200
        || id.chars().any(char::is_whitespace)
    {
        return Err(invalid("that does not look like a client ID and secret; copy them from the OAuth client's page"));
    }
    if input.provider == Provider::Google && !id.ends_with(".apps.googleusercontent.com") {
        return Err(invalid(
            "a Google client ID ends in .apps.googleusercontent.com",
        ));
    }
    Ok(())
}

fn redirect_page_key(provider: Provider) -> String {
    format!("oauth.{}.redirect_page", provider.key())
}

/// A forwarding page as Intuit takes redirect URIs: https, a host name (no IP address, no
/// localhost), no user, no fragment, at most 300 characters.
fn check_redirect_page(provider: Provider, page: &str) -> Result<String, AccountsError> {
    let invalid = |problem: &str| AccountsError::InvalidOAuthClient {
        provider,
        problem: problem.to_string(),
    };
    let url =
        url::Url::parse(page).map_err(|_| invalid("the forwarding page is not a web address"))?;
    let named_host =
        matches!(url.host(), Some(url::Host::Domain(d)) if d != "localhost" && d.contains('.'));
    if url.scheme() != "https" || !named_host {
        return Err(invalid(
            "the forwarding page must be an https address with a host name (not an IP address or localhost)",
        ));
    }
    if page.len() > 300 || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid(
            "the forwarding page must be a plain https address without # or a user",
        ));
    }
    Ok(url.to_string())
}

impl Accounts {
    /// The client sign-ins use: the environment's, else the saved one.
    /// The client sign-ins use, with its secret when the provider requires one (a missing
    /// secret is said as such, not left for the token endpoint to refuse).
    pub(super) async fn oauth_app(&self, provider: Provider) -> AccountsResult<OAuthApp> {
        let (app, place) = self.configured_app(provider).await?;
        let required =
            OAuthEndpoints::of(provider, &self.endpoints).is_some_and(|e| e.client_secret_required);
        if required && app.client_secret.trim().is_empty() {
            return Err(AccountsError::MissingClientSecret { provider, place });
        }
        Ok(app)
    }

    async fn configured_app(&self, provider: Provider) -> AccountsResult<(OAuthApp, SecretPlace)> {
        if let Ok(app) = self.apps.get(provider) {
            return Ok((app.clone(), SecretPlace::Environment));
        }
        let id: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(client_id_key(provider))
            .fetch_optional(self.db.pool())
            .await?;
        let Some(client_id) = id else {
            return Err(AccountsError::NoOAuthApp { provider });
        };
        let client_secret = self
            .keychain
            .client_secret(provider)
            .await?
            .unwrap_or_default();
        Ok((
            OAuthApp {
                client_id,
                client_secret,
            },
            SecretPlace::Keychain,
        ))
    }

    pub async fn oauth_client_setup(&self, provider: Provider) -> AccountsResult<OAuthClientSetup> {
        let from_environment = self.apps.get(provider).is_ok();
        let client_id = self
            .configured_app(provider)
            .await
            .ok()
            .map(|(a, _)| a.client_id);
        let endpoints = OAuthEndpoints::of(provider, &self.endpoints);
        Ok(OAuthClientSetup {
            provider,
            client_id,
            from_environment,
            secret_required: endpoints.as_ref().is_some_and(|e| e.client_secret_required),
            redirect_page: self.redirect_page(provider).await?,
            redirect_page_allowed: endpoints.is_some_and(|e| e.https_redirect_page),
        })
    }

    /// The https page the provider redirects to instead of the loopback address, if the user
    /// named one.
    pub(super) async fn redirect_page(&self, provider: Provider) -> AccountsResult<Option<String>> {
        Ok(self.db.setting(&redirect_page_key(provider)).await?)
    }

    /// Saves the client from Settings: the id in the database, the secret in the keychain.
    pub async fn save_oauth_client(
        &self,
        input: &OAuthClientInput,
    ) -> AccountsResult<OAuthClientSetup> {
        let Some(endpoints) = OAuthEndpoints::of(input.provider, &self.endpoints) else {
            return Err(AccountsError::Unsupported(input.provider));
        };
        check(input, endpoints.client_secret_required)?;
        let page = match input.redirect_page.as_deref().map(str::trim) {
            Some(page) if !page.is_empty() => {
                if !endpoints.https_redirect_page {
                    return Err(AccountsError::InvalidOAuthClient {
                        provider: input.provider,
                        problem: "this provider redirects to Cremmy directly; it needs no forwarding page".into(),
                    });
                }
                Some(check_redirect_page(input.provider, page)?)
            }
            _ => None,
        };
        if endpoints.client_secret_required {
            self.keychain
                .set_client_secret(input.provider, input.client_secret.trim())
                .await?;
        }
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
            .bind(client_id_key(input.provider))
            .bind(input.client_id.trim())
            .bind(self.clock.now())
            .execute(self.db.writer())
            .await?;
        self.db
            .put_setting(
                &redirect_page_key(input.provider),
                page.as_deref(),
                self.clock.now(),
            )
            .await?;
        self.oauth_client_setup(input.provider).await
    }
}
