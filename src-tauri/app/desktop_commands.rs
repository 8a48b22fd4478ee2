//! Commands of the background engine and the desktop integration: status, pause, the outbox,
//! desktop preferences, and Settings → Data (backups, restore at the next start, the full
//! export). One-liners like `commands.rs`.

use cremmy_core::engine::EngineCommand;
use cremmy_core::HasErrorCode;
use cremmy_protocol::crm::Id;
use cremmy_protocol::data::{BackupInfo, BackupRequest, ExportMade, RestoreRequest};
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

/// Settings → Data → "Back up now" (sealed when a passphrase is given): the backup file's path.
#[tauri::command]
pub async fn backup_now(b: State<'_, Backend>, request: BackupRequest) -> Reply<String> {
    let secret = request.passphrase.as_deref().filter(|p| !p.is_empty());
    b.opened()?
        .core
        .backup(None, secret)
        .await
        .map(|path| path.display().to_string())
        .map_err(api)
}

#[tauri::command]
pub async fn list_backups(b: State<'_, Backend>) -> Reply<Vec<BackupInfo>> {
    b.opened()?.core.backups().map_err(api)
}

/// "Restore" on a backup: checked now, put in place when Cremmy next starts.
#[tauri::command]
pub async fn restore_backup(b: State<'_, Backend>, request: RestoreRequest) -> Reply<BackupInfo> {
    b.opened()?
        .core
        .schedule_restore(&request)
        .await
        .map_err(api)
}

/// "Export everything": the JSON export's path and size.
#[tauri::command]
pub async fn export_everything(b: State<'_, Backend>) -> Reply<ExportMade> {
    b.opened()?.core.export_everything().await.map_err(api)
}

/// "Restart now" after choosing a restore: the restore happens as Cremmy starts.
#[tauri::command]
pub async fn restart_app(app: AppHandle) -> Reply<()> {
    app.restart()
}
