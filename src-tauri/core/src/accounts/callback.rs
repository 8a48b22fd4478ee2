//! The redirect that ends a sign-in, from the loopback listener or a `cremmy://` deep link:
//! untrusted input. Only the two redirect shapes Cremmy hands out are accepted, with a length
//! cap; the state must name a pending attempt (checked by the caller).

use url::Url;

use super::loopback::LOOPBACK_PATH;
use super::providers::DEEP_LINK_REDIRECT;

/// The same cap as any other `cremmy://` link.
use crate::deep_link::MAX_LENGTH as MAX_CALLBACK_LENGTH;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackRejection {
    #[error("the address is {0} characters long (at most {MAX_CALLBACK_LENGTH})")]
    TooLong(usize),
    #[error("the address is not a valid URL")]
    Malformed,
    #[error("the address is not one Cremmy redirects sign-ins to")]
    NotAllowed,
    #[error("the address carries no sign-in state")]
    MissingState,
    #[error("this sign-in is unknown, expired or already finished; start again")]
    UnknownState,
    #[error("the sign-in came back to a different address than it was started with")]
    RedirectMismatch,
    #[error("the provider sent neither a code nor an error")]
    MissingCode,
}

/// What the provider said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Code(String),
    Denied,
    Error {
        error: String,
        description: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The redirect URI it arrived on (without the query), to compare with the attempt's.
    pub redirect_uri: String,
    pub state: String,
    pub answer: Answer,
}

pub fn parse(raw: &str) -> Result<Callback, CallbackRejection> {
    if raw.len() > MAX_CALLBACK_LENGTH {
        return Err(CallbackRejection::TooLong(raw.len()));
    }
    let url = Url::parse(raw.trim()).map_err(|_| CallbackRejection::Malformed)?;
    // `localhost` where the provider's app registered its redirect URI with that name (Xero).
    let host = url.host_str().unwrap_or("");
    let loopback = url.scheme() == "http"
        && (host == "127.0.0.1" || host == "localhost")
        && url.port().is_some()
        && url.path() == LOOPBACK_PATH;
    let deep_link = url.scheme() == "cremmy"
        && url.host_str() == Some("oauth")
        && url.path() == "/callback"
        && url.port().is_none();
    if !(loopback || deep_link) || !url.username().is_empty() || url.password().is_some() {
        return Err(CallbackRejection::NotAllowed);
    }
    let redirect_uri = if deep_link {
        DEEP_LINK_REDIRECT.to_string()
    } else {
        format!("http://{host}:{}{LOOPBACK_PATH}", url.port().unwrap_or(0))
    };
    let param = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    let state = param("state")
        .filter(|s| !s.is_empty())
        .ok_or(CallbackRejection::MissingState)?;
    let answer = match (param("code"), param("error")) {
        (_, Some(e)) if e == "access_denied" => Answer::Denied,
        (_, Some(error)) => Answer::Error {
            error: error.chars().take(100).collect(),
            description: param("error_description").map(|d| d.chars().take(300).collect()),
        },
        (Some(code), None) if !code.is_empty() => Answer::Code(code),
        _ => return Err(CallbackRejection::MissingCode),
    };
    Ok(Callback {
        redirect_uri,
        state,
        answer,
    })
}

/// What the redirect's `name` parameter says the grant reaches (QuickBooks' `realmId`): kept
/// only if it looks like an id (letters, digits, `-`, at most 64).
pub fn company(raw: &str, name: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    let value = url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())?;
    let plausible = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    plausible.then_some(value)
}
