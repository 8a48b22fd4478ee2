//! The window: opens the database, registers commands, runs the Tauri event loop.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use cremmy_core::accounts::{Accounts, OAuthApps};
use cremmy_core::crm::Crm;
use cremmy_core::endpoints::Endpoints;
use cremmy_core::google::Google;
use cremmy_core::sync::SyncRunner;
use cremmy_core::{Database, HasErrorCode};
use cremmy_protocol::ApiError;
use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

use crate::links::{self, WindowEvents};

use crate::commands;
use crate::system_clock::SystemClock;

/// What the commands work on: the opened core, or why it could not be opened (shown by the UI as
/// a full-window error instead of silently starting on an empty database).
pub struct Backend {
    opened: Result<Opened, ApiError>,
}

pub struct Opened {
    pub crm: Crm,
    pub accounts: Accounts,
    pub sync: SyncRunner,
    pub endpoints: Endpoints,
}

/// Opens the database and everything that works on it.
pub async fn open_backend(data_dir: &std::path::Path) -> Result<Opened, ApiError> {
    let db = Database::open_in(data_dir)
        .await
        .map_err(|e| e.to_api_error())?;
    let clock = Arc::new(SystemClock);
    let endpoints = Endpoints::from_process_env();
    let accounts = Accounts::open(
        db.clone(),
        clock.clone(),
        endpoints.clone(),
        OAuthApps::from_process_env(),
    )
    .await
    .map_err(|e| e.to_api_error())?;
    let google =
        Google::new(accounts.clone(), clock.clone(), &endpoints).map_err(|e| e.to_api_error())?;
    let sync = SyncRunner::new(db.clone(), clock.clone(), google);
    // A run left "running" by a process that died is closed; the next run resumes from the cursor.
    sync.close_abandoned_runs()
        .await
        .map_err(|e| e.to_api_error())?;
    Ok(Opened {
        crm: Crm::new(db, clock),
        accounts,
        sync,
        endpoints,
    })
}

impl Backend {
    pub fn opened(&self) -> Result<&Opened, ApiError> {
        self.opened.as_ref().map_err(Clone::clone)
    }
}

pub fn run(data_dir: PathBuf) -> ExitCode {
    let result = tauri::Builder::default()
        // First: a second `cremmy` (e.g. the OS opening a cremmy:// link) hands its arguments to
        // this instance and exits. One instance per data folder.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance_id(&data_dir))
                .callback(|app, _argv, _cwd| links::focus_main(app))
                .build(),
        )
        .plugin(tauri_plugin_deep_link::init())
        .manage(WindowEvents::default())
        .setup(move |app| {
            let opened = tauri::async_runtime::block_on(open_backend(&data_dir))
                .inspect_err(|e| eprintln!("error: {}", e.message));
            app.manage(Backend { opened });
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    links::handle(&handle, url.as_str());
                }
            });
            // A link that started the app.
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    links::handle(app.handle(), url.as_str());
                }
            }
            Ok(())
        })
        .invoke_handler(crate::all_commands!())
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the window could not start: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The D-Bus name that makes Cremmy single-instance per data folder (Linux; other platforms use
/// the app identifier).
fn instance_id(data_dir: &std::path::Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data_dir.to_string_lossy().bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("app.cremmy.crm.data{hash:016x}")
}
