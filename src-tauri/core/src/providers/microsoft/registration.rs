//! Microsoft's registry entry. Sign-in: the identity platform v2 (`/common`: work, school and
//! personal accounts) with a public "Mobile and desktop applications" client, which has no secret
//! and uses PKCE (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow); the
//! redirect is a loopback address whose port Microsoft does not compare
//! (learn.microsoft.com/entra/identity-platform/reply-url, "Localhost exceptions"), so the user's
//! app registers `http://127.0.0.1/callback` (README). Who signed in: OpenID userinfo
//! (learn.microsoft.com/entra/identity-platform/userinfo). Limits: Outlook's 10,000 requests per
//! 10 minutes per app and mailbox (learn.microsoft.com/graph/throttling-limits).

use std::time::Duration;

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{
    Auth, Capability, Endpoint, OAuthUrls, Product, RateLimit, RedirectStrategy, Registration,
    Revocation,
};

/// Reading mail, the bodies' preview included (`Mail.ReadBasic` leaves out `bodyPreview`).
pub const MAIL_READ: &str = "https://graph.microsoft.com/Mail.Read";

/// Drafts (saved, then sent: learn.microsoft.com/graph/api/user-post-messages) and sending them
/// (learn.microsoft.com/graph/api/message-send).
pub const MAIL_READ_WRITE: &str = "https://graph.microsoft.com/Mail.ReadWrite";
pub const MAIL_SEND: &str = "https://graph.microsoft.com/Mail.Send";

/// Meetings read (calendarView delta) and task events written
/// (learn.microsoft.com/graph/api/event-delta, …/graph/api/user-post-events).
pub const CALENDARS_READ_WRITE: &str = "https://graph.microsoft.com/Calendars.ReadWrite";

pub const REGISTRATION: Registration = Registration {
    provider: Provider::Microsoft,
    auth: Auth::OAuthPkce {
        redirect: RedirectStrategy::Loopback,
        client_secret: false,
    },
    base_url: "https://graph.microsoft.com/",
    oauth: Some(OAuthUrls {
        authorize: Endpoint {
            real: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            path: "common/oauth2/v2.0/authorize",
        },
        token: Endpoint {
            real: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            path: "common/oauth2/v2.0/token",
        },
        // Never called: `Revocation::None`.
        revoke: Endpoint {
            real: "https://login.microsoftonline.com/common/oauth2/v2.0/logout",
            path: "common/oauth2/v2.0/logout",
        },
        userinfo: Endpoint {
            real: "https://graph.microsoft.com/oidc/userinfo",
            path: "oidc/userinfo",
        },
        revocation: Revocation::None,
        company_param: None,
        https_redirect_page: false,
        // Work accounts may have no email claim: their mailbox address or sign-in name
        // (learn.microsoft.com/graph/api/user-get, `mail`, `userPrincipalName`; needs User.Read).
        profile: Some(Endpoint {
            real: "https://graph.microsoft.com/v1.0/me",
            path: "v1.0/me",
        }),
    }),
    authorize_params: &[("response_mode", "query"), ("prompt", "select_account")],
    loopback_port: None,
    identity_scopes: &[
        "openid",
        "email",
        "offline_access",
        "https://graph.microsoft.com/User.Read",
    ],
    feature_scopes: &[
        (Feature::MailIngest, &[MAIL_READ]),
        (Feature::MailSend, &[MAIL_READ_WRITE, MAIL_SEND]),
        (Feature::Calendar, &[CALENDARS_READ_WRITE]),
    ],
    rate_limits: &[RateLimit {
        pacer: "outlook",
        what: "Outlook requests per app and mailbox",
        units: 10_000,
        per: Duration::from_secs(600),
        documented_at:
            "https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits",
    }],
    products: &[
        Product {
            capability: Capability::MailSource,
            key: Integration::Outlook,
            name: "Outlook",
        },
        Product {
            capability: Capability::MailOutbox,
            key: Integration::Outlook,
            name: "Outlook",
        },
        Product {
            capability: Capability::CalendarSource,
            key: Integration::OutlookCalendar,
            name: "Outlook Calendar",
        },
        Product {
            capability: Capability::CalendarWriter,
            key: Integration::OutlookCalendar,
            name: "Outlook Calendar",
        },
    ],
};
