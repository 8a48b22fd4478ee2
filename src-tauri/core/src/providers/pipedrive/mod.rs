//! Pipedrive: a thin client over its API v2 (persons, organizations, deals) and v1 where v2 has
//! no equivalent (the current user), with the account's personal API token, through the one call
//! policy, paced to the documented 2-second window. Facts and their pages:
//! `../shared/notes/providers/pipedrive.md`; the sandbox speaks the same subset
//! (`src-tauri/sandbox/src/pipedrive/`).

pub mod connect;
pub mod records;
pub mod registration;
pub mod wire;

use std::sync::Arc;

use cremmy_protocol::Provider;

use crate::accounts::{Accounts, AccountsError, SessionKey};
use crate::failure::FailureKind;
use crate::http::call::{CallError, CallPolicy, Caller};
use crate::pacing::{AccountPacers, Pacer};

#[derive(Debug, thiserror::Error)]
pub enum PipedriveError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Account(#[from] AccountsError),
    #[error("Pipedrive's answer to {what} did not read as Pipedrive documents it: {source}")]
    Garbled {
        what: &'static str,
        source: serde_json::Error,
    },
}

impl PipedriveError {
    pub fn kind(&self) -> FailureKind {
        match self {
            PipedriveError::Call(e) => e.kind(),
            PipedriveError::Account(e) => e.failure_kind(),
            PipedriveError::Garbled { .. } => FailureKind::Invalid,
        }
    }
}

/// Pipedrive's own words for a failed call: its error body's `error`.
fn explain(_status: u16, body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v["error"].as_str().map(str::to_string)
}

impl crate::HasErrorCode for PipedriveError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        self.kind().api_error_code()
    }
}

impl From<PipedriveError> for crate::failure::SourceError {
    fn from(e: PipedriveError) -> crate::failure::SourceError {
        use crate::HasErrorCode;
        crate::failure::SourceError::provider(Provider::Pipedrive, e.kind(), e.code(), e)
    }
}

/// Pipedrive for the whole app. Cheap to clone.
#[derive(Clone)]
pub struct Pipedrive {
    accounts: Accounts,
    /// Origin of the API, ending in `/` (`https://api.pipedrive.com/`, or the sandbox).
    origin: String,
    /// Per account, the 2-second window (kept across runs).
    pacers: AccountPacers,
}

impl Pipedrive {
    pub fn new(accounts: Accounts) -> Pipedrive {
        Pipedrive {
            origin: accounts
                .endpoints()
                .base_url(Provider::Pipedrive)
                .to_string(),
            accounts,
            pacers: AccountPacers::default(),
        }
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// A session for one account's run (its own call count).
    pub fn session(&self, account_id: i64) -> PipedriveSession {
        PipedriveSession {
            caller: Caller::new(
                self.accounts.http().clone(),
                CallPolicy::api(Provider::Pipedrive).with_explain(explain),
            ),
            accounts: self.accounts.clone(),
            origin: self.origin.clone(),
            token: SessionKey::of_account(account_id),
            pacer: self
                .pacers
                .of(account_id, std::slice::from_ref(&registration::BURST)),
        }
    }

    /// A session with a token not stored yet (checking a pasted one).
    pub fn with_token(&self, token: &str) -> PipedriveSession {
        PipedriveSession {
            caller: Caller::new(
                self.accounts.http().clone(),
                CallPolicy::interactive(Provider::Pipedrive).with_explain(explain),
            ),
            accounts: self.accounts.clone(),
            origin: self.origin.clone(),
            token: SessionKey::pasted(token),
            pacer: Arc::new(Pacer::all_of(vec![])),
        }
    }
}

/// One account's calls during one run.
#[derive(Clone)]
pub struct PipedriveSession {
    caller: Caller,
    accounts: Accounts,
    origin: String,
    token: SessionKey,
    pacer: Arc<Pacer>,
}

/// The entity types Cremmy syncs, as in their v2 paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Organizations,
    Persons,
    Deals,
}

impl Entity {
    pub fn path(self) -> &'static str {
        match self {
            Entity::Organizations => "organizations",
            Entity::Persons => "persons",
            Entity::Deals => "deals",
        }
    }
}

/// A query parameter's value, form-encoded.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The most a list page holds, and the most ids one list takes.
const PAGE: usize = 500;
const IDS: usize = 100;

impl PipedriveSession {
    pub fn calls(&self) -> u32 {
        self.caller.calls()
    }

    /// One call: `path` after the origin; a body makes it a PATCH.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, PipedriveError> {
        let url = format!("{}{}", self.origin, path);
        let token = self.token.get(&self.accounts).await?;
        let wait = self.pacer.reserve(1, crate::pacing::elapsed_ms());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let result = self
            .caller
            .send(what, |http| {
                let r = match body {
                    Some(b) => http.patch(&url).json(b),
                    None => http.get(&url),
                };
                r.header("x-api-token", &token)
                    .header("accept", "application/json")
            })
            .await;
        let answer = match result {
            Err(refusal @ CallError::Status { status: 401, .. }) => {
                // A pasted key does not refresh: Pipedrive refused it (rotated, deleted).
                let problem = "Pipedrive refused Cremmy's API token (it may have been regenerated): paste the new one.";
                return Err(
                    match self
                        .token
                        .refused(&self.accounts, Provider::Pipedrive, problem, refusal)
                        .await
                    {
                        Ok(refusal) => refusal.into(),
                        Err(e) => e.into(),
                    },
                );
            }
            other => other?,
        };
        answer
            .json()
            .map_err(|source| PipedriveError::Garbled { what, source })
    }

    pub async fn current_user(&self) -> Result<wire::User, PipedriveError> {
        let one: wire::One<wire::User> = self
            .send("Pipedrive current user", "v1/users/me", None)
            .await?;
        Ok(one.data)
    }

    /// Every entity of a list, following its cursors; `query` is the filters (already encoded).
    pub async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        entity: Entity,
        query: &str,
    ) -> Result<Vec<T>, PipedriveError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("api/v2/{}?limit={PAGE}", entity.path());
            if !query.is_empty() {
                path.push('&');
                path.push_str(query);
            }
            if let Some(c) = &cursor {
                path.push_str("&cursor=");
                path.push_str(&encode(c));
            }
            let page: wire::Page<T> = self.send("Pipedrive list", &path, None).await?;
            let next = page.next_cursor().map(str::to_string);
            out.extend(page.data);
            match next {
                Some(n) if cursor.as_deref() != Some(n.as_str()) => cursor = Some(n),
                _ => return Ok(out),
            }
        }
    }

    /// Entities by id, at most 100 ids a call; missing ones are left out.
    pub async fn by_ids<T: serde::de::DeserializeOwned>(
        &self,
        entity: Entity,
        ids: &[u64],
    ) -> Result<Vec<T>, PipedriveError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS) {
            let ids: Vec<String> = chunk.iter().map(u64::to_string).collect();
            out.extend(
                self.list_all::<T>(entity, &format!("ids={}", ids.join(",")))
                    .await?,
            );
        }
        Ok(out)
    }

    /// Sets fields on one entity; one that no longer exists is skipped.
    pub async fn update(
        &self,
        entity: Entity,
        id: u64,
        fields: &serde_json::Value,
    ) -> Result<(), PipedriveError> {
        let path = format!("api/v2/{}/{id}", entity.path());
        match self
            .send::<serde_json::Value>("Pipedrive update", &path, Some(fields))
            .await
        {
            Err(e) if e.kind() == FailureKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }
}
