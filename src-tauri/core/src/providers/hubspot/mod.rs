//! HubSpot: a thin client over its date-versioned CRM API (`/crm/objects/2026-03/…`, the version
//! in `cremmy_protocol::provider_versions`, which the sandbox serves too), with the account's
//! pasted token, through the one call policy. Calls are paced to the documented limits: search
//! on its own pacer (5 a second), everything else on the 10-second one. Facts and their pages:
//! `../shared/notes/providers/hubspot.md`; the sandbox speaks the same subset
//! (`src-tauri/sandbox/src/hubspot/`).

pub mod connect;
pub mod records;
pub mod registration;
pub mod wire;

use std::sync::Arc;

use cremmy_protocol::provider_versions::HUBSPOT as VERSION;
use cremmy_protocol::Provider;

use crate::accounts::{Accounts, AccountsError, SessionKey};
use crate::failure::FailureKind;
use crate::http::call::{CallError, CallPolicy, Caller};
use crate::pacing::{AccountPacers, Pacer};

#[derive(Debug, thiserror::Error)]
pub enum HubSpotError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Account(#[from] AccountsError),
    #[error("HubSpot's answer to {what} did not read as HubSpot documents it: {source}")]
    Garbled {
        what: &'static str,
        source: serde_json::Error,
    },
}

impl HubSpotError {
    pub fn kind(&self) -> FailureKind {
        match self {
            HubSpotError::Call(e) => e.kind(),
            HubSpotError::Account(e) => e.failure_kind(),
            HubSpotError::Garbled { .. } => FailureKind::Invalid,
        }
    }
}

/// HubSpot's own words for a failed call: `message` and `category` of its error body.
fn explain(_status: u16, body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = v["message"].as_str()?;
    let category = v["category"]
        .as_str()
        .or(v["policyName"].as_str())
        .unwrap_or("");
    Some(format!("{message} ({category})"))
}

impl crate::HasErrorCode for HubSpotError {
    fn code(&self) -> cremmy_protocol::ErrorCode {
        self.kind().api_error_code()
    }
}

impl From<HubSpotError> for crate::failure::SourceError {
    fn from(e: HubSpotError) -> crate::failure::SourceError {
        use crate::HasErrorCode;
        crate::failure::SourceError::provider(Provider::Hubspot, e.kind(), e.code(), e)
    }
}

/// HubSpot for the whole app. Cheap to clone.
#[derive(Clone)]
pub struct HubSpot {
    accounts: Accounts,
    /// Origin of the API, ending in `/` (`https://api.hubapi.com/`, or the sandbox).
    origin: String,
    /// Per account: the 10-second limit, and search's per-second one (kept across runs).
    pacers: AccountPacers,
    search_pacers: AccountPacers,
}

impl HubSpot {
    pub fn new(accounts: Accounts) -> HubSpot {
        HubSpot {
            origin: accounts.endpoints().base_url(Provider::Hubspot).to_string(),
            accounts,
            pacers: AccountPacers::default(),
            search_pacers: AccountPacers::default(),
        }
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// A session for one account's run (its own call count).
    pub fn session(&self, account_id: i64) -> HubSpotSession {
        HubSpotSession {
            caller: Caller::new(
                self.accounts.http().clone(),
                CallPolicy::api(Provider::Hubspot).with_explain(explain),
            ),
            accounts: self.accounts.clone(),
            origin: self.origin.clone(),
            token: SessionKey::of_account(account_id),
            pacer: self
                .pacers
                .of(account_id, std::slice::from_ref(&registration::BURST)),
            search_pacer: self
                .search_pacers
                .of(account_id, std::slice::from_ref(&registration::SEARCH)),
        }
    }

    /// A session with a token not stored yet (checking a pasted one).
    pub fn with_token(&self, token: &str) -> HubSpotSession {
        HubSpotSession {
            caller: Caller::new(
                self.accounts.http().clone(),
                CallPolicy::interactive(Provider::Hubspot).with_explain(explain),
            ),
            accounts: self.accounts.clone(),
            origin: self.origin.clone(),
            token: SessionKey::pasted(token),
            pacer: Arc::new(Pacer::all_of(vec![])),
            search_pacer: Arc::new(Pacer::all_of(vec![])),
        }
    }
}

/// One account's calls during one run.
#[derive(Clone)]
pub struct HubSpotSession {
    caller: Caller,
    accounts: Accounts,
    origin: String,
    token: SessionKey,
    pacer: Arc<Pacer>,
    search_pacer: Arc<Pacer>,
}

impl HubSpotSession {
    pub fn calls(&self) -> u32 {
        self.caller.calls()
    }

