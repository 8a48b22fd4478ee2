//! The typed calls of CRM sync (Integrations → HubSpot: connect, the import preview, the import).
//! Part of `api` (same rules: every call returns `Result<T, ApiError>`).

use cremmy_protocol::accounts::Account;
use cremmy_protocol::commands as cmd;
use cremmy_protocol::crm_sync::{
    CrmSyncSettings, ImportDecision, ImportPreview, ImportReport, ResolvedConflict,
};
use cremmy_protocol::Provider;
use serde::Serialize;

use super::{call, Reply};

/// Checks the pasted token with the CRM, then keeps it in the keychain.
pub async fn connect_crm(provider: Provider, token: String) -> Reply<Account> {
    #[derive(Serialize)]
    struct A {
        provider: Provider,
        token: String,
    }
    call(cmd::CONNECT_CRM, &A { provider, token }).await
}

/// What importing the account's won customers would do (reads only).
pub async fn crm_import_preview(account_id: i64) -> Reply<ImportPreview> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        account_id: i64,
    }
    call(cmd::CRM_IMPORT_PREVIEW, &A { account_id }).await
}

/// The import, with the conflicts where the CRM's values win.
pub async fn crm_import(decision: ImportDecision) -> Reply<ImportReport> {
    #[derive(Serialize)]
    struct A {
        decision: ImportDecision,
    }
    call(cmd::CRM_IMPORT, &A { decision }).await
}

/// The connection's conflict rule.
pub async fn crm_sync_settings(account_id: i64) -> Reply<CrmSyncSettings> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        account_id: i64,
    }
    call(cmd::CRM_SYNC_SETTINGS, &A { account_id }).await
}

pub async fn set_crm_sync_settings(settings: CrmSyncSettings) -> Reply<CrmSyncSettings> {
    #[derive(Serialize)]
    struct A {
        settings: CrmSyncSettings,
    }
    call(cmd::SET_CRM_SYNC_SETTINGS, &A { settings }).await
}

/// The conflicts the connection's syncs resolved, newest first.
pub async fn crm_conflicts(account_id: i64) -> Reply<Vec<ResolvedConflict>> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct A {
        account_id: i64,
    }
    call(cmd::CRM_CONFLICTS, &A { account_id }).await
}
