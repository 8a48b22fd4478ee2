//! The window: opens the database, starts the background engine, the tray and notifications,
//! registers commands, runs the Tauri event loop, and stops the engine cleanly on quit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cremmy_core::accounts::Accounts;
use cremmy_core::crm::Crm;
use cremmy_core::endpoints::Endpoints;
use cremmy_core::engine::{Engine, EngineHandle};
use cremmy_core::sync::SyncRunner;
use cremmy_core::{Core, Environment, HasErrorCode};
use cremmy_protocol::accounts::AppEvent;
use cremmy_protocol::engine::{DesktopSettings, DesktopState, Notice};
use cremmy_protocol::ApiError;
use tauri::{AppHandle, Manager, RunEvent, WindowEvent};
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_plugin_notification::NotificationExt;
use tokio::sync::mpsc;

use crate::links::{self, WindowEvents};

use crate::system_clock::SystemClock;
use crate::tray::{self, Tray};
use crate::{
    automation_commands, clients_commands, commands, crm_sync_commands, desktop_commands,
    documents_commands, payments_commands, report_commands, texting_commands,
};

/// How often the engine looks at the schedule and the outbox.
const ENGINE_TICK: Duration = Duration::from_secs(5);
/// How long quitting waits for a running sync to finish.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What the commands work on: the opened core, or why it could not be opened (shown by the UI as
/// a full-window error instead of silently starting on an empty database).
pub struct Backend {
    opened: Result<Opened, ApiError>,
    engine: Mutex<Option<Engine>>,
    /// The desktop choices, for the close button (which cannot wait for the database).
    desktop: Mutex<DesktopSettings>,
    /// Whether a tray icon is showing, and why not.
    tray: OnceLock<(bool, Option<String>)>,
}

pub struct Opened {
    pub crm: Crm,
    pub accounts: Accounts,
    pub sync: SyncRunner,
    pub endpoints: Endpoints,
    pub engine: EngineHandle,
    /// Keeps the core (and its lease heartbeat) alive as long as the window.
    pub core: Core,
}

/// Opens the core (database, graph, start-up recovery) and starts the engine.
async fn open_backend(
    data_dir: &std::path::Path,
    notices: mpsc::UnboundedSender<Notice>,
) -> Result<(Opened, Engine), ApiError> {
    let core = Core::open(
        data_dir,
        Arc::new(SystemClock),
        Environment::from_process_env(),
    )
    .await
    .map_err(|e| e.to_api_error())?;
    if let Some((name, outcome)) = core.restored_at_start() {
        let notice = match outcome {
            Ok(_) => Notice {
                title: "Backup restored".into(),
                body: format!("{name} is your data now; the database it replaced is kept in the backups folder."),
            },
            Err(why) => Notice {
                title: "The backup was not restored".into(),
                body: format!("{name}: {why}"),
            },
        };
        let _ = notices.send(notice);
    }
    let engine = core.start_engine(ENGINE_TICK, notices);
    let opened = Opened {
        crm: core.crm().clone(),
        accounts: core.accounts().clone(),
        sync: core.sync().clone(),
        endpoints: core.endpoints().clone(),
        engine: engine.handle(),
        core,
    };
    Ok((opened, engine))
}

impl Backend {
    pub fn opened(&self) -> Result<&Opened, ApiError> {
        self.opened.as_ref().map_err(Clone::clone)
    }
}

/// What Settings shows about the desktop integration.
pub fn desktop_state(b: &Backend, settings: DesktopSettings) -> DesktopState {
    *b.desktop.lock().unwrap_or_else(|p| p.into_inner()) = settings.clone();
    let (tray, tray_note) = b.tray.get().cloned().unwrap_or((false, None));
    DesktopState {
        settings,
        tray,
        tray_note,
    }
}

/// Registers or removes Cremmy as a login item.
pub fn apply_start_at_login(app: &AppHandle, on: bool) -> Result<(), ApiError> {
    let launcher = app.autolaunch();
    let done = if on {
        launcher.enable()
    } else if launcher.is_enabled().unwrap_or(false) {
        launcher.disable()
    } else {
        Ok(())
    };
    done.map_err(|e| ApiError {
        code: cremmy_protocol::ErrorCode::Internal,
        message: format!("Cannot change the login item: {e}"),
    })
}

/// When the process started (for the start-up time the benchmark reads).
static STARTED: OnceLock<std::time::Instant> = OnceLock::new();

