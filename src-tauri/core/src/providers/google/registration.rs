//! Google's registry entry: sign-in, endpoints, scopes per feature, documented limits, and what it
//! can do. (Limits: developers.google.com/workspace/gmail/api/reference/quota,
//! …/sheets/api/limits, …/docs/api/limits.)

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{
    Auth, Capability, Endpoint, OAuthUrls, Product, RateLimit, RedirectStrategy, Registration,
    Revocation,
};

const fn product(capability: Capability, key: Integration, name: &'static str) -> Product {
    Product {
        capability,
        key,
        name,
    }
}

const GMAIL_READ: &str = "https://www.googleapis.com/auth/gmail.readonly";
const GMAIL_COMPOSE: &str = "https://www.googleapis.com/auth/gmail.compose";
/// drive.file: only files Cremmy creates or the user opens with it.
const DRIVE_FILE: &str = "https://www.googleapis.com/auth/drive.file";
const SPREADSHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";
const CALENDAR_EVENTS: &str = "https://www.googleapis.com/auth/calendar.events";
/// Read-only access to the user's Docs (a sensitive, not restricted, scope): only for copying an
/// existing Doc as a template, asked when the user does that.
const DOCUMENTS_READONLY: &str = "https://www.googleapis.com/auth/documents.readonly";

const MINUTE: Duration = Duration::from_secs(60);

pub const REGISTRATION: Registration = Registration {
    provider: Provider::Google,
    // Google's desktop ("installed app") clients accept loopback redirects, not custom schemes.
    auth: Auth::OAuthPkce {
        redirect: RedirectStrategy::Loopback,
        // https://developers.google.com/identity/protocols/oauth2/native-app, "Step 5: Exchange
        // authorization code for refresh and access tokens": `client_secret` is a parameter of
        // the token request.
        client_secret: true,
    },
    base_url: "https://www.googleapis.com/",
    oauth: Some(OAuthUrls {
        authorize: Endpoint {
            real: "https://accounts.google.com/o/oauth2/v2/auth",
            path: "o/oauth2/v2/auth",
        },
        token: Endpoint {
            real: "https://oauth2.googleapis.com/token",
            path: "token",
        },
        revoke: Endpoint {
            real: "https://oauth2.googleapis.com/revoke",
            path: "revoke",
        },
        userinfo: Endpoint {
            real: "https://openidconnect.googleapis.com/v1/userinfo",
            path: "v1/userinfo",
        },
        revocation: Revocation::Form,
        company_param: None,
        https_redirect_page: false,
        profile: None,
    }),
    // Offline access (a refresh token) on every consent, and incremental authorization
    // (https://developers.google.com/identity/protocols/oauth2/native-app, step 2).
    authorize_params: &[
        ("access_type", "offline"),
        ("prompt", "consent"),
        ("include_granted_scopes", "true"),
    ],
    loopback_port: None,
    identity_scopes: &["openid", "email"],
    feature_scopes: &[
        (Feature::MailIngest, &[GMAIL_READ]),
        (Feature::MailSend, &[GMAIL_COMPOSE]),
        (Feature::Drive, &[DRIVE_FILE]),
        (Feature::Docs, &[DRIVE_FILE]),
        // drive.file too: to see that an exported spreadsheet was moved to the trash.
        (Feature::Sheets, &[SPREADSHEETS, DRIVE_FILE]),
        (Feature::Calendar, &[CALENDAR_EVENTS]),
        (Feature::DocsRead, &[DOCUMENTS_READONLY]),
    ],
    rate_limits: &[
        RateLimit {
            pacer: "gmail",
            what: "Gmail quota units per user",
            units: 15_000,
            per: MINUTE,
            documented_at: "https://developers.google.com/workspace/gmail/api/reference/quota",
        },
        RateLimit {
            pacer: "gmail",
            what: "Gmail quota units per user (moving average)",
            units: 250,
            per: Duration::from_secs(1),
            documented_at: "https://developers.google.com/workspace/gmail/api/reference/quota",
        },
        RateLimit {
            pacer: "sheets.read",
            what: "Sheets read requests per user",
            units: 60,
            per: MINUTE,
            documented_at: "https://developers.google.com/workspace/sheets/api/limits",
        },
        RateLimit {
            pacer: "sheets.write",
            what: "Sheets write requests per user",
            units: 60,
            per: MINUTE,
            documented_at: "https://developers.google.com/workspace/sheets/api/limits",
        },
        RateLimit {
            pacer: "docs.write",
            what: "Docs write requests per user",
            units: 60,
            per: MINUTE,
            documented_at: "https://developers.google.com/workspace/docs/api/limits",
        },
        RateLimit {
            pacer: "docs.read",
            what: "Docs read requests per user",
            units: 300,
            per: MINUTE,
            documented_at: "https://developers.google.com/workspace/docs/api/limits",
        },
    ],
    products: &[
        product(Capability::MailSource, Integration::Gmail, "Gmail"),
        product(Capability::MailOutbox, Integration::Gmail, "Gmail"),
        product(
            Capability::CalendarSource,
            Integration::Calendar,
            "Calendar",
        ),
        product(
            Capability::CalendarWriter,
            Integration::Calendar,
            "Calendar",
        ),
        product(Capability::FolderTree, Integration::Drive, "Drive"),
        product(Capability::DocStore, Integration::Docs, "Docs"),
        product(Capability::SpreadsheetSink, Integration::Sheets, "Sheets"),
        product(Capability::SheetTable, Integration::Sheets, "Sheets"),
    ],
};