    /// One call: `path` after the origin, `{v}` replaced by the API version.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, HubSpotError> {
        let url = format!("{}{}", self.origin, path.replace("{v}", VERSION));
        let search = path.ends_with("/search");
        let pacer = if search {
            &self.search_pacer
        } else {
            &self.pacer
        };
        let token = self.token.get(&self.accounts).await?;
        let wait = pacer.reserve(1, crate::pacing::elapsed_ms());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let result = self
            .caller
            .send(what, |http| {
                let r = match body {
                    Some(b) => http.post(&url).json(b),
                    None => http.get(&url),
                };
                r.bearer_auth(&token).header("accept", "application/json")
            })
            .await;
        let answer = match result {
            Err(refusal @ CallError::Status { status: 401, .. }) => {
                // A pasted key does not refresh: HubSpot refused it (rotated, deleted).
                let problem = "HubSpot refused Cremmy's token (it may have been rotated or deleted): paste a new one.";
                return Err(
                    match self
                        .token
                        .refused(&self.accounts, Provider::Hubspot, problem, refusal)
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
            .map_err(|source| HubSpotError::Garbled { what, source })
    }

    pub async fn account_details(&self) -> Result<wire::AccountDetails, HubSpotError> {
        self.send("HubSpot account details", "account-info/{v}/details", None)
            .await
    }

    pub async fn deal_pipelines(&self) -> Result<wire::Pipelines, HubSpotError> {
        self.send("HubSpot deal pipelines", "crm/pipelines/{v}/deals", None)
            .await
    }

    /// One page of a search of `object_type`.
    pub async fn search(
        &self,
        object_type: &str,
        body: &serde_json::Value,
    ) -> Result<wire::SearchPage, HubSpotError> {
        self.send(
            "HubSpot search",
            &format!("crm/objects/{{v}}/{object_type}/search"),
            Some(body),
        )
        .await
    }

    /// Records by id, at most 100 a call.
    pub async fn batch_read(
        &self,
        object_type: &str,
        ids: &[String],
        properties: &[&str],
    ) -> Result<Vec<wire::Record>, HubSpotError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let inputs: Vec<serde_json::Value> = chunk
                .iter()
                .map(|id| serde_json::json!({ "id": id }))
                .collect();
            let body = serde_json::json!({ "inputs": inputs, "properties": properties });
            let answer: wire::BatchAnswer = self
                .send(
                    "HubSpot batch read",
                    &format!("crm/objects/{{v}}/{object_type}/batch/read"),
                    Some(&body),
                )
                .await?;
            out.extend(answer.results);
        }
        Ok(out)
    }

    /// The `to` records each of `ids` is associated with, at most 1,000 ids a call (HubSpot
    /// changelog, "Batch Read Limit for HubSpot Associations API", 2025-02-10).
    pub async fn associations(
        &self,
        from: &str,
        to: &str,
        ids: &[String],
    ) -> Result<Vec<(String, Vec<String>)>, HubSpotError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            let inputs: Vec<serde_json::Value> = chunk
                .iter()
                .map(|id| serde_json::json!({ "id": id }))
                .collect();
            let answer: wire::Associations = self
                .send(
                    "HubSpot associations",
                    &format!("crm/associations/{{v}}/{from}/{to}/batch/read"),
                    Some(&serde_json::json!({ "inputs": inputs })),
                )
                .await?;
            out.extend(
                answer
                    .results
                    .into_iter()
                    .map(|r| (r.from.id, r.to.iter().map(wire::ToObject::id).collect())),
            );
        }
        Ok(out)
    }
}

impl HubSpotSession {
    /// Sets properties on records, at most 100 a call; a record that no longer exists is
    /// skipped (HubSpot answers 207 with it in `errors`).
    pub async fn batch_update(
        &self,
        object_type: &str,
        changes: &[(String, serde_json::Map<String, serde_json::Value>)],
    ) -> Result<(), HubSpotError> {
        for chunk in changes.chunks(BATCH) {
            let inputs: Vec<serde_json::Value> = chunk
                .iter()
                .map(|(id, properties)| serde_json::json!({ "id": id, "properties": properties }))
                .collect();
            let _: serde_json::Value = self
                .send(
                    "HubSpot batch update",
                    &format!("crm/objects/{{v}}/{object_type}/batch/update"),
                    Some(&serde_json::json!({ "inputs": inputs })),
                )
                .await?;
        }
        Ok(())
    }
}

/// The most inputs a batch takes ("Batch operations are limited to 100 records").
pub const BATCH: usize = 100;
