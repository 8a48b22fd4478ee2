//! Connecting an account with the provider's redirect strategy: the loopback listener, or a
//! `cremmy://oauth/callback` deep link that the OS hands to the running app, which delivers it
//! here to the sign-in waiting for it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use cremmy_protocol::accounts::{Account, ConnectRequest};
use tokio::sync::oneshot;

use super::callback;
use super::providers::{OAuthEndpoints, RedirectStrategy, DEEP_LINK_REDIRECT};
use super::{Accounts, AccountsError, AccountsResult};

/// Sign-ins waiting for their deep link, by state.
#[derive(Default)]
pub(super) struct DeepLinkWaiters(Mutex<HashMap<String, oneshot::Sender<AccountsResult<Account>>>>);

impl DeepLinkWaiters {
    fn insert(&self, state: &str, tx: oneshot::Sender<AccountsResult<Account>>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(state.to_string(), tx);
    }

    fn take(&self, state: &str) -> Option<oneshot::Sender<AccountsResult<Account>>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(state)
    }
}

impl Accounts {
    /// How this provider's sign-in comes back: its OAuth client's registration decides.
    pub fn redirect_strategy(&self, request: &ConnectRequest) -> AccountsResult<RedirectStrategy> {
        let endpoints = OAuthEndpoints::of(request.provider, &self.endpoints)
            .ok_or(AccountsError::Unsupported(request.provider))?;
        Ok(self
            .apps
            .redirect(request.provider)
            .unwrap_or(endpoints.redirect))
    }

    /// Signs in: `open` shows the authorize URL in the system browser; waits up to `timeout`.
    pub async fn connect(
        &self,
        request: &ConnectRequest,
        open: impl FnOnce(&str) -> Result<(), String>,
        timeout: Duration,
    ) -> AccountsResult<Account> {
        match self.redirect_strategy(request)? {
            RedirectStrategy::Loopback => self.connect_with_loopback(request, open, timeout).await,
            RedirectStrategy::DeepLink => self.connect_with_deep_link(request, open, timeout).await,
        }
    }

    /// Starts a deep-link sign-in and waits for [`Accounts::deliver_callback`] to finish it.
    pub async fn connect_with_deep_link(
        &self,
        request: &ConnectRequest,
        open: impl FnOnce(&str) -> Result<(), String>,
        timeout: Duration,
    ) -> AccountsResult<Account> {
        let start = self.begin_login(request, DEEP_LINK_REDIRECT).await?;
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(&start.state, tx);
        if let Err(e) = open(&start.authorize_url) {
            self.waiting.take(&start.state);
            self.abandon_login(&start.state);
            return Err(AccountsError::Browser(e));
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            _ => {
                self.waiting.take(&start.state);
                self.abandon_login(&start.state);
                Err(AccountsError::TimedOut(timeout.as_secs()))
            }
        }
    }

    /// A `cremmy://oauth/callback` URL from the OS: finishes its sign-in. The outcome goes to the
    /// sign-in waiting for it (then `None`), or back to the caller when nothing waits (the app
    /// was restarted in between, or the state is unknown).
    pub async fn deliver_callback(&self, url: &str) -> Option<AccountsResult<Account>> {
        let state = callback::parse(url).ok().map(|c| c.state);
        let result = self.finish_login(url).await;
        match state.and_then(|s| self.waiting.take(&s)) {
            Some(waiter) => waiter.send(result).err(),
            None => Some(result),
        }
    }
}
