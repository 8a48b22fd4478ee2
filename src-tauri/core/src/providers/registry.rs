//! The provider registry: per provider, how it authenticates, where it lives (and the paths its
//! OAuth endpoints take on an overriding origin such as the provider sandbox), the scopes each
//! feature needs, its documented rate limits and the capabilities it implements. Each provider
//! keeps its entry in its own folder (`providers/<name>/registration.rs`); this file lists them.
//! It imports no provider code but those entries, so accounts, the doctor and the window can read
//! it without depending on any provider's client.

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

/// How the provider hands the browser back to Cremmy after sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectStrategy {
    /// `http://127.0.0.1:<port>/callback` on a one-shot listener (Google and Microsoft desktop
    /// clients accept no custom scheme).
    Loopback,
    /// `cremmy://oauth/callback`, delivered by the OS to the running app.
    DeepLink,
}

/// How Cremmy proves who it is to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// OAuth 2 authorization code with PKCE S256 in the system browser. `client_secret`: whether
    /// the provider's desktop clients are issued a secret its token endpoint requires (Google's
    /// are; a public client such as Microsoft's has none).
    OAuthPkce {
        redirect: RedirectStrategy,
        client_secret: bool,
    },
    /// A key the user pastes (kept in the keychain).
    ApiKey,
    /// A personal access token the user pastes (kept in the keychain).
    PersonalAccessToken,
}

/// An endpoint: its real URL, and its path on an overriding origin (the sandbox serves every
/// endpoint of a provider on one origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub real: &'static str,
    pub path: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthUrls {
    pub authorize: Endpoint,
    pub token: Endpoint,
    pub revoke: Endpoint,
    /// Who signed in (OpenID userinfo).
    pub userinfo: Endpoint,
    /// How a token is revoked.
    pub revocation: Revocation,
    /// A parameter of the redirect that names what the grant reaches, kept with the account
    /// (QuickBooks' `realmId`, the company).
    pub company_param: Option<&'static str>,
    /// The provider's production apps take only https redirect URIs that are not IP addresses
    /// (Intuit): the user may name an https page that forwards the redirect to the loopback
    /// address.
    pub https_redirect_page: bool,
    /// Where to read who signed in when userinfo carries no email (a work account without a
    /// mailbox address): a JSON user with `mail`, else `userPrincipalName` (Graph's `/me`).
    pub profile: Option<Endpoint>,
}

/// How the revocation endpoint takes a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// RFC 7009: `token=` in a form body (Google, Xero).
    Form,
    /// `{"token": …}` as JSON, the client in a Basic header (Intuit).
    JsonWithBasicClient,
    /// The provider has no endpoint that revokes one grant (Microsoft's identity platform): the
    /// user removes Cremmy's access in their account's settings.
    None,
}

/// A documented limit, with the page that documents it. Cremmy paces to it: every limit with the
/// same `pacer` is one pacer per account (e.g. Gmail's per-second and per-minute quotas both
/// pace "gmail"), and a call waits until all of that pacer's limits allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub pacer: &'static str,
    pub what: &'static str,
    pub units: u32,
    pub per: Duration,
    pub documented_at: &'static str,
}

/// What a provider can do for the features (each is a trait the feature defines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    MailSource,
    MailOutbox,
    CalendarSource,
    CalendarWriter,
    FolderTree,
    DocStore,
    SpreadsheetSink,
    SheetTable,
    /// Sending and receiving text messages.
    Texting,
    /// Reading the call log.
    CallLog,
    /// Invoices, payment links and the payments made to them.
    Payments,
    /// Companies, contacts and deals at the user's CRM.
    CrmRecords,
}

/// The provider's product that does one capability (Gmail is Google's mail source), as runs and
/// progress name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    pub capability: Capability,
    /// The run log's name for it.
    pub key: Integration,
    /// What the user reads ("Gmail").
    pub name: &'static str,
}

/// One provider's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    pub provider: Provider,
    pub auth: Auth,
    /// The real origin of its API (`CREMMY_<PROVIDER>_BASE_URL` overrides it).
    pub base_url: &'static str,
    pub oauth: Option<OAuthUrls>,
    /// Extra parameters of the authorize URL (Google's offline access and incremental consent).
    pub authorize_params: &'static [(&'static str, &'static str)],
    /// The loopback port the app's redirect URI was registered with, for a provider that
    /// matches redirect URIs exactly, port included (Xero); `None`: any free port (RFC 8252).
    pub loopback_port: Option<u16>,
    /// Scopes that identify the account (always asked for).
    pub identity_scopes: &'static [&'static str],
    /// The narrowest scopes each feature needs.
    pub feature_scopes: &'static [(Feature, &'static [&'static str])],
    pub rate_limits: &'static [RateLimit],
    /// What it can do, each capability through one of its products.
    pub products: &'static [Product],
}

impl Registration {
    pub fn scopes_of(&self, feature: Feature) -> &'static [&'static str] {
        self.feature_scopes
            .iter()
            .find(|(f, _)| *f == feature)
            .map(|(_, s)| *s)
            .unwrap_or(&[])
    }

    pub fn can(&self, capability: Capability) -> bool {
        self.product(capability).is_some()
    }

    pub fn product(&self, capability: Capability) -> Option<&'static Product> {
        self.products.iter().find(|s| s.capability == capability)
    }
}

/// Every provider Cremmy connects to.
pub const REGISTRY: [&Registration; 8] = [
    &super::google::registration::REGISTRATION,
    &super::twilio::registration::REGISTRATION,
    &super::stripe::registration::REGISTRATION,
    &super::xero::registration::REGISTRATION,
    &super::quickbooks::registration::REGISTRATION,
    &super::microsoft::registration::REGISTRATION,
    &super::hubspot::registration::REGISTRATION,
    &super::pipedrive::registration::REGISTRATION,
];

/// Where the providers Cremmy does not connect to yet live (shown by `cremmy doctor`).
const PLANNED: [(Provider, &str); 2] = [
    (Provider::Salesforce, "https://login.salesforce.com/"),
    (Provider::Webhooks, ""),
];

/// The provider's entry; `None` for a provider Cremmy does not connect to (yet).
pub fn registration(provider: Provider) -> Option<&'static Registration> {
    REGISTRY.iter().copied().find(|r| r.provider == provider)
}

/// The real origin of a provider's API.
pub fn default_base_url(provider: Provider) -> &'static str {
    match registration(provider) {
        Some(r) => r.base_url,
        None => PLANNED
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, url)| *url)
            .unwrap_or(""),
    }
}
