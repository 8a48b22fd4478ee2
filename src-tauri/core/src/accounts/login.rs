//! Signing in: start (PKCE S256 + a random single-use state that expires), the browser round
//! trip (loopback listener or deep link), finish (code exchange, who signed in, tokens into the
//! keychain, the account row), and disconnect.

use std::collections::HashMap;
use std::time::Duration;

use cremmy_protocol::accounts::{Account, AccountStatus, ConnectRequest};
use cremmy_protocol::Provider;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};

use super::callback::{self, Answer, CallbackRejection};
use super::keychain_tokens::TokenKind;
use super::loopback::LoopbackListener;
use super::oauth_http;
use super::providers::{scopes_for, OAuthEndpoints};
use super::store::Granted;
use super::{Accounts, AccountsError, AccountsResult};
use crate::clock::Timestamp;
use crate::http::call::{CallPolicy, Caller};
use crate::providers::registry::{registration, Revocation};

/// The settings key of the company an account's grant reaches.
fn company_key(account_id: i64) -> String {
    format!("oauth.company.{account_id}")
}

/// How long a started sign-in stays valid.
pub const PENDING_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// At most this many sign-ins wait at once; older ones are dropped.
const MAX_PENDING: usize = 8;
/// Refresh this long before expiry (or at half the lifetime, for short-lived tokens).
pub(super) const REFRESH_AHEAD_MS: i64 = 5 * 60 * 1000;

pub(super) type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

struct Attempt {
    provider: Provider,
    verifier: String,
    /// The redirect URI the provider was given (and the token exchange names).
    redirect_uri: String,
    /// Where the redirect arrives: `redirect_uri` itself, or the loopback address an https
    /// forwarding page sends it on to.
    arrives_at: String,
    /// The scopes asked for: granted as asked when the answer names none (RFC 6749 §5.1;
    /// Intuit's token answers carry no `scope`).
    scopes: Vec<String>,
    started_at: Timestamp,
}

#[derive(Default)]
pub(super) struct PendingLogins(HashMap<String, Attempt>);

impl PendingLogins {
    fn insert(&mut self, state: String, attempt: Attempt, now: Timestamp) {
        self.0
            .retain(|_, a| now - a.started_at < PENDING_LIFETIME_MS);
        while self.0.len() >= MAX_PENDING {
            let oldest = self
                .0
                .iter()
                .min_by_key(|(_, a)| a.started_at)
                .map(|(s, _)| s.clone());
            oldest.map(|s| self.0.remove(&s));
        }
        self.0.insert(state, attempt);
    }

    /// Single use: the attempt is gone after this, whatever the outcome.
    fn take(&mut self, state: &str, now: Timestamp) -> Result<Attempt, CallbackRejection> {
        let attempt = self
            .0
            .remove(state)
            .ok_or(CallbackRejection::UnknownState)?;
        if now - attempt.started_at >= PENDING_LIFETIME_MS {
            return Err(CallbackRejection::UnknownState);
        }
        Ok(attempt)
    }
}

/// A started sign-in: open `authorize_url` in the system browser.
#[derive(Debug, Clone)]
pub struct LoginStart {
    pub authorize_url: String,
    pub state: String,
    pub redirect_uri: String,
}

/// Who signed in, from OpenID userinfo.
#[derive(serde::Deserialize)]
struct UserInfo {
    email: Option<String>,
}

/// Who signed in, from the provider's profile (Graph's user).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    mail: Option<String>,
    user_principal_name: Option<String>,
}

/// Time to refresh a token that lives `lifetime_ms` from `now`.
pub(super) fn refresh_time(now: Timestamp, lifetime_ms: i64) -> Timestamp {
    now + (lifetime_ms - REFRESH_AHEAD_MS).max(lifetime_ms / 2)
}

