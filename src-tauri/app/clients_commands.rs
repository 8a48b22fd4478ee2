//! Commands of the clients list's selection (bulk tag, untag, archive, restore, export), its
//! saved filters, and the lead score. One-liners like `commands.rs`.

use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::{BulkClientEdit, Id, SavedFilter};
use cremmy_protocol::data::ExportMade;
use cremmy_protocol::scores::{LeadScore, ScoreSettings};
use cremmy_protocol::ApiError;
use tauri::State;

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

/// Tag, untag, archive or restore the selected clients: all of them or none.
#[tauri::command]
pub async fn edit_clients(b: State<'_, Backend>, input: BulkClientEdit) -> Reply<u64> {
    b.opened()?.crm.edit_clients(&input).await.map_err(api)
}

/// The selection as CSV in the exports folder beside the database.
#[tauri::command]
pub async fn export_clients(b: State<'_, Backend>, client_ids: Vec<Id>) -> Reply<ExportMade> {
    b.opened()?
        .core
        .export_clients(&client_ids)
        .await
        .map_err(api)
}

#[tauri::command]
pub async fn saved_filters(b: State<'_, Backend>) -> Reply<Vec<SavedFilter>> {
    b.opened()?.crm.saved_filters().await.map_err(api)
}

#[tauri::command]
pub async fn save_filter(b: State<'_, Backend>, filter: SavedFilter) -> Reply<Vec<SavedFilter>> {
    b.opened()?.crm.save_filter(&filter).await.map_err(api)
}

#[tauri::command]
pub async fn delete_filter(b: State<'_, Backend>, name: String) -> Reply<Vec<SavedFilter>> {
    b.opened()?.crm.delete_filter(&name).await.map_err(api)
}

/// The client page's lead score: computed now from the client's facts, and kept.
#[tauri::command]
pub async fn client_score(b: State<'_, Backend>, client_id: Id) -> Reply<LeadScore> {
    b.opened()?.crm.client_score(client_id).await.map_err(api)
}

#[tauri::command]
pub async fn score_settings(b: State<'_, Backend>) -> Reply<ScoreSettings> {
    b.opened()?.crm.score_settings().await.map_err(api)
}

/// Saves the weights and the ideal client profile, and recomputes every score.
#[tauri::command]
pub async fn set_score_settings(
    b: State<'_, Backend>,
    settings: ScoreSettings,
) -> Reply<ScoreSettings> {
    b.opened()?
        .crm
        .set_score_settings(&settings)
        .await
        .map_err(api)
}
