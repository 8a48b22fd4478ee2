//! Commands of CRM sync (Integrations → HubSpot: connect, the import preview, the import).
//! One-liners like `commands.rs`.

use cremmy_core::HasErrorCode;
use cremmy_protocol::accounts::Account;
use cremmy_protocol::crm_sync::{
    CrmSyncSettings, ImportDecision, ImportPreview, ImportReport, ResolvedConflict,
};
use cremmy_protocol::{ApiError, Provider};
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

/// Integrations → HubSpot → Connect: the token is checked with the CRM before anything is stored.
#[tauri::command]
pub async fn connect_crm(
    b: State<'_, Backend>,
    provider: Provider,
    token: String,
) -> Reply<Account> {
    b.opened()?
        .sync
        .connect_crm(provider, &token)
        .await
        .map_err(api)
}

/// The import preview of a CRM account's won customers (reads only).
#[tauri::command]
pub async fn crm_import_preview(b: State<'_, Backend>, account_id: i64) -> Reply<ImportPreview> {
    b.opened()?
        .sync
        .crm_import_preview(account_id)
        .await
        .map_err(api)
}

/// "Import" on the preview, with the conflicts where the CRM's values win.
#[tauri::command]
pub async fn crm_import(b: State<'_, Backend>, decision: ImportDecision) -> Reply<ImportReport> {
    b.opened()?.sync.crm_import(&decision).await.map_err(api)
}

/// The connection's conflict rule.
#[tauri::command]
pub async fn crm_sync_settings(b: State<'_, Backend>, account_id: i64) -> Reply<CrmSyncSettings> {
    b.opened()?
        .sync
        .crm_sync_settings(account_id)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn set_crm_sync_settings(
    b: State<'_, Backend>,
    settings: CrmSyncSettings,
) -> Reply<CrmSyncSettings> {
    b.opened()?
        .sync
        .set_crm_sync_settings(&settings)
        .await
        .map_err(api)
}

/// The conflicts the connection's syncs resolved, newest first, with both values.
#[tauri::command]
pub async fn crm_conflicts(b: State<'_, Backend>, account_id: i64) -> Reply<Vec<ResolvedConflict>> {
    b.opened()?
        .sync
        .crm_conflicts(account_id)
        .await
        .map_err(api)
}