impl Accounts {
    pub(super) async fn oauth(
        &self,
        provider: Provider,
    ) -> AccountsResult<(OAuthEndpoints, ConfiguredClient)> {
        let endpoints = OAuthEndpoints::of(provider, &self.endpoints)
            .ok_or(AccountsError::Unsupported(provider))?;
        let app = self.oauth_app(provider).await?;
        let bad_url = |_| AccountsError::Unsupported(provider);
        let mut client = BasicClient::new(ClientId::new(app.client_id.clone()));
        // A public client (Xero's PKCE apps) has no secret: its id goes in the request body.
        if endpoints.client_secret_required {
            client = client.set_client_secret(ClientSecret::new(app.client_secret.clone()));
        }
        let client = client
            .set_auth_uri(AuthUrl::new(endpoints.authorize.clone()).map_err(bad_url)?)
            .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(bad_url)?);
        Ok((endpoints, client))
    }

    /// Starts a sign-in that will come back to `redirect_uri` (a loopback address or the
    /// `cremmy://oauth/callback` deep link). Asks for identity plus the features' scopes, keeping
    /// those granted before (incremental authorization).
    pub async fn begin_login(
        &self,
        request: &ConnectRequest,
        redirect_uri: &str,
    ) -> AccountsResult<LoginStart> {
        self.begin_login_at(request, redirect_uri, redirect_uri)
            .await
    }

    /// [`Self::begin_login`] with a redirect URI (an https forwarding page) that sends the
    /// browser on to `arrives_at`.
    async fn begin_login_at(
        &self,
        request: &ConnectRequest,
        redirect_uri: &str,
        arrives_at: &str,
    ) -> AccountsResult<LoginStart> {
        let (_, client) = self.oauth(request.provider).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|_| AccountsError::Callback(CallbackRejection::Malformed))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = client.set_redirect_uri(redirect);
        let scopes = scopes_for(request.provider, &request.features);
        let mut auth = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge);
        for (name, value) in registration(request.provider).map_or(&[][..], |r| r.authorize_params)
        {
            auth = auth.add_extra_param(*name, *value);
        }
        if let Some(hint) = request.login_hint.as_deref().filter(|h| !h.is_empty()) {
            auth = auth.add_extra_param("login_hint", hint.to_string());
        }
        let (url, state) = auth.url();
        let now = self.clock.now();
        let attempt = Attempt {
            provider: request.provider,
            verifier: verifier.secret().clone(),
            redirect_uri: redirect_uri.to_string(),
            arrives_at: arrives_at.to_string(),
            scopes,
            started_at: now,
        };
        self.lock_pending()
            .insert(state.secret().clone(), attempt, now);
        Ok(LoginStart {
            authorize_url: url.to_string(),
            state: state.secret().clone(),
            redirect_uri: redirect_uri.to_string(),
        })
    }

    /// Forgets a started sign-in (timed out or abandoned): its callback will be refused.
    pub fn abandon_login(&self, state: &str) {
        self.lock_pending().0.remove(state);
    }

    /// Finishes a sign-in from the URL the browser was redirected to.
    pub async fn finish_login(&self, callback_url: &str) -> AccountsResult<Account> {
        let callback = callback::parse(callback_url)?;
        let attempt = self
            .lock_pending()
            .take(&callback.state, self.clock.now())?;
        if attempt.arrives_at != callback.redirect_uri {
            return Err(CallbackRejection::RedirectMismatch.into());
        }
        let provider = attempt.provider;
        let asked = attempt.scopes.clone();
        let code = match callback.answer {
            Answer::Code(code) => code,
            Answer::Denied => return Err(AccountsError::Cancelled(provider)),
            Answer::Error { error, description } => {
                return Err(AccountsError::SignInRefused {
                    provider,
                    error,
                    description,
                })
            }
        };
        let (endpoints, client) = self.oauth(provider).await?;
        let redirect = RedirectUrl::new(attempt.redirect_uri.clone())
            .map_err(|_| AccountsError::Callback(CallbackRejection::Malformed))?;
        let http = oauth_http::OAuthHttp(self.http.clone());
        let client = client.set_redirect_uri(redirect);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(attempt.verifier))
            .request_async(&http)
            .await
            .map_err(|e| token_error(provider, "the sign-in", e))?;
        let access = token.access_token().secret().clone();
        let Some(refresh) = token.refresh_token().map(|r| r.secret().clone()) else {
            return Err(AccountsError::SignInRefused {
                provider,
                error: "no_refresh_token".into(),
                description: Some("the provider granted no offline access".into()),
            });
        };
        // From here the provider has issued a grant: if Cremmy cannot keep it, it revokes it,
        // so no refresh token is left valid that nobody holds.
        let kept = async {
            for (what, secret) in [("refresh token", &refresh), ("access token", &access)] {
                check_secret_size(provider, what, secret)?;
            }
            let email = self.who(&endpoints, &access).await?;
            let scopes: Vec<String> = token
                .scopes()
                .map(|s| s.iter().map(|x| x.to_string()).collect())
                .unwrap_or(asked);
            let now = self.clock.now();
            let lifetime = token.expires_in().map(|d| d.as_millis() as i64);
            let stored = async {
                self.keychain
                    .set(provider, &email, TokenKind::Refresh, &refresh)
                    .await?;
                self.keychain
                    .set(provider, &email, TokenKind::Access, &access)
                    .await?;
                let granted = Granted {
                    provider,
                    email: &email,
                    scopes: &scopes,
                    expires_at: lifetime.map(|l| now + l),
                    refresh_at: lifetime.map(|l| refresh_time(now, l)),
                };
                self.save_grant(granted).await
            }
            .await;
            if stored.is_err() {
                // Best effort: what half-made it into the keychain goes too.
                let _ = self
                    .keychain
                    .delete(provider, &email, TokenKind::Refresh)
                    .await;
                let _ = self
                    .keychain
                    .delete(provider, &email, TokenKind::Access)
                    .await;
            }
            stored
        }
        .await;
        let kept = match (kept, endpoints.company_param) {
            (Ok(account), Some(param)) => {
                self.keep_company(&account, callback::company(callback_url, param))
                    .await
            }
            (other, _) => other,
        };
        if kept.is_err() {
            self.revoke_quietly(&endpoints, &refresh).await;
        }
        kept
    }

    /// Keeps what the grant reaches with the account; a redirect without it is refused (the
    /// account could make no call).
    async fn keep_company(
        &self,
        account: &Account,
        company: Option<String>,
    ) -> AccountsResult<Account> {
        let Some(company) = company else {
            return Err(AccountsError::SignInRefused {
                provider: account.provider,
                error: "no_company".into(),
                description: Some(
                    "the sign-in named no company; connect again and pick one".into(),
                ),
            });
        };
        self.db
            .put_setting(&company_key(account.id), Some(&company), self.clock.now())
            .await?;
        Ok(account.clone())
    }

    /// The company (QuickBooks realm) the account's grant reaches.
    pub async fn company(&self, account_id: i64) -> AccountsResult<Option<String>> {
        Ok(self.db.setting(&company_key(account_id)).await?)
    }

    /// Revokes a token at the provider, best effort (offline is fine: the grant was never used).
    async fn revoke_quietly(&self, endpoints: &OAuthEndpoints, token: &str) {
        let caller = Caller::new(
            self.http.clone(),
            CallPolicy::interactive(endpoints.provider).with_max_body(64 << 10),
        );
        let app = match endpoints.revocation {
            Revocation::None => return,
            Revocation::Form => None,
            Revocation::JsonWithBasicClient => match self.oauth_app(endpoints.provider).await {
                Ok(app) => Some(app),
                Err(_) => return,
            },
        };
        let revoke = caller.send("revoke", |http| match &app {
            None => http.post(&endpoints.revoke).form(&[("token", token)]),
            Some(app) => http
                .post(&endpoints.revoke)
                .basic_auth(&app.client_id, Some(&app.client_secret))
                .header("accept", "application/json")
                .json(&serde_json::json!({ "token": token })),
        });
        let _ = revoke.await;
    }

    pub(super) async fn who(
        &self,
        endpoints: &OAuthEndpoints,
        access: &str,
    ) -> AccountsResult<String> {
        let provider = endpoints.provider;
        let caller = Caller::new(
            self.http.clone(),
            CallPolicy::interactive(provider).with_max_body(64 << 10),
        );
        let answer = caller
            .send("userinfo", |http| {
                http.get(&endpoints.userinfo).bearer_auth(access)
            })
            .await?;
        let garbled = |what| AccountsError::ProviderGarbled { provider, what };
        let info: UserInfo = answer.json().map_err(|_| garbled("userinfo"))?;
        let address = |a: Option<String>| {
            a.map(|a| a.trim().to_ascii_lowercase())
                .filter(|a| a.contains('@'))
        };
        if let Some(email) = address(info.email) {
            return Ok(email);
        }
        // No email claim (a work account without a mailbox address): the profile says.
        let Some(profile) = &endpoints.profile else {
            return Err(garbled("userinfo (no email)"));
        };
        let answer = caller
            .send("profile", |http| http.get(profile).bearer_auth(access))
            .await?;
        let p: Profile = answer.json().map_err(|_| garbled("profile"))?;
        address(p.mail)
            .or_else(|| address(p.user_principal_name))
            .ok_or(garbled("profile (no address)"))
    }

    /// The whole loopback sign-in: listen on 127.0.0.1, let `open` show the authorize URL (the
    /// system browser, or print it), wait up to `timeout` for the redirect, finish.
    pub async fn connect_with_loopback(
        &self,
        request: &ConnectRequest,
        open: impl FnOnce(&str) -> Result<(), String>,
        timeout: Duration,
    ) -> AccountsResult<Account> {
        let port = registration(request.provider).and_then(|r| r.loopback_port);
        let listener = LoopbackListener::bind(port)
            .await
            .map_err(AccountsError::Loopback)?;
        let arrives_at = listener.redirect_uri();
        let page = match OAuthEndpoints::of(request.provider, &self.endpoints) {
            Some(e) if e.https_redirect_page => self.redirect_page(request.provider).await?,
            _ => None,
        };
        let sent = page.as_deref().unwrap_or(&arrives_at);
        let start = self.begin_login_at(request, sent, &arrives_at).await?;
        if let Err(e) = open(&start.authorize_url) {
            self.abandon_login(&start.state);
            return Err(AccountsError::Browser(e));
        }
        let outcome = tokio::time::timeout(timeout, async {
            loop {
                let (url, reply) = listener
                    .next_callback()
                    .await
                    .map_err(AccountsError::Loopback)?;
                // A callback for another (or no) state is someone else's: refuse it and keep waiting.
                if callback::parse(&url).map(|c| c.state) != Ok(start.state.clone()) {
                    reply
                        .finish(
                            false,
                            "This address is not part of the sign-in Cremmy is waiting for.",
                        )
                        .await;
                    continue;
                }
                let result = self.finish_login(&url).await;
                match &result {
                    Ok(account) => {
                        reply
                            .finish(
                                true,
                                &format!(
                                    "Cremmy is connected to {} as {}.",
                                    account.provider.display_name(),
                                    account.email
                                ),
                            )
                            .await
                    }
                    Err(e) => reply.finish(false, &e.to_string()).await,
                }
                return result;
            }
        })
        .await;
        match outcome {
            Ok(result) => result,
            Err(_) => {
                self.abandon_login(&start.state);
                Err(AccountsError::TimedOut(timeout.as_secs()))
            }
        }
    }

    /// Disconnects: revokes the grant at the provider (best effort: offline is fine), deletes
    /// the keychain entries, marks the account disconnected. Its synced data stays.
    pub async fn disconnect(&self, id: i64) -> AccountsResult<Account> {
        let account = self.get(id).await?;
        let refresh = self
            .keychain
            .get(account.provider, &account.email, TokenKind::Refresh)
            .await?;
        if let (Some(token), Some(endpoints)) = (
            refresh,
            OAuthEndpoints::of(account.provider, &self.endpoints),
        ) {
            // Best effort: a network failure must not keep the tokens around.
            self.revoke_quietly(&endpoints, &token).await;
        }
        self.keychain
            .delete(account.provider, &account.email, TokenKind::Refresh)
            .await?;
        self.keychain
            .delete(account.provider, &account.email, TokenKind::Access)
            .await?;
        self.keychain
            .delete(account.provider, &account.email, TokenKind::ApiKey)
            .await?;
        self.set_status(id, AccountStatus::Disconnected, None)
            .await?;
        self.get(id).await
    }
}

