//! The tray icon: Open Cremmy, Sync now, Pause/Resume sync, the last sync's time and status, Quit.
//! Where the desktop has no tray host (some Linux sessions, Xvfb) no icon is made and the window
//! stays the way in: closing it quits instead of hiding it.

use cremmy_core::engine::{EngineCommand, EngineHandle};
use cremmy_protocol::engine::EngineStatus;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Wry};

/// The menu items that change with the engine's status.
pub struct Tray {
    pause: MenuItem<Wry>,
    last: MenuItem<Wry>,
}

/// Whether the tray could be shown, and why not.
pub struct TrayState {
    pub tray: Option<Tray>,
    pub note: Option<String>,
}

/// Builds the tray if the desktop can show one.
pub fn build(app: &AppHandle, engine: &EngineHandle) -> TrayState {
    if let Err(why) = tray_host() {
        return TrayState {
            tray: None,
            note: Some(why),
        };
    }
    // tray-icon loads libayatana-appindicator at run time and panics without it.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| make(app, engine)));
    match built {
        Ok(Ok(tray)) => TrayState {
            tray: Some(tray),
            note: None,
        },
        Ok(Err(e)) => TrayState {
            tray: None,
            note: Some(format!("The tray icon could not be made: {e}")),
        },
        Err(_) => TrayState {
            tray: None,
            note: Some(
                "The tray icon needs libayatana-appindicator3 (install it to use the tray).".into(),
            ),
        },
    }
}

fn make(app: &AppHandle, engine: &EngineHandle) -> tauri::Result<Tray> {
    let open = MenuItem::with_id(app, "open", "Open Cremmy", true, None::<&str>)?;
    let sync = MenuItem::with_id(app, "sync", "Sync now", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause sync", true, None::<&str>)?;
    let last = MenuItem::with_id(app, "last", "Last sync: not yet", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Cremmy", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &sync,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &last,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let icon = tauri::image::Image::from_bytes(include_bytes!("../../icons/tray.png"))?;
    let engine = engine.clone();
    TrayIconBuilder::with_id("main")
        .icon(icon)
        .tooltip("Cremmy")
        .menu(&menu)
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "open" => crate::links::focus_main(app),
            "sync" => engine.send(EngineCommand::SyncNow),
            "pause" => engine.send(if engine.status().paused {
                EngineCommand::Resume
            } else {
                EngineCommand::Pause
            }),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    Ok(Tray { pause, last })
}

impl Tray {
    pub fn show(&self, status: &EngineStatus) {
        let _ = self.pause.set_text(if status.paused {
            "Resume sync"
        } else {
            "Pause sync"
        });
        let _ = self.last.set_text(status_line(status));
    }
}

/// The tray's status line: "Syncing Gmail · a@b (1/3)", "Last sync 14:05 ✓", "… failed".
pub fn status_line(status: &EngineStatus) -> String {
    if let Some(p) = &status.running {
        return format!("Syncing {} ({}/{})", p.phase, p.done + 1, p.total.max(1));
    }
    let paused = if status.paused { " · paused" } else { "" };
    match &status.last_sync {
        None => format!("Last sync: not yet{paused}"),
        Some(l) => {
            let at = local_time(l.finished_at);
            let how = match (l.ok, l.needs_reconnect) {
                (true, _) => "✓",
                (false, true) => "— reconnect an account",
                (false, false) => "— failed",
            };
            format!("Last sync {at} {how}{paused}")
        }
    }
}

fn local_time(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%H:%M").to_string(),
        None => "?".into(),
    }
}

/// Linux shows tray icons through a StatusNotifier host; without one an icon would be invisible.
#[cfg(target_os = "linux")]
fn tray_host() -> Result<(), String> {
    let none = || "This desktop has no system tray; Cremmy runs in its window.".to_string();
    let found = tauri::async_runtime::block_on(async {
        let bus = zbus::Connection::session().await.ok()?;
        let dbus = zbus::fdo::DBusProxy::new(&bus).await.ok()?;
        let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher").ok()?;
        dbus.name_has_owner(name).await.ok()
    });
    match found {
        Some(true) => Ok(()),
        _ => Err(none()),
    }
}

#[cfg(not(target_os = "linux"))]
fn tray_host() -> Result<(), String> {
    Ok(())
}