/// With `CREMMY_REPORT_STARTUP` set: when a start-up step ended, in ms after the process started
/// (the profile behind figure 6 in docs/benchmarks.md).
fn startup_step(step: &str) {
    if std::env::var_os("CREMMY_REPORT_STARTUP").is_some() {
        if let Some(started) = STARTED.get() {
            eprintln!(
                "cremmy: {step} {} ms after start",
                started.elapsed().as_millis()
            );
        }
    }
}

/// Prints the time from process start to the window's first frame, once, if asked to.
pub fn report_startup() {
    static REPORTED: OnceLock<()> = OnceLock::new();
    if std::env::var_os("CREMMY_REPORT_STARTUP").is_some() && REPORTED.set(()).is_ok() {
        if let Some(started) = STARTED.get() {
            eprintln!(
                "cremmy: first render {} ms after start",
                started.elapsed().as_millis()
            );
        }
    }
}

pub fn run(data_dir: PathBuf, minimized: bool) -> ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    let built = tauri::Builder::default()
        // First: a second `cremmy` (e.g. the OS opening a cremmy:// link) hands its arguments to
        // this instance and exits. One instance per data folder.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance_id(&data_dir))
                .callback(|app, _argv, _cwd| links::focus_main(app))
                .build(),
        )
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--minimized"]),
        ))
        .manage(WindowEvents::default())
        .setup(move |app| {
            startup_step("setup began");
            let (notices, notices_out) = mpsc::unbounded_channel();
            let opened = tauri::async_runtime::block_on(open_backend(&data_dir, notices))
                .inspect_err(|e| eprintln!("error: {}", e.message));
            startup_step("core opened");
            let desktop = match &opened {
                Ok((o, _)) => {
                    tauri::async_runtime::block_on(o.crm.desktop_settings()).unwrap_or_default()
                }
                Err(_) => DesktopSettings::default(),
            };
            let (opened, engine) = match opened {
                Ok((o, e)) => (Ok(o), Some(e)),
                Err(e) => (Err(e), None),
            };
            let engine_handle = opened.as_ref().ok().map(|o| o.engine.clone());
            app.manage(Backend {
                opened,
                engine: Mutex::new(engine),
                desktop: Mutex::new(desktop),
                tray: OnceLock::new(),
            });
            if let Some(engine) = engine_handle {
                let shown = tray::build(app.handle(), &engine);
                startup_step("tray built");
                let backend = app.state::<Backend>();
                let _ = backend.tray.set((shown.tray.is_some(), shown.note.clone()));
                if let Some(note) = &shown.note {
                    eprintln!("note: {note}");
                }
                forward_engine(app.handle(), &engine, shown.tray);
                forward_notices(app.handle(), notices_out);
                if minimized && backend.tray.get().is_some_and(|(t, _)| *t) {
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.hide();
                    }
                }
            }
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
            startup_step("setup done");
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let backend = window.state::<Backend>();
                let tray = backend.tray.get().is_some_and(|(t, _)| *t);
                let keep = backend
                    .desktop
                    .lock()
                    .map(|d| d.close_to_tray)
                    .unwrap_or(false);
                if tray && keep {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .invoke_handler(crate::all_commands!())
        .build(tauri::generate_context!());
    startup_step("app built");
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: the window could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            let engine = app
                .state::<Backend>()
                .engine
                .lock()
                .ok()
                .and_then(|mut e| e.take());
            if let Some(engine) = engine {
                tauri::async_runtime::block_on(engine.stop(STOP_GRACE));
            }
        }
    });
    ExitCode::SUCCESS
}

/// Engine status → the window (status bar, Integrations) and the tray line.
fn forward_engine(app: &AppHandle, engine: &EngineHandle, tray: Option<Tray>) {
    let mut status = engine.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let now = status.borrow_and_update().clone();
            if let Some(tray) = &tray {
                tray.show(&now);
            }
            app.state::<WindowEvents>()
                .send_live(AppEvent::Engine { status: now });
            if status.changed().await.is_err() {
                break;
            }
        }
    });
}

/// Notices → native notifications, when the user wants them.
fn forward_notices(app: &AppHandle, mut notices: mpsc::UnboundedReceiver<Notice>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(notice) = notices.recv().await {
            let backend = app.state::<Backend>();
            let wanted = backend.desktop.lock().map(|d| d.notify).unwrap_or(true);
            if wanted {
                let shown = app
                    .notification()
                    .builder()
                    .title(&notice.title)
                    .body(&notice.body)
                    .show();
                if let Err(e) = shown {
                    eprintln!(
                        "note: a notification could not be shown ({e}): {}",
                        notice.title
                    );
                }
            }
        }
    });
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