/// Maps a token-endpoint failure: `invalid_grant` and friends are the user's to fix, transport and
/// garbled answers are retryable.
pub(super) fn token_error(
    provider: Provider,
    what: &'static str,
    e: RequestTokenError<reqwest::Error, oauth2::basic::BasicErrorResponse>,
) -> AccountsError {
    match e {
        RequestTokenError::ServerResponse(r) => AccountsError::SignInRefused {
            provider,
            error: match r.error() {
                BasicErrorResponseType::InvalidGrant => "invalid_grant".to_string(),
                other => other.to_string(),
            },
            description: r.error_description().cloned(),
        },
        RequestTokenError::Request(source) => AccountsError::Network { provider, source },
        RequestTokenError::Parse(_, _) | RequestTokenError::Other(_) => {
            AccountsError::ProviderGarbled { provider, what }
        }
    }
}

/// The largest secret one keychain entry takes on every platform: Windows Credential Manager
/// stores at most 2,560 bytes per credential (`CRED_MAX_CREDENTIAL_BLOB_SIZE`), and its keyring
/// store writes the secret as UTF-16. A longer secret (Microsoft's tokens run into kilobytes) is
/// kept in several entries ([`KEYCHAIN_MAX_PARTS`] at most); the limit is applied on every
/// platform, so what works here works on Windows.
pub const KEYCHAIN_SECRET_LIMIT_BYTES: usize = 2_560;

