//! Twilio's registry entry. Twilio has no OAuth for an account's own REST API: the user pastes an
//! API key (SID and secret) or the Auth Token, which the keychain keeps. Its "scopes" are the REST
//! resources the credentials were seen to reach when connected (a restricted key may lack some).
//! Rate: message throughput is queued by Twilio per sender, not refused
//! (https://help.twilio.com/articles/115002943027); account concurrency answers 429 / 20429
//! (https://www.twilio.com/docs/errors/20429), which the call policy retries.

use cremmy_protocol::accounts::Feature;
use cremmy_protocol::kinds::Integration;
use cremmy_protocol::Provider;

use crate::providers::registry::{Auth, Capability, Product, Registration};

/// The Messages resource (send, list, status).
pub const MESSAGES: &str = "Messages";
/// The Calls resource (the call log).
pub const CALLS: &str = "Calls";

pub const REGISTRATION: Registration = Registration {
    provider: Provider::Twilio,
    auth: Auth::ApiKey,
    base_url: "https://api.twilio.com/",
    oauth: None,
    authorize_params: &[],
    loopback_port: None,
    identity_scopes: &[],
    feature_scopes: &[(Feature::Sms, &[MESSAGES]), (Feature::Calls, &[CALLS])],
    rate_limits: &[],
    products: &[
        Product {
            capability: Capability::Texting,
            key: Integration::Texts,
            name: "Twilio Messaging",
        },
        Product {
            capability: Capability::CallLog,
            key: Integration::Calls,
            name: "Twilio Voice",
        },
    ],
};
