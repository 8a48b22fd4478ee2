//! `cremmy://` URLs arrive from the OS (another program, a web page, a mail): untrusted input.
//! Only two shapes are accepted: `cremmy://oauth/callback?…` (finishes a sign-in the app
//! started) and `cremmy://client/<id>` (opens that client). Anything else is refused with a
//! reason, never acted on.

use url::Url;

/// Longer than any real callback (a code, a state, a scope list), shorter than abuse.
pub const MAX_LENGTH: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLink {
    /// The whole URL, for the sign-in that is waiting on it.
    OAuthCallback(String),
    OpenClient(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeepLinkError {
    #[error(
        "The link is {0} characters long; Cremmy links are at most {MAX_LENGTH}. It was ignored."
    )]
    TooLong(usize),
    #[error("The link is not a valid URL. It was ignored.")]
    Malformed,
    #[error("Only cremmy:// links open Cremmy; this one was ignored.")]
    WrongScheme,
    /// The link's text is not repeated: it is untrusted and may be made to mislead.
    #[error("Cremmy does not know the link it was given; it was ignored. Cremmy's links open a client or finish a sign-in.")]
    Unknown,
}

pub fn classify(raw: &str) -> Result<DeepLink, DeepLinkError> {
    if raw.len() > MAX_LENGTH {
        return Err(DeepLinkError::TooLong(raw.len()));
    }
    let url = Url::parse(raw.trim()).map_err(|_| DeepLinkError::Malformed)?;
    if url.scheme() != "cremmy" {
        return Err(DeepLinkError::WrongScheme);
    }
    let host = url.host_str().unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    if url.username() != ""
        || url.password().is_some()
        || url.port().is_some()
        || url.fragment().is_some()
    {
        return Err(DeepLinkError::Unknown);
    }
    match (host, path) {
        ("oauth", "/callback") => Ok(DeepLink::OAuthCallback(url.to_string())),
        ("client", id) if url.query().is_none() => id
            .strip_prefix('/')
            .filter(|id| !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|id| id.parse().ok())
            .filter(|id: &i64| *id > 0)
            .map(DeepLink::OpenClient)
            .ok_or(DeepLinkError::Unknown),
        _ => Err(DeepLinkError::Unknown),
    }
}

/// What happened before the window subscribed (a link that started the app, its sign-in's
/// outcome), kept for it in order, but only the newest [`Backlog::CAP`]: links arrive from
/// outside, and a flood of them must not grow memory without end.
#[derive(Debug)]
pub struct Backlog<T> {
    items: std::collections::VecDeque<T>,
}

impl<T> Default for Backlog<T> {
    fn default() -> Self {
        Backlog {
            items: std::collections::VecDeque::new(),
        }
    }
}

impl<T> Backlog<T> {
    pub const CAP: usize = 32;

    /// Keeps `item`; the oldest goes when the backlog is full.
    pub fn push(&mut self, item: T) {
        if self.items.len() == Self::CAP {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    /// Everything kept, oldest first; the backlog is empty after.
    pub fn take(&mut self) -> Vec<T> {
        self.items.drain(..).collect()
    }
}