/// The most entries one secret is split into.
pub const KEYCHAIN_MAX_PARTS: usize = 8;

/// Whether `secret` fits one keychain entry on every platform.
pub fn fits_keychain(secret: &str) -> bool {
    secret.encode_utf16().count() * 2 <= KEYCHAIN_SECRET_LIMIT_BYTES
}

/// `secret` in pieces that each fit one keychain entry (one piece when it fits already).
pub fn keychain_parts(secret: &str) -> Vec<&str> {
    let limit_units = KEYCHAIN_SECRET_LIMIT_BYTES / 2;
    let mut parts = Vec::new();
    let (mut start, mut units) = (0, 0);
    for (at, c) in secret.char_indices() {
        if units + c.len_utf16() > limit_units {
            parts.push(&secret[start..at]);
            (start, units) = (at, 0);
        }
        units += c.len_utf16();
    }
    parts.push(&secret[start..]);
    parts
}

pub(super) fn check_secret_size(
    provider: Provider,
    what: &'static str,
    secret: &str,
) -> AccountsResult<()> {
    if keychain_parts(secret).len() <= KEYCHAIN_MAX_PARTS {
        Ok(())
    } else {
        Err(AccountsError::SecretTooLarge {
            provider,
            what,
            bytes: secret.encode_utf16().count() * 2,
        })
    }
}
