//! Commands of the background engine and the desktop integration: status, pause, the outbox,
//! desktop preferences. One-liners like `commands.rs`.

use cremmy_core::engine::EngineCommand;
use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::Id;
use cremmy_protocol::engine::{DesktopSettings, DesktopState, EngineStatus, Job, JobQuery};
use cremmy_protocol::ApiError;
use tauri::{AppHandle, State};

use crate::desktop::Backend;

type Reply<T> = Result<T, ApiError>;

fn api<E: HasErrorCode>(e: E) -> ApiError {
    e.to_api_error()
}

#[tauri::command]
pub async fn engine_status(b: State<'_, Backend>) -> Reply<EngineStatus> {
    Ok(b.opened()?.engine.status())
}

/// Pause or resume background sync (the tray's item does the same).
#[tauri::command]
pub async fn set_sync_paused(b: State<'_, Backend>, paused: bool) -> Reply<()> {
    let command = if paused {
        EngineCommand::Pause
    } else {
        EngineCommand::Resume
    };
    b.opened()?.engine.send(command);
    Ok(())
}

#[tauri::command]
pub async fn jobs(b: State<'_, Backend>, query: JobQuery) -> Reply<Vec<Job>> {
    b.opened()?.sync.jobs(&query).await.map_err(api)
}

/// "Retry" on a job in the outbox.
#[tauri::command]
pub async fn retry_job(b: State<'_, Backend>, id: Id) -> Reply<()> {
    b.opened()?.sync.retry_job(id).await.map_err(api)
}

#[tauri::command]
pub async fn desktop_state(b: State<'_, Backend>) -> Reply<DesktopState> {
    let o = b.opened()?;
    let settings = o.crm.desktop_settings().await.map_err(api)?;
    Ok(crate::desktop::desktop_state(&b, settings))
}

#[tauri::command]
pub async fn set_desktop_settings(
    app: AppHandle,
    b: State<'_, Backend>,
    input: DesktopSettings,
) -> Reply<DesktopState> {
    let settings = b
        .opened()?
        .crm
        .set_desktop_settings(&input)
        .await
        .map_err(api)?;
    crate::desktop::apply_start_at_login(&app, settings.start_at_login)?;
    Ok(crate::desktop::desktop_state(&b, settings))
}

/// The UI's first frame is up. With `CREMMY_REPORT_STARTUP` set, the time since the process
/// started goes to stderr (docs/benchmarks.md, figure 6).
#[tauri::command]
pub async fn window_ready() -> Reply<()> {
    crate::desktop::report_startup();
    Ok(())
}
