//! Tauri commands: each parses its input, calls one core function and maps the error to the
//! stable `{code, message}` the UI matches on.

use cremmy_core::{doctor, HasErrorCode};
use cremmy_protocol::{ApiError, DatabaseStatus, DoctorReport};
use tauri::State;

use crate::desktop::Backend;

#[tauri::command]
pub async fn app_status(backend: State<'_, Backend>) -> Result<DatabaseStatus, ApiError> {
    backend.opened()?.db.status().await.map_err(|e| e.to_api_error())
}

#[tauri::command]
pub async fn doctor(backend: State<'_, Backend>) -> Result<DoctorReport, ApiError> {
    let opened = backend.opened()?;
    doctor::report(env!("CARGO_PKG_VERSION"), &opened.db, &opened.endpoints).await.map_err(|e| e.to_api_error())
}
